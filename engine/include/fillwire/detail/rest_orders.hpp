#pragma once
// Parser for Upbit's REST order objects (PROTOCOL.md §7): the answers of GET /v1/order,
// /v1/orders/open, /v1/orders/closed and /v1/orders/uuids, used to resynchronise after a reconnect;
// and of GET /v1/accounts (balances, §8).
//
// Each order becomes an OrderEvent with origin = resync, so it goes through the same idempotent
// apply path as stream events. Mapping: market -> code, side "bid"/"ask" -> ask_bid, ord_type ->
// order_type, created_at (ISO 8601 with offset) -> order_timestamp; decimals arrive as JSON strings
// and are converted exactly; `timestamp` is the caller's "as of" time (the query's). REST has no
// `trade` state: fills show as cumulative fields. Nor has it `prevented`: a `cancel` with
// prevented_volume > 0 and remaining_volume 0 (self-match prevention took the rest) becomes the
// stream's `prevented`.
//
// GET /v1/order also gives the order's trades[]: trade_events() turns them into the `trade` events
// the stream would have sent, so a resync can apply missed fills one by one in trade-time order.
//
// Cold path (it allocates); any thread. Bad input gives an error naming the order and field; an
// error answer's name and message are quoted with quote_server_text (capped, escaped, redacted).

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "fillwire/asset_event.hpp"
#include "fillwire/order_event.hpp"

namespace fillwire {

struct RestParseResult {
  std::vector<OrderEvent> orders;
  std::string error;  // empty when every order parsed
  [[nodiscard]] bool ok() const noexcept { return error.empty(); }
};

// `body` is one order object or an array of them. `as_of_ms` becomes each event's timestamp.
[[nodiscard]] RestParseResult parse_rest_orders(std::string_view body, std::int64_t as_of_ms);

// One element of trades[] in GET /v1/order (PROTOCOL.md §7): market, uuid, price, volume, funds,
// side, created_at (ISO 8601; milliseconds when given).
struct RestTrade {
  Uuid uuid;
  double price = 0.0;
  double volume = 0.0;
  double funds = 0.0;
  std::int64_t time_ms = 0;
  Side side = Side::unknown;
};

struct RestOrderTrades {
  OrderEvent order{};  // the order, as parse_rest_orders maps it
  std::vector<RestTrade> trades;
  std::string error;  // empty when the order and every trade parsed
  [[nodiscard]] bool ok() const noexcept { return error.empty(); }
};

// The answer of GET /v1/order?uuid=: the order and its trades[] (absent trades[] is an error: the
// caller asked for them).
[[nodiscard]] RestOrderTrades parse_rest_order_trades(std::string_view body, std::int64_t as_of_ms);

// The answer of GET /v1/accounts (PROTOCOL.md §8): one AssetEvent per currency, in the answer's
// order — the account's balances as of the request, authoritative (AccountState takes a resync's
// list as the whole account). Each has origin `resync`, stream_type SNAPSHOT, no asset_uuid (the
// bit stays clear), asset_timestamp and timestamp `as_of_ms`, index and count over the list.
// `balance` (available) and `locked` are finite decimal strings (a negative one is kept: the
// account counts it); a currency
// longer than CurrencyCode's capacity, given twice, or missing is an error (the whole answer is
// refused: a partial list would zero what it left out). avg_buy_price and unit_currency are not
// kept.
struct RestAccountsResult {
  std::vector<AssetEvent> assets;
  std::string error;  // empty when every row parsed
  [[nodiscard]] bool ok() const noexcept { return error.empty(); }
};
[[nodiscard]] RestAccountsResult parse_rest_accounts(std::string_view body, std::int64_t as_of_ms);

// The same parsers, keeping their buffers from one answer to the next: a resync's pages need no
// new memory once the largest has been seen (no heap growth and release per page). One thread at
// a time.
class RestOrdersParser {
 public:
  RestOrdersParser();
  ~RestOrdersParser();
  RestOrdersParser(const RestOrdersParser&) = delete;
  RestOrdersParser& operator=(const RestOrdersParser&) = delete;

  // As parse_rest_orders(); the result is valid until the next call.
  [[nodiscard]] const RestParseResult& orders(std::string_view body, std::int64_t as_of_ms);
  // As parse_rest_order_trades().
  [[nodiscard]] RestOrderTrades order_trades(std::string_view body, std::int64_t as_of_ms);
  // As parse_rest_accounts().
  [[nodiscard]] RestAccountsResult accounts(std::string_view body, std::int64_t as_of_ms);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The order's trades as the stream would have announced them: one `trade` event per trade, in
// trade order, with the cumulative fields stepped trade by trade (trades_count k, executed volume
// and funds summed up to trade k; the last step takes the order's own totals exactly), the
// trade's price, volume, time (trade_timestamp and timestamp) and uuid, origin `resync`. REST
// gives no fee per trade: paid_fee is shared out in proportion to the funds (the last trade takes
// the rest), so each trade_fee is within rounding of the exchange's.
// Needs every trade: an error when trades.size() differs from the order's trades_count, or a trade
// belongs to another market or side.
struct TradeEventsResult {
  std::vector<OrderEvent> events;
  std::string error;
  [[nodiscard]] bool ok() const noexcept { return error.empty(); }
};
[[nodiscard]] TradeEventsResult trade_events(const RestOrderTrades& order);

// "2019-01-04T13:48:09+09:00" (also "Z", fractional seconds) -> ms since the epoch; false if the
// text is not such a time.
[[nodiscard]] bool parse_iso8601_ms(std::string_view text, std::int64_t& out) noexcept;

}  // namespace fillwire
