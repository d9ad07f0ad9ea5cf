// apply_bench: nanoseconds per event for AccountState::apply on a realistic mix.
//
// The stream: 256 orders in flight at a time across 4 markets, both sides; each order goes
// wait -> 0..3 partial trades -> done (65 %), cancel (25 %) or prevented (5 %); 5 % of orders are
// first seen mid-life (their wait is missing) and about 3 % of events are duplicates re-sent a
// little later. Event and trade times rise with the stream, as the exchange sends them (a
// duplicate keeps its original's times), so fills arrive in trade-time order. The stream (64 Ki
// events, 16 MiB) is replayed in passes; before each pass (outside the timing) the order ids are
// salted and the times moved past the previous pass, so every pass is new, later orders, and the
// state stays in its steady state (completed ring full and evicting, open table about 256 orders).
//
// BM_ApplyNoWindow runs the same stream with AccountConfig::fill_window = 0 (fills applied as they
// come, no trade-time ordering): the baseline for the window's cost. BM_ApplyReordered swaps 5 %
// of the events with the next one (as the simulator's reorder fault does), so some fills arrive
// late and are put at their place.
//
// Run (short):  build/bench/bench/apply_bench --benchmark_min_time=0.2 --benchmark_repetitions=5
// BM_Apply reports the mean ns/event of each run (time per iteration; one event per iteration);
// take the median of the repetitions. BM_ApplyLatency times every apply() alone with the TSC
// (lfence; rdtsc; lfence around it) and reports the per-event distribution: p50/p99/p99.9 in ns,
// with the timer's own cost (median of empty measurements) subtracted and also shown.

#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <random>
#include <vector>
#if defined(__x86_64__)
#include <x86intrin.h>  // __rdtsc, _mm_lfence: per-event timing
#endif

#include "fillwire/account_state.hpp"
#include "order_stream.hpp"

namespace {

using fillwire::AccountConfig;
using fillwire::AccountState;
using fillwire::OrderEvent;

constexpr std::string_view kMarkets[] = {"KRW-BTC", "KRW-ETH", "KRW-XRP", "KRW-SOL"};

std::vector<OrderEvent> make_stream(std::size_t target) {
  return fillwire::test::make_order_stream({.events = target, .markets = kMarkets});
}

// Five events in a hundred swapped with the next one: late fills, as with reordering faults.
void reorder(std::vector<OrderEvent>& stream) {
  std::mt19937_64 rng{7};
  for (std::size_t i = 0; i + 1 < stream.size(); ++i) {
    if (rng() % 100 < 5) std::swap(stream[i], stream[i + 1]);
  }
}

void salt(std::vector<OrderEvent>& stream, std::uint64_t pass) {
  fillwire::test::salt_uuids(stream, pass);
}

// The stream, pass after pass: at its end it is salted for the next pass with the timer paused.
class Passes {
 public:
  explicit Passes(std::vector<OrderEvent>& stream) noexcept : stream_(&stream) {}
  const OrderEvent& next(benchmark::State& st) {
    if (i_ == stream_->size()) {
      st.PauseTiming();
      salt(*stream_, ++pass_);
      i_ = 0;
      st.ResumeTiming();
    }
    return (*stream_)[i_++];
  }

