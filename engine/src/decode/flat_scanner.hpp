#pragma once
// FlatScanner: the decoder's fast path for what the exchange actually sends — one flat JSON object
// whose values are strings without escapes, plain numbers, true/false/null. It reads the bytes
// directly (no structural index), matching each key against the learned field order first, and
// checks UTF-8 only where free text can carry it (see read_string).
//
// It is speculative: anything outside that shape (escapes, nested values, odd numbers, a status,
// error or myAsset frame, any syntax error) makes it give up, and the general On-Demand path decodes the frame
// instead and names the precise error. So the fast path never decides an error; it only accepts
// frames it fully understood, with exactly the result the general path gives (a test checks this
// on shuffled and mutated frames).
//
// Numbers: flat_number.hpp (exact, correctly rounded doubles).

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <span>
#include <string_view>
#include <type_traits>

#include <simdjson.h>

#if defined(__SSE2__)
#include <immintrin.h>
#endif

#include "field_visit.hpp"
#include "fillwire/decoder.hpp"
#include "flat_number.hpp"

namespace fillwire::detail {

// A name of at most 16 bytes as two little-endian words and masks, so that "is the text at p this
// name followed by a quote?" is two loads, two masked compares and one byte check — no loop, no
// memcmp call. Reading 16 bytes at p is safe: frames carry kFramePadding readable bytes.
struct PackedName {
  std::uint64_t word[2]{};
  std::uint64_t mask[2]{};
  std::uint8_t length{};

  constexpr PackedName() = default;
  constexpr explicit PackedName(std::string_view name)
      : length(static_cast<std::uint8_t>(name.size())) {
    for (std::size_t i = 0; i < name.size() && i < 16; ++i) {
      word[i / 8] |= std::uint64_t{static_cast<unsigned char>(name[i])} << (8 * (i % 8));
      mask[i / 8] |= std::uint64_t{0xFF} << (8 * (i % 8));
    }
  }

  // True if p holds exactly this name and then a closing quote.
  [[gnu::always_inline]] bool at(const char* p) const noexcept {
    std::uint64_t a;
    std::uint64_t b;
    std::memcpy(&a, p, 8);
    std::memcpy(&b, p + 8, 8);
    return ((a & mask[0]) == word[0]) & ((b & mask[1]) == word[1]) & (p[length] == '"');
  }
};
static_assert(kFramePadding >= 16, "PackedName::at reads 16 bytes from inside the frame.");

// What the scanner does with a field, in one entry per field (64 bytes, one cache line): its key
// as it stands in a frame without white space, `"name":` (at most 19 bytes), and where its value
// goes. "Is this key next?" is one 32-byte compare (AVX2; masked 8-byte compares without it),
// which covers the quotes and the colon too; the rest of the field's work reads the same entry.
struct FieldStep {
  enum Number : std::uint8_t { other, real, millis };  // how the value is read

  alignas(32) char text[32]{};
  std::uint32_t need{};    // the bits of `text` that must match (the pattern's length)
  std::uint32_t bit{};     // field_bit(field)
  std::uint16_t offset{};  // of a number's member in OrderEvent
  std::uint8_t length{};   // of the whole pattern, quotes and colon included
  Number number = other;
  Field field = Field::none;
  // In a decoder's LearnedOrder: the step of the field that followed this one (nullptr: none).
  const FieldStep* next = nullptr;

  constexpr FieldStep() = default;
  constexpr FieldStep(std::string_view name, std::size_t index)
      : need(static_cast<std::uint32_t>((std::uint64_t{1} << (name.size() + 3)) - 1)),
        bit(field_bit(static_cast<Field>(index))),
        offset(kFieldOffsets[index]),
        length(static_cast<std::uint8_t>(name.size() + 3)),
        number(kOrderFields[index].kind == FieldKind::real     ? real
               : kOrderFields[index].kind == FieldKind::millis ? millis
                                                               : other),
        field(static_cast<Field>(index)) {
    text[0] = '"';
    for (std::size_t i = 0; i < name.size() && i < 29; ++i)
      text[i + 1] = name[i];
    text[name.size() + 1] = '"';
    text[name.size() + 2] = ':';
  }

