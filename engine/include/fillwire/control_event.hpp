#pragma once
// Control events: connection notices (connected, disconnected, resynced, auth failed, ...) travel
// through the same ring as order events, in order with the data, so a strategy sees exactly when
// the stream it is reading was interrupted and when the account was made whole again.
//
// A control event is an OrderEvent with kind == EventKind::control. Its order fields are unused;
// the notice is carried in fields chosen so that nothing is added to the 256-byte event:
//   control_code(e)   the ControlCode (stored in `trades_count`)
//   e.timestamp       wall-clock ms when it happened
//   e.executed_volume a count that goes with the code (e.g. orders applied by a resync)
//   e.identifier      a short reason text ("connect refused", server error name, ...), cut to fit;
//                     it may hold the server's bytes: print it through printable() (safe_text.hpp)

#include <cstddef>
#include <cstdint>
#include <iterator>
#include <string_view>

#include "fillwire/order_event.hpp"

namespace fillwire {

enum class ControlCode : std::uint8_t {
  connected,          // WebSocket up and subscribed
  disconnected,       // the connection ended; reconnect follows
  resync_begin,       // REST resynchronisation started
  resynced,           // resynchronisation done: the state equals the exchange's (count: orders)
  resync_failed,      // resynchronisation failed: the state may miss changes until the next one
  auth_failed,        // the exchange refused the credentials; retried slowly
  server_error,       // an error frame from the exchange (reason: its name)
  resync_incomplete,  // a resync stopped at one of its bounds (reason: which; count: orders it
                      // had fetched): the state may miss changes; a reconnect with backoff follows
  rate_limited,       // the exchange answered 429 or 418 (reason: which; count: seconds waited)
};

// Names in ControlCode order (control_code values index it).
inline constexpr std::string_view kControlCodeNames[] = {
    "connected",   "disconnected", "resync_begin",      "resynced",    "resync_failed",
    "auth_failed", "server_error", "resync_incomplete", "rate_limited"};
static_assert(std::size(kControlCodeNames) ==
                  static_cast<std::size_t>(ControlCode::rate_limited) + 1,
              "Every ControlCode has a name, in enum order.");

// "unknown" for a value no ControlCode has (a control event from another build).
[[nodiscard]] constexpr std::string_view to_string(ControlCode c) noexcept {
  const auto i = static_cast<std::size_t>(c);
  return i < std::size(kControlCodeNames) ? kControlCodeNames[i] : "unknown";
}
static_assert(to_string(ControlCode::resync_incomplete) == "resync_incomplete" &&
                  to_string(static_cast<ControlCode>(200)) == "unknown",
              "Names follow the enum; a code from another build reads as unknown.");

// Fills `e` as a control event. Any thread; no allocation.
inline void make_control(OrderEvent& e, ControlCode code, std::int64_t wall_ms,
                         std::string_view reason = {}, double count = 0) noexcept {
  clear_wire_fields(e);
  e.kind = EventKind::control;
  e.trades_count = static_cast<std::uint32_t>(code);
  e.timestamp = wall_ms;
  e.executed_volume = count;
  (void)e.identifier.assign(reason.substr(0, ClientId::kCapacity));
}

[[nodiscard]] inline ControlCode control_code(const OrderEvent& e) noexcept {
  return static_cast<ControlCode>(e.trades_count);
}

}  // namespace fillwire
