// Decoder: simdjson On-Demand, one pass over each object's fields in document order.
//
// Speed comes from two things. (1) The frame is parsed where it landed: the receive buffer keeps
// kFramePadding bytes after each frame. (2) Keys are matched speculatively: the exchange sends its
// fields in a fixed order, so the decoder remembers which field followed which in the last frame
// and first compares each key against that prediction (one short memcmp). A miss falls back to a
// lookup by length over both name tables, so any order, and either naming form, is still correct.

#include "fillwire/decoder.hpp"

#include "field_visit.hpp"
#include "flat_scanner.hpp"

#include <simdjson.h>

#include <algorithm>
#include <array>
#include <bit>
#include <charconv>
#include <cstddef>
#include <cstring>
#include <limits>
#include <memory>
#include <stdexcept>
#include <string>

namespace fillwire {
namespace od = simdjson::ondemand;

static_assert(kFramePadding >= simdjson::SIMDJSON_PADDING,
              "Frames are parsed in place: callers must reserve simdjson's read-ahead padding.");

namespace {

// Each DecodeErrc's text, in the enum's order (checked below).
struct ErrcText {
  DecodeErrc code;
  std::string_view text;
};
constexpr ErrcText kDecodeErrcTexts[] = {
    {DecodeErrc::ok, "ok"},
    {DecodeErrc::empty_frame, "empty frame"},
    {DecodeErrc::frame_too_large, "frame too large"},
    {DecodeErrc::invalid_utf8, "invalid UTF-8"},
    {DecodeErrc::malformed_json, "malformed JSON"},
    {DecodeErrc::not_an_object, "not an object"},
    {DecodeErrc::missing_field, "missing required field"},
    {DecodeErrc::wrong_type, "wrong JSON type"},
    {DecodeErrc::bad_enum, "unknown enum value"},
    {DecodeErrc::bad_uuid, "invalid UUID"},
    {DecodeErrc::too_long, "value too long"},
    {DecodeErrc::out_of_range, "number out of range"},
    {DecodeErrc::duplicate_field, "duplicate field"},
    {DecodeErrc::unsupported_type, "unsupported event type"},
    {DecodeErrc::unknown_frame, "unknown frame"},
    {DecodeErrc::unexpected_list, "list frame where one event was expected"},
};
static_assert(
    [] {
      std::size_t i = 0;
      for (const auto& t : kDecodeErrcTexts) {
        if (static_cast<std::size_t>(t.code) != i++) return false;
      }
      return i == kDecodeErrcCount;
    }(),
    "kDecodeErrcTexts holds every DecodeErrc once, in the enum's order.");

}  // namespace

std::string_view to_string(DecodeErrc e) noexcept {
  const auto i = static_cast<std::size_t>(e);
  return i < kDecodeErrcCount ? kDecodeErrcTexts[i].text : std::string_view{"invalid error code"};
}

namespace {

// The per-field helpers are forced inline: simdjson's value and field are small structs, and when
// they cross a call boundary they go through the stack, where a 16-byte reload of two smaller
// stores defeats store forwarding (measured: ~40% of decode time). Inlined, they stay in registers.
#define FILLWIRE_INLINE [[gnu::always_inline]] inline

constexpr std::size_t kStart = kFieldCount;  // "before the first field" in the order tables
constexpr std::size_t kMaxNameLength = 16;   // "remaining_volume", "prevented_volume", ...

// Fallback lookup: a field table's names bucketed by length, both forms. Built at compile time.
template <class F, std::size_t N>
struct NameIndex {
  struct Entry {
    std::string_view name;
    F field;
    bool simple;
  };
  Entry entries[2 * N]{};
  std::uint8_t begin[kMaxNameLength + 2]{};  // entries of length n are [begin[n], begin[n+1])

  constexpr NameIndex(const std::array<std::string_view, N>& names,
                      const std::array<std::string_view, N>& simple_names) {
    std::size_t n = 0;
    for (std::size_t len = 0; len <= kMaxNameLength; ++len) {
      begin[len] = static_cast<std::uint8_t>(n);
      for (std::size_t f = 0; f < N; ++f) {
        if (names[f].size() == len) entries[n++] = {names[f], F(f), false};
        if (simple_names[f].size() == len) entries[n++] = {simple_names[f], F(f), true};
      }
    }
    begin[kMaxNameLength + 1] = static_cast<std::uint8_t>(n);
  }