  // True if p holds this field's key, quotes and colon included.
  [[gnu::always_inline]] bool at(const char* p) const noexcept {
#if defined(__AVX2__)
    const __m256i bytes = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
    const __m256i same =
        _mm256_cmpeq_epi8(bytes, _mm256_load_si256(reinterpret_cast<const __m256i*>(text)));
    return (~static_cast<std::uint32_t>(_mm256_movemask_epi8(same)) & need) == 0;
#else
    std::uint64_t diff = 0;
    for (std::size_t w = 0; w * 8 < length; ++w) {
      std::uint64_t a;
      std::uint64_t b;
      std::memcpy(&a, p + 8 * w, 8);
      std::memcpy(&b, text + 8 * w, 8);
      const std::size_t bytes = length - w * 8;  // of this word that belong to the pattern
      diff |= (a ^ b) & (bytes >= 8 ? ~std::uint64_t{0} : (std::uint64_t{1} << (8 * bytes)) - 1);
    }
    return diff == 0;
#endif
  }
};
static_assert(sizeof(FieldStep) == 64, "One field's step is one cache line.");
static_assert(kFramePadding >= 32, "FieldStep::at reads 32 bytes from inside the frame.");
static_assert(kFramePadding >= 34, "read_double may read 33 bytes past the frame's end.");

// One T (PackedName) per name of a table, built from the name, indexed as the table.
template <class T, std::size_t N>
constexpr auto table_of(std::span<const std::string_view, N> names) {
  struct Table {
    T entry[N];
  } t{};
  for (std::size_t i = 0; i < N; ++i)
    t.entry[i] = T(names[i]);
  return t;
}
// The fields' steps in each name form, indexed by Field.
template <std::size_t N>
constexpr auto steps_of(std::span<const std::string_view, N> names) {
  struct Table {
    FieldStep entry[N];
  } t{};
  for (std::size_t i = 0; i < N; ++i)
    t.entry[i] = FieldStep(names[i], i);
  return t;
}
inline constexpr auto kDefaultSteps = steps_of(std::span(kDefaultNames));
inline constexpr auto kSimpleSteps = steps_of(std::span(kSimpleNames));
static_assert(
    [] {
      for (const auto& k : kDefaultSteps.entry)
        if (k.length > 32) return false;
      for (const auto& k : kSimpleSteps.entry)
        if (k.length > 32) return false;
      return true;
    }(),
    "Every key pattern fits 32 bytes.");
// The wire spellings of enum E (WireNames), packed.
template <class E>
inline constexpr auto kPackedEnum = table_of<PackedName>(std::span(WireNames::of(E{})));

// The field order the decoder has learned, as a chain of its own copies of the steps: field f's
// step points to the step of the field that followed f in the last object (nullptr: none learned
// yet), and start() to the first field's. The scanner goes from one field to the next through that
// pointer, with the step it just took as its only state. The copies carry the keys in the name
// form simple() says; the general path reads and teaches the same order (next(), learn()).
class LearnedOrder {
 public:
  LearnedOrder() noexcept {
    copy_keys();
    for (std::size_t f = 0; f < kFieldCount; ++f)
      step_[f].next = f + 1 < kFieldCount ? &step_[f + 1] : nullptr;
    step_[kFieldCount].field = Field::count_;
    step_[kFieldCount].next = &step_[static_cast<std::size_t>(Field::type)];
  }
  LearnedOrder(const LearnedOrder&) = delete;  // the chain points into this object
  LearnedOrder& operator=(const LearnedOrder&) = delete;

  // The field that followed `prev` (kFieldCount: the first field); Field::none if none learned.
  Field next(std::size_t prev) const noexcept {
    const FieldStep* s = step_[prev].next;
    return s == nullptr ? Field::none : s->field;
  }
  bool simple() const noexcept { return simple_; }
  // The step before the first field: its `field` is Field::count_ (kFieldCount as an index).
  const FieldStep* start() const noexcept { return &step_[kFieldCount]; }

