#pragma once
// Journal: an append-only, replayable file of the raw frames the exchange sent and the events a
// resync produced, plus connection notices and summaries, written by a cold thread so the hot
// threads never wait on a disk.
//
// Thread contract:
//   - Each hot thread (network, strategy) owns one JournalProducer, made before it starts. Its
//     record() copies the bytes into the producer's own preallocated byte ring and enqueues a small
//     descriptor on the journal's single moodycamel::ConcurrentQueue (with the producer's token).
//     record() never blocks, never allocates and makes no system call: when the ring or the queue
//     is full, the record is counted as not journaled and dropped. The hot path never waits.
//   - The journal thread (started by the constructor) dequeues descriptors, writes records to the
//     file, then releases the ring bytes (one release store per record, paired with the producer's
//     acquire load in record()). It rotates the file at a size limit.
//   - counters() and flush() may be called from any thread.
//
// File format (little-endian): an 8-byte file header, the magic "FWJ1" (the file type, the same in
// every version) and a u32 version (2), then records. A version 2 record:
//
//     0          4        5        8                16             20             24
//     +----------+--------+--------+----------------+--------------+--------------+-------------+
//     | length   | kind   | 0 0 0  | recv_ns        | payload_crc  | header_crc   | payload     |
//     +----------+--------+--------+----------------+--------------+--------------+-------------+
//
//   payload_crc is the CRC32C (Castagnoli) of the payload's `length` bytes; header_crc is the
//   CRC32C of bytes 0..20, payload_crc included, so one chain covers header and payload and a
//   header can be trusted (its length above all) before its payload is read. Both are computed on
//   the journal thread, never in record().
//   Version 1 (read, no longer written): the first 16 bytes only, no checksum.
//
// Record kinds (JournalKind; a payload's layout depends on its kind, never on the file version):
//   1 frame         a WebSocket frame, the bytes as received.
//   2 notice        a connection notice, text; or the journal's own note that records could not
//                   be journaled (kJournalLossNotice and a count), where they went missing.
//   3 summary       an account summary, text.
//   4 resync        (read, no longer written) a resync event re-encoded as myOrder JSON; decoded
//                   like a frame. Lossy: a cut identifier reads back as a whole, shorter one.
//   5 resync_event  a resync event as its exact bytes: an 8-byte header ("FWEV", the writer's
//                   OrderEvent layout number, sizeof(OrderEvent)) then the raw OrderEvent
//                   (detail/journal_event.hpp). Refused, record by record, by a reader of another
//                   layout.
// Kind 5 came without a new file version: a version 2 file of this build may hold any of the five.
// A build that predates kind 5 reads such a record as damage ("unknown kind 5", by record number
// and offset): its replay stops there, or, with skip_damaged, passes over it (with any such records
// right after it) as one damaged stretch, without their events. It never misreads it as another
// kind.
//
// Rotation: when a file would pass max_file_bytes, `path` becomes `path.1` (older ones shift up to
// `path.<keep_files>`, the oldest deleted) and a new `path` starts with its own header. An existing
// journal of another version is rotated aside the same way at open, never appended to.

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <thread>
#include <type_traits>
#include <vector>

