#pragma once
// AccountSnapshot: a fixed-size copy of what a person (or a monitor) wants to see of the account —
// positions and PnL per market, execution quality, open orders (the first N), the most recent
// fills, balances per currency (the first N) and the latest balance drifts, the application's
// anomaly counters, connection notices seen in the stream and the
// strategy thread's latency histogram — made on the strategy thread and read on another.
//
// Engine hands snapshots to other threads through a triple buffer (detail/snapshot_handoff.hpp).
//
// Thread contract: fill_snapshot() and SnapshotTracker on the strategy thread only (the
// AccountState's owner); a filled AccountSnapshot is a plain value, read on any thread holding it.
// No allocation, no lock, no exception in any of them.

#include <cstddef>
#include <cstdint>
#include <type_traits>

#include "fillwire/apply_counters.hpp"
#include "fillwire/balance.hpp"
#include "fillwire/control_event.hpp"
#include "fillwire/execution_stats.hpp"
#include "fillwire/order_event.hpp"
#include "fillwire/position.hpp"

namespace fillwire {

class AccountState;

// Latency from a frame's receipt (network thread) to the end of the strategy callback, in a
// log-linear histogram: 8 sub-buckets per power of two of nanoseconds (about 9 % wide each).
struct LatencyHistogram {
  static constexpr std::size_t kSubBits = 3;
  static constexpr std::size_t kSub = std::size_t{1} << kSubBits;
  static constexpr std::size_t kBuckets = 64 * kSub;
  std::uint64_t counts[kBuckets];
  std::uint64_t samples;
  std::uint64_t max_ns;

  static constexpr std::size_t bucket(std::uint64_t ns) noexcept {
    if (ns < kSub) return static_cast<std::size_t>(ns);
    const auto top = static_cast<std::size_t>(63 - __builtin_clzll(ns));  // ns >= kSub > 0
    const auto sub = static_cast<std::size_t>((ns >> (top - kSubBits)) & (kSub - 1));
    return (top - kSubBits + 1) * kSub + sub;
  }
  // The upper bound (ns) of bucket i: percentiles are reported at most one bucket high.
  static constexpr std::uint64_t upper(std::size_t i) noexcept {
    if (i < kSub) return i;
    const std::size_t top = i / kSub + kSubBits - 1;
    const std::uint64_t sub = i % kSub;
    return ((kSub + sub + 1) << (top - kSubBits)) - 1;
  }
  // Strategy thread.
  void add(std::uint64_t ns) noexcept {
    ++counts[bucket(ns)];
    ++samples;
    if (ns > max_ns) max_ns = ns;
  }
  // Any thread holding the value: the q-quantile (0 < q <= 1) in ns, 0 without samples.
  [[nodiscard]] std::uint64_t percentile(double q) const noexcept {
    if (samples == 0) return 0;
    auto rank = static_cast<std::uint64_t>(q * static_cast<double>(samples));
    if (rank == 0) rank = 1;
    std::uint64_t seen = 0;
    for (std::size_t i = 0; i < kBuckets; ++i) {
      seen += counts[i];
      if (seen >= rank) return upper(i) < max_ns ? upper(i) : max_ns;
    }
    return max_ns;
  }
};

// One market: its position and execution statistics.
struct SnapshotMarket {
  Position position;  // position.market names it; position.mark_price is its mark (0: none)
  ExecutionStats stats;
};

struct SnapshotOrder {
  Uuid uuid;
  MarketCode code;
  Side side;
  OrderType order_type;
  OrderState state;
  double price;
  double volume;
  double executed_volume;
  std::int64_t order_ts;  // ms
};

// A fill as its trade event reported it (only trades whose own event was seen).
struct SnapshotFill {
  Uuid order;
  MarketCode code;
  Side side;
  bool maker;
  double price;
  double volume;
  double fee;
  std::int64_t trade_ts;  // ms
};

// What the strategy thread saw of the connection, from the control events in the ring.
struct SnapshotConnection {
  bool connected;
  std::uint64_t connects;
  std::uint64_t disconnects;
  std::uint64_t resyncs;  // resynchronisations completed
  std::uint64_t resync_failures;
  std::uint64_t resync_incomplete;  // resyncs stopped at a bound: the state may miss changes
  std::uint64_t rate_limited;       // 429 / 418 answers from the exchange
  std::uint64_t auth_failures;
  std::uint64_t server_errors;
  ControlCode last_code;
  std::int64_t last_ms;  // wall-clock ms of the last control event, 0 before any
  // The last resync notice (resync_begin, resynced, resync_failed or resync_incomplete); zero
  // (connected) before any. A failed or incomplete last resync means the state may miss changes.
  ControlCode last_resync;
};

struct AccountSnapshot {
  static constexpr std::size_t kMaxMarkets = 32;
  static constexpr std::size_t kMaxOpenOrders = 16;
  static constexpr std::size_t kMaxFills = 12;
  static constexpr std::size_t kMaxBalances = 16;
  static constexpr std::size_t kMaxDrifts = 8;

