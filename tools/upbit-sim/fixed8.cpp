#include "fixed8.hpp"

#include <charconv>
#include <cstdlib>
#include <string_view>

namespace fillwire::sim {

double fx_to_double(Fx v) noexcept {
  constexpr Fx kExact = Fx{1} << 53;
  if (v > -kExact && v < kExact) return static_cast<double>(v) / 1e8;
  if (v % kFxOne == 0) return static_cast<double>(v / kFxOne);
  // Rare: parse the decimal text, which from_chars rounds correctly.
  const std::string s = fx_to_string(v);
  double d = 0;
  std::from_chars(s.data(), s.data() + s.size(), d);
  return d;
}

std::string fx_to_string(Fx v) {
  const bool neg = v < 0;
  const auto mag = neg ? -static_cast<U128>(static_cast<I128>(v)) : static_cast<U128>(v);
  const auto whole = static_cast<std::uint64_t>(mag / kFxOne);
  auto frac = static_cast<std::uint64_t>(mag % kFxOne);
  std::string out = neg ? "-" : "";
  out += std::to_string(whole);
  out += '.';
  char digits[8];
  for (int i = 7; i >= 0; --i) {
    digits[i] = static_cast<char>('0' + frac % 10);
    frac /= 10;
  }
  std::size_t n = 8;
  while (n > 1 && digits[n - 1] == '0')
    --n;
  out.append(digits, n);
  return out;
}

bool fx_parse(std::string_view text, Fx& out) noexcept {
  bool neg = false;
  if (!text.empty() && text.front() == '-') {
    neg = true;
    text.remove_prefix(1);
  }
  const auto dot = text.find('.');
  const std::string_view whole = text.substr(0, dot);
  const std::string_view frac =
      dot == std::string_view::npos ? std::string_view{} : text.substr(dot + 1);
  if (whole.empty() || frac.size() > 8 || (dot != std::string_view::npos && frac.empty()))
    return false;
  std::int64_t w = 0;
  auto r = std::from_chars(whole.data(), whole.data() + whole.size(), w);
  if (r.ec != std::errc{} || r.ptr != whole.data() + whole.size() || w > 90'000'000'000)
    return false;
  std::int64_t f = 0;
  for (std::size_t i = 0; i < 8; ++i) {
    f *= 10;
    if (i < frac.size()) {
      if (frac[i] < '0' || frac[i] > '9') return false;
      f += frac[i] - '0';
    }
  }
  out = (w * kFxOne + f) * (neg ? -1 : 1);
  return true;
}

}  // namespace fillwire::sim
