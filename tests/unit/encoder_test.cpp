#include "fillwire/encoder.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <random>

#include "../support/frames.hpp"
#include "../support/random_event.hpp"
#include "fillwire/decoder.hpp"

namespace fillwire {
namespace {

using test::decode_one;

// Compares the parts of two events that travel on the wire (not seq / recv_ts).
void expect_same_wire_event(const OrderEvent& a, const OrderEvent& b) {
  constexpr std::size_t kWireBegin = offsetof(OrderEvent, price);
  EXPECT_EQ(std::memcmp(reinterpret_cast<const char*>(&a) + kWireBegin,
                        reinterpret_cast<const char*>(&b) + kWireBegin, sizeof a - kWireBegin),
            0)
      << encode(a) << "\n"
      << encode(b);
}

TEST(Encoder, SeedFrameRoundTripsInBothForms) {
  Decoder d;
  OrderEvent e{};
  ASSERT_TRUE(decode_one(d, test::read_file("myorder-trade-default.json"), e).error.ok());
  for (const auto format : {WireFormat::full, WireFormat::simple}) {
    OrderEvent back{};
    const auto r = decode_one(d, encode(e, format), back);
    ASSERT_TRUE(r.error.ok()) << to_string(r.error.code) << " " << field_name(r.error.field);
    expect_same_wire_event(e, back);
  }
}

TEST(Encoder, WritesTheExchangeFieldOrderAndNulls) {
  Decoder d;
  OrderEvent e{};
  ASSERT_TRUE(decode_one(d, test::read_file("myorder-trade-simple.json"), e).error.ok());
  const std::string json = encode(e, WireFormat::full);
  EXPECT_EQ(json.rfind(R"({"type":"myOrder","code":"KRW-BTC","uuid":"ac2dc2a3-)", 0), 0u) << json;
  EXPECT_NE(json.find(R"("time_in_force":null)"), std::string::npos) << json;
  EXPECT_NE(json.find(R"("price":0.001453,)"), std::string::npos) << json;
  EXPECT_NE(json.find(R"("volume":30925891.29839369,)"), std::string::npos) << json;
}

TEST(Encoder, RoundTripsGeneratedEvents) {
  Decoder d;
  for (std::uint64_t seed = 0; seed < 200; ++seed) {
    std::mt19937_64 rng(seed);
    for (int i = 0; i < 50; ++i) {
      const OrderEvent e = test::random_event(rng);
      for (const auto format : {WireFormat::full, WireFormat::simple}) {
        const std::string json = encode(e, format);
        ASSERT_FALSE(json.empty());
        OrderEvent back{};
        const auto r = decode_one(d, json, back);
        ASSERT_TRUE(r.error.ok()) << "seed " << seed << ": " << to_string(r.error.code) << " "
                                  << field_name(r.error.field) << "\n"
                                  << json;
        expect_same_wire_event(e, back);
      }
    }
  }
}

TEST(Encoder, CutIdentifierIsWrittenAsThePartKeptAndTheRestRoundTrips) {
  std::mt19937_64 rng(3);
  OrderEvent e = test::random_event(rng);
  const std::string whole = std::string(40, 'a') + "-" + std::string(20, 'b');  // 61 bytes
  e.identifier.assign(whole);
  e.present |= field_bit(Field::identifier);
  ASSERT_TRUE(e.identifier.cut());
  Decoder d;
  for (const auto format : {WireFormat::full, WireFormat::simple}) {
    const std::string json = encode(e, format);
    ASSERT_FALSE(json.empty());
    EXPECT_NE(json.find('"' + std::string(37, 'a') + '"'), std::string::npos) << json;
    OrderEvent back{};
    ASSERT_TRUE(decode_one(d, json, back).error.ok()) << json;
    EXPECT_FALSE(back.identifier.cut());
    EXPECT_EQ(back.identifier.view(), std::string(37, 'a'));
    // Everything but the identifier's flag and hash comes back exactly.
    OrderEvent want = e;
    ClientId kept{};
    kept.assign(e.identifier.view());
    want.identifier = kept;
    expect_same_wire_event(want, back);
  }
}

TEST(Encoder, ReportsBufferTooSmall) {
  std::mt19937_64 rng(1);
  const OrderEvent e = test::random_event(rng);
  char buf[16];
  EXPECT_EQ(encode(e, WireFormat::full, buf, sizeof buf), 0u);
}

}  // namespace
}  // namespace fillwire
