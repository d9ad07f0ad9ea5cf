#include "simulation.hpp"

#include <algorithm>

namespace fillwire::sim {

void Simulation::note_order_assets(const Emission& e) {
  order_assets_.count = 0;
  for (const std::size_t c : {kKrw, currency_of_market(e.order.market)}) {
    const Balance b = balance(c);
    if (b == truth_.reported(c).balance) continue;
    order_assets_.items[order_assets_.count++] = {static_cast<std::uint8_t>(c), b};
  }
  if (order_assets_.count == 0) return;
  // The frame's id is derived from the event's position, so runs stay reproducible.
  Rng rng(events_ * 0x9E3779B97F4A7C15ull ^ 0xA55E7ull);
  order_assets_.asset_uuid = rng.uuid();
  order_assets_.timestamp_ms = e.event.timestamp;
  truth_.report(order_assets_);
}

const ExternalMove* Simulation::external_move() {
  // One draw per finished step: every event of the step is in the balances the movement's frame
  // shows, and none of a later step (their times are later).
  if (moves_.prob <= 0 || events_ == 0 || !generator_.step_complete()) return nullptr;
  if (!move_rng_.chance(moves_.prob)) return nullptr;
  const auto currency = static_cast<std::size_t>(move_rng_.below(kCurrencyCount));
  const bool withdraw = move_rng_.chance(0.5);
  // Worth 10,000 to 5,000,000 KRW: whole KRW, or the base volume at the market's mid price.
  const Fx krw = fx_from_int(move_rng_.between(10'000, 5'000'000));
  Fx amount =
      currency == kKrw ? krw : std::max<Fx>(1, fx_div_floor(krw, generator_.mid(currency - 1)));
  if (withdraw) {
    const I128 external = truth_.deposited(currency) - truth_.withdrawn(currency);
    const I128 room = std::min(external, balance(currency).available);
    if (room > 0) amount = -static_cast<Fx>(std::min<I128>(amount, room));
  }
  ++move_.number;
  move_.currency = static_cast<std::uint8_t>(currency);
  move_.amount = amount;
  move_.timestamp_ms = generator_.now_ms();
  move_.asset_uuid = move_rng_.uuid();
  move_.after_event = events_;
  truth_.apply_move(move_);
  move_assets_.asset_uuid = move_.asset_uuid;
  move_assets_.timestamp_ms = move_.timestamp_ms;
  move_assets_.items[0] = {move_.currency, balance(currency)};
  move_assets_.count = 1;
  truth_.report(move_assets_);
  return &move_;
}

}  // namespace fillwire::sim
