// Embedding fillwire: the engine on its own threads, a strategy called for every order event, and
// the account read from another thread. This file is the README's "Embedding" sample.
//   embedding_example [URL [CA_FILE]]   keys from UPBIT_ACCESS_KEY / UPBIT_SECRET_KEY

#include <fillwire/engine.hpp>

#include <chrono>
#include <cstdio>
#include <memory>
#include <thread>

// Runs on the strategy thread after each order event was applied: no allocation, no lock, no throw.
struct CountLargeFills {
  double threshold_krw = 1'000'000;
  unsigned long long large_fills = 0;
  void on_order(const fillwire::OrderEvent& e, const fillwire::AccountState&) noexcept {
    if (e.state == fillwire::OrderState::trade && e.price * e.volume >= threshold_krw)
      ++large_fills;
  }
};

int main(int argc, char** argv) {
  fillwire::EngineConfig config;  // wss://api.upbit.com/websocket/v1/private, all markets
  if (argc > 1) config.live.url = argv[1];
  if (argc > 2) config.live.ca_file = argv[2];
  config.log_path = "fillwire.log";  // connection notices and periodic summaries

  fillwire::Engine<CountLargeFills> engine(config, fillwire::credentials_from_env());
  engine.start();

  // Any other thread may read snapshots; the strategy thread fills them without locking.
  auto snapshot = std::make_unique<fillwire::AccountSnapshot>();
  for (int second = 0; second < 10; ++second) {
    std::this_thread::sleep_for(std::chrono::seconds(1));
    if (engine.snapshot(*snapshot)) {
      std::printf("%llu events, %zu open orders, p99 latency %llu ns\n",
                  static_cast<unsigned long long>(snapshot->order_events), snapshot->open_orders,
                  static_cast<unsigned long long>(snapshot->latency.percentile(0.99)));
    }
  }
  engine.stop();  // from any thread; the account is final afterwards
  std::printf("large fills: %llu\n", engine.strategy().large_fills);
  return 0;
}
