#pragma once
// The simulator's record of one order, exact (Fx), and the event it turns into on the wire.
//
// Field rules (PROTOCOL.md §4; the same in every event the generator emits):
//   executed_volume + remaining_volume + prevented_volume == volume  (volume-based orders)
//   remaining_fee == reserved_fee - paid_fee - fee released by SMP  while the order is open, 0
//   after locked: BID limit = remaining_volume × price + remaining_fee; BID by amount = (amount -
//           executed_funds) + remaining_fee; ASK = remaining_volume; 0 once the order is final.
//   For `price` orders (market buy by amount) and BID `best` orders, `price` is the amount and
//   volume / remaining_volume are absent.

#include <cstdint>
#include <functional>
#include <vector>

#include "fillwire/fixed_string.hpp"
#include "fillwire/order_event.hpp"
#include "fillwire/uuid.hpp"
#include "fixed8.hpp"

namespace fillwire::sim {

struct UuidHash {
  std::size_t operator()(const Uuid& u) const noexcept {
    return static_cast<std::size_t>(u.hash());
  }
};

struct TradeRecord {
  Uuid uuid;
  Fx price = 0;
  Fx volume = 0;
  Fx funds = 0;
  Fx fee = 0;
  std::int64_t timestamp = 0;
  bool maker = false;
};

// Every scalar of an order (no heap): snapshots of it travel with each emitted event.
struct OrderCore {
  Uuid uuid{};
  std::uint8_t market = 0;  // index into kMarkets
  Side side = Side::unknown;
  OrderType type = OrderType::unknown;
  TimeInForce tif = TimeInForce::unknown;  // unknown: none (null on the wire)
  SmpType smp = SmpType::unknown;          // unknown: none
  OrderState state =
      OrderState::unknown;  // wait / watch while open, then done / cancel / prevented
  bool has_volume = true;   // false for amount-based buys
  ClientId identifier{};    // empty: none
  Fx price = 0;             // limit price, or the amount for amount-based buys, or 0 (market sell)
  Fx volume = 0;
  Fx remaining = 0;
  Fx executed = 0;
  Fx funds = 0;
  Fx reserved_fee = 0;
  Fx remaining_fee = 0;
  Fx paid_fee = 0;
  Fx locked = 0;
  Fx prevented_volume = 0;
  Fx prevented_locked = 0;
  Fx prevented_fee = 0;  // reserved fee released by SMP (not on the wire)
  std::uint32_t trades_count = 0;
  std::int64_t created_ms = 0;
  std::int64_t updated_ms = 0;

  [[nodiscard]] bool has_price() const noexcept {
    return !(type == OrderType::market || (type == OrderType::best && side == Side::ask));
  }
  [[nodiscard]] bool amount_based() const noexcept { return !has_volume; }
};

// One event as the generator emitted it, with the order's state right after it.
struct Emission {
  OrderEvent event;
  OrderCore order;
  TradeRecord trade;
  bool has_trade = false;
};

// The wire event for `order` in `state` (trade events: price/volume of `trade`).
[[nodiscard]] OrderEvent make_event(const OrderCore& order, OrderState state,
                                    const TradeRecord* trade, std::int64_t now_ms);

}  // namespace fillwire::sim
