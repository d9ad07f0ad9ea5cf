// TSC calibration against the steady clock.

#include "fillwire/clock.hpp"

#include <chrono>
#include <thread>

namespace fillwire {

TscCalibration TscCalibration::calibrate(std::chrono::milliseconds window) {
  if constexpr (!kTicksAreTsc) {
    return TscCalibration{};
  } else {
    // Bracket both clocks tightly at each end, then divide: over 20 ms the bracketing error
    // (tens of ns) is ~1e-6 relative.
    const auto t0 = std::chrono::steady_clock::now();
    const std::uint64_t c0 = now_ticks();
    std::this_thread::sleep_for(window);
    const auto t1 = std::chrono::steady_clock::now();
    const std::uint64_t c1 = now_ticks();
    const double ns =
        static_cast<double>(std::chrono::duration_cast<std::chrono::nanoseconds>(t1 - t0).count());
    const std::uint64_t ticks = c1 - c0;
    if (ticks == 0 || ns <= 0.0) return TscCalibration{};
    return TscCalibration{ns / static_cast<double>(ticks)};
  }
}

}  // namespace fillwire
