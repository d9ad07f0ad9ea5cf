// The resync's decisions without a socket (engine/src/net/resync_plan.hpp): clocks, the closed
// orders' horizon, paging and its bounds, one copy per order, and the order of what is published.

#include "resync_plan.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "rate_window.hpp"

namespace fillwire::net {
namespace {

Uuid uuid_of(unsigned n) {
  Uuid u{};
  u.bytes[15] = static_cast<std::uint8_t>(n & 0xff);
  u.bytes[14] = static_cast<std::uint8_t>((n >> 8) & 0xff);
  u.bytes[13] = static_cast<std::uint8_t>((n >> 16) & 0xff);
  u.bytes[0] = 0x42;
  return u;
}

OrderEvent order(unsigned n, std::int64_t created_ms = 0, std::uint32_t trades = 0,
                 const char* market = "KRW-BTC") {
  OrderEvent e{};
  e.kind = EventKind::order;
  e.origin = EventOrigin::resync;
  e.uuid = uuid_of(n);
  (void)e.code.assign(market);
  e.order_timestamp = created_ms;
  e.trades_count = trades;
  e.executed_volume = trades;
  return e;
}

OrderEvent trade(unsigned n, std::uint32_t k, std::int64_t at_ms) {
  OrderEvent e = order(n, 0, k);
  e.state = OrderState::trade;
  e.trade_timestamp = at_ms;
  e.timestamp = at_ms;
  return e;
}

std::vector<OrderEvent> page(unsigned first, unsigned count, std::int64_t created_ms = 0) {
  std::vector<OrderEvent> p;
  for (unsigned i = 0; i < count; ++i)
    p.push_back(order(first + i, created_ms));
  return p;
}

TEST(ResyncClock, TimesOutsideTheSkewAndAgeBoundsAreImplausible) {
  const ClockBounds b{30'000, 600'000};
  const std::int64_t now = 1'800'000'000'000;
  EXPECT_EQ(check_exchange_time(now, now, b), ClockVerdict::plausible);
  EXPECT_EQ(check_exchange_time(now + 30'000, now, b), ClockVerdict::plausible);
  EXPECT_EQ(check_exchange_time(now + 30'001, now, b), ClockVerdict::ahead);
  EXPECT_EQ(check_exchange_time(now - 600'000, now, b), ClockVerdict::plausible);
  EXPECT_EQ(check_exchange_time(now - 600'001, now, b), ClockVerdict::behind);
  EXPECT_EQ(check_exchange_time(0, now, b), ClockVerdict::behind);
  EXPECT_EQ(check_exchange_time(4'102'444'800'000, now, b), ClockVerdict::ahead);  // year 2100
}

TEST(ResyncHorizon, ComesFromHowFarTheStateWasWholeMinusTheMargin) {
  const std::int64_t now = 1'800'000'000'000;
  EXPECT_EQ(closed_horizon(now - 5'000, -1, 60'000, now).since_ms, now - 65'000);
  EXPECT_FALSE(closed_horizon(now - 5'000, -1, 60'000, now).clamped);
  // First connect: the configured start, or nothing.
  EXPECT_EQ(closed_horizon(-1, now - 3'600'000, 60'000, now).since_ms, now - 3'600'000);
  EXPECT_EQ(closed_horizon(-1, -1, 60'000, now).since_ms, -1);
  // Never earlier than REST's 7-day window (less a minute), and said so.
  const Horizon old = closed_horizon(now - 8 * 24 * 3'600'000LL, -1, 60'000, now);
  EXPECT_EQ(old.since_ms, now - kClosedWindowMs + 60'000);
  EXPECT_TRUE(old.clamped);
}

// How far the state was whole when a whole connection was lost.
TEST(WholeUntil, IsTheLastEventReadNotTheMomentOfTheLoss) {
  const std::int64_t lost = 1'800'000'000'000;
  // A client 3 s behind the stream: the events after the last one it read are lost with the
  // connection; the state was whole through that event only (and not through `lost`).
  EXPECT_EQ(whole_until(lost - 3'000, lost - 60'000), lost - 3'000);
}

TEST(WholeUntil, IsTheSubscriptionOnAQuietStream) {
  const std::int64_t now = 1'800'000'000'000;
  // Nothing read since the connection subscribed (or nothing ever): whole as of the subscription,
  // which its resync covered; what came after was the stream's to bring, and was lost with it.
  EXPECT_EQ(whole_until(now - 3'600'000, now - 600'000), now - 600'000);
  EXPECT_EQ(whole_until(-1, now - 600'000), now - 600'000);
}

TEST(WholeUntil, FollowsAnExchangeClockAheadOfTheLocalOne) {
  const std::int64_t local = 1'800'000'000'000;
  // Stamps 10 minutes ahead (trusted with a raised clock_skew_max, as upbit-sim's at high rates):
  // the exchange's own time, or the closed listing would go back over those 10 minutes of orders.
  EXPECT_EQ(whole_until(local + 600'000, local - 1'000), local + 600'000);
}

TEST(OrderCollection, KeepsOneCopyPerOrderTheOneWithTheMostProgressAndStopsAtItsBound) {
  OrderCollection c(3);
  std::vector<OrderEvent> p = {order(1), order(2, 0, 0)};
  auto a = c.add(p);
  EXPECT_EQ(a.fresh, 2u);
  std::vector<OrderEvent> again = {order(2, 0, 3), order(3), order(4)};
  a = c.add(again);
  EXPECT_EQ(a.fresh, 1u);
  EXPECT_EQ(a.duplicates, 1u);
  EXPECT_TRUE(a.full);  // order 4 did not fit
  ASSERT_EQ(c.size(), 3u);
  EXPECT_EQ(c.orders()[1].trades_count, 3u);  // the later snapshot of order 2
}

TEST(OpenListing, EndlessFullPagesStopAtThePageBound) {
  OrderCollection c(1'000'000);
  OpenListing l(5);
  std::size_t dups = 0;
  std::optional<ResyncBound> step;
  unsigned pages = 0;
  while (!step) {
    EXPECT_NE(l.query().find("page=" + std::to_string(pages + 1) + "&"), std::string::npos);
    step = l.on_page(page(pages * 100, 100), c, dups);
    ++pages;
  }
  EXPECT_EQ(*step, ResyncBound::pages);
  EXPECT_EQ(pages, 5u);
}

TEST(OpenListing, TheSameFullPageAgainIsARepeatingListing) {
  OrderCollection c(1'000'000);
  OpenListing l(200);
  std::size_t dups = 0;
  EXPECT_FALSE(l.on_page(page(0, 100), c, dups).has_value());
  EXPECT_EQ(l.on_page(page(0, 100), c, dups), ResyncBound::repeating);
  EXPECT_EQ(dups, 100u);
}

TEST(OpenListing, AShortPageEndsItAndTheOrderBoundStopsIt) {
  OrderCollection c(150);
  OpenListing l(200);
  std::size_t dups = 0;
  EXPECT_FALSE(l.on_page(page(0, 100), c, dups).has_value());
  EXPECT_EQ(l.on_page(page(100, 100), c, dups), ResyncBound::orders);
  OrderCollection d(1000);
  OpenListing m(200);
  EXPECT_EQ(m.on_page(page(0, 40), d, dups), ResyncBound::none);
}

TEST(ClosedListing, PagesByTheNewestSecondAndSplitsAFullSecondByMarketAndState) {
  OrderCollection c(1'000'000);
  const std::int64_t t0 = 1'800'000'000'000;
  ClosedListing l(t0, t0 + 100'000, 100, {"KRW-BTC"});
  std::string unreachable;
  EXPECT_EQ(*l.query(), "start_time=" + std::to_string(t0) + "&limit=1000&order_by=asc");
  // A full page reaching 5 s later: the next starts at that second.
  auto p = page(0, 1000, t0);
  p.back().order_timestamp = t0 + 5'000;
  EXPECT_FALSE(l.on_page(p, c, unreachable).has_value());
  EXPECT_EQ(*l.query(), "start_time=" + std::to_string(t0 + 5'000) + "&limit=1000&order_by=asc");
  // A full page all within that second: asked per market; a market still full, per state.
  EXPECT_FALSE(l.on_page(page(1000, 1000, t0 + 5'000), c, unreachable).has_value());
  std::string q = *l.query();
  EXPECT_NE(q.find("end_time=" + std::to_string(t0 + 5'999)), std::string::npos);
  EXPECT_NE(q.find("&market=KRW-BTC&limit"), std::string::npos) << q;
  EXPECT_FALSE(l.on_page(page(2000, 1000, t0 + 5'000), c, unreachable).has_value());
  EXPECT_TRUE(unreachable.empty());
  q = *l.query();
  EXPECT_NE(q.find("&market=KRW-BTC&state=done&limit"), std::string::npos) << q;
  // One state still full: beyond reach, reported.
  EXPECT_FALSE(l.on_page(page(3000, 1000, t0 + 5'000), c, unreachable).has_value());
  EXPECT_NE(unreachable.find("over 1000 orders"), std::string::npos);
  unreachable.clear();
  q = *l.query();
  EXPECT_NE(q.find("&market=KRW-BTC&state=cancel&limit"), std::string::npos) << q;
  EXPECT_FALSE(l.on_page(page(4000, 10, t0 + 5'000), c, unreachable).has_value());
  EXPECT_TRUE(unreachable.empty());
  // Then on from the next second.
  EXPECT_EQ(*l.query(), "start_time=" + std::to_string(t0 + 6'000) + "&limit=1000&order_by=asc");
  EXPECT_EQ(l.on_page(page(5000, 3, t0 + 6'000), c, unreachable), ResyncBound::none);
  EXPECT_FALSE(l.query().has_value());
}

TEST(ClosedListing, FutureStampsEndTheListingVisiblyAndEndlessPagesStopAtThePageBound) {
  const std::int64_t t0 = 1'800'000'000'000;
  {
    OrderCollection c(1'000'000);
    ClosedListing l(t0, t0 + 30'000, 100, {});
    std::string unreachable;
    auto p = page(0, 1000, t0);
    p.back().order_timestamp = 4'102'444'800'000;  // year 2100
    EXPECT_EQ(l.on_page(p, c, unreachable), ResyncBound::none);
    EXPECT_FALSE(l.query().has_value());
    // What may follow is beyond reach, and said so (counted by the resync).
    EXPECT_NE(unreachable.find("created after " + std::to_string(t0 + 30'000)), std::string::npos)
        << unreachable;
  }
  {
    OrderCollection c(10'000'000);
    ClosedListing l(t0, t0 + 1'000'000'000, 7, {"KRW-BTC", "KRW-ETH"});
    std::string unreachable;
    std::optional<ResyncBound> step;
    unsigned n = 0;
    while (!step) {
      ASSERT_TRUE(l.query().has_value());
      step = l.on_page(page(n * 1000, 1000, t0), c, unreachable);
      ++n;
    }
    EXPECT_EQ(*step, ResyncBound::pages);
    EXPECT_EQ(n, 7u);
  }
}

// Missed trades in trade-time order; each order's snapshot right after its last missed trade (so
// an order a trade opened is closed before later orders' trades come); then the snapshots of the
// orders with no missed trade.
TEST(PublishPlan, MissedTradesInTradeTimeOrderEachFollowedByItsOrdersSnapshotAfterItsLast) {
  OrderTracker seen(64);
  OrderEvent seen_trade = trade(1, 1, 1000);
  seen_trade.origin = EventOrigin::stream;
  seen.on_event(seen_trade);  // trade 1 of order 1 came on the stream
  const OrderEvent o1 = order(1, 0, 3);
  const OrderEvent o2 = order(2, 0, 1);
  const OrderEvent o3 = order(3, 0, 0);
  EXPECT_EQ(order_need(o1, seen, -1), OrderNeed::trades);
  EXPECT_EQ(order_need(o3, seen, -1), OrderNeed::snapshot);
  PublishPlan plan(-1);
  const std::vector<OrderEvent> t1 = {trade(1, 1, 1000), trade(1, 2, 3000), trade(1, 3, 5000)};
  const std::vector<OrderEvent> t2 = {trade(2, 1, 4000)};
  plan.trades(o1, t1, seen);
  plan.trades(o2, t2, seen);
  plan.snapshot(o3);
  std::vector<std::pair<unsigned, std::int64_t>> out;
  plan.publish([&](const OrderEvent& e) {
    out.emplace_back(e.uuid.bytes[15], e.state == OrderState::trade ? e.trade_timestamp : -1);
  });
  const std::vector<std::pair<unsigned, std::int64_t>> want = {{1, 3000}, {2, 4000}, {2, -1},
                                                               {1, 5000}, {1, -1},   {3, -1}};
  EXPECT_EQ(out, want);
}

TEST(PublishPlan, TradesAfterTheStreamsFirstEventAreLeftToTheStream) {
  OrderTracker seen(64);
  const OrderEvent o1 = order(1, 1000, 2);
  const OrderEvent late = order(2, 9000, 1);
  EXPECT_EQ(order_need(late, seen, 5000), OrderNeed::stream);
  PublishPlan plan(5000);
  const std::vector<OrderEvent> t1 = {trade(1, 1, 2000), trade(1, 2, 6000)};
  plan.trades(o1, t1, seen);
  std::vector<std::int64_t> out;
  plan.publish([&](const OrderEvent& e) { out.push_back(e.trade_timestamp); });
  // Trade 1 missed; trade 2 and the order's snapshot (which includes it) come on the stream.
  EXPECT_EQ(out, std::vector<std::int64_t>{2000});
}

TEST(RateWindow, NeverMoreThanTheRateInAnySecond) {
  RateWindow w;
  const auto t0 = std::chrono::steady_clock::time_point{} + std::chrono::hours(1);
  std::vector<std::chrono::steady_clock::time_point> at;
  for (int i = 0; i < 12; ++i)
    at.push_back(w.reserve(t0, 5));
  for (std::size_t i = 0; i < at.size(); ++i) {
    std::size_t in_second = 0;
    for (const auto& t : at)
      in_second += t >= at[i] && t < at[i] + std::chrono::seconds(1);
    EXPECT_LE(in_second, 5u);
  }
  EXPECT_EQ(at[4], t0);
  EXPECT_EQ(at[5], t0 + std::chrono::milliseconds(1050));
  EXPECT_EQ(at[11], t0 + std::chrono::milliseconds(2100));
  // Later requests after a quiet spell go at once.
  EXPECT_EQ(w.reserve(t0 + std::chrono::seconds(10), 5), t0 + std::chrono::seconds(10));
}

// The new stream carries an order from some trade on: the resync leaves the order to it when
// every earlier trade was seen, and fetches its trades when one was missed.
TEST(OrderNeed, AnOrderTheNewStreamCarriesIsLeftToItWhenNoEarlierTradeWasMissed) {
  OrderTracker seen(64);
  OrderEvent t1 = trade(1, 1, 1000);
  t1.origin = EventOrigin::stream;
  seen.on_event(t1);                     // trade 1 of order 1 seen before the loss
  const OrderEvent o1 = order(1, 0, 3);  // 3 trades by the REST snapshot
  const OrderEvent o2 = order(2, 0, 2);  // never seen
  const OrderEvent o3 = order(3, 0, 2);  // never seen
  StreamStart on_stream(16);
  on_stream.on_event(trade(1, 3, 5000));  // the stream brings trade 3 of order 1: 2 is missed
  on_stream.on_event(trade(1, 2, 4000));  // ... and trade 2 (the earliest wins)
  OrderEvent wait = order(2, 0, 0);
  wait.state = OrderState::wait;
  on_stream.on_event(wait);               // order 2 from its creation: trades 1 on
  on_stream.on_event(trade(3, 2, 6000));  // order 3 from trade 2: trade 1 missed
  EXPECT_EQ(on_stream.first_trade(o1.uuid), 2u);
  EXPECT_EQ(on_stream.first_trade(o2.uuid), 1u);
  EXPECT_EQ(order_need(o1, seen, 0, &on_stream), OrderNeed::stream);
  EXPECT_EQ(order_need(o2, seen, 0, &on_stream), OrderNeed::stream);
  EXPECT_EQ(order_need(o3, seen, 0, &on_stream), OrderNeed::trades);
  EXPECT_EQ(order_need(o1, seen, 0, nullptr), OrderNeed::trades);

  // A stream behind the REST snapshot's count still leaves nothing to chance.
  StreamStart late(16);
  late.on_event(trade(2, 3, 7000));
  EXPECT_EQ(order_need(o2, seen, 0, &late), OrderNeed::trades);

  // Past its bound, an order is not remembered (it is judged by time alone).
  StreamStart tiny(1);
  tiny.on_event(trade(1, 2, 4000));
  tiny.on_event(trade(2, 1, 4000));
  EXPECT_FALSE(tiny.first_trade(o2.uuid).has_value());
}

// The tracker applies each event one call late (its table slot is prefetched first): every reader
// still sees every event given so far, the last one included.
TEST(OrderTracker, EveryReaderSeesTheLastEventGivenAtOnce) {
  OrderTracker seen(64);
  OrderEvent wait = order(1);
  wait.state = OrderState::wait;
  seen.on_event(wait);
  std::vector<Uuid> open;
  seen.for_each_open([&](const Uuid& u) { open.push_back(u); });
  ASSERT_EQ(open.size(), 1u);
  EXPECT_EQ(open[0], uuid_of(1));

  seen.on_event(trade(1, 1, 1000));
  EXPECT_TRUE(seen.trade_seen(uuid_of(1), 1));
  seen.on_event(trade(1, 3, 3000));  // trade 2 missed
  EXPECT_TRUE(seen.trade_seen(uuid_of(1), 3));
  EXPECT_FALSE(seen.trade_seen(uuid_of(1), 2));
  EXPECT_FALSE(seen.all_trades_seen(uuid_of(1), 3));
  seen.on_event(trade(1, 2, 2000));
  EXPECT_TRUE(seen.all_trades_seen(uuid_of(1), 3));

  OrderEvent done = order(1, 0, 3);
  done.state = OrderState::done;
  seen.on_event(done);
  open.clear();
  seen.for_each_open([&](const Uuid& u) { open.push_back(u); });
  EXPECT_TRUE(open.empty());
  seen.on_event(wait);  // a late event does not reopen a closed order
  seen.for_each_open([&](const Uuid& u) { open.push_back(u); });
  EXPECT_TRUE(open.empty());
  EXPECT_TRUE(seen.all_trades_seen(uuid_of(1), 3));
}

// Full, the tracker forgets the order entered first, one per new order, and keeps the rest.
TEST(OrderTracker, AFullTableForgetsTheOrderEnteredFirst) {
  constexpr unsigned kCapacity = 4;
  OrderTracker seen(kCapacity);
  for (unsigned n = 1; n <= kCapacity + 2; ++n)
    seen.on_event(trade(n, 1, 1000 + n));
  EXPECT_FALSE(seen.trade_seen(uuid_of(1), 1));
  EXPECT_FALSE(seen.trade_seen(uuid_of(2), 1));
  for (unsigned n = 3; n <= kCapacity + 2; ++n)
    EXPECT_TRUE(seen.trade_seen(uuid_of(n), 1)) << n;
  // An order already known takes no room: nothing more is forgotten.
  seen.on_event(trade(3, 2, 2000));
  for (unsigned n = 3; n <= kCapacity + 2; ++n)
    EXPECT_TRUE(seen.trade_seen(uuid_of(n), 1)) << n;
  EXPECT_TRUE(seen.all_trades_seen(uuid_of(3), 2));
  std::size_t open = 0;
  seen.for_each_open([&](const Uuid&) { ++open; });
  EXPECT_EQ(open, kCapacity);
}

}  // namespace
}  // namespace fillwire::net
