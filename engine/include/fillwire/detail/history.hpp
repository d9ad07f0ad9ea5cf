#pragma once
// History: a bounded ring of the last N events given to AccountState, as copies, each with what
// apply() did with it. The oldest entry is overwritten first.
//
// Thread contract: owned by AccountState; push() on the strategy thread only (inside apply()); the
// strategy reads it on that same thread. Storage is allocated once at construction (cold path);
// push() copies 256 bytes and never allocates.

#include <cstddef>
#include <cstdint>
#include <memory>

#include "fillwire/apply_counters.hpp"
#include "fillwire/order_event.hpp"

namespace fillwire {

class History {
 public:
  // `capacity` is rounded up to a power of two; 0 keeps nothing. Cold path: may throw bad_alloc.
  explicit History(std::size_t capacity);

  // Strategy thread only. Returns the slot's outcome so apply() can record its verdict later.
  ApplyOutcome& push(const OrderEvent& e) noexcept {
    if (capacity_ == 0) return scratch_;
    const std::size_t i = static_cast<std::size_t>(next_ & mask_);
    events_[i] = e;
    ++next_;
    outcome_[i] = ApplyOutcome::applied;
    return outcome_[i];
  }

  [[nodiscard]] std::size_t capacity() const noexcept { return capacity_; }
  [[nodiscard]] std::size_t size() const noexcept {
    return next_ < capacity_ ? static_cast<std::size_t>(next_) : capacity_;
  }
  [[nodiscard]] std::uint64_t total_pushed() const noexcept { return next_; }

  // i = 0 is the oldest kept event, size() - 1 the newest. Precondition: i < size().
  [[nodiscard]] const OrderEvent& event(std::size_t i) const noexcept { return events_[index(i)]; }
  [[nodiscard]] ApplyOutcome outcome(std::size_t i) const noexcept { return outcome_[index(i)]; }

 private:
  [[nodiscard]] std::size_t index(std::size_t i) const noexcept {
    return static_cast<std::size_t>((next_ - size() + i) & mask_);
  }

  std::unique_ptr<OrderEvent[]> events_;
  std::unique_ptr<ApplyOutcome[]> outcome_;
  std::size_t capacity_ = 0;
  std::uint64_t mask_ = 0;
  std::uint64_t next_ = 0;  // events pushed so far; the next slot is next_ & mask_
  ApplyOutcome scratch_ = ApplyOutcome::applied;  // verdict sink when capacity is 0
};

}  // namespace fillwire
