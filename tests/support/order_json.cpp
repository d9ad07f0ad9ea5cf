#include "order_json.hpp"

#include <algorithm>
#include <charconv>
#include <stdexcept>

#include <nlohmann/json.hpp>

#include "order_lifecycle.hpp"
#include "rest.hpp"

namespace fillwire::test {
namespace {

using J = nlohmann::ordered_json;

Uuid parse_uuid(std::string_view text) {
  Uuid u;
  if (!Uuid::parse(text, u)) throw std::invalid_argument("not a UUID: " + std::string(text));
  return u;
}

std::string uuid_text(const Uuid& u) {
  std::string s(Uuid::kTextSize, '\0');
  u.format(s.data());
  return s;
}

// Shortest fixed-point text that reads back to the same double ("0.4", "100000000").
std::string decimal(double v) {
  char buf[400];
  const auto r = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::fixed);
  return std::string(buf, r.ptr);
}

J decimal_or_null(const OrderEvent& e, Field f, double v) {
  return e.has(f) ? J(decimal(v)) : J(nullptr);
}

J order_object(const OrderEvent& e) {
  J j;
  j["uuid"] = uuid_text(e.uuid);
  j["side"] = e.ask_bid == Side::bid ? "bid" : "ask";
  j["ord_type"] = std::string(to_string(e.order_type));
  j["price"] = decimal_or_null(e, Field::price, e.price);
  // REST has no trade state: a fill leaves the order resting.
  j["state"] = std::string(to_string(e.state == OrderState::trade ? OrderState::wait : e.state));
  j["market"] = std::string(e.code.view());
  j["created_at"] = sim::iso_kst(e.order_timestamp);
  // A trade event's volume is the fill's: the order's is what is left plus what was taken.
  const double volume = e.state == OrderState::trade
                            ? e.remaining_volume + e.executed_volume + e.prevented_volume
                            : e.volume;
  j["volume"] = decimal_or_null(e, Field::volume, volume);
  j["remaining_volume"] = decimal_or_null(e, Field::remaining_volume, e.remaining_volume);
  j["reserved_fee"] = decimal(e.reserved_fee);
  j["remaining_fee"] = decimal(e.remaining_fee);
  j["paid_fee"] = decimal(e.paid_fee);
  j["locked"] = decimal(e.locked);
  j["executed_volume"] = decimal(e.executed_volume);
  j["executed_funds"] = decimal(e.executed_funds);
  j["trades_count"] = e.trades_count;
  j["time_in_force"] = e.has(Field::time_in_force) && e.time_in_force != TimeInForce::unknown
                           ? J(std::string(to_string(e.time_in_force)))
                           : J(nullptr);
  j["identifier"] = e.has(Field::identifier) ? J(std::string(e.identifier.view())) : J(nullptr);
  j["smp_type"] = e.has(Field::smp_type) && e.smp_type != SmpType::unknown
                      ? J(std::string(to_string(e.smp_type)))
                      : J(nullptr);
  j["prevented_volume"] = decimal(e.prevented_volume);
  j["prevented_locked"] = decimal(e.prevented_locked);
  return j;
}

}  // namespace

OrderEvent order_event(const OrderSpec& s) {
  LifecycleSpec life;
  life.market = s.market;
  life.side = s.side;
  life.t0 = s.order_timestamp;
  OrderEvent e = base_event(life, parse_uuid(s.uuid), s.price, s.volume);
  const bool final = is_terminal(s.state);
  e.state = s.state;
  e.timestamp = s.timestamp;
  e.executed_volume = s.executed_volume;
  e.executed_funds = s.executed_volume * s.price;
  e.trades_count = s.trades_count != 0 ? s.trades_count : (s.executed_volume > 0.0 ? 1 : 0);
  e.avg_price = s.executed_volume > 0.0 ? s.price : 0.0;
  e.reserved_fee = s.side == Side::bid ? s.price * s.volume * s.fee_rate : 0.0;
  e.paid_fee = e.executed_funds * s.fee_rate;
  e.remaining_volume = s.volume - s.executed_volume;
  e.remaining_fee = final ? 0.0 : std::max(0.0, e.reserved_fee - e.paid_fee);
  e.locked = final                 ? 0.0
             : s.side == Side::bid ? e.remaining_volume * s.price + e.remaining_fee
                                   : e.remaining_volume;
  e.present |= field_bit(Field::reserved_fee) | field_bit(Field::remaining_fee);
  if (s.state == OrderState::trade) {
    e.volume = s.trade_volume > 0.0 ? s.trade_volume : s.executed_volume;
    e.trade_fee = e.volume * s.price * s.fee_rate;
    e.is_maker = 1;
    e.trade_uuid = parse_uuid(s.trade_uuid);
    e.trade_timestamp = s.timestamp;
    e.present |= field_bit(Field::trade_fee) | field_bit(Field::is_maker) |
                 field_bit(Field::trade_uuid) | field_bit(Field::trade_timestamp);
  }
  return e;
}

std::string rest_order(const OrderEvent& order, std::span<const OrderEvent> trades) {
  J j = order_object(order);
  J list = J::array();
  for (const OrderEvent& t : trades) {
    list.push_back({{"market", std::string(t.code.view())},
                    {"uuid", uuid_text(t.trade_uuid)},
                    {"price", decimal(t.price)},
                    {"volume", decimal(t.volume)},
                    {"funds", decimal(t.price * t.volume)},
                    {"trend", nullptr},
                    {"created_at", sim::iso_kst_ms(t.trade_timestamp)},
                    {"side", t.ask_bid == Side::bid ? "bid" : "ask"}});
  }
  j["trades"] = std::move(list);
  return j.dump();
}

std::string rest_order(const OrderEvent& order) {
  return order_object(order).dump();
}

std::string rest_orders(std::span<const OrderEvent> orders) {
  J list = J::array();
  for (const OrderEvent& e : orders)
    list.push_back(order_object(e));
  return list.dump();
}

}  // namespace fillwire::test
