// e2e_bench: the whole client against upbit-sim over real loopback sockets, ws:// and wss://,
// and a baseline client written the common way (below), in the same binary.
//
//   simulator thread (CPU 0)  upbit-sim's Server in this process: order flow generated, encoded,
//                             framed and written to the socket (TLS-encrypted for wss://)
//   network thread   (CPU 1)  LiveSource: Beast WebSocket (OpenSSL for wss://) reading into its
//                             fixed buffer, decode straight into OrderRing slots, publish
//   strategy thread  (CPU 1)  Pipeline consumer: StrategyConsumer -> AccountState::apply, then
//                             E2eStrategy::on_order (a small exposure check on the account)
//
// Placement: the VM has two vCPUs and three threads with work. The simulator stands for the
// exchange, which runs on another machine in production, so it gets a core of its own; the
// client's two threads share the other. Both of them sleep when idle (LiveConfig::blocking: the
// network thread waits in epoll; the ring's Blocking wait: the strategy thread waits on a futex),
// so the client core is handed between them by the scheduler. With a core per client thread (as
// in production) the hand-off is a cache-line transfer instead: full_path_bench measures that.
// Every row is placed so except the busy and floor rows (below).
//
// Send time: the simulator's send_stamps option (tools/upbit-sim/send_stamps.hpp; off by
// default, the bytes sent are the same with it on) records, per generated event, its uuid and
// now_ticks() (the TSC, the clock of OrderEvent::recv_ts) read right before the socket write that
// carries it. The simulator writes everything queued since its last write in one go: as fast as
// possible, batches of 256 events and whatever queued behind a write in flight (events_per_write
// shows ~700-900); paced, the events of one 1 ms tick (more when it fell behind). The
// k-th myOrder event the strategy receives from the stream is the simulator's k-th event; its
// uuid is checked against the stamp's (a mismatch fails the run).
//
// Latency: from that stamp to the entry of the strategy's on_order (after AccountState::apply),
// same host, same TSC. It includes, for the event's whole write: TLS encryption (wss), the kernel's
// loopback TCP, the network thread's wake-up from epoll, Beast's read (and TLS decryption), then
// per event the decode into the ring slot, publishing, the strategy thread's wake-up (a context
// switch on the shared core), apply and the call; and the wait behind the earlier events of the
// same write. It excludes the simulator's generation and encoding of the event (before the
// stamp). As fast as possible, the simulator runs ahead of the client by up to ~1 MB of unsent
// frames, so that row's latency is mostly queueing; the paced rows show the path itself.
//
// Measured window: the first `warmup` stream events (connection, the REST resync that follows
// every connect, cold caches) are left out; the next `events` are measured: events/s applied (by
// the strategy thread, over the window), latency percentiles, CPU time per event of each thread
// (CLOCK_THREAD_CPUTIME_ID; the simulator's through its thread's CPU clock), and allocations.
//
// Allocations: hot_alloc.cpp replaces malloc (which operator new, OpenSSL and Boost all use) and
// counts calls on the network and strategy threads while the window is open. A network-thread
// poll during which the connection was not up, or that connected, disconnected or resynchronised
// (REST, cold by design), is moved out of the count into cold_allocs (none happen in a clean
// run). The stacks (and sizes) of the first few counted allocations are printed. Over ws:// the
// count is 0. Over wss:// it is one per TLS record received (up to 16 KB each: allocs_per_write
// is ~1 at 10k/s, ~5 at 100k/s, ~33 as fast as possible): OpenSSL 3.0's
// TLS 1.3 record decryption (tls13_enc) builds each record's additional data in a WPACKET, whose
// initialisation allocates 40 bytes (crypto/packet.c) and frees them at once; that is inside
// SSL_read, per record rather than per event, and not in fillwire's code. (fillwire's own
// read path had three sources, now removed: see engine/src/net/ws_link.cpp.) The keep-alive
// timer (one wait per half ping interval, 15 s by default, and a ping per interval) allocates
// too and is not excluded: a window that long would show it; the windows here last 0.2-6 s.
//
// Baseline (e2e_baseline/ws, e2e_baseline/wss), in the same binary and measured the same way
// (same simulator, send stamps, CPUs, rates, windows, strategy and latency point): the client as
// it is commonly written with the same packaged libraries. Network thread: a Boost.Beast
// WebSocket (asio::ssl over OpenSSL with its defaults for wss://, verifying the simulator's
// certificate), JWT from fillwire's auth helpers, the same subscribe message, a synchronous read
// per message, nlohmann::json::parse of each into a DOM (a std::map of the fields), moved into a
// std::deque behind a std::mutex with a std::condition_variable. Strategy thread (sleeping on the
// condition variable when idle): pops, converts the fields by name into an OrderEvent, applies it
// to the same AccountState and calls the same E2eStrategy::on_order. So: a DOM parse, a locked
// queue, and allocations per event (counted: hot_allocs, allocs_per_event). The baseline has no
// REST resync, reconnect or keep-alive: the runs are clean (no faults), and fillwire's resync
// happens in the warm-up, outside the window. The network thread's CPU time and allocations are
// taken from the first message read after the window opens to the window's end.
//
// Replay (e2e_replay/ws, e2e_replay/wss; e2e_baseline_replay/ws, e2e_baseline_replay/wss): the
// same fillwire client, and the same baseline, against the wire replayer (wire_replayer.hpp)
// instead of upbit-sim: the same flow, pre-framed, written from memory on the simulator's CPU with
// the same send stamps, so the as-fast-as-possible rows are the clients' ceilings. No REST resync
// there. Same placement, window and counters as the rows above.
//
// Busy (e2e_replay_busy/ws, e2e_replay_busy/wss, 10k/s only): fillwire against the replayer with
// neither client thread sleeping. The network thread busy-polls (LiveConfig::blocking = false),
// pinned alone to CPU 1; the strategy thread waits on the ring with SpinThenYield (spins ~1024
// pauses, then yields between checks), pinned to CPU 0, which it shares with the paced replayer:
// the replayer sleeps between its 1 ms ticks, and while it runs (stamping and writing a tick's
// events) the strategy thread waits for CPU 0. Still not a core per thread, then: with two vCPUs,
// one of the three threads must share. (The controlling thread, unpinned, wakes once a
// millisecond to see whether the window has closed, on either CPU, as in every row.) The network
// thread's CPU per event is the busy poll's: ~100 us at 10k/s, a whole core; net_on_cpu is its
// share of the window on CPU 1, ~1 unless another process on the host took the CPU away (the
// tail then measures that: keep such runs apart, as rate_held's).
//
// Floor (e2e_floor/tcp, e2e_floor/tcp_blocking; bytes:64, and bytes:640, about one event's frame):
// the kernel's loopback TCP alone, the part of every row above that no client removes. Two
// threads, one pinned to CPU 0 and one to CPU 1, bounce a message over a connected loopback TCP
// pair (TCP_NODELAY): 10,000 round trips of warm-up left out, then 100,000 measured, each stamped
// with now_ticks() by the sending side before its send and after the echo is whole; one way is
// half of the round trip. tcp: both sides spin on a non-blocking recv (EAGAIN); tcp_blocking:
// both sleep in recv, as a client waiting in epoll does, so the wake-up is included. Every wait
// is bounded (a 60 s deadline for the run, SO_RCVTIMEO for a blocking recv), and a side that gives
// up shuts its socket down, which ends the other's wait. The busy rows divide their p50 and p99 by
// the floor's p50 (p50_x_floor, p99_x_floor; the divisor is floor_p50_ns): that of the last
// e2e_floor/tcp/bytes:64 row run in this process, or, when none ran first, of the same
// measurement made once before the first busy row. The floor's one way carries one small message;
// a busy row's latency carries a tick's whole write (~10 events, ~6.4 KB at 10k/s), its read and
// decode, the hand-off to the strategy thread, and the wait behind the write's earlier events.
//
// Offered rates: 10k/s and 100k/s (the simulator's 1 ms pacing) and 0 = as fast as the client
// reads (the simulator's own back-pressure); the replay rows 10k/s and 0, the busy rows 10k/s.
// Run:
//   build/bench/bench/e2e_bench --benchmark_out=e2e.json --benchmark_out_format=json
// or one pair, e.g. --benchmark_filter='e2e(_baseline)?/wss/rate:10000' --benchmark_repetitions=3,
// or the busy rows beside their floor: --benchmark_filter='e2e_floor/tcp/|e2e_replay_busy'.

