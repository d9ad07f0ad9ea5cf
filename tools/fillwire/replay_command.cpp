// fillwire replay FILE [--json] [--skip-damaged] [--max-frame-bytes N]: runs a file of frames
// through the full pipeline — decoded on the network thread straight into ring slots, applied to an
// AccountState on the strategy thread — then prints the account summary (positions, PnL, fees,
// open orders, execution quality, SMP, event counters) as a readable report or, with --json, as
// JSON (field names in account_summary.hpp). FILE is either one JSON frame per line or a fillwire
// journal (the raw frames of a live run and the exact events of its resyncs, so a replay
// reproduces its final state); it is read as it is replayed, in bounded memory. Frames that are not
// order events (status, server errors, malformed frames) and frames over the frame limit (refused,
// as the live client refuses them) are counted and reported, never fatal.
//
// Output: the readable report on stdout; with --json, one JSON line on stdout and nothing else:
// {"input": {the file's counts, decode errors by code}, the account (account_summary.hpp)}, or,
// when the replay stopped, {"error": "read_stopped", ...} (docs/CLI.md). Notices go to stderr.
// `fillwire decode --json` lists each rejected frame with its line and code.
//
// Exit status: 0 when the whole file was replayed and every frame accepted; 1 when a frame failed
// to decode, was over the limit or a damaged journal record was skipped (--allow-errors: 0 all
// the same), or when the replay stopped at a damaged journal record or at a resync event this
// build cannot take (another OrderEvent layout, a bad value; named on stderr by number and byte
// offset; no summary) or the file could not be read to its end; 2 when the file cannot be opened
// or is not a frame file.

#include <fmt/core.h>

#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>

#include "commands.hpp"
#include "fillwire/account_state.hpp"
#include "fillwire/account_summary.hpp"
#include "fillwire/decoder.hpp"
#include "fillwire/detail/frame_reader.hpp"
#include "fillwire/journal.hpp"
#include "fillwire/pipeline.hpp"
#include "fillwire/replay_source.hpp"
#include "fillwire/strategy.hpp"
#include "json_lines.hpp"

