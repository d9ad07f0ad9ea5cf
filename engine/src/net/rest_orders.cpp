#include "fillwire/detail/rest_orders.hpp"

#include "fillwire/safe_text.hpp"

#include <simdjson.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>
#include <unordered_set>

namespace fillwire {
namespace {

bool digits(std::string_view s, std::size_t pos, std::size_t n, int& out) noexcept {
  if (pos + n > s.size()) return false;
  out = 0;
  for (std::size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    out = out * 10 + (s[i] - '0');
  }
  return true;
}

// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil).
std::int64_t days_from_civil(int y, int m, int d) noexcept {
  y -= m <= 2;
  const int era = (y >= 0 ? y : y - 399) / 400;
  const int yoe = y - era * 400;
  const int doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return static_cast<std::int64_t>(era) * 146097 + doe - 719468;
}

class OrderReader {
 public:
  OrderReader(simdjson::dom::object obj, std::size_t index) : obj_(obj), index_(index) {}

  // A decimal given as a string (or, tolerated, as a number). Absent/null leaves the bit clear.
  bool decimal(const char* key, Field f, double& out, OrderEvent& e) {
    simdjson::dom::element v;
    if (obj_[key].get(v) != simdjson::SUCCESS || v.is_null()) return true;
    if (v.is_string()) {
      std::string_view s;
      if (v.get_string().get(s) != simdjson::SUCCESS) return fail(key, "not a decimal");
      const auto r = std::from_chars(s.data(), s.data() + s.size(), out);
      if (r.ec != std::errc{} || r.ptr != s.data() + s.size()) return fail(key, "not a decimal");
      // from_chars also reads "nan" and "inf", which no amount is (and the stream cannot carry).
      if (!std::isfinite(out)) return fail(key, "not a finite decimal");
    } else if (v.get_double().get(out) != simdjson::SUCCESS) {
      return fail(key, "not a decimal");
    }
    e.present |= field_bit(f);
    return true;
  }

  bool text(const char* key, std::string_view& out, bool required) {
    simdjson::dom::element v;
    if (obj_[key].get(v) != simdjson::SUCCESS || v.is_null()) {
      return required ? fail(key, "missing") : (out = {}, true);
    }
    if (v.get_string().get(out) != simdjson::SUCCESS) return fail(key, "not a string");
    return true;
  }

  bool fail(const char* key, const char* why) {
    error = "order " + std::to_string(index_) + ": field '" + key + "' " + why;
    return false;
  }

  simdjson::dom::object obj() const { return obj_; }
  std::string error;

