#include "fillwire/order_ring.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>
#include <cstring>
#include <random>
#include <thread>
#include <vector>

#include "../support/frames.hpp"
#include "fillwire/decoder.hpp"
#include "fillwire/wait_strategy.hpp"

namespace fillwire {
namespace {

// ---- single-thread contract
// ----------------------------------------------------------------------

TEST(OrderRing, RejectsCapacitiesThatAreNotPowersOfTwoAndSaysWhich) {
  for (std::size_t bad : {std::size_t{0}, std::size_t{1}, std::size_t{3}, std::size_t{1000},
                          std::size_t{4097}, (std::size_t{1} << 33)}) {
    try {
      OrderRing<> ring(bad);
      ADD_FAILURE() << "capacity " << bad << " was accepted";
    } catch (const RingCapacityError& e) {
      EXPECT_EQ(e.requested(), bad);
      EXPECT_NE(std::string(e.what()).find(std::to_string(bad)), std::string::npos) << e.what();
    }
  }
  for (std::size_t good : {std::size_t{2}, std::size_t{4}, std::size_t{1024}}) {
    OrderRing<> ring(good);
    EXPECT_EQ(ring.capacity(), good);
    EXPECT_TRUE(ring.empty());
  }
}

TEST(OrderRing, SlotsAreCacheLineAligned) {
  OrderRing<> ring(8);
  for (int i = 0; i < 8; ++i) {
    OrderEvent* slot = ring.try_claim();
    ASSERT_NE(slot, nullptr);
    EXPECT_EQ(reinterpret_cast<std::uintptr_t>(slot) % 64, 0u);
    ring.publish();
  }
}

// The producer's payload here is recv_ts, its own field; seq is the ring's: the number of events
// published before the event, whatever the slot held.
TEST(OrderRing, ClaimPublishDrainKeepsOrderAndNumbersEachEvent) {
  OrderRing<BusySpin> ring(16);
  for (std::uint64_t i = 0; i < 10; ++i) {
    OrderEvent& e = ring.claim();
    e.recv_ts = i;
    e.price = static_cast<double>(i) * 1.5;
    ring.publish();
  }
  EXPECT_EQ(ring.size_approx(), 10u);
  std::vector<std::uint64_t> seen;
  const std::size_t n = ring.drain(
      [&](const OrderEvent& e) noexcept {
        EXPECT_EQ(e.price, static_cast<double>(e.recv_ts) * 1.5);
        EXPECT_EQ(e.seq, seen.size());
        seen.push_back(e.recv_ts);
      },
      100);
  EXPECT_EQ(n, 10u);
  ASSERT_EQ(seen.size(), 10u);
  for (std::uint64_t i = 0; i < 10; ++i)
    EXPECT_EQ(seen[i], i);
  EXPECT_TRUE(ring.empty());
  EXPECT_EQ(ring.drain([](const OrderEvent&) noexcept {}, 100), 0u);
}

TEST(OrderRing, FullRingRefusesTryClaimUntilTheConsumerFreesASlot) {
  OrderRing<> ring(4);
  for (std::uint64_t i = 0; i < 4; ++i) {
    OrderEvent* slot = ring.try_claim();
    ASSERT_NE(slot, nullptr) << i;
    slot->recv_ts = i;
    ring.publish();
  }
  EXPECT_EQ(ring.try_claim(), nullptr);
  EXPECT_EQ(ring.try_claim(), nullptr);
  EXPECT_EQ(ring.size_approx(), 4u);

  std::uint64_t first = 99;
  EXPECT_EQ(ring.drain([&](const OrderEvent& e) noexcept { first = e.recv_ts; }, 1), 1u);
  EXPECT_EQ(first, 0u);
  OrderEvent* slot = ring.try_claim();
  ASSERT_NE(slot, nullptr);
  slot->recv_ts = 4;
  ring.publish();
  EXPECT_EQ(ring.try_claim(), nullptr);

  std::vector<std::uint64_t> rest;
  EXPECT_EQ(ring.drain([&](const OrderEvent& e) noexcept { rest.push_back(e.recv_ts); }, 10), 4u);
  EXPECT_EQ(rest, (std::vector<std::uint64_t>{1, 2, 3, 4}));
  EXPECT_EQ(ring.counters().stalls, 0u) << "try_claim never waits, so it never stalls";
}

TEST(OrderRing, UnpublishedClaimIsReturnedAgain) {
  OrderRing<> ring(4);
  OrderEvent* a = ring.try_claim();
  ASSERT_NE(a, nullptr);
  a->recv_ts = 111;
  OrderEvent* b = ring.try_claim();
  EXPECT_EQ(a, b);
  EXPECT_EQ(&ring.claim(), a);
  EXPECT_TRUE(ring.empty()) << "a claim alone publishes nothing";
  EXPECT_EQ(ring.drain([](const OrderEvent&) noexcept { ADD_FAILURE(); }, 10), 0u);
  ring.claim().recv_ts = 7;
  ring.publish();
  EXPECT_NE(ring.try_claim(), a);
  std::uint64_t got = 0;
  std::uint64_t seq = 99;
  EXPECT_EQ(ring.drain(
                [&](const OrderEvent& e) noexcept {
                  got = e.recv_ts;
                  seq = e.seq;
                },
                10),
            1u);
  EXPECT_EQ(got, 7u);
  EXPECT_EQ(seq, 0u) << "the first event published, however often its slot was claimed";
}

TEST(OrderRing, DrainHonoursTheBatchLimit) {
  OrderRing<> ring(64);
  for (std::uint64_t i = 0; i < 50; ++i) {
    ring.claim().recv_ts = i;
    ring.publish();
  }
  std::uint64_t expected = 0;
  std::vector<std::size_t> batches;
  for (std::size_t n;
       (n = ring.drain([&](const OrderEvent& e) noexcept { EXPECT_EQ(e.recv_ts, expected++); },
                       16)) != 0;) {
    batches.push_back(n);
    EXPECT_EQ(ring.counters().drained, expected) << "head is published at the end of each batch";
  }
  EXPECT_EQ(batches, (std::vector<std::size_t>{16, 16, 16, 2}));
  EXPECT_EQ(expected, 50u);
}

TEST(OrderRing, WrapsAroundManyTimesWithCounters) {
  OrderRing<> ring(8);
  std::mt19937_64 rng(7);
  std::uint64_t next_in = 0;
  std::uint64_t next_out = 0;
  for (int round = 0; round < 2000; ++round) {
    const std::size_t burst = rng() % 9;  // 0..8: up to a full ring
    for (std::size_t i = 0; i < burst; ++i) {
      OrderEvent* slot = ring.try_claim();
      if (slot == nullptr) break;
      slot->recv_ts = next_in++;
      ring.publish();
    }
    ring.drain(
        [&](const OrderEvent& e) noexcept {
          EXPECT_EQ(e.seq, next_out);
          EXPECT_EQ(e.recv_ts, next_out++);
        },
        1 + rng() % 8);
  }
  ring.drain([&](const OrderEvent& e) noexcept { EXPECT_EQ(e.recv_ts, next_out++); }, 8);
  EXPECT_EQ(next_in, next_out);
  const RingCounters c = ring.counters();
  EXPECT_EQ(c.published, next_in);
  EXPECT_EQ(c.drained, next_out);
  EXPECT_GT(next_in, 8u * 100) << "the ring must have wrapped many times";
}

// The ring satisfies EventSink: the decoder writes straight into the claimed slot; a frame that
// fails leaves its claim unpublished and the next frame reuses the slot.
TEST(OrderRing, DecoderWritesIntoSlotsAndFailedFramesPublishNothing) {
  OrderRing<> ring(4);
  Decoder decoder;
  const auto lines = test::read_lines("lifecycle-default.jsonl");
  ASSERT_GE(lines.size(), 2u);

  test::PaddedFrame good(lines[0]);
  OrderEvent* first_slot = ring.try_claim();
  FrameResult r = decoder.decode(good.data(), good.size(), EventSink(ring));
  ASSERT_TRUE(r.error.ok()) << to_string(r.error.code);
  EXPECT_EQ(r.events, 1u);

  test::PaddedFrame bad(R"({"type":"myOrder","code":"KRW-BTC","uuid":"not-a-uuid"})");
  OrderEvent* second_slot = ring.try_claim();
  EXPECT_NE(second_slot, first_slot);
  r = decoder.decode(bad.data(), bad.size(), EventSink(ring));
  EXPECT_FALSE(r.error.ok());
  EXPECT_EQ(ring.size_approx(), 1u);
  EXPECT_EQ(ring.try_claim(), second_slot) << "the failed frame's claim is handed out again";

  test::PaddedFrame next(lines[1]);
  r = decoder.decode(next.data(), next.size(), EventSink(ring));
  ASSERT_TRUE(r.error.ok());

  OrderEvent direct0{};
  OrderEvent direct1{};
  ASSERT_TRUE(test::decode_one(decoder, lines[0], direct0).error.ok());
  ASSERT_TRUE(test::decode_one(decoder, lines[1], direct1).error.ok());
  std::vector<const OrderEvent*> expected{&direct0, &direct1};
  std::size_t i = 0;
  EXPECT_EQ(ring.drain(
                [&](const OrderEvent& e) noexcept {
                  const OrderEvent& want = *expected[i++];
                  EXPECT_EQ(e.uuid, want.uuid);
                  EXPECT_EQ(e.state, want.state);
                  EXPECT_EQ(e.executed_volume, want.executed_volume);
                  EXPECT_EQ(e.timestamp, want.timestamp);
                  EXPECT_EQ(e.present, want.present);
                },
                10),
            2u);
}

// ---- two threads
// -----------------------------------------------------------------------------------

// A blocked claim() counts exactly one stall and returns the slot freed by the consumer.
TEST(OrderRingThreads, ClaimOnAFullRingWaitsAndCountsOneStall) {
  OrderRing<Blocking> ring(4);
  for (std::uint64_t i = 0; i < 4; ++i) {
    ring.claim().recv_ts = i;
    ring.publish();
  }
  std::thread producer([&] {
    OrderEvent& slot = ring.claim();  // full: must wait for the drain below
    slot.recv_ts = 4;
    ring.publish();
  });
  while (ring.counters().stalls == 0)
    std::this_thread::yield();
  EXPECT_EQ(ring.size_approx(), 4u) << "nothing may be published while the ring is full";
  std::uint64_t first = 99;
  EXPECT_EQ(ring.drain([&](const OrderEvent& e) noexcept { first = e.recv_ts; }, 1), 1u);
  producer.join();
  EXPECT_EQ(first, 0u);
  EXPECT_EQ(ring.counters().stalls, 1u);
  std::vector<std::uint64_t> rest;
  EXPECT_EQ(ring.drain([&](const OrderEvent& e) noexcept { rest.push_back(e.recv_ts); }, 10), 4u);
  EXPECT_EQ(rest, (std::vector<std::uint64_t>{1, 2, 3, 4}));
}

#if defined(__SANITIZE_THREAD__)
constexpr std::uint64_t kStressEvents = 500'000;  // ThreadSanitizer runs ~10-50x slower
#else
constexpr std::uint64_t kStressEvents = 2'000'000;
#endif

// Payload derived from the event's number, in each of the slot's four lines: the consumer
// recomputes it to catch torn or stale slots (a slot read before its contents were published, or
// overwritten while being read). The producer writes everything but seq, which the ring stamps.
std::uint64_t mix(std::uint64_t x) noexcept {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdull;
  x ^= x >> 33;
  return x;
}
void fill(OrderEvent& e, std::uint64_t n) noexcept {
  e.recv_ts = mix(n);
  e.timestamp = static_cast<std::int64_t>(mix(n + 1) >> 1);
  e.price = static_cast<double>(n) * 0.25;
  for (std::size_t i = 0; i < 16; ++i)
    e.uuid.bytes[i] = static_cast<std::uint8_t>(n >> (i % 8));
  e.trades_count = static_cast<std::uint32_t>(n);
  std::uint64_t tail = mix(n + 2);
  std::memcpy(e.identifier.data + 37, &tail, sizeof tail);  // the slot's last cache line
}
std::uint64_t checksum(const OrderEvent& e) noexcept {
  std::uint64_t tail = 0;
  std::memcpy(&tail, e.identifier.data + 37, sizeof tail);
  return e.recv_ts ^ static_cast<std::uint64_t>(e.timestamp) ^ tail ^ e.trades_count;
}

template <class Wait>
class OrderRingStress : public ::testing::Test {};
using Strategies = ::testing::Types<BusySpin, SpinThenYield, Blocking>;
TYPED_TEST_SUITE(OrderRingStress, Strategies);

TYPED_TEST(OrderRingStress, MillionsOfEventsArriveInOrderIntact) {
  OrderRing<TypeParam> ring(64);  // small: full and empty rings are both frequent
  std::uint64_t produced_sum = 0;
  std::thread producer([&] {
    std::mt19937 rng(1);
    for (std::uint64_t n = 0; n < kStressEvents; ++n) {
      OrderEvent* slot = nullptr;
      if ((rng() & 3) == 0) {
        while ((slot = ring.try_claim()) == nullptr)
          cpu_relax();
      } else {
        slot = &ring.claim();
      }
      fill(*slot, n);
      produced_sum += checksum(*slot);
      ring.publish();
    }
  });

  std::mt19937 rng(2);
  std::uint64_t expected = 0;
  std::uint64_t consumed_sum = 0;
  std::uint64_t bad = 0;
  while (expected < kStressEvents) {
    const std::size_t n = ring.drain(
        [&](const OrderEvent& e) noexcept {
          if (e.seq != expected || e.recv_ts != mix(expected) ||
              e.price != static_cast<double>(expected) * 0.25 ||
              e.trades_count != static_cast<std::uint32_t>(expected)) {
            ++bad;
          }
          consumed_sum += checksum(e);
          ++expected;
        },
        1 + rng() % 100);
    if (n == 0) ring.wait_readable([]() noexcept { return false; });
  }
  producer.join();
  EXPECT_EQ(bad, 0u);
  EXPECT_EQ(expected, kStressEvents);
  EXPECT_EQ(consumed_sum, produced_sum);
  EXPECT_TRUE(ring.empty());
  const RingCounters c = ring.counters();
  EXPECT_EQ(c.published, kStressEvents);
  EXPECT_EQ(c.drained, kStressEvents);
}

}  // namespace
}  // namespace fillwire
