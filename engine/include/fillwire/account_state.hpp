#pragma once
// AccountState: the account as the strategy sees it — open and recently completed orders,
// positions and PnL per market, execution quality, SMP activity, the last N events — kept up to
// date by apply(), one OrderEvent at a time.
//
// Thread contract: single-threaded. apply() and every accessor are called on the strategy thread
// only (the consumer of the order ring); nothing here is shared or synchronised.
// Construction (cold path) allocates everything from AccountConfig and may throw; after that,
// apply() never allocates, locks, throws or makes a system call.
//
// Application rules (DESIGN.md §5; vocabulary in apply_counters.hpp):
//   - Positions and PnL move by the delta between an event's cumulative fields (executed_volume,
//     executed_funds, paid_fee, trades_count) and what the order already applied, so duplicates
//     change nothing and a missed trade event is healed by the next event of the order.
//   - Progress is (trades_count, executed_volume, prevented_volume); an event behind the order's
//     progress is stale and ignored; at equal progress a different state is taken only if its
//     timestamp is newer. A repeated trade (its trades_count already seen) is a duplicate.
//   - done / cancel / prevented are absorbing: later events of a terminal order change nothing.
//     A terminal event always closes an open order (never with a negative delta).
//   - An order first seen mid-life (a trade, or even its terminal event) is created and its
//     cumulative fields are applied in full.
//   - On `trade` events price and volume are the trade's (PROTOCOL.md §4): they never set the
//     order's terms.
//   - Figures stay finite: an event with a number past +-kInputLimit (1e150; NaN and infinities
//     included), or whose application would take an average cost past +-kFigureLimit, is refused
//     as invalid (counted as non_finite) and changes nothing. Sums of numbers within kInputLimit
//     cannot leave kFigureLimit (position.hpp), so only a basis is checked: before it changes for
//     a fill applied in order; for a late fill, the window's changes are undone
//     (FillWindow::rollback) when a basis leaves the limit.
//   - Fills are applied to positions in trade-time order (FillKey: trade time, order uuid, trade
//     number), whatever order they arrive in: each market keeps its recent fills with the basis
//     before each (FillWindow); a late fill is put at its place and the fills after it applied
//     again. A gap healed by a later event is placed at that event's time; when the missed trade
//     event arrives after all, its trade is taken out of the gap and put at its own time.
//   - Each market's mark (Position::mark_price) is the price of its last fill in that order.
// Balances (asset events, EventKind::asset): per currency, the last report (Balance, balance.hpp)
// and its reconciliation with the order stream, which implies per currency of a market QUOTE-BASE:
//   - a fill: bid: quote total -= d_funds + d_fee, base total += d_volume; ask: base total -=
//     d_volume, quote total += d_funds - d_fee (cumulative deltas, so duplicates imply nothing);
//   - a lock: the order's `locked` (bid: quote incl. fee; ask: base volume) moves the locked of
//     quote (bid) or base (ask) by its change; a terminal order releases what it still locked; an
//     event without `locked` implies no lock change (counted as orders_without_locked).
// Each at its event's `timestamp`. A report that repeats the currency's last (asset_uuid and
// asset_timestamp) is a duplicate, an older one stale; a number past +-kInputLimit, a negative
// one or a missing field refuses it. Discrepancies settle into drifts() (balance.hpp's rule).
// Each case is counted in counters(); what apply() did with each recent event is in history().

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>

#include "fillwire/account_config.hpp"
#include "fillwire/apply_counters.hpp"
#include "fillwire/asset_event.hpp"
#include "fillwire/balance.hpp"
#include "fillwire/detail/balance_table.hpp"
#include "fillwire/detail/fill_window.hpp"
#include "fillwire/detail/history.hpp"
#include "fillwire/detail/market_table.hpp"
#include "fillwire/detail/order_table.hpp"
#include "fillwire/execution_stats.hpp"
#include "fillwire/order.hpp"
#include "fillwire/order_event.hpp"
#include "fillwire/position.hpp"

namespace fillwire {

class AccountState {
 public:
  static constexpr std::uint16_t kNoMarket = MarketTable::kNoMarket;

  // Cold path: validates the config (std::invalid_argument) and allocates every table once.
  explicit AccountState(const AccountConfig& config = {});
  AccountState(const AccountState&) = delete;
  AccountState& operator=(const AccountState&) = delete;

