// fillwire-soak: the client half of the soak test (tools/soak runs both halves). It connects
// through the Engine facade, over ws:// or wss://, to an upbit-sim running as another process
// (so that what it measures of itself is the client's alone), applies the whole order flow the
// simulator sends with its faults on, and checks, once a second and at the end:
//
//   events     applied by the strategy thread, events/s, reconnects, resyncs, decode errors,
//              duplicates and stale events the account recognised
//   memory     resident set size (/proc/self/statm): its growth from warm-up to the end of the
//              run must stay within --rss-growth-mib. A leak grows to the end; the peak while a
//              resync holds its REST bodies and tables (freed and trimmed after it) is a working
//              set, shown but not judged: with one sample a second it is caught or missed at
//              random. Warm-up ends once --warmup-share of the events were applied and
//              the cold path has been through one reconnect and resync (its REST buffers and the
//              resync's tables at their working size), or at twice those events without one.
//   resources  open file descriptors (/proc/self/fd) and threads (/proc/self/task): bounded while
//              running, back to the figures before the engine existed once it is destroyed
//   allocations on the hot path, after warm-up (bench/hot_alloc.cpp replaces malloc in this
//              executable): every allocation of the strategy thread (apply, strategy, snapshot
//              fills), and of the network thread in the polls that read frames on a connection
//              that stayed up; polls that connected, disconnected or resynchronised (REST) are
//              cold by design and counted apart, as is the keep-alive (its timer and pings). Over
//              ws:// the hot count must be 0. Over wss:// OpenSSL 3 allocates once per TLS
//              record inside SSL_read (see bench/e2e_bench.cpp): reported, not failed.
//   truth      at the end, the simulator's ground truth (GET /sim/truth on the same port)
//              against the account: every order the truth holds (the open ones and the last
//              --keep-closed closed ones of upbit-sim), and per market the position, volumes,
//              notional, fees and realized PnL gross and net (sim::differences).
//
// The flow is finished when the simulator has generated --events events (its /sim/truth
// summary says so) and the client is connected and has had nothing to do for a second (no event,
// no REST request of a resync, no connect).
// Prints `soak verdict: PASS` (exit 0) or `soak verdict: FAIL` with the reasons (exit 1).
// Keys come from UPBIT_ACCESS_KEY / UPBIT_SECRET_KEY and are never printed.

#include <dirent.h>
#include <fmt/core.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "fillwire/auth.hpp"
#include "fillwire/detail/engine_test_access.hpp"
#include "fillwire/engine.hpp"
#include "fillwire/safe_text.hpp"
#include "http_get.hpp"
#include "net/url.hpp"
#include "verify.hpp"

#ifdef FILLWIRE_SOAK_COUNT_ALLOCATIONS
#include "hot_alloc.hpp"
#endif