  // `f` (in the name form `simple`) followed `prev`.
  void learn(std::size_t prev, Field f, bool simple) noexcept {
    step_[prev].next = f == Field::none ? nullptr : &step_[static_cast<std::size_t>(f)];
    if (simple != simple_) {
      simple_ = simple;
      copy_keys();
    }
  }

 private:
  // Everything but the chain, from the name form's table.
  void copy_keys() noexcept {
    const auto& table = simple_ ? kSimpleSteps : kDefaultSteps;
    for (std::size_t f = 0; f < kFieldCount; ++f) {
      const FieldStep* const next = step_[f].next;
      step_[f] = table.entry[f];
      step_[f].next = next;
    }
  }

  FieldStep step_[kFieldCount + 1];
  bool simple_ = false;
};

class FlatScanner {
 public:
  // `order` is the decoder's learned field order, updated as keys are matched.
  explicit FlatScanner(LearnedOrder& order) noexcept : order_(order) {}

  // Decodes [p, end) into `e` (already cleared). Returns false to hand the frame to the general
  // path. On success `seen`, `unknown_keys` and `misses` describe what was read.
  //
  // Per field, the usual case is: the predicted key's pattern matches (quotes and colon
  // included), a number is read inline through the field's offset, a comma follows. White space
  // anywhere, or an unpredicted key, takes the careful key reader instead, for that key.
  [[gnu::always_inline]] inline bool scan(const char* p, const char* end, OrderEvent& e) noexcept {
    p = skip_ws(p, end);
    if (p == end || *p != '{') return false;
    p = skip_ws(p + 1, end);
    if (p < end && *p == '}') return false;  // empty object: let the general path name it
    // The loop's state is local: the fields seen and the step just taken (the presence bits are
    // the fields seen less the null ones, written to `e` once, at the end). Kept in members or in
    // `e`, each field would wait on the store of the one before it.
    std::uint32_t seen_bits = 0;
    std::uint32_t nulls = 0;                 // fields whose value was null: seen, but not present
    const FieldStep* last = order_.start();  // the field just read
    for (;;) {
      const FieldStep* step = last->next;  // the predicted field's
      if (step != nullptr && step->at(p)) {
        p += step->length;
      } else {
        std::string_view k;
        if (!read_key(p, end, k)) return false;
        const auto prev = static_cast<std::size_t>(last->field);
        const Field f = match(k, prev);
        if (f == Field::none) {
          if (prev == kFieldCount && (k == "status" || k == "error")) return false;
          // A myAsset frame (its keys before any `type`): the general path reads it.
          if ((seen_bits & field_bit(Field::type)) == 0 && asset_frame_key(k)) return false;
          ++unknown_keys;
          p = skip_ws(p, end);
          if (p >= end || !skip_scalar(p, end)) return false;
          step = nullptr;
        } else {
          step = last->next;  // match() has learned that f follows prev
        }
      }
      if (step != nullptr) {
        p = skip_ws(p, end);
        if (p >= end) return false;
        const std::uint32_t bit = step->bit;
        if (seen_bits & bit) return false;  // duplicate: the general path reports it
        seen_bits |= bit;
        last = step;
        // Most fields are numbers: read them here, inline, through the field's offset; the rest
        // (strings, enums, uuids, bool, count) go through read_value's switch. A value they do
        // not read leaves p where it was; null is then the only other value a field may have
        // (absent: no presence bit).
        const bool ok = step->number != FieldStep::other ? read_number(*step, p, end, e)
                                                         : read_value(step->field, p, end, e);
        if (!ok) {
          if (!literal(p, end, "null")) return false;
          nulls |= bit;
        }
      }
      p = skip_ws(p, end);
      if (p >= end) return false;
      if (*p == ',') {
        ++p;
        continue;
      }
      if (*p != '}') return false;
      ++p;
      break;
    }
    seen = seen_bits;
    e.present |= seen_bits & ~nulls;
    return skip_ws(p, end) == end;
  }

  std::uint32_t seen = 0;
  std::uint64_t unknown_keys = 0;
  std::uint64_t misses = 0;