 private:
  simdjson::dom::object obj_;
  std::size_t index_;
};

bool read_order(simdjson::dom::object obj, std::size_t index, std::int64_t as_of_ms, OrderEvent& e,
                std::string& error) {
  std::memset(&e, 0, sizeof e);
  e.kind = EventKind::order;
  e.origin = EventOrigin::resync;
  e.type_known = 1;
  e.timestamp = as_of_ms;
  e.present = field_bit(Field::type) | field_bit(Field::timestamp);
  OrderReader r(obj, index);
  std::string_view s;

  const auto finish = [&](bool ok) {
    if (!ok) error = r.error;
    return ok;
  };
  if (!r.text("uuid", s, true)) return finish(false);
  if (!Uuid::parse(s, e.uuid)) return finish(r.fail("uuid", "not a UUID"));
  e.present |= field_bit(Field::uuid);
  if (!r.text("market", s, true)) return finish(false);
  if (!e.code.assign(s)) return finish(r.fail("market", "too long"));
  e.present |= field_bit(Field::code);
  if (!r.text("side", s, true)) return finish(false);
  if (s == "bid") {
    e.ask_bid = Side::bid;
  } else if (s == "ask") {
    e.ask_bid = Side::ask;
  } else {
    return finish(r.fail("side", "not bid/ask"));
  }
  e.present |= field_bit(Field::ask_bid);
  if (!r.text("ord_type", s, true)) return finish(false);
  if (!enum_from(s, kOrderTypeNames, e.order_type)) return finish(r.fail("ord_type", "unknown"));
  e.present |= field_bit(Field::order_type);
  if (!r.text("state", s, true)) return finish(false);
  if (!enum_from(s, kStateNames, e.state)) return finish(r.fail("state", "unknown"));
  e.present |= field_bit(Field::state);
  if (!r.text("created_at", s, false)) return finish(false);
  if (!s.empty()) {
    if (!parse_iso8601_ms(s, e.order_timestamp))
      return finish(r.fail("created_at", "not ISO 8601"));
    e.present |= field_bit(Field::order_timestamp);
  }
  if (!r.text("time_in_force", s, false)) return finish(false);
  if (!s.empty()) {
    if (!enum_from(s, kTimeInForceNames, e.time_in_force)) {
      return finish(r.fail("time_in_force", "unknown"));
    }
    e.present |= field_bit(Field::time_in_force);
  }
  if (!r.text("smp_type", s, false)) return finish(false);
  if (!s.empty()) {
    if (!enum_from(s, kSmpTypeNames, e.smp_type)) return finish(r.fail("smp_type", "unknown"));
    e.present |= field_bit(Field::smp_type);
  }
  if (!r.text("identifier", s, false)) return finish(false);
  if (!s.empty()) {
    e.identifier.assign(s);  // a long one is cut and hashed whole, as on the stream
    e.present |= field_bit(Field::identifier);
  }

  const bool numbers_ok =
      r.decimal("price", Field::price, e.price, e) &&
      r.decimal("volume", Field::volume, e.volume, e) &&
      r.decimal("remaining_volume", Field::remaining_volume, e.remaining_volume, e) &&
      r.decimal("reserved_fee", Field::reserved_fee, e.reserved_fee, e) &&
      r.decimal("remaining_fee", Field::remaining_fee, e.remaining_fee, e) &&
      r.decimal("paid_fee", Field::paid_fee, e.paid_fee, e) &&
      r.decimal("locked", Field::locked, e.locked, e) &&
      r.decimal("executed_volume", Field::executed_volume, e.executed_volume, e) &&
      r.decimal("executed_funds", Field::executed_funds, e.executed_funds, e) &&
      r.decimal("prevented_volume", Field::prevented_volume, e.prevented_volume, e) &&
      r.decimal("prevented_locked", Field::prevented_locked, e.prevented_locked, e);
  if (!numbers_ok) return finish(false);
  // Upbit's REST order states are wait, watch, done and cancel: an order that self-match
  // prevention ended is a `cancel` there, with prevented_volume > 0 and nothing left
  // (remaining_volume 0), where the stream said `prevented` (PROTOCOL.md §4). The stream stays the
  // authority: a `prevented` it delivered is final and this snapshot comes after it. Only when its
  // event was missed does the order's end come from REST, and then it takes the stream's name, so
  // that the account records the same outcome either way. A `cancel` with volume left is a
  // cancel (e.g. of an order that SMP only reduced); an amount-based order, whose REST object has
  // no remaining_volume, keeps `cancel`.
  if (e.state == OrderState::cancel && e.has(Field::prevented_volume) && e.prevented_volume > 0.0 &&
      e.has(Field::remaining_volume) && e.remaining_volume == 0.0) {
    e.state = OrderState::prevented;
  }

  simdjson::dom::element tc;
  if (obj["trades_count"].get(tc) == simdjson::SUCCESS && !tc.is_null()) {
    std::int64_t n = 0;
    if (tc.get_int64().get(n) != simdjson::SUCCESS || n < 0 || n > UINT32_MAX) {
      return finish(r.fail("trades_count", "not a count"));
    }
    e.trades_count = static_cast<std::uint32_t>(n);
    e.present |= field_bit(Field::trades_count);
  }
  // A market order's REST object may omit executed figures before any fill: they are zero.
  e.present |= field_bit(Field::executed_volume) | field_bit(Field::executed_funds) |
               field_bit(Field::paid_fee) | field_bit(Field::trades_count);
  return true;
}

}  // namespace

bool parse_iso8601_ms(std::string_view s, std::int64_t& out) noexcept {
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, sec = 0;
  if (!digits(s, 0, 4, y) || s.size() < 19 || s[4] != '-' || !digits(s, 5, 2, mo) || s[7] != '-' ||
      !digits(s, 8, 2, d) || (s[10] != 'T' && s[10] != ' ') || !digits(s, 11, 2, h) ||
      s[13] != ':' || !digits(s, 14, 2, mi) || s[16] != ':' || !digits(s, 17, 2, sec)) {
    return false;
  }
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60) return false;
  std::size_t pos = 19;
  int ms = 0;
  if (pos < s.size() && s[pos] == '.') {
    ++pos;
    int scale = 100;
    const std::size_t start = pos;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
      ms += (s[pos] - '0') * scale;
      scale /= 10;
      ++pos;
    }
    if (pos == start) return false;
  }
  int offset_min = 0;
  if (pos < s.size() && (s[pos] == 'Z' || s[pos] == 'z')) {
    ++pos;
  } else if (pos < s.size() && (s[pos] == '+' || s[pos] == '-')) {
    int oh = 0, om = 0;
    if (!digits(s, pos + 1, 2, oh)) return false;
    std::size_t next = pos + 3;
    if (next < s.size() && s[next] == ':') ++next;
    if (!digits(s, next, 2, om)) return false;
    offset_min = (oh * 60 + om) * (s[pos] == '-' ? -1 : 1);
    pos = next + 2;
  }
  if (pos != s.size()) return false;
  const std::int64_t days = days_from_civil(y, mo, d);
  const std::int64_t seconds = days * 86400 + h * 3600 + mi * 60 + sec - offset_min * 60;
  out = seconds * 1000 + ms;
  return true;
}

