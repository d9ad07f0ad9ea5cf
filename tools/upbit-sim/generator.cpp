#include "generator.hpp"

#include <algorithm>
#include <string>

namespace fillwire::sim {
namespace {

Fx align_to_tick(Fx price) noexcept {
  const Fx tick = krw_tick(price);
  return price / tick * tick;
}

Fx percent(Fx v, std::int64_t pct) noexcept {
  return std::max<Fx>(1, v * pct / 100);
}

}  // namespace

Generator::Generator(const GeneratorConfig& config)
    : config_(config), rng_(config.seed), now_ms_(config.epoch_ms) {
  for (std::size_t i = 0; i < kMarketCount; ++i)
    mid_[i] = kMarkets[i].start_price;
  resting_.reserve(config_.max_resting + 4);
}

const Emission& Generator::next() {
  // The previous event stays at the front until now, so it is returned without a copy (deque
  // references survive push_back).
  if (handed_out_) pending_.pop_front();
  while (pending_.empty())
    step();
  handed_out_ = true;
  ++stats_.events;
  return pending_.front();
}

void Generator::step() {
  ++stats_.steps;
  // Drawn either way: the same seed, the same flow. Real time moves 1 ms a step (the owner syncs
  // it to the wall clock): times stay strictly increasing, as fills in trade-time order need.
  const auto step_ms = rng_.between(1, 20);
  now_ms_ += config_.real_time ? 1 : step_ms;
  walk_prices();
  const std::uint64_t r = rng_.below(100);
  if (resting_.size() >= config_.max_resting) {
    if (r < 60)
      fill_resting();
    else
      cancel_resting();
    return;
  }
  // The flow's mix: an action takes the draws under its bound and over the previous one's.
  struct Share {
    std::uint64_t below;
    void (*act)(Generator&);
  };
  static constexpr Share kMix[] = {
      {22, [](Generator& g) { g.place_resting(false); }},
      {50, [](Generator& g) { g.fill_resting(); }},
      {56, [](Generator& g) { g.cancel_resting(); }},
      {63, [](Generator& g) { g.place_crossing_limit(); }},
      {69, [](Generator& g) { g.place_market_buy(); }},
      {75, [](Generator& g) { g.place_market_sell(); }},
      {80, [](Generator& g) { g.place_best(); }},
      {85, [](Generator& g) { g.place_resting(true); }},
      {89, [](Generator& g) { g.place_conditional(); }},
      {94, [](Generator& g) { g.place_smp(); }},
      {100, [](Generator& g) { g.fill_resting(); }},
  };
  for (const Share& share : kMix) {
    if (r < share.below) {
      share.act(*this);
      return;
    }
  }
}

void Generator::walk_prices() {
  for (std::size_t i = 0; i < kMarketCount; ++i) {
    if (!rng_.chance(0.3)) continue;
    const Fx tick = krw_tick(mid_[i]);
    const Fx next = mid_[i] + tick * rng_.between(-2, 2);
    const Fx start = kMarkets[i].start_price;
    if (next > start / 2 && next < start * 2) mid_[i] = align_to_tick(next);
  }
}

// ---------------------------------------------------------------------------------------------
// Helpers

OrderCore Generator::new_order(std::size_t market, Side side, OrderType type, TimeInForce tif) {
  OrderCore o;
  o.uuid = rng_.uuid();
  o.market = static_cast<std::uint8_t>(market);
  o.side = side;
  o.type = type;
  o.tif = tif;
  o.state = OrderState::wait;
  o.created_ms = now_ms_;
  o.updated_ms = now_ms_;
  ++stats_.orders;
  if (rng_.chance(0.4)) {
    (void)o.identifier.assign("sim-" + std::to_string(config_.seed) + "-" +
                              std::to_string(stats_.orders));
  }
  return o;
}

Fx Generator::random_notional() {
  // Integer draws only (no libm), so a seed means the same flow everywhere.
  const std::int64_t krw =
      rng_.chance(0.6) ? rng_.between(5'000, 50'000) : rng_.between(50'000, 2'000'000);
  return fx_from_int(krw);
}

Fx Generator::volume_for(std::size_t /*market*/, Fx price, Fx notional) const {
  return fx_div_floor(notional, price) + 1;  // rounded up: at least the notional
}

Fx Generator::ask_volume(std::size_t market, Fx wanted) const {
  return std::min(wanted, free_base_[market]);
}

void Generator::reserve(OrderCore& o) {
  if (o.side == Side::bid) {
    const Fx notional = o.amount_based() ? o.price : fx_mul(o.price, o.volume);
    o.reserved_fee = fx_rate(notional, kFeeNum, kFeeDen);
    o.remaining_fee = o.reserved_fee;
    o.locked = notional + o.reserved_fee;
  } else {
    o.locked = o.remaining;
    free_base_[o.market] -= o.remaining;
  }
}

void Generator::refresh_locked(OrderCore& o) {
  o.remaining_fee = std::max<Fx>(0, o.reserved_fee - o.paid_fee - o.prevented_fee);
  if (o.side == Side::ask) {
    o.locked = o.remaining;
  } else if (o.amount_based()) {
    o.locked = std::max<Fx>(0, o.price - o.funds) + o.remaining_fee;
  } else {
    o.locked = fx_mul(o.price, o.remaining) + o.remaining_fee;
  }
}

void Generator::apply_trade(OrderCore& o, Fx price, Fx volume, bool maker) {
  TradeRecord t;
  t.uuid = rng_.uuid();
  t.price = price;
  t.volume = volume;
  t.funds = fx_mul(price, volume);
  t.fee = fx_rate(t.funds, kFeeNum, kFeeDen);
  t.timestamp = now_ms_;
  t.maker = maker;
  o.executed += volume;
  if (o.has_volume) o.remaining -= volume;
  o.funds += t.funds;
  o.paid_fee += t.fee;
  ++o.trades_count;
  o.updated_ms = now_ms_;
  if (o.side == Side::bid) free_base_[o.market] += volume;
  refresh_locked(o);
  emit(o, OrderState::trade, &t);
}

void Generator::finish(OrderCore& o, OrderState final_state) {
  if (o.side == Side::ask) free_base_[o.market] += o.remaining;  // unfilled volume unlocked
  o.state = final_state;
  o.remaining_fee = 0;
  o.locked = 0;
  o.updated_ms = now_ms_;
  emit(o, final_state);
}

void Generator::prevent(OrderCore& o, Fx volume) {
  Fx fee_part = 0;
  Fx locked_part = volume;
  if (volume >= o.remaining) {
    // The last of the order: everything still locked is released.
    volume = o.remaining;
    fee_part = o.remaining_fee;
    locked_part = o.locked;
  } else if (o.side == Side::bid) {
    const Fx notional = fx_mul(o.price, volume);
    fee_part = std::min(o.remaining_fee, fx_rate(notional, kFeeNum, kFeeDen));
    locked_part = notional + fee_part;
  }
  if (o.side == Side::ask) free_base_[o.market] += volume;
  o.prevented_volume += volume;
  o.prevented_locked += locked_part;
  o.prevented_fee += fee_part;
  o.remaining -= volume;
  o.updated_ms = now_ms_;
  if (o.remaining == 0) {
    o.state = OrderState::prevented;
    o.remaining_fee = 0;
    o.locked = 0;
  } else {
    refresh_locked(o);
  }
}

void Generator::emit(const OrderCore& o, OrderState state, const TradeRecord* trade) {
  Emission& em = pending_.emplace_back();
  em.event = make_event(o, state, trade, now_ms_);
  em.order = o;
  em.has_trade = trade != nullptr;
  if (trade) em.trade = *trade;
}

void Generator::rest(const OrderCore& o) {
  resting_.push_back(o);
}

void Generator::unrest(std::size_t slot) {
  resting_[slot] = resting_.back();
  resting_.pop_back();
}

std::vector<Generator::Level> Generator::opposite_levels(std::size_t market, Side taker_side,
                                                         std::size_t count) {
  std::vector<Level> levels;
  const Fx tick = krw_tick(mid_[market]);
  Fx p = taker_side == Side::bid ? mid_[market] + tick : mid_[market] - tick;
  for (std::size_t i = 0; i < count; ++i) {
    levels.push_back({p, 0});
    p = align_to_tick(taker_side == Side::bid ? p + krw_tick(p) : p - krw_tick(p));
  }
  return levels;
}

// ---------------------------------------------------------------------------------------------
// Actions

void Generator::place_resting(bool post_only) {
  const std::size_t m = rng_.below(kMarketCount);
  const Fx notional = random_notional();
  Side side = rng_.chance(0.5) ? Side::ask : Side::bid;
  const Fx tick = krw_tick(mid_[m]);
  const std::int64_t k = rng_.between(1, 15);
  // A post_only order sometimes lands on the wrong side of the book: it would take, so it is
  // cancelled on arrival without trading.
  const bool would_take = post_only && rng_.chance(0.4);
  auto price_for = [&](Side s) {
    const bool below = (s == Side::bid) != would_take;
    return align_to_tick(below ? mid_[m] - k * tick : mid_[m] + k * tick);
  };
  Fx price = price_for(side);
  Fx volume = volume_for(m, price, notional);
  if (side == Side::ask) {
    volume = ask_volume(m, volume);
    if (fx_mul(price, volume) < kMinOrderKrw) {
      side = Side::bid;
      price = price_for(side);
      volume = volume_for(m, price, notional);
    }
  }
  OrderCore o = new_order(m, side, OrderType::limit,
                          post_only ? TimeInForce::post_only : TimeInForce::unknown);
  o.price = price;
  o.volume = volume;
  o.remaining = volume;
  reserve(o);
  if (would_take) {
    finish(o, OrderState::cancel);
    return;
  }
  emit(o, OrderState::wait);
  rest(o);
}

void Generator::place_conditional() {
  const std::size_t m = rng_.below(kMarketCount);
  const Fx tick = krw_tick(mid_[m]);
  const Fx price = align_to_tick(mid_[m] - rng_.between(1, 10) * tick);
  OrderCore o = new_order(m, Side::bid, OrderType::limit, TimeInForce::unknown);
  o.price = price;
  o.volume = volume_for(m, price, random_notional());
  o.remaining = o.volume;
  o.state = OrderState::watch;
  reserve(o);
  emit(o, OrderState::watch);
  rest(o);
}

void Generator::place_crossing_limit() {
  const std::size_t m = rng_.below(kMarketCount);
  const Fx notional = random_notional();
  Side side = rng_.chance(0.5) ? Side::ask : Side::bid;
  const Fx tick = krw_tick(mid_[m]);
  Fx volume = volume_for(m, mid_[m], notional);
  if (side == Side::ask) {
    volume = ask_volume(m, volume);
    if (fx_mul(mid_[m], volume) < kMinOrderKrw) {
      side = Side::bid;
      volume = volume_for(m, mid_[m], notional);
    }
  }
  const std::uint64_t t = rng_.below(100);
  const TimeInForce tif = t < 70   ? TimeInForce::unknown
                          : t < 85 ? TimeInForce::ioc
                                   : TimeInForce::fok;
  const std::int64_t reach = rng_.between(0, 3);
  const Fx price = align_to_tick(side == Side::bid ? mid_[m] + (1 + reach) * tick
                                                   : mid_[m] - (1 + reach) * tick);
  OrderCore o = new_order(m, side, OrderType::limit, tif);
  o.price = price;
  o.volume = volume;
  o.remaining = volume;
  reserve(o);

  auto levels = opposite_levels(m, side, 3);
  Fx fillable = 0;
  for (auto& l : levels) {
    const bool within = side == Side::bid ? l.price <= price : l.price >= price;
    l.volume = within ? percent(volume, rng_.between(20, 90)) : 0;
    fillable += l.volume;
  }
  if (tif == TimeInForce::fok && fillable < volume) {
    finish(o, OrderState::cancel);
    return;
  }
  if (tif == TimeInForce::unknown) emit(o, OrderState::wait);
  for (const auto& l : levels) {
    if (o.remaining == 0 || l.volume == 0) continue;
    apply_trade(o, l.price, std::min(l.volume, o.remaining), false);
  }
  if (o.remaining == 0)
    finish(o, OrderState::done);
  else if (tif != TimeInForce::unknown)
    finish(o, OrderState::cancel);
  else
    rest(o);
}

void Generator::place_market_buy() {
  const std::size_t m = rng_.below(kMarketCount);
  OrderCore o = new_order(m, Side::bid, OrderType::price, TimeInForce::unknown);
  o.has_volume = false;
  o.price = random_notional();
  reserve(o);
  const auto levels = opposite_levels(m, Side::bid, static_cast<std::size_t>(rng_.between(1, 3)));
  const Fx want = fx_div_floor(o.price, levels.front().price);
  for (std::size_t i = 0; i < levels.size(); ++i) {
    const Fx spend = o.price - o.funds;
    Fx v = fx_div_floor(spend, levels[i].price);
    if (i + 1 < levels.size()) v = std::min(v, percent(want, rng_.between(20, 60)));
    if (v <= 0) break;
    apply_trade(o, levels[i].price, v, false);
  }
  // The unspent remainder (less than one volume unit's worth) is refunded: Upbit reports `cancel`.
  finish(o, o.price == o.funds ? OrderState::done : OrderState::cancel);
}

void Generator::place_market_sell() {
  std::size_t m = rng_.below(kMarketCount);
  Fx volume = ask_volume(m, volume_for(m, mid_[m], random_notional()));
  if (fx_mul(mid_[m], volume) < kMinOrderKrw) {
    place_market_buy();
    return;
  }
  OrderCore o = new_order(m, Side::ask, OrderType::market, TimeInForce::unknown);
  o.volume = volume;
  o.remaining = volume;
  reserve(o);
  const auto levels = opposite_levels(m, Side::ask, static_cast<std::size_t>(rng_.between(1, 3)));
  for (std::size_t i = 0; i < levels.size() && o.remaining > 0; ++i) {
    const Fx v = i + 1 < levels.size()
                     ? std::min(o.remaining, percent(volume, rng_.between(20, 60)))
                     : o.remaining;
    apply_trade(o, levels[i].price, v, false);
  }
  finish(o, OrderState::done);
}

void Generator::place_best() {
  const std::size_t m = rng_.below(kMarketCount);
  const TimeInForce tif = rng_.chance(0.5) ? TimeInForce::ioc : TimeInForce::fok;
  const Fx notional = random_notional();
  Side side = rng_.chance(0.5) ? Side::ask : Side::bid;
  Fx ask_vol = ask_volume(m, volume_for(m, mid_[m], notional));
  if (side == Side::ask && fx_mul(mid_[m], ask_vol) < kMinOrderKrw) side = Side::bid;
  const Level best = opposite_levels(m, side, 1).front();
  OrderCore o = new_order(m, side, OrderType::best, tif);
  Fx wanted = 0;
  if (side == Side::bid) {
    o.has_volume = false;
    o.price = notional;
    wanted = fx_div_floor(notional, best.price);
  } else {
    o.volume = ask_vol;
    o.remaining = ask_vol;
    wanted = ask_vol;
  }
  reserve(o);
  const Fx available = percent(wanted, rng_.between(30, 150));
  if (tif == TimeInForce::fok && available < wanted) {
    finish(o, OrderState::cancel);
    return;
  }
  const Fx v = std::min(available, wanted);
  if (v > 0) apply_trade(o, best.price, v, false);
  const bool complete = side == Side::bid ? o.price == o.funds : o.remaining == 0;
  finish(o, complete ? OrderState::done : OrderState::cancel);
}

void Generator::fill_resting() {
  if (resting_.empty()) {
    place_resting(false);
    return;
  }
  const std::size_t slot = rng_.below(resting_.size());
  if (resting_[slot].state == OrderState::watch) {
    trigger_watch(slot);
    return;
  }
  OrderCore& o = resting_[slot];
  const Fx v = rng_.chance(0.5) ? o.remaining
                                : std::min(o.remaining, percent(o.remaining, rng_.between(20, 80)));
  apply_trade(o, o.price, v, true);
  if (o.remaining == 0) {
    finish(o, OrderState::done);
    unrest(slot);
  }
}

void Generator::cancel_resting() {
  if (resting_.empty()) {
    place_resting(false);
    return;
  }
  const std::size_t slot = rng_.below(resting_.size());
  finish(resting_[slot], OrderState::cancel);
  unrest(slot);
}

void Generator::trigger_watch(std::size_t slot) {
  OrderCore& o = resting_[slot];
  o.state = OrderState::wait;
  o.updated_ms = now_ms_;
  emit(o, OrderState::wait);
}

void Generator::place_smp() {
  if (resting_.empty()) {
    place_resting(false);
    return;
  }
  const std::size_t slot = rng_.below(resting_.size());
  if (resting_[slot].state != OrderState::wait) {
    trigger_watch(slot);
    return;
  }
  const OrderCore maker = resting_[slot];
  const Side side = maker.side == Side::bid ? Side::ask : Side::bid;
  Fx volume = percent(maker.remaining, rng_.between(30, 150));
  if (side == Side::ask) volume = ask_volume(maker.market, volume);
  if (volume <= 0) {
    place_resting(false);
    return;
  }
  const auto mode = static_cast<SmpType>(rng_.between(1, 3));
  OrderCore taker = new_order(maker.market, side, OrderType::limit, TimeInForce::unknown);
  taker.smp = mode;
  taker.price = maker.price;
  taker.volume = volume;
  taker.remaining = volume;
  reserve(taker);

  if (mode == SmpType::cancel_taker) {
    prevent(taker, taker.remaining);
    emit(taker, OrderState::prevented);
    return;
  }
  if (mode == SmpType::cancel_maker) {
    emit(taker, OrderState::wait);
    OrderCore& m = resting_[slot];
    m.smp = SmpType::cancel_maker;
    prevent(m, m.remaining);
    emit(m, OrderState::prevented);
    unrest(slot);
    rest(taker);
    return;
  }
  // reduce: both lose the overlap.
  const Fx overlap = std::min(taker.remaining, maker.remaining);
  prevent(taker, overlap);
  emit(taker, taker.state);
  OrderCore& m = resting_[slot];
  m.smp = SmpType::reduce;
  prevent(m, overlap);
  emit(m, m.state);
  if (m.remaining == 0) unrest(slot);
  if (taker.remaining > 0) rest(taker);
}

}  // namespace fillwire::sim
