#pragma once
// OrderTable: the open and recently completed orders, keyed by Uuid, in memory allocated once.
//
// Thread contract: owned by AccountState; every call is made on the strategy thread only. After
// construction nothing allocates, locks or throws.
//
// Design:
//   records    a pool of open_capacity + completed_capacity Order records with a free list.
//   index      open addressing with linear probing over (hash tag, record) slots, power-of-two size
//              at least twice the pool (load factor <= 1/2), hashed with Uuid::hash(). Deletion is
//              by backward shift: the entries after the hole that may move are shifted back, so
//              there are no tombstones and probe lengths never degrade with churn.
//   open list  dense array of the open records (iteration without scanning the pool); each record
//              knows its position, removal swaps the last entry in.
//   completed  ring of terminal records, oldest first. They stay in the index, so late and
//              duplicate events of completed orders are still recognised. When the ring is full the
//              oldest completed order is evicted (removed from the index, record freed) and
//              counted.
// Overflow policy: when open_capacity orders are open, a new non-terminal order is refused
// (insert() returns nullptr; AccountState counts the event as table_full and applies nothing).
// If a later event of that order arrives once there is room, it is created then and its cumulative
// fields are applied in full, exactly as for an order first seen mid-life. A new order whose first
// event is terminal goes straight to the completed ring and is never refused.
// Limit: an event arriving after its completed order was evicted looks like a new order; size the
// completed ring for the longest delay expected. eviction_horizon() (the latest order_ts among
// evicted orders) lets the caller flag new orders that are older than that horizon as suspect.

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>

#include "fillwire/order.hpp"

namespace fillwire {

class OrderTable {
 public:
  static constexpr std::uint32_t kNoRecord = UINT32_MAX;

  // Capacities are rounded up to powers of two. Cold path: throws std::invalid_argument on a zero
  // or absurd capacity, std::bad_alloc when memory is short.
  OrderTable(std::size_t open_capacity, std::size_t completed_capacity);
  OrderTable(const OrderTable&) = delete;
  OrderTable& operator=(const OrderTable&) = delete;

  [[nodiscard]] Order* find(const Uuid& id) noexcept {
    const std::uint32_t r = lookup(id);
    return r == kNoRecord ? nullptr : &records_[r];
  }
  [[nodiscard]] const Order* find(const Uuid& id) const noexcept {
    const std::uint32_t r = lookup(id);
    return r == kNoRecord ? nullptr : &records_[r];
  }

  // Adds an order not yet in the table (precondition: find(id) == nullptr). A terminal order goes
  // to the completed ring (evicting the oldest if full); an open one needs room in the open list,
  // else nullptr. The record is zeroed but for uuid, terminal and slot.
  [[nodiscard]] Order* insert(const Uuid& id, bool terminal) noexcept;

  // The records' number (open and completed capacity), and an order's place among them: stable
  // for the order's life in the table (records never move).
  [[nodiscard]] std::size_t records() const noexcept {
    return open_capacity_ + completed_capacity_;
  }
  [[nodiscard]] std::size_t record_of(const Order& o) const noexcept {
    return static_cast<std::size_t>(&o - records_.get());
  }
  // Whether insert(id, terminal) would give a record (a terminal order always gets one).
  [[nodiscard]] bool has_room(bool terminal) const noexcept {
    return terminal || open_size_ < open_capacity_;
  }
  // Moves an open order to the completed ring (evicting the oldest completed order if full) and
  // marks it terminal. Precondition: order.is_open() and it belongs to this table.
  void complete(Order& order) noexcept;

  // Open orders, in no particular order: open(i) for i < open_size().
  [[nodiscard]] std::size_t open_size() const noexcept { return open_size_; }
  [[nodiscard]] const Order& open(std::size_t i) const noexcept { return records_[open_[i]]; }
  // Completed orders kept, oldest first: completed(i) for i < completed_size().
  [[nodiscard]] std::size_t completed_size() const noexcept {
    return static_cast<std::size_t>(completed_tail_ - completed_head_);
  }
  [[nodiscard]] const Order& completed(std::size_t i) const noexcept {
    return records_[completed_[static_cast<std::size_t>((completed_head_ + i) & completed_mask_)]
                        .record];
  }

