#pragma once
// Test helper: the engine's strategy-thread consumer (EngineConsumer) over its own account and
// snapshot exchange, calling a strategy that only counts its calls. Large: make it on the heap.

#include <cstdint>

#include "fillwire/engine.hpp"

namespace fillwire::test {

struct CountingStrategy {
  std::uint64_t orders = 0;
  std::uint64_t controls = 0;
  void on_order(const OrderEvent&, const AccountState&) noexcept { ++orders; }
  void on_control(const OrderEvent&, const AccountState&) noexcept { ++controls; }
};

struct CountingConsumer {
  AccountState account;
  CountingStrategy strategy;
  SnapshotHandoff exchange;
  detail::EngineConsumer<CountingStrategy> consumer{account, strategy, exchange, TscCalibration{}};
};

}  // namespace fillwire::test
