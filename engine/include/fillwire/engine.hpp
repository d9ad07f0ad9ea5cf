#pragma once
// Engine<Strategy>: fillwire in one object, for embedding in a trading process. It owns the live
// connection (LiveSource), the two hot threads (Pipeline), the account (AccountState), the user's
// strategy (built in place from the constructor's arguments), the journal when one is configured,
// and one cold housekeeping thread for snapshots, the human log and periodic summaries.
//
//     struct MyStrategy {
//       void on_order(const fillwire::OrderEvent& e, const fillwire::AccountState& a) noexcept;
//     };
//     fillwire::EngineConfig config;
//     config.live.url = "wss://api.upbit.com/websocket/v1/private";
//     fillwire::Engine<MyStrategy> engine(config, fillwire::credentials_from_env());
//     engine.start();
//     fillwire::AccountSnapshot snap;             // ~16 KB: keep it off small stacks
//     if (engine.snapshot(snap)) { ... }          // from a UI thread, any time
//     engine.stop();                              // from any thread
//
// Threads:
//   network thread   hot, "fw-network"   LiveSource: socket, decode into the ring, reconnect,
//                                         resync.
//   strategy thread  hot, "fw-strategy"  AccountState::apply, then Strategy::on_order / on_control.
//                                         When asked (a relaxed flag, at most every
//                                         snapshot_interval) it also fills an AccountSnapshot in
//                                         place in a preallocated triple buffer: no lock, no
//                                         allocation, no system call. It does so after its next
//                                         event, or at once when the ring is empty (the request
//                                         wakes it), so a quiet account's view is current too.
//   A follower (EngineConfig::follow) has the same threads; its network thread reads the
//   account's JetStream stream (JetStreamSource) instead of the exchange.
//   housekeeping     cold, "fw-engine"   asks for snapshots and keeps the newest for readers;
//                                         writes connection notices to the human log (spdlog) and,
//                                         every summary_interval, an account summary to the
//                                         journal (JournalKind::summary) and the log.
//   journal          cold                writes the journal file (journal.hpp).
//
// Calls:
//   start()                                    once, from the thread that constructed the engine.
//   stop(), running(), connected(), counters(), snapshot()                           any thread.
//   account(), strategy()                      after stop() returned (until then they belong to
//                                              the strategy thread).
//   The destructor stops the engine.
//
// Secrets: the credentials go to the signer only; no notice, log line or journal record holds a key
// or a token. Every human log line is one line (safe_text.hpp: one_line): control bytes escaped,
// tokens and the access key redacted, capped at kLogLineCap bytes.

#include <atomic>
#include <chrono>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "fillwire/account_config.hpp"
#include "fillwire/account_snapshot.hpp"
#include "fillwire/account_state.hpp"
#include "fillwire/auth.hpp"
#include "fillwire/clock.hpp"
#include "fillwire/detail/snapshot_handoff.hpp"
#include "fillwire/jetstream_source.hpp"
#include "fillwire/journal.hpp"
#include "fillwire/live_source.hpp"
#include "fillwire/nats_publisher.hpp"
#include "fillwire/pipeline.hpp"
#include "fillwire/strategy.hpp"
#include "fillwire/wait_strategy.hpp"

namespace fillwire {

struct EngineConfig {
  LiveConfig live;
  PipelineConfig pipeline;
  AccountConfig account;
  std::optional<JournalConfig> journal;  // raw frames, notices and summaries; none when empty
  // The gateway of scale-out (docs/scale-out.md): publishes the journal (required) to the
  // account's JetStream stream from a cold thread; none when empty.
  std::optional<NatsPublisherConfig> nats;
  // A follower of scale-out instead of a connection to the exchange: the engine reads the account's
  // JetStream stream (what a gateway published) through a JetStreamSource, and the strategy gets
  // the gateway's events in the gateway's order. `live`, the credentials, `journal` and `nats` are
  // then unused (a journal or a publisher is refused: the stream is the account's journal).
  std::optional<JetStreamSourceConfig> follow;
  std::string log_path;  // human log file (appended); empty: no file
  // The human log rotates by size: past log_max_file_bytes it becomes <name>.1.<ext> (the older
  // ones move up, the oldest beyond log_keep_files is deleted), so it never takes more than about
  // (log_keep_files + 1) * log_max_file_bytes on disk.
  std::size_t log_max_file_bytes = std::size_t{64} << 20;
  std::size_t log_keep_files = 4;
  bool log_to_stderr = false;                         // also write the human log to stderr
  std::chrono::milliseconds snapshot_interval{250};   // how often a fresh snapshot is asked for
  std::chrono::milliseconds summary_interval{10000};  // summaries to the journal and the log
};

struct EngineCounters {
  LiveCounters live;
  PipelineCounters pipeline;
  JournalCounters journal;      // zero without a journal
  NatsPublisherCounters nats;   // zero without publishing
  bool publishing = false;      // a NATS publisher runs
  JetStreamCounters follow;     // a follower's input (live is then zero)
  bool following = false;       // the engine follows a JetStream stream
  std::uint64_t snapshots = 0;  // snapshots received from the strategy thread
  // Human log lines whose text had to be escaped, cut or redacted before writing (a notice
  // carrying server text with control bytes, a token or the access key).
  std::uint64_t log_lines_escaped = 0;
  bool connected = false;
};

namespace detail {

// The cold, non-template half of the engine (engine/src/runtime/engine.cpp): the live source,
// the journal, the human log, the snapshot handoff and the housekeeping thread.
class EngineRuntime {
 public:
  EngineRuntime(const EngineConfig& config, Credentials credentials);
  ~EngineRuntime();
  EngineRuntime(const EngineRuntime&) = delete;
  EngineRuntime& operator=(const EngineRuntime&) = delete;

