// fillwire demo: the whole system on one machine in under a minute. It starts upbit-sim in this
// process on a free loopback port with TLS (a certificate it makes at start), a realistic order
// flow, occasional external deposits and withdrawals, and faults (disconnects, duplicates,
// reordering, garbled frames, a refused handshake); connects the real client over wss:// trusting
// that certificate, through the same Engine facade a strategy embeds; shows the account live; and
// at the end compares the engine's state with the simulator's ground truth, order by order, market
// by market (PnL included) and currency by currency, each movement expected as a balance drift
// and nothing else (sim::verify), printing
//     state equals exchange ground truth: yes (1412 orders, 6 markets with PnL, 7 balances; 4
//     external movements, each reported as a drift)
// (or `no` and the differences, with exit status 1). Ctrl-C ends it at any time with the summary.

#include <fmt/core.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <thread>

#include "commands.hpp"
#include "fillwire/auth.hpp"
#include "fillwire/engine.hpp"
#include "live_view.hpp"
#include "run_config.hpp"
#include "server.hpp"
#include "server_thread.hpp"
#include "verify.hpp"

namespace fillwire::cli {
namespace {

using Clock = std::chrono::steady_clock;

// The chance of an external deposit or withdrawal after each step of the order flow (a step is
// about 2.5 events): about one every 2.5 s at the default 1,000 events/s. Drawn from the seed.
constexpr double kMoveProb = 0.0004;

sim::ServerConfig simulator_config(const RunSettings& s, std::uint64_t total,
                                   const Credentials& keys) {
  sim::ServerConfig c;
  c.bind = "127.0.0.1";
  c.port = 0;  // a free port
  c.tls = true;
  c.access_key = keys.access_key;
  c.secret_key = std::string(keys.secret_key.reveal());
  c.rate = s.demo_rate;
  c.total = total;
  c.wall_clock = true;  // fills show the time of day
  c.simulation.generator.seed = s.demo_seed;
  c.simulation.moves.prob = kMoveProb;
  if (s.demo_faults == "all") {
    c.faults.disconnect_every_s = std::max(3.0, s.duration_s / 5.0);  // about four disconnects
    c.faults.reorder_window = 4;
  }
  if (s.demo_faults != "none") {
    c.faults.duplicate_prob = 0.005;
    c.faults.malformed_prob = 0.0005;
    c.faults.refuse_handshakes = 1;
  }
  return c;
}

template <class Wait>
int run_demo(const RunSettings& s) {
  const auto total = static_cast<std::uint64_t>(s.demo_rate * s.duration_s);
  // Keys made for this run only: the simulator checks them, the client signs with them, nothing
  // prints them.
  Credentials keys{fmt::format("demo-{}", new_nonce()),
                   Secret(fmt::format("{}{}", new_nonce(), new_nonce()))};
  auto sim = std::make_unique<sim::ServerThread>(simulator_config(s, total, keys));
  sim::Server& server = sim->server();

  RunSettings client = s;
  client.url = fmt::format("wss://127.0.0.1:{}/websocket/v1/private", server.port());
  client.ca_file = server.cert_path();
  client.format = "default";
  EngineConfig config = engine_config(client);
  config.live.backoff_initial = std::chrono::milliseconds(50);
  config.live.backoff_max = std::chrono::milliseconds(500);
  // The simulator's clock is the exchange's, so the closed-orders window after a reconnect only
  // has to reach back over the gap itself, not over clock skew.
  config.live.closed_margin = std::chrono::milliseconds(2000);
  // Without disconnects the stream carries every event: no resync is needed, not even at the
  // first connect.
  if (s.demo_faults != "all") config.live.resync = false;
  // Every order of the run stays in the table, so the comparison with the truth is complete.
  config.account.completed_orders =
      std::max<std::size_t>(config.account.completed_orders, total + 1024);
  // Every drift too: each movement is looked for among them.
  config.account.drifts = std::max<std::size_t>(
      config.account.drifts, static_cast<std::size_t>(static_cast<double>(total) * kMoveProb) + 64);

  Engine<NoStrategy, Wait> engine(config, std::move(keys));
  const ViewSource source = view_of(engine);

  // Finished: every event generated, the client connected, its resync done and quiet for a second
  // (it has read everything the simulator sent and resynchronised after the last disconnect).
  std::uint64_t last_events = 0;
  auto quiet_since = Clock::now();
  ViewLoop loop;
  loop.title =
      fmt::format("fillwire demo  client {}  <-  upbit-sim (TLS, own certificate)", client.url);
  loop.refresh_ms = s.refresh_ms;
  loop.duration_s = s.duration_s + 30;  // a client that cannot catch up is still stopped
  loop.status = [&server, total, &s] {
    const sim::ServerStats st = server.stats();
    return fmt::format(
        "upbit-sim    {} of {} events at {:.0f}/s   external movements {}   faults {}: "
        "disconnects {}  duplicates {}  garbled {}  refused handshakes {}",
        st.events_generated, total, s.demo_rate, st.external_moves, s.demo_faults,
        st.fault_disconnects, st.duplicates, st.malformed, st.refused_handshakes);
  };
  loop.finished = [&] {
    const EngineCounters c = engine.counters();
    const auto now = Clock::now();
    if (c.live.events != last_events) {
      last_events = c.live.events;
      quiet_since = now;
    }
    // The current connection's resync has finished (a failed one drops the connection): a
    // long resync is quiet on the stream but not the end.
    const bool settled =
        !config.live.resync || c.live.resyncs + c.live.resync_failures >= c.live.connects;
    return server.stats().events_generated >= total && c.connected && settled &&
           now - quiet_since > std::chrono::seconds(1);
  };

  const auto start = Clock::now();
  start_engine(engine, "demo");
  const LoopEnd end = run_view(source, loop);
  engine.stop();
  restore_stop_signals();
  const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();

  fmt::print("{}\n", final_view(source, "fillwire demo: final state", elapsed));
  const sim::ServerStats st = server.stats();
  fmt::print(
      "upbit-sim: {} events generated, {} external movements; faults injected: {} disconnects, {} "
      "duplicates, {} garbled frames, {} refused handshakes\n",
      st.events_generated, st.external_moves, st.fault_disconnects, st.duplicates, st.malformed,
      st.refused_handshakes);
  if (end == LoopEnd::signal) {
    fmt::print(
        "interrupted after {:.1f} s (signal {}): the flow had not finished, so the state "
        "was not compared with the ground truth\n",
        elapsed, stop_signal());
    return kExitInterrupted;
  }
  // Frames reordered across a resync's list or a settle window's end can still show as drifts
  // that later ones undo: drifts are judged without reordering only (README).
  const bool judge_drifts = s.demo_faults != "all";
  const std::string truth = server.truth_json(true);
  const sim::Verdict verdict = sim::verify(truth, engine.account(), {.drifts = judge_drifts});
  if (verdict.equal()) {
    fmt::print("state equals exchange ground truth: yes ({}{})\n", sim::describe(verdict),
               judge_drifts ? "" : "; drifts not judged with reordering");
    return 0;
  }
  fmt::print("state equals exchange ground truth: no\n{}", verdict.differences);
  if (sim::differences(truth, engine.account(), {.pnl = false, .drifts = judge_drifts}).empty()) {
    fmt::print(
        "(every order, position, volume, fee, notional, balance and drift equals the truth; only "
        "realized PnL differs: a fill arrived older than the fill window could put in place, see "
        "fills_out_of_place)\n");
  }
  if (end == LoopEnd::duration)
    fmt::print("(the client had not caught up with the simulator when the time limit passed)\n");
  return 1;
}

}  // namespace

Command add_demo_command(CLI::App& root) {
  return add_run_command(
      root, "demo",
      "Run upbit-sim in this process (TLS, faults) and the live client against it; show the "
      "account live, then check it against the exchange's ground truth",
      "Ends by itself after --duration seconds of order flow (default 25) with the verdict\n"
      "'state equals exchange ground truth: yes' (exit 0) or 'no' and the differences (exit 1).\n"
      "Ctrl-C ends it at any time with the summary (exit 130).",
      /*demo=*/true, [](const RunSettings& s) {
        if (s.duration_s <= 0)
          throw UsageError("--duration must be positive for the demo (seconds of flow)");
        return s.busy_poll ? run_demo<SpinThenYield>(s) : run_demo<Blocking>(s);
      });
}

}  // namespace fillwire::cli