 private:
  // The exchange sends no white space, so the common case is one compare: every JSON white-space
  // byte is <= ' ', every byte that may follow it is above. *p is readable even at `end` (padding).
  [[gnu::always_inline]] static const char* skip_ws(const char* p, const char* end) noexcept {
    if (static_cast<unsigned char>(*p) > ' ') return p;
    while (p < end && (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t'))
      ++p;
    return p;
  }

  // A key read carefully: white space before it, its text (no escapes, which the general path
  // reads; no raw control characters, as in any JSON string; valid UTF-8), white space and the
  // colon after it. p is left after the colon.
  static bool read_key(const char*& p, const char* end, std::string_view& key) noexcept {
    p = skip_ws(p, end);
    if (p >= end || !read_string(p, end, key)) return false;
    p = skip_ws(p, end);
    if (p >= end || *p != ':') return false;
    ++p;
    return true;
  }

  Field match(std::string_view k, std::size_t prev) noexcept;  // defined in decoder.cpp
  static bool asset_frame_key(std::string_view k) noexcept;    // defined in decoder.cpp

  // A string without escapes or control characters; p is on the opening quote.
  //
  // Free text (strings, unknown keys) is the only place a non-ASCII byte can pass the fast path:
  // everything else it accepts is ASCII by construction. So instead of validating the whole frame,
  // it validates these, and only when they are not plain ASCII (the usual case).
  static bool read_string(const char*& p, const char* end, std::string_view& out) noexcept {
    if (*p != '"') return false;
    const char* const text = ++p;
    bool ascii = true;
#if defined(__SSE2__)
    // 16 bytes at a time: where the first quote, backslash or control character stands, and
    // whether any byte before it has its high bit set.
    for (;;) {
      const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
      const __m128i stop =
          _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('"')),
                                    _mm_cmpeq_epi8(v, _mm_set1_epi8('\\'))),
                       _mm_cmpeq_epi8(_mm_min_epu8(v, _mm_set1_epi8(0x1F)), v));  // v <= 0x1F
      const auto stops = static_cast<unsigned>(_mm_movemask_epi8(stop));
      const auto high = static_cast<unsigned>(_mm_movemask_epi8(v));
      if (stops != 0) {
        const auto n = static_cast<unsigned>(std::countr_zero(stops));
        ascii = ascii && (high & ((1u << n) - 1)) == 0;
        p += n;
        break;
      }
      ascii = ascii && high == 0;
      p += 16;
      if (p >= end) return false;
    }
#else
    while (p < end && *p != '"' && *p != '\\' && static_cast<unsigned char>(*p) >= 0x20) {
      ascii = ascii && static_cast<unsigned char>(*p) < 0x80;
      ++p;
    }
#endif
    if (p >= end || *p != '"') return false;
    out = {text, static_cast<std::size_t>(p - text)};
    ++p;
    return ascii || simdjson::validate_utf8(out.data(), out.size());
  }

  static bool literal(const char*& p, const char* end, std::string_view word) noexcept {
    if (static_cast<std::size_t>(end - p) < word.size() ||
        std::memcmp(p, word.data(), word.size()) != 0) {
      return false;
    }
    p += word.size();
    return true;
  }

  // Unknown key's value: only scalars are skipped here; nested values go to the general path.
  static bool skip_scalar(const char*& p, const char* end) noexcept {
    std::string_view s;
    switch (*p) {
      case '"':
        return read_string(p, end, s);
      case 't':
        return literal(p, end, "true");
      case 'f':
        return literal(p, end, "false");
      case 'n':
        return literal(p, end, "null");
      default: {
        double d = 0;
        return read_double(p, end, d);
      }
    }
  }

  template <class E, class Table>
  static bool read_enum(const char*& p, const char* end, const Table& table, E& out) noexcept {
    if (*p != '"' || end - p < 2) return false;
    constexpr std::size_t n = std::extent_v<decltype(Table::entry)>;
    for (std::size_t i = 1; i < n; ++i) {
      if (table.entry[i].at(p + 1)) {
        out = static_cast<E>(i);
        p += table.entry[i].length + 2;
        return p <= end;
      }
    }
    return false;
  }

