#include "order_book.hpp"

#include <algorithm>

namespace fillwire::sim {

void OrderBook::apply(const Emission& e) {
  auto [it, inserted] = orders_.try_emplace(e.order.uuid);
  OrderRecord& r = it->second;
  const bool was_open = !inserted && !is_terminal(r.core.state);
  Fx& locked = e.order.side == Side::bid ? locked_krw_ : locked_base_[e.order.market];
  if (!inserted) locked -= r.core.locked;  // a final order's locked is 0
  locked += e.order.locked;
  r.core = e.order;
  if (inserted && !r.core.identifier.empty()) {
    by_identifier_.emplace(std::string(r.core.identifier.view()), r.core.uuid);
  }
  if (e.has_trade) r.trades.push_back(e.trade);
  if (is_terminal(r.core.state) && (inserted || was_open)) {
    closed_.push_back(r.core.uuid);
    while (closed_.size() > max_closed_) {
      const auto old = orders_.find(closed_.front());
      if (old != orders_.end()) {
        if (!old->second.core.identifier.empty()) {
          by_identifier_.erase(std::string(old->second.core.identifier.view()));
        }
        orders_.erase(old);
        ++forgotten_;
      }
      closed_.pop_front();
    }
  }
}

const OrderRecord* OrderBook::find(const Uuid& uuid) const {
  const auto it = orders_.find(uuid);
  return it == orders_.end() ? nullptr : &it->second;
}

const OrderRecord* OrderBook::find_identifier(std::string_view identifier) const {
  const auto it = by_identifier_.find(std::string(identifier));
  return it == by_identifier_.end() ? nullptr : find(it->second);
}

namespace {
void by_creation(std::vector<const OrderRecord*>& v) {
  std::sort(v.begin(), v.end(), [](const OrderRecord* a, const OrderRecord* b) {
    if (a->core.created_ms != b->core.created_ms) return a->core.created_ms < b->core.created_ms;
    return a->core.uuid.bytes < b->core.uuid.bytes;
  });
}
}  // namespace

std::vector<const OrderRecord*> OrderBook::open_orders() const {
  std::vector<const OrderRecord*> v;
  for (const auto& [id, r] : orders_) {
    if (!is_terminal(r.core.state)) v.push_back(&r);
  }
  by_creation(v);
  return v;
}

std::vector<const OrderRecord*> OrderBook::closed_orders() const {
  std::vector<const OrderRecord*> v;
  v.reserve(closed_.size());
  for (const auto& id : closed_) {
    if (const auto* r = find(id)) v.push_back(r);
  }
  by_creation(v);
  return v;
}

std::vector<const OrderRecord*> OrderBook::all_orders() const {
  std::vector<const OrderRecord*> v;
  v.reserve(orders_.size());
  for (const auto& [id, r] : orders_)
    v.push_back(&r);
  by_creation(v);
  return v;
}

}  // namespace fillwire::sim
