#pragma once
// Test helpers: AccountState look-ups that must succeed, as references (a missing market or order
// fails the test with its name instead of dereferencing a null pointer).

#include <stdexcept>
#include <string>
#include <string_view>

#include "fillwire/account_state.hpp"

namespace fillwire::test {

inline const Position& position_of(const AccountState& s, std::string_view market) {
  const Position* p = s.position(market);
  if (p == nullptr) throw std::runtime_error("no position for market " + std::string(market));
  return *p;
}

inline const ExecutionStats& stats_of(const AccountState& s, std::string_view market) {
  const ExecutionStats* p = s.stats(market);
  if (p == nullptr) throw std::runtime_error("no statistics for market " + std::string(market));
  return *p;
}

inline const Order& order_of(const AccountState& s, const Uuid& id) {
  const Order* o = s.find_order(id);
  if (o == nullptr) throw std::runtime_error("no order " + id.to_string());
  return *o;
}

}  // namespace fillwire::test
