// upbit-sim over real loopback sockets: the server runs in this process on its own thread (port 0);
// the test talks to it with a Beast WebSocket client and plain HTTP, and checks what arrives with
// the project's Decoder.

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <map>
#include <set>
#include <thread>
#include <unordered_map>

#include "fillwire/clock.hpp"
#include "fillwire/decoder.hpp"
#include "jwt.hpp"
#include "server.hpp"
#include "server_thread.hpp"
#include "sim_client.hpp"
#include "tls_cert.hpp"
#include "wait.hpp"

namespace fillwire::sim {
namespace {

using nlohmann::json;
using test::Message;
using test::WsClient;
using test::WssClient;

constexpr const char* kAccess = "test-access";
constexpr const char* kSecret = "test-secret";
constexpr const char* kPrivate = "/websocket/v1/private";
constexpr const char* kSubscribeAll = R"([{"ticket":"t"},{"type":"myOrder"}])";

std::string bearer(HmacAlg alg = HmacAlg::sha256, std::string_view query = {},
                   std::string_view access = kAccess, std::string_view secret = kSecret) {
  static int n = 0;
  return "Bearer " +
         JwtVerifier::sign(access, secret,
                           "nonce-" + std::to_string(++n) + "-" + std::to_string(::getpid()), alg,
                           query);
}

ServerConfig base_config() {
  ServerConfig c;
  c.access_key = kAccess;
  c.secret_key = kSecret;
  c.rate = 0;  // as fast as the client reads
  c.total = 0;
  c.simulation.generator.seed = 5;
  return c;
}

// Decodes one frame; the decoder needs padding after the bytes.
struct Decoded {
  FrameResult result;
  std::vector<OrderEvent> events;
};
Decoded decode(Decoder& d, const std::string& frame) {
  struct Sink {
    std::vector<OrderEvent>* out;
    OrderEvent slot;
    OrderEvent& claim() noexcept { return slot; }
    void publish() noexcept { out->push_back(slot); }
  };
  Decoded r;
  std::string buf = frame;
  buf.resize(frame.size() + kFramePadding, '\0');
  Sink sink{&r.events, {}};
  r.result = d.decode(buf.data(), frame.size(), EventSink(sink));
  return r;
}

std::string error_name(const std::string& body) {
  return json::parse(body)["error"]["name"];
}

// ---------------------------------------------------------------------------------------------
// Handshake

TEST(SimHandshake, AcceptsHs256AndHs512OnBothPaths) {
  ServerThread sim(base_config());
  for (auto alg : {HmacAlg::sha256, HmacAlg::sha512}) {
    for (const char* path : {kPrivate, "/websocket/v1"}) {
      WsClient c(sim.port(), path, bearer(alg));
      EXPECT_TRUE(c.ok()) << path << " " << c.response().result_int();
      EXPECT_EQ(c.response().result_int(), 101u);
    }
  }
}

TEST(SimHandshake, RefusesBadTokensWithHttp401AndUpbitError) {
  ServerThread sim(base_config());
  struct Case {
    std::optional<std::string> auth;
    const char* name;
  };
  const Case cases[] = {
      {std::nullopt, "no_authorization_token"},
      {bearer(HmacAlg::sha256, {}, kAccess, "wrong-secret"), "jwt_verification"},
      {bearer(HmacAlg::sha512, {}, kAccess, "wrong-secret"), "jwt_verification"},
      {bearer(HmacAlg::sha256, {}, "someone-else", kSecret), "invalid_access_key"},
      {std::string("Bearer garbage"), "jwt_verification"},
  };
  for (const auto& c : cases) {
    WsClient client(sim.port(), kPrivate, c.auth);
    EXPECT_FALSE(client.ok());
    EXPECT_EQ(client.response().result_int(), 401u);
    EXPECT_EQ(error_name(client.response().body()), c.name);
  }
  EXPECT_EQ(sim->stats().auth_failures, std::size(cases));
}

TEST(SimHandshake, ErrorFrameModeUpgradesThenSendsInvalidAuth) {
  auto cfg = base_config();
  cfg.auth_error_frame = true;
  ServerThread sim(cfg);
  WsClient c(sim.port(), kPrivate, bearer(HmacAlg::sha256, {}, kAccess, "wrong"));
  ASSERT_TRUE(c.ok());
  const Message m = c.read();
  EXPECT_EQ(error_name(m.data), "INVALID_AUTH");
  test::beast::error_code ec;
  EXPECT_FALSE(c.try_read(ec).has_value());
  EXPECT_EQ(ec, test::websocket::error::closed);
}

TEST(SimHandshake, NonceReuseRejectedOnlyWhenAsked) {
  const std::string token = bearer();
  {
    ServerThread sim(base_config());
    EXPECT_TRUE(WsClient(sim.port(), kPrivate, token).ok());
    EXPECT_TRUE(WsClient(sim.port(), kPrivate, token).ok());  // reconnect with the same token
  }
  auto cfg = base_config();
  cfg.ws_nonce_check = true;
  ServerThread sim(cfg);
  EXPECT_TRUE(WsClient(sim.port(), kPrivate, token).ok());
  WsClient again(sim.port(), kPrivate, token);
  EXPECT_FALSE(again.ok());
  EXPECT_EQ(error_name(again.response().body()), "nonce_used");
}

// ---------------------------------------------------------------------------------------------
// Subscription

TEST(SimSubscribe, ErrorFramesCarryUpbitNames) {
  ServerThread sim(base_config());
  WsClient c(sim.port(), kPrivate, bearer());
  ASSERT_TRUE(c.ok());
  const std::pair<const char*, const char*> cases[] = {
      {R"([{"type":"myOrder"}])", "NO_TICKET"},
      {R"([{"ticket":"t"}])", "NO_TYPE"},
      {R"({"ticket":"t"})", "WRONG_FORMAT"},
      {R"([{"ticket":"t"},{"type":"myOrder","codes":["krw-btc"]}])", "INVALID_PARAM"},
      {R"([{"ticket":"t"},{"type":"myAsset","codes":["KRW-BTC"]}])", "WRONG_FORMAT"},
  };
  Decoder d;
  for (const auto& [request, name] : cases) {
    c.send(request);
    const Message m = c.read();
    EXPECT_EQ(error_name(m.data), name) << request;
    const Decoded r = decode(d, m.data);
    EXPECT_EQ(r.result.kind, FrameKind::error);
    EXPECT_EQ(r.result.server_error.name.view(), name);
  }
  // The sixth message within a second is over Upbit's 5/s limit.
  c.send(kSubscribeAll);
  c.send(kSubscribeAll);
  bool limited = false;
  for (int i = 0; i < 200 && !limited; ++i) {
    const Message m = c.read();
    limited = m.data.find("TOO_MANY_REQ") != std::string::npos;
  }
  EXPECT_TRUE(limited);
}

TEST(SimSubscribe, ListSubscriptions) {
  ServerThread sim(base_config());
  WsClient c(sim.port(), kPrivate, bearer());
  c.send(R"([{"method":"LIST_SUBSCRIPTIONS"},{"ticket":"x"}])");
  EXPECT_EQ(json::parse(c.read().data)["result"].size(), 0u);
  c.send(R"([{"ticket":"t"},{"type":"myOrder","codes":["KRW-BTC"]}])");
  c.send(R"([{"method":"LIST_SUBSCRIPTIONS"},{"ticket":"x"}])");
  for (int i = 0; i < 100000; ++i) {
    const Message m = c.read();
    if (m.data.find("LIST_SUBSCRIPTIONS") == std::string::npos) continue;
    const json j = json::parse(m.data);
    EXPECT_EQ(j["ticket"], "x");
    EXPECT_EQ(j["result"][0]["codes"][0], "KRW-BTC");
    return;
  }
  FAIL() << "no LIST_SUBSCRIPTIONS answer";
}

TEST(SimSubscribe, CodesFilterInSimpleFormatBinaryFrames) {
  ServerThread sim(base_config());
  WsClient c(sim.port(), kPrivate, bearer());
  c.send(
      R"([{"ticket":"t"},{"type":"myOrder","codes":["KRW-BTC","KRW-XRP"]},{"format":"SIMPLE"}])");
  Decoder d;
  std::set<std::string> codes;
  for (int i = 0; i < 2000; ++i) {
    const Message m = c.read();
    ASSERT_TRUE(m.binary);
    ASSERT_EQ(m.data.rfind(R"({"ty":"myOrder")", 0), 0u) << m.data;
    const Decoded r = decode(d, m.data);
    ASSERT_EQ(r.result.kind, FrameKind::order);
    ASSERT_TRUE(r.result.error.ok());
    ASSERT_EQ(r.events.size(), 1u);
    codes.insert(std::string(r.events[0].code.view()));
  }
  EXPECT_EQ(codes, (std::set<std::string>{"KRW-BTC", "KRW-XRP"}));
}

TEST(SimSubscribe, ManyClientsEachWithItsOwnFilter) {
  auto cfg = base_config();
  cfg.rate = 20000;
  ServerThread sim(cfg);
  WsClient all(sim.port(), kPrivate, bearer());
  WsClient btc(sim.port(), "/websocket/v1", bearer());
  WsClient eth(sim.port(), kPrivate, bearer());
  all.send(kSubscribeAll);
  btc.send(R"([{"ticket":"b"},{"type":"myOrder","codes":["KRW-BTC"]},{"format":"SIMPLE"}])");
  eth.send(R"([{"ticket":"e"},{"type":"myOrder","codes":["KRW-ETH"]}])");
  Decoder d;
  auto events_of = [&](WsClient& c, std::size_t n) {
    std::vector<OrderEvent> out;
    while (out.size() < n) {
      const Decoded r = decode(d, c.read().data);
      out.insert(out.end(), r.events.begin(), r.events.end());
    }
    return out;
  };
  const auto b = events_of(btc, 100);
  const auto e = events_of(eth, 100);
  const auto a = events_of(all, 1500);
  for (const auto& ev : b)
    ASSERT_EQ(ev.code.view(), "KRW-BTC");
  for (const auto& ev : e)
    ASSERT_EQ(ev.code.view(), "KRW-ETH");
  // The filtered streams are the full stream's events of that market, in the same order (the
  // three subscribed within moments of each other, so compare from the first common event).
  std::vector<OrderEvent> a_btc;
  for (const auto& ev : a) {
    if (ev.code.view() == "KRW-BTC") a_btc.push_back(ev);
  }
  auto same = [](const OrderEvent& x, const OrderEvent& y) {
    return x.uuid == y.uuid && x.state == y.state && x.trades_count == y.trades_count &&
           x.timestamp == y.timestamp;
  };
  auto from = [&](const std::vector<OrderEvent>& x, const std::vector<OrderEvent>& y) {
    // Where y's first event is in x, or x.end().
    return std::find_if(x.begin(), x.end(),
                        [&](const OrderEvent& ev) { return same(ev, y.front()); });
  };
  auto compare = [&](const std::vector<OrderEvent>& longer,
                     const std::vector<OrderEvent>& shorter) {
    const auto at = from(longer, shorter);
    if (at == longer.end()) return false;
    std::size_t matched = 0;
    for (auto i = at, j = shorter.begin(); i != longer.end() && j != shorter.end();
         ++i, ++j, ++matched) {
      EXPECT_TRUE(same(*i, *j));
    }
    return matched >= 50;
  };
  EXPECT_TRUE(compare(a_btc, b) || compare(b, a_btc));
}

// ---------------------------------------------------------------------------------------------
// myAsset: formats, subscriptions, external movements, REST accounts (PROTOCOL.md §3, §7, §8)

// The event objects of a frame: the frame itself, or a list frame's elements.
std::vector<json> objects_of(const std::string& frame) {
  json j = json::parse(frame);
  if (!j.is_array()) return {std::move(j)};
  return std::vector<json>(j.begin(), j.end());
}

std::set<std::string> keys_of(const json& object) {
  std::set<std::string> out;
  for (const auto& [k, v] : object.items())
    out.insert(k);
  return out;
}

// A myAsset object with exactly PROTOCOL.md §8's fields, in DEFAULT or SIMPLE names.
::testing::AssertionResult is_asset_object(const json& o, bool simple) {
  const std::set<std::string> frame =
      simple ? std::set<std::string>{"ty", "astuid", "ast", "asttms", "tms", "st"}
             : std::set<std::string>{"type",      "asset_uuid", "assets", "asset_timestamp",
                                     "timestamp", "stream_type"};
  const std::set<std::string> item = simple
                                         ? std::set<std::string>{"cu", "b", "l"}
                                         : std::set<std::string>{"currency", "balance", "locked"};
  if (keys_of(o) != frame) return ::testing::AssertionFailure() << "frame fields: " << o;
  const json& assets = o[simple ? "ast" : "assets"];
  if (!assets.is_array() || assets.empty() || assets.size() > 2)
    return ::testing::AssertionFailure() << "assets: " << o;
  for (const auto& a : assets) {
    if (keys_of(a) != item) return ::testing::AssertionFailure() << "asset fields: " << a;
    if (!a[simple ? "cu" : "currency"].is_string() || !a[simple ? "b" : "balance"].is_number() ||
        !a[simple ? "l" : "locked"].is_number())
      return ::testing::AssertionFailure() << "asset types: " << a;
  }
  if (o[simple ? "ty" : "type"] != "myAsset" || o[simple ? "st" : "stream_type"] != "REALTIME" ||
      o[simple ? "astuid" : "asset_uuid"].get<std::string>().size() != 36 ||
      !o[simple ? "asttms" : "asset_timestamp"].is_number_integer() ||
      o[simple ? "asttms" : "asset_timestamp"] != o[simple ? "tms" : "timestamp"])
    return ::testing::AssertionFailure() << "frame values: " << o;
  return ::testing::AssertionSuccess();
}

// What the myAsset frames received so far show: per asset_uuid its currencies, and per currency
// the latest balance and locked amount (DEFAULT names).
struct AssetFrames {
  struct Shown {
    double balance = 0;
    double locked = 0;
  };
  std::map<std::string, std::map<std::string, Shown>> by_uuid;
  std::map<std::string, Shown> latest;
  std::vector<std::string> order;  // asset_uuids as they came