  [[nodiscard]] constexpr const Entry* find(std::string_view key) const noexcept {
    if (key.size() > kMaxNameLength) return nullptr;
    for (std::size_t i = begin[key.size()]; i < begin[key.size() + 1]; ++i) {
      if (entries[i].name == key) return &entries[i];
    }
    return nullptr;
  }
};
constexpr NameIndex<Field, kFieldCount> kNameIndex{kDefaultNames, kSimpleNames};
constexpr NameIndex<AssetField, kAssetFieldCount> kAssetNameIndex{kAssetDefaultNames,
                                                                  kAssetSimpleNames};
static_assert(
    [] {
      for (const auto& e : kNameIndex.entries)
        if (e.name.size() > kMaxNameLength) return false;
      for (const auto& e : kAssetNameIndex.entries)
        if (e.name.size() > kMaxNameLength) return false;
      return true;
    }(),
    "Every field name fits the name index's buckets.");

// A key that only a myAsset frame has (asset_uuid, assets, ...: not type or timestamp, which
// myOrder has too): an object that has one before any `type` is read as a myAsset frame.
constexpr bool is_asset_frame_key(std::string_view key) noexcept {
  const auto* entry = kAssetNameIndex.find(key);
  return entry != nullptr && !detail::is_item_field(entry->field) &&
         kNameIndex.find(key) == nullptr;
}
static_assert(is_asset_frame_key("assets") && is_asset_frame_key("astuid") &&
              !is_asset_frame_key("tms") && !is_asset_frame_key("type") &&
              !is_asset_frame_key("cu"));

// The most elements of `assets` a frame of `max_frame` bytes can hold: the shortest element,
// {"cu":"","b":0,"l":0}, is 21 bytes and a comma. An AssetEvent's count is 16 bits: a frame of
// more is out_of_range.
constexpr std::size_t max_asset_items(std::size_t max_frame) noexcept {
  return std::min<std::size_t>(max_frame / 22 + 1, std::numeric_limits<std::uint16_t>::max());
}

// True if `tok` is lexically a JSON number: then a NUMBER_ERROR means "does not fit", not
// "garbage".
bool looks_like_number(std::string_view tok) noexcept {
  std::size_t i = 0;
  if (i < tok.size() && tok[i] == '-') ++i;
  const std::size_t digits_start = i;
  while (i < tok.size() && tok[i] >= '0' && tok[i] <= '9')
    ++i;
  if (i == digits_start) return false;
  if (i < tok.size() && tok[i] == '.') {
    ++i;
    const std::size_t frac = i;
    while (i < tok.size() && tok[i] >= '0' && tok[i] <= '9')
      ++i;
    if (i == frac) return false;
  }
  if (i < tok.size() && (tok[i] == 'e' || tok[i] == 'E')) {
    ++i;
    if (i < tok.size() && (tok[i] == '+' || tok[i] == '-')) ++i;
    const std::size_t exp = i;
    while (i < tok.size() && tok[i] >= '0' && tok[i] <= '9')
      ++i;
    if (i == exp) return false;
  }
  while (i < tok.size() && (tok[i] == ' ' || tok[i] == '\t' || tok[i] == '\n' || tok[i] == '\r'))
    ++i;
  return i == tok.size();
}

DecodeErrc map_error(simdjson::error_code ec) noexcept {
  switch (ec) {
    case simdjson::SUCCESS:
      return DecodeErrc::ok;
    case simdjson::EMPTY:
      return DecodeErrc::empty_frame;
    case simdjson::CAPACITY:
      return DecodeErrc::frame_too_large;
    case simdjson::UTF8_ERROR:
      return DecodeErrc::invalid_utf8;
    case simdjson::INCORRECT_TYPE:
      return DecodeErrc::wrong_type;
    case simdjson::NUMBER_OUT_OF_RANGE:
      return DecodeErrc::out_of_range;
    default:
      return DecodeErrc::malformed_json;
  }
}

}  // namespace

// --- fast path (flat_scanner.hpp) ---------------------------------------------------------------

Field detail::FlatScanner::match(std::string_view k, std::size_t prev) noexcept {
  const Field predicted = order_.next(prev);
  if (predicted != Field::none) {
    const auto& names = order_.simple() ? kSimpleNames : kDefaultNames;
    if (names[static_cast<std::size_t>(predicted)] == k) return predicted;
  }
  ++misses;
  const auto* entry = kNameIndex.find(k);
  if (entry == nullptr) return Field::none;
  order_.learn(prev, entry->field, entry->simple);
  return entry->field;
}

bool detail::FlatScanner::asset_frame_key(std::string_view k) noexcept {
  return is_asset_frame_key(k);
}

struct Decoder::Impl {
  od::parser parser;
  // The field order of the last object, shared by both paths (order.next(kStart): the first).
  detail::LearnedOrder order;
  bool fast_path = true;  // try FlatScanner before the general path

  // A myAsset frame between reading and publishing: its own fields, and its elements.
  AssetEvent asset_frame{};
  bool asset_simple = false;  // the name form myAsset keys are predicted in
  std::unique_ptr<detail::AssetItem[]> items;
  std::size_t item_capacity;

