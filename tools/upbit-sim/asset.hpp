#pragma once
// myAsset events (PROTOCOL.md §8): the account's balances as one frame shows them, and their JSON.
// The simulator sends one after an order event that changed a balance (with KRW and that market's
// currency, whichever changed) and one after each external deposit or withdrawal (with that
// currency only). `balance` is what is available, `locked` what open orders hold (Upbit's words).
// Numbers are written as exact decimals.
//
//   {"type":"myAsset","asset_uuid":"...","assets":[{"currency":"KRW","balance":..,"locked":..},
//    {"currency":"BTC","balance":..,"locked":..}],"asset_timestamp":..,"timestamp":..,
//    "stream_type":"REALTIME"}          (SIMPLE: ty, astuid, ast[{cu, b, l}], asttms, tms, st)
//
// Pure data and formatting; any thread.

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "fillwire/uuid.hpp"
#include "fixed8.hpp"
#include "market.hpp"

namespace fillwire::sim {

// The account's currencies: KRW (0), then each market's base currency (1 + market index).
inline constexpr std::size_t kCurrencyCount = kMarketCount + 1;
inline constexpr std::size_t kKrw = 0;
[[nodiscard]] constexpr std::size_t currency_of_market(std::size_t market) noexcept {
  return market + 1;
}
[[nodiscard]] constexpr std::string_view currency_name(std::size_t currency) noexcept {
  return currency == kKrw ? std::string_view{"KRW"} : kMarkets[currency - 1].currency;
}

// One currency's balance: available (`balance`, I128 like the truth's KRW) and held by orders.
struct Balance {
  I128 available = 0;
  Fx locked = 0;
  friend bool operator==(const Balance&, const Balance&) = default;
};

// One myAsset frame: one or two currencies (an order touches KRW and one base currency).
struct AssetUpdate {
  struct Item {
    std::uint8_t currency = 0;  // see kCurrencyCount
    Balance balance;
  };
  Uuid asset_uuid{};
  std::int64_t timestamp_ms = 0;  // asset_timestamp and timestamp
  std::array<Item, 2> items{};
  std::uint8_t count = 0;
};

[[nodiscard]] std::string asset_event_json(const AssetUpdate& update, bool simple);

}  // namespace fillwire::sim
