#include "fillwire/detail/fill_window.hpp"

#include <algorithm>
#include <iterator>

namespace fillwire {

FillWindow::FillWindow(std::size_t capacity) {
  if (capacity == 0) return;
  std::size_t n = 2;
  while (n < capacity)
    n <<= 1;
  ring_ = std::make_unique<Fill[]>(n);
  mask_ = n - 1;
}

void FillWindow::save_slot(std::size_t physical) noexcept {
  if (undo_ == nullptr || undo_all_) return;
  if (undo_slots_ == std::size(undo_slot_)) {
    save_all();
    return;
  }
  undo_[mask_ + 1 + undo_slots_] = ring_[physical];
  undo_slot_[undo_slots_++] = physical;
}

void FillWindow::save_all() noexcept {
  if (undo_ == nullptr || undo_all_) return;
  std::copy(ring_.get(), ring_.get() + mask_ + 1, undo_);
  undo_all_ = true;
}

void FillWindow::rollback(Position& p) noexcept {
  if (undo_ != nullptr) {
    if (undo_all_) std::copy(undo_, undo_ + mask_ + 1, ring_.get());
    // Slots saved before the whole ring was: their older contents go back last.
    for (std::size_t i = undo_slots_; i > 0; --i)
      ring_[undo_slot_[i - 1]] = undo_[mask_ + 1 + i - 1];
  }
  head_ = undo_head_;
  size_ = undo_size_;
  dropped_ = undo_dropped_;
  p.set_basis(undo_basis_);
  undo_ = nullptr;
}

std::size_t FillWindow::upper_bound(const FillKey& k) noexcept {
  // Late fills are usually a few places behind the newest: search from the end.
  std::size_t i = size_;
  while (i > 0 && k < at(i - 1).key())
    --i;
  return i;
}

void FillWindow::insert_at(std::size_t i, const FillHead& f) noexcept {
  for (std::size_t j = size_; j > i; --j)
    at(j) = at(j - 1);
  static_cast<FillHead&>(at(i)) = f;  // `before` is set by the replay that follows
  ++size_;
}

void FillWindow::remove_at(std::size_t i) noexcept {
  for (std::size_t j = i; j + 1 < size_; ++j)
    at(j) = at(j + 1);
  --size_;
}

void FillWindow::replay(Position& p, std::size_t i, const PositionBasis& from) noexcept {
  p.set_basis(from);
  bool ok = true;
  for (std::size_t j = i; j < size_; ++j) {
    Fill& f = at(j);
    f.before = p.basis();
    ok &= apply_basis_checked(p, f);
  }
  figures_ok_ &= ok;
}

void FillWindow::fold_before(Position& p, const PositionBasis& from, const FillHead& f) noexcept {
  p.set_basis(from);
  figures_ok_ &= apply_basis_checked(p, f);
  replay(p, 0, p.basis());
}

FillWindow::Placed FillWindow::insert(Position& p, const FillHead& f) noexcept {
  save_all();  // a late fill moves and replays fills: keep the ring as it was
  std::size_t i = upper_bound(f.key());  // < size_: f is older than the newest fill
  // Exact unless f is older than every fill kept and some have left (f may be older than those).
  const bool exact = i > 0 || !dropped_;
  if (i == 0 && size_ == mask_ + 1) {
    // No room before the oldest: f joins the fills before the window (and counts as one that left).
    fold_before(p, at(0).before, f);
    dropped_ = true;
    return exact ? Placed::late : Placed::out_of_place;
  }
  const PositionBasis from = at(i).before;
  if (size_ == mask_ + 1) {
    drop_oldest();  // older than f: f still goes after every fill that left
    --i;
  }
  insert_at(i, f);
  replay(p, i, from);
  return exact ? Placed::late : Placed::out_of_place;
}

FillWindow::Placed FillWindow::split(Position& p, const FillKey& key, double volume, double funds,
                                     double fee) noexcept {
  if (mask_ == 0) return Placed::not_found;
  std::size_t g = size_;
  for (std::size_t j = size_; j > 0; --j) {
    const Fill& c = at(j - 1);
    if (c.unknown > 0 && c.order == key.order && c.first_trade <= key.trade &&
        key.trade <= c.trade) {
      g = j - 1;
      break;
    }
  }
  if (g == size_) return Placed::not_found;
  save_all();  // the gap shrinks or goes, the trade is inserted, fills are replayed

  Fill& gap = at(g);
  FillHead t = gap;
  t.time = key.time;
  t.trade = key.trade;
  t.first_trade = key.trade;
  t.unknown = 0;
  const bool last = gap.unknown == 1;  // then t is all that is left: sums stay exact
  if (!last) {
    t.volume = std::min(volume, gap.volume);
    t.funds = std::min(funds, gap.funds);
    t.fee = std::min(fee, gap.fee);
  }
  if (!last && g == 0 && size_ == mask_ + 1 && !(t.key() < gap.key())) {
    // Full, and the gap is the oldest fill: putting t after it would drop the gap itself. The
    // trade stays inside it.
    return Placed::out_of_place;
  }
  std::size_t from_index = g;
  PositionBasis from = gap.before;
  if (last) {
    remove_at(g);
  } else {
    gap.volume -= t.volume;
    gap.funds -= t.funds;
    gap.fee -= t.fee;
    --gap.unknown;
    // Keep the gap's range tight (its key moves only among its own order's trades).
    if (key.trade == gap.trade) --gap.trade;
    if (key.trade == gap.first_trade) ++gap.first_trade;
  }
  std::size_t k = upper_bound(t.key());
  if (k < from_index) {
    from_index = k;
    from = at(k).before;
  }
  const bool exact = k > 0 || !dropped_;
  const bool full = size_ == mask_ + 1;
  if (k == 0 && full) {
    fold_before(p, from, t);
    dropped_ = true;
    return exact ? Placed::late : Placed::out_of_place;
  }
  if (full) {
    // Full (the gap kept its place, and is not the oldest): the oldest fill leaves; it is older
    // than t.
    drop_oldest();
    --k;
    --from_index;
  }
  insert_at(k, t);
  replay(p, from_index, from);
  return exact ? Placed::late : Placed::out_of_place;
}

}  // namespace fillwire
