// upbit-sim REST logic: query parsing, JWT + query_hash + nonce checks, rate limits and bans,
// parameter checks, Upbit's shapes.

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "fillwire/detail/rest_orders.hpp"
#include "jwt.hpp"
#include "market.hpp"
#include "rest.hpp"
#include "simulation.hpp"

namespace fillwire::sim {
namespace {

using nlohmann::json;

class RestTest : public ::testing::Test {
 protected:
  explicit RestTest(RestConfig config = {})
      : sim_(make_config()), api_(verifier_, nonces_, sim_, config) {
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
    return get_on(api_, path, query, now);
  }
  RestReply get_on(RestApi& api, std::string_view path, std::string_view query,
                   std::int64_t now = 1'000) {
    const std::string target =
        query.empty() ? std::string(path) : std::string(path) + "?" + std::string(query);
    return api.handle("GET", target, token(query), now, 1'764'000'000'000 + 10'000'000);
  }
  // An order the stream ended as `prevented` (self-match prevention took all it had left).
  const OrderRecord* prevented_order() const {
    for (const auto* r : sim_.book().closed_orders()) {
      if (r->core.state == OrderState::prevented) return r;
    }
    return nullptr;
  }

  JwtVerifier verifier_{"ak", "sk"};
  NonceRegistry nonces_;
  Simulation sim_;
  RestApi api_;
  // For tests of many requests at one instant.
  RestApi unlimited_{verifier_, nonces_, sim_, RestConfig{.rate_limit = false}};
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

// ---------------------------------------------------------------------------------------------
// GET /v1/market/all: public, Upbit's shape, its own rate group.

TEST_F(RestTest, MarketListIsPublicInUpbitsShape) {
  const std::int64_t sim_now = 1'764'000'000'000;
  // No token, a token that is no JWT, and a good one: the same answer (Quotation API).
  std::vector<RestReply> replies = {
      api_.handle("GET", "/v1/market/all", "", 1'000, sim_now),
      api_.handle("GET", "/v1/market/all", "Bearer not-a-token", 1'000, sim_now),
      api_.handle("GET", "/v1/market/all", token(""), 1'000, sim_now),
      api_.handle("GET", "/v1/market/all?is_details=false", "", 1'000, sim_now)};
  for (const RestReply& r : replies) {
    ASSERT_EQ(r.status, 200u) << r.body;
    EXPECT_EQ(r.body, replies[0].body);
    EXPECT_EQ(r.remaining_req.rfind("group=market; min=600; sec=", 0), 0u) << r.remaining_req;
  }
  const json j = json::parse(replies[0].body);
  ASSERT_EQ(j.size(), kMarketCount);
  for (std::size_t i = 0; i < kMarketCount; ++i) {
    EXPECT_EQ(j[i]["market"], kMarkets[i].code);
    EXPECT_EQ(j[i]["korean_name"], kMarkets[i].korean_name);
    EXPECT_EQ(j[i]["english_name"], kMarkets[i].english_name);
    EXPECT_EQ(j[i].size(), 3u) << "no market_event without is_details, no market_warning ever";
  }
  EXPECT_EQ(j[0]["korean_name"], "비트코인");
  EXPECT_EQ(j[0]["english_name"], "Bitcoin");

  // is_details=true (and the older spelling isDetails) adds market_event.
  for (const char* q : {"is_details=true", "isDetails=true"}) {
    const RestReply r = api_.handle("GET", std::string("/v1/market/all?") + q, "", 1'000, sim_now);
    ASSERT_EQ(r.status, 200u) << r.body;
    for (const json& m : json::parse(r.body)) {
      ASSERT_EQ(m.size(), 4u) << m.dump();
      EXPECT_EQ(m["market_event"]["warning"], false);
      const json& caution = m["market_event"]["caution"];
      EXPECT_EQ(caution.size(), 5u);
      for (const char* k :
           {"PRICE_FLUCTUATIONS", "TRADING_VOLUME_SOARING", "DEPOSIT_AMOUNT_SOARING",
            "GLOBAL_PRICE_DIFFERENCES", "CONCENTRATION_OF_SMALL_ACCOUNTS"}) {
        EXPECT_EQ(caution[k], false) << k;
      }
      EXPECT_FALSE(m.contains("market_warning"));
    }
  }
  for (const char* q :
       {"is_details=1", "is_details=", "is_details=TRUE", "is_details=true&is_details=true"}) {
    const RestReply r = api_.handle("GET", std::string("/v1/market/all?") + q, "", 1'000, sim_now);
    EXPECT_EQ(r.status, 400u) << q;
    EXPECT_EQ(json::parse(r.body)["error"]["name"], "validation_error") << q;
  }
  EXPECT_EQ(api_.handle("POST", "/v1/market/all", "", 2'000, sim_now).status, 405u);
}

TEST_F(RestTest, MarketListHasItsOwnRateGroupApartFromTheOrderQueries) {
  const std::int64_t sim_now = 1'764'000'000'000;
  for (int i = 0; i < 10; ++i) {
    const RestReply r = api_.handle("GET", "/v1/market/all", "", 5'000, sim_now);
    ASSERT_EQ(r.status, 200u) << i;
    EXPECT_EQ(r.remaining_req, "group=market; min=600; sec=" + std::to_string(9 - i));
  }
  const RestReply over = api_.handle("GET", "/v1/market/all", "", 5'000, sim_now);
  EXPECT_EQ(over.status, 429u);
  EXPECT_EQ(over.remaining_req, "group=market; min=600; sec=0");
  // The default group (30 a second) saw none of them.
  for (int i = 0; i < 30; ++i) {
    const RestReply r = get("/v1/accounts", "", 5'000);
    ASSERT_EQ(r.status, 200u) << i;
    EXPECT_EQ(r.remaining_req, "group=default; min=1800; sec=" + std::to_string(29 - i));
  }
  EXPECT_EQ(get("/v1/accounts", "", 5'000).status, 429u);
  EXPECT_EQ(api_.handle("GET", "/v1/market/all", "", 6'001, sim_now).status, 200u);
}

// ---------------------------------------------------------------------------------------------
// Orders that self-match prevention ended: `cancel` over REST, as Upbit's REST states go.

TEST_F(RestTest, OrderEndedBySmpIsACancelWithItsSmpFields) {
  const OrderRecord* p = prevented_order();
  ASSERT_NE(p, nullptr) << "seed 11 has SMP endings in its first 3000 events";
  const std::string uuid = p->core.uuid.to_string();
  const RestReply r = get("/v1/order", "uuid=" + uuid);
  ASSERT_EQ(r.status, 200u) << r.body;
  const json o = json::parse(r.body);
  EXPECT_EQ(o["state"], "cancel");
  EXPECT_EQ(o["smp_type"], std::string(enum_name(p->core.smp, kSmpTypeNames)));
  EXPECT_EQ(o["prevented_volume"], fx_to_string(p->core.prevented_volume));
  EXPECT_EQ(o["prevented_locked"], fx_to_string(p->core.prevented_locked));
  EXPECT_GT(p->core.prevented_volume, 0);
  EXPECT_EQ(o["remaining_volume"], fx_to_string(0));
  EXPECT_EQ(o["locked"], fx_to_string(0));

  // Listed among the cancels; `prevented` is no filter Upbit knows.
  const std::string window = "market=" + std::string(kMarkets[p->core.market].code) +
                             "&start_time=" + std::to_string(p->core.created_ms) +
                             "&end_time=" + std::to_string(p->core.created_ms);
  for (const std::string& q :
       {window + "&state=cancel", window, window + "&states[]=done&states[]=cancel"}) {
    const RestReply l = get("/v1/orders/closed", q);
    ASSERT_EQ(l.status, 200u) << l.body;
    bool listed = false;
    for (const json& x : json::parse(l.body)) {
      EXPECT_NE(x["state"], "prevented");
      listed = listed || x["uuid"] == uuid;
    }
    EXPECT_TRUE(listed) << q;
  }
  EXPECT_EQ(json::parse(get("/v1/orders/closed", window + "&state=done").body).size(),
            json::parse(get("/v1/orders/closed", window).body).size() -
                json::parse(get("/v1/orders/closed", window + "&state=cancel").body).size());
  for (const std::string& q : {window + "&state=prevented", window + "&states[]=prevented"}) {
    const RestReply l = get("/v1/orders/closed", q);
    EXPECT_EQ(l.status, 400u) << q;
    EXPECT_EQ(json::parse(l.body)["error"]["name"], "validation_error");
  }
  // The truth keeps the stream's name.
  bool in_truth = false;
  const json truth = json::parse(sim_.truth_json(true));
  for (const json& t : truth["orders"]) {
    if (t["uuid"] == uuid) {
      EXPECT_EQ(t["state"], "prevented");
      in_truth = true;
    }
  }
  EXPECT_TRUE(in_truth);
}

// What lets a client name an SMP ending as the stream did (fillwire's REST parser does): among the
// REST answers, a `cancel` with prevented_volume > 0 and nothing left is exactly an order the
// stream ended `prevented`.
TEST_F(RestTest, ACancelWithNothingLeftAndPreventedVolumeIsExactlyAnSmpEnding) {
  std::size_t prevented = 0;
  std::size_t cancelled = 0;
  for (const auto* r : sim_.book().all_orders()) {
    const RestReply a = get_on(unlimited_, "/v1/order", "uuid=" + r->core.uuid.to_string());
    ASSERT_EQ(a.status, 200u) << a.body;
    const json o = json::parse(a.body);
    const bool smp_end = o["state"] == "cancel" && o["remaining_volume"] == fx_to_string(0) &&
                         std::stod(o["prevented_volume"].get<std::string>()) > 0;
    EXPECT_EQ(smp_end, r->core.state == OrderState::prevented) << a.body;
    prevented += r->core.state == OrderState::prevented ? 1u : 0u;
    cancelled += r->core.state == OrderState::cancel ? 1u : 0u;
    // And the client's parser gives back the stream's final state.
    const RestParseResult parsed = parse_rest_orders(a.body, 0);
    ASSERT_TRUE(parsed.ok()) << parsed.error;
    if (is_terminal(r->core.state)) {
      EXPECT_EQ(parsed.orders[0].state, r->core.state) << a.body;
    }
  }
  EXPECT_GT(prevented, 0u);
  EXPECT_GT(cancelled, 0u);
}

TEST_F(RestTest, PreventedStateKeptWhenAsked) {
  RestConfig cfg;
  cfg.prevented_as = PreventedAs::prevented;
  RestApi api(verifier_, nonces_, sim_, cfg);
  const OrderRecord* p = prevented_order();
  ASSERT_NE(p, nullptr);
  const std::string uuid = p->core.uuid.to_string();
  const RestReply r = get_on(api, "/v1/order", "uuid=" + uuid);
  ASSERT_EQ(r.status, 200u) << r.body;
  EXPECT_EQ(json::parse(r.body)["state"], "prevented");
  const RestReply l = get_on(api, "/v1/orders/closed",
                             "state=prevented&start_time=" + std::to_string(p->core.created_ms) +
                                 "&end_time=" + std::to_string(p->core.created_ms));
  ASSERT_EQ(l.status, 200u) << l.body;
  bool listed = false;
  for (const json& x : json::parse(l.body)) {
    EXPECT_EQ(x["state"], "prevented");
    listed = listed || x["uuid"] == uuid;
  }
  EXPECT_TRUE(listed);
}

// ---------------------------------------------------------------------------------------------
// 418 bans after repeated 429s.

class RestBanTest : public RestTest {
 protected:
  RestBanTest() : RestTest(config()) {}
  static RestConfig config() {
    RestConfig c;
    c.per_second = 30;
    c.ban_after = 3;
    c.ban_window_ms = 10'000;
    c.ban_ms = 2'000;
    c.ban_max_ms = 5'000;
    return c;
  }
  // Fills the second at `t` and draws three 429s: the third starts a ban.
  void provoke(std::int64_t t) {
    for (int i = 0; i < 30; ++i)
      ASSERT_EQ(get("/v1/accounts", "", t).status, 200u) << i;
    for (int i = 0; i < 3; ++i) {
      const RestReply r = get("/v1/accounts", "", t + i);
      ASSERT_EQ(r.status, 429u) << i;
      EXPECT_TRUE(r.retry_after.empty());
    }
  }
};

TEST_F(RestBanTest, RepeatedTooManyRequestsBanEveryRequestWithRetryAfter) {
  provoke(5'000);  // the third 429 at 5002: banned until 7002
  const RestReply b = get("/v1/accounts", "", 5'003);
  EXPECT_EQ(b.status, 418u);
  EXPECT_EQ(b.retry_after, "2");
  EXPECT_TRUE(b.remaining_req.empty());
  EXPECT_EQ(json::parse(b.body)["error"]["name"], "too_many_requests");
  // Every /v1 request, any group, good or bad, with or without a token.
  const std::int64_t sim_now = 1'764'000'000'000;
  EXPECT_EQ(api_.handle("GET", "/v1/market/all", "", 5'500, sim_now).status, 418u);
  EXPECT_EQ(api_.handle("GET", "/v1/orders/open?page=0", "", 5'500, sim_now).status, 418u);
  EXPECT_EQ(api_.handle("DELETE", "/v1/order", "", 5'500, sim_now).status, 418u);
  EXPECT_EQ(api_.handle("GET", "/v1/nowhere", "", 5'500, sim_now).status, 418u);
  // Retry-After counts whole seconds up: 1 ms left is still a second.
  EXPECT_EQ(get("/v1/accounts", "", 6'001).retry_after, "2");
  EXPECT_EQ(get("/v1/accounts", "", 6'002).retry_after, "1");
  EXPECT_EQ(get("/v1/accounts", "", 7'001).retry_after, "1");
  // The ban ends on time.
  EXPECT_EQ(get("/v1/accounts", "", 7'002).status, 200u);

  // The next ban lasts twice as long (4 s), the one after at most 5 s.
  provoke(9'000);  // banned until 13002
  EXPECT_EQ(get("/v1/accounts", "", 9'003).retry_after, "4");
  EXPECT_EQ(get("/v1/accounts", "", 13'001).status, 418u);
  EXPECT_EQ(get("/v1/accounts", "", 13'002).status, 200u);
  provoke(15'000);  // banned until 20002
  EXPECT_EQ(get("/v1/accounts", "", 15'003).retry_after, "5");
  EXPECT_EQ(get("/v1/accounts", "", 20'001).status, 418u);
  EXPECT_EQ(get("/v1/accounts", "", 20'002).status, 200u);
}

TEST_F(RestBanTest, TooManyRequestsSpreadOverMoreThanTheWindowBanNothing) {
  // Two 429s, then the third 11 s later: the window holds only two at a time.
  for (int i = 0; i < 30; ++i)
    ASSERT_EQ(get("/v1/accounts", "", 1'000).status, 200u);
  EXPECT_EQ(get("/v1/accounts", "", 1'000).status, 429u);
  EXPECT_EQ(get("/v1/accounts", "", 1'000).status, 429u);
  for (int i = 0; i < 30; ++i)
    ASSERT_EQ(get("/v1/accounts", "", 12'000).status, 200u);
  EXPECT_EQ(get("/v1/accounts", "", 12'000).status, 429u);
  EXPECT_EQ(get("/v1/accounts", "", 12'001).status, 429u);
  EXPECT_EQ(get("/v1/accounts", "", 13'001).status, 200u);
  // A 429 of the market group counts toward the same ban: the third within 10 s.
  const std::int64_t sim_now = 1'764'000'000'000;
  for (int i = 0; i < 10; ++i)
    ASSERT_EQ(api_.handle("GET", "/v1/market/all", "", 14'000, sim_now).status, 200u);
  EXPECT_EQ(api_.handle("GET", "/v1/market/all", "", 14'000, sim_now).status, 429u);
  EXPECT_EQ(get("/v1/accounts", "", 14'000).status, 418u);
}

TEST_F(RestTest, NoBanAndNo429WithTheRateLimitOff) {
  RestConfig off;
  off.rate_limit = false;
  off.ban_after = 1;
  RestApi api(verifier_, nonces_, sim_, off);
  const std::int64_t sim_now = 1'764'000'000'000;
  for (int i = 0; i < 300; ++i) {
    const RestReply r = get_on(api, "/v1/accounts", "", 1'000);
    ASSERT_EQ(r.status, 200u) << i;
    EXPECT_EQ(r.remaining_req, "group=default; min=1800; sec=30");
    const RestReply m = api.handle("GET", "/v1/market/all", "", 1'000, sim_now);
    ASSERT_EQ(m.status, 200u) << i;
    EXPECT_EQ(m.remaining_req, "group=market; min=600; sec=10");
  }
  // ban_after = 0: 429s, never a ban.
  RestConfig never;
  never.ban_after = 0;
  RestApi patient(verifier_, nonces_, sim_, never);
  for (int i = 0; i < 30; ++i)
    ASSERT_EQ(get_on(patient, "/v1/accounts", "", 1'000).status, 200u);
  for (int i = 0; i < 100; ++i)
    ASSERT_EQ(get_on(patient, "/v1/accounts", "", 1'000).status, 429u) << i;
}

// ---------------------------------------------------------------------------------------------
// Parameter checks: every bad value is a 400 validation_error, never a crash or a wrong page.

TEST_F(RestTest, OverflowingPageIsRefusedNotWrappedToPageOne) {
  // (page - 1) * limit overflowed int64 and wrapped to 0: page 1 came back.
  const RestReply r = get("/v1/orders/open", "page=4611686018427387905&limit=100");
  EXPECT_EQ(r.status, 400u) << r.body;
  EXPECT_EQ(json::parse(r.body)["error"]["name"], "validation_error");
  EXPECT_NE(json::parse(r.body)["error"]["message"].get<std::string>().find("page"),
            std::string::npos);
  // The last page allowed is answered, empty: past the open orders.
  const RestReply last = get("/v1/orders/open", "page=100000&limit=100");
  ASSERT_EQ(last.status, 200u) << last.body;
  EXPECT_EQ(json::parse(last.body), json::array());
}

TEST_F(RestTest, EveryBadParameterIsAValidationError) {
  const std::string a_uuid = sim_.book().all_orders().front()->core.uuid.to_string();
  std::string uuids101;
  for (int i = 0; i < 101; ++i)
    uuids101 += (i ? "&uuids[]=" : "uuids[]=") + a_uuid;
  const std::vector<std::pair<std::string, std::string>> bad = {
      // page and limit: digits only, in range, once.
      {"/v1/orders/open", "page=0"},
      {"/v1/orders/open", "page=-1"},
      {"/v1/orders/open", "page=+1"},
      {"/v1/orders/open", "page=%201"},
      {"/v1/orders/open", "page=1%20"},
      {"/v1/orders/open", "page=1a"},
      {"/v1/orders/open", "page=0x10"},
      {"/v1/orders/open", "page="},
      {"/v1/orders/open", "page"},
      {"/v1/orders/open", "page=100001"},
      {"/v1/orders/open", "page=18446744073709551616"},
      {"/v1/orders/open", "page=99999999999999999999999999"},
      {"/v1/orders/open", "page=1&page=2"},
      {"/v1/orders/open", "limit=0"},
      {"/v1/orders/open", "limit=101"},
      {"/v1/orders/open", "limit=-5"},
      {"/v1/orders/open", "limit=1e2"},
      {"/v1/orders/open", "limit=1.0"},
      {"/v1/orders/open", "limit="},
      {"/v1/orders/closed", "limit=0"},
      {"/v1/orders/closed", "limit=1001"},
      {"/v1/orders/closed", "limit=+100"},
      {"/v1/orders/closed", "limit=100&limit=100"},
      // states
      {"/v1/orders/open", "state=done"},
      {"/v1/orders/open", "state="},
      {"/v1/orders/open", "states[]=wait&states[]="},
      {"/v1/orders/open", "state=wait&states[]=watch"},
      {"/v1/orders/open", "state=wait&state=watch"},
      {"/v1/orders/open", "state=WAIT"},
      {"/v1/orders/closed", "state=wait"},
      {"/v1/orders/closed", "state=prevented"},
      {"/v1/orders/closed", "states[]=done&states[]=trade"},
      {"/v1/orders/closed", "state=done&states[]=cancel"},
      // times
      {"/v1/orders/closed", "start_time=abc"},
      {"/v1/orders/closed", "start_time="},
      {"/v1/orders/closed", "start_time=-1"},
      {"/v1/orders/closed", "start_time=+1764000000000"},
      {"/v1/orders/closed", "start_time=%201764000000000"},
      {"/v1/orders/closed", "start_time=1764000000000.5"},
      {"/v1/orders/closed", "start_time=9223372036854775808"},
      {"/v1/orders/closed", "start_time=2025-13-01T00:00:00Z"},
      {"/v1/orders/closed", "start_time=2025-02-29T00:00:00Z"},
      {"/v1/orders/closed", "start_time=2025-11-31T00:00:00Z"},
      {"/v1/orders/closed", "start_time=2025-11-24T24:00:00Z"},
      {"/v1/orders/closed", "start_time=2025-11-24T23:60:00Z"},
      {"/v1/orders/closed", "start_time=2025-11-24T23:59:60Z"},
      {"/v1/orders/closed", "start_time=2025-11-24T00:00:00"},
      {"/v1/orders/closed", "start_time=2025-11-24T00:00:00%2B09"},
      {"/v1/orders/closed", "start_time=2025-11-24T00:00:00%2B24:00"},
      {"/v1/orders/closed", "start_time=2025-11-24T00:00:00Zjunk"},
      {"/v1/orders/closed", "start_time=2025-11-24%2000:00:00Z"},
      {"/v1/orders/closed", "start_time=2025-1-24T00:00:00Z"},
      {"/v1/orders/closed", "start_time=%2B2025-11-24T00:00:00Z"},
      {"/v1/orders/closed", "start_time=2025-11-24T00:00:00.Z"},
      {"/v1/orders/closed", "start_time=1764000000000&start_time=1764000000000"},
      {"/v1/orders/closed", "start_time=1764000001000&end_time=1764000000000"},
      {"/v1/orders/closed", "start_time=1764000000000&end_time=1764604800001"},
      {"/v1/orders/closed", "end_time="},
      // market and order_by
      {"/v1/orders/open", "market="},
      {"/v1/orders/open", "market=krw-btc"},
      {"/v1/orders/open", "market=KRW_BTC"},
      {"/v1/orders/open", "market=KRW-"},
      {"/v1/orders/open", "market=-BTC"},
      {"/v1/orders/open", "market=KRW-BTC-X"},
      {"/v1/orders/open", "market=KRW-BTC%00"},
      {"/v1/orders/closed", "market=KRW-BTC&market=KRW-ETH"},
      {"/v1/orders/uuids", "market=%20KRW-BTC&uuids[]=" + a_uuid},
      {"/v1/orders/open", "order_by=ASC"},
      {"/v1/orders/open", "order_by="},
      {"/v1/orders/closed", "order_by=asc&order_by=desc"},
      {"/v1/orders/uuids", "order_by=up&uuids[]=" + a_uuid},
      // uuids[] / identifiers[]
      {"/v1/orders/uuids", ""},
      {"/v1/orders/uuids", uuids101},
      {"/v1/orders/uuids", "uuids[]=not-a-uuid"},
      {"/v1/orders/uuids", "uuids[]="},
      {"/v1/orders/uuids", "uuids[]=" + a_uuid + "&uuids[]="},
      {"/v1/orders/uuids", "identifiers[]="},
      {"/v1/orders/uuids", "uuids[]=" + a_uuid + "&identifiers[]=x"},
      // one order
      {"/v1/order", ""},
      {"/v1/order", "uuid="},
      {"/v1/order", "identifier="},
      {"/v1/order", "uuid=" + a_uuid + "&identifier=x"},
      {"/v1/order", "uuid=" + a_uuid + "&uuid=" + a_uuid},
      {"/v1/order", "uuid=" + a_uuid.substr(1)},
  };
  for (const auto& [path, query] : bad) {
    const RestReply r = get_on(unlimited_, path, query);
    EXPECT_EQ(r.status, 400u) << path << "?" << query << " -> " << r.body;
    const json e = json::parse(r.body);
    EXPECT_EQ(e["error"]["name"], "validation_error") << path << "?" << query;
    EXPECT_FALSE(e["error"]["message"].get<std::string>().empty());
  }
  // A well-formed market the simulator does not trade.
  const RestReply unknown = get_on(unlimited_, "/v1/orders/open", "market=KRW-DOGE");
  EXPECT_EQ(unknown.status, 404u);
  EXPECT_EQ(json::parse(unknown.body)["error"]["name"], "market_does_not_exist");
}

TEST_F(RestTest, GoodParametersAtTheirLimitsAreServed) {
  const std::string a_uuid = sim_.book().all_orders().front()->core.uuid.to_string();
  std::string uuids100;
  for (int i = 0; i < 100; ++i)
    uuids100 += (i ? "&uuids[]=" : "uuids[]=") + a_uuid;
  for (const auto& [path, query] : std::vector<std::pair<std::string, std::string>>{
           {"/v1/orders/open", "page=1&limit=1"},
           {"/v1/orders/open", "page=2&limit=100&order_by=asc"},
           {"/v1/orders/open", "limit=010"},
           {"/v1/orders/open", "states[]=wait&states[]=watch&states[]=wait"},
           {"/v1/orders/closed", "limit=1000&order_by=desc"},
           {"/v1/orders/closed", "state=done"},
           {"/v1/orders/closed", "start_time=2025-11-24T00:00%2B09:00"},
           {"/v1/orders/closed", "start_time=2025-11-24T00:00:00+0900"},
           {"/v1/orders/closed", "start_time=2025-11-24T00:00:00.123456789Z"},
           {"/v1/orders/closed", "start_time=2024-02-29T00:00:00z"},
           {"/v1/orders/closed", "end_time=1764000000000"},
           {"/v1/orders/closed", "start_time=1764000000000&end_time=1764604800000"},
           {"/v1/orders/uuids", uuids100},
           {"/v1/orders/uuids", "identifiers[]=none-such"},
           {"/v1/orders/open", "unknown_key=whatever&=&x"},
       }) {
    const RestReply r = get_on(unlimited_, path, query);
    EXPECT_EQ(r.status, 200u) << path << "?" << query << " -> " << r.body;
    EXPECT_TRUE(json::parse(r.body).is_array());
  }
  // The same uuid a hundred times is one order.
  EXPECT_EQ(json::parse(get_on(unlimited_, "/v1/orders/uuids", uuids100).body).size(), 1u);
  EXPECT_EQ(json::parse(get_on(unlimited_, "/v1/orders/open", "limit=010").body).size(),
            std::min<std::size_t>(10, sim_.book().open_orders().size()));
}

TEST(RestQuery, TimesAreStrictIso8601WithAZoneOrMilliseconds) {
  std::int64_t ms = 0;
  ASSERT_TRUE(parse_time("2024-03-13T00:00+09:00", ms));  // Upbit's own example: no seconds
  EXPECT_EQ(ms, 1'710'255'600'000);
  ASSERT_TRUE(parse_time("2024-03-12T15:00:00.250Z", ms));
  EXPECT_EQ(ms, 1'710'255'600'250);
  ASSERT_TRUE(parse_time("2024-03-12T10:30:00-0430", ms));
  EXPECT_EQ(ms, 1'710'255'600'000);
  ASSERT_TRUE(parse_time("2024-02-29T00:00:00Z", ms));
  ASSERT_TRUE(parse_time("1970-01-01T09:00:00+09:00", ms));
  EXPECT_EQ(ms, 0);
  for (const char* t :
       {"", "2024-03-13", "2024-03-13T00:00", "2024-03-13T00:00:00", "2024-03-13 00:00:00Z",
        " 2024-03-13T00:00:00Z", "2024-03-13T00:00:00Z ", "2023-02-29T00:00:00Z",
        "2024-04-31T00:00:00Z", "2024-00-10T00:00:00Z", "2024-03-13T00:00:00+09",
        "2024-03-13T00:00:00+9:00", "2024-03-13T00:00:00.Z", "2024-03-13T00:00:00.1234567891Z",
        "1970-01-01T08:59:59+09:00", "+1710255600000", "1710255600000 ", "0x10", "１７１０"}) {
    EXPECT_FALSE(parse_time(t, ms)) << t;
  }
}

}  // namespace
}  // namespace fillwire::sim