namespace {

// Server error names are short words ("jwt_verification"); anything longer is cut.
constexpr std::size_t kErrorNameCap = 64;

// An {"error":{...}} answer as text, or empty. The server's words are quoted (safe_text.hpp):
// capped, escaped, tokens redacted, since this text goes into notices and the log.
std::string server_error(simdjson::dom::element root) {
  simdjson::dom::object err;
  if (root["error"].get_object().get(err) != simdjson::SUCCESS) return {};
  std::string_view name = "unknown";
  std::string_view message;
  if (err["name"].get_string().get(name) != simdjson::SUCCESS) name = "unknown";
  if (err["message"].get_string().get(message) != simdjson::SUCCESS) message = {};
  return "server error " + quote_server_text(name, kErrorNameCap) + ": " +
         quote_server_text(message);
}

// A required decimal (a JSON string, or tolerated, a number) into `out`: nullptr when read, else
// why not ("missing", "not a decimal"). Its range is the caller's to check.
const char* required_decimal(simdjson::dom::object obj, const char* key, double& out) {
  simdjson::dom::element v;
  if (obj[key].get(v) != simdjson::SUCCESS || v.is_null()) return "missing";
  std::string_view s;
  if (v.get_string().get(s) == simdjson::SUCCESS) {
    const auto r = std::from_chars(s.data(), s.data() + s.size(), out);
    if (r.ec != std::errc{} || r.ptr != s.data() + s.size()) return "not a decimal";
  } else if (v.get_double().get(out) != simdjson::SUCCESS) {
    return "not a decimal";
  }
  return nullptr;
}

bool read_trade(simdjson::dom::object obj, std::size_t index, RestTrade& t, std::string& error) {
  const auto fail = [&](const char* key, const char* why) {
    error = "trade " + std::to_string(index) + ": field '" + key + "' " + why;
    return false;
  };
  const auto text = [&](const char* key, std::string_view& out) {
    return obj[key].get_string().get(out) == simdjson::SUCCESS;
  };
  const auto decimal = [&](const char* key, double& out) {
    if (const char* why = required_decimal(obj, key, out)) return fail(key, why);
    if (!(out >= 0.0) || !std::isfinite(out)) return fail(key, "not a decimal");
    return true;
  };
  std::string_view s;
  if (!text("uuid", s)) return fail("uuid", "missing");
  if (!Uuid::parse(s, t.uuid)) return fail("uuid", "not a UUID");
  if (!text("side", s)) return fail("side", "missing");
  if (s == "bid") {
    t.side = Side::bid;
  } else if (s == "ask") {
    t.side = Side::ask;
  } else {
    return fail("side", "not bid/ask");
  }
  if (!text("created_at", s)) return fail("created_at", "missing");
  if (!parse_iso8601_ms(s, t.time_ms)) return fail("created_at", "not ISO 8601");
  return decimal("price", t.price) && decimal("volume", t.volume) && decimal("funds", t.funds);
}

}  // namespace

