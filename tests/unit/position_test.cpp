// Position arithmetic (average cost, gross and net) and the treatment of coins sold without a
// known cost: starting holdings from the config, or unattributed volume with no PnL invented.

#include "fillwire/position.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <stdexcept>
#include <vector>

#include "../support/account.hpp"
#include "../support/balance_events.hpp"
#include "../support/order_lifecycle.hpp"
#include "fillwire/account_state.hpp"

namespace fillwire {
namespace {

TEST(Position, AverageCostGrossAndNet) {
  Position p;
  p.buy(1.0, 100.0, 1.0);
  p.buy(1.0, 300.0, 3.0);
  EXPECT_EQ(p.base_volume, 2.0);
  EXPECT_EQ(p.avg_cost_gross(), 200.0);
  EXPECT_EQ(p.avg_cost_net(), 202.0);
  p.sell(0.5, 150.0, 1.5);
  EXPECT_EQ(p.realized_gross, 150.0 - 0.5 * 200.0);
  EXPECT_EQ(p.realized_net, (150.0 - 1.5) - 0.5 * 202.0);
  EXPECT_EQ(p.avg_cost_gross(), 200.0);  // selling leaves the average unchanged
  EXPECT_EQ(p.avg_cost_net(), 202.0);
  EXPECT_EQ(p.fees_paid, 5.5);
  EXPECT_EQ(p.unrealized(300.0), 1.5 * 300.0 - 300.0);
  EXPECT_EQ(p.traded_notional(), 550.0);
}

TEST(Position, SellingEverythingLeavesNoCostResidue) {
  Position p;
  p.buy(0.1, 10.0, 0.005);
  p.buy(0.2, 20.0, 0.01);
  p.sell(0.3, 33.0, 0.0165);  // 0.1 + 0.2 != 0.3 in binary: the residue must not survive
  EXPECT_EQ(p.base_volume, 0.0);
  EXPECT_EQ(p.cost_gross, 0.0);
  EXPECT_EQ(p.cost_net, 0.0);
  EXPECT_EQ(p.unattributed_volume, 0.0);
  EXPECT_NEAR(p.realized_gross, 3.0, 1e-9);
}

TEST(Position, SellBeyondHoldingsIsUnattributed) {
  Position p;
  p.buy(1.0, 100.0, 0.0);
  p.sell(3.0, 450.0, 3.0);  // 1 held at 100, 2 of unknown cost
  EXPECT_EQ(p.base_volume, 0.0);
  EXPECT_EQ(p.realized_gross, 150.0 - 100.0);  // only the held third realizes
  EXPECT_EQ(p.realized_net, (150.0 - 1.0) - 100.0);
  EXPECT_EQ(p.unattributed_volume, 2.0);
  EXPECT_EQ(p.unattributed_funds, 300.0);
  EXPECT_EQ(p.unattributed_fees, 2.0);
  EXPECT_EQ(p.fees_paid, 3.0);
  // Buying back starts a fresh basis; nothing is netted against the unattributed volume.
  p.buy(1.0, 120.0, 0.0);
  EXPECT_EQ(p.avg_cost_gross(), 120.0);
  EXPECT_EQ(p.realized_gross, 50.0);
}

// One sell order (its lifecycle drawn from `seed`) filled `volume` at `price`, then done, applied to
// `s`; returns the KRW-BTC position.
const Position& apply_sell(AccountState& s, std::uint64_t seed, double volume, double price) {
  std::mt19937_64 rng{seed};
  test::LifecycleSpec spec;
  spec.side = Side::ask;
  spec.trades = 0;
  auto ev = test::make_lifecycle(rng, spec, test::make_uuid(rng));
  OrderEvent trade = ev[1];
  trade.state = OrderState::trade;
  test::set_totals(trade, {1, volume, volume * price, volume * price / 2048.0});
  trade.timestamp = ev[1].timestamp - 1;
  OrderEvent done = trade;
  done.state = OrderState::done;
  done.timestamp = trade.timestamp + 1;
  for (const OrderEvent& e : {ev[0], trade, done})
    s.apply(e);
  return test::position_of(s, "KRW-BTC");
}

TEST(AccountPositions, SellWithoutHoldingsReportsUnattributedVolumeAndNoPnl) {
  AccountState s;
  const Position& p = apply_sell(s, 7, 2.0, 1000.0);
  EXPECT_EQ(p.sold_volume, 2.0);
  EXPECT_EQ(p.unattributed_volume, 2.0);
  EXPECT_EQ(p.unattributed_funds, 2000.0);
  EXPECT_EQ(p.realized_gross, 0.0);
  EXPECT_EQ(p.realized_net, 0.0);
  EXPECT_EQ(p.base_volume, 0.0);
  EXPECT_EQ(p.fees_paid, 2000.0 / 2048.0);
}

TEST(AccountPositions, StartingHoldingsGiveTheCostOfCoinsHeldBeforeStart) {
  AccountConfig c;
  c.holdings.push_back({.market = "KRW-BTC", .volume = 4.0, .avg_cost = 800.0, .avg_cost_net = {}});
  c.holdings.push_back(
      {.market = "KRW-ETH", .volume = 1.0, .avg_cost = 100.0, .avg_cost_net = 101.0});
  AccountState s(c);
  ASSERT_EQ(s.market_count(), 2u);
  EXPECT_EQ(test::position_of(s, "KRW-ETH").avg_cost_net(), 101.0);
  const Position& p = apply_sell(s, 7, 2.0, 1000.0);
  EXPECT_EQ(p.starting_volume, 4.0);
  EXPECT_EQ(p.base_volume, 2.0);
  EXPECT_EQ(p.unattributed_volume, 0.0);
  EXPECT_EQ(p.realized_gross, 2000.0 - 2.0 * 800.0);
  // Net cost estimated from the fee rate: 800 * 1.0005.
  EXPECT_DOUBLE_EQ(p.realized_net, (2000.0 - 2000.0 / 2048.0) - 2.0 * 800.0 * 1.0005);
  EXPECT_EQ(p.avg_cost_gross(), 800.0);
}

TEST(AccountPositions, StartingHoldingsSmallerThanTheSellSplitTheExcess) {
  AccountConfig c;
  c.holdings.push_back(
      {.market = "KRW-BTC", .volume = 0.5, .avg_cost = 800.0, .avg_cost_net = 800.0});
  AccountState s(c);
  const Position& p = apply_sell(s, 9, 2.0, 1000.0);
  EXPECT_EQ(p.realized_gross, 500.0 - 400.0);
  EXPECT_EQ(p.unattributed_volume, 1.5);
  EXPECT_EQ(p.unattributed_funds, 1500.0);
  EXPECT_EQ(p.base_volume, 0.0);
}

// The mark is the last fill in trade-time order, not the last to arrive (worked by hand):
//   A BID 1.0 KRW-BTC: trade 0.4 @ 100,000,000 (t 1200), trade 0.6 @ 101,000,000 (t 1300);
//   B ASK 0.2 KRW-BTC: trade 0.2 @ 99,000,000 (t 1250), arriving last.
// Trade-time order: buy 0.4 (cost 40,000,000 gross, 40,020,000 net), sell 0.2 at the average
// (basis 20,000,000 / 20,010,000), buy 0.6 (+60,600,000, fee 30,300): base 0.8, cost 80,600,000
// gross, 80,640,300 net. Mark 101,000,000: unrealized 0.8 x 101,000,000 - 80,600,000 = 200,000
// gross, 80,800,000 - 80,640,300 = 159,700 net.
TEST(AccountPositions, TheMarkIsTheLastFillInTradeTimeOrderNotTheLastToArrive) {
  AccountState s;
  using test::OrderStep;
  s.apply(test::order_step(1, "KRW-BTC", Side::bid, 100'000'000, 1.0, {OrderState::wait, 1100}));
  EXPECT_FALSE(test::position_of(s, "KRW-BTC").has_mark()) << "a market never filled: no mark";
  s.apply(test::order_step(1, "KRW-BTC", Side::bid, 100'000'000, 0.4,
                           {OrderState::trade, 1200, 0.4, 40'000'000, 20'000, 1}));
  EXPECT_EQ(test::position_of(s, "KRW-BTC").mark_price, 100'000'000);
  s.apply(test::order_step(1, "KRW-BTC", Side::bid, 101'000'000, 0.6,
                           {OrderState::trade, 1300, 1.0, 100'600'000, 50'300, 2}));
  s.apply(test::order_step(2, "KRW-BTC", Side::ask, 99'000'000, 0.2,
                           {OrderState::trade, 1250, 0.2, 19'800'000, 9'900, 1}));
  const Position& p = test::position_of(s, "KRW-BTC");
  ASSERT_TRUE(p.has_mark());
  EXPECT_EQ(p.mark_price, 101'000'000);
  EXPECT_EQ(p.mark_key.time, 1300);
  EXPECT_DOUBLE_EQ(p.base_volume, 0.8);
  EXPECT_NEAR(p.unrealized(p.mark_price), 200'000, 1e-6);
  EXPECT_NEAR(p.unrealized_net(p.mark_price), 159'700, 1e-6);
  EXPECT_EQ(s.counters().fills_late, 1u);
}

// A fill whose trades announced nothing (a `done` that heals a gap) marks at their average price:
// 10 XRP for 7,000 KRW is 700. A refused event marks nothing.
TEST(AccountPositions, AHealedGapMarksAtItsAveragePriceAndARefusedEventMarksNothing) {
  AccountState s;
  s.apply(test::order_step(3, "KRW-XRP", Side::bid, 800, 10, {OrderState::wait, 1000}));
  s.apply(test::order_step(3, "KRW-XRP", Side::bid, 800, 10,
                           {OrderState::done, 1400, 10, 7'000, 3.5, 2}));
  EXPECT_EQ(test::position_of(s, "KRW-XRP").mark_price, 700);
  OrderEvent bad = test::order_step(4, "KRW-XRP", Side::bid, 1e200, 1.0,
                                    {OrderState::trade, 1500, 1.0, 1e200, 0, 1});
  EXPECT_EQ(s.apply(bad), ApplyOutcome::invalid);
  EXPECT_EQ(test::position_of(s, "KRW-XRP").mark_price, 700);
}

TEST(AccountConfigValidation, RejectsBadValuesWithTheirName) {
  AccountConfig c;
  c.open_orders = 0;
  EXPECT_THROW(AccountState{c}, std::invalid_argument);
  c = {};
  c.holdings.push_back(
      {.market = "KRW-A-NAME-TOO-LONG", .volume = 1.0, .avg_cost = 1.0, .avg_cost_net = {}});
  EXPECT_THROW(AccountState{c}, std::invalid_argument);
  c = {};
  c.holdings.push_back({.market = "KRW-BTC", .volume = -1.0, .avg_cost = 1.0, .avg_cost_net = {}});
  try {
    c.validate();
    FAIL() << "negative volume accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("KRW-BTC volume"), std::string::npos) << e.what();
  }
  c = {};
  c.holdings.push_back({.market = "KRW-BTC", .volume = 1.0, .avg_cost = 1.0, .avg_cost_net = {}});
  c.holdings.push_back({.market = "KRW-BTC", .volume = 1.0, .avg_cost = 1.0, .avg_cost_net = {}});
  EXPECT_THROW(c.validate(), std::invalid_argument);
  c.markets = 1;
  c.holdings.pop_back();
  EXPECT_NO_THROW(c.validate());
}

}  // namespace
}  // namespace fillwire
