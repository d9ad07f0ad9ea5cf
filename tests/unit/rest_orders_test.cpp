#include "fillwire/rest_orders.hpp"

#include <gtest/gtest.h>

#include <string>

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

}  // namespace
}  // namespace fillwire
