#pragma once
// FillWindow: one market's most recent fills in canonical order, each with the position basis
// before it, so that a fill arriving late is put at its place and the fills after it are applied
// again — average-cost PnL then does not depend on the order in which fills arrive.
//
// Thread contract: owned by AccountState, used on the strategy thread only (inside apply()).
// The storage is allocated once by the constructor (cold path); add() and split() never allocate,
// lock, throw or make a system call, and do bounded work (at most `capacity` fills re-applied).
//
// Canonical order (FillKey, docs/account-state.md): trade time in ms, then the order's uuid (its 16
// bytes, i.e. the text form's order), then the order's trade number (trades_count after the fill).
// Both the exchange's truth and the client know all three for every trade.
//
// A Fill is the delta of one order's cumulative fields. Normally it is one trade. When an event
// covers trades whose own events were not seen (a healed gap), the trades it did not announce form
// a gap fill: `unknown` trades first_trade..trade of that order, placed at the event's time. When a
// trade event of such a gap arrives later, split() takes its figures out of the gap fill and puts
// them at the trade's own time; the last unknown trade takes all that is left, so sums stay exact.
//
// Limits (counted by AccountState): a fill older than every fill kept, once older fills have left
// the window, is applied at the start of the window (after the fills that left it), not at its
// exact place; a late trade whose gap fill has left the window stays inside it.
//
// Undo: AccountState applies an event's fills as one group, begin() .. end(). If any basis computed
// meanwhile (the position's, or a replayed fill's snapshot) leaves +-kFigureLimit, figures_ok() is
// false and rollback() restores the window and the position's basis exactly. A slot is saved before
// its first change: one slot for a fill applied in order, the whole ring (into the caller's scratch
// of capacity() + 2 fills) before a late fill's insert and replay. Fills that go in order, the
// common case, need no group: AccountState checks their basis first (in_order, basis_after) and
// then append()s them.

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <type_traits>

#include "fillwire/order_event.hpp"
#include "fillwire/position.hpp"
#include "fillwire/uuid.hpp"

namespace fillwire {

// FillKey (the canonical order) is in position.hpp: a Position keeps its mark by it.

// What a fill is: the part AccountState hands in (one cache line).
struct FillHead {
  std::int64_t time;
  Uuid order;
  std::uint32_t trade;        // last trade number covered (the key's)
  std::uint32_t first_trade;  // first trade number covered
  std::uint32_t unknown;      // trades covered whose own event was not seen: 0 for a plain fill
  Side side;
  double volume;
  double funds;
  double fee;

  [[nodiscard]] FillKey key() const noexcept { return {time, order, trade}; }
};

// A fill kept in the window, with the basis it was applied to.
struct Fill : FillHead {
  PositionBasis before;  // the position's basis just before this fill
};

static_assert(std::is_trivially_copyable_v<Fill>, "Fills are moved inside a preallocated ring.");
static_assert(sizeof(FillHead) == 64 && sizeof(Fill) == 128,
              "A fill is one cache line, two with its basis snapshot.");

// Applies a fill's basis part (the totals are counted once, when the fill first arrives).
inline void apply_basis(Position& p, const FillHead& f) noexcept {
  if (f.side == Side::bid) {
    p.buy_basis(f.volume, f.funds, f.fee);
  } else {
    p.sell_basis(f.volume, f.funds, f.fee);
  }
}

// The basis `b` becomes after `f` (the same arithmetic as apply_basis()).
[[nodiscard]] inline PositionBasis basis_after(PositionBasis b, const FillHead& f) noexcept {
  if (f.side == Side::bid) {
    b.buy(f.volume, f.funds, f.fee);
  } else {
    b.sell(f.volume, f.funds, f.fee);
  }
  return b;
}

// Applies a fill's basis part and says whether the basis stayed within +-kFigureLimit.
[[nodiscard]] inline bool apply_basis_checked(Position& p, const FillHead& f) noexcept {
  apply_basis(p, f);
  return within_limits(p.basis());
}

class FillWindow {
 public:
  enum class Placed : std::uint8_t {
    in_order,      // newer than every fill kept: applied at the end
    late,          // put at its place among the fills kept; the ones after it applied again
    out_of_place,  // older than the window: applied at its start; or its gap fill is gone
    not_found,     // split(): no gap fill of that order covers the trade
  };

  // `capacity` fills (rounded up to a power of two); 0: no window, fills applied as they come.
  explicit FillWindow(std::size_t capacity = 0);