  // One of the two is null: the live source, or a follower's.
  LiveSource* source() noexcept { return source_.get(); }
  JetStreamSource* follower() noexcept { return follower_.get(); }
  [[nodiscard]] bool connected() const noexcept;
  SnapshotHandoff& handoff() noexcept { return handoff_; }

  // `wake` makes an idle strategy thread answer a snapshot request (Pipeline::wake_consumer).
  void start_housekeeping(const std::vector<std::string>& warnings, std::function<void()> wake);
  // After the hot threads were joined and the final snapshot was published: takes it, writes the
  // final summary, stops the housekeeping thread and flushes the journal and the log.
  void finish();

  bool snapshot(AccountSnapshot& out) const;
  EngineCounters counters() const;
  // The publisher's last error (connection, stream, publish), or a follower's (damage, gaps,
  // refused messages, reads), or empty. Any thread.
  std::string nats_error() const;
  // Cold; any thread. Written as one line (safe_text.hpp: one_line), as notices are.
  void log(std::string_view line);

 private:
  struct Impl;
  void run() noexcept;
  void take_latest();
  void write_notices();
  void write_nats_error();
  void write_summary(const AccountSnapshot& snapshot, std::string_view title,
                     std::string_view line_prefix, double elapsed_s, double events_per_s);

  EngineConfig config_;
  std::unique_ptr<Impl> impl_;
  std::unique_ptr<Journal> journal_;
  JournalProducer* network_journal_ = nullptr;
  JournalProducer* cold_journal_ = nullptr;
  std::unique_ptr<NatsPublisher> publisher_;
  std::unique_ptr<LiveSource> source_;
  std::unique_ptr<JetStreamSource> follower_;
  std::atomic<bool> joined_{false};  // finish() began: the hot threads are gone
  SnapshotHandoff handoff_;
};

// The strategy thread's consumer: apply, call the strategy (as StrategyConsumer does), record the
// latency and the fill, and fill a snapshot when one was asked for.
template <Strategy S>
class EngineConsumer {
 public:
  EngineConsumer(AccountState& account, S& strategy, SnapshotHandoff& handoff,
                 TscCalibration calibration) noexcept
      : account_(&account), strategy_(&strategy), handoff_(&handoff), calibration_(calibration) {}

  // Strategy thread only.
  void on_event(const OrderEvent& e) noexcept {
    const ApplyOutcome outcome = account_->apply(e);
    if (call_non_order(*strategy_, e, *account_)) {
      if (e.kind == EventKind::control) tracker_.on_control(e);
    } else {
      strategy_->on_order(e, *account_);
      if (outcome == ApplyOutcome::applied && e.state == OrderState::trade) tracker_.on_fill(e);
    }
    if (e.kind != EventKind::control) {  // frames from the exchange: orders and balances
      const std::uint64_t now = now_ticks();
      const std::uint64_t ticks = now > e.recv_ts ? now - e.recv_ts : 0;
      tracker_.latency.add(static_cast<std::uint64_t>(calibration_.to_ns(ticks)));
    }
    if (handoff_->requested()) publish();
  }

  // Strategy thread, with the ring empty: a snapshot asked for while the account is quiet is
  // answered now rather than at the next event (IdleConsumer).
  void on_idle() noexcept {
    if (handoff_->requested()) publish();
  }
  [[nodiscard]] bool idle_work() const noexcept { return handoff_->pending(); }

  // Strategy thread, or the controlling thread once the strategy thread was joined.
  void publish() noexcept {
    fill_snapshot(*account_, tracker_, ++version_, handoff_->back());
    handoff_->publish();
  }

