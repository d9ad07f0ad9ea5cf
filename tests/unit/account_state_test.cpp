// AccountState against the shared worked scenario (data/lifecycle.expected.md) and the individual
// application rules: duplicates, stale events, gaps, mid-life orders, absorbing terminal states.

#include "fillwire/account_state.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <string>
#include <vector>

#include "../support/account.hpp"
#include "../support/frames.hpp"
#include "../support/order_lifecycle.hpp"

namespace fillwire {
namespace {

using test::Ending;
using test::LifecycleSpec;
using test::make_lifecycle;

std::vector<OrderEvent> decode_file(const std::string& name) {
  Decoder d;
  std::vector<OrderEvent> events;
  for (const std::string& line : test::read_lines(name)) {
    OrderEvent e;
    const FrameResult r = test::decode_one(d, line, e);
    EXPECT_TRUE(r.error.ok()) << to_string(r.error.code) << " in " << line;
    events.push_back(e);
  }
  return events;
}

// Every figure of data/lifecycle.expected.md.
void expect_lifecycle_figures(const std::string& file) {
  SCOPED_TRACE(file);
  const std::vector<OrderEvent> events = decode_file(file);
  ASSERT_EQ(events.size(), 11u);
  AccountState s;
  for (const OrderEvent& e : events)
    s.apply(e);

  ASSERT_EQ(s.market_count(), 1u);
  const Position* p = s.position("KRW-BTC");
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->base_volume, 0.5);
  EXPECT_EQ(p->avg_cost_gross(), 100'000'000.0);
  EXPECT_EQ(p->avg_cost_net(), 100'050'000.0);
  EXPECT_EQ(p->realized_gross, 5'000'000.0);
  EXPECT_EQ(p->realized_net, 4'947'500.0);
  EXPECT_EQ(p->fees_paid, 77'500.0);
  EXPECT_EQ(p->buy_fees, 50'000.0);
  EXPECT_EQ(p->sell_fees, 27'500.0);
  EXPECT_EQ(p->bought_notional, 100'000'000.0);
  EXPECT_EQ(p->sold_notional, 55'000'000.0);
  EXPECT_EQ(p->bought_volume, 1.0);
  EXPECT_EQ(p->sold_volume, 0.5);
  EXPECT_EQ(p->unattributed_volume, 0.0);
  EXPECT_EQ(p->unrealized(110'000'000.0), 5'000'000.0);
  EXPECT_EQ(p->unrealized_net(110'000'000.0), 4'975'000.0);

  const ExecutionStats t = s.total_stats();
  EXPECT_EQ(t.completed, 4u);
  EXPECT_EQ(t.done_full, 2u);
  EXPECT_EQ(t.done_partial, 0u);
  EXPECT_EQ(t.cancelled, 1u);
  EXPECT_EQ(t.prevented, 1u);
  EXPECT_EQ(t.fill_rate(), 0.5);
  EXPECT_EQ(t.cancel_rate(), 0.25);
  EXPECT_EQ(t.smp_rate(), 0.25);
  EXPECT_EQ(t.trades, 3u);
  EXPECT_EQ(t.maker_trades, 2u);
  EXPECT_EQ(t.taker_trades, 1u);
  EXPECT_EQ(t.traded_notional, 155'000'000.0);
  // Times from order_timestamp: A first fill 100 ms, final 202; B 100 / 102; C final 1000; E 1.
  EXPECT_EQ(t.first_fill_samples, 2u);
  EXPECT_EQ(t.avg_first_fill_ms(), 100.0);
  EXPECT_EQ(t.final_ms_max, 1000);
  EXPECT_EQ(t.final_ms_sum, 202 + 102 + 1000 + 1);
  const ExecutionStats* m = s.stats("KRW-BTC");
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(m->completed, 4u);

  const SmpStats::PerType& smp = s.smp().of(SmpType::cancel_taker);
  EXPECT_EQ(smp.orders, 1u);
  EXPECT_EQ(smp.prevented_orders, 1u);
  EXPECT_EQ(smp.prevented_volume, 0.1);
  EXPECT_EQ(smp.prevented_locked, 10'005'000.0);

  EXPECT_EQ(s.open_order_count(), 0u);
  EXPECT_EQ(s.orders().completed_size(), 4u);
  EXPECT_EQ(s.counters().events, 11u);
  EXPECT_EQ(s.counters().duplicates, 1u);
  EXPECT_EQ(s.counters().stale, 0u);
  EXPECT_EQ(s.counters().applied, 10u);
  EXPECT_EQ(s.counters().orders_created, 4u);
  EXPECT_EQ(s.counters().created_mid_life, 1u);  // E is first seen `prevented`

  Uuid a;
  ASSERT_TRUE(Uuid::parse("3f1c9a52-7b1e-4c1d-9a0e-1b2c3d4e5f60", a));
  const Order* o = s.find_order(a);
  ASSERT_NE(o, nullptr);
  EXPECT_EQ(o->state, OrderState::done);
  EXPECT_TRUE(o->terminal);
  EXPECT_EQ(o->volume, 1.0);  // the order's volume, not the last trade's 0.6
  EXPECT_EQ(o->price, 100'000'000.0);
  EXPECT_EQ(o->executed_volume, 1.0);
  EXPECT_EQ(o->trades_count, 2u);
  EXPECT_EQ(o->identifier.view(), "strat-a-1");
  EXPECT_EQ(s.history().size(), 11u);
  EXPECT_EQ(s.history().outcome(3), ApplyOutcome::duplicate);
}

TEST(AccountStateLifecycle, DefaultFormatMatchesHandComputedFigures) {
  expect_lifecycle_figures("lifecycle-default.jsonl");
}

TEST(AccountStateLifecycle, SimpleFormatMatchesHandComputedFigures) {
  expect_lifecycle_figures("lifecycle-simple.jsonl");
}

TEST(AccountStateLifecycle, ReplayingTheWholeFileAgainChangesNothing) {
  const std::vector<OrderEvent> events = decode_file("lifecycle-default.jsonl");
  AccountState s;
  for (const OrderEvent& e : events)
    s.apply(e);
  const Position before = test::position_of(s, "KRW-BTC");
  for (const OrderEvent& e : events)
    EXPECT_NE(s.apply(e), ApplyOutcome::applied);
  const Position& after = test::position_of(s, "KRW-BTC");
  EXPECT_EQ(after.base_volume, before.base_volume);
  EXPECT_EQ(after.realized_net, before.realized_net);
  EXPECT_EQ(after.fees_paid, before.fees_paid);
  EXPECT_EQ(s.total_stats().completed, 4u);
  EXPECT_EQ(s.total_stats().maker_trades, 2u);
  EXPECT_EQ(s.counters().after_terminal, 11u);
}

class AccountStateRules : public ::testing::Test {
 protected:
  std::mt19937_64 rng{42};
  AccountState state{test::small_account()};

  std::vector<OrderEvent> lifecycle(const LifecycleSpec& spec) {
    return make_lifecycle(rng, spec, test::make_uuid(rng));
  }
};

TEST_F(AccountStateRules, DuplicateWaitIsCountedAndChangesNothing) {
  const auto ev = lifecycle({.trades = 1, .ending = Ending::open});
  EXPECT_EQ(state.apply(ev[0]), ApplyOutcome::applied);
  EXPECT_EQ(state.apply(ev[0]), ApplyOutcome::duplicate);
  EXPECT_EQ(state.counters().duplicates, 1u);
  EXPECT_EQ(state.open_order_count(), 1u);
  EXPECT_EQ(state.open_order(0).state, OrderState::wait);
}

TEST_F(AccountStateRules, WaitArrivingAfterATradeIsStale) {
  const auto ev = lifecycle({.trades = 1, .ending = Ending::open});
  EXPECT_EQ(state.apply(ev[1]), ApplyOutcome::applied);
  EXPECT_EQ(state.counters().created_mid_life, 1u);
  EXPECT_EQ(state.apply(ev[0]), ApplyOutcome::stale);
  const Order* o = state.find_order(ev[0].uuid);
  ASSERT_NE(o, nullptr);
  EXPECT_EQ(o->state, OrderState::trade);
  EXPECT_EQ(o->executed_volume, ev[1].executed_volume);
  EXPECT_EQ(state.counters().stale, 1u);
}

TEST_F(AccountStateRules, MissedTradeIsHealedAndItsLateArrivalIsStale) {
  const auto ev = lifecycle({.trades = 3, .ending = Ending::open});
  state.apply(ev[0]);
  state.apply(ev[3]);  // trades 1 and 2 missed
  EXPECT_EQ(state.counters().gaps_healed, 1u);
  EXPECT_EQ(state.counters().trades_healed, 2u);
  const Position& p = test::position_of(state, "KRW-BTC");
  EXPECT_EQ(p.bought_volume, ev[3].executed_volume);
  EXPECT_EQ(p.bought_notional, ev[3].executed_funds);
  EXPECT_EQ(p.buy_fees, ev[3].paid_fee);
  EXPECT_EQ(state.total_stats().trades, 3u);
  // Trade 1 arrives late: stale for the position, but its maker flag is counted once.
  const std::uint64_t liquidity_before =
      state.total_stats().maker_trades + state.total_stats().taker_trades;
  EXPECT_EQ(state.apply(ev[1]), ApplyOutcome::stale);
  EXPECT_EQ(state.total_stats().maker_trades + state.total_stats().taker_trades,
            liquidity_before + 1);
  EXPECT_EQ(state.apply(ev[1]), ApplyOutcome::duplicate);
  EXPECT_EQ(state.total_stats().maker_trades + state.total_stats().taker_trades,
            liquidity_before + 1);
  EXPECT_EQ(p.bought_volume, ev[3].executed_volume);
  EXPECT_EQ(state.total_stats().trades, 3u);
}

TEST_F(AccountStateRules, TerminalStateIsAbsorbing) {
  const auto ev = lifecycle({.trades = 2, .ending = Ending::cancel});
  state.apply(ev[0]);
  state.apply(ev[3]);  // cancel: heals both trades, closes the order
  EXPECT_EQ(state.open_order_count(), 0u);
  EXPECT_EQ(state.apply(ev[3]), ApplyOutcome::duplicate);
  EXPECT_EQ(state.apply(ev[2]), ApplyOutcome::stale);
  EXPECT_EQ(state.apply(ev[0]), ApplyOutcome::stale);
  OrderEvent done = ev[3];
  done.state = OrderState::done;
  done.timestamp += 1000;
  EXPECT_EQ(state.apply(done), ApplyOutcome::stale);
  const Order* o = state.find_order(ev[0].uuid);
  ASSERT_NE(o, nullptr);
  EXPECT_EQ(o->state, OrderState::cancel);
  EXPECT_EQ(state.total_stats().completed, 1u);
  EXPECT_EQ(state.total_stats().done_partial, 1u);  // cancelled after trading
  EXPECT_EQ(state.counters().after_terminal, 4u);
}

TEST_F(AccountStateRules, TerminalBehindAppliedProgressClosesWithoutTakingBack) {
  const auto ev = lifecycle({.trades = 2, .ending = Ending::open});
  state.apply(ev[0]);
  state.apply(ev[2]);
  OrderEvent cancel = ev[1];  // claims only one trade: contradicts what was applied
  cancel.state = OrderState::cancel;
  cancel.present &= ~(field_bit(Field::trade_fee) | field_bit(Field::is_maker) |
                      field_bit(Field::trade_uuid) | field_bit(Field::trade_timestamp));
  cancel.timestamp = ev[2].timestamp + 10;
  EXPECT_EQ(state.apply(cancel), ApplyOutcome::applied);
  EXPECT_EQ(state.counters().terminal_regressions, 1u);
  EXPECT_EQ(state.open_order_count(), 0u);
  EXPECT_EQ(test::position_of(state, "KRW-BTC").bought_volume, ev[2].executed_volume);
}

TEST_F(AccountStateRules, WatchThenWaitAtSameProgressTakesTheNewerState) {
  auto ev = lifecycle({.trades = 0, .ending = Ending::open});
  OrderEvent watch = ev[0];
  watch.state = OrderState::watch;
  OrderEvent wait = ev[0];
  wait.timestamp = watch.timestamp + 5;
  EXPECT_EQ(state.apply(watch), ApplyOutcome::applied);
  EXPECT_EQ(state.apply(wait), ApplyOutcome::applied);
  EXPECT_EQ(state.apply(watch), ApplyOutcome::stale);
  EXPECT_EQ(test::order_of(state, wait.uuid).state, OrderState::wait);
}

TEST_F(AccountStateRules, PartlyFilledRestingOrderFirstSeenIsMidLife) {
  const auto ev = lifecycle({.trades = 2, .ending = Ending::open});
  OrderEvent resynced = ev[2];  // as a REST resync reports it: state wait, cumulative fields
  resynced.state = OrderState::wait;
  resynced.price = ev[0].price;
  resynced.volume = ev[0].volume;
  EXPECT_EQ(state.apply(resynced), ApplyOutcome::applied);
  EXPECT_EQ(state.counters().created_mid_life, 1u);
  EXPECT_EQ(state.counters().trades_healed, 2u);
  EXPECT_EQ(test::position_of(state, "KRW-BTC").bought_volume, ev[2].executed_volume);
  // The trade that the resync already covered arrives late: same progress, not newer: stale.
  EXPECT_EQ(state.apply(ev[2]), ApplyOutcome::stale);
  EXPECT_EQ(test::position_of(state, "KRW-BTC").bought_volume, ev[2].executed_volume);
  EXPECT_EQ(test::order_of(state, ev[0].uuid).volume, ev[0].volume);
}

TEST_F(AccountStateRules, TradeEventsNeverSetTheOrdersTerms) {
  const auto ev = lifecycle({.trades = 2, .ending = Ending::open});
  state.apply(ev[1]);  // first seen mid-life: volume from executed + remaining
  const Order* o = state.find_order(ev[0].uuid);
  ASSERT_NE(o, nullptr);
  EXPECT_EQ(o->volume, ev[0].volume);
  EXPECT_EQ(o->price, 0.0);  // unknown until a non-trade event says it
  state.apply(ev[2]);
  EXPECT_EQ(o->volume, ev[0].volume);
  EXPECT_NE(o->volume, ev[2].volume);
}

TEST_F(AccountStateRules, MarketBuyByAmountEndingCancelCountsAsFilled) {
  auto ev = lifecycle({.trades = 1, .ending = Ending::cancel});
  for (OrderEvent& e : ev)
    e.order_type = OrderType::price;
  for (const OrderEvent& e : ev)
    state.apply(e);
  EXPECT_EQ(state.total_stats().done_full, 1u);
  EXPECT_EQ(state.total_stats().done_partial, 0u);
}

TEST_F(AccountStateRules, InvalidAndControlEventsAreIgnored) {
  auto ev = lifecycle({.trades = 1, .ending = Ending::done});
  OrderEvent missing = ev[1];
  missing.present &= ~field_bit(Field::executed_funds);
  EXPECT_EQ(state.apply(missing), ApplyOutcome::invalid);
  OrderEvent negative = ev[1];
  negative.executed_volume = -1.0;
  EXPECT_EQ(state.apply(negative), ApplyOutcome::invalid);
  OrderEvent control = ev[1];
  control.kind = EventKind::control;
  EXPECT_EQ(state.apply(control), ApplyOutcome::not_order);
  EXPECT_EQ(state.counters().invalid, 2u);
  EXPECT_EQ(state.counters().not_order, 1u);
  EXPECT_EQ(state.find_order(ev[0].uuid), nullptr);
}

TEST_F(AccountStateRules, SmpReduceOnAnOpenOrderIsCountedByDelta) {
  auto ev = lifecycle({.trades = 0, .ending = Ending::open});
  state.apply(ev[0]);
  OrderEvent reduced = ev[0];
  reduced.smp_type = SmpType::reduce;
  reduced.present |= field_bit(Field::smp_type);
  reduced.prevented_volume = 0.25;
  reduced.prevented_locked = 0.25 * reduced.price;
  reduced.timestamp += 3;
  EXPECT_EQ(state.apply(reduced), ApplyOutcome::applied);
  EXPECT_EQ(state.apply(reduced), ApplyOutcome::duplicate);
  const SmpStats::PerType& r = state.smp().of(SmpType::reduce);
  EXPECT_EQ(r.orders, 1u);
  EXPECT_EQ(r.prevented_volume, 0.25);
  EXPECT_EQ(r.prevented_orders, 0u);
  EXPECT_EQ(state.open_order_count(), 1u);
}

TEST_F(AccountStateRules, OpenOrdersCanBeIterated) {
  std::vector<Uuid> open;
  for (int i = 0; i < 5; ++i) {
    const auto ev = lifecycle({.trades = 1, .ending = Ending::done});
    state.apply(ev[0]);
    if (i % 2 == 0) {
      open.push_back(ev[0].uuid);
    } else {
      state.apply(ev.back());
    }
  }
  std::vector<Uuid> seen;
  state.for_each_open_order([&](const Order& o) {
    EXPECT_TRUE(o.is_open());
    EXPECT_EQ(o.state, OrderState::wait);
    seen.push_back(o.uuid);
  });
  ASSERT_EQ(seen.size(), open.size());
  for (const Uuid& id : open)
    EXPECT_NE(std::find(seen.begin(), seen.end(), id), seen.end());
  EXPECT_EQ(state.open_order_count(), 3u);
  EXPECT_EQ(state.orders().completed_size(), 2u);
}

TEST_F(AccountStateRules, HistoryKeepsTheLastEventsWithTheirOutcome) {
  const auto ev = lifecycle({.trades = 3, .ending = Ending::done});
  for (int round = 0; round < 4; ++round) {
    for (const OrderEvent& e : ev)
      state.apply(e);
  }
  const History& h = state.history();
  ASSERT_EQ(h.capacity(), 16u);
  ASSERT_EQ(h.size(), 16u);
  EXPECT_EQ(h.total_pushed(), 20u);
  // The newest entry is the last event of the last round: a duplicate of the done.
  EXPECT_EQ(h.event(15).state, OrderState::done);
  EXPECT_EQ(h.outcome(15), ApplyOutcome::duplicate);
  // The oldest kept is event 4 of the first round (20 pushed, 16 kept): the done, applied.
  EXPECT_EQ(h.event(0).state, OrderState::done);
  EXPECT_EQ(h.outcome(0), ApplyOutcome::applied);
}

}  // namespace
}  // namespace fillwire

namespace fillwire {
namespace {

// A long identifier (16 Korean syllables, 48 bytes) is cut in the events, yet the order is found
// by its full text, from the stream's event and from a REST resync's alike, and not by the part
// kept or by another identifier sharing it.
TEST(AccountState, OrdersAreFoundByALongIdentifierThroughItsHash) {
  const std::string whole =
      "\xea\xb0\x80\xeb\x82\x98\xeb\x8b\xa4\xeb\x9d\xbc\xeb\xa7\x88"
      "\xeb\xb0\x94\xec\x82\xac\xec\x95\x84\xec\x9e\x90\xec\xb0\xa8"
      "\xec\xb9\xb4\xed\x83\x80\xed\x8c\x8c\xed\x95\x98\xea\xb0\x80"
      "\xeb\x82\x98";
  const std::string sibling = whole.substr(0, 45) + "\xeb\x8b\xa4";  // same first 45 bytes
  const std::string json = test::read_file("myorder-trade-default.json");
  Decoder d;
  OrderEvent streamed;
  const std::string with_long = json.substr(0, json.find("\"test-1\"")) + '"' + whole + '"' +
                                json.substr(json.find("\"test-1\"") + 8);
  ASSERT_TRUE(test::decode_one(d, with_long, streamed).error.ok());
  ASSERT_TRUE(streamed.identifier.cut());

  AccountState s(test::small_account());
  s.apply(streamed);
  const Order* o = s.find_by_identifier(whole);
  ASSERT_NE(o, nullptr);
  EXPECT_EQ(o->uuid, streamed.uuid);
  EXPECT_TRUE(o->identifier.cut());
  EXPECT_EQ(s.find_by_identifier(o->identifier.view()), nullptr);  // the part kept is not it
  EXPECT_EQ(s.find_by_identifier(sibling), nullptr);
  EXPECT_EQ(s.find_by_identifier("test-1"), nullptr);

  // The same order's identifier as a REST resync parses it compares equal.
  ClientId from_rest{};
  from_rest.assign(whole);
  EXPECT_EQ(o->identifier, from_rest);
  EXPECT_EQ(fnv1a64(""), 0xcbf29ce484222325ull);  // FNV-1a 64 reference values
  EXPECT_EQ(fnv1a64("a"), 0xaf63dc4c8601ec8cull);
  EXPECT_EQ(fnv1a64("foobar"), 0x85944171f73967e8ull);
}

}  // namespace
}  // namespace fillwire
