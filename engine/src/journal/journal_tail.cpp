// JournalTail: POSIX reads (pread, fstat) of a file another thread appends to.

#include "fillwire/journal_tail.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <system_error>

namespace fillwire {

namespace {

constexpr std::size_t kHeader = sizeof(JournalRecordHeader);
constexpr std::size_t kWindow = 64 * 1024;
constexpr unsigned kMaxRotationSearch = 256;  // path.1 .. path.256: more than any keep_files

bool known_kind(JournalKind kind) noexcept {
  return kind == JournalKind::frame || kind == JournalKind::notice ||
         kind == JournalKind::summary || kind == JournalKind::resync ||
         kind == JournalKind::resync_event;
}

bool read_fully(int fd, std::uint64_t offset, void* dst, std::size_t size) noexcept {
  auto* p = static_cast<char*>(dst);
  while (size > 0) {
    const ssize_t n = ::pread(fd, p, size, static_cast<off_t>(offset));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    p += n;
    offset += static_cast<std::uint64_t>(n);
    size -= static_cast<std::size_t>(n);
  }
  return true;
}

}  // namespace

JournalTail::JournalTail(std::string path, Start start, std::size_t max_payload)
    : path_(std::move(path)), max_payload_(max_payload), window_(new char[kWindow]) {
  if (!open_current(start == Start::end)) {
    throw std::runtime_error("journal '" + path_ +
                             "' cannot be opened: " + std::generic_category().message(errno));
  }
  if (file_size() >= kJournalFileHeaderBytes && !check_file_header()) {
    ::close(fd_);
    throw std::runtime_error(error_);
  }
}

JournalTail::~JournalTail() {
  if (fd_ >= 0) ::close(fd_);
}

bool JournalTail::open_current(bool at_end) {
  const int fd = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    ::close(fd);
    return false;
  }
  if (fd_ >= 0) ::close(fd_);
  fd_ = fd;
  ino_ = st.st_ino;
  dev_ = st.st_dev;
  header_checked_ = false;
  const auto size = static_cast<std::uint64_t>(st.st_size);
  pos_ = at_end ? std::max<std::uint64_t>(size, kJournalFileHeaderBytes) : kJournalFileHeaderBytes;
  return true;
}

std::uint64_t JournalTail::file_size() const noexcept {
  struct stat st {};
  if (::fstat(fd_, &st) != 0) return 0;
  return static_cast<std::uint64_t>(st.st_size);
}

bool JournalTail::check_file_header() {
  char head[kJournalFileHeaderBytes] = {};
  if (!read_fully(fd_, 0, head, sizeof head)) return false;
  std::uint32_t version = 0;
  std::memcpy(&version, head + sizeof kJournalMagic, sizeof version);
  if (std::memcmp(head, kJournalMagic, sizeof kJournalMagic) != 0 || version != kJournalVersion) {
    error_ =
        "'" + path_ + "' is not a version " + std::to_string(kJournalVersion) + " fillwire journal";
    return false;
  }
  header_checked_ = true;
  return true;
}

// At the end of the file being read: when the journal has rotated it away (the name now holds
// another file), the rest of it is read first, then the next file in rotation order is opened.
// True when there may be more to read (in this file or the next).
bool JournalTail::follow_rotation() {
  struct stat now {};
  if (::stat(path_.c_str(), &now) != 0) return false;  // between rename and create: later
  if (now.st_ino == ino_ && now.st_dev == dev_) return false;
  // Rotated: the journal closed this file before renaming it, so its size is final now.
  const std::uint64_t size = file_size();
  if (size - std::min(size, pos_) >= kHeader) return true;  // records written before the rotation
  if (pos_ < size) {
    ++counters_.damaged;
    error_ = "'" + path_ + "' (rotated) ends inside a record at byte " + std::to_string(pos_);
  }
  // This file is now path.k: the next one is path.(k-1), or path itself.
  for (int attempt = 0; attempt < 4; ++attempt) {
    unsigned k = 0;
    unsigned oldest = 0;
    for (unsigned i = 1; i <= kMaxRotationSearch; ++i) {
      struct stat st {};
      if (::stat((path_ + "." + std::to_string(i)).c_str(), &st) != 0) break;
      oldest = i;
      if (st.st_ino == ino_ && st.st_dev == dev_) {
        k = i;
        break;
      }
    }
    // Not found: this file was deleted (read on through the open descriptor); the files between
    // it and the oldest kept one are gone too.
    if (k == 0) ++counters_.lost;
    const unsigned next = k > 0 ? k - 1 : oldest;
    const std::string name = next == 0 ? path_ : path_ + "." + std::to_string(next);
    struct stat want {};
    if (::stat(name.c_str(), &want) != 0) continue;
    const int fd = ::open(name.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) continue;
    struct stat got {};
    if (::fstat(fd, &got) != 0 || got.st_ino != want.st_ino || got.st_dev != want.st_dev) {
      ::close(fd);  // rotated again between the two: look again
      continue;
    }
    ::close(fd_);
    fd_ = fd;
    ino_ = got.st_ino;
    dev_ = got.st_dev;
    pos_ = kJournalFileHeaderBytes;
    header_checked_ = false;
    ++counters_.files;
    return true;
  }
  return false;
}