  std::uint64_t version;       // 1 for the first snapshot published, then 2, 3, ...
  std::uint64_t taken_ns;      // steady-clock ns when it was filled
  std::uint64_t order_events;  // order events applied (ApplyCounters::events minus control and
                               // asset events)
  ApplyCounters counters;
  ExecutionStats total;  // all markets
  SmpStats smp;
  SnapshotConnection connection;
  LatencyHistogram latency;

  std::size_t market_count;  // markets in the account (markets[] holds the first kMaxMarkets)
  SnapshotMarket markets[kMaxMarkets];
  std::size_t open_orders;  // open orders in the account (open[] holds the first kMaxOpenOrders)
  SnapshotOrder open[kMaxOpenOrders];
  std::size_t fill_count;  // entries in fills[], newest first
  SnapshotFill fills[kMaxFills];
  // Balances as reported, with their implied figures and pending discrepancy (balance.hpp).
  std::size_t balance_count;  // currencies in the account (balances[] holds the first N)
  Balance balances[kMaxBalances];
  std::size_t drift_count;  // entries in drifts[], newest first (all: counters.drifts_reported)
  BalanceDrift drifts[kMaxDrifts];

  [[nodiscard]] std::size_t balances_shown() const noexcept {
    return balance_count < kMaxBalances ? balance_count : kMaxBalances;
  }
  [[nodiscard]] std::size_t markets_shown() const noexcept {
    return market_count < kMaxMarkets ? market_count : kMaxMarkets;
  }
  [[nodiscard]] std::size_t open_shown() const noexcept {
    return open_orders < kMaxOpenOrders ? open_orders : kMaxOpenOrders;
  }
};
static_assert(std::is_trivially_copyable_v<AccountSnapshot>,
              "Snapshots are filled in place and copied as plain bytes: no owned memory.");

// Strategy thread: the parts of a snapshot that only the strategy thread can see, kept between
// snapshots (connection notices, fills and latencies arrive one event at a time). The recent fills
// are kept here rather than read from the account's History, which a resync can fill with order
// snapshots.
struct SnapshotTracker {
  SnapshotConnection connection{};
  LatencyHistogram latency{};
  SnapshotFill fills[AccountSnapshot::kMaxFills]{};  // ring; fill_total % kMaxFills is next
  std::uint64_t fill_total = 0;

  // Strategy thread, for each control event. No allocation.
  void on_control(const OrderEvent& e) noexcept;
  // Strategy thread, for each trade event that apply() took (ApplyOutcome::applied).
  void on_fill(const OrderEvent& e) noexcept;
};

// Strategy thread: fills `out` from the account (and the tracker). No allocation; copies a few
// tens of kilobytes.
void fill_snapshot(const AccountState& account, const SnapshotTracker& tracker,
                   std::uint64_t version, AccountSnapshot& out) noexcept;

}  // namespace fillwire
