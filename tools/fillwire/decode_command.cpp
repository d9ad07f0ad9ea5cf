// fillwire decode FILE: decodes a file of frames (one JSON per line, or a journal's frame and
// resync records) and prints each event, each error with its line (or record) number and reason,
// and the counts. A journal's resync_event records (the exact events of a resync) are printed as
// events too, marked as resync events: "resync" before the readable line, or, with --json, the
// event's JSON with "journal_record":"resync_event" (and a cut identifier's flag and hash) added.
// The file is read as a stream in bounded memory: a frame over the frame limit (the live client's,
// --max-frame-bytes) is one error with its length, never held. Exit status: 0 when the file was
// read to its end (bad frames are reported, not fatal); 1 when reading stopped early (a damaged
// journal record, or a resync event this build cannot take: see fillwire replay
// --skip-damaged; or a read error); 2 when the file cannot be opened or is not a frame file.
// Strings from the frames (codes, identifiers, status, server error texts) are printed escaped
// (safe_text.hpp): a frame cannot drive the terminal.

#include <fmt/core.h>

#include <exception>
#include <memory>
#include <string>
#include <string_view>

#include "commands.hpp"
#include "fillwire/decoder.hpp"
#include "fillwire/detail/frame_reader.hpp"
#include "fillwire/encoder.hpp"
#include "fillwire/safe_text.hpp"

