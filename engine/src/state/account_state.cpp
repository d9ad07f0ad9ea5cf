#include "fillwire/account_state.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstddef>
#include <cstring>
#include <iterator>
#include <limits>
#include <stdexcept>

#include "fillwire/control_event.hpp"

namespace fillwire {
namespace {

const AccountConfig& validated(const AccountConfig& c) {
  c.validate();
  return c;
}

// -1, 0, +1: how the event's cumulative progress compares with what the order applied.
int compare_progress(const OrderEvent& e, const Order& o) noexcept {
  if (e.trades_count != o.trades_count) return e.trades_count < o.trades_count ? -1 : 1;
  if (e.executed_volume != o.executed_volume) return e.executed_volume < o.executed_volume ? -1 : 1;
  const double pv = e.has(Field::prevented_volume) ? e.prevented_volume : 0.0;
  if (pv != o.prevented_volume) return pv < o.prevented_volume ? -1 : 1;
  return 0;
}

bool same_progress(const OrderEvent& e, const Order& o) noexcept {
  return compare_progress(e, o) == 0;
}

double positive_delta(double now, double applied) noexcept {
  return now > applied ? now - applied : 0.0;
}

// The time of the fill an event reports: the trade's own time when it has one.
std::int64_t fill_time(const OrderEvent& e) noexcept {
  return e.has(Field::trade_timestamp) ? e.trade_timestamp : e.timestamp;
}

bool numbers_valid(const OrderEvent& e) noexcept {
  // NaN fails every comparison, so `!(x >= 0)` rejects it as well as negatives (and figures_valid()
  // then counts nothing twice: a NaN cumulative figure is plain invalid).
  return e.executed_volume >= 0.0 && e.executed_funds >= 0.0 && e.paid_fee >= 0.0;
}

// The event's numbers the state takes lie together in OrderEvent: 13 doubles, price ..
// prevented_locked, then 3 timestamps (never checked). Read as 4 vectors of 4 lanes.
using Lanes = std::int64_t __attribute__((vector_size(32)));
struct FigureLanes {
  Lanes v[4];
};
static_assert(offsetof(OrderEvent, timestamp) - offsetof(OrderEvent, price) == 15 * sizeof(double),
              "price .. prevented_locked, then trade_timestamp, order_timestamp, timestamp");

constexpr std::int64_t bit(Field f) noexcept {
  return static_cast<std::int64_t>(f);
}
// Per lane, the presence bit that says whether it is checked; kNever (no field has it) for the
// lanes never checked: reserved_fee and remaining_fee (the state does not take them, and an event
// is never refused for a field it ignores) and the timestamps.
constexpr std::int64_t kNever = 31;
static_assert(kFieldCount <= kNever);
constexpr FigureLanes kPresenceBit = {{
    {bit(Field::price), bit(Field::avg_price), bit(Field::volume), bit(Field::remaining_volume)},
    {bit(Field::executed_volume), kNever, kNever, bit(Field::paid_fee)},
    {bit(Field::locked), bit(Field::executed_funds), bit(Field::trade_fee),
     bit(Field::prevented_volume)},
    {bit(Field::prevented_locked), kNever, kNever, kNever},
}};

// Every number the state takes from the event is within +-kInputLimit (false for NaN and
// infinities), without a branch: the bits of |x| order like |x| as integers, NaN and infinities
// above every finite value.
bool figures_valid(const OrderEvent& e) noexcept {
  constexpr std::int64_t kMagnitude = std::numeric_limits<std::int64_t>::max();
  constexpr std::int64_t kLimitBits = std::bit_cast<std::int64_t>(kInputLimit);
  FigureLanes x;
  std::memcpy(&x, &e.price, sizeof x);
  const Lanes present = Lanes{} + static_cast<std::int64_t>(e.present);
  Lanes bad{};
  for (int k = 0; k < 4; ++k) {
    const Lanes over = (x.v[k] & kMagnitude) > kLimitBits;  // -1 where past the limit
    bad |= over & ((present >> kPresenceBit.v[k]) & 1);
  }
  return (bad[0] | bad[1] | bad[2] | bad[3]) == 0;
}

}  // namespace

AccountState::AccountState(const AccountConfig& config)
    : config_(validated(config)),
      orders_(config.open_orders, config.completed_orders),
      markets_(config.markets),
      positions_(std::make_unique<Position[]>(config.markets)),
      stats_(std::make_unique<ExecutionStats[]>(config.markets)),
      windows_(std::make_unique<FillWindow[]>(config.markets)),
      stream_views_(std::make_unique<StreamView[]>(orders_.records())),
      market_currencies_(std::make_unique<MarketCurrencies[]>(config.markets)),
      balances_(config.currencies, config.pending_deltas, config.drifts, config.drift_settle_ms),
      history_(config.history) {
  for (std::size_t m = 0; m < config_.markets; ++m)
    windows_[m] = FillWindow(config_.fill_window);
  window_undo_ = std::make_unique<Fill[]>(windows_[0].capacity() + 2);
  for (const StartingHolding& h : config_.holdings) {
    MarketCode code;
    (void)code.assign(h.market);  // validate() checked the length
    const std::uint16_t m = markets_.intern(code);
    positions_[m].market = code;
    positions_[m].set_starting(h.volume, h.avg_cost,
                               h.avg_cost_net.value_or(h.avg_cost * (1.0 + config_.fee_rate)));
  }
}

std::uint16_t AccountState::market_index(std::string_view code) const noexcept {
  MarketCode c;
  if (!c.assign(code)) return kNoMarket;
  return markets_.find(c);
}

const Balance* AccountState::balance(std::string_view currency) const noexcept {
  CurrencyCode c;
  if (!c.assign(currency)) return nullptr;
  const std::uint16_t i = balances_.find(c);
  return i == BalanceTable::kNoCurrency ? nullptr : &balances_.at(i);
}

const Order* AccountState::find_by_identifier(std::string_view whole) const noexcept {
  if (whole.empty()) return nullptr;
  ClientId key;
  key.assign(whole);  // hashed once; == compares the hash when the identifier is cut
  for (std::size_t i = 0; i < orders_.open_size(); ++i) {
    if (orders_.open(i).identifier == key) return &orders_.open(i);
  }
  for (std::size_t i = 0; i < orders_.completed_size(); ++i) {
    if (orders_.completed(i).identifier == key) return &orders_.completed(i);
  }
  return nullptr;
}

ExecutionStats AccountState::total_stats() const noexcept {
  ExecutionStats total;
  for (std::size_t m = 0; m < markets_.size(); ++m)
    total += stats_[m];
  return total;
}

ApplyOutcome AccountState::apply(const AssetEvent& a) noexcept {
  OrderEvent slot = std::bit_cast<OrderEvent>(a);
  slot.kind = EventKind::asset;
  return apply(slot);
}

ApplyOutcome AccountState::apply(const OrderEvent& e) noexcept {
  ++counters_.events;
  ApplyOutcome& kept = history_.push(e);
  if (e.kind == EventKind::asset) {
    kept = apply_asset(e);
    return kept;
  }
  const ApplyOutcome outcome = decide(e);
  kept = outcome;
  counters_.completed_evictions = orders_.evictions();
  switch (outcome) {
    case ApplyOutcome::applied:
      ++counters_.applied;
      break;
    case ApplyOutcome::duplicate:
      ++counters_.duplicates;
      break;
    case ApplyOutcome::stale:
      ++counters_.stale;
      break;
    case ApplyOutcome::invalid:
      ++counters_.invalid;
      break;
    case ApplyOutcome::not_order:
      ++counters_.not_order;
      if (e.kind == EventKind::control) {
        if (control_code(e) == ControlCode::resync_incomplete) ++counters_.resync_incomplete;
        if (control_code(e) == ControlCode::resync_failed) ++counters_.resync_failed;
      }
      break;
    case ApplyOutcome::table_full:
      ++counters_.table_full;
      break;
    case ApplyOutcome::market_full:
      ++counters_.market_full;
      break;
    case ApplyOutcome::currency_full:
      break;  // asset events only
  }
  // The exchange's time moves on with every order event it sent (a refused number aside). A
  // resync's events carry the client's estimates (the time it asked), not the exchange's.
  if (e.kind == EventKind::order && outcome != ApplyOutcome::invalid) {
    balances_.observe(e.origin == EventOrigin::stream ? e.timestamp : 0, counters_);
  }
  return outcome;
}

ApplyOutcome AccountState::apply_asset(const OrderEvent& slot) noexcept {
  ++counters_.assets;
  const AssetEvent a = asset_of(slot);
  const ApplyOutcome outcome = decide_asset(a);
  switch (outcome) {
    case ApplyOutcome::applied:
      ++counters_.assets_applied;
      break;
    case ApplyOutcome::duplicate:
      ++counters_.asset_duplicates;
      break;
    case ApplyOutcome::stale:
      ++counters_.asset_stale;
      break;
    case ApplyOutcome::currency_full:
      ++counters_.currency_full;
      break;
    default:
      ++counters_.asset_invalid;
      return outcome;
  }
  // A resync's list is the whole account as of its time: what it left out is zero.
  if (a.origin == EventOrigin::resync && a.is_last_in_frame()) {
    balances_.unlisted_are_zero(a.asset_timestamp, counters_);
  }
  balances_.observe(a.origin == EventOrigin::stream ? std::max(a.timestamp, a.asset_timestamp) : 0,
                    counters_);
  return outcome;
}

ApplyOutcome AccountState::decide_asset(const AssetEvent& a) noexcept {
  constexpr std::uint32_t kNeeded =
      asset_field_bit(AssetField::asset_timestamp) | asset_field_bit(AssetField::currency) |
      asset_field_bit(AssetField::balance) | asset_field_bit(AssetField::locked);
  if ((a.present & kNeeded) != kNeeded || a.currency.empty() ||
      a.currency.length > CurrencyCode::kCapacity) {
    return ApplyOutcome::invalid;
  }
  // Within the input limit (false for NaN and infinities), so every sum stays finite.
  if (!(std::abs(a.balance) <= kInputLimit && std::abs(a.locked) <= kInputLimit)) {
    ++counters_.non_finite;
    return ApplyOutcome::invalid;
  }
  // Below zero: shown as reported (the exchange's figure), counted so that someone looks.
  if (a.balance < 0.0 || a.locked < 0.0) ++counters_.negative_balances;
  const std::uint16_t c = balances_.intern(a.currency);
  if (c == BalanceTable::kNoCurrency) return ApplyOutcome::currency_full;
  switch (balances_.report(c, a, counters_)) {
    case BalanceTable::Report::duplicate:
      return ApplyOutcome::duplicate;
    case BalanceTable::Report::stale:
      return ApplyOutcome::stale;
    case BalanceTable::Report::applied:
      break;
  }
  return ApplyOutcome::applied;
}

ApplyOutcome AccountState::decide(const OrderEvent& e) noexcept {
  if (e.kind != EventKind::order) return ApplyOutcome::not_order;
  if ((e.present & kRequiredFields) != kRequiredFields || e.ask_bid == Side::unknown ||
      e.state == OrderState::unknown || !numbers_valid(e)) {
    return ApplyOutcome::invalid;
  }
  if (!figures_valid(e)) return refuse_non_finite();
  Order* found = orders_.find(e.uuid);
  if (found == nullptr) return create(e);
  Order& o = *found;
  if (e.origin != EventOrigin::stream || !o.rest_ahead) return update(o, e);
  implied_ = {};
  const ApplyOutcome outcome = update(o, e);
  if (outcome != ApplyOutcome::invalid) retime(o, e);
  return outcome;
}

ApplyOutcome AccountState::update(Order& o, const OrderEvent& e) noexcept {
  if (o.terminal) return after_terminal(o, e);

  const bool terminal = is_terminal(e.state);
  TradeMark mark = TradeMark::unknown;
  if (e.state == OrderState::trade) {
    mark = peek_trade(o, e);
    if (mark == TradeMark::seen) return ApplyOutcome::duplicate;
  }
  const int cmp = compare_progress(e, o);
  // What can be refused comes first, before anything changes. A trade not seen before, yet
  // already covered by the order's progress, was applied inside a healed gap: put it at its own
  // time.
  if (cmp <= 0 && mark == TradeMark::fresh && !place_late_trade(o, e)) return refuse_non_finite();
  Deltas d;
  if (cmp > 0 || (cmp == 0 && terminal)) {  // the cases that reach advance() below
    d = deltas(o, e);
    if (!stage_fill(o, e, d)) return refuse_non_finite();
  }
  // Per-trade bookkeeping (maker flag, first fill time) happens once per trade, whatever the
  // event's fate for the position.
  if (e.state == OrderState::trade) (void)mark_trade(o, e);
  if (cmp < 0) {
    if (!terminal) return ApplyOutcome::stale;
    // A terminal event carries the order's final figures, so this one contradicts what was applied:
    // close the order (terminal states are absorbing) without taking anything back.
    ++counters_.terminal_regressions;
    imply_balances(o, e, Deltas{}, true);
    o.state = e.state;
    o.final_ts = e.timestamp;
    o.last_ts = std::max(o.last_ts, e.timestamp);
    ++o.events_applied;
    orders_.complete(o);
    record_outcome(o);
    return ApplyOutcome::applied;
  }
  if (cmp == 0 && !terminal) {
    if (e.state == o.state) return ApplyOutcome::duplicate;
    if (e.timestamp <= o.last_ts) return ApplyOutcome::stale;
    // A newer state at the same progress (e.g. watch -> wait): take the state and terms.
    imply_balances(o, e, Deltas{}, false);
    take_terms(o, e);
    o.state = e.state;
    o.last_ts = e.timestamp;
    ++o.events_applied;
    return ApplyOutcome::applied;
  }
  advance(o, e, d);
  if (terminal) {
    o.final_ts = e.timestamp;
    orders_.complete(o);
    record_outcome(o);
  }
  return ApplyOutcome::applied;
}

ApplyOutcome AccountState::create(const OrderEvent& e) noexcept {
  const bool terminal = is_terminal(e.state);
  const std::size_t known = markets_.size();
  const std::uint16_t m = markets_.intern(e.code);
  if (m == kNoMarket) return ApplyOutcome::market_full;
  const bool new_market = markets_.size() != known;
  if (new_market) market_currencies_[m] = {};  // its currencies are looked up at its first delta
  if (!orders_.has_room(terminal)) {
    if (new_market) positions_[m].market = e.code;
    (void)orders_.insert(e.uuid, terminal);  // refused: counted by the table
    return ApplyOutcome::table_full;         // open orders at capacity
  }
  // The fill is staged for the order as it is before its first event; it can be refused, and
  // then neither the order nor a market first seen in it is kept.
  Order fresh{};
  fresh.uuid = e.uuid;
  fresh.market = m;
  fresh.side = e.ask_bid;
  const Deltas d = deltas(fresh, e);
  if (!stage_fill(fresh, e, d)) {
    if (new_market) markets_.forget_newest(m);
    return refuse_non_finite();
  }
  if (new_market) positions_[m].market = e.code;

  Order& o = *orders_.insert(e.uuid, terminal);  // has_room(): never null
  o.rest_ahead = false;
  o.code = e.code;
  o.market = m;
  o.side = e.ask_bid;
  o.order_type = e.order_type;
  o.state = OrderState::unknown;
  o.order_ts = e.has(Field::order_timestamp) ? e.order_timestamp : e.timestamp;
  ++counters_.orders_created;
  // Mid-life: past wait/watch, or a resting order that has already traded (e.g. from a resync).
  const bool resting = e.state == OrderState::wait || e.state == OrderState::watch;
  if (!resting || e.trades_count > 0 || e.executed_volume > 0.0) {
    ++counters_.created_mid_life;
    if (o.order_ts <= orders_.eviction_horizon()) ++counters_.created_behind_eviction;
  }
  if (e.state == OrderState::trade) (void)mark_trade(o, e);
  advance(o, e, d);
  if (terminal) {
    o.final_ts = e.timestamp;
    record_outcome(o);
  }
  return ApplyOutcome::applied;
}

ApplyOutcome AccountState::after_terminal(Order& o, const OrderEvent& e) noexcept {
  if (e.state == OrderState::trade) {
    // A trade never seen before is still counted for its maker flag, once, and put at its time.
    const TradeMark mark = peek_trade(o, e);
    if (mark == TradeMark::fresh && !place_late_trade(o, e)) return refuse_non_finite();
    ++counters_.after_terminal;
    if (mark == TradeMark::seen) return ApplyOutcome::duplicate;
    (void)mark_trade(o, e);
    return ApplyOutcome::stale;
  }
  ++counters_.after_terminal;
  if (e.state == o.state && same_progress(e, o)) return ApplyOutcome::duplicate;
  return ApplyOutcome::stale;
}

AccountState::Deltas AccountState::deltas(const Order& o, const OrderEvent& e) noexcept {
  Deltas d;
  d.volume = positive_delta(e.executed_volume, o.executed_volume);
  d.funds = positive_delta(e.executed_funds, o.executed_funds);
  d.fee = positive_delta(e.paid_fee, o.paid_fee);
  d.prevented_volume =
      positive_delta(e.has(Field::prevented_volume) ? e.prevented_volume : 0.0, o.prevented_volume);
  d.prevented_locked =
      positive_delta(e.has(Field::prevented_locked) ? e.prevented_locked : 0.0, o.prevented_locked);
  return d;
}

ApplyOutcome AccountState::refuse_non_finite() noexcept {
  ++counters_.non_finite;
  return ApplyOutcome::invalid;
}

// What mark_trade() will answer, without marking anything.
AccountState::TradeMark AccountState::peek_trade(const Order& o,
                                                 const OrderEvent& e) const noexcept {
  const std::uint32_t t = e.trades_count;
  if (t == 0) return TradeMark::unknown;
  if (t > o.seen_top) return TradeMark::fresh;
  const std::uint32_t behind = o.seen_top - t;
  if (behind >= 64) return TradeMark::unknown;
  return (o.seen_trades & (std::uint64_t{1} << behind)) != 0 ? TradeMark::seen : TradeMark::fresh;
}

AccountState::TradeMark AccountState::mark_trade(Order& o, const OrderEvent& e) noexcept {
  const std::uint32_t t = e.trades_count;
  if (t == 0) return TradeMark::unknown;  // a trade event always counts itself
  if (t > o.seen_top) {
    const std::uint32_t shift = t - o.seen_top;
    o.seen_trades = shift >= 64 ? 0 : o.seen_trades << shift;
    o.seen_trades |= 1;
    o.seen_top = t;
  } else {
    const std::uint32_t behind = o.seen_top - t;
    if (behind >= 64) {
      ++counters_.old_trades_unknown;
      return TradeMark::unknown;
    }
    const std::uint64_t bit = std::uint64_t{1} << behind;
    if ((o.seen_trades & bit) != 0) return TradeMark::seen;
    o.seen_trades |= bit;
  }
  ExecutionStats& s = stats_[o.market];
  if (e.has(Field::is_maker)) {
    if (e.is_maker != 0) {
      ++s.maker_trades;
    } else {
      ++s.taker_trades;
    }
  }
  if (e.has(Field::trade_timestamp) &&
      (o.first_fill_ts == 0 || e.trade_timestamp < o.first_fill_ts)) {
    o.first_fill_ts = e.trade_timestamp;
  }
  return TradeMark::fresh;
}

bool AccountState::stage_fill(const Order& o, const OrderEvent& e, const Deltas& d) noexcept {
  // No sum can leave kFigureLimit (kInputLimit): only a basis can, checked in add_fill().
  if (d.volume > 0.0 || d.funds > 0.0 || d.fee > 0.0) {
    return add_fill(o, e, d.volume, d.funds, d.fee);
  }
  return true;
}

void AccountState::advance(Order& o, const OrderEvent& e, const Deltas& d) noexcept {
  const std::uint32_t d_trades =
      e.trades_count > o.trades_count ? e.trades_count - o.trades_count : 0;
  const std::uint32_t announced = e.state == OrderState::trade ? 1 : 0;
  if (d_trades > announced) {
    ++counters_.gaps_healed;
    counters_.trades_healed += d_trades - announced;
  }
  ExecutionStats& s = stats_[o.market];
  s.trades += d_trades;
  s.traded_notional += d.funds;
  s.traded_volume += d.volume;
  if (o.first_fill_ts == 0 && e.executed_volume > 0.0) o.first_fill_ts = fill_time(e);

  o.trades_count = std::max(o.trades_count, e.trades_count);
  o.executed_volume = std::max(o.executed_volume, e.executed_volume);
  o.executed_funds = std::max(o.executed_funds, e.executed_funds);
  o.paid_fee = std::max(o.paid_fee, e.paid_fee);

  // Self-match prevention, by the same delta rule.
  const double pv = e.has(Field::prevented_volume) ? e.prevented_volume : 0.0;
  const double pl = e.has(Field::prevented_locked) ? e.prevented_locked : 0.0;
  if (d.prevented_volume > 0.0 || d.prevented_locked > 0.0) {
    SmpStats::PerType& smp = smp_.of(e.has(Field::smp_type) ? e.smp_type : o.smp_type);
    if (o.prevented_volume == 0.0 && o.prevented_locked == 0.0) ++smp.orders;
    smp.prevented_volume += d.prevented_volume;
    smp.prevented_locked += d.prevented_locked;
    o.prevented_volume = std::max(o.prevented_volume, pv);
    o.prevented_locked = std::max(o.prevented_locked, pl);
  }

  imply_balances(o, e, d, is_terminal(e.state));
  take_terms(o, e);
  o.state = e.state;
  o.last_ts = std::max(o.last_ts, e.timestamp);
  ++o.events_applied;
}

bool AccountState::add_fill(const Order& o, const OrderEvent& e, double volume, double funds,
                            double fee) noexcept {
  Position& p = positions_[o.market];
  // Called before the order takes the event's figures: o.trades_count is what was applied.
  const std::uint32_t d_trades =
      e.trades_count > o.trades_count ? e.trades_count - o.trades_count : 0;
  FillHead f;
  f.time = fill_time(e);
  f.order = o.uuid;
  f.trade = e.trades_count;
  f.first_trade = d_trades > 0 ? o.trades_count + 1 : e.trades_count;
  f.side = o.side;
  f.volume = volume;
  f.funds = funds;
  f.fee = fee;
  f.unknown = 0;
  FillWindow& w = windows_[o.market];
  FillHead own;
  bool two = false;
  if (e.state != OrderState::trade) {
    f.unknown = d_trades;  // none of the trades covered announced itself
  } else if (d_trades > 1 && e.has(Field::volume) && e.has(Field::price)) {
    // A trade event that also heals a gap: its own trade (the event's price and volume) at its
    // time, the trades it did not announce as a gap fill just before it.
    own = f;
    own.first_trade = e.trades_count;
    own.volume = std::min(e.volume, volume);
    own.funds = std::min(e.price * e.volume, funds);
    own.fee = std::min(e.has(Field::trade_fee) ? e.trade_fee : 0.0, fee);
    f.trade = e.trades_count - 1;
    f.unknown = d_trades - 1;
    f.volume = volume - own.volume;
    f.funds = funds - own.funds;
    f.fee = fee - own.fee;
    two = true;
  }
  // The window's part first, then the totals (bounded by kInputLimit) and the counters.
  FillWindow::Placed placed[2] = {FillWindow::Placed::in_order, FillWindow::Placed::in_order};
  if (w.in_order(f.key())) {
    // The common case (own, if any, goes right after f): every basis is checked before anything
    // is written, so nothing needs undoing.
    const PositionBasis after = basis_after(p.basis(), f);
    if (!within_limits(after)) return false;
    if (two) {
      const PositionBasis last = basis_after(after, own);
      if (!within_limits(last)) return false;
      w.append(p, f, after);
      w.append(p, own, last);
    } else {
      w.append(p, f, after);
    }
  } else {
    // A late fill moves and replays fills: applied as a group, undone if a basis leaves the limit.
    w.begin(p, window_undo_.get());
    placed[0] = w.add(p, f);
    if (two) placed[1] = w.add(p, own);
    if (!w.figures_ok()) {
      w.rollback(p);
      return false;
    }
    w.end();
  }
  if (o.side == Side::bid) {
    p.count_buy(volume, funds, fee);
  } else {
    p.count_sell(volume, funds, fee);
  }
  // The mark: a trade's own price; trades not announced at their average price.
  if (two) {
    if (f.volume > 0.0) p.mark(f.key(), f.funds / f.volume);
    p.mark(own.key(), e.price);
  } else if (e.state == OrderState::trade && d_trades <= 1 && e.has(Field::price)) {
    p.mark(f.key(), e.price);
  } else if (f.volume > 0.0) {
    p.mark(f.key(), f.funds / f.volume);
  }
  count_placed(placed[0]);
  count_placed(placed[1]);
  return true;
}

bool AccountState::place_late_trade(const Order& o, const OrderEvent& e) noexcept {
  const FillKey key{fill_time(e), o.uuid, e.trades_count};
  const double volume = e.has(Field::volume) ? e.volume : 0.0;
  const double funds = e.has(Field::price) ? e.price * volume : 0.0;
  const double fee = e.has(Field::trade_fee) ? e.trade_fee : 0.0;
  FillWindow& w = windows_[o.market];
  Position& p = positions_[o.market];
  w.begin(p, window_undo_.get());
  const FillWindow::Placed placed = w.split(p, key, volume, funds, fee);
  if (!w.figures_ok()) {
    w.rollback(p);
    return false;
  }
  w.end();
  if (placed == FillWindow::Placed::not_found) {
    // Its gap left the window (or the fill had no window): the trade stays where it was applied.
    ++counters_.fills_out_of_place;
    return true;
  }
  ++counters_.trades_split;
  if (e.has(Field::price)) p.mark(key, e.price);
  count_placed(placed);
  return true;
}

void AccountState::count_placed(FillWindow::Placed placed) noexcept {
  if (placed == FillWindow::Placed::late) {
    ++counters_.fills_late;
  } else if (placed == FillWindow::Placed::out_of_place) {
    ++counters_.fills_out_of_place;
  }
}

void AccountState::take_terms(Order& o, const OrderEvent& e) noexcept {
  if (e.state != OrderState::trade) {
    if (e.has(Field::price)) o.price = e.price;
    if (e.has(Field::volume)) o.volume = e.volume;
  } else if (o.volume == 0.0 && e.has(Field::remaining_volume)) {
    // Only trades seen so far: the order's size is what has executed plus what remains.
    o.volume = e.executed_volume + e.remaining_volume;
  }
  if (e.has(Field::remaining_volume)) o.remaining_volume = e.remaining_volume;
  if (e.has(Field::avg_price)) o.avg_price = e.avg_price;
  if (e.has(Field::locked)) o.locked = e.locked;
  // An order's identifier never changes: copy it once, not on every event.
  if (o.identifier.empty() && e.has(Field::identifier)) o.identifier = e.identifier;
  if (e.has(Field::time_in_force)) o.time_in_force = e.time_in_force;
  if (e.has(Field::smp_type)) o.smp_type = e.smp_type;
  if (e.has(Field::order_timestamp)) o.order_ts = e.order_timestamp;
  if (e.order_type != OrderType::unknown) o.order_type = e.order_type;
}

void AccountState::imply_balances(Order& o, const OrderEvent& e, const Deltas& d,
                                  bool terminal) noexcept {
  double lock = 0.0;
  if (terminal) {
    lock = -o.locked;  // a terminal order releases whatever it still locked
  } else if (e.has(Field::locked)) {
    lock = e.locked - o.locked;
  } else {
    ++counters_.orders_without_locked;
  }
  if (lock == 0.0 && d.volume == 0.0 && d.funds == 0.0 && d.fee == 0.0) return;
  if (o.rest_ahead) implied_ = {d.volume, d.funds, d.fee, lock};  // for retime()
  if (e.origin == EventOrigin::resync) {
    // Called before the order takes the event's figures (advance() has taken the fill's: the
    // figures before it are the current ones less d). Until then its stream events showed these.
    StreamView& v = stream_views_[orders_.record_of(o)];
    if (!o.rest_ahead) {
      v = {o.executed_volume - d.volume,
           o.executed_funds - d.funds,
           o.paid_fee - d.fee,
           o.locked,
           o.last_ts,
           e.timestamp};
      o.rest_ahead = true;
    }
    v.rest_ts = std::max(v.rest_ts, e.timestamp);
  }
  imply_figures(o, d.volume, d.funds, d.fee, lock, e.timestamp, e.origin);
}

void AccountState::imply_figures(const Order& o, double volume, double funds, double fee,
                                 double lock, std::int64_t t, EventOrigin origin) noexcept {
  const MarketCurrencies& mc = currencies_of(o.market);
  if (o.side == Side::bid) {
    imply(mc.quote, -(funds + fee), lock, t, origin);
    imply(mc.base, volume, 0.0, t, origin);
  } else {
    imply(mc.base, -volume, lock, t, origin);
    imply(mc.quote, funds - fee, 0.0, t, origin);
  }
}

void AccountState::retime(Order& o, const OrderEvent& e) noexcept {
  StreamView& v = stream_views_[orders_.record_of(o)];
  if (e.timestamp < v.ts) return;  // older than the stream's view: it shows nothing new
  const bool terminal = is_terminal(e.state);
  const double volume = positive_delta(e.executed_volume, v.volume) - implied_.volume;
  const double funds = positive_delta(e.executed_funds, v.funds) - implied_.funds;
  const double fee = positive_delta(e.paid_fee, v.fee) - implied_.fee;
  double lock = 0.0;
  if (terminal) {
    lock = -v.locked;
  } else if (e.has(Field::locked)) {
    lock = e.locked - v.locked;
  }
  lock -= implied_.locked;
  // What the resync implied that this event shows: taken back at the resync's time, implied at
  // the event's (all zero when the event showed only what it implied itself).
  if (volume > 0.0 || funds > 0.0 || fee > 0.0 || lock != 0.0) {
    ++counters_.deltas_retimed;
    imply_figures(o, -volume, -funds, -fee, -lock, v.rest_ts, EventOrigin::resync);
    imply_figures(o, volume, funds, fee, lock, e.timestamp, EventOrigin::stream);
  }
  v.volume = std::max(v.volume, e.executed_volume);
  v.funds = std::max(v.funds, e.executed_funds);
  v.fee = std::max(v.fee, e.paid_fee);
  if (terminal) {
    v.locked = 0.0;
  } else if (e.has(Field::locked)) {
    v.locked = e.locked;
  }
  v.ts = e.timestamp;
  // Caught up: the stream has shown all the resync did.
  if (v.volume >= o.executed_volume && v.funds >= o.executed_funds && v.fee >= o.paid_fee &&
      v.locked == (o.terminal ? 0.0 : o.locked)) {
    o.rest_ahead = false;
  }
}

void AccountState::imply(std::uint16_t c, double total, double locked, std::int64_t t,
                         EventOrigin origin) noexcept {
  if (total == 0.0 && locked == 0.0) return;
  if (c == BalanceTable::kNoCurrency) {
    ++counters_.deltas_unassigned;
    return;
  }
  balances_.imply(c, total, locked, t, origin, counters_);
}

const AccountState::MarketCurrencies& AccountState::currencies_of(std::uint16_t m) noexcept {
  MarketCurrencies& mc = market_currencies_[m];
  if (mc.resolved) return mc;
  mc = {BalanceTable::kNoCurrency, BalanceTable::kNoCurrency, true};
  // An Upbit market code is QUOTE-BASE ("KRW-BTC": quote KRW, base BTC).
  const std::string_view code = markets_.code(m).view();
  const std::size_t dash = code.find('-');
  if (dash == std::string_view::npos || dash == 0 || dash + 1 == code.size()) return mc;
  CurrencyCode quote;
  CurrencyCode base;
  (void)quote.assign(code.substr(0, dash));  // shorter than the market code: always fits
  (void)base.assign(code.substr(dash + 1));
  mc.quote = balances_.intern(quote);
  mc.base = balances_.intern(base);
  return mc;
}

void AccountState::record_outcome(const Order& o) noexcept {
  ExecutionStats& s = stats_[o.market];
  ++s.completed;
  const bool filled = o.executed_volume > 0.0;
  switch (o.state) {
    case OrderState::done:
      ++s.done_full;
      break;
    case OrderState::cancel:
      if (!filled) {
        ++s.cancelled;
      } else if (o.order_type == OrderType::price) {
        ++s.done_full;  // market buy by amount: the refunded dust is cancelled (see header)
      } else {
        ++s.done_partial;
      }
      break;
    case OrderState::prevented:
      ++s.prevented;
      if (filled) ++s.prevented_partial;
      ++smp_.of(o.smp_type).prevented_orders;
      break;
    default:
      break;  // unreachable: only terminal orders are recorded
  }
  // Times come from the wire: a difference or sum that would overflow is not taken as a sample.
  std::int64_t to_final = 0;
  std::int64_t to_fill = 0;
  std::int64_t sum = 0;
  if (o.order_ts > 0) {
    if (!__builtin_sub_overflow(o.final_ts, o.order_ts, &to_final) && to_final >= 0 &&
        !__builtin_add_overflow(s.final_ms_sum, to_final, &sum)) {
      ++s.final_samples;
      s.final_ms_sum = sum;
      s.final_ms_max = std::max(s.final_ms_max, to_final);
    }
    if (o.first_fill_ts > 0 && !__builtin_sub_overflow(o.first_fill_ts, o.order_ts, &to_fill) &&
        to_fill >= 0 && !__builtin_add_overflow(s.first_fill_ms_sum, to_fill, &sum)) {
      ++s.first_fill_samples;
      s.first_fill_ms_sum = sum;
      s.first_fill_ms_max = std::max(s.first_fill_ms_max, to_fill);
    }
  }
}

}  // namespace fillwire
