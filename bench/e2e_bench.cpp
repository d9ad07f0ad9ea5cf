// e2e_bench: the whole client against upbit-sim over real loopback sockets, ws:// and wss://.
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
// read path had three sources, now removed: see engine/src/net/live_source.cpp.) The keep-alive
// timer (one wait per half ping interval, 15 s by default, and a ping per interval) allocates
// too and is not excluded: a window that long would show it; the windows here last 0.2-6 s.
//
// Offered rates: 10k/s and 100k/s (the simulator's 1 ms pacing) and 0 = as fast as the client
// reads (the simulator's own back-pressure). Run:
//   build/bench/bench/e2e_bench --benchmark_out=e2e.json --benchmark_out_format=json

#include <benchmark/benchmark.h>
#include <pthread.h>
#include <time.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "bench_support.hpp"
#include "fillwire/account_state.hpp"
#include "fillwire/live_source.hpp"
#include "fillwire/pipeline.hpp"
#include "fillwire/strategy.hpp"
#include "fillwire/wait_strategy.hpp"
#include "hot_alloc.hpp"
#include "server.hpp"

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

  // Network thread, published by net_done.
  std::uint64_t net_cpu_ns = 0;
  std::uint64_t net_allocs = 0;
  std::uint64_t cold_allocs = 0;
  std::uint64_t cold_polls = 0;
  std::atomic<bool> net_done{false};
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
// (connection down, or a connect, disconnect or REST resync inside the poll) moved out of them.
class MeasuredSource {
 public:
  MeasuredSource(LiveSource& live, Window& window) : live_(&live), w_(&window) {}

