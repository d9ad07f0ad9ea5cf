#include "net/subscription.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <string>

namespace fillwire::net {
namespace {

using nlohmann::json;

// PROTOCOL.md §3: one list; myAsset never carries codes (the exchange answers WRONG_FORMAT).
TEST(Subscription, BalancesRideOnTheSameMessageWithoutCodes) {
  LiveConfig c;
  c.codes = {"KRW-BTC", "KRW-ETH"};
  const json m = json::parse(subscribe_message(c, "t-1"));
  ASSERT_TRUE(m.is_array());
  ASSERT_EQ(m.size(), 3u);
  EXPECT_EQ(m[0], json::parse(R"({"ticket":"t-1"})"));
  EXPECT_EQ(m[1], json::parse(R"({"type":"myOrder","codes":["KRW-BTC","KRW-ETH"]})"));
  EXPECT_EQ(m[2], json::parse(R"({"type":"myAsset"})"));
}

TEST(Subscription, OrdersOnlyAndTheFormatComeLast) {
  LiveConfig c;
  c.balances = false;
  c.simple_format = true;
  EXPECT_EQ(json::parse(subscribe_message(c, "t")),
            json::parse(R"([{"ticket":"t"},{"type":"myOrder"},{"format":"SIMPLE"}])"));
  c.balances = true;
  EXPECT_EQ(json::parse(subscribe_message(c, "t")),
            json::parse(R"([{"ticket":"t"},{"type":"myOrder"},{"type":"myAsset"},)"
                        R"({"format":"SIMPLE"}])"));
}

}  // namespace
}  // namespace fillwire::net
