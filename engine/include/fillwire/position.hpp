#pragma once
// Position: what one market's fills did to the account, by the average-cost method.
//
// Thread contract: owned by AccountState, mutated on the strategy thread only (inside apply());
// the strategy reads it through AccountState's const accessors on that same thread. No allocation,
// no locks, no exceptions.
//
// Method (DESIGN.md §5, tests/data/lifecycle.expected.md):
//   buy  (volume v, funds f, fee c): cost_gross += f, cost_net += f + c, base_volume += v.
//   sell (volume v, funds f, fee c): with avg_gross = cost_gross / base_volume (same for net),
//        realized_gross += f - v * avg_gross, realized_net += (f - c) - v * avg_net, and the cost
//        of the volume sold leaves the basis. Selling leaves the average cost unchanged.
//   Quote amounts are the exchange's executed_funds and paid_fee deltas (quote currency).
// A sell larger than the volume held (coins bought before the engine started and not given as a
// starting holding) is split: the held part realizes PnL as above; the excess is added to
// unattributed_volume / unattributed_funds / unattributed_fees and realizes nothing, so no PnL is
// invented against an unknown cost. Fees on that excess still count in fees_paid.
//
// Path dependence: the totals (fees, bought / sold volume and notional) are sums and do not depend
// on the order of the fills; base_volume, the cost basis, realized PnL and the unattributed figures
// do (average cost). Those eight are the PositionBasis: AccountState keeps a snapshot of it before
// each recent fill, so a fill that arrives late is put at its place and the fills after it are
// applied again (detail/fill_window.hpp).

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <type_traits>

#include "fillwire/order_event.hpp"
#include "fillwire/uuid.hpp"

namespace fillwire {

// Every figure of the account stays within +-kFigureLimit: finite, with room to spare for sums over
// every market (at most MarketTable::kMaxCapacity, 4096) and for the summary's totals. AccountState
// refuses an event that would take any figure past it (ApplyCounters::non_finite) and leaves the
// state as it was. Real amounts are many orders of magnitude below it.
inline constexpr double kFigureLimit = 1e300;

// Every number an event brings must be within +-kInputLimit (AccountState refuses the event
// otherwise, as non_finite). Then every sum of them (volumes, notional, fees, cost basis, realized
// PnL, SMP sums) stays within kFigureLimit for any number of events below 1e150, and so does a
// product of two (a trade's price times its volume): no sum needs checking as it grows. Only an
// average cost (a cost divided by a volume) can still leave the limit, and that is checked where
// a basis changes (within_limits()). Real amounts are below 1e20.
inline constexpr double kInputLimit = 1e150;

// Whether every x is within +-kFigureLimit (false for NaN and infinities), without a branch or a
// compare per value: the bits of |x| read as an integer order like |x|, with infinities and NaN
// above every finite value, so limit - bits wraps past 2^63 exactly when |x| is past the limit
// (or not a number).
template <class... D>
[[nodiscard]] constexpr bool all_within_limit(D... x) noexcept {
  constexpr std::uint64_t kLimitBits = std::bit_cast<std::uint64_t>(kFigureLimit);
  constexpr std::uint64_t kMagnitude = ~(std::uint64_t{1} << 63);
  std::uint64_t over = 0;
  ((over |= kLimitBits - (std::bit_cast<std::uint64_t>(static_cast<double>(x)) & kMagnitude)), ...);
  return (over >> 63) == 0;
}

// A fill's place in the canonical order (docs/account-state.md): trade time in ms, then the order's
// uuid (its 16 bytes, i.e. the text form's order), then the order's trade number (trades_count
// after the fill). Both the exchange's truth and the client know all three for every trade.
struct FillKey {
  std::int64_t time;    // trade time, ms since the epoch
  Uuid order;           // order uuid
  std::uint32_t trade;  // the order's trades_count after this fill
};

[[nodiscard]] inline bool operator<(const FillKey& a, const FillKey& b) noexcept {
  if (a.time != b.time) return a.time < b.time;
  const int c = std::memcmp(a.order.bytes.data(), b.order.bytes.data(), a.order.bytes.size());
  if (c != 0) return c < 0;
  return a.trade < b.trade;
}

// The path-dependent part of a Position (see the header comment), as one copyable value.
struct PositionBasis {
  double base_volume;
  double cost_gross;
  double cost_net;
  double realized_gross;
  double realized_net;
  double unattributed_volume;
  double unattributed_funds;
  double unattributed_fees;