namespace fillwire::cli {
namespace {

struct ReplayOptions {
  std::string file;
  bool json = false;
  std::size_t open_orders = 4096;
  std::size_t completed_orders = 8192;
  std::size_t markets = 64;
  std::size_t max_frame_bytes = Decoder::kDefaultMaxFrame;  // LiveConfig::max_frame_bytes
  bool skip_damaged = false;
  bool allow_errors = false;
};

// The file's side of a replay: what was read and what was refused.
Json input_json(const FileReplaySource& source) {
  const ReplayCounters& c = source.counters();
  Json j{{"file_kind", source.reader().journal() ? "journal" : "lines"},
         {"frames", c.frames},
         {"events", c.events},
         {"failed_frames", c.failed_frames},
         {"oversized", c.oversized},
         {"damaged", c.damaged},
         {"errors", errors_by_code(source.decoder_stats())}};
  if (source.reader().journal()) j["resync_events"] = c.event_records;
  return j;
}

int run_replay(const ReplayOptions& opt) {
  const FrameReaderConfig read_config{opt.max_frame_bytes, opt.skip_damaged};
  const auto notice = [&](std::string_view text) {
    fmt::print(stderr, "fillwire replay: {}: {}\n", opt.file, text);
  };
  std::unique_ptr<FileReplaySource> source;
  try {
    source = std::make_unique<FileReplaySource>(opt.file, read_config, notice);
  } catch (const std::exception& e) {
    throw UsageError(e.what());
  }
  const FrameReader& reader = source->reader();
  if (reader.journal_version() == kJournalVersionV1) {
    fmt::print(stderr,
               "fillwire replay: {}: warning: journal version 1 carries no checksums: damage "
               "inside a record cannot be detected\n",
               opt.file);
  }

  AccountConfig config;
  config.open_orders = opt.open_orders;
  config.completed_orders = opt.completed_orders;
  config.markets = opt.markets;
  auto state = std::make_unique<AccountState>(config);
  NoStrategy none;  // the account alone: nobody is called
  StrategyConsumer consumer(*state, none);
  Pipeline<StrategyConsumer<NoStrategy>> pipeline(consumer, PipelineConfig{});
  pipeline.start(*source);
  pipeline.join();  // the source ends after the last frame; every published event is applied

  const ReplayCounters& c = source->counters();
  if (source->stopped()) {
    fmt::print(stderr, "fillwire replay: {}: {}\n", opt.file, source->error());
    fmt::print(stderr,
               "fillwire replay: {}: replay stopped after {} frames and {} resync events{}; no "
               "summary\n",
               opt.file, c.frames, c.event_records,
               reader.journal() && !opt.skip_damaged &&
                       (reader.journal_version() >= kJournalVersion || reader.refused_events() > 0)
                   ? " (--skip-damaged replays the records after it)"
                   : "");
    if (opt.json) {
      Json j{{"error", "read_stopped"}, {"message", source->error()}};
      j["input"] = input_json(*source);
      print_line(j);
    }
    return kExitFailed;
  }
  if (reader.journal_lost() > 0) {
    fmt::print(stderr,
               "fillwire replay: {}: warning: the journal says {} records could not be journaled "
               "while recording: the state may lack their events\n",
               opt.file, reader.journal_lost());
  }
  if (c.damaged > 0) {
    fmt::print(stderr, "fillwire replay: {}: {} damaged records skipped\n", opt.file, c.damaged);
  }
  if (c.oversized > 0) {
    fmt::print(stderr, "fillwire replay: {}: {} frames over the frame limit ({} bytes) refused\n",
               opt.file, c.oversized, opt.max_frame_bytes);
  }
  if (c.failed_frames > 0) {
    fmt::print(stderr,
               "fillwire replay: {}: {} of {} frames had decode errors (fillwire decode lists "
               "them)\n",
               opt.file, c.failed_frames, c.frames);
  }
  if (opt.json) {
    Json j{{"input", input_json(*source)}};
    j.update(Json::parse(summary_json(*state, -1)));
    print_line(j);
  } else {
    fmt::print(
        "Replayed {}{}: {} frames, {} events, {} failed frames, {} oversized, {} damaged{}\n\n",
        opt.file, reader.journal() ? " (journal)" : "", c.frames, c.events, c.failed_frames,
        c.oversized, c.damaged,
        reader.journal() ? fmt::format(", {} resync events", c.event_records) : std::string());
    fmt::print("{}", format_summary(*state));
  }
  const std::uint64_t rejected = c.failed_frames + c.oversized + c.damaged;
  if (rejected > 0 && !opt.allow_errors) {
    fmt::print(stderr,
               "fillwire replay: {}: {} frames or records not accepted; --allow-errors exits 0 "
               "all the same\n",
               opt.file, rejected);
    return kExitFailed;
  }
  return kExitOk;
}

}  // namespace

Command add_replay_command(CLI::App& root) {
  auto opt = std::make_shared<ReplayOptions>();
  CLI::App* cmd = root.add_subcommand("replay",
                                      "Apply a file of frames (one JSON per line, or a journal) to "
                                      "an account and print its summary");
  cmd->add_option("file", opt->file, "File of frames: one JSON message per line, or a journal")
      ->required();
  cmd->add_flag("--json", opt->json,
                "Print the summary as one JSON line (stable field names, docs/CLI.md)");
  cmd->add_flag("--allow-errors", opt->allow_errors,
                "Exit 0 even when frames or records were not accepted (the file replayed whole)");
  cmd->add_option("--open-orders", opt->open_orders, "Open-order capacity")->capture_default_str();
  cmd->add_option("--completed-orders", opt->completed_orders, "Completed orders kept for look-up")
      ->capture_default_str();
  cmd->add_option("--markets", opt->markets, "Market capacity")->capture_default_str();
  cmd->add_option("--max-frame-bytes", opt->max_frame_bytes,
                  "Frame size limit, as the live client's: a longer frame is counted as oversized")
      ->capture_default_str()
      ->check(CLI::Range(std::size_t{1}, std::size_t{64} << 20));
  cmd->add_flag("--skip-damaged", opt->skip_damaged,
                "Journals: skip damaged records (counted and reported) instead of stopping");
  cmd->footer(
      "Exit status: 0 every frame accepted; 1 a frame or record not accepted (see "
      "--allow-errors) or the replay stopped; 2 usage or the file cannot be read.");
  return {cmd, [opt] { return run_replay(*opt); }};
}

}  // namespace fillwire::cli