  // Strategy thread only. Applies one event and says what it did with it (also counted in
  // counters() and kept in history(), so the result may be ignored).
  // Asset slots (kind EventKind::asset) are applied as their AssetEvent (asset_of()).
  ApplyOutcome apply(const OrderEvent& e) noexcept;
  // The same for an asset event given as such (e.g. a resync's balances, origin resync); its kind
  // is taken as EventKind::asset whatever it says.
  ApplyOutcome apply(const AssetEvent& a) noexcept;

  // --- read API (strategy thread only; references stay valid until the next apply()) ---

  // An open or kept completed order, or nullptr.
  [[nodiscard]] const Order* find_order(const Uuid& id) const noexcept { return orders_.find(id); }
  // The open or kept completed order whose client identifier is `whole` (the full text; a long
  // identifier, cut in the events, is matched by its hash: ClientId), or nullptr. Scans every
  // order kept (O(open + completed)); no allocation.
  [[nodiscard]] const Order* find_by_identifier(std::string_view whole) const noexcept;
  [[nodiscard]] std::size_t open_order_count() const noexcept { return orders_.open_size(); }
  [[nodiscard]] const Order& open_order(std::size_t i) const noexcept { return orders_.open(i); }
  template <class F>
  void for_each_open_order(F&& f) const {
    for (std::size_t i = 0; i < orders_.open_size(); ++i)
      f(orders_.open(i));
  }
  [[nodiscard]] const OrderTable& orders() const noexcept { return orders_; }

  // Markets are numbered 0..market_count()-1 in order of first appearance.
  [[nodiscard]] std::size_t market_count() const noexcept { return markets_.size(); }
  [[nodiscard]] std::string_view market_code(std::uint16_t m) const noexcept {
    return markets_.code(m).view();
  }
  // The market's number, or kNoMarket.
  [[nodiscard]] std::uint16_t market_index(std::string_view code) const noexcept;

  [[nodiscard]] const Position& position_at(std::uint16_t m) const noexcept {
    return positions_[m];
  }
  // nullptr for a market never seen (nor given a starting holding).
  [[nodiscard]] const Position* position(std::string_view code) const noexcept {
    const std::uint16_t m = market_index(code);
    return m == kNoMarket ? nullptr : &positions_[m];
  }
  // The market's recent fills in trade-time order (FillWindow), oldest first.
  [[nodiscard]] const FillWindow& fills_at(std::uint16_t m) const noexcept { return windows_[m]; }
  [[nodiscard]] const ExecutionStats& stats_at(std::uint16_t m) const noexcept { return stats_[m]; }
  [[nodiscard]] const ExecutionStats* stats(std::string_view code) const noexcept {
    const std::uint16_t m = market_index(code);
    return m == kNoMarket ? nullptr : &stats_[m];
  }
  // All markets summed (maxima of maxima).
  [[nodiscard]] ExecutionStats total_stats() const noexcept;
  // Currencies are numbered 0..currency_count()-1 in order of first appearance (a report, or a
  // market QUOTE-BASE of an order that implied a change).
  [[nodiscard]] std::size_t currency_count() const noexcept { return balances_.size(); }
  [[nodiscard]] const Balance& balance_at(std::uint16_t c) const noexcept {
    return balances_.at(c);
  }
  // nullptr for a currency never seen in either stream.
  [[nodiscard]] const Balance* balance(std::string_view currency) const noexcept;
  template <class F>
  void for_each_balance(F&& f) const {
    for (std::size_t c = 0; c < balances_.size(); ++c)
      f(balances_.at(static_cast<std::uint16_t>(c)));
  }
  // The last account.drifts balance drifts reported, oldest first (all are counted).
  [[nodiscard]] const DriftList& drifts() const noexcept { return balances_.drifts(); }
  // The latest exchange time (ms) seen in order and asset events; drifts settle on it.
  [[nodiscard]] std::int64_t exchange_time() const noexcept { return balances_.exchange_time(); }

  [[nodiscard]] const SmpStats& smp() const noexcept { return smp_; }
  [[nodiscard]] const ApplyCounters& counters() const noexcept { return counters_; }
  [[nodiscard]] const History& history() const noexcept { return history_; }
  [[nodiscard]] const AccountConfig& config() const noexcept { return config_; }