namespace fillwire {

// frame: a WebSocket frame as received. resync_event: an order event from a REST resync, as its
// exact bytes (detail/journal_event.hpp), so that replaying frames and resync events in order
// rebuilds the live state exactly. resync: the same event as myOrder JSON, as older builds wrote it
// (read only: a cut identifier's flag and hash are lost in it). See "Record kinds" above.
enum class JournalKind : std::uint8_t {
  frame = 1,
  notice = 2,
  summary = 3,
  resync = 4,
  resync_event = 5
};

// The version 2 record header, exactly as on disk (see the diagram above).
struct JournalRecordHeader {
  std::uint32_t length;  // payload bytes
  JournalKind kind;
  std::uint8_t reserved[3];  // zero
  std::uint64_t recv_ns;
  std::uint32_t payload_crc;  // CRC32C of the payload (0 when read from a version 1 file)
  std::uint32_t header_crc;   // CRC32C of the 20 bytes before it (0 when read from version 1)
};
static_assert(std::is_trivially_copyable_v<JournalRecordHeader> &&
                  std::is_standard_layout_v<JournalRecordHeader>,
              "The record header is written and read as raw bytes.");
static_assert(sizeof(JournalRecordHeader) == 24,
              "The version 2 on-disk record header is 24 bytes.");
static_assert(offsetof(JournalRecordHeader, kind) == 4 &&
                  offsetof(JournalRecordHeader, recv_ns) == 8,
              "Bytes 0..16 keep the version 1 layout (length, kind, reserved, recv_ns).");
static_assert(offsetof(JournalRecordHeader, payload_crc) == 16 &&
                  offsetof(JournalRecordHeader, header_crc) == 20,
              "header_crc covers bytes 0..20, payload_crc included, and comes last.");

inline constexpr char kJournalMagic[4] = {'F', 'W', 'J', '1'};
inline constexpr std::uint32_t kJournalVersion = 2;    // written by this build
inline constexpr std::uint32_t kJournalVersionV1 = 1;  // read: no checksums
inline constexpr std::size_t kJournalFileHeaderBytes = 8;
inline constexpr std::size_t kJournalRecordHeaderBytesV1 = 16;

// CRC32C (Castagnoli, as in iSCSI and ext4): crc32c("123456789") == 0xE3069283. Any thread.
[[nodiscard]] std::uint32_t crc32c(const void* data, std::size_t size) noexcept;

// The header_crc a record header must carry: CRC32C of its bytes 0..20.
[[nodiscard]] std::uint32_t journal_header_crc(const JournalRecordHeader& header) noexcept;

struct JournalConfig {
  std::string path;                            // file to write (rotated copies beside it)
  std::size_t max_file_bytes = 256u << 20;     // rotate past this size
  unsigned keep_files = 4;                     // rotated files kept: path.1 .. path.N
  std::size_t producer_ring_bytes = 8u << 20;  // per producer, allocated once
  std::size_t queue_capacity = 1u << 16;       // descriptors in flight, all producers
  std::size_t max_producers = 4;
};

struct JournalCounters {
  std::uint64_t records = 0;    // written to the file
  std::uint64_t bytes = 0;      // payload bytes written
  std::uint64_t dropped = 0;    // not journaled: ring or queue full (the hot path did not wait)
  std::uint64_t too_large = 0;  // not journaled: larger than a producer ring can ever hold
  std::uint64_t rotations = 0;
  std::uint64_t write_errors = 0;
  std::uint64_t loss_notices = 0;  // notices written saying records were not journaled
};

// The start of the notice the journal thread writes when records could not be journaled (the
// count follows): readers (replay, followers) tell from it that the state they rebuild from that
// point may lack events.
inline constexpr const char* kJournalLossNotice = "journal: records not journaled: ";

class Journal;

// One hot thread's handle. Owning thread only.
class JournalProducer {
 public:
  // Copies the record and hands it to the journal thread. False when it was not journaled
  // (counted). Never blocks, allocates or makes a system call.
  bool record(JournalKind kind, const char* data, std::size_t size, std::uint64_t recv_ns) noexcept;

  JournalProducer(const JournalProducer&) = delete;
  JournalProducer& operator=(const JournalProducer&) = delete;
  ~JournalProducer();

 private:
  friend class Journal;
  JournalProducer(Journal& journal, std::uint32_t id, std::size_t ring_bytes);

  Journal& journal_;
  std::uint32_t id_;
  std::unique_ptr<char[]> ring_;
  std::size_t capacity_;
  std::uint64_t head_ = 0;                              // bytes ever claimed (owner only)
  alignas(64) std::atomic<std::uint64_t> released_{0};  // bytes ever released (journal thread)
  alignas(64) std::atomic<std::uint64_t> dropped_{0};   // owner writes, anyone reads
  std::atomic<std::uint64_t> enqueued_{0};
  std::atomic<std::uint64_t> too_large_{0};
  struct TokenHolder;
  std::unique_ptr<TokenHolder> token_;
};

class Journal {
 public:
  // Opens (appends to, or creates) the file and starts the journal thread. Throws on failure.
  explicit Journal(JournalConfig config);
  ~Journal();  // writes everything already enqueued, then stops
  Journal(const Journal&) = delete;
  Journal& operator=(const Journal&) = delete;

  // Cold: a handle for one hot thread. Make every producer before any of them records.
  // Throws past max_producers.
  JournalProducer& make_producer();

  // Blocks until every record enqueued before the call is written and flushed, and the journal
  // thread has said any loss seen by then (cold; tests and shutdown).
  void flush();

  [[nodiscard]] JournalCounters counters() const noexcept;
  [[nodiscard]] const std::string& path() const noexcept { return config_.path; }

 private:
  friend class JournalProducer;
  struct Item;
  struct Queue;

  void run() noexcept;
  void write_item(const Item& item) noexcept;
  void write_record(JournalRecordHeader header, const char* payload) noexcept;
  void tell_losses() noexcept;
  void open_file();
  void shift_files() noexcept;  // path -> path.1 -> ... -> path.<keep_files> (deleted)
  void rotate() noexcept;

