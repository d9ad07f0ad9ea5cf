// fillwire decode FILE: decodes a file of frames (one JSON per line, or a journal's frame and
// resync records) and lists each event (a myAsset frame's currencies together), status frame,
// server error frame and error with its line
// (or record) number, then the counts. A journal's resync_event records (the exact events of a
// resync) are listed as events too, marked as resync events. The file is read as a stream in
// bounded memory: a frame over the frame limit (the live client's, --max-frame-bytes) is one
// error (`frame_too_large`) with its length, never held.
//
// Output: a readable listing on stdout; with --json, JSON Lines on stdout and nothing else (one
// object per event, status, server error and error, then {"summary":...}; docs/CLI.md), human
// notices on stderr. Errors carry the decoder's codes (`wrong_type`, README "Decoding rules").
// Exit status: 0 when every frame was accepted (decoded without error; status and server error
// frames are frames too); 1 when a frame was not (or, with --allow-errors, only when reading
// stopped early: a damaged journal record, a resync event this build cannot take, a read error);
// 2 when the file cannot be opened or is not a frame file.
// Strings from the frames (codes, identifiers, status, server error texts) are printed escaped
// (safe_text.hpp): a frame cannot drive the terminal.

#include <fmt/core.h>

#include <exception>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "commands.hpp"
#include "fillwire/decoder.hpp"
#include "fillwire/detail/frame_reader.hpp"
#include "fillwire/encoder.hpp"
#include "fillwire/safe_text.hpp"
#include "json_lines.hpp"

