// fillwire bench: a quick end-to-end measurement on this machine, through the product's own path.
// upbit-sim runs in this process on a free loopback port and sends N events with no faults, as
// fast as the client reads (or at --rate); the client (the Engine facade: LiveSource, ring,
// AccountState) reads them over ws:// or wss:// (--tls). It prints events per second and the
// latency from each frame's receipt to the end of the strategy callback (p50, p99, p99.9, max),
// then checks the state against the simulator's ground truth. For the measured benchmarks with
// baselines, see bench/ (Google Benchmark): this command is a smoke test of a host, not a claim.

#include <fmt/core.h>

#include <chrono>
#include <memory>
#include <thread>

#include "commands.hpp"
#include "fillwire/auth.hpp"
#include "fillwire/engine.hpp"
#include "live_view.hpp"
#include "server_thread.hpp"
#include "verify.hpp"

namespace fillwire::cli {
namespace {

using Clock = std::chrono::steady_clock;

struct BenchSettings {
  std::uint64_t events = 200'000;
  double rate = 0;  // 0: as fast as the client reads
  bool tls = false;
  bool busy_poll = false;
  double timeout_s = 120;
};

template <class Wait>
int run_bench(const BenchSettings& b) {
  Credentials keys{"bench-" + new_nonce(), Secret(new_nonce() + new_nonce())};
  sim::ServerConfig sc;
  sc.bind = "127.0.0.1";
  sc.port = 0;
  sc.tls = b.tls;
  sc.access_key = keys.access_key;
  sc.secret_key = std::string(keys.secret_key.reveal());
  sc.rate = b.rate;
  sc.total = b.events;
  auto sim = std::make_unique<sim::ServerThread>(sc);
  sim::Server& server = sim->server();

  EngineConfig config;
  config.live.url =
      fmt::format("{}://127.0.0.1:{}/websocket/v1/private", b.tls ? "wss" : "ws", server.port());
  if (b.tls) config.live.ca_file = server.cert_path();
  config.live.resync = false;  // a clean stream carries every event
  // Orders only: the figures are the order stream's (and --events counts order events).
  config.live.balances = false;
  config.live.blocking = !b.busy_poll;
  config.account.completed_orders = static_cast<std::size_t>(b.events) + 1024;
  Engine<NoStrategy, Wait> engine(config, std::move(keys));

  install_stop_signals();
  engine.start();
  const auto deadline = Clock::now() + std::chrono::duration<double>(b.timeout_s);
  Clock::time_point first{};
  std::uint64_t first_events = 0;
  while (!stop_signalled() && Clock::now() < deadline) {
    const std::uint64_t n = engine.counters().live.events;
    if (first_events == 0 && n > 0) {
      first = Clock::now();
      first_events = n;
    }
    if (n >= b.events) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  const auto last = Clock::now();
  engine.stop();
  restore_stop_signals();

  const EngineCounters c = engine.counters();
  auto snap = std::make_unique<AccountSnapshot>();
  const bool have = engine.snapshot(*snap);
  const double seconds = std::chrono::duration<double>(last - first).count();
  const double per_s =
      seconds > 0 ? static_cast<double>(c.live.events - first_events) / seconds : 0.0;
  fmt::print("fillwire bench: {} events over {} from in-process upbit-sim ({}), {} wait\n",
             c.live.events, b.tls ? "wss://" : "ws://",
             b.rate > 0 ? fmt::format("{:.0f}/s", b.rate) : std::string("as fast as read"),
             b.busy_poll ? "busy-poll" : "blocking");
  fmt::print("  throughput   {:.0f} events/s ({:.3f} s)\n", per_s, seconds);
  if (have) {
    const LatencyHistogram& h = snap->latency;
    fmt::print(
        "  latency      receipt -> strategy done: p50 {} ns, p99 {} ns, p99.9 {} ns, max {} ns "
        "({} samples)\n",
        h.percentile(0.5), h.percentile(0.99), h.percentile(0.999), h.max_ns, h.samples);
  }
  if (c.live.events < b.events) {
    fmt::print(stderr, "fillwire bench: only {} of {} events arrived within {:.0f} s\n",
               c.live.events, b.events, b.timeout_s);
    return 1;
  }
  const std::string diff =
      sim::differences(server.truth_json(true), engine.account(), {.balances = false});
  fmt::print("state equals exchange ground truth: {}\n{}", diff.empty() ? "yes" : "no", diff);
  return diff.empty() ? 0 : 1;
}

}  // namespace

Command add_bench_command(CLI::App& root) {
  CLI::App* app = root.add_subcommand(
      "bench", "Measure this host end to end: in-process upbit-sim -> loopback -> the engine");
  auto b = std::make_shared<BenchSettings>();
  app->add_option("--events", b->events, "events to send (default 200000)")
      ->check(CLI::Range(std::uint64_t{1}, std::uint64_t{100'000'000}));
  app->add_option("--rate", b->rate, "events per second; 0 = as fast as the client reads")
      ->check(CLI::NonNegativeNumber);
  app->add_flag("--tls", b->tls, "wss:// with the simulator's own certificate (default ws://)");
  app->add_flag("--busy-poll", b->busy_poll, "spin instead of sleeping when idle");
  app->add_option("--timeout", b->timeout_s, "give up after this many seconds (default 120)")
      ->check(CLI::PositiveNumber);
  app->footer(
      "Prints events/s and receipt-to-strategy latency percentiles, then the ground-truth "
      "verdict.\n"
      "The benchmarks with baselines and percentiles across stages: bench/, docs/BENCHMARKS.md.");
  return {app, [b]() -> int {
            return b->busy_poll ? run_bench<SpinThenYield>(*b) : run_bench<Blocking>(*b);
          }};
}

}  // namespace fillwire::cli