  explicit Impl(std::size_t max_frame)
      : parser(max_frame),
        items(std::make_unique<detail::AssetItem[]>(max_asset_items(max_frame))),
        item_capacity(max_asset_items(max_frame)) {}

  // --- one object -> one OrderEvent ----------------------------------------------------------

  struct ObjectResult {
    DecodeError error;
    bool order_like;  // at least one myOrder field seen
    bool asset;       // a myAsset object: read it with decode_asset_object
  };

  static DecodeError fail(DecodeErrc code, Field field) noexcept { return {code, field, 0}; }
  static DecodeError fail(DecodeErrc code, AssetField field, std::int32_t index = -1) noexcept {
    DecodeError e;
    e.code = code;
    e.asset_field = field;
    e.asset_index = index;
    return e;
  }

  // A number value that failed: tell "does not fit" from "is not a number" from "is garbage".
  template <class F>
  static DecodeError number_error(od::value& v, simdjson::error_code ec, F f) noexcept {
    if (ec == simdjson::NUMBER_ERROR) {
      if (looks_like_number(v.raw_json_token())) {
        return fail(DecodeErrc::out_of_range, f);
      }
      return fail(DecodeErrc::malformed_json, f);
    }
    return fail(map_error(ec), f);
  }

  // simdjson 3.0 (Debian 12) misreads some decimals of more than 19 significant digits: a
  // 60-digit 0.5444...4 came back as 1.7e-41. Such numbers (never sent by the exchange, whose
  // amounts have at most 8 decimals) are converted again with from_chars, which rounds correctly.
  static bool reread_long_decimal(std::string_view tok, double& out) noexcept {
    while (!tok.empty() &&
           (tok.back() == ' ' || tok.back() == '\n' || tok.back() == '\r' || tok.back() == '\t')) {
      tok.remove_suffix(1);
    }
    int digits = 0;
    for (const char c : tok) {
      if (c == 'e' || c == 'E') break;
      digits += c >= '0' && c <= '9';
    }
    if (digits <= 19) return true;
    const auto r = std::from_chars(tok.data(), tok.data() + tok.size(), out);
    return r.ec == std::errc{} && r.ptr == tok.data() + tok.size();
  }

  template <class F>
  FILLWIRE_INLINE static DecodeError read_string(od::value& v, F f,
                                                 std::string_view& out) noexcept {
    const auto ec = v.get_string().get(out);
    return ec ? fail(map_error(ec), f) : DecodeError{};
  }

  // One reader per field kind (FieldKind), chosen by read_field's generated switch; `F` is the
  // table's field enum (Field or AssetField), named by the error.
  //
  // `type`: 1 when it names the table's own type. A myOrder object whose type is "myAsset" gets
  // kTypeIsAsset: the caller reads it again as a myAsset frame.
  static constexpr std::uint8_t kTypeIsAsset = 2;
  template <class F>
  FILLWIRE_INLINE static DecodeError read_kind(detail::KindTag<FieldKind::event_type>, od::value& v,
                                               F f, std::uint8_t& out) noexcept {
    constexpr bool kOrder = std::is_same_v<F, Field>;
    std::string_view s;
    if (auto err = read_string(v, f, s)) return err;
    if (s == (kOrder ? kMyOrderType : kMyAssetType)) {
      out = 1;
    } else if (kOrder && s == kMyAssetType) {
      out = kTypeIsAsset;
    } else {
      return fail(DecodeErrc::unsupported_type, f);
    }
    return {};
  }

  template <class F, std::size_t N>
  FILLWIRE_INLINE static DecodeError read_kind(detail::KindTag<FieldKind::text>, od::value& v, F f,
                                               FixedString<N>& out) noexcept {
    std::string_view s;
    if (auto err = read_string(v, f, s)) return err;
    return out.assign(s) ? DecodeError{} : fail(DecodeErrc::too_long, f);
  }

  template <class F>
  FILLWIRE_INLINE static DecodeError read_kind(detail::KindTag<FieldKind::uuid>, od::value& v, F f,
                                               Uuid& out) noexcept {
    std::string_view s;
    if (auto err = read_string(v, f, s)) return err;
    return Uuid::parse(s, out) ? DecodeError{} : fail(DecodeErrc::bad_uuid, f);
  }

  template <class F, class E>
  FILLWIRE_INLINE static DecodeError read_kind(detail::KindTag<FieldKind::enumeration>,
                                               od::value& v, F f, E& out) noexcept {
    std::string_view s;
    if (auto err = read_string(v, f, s)) return err;
    return enum_from(s, WireNames::of(out), out) ? DecodeError{} : fail(DecodeErrc::bad_enum, f);
  }

  template <class F>
  FILLWIRE_INLINE static DecodeError read_kind(detail::KindTag<FieldKind::real>, od::value& v, F f,
                                               double& out) noexcept {
    const auto ec = v.get_double().get(out);
    if (ec) return number_error(v, ec, f);
    const std::string_view tok = v.raw_json_token();
    if (tok.size() > 20 && !reread_long_decimal(tok, out)) return fail(DecodeErrc::out_of_range, f);
    return {};
  }

