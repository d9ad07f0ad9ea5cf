#pragma once
// Generator: a seeded, deterministic flow of one account's order events over several KRW markets.
//
// The account trades against an outside market whose mid price walks in ticks. Each step is one
// thing happening to the account, and yields the events Upbit would send for it:
//   - a limit order rests (wait), is later filled by outside takers in one or more partial trades
//     (maker) and ends done, or is cancelled by the user (cancel, possibly partly filled);
//   - a crossing limit order takes liquidity (wait, taker trades) and rests or ends done;
//     with ioc/fok it takes what it can / all or nothing, then ends done or cancel;
//   - a market buy by amount (`price`) fills in several trades and ends cancel with the unspent
//     remainder refunded (or done); a market sell (`market`) fills and ends done;
//   - `best` orders with ioc / fok fill at the best level only;
//   - a post_only limit that would take is cancelled at once; otherwise it rests;
//   - a conditional order waits in `watch`, then triggers to `wait`;
//   - a new order meeting one of the account's own resting orders is handled by SMP:
//     cancel_taker (new order prevented), cancel_maker (resting order prevented), reduce (both
//     reduced by the overlap; an order reduced to nothing is prevented).
// The account starts with KRW only; sells never exceed the base volume it holds and has not locked.
// Sizes: 5,000 KRW to 2,000,000 KRW per order, so every amount stays exact (see fixed8.hpp).
//
// Timestamps come from a simulated clock (epoch_ms, advancing 1..20 ms per step) so a seed gives
// the same bytes on every run; with real_time each step moves it 1 ms and the caller moves it up
// to the wall clock (sync_clock) before each batch: never behind real time, ahead of it only when
// more than 1,000 events a second are generated. Not thread-safe: one owner thread.

#include <cstdint>
#include <deque>
#include <unordered_map>
#include <vector>

#include "market.hpp"
#include "order.hpp"
#include "rng.hpp"

namespace fillwire::sim {

struct GeneratorConfig {
  std::uint64_t seed = 1;
  std::int64_t epoch_ms = 1'764'000'000'000;  // first event time (simulated clock)
  std::size_t max_resting = 64;               // open orders the account keeps at most
  bool real_time = false;                     // 1 ms a step; the owner syncs it to the wall clock
};

struct GeneratorStats {
  std::uint64_t steps = 0;
  std::uint64_t orders = 0;
  std::uint64_t events = 0;
};

class Generator {
 public:
  explicit Generator(const GeneratorConfig& config);

  // Produces the next event with the order's state after it. Never runs out. The reference is
  // valid until the next call.
  const Emission& next();

  // Moves the simulated clock forward to `now_ms` (never backwards).
  void sync_clock(std::int64_t now_ms) noexcept {
    if (now_ms > now_ms_) now_ms_ = now_ms;
  }

  [[nodiscard]] std::int64_t now_ms() const noexcept { return now_ms_; }
  // True when the event next() returned last was the last of its step: the next one comes from a
  // later step, at a later time.
  [[nodiscard]] bool step_complete() const noexcept { return pending_.size() <= 1; }
  [[nodiscard]] const GeneratorStats& stats() const noexcept { return stats_; }
  [[nodiscard]] Fx mid(std::size_t market) const noexcept { return mid_[market]; }

 private:
  void step();
  void walk_prices();

  // Actions
  void place_resting(bool post_only_allowed);
  void place_crossing_limit();
  void place_market_buy();
  void place_market_sell();
  void place_best();
  void place_conditional();
  void fill_resting();
  void cancel_resting();
  void trigger_watch(std::size_t slot);
  void place_smp();

  // Helpers
  OrderCore new_order(std::size_t market, Side side, OrderType type, TimeInForce tif);
  Fx random_notional();
  Fx volume_for(std::size_t market, Fx price, Fx notional) const;
  Fx ask_volume(std::size_t market, Fx wanted) const;  // capped by free base volume
  void reserve(OrderCore& o);                          // reserved_fee / locked at creation
  void apply_trade(OrderCore& o, Fx price, Fx volume, bool maker);
  void finish(OrderCore& o, OrderState final_state);
  void prevent(OrderCore& o, Fx volume);  // SMP: removes `volume` from the order
  void refresh_locked(OrderCore& o);
  void emit(const OrderCore& o, OrderState state, const TradeRecord* trade = nullptr);
  void rest(const OrderCore& o);
  void unrest(std::size_t slot);

  struct Level {
    Fx price;
    Fx volume;  // base volume available
  };
  std::vector<Level> opposite_levels(std::size_t market, Side taker_side, std::size_t count);

  GeneratorConfig config_;
  Rng rng_;
  std::int64_t now_ms_;
  Fx mid_[kMarketCount];
  Fx free_base_[kMarketCount] = {};  // base volume held and not locked by open asks
  std::vector<OrderCore> resting_;   // the account's open orders (wait / watch)
  std::deque<Emission> pending_;
  bool handed_out_ = false;  // pending_.front() was returned by next()
  GeneratorStats stats_;
};

}  // namespace fillwire::sim
