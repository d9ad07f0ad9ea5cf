// MarketTable interning and History's ring, in isolation.

#include "fillwire/detail/market_table.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <set>
#include <stdexcept>
#include <string>

#include "fillwire/detail/history.hpp"

namespace fillwire {
namespace {

MarketCode code(const std::string& text) {
  MarketCode c;
  EXPECT_TRUE(c.assign(text));
  return c;
}

TEST(MarketTable, InternsEachCodeOnceUpToCapacity) {
  MarketTable t(MarketTable::kMaxCapacity);
  std::set<std::uint16_t> numbers;
  // Codes that share long prefixes, as real ones do ("KRW-...", "BTC-...", "USDT-...").
  for (std::size_t i = 0; i < MarketTable::kMaxCapacity; ++i) {
    const std::string name = std::string(i % 3 == 0   ? "KRW-"
                                         : i % 3 == 1 ? "BTC-"
                                                      : "USDT-") +
                             "C" + std::to_string(i);
    const std::uint16_t m = t.intern(code(name));
    ASSERT_NE(m, MarketTable::kNoMarket) << name;
    EXPECT_TRUE(numbers.insert(m).second) << name;
    EXPECT_EQ(t.intern(code(name)), m);
    EXPECT_EQ(t.code(m).view(), name);
  }
  EXPECT_EQ(t.size(), MarketTable::kMaxCapacity);
  EXPECT_EQ(t.intern(code("KRW-ONE-MORE")), MarketTable::kNoMarket);
  EXPECT_EQ(t.find(code("KRW-ONE-MORE")), MarketTable::kNoMarket);
  EXPECT_EQ(t.find(code("KRW-C0")), t.intern(code("KRW-C0")));
}

TEST(MarketTable, PrefixesAndLengthsAreDistinct) {
  MarketTable t(8);
  const std::uint16_t a = t.intern(code("KRW-BT"));
  const std::uint16_t b = t.intern(code("KRW-BTC"));
  const std::uint16_t c = t.intern(code(""));
  EXPECT_NE(a, b);
  EXPECT_NE(b, c);
  EXPECT_EQ(t.find(code("KRW-BTC")), b);
  EXPECT_EQ(t.find(code("KRW-BTD")), MarketTable::kNoMarket);
  EXPECT_THROW(MarketTable(0), std::invalid_argument);
}

TEST(History, CapacityZeroKeepsNothing) {
  History h(0);
  OrderEvent e;
  std::memset(&e, 0, sizeof e);
  h.push(e) = ApplyOutcome::stale;
  EXPECT_EQ(h.size(), 0u);
  EXPECT_EQ(h.capacity(), 0u);
}

TEST(History, KeepsTheNewestInOrder) {
  History h(3);  // rounded up to 4
  ASSERT_EQ(h.capacity(), 4u);
  OrderEvent e;
  std::memset(&e, 0, sizeof e);
  for (std::uint64_t i = 1; i <= 6; ++i) {
    e.seq = i;
    h.push(e) = i % 2 == 0 ? ApplyOutcome::duplicate : ApplyOutcome::applied;
  }
  ASSERT_EQ(h.size(), 4u);
  for (std::size_t i = 0; i < 4; ++i) {
    EXPECT_EQ(h.event(i).seq, i + 3);
    EXPECT_EQ(h.outcome(i), (i + 3) % 2 == 0 ? ApplyOutcome::duplicate : ApplyOutcome::applied);
  }
}

}  // namespace
}  // namespace fillwire