  // Takes every myAsset object of a frame; false if it held none.
  bool take(const std::string& frame) {
    bool any = false;
    for (const json& o : objects_of(frame)) {
      if (o["type"] != "myAsset") continue;
      any = true;
      const std::string uuid = o["asset_uuid"];
      order.push_back(uuid);
      for (const auto& a : o["assets"]) {
        const Shown s{a["balance"].get<double>(), a["locked"].get<double>()};
        by_uuid[uuid][a["currency"]] = s;
        latest[a["currency"]] = s;
      }
    }
    return any;
  }
  // Reads `c` until a frame with `uuid` came (each read bounded by the client's timeout).
  void read_until(WsClient& c, const std::string& uuid) {
    while (by_uuid.find(uuid) == by_uuid.end())
      take(c.read().data);
  }
};

// A decimal string as the double nearest to it: equal decimals give equal doubles.
double number(const json& decimal_string) {
  return std::stod(decimal_string.get<std::string>());
}

TEST(SimAssets, EveryFormatCarriesMyAssetWithProtocolNamesOneTypePerFrame) {
  for (const std::string format : {"DEFAULT", "SIMPLE", "JSON_LIST", "SIMPLE_LIST"}) {
    SCOPED_TRACE(format);
    const bool simple = format.find("SIMPLE") != std::string::npos;
    const bool list = format.find("LIST") != std::string::npos;
    auto cfg = base_config();
    cfg.simulation.moves.prob = 0.05;
    ServerThread sim(cfg);
    WsClient c(sim.port(), kPrivate, bearer());
    c.send(R"([{"ticket":"t"},{"type":"myOrder"},{"type":"myAsset"},{"format":")" + format +
           R"("}])");
    std::size_t assets = 0;
    std::size_t orders = 0;
    std::size_t one_currency = 0;
    std::size_t asset_lists = 0;  // list frames with more than one myAsset event
    while (assets < 3000) {
      const Message m = c.read();
      ASSERT_TRUE(m.binary);
      ASSERT_EQ(m.data.front() == '[', list) << m.data;
      const auto objects = objects_of(m.data);
      ASSERT_FALSE(objects.empty());
      const json type = objects.front()[simple ? "ty" : "type"];
      for (const auto& o : objects) {
        ASSERT_EQ(o[simple ? "ty" : "type"], type) << "a list frame mixes types: " << m.data;
        if (type == "myAsset") {
          ASSERT_TRUE(is_asset_object(o, simple));
          ++assets;
          one_currency += o[simple ? "ast" : "assets"].size() == 1 ? 1u : 0u;
        } else {
          ASSERT_EQ(type, "myOrder");
          ASSERT_TRUE(o.contains(simple ? "cd" : "code")) << o;
          ++orders;
        }
      }
      if (type == "myAsset" && objects.size() > 1) ++asset_lists;
    }
    EXPECT_GT(orders, 0u);
    EXPECT_GT(one_currency, 0u);
    if (list) {
      EXPECT_GT(asset_lists, 0u);
    }
  }
}

