#include "live_view.hpp"

#include <fmt/core.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <memory>
#include <thread>

#include "commands.hpp"

namespace fillwire::cli {
namespace {

std::atomic<int> g_signal{0};
static_assert(std::atomic<int>::is_always_lock_free, "Set from a signal handler: lock-free only.");

extern "C" void on_stop_signal(int sig) {
  g_signal.store(sig, std::memory_order_relaxed);  // relaxed: polled by the main loop
}

struct sigaction g_old_int {};
struct sigaction g_old_term {};

// "\x1b[K" after each line: the previous frame's longer lines leave no tail.
std::string in_place(const std::string& text) {
  std::string out = "\x1b[H";
  std::size_t start = 0;
  while (start < text.size()) {
    const std::size_t nl = text.find('\n', start);
    const std::size_t end = nl == std::string::npos ? text.size() : nl;
    out.append(text, start, end - start);
    out += "\x1b[K\n";
    start = end + 1;
  }
  out += "\x1b[J";
  return out;
}

}  // namespace

void install_stop_signals() {
  struct sigaction sa {};
  sa.sa_handler = on_stop_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;
  sigaction(SIGINT, &sa, &g_old_int);
  sigaction(SIGTERM, &sa, &g_old_term);
}

void restore_stop_signals() {
  sigaction(SIGINT, &g_old_int, nullptr);
  sigaction(SIGTERM, &g_old_term, nullptr);
}

bool stop_signalled() noexcept {
  return g_signal.load(std::memory_order_relaxed) != 0;
}

int stop_signal() noexcept {
  return g_signal.load(std::memory_order_relaxed);
}

double EventRate::update(const AccountSnapshot& s) {
  if (have_ && s.taken_ns > last_ns_) {
    const double dt = static_cast<double>(s.taken_ns - last_ns_) / 1e9;
    const double now = static_cast<double>(s.order_events - last_events_) / dt;
    rate_ = first_ ? now : rate_ + (now - rate_) * std::min(1.0, dt);
    first_ = false;
  }
  if (!have_ || s.taken_ns > last_ns_) {
    last_ns_ = s.taken_ns;
    last_events_ = s.order_events;
    have_ = true;
  }
  return rate_;
}

int never_connected(const EngineCounters& c, std::string_view command) {
  fmt::print(stderr,
             "fillwire {}: never connected ({} attempts, {} refused credentials): check the URL, "
             "the keys and --ca-file; --log FILE keeps the connection notices\n",
             command, c.live.attempts, c.live.auth_failures);
  return kExitFailed;
}

bool stdout_is_terminal() noexcept {
  return ::isatty(STDOUT_FILENO) == 1;
}

LoopEnd run_loop(const ViewLoop& loop, const RenderFn& render) {
  using clock = std::chrono::steady_clock;
  const bool tty = stdout_is_terminal();
  const auto start = clock::now();
  auto next_plain = start + std::chrono::milliseconds(loop.plain_every_ms);
  if (tty) fmt::print("\x1b[?25l\x1b[2J");  // hide the cursor, clear once
  LoopEnd end = LoopEnd::duration;
  for (;;) {
    std::this_thread::sleep_for(std::chrono::milliseconds(loop.refresh_ms));
    const auto now = clock::now();
    const double elapsed = std::chrono::duration<double>(now - start).count();
    if (stop_signalled()) {
      end = LoopEnd::signal;
      break;
    }
    if (tty) {
      std::string text = loop.title;
      if (loop.status) text += '\n' + loop.status();
      text += '\n' + render(elapsed, true);
      fmt::print("{}", in_place(text));
      std::fflush(stdout);
    } else if (now >= next_plain) {
      next_plain = now + std::chrono::milliseconds(loop.plain_every_ms);
      const std::string lines = render(elapsed, false);
      std::size_t at = 0;
      while (at < lines.size()) {
        const std::size_t nl = std::min(lines.find('\n', at), lines.size());
        fmt::print("[{:6.1f} s] {}\n", elapsed, std::string_view(lines).substr(at, nl - at));
        at = nl + 1;
      }
      std::fflush(stdout);
    }
    if (loop.finished && loop.finished()) {
      end = LoopEnd::finished;
      break;
    }
    if (loop.duration_s > 0 && elapsed >= loop.duration_s) {
      end = LoopEnd::duration;
      break;
    }
  }
  if (tty) fmt::print("\x1b[?25h\n");  // cursor back
  return end;
}

LoopEnd run_view(const ViewSource& source, const ViewLoop& loop) {
  auto snap = std::make_unique<AccountSnapshot>();
  EventRate rate;
  return run_loop(loop, [&](double elapsed, bool panel) {
    const bool have = source.snapshot(*snap);
    const double per_s = have ? rate.update(*snap) : 0.0;
    const EngineCounters counters = source.counters();
    if (!have) {
      return counters.following
                 ? fmt::format("waiting for the first event ({}, {} messages taken)",
                               counters.connected ? "connected" : "not connected",
                               counters.follow.messages)
                 : fmt::format("waiting for the first event (connects {}, attempts {})",
                               counters.live.connects, counters.live.attempts);
    }
    if (!panel) return format_line(*snap, counters, per_s);
    ViewContext context;  // the title is run_loop's
    context.elapsed_s = elapsed;
    context.events_per_s = per_s;
    return format_view(*snap, counters, context);
  });
}

std::string final_view(const ViewSource& source, const std::string& title, double elapsed_s) {
  auto snap = std::make_unique<AccountSnapshot>();
  if (!source.snapshot(*snap)) return title + "\nno events were received\n";
  ViewContext context;
  context.title = title;
  context.elapsed_s = elapsed_s;
  context.events_per_s = elapsed_s > 0 ? static_cast<double>(snap->order_events) / elapsed_s : 0.0;
  context.max_open_orders = AccountSnapshot::kMaxOpenOrders;
  context.max_fills = AccountSnapshot::kMaxFills;
  return format_view(*snap, source.counters(), context);
}

}  // namespace fillwire::cli