  // A residue this small relative to the volumes involved is floating-point rounding, not coins:
  // volumes have 8 decimals on the exchange, far above it.
  static constexpr double kRelativeDust = 1e-10;
  static constexpr double kAbsoluteDust = 1e-12;

  // The basis part of Position::buy() and sell() (Position's *_basis() apply these to its copy).
  void buy(double volume, double funds, double fee) noexcept {
    if (volume > 0.0 || base_volume > 0.0) {
      base_volume += volume;
      cost_gross += funds;
      cost_net += funds + fee;
    } else {
      // A fee with no volume and nothing held has no basis to join: it is a realized cost.
      realized_net -= fee;
    }
  }

  void sell(double volume, double funds, double fee) noexcept {
    if (volume <= 0.0) {
      realized_net -= fee;
      return;
    }
    const double dust = std::max(kAbsoluteDust, kRelativeDust * std::max(volume, base_volume));
    double held = volume;
    if (volume > base_volume + dust) held = std::max(base_volume, 0.0);
    const double excess = volume - held;
    const double share = held / volume;
    if (held > 0.0) {
      const double funds_held = excess > 0.0 ? funds * share : funds;
      const double fee_held = excess > 0.0 ? fee * share : fee;
      const double avg_gross = cost_gross / base_volume;
      const double avg_net = cost_net / base_volume;
      realized_gross += funds_held - held * avg_gross;
      realized_net += (funds_held - fee_held) - held * avg_net;
      base_volume -= held;
      cost_gross -= held * avg_gross;
      cost_net -= held * avg_net;
      if (base_volume <= dust) {
        base_volume = 0.0;
        cost_gross = 0.0;
        cost_net = 0.0;
      }
    }
    if (excess > 0.0) {
      unattributed_volume += excess;
      unattributed_funds += funds - funds * share;
      unattributed_fees += fee - fee * share;
    }
  }
};

// Every figure of the basis, and the average costs it gives, within the limit.
[[nodiscard]] inline bool within_limits(const PositionBasis& b) noexcept {
  const bool figures =
      all_within_limit(b.base_volume, b.cost_gross, b.cost_net, b.realized_gross, b.realized_net,
                       b.unattributed_volume, b.unattributed_funds, b.unattributed_fees);
  // Average cost = cost / base_volume: |cost| <= limit * volume, without dividing (a product
  // that overflows to infinity means a volume of at least 1, and then the cost bounds the average).
  const double most = kFigureLimit * b.base_volume;
  const int average_ok = int{b.base_volume <= 0.0} |
                         (int{std::abs(b.cost_gross) <= most} & int{std::abs(b.cost_net) <= most});
  return figures && average_ok != 0;
}

struct Position {
  static constexpr double kRelativeDust = PositionBasis::kRelativeDust;
  static constexpr double kAbsoluteDust = PositionBasis::kAbsoluteDust;

  MarketCode market;

  double base_volume = 0.0;  // volume held that has a known cost (starting + bought - sold)
  double cost_gross = 0.0;   // cost of base_volume, without fees
  double cost_net = 0.0;     // cost of base_volume including the buy fees paid for it

  double realized_gross = 0.0;
  double realized_net = 0.0;

  double fees_paid = 0.0;  // buy_fees + sell_fees
  double buy_fees = 0.0;
  double sell_fees = 0.0;

  double bought_volume = 0.0;
  double sold_volume = 0.0;
  double bought_notional = 0.0;  // executed_funds of buys
  double sold_notional = 0.0;    // executed_funds of sells

  double starting_volume = 0.0;  // from AccountConfig::holdings

