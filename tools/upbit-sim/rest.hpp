#pragma once
// REST: Upbit's order query endpoints over the simulator's order book (PROTOCOL.md §7) and its
// public market list. (The simulator's own /sim/truth is served by server.cpp, off its event loop.)
// Transport-free: the server hands in method, target and the Authorization header and writes back
// the reply. Not thread-safe: one owner thread.
//
//   GET /v1/market/all     is_details (true | false; also spelled isDetails) — public: no token
//                          needed, one sent is not looked at; rate group `market`
//   GET /v1/order          uuid= | identifier= (one of them)     one order with trades[] (trade
//                          times with milliseconds)
//   GET /v1/orders/open    market, state | states[] (wait, watch; default wait), page
//                          (1..100000), limit (1..100), order_by (desc | asc)
//   GET /v1/orders/closed  market, state | states[] (done, cancel; default both), start_time /
//                          end_time (ms, or ISO 8601 with a zone; window <= 7 days), limit
//                          (1..1000), order_by
//   GET /v1/orders/uuids   uuids[] | identifiers[] (1..100 of them), market, order_by
//   GET /v1/accounts       balances
// Auth (all but market/all): JWT with query_hash when there is a query; bad hash -> 401
// invalid_query_payload; a nonce seen before -> 401 nonce_used.
// Parameters: each number is digits only and within its range, each scalar given at most once and
// never empty, state and states[] not together; anything else is HTTP 400 validation_error (the
// name Upbit's REST error guide gives a bad request). Unknown parameters are ignored.
// Rate: group `default` 30 requests per rolling second, group `market` 10; `Remaining-Req` on
// every reply of a group, 429 beyond; `ban_after` 429s within `ban_window_ms` ban every /v1
// request for a while: HTTP 418 with Retry-After (seconds), each ban twice as long as the last.
// Orders that self-match prevention ended are `cancel` over REST (Upbit's REST states are wait,
// watch, done, cancel; the SMP fields say why), `prevented` with PreventedAs::prevented.

#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "jwt.hpp"
#include "order_book.hpp"

namespace fillwire::sim {

class Simulation;

struct RestReply {
  unsigned status = 200;
  std::string body;
  std::string remaining_req;  // value of the Remaining-Req header, empty for none
  std::string retry_after;    // value of the Retry-After header (seconds), empty for none
};

// The `state` of an order that self-match prevention ended.
enum class PreventedAs : std::uint8_t {
  cancel,     // Upbit's REST: its order states are wait, watch, done and cancel
  prevented,  // the stream's final state (PROTOCOL.md §4), as the ground truth keeps it
};

struct RestConfig {
  // 429 beyond a group's limit and 418 bans after repeated 429s; off: neither (throughput runs).
  bool rate_limit = true;
  unsigned per_second = 30;         // group `default`: order queries and accounts
  unsigned market_per_second = 10;  // group `market`: GET /v1/market/all
  unsigned ban_after = 10;          // this many 429s within ban_window_ms start a ban (0: never)
  std::int64_t ban_window_ms = 10'000;
  std::int64_t ban_ms = 30'000;       // the first ban; each later one twice the one before,
  std::int64_t ban_max_ms = 600'000;  // at most this long
  PreventedAs prevented_as = PreventedAs::cancel;
};

using QueryParams = std::vector<std::pair<std::string, std::string>>;
// Splits "a=1&b[]=2&b[]=3" (percent-decoding keys and values, "%5B%5D" becomes "[]").
[[nodiscard]] QueryParams parse_query(std::string_view query);

// Upbit's REST order object; `with_trades` adds trades[] (GET /v1/order). `prevented_as` names the
// state of an order that SMP ended (the truth keeps the stream's name).
[[nodiscard]] nlohmann::ordered_json order_json(const OrderRecord& r, bool with_trades,
                                                PreventedAs prevented_as = PreventedAs::prevented);
// GET /v1/market/all: the simulator's markets as Upbit lists them; `details` adds market_event.
[[nodiscard]] nlohmann::ordered_json market_list_json(bool details);
// "2025-11-25T01:02:03+09:00" (KST, as Upbit writes it).
[[nodiscard]] std::string iso_kst(std::int64_t ms);
// "2025-11-25T01:02:03.045+09:00": with milliseconds, for trades[] (the fill's place in trade-time
// order needs them).
[[nodiscard]] std::string iso_kst_ms(std::int64_t ms);
// Milliseconds (digits only), or ISO 8601 "YYYY-MM-DDTHH:MM[:SS[.fff]]" with a zone ("Z",
// "+hh:mm", "+hhmm"; Upbit asks for the zone); false if neither, if a field is out of its range,
// or if the time is outside 1970-01-01 .. 9999-12-31 (so that window arithmetic cannot overflow).
[[nodiscard]] bool parse_time(std::string_view text, std::int64_t& ms);

class RestApi {
 public:
  RestApi(const JwtVerifier& verifier, NonceRegistry& nonces, const Simulation& sim,
          RestConfig config)
      : verifier_(verifier), nonces_(nonces), sim_(sim), config_(config) {
    default_.per_second = config.per_second;
    market_.per_second = config.market_per_second;
  }

  // `now_ms` (steady clock) drives the rate limit; `sim_now_ms` is the exchange's current time
  // (default end of the closed-orders window).
  RestReply handle(std::string_view method, std::string_view target, std::string_view authorization,
                   std::int64_t now_ms, std::int64_t sim_now_ms);

 private:
  // A rate group: request times in the last second.
  struct Group {
    const char* name;
    const char* per_minute;  // Remaining-Req's `min`: fixed (Upbit: deprecated, to be ignored)
    unsigned per_second;
    std::deque<std::int64_t> recent;
  };
  // Counts the request in `g`; 429 (and perhaps the start of a ban) beyond its limit.
  RestReply admit(Group& g, std::int64_t now_ms);
  RestReply route(std::string_view path, const QueryParams& params, std::int64_t sim_now_ms);
  RestReply get_order(const QueryParams& p);
  RestReply orders_open(const QueryParams& p);
  RestReply orders_closed(const QueryParams& p, std::int64_t sim_now_ms);
  RestReply orders_uuids(const QueryParams& p);
  RestReply accounts();
  [[nodiscard]] std::string_view rest_state(const OrderRecord& r) const;

  const JwtVerifier& verifier_;
  NonceRegistry& nonces_;
  const Simulation& sim_;
  RestConfig config_;
  Group default_{"default", "1800", 30, {}};
  Group market_{"market", "600", 10, {}};
  std::deque<std::int64_t> refused_;  // times of the 429 answers within ban_window_ms
  std::int64_t banned_until_ms_ = 0;  // 418 for every /v1 request before this
  std::uint32_t bans_ = 0;
};

[[nodiscard]] RestReply rest_error(unsigned status, std::string_view name,
                                   std::string_view message);

}  // namespace fillwire::sim