  [[nodiscard]] std::size_t open_capacity() const noexcept { return open_capacity_; }
  [[nodiscard]] std::size_t completed_capacity() const noexcept { return completed_capacity_; }
  [[nodiscard]] std::size_t index_capacity() const noexcept { return index_mask_ + 1; }
  [[nodiscard]] std::uint64_t evictions() const noexcept { return evictions_; }
  // The latest Order::order_ts of any evicted order (0 before the first eviction).
  [[nodiscard]] std::int64_t eviction_horizon() const noexcept { return eviction_horizon_; }
  [[nodiscard]] std::uint64_t refused() const noexcept { return refused_; }

 private:
  // An index slot is 8 bytes: the low 32 bits of the key's hash (a tag that also gives the home
  // bucket, since the index never has more than 2^32 slots) and the record number. The full key is
  // confirmed in the record, which the caller reads next anyway; the tag makes that a near-certain
  // hit, and the small slots keep the index in cache.
  struct Slot {
    std::uint32_t tag;
    std::uint32_t record;  // kNoRecord when the slot is empty
  };
  // The ring keeps each order's tag next to its record number, so the next eviction's index slot
  // and record can be prefetched without first reading the (cold) record.
  struct Completed {
    std::uint32_t tag;
    std::uint32_t record;
  };

  static_assert(sizeof(Slot) == 8,
                "Index slots are 8 bytes: eight per cache line keeps probes short.");
  static_assert(sizeof(Completed) == 8,
                "Completed-ring entries are 8 bytes so the ring stays a small sequential array.");

  [[nodiscard]] static std::uint32_t tag_of(const Uuid& id) noexcept {
    return static_cast<std::uint32_t>(id.hash());
  }
  // Two 8-byte compares; Uuid's defaulted == compiles to a memcmp call.
  [[nodiscard]] static bool same(const Uuid& a, const Uuid& b) noexcept {
    std::uint64_t a0, a1, b0, b1;
    std::memcpy(&a0, a.bytes.data(), 8);
    std::memcpy(&a1, a.bytes.data() + 8, 8);
    std::memcpy(&b0, b.bytes.data(), 8);
    std::memcpy(&b1, b.bytes.data() + 8, 8);
    return ((a0 ^ b0) | (a1 ^ b1)) == 0;
  }
  [[nodiscard]] std::uint32_t lookup(const Uuid& id) const noexcept {
    const std::uint32_t tag = tag_of(id);
    std::size_t i = tag & index_mask_;
    while (true) {
      const Slot s = index_[i];
      if (s.record == kNoRecord) return kNoRecord;
      if (s.tag == tag && same(records_[s.record].uuid, id)) return s.record;
      i = (i + 1) & index_mask_;
    }
  }
  void index_insert(std::uint32_t tag, std::uint32_t record) noexcept;
  void index_erase(std::uint32_t tag, std::uint32_t record) noexcept;
  void push_completed(std::uint32_t record) noexcept;
  void evict_oldest() noexcept;

  std::unique_ptr<Order[]> records_;
  std::unique_ptr<std::uint32_t[]> free_;   // stack of free record numbers
  std::unique_ptr<std::uint32_t[]> open_;   // dense list of open record numbers
  std::unique_ptr<Completed[]> completed_;  // ring of completed orders, oldest at the head
  std::unique_ptr<Slot[]> index_;

  std::size_t open_capacity_ = 0;
  std::size_t completed_capacity_ = 0;
  std::size_t index_mask_ = 0;
  std::uint64_t completed_mask_ = 0;
  std::size_t free_size_ = 0;
  std::size_t open_size_ = 0;
  std::uint64_t completed_head_ = 0;  // oldest completed
  std::uint64_t completed_tail_ = 0;  // one past the newest
  std::uint64_t evictions_ = 0;
  std::int64_t eviction_horizon_ = 0;
  std::uint64_t refused_ = 0;
};

}  // namespace fillwire
