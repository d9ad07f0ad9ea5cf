// fillwire record: connects like `monitor` (same Engine facade, same flags and --config keys) and
// records the account's private stream into a journal: every raw frame with its receive time, the
// events each REST resync published (their exact bytes), connection notices and periodic
// summaries. It prints one plain progress line a second, and at the end where the journal is and
// how to replay it:
//     fillwire replay JOURNAL        (the same final state as the live run)

#include <fmt/core.h>

#include <chrono>
#include <memory>
#include <thread>
#include <utility>

#include "commands.hpp"
#include "fillwire/engine.hpp"
#include "live_view.hpp"
#include "run_config.hpp"

namespace fillwire::cli {
namespace {

using Clock = std::chrono::steady_clock;

int run_record(const RunSettings& s) {
  EngineConfig config = engine_config(s);  // the settings' mistakes first, then the keys
  Engine<NoStrategy, Blocking> engine(std::move(config), load_credentials(s));
  const auto start = Clock::now();
  start_engine(engine, "record");

  auto next_line = start + std::chrono::seconds(1);
  while (!stop_signalled()) {
    const auto now = Clock::now();
    if (s.duration_s > 0 && now - start >= std::chrono::duration<double>(s.duration_s)) break;
    if (now >= next_line) {
      const EngineCounters c = engine.counters();
      fmt::print(
          "{:6.1f} s  {}  events {}  frames {}  journaled {} ({} dropped)  connects {}  "
          "resyncs {}{}\n",
          std::chrono::duration<double>(now - start).count(),
          c.connected ? "connected   " : "disconnected", c.live.events, c.live.frames,
          c.journal.records, c.journal.dropped, c.live.connects, c.live.resyncs,
          c.publishing ? fmt::format("  NATS {} published, lag {} ({:.1f} s){}", c.nats.published,
                                     c.nats.lag_records, c.nats.lag_seconds,
                                     c.nats.connected ? "" : ", not connected")
                       : std::string());
      std::fflush(stdout);
      next_line += std::chrono::seconds(1);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  engine.stop();
  restore_stop_signals();

  const EngineCounters c = engine.counters();
  fmt::print(
      "recorded {} events ({} frames) in {}: {} records, {} bytes, {} not journaled, {} "
      "rotations\nreplay: fillwire replay {}\n",
      c.live.events, c.live.frames, s.journal_path, c.journal.records, c.journal.bytes,
      c.journal.dropped + c.journal.too_large, c.journal.rotations, s.journal_path);
  if (c.publishing) {
    fmt::print("NATS: {} records published in {} messages, {} not published{}\n", c.nats.published,
               c.nats.messages, c.nats.lag_records,
               c.nats.lag_records > 0 ? " (they stay in the journal: " + engine.nats_error() + ")"
                                      : std::string());
  }
  if (c.live.connects == 0) return never_connected(c, "record");
  return c.journal.write_errors == 0 ? kExitOk : kExitFailed;
}

}  // namespace

Command add_record_command(CLI::App& root) {
  return add_run_command(
      root, "record", "Record the private myOrder stream into a replayable journal (Ctrl-C ends)",
      "Needs --journal FILE (or [journal] path in --config). Keys as for monitor.\n"
      "Example: fillwire record --url wss://127.0.0.1:PORT/websocket/v1/private --ca-file sim.pem "
      "--journal run.fwj --duration 60\n"
      "Then:    fillwire replay run.fwj\n"
      "Gateway: add --nats nats://127.0.0.1:4222 --account desk-1 to publish the journal for "
      "followers (fillwire follow)",
      /*demo=*/false, [](const RunSettings& s) {
        if (s.journal_path.empty())
          throw UsageError(
              "record needs a journal to write: give --journal FILE (or [journal] path in the "
              "--config file)");
        return run_record(s);
      });
}

}  // namespace fillwire::cli
