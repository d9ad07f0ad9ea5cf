// fillwire decode FILE: decodes a file of frames (one JSON per line) and prints each event, each
// error with its line number and reason, and the counts. Exit status is non-zero only when the file
// cannot be read: bad frames are reported, not fatal.

#include <fmt/core.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <memory>
#include <string>

#include "commands.hpp"
#include "fillwire/decoder.hpp"
#include "fillwire/encoder.hpp"

namespace fillwire::cli {
namespace {

struct DecodeOptions {
  std::string file;
  bool json = false;
  bool simple = false;
};

std::string describe(const OrderEvent& e) {
  std::string s =
      fmt::format("{:<9} {} {:<6} {:<9} {} price={} vol={} exec={}/{} funds={} fee={} tc={}",
                  e.code.view(), to_string(e.ask_bid), to_string(e.order_type), to_string(e.state),
                  e.uuid.to_string(), e.price, e.volume, e.executed_volume, e.remaining_volume,
                  e.executed_funds, e.paid_fee, e.trades_count);
  if (e.has(Field::trade_fee)) s += fmt::format(" trade_fee={}", e.trade_fee);
  if (e.has(Field::is_maker)) s += e.is_maker ? " maker" : " taker";
  if (e.has(Field::time_in_force)) s += fmt::format(" tif={}", to_string(e.time_in_force));
  if (e.has(Field::smp_type)) {
    s += fmt::format(" smp={} prevented={}/{}", to_string(e.smp_type), e.prevented_volume,
                     e.prevented_locked);
  }
  if (e.has(Field::identifier)) {
    s += fmt::format(" id={}", e.identifier.view());
    if (e.identifier.cut()) s += fmt::format("...(cut, fnv1a64 {:016x})", e.identifier.hash());
  }
  s += fmt::format(" ts={}", e.timestamp);
  return s;
}

// Collects the events of one frame (a list frame may carry several).
struct PrintSink {
  const DecodeOptions* opt;
  std::size_t line;
  OrderEvent slot;
  OrderEvent& claim() noexcept { return slot; }
  void publish() noexcept {
    try {
      if (opt->json) {
        fmt::print("{}\n", encode(slot, opt->simple ? WireFormat::simple : WireFormat::full));
      } else {
        fmt::print("{:>6}: {}\n", line, describe(slot));
      }
    } catch (...) {
      // Printing is best effort; the decode result is still counted.
    }
  }
};

int run_decode(const DecodeOptions& opt) {
  std::ifstream in(opt.file, std::ios::binary);
  if (!in) {
    fmt::print(stderr, "fillwire decode: cannot open '{}': {}\n", opt.file, std::strerror(errno));
    return 2;
  }
  Decoder decoder;
  auto sink = std::make_unique<PrintSink>();
  sink->opt = &opt;
  std::string line;
  std::string buffer;
  std::size_t lines = 0;
  std::size_t blank = 0;
  while (std::getline(in, line)) {
    ++lines;
    if (line.find_first_not_of(" \t\r") == std::string::npos) {
      ++blank;
      continue;
    }
    // The decoder parses in place and reads up to kFramePadding bytes past the frame.
    buffer.assign(line);
    buffer.resize(line.size() + kFramePadding, '\0');
    sink->line = lines;
    const FrameResult r = decoder.decode(buffer.data(), line.size(), EventSink{*sink});
    if (r.kind == FrameKind::status && !r.error) {
      fmt::print("{:>6}: status {}\n", lines, r.status.view());
    } else if (r.kind == FrameKind::error && !r.error) {
      fmt::print("{:>6}: server error {}: {}{}\n", lines, r.server_error.name.view(),
                 r.server_error.message.view(), r.server_error.truncated ? "..." : "");
    }
    if (r.error) {
      std::string where;
      if (r.error.field != Field::none)
        where = fmt::format(" (field '{}')", field_name(r.error.field));
      if (r.rejected > 0 && r.events > 0)
        where += fmt::format(" (list element {})", r.error.element);
      fmt::print("{:>6}: error: {}{}\n", lines, to_string(r.error.code), where);
    }
  }
  if (in.bad()) {
    fmt::print(stderr, "fillwire decode: read error on '{}': {}\n", opt.file, std::strerror(errno));
    return 2;
  }
  const DecoderStats& s = decoder.stats();
  fmt::print(
      "{} lines: {} frames, {} events, {} status, {} server errors, {} failed, {} unknown keys\n",
      lines, s.frames, s.events, s.status_frames, s.error_frames, s.failed_frames, s.unknown_keys);
  return 0;
}

}  // namespace

Command add_decode_command(CLI::App& root) {
  auto opt = std::make_shared<DecodeOptions>();
  CLI::App* cmd = root.add_subcommand("decode", "Decode a file of frames (one JSON per line)");
  cmd->add_option("file", opt->file, "File of frames, one JSON message per line")->required();
  cmd->add_flag("--json", opt->json, "Print each event as JSON instead of a readable line");
  cmd->add_flag("--simple", opt->simple, "With --json: use the SIMPLE (abbreviated) field names");
  return {cmd, [opt] { return run_decode(*opt); }};
}

}  // namespace fillwire::cli