  template <class F>
  FILLWIRE_INLINE static DecodeError read_kind(detail::KindTag<FieldKind::count>, od::value& v, F f,
                                               std::uint32_t& out) noexcept {
    std::int64_t n = 0;
    if (const auto ec = v.get_int64().get(n)) return number_error(v, ec, f);
    if (n < 0 || n > std::numeric_limits<std::uint32_t>::max()) {
      return fail(DecodeErrc::out_of_range, f);
    }
    out = static_cast<std::uint32_t>(n);
    return {};
  }

  template <class F>
  FILLWIRE_INLINE static DecodeError read_kind(detail::KindTag<FieldKind::millis>, od::value& v,
                                               F f, std::int64_t& out) noexcept {
    const auto ec = v.get_int64().get(out);
    return ec ? number_error(v, ec, f) : DecodeError{};
  }

  template <class F>
  FILLWIRE_INLINE static DecodeError read_kind(detail::KindTag<FieldKind::flag>, od::value& v, F f,
                                               std::uint8_t& out) noexcept {
    bool b = false;
    if (const auto ec = v.get_bool().get(b)) return fail(map_error(ec), f);
    out = b ? 1 : 0;
    return {};
  }

  // Never too long: a long identifier is cut, flagged and hashed whole (client_id.hpp).
  template <class F>
  FILLWIRE_INLINE static DecodeError read_kind(detail::KindTag<FieldKind::client_id>, od::value& v,
                                               F f, ClientId& out) noexcept {
    std::string_view s;
    if (auto err = read_string(v, f, s)) return err;
    out.assign(s);
    return {};
  }

  static constexpr std::uint32_t bit_of(Field f) noexcept { return field_bit(f); }
  static constexpr std::uint32_t bit_of(AssetField f) noexcept { return asset_field_bit(f); }

  // Reads field `f` of `e` (an OrderEvent, an AssetEvent's frame fields or an AssetItem). Returns
  // the error; sets the presence bit only for a non-null value that parsed. The `assets` list is
  // read by its own loop (decode_asset_object).
  template <class F, class Event>
  FILLWIRE_INLINE static DecodeError read_field(F f, od::value& v, Event& e) noexcept {
    // null == absent for every field; the required-field check comes at the end of the object.
    bool is_null = false;
    if (v.is_null().get(is_null) != simdjson::SUCCESS) is_null = false;
    if (is_null) return {};
    DecodeError err;
    detail::visit_field(
        f, e, [&](auto kind, auto& out) __attribute__((always_inline)) {
          if constexpr (decltype(kind)::kind != FieldKind::asset_list) {
            err = read_kind(kind, v, f, out);
          }
        });
    if (!err) e.present |= bit_of(f);
    return err;
  }

  // A key's text: its bytes up to the closing quote (the padded buffer guarantees one exists to
  // read), or, rarely, unescaped into the parser's string buffer. False when it cannot be read.
  FILLWIRE_INLINE static bool key_text(od::field& fld, std::string_view& key) noexcept {
    const char* p = fld.key().raw();
    std::size_t len = 0;
    while (p[len] != '"') {
      if (p[len] == '\\') return fld.unescaped_key().get(key) == simdjson::SUCCESS;
      ++len;
    }
    key = {p, len};
    return true;
  }

  // Matches a key against the prediction, then the name index. Field::none for an unknown key,
  // whose text is then left in `unknown`.
  FILLWIRE_INLINE Field match_key(od::field& fld, std::size_t prev, DecoderStats& stats,
                                  std::string_view& unknown) noexcept {
    const od::raw_json_string raw = fld.key();
    const Field predicted = order.next(prev);
    if (predicted != Field::none) {
      const auto& names = order.simple() ? kSimpleNames : kDefaultNames;
      if (raw.unsafe_is_equal(names[static_cast<std::size_t>(predicted)])) return predicted;
    }
    ++stats.order_misses;
    if (!key_text(fld, unknown)) return Field::none;
    const auto* entry = kNameIndex.find(unknown);
    if (entry == nullptr) return Field::none;
    order.learn(prev, entry->field, entry->simple);  // this field follows `prev`
    return entry->field;
  }

