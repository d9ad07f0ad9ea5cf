#include "rest.hpp"

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <ctime>

#include "market.hpp"
#include "simulation.hpp"

namespace fillwire::sim {
namespace {

using J = nlohmann::ordered_json;

constexpr std::int64_t kWeekMs = 7LL * 24 * 3600 * 1000;

J fx_or_null(bool present, Fx v) {
  return present ? J(fx_to_string(v)) : J(nullptr);
}

template <class E, std::size_t N>
J enum_or_null(E v, const std::string_view (&names)[N]) {
  return v == E::unknown ? J(nullptr) : J(std::string(enum_name(v, names)));
}

std::vector<std::string_view> values(const QueryParams& p, std::string_view key) {
  std::vector<std::string_view> out;
  for (const auto& [k, v] : p) {
    if (k == key) out.emplace_back(v);
  }
  return out;
}

const std::string* value(const QueryParams& p, std::string_view key) {
  for (const auto& [k, v] : p) {
    if (k == key) return &v;
  }
  return nullptr;
}

bool parse_int(std::string_view s, std::int64_t& out) {
  const auto r = std::from_chars(s.data(), s.data() + s.size(), out);
  return r.ec == std::errc{} && r.ptr == s.data() + s.size();
}

RestReply json_reply(const J& j) {
  return {200, j.dump(), {}};
}

RestReply validation(std::string_view message) {
  return rest_error(400, "validation_error", message);
}

// Common filters: market, order_by. Returns an error reply (status != 200) on a bad value.
RestReply market_and_order(const QueryParams& p, std::string& market, bool& ascending) {
  if (const auto* m = value(p, "market")) {
    if (market_index(*m) == kMarketCount)
      return rest_error(404, "market_does_not_exist", "market does not exist");
    market = *m;
  }
  ascending = false;
  if (const auto* o = value(p, "order_by")) {
    if (*o == "asc")
      ascending = true;
    else if (*o != "desc")
      return validation("order_by must be asc or desc");
  }
  return {};
}

bool state_is(const OrderRecord& r, const std::vector<std::string_view>& states) {
  const auto name = enum_name(r.core.state, kStateNames);
  return std::find(states.begin(), states.end(), name) != states.end();
}

J list(std::vector<const OrderRecord*> v, bool ascending, std::size_t offset, std::size_t limit) {
  if (!ascending) std::reverse(v.begin(), v.end());
  J out = J::array();
  for (std::size_t i = offset; i < v.size() && out.size() < limit; ++i)
    out.push_back(order_json(*v[i], false));
  return out;
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
  const auto in_range = [&ms] { return ms >= 0 && ms <= kLastMs; };
  if (parse_int(text, ms)) return in_range();
  std::tm tm{};
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0;
  char rest[16] = {};
  const std::string str(text);
  if (std::sscanf(str.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%15s", &y, &mo, &d, &h, &mi, &s, rest) < 6)
    return false;
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  tm.tm_sec = s;
  std::int64_t secs = static_cast<std::int64_t>(timegm(&tm));
  const std::string_view zone(rest);
  if (!zone.empty() && zone != "Z") {
    int oh = 0, om = 0;
    if (zone.size() != 6 || (zone[0] != '+' && zone[0] != '-') ||
        std::sscanf(rest + 1, "%2d:%2d", &oh, &om) != 2) {
      return false;
    }
    const int offset = (oh * 3600 + om * 60) * (zone[0] == '+' ? 1 : -1);
    secs -= offset;
  }
  ms = secs * 1000;
  return in_range();
}

RestReply rest_error(unsigned status, std::string_view name, std::string_view message) {
  J j = {{"error", {{"name", name}, {"message", message}}}};
  return {status, j.dump(), {}};
}

J order_json(const OrderRecord& r, bool with_trades) {
  const OrderCore& o = r.core;
  J j;
  char uuid[Uuid::kTextSize];
  o.uuid.format(uuid);
  j["uuid"] = std::string(uuid, Uuid::kTextSize);
  j["side"] = o.side == Side::bid ? "bid" : "ask";
  j["ord_type"] = std::string(enum_name(o.type, kOrderTypeNames));
  j["price"] = fx_or_null(o.has_price(), o.price);
  j["state"] = std::string(enum_name(o.state, kStateNames));
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

  // Rate limit first: every request counts, as on Upbit.
  while (!recent_.empty() && recent_.front() <= now_ms - 1000)
    recent_.pop_front();
  const bool limited = config_.rate_limit && recent_.size() >= config_.per_second;
  if (!limited) recent_.push_back(now_ms);
  // Without the limit the whole allowance is always left: a client pacing itself by the header
  // must not be slowed by a limit that is off.
  const auto left = !config_.rate_limit                   ? config_.per_second
                    : config_.per_second > recent_.size() ? config_.per_second - recent_.size()
                                                          : 0;
  const std::string remaining = "group=default; min=1800; sec=" + std::to_string(left);
  if (limited) {
    RestReply r = rest_error(429, "too_many_requests", "Too many API requests.");
    r.remaining_req = remaining;
    return r;
  }

  RestReply reply;
  if (method != "GET") {
    reply = rest_error(405, "method_not_allowed", "This simulator serves GET queries only.");
  } else {
    const AuthResult auth = verifier_.verify_request(authorization, query);
    if (!auth.ok()) {
      reply = rest_error(401, to_string(auth.error), auth_message(auth.error));
    } else if (!nonces_.insert(auth.claims.nonce)) {
      reply = rest_error(401, "nonce_used", auth_message(AuthErrc::nonce_used));
    } else {
      reply = route(path, query, params, sim_now_ms);
    }
  }
  reply.remaining_req = remaining;
  return reply;
}

RestReply RestApi::route(std::string_view path, std::string_view /*query*/,
                         const QueryParams& params, std::int64_t sim_now_ms) {
  if (path == "/v1/order") return get_order(params);
  if (path == "/v1/orders/open") return orders_open(params);
  if (path == "/v1/orders/closed") return orders_closed(params, sim_now_ms);
  if (path == "/v1/orders/uuids") return orders_uuids(params);
  if (path == "/v1/accounts") return accounts();
  return rest_error(404, "not_found", "no such endpoint");
}

RestReply RestApi::get_order(const QueryParams& p) {
  const OrderRecord* r = nullptr;
  if (const auto* u = value(p, "uuid")) {
    Uuid id;
    if (!Uuid::parse(*u, id)) return validation("uuid is not a UUID");
    r = sim_.book().find(id);
  } else if (const auto* i = value(p, "identifier")) {
    r = sim_.book().find_identifier(*i);
  } else {
    return validation("uuid or identifier is required");
  }
  if (!r) return rest_error(404, "order_not_found", "주문을 찾지 못했습니다.");
  return json_reply(order_json(*r, true));
}

RestReply RestApi::orders_open(const QueryParams& p) {
  std::string market;
  bool asc = false;
  if (auto e = market_and_order(p, market, asc); e.status != 200) return e;
  auto states = values(p, "states[]");
  if (const auto* s = value(p, "state")) states.push_back(*s);
  if (states.empty()) states.push_back("wait");
  for (auto s : states) {
    if (s != "wait" && s != "watch") return validation("state must be wait or watch");
  }
  std::int64_t page = 1;
  std::int64_t limit = 100;
  if (const auto* v = value(p, "page"); v && (!parse_int(*v, page) || page < 1))
    return validation("bad page");
  if (const auto* v = value(p, "limit"); v && (!parse_int(*v, limit) || limit < 1 || limit > 100)) {
    return validation("limit must be 1..100");
  }
  std::vector<const OrderRecord*> v;
  for (const auto* r : sim_.book().open_orders()) {
    if ((market.empty() || kMarkets[r->core.market].code == market) && state_is(*r, states))
      v.push_back(r);
  }
  return json_reply(list(std::move(v), asc, static_cast<std::size_t>((page - 1) * limit),
                         static_cast<std::size_t>(limit)));
}

RestReply RestApi::orders_closed(const QueryParams& p, std::int64_t sim_now_ms) {
  std::string market;
  bool asc = false;
  if (auto e = market_and_order(p, market, asc); e.status != 200) return e;
  auto states = values(p, "states[]");
  if (const auto* s = value(p, "state")) states.push_back(*s);
  if (states.empty()) states = {"done", "cancel", "prevented"};
  for (auto s : states) {
    if (s != "done" && s != "cancel" && s != "prevented")
      return validation("state must be done, cancel or prevented");
  }
  std::int64_t limit = 100;
  if (const auto* v = value(p, "limit");
      v && (!parse_int(*v, limit) || limit < 1 || limit > 1000)) {
    return validation("limit must be 1..1000");
  }
  const auto* st = value(p, "start_time");
  const auto* et = value(p, "end_time");
  std::int64_t start = 0;
  std::int64_t end = 0;
  if ((st && !parse_time(*st, start)) || (et && !parse_time(*et, end)))
    return validation("bad start_time/end_time");
  if (st && et) {
    if (end < start || end - start > kWeekMs)
      return validation("the time window must be at most 7 days");
  } else if (st) {
    end = start + kWeekMs;
  } else {
    if (!et) end = sim_now_ms;
    start = end - kWeekMs;
  }
  std::vector<const OrderRecord*> v;
  for (const auto* r : sim_.book().closed_orders()) {
    if (r->core.created_ms < start || r->core.created_ms > end) continue;
    if ((market.empty() || kMarkets[r->core.market].code == market) && state_is(*r, states))
      v.push_back(r);
  }
  return json_reply(list(std::move(v), asc, 0, static_cast<std::size_t>(limit)));
}

RestReply RestApi::orders_uuids(const QueryParams& p) {
  std::string market;
  bool asc = false;
  if (auto e = market_and_order(p, market, asc); e.status != 200) return e;
  const auto uuids = values(p, "uuids[]");
  const auto ids = values(p, "identifiers[]");
  if (uuids.empty() == ids.empty()) return validation("give either uuids[] or identifiers[]");
  if (uuids.size() > 100 || ids.size() > 100) return validation("at most 100 uuids or identifiers");
  std::vector<const OrderRecord*> v;
  for (auto u : uuids) {
    Uuid id;
    if (!Uuid::parse(u, id)) return validation("uuids[] holds a value that is not a UUID");
    if (const auto* r = sim_.book().find(id)) v.push_back(r);
  }
  for (auto i : ids) {
    if (const auto* r = sim_.book().find_identifier(i)) v.push_back(r);
  }
  std::erase_if(v, [&](const OrderRecord* r) {
    return !market.empty() && kMarkets[r->core.market].code != market;
  });
  std::sort(v.begin(), v.end(), [](const OrderRecord* a, const OrderRecord* b) {
    return a->core.created_ms < b->core.created_ms;
  });
  return json_reply(list(std::move(v), asc, 0, 100));
}

RestReply RestApi::accounts() {
  const J truth = J::parse(sim_.truth_json(false));
  J out = J::array();
  for (const auto& a : truth["accounts"]) {
    J row = a;
    std::string avg = "0";
    if (a["currency"] != "KRW") {
      for (const auto& m : truth["markets"]) {
        if (m["market"] == "KRW-" + a["currency"].get<std::string>()) {
          avg = fx_to_string(static_cast<Fx>(m["avg_cost_gross"].get<double>() * 1e8));
        }
      }
    }
    row["avg_buy_price"] = avg;
    row["avg_buy_price_modified"] = false;
    row["unit_currency"] = "KRW";
    out.push_back(row);
  }
  return json_reply(out);
}

}  // namespace fillwire::sim
