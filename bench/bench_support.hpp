#pragma once
// Shared by the benchmark programs: TSC calibration, CPU pinning of the two benchmark threads,
// latency percentiles as Google Benchmark user counters.
//
// Thread contract: calibration() is set once in main() before any benchmark runs and only read
// afterwards; the other helpers act on their arguments or on the calling thread.

#include <benchmark/benchmark.h>
#include <time.h>  // clock_gettime(CLOCK_THREAD_CPUTIME_ID)

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <string>
#include <utility>
#include <vector>

#include "fillwire/clock.hpp"
#include "fillwire/detail/thread_util.hpp"

namespace fillwire::bench {

// The consumer runs on the benchmark's own thread (pinned in main), the producer on another.
inline constexpr int kConsumerCpu = 0;
inline constexpr int kProducerCpu = 1;

inline TscCalibration& calibration() {
  static TscCalibration cal;
  return cal;
}

// Pins the calling thread; on failure (e.g. a single-core machine) says so once and carries on.
inline void pin_or_warn(int cpu, const char* role) {
  if (check_pinning(2).ok()) {
    const ThreadStatus s = pin_current_thread(cpu);
    if (!s.ok())
      std::fprintf(stderr, "warning: %s thread not pinned: %s\n", role, s.message.c_str());
  } else {
    static bool warned = false;
    if (!warned) std::fprintf(stderr, "warning: %s\n", check_pinning(2).message.c_str());
    warned = true;
  }
}

struct Percentiles {
  double p10 = 0;
  double p25 = 0;
  double p50 = 0;
  double p75 = 0;
  double p90 = 0;
  double p99 = 0;
  double p999 = 0;
  double p9999 = 0;
  double max = 0;
};

// Sorts `ticks` in place and returns nanosecond percentiles (nearest rank).
inline Percentiles percentiles_ns(std::vector<std::uint64_t>& ticks) {
  Percentiles p;
  if (ticks.empty()) return p;
  std::sort(ticks.begin(), ticks.end());
  auto at = [&](double q) {
    const auto i = static_cast<std::size_t>(q * static_cast<double>(ticks.size() - 1) + 0.5);
    return calibration().to_ns(ticks[std::min(i, ticks.size() - 1)]);
  };
  p.p10 = at(0.10);
  p.p25 = at(0.25);
  p.p50 = at(0.50);
  p.p75 = at(0.75);
  p.p90 = at(0.90);
  p.p99 = at(0.99);
  p.p999 = at(0.999);
  p.p9999 = at(0.9999);
  p.max = calibration().to_ns(ticks.back());
  return p;
}

// The four the console shows, plus the rest of the distribution for tools/plot (JSON output only
// needs them; the console columns stay readable).
inline void report(benchmark::State& state, const Percentiles& p) {
  state.counters["p50_ns"] = p.p50;
  state.counters["p99_ns"] = p.p99;
  state.counters["p99.9_ns"] = p.p999;
  state.counters["max_ns"] = p.max;
  state.counters["p10_ns"] = p.p10;
  state.counters["p25_ns"] = p.p25;
  state.counters["p75_ns"] = p.p75;
  state.counters["p90_ns"] = p.p90;
  state.counters["p99.99_ns"] = p.p9999;
}

// CPU time the calling thread has run, in ns (a system call: cold path only).
inline std::uint64_t thread_cpu_ns() noexcept {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<std::uint64_t>(ts.tv_sec) * 1'000'000'000u +
         static_cast<std::uint64_t>(ts.tv_nsec);
}

// How much of a span of wall time a thread was actually on a CPU: on a shared VM, other tenants
// take cores away from even a busy-spinning pinned thread. Call begin() and end() on that thread.
class OnCpuShare {
 public:
  void begin() noexcept {
    cpu0_ = thread_cpu_ns();
    wall0_ = now_steady_ns();
  }
  void end() noexcept {
    cpu1_ = thread_cpu_ns();
    wall1_ = now_steady_ns();
  }
  [[nodiscard]] double share() const noexcept {
    return wall1_ > wall0_
               ? static_cast<double>(cpu1_ - cpu0_) / static_cast<double>(wall1_ - wall0_)
               : 0.0;
  }

 private:
  std::uint64_t cpu0_ = 0, wall0_ = 0, cpu1_ = 0, wall1_ = 0;
};

// Paced runs of `b`, one per {offered rate (events/s, 0 = as fast as it goes), events}: a single
// iteration each, timed by the benchmark itself (SetIterationTime), in milliseconds.
inline void add_rate_runs(benchmark::internal::Benchmark* b,
                          const std::vector<std::vector<std::int64_t>>& runs) {
  b->ArgNames({"rate", "events"})->Iterations(1)->UseManualTime()->Unit(benchmark::kMillisecond);
  for (const auto& r : runs)
    b->Args(r);
}

// The end of a benchmark program's main(), once calibration() is set and the benchmarks are
// registered: parses the command line (an unknown argument: exit status 1), records the TSC
// calibration in the output's context, runs the benchmarks, then `after_run` (e.g. a summary).
template <class AfterRun>
int run_benchmarks(int argc, char** argv, AfterRun&& after_run) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::AddCustomContext("tsc_ns_per_tick", std::to_string(calibration().ns_per_tick()));
  benchmark::RunSpecifiedBenchmarks();
  std::forward<AfterRun>(after_run)();
  benchmark::Shutdown();
  return 0;
}

inline int run_benchmarks(int argc, char** argv) {
  return run_benchmarks(argc, argv, [] {});
}

// Busy-waits until the TSC reaches `deadline` (pacing without a system call).
inline void spin_until(std::uint64_t deadline) noexcept {
  while (now_ticks() < deadline) {
  }
}

}  // namespace fillwire::bench