  // A myAsset key: a frame field (item == false) or an element's field, compared first with
  // `predicted` (the table's next field, in the name form last seen), then looked up by name.
  // AssetField::none for an unknown key, or one of the other level.
  FILLWIRE_INLINE AssetField match_asset_key(od::field& fld, AssetField predicted,
                                             bool item) noexcept {
    if (predicted < AssetField::count_ && detail::is_item_field(predicted) == item) {
      const auto& names = asset_simple ? kAssetSimpleNames : kAssetDefaultNames;
      if (fld.key().unsafe_is_equal(names[static_cast<std::size_t>(predicted)])) return predicted;
    }
    std::string_view key;
    if (!key_text(fld, key)) return AssetField::none;
    const auto* entry = kAssetNameIndex.find(key);
    if (entry == nullptr || detail::is_item_field(entry->field) != item) return AssetField::none;
    asset_simple = entry->simple;
    return entry->field;
  }
  static constexpr AssetField next_field(AssetField f) noexcept {
    return static_cast<AssetField>(static_cast<std::size_t>(f) + 1);
  }

  // Clears everything the wire fills; seq and recv_ts belong to the producer.
  static void clear_wire_fields(OrderEvent& e) noexcept {
    fillwire::clear_wire_fields(e);
    e.kind = EventKind::order;
    e.origin = EventOrigin::stream;
  }

  // The fast path for a flat object frame; false hands the frame to the general path.
  bool try_fast(const char* data, std::size_t size, EventSink& sink, DecoderStats& stats,
                FrameResult& r) noexcept {
    OrderEvent& e = sink.claim();
    clear_wire_fields(e);
    detail::FlatScanner scanner(order);
    if (!scanner.scan(data, data + size, e)) return false;
    if (scanner.seen == 0 || (kRequiredFields & ~e.present) != 0) return false;
    stats.unknown_keys += scanner.unknown_keys;
    stats.order_misses += scanner.misses;
    ++stats.fast_frames;
    sink.publish();
    r.kind = FrameKind::order;
    r.events = 1;
    return true;
  }

  ObjectResult decode_object(od::object& obj, OrderEvent& e, DecoderStats& stats) noexcept {
    clear_wire_fields(e);

    std::uint32_t seen = 0;
    std::uint64_t unknown_keys = 0;  // counted once the object is known to be a myOrder one
    std::size_t prev = kStart;
    for (auto result : obj) {
      od::field fld;
      if (const auto ec = std::move(result).get(fld)) {
        stats.unknown_keys += unknown_keys;
        return {fail(map_error(ec), Field::none), seen != 0, false};
      }
      std::string_view unknown;
      const Field f = match_key(fld, prev, stats, unknown);
      if (f == Field::none) {
        if ((seen & field_bit(Field::type)) == 0 && is_asset_frame_key(unknown)) {
          return {{}, false, true};  // a myAsset frame
        }
        ++unknown_keys;  // skipped: On-Demand steps over the unread value
        continue;
      }
      const std::uint32_t bit = field_bit(f);
      if (seen & bit) {
        stats.unknown_keys += unknown_keys;
        return {fail(DecodeErrc::duplicate_field, f), true, false};
      }
      seen |= bit;
      prev = static_cast<std::size_t>(f);
      if (auto err = read_field(f, fld.value(), e)) {
        stats.unknown_keys += unknown_keys;
        return {err, true, false};
      }
      if (f == Field::type && e.type_known == kTypeIsAsset) return {{}, false, true};
    }
    stats.unknown_keys += unknown_keys;
    if (seen == 0) return {fail(DecodeErrc::unknown_frame, Field::none), false, false};
    const std::uint32_t missing = kRequiredFields & ~e.present;
    if (missing != 0) {
      return {fail(DecodeErrc::missing_field, Field(std::countr_zero(missing))), true, false};
    }
    return {{}, true, false};
  }

  // --- one myAsset object -> its AssetEvents -----------------------------------------------

  // One element of `assets` into `item`, checked whole. Not inlined into its caller: its loop
  // keeps simdjson's iterators in registers (see decode_object).
  [[gnu::noinline]] DecodeError read_item(od::object& obj, detail::AssetItem& item,
                                          std::int32_t index,
                                          std::uint64_t& unknown_keys) noexcept {
    item = detail::AssetItem{};
    std::uint32_t seen = 0;
    AssetField predicted = detail::kFirstAssetItemField;
    for (auto result : obj) {
      od::field fld;
      if (const auto ec = std::move(result).get(fld)) {
        return fail(map_error(ec), AssetField::none, index);
      }
      const AssetField f = match_asset_key(fld, predicted, /*item=*/true);
      if (f == AssetField::none) {
        ++unknown_keys;
        continue;
      }
      predicted = next_field(f);
      if (seen & asset_field_bit(f)) return fail(DecodeErrc::duplicate_field, f, index);
      seen |= asset_field_bit(f);
      if (auto err = read_field(f, fld.value(), item)) {
        err.asset_index = index;
        return err;
      }
    }
    const std::uint32_t missing = kRequiredAssetFields & detail::kAssetItemBits & ~item.present;
    if (missing != 0) {
      return fail(DecodeErrc::missing_field, AssetField(std::countr_zero(missing)), index);
    }
    return {};
  }

