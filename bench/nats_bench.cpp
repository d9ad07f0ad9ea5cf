// nats_bench: scale-out over real nats-server processes on loopback (started by this binary, one
// node and a three-node JetStream cluster, stores in a temporary folder).
//
//   publish/R1, publish/R3   a gateway's NatsPublisher following a journal into which N records
//                            (a real myOrder trade frame, 748 bytes) are written as fast as the
//                            journal takes them: records/s from the first record to the last
//                            ack, and how many records a message carried (the publisher batches
//                            what is already written, up to `batch` records, 768 KiB; batch:1 is
//                            one record a message, batch:0 the default, 1024). R3: the stream
//                            replicated on the three nodes.
//   to_follower/R1, /R3      records written at an offered rate (10k/s), each stamped with the TSC
//                            when written; a follower's JetStreamSource polled on its own thread;
//                            latency = TSC when the follower hands the record out - the stamp:
//                            journal write, the publisher's tail and batch, the publish and its
//                            replication, the push to the ordered consumer, the follower's poll.
//
// Placement: nothing is pinned. The VM has two vCPUs and the nats-server processes, the journal
// thread, the publisher and the follower all share them; the figures are what one host gives,
// a floor for the network between hosts to add to.
//
// Run: build/bench/bench/nats_bench (needs nats-server: tools/setup installs it)

#include <benchmark/benchmark.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "bench_support.hpp"
#include "fillwire/clock.hpp"
#include "fillwire/jetstream_source.hpp"
#include "fillwire/journal.hpp"
#include "fillwire/nats_publisher.hpp"
#include "frames.hpp"
#include "nats_cluster.hpp"

