// FrameReader: JSON Lines through one fixed buffer, journals through JournalReader.

#include "fillwire/detail/frame_reader.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <system_error>

#include "fillwire/decoder.hpp"
#include "fillwire/detail/journal_event.hpp"

namespace fillwire {

namespace {

constexpr std::size_t kProbeBytes = 8;

bool blank(const char* p, std::size_t n) noexcept {
  for (std::size_t i = 0; i < n; ++i) {
    if (p[i] != ' ' && p[i] != '\t') return false;
  }
  return true;
}

// A text file starts with no control byte but tab, newline or carriage return.
bool looks_binary(const unsigned char* p, std::size_t n) noexcept {
  for (std::size_t i = 0; i < n; ++i) {
    if (p[i] < 0x20 && p[i] != '\t' && p[i] != '\n' && p[i] != '\r') return true;
  }
  return false;
}

}  // namespace

FrameReader::FrameReader(const std::string& path, FrameReaderConfig config)
    : path_(path), config_(config) {
  if (config_.max_frame_bytes == 0) throw std::invalid_argument("max_frame_bytes must be > 0");
  file_ = std::fopen(path.c_str(), "rb");
  if (file_ == nullptr) {
    throw std::runtime_error("cannot open '" + path +
                             "': " + std::generic_category().message(errno));
  }
  unsigned char probe[kProbeBytes] = {};
  const std::size_t n = std::fread(probe, 1, sizeof probe, file_);
  if (n >= sizeof kJournalMagic && std::memcmp(probe, kJournalMagic, sizeof kJournalMagic) == 0) {
    std::fclose(file_);
    file_ = nullptr;
    // Resync events are loaded whatever the frame limit: they are not frames.
    const std::size_t max_payload = std::max(config_.max_frame_bytes, kJournalEventPayloadBytes);
    journal_.emplace(path, max_payload);  // throws on an unknown version
    payload_.reserve(max_payload + kFramePadding);
    event_ = std::make_unique<OrderEvent>();
    return;
  }
  if (looks_binary(probe, n)) {
    std::fclose(file_);
    file_ = nullptr;
    throw std::runtime_error("'" + path +
                             "' is neither a fillwire journal (no FWJ1 header) nor JSON Lines "
                             "(control bytes at its start)");
  }
  std::rewind(file_);
  // One line of max_frame_bytes, its "\r\n", and the decoder's read-ahead after it.
  cap_ = config_.max_frame_bytes + 2;
  buf_.reset(new char[cap_ + kFramePadding]());
}

FrameReader::~FrameReader() {
  if (file_ != nullptr) std::fclose(file_);
}

std::size_t FrameReader::buffer_bytes() const noexcept {
  if (journal_) {  // the reader's window and chunk, and the event handed out
    return payload_.capacity() + 2 * 64 * 1024 + sizeof(OrderEvent);
  }
  return cap_ + kFramePadding;
}

std::string FrameReader::where(const FrameItem& item) const {
  if (journal_) {
    return "record " + std::to_string(item.number) + " at byte " + std::to_string(item.offset);
  }
  return "line " + std::to_string(item.number);
}

FrameItem FrameReader::next() {
  return journal_ ? next_record() : next_line();
}

// --- JSON Lines --------------------------------------------------------------------------------

// Moves the unread bytes to the front and reads more after them. False at the end of the file.
bool FrameReader::fill() {
  if (eof_) return false;
  if (begin_ > 0) {
    std::memmove(buf_.get(), buf_.get() + begin_, end_ - begin_);
    base_ += begin_;
    end_ -= begin_;
    begin_ = 0;
  }
  const std::size_t n = std::fread(buf_.get() + end_, 1, cap_ - end_, file_);
  end_ += n;
  if (n == 0) {
    eof_ = true;
    if (std::ferror(file_) != 0) {
      stopped_ = true;
      error_ = "read error on '" + path_ + "' after line " + std::to_string(line_);
    }
    return false;
  }
  return true;
}

FrameItem FrameReader::line_item(std::size_t begin, std::size_t end) {
  FrameItem item;
  item.number = ++line_;
  item.offset = base_ + begin;
  std::size_t size = end - begin;
  if (size > 0 && buf_[end - 1] == '\r') --size;
  item.length = size;
  if (size > config_.max_frame_bytes) {
    item.kind = FrameItemKind::oversized;
  } else if (blank(buf_.get() + begin, size)) {
    item.kind = FrameItemKind::blank;
  } else {
    item.kind = FrameItemKind::frame;
    item.data = buf_.get() + begin;  // the buffer has kFramePadding bytes past any line's end
    item.size = size;
  }
  return item;
}

FrameItem FrameReader::next_line() {
  for (;;) {
    const char* start = buf_.get() + begin_;
    if (const void* nl = std::memchr(start, '\n', end_ - begin_)) {
      const std::size_t end = static_cast<std::size_t>(static_cast<const char*>(nl) - buf_.get());
      const std::size_t begin = begin_;
      begin_ = end + 1;
      return line_item(begin, end);
    }
    if (end_ - begin_ >= cap_) return skip_long_line();  // no newline in a full buffer
    if (!fill()) {
      if (stopped_ || begin_ == end_) return FrameItem{};
      const std::size_t begin = begin_;  // the last line, without a newline
      begin_ = end_;
      return line_item(begin, end_);
    }
  }
}

// The buffer is full and holds no newline: the line is over the limit. Reads past it in
// buffer-sized chunks, counting, and keeps none of it.
FrameItem FrameReader::skip_long_line() {
  FrameItem item;
  item.kind = FrameItemKind::oversized;
  item.number = ++line_;
  item.offset = base_ + begin_;
  std::uint64_t length = end_ - begin_;
  char last = buf_[end_ - 1];
  begin_ = end_ = 0;
  base_ = item.offset + length;
  for (;;) {
    if (!fill()) break;  // the file ends inside the line
    if (const void* nl = std::memchr(buf_.get(), '\n', end_)) {
      const std::size_t at = static_cast<std::size_t>(static_cast<const char*>(nl) - buf_.get());
      if (at > 0) last = buf_[at - 1];
      length += at;
      begin_ = at + 1;
      break;
    }
    length += end_;
    last = buf_[end_ - 1];
    base_ += end_;
    end_ = 0;
  }
  item.length = length - (last == '\r' ? 1 : 0);
  return item;
}

// --- journals ----------------------------------------------------------------------------------

FrameItem FrameReader::next_record() {
  if (stopped_) return FrameItem{};  // at a refused resync event: the journal reader is past it
  for (;;) {  // each pass consumes a record or ends: bounded by the file's size
    FrameItem item;
    const JournalRead r = journal_->read(header_, payload_);
    item.number = journal_->number();
    item.offset = journal_->offset();
    if (r == JournalRead::end) return FrameItem{};
    if (r == JournalRead::damaged) {
      if (stopped_) return FrameItem{};
      ++damaged_;
      error_ = journal_->error();
      if (!config_.skip_damaged || journal_->damage() == JournalDamage::read_error) {
        stopped_ = true;
        return FrameItem{};
      }
      if (!journal_->checksummed()) {
        error_ +=
            "; a version 1 journal carries no checksums: nothing after a damaged record "
            "can be verified";
        stopped_ = true;
        return FrameItem{};
      }
      (void)journal_->skip_damaged();  // false: nothing left, the next read() says end
      item.kind = FrameItemKind::damaged;
      return item;
    }
    item.length = header_.length;
    if (header_.kind == JournalKind::resync_event) {
      std::string why;
      if (r == JournalRead::too_large) {  // over every limit: not loaded, and never an event
        why = "resync event of " + std::to_string(header_.length) + " bytes; this build's are " +
              std::to_string(kJournalEventPayloadBytes);
      } else if (read_journal_event(payload_.data(), payload_.size(), *event_, why) ==
                 JournalEventError::none) {
        item.kind = FrameItemKind::event;
        item.event = event_.get();
        return item;
      }
      return refuse_event(item, why);
    }
    if (header_.kind != JournalKind::frame && header_.kind != JournalKind::resync) {
      ++other_records_;
      const std::size_t prefix = std::strlen(kJournalLossNotice);
      if (header_.kind == JournalKind::notice && r == JournalRead::record &&
          payload_.compare(0, prefix, kJournalLossNotice) == 0) {
        journal_lost_ += std::strtoull(payload_.c_str() + prefix, nullptr, 10);
      }
      continue;
    }
    if (r == JournalRead::too_large || header_.length > config_.max_frame_bytes) {
      item.kind = FrameItemKind::oversized;
      return item;
    }
    payload_.resize(header_.length + kFramePadding, ' ');  // within the reserved capacity
    item.kind = FrameItemKind::frame;
    item.data = payload_.data();
    item.size = header_.length;
    return item;
  }
}

// A resync_event record this build cannot take: reported as a damaged record is (its number, its
// offset, why), never handed out. The record is whole, so skipping it needs no scan.
FrameItem FrameReader::refuse_event(FrameItem item, const std::string& why) {
  ++damaged_;
  ++refused_events_;
  error_ = where(item) + ": " + why;
  if (!config_.skip_damaged) {
    stopped_ = true;
    return FrameItem{};
  }
  item.kind = FrameItemKind::damaged;
  return item;
}

}  // namespace fillwire
