// AccountState keeps every figure finite: an event whose numbers, or whose application, would take
// a figure past +-kFigureLimit is refused as invalid (counted as non_finite) and changes nothing.

#include <gtest/gtest.h>

#include <cfloat>
#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "../support/order_lifecycle.hpp"
#include "fillwire/account_state.hpp"

namespace fillwire {
namespace {

using test::base_event;
using test::LifecycleSpec;

Uuid uuid_of(std::uint8_t n) {
  Uuid u{};
  u.bytes[0] = n;
  u.bytes[15] = static_cast<std::uint8_t>(n * 7 + 1);
  return u;
}

// A fill event of a new order: one trade of `volume` for `funds`, trade time `t`.
OrderEvent fill(std::uint8_t order, Side side, double volume, double funds, std::int64_t t) {
  LifecycleSpec spec;
  spec.side = side;
  OrderEvent e = base_event(spec, uuid_of(order), funds / (volume > 0.0 ? volume : 1.0), volume);
  e.state = OrderState::trade;
  e.trades_count = 1;
  e.executed_volume = volume;
  e.executed_funds = funds;
  e.paid_fee = 0.0;
  e.remaining_volume = 0.0;
  e.timestamp = t;
  e.trade_timestamp = t;
  e.present |= field_bit(Field::trade_timestamp);
  e.present &= ~field_bit(Field::price);  // the trade's price would be funds / volume: not needed
  return e;
}

// Everything the account shows, for "unchanged" comparisons (byte-wise: NaN != NaN would hide
// nothing here, and -0.0 vs 0.0 would be a change).
struct Picture {
  std::size_t markets;
  std::size_t open;
  std::size_t completed;
  std::vector<Position> positions;
  std::vector<ExecutionStats> stats;
  std::vector<std::vector<Fill>> windows;
  SmpStats smp;
  ApplyCounters counters;
};

Picture picture(const AccountState& s) {
  Picture p{s.market_count(), s.open_order_count(), s.orders().completed_size(), {}, {}, {},
            s.smp(),          s.counters()};
  for (std::uint16_t m = 0; m < s.market_count(); ++m) {
    p.positions.push_back(s.position_at(m));
    p.stats.push_back(s.stats_at(m));
    std::vector<Fill> w;
    for (std::size_t i = 0; i < s.fills_at(m).size(); ++i)
      w.push_back(s.fills_at(m)[i]);
    p.windows.push_back(std::move(w));
  }
  return p;
}

template <class T>
bool same_bytes(const T& a, const T& b) {
  return std::memcmp(&a, &b, sizeof(T)) == 0;
}

// The picture is the same, but for the counters a refused event moves: events, invalid, non_finite.
void expect_unchanged(const Picture& before, const AccountState& s, std::uint64_t refused) {
  const Picture now = picture(s);
  EXPECT_EQ(now.markets, before.markets);
  EXPECT_EQ(now.open, before.open);
  EXPECT_EQ(now.completed, before.completed);
  ASSERT_EQ(now.positions.size(), before.positions.size());
  for (std::size_t m = 0; m < now.positions.size(); ++m) {
    EXPECT_TRUE(same_bytes(now.positions[m], before.positions[m])) << "position " << m;
    EXPECT_TRUE(same_bytes(now.stats[m], before.stats[m])) << "statistics " << m;
    ASSERT_EQ(now.windows[m].size(), before.windows[m].size()) << "fill window " << m;
    for (std::size_t i = 0; i < now.windows[m].size(); ++i)
      EXPECT_TRUE(same_bytes(now.windows[m][i], before.windows[m][i])) << "fill " << i;
  }
  EXPECT_TRUE(same_bytes(now.smp, before.smp));
  ApplyCounters expected = before.counters;
  expected.events += refused;
  expected.invalid += refused;
  expected.non_finite += refused;
  EXPECT_TRUE(same_bytes(now.counters, expected))
      << "events " << now.counters.events << " invalid " << now.counters.invalid << " non_finite "
      << now.counters.non_finite << " applied " << now.counters.applied;
}

TEST(FiniteFigures, ThreeFillsOf1e308AreRefusedAndChangeNothing) {
  AccountState s;
  const Picture empty = picture(s);
  // Before the limit: a position of inf and an average cost of NaN after three of these.
  for (std::uint8_t i = 1; i <= 3; ++i)
    EXPECT_EQ(s.apply(fill(i, Side::bid, 1e308, 1e308, 1000 + i)), ApplyOutcome::invalid);
  expect_unchanged(empty, s, 3);
  EXPECT_EQ(s.market_count(), 0u);
  EXPECT_EQ(s.find_order(uuid_of(1)), nullptr);
}

// A number past kInputLimit is refused; numbers within it can be summed by any number of events
// without a sum leaving kFigureLimit, so sums are never checked as they grow.
TEST(FiniteFigures, ANumberPastTheInputLimitIsRefusedAndSumsWithinItStayFinite) {
  AccountState s;
  ASSERT_EQ(s.apply(fill(1, Side::bid, 1.0, kInputLimit, 1000)), ApplyOutcome::applied);
  const Picture after_one = picture(s);
  EXPECT_EQ(s.apply(fill(2, Side::bid, 1.0, std::nextafter(kInputLimit, 1e300), 2000)),
            ApplyOutcome::invalid);
  expect_unchanged(after_one, s, 1);
  EXPECT_EQ(s.find_order(uuid_of(2)), nullptr);  // the refused order is not kept
  EXPECT_EQ(s.counters().non_finite, 1u);
  // 200 more fills of kInputLimit funds (and fees) at the limit: 201 of them in every sum.
  for (std::uint8_t i = 3; i <= 202; ++i) {
    OrderEvent e =
        fill(i, i % 2 == 0 ? Side::bid : Side::ask, kInputLimit, kInputLimit, 1000 + 10 * i);
    e.paid_fee = kInputLimit;
    ASSERT_EQ(s.apply(e), ApplyOutcome::applied) << int{i};
  }
  const Position& p = s.position_at(0);
  EXPECT_EQ(s.counters().non_finite, 1u);
  EXPECT_TRUE(within_limits(p.basis()));
  EXPECT_NEAR(p.bought_notional + p.sold_notional, 201 * kInputLimit, 1e140);
  EXPECT_NEAR(p.fees_paid, 200 * kInputLimit, 1e140);
  EXPECT_LT(p.bought_notional, kFigureLimit);
}

TEST(FiniteFigures, ATinyVolumeWhoseAverageCostWouldOverflowIsRefused) {
  AccountState s;
  // 1e10 of funds for 1e-300 coins: an average cost of 1e310, past DBL_MAX.
  EXPECT_EQ(s.apply(fill(1, Side::bid, 1e-300, 1e10, 1000)), ApplyOutcome::invalid);
  EXPECT_EQ(s.counters().non_finite, 1u);
  EXPECT_EQ(s.market_count(), 0u);  // the market it would have opened is not kept
  EXPECT_EQ(s.open_order_count(), 0u);
}

TEST(FiniteFigures, ALateFillIsUndoneWithTheFillsItReplayed) {
  AccountState s;
  ASSERT_EQ(s.apply(fill(1, Side::bid, 1.0, 100.0, 1000)), ApplyOutcome::applied);
  ASSERT_EQ(s.apply(fill(2, Side::bid, 2.0, 300.0, 3000)), ApplyOutcome::applied);
  const Picture before = picture(s);
  ASSERT_EQ(before.windows[0].size(), 2u);
  // Older than both: put first, its basis (1e-300 coins for 1e10) has an average cost of 1e310;
  // the two fills replayed after it would bring the average back under the limit.
  EXPECT_EQ(s.apply(fill(3, Side::bid, 1e-300, 1e10, 500)), ApplyOutcome::invalid);
  expect_unchanged(before, s, 1);
  EXPECT_EQ(s.position_at(0).base_volume, 3.0);
  EXPECT_EQ(s.position_at(0).cost_gross, 400.0);
  // And the account still takes good events afterwards, at their place.
  EXPECT_EQ(s.apply(fill(4, Side::bid, 1.0, 200.0, 2000)), ApplyOutcome::applied);
  EXPECT_EQ(s.position_at(0).cost_gross, 600.0);
  EXPECT_EQ(s.counters().fills_late, 1u);
}

TEST(FiniteFigures, NonFiniteNumbersInAnEventAreRefused) {
  AccountState s;
  OrderEvent e = fill(1, Side::bid, 1.0, 100.0, 1000);
  e.locked = std::numeric_limits<double>::infinity();
  e.present |= field_bit(Field::locked);
  EXPECT_EQ(s.apply(e), ApplyOutcome::invalid);
  e = fill(1, Side::bid, 1.0, 100.0, 1000);
  e.trade_fee = std::numeric_limits<double>::quiet_NaN();
  e.present |= field_bit(Field::trade_fee);
  EXPECT_EQ(s.apply(e), ApplyOutcome::invalid);
  EXPECT_EQ(s.counters().non_finite, 2u);
  EXPECT_EQ(s.market_count(), 0u);
}

// Every figure the account shows, its totals included.
bool all_finite(const AccountState& s, std::string& which) {
  auto ok = [&](double x, const char* name, std::size_t m) {
    if (std::isfinite(x)) return true;
    which = std::string(name) + " of market " + std::to_string(m);
    return false;
  };
  for (std::uint16_t m = 0; m < s.market_count(); ++m) {
    const Position& p = s.position_at(m);
    const ExecutionStats& st = s.stats_at(m);
    if (!(ok(p.base_volume, "base_volume", m) && ok(p.cost_gross, "cost_gross", m) &&
          ok(p.cost_net, "cost_net", m) && ok(p.avg_cost_gross(), "avg_cost_gross", m) &&
          ok(p.avg_cost_net(), "avg_cost_net", m) && ok(p.realized_gross, "realized_gross", m) &&
          ok(p.realized_net, "realized_net", m) && ok(p.fees_paid, "fees_paid", m) &&
          ok(p.buy_fees, "buy_fees", m) && ok(p.sell_fees, "sell_fees", m) &&
          ok(p.bought_volume, "bought_volume", m) && ok(p.sold_volume, "sold_volume", m) &&
          ok(p.bought_notional, "bought_notional", m) && ok(p.sold_notional, "sold_notional", m) &&
          ok(p.traded_notional(), "traded_notional", m) &&
          ok(p.unattributed_volume, "unattributed_volume", m) &&
          ok(p.unattributed_funds, "unattributed_funds", m) &&
          ok(p.unattributed_fees, "unattributed_fees", m) &&
          ok(st.traded_notional, "stats traded_notional", m) &&
          ok(st.traded_volume, "stats traded_volume", m))) {
      return false;
    }
    for (std::size_t i = 0; i < s.fills_at(m).size(); ++i) {
      const PositionBasis& b = s.fills_at(m)[i].before;
      if (!(ok(b.base_volume, "window base_volume", m) && ok(b.cost_gross, "window cost", m) &&
            ok(b.cost_net, "window cost_net", m) && ok(b.realized_gross, "window realized", m) &&
            ok(b.realized_net, "window realized_net", m))) {
        return false;
      }
    }
  }
  const ExecutionStats total = s.total_stats();
  const SmpStats::PerType smp = s.smp().total();
  if (!(ok(total.traded_notional, "total traded_notional", 0) &&
        ok(total.traded_volume, "total traded_volume", 0) &&
        ok(smp.prevented_volume, "SMP prevented_volume", 0) &&
        ok(smp.prevented_locked, "SMP prevented_locked", 0))) {
    return false;
  }
  for (std::size_t i = 0; i < s.open_order_count(); ++i) {
    const Order& o = s.open_order(i);
    if (!(ok(o.price, "order price", i) && ok(o.volume, "order volume", i) &&
          ok(o.remaining_volume, "order remaining_volume", i) && ok(o.locked, "order locked", i) &&
          ok(o.avg_price, "order avg_price", i))) {
      return false;
    }
  }
  return true;
}

// Random streams over a few orders and markets, with amounts from 5e-324 to DBL_MAX, infinities
// and NaN: after every event, every figure is finite; each refusal leaves the account as it was.
TEST(FiniteFigures, EveryFigureStaysFiniteUnderStreamsOfExtremeValues) {
  constexpr double kValues[] = {0.0,   5e-324, 1e-300, 1e-12,   0.5,           1.0,    3.0,
                                1e8,   1e100,  1e149,  1e150,   1.0000001e150, 1e299,  1e300,
                                1e301, 1e307,  1e308,  DBL_MAX, 1.5,           2.5e-8, 7e12};
  const double kInf = std::numeric_limits<double>::infinity();
  const double kNaN = std::numeric_limits<double>::quiet_NaN();
  const std::string markets[] = {"KRW-BTC", "KRW-ETH", "KRW-XRP"};
  std::uint64_t refused = 0;
  std::uint64_t applied = 0;
  for (std::uint64_t seed = 1; seed <= 40; ++seed) {
    std::mt19937_64 rng(seed);
    AccountConfig config;
    config.fill_window = seed % 3 == 0 ? 0 : 8;  // with and without the window's replays
    config.history = 16;
    AccountState s(config);
    auto value = [&]() -> double {
      const auto r = rng() % 100;
      if (r == 0) return kInf;
      if (r == 1) return kNaN;
      if (r < 40) return kValues[rng() % std::size(kValues)];
      return static_cast<double>(rng() % 1000) / 8.0;  // ordinary amounts
    };
    struct Progress {
      std::uint32_t trades = 0;
      double volume = 0.0;
      double funds = 0.0;
      double fee = 0.0;
    } orders[12];
    for (int i = 0; i < 1500; ++i) {
      const auto k = static_cast<std::uint8_t>(rng() % std::size(orders));
      Progress& pr = orders[k];
      LifecycleSpec spec;
      spec.market = markets[k % 3];
      spec.side = k % 2 == 0 ? Side::bid : Side::ask;
      OrderEvent e = base_event(spec, uuid_of(k), value(), value());
      // Mostly growing cumulative figures (sometimes a step back: stale), sometimes a terminal.
      pr.trades += static_cast<std::uint32_t>(rng() % 3);
      if (rng() % 4 != 0) {
        pr.volume += value();
        pr.funds += value();
        pr.fee += rng() % 3 == 0 ? value() : 0.0;
      }
      e.state = rng() % 10 == 0 ? OrderState::done : OrderState::trade;
      e.trades_count = pr.trades;
      e.executed_volume = pr.volume;
      e.executed_funds = pr.funds;
      e.paid_fee = pr.fee;
      e.remaining_volume = value();
      e.trade_fee = value();
      e.prevented_volume = rng() % 5 == 0 ? value() : 0.0;
      e.prevented_locked = rng() % 5 == 0 ? value() : 0.0;
      e.present |= field_bit(Field::trade_fee);
      e.timestamp = 1000 + i;
      e.trade_timestamp = 1000 + static_cast<std::int64_t>(rng() % 2000);  // late fills too
      e.present |= field_bit(Field::trade_timestamp);

      const Picture before = picture(s);
      const std::uint64_t non_finite = s.counters().non_finite;
      const ApplyOutcome outcome = s.apply(e);
      std::string which;
      ASSERT_TRUE(all_finite(s, which)) << "seed " << seed << " event " << i << ": " << which;
      if (s.counters().non_finite != non_finite) {
        ASSERT_EQ(outcome, ApplyOutcome::invalid);
        ++refused;
        expect_unchanged(before, s, 1);
        if (::testing::Test::HasFailure()) FAIL() << "seed " << seed << " event " << i;
      } else if (outcome == ApplyOutcome::applied) {
        ++applied;
      }
    }
  }
  // The streams exercise both sides of the rule.
  EXPECT_GT(refused, 300u) << "applied " << applied;
  EXPECT_GT(applied, 300u) << "refused " << refused;
}

}  // namespace
}  // namespace fillwire
