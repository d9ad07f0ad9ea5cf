// libFuzzer target: JournalReader over arbitrary bytes, as a damaged or foreign journal file.
//
// The bytes are put in an anonymous in-memory file (memfd) and opened by path, exactly as replay
// opens a journal. Invariants, for version 1 and version 2 files:
//   - the file is refused at open only without a header of a version this build reads;
//   - every record returned lies inside the file, right after the one before (or, when skipping,
//     after it), and is the file's bytes at its offset; in a version 2 file its payload_crc and
//     header_crc are the CRC32C of those bytes (checked here against the input itself);
//   - a damaged record is reported (error() names it) and nothing of it is returned; reading
//     stops there, and stops with no error exactly when every byte was read;
//   - skip_damaged() only ever moves forward and ends (at most one pass per byte);
//   - a record over max_payload is verified but not loaded; the payload never holds more than the
//     file (libFuzzer's -malloc_limit_mb catches any larger allocation);
//   - a resync_event record's payload (journal_event.hpp) is taken exactly when it is 264 bytes
//     with this build's header and every enum, flag, presence bit and length in range; the event
//     taken is the payload's bytes after the header; a refused one leaves the caller's event
//     untouched and says why.

#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <string>

#include "fillwire/detail/journal_event.hpp"
#include "fillwire/journal.hpp"
#include "invariant.hpp"

namespace {

using fillwire::fuzz::check;

using fillwire::JournalRead;
using fillwire::JournalRecordHeader;

// Checks a record the reader returned against the input bytes at its offset.
void check_record(const std::uint8_t* data, std::size_t size, const fillwire::JournalReader& reader,
                  const JournalRecordHeader& header, const std::string& payload, bool loaded) {
  const std::size_t hb =
      reader.checksummed() ? sizeof(JournalRecordHeader) : fillwire::kJournalRecordHeaderBytesV1;
  const std::uint64_t at = reader.offset();
  check(at >= fillwire::kJournalFileHeaderBytes && at + hb + header.length <= size,
        "a record returned lies outside the file");
  check(std::memcmp(data + at, &header, hb) == 0, "the header returned is not the file's bytes");
  if (loaded) {
    check(payload.size() == header.length, "payload length differs from its header");
    check(std::memcmp(data + at + hb, payload.data(), payload.size()) == 0,
          "the payload returned is not the file's bytes");
  } else {
    check(payload.empty(), "a record over max_payload was loaded");
  }
  if (reader.checksummed()) {
    check(fillwire::crc32c(data + at + hb, header.length) == header.payload_crc,
          "a record returned with a wrong payload checksum");
    check(fillwire::crc32c(data + at, 20) == header.header_crc,
          "a record returned with a wrong header checksum");
  }
  check(payload.capacity() <= 2 * size + 32, "the payload holds more than the file");
}

// Reads a resync_event payload as replay does and checks the verdict against the bytes.
void check_event(const std::string& payload) {
  using fillwire::OrderEvent;
  OrderEvent out;
  std::memset(static_cast<void*>(&out), 0xA5, sizeof out);
  OrderEvent before;
  std::memcpy(static_cast<void*>(&before), &out, sizeof out);
  std::string why;
  const auto r = fillwire::read_journal_event(payload.data(), payload.size(), out, why);
  bool header_ok = payload.size() == fillwire::kJournalEventPayloadBytes;
  if (header_ok) {
    fillwire::JournalEventHeader h;
    std::memcpy(&h, payload.data(), sizeof h);
    header_ok = std::memcmp(h.magic, fillwire::kJournalEventMagic, 4) == 0 &&
                h.layout == fillwire::kOrderEventLayout && h.event_bytes == sizeof(OrderEvent);
  }
  if (r == fillwire::JournalEventError::none) {
    check(header_ok, "a resync event taken with a wrong size or header");
    check(std::memcmp(&out, payload.data() + sizeof(fillwire::JournalEventHeader), sizeof out) == 0,
          "the event taken is not the payload's bytes");
    check(fillwire::invalid_event_field(out).empty(), "an event taken with a value out of range");
    check(out.code.view().size() <= 15 && out.identifier.view().size() <= 45,
          "an event taken whose text runs past its bytes");
    check(why.empty(), "a reason given for an event taken");
  } else {
    check(!why.empty(), "a resync event refused without a reason");
    check(std::memcmp(&out, &before, sizeof out) == 0, "a refused resync event changed the output");
    if (header_ok) {
      OrderEvent e;
      std::memcpy(static_cast<void*>(&e), payload.data() + sizeof(fillwire::JournalEventHeader),
                  sizeof e);
      check(
          r == fillwire::JournalEventError::bad_value && !fillwire::invalid_event_field(e).empty(),
          "a resync event with a good header and good values refused");
    }
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
    // Reading stops at the first damaged record.
    fillwire::JournalReader reader(path);
    JournalRecordHeader header{};
    std::string payload;
    std::uint64_t returned = 0;
    std::uint64_t next = fillwire::kJournalFileHeaderBytes;
    const std::size_t hb =
        reader.checksummed() ? sizeof(JournalRecordHeader) : fillwire::kJournalRecordHeaderBytesV1;
    JournalRead r;
    while ((r = reader.read(header, payload)) == JournalRead::record) {
      ++returned;
      check(reader.offset() == next, "a record returned out of place");
      check_record(data, size, reader, header, payload, true);
      if (header.kind == fillwire::JournalKind::resync_event) check_event(payload);
      next += hb + header.length;
    }
    check(reader.records() == returned, "records() differs from what read() returned");
    check(r == JournalRead::end || r == JournalRead::damaged, "too_large without a maximum");
    check((r == JournalRead::end) == (next == size), "an error without damage, or damage unseen");
    check(reader.error().empty() == (r == JournalRead::end), "damage without a message");
    check(r == JournalRead::end || payload.empty(), "a damaged record's payload was returned");
    check(reader.read(header, payload) == r, "reading went on past the end or the damage");

    // Skipping damage, with a small max_payload: every record returned still verifies.
    fillwire::JournalReader skipper(path, 64);
    std::uint64_t after = fillwire::kJournalFileHeaderBytes;
    for (std::size_t steps = 0;; ++steps) {
      check(steps <= size + 2, "skipping does not end");
      r = skipper.read(header, payload);
      if (r == JournalRead::end) break;
      if (r == JournalRead::damaged) {
        check(!skipper.error().empty() && payload.empty(), "damage not reported, or returned");
        if (!skipper.skip_damaged()) {
          check(!skipper.checksummed() || skipper.read(header, payload) == JournalRead::end,
                "skip_damaged found nothing but reading goes on");
          break;
        }
        continue;
      }
      check(skipper.offset() >= after, "skipping went backwards or returned a record twice");
      check_record(data, size, skipper, header, payload, r == JournalRead::record);
      check((r == JournalRead::too_large) == (header.length > 64), "max_payload not applied");
      after = skipper.offset() + hb + header.length;
    }
  } catch (const std::runtime_error&) {
    // Refused at open: only a file without the 8-byte header of a version this build reads.
    std::uint32_t version = 0;
    if (size >= 8) std::memcpy(&version, data + 4, 4);
    check(size < 8 || std::memcmp(data, fillwire::kJournalMagic, 4) != 0 ||
              (version != fillwire::kJournalVersion && version != fillwire::kJournalVersionV1),
          "a journal with a good header was refused");
  }
  return 0;
}
