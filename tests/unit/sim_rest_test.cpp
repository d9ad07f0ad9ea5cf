// upbit-sim REST logic: query parsing, JWT + query_hash + nonce checks, rate limit, Upbit's shapes.

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "jwt.hpp"
#include "rest.hpp"
#include "simulation.hpp"

namespace fillwire::sim {
namespace {

using nlohmann::json;

class RestTest : public ::testing::Test {
 protected:
  RestTest() : sim_(make_config()), api_(verifier_, nonces_, sim_, RestConfig{}) {
    for (int i = 0; i < 3'000; ++i)
      sim_.next();
  }
  static SimulationConfig make_config() {
    SimulationConfig c;
    c.generator.seed = 11;
    return c;
  }
  std::string token(std::string_view query, std::string_view nonce = {}) {
    const std::string n =
        nonce.empty() ? "nonce-" + std::to_string(++nonce_counter_) : std::string(nonce);
    return "Bearer " + JwtVerifier::sign("ak", "sk", n, HmacAlg::sha256, query);
  }
  RestReply get(std::string_view path, std::string_view query, std::int64_t now = 1'000) {
    const std::string target =
        query.empty() ? std::string(path) : std::string(path) + "?" + std::string(query);
    return api_.handle("GET", target, token(query), now, 1'764'000'000'000 + 10'000'000);
  }

  JwtVerifier verifier_{"ak", "sk"};
  NonceRegistry nonces_;
  Simulation sim_;
  RestApi api_;
  int nonce_counter_ = 0;
};

TEST(RestQuery, ParsesRepeatedAndEncodedKeys) {
  const auto p = parse_query("market=KRW-BTC&states%5B%5D=wait&states[]=watch&empty=&flag");
  ASSERT_EQ(p.size(), 5u);
  EXPECT_EQ(p[1].first, "states[]");
  EXPECT_EQ(p[1].second, "wait");
  EXPECT_EQ(p[2].second, "watch");
  EXPECT_EQ(p[4].first, "flag");
}

TEST(RestQuery, TimesInKstAndIso) {
  EXPECT_EQ(iso_kst(1'546'609'689'000), "2019-01-04T22:48:09+09:00");
  std::int64_t ms = 0;
  ASSERT_TRUE(parse_time("2019-01-04T22:48:09+09:00", ms));
  EXPECT_EQ(ms, 1'546'609'689'000);
  ASSERT_TRUE(parse_time("2019-01-04T13:48:09Z", ms));
  EXPECT_EQ(ms, 1'546'609'689'000);
  EXPECT_EQ(iso_kst_ms(1'546'609'689'045), "2019-01-04T22:48:09.045+09:00");
  EXPECT_EQ(iso_kst_ms(1'546'609'689'000), "2019-01-04T22:48:09.000+09:00");
  ASSERT_TRUE(parse_time("1546609689000", ms));
  EXPECT_FALSE(parse_time("yesterday", ms));
}

TEST(RestQuery, TimesOutsideTheCalendarAreRefused) {
  std::int64_t ms = 0;
  EXPECT_FALSE(parse_time("9223372036854775807", ms));
  EXPECT_FALSE(parse_time("-1", ms));
  EXPECT_FALSE(parse_time("-999-01-01T00:00:00Z", ms));
  EXPECT_TRUE(parse_time("9999-12-31T23:59:59Z", ms));
  EXPECT_TRUE(parse_time("0", ms));
}

TEST_F(RestTest, ExtremeTimeWindowsAreValidationErrors) {
  // Under UBSan (tests/fuzz/sim_rest_fuzz given these targets): start + 7 days, end - 7 days and
  // end - start overflowed int64 for times near its limits.
  for (const char* q : {"start_time=9223372036854775807", "end_time=-9223372036854775807",
                        "start_time=-9223372036854775807&end_time=9223372036854775807"}) {
    const RestReply r = get("/v1/orders/closed", q);
    EXPECT_EQ(r.status, 400u) << q;
    EXPECT_EQ(json::parse(r.body)["error"]["name"], "validation_error") << q;
  }
}

TEST_F(RestTest, OpenOrdersMatchTheBook) {
  const auto r = get("/v1/orders/open", "states[]=wait&states[]=watch&limit=100");
  ASSERT_EQ(r.status, 200u) << r.body;
  const json j = json::parse(r.body);
  ASSERT_TRUE(j.is_array());
  EXPECT_EQ(j.size(), std::min<std::size_t>(100, sim_.book().open_orders().size()));
  for (const auto& o : j) {
    EXPECT_TRUE(o["state"] == "wait" || o["state"] == "watch");
    EXPECT_TRUE(o["locked"].is_string());
    EXPECT_TRUE(o["trades_count"].is_number_integer());
    Uuid id;
    ASSERT_TRUE(Uuid::parse(o["uuid"].get<std::string>(), id));
    const auto* rec = sim_.book().find(id);
    ASSERT_NE(rec, nullptr);
    EXPECT_EQ(o["executed_volume"], fx_to_string(rec->core.executed));
  }
  EXPECT_EQ(r.remaining_req.rfind("group=default; min=1800; sec=", 0), 0u);
}

TEST_F(RestTest, OneOrderWithTradesByUuidAndIdentifier) {
  const OrderRecord* traded = nullptr;
  for (const auto* r : sim_.book().closed_orders()) {
    if (r->trades.size() >= 2 && !r->core.identifier.empty()) traded = r;
  }
  ASSERT_NE(traded, nullptr);
  const auto uuid = traded->core.uuid.to_string();
  auto r = get("/v1/order", "uuid=" + uuid);
  ASSERT_EQ(r.status, 200u) << r.body;
  json j = json::parse(r.body);
  EXPECT_EQ(j["uuid"], uuid);
  EXPECT_EQ(j["trades"].size(), traded->trades.size());
  EXPECT_EQ(j["trades_count"], traded->core.trades_count);
  // Each trade with its own figures and its time to the millisecond, in trade order.
  for (std::size_t k = 0; k < traded->trades.size(); ++k) {
    const TradeRecord& t = traded->trades[k];
    const json& jt = j["trades"][k];
    EXPECT_EQ(jt["uuid"], t.uuid.to_string());
    EXPECT_EQ(jt["market"], j["market"]);
    EXPECT_EQ(jt["side"], j["side"]);
    EXPECT_EQ(jt["price"], fx_to_string(t.price));
    EXPECT_EQ(jt["volume"], fx_to_string(t.volume));
    EXPECT_EQ(jt["funds"], fx_to_string(t.funds));
    EXPECT_EQ(jt["created_at"], iso_kst_ms(t.timestamp));
    if (k > 0) {
      EXPECT_GE(t.timestamp, traded->trades[k - 1].timestamp);
    }
  }
  r = get("/v1/order", "identifier=" + std::string(traded->core.identifier.view()));
  ASSERT_EQ(r.status, 200u);
  EXPECT_EQ(json::parse(r.body)["uuid"], uuid);
  EXPECT_EQ(get("/v1/order", "uuid=00000000-0000-4000-8000-000000000000").status, 404u);
  EXPECT_EQ(get("/v1/order", "").status, 400u);
}

TEST_F(RestTest, ClosedOrdersAndUuids) {
  auto r = get("/v1/orders/closed", "market=KRW-BTC&limit=5&order_by=asc");
  ASSERT_EQ(r.status, 200u) << r.body;
  json j = json::parse(r.body);
  ASSERT_FALSE(j.empty());
  EXPECT_LE(j.size(), 5u);
  for (const auto& o : j)
    EXPECT_EQ(o["market"], "KRW-BTC");
  const std::string a = j[0]["uuid"];
  r = get("/v1/orders/uuids", "uuids[]=" + a);
  ASSERT_EQ(r.status, 200u) << r.body;
  EXPECT_EQ(json::parse(r.body)[0]["uuid"], a);
  EXPECT_EQ(get("/v1/orders/closed", "limit=1001").status, 400u);
  EXPECT_EQ(get("/v1/orders/open", "state=done").status, 400u);
  EXPECT_EQ(get("/v1/orders/closed", "start_time=0&end_time=999999999999").status, 400u);
}

TEST_F(RestTest, AuthErrors) {
  const std::string q = "market=KRW-BTC";
  // Hash of another query.
  auto r = api_.handle("GET", "/v1/orders/open?" + q, token("market=KRW-ETH"), 1, 0);
  EXPECT_EQ(r.status, 401u);
  EXPECT_EQ(json::parse(r.body)["error"]["name"], "invalid_query_payload");
  // Reused nonce.
  r = api_.handle("GET", "/v1/orders/open?" + q, token(q, "same"), 1, 0);
  EXPECT_EQ(r.status, 200u);
  r = api_.handle("GET", "/v1/orders/open?" + q, token(q, "same"), 1, 0);
  EXPECT_EQ(r.status, 401u);
  EXPECT_EQ(json::parse(r.body)["error"]["name"], "nonce_used");
  // No token.
  r = api_.handle("GET", "/v1/accounts", "", 1, 0);
  EXPECT_EQ(r.status, 401u);
  EXPECT_EQ(json::parse(r.body)["error"]["name"], "no_authorization_token");
}

TEST_F(RestTest, RateLimitIsThirtyPerSecond) {
  for (int i = 0; i < 30; ++i)
    ASSERT_EQ(get("/v1/accounts", "", 5'000).status, 200u) << i;
  const auto r = get("/v1/accounts", "", 5'500);
  EXPECT_EQ(r.status, 429u);
  EXPECT_EQ(r.remaining_req, "group=default; min=1800; sec=0");
  EXPECT_EQ(get("/v1/accounts", "", 6'001).status, 200u);
}

TEST_F(RestTest, AccountsAddUp) {
  const auto r = get("/v1/accounts", "");
  ASSERT_EQ(r.status, 200u) << r.body;
  const json j = json::parse(r.body);
  ASSERT_EQ(j[0]["currency"], "KRW");
  for (const auto& a : j) {
    EXPECT_TRUE(a["balance"].is_string());
    EXPECT_EQ(a["unit_currency"], "KRW");
  }
  const json truth = json::parse(sim_.truth_json(false));
  EXPECT_EQ(truth["events"], 3000);
  EXPECT_EQ(truth["accounts"][0]["balance"], j[0]["balance"]);
}

}  // namespace
}  // namespace fillwire::sim