  // Strategy thread. Whether a fill with key `k` goes at the end (add() answers in_order): then
  // the caller can check the basis it gives (basis_after()) before anything is written, and
  // append() it with no undo.
  [[nodiscard]] bool in_order(const FillKey& k) const noexcept {
    return mask_ == 0 || size_ == 0 || !(k < ring_[(head_ + size_ - 1) & mask_].key());
  }
  // Strategy thread. Appends `f` (in_order(f.key())) and sets p's basis to `after`, which is
  // basis_after(p.basis(), f). Not part of a begin() .. end() group.
  void append(Position& p, const FillHead& f, const PositionBasis& after) noexcept {
    if (mask_ != 0) {
      if (size_ == mask_ + 1) drop_oldest();
      Fill& slot = at(size_++);
      static_cast<FillHead&>(slot) = f;
      slot.before = p.basis();
    }
    p.set_basis(after);
  }

  // Strategy thread. Applies `f`'s basis to `p` at its place in canonical order.
  Placed add(Position& p, const FillHead& f) noexcept {
    if (mask_ == 0) {
      figures_ok_ &= apply_basis_checked(p, f);
      return Placed::in_order;
    }
    if (size_ != 0 && f.key() < at(size_ - 1).key()) return insert(p, f);
    // Full or not, the slot written is the one after the newest (when full: the oldest's).
    save_slot((head_ + size_) & mask_);
    if (size_ == mask_ + 1) drop_oldest();
    Fill& slot = at(size_++);
    static_cast<FillHead&>(slot) = f;
    slot.before = p.basis();
    figures_ok_ &= apply_basis_checked(p, f);
    return Placed::in_order;
  }

  // Strategy thread. A late trade event of `key.order` (trade `key.trade` at `key.time`) whose
  // figures are inside a gap fill: takes volume / funds / fee (capped by what the gap holds) out of
  // it and puts them at the trade's own place.
  Placed split(Position& p, const FillKey& key, double volume, double funds, double fee) noexcept;

  // Strategy thread. Starts a group of add() / split() calls that rollback() can undo; `scratch`
  // holds capacity() + 2 fills (it may be shared by windows: one group at a time).
  void begin(const Position& p, Fill* scratch) noexcept {
    undo_ = scratch;
    undo_all_ = false;
    undo_slots_ = 0;
    undo_head_ = head_;
    undo_size_ = size_;
    undo_dropped_ = dropped_;
    undo_basis_ = p.basis();
    figures_ok_ = true;
  }
  // Whether every basis computed since begin() stayed within +-kFigureLimit.
  [[nodiscard]] bool figures_ok() const noexcept { return figures_ok_; }
  // Keeps the group's changes.
  void end() noexcept { undo_ = nullptr; }
  // Undoes the group's changes to the window and to p's basis (p's totals are the caller's).
  void rollback(Position& p) noexcept;

  [[nodiscard]] std::size_t size() const noexcept { return size_; }
  [[nodiscard]] std::size_t capacity() const noexcept { return mask_ == 0 ? 0 : mask_ + 1; }
  // Oldest first.
  [[nodiscard]] const Fill& operator[](std::size_t i) const noexcept {
    return ring_[(head_ + i) & mask_];
  }

 private:
  Fill& at(std::size_t i) noexcept { return ring_[(head_ + i) & mask_]; }
  // Undo bookkeeping (no-ops outside a group): one ring slot, or the whole ring.
  void save_slot(std::size_t physical) noexcept;
  void save_all() noexcept;
  void drop_oldest() noexcept {
    head_ = (head_ + 1) & mask_;
    --size_;
    dropped_ = true;
  }
  // Index of the first fill kept whose key is greater than `k` (size_ when none).
  [[nodiscard]] std::size_t upper_bound(const FillKey& k) noexcept;
  void insert_at(std::size_t i, const FillHead& f) noexcept;
  void remove_at(std::size_t i) noexcept;
  // Sets p's basis to `from` and applies fills i.. again, refreshing their snapshots.
  void replay(Position& p, std::size_t i, const PositionBasis& from) noexcept;
  Placed insert(Position& p, const FillHead& f) noexcept;
  // `f` older than every fill kept: applies it on `from` (the basis before the window) and the
  // window again after it; f is not kept.
  void fold_before(Position& p, const PositionBasis& from, const FillHead& f) noexcept;

  std::unique_ptr<Fill[]> ring_;
  std::size_t mask_ = 0;  // capacity - 1; 0 when there is no window
  std::size_t head_ = 0;
  std::size_t size_ = 0;
  bool dropped_ = false;  // fills have left the window: the first kept is not the first ever

  // Undo of the current group (begin() .. end()); undo_ is null outside one.
  Fill* undo_ = nullptr;  // [0, capacity): the ring when undo_all_; [capacity + i]: slot i
  std::size_t undo_slot_[2] = {};
  std::size_t undo_slots_ = 0;
  bool undo_all_ = false;
  bool undo_dropped_ = false;
  bool figures_ok_ = true;
  std::size_t undo_head_ = 0;
  std::size_t undo_size_ = 0;
  PositionBasis undo_basis_{};
};

}  // namespace fillwire
