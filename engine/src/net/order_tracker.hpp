#pragma once
// OrderTracker: the orders a live connection saw, for the resync: whether each is open (the
// per-uuid query asks about those) and which of its trades arrived as their own events (an order
// with a trade missing has its trades fetched). A fixed open-addressing table, no allocation after
// start; when it is full the order entered first is forgotten (a forgotten order only costs an
// extra query). Deletion by backward shift (no tombstones).
//
// The table is large (two slots per order remembered, 4 MiB at the default capacity), so an
// event's slot is rarely in cache. on_event() therefore applies each event one call late: it
// prefetches the slot of the event it is given and applies the one before, whose slot was
// prefetched a whole frame earlier. Every reader applies the noted event first, so what a reader
// sees is exactly every event given so far (the readers are const to their callers: the one
// noted event is state held aside, not a change of what the tracker says).
//
// Thread contract: the network thread only.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "fillwire/order_event.hpp"

namespace fillwire::net {

class OrderTracker {
 public:
  explicit OrderTracker(std::size_t capacity) {
    std::size_t n = 16;
    while (n < capacity * 2)
      n <<= 1;
    slots_.assign(n, Entry{});
    mask_ = n - 1;
    fifo_.assign(std::max<std::size_t>(capacity, 1), Uuid{});
  }

  // Network thread, every event published (stream and resync).
  void on_event(const OrderEvent& e) noexcept {
    settle();
    noted_ = Noted{e.uuid, e.trades_count, e.state, true};
    __builtin_prefetch(&slots_[e.uuid.hash() & mask_], 1);
    // A new order would evict the oldest when the table is full: its slot is wanted too.
    if (size_ == fifo_.size()) __builtin_prefetch(&slots_[fifo_[fifo_head_].hash() & mask_], 1);
  }

  // Trade `k` of the order came as its own event (trades 64 or more behind the newest seen are
  // taken as seen).
  [[nodiscard]] bool trade_seen(const Uuid& id, std::uint32_t k) const noexcept {
    settle();
    const Entry* t = find(id);
    if (t == nullptr || k > t->top) return false;
    return t->top - k >= 64 || ((t->seen >> (t->top - k)) & 1) != 0;
  }
  [[nodiscard]] bool all_trades_seen(const Uuid& id, std::uint32_t trades_count) const noexcept {
    for (std::uint32_t k = trades_count; k > 0 && trades_count - k < 64; --k) {
      if (!trade_seen(id, k)) return false;
    }
    return true;
  }

  template <class F>
  void for_each_open(F&& f) const {
    settle();
    for (const Entry& t : slots_) {
      if (t.used && !t.closed) f(t.id);
    }
  }

 private:
  // 32 bytes on a 32-byte boundary: an entry never straddles two cache lines.
  struct alignas(32) Entry {
    Uuid id{};
    std::uint64_t seen = 0;  // bit i: trade number top - i arrived
    std::uint32_t top = 0;   // highest trade number seen
    bool used = false;
    bool closed = false;
  };
  // What on_event() keeps of the event it has not applied yet.
  struct Noted {
    Uuid id{};
    std::uint32_t trades_count = 0;
    OrderState state{};
    bool valid = false;
  };

  // Applies the noted event, if any (see the header comment).
  void settle() const noexcept {
    if (!noted_.valid) return;
    noted_.valid = false;
    apply(noted_);
  }

  void apply(const Noted& e) const noexcept {
    Entry& t = upsert(e.id);
    if (is_terminal(e.state)) t.closed = true;  // absorbing: a late event does not reopen it
    if (e.state != OrderState::trade || e.trades_count == 0) return;
    const std::uint32_t k = e.trades_count;
    if (k > t.top) {
      const std::uint32_t shift = k - t.top;
      t.seen = shift >= 64 ? 0 : t.seen << shift;
      t.seen |= 1;
      t.top = k;
    } else if (t.top - k < 64) {
      t.seen |= std::uint64_t{1} << (t.top - k);
    }
  }

  [[nodiscard]] const Entry* find(const Uuid& u) const noexcept {
    for (std::size_t i = u.hash() & mask_; slots_[i].used; i = (i + 1) & mask_) {
      if (slots_[i].id == u) return &slots_[i];
    }
    return nullptr;
  }

  Entry& upsert(const Uuid& u) const noexcept {
    std::size_t i = u.hash() & mask_;
    for (; slots_[i].used; i = (i + 1) & mask_) {
      if (slots_[i].id == u) return slots_[i];
    }
    if (size_ == fifo_.size()) {
      erase(fifo_[fifo_head_]);  // forget the order entered first
      i = u.hash() & mask_;
      while (slots_[i].used)
        i = (i + 1) & mask_;
    }
    fifo_[(fifo_head_ + size_) % fifo_.size()] = u;
    if (size_ == fifo_.size()) {
      fifo_head_ = (fifo_head_ + 1) % fifo_.size();
    } else {
      ++size_;
    }
    slots_[i] = Entry{u, 0, 0, true, false};
    return slots_[i];
  }

  void erase(const Uuid& u) const noexcept {
    std::size_t i = u.hash() & mask_;
    while (slots_[i].used && !(slots_[i].id == u))
      i = (i + 1) & mask_;
    if (!slots_[i].used) return;
    slots_[i].used = false;
    for (std::size_t j = (i + 1) & mask_; slots_[j].used; j = (j + 1) & mask_) {
      const std::size_t home = slots_[j].id.hash() & mask_;
      // Move j back into the hole at i if its home is not in (i, j] (cyclically).
      if (((j - home) & mask_) >= ((j - i) & mask_)) {
        slots_[i] = slots_[j];
        slots_[j].used = false;
        i = j;
      }
    }
  }

  // mutable: settle() applies the noted event from the const readers (see the header comment).
  mutable std::vector<Entry> slots_;
  std::size_t mask_ = 0;
  mutable std::vector<Uuid> fifo_;  // orders in the order they were entered, oldest at fifo_head_
  mutable std::size_t fifo_head_ = 0;
  mutable std::size_t size_ = 0;
  mutable Noted noted_;
};

}  // namespace fillwire::net
