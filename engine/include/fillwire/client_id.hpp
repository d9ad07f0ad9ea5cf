#pragma once
// ClientId: the client-supplied order identifier (`identifier`), inline in OrderEvent and Order.
// Trivially copyable; never heap-allocates; any thread.
//
// Upbit publishes no limit for the identifier, so a long one never costs its event (DESIGN.md §3):
//   - up to kCapacity (45) bytes it is kept whole;
//   - a longer one keeps its first bytes, cut at a UTF-8 character boundary (at most kCutKeep, 37),
//     is flagged cut(), and keeps the 64-bit FNV-1a hash of the whole text in the 8 bytes freed.
// Two identifiers are equal when both are whole and their texts are equal, or both are cut with
// the same kept text and the same hash of the whole: look-ups by identifier stay exact up to a
// 64-bit hash collision between long identifiers sharing their first 37 bytes (not a security
// property). The journal's raw frame keeps the full text, and a journaled resync event keeps these
// bytes (detail/journal_event.hpp), so a replay restores the identifier exactly as it was live.
//
// Layout: byte 0 is the kept length (bits 0-6) and the cut flag (bit 7); bytes 1..45 the text;
// when cut, bytes 38..45 (data + kCutKeep) hold the hash, little-endian.

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>
#include <type_traits>

namespace fillwire {

// FNV-1a, 64 bits (Fowler, Noll, Vo): a well-known, byte-at-a-time, non-cryptographic hash.
[[nodiscard]] constexpr std::uint64_t fnv1a64(std::string_view text) noexcept {
  std::uint64_t h = 0xcbf29ce484222325ull;
  for (const char c : text) {
    h ^= static_cast<unsigned char>(c);
    h *= 0x100000001b3ull;
  }
  return h;
}

struct ClientId {
  static constexpr std::size_t kCapacity = 45;  // bytes kept when the text is whole
  static constexpr std::size_t kHashBytes = 8;
  static constexpr std::size_t kCutKeep = kCapacity - kHashBytes;  // text kept when cut
  static constexpr std::uint8_t kCutFlag = 0x80;
  static_assert(kCapacity < kCutFlag, "The length must leave bit 7 free for the cut flag.");
  static_assert(std::endian::native == std::endian::little,
                "The hash is stored little-endian with memcpy.");

  std::uint8_t length;  // no initialisers: trivially default-constructible for ring slots
  char data[kCapacity];

  // Stores `whole`: kept whole when it fits, else cut as described above. Never fails.
  void assign(std::string_view whole) noexcept {
    if (whole.size() <= kCapacity) {
      if (!whole.empty()) std::memcpy(data, whole.data(), whole.size());  // data() may be null
      length = static_cast<std::uint8_t>(whole.size());
      return;
    }
    const std::size_t keep = cut_point(whole);
    std::memcpy(data, whole.data(), keep);
    std::memset(data + keep, 0, kCutKeep - keep);  // equal events stay byte-for-byte equal
    const std::uint64_t h = fnv1a64(whole);
    std::memcpy(data + kCutKeep, &h, sizeof h);
    length = static_cast<std::uint8_t>(keep | kCutFlag);
  }

  void clear() noexcept { length = 0; }
  // The text kept: the whole identifier, or its first bytes when cut().
  [[nodiscard]] std::string_view view() const noexcept {
    return {data, static_cast<std::size_t>(length & (kCutFlag - 1u))};
  }
  [[nodiscard]] bool empty() const noexcept { return length == 0; }
  // The identifier was longer than kCapacity: view() is a prefix of it.
  [[nodiscard]] bool cut() const noexcept { return (length & kCutFlag) != 0; }
  // fnv1a64 of the whole identifier, cut or not.
  [[nodiscard]] std::uint64_t hash() const noexcept {
    if (!cut()) return fnv1a64(view());
    std::uint64_t h;
    std::memcpy(&h, data + kCutKeep, sizeof h);
    return h;
  }
  // Whether this is the identifier `whole` (the full text, e.g. as a strategy gave it).
  [[nodiscard]] bool matches(std::string_view whole) const noexcept {
    if (whole.size() <= kCapacity) return !cut() && view() == whole;
    return cut() && whole.substr(0, view().size()) == view() && hash() == fnv1a64(whole);
  }

  friend bool operator==(const ClientId& a, const ClientId& b) noexcept {
    if (a.length != b.length || a.view() != b.view()) return false;
    return !a.cut() || a.hash() == b.hash();
  }

  // The longest prefix of `whole` of at most kCutKeep bytes that ends on a character boundary: a
  // UTF-8 continuation byte (10xxxxxx) is never the first byte left out. Precondition:
  // whole.size() > kCutKeep.
  [[nodiscard]] static std::size_t cut_point(std::string_view whole) noexcept {
    std::size_t n = kCutKeep;
    while (n > 0 && (static_cast<unsigned char>(whole[n]) & 0xC0) == 0x80)
      --n;
    return n;
  }
};

static_assert(sizeof(ClientId) == 46 && alignof(ClientId) == 1,
              "ClientId keeps OrderEvent at 256 bytes: 1 length byte and 45 bytes of text or "
              "text and hash.");
static_assert(std::is_trivially_copyable_v<ClientId> &&
                  std::is_trivially_default_constructible_v<ClientId>,
              "ClientId lives in ring slots, allocated once and filled in place.");

}  // namespace fillwire
