#pragma once
// The user's strategy and how it is called.
//
// A strategy is any type with
//     void on_order(const OrderEvent& event, const AccountState& account) noexcept;
// and, optionally,
//     void on_control(const OrderEvent& event, const AccountState& account) noexcept;
// for connection notices (control_event.hpp). Both run on the strategy thread, right after the
// event was applied, so `account` already includes it. Neither may allocate, lock or throw: they
// are on the hot path. A strategy without on_control never sees control events.
//
// StrategyConsumer<S> is the Pipeline consumer that does exactly that: apply, then call. It is a
// template, so the strategy call is a direct (usually inlined) call, not a virtual one. Users who
// own their strategy thread call drain_to(ring, consumer, max) with it on their own loop.
// StrategyConsumer<NoStrategy> keeps the account alone (a replay, say).

#include <concepts>

#include "fillwire/account_state.hpp"
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
    if (e.kind == EventKind::control) {
      if constexpr (ControlAware<S>) strategy_->on_control(e, *account_);
      return;
    }
    strategy_->on_order(e, *account_);
  }

  [[nodiscard]] AccountState& account() noexcept { return *account_; }
  [[nodiscard]] S& strategy() noexcept { return *strategy_; }

 private:
  AccountState* account_;
  S* strategy_;
};

}  // namespace fillwire