TEST(SimAssets, OnlyTheSubscribedTypesArrive) {
  auto cfg = base_config();
  cfg.simulation.moves.prob = 0.05;
  ServerThread sim(cfg);
  WsClient orders(sim.port(), kPrivate, bearer());
  WsClient assets(sim.port(), kPrivate, bearer());
  orders.send(kSubscribeAll);
  assets.send(R"([{"ticket":"a"},{"type":"myAsset"}])");
  for (int i = 0; i < 2000; ++i) {
    const json o = json::parse(orders.read().data);
    ASSERT_EQ(o["type"], "myOrder") << o;
    const json a = json::parse(assets.read().data);
    ASSERT_EQ(a["type"], "myAsset") << a;
  }
  EXPECT_GT(sim->stats().external_moves, 0u);
}

// `codes` with myAsset is WRONG_FORMAT even beside a good myOrder, and subscribes to nothing.
TEST(SimAssets, CodesWithMyAssetRefuseTheWholeRequest) {
  auto cfg = base_config();
  cfg.rate = 2000;
  cfg.start_on_subscribe = false;  // events flow whether or not this client subscribes
  ServerThread sim(cfg);
  WsClient c(sim.port(), kPrivate, bearer(), nullptr, std::chrono::milliseconds(300));
  for (const char* request :
       {R"([{"ticket":"t"},{"type":"myOrder"},{"type":"myAsset","codes":["KRW-BTC"]}])",
        R"([{"ticket":"t"},{"type":"myAsset","codes":[]},{"type":"myOrder"}])"}) {
    c.send(request);
    EXPECT_EQ(error_name(c.read().data), "WRONG_FORMAT") << request;
  }
  ASSERT_TRUE(test::wait_until([&] { return sim->stats().events_generated >= 200; },
                               std::chrono::seconds(10)));
  test::beast::error_code ec;
  const auto more = c.try_read(ec);
  EXPECT_FALSE(more.has_value()) << more->data;
  // The same request without codes on myAsset subscribes to both.
  WsClient ok(sim.port(), kPrivate, bearer());
  ok.send(R"([{"ticket":"t"},{"type":"myOrder"},{"type":"myAsset"}])");
  std::set<std::string> types;
  for (int i = 0; i < 200; ++i)
    types.insert(json::parse(ok.read().data)["type"].get<std::string>());
  EXPECT_EQ(types, (std::set<std::string>{"myOrder", "myAsset"}));
}

// Every deposit and withdrawal is a myAsset frame of its currency alone, listed in the truth with
// that frame's asset_uuid; the frame shows the balance moved by exactly the amount; at the end the
// last frame of each currency shows the truth's balances.
TEST(SimAssets, ExternalMovesAreOneCurrencyFramesListedInTheTruth) {
  auto cfg = base_config();
  cfg.total = 4000;
  cfg.simulation.moves.prob = 0.05;
  ServerThread sim(cfg);
  WsClient c(sim.port(), kPrivate, bearer());
  c.send(R"([{"ticket":"a"},{"type":"myAsset"}])");
  AssetFrames seen;
  ASSERT_TRUE(test::wait_until(
      [&] {
        (void)seen.take(c.read().data);
        return sim->stats().events_generated >= cfg.total;
      },
      std::chrono::seconds(60), std::chrono::milliseconds(0)));
  const json truth = json::parse(sim->truth_json(false));
  const json& moves = truth["external_moves"];
  ASSERT_GT(moves.size(), 20u);
  EXPECT_EQ(truth["external_moves_total"], moves.size());
  EXPECT_EQ(sim->stats().external_moves, moves.size());
  std::set<std::string> kinds;
  for (const auto& a : truth["accounts"])
    seen.read_until(c, a["asset_uuid"]);
  for (const auto& m : moves)
    seen.read_until(c, m["asset_uuid"]);
  for (const auto& m : moves) {
    SCOPED_TRACE(m.dump());
    const std::string uuid = m["asset_uuid"];
    const auto& shown = seen.by_uuid.at(uuid);
    ASSERT_EQ(shown.size(), 1u);
    const std::string currency = m["currency"];
    ASSERT_EQ(shown.begin()->first, currency);
    kinds.insert(m["kind"].get<std::string>());
    // The frame of this currency before the movement's.
    const auto at = std::find(seen.order.begin(), seen.order.end(), uuid);
    ASSERT_NE(at, seen.order.end());
    auto before = std::make_reverse_iterator(at);
    while (before != seen.order.rend() && !seen.by_uuid.at(*before).contains(currency))
      ++before;
    if (before == seen.order.rend()) continue;  // the currency's first frame
    const auto& prev = seen.by_uuid.at(*before).at(currency);
    const auto& now = shown.at(currency);
    EXPECT_EQ(now.locked, prev.locked);
    EXPECT_NEAR(now.balance - prev.balance, number(m["amount"]),
                1e-8 + 1e-15 * std::abs(now.balance));
  }
  EXPECT_EQ(kinds, (std::set<std::string>{"deposit", "withdrawal"}));
  for (const auto& a : truth["accounts"]) {
    SCOPED_TRACE(a.dump());
    const auto& last = seen.latest.at(a["currency"]);
    EXPECT_EQ(last.balance, number(a["balance"]));
    EXPECT_EQ(last.locked, number(a["locked"]));
  }
}

