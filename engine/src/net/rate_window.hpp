#pragma once
// Process-wide send discipline toward the exchange: Upbit counts connects (5/s) and REST requests
// (30/s) per account and address, whatever number of clients a process runs, and answers repeated
// excess with HTTP 418 and a ban. Every LiveSource in the process reserves its connects and
// requests in the same windows and honours the same ban.
//
// Thread contract: any thread (a mutex; cold path only: connects and REST requests).

#include <chrono>
#include <cstddef>
#include <deque>
#include <mutex>

namespace fillwire::net {

using SteadyTime = std::chrono::steady_clock::time_point;

class RateWindow {
 public:
  // Reserves one send at `now` or later such that at most `per_second` sends fall in any window
  // of 1.05 s (a margin for the path's jitter); returns the time it may go (now when there is
  // room).
  SteadyTime reserve(SteadyTime now, std::size_t per_second);

 private:
  std::mutex mutex_;
  std::deque<SteadyTime> sent_;  // reserved times, non-decreasing, at most per_second kept
};

// Until when the exchange banned us (HTTP 418). Any thread.
class BanClock {
 public:
  void ban_until(SteadyTime until);
  [[nodiscard]] SteadyTime until();

 private:
  std::mutex mutex_;
  SteadyTime until_{};
};

RateWindow& connect_window();
RateWindow& rest_window();
BanClock& exchange_ban();

}  // namespace fillwire::net
