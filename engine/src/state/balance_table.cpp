#include "fillwire/detail/balance_table.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace fillwire {
namespace {

constexpr std::int64_t kNever = std::numeric_limits<std::int64_t>::max();

bool within(double total, double locked, std::uint32_t deltas, double reported_total) noexcept {
  const double tolerance = balance_tolerance(deltas, reported_total);
  return std::abs(total) <= tolerance && std::abs(locked) <= tolerance;
}

std::int64_t after(std::int64_t t, std::int64_t span) noexcept {
  std::int64_t at = 0;
  return __builtin_add_overflow(t, span, &at) ? kNever : at;
}

}  // namespace

BalanceTable::BalanceTable(std::size_t currencies, std::size_t deltas_per_currency,
                           std::size_t drifts, std::int64_t settle_ms)
    : codes_(currencies),
      balances_(std::make_unique<Balance[]>(currencies)),
      deltas_(std::make_unique<Delta[]>(currencies * deltas_per_currency)),
      dropped_until_(std::make_unique<std::int64_t[]>(currencies)),
      resync_slot_(std::make_unique<std::uint32_t[]>(currencies)),
      per_currency_(deltas_per_currency),
      settle_ms_(settle_ms),
      drifts_(drifts),
      next_due_(kNever) {
  std::fill_n(resync_slot_.get(), currencies, kNoSlot);
}

std::uint16_t BalanceTable::intern(const CurrencyCode& code) noexcept {
  const std::size_t known = codes_.size();
  const std::uint16_t c = codes_.intern(code);
  if (c != kNoCurrency && codes_.size() != known) balances_[c].currency = code;
  return c;
}

BalanceTable::Report BalanceTable::report(std::uint16_t c, const AssetEvent& a,
                                          ApplyCounters& n) noexcept {
  Balance& b = balances_[c];
  const std::int64_t t_b = a.asset_timestamp;
  const bool listed = a.origin == EventOrigin::resync;
  bool shown = true;
  if (b.updates > 0) {
    if (t_b == b.asset_ts && a.asset_uuid == b.asset_uuid && a.origin == b.origin)
      return Report::duplicate;
    // A resync's list is stamped with the newest exchange time read before it was answered: a
    // stream report of that very millisecond was read before the list was taken.
    shown =
        t_b > b.asset_ts || (t_b == b.asset_ts && !(b.origin == EventOrigin::resync && !listed));
  }
  if (listed) {
    if (!shown) return Report::stale;
    open_list(c, a, n);
  } else if (!b.has_ref || t_b > b.ref_ts || (t_b == b.ref_ts && !(a.asset_uuid == b.ref_uuid))) {
    // Newer than the reference (the exchange's own time orders stream reports): compared, even
    // when older than a list shown.
    compare_stream(c, a, n);
  }
  if (!shown) return Report::stale;
  b.available = a.balance;
  b.locked = a.locked;
  b.asset_ts = t_b;
  b.reported_ts = a.timestamp;
  b.asset_uuid = a.asset_uuid;
  b.origin = a.origin;
  ++b.updates;
  return Report::applied;
}

void BalanceTable::compare_stream(std::uint16_t c, const AssetEvent& a, ApplyCounters& n) noexcept {
  Balance& b = balances_[c];
  const std::int64_t t_b = a.asset_timestamp;
  // A stream report compares exactly: a list waiting to be compared is not needed.
  if (b.list_open) {
    b.list_open = false;
    --lists_open_;
  }
  // The kept deltas this report covers leave the list; the later ones stay.
  const Covered cov = take_kept(c, [t_b](std::uint32_t, const Delta& d) { return d.t <= t_b; });
  const double covered_total = cov.total;
  const double covered_locked = cov.locked;
  const std::uint32_t covered = cov.count;

  // A reference from a resync's list has only an estimated time: it may hold order-stream changes
  // stamped after it, or lack some stamped before. As the baseline it has nothing to settle
  // against, so once the order stream implied a change of the currency since, the next report is
  // the baseline instead.
  const bool estimated = b.ref_origin == EventOrigin::resync && b.ref_ts == b.baseline_ts &&
                         b.implied_deltas != b.baseline_deltas;
  const bool compare = b.has_ref && !b.unreconciled && t_b > b.baseline_ts && !estimated;
  const double diff_total = a.total() - (b.ref_total + covered_total);
  const double diff_locked = a.locked - (b.ref_locked + covered_locked);
  if (!compare) {
    // A first reference, or one after dropped deltas: comparison starts (again) from here, once
    // it covers every delta that was dropped.
    if (b.unreconciled && dropped_until_[c] <= t_b) b.unreconciled = false;
    b.baseline_ts = t_b;
    b.baseline_deltas = b.implied_deltas;
  }
  b.has_ref = true;
  b.ref_origin = EventOrigin::stream;
  b.ref_total = a.total();
  b.ref_locked = a.locked;
  b.ref_ts = t_b;
  b.ref_uuid = a.asset_uuid;
  // While a discrepancy is pending every difference goes into it, however small (late deltas
  // do): otherwise the small ones that explain it are lost and it settles off by their sum.
  // A difference stamped at or after a pending discrepancy's due time is not part of it: the
  // pending one settles first (as observe() would have on any event stamped so).
  if (compare && b.has_pending && t_b >= due(b)) settle(b, t_b, n);
  if (compare && (b.has_pending || !within(diff_total, diff_locked, covered, a.total()))) {
    add_pending(c, diff_total, diff_locked, covered, t_b, a.asset_uuid, n);
  } else if (b.has_pending &&
             within(b.pending_total, b.pending_locked, b.pending_deltas, a.total())) {
    clear_pending(b);
    ++n.drifts_explained_late;
  }
}

