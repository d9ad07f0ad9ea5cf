#include "rest.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <exception>

#include "market.hpp"
#include "simulation.hpp"

namespace fillwire::sim {
namespace {

using J = nlohmann::ordered_json;

constexpr std::int64_t kWeekMs = 7LL * 24 * 3600 * 1000;
// Pages of open orders beyond this are refused: (page - 1) * limit stays far from overflow, and
// at 100 a page it reaches ten million orders.
constexpr std::uint64_t kMaxPage = 100'000;
// uuids[] / identifiers[] in one GET /v1/orders/uuids (Upbit: at most 100).
constexpr std::size_t kMaxIds = 100;

J fx_or_null(bool present, Fx v) {
  return present ? J(fx_to_string(v)) : J(nullptr);
}

template <class E, std::size_t N>
J enum_or_null(E v, const std::string_view (&names)[N]) {
  return v == E::unknown ? J(nullptr) : J(std::string(enum_name(v, names)));
}

// A request the simulator refuses, with its answer: thrown by the parameter checks below, caught
// in RestApi::route.
struct Refusal {
  RestReply reply;
};

RestReply validation(std::string_view message) {
  return rest_error(400, "validation_error", message);
}

[[noreturn]] void refuse(const std::string& message) {
  throw Refusal{validation(message)};
}

std::vector<std::string_view> values(const QueryParams& p, std::string_view key) {
  std::vector<std::string_view> out;
  for (const auto& [k, v] : p) {
    if (k == key) out.emplace_back(v);
  }
  return out;
}

// The value of a parameter that takes one, or null when absent. Given twice or empty: refused.
const std::string* single(const QueryParams& p, std::string_view key) {
  const std::string* found = nullptr;
  for (const auto& [k, v] : p) {
    if (k != key) continue;
    if (found) refuse(std::string(key) + " is given more than once");
    found = &v;
  }
  if (found && found->empty()) refuse(std::string(key) + " is empty");
  return found;
}

// The values of an array parameter ("states[]"); none may be empty.
std::vector<std::string_view> many(const QueryParams& p, std::string_view key) {
  auto out = values(p, key);
  for (auto v : out) {
    if (v.empty()) refuse(std::string(key) + " holds an empty value");
  }
  return out;
}

// Digits only (no sign, space or other character), in lo..hi.
bool parse_count(std::string_view s, std::uint64_t lo, std::uint64_t hi, std::uint64_t& out) {
  if (s.empty()) return false;
  const auto r = std::from_chars(s.data(), s.data() + s.size(), out);
  return r.ec == std::errc{} && r.ptr == s.data() + s.size() && out >= lo && out <= hi;
}

std::uint64_t count_param(const QueryParams& p, std::string_view key, std::uint64_t fallback,
                          std::uint64_t lo, std::uint64_t hi) {
  const auto* v = single(p, key);
  if (!v) return fallback;
  std::uint64_t n = 0;
  if (!parse_count(*v, lo, hi, n)) {
    refuse(std::string(key) + " must be a whole number from " + std::to_string(lo) + " to " +
           std::to_string(hi));
  }
  return n;
}

// A market code as Upbit writes them: upper-case quote, '-', upper-case base (digits allowed).
bool market_code_form(std::string_view m) {
  const auto dash = m.find('-');
  if (dash == std::string_view::npos || dash < 2 || dash > 10 || m.size() - dash - 1 < 1 ||
      m.size() - dash - 1 > 20) {
    return false;
  }
  for (std::size_t i = 0; i < m.size(); ++i) {
    const char c = m[i];
    const bool ok = i == dash  ? true
                    : i < dash ? (c >= 'A' && c <= 'Z')
                               : ((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'));
    if (!ok) return false;
  }
  return true;
}

// Common filters: market (empty for all), order_by.
void market_and_order(const QueryParams& p, std::string& market, bool& ascending) {
  if (const auto* m = single(p, "market")) {
    if (!market_code_form(*m)) refuse("market is not a market code such as KRW-BTC");
    if (market_index(*m) == kMarketCount)
      throw Refusal{rest_error(404, "market_does_not_exist", "market does not exist")};
    market = *m;
  }
  ascending = false;
  if (const auto* o = single(p, "order_by")) {
    if (*o == "asc")
      ascending = true;
    else if (*o != "desc")
      refuse("order_by must be asc or desc");
  }
}

// state or states[] (not both), each one of `allowed`; `fallback` when neither is given.
std::vector<std::string_view> states_param(const QueryParams& p,
                                           const std::vector<std::string_view>& allowed,
                                           std::vector<std::string_view> fallback,
                                           const char* allowed_text) {
  auto states = many(p, "states[]");
  if (const auto* s = single(p, "state")) {
    if (!states.empty()) refuse("state and states[] cannot be used together");
    states.push_back(*s);
  }
  if (states.empty()) return fallback;
  for (auto s : states) {
    if (std::find(allowed.begin(), allowed.end(), s) == allowed.end())
      refuse(std::string("state must be ") + allowed_text);
  }
  return states;
}

// "true" / "false"; absent: false.
bool flag_param(const QueryParams& p, std::string_view key) {
  const auto* v = single(p, key);
  if (!v) return false;
  if (*v == "true") return true;
  if (*v != "false") refuse(std::string(key) + " must be true or false");
  return false;
}

RestReply json_reply(const J& j) {
  return {200, j.dump(), {}, {}};
}

std::vector<const OrderRecord*> page_of(std::vector<const OrderRecord*> v, bool ascending,
                                        std::size_t offset, std::size_t limit) {
  if (!ascending) std::reverse(v.begin(), v.end());
  if (offset >= v.size()) return {};
  v.erase(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(offset));
  if (v.size() > limit) v.resize(limit);
  return v;
}

// Days since 1970-01-01 of a proleptic Gregorian date (the civil-from-days inverse).
std::int64_t days_since_epoch(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2 ? 1 : 0;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

unsigned days_in_month(std::int64_t y, unsigned m) {
  static constexpr unsigned kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  return m == 2 && leap ? 29 : kDays[m - 1];
}

// `n` digits at `pos` (exactly), as a number.
bool fixed_digits(std::string_view s, std::size_t pos, std::size_t n, unsigned& out) {
  if (pos + n > s.size()) return false;
  out = 0;
  for (std::size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    out = out * 10 + static_cast<unsigned>(s[i] - '0');
  }
  return true;
}

}  // namespace

QueryParams parse_query(std::string_view query) {
  QueryParams out;
  while (!query.empty()) {
    const auto amp = query.find('&');
    const std::string_view item = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
    if (item.empty()) continue;
    const auto eq = item.find('=');
    out.emplace_back(percent_decode(item.substr(0, eq)), eq == std::string_view::npos
                                                             ? std::string{}
                                                             : percent_decode(item.substr(eq + 1)));
  }
  return out;
}

std::string iso_kst(std::int64_t ms) {
  const std::time_t t = static_cast<std::time_t>(ms / 1000 + 9 * 3600);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[40];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S+09:00", &tm);
  return buf;
}

std::string iso_kst_ms(std::int64_t ms) {
  const std::string s = iso_kst(ms);  // ...T01:02:03+09:00
  const auto millis = static_cast<int>(((ms % 1000) + 1000) % 1000);
  char frac[5];
  std::snprintf(frac, sizeof frac, ".%03d", millis);
  return s.substr(0, 19) + frac + s.substr(19);
}

bool parse_time(std::string_view text, std::int64_t& ms) {
  // 9999-12-31T23:59:59.999Z: far from int64 limits, so start + 7 days and end - start are safe.
  constexpr std::int64_t kLastMs = 253'402'300'799'999;
  std::uint64_t whole = 0;
  if (parse_count(text, 0, kLastMs, whole)) {
    ms = static_cast<std::int64_t>(whole);
    return true;
  }
  // YYYY-MM-DDTHH:MM[:SS[.f...]] then Z, +hh:mm or +hhmm (or -).
  unsigned y = 0, mo = 0, d = 0, h = 0, mi = 0, sec = 0;
  if (!fixed_digits(text, 0, 4, y) || text.size() < 16 || text[4] != '-' ||
      !fixed_digits(text, 5, 2, mo) || text[7] != '-' || !fixed_digits(text, 8, 2, d) ||
      text[10] != 'T' || !fixed_digits(text, 11, 2, h) || text[13] != ':' ||
      !fixed_digits(text, 14, 2, mi)) {
    return false;
  }
  std::size_t pos = 16;
  std::int64_t millis = 0;
  if (pos < text.size() && text[pos] == ':') {
    if (!fixed_digits(text, pos + 1, 2, sec)) return false;
    pos += 3;
    if (pos < text.size() && text[pos] == '.') {
      const std::size_t first = ++pos;
      for (std::int64_t scale = 100; pos < text.size() && text[pos] >= '0' && text[pos] <= '9';
           ++pos, scale /= 10) {
        if (pos - first >= 9) return false;  // nanoseconds at most
        millis += (text[pos] - '0') * scale;
      }
      if (pos == first) return false;
    }
  }
  if (mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) || h > 23 || mi > 59 || sec > 59)
    return false;
  std::int64_t offset_s = 0;
  if (pos < text.size() && (text[pos] == 'Z' || text[pos] == 'z')) {
    ++pos;
  } else if (pos < text.size() && (text[pos] == '+' || text[pos] == '-')) {
    unsigned oh = 0, om = 0;
    std::size_t next = pos + 3;
    if (!fixed_digits(text, pos + 1, 2, oh)) return false;
    if (next < text.size() && text[next] == ':') ++next;
    if (!fixed_digits(text, next, 2, om) || oh > 23 || om > 59) return false;
    offset_s = static_cast<std::int64_t>(oh * 3600 + om * 60) * (text[pos] == '-' ? -1 : 1);
    pos = next + 2;
  } else {
    return false;  // no zone
  }
  if (pos != text.size()) return false;
  const std::int64_t secs = days_since_epoch(y, mo, d) * 86'400 + h * 3600 + mi * 60 + sec;
  ms = (secs - offset_s) * 1000 + millis;
  return ms >= 0 && ms <= kLastMs;
}

RestReply rest_error(unsigned status, std::string_view name, std::string_view message) {
  J j = {{"error", {{"name", name}, {"message", message}}}};
  // Invalid UTF-8 in a message (none comes from the request today) must not throw.
  return {status, j.dump(-1, ' ', false, J::error_handler_t::replace), {}, {}};
}

J market_list_json(bool details) {
  J out = J::array();
  for (const MarketSpec& m : kMarkets) {
    J row;
    row["market"] = std::string(m.code);
    row["korean_name"] = std::string(m.korean_name);
    row["english_name"] = std::string(m.english_name);
    if (details) {
      // No market warning (유의 종목) and no caution (주의 종목) of any kind on a simulated market.
      row["market_event"] = {{"warning", false},
                             {"caution",
                              {{"PRICE_FLUCTUATIONS", false},
                               {"TRADING_VOLUME_SOARING", false},
                               {"DEPOSIT_AMOUNT_SOARING", false},
                               {"GLOBAL_PRICE_DIFFERENCES", false},
                               {"CONCENTRATION_OF_SMALL_ACCOUNTS", false}}}};
    }
    out.push_back(std::move(row));
  }
  return out;
}

J order_json(const OrderRecord& r, bool with_trades, PreventedAs prevented_as) {
  const OrderCore& o = r.core;
  J j;
  char uuid[Uuid::kTextSize];
  o.uuid.format(uuid);
  j["uuid"] = std::string(uuid, Uuid::kTextSize);
  j["side"] = o.side == Side::bid ? "bid" : "ask";
  j["ord_type"] = std::string(enum_name(o.type, kOrderTypeNames));
  j["price"] = fx_or_null(o.has_price(), o.price);
  j["state"] = o.state == OrderState::prevented && prevented_as == PreventedAs::cancel
                   ? std::string("cancel")
                   : std::string(enum_name(o.state, kStateNames));
  j["market"] = std::string(kMarkets[o.market].code);
  j["created_at"] = iso_kst(o.created_ms);
  j["volume"] = fx_or_null(o.has_volume, o.volume);
  j["remaining_volume"] = fx_or_null(o.has_volume, o.remaining);
  j["reserved_fee"] = fx_to_string(o.reserved_fee);
  j["remaining_fee"] = fx_to_string(o.remaining_fee);
  j["paid_fee"] = fx_to_string(o.paid_fee);
  j["locked"] = fx_to_string(o.locked);
  j["executed_volume"] = fx_to_string(o.executed);
  j["executed_funds"] = fx_to_string(o.funds);
  j["trades_count"] = o.trades_count;
  j["time_in_force"] = enum_or_null(o.tif, kTimeInForceNames);
  j["identifier"] = o.identifier.empty() ? J(nullptr) : J(std::string(o.identifier.view()));
  j["smp_type"] = enum_or_null(o.smp, kSmpTypeNames);
  j["prevented_volume"] = fx_to_string(o.prevented_volume);
  j["prevented_locked"] = fx_to_string(o.prevented_locked);
  if (with_trades) {
    J trades = J::array();
    for (const auto& t : r.trades) {
      t.uuid.format(uuid);
      trades.push_back({{"market", std::string(kMarkets[o.market].code)},
                        {"uuid", std::string(uuid, Uuid::kTextSize)},
                        {"price", fx_to_string(t.price)},
                        {"volume", fx_to_string(t.volume)},
                        {"funds", fx_to_string(t.funds)},
                        {"trend", nullptr},
                        {"created_at", iso_kst_ms(t.timestamp)},
                        {"side", o.side == Side::bid ? "bid" : "ask"}});
    }
    j["trades"] = trades;
  }
  return j;
}

RestReply RestApi::handle(std::string_view method, std::string_view target,
                          std::string_view authorization, std::int64_t now_ms,
                          std::int64_t sim_now_ms) {
  const auto qpos = target.find('?');
  const std::string_view path = target.substr(0, qpos);
  const std::string_view query =
      qpos == std::string_view::npos ? std::string_view{} : target.substr(qpos + 1);
  const QueryParams params = parse_query(query);

  if (path.substr(0, 4) != "/v1/") return rest_error(404, "not_found", "no such endpoint");

  // A ban answers every /v1 request, whatever its group, until it ends.
  if (config_.rate_limit && bans_ > 0 && now_ms < banned_until_ms_) {
    const std::int64_t left_s = (banned_until_ms_ - now_ms + 999) / 1000;
    RestReply r =
        rest_error(418, "too_many_requests",
                   "Blocked after repeated HTTP 429: retry in " + std::to_string(left_s) + " s.");
    r.retry_after = std::to_string(left_s);
    return r;
  }

  const bool market_list = path == "/v1/market/all";
  // Rate limit first: every request counts, as on Upbit.
  RestReply reply = admit(market_list ? market_ : default_, now_ms);
  if (reply.status != 200) return reply;
  const std::string remaining = std::move(reply.remaining_req);

  if (method != "GET") {
    reply = rest_error(405, "method_not_allowed", "This simulator serves GET queries only.");
  } else if (market_list) {
    // Quotation API: public, so no token is asked for, and one sent is not looked at.
    reply = route(path, params, sim_now_ms);
  } else {
    const AuthResult auth = verifier_.verify_request(authorization, query);
    if (!auth.ok()) {
      reply = rest_error(401, to_string(auth.error), auth_message(auth.error));
    } else if (!nonces_.insert(auth.claims.nonce)) {
      reply = rest_error(401, "nonce_used", auth_message(AuthErrc::nonce_used));
    } else {
      reply = route(path, params, sim_now_ms);
    }
  }
  reply.remaining_req = remaining;
  return reply;
}

RestReply RestApi::admit(Group& g, std::int64_t now_ms) {
  while (!g.recent.empty() && g.recent.front() <= now_ms - 1000)
    g.recent.pop_front();
  const bool limited = config_.rate_limit && g.recent.size() >= g.per_second;
  if (!limited) g.recent.push_back(now_ms);
  // Without the limit the whole allowance is always left: a client pacing itself by the header
  // must not be slowed by a limit that is off.
  const auto left = !config_.rate_limit              ? g.per_second
                    : g.per_second > g.recent.size() ? g.per_second - g.recent.size()
                                                     : 0;
  const std::string remaining =
      std::string("group=") + g.name + "; min=" + g.per_minute + "; sec=" + std::to_string(left);
  if (!limited) return {200, {}, remaining, {}};

  RestReply r = rest_error(429, "too_many_requests", "Too many API requests.");
  r.remaining_req = remaining;
  if (config_.ban_after == 0) return r;
  while (!refused_.empty() && refused_.front() <= now_ms - config_.ban_window_ms)
    refused_.pop_front();
  refused_.push_back(now_ms);
  if (refused_.size() >= config_.ban_after) {
    // Upbit: "Continued violations can trigger temporary IP bans (HTTP 418). The block duration
    // increases with repeated offenses." Here each ban is twice the one before, up to the cap.
    const std::int64_t cap = std::max(config_.ban_ms, config_.ban_max_ms);
    std::int64_t length = std::min(config_.ban_ms, cap);
    for (std::uint32_t i = 0; i < bans_ && length < cap; ++i)
      length = std::min(length * 2, cap);
    ++bans_;
    banned_until_ms_ = now_ms + length;
    refused_.clear();
  }
  return r;
}

RestReply RestApi::route(std::string_view path, const QueryParams& params,
                         std::int64_t sim_now_ms) {
  try {
    if (path == "/v1/market/all") {
      // `isDetails` is how Upbit's older documentation spelled it; clients still send it.
      const bool details = flag_param(params, "is_details");
      const bool older = flag_param(params, "isDetails");
      return json_reply(market_list_json(details || older));
    }
    if (path == "/v1/order") return get_order(params);
    if (path == "/v1/orders/open") return orders_open(params);
    if (path == "/v1/orders/closed") return orders_closed(params, sim_now_ms);
    if (path == "/v1/orders/uuids") return orders_uuids(params);
    if (path == "/v1/accounts") return accounts();
    return rest_error(404, "not_found", "no such endpoint");
  } catch (const Refusal& r) {
    return r.reply;
  } catch (const std::exception&) {
    // A bug, not a bad request: answered, so that the server's thread goes on (the fuzz target
    // counts a 500 as a broken invariant).
    return rest_error(500, "server_error", "The simulator failed to answer this request.");
  }
}

std::string_view RestApi::rest_state(const OrderRecord& r) const {
  if (r.core.state == OrderState::prevented && config_.prevented_as == PreventedAs::cancel)
    return "cancel";
  return enum_name(r.core.state, kStateNames);
}

RestReply RestApi::get_order(const QueryParams& p) {
  const auto* u = single(p, "uuid");
  const auto* i = single(p, "identifier");
  if (u && i) refuse("give uuid or identifier, not both");
  const OrderRecord* r = nullptr;
  if (u) {
    Uuid id;
    if (!Uuid::parse(*u, id)) refuse("uuid is not a UUID");
    r = sim_.book().find(id);
  } else if (i) {
    r = sim_.book().find_identifier(*i);
  } else {
    refuse("uuid or identifier is required");
  }
  if (!r) return rest_error(404, "order_not_found", "주문을 찾지 못했습니다.");
  return json_reply(order_json(*r, true, config_.prevented_as));
}

RestReply RestApi::orders_open(const QueryParams& p) {
  std::string market;
  bool asc = false;
  market_and_order(p, market, asc);
  const auto states = states_param(p, {"wait", "watch"}, {"wait"}, "wait or watch");
  const std::uint64_t page = count_param(p, "page", 1, 1, kMaxPage);
  const std::uint64_t limit = count_param(p, "limit", 100, 1, 100);
  std::vector<const OrderRecord*> v;
  for (const auto* r : sim_.book().open_orders()) {
    if ((market.empty() || kMarkets[r->core.market].code == market) &&
        std::find(states.begin(), states.end(), rest_state(*r)) != states.end()) {
      v.push_back(r);
    }
  }
  J out = J::array();
  for (const auto* r : page_of(std::move(v), asc, (page - 1) * limit, limit))
    out.push_back(order_json(*r, false, config_.prevented_as));
  return json_reply(out);
}

RestReply RestApi::orders_closed(const QueryParams& p, std::int64_t sim_now_ms) {
  std::string market;
  bool asc = false;
  market_and_order(p, market, asc);
  // Upbit's closed states are done and cancel (an order SMP ended is one of its cancels). With the
  // stream's name kept (PreventedAs::prevented) `prevented` is a state of its own, and a filter.
  const bool named = config_.prevented_as == PreventedAs::prevented;
  const auto states =
      named ? states_param(p, {"done", "cancel", "prevented"}, {"done", "cancel", "prevented"},
                           "done, cancel or prevented")
            : states_param(p, {"done", "cancel"}, {"done", "cancel"}, "done or cancel");
  const std::uint64_t limit = count_param(p, "limit", 100, 1, 1000);
  const auto* st = single(p, "start_time");
  const auto* et = single(p, "end_time");
  std::int64_t start = 0;
  std::int64_t end = 0;
  if (st && !parse_time(*st, start))
    refuse("start_time must be milliseconds or an ISO 8601 time with its zone");
  if (et && !parse_time(*et, end))
    refuse("end_time must be milliseconds or an ISO 8601 time with its zone");
  if (st && et) {
    if (end < start) refuse("end_time is before start_time");
    if (end - start > kWeekMs) refuse("the time window must be at most 7 days");
  } else if (st) {
    end = start + kWeekMs;
  } else {
    if (!et) end = sim_now_ms;
    start = end - kWeekMs;
  }
  std::vector<const OrderRecord*> v;
  for (const auto* r : sim_.book().closed_orders()) {
    if (r->core.created_ms < start || r->core.created_ms > end) continue;
    if ((market.empty() || kMarkets[r->core.market].code == market) &&
        std::find(states.begin(), states.end(), rest_state(*r)) != states.end()) {
      v.push_back(r);
    }
  }
  J out = J::array();
  for (const auto* r : page_of(std::move(v), asc, 0, limit))
    out.push_back(order_json(*r, false, config_.prevented_as));
  return json_reply(out);
}

RestReply RestApi::orders_uuids(const QueryParams& p) {
  std::string market;
  bool asc = false;
  market_and_order(p, market, asc);
  const auto uuids = many(p, "uuids[]");
  const auto ids = many(p, "identifiers[]");
  if (!uuids.empty() && !ids.empty()) refuse("uuids[] and identifiers[] cannot be used together");
  if (uuids.empty() && ids.empty()) refuse("uuids[] or identifiers[] is required");
  if (uuids.size() > kMaxIds || ids.size() > kMaxIds)
    refuse("at most 100 uuids[] or identifiers[]");
  std::vector<const OrderRecord*> v;
  for (auto u : uuids) {
    Uuid id;
    if (!Uuid::parse(u, id)) refuse("uuids[] holds a value that is not a UUID");
    if (const auto* r = sim_.book().find(id)) v.push_back(r);
  }
  for (auto i : ids) {
    if (const auto* r = sim_.book().find_identifier(i)) v.push_back(r);
  }
  std::erase_if(v, [&](const OrderRecord* r) {
    return !market.empty() && kMarkets[r->core.market].code != market;
  });
  // In creation order, each order once however often it was asked for.
  std::sort(v.begin(), v.end(), [](const OrderRecord* a, const OrderRecord* b) {
    return a->core.created_ms != b->core.created_ms ? a->core.created_ms < b->core.created_ms
                                                    : a->core.uuid.bytes < b->core.uuid.bytes;
  });
  v.erase(std::unique(v.begin(), v.end()), v.end());
  J out = J::array();
  for (const auto* r : page_of(std::move(v), asc, 0, kMaxIds))
    out.push_back(order_json(*r, false, config_.prevented_as));
  return json_reply(out);
}

// Every currency of the account, from the same balances the myAsset frames show (Simulation::
// balance): available, locked, and the average buy price of the position (fills only, gross of
// fees, rounded to 8 decimals; "0" for KRW and for nothing held).
RestReply RestApi::accounts() {
  J out = J::array();
  for (std::size_t c = 0; c < kCurrencyCount; ++c) {
    const Balance b = sim_.balance(c);
    std::string avg = "0";
    if (c != kKrw) {
      const MarketTruth& m = sim_.truth().market(c - 1);
      if (m.position > 0) {
        avg = fx_to_string(static_cast<Fx>(
            std::llround(m.cost_gross / static_cast<long double>(m.position) * 1e8L)));
      }
    }
    J row;
    row["currency"] = std::string(currency_name(c));
    row["balance"] = int128_to_fx_string(b.available);
    row["locked"] = fx_to_string(b.locked);
    row["avg_buy_price"] = avg;
    row["avg_buy_price_modified"] = false;
    row["unit_currency"] = "KRW";
    out.push_back(std::move(row));
  }
  return json_reply(out);
}

}  // namespace fillwire::sim
