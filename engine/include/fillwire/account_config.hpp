#pragma once
// AccountConfig: every capacity of AccountState, fixed at construction (DESIGN.md §5). AccountState
// allocates all of its memory once from these numbers and never grows afterwards; what does not fit
// is counted (see AccountState's counters), never a crash and never a reallocation.
//
// Thread contract: a plain value. Build and validate it on any thread before constructing the
// AccountState; the state keeps its own copy.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace fillwire {

// Coins held before the engine started, so that selling them realizes PnL against a known cost
// instead of being reported as unattributed volume.
struct StartingHolding {
  std::string market;     // e.g. "KRW-BTC"; must fit MarketCode (15 chars)
  double volume = 0.0;    // base currency held at start
  double avg_cost = 0.0;  // average cost per unit, gross (quote currency)
  // Average cost per unit including the buy fees that were paid. When absent it is estimated as
  // avg_cost * (1 + fee_rate).
  std::optional<double> avg_cost_net;
};

struct AccountConfig {
  // Orders that may be open (wait / watch / partly filled) at once. Rounded up to a power of two.
  std::size_t open_orders = 4096;
  // Terminal orders kept for look-up so late and duplicate events of completed orders are still
  // recognised; the oldest completed order is evicted first. Rounded up to a power of two.
  std::size_t completed_orders = 8192;
  // Distinct markets (positions and per-market statistics).
  std::size_t markets = 64;
  // Last N events kept as copies in the History ring. Rounded up to a power of two; 0 disables it.
  std::size_t history = 1024;
  // Most recent fills kept per market (FillWindow, rounded up to a power of two) so that a fill
  // arriving late is applied at its place in trade-time order; 0 applies fills as they come.
  std::size_t fill_window = 64;
  // Distinct currencies with a balance (reported, or implied by a market QUOTE-BASE).
  std::size_t currencies = 64;
  // Balance changes implied by the order stream kept per currency until a balance report covers
  // them (reconciliation, balance.hpp); more are counted (deltas_overflowed) and the currency is
  // not compared until a report covers every change it dropped. At most 65536.
  std::size_t pending_deltas = 256;
  // Exchange time (ms) a balance discrepancy may take to be explained (the other stream's event
  // arriving late) before it is reported as a drift.
  std::int64_t drift_settle_ms = 2000;
  // Drifts kept for reading (AccountState::drifts()); older ones are overwritten (all are counted).
  std::size_t drifts = 64;
  // Exchange fee rate (0.05 % on KRW markets, PROTOCOL.md §9). Used only to estimate the net cost
  // of starting holdings that do not give one: actual fees always come from the events' paid_fee.
  double fee_rate = 0.0005;
  std::vector<StartingHolding> holdings;

  // Throws std::invalid_argument naming the offending value (zero capacity, more holdings than
  // markets, currencies or pending_deltas out of range, a negative drift_settle_ms, a market code that is too long or repeated, a negative or non-finite number).
  void validate() const;
};

}  // namespace fillwire
