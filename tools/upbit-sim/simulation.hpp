#pragma once
// Simulation: the generator, the authoritative order book, the ground truth and the stream digest,
// advanced together one event at a time. What the server broadcasts is exactly what this records.
//
// Stream digest: 64-bit, over every event's DEFAULT JSON in order. Per event, each 8-byte
// little-endian word of the text (the last zero-padded) is mixed as h = (h ^ w) * 0x100000001b3,
// then the length the same way, starting from 0xcbf29ce484222325. Same seed (and epoch) -> same
// digest. Not thread-safe: one owner thread.

#include <cstdint>
#include <cstring>
#include <string_view>

#include "fillwire/encoder.hpp"
#include "generator.hpp"
#include "order_book.hpp"
#include "truth.hpp"

namespace fillwire::sim {

struct SimulationConfig {
  GeneratorConfig generator;
  std::size_t max_closed_orders = 200'000;
  Fx initial_krw = fx_from_int(1'000'000'000);
};

class Simulation {
 public:
  explicit Simulation(const SimulationConfig& config)
      : generator_(config.generator), book_(config.max_closed_orders), truth_(config.initial_krw) {}

  // Generates, records and encodes (DEFAULT) the next event.
  const Emission& next() {
    const Emission& e = generator_.next();
    book_.apply(e);
    truth_.apply(e);
    full_size_ = encode(e.event, WireFormat::full, full_, sizeof full_);
    mix(full_, full_size_);
    ++events_;
    return e;
  }

  // The DEFAULT JSON of the last event.
  [[nodiscard]] std::string_view last_full() const noexcept { return {full_, full_size_}; }

  [[nodiscard]] std::uint64_t digest() const noexcept { return digest_; }
  [[nodiscard]] std::uint64_t events() const noexcept { return events_; }
  [[nodiscard]] const OrderBook& book() const noexcept { return book_; }
  [[nodiscard]] const Truth& truth() const noexcept { return truth_; }
  [[nodiscard]] Generator& generator() noexcept { return generator_; }
  [[nodiscard]] std::string truth_json(bool with_orders) const {
    return truth_.to_json(book_, digest_, with_orders);
  }

 private:
  void mix(const char* p, std::size_t n) noexcept {
    constexpr std::uint64_t kPrime = 0x100000001b3ull;
    std::uint64_t h = digest_;
    std::size_t i = 0;
    for (; i + 8 <= n; i += 8) {
      std::uint64_t w;
      std::memcpy(&w, p + i, 8);
      h = (h ^ w) * kPrime;
    }
    std::uint64_t w = 0;
    std::memcpy(&w, p + i, n - i);
    h = (h ^ w) * kPrime;
    digest_ = (h ^ n) * kPrime;
  }

  Generator generator_;
  OrderBook book_;
  Truth truth_;
  char full_[kMaxEncodedEvent];
  std::size_t full_size_ = 0;
  std::uint64_t digest_ = 0xcbf29ce484222325ull;
  std::uint64_t events_ = 0;
};

}  // namespace fillwire::sim
