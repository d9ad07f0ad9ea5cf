// ring_bench: 256-byte OrderEvents between two pinned threads through fillwire::OrderRing and
// three baselines in the same binary: moodycamel::ReaderWriterQueue, moodycamel::ConcurrentQueue
// and boost::lockfree::spsc_queue. Also the machine's floor: a cache line bouncing between the
// two cores. Prints fillwire's ratios to each baseline and each queue's latency / floor at the end.
//
//   throughput/<queue>  the producer pushes 2M events as fast as the queue takes them: items/s
//                       over the whole run, and chunk_median_per_s, the rate of the median chunk
//                       of 16k events (robust to a noisy VM descheduling a thread; the summary
//                       uses it).
//   latency/<queue>     one event in flight at a time: the producer stamps recv_ts (TSC), pushes,
//                       and sends the next one 500 ns after the consumer has seen it; the consumer
//                       stamps on arrival and reads a field of each of the event's four cache
//                       lines, as AccountState does. One-way latency p50/p99/p99.9/max as user
//                       counters.
//   latency_after_idle/ the same with 50 us between events, for the waiting consumers: Blocking
//                       has gone to sleep by then, so this is its futex wake-up cost.
//   floor/cache_line    round trip of one cache line between the two cores / 2 (pure spin).
//
// Every queue moves whole 256-byte events: the producer copies its event into the queue, the
// consumer reads it where the queue's API allows (OrderRing::drain, ReaderWriterQueue::peek,
// spsc_queue::consume_one) and copies it out where it does not (ConcurrentQueue). Consumers poll
// with a pause between empty polls (BusySpin), except OrderRing<SpinThenYield> / <Blocking>, whose
// consumer waits with that strategy: their latency is the strategy's wake-up cost. Consumer on
// CPU 0 (the benchmark thread), producer on CPU 1. A full run takes about ten seconds.

#include <benchmark/benchmark.h>
// GCC's -Wnull-dereference fires inside ConcurrentQueue's producer-list walk once inlined at -O3
// (a false positive in the library, not in this file).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnull-dereference"
#include <concurrentqueue/concurrentqueue.h>
#pragma GCC diagnostic pop
#include <readerwriterqueue/readerwriterqueue.h>

#include <atomic>
#include <boost/lockfree/spsc_queue.hpp>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "bench_support.hpp"
#include "fillwire/order_event.hpp"
#include "fillwire/order_ring.hpp"
#include "fillwire/wait_strategy.hpp"

namespace fillwire::bench {
namespace {

constexpr std::size_t kCapacity = 1024;
constexpr std::size_t kBatch = 64;
constexpr std::uint64_t kThroughputItems = 2'097'152;
constexpr std::uint64_t kChunk = 16'384;  // throughput is also measured per chunk of events
constexpr std::int64_t kLatencySamples = 200'000;
constexpr std::int64_t kLatencyGapNs = 500;
constexpr std::int64_t kIdleSamples = 10'000;  // latency_after_idle: the consumer has gone to sleep
constexpr std::int64_t kIdleGapNs = 50'000;
constexpr std::uint64_t kFloorRounds = 200'000;

OrderEvent make_event() {
  OrderEvent e;
  std::memset(&e, 0, sizeof e);
  e.kind = EventKind::order;
  e.price = 100000000.0;
  e.volume = 0.4;
  e.executed_volume = 0.4;
  e.timestamp = 1764000000101;
  (void)e.code.assign("KRW-BTC");
  (void)e.identifier.assign("strat-a-1");
  return e;
}

// ---- the four queues behind one interface -------------------------------------------------------
// try_push(e): copies e into the queue (producer thread). poll(f): calls f(const OrderEvent&) for
// up to kBatch queued events and returns how many (consumer thread).

// Claim, copy, publish: the producer side of every OrderRing adapter. Everything but seq, which
// the ring writes as it publishes (the same number the benchmark gives: the event's index).
template <class Wait>
bool push_copy(OrderRing<Wait>& ring, const OrderEvent& e) noexcept {
  OrderEvent* slot = ring.try_claim();
  if (slot == nullptr) return false;
  slot->recv_ts = e.recv_ts;
  copy_wire_fields(*slot, e);
  ring.publish();
  return true;
}

class FillwireRing {
 public:
  static constexpr const char* kName = "fillwire::OrderRing";
  bool try_push(const OrderEvent& e) noexcept { return push_copy(ring_, e); }
  template <class F>
  std::size_t poll(F& f) noexcept {
    return ring_.drain(f, kBatch);
  }