namespace fillwire::cli {
namespace {

struct DecodeOptions {
  std::string file;
  bool json = false;
  bool simple = false;
  bool allow_errors = false;
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

// Prints one event, decoded or journaled. JSON: {"line"|"record": n, ["journal_record":
// "resync_event",] "event": {the event in the exchange's format}[, "identifier_cut": true,
// "identifier_hash": "<16 hex digits>"]}: a cut identifier's JSON carries the part kept only.
void print_event(const DecodeOptions& opt, const FrameReader& reader, std::uint64_t n,
                 const OrderEvent& e, bool resync) {
  if (!opt.json) {
    fmt::print("{:>6}: {}{}\n", n, resync ? "resync " : "", describe(e));
    return;
  }
  Json j = located(reader, n);
  if (resync) j["journal_record"] = "resync_event";
  std::string line = j.dump();
  line.pop_back();  // '}': the event's JSON is written as it was encoded
  line +=
      fmt::format(",\"event\":{}", encode(e, opt.simple ? WireFormat::simple : WireFormat::full));
  if (e.has(Field::identifier) && e.identifier.cut()) {
    line += fmt::format(",\"identifier_cut\":true,\"identifier_hash\":\"{:016x}\"",
                        e.identifier.hash());
  }
  fmt::print("{}}}\n", line);
}

std::string describe(const AssetEvent& a) {
  std::string s = fmt::format("asset {:<9} balance={} locked={} total={} ({}/{}) asset_uuid={}",
                              printable(a.currency.view()), a.balance, a.locked, a.total(),
                              a.index + 1, a.count, a.asset_uuid.to_string());
  s += fmt::format(" asset_ts={} ts={}", a.asset_timestamp, a.timestamp);
  return s;
}

// Prints one myAsset frame's events. JSON: {"line"|"record": n, "asset": {the frame in the
// exchange's format}}, one line for the frame; text: one line for each currency.
void print_asset_frame(const DecodeOptions& opt, const FrameReader& reader, std::uint64_t n,
                       std::span<const AssetEvent> frame) {
  if (!opt.json) {
    for (const AssetEvent& a : frame)
      fmt::print("{:>6}: {}\n", n, describe(a));
    return;
  }
  std::string line = located(reader, n).dump();
  line.pop_back();  // '}': the frame's JSON is written as it was encoded
  line += fmt::format(",\"asset\":{}}}",
                      encode(frame, opt.simple ? WireFormat::simple : WireFormat::full));
  fmt::print("{}\n", line);
}

// Collects the events of one frame (a list frame may carry several); a myAsset frame's events
// are printed together once its last one arrives (the decoder publishes a frame whole).
struct PrintSink {
  const DecodeOptions* opt;
  const FrameReader* reader;
  std::uint64_t line;
  OrderEvent slot;
  std::vector<AssetEvent> asset_frame;
  OrderEvent& claim() noexcept { return slot; }
  void publish() noexcept {
    try {
      if (slot.kind != EventKind::asset) {
        print_event(*opt, *reader, line, slot, false);
        return;
      }
      const AssetEvent a = asset_of(slot);
      if (a.index == 0) asset_frame.clear();
      asset_frame.push_back(a);
      if (a.is_last_in_frame()) print_asset_frame(*opt, *reader, line, asset_frame);
    } catch (...) {
      // Printing is best effort; the decode result is still counted.
    }
  }
};

void print_frame_result(const DecodeOptions& opt, const FrameReader& reader, std::uint64_t n,
                        const FrameResult& r) {
  if (r.kind == FrameKind::status && !r.error) {
    if (opt.json) {
      Json j = located(reader, n);
      j["status"] = std::string(r.status.view());
      print_line(j);
    } else {
      fmt::print("{:>6}: status {}\n", n, printable(r.status.view()));
    }
  } else if (r.kind == FrameKind::error && !r.error) {
    // Server text is data: escaped and redacted (a token in it never printed) in both forms.
    const std::string name = quote_server_text(r.server_error.name.view());
    const std::string message = quote_server_text(r.server_error.message.view());
    if (opt.json) {
      Json j = located(reader, n);
      j["server_error"] =
          Json{{"name", name}, {"message", message}, {"truncated", r.server_error.truncated}};
      print_line(j);
    } else {
      fmt::print("{:>6}: server error {}: {}{}\n", n, name, message,
                 r.server_error.truncated ? "..." : "");
    }
  }
  if (!r.error) return;
  if (opt.json) {
    print_line(decode_error_json(located(reader, n), r));
    return;
  }
  std::string where;
  if (r.error.field != Field::none) where = fmt::format(" (field '{}')", field_name(r.error.field));
  if (r.error.asset_field != AssetField::none) {
    where = fmt::format(" (field '{}')", field_name(r.error.asset_field));
  }
  if (r.error.asset_index >= 0) where += fmt::format(" (assets element {})", r.error.asset_index);
  if (r.rejected > 0 && r.events > 0) where += fmt::format(" (list element {})", r.error.element);
  fmt::print("{:>6}: error {}: {}{}\n", n, error_code(r.error.code), to_string(r.error.code),
             where);
}

int run_decode(const DecodeOptions& opt) {
  std::unique_ptr<FrameReader> reader;
  try {
    reader = std::make_unique<FrameReader>(opt.file, FrameReaderConfig{opt.max_frame_bytes, false});
  } catch (const std::exception& e) {
    throw UsageError(e.what());
  }
  Decoder decoder(opt.max_frame_bytes);
  auto sink = std::make_unique<PrintSink>();
  sink->opt = &opt;
  sink->reader = reader.get();
  std::uint64_t items = 0;
  std::uint64_t oversized = 0;
  std::uint64_t resync_events = 0;
  for (FrameItem item = reader->next(); item.kind != FrameItemKind::end; item = reader->next()) {
    ++items;
    const std::uint64_t n = item.number;
    if (item.kind == FrameItemKind::oversized) {
      ++oversized;
      if (opt.json) {
        Json j = located(*reader, n);
        j["error"] = std::string(error_code(DecodeErrc::frame_too_large));
        j["bytes"] = item.length;
        j["limit"] = opt.max_frame_bytes;
        print_line(j);
      } else {
        fmt::print("{:>6}: error {}: frame of {} bytes, over the frame limit ({} bytes)\n", n,
                   error_code(DecodeErrc::frame_too_large), item.length, opt.max_frame_bytes);
      }
      continue;
    }
    if (item.kind == FrameItemKind::event) {
      ++resync_events;
      try {
        print_event(opt, *reader, n, *item.event, true);
      } catch (...) {
        // Printing is best effort, as for decoded events; the event is counted either way.
      }
      continue;
    }
    if (item.kind != FrameItemKind::frame) continue;  // blank line
    // The reader leaves kFramePadding readable bytes after the frame: decoded in place.
    sink->line = n;
    const FrameResult r = decoder.decode(item.data, item.size, EventSink{*sink});
    print_frame_result(opt, *reader, n, r);
  }

  const DecoderStats& s = decoder.stats();
  const std::uint64_t rejected = s.failed_frames + oversized;
  const char* unit = reader->journal() ? "records" : "lines";
  if (opt.json) {
    Json summary{{unit, items},
                 {"frames", s.frames},
                 {"events", s.events},
                 {"status", s.status_frames},
                 {"server_errors", s.error_frames},
                 {"failed", s.failed_frames},
                 {"oversized", oversized},
                 {"unknown_keys", s.unknown_keys},
                 {"errors", errors_by_code(s)}};
    if (reader->journal()) summary["resync_events"] = resync_events;
    summary["complete"] = !reader->stopped();
    if (reader->stopped()) {
      Json stop{{"error", "read_stopped"}, {"message", reader->error()}};
      print_line(stop);
    }
    print_line(Json{{"summary", std::move(summary)}});
  } else {
    fmt::print(
        "{} {}: {} frames, {} events, {} status, {} server errors, {} failed, {} unknown keys, "
        "{} oversized{}\n",
        items, unit, s.frames, s.events, s.status_frames, s.error_frames, s.failed_frames,
        s.unknown_keys, oversized,
        reader->journal() ? fmt::format(", {} resync events", resync_events) : std::string());
  }
  if (reader->stopped()) {
    fmt::print(stderr, "fillwire decode: {}: {}\n", opt.file, reader->error());
    return kExitFailed;
  }
  if (rejected > 0 && !opt.allow_errors) {
    fmt::print(stderr,
               "fillwire decode: {}: {} of {} frames not accepted ({} failed, {} oversized); "
               "--allow-errors exits 0 all the same\n",
               opt.file, rejected, s.frames + oversized, s.failed_frames, oversized);
    return kExitFailed;
  }
  return kExitOk;
}

}  // namespace

Command add_decode_command(CLI::App& root) {
  auto opt = std::make_shared<DecodeOptions>();
  CLI::App* cmd =
      root.add_subcommand("decode", "Decode a file of frames (one JSON per line, or a journal)");
  cmd->add_option("file", opt->file, "File of frames: one JSON message per line, or a journal")
      ->required();
  cmd->add_flag("--json", opt->json,
                "JSON Lines on stdout: each event, status, server error and error with its line, "
                "then a summary");
  cmd->add_flag("--simple", opt->simple, "With --json: use the SIMPLE (abbreviated) field names");
  cmd->add_flag("--allow-errors", opt->allow_errors,
                "Exit 0 even when frames were not accepted (reading must still reach the end)");
  cmd->add_option("--max-frame-bytes", opt->max_frame_bytes,
                  "Frame size limit, as the live client's: a longer frame is one error")
      ->capture_default_str()
      ->check(CLI::Range(std::size_t{1}, std::size_t{64} << 20));
  cmd->footer(
      "Exit status: 0 every frame accepted; 1 a frame not accepted (see --allow-errors) or "
      "reading stopped; 2 usage or the file cannot be read.");
  return {cmd, [opt] { return run_decode(*opt); }};
}

}  // namespace fillwire::cli
