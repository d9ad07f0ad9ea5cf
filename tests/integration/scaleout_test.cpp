// Scale-out end to end over real sockets: upbit-sim with faults, the live client journaling, the
// gateway's NatsPublisher publishing that journal to real nats-server processes (one node, or a
// three-node JetStream cluster with the stream replicated three times), and followers
// (JetStreamSource through a fresh pipeline and state) that must end with the gateway's state and
// the simulator's truth, whatever happens to NATS meanwhile.

#include <gtest/gtest.h>

#include <nats/nats.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "account.hpp"
#include "fillwire/account_state.hpp"
#include "fillwire/decoder.hpp"
#include "fillwire/engine.hpp"
#include "fillwire/jetstream_source.hpp"
#include "fillwire/journal.hpp"
#include "fillwire/live_source.hpp"
#include "fillwire/nats_publisher.hpp"
#include "fillwire/pipeline.hpp"
#include "fillwire/strategy.hpp"
#include "frames.hpp"
#include "live_run.hpp"
#include "nats_cluster.hpp"
#include "same_state.hpp"
#include "scratch_dir.hpp"
#include "server.hpp"
#include "server_thread.hpp"
#include "tcp_proxy.hpp"
#include "tls_cert.hpp"
#include "verify.hpp"
#include "wait.hpp"

namespace fillwire {
namespace {

using namespace std::chrono_literals;
using sim::ServerConfig;

constexpr const char* kAccess = "scaleout-access";
constexpr const char* kSecret = "scaleout-SECRET-never-published-5c1d";
constexpr const char* kAccount = "desk-1";
constexpr sim::Checks kNoDriftsNoPnl{.pnl = false, .drifts = false};

// A strategy that remembers what it was called with, in order: a count and a hash chain of each
// order event's identity and figures (and each balance report's), so two strategies can be told
// to have had the same calls in the same order.
struct CallLog {
  std::uint64_t orders = 0;
  std::uint64_t assets = 0;
  std::uint64_t chain = 1469598103934665603ull;  // FNV-1a
  void mix(const void* p, std::size_t n) noexcept {
    const auto* b = static_cast<const unsigned char*>(p);
    for (std::size_t i = 0; i < n; ++i)
      chain = (chain ^ b[i]) * 1099511628211ull;
  }
  void on_order(const OrderEvent& e, const AccountState&) noexcept {
    ++orders;
    mix(&e.uuid, sizeof e.uuid);
    mix(&e.state, sizeof e.state);
    mix(&e.trades_count, sizeof e.trades_count);
    mix(&e.executed_volume, sizeof e.executed_volume);
    mix(&e.timestamp, sizeof e.timestamp);
    mix(&e.origin, sizeof e.origin);
  }
  void on_asset(const AssetEvent& a, const AccountState&) noexcept {
    ++assets;
    mix(a.currency.view().data(), a.currency.view().size());
    mix(&a.balance, sizeof a.balance);
    mix(&a.locked, sizeof a.locked);
  }
};

struct StateConsumer {
  AccountState state{test::roomy_account()};
  CallLog calls;
  StrategyConsumer<CallLog> consumer{state, calls};
  void on_event(const OrderEvent& e) noexcept { consumer.on_event(e); }
};

NatsConfig nats_config(const test::NatsCluster& cluster) {
  NatsConfig c;
  c.servers = cluster.urls();
  c.account = kAccount;
  c.replicas = cluster.size() >= 3 ? 3 : 1;
  c.request_timeout = 2s;
  c.connect_timeout = 1s;
  return c;
}

NatsPublisherConfig publisher_config(const test::NatsCluster& cluster) {
  NatsPublisherConfig c;
  c.nats = nats_config(cluster);
  c.retry_min = 50ms;
  c.retry_max = 500ms;
  return c;
}

// Follows the account's stream from `start` into `state` until every message the stream held
// when it began is applied (or 60 s). The source's counters.
JetStreamCounters follow(const NatsConfig& nats, AccountState& state, std::uint64_t start = 1,
                         std::string* error = nullptr, CallLog* calls = nullptr) {
  JetStreamSourceConfig c;
  c.nats = nats;
  c.start_seq = start;
  c.stop_at_end = true;
  JetStreamSource source(c);
  CallLog ignored;
  StrategyConsumer consumer(state, calls != nullptr ? *calls : ignored);
  Pipeline<StrategyConsumer<CallLog>> pipeline(consumer, PipelineConfig{});
  pipeline.start(source);
  EXPECT_TRUE(test::wait_until([&] { return pipeline.finished(); }, 60s))
      << "the follower did not reach the end of the stream";
  pipeline.stop();
  if (error != nullptr) *error = source.error();
  return source.counters();
}

class ScaleOut : public ::testing::Test {
 protected:
  test::ScratchDir scratch{"fillwire-scaleout"};
  std::optional<sim::ServerThread> sim;
  std::unique_ptr<StateConsumer> gateway = std::make_unique<StateConsumer>();

