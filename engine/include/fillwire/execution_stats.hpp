#pragma once
// ExecutionStats: execution quality of completed orders (per market, and summed for the account);
// SmpStats: self-match prevention activity by SMP type.
//
// Thread contract: owned by AccountState, updated on the strategy thread only (inside apply()),
// read by the strategy on that same thread. Plain counters and sums; no allocation.
//
// Outcome of a completed order (mutually exclusive, so the four rates add up to 100 %):
//   done_full     ended `done`; also a market buy by amount (order_type `price`) that ended
//                 `cancel` after filling: the exchange cancels the dust it could not spend
//                 (PROTOCOL.md §4), so the order did what was asked.
//   done_partial  ended `cancel` with some volume executed (e.g. an IOC, or a cancelled resting
//                 order that had traded).
//   cancelled     ended `cancel` with nothing executed.
//   prevented     ended `prevented` (SMP), filled or not; `prevented_partial` counts those that had
//                 traded before SMP cancelled the rest.
// Times are the exchange's milliseconds, from the order's order_timestamp ("wait") to its first
// fill (the earliest trade_timestamp seen; when the first fill was known only from a later event's
// cumulative fields, that event's time) and to its final event. They are taken when the order
// completes, so a trade event arriving after the order's terminal event no longer changes them.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <type_traits>

#include "fillwire/order_event.hpp"

namespace fillwire {

struct ExecutionStats {
  std::uint64_t completed = 0;
  std::uint64_t done_full = 0;
  std::uint64_t done_partial = 0;
  std::uint64_t cancelled = 0;
  std::uint64_t prevented = 0;
  std::uint64_t prevented_partial = 0;

  std::uint64_t trades = 0;        // trades_count deltas: every trade, seen or healed
  std::uint64_t maker_trades = 0;  // trade events seen with is_maker = true
  std::uint64_t taker_trades = 0;  // trade events seen with is_maker = false
  double traded_notional = 0.0;    // executed_funds deltas, both sides
  double traded_volume = 0.0;      // executed_volume deltas, both sides

  std::uint64_t first_fill_samples = 0;  // completed orders with a fill and a known wait time
  std::int64_t first_fill_ms_sum = 0;
  std::int64_t first_fill_ms_max = 0;
  std::uint64_t final_samples = 0;  // completed orders with a known wait time
  std::int64_t final_ms_sum = 0;
  std::int64_t final_ms_max = 0;

  [[nodiscard]] static double ratio(std::uint64_t part, std::uint64_t whole) noexcept {
    return whole == 0 ? 0.0 : static_cast<double>(part) / static_cast<double>(whole);
  }
  [[nodiscard]] double fill_rate() const noexcept { return ratio(done_full, completed); }
  [[nodiscard]] double partial_fill_rate() const noexcept { return ratio(done_partial, completed); }
  [[nodiscard]] double cancel_rate() const noexcept { return ratio(cancelled, completed); }
  [[nodiscard]] double smp_rate() const noexcept { return ratio(prevented, completed); }
  // Share of maker trades among the trades whose liquidity flag was seen.
  [[nodiscard]] double maker_share() const noexcept {
    return ratio(maker_trades, maker_trades + taker_trades);
  }
  // Trades known only from cumulative counts (their own event was never seen).
  [[nodiscard]] std::uint64_t liquidity_unknown() const noexcept {
    const std::uint64_t seen = maker_trades + taker_trades;
    return trades > seen ? trades - seen : 0;
  }
  [[nodiscard]] double avg_first_fill_ms() const noexcept {
    return first_fill_samples == 0
               ? 0.0
               : static_cast<double>(first_fill_ms_sum) / static_cast<double>(first_fill_samples);
  }
  [[nodiscard]] double avg_final_ms() const noexcept {
    return final_samples == 0
               ? 0.0
               : static_cast<double>(final_ms_sum) / static_cast<double>(final_samples);
  }

  // Adds another market's figures (sums; maxima of maxima). Any thread holding both values.
  ExecutionStats& operator+=(const ExecutionStats& o) noexcept {
    completed += o.completed;
    done_full += o.done_full;
    done_partial += o.done_partial;
    cancelled += o.cancelled;
    prevented += o.prevented;
    prevented_partial += o.prevented_partial;
    trades += o.trades;
    maker_trades += o.maker_trades;
    taker_trades += o.taker_trades;
    traded_notional += o.traded_notional;
    traded_volume += o.traded_volume;
    first_fill_samples += o.first_fill_samples;
    first_fill_ms_sum += o.first_fill_ms_sum;
    first_fill_ms_max = std::max(first_fill_ms_max, o.first_fill_ms_max);
    final_samples += o.final_samples;
    final_ms_sum += o.final_ms_sum;
    final_ms_max = std::max(final_ms_max, o.final_ms_max);
    return *this;
  }
};

// SMP activity by SMP type (index = SmpType value; index 0 collects events without a type).
struct SmpStats {
  static constexpr std::size_t kTypes = std::size(kSmpTypeNames);

  struct PerType {
    std::uint64_t orders = 0;            // orders whose prevented_volume became non-zero
    std::uint64_t prevented_orders = 0;  // orders that ended in state `prevented`
    double prevented_volume = 0.0;       // prevented_volume deltas
    double prevented_locked = 0.0;       // prevented_locked deltas
  };
  PerType by_type[kTypes];

  [[nodiscard]] const PerType& of(SmpType t) const noexcept {
    const auto i = static_cast<std::size_t>(t);
    return by_type[i < kTypes ? i : 0];
  }
  [[nodiscard]] PerType& of(SmpType t) noexcept {
    const auto i = static_cast<std::size_t>(t);
    return by_type[i < kTypes ? i : 0];
  }
  [[nodiscard]] PerType total() const noexcept {
    PerType t;
    for (const PerType& p : by_type) {
      t.orders += p.orders;
      t.prevented_orders += p.prevented_orders;
      t.prevented_volume += p.prevented_volume;
      t.prevented_locked += p.prevented_locked;
    }
    return t;
  }
};

static_assert(std::is_trivially_copyable_v<ExecutionStats> &&
                  std::is_trivially_copyable_v<SmpStats>,
              "Statistics are plain counters the strategy may copy as snapshots.");

}  // namespace fillwire
