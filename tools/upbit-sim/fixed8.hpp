#pragma once
// Fx: an exact decimal amount with 8 fractional digits, stored as int64 units of 1e-8. Every price,
// volume, fund and fee the simulator keeps is an Fx, so the order book and the ground truth add up
// exactly; doubles appear only when an event is written to the wire.
//
// Range: |v| < 9.2e10 whole units. Order sizes are bounded (see generator.hpp) so that every amount
// stays below 2^53 units, where the conversion to double is a single correctly rounded division.

#include <cstdint>
#include <string>

namespace fillwire::sim {

using Fx = std::int64_t;
// 128-bit intermediates for products and long sums (a GCC/Clang extension, marked as such).
__extension__ typedef __int128 I128;
__extension__ typedef unsigned __int128 U128;
inline constexpr Fx kFxOne = 100'000'000;

[[nodiscard]] constexpr Fx fx_from_int(std::int64_t whole) noexcept {
  return whole * kFxOne;
}

// price × volume, both Fx, rounded half up to 1e-8. Uses 128-bit intermediate: price units can be
// 1e16 and volume units 1e8.
[[nodiscard]] constexpr Fx fx_mul(Fx a, Fx b) noexcept {
  const I128 p = static_cast<I128>(a) * b;
  const I128 half = kFxOne / 2;
  return static_cast<Fx>(p >= 0 ? (p + half) / kFxOne : (p - half) / kFxOne);
}

// amount / price, truncated to 1e-8 (the volume an amount of quote currency buys).
[[nodiscard]] constexpr Fx fx_div_floor(Fx amount, Fx price) noexcept {
  return static_cast<Fx>(static_cast<I128>(amount) * kFxOne / price);
}

// amount × rate, where the rate is `num / den` (fee 0.05 % = 5 / 10000), rounded half up.
[[nodiscard]] constexpr Fx fx_rate(Fx amount, std::int64_t num, std::int64_t den) noexcept {
  return static_cast<Fx>((static_cast<I128>(amount) * num + den / 2) / den);
}

// The double nearest to the decimal value (exact for |v| < 2^53 units and for whole numbers).
[[nodiscard]] double fx_to_double(Fx v) noexcept;

// Upbit's decimal text: at least one fractional digit, no trailing zeros beyond it ("0.4",
// "100000000.0", "0.00012345").
[[nodiscard]] std::string fx_to_string(Fx v);

// Parses a plain decimal ("12", "0.5", "-3.25"); more than 8 fractional digits is an error.
[[nodiscard]] bool fx_parse(std::string_view text, Fx& out) noexcept;

}  // namespace fillwire::sim
