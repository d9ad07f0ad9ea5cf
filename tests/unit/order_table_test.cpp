// OrderTable against a reference model (std::unordered_map + deque) under random churn: lookups,
// the dense open list, completed-ring eviction order, and backward-shift deletion in a crowded
// index.

#include "fillwire/detail/order_table.hpp"

#include <gtest/gtest.h>

#include <deque>
#include <random>
#include <stdexcept>
#include <unordered_map>
#include <vector>

namespace fillwire {
namespace {

struct UuidHash {
  std::size_t operator()(const Uuid& u) const noexcept {
    return static_cast<std::size_t>(u.hash());
  }
};

Uuid random_uuid(std::mt19937_64& rng) {
  Uuid u;
  for (auto& b : u.bytes)
    b = static_cast<std::uint8_t>(rng());
  return u;
}

TEST(OrderTable, CapacitiesRoundUpToPowersOfTwo) {
  OrderTable t(5, 3);
  EXPECT_EQ(t.open_capacity(), 8u);
  EXPECT_EQ(t.completed_capacity(), 4u);
  EXPECT_EQ(t.index_capacity(), 32u);  // >= 2 * (8 + 4)
  EXPECT_THROW(OrderTable(0, 4), std::invalid_argument);
}

TEST(OrderTable, RandomChurnMatchesReferenceModel) {
  std::mt19937_64 rng{99};
  OrderTable t(64, 32);
  std::unordered_map<Uuid, bool, UuidHash> open;  // uuid -> present
  std::vector<Uuid> open_list;
  std::deque<Uuid> completed;
  std::vector<Uuid> evicted;
  std::uint64_t evictions = 0;

  for (int step = 0; step < 200000; ++step) {
    const auto op = rng() % 10;
    if (op < 5) {  // new order, open or terminal
      const Uuid id = random_uuid(rng);
      const bool terminal = (rng() % 4) == 0;
      Order* o = t.insert(id, terminal);
      if (!terminal && open_list.size() == 64) {
        EXPECT_EQ(o, nullptr);
        continue;
      }
      ASSERT_NE(o, nullptr);
      EXPECT_EQ(o->uuid, id);
      if (terminal) {
        if (completed.size() == 32) {
          evicted.push_back(completed.front());
          completed.pop_front();
          ++evictions;
        }
        completed.push_back(id);
      } else {
        open_list.push_back(id);
      }
    } else if (!open_list.empty()) {  // complete a random open order
      const std::size_t i = static_cast<std::size_t>(rng() % open_list.size());
      Order* o = t.find(open_list[i]);
      ASSERT_NE(o, nullptr);
      t.complete(*o);
      if (completed.size() == 32) {
        evicted.push_back(completed.front());
        completed.pop_front();
        ++evictions;
      }
      completed.push_back(open_list[i]);
      open_list[i] = open_list.back();
      open_list.pop_back();
    }
    if (step % 1000 == 0) {
      ASSERT_EQ(t.open_size(), open_list.size());
      ASSERT_EQ(t.completed_size(), completed.size());
      ASSERT_EQ(t.evictions(), evictions);
      for (const Uuid& id : open_list) {
        const Order* o = t.find(id);
        ASSERT_NE(o, nullptr);
        EXPECT_TRUE(o->is_open());
      }
      for (std::size_t k = 0; k < completed.size(); ++k) {
        const Order* o = t.find(completed[k]);
        ASSERT_NE(o, nullptr);
        EXPECT_TRUE(o->terminal);
        EXPECT_EQ(t.completed(k).uuid, completed[k]);
      }
      for (const Uuid& id : evicted)
        EXPECT_EQ(t.find(id), nullptr);
      evicted.clear();
      std::unordered_map<Uuid, int, UuidHash> listed;
      for (std::size_t k = 0; k < t.open_size(); ++k)
        ++listed[t.open(k).uuid];
      ASSERT_EQ(listed.size(), open_list.size());
      for (const Uuid& id : open_list)
        EXPECT_EQ(listed[id], 1);
    }
  }
  EXPECT_GT(evictions, 1000u);
}

TEST(OrderTable, BackwardShiftKeepsCollidingKeysReachable) {
  // Find keys whose home buckets coincide, so they form one cluster, then delete from its middle.
  std::mt19937_64 rng{5};
  OrderTable t(4, 4);  // index of 16 slots
  const std::size_t mask = t.index_capacity() - 1;
  std::vector<Uuid> same_home;
  const Uuid first = random_uuid(rng);
  same_home.push_back(first);
  while (same_home.size() < 5) {
    const Uuid u = random_uuid(rng);
    if ((u.hash() & mask) == (first.hash() & mask)) same_home.push_back(u);
  }
  for (std::size_t i = 0; i < 4; ++i)
    ASSERT_NE(t.insert(same_home[i], false), nullptr);
  // Completing moves records but keeps keys; evicting from the completed ring deletes keys.
  for (std::size_t i = 0; i < 4; ++i)
    t.complete(*t.find(same_home[i]));
  ASSERT_NE(t.insert(same_home[4], true), nullptr);  // evicts same_home[0], head of the cluster
  EXPECT_EQ(t.find(same_home[0]), nullptr);
  for (std::size_t i = 1; i < 5; ++i)
    EXPECT_NE(t.find(same_home[i]), nullptr) << i;
  for (int i = 0; i < 4; ++i)
    ASSERT_NE(t.insert(random_uuid(rng), true), nullptr);
  for (std::size_t i = 0; i < 5; ++i)
    EXPECT_EQ(t.find(same_home[i]), nullptr) << i;
  EXPECT_EQ(t.completed_size(), 4u);
}

}  // namespace
}  // namespace fillwire
