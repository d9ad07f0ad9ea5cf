// AccountSnapshot and SnapshotHandoff: the latency histogram's percentiles, the triple buffer's
// hand-over on one thread, and a two-thread run (strategy thread applying events and filling
// snapshots on request, a reader taking them) in which no snapshot may ever be torn. Runs under
// ThreadSanitizer with the threaded tests.

#include <gtest/gtest.h>

#include <atomic>
#include <cstdio>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "../support/counting_consumer.hpp"
#include "../support/frames.hpp"
#include "../support/order_lifecycle.hpp"
#include "fillwire/control_event.hpp"
#include "fillwire/engine.hpp"
#include "fillwire/snapshot_view.hpp"

namespace fillwire {
namespace {

TEST(LatencyHistogram, PercentilesWithinOneBucket) {
  auto h = std::make_unique<LatencyHistogram>();
  *h = LatencyHistogram{};
  for (std::uint64_t ns = 1; ns <= 100'000; ++ns)
    h->add(ns);
  EXPECT_EQ(h->samples, 100'000u);
  EXPECT_EQ(h->max_ns, 100'000u);
  // Buckets are 1/8 of a power of two wide: at most 12.5 % high, never low.
  for (const double q : {0.5, 0.9, 0.99, 0.999}) {
    const auto exact = static_cast<double>(q * 100'000);
    const auto got = static_cast<double>(h->percentile(q));
    EXPECT_GE(got, exact) << q;
    EXPECT_LE(got, exact * 1.125) << q;
  }
  EXPECT_EQ(h->percentile(1.0), 100'000u);
  EXPECT_EQ(LatencyHistogram::bucket(0), 0u);
  EXPECT_EQ(LatencyHistogram::bucket(7), 7u);
  for (std::uint64_t ns : {8ull, 9ull, 1000ull, 123456789ull, 1ull << 62}) {
    const std::size_t b = LatencyHistogram::bucket(ns);
    EXPECT_LE(ns, LatencyHistogram::upper(b)) << ns;
    EXPECT_GT(ns, LatencyHistogram::upper(b - 1)) << ns;
  }
}

// A wait event of a new order (number n) in `market`.
OrderEvent wait_event(std::uint32_t n, std::string_view market) {
  return test::numbered_wait(n, market, Side::ask, 5000.0, 2.0);
}

// 20,000 open orders over 10,000 markets against room for 16 of each: every refusal is counted and
// the views show them as such, never as applied.
TEST(SnapshotView, RefusalsBeyondTheCapacityAreCountedAndShown) {
  AccountConfig config;
  config.markets = 16;
  config.open_orders = 16;
  config.completed_orders = 16;
  auto state = std::make_unique<AccountState>(config);
  for (std::uint32_t i = 0; i < 20'000; ++i) {
    char code[16];
    std::snprintf(code, sizeof code, "KRW-M%04u", i % 10'000);
    state->apply(wait_event(i, code));
  }
  // Orders 0..15 open markets 0..15 and fill the open table; 16..9,999 are in markets beyond the
  // 16th; 10,000..10,015 are in known markets with the table full; the rest in unknown markets.
  const ApplyCounters& a = state->counters();
  EXPECT_EQ(a.applied, 16u);
  EXPECT_EQ(a.table_full, 16u);
  EXPECT_EQ(a.market_full, 19'968u);
  EXPECT_EQ(a.refused(), 19'984u);
  EXPECT_EQ(state->market_count(), 16u);
  EXPECT_EQ(state->open_order_count(), 16u);

  SnapshotTracker tracker;
  OrderEvent c{};
  make_control(c, ControlCode::connected, 1764000000000);
  tracker.on_control(c);
  auto snap = std::make_unique<AccountSnapshot>();
  fill_snapshot(*state, tracker, 1, *snap);
  EngineCounters counters{};
  counters.connected = true;
  counters.live.clock_skew = 3;
  const std::string view = format_view(*snap, counters, ViewContext{});
  for (const char* expected :
       {"ACCOUNT INCOMPLETE: 16 events refused (table full) \u2014 raise account.open_orders; "
        "19,968 events refused (market table full) \u2014 raise account.markets",
        "connection   CONNECTED   ", "events       16 applied  19,984 refused",
        "table full 16  market full 19,968  invalid 0", "clock skew 3"}) {
    EXPECT_NE(view.find(expected), std::string::npos) << expected << "\n" << view;
  }
  const std::string line = format_line(*snap, counters, 0.0);
  for (const char* expected :
       {"connected events 16 applied 19984 refused", "refused table full 16 market full 19968",
        "| ACCOUNT INCOMPLETE: 16 events refused (table full)"}) {
    EXPECT_NE(line.find(expected), std::string::npos) << expected << "\n" << line;
  }
}

TEST(SnapshotView, AnIncompleteOrFailedResyncIsNotShownAsLive) {
  auto state = std::make_unique<AccountState>();
  SnapshotTracker tracker;
  OrderEvent c{};
  for (const ControlCode code : {ControlCode::connected, ControlCode::resync_begin,
                                 ControlCode::resync_incomplete, ControlCode::rate_limited}) {
    make_control(c, code, 1764000000000);
    tracker.on_control(c);
  }
  auto snap = std::make_unique<AccountSnapshot>();
  fill_snapshot(*state, tracker, 1, *snap);
  EngineCounters counters{};
  counters.connected = true;
  std::string view = format_view(*snap, counters, ViewContext{});
  EXPECT_NE(view.find("connection   CONNECTED, RESYNC INCOMPLETE"), std::string::npos) << view;
  EXPECT_NE(view.find("ACCOUNT INCOMPLETE: 1 resync incomplete or failed"), std::string::npos)
      << view;
  EXPECT_NE(view.find("resync incomplete 1  resync failed 0  rate limited 1"), std::string::npos)
      << view;
  EXPECT_NE(format_line(*snap, counters, 0).find("connected, resync incomplete events"),
            std::string::npos);

  make_control(c, ControlCode::resync_failed, 1764000000001);
  tracker.on_control(c);
  fill_snapshot(*state, tracker, 2, *snap);
  view = format_view(*snap, counters, ViewContext{});
  EXPECT_NE(view.find("connection   CONNECTED, RESYNC FAILED"), std::string::npos) << view;

  // A later resync that completes makes the connection live again (the counts stay).
  for (const ControlCode code : {ControlCode::resync_begin, ControlCode::resynced}) {
    make_control(c, code, 1764000000002);
    tracker.on_control(c);
  }
  fill_snapshot(*state, tracker, 3, *snap);
  view = format_view(*snap, counters, ViewContext{});
  EXPECT_NE(view.find("connection   CONNECTED   "), std::string::npos) << view;
}

TEST(SnapshotHandoff, HandsOverOnlyFreshSnapshots) {
  auto x = std::make_unique<SnapshotHandoff>();
  EXPECT_EQ(x->take(), nullptr);
  EXPECT_FALSE(x->requested());
  x->request();
  EXPECT_TRUE(x->requested());
  EXPECT_FALSE(x->requested()) << "a request is answered once";
  x->back().version = 1;
  x->publish();
  x->back().version = 2;
  x->publish();  // the reader gets the newest; version 1 is dropped
  const AccountSnapshot* s = x->take();
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->version, 2u);
  EXPECT_EQ(x->take(), nullptr);
  x->back().version = 3;
  x->publish();
  s = x->take();
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->version, 3u);
}

// The strategy thread fills snapshots while a reader takes them as fast as it can. Each snapshot
// is checked against relations that a torn copy would break: every order event adds one latency
// sample, and the counters add up.
TEST(SnapshotHandoff, ReaderNeverSeesATornSnapshot) {
  const std::vector<OrderEvent> events = test::decoded_then_connected("lifecycle-default.jsonl");
  ASSERT_GT(events.size(), 5u);
  auto rig = std::make_unique<test::CountingConsumer>();

#if defined(__SANITIZE_THREAD__) || defined(__SANITIZE_ADDRESS__)
  constexpr std::uint64_t kEvents = 200'000;
#else
  constexpr std::uint64_t kEvents = 2'000'000;
#endif
  std::atomic<bool> done{false};
  // The writer goes on past kEvents until the reader has taken a few snapshots: on a loaded host
  // the reader thread may hardly run while the writer does (a cap keeps a broken exchange from
  // looping forever; the assertion below then fails).
  std::atomic<std::uint64_t> taken_so_far{0};
  std::uint64_t written = 0;
  std::thread writer([&] {
    for (std::uint64_t i = 0;
         i < kEvents || (taken_so_far.load(std::memory_order_relaxed) <= 10 && i < 50 * kEvents);
         ++i) {
      OrderEvent e = events[i % events.size()];
      e.recv_ts = now_ticks();
      rig->consumer.on_event(e);
      written = i + 1;
    }
    done.store(true, std::memory_order_release);
  });
  std::uint64_t taken = 0;
  std::uint64_t last_version = 0;
  std::string error;
  while (!done.load(std::memory_order_acquire)) {
    rig->exchange.request();
    const AccountSnapshot* s = rig->exchange.take();
    if (s == nullptr) continue;
    ++taken;
    taken_so_far.store(taken, std::memory_order_relaxed);
    if (s->version <= last_version) error = "version did not grow";
    last_version = s->version;
    // Latency is sampled for every exchange frame: orders and balances.
    if (s->latency.samples != s->order_events + s->counters.assets) {
      error = "latency samples != order and asset events";
    }
    if (s->counters.events != s->order_events + s->counters.not_order + s->counters.assets) {
      error = "counters torn";
    }
    if (s->connection.connects != s->counters.not_order) error = "connection torn";
  }
  writer.join();
  EXPECT_EQ(error, "");
  EXPECT_GT(taken, 10u);
  EXPECT_EQ(rig->strategy.orders, written - written / events.size());
}

}  // namespace
}  // namespace fillwire