  void start_sim(std::uint64_t total, std::uint64_t seed) {
    ServerConfig c;
    c.access_key = kAccess;
    c.secret_key = kSecret;
    c.rate = 0;
    c.total = total;
    c.ws_rate_limit = false;
    c.rest.rate_limit = false;
    c.simulation.generator.seed = seed;
    c.faults.disconnect_after = total / 3;
    c.faults.duplicate_prob = 0.01;
    c.faults.malformed_prob = 0.001;
    sim.emplace(c);
  }

  // The live client, journaling into `producer`, until the simulator has sent `total` events and
  // the client is quiet; `during` runs on another thread meanwhile (NATS faults).
  test::LiveRun run_gateway(std::uint64_t total, JournalProducer& producer,
                            const std::function<void()>& during = {}) {
    LiveConfig lc;
    lc.url = sim->url(false);
    lc.backoff_initial = 10ms;
    lc.backoff_max = 200ms;
    lc.blocking = true;
    lc.rest_per_second = 100000;
    lc.clock_skew_max = std::chrono::hours(24);
    lc.closed_margin = 2000ms;
    test::Unchanged quiet(1500ms);
    const auto settled = [&](const LiveSource& source) {
      const LiveCounters c = source.counters();
      const bool quiet_now = quiet(c.events);
      return sim->server().stats().events_generated >= total &&
             c.resyncs + c.resync_failures >= c.connects && source.connected() && quiet_now;
    };
    std::thread faults;
    if (during) faults = std::thread(during);
    test::LiveRun r = test::run_live(lc, Credentials{kAccess, Secret(kSecret)}, *gateway, 180s,
                                     settled, &producer, 50ms);
    if (faults.joinable()) faults.join();
    return r;
  }

