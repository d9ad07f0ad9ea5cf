#pragma once
// Simulation: the generator, the authoritative order book, the ground truth and the stream digest,
// advanced together one event at a time. What the server broadcasts is exactly what this records.
//
// Stream digest: 64-bit, over every event in order: the 32 little-endian 8-byte words of the
// event's OrderEvent image (zero-filled, then every field set; see make_event) are mixed as
// h = (h ^ w) * 0x100000001b3, starting from 0xcbf29ce484222325. Same seed (and epoch) -> same
// digest. Hashing the POD rather than a JSON form keeps encoding to the formats clients asked for.
// Not thread-safe: one owner thread.

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

  // Generates and records the next event.
  const Emission& next() {
    const Emission& e = generator_.next();
    book_.apply(e);
    truth_.apply(e);
    mix(e.event);
    ++events_;
    return e;
  }

  [[nodiscard]] std::uint64_t digest() const noexcept { return digest_; }
  [[nodiscard]] std::uint64_t events() const noexcept { return events_; }
  [[nodiscard]] const OrderBook& book() const noexcept { return book_; }
  [[nodiscard]] const Truth& truth() const noexcept { return truth_; }
  [[nodiscard]] Generator& generator() noexcept { return generator_; }
  [[nodiscard]] TruthSnapshot truth_snapshot(bool with_orders) const {
    return TruthSnapshot::take(truth_, book_, digest_, with_orders);
  }
  [[nodiscard]] std::string truth_json(bool with_orders) const {
    return truth_snapshot(with_orders).to_json();
  }

 private:
  void mix(const OrderEvent& e) noexcept {
    static_assert(sizeof(OrderEvent) % 8 == 0, "The digest reads the event as 8-byte words.");
    constexpr std::uint64_t kPrime = 0x100000001b3ull;
    const auto* p = reinterpret_cast<const unsigned char*>(&e);
    std::uint64_t h = digest_;
    for (std::size_t i = 0; i < sizeof(OrderEvent); i += 8) {
      std::uint64_t w;
      std::memcpy(&w, p + i, 8);
      h = (h ^ w) * kPrime;
    }
    digest_ = h;
  }

  Generator generator_;
  OrderBook book_;
  Truth truth_;
  std::uint64_t digest_ = 0xcbf29ce484222325ull;
  std::uint64_t events_ = 0;
};

}  // namespace fillwire::sim