void BalanceTable::open_list(std::uint16_t c, const AssetEvent& a, ApplyCounters& n) noexcept {
  Balance& b = balances_[c];
  // Every kept delta was implied by an event published before the list, read before the list was
  // asked for: the list holds them all. The next resync's deltas are kept apart.
  resync_slot_[c] = kNoSlot;
  std::uint32_t covered = 0;
  for (std::uint32_t i = 0; i < b.kept; ++i)
    covered += deltas_[c * per_currency_ + i].count;
  if (!b.has_ref || b.unreconciled) {
    // Nothing to compare with (or deltas were dropped, all of them before the list): the list is
    // the reference and the baseline.
    if (b.unreconciled) b.unreconciled = false;
    if (b.list_open) {
      b.list_open = false;
      --lists_open_;
    }
    take_reference(b, c, a.total(), a.locked, a.asset_timestamp, a.asset_uuid, a.origin, b.kept);
    b.baseline_ts = a.asset_timestamp;
    b.baseline_deltas = b.implied_deltas;
    return;
  }
  if (!b.list_open) {
    b.list_open = true;
    ++lists_open_;
  }
  b.list_total = a.total();
  b.list_locked = a.locked;
  // Taken after every event published before it: no earlier than any exchange time seen (a
  // trade the resync brought carries its own, maybe after the list's stamp).
  b.list_ts = std::max({a.asset_timestamp, now_, latest_delta_});
  b.list_diff_total = a.total() - (b.ref_total + b.kept_total);
  b.list_diff_locked = a.locked - (b.ref_locked + b.kept_locked);
  b.list_deltas = covered;
  b.list_covers = b.kept;
  watch(list_due(b));
  (void)n;
}

void BalanceTable::close_list(std::uint16_t c, ApplyCounters& n) noexcept {
  Balance& b = balances_[c];
  b.list_open = false;
  --lists_open_;
  const std::int64_t t = b.list_ts;
  const double diff_total = b.list_diff_total;
  const double diff_locked = b.list_diff_locked;
  const std::uint32_t deltas = b.list_deltas;
  take_reference(b, c, b.list_total, b.list_locked, t, Uuid{}, EventOrigin::resync, b.list_covers);
  if (b.has_pending && t >= due(b)) settle(b, t, n);
  if (b.has_pending || !within(diff_total, diff_locked, deltas, b.list_total)) {
    add_pending(c, diff_total, diff_locked, deltas, t, Uuid{}, n);
  }
}

void BalanceTable::take_reference(Balance& b, std::uint16_t c, double total, double locked,
                                  std::int64_t ts, const Uuid& uuid, EventOrigin origin,
                                  std::uint32_t covered) noexcept {
  drop_kept(c, covered);
  b.has_ref = true;
  b.ref_origin = origin;
  b.ref_total = total;
  b.ref_locked = locked;
  b.ref_ts = ts;
  b.ref_uuid = uuid;
}

template <class Covers>
BalanceTable::Covered BalanceTable::take_kept(std::uint16_t c, Covers covers) noexcept {
  Balance& b = balances_[c];
  Delta* d = &deltas_[c * per_currency_];
  std::uint32_t& resync_slot = resync_slot_[c];
  Covered out;
  std::uint32_t kept = 0;
  double kept_total = 0.0;
  double kept_locked = 0.0;
  for (std::uint32_t i = 0; i < b.kept; ++i) {
    if (covers(i, d[i])) {
      out.total += d[i].total;
      out.locked += d[i].locked;
      out.count += d[i].count;
      if (i == resync_slot) resync_slot = kNoSlot;
    } else {
      kept_total += d[i].total;
      kept_locked += d[i].locked;
      if (i == resync_slot) resync_slot = kept;
      d[kept++] = d[i];
    }
  }
  b.kept = kept;
  b.kept_total = kept_total;
  b.kept_locked = kept_locked;
  return out;
}

void BalanceTable::drop_kept(std::uint16_t c, std::uint32_t count) noexcept {
  (void)take_kept(c, [count](std::uint32_t i, const Delta&) { return i < count; });
}

