#pragma once
// One order's data as a myOrder frame (fillwire::encode) and as Upbit's REST order object
// (PROTOCOL.md §7: decimals as strings, created_at in KST to the second, price/volume null when
// absent, no `trade` state: an open order with fills is `wait`), for tests that script an exchange
// (fake_exchange.hpp). Any thread; cold (allocates).

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "fillwire/encoder.hpp"
#include "fillwire/order_event.hpp"

namespace fillwire::test {

// A limit order with consistent fields: executed_funds = executed_volume × price, fees at
// fee_rate, remaining = volume - executed, locked and remaining_fee 0 once final.
struct OrderSpec {
  std::string_view uuid = "3f1c9a52-7b1e-4c1d-9a0e-1b2c3d4e5f60";
  std::string_view market = "KRW-BTC";
  Side side = Side::bid;
  OrderState state = OrderState::wait;
  double price = 100'000'000.0;
  double volume = 1.0;
  double executed_volume = 0.0;    // cumulative
  std::uint32_t trades_count = 0;  // 0: one if anything was executed
  double fee_rate = 0.0005;
  std::int64_t order_timestamp = 1'764'000'000'000;  // ms; REST keeps whole seconds
  std::int64_t timestamp = 1'764'000'000'001;        // event time (ms)
  // state trade only: this event's fill (trade_volume 0: all of executed_volume), at `price`.
  double trade_volume = 0.0;
  std::string_view trade_uuid = "11111111-0000-4000-8000-000000000001";
};

// The stream event; throws std::invalid_argument on a malformed uuid.
[[nodiscard]] OrderEvent order_event(const OrderSpec& spec);
[[nodiscard]] inline std::string my_order_frame(const OrderSpec& spec,
                                                WireFormat format = WireFormat::full) {
  return encode(order_event(spec), format);
}

// The REST object of `order` (its cumulative fields). `trades`, the order's trade events (state
// trade: price, volume, trade_uuid, trade_timestamp), become trades[] as GET /v1/order gives it.
[[nodiscard]] std::string rest_order(const OrderEvent& order, std::span<const OrderEvent> trades);
[[nodiscard]] std::string rest_order(const OrderEvent& order);  // without trades[]
// A JSON array of REST objects: the body of /v1/orders/open, /closed and /uuids.
[[nodiscard]] std::string rest_orders(std::span<const OrderEvent> orders);

}  // namespace fillwire::test