#include <benchmark/benchmark.h>
#include <pthread.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>

#include <atomic>
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <boost/url/parse.hpp>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <deque>
#include <exception>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>
#include <string>
#include <system_error>
#include <thread>
#include <type_traits>
#include <vector>

#include "bench_support.hpp"
#include "fillwire/account_state.hpp"
#include "fillwire/auth.hpp"
#include "fillwire/journal.hpp"
#include "fillwire/live_source.hpp"
#include "fillwire/nats_publisher.hpp"
#include "fillwire/pipeline.hpp"
#include "fillwire/strategy.hpp"
#include "fillwire/wait_strategy.hpp"
#include "hot_alloc.hpp"
#include "nats_cluster.hpp"
#include "server.hpp"
#include "server_thread.hpp"
#include "wire_replayer.hpp"

namespace fillwire::bench {
namespace {

using namespace std::chrono_literals;

constexpr int kSimCpu = 0;
constexpr int kClientCpu = 1;
constexpr const char* kAccess = "e2e-access";
constexpr const char* kSecret = "e2e-secret";

std::uint64_t cpu_clock_ns(clockid_t clock) noexcept {
  timespec ts{};
  clock_gettime(clock, &ts);
  return static_cast<std::uint64_t>(ts.tv_sec) * 1'000'000'000u +
         static_cast<std::uint64_t>(ts.tv_nsec);
}

// What the threads of one run share. Each field is written by one thread; phase and net_done
// publish the others.
struct Window {
  std::uint64_t warmup = 0;
  std::uint64_t total = 0;    // warmup + measured stream events
  clockid_t sim_clock{};      // the simulator thread's CPU clock
  std::atomic<int> phase{0};  // strategy thread: 0 warm-up, 1 measuring, 2 done

  // Strategy thread, published by phase = 2.
  std::uint64_t begin_ticks = 0, end_ticks = 0;
  std::uint64_t strategy_cpu_ns = 0, sim_cpu_ns = 0;
  std::uint64_t strategy_allocs = 0;

  // Network thread, published by net_done. net_measured: the network thread saw the window open
  // before it closed. Not so when it read the window's last frame before the strategy thread
  // opened the window (it runs ahead by up to the ring's capacity, and a paused producer checks
  // nothing): its CPU time and allocations of the window are then unknown, not zero.
  bool net_measured = false;
  std::uint64_t net_cpu_ns = 0;
  std::uint64_t net_allocs = 0;
  // The network thread's CPU time over its own span of the run: from its publishing event number
  // `warmup` to its publishing event number `total`. It runs ahead of the strategy thread, so this,
  // not net_cpu_ns, is its CPU per event as fast as possible. 0 events: the span did not close.
  std::uint64_t net_span_cpu_ns = 0;
  std::uint64_t net_span_events = 0;
  std::uint64_t cold_allocs = 0;
  std::uint64_t cold_polls = 0;
  std::atomic<bool> net_done{false};
};

// The network thread's side of the window: its CPU time and allocations from the first check
// that sees the window open to the first that sees it closed, then published with net_done.
// Network thread only.
class NetworkWindow {
 public:
  explicit NetworkWindow(Window& window) : w_(&window) {}

  // Returns the strategy thread's phase. `cold_allocs` and `cold_polls` are published with the
  // rest when the window closes.
  int check(std::uint64_t cold_allocs = 0, std::uint64_t cold_polls = 0) noexcept {
    // acquire: pairs with the release stores of the strategy thread (begin / end).
    const int phase = w_->phase.load(std::memory_order_acquire);
    if (phase == seen_phase_) return phase;
    if (seen_phase_ == 0) {
      cpu0_ = thread_cpu_ns();
      allocs0_ = hot_alloc::thread_count();
    }
    if (phase == 2) {
      w_->net_measured = seen_phase_ == 1;
      w_->net_cpu_ns = thread_cpu_ns() - cpu0_;
      w_->net_allocs = hot_alloc::thread_count() - allocs0_;
      w_->cold_allocs = cold_allocs;
      w_->cold_polls = cold_polls;
      // release: publishes the fields above; pairs with the controlling thread's acquire.
      w_->net_done.store(true, std::memory_order_release);
    }
    seen_phase_ = phase;
    return phase;
  }

  // After each event published: `n` published so far. Opens and closes the network thread's own
  // span (Window::net_span_cpu_ns), which check() publishes with the rest.
  void published(std::uint64_t n) noexcept {
    if (n == w_->warmup) {
      span_cpu0_ = thread_cpu_ns();
    } else if (n == w_->total) {
      w_->net_span_cpu_ns = thread_cpu_ns() - span_cpu0_;
      w_->net_span_events = w_->total - w_->warmup;
    }
  }

 private:
  Window* w_;
  int seen_phase_ = 0;
  std::uint64_t cpu0_ = 0, allocs0_ = 0;
  std::uint64_t span_cpu0_ = 0;
};

// The strategy: after each event, the exposure of its market (cost of the volume held, from the
// account that already includes the event) against a limit; counts the events that would make
// it hedge. Also takes the latency stamp and opens and closes the measured window. Strategy
// thread only; no allocation (the arrays are sized before the run).
class E2eStrategy {
 public:
  E2eStrategy(Window& window, std::uint64_t capacity)
      : w_(&window), arrived_(capacity), uuids_(capacity) {}

  void on_order(const OrderEvent& e, const AccountState& account) noexcept {
    const std::uint64_t now = now_ticks();
    if (!marked_) mark();
    if (e.origin == EventOrigin::stream) record(e, now);
    if (const Position* p = account.position(e.code.view()); p != nullptr) {
      if (p->cost_gross > kExposureLimit) ++over_limit_;
      pnl_ += p->realized_net;
    }
  }
  void on_control(const OrderEvent& /*e*/, const AccountState& /*account*/) noexcept {
    if (!marked_) mark();
    ++controls_;
  }