  template <class Ring>
  SourceStatus poll(Ring& ring) noexcept {
    if (!marked_) {
      hot_alloc::mark_this_thread();
      marked_ = true;
    }
    // acquire: pairs with the release stores of the strategy thread (begin / end).
    const int phase = w_->phase.load(std::memory_order_acquire);
    if (phase != seen_phase_) on_phase(phase);
    if (phase != 1) return live_->poll(ring);
    const std::uint64_t allocs = hot_alloc::thread_count();
    const std::uint64_t marker = cold_marker();
    const bool was_up = live_->connected();
    const SourceStatus status = live_->poll(ring);
    if (!was_up || !live_->connected() || cold_marker() != marker) {
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

  void on_phase(int phase) noexcept {
    if (seen_phase_ == 0) {
      cpu0_ = thread_cpu_ns();
      allocs0_ = hot_alloc::thread_count();
    }
    if (phase == 2) {
      w_->net_cpu_ns = thread_cpu_ns() - cpu0_;
      w_->net_allocs = hot_alloc::thread_count() - allocs0_;
      w_->cold_allocs = cold_allocs_;
      w_->cold_polls = cold_polls_;
      // release: publishes the fields above; pairs with the controlling thread's acquire.
      w_->net_done.store(true, std::memory_order_release);
    }
    seen_phase_ = phase;
  }

  LiveSource* live_;
  Window* w_;
  int seen_phase_ = 0;
  bool marked_ = false;
  std::uint64_t cpu0_ = 0, allocs0_ = 0, cold_allocs_ = 0, cold_polls_ = 0;
};

// upbit-sim on its own thread, pinned to kSimCpu.
class SimThread {
 public:
  explicit SimThread(sim::ServerConfig config) : server_(std::move(config)) {
    server_.start();
    std::promise<clockid_t> clock;
    auto ready = clock.get_future();
    thread_ = std::thread([this, &clock] {
      pin_or_warn(kSimCpu, "simulator");
      (void)set_thread_name("upbit-sim");
      clockid_t id{};
      pthread_getcpuclockid(pthread_self(), &id);
      clock.set_value(id);
      server_.run();
    });
    clock_ = ready.get();
  }
  ~SimThread() {
    server_.stop();
    thread_.join();
  }
  SimThread(const SimThread&) = delete;
  SimThread& operator=(const SimThread&) = delete;

  [[nodiscard]] sim::Server& server() noexcept { return server_; }
  [[nodiscard]] clockid_t cpu_clock() const noexcept { return clock_; }
  [[nodiscard]] std::string url(bool tls) const {
    return std::string(tls ? "wss" : "ws") + "://127.0.0.1:" + std::to_string(server_.port()) +
           "/websocket/v1/private";
  }

 private:
  sim::Server server_;
  std::thread thread_;
  clockid_t clock_{};
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

// state.range(0): offered events/s (0 = as fast as the client reads); state.range(1): measured
// events. One iteration is one whole run: a fresh simulator, connection and account.
void e2e(benchmark::State& state, bool tls) {
  const auto rate = static_cast<std::uint64_t>(state.range(0));
  const auto measured = static_cast<std::uint64_t>(state.range(1));
  // Half a second of warm-up at the paced rates; 50k events as fast as possible.
  const std::uint64_t warmup = rate == 0 ? 50'000 : rate / 2;
  const std::uint64_t total = warmup + measured;

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
    SimThread sim(sc);

    Window window;
    window.warmup = warmup;
    window.total = total;
    window.sim_clock = sim.cpu_clock();
    AccountState account;
    E2eStrategy strategy(window, total);
    StrategyConsumer<E2eStrategy> consumer(account, strategy);

    Notices notices;
    LiveConfig lc;
    lc.url = sim.url(tls);
    lc.ca_file = sim.server().cert_path();
    lc.blocking = true;  // the network thread shares its core: it sleeps in epoll when idle
    lc.seed = 7;
    LiveSource live(lc, Credentials{kAccess, Secret(kSecret)}, nullptr, notices.fn());
    MeasuredSource source(live, window);

    PipelineConfig pc;
    pc.producer_cpu = kClientCpu;
    pc.consumer_cpu = kClientCpu;
    Pipeline<StrategyConsumer<E2eStrategy>, Blocking> pipeline(consumer, pc);
    pipeline.start(source);
    for (const auto& w : pipeline.warnings())
      std::fprintf(stderr, "warning: %s\n", w.c_str());

    const double expected_s =
        rate == 0 ? 10.0 : static_cast<double>(total) / static_cast<double>(rate);
    const auto deadline = std::chrono::steady_clock::now() +
                          std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                              std::chrono::duration<double>(expected_s * 3 + 20));
    // acquire (both): pair with the release stores of the strategy and network threads.
    while (!window.net_done.load(std::memory_order_acquire) &&
           std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(1ms);
    }
    const bool complete = window.net_done.load(std::memory_order_acquire);
    pipeline.stop();
    const LiveCounters lcnt = live.counters();
    const sim::ServerStats sstats = sim.server().stats();
    if (!complete) {
      std::fprintf(stderr, "run did not complete: %llu of %llu stream events\n%s",
                   static_cast<unsigned long long>(strategy.stream_events()),
                   static_cast<unsigned long long>(total), notices.text.c_str());
      state.SkipWithError("the client did not receive every event in time");
      break;
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
      break;
    }
    const double window_s = calibration().to_ns(window.end_ticks - window.begin_ticks) / 1e9;
    state.SetIterationTime(window_s);
    const auto per_event = [measured](std::uint64_t ns) {
      return static_cast<double>(ns) / static_cast<double>(measured);
    };
    report(state, percentiles_ns(latency));
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
    state.counters["received"] = static_cast<double>(lcnt.events);
    state.counters["applied"] = static_cast<double>(account.counters().events);
    state.counters["net_cpu_ns_per_event"] = per_event(window.net_cpu_ns);
    state.counters["strategy_cpu_ns_per_event"] = per_event(window.strategy_cpu_ns);
    state.counters["sim_cpu_ns_per_event"] = per_event(window.sim_cpu_ns);
    state.counters["hot_allocs"] = static_cast<double>(window.net_allocs + window.strategy_allocs);
    state.counters["allocs_per_write"] =
        writes == 0 ? 0.0
                    : static_cast<double>(window.net_allocs + window.strategy_allocs) /
                          static_cast<double>(writes);
    state.counters["cold_allocs"] = static_cast<double>(window.cold_allocs);
    state.counters["cold_polls"] = static_cast<double>(window.cold_polls);
    state.counters["events_per_write"] =
        writes == 0 ? 0.0 : static_cast<double>(measured) / static_cast<double>(writes);
    state.counters["frames"] = static_cast<double>(lcnt.frames);
    state.counters["decode_errors"] = static_cast<double>(lcnt.decode_errors);
    state.counters["reconnects"] = static_cast<double>(lcnt.connects - 1);
    state.counters["sim_events"] = static_cast<double>(sstats.events_generated);
    if (window.net_allocs + window.strategy_allocs != 0) {
      std::fprintf(stderr, "%llu allocations on the hot threads (network %llu, strategy %llu)\n",
                   static_cast<unsigned long long>(window.net_allocs + window.strategy_allocs),
                   static_cast<unsigned long long>(window.net_allocs),
                   static_cast<unsigned long long>(window.strategy_allocs));
      hot_alloc::print_stacks(stderr);
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(measured));
    benchmark::DoNotOptimize(strategy.checksum());
  }
}

void register_runs() {
  // {offered rate, measured events}: ~3 s of measurement each at the paced rates.
  const std::vector<std::vector<std::int64_t>> runs = {
      {10'000, 30'000}, {100'000, 300'000}, {0, 500'000}};
  for (const bool tls : {false, true}) {
    auto* b = benchmark::RegisterBenchmark(tls ? "e2e/wss" : "e2e/ws",
                                           [tls](benchmark::State& s) { e2e(s, tls); });
    b->ArgNames({"rate", "events"})->Iterations(1)->UseManualTime()->Unit(benchmark::kMillisecond);
    for (const auto& r : runs)
      b->Args(r);
  }
}

}  // namespace
}  // namespace fillwire::bench

int main(int argc, char** argv) {
  using namespace fillwire::bench;
  hot_alloc::prepare();
  calibration() = fillwire::TscCalibration::calibrate(std::chrono::milliseconds(50));
  register_runs();
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::AddCustomContext("tsc_ns_per_tick", std::to_string(calibration().ns_per_tick()));
  benchmark::AddCustomContext("placement", "simulator CPU 0; network and strategy threads CPU 1");
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
