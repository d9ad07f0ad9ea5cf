#pragma once
// Test helpers: resync events as the REST resync makes them (rest_orders.cpp), for the journal's
// resync_event records and their replay.

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "fillwire/detail/journal_event.hpp"
#include "fillwire/order_event.hpp"

namespace fillwire::test {

// A 60-byte client identifier: over ClientId's 45 bytes, so an event keeps it cut and hashed.
inline constexpr std::string_view kLongIdentifier =
    "grid-bot/KRW-BTC/2024-06-01T09:00:00Z/level-17/rebalance-001";
static_assert(kLongIdentifier.size() == 60);

// An open limit bid from a resync: the fields a REST order carries, origin `resync`. `tag` makes
// the uuid (and the order) distinct.
inline OrderEvent resync_order(std::string_view identifier, std::uint8_t tag = 1,
                               OrderState state = OrderState::wait) {
  OrderEvent e;
  std::memset(static_cast<void*>(&e), 0, sizeof e);
  e.kind = EventKind::order;
  e.origin = EventOrigin::resync;
  e.type_known = 1;
  (void)e.code.assign("KRW-BTC");
  for (std::size_t i = 0; i < e.uuid.bytes.size(); ++i)
    e.uuid.bytes[i] = static_cast<std::uint8_t>(tag * 16 + i);
  e.ask_bid = Side::bid;
  e.order_type = OrderType::limit;
  e.state = state;
  e.price = 100000000.0;
  e.volume = 0.5;
  e.remaining_volume = 0.5;
  e.reserved_fee = 25000.0;
  e.remaining_fee = 25000.0;
  e.locked = 50025000.0;
  e.order_timestamp = 1717232400000;
  e.timestamp = 1717232400500;
  e.present = field_bit(Field::type) | field_bit(Field::code) | field_bit(Field::uuid) |
              field_bit(Field::ask_bid) | field_bit(Field::order_type) | field_bit(Field::state) |
              field_bit(Field::price) | field_bit(Field::volume) |
              field_bit(Field::remaining_volume) | field_bit(Field::executed_volume) |
              field_bit(Field::trades_count) | field_bit(Field::reserved_fee) |
              field_bit(Field::remaining_fee) | field_bit(Field::paid_fee) |
              field_bit(Field::locked) | field_bit(Field::executed_funds) |
              field_bit(Field::order_timestamp) | field_bit(Field::timestamp);
  if (!identifier.empty()) {
    e.identifier.assign(identifier);
    e.present |= field_bit(Field::identifier);
  }
  return e;
}

// The journal's resync_event payload of `e` (encode_journal_event).
inline std::string event_payload(const OrderEvent& e) {
  char payload[kJournalEventPayloadBytes];
  encode_journal_event(e, payload);
  return std::string(payload, sizeof payload);
}

}  // namespace fillwire::test
