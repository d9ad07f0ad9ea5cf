#pragma once
// JournalTail: follows a journal while the Journal writes it, record by record, in file order and
// across rotations: what the gateway publishes to NATS (nats_publisher.hpp) is read from the local
// journal, so the journal is also the publisher's buffer while NATS is away.
//
// A record is handed out only whole and verified (both checksums): bytes the journal has not
// written yet are waited for (next() says `none`), never read as damage. A rotation is followed
// without a gap: the file being read stays open under its new name (path.1, path.2, ...) and is
// read to its end before the next one; the next file is found by its place in the rotation, so a
// reader more than one rotation behind still reads every file in order, as long as the journal
// keeps it (keep_files). A file rotated away before it was read (deleted) is counted in `lost`.
//
// Damage (a record whose checksum fails once its bytes are all there: the disk, or another
// writer) is reported once (`damaged`, error() says where) and passed over: reading goes on at the
// next record that verifies, found by a bounded scan of the bytes written so far.
//
// Thread contract: one thread, cold path (file reads; the constructor throws).

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "fillwire/journal.hpp"

namespace fillwire {

enum class TailRead : std::uint8_t {
  record,     // a whole, verified record was appended to the output
  none,       // nothing new yet
  damaged,    // a damaged stretch was passed over (error() says where); call again
  too_large,  // a verified record over max_payload was passed over (error() says which)
};

struct JournalTailCounters {
  std::uint64_t records = 0;    // handed out
  std::uint64_t bytes = 0;      // their header and payload bytes
  std::uint64_t damaged = 0;    // damaged stretches passed over
  std::uint64_t too_large = 0;  // records over max_payload passed over
  std::uint64_t files = 0;      // files finished (rotations followed)
  std::uint64_t lost = 0;       // files rotated away and deleted before they were read
};

class JournalTail {
 public:
  enum class Start : std::uint8_t {
    end,        // records written after the tail was made
    beginning,  // every record of the file now at `path`
  };

  // Opens the journal at `path` (the Journal has created it). Throws std::runtime_error naming
  // the file when it cannot be opened or holds something else than a version 2 journal.
  explicit JournalTail(std::string path, Start start = Start::end,
                       std::size_t max_payload = 1u << 20);
  ~JournalTail();
  JournalTail(const JournalTail&) = delete;
  JournalTail& operator=(const JournalTail&) = delete;

  // The next record: on `record` its header and payload bytes, exactly as in the file, are
  // appended to `out` and `header` is filled. Bounded work: at most one record read, or one scan
  // of what a damaged stretch left, per call.
  TailRead next(std::string& out, JournalRecordHeader& header);

  [[nodiscard]] const JournalTailCounters& counters() const noexcept { return counters_; }
  [[nodiscard]] const std::string& error() const noexcept { return error_; }  // the last damage
  [[nodiscard]] const std::string& path() const noexcept { return path_; }
  // The byte offset of the next record in the file being read.
  [[nodiscard]] std::uint64_t offset() const noexcept { return pos_; }

 private:
  bool open_current(bool at_end);
  bool follow_rotation();
  bool check_file_header();
  TailRead scan(std::uint64_t from, const std::string& what);
  [[nodiscard]] std::uint64_t file_size() const noexcept;

  std::string path_;
  std::size_t max_payload_;
  int fd_ = -1;
  ino_t ino_ = 0;
  dev_t dev_ = 0;
  std::uint64_t pos_ = 0;
  bool header_checked_ = false;
  bool in_damage_ = false;          // a scan found no header yet: the same stretch goes on
  std::unique_ptr<char[]> window_;  // the damage scan's window
  JournalTailCounters counters_;
  std::string error_;
};

}  // namespace fillwire
