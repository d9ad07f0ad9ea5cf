#pragma once
// KRW markets the simulator trades, with Upbit's price ticks and fee (PROTOCOL.md §9).

#include <array>
#include <cstddef>
#include <string_view>

#include "fixed8.hpp"

namespace fillwire::sim {

struct MarketSpec {
  std::string_view code;          // "KRW-BTC"
  std::string_view currency;      // "BTC"
  Fx start_price;                 // mid price at start, on a tick
  std::string_view korean_name;   // GET /v1/market/all, as Upbit lists the asset
  std::string_view english_name;  // "Bitcoin"
};

// Prices cover every tick band from 1,000 KRW down to 0.01 KRW.
inline constexpr std::array<MarketSpec, 6> kMarkets = {{
    {"KRW-BTC", "BTC", fx_from_int(130'000'000), "비트코인", "Bitcoin"},
    {"KRW-ETH", "ETH", fx_from_int(4'500'000), "이더리움", "Ethereum"},
    {"KRW-SOL", "SOL", fx_from_int(241'300), "솔라나", "Solana"},
    {"KRW-LINK", "LINK", fx_from_int(21'450), "체인링크", "Chainlink"},
    {"KRW-XRP", "XRP", fx_from_int(3'120), "엑스알피(리플)", "XRP"},
    {"KRW-SEI", "SEI", fx_from_int(48) + kFxOne / 10 * 3, "세이", "Sei"},  // 48.3
}};
inline constexpr std::size_t kMarketCount = kMarkets.size();

// Fee 0.05 % on KRW markets (maker = taker): num / den.
inline constexpr std::int64_t kFeeNum = 5;
inline constexpr std::int64_t kFeeDen = 10'000;
// Minimum order amount, KRW.
inline constexpr Fx kMinOrderKrw = fx_from_int(5'000);

// Upbit KRW price tick for a price.
[[nodiscard]] constexpr Fx krw_tick(Fx price) noexcept {
  if (price >= fx_from_int(1'000'000)) return fx_from_int(1'000);
  if (price >= fx_from_int(500'000)) return fx_from_int(500);
  if (price >= fx_from_int(100'000)) return fx_from_int(100);
  if (price >= fx_from_int(50'000)) return fx_from_int(50);
  if (price >= fx_from_int(10'000)) return fx_from_int(10);
  if (price >= fx_from_int(5'000)) return fx_from_int(5);
  if (price >= fx_from_int(100)) return fx_from_int(1);
  if (price >= fx_from_int(10)) return kFxOne / 10;
  if (price >= fx_from_int(1)) return kFxOne / 100;
  return kFxOne / 1000;
}

// Index of a market code, or kMarketCount.
[[nodiscard]] constexpr std::size_t market_index(std::string_view code) noexcept {
  for (std::size_t i = 0; i < kMarketCount; ++i) {
    if (kMarkets[i].code == code) return i;
  }
  return kMarketCount;
}

}  // namespace fillwire::sim
