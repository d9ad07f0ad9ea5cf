// full_path_bench: the hot path end to end across the pipeline's two pinned threads.
//
//   producer thread (CPU 1): frame bytes in a buffer -> stamp recv_ts (TSC) -> decode (simdjson
//                            On-Demand) straight into the claimed OrderRing slot -> publish
//   consumer thread (CPU 0): drain -> Consumer::on_event -> stamp (TSC) -> latency sample
//
// Latency is measured from just before the decode to just after the consumer callback returns.
// Offered rates: 100k events/s, 1M events/s (the producer paces itself on the TSC, open loop: a
// late frame is sent at once, stamped when actually sent) and max (no pacing). Frames are the
// shared lifecycle scenario (tests/data/lifecycle-default.jsonl), replayed in a loop.
//
// The consumer is a template parameter: StandInConsumer does a small fixed amount of work per
// event (a keyed table update and a few multiplies, ~10-20 ns) until AccountState exists; then
// register full_path<AccountStateConsumer> the same way.
//
// same_thread/<Consumer> runs the same decode -> slot -> drain -> consumer on one thread, for the
// part of the latency that is work rather than the hand-off between cores.
//
// JSON for the README table and plots: --benchmark_out=full_path.json --benchmark_out_format=json

#include <benchmark/benchmark.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "bench_support.hpp"
#include "fillwire/order_event.hpp"
#include "fillwire/pipeline.hpp"
#include "fillwire/replay_source.hpp"
#include "fillwire/wait_strategy.hpp"

namespace fillwire::bench {
namespace {

// A stand-in for AccountState + strategy: per-order cumulative fields in a small open-addressing
// table, and running notional / fee totals. No allocation, bounded work.
class StandInConsumer {
 public:
  void on_event(const OrderEvent& e) noexcept {
    std::size_t i = e.uuid.hash() & (kSlots - 1);
    while (slots_[i].used && !(slots_[i].uuid == e.uuid))
      i = (i + 1) & (kSlots - 1);
    Slot& s = slots_[i];
    s.used = true;
    s.uuid = e.uuid;
    const double delta_volume = e.executed_volume - s.executed_volume;
    const double delta_funds = e.executed_funds - s.executed_funds;
    if (delta_volume > 0) {
      position_ += e.ask_bid == Side::bid ? delta_volume : -delta_volume;
      notional_ += delta_funds;
      fees_ += e.paid_fee - s.paid_fee;
    }
    s.executed_volume = e.executed_volume;
    s.executed_funds = e.executed_funds;
    s.paid_fee = e.paid_fee;
    ++events_;
  }
  [[nodiscard]] double checksum() const noexcept { return position_ + notional_ + fees_; }
  [[nodiscard]] std::uint64_t events() const noexcept { return events_; }

 private:
  static constexpr std::size_t kSlots = 64;
  struct Slot {
    Uuid uuid{};
    double executed_volume = 0;
    double executed_funds = 0;
    double paid_fee = 0;
    bool used = false;
  };
  Slot slots_[kSlots];
  double position_ = 0;
  double notional_ = 0;
  double fees_ = 0;
  std::uint64_t events_ = 0;
};

constexpr std::size_t kChunk = 16'384;  // throughput is also measured per chunk of events

// Wraps the consumer: calls it, then records now - recv_ts into a preallocated array, and the
// time at the end of every chunk of kChunk events.
template <EventConsumer Inner>
class Timed {
 public:
  Timed(Inner& inner, std::vector<std::uint64_t>& samples, std::vector<std::uint64_t>& chunk_end)
      : inner_(&inner), samples_(&samples), chunk_end_(&chunk_end) {}
  void on_event(const OrderEvent& e) noexcept {
    if (n_ == 0) on_cpu_.begin();
    inner_->on_event(e);
    const std::uint64_t now = now_ticks();
    if (n_ < samples_->size()) (*samples_)[n_++] = now >= e.recv_ts ? now - e.recv_ts : 0;
    if (n_ % kChunk == 1 && chunks_ < chunk_end_->size()) (*chunk_end_)[chunks_++] = now;
    if (n_ == samples_->size()) on_cpu_.end();
  }
  [[nodiscard]] std::size_t recorded() const noexcept { return n_; }
  [[nodiscard]] std::size_t chunks() const noexcept { return chunks_; }
  [[nodiscard]] double on_cpu() const noexcept { return on_cpu_.share(); }

 private:
  Inner* inner_;
  std::vector<std::uint64_t>* samples_;
  std::vector<std::uint64_t>* chunk_end_;
  std::size_t n_ = 0;
  std::size_t chunks_ = 0;
  OnCpuShare on_cpu_;
};

// ReplaySource paced on the TSC: frame k is due at start + k * interval (0: no pacing).
class PacedSource {
 public:
  PacedSource(const std::vector<std::string>& frames, std::uint64_t repeat, std::uint64_t interval)
      : replay_(frames, repeat), interval_(interval) {}

  template <class Sink>
  SourceStatus poll(Sink& sink) noexcept {
    if (!started_) {
      started_ = true;
      on_cpu_.begin();
    }
    if (interval_ != 0) {
      if (due_ == 0) due_ = now_ticks();
      spin_until(due_);
      due_ += interval_;
    }
    const SourceStatus status = replay_.poll(sink);
    if (status == SourceStatus::done) on_cpu_.end();
    return status;
  }
  [[nodiscard]] const ReplayCounters& counters() const noexcept { return replay_.counters(); }
  [[nodiscard]] double on_cpu() const noexcept { return on_cpu_.share(); }

