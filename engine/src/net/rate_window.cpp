#include "rate_window.hpp"

#include <algorithm>

namespace fillwire::net {

SteadyTime RateWindow::reserve(SteadyTime now, std::size_t per_second) {
  // A second and a little more: sends reserved a second apart can reach the exchange closer
  // together when the earlier one's path was slower.
  constexpr auto kSecond = std::chrono::milliseconds(1050);
  per_second = std::max<std::size_t>(per_second, 1);
  const std::lock_guard lock(mutex_);
  SteadyTime at = sent_.empty() ? now : std::max(now, sent_.back());
  if (sent_.size() >= per_second) at = std::max(at, sent_[sent_.size() - per_second] + kSecond);
  sent_.push_back(at);
  while (sent_.size() > per_second)
    sent_.pop_front();
  return at;
}

void BanClock::ban_until(SteadyTime until) {
  const std::lock_guard lock(mutex_);
  until_ = std::max(until_, until);
}

SteadyTime BanClock::until() {
  const std::lock_guard lock(mutex_);
  return until_;
}

RateWindow& connect_window() {
  static RateWindow w;
  return w;
}

RateWindow& rest_window() {
  static RateWindow w;
  return w;
}

BanClock& exchange_ban() {
  static BanClock b;
  return b;
}

}  // namespace fillwire::net
