#pragma once
// Generates the events of one consistent order lifecycle, as the exchange would send them:
// wait -> trade 1..n with growing cumulative fields -> done / cancel / prevented.
//
// With `exact` amounts (the default) volumes are multiples of 1/256, prices whole multiples of 1000
// and fees 1/2048 of the funds, so every sum the account computes is exact in binary floating point
// and results of differently ordered streams can be compared with ==. Without it, amounts are
// decimal (8-decimal volumes, 0.05 % fees) like the exchange's, and comparisons need a tolerance.

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <random>
#include <string_view>
#include <vector>

#include "fillwire/order_event.hpp"

namespace fillwire::test {

enum class Ending : std::uint8_t { done, cancel, prevented, open };

struct LifecycleSpec {
  std::string_view market = "KRW-BTC";
  Side side = Side::bid;
  std::uint32_t trades = 2;  // number of trade events
  Ending ending = Ending::done;
  bool exact = true;
  std::int64_t t0 = 1764000000000;  // order_timestamp (ms)
};

inline Uuid make_uuid(std::mt19937_64& rng) {
  Uuid u;
  for (auto& b : u.bytes)
    b = static_cast<std::uint8_t>(rng());
  return u;
}

// The wait event of a new limit order number `n` (its uuid: n in the first four bytes, 0xa5 in the
// last) in `market`.
inline OrderEvent numbered_wait(std::uint32_t n, std::string_view market, Side side, double price,
                                double volume) {
  OrderEvent e{};
  e.kind = EventKind::order;
  e.type_known = 1;
  (void)e.code.assign(market);
  for (std::size_t i = 0; i < 4; ++i)
    e.uuid.bytes[i] = static_cast<std::uint8_t>(n >> (8 * i));
  e.uuid.bytes[15] = 0xa5;
  e.ask_bid = side;
  e.order_type = OrderType::limit;
  e.state = OrderState::wait;
  e.price = price;
  e.volume = volume;
  e.timestamp = 1764000000000 + n;
  e.present = kRequiredFields | field_bit(Field::price) | field_bit(Field::volume);
  return e;
}

// An order's cumulative figures, as each of its events carries them.
struct Totals {
  std::uint32_t trades;
  double executed_volume, executed_funds, paid_fee;
};

inline void set_totals(OrderEvent& e, const Totals& t) {
  e.trades_count = t.trades;
  e.executed_volume = t.executed_volume;
  e.executed_funds = t.executed_funds;
  e.paid_fee = t.paid_fee;
}

// A blank event of the order with the fields every myOrder frame carries.
inline OrderEvent base_event(const LifecycleSpec& spec, const Uuid& id, double price,
                             double volume) {
  OrderEvent e;
  std::memset(&e, 0, sizeof e);
  e.kind = EventKind::order;
  e.type_known = 1;
  (void)e.code.assign(spec.market);
  e.uuid = id;
  e.ask_bid = spec.side;
  e.order_type = OrderType::limit;
  e.stream_type = StreamType::realtime;
  e.price = price;
  e.volume = volume;
  e.order_timestamp = spec.t0;
  e.present = kRequiredFields | field_bit(Field::price) | field_bit(Field::volume) |
              field_bit(Field::remaining_volume) | field_bit(Field::avg_price) |
              field_bit(Field::order_timestamp) | field_bit(Field::stream_type) |
              field_bit(Field::prevented_volume) | field_bit(Field::prevented_locked) |
              field_bit(Field::locked);
  return e;
}

inline std::vector<OrderEvent> make_lifecycle(std::mt19937_64& rng, const LifecycleSpec& spec,
                                              Uuid id) {
  // Terms: price on a 1000 tick; volume split into `trades` fills (plus an unfilled rest when the
  // order does not end done).
  const double price = static_cast<double>(1000 + rng() % 100000) * 1000.0;
  const std::uint32_t n = spec.trades;
  std::vector<double> fills;
  double executed_total = 0.0;
  for (std::uint32_t k = 0; k < n; ++k) {
    const double v = spec.exact ? static_cast<double>(1 + rng() % 512) / 256.0
                                : static_cast<double>(1 + rng() % 100000000) / 1e8;
    fills.push_back(v);
    executed_total += v;
  }
  const bool filled = spec.ending == Ending::done;
  const double rest = filled ? 0.0
                             : (spec.exact ? static_cast<double>(1 + rng() % 256) / 256.0
                                           : static_cast<double>(1 + rng() % 100000000) / 1e8);
  const double volume = executed_total + rest;
  auto fee_of = [&](double funds) { return spec.exact ? funds / 2048.0 : funds * 0.0005; };

  std::vector<OrderEvent> out;
  std::int64_t ts = spec.t0 + 1;
  OrderEvent wait = base_event(spec, id, price, volume);
  wait.state = OrderState::wait;
  wait.remaining_volume = volume;
  wait.timestamp = ts;
  wait.locked = spec.side == Side::bid ? price * volume : volume;
  out.push_back(wait);

  double ev = 0.0;
  double ef = 0.0;
  double pf = 0.0;
  for (std::uint32_t k = 0; k < n; ++k) {
    ts += 1 + static_cast<std::int64_t>(rng() % 100);
    const double funds = fills[k] * price;
    const double fee = fee_of(funds);
    ev += fills[k];
    ef += funds;
    pf += fee;
    OrderEvent t = base_event(spec, id, price, fills[k]);  // trade events carry the trade's terms
    t.state = OrderState::trade;
    set_totals(t, {k + 1, ev, ef, pf});
    t.remaining_volume = volume - ev;
    t.avg_price = ef / ev;
    t.trade_fee = fee;
    t.is_maker = (rng() & 1) != 0 ? 1 : 0;
    t.trade_uuid = make_uuid(rng);
    t.trade_timestamp = ts - 1;
    t.timestamp = ts;
    t.present |= field_bit(Field::trade_fee) | field_bit(Field::is_maker) |
                 field_bit(Field::trade_uuid) | field_bit(Field::trade_timestamp);
    out.push_back(t);
  }
  if (spec.ending == Ending::open) return out;

  ts += 1 + static_cast<std::int64_t>(rng() % 1000);
  OrderEvent fin = base_event(spec, id, price, volume);
  set_totals(fin, {n, ev, ef, pf});
  fin.remaining_volume = volume - ev;
  fin.avg_price = n > 0 ? ef / ev : 0.0;
  fin.timestamp = ts;
  switch (spec.ending) {
    case Ending::done:
      fin.state = OrderState::done;
      break;
    case Ending::cancel:
      fin.state = OrderState::cancel;
      break;
    default:
      fin.state = OrderState::prevented;
      fin.smp_type = SmpType::cancel_taker;
      fin.prevented_volume = rest;
      fin.prevented_locked = spec.side == Side::bid ? rest * price : rest;
      fin.remaining_volume = 0.0;
      fin.present |= field_bit(Field::smp_type);
      break;
  }
  out.push_back(fin);
  return out;
}

}  // namespace fillwire::test
