#pragma once
// Ground-truth comparison: does an AccountState equal what upbit-sim says the account is?
// Shared by the live integration tests, the engine tests and `fillwire demo`.
//
// Checked for every order of the truth: present, same terminal state, same cumulative fills
// (executed volume, executed funds, paid fee). For every market: net position, fees, bought and
// sold volume and notional, and (with check_pnl) realized PnL gross and net and no unattributed
// volume. Numbers are equal when within 1e-9 relative (the truth is exact decimals, the engine
// doubles).
//
// Thread contract: cold path; call on the thread that owns the AccountState (or after it stopped).

#include <string>

#include "fillwire/account_state.hpp"

namespace fillwire::sim {

// The differences, one per line (at most 5 missing orders are named, then a count); empty when the
// state equals the truth. `truth_json` is Server::truth_json(true) (or /sim/truth).
// Realized PnL and average cost depend on the order in which fills of different orders are
// applied; `check_pnl` = false skips them (and only them).
[[nodiscard]] std::string differences(const std::string& truth_json, const AccountState& state,
                                      bool check_pnl = true);

}  // namespace fillwire::sim
