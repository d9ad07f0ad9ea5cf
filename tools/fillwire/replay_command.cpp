// fillwire replay FILE [--json]: runs a file of frames through the full pipeline — decoded on the
// network thread straight into ring slots, applied to an AccountState on the strategy thread —
// then prints the account summary (positions, PnL, fees, open orders, execution quality, SMP,
// event counters) as a readable report or, with --json, as JSON (field names in
// account_summary.hpp). FILE is either one JSON frame per line or a fillwire journal (the raw
// frames of a live run, so a replay reproduces its final state). Lines that are not order events
// (status, server errors, malformed frames) are counted and reported, never fatal.

#include <fmt/core.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "commands.hpp"
#include "fillwire/account_state.hpp"
#include "fillwire/account_summary.hpp"
#include "fillwire/decoder.hpp"
#include "fillwire/journal.hpp"
#include "fillwire/pipeline.hpp"
#include "fillwire/replay_source.hpp"

namespace fillwire::cli {
namespace {

struct ReplayOptions {
  std::string file;
  bool json = false;
  std::size_t open_orders = 4096;
  std::size_t completed_orders = 8192;
  std::size_t markets = 64;
};

// A journal starts with its magic; anything else is read as one JSON frame per line.
bool is_journal(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  char magic[4] = {};
  in.read(magic, 4);
  return in.gcount() == 4 && std::memcmp(magic, kJournalMagic, 4) == 0;
}

std::vector<std::string> journal_frames(const std::string& path) {
  JournalReader reader(path);
  std::vector<std::string> frames;
  JournalRecordHeader h{};
  std::string payload;
  while (reader.next(h, payload)) {
    if (h.kind == JournalKind::frame || h.kind == JournalKind::resync) frames.push_back(payload);
  }
  if (!reader.error().empty()) {
    fmt::print(stderr, "fillwire replay: {}: {} (replaying the {} records before it)\n", path,
               reader.error(), reader.records());
  }
  return frames;
}

int run_replay(const ReplayOptions& opt) {
  {
    std::ifstream probe(opt.file, std::ios::binary);
    if (!probe) {
      fmt::print(stderr, "fillwire replay: cannot open '{}': {}\n", opt.file, std::strerror(errno));
      return 2;
    }
  }
  const bool journal = is_journal(opt.file);
  const std::vector<std::string> frames =
      journal ? journal_frames(opt.file) : read_frame_lines(opt.file);

  AccountConfig config;
  config.open_orders = opt.open_orders;
  config.completed_orders = opt.completed_orders;
  config.markets = opt.markets;
  auto state = std::make_unique<AccountState>(config);
  ReplaySource source(frames);
  Pipeline<AccountState> pipeline(*state, PipelineConfig{});
  pipeline.start(source);
  pipeline.join();  // the source ends after the last frame; every published event is applied

  const ReplayCounters& c = source.counters();
  if (c.failed_frames > 0) {
    fmt::print(stderr, "fillwire replay: {} of {} frames had decode errors (see fillwire decode)\n",
               c.failed_frames, c.frames);
  }
  if (opt.json) {
    fmt::print("{}\n", summary_json(*state));
  } else {
    fmt::print("Replayed {}{}: {} frames, {} events, {} failed frames\n\n", opt.file,
               journal ? " (journal)" : "", c.frames, c.events, c.failed_frames);
    fmt::print("{}", format_summary(*state));
  }
  return 0;
}

}  // namespace

Command add_replay_command(CLI::App& root) {
  auto opt = std::make_shared<ReplayOptions>();
  CLI::App* cmd = root.add_subcommand(
      "replay", "Apply a file of frames (one JSON per line) to an account and print its summary");
  cmd->add_option("file", opt->file, "File of frames, one JSON message per line")->required();
  cmd->add_flag("--json", opt->json, "Print the summary as JSON (stable field names)");
  cmd->add_option("--open-orders", opt->open_orders, "Open-order capacity")->capture_default_str();
  cmd->add_option("--completed-orders", opt->completed_orders, "Completed orders kept for look-up")
      ->capture_default_str();
  cmd->add_option("--markets", opt->markets, "Market capacity")->capture_default_str();
  return {cmd, [opt] { return run_replay(*opt); }};
}

}  // namespace fillwire::cli