  // Sold beyond what was held (see the header comment): no PnL was realized for these.
  double unattributed_volume = 0.0;
  double unattributed_funds = 0.0;
  double unattributed_fees = 0.0;

  // The mark: the price of the market's last fill in trade-time order (FillKey), whatever order
  // fills arrive in. A trade's own price; a fill that covers trades whose events were not seen
  // (a healed gap) marks at their average price (funds / volume). 0 before any fill: no mark.
  double mark_price = 0.0;
  FillKey mark_key{};

  [[nodiscard]] double avg_cost_gross() const noexcept {
    return base_volume > 0.0 ? cost_gross / base_volume : 0.0;
  }
  [[nodiscard]] double avg_cost_net() const noexcept {
    return base_volume > 0.0 ? cost_net / base_volume : 0.0;
  }
  // Mark-to-market of the held volume at `price` (e.g. mark_price), against the gross or net
  // cost basis.
  [[nodiscard]] double unrealized(double price) const noexcept {
    return base_volume * price - cost_gross;
  }
  [[nodiscard]] double unrealized_net(double price) const noexcept {
    return base_volume * price - cost_net;
  }
  [[nodiscard]] double traded_notional() const noexcept { return bought_notional + sold_notional; }
  [[nodiscard]] bool has_mark() const noexcept { return mark_price > 0.0; }

  // Strategy thread. Takes `price` as the mark when the fill `key` is not older than the mark's
  // fill; a price that is not positive or past +-kInputLimit is no mark.
  void mark(const FillKey& key, double price) noexcept {
    if (!(price > 0.0 && price <= kInputLimit)) return;
    if (has_mark() && key < mark_key) return;
    mark_price = price;
    mark_key = key;
  }

  // Sets the coins held at start (cold path, before any event).
  void set_starting(double volume, double avg_gross, double avg_net) noexcept {
    starting_volume = volume;
    base_volume = volume;
    cost_gross = volume * avg_gross;
    cost_net = volume * avg_net;
  }

  [[nodiscard]] PositionBasis basis() const noexcept {
    return {base_volume,  cost_gross,          cost_net,           realized_gross,
            realized_net, unattributed_volume, unattributed_funds, unattributed_fees};
  }
  void set_basis(const PositionBasis& b) noexcept {
    base_volume = b.base_volume;
    cost_gross = b.cost_gross;
    cost_net = b.cost_net;
    realized_gross = b.realized_gross;
    realized_net = b.realized_net;
    unattributed_volume = b.unattributed_volume;
    unattributed_funds = b.unattributed_funds;
    unattributed_fees = b.unattributed_fees;
  }

  // Strategy thread only. Arguments are the non-negative deltas of one order's cumulative fields.
  void buy(double volume, double funds, double fee) noexcept {
    count_buy(volume, funds, fee);
    buy_basis(volume, funds, fee);
  }
  void sell(double volume, double funds, double fee) noexcept {
    count_sell(volume, funds, fee);
    sell_basis(volume, funds, fee);
  }

  // The two halves of buy() and sell(): the order-independent totals, then the basis.
  void count_buy(double volume, double funds, double fee) noexcept {
    bought_volume += volume;
    bought_notional += funds;
    buy_fees += fee;
    fees_paid += fee;
  }
  void count_sell(double volume, double funds, double fee) noexcept {
    sold_volume += volume;
    sold_notional += funds;
    sell_fees += fee;
    fees_paid += fee;
  }

  void buy_basis(double volume, double funds, double fee) noexcept {
    PositionBasis b = basis();
    b.buy(volume, funds, fee);
    set_basis(b);
  }
  void sell_basis(double volume, double funds, double fee) noexcept {
    PositionBasis b = basis();
    b.sell(volume, funds, fee);
    set_basis(b);
  }
};

static_assert(std::is_trivially_copyable_v<PositionBasis>,
              "Basis snapshots live in a preallocated window: they must be plain data.");
static_assert(std::is_trivially_copyable_v<Position>,
              "The strategy may copy a Position as a snapshot: it must be plain data.");

}  // namespace fillwire
