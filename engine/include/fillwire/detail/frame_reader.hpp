#pragma once
// FrameReader: the input of the offline tools (fillwire decode, fillwire replay), read as a stream.
// A file is either JSON Lines (one frame per line) or a fillwire journal (its frame, resync and
// resync_event records, in order; notices and summaries are passed over). Memory stays bounded
// whatever the file holds: one buffer of max_frame_bytes + 2 + kFramePadding for lines, the
// JournalReader's and one OrderEvent for journals. A frame over max_frame_bytes (the live client's
// LiveConfig::max_frame_bytes) is reported as `oversized` with its length and never held: a line
// is read past in fixed chunks, a journal record longer than both the limit and an event record
// is checksummed without being loaded.
//
// A resync_event record (journal_event.hpp) is handed out as the event itself (`event`), checked
// by read_journal_event(): one whose size, header (magic, OrderEvent layout, OrderEvent size) or
// values do not match this build is reported like a damaged record, by number and offset, and
// nothing of it is returned: reading stops there unless skip_damaged, which passes over it (the
// record itself is whole, its length known: reading goes on at the next record, in version 1
// files too).
//
// Thread contract: one thread, cold path (file reads; the constructor throws).

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>

#include "fillwire/journal.hpp"
#include "fillwire/order_event.hpp"

namespace fillwire {

struct FrameReaderConfig {
  std::size_t max_frame_bytes = 64 * 1024;  // as LiveConfig::max_frame_bytes: longer is oversized
  bool skip_damaged = false;  // journals: skip damaged records (version 2) and resync events
                              // this build cannot take, instead of stopping
};

enum class FrameItemKind : std::uint8_t {
  frame,      // data/size: one frame with kFramePadding readable bytes after it
  event,      // event: a journaled resync event (JournalKind::resync_event), validated
  blank,      // an empty or white-space line (JSON Lines)
  oversized,  // a frame over max_frame_bytes: `length` says how long; its bytes were not kept
  damaged,    // a damaged journal record, or a resync event this build cannot take, skipped
              // (error() says which); reading goes on after it
  end,        // the end of the file, or where reading stopped (stopped() and error() say why)
};

struct FrameItem {
  FrameItemKind kind = FrameItemKind::end;
  const char* data = nullptr;  // frame: valid until the next call to next()
  std::size_t size = 0;        // frame: its bytes (a line without its "\r\n")
  std::uint64_t number = 0;    // line number, or journal record number (both from 1)
  std::uint64_t offset = 0;    // byte offset in the file
  std::uint64_t length = 0;    // the frame's length in bytes (oversized: all of it)
  // event: the event as journaled, in an aligned copy owned by the reader, valid until the next
  // call to next(). Its seq and recv_ts are the live run's.
  const OrderEvent* event = nullptr;
};

class FrameReader {
 public:
  // Opens `path`: a journal when it starts with the journal magic, else JSON Lines. Throws
  // std::runtime_error naming the file when it cannot be opened, is a journal this build cannot
  // read, or is neither (control bytes at its start).
  explicit FrameReader(const std::string& path, FrameReaderConfig config = {});
  ~FrameReader();
  FrameReader(const FrameReader&) = delete;
  FrameReader& operator=(const FrameReader&) = delete;

  // The next item; `end` for ever once the file is done or reading stopped.
  FrameItem next();

  [[nodiscard]] bool journal() const noexcept { return journal_.has_value(); }
  [[nodiscard]] std::uint32_t journal_version() const noexcept {
    return journal_ ? journal_->version() : 0;
  }
  // Reading ended before the end of the file: a damaged journal record (or a resync event this
  // build cannot take) that was not skipped (skip_damaged off, or damage in a version 1 journal,
  // where nothing after it can be verified), or a read error. error() says which and where.
  [[nodiscard]] bool stopped() const noexcept { return stopped_; }
  [[nodiscard]] const std::string& error() const noexcept { return error_; }
  // Damaged records and refused resync events, skipped or stopped at.
  [[nodiscard]] std::uint64_t damaged() const noexcept { return damaged_; }
  // Of damaged(): resync_event records refused (another layout, a wrong size, a bad value).
  [[nodiscard]] std::uint64_t refused_events() const noexcept { return refused_events_; }
  [[nodiscard]] std::uint64_t other_records() const noexcept { return other_records_; }
  // Records the journal says its hot threads could not journal (its loss notices,
  // kJournalLossNotice): the state replayed may lack their events.
  [[nodiscard]] std::uint64_t journal_lost() const noexcept { return journal_lost_; }
  // "line 3", or "record 5 at byte 1234".
  [[nodiscard]] std::string where(const FrameItem& item) const;
  // Bytes held for the input, whatever its size: about max_frame_bytes plus fixed buffers.
  [[nodiscard]] std::size_t buffer_bytes() const noexcept;
  [[nodiscard]] const std::string& path() const noexcept { return path_; }

 private:
  FrameItem next_line();
  FrameItem next_record();
  FrameItem refuse_event(FrameItem item, const std::string& why);
  FrameItem line_item(std::size_t begin, std::size_t end);
  FrameItem skip_long_line();
  bool fill();

  std::string path_;
  FrameReaderConfig config_;
  std::string error_;
  bool stopped_ = false;
  std::uint64_t damaged_ = 0;
  std::uint64_t other_records_ = 0;
  std::uint64_t journal_lost_ = 0;
  std::uint64_t refused_events_ = 0;
  // JSON Lines: buf_ holds file bytes [base_, base_ + end_); the next line starts at begin_.
  std::FILE* file_ = nullptr;
  std::unique_ptr<char[]> buf_;
  std::size_t cap_ = 0;  // data bytes buf_ takes (kFramePadding more are allocated)
  std::size_t begin_ = 0;
  std::size_t end_ = 0;
  std::uint64_t base_ = 0;
  std::uint64_t line_ = 0;
  bool eof_ = false;
  // Journals.
  std::optional<JournalReader> journal_;
  JournalRecordHeader header_{};
  std::string payload_;
  std::unique_ptr<OrderEvent> event_;  // the last resync event handed out (aligned: new)
};

}  // namespace fillwire
