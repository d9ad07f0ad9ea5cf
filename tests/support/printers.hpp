#pragma once
// GoogleTest printers for the event types: a failed expectation shows `BID`, `done` or a uuid's
// text instead of bytes. Found by argument-dependent lookup (namespace fillwire); include this
// header in every test file that compares these types, so that each prints them the same way.
// Strings from the exchange (market, identifier, a control's reason) are printed escaped.

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <ostream>
#include <string>
#include <string_view>

#include "fillwire/control_event.hpp"
#include "fillwire/order_event.hpp"
#include "fillwire/safe_text.hpp"
#include "fillwire/uuid.hpp"

namespace fillwire {

namespace test_printers {
inline constexpr std::string_view kKindNames[] = {"order", "control", "asset"};
inline constexpr std::string_view kOriginNames[] = {"stream", "resync", "replay"};
template <std::size_t N>
[[nodiscard]] constexpr std::string_view name_in(std::size_t i,
                                                 const std::string_view (&names)[N]) noexcept {
  return i < N ? names[i] : std::string_view{"unknown"};
}
[[nodiscard]] constexpr std::string_view name(EventKind v) noexcept {
  return name_in(static_cast<std::size_t>(v), kKindNames);
}
[[nodiscard]] constexpr std::string_view name(EventOrigin v) noexcept {
  return name_in(static_cast<std::size_t>(v), kOriginNames);
}
template <class E>
[[nodiscard]] constexpr std::string_view name(E v) noexcept {
  return to_string(v);
}

// An exchange string, escaped and in quotes.
inline std::string quoted(std::string_view raw) {
  return "\"" + printable(raw) + "\"";
}

// "BID (2)": the name and the number, so that a value out of range shows which it is.
template <class E>
void print_enum(E v, std::ostream* os) {
  *os << name(v) << " (" << static_cast<unsigned>(v) << ")";
}
}  // namespace test_printers

template <class E>
concept EventEnum =
    std::same_as<E, Side> || std::same_as<E, OrderType> || std::same_as<E, OrderState> ||
    std::same_as<E, TimeInForce> || std::same_as<E, SmpType> || std::same_as<E, StreamType> ||
    std::same_as<E, EventKind> || std::same_as<E, EventOrigin> || std::same_as<E, ControlCode>;

template <EventEnum E>
void PrintTo(const E& v, std::ostream* os) {
  test_printers::print_enum(v, os);
}

inline void PrintTo(const Uuid& u, std::ostream* os) {
  *os << (u.is_nil() ? std::string("nil") : u.to_string());
}

// One line: what the event is, then the figures an assertion usually looks at.
inline void PrintTo(const OrderEvent& e, std::ostream* os) {
  *os << "{" << test_printers::name(e.origin) << " ";
  if (e.kind == EventKind::control) {
    *os << "control " << to_string(control_code(e))
        << " reason=" << test_printers::quoted(e.identifier.view())
        << " count=" << e.executed_volume << " ts=" << e.timestamp << " seq=" << e.seq << "}";
    return;
  }
  *os << test_printers::quoted(e.code.view()) << " " << to_string(e.ask_bid) << " "
      << to_string(e.order_type) << " " << to_string(e.state) << " uuid=";
  PrintTo(e.uuid, os);
  *os << " price=" << e.price << " volume=" << e.volume << " executed=" << e.executed_volume
      << " funds=" << e.executed_funds << " paid_fee=" << e.paid_fee
      << " trades=" << e.trades_count;
  if (e.has(Field::trade_uuid)) {
    *os << " trade=";
    PrintTo(e.trade_uuid, os);
    *os << " trade_fee=" << e.trade_fee << " trade_ts=" << e.trade_timestamp;
  }
  if (!e.identifier.empty()) *os << " identifier=" << test_printers::quoted(e.identifier.view());
  *os << " ts=" << e.timestamp << " seq=" << e.seq << "}";
}

}  // namespace fillwire