namespace fillwire::bench {
namespace {

using namespace std::chrono_literals;

std::filesystem::path scratch() {
  static const std::filesystem::path dir = [] {
    auto d = std::filesystem::temp_directory_path() /
             ("fillwire-nats-bench-" + std::to_string(::getpid()));
    std::filesystem::remove_all(d);
    std::filesystem::create_directories(d);
    return d;
  }();
  return dir;
}

// One cluster of each size for the whole run, stopped by main() before its folder is removed.
std::unique_ptr<test::NatsCluster>& cluster_slot(int nodes) {
  static std::unique_ptr<test::NatsCluster> one;
  static std::unique_ptr<test::NatsCluster> three;
  return nodes == 1 ? one : three;
}

test::NatsCluster& cluster(int nodes) {
  auto& c = cluster_slot(nodes);
  if (!c) {
    c = std::make_unique<test::NatsCluster>(nodes, scratch() / ("nats" + std::to_string(nodes)));
  }
  return *c;
}

// The frame without the file's line end.
std::string frame() {
  std::string s = test::read_file("myorder-trade-default.json");
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r'))
    s.pop_back();
  return s;
}

NatsPublisherConfig publisher_config(int nodes, const std::string& account) {
  NatsPublisherConfig c;
  c.nats.servers = cluster(nodes).urls();
  c.nats.account = account;
  c.nats.replicas = nodes;
  c.retry_min = 20ms;
  return c;
}

std::string next_account() {
  static int n = 0;
  return "bench-" + std::to_string(++n);
}

JournalConfig journal_config(const std::string& account) {
  JournalConfig j;
  j.path = (scratch() / (account + ".fwj")).string();
  j.max_file_bytes = std::size_t{1} << 30;
  j.producer_ring_bytes = std::size_t{64} << 20;
  j.queue_capacity = std::size_t{1} << 18;
  j.max_producers = 1;
  return j;
}

// state.range(0): nodes (and replicas); state.range(1): records; state.range(2): records in a
// message at most (the publisher's max_batch_records; 0: its default).
void publish(benchmark::State& state) {
  const int nodes = static_cast<int>(state.range(0));
  const auto records = static_cast<std::uint64_t>(state.range(1));
  const std::string f = frame();
  for (auto _ : state) {
    const std::string account = next_account();
    Journal journal(journal_config(account));
    NatsPublisherConfig pc = publisher_config(nodes, account);
    if (state.range(2) > 0) pc.max_batch_records = static_cast<std::size_t>(state.range(2));
    NatsPublisher publisher(journal, pc);
    JournalProducer& producer = journal.make_producer();
    const auto t0 = std::chrono::steady_clock::now();
    for (std::uint64_t i = 0; i < records; ++i) {
      while (!producer.record(JournalKind::frame, f.data(), f.size(), now_ticks()))
        std::this_thread::yield();  // the journal's ring is full: it catches up
    }
    journal.flush();
    if (!publisher.wait_published(std::chrono::minutes(5))) {
      state.SkipWithError(("not all published: " + publisher.last_error()).c_str());
      break;
    }
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    state.SetIterationTime(s);
    const NatsPublisherCounters c = publisher.counters();
    state.counters["records_per_s"] = static_cast<double>(records) / s;
    state.counters["messages"] = static_cast<double>(c.messages);
    state.counters["records_per_message"] =
        static_cast<double>(c.published) / static_cast<double>(c.messages);
    state.counters["publish_errors"] = static_cast<double>(c.publish_errors);
    state.SetItemsProcessed(static_cast<std::int64_t>(records));
  }
}

// A sink that takes every event and keeps none: the follower's ring stands in for nothing here.
struct NullSink {
  OrderEvent slot{};
  std::uint64_t published = 0;
  OrderEvent& claim() noexcept { return slot; }
  void publish() noexcept { ++published; }
};

// state.range(0): nodes; state.range(1): offered records/s; state.range(2): records measured;
// state.range(3): the source's idle_wait in ms (0: it says idle at once, and the reader polls
// every 20 us; otherwise it waits in the client, which wakes it when a message arrives).
void to_follower(benchmark::State& state) {
  const int nodes = static_cast<int>(state.range(0));
  const auto rate = static_cast<double>(state.range(1));
  const auto records = static_cast<std::uint64_t>(state.range(2));
  const auto idle_wait = std::chrono::milliseconds(state.range(3));
  const std::string f = frame();
  for (auto _ : state) {
    const std::string account = next_account();
    Journal journal(journal_config(account));
    NatsPublisher publisher(journal, publisher_config(nodes, account));
    JournalProducer& producer = journal.make_producer();
    // The stream exists once the publisher is connected (it makes it).
    const std::string ping = "start";
    (void)producer.record(JournalKind::notice, ping.data(), ping.size(), now_ticks());
    journal.flush();
    if (!publisher.wait_published(30s)) {
      state.SkipWithError(("no stream: " + publisher.last_error()).c_str());
      break;
    }
    JetStreamSourceConfig sc;
    sc.nats = publisher_config(nodes, account).nats;
    sc.start_seq = 2;  // after the start notice
    sc.idle_wait = idle_wait;
    JetStreamSource follower(sc);
    std::vector<std::uint64_t> latency;
    latency.reserve(records);
    std::atomic<bool> stop{false};
    std::atomic<bool> all_read{false};
    std::thread reader([&] {
      NullSink sink;
      while (latency.size() < records && !stop.load(std::memory_order_relaxed)) {
        const std::uint64_t before = sink.published;
        const SourceStatus s = follower.poll(sink);
        if (sink.published != before) {
          const std::uint64_t now = now_ticks();
          const std::uint64_t stamp = follower.last_record_stamp();
          latency.push_back(now > stamp ? now - stamp : 0);
        } else if (s == SourceStatus::idle) {
          std::this_thread::sleep_for(20us);
        }
      }
      all_read.store(latency.size() >= records);
    });
    const std::uint64_t t0 = now_steady_ns();
    for (std::uint64_t i = 0; i < records; ++i) {
      const auto due = t0 + static_cast<std::uint64_t>(static_cast<double>(i) * 1e9 / rate);
      while (now_steady_ns() < due)
        std::this_thread::sleep_for(20us);
      while (!producer.record(JournalKind::frame, f.data(), f.size(), now_ticks()))
        std::this_thread::yield();
    }
    const auto until = std::chrono::steady_clock::now() + 60s;
    while (!all_read.load() && std::chrono::steady_clock::now() < until)
      std::this_thread::sleep_for(1ms);
    stop.store(true);
    reader.join();
    const double s = static_cast<double>(now_steady_ns() - t0) / 1e9;
    state.SetIterationTime(s);
    if (latency.size() < records) {
      state.SkipWithError("the follower did not get every record");
      break;
    }
    report(state, percentiles_ns(latency));
    state.counters["offered_per_s"] = rate;
    state.counters["messages"] = static_cast<double>(publisher.counters().messages);
    state.SetItemsProcessed(static_cast<std::int64_t>(records));
  }
}

void register_runs() {
  for (const int nodes : {1, 3}) {
    const std::string r = "R" + std::to_string(nodes);
    benchmark::RegisterBenchmark(("publish/" + r).c_str(), publish)
        ->ArgNames({"nodes", "records", "batch"})
        ->Args({nodes, 100'000, 1})
        ->Args({nodes, 100'000, 256})
        ->Args({nodes, 100'000, 0})
        ->UseManualTime()
        ->Unit(benchmark::kMillisecond)
        ->Iterations(1);
    benchmark::RegisterBenchmark(("to_follower/" + r).c_str(), to_follower)
        ->ArgNames({"nodes", "rate", "records", "idle_wait_ms"})
        ->Args({nodes, 10'000, 30'000, 0})
        ->Args({nodes, 10'000, 30'000, 20})
        ->UseManualTime()
        ->Unit(benchmark::kMillisecond)
        ->Iterations(1);
  }
}

}  // namespace
}  // namespace fillwire::bench

int main(int argc, char** argv) {
  using namespace fillwire::bench;
  calibration() = fillwire::TscCalibration::calibrate(std::chrono::milliseconds(50));
  register_runs();
  const int rc = run_benchmarks(argc, argv, [] {
    cluster_slot(1).reset();
    cluster_slot(3).reset();
  });
  std::filesystem::remove_all(scratch());
  return rc;
}