namespace fillwire::cli {
namespace {

struct DecodeOptions {
  std::string file;
  bool json = false;
  bool simple = false;
  std::size_t max_frame_bytes = Decoder::kDefaultMaxFrame;  // LiveConfig::max_frame_bytes
};

std::string describe(const OrderEvent& e) {
  std::string s =
      fmt::format("{:<9} {} {:<6} {:<9} {} price={} vol={} exec={}/{} funds={} fee={} tc={}",
                  printable(e.code.view()), to_string(e.ask_bid), to_string(e.order_type),
                  to_string(e.state), e.uuid.to_string(), e.price, e.volume, e.executed_volume,
                  e.remaining_volume, e.executed_funds, e.paid_fee, e.trades_count);
  if (e.has(Field::trade_fee)) s += fmt::format(" trade_fee={}", e.trade_fee);
  if (e.has(Field::is_maker)) s += e.is_maker ? " maker" : " taker";
  if (e.has(Field::time_in_force)) s += fmt::format(" tif={}", to_string(e.time_in_force));
  if (e.has(Field::smp_type)) {
    s += fmt::format(" smp={} prevented={}/{}", to_string(e.smp_type), e.prevented_volume,
                     e.prevented_locked);
  }
  if (e.has(Field::identifier)) {
    s += fmt::format(" id={}", printable(e.identifier.view()));
    if (e.identifier.cut()) s += fmt::format("...(cut, fnv1a64 {:016x})", e.identifier.hash());
  }
  s += fmt::format(" ts={}", e.timestamp);
  return s;
}

// Collects the events of one frame (a list frame may carry several).
struct PrintSink {
  const DecodeOptions* opt;
  std::uint64_t line;
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

// A journaled resync event, printed as the command prints decoded ones and marked as a resync
// event. JSON: the event's object with keys the decoder does not know (skipped and counted by it)
// saying so, and, for a cut identifier (its JSON carries the part kept only), the cut flag and the
// hash of the whole.
void print_resync_event(const DecodeOptions& opt, std::uint64_t n, const OrderEvent& e) {
  if (!opt.json) {
    fmt::print("{:>6}: resync {}\n", n, describe(e));
    return;
  }
  std::string json = encode(e, opt.simple ? WireFormat::simple : WireFormat::full);
  std::string extra = ",\"journal_record\":\"resync_event\"";
  if (e.has(Field::identifier) && e.identifier.cut()) {
    extra += fmt::format(",\"identifier_cut\":true,\"identifier_hash\":\"{:016x}\"",
                         e.identifier.hash());
  }
  if (!json.empty() && json.back() == '}') json.insert(json.size() - 1, extra);
  fmt::print("{}\n", json);
}

int run_decode(const DecodeOptions& opt) {
  std::unique_ptr<FrameReader> reader;
  try {
    reader = std::make_unique<FrameReader>(opt.file, FrameReaderConfig{opt.max_frame_bytes, false});
  } catch (const std::exception& e) {
    fmt::print(stderr, "fillwire decode: {}\n", e.what());
    return 2;
  }
  Decoder decoder(opt.max_frame_bytes);
  auto sink = std::make_unique<PrintSink>();
  sink->opt = &opt;
  std::uint64_t items = 0;
  std::uint64_t oversized = 0;
  std::uint64_t resync_events = 0;
  for (FrameItem item = reader->next(); item.kind != FrameItemKind::end; item = reader->next()) {
    ++items;
    const std::uint64_t n = item.number;
    if (item.kind == FrameItemKind::oversized) {
      ++oversized;
      fmt::print("{:>6}: error: frame of {} bytes, over the frame limit ({} bytes)\n", n,
                 item.length, opt.max_frame_bytes);
      continue;
    }
    if (item.kind == FrameItemKind::event) {
      ++resync_events;
      try {
        print_resync_event(opt, n, *item.event);
      } catch (...) {
        // Printing is best effort, as for decoded events; the event is counted either way.
      }
      continue;
    }
    if (item.kind != FrameItemKind::frame) continue;  // blank line
    // The reader leaves kFramePadding readable bytes after the frame: decoded in place.
    sink->line = n;
    const FrameResult r = decoder.decode(item.data, item.size, EventSink{*sink});
    if (r.kind == FrameKind::status && !r.error) {
      fmt::print("{:>6}: status {}\n", n, printable(r.status.view()));
    } else if (r.kind == FrameKind::error && !r.error) {
      fmt::print("{:>6}: server error {}: {}{}\n", n, quote_server_text(r.server_error.name.view()),
                 quote_server_text(r.server_error.message.view()),
                 r.server_error.truncated ? "..." : "");
    }
    if (r.error) {
      std::string where;
      if (r.error.field != Field::none)
        where = fmt::format(" (field '{}')", field_name(r.error.field));
      if (r.rejected > 0 && r.events > 0)
        where += fmt::format(" (list element {})", r.error.element);
      fmt::print("{:>6}: error: {}{}\n", n, to_string(r.error.code), where);
    }
  }
  const DecoderStats& s = decoder.stats();
  fmt::print(
      "{} {}: {} frames, {} events, {} status, {} server errors, {} failed, {} unknown keys, {} "
      "oversized{}\n",
      items, reader->journal() ? "records" : "lines", s.frames, s.events, s.status_frames,
      s.error_frames, s.failed_frames, s.unknown_keys, oversized,
      reader->journal() ? fmt::format(", {} resync events", resync_events) : std::string());
  if (reader->stopped()) {
    fmt::print(stderr, "fillwire decode: {}: {}\n", opt.file, reader->error());
    return 1;
  }
  return 0;
}

}  // namespace

Command add_decode_command(CLI::App& root) {
  auto opt = std::make_shared<DecodeOptions>();
  CLI::App* cmd =
      root.add_subcommand("decode", "Decode a file of frames (one JSON per line, or a journal)");
  cmd->add_option("file", opt->file, "File of frames: one JSON message per line, or a journal")
      ->required();
  cmd->add_flag("--json", opt->json, "Print each event as JSON instead of a readable line");
  cmd->add_flag("--simple", opt->simple, "With --json: use the SIMPLE (abbreviated) field names");
  cmd->add_option("--max-frame-bytes", opt->max_frame_bytes,
                  "Frame size limit, as the live client's: a longer frame is one error")
      ->capture_default_str()
      ->check(CLI::Range(std::size_t{1}, std::size_t{64} << 20));
  return {cmd, [opt] { return run_decode(*opt); }};
}

}  // namespace fillwire::cli