// During a run with movements, GET /v1/accounts equals the truth and the balances the last
// myAsset frames showed, currency by currency.
TEST(SimAssets, RestAccountsAgreeWithTheTruthAndTheFramesDuringARun) {
  auto cfg = base_config();
  cfg.rate = 400;
  cfg.burst = 100;  // quiet spells of 250 ms between bursts, in which the three answers fall
  cfg.simulation.moves.prob = 0.1;
  cfg.rest.rate_limit = false;
  ServerThread sim(cfg);
  WsClient c(sim.port(), kPrivate, bearer());
  c.send(R"([{"ticket":"a"},{"type":"myOrder"},{"type":"myAsset"}])");
  AssetFrames seen;
  std::size_t compared = 0;
  std::size_t moved = 0;
  for (int round = 0; round < 6; ++round) {
    for (int i = 0; i < 150; ++i)
      (void)seen.take(c.read().data);
    // The accounts, the truth, the accounts again: when both answers agree, nothing happened in
    // between and the truth is of the same moment.
    json accounts;
    json truth;
    for (int attempt = 0; attempt < 50; ++attempt) {
      const auto a1 = test::http_get(sim.port(), "/v1/accounts", bearer());
      const auto t = test::http_get(sim.port(), "/sim/truth?orders=false",
                                    bearer(HmacAlg::sha256, "orders=false"));
      const auto a2 = test::http_get(sim.port(), "/v1/accounts", bearer());
      ASSERT_EQ(a1.result_int(), 200u) << a1.body();
      ASSERT_EQ(t.result_int(), 200u) << t.body();
      if (a1.body() == a2.body()) {
        accounts = json::parse(a1.body());
        truth = json::parse(t.body());
        break;
      }
    }
    ASSERT_FALSE(accounts.is_null()) << "the accounts never held still";
    ASSERT_EQ(accounts.size(), truth["accounts"].size());
    moved = truth["external_moves_total"].get<std::size_t>();
    for (std::size_t i = 0; i < accounts.size(); ++i) {
      const json& rest = accounts[i];
      const json& t = truth["accounts"][i];
      SCOPED_TRACE(rest.dump() + " truth " + t.dump());
      EXPECT_EQ(keys_of(rest),
                (std::set<std::string>{"currency", "balance", "locked", "avg_buy_price",
                                       "avg_buy_price_modified", "unit_currency"}));
      for (const char* k : {"balance", "locked", "avg_buy_price", "unit_currency"})
        EXPECT_TRUE(rest[k].is_string()) << k;
      EXPECT_EQ(rest["currency"], t["currency"]);
      EXPECT_EQ(rest["balance"], t["balance"]);
      EXPECT_EQ(rest["locked"], t["locked"]);
      if (t["asset_uuid"].is_null()) continue;
      seen.read_until(c, t["asset_uuid"]);
      const auto& shown = seen.by_uuid.at(t["asset_uuid"]).at(t["currency"]);
      EXPECT_EQ(shown.balance, number(rest["balance"]));
      EXPECT_EQ(shown.locked, number(rest["locked"]));
      ++compared;
    }
  }
  EXPECT_GT(compared, 20u);
  EXPECT_GT(moved, 0u);
}

TEST(SimSubscribe, ListFormatsCarrySeveralEventsPerFrame) {
  for (const char* format : {"JSON_LIST", "SIMPLE_LIST"}) {
    ServerThread sim(base_config());
    WsClient c(sim.port(), kPrivate, bearer());
    c.send(std::string(R"([{"ticket":"t"},{"type":"myOrder"},{"format":")") + format + R"("}])");
    Decoder d;
    std::size_t events = 0;
    std::size_t frames = 0;
    std::size_t multi = 0;
    while (events < 5000) {
      const Message m = c.read();
      ASSERT_EQ(m.data.front(), '[');
      const Decoded r = decode(d, m.data);
      ASSERT_TRUE(r.result.error.ok()) << format << ": " << to_string(r.result.error.code);
      ASSERT_EQ(r.result.kind, FrameKind::order) << format;
      ASSERT_EQ(r.result.rejected, 0u);
      events += r.events.size();
      multi += r.events.size() > 1 ? 1u : 0u;
      ++frames;
    }
    EXPECT_GT(multi, 0u) << format;
    EXPECT_LT(frames, events) << format;
  }
}

// ---------------------------------------------------------------------------------------------
// Keep-alive

TEST(SimKeepAlive, PingTextGetsStatusAndPingFrameGetsPong) {
  auto cfg = base_config();
  cfg.status_interval_s = 0.2;
  ServerThread sim(cfg);
  WsClient c(sim.port(), kPrivate, bearer());
  c.send("PING");
  Decoder d;
  const Message m = c.read();
  EXPECT_EQ(m.data, R"({"status":"UP"})");
  EXPECT_EQ(decode(d, m.data).result.kind, FrameKind::status);
  // Then every status interval while connected, unasked.
  EXPECT_EQ(c.read().data, R"({"status":"UP"})");
  c.ping("hello");
  // The pong arrives while the next message is read.
  const Message again = c.read();
  EXPECT_EQ(again.data, R"({"status":"UP"})");
  ASSERT_TRUE(c.last_pong().has_value());
  EXPECT_EQ(*c.last_pong(), "hello");
}

TEST(SimKeepAlive, IdleConnectionIsClosedAndCounted) {
  auto cfg = base_config();
  cfg.idle_timeout_s = 0.3;
  ServerThread sim(cfg);
  WsClient c(sim.port(), kPrivate, bearer());
  const auto start = std::chrono::steady_clock::now();
  test::beast::error_code ec;
  EXPECT_FALSE(c.try_read(ec).has_value());
  EXPECT_EQ(ec, test::websocket::error::closed);
  const auto waited = std::chrono::steady_clock::now() - start;
  EXPECT_GE(waited, std::chrono::milliseconds(250));
  EXPECT_LT(waited, std::chrono::seconds(3));
  // Counted as what it was: an idle close, not a slow consumer or a stalled write.
  EXPECT_TRUE(
      test::wait_until([&] { return sim->stats().idle_closes == 1; }, std::chrono::seconds(2)));
  EXPECT_EQ(sim->stats().slow_consumer_disconnects, 0u);
  EXPECT_EQ(sim->stats().write_timeouts, 0u);
}

// ---------------------------------------------------------------------------------------------
// Determinism, consistency, truth

struct Received {
  std::vector<OrderEvent> events;
  std::vector<std::string> frames;
};

Received receive_all(std::uint16_t port, std::size_t total) {
  WsClient c(port, kPrivate, bearer());
  c.send(kSubscribeAll);
  Decoder d;
  Received r;
  while (r.events.size() < total) {
    const Message m = c.read();
    const Decoded dec = decode(d, m.data);
    if (dec.result.kind != FrameKind::order) continue;
    EXPECT_TRUE(dec.result.error.ok());
    r.events.insert(r.events.end(), dec.events.begin(), dec.events.end());
    r.frames.push_back(m.data);
  }
  return r;
}

TEST(SimStream, SameSeedSameDigestAndTheBytesOfTheSeededFlow) {
  auto cfg = base_config();
  cfg.wall_clock = false;  // byte for byte: the simulated clock
  cfg.total = 3000;
  cfg.simulation.generator.seed = 99;
  std::string digests[3];
  for (int run = 0; run < 3; ++run) {
    if (run == 2) cfg.simulation.generator.seed = 100;
    ServerThread sim(cfg);
    const Received r = receive_all(sim.port(), cfg.total);
    const json truth = json::parse(sim->truth_json(false));
    EXPECT_EQ(truth["events"], cfg.total);
    digests[run] = truth["digest"];
    // The client received exactly the seeded flow, byte for byte, and nothing else.
    Simulation local(cfg.simulation);
    ASSERT_EQ(r.frames.size(), cfg.total);
    for (const auto& frame : r.frames)
      ASSERT_EQ(frame, encode(local.next().event));
    EXPECT_EQ(truth["digest"], json::parse(local.truth_json(false))["digest"]);
  }
  EXPECT_EQ(digests[0], digests[1]);
  EXPECT_NE(digests[0], digests[2]);
}

TEST(SimStream, EveryOrdersEventsAreConsistentAndSumToTheTruth) {
  auto cfg = base_config();
  cfg.total = 20000;
  ServerThread sim(cfg);
  const Received r = receive_all(sim.port(), cfg.total);
  ASSERT_EQ(r.events.size(), cfg.total);

  struct Last {
    OrderEvent e;
    bool terminal = false;
  };
  std::unordered_map<std::string, Last> orders;
  std::map<std::string, double> position;
  std::map<std::string, double> fees;
  std::size_t trades = 0;
  std::size_t maker = 0;
  for (const auto& e : r.events) {
    auto [it, first] = orders.try_emplace(e.uuid.to_string());
    Last& last = it->second;
    ASSERT_FALSE(last.terminal) << "event after the final state of " << it->first;
    if (!first) {
      EXPECT_GE(e.executed_volume, last.e.executed_volume);
      EXPECT_GE(e.executed_funds, last.e.executed_funds);
      EXPECT_GE(e.paid_fee, last.e.paid_fee);
      EXPECT_GE(e.trades_count, last.e.trades_count);
      EXPECT_GE(e.timestamp, last.e.timestamp);
    }
    if (e.state == OrderState::trade) {
      ++trades;
      maker += e.is_maker != 0 ? 1u : 0u;
      const std::string code(e.code.view());
      position[code] += e.ask_bid == Side::bid ? e.volume : -e.volume;
      fees[code] += e.trade_fee;
      const double before = first ? 0.0 : last.e.executed_volume;
      EXPECT_NEAR(e.executed_volume - before, e.volume, 1e-9 * std::max(1.0, e.volume));
    }
    last.e = e;
    last.terminal = is_terminal(e.state);
  }
  const json truth = json::parse(sim->truth_json(true));
  EXPECT_EQ(truth["trades"], trades);
  EXPECT_EQ(truth["maker_trades"], maker);
  EXPECT_EQ(truth["orders"].size(), orders.size());
  for (const auto& m : truth["markets"]) {
    const std::string code = m["market"];
    EXPECT_NEAR(std::stod(m["position"].get<std::string>()), position[code], 1e-6) << code;
    EXPECT_NEAR(std::stod(m["fees"].get<std::string>()), fees[code], 1e-4) << code;
  }
  // Each order's last event agrees with the order's final record.
  for (const auto& o : truth["orders"]) {
    const Last& last = orders.at(o["uuid"].get<std::string>());
    EXPECT_EQ(o["state"],
              last.e.state == OrderState::trade ? "wait" : std::string(to_string(last.e.state)));
    EXPECT_EQ(o["trades_count"], last.e.trades_count);
    EXPECT_DOUBLE_EQ(std::stod(o["executed_volume"].get<std::string>()), last.e.executed_volume);
  }
}

TEST(SimStream, RateIsPaced) {
  auto cfg = base_config();
  cfg.rate = 2000;
  ServerThread sim(cfg);
  WsClient c(sim.port(), kPrivate, bearer());
  c.send(kSubscribeAll);
  c.read();
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < 999; ++i)
    c.read();
  const auto took = std::chrono::steady_clock::now() - start;
  // 1,000 events at 2,000/s cannot arrive in much less than half a second.
  EXPECT_GE(took, std::chrono::milliseconds(400));
  EXPECT_LT(took, std::chrono::seconds(5));
}