  std::string journal_path() const { return (scratch.path() / "gateway.fwj").string(); }
  // The gateway's journal for a live run (a ring that holds a resync's burst), and a small one for
  // a few records.
  JournalConfig live_journal() const {
    return JournalConfig{journal_path(), 1u << 30, 2, 64u << 20, 1u << 16, 2};
  }
  JournalConfig small_journal() const {
    return JournalConfig{journal_path(), 1u << 30, 2, 1u << 20, 1u << 10, 1};
  }
  // Waits (at most 60 s) until the simulator has generated `events`: a point mid-run.
  void wait_for_generated(std::uint64_t events) {
    (void)test::wait_until([&] { return sim->server().stats().events_generated >= events; }, 60s);
  }
};

TEST_F(ScaleOut, ThreeNodeClusterTwoFollowersEqualGatewayAndTruthThroughANodeKill) {
  test::NatsCluster cluster(3, scratch.path() / "nats");
  const std::uint64_t total = 20000;
  start_sim(total, 31);
  Journal journal(live_journal());
  NatsPublisher publisher(journal, publisher_config(cluster));
  JournalProducer& producer = journal.make_producer();
  // A strategy embedded on another host: Engine in its follower mode, following live from a
  // quarter of the run on, connected to the node that is killed.
  std::unique_ptr<Engine<CallLog>> embedded;
  EngineConfig ec;
  ec.account = test::roomy_account();
  ec.follow = JetStreamSourceConfig{};
  ec.follow->nats = nats_config(cluster);
  bool counted_live = false;
  const test::LiveRun r = run_gateway(total, producer, [&] {
    wait_for_generated(total / 4);
    ASSERT_TRUE(test::wait_until([&] { return publisher.counters().stream_last_seq > 0; }, 30s));
    embedded = std::make_unique<Engine<CallLog>>(ec, Credentials{});
    embedded->start();
    // Mid-run, the node the gateway and the follower are connected to (the first URL: servers
    // are tried in order) dies (SIGKILL) and comes back a second later on the same store.
    wait_for_generated(total / 2);
    counted_live = test::wait_until(
        [&] { return embedded->connected() && embedded->counters().follow.messages > 0; }, 30s);
    cluster.kill(0);
    std::this_thread::sleep_for(1s);
    cluster.start(0);
  });
  journal.flush();
  ASSERT_TRUE(publisher.wait_published(60s)) << publisher.last_error();
  const NatsPublisherCounters pc = publisher.counters();
  EXPECT_EQ(sim::differences(sim->server().truth_json(true), gateway->state, kNoDriftsNoPnl), "")
      << r.notices;
  EXPECT_GE(r.counters.disconnects, 2u) << "the exchange side must have had its faults too";
  EXPECT_EQ(journal.counters().dropped, 0u);
  EXPECT_EQ(pc.published, journal.counters().records);
  EXPECT_EQ(pc.skipped, 0u);
  EXPECT_FALSE(pc.refused);
  std::printf(
      "three-node run: %llu records in %llu messages, %llu publish errors, %llu "
      "reconnects, %llu backfilled, %llu duplicates\n",
      static_cast<unsigned long long>(pc.published), static_cast<unsigned long long>(pc.messages),
      static_cast<unsigned long long>(pc.publish_errors),
      static_cast<unsigned long long>(pc.reconnects),
      static_cast<unsigned long long>(pc.backfilled),
      static_cast<unsigned long long>(pc.duplicates));
  EXPECT_GE(pc.reconnects, 1u) << "the gateway's node was killed: it must have moved";
  // Each message once in the stream, retries included.
  EXPECT_EQ(cluster.stream_messages(publisher.stream()), static_cast<long long>(pc.messages));

  for (int f = 0; f < 2; ++f) {
    auto follower = std::make_unique<AccountState>(test::roomy_account());
    std::string error;
    CallLog calls;
    const JetStreamCounters fc = follow(nats_config(cluster), *follower, 1, &error, &calls);
    EXPECT_EQ(fc.messages, pc.messages) << "follower " << f;
    // A strategy on the follower was called as the gateway's was: same calls, same order.
    EXPECT_GT(calls.orders, total / 2);
    EXPECT_EQ(calls.orders, gateway->calls.orders);
    EXPECT_EQ(calls.assets, gateway->calls.assets);
    EXPECT_EQ(calls.chain, gateway->calls.chain);
    EXPECT_EQ(fc.records.damaged + fc.gaps + fc.refused, 0u) << error;
    EXPECT_EQ(test::state_differences(gateway->state, *follower), "") << "follower " << f;
    EXPECT_EQ(sim::differences(sim->server().truth_json(true), *follower, kNoDriftsNoPnl), "");
  }
  // The embedded follower read the stream through the node kill and ends as the gateway did.
  ASSERT_TRUE(embedded);
  EXPECT_TRUE(counted_live) << "its counters are read while it runs";
  EXPECT_TRUE(test::wait_until(
      [&] { return embedded->counters().follow.last_stream_seq >= pc.stream_last_seq; }, 60s))
      << embedded->nats_error();
  embedded->stop();
  const JetStreamCounters ef = embedded->counters().follow;
  EXPECT_TRUE(embedded->counters().following);
  EXPECT_EQ(ef.records.damaged + ef.gaps + ef.refused, 0u) << embedded->nats_error();
  EXPECT_EQ(ef.behind, 0u);
  EXPECT_EQ(embedded->strategy().orders, gateway->calls.orders);
  EXPECT_EQ(embedded->strategy().chain, gateway->calls.chain);
  EXPECT_EQ(test::state_differences(gateway->state, embedded->account()), "");
  std::printf("embedded follower: %llu messages from stream sequence 1 to %llu\n",
              static_cast<unsigned long long>(ef.messages),
              static_cast<unsigned long long>(ef.last_stream_seq));

  // No secret was published: the stream's bytes are the journal's, which holds none.
  std::ifstream in(journal_path(), std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(bytes.find(kSecret), std::string::npos);
}

TEST_F(ScaleOut, WholeClusterAwayForSecondsIsBackfilledInOrderAndFollowersEndEqual) {
  test::NatsCluster cluster(1, scratch.path() / "nats");
  const std::uint64_t total = 15000;
  start_sim(total, 32);
  Journal journal(live_journal());
  NatsPublisher publisher(journal, publisher_config(cluster));
  JournalProducer& producer = journal.make_producer();
  NatsPublisherCounters while_away{};
  const test::LiveRun r = run_gateway(total, producer, [&] {
    wait_for_generated(total / 3);
    cluster.stop(0);
    std::this_thread::sleep_for(3s);
    while_away = publisher.counters();
    cluster.start(0);
    (void)cluster.wait_ready();
  });
  journal.flush();
  ASSERT_TRUE(publisher.wait_published(60s)) << publisher.last_error();
  const NatsPublisherCounters pc = publisher.counters();
  EXPECT_EQ(journal.counters().dropped, 0u) << "the hot path never waits for NATS";
  EXPECT_GT(while_away.lag_records, 0u) << "records waited in the journal while NATS was away";
  EXPECT_GT(pc.publish_errors + pc.connect_errors, 0u);
  EXPECT_GT(pc.backfilled, 0u) << pc.publish_errors << " publish errors, " << pc.connect_errors
                               << " connect errors, " << pc.messages << " messages";
  EXPECT_EQ(pc.published, journal.counters().records);
  EXPECT_EQ(pc.lag_records, 0u);
  EXPECT_EQ(cluster.stream_messages(publisher.stream()), static_cast<long long>(pc.messages));
  EXPECT_EQ(sim::differences(sim->server().truth_json(true), gateway->state, kNoDriftsNoPnl), "")
      << r.notices;
  auto follower = std::make_unique<AccountState>(test::roomy_account());
  std::string error;
  const JetStreamCounters fc = follow(nats_config(cluster), *follower, 1, &error);
  EXPECT_EQ(fc.records.damaged + fc.gaps + fc.refused, 0u) << error;
  EXPECT_EQ(test::state_differences(gateway->state, *follower), "");
}

// A follower stopped mid-run keeps its state and its position; started again from the position
// (as a follower that stores both does), it ends equal. A follower started after the run catches
// up from the beginning of the stream.
TEST_F(ScaleOut, FollowerRestartedFromItsPositionAndALateFollowerEndEqual) {
  test::NatsCluster cluster(1, scratch.path() / "nats");
  const std::uint64_t total = 12000;
  start_sim(total, 33);
  Journal journal(live_journal());
  NatsPublisher publisher(journal, publisher_config(cluster));
  JournalProducer& producer = journal.make_producer();
  auto restarted = std::make_unique<AccountState>(test::roomy_account());
  std::uint64_t position = 0;
  const test::LiveRun r = run_gateway(total, producer, [&] {
    wait_for_generated(total / 2);
    position = follow(nats_config(cluster), *restarted).last_stream_seq;
  });
  journal.flush();
  ASSERT_TRUE(publisher.wait_published(60s)) << publisher.last_error();
  ASSERT_GT(position, 0u);
  ASSERT_LT(position, publisher.counters().stream_last_seq) << "the first part ended mid-run";
  std::string error;
  const JetStreamCounters rest = follow(nats_config(cluster), *restarted, position + 1, &error);
  EXPECT_EQ(rest.gaps + rest.records.damaged, 0u) << error;
  EXPECT_EQ(test::state_differences(gateway->state, *restarted), "") << r.notices;

  auto late = std::make_unique<AccountState>(test::roomy_account());
  (void)follow(nats_config(cluster), *late);
  EXPECT_EQ(test::state_differences(gateway->state, *late), "");
}

// --- bad input -----------------------------------------------------------------------------------

// A nats.c JetStream client of the test's own, to put crafted messages in a stream.
class RawJetStream {
 public:
  explicit RawJetStream(const std::string& url) {
    if (natsConnection_ConnectTo(&nc_, url.c_str()) != NATS_OK ||
        natsConnection_JetStream(&js_, nc_, nullptr) != NATS_OK) {
      throw std::runtime_error("test client cannot connect to " + url);
    }
  }
  ~RawJetStream() {
    jsCtx_Destroy(js_);
    natsConnection_Destroy(nc_);
  }
  RawJetStream(const RawJetStream&) = delete;
  RawJetStream& operator=(const RawJetStream&) = delete;

  void add_stream(const std::string& account) {
    const std::string name = nats_stream_name(account);
    const std::string subject = nats_subject(account);
    const char* subjects[] = {subject.c_str()};
    jsStreamConfig c;
    jsStreamConfig_Init(&c);
    c.Name = name.c_str();
    c.Subjects = subjects;
    c.SubjectsLen = 1;
    jsStreamInfo* si = nullptr;
    ASSERT_EQ(js_AddStream(&si, js_, &c, nullptr, nullptr), NATS_OK);
    jsStreamInfo_Destroy(si);
  }

  // One message to `account`'s subject, with the headers a gateway sets.
  void publish(const std::string& account, const std::string& header_account,
               const std::string& run, std::uint64_t first, std::uint64_t count,
               const std::string& records) {
    natsMsg* m = nullptr;
    ASSERT_EQ(natsMsg_Create(&m, nats_subject(account).c_str(), nullptr, records.data(),
                             static_cast<int>(records.size())),
              NATS_OK);
    natsMsgHeader_Set(m, kNatsHeaderAccount, header_account.c_str());
    natsMsgHeader_Set(m, kNatsHeaderRun, run.c_str());
    natsMsgHeader_Set(m, kNatsHeaderSeq, std::to_string(first).c_str());
    natsMsgHeader_Set(m, kNatsHeaderRecords, std::to_string(count).c_str());
    jsPubAck* ack = nullptr;
    EXPECT_EQ(js_PublishMsg(&ack, js_, m, nullptr, nullptr), NATS_OK);
    jsPubAck_Destroy(ack);
    natsMsg_Destroy(m);
  }

 private:
  natsConnection* nc_ = nullptr;
  jsCtx* js_ = nullptr;
};

// A journal record, exactly as the journal writes it (both checksums).
std::string journal_record(JournalKind kind, const std::string& payload) {
  JournalRecordHeader h{};
  h.length = static_cast<std::uint32_t>(payload.size());
  h.kind = kind;
  h.recv_ns = 1;
  h.payload_crc = crc32c(payload.data(), payload.size());
  h.header_crc = journal_header_crc(h);
  return std::string(reinterpret_cast<const char*>(&h), sizeof h) + payload;
}

TEST_F(ScaleOut, AFollowerCountsDamagedForeignAndMissingRecordsAndReadsOn) {
  test::NatsCluster cluster(1, scratch.path() / "nats");
  RawJetStream raw(cluster.url(0));
  raw.add_stream(kAccount);
  const std::string trade =
      journal_record(JournalKind::frame, test::read_file("myorder-trade-default.json"));
  const std::string asset =
      journal_record(JournalKind::frame, test::read_file("myasset-default.json"));
  std::string damaged = trade;
  damaged[damaged.size() - 10] ^= 0x01;  // a payload byte: the payload checksum fails
  const std::string run_a(16, 'a');
  raw.publish(kAccount, kAccount, run_a, 1, 1, trade);
  raw.publish(kAccount, kAccount, run_a, 2, 1, damaged);
  raw.publish(kAccount, kAccount, run_a, 3, 1, asset);
  raw.publish(kAccount, "other-desk", run_a, 4, 1, trade);             // another account's
  raw.publish(kAccount, kAccount, std::string(16, 'b'), 5, 1, asset);  // a run from record 5
  raw.publish(kAccount, kAccount, run_a, 9, 1, asset);                 // run a, 4 to 8 missing

  AccountState state(test::roomy_account());
  std::string error;
  const JetStreamCounters c = follow(nats_config(cluster), state, 1, &error);
  EXPECT_EQ(c.messages, 6u);
  EXPECT_EQ(c.records.damaged, 1u);
  EXPECT_EQ(c.refused, 1u);
  EXPECT_EQ(c.gaps, 2u) << error;
  EXPECT_EQ(c.records.frames, 4u) << "the good records around them are all read";
  EXPECT_EQ(c.records.failed_frames, 0u);
  EXPECT_EQ(c.last_stream_seq, 6u);
  EXPECT_NE(error, "");
  EXPECT_EQ(state.counters().applied + state.counters().duplicates, 1u)
      << "the one trade frame read";
}

TEST_F(ScaleOut, ThePublisherRefusesAStreamHoldingAnotherAccountsRecords) {
  test::NatsCluster cluster(1, scratch.path() / "nats");
  {
    RawJetStream raw(cluster.url(0));
    raw.add_stream(kAccount);
    raw.publish(kAccount, "other-desk", std::string(16, 'a'), 1, 1,
                journal_record(JournalKind::notice, "hello"));
  }
  Journal journal(small_journal());
  NatsPublisher publisher(journal, publisher_config(cluster));
  JournalProducer& producer = journal.make_producer();
  ASSERT_TRUE(producer.record(JournalKind::notice, "n", 1, 1));
  EXPECT_TRUE(test::wait_until([&] { return publisher.counters().refused; }, 10s));
  EXPECT_NE(publisher.last_error().find("another account"), std::string::npos)
      << publisher.last_error();
  EXPECT_EQ(publisher.counters().published, 0u);
  EXPECT_EQ(cluster.stream_messages(publisher.stream()), 1);
  // A follower of this account refuses the message too.
  AccountState state(test::roomy_account());
  EXPECT_EQ(follow(nats_config(cluster), state).refused, 1u);
}

TEST_F(ScaleOut, WrongNatsCredentialsAreAClearErrorAndTheJournalKeepsEverything) {
  const std::string token = "right-token-4c7e91";
  test::NatsCluster cluster(1, scratch.path() / "nats",
                            "authorization { token: \"" + token + "\" }");
  NatsPublisherConfig pc = publisher_config(cluster);
  const std::string wrong = "wrong-token-0b33f2";
  pc.nats.credentials.token = Secret(wrong);
  Journal journal(small_journal());
  NatsPublisher publisher(journal, pc);
  JournalProducer& producer = journal.make_producer();
  for (int i = 0; i < 10; ++i)
    ASSERT_TRUE(producer.record(JournalKind::notice, "n", 1, 1));
  journal.flush();
  ASSERT_TRUE(test::wait_until([&] { return publisher.counters().connect_errors >= 2; }, 10s));
  const NatsPublisherCounters c = publisher.counters();
  const std::string error = publisher.last_error();
  EXPECT_NE(error.find("Authorization"), std::string::npos) << error;
  EXPECT_EQ(error.find(wrong), std::string::npos);
  EXPECT_EQ(error.find(token), std::string::npos);
  EXPECT_FALSE(c.connected);
  EXPECT_EQ(c.published, 0u);
  EXPECT_EQ(c.lag_records, 10u) << "every record waits in the journal";
  EXPECT_EQ(journal.counters().records, 10u);
  EXPECT_EQ(journal.counters().dropped, 0u);

  JetStreamSourceConfig sc;
  sc.nats = nats_config(cluster);
  sc.nats.credentials.token = Secret(wrong);
  try {
    JetStreamSource source(sc);
    ADD_FAILURE() << "a follower with the wrong token must not start";
  } catch (const std::runtime_error& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("Authorization"), std::string::npos) << what;
    EXPECT_EQ(what.find(wrong), std::string::npos);
  }
}

// A follower started while the cluster cannot answer (two of its three nodes down: no JetStream
// quorum, as while a leader is being elected) tries three times, 250 and 500 ms apart, then says
// why; the cluster's silence is never taken for a missing stream.
TEST_F(ScaleOut, AFollowerStartedWhileTheClusterCannotAnswerTriesThreeTimesThenSaysWhy) {
  test::NatsCluster cluster(3, scratch.path() / "nats");
  {
    RawJetStream raw(cluster.url(0));
    raw.add_stream(kAccount);
  }
  cluster.kill(1);
  cluster.kill(2);
  JetStreamSourceConfig sc;
  sc.nats = nats_config(cluster);
  sc.nats.servers = {cluster.url(0)};
  sc.nats.request_timeout = 500ms;
  const auto began = std::chrono::steady_clock::now();
  try {
    JetStreamSource source(sc);
    ADD_FAILURE() << "a follower must not start without an answer from the cluster";
  } catch (const std::runtime_error& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("(3 attempts)"), std::string::npos) << what;
    EXPECT_EQ(what.find("no stream"), std::string::npos) << what;
  }
  const auto took = std::chrono::steady_clock::now() - began;
  EXPECT_GE(took, 750ms) << "the pauses between the attempts";
  EXPECT_LT(took, 30s);
}

// The stream stores a message whose ack never reaches the gateway; the gateway sends it again
// (same Nats-Msg-Id) once it can: the stream holds it once, and a follower reads each record once.
TEST_F(ScaleOut, APublishRetriedAfterALostAckIsStoredOnce) {
  test::NatsCluster cluster(1, scratch.path() / "nats");
  test::TcpProxy proxy(cluster.client_port(0));
  NatsPublisherConfig pc = publisher_config(cluster);
  pc.nats.servers = {proxy.url()};
  pc.nats.request_timeout = 500ms;
  Journal journal(small_journal());
  NatsPublisher publisher(journal, pc);
  JournalProducer& producer = journal.make_producer();
  const std::string frame = test::read_file("myorder-trade-default.json");
  ASSERT_TRUE(producer.record(JournalKind::frame, frame.data(), frame.size(), 1));
  journal.flush();
  ASSERT_TRUE(publisher.wait_published(10s)) << publisher.last_error();
  ASSERT_EQ(publisher.counters().messages, 1u);
  // The server's answers are lost from now on; the next record is published, stored, unacked.
  proxy.swallow(true);
  const std::string asset = test::read_file("myasset-default.json");
  ASSERT_TRUE(producer.record(JournalKind::frame, asset.data(), asset.size(), 2));
  journal.flush();
  ASSERT_TRUE(test::wait_until([&] { return publisher.counters().publish_errors >= 1; }, 10s))
      << publisher.counters().records << " records read, " << publisher.counters().messages
      << " messages, " << proxy.swallowed() << " bytes swallowed; " << publisher.last_error();
  EXPECT_EQ(cluster.stream_messages(publisher.stream()), 2) << "stored, though never acked";
  proxy.swallow(false);
  proxy.cut();  // the client reconnects through a working proxy
  ASSERT_TRUE(publisher.wait_published(20s)) << publisher.last_error();
  const NatsPublisherCounters c = publisher.counters();
  EXPECT_GE(c.duplicates, 1u) << "the retry found the message already stored";
  EXPECT_EQ(c.messages, 2u);
  EXPECT_EQ(cluster.stream_messages(publisher.stream()), 2);
  AccountState state(test::roomy_account());
  std::string error;
  const JetStreamCounters fc = follow(nats_config(cluster), state, 1, &error);
  EXPECT_EQ(fc.records.frames, 2u);
  EXPECT_EQ(fc.gaps + fc.records.damaged, 0u) << error;
}

// A whole window in flight when the acks are lost: one record a message, 20 messages sent while
// the server's answers are swallowed. Every one is stored once, in journal order: the follower
// reads records 1 to 21 in turn, no gap.
TEST_F(ScaleOut, AWindowOfMessagesWhoseAcksWereLostIsStoredOnceInOrder) {
  test::NatsCluster cluster(1, scratch.path() / "nats");
  test::TcpProxy proxy(cluster.client_port(0));
  NatsPublisherConfig pc = publisher_config(cluster);
  pc.nats.servers = {proxy.url()};
  pc.nats.request_timeout = 500ms;
  pc.max_batch_records = 1;
  Journal journal(small_journal());
  NatsPublisher publisher(journal, pc);
  JournalProducer& producer = journal.make_producer();
  const std::string frame = test::read_file("myorder-trade-default.json");
  ASSERT_TRUE(producer.record(JournalKind::frame, frame.data(), frame.size(), 1));
  journal.flush();
  ASSERT_TRUE(publisher.wait_published(10s)) << publisher.last_error();
  proxy.swallow(true);
  for (int i = 0; i < 20; ++i) {
    const std::string notice = "notice " + std::to_string(i);
    ASSERT_TRUE(producer.record(JournalKind::notice, notice.data(), notice.size(), 2));
  }
  journal.flush();
  ASSERT_TRUE(test::wait_until([&] { return publisher.counters().publish_errors >= 1; }, 10s))
      << publisher.last_error();
  EXPECT_GE(cluster.stream_messages(publisher.stream()), 2) << "some stored, though never acked";
  proxy.swallow(false);
  proxy.cut();
  ASSERT_TRUE(publisher.wait_published(30s)) << publisher.last_error();
  const NatsPublisherCounters c = publisher.counters();
  EXPECT_EQ(c.messages, 21u);
  EXPECT_EQ(cluster.stream_messages(publisher.stream()), 21);
  AccountState state(test::roomy_account());
  std::string error;
  const JetStreamCounters fc = follow(nats_config(cluster), state, 1, &error);
  EXPECT_EQ(fc.messages, 21u);
  EXPECT_EQ(fc.other_records, 20u);
  EXPECT_EQ(fc.gaps + fc.records.damaged, 0u) << error;
}

// TLS to NATS: the servers' certificate verified against the configured CA file; without it the
// connection is refused, said, and retried.
TEST_F(ScaleOut, GatewayAndFollowerSpeakTlsToNatsAndVerifyTheServer) {
  const sim::PemPair pem = sim::make_self_signed_certificate();
  const auto cert = scratch.path() / "nats-cert.pem";
  const auto key = scratch.path() / "nats-key.pem";
  std::ofstream(cert) << pem.certificate;
  std::ofstream(key) << pem.private_key;
  test::NatsCluster cluster(
      1, scratch.path() / "nats",
      "tls { cert_file: \"" + cert.string() + "\", key_file: \"" + key.string() + "\" }");
  NatsPublisherConfig pc = publisher_config(cluster);
  pc.nats.tls = true;
  pc.nats.tls_ca_file = cert.string();
  Journal journal(small_journal());
  NatsPublisher publisher(journal, pc);
  JournalProducer& producer = journal.make_producer();
  const std::string frame = test::read_file("myorder-trade-default.json");
  ASSERT_TRUE(producer.record(JournalKind::frame, frame.data(), frame.size(), 1));
  journal.flush();
  ASSERT_TRUE(publisher.wait_published(10s)) << publisher.last_error();
  AccountState state(test::roomy_account());
  EXPECT_EQ(follow(pc.nats, state).records.frames, 1u);

  // Without the CA file the server's certificate is not trusted.
  NatsPublisherConfig untrusting = pc;
  untrusting.nats.tls_ca_file.clear();
  untrusting.nats.account = "desk-2";
  Journal other(
      JournalConfig{(scratch.path() / "other.fwj").string(), 1u << 30, 2, 1u << 20, 1u << 10, 1});
  NatsPublisher refused(other, untrusting);
  ASSERT_TRUE(test::wait_until([&] { return refused.counters().connect_errors >= 1; }, 10s));
  EXPECT_FALSE(refused.counters().connected);
  EXPECT_NE(refused.last_error().find("SSL"), std::string::npos) << refused.last_error();
}

}  // namespace
}  // namespace fillwire