namespace fillwire::soak {
namespace {

using Clock = std::chrono::steady_clock;

#ifdef FILLWIRE_SOAK_COUNT_ALLOCATIONS
constexpr bool kCounting = true;
std::size_t stacks_taken() noexcept {
  return bench::hot_alloc::stacks_taken();
}
void rewind_stacks(std::size_t n) noexcept {
  bench::hot_alloc::rewind_stacks(n);
}
void capture_next() noexcept {
  bench::hot_alloc::capture_next();
}
// The engine's keep-alive (a timer tick, a ping every ping_interval) is cold by design and
// allocates through Asio and Beast; its handlers' symbols name it.
bool keepalive_allocated() noexcept {
  return bench::hot_alloc::captured() && bench::hot_alloc::captured_stack_has("keepalive");
}
void mark_thread() noexcept {
  bench::hot_alloc::mark_this_thread();
}
std::uint64_t thread_allocations() noexcept {
  return bench::hot_alloc::thread_count();
}
void arm_counting(bool on) noexcept {
  bench::hot_alloc::arm(on);
}
#else
// Sanitizer builds keep their own allocator: no counting there.
constexpr bool kCounting = false;
void mark_thread() noexcept {}
std::uint64_t thread_allocations() noexcept {
  return 0;
}
void arm_counting(bool) noexcept {}
std::size_t stacks_taken() noexcept {
  return 0;
}
void rewind_stacks(std::size_t) noexcept {}
void capture_next() noexcept {}
bool keepalive_allocated() noexcept {
  return false;
}
#endif

struct Settings {
  std::string url;
  std::string ca_file;
  std::uint64_t events = 1'000'000;
  double warmup_share = 0.1;
  double rss_growth_mib = 8;
  int extra_fds = 16;
  int ping_ms = 250;
  std::size_t rest_per_second = 100000;
  std::size_t completed_orders = std::size_t{1} << 18;
  std::string samples_path;
  std::string log_path;
  double timeout_s = 3600;
};

// ---- /proc figures of this process (cold) ------------------------------------------------------

long rss_kib() {
  std::ifstream in("/proc/self/statm");
  long pages = 0, resident = 0;
  in >> pages >> resident;
  return resident * (sysconf(_SC_PAGESIZE) / 1024);
}

int entries(const char* dir) {
  DIR* d = opendir(dir);
  if (d == nullptr) return -1;
  int n = 0;
  while (const dirent* e = readdir(d)) {
    if (e->d_name[0] != '.') ++n;
  }
  closedir(d);
  return n - (dir == std::string_view("/proc/self/fd") ? 1 : 0);  // the directory's own fd
}

int open_fds() {
  return entries("/proc/self/fd");
}
int threads() {
  return entries("/proc/self/task");
}

// ---- the simulator's ground truth over plain HTTP (same port; TLS is optional there) -----------

// The truth asks for the simulator's JWT, as REST does (with the query's hash). The whole exchange
// is bounded by a deadline: a long run's truth is hundreds of MB.
std::string http_get(const Url& where, const std::string& target, const Credentials& creds) {
  const auto q = target.find('?');
  const std::string_view query =
      q == std::string::npos ? std::string_view{} : std::string_view(target).substr(q + 1);
  sim::HttpGet get;
  get.host = where.host;
  get.port = where.port;
  get.target = target;
  get.host_header = where.host_header();
  get.authorization = "Bearer " + make_token(creds, query);
  get.timeout = std::chrono::seconds(120);
  get.body_limit = std::uint64_t{1} << 31;
  auto res = sim::http_get(get);
  if (res.result_int() != 200)
    throw std::runtime_error(fmt::format("GET {} answered HTTP {}", target, res.result_int()));
  return std::move(res.body());
}

std::uint64_t events_generated(const Url& where, const Credentials& creds) {
  return nlohmann::json::parse(http_get(where, "/sim/truth?orders=false", creds))
      .at("events")
      .get<std::uint64_t>();
}

// ---- hot threads --------------------------------------------------------------------------------

// Published by the hot threads (relaxed: figures read once a second; the final ones after stop()
// joined the threads).
struct Tally {
  std::atomic<std::uint64_t> strategy_events{0};
  std::atomic<std::uint64_t> strategy_allocs{0};
  std::atomic<std::uint64_t> net_hot_allocs{0};
  std::atomic<std::uint64_t> net_cold_allocs{0};
  std::atomic<std::uint64_t> net_idle_allocs{0};
  std::atomic<std::uint64_t> hot_polls{0};
};

// The strategy: counts what it is given and this thread's allocations. No allocation itself.
struct SoakStrategy {
  Tally* tally = nullptr;
  bool marked = false;
  std::uint64_t events = 0;
  std::uint64_t allocs = 0;

  void on_order(const OrderEvent&, const AccountState&) noexcept { step(); }
  void on_control(const OrderEvent&, const AccountState&) noexcept { step(); }

  void step() noexcept {
    if (!marked) {
      mark_thread();
      marked = true;
    }
    tally->strategy_events.store(++events, std::memory_order_relaxed);  // relaxed: see Tally
    const std::uint64_t a = thread_allocations();
    if (a != allocs) {
      allocs = a;
      tally->strategy_allocs.store(a, std::memory_order_relaxed);  // relaxed: see Tally
    }
  }
};

// The network thread's poll, measured: each poll's allocations go to hot (frames read on a
// connection that stayed up, nothing cold happened), cold (connect, disconnect, a resync under
// way or ended inside the poll, or the connection down) or keep-alive (no frame read, or the
// poll's first allocation came from the keep-alive timer's handler: one poll may read frames and
// run the timer). Only the first allocation of a poll is looked at: a read-path allocation in a
// poll that also pinged would be missed, one in any other poll is counted.
class NetworkProbe {
 public:
  NetworkProbe(LiveSource& live, Tally& tally) : live_(&live), tally_(&tally) {}

