#pragma once
// Simulation: the generator, the authoritative order book, the ground truth and the stream digest,
// advanced together one event at a time. What the server broadcasts is exactly what this records.
//
// Balances: after each event, the myAsset frame that follows it (order_assets(): the currencies
// whose balance or locked amount it changed; none when it changed neither). After each generator
// step, with probability `moves.prob`, an external deposit or withdrawal (external_move()) and its
// frame (move_assets(): that currency only). Movements draw from a random stream of their own and
// a withdrawal takes back at most what deposits of that currency brought in (and never more than
// is available), so the generator's holdings, and with them the order flow of a seed, are the
// same with movements as without.
//
// Stream digest: 64-bit, over every event in order: the 32 little-endian 8-byte words of the
// event's OrderEvent image (zero-filled, then every field set; see make_event) are mixed as
// h = (h ^ w) * 0x100000001b3, starting from 0xcbf29ce484222325. Same seed (and epoch) -> same
// digest. Hashing the POD rather than a JSON form keeps encoding to the formats clients asked for.
// Not thread-safe: one owner thread.

#include <cstdint>
#include <cstring>
#include <string_view>

#include "asset.hpp"
#include "fillwire/encoder.hpp"
#include "generator.hpp"
#include "order_book.hpp"
#include "truth.hpp"

namespace fillwire::sim {

struct ExternalMoveConfig {
  double prob = 0;             // chance of a deposit or withdrawal after a generator step (0: none)
  std::size_t keep = 100'000;  // movements listed in the truth; older ones are counted, not kept
};

struct SimulationConfig {
  GeneratorConfig generator;
  std::size_t max_closed_orders = 200'000;
  Fx initial_krw = fx_from_int(1'000'000'000);
  ExternalMoveConfig moves;
};

class Simulation {
 public:
  explicit Simulation(const SimulationConfig& config)
      : generator_(config.generator),
        book_(config.max_closed_orders),
        truth_(config.initial_krw, config.moves.keep),
        moves_(config.moves),
        move_rng_(config.generator.seed ^ 0xE87E7A1D0E905175ull) {}

  // Generates and records the next event, and the balances it changed.
  const Emission& next() {
    const Emission& e = generator_.next();
    book_.apply(e);
    truth_.apply(e);
    mix(e.event);
    ++events_;
    note_order_assets(e);
    return e;
  }
  // The myAsset frame after the last event, or nullptr when it changed no balance. Valid until
  // the next call of next().
  [[nodiscard]] const AssetUpdate* order_assets() const noexcept {
    return order_assets_.count > 0 ? &order_assets_ : nullptr;
  }

  // After next(): an external deposit or withdrawal made now, or nullptr (movements off, a step
  // not finished, or none drawn). Its frame is move_assets(). Valid until the next call.
  const ExternalMove* external_move();
  [[nodiscard]] const AssetUpdate& move_assets() const noexcept { return move_assets_; }

  // A currency's balance now (see asset.hpp).
  [[nodiscard]] Balance balance(std::size_t currency) const noexcept {
    const Fx locked = currency == kKrw ? book_.locked_krw() : book_.locked_base(currency - 1);
    return {truth_.total(currency) - locked, locked};
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

  void note_order_assets(const Emission& e);

  Generator generator_;
  OrderBook book_;
  Truth truth_;
  ExternalMoveConfig moves_;
  Rng move_rng_;  // movements only: the order flow's draws are not shared
  AssetUpdate order_assets_;
  AssetUpdate move_assets_;
  ExternalMove move_;
  std::uint64_t digest_ = 0xcbf29ce484222325ull;
  std::uint64_t events_ = 0;
};

}  // namespace fillwire::sim