 private:
  OrderRing<BusySpin> ring_{kCapacity};
};

// The same ring with a consumer that waits with the ring's wait strategy when it finds nothing,
// to measure what each strategy's wake-up costs (the producer side is unchanged).
template <class Wait>
struct WaitName;
template <>
struct WaitName<SpinThenYield> {
  static constexpr const char* kName = "fillwire::OrderRing<SpinThenYield>";
};
template <>
struct WaitName<Blocking> {
  static constexpr const char* kName = "fillwire::OrderRing<Blocking>";
};

template <class Wait>
class WaitingRing {
 public:
  static constexpr const char* kName = WaitName<Wait>::kName;
  bool try_push(const OrderEvent& e) noexcept { return push_copy(ring_, e); }
  template <class F>
  std::size_t poll(F& f) noexcept {
    if (const std::size_t n = ring_.drain(f, kBatch); n != 0) return n;
    // The benchmark only polls while it expects more events, so no stop condition is needed.
    ring_.wait_readable([]() noexcept { return false; });
    return ring_.drain(f, kBatch);
  }

 private:
  OrderRing<Wait> ring_{kCapacity};
};

class ReaderWriterQueue {
 public:
  static constexpr const char* kName = "moodycamel::ReaderWriterQueue";
  bool try_push(const OrderEvent& e) noexcept { return q_.try_enqueue(e); }
  template <class F>
  std::size_t poll(F& f) noexcept {
    std::size_t n = 0;
    for (const OrderEvent* e; n < kBatch && (e = q_.peek()) != nullptr; ++n) {
      f(*e);
      q_.pop();
    }
    return n;
  }

 private:
  moodycamel::ReaderWriterQueue<OrderEvent> q_{kCapacity};
};

class ConcurrentQueue {
 public:
  static constexpr const char* kName = "moodycamel::ConcurrentQueue";
  bool try_push(const OrderEvent& e) noexcept { return q_.try_enqueue(producer_, e); }
  template <class F>
  std::size_t poll(F& f) noexcept {
    const std::size_t n = q_.try_dequeue_bulk(consumer_, out_, kBatch);
    for (std::size_t i = 0; i < n; ++i)
      f(out_[i]);
    return n;
  }

 private:
  moodycamel::ConcurrentQueue<OrderEvent> q_{kCapacity};
  moodycamel::ProducerToken producer_{q_};
  moodycamel::ConsumerToken consumer_{q_};
  OrderEvent out_[kBatch];
};

class BoostSpscQueue {
 public:
  static constexpr const char* kName = "boost::lockfree::spsc_queue";
  bool try_push(const OrderEvent& e) noexcept { return q_.push(e); }
  template <class F>
  std::size_t poll(F& f) noexcept {
    std::size_t n = 0;
    while (n < kBatch && q_.consume_one(f))
      ++n;
    return n;
  }