  // The elements of `assets` into items[0 .. count), each checked whole. The list is read here,
  // not published: nothing of a frame is published before all of it has been read.
  FILLWIRE_INLINE DecodeError read_assets(od::value& v, AssetEvent& frame,
                                          std::uint64_t& unknown_keys) noexcept {
    od::array arr;
    if (const auto ec = v.get_array().get(arr)) return fail(map_error(ec), AssetField::assets);
    std::size_t n = 0;
    for (auto element : arr) {
      const auto index = static_cast<std::int32_t>(n);
      if (n == item_capacity) return fail(DecodeErrc::out_of_range, AssetField::assets, index);
      od::object obj;
      if (const auto ec = element.get_object().get(obj)) {
        return fail(ec == simdjson::INCORRECT_TYPE ? DecodeErrc::not_an_object : map_error(ec),
                    AssetField::assets, index);
      }
      if (auto err = read_item(obj, items[n], index, unknown_keys)) return err;
      ++n;
    }
    if (n == 0) return fail(DecodeErrc::missing_field, AssetField::assets);  // nothing to apply
    frame.count = static_cast<std::uint16_t>(n);
    return {};
  }

  // Reads a whole myAsset object into asset_frame and items; publishes nothing.
  DecodeError decode_asset_object(od::object& obj, DecoderStats& stats) noexcept {
    if (const auto ec = obj.reset().error()) return fail(map_error(ec), AssetField::none);
    AssetEvent& frame = asset_frame;
    frame = make_asset_event(EventOrigin::stream);
    std::uint32_t seen = 0;
    std::uint64_t unknown_keys = 0;
    DecodeError err;
    AssetField predicted = AssetField::type;
    for (auto result : obj) {
      od::field fld;
      if (const auto ec = std::move(result).get(fld)) {
        err = fail(map_error(ec), AssetField::none);
        break;
      }
      const AssetField f = match_asset_key(fld, predicted, /*item=*/false);
      if (f == AssetField::none) {
        ++unknown_keys;
        continue;
      }
      predicted = next_field(f);
      if (seen & asset_field_bit(f)) {
        err = fail(DecodeErrc::duplicate_field, f);
        break;
      }
      seen |= asset_field_bit(f);
      od::value v = fld.value();
      if (f == AssetField::assets) {
        bool is_null = false;
        if (v.is_null().get(is_null) != simdjson::SUCCESS) is_null = false;
        if (is_null) continue;  // absent: missing_field below
        err = read_assets(v, frame, unknown_keys);
        if (!err) frame.present |= asset_field_bit(f);
      } else {
        err = read_field(f, v, frame);
      }
      if (err) break;
    }
    stats.unknown_keys += unknown_keys;
    if (err) return err;
    const std::uint32_t missing = kRequiredAssetFields & ~detail::kAssetItemBits & ~frame.present;
    if (missing != 0) return fail(DecodeErrc::missing_field, AssetField(std::countr_zero(missing)));
    return {};
  }

  // Publishes the frame read by decode_asset_object: one event per element, in order.
  std::uint32_t publish_assets(EventSink& sink) noexcept {
    for (std::uint16_t i = 0; i < asset_frame.count; ++i) {
      AssetEvent a = asset_frame;
      detail::apply_item(items[i], a);
      a.index = i;
      store_asset(sink.claim(), a);
      sink.publish();
    }
    return asset_frame.count;
  }

  // --- frame-level --------------------------------------------------------------------------

  static void read_status(od::value v, FrameResult& r) noexcept {
    std::string_view s;
    if (const auto ec = v.get_string().get(s)) {
      r.error = fail(map_error(ec), Field::none);
    } else if (!r.status.assign(s)) {
      r.error = fail(DecodeErrc::too_long, Field::none);
    }
  }

  // For display only (server error texts): keeps what fits and flags the cut.
  template <std::size_t N>
  static void copy_cut(std::string_view text, FixedString<N>& out, bool& truncated) noexcept {
    const std::size_t n = std::min(text.size(), N);
    std::memcpy(out.data, text.data(), n);
    out.length = static_cast<std::uint8_t>(n);
    if (n < text.size()) truncated = true;
  }

  static void read_server_error(od::value v, FrameResult& r) noexcept {
    od::object err;
    if (const auto ec = v.get_object().get(err)) {
      r.error = fail(map_error(ec), Field::none);
      return;
    }
    r.server_error.name.clear();
    r.server_error.message.clear();
    r.server_error.truncated = false;
    for (auto result : err) {
      od::field fld;
      std::string_view key;
      std::string_view value;
      if (std::move(result).get(fld) || fld.unescaped_key().get(key)) {
        r.error = fail(DecodeErrc::malformed_json, Field::none);
        return;
      }
      if (key != "name" && key != "message") continue;
      if (fld.value().get_string().get(value)) continue;  // non-string: leave empty
      if (key == "name") {
        copy_cut(value, r.server_error.name, r.server_error.truncated);
      } else {
        copy_cut(value, r.server_error.message, r.server_error.truncated);
      }
    }
  }

