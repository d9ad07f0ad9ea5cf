// The reports of marks and balances: the text summary, the JSON summary and the live view show
// each market's mark and unrealized PnL, each currency's balance with its KRW value at the marks,
// the total, the drifts and what is pending, against the figures worked by hand in
// tests/data/marks.expected.md. Refused balance reports flag the account incomplete.

#include <gtest/gtest.h>

#include <limits>

#include <cstdint>
#include <iterator>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "../support/account.hpp"
#include "../support/balance_events.hpp"
#include "fillwire/account_snapshot.hpp"
#include "fillwire/account_state.hpp"
#include "fillwire/account_summary.hpp"
#include "fillwire/engine.hpp"
#include "fillwire/snapshot_view.hpp"

namespace fillwire {
namespace {

using test::balance_report;
using test::order_step;

// tests/data/marks.expected.md, in the order applied.
class BalanceSummary : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(s.apply(balance_report("KRW", 1'000'000'000, 0, 1000, 1)), ApplyOutcome::applied);
    ASSERT_EQ(s.apply(balance_report("BTC", 0.1, 0, 1000, 2)), ApplyOutcome::applied);
    ASSERT_EQ(s.apply(balance_report("ETH", 2, 0, 1000, 3)), ApplyOutcome::applied);
    s.apply(order_step(1, "KRW-BTC", Side::bid, 100'000'000, 1.0, {OrderState::wait, 1100}));
    s.apply(order_step(5, "KRW-ETH", Side::bid, 3'000'000, 2.0, {OrderState::wait, 1100}));
    s.apply(order_step(1, "KRW-BTC", Side::bid, 100'000'000, 0.4,
                       {OrderState::trade, 1200, 0.4, 40'000'000, 20'000, 1}));
    s.apply(order_step(1, "KRW-BTC", Side::bid, 101'000'000, 0.6,
                       {OrderState::trade, 1300, 1.0, 100'600'000, 50'300, 2}));
    s.apply(order_step(2, "KRW-BTC", Side::ask, 99'000'000, 0.2,
                       {OrderState::trade, 1250, 0.2, 19'800'000, 9'900, 1}));
    s.apply(balance_report("KRW", 919'139'800, 0, 1400, 4));
    s.apply(balance_report("BTC", 0.9, 0, 1400, 5));
    s.apply(balance_report("ETH", 2.5, 0.5, 1400, 6));
    s.apply(balance_report("KRW", 919'139'800, 0, 3400, 7));
    s.apply(balance_report("BTC", 0.8, 0, 3400, 8));
    ASSERT_EQ(s.counters().drifts_reported, 1u);
    ASSERT_TRUE(s.balance("BTC") != nullptr && s.balance("BTC")->pending());
  }
  AccountState s;
};

TEST_F(BalanceSummary, JsonHasTheMarksUnrealizedPnlBalancesValuesAndDrifts) {
  const auto j = nlohmann::json::parse(summary_json(s));
  const auto& btc = j.at("positions").at("KRW-BTC");
  EXPECT_EQ(btc.at("mark_price").get<double>(), 101'000'000.0);
  EXPECT_EQ(btc.at("mark_trade_ts").get<std::int64_t>(), 1300);
  EXPECT_NEAR(btc.at("unrealized_pnl_gross").get<double>(), 200'000.0, 1e-6);
  EXPECT_NEAR(btc.at("unrealized_pnl_net").get<double>(), 159'700.0, 1e-6);
  const auto& eth = j.at("positions").at("KRW-ETH");
  EXPECT_TRUE(eth.at("mark_price").is_null()) << "never filled: no mark";
  EXPECT_TRUE(eth.at("mark_trade_ts").is_null());
  EXPECT_TRUE(eth.at("unrealized_pnl_gross").is_null());
  EXPECT_TRUE(eth.at("unrealized_pnl_net").is_null());

  const auto& b = j.at("balances");
  ASSERT_EQ(b.size(), 3u);
  const auto& krw = b.at("KRW");
  EXPECT_EQ(krw.at("available").get<double>(), 919'139'800.0);
  EXPECT_EQ(krw.at("locked").get<double>(), 0.0);
  EXPECT_EQ(krw.at("total").get<double>(), 919'139'800.0);
  EXPECT_EQ(krw.at("value_krw").get<double>(), 919'139'800.0);
  EXPECT_EQ(krw.at("asset_timestamp").get<std::int64_t>(), 3400);
  EXPECT_EQ(krw.at("updates").get<int>(), 3);
  EXPECT_EQ(krw.at("implied_total").get<double>(), 919'139'800.0);
  EXPECT_EQ(krw.at("implied_locked").get<double>(), 0.0);
  EXPECT_TRUE(krw.at("pending_total").is_null());
  EXPECT_FALSE(krw.at("unreconciled").get<bool>());
  EXPECT_EQ(krw.at("origin"), "stream");
  const auto& bt = b.at("BTC");
  EXPECT_EQ(bt.at("total").get<double>(), 0.8);
  EXPECT_DOUBLE_EQ(bt.at("value_krw").get<double>(), 80'800'000.0);
  EXPECT_DOUBLE_EQ(bt.at("pending_total").get<double>(), -0.1);
  EXPECT_EQ(bt.at("pending_since").get<std::int64_t>(), 3400);
  const auto& et = b.at("ETH");
  EXPECT_EQ(et.at("available").get<double>(), 2.5);
  EXPECT_EQ(et.at("locked").get<double>(), 0.5);
  EXPECT_EQ(et.at("total").get<double>(), 3.0);
  EXPECT_TRUE(et.at("value_krw").is_null()) << "KRW-ETH has no fill: no price, no made-up value";
  EXPECT_TRUE(et.at("pending_total").is_null()) << "reported as a drift, then cleared";

  EXPECT_DOUBLE_EQ(j.at("balances_value_krw").at("total").get<double>(), 999'939'800.0);
  EXPECT_EQ(j.at("balances_value_krw").at("unvalued"), nlohmann::json::array({"ETH"}));

  ASSERT_EQ(j.at("drifts").size(), 1u);
  const auto& d = j.at("drifts").at(0);
  EXPECT_EQ(d.at("currency"), "ETH");
  EXPECT_DOUBLE_EQ(d.at("total").get<double>(), 1.0);
  EXPECT_DOUBLE_EQ(d.at("locked").get<double>(), 0.5);
  EXPECT_EQ(d.at("exchange_ts").get<std::int64_t>(), 1400);
  EXPECT_EQ(d.at("reported_ts").get<std::int64_t>(), 3400);
  EXPECT_EQ(d.at("asset_uuid"), balance_report("ETH", 0, 0, 0, 6).asset_uuid.to_string());
  EXPECT_EQ(j.at("drifts_total").get<int>(), 1);

  const auto& c = j.at("counters");
  EXPECT_EQ(c.at("assets").get<int>(), 8);
  EXPECT_EQ(c.at("assets_applied").get<int>(), 8);
  EXPECT_EQ(c.at("drifts_reported").get<int>(), 1);
  EXPECT_EQ(c.at("balance_deltas").get<int>(), 6);  // 3 fills x (KRW, BTC)
  for (const char* key : {"asset_duplicates", "asset_stale", "asset_invalid", "currency_full",
                          "resync_unlisted", "orders_without_locked", "deltas_unassigned",
                          "deltas_late", "deltas_uncompared", "deltas_retimed", "deltas_overflowed",
                          "currencies_unreconciled", "drifts_explained_late"}) {
    EXPECT_TRUE(c.contains(key)) << key;
  }
  EXPECT_TRUE(j.at("complete").get<bool>());
}

TEST_F(BalanceSummary, TextReportShowsMarksBalancesValuesAndDrifts) {
  const std::string text = format_summary(s);
  for (const char* expected : {
           "mark (last fill)",
           "101,000,000",
           "unrealized, gross",
           "unrealized, net",
           "Balances (3 currencies; value in KRW at the last fill price)",
           "total value: 999,939,800 KRW (without ETH: no fill price)",
           "Balance drifts: 1 reported",
       }) {
    EXPECT_NE(text.find(expected), std::string::npos) << expected << "\n" << text;
  }
  // Rows: the figures in their columns ("—" where there is no figure).
  auto row = [&text](std::string_view start) {
    const auto at = text.find(start);
    return at == std::string::npos ? std::string() : text.substr(at, text.find('\n', at) - at);
  };
  const std::string unrealized = row("  unrealized, gross");
  EXPECT_NE(unrealized.find("200,000"), std::string::npos) << unrealized;
  EXPECT_NE(unrealized.find("—"), std::string::npos) << "KRW-ETH: " << unrealized;
  EXPECT_NE(row("  unrealized, net").find("159,700"), std::string::npos) << text;
  const std::string eth = row("  ETH ");
  EXPECT_NE(eth.find("2.5"), std::string::npos) << eth;
  EXPECT_NE(eth.find("—"), std::string::npos) << "no value for ETH: " << eth;
  EXPECT_NE(row("  BTC ").find("80,800,000"), std::string::npos) << text;
  EXPECT_NE(row("  BTC ").find("-0.1"), std::string::npos) << "pending: " << text;
  EXPECT_NE(text.find("\nEvents\n"), std::string::npos);
  EXPECT_NE(text.find("drifts_reported"), std::string::npos);
}

// Every line of the view's balance and mark sections fits an 80-column terminal.
void expect_fits_80_columns(const std::string& view, std::string_view from, std::string_view to) {
  const auto begin = view.find(from);
  ASSERT_NE(begin, std::string::npos) << from << "\n" << view;
  const auto end = view.find(to, begin);
  std::istringstream lines(view.substr(begin, end - begin));
  for (std::string line; std::getline(lines, line);) {
    std::size_t columns = 0;
    for (const char c : line)
      columns += (static_cast<unsigned char>(c) & 0xC0) != 0x80 ? 1 : 0;
    EXPECT_LE(columns, 80u) << line;
  }
}

TEST_F(BalanceSummary, TheLiveViewShowsBalancesValuesDriftsAndMarksIn80Columns) {
  SnapshotTracker tracker;
  auto snap = std::make_unique<AccountSnapshot>();
  fill_snapshot(s, tracker, 1, *snap);
  ASSERT_EQ(snap->balance_count, 3u);
  ASSERT_EQ(snap->drift_count, 1u);
  EXPECT_EQ(snap->markets[0].position.mark_price, 101'000'000.0) << "the snapshot carries marks";
  const std::string view = format_view(*snap, EngineCounters{}, ViewContext{});
  for (const char* expected : {
           "  KRW-BTC         101,000,000                200,000                159,700\n",
           "  KRW-ETH                   —                      —                      —\n",
           "balances     3 currencies  worth 999,939,800 KRW  (no price: ETH)\n",
           "  currency        available           locked            total KRW at last fill\n",
           "  KRW           919,139,800                0      919,139,800      919,139,800\n",
           "  BTC                   0.8                0              0.8       80,800,000\n",
           "  ETH                   2.5              0.5                3                —\n",
           "drifts       1 reported  0 explained late   BALANCE MOVED WITHOUT A FILL\n",
           "  time          currency            total           locked  first seen\n",
           "  00:00:03.400  ETH                    +1             +0.5  00:00:01.400\n",
           "  pending       BTC                  -0.1                0  00:00:03.400\n",
       }) {
    EXPECT_NE(view.find(expected), std::string::npos) << expected << "\n" << view;
  }
  expect_fits_80_columns(view, "  market     mark", "execution");
  const std::string line = format_line(*snap, EngineCounters{}, 0.0);
  EXPECT_NE(line.find("unrealized net 159,700 | balances 3 worth 999,939,800 KRW (no price: ETH) "
                      "drifts 1 |"),
            std::string::npos)
      << line;
}

// A currency only the order stream has named (no report yet) has no known balance: no value, no
// figure made up; only the change the fills imply (10 XRP bought for 7,000 KRW + 3.5 fee).
TEST(BalanceSummaryUnreported, ABalanceNeverReportedShowsNoFigureOnlyTheImpliedChange) {
  AccountState s;
  s.apply(order_step(3, "KRW-XRP", Side::bid, 800, 10, {OrderState::wait, 1000}));
  s.apply(
      order_step(3, "KRW-XRP", Side::bid, 700, 10, {OrderState::trade, 1100, 10, 7'000, 3.5, 1}));
  ASSERT_EQ(s.currency_count(), 2u);
  const auto j = nlohmann::json::parse(summary_json(s));
  const auto& xrp = j.at("balances").at("XRP");
  EXPECT_TRUE(xrp.at("value_krw").is_null()) << "the mark is known, the balance is not";
  EXPECT_TRUE(xrp.at("asset_timestamp").is_null());
  EXPECT_EQ(xrp.at("updates").get<int>(), 0);
  EXPECT_EQ(xrp.at("implied_total").get<double>(), 10.0);
  EXPECT_EQ(j.at("balances").at("KRW").at("implied_total").get<double>(), -7'003.5);
  EXPECT_EQ(j.at("balances_value_krw").at("total").get<double>(), 0.0);
  EXPECT_EQ(j.at("balances_value_krw").at("unreported"), nlohmann::json::array({"KRW", "XRP"}));
  EXPECT_TRUE(j.at("balances_value_krw").at("unvalued").empty());

  const std::string text = format_summary(s);
  const auto at = text.find("  XRP ");
  ASSERT_NE(at, std::string::npos) << text;
  const std::string row = text.substr(at, text.find('\n', at) - at);
  // currency, available, locked, total, value, asset time: no zero balance made up.
  std::istringstream cells(row);
  std::vector<std::string> cell{std::istream_iterator<std::string>(cells), {}};
  ASSERT_GE(cell.size(), 6u) << row;
  for (std::size_t c = 1; c < 6; ++c)
    EXPECT_EQ(cell[c], "—") << row;

  SnapshotTracker tracker;
  auto snap = std::make_unique<AccountSnapshot>();
  fill_snapshot(s, tracker, 1, *snap);
  const std::string view = format_view(*snap, EngineCounters{}, ViewContext{});
  EXPECT_NE(view.find("  XRP                     —  (not reported yet; fills imply +10)\n"),
            std::string::npos)
      << view;
  EXPECT_NE(view.find("balances     2 currencies  worth 0 KRW\n"), std::string::npos) << view;
}

TEST(BalanceSummaryRefusals, RefusedBalanceReportsFlagTheAccountIncompleteAndNameTheKey) {
  AccountConfig config;
  config.currencies = 2;
  AccountState s(config);
  s.apply(test::balance_report("KRW", 1000, 0, 1000, 1));
  s.apply(test::balance_report("BTC", 1, 0, 1000, 2));
  EXPECT_EQ(s.apply(test::balance_report("ETH", 1, 0, 1000, 3)), ApplyOutcome::currency_full);
  EXPECT_EQ(s.apply(test::balance_report("XRP", 1, 0, 1000, 4)), ApplyOutcome::currency_full);
  EXPECT_EQ(
      s.apply(test::balance_report("KRW", std::numeric_limits<double>::infinity(), 0, 1100, 5)),
      ApplyOutcome::invalid);
  ASSERT_EQ(s.counters().currency_full, 2u);
  ASSERT_EQ(s.counters().asset_invalid, 1u);
  EXPECT_EQ(s.counters().refused(), 3u);

  const std::string notice =
      "ACCOUNT INCOMPLETE: 2 balance reports refused (currency table full) \u2014 raise "
      "account.currencies; 1 balance reports refused as invalid";
  EXPECT_EQ(incomplete_notice(s.counters()), notice);
  EXPECT_EQ(format_summary(s).rfind(notice + "\n", 0), 0u) << format_summary(s);
  const auto j = nlohmann::json::parse(summary_json(s));
  EXPECT_FALSE(j.at("complete").get<bool>());
  ASSERT_EQ(j.at("incomplete").size(), 2u);
  EXPECT_EQ(j.at("incomplete").at(0).at("reason"), "currency_full");
  EXPECT_EQ(j.at("incomplete").at(0).at("count").get<int>(), 2);
  EXPECT_EQ(j.at("incomplete").at(0).at("config_key"), "account.currencies");
  EXPECT_EQ(j.at("incomplete").at(1).at("reason"), "asset_invalid");
  EXPECT_FALSE(j.at("incomplete").at(1).contains("config_key"));
  EXPECT_EQ(j.at("notice"), notice);

  SnapshotTracker tracker;
  auto snap = std::make_unique<AccountSnapshot>();
  fill_snapshot(s, tracker, 1, *snap);
  const std::string view = format_view(*snap, EngineCounters{}, ViewContext{});
  EXPECT_NE(view.find(notice), std::string::npos) << view;
  EXPECT_NE(view.find("0 applied  3 refused"), std::string::npos) << view;
  EXPECT_NE(view.find("currency full 2  balance invalid 1"), std::string::npos) << view;
}

}  // namespace
}  // namespace fillwire