  [[nodiscard]] std::uint64_t stream_events() const noexcept { return seen_; }
  [[nodiscard]] const std::vector<std::uint64_t>& arrived() const noexcept { return arrived_; }
  [[nodiscard]] const std::vector<Uuid>& uuids() const noexcept { return uuids_; }
  [[nodiscard]] double checksum() const noexcept {
    return pnl_ + static_cast<double>(over_limit_ + controls_);
  }

 private:
  static constexpr double kExposureLimit = 50'000'000;  // KRW

  void mark() noexcept {
    hot_alloc::mark_this_thread();
    marked_ = true;
  }

  void record(const OrderEvent& e, std::uint64_t now) noexcept {
    const std::uint64_t k = seen_++;
    if (k == w_->warmup) begin(now);
    if (k < arrived_.size()) {
      arrived_[k] = now;
      uuids_[k] = e.uuid;
    }
    if (k + 1 == w_->total) end(now);
  }

  // Two system calls each (CPU clocks), outside the counted window.
  void begin(std::uint64_t now) noexcept {
    w_->begin_ticks = now;
    cpu0_ = thread_cpu_ns();
    sim_cpu0_ = cpu_clock_ns(w_->sim_clock);
    allocs0_ = hot_alloc::thread_count();
    hot_alloc::arm(true);
    // release: publishes the window's start; pairs with the acquire loads of the network thread
    // and the controlling thread.
    w_->phase.store(1, std::memory_order_release);
  }
  void end(std::uint64_t now) noexcept {
    hot_alloc::arm(false);
    w_->end_ticks = now;
    w_->strategy_allocs = hot_alloc::thread_count() - allocs0_;
    w_->strategy_cpu_ns = thread_cpu_ns() - cpu0_;
    w_->sim_cpu_ns = cpu_clock_ns(w_->sim_clock) - sim_cpu0_;
    w_->phase.store(2, std::memory_order_release);  // release: as in begin()
  }

  Window* w_;
  std::vector<std::uint64_t> arrived_;
  std::vector<Uuid> uuids_;
  std::uint64_t seen_ = 0;
  std::uint64_t cpu0_ = 0, sim_cpu0_ = 0, allocs0_ = 0;
  std::uint64_t over_limit_ = 0, controls_ = 0;
  double pnl_ = 0;
  bool marked_ = false;
};

// LiveSource on the network thread, plus the window's bookkeeping there: CPU time between the
// polls that first see the window open and closed, allocations counted, and polls that were cold
// (connection down, a connect or disconnect inside the poll, or a REST resync under way) moved
// out of them.
class MeasuredSource {
 public:
  MeasuredSource(LiveSource& live, Window& window) : live_(&live), net_(window) {}

  template <class Ring>
  SourceStatus poll(Ring& ring) noexcept {
    if (!marked_) {
      hot_alloc::mark_this_thread();
      marked_ = true;
    }
    if (!counting_) counting_.emplace(CountingSink{EventSink{ring}, &net_});
    if (net_.check(cold_allocs_, cold_polls_) != 1) return live_->poll(*counting_);
    const std::uint64_t allocs = hot_alloc::thread_count();
    const std::uint64_t marker = cold_marker();
    const bool was_up = live_->connected();
    const bool was_resyncing = live_->resyncing();
    const SourceStatus status = live_->poll(*counting_);
    if (!was_up || !live_->connected() || was_resyncing || live_->resyncing() ||
        cold_marker() != marker) {
      cold_allocs_ += hot_alloc::thread_count() - allocs;
      hot_alloc::set_thread_count(allocs);
      ++cold_polls_;
    }
    return status;
  }

 private:
  std::uint64_t cold_marker() const noexcept {
    const LiveCounters c = live_->counters();
    return c.attempts + c.disconnects + c.resyncs + c.resync_failures;
  }

  // The ring as the live source sees it: counts what it publishes for the network thread's span.
  struct CountingSink {
    EventSink ring;
    NetworkWindow* net;
    std::uint64_t published = 0;
    OrderEvent& claim() noexcept { return ring.claim(); }
    void publish() noexcept {
      ring.publish();
      net->published(++published);
    }
  };

  LiveSource* live_;
  NetworkWindow net_;
  std::optional<CountingSink> counting_;  // made at the first poll, from the pipeline's ring
  bool marked_ = false;
  std::uint64_t cold_allocs_ = 0, cold_polls_ = 0;
};

// upbit-sim on its own thread, pinned to kSimCpu; its CPU clock times the simulator's share.
class SimThread {
 public:
  explicit SimThread(sim::ServerConfig config)
      : thread_(std::move(config), sim::ServerThreadConfig{.on_thread_start = [this] {
                  pin_or_warn(kSimCpu, "simulator");
                  (void)set_thread_name("upbit-sim");
                  pthread_getcpuclockid(pthread_self(), &clock_);
                }}) {}

  [[nodiscard]] sim::Server& server() noexcept { return thread_.server(); }
  // Set on the simulator's thread before the constructor returned (it waits for the thread).
  [[nodiscard]] clockid_t cpu_clock() const noexcept { return clock_; }
  [[nodiscard]] std::string url(bool tls) const { return thread_.url(tls); }

