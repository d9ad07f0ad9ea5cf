// Balances in AccountState and their reconciliation with the order stream: the hand-worked
// scenario of data/balances.expected.md, then each drift case, duplicates and reordering,
// tolerance edges, the bounds (kept deltas, currencies, drifts kept) and refused numbers.

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <memory>
#include <string_view>

#include "../support/balance_events.hpp"
#include "fillwire/account_snapshot.hpp"
#include "fillwire/account_state.hpp"
#include "fillwire/strategy.hpp"

namespace fillwire {
namespace {

using test::balance_report;
using test::order_step;
using test::OrderStep;

constexpr double kBidLockA = 100'050'000.0;  // 1.0 @ 100,000,000 + 0.05 %

const Balance& balance_of(const AccountState& s, std::string_view currency) {
  const Balance* b = s.balance(currency);
  if (b == nullptr) throw std::runtime_error("no balance for " + std::string(currency));
  return *b;
}

void expect_balance(const AccountState& s, std::string_view currency, double available,
                    double locked) {
  SCOPED_TRACE(currency);
  const Balance& b = balance_of(s, currency);
  EXPECT_EQ(b.available, available);
  EXPECT_EQ(b.locked, locked);
  EXPECT_EQ(b.total(), available + locked);
  EXPECT_FALSE(b.pending());
  EXPECT_EQ(b.kept, 0u);
}

// The lifecycle table of data/balances.expected.md, step by step, with its checks.
void apply_lifecycle(AccountState& s) {
  const auto A = [](const OrderStep& st) {
    return order_step(1, "KRW-BTC", Side::bid, 100'000'000, 1.0, st);
  };
  const auto B = [](const OrderStep& st) {
    return order_step(2, "KRW-BTC", Side::ask, 110'000'000, 0.5, st);
  };
  const auto C = [](const OrderStep& st) {
    return order_step(3, "KRW-BTC", Side::bid, 100'000'000, 0.2, st);
  };
  // R0: the resync's balances.
  EXPECT_EQ(s.apply(balance_report("KRW", 1e9, 0, 1000, 0, EventOrigin::resync)),
            ApplyOutcome::applied);
  EXPECT_EQ(s.apply(balance_report("BTC", 0.1, 0, 1000, 0, EventOrigin::resync)),
            ApplyOutcome::applied);
  // 1: A's lock.
  s.apply(A({OrderState::wait, 1100, 0, 0, 0, 0, kBidLockA}));
  EXPECT_EQ(balance_of(s, "KRW").implied_locked(), kBidLockA);
  EXPECT_EQ(balance_of(s, "KRW").implied_total(), 1e9);
  s.apply(balance_report("KRW", 899'950'000, kBidLockA, 1150, 1));
  expect_balance(s, "KRW", 899'950'000, kBidLockA);
  // 2: first fill.
  s.apply(A({OrderState::trade, 1200, 0.4, 40'000'000, 20'000, 1, 60'030'000}));
  EXPECT_EQ(balance_of(s, "KRW").implied_total(), 959'980'000.0);
  EXPECT_EQ(balance_of(s, "KRW").implied_locked(), 60'030'000.0);
  EXPECT_DOUBLE_EQ(balance_of(s, "BTC").implied_total(), 0.5);
  s.apply(balance_report("KRW", 899'950'000, 60'030'000, 1210, 2));
  s.apply(balance_report("BTC", 0.5, 0, 1210, 2));
  expect_balance(s, "KRW", 899'950'000, 60'030'000);
  expect_balance(s, "BTC", 0.5, 0);
  // 3, 4: second fill, done.
  s.apply(A({OrderState::trade, 1300, 1.0, 100'000'000, 50'000, 2, 0}));
  s.apply(A({OrderState::done, 1301, 1.0, 100'000'000, 50'000, 2, 0}));
  s.apply(balance_report("KRW", 899'950'000, 0, 1310, 3));
  s.apply(balance_report("BTC", 1.1, 0, 1310, 3));
  expect_balance(s, "KRW", 899'950'000, 0);
  expect_balance(s, "BTC", 1.1, 0);
  // 5: B's lock; 6, 7: its fill and done.
  s.apply(B({OrderState::wait, 1400, 0, 0, 0, 0, 0.5}));
  EXPECT_EQ(balance_of(s, "BTC").implied_locked(), 0.5);
  s.apply(balance_report("BTC", 0.6, 0.5, 1410, 4));
  expect_balance(s, "BTC", 0.6, 0.5);
  s.apply(B({OrderState::trade, 1500, 0.5, 55'000'000, 27'500, 1, 0}));
  EXPECT_EQ(balance_of(s, "KRW").implied_total(), 954'922'500.0);
  s.apply(B({OrderState::done, 1501, 0.5, 55'000'000, 27'500, 1, 0}));
  s.apply(balance_report("KRW", 954'922'500, 0, 1510, 5));
  s.apply(balance_report("BTC", 0.6, 0, 1510, 5));
  // 8, 9: C locks 20,010,000 and is cancelled unfilled (its cancel event keeps the figure).
  s.apply(C({OrderState::wait, 1600, 0, 0, 0, 0, 20'010'000}));
  s.apply(balance_report("KRW", 934'912'500, 20'010'000, 1610, 6));
  expect_balance(s, "KRW", 934'912'500, 20'010'000);
  s.apply(C({OrderState::cancel, 1700, 0, 0, 0, 0, 20'010'000}));
  EXPECT_EQ(balance_of(s, "KRW").implied_locked(), 0.0);
  s.apply(balance_report("KRW", 954'922'500, 0, 1710, 7));
}

TEST(Balances, HandWorkedLifecycleGivesTheExpectedBalancesAndNoDrift) {
  AccountState s;
  apply_lifecycle(s);
  expect_balance(s, "KRW", 954'922'500, 0);
  expect_balance(s, "BTC", 0.6, 0);
  EXPECT_EQ(s.currency_count(), 2u);
  EXPECT_EQ(balance_of(s, "KRW").updates, 7u);
  EXPECT_EQ(balance_of(s, "BTC").updates, 5u);
  EXPECT_EQ(balance_of(s, "KRW").implied_deltas, 6u);
  EXPECT_EQ(balance_of(s, "BTC").implied_deltas, 4u);
  EXPECT_EQ(balance_of(s, "KRW").asset_ts, 1710);
  EXPECT_EQ(balance_of(s, "KRW").asset_uuid.bytes[0], 7);
  EXPECT_EQ(balance_of(s, "BTC").origin, EventOrigin::stream);
  const ApplyCounters& n = s.counters();
  EXPECT_EQ(n.assets, 12u);
  EXPECT_EQ(n.assets_applied, 12u);
  EXPECT_EQ(n.balance_deltas, 10u);
  EXPECT_EQ(n.deltas_late, 0u);
  EXPECT_EQ(n.drifts_reported, 0u);
  EXPECT_EQ(n.drifts_explained_late, 0u);
  EXPECT_EQ(n.orders_without_locked, 0u);
  EXPECT_EQ(n.applied, 9u);  // order counters count order events only
  EXPECT_EQ(s.drifts().size(), 0u);
  EXPECT_EQ(s.balance("ETH"), nullptr);
  // The positions are untouched by balances.
  EXPECT_EQ(s.position("KRW-BTC")->base_volume, 0.5);
}

// The state after the lifecycle, and an order event on another market at `ts` (no `locked`:
// it implies nothing) that only moves the exchange time.
void tick(AccountState& s, std::int64_t ts) {
  s.apply(order_step(900 + static_cast<std::uint32_t>(ts % 1000), "KRW-ETH", Side::bid, 1000, 1,
                     {OrderState::wait, ts}));
}

TEST(Balances, DepositIsOneDriftOfItsAmountOnceTheSettleWindowHasPassed) {
  AccountState s;
  apply_lifecycle(s);
  s.apply(balance_report("KRW", 1'054'922'500, 0, 2000, 8));
  EXPECT_TRUE(balance_of(s, "KRW").pending());
  EXPECT_EQ(balance_of(s, "KRW").pending_total, 100'000'000.0);
  EXPECT_EQ(balance_of(s, "KRW").available, 1'054'922'500.0);  // shown as reported
  tick(s, 3999);
  EXPECT_EQ(s.counters().drifts_reported, 0u);
  tick(s, 4000);
  ASSERT_EQ(s.drifts().size(), 1u);
  const BalanceDrift& d = s.drifts()[0];
  EXPECT_EQ(d.currency.view(), "KRW");
  EXPECT_EQ(d.total, 100'000'000.0);
  EXPECT_EQ(d.locked, 0.0);
  EXPECT_EQ(d.exchange_ts, 2000);
  EXPECT_EQ(d.reported_ts, 4000);
  EXPECT_EQ(d.asset_uuid.bytes[0], 8);
  EXPECT_FALSE(balance_of(s, "KRW").pending());
  tick(s, 9000);
  EXPECT_EQ(s.counters().drifts_reported, 1u);
  EXPECT_EQ(s.drifts().total(), 1u);
}

// A resync's list (GET /v1/accounts) is the whole account: Upbit lists only the currencies held,
// so one it leaves out is zero as of the list. Sold on the order stream: no drift; gone without
// a fill: a drift of minus what was there.
AssetEvent listed(std::string_view currency, double available, std::int64_t ts, std::uint16_t index,
                  std::uint16_t count) {
  AssetEvent a = balance_report(currency, available, 0, ts, 0, EventOrigin::resync);
  a.asset_uuid = Uuid{};
  a.index = index;
  a.count = count;
  return a;
}

TEST(Balances, AResyncListIsTheWholeAccountWhatItLeavesOutIsZero) {
  AccountState s;
  apply_lifecycle(s);  // KRW 954,922,500 and BTC 0.6 reported
  // BTC 0.6 sold at 100,000,000 (fee 30,000) while disconnected: the resync brings the order.
  s.apply(order_step(4, "KRW-BTC", Side::ask, 100'000'000, 0.6,
                     {OrderState::done, 1800, 0.6, 60'000'000, 30'000, 1, 0}));
  EXPECT_EQ(s.apply(listed("KRW", 1'014'892'500, 1900, 0, 1)), ApplyOutcome::applied);
  EXPECT_EQ(balance_of(s, "BTC").total(), 0.0) << "left out of the list: zero";
  EXPECT_EQ(balance_of(s, "BTC").asset_ts, 1900);
  EXPECT_EQ(balance_of(s, "BTC").origin, EventOrigin::resync);
  EXPECT_EQ(s.counters().resync_unlisted, 1u);
  tick(s, 9000);
  EXPECT_EQ(s.counters().drifts_reported, 0u) << "the sale explains both";

  // The next resync lists nothing of BTC again: already zero, nothing to report; a currency
  // reported since the list's time is not touched.
  s.apply(balance_report("XRP", 10, 0, 9500, 9));
  s.apply(listed("KRW", 1'014'892'500, 9400, 0, 1));
  EXPECT_EQ(balance_of(s, "XRP").total(), 10.0);
  EXPECT_EQ(s.counters().resync_unlisted, 2u) << "BTC reported zero again, XRP untouched";

  // A holding gone without any fill (a withdrawal while disconnected) is a drift.
  s.apply(listed("KRW", 1'014'892'500, 9600, 0, 2));
  s.apply(listed("BTC", 0, 9600, 1, 2));
  EXPECT_EQ(balance_of(s, "XRP").total(), 0.0);
  tick(s, 12'000);
  ASSERT_EQ(s.drifts().size(), 1u);
  EXPECT_EQ(s.drifts()[0].currency.view(), "XRP");
  EXPECT_EQ(s.drifts()[0].total, -10.0);
}

// A resync's list is asked for after every event published before it was read (the stream's, then
// REST's orders): it holds all of their changes, whatever their exchange time. A trade missed
// while disconnected carries its own time, which may be after the list's (estimated) one. The
// list's difference waits: a stream report of the currency within the settle window compares
// exactly instead (KRW); without one the list becomes the reference (BTC).
TEST(Balances, AResyncListCoversEveryChangePublishedBeforeItWhateverItsTime) {
  AccountState s;
  s.apply(balance_report("KRW", 1e9, 0, 1000, 0));
  s.apply(balance_report("BTC", 0.5, 0, 1000, 0));
  // Bought 0.1 BTC for 10,000,000 KRW, fee 5,000, at 5000 (brought by the resync).
  OrderEvent missed = order_step(5, "KRW-BTC", Side::bid, 100'000'000, 0.1,
                                 {OrderState::done, 5000, 0.1, 10'000'000, 5'000, 1, 0});
  missed.origin = EventOrigin::resync;
  s.apply(missed);
  s.apply(listed("KRW", 989'995'000, 2000, 0, 2));
  s.apply(listed("BTC", 0.6, 2000, 1, 2));
  EXPECT_EQ(balance_of(s, "KRW").available, 989'995'000.0) << "shown at once";
  EXPECT_TRUE(balance_of(s, "BTC").list_open);
  EXPECT_EQ(balance_of(s, "BTC").list_diff_total, 0.0);
  EXPECT_EQ(balance_of(s, "BTC").list_ts, 5000) << "no earlier than the trade before it";
  // KRW: the stream's next report agrees; no change is counted twice.
  s.apply(balance_report("KRW", 989'995'000, 0, 6000, 3));
  EXPECT_FALSE(balance_of(s, "KRW").list_open);
  EXPECT_EQ(balance_of(s, "KRW").kept, 0u);
  // BTC: nothing came; past the window the list is the reference.
  tick(s, 20'000);
  EXPECT_FALSE(balance_of(s, "BTC").list_open);
  EXPECT_EQ(balance_of(s, "BTC").kept, 0u);
  EXPECT_EQ(balance_of(s, "BTC").ref_total, 0.6);
  EXPECT_EQ(s.counters().drifts_reported, 0u);
  EXPECT_FALSE(balance_of(s, "KRW").pending());
  EXPECT_FALSE(balance_of(s, "BTC").pending());
}

// A resync's list is the balance at some moment after the events published before it, perhaps
// after some held stream frames published after it too. A stream report older than the list's
// stamp is not shown, yet it is compared: a change it shows the list also has is no drift.
TEST(Balances, StreamReportsHeldBehindAListAreComparedThoughNotShown) {
  AccountState s;
  s.apply(balance_report("KRW", 1000, 0, 1000, 0));
  s.apply(listed("KRW", 900, 3000, 0, 1));  // a fill of 100 at 2000 is in it
  // The held frames: the fill's order event and report, stamped before the list.
  s.apply(order_step(7, "KRW-BTC", Side::bid, 100, 1, {OrderState::done, 2000, 1, 100, 0, 1, 0}));
  EXPECT_EQ(s.apply(balance_report("KRW", 900, 0, 2000, 1)), ApplyOutcome::stale);
  EXPECT_EQ(balance_of(s, "KRW").asset_ts, 3000) << "the list stays shown";
  EXPECT_EQ(balance_of(s, "KRW").ref_ts, 2000) << "the report is the reference";
  EXPECT_FALSE(balance_of(s, "KRW").list_open);
  tick(s, 20'000);
  EXPECT_EQ(s.counters().drifts_reported, 0u);
  EXPECT_FALSE(balance_of(s, "KRW").pending());
}

// REST answers ahead of a stream read behind: the resync brings an order placed after the last
// frame read (its lock implied at the resync's time, 2000); the stream's reports up to its own
// placement frame (5000) lack the lock. When that frame comes, the lock is moved to its time:
// the report before it was right after all, and nothing is a drift.
TEST(Balances, AChangeARestAnswerShowedAheadOfTheStreamMovesToTheStreamsTime) {
  AccountState s;
  s.apply(balance_report("KRW", 1e9, 0, 1000, 0));
  OrderEvent ahead =
      order_step(9, "KRW-BTC", Side::bid, 1000, 1, {OrderState::wait, 2000, 0, 0, 0, 0, 1000.5});
  ahead.origin = EventOrigin::resync;
  s.apply(ahead);
  EXPECT_EQ(balance_of(s, "KRW").implied_locked(), 1000.5);
  s.apply(balance_report("KRW", 1e9, 0, 2500, 1));  // no lock yet: a discrepancy of -1000.5
  EXPECT_TRUE(balance_of(s, "KRW").pending());
  EXPECT_EQ(balance_of(s, "KRW").pending_locked, -1000.5);
  // The placement frame, past the settle window: the account had it from REST already.
  EXPECT_EQ(s.apply(order_step(9, "KRW-BTC", Side::bid, 1000, 1,
                               {OrderState::wait, 5000, 0, 0, 0, 0, 1000.5})),
            ApplyOutcome::duplicate);
  EXPECT_EQ(s.counters().deltas_retimed, 1u);
  EXPECT_FALSE(balance_of(s, "KRW").pending()) << "taken back at 2000: explained";
  EXPECT_EQ(balance_of(s, "KRW").implied_locked(), 1000.5) << "kept at 5000";
  s.apply(balance_report("KRW", 1e9 - 1000.5, 1000.5, 5000, 2));
  tick(s, 20'000);
  EXPECT_EQ(s.counters().drifts_reported, 0u);
  // The stream has shown all the resync did: later frames imply as usual.
  s.apply(
      order_step(9, "KRW-BTC", Side::bid, 1000, 1, {OrderState::cancel, 21'000, 0, 0, 0, 0, 0}));
  EXPECT_EQ(s.counters().deltas_retimed, 1u);
  EXPECT_EQ(balance_of(s, "KRW").implied_locked(), 0.0);
}

// A resync may bring thousands of orders: their changes of one currency are kept as one delta
// (its list covers them all), so they never overflow the kept bound.
TEST(Balances, AResyncsChangesAreKeptAsOneAndNeverOverflow) {
  AccountConfig c;
  c.pending_deltas = 2;
  AccountState s(c);
  s.apply(balance_report("KRW", 1e9, 0, 1000, 0));
  for (std::uint32_t n = 0; n < 5; ++n) {
    OrderEvent placed = order_step(10 + n, "KRW-BTC", Side::bid, 1000, 1,
                                   {OrderState::wait, 1100 + n, 0, 0, 0, 0, 1000.5});
    placed.origin = EventOrigin::resync;
    s.apply(placed);
  }
  EXPECT_EQ(s.counters().deltas_overflowed, 0u);
  EXPECT_EQ(balance_of(s, "KRW").kept, 1u);
  EXPECT_EQ(balance_of(s, "KRW").implied_locked(), 5002.5);
  AssetEvent list = balance_report("KRW", 1e9 - 5002.5, 5002.5, 1200, 0, EventOrigin::resync);
  list.asset_uuid = Uuid{};
  s.apply(list);
  EXPECT_TRUE(balance_of(s, "KRW").list_open);
  EXPECT_EQ(balance_of(s, "KRW").list_deltas, 5u);
  tick(s, 3300);  // past the settle window: the list is the reference
  EXPECT_EQ(balance_of(s, "KRW").kept, 0u);
  // Two stream placements fill the bound again; the third overflows as before.
  for (std::uint32_t n = 0; n < 3; ++n) {
    s.apply(order_step(20 + n, "KRW-BTC", Side::bid, 1000, 1,
                       {OrderState::wait, 3400 + n, 0, 0, 0, 0, 1000.5}));
  }
  EXPECT_EQ(s.counters().deltas_overflowed, 1u);
  tick(s, 9000);
  EXPECT_EQ(s.counters().drifts_reported, 0u) << "five locks, one list that shows them";
}

// A resync's list is stamped with the newest exchange time read before it was answered: a held
// stream report of that same millisecond, published after the list, was read before the list was
// taken, so it is older, not newer.
TEST(Balances, AStreamReportInTheMillisecondOfAResyncListIsOlderThanTheList) {
  AccountState s;
  s.apply(listed("KRW", 1000, 5000, 0, 1));
  EXPECT_EQ(s.apply(balance_report("KRW", 900, 0, 5000, 7)), ApplyOutcome::stale);
  EXPECT_EQ(balance_of(s, "KRW").available, 1000.0);
  EXPECT_EQ(s.apply(balance_report("KRW", 900, 0, 5001, 8)), ApplyOutcome::applied);
  EXPECT_EQ(balance_of(s, "KRW").available, 900.0);
}

TEST(Balances, WithdrawalIsADriftOfMinusItsAmount) {
  AccountState s;
  apply_lifecycle(s);
  s.apply(balance_report("KRW", 904'922'500, 0, 2000, 8));
  s.apply(balance_report("BTC", 0.6, 0, 4100, 9));  // settles on the report's time too
  ASSERT_EQ(s.drifts().size(), 1u);
  EXPECT_EQ(s.drifts()[0].total, -50'000'000.0);
  EXPECT_EQ(s.drifts()[0].currency.view(), "KRW");
}

OrderEvent fill_d(std::int64_t ts) {
  return order_step(4, "KRW-BTC", Side::bid, 100'000'000, 0.1,
                    {OrderState::trade, ts, 0.1, 10'000'000, 5'000, 1, 0});
}

TEST(Balances, FillSeenOnlyOnMyOrderIsADriftOfEachCurrency) {
  AccountState s;
  apply_lifecycle(s);
  s.apply(fill_d(1900));
  s.apply(balance_report("KRW", 954'922'500, 0, 2000, 8));  // unchanged
  s.apply(balance_report("BTC", 0.6, 0, 2000, 8));
  tick(s, 4000);
  ASSERT_EQ(s.drifts().size(), 2u);
  EXPECT_EQ(s.drifts()[0].currency.view(), "KRW");
  EXPECT_EQ(s.drifts()[0].total, 10'005'000.0);
  EXPECT_EQ(s.drifts()[1].currency.view(), "BTC");
  EXPECT_NEAR(s.drifts()[1].total, -0.1, 1e-12);
}

TEST(Balances, FillSeenOnlyOnMyOrderAfterTheReportIsADriftToo) {
  AccountState s;
  apply_lifecycle(s);
  s.apply(balance_report("KRW", 954'922'500, 0, 2000, 8));
  s.apply(fill_d(1900));  // late: the report at 2000 should have had it
  EXPECT_EQ(s.counters().deltas_late, 1u);
  EXPECT_EQ(balance_of(s, "KRW").pending_total, 10'005'000.0);
  tick(s, 4100);
  ASSERT_EQ(s.drifts().size(), 1u);
  EXPECT_EQ(s.drifts()[0].total, 10'005'000.0);
}

TEST(Balances, ChangeSeenOnlyOnMyAssetIsADriftOfEachCurrency) {
  AccountState s;
  apply_lifecycle(s);
  s.apply(balance_report("KRW", 944'917'500, 0, 2000, 8));
  s.apply(balance_report("BTC", 0.7, 0, 2000, 8));
  tick(s, 4000);
  ASSERT_EQ(s.drifts().size(), 2u);
  EXPECT_EQ(s.drifts()[0].total, -10'005'000.0);
  EXPECT_NEAR(s.drifts()[1].total, 0.1, 1e-12);
}

TEST(Balances, ReportBeforeTheFillsOrderEventIsExplainedLateWithoutDrift) {
  AccountState s;
  apply_lifecycle(s);
  s.apply(balance_report("KRW", 944'917'500, 0, 1910, 8));
  s.apply(balance_report("BTC", 0.7, 0, 1910, 8));
  EXPECT_TRUE(balance_of(s, "KRW").pending());
  s.apply(fill_d(1900));
  EXPECT_FALSE(balance_of(s, "KRW").pending());
  EXPECT_FALSE(balance_of(s, "BTC").pending());
  tick(s, 5000);
  EXPECT_EQ(s.drifts().size(), 0u);
  EXPECT_EQ(s.counters().drifts_explained_late, 2u);
  EXPECT_EQ(s.counters().deltas_late, 2u);
}

// Upbit stamps in milliseconds: several fills of one taker order share one, each followed by its
// own report. The first report of a currency cannot say which of its millisecond's fills it holds,
// so reports in that millisecond are anchors too, never compared: no drift from the fills after it.
TEST(Balances, FillsInTheMillisecondOfTheFirstReportAreNoDrift) {
  AccountState s;
  const auto A = [](const OrderStep& st) {
    return order_step(1, "KRW-BTC", Side::bid, 100'000'000, 1.0, st);
  };
  s.apply(A({OrderState::wait, 1000, 0, 0, 0, 0, kBidLockA}));
  s.apply(A({OrderState::trade, 1000, 0.4, 40'000'000, 20'000, 1, 60'030'000}));
  s.apply(balance_report("KRW", 899'950'000, 60'030'000, 1000, 1));  // the first reports
  s.apply(balance_report("BTC", 0.4, 0, 1000, 1));
  s.apply(A({OrderState::trade, 1000, 1.0, 100'000'000, 50'000, 2, 0}));  // same millisecond
  s.apply(balance_report("KRW", 899'950'000, 0, 1000, 2));
  s.apply(balance_report("BTC", 1.0, 0, 1000, 2));
  EXPECT_FALSE(balance_of(s, "BTC").pending());
  EXPECT_FALSE(balance_of(s, "KRW").pending());
  tick(s, 5000);
  EXPECT_EQ(s.drifts().total(), 0u);
  // Comparison starts after that millisecond: a fill seen only on myAsset after it is a drift.
  s.apply(balance_report("BTC", 1.5, 0, 5001, 3));
  tick(s, 9000);
  ASSERT_EQ(s.drifts().size(), 1u);
  EXPECT_DOUBLE_EQ(s.drifts()[0].total, 0.5);
}

// A resync's list is stamped with the client's estimate of when the exchange took it. As the
// first report of a currency it may already hold a fill stamped after it (the exchange's clock
// ahead of ours), or lack one stamped before it (behind): either way the next report, which shows
// the fill, is not compared but becomes the baseline. A currency the order stream left alone is
// compared from the list on.
TEST(Balances, AResyncListAsTheFirstReportMakesTheNextReportTheBaselineOnceFillsCame) {
  const auto A = [](const OrderStep& st) {
    return order_step(1, "KRW-BTC", Side::bid, 100'000'000, 1.0, st);
  };
  const auto list = [](std::string_view currency, double available, double locked,
                       std::int64_t ts) {
    return balance_report(currency, available, locked, ts, 0, EventOrigin::resync);
  };
  {  // the list holds the fill of 1005 (taken after it), stamped 1000
    AccountState s;
    s.apply(list("KRW", 999'949'975, 0, 1000));
    s.apply(list("BTC", 0.5, 0, 1000));
    s.apply(A({OrderState::trade, 1005, 0.5, 50'000'000, 25'000, 1, 0}));
    s.apply(A({OrderState::done, 1005, 0.5, 50'000'000, 25'000, 1, 0}));
    s.apply(balance_report("KRW", 999'949'975, 0, 1005, 1));
    s.apply(balance_report("BTC", 0.5, 0, 1005, 1));
    EXPECT_FALSE(balance_of(s, "KRW").pending());
    EXPECT_FALSE(balance_of(s, "BTC").pending());
    EXPECT_EQ(balance_of(s, "BTC").baseline_ts, 1005);
    tick(s, 9000);
    EXPECT_EQ(s.drifts().total(), 0u);
  }
  {  // the list lacks the fill of 1005 (taken before it), stamped 1010
    AccountState s;
    s.apply(list("KRW", 1e9, 0, 1010));
    s.apply(list("BTC", 0, 0, 1010));
    s.apply(A({OrderState::trade, 1005, 0.5, 50'000'000, 25'000, 1, 0}));
    EXPECT_EQ(s.apply(balance_report("BTC", 0.5, 0, 1005, 1)), ApplyOutcome::stale);
    s.apply(balance_report("KRW", 949'975'000, 0, 1020, 2));
    s.apply(balance_report("BTC", 0.5, 0, 1020, 2));
    EXPECT_FALSE(balance_of(s, "BTC").pending());
    tick(s, 9000);
    EXPECT_EQ(s.drifts().total(), 0u);
    // From the new baseline on, comparison as usual.
    s.apply(balance_report("BTC", 0.7, 0, 9001, 3));
    tick(s, 12000);
    ASSERT_EQ(s.drifts().size(), 1u);
    EXPECT_NEAR(s.drifts()[0].total, 0.2, 1e-12);
  }
  {  // no fill of XRP since the list: a deposit after it is a drift
    AccountState s;
    s.apply(list("XRP", 10, 0, 1000));
    s.apply(balance_report("XRP", 15, 0, 1500, 1));
    tick(s, 9000);
    ASSERT_EQ(s.drifts().size(), 1u);
    EXPECT_EQ(s.drifts()[0].total, 5.0);
  }
}

// A deposit pending since 2000 is due at 4000. A report stamped 4000 shows a fill whose order
// event comes just after it: that difference is not part of the deposit's (stamped at its due
// time, it could not be explained in its window): the deposit settles at its own amount, and the
// fill explains the new one.
TEST(Balances, ADifferenceStampedAtTheDueTimeDoesNotJoinThePendingDrift) {
  AccountState s;
  s.apply(balance_report("KRW", 1e9, 0, 1000, 1));
  s.apply(balance_report("KRW", 1e9 + 719'134, 0, 2000, 2));            // the deposit
  s.apply(balance_report("KRW", 1e9 + 719'134 - 868'155, 0, 4000, 3));  // a fill, shown first
  s.apply(order_step(1, "KRW-BTC", Side::bid, 868'155, 1.0,
                     {OrderState::trade, 4000, 1.0, 868'155, 0, 1, 0}));  // its order event
  tick(s, 9000);
  ASSERT_EQ(s.drifts().size(), 1u);
  EXPECT_EQ(s.drifts()[0].total, 719'134.0);
  EXPECT_EQ(s.drifts()[0].reported_ts, 4000);
  EXPECT_EQ(s.counters().drifts_explained_late, 1u);
}

// While a discrepancy is pending, a late order event's change goes into it and so does the
// report that shows that change, however small: the drift settles at the deposit's amount, not
// off by the small changes (here a lock of 0.0001 KRW, within tolerance on its own).
TEST(Balances, SmallChangesWhileADiscrepancyIsPendingAreNotLostFromIt) {
  AccountState s;
  s.apply(balance_report("KRW", 1e9, 0, 1000, 1));
  s.apply(balance_report("KRW", 1e9 + 1000, 0, 1100, 2));  // a deposit
  ASSERT_TRUE(balance_of(s, "KRW").pending());
  // Its order event arrives after the report of its millisecond: late.
  s.apply(order_step(1, "KRW-BTC", Side::bid, 0.0001, 1.0,
                     {OrderState::wait, 1100, 0, 0, 0, 0, 0.0001}));
  s.apply(balance_report("KRW", 1e9 + 1000 - 0.0001, 0.0001, 1100, 3));
  tick(s, 9000);
  ASSERT_EQ(s.drifts().size(), 1u);
  EXPECT_NEAR(s.drifts()[0].total, 1000.0, 1e-6);
  EXPECT_NEAR(s.drifts()[0].locked, 0.0, 1e-9);
}

TEST(Balances, DuplicateAndOlderReportsAreCountedAndChangeNothing) {
  AccountState s;
  apply_lifecycle(s);
  EXPECT_EQ(s.apply(balance_report("KRW", 954'922'500, 0, 1710, 7)), ApplyOutcome::duplicate);
  EXPECT_EQ(s.apply(balance_report("KRW", 1, 2, 1700, 9)), ApplyOutcome::stale);
  // Same time, another frame: a new report (and here one the fills do not explain).
  EXPECT_EQ(s.apply(balance_report("KRW", 954'922'500, 0, 1710, 10)), ApplyOutcome::applied);
  // Repeated and reordered order events imply nothing more.
  s.apply(fill_d(1900));
  s.apply(fill_d(1900));
  s.apply(order_step(4, "KRW-BTC", Side::bid, 100'000'000, 0.1,
                     {OrderState::wait, 1890, 0, 0, 0, 0, 10'005'000}));  // stale wait
  s.apply(balance_report("KRW", 944'917'500, 0, 2000, 11));
  s.apply(balance_report("BTC", 0.7, 0, 2000, 11));
  tick(s, 9000);
  expect_balance(s, "KRW", 944'917'500, 0);
  EXPECT_EQ(s.counters().asset_duplicates, 1u);
  EXPECT_EQ(s.counters().asset_stale, 1u);
  EXPECT_EQ(s.counters().drifts_reported, 0u);
  EXPECT_EQ(balance_of(s, "KRW").updates, 9u);
}

TEST(Balances, ToleranceEdges) {
  // BTC total 0.6: tolerance 1e-8 * (1 + 0) + 1e-12 * 0.6.
  EXPECT_DOUBLE_EQ(balance_tolerance(0, 0.6), 1.00006e-8);
  {
    AccountState s;
    apply_lifecycle(s);
    s.apply(balance_report("BTC", 0.600000005, 0, 2000, 8));
    EXPECT_FALSE(balance_of(s, "BTC").pending());
    tick(s, 9000);
    EXPECT_EQ(s.drifts().size(), 0u);
  }
  {
    AccountState s;
    apply_lifecycle(s);
    s.apply(balance_report("BTC", 0.60000002, 0, 2000, 8));
    tick(s, 9000);
    ASSERT_EQ(s.drifts().size(), 1u);
    EXPECT_NEAR(s.drifts()[0].total, 2e-8, 1e-15);
  }
}

TEST(Balances, KeptDeltasOverflowMarksTheCurrencyUnreconciledUntilTheNextAnchor) {
  AccountConfig c;
  c.pending_deltas = 2;
  AccountState s(c);
  s.apply(balance_report("KRW", 1e9, 0, 1000, 0));
  for (std::uint32_t n = 0; n < 3; ++n) {
    s.apply(order_step(10 + n, "KRW-BTC", Side::bid, 1000, 1,
                       {OrderState::wait, 1100 + n, 0, 0, 0, 0, 1000.5}));
  }
  EXPECT_EQ(s.counters().deltas_overflowed, 1u);
  EXPECT_EQ(s.counters().currencies_unreconciled, 1u);
  EXPECT_TRUE(balance_of(s, "KRW").unreconciled);
  // Not compared: this report is the next anchor, however far from the fills.
  s.apply(balance_report("KRW", 5e8, 7, 1200, 1));
  EXPECT_FALSE(balance_of(s, "KRW").unreconciled);
  EXPECT_FALSE(balance_of(s, "KRW").pending());
  // Compared again from there: a lock of 1000.5 the next report does not show is a drift.
  s.apply(
      order_step(20, "KRW-BTC", Side::bid, 1000, 1, {OrderState::wait, 1300, 0, 0, 0, 0, 1000.5}));
  s.apply(balance_report("KRW", 5e8, 7, 1400, 2));
  tick(s, 4000);
  ASSERT_EQ(s.drifts().size(), 1u);
  EXPECT_EQ(s.drifts()[0].locked, -1000.5);
}

TEST(Balances, CurrenciesBeyondTheTableAreRefusedAndCounted) {
  AccountConfig c;
  c.currencies = 2;
  AccountState s(c);
  EXPECT_EQ(s.apply(balance_report("KRW", 1, 0, 1000, 0)), ApplyOutcome::applied);
  EXPECT_EQ(s.apply(balance_report("BTC", 1, 0, 1000, 0)), ApplyOutcome::applied);
  EXPECT_EQ(s.apply(balance_report("ETH", 1, 0, 1000, 0)), ApplyOutcome::currency_full);
  EXPECT_EQ(s.counters().currency_full, 1u);
  EXPECT_EQ(s.balance("ETH"), nullptr);
  // A market with a currency beyond the table implies nothing for it (counted).
  s.apply(order_step(1, "KRW-ETH", Side::bid, 1000, 1, {OrderState::wait, 1100, 0, 0, 0, 0, 1}));
  s.apply(
      order_step(1, "KRW-ETH", Side::bid, 1000, 1, {OrderState::trade, 1200, 1, 1000, 0.5, 1, 0}));
  EXPECT_EQ(s.counters().deltas_unassigned, 1u);  // ETH +1; KRW's deltas are kept
  EXPECT_EQ(s.currency_count(), 2u);
}

TEST(Balances, NonFiniteOrIncompleteReportsAreRefusedAndChangeNothing) {
  AccountState s;
  s.apply(balance_report("KRW", 1000, 0, 1000, 0));
  const double bad[] = {std::numeric_limits<double>::quiet_NaN(),
                        std::numeric_limits<double>::infinity(), 1e200, -1e200};
  std::uint8_t frame = 1;
  for (double x : bad) {
    EXPECT_EQ(s.apply(balance_report("KRW", x, 0, 2000, frame++)), ApplyOutcome::invalid);
    EXPECT_EQ(s.apply(balance_report("KRW", 0, x, 2000, frame++)), ApplyOutcome::invalid);
  }
  EXPECT_EQ(s.counters().non_finite, 8u);
  AssetEvent missing = balance_report("KRW", 1, 0, 2000, frame++);
  missing.present &= ~asset_field_bit(AssetField::balance);
  EXPECT_EQ(s.apply(missing), ApplyOutcome::invalid);
  AssetEvent nameless = balance_report("", 1, 0, 2000, frame++);
  EXPECT_EQ(s.apply(nameless), ApplyOutcome::invalid);
  EXPECT_EQ(s.counters().asset_invalid, 10u);
  EXPECT_EQ(balance_of(s, "KRW").available, 1000.0);
  EXPECT_EQ(balance_of(s, "KRW").updates, 1u);
  EXPECT_EQ(s.currency_count(), 1u);
}

// A negative balance is no balance Upbit should show, but it is what the exchange said: shown as
// reported, reconciled like any other, and counted so that it is seen (never refused: the account
// would then keep an older figure than the exchange's).
TEST(Balances, NegativeReportsAreShownAsReportedAndCounted) {
  AccountState s;
  s.apply(balance_report("KRW", 1000, 0, 1000, 0));
  EXPECT_EQ(s.apply(balance_report("KRW", -250.5, 0, 2000, 1)), ApplyOutcome::applied);
  EXPECT_EQ(s.apply(balance_report("BTC", 0, -0.5, 2000, 1)), ApplyOutcome::applied);
  EXPECT_EQ(balance_of(s, "KRW").available, -250.5);
  EXPECT_EQ(balance_of(s, "BTC").locked, -0.5);
  EXPECT_EQ(s.counters().negative_balances, 2u);
  EXPECT_EQ(s.counters().asset_invalid, 0u);
  EXPECT_TRUE(balance_of(s, "KRW").pending()) << "-1,250.5 that no fill explains";
}

TEST(Balances, DriftListKeepsTheLastNAndCountsAll) {
  AccountConfig c;
  c.drifts = 2;
  c.drift_settle_ms = 0;
  AccountState s(c);
  s.apply(balance_report("KRW", 0, 0, 1000, 0));
  for (int k = 1; k <= 3; ++k)
    s.apply(balance_report("KRW", 100.0 * k, 0, 1000 + k, static_cast<std::uint8_t>(k)));
  EXPECT_EQ(s.drifts().total(), 3u);
  ASSERT_EQ(s.drifts().size(), 2u);
  EXPECT_EQ(s.drifts()[0].exchange_ts, 1002);
  EXPECT_EQ(s.drifts()[1].exchange_ts, 1003);
  EXPECT_EQ(s.counters().drifts_reported, 3u);
}

TEST(Balances, OrderEventsWithoutLockedImplyNoLockAndAreCounted) {
  AccountState s;
  s.apply(balance_report("KRW", 1e6, 0, 1000, 0));
  s.apply(order_step(1, "KRW-BTC", Side::bid, 1000, 1, {OrderState::wait, 1100}));
  EXPECT_EQ(s.counters().orders_without_locked, 1u);
  EXPECT_EQ(balance_of(s, "KRW").kept, 0u);
}

TEST(BalanceConfig, NewKeysAreValidated) {
  const auto bad = [](auto set) {
    AccountConfig c;
    set(c);
    EXPECT_THROW(c.validate(), std::invalid_argument);
  };
  bad([](AccountConfig& c) { c.currencies = 0; });
  bad([](AccountConfig& c) { c.currencies = 5000; });
  bad([](AccountConfig& c) { c.pending_deltas = 0; });
  bad([](AccountConfig& c) { c.pending_deltas = 70'000; });
  bad([](AccountConfig& c) { c.drift_settle_ms = -1; });
  AccountConfig ok;
  ok.drifts = 0;
  EXPECT_NO_THROW(ok.validate());
}

TEST(BalanceSnapshot, CarriesTheBalancesAndTheDriftsNewestFirst) {
  AccountConfig c;
  c.drift_settle_ms = 0;
  AccountState s(c);
  apply_lifecycle(s);
  s.apply(balance_report("KRW", 954'922'600, 0, 2000, 8));  // +100
  s.apply(balance_report("KRW", 954'922'800, 0, 2001, 9));  // +200
  auto snap = std::make_unique<AccountSnapshot>();
  const SnapshotTracker tracker{};
  fill_snapshot(s, tracker, 1, *snap);
  ASSERT_EQ(snap->balance_count, 2u);
  EXPECT_EQ(snap->balances[0].currency.view(), "KRW");
  EXPECT_EQ(snap->balances[0].available, 954'922'800.0);
  EXPECT_EQ(snap->balances[1].total(), 0.6);
  ASSERT_EQ(snap->drift_count, 2u);
  EXPECT_EQ(snap->drifts[0].total, 200.0);
  EXPECT_EQ(snap->drifts[1].total, 100.0);
  EXPECT_EQ(snap->order_events, 9u);
  EXPECT_EQ(snap->counters.drifts_reported, 2u);
}

// A strategy that sees balances, and one that does not: asset slots never reach on_order.
struct Counts {
  int orders = 0;
  int assets = 0;
  double last_total = 0;
};
struct SeesAssets {
  Counts* c;
  void on_order(const OrderEvent&, const AccountState&) noexcept { ++c->orders; }
  void on_asset(const AssetEvent& a, const AccountState& s) noexcept {
    ++c->assets;
    c->last_total = s.balance(a.currency.view())->total();
  }
};
struct OrdersOnly {
  Counts* c;
  void on_order(const OrderEvent& e, const AccountState&) noexcept {
    c->orders += e.kind == EventKind::order ? 1 : 1000;
  }
};
static_assert(AssetAware<SeesAssets> && !AssetAware<OrdersOnly>);

// An asset slot then an order event through StrategyConsumer<S>: what the strategy saw, and
// the account's KRW balance afterwards.
template <class S>
Counts consume_both(double& krw_available) {
  OrderEvent slot{};
  store_asset(slot, balance_report("KRW", 7, 3, 1000, 1));
  AccountState s;
  Counts c;
  S strategy{&c};
  StrategyConsumer<S> consumer(s, strategy);
  consumer.on_event(slot);
  consumer.on_event(
      order_step(1, "KRW-BTC", Side::bid, 1000, 1, {OrderState::wait, 1100, 0, 0, 0, 0, 1}));
  krw_available = s.balance("KRW")->available;
  return c;
}

TEST(BalanceStrategy, OnAssetIsCalledAfterApplyAndOnOrderNeverSeesAssets) {
  double available = 0;
  const Counts aware = consume_both<SeesAssets>(available);
  EXPECT_EQ(aware.assets, 1);
  EXPECT_EQ(aware.orders, 1);
  EXPECT_EQ(aware.last_total, 10.0);  // the account already had the report
  const Counts orders_only = consume_both<OrdersOnly>(available);
  EXPECT_EQ(orders_only.orders, 1);  // 1000 had on_order seen the asset slot
  EXPECT_EQ(available, 7.0);
}

}  // namespace
}  // namespace fillwire
