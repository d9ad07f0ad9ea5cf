// Engine builds its strategy in place from the constructor's arguments: a strategy holding
// std::atomic members (neither copyable nor movable) compiles and runs. The network thread polls a
// replay of the worked scenario through detail::EngineTestAccess, so nothing connects.

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <type_traits>
#include <utility>

#include "fillwire/detail/engine_test_access.hpp"
#include "fillwire/engine.hpp"
#include "fillwire/replay_source.hpp"
#include "wait.hpp"

namespace fillwire {
namespace {

// Read by the test thread while the strategy thread runs: atomics, and no move constructor.
struct AtomicCounter {
  AtomicCounter(std::string name, std::uint64_t count) : label(std::move(name)), wanted(count) {}

  void on_order(const OrderEvent& e, const AccountState&) noexcept {
    // relaxed (both): progress counts, read again after stop() joined the strategy thread.
    if (e.state == OrderState::trade) trades.fetch_add(1, std::memory_order_relaxed);
    orders.fetch_add(1, std::memory_order_relaxed);
  }

  std::string label;
  std::uint64_t wanted;
  std::atomic<std::uint64_t> orders{0};
  std::atomic<std::uint64_t> trades{0};
};
static_assert(!std::is_move_constructible_v<AtomicCounter> &&
                  !std::is_copy_constructible_v<AtomicCounter>,
              "The point of the test: a strategy the engine cannot copy or move.");

struct DefaultCounter {
  void on_order(const OrderEvent&, const AccountState&) noexcept {
    orders.fetch_add(1, std::memory_order_relaxed);  // relaxed: as AtomicCounter's
  }
  std::atomic<std::uint64_t> orders{0};
};

EngineConfig offline_config() {
  EngineConfig config;
  config.live.url = "ws://127.0.0.1:1/websocket/v1/private";  // never connected: a replay is polled
  return config;
}

Credentials test_credentials() {
  return Credentials{"engine-strategy-test", Secret("secret")};
}

// Waits (at most 30 s) until the strategy has seen `n` order events.
template <class S>
bool wait_for_orders(const S& strategy, std::uint64_t n) {
  return test::wait_until([&] { return strategy.orders.load(std::memory_order_relaxed) >= n; },
                          std::chrono::seconds(30), std::chrono::milliseconds(1));
}

constexpr const char* kLifecycle = FILLWIRE_TEST_DATA "/lifecycle-default.jsonl";

TEST(EngineStrategy, AStrategyHoldingAtomicsIsBuiltInPlaceFromArguments) {
  Engine<AtomicCounter> engine(offline_config(), test_credentials(), std::in_place, "fills", 11u);
  EXPECT_EQ(engine.strategy().label, "fills");
  EXPECT_EQ(engine.strategy().wanted, 11u);

  ReplaySource replay = ReplaySource::from_file(kLifecycle);
  detail::EngineTestAccess::start(engine, replay);
  EXPECT_TRUE(engine.running());
  ASSERT_TRUE(wait_for_orders(engine.strategy(), engine.strategy().wanted));
  engine.stop();

  // The worked scenario (data/lifecycle.expected.md): 11 order events, 4 of them trade events of
  // which one is a duplicate, so 3 trades in the account.
  EXPECT_EQ(engine.strategy().orders.load(std::memory_order_relaxed), 11u);
  EXPECT_EQ(engine.strategy().trades.load(std::memory_order_relaxed), 4u);
  EXPECT_EQ(engine.account().counters().events, 11u);
  EXPECT_EQ(engine.account().counters().duplicates, 1u);
  EXPECT_EQ(engine.account().total_stats().trades, 3u);
  EXPECT_FALSE(engine.running());
}

TEST(EngineStrategy, WithoutArgumentsTheStrategyIsValueInitialised) {
  Engine<DefaultCounter> engine(offline_config(), test_credentials());
  EXPECT_EQ(engine.strategy().orders.load(std::memory_order_relaxed), 0u);
  ReplaySource replay = ReplaySource::from_file(kLifecycle);
  detail::EngineTestAccess::start(engine, replay);
  ASSERT_TRUE(wait_for_orders(engine.strategy(), 11));
  engine.stop();
  EXPECT_EQ(engine.account().counters().events, 11u);
}

// A replay that, once its frames are out, stays idle as a quiet account's connection does.
struct QuietAfterReplay {
  ReplaySource replay = ReplaySource::from_file(kLifecycle);
  template <class Sink>
  SourceStatus poll(Sink& sink) noexcept {
    const SourceStatus s = replay.poll(sink);
    return s == SourceStatus::done ? SourceStatus::idle : s;
  }
};

// Every event arrives before the first snapshot is asked for, then nothing more: the snapshot
// must still come (the idle strategy thread answers), not wait for an event that never comes.
template <class Wait>
void quiet_account_snapshot_is_current() {
  EngineConfig config = offline_config();
  config.snapshot_interval = std::chrono::milliseconds(200);
  Engine<DefaultCounter, Wait> engine(config, test_credentials());
  QuietAfterReplay source;
  detail::EngineTestAccess::start(engine, source);
  ASSERT_TRUE(wait_for_orders(engine.strategy(), 11));
  auto snapshot = std::make_unique<AccountSnapshot>();
  EXPECT_TRUE(test::wait_until(
      [&] { return engine.snapshot(*snapshot) && snapshot->counters.events == 11; },
      std::chrono::seconds(10)))
      << "no current snapshot of a quiet account";
  engine.stop();
}

TEST(EngineStrategy, AQuietAccountsSnapshotIsCurrentBlocking) {
  quiet_account_snapshot_is_current<Blocking>();
}

TEST(EngineStrategy, AQuietAccountsSnapshotIsCurrentSpinning) {
  quiet_account_snapshot_is_current<SpinThenYield>();
}

}  // namespace
}  // namespace fillwire
