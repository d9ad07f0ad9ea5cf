#include "fillwire/detail/rest_orders.hpp"

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <utility>

namespace fillwire {
namespace {

constexpr const char* kOpenOrder = R"({
  "uuid":"9ca023a5-851b-4fec-9f0a-48cd83c2eaae","side":"ask","ord_type":"limit",
  "price":"4280000.0","state":"wait","market":"KRW-BTC","created_at":"2019-01-04T13:48:09+09:00",
  "volume":"1.0","remaining_volume":"0.4","reserved_fee":"0.0","remaining_fee":"0.0",
  "paid_fee":"1284.0","locked":"0.4","executed_volume":"0.6","executed_funds":"2568000.0",
  "trades_count":2,"time_in_force":null,"identifier":"strat-a-7","smp_type":null,
  "prevented_volume":"0","prevented_locked":"0"})";

TEST(RestOrders, MapsAnOrderObjectOntoAnEvent) {
  const auto r = parse_rest_orders(kOpenOrder, 1764000000000);
  ASSERT_TRUE(r.ok()) << r.error;
  ASSERT_EQ(r.orders.size(), 1u);
  const OrderEvent& e = r.orders[0];
  EXPECT_EQ(e.origin, EventOrigin::resync);
  EXPECT_EQ(e.uuid.to_string(), "9ca023a5-851b-4fec-9f0a-48cd83c2eaae");
  EXPECT_EQ(e.ask_bid, Side::ask);
  EXPECT_EQ(e.order_type, OrderType::limit);
  EXPECT_EQ(e.state, OrderState::wait);
  EXPECT_EQ(e.code.view(), "KRW-BTC");
  EXPECT_EQ(e.price, 4280000.0);
  EXPECT_EQ(e.remaining_volume, 0.4);
  EXPECT_EQ(e.executed_volume, 0.6);
  EXPECT_EQ(e.executed_funds, 2568000.0);
  EXPECT_EQ(e.paid_fee, 1284.0);
  EXPECT_EQ(e.trades_count, 2u);
  EXPECT_EQ(e.identifier.view(), "strat-a-7");
  EXPECT_FALSE(e.has(Field::time_in_force));
  EXPECT_EQ(e.order_timestamp, 1546577289000);  // 2019-01-04T04:48:09Z
  EXPECT_EQ(e.timestamp, 1764000000000);
  EXPECT_EQ(e.present & kRequiredFields, kRequiredFields);
}

TEST(RestOrders, LongIdentifierIsCutAndHashedAsOnTheStream) {
  // 16 Korean syllables (48 bytes): over the 45 kept whole. Upbit sets no limit.
  const std::string whole =
      "\xea\xb0\x80\xeb\x82\x98\xeb\x8b\xa4\xeb\x9d\xbc"
      "\xeb\xa7\x88\xeb\xb0\x94\xec\x82\xac\xec\x95\x84"
      "\xec\x9e\x90\xec\xb0\xa8\xec\xb9\xb4\xed\x83\x80"
      "\xed\x8c\x8c\xed\x95\x98\xea\xb0\x80\xeb\x82\x98";
  std::string body = kOpenOrder;
  body.replace(body.find("strat-a-7"), 9, whole);
  const auto r = parse_rest_orders(body, 1764000000000);
  ASSERT_TRUE(r.ok()) << r.error;
  ASSERT_EQ(r.orders.size(), 1u);
  const ClientId& id = r.orders[0].identifier;
  EXPECT_TRUE(r.orders[0].has(Field::identifier));
  EXPECT_TRUE(id.cut());
  EXPECT_EQ(id.hash(), fnv1a64(whole));
  EXPECT_TRUE(id.matches(whole));
  EXPECT_EQ(id.view(), whole.substr(0, 36));  // 12 whole syllables
  ClientId streamed{};
  streamed.assign(whole);  // what the stream decoder keeps for the same identifier
  EXPECT_EQ(id, streamed);
  EXPECT_EQ(r.orders[0].executed_funds, 2568000.0);
}

