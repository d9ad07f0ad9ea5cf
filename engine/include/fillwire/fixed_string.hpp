#pragma once
// FixedString<N>: an inline, length-prefixed string of at most N bytes, for the short text fields
// of OrderEvent (market code, client identifier). Trivially copyable; never heap-allocates.
// Assigning a value longer than N fails explicitly (returns false): it is never silently truncated.

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

namespace fillwire {

template <std::size_t N>
struct FixedString {
  static_assert(N > 0 && N < 256, "FixedString keeps its length in one byte.");
  static constexpr std::size_t kCapacity = N;

  std::uint8_t length;  // no initialisers: trivially default-constructible for ring slots
  char data[N];

  // Copies `text` if it fits. Returns false (and leaves the string empty) if it does not.
  [[nodiscard]] bool assign(std::string_view text) noexcept {
    if (text.size() > N) {
      length = 0;
      return false;
    }
    if (!text.empty()) std::memcpy(data, text.data(), text.size());  // data() may be null if empty
    length = static_cast<std::uint8_t>(text.size());
    return true;
  }

  void clear() noexcept { length = 0; }
  [[nodiscard]] std::string_view view() const noexcept { return {data, length}; }
  [[nodiscard]] bool empty() const noexcept { return length == 0; }

  friend bool operator==(const FixedString& a, const FixedString& b) noexcept {
    return a.view() == b.view();
  }
};

}  // namespace fillwire
