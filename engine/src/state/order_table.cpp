#include "fillwire/detail/order_table.hpp"

#include <algorithm>
#include <bit>
#include <cstring>
#include <stdexcept>
#include <string>

namespace fillwire {
namespace {

// Largest capacity accepted: record numbers are 32-bit and the index holds twice the pool.
constexpr std::size_t kMaxCapacity = std::size_t{1} << 28;

std::size_t round_capacity(std::size_t n, const char* what) {
  if (n == 0 || n > kMaxCapacity) {
    throw std::invalid_argument(std::string("OrderTable: ") + what + " capacity " +
                                std::to_string(n) + " is outside 1.." +
                                std::to_string(kMaxCapacity));
  }
  return std::bit_ceil(n);
}

}  // namespace

OrderTable::OrderTable(std::size_t open_capacity, std::size_t completed_capacity)
    : open_capacity_(round_capacity(open_capacity, "open-order")),
      completed_capacity_(round_capacity(completed_capacity, "completed-order")) {
  const std::size_t pool = open_capacity_ + completed_capacity_;
  const std::size_t index_size = std::bit_ceil(2 * pool);
  records_ = std::make_unique<Order[]>(pool);
  free_ = std::make_unique<std::uint32_t[]>(pool);
  open_ = std::make_unique<std::uint32_t[]>(open_capacity_);
  completed_ = std::make_unique<Completed[]>(completed_capacity_);
  index_ = std::make_unique<Slot[]>(index_size);
  for (std::size_t i = 0; i < index_size; ++i)
    index_[i].record = kNoRecord;
  // Hand out low record numbers first (the stack pops from the end).
  for (std::size_t i = 0; i < pool; ++i)
    free_[i] = static_cast<std::uint32_t>(pool - 1 - i);
  free_size_ = pool;
  index_mask_ = index_size - 1;
  completed_mask_ = completed_capacity_ - 1;
}

Order* OrderTable::insert(const Uuid& id, bool terminal) noexcept {
  if (!terminal && open_size_ == open_capacity_) {
    ++refused_;
    return nullptr;
  }
  // The pool holds exactly open + completed capacity records, so a full completed ring must give
  // one back before a terminal order can take a record.
  if (terminal && completed_size() == completed_capacity_) evict_oldest();
  const std::uint32_t r = free_[--free_size_];
  Order& o = records_[r];
  std::memset(&o, 0, sizeof o);
  o.uuid = id;
  o.terminal = terminal;
  index_insert(tag_of(id), r);
  if (terminal) {
    push_completed(r);
  } else {
    o.slot = static_cast<std::uint32_t>(open_size_);
    open_[open_size_++] = r;
  }
  return &o;
}

void OrderTable::complete(Order& order) noexcept {
  const auto r = static_cast<std::uint32_t>(&order - records_.get());
  // Remove from the dense open list: the last entry takes this one's place.
  const std::uint32_t pos = order.slot;
  const std::uint32_t last = open_[--open_size_];
  open_[pos] = last;
  records_[last].slot = pos;
  order.terminal = true;
  push_completed(r);
}

void OrderTable::evict_oldest() noexcept {
  const Completed oldest = completed_[static_cast<std::size_t>(completed_head_ & completed_mask_)];
  ++completed_head_;
  index_erase(oldest.tag, oldest.record);
  free_[free_size_++] = oldest.record;
  ++evictions_;
  // The record was prefetched by the previous eviction (below).
  eviction_horizon_ = std::max(eviction_horizon_, records_[oldest.record].order_ts);
  // The next eviction touches the next-oldest order's index slot and record (which is then reused
  // for a new order): both are long cold, so start loading them now.
  if (completed_head_ != completed_tail_) {
    const Completed& next = completed_[static_cast<std::size_t>(completed_head_ & completed_mask_)];
    __builtin_prefetch(&index_[next.tag & index_mask_], 1);
    const char* record = reinterpret_cast<const char*>(&records_[next.record]);
    for (std::size_t line = 0; line < sizeof(Order); line += 64)
      __builtin_prefetch(record + line, 1);
  }
}

void OrderTable::push_completed(std::uint32_t record) noexcept {
  if (completed_size() == completed_capacity_) evict_oldest();
  records_[record].slot = static_cast<std::uint32_t>(completed_tail_ & completed_mask_);
  completed_[static_cast<std::size_t>(completed_tail_ & completed_mask_)] = {
      tag_of(records_[record].uuid), record};
  ++completed_tail_;
}

void OrderTable::index_insert(std::uint32_t tag, std::uint32_t record) noexcept {
  std::size_t i = tag & index_mask_;
  while (index_[i].record != kNoRecord)
    i = (i + 1) & index_mask_;
  index_[i] = {tag, record};
}

void OrderTable::index_erase(std::uint32_t tag, std::uint32_t record) noexcept {
  std::size_t hole = tag & index_mask_;
  while (true) {
    if (index_[hole].record == kNoRecord) return;  // not present
    if (index_[hole].record == record) break;
    hole = (hole + 1) & index_mask_;
  }
  // Backward shift: walk the cluster after the hole; an entry may fill the hole when its home
  // bucket is not cyclically inside (hole, j], i.e. moving it back keeps it reachable from home.
  std::size_t j = hole;
  while (true) {
    j = (j + 1) & index_mask_;
    if (index_[j].record == kNoRecord) break;
    const std::size_t home = index_[j].tag & index_mask_;
    const std::size_t dist_home = (j - home) & index_mask_;
    const std::size_t dist_hole = (j - hole) & index_mask_;
    if (dist_home >= dist_hole) {
      index_[hole] = index_[j];
      hole = j;
    }
  }
  index_[hole].record = kNoRecord;
}

}  // namespace fillwire