TEST(SimStream, BurstsArriveTogether) {
  auto cfg = base_config();
  cfg.rate = 1000;
  cfg.burst = 100;  // 100 events every 100 ms
  ServerThread sim(cfg);
  WsClient c(sim.port(), kPrivate, bearer());
  c.send(kSubscribeAll);
  c.read();
  auto last = std::chrono::steady_clock::now();
  std::size_t gaps = 0;
  for (int i = 1; i < 400; ++i) {
    c.read();
    const auto now = std::chrono::steady_clock::now();
    if (now - last > std::chrono::milliseconds(40)) ++gaps;
    last = now;
  }
  // About one pause per burst (three or four in 400 events), not one per event.
  EXPECT_GE(gaps, 2u);
  EXPECT_LE(gaps, 8u);
}

TEST(SimStream, WallClockStampsEventsWithTheRealTime) {
  auto cfg = base_config();
  cfg.wall_clock = true;
  ServerThread sim(cfg);
  WsClient c(sim.port(), kPrivate, bearer());
  c.send(kSubscribeAll);
  Decoder d;
  const auto now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  const Decoded r = decode(d, c.read().data);
  ASSERT_EQ(r.events.size(), 1u);
  EXPECT_NEAR(static_cast<double>(r.events[0].timestamp), static_cast<double>(now_ms), 5000.0);
}

// Send stamps (measurement option): entry k is the k-th event received, stamped before it
// arrived, in order; events past the capacity are not stamped; the bytes sent do not change.
TEST(SimStream, SendStampsFollowTheEventsAndChangeNothingSent) {
  constexpr std::size_t kEvents = 300;
  constexpr std::size_t kCapacity = 200;
  const auto receive = [](SendStamps* stamps, std::vector<std::uint64_t>* arrived) {
    auto cfg = base_config();
    cfg.wall_clock = false;  // byte for byte: the simulated clock
    cfg.total = kEvents;
    cfg.send_stamps = stamps;
    ServerThread sim(cfg);
    WsClient c(sim.port(), kPrivate, bearer());
    c.send(kSubscribeAll);
    std::vector<std::string> frames;
    for (std::size_t i = 0; i < kEvents; ++i) {
      frames.push_back(c.read().data);
      if (arrived != nullptr) arrived->push_back(now_ticks());
    }
    return frames;
  };
  SendStamps stamps(kCapacity);
  std::vector<std::uint64_t> arrived;
  const std::vector<std::string> stamped_run = receive(&stamps, &arrived);
  EXPECT_EQ(receive(nullptr, nullptr), stamped_run) << "stamping must not change the stream";

  ASSERT_EQ(stamps.stamped(), kCapacity);
  Decoder d;
  std::uint64_t previous = 0;
  for (std::size_t k = 0; k < kCapacity; ++k) {
    const Decoded r = decode(d, stamped_run[k]);
    ASSERT_EQ(r.events.size(), 1u) << k;
    EXPECT_EQ(stamps[k].uuid, r.events[0].uuid) << "entry " << k << " is not the k-th event";
    EXPECT_NE(stamps[k].ticks, 0u) << k;
    EXPECT_LE(stamps[k].ticks, arrived[k]) << "event " << k << " arrived before it was sent";
    EXPECT_GE(stamps[k].ticks, previous) << k;
    previous = stamps[k].ticks;
  }
}

// ---------------------------------------------------------------------------------------------
// REST

