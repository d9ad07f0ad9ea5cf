#include "fillwire/uuid.hpp"

#include <gtest/gtest.h>

#include <random>

namespace fillwire {
namespace {

TEST(Uuid, ParsesAndPrintsCanonicalForm) {
  Uuid u{};
  ASSERT_TRUE(Uuid::parse("ac2dc2a3-fce9-40a2-a4f6-5987c25c438f", u));
  EXPECT_EQ(u.bytes[0], 0xac);
  EXPECT_EQ(u.bytes[15], 0x8f);
  EXPECT_EQ(u.to_string(), "ac2dc2a3-fce9-40a2-a4f6-5987c25c438f");
}

TEST(Uuid, AcceptsUpperCaseAndPrintsLowerCase) {
  Uuid u{};
  ASSERT_TRUE(Uuid::parse("AC2DC2A3-FCE9-40A2-A4F6-5987C25C438F", u));
  EXPECT_EQ(u.to_string(), "ac2dc2a3-fce9-40a2-a4f6-5987c25c438f");
}

TEST(Uuid, RejectsMalformedText) {
  Uuid u{};
  EXPECT_FALSE(Uuid::parse("", u));
  EXPECT_FALSE(Uuid::parse("ac2dc2a3-fce9-40a2-a4f6-5987c25c438", u));    // 35 chars
  EXPECT_FALSE(Uuid::parse("ac2dc2a3-fce9-40a2-a4f6-5987c25c438ff", u));  // 37 chars
  EXPECT_FALSE(Uuid::parse("ac2dc2a3xfce9-40a2-a4f6-5987c25c438f", u));   // dash misplaced
  EXPECT_FALSE(Uuid::parse("ac2dc2a3-fce9-40a2-a4f6-5987c25c43g8", u));   // non-hex
  EXPECT_FALSE(Uuid::parse("ac2dc2a3fce940a2a4f65987c25c438f", u));       // no dashes
}

TEST(Uuid, RejectsEveryNonHexByteAtEveryPosition) {
  const std::string good = "ac2dc2a3-fce9-40a2-a4f6-5987c25c438f";
  for (std::size_t pos = 0; pos < good.size(); ++pos) {
    if (good[pos] == '-') continue;
    for (int c = 0; c < 256; ++c) {
      const bool hex = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
      std::string s = good;
      s[pos] = static_cast<char>(c);
      Uuid u{};
      EXPECT_EQ(Uuid::parse(s, u), hex) << "position " << pos << " byte " << c;
    }
  }
}

TEST(Uuid, RoundTripsRandomValues) {
  std::mt19937_64 rng(42);
  for (int i = 0; i < 1000; ++i) {
    Uuid a{};
    for (auto& b : a.bytes)
      b = static_cast<std::uint8_t>(rng());
    Uuid b{};
    ASSERT_TRUE(Uuid::parse(a.to_string(), b));
    EXPECT_EQ(a, b);
    EXPECT_EQ(a.hash(), b.hash());
  }
}

TEST(Uuid, NilIsDefault) {
  EXPECT_TRUE(Uuid{}.is_nil());
  Uuid u{};
  ASSERT_TRUE(Uuid::parse("00000000-0000-0000-0000-000000000001", u));
  EXPECT_FALSE(u.is_nil());
}

}  // namespace
}  // namespace fillwire