 private:
  clockid_t clock_{};
  sim::ServerThread thread_;
};

struct Notices {
  std::mutex m;
  std::string text;
  NoticeFn fn() {
    return [this](std::string_view s) {
      std::lock_guard lock(m);
      text.append(s).append("\n");
    };
  }
};

// What a client's run says of itself, for the counters.
struct ClientRun {
  bool complete = false;
  std::uint64_t received = 0;       // myOrder stream events received
  std::uint64_t frames = 0;         // WebSocket messages read
  std::uint64_t decode_errors = 0;  // frames that did not parse
  std::uint64_t reconnects = 0;
  std::string notices;
};

// Waits for the network thread to close its side of the window, or for the deadline.
bool wait_for_window(const Window& window, double expected_s) {
  const auto deadline = std::chrono::steady_clock::now() +
                        std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                            std::chrono::duration<double>(expected_s * 3 + 20));
  // acquire (both): pair with the release stores of the strategy and network threads.
  while (!window.net_done.load(std::memory_order_acquire) &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(1ms);
  }
  return window.net_done.load(std::memory_order_acquire);
}

// fillwire: LiveSource -> OrderRing -> StrategyConsumer (AccountState::apply, then the strategy).
// The +journal and +nats rows: the gateway's cold side switched on, in the same binary: every
// frame copied into the journal (a file in a temporary folder), and with +nats the journal
// published to a single-node nats-server (started once, on loopback) by a NatsPublisher. The hot
// threads do the same work plus the journal's record() copy; allocations are counted the same way.
struct Gateway {
  std::filesystem::path dir;
  std::unique_ptr<Journal> journal;
  std::unique_ptr<NatsPublisher> publisher;
  JournalProducer* producer = nullptr;
};

test::NatsCluster& bench_nats(const std::filesystem::path& dir) {
  static std::unique_ptr<test::NatsCluster> node;
  if (!node) node = std::make_unique<test::NatsCluster>(1, dir / "nats");
  return *node;
}

std::filesystem::path bench_dir() {
  static const std::filesystem::path dir = [] {
    auto d = std::filesystem::temp_directory_path() /
             ("fillwire-e2e-bench-" + std::to_string(::getpid()));
    std::filesystem::create_directories(d);
    return d;
  }();
  return dir;
}

void open_gateway(Gateway& g, bool nats) {
  static int run = 0;
  const std::string name = "run-" + std::to_string(++run);
  JournalConfig j;
  j.path = (bench_dir() / (name + ".fwj")).string();
  j.max_file_bytes = std::size_t{1} << 30;
  j.max_producers = 1;
  g.journal = std::make_unique<Journal>(j);
  if (nats) {
    NatsPublisherConfig pc;
    pc.nats.servers = bench_nats(bench_dir()).urls();
    pc.nats.account = name;
    g.publisher = std::make_unique<NatsPublisher>(*g.journal, pc);
  }
  g.producer = &g.journal->make_producer();
}

// Where the client connects: upbit-sim, or the wire replayer (no REST there: no resync).
struct Exchange {
  std::string url;
  std::string ca_file;
  bool resync = true;
};

// `Wait`, the ring's wait strategy, sets how both client threads wait and where they run.
// Blocking: the two share kClientCpu and sleep when idle (the network thread in epoll, the
// strategy thread on the ring's futex). SpinThenYield (the busy rows): the network thread
// busy-polls on kClientCpu, the strategy thread spins on kSimCpu beside the paced replayer.
template <class Wait>
ClientRun run_fillwire(const Exchange& exchange, Window& window, AccountState& account,
                       E2eStrategy& strategy, double expected_s, Gateway* gateway = nullptr) {
  constexpr bool kSleeps = std::is_same_v<Wait, Blocking>;
  StrategyConsumer<E2eStrategy> consumer(account, strategy);
  Notices notices;
  LiveConfig lc;
  lc.url = exchange.url;
  lc.ca_file = exchange.ca_file;
  lc.resync = exchange.resync;
  lc.blocking = kSleeps;
  lc.seed = 7;
  LiveSource live(lc, Credentials{kAccess, Secret(kSecret)},
                  gateway != nullptr ? gateway->producer : nullptr, notices.fn());
  MeasuredSource source(live, window);

  PipelineConfig pc;
  pc.producer_cpu = kClientCpu;
  pc.consumer_cpu = kSleeps ? kClientCpu : kSimCpu;
  Pipeline<StrategyConsumer<E2eStrategy>, Wait> pipeline(consumer, pc);
  pipeline.start(source);
  for (const auto& w : pipeline.warnings())
    std::fprintf(stderr, "warning: %s\n", w.c_str());

  ClientRun run;
  run.complete = wait_for_window(window, expected_s);
  pipeline.stop();
  const LiveCounters c = live.counters();
  run.received = c.events;
  run.frames = c.frames;
  run.decode_errors = c.decode_errors;
  run.reconnects = c.connects == 0 ? 0 : c.connects - 1;
  std::lock_guard lock(notices.m);
  run.notices = notices.text;
  return run;
}

//------------------------------------------------------------------------------------------------
// Baseline: the client as it is commonly written with the same libraries. Network thread: a
// Boost.Beast WebSocket (over asio::ssl with OpenSSL's defaults for wss://) read synchronously,
// each message parsed into an nlohmann::json object (a std::map of the fields), moved into a
// std::deque behind a std::mutex, and a std::condition_variable notified. Strategy thread: waits
// on the condition variable, pops, converts the fields into an OrderEvent by name, applies it to
// the same AccountState and calls the same strategy. No REST resync, no reconnect, no keep-alive:
// the runs are clean (no faults injected), so none of these would run in fillwire either.

namespace beast = boost::beast;
namespace asio = boost::asio;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;

struct BaselineItem {
  nlohmann::json fields;
  std::uint64_t recv_ts = 0;
};

struct BaselineQueue {
  std::mutex m;
  std::condition_variable ready;  // an item was pushed, or closed
  std::condition_variable done;   // the strategy closed the window, or closed
  std::deque<BaselineItem> items;
  bool finished = false;  // the strategy thread has seen the window's last event
  bool closed = false;    // nothing more comes: the network thread stopped, or the run was aborted

  void close() {
    {
      std::lock_guard lock(m);
      closed = true;
    }
    ready.notify_all();
    done.notify_all();
  }
};

template <class E, std::size_t N>
E enum_of(const nlohmann::json& j, const char* key, const std::string_view (&names)[N]) {
  const auto it = j.find(key);
  if (it == j.end() || !it->is_string()) return E{};
  const std::string& s = it->get_ref<const std::string&>();
  for (std::size_t i = 1; i < N; ++i) {
    if (names[i] == s) return static_cast<E>(i);
  }
  return E{};
}

// The fields of one myOrder object, by their DEFAULT names, into an OrderEvent.
void baseline_event(const nlohmann::json& j, OrderEvent& e) {
  std::uint32_t p = 0;
  const auto str = [&](Field f) -> std::string_view {
    const auto it = j.find(field_name(f));
    if (it == j.end() || !it->is_string()) return {};
    p |= field_bit(f);
    return it->get_ref<const std::string&>();
  };
  const auto dbl = [&](Field f, double& out) {
    const auto it = j.find(field_name(f));
    if (it != j.end() && it->is_number()) {
      out = it->get<double>();
      p |= field_bit(f);
    }
  };
  const auto integer = [&](Field f, std::int64_t& out) {
    const auto it = j.find(field_name(f));
    if (it != j.end() && it->is_number_integer()) {
      out = it->get<std::int64_t>();
      p |= field_bit(f);
    }
  };
  e.type_known = str(Field::type) == "myOrder" ? 1 : 0;
  (void)e.code.assign(str(Field::code));
  (void)Uuid::parse(str(Field::uuid), e.uuid);
  e.ask_bid = enum_of<Side>(j, "ask_bid", kSideNames);
  e.order_type = enum_of<OrderType>(j, "order_type", kOrderTypeNames);
  e.state = enum_of<OrderState>(j, "state", kStateNames);
  for (const Field f : {Field::ask_bid, Field::order_type, Field::state}) {
    if (j.contains(field_name(f))) p |= field_bit(f);
  }
  if (const std::string_view t = str(Field::trade_uuid); !t.empty())
    (void)Uuid::parse(t, e.trade_uuid);
  dbl(Field::price, e.price);
  dbl(Field::avg_price, e.avg_price);
  dbl(Field::volume, e.volume);
  dbl(Field::remaining_volume, e.remaining_volume);
  dbl(Field::executed_volume, e.executed_volume);
  std::int64_t trades = 0;
  integer(Field::trades_count, trades);
  e.trades_count = static_cast<std::uint32_t>(trades);
  dbl(Field::reserved_fee, e.reserved_fee);
  dbl(Field::remaining_fee, e.remaining_fee);
  dbl(Field::paid_fee, e.paid_fee);
  dbl(Field::locked, e.locked);
  dbl(Field::executed_funds, e.executed_funds);
  e.time_in_force = enum_of<TimeInForce>(j, "time_in_force", kTimeInForceNames);
  if (e.time_in_force != TimeInForce::unknown) p |= field_bit(Field::time_in_force);
  dbl(Field::trade_fee, e.trade_fee);
  if (const auto it = j.find("is_maker"); it != j.end() && it->is_boolean()) {
    e.is_maker = it->get<bool>() ? 1 : 0;
    p |= field_bit(Field::is_maker);
  }
  (void)e.identifier.assign(str(Field::identifier));
  e.smp_type = enum_of<SmpType>(j, "smp_type", kSmpTypeNames);
  if (e.smp_type != SmpType::unknown) p |= field_bit(Field::smp_type);
  dbl(Field::prevented_volume, e.prevented_volume);
  dbl(Field::prevented_locked, e.prevented_locked);
  integer(Field::trade_timestamp, e.trade_timestamp);
  integer(Field::order_timestamp, e.order_timestamp);
  integer(Field::timestamp, e.timestamp);
  e.stream_type = enum_of<StreamType>(j, "stream_type", kStreamTypeNames);
  if (e.stream_type != StreamType::unknown) p |= field_bit(Field::stream_type);
  e.present = p;
  e.kind = EventKind::order;
  e.origin = EventOrigin::stream;
}

// The port of an exchange's loopback URL ("ws://127.0.0.1:<port>/websocket/v1/private").
std::string port_of(const std::string& url) {
  return std::string(boost::urls::parse_uri(url).value().port());
}

// The baseline's network thread: connect, handshake with a JWT, subscribe, then read, parse and
// queue `window.total` myOrder events; then wait for the strategy to close the window. The
// window's CPU time and allocations are taken by NetworkWindow, as in MeasuredSource.
class BaselineNetwork {
 public:
  BaselineNetwork(const Exchange& exchange, Window& window, BaselineQueue& queue, ClientRun& run)
      : port_(port_of(exchange.url)),
        ca_file_(exchange.ca_file),
        tls_(exchange.url.starts_with("wss:")),
        w_(&window),
        q_(&queue),
        run_(&run),
        net_(window) {}

