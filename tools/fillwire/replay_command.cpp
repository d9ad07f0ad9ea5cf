// fillwire replay FILE [--json]: decodes a file of frames (one JSON per line) and applies each
// event to an AccountState, then prints the account summary (positions, PnL, fees, open orders,
// execution quality, SMP, event counters) as a readable report or, with --json, as JSON (field
// names in account_summary.hpp).
//
// For now the events are applied on this thread, straight after decoding; the threaded pipeline
// (decoder -> ring -> strategy thread) will take over this loop. Lines that are not order events
// (status, server errors, malformed frames) are counted and reported on stderr, never fatal.

#include <fmt/core.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <memory>
#include <string>

#include "commands.hpp"
#include "fillwire/account_state.hpp"
#include "fillwire/account_summary.hpp"
#include "fillwire/decoder.hpp"

namespace fillwire::cli {
namespace {

struct ReplayOptions {
  std::string file;
  bool json = false;
  std::size_t open_orders = 4096;
  std::size_t completed_orders = 8192;
  std::size_t markets = 64;
};

// Applies each decoded event as soon as the decoder publishes it (list frames carry several).
struct ApplySink {
  AccountState* state;
  std::uint64_t seq = 0;
  OrderEvent slot;
  OrderEvent& claim() noexcept { return slot; }
  void publish() noexcept {
    slot.seq = ++seq;
    slot.origin = EventOrigin::replay;
    state->apply(slot);
  }
};

int run_replay(const ReplayOptions& opt) {
  std::ifstream in(opt.file, std::ios::binary);
  if (!in) {
    fmt::print(stderr, "fillwire replay: cannot open '{}': {}\n", opt.file, std::strerror(errno));
    return 2;
  }
  AccountConfig config;
  config.open_orders = opt.open_orders;
  config.completed_orders = opt.completed_orders;
  config.markets = opt.markets;
  auto state = std::make_unique<AccountState>(config);
  Decoder decoder;
  auto sink = std::make_unique<ApplySink>();
  sink->state = state.get();

  std::string line;
  std::string buffer;
  std::size_t lines = 0;
  while (std::getline(in, line)) {
    ++lines;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    // The decoder parses in place and reads up to kFramePadding bytes past the frame.
    buffer.assign(line);
    buffer.resize(line.size() + kFramePadding, '\0');
    const FrameResult r = decoder.decode(buffer.data(), line.size(), EventSink{*sink});
    if (r.error) {
      fmt::print(stderr, "fillwire replay: line {}: {}{}\n", lines, to_string(r.error.code),
                 r.error.field != Field::none
                     ? fmt::format(" (field '{}')", field_name(r.error.field))
                     : std::string{});
    }
  }
  if (in.bad()) {
    fmt::print(stderr, "fillwire replay: read error on '{}': {}\n", opt.file, std::strerror(errno));
    return 2;
  }
  if (opt.json) {
    fmt::print("{}\n", summary_json(*state));
  } else {
    const DecoderStats& s = decoder.stats();
    fmt::print("Replayed {}: {} lines, {} frames, {} events, {} failed frames\n\n", opt.file, lines,
               s.frames, s.events, s.failed_frames);
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
