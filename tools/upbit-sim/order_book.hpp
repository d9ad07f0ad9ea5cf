#pragma once
// OrderBook: the exchange's authoritative record of every order of the account, as published on
// the stream (updated from each emitted event, never ahead of it). REST queries read it.
//
// Memory is bounded: closed orders beyond `max_closed` are forgotten oldest-closed first (the REST
// window for closed orders is bounded on Upbit too). Open orders are always kept.
// Not thread-safe: one owner thread.

#include <algorithm>
#include <array>
#include <cstdint>
#include <deque>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "market.hpp"
#include "order.hpp"

namespace fillwire::sim {

struct OrderRecord {
  OrderCore core;
  std::vector<TradeRecord> trades;
};

class OrderBook {
 public:
  explicit OrderBook(std::size_t max_closed = 200'000) : max_closed_(max_closed) {
    orders_.reserve(std::min<std::size_t>(max_closed_, 1u << 20) + 1024);
  }

  void apply(const Emission& e);

  [[nodiscard]] const OrderRecord* find(const Uuid& uuid) const;
  [[nodiscard]] const OrderRecord* find_identifier(std::string_view identifier) const;

  // Open orders (wait / watch) and retained closed orders, in creation order.
  [[nodiscard]] std::vector<const OrderRecord*> open_orders() const;
  [[nodiscard]] std::vector<const OrderRecord*> closed_orders() const;
  [[nodiscard]] std::vector<const OrderRecord*> all_orders() const;

  // Amounts locked in open orders: KRW by bids, base volume of market `m` by asks.
  [[nodiscard]] Fx locked_krw() const noexcept { return locked_krw_; }
  [[nodiscard]] Fx locked_base(std::size_t m) const noexcept { return locked_base_[m]; }

  [[nodiscard]] std::size_t size() const noexcept { return orders_.size(); }
  [[nodiscard]] std::uint64_t forgotten() const noexcept { return forgotten_; }

 private:
  // Orders in creation order (created_ms, then uuid), kept as they open and close, so that a
  // listing costs what it returns, not a sort of every order the book holds.
  struct ByCreation {
    bool operator()(const OrderRecord* a, const OrderRecord* b) const noexcept;
  };

  std::size_t max_closed_;
  std::unordered_map<Uuid, OrderRecord, UuidHash> orders_;  // node-based: records never move
  std::set<const OrderRecord*, ByCreation> open_;
  std::set<const OrderRecord*, ByCreation> closed_by_creation_;
  std::unordered_map<std::string, Uuid> by_identifier_;
  std::deque<Uuid> closed_;  // in the order they closed
  std::uint64_t forgotten_ = 0;
  Fx locked_krw_ = 0;
  std::array<Fx, kMarketCount> locked_base_{};
};

}  // namespace fillwire::sim
