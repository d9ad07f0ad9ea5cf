#pragma once
// Uuid: a 128-bit order or trade identifier stored as 16 bytes, parsed from and printed back to the
// canonical 36-character form ("8-4-4-4-12" lower-case hex). Trivially copyable so it lives inline
// in OrderEvent; parsing and printing never allocate.

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace fillwire {

struct Uuid {
  static constexpr std::size_t kTextSize = 36;  // "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx"

  std::array<std::uint8_t, 16> bytes;  // no initialiser: Uuid stays trivial; `Uuid{}` is nil

  // Parses the 36-char form (hex digits of either case). Returns false, leaving `out` unspecified,
  // on any other length, a misplaced dash or a non-hex digit. Any thread; no allocation.
  [[nodiscard]] static bool parse(std::string_view text, Uuid& out) noexcept;

  // Writes exactly kTextSize lower-case characters (no terminator). Any thread; no allocation.
  void format(char* out) const noexcept;
  [[nodiscard]] std::string to_string() const;

  [[nodiscard]] bool is_nil() const noexcept { return bytes == std::array<std::uint8_t, 16>{}; }

  // Fast 64-bit mix of the bytes for open-addressing tables. Order uuids are random (v4), so the
  // xor of the halves is already well spread; the multiply breaks up structured (test) identifiers.
  [[nodiscard]] std::uint64_t hash() const noexcept {
    std::uint64_t lo = 0;
    std::uint64_t hi = 0;
    std::memcpy(&lo, bytes.data(), 8);
    std::memcpy(&hi, bytes.data() + 8, 8);
    std::uint64_t h = (lo ^ (hi * 0x9E3779B97F4A7C15ull));
    h ^= h >> 32;
    h *= 0xD6E8FEB86659FD93ull;
    h ^= h >> 32;
    return h;
  }

  friend bool operator==(const Uuid&, const Uuid&) = default;
};

static_assert(sizeof(Uuid) == 16, "Uuid must be exactly 16 bytes to keep OrderEvent's layout.");

}  // namespace fillwire