  void operator()() {
    pin_or_warn(kClientCpu, "network");
    (void)set_thread_name("baseline-net");
    hot_alloc::mark_this_thread();
    try {
      asio::io_context ioc;
      tcp::resolver resolver(ioc);
      const auto endpoints = resolver.resolve(kHost, port_);
      if (tls_) {
        asio::ssl::context ctx(asio::ssl::context::tls_client);
        ctx.set_verify_mode(asio::ssl::verify_peer);
        ctx.load_verify_file(ca_file_);
        websocket::stream<beast::ssl_stream<beast::tcp_stream>> ws(ioc, ctx);
        beast::get_lowest_layer(ws).connect(endpoints);
        beast::get_lowest_layer(ws).socket().set_option(tcp::no_delay(true));
        // SNI (what SSL_set_tlsext_host_name expands to, without its C cast).
        if (SSL_ctrl(ws.next_layer().native_handle(), SSL_CTRL_SET_TLSEXT_HOSTNAME,
                     TLSEXT_NAMETYPE_host_name, const_cast<char*>(kHost)) != 1)
          throw std::runtime_error("cannot set the server name (SNI)");
        ws.next_layer().set_verify_callback(asio::ssl::host_name_verification(kHost));
        ws.next_layer().handshake(asio::ssl::stream_base::client);
        session(ws);
      } else {
        websocket::stream<beast::tcp_stream> ws(ioc);
        beast::get_lowest_layer(ws).connect(endpoints);
        beast::get_lowest_layer(ws).socket().set_option(tcp::no_delay(true));
        session(ws);
      }
    } catch (const std::exception& e) {
      std::lock_guard lock(q_->m);
      run_->notices += std::string("baseline: ") + e.what() + "\n";
    }
    q_->close();
  }

 private:
  static constexpr const char* kHost = "127.0.0.1";

  template <class Ws>
  void session(Ws& ws) {
    const std::string bearer = "Bearer " + make_token(Credentials{kAccess, Secret(kSecret)});
    ws.set_option(websocket::stream_base::decorator([bearer](websocket::request_type& req) {
      req.set(beast::http::field::authorization, bearer);
    }));
    ws.handshake(std::string(kHost) + ":" + port_, "/websocket/v1/private");
    ws.text(true);
    ws.write(asio::buffer(
        std::string(R"([{"ticket":"baseline-)" + new_nonce() + R"("},{"type":"myOrder"}])")));

    beast::flat_buffer buffer;
    std::uint64_t seq = 0;
    while (seq < w_->total) {
      ws.read(buffer);
      const std::uint64_t now = now_ticks();
      net_.check();
      ++run_->frames;
      const auto* data = static_cast<const char*>(buffer.cdata().data());
      nlohmann::json fields = nlohmann::json::parse(data, data + buffer.size(), nullptr, false);
      buffer.consume(buffer.size());
      if (fields.is_discarded()) {
        ++run_->decode_errors;
        continue;
      }
      const auto type = fields.find("type");
      if (type == fields.end() || *type != "myOrder") continue;  // status frames
      {
        std::lock_guard lock(q_->m);
        q_->items.push_back(BaselineItem{std::move(fields), now});
      }
      q_->ready.notify_one();
      ++seq;
      net_.published(seq);
    }
    run_->received = seq;
    std::unique_lock lock(q_->m);
    q_->done.wait(lock, [this] { return q_->finished || q_->closed; });
    lock.unlock();
    net_.check();
  }

