// Idempotent, order-insensitive application (DESIGN.md §5): for generated order lifecycles, every
// permutation of one order's events, with duplicates mixed in, leaves the same order and position
// as the ordered stream; dropped trade events are healed by the events that follow.

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>
#include <utility>
#include <vector>

#include "../support/account.hpp"
#include "../support/order_lifecycle.hpp"
#include "fillwire/account_state.hpp"

namespace fillwire {
namespace {

using test::Ending;
using test::LifecycleSpec;

AccountConfig small_config() {
  AccountConfig c = test::capacities(8, 8, 4, 0);
  // Holdings so that sells realize PnL against a known (exact) cost.
  // Amounts with few significant bits, so every sum below stays exact (see order_lifecycle.hpp).
  c.holdings.push_back({.market = "KRW-BTC",
                        .volume = 64.0,
                        .avg_cost = 1'000'000.0,
                        .avg_cost_net = 1'000'488.28125});
  return c;
}

struct Snapshot {
  Order order;
  Position position;
  ExecutionStats stats;
};

Snapshot run(const std::vector<OrderEvent>& events) {
  AccountState s(small_config());
  for (const OrderEvent& e : events)
    s.apply(e);
  const Order* o = s.find_order(events.front().uuid);
  EXPECT_NE(o, nullptr);
  return {o != nullptr ? *o : Order{}, test::position_of(s, "KRW-BTC"), s.total_stats()};
}

// What must not depend on arrival order. (events_applied and the time statistics may: an order
// first seen at its terminal event closes before its trades' own times are known.)
void expect_same(const Snapshot& a, const Snapshot& b) {
  EXPECT_EQ(a.order.state, b.order.state);
  EXPECT_EQ(a.order.terminal, b.order.terminal);
  EXPECT_EQ(a.order.executed_volume, b.order.executed_volume);
  EXPECT_EQ(a.order.executed_funds, b.order.executed_funds);
  EXPECT_EQ(a.order.paid_fee, b.order.paid_fee);
  EXPECT_EQ(a.order.trades_count, b.order.trades_count);
  EXPECT_EQ(a.order.volume, b.order.volume);
  EXPECT_EQ(a.order.price, b.order.price);
  EXPECT_EQ(a.order.remaining_volume, b.order.remaining_volume);
  EXPECT_EQ(a.order.prevented_volume, b.order.prevented_volume);
  EXPECT_EQ(a.order.first_fill_ts, b.order.first_fill_ts);
  EXPECT_EQ(a.order.final_ts, b.order.final_ts);
  EXPECT_EQ(a.position.base_volume, b.position.base_volume);
  EXPECT_EQ(a.position.cost_gross, b.position.cost_gross);
  EXPECT_EQ(a.position.cost_net, b.position.cost_net);
  EXPECT_EQ(a.position.realized_gross, b.position.realized_gross);
  EXPECT_EQ(a.position.realized_net, b.position.realized_net);
  EXPECT_EQ(a.position.fees_paid, b.position.fees_paid);
  EXPECT_EQ(a.position.bought_notional, b.position.bought_notional);
  EXPECT_EQ(a.position.sold_notional, b.position.sold_notional);
  EXPECT_EQ(a.position.unattributed_volume, b.position.unattributed_volume);
  EXPECT_EQ(a.stats.completed, b.stats.completed);
  EXPECT_EQ(a.stats.done_full, b.stats.done_full);
  EXPECT_EQ(a.stats.done_partial, b.stats.done_partial);
  EXPECT_EQ(a.stats.cancelled, b.stats.cancelled);
  EXPECT_EQ(a.stats.prevented, b.stats.prevented);
  EXPECT_EQ(a.stats.trades, b.stats.trades);
  EXPECT_EQ(a.stats.maker_trades, b.stats.maker_trades);
  EXPECT_EQ(a.stats.taker_trades, b.stats.taker_trades);
  EXPECT_EQ(a.stats.traded_notional, b.stats.traded_notional);
}

std::vector<LifecycleSpec> specs() {
  std::vector<LifecycleSpec> out;
  for (Side side : {Side::bid, Side::ask}) {
    for (Ending ending : {Ending::done, Ending::cancel, Ending::prevented}) {
      for (std::uint32_t trades : {0u, 1u, 2u, 4u}) {
        if (ending == Ending::done && trades == 0) continue;
        out.push_back({.side = side, .trades = trades, .ending = ending});
      }
    }
  }
  return out;
}

// Calls `check` with every ordering of `events` (each permutation once).
template <typename Check>
void for_each_permutation(const std::vector<OrderEvent>& events, Check check) {
  std::vector<std::size_t> perm(events.size());
  std::iota(perm.begin(), perm.end(), std::size_t{0});
  do {
    std::vector<OrderEvent> stream;
    for (std::size_t i : perm)
      stream.push_back(events[i]);
    check(std::move(stream));
  } while (std::next_permutation(perm.begin(), perm.end()));
}

TEST(Idempotence, EveryPermutationWithDuplicatesGivesTheOrderedResult) {
  std::mt19937_64 rng{2024};
  std::size_t streams = 0;
  for (const LifecycleSpec& spec : specs()) {
    const auto events = test::make_lifecycle(rng, spec, test::make_uuid(rng));
    const Snapshot expected = run(events);
    ASSERT_TRUE(expected.order.terminal);
    for_each_permutation(events, [&](std::vector<OrderEvent> stream) {
      SCOPED_TRACE(testing::Message() << "side " << to_string(spec.side) << " trades "
                                      << spec.trades << " stream " << streams);
      expect_same(run(stream), expected);
      // The same permutation with one to three events repeated at random places.
      const std::size_t copies = 1 + rng() % 3;
      for (std::size_t c = 0; c < copies; ++c) {
        const OrderEvent dup = events[rng() % events.size()];
        stream.insert(stream.begin() + static_cast<std::ptrdiff_t>(rng() % (stream.size() + 1)),
                      dup);
      }
      expect_same(run(stream), expected);
      streams += 2;
    });
  }
  EXPECT_GT(streams, 3000u);
}

TEST(Idempotence, DecimalAmountsAgreeToRounding) {
  // Exchange-like decimal amounts: sums of differently split deltas may differ in the last bits,
  // never more. The order's own cumulative figures are copied from events, so they stay exact.
  std::mt19937_64 rng{555};
  auto near = [](double a, double b) {
    return std::abs(a - b) <= 1e-9 * std::max({1.0, std::abs(a), std::abs(b)});
  };
  for (LifecycleSpec spec : specs()) {
    if (spec.trades > 2) continue;
    spec.exact = false;
    const auto events = test::make_lifecycle(rng, spec, test::make_uuid(rng));
    const Snapshot expected = run(events);
    for_each_permutation(events, [&](const std::vector<OrderEvent>& stream) {
      const Snapshot got = run(stream);
      EXPECT_EQ(got.order.executed_volume, expected.order.executed_volume);
      EXPECT_EQ(got.order.executed_funds, expected.order.executed_funds);
      EXPECT_EQ(got.order.paid_fee, expected.order.paid_fee);
      EXPECT_TRUE(near(got.position.base_volume, expected.position.base_volume));
      EXPECT_TRUE(near(got.position.cost_net, expected.position.cost_net));
      EXPECT_TRUE(near(got.position.realized_gross, expected.position.realized_gross));
      EXPECT_TRUE(near(got.position.realized_net, expected.position.realized_net));
      EXPECT_TRUE(near(got.position.fees_paid, expected.position.fees_paid));
      EXPECT_EQ(got.stats.trades, expected.stats.trades);
    });
  }
}

TEST(Idempotence, DroppedTradeEventsHeal) {
  std::mt19937_64 rng{77};
  for (const LifecycleSpec& base : specs()) {
    if (base.trades == 0) continue;
    const auto events = test::make_lifecycle(rng, base, test::make_uuid(rng));
    const Snapshot expected = run(events);
    const std::size_t n = base.trades;
    // Every subset of the trade events dropped (the terminal event stays).
    for (std::uint32_t mask = 1; mask < (1u << n); ++mask) {
      std::vector<OrderEvent> stream;
      for (std::size_t i = 0; i < events.size(); ++i) {
        const bool is_trade = i >= 1 && i <= n;
        if (is_trade && (mask >> (i - 1) & 1u) != 0) continue;
        stream.push_back(events[i]);
      }
      AccountState s(small_config());
      for (const OrderEvent& e : stream)
        s.apply(e);
      const Snapshot got{test::order_of(s, events[0].uuid), test::position_of(s, "KRW-BTC"),
                         s.total_stats()};
      EXPECT_EQ(got.order.executed_volume, expected.order.executed_volume);
      EXPECT_EQ(got.order.trades_count, expected.order.trades_count);
      EXPECT_EQ(got.position.base_volume, expected.position.base_volume);
      EXPECT_EQ(got.position.realized_net, expected.position.realized_net);
      EXPECT_EQ(got.position.fees_paid, expected.position.fees_paid);
      EXPECT_EQ(got.stats.trades, expected.stats.trades);
      EXPECT_EQ(got.stats.completed, 1u);
      EXPECT_EQ(s.counters().trades_healed, static_cast<std::uint64_t>(std::popcount(mask)));
      EXPECT_GE(s.counters().gaps_healed, 1u);
    }
  }
}

TEST(Idempotence, OpenOrderHealsWithoutItsTerminalEvent) {
  std::mt19937_64 rng{3};
  const auto events =
      test::make_lifecycle(rng, {.trades = 4, .ending = Ending::open}, test::make_uuid(rng));
  AccountState s(small_config());
  s.apply(events[0]);
  s.apply(events[2]);
  s.apply(events[4]);
  const Order* o = s.find_order(events[0].uuid);
  ASSERT_NE(o, nullptr);
  EXPECT_TRUE(o->is_open());
  EXPECT_EQ(o->executed_volume, events[4].executed_volume);
  EXPECT_EQ(test::position_of(s, "KRW-BTC").bought_volume, events[4].executed_volume);
  EXPECT_EQ(s.counters().trades_healed, 2u);
}

TEST(Idempotence, InterleavedBuyOrdersInAnyOrderGiveTheSamePositions) {
  // Buys only: their sums commute exactly, so a shuffled, duplicated stream of many orders across
  // markets must give exactly the ordered positions.
  std::mt19937_64 rng{11};
  std::vector<OrderEvent> ordered;
  const char* markets[] = {"KRW-BTC", "KRW-ETH", "KRW-XRP"};
  for (int i = 0; i < 200; ++i) {
    const auto ev = test::make_lifecycle(rng,
                                         {.market = markets[i % 3],
                                          .trades = static_cast<std::uint32_t>(rng() % 4),
                                          .ending = static_cast<Ending>(1 + rng() % 2)},
                                         test::make_uuid(rng));
    ordered.insert(ordered.end(), ev.begin(), ev.end());
  }
  AccountConfig c;
  c.open_orders = 256;
  c.completed_orders = 256;
  AccountState a(c);
  for (const OrderEvent& e : ordered)
    a.apply(e);
  std::vector<OrderEvent> shuffled = ordered;
  for (int i = 0; i < 300; ++i)
    shuffled.push_back(ordered[rng() % ordered.size()]);
  std::shuffle(shuffled.begin(), shuffled.end(), rng);
  AccountState b(c);
  for (const OrderEvent& e : shuffled)
    b.apply(e);
  for (const char* m : markets) {
    SCOPED_TRACE(m);
    EXPECT_EQ(test::position_of(a, m).bought_volume, test::position_of(b, m).bought_volume);
    EXPECT_EQ(test::position_of(a, m).cost_gross, test::position_of(b, m).cost_gross);
    // Net cost mixes magnitudes of 2^37 with fee steps of 2^-16: equal to rounding.
    EXPECT_DOUBLE_EQ(test::position_of(a, m).cost_net, test::position_of(b, m).cost_net);
    EXPECT_EQ(test::stats_of(a, m).completed, test::stats_of(b, m).completed);
    EXPECT_EQ(test::stats_of(a, m).trades, test::stats_of(b, m).trades);
    EXPECT_EQ(test::stats_of(a, m).maker_trades, test::stats_of(b, m).maker_trades);
  }
  EXPECT_EQ(b.open_order_count(), 0u);
  EXPECT_GE(b.counters().duplicates + b.counters().stale, 300u);
}

}  // namespace
}  // namespace fillwire
