#pragma once
// Parser for Upbit's REST order objects (PROTOCOL.md §7): the answers of GET /v1/order,
// /v1/orders/open, /v1/orders/closed and /v1/orders/uuids, used to resynchronise after a reconnect.
//
// Each order becomes an OrderEvent with origin = resync, so it goes through the same idempotent
// apply path as stream events. Mapping: market -> code, side "bid"/"ask" -> ask_bid, ord_type ->
// order_type, created_at (ISO 8601 with offset) -> order_timestamp; decimals arrive as JSON strings
// and are converted exactly; `timestamp` is the caller's "as of" time (the query's). REST has no
// `trade` state: fills show as cumulative fields.
//
// Cold path (it allocates); any thread. Bad input gives an error naming the order and field.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "fillwire/order_event.hpp"

namespace fillwire {

struct RestParseResult {
  std::vector<OrderEvent> orders;
  std::string error;  // empty when every order parsed
  [[nodiscard]] bool ok() const noexcept { return error.empty(); }
};

// `body` is one order object or an array of them. `as_of_ms` becomes each event's timestamp.
[[nodiscard]] RestParseResult parse_rest_orders(std::string_view body, std::int64_t as_of_ms);

// "2019-01-04T13:48:09+09:00" (also "Z", fractional seconds) -> ms since the epoch; false if the
// text is not such a time.
[[nodiscard]] bool parse_iso8601_ms(std::string_view text, std::int64_t& out) noexcept;

}  // namespace fillwire
