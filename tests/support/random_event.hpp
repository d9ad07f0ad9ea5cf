#pragma once
// Generates random but valid OrderEvents (every field, random presence of the optional ones) for
// property-style tests.

#include <cmath>
#include <cstring>
#include <random>
#include <string>

#include "fillwire/encoder.hpp"
#include "fillwire/order_event.hpp"

namespace fillwire::test {

inline OrderEvent random_event(std::mt19937_64& rng) {
  OrderEvent e;
  std::memset(&e, 0, sizeof e);
  auto coin = [&] { return (rng() & 1) != 0; };
  auto pick = [&](std::size_t n) { return static_cast<std::uint8_t>(1 + rng() % (n - 1)); };
  // Doubles over many magnitudes, including awkward ones (no exact decimal form).
  auto number = [&]() -> double {
    switch (rng() % 5) {
      case 0:
        return 0.0;
      case 1:
        return static_cast<double>(rng() % 100000000) / 1e8;  // 8 decimals, like volumes
      case 2:
        return std::ldexp(static_cast<double>(rng() >> 11), -static_cast<int>(rng() % 80));
      case 3:
        return static_cast<double>(rng() % 1000000) * 1000.0;  // KRW prices on a tick
      default: {
        const double x =
            std::ldexp(static_cast<double>(rng() >> 11), static_cast<int>(rng() % 40) - 60);
        return std::isfinite(x) ? x : 1.0;
      }
    }
  };
  auto uuid = [&] {
    Uuid u;
    for (auto& b : u.bytes)
      b = static_cast<std::uint8_t>(rng());
    return u;
  };
  auto text = [&](std::size_t max) {
    std::string s;
    const std::size_t n = rng() % (max + 1);
    for (std::size_t i = 0; i < n; ++i)
      s += "ABCxyz-_09\"\\/"[rng() % 13];
    return s;
  };

  e.kind = EventKind::order;
  e.origin = EventOrigin::stream;
  e.type_known = 1;
  (void)e.code.assign(text(MarketCode::kCapacity));
  e.uuid = uuid();
  e.ask_bid = static_cast<Side>(pick(std::size(kSideNames)));
  e.order_type = static_cast<OrderType>(pick(std::size(kOrderTypeNames)));
  e.state = static_cast<OrderState>(pick(std::size(kStateNames)));
  e.executed_volume = number();
  e.trades_count = static_cast<std::uint32_t>(rng());
  e.paid_fee = number();
  e.executed_funds = number();
  e.timestamp = static_cast<std::int64_t>(rng() % 4000000000000);
  e.present = kRequiredFields;

  auto maybe = [&](Field f, auto&& set) {
    if (coin()) {
      set();
      e.present |= field_bit(f);
    }
  };
  maybe(Field::trade_uuid, [&] { e.trade_uuid = uuid(); });
  maybe(Field::price, [&] { e.price = number(); });
  maybe(Field::avg_price, [&] { e.avg_price = number(); });
  maybe(Field::volume, [&] { e.volume = number(); });
  maybe(Field::remaining_volume, [&] { e.remaining_volume = number(); });
  maybe(Field::reserved_fee, [&] { e.reserved_fee = number(); });
  maybe(Field::remaining_fee, [&] { e.remaining_fee = number(); });
  maybe(Field::locked, [&] { e.locked = number(); });
  maybe(Field::time_in_force,
        [&] { e.time_in_force = static_cast<TimeInForce>(pick(std::size(kTimeInForceNames))); });
  maybe(Field::trade_fee, [&] { e.trade_fee = number(); });
  maybe(Field::is_maker, [&] { e.is_maker = coin() ? 1 : 0; });
  maybe(Field::identifier, [&] { (void)e.identifier.assign(text(ClientId::kCapacity)); });
  maybe(Field::smp_type,
        [&] { e.smp_type = static_cast<SmpType>(pick(std::size(kSmpTypeNames))); });
  maybe(Field::prevented_volume, [&] { e.prevented_volume = number(); });
  maybe(Field::prevented_locked, [&] { e.prevented_locked = number(); });
  maybe(Field::trade_timestamp,
        [&] { e.trade_timestamp = static_cast<std::int64_t>(rng() % 4000000000000); });
  maybe(Field::order_timestamp,
        [&] { e.order_timestamp = static_cast<std::int64_t>(rng() % 4000000000000); });
  maybe(Field::stream_type,
        [&] { e.stream_type = static_cast<StreamType>(pick(std::size(kStreamTypeNames))); });
  return e;
}

}  // namespace fillwire::test
