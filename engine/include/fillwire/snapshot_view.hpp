#pragma once
// Text views of an AccountSnapshot for people: a multi-line panel (the demo's and the monitor's
// terminal view, and the summaries written into the journal) and a one-line form (periodic plain
// lines when the output is not a terminal, and the human log).
//
// Thread contract: cold path, any thread holding the snapshot (these allocate and may throw).
// Never called on the hot threads.

#include <cstddef>
#include <cstdint>
#include <string>

#include "fillwire/account_snapshot.hpp"

namespace fillwire {

struct EngineCounters;  // engine.hpp

struct ViewContext {
  std::string title;        // first line, e.g. "fillwire demo  wss://127.0.0.1:4242/..."
  double elapsed_s = 0;     // since start
  double events_per_s = 0;  // order events applied per second, recently
  std::size_t max_open_orders = 8;
  std::size_t max_fills = 8;
};

// The panel: connection, events and latency, anomalies, positions and PnL per market (gross and
// net), each market's mark and unrealized PnL, balances (available, locked, total, KRW value at
// the marks; "—" without a price) with their total, drift alerts and pending discrepancies,
// execution quality, open orders (first N) and recent fills.
[[nodiscard]] std::string format_view(const AccountSnapshot& snapshot,
                                      const EngineCounters& counters, const ViewContext& context);

// One line: connection, events, events/s, latency p50/p99, anomalies, net PnL, fees, unrealized
// PnL, the balances' KRW value and the drifts reported.
[[nodiscard]] std::string format_line(const AccountSnapshot& snapshot,
                                      const EngineCounters& counters, double events_per_s);

// Nanoseconds for people: "850 ns", "12.3 us", "4.56 ms", "1.20 s".
[[nodiscard]] std::string format_ns(std::uint64_t ns);

}  // namespace fillwire