TEST(SimRest, QueryHashAndNonceChecks) {
  auto cfg = base_config();
  cfg.rate = 5000;
  cfg.start_on_subscribe = false;
  ServerThread sim(cfg);
  // Orders to ask about (the flow runs without subscribers).
  ASSERT_TRUE(test::wait_until([&] { return sim->stats().events_generated >= 1500; },
                               std::chrono::seconds(10)));

  const std::string q = "states[]=wait&states[]=watch&limit=100";
  auto res = test::http_get(sim.port(), "/v1/orders/open?" + q, bearer(HmacAlg::sha256, q));
  ASSERT_EQ(res.result_int(), 200u) << res.body();
  EXPECT_FALSE(res["Remaining-Req"].empty());
  const json open = json::parse(res.body());
  ASSERT_TRUE(open.is_array());
  ASSERT_FALSE(open.empty());
  const std::string uuid = open[0]["uuid"];

  const std::string q1 = "uuid=" + uuid;
  res = test::http_get(sim.port(), "/v1/order?" + q1, bearer(HmacAlg::sha512, q1));
  ASSERT_EQ(res.result_int(), 200u) << res.body();
  EXPECT_EQ(json::parse(res.body())["uuid"], uuid);

  // Hash of a different query.
  res = test::http_get(sim.port(), "/v1/order?" + q1, bearer(HmacAlg::sha256, "uuid=x"));
  EXPECT_EQ(res.result_int(), 401u);
  EXPECT_EQ(error_name(res.body()), "invalid_query_payload");

  // The same token twice: the nonce is spent.
  const std::string token = bearer(HmacAlg::sha256, q1);
  EXPECT_EQ(test::http_get(sim.port(), "/v1/order?" + q1, token).result_int(), 200u);
  res = test::http_get(sim.port(), "/v1/order?" + q1, token);
  EXPECT_EQ(res.result_int(), 401u);
  EXPECT_EQ(error_name(res.body()), "nonce_used");

  res = test::http_get(sim.port(), "/v1/accounts", bearer());
  ASSERT_EQ(res.result_int(), 200u);
  EXPECT_EQ(json::parse(res.body())[0]["currency"], "KRW");
  res = test::http_get(sim.port(), "/sim/truth?orders=false",
                       bearer(HmacAlg::sha256, "orders=false"));
  ASSERT_EQ(res.result_int(), 200u);
  EXPECT_GT(json::parse(res.body())["events"].get<std::uint64_t>(), 0u);
}

TEST(SimRest, MarketListOverHttpWithoutAToken) {
  ServerThread sim(base_config());
  auto res = test::http_get(sim.port(), "/v1/market/all");
  ASSERT_EQ(res.result_int(), 200u) << res.body();
  EXPECT_EQ(std::string(res["Remaining-Req"]).rfind("group=market; ", 0), 0u);
  const json list = json::parse(res.body());
  ASSERT_TRUE(list.is_array());
  std::set<std::string> markets;
  for (const json& m : list) {
    markets.insert(m["market"].get<std::string>());
    EXPECT_TRUE(m["korean_name"].is_string());
    EXPECT_TRUE(m["english_name"].is_string());
    EXPECT_FALSE(m.contains("market_event"));
  }
  EXPECT_EQ(markets, (std::set<std::string>{"KRW-BTC", "KRW-ETH", "KRW-SOL", "KRW-LINK", "KRW-XRP",
                                            "KRW-SEI"}));
  // With details, and with a token a public endpoint does not look at.
  res = test::http_get(sim.port(), "/v1/market/all?is_details=true", "Bearer not-a-jwt");
  ASSERT_EQ(res.result_int(), 200u) << res.body();
  EXPECT_EQ(json::parse(res.body())[0]["market_event"]["warning"], false);
  EXPECT_EQ(sim->stats().rest_rate_limited, 0u);
}

