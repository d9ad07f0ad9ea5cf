#pragma once
// Truth: the simulator's own accounting of the account, from the events it published — the
// independent answer a client's state must match. It shares no code with the engine's state: it
// works from the exact trade amounts (Fx) each emission carries, not from decoded events.
//
// Per market: base position, bought / sold volume and notional, fees, average cost gross and net
// of buy fees, realized PnL gross and net (average-cost method: a sale realizes
// proceeds - volume × average cost; net uses proceeds after fee and cost including buy fees).
// Average cost depends on the order of the fills: the truth applies them in trade-time order —
// trade time (ms), then order uuid (its bytes, i.e. its text), then the order's trade number —
// the order a client can rebuild from the trades' own fields. The generator emits fills in that
// order (each step trades at most one order and the clock moves on by at least 1 ms per step);
// apply() checks it and counts any fill that would break it (`fills_out_of_trade_order`, 0).
// Account: KRW and base balances with amounts locked in open orders; outcome counts by final
// state; trades and maker trades; events by state. External deposits and withdrawals (the last
// `max_moves` of them listed, all of them summed per currency) move the account's balances but
// not the markets' positions, which come from fills only. The balances the last myAsset frame of
// each currency showed, with its asset_uuid (report()).
// Not thread-safe: one owner thread.

#include <array>
#include <cstdint>
#include <deque>
#include <string>
#include <unordered_set>
#include <vector>

#include "asset.hpp"
#include "market.hpp"
#include "order.hpp"
#include "order_book.hpp"

