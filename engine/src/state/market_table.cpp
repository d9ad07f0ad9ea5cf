#include "fillwire/detail/market_table.hpp"

#include <bit>
#include <stdexcept>
#include <string>

namespace fillwire {

MarketTable::MarketTable(std::size_t capacity) : capacity_(capacity) {
  if (capacity == 0 || capacity > kMaxCapacity) {
    throw std::invalid_argument("MarketTable: capacity " + std::to_string(capacity) +
                                " is outside 1.." + std::to_string(kMaxCapacity));
  }
  const std::size_t index_size = std::bit_ceil(2 * capacity);
  keys_ = std::make_unique<Key[]>(capacity);
  codes_ = std::make_unique<MarketCode[]>(capacity);
  index_ = std::make_unique<std::uint16_t[]>(index_size);
  for (std::size_t i = 0; i < index_size; ++i)
    index_[i] = kNoMarket;
  mask_ = index_size - 1;
}

}  // namespace fillwire