  template <class Ring>
  SourceStatus poll(Ring& ring) noexcept {
    if (!marked_) {
      mark_thread();
      marked_ = true;
    }
    const std::uint64_t before = thread_allocations();
    const std::size_t stacks = stacks_taken();
    capture_next();
    const bool was_up = live_->connected();
    const bool was_resyncing = live_->resyncing();
    const LiveCounters c0 = live_->counters();
    const SourceStatus status = live_->poll(ring);
    const std::uint64_t added = thread_allocations() - before;
    if (added == 0) return status;
    const LiveCounters c1 = live_->counters();
    // relaxed (all three): see Tally.
    if (!was_up || !live_->connected() || was_resyncing || live_->resyncing() ||
        cold_marker(c0) != cold_marker(c1)) {
      tally_->net_cold_allocs.fetch_add(added, std::memory_order_relaxed);
      rewind_stacks(stacks);
    } else if (c1.frames == c0.frames || keepalive_allocated()) {
      tally_->net_idle_allocs.fetch_add(added, std::memory_order_relaxed);
      rewind_stacks(stacks);
    } else {
      tally_->net_hot_allocs.fetch_add(added, std::memory_order_relaxed);
    }
    return status;
  }

 private:
  static std::uint64_t cold_marker(const LiveCounters& c) noexcept {
    return c.attempts + c.connects + c.disconnects + c.resyncs + c.resync_failures +
           c.auth_failures + c.oversized;
  }

