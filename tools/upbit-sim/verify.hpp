#pragma once
// Ground-truth comparison: does an AccountState equal what upbit-sim says the account is?
// Shared by the live integration tests, the engine tests, `fillwire demo`, `bench` and the soak.
// Where resyncs read the balances while events flow, callers leave drifts out (Checks::drifts).
//
// Each difference is one line led by the check that failed: `orders:`, `positions:`,
// `balances:`, `drifts:` (or `truth:` when the truth itself cannot be read).
//   orders     every order of the truth: present, same terminal state, same cumulative fills
//              (executed volume, executed funds, paid fee).
//   positions  every market: net position, fees, bought and sold volume and notional, and (with
//              Checks::pnl) realized PnL gross and net and no unattributed volume.
//   balances   every currency of the truth's accounts: the account's available and locked, as
//              last reported, equal the truth's `balance` and `locked`; a currency never reported
//              counts as zero. A currency the account holds (reported, nonzero) that the truth
//              lacks is a difference.
//   drifts     every external deposit and withdrawal of the truth is reported as a drift and
//              nothing else is. Per currency: the sum of the account's drift totals equals the sum
//              of the movements' amounts, the sum of their locked parts is zero (a movement locks
//              nothing), there are no more drifts than movements (one drift may cover several
//              movements of one currency that fell within one settle window, account
//              drift_settle_ms), and a currency without movements has no drift.
//              Tolerance per currency: for each drift, balance_tolerance(its deltas compared,
//              the currency's total) (balance.hpp), plus 1e-8 per movement and 1e-12 of the
//              movements' absolute amounts.
//              At the end of a run: a discrepancy still pending (exchange time has not yet passed
//              it by drift_settle_ms, and no later event will move it on) counts as a drift of
//              its amount; Verdict::pending says how many did.
//              Movements the account could not compare are not expected as drifts: those at or
//              before the currency's baseline (Balance::baseline_ts: its first report, or the
//              report after it when that was a resync's list; before it the account knew no
//              balance to compare with). One at the very millisecond of the baseline may be in it
//              or after it: the sums are accepted with or without those.
//              Not judged, and said so as a difference: a truth that forgot movements
//              (external_moves_forgotten > 0: raise the simulator's keep), an account that kept
//              fewer drifts than it reported (account.drifts), or one whose currency went
//              unreconciled (kept deltas overflowed: account.pending_deltas).
// Numbers are equal when within 1e-9 relative (the truth is exact decimals, the engine doubles).
//
// Thread contract: cold path; call on the thread that owns the AccountState (or after it stopped).

#include <cstddef>
#include <cstdint>
#include <string>

#include "fillwire/account_state.hpp"

namespace fillwire::sim {

// What to compare besides orders and positions (always compared).
struct Checks {
  // Realized PnL and no unattributed volume: they depend on the order in which fills of
  // different orders are applied.
  bool pnl = true;
  // Off for a run without balances (orders only, LiveConfig::balances = false).
  bool balances = true;
  // Off where the drifts cannot be had (e.g. a state rebuilt from part of a stream). Only with
  // balances.
  bool drifts = true;
};

struct Verdict {
  std::string differences;     // one per line (at most 5 missing orders named, then a count)
  std::size_t orders = 0;      // orders of the truth found and compared
  std::size_t markets = 0;     // markets compared
  std::size_t currencies = 0;  // currencies compared (Checks::balances)
  std::uint64_t moves = 0;     // external movements in the truth (Checks::drifts)
  std::uint64_t moves_uncompared = 0;  // of which at or before their currency's first report
  std::uint64_t drifts = 0;            // drifts the account reported, pending ones included
  std::uint64_t pending = 0;           // of which still pending at the end
  Checks checks;

  [[nodiscard]] bool equal() const noexcept { return differences.empty(); }
};

// Compares `state` with `truth_json`, Server::truth_json(true) (or /sim/truth).
[[nodiscard]] Verdict verify(const std::string& truth_json, const AccountState& state,
                             const Checks& checks = {});

// verify(...).differences: empty when the state equals the truth.
[[nodiscard]] std::string differences(const std::string& truth_json, const AccountState& state,
                                      const Checks& checks = {});

// What an equal verdict covered, for a verdict line: "412 orders, 4 markets with PnL, 5
// balances; 3 external movements, each reported as a drift".
[[nodiscard]] std::string describe(const Verdict& v);

}  // namespace fillwire::sim