TEST(RestOrders, ArraysAndMarketOrdersWithNullPrice) {
  const std::string body =
      std::string("[") + kOpenOrder + R"(,{"uuid":"0b1c2d3e-4f50-4617-8293-a4b5c6d7e8f9",
    "side":"bid","ord_type":"price","price":"10000","state":"cancel","market":"KRW-ETH",
    "created_at":"2024-03-01T00:00:00Z","volume":null,"remaining_volume":null,"paid_fee":"4.99",
    "executed_volume":"0.00237","executed_funds":"9985.1","trades_count":1}])";
  const auto r = parse_rest_orders(body, 0);
  ASSERT_TRUE(r.ok()) << r.error;
  ASSERT_EQ(r.orders.size(), 2u);
  EXPECT_EQ(r.orders[1].order_type, OrderType::price);
  EXPECT_EQ(r.orders[1].state, OrderState::cancel);
  EXPECT_FALSE(r.orders[1].has(Field::volume));
  EXPECT_EQ(r.orders[1].executed_volume, 0.00237);
  EXPECT_EQ(r.orders[1].order_timestamp, 1709251200000);
}

// Upbit's REST order states are wait, watch, done and cancel: an order that self-match prevention
// ended is a `cancel` with prevented_volume > 0 and nothing left, where the stream said
// `prevented`. The parser names it as the stream did; every other cancel stays a cancel.
TEST(RestOrders, ACancelThatSelfMatchPreventionEndedIsTheStreamsPrevented) {
  // A bid of 0.5: 0.2 filled, the rest as each case has it.
  constexpr std::string_view kOrder = R"({
    "uuid":"9ca023a5-851b-4fec-9f0a-48cd83c2eaae","side":"bid","ord_type":"limit",
    "price":"4280000.0","state":"STATE","market":"KRW-BTC",
    "created_at":"2025-11-25T01:00:16+09:00","volume":"0.5",REMAINING"reserved_fee":"1070.0",
    "remaining_fee":"0.0","paid_fee":"428.0","locked":"0.0","executed_volume":"0.2",
    "executed_funds":"856000.0","trades_count":1,"time_in_force":null,"identifier":null,
    "smp_type":"reduce",PREVENTED"prevented_locked":"1284642.0"})";
  const auto state_of = [&](std::string_view state, std::string_view remaining,
                            std::string_view prevented) {
    std::string body(kOrder);
    for (const auto& [from, to] : {std::pair{std::string_view("STATE"), state},
                                   std::pair{std::string_view("REMAINING"), remaining},
                                   std::pair{std::string_view("PREVENTED"), prevented}}) {
      body.replace(body.find(from), from.size(), to);
    }
    const auto r = parse_rest_orders(body, 0);
    EXPECT_TRUE(r.ok()) << r.error;
    return r.ok() ? r.orders[0].state : OrderState::unknown;
  };
  constexpr std::string_view none_left = R"("remaining_volume":"0.0",)";
  constexpr std::string_view some_left = R"("remaining_volume":"0.1",)";
  constexpr std::string_view smp = R"("prevented_volume":"0.3",)";
  // SMP took the rest: the stream's final state.
  EXPECT_EQ(state_of("cancel", none_left, smp), OrderState::prevented);
  // SMP reduced it, then it was cancelled with volume left: a cancel.
  EXPECT_EQ(state_of("cancel", some_left, R"("prevented_volume":"0.2",)"), OrderState::cancel);
  // No SMP at all, or no such field (objects before SMP existed), or no remaining_volume (an
  // amount-based order): a cancel.
  EXPECT_EQ(state_of("cancel", none_left, R"("prevented_volume":"0",)"), OrderState::cancel);
  EXPECT_EQ(state_of("cancel", none_left, ""), OrderState::cancel);
  EXPECT_EQ(state_of("cancel", "", smp), OrderState::cancel);
  EXPECT_EQ(state_of("cancel", R"("remaining_volume":null,)", smp), OrderState::cancel);
  // Other states are what they say: reduced then filled is done; `prevented` itself (the
  // simulator's --rest-prevented-state prevented) passes.
  EXPECT_EQ(state_of("done", none_left, smp), OrderState::done);
  EXPECT_EQ(state_of("prevented", none_left, smp), OrderState::prevented);
  EXPECT_EQ(state_of("wait", some_left, smp), OrderState::wait);
}

