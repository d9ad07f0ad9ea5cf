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

}  // namespace

BalanceTable::BalanceTable(std::size_t currencies, std::size_t deltas_per_currency,
                           std::size_t drifts, std::int64_t settle_ms)
    : codes_(currencies),
      balances_(std::make_unique<Balance[]>(currencies)),
      deltas_(std::make_unique<Delta[]>(currencies * deltas_per_currency)),
      dropped_until_(std::make_unique<std::int64_t[]>(currencies)),
      per_currency_(deltas_per_currency),
      settle_ms_(settle_ms),
      drifts_(drifts),
      next_due_(kNever) {}

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
  if (b.updates > 0) {
    if (t_b < b.asset_ts) return Report::stale;
    if (t_b == b.asset_ts && a.asset_uuid == b.asset_uuid) return Report::duplicate;
    // A resync's list is stamped with the newest exchange time read before it was answered: a
    // stream report of that very millisecond was read before the list was taken.
    if (t_b == b.asset_ts && b.origin == EventOrigin::resync && a.origin == EventOrigin::stream)
      return Report::stale;
  }
  // The kept deltas this report covers leave the list; the later ones stay.
  Delta* d = &deltas_[c * per_currency_];
  double covered_total = 0.0;
  double covered_locked = 0.0;
  std::uint32_t covered = 0;
  std::uint32_t kept = 0;
  double kept_total = 0.0;
  double kept_locked = 0.0;
  for (std::uint32_t i = 0; i < b.kept; ++i) {
    if (d[i].t <= t_b) {
      covered_total += d[i].total;
      covered_locked += d[i].locked;
      ++covered;
    } else {
      kept_total += d[i].total;
      kept_locked += d[i].locked;
      d[kept++] = d[i];
    }
  }
  b.kept = kept;
  b.kept_total = kept_total;
  b.kept_locked = kept_locked;

  // A resync's list is stamped with the client's estimate of when the exchange took it: it may
  // hold order-stream changes stamped after that, or lack some stamped before. Compared with an
  // anchor before it, the next report settles which (pending); as the baseline it has nothing to
  // settle against, so once the order stream implied a change of the currency since, the next
  // report is the baseline instead.
  const bool estimated = b.origin == EventOrigin::resync && b.asset_ts == b.baseline_ts &&
                         b.implied_deltas != b.baseline_deltas;
  const bool compare = b.updates > 0 && !b.unreconciled && t_b > b.baseline_ts && !estimated;
  const double diff_total = a.total() - (b.total() + covered_total);
  const double diff_locked = a.locked - (b.locked + covered_locked);
  if (!compare) {
    // A first anchor, or one after dropped deltas: comparison starts (again) from here, once it
    // covers every delta that was dropped.
    if (b.unreconciled && dropped_until_[c] <= t_b) b.unreconciled = false;
    b.baseline_ts = t_b;
    b.baseline_deltas = b.implied_deltas;
  }
  b.available = a.balance;
  b.locked = a.locked;
  b.asset_ts = t_b;
  b.reported_ts = a.timestamp;
  b.asset_uuid = a.asset_uuid;
  b.origin = a.origin;
  ++b.updates;
  // While a discrepancy is pending every difference goes into it, however small (late deltas
  // do): otherwise the small ones that explain it are lost and it settles off by their sum.
  // A difference stamped at or after a pending discrepancy's due time is not part of it: the
  // pending one settles first (as observe() would have on any event stamped so).
  if (compare && b.has_pending && t_b >= due(b)) settle(b, t_b, n);
  if (compare && (b.has_pending || !within(diff_total, diff_locked, covered, a.total()))) {
    add_pending(c, diff_total, diff_locked, covered, t_b, a.asset_uuid, n);
  } else if (b.has_pending &&
             within(b.pending_total, b.pending_locked, b.pending_deltas, b.total())) {
    clear_pending(b);
    ++n.drifts_explained_late;
  }
  return Report::applied;
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
                         ApplyCounters& n) noexcept {
  if (total == 0.0 && locked == 0.0) return;
  Balance& b = balances_[c];
  ++b.implied_deltas;
  ++n.balance_deltas;
  if (b.updates > 0 && t <= b.asset_ts) {
    // Late: the anchor already has it. Never compared (before the baseline, or unreconciled):
    // dropped; otherwise it explains (or shows) a discrepancy.
    ++n.deltas_late;
    if (b.unreconciled || t <= b.baseline_ts) {
      ++n.deltas_uncompared;
      return;
    }
    if (b.has_pending && t >= due(b)) settle(b, t, n);  // stamped past its window: a new one
    add_pending(c, -total, -locked, 1, std::max(now_, t), b.asset_uuid, n);
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
  deltas_[c * per_currency_ + b.kept++] = {t, total, locked};
  b.kept_total += total;
  b.kept_locked += locked;
}

void BalanceTable::add_pending(std::uint16_t c, double total, double locked, std::uint32_t deltas,
                               std::int64_t since, const Uuid& uuid, ApplyCounters& n) noexcept {
  Balance& b = balances_[c];
  const double sum_total = b.pending_total + total;
  const double sum_locked = b.pending_locked + locked;
  const std::uint32_t sum_deltas = b.pending_deltas + deltas;
  if (within(sum_total, sum_locked, sum_deltas, b.total())) {
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
    next_due_ = std::min(next_due_, due(b));
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
  std::int64_t at = 0;
  return __builtin_add_overflow(b.pending_since, settle_ms_, &at) ? kNever : at;
}

void BalanceTable::observe(std::int64_t exchange_ms, ApplyCounters& n) noexcept {
  now_ = std::max(now_, exchange_ms);
  if (pending_ == 0 || now_ < next_due_) return;
  next_due_ = kNever;
  for (std::size_t c = 0; c < codes_.size(); ++c) {
    Balance& b = balances_[c];
    if (!b.has_pending) continue;
    const std::int64_t at = due(b);
    if (now_ < at) {
      next_due_ = std::min(next_due_, at);
      continue;
    }
    settle(b, now_, n);
  }
  if (pending_ == 0) next_due_ = kNever;
}

void BalanceTable::settle(Balance& b, std::int64_t at, ApplyCounters& n) noexcept {
  drifts_.push({b.currency, b.pending_total, b.pending_locked, b.pending_since, at, b.pending_uuid,
                b.pending_deltas});
  ++n.drifts_reported;
  clear_pending(b);
}

}  // namespace fillwire