  LiveSource* live_;
  Tally* tally_;
  bool marked_ = false;
};

std::atomic<int> g_signal{0};
extern "C" void on_signal(int s) {
  g_signal.store(s, std::memory_order_relaxed);  // relaxed: a flag polled by the main loop
}

double mib(long kib) {
  return static_cast<double>(kib) / 1024.0;
}

int run(const Settings& s) {
  const Url sim = parse_url(s.url);
  const bool tls = sim.tls;
  const int base_fds = open_fds();
  const int base_threads = threads();
  const long base_rss = rss_kib();

  EngineConfig config;
  config.live.url = s.url;
  config.live.ca_file = s.ca_file;
  config.live.blocking = true;
  config.live.backoff_initial = std::chrono::milliseconds(50);
  config.live.backoff_max = std::chrono::milliseconds(500);
  // Above 1,000 events a second upbit-sim's stamps run ahead of real time (1 ms a step, strictly
  // increasing): its clock is trusted here, so the resync steers by it, and the closed-orders
  // window after a reconnect only has to reach back over the gap itself: 200 ms of its clock
  // are 200 steps.
  config.live.clock_skew_max = std::chrono::hours(24);
  config.live.closed_margin = std::chrono::milliseconds(200);
  // Stalls must be noticed in well under a second: a ping every interval, its pong due within one.
  config.live.ping_interval = std::chrono::milliseconds(s.ping_ms);
  config.live.pong_timeout = std::chrono::milliseconds(s.ping_ms);
  // upbit-sim runs with --no-rest-rate-limit: a resync after a disconnect at full speed fetches
  // the trades of hundreds of orders, which Upbit's 30 requests/s would stretch over many seconds.
  config.live.rest_per_second = s.rest_per_second;
  // The frames held while a resync runs: sized for the soak's highest rate (20,000 events/s over
  // wss:// is about 8.5 MB/s of frames), where a resync after a stall fetches the trades of
  // thousands of orders, one request each, and takes seconds: 64 MiB hold about 7 s of them.
  // The default, 8 MiB, is about a second at that rate.
  config.live.resync_hold_bytes = 64u << 20;
  config.account.completed_orders = s.completed_orders;
  config.log_path = s.log_path;

  Tally tally;
  const Credentials creds = credentials_from_env();
  auto engine =
      std::make_unique<Engine<SoakStrategy, Blocking>>(config, creds, std::in_place, &tally);
  NetworkProbe probe(detail::EngineTestAccess::live_source(*engine), tally);

  std::FILE* samples = nullptr;
  if (!s.samples_path.empty()) {
    samples = std::fopen(s.samples_path.c_str(), "w");
    if (samples == nullptr) throw std::runtime_error("cannot write " + s.samples_path);
    std::fprintf(samples,
                 "seconds,events,events_per_s,sim_events,rss_kib,fds,threads,hot_allocs,"
                 "strategy_allocs,net_hot_allocs,net_cold_allocs,net_idle_allocs,connects,"
                 "disconnects,resyncs,resync_failures,decode_errors,connected\n");
  }

  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  fmt::print("fillwire-soak: {} events from {} ({}), hot-path allocation counting {}\n", s.events,
             s.url, tls ? "wss" : "ws", kCounting ? "on" : "off (sanitizer build)");
  fmt::print("before start: rss {:.1f} MiB, {} fds, {} threads\n", mib(base_rss), base_fds,
             base_threads);
  std::fflush(stdout);

  const auto start = Clock::now();
  detail::EngineTestAccess::start(*engine, probe);
  for (const std::string& w : engine->warnings())
    fmt::print(stderr, "fillwire-soak: warning: {}\n", w);

  const auto warmup_events = std::max<std::uint64_t>(
      1, static_cast<std::uint64_t>(s.warmup_share * static_cast<double>(s.events)));
  std::optional<double> warm_at;
  long warm_rss = 0, max_rss_after = 0;
  int warm_fds = 0, warm_threads = 0, max_fds = 0, max_threads = 0;
  std::uint64_t sim_events = 0, last_activity = 0, prev_events = 0;
  auto quiet_since = Clock::now();
  auto next_sample = start + std::chrono::seconds(1);
  double prev_t = 0;
  bool finished = false;
  std::string why_not;

  while (g_signal.load(std::memory_order_relaxed) == 0) {  // relaxed: see on_signal
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    const auto now = Clock::now();
    const double t = std::chrono::duration<double>(now - start).count();
    const EngineCounters c = engine->counters();
    const std::uint64_t applied = tally.strategy_events.load(std::memory_order_relaxed);
    // Activity: events applied, and REST requests and connects (a resync publishes its events
    // only at its end, so a long one would otherwise look quiet).
    const std::uint64_t activity = applied + c.live.rest_requests + c.live.connects;
    if (activity != last_activity) {
      last_activity = activity;
      quiet_since = now;
    }
    if (now >= next_sample) {
      next_sample += std::chrono::seconds(1);
      try {
        sim_events = events_generated(sim, creds);
      } catch (const std::exception& e) {
        fmt::print(stderr, "fillwire-soak: cannot read the simulator's progress: {}\n",
                   quote_server_text(e.what()));
      }
      const long rss = rss_kib();
      const int fds = open_fds();
      const int th = threads();
      const bool cold_path_warm = c.live.resyncs >= 2 || applied >= 2 * warmup_events;
      if (!warm_at && applied >= warmup_events && cold_path_warm) {
        warm_at = t;
        warm_rss = rss;
        warm_fds = fds;
        warm_threads = th;
        arm_counting(true);
        fmt::print(
            "warm-up done at {:.1f} s ({} events): rss {:.1f} MiB, {} fds, {} threads; "
            "allocation counting armed\n",
            t, applied, mib(rss), fds, th);
      }
      if (warm_at) {
        max_rss_after = std::max(max_rss_after, rss);
        max_fds = std::max(max_fds, fds);
        max_threads = std::max(max_threads, th);
      }
      const std::uint64_t strategy_allocs = tally.strategy_allocs.load(std::memory_order_relaxed);
      const std::uint64_t net_hot = tally.net_hot_allocs.load(std::memory_order_relaxed);
      const double rate = static_cast<double>(applied - prev_events) / std::max(t - prev_t, 1e-9);
      prev_events = applied;
      prev_t = t;
      fmt::print(
          "{:7.1f} s  events {:>10} ({:>7.0f}/s)  sim {:>10}  rss {:6.1f} MiB  fds {:3}  "
          "threads {:2}  hot allocs {} (net {}, strategy {})  cold {}  idle {}  connects {}  "
          "resyncs {}  decode errors {}\n",
          t, applied, rate, sim_events, mib(rss), fds, th, net_hot + strategy_allocs, net_hot,
          strategy_allocs, tally.net_cold_allocs.load(std::memory_order_relaxed),
          tally.net_idle_allocs.load(std::memory_order_relaxed), c.live.connects, c.live.resyncs,
          c.live.decode_errors);
      std::fflush(stdout);
      if (samples != nullptr) {
        std::fprintf(
            samples,
            "%.1f,%llu,%.0f,%llu,%ld,%d,%d,%llu,%llu,%llu,%llu,%llu,%llu,%llu,"
            "%llu,%llu,%llu,%d\n",
            t, static_cast<unsigned long long>(applied), rate,
            static_cast<unsigned long long>(sim_events), rss, fds, th,
            static_cast<unsigned long long>(net_hot + strategy_allocs),
            static_cast<unsigned long long>(strategy_allocs),
            static_cast<unsigned long long>(net_hot),
            static_cast<unsigned long long>(tally.net_cold_allocs.load(std::memory_order_relaxed)),
            static_cast<unsigned long long>(tally.net_idle_allocs.load(std::memory_order_relaxed)),
            static_cast<unsigned long long>(c.live.connects),
            static_cast<unsigned long long>(c.live.disconnects),
            static_cast<unsigned long long>(c.live.resyncs),
            static_cast<unsigned long long>(c.live.resync_failures),
            static_cast<unsigned long long>(c.live.decode_errors), c.connected ? 1 : 0);
        std::fflush(samples);
      }
    }
    // The current connection's resync has ended (its events and the frames held meanwhile are
    // published only then).
    const bool settled = c.live.resyncs + c.live.resync_failures >= c.live.connects;
    if (sim_events >= s.events && c.connected && settled &&
        now - quiet_since > std::chrono::seconds(1)) {
      finished = true;
      break;
    }
    if (t > s.timeout_s) {
      why_not = fmt::format("the flow did not finish within {:.0f} s", s.timeout_s);
      break;
    }
  }
  if (!finished && why_not.empty())
    why_not = fmt::format("interrupted by signal {}", g_signal.load(std::memory_order_relaxed));

  arm_counting(false);
  const long end_rss = rss_kib();
  const int end_fds = open_fds();
  const int end_threads = threads();
  const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  engine->stop();
  if (samples != nullptr) std::fclose(samples);

  const EngineCounters c = engine->counters();
  auto snap = std::make_unique<AccountSnapshot>();
  const bool have_snap = engine->snapshot(*snap);
  const std::uint64_t applied = tally.strategy_events.load(std::memory_order_relaxed);
  const std::uint64_t strategy_allocs = tally.strategy_allocs.load(std::memory_order_relaxed);
  const std::uint64_t net_hot = tally.net_hot_allocs.load(std::memory_order_relaxed);
  const std::uint64_t net_cold = tally.net_cold_allocs.load(std::memory_order_relaxed);
  const std::uint64_t net_idle = tally.net_idle_allocs.load(std::memory_order_relaxed);

  std::vector<std::string> failures;
  if (!finished) failures.push_back(why_not);

  fmt::print("\nfillwire-soak summary ({})\n", tls ? "wss://" : "ws://");
  fmt::print(
      "  events       {} applied by the strategy thread ({} from the stream and resyncs, "
      "{} by resync) in {:.1f} s: {:.0f} events/s; the simulator generated {}\n",
      applied, c.live.events, c.live.resync_events, elapsed, static_cast<double>(applied) / elapsed,
      sim_events);
  fmt::print(
      "  connection   {} connects, {} disconnects, {} attempts, {} resyncs ({} failed), "
      "{} REST requests ({} throttled), {} missed trades fetched\n",
      c.live.connects, c.live.disconnects, c.live.attempts, c.live.resyncs, c.live.resync_failures,
      c.live.rest_requests, c.live.rest_throttled, c.live.resync_trades);
  fmt::print("  faults seen  {} decode errors, {} oversized frames, {} server errors",
             c.live.decode_errors, c.live.oversized, c.live.server_errors);
  if (have_snap) {
    fmt::print(", {} duplicates, {} stale, {} gaps healed, {} completed orders evicted",
               snap->counters.duplicates, snap->counters.stale, snap->counters.gaps_healed,
               snap->counters.completed_evictions);
  }
  fmt::print("\n");

  // Memory: growth of the resident set from warm-up to the end (the peak is shown, not judged).
  if (warm_at) {
    const double growth = mib(end_rss - warm_rss);
    fmt::print(
        "  memory       rss {:.1f} MiB before start, {:.1f} MiB after warm-up ({:.1f} s), "
        "{:.1f} MiB at most afterwards, {:.1f} MiB at the end: growth {:.2f} MiB "
        "(bound {:.1f})\n",
        mib(base_rss), mib(warm_rss), *warm_at, mib(max_rss_after), mib(end_rss), growth,
        s.rss_growth_mib);
#ifdef FILLWIRE_SOAK_COUNT_ALLOCATIONS
    constexpr bool kMemoryJudged = true;
#else
    // Sanitizer build: freed memory waits in ASan's quarantine (up to 256 MiB), so the resident
    // set grows by design; reported, not judged.
    constexpr bool kMemoryJudged = false;
    fmt::print("  (sanitizer build: the memory bound is not applied)\n");
#endif
    if (kMemoryJudged && growth > s.rss_growth_mib)
      failures.push_back(
          fmt::format("rss grew {:.2f} MiB from warm-up to the end (bound {:.1f} MiB)", growth,
                      s.rss_growth_mib));
    if (max_fds > warm_fds + s.extra_fds)
      failures.push_back(fmt::format("open fds reached {} (after warm-up {}, bound +{})", max_fds,
                                     warm_fds, s.extra_fds));
    if (max_threads != warm_threads)
      failures.push_back(fmt::format("threads changed while running: {} after warm-up, up to {}",
                                     warm_threads, max_threads));
  } else {
    failures.push_back("warm-up never ended: no memory or allocation figures");
  }

  // Allocations.
  const std::uint64_t hot = strategy_allocs + net_hot;
  if (kCounting) {
    fmt::print(
        "  allocations  hot path after warm-up: {} (strategy thread {}, network thread "
        "reading frames {}); cold network polls (connect, resync, disconnect): {}; "
        "keep-alive (timer, pings): {}\n",
        hot, strategy_allocs, net_hot, net_cold, net_idle);
    if (strategy_allocs != 0)
      failures.push_back(fmt::format("{} allocations on the strategy thread", strategy_allocs));
    if (net_hot != 0 && !tls)
      failures.push_back(fmt::format("{} allocations in the network thread's read path", net_hot));
    if (net_hot != 0 && tls) {
      fmt::print(
          "  (wss://: OpenSSL 3 allocates inside SSL_read once per TLS record received; "
          "{:.4f} per event)\n",
          static_cast<double>(net_hot) / static_cast<double>(std::max<std::uint64_t>(1, applied)));
    }
#ifdef FILLWIRE_SOAK_COUNT_ALLOCATIONS
    // The first hot ones (cold and idle polls take theirs back): where they come from.
    if (hot != 0) (void)bench::hot_alloc::print_stacks(stdout);
#endif
  } else {
    fmt::print("  allocations  not counted in this build (sanitizers keep their own malloc)\n");
  }
  std::fflush(stdout);

  // Ground truth.
  std::string diff;
  std::string balance_notes;
  try {
    // Every fault is on, disconnects included: each resync's balance list races with the flow,
    // so drifts are not judged (the demo and live tests judge them). Balances are compared and
    // shown, not judged: at this rate two reports of one currency often share a millisecond,
    // and the simulator's reordering can deliver the older last, which no rule of the account
    // can tell apart yet (docs/RELIABILITY.md); orders and positions are judged.
    const std::string all =
        sim::differences(http_get(sim, "/sim/truth", creds), engine->account(), {.drifts = false});
    std::size_t at = 0;
    while (at < all.size()) {
      const std::size_t end = std::min(all.find('\n', at), all.size());
      const std::string_view line(all.data() + at, end - at);
      (line.starts_with("balances:") ? balance_notes : diff) += std::string(line) + "\n";
      at = end + 1;
    }
  } catch (const std::exception& e) {
    diff = "cannot read the ground truth: " + quote_server_text(e.what()) + "\n";
  }
  fmt::print("  truth        state equals exchange ground truth: {}\n{}",
             diff.empty() ? "yes (orders and positions)" : "no", diff);
  fmt::print("  balances     {}\n{}",
             balance_notes.empty() ? "equal the truth"
                                   : "differ (shown, not judged: same-millisecond reports)",
             balance_notes);
  if (!diff.empty()) failures.push_back("the state differs from the ground truth");

  // Resources once the engine is gone.
  engine.reset();
  const int after_fds = open_fds();
  const int after_threads = threads();
  fmt::print(
      "  resources    fds {} before start, {} after warm-up, {} at most, {} at the end, {} "
      "after the engine was destroyed; threads {} / {} / {} / {} / {}\n",
      base_fds, warm_fds, max_fds, end_fds, after_fds, base_threads, warm_threads, max_threads,
      end_threads, after_threads);
  if (after_fds != base_fds)
    failures.push_back(
        fmt::format("{} fds open after the engine was destroyed, {} before", after_fds, base_fds));
  if (after_threads != base_threads)
    failures.push_back(fmt::format("{} threads after the engine was destroyed, {} before",
                                   after_threads, base_threads));

  if (failures.empty()) {
    fmt::print("soak verdict: PASS\n");
    return 0;
  }
  fmt::print("soak verdict: FAIL\n");
  for (const std::string& f : failures)
    fmt::print("  - {}\n", f);
  return 1;
}

}  // namespace
}  // namespace fillwire::soak