TEST(RestOrders, ErrorsNameTheOrderAndField) {
  auto r = parse_rest_orders(R"([{"uuid":"bad"}])", 0);
  EXPECT_FALSE(r.ok());
  EXPECT_NE(r.error.find("order 0: field 'uuid'"), std::string::npos) << r.error;
  EXPECT_TRUE(r.orders.empty());

  std::string bad_number = kOpenOrder;
  bad_number.replace(bad_number.find("\"1284.0\""), 8, "\"12x4\"");
  r = parse_rest_orders("[" + std::string(kOpenOrder) + "," + bad_number + "]", 0);
  EXPECT_NE(r.error.find("order 1: field 'paid_fee' not a decimal"), std::string::npos) << r.error;
  EXPECT_TRUE(r.orders.empty()) << "a resync never applies half an answer";

  r = parse_rest_orders(R"({"error":{"name":"jwt_verification","message":"bad token"}})", 0);
  EXPECT_EQ(r.error, "server error jwt_verification: bad token");

  r = parse_rest_orders("<html>", 0);
  EXPECT_NE(r.error.find("not JSON"), std::string::npos);
}

TEST(RestOrders, ServerErrorTextIsCappedEscapedAndRedacted) {
  // 15 MB of message, a forged log line, a terminal escape and an echoed Authorization header.
  const std::string jwt =
      "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJhY2Nlc3Nfa2V5IjoiYWsifQ.c2lnbmF0dXJl";
  const std::string body = R"({"error":{"name":"bad\n\u001b[2Jname","message":"Authorization: )"
                           "Bearer " +
                           jwt + R"(\n2030-01-01 info forged)" + std::string(15u << 20, 'x') +
                           R"("}})";
  for (const std::string& error :
       {parse_rest_orders(body, 0).error, parse_rest_order_trades(body, 0).error}) {
    EXPECT_LT(error.size(), 1000u);
    EXPECT_EQ(error.find('\n'), std::string::npos) << error;
    EXPECT_EQ(error.find('\x1b'), std::string::npos) << error;
    EXPECT_EQ(error.find("eyJ"), std::string::npos) << error;
    EXPECT_EQ(error.rfind("server error bad\\n\\x1b[2Jname: Authorization: Bearer <redacted>\\n"
                          "2030-01-01 info forged",
                          0),
              0u)
        << error;
    EXPECT_NE(error.find(" bytes)"), std::string::npos) << "says that it was cut";
  }
}

TEST(RestOrders, NonFiniteDecimalsAreRejected) {
  // std::from_chars reads "nan" and "inf": such an order must not reach the account through a
  // resync (the rest_orders_fuzz round-trip invariant flags it).
  for (const std::string bad : {"nan", "NaN", "inf", "-inf", "infinity", "-nan"}) {
    std::string body = kOpenOrder;
    body.replace(body.find("\"4280000.0\""), 11, "\"" + bad + "\"");
    const auto r = parse_rest_orders(body, 0);
    EXPECT_FALSE(r.ok()) << bad;
    EXPECT_NE(r.error.find("order 0: field 'price' not a finite decimal"), std::string::npos)
        << r.error;
    EXPECT_TRUE(r.orders.empty());
  }
}

