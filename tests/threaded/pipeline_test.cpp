#include "fillwire/pipeline.hpp"

#include <gtest/gtest.h>
#include <sched.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "../support/frames.hpp"
#include "fillwire/clock.hpp"
#include "fillwire/detail/thread_util.hpp"
#include "fillwire/replay_source.hpp"

namespace fillwire {
namespace {

std::string data_path(const std::string& name) {
  return std::string(FILLWIRE_TEST_DATA) + "/" + name;
}

// Records every event (preallocated: on_event must not throw) and the consumer thread's name.
struct Recorder {
  std::vector<OrderEvent> events;
  std::string thread_name;
  explicit Recorder(std::size_t capacity) { events.reserve(capacity); }
  void on_event(const OrderEvent& e) noexcept {
    if (thread_name.empty()) {
      try {
        thread_name = current_thread_name();
      } catch (...) {
      }
    }
    if (events.size() < events.capacity()) events.push_back(e);
  }
};

// Decodes the frames directly, one by one, for comparison with what came through the threads.
std::vector<OrderEvent> decode_directly(const std::vector<std::string>& lines) {
  Decoder d;
  std::vector<OrderEvent> out;
  for (const auto& line : lines) {
    OrderEvent e{};
    if (test::decode_one(d, line, e).error.ok()) out.push_back(e);
  }
  return out;
}

void expect_same_event(const OrderEvent& got, const OrderEvent& want) {
  EXPECT_EQ(got.uuid, want.uuid);
  EXPECT_EQ(got.trade_uuid, want.trade_uuid);
  EXPECT_EQ(got.state, want.state);
  EXPECT_EQ(got.ask_bid, want.ask_bid);
  EXPECT_EQ(got.code.view(), want.code.view());
  EXPECT_EQ(got.executed_volume, want.executed_volume);
  EXPECT_EQ(got.executed_funds, want.executed_funds);
  EXPECT_EQ(got.paid_fee, want.paid_fee);
  EXPECT_EQ(got.trades_count, want.trades_count);
  EXPECT_EQ(got.timestamp, want.timestamp);
  EXPECT_EQ(got.present, want.present);
}

template <class Wait>
class PipelineReplay : public ::testing::Test {};
using Strategies = ::testing::Types<BusySpin, SpinThenYield, Blocking>;
TYPED_TEST_SUITE(PipelineReplay, Strategies);

TYPED_TEST(PipelineReplay, LifecycleArrivesInOrderThroughRealThreads) {
  for (const char* file : {"lifecycle-default.jsonl", "lifecycle-simple.jsonl"}) {
    SCOPED_TRACE(file);
    const auto lines = read_frame_lines(data_path(file));
    const auto expected = decode_directly(lines);
    ASSERT_EQ(expected.size(), 11u);

    Recorder recorder(64);
    ReplaySource source(lines);
    PipelineConfig config;
    config.ring_capacity = 4;  // smaller than the scenario: the producer must wait for the consumer
    config.drain_batch = 3;
    config.consumer_name = "fw-test-strat";
    Pipeline<Recorder, TypeParam> pipeline(recorder, config);
    pipeline.start(source);
    pipeline.join();

    EXPECT_TRUE(pipeline.finished());
    ASSERT_EQ(recorder.events.size(), expected.size());
    std::uint64_t previous_ts = 0;
    for (std::size_t i = 0; i < expected.size(); ++i) {
      SCOPED_TRACE(i);
      EXPECT_EQ(recorder.events[i].seq, i);
      EXPECT_GE(recorder.events[i].recv_ts, previous_ts) << "frames are stamped as they are read";
      previous_ts = recorder.events[i].recv_ts;
      expect_same_event(recorder.events[i], expected[i]);
    }
    EXPECT_EQ(recorder.thread_name, "fw-test-strat");
    EXPECT_EQ(source.counters().frames, 11u);
    EXPECT_EQ(source.counters().events, 11u);
    EXPECT_EQ(source.counters().failed_frames, 0u);
    const PipelineCounters c = pipeline.counters();
    EXPECT_EQ(c.ring.published, 11u);
    EXPECT_EQ(c.ring.drained, 11u);
    EXPECT_GE(c.batches, 4u) << "batches of at most 3";
  }
}

// Bad frames are counted and skipped; the good ones still arrive, numbered without gaps.
TEST(Pipeline, BadFramesAreSkippedWithoutGapsInSequence) {
  auto lines = read_frame_lines(data_path("lifecycle-default.jsonl"));
  auto bad = read_frame_lines(data_path("bad-frames.jsonl"));
  // Keep the frames that yield no event (the sample's list frame carries two good events).
  std::erase_if(bad, [](const std::string& f) { return !f.empty() && f[0] == '['; });
  std::vector<std::string> mixed;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    mixed.push_back(lines[i]);
    mixed.push_back(bad[i % bad.size()]);
  }
  Recorder recorder(64);
  ReplaySource source(mixed);
  Pipeline<Recorder> pipeline(recorder, PipelineConfig{});
  pipeline.start(source);
  pipeline.join();
  ASSERT_EQ(recorder.events.size(), lines.size());
  for (std::size_t i = 0; i < recorder.events.size(); ++i)
    EXPECT_EQ(recorder.events[i].seq, i);
  EXPECT_EQ(source.counters().frames, mixed.size());
  EXPECT_GT(source.counters().failed_frames, 0u);
}

// A source that never ends: stop() must end it, and every published event must be consumed.
struct Counter {
  std::uint64_t count = 0;
  std::uint64_t next_seq = 0;
  std::uint64_t out_of_order = 0;
  void on_event(const OrderEvent& e) noexcept {
    if (e.seq != next_seq) ++out_of_order;
    next_seq = e.seq + 1;
    ++count;
  }
};

template <class Wait>
class PipelineStop : public ::testing::Test {};
TYPED_TEST_SUITE(PipelineStop, Strategies);

TYPED_TEST(PipelineStop, StopDrainsEverythingPublished) {
  const auto lines = read_frame_lines(data_path("lifecycle-default.jsonl"));
  ReplaySource source(lines, ~std::uint64_t{0});  // repeats for ever
  Counter counter;
  PipelineConfig config;
  config.ring_capacity = 16;
  Pipeline<Counter, TypeParam> pipeline(counter, config);
  pipeline.start(source);
  while (pipeline.counters().ring.drained < 1000)
    std::this_thread::yield();
  pipeline.stop();
  EXPECT_TRUE(pipeline.finished());
  const PipelineCounters c = pipeline.counters();
  EXPECT_GE(counter.count, 1000u);
  EXPECT_EQ(counter.count, c.ring.published);
  EXPECT_EQ(c.ring.drained, c.ring.published);
  EXPECT_EQ(counter.count, source.counters().events);
  EXPECT_EQ(counter.out_of_order, 0u);
}

TEST(Pipeline, StopBeforeAnyEventIsClean) {
  const auto lines = read_frame_lines(data_path("lifecycle-default.jsonl"));
  ReplaySource source(lines, ~std::uint64_t{0});
  Counter counter;
  Pipeline<Counter, Blocking> pipeline(counter, PipelineConfig{});
  pipeline.request_stop();
  pipeline.start(source);
  pipeline.join();
  EXPECT_EQ(counter.count, pipeline.counters().ring.published);
}

TEST(Pipeline, DrainToServesUsersWhoOwnTheirThread) {
  OrderRing<> ring(8);
  ReplaySource source(read_frame_lines(data_path("lifecycle-default.jsonl")));
  Counter counter;
  for (int i = 0; i < 5; ++i)
    ASSERT_EQ(source.poll(ring), SourceStatus::produced);
  EXPECT_EQ(drain_to(ring, counter, 3), 3u);
  EXPECT_EQ(drain_to(ring, counter, 100), 2u);
  EXPECT_EQ(counter.count, 5u);
  EXPECT_EQ(counter.out_of_order, 0u);
}

TEST(ReplaySource, RepeatsAndEnds) {
  OrderRing<> ring(64);
  ReplaySource source({R"({"status":"UP"})", test::read_file("myorder-trade-default.json")}, 3);
  int polls = 0;
  while (source.poll(ring) == SourceStatus::produced)
    ++polls;
  EXPECT_EQ(polls, 6);
  EXPECT_EQ(source.poll(ring), SourceStatus::done);
  EXPECT_EQ(source.counters().events, 3u);
  EXPECT_EQ(ring.size_approx(), 3u);
  ReplaySource empty(std::vector<std::string>{});
  EXPECT_EQ(empty.poll(ring), SourceStatus::done);
}

TEST(ReplaySource, ReadsAFileOfFrames) {
  OrderRing<> ring(16);
  ReplaySource source = ReplaySource::from_file(data_path("lifecycle-simple.jsonl"));
  EXPECT_EQ(source.frame_count(), 11u);
  while (source.poll(ring) == SourceStatus::produced) {
  }
  EXPECT_EQ(ring.size_approx(), 11u);
  EXPECT_EQ(source.counters().failed_frames, 0u);
}

TEST(ReplaySource, MissingFileIsAnErrorNamingIt) {
  try {
    (void)ReplaySource::from_file("/nonexistent/frames.jsonl");
    FAIL() << "no exception";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/frames.jsonl"), std::string::npos);
  }
}

// ---- thread set-up and clock
// ---------------------------------------------------------------------

TEST(ThreadUtil, PinningIsSkippedWithAWarningWhenCoresAreShort) {
  EXPECT_TRUE(check_pinning(2, 2).ok());
  EXPECT_TRUE(check_pinning(0, 1).ok());
  const ThreadStatus s = check_pinning(3, 2);
  EXPECT_EQ(s.code, ThreadSetupCode::too_few_cores);
  EXPECT_NE(s.message.find("3 threads"), std::string::npos) << s.message;
  EXPECT_GE(usable_cpus(), 1u);
}

TEST(ThreadUtil, PinsToAnAllowedCpuAndRejectsOthers) {
  std::thread t([] {
    EXPECT_EQ(pin_current_thread(-1).code, ThreadSetupCode::not_requested);
    EXPECT_EQ(pin_current_thread(100000).code, ThreadSetupCode::bad_cpu);
    const ThreadStatus s = pin_current_thread(0);
    // CPU 0 may be outside a restricted affinity mask; then it must say so, not crash.
    EXPECT_TRUE(s.ok() || s.code == ThreadSetupCode::bad_cpu) << s.message;
  });
  t.join();
}

// A thread started by a pinned thread inherits its single CPU; it must still be able to move to
// another CPU of the process (the pipeline starts its threads from wherever the user is).
TEST(ThreadUtil, AThreadStartedFromAPinnedThreadCanPinElsewhere) {
  if (usable_cpus() < 2) GTEST_SKIP() << "needs two usable CPUs";
  std::thread outer([] {
    ASSERT_TRUE(pin_current_thread(0).ok());
    std::thread inner([] {
      const ThreadStatus s = pin_current_thread(1);
      EXPECT_TRUE(s.ok()) << s.message;
      EXPECT_EQ(sched_getcpu(), 1);
    });
    inner.join();
  });
  outer.join();
}

TEST(ThreadUtil, ThreadNamesAreSetAndLongOnesCutWithAWarning) {
  std::thread t([] {
    EXPECT_TRUE(set_thread_name("fw-short").ok());
    EXPECT_EQ(current_thread_name(), "fw-short");
    const ThreadStatus s = set_thread_name("fw-a-very-long-thread-name");
    EXPECT_EQ(s.code, ThreadSetupCode::name_truncated);
    EXPECT_EQ(current_thread_name(), "fw-a-very-long-");
  });
  t.join();
}

TEST(Pipeline, ReportsPinningWarningsInsteadOfFailing) {
  ReplaySource source(read_frame_lines(data_path("lifecycle-default.jsonl")));
  Counter counter;
  PipelineConfig config;
  config.producer_cpu = 100000;  // not a CPU of this machine
  config.consumer_cpu = static_cast<int>(usable_cpus()) > 1 ? 1 : 0;
  config.producer_name = "fw-network-thread-too-long";
  Pipeline<Counter> pipeline(counter, config);
  pipeline.start(source);
  pipeline.join();
  EXPECT_EQ(counter.count, 11u);
  ASSERT_FALSE(pipeline.warnings().empty());
  // With two usable cores the bad CPU is tried and refused; with one, pinning is skipped.
  const std::string expected = usable_cpus() >= 2 ? "100000" : "pinning skipped";
  bool mentioned = false;
  for (const auto& w : pipeline.warnings()) {
    mentioned = mentioned || w.find(expected) != std::string::npos;
  }
  EXPECT_TRUE(mentioned) << "no warning mentions '" << expected << "'";
}

TEST(Clock, TscCalibrationConvertsTicksToNanoseconds) {
  const TscCalibration cal = TscCalibration::calibrate(std::chrono::milliseconds(20));
  EXPECT_GT(cal.ns_per_tick(), 0.0);
  const std::uint64_t t0 = now_ticks();
  const auto s0 = std::chrono::steady_clock::now();
  std::this_thread::sleep_for(std::chrono::milliseconds(30));  // the interval both clocks measure
  const std::uint64_t t1 = now_ticks();
  const auto s1 = std::chrono::steady_clock::now();
  const double by_tsc = cal.to_ns(t1 - t0);
  const double by_clock =
      static_cast<double>(std::chrono::duration_cast<std::chrono::nanoseconds>(s1 - s0).count());
  // Both measure the same interval; a correct calibration agrees to well within 5%.
  EXPECT_NEAR(by_tsc / by_clock, 1.0, 0.05) << by_tsc << " ns vs " << by_clock << " ns";
  EXPECT_NEAR(cal.to_ns(cal.from_ns(1e6)), 1e6, 1.0);
}

}  // namespace
}  // namespace fillwire
