#pragma once
// Timestamps for OrderEvent::recv_ts and latency measurement.
//
// now_ticks() reads the CPU's time-stamp counter on x86-64 (one `rdtsc`, ~10 ns, no system call)
// and the steady clock in nanoseconds elsewhere. On the x86 servers fillwire targets the TSC is
// invariant (constant rate, running in every power state) and synchronised across cores by the
// kernel, so a stamp taken on the network thread can be subtracted from one taken on the strategy
// thread. TscCalibration converts ticks to nanoseconds; calibrate once at start (cold path).
//
// Thread contract: now_ticks() and a calibrated TscCalibration's conversions are safe from any
// thread; calibrate() is cold (it sleeps for the measurement window).

#include <chrono>
#include <cstdint>

#if defined(__x86_64__) || defined(__i386__)
#include <x86intrin.h>  // __rdtsc
#define FILLWIRE_HAS_TSC 1
#else
#define FILLWIRE_HAS_TSC 0
#endif

namespace fillwire {

// True when now_ticks() counts TSC ticks (then it needs calibration), false for nanoseconds.
inline constexpr bool kTicksAreTsc = FILLWIRE_HAS_TSC != 0;

// Any thread; no system call on x86-64.
[[nodiscard]] inline std::uint64_t now_ticks() noexcept {
#if FILLWIRE_HAS_TSC
  return __rdtsc();
#else
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                        std::chrono::steady_clock::now().time_since_epoch())
                                        .count());
#endif
}

// Steady-clock nanoseconds (for recv_ts when a wall-comparable unit is wanted). Any thread.
[[nodiscard]] inline std::uint64_t now_steady_ns() noexcept {
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                        std::chrono::steady_clock::now().time_since_epoch())
                                        .count());
}

// Ticks -> nanoseconds. Default-constructed it is the identity (for the steady-clock fallback).
class TscCalibration {
 public:
  TscCalibration() = default;

  // Measures the TSC against the steady clock over `window` (cold path: sleeps). On targets
  // without a TSC returns the identity calibration at once.
  static TscCalibration calibrate(std::chrono::milliseconds window = std::chrono::milliseconds(20));

  [[nodiscard]] double ns_per_tick() const noexcept { return ns_per_tick_; }
  [[nodiscard]] double ticks_per_ns() const noexcept { return 1.0 / ns_per_tick_; }

  // Any thread.
  [[nodiscard]] double to_ns(std::uint64_t ticks) const noexcept {
    return static_cast<double>(ticks) * ns_per_tick_;
  }
  [[nodiscard]] std::uint64_t from_ns(double ns) const noexcept {
    return ns <= 0.0 ? 0 : static_cast<std::uint64_t>(ns / ns_per_tick_);
  }

 private:
  explicit TscCalibration(double ns_per_tick) noexcept : ns_per_tick_(ns_per_tick) {}
  double ns_per_tick_ = 1.0;
};

}  // namespace fillwire
