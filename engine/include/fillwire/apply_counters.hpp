#pragma once
// ApplyOutcome / ApplyCounters: what AccountState::apply did with each event, and how often.
//
// Thread contract: owned by AccountState and written by apply() on the strategy thread only; read
// on that thread. Plain counters, no allocation.
//
// Vocabulary (DESIGN.md §5), decided per order by cumulative progress (trades_count, then
// executed_volume, then the event timestamp):
//   duplicate  the event repeats a point the order already applied: the same trade again (same
//              trades_count, already seen), or the same state at the same progress.
//   stale      the event is behind what the order already applied (an older event arriving late),
//              or at the same progress in another state without a newer timestamp, or arrives
//              after the order's terminal state with something different.
//   gap healed an event whose cumulative fields cover trades whose own events were not seen (yet):
//              the deltas bring the position up to date at once.
//   mid-life   an order first seen in a state other than wait/watch (e.g. a trade with no wait),
//              or resting but already partly filled (e.g. from a REST resync).
// Asset events (balances, EventKind::asset) are decided per currency by asset_timestamp: the same
// asset_uuid and asset_timestamp as the currency's last report is a duplicate, an older
// asset_timestamp is stale. Their counters are the asset_* ones and the reconciliation's below
// (balance.hpp); the order counters (applied, duplicates, ...) count order events only.

#include <cstdint>
#include <string_view>

namespace fillwire {

enum class ApplyOutcome : std::uint8_t {
  applied,        // the order changed (new progress, or a newer state)
  duplicate,      // nothing new: repeat of an applied point
  stale,          // older than the order's applied progress, or after its terminal state
  invalid,        // a required field missing, an unknown side/state, a negative cumulative figure,
                  // or a figure that is (or would make one of the account's) non-finite: ignored
  not_order,      // a control event (EventKind::control): not account data
  table_full,     // a new open order while the open-order table is full: not tracked
  market_full,    // a new order in a market beyond the market table's capacity: not tracked
  currency_full,  // a balance of a currency beyond the balance table's capacity: not tracked
};
inline constexpr std::string_view kApplyOutcomeNames[] = {
    "applied",   "duplicate",  "stale",       "invalid",
    "not_order", "table_full", "market_full", "currency_full"};
[[nodiscard]] constexpr std::string_view to_string(ApplyOutcome o) noexcept {
  return kApplyOutcomeNames[static_cast<std::uint8_t>(o)];
}

struct ApplyCounters {
  std::uint64_t events = 0;       // every event given to apply() (orders, control, assets)
  std::uint64_t applied = 0;      // order events: ApplyOutcome::applied
  std::uint64_t duplicates = 0;   // order events: ApplyOutcome::duplicate
  std::uint64_t stale = 0;        // order events: ApplyOutcome::stale
  std::uint64_t invalid = 0;      // order events: ApplyOutcome::invalid
  std::uint64_t non_finite = 0;   // ... of which: a number of the event, or a figure of the account
                                  // it would change, non-finite or past +-kFigureLimit (1e300,
                                  // position.hpp); the state is left exactly as it was. Asset
                                  // events refused for a number past +-kInputLimit are counted
                                  // here too (and in asset_invalid)
  std::uint64_t not_order = 0;    // ApplyOutcome::not_order
  std::uint64_t table_full = 0;   // ApplyOutcome::table_full (events refused)
  std::uint64_t market_full = 0;  // ApplyOutcome::market_full (events refused)

  std::uint64_t orders_created = 0;        // orders entered in the table
  std::uint64_t created_mid_life = 0;      // ... of which first seen after wait/watch
  std::uint64_t gaps_healed = 0;           // events that covered unseen trades
  std::uint64_t trades_healed = 0;         // trades covered that way
  std::uint64_t after_terminal = 0;        // events for an order already terminal (dup or stale)
  std::uint64_t terminal_regressions = 0;  // terminal events behind the applied progress: the order
                                           // is closed, no negative delta is applied
  std::uint64_t completed_evictions = 0;   // completed orders evicted (oldest first) for room
  std::uint64_t created_behind_eviction = 0;  // orders created mid-life with an order_timestamp
                                              // no later than an evicted order's: possibly a late
                                              // event of an evicted order (counted, still applied)
  std::uint64_t old_trades_unknown = 0;  // trade events too far behind to tell seen from unseen
  std::uint64_t fills_late = 0;          // fills older than their market's newest: put at their
                                         // place in trade-time order, the newer ones re-applied
  std::uint64_t trades_split = 0;        // late trade events taken out of a healed gap and put
                                         // at their own time
  std::uint64_t fills_out_of_place = 0;  // fills older than the fill window (applied at its
                                         // start), or late trades whose gap had left it
  // Connection notices seen in the stream (control events) that say the state may miss changes.
  std::uint64_t resync_incomplete = 0;  // ControlCode::resync_incomplete
  std::uint64_t resync_failed = 0;      // ControlCode::resync_failed

  // Balances (asset events), per currency (balance.hpp).
  std::uint64_t assets = 0;             // asset events given to apply()
  std::uint64_t assets_applied = 0;     // reports taken (ApplyOutcome::applied)
  std::uint64_t asset_duplicates = 0;   // same asset_uuid and asset_timestamp as the last report
  std::uint64_t asset_stale = 0;        // asset_timestamp older than the last report
  std::uint64_t asset_invalid = 0;      // a required field absent, an empty currency, or a number
                                        // past +-kInputLimit: refused
  std::uint64_t negative_balances = 0;  // reports with a negative balance or locked: applied as
                                        // reported (no exchange should show one)
  std::uint64_t currency_full = 0;      // reports of a currency beyond account.currencies: refused
  std::uint64_t resync_unlisted = 0;    // currencies a resync's list left out: reported as zero
  // Reconciliation with the order stream.
  std::uint64_t balance_deltas = 0;         // changes of a currency implied by order events
  std::uint64_t orders_without_locked = 0;  // order events without `locked`: no lock change implied
  std::uint64_t deltas_unassigned = 0;      // implied changes of a currency not in the table (full,
                                            // or a market code that is not QUOTE-BASE)
  std::uint64_t deltas_late = 0;            // implied changes at or before their currency's last
                                            // report (the report already had them)
  std::uint64_t deltas_uncompared = 0;      // ... of which never compared (before the first report
                                            // compared, or while unreconciled): dropped
  std::uint64_t deltas_retimed = 0;         // changes a resync implied ahead of the stream, moved
                                            // to the time the stream showed them
  std::uint64_t deltas_overflowed = 0;      // changes dropped: account.pending_deltas kept already
  std::uint64_t currencies_unreconciled = 0;  // times a currency stopped being compared for that
  std::uint64_t drifts_reported = 0;          // balance_drift reports (settled discrepancies)
  std::uint64_t drifts_explained_late = 0;    // discrepancies explained within the settle window

  // Events refused for a reason the account cannot make up for, so it may not be whole: orders
  // (table_full, market_full, invalid) and balance reports (currency_full, asset_invalid).
  [[nodiscard]] std::uint64_t refused() const noexcept {
    return table_full + market_full + invalid + currency_full + asset_invalid;
  }
};

}  // namespace fillwire