  // A status or error frame leads with its only key; anything else is decoded as an event into a
  // claimed slot, which the caller publishes (`decoded`) once the frame is known to end cleanly,
  // or as a myAsset frame, read whole and published by the caller (`asset_read`) likewise.
  FrameResult decode_top_object(od::object& obj, EventSink& sink, DecoderStats& stats,
                                bool& decoded, bool& asset_read) noexcept {
    FrameResult r;
    for (auto result : obj) {
      // Peek at the first key only; decode_object() restarts from the first field.
      od::field first;
      if (const auto ec = std::move(result).get(first)) {
        r.error = fail(map_error(ec), Field::none);
        return r;
      }
      const auto key = first.key();
      if (key.unsafe_is_equal("status")) {
        r.kind = FrameKind::status;
        read_status(first.value(), r);
        ++stats.status_frames;
        return r;
      }
      if (key.unsafe_is_equal("error")) {
        r.kind = FrameKind::error;
        read_server_error(first.value(), r);
        ++stats.error_frames;
        return r;
      }
      break;
    }
    if (const auto ec = obj.reset().error()) {
      r.error = fail(map_error(ec), Field::none);
      return r;
    }
    OrderEvent& e = sink.claim();
    const auto res = decode_object(obj, e, stats);
    if (res.asset) {
      r.kind = FrameKind::asset;
      r.error = decode_asset_object(obj, stats);
      asset_read = !r.error;
      return r;
    }
    r.kind = res.order_like ? FrameKind::order : FrameKind::other;
    r.error = res.error;
    decoded = !r.error;
    if (decoded && e.identifier.cut()) r.identifiers_cut = 1;
    return r;
  }

  // Each element is its own event (a myAsset element: its events, all or none); a bad element is
  // reported and skipped, the others published.
  FrameResult decode_list(od::array& arr, EventSink& sink, DecoderStats& stats) noexcept {
    FrameResult r;
    bool orders = false;
    bool assets = false;
    std::uint32_t index = 0;
    for (auto element : arr) {
      DecodeError err;
      od::object obj;
      if (const auto ec = element.get_object().get(obj)) {
        err = fail(ec == simdjson::INCORRECT_TYPE ? DecodeErrc::not_an_object : map_error(ec),
                   Field::none);
      } else {
        OrderEvent& e = sink.claim();
        const auto res = decode_object(obj, e, stats);
        if (res.asset) {
          assets = true;
          err = decode_asset_object(obj, stats);
          if (!err) {
            const std::uint32_t n = publish_assets(sink);
            r.events += n;
            r.asset_events += n;
            ++r.asset_frames;
          }
        } else {
          orders = true;
          err = res.error;
          if (!err) {
            if (e.identifier.cut()) ++r.identifiers_cut;
            sink.publish();
            ++r.events;
          }
        }
      }
      if (err) {
        err.element = index;
        if (r.error.ok()) r.error = err;
        ++r.rejected;
        // Past a syntax error the rest of the frame cannot be trusted: stop there.
        if (err.code == DecodeErrc::malformed_json || err.code == DecodeErrc::invalid_utf8) break;
      }
      ++index;
    }
    r.kind = assets && !orders ? FrameKind::asset : FrameKind::order;
    return r;
  }

  // Whether a lone top-level scalar is valid JSON, judged on its own text (simdjson's checks of
  // root scalars vary with build options, and this is the cold path).
  static bool valid_scalar(od::document& doc, od::json_type type) noexcept {
    std::string_view tok;
    if (doc.raw_json_token().get(tok) != simdjson::SUCCESS) return false;
    while (!tok.empty() &&
           (tok.back() == ' ' || tok.back() == '\n' || tok.back() == '\r' || tok.back() == '\t')) {
      tok.remove_suffix(1);
    }
    switch (type) {
      case od::json_type::null:
        return tok == "null";
      case od::json_type::boolean:
        return tok == "true" || tok == "false";
      case od::json_type::number:
        return looks_like_number(tok);
      case od::json_type::string:
        return doc.get_string().error() == simdjson::SUCCESS;
      default:
        return false;
    }
  }

