#pragma once
// Journal: an append-only, replayable file of the raw frames the exchange sent, plus connection
// notices and summaries, written by a cold thread so the hot threads never wait on a disk.
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
// File format (little-endian): an 8-byte header "FWJ1" + u32 version (1), then records:
//
//     0          4        5        8                16
//     +----------+--------+--------+----------------+---------------------+
//     | length   | kind   | 0 0 0  | recv_ns        | payload (length B)  |
//     +----------+--------+--------+----------------+---------------------+
//
// Rotation: when a file would pass max_file_bytes, `path` becomes `path.1` (older ones shift up to
// `path.<keep_files>`, the oldest deleted) and a new `path` starts with its own header.

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace fillwire {

// frame: a WebSocket frame as received. resync: an order from a REST resync, written as the
// equivalent myOrder JSON, so that replaying frames and resyncs in order rebuilds the live state.
enum class JournalKind : std::uint8_t { frame = 1, notice = 2, summary = 3, resync = 4 };

struct JournalRecordHeader {
  std::uint32_t length;
  JournalKind kind;
  std::uint8_t reserved[3];
  std::uint64_t recv_ns;
};
static_assert(sizeof(JournalRecordHeader) == 16, "The on-disk record header is 16 bytes.");

inline constexpr char kJournalMagic[4] = {'F', 'W', 'J', '1'};
inline constexpr std::uint32_t kJournalVersion = 1;

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
};

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

  // Blocks until every record enqueued before the call is written and flushed (cold; tests).
  void flush();

  [[nodiscard]] JournalCounters counters() const noexcept;
  [[nodiscard]] const std::string& path() const noexcept { return config_.path; }

 private:
  friend class JournalProducer;
  struct Item;
  struct Queue;

  void run() noexcept;
  void write_item(const Item& item) noexcept;
  void open_file();
  void rotate() noexcept;

  JournalConfig config_;
  std::unique_ptr<Queue> queue_;
  std::vector<std::unique_ptr<JournalProducer>> producers_;
  std::FILE* file_ = nullptr;
  std::uint64_t file_bytes_ = 0;
  std::atomic<std::uint64_t> written_{0};
  std::atomic<std::uint64_t> bytes_{0};
  std::atomic<std::uint64_t> rotations_{0};
  std::atomic<std::uint64_t> write_errors_{0};
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

// Reads a journal file record by record (cold path; replay and tools). The file is read as it
// was when opened: records appended later are not seen.
class JournalReader {
 public:
  explicit JournalReader(const std::string& path);  // throws if unreadable or not a journal

  // The next record; false at the end of the file or at a damaged record (then error() says
  // which, e.g. a record cut short by a crash: everything before it was read). A record whose
  // length runs past the end of the file is reported without allocating that length.
  bool next(JournalRecordHeader& header, std::string& payload);
  [[nodiscard]] const std::string& error() const noexcept { return error_; }
  [[nodiscard]] std::uint64_t records() const noexcept { return records_; }

 private:
  std::ifstream in_;
  std::string path_;
  std::string error_;
  std::uint64_t records_ = 0;
  std::uint64_t size_ = 0;  // bytes in the file when opened
};

}  // namespace fillwire
