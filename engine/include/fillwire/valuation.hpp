#pragma once
// Valuation at the marks: what a position would realize and what a balance is worth in KRW, at
// the price of each market's last fill in trade-time order (Position::mark_price), for the
// reports and views. Nothing is made up: a market never filled has no mark, so its unrealized PnL
// and the KRW value of its currency are "none" (std::nullopt), never a guess.
//
// Thread contract: pure functions of their arguments; any thread. No allocation.

#include <cstddef>
#include <cstring>
#include <optional>
#include <string_view>

#include "fillwire/balance.hpp"
#include "fillwire/position.hpp"

namespace fillwire {

// The currency balances are valued in, worth 1.
inline constexpr std::string_view kValueCurrency = "KRW";

// Unrealized PnL of what `p` holds at its own mark, against the gross or net cost basis;
// std::nullopt without a mark, or when the figure would leave +-kFigureLimit.
[[nodiscard]] inline std::optional<double> unrealized_at_mark(const Position& p,
                                                              bool net) noexcept {
  if (!p.has_mark()) return std::nullopt;
  const double v = net ? p.unrealized_net(p.mark_price) : p.unrealized(p.mark_price);
  if (!all_within_limit(v)) return std::nullopt;
  return v;
}

// The KRW price of one unit of `currency`: 1 for KRW; the mark of market KRW-<currency> for
// another, looked up by `mark_of(market code)` (returning 0 when that market has no mark);
// std::nullopt when there is none.
template <class MarkOf>
[[nodiscard]] std::optional<double> krw_price(std::string_view currency, MarkOf&& mark_of) {
  if (currency == kValueCurrency) return 1.0;
  char code[32];  // "KRW-" + currency; a currency this long has no market
  if (currency.empty() || currency.size() > sizeof code - kValueCurrency.size() - 1)
    return std::nullopt;
  std::memcpy(code, kValueCurrency.data(), kValueCurrency.size());
  code[kValueCurrency.size()] = '-';
  std::memcpy(code + kValueCurrency.size() + 1, currency.data(), currency.size());
  const double mark = mark_of(std::string_view(code, kValueCurrency.size() + 1 + currency.size()));
  if (!(mark > 0.0)) return std::nullopt;
  return mark;
}

// What a balance as reported (its total) is worth in KRW at krw_price(); std::nullopt before
// its first report (the account does not know it) or without a price. Reported amounts and marks
// are within kInputLimit (1e150), so the product stays finite.
template <class MarkOf>
[[nodiscard]] std::optional<double> krw_value(const Balance& b, MarkOf&& mark_of) {
  if (!b.reported()) return std::nullopt;
  const std::optional<double> price = krw_price(b.currency.view(), mark_of);
  if (!price) return std::nullopt;
  return b.total() * *price;
}

}  // namespace fillwire