  FrameResult decode(const char* data, std::size_t size, EventSink& sink, bool allow_list,
                     std::size_t max_frame, DecoderStats& stats) noexcept {
    FrameResult r;
    if (size > max_frame) {
      r.error = fail(DecodeErrc::frame_too_large, Field::none);
      return r;
    }
    // Fast path: a frame of the exchange's flat shape needs no structural index.
    if (fast_path && try_fast(data, size, sink, stats, r)) {
      return r;
    }
    od::document doc;
    od::json_type type{};
    if (const auto ec = parser.iterate(data, size, size + kFramePadding).get(doc)) {
      r.error = fail(map_error(ec), Field::none);
      return r;
    }
    if (const auto ec = doc.type().get(type)) {
      r.error = fail(map_error(ec), Field::none);
      return r;
    }
    bool decoded = false;     // an object frame's event, claimed and filled, not yet published
    bool asset_read = false;  // a myAsset object frame, read whole, not yet published
    if (type == od::json_type::object) {
      od::object obj;
      if (const auto ec = doc.get_object().get(obj)) {
        r.error = fail(map_error(ec), Field::none);
        return r;
      }
      r = decode_top_object(obj, sink, stats, decoded, asset_read);
    } else if (type == od::json_type::array) {
      if (!allow_list) {
        r.error = fail(DecodeErrc::unexpected_list, Field::none);
        return r;
      }
      od::array arr;
      if (const auto ec = doc.get_array().get(arr)) {
        r.error = fail(map_error(ec), Field::none);
        return r;
      }
      r = decode_list(arr, sink, stats);
    } else {
      // A lone scalar: well-formed (`42`, `"x"`, `null`) is not_an_object; `nope` is not JSON.
      r.error =
          fail(valid_scalar(doc, type) ? DecodeErrc::not_an_object : DecodeErrc::malformed_json,
               Field::none);
      return r;
    }
    // A frame that decoded cleanly must also end cleanly: `{...} trailing` is not one message,
    // and its event is not published. In a list frame the elements before the junk were
    // published (as before any syntax error); the junk counts as one rejected part.
    if (r.error.ok() && r.kind != FrameKind::status && r.kind != FrameKind::error &&
        doc.current_location().error() != simdjson::OUT_OF_BOUNDS) {
      r.error = fail(DecodeErrc::malformed_json, Field::none);
      if (type == od::json_type::array) {
        r.error.element = r.events - r.asset_events + r.asset_frames + r.rejected;  // objects
        ++r.rejected;
      }
      decoded = false;
      asset_read = false;
      if (type == od::json_type::object) r.identifiers_cut = 0;  // nothing published
    }
    if (decoded) {
      sink.publish();
      r.events = 1;
    }
    if (asset_read) {
      if (!allow_list && asset_frame.count > 1) {
        r.error = fail(DecodeErrc::unexpected_list, AssetField::assets);  // one slot, several
      } else {
        r.events = r.asset_events = publish_assets(sink);
        r.asset_frames = 1;
      }
    }
    return r;
  }
};

namespace {
// Single-slot sink for the one-event overload.
struct SlotSink {
  OrderEvent* slot;
  OrderEvent& claim() noexcept { return *slot; }
  void publish() noexcept {}
};
}  // namespace

Decoder::Decoder(std::size_t max_frame_bytes) : max_frame_(max_frame_bytes) {
  // On-Demand runs the kernel chosen at compile time (FILLWIRE_ISA): refuse a CPU that lacks it
  // with a clear message instead of dying on an illegal instruction in the first frame.
  const auto* builtin = simdjson::builtin_implementation();
  if (!builtin->supported_by_runtime_system()) {
    throw std::runtime_error(std::string("fillwire: this build needs a CPU with the '") +
                             builtin->name() +
                             "' instruction set; rebuild with -DFILLWIRE_ISA=generic or native");
  }
  impl_ = std::make_unique<Impl>(max_frame_bytes);
  // Size every internal buffer now, so that decode() never allocates.
  if (const auto ec = impl_->parser.allocate(max_frame_bytes)) {
    throw std::runtime_error(std::string("fillwire: cannot allocate decoder: ") +
                             simdjson::error_message(ec));
  }
}

Decoder::~Decoder() = default;

void Decoder::account(const FrameResult& r) noexcept {
  ++stats_.frames;
  stats_.events += r.events;
  stats_.asset_frames += r.asset_frames;
  stats_.asset_events += r.asset_events;
  stats_.identifiers_cut += r.identifiers_cut;
  if (r.error) {
    ++stats_.failed_frames;
    ++stats_.by_error[static_cast<std::size_t>(r.error.code)];
  }
}

void Decoder::set_fast_path(bool enabled) noexcept {
  impl_->fast_path = enabled;
}

FrameResult Decoder::decode(const char* data, std::size_t size, EventSink sink) noexcept {
  const FrameResult r = impl_->decode(data, size, sink, /*allow_list=*/true, max_frame_, stats_);
  account(r);
  return r;
}

FrameResult Decoder::decode(const char* data, std::size_t size, OrderEvent& out) noexcept {
  SlotSink slot{&out};
  EventSink sink{slot};
  const FrameResult r = impl_->decode(data, size, sink, /*allow_list=*/false, max_frame_, stats_);
  account(r);
  return r;
}

}  // namespace fillwire
