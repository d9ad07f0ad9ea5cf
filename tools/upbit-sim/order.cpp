#include "order.hpp"

#include <cstring>

#include "market.hpp"

namespace fillwire::sim {

OrderEvent make_event(const OrderCore& o, OrderState state, const TradeRecord* trade,
                      std::int64_t now_ms) {
  OrderEvent e;
  std::memset(&e, 0, sizeof e);
  e.kind = EventKind::order;
  e.origin = EventOrigin::stream;
  e.type_known = 1;
  std::uint32_t present = kRequiredFields;
  auto set = [&present](Field f) { present |= field_bit(f); };

  (void)e.code.assign(kMarkets[o.market].code);
  e.uuid = o.uuid;
  e.ask_bid = o.side;
  e.order_type = o.type;
  e.state = state;
  if (trade) {
    e.trade_uuid = trade->uuid;
    e.price = fx_to_double(trade->price);
    e.volume = fx_to_double(trade->volume);
    e.trade_fee = fx_to_double(trade->fee);
    e.is_maker = trade->maker ? 1 : 0;
    e.trade_timestamp = trade->timestamp;
    set(Field::trade_uuid);
    set(Field::price);
    set(Field::volume);
    set(Field::trade_fee);
    set(Field::is_maker);
    set(Field::trade_timestamp);
  } else {
    if (o.has_price()) {
      e.price = fx_to_double(o.price);
      set(Field::price);
    }
    if (o.has_volume) {
      e.volume = fx_to_double(o.volume);
      set(Field::volume);
    }
  }
  e.avg_price = o.executed > 0 ? fx_to_double(fx_div_floor(o.funds, o.executed)) : 0.0;
  set(Field::avg_price);
  if (o.has_volume) {
    e.remaining_volume = fx_to_double(o.remaining);
    set(Field::remaining_volume);
  }
  e.executed_volume = fx_to_double(o.executed);
  e.trades_count = o.trades_count;
  e.reserved_fee = fx_to_double(o.reserved_fee);
  e.remaining_fee = fx_to_double(o.remaining_fee);
  e.paid_fee = fx_to_double(o.paid_fee);
  e.locked = fx_to_double(o.locked);
  e.executed_funds = fx_to_double(o.funds);
  set(Field::reserved_fee);
  set(Field::remaining_fee);
  set(Field::locked);
  if (o.tif != TimeInForce::unknown) {
    e.time_in_force = o.tif;
    set(Field::time_in_force);
  }
  if (!o.identifier.empty()) {
    e.identifier = o.identifier;
    set(Field::identifier);
  }
  if (o.smp != SmpType::unknown) {
    e.smp_type = o.smp;
    set(Field::smp_type);
  }
  e.prevented_volume = fx_to_double(o.prevented_volume);
  e.prevented_locked = fx_to_double(o.prevented_locked);
  set(Field::prevented_volume);
  set(Field::prevented_locked);
  e.order_timestamp = o.created_ms;
  e.timestamp = now_ms;
  e.stream_type = StreamType::realtime;
  set(Field::order_timestamp);
  set(Field::stream_type);
  set(Field::type);
  e.present = present;
  return e;
}

}  // namespace fillwire::sim