TEST(RestOrders, Iso8601Times) {
  std::int64_t ms = 0;
  ASSERT_TRUE(parse_iso8601_ms("1970-01-01T00:00:00Z", ms));
  EXPECT_EQ(ms, 0);
  ASSERT_TRUE(parse_iso8601_ms("2019-01-04T13:48:09+09:00", ms));
  EXPECT_EQ(ms, 1546577289000);
  ASSERT_TRUE(parse_iso8601_ms("2019-01-04T13:48:09.25+0900", ms));
  EXPECT_EQ(ms, 1546577289250);
  ASSERT_TRUE(parse_iso8601_ms("2000-02-29T23:59:59-01:30", ms));
  EXPECT_EQ(ms, 951874199000);  // 2000-02-29T23:59:59Z is 951868799 s; plus 1h30
  EXPECT_FALSE(parse_iso8601_ms("2019-13-04T13:48:09Z", ms));
  EXPECT_FALSE(parse_iso8601_ms("2019-01-04 13:48", ms));
  EXPECT_FALSE(parse_iso8601_ms("2019-01-04T13:48:09+09:00x", ms));
}

// GET /v1/order: a bid that traded three times (funds 100, 300, 600; paid_fee 0.5 in all), trade
// times with milliseconds as upbit-sim writes them, one without (as Upbit documents it).
constexpr const char* kOrderWithTrades = R"({
  "uuid":"0b1c2d3e-4f50-4617-8293-a4b5c6d7e8f9","side":"bid","ord_type":"limit","price":"100",
  "state":"wait","market":"KRW-ETH","created_at":"2026-01-01T09:00:00+09:00","volume":"12",
  "remaining_volume":"2","reserved_fee":"0.6","remaining_fee":"0.1","paid_fee":"0.5",
  "locked":"200.1","executed_volume":"10","executed_funds":"1000","trades_count":3,
  "trades":[
    {"market":"KRW-ETH","uuid":"00000000-0000-4000-8000-000000000001","price":"100","volume":"1",
     "funds":"100","trend":null,"created_at":"2026-01-01T09:00:00.123+09:00","side":"bid"},
    {"market":"KRW-ETH","uuid":"00000000-0000-4000-8000-000000000002","price":"100","volume":"3",
     "funds":"300","created_at":"2026-01-01T09:00:01.007+09:00","side":"bid"},
    {"market":"KRW-ETH","uuid":"00000000-0000-4000-8000-000000000003","price":"100","volume":"6",
     "funds":"600","created_at":"2026-01-01T09:00:02+09:00","side":"bid"}]})";

TEST(RestOrders, ParsesAnOrderWithItsTrades) {
  const auto r = parse_rest_order_trades(kOrderWithTrades, 5);
  ASSERT_TRUE(r.ok()) << r.error;
  EXPECT_EQ(r.order.uuid.to_string(), "0b1c2d3e-4f50-4617-8293-a4b5c6d7e8f9");
  EXPECT_EQ(r.order.trades_count, 3u);
  EXPECT_EQ(r.order.timestamp, 5);
  ASSERT_EQ(r.trades.size(), 3u);
  // 2026-01-01T00:00:00Z is 1767225600 s.
  EXPECT_EQ(r.trades[0].time_ms, 1767225600123);
  EXPECT_EQ(r.trades[1].time_ms, 1767225601007);
  EXPECT_EQ(r.trades[2].time_ms, 1767225602000);
  EXPECT_EQ(r.trades[1].uuid.to_string(), "00000000-0000-4000-8000-000000000002");
  EXPECT_EQ(r.trades[1].volume, 3.0);
  EXPECT_EQ(r.trades[1].funds, 300.0);
  EXPECT_EQ(r.trades[1].price, 100.0);
  EXPECT_EQ(r.trades[1].side, Side::bid);
}