  std::string port_;
  std::string ca_file_;
  bool tls_;
  Window* w_;
  BaselineQueue* q_;
  ClientRun* run_;
  NetworkWindow net_;
};

// The baseline's strategy thread.
void baseline_strategy(BaselineQueue& q, Window& window, AccountState& account,
                       E2eStrategy& strategy) {
  pin_or_warn(kClientCpu, "strategy");
  (void)set_thread_name("baseline-strat");
  std::uint64_t seq = 0;
  for (;;) {
    std::unique_lock lock(q.m);
    q.ready.wait(lock, [&q] { return !q.items.empty() || q.closed; });
    if (q.items.empty()) return;
    BaselineItem item = std::move(q.items.front());
    q.items.pop_front();
    lock.unlock();

    OrderEvent e{};
    baseline_event(item.fields, e);
    e.seq = ++seq;
    e.recv_ts = item.recv_ts;
    account.apply(e);
    strategy.on_order(e, account);
    if (window.phase.load(std::memory_order_relaxed) == 2) {
      {
        std::lock_guard done_lock(q.m);
        q.finished = true;
      }
      q.done.notify_all();
    }
  }
}

// `stop_exchange` ends the exchange's side, closing the connection: it unblocks the network
// thread's read when the run did not complete.
ClientRun run_baseline(const Exchange& exchange, Window& window, AccountState& account,
                       E2eStrategy& strategy, double expected_s,
                       const std::function<void()>& stop_exchange) {
  ClientRun run;
  BaselineQueue queue;
  std::thread network(BaselineNetwork(exchange, window, queue, run));
  std::thread consumer([&] { baseline_strategy(queue, window, account, strategy); });
  run.complete = wait_for_window(window, expected_s);
  if (!run.complete) {
    // Unblocks both threads: the queue closes; the exchange's end closes the socket under a read.
    queue.close();
    stop_exchange();
  }
  network.join();
  consumer.join();
  return run;
}

//------------------------------------------------------------------------------------------------

enum class Client { fillwire, fillwire_busy, fillwire_journal, fillwire_nats, baseline };

// One client's run against `exchange`. `stop_exchange` ends the exchange's side (run_baseline);
// `gateway`: the journal and NATS rows' cold side.
ClientRun run_client(Client client, const Exchange& exchange, Window& window, AccountState& account,
                     E2eStrategy& strategy, double expected_s,
                     const std::function<void()>& stop_exchange, Gateway* gateway = nullptr) {
  if (client == Client::baseline)
    return run_baseline(exchange, window, account, strategy, expected_s, stop_exchange);
  if (client == Client::fillwire_busy)
    return run_fillwire<SpinThenYield>(exchange, window, account, strategy, expected_s, gateway);
  return run_fillwire<Blocking>(exchange, window, account, strategy, expected_s, gateway);
}

//------------------------------------------------------------------------------------------------
// The loopback TCP floor: two threads, one per CPU, bounce a message over a connected loopback
// TCP pair (TCP_NODELAY); one-way latency is half of each round trip, on the TSC as the other
// rows.

constexpr std::uint64_t kFloorWarmup = 10'000;     // round trips left out
constexpr std::uint64_t kFloorMeasured = 100'000;  // round trips measured
constexpr std::size_t kFloorBytes = 64;            // the size of the busy rows' yardstick

struct FloorRun {
  std::vector<std::uint64_t> one_way;  // ticks: half of each measured round trip
  double window_s = 0;                 // wall time of the measured round trips
  std::string error;                   // empty: every round trip completed in time
};

enum class Way { send, recv };

// Moves exactly `n` bytes through `fd`: nullptr once done, else why not. On a non-blocking
// socket it spins on EAGAIN; a blocking recv sleeps for up to the socket's SO_RCVTIMEO. Either
// way it gives up once `deadline` (TSC ticks) has passed.
const char* transfer(int fd, Way way, char* p, std::size_t n, std::uint64_t deadline) noexcept {
  while (n != 0) {
    const ssize_t r = way == Way::send ? ::send(fd, p, n, MSG_NOSIGNAL) : ::recv(fd, p, n, 0);
    if (r > 0) {
      p += r;
      n -= static_cast<std::size_t>(r);
      continue;
    }
    if (r == 0) return "connection closed";
    if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) return "socket error";
    if (now_ticks() > deadline) return "deadline passed";
  }
  return nullptr;
}

// kFloorWarmup + kFloorMeasured round trips of `bytes` from a thread on kClientCpu to one on
// kSimCpu and back, both spinning on a non-blocking recv, or (blocking) sleeping in it. Bounded
// by a deadline: a side that fails shuts its socket down, which ends the other's wait at once.
FloorRun run_floor(std::size_t bytes, bool blocking) {
  asio::io_context ioc;
  tcp::acceptor acceptor(ioc, tcp::endpoint(asio::ip::address_v4::loopback(), 0));
  tcp::socket ping_socket(ioc);
  tcp::socket echo_socket(ioc);
  ping_socket.connect(acceptor.local_endpoint());
  acceptor.accept(echo_socket);
  for (tcp::socket* s : {&ping_socket, &echo_socket}) {
    s->set_option(tcp::no_delay(true));
    s->non_blocking(!blocking);
    const timeval timeout{.tv_sec = 1, .tv_usec = 0};  // a blocking recv looks at the deadline
    if (::setsockopt(s->native_handle(), SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout) != 0)
      throw std::system_error(errno, std::generic_category(), "SO_RCVTIMEO");
  }
  constexpr std::uint64_t kTotal = kFloorWarmup + kFloorMeasured;
  const std::uint64_t deadline = now_ticks() + calibration().from_ns(60e9);
  FloorRun run;
  run.one_way.reserve(kFloorMeasured);
  const char* ping_failed = nullptr;
  const char* echo_failed = nullptr;
  std::uint64_t failed_at = 0;

  std::thread echo([&] {
    pin_or_warn(kSimCpu, "floor echo");
    std::vector<char> message(bytes);
    const int fd = echo_socket.native_handle();
    for (std::uint64_t i = 0; i < kTotal && echo_failed == nullptr; ++i) {
      echo_failed = transfer(fd, Way::recv, message.data(), bytes, deadline);
      if (echo_failed == nullptr)
        echo_failed = transfer(fd, Way::send, message.data(), bytes, deadline);
    }
    if (echo_failed != nullptr) ::shutdown(fd, SHUT_RDWR);
  });
  std::thread ping([&] {
    pin_or_warn(kClientCpu, "floor ping");
    std::vector<char> message(bytes, 'x');
    const int fd = ping_socket.native_handle();
    std::uint64_t begin = 0;
    for (std::uint64_t i = 0; i < kTotal; ++i) {
      const std::uint64_t sent = now_ticks();
      if (i == kFloorWarmup) begin = sent;
      ping_failed = transfer(fd, Way::send, message.data(), bytes, deadline);
      if (ping_failed == nullptr)
        ping_failed = transfer(fd, Way::recv, message.data(), bytes, deadline);
      if (ping_failed != nullptr) {
        failed_at = i;
        ::shutdown(fd, SHUT_RDWR);
        return;
      }
      if (i >= kFloorWarmup) run.one_way.push_back((now_ticks() - sent) / 2);
    }
    run.window_s = calibration().to_ns(now_ticks() - begin) / 1e9;
  });
  ping.join();
  echo.join();
  if (ping_failed != nullptr || echo_failed != nullptr) {
    run.error = "round trip " + std::to_string(failed_at) +
                " failed: " + (ping_failed != nullptr ? ping_failed : "") +
                (echo_failed != nullptr ? std::string(" (echo side: ") + echo_failed + ")" : "");
  }
  return run;
}

// The p50 of the last 64-byte busy floor measured in this process: the busy rows' yardstick.
std::optional<double>& floor_p50_ns() {
  static std::optional<double> p50;
  return p50;
}

// e2e_floor/tcp, e2e_floor/tcp_blocking: state.range(0) bytes each way.
void e2e_floor(benchmark::State& state, bool blocking) {
  const auto bytes = static_cast<std::size_t>(state.range(0));
  for (auto _ : state) {
    FloorRun run = run_floor(bytes, blocking);
    if (!run.error.empty()) {
      state.SkipWithError(run.error.c_str());
      break;
    }
    state.SetIterationTime(run.window_s);
    const Percentiles p = percentiles_ns(run.one_way);
    report(state, p);
    state.SetItemsProcessed(static_cast<std::int64_t>(kFloorMeasured));
    if (!blocking && bytes == kFloorBytes) floor_p50_ns() = p.p50;
  }
}

// The busy rows' yardstick: the floor's p50 (busy, kFloorBytes), measured here on first use if
// no e2e_floor/tcp/bytes:64 row ran before in this process. 0 if that run failed.
double floor_reference() {
  if (!floor_p50_ns()) {
    FloorRun run = run_floor(kFloorBytes, false);
    if (run.error.empty()) floor_p50_ns() = percentiles_ns(run.one_way).p50;
  }
  return floor_p50_ns().value_or(0.0);
}

