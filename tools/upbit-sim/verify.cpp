#include "verify.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <sstream>

#include "fillwire/detail/rest_orders.hpp"

namespace fillwire::sim {
namespace {

bool close_to(double a, double b) {
  return std::fabs(a - b) <= 1e-9 * std::max({1.0, std::fabs(a), std::fabs(b)});
}

std::string compare(const std::string& truth_json, const AccountState& state, bool check_pnl);

}  // namespace

std::string differences(const std::string& truth_json, const AccountState& state, bool check_pnl) {
  try {
    return compare(truth_json, state, check_pnl);
  } catch (const std::exception& e) {
    return std::string("truth is not as expected: ") + e.what() + "\n";
  }
}

namespace {

std::string compare(const std::string& truth_json, const AccountState& state, bool check_pnl) {
  std::ostringstream out;
  nlohmann::json truth;
  try {
    truth = nlohmann::json::parse(truth_json);
  } catch (const nlohmann::json::exception& e) {
    return std::string("truth does not parse: ") + e.what() + "\n";
  }
  if (!truth.contains("orders") || !truth.contains("markets"))
    return "truth has no orders or markets (ask for it with orders)\n";
  const auto orders = parse_rest_orders(truth["orders"].dump(), 0);
  if (!orders.ok()) return "truth orders do not parse: " + orders.error + "\n";
  std::size_t checked = 0;
  std::size_t missing = 0;
  for (const OrderEvent& t : orders.orders) {
    const Order* o = state.find_order(t.uuid);
    if (o == nullptr) {
      if (++missing <= 5) out << "order " << t.uuid.to_string() << " missing\n";
      continue;
    }
    ++checked;
    const bool t_terminal = is_terminal(t.state);
    if (o->terminal != t_terminal || (t_terminal && o->state != t.state)) {
      out << "order " << t.uuid.to_string() << " state " << to_string(o->state) << " vs "
          << to_string(t.state) << "\n";
    }
    if (!close_to(o->executed_volume, t.executed_volume) ||
        !close_to(o->executed_funds, t.executed_funds) || !close_to(o->paid_fee, t.paid_fee)) {
      out << "order " << t.uuid.to_string() << " fills " << o->executed_volume << "/"
          << o->executed_funds << "/" << o->paid_fee << " vs " << t.executed_volume << "/"
          << t.executed_funds << "/" << t.paid_fee << "\n";
    }
  }
  if (missing > 0) out << missing << " of " << orders.orders.size() << " orders missing\n";
  if (checked == 0) out << "no orders checked\n";
  for (const auto& m : truth["markets"]) {
    const std::string code = m["market"];
    const Position* p = state.position(code);
    const double truth_position = std::stod(m["position"].get<std::string>());
    if (p == nullptr) {
      if (truth_position != 0 || m["trades"].get<std::uint64_t>() != 0) {
        out << code << " missing\n";
      }
      continue;
    }
    const auto check = [&](const char* what, double ours, double theirs) {
      if (!close_to(ours, theirs))
        out << code << " " << what << " " << ours << " vs " << theirs << "\n";
    };
    // Net position: volume with a known cost minus volume sold before its buy was seen.
    check("position", p->base_volume - p->unattributed_volume, truth_position);
    check("fees", p->fees_paid, std::stod(m["fees"].get<std::string>()));
    check("bought notional", p->bought_notional, std::stod(m["bought_funds"].get<std::string>()));
    check("sold notional", p->sold_notional, std::stod(m["sold_funds"].get<std::string>()));
    check("bought volume", p->bought_volume, std::stod(m["bought_volume"].get<std::string>()));
    check("sold volume", p->sold_volume, std::stod(m["sold_volume"].get<std::string>()));
    if (check_pnl) {
      check("realized gross", p->realized_gross, m["realized_pnl_gross"].get<double>());
      check("realized net", p->realized_net, m["realized_pnl_net"].get<double>());
      check("unattributed", p->unattributed_volume, 0.0);
    }
  }
  return out.str();
}

}  // namespace
}  // namespace fillwire::sim
