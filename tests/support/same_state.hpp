#pragma once
// Test helper: what differs between two account states that should have applied the same events
// in the same order (a live run and the replay of its journal, a gateway and its followers):
// positions, orders (identifiers with their cut flag and hash, states, trades, figures) and
// balances, exactly, as text (at most a few lines); empty when they are the same.

#include <sstream>
#include <string>

#include "fillwire/account_state.hpp"

namespace fillwire::test {

inline std::string state_differences(const AccountState& a, const AccountState& b,
                                     int max_lines = 5) {
  std::ostringstream out;
  int lines = 0;
  const auto differ = [&](const std::string& what) {
    if (++lines <= max_lines) out << what << "\n";
  };
  for (std::uint16_t m = 0; m < a.market_count(); ++m) {
    const auto code = a.market_code(m);
    const Position* pa = a.position(code);
    const Position* pb = b.position(code);
    if (pb == nullptr) {
      differ("market " + std::string(code) + ": missing");
      continue;
    }
    if (pa->realized_net != pb->realized_net || pa->base_volume != pb->base_volume) {
      differ("market " + std::string(code) + ": realized_net or base_volume");
    }
  }
  if (a.market_count() != b.market_count()) differ("market counts");
  const OrderTable& oa = a.orders();
  if (oa.open_size() != b.orders().open_size()) differ("open order counts");
  if (oa.completed_size() != b.orders().completed_size()) differ("completed order counts");
  const auto same_order = [&](const Order& x) {
    const Order* y = b.find_order(x.uuid);
    const bool same = y != nullptr && y->identifier == x.identifier && y->state == x.state &&
                      y->trades_count == x.trades_count &&
                      y->executed_volume == x.executed_volume &&
                      y->executed_funds == x.executed_funds && y->paid_fee == x.paid_fee;
    if (!same) differ("order " + x.uuid.to_string());
  };
  for (std::size_t i = 0; i < oa.open_size(); ++i)
    same_order(oa.open(i));
  for (std::size_t i = 0; i < oa.completed_size(); ++i)
    same_order(oa.completed(i));
  if (a.currency_count() != b.currency_count()) differ("currency counts");
  a.for_each_balance([&](const Balance& x) {
    const Balance* y = b.balance(x.currency.view());
    if (y == nullptr || y->available != x.available || y->locked != x.locked) {
      differ("balance " + std::string(x.currency.view()));
    }
  });
  if (lines > max_lines) out << "... " << lines - max_lines << " more\n";
  return out.str();
}

}  // namespace fillwire::test
