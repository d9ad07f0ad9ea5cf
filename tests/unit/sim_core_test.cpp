// upbit-sim pure logic: fixed-point amounts, crypto primitives, JWT, subscriptions, ticks, framing.

#include <gtest/gtest.h>

#include <string>

#include "crypto.hpp"
#include "fixed8.hpp"
#include "jwt.hpp"
#include "market.hpp"
#include "subscription.hpp"
#include "ws_frame.hpp"

namespace fillwire::sim {
namespace {

TEST(Fixed8, FormatsLikeUpbit) {
  EXPECT_EQ(fx_to_string(fx_from_int(100'000'000)), "100000000.0");
  EXPECT_EQ(fx_to_string(kFxOne * 4 / 10), "0.4");
  EXPECT_EQ(fx_to_string(12345), "0.00012345");
  EXPECT_EQ(fx_to_string(-150'000'000), "-1.5");
  EXPECT_EQ(fx_to_string(0), "0.0");
}

TEST(Fixed8, ParsesDecimals) {
  Fx v = 0;
  ASSERT_TRUE(fx_parse("0.00012345", v));
  EXPECT_EQ(v, 12345);
  ASSERT_TRUE(fx_parse("-3.25", v));
  EXPECT_EQ(v, -325'000'000);
  ASSERT_TRUE(fx_parse("42", v));
  EXPECT_EQ(v, fx_from_int(42));
  EXPECT_FALSE(fx_parse("0.123456789", v));
  EXPECT_FALSE(fx_parse("1.", v));
  EXPECT_FALSE(fx_parse("abc", v));
}

TEST(Fixed8, ConvertsToTheNearestDouble) {
  EXPECT_EQ(fx_to_double(kFxOne * 4 / 10), 0.4);
  EXPECT_EQ(fx_to_double(12345), 0.00012345);
  EXPECT_EQ(fx_to_double(fx_from_int(130'000'000)), 130000000.0);
  // Above 2^53 units with a fraction: still correctly rounded.
  EXPECT_EQ(fx_to_double(fx_from_int(123'456'789) + 12345678), 123456789.12345678);
}

TEST(Fixed8, MultipliesAndDividesExactly) {
  EXPECT_EQ(fx_mul(fx_from_int(100'000'000), kFxOne * 4 / 10), fx_from_int(40'000'000));
  EXPECT_EQ(fx_rate(fx_from_int(40'000'000), kFeeNum, kFeeDen), fx_from_int(20'000));
  EXPECT_EQ(fx_div_floor(fx_from_int(10'000), fx_from_int(3)), 333'333'333'333);
}

TEST(Crypto, KnownVectors) {
  EXPECT_EQ(sha512_hex("abc"),
            "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
            "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f");
  EXPECT_EQ(websocket_accept_key("dGhlIHNhbXBsZSBub25jZQ=="), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
  const std::string mac = hmac(HmacAlg::sha256, "Jefe", "what do ya want for nothing?");
  std::string hex;
  for (const char ch : mac) {
    const auto c = static_cast<unsigned char>(ch);
    hex += "0123456789abcdef"[c >> 4];
    hex += "0123456789abcdef"[c & 15];
  }
  EXPECT_EQ(hex, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST(Crypto, Base64UrlRoundTrips) {
  const std::string cases[] = {"",     "f",     "fo",     "foo",
                               "foob", "fooba", "foobar", std::string("\xff\xfe\x00\x01", 4)};
  for (const std::string& s : cases) {
    const auto enc = base64url_encode(s);
    EXPECT_EQ(enc.find('='), std::string::npos);
    const auto dec = base64url_decode(enc);
    ASSERT_TRUE(dec.has_value());
    EXPECT_EQ(*dec, s);
  }
  EXPECT_EQ(base64_encode("foob"), "Zm9vYg==");
  EXPECT_FALSE(base64url_decode("ab$d").has_value());
  EXPECT_FALSE(base64url_decode("abcde").has_value());
}

class JwtTest : public ::testing::Test {
 protected:
  JwtVerifier verifier{"access-key-1", "secret-key-1"};
};

TEST_F(JwtTest, AcceptsHs256AndHs512) {
  for (auto alg : {HmacAlg::sha256, HmacAlg::sha512}) {
    const auto token = JwtVerifier::sign("access-key-1", "secret-key-1", "nonce-1", alg);
    const auto r = verifier.verify_header("Bearer " + token);
    EXPECT_TRUE(r.ok()) << to_string(r.error);
    EXPECT_EQ(r.claims.nonce, "nonce-1");
    EXPECT_EQ(r.claims.alg, alg);
  }
}

TEST_F(JwtTest, RejectsWhatUpbitRejects) {
  EXPECT_EQ(verifier.verify_header("").error, AuthErrc::no_authorization_token);
  EXPECT_EQ(verifier.verify_header("Basic abc").error, AuthErrc::no_authorization_token);
  EXPECT_EQ(verifier.verify_header("Bearer not.a.jwt").error, AuthErrc::jwt_verification);
  EXPECT_EQ(verifier.verify_header("Bearer abc").error, AuthErrc::jwt_verification);
  const auto wrong_secret = JwtVerifier::sign("access-key-1", "other-secret", "n");
  EXPECT_EQ(verifier.verify_header("Bearer " + wrong_secret).error, AuthErrc::jwt_verification);
  const auto wrong_key = JwtVerifier::sign("access-key-2", "secret-key-1", "n");
  EXPECT_EQ(verifier.verify_header("Bearer " + wrong_key).error, AuthErrc::invalid_access_key);
  const auto no_nonce = JwtVerifier::sign("access-key-1", "secret-key-1", "");
  EXPECT_EQ(verifier.verify_header("Bearer " + no_nonce).error, AuthErrc::jwt_verification);
  // alg "none" is never accepted, even with the right claims.
  const std::string none = base64url_encode(R"({"alg":"none","typ":"JWT"})") + "." +
                           base64url_encode(R"({"access_key":"access-key-1","nonce":"x"})") + ".";
  EXPECT_EQ(verifier.verify_token(none).error, AuthErrc::jwt_verification);
  // A flipped signature byte fails.
  auto token = JwtVerifier::sign("access-key-1", "secret-key-1", "n");
  token.back() = token.back() == 'A' ? 'B' : 'A';
  EXPECT_EQ(verifier.verify_token(token).error, AuthErrc::jwt_verification);
}

TEST_F(JwtTest, ChecksTheQueryHash) {
  const std::string query = "market=KRW-BTC&states[]=wait&states[]=watch";
  const auto token = JwtVerifier::sign("access-key-1", "secret-key-1", "n", HmacAlg::sha256, query);
  EXPECT_TRUE(verifier.verify_request("Bearer " + token, query).ok());
  // Same request with [] percent-encoded on the wire.
  EXPECT_TRUE(
      verifier
          .verify_request("Bearer " + token, "market=KRW-BTC&states%5B%5D=wait&states%5B%5D=watch")
          .ok());
  EXPECT_EQ(verifier.verify_request("Bearer " + token, "market=KRW-ETH").error,
            AuthErrc::invalid_query_payload);
  const auto no_hash = JwtVerifier::sign("access-key-1", "secret-key-1", "n");
  EXPECT_EQ(verifier.verify_request("Bearer " + no_hash, query).error,
            AuthErrc::invalid_query_payload);
  EXPECT_TRUE(verifier.verify_request("Bearer " + no_hash, "").ok());
}

TEST(NonceRegistry, RejectsRepeatsAndForgetsOldest) {
  NonceRegistry r(2);
  EXPECT_TRUE(r.insert("a"));
  EXPECT_FALSE(r.insert("a"));
  EXPECT_TRUE(r.insert("b"));
  EXPECT_TRUE(r.insert("c"));  // evicts "a"
  EXPECT_TRUE(r.insert("a"));
  EXPECT_FALSE(r.insert("c"));
}

TEST(Subscription, ParsesUpbitRequests) {
  auto r = parse_request(
      R"([{"ticket":"t1"},{"type":"myOrder","codes":["KRW-BTC","KRW-ETH"]},{"format":"SIMPLE"}])");
  ASSERT_EQ(r.kind, ParsedRequest::Kind::subscribe) << r.message;
  EXPECT_EQ(r.subscription.ticket, "t1");
  EXPECT_EQ(r.subscription.format, StreamFormat::simple);
  EXPECT_TRUE(r.subscription.wants_order("KRW-BTC"));
  EXPECT_FALSE(r.subscription.wants_order("KRW-XRP"));

  r = parse_request(R"([{"ticket":"t"},{"type":"myOrder","codes":[]},{"format":"JSON_LIST"}])");
  ASSERT_EQ(r.kind, ParsedRequest::Kind::subscribe);
  EXPECT_TRUE(r.subscription.wants_order("KRW-XRP"));
  EXPECT_EQ(r.subscription.format, StreamFormat::full_list);

  r = parse_request(R"([{"ticket":"t"},{"type":"myAsset"}])");
  ASSERT_EQ(r.kind, ParsedRequest::Kind::subscribe);
  EXPECT_FALSE(r.subscription.wants_order("KRW-BTC"));

  r = parse_request(R"([{"method":"LIST_SUBSCRIPTIONS"},{"ticket":"x"}])");
  ASSERT_EQ(r.kind, ParsedRequest::Kind::list_subscriptions);
  EXPECT_EQ(r.ticket, "x");
}

TEST(Subscription, ReportsUpbitErrorNames) {
  auto err = [](std::string_view text) { return parse_request(text).error; };
  EXPECT_EQ(err("not json"), SubErrc::WRONG_FORMAT);
  EXPECT_EQ(err(R"({"ticket":"t"})"), SubErrc::WRONG_FORMAT);
  EXPECT_EQ(err(R"([{"type":"myOrder"}])"), SubErrc::NO_TICKET);
  EXPECT_EQ(err(R"([{"ticket":"t"}])"), SubErrc::NO_TYPE);
  EXPECT_EQ(err(R"([{"ticket":"t"},{"type":"myAsset","codes":["KRW-BTC"]}])"),
            SubErrc::WRONG_FORMAT);
  EXPECT_EQ(err(R"([{"ticket":"t"},{"type":"myOrder","codes":["krw-btc"]}])"),
            SubErrc::INVALID_PARAM);
  EXPECT_EQ(err(R"([{"ticket":"t"},{"type":"myOrder"},{"format":"XML"}])"), SubErrc::INVALID_PARAM);
  EXPECT_EQ(err(R"([{"ticket":"t"},{"type":"ticker"}])"), SubErrc::NO_CODES);
  EXPECT_EQ(err(R"([{"ticket":"t"},{"type":"myOrder","codes":"KRW-BTC"}])"), SubErrc::WRONG_FORMAT);
  EXPECT_EQ(err(R"([{"ticket":"t"},{"type":"myOrder","is_only_realtime":"yes"}])"),
            SubErrc::WRONG_FORMAT);
}

TEST(Subscription, ErrorAndListFrames) {
  EXPECT_EQ(error_frame("INVALID_AUTH", "Jwt token is invalid."),
            R"({"error":{"name":"INVALID_AUTH","message":"Jwt token is invalid."}})");
  auto r = parse_request(R"([{"ticket":"t"},{"type":"myOrder","codes":["KRW-BTC"]}])");
  EXPECT_EQ(
      list_subscriptions_frame(&r.subscription, "x"),
      R"({"method":"LIST_SUBSCRIPTIONS","result":[{"type":"myOrder","codes":["KRW-BTC"]}],"ticket":"x"})");
}

TEST(Market, UpbitKrwTicks) {
  EXPECT_EQ(krw_tick(fx_from_int(130'000'000)), fx_from_int(1000));
  EXPECT_EQ(krw_tick(fx_from_int(1'000'000)), fx_from_int(1000));
  EXPECT_EQ(krw_tick(fx_from_int(999'999)), fx_from_int(500));
  EXPECT_EQ(krw_tick(fx_from_int(241'300)), fx_from_int(100));
  EXPECT_EQ(krw_tick(fx_from_int(60'000)), fx_from_int(50));
  EXPECT_EQ(krw_tick(fx_from_int(21'450)), fx_from_int(10));
  EXPECT_EQ(krw_tick(fx_from_int(7'000)), fx_from_int(5));
  EXPECT_EQ(krw_tick(fx_from_int(3'120)), fx_from_int(1));
  EXPECT_EQ(krw_tick(fx_from_int(48)), kFxOne / 10);
  for (const auto& m : kMarkets)
    EXPECT_EQ(m.start_price % krw_tick(m.start_price), 0) << m.code;
}

TEST(WsFrame, ParsesMaskedClientFramesOfEveryLengthForm) {
  for (std::size_t n : {0u, 5u, 125u, 126u, 65535u, 65536u}) {
    std::string payload(n, 'x');
    for (std::size_t i = 0; i < n; ++i)
      payload[i] = static_cast<char>('a' + i % 26);
    std::string wire;
    append_client_frame(wire, WsOpcode::text, payload, 0xA1B2C3D4);
    WsFrame f;
    std::size_t used = 0;
    // Every strict prefix is incomplete.
    for (std::size_t cut : {std::size_t{0}, std::size_t{1}, wire.size() / 2, wire.size() - 1}) {
      if (cut < wire.size()) {
        EXPECT_EQ(parse_client_frame(wire.data(), cut, 1 << 20, f, used), WsParse::need_more);
      }
    }
    ASSERT_EQ(parse_client_frame(wire.data(), wire.size(), 1 << 20, f, used), WsParse::frame);
    EXPECT_EQ(used, wire.size());
    EXPECT_EQ(f.opcode, WsOpcode::text);
    EXPECT_EQ(f.payload, payload);
  }
}

TEST(WsFrame, RejectsUnmaskedOversizedAndBadControlFrames) {
  std::string server;
  append_frame(server, WsOpcode::text, std::string("hi"));
  EXPECT_EQ(server, std::string("\x81\x02hi", 4));
  WsFrame f;
  std::size_t used = 0;
  EXPECT_EQ(parse_client_frame(server.data(), server.size(), 100, f, used), WsParse::not_masked);
  std::string big;
  append_client_frame(big, WsOpcode::binary, std::string(200, 'a'), 1);
  EXPECT_EQ(parse_client_frame(big.data(), big.size(), 100, f, used), WsParse::too_big);
  std::string ping;
  append_client_frame(ping, WsOpcode::ping, std::string(126, 'p'), 1);
  EXPECT_EQ(parse_client_frame(ping.data(), ping.size(), 1000, f, used), WsParse::protocol_error);
  std::string header;
  append_frame_header(header, WsOpcode::binary, 70000);
  EXPECT_EQ(header.size(), 10u);
  EXPECT_EQ(static_cast<unsigned char>(header[0]), 0x82u);
}

}  // namespace
}  // namespace fillwire::sim
