#pragma once
// Test helpers: balance reports (AssetEvents, as the myAsset decoder or the resync would give
// them) and order events carrying `locked`, built by hand for the balance and reconciliation
// tests.

#include <cstdint>
#include <string_view>

#include "fillwire/asset_event.hpp"
#include "fillwire/order_event.hpp"
#include "order_lifecycle.hpp"

namespace fillwire::test {

// One currency of a report at exchange time `ts` (asset_timestamp and timestamp), from the frame
// whose asset_uuid is tagged `frame`.
inline AssetEvent balance_report(std::string_view currency, double available, double locked,
                                 std::int64_t ts, std::uint8_t frame,
                                 EventOrigin origin = EventOrigin::stream) {
  AssetEvent a = make_asset_event(origin);
  (void)a.currency.assign(currency);
  a.balance = available;
  a.locked = locked;
  a.asset_timestamp = ts;
  a.timestamp = ts;
  a.asset_uuid.bytes[0] = frame;
  a.asset_uuid.bytes[15] = 0x5a;
  a.count = 1;
  a.stream_type = StreamType::realtime;
  a.type_known = 1;
  a.present = kRequiredAssetFields;
  return a;
}

// What an order event says of its order: state, cumulative figures and the lock left.
struct OrderStep {
  OrderState state;
  std::int64_t ts;
  double executed_volume = 0.0;
  double executed_funds = 0.0;
  double paid_fee = 0.0;
  std::uint32_t trades = 0;
  double locked = -1.0;  // < 0: no `locked` field
};

// An event of limit order number `n` (numbered_wait's uuid) in `market` with terms (price,
// volume).
inline OrderEvent order_step(std::uint32_t n, std::string_view market, Side side, double price,
                             double volume, const OrderStep& s) {
  OrderEvent e = numbered_wait(n, market, side, price, volume);
  e.state = s.state;
  e.timestamp = s.ts;
  e.order_timestamp = s.ts;
  e.executed_volume = s.executed_volume;
  e.executed_funds = s.executed_funds;
  e.paid_fee = s.paid_fee;
  e.trades_count = s.trades;
  e.present |= field_bit(Field::order_timestamp);
  if (s.locked >= 0.0) {
    e.locked = s.locked;
    e.present |= field_bit(Field::locked);
  }
  if (s.state == OrderState::trade) {
    // On a trade event price and volume are the trade's; this helper's callers give them.
    e.trade_timestamp = s.ts;
    e.present |= field_bit(Field::trade_timestamp);
  }
  return e;
}

}  // namespace fillwire::test
