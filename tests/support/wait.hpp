#pragma once
// Bounded waits on a condition, for tests: poll `pred` until it holds or the deadline passes, and
// say which. A test waits for an outcome this way rather than sleeping for a fixed time (too short
// on a loaded machine, needlessly long on an idle one). A sleep that is part of the scenario (a
// peer that is slow on purpose, a span in which nothing may happen) stays a sleep, with a comment.

#include <chrono>
#include <cstdint>
#include <thread>

namespace fillwire::test {

// True as soon as pred() holds; false if it still does not at `deadline` (checked once more then).
template <class Pred>
[[nodiscard]] bool wait_until(Pred&& pred, std::chrono::steady_clock::time_point deadline,
                              std::chrono::milliseconds poll = std::chrono::milliseconds(5)) {
  while (!pred()) {
    if (std::chrono::steady_clock::now() >= deadline) return pred();
    std::this_thread::sleep_for(poll);
  }
  return true;
}

// The same with a deadline `timeout` from now.
template <class Pred, class Rep, class Period>
[[nodiscard]] bool wait_until(Pred&& pred, std::chrono::duration<Rep, Period> timeout,
                              std::chrono::milliseconds poll = std::chrono::milliseconds(5)) {
  return wait_until(pred, std::chrono::steady_clock::now() + timeout, poll);
}

// For a polling wait: true once the value it is given has stayed the same for `span` (counted
// from construction while it has not changed from `initial`).
class Unchanged {
 public:
  explicit Unchanged(std::chrono::steady_clock::duration span, std::uint64_t initial = 0)
      : span_(span), last_(initial), since_(std::chrono::steady_clock::now()) {}
  bool operator()(std::uint64_t value) {
    const auto now = std::chrono::steady_clock::now();
    if (value != last_) {
      last_ = value;
      since_ = now;
    }
    return now - since_ > span_;
  }

 private:
  std::chrono::steady_clock::duration span_;
  std::uint64_t last_;
  std::chrono::steady_clock::time_point since_;
};

}  // namespace fillwire::test