TEST(SimRest, RepeatedTooManyRequestsEndInABanWithRetryAfter) {
  auto cfg = base_config();
  cfg.rest.per_second = 3;
  cfg.rest.ban_after = 3;
  cfg.rest.ban_ms = 1'000;
  ServerThread sim(cfg);
  std::vector<unsigned> statuses;
  test::http::response<test::http::string_body> banned;
  while (statuses.size() < 20) {
    auto r = test::http_get(sim.port(), "/v1/accounts", bearer());
    statuses.push_back(r.result_int());
    if (r.result_int() == 418) {
      banned = std::move(r);
      break;
    }
  }
  ASSERT_EQ(banned.result_int(), 418u) << ::testing::PrintToString(statuses);
  // Three answered, three refused with 429 (all within a second on loopback), then the ban.
  EXPECT_EQ(statuses, (std::vector<unsigned>{200, 200, 200, 429, 429, 429, 418}));
  EXPECT_EQ(banned[test::http::field::retry_after], "1");
  EXPECT_EQ(error_name(banned.body()), "too_many_requests");
  // Every /v1 request meanwhile, the public one too; the truth (outside /v1) stays open.
  EXPECT_EQ(test::http_get(sim.port(), "/v1/market/all").result_int(), 418u);
  EXPECT_EQ(
      test::http_get(sim.port(), "/sim/truth?orders=false", bearer(HmacAlg::sha256, "orders=false"))
          .result_int(),
      200u);
  const ServerStats s = sim->stats();
  EXPECT_EQ(s.rest_rate_limited, 3u);
  EXPECT_EQ(s.rest_banned, 2u);
  // Over after Retry-After (the scenario: the ban's second passes).
  std::this_thread::sleep_for(std::chrono::milliseconds(1'050));
  EXPECT_EQ(test::http_get(sim.port(), "/v1/accounts", bearer()).result_int(), 200u);
}

// ---------------------------------------------------------------------------------------------
// Faults

TEST(SimFaults, DisconnectAfterNEventsAndNoReplay) {
  auto cfg = base_config();
  cfg.faults.disconnect_after = 150;
  ServerThread sim(cfg);
  Decoder d;
  std::set<std::string> seen;
  for (int conn = 0; conn < 2; ++conn) {
    WsClient c(sim.port(), kPrivate, bearer());
    c.send(kSubscribeAll);
    std::size_t events = 0;
    test::beast::error_code ec;
    while (auto m = c.try_read(ec)) {
      const Decoded r = decode(d, m->data);
      for (const auto& e : r.events) {
        // Nothing is replayed: the second connection starts with new events.
        EXPECT_TRUE(seen.insert(e.uuid.to_string() + std::to_string(e.timestamp) +
                                std::string(to_string(e.state)) + std::to_string(e.trades_count))
                        .second);
      }
      events += r.events.size();
    }
    EXPECT_EQ(events, 150u);
    EXPECT_NE(ec, test::beast::error_code{});
  }
  EXPECT_EQ(sim->stats().fault_disconnects, 2u);
}

TEST(SimFaults, RefusedHandshakesThenAccepted) {
  auto cfg = base_config();
  cfg.faults.refuse_handshakes = 2;
  ServerThread sim(cfg);
  for (int i = 0; i < 2; ++i) {
    WsClient c(sim.port(), kPrivate, bearer());
    EXPECT_FALSE(c.ok());
    EXPECT_EQ(c.response().result_int(), 429u);
  }
  EXPECT_TRUE(WsClient(sim.port(), kPrivate, bearer()).ok());
}

TEST(SimFaults, DuplicatesReorderAndMalformedFramesAreReproducible) {
  auto cfg = base_config();
  cfg.wall_clock = false;  // byte for byte: the simulated clock
  cfg.total = 4000;
  cfg.faults.duplicate_prob = 0.05;
  cfg.faults.reorder_window = 4;
  cfg.faults.malformed_prob = 0.02;
  std::vector<std::string> runs[2];
  for (auto& frames : runs) {
    ServerThread sim(cfg);
    WsClient c(sim.port(), kPrivate, bearer());
    c.send(kSubscribeAll);
    Decoder d;
    std::size_t bad = 0;
    std::size_t events = 0;
    std::set<std::string> unique;
    while (unique.size() < cfg.total) {
      const Message m = c.read();
      frames.push_back(m.data);
      const Decoded r = decode(d, m.data);
      if (!r.result.error.ok()) {
        ++bad;
        continue;
      }
      unique.insert(m.data);
      events += r.events.size();
    }
    const auto stats = sim->stats();
    EXPECT_GT(stats.duplicates, 0u);
    EXPECT_GT(stats.malformed, 0u);
    EXPECT_EQ(bad, stats.malformed);
    EXPECT_EQ(events, cfg.total + stats.duplicates);
    const json truth = json::parse(sim->truth_json(false));
    EXPECT_EQ(truth["events"], cfg.total);
  }
  EXPECT_EQ(runs[0], runs[1]);
}

// myAsset frames draw the same faults as myOrder frames: duplicates, reordering, garbled frames.
TEST(SimFaults, AssetFramesAreDuplicatedReorderedAndGarbledToo) {
  auto cfg = base_config();
  cfg.faults.duplicate_prob = 0.05;
  cfg.faults.reorder_window = 4;
  cfg.faults.malformed_prob = 0.02;
  ServerThread sim(cfg);
  WsClient c(sim.port(), kPrivate, bearer());
  c.send(R"([{"ticket":"a"},{"type":"myAsset"}])");
  std::set<std::string> uuids;
  std::size_t bad = 0;
  std::size_t repeated = 0;
  std::size_t backwards = 0;
  std::int64_t latest = 0;
  for (int i = 0; i < 4000; ++i) {
    const json j = json::parse(c.read().data, nullptr, false);
    if (j.is_discarded()) {
      ++bad;
      continue;
    }
    ASSERT_EQ(j["type"], "myAsset");
    if (!uuids.insert(j["asset_uuid"].get<std::string>()).second) ++repeated;
    const std::int64_t t = j["asset_timestamp"];
    if (t < latest) ++backwards;
    latest = std::max(latest, t);
  }
  EXPECT_GT(bad, 0u);
  EXPECT_GT(repeated, 0u);
  EXPECT_GT(backwards, 0u);
}

// The base configuration, its event flow stalling after `events` events.
ServerConfig stalling_after(std::uint64_t events) {
  ServerConfig cfg = base_config();
  cfg.faults.stall_after = events;
  return cfg;
}

// Subscribes `c` to every market and reads `events` messages.
void subscribe_and_read(WsClient& c, int events) {
  c.send(kSubscribeAll);
  for (int i = 0; i < events; ++i)
    c.read();
}

TEST(SimFaults, StallGoesSilent) {
  ServerThread sim(stalling_after(50));
  WsClient c(sim.port(), kPrivate, bearer(), nullptr, std::chrono::milliseconds(500));
  subscribe_and_read(c, 50);
  c.send("PING");
  test::beast::error_code ec;
  EXPECT_FALSE(c.try_read(ec).has_value());  // no status, no events: the read times out
  EXPECT_NE(ec, test::beast::error_code{});
}

// As fast as the clients read (rate 0), a stalled connection reads nothing: the flow waits for
// it instead of running at full speed into the silence (which lost a million events per stall
// in the soak test, more than the REST history keeps), and goes on once the client leaves.
TEST(SimFaults, StallHoldsBackTheFlowAtRateZeroUntilTheClientLeaves) {
  ServerThread sim(stalling_after(50));
  {
    WsClient c(sim.port(), kPrivate, bearer(), nullptr, std::chrono::milliseconds(500));
    subscribe_and_read(c, 50);
    // The scenario: a span for the stall to hold the flow, then one in which nothing may happen.
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    const std::uint64_t during = sim->stats().events_generated;
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    EXPECT_EQ(sim->stats().events_generated, during);
    EXPECT_LT(during, 50u + 1024u);  // the batch in flight when the stall began, no more
  }
  // The stalled client left; a new one gets the flow again.
  WsClient next(sim.port(), kPrivate, bearer());
  subscribe_and_read(next, 20);
}

// stall_prob: only a share of the connections stall (drawn per connection from the seed).
TEST(SimFaults, StallProbabilityStallsOnlySomeConnections) {
  auto cfg = base_config();
  cfg.faults.stall_after = 5;
  cfg.faults.stall_prob = 0.5;
  cfg.ws_connects_per_second = 0;  // 12 connections in a row
  ServerThread sim(cfg);
  int stalled = 0;
  for (int k = 0; k < 12; ++k) {
    WsClient c(sim.port(), kPrivate, bearer(), nullptr, std::chrono::milliseconds(300));
    c.send(kSubscribeAll);
    test::beast::error_code ec;
    int got = 0;
    while (got < 30 && c.try_read(ec))
      ++got;
    ASSERT_GE(got, 5);
    if (got < 30) ++stalled;
  }
  EXPECT_GT(stalled, 0);
  EXPECT_LT(stalled, 12);
}

TEST(SimFaults, DisconnectEveryTSeconds) {
  auto cfg = base_config();
  cfg.rate = 1000;
  cfg.faults.disconnect_every_s = 0.3;
  ServerThread sim(cfg);
  WsClient c(sim.port(), kPrivate, bearer());
  c.send(kSubscribeAll);
  const auto start = std::chrono::steady_clock::now();
  test::beast::error_code ec;
  std::size_t events = 0;
  while (c.try_read(ec))
    ++events;
  const auto lasted = std::chrono::steady_clock::now() - start;
  EXPECT_NE(ec, test::beast::error_code{});
  EXPECT_NE(ec, test::asio::error::timed_out);
  EXPECT_GT(events, 0u);
  EXPECT_GE(lasted, std::chrono::milliseconds(250));
  EXPECT_LT(lasted, std::chrono::seconds(3));
}

TEST(SimFaults, SlowConsumerIsDisconnected) {
  auto cfg = base_config();
  cfg.rate = 200000;
  cfg.slow_consumer_bytes = 256u << 10;
  ServerThread sim(cfg);
  WsClient c(sim.port(), kPrivate, bearer());
  c.send(kSubscribeAll);
  // Not reading: the kernel buffers fill, then the server's queue passes the limit.
  (void)test::wait_until([&] { return sim->stats().slow_consumer_disconnects != 0; },
                         std::chrono::seconds(5), std::chrono::milliseconds(50));
  EXPECT_EQ(sim->stats().slow_consumer_disconnects, 1u);
  test::beast::error_code ec;
  while (c.try_read(ec)) {
  }
  EXPECT_NE(ec, test::asio::error::timed_out);
}

TEST(SimFaults, DelayHoldsEventsBack) {
  auto cfg = base_config();
  cfg.rate = 1000;
  cfg.faults.delay_ms = 300;
  cfg.faults.jitter_ms = 50;
  ServerThread sim(cfg);
  WsClient c(sim.port(), kPrivate, bearer());
  const auto start = std::chrono::steady_clock::now();
  c.send(kSubscribeAll);
  Decoder d;
  const Decoded first = decode(d, c.read().data);
  EXPECT_EQ(first.result.kind, FrameKind::order);
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(280));
  // Order is kept: event times never go backwards.
  std::int64_t last = first.events.at(0).timestamp;
  for (int i = 0; i < 200; ++i) {
    const Decoded r = decode(d, c.read().data);
    ASSERT_EQ(r.events.size(), 1u);
    EXPECT_GE(r.events[0].timestamp, last);
    last = r.events[0].timestamp;
  }
}

// ---------------------------------------------------------------------------------------------
// Limits on what a client may send

TEST(SimLimits, OversizedWebSocketMessageIsClosedWith1009) {
  auto cfg = base_config();
  cfg.max_message_bytes = 4096;
  ServerThread sim(cfg);
  // One frame over the limit: refused from its header, before the payload is buffered.
  WsClient one(sim.port(), kPrivate, bearer());
  ASSERT_TRUE(one.ok());
  one.send_fragmented(std::string(5000, ' ') + kSubscribeAll, 0);
  test::beast::error_code ec;
  EXPECT_FALSE(one.try_read(ec).has_value());
  EXPECT_EQ(ec, test::websocket::error::closed);
  EXPECT_EQ(one.close_code(), 1009);
  // Fragments each under the limit whose message is not: refused once the sum passes it.
  WsClient fragments(sim.port(), kPrivate, bearer());
  ASSERT_TRUE(fragments.ok());
  fragments.send_fragmented(std::string(5000, ' ') + kSubscribeAll, 1000);
  EXPECT_FALSE(fragments.try_read(ec).has_value());
  EXPECT_EQ(ec, test::websocket::error::closed);
  EXPECT_EQ(fragments.close_code(), 1009);
  // A message at the limit is still read (and answered).
  WsClient fits(sim.port(), kPrivate, bearer());
  const std::string request = R"([{"method":"LIST_SUBSCRIPTIONS"},{"ticket":"x"}])";
  fits.send(std::string(4096 - request.size(), ' ') + request);
  EXPECT_EQ(json::parse(fits.read().data)["ticket"], "x");
}

TEST(SimLimits, OversizedHttpHeadersAndBodiesGetAClearAnswer) {
  ServerThread sim(base_config());
  const auto big_headers =
      test::http_raw(sim.port(), "GET /v1/accounts HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Padding: " +
                                     std::string(10000, 'x') + "\r\n\r\n");
  EXPECT_EQ(big_headers.result_int(), 431u);
  EXPECT_EQ(error_name(big_headers.body()), "request_header_too_large");
  const auto big_body = test::http_raw(
      sim.port(), "POST /v1/orders HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100000\r\n\r\n");
  EXPECT_EQ(big_body.result_int(), 413u);
  EXPECT_EQ(error_name(big_body.body()), "payload_too_large");
  // The server carries on.
  EXPECT_EQ(
      test::http_get(sim.port(), "/sim/truth?orders=false", bearer(HmacAlg::sha256, "orders=false"))
          .result_int(),
      200u);
}

TEST(SimFaults, InvalidUtf8CompressedAndOversizedFramesAreSentAsConfigured) {
  auto cfg = base_config();
  cfg.faults.invalid_utf8_prob = 0.05;
  cfg.faults.compressed_prob = 0.05;
  cfg.faults.oversized_prob = 0.01;
  cfg.faults.oversized_bytes = 100u << 10;
  ServerThread sim(cfg);
  WsClient c(sim.port(), kPrivate, bearer());
  c.send(kSubscribeAll);
  Decoder d(256u << 10);
  std::size_t events = 0;
  std::size_t bad_utf8 = 0;
  std::size_t garbage = 0;
  std::size_t oversized = 0;
  while (events < 1000) {
    const Message m = c.read();
    const Decoded r = decode(d, m.data);
    if (r.result.error.ok() && r.result.kind == FrameKind::order) {
      events += r.events.size();
    } else if (m.data.size() > (100u << 10)) {
      ++oversized;
    } else if (m.data.front() == '{') {
      ASSERT_EQ(r.result.error.code, DecodeErrc::invalid_utf8) << m.data;
      ++bad_utf8;
    } else {
      ASSERT_FALSE(r.result.error.ok());  // deflated bytes: neither JSON nor, mostly, UTF-8
      ++garbage;
    }
  }
  EXPECT_GT(bad_utf8, 10u);
  EXPECT_GT(garbage, 10u);
  EXPECT_GT(oversized, 0u);
  EXPECT_LE(bad_utf8 + garbage + oversized, sim->stats().malformed);
}

TEST(SimFaults, RestErrorsAnswer503) {
  auto cfg = base_config();
  cfg.faults.rest_error_prob = 0.5;
  cfg.rest.rate_limit = false;
  ServerThread sim(cfg);
  unsigned failed = 0;
  for (int i = 0; i < 40; ++i) {
    const auto r = test::http_get(sim.port(), "/v1/accounts", bearer());
    if (r.result_int() == 503) {
      ++failed;
      EXPECT_EQ(error_name(r.body()), "server_error");
    } else {
      EXPECT_EQ(r.result_int(), 200u);
    }
  }
  EXPECT_GT(failed, 5u);
  EXPECT_LT(failed, 35u);
  EXPECT_EQ(failed, sim->stats().rest_errors);
}

// ---------------------------------------------------------------------------------------------
// TLS

TEST(SimTls, WssWithTheGeneratedCertificateVerified) {
  ServerThread sim(base_config());
  ASSERT_FALSE(sim->cert_path().empty());
  test::ssl::context ctx(test::ssl::context::tls_client);
  ctx.load_verify_file(sim->cert_path());
  ctx.set_verify_mode(test::ssl::verify_peer);
  WssClient c(sim.port(), kPrivate, bearer(), &ctx);
  ASSERT_TRUE(c.ok());
  c.send(R"([{"ticket":"t"},{"type":"myOrder"},{"format":"SIMPLE"}])");
  Decoder d;
  for (int i = 0; i < 500; ++i) {
    const Decoded r = decode(d, c.read().data);
    ASSERT_EQ(r.result.kind, FrameKind::order);
    ASSERT_EQ(r.events.size(), 1u);
  }
  // REST resync over https on the same port.
  const std::string q = "states[]=wait&states[]=watch";
  const auto res =
      test::https_get(sim.port(), "/v1/orders/open?" + q, ctx, bearer(HmacAlg::sha256, q));
  ASSERT_EQ(res.result_int(), 200u) << res.body();
  EXPECT_TRUE(json::parse(res.body()).is_array());
  // Without the certificate as trust anchor the handshake fails.
  test::ssl::context untrusted(test::ssl::context::tls_client);
  untrusted.set_verify_mode(test::ssl::verify_peer);
  EXPECT_THROW(WssClient(sim.port(), kPrivate, bearer(), &untrusted), std::exception);
}

TEST(SimTls, GivenCertificateAndKey) {
  const PemPair pem = make_self_signed_certificate();
  const std::string dir = ::testing::TempDir();
  const std::string cert = dir + "/sim-given-cert.pem";
  const std::string key = dir + "/sim-given-key.pem";
  std::ofstream(cert) << pem.certificate;
  std::ofstream(key) << pem.private_key;
  auto cfg = base_config();
  cfg.cert_file = cert;
  cfg.key_file = key;
  ServerThread sim(cfg);
  EXPECT_EQ(sim->cert_path(), cert);
  test::ssl::context ctx(test::ssl::context::tls_client);
  ctx.load_verify_file(cert);
  ctx.set_verify_mode(test::ssl::verify_peer);
  WssClient c(sim.port(), kPrivate, bearer(), &ctx);
  ASSERT_TRUE(c.ok());
  c.send("PING");
  EXPECT_EQ(c.read().data, R"({"status":"UP"})");
}

}  // namespace
}  // namespace fillwire::sim