TEST(RestOrders, TradesBecomeSteppedTradeEvents) {
  const auto r = parse_rest_order_trades(kOrderWithTrades, 5);
  ASSERT_TRUE(r.ok()) << r.error;
  const auto t = trade_events(r);
  ASSERT_TRUE(t.ok()) << t.error;
  ASSERT_EQ(t.events.size(), 3u);
  const double cum_volume[] = {1, 4, 10};
  const double cum_funds[] = {100, 400, 1000};
  const double cum_fee[] = {0.05, 0.2, 0.5};
  double fees = 0.0;
  for (std::size_t k = 0; k < 3; ++k) {
    const OrderEvent& e = t.events[k];
    SCOPED_TRACE(k);
    EXPECT_EQ(e.state, OrderState::trade);
    EXPECT_EQ(e.origin, EventOrigin::resync);
    EXPECT_EQ(e.uuid, r.order.uuid);
    EXPECT_EQ(e.trades_count, k + 1);
    EXPECT_EQ(e.executed_volume, cum_volume[k]);
    EXPECT_EQ(e.executed_funds, cum_funds[k]);
    EXPECT_NEAR(e.paid_fee, cum_fee[k], 1e-15);
    EXPECT_EQ(e.trade_timestamp, r.trades[k].time_ms);
    EXPECT_EQ(e.timestamp, r.trades[k].time_ms);
    EXPECT_EQ(e.trade_uuid, r.trades[k].uuid);
    EXPECT_EQ(e.volume, r.trades[k].volume);
    EXPECT_EQ(e.price, 100.0);
    EXPECT_TRUE(e.has(Field::trade_fee));
    EXPECT_FALSE(e.has(Field::remaining_volume));
    EXPECT_EQ(e.present & kRequiredFields, kRequiredFields);
    fees += e.trade_fee;
  }
  EXPECT_EQ(t.events[2].paid_fee, 0.5);  // the last step is the order's own total
  EXPECT_NEAR(fees, 0.5, 1e-15);
  // The lock is the order's after its last trade: only that step says it.
  EXPECT_FALSE(t.events[0].has(Field::locked));
  EXPECT_FALSE(t.events[1].has(Field::locked));
  EXPECT_TRUE(t.events[2].has(Field::locked));
  EXPECT_EQ(t.events[2].locked, 200.1);
}

TEST(RestOrders, TradesMustBeComplete) {
  std::string body = kOrderWithTrades;
  body.replace(body.find("\"trades_count\":3"), 16, "\"trades_count\":4");
  auto r = parse_rest_order_trades(body, 0);
  ASSERT_TRUE(r.ok()) << r.error;
  const auto t = trade_events(r);
  EXPECT_FALSE(t.ok());
  EXPECT_NE(t.error.find("trades_count is 4"), std::string::npos) << t.error;

  body = kOrderWithTrades;
  body.replace(body.find("2026-01-01T09:00:01.007"), 23, "yesterday");
  r = parse_rest_order_trades(body, 0);
  EXPECT_NE(r.error.find("trade 1: field 'created_at'"), std::string::npos) << r.error;

  body = kOrderWithTrades;
  body.replace(body.find("\"trades\":["), 10, "\"tradez\":[");
  EXPECT_EQ(parse_rest_order_trades(body, 0).error, "order has no trades[]");
  EXPECT_EQ(
      parse_rest_order_trades(R"({"error":{"name":"order_not_found","message":"x"}})", 0).error,
      "server error order_not_found: x");
}

// GET /v1/accounts (PROTOCOL.md §8): decimals as strings, each row one currency.
constexpr const char* kAccounts = R"([
  {"currency":"KRW","balance":"1000000.12345678","locked":"50025.0","avg_buy_price":"0",
   "avg_buy_price_modified":false,"unit_currency":"KRW"},
  {"currency":"BTC","balance":"0.00000001","locked":"0.4","avg_buy_price":"101000000",
   "avg_buy_price_modified":false,"unit_currency":"KRW"}])";

