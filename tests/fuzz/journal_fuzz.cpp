// libFuzzer target: JournalReader over arbitrary bytes, as a damaged or foreign journal file.
//
// The bytes are put in an anonymous in-memory file (memfd) and opened by path, exactly as replay
// opens a journal. Invariants: the reader never crashes and never allocates more than the file
// could hold; it either refuses the file at open with an exception, or returns records until the
// end or the first damaged record (then error() says which); the records it counts are the ones
// it returned.

#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <string>

#include "fillwire/journal.hpp"

namespace {

void check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "journal_fuzz: invariant broken: %s\n", what);
    std::abort();
  }
}

int memory_file() {
  static const int fd = memfd_create("journal_fuzz", 0);
  check(fd >= 0, "memfd_create failed");
  return fd;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const int fd = memory_file();
  check(ftruncate(fd, 0) == 0, "ftruncate failed");
  check(pwrite(fd, data, size, 0) == static_cast<ssize_t>(size), "pwrite failed");
  const std::string path = "/proc/self/fd/" + std::to_string(fd);
  try {
    fillwire::JournalReader reader(path);
    fillwire::JournalRecordHeader header{};
    std::string payload;
    std::uint64_t returned = 0;
    std::size_t bytes = 8;
    while (reader.next(header, payload)) {
      ++returned;
      check(payload.size() == header.length, "payload length differs from its header");
      bytes += sizeof header + payload.size();
      check(bytes <= size, "read more bytes than the file holds");
    }
    check(reader.records() == returned, "records() differs from what next() returned");
    check(reader.error().empty() == (bytes == size), "an error without damage, or damage unseen");
  } catch (const std::runtime_error&) {
    // Refused at open: only a file without the 8-byte header of this version.
    std::uint32_t version = 0;
    if (size >= 8) std::memcpy(&version, data + 4, 4);
    check(size < 8 || std::memcmp(data, fillwire::kJournalMagic, 4) != 0 ||
              version != fillwire::kJournalVersion,
          "a journal with a good header was refused");
  }
  return 0;
}