  // The 36-char form between quotes; Uuid::parse rejects any quote or backslash inside.
  static bool read_uuid(const char*& p, const char* end, Uuid& out) noexcept {
    if (*p != '"' || end - p < 38 || p[37] != '"') return false;
    if (!Uuid::parse(std::string_view(p + 1, 36), out)) return false;
    p += 38;
    return true;
  }

  // One reader per field kind (FieldKind), chosen by read_value's generated switch. `real` and
  // `millis` fields normally take scan()'s inline number path instead.
  static bool read_kind(KindTag<FieldKind::event_type>, const char*& p, const char* end,
                        std::uint8_t& out) noexcept {
    // The only accepted value, compared whole (quotes included); any other, or an escaped
    // spelling, goes to the general path, which names it.
    if (*p != '"') return false;
    ++p;
    if (!literal(p, end, kMyOrderType) || p >= end || *p != '"') return false;
    ++p;
    out = 1;
    return true;
  }
  template <std::size_t N>
  static bool read_kind(KindTag<FieldKind::text>, const char*& p, const char* end,
                        FixedString<N>& out) noexcept {
    std::string_view s;
    return read_string(p, end, s) && out.assign(s);
  }
  static bool read_kind(KindTag<FieldKind::uuid>, const char*& p, const char* end,
                        Uuid& out) noexcept {
    return read_uuid(p, end, out);
  }
  template <class E>
  static bool read_kind(KindTag<FieldKind::enumeration>, const char*& p, const char* end,
                        E& out) noexcept {
    return read_enum(p, end, kPackedEnum<E>, out);
  }
  [[gnu::always_inline]] static bool read_kind(KindTag<FieldKind::real>, const char*& p,
                                               const char* end, double& out) noexcept {
    return read_double(p, end, out);
  }
  static bool read_kind(KindTag<FieldKind::count>, const char*& p, const char* end,
                        std::uint32_t& out) noexcept {
    std::int64_t n = 0;
    const bool ok = read_int(p, end, n) && n >= 0 && n <= std::numeric_limits<std::uint32_t>::max();
    out = static_cast<std::uint32_t>(n);
    return ok;
  }
  static bool read_kind(KindTag<FieldKind::millis>, const char*& p, const char* end,
                        std::int64_t& out) noexcept {
    return read_int(p, end, out);
  }
  static bool read_kind(KindTag<FieldKind::flag>, const char*& p, const char* end,
                        std::uint8_t& out) noexcept {
    // Each spelling compared as a constant (a choice between the two would call strlen and memcmp).
    out = *p == 't' ? 1 : 0;
    return out ? literal(p, end, "true") : literal(p, end, "false");
  }
  static bool read_kind(KindTag<FieldKind::client_id>, const char*& p, const char* end,
                        ClientId& out) noexcept {
    // A long identifier is cut (client_id.hpp) by the general path, which counts it.
    std::string_view s;
    if (!read_string(p, end, s) || s.size() > ClientId::kCapacity) return false;
    out.assign(s);
    return true;
  }

  // A number field's value into its member; false for anything else, null included (p is then
  // left where it was).
  [[gnu::always_inline]] static bool read_number(const FieldStep& step, const char*& p,
                                                 const char* end, OrderEvent& e) noexcept {
    const char* const value = p;
    char* const member = reinterpret_cast<char*>(&e) + step.offset;
    const bool ok = step.number == FieldStep::real
                        ? read_double(p, end, *reinterpret_cast<double*>(member))
                        : read_int(p, end, *reinterpret_cast<std::int64_t*>(member));
    if (!ok) p = value;
    return ok;
  }

  // A non-number field's value; false (p left where it was) for anything its reader does not
  // accept, null included.
  [[gnu::always_inline]] static bool read_value(Field f, const char*& p, const char* end,
                                                OrderEvent& e) noexcept {
    const char* const value = p;
    bool ok = false;
    visit_field(
        f, e, [&](auto kind, auto& out) __attribute__((always_inline)) {
          ok = read_kind(kind, p, end, out);
        });
    if (!ok) p = value;
    return ok;
  }

  LearnedOrder& order_;
};

}  // namespace fillwire::detail