struct RestOrdersParser::Impl {
  simdjson::dom::parser parser;
  std::unique_ptr<char[]> padded;  // the body copied with simdjson's padding after it
  std::size_t room = 0;
  RestParseResult orders;

  simdjson::simdjson_result<simdjson::dom::element> parse(std::string_view body) {
    if (body.size() + simdjson::SIMDJSON_PADDING > room) {
      room = body.size() + simdjson::SIMDJSON_PADDING;
      padded.reset(new char[room]);
    }
    std::memcpy(padded.get(), body.data(), body.size());
    std::memset(padded.get() + body.size(), 0, simdjson::SIMDJSON_PADDING);
    return parser.parse(padded.get(), body.size(), /*realloc_if_needed=*/false);
  }

  // The answer's root, or false with `error` set: not JSON, or an error answer
  // ({"error":{"name":...,"message":...}}), which is reported as such, not as an order.
  bool parse_answer(std::string_view body, simdjson::dom::element& root, std::string& error) {
    if (const auto ec = parse(body).get(root)) {
      error = std::string("response is not JSON: ") + simdjson::error_message(ec);
      return false;
    }
    error = server_error(root);
    return error.empty();
  }
};

RestOrdersParser::RestOrdersParser() : impl_(std::make_unique<Impl>()) {}
RestOrdersParser::~RestOrdersParser() = default;

RestOrderTrades parse_rest_order_trades(std::string_view body, std::int64_t as_of_ms) {
  return RestOrdersParser().order_trades(body, as_of_ms);
}

RestParseResult parse_rest_orders(std::string_view body, std::int64_t as_of_ms) {
  RestOrdersParser parser;
  return parser.orders(body, as_of_ms);  // a copy: this parser's buffers go with it
}

RestOrderTrades RestOrdersParser::order_trades(std::string_view body, std::int64_t as_of_ms) {
  RestOrderTrades result;
  simdjson::dom::element root;
  if (!impl_->parse_answer(body, root, result.error)) return result;
  simdjson::dom::object obj;
  if (root.get_object().get(obj) != simdjson::SUCCESS) {
    result.error = "not an order object";
    return result;
  }
  if (!read_order(obj, 0, as_of_ms, result.order, result.error)) return result;
  simdjson::dom::array trades;
  if (obj["trades"].get_array().get(trades) != simdjson::SUCCESS) {
    result.error = "order has no trades[]";
    return result;
  }
  std::size_t index = 0;
  for (simdjson::dom::element el : trades) {
    simdjson::dom::object t;
    RestTrade trade;
    if (el.get_object().get(t) != simdjson::SUCCESS) {
      result.error = "trade " + std::to_string(index) + ": not an object";
    } else if (read_trade(t, index, trade, result.error)) {
      std::string_view market;
      if (t["market"].get_string().get(market) == simdjson::SUCCESS &&
          market != result.order.code.view()) {
        result.error = "trade " + std::to_string(index) + ": field 'market' is not the order's";
      }
    }
    if (!result.ok()) {
      result.trades.clear();
      return result;
    }
    result.trades.push_back(trade);
    ++index;
  }
  return result;
}