TEST(RestAccounts, EachCurrencyIsABalanceOfTheResyncAsOfTheAnswer) {
  const RestAccountsResult r = parse_rest_accounts(kAccounts, 1'700'000'000'123);
  ASSERT_TRUE(r.ok()) << r.error;
  ASSERT_EQ(r.assets.size(), 2u);
  const AssetEvent& krw = r.assets[0];
  EXPECT_EQ(krw.kind, EventKind::asset);
  EXPECT_EQ(krw.origin, EventOrigin::resync);
  EXPECT_EQ(krw.stream_type, StreamType::snapshot);
  EXPECT_EQ(krw.currency.view(), "KRW");
  EXPECT_EQ(krw.balance, 1000000.12345678);
  EXPECT_EQ(krw.locked, 50025.0);
  EXPECT_EQ(krw.asset_timestamp, 1'700'000'000'123);
  EXPECT_EQ(krw.timestamp, 1'700'000'000'123);
  EXPECT_EQ(krw.index, 0u);
  EXPECT_EQ(krw.count, 2u);
  EXPECT_FALSE(krw.is_last_in_frame());
  EXPECT_FALSE(krw.has(AssetField::asset_uuid)) << "REST gives no asset_uuid";
  EXPECT_TRUE(krw.has(AssetField::balance) && krw.has(AssetField::locked));
  const AssetEvent& btc = r.assets[1];
  EXPECT_EQ(btc.currency.view(), "BTC");
  EXPECT_EQ(btc.balance, 0.00000001);
  EXPECT_EQ(btc.locked, 0.4);
  EXPECT_EQ(btc.index, 1u);
  EXPECT_TRUE(btc.is_last_in_frame());
  EXPECT_EQ(parse_rest_accounts("[]", 1).assets.size(), 0u);
  const RestAccountsResult negative =
      parse_rest_accounts(R"([{"currency":"KRW","balance":"-1.5","locked":"0"}])", 1);
  ASSERT_TRUE(negative.ok()) << "the exchange's figure, kept (the account counts it)";
  EXPECT_EQ(negative.assets[0].balance, -1.5);
}

TEST(RestAccounts, ABadRowRefusesTheWholeListAndSaysWhere) {
  const std::pair<const char*, const char*> cases[] = {
      {R"([{"balance":"1","locked":"0"}])", "account 0: field 'currency' missing"},
      {R"([{"currency":"","balance":"1","locked":"0"}])", "account 0: field 'currency' empty"},
      {R"([{"currency":"ABCDEFGHIJKLMNOP","balance":"1","locked":"0"}])",
       "account 0: field 'currency' too long"},
      {R"([{"currency":"KRW","balance":"inf","locked":"0"}])",
       "account 0: field 'balance' not a finite decimal"},
      {R"([{"currency":"KRW","balance":"1","locked":"nan"}])",
       "account 0: field 'locked' not a finite decimal"},
      {R"([{"currency":"KRW","balance":"1x","locked":"0"}])",
       "account 0: field 'balance' not a decimal"},
      {R"([{"currency":"KRW","balance":"1"}])", "account 0: field 'locked' missing"},
      {R"([{"currency":"KRW","balance":"1","locked":"0"},{"currency":"KRW","balance":"2","locked":"0"}])",
       "account 1: currency 'KRW' listed twice"},
      {R"([{"currency":"KRW","balance":"1","locked":"0"},7])", "account 1: not an object"},
      {R"({"currency":"KRW"})", "not a list of accounts"},
  };
  for (const auto& [body, why] : cases) {
    const RestAccountsResult r = parse_rest_accounts(body, 1);
    EXPECT_EQ(r.error, why) << body;
    EXPECT_TRUE(r.assets.empty()) << body << ": nothing of a refused list is kept";
  }
  const RestAccountsResult refused =
      parse_rest_accounts(R"({"error":{"name":"out_of_scope","message":"no\npermission"}})", 1);
  EXPECT_EQ(refused.error.rfind("server error ", 0), 0u) << refused.error;
  EXPECT_EQ(refused.error.find('\n'), std::string::npos) << "server text is escaped";
}

}  // namespace
}  // namespace fillwire
