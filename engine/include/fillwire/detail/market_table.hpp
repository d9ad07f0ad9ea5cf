#pragma once
// MarketTable: interns market codes ("KRW-BTC") into small dense numbers 0..capacity-1 that index
// AccountState's positions and per-market statistics.
//
// Thread contract: owned by AccountState; intern() and find() on the strategy thread only. Memory
// is allocated once at construction; a new market costs no allocation. When `capacity` markets are
// known, intern() of another returns kNoMarket (the caller counts it).
//
// Design: a market code is at most 15 bytes, so it is packed with its length into a 16-byte key
// compared as two words; an open-addressing index (linear probing, load <= 1/2) maps keys to
// numbers. Markets are never removed, so there is no deletion.

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>

#include "fillwire/order_event.hpp"

namespace fillwire {

class MarketTable {
 public:
  static constexpr std::uint16_t kNoMarket = UINT16_MAX;
  static constexpr std::size_t kMaxCapacity = 4096;

  // Cold path: throws std::invalid_argument if capacity is 0 or above kMaxCapacity.
  explicit MarketTable(std::size_t capacity);
  MarketTable(const MarketTable&) = delete;
  MarketTable& operator=(const MarketTable&) = delete;

  // The market's number, adding it if new; kNoMarket when the table is full. No allocation.
  [[nodiscard]] std::uint16_t intern(const MarketCode& code) noexcept {
    const Key k = key_of(code);
    std::size_t i = slot_of(k);
    while (index_[i] != kNoMarket) {
      if (keys_[index_[i]] == k) return index_[i];
      i = (i + 1) & mask_;
    }
    if (size_ == capacity_) return kNoMarket;
    const auto m = static_cast<std::uint16_t>(size_++);
    keys_[m] = k;
    codes_[m] = code;
    index_[i] = m;
    return m;
  }

  // Takes back the market intern() added last (precondition: m == size() - 1, returned by the
  // latest intern() as a new market). Safe with linear probing: no key was placed after it.
  void forget_newest(std::uint16_t m) noexcept {
    const Key k = keys_[m];
    std::size_t i = slot_of(k);
    while (index_[i] != m)
      i = (i + 1) & mask_;
    index_[i] = kNoMarket;
    --size_;
  }
  // The market's number, or kNoMarket if it was never interned.
  [[nodiscard]] std::uint16_t find(const MarketCode& code) const noexcept {
    const Key k = key_of(code);
    std::size_t i = slot_of(k);
    while (index_[i] != kNoMarket) {
      if (keys_[index_[i]] == k) return index_[i];
      i = (i + 1) & mask_;
    }
    return kNoMarket;
  }

  [[nodiscard]] std::size_t size() const noexcept { return size_; }
  [[nodiscard]] std::size_t capacity() const noexcept { return capacity_; }
  // Precondition: m < size().
  [[nodiscard]] const MarketCode& code(std::uint16_t m) const noexcept { return codes_[m]; }

 private:
  struct Key {
    std::uint64_t lo;
    std::uint64_t hi;
    friend bool operator==(const Key&, const Key&) = default;
  };
  static_assert(sizeof(MarketCode) == sizeof(Key),
                "A market code and its length must pack into one 16-byte key.");

  [[nodiscard]] static Key key_of(const MarketCode& code) noexcept {
    unsigned char bytes[sizeof(Key)] = {};
    bytes[0] = code.length;
    std::memcpy(bytes + 1, code.data, code.length <= MarketCode::kCapacity ? code.length : 0);
    Key k;
    std::memcpy(&k, bytes, sizeof k);
    return k;
  }
  [[nodiscard]] std::size_t slot_of(const Key& k) const noexcept {
    // Codes share their leading bytes ("\x07KRW-"): fold the high half down before the final mix.
    std::uint64_t h = (k.lo * 0x9E3779B97F4A7C15ull) ^ (k.hi * 0xC2B2AE3D27D4EB4Full);
    h ^= h >> 32;
    h *= 0xD6E8FEB86659FD93ull;
    h ^= h >> 29;
    return static_cast<std::size_t>(h) & mask_;
  }

  std::unique_ptr<Key[]> keys_;
  std::unique_ptr<MarketCode[]> codes_;
  std::unique_ptr<std::uint16_t[]> index_;
  std::size_t capacity_;
  std::size_t mask_ = 0;
  std::size_t size_ = 0;
};

}  // namespace fillwire