TradeEventsResult trade_events(const RestOrderTrades& r) {
  TradeEventsResult out;
  const OrderEvent& o = r.order;
  if (r.trades.size() != o.trades_count) {
    out.error = "trades[] holds " + std::to_string(r.trades.size()) + " trades, trades_count is " +
                std::to_string(o.trades_count);
    return out;
  }
  double total_funds = 0.0;
  for (const RestTrade& t : r.trades) {
    if (t.side != o.ask_bid) {
      out.error = "trade " + t.uuid.to_string() + " is on the other side";
      return out;
    }
    total_funds += t.funds;
  }
  // The order's own fields that stay true trade by trade; the terms that change with each trade
  // (remaining, locked, fees reserved, average price) are left out, but for the last trade's
  // lock.
  constexpr std::uint32_t kKept = kRequiredFields | field_bit(Field::identifier) |
                                  field_bit(Field::time_in_force) | field_bit(Field::smp_type) |
                                  field_bit(Field::order_timestamp);
  double volume = 0.0;
  double funds = 0.0;
  double fee = 0.0;
  for (std::size_t k = 0; k < r.trades.size(); ++k) {
    const RestTrade& t = r.trades[k];
    const bool last = k + 1 == r.trades.size();
    OrderEvent e = o;
    e.present = (o.present & kKept) | field_bit(Field::price) | field_bit(Field::volume) |
                field_bit(Field::trade_uuid) | field_bit(Field::trade_fee) |
                field_bit(Field::trade_timestamp);
    e.state = OrderState::trade;
    e.stream_type = StreamType::unknown;
    e.price = t.price;
    e.volume = t.volume;
    e.trade_uuid = t.uuid;
    e.trade_timestamp = t.time_ms;
    e.timestamp = t.time_ms;
    e.trades_count = static_cast<std::uint32_t>(k + 1);
    volume += t.volume;
    funds += t.funds;
    const double fee_after =
        last ? o.paid_fee : (total_funds > 0.0 ? o.paid_fee * (funds / total_funds) : 0.0);
    e.executed_volume = last ? o.executed_volume : std::min(volume, o.executed_volume);
    e.executed_funds = last ? o.executed_funds : std::min(funds, o.executed_funds);
    e.paid_fee = std::max(fee, std::min(fee_after, o.paid_fee));
    e.trade_fee = e.paid_fee - fee;
    fee = e.paid_fee;
    e.reserved_fee = e.remaining_fee = e.remaining_volume = e.avg_price = e.locked = 0.0;
    e.prevented_volume = e.prevented_locked = 0.0;
    // After the last trade the order locks what the answer says (a balance is reconciled with
    // the lock: without it the lock these fills released would be implied only by the order's
    // next event, perhaps after the balance that showed it has settled as a drift).
    if (last && o.has(Field::locked)) {
      e.locked = o.locked;
      e.present |= field_bit(Field::locked);
    }
    out.events.push_back(e);
  }
  return out;
}

