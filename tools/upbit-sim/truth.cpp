#include "truth.hpp"

#include <nlohmann/json.hpp>

#include <cstring>

#include "order_book.hpp"
#include "rest.hpp"

namespace fillwire::sim {

std::string int128_to_fx_string(I128 v) {
  const bool neg = v < 0;
  auto mag = neg ? -static_cast<U128>(v) : static_cast<U128>(v);
  const auto frac = static_cast<Fx>(mag % kFxOne);
  mag /= kFxOne;
  std::string whole;
  do {
    whole.insert(whole.begin(), static_cast<char>('0' + static_cast<int>(mag % 10)));
    mag /= 10;
  } while (mag != 0);
  std::string f = fx_to_string(frac);  // "0.xxx"
  return (neg ? "-" : "") + whole + f.substr(1);
}

void Truth::apply(const Emission& e) {
  ++events_;
  ++by_state_[static_cast<std::size_t>(e.event.state)];
  const OrderCore& o = e.order;
  if (e.has_trade) {
    MarketTruth& m = markets_[o.market];
    const TradeRecord& t = e.trade;
    if (m.trades > 0) {
      const int by_order =
          std::memcmp(o.uuid.bytes.data(), m.last_fill_order.bytes.data(), o.uuid.bytes.size());
      const bool after = t.timestamp != m.last_fill_ms
                             ? t.timestamp > m.last_fill_ms
                             : (by_order != 0 ? by_order > 0 : o.trades_count > m.last_fill_trade);
      if (!after) ++fills_out_of_order_;
    }
    m.last_fill_ms = t.timestamp;
    m.last_fill_order = o.uuid;
    m.last_fill_trade = o.trades_count;
    ++m.trades;
    if (t.maker) ++m.maker_trades;
    m.fees += t.fee;
    if (o.side == Side::bid) {
      m.position += t.volume;
      m.bought_volume += t.volume;
      m.bought_funds += t.funds;
      m.cost_gross += static_cast<long double>(t.funds);
      m.cost_net += static_cast<long double>(t.funds + t.fee);
      krw_ -= t.funds + t.fee;
    } else {
      const long double v = static_cast<long double>(t.volume);
      const long double pos = static_cast<long double>(m.position);
      const long double avg_gross = pos > 0 ? m.cost_gross / pos : 0;
      const long double avg_net = pos > 0 ? m.cost_net / pos : 0;
      m.realized_gross += static_cast<long double>(t.funds) - v * avg_gross;
      m.realized_net += static_cast<long double>(t.funds - t.fee) - v * avg_net;
      m.cost_gross -= v * avg_gross;
      m.cost_net -= v * avg_net;
      m.position -= t.volume;
      m.sold_volume += t.volume;
      m.sold_funds += t.funds;
      krw_ += t.funds - t.fee;
      if (m.position == 0) {
        m.cost_gross = 0;
        m.cost_net = 0;
      }
    }
  }
  // An order is new when first seen; it leaves the open set at its final event.
  const bool first = open_.find(o.uuid) == open_.end();
  if (first) ++orders_;
  if (is_terminal(e.event.state)) {
    if (!first) open_.erase(o.uuid);
    switch (e.event.state) {
      case OrderState::done:
        ++outcomes_.done;
        break;
      case OrderState::cancel:
        ++(o.executed > 0 ? outcomes_.cancel_partial : outcomes_.cancel_unfilled);
        break;
      case OrderState::prevented:
        ++outcomes_.prevented;
        if (o.executed > 0) ++outcomes_.prevented_partial;
        break;
      default:
        break;
    }
  } else if (first) {
    open_.insert(o.uuid);
  }
}

void Truth::apply_move(const ExternalMove& m) {
  (m.amount > 0 ? deposited_[m.currency] : withdrawn_[m.currency]) +=
      m.amount > 0 ? m.amount : -m.amount;
  ++moves_total_;
  if (max_moves_ == 0) {
    ++moves_forgotten_;
    return;
  }
  if (moves_.size() == max_moves_) {
    moves_.pop_front();
    ++moves_forgotten_;
  }
  moves_.push_back(m);
}

void Truth::report(const AssetUpdate& frame) {
  for (std::size_t i = 0; i < frame.count; ++i) {
    ReportedAsset& r = reported_[frame.items[i].currency];
    r.balance = frame.items[i].balance;
    r.asset_uuid = frame.asset_uuid;
    r.asset_timestamp = frame.timestamp_ms;
    r.sent = true;
  }
}

TruthSnapshot TruthSnapshot::take(const Truth& truth, const OrderBook& book, std::uint64_t digest,
                                  bool with_orders) {
  TruthSnapshot t;
  t.truth = truth;
  t.digest = digest;
  for (const auto* r : book.open_orders()) {
    if (r->core.side == Side::bid)
      t.krw_locked += r->core.locked;
    else
      t.base_locked[r->core.market] += r->core.locked;
  }
  t.with_orders = with_orders;
  if (with_orders) {
    const auto all = book.all_orders();
    t.orders.reserve(all.size());
    for (const auto* r : all)
      t.orders.push_back(*r);
    t.orders_forgotten = book.forgotten();
  }
  return t;
}

std::string TruthSnapshot::to_json() const {
  using J = nlohmann::ordered_json;
  J j;
  char hex[17];
  for (int i = 0; i < 16; ++i)
    hex[i] = "0123456789abcdef"[(digest >> (60 - 4 * i)) & 15];
  hex[16] = 0;
  j["digest"] = hex;
  j["events"] = truth.events();
  j["order_count"] = truth.orders();
  J by_state = J::object();
  for (std::size_t s = 1; s < std::size(kStateNames); ++s)
    by_state[std::string(kStateNames[s])] = truth.events_in(static_cast<OrderState>(s));
  j["events_by_state"] = by_state;
  const Outcomes& o = truth.outcomes();
  j["outcomes"] = {{"done", o.done},
                   {"cancel_unfilled", o.cancel_unfilled},
                   {"cancel_partial", o.cancel_partial},
                   {"prevented", o.prevented},
                   {"prevented_partial", o.prevented_partial},
                   {"open", truth.open_orders()}};

  auto uuid_text = [](const Uuid& u) {
    char text[Uuid::kTextSize];
    u.format(text);
    return std::string(text, Uuid::kTextSize);
  };
  // Per currency: available and locked now (trading plus external movements), the movements'
  // sums, and the last myAsset frame that showed it (null before the first).
  J accounts = J::array();
  for (std::size_t c = 0; c < kCurrencyCount; ++c) {
    const Fx locked = c == kKrw ? krw_locked : base_locked[c - 1];
    const ReportedAsset& r = truth.reported(c);
    J row = {{"currency", std::string(currency_name(c))},
             {"balance", int128_to_fx_string(truth.total(c) - locked)},
             {"locked", fx_to_string(locked)},
             {"deposited", int128_to_fx_string(truth.deposited(c))},
             {"withdrawn", int128_to_fx_string(truth.withdrawn(c))}};
    row["asset_uuid"] = r.sent ? J(uuid_text(r.asset_uuid)) : J(nullptr);
    row["asset_timestamp"] = r.sent ? J(r.asset_timestamp) : J(nullptr);
    accounts.push_back(std::move(row));
  }
  J moves = J::array();
  for (const ExternalMove& m : truth.moves()) {
    moves.push_back({{"number", m.number},
                     {"currency", std::string(currency_name(m.currency))},
                     {"kind", m.amount > 0 ? "deposit" : "withdrawal"},
                     {"amount", fx_to_string(m.amount)},
                     {"timestamp", m.timestamp_ms},
                     {"asset_uuid", uuid_text(m.asset_uuid)},
                     {"after_event", m.after_event}});
  }
  std::uint64_t trades = 0;
  std::uint64_t maker = 0;
  I128 fees = 0;
  long double gross = 0;
  long double net = 0;
  J markets = J::array();
  for (std::size_t i = 0; i < kMarketCount; ++i) {
    const MarketTruth& m = truth.market(i);
    trades += m.trades;
    maker += m.maker_trades;
    fees += m.fees;
    gross += m.realized_gross;
    net += m.realized_net;
    const long double pos = static_cast<long double>(m.position);
    markets.push_back({{"market", kMarkets[i].code},
                       {"position", fx_to_string(m.position)},
                       {"bought_volume", int128_to_fx_string(m.bought_volume)},
                       {"sold_volume", int128_to_fx_string(m.sold_volume)},
                       {"bought_funds", int128_to_fx_string(m.bought_funds)},
                       {"sold_funds", int128_to_fx_string(m.sold_funds)},
                       {"fees", int128_to_fx_string(m.fees)},
                       {"avg_cost_gross", pos > 0 ? static_cast<double>(m.cost_gross / pos) : 0.0},
                       {"avg_cost_net", pos > 0 ? static_cast<double>(m.cost_net / pos) : 0.0},
                       {"realized_pnl_gross", static_cast<double>(m.realized_gross / kFxOne)},
                       {"realized_pnl_net", static_cast<double>(m.realized_net / kFxOne)},
                       {"trades", m.trades},
                       {"maker_trades", m.maker_trades}});
  }
  j["trades"] = trades;
  j["maker_trades"] = maker;
  j["fills_out_of_trade_order"] = truth.fills_out_of_trade_order();
  j["fees"] = int128_to_fx_string(fees);
  j["realized_pnl_gross"] = static_cast<double>(gross / kFxOne);
  j["realized_pnl_net"] = static_cast<double>(net / kFxOne);
  j["accounts"] = accounts;
  j["external_moves"] = moves;
  j["external_moves_total"] = truth.moves_total();
  j["external_moves_forgotten"] = truth.moves_forgotten();
  j["markets"] = markets;
  if (with_orders) {
    J orders_json = J::array();
    for (const OrderRecord& r : orders)
      orders_json.push_back(order_json(r, true));
    j["orders"] = orders_json;
    j["orders_forgotten"] = orders_forgotten;
  }
  return j.dump();
}

}  // namespace fillwire::sim
