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
//   - The reference is the last stream report (total, locked, its exact exchange time), or a
//     resync's list that stood alone for drift_settle_ms (below).
//   - Each fill and lock change of the order stream implies a delta of total and locked at its
//     event's exchange time t. A delta after the reference (t > ref_ts) is kept until a report
//     covers it; a delta at or before it is late: the reference already has it, so it is taken
//     off the pending discrepancy instead. A resync's deltas are kept as one.
//   - A stream report (total_b, locked_b, T_b) is compared with reference + the kept deltas with
//     t <= T_b; a difference beyond tolerance is added to the pending discrepancy (while one is
//     pending, any difference is). A pending discrepancy that comes back within tolerance is
//     cleared (explained late); one still beyond it once the exchange time seen (stream events)
//     has passed its start by drift_settle_ms is reported as a BalanceDrift.
//   - A resync's list (GET /v1/accounts) has no exchange time: it was taken after every event
//     published before it was read, and maybe after some published after it. It is compared
//     with reference + every kept delta, and that difference waits: a stream report of the
//     currency within drift_settle_ms replaces it (exactly), otherwise it is added to the pending
//     discrepancy and the list becomes the reference.
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

  // As last reported (never adjusted); zero before the first report. A stream report older than
  // the resync's list shown is not shown (it may still be compared: see the reference below).
  double available;          // Upbit's `balance`: free for new orders
  double locked;             // held by open orders and withdrawals
  std::int64_t asset_ts;     // asset_timestamp of the last report shown (ms), 0 before any
  std::int64_t reported_ts;  // that report's event timestamp (ms)
  Uuid asset_uuid;           // that report's frame
  std::uint64_t updates;     // reports shown
  EventOrigin origin;        // stream or resync (of the last report shown)

  // The reconciliation's reference: the last stream report (its time is the exchange's), or a
  // resync's list once no stream report came within drift_settle_ms of it (its time is only the
  // client's estimate). Kept deltas are changes after it.
  bool has_ref;
  EventOrigin ref_origin;
  double ref_total;
  double ref_locked;
  std::int64_t ref_ts;
  Uuid ref_uuid;

  bool unreconciled;             // kept deltas overflowed: no comparison until the next anchor
  bool has_pending;              // a pending discrepancy (below) is open
  std::uint32_t kept;            // order-stream deltas kept after the reference
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

  // A resync's list not yet the reference: its difference from the reference plus every delta
  // implied before it (all of which it covers). A stream report of the currency before
  // drift_settle_ms drops it (that report compares exactly); otherwise the difference joins the
  // pending one and the list becomes the reference.
  bool list_open;
  double list_total;
  double list_locked;
  std::int64_t list_ts;  // its (estimated) time
  double list_diff_total;
  double list_diff_locked;
  std::uint32_t list_deltas;  // deltas it covers
  std::uint32_t list_covers;  // of the kept deltas, the first list_covers

  // When the table started comparing (the first reference, or the one after unreconciled): a
  // late delta at or before it was never compared and is dropped. Reports in that same
  // millisecond are references too, not compared (the first one may or may not hold the
  // millisecond's fills).
  std::int64_t baseline_ts;
  // implied_deltas when the baseline was taken. A baseline from a resync's list (its time an
  // estimate) with order-stream changes since makes the next report the baseline instead.
  std::uint64_t baseline_deltas;

  [[nodiscard]] double total() const noexcept { return available + locked; }
  [[nodiscard]] bool reported() const noexcept { return updates > 0; }
  // The balance the order stream implies: the reference plus the deltas kept after it. Before
  // the first report, the change implied since the start.
  [[nodiscard]] double implied_total() const noexcept { return ref_total + kept_total; }
  [[nodiscard]] double implied_locked() const noexcept { return ref_locked + kept_locked; }
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
