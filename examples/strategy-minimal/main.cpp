// strategy-minimal: the smallest useful program on fillwire's public API.
//
// It connects to an Upbit-compatible private WebSocket (the real exchange, or upbit-sim), keeps the
// account with fillwire::Engine and runs a tiny strategy that watches its own fills: it counts them
// per side and tracks the largest position it has seen. The strategy's callbacks run on the
// strategy thread, on the hot path: they read the account, touch a few numbers and return; they
// never allocate, lock or print.
//
//   UPBIT_ACCESS_KEY=... UPBIT_SECRET_KEY=... strategy-minimal URL [CA_FILE] [EVENTS]
//
// URL      wss://host:port/websocket/v1/private (or ws:// for a plain loopback simulator)
// CA_FILE  an extra certificate to trust, e.g. the one upbit-sim writes at start ("-": none)
// EVENTS   stop after this many order events were applied (default 2000); at most 60 s
//
// Exit status 0 when EVENTS events arrived and every position adds up, 1 otherwise.

#include <fillwire/fillwire.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>
#include <string_view>
#include <thread>

namespace {

struct FillWatcher {
  std::uint64_t buy_fills = 0;
  std::uint64_t sell_fills = 0;
  std::uint64_t reconnects = 0;
  double largest_position = 0.0;
  // Read by main() while the engine runs. The engine builds its strategy in place and never moves
  // it, so an atomic member needs no hand-written move constructor.
  std::atomic<std::uint64_t> orders_seen{0};

  // Called after `e` was applied: `account` already includes it.
  void on_order(const fillwire::OrderEvent& e, const fillwire::AccountState& account) noexcept {
    orders_seen.fetch_add(1, std::memory_order_relaxed);  // relaxed: a progress count only
    if (e.state != fillwire::OrderState::trade) return;
    (e.ask_bid == fillwire::Side::bid ? buy_fills : sell_fills) += 1;
    if (const fillwire::Position* p = account.position(e.code.view()))
      largest_position = std::max(largest_position, p->base_volume);
  }

  void on_control(const fillwire::OrderEvent& e, const fillwire::AccountState&) noexcept {
    if (fillwire::control_code(e) == fillwire::ControlCode::connected) ++reconnects;
  }
};

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr,
                 "usage: %s URL [CA_FILE] [EVENTS]  (keys from UPBIT_ACCESS_KEY, "
                 "UPBIT_SECRET_KEY)\n",
                 argv[0]);
    return 2;
  }
  try {
    fillwire::EngineConfig config;
    config.live.url = argv[1];
    if (argc > 2 && std::string(argv[2]) != "-") config.live.ca_file = argv[2];
    const std::uint64_t wanted = argc > 3 ? std::strtoull(argv[3], nullptr, 10) : 2000;

    fillwire::Engine<FillWatcher> engine(config, fillwire::credentials_from_env());
    engine.start();
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (engine.strategy().orders_seen.load(std::memory_order_relaxed) < wanted &&
           std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    engine.stop();

    // After stop() the account and the strategy belong to this thread.
    const FillWatcher& w = engine.strategy();
    const std::uint64_t seen = w.orders_seen.load(std::memory_order_relaxed);
    std::printf("%s\n", fillwire::format_summary(engine.account()).c_str());
    std::printf(
        "strategy: %llu order events, %llu buy fills, %llu sell fills, %llu connects, "
        "largest position %.8g\n",
        static_cast<unsigned long long>(seen), static_cast<unsigned long long>(w.buy_fills),
        static_cast<unsigned long long>(w.sell_fills),
        static_cast<unsigned long long>(w.reconnects), w.largest_position);

    // Every position must add up: held = bought - sold (no starting holdings configured here).
    bool consistent = true;
    const fillwire::AccountState& account = engine.account();
    for (std::uint16_t m = 0; m < account.market_count(); ++m) {
      const fillwire::Position& p = account.position_at(m);
      const double held = p.bought_volume - p.sold_volume + p.unattributed_volume;
      if (std::abs(held - p.base_volume) > 1e-9 * std::max(1.0, std::abs(held))) {
        const std::string_view code = account.market_code(m);
        std::fprintf(stderr, "%.*s: base volume %.17g, bought - sold %.17g\n",
                     static_cast<int>(code.size()), code.data(), p.base_volume, held);
        consistent = false;
      }
    }
    if (seen < wanted) {
      std::fprintf(stderr, "only %llu of %llu events arrived within 60 s\n",
                   static_cast<unsigned long long>(seen), static_cast<unsigned long long>(wanted));
      return 1;
    }
    return consistent ? 0 : 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "strategy-minimal: %s\n", e.what());
    return 1;
  }
}
