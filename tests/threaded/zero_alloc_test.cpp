// The hot path allocates nothing: claim -> decode a real frame into the slot -> publish -> drain,
// one million events after a warm-up, on one thread and across the pipeline's two threads.
// This executable replaces the global operator new/delete (tests/support/counting_allocator.cpp).

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "../support/counting_allocator.hpp"
#include "../support/counting_consumer.hpp"
#include "../support/frames.hpp"
#include "../support/nats_cluster.hpp"
#include "../support/scratch_dir.hpp"
#include "fillwire/control_event.hpp"
#include "fillwire/engine.hpp"
#include "fillwire/journal.hpp"
#include "fillwire/nats_publisher.hpp"
#include "fillwire/order_ring.hpp"
#include "fillwire/pipeline.hpp"
#include "fillwire/replay_source.hpp"

namespace fillwire {
namespace {

#if defined(__SANITIZE_THREAD__) || defined(__SANITIZE_ADDRESS__)
constexpr std::uint64_t kEvents = 100'000;  // sanitizers slow every access down
#else
constexpr std::uint64_t kEvents = 1'000'000;
#endif
constexpr std::uint64_t kWarmup = 10'000;

// Keeps the compiler from proving an allocation unused and removing it.
void escape(void* p) {
  asm volatile("" : : "g"(p) : "memory");
}

std::vector<std::string> scenario_with_a_bad_frame() {
  auto frames = test::read_lines("lifecycle-default.jsonl");
  frames.push_back(test::read_lines("bad-frames.jsonl").front());  // decode error path too
  return frames;
}

TEST(CountingAllocator, CountsEveryForm) {
  const test::AllocationScope scope;
  auto* a = new int(1);
  escape(a);
  delete a;
  auto* b = new int[4];
  escape(b);
  delete[] b;
  auto* c = new OrderEvent;  // aligned form (alignas(64))
  escape(c);
  delete c;
  auto* d = new (std::nothrow) double(2.0);
  escape(d);
  delete d;
  {
    std::string s(100, 'x');
    escape(s.data());
  }
  EXPECT_EQ(scope.allocations(), 5u);
}

// Polls `source` into `ring` and drains it through `handler` (which counts `drained`) until
// `events` more were drained.
template <class Handler>
void poll_and_drain(ReplaySource& source, OrderRing<>& ring, Handler& handler,
                    const std::uint64_t& drained, std::uint64_t events) {
  const std::uint64_t target = drained + events;
  while (drained < target) {
    for (int i = 0; i < 64; ++i)
      (void)source.poll(ring);
    while (ring.drain(handler, 256) != 0) {
    }
  }
}

TEST(ZeroAllocation, ClaimDecodePublishDrainOnOneThread) {
  OrderRing<> ring(1024);
  const auto frames = scenario_with_a_bad_frame();
  ReplaySource source(frames, ~std::uint64_t{0});
  std::uint64_t drained = 0;
  std::uint64_t seq_errors = 0;
  auto handler = [&](const OrderEvent& e) noexcept {
    if (e.seq != drained) ++seq_errors;
    ++drained;
  };
  auto run = [&](std::uint64_t events) { poll_and_drain(source, ring, handler, drained, events); };
  run(kWarmup);
  const std::uint64_t before = drained;
  const test::AllocationScope scope;
  run(kEvents);
  EXPECT_EQ(scope.allocations(), 0u);
  EXPECT_GE(drained - before, kEvents);
  EXPECT_EQ(seq_errors, 0u);
  EXPECT_GT(source.counters().failed_frames, 0u) << "the error path ran too";
}

// myAsset frames (object, list mixed with an order, a bad element) through the same hot path.
TEST(ZeroAllocation, AssetFramesDecodeWithoutAllocating) {
  OrderRing<> ring(1024);
  const std::string asset = test::read_lines("myasset-default.json").front();
  const std::string simple = test::read_lines("myasset-simple.json").front();
  const std::string order = test::read_lines("lifecycle-default.jsonl").front();
  std::string bad = simple;
  bad.replace(bad.find("0.005"), 5, "\"x\"");  // the second element's locked: wrong_type
  ReplaySource source({asset, "[" + order + "," + simple + "]", bad}, ~std::uint64_t{0});
  std::uint64_t drained = 0;
  std::uint64_t asset_events = 0;
  auto handler = [&](const OrderEvent& e) noexcept {
    ++drained;
    if (e.kind == EventKind::asset) ++asset_events;
  };
  auto run = [&](std::uint64_t events) { poll_and_drain(source, ring, handler, drained, events); };
  run(kWarmup);
  const std::uint64_t before = asset_events;
  const test::AllocationScope scope;
  run(kEvents / 10);
  EXPECT_EQ(scope.allocations(), 0u);
  EXPECT_GT(asset_events - before, kEvents / 20) << "four of every five events are asset events";
  EXPECT_GT(source.counters().failed_frames, 0u) << "the bad frame's path ran too";
}

// Records the allocation count when the warm-up ends and when the last event arrives.
struct AllocationProbe {
  std::uint64_t seen = 0;
  std::uint64_t at_warmup = 0;
  std::uint64_t at_end = 0;
  std::uint64_t total = 0;
  void on_event(const OrderEvent& /*e*/) noexcept {
    ++seen;
    if (seen == kWarmup) at_warmup = test::allocation_count();
    if (seen == total) at_end = test::allocation_count();
  }
};

TEST(ZeroAllocation, PipelineThreadsAllocateNothingInSteadyState) {
  const auto frames = scenario_with_a_bad_frame();
  const std::uint64_t good_per_round = frames.size() - 1;
  const std::uint64_t rounds = (kWarmup + kEvents) / good_per_round + 1;
  ReplaySource source(frames, rounds);
  AllocationProbe probe;
  probe.total = rounds * good_per_round;
  PipelineConfig config;
  config.ring_capacity = 1024;
  Pipeline<AllocationProbe, BusySpin> pipeline(probe, config);
  pipeline.start(source);
  pipeline.join();
  ASSERT_EQ(probe.seen, probe.total);
  EXPECT_GT(probe.at_warmup, 0u) << "the program allocated before (ring, threads)";
  EXPECT_EQ(probe.at_end, probe.at_warmup)
      << (probe.at_end - probe.at_warmup) << " allocations while " << (probe.total - kWarmup)
      << " events went through";
}

// The network thread's journaling (decode a frame, copy it into the journal) allocates nothing on
// that thread, whether a NatsPublisher follows the journal and publishes it to a real nats-server
// meanwhile or not: the publisher's work (and nats.c's) stays on their own threads.
class JournalingHotThread : public ::testing::TestWithParam<bool> {};

TEST_P(JournalingHotThread, AllocatesNothingWithPublishingOnOrOff) {
  const bool publishing = GetParam();
  test::ScratchDir dir("fillwire-zero-alloc-nats");
  std::optional<test::NatsCluster> nats;
  if (publishing) nats.emplace(1, dir.path() / "nats");
  Journal journal(
      JournalConfig{(dir.path() / "j.fwj").string(), 1u << 30, 2, 8u << 20, 1u << 16, 1});
  std::optional<NatsPublisher> publisher;
  if (publishing) {
    NatsPublisherConfig pc;
    pc.nats.servers = nats->urls();
    pc.nats.account = "zero-alloc";
    publisher.emplace(journal, pc);
  }
  JournalProducer& producer = journal.make_producer();
  const auto frames = test::read_lines("lifecycle-default.jsonl");
  std::vector<test::PaddedFrame> padded;
  for (const std::string& f : frames)
    padded.emplace_back(f);
  constexpr std::uint64_t kRecords = kEvents / 10;
  std::uint64_t hot_allocations = 0;
  std::uint64_t journaled = 0;
  std::thread hot([&] {
    Decoder decoder;
    OrderRing<BusySpin> ring(1024);
    const auto one = [&](std::uint64_t i) {
      const test::PaddedFrame& f = padded[i % padded.size()];
      (void)decoder.decode(f.data(), f.size(), EventSink(ring));
      (void)ring.drain([](const OrderEvent&) noexcept {}, 1024);
      // The journal may be full for a moment: the record is dropped and counted, never waited on.
      if (producer.record(JournalKind::frame, f.data(), f.size(), now_ticks())) ++journaled;
      if (i % 64 == 0) std::this_thread::sleep_for(std::chrono::microseconds(50));
    };
    for (std::uint64_t i = 0; i < kWarmup; ++i)
      one(i);
    const std::uint64_t before = test::thread_allocation_count();
    for (std::uint64_t i = 0; i < kRecords; ++i)
      one(i);
    hot_allocations = test::thread_allocation_count() - before;
  });
  hot.join();
  EXPECT_EQ(hot_allocations, 0u) << (publishing ? "publishing on" : "publishing off");
  EXPECT_GT(journaled, kRecords / 2);
  journal.flush();
  if (publishing) {
    ASSERT_TRUE(publisher->wait_published(std::chrono::seconds(60))) << publisher->last_error();
    EXPECT_EQ(publisher->counters().published, journal.counters().records);
  }
}

INSTANTIATE_TEST_SUITE_P(PublishingOffOn, JournalingHotThread, ::testing::Values(false, true),
                         [](const auto& p) { return p.param ? "publishing" : "journal_only"; });
}  // namespace
}  // namespace fillwire

