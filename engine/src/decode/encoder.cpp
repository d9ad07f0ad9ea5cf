#include "fillwire/encoder.hpp"

#include "field_visit.hpp"

#include <charconv>
#include <cmath>
#include <cstring>

namespace fillwire {
namespace {

// Appends into a fixed buffer; once anything fails to fit, every later write is a no-op and the
// caller sees ok() == false.
class Writer {
 public:
  Writer(char* out, std::size_t capacity) noexcept : p_(out), end_(out + capacity), begin_(out) {}

  void raw(std::string_view s) noexcept {
    if (!ok_ || static_cast<std::size_t>(end_ - p_) < s.size()) {
      ok_ = false;
      return;
    }
    std::memcpy(p_, s.data(), s.size());
    p_ += s.size();
  }

  // JSON string with the escapes RFC 8259 requires (quote, backslash, control characters).
  void string(std::string_view s) noexcept {
    raw("\"");
    for (const char c : s) {
      const auto u = static_cast<unsigned char>(c);
      if (c == '"' || c == '\\') {
        const char esc[2] = {'\\', c};
        raw({esc, 2});
      } else if (u < 0x20) {
        constexpr char kHex[] = "0123456789abcdef";
        const char esc[6] = {'\\', 'u', '0', '0', kHex[u >> 4], kHex[u & 0xF]};
        raw({esc, 6});
      } else {
        raw({&c, 1});
      }
    }
    raw("\"");
  }

  // Shortest text that reads back to exactly `v`. Fixed notation in the range the exchange uses
  // (it writes 100000000.0, not 1e+08); scientific outside it, where fixed would be long.
  void number(double v) noexcept {
    char buf[64];
    const double a = std::fabs(v);
    const auto fmt = (a == 0.0 || (a >= 1e-7 && a < 1e17)) ? std::chars_format::fixed
                                                           : std::chars_format::scientific;
    const auto res = std::to_chars(buf, buf + sizeof buf, v, fmt);
    if (res.ec != std::errc{}) {
      ok_ = false;
      return;
    }
    raw({buf, static_cast<std::size_t>(res.ptr - buf)});
  }

  void integer(std::int64_t v) noexcept {
    char buf[24];
    const auto res = std::to_chars(buf, buf + sizeof buf, v);
    raw({buf, static_cast<std::size_t>(res.ptr - buf)});
  }

  [[nodiscard]] bool ok() const noexcept { return ok_; }
  [[nodiscard]] std::size_t size() const noexcept { return static_cast<std::size_t>(p_ - begin_); }

 private:
  char* p_;
  char* end_;
  char* begin_;
  bool ok_ = true;
};

// One writer per field kind (FieldKind), chosen by encode's generated switch.
void write(Writer& w, detail::KindTag<FieldKind::event_type>, std::uint8_t) noexcept {
  w.string(kMyOrderType);
}
template <std::size_t N>
void write(Writer& w, detail::KindTag<FieldKind::text>, const FixedString<N>& v) noexcept {
  w.string(v.view());
}
void write(Writer& w, detail::KindTag<FieldKind::uuid>, const Uuid& v) noexcept {
  char text[Uuid::kTextSize];
  v.format(text);
  w.string({text, Uuid::kTextSize});
}
template <class E>
void write(Writer& w, detail::KindTag<FieldKind::enumeration>, E v) noexcept {
  w.string(to_string(v));
}
void write(Writer& w, detail::KindTag<FieldKind::real>, double v) noexcept {
  w.number(v);
}
void write(Writer& w, detail::KindTag<FieldKind::count>, std::uint32_t v) noexcept {
  w.integer(v);
}
void write(Writer& w, detail::KindTag<FieldKind::millis>, std::int64_t v) noexcept {
  w.integer(v);
}
void write(Writer& w, detail::KindTag<FieldKind::flag>, std::uint8_t v) noexcept {
  w.raw(v ? "true" : "false");
}
// A cut identifier: only the part kept (see encoder.hpp).
void write(Writer& w, detail::KindTag<FieldKind::client_id>, const ClientId& v) noexcept {
  w.string(v.view());
}

}  // namespace

std::size_t encode(const OrderEvent& e, WireFormat format, char* out,
                   std::size_t capacity) noexcept {
  const auto& names = format == WireFormat::simple ? kSimpleNames : kDefaultNames;
  Writer w(out, capacity);
  bool first = true;
  w.raw("{");
  for (std::size_t i = 0; i < kFieldCount; ++i) {
    const auto f = static_cast<Field>(i);
    const bool present = e.has(f);
    if (!present && kOrderFields[i].presence != Presence::nullable) continue;
    if (!first) w.raw(",");
    first = false;
    w.string(names[i]);
    w.raw(":");
    if (!present) {
      w.raw("null");
      continue;
    }
    detail::visit_field(f, e, [&](auto kind, const auto& value) { write(w, kind, value); });
  }
  w.raw("}");
  return w.ok() ? w.size() : 0;
}

namespace {

// Writes the present fields [first, last) of the asset table of `e` as "name":value members;
// `assets` (the list, always written) through write_list.
template <class WriteList>
void write_asset_fields(Writer& w, const AssetEvent& e, const std::string_view* names,
                        std::size_t first, std::size_t last, WriteList&& write_list) noexcept {
  bool first_member = true;
  for (std::size_t i = first; i < last; ++i) {
    const auto f = static_cast<AssetField>(i);
    if (!e.has(f) && kAssetFields[i].kind != FieldKind::asset_list) continue;  // the span is it
    if (!first_member) w.raw(",");
    first_member = false;
    w.string(names[i]);
    w.raw(":");
    detail::visit_field(f, e, [&](auto kind, const auto& value) {
      if constexpr (decltype(kind)::kind == FieldKind::event_type) {
        w.string(kMyAssetType);
      } else if constexpr (decltype(kind)::kind == FieldKind::asset_list) {
        write_list();
      } else {
        write(w, kind, value);
      }
    });
  }
}

}  // namespace

std::size_t encode(std::span<const AssetEvent> frame, WireFormat format, char* out,
                   std::size_t capacity) noexcept {
  if (frame.empty()) return 0;
  const auto& names = format == WireFormat::simple ? kAssetSimpleNames : kAssetDefaultNames;
  const auto items = static_cast<std::size_t>(detail::kFirstAssetItemField);
  Writer w(out, capacity);
  w.raw("{");
  write_asset_fields(w, frame[0], names.data(), 0, items, [&]() noexcept {
    w.raw("[");
    for (std::size_t i = 0; i < frame.size(); ++i) {
      if (i != 0) w.raw(",");
      w.raw("{");
      write_asset_fields(w, frame[i], names.data(), items, kAssetFieldCount, [] {});
      w.raw("}");
    }
    w.raw("]");
  });
  w.raw("}");
  return w.ok() ? w.size() : 0;
}

std::string encode(std::span<const AssetEvent> frame, WireFormat format) {
  std::string buf(max_encoded_asset_frame(frame.size()), '\0');
  buf.resize(encode(frame, format, buf.data(), buf.size()));
  return buf;
}

std::string encode(const OrderEvent& event, WireFormat format) {
  char buf[kMaxEncodedEvent];
  const std::size_t n = encode(event, format, buf, sizeof buf);
  return std::string(buf, n);
}

}  // namespace fillwire
