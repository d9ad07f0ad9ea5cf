// The cold-path summary: number formatting, the text report's figures and the JSON field names
// other tools rely on.

#include "fillwire/account_summary.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "../support/frames.hpp"
#include "fillwire/decoder.hpp"

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
  const auto& p = j.at("positions").at(0);
  EXPECT_EQ(p.at("market"), "KRW-BTC");
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
  EXPECT_EQ(t.at("fill_rate").get<double>(), 0.5);
  EXPECT_EQ(t.at("cancel_rate").get<double>(), 0.25);
  EXPECT_EQ(t.at("smp_rate").get<double>(), 0.25);
  EXPECT_EQ(t.at("trades").get<int>(), 3);
  EXPECT_EQ(t.at("maker_trades").get<int>(), 2);
  EXPECT_EQ(j.at("execution").at("markets").at("KRW-BTC").at("completed").get<int>(), 4);
  EXPECT_EQ(j.at("smp").at("cancel_taker").at("prevented_locked").get<double>(), 10'005'000.0);
  EXPECT_EQ(j.at("orders").at("open").get<int>(), 0);
  EXPECT_TRUE(j.at("open_orders").empty());
  EXPECT_EQ(j.at("counters").at("duplicates").get<int>(), 1);
  EXPECT_EQ(j.at("counters").at("events").get<int>(), 11);
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

}  // namespace
}  // namespace fillwire
