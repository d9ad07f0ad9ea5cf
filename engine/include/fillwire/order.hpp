#pragma once
// Order: AccountState's record of one order, built from its events. The cumulative fields hold
// what has been *applied* to the position so far; each accepted event contributes only its delta
// against them (DESIGN.md §5).
//
// Thread contract: lives in the OrderTable, written by AccountState::apply() on the strategy thread
// only; the strategy reads it (const) on that same thread. Trivially copyable, no allocation.

#include <cstdint>
#include <type_traits>

#include "fillwire/order_event.hpp"

namespace fillwire {

struct Order {
  Uuid uuid;
  MarketCode code;
  ClientId identifier;   // empty when the events carried none
  std::uint16_t market;  // index into AccountState's market table
  Side side;
  OrderType order_type;
  OrderState state;  // last applied state (wait, watch, trade, or terminal)
  TimeInForce time_in_force;
  SmpType smp_type;
  bool terminal;  // done / cancel / prevented: absorbing
  // A resync's events moved it further than its stream events showed (AccountState's stream
  // view of it is kept meanwhile).
  bool rest_ahead;

  // Order terms, from non-trade events (PROTOCOL.md §4: on `trade` events price and volume are the
  // trade's). When only trade events were seen, volume is executed_volume + remaining_volume.
  double price;
  double volume;
  double remaining_volume;
  double avg_price;
  double locked;

  // Cumulative figures applied to the position.
  double executed_volume;
  double executed_funds;
  double paid_fee;
  double prevented_volume;
  double prevented_locked;
  std::uint32_t trades_count;

  std::uint32_t events_applied;  // events that changed this order
  std::int64_t order_ts;         // order_timestamp (ms); first event's timestamp if never given
  std::int64_t first_fill_ts;    // earliest fill time seen (ms), 0 before any fill
  std::int64_t last_ts;          // timestamp of the last applied event (ms)
  std::int64_t final_ts;         // timestamp of the terminal event (ms), 0 while open

  // Trade events seen, for telling a repeated trade (duplicate) from a late one (stale): bit i is
  // the trade with trades_count == seen_top - i. A 64-trade window; older trades are "unknown".
  std::uint64_t seen_trades;
  std::uint32_t seen_top;

  std::uint32_t slot;  // OrderTable bookkeeping: position in the open list or completed ring

  [[nodiscard]] bool is_open() const noexcept { return !terminal; }
  // Volume not yet executed as far as the order's terms are known (0 when the volume is unknown).
  [[nodiscard]] double unfilled_volume() const noexcept {
    return volume > executed_volume ? volume - executed_volume : 0.0;
  }
};

static_assert(
    std::is_trivially_copyable_v<Order>,
    "Order records are reset and moved inside a preallocated pool: they must be trivially "
    "copyable.");
static_assert(sizeof(Order) <= 256, "An Order record should stay within four cache lines.");

}  // namespace fillwire