 private:
  AccountState* account_;
  S* strategy_;
  SnapshotHandoff* handoff_;
  TscCalibration calibration_;
  SnapshotTracker tracker_{};
  std::uint64_t version_ = 0;
};

// Test hooks (detail/engine_test_access.hpp): not part of the API.
struct EngineTestAccess;

}  // namespace detail

template <Strategy S, WaitStrategy Wait = SpinThenYield>
class Engine {
 public:
  // Cold: validates the configuration, allocates the ring, the account and the journal, opens the
  // log and builds the strategy in place from `args` (it is never copied or moved, so it may hold
  // atomics or a mutex); throws std::invalid_argument / std::runtime_error saying what is wrong.
  // Connects nothing.
  template <class... Args>
  Engine(EngineConfig config, Credentials credentials, std::in_place_t,
         Args&&... args) requires std::constructible_from<S, Args...>
      : runtime_(std::make_unique<detail::EngineRuntime>(config, std::move(credentials))),
        account_(std::make_unique<AccountState>(config.account)),
        strategy_(std::forward<Args>(args)...),
        consumer_(*account_, strategy_, runtime_->handoff(), TscCalibration::calibrate()),
        pipeline_(consumer_, config.pipeline) {}

  // As above, with a value-initialised strategy (S{}).
  Engine(EngineConfig config, Credentials credentials) requires std::default_initializable<S>
      : Engine(std::move(config), std::move(credentials), std::in_place) {}

  ~Engine() { stop(); }
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // The constructing thread, once: starts the hot threads (they connect at once) and the
  // housekeeping thread. Pinning problems are warnings (logged), never fatal.
  void start() {
    if (JetStreamSource* follower = runtime_->follower()) {
      start_with(*follower);
    } else {
      start_with(*runtime_->source());
    }
  }

  // Any thread; idempotent. The network thread stops after its current frame, the strategy thread
  // applies every event already in the ring, a final snapshot and summary are written, and the
  // journal is flushed. Returns when all of that is done.
  void stop() {
    std::lock_guard lock(stop_mutex_);
    if (stopped_) return;
    stopped_ = true;
    pipeline_.stop();
    consumer_.publish();  // the strategy thread was joined: this thread may write the snapshot
    runtime_->finish();
    running_.store(false, std::memory_order_release);  // release: pairs with running()
  }

  // Any thread: true between start() and stop().
  [[nodiscard]] bool running() const noexcept {
    return running_.load(std::memory_order_acquire);  // acquire: pairs with start()/stop()
  }
  // Any thread: true while subscribed and reading (a follower: while connected to NATS).
  [[nodiscard]] bool connected() const noexcept { return runtime_->connected(); }
  // Any thread: true once the source ended on its own (a follower with stop_at_end that took
  // every message) and the strategy thread applied all it produced. A live engine runs until
  // stop().
  [[nodiscard]] bool finished() const noexcept { return pipeline_.finished(); }
  // Any thread.
  [[nodiscard]] EngineCounters counters() const {
    EngineCounters c = runtime_->counters();
    c.pipeline = pipeline_.counters();
    return c;
  }
  // Any thread: why publishing to NATS last failed, or what a follower last found wrong in its
  // stream (empty when nothing did, or without NATS).
  [[nodiscard]] std::string nats_error() const { return runtime_->nats_error(); }
  // Any thread (cold: copies under a lock the strategy thread never takes). The newest snapshot;
  // false before the first one. After stop() it is the final state.
  bool snapshot(AccountSnapshot& out) const { return runtime_->snapshot(out); }

  // After stop() only.
  [[nodiscard]] const AccountState& account() const noexcept { return *account_; }
  // After stop() only: a follower's source (its decoder's counters, its stream position), or null.
  [[nodiscard]] const JetStreamSource* follower() const noexcept { return runtime_->follower(); }
  [[nodiscard]] S& strategy() noexcept { return strategy_; }
  [[nodiscard]] const S& strategy() const noexcept { return strategy_; }
  // The constructing thread, after start(): pinning skipped, names cut, affinity errors.
  [[nodiscard]] const std::vector<std::string>& warnings() const noexcept {
    return pipeline_.warnings();
  }

 private:
  friend struct detail::EngineTestAccess;
  using Consumer = detail::EngineConsumer<S>;
  using Ring = typename Pipeline<Consumer, Wait>::Ring;

  // start(), with the network thread polling `source` (the live source, or a test's probe
  // around it: detail/engine_test_access.hpp). `source` must outlive stop().
  template <Source<Ring> Src>
  void start_with(Src& source) {
    pipeline_.start(source);
    runtime_->start_housekeeping(pipeline_.warnings(), [this] { pipeline_.wake_consumer(); });
    running_.store(true, std::memory_order_release);  // release: pairs with running()
  }

  std::unique_ptr<detail::EngineRuntime> runtime_;
  std::unique_ptr<AccountState> account_;
  S strategy_;
  Consumer consumer_;
  Pipeline<Consumer, Wait> pipeline_;
  std::mutex stop_mutex_;
  bool stopped_ = false;
  std::atomic<bool> running_{false};
};

}  // namespace fillwire
