// Fills applied in trade-time order whatever order they arrive in (FillWindow inside
// AccountState): a buy/sell sequence of two orders, hand-computed, delivered in every order, with
// gaps healed by later events and split again when the missed trade events arrive; the limits of
// the window counted.

#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>
#include <vector>

#include "../support/account.hpp"
#include "../support/order_lifecycle.hpp"
#include "fillwire/account_state.hpp"
#include "fillwire/detail/fill_window.hpp"

namespace fillwire {
namespace {

struct Step {
  std::uint32_t trades;  // cumulative after the trade
  double cum_volume, cum_funds, cum_fee;
  double volume, price, fee;  // the trade's own
  std::int64_t time;
};

OrderEvent trade_event(const Uuid& id, Side side, const Step& s) {
  test::LifecycleSpec spec;
  spec.side = side;
  spec.t0 = 1000;
  OrderEvent e = test::base_event(spec, id, s.price, s.volume);
  e.state = OrderState::trade;
  test::set_totals(e, {s.trades, s.cum_volume, s.cum_funds, s.cum_fee});
  e.trade_fee = s.fee;
  e.trade_timestamp = s.time;
  e.timestamp = s.time;
  e.present |= field_bit(Field::trade_fee) | field_bit(Field::trade_timestamp);
  return e;
}

OrderEvent done_event(const Uuid& id, Side side, const Step& last) {
  OrderEvent e = trade_event(id, side, last);
  e.state = OrderState::done;
  e.present &= ~(field_bit(Field::trade_fee) | field_bit(Field::trade_timestamp));
  e.trade_fee = 0;
  e.trade_timestamp = 0;
  e.price = 100;
  e.volume = last.cum_volume;
  return e;
}

// Order A buys 2 @ 100 (t=1000) and 3 @ 200 (t=3000); order B sells 1 @ 150 (t=2000) and
// 2 @ 300 (t=4000). Fees: 0.5 % of the funds. In trade-time order, by hand:
//   A1: base 2, cost 200 / 201 (net)
//   B1: avg 100 / 100.5: realized 150 - 100 = 50, net (150 - 0.5) - 100.5 = 49; base 1, cost
//       100 / 100.5
//   A2: base 4, cost 700 / 703.5 (avg 175 / 175.875)
//   B2: realized += 600 - 350 = 250, net += (600 - 3) - 351.75 = 245.25; base 2, cost 350 / 351.75
// Totals: realized 300 gross, 294.25 net. Every amount is exact in binary floating point.
constexpr Step kA1{1, 2, 200, 1, 2, 100, 1, 1000};
constexpr Step kA2{2, 5, 800, 4, 3, 200, 3, 3000};
constexpr Step kB1{1, 1, 150, 0.5, 1, 150, 0.5, 2000};
constexpr Step kB2{2, 3, 750, 3.5, 2, 300, 3, 4000};

Uuid id(std::uint8_t b) {
  Uuid u{};
  u.bytes[0] = b;
  return u;
}

std::vector<OrderEvent> scenario() {
  const Uuid a = id(0xA0);
  const Uuid b = id(0xB0);
  return {trade_event(a, Side::bid, kA1), trade_event(b, Side::ask, kB1),
          trade_event(a, Side::bid, kA2), trade_event(b, Side::ask, kB2),
          done_event(a, Side::bid, kA2),  done_event(b, Side::ask, kB2)};
}

void expect_hand_computed(const AccountState& s) {
  const Position& p = test::position_of(s, "KRW-BTC");
  EXPECT_EQ(p.realized_gross, 300.0);
  EXPECT_EQ(p.realized_net, 294.25);
  EXPECT_EQ(p.base_volume, 2.0);
  EXPECT_EQ(p.cost_gross, 350.0);
  EXPECT_EQ(p.cost_net, 351.75);
  EXPECT_EQ(p.unattributed_volume, 0.0);
  EXPECT_EQ(p.fees_paid, 7.5);
  EXPECT_EQ(p.bought_volume, 5.0);
  EXPECT_EQ(p.sold_notional, 750.0);
}

TEST(FillWindow, InOrderStreamGivesTheHandComputedPnl) {
  AccountState s;
  for (const OrderEvent& e : scenario())
    s.apply(e);
  expect_hand_computed(s);
  EXPECT_EQ(s.counters().fills_late, 0u);
  EXPECT_EQ(s.counters().trades_split, 0u);
  EXPECT_EQ(s.counters().fills_out_of_place, 0u);
}

TEST(FillWindow, EveryArrivalOrderGivesTheSamePnl) {
  const auto events = scenario();
  std::vector<std::size_t> perm(events.size());
  std::iota(perm.begin(), perm.end(), std::size_t{0});
  std::size_t runs = 0;
  std::uint64_t late = 0;
  std::uint64_t split = 0;
  do {
    AccountState s;
    for (std::size_t i : perm)
      s.apply(events[i]);
    SCOPED_TRACE(testing::Message() << "arrival order " << perm[0] << perm[1] << perm[2] << perm[3]
                                    << perm[4] << perm[5]);
    expect_hand_computed(s);
    EXPECT_EQ(s.counters().fills_out_of_place, 0u);
    late += s.counters().fills_late;
    split += s.counters().trades_split;
    ++runs;
  } while (std::next_permutation(perm.begin(), perm.end()));
  EXPECT_EQ(runs, 720u);
  EXPECT_GT(late, 0u);
  EXPECT_GT(split, 0u);
}

TEST(FillWindow, WithoutTheWindowArrivalOrderChangesPnl) {
  // The same late arrival with fill_window = 0: fills applied as they come (the old behaviour).
  AccountConfig c;
  c.fill_window = 0;
  AccountState s(c);
  const auto events = scenario();
  for (std::size_t i : {1u, 3u, 0u, 2u, 4u, 5u})
    s.apply(events[i]);
  EXPECT_NE(test::position_of(s, "KRW-BTC").realized_gross, 300.0);
}

TEST(FillWindow, MissedTradeArrivingAfterTheTerminalEventIsSplitOut) {
  const auto events = scenario();
  AccountState s;
  // A's terminal event covers both of A's trades before either trade event arrives; B trades in
  // between; then A's trade events come late.
  for (std::size_t i : {4u, 1u, 3u, 5u, 2u, 0u})
    s.apply(events[i]);
  expect_hand_computed(s);
  EXPECT_EQ(s.counters().trades_split, 2u);
  EXPECT_EQ(s.counters().gaps_healed, 1u);
}

TEST(FillWindow, FillOlderThanTheWindowIsCountedAndAppliedAtItsStart) {
  AccountConfig c;
  c.fill_window = 2;
  AccountState s(c);
  const Uuid a = id(1);
  // Four buys of one order at t = 10, 20, 30, 40 (one unit each at 100, 200, 300, 400), the first
  // arriving last: the window holds two fills, so it is older than the window.
  std::vector<OrderEvent> buys;
  double funds = 0;
  for (std::uint32_t k = 1; k <= 4; ++k) {
    funds += 100.0 * k;
    buys.push_back(trade_event(
        a, Side::bid, {k, static_cast<double>(k), funds, 0, 1, 100.0 * k, 0, 10 * int(k)}));
  }
  const Uuid b = id(2);
  s.apply(buys[1]);  // heals trade 1 as a gap fill at t=20
  s.apply(buys[2]);
  s.apply(buys[3]);  // the window (2) has dropped the gap fill
  s.apply(buys[0]);  // trade 1 arrives: its gap is gone
  EXPECT_EQ(s.counters().fills_out_of_place, 1u);
  EXPECT_EQ(s.counters().trades_split, 0u);
  const Position& p = test::position_of(s, "KRW-BTC");
  EXPECT_EQ(p.base_volume, 4.0);
  EXPECT_EQ(p.cost_gross, 1000.0);

  // A sell of another order at t=15, older than both fills kept: applied at the window's start.
  s.apply(trade_event(b, Side::ask, {1, 1, 500, 0, 1, 500, 0, 15}));
  EXPECT_EQ(s.counters().fills_out_of_place, 2u);
  EXPECT_EQ(p.base_volume, 3.0);
  // Applied after t=20 (the fills before the window: cost 300 for 2) and before t=30, 40:
  // 500 - 150 realized.
  EXPECT_EQ(p.realized_gross, 350.0);
  EXPECT_EQ(p.cost_gross, 850.0);
}

TEST(FillWindow, LateFillInsideTheWindowIsPutAtItsPlace) {
  AccountConfig c;
  c.fill_window = 4;
  AccountState s(c);
  // Buy 1 @ 100 (t=10), buy 1 @ 300 (t=30), then a sell of 1 @ 400 at t=20 arrives last: at its
  // place it realizes 400 - 100 = 300 (not 400 - 200).
  s.apply(trade_event(id(1), Side::bid, {1, 1, 100, 0, 1, 100, 0, 10}));
  s.apply(trade_event(id(2), Side::bid, {1, 1, 300, 0, 1, 300, 0, 30}));
  s.apply(trade_event(id(3), Side::ask, {1, 1, 400, 0, 1, 400, 0, 20}));
  const Position& p = test::position_of(s, "KRW-BTC");
  EXPECT_EQ(p.realized_gross, 300.0);
  EXPECT_EQ(p.base_volume, 1.0);
  EXPECT_EQ(p.cost_gross, 300.0);
  EXPECT_EQ(s.counters().fills_late, 1u);
  const FillWindow& w = s.fills_at(0);
  ASSERT_EQ(w.size(), 3u);
  EXPECT_EQ(w[0].time, 10);
  EXPECT_EQ(w[1].time, 20);
  EXPECT_EQ(w[2].time, 30);
}

TEST(FillWindow, KeyOrdersByTimeThenOrderThenTrade) {
  const FillKey a{10, id(1), 2};
  const FillKey b{10, id(1), 3};
  const FillKey c{10, id(2), 1};
  const FillKey d{11, id(0), 1};
  EXPECT_TRUE(a < b);
  EXPECT_TRUE(b < c);
  EXPECT_TRUE(c < d);
  EXPECT_FALSE(b < a);
  EXPECT_FALSE(a < a);
}

}  // namespace
}  // namespace fillwire