int main(int argc, char** argv) {
#ifdef FILLWIRE_SOAK_COUNT_ALLOCATIONS
  fillwire::bench::hot_alloc::prepare();
#endif
  fillwire::soak::Settings s;
  CLI::App app{
      "fillwire-soak: the engine against a separate upbit-sim process with faults for a long run; "
      "memory, descriptors, threads, hot-path allocations and the ground-truth verdict "
      "(tools/soak starts both)"};
  app.add_option("--url", s.url, "upbit-sim's ws:// or wss:// private URL (with its port)")
      ->required();
  app.add_option("--ca-file", s.ca_file, "upbit-sim's certificate (for wss://)");
  app.add_option("--events", s.events, "events the simulator generates (its --total)")
      ->check(CLI::Range(std::uint64_t{1}, std::uint64_t{1} << 40));
  app.add_option("--warmup", s.warmup_share, "share of --events counted as warm-up (0.1)")
      ->check(CLI::Range(0.0, 0.9));
  app.add_option("--rss-growth-mib", s.rss_growth_mib,
                 "resident memory may grow at most this much after warm-up (8)")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--extra-fds", s.extra_fds,
                 "open descriptors may exceed the warm-up figure by this many at most (16)")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--ping-ms", s.ping_ms, "keep-alive ping interval; dead after two (250)")
      ->check(CLI::Range(10, 60000));
  app.add_option("--rest-per-second", s.rest_per_second,
                 "REST requests per second during a resync (100000: unpaced; upbit-sim "
                 "--no-rest-rate-limit)")
      ->check(CLI::Range(std::size_t{1}, std::size_t{1000000}));
  app.add_option("--completed-orders", s.completed_orders,
                 "completed orders the account keeps (must exceed upbit-sim's --keep-closed)");
  app.add_option("--samples", s.samples_path, "write the once-a-second samples as CSV to FILE");
  app.add_option("--log", s.log_path, "the engine's human log (connection notices, summaries)");
  app.add_option("--timeout", s.timeout_s, "give up after this many seconds (3600)")
      ->check(CLI::PositiveNumber);
  CLI11_PARSE(app, argc, argv);
  try {
    return fillwire::soak::run(s);
  } catch (const std::exception& e) {
    fmt::print(stderr, "fillwire-soak: error: {}\n", e.what());
    return 1;
  }
}
