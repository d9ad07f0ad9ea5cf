// Engine<Strategy> end to end over real loopback sockets: upbit-sim serving ws:// and wss:// with
// faults on, the engine with a tiny strategy on its own threads, a reader thread taking snapshots
// while events flow, then the final state compared with the simulator's ground truth. Also: the
// journal holds the raw frames and periodic summaries and never the secret; stop() from another
// thread; the embedding sample of the README.

#include <gtest/gtest.h>

#include <unistd.h>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include "fillwire/engine.hpp"
#include "fillwire/snapshot_view.hpp"
#include "server.hpp"
#include "server_thread.hpp"
#include "verify.hpp"
#include "wait.hpp"

namespace fillwire {
namespace {

using namespace std::chrono_literals;

constexpr const char* kAccess = "engine-test-access";
constexpr const char* kSecret = "engine-test-SECRET-never-print-91c2";

// The tiny strategy: counts what it is called with, on the strategy thread.
struct CountingStrategy {
  std::uint64_t orders = 0;
  std::uint64_t controls = 0;
  std::uint64_t mismatched = 0;  // account did not yet include the event it was called for
  void on_order(const OrderEvent& e, const AccountState& a) noexcept {
    ++orders;
    if (a.find_order(e.uuid) == nullptr && a.counters().table_full == 0) ++mismatched;
  }
  void on_control(const OrderEvent&, const AccountState&) noexcept { ++controls; }
};

EngineConfig engine_config(sim::ServerThread& sim, bool tls) {
  EngineConfig c;
  c.live.url = sim.url(tls);
  c.live.ca_file = sim->cert_path();
  c.live.backoff_initial = 10ms;
  c.live.backoff_max = 200ms;
  c.live.seed = 7;
  c.account.open_orders = 8192;
  c.account.completed_orders = 1u << 17;  // every order of the run stays comparable
  c.snapshot_interval = 20ms;
  c.summary_interval = 200ms;
  return c;
}

struct RunOutcome {
  std::string diff;         // full comparison, PnL included
  std::string diff_no_pnl;  // orders, positions, volumes, fees and notionals only
};

// Runs the engine against the simulator until the flow ended and the client was quiet, with a
// reader thread taking snapshots all along; checks the engine's own invariants and returns the
// comparisons with the truth.
RunOutcome run_engine(bool tls, bool disconnects, bool reordering) {
  const std::uint64_t total = 30000;
  sim::ServerConfig sc;
  sc.access_key = kAccess;
  sc.secret_key = kSecret;
  // As fast as the client reads: a loaded machine never makes it a slow consumer, and generation
  // pauses while it is disconnected.
  sc.rate = 0;
  sc.total = total;
  sc.ws_rate_limit = false;
  sc.simulation.generator.seed = tls ? 21 : 22;
  if (disconnects) sc.faults.disconnect_after = 9000;
  sc.faults.duplicate_prob = 0.01;
  if (reordering) sc.faults.reorder_window = 6;
  sc.faults.malformed_prob = 0.001;
  sc.faults.refuse_handshakes = 1;
  sim::ServerThread sim(sc);

  const auto dir = std::filesystem::temp_directory_path() /
                   ("fillwire-engine-" + std::to_string(::getpid()) + (tls ? "-wss" : "-ws"));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  EngineConfig config = engine_config(sim, tls);
  config.journal =
      JournalConfig{(dir / "journal.fwj").string(), 1u << 30, 2, 16u << 20, 1u << 16, 4};
  config.log_path = (dir / "engine.log").string();
  // Without disconnects the stream alone carries every event: no REST resync, whose snapshots
  // would be applied out of trade-time order (README, Status and limits).
  if (!disconnects) config.live.resync = false;

  Engine<CountingStrategy> engine(config, Credentials{kAccess, Secret(kSecret)});
  engine.start();

  // The reader: snapshots from another thread while events flow. Versions only grow, and so do
  // the account's counts; every snapshot is internally consistent.
  std::atomic<bool> reading{true};
  std::uint64_t reads = 0;
  std::uint64_t distinct = 0;
  std::string reader_error;
  std::thread reader([&] {
    auto s = std::make_unique<AccountSnapshot>();
    std::uint64_t last_version = 0;
    std::uint64_t last_events = 0;
    while (reading.load(std::memory_order_relaxed)) {
      if (engine.snapshot(*s)) {
        ++reads;
        if (s->version < last_version) reader_error = "version went back";
        if (s->order_events < last_events) reader_error = "events went back";
        if (s->fill_count > AccountSnapshot::kMaxFills) reader_error = "fills overflow";
        if (s->version != last_version) ++distinct;
        last_version = s->version;
        last_events = s->order_events;
        (void)format_view(*s, engine.counters(), ViewContext{});  // the views take any snapshot
      }
      std::this_thread::sleep_for(5ms);  // the reader's pace (the scenario), not a wait
    }
  });

  // Until the flow has ended and the client has been quiet (connected, its resync ended, no new
  // event for 1.5 s).
  test::Unchanged quiet(1500ms);
  (void)test::wait_until(
      [&] {
        const EngineCounters c = engine.counters();
        const bool quiet_now = quiet(c.live.events);
        // The current connection's resync has ended (a failed one drops the connection).
        const bool settled =
            !config.live.resync || c.live.resyncs + c.live.resync_failures >= c.live.connects;
        return sim->stats().events_generated >= total && engine.connected() && settled && quiet_now;
      },
      120s, 50ms);
  // stop() from another thread than the one that started the engine.
  std::thread stopper([&] { engine.stop(); });
  stopper.join();
  reading.store(false);
  reader.join();

  EXPECT_EQ(reader_error, "");
  EXPECT_GE(distinct, 3u) << "snapshots must arrive while events flow (" << reads << " reads)";

  const EngineCounters c = engine.counters();
  if (disconnects) {
    EXPECT_GE(c.live.disconnects, 2u) << "the fault run must really disconnect";
  } else {
    EXPECT_EQ(c.live.disconnects, 0u) << std::ifstream(dir / "engine.log").rdbuf();
    EXPECT_EQ(c.live.connects, 1u);
  }
  EXPECT_GE(c.live.attempts, c.live.connects + 1) << "the refused handshake is retried";
  EXPECT_GT(c.live.decode_errors, 0u) << "garbled frames were sent and must be counted";
  EXPECT_EQ(c.journal.dropped, 0u);

  // The final snapshot is the final state.
  auto last_snapshot = std::make_unique<AccountSnapshot>();
  EXPECT_TRUE(engine.snapshot(*last_snapshot));
  const AccountState& account = engine.account();
  EXPECT_EQ(last_snapshot->counters.events, account.counters().events);
  EXPECT_EQ(last_snapshot->open_orders, account.open_order_count());
  EXPECT_GT(last_snapshot->latency.samples, 0u);
  EXPECT_GT(last_snapshot->fill_count, 0u);
  EXPECT_GT(account.counters().duplicates, 0u);
  if (!reordering && !disconnects) {
    EXPECT_EQ(account.counters().stale, 0u);
    EXPECT_EQ(account.counters().gaps_healed, 0u);
  }
  EXPECT_EQ(last_snapshot->connection.connects, c.live.connects);

  EXPECT_EQ(engine.strategy().mismatched, 0u);
  EXPECT_EQ(engine.strategy().orders,
            account.counters().events - account.counters().not_order - account.counters().assets)
      << "balance reports never reach on_order";
  EXPECT_GT(account.counters().assets, 0u) << "myAsset rides on the same connection";
  EXPECT_EQ(engine.strategy().controls, account.counters().not_order);

  // Journal: frames, notices and summaries; the log has the notices; no secret anywhere.
  std::uint64_t frames = 0;
  std::uint64_t summaries = 0;
  std::uint64_t notices = 0;
  {
    JournalReader journal((dir / "journal.fwj").string());
    JournalRecordHeader h{};
    std::string payload;
    while (journal.next(h, payload)) {
      frames += h.kind == JournalKind::frame ? 1 : 0;
      summaries += h.kind == JournalKind::summary ? 1 : 0;
      notices += h.kind == JournalKind::notice ? 1 : 0;
      EXPECT_EQ(payload.find(kSecret), std::string::npos);
    }
    EXPECT_EQ(journal.error(), "");
  }
  EXPECT_GT(frames, 0u);
  EXPECT_GE(summaries, 2u) << "periodic summaries and the final one";
  EXPECT_GT(notices, 0u);
  std::ifstream log_file(dir / "engine.log");
  const std::string log((std::istreambuf_iterator<char>(log_file)),
                        std::istreambuf_iterator<char>());
  EXPECT_NE(log.find("connected"), std::string::npos) << log;
  EXPECT_NE(log.find("final:"), std::string::npos) << log;
  EXPECT_EQ(log.find(kSecret), std::string::npos);
  std::filesystem::remove_all(dir);

  RunOutcome r;
  const std::string truth = sim->truth_json(true);
  // Drifts are judged without disconnects only: a resync's balance list races with the flow
  // (live_test.cpp, kNoDrifts).
  r.diff = sim::differences(truth, account, {.drifts = !disconnects});
  r.diff_no_pnl = sim::differences(truth, account, {.pnl = false, .drifts = !disconnects});
  return r;
}

class EngineRun : public ::testing::TestWithParam<bool> {};

// Duplicates, garbled frames and a refused handshake: the stream alone must reproduce the truth
// exactly, realized PnL included.
TEST_P(EngineRun, DuplicatesAndGarbledFramesEqualTruthIncludingPnl) {
  const RunOutcome r = run_engine(GetParam(), /*disconnects=*/false, /*reordering=*/false);
  EXPECT_EQ(r.diff, "");
}

// Every fault (disconnects, reordering, duplicates, garbled frames, refused handshakes): every
// order, position, volume, fee and notional, and realized PnL too, must equal the truth: fills are
// applied in trade-time order, and a resync feeds the trades it recovers one by one.
TEST_P(EngineRun, AllFaultsEqualTruthIncludingPnl) {
  const RunOutcome r = run_engine(GetParam(), /*disconnects=*/true, /*reordering=*/true);
  EXPECT_EQ(r.diff_no_pnl, "");
  EXPECT_EQ(r.diff, "");
}

INSTANTIATE_TEST_SUITE_P(WsAndWss, EngineRun, ::testing::Values(false, true), [](const auto& p) {
  return p.param ? std::string("wss") : std::string("ws");
});

TEST(Engine, StopsCleanlyWithoutEverConnecting) {
  EngineConfig config;
  config.live.url = "ws://127.0.0.1:1/websocket/v1/private";  // nothing listens on port 1
  config.live.backoff_initial = 20ms;
  Engine<NoStrategy> engine(config, Credentials{kAccess, Secret(kSecret)});
  engine.start();
  EXPECT_TRUE(test::wait_until([&] { return engine.counters().live.attempts >= 1; }, 10s));
  EXPECT_FALSE(engine.connected());
  engine.stop();
  engine.stop();  // idempotent
  EXPECT_FALSE(engine.running());
  EXPECT_EQ(engine.counters().live.connects, 0u);
  EXPECT_GE(engine.counters().live.attempts, 1u);
}

TEST(Engine, RefusesABadConfigurationWithAClearError) {
  EngineConfig config;
  config.account.open_orders = 0;
  try {
    Engine<NoStrategy> engine(config, Credentials{kAccess, Secret(kSecret)});
    FAIL() << "a zero capacity must be refused";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("open_orders"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace fillwire
