#include "verify.hpp"

#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <map>
#include <sstream>

#include "fillwire/detail/rest_orders.hpp"

namespace fillwire::sim {
namespace {

bool close_to(double a, double b) {
  return std::fabs(a - b) <= 1e-9 * std::max({1.0, std::fabs(a), std::fabs(b)});
}

double number(const nlohmann::json& j, const char* key) {
  return std::stod(j.at(key).get<std::string>());
}

void compare_orders(const nlohmann::json& truth, const AccountState& state, Verdict& v,
                    std::ostream& out);
void compare_markets(const nlohmann::json& truth, const AccountState& state, Verdict& v,
                     std::ostream& out);
void compare_balances(const nlohmann::json& truth, const AccountState& state, Verdict& v,
                      std::ostream& out);
void compare_drifts(const nlohmann::json& truth, const AccountState& state, Verdict& v,
                    std::ostream& out);

}  // namespace

Verdict verify(const std::string& truth_json, const AccountState& state, const Checks& checks) {
  Verdict v;
  v.checks = checks;
  v.checks.drifts = checks.drifts && checks.balances;
  nlohmann::json truth;
  try {
    truth = nlohmann::json::parse(truth_json);
  } catch (const nlohmann::json::exception& e) {
    v.differences = std::string("truth: does not parse: ") + e.what() + "\n";
    return v;
  }
  std::ostringstream out;
  try {
    if (!truth.contains("orders") || !truth.contains("markets")) {
      v.differences = "truth: no orders or markets (ask for it with orders)\n";
      return v;
    }
    compare_orders(truth, state, v, out);
    compare_markets(truth, state, v, out);
    if (v.checks.balances) compare_balances(truth, state, v, out);
    if (v.checks.drifts) compare_drifts(truth, state, v, out);
  } catch (const std::exception& e) {
    out << "truth: not as expected: " << e.what() << "\n";
  }
  v.differences = out.str();
  return v;
}

std::string differences(const std::string& truth_json, const AccountState& state,
                        const Checks& checks) {
  return verify(truth_json, state, checks).differences;
}

std::string describe(const Verdict& v) {
  std::string s =
      fmt::format("{} orders, {} markets{}", v.orders, v.markets, v.checks.pnl ? " with PnL" : "");
  if (v.checks.balances) s += fmt::format(", {} balances", v.currencies);
  if (!v.checks.drifts) return s;
  const std::uint64_t compared = v.moves - v.moves_uncompared;
  if (v.moves == 0) return s + "; no external movements, no drifts";
  s += fmt::format("; {} external movement{}", v.moves, v.moves == 1 ? "" : "s");
  if (v.moves_uncompared > 0)
    s += fmt::format(" ({} before the first balance of its currency)", v.moves_uncompared);
  if (v.drifts == compared) {
    s += compared == 1 ? ", reported as a drift" : ", each reported as a drift";
  } else {
    s += fmt::format(", reported as {} drift{} (movements in one settle window make one)", v.drifts,
                     v.drifts == 1 ? "" : "s");
  }
  if (v.pending > 0) s += fmt::format(", {} still settling at the end", v.pending);
  return s;
}

namespace {

void compare_orders(const nlohmann::json& truth, const AccountState& state, Verdict& v,
                    std::ostream& out) {
  const auto orders = parse_rest_orders(truth["orders"].dump(), 0);
  if (!orders.ok()) {
    out << "truth: orders do not parse: " << orders.error << "\n";
    return;
  }
  std::size_t missing = 0;
  for (const OrderEvent& t : orders.orders) {
    const Order* o = state.find_order(t.uuid);
    if (o == nullptr) {
      if (++missing <= 5) out << "orders: " << t.uuid.to_string() << " missing\n";
      continue;
    }
    ++v.orders;
    const bool t_terminal = is_terminal(t.state);
    if (o->terminal != t_terminal || (t_terminal && o->state != t.state)) {
      out << "orders: " << t.uuid.to_string() << " state " << to_string(o->state) << " vs "
          << to_string(t.state) << "\n";
    }
    if (!close_to(o->executed_volume, t.executed_volume) ||
        !close_to(o->executed_funds, t.executed_funds) || !close_to(o->paid_fee, t.paid_fee)) {
      out << "orders: " << t.uuid.to_string() << " fills " << o->executed_volume << "/"
          << o->executed_funds << "/" << o->paid_fee << " vs " << t.executed_volume << "/"
          << t.executed_funds << "/" << t.paid_fee << "\n";
    }
  }
  if (missing > 0) out << "orders: " << missing << " of " << orders.orders.size() << " missing\n";
  if (v.orders == 0) out << "orders: none checked\n";
}

void compare_markets(const nlohmann::json& truth, const AccountState& state, Verdict& v,
                     std::ostream& out) {
  for (const auto& m : truth["markets"]) {
    const std::string code = m["market"];
    const Position* p = state.position(code);
    const double truth_position = number(m, "position");
    if (p == nullptr) {
      if (truth_position != 0 || m["trades"].get<std::uint64_t>() != 0) {
        out << "positions: " << code << " missing\n";
      }
      continue;
    }
    ++v.markets;
    const auto check = [&](const char* what, double ours, double theirs) {
      if (!close_to(ours, theirs))
        out << "positions: " << code << " " << what << " " << ours << " vs " << theirs << "\n";
    };
    // Net position: volume with a known cost minus volume sold before its buy was seen.
    check("position", p->base_volume - p->unattributed_volume, truth_position);
    check("fees", p->fees_paid, number(m, "fees"));
    check("bought notional", p->bought_notional, number(m, "bought_funds"));
    check("sold notional", p->sold_notional, number(m, "sold_funds"));
    check("bought volume", p->bought_volume, number(m, "bought_volume"));
    check("sold volume", p->sold_volume, number(m, "sold_volume"));
    if (v.checks.pnl) {
      check("realized gross", p->realized_gross, m["realized_pnl_gross"].get<double>());
      check("realized net", p->realized_net, m["realized_pnl_net"].get<double>());
      check("unattributed", p->unattributed_volume, 0.0);
    }
  }
}

void compare_balances(const nlohmann::json& truth, const AccountState& state, Verdict& v,
                      std::ostream& out) {
  if (!truth.contains("accounts")) {
    out << "balances: the truth has no accounts\n";
    return;
  }
  std::map<std::string, bool, std::less<>> listed;
  for (const auto& a : truth["accounts"]) {
    const std::string currency = a["currency"];
    listed[currency] = true;
    const double available = number(a, "balance");
    const double locked = number(a, "locked");
    const Balance* b = state.balance(currency);
    const bool reported = b != nullptr && b->reported();
    const double ours_available = reported ? b->available : 0.0;
    const double ours_locked = reported ? b->locked : 0.0;
    ++v.currencies;
    if (!close_to(ours_available, available) || !close_to(ours_locked, locked)) {
      out << "balances: " << currency << " available/locked " << ours_available << "/"
          << ours_locked << " vs " << available << "/" << locked
          << (reported ? "" : " (never reported)") << "\n";
    }
  }
  state.for_each_balance([&](const Balance& b) {
    const std::string_view currency = b.currency.view();
    if (b.reported() && listed.find(currency) == listed.end() &&
        (b.available != 0 || b.locked != 0)) {
      out << "balances: " << currency << " held (" << b.available << "/" << b.locked
          << ") but not in the truth\n";
    }
  });
}

// One currency's side of the drift check.
struct DriftSums {
  std::uint64_t moves = 0;    // compared movements (after the currency's first report)
  std::uint64_t at_edge = 0;  // movements at the first report's millisecond: in it or after it
  double moved = 0.0;         // their amounts
  double moved_at_edge = 0.0;
  double moved_abs = 0.0;  // every movement's absolute amount (for the tolerance)
  std::uint64_t all_moves = 0;
  std::uint64_t drifts = 0;  // pending included
  double drift_total = 0.0;
  double drift_locked = 0.0;
  double tolerance = 0.0;
};

void compare_drifts(const nlohmann::json& truth, const AccountState& state, Verdict& v,
                    std::ostream& out) {
  if (!truth.contains("external_moves")) {
    out << "drifts: the truth has no external_moves\n";
    return;
  }
  v.moves = truth.value("external_moves_total", std::uint64_t{0});
  const auto forgotten = truth.value("external_moves_forgotten", std::uint64_t{0});
  if (forgotten > 0) {
    out << "drifts: not judged: the truth forgot " << forgotten << " of its " << v.moves
        << " external movements (raise the simulator's movements kept)\n";
    return;
  }
  const DriftList& list = state.drifts();
  if (list.total() > list.size()) {
    out << "drifts: not judged: the account reported " << list.total() << " but kept only "
        << list.size() << " (account.drifts)\n";
    return;
  }
  if (state.counters().currencies_unreconciled > 0) {
    out << "drifts: not judged: a currency went unreconciled "
        << state.counters().currencies_unreconciled
        << " time(s) (kept deltas overflowed: account.pending_deltas)\n";
    return;
  }
  std::map<std::string, DriftSums, std::less<>> sums;
  for (const auto& m : truth["external_moves"]) {
    const std::string currency = m["currency"];
    const double amount = number(m, "amount");
    const std::int64_t t = m["timestamp"].get<std::int64_t>();
    const Balance* b = state.balance(currency);
    const std::int64_t baseline = b != nullptr && b->reported() ? b->baseline_ts : 0;
    DriftSums& s = sums[currency];
    ++s.all_moves;
    s.moved_abs += std::fabs(amount);
    if (baseline == 0 || t < baseline) {
      ++v.moves_uncompared;
    } else if (t == baseline) {
      ++s.at_edge;
      s.moved_at_edge += amount;
    } else {
      ++s.moves;
      s.moved += amount;
    }
  }
  const auto add_drift = [&](std::string_view currency, double total, double locked,
                             std::uint32_t deltas) {
    DriftSums& s = sums[std::string(currency)];
    ++s.drifts;
    ++v.drifts;
    s.drift_total += total;
    s.drift_locked += locked;
    const Balance* b = state.balance(currency);
    s.tolerance += balance_tolerance(deltas, b != nullptr ? std::fabs(b->total()) : 0.0);
  };
  for (std::size_t i = 0; i < list.size(); ++i)
    add_drift(list[i].currency.view(), list[i].total, list[i].locked, list[i].deltas);
  state.for_each_balance([&](const Balance& b) {
    if (!b.pending()) return;
    ++v.pending;
    add_drift(b.currency.view(), b.pending_total, b.pending_locked, b.pending_deltas);
  });
  for (auto& [currency, s] : sums) {
    // The tolerance's relative part at the scale of the movements too (balance_tolerance took
    // the account's total).
    s.tolerance += kBalanceDeltaTolerance * static_cast<double>(s.all_moves) +
                   kBalanceRelativeTolerance * s.moved_abs;
    const auto matches = [&](double expected) {
      return std::fabs(s.drift_total - expected) <= s.tolerance;
    };
    if (s.all_moves == 0) {
      out << "drifts: " << currency << " " << s.drifts << " drift(s) of " << s.drift_total
          << " total, " << s.drift_locked << " locked, but no external movement\n";
      continue;
    }
    if (s.drifts > s.moves + s.at_edge) {
      out << "drifts: " << currency << " " << s.drifts << " drifts for " << s.moves + s.at_edge
          << " external movement(s) after its first balance\n";
    }
    if (!matches(s.moved) && !(s.at_edge > 0 && matches(s.moved + s.moved_at_edge))) {
      out << "drifts: " << currency << " drifts total " << s.drift_total
          << " vs external movements " << s.moved;
      if (s.at_edge > 0) out << " (or " << s.moved + s.moved_at_edge << ")";
      out << " (" << s.drifts << " drift(s), " << s.moves + s.at_edge << " movement(s))\n";
    }
    if (std::fabs(s.drift_locked) > s.tolerance) {
      out << "drifts: " << currency << " drifts of locked " << s.drift_locked
          << " (external movements lock nothing)\n";
    }
  }
}

}  // namespace
}  // namespace fillwire::sim
