#pragma once
// Balance: one currency of the account as the exchange reports it (myAsset, or the resync's
// /v1/accounts), and how it compares with what the order stream implies (reconciliation).
// BalanceDrift: a change of balance the order stream does not explain, once it has settled.
//
// Thread contract: owned by AccountState (its balance table), written by apply() on the strategy
// thread only and read (const) on that thread; plain data, copied into snapshots for other
// threads. No allocation.
//
// Reconciliation (README "Accounting rules"; ISSUE 16's rule):
//   - The anchor is the last report applied: total (balance + locked), locked, asset_ts.
//   - Each fill and lock change of the order stream implies a delta of total and locked at its
//     event's exchange time t. A delta after the anchor (t > asset_ts) is kept until a report
//     covers it; a delta at or before it is late: the anchor already has it, so it is taken off
//     the pending discrepancy instead.
//   - A report (total_b, locked_b, T_b) is compared with anchor + the kept deltas with t <= T_b;
//     a difference beyond tolerance is added to the pending discrepancy (while one is pending,
//     any difference is). A pending discrepancy
//     that comes back within tolerance is cleared (explained late); one still beyond it once the
//     exchange time seen has passed its start by drift_settle_ms is reported as a BalanceDrift.
//   - Tolerance: |diff| <= 1e-8 * (1 + deltas compared) + 1e-12 * |total| (Upbit keeps 8
//     decimals, each delta may be rounded once, doubles add relative error), for total and
//     locked alike.
//   - Nothing is adjusted: available / locked are what the exchange reported; the implied
//     figures are only compared with them.

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <type_traits>

#include "fillwire/asset_event.hpp"
#include "fillwire/uuid.hpp"

namespace fillwire {

inline constexpr double kBalanceDeltaTolerance = 1e-8;      // per delta compared, plus one
inline constexpr double kBalanceRelativeTolerance = 1e-12;  // of the reported total

// The rounding allowed between a report and the implied balance (see the header comment).
[[nodiscard]] inline double balance_tolerance(std::uint32_t deltas, double total) noexcept {
  return kBalanceDeltaTolerance * (1.0 + static_cast<double>(deltas)) +
         kBalanceRelativeTolerance * std::abs(total);
}

struct Balance {
  CurrencyCode currency;

  // As last reported (never adjusted); zero before the first report.
  double available;              // Upbit's `balance`: free for new orders
  double locked;                 // held by open orders and withdrawals
  std::int64_t asset_ts;         // asset_timestamp of the last report (ms), 0 before any
  std::int64_t reported_ts;      // that report's event timestamp (ms)
  Uuid asset_uuid;               // that report's frame
  std::uint64_t updates;         // reports applied
  EventOrigin origin;            // stream or resync (of the last report)
  bool unreconciled;             // kept deltas overflowed: no comparison until the next anchor
  bool has_pending;              // a pending discrepancy (below) is open
  std::uint32_t kept;            // order-stream deltas kept after the anchor
  double kept_total;             // their sum, total
  double kept_locked;            // their sum, locked
  std::uint64_t implied_deltas;  // order-stream deltas seen for this currency

  // Reported minus implied, beyond tolerance, not yet explained nor reported as a drift (zero
  // unless has_pending).
  double pending_total;
  double pending_locked;
  std::int64_t pending_since;    // exchange time (ms) it was first seen
  std::uint32_t pending_deltas;  // deltas compared into it (for the tolerance)
  Uuid pending_uuid;             // the report that showed it (or the anchor a late delta missed)

  // When the table started comparing (the first anchor, or the one after unreconciled): a late
  // delta at or before it was never compared and is dropped. Reports in that same millisecond
  // are anchors too, not compared (the first one may or may not hold the millisecond's fills).
  std::int64_t baseline_ts;
  // implied_deltas when the baseline was taken. A baseline from a resync's list (its time an
  // estimate) with order-stream changes since makes the next report the baseline instead.
  std::uint64_t baseline_deltas;

  [[nodiscard]] double total() const noexcept { return available + locked; }
  [[nodiscard]] bool reported() const noexcept { return updates > 0; }
  // The balance the order stream implies: the anchor plus the deltas kept after it. Before the
  // first report, the change implied since the start.
  [[nodiscard]] double implied_total() const noexcept { return total() + kept_total; }
  [[nodiscard]] double implied_locked() const noexcept { return locked + kept_locked; }
  [[nodiscard]] bool pending() const noexcept { return has_pending; }
};
static_assert(std::is_trivially_copyable_v<Balance>,
              "Balances are copied into snapshots as plain data.");

struct BalanceDrift {
  CurrencyCode currency;
  double total;              // reported minus implied, total (+: more than the fills explain)
  double locked;             // reported minus implied, locked
  std::int64_t exchange_ts;  // exchange time (ms) the discrepancy was first seen
  std::int64_t reported_ts;  // exchange time (ms) it was reported (settled)
  Uuid asset_uuid;           // the report that showed it
  std::uint32_t deltas;      // order-stream deltas compared
};
static_assert(std::is_trivially_copyable_v<BalanceDrift>,
              "Drifts are copied into snapshots as plain data.");

// The last N drifts reported, oldest first; the oldest is overwritten first.
// Strategy thread only (AccountState's); storage allocated once at construction.
class DriftList {
 public:
  // Cold path: capacity 0 keeps none (every drift is still counted).
  explicit DriftList(std::size_t capacity)
      : items_(std::make_unique<BalanceDrift[]>(capacity)), capacity_(capacity) {}

  void push(const BalanceDrift& d) noexcept {
    if (capacity_ != 0) items_[total_ % capacity_] = d;
    ++total_;
  }
  [[nodiscard]] std::size_t capacity() const noexcept { return capacity_; }
  [[nodiscard]] std::size_t size() const noexcept {
    return total_ < capacity_ ? static_cast<std::size_t>(total_) : capacity_;
  }
  [[nodiscard]] std::uint64_t total() const noexcept { return total_; }
  // i = 0 is the oldest kept. Precondition: i < size().
  [[nodiscard]] const BalanceDrift& operator[](std::size_t i) const noexcept {
    return items_[(total_ - size() + i) % capacity_];
  }

 private:
  std::unique_ptr<BalanceDrift[]> items_;
  std::size_t capacity_;
  std::uint64_t total_ = 0;
};

}  // namespace fillwire