 private:
  enum class TradeMark : std::uint8_t { fresh, seen, unknown };
  // What an event adds to an order's cumulative figures (never negative).
  struct Deltas {
    double volume = 0.0;
    double funds = 0.0;
    double fee = 0.0;
    double prevented_volume = 0.0;
    double prevented_locked = 0.0;
  };

  // An order's figures as its stream events last showed them, kept while a resync's events have
  // moved it further (REST answers ahead of a stream read behind): the changes the resync implied
  // at its time are moved to the time a stream event shows them (retime()).
  struct StreamView {
    double volume;
    double funds;
    double fee;
    double locked;
    std::int64_t ts;       // the order's newest stream event (ms)
    std::int64_t rest_ts;  // when the resync's changes were implied (ms)
  };
  // What an order event just implied, in the order's figures (for retime()).
  struct Implied {
    double volume;
    double funds;
    double fee;
    double locked;
  };

  // A market's two currencies in the balance table (kNoCurrency when unknown or not QUOTE-BASE).
  struct MarketCurrencies {
    std::uint16_t quote;
    std::uint16_t base;
    bool resolved;
  };

  ApplyOutcome apply_asset(const OrderEvent& slot) noexcept;
  ApplyOutcome decide_asset(const AssetEvent& a) noexcept;
  ApplyOutcome decide(const OrderEvent& e) noexcept;
  ApplyOutcome create(const OrderEvent& e) noexcept;
  ApplyOutcome update(Order& o, const OrderEvent& e) noexcept;
  // A stream event of an order a resync moved ahead of its stream events: what the event shows
  // beyond their view, less what it implied, was implied by the resync earlier: moved here.
  void retime(Order& o, const OrderEvent& e) noexcept;
  ApplyOutcome after_terminal(Order& o, const OrderEvent& e) noexcept;
  [[nodiscard]] static Deltas deltas(const Order& o, const OrderEvent& e) noexcept;
  ApplyOutcome refuse_non_finite() noexcept;
  [[nodiscard]] TradeMark peek_trade(const Order& o, const OrderEvent& e) const noexcept;
  TradeMark mark_trade(Order& o, const OrderEvent& e) noexcept;
  // The checks and the fill window's part of advance(): false, with nothing changed, when a
  // figure would leave the limit.
  [[nodiscard]] bool stage_fill(const Order& o, const OrderEvent& e, const Deltas& d) noexcept;
  void advance(Order& o, const OrderEvent& e, const Deltas& d) noexcept;
  [[nodiscard]] bool add_fill(const Order& o, const OrderEvent& e, double volume, double funds,
                              double fee) noexcept;
  [[nodiscard]] bool place_late_trade(const Order& o, const OrderEvent& e) noexcept;
  void count_placed(FillWindow::Placed placed) noexcept;
  void take_terms(Order& o, const OrderEvent& e) noexcept;
  // What the event does to the balances of the order's market: the fill `d` and the change of
  // the order's lock (call before take_terms(): o.locked is still the previous lock).
  void imply_balances(Order& o, const OrderEvent& e, const Deltas& d, bool terminal) noexcept;
  // The balance changes of `volume` bought or sold for `funds` with `fee`, and of `lock`, by the
  // order's side, at t.
  void imply_figures(const Order& o, double volume, double funds, double fee, double lock,
                     std::int64_t t, EventOrigin origin) noexcept;
  void imply(std::uint16_t c, double total, double locked, std::int64_t t,
             EventOrigin origin) noexcept;
  [[nodiscard]] const MarketCurrencies& currencies_of(std::uint16_t m) noexcept;
  void record_outcome(const Order& o) noexcept;

  AccountConfig config_;
  OrderTable orders_;
  MarketTable markets_;
  std::unique_ptr<Position[]> positions_;
  std::unique_ptr<ExecutionStats[]> stats_;
  std::unique_ptr<FillWindow[]> windows_;
  std::unique_ptr<StreamView[]> stream_views_;  // per order record
  Implied implied_{};
  std::unique_ptr<Fill[]> window_undo_;  // FillWindow::begin()'s scratch, shared by the windows
  std::unique_ptr<MarketCurrencies[]> market_currencies_;
  BalanceTable balances_;
  SmpStats smp_;
  ApplyCounters counters_;
  History history_;
};

}  // namespace fillwire
