#include "fillwire/encoder.hpp"

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
    if (!present && (kNullableFields & field_bit(f)) == 0) continue;
    if (!first) w.raw(",");
    first = false;
    w.string(names[i]);
    w.raw(":");
    if (!present) {
      w.raw("null");
      continue;
    }
    switch (f) {
      case Field::type:
        w.string("myOrder");
        break;
      case Field::code:
        w.string(e.code.view());
        break;
      case Field::uuid:
      case Field::trade_uuid: {
        char text[Uuid::kTextSize];
        (f == Field::uuid ? e.uuid : e.trade_uuid).format(text);
        w.string({text, Uuid::kTextSize});
        break;
      }
      case Field::ask_bid:
        w.string(to_string(e.ask_bid));
        break;
      case Field::order_type:
        w.string(to_string(e.order_type));
        break;
      case Field::state:
        w.string(to_string(e.state));
        break;
      case Field::price:
        w.number(e.price);
        break;
      case Field::avg_price:
        w.number(e.avg_price);
        break;
      case Field::volume:
        w.number(e.volume);
        break;
      case Field::remaining_volume:
        w.number(e.remaining_volume);
        break;
      case Field::executed_volume:
        w.number(e.executed_volume);
        break;
      case Field::trades_count:
        w.integer(e.trades_count);
        break;
      case Field::reserved_fee:
        w.number(e.reserved_fee);
        break;
      case Field::remaining_fee:
        w.number(e.remaining_fee);
        break;
      case Field::paid_fee:
        w.number(e.paid_fee);
        break;
      case Field::locked:
        w.number(e.locked);
        break;
      case Field::executed_funds:
        w.number(e.executed_funds);
        break;
      case Field::time_in_force:
        w.string(to_string(e.time_in_force));
        break;
      case Field::trade_fee:
        w.number(e.trade_fee);
        break;
      case Field::is_maker:
        w.raw(e.is_maker ? "true" : "false");
        break;
      case Field::identifier:
        // A cut identifier: only the part kept (see encoder.hpp).
        w.string(e.identifier.view());
        break;
      case Field::smp_type:
        w.string(to_string(e.smp_type));
        break;
      case Field::prevented_volume:
        w.number(e.prevented_volume);
        break;
      case Field::prevented_locked:
        w.number(e.prevented_locked);
        break;
      case Field::trade_timestamp:
        w.integer(e.trade_timestamp);
        break;
      case Field::order_timestamp:
        w.integer(e.order_timestamp);
        break;
      case Field::timestamp:
        w.integer(e.timestamp);
        break;
      case Field::stream_type:
        w.string(to_string(e.stream_type));
        break;
      case Field::count_:
      case Field::none:
        break;
    }
  }
  w.raw("}");
  return w.ok() ? w.size() : 0;
}

std::string encode(const OrderEvent& event, WireFormat format) {
  char buf[kMaxEncodedEvent];
  const std::size_t n = encode(event, format, buf, sizeof buf);
  return std::string(buf, n);
}

}  // namespace fillwire