  JournalConfig config_;
  std::unique_ptr<Queue> queue_;
  std::vector<std::unique_ptr<JournalProducer>> producers_;
  std::atomic<std::size_t> producers_made_{0};  // producers_[0, this) exist (any thread)
  std::FILE* file_ = nullptr;
  std::uint64_t file_bytes_ = 0;
  std::atomic<std::uint64_t> written_{0};        // records in the file: items and loss notices
  std::atomic<std::uint64_t> items_written_{0};  // producers' records written (flush() counts)
  std::atomic<std::uint64_t> flushes_{0};        // journal thread passes that flushed stdio
  std::atomic<bool> finished_{false};            // the journal thread has ended
  std::atomic<std::uint64_t> bytes_{0};
  std::atomic<std::uint64_t> rotations_{0};
  std::atomic<std::uint64_t> write_errors_{0};
  std::atomic<std::uint64_t> loss_notices_{0};
  std::uint64_t lost_told_ = 0;  // records lost already told (journal thread only)
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

// What JournalReader::read found.
enum class JournalRead : std::uint8_t {
  record,     // a record, checksums verified (version 2): header and payload filled
  too_large,  // a verified record whose payload is over the reader's max_payload: not loaded
  end,        // the end of the file
  damaged,    // a damaged record: error() says which, where and what; nothing of it is returned
};

enum class JournalDamage : std::uint8_t {
  none,
  header_cut_short,  // fewer bytes left than a record header
  header_checksum,   // header_crc does not match the header
  bad_kind,          // a kind this build does not know (damage, or a record of a newer build)
  length_past_end,   // the length runs past the end of the file
  payload_checksum,  // payload_crc does not match the payload
  read_error,        // the file could not be read (changed while read, or an I/O error)
};

// Reads a journal file record by record (cold path: replay and tools). Version 2 records are
// verified before they are returned; version 1 files are read without checksums (version() says
// which). The file is read as it was when opened: records appended later are not seen.
// Memory: the payload returned, at most min(file size, max_payload) bytes, and two 64 KiB buffers;
// a damaged length is never allocated. Records are numbered from 1 in file order; a damaged
// stretch skipped by skip_damaged() counts as one record (its byte offset is exact).
class JournalReader {
 public:
  // Throws std::runtime_error naming the file when it cannot be opened, is not a fillwire
  // journal, or has a version this build does not read.
  explicit JournalReader(const std::string& path, std::size_t max_payload = SIZE_MAX);
  ~JournalReader();
  JournalReader(const JournalReader&) = delete;
  JournalReader& operator=(const JournalReader&) = delete;

  // The next record. After `damaged` every call returns `damaged` again until skip_damaged().
  JournalRead read(JournalRecordHeader& header, std::string& payload);

  // read() until a record: false at the end of the file or at a damaged record (see error()).
  bool next(JournalRecordHeader& header, std::string& payload) {
    return read(header, payload) == JournalRead::record;
  }

  // After `damaged`: scans forward for the next record whose checksums verify. True when one was
  // found (the next read() returns it); false when none is left (read() then says `end`) or the
  // file is version 1 (no checksum can tell where a good record starts: read() stays `damaged`).
  // Bounded work: each byte is looked at once as a possible header (a 20-byte checksum) and a
  // payload is checksummed only behind a header that verifies, which is then skipped whole.
  bool skip_damaged();

  [[nodiscard]] std::uint32_t version() const noexcept { return version_; }
  [[nodiscard]] bool checksummed() const noexcept { return version_ >= kJournalVersion; }
  [[nodiscard]] const std::string& error() const noexcept { return error_; }  // the last damage
  [[nodiscard]] JournalDamage damage() const noexcept { return damage_; }
  [[nodiscard]] std::uint64_t records() const noexcept { return records_; }  // record, too_large
  [[nodiscard]] std::uint64_t damaged() const noexcept { return damaged_; }  // damaged stretches
  [[nodiscard]] std::uint64_t number() const noexcept { return number_; }    // of the last read()
  [[nodiscard]] std::uint64_t offset() const noexcept { return offset_; }    // its byte offset
  [[nodiscard]] std::uint64_t file_size() const noexcept { return size_; }

 private:
  JournalRead fail(JournalDamage damage, std::uint64_t resume, const std::string& what);
  bool read_at(std::uint64_t offset, void* dst, std::size_t size);
  bool payload_crc_at(std::uint64_t offset, std::uint32_t length, std::uint32_t& crc);

  std::FILE* file_ = nullptr;
  std::string path_;
  std::string error_;
  std::unique_ptr<char[]> window_;  // skip_damaged's scan window
  std::unique_ptr<char[]> chunk_;   // checksums of payloads that are not loaded
  std::size_t max_payload_;
  std::uint32_t version_ = 0;
  std::size_t header_bytes_ = sizeof(JournalRecordHeader);
  std::uint64_t size_ = 0;                       // bytes in the file when opened
  std::uint64_t pos_ = kJournalFileHeaderBytes;  // the next record
  std::uint64_t resume_ = 0;                     // where skip_damaged() starts
  std::uint64_t records_ = 0;
  std::uint64_t damaged_ = 0;
  std::uint64_t number_ = 0;
  std::uint64_t offset_ = 0;
  JournalDamage damage_ = JournalDamage::none;
  bool stopped_ = false;  // at a damaged record
};

}  // namespace fillwire
