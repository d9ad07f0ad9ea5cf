#include "fillwire/detail/history.hpp"

#include <bit>
#include <cstring>

namespace fillwire {

History::History(std::size_t capacity) {
  if (capacity == 0) return;
  capacity_ = std::bit_ceil(capacity);
  mask_ = capacity_ - 1;
  events_ = std::make_unique<OrderEvent[]>(capacity_);
  outcome_ = std::make_unique<ApplyOutcome[]>(capacity_);
  // Touch the pages now so the first laps of push() do not page-fault on the strategy thread.
  std::memset(static_cast<void*>(events_.get()), 0, capacity_ * sizeof(OrderEvent));
}

}  // namespace fillwire
