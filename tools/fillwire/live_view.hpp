#pragma once
// The live terminal view shared by `fillwire monitor` and `fillwire demo`, and their Ctrl-C.
//
// On a terminal the panel (snapshot_view.hpp) is redrawn in place a few times per second with ANSI
// escape sequences: cursor home, each line followed by "erase to end of line", then "erase below".
// ANSI rather than ncurses: the view only writes (no keys, no windows), every terminal in use
// understands these three sequences, and the output stays ordinary text, so the final summary
// printed after the loop remains in the scrollback (ncurses' endwin() would restore the screen and
// hide the last view). Without a terminal (a pipe, a file, CI) it prints one plain line per period.
//
// Thread contract: main thread only; the engine's snapshot() and counters() are safe from it.

#include <fmt/core.h>

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "fillwire/engine.hpp"
#include "fillwire/snapshot_view.hpp"

namespace fillwire::cli {

// SIGINT and SIGTERM set a flag (and do nothing else) until restore_stop_signals().
void install_stop_signals();
void restore_stop_signals();
[[nodiscard]] bool stop_signalled() noexcept;
[[nodiscard]] int stop_signal() noexcept;  // the signal that arrived, 0 if none

struct ViewLoop {
  std::string title;
  double duration_s = 0;  // 0: no limit
  int refresh_ms = 250;
  int plain_every_ms = 2000;            // without a terminal: one line this often
  std::function<bool()> finished;       // optional: ends the loop early when true
  std::function<std::string()> status;  // optional: an extra line under the title
};

enum class LoopEnd { duration, finished, signal };

// Events per second over the last second or so, from consecutive snapshots.
class EventRate {
 public:
  double update(const AccountSnapshot& s);

 private:
  bool have_ = false;
  bool first_ = true;
  std::uint64_t last_ns_ = 0;
  std::uint64_t last_events_ = 0;
  double rate_ = 0;
};

struct ViewSource {
  std::function<bool(AccountSnapshot&)> snapshot;
  std::function<EngineCounters()> counters;
};

// An engine's snapshots and counters as a ViewSource (the engine must outlive it).
template <class E>
[[nodiscard]] ViewSource view_of(E& engine) {
  return ViewSource{[&engine](AccountSnapshot& out) { return engine.snapshot(out); },
                    [&engine] { return engine.counters(); }};
}

// Runs until the duration passes, `finished` says so, or a stop signal arrives.
LoopEnd run_view(const ViewSource& source, const ViewLoop& loop);

// The loop under run_view, for any panel: on a terminal the text render(elapsed, true) returns is
// redrawn in place every refresh_ms (the title and status above it); otherwise each line of
// render(elapsed, false) is printed after "[elapsed s]" every plain_every_ms.
using RenderFn = std::function<std::string(double elapsed_s, bool panel)>;
LoopEnd run_loop(const ViewLoop& loop, const RenderFn& render);

// The final panel (no escapes), for after the loop.
[[nodiscard]] std::string final_view(const ViewSource& source, const std::string& title,
                                     double elapsed_s);

// Installs the stop signals (Ctrl-C ends the run from here on), starts `engine` and prints its
// start-up warnings on stderr as "fillwire COMMAND: warning: ...".
template <class E>
void start_engine(E& engine, std::string_view command) {
  install_stop_signals();
  engine.start();
  for (const std::string& w : engine.warnings())
    fmt::print(stderr, "fillwire {}: warning: {}\n", command, w);
}

// A run that never connected: says on stderr what to check. Returns the exit status (1).
int never_connected(const EngineCounters& c, std::string_view command);

// True when standard output is a terminal.
[[nodiscard]] bool stdout_is_terminal() noexcept;

}  // namespace fillwire::cli
