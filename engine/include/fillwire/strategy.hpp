#pragma once
// The user's strategy and how it is called.
//
// A strategy is any type with
//     void on_order(const OrderEvent& event, const AccountState& account) noexcept;
// and, optionally,
//     void on_control(const OrderEvent& event, const AccountState& account) noexcept;
// for connection notices (control_event.hpp), and, optionally,
//     void on_asset(const AssetEvent& event, const AccountState& account) noexcept;
// for balance reports (asset_event.hpp; one call per currency of a frame, is_last_in_frame() on
// the last). All run on the strategy thread, right after the event was applied, so `account`
// already includes it. None may allocate, lock or throw: they are on the hot path. A strategy
// without on_control never sees control events, one without on_asset never sees asset events;
// on_order only ever sees order events.
//
// StrategyConsumer<S> is the Pipeline consumer that does exactly that: apply, then call. It is a
// template, so the strategy call is a direct (usually inlined) call, not a virtual one. Users who
// own their strategy thread call drain_to(ring, consumer, max) with it on their own loop.
// StrategyConsumer<NoStrategy> keeps the account alone (a replay, say).

#include <concepts>

#include "fillwire/account_state.hpp"
#include "fillwire/asset_event.hpp"
#include "fillwire/control_event.hpp"
#include "fillwire/order_event.hpp"

namespace fillwire {

template <class S>
concept Strategy = requires(S& strategy, const OrderEvent& event, const AccountState& account) {
  { strategy.on_order(event, account) }
  noexcept;
};

template <class S>
concept ControlAware = requires(S& strategy, const OrderEvent& event, const AccountState& account) {
  { strategy.on_control(event, account) }
  noexcept;
};

template <class S>
concept AssetAware = requires(S& strategy, const AssetEvent& event, const AccountState& account) {
  { strategy.on_asset(event, account) }
  noexcept;
};

// Calls the strategy's handler for a non-order event (control or asset) the account has applied,
// if it has one; false for an order event (the caller calls on_order).
template <class S>
bool call_non_order(S& strategy, const OrderEvent& e, const AccountState& account) noexcept {
  if (e.kind == EventKind::control) {
    if constexpr (ControlAware<S>) strategy.on_control(e, account);
    return true;
  }
  if (e.kind == EventKind::asset) {
    if constexpr (AssetAware<S>) strategy.on_asset(asset_of(e), account);
    return true;
  }
  return false;
}

// A strategy that does nothing: the account is kept, nobody is called.
struct NoStrategy {
  void on_order(const OrderEvent&, const AccountState&) noexcept {}
};

template <Strategy S>
class StrategyConsumer {
 public:
  StrategyConsumer(AccountState& account, S& strategy) noexcept
      : account_(&account), strategy_(&strategy) {}

  // Strategy thread only.
  void on_event(const OrderEvent& e) noexcept {
    account_->apply(e);
    if (call_non_order(*strategy_, e, *account_)) return;
    strategy_->on_order(e, *account_);
  }

  [[nodiscard]] AccountState& account() noexcept { return *account_; }
  [[nodiscard]] S& strategy() noexcept { return *strategy_; }

 private:
  AccountState* account_;
  S* strategy_;
};

}  // namespace fillwire
