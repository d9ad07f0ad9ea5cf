#include "fillwire/account_config.hpp"

#include <cmath>
#include <set>
#include <stdexcept>
#include <string>

#include "fillwire/detail/market_table.hpp"
#include "fillwire/order_event.hpp"

namespace fillwire {
namespace {

constexpr std::size_t kMaxPendingDeltas = std::size_t{1} << 16;

void require_capacity(std::size_t value, const char* name) {
  if (value == 0) throw std::invalid_argument(std::string("AccountConfig: ") + name + " is 0");
}

void require_capacity(std::size_t value, const char* name, std::size_t most) {
  require_capacity(value, name);
  if (value > most) {
    throw std::invalid_argument(std::string("AccountConfig: ") + name + " is " +
                                std::to_string(value) + " (at most " + std::to_string(most) + ")");
  }
}

void require_number(double value, const std::string& what) {
  if (!std::isfinite(value) || value < 0.0) {
    throw std::invalid_argument("AccountConfig: " + what + " is " + std::to_string(value) +
                                " (must be finite and >= 0)");
  }
}

}  // namespace

void AccountConfig::validate() const {
  require_capacity(open_orders, "open_orders");
  require_capacity(completed_orders, "completed_orders");
  require_capacity(markets, "markets", MarketTable::kMaxCapacity);
  require_capacity(currencies, "currencies", MarketTable::kMaxCapacity);
  require_capacity(pending_deltas, "pending_deltas", kMaxPendingDeltas);
  if (drift_settle_ms < 0) {
    throw std::invalid_argument("AccountConfig: drift_settle_ms is " +
                                std::to_string(drift_settle_ms) + " (must be >= 0)");
  }
  require_number(fee_rate, "fee_rate");
  if (holdings.size() > markets) {
    throw std::invalid_argument("AccountConfig: " + std::to_string(holdings.size()) +
                                " starting holdings for " + std::to_string(markets) + " markets");
  }
  std::set<std::string> seen;
  for (const StartingHolding& h : holdings) {
    if (h.market.empty() || h.market.size() > MarketCode::kCapacity) {
      throw std::invalid_argument("AccountConfig: holding market '" + h.market + "' must be 1.." +
                                  std::to_string(MarketCode::kCapacity) + " characters");
    }
    if (!seen.insert(h.market).second) {
      throw std::invalid_argument("AccountConfig: holding market '" + h.market + "' given twice");
    }
    require_number(h.volume, "holding " + h.market + " volume");
    require_number(h.avg_cost, "holding " + h.market + " avg_cost");
    if (h.avg_cost_net) require_number(*h.avg_cost_net, "holding " + h.market + " avg_cost_net");
  }
}

}  // namespace fillwire