 private:
  boost::lockfree::spsc_queue<OrderEvent> q_{kCapacity};
};

// ---- results for the summary --------------------------------------------------------------------

struct QueueResult {
  double items_per_second = 0;
  Percentiles latency;
};
std::map<std::string, QueueResult>& results() {
  static std::map<std::string, QueueResult> r;
  return r;
}
std::map<std::string, QueueResult>& idle_results() {
  static std::map<std::string, QueueResult> r;
  return r;
}
Percentiles& floor_result() {
  static Percentiles p;
  return p;
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// ---- benchmarks ---------------------------------------------------------------------------------

template <class Q>
void throughput(benchmark::State& state) {
  auto q = std::make_unique<Q>();
  const OrderEvent event = make_event();
  std::uint64_t out_of_order = 0;
  std::vector<std::uint64_t> chunk_end(kThroughputItems / kChunk + 1);
  for (auto _ : state) {
    std::atomic<bool> go{false};
    std::thread producer([&] {
      pin_or_warn(kProducerCpu, "producer");
      OrderEvent e = event;
      // acquire: pairs with the release store below; only a start signal.
      while (!go.load(std::memory_order_acquire))
        cpu_relax();
      for (std::uint64_t i = 0; i < kThroughputItems; ++i) {
        e.seq = i;
        e.recv_ts = now_ticks();
        while (!q->try_push(e))
          cpu_relax();
      }
    });
    std::uint64_t received = 0;
    std::size_t chunk = 0;
    auto on_event = [&](const OrderEvent& e) noexcept {
      if (e.seq != received) ++out_of_order;
      if (++received % kChunk == 0) chunk_end[chunk++] = now_ticks();
    };
    const auto t0 = std::chrono::steady_clock::now();
    chunk_end[chunk++] = now_ticks();
    go.store(true, std::memory_order_release);  // release: pairs with the acquire above
    while (received < kThroughputItems) {
      if (q->poll(on_event) == 0) cpu_relax();
    }
    state.SetIterationTime(seconds_since(t0));
    producer.join();
  }
  if (out_of_order != 0) state.SkipWithError("events arrived out of order");
  const auto items = state.iterations() * static_cast<std::int64_t>(kThroughputItems);
  state.SetItemsProcessed(items);
  state.SetBytesProcessed(items * static_cast<std::int64_t>(sizeof(OrderEvent)));
  // Rate of the median chunk: robust to the other tenants of a shared VM descheduling a thread
  // for a few milliseconds, which the whole-run items_per_second absorbs in full.
  std::vector<std::uint64_t> chunk_ticks;
  for (std::size_t i = 1; i < chunk_end.size(); ++i) {
    chunk_ticks.push_back(chunk_end[i] - chunk_end[i - 1]);
  }
  const double median_ns = percentiles_ns(chunk_ticks).p50;
  const double rate = median_ns > 0 ? static_cast<double>(kChunk) * 1e9 / median_ns : 0.0;
  state.counters["chunk_median_per_s"] = rate;
  results()[Q::kName].items_per_second = rate;
}

template <class Q>
void latency(benchmark::State& state) {
  const auto gap_ns = static_cast<double>(state.range(0));
  const auto count = static_cast<std::uint64_t>(state.range(1));
  auto q = std::make_unique<Q>();
  const OrderEvent event = make_event();
  std::vector<std::uint64_t> samples(count);
  struct alignas(kFalseSharingRange) Ack {
    std::atomic<std::uint64_t> seen{0};
  };
  std::uint64_t clock_skew = 0;
  std::uint64_t read_lines = 0;
  for (auto _ : state) {
    Ack ack;
    std::thread producer([&] {
      pin_or_warn(kProducerCpu, "producer");
      OrderEvent e = event;
      const std::uint64_t gap = calibration().from_ns(gap_ns);
      for (std::uint64_t i = 0; i < count; ++i) {
        // acquire: pairs with the consumer's release store; the previous event was seen.
        while (ack.seen.load(std::memory_order_acquire) != i)
          cpu_relax();
        spin_until(now_ticks() + gap);
        e.seq = i;
        e.recv_ts = now_ticks();
        while (!q->try_push(e))
          cpu_relax();
      }
    });
    std::uint64_t received = 0;
    auto on_event = [&](const OrderEvent& e) noexcept {
      // The consumer reads a field of each of the event's four lines, as AccountState does: the
      // latency is until the whole event is here, not just the line with the stamp.
      read_lines += static_cast<std::uint64_t>(e.locked) + e.trades_count + e.uuid.bytes[0] +
                    e.code.view().size();
      const std::uint64_t now = now_ticks();
      if (now < e.recv_ts) ++clock_skew;
      samples[received] = now >= e.recv_ts ? now - e.recv_ts : 0;
      ++received;
      ack.seen.store(received, std::memory_order_release);  // release: pairs with the producer
    };
    const auto t0 = std::chrono::steady_clock::now();
    while (received < count) {
      if (q->poll(on_event) == 0) cpu_relax();
    }
    state.SetIterationTime(seconds_since(t0));
    producer.join();
  }
  state.SetItemsProcessed(state.iterations() * state.range(1));
  state.counters["clock_skew"] = static_cast<double>(clock_skew);
  benchmark::DoNotOptimize(read_lines);
  const Percentiles p = percentiles_ns(samples);
  report(state, p);
  (state.range(0) == kLatencyGapNs ? results() : idle_results())[Q::kName].latency = p;
}

void cache_line_floor(benchmark::State& state) {
  struct alignas(kFalseSharingRange) Line {
    std::atomic<std::uint64_t> value{0};
  };
  std::vector<std::uint64_t> one_way(kFloorRounds);
  for (auto _ : state) {
    Line ping;
    Line pong;
    std::thread responder([&] {
      pin_or_warn(kProducerCpu, "responder");
      for (std::uint64_t i = 1; i <= kFloorRounds; ++i) {
        // acquire/release: each store answers the other side's load; pure spin, no pause, so
        // this is the fastest a line can cross.
        while (ping.value.load(std::memory_order_acquire) != i) {
        }
        pong.value.store(i, std::memory_order_release);
      }
    });
    const auto t0 = std::chrono::steady_clock::now();
    for (std::uint64_t i = 1; i <= kFloorRounds; ++i) {
      const std::uint64_t start = now_ticks();
      ping.value.store(i, std::memory_order_release);  // release/acquire: pairs with responder
      while (pong.value.load(std::memory_order_acquire) != i) {
      }
      one_way[i - 1] = (now_ticks() - start) / 2;
    }
    state.SetIterationTime(seconds_since(t0));
    responder.join();
  }
  const Percentiles p = percentiles_ns(one_way);
  report(state, p);
  floor_result() = p;
}

std::string cpu_model() {
  std::ifstream in("/proc/cpuinfo");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("model name", 0) == 0) return line.substr(line.find(':') + 2);
  }
  return "unknown CPU";
}

void print_summary() {
  const Percentiles& fl = floor_result();
  const auto& r = results();
  const auto mine = r.find(FillwireRing::kName);
  std::printf("\nSummary on %s, %u CPUs (consumer CPU %d, producer CPU %d)\n", cpu_model().c_str(),
              std::thread::hardware_concurrency(), kConsumerCpu, kProducerCpu);
  std::printf("  floor: cache-line one-way p50 %.0f ns, p99 %.0f ns\n", fl.p50, fl.p99);
  std::printf("  %-36s %12s %9s %9s %10s %12s %12s\n", "queue", "M/s (median)", "p50 ns", "p99 ns",
              "p50/floor", "fw thr x", "fw p50 x");
  for (const auto& [name, q] : r) {
    const double thr_ratio = mine != r.end() && q.items_per_second > 0
                                 ? mine->second.items_per_second / q.items_per_second
                                 : 0.0;
    const double lat_ratio = mine != r.end() && mine->second.latency.p50 > 0
                                 ? q.latency.p50 / mine->second.latency.p50
                                 : 0.0;
    std::printf("  %-36s %12.2f %9.0f %9.0f %10.2f %12.2f %12.2f\n", name.c_str(),
                q.items_per_second / 1e6, q.latency.p50, q.latency.p99,
                fl.p50 > 0 ? q.latency.p50 / fl.p50 : 0.0, thr_ratio, lat_ratio);
  }
  for (const auto& [name, q] : idle_results()) {
    std::printf("  %-36s after %.0f us idle: p50 %.0f ns, p99 %.0f ns, max %.0f ns\n", name.c_str(),
                static_cast<double>(kIdleGapNs) / 1000.0, q.latency.p50, q.latency.p99,
                q.latency.max);
  }
  std::printf(
      "  fw thr x: fillwire throughput / this queue's (>1: fillwire faster).\n"
      "  fw p50 x: this queue's p50 latency / fillwire's (>1: fillwire lower).\n");
}

template <class Q>
void register_queue(bool after_idle = false) {
  benchmark::RegisterBenchmark((std::string("throughput/") + Q::kName).c_str(), &throughput<Q>)
      ->Iterations(1)
      ->UseManualTime()
      ->Unit(benchmark::kMillisecond);
  benchmark::RegisterBenchmark((std::string("latency/") + Q::kName).c_str(), &latency<Q>)
      ->ArgNames({"gap_ns", "samples"})
      ->Args({kLatencyGapNs, kLatencySamples})
      ->Iterations(1)
      ->UseManualTime()
      ->Unit(benchmark::kMillisecond);
  if (after_idle) {
    benchmark::RegisterBenchmark((std::string("latency_after_idle/") + Q::kName).c_str(),
                                 &latency<Q>)
        ->ArgNames({"gap_ns", "samples"})
        ->Args({kIdleGapNs, kIdleSamples})
        ->Iterations(1)
        ->UseManualTime()
        ->Unit(benchmark::kMillisecond);
  }
}

}  // namespace
}  // namespace fillwire::bench

int main(int argc, char** argv) {
  using namespace fillwire::bench;
  calibration() = fillwire::TscCalibration::calibrate(std::chrono::milliseconds(50));
  pin_or_warn(kConsumerCpu, "consumer");
  benchmark::RegisterBenchmark("floor/cache_line", &cache_line_floor)
      ->Iterations(1)
      ->UseManualTime()
      ->Unit(benchmark::kMillisecond);
  register_queue<FillwireRing>();
  register_queue<WaitingRing<fillwire::SpinThenYield>>(true);
  register_queue<WaitingRing<fillwire::Blocking>>(true);
  register_queue<ReaderWriterQueue>();
  register_queue<ConcurrentQueue>();
  register_queue<BoostSpscQueue>();
  return run_benchmarks(argc, argv, print_summary);
}
