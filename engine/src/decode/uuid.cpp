#include "fillwire/uuid.hpp"

namespace fillwire {
namespace {

// Hex digit value, or -1. A table keeps parse() branch-light: 32 lookups per uuid.
constexpr auto kHexTable = [] {
  std::array<std::int8_t, 256> t{};
  for (auto& v : t)
    v = -1;
  for (int c = '0'; c <= '9'; ++c)
    t[static_cast<std::size_t>(c)] = static_cast<std::int8_t>(c - '0');
  for (int c = 'a'; c <= 'f'; ++c)
    t[static_cast<std::size_t>(c)] = static_cast<std::int8_t>(c - 'a' + 10);
  for (int c = 'A'; c <= 'F'; ++c)
    t[static_cast<std::size_t>(c)] = static_cast<std::int8_t>(c - 'A' + 10);
  return t;
}();

constexpr bool is_dash_position(std::size_t i) noexcept {
  return i == 8 || i == 13 || i == 18 || i == 23;
}

}  // namespace

bool Uuid::parse(std::string_view text, Uuid& out) noexcept {
  if (text.size() != kTextSize) return false;
  std::size_t byte = 0;
  for (std::size_t i = 0; i < kTextSize;) {
    if (is_dash_position(i)) {
      if (text[i] != '-') return false;
      ++i;
      continue;
    }
    const int hi = kHexTable[static_cast<unsigned char>(text[i])];
    const int lo = kHexTable[static_cast<unsigned char>(text[i + 1])];
    if ((hi | lo) < 0) return false;
    out.bytes[byte++] = static_cast<std::uint8_t>((hi << 4) | lo);
    i += 2;
  }
  return true;
}

void Uuid::format(char* out) const noexcept {
  constexpr char kDigits[] = "0123456789abcdef";
  std::size_t byte = 0;
  for (std::size_t i = 0; i < kTextSize;) {
    if (is_dash_position(i)) {
      out[i++] = '-';
      continue;
    }
    out[i] = kDigits[bytes[byte] >> 4];
    out[i + 1] = kDigits[bytes[byte] & 0x0F];
    ++byte;
    i += 2;
  }
}

std::string Uuid::to_string() const {
  std::string s(kTextSize, '\0');
  format(s.data());
  return s;
}

}  // namespace fillwire
