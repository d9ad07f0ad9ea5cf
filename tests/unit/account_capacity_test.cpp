// Fixed capacities: what AccountState does when the open-order table, the completed ring or the
// market table is full (counted, documented, never a crash).

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "../support/account.hpp"
#include "../support/order_lifecycle.hpp"
#include "fillwire/account_state.hpp"

namespace fillwire {
namespace {

using test::Ending;
using test::LifecycleSpec;

// 4 orders open and 4 completed, 2 markets, 8 events of history: every bound within reach.
AccountConfig tiny() {
  return test::capacities(4, 4, 2, 8);
}

struct Orders {
  std::mt19937_64 rng{1234};
  std::vector<OrderEvent> make(LifecycleSpec spec) {
    return test::make_lifecycle(rng, spec, test::make_uuid(rng));
  }
};

TEST(AccountCapacity, FullOpenTableRefusesNewOrdersAndHealsThemLater) {
  Orders gen;
  AccountState s(tiny());
  std::vector<std::vector<OrderEvent>> orders;
  for (int i = 0; i < 5; ++i)
    orders.push_back(gen.make({.trades = 2, .ending = Ending::done}));
  for (std::size_t i = 0; i < 4; ++i)
    EXPECT_EQ(s.apply(orders[i][0]), ApplyOutcome::applied);
  EXPECT_EQ(s.open_order_count(), 4u);

  const auto& late = orders[4];
  EXPECT_EQ(s.apply(late[0]), ApplyOutcome::table_full);
  EXPECT_EQ(s.apply(late[1]), ApplyOutcome::table_full);
  EXPECT_EQ(s.counters().table_full, 2u);
  EXPECT_EQ(s.orders().refused(), 2u);
  EXPECT_EQ(s.find_order(late[0].uuid), nullptr);

  // A terminal first event needs no open slot: it goes straight to the completed ring.
  const auto done_first = gen.make({.trades = 1, .ending = Ending::done});
  EXPECT_EQ(s.apply(done_first.back()), ApplyOutcome::applied);
  EXPECT_EQ(s.open_order_count(), 4u);

  // Room again: the refused order's next event creates it with its full cumulative fill.
  for (const OrderEvent& e : orders[0])
    s.apply(e);
  EXPECT_EQ(s.open_order_count(), 3u);
  const double bought_before = test::position_of(s, "KRW-BTC").bought_volume;
  EXPECT_EQ(s.apply(late[2]), ApplyOutcome::applied);
  const Order* o = s.find_order(late[0].uuid);
  ASSERT_NE(o, nullptr);
  EXPECT_EQ(o->executed_volume, late[2].executed_volume);
  EXPECT_EQ(test::position_of(s, "KRW-BTC").bought_volume, bought_before + late[2].executed_volume);
  EXPECT_EQ(s.counters().created_mid_life, 2u);
}

TEST(AccountCapacity, CompletedRingEvictsTheOldestFirst) {
  Orders gen;
  AccountState s(tiny());
  std::vector<std::vector<OrderEvent>> orders;
  for (int i = 0; i < 7; ++i) {
    orders.push_back(gen.make({.trades = 1, .ending = Ending::done}));
    for (const OrderEvent& e : orders.back())
      s.apply(e);
  }
  EXPECT_EQ(s.orders().completed_size(), 4u);
  EXPECT_EQ(s.orders().evictions(), 3u);
  EXPECT_EQ(s.counters().completed_evictions, 3u);
  for (std::size_t i = 0; i < 3; ++i)
    EXPECT_EQ(s.find_order(orders[i][0].uuid), nullptr) << i;
  for (std::size_t i = 3; i < 7; ++i) {
    ASSERT_NE(s.find_order(orders[i][0].uuid), nullptr) << i;
    EXPECT_EQ(s.orders().completed(i - 3).uuid, orders[i][0].uuid);
  }
  // Kept completed orders still recognise their late events.
  EXPECT_EQ(s.apply(orders[3].back()), ApplyOutcome::duplicate);
  EXPECT_EQ(s.apply(orders[3][0]), ApplyOutcome::stale);
  EXPECT_EQ(s.total_stats().completed, 7u);
  // A late event of an evicted order cannot be told from a new order: it is created again, but
  // flagged because its order_timestamp is behind the eviction horizon.
  EXPECT_EQ(s.counters().created_behind_eviction, 0u);
  EXPECT_EQ(s.apply(orders[0].back()), ApplyOutcome::applied);
  EXPECT_EQ(s.counters().created_behind_eviction, 1u);
  const auto fresh =
      gen.make({.trades = 1, .ending = Ending::done, .t0 = orders[6][0].order_timestamp + 1000});
  EXPECT_EQ(s.apply(fresh[1]), ApplyOutcome::applied);  // mid-life, but newer: not flagged
  EXPECT_EQ(s.counters().created_behind_eviction, 1u);
}

TEST(AccountCapacity, UnknownMarketBeyondCapacityIsCountedNotTracked) {
  Orders gen;
  AccountState s(tiny());
  for (const char* m : {"KRW-BTC", "KRW-ETH"}) {
    for (const OrderEvent& e : gen.make({.market = m, .trades = 1, .ending = Ending::done})) {
      EXPECT_EQ(s.apply(e), ApplyOutcome::applied);
    }
  }
  const auto xrp = gen.make({.market = "KRW-XRP", .trades = 1, .ending = Ending::done});
  for (const OrderEvent& e : xrp)
    EXPECT_EQ(s.apply(e), ApplyOutcome::market_full);
  EXPECT_EQ(s.counters().market_full, xrp.size());
  EXPECT_EQ(s.market_count(), 2u);
  EXPECT_EQ(s.position("KRW-XRP"), nullptr);
  EXPECT_EQ(s.market_index("KRW-XRP"), AccountState::kNoMarket);
  EXPECT_EQ(s.find_order(xrp[0].uuid), nullptr);
  EXPECT_EQ(s.total_stats().completed, 2u);
  // Known markets keep working.
  for (const OrderEvent& e :
       gen.make({.market = "KRW-ETH", .trades = 1, .ending = Ending::cancel})) {
    EXPECT_EQ(s.apply(e), ApplyOutcome::applied);
  }
  EXPECT_EQ(test::stats_of(s, "KRW-ETH").completed, 2u);
}

TEST(AccountCapacity, ManyOrdersThroughSmallTablesStayConsistent) {
  // 20,000 orders, interleaved 3 at a time, through 4 open / 4 completed slots.
  Orders gen;
  AccountState s(tiny());
  double bought = 0.0;
  std::uint64_t completed = 0;
  for (int i = 0; i < 20000; i += 3) {
    std::vector<std::vector<OrderEvent>> batch;
    for (int k = 0; k < 3; ++k) {
      const auto ending = static_cast<Ending>(gen.rng() % 3);
      batch.push_back(gen.make({.market = (k & 1) != 0 ? "KRW-BTC" : "KRW-ETH",
                                .trades = static_cast<std::uint32_t>(gen.rng() % 4),
                                .ending = ending}));
      bought += batch.back().back().executed_volume;
      ++completed;
    }
    for (std::size_t step = 0; step < 6; ++step) {
      for (auto& ev : batch) {
        if (step < ev.size()) s.apply(ev[step]);
      }
    }
  }
  EXPECT_EQ(s.open_order_count(), 0u);
  EXPECT_EQ(s.counters().table_full, 0u);
  EXPECT_EQ(s.total_stats().completed, completed);
  EXPECT_EQ(s.counters().duplicates + s.counters().stale, 0u);
  const double held =
      test::position_of(s, "KRW-BTC").bought_volume + test::position_of(s, "KRW-ETH").bought_volume;
  EXPECT_EQ(held, bought);
}

}  // namespace
}  // namespace fillwire