//------------------------------------------------------------------------------------------------

// One row's run: state.range(0) offered events/s (0 = as fast as the client reads),
// state.range(1) measured events, after half a second of warm-up at the paced rates or 50k events
// as fast as possible.
struct RunShape {
  explicit RunShape(const benchmark::State& state)
      : rate(static_cast<std::uint64_t>(state.range(0))),
        measured(static_cast<std::uint64_t>(state.range(1))),
        warmup(rate == 0 ? 50'000 : rate / 2),
        total(warmup + measured) {}
  // How long the run should take, for its deadline (wait_for_window).
  [[nodiscard]] double expected_s() const {
    return rate == 0 ? 10.0 : static_cast<double>(total) / static_cast<double>(rate);
  }
  std::uint64_t rate;
  std::uint64_t measured;
  std::uint64_t warmup;
  std::uint64_t total;
};

// The window of one run: latency per event (matched to the send stamps by order and uuid),
// events/s, CPU per event, allocations, as counters of `state`; returns the latency percentiles.
// nullopt (the run skipped with an error) when the client did not receive every event in time,
// or when the stream's events are not the ones stamped, in order.
std::optional<Percentiles> report_window(benchmark::State& state, const sim::SendStamps& stamps,
                                         const Window& window, const E2eStrategy& strategy,
                                         const AccountState& account, const ClientRun& run,
                                         std::uint64_t rate, bool baseline) {
  const std::uint64_t warmup = window.warmup;
  const std::uint64_t total = window.total;
  const std::uint64_t measured = total - warmup;
  if (!run.complete) {
    std::fprintf(stderr, "run did not complete: %llu of %llu stream events\n%s",
                 static_cast<unsigned long long>(strategy.stream_events()),
                 static_cast<unsigned long long>(total), run.notices.c_str());
    state.SkipWithError("the client did not receive every event in time");
    return std::nullopt;
  }
  // Latency per event of the window, matched to the simulator's stamps by order and uuid.
  std::vector<std::uint64_t> latency;
  latency.reserve(measured);
  std::uint64_t mismatched = 0;
  std::uint64_t writes = 0;
  std::uint64_t last_stamp = 0;
  for (std::uint64_t k = warmup; k < total; ++k) {
    if (k >= stamps.stamped() || !(stamps[k].uuid == strategy.uuids()[k])) {
      ++mismatched;
      continue;
    }
    const std::uint64_t sent = stamps[k].ticks;
    if (sent != last_stamp) ++writes;
    last_stamp = sent;
    const std::uint64_t got = strategy.arrived()[k];
    latency.push_back(got > sent ? got - sent : 0);
  }
  if (mismatched != 0) {
    state.SkipWithError("stream events do not match the simulator's, in order");
    return std::nullopt;
  }
  const double window_s = calibration().to_ns(window.end_ticks - window.begin_ticks) / 1e9;
  state.SetIterationTime(window_s);
  const auto per_event = [measured](std::uint64_t ns) {
    return static_cast<double>(ns) / static_cast<double>(measured);
  };
  const Percentiles percentiles = percentiles_ns(latency);
  report(state, percentiles);
  state.counters["events_per_s"] = static_cast<double>(measured) / window_s;
  state.counters["offered_per_s"] = static_cast<double>(rate);
  // Paced runs only: 0 when the window's rate was more than 5 % off the offered rate (the host
  // starved the simulator, which then caught up in bursts, or the client fell behind): such a
  // run measured the host, not the path, and is left out of the README's medians.
  state.counters["rate_held"] =
      rate == 0 || std::abs(static_cast<double>(measured) / window_s / static_cast<double>(rate) -
                            1.0) <= 0.05
          ? 1.0
          : 0.0;
  state.counters["received"] = static_cast<double>(run.received);
  state.counters["applied"] = static_cast<double>(account.counters().events);
  // 0: the network thread's CPU time and allocations of the window are unknown (see
  // Window::net_measured); hot_allocs then counts the strategy thread's only.
  state.counters["net_measured"] = window.net_measured ? 1.0 : 0.0;
  // Over the network thread's own span (Window::net_span_cpu_ns): right as fast as possible too.
  if (window.net_span_events > 0) {
    state.counters["net_cpu_ns_per_event"] =
        static_cast<double>(window.net_span_cpu_ns) / static_cast<double>(window.net_span_events);
  }
  state.counters["strategy_cpu_ns_per_event"] = per_event(window.strategy_cpu_ns);
  state.counters["sim_cpu_ns_per_event"] = per_event(window.sim_cpu_ns);
  state.counters["hot_allocs"] = static_cast<double>(window.net_allocs + window.strategy_allocs);
  state.counters["allocs_per_write"] =
      writes == 0 ? 0.0
                  : static_cast<double>(window.net_allocs + window.strategy_allocs) /
                        static_cast<double>(writes);
  state.counters["allocs_per_event"] =
      static_cast<double>(window.net_allocs + window.strategy_allocs) /
      static_cast<double>(measured);
  state.counters["cold_allocs"] = static_cast<double>(window.cold_allocs);
  state.counters["cold_polls"] = static_cast<double>(window.cold_polls);
  state.counters["events_per_write"] =
      writes == 0 ? 0.0 : static_cast<double>(measured) / static_cast<double>(writes);
  state.counters["frames"] = static_cast<double>(run.frames);
  state.counters["decode_errors"] = static_cast<double>(run.decode_errors);
  state.counters["reconnects"] = static_cast<double>(run.reconnects);
  // The baseline allocates per event by design: its stacks say nothing new.
  if (!baseline && window.net_allocs + window.strategy_allocs != 0) {
    std::fprintf(stderr, "%llu allocations on the hot threads (network %llu, strategy %llu)\n",
                 static_cast<unsigned long long>(window.net_allocs + window.strategy_allocs),
                 static_cast<unsigned long long>(window.net_allocs),
                 static_cast<unsigned long long>(window.strategy_allocs));
    hot_alloc::print_stacks(stderr);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(measured));
  benchmark::DoNotOptimize(strategy.checksum());
  return percentiles;
}

// One iteration is one whole run (RunShape): a fresh simulator, connection and account.
void e2e(benchmark::State& state, Client client, bool tls) {
  const RunShape shape(state);
  const std::uint64_t rate = shape.rate;
  const std::uint64_t total = shape.total;

  for (auto _ : state) {
    sim::SendStamps stamps(total);
    sim::ServerConfig sc;
    sc.access_key = kAccess;
    sc.secret_key = kSecret;
    sc.rate = static_cast<double>(rate);
    sc.total = total;
    sc.ws_rate_limit = false;
    // A client that falls behind the offered rate is measured, not dropped as a slow consumer.
    sc.slow_consumer_bytes = std::size_t{1} << 30;
    sc.send_stamps = &stamps;
    std::optional<SimThread> sim;
    sim.emplace(sc);

    Window window;
    window.warmup = shape.warmup;
    window.total = total;
    window.sim_clock = sim->cpu_clock();
    AccountState account;
    E2eStrategy strategy(window, total);

    const double expected_s = shape.expected_s();
    Gateway gateway;
    if (client == Client::fillwire_journal || client == Client::fillwire_nats) {
      open_gateway(gateway, client == Client::fillwire_nats);
    }
    const ClientRun run = run_client(
        client, Exchange{sim->url(tls), sim->server().cert_path()}, window, account, strategy,
        expected_s, [&sim] { sim.reset(); }, gateway.journal ? &gateway : nullptr);
    if (gateway.publisher) {
      gateway.journal->flush();
      const bool all = gateway.publisher->wait_published(std::chrono::seconds(60));
      const NatsPublisherCounters nc = gateway.publisher->counters();
      state.counters["nats_published"] = static_cast<double>(nc.published);
      state.counters["nats_messages"] = static_cast<double>(nc.messages);
      if (!all) {
        state.SkipWithError(("not all published: " + gateway.publisher->last_error()).c_str());
        break;
      }
    }
    if (gateway.journal) {
      state.counters["journaled"] = static_cast<double>(gateway.journal->counters().records);
      state.counters["journal_dropped"] = static_cast<double>(gateway.journal->counters().dropped);
    }
    if (!report_window(state, stamps, window, strategy, account, run, rate,
                       client == Client::baseline)) {
      break;
    }
    // After a complete run only: an incomplete baseline run has ended the simulator.
    state.counters["sim_events"] = static_cast<double>(sim->server().stats().events_generated);
  }
}

// A client against the wire replayer (wire_replayer.hpp): the same clients, window and counters as
// e2e/, with an exchange stand-in that only writes pre-built frames, so the ceiling is the
// client's. No REST resync (the replayer serves none; the flow has no gap to heal). The busy rows
// also report their p50 and p99 as multiples of the loopback floor's p50 (floor_reference).
void e2e_replay(benchmark::State& state, Client client, bool tls) {
  const RunShape shape(state);
  const std::uint64_t rate = shape.rate;
  const std::uint64_t total = shape.total;
  const double floor = client == Client::fillwire_busy ? floor_reference() : 0.0;
  if (client == Client::fillwire_busy && floor == 0) {
    state.SkipWithError("the loopback TCP floor could not be measured");
    return;
  }
  for (auto _ : state) {
    sim::SendStamps stamps(total);
    WireReplayer replayer(WireReplayerConfig{.events = total,
                                             .seed = 7,
                                             .tls = tls,
                                             .rate = static_cast<double>(rate),
                                             .cpu = kSimCpu,
                                             .stamps = &stamps});
    Window window;
    window.warmup = shape.warmup;
    window.total = total;
    window.sim_clock = replayer.cpu_clock();
    AccountState account;
    E2eStrategy strategy(window, total);
    const ClientRun run =
        run_client(client, Exchange{replayer.url(), replayer.ca_file(), false}, window, account,
                   strategy, shape.expected_s(), [&replayer] { replayer.stop(); });
    replayer.stop();
    if (!replayer.error().empty()) {
      state.SkipWithError(("the replayer failed: " + replayer.error()).c_str());
      break;
    }
    const std::optional<Percentiles> latency = report_window(
        state, stamps, window, strategy, account, run, rate, client == Client::baseline);
    if (!latency) break;
    state.counters["wire_bytes_per_event"] =
        static_cast<double>(replayer.wire_bytes()) / static_cast<double>(total);
    if (floor > 0) {
      state.counters["floor_p50_ns"] = floor;
      state.counters["p50_x_floor"] = latency->p50 / floor;
      state.counters["p99_x_floor"] = latency->p99 / floor;
      // The busy-polling network thread's share of the window on its CPU: ~1 unless something
      // else on the host took CPU 1 away, in which case the run measured the host (as rate_held).
      if (window.net_measured) {
        state.counters["net_on_cpu"] = static_cast<double>(window.net_cpu_ns) /
                                       calibration().to_ns(window.end_ticks - window.begin_ticks);
      }
    }
  }
}

void register_runs() {
  // The loopback TCP floor: a small message, and one of a frame's size (~640 bytes on the wire).
  for (const bool blocking : {false, true}) {
    benchmark::RegisterBenchmark(blocking ? "e2e_floor/tcp_blocking" : "e2e_floor/tcp",
                                 [blocking](benchmark::State& s) { e2e_floor(s, blocking); })
        ->ArgName("bytes")
        ->Arg(static_cast<std::int64_t>(kFloorBytes))
        ->Arg(640)
        ->Iterations(1)
        ->UseManualTime()
        ->Unit(benchmark::kMillisecond);
  }
  // {offered rate, measured events}: ~3 s of measurement each at the paced rates.
  const std::vector<std::vector<std::int64_t>> runs = {
      {10'000, 30'000}, {100'000, 300'000}, {0, 500'000}};
  for (const Client client : {Client::fillwire, Client::baseline}) {
    for (const bool tls : {false, true}) {
      const std::string name =
          std::string(client == Client::fillwire ? "e2e" : "e2e_baseline") + (tls ? "/wss" : "/ws");
      add_rate_runs(benchmark::RegisterBenchmark(
                        name.c_str(), [client, tls](benchmark::State& s) { e2e(s, client, tls); }),
                    runs);
    }
  }
  // Against the wire replayer: the clients' own ceilings (and latency at 10k/s); fillwire
  // busy-polling at 10k/s.
  const std::vector<std::vector<std::int64_t>> replay = {{10'000, 30'000}, {0, 300'000}};
  const std::vector<std::vector<std::int64_t>> busy = {{10'000, 30'000}};
  for (const Client client : {Client::fillwire, Client::baseline, Client::fillwire_busy}) {
    const char* prefix = client == Client::fillwire   ? "e2e_replay"
                         : client == Client::baseline ? "e2e_baseline_replay"
                                                      : "e2e_replay_busy";
    for (const bool tls : {false, true}) {
      add_rate_runs(benchmark::RegisterBenchmark(
                        (std::string(prefix) + (tls ? "/wss" : "/ws")).c_str(),
                        [client, tls](benchmark::State& s) { e2e_replay(s, client, tls); }),
                    client == Client::fillwire_busy ? busy : replay);
    }
  }
  // The gateway's cold side on: the same client, journaling, then publishing to NATS as well.
  const std::vector<std::vector<std::int64_t>> paced = {{10'000, 30'000}, {100'000, 300'000}};
  for (const Client client : {Client::fillwire_journal, Client::fillwire_nats}) {
    const std::string name =
        std::string(client == Client::fillwire_journal ? "e2e+journal" : "e2e+nats") + "/ws";
    add_rate_runs(benchmark::RegisterBenchmark(
                      name.c_str(), [client](benchmark::State& s) { e2e(s, client, false); }),
                  paced);
  }
}

}  // namespace
}  // namespace fillwire::bench

int main(int argc, char** argv) {
  using namespace fillwire::bench;
  hot_alloc::prepare();
  calibration() = fillwire::TscCalibration::calibrate(std::chrono::milliseconds(50));
  register_runs();
  benchmark::AddCustomContext("placement",
                              "simulator or replayer CPU 0; network and strategy threads CPU 1 "
                              "(e2e_replay_busy: network CPU 1, strategy CPU 0; e2e_floor: one "
                              "side on each)");
  return run_benchmarks(argc, argv);
}
