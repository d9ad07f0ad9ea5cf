#pragma once
// The live connection's counters as relaxed single-writer atomics: the network thread writes them
// (connection chain, read loop, REST session, resync), any thread reads them.

#include <atomic>
#include <cstdint>

#include "fillwire/live_source.hpp"

namespace fillwire::net {

struct Counter {
  std::atomic<std::uint64_t> v{0};
  void add(std::uint64_t n = 1) noexcept {
    v.store(v.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
  }
  [[nodiscard]] std::uint64_t get() const noexcept { return v.load(std::memory_order_relaxed); }
};

struct LiveCounterSet {
#define FILLWIRE_LIVE_COUNTER_ATOMIC(name, doc) Counter name;
  FILLWIRE_LIVE_COUNTERS(FILLWIRE_LIVE_COUNTER_ATOMIC)
#undef FILLWIRE_LIVE_COUNTER_ATOMIC

  [[nodiscard]] LiveCounters read() const noexcept {
    LiveCounters c;
// NOLINTNEXTLINE(bugprone-macro-parentheses): `name` is a member name, not an expression.
#define FILLWIRE_LIVE_COUNTER_READ(name, doc) c.name = name.get();
    FILLWIRE_LIVE_COUNTERS(FILLWIRE_LIVE_COUNTER_READ)
#undef FILLWIRE_LIVE_COUNTER_READ
    return c;
  }
};

}  // namespace fillwire::net