namespace fillwire::sim {

struct MarketTruth {
  Fx position = 0;         // base volume held (including volume locked in asks)
  I128 bought_volume = 0;  // Fx units
  I128 sold_volume = 0;
  I128 bought_funds = 0;  // KRW, Fx units
  I128 sold_funds = 0;
  I128 fees = 0;
  long double cost_gross = 0;  // cost basis of `position`, Fx units
  long double cost_net = 0;    // including buy fees
  long double realized_gross = 0;
  long double realized_net = 0;
  std::uint64_t trades = 0;
  std::uint64_t maker_trades = 0;
  // The last fill applied, in trade-time order (see the header comment).
  std::int64_t last_fill_ms = 0;
  Uuid last_fill_order{};
  std::uint32_t last_fill_trade = 0;
};

struct Outcomes {
  std::uint64_t done = 0;
  std::uint64_t cancel_unfilled = 0;
  std::uint64_t cancel_partial = 0;  // cancelled after at least one trade
  std::uint64_t prevented = 0;
  std::uint64_t prevented_partial = 0;  // of which partly filled first
};

// An external deposit (amount > 0) or withdrawal (amount < 0) of one currency, and the myAsset
// frame that showed it.
struct ExternalMove {
  std::uint64_t number = 0;       // 1, 2, ... in the order they happened
  std::uint8_t currency = 0;      // see kCurrencyCount
  Fx amount = 0;                  // signed, exact
  std::int64_t timestamp_ms = 0;  // its frame's asset_timestamp
  Uuid asset_uuid{};              // its frame's asset_uuid
  std::uint64_t after_event = 0;  // order events generated before it
};

// The last myAsset frame that showed a currency.
struct ReportedAsset {
  Balance balance;
  Uuid asset_uuid{};
  std::int64_t asset_timestamp = 0;
  bool sent = false;  // false: no frame showed this currency yet
};

class Truth {
 public:
  explicit Truth(Fx initial_krw = fx_from_int(1'000'000'000), std::size_t max_moves = 100'000)
      : initial_krw_(initial_krw), krw_(initial_krw), max_moves_(max_moves) {
    reported_[kKrw].balance.available = initial_krw;
  }

  void apply(const Emission& e);
  void apply_move(const ExternalMove& m);
  // A myAsset frame went out with these balances.
  void report(const AssetUpdate& frame);

  [[nodiscard]] const MarketTruth& market(std::size_t i) const noexcept { return markets_[i]; }
  [[nodiscard]] const Outcomes& outcomes() const noexcept { return outcomes_; }
  [[nodiscard]] std::uint64_t events() const noexcept { return events_; }
  [[nodiscard]] std::uint64_t events_in(OrderState s) const noexcept {
    return by_state_[static_cast<std::size_t>(s)];
  }
  [[nodiscard]] std::uint64_t orders() const noexcept { return orders_; }
  // Fills that came before the previous fill of their market in trade-time order (expected 0).
  [[nodiscard]] std::uint64_t fills_out_of_trade_order() const noexcept {
    return fills_out_of_order_;
  }
  // KRW held, including KRW locked in open bids (initial - buys - fees + sells), without
  // external movements.
  [[nodiscard]] I128 krw_total() const noexcept { return krw_; }
  // What the account holds of a currency, locked included: trading plus deposits less withdrawals.
  [[nodiscard]] I128 total(std::size_t currency) const noexcept {
    return (currency == kKrw ? krw_ : I128{markets_[currency - 1].position}) +
           deposited_[currency] - withdrawn_[currency];
  }
  [[nodiscard]] I128 deposited(std::size_t currency) const noexcept { return deposited_[currency]; }
  [[nodiscard]] I128 withdrawn(std::size_t currency) const noexcept { return withdrawn_[currency]; }
  [[nodiscard]] const ReportedAsset& reported(std::size_t currency) const noexcept {
    return reported_[currency];
  }
  // The last max_moves movements, oldest first; how many there were; how many were dropped.
  [[nodiscard]] const std::deque<ExternalMove>& moves() const noexcept { return moves_; }
  [[nodiscard]] std::uint64_t moves_total() const noexcept { return moves_total_; }
  [[nodiscard]] std::uint64_t moves_forgotten() const noexcept { return moves_forgotten_; }
  [[nodiscard]] Fx initial_krw() const noexcept { return initial_krw_; }
  [[nodiscard]] std::size_t open_orders() const noexcept { return open_.size(); }

 private:
  Fx initial_krw_;
  I128 krw_;
  std::array<MarketTruth, kMarketCount> markets_{};
  Outcomes outcomes_;
  std::uint64_t events_ = 0;
  std::uint64_t orders_ = 0;
  std::uint64_t fills_out_of_order_ = 0;
  std::array<std::uint64_t, 7> by_state_{};
  std::unordered_set<Uuid, UuidHash> open_;
  std::array<I128, kCurrencyCount> deposited_{};
  std::array<I128, kCurrencyCount> withdrawn_{};
  std::array<ReportedAsset, kCurrencyCount> reported_{};
  std::size_t max_moves_;
  std::deque<ExternalMove> moves_;
  std::uint64_t moves_total_ = 0;
  std::uint64_t moves_forgotten_ = 0;
};

// The truth at one moment, copied so that it can be written out on another thread while the
// simulation goes on: the accounting, the stream digest, the amounts locked in open orders and,
// when asked, a copy of every retained order in creation order. Taking one costs a copy of the
// orders (tens of milliseconds for 200,000 orders); writing it as JSON costs seconds.
struct TruthSnapshot {
  Truth truth;
  std::uint64_t digest = 0;
  Fx krw_locked = 0;
  std::array<Fx, kMarketCount> base_locked{};
  bool with_orders = false;
  std::vector<OrderRecord> orders;  // with_orders: every retained order, in creation order
  std::uint64_t orders_forgotten = 0;

  // `book` adds the locked amounts and, when `with_orders`, the orders.
  static TruthSnapshot take(const Truth& truth, const OrderBook& book, std::uint64_t digest,
                            bool with_orders);
  // The whole truth as JSON (see tools/upbit-sim/README.md, "Ground truth"). Any thread.
  [[nodiscard]] std::string to_json() const;
};

[[nodiscard]] std::string int128_to_fx_string(I128 v);

}  // namespace fillwire::sim