TailRead JournalTail::next(std::string& out, JournalRecordHeader& header) {
  for (int pass = 0; pass < 8; ++pass) {  // a few rotations followed in one call at most
    const std::uint64_t size = file_size();
    if (!header_checked_) {
      if (size < kJournalFileHeaderBytes) {
        if (follow_rotation()) continue;
        return TailRead::none;
      }
      if (!check_file_header()) {
        ++counters_.damaged;
        pos_ = size;  // nothing in this file can be read; wait for the next one
        header_checked_ = true;
        return TailRead::damaged;
      }
    }
    if (pos_ > size || size - pos_ < kHeader) {
      if (follow_rotation()) continue;
      return TailRead::none;
    }
    if (!read_fully(fd_, pos_, &header, kHeader)) return TailRead::none;
    if (journal_header_crc(header) != header.header_crc || !known_kind(header.kind)) {
      return scan(pos_ + 1, "header checksum mismatch");
    }
    const std::uint64_t after = pos_ + kHeader + header.length;
    if (header.length > max_payload_) {
      if (after > size) return TailRead::none;  // skipped once it is all there
      ++counters_.too_large;
      error_ = "record at byte " + std::to_string(pos_) + " of '" + path_ +
               "': " + std::to_string(header.length) + " bytes, over the limit of " +
               std::to_string(max_payload_);
      pos_ = after;
      return TailRead::too_large;
    }
    if (after > size) {
      if (follow_rotation()) continue;
      return TailRead::none;  // not all written yet
    }
    const std::size_t base = out.size();
    out.resize(base + kHeader + header.length);
    std::memcpy(out.data() + base, &header, kHeader);
    if (!read_fully(fd_, pos_ + kHeader, out.data() + base + kHeader, header.length)) {
      out.resize(base);
      return TailRead::none;
    }
    if (crc32c(out.data() + base + kHeader, header.length) != header.payload_crc) {
      out.resize(base);
      ++counters_.damaged;
      error_ = "record at byte " + std::to_string(pos_) + " of '" + path_ +
               "': payload checksum mismatch";
      pos_ = after;  // the header verified: its length is right
      return TailRead::damaged;
    }
    pos_ = after;
    ++counters_.records;
    counters_.bytes += kHeader + header.length;
    return TailRead::record;
  }
  return TailRead::none;
}

// A header that does not verify: looks for the next one that does, over the bytes written so far
// (a window at a time). Where none is found yet, the scan resumes from there on the next call.
TailRead JournalTail::scan(std::uint64_t from, const std::string& what) {
  const bool first = !in_damage_;
  if (first) {  // one stretch, however many calls it takes to pass it
    ++counters_.damaged;
    error_ = "record at byte " + std::to_string(pos_) + " of '" + path_ + "': " + what;
  }
  const std::uint64_t size = file_size();
  std::uint64_t p = from;
  while (p + kHeader <= size) {
    const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(kWindow, size - p));
    if (!read_fully(fd_, p, window_.get(), n)) break;
    for (std::size_t i = 0; i + kHeader <= n; ++i) {
      JournalRecordHeader h;
      std::memcpy(&h, window_.get() + i, kHeader);
      if (known_kind(h.kind) && journal_header_crc(h) == h.header_crc) {
        pos_ = p + i;  // its payload is checked when it is read
        in_damage_ = false;
        return first ? TailRead::damaged : TailRead::none;
      }
    }
    p += n - kHeader + 1;
  }
  pos_ = std::max(from, size >= kHeader ? size - kHeader + 1 : from);
  in_damage_ = true;
  return first ? TailRead::damaged : TailRead::none;  // told once; then waits for more bytes
}

}  // namespace fillwire