void BalanceTable::unlisted_are_zero(std::int64_t as_of_ms, ApplyCounters& n) noexcept {
  for (std::size_t c = 0; c < codes_.size(); ++c) {
    const Balance& b = balances_[c];
    if (b.updates > 0 && b.asset_ts >= as_of_ms) continue;  // listed, or reported since
    if (b.updates == 0 && b.implied_deltas == 0) continue;
    AssetEvent zero = make_asset_event(EventOrigin::resync);
    zero.currency = b.currency;
    zero.asset_timestamp = as_of_ms;
    zero.timestamp = as_of_ms;
    zero.stream_type = StreamType::snapshot;
    zero.count = 1;
    if (report(static_cast<std::uint16_t>(c), zero, n) == Report::applied) ++n.resync_unlisted;
  }
}

void BalanceTable::imply(std::uint16_t c, double total, double locked, std::int64_t t,
                         EventOrigin origin, ApplyCounters& n) noexcept {
  if (total == 0.0 && locked == 0.0) return;
  Balance& b = balances_[c];
  ++b.implied_deltas;
  ++n.balance_deltas;
  latest_delta_ = std::max(latest_delta_, t);
  if (b.has_ref && t <= b.ref_ts) {
    // Late: the reference already has it. Never compared (before the baseline, or
    // unreconciled): dropped; otherwise it explains (or shows) a discrepancy.
    ++n.deltas_late;
    if (b.unreconciled || t <= b.baseline_ts) {
      ++n.deltas_uncompared;
      return;
    }
    if (b.has_pending && t >= due(b)) settle(b, t, n);  // stamped past its window: a new one
    // Opened no earlier than now: the report it belongs to may yet come.
    add_pending(c, -total, -locked, 1, std::max(now_, t), b.ref_uuid, n);
    return;
  }
  Delta* d = &deltas_[c * per_currency_];
  if (origin == EventOrigin::resync && resync_slot_[c] != kNoSlot) {
    // The resync's list that follows covers all of its deltas: one kept delta holds their sum
    // (at the latest time, for a stream report should the list never come).
    Delta& r = d[resync_slot_[c]];
    r.t = std::max(r.t, t);
    r.total += total;
    r.locked += locked;
    ++r.count;
    b.kept_total += total;
    b.kept_locked += locked;
    return;
  }
  if (b.kept == per_currency_) {
    ++n.deltas_overflowed;
    if (!b.unreconciled) {
      b.unreconciled = true;
      ++n.currencies_unreconciled;
    }
    dropped_until_[c] = std::max(dropped_until_[c], t);
    return;
  }
  if (origin == EventOrigin::resync) resync_slot_[c] = b.kept;
  d[b.kept++] = {t, total, locked, 1};
  b.kept_total += total;
  b.kept_locked += locked;
}

void BalanceTable::add_pending(std::uint16_t c, double total, double locked, std::uint32_t deltas,
                               std::int64_t since, const Uuid& uuid, ApplyCounters& n) noexcept {
  Balance& b = balances_[c];
  const double sum_total = b.pending_total + total;
  const double sum_locked = b.pending_locked + locked;
  const std::uint32_t sum_deltas = b.pending_deltas + deltas;
  if (within(sum_total, sum_locked, sum_deltas, b.ref_total)) {
    if (b.has_pending) {
      clear_pending(b);
      ++n.drifts_explained_late;
    }
    return;
  }
  if (!b.has_pending) {
    b.has_pending = true;
    b.pending_since = since;
    ++pending_;
    watch(due(b));
  }
  b.pending_total = sum_total;
  b.pending_locked = sum_locked;
  b.pending_deltas = sum_deltas;
  b.pending_uuid = uuid;
}

void BalanceTable::clear_pending(Balance& b) noexcept {
  b.has_pending = false;
  b.pending_total = 0.0;
  b.pending_locked = 0.0;
  b.pending_deltas = 0;
  b.pending_since = 0;
  --pending_;
  // next_due_ may now be early: observe() then scans and finds nothing due, and recomputes it.
}

std::int64_t BalanceTable::due(const Balance& b) const noexcept {
  return after(b.pending_since, settle_ms_);
}

std::int64_t BalanceTable::list_due(const Balance& b) const noexcept {
  return after(b.list_ts, settle_ms_);
}

void BalanceTable::observe(std::int64_t exchange_ms, ApplyCounters& n) noexcept {
  now_ = std::max(now_, exchange_ms);
  if ((pending_ == 0 && lists_open_ == 0) || now_ < next_due_) return;
  next_due_ = kNever;
  for (std::size_t i = 0; i < codes_.size(); ++i) {
    const auto c = static_cast<std::uint16_t>(i);
    Balance& b = balances_[c];
    if (b.list_open) {
      if (now_ >= list_due(b)) {
        close_list(c, n);
      } else {
        watch(list_due(b));
      }
    }
    if (b.has_pending && now_ >= due(b)) settle(b, now_, n);
    if (b.has_pending) watch(due(b));
  }
  if (pending_ == 0 && lists_open_ == 0) next_due_ = kNever;
}

void BalanceTable::settle(Balance& b, std::int64_t at, ApplyCounters& n) noexcept {
  drifts_.push({b.currency, b.pending_total, b.pending_locked, b.pending_since, at, b.pending_uuid,
                b.pending_deltas});
  ++n.drifts_reported;
  clear_pending(b);
}

}  // namespace fillwire