const RestParseResult& RestOrdersParser::orders(std::string_view body, std::int64_t as_of_ms) {
  RestParseResult& result = impl_->orders;
  result.orders.clear();
  result.error.clear();
  simdjson::dom::element root;
  if (!impl_->parse_answer(body, root, result.error)) return result;
  const auto one = [&](simdjson::dom::element el, std::size_t index) {
    simdjson::dom::object obj;
    if (el.get_object().get(obj) != simdjson::SUCCESS) {
      result.error = "order " + std::to_string(index) + ": not an object";
      return false;
    }
    OrderEvent e;
    if (!read_order(obj, index, as_of_ms, e, result.error)) return false;
    result.orders.push_back(e);
    return true;
  };
  simdjson::dom::array arr;
  if (root.get_array().get(arr) == simdjson::SUCCESS) {
    std::size_t index = 0;
    for (simdjson::dom::element el : arr) {
      if (!one(el, index++)) {
        result.orders.clear();  // all or nothing: a resync never applies half an answer
        return result;
      }
    }
  } else if (!one(root, 0)) {
    result.orders.clear();
  }
  return result;
}

namespace {

bool read_account(simdjson::dom::object obj, std::size_t index, AssetEvent& a, std::string& error) {
  const auto fail = [&](const char* key, const char* why) {
    error = "account " + std::to_string(index) + ": field '" + key + "' " + why;
    return false;
  };
  const auto decimal = [&](const char* key, double& out) {
    if (const char* why = required_decimal(obj, key, out)) return fail(key, why);
    // A negative figure is the exchange's to show (AccountState counts it), not a reason to
    // refuse the whole account.
    if (!std::isfinite(out)) return fail(key, "not a finite decimal");
    return true;
  };
  std::string_view currency;
  if (obj["currency"].get_string().get(currency) != simdjson::SUCCESS)
    return fail("currency", "missing");
  if (currency.empty()) return fail("currency", "empty");
  if (!a.currency.assign(currency)) return fail("currency", "too long");
  if (!decimal("balance", a.balance) || !decimal("locked", a.locked)) return false;
  a.present |= asset_field_bit(AssetField::currency) | asset_field_bit(AssetField::balance) |
               asset_field_bit(AssetField::locked);
  return true;
}

}  // namespace

RestAccountsResult parse_rest_accounts(std::string_view body, std::int64_t as_of_ms) {
  RestOrdersParser parser;
  return parser.accounts(body, as_of_ms);
}

RestAccountsResult RestOrdersParser::accounts(std::string_view body, std::int64_t as_of_ms) {
  RestAccountsResult result;
  simdjson::dom::element root;
  if (!impl_->parse_answer(body, root, result.error)) return result;
  simdjson::dom::array rows;
  if (root.get_array().get(rows) != simdjson::SUCCESS) {
    result.error = "not a list of accounts";
    return result;
  }
  const std::size_t count = rows.size();
  if (count > UINT16_MAX) {
    result.error = "more than " + std::to_string(UINT16_MAX) + " currencies";
    return result;
  }
  result.assets.reserve(count);
  std::unordered_set<std::string> seen;
  std::size_t index = 0;
  for (simdjson::dom::element row : rows) {
    simdjson::dom::object obj;
    if (row.get_object().get(obj) != simdjson::SUCCESS) {
      result.error = "account " + std::to_string(index) + ": not an object";
      break;
    }
    AssetEvent a = make_asset_event(EventOrigin::resync);
    a.type_known = 1;
    a.asset_timestamp = as_of_ms;
    a.timestamp = as_of_ms;
    a.stream_type = StreamType::snapshot;
    a.index = static_cast<std::uint16_t>(index);
    a.count = static_cast<std::uint16_t>(count);
    a.present = asset_field_bit(AssetField::type) | asset_field_bit(AssetField::assets) |
                asset_field_bit(AssetField::asset_timestamp) |
                asset_field_bit(AssetField::timestamp) | asset_field_bit(AssetField::stream_type);
    if (!read_account(obj, index, a, result.error)) break;
    if (!seen.insert(std::string(a.currency.view())).second) {
      result.error = "account " + std::to_string(index) + ": currency '" +
                     printable(a.currency.view()) + "' listed twice";
      break;
    }
    result.assets.push_back(a);
    ++index;
  }
  if (!result.error.empty()) result.assets.clear();
  return result;
}

}  // namespace fillwire
