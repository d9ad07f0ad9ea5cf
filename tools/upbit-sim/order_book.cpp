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
  // Out of its creation-order index while the new core (its key) is written.
  const bool was_closed = !inserted && !was_open;
  if (was_open) open_.erase(&r);
  if (was_closed) closed_by_creation_.erase(&r);
  r.core = e.order;
  if (was_closed) closed_by_creation_.insert(&r);
  if (inserted && !r.core.identifier.empty()) {
    by_identifier_.emplace(std::string(r.core.identifier.view()), r.core.uuid);
  }
  if (e.has_trade) r.trades.push_back(e.trade);
  if (!is_terminal(r.core.state)) {
    if (inserted || was_open) open_.insert(&r);
  } else if (inserted || was_open) {
    closed_.push_back(r.core.uuid);
    closed_by_creation_.insert(&r);
    while (closed_.size() > max_closed_) {
      const auto old = orders_.find(closed_.front());
      if (old != orders_.end()) {
        if (!old->second.core.identifier.empty()) {
          by_identifier_.erase(std::string(old->second.core.identifier.view()));
        }
        closed_by_creation_.erase(&old->second);
        orders_.erase(old);
        ++forgotten_;
      }
      closed_.pop_front();
    }
  }
}

bool OrderBook::ByCreation::operator()(const OrderRecord* a, const OrderRecord* b) const noexcept {
  if (a->core.created_ms != b->core.created_ms) return a->core.created_ms < b->core.created_ms;
  return a->core.uuid.bytes < b->core.uuid.bytes;
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
  return {open_.begin(), open_.end()};
}

std::vector<const OrderRecord*> OrderBook::closed_orders() const {
  return {closed_by_creation_.begin(), closed_by_creation_.end()};
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