 private:
  ReplaySource replay_;
  std::uint64_t interval_;
  std::uint64_t due_ = 0;
  bool started_ = false;
  OnCpuShare on_cpu_;
};

const std::vector<std::string>& frames() {
  static const std::vector<std::string> f =
      read_frame_lines(std::string(FILLWIRE_BENCH_DATA) + "/lifecycle-default.jsonl");
  return f;
}

// state.range(0): offered events/s (0 = max); state.range(1): events in the run.
template <EventConsumer Consumer>
void full_path(benchmark::State& state) {
  const auto rate = static_cast<std::uint64_t>(state.range(0));
  const auto wanted = static_cast<std::uint64_t>(state.range(1));
  const std::uint64_t per_round = frames().size();
  const std::uint64_t rounds = (wanted + per_round - 1) / per_round;
  const std::uint64_t events = rounds * per_round;
  const std::uint64_t interval =
      rate == 0 ? 0 : calibration().from_ns(1e9 / static_cast<double>(rate));

  std::vector<std::uint64_t> samples(events);
  std::vector<std::uint64_t> chunk_end(events / kChunk + 2);
  std::size_t chunks = 0;
  Consumer consumer;
  PipelineCounters counters;
  std::uint64_t failed = 0;
  double producer_on_cpu = 0;
  double consumer_on_cpu = 0;
  for (auto _ : state) {
    Timed<Consumer> timed(consumer, samples, chunk_end);
    PacedSource source(frames(), rounds, interval);
    PipelineConfig config;
    config.ring_capacity = 4096;
    config.drain_batch = 256;
    config.producer_cpu = kProducerCpu;
    config.consumer_cpu = kConsumerCpu;
    Pipeline<Timed<Consumer>, BusySpin> pipeline(timed, config);
    const auto t0 = std::chrono::steady_clock::now();
    pipeline.start(source);
    pipeline.join();
    state.SetIterationTime(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    for (const auto& w : pipeline.warnings())
      std::fprintf(stderr, "warning: %s\n", w.c_str());
    counters = pipeline.counters();
    producer_on_cpu = source.on_cpu();
    consumer_on_cpu = timed.on_cpu();
    failed += source.counters().failed_frames;
    if (timed.recorded() != events) state.SkipWithError("events lost");
    chunks = timed.chunks();
  }
  if (failed != 0) state.SkipWithError("frames failed to decode");
  // The first 1% of samples (cold caches, threads settling) are left out of the percentiles.
  samples.erase(samples.begin(), samples.begin() + static_cast<std::ptrdiff_t>(events / 100));
  report(state, percentiles_ns(samples));
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(events));
  // Rate of the median chunk of 16k events: what the path sustains when no other tenant of the
  // VM takes a core away (items_per_second counts every such pause in full).
  std::vector<std::uint64_t> chunk_ticks;
  for (std::size_t i = 1; i < chunks; ++i)
    chunk_ticks.push_back(chunk_end[i] - chunk_end[i - 1]);
  const double median_ns = percentiles_ns(chunk_ticks).p50;
  state.counters["chunk_median_per_s"] =
      median_ns > 0 ? static_cast<double>(kChunk) * 1e9 / median_ns : 0.0;
  state.counters["offered_per_s"] = static_cast<double>(rate);
  // Fraction of the run each busy-spinning thread was really on its CPU (1.0 on a quiet machine).
  state.counters["producer_on_cpu"] = producer_on_cpu;
  state.counters["consumer_on_cpu"] = consumer_on_cpu;
  state.counters["stalls"] = static_cast<double>(counters.ring.stalls);
  state.counters["batches"] = static_cast<double>(counters.batches);
  benchmark::DoNotOptimize(consumer.checksum());
}

// The same work on one thread (decode into the slot, publish, drain, consumer), no hand-off: the
// cost the two-thread latency adds to. Reported per event.
template <EventConsumer Consumer>
void same_thread(benchmark::State& state) {
  OrderRing<BusySpin> ring(4096);
  ReplaySource source(frames(), ~std::uint64_t{0});
  Consumer consumer;
  auto handler = [&consumer](const OrderEvent& e) noexcept { consumer.on_event(e); };
  for (auto _ : state) {
    (void)source.poll(ring);
    ring.drain(handler, 1);
  }
  state.SetItemsProcessed(state.iterations());
  if (source.counters().failed_frames != 0) state.SkipWithError("frames failed to decode");
  benchmark::DoNotOptimize(consumer.checksum());
}

void register_consumer_runs() {
  benchmark::RegisterBenchmark("same_thread/StandInConsumer", &same_thread<StandInConsumer>)
      ->MinTime(0.2);
  // {offered rate, events}: ~0.5 s each at the paced rates, ~1 s at max on a 2-core VM.
  const std::vector<std::vector<std::int64_t>> runs = {
      {100'000, 50'000}, {1'000'000, 500'000}, {0, 2'000'000}};
  auto* b = benchmark::RegisterBenchmark("full_path/StandInConsumer", &full_path<StandInConsumer>);
  b->ArgNames({"rate", "events"})->Iterations(1)->UseManualTime()->Unit(benchmark::kMillisecond);
  for (const auto& r : runs)
    b->Args(r);
}

}  // namespace
}  // namespace fillwire::bench

int main(int argc, char** argv) {
  using namespace fillwire::bench;
  calibration() = fillwire::TscCalibration::calibrate(std::chrono::milliseconds(50));
  register_consumer_runs();
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::AddCustomContext("tsc_ns_per_tick", std::to_string(calibration().ns_per_tick()));
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
