// StrategyConsumer: the account is updated before the strategy is called, control events reach
// on_control only (and only strategies that have it), and the whole path runs through a Pipeline.

#include "fillwire/strategy.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "../support/frames.hpp"
#include "fillwire/pipeline.hpp"
#include "fillwire/replay_source.hpp"

namespace fillwire {
namespace {

std::vector<OrderEvent> lifecycle_events() {
  Decoder d;
  std::vector<OrderEvent> events;
  for (const std::string& line : test::read_lines("lifecycle-default.jsonl")) {
    OrderEvent e;
    const FrameResult r = test::decode_one(d, line, e);
    EXPECT_TRUE(r.error.ok()) << line;
    events.push_back(e);
  }
  return events;
}

// Records, at each call, what the account said: the call must see its own event applied.
struct Watcher {
  std::vector<double> base_volume_seen;  // reserved: the callbacks must not allocate
  std::vector<ControlCode> controls;
  Watcher() {
    base_volume_seen.reserve(64);
    controls.reserve(8);
  }
  void on_order(const OrderEvent& e, const AccountState& a) noexcept {
    const Position* p = a.position(e.code.view());
    base_volume_seen.push_back(p ? p->base_volume : -1.0);
  }
  void on_control(const OrderEvent& e, const AccountState&) noexcept {
    controls.push_back(control_code(e));
  }
};

struct OrdersOnly {
  int calls = 0;
  void on_order(const OrderEvent&, const AccountState&) noexcept { ++calls; }
};

static_assert(Strategy<Watcher> && ControlAware<Watcher>);
static_assert(Strategy<OrdersOnly> && !ControlAware<OrdersOnly>);
static_assert(Strategy<NoStrategy>);
static_assert(EventConsumer<StrategyConsumer<Watcher>>);

template <typename Consumer>
void send_control(Consumer& consumer, ControlCode code, std::int64_t wall_ms) {
  OrderEvent control{};
  make_control(control, code, wall_ms);
  consumer.on_event(control);
}

TEST(StrategyConsumer, CallsTheStrategyAfterApplyingAndRoutesControlEvents) {
  const std::vector<OrderEvent> events = lifecycle_events();
  AccountState account;
  Watcher watcher;
  StrategyConsumer<Watcher> consumer(account, watcher);

  send_control(consumer, ControlCode::connected, 1);
  for (const OrderEvent& e : events)
    consumer.on_event(e);
  send_control(consumer, ControlCode::disconnected, 2);

  ASSERT_EQ(watcher.base_volume_seen.size(), events.size());
  // Each call sees the position as it is after that event: the last one is the final position.
  const Position* p = account.position("KRW-BTC");
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(watcher.base_volume_seen.back(), p->base_volume);
  EXPECT_EQ(p->base_volume, 0.5);
  // The first event is a wait with nothing filled, so the market exists and holds nothing yet.
  EXPECT_EQ(watcher.base_volume_seen.front(), 0.0);
  EXPECT_EQ(watcher.controls,
            (std::vector<ControlCode>{ControlCode::connected, ControlCode::disconnected}));
}

TEST(StrategyConsumer, StrategiesWithoutOnControlNeverSeeControlEvents) {
  AccountState account;
  OrdersOnly strategy;
  StrategyConsumer<OrdersOnly> consumer(account, strategy);
  send_control(consumer, ControlCode::resynced, 1);
  EXPECT_EQ(strategy.calls, 0);
  for (const OrderEvent& e : lifecycle_events())
    consumer.on_event(e);
  EXPECT_EQ(strategy.calls, 11);
}

TEST(StrategyConsumer, RunsAsThePipelineConsumer) {
  std::vector<std::string> lines = test::read_lines("lifecycle-default.jsonl");
  AccountState account;
  Watcher watcher;
  StrategyConsumer<Watcher> consumer(account, watcher);
  Pipeline<StrategyConsumer<Watcher>> pipeline(consumer, PipelineConfig{});
  ReplaySource source(lines);
  pipeline.start(source);
  pipeline.join();
  EXPECT_EQ(watcher.base_volume_seen.size(), 11u);
  const Position* p = account.position("KRW-BTC");
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->realized_gross, 5'000'000.0);
}

}  // namespace
}  // namespace fillwire
