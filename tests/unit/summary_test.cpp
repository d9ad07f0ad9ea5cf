// The cold-path summary: number formatting, the text report's figures and the JSON field names
// other tools rely on.

#include "fillwire/account_summary.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "../support/frames.hpp"
#include "../support/order_lifecycle.hpp"
#include "fillwire/account_snapshot.hpp"
#include "fillwire/account_state.hpp"
#include "fillwire/control_event.hpp"
#include "fillwire/decoder.hpp"
#include "fillwire/engine.hpp"
#include "fillwire/snapshot_view.hpp"

namespace fillwire {
namespace {

TEST(FormatAmount, GroupsThousandsAndTrimsZeros) {
  EXPECT_EQ(format_amount(100'050'000.0), "100,050,000");
  EXPECT_EQ(format_amount(4'947'500.0), "4,947,500");
  EXPECT_EQ(format_amount(0.5), "0.5");
  EXPECT_EQ(format_amount(0.0), "0");
  EXPECT_EQ(format_amount(-27'500.25), "-27,500.25");
  EXPECT_EQ(format_amount(999.0), "999");
  EXPECT_EQ(format_amount(1000.0), "1,000");
  EXPECT_EQ(format_amount(0.00000001), "0.00000001");
  EXPECT_EQ(format_amount(-0.000000001), "0");  // below 8 decimals: no "-0"
}

class SummaryOfLifecycle : public ::testing::Test {
 protected:
  void SetUp() override {
    Decoder d;
    for (const std::string& line : test::read_lines("lifecycle-default.jsonl")) {
      OrderEvent e;
      ASSERT_TRUE(test::decode_one(d, line, e).error.ok());
      state.apply(e);
    }
  }
  AccountState state;
};

TEST_F(SummaryOfLifecycle, TextReportShowsTheFigures) {
  const std::string text = format_summary(state);
  for (const char* expected :
       {"realized PnL, net      4,947,500", "average cost, net    100,050,000",
        "fees paid                 77,500", "Open orders: 0", "maker trades"}) {
    EXPECT_NE(text.find(expected), std::string::npos) << expected << "\n" << text;
  }
}

TEST_F(SummaryOfLifecycle, JsonHasStableFieldNamesAndValues) {
  const auto j = nlohmann::json::parse(summary_json(state));
  ASSERT_EQ(j.at("positions").size(), 1u);
  const auto& p = j.at("positions").at("KRW-BTC");
  EXPECT_EQ(p.at("quote_currency"), "KRW");
  EXPECT_EQ(p.at("base_currency"), "BTC");
  EXPECT_EQ(p.at("base_volume").get<double>(), 0.5);
  EXPECT_EQ(p.at("avg_cost_gross").get<double>(), 100'000'000.0);
  EXPECT_EQ(p.at("avg_cost_net").get<double>(), 100'050'000.0);
  EXPECT_EQ(p.at("realized_pnl_gross").get<double>(), 5'000'000.0);
  EXPECT_EQ(p.at("realized_pnl_net").get<double>(), 4'947'500.0);
  EXPECT_EQ(p.at("fees_paid").get<double>(), 77'500.0);
  EXPECT_EQ(p.at("bought_notional").get<double>(), 100'000'000.0);
  EXPECT_EQ(p.at("sold_notional").get<double>(), 55'000'000.0);
  const auto& t = j.at("execution").at("total");
  EXPECT_EQ(t.at("done_full").get<int>(), 2);
  EXPECT_EQ(t.at("done_partial").get<int>(), 0);
  EXPECT_EQ(t.at("cancelled").get<int>(), 1);
  EXPECT_EQ(t.at("prevented").get<int>(), 1);
  EXPECT_EQ(t.at("quote_currency"), "KRW");
  EXPECT_EQ(t.at("fill_rate_pct").get<double>(), 50.0);  // percent, as the report shows
  EXPECT_EQ(t.at("cancel_rate_pct").get<double>(), 25.0);
  EXPECT_EQ(t.at("smp_rate_pct").get<double>(), 25.0);
  EXPECT_EQ(t.at("trades").get<int>(), 3);
  EXPECT_EQ(t.at("maker_trades").get<int>(), 2);
  EXPECT_EQ(j.at("execution").at("markets").at("KRW-BTC").at("completed").get<int>(), 4);
  EXPECT_EQ(j.at("smp").at("cancel_taker").at("prevented_locked").get<double>(), 10'005'000.0);
  EXPECT_EQ(j.at("orders").at("open").get<int>(), 0);
  EXPECT_TRUE(j.at("open_orders").empty());
  EXPECT_EQ(j.at("counters").at("duplicates").get<int>(), 1);
  EXPECT_EQ(j.at("counters").at("events").get<int>(), 11);
}

TEST_F(SummaryOfLifecycle, AWholeAccountIsNotFlagged) {
  EXPECT_EQ(format_summary(state).find("INCOMPLETE"), std::string::npos);
  const auto j = nlohmann::json::parse(summary_json(state));
  EXPECT_TRUE(j.at("complete").get<bool>());
  EXPECT_TRUE(j.at("incomplete").empty());
  EXPECT_EQ(j.at("notice"), "");
}

// A wait event of a new order in `market`.
OrderEvent wait_event(std::uint32_t n, const std::string& market) {
  return test::numbered_wait(n, market, Side::bid, 1000.0, 1.0);
}

TEST(Summary, RefusalsFlagTheAccountIncompleteAndNameTheKeyThatFixesThem) {
  AccountConfig config;
  config.open_orders = 2;
  config.markets = 2;
  AccountState s(config);
  s.apply(wait_event(1, "KRW-BTC"));
  s.apply(wait_event(2, "KRW-BTC"));
  s.apply(wait_event(3, "KRW-BTC"));  // a third open order: table full
  s.apply(wait_event(4, "KRW-BTC"));  // and a fourth
  s.apply(wait_event(5, "KRW-ETH"));  // ETH is the second market, but the table is full: refused
  s.apply(wait_event(6, "KRW-XRP"));  // a third market: market full
  OrderEvent bad = wait_event(7, "KRW-BTC");
  bad.price = 1e308;  // past the figure limit
  s.apply(bad);
  ASSERT_EQ(s.counters().applied, 2u);
  ASSERT_EQ(s.counters().table_full, 3u);
  ASSERT_EQ(s.counters().market_full, 1u);
  ASSERT_EQ(s.counters().invalid, 1u);

  const std::string text = format_summary(s);
  EXPECT_EQ(text.rfind("ACCOUNT INCOMPLETE: 3 events refused (table full) \u2014 raise "
                       "account.open_orders; 1 events refused (market table full) \u2014 raise "
                       "account.markets; 1 events refused as invalid (1 non-finite)\n",
                       0),
            0u)
      << text;
  const auto j = nlohmann::json::parse(summary_json(s));
  EXPECT_FALSE(j.at("complete").get<bool>());
  ASSERT_EQ(j.at("incomplete").size(), 3u);
  EXPECT_EQ(j.at("incomplete").at(0).at("reason"), "table_full");
  EXPECT_EQ(j.at("incomplete").at(0).at("count").get<int>(), 3);
  EXPECT_EQ(j.at("incomplete").at(0).at("config_key"), "account.open_orders");
  EXPECT_EQ(j.at("incomplete").at(1).at("config_key"), "account.markets");
  EXPECT_EQ(j.at("incomplete").at(2).at("reason"), "invalid");
  EXPECT_FALSE(j.at("incomplete").at(2).contains("config_key"));
  EXPECT_EQ(j.at("counters").at("non_finite").get<int>(), 1);
  EXPECT_EQ(j.at("notice").get<std::string>().rfind("ACCOUNT INCOMPLETE: 3 events", 0), 0u);
}

TEST(Summary, JsonKeysEachMarketAndNamesItsQuoteCurrency) {
  AccountState s;
  s.apply(wait_event(1, "KRW-BTC"));
  s.apply(wait_event(2, "BTC-ETH"));
  const auto j = nlohmann::json::parse(summary_json(s));
  ASSERT_EQ(j.at("positions").size(), 2u);
  EXPECT_EQ(j.at("positions").at("KRW-BTC").at("quote_currency"), "KRW");
  EXPECT_EQ(j.at("positions").at("BTC-ETH").at("quote_currency"), "BTC");
  EXPECT_EQ(j.at("positions").at("BTC-ETH").at("base_currency"), "ETH");
  EXPECT_EQ(j.at("execution").at("markets").at("BTC-ETH").at("quote_currency"), "BTC");
  EXPECT_TRUE(j.at("execution").at("total").at("quote_currency").is_null())
      << "a total over two quote currencies names none";
  EXPECT_EQ(j.at("open_orders").at(1).at("quote_currency"), "BTC");
}

TEST(Summary, AnIncompleteResyncInTheStreamFlagsTheAccount) {
  AccountState s;
  OrderEvent c{};
  make_control(c, ControlCode::resync_incomplete, 1764000000000, "deadline", 12);
  s.apply(c);
  EXPECT_EQ(s.counters().resync_incomplete, 1u);
  EXPECT_NE(format_summary(s).find("ACCOUNT INCOMPLETE: 1 resync incomplete or failed"),
            std::string::npos);
  const auto j = nlohmann::json::parse(summary_json(s));
  EXPECT_FALSE(j.at("complete").get<bool>());
  EXPECT_EQ(j.at("incomplete").at(0).at("reason"), "resync_incomplete");
}

TEST(Summary, ListsOpenOrders) {
  AccountState s;
  Decoder d;
  OrderEvent e;
  const auto lines = test::read_lines("lifecycle-default.jsonl");
  ASSERT_TRUE(test::decode_one(d, lines[0], e).error.ok());  // A: wait
  s.apply(e);
  const auto j = nlohmann::json::parse(summary_json(s, -1));
  ASSERT_EQ(j.at("open_orders").size(), 1u);
  EXPECT_EQ(j.at("open_orders").at(0).at("uuid"), "3f1c9a52-7b1e-4c1d-9a0e-1b2c3d4e5f60");
  EXPECT_EQ(j.at("open_orders").at(0).at("identifier"), "strat-a-1");
  EXPECT_EQ(j.at("open_orders").at(0).at("volume").get<double>(), 1.0);
  EXPECT_NE(format_summary(s).find("3f1c9a52-7b1e-4c1d-9a0e-1b2c3d4e5f60"), std::string::npos);
}

// The first lifecycle frame (an open order with its fill to come) with a market code and an
// identifier that would drive a terminal: ESC [2J (clear screen), a newline, a C1 CSI.
OrderEvent hostile_order(std::size_t line) {
  std::string frame = test::read_lines("lifecycle-default.jsonl")[line];
  frame.replace(frame.find("KRW-BTC"), 7, R"(KRW-\u001b[2J)");
  frame.replace(frame.find("strat-a-1"), 9, R"(a\nb\u009b)");
  Decoder d;
  OrderEvent e;
  EXPECT_TRUE(test::decode_one(d, frame, e).error.ok()) << frame;
  return e;
}

bool has_control_bytes(const std::string& text) {
  return text.find('\x1b') != std::string::npos || text.find("\xc2\x9b") != std::string::npos;
}

TEST(Summary, ExchangeStringsAreEscapedInTheReport) {
  AccountState s;
  s.apply(hostile_order(0));
  const std::string text = format_summary(s);
  EXPECT_FALSE(has_control_bytes(text)) << text;
  EXPECT_NE(text.find("KRW-\\x1b[2J"), std::string::npos) << text;
  EXPECT_NE(text.find("a\\nb\\xc2\\x9b"), std::string::npos) << text;
  EXPECT_EQ(text.find("a\nb"), std::string::npos) << "a newline from the exchange broke a row";
  // JSON escapes for itself: the values read back as sent.
  const auto j = nlohmann::json::parse(summary_json(s));
  EXPECT_TRUE(j.at("positions").contains("KRW-\x1b[2J")) << j.at("positions");
  EXPECT_EQ(j.at("open_orders").at(0).at("identifier"), "a\nb\xc2\x9b");
}

TEST(Summary, JsonOfTextThatIsNotUtf8IsWrittenNotThrown) {
  // The decoder refuses invalid UTF-8, but a cut identifier or a hand-made event may hold some.
  AccountState s;
  OrderEvent e = hostile_order(0);
  e.identifier.assign("id-\xff\xfe");
  s.apply(e);
  std::string json;
  ASSERT_NO_THROW(json = summary_json(s));
  EXPECT_EQ(nlohmann::json::parse(json).at("open_orders").at(0).at("identifier"),
            "id-\xef\xbf\xbd\xef\xbf\xbd");  // U+FFFD twice
}

TEST(SnapshotView, ExchangeStringsAreEscapedInThePanel) {
  AccountState s;
  s.apply(hostile_order(0));
  s.apply(hostile_order(1));  // a fill: the recent-fills row
  SnapshotTracker tracker;
  tracker.on_fill(hostile_order(1));
  auto snap = std::make_unique<AccountSnapshot>();
  fill_snapshot(s, tracker, 1, *snap);
  ASSERT_EQ(snap->market_count, 1u);
  ASSERT_EQ(snap->open_orders, 1u);
  ASSERT_EQ(snap->fill_count, 1u);
  const std::string view = format_view(*snap, EngineCounters{}, ViewContext{});
  EXPECT_FALSE(has_control_bytes(view)) << view;
  // Positions, marks, open orders and fills each show the escaped code.
  std::size_t rows = 0;
  for (std::size_t at = view.find("KRW-\\x1b[2J"); at != std::string::npos;
       at = view.find("KRW-\\x1b[2J", at + 1))
    ++rows;
  EXPECT_EQ(rows, 4u) << view;
}

}  // namespace
}  // namespace fillwire
