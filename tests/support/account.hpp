#pragma once
// Test helpers: account capacities small enough for a test to reach their bounds, and AccountState
// look-ups that must succeed, as references (a missing market or order fails the test with its
// name instead of dereferencing a null pointer).

#include <cstddef>
#include <stdexcept>
#include <string>
#include <string_view>

#include "fillwire/account_state.hpp"

namespace fillwire::test {

// An AccountConfig with these capacities, everything else the default.
inline AccountConfig capacities(std::size_t open_orders, std::size_t completed_orders,
                                std::size_t markets, std::size_t history) {
  AccountConfig c;
  c.open_orders = open_orders;
  c.completed_orders = completed_orders;
  c.markets = markets;
  c.history = history;
  return c;
}

// 16 orders open and 16 completed, 4 markets, the last 16 events in the history.
inline AccountConfig small_account() {
  return capacities(16, 16, 4, 16);
}

// Room for every order of a live run of tens of thousands of events: nothing is evicted, so the
// comparison with the simulator's truth covers every order.
inline AccountConfig roomy_account() {
  AccountConfig c;
  c.open_orders = 8192;
  c.completed_orders = std::size_t{1} << 17;
  return c;
}

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