namespace fillwire {
namespace {

// The engine's strategy-thread consumer: apply, strategy call, latency and fill tracking, and a
// snapshot filled and handed over whenever one is asked for — all without allocating.
TEST(ZeroAllocation, EngineConsumerWithSnapshotsAllocatesNothing) {
  const std::vector<OrderEvent> events = test::decoded_then_connected("lifecycle-default.jsonl");
  ASSERT_GT(events.size(), 5u);
  auto rig = std::make_unique<test::CountingConsumer>();
  std::uint64_t versions = 0;
  auto run = [&](std::uint64_t n) {
    for (std::uint64_t i = 0; i < n; ++i) {
      OrderEvent e = events[i % events.size()];
      e.recv_ts = now_ticks();
      rig->consumer.on_event(e);
      if (i % 1000 == 0) rig->exchange.request();
      if (const AccountSnapshot* snap = rig->exchange.take()) versions = snap->version;
    }
  };
  run(kWarmup);
  const test::AllocationScope scope;
  run(kEvents / 10);
  EXPECT_EQ(scope.allocations(), 0u);
  EXPECT_GT(versions, 10u) << "snapshots were filled and taken";
  EXPECT_GT(rig->strategy.controls, 0u);
  EXPECT_GT(rig->strategy.orders, 0u);
}

}  // namespace
}  // namespace fillwire