 private:
  std::vector<OrderEvent>* stream_;
  std::uint64_t pass_ = 0;
  std::size_t i_ = 0;
};

AccountConfig bench_config(std::size_t history, std::size_t fill_window = 64) {
  AccountConfig c;
  c.fill_window = fill_window;
  c.open_orders = 4096;
  c.completed_orders = 8192;
  c.markets = 64;
  c.history = history;
  for (const std::string_view m : kMarkets) {
    c.holdings.push_back(
        {.market = std::string(m), .volume = 1e9, .avg_cost = 1000.0, .avg_cost_net = {}});
  }
  return c;
}

void run(benchmark::State& st, std::size_t history, std::size_t fill_window = 64,
         bool reordered = false) {
  auto stream = make_stream(static_cast<std::size_t>(st.range(0)));
  if (reordered) reorder(stream);
  AccountState account(bench_config(history, fill_window));
  Passes passes(stream);
  for (auto _ : st) {
    account.apply(passes.next(st));
  }
  benchmark::DoNotOptimize(account.counters().events);
  st.SetItemsProcessed(st.iterations());
  const auto& c = account.counters();
  const double events = static_cast<double>(c.events);
  st.counters["dup_share"] = static_cast<double>(c.duplicates) / events;
  st.counters["stale_share"] = static_cast<double>(c.stale) / events;
  st.counters["open_orders"] = static_cast<double>(account.open_order_count());
  st.counters["table_full"] = static_cast<double>(c.table_full);
  st.counters["late_share"] = static_cast<double>(c.fills_late + c.fills_out_of_place) / events;
}

void BM_Apply(benchmark::State& st) {
  run(st, 1024);
}
void BM_ApplyNoHistory(benchmark::State& st) {
  run(st, 0);
}
void BM_ApplyNoWindow(benchmark::State& st) {
  run(st, 1024, 0);
}
void BM_ApplyReordered(benchmark::State& st) {
  run(st, 1024, 64, true);
}

#if defined(__x86_64__)
// Serialised TSC read: the lfences keep apply()'s loads and stores on their side of the stamp.
inline std::uint64_t ticks() noexcept {
  _mm_lfence();
  const std::uint64_t t = __rdtsc();
  _mm_lfence();
  return t;
}

double percentile(std::vector<std::uint32_t>& v, double q) {
  const auto k = static_cast<std::size_t>(q * static_cast<double>(v.size() - 1));
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(k), v.end());
  return static_cast<double>(v[k]);
}

void BM_ApplyLatency(benchmark::State& st) {
  auto stream = make_stream(4096);
  AccountState account(bench_config(1024));
  std::vector<std::uint32_t> samples;
  samples.reserve(std::size_t{1} << 22);
  Passes passes(stream);
  const auto clock0 = std::chrono::steady_clock::now();
  const std::uint64_t tsc0 = ticks();
  for (auto _ : st) {
    const std::uint64_t a = ticks();
    account.apply(passes.next(st));
    const std::uint64_t b = ticks();
    if (samples.size() < samples.capacity()) samples.push_back(static_cast<std::uint32_t>(b - a));
  }
  const std::uint64_t tsc1 = ticks();
  const auto clock1 = std::chrono::steady_clock::now();
  const double ns_per_tick =
      static_cast<double>(
          std::chrono::duration_cast<std::chrono::nanoseconds>(clock1 - clock0).count()) /
      static_cast<double>(tsc1 - tsc0);
  std::vector<std::uint32_t> empty(100000);
  for (auto& e : empty) {
    const std::uint64_t a = ticks();
    const std::uint64_t b = ticks();
    e = static_cast<std::uint32_t>(b - a);
  }
  const double overhead = percentile(empty, 0.5);
  auto net_ns = [&](double q) {
    return std::max(0.0, percentile(samples, q) - overhead) * ns_per_tick;
  };
  st.SetItemsProcessed(st.iterations());
  st.counters["p50_ns"] = net_ns(0.5);
  st.counters["p90_ns"] = net_ns(0.9);
  st.counters["p99_ns"] = net_ns(0.99);
  st.counters["p999_ns"] = net_ns(0.999);
  st.counters["timer_ns"] = overhead * ns_per_tick;
}
BENCHMARK(BM_ApplyLatency);
#endif

// Argument: events per pass. 4 Ki events (1 MiB) is a ring's worth, warm in cache as events are
// when the strategy thread drains them; 64 Ki (16 MiB) streams them from memory.
BENCHMARK(BM_Apply)->Arg(4096)->Arg(65536);
BENCHMARK(BM_ApplyNoHistory)->Arg(4096);
BENCHMARK(BM_ApplyNoWindow)->Arg(4096);
BENCHMARK(BM_ApplyReordered)->Arg(4096);

}  // namespace

BENCHMARK_MAIN();
