#include "fillwire/journal.hpp"

#include <sys/types.h>

#include <concurrentqueue/concurrentqueue.h>
#include <boost/crc.hpp>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <stdexcept>
#include <string>
#include <system_error>

namespace fillwire {

namespace {
using Crc32c = boost::crc_optimal<32, 0x1EDC6F41, 0xFFFFFFFF, 0xFFFFFFFF, true, true>;
constexpr std::size_t kChunkBytes = 64 * 1024;  // the reader's scan window and checksum chunk
}  // namespace

std::uint32_t crc32c(const void* data, std::size_t size) noexcept {
  Crc32c crc;
  crc.process_bytes(data, size);
  return crc.checksum();
}

std::uint32_t journal_header_crc(const JournalRecordHeader& header) noexcept {
  return crc32c(&header, offsetof(JournalRecordHeader, header_crc));
}

// What travels through the queue: where a record sits in its producer's ring.
struct Journal::Item {
  std::uint32_t producer;
  std::uint32_t length;   // header + payload bytes
  std::uint64_t offset;   // start within the ring
  std::uint64_t release;  // the producer's `released` value once this record is written
};

struct Journal::Queue {
  moodycamel::ConcurrentQueue<Item> q;
  Queue(std::size_t capacity, std::size_t producers) : q(capacity, producers, 0) {}
};

struct JournalProducer::TokenHolder {
  moodycamel::ProducerToken token;
  explicit TokenHolder(moodycamel::ConcurrentQueue<Journal::Item>& q) : token(q) {}
};

// --- producer (hot threads) ------------------------------------------------------------------

JournalProducer::JournalProducer(Journal& journal, std::uint32_t id, std::size_t ring_bytes)
    : journal_(journal),
      id_(id),
      ring_(new char[ring_bytes]),
      capacity_(ring_bytes),
      token_(std::make_unique<TokenHolder>(journal.queue_->q)) {
  std::memset(ring_.get(), 0, capacity_);  // touch the pages now, not on the hot path
}

JournalProducer::~JournalProducer() = default;

bool JournalProducer::record(JournalKind kind, const char* data, std::size_t size,
                             std::uint64_t recv_ns) noexcept {
  const std::size_t need = sizeof(JournalRecordHeader) + size;
  if (need > capacity_ || size > UINT32_MAX - sizeof(JournalRecordHeader)) {
    too_large_.store(too_large_.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
    return false;
  }
  // A record is contiguous: if it does not fit before the end of the ring, the tail is skipped.
  std::uint64_t start = head_;
  const std::size_t pos = static_cast<std::size_t>(start % capacity_);
  if (pos + need > capacity_) start += capacity_ - pos;
  const std::uint64_t end = start + need;
  // acquire: pairs with the journal thread's release store after it wrote the bytes we reuse.
  if (end - released_.load(std::memory_order_acquire) > capacity_) {
    dropped_.store(dropped_.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
    return false;
  }
  char* dst = ring_.get() + (start % capacity_);
  JournalRecordHeader h{};  // checksums zero: the journal thread computes them
  h.length = static_cast<std::uint32_t>(size);
  h.kind = kind;
  h.recv_ns = recv_ns;
  std::memcpy(dst, &h, sizeof h);
  std::memcpy(dst + sizeof h, data, size);
  const Journal::Item item{id_, static_cast<std::uint32_t>(need), start % capacity_, end};
  // The queue's enqueue publishes the bytes written above (it releases; the dequeue acquires).
  if (!journal_.queue_->q.try_enqueue(token_->token, item)) {
    dropped_.store(dropped_.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
    return false;
  }
  head_ = end;
  enqueued_.store(enqueued_.load(std::memory_order_relaxed) + 1, std::memory_order_release);
  return true;
}

// --- journal thread ----------------------------------------------------------------------------

Journal::Journal(JournalConfig config)
    : config_(std::move(config)),
      queue_(std::make_unique<Queue>(config_.queue_capacity, config_.max_producers)) {
  if (config_.path.empty()) throw std::invalid_argument("journal: no file path given");
  producers_.reserve(config_.max_producers);  // never reallocated while the thread reads it
  open_file();
  thread_ = std::thread([this] { run(); });
}

Journal::~Journal() {
  stop_.store(true, std::memory_order_release);
  if (thread_.joinable()) thread_.join();
  if (file_ != nullptr) std::fclose(file_);
}

JournalProducer& Journal::make_producer() {
  if (producers_.size() >= config_.max_producers) {
    throw std::length_error("journal: more producers than max_producers (" +
                            std::to_string(config_.max_producers) + ")");
  }
  producers_.emplace_back(new JournalProducer(*this, static_cast<std::uint32_t>(producers_.size()),
                                              config_.producer_ring_bytes));
  // release: the journal thread reads producers_[0, made) after an acquire load of this (the
  // vector never reallocates: reserved in the constructor).
  producers_made_.store(producers_.size(), std::memory_order_release);
  return *producers_.back();
}

namespace {

// What is at `path` now: nothing (or empty), a journal of this version, a journal of another
// version, or something else.
enum class Existing { none, current, other_version, foreign };

Existing existing_file(const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) return Existing::none;
  char head[kJournalFileHeaderBytes] = {};
  const std::size_t n = std::fread(head, 1, sizeof head, f);
  std::fclose(f);
  if (n == 0) return Existing::none;
  if (n < sizeof head || std::memcmp(head, kJournalMagic, sizeof kJournalMagic) != 0) {
    return Existing::foreign;
  }
  std::uint32_t version = 0;
  std::memcpy(&version, head + sizeof kJournalMagic, sizeof version);
  return version == kJournalVersion ? Existing::current : Existing::other_version;
}

}  // namespace

void Journal::open_file() {
  switch (existing_file(config_.path)) {
    case Existing::none:
    case Existing::current:
      break;
    case Existing::foreign:
      throw std::runtime_error("journal: '" + config_.path +
                               "' exists and is not a fillwire journal; not appending to it");
    case Existing::other_version:
      // Records of two versions never share a file: the old one is rotated aside, kept.
      if (config_.keep_files == 0) {
        throw std::runtime_error("journal: '" + config_.path + "' is a journal of another version" +
                                 " and keep_files is 0; move it away (this build writes version " +
                                 std::to_string(kJournalVersion) + ")");
      }
      shift_files();
      rotations_.fetch_add(1, std::memory_order_relaxed);
      break;
  }
  file_ = std::fopen(config_.path.c_str(), "ab");
  if (file_ == nullptr) {
    throw std::system_error(errno, std::generic_category(),
                            "journal: cannot open '" + config_.path + "'");
  }
  std::setvbuf(file_, nullptr, _IOFBF, 1u << 20);
  std::fseek(file_, 0, SEEK_END);
  const long size = std::ftell(file_);
  file_bytes_ = size > 0 ? static_cast<std::uint64_t>(size) : 0;
  if (file_bytes_ == 0) {
    std::fwrite(kJournalMagic, 1, sizeof kJournalMagic, file_);
    std::fwrite(&kJournalVersion, 1, sizeof kJournalVersion, file_);
    file_bytes_ = kJournalFileHeaderBytes;
  }
}

void Journal::shift_files() noexcept {
  const auto name = [&](unsigned i) { return config_.path + "." + std::to_string(i); };
  if (config_.keep_files > 0) {
    std::remove(name(config_.keep_files).c_str());
    for (unsigned i = config_.keep_files; i > 1; --i) {
      std::rename(name(i - 1).c_str(), name(i).c_str());
    }
    std::rename(config_.path.c_str(), name(1).c_str());
  } else {
    std::remove(config_.path.c_str());
  }
}

void Journal::rotate() noexcept {
  std::fclose(file_);
  file_ = nullptr;
  shift_files();
  try {
    open_file();
  } catch (...) {
    write_errors_.fetch_add(1, std::memory_order_relaxed);
  }
  rotations_.fetch_add(1, std::memory_order_relaxed);
}

// Writes one record: the header (its checksums computed here, never in record()) and payload.
void Journal::write_record(JournalRecordHeader h, const char* payload) noexcept {
  const std::size_t length = sizeof h + h.length;
  if (file_ != nullptr && file_bytes_ + length > config_.max_file_bytes &&
      file_bytes_ > kJournalFileHeaderBytes) {
    rotate();
  }
  h.payload_crc = crc32c(payload, h.length);
  h.header_crc = journal_header_crc(h);
  if (file_ == nullptr || std::fwrite(&h, 1, sizeof h, file_) != sizeof h ||
      std::fwrite(payload, 1, h.length, file_) != h.length) {
    write_errors_.fetch_add(1, std::memory_order_relaxed);
  } else {
    file_bytes_ += length;
    bytes_.fetch_add(h.length, std::memory_order_relaxed);
  }
}

void Journal::write_item(const Item& item) noexcept {
  JournalProducer& p = *producers_[item.producer];
  const char* bytes = p.ring_.get() + item.offset;
  JournalRecordHeader h;
  std::memcpy(&h, bytes, sizeof h);
  write_record(h, bytes + sizeof h);
  // release: hands the ring bytes back; pairs with the acquire load in JournalProducer::record.
  p.released_.store(item.release, std::memory_order_release);
  written_.fetch_add(1, std::memory_order_release);
  items_written_.fetch_add(1, std::memory_order_release);  // release: pairs with flush()
}

// Records a hot thread could not journal are said in the journal itself, where they went missing:
// a notice "journal: records not journaled: N ..." (kJournalLossNotice) after the records written
// before the loss was seen, so whoever reads the journal (a replay, a follower) knows the state it
// rebuilds from there on may lack them.
void Journal::tell_losses() noexcept {
  std::uint64_t lost = 0;
  const std::size_t made = producers_made_.load(std::memory_order_acquire);  // see make_producer
  for (std::size_t i = 0; i < made; ++i) {
    lost += producers_[i]->dropped_.load(std::memory_order_relaxed) +
            producers_[i]->too_large_.load(std::memory_order_relaxed);
  }
  if (lost <= lost_told_) return;
  char text[160];
  const int n =
      std::snprintf(text, sizeof text, "%s%llu (ring or queue full, or too large; %llu in all)",
                    kJournalLossNotice, static_cast<unsigned long long>(lost - lost_told_),
                    static_cast<unsigned long long>(lost));
  lost_told_ = lost;
  JournalRecordHeader h{};
  h.length = static_cast<std::uint32_t>(std::min<int>(n, static_cast<int>(sizeof text) - 1));
  h.kind = JournalKind::notice;
  h.recv_ns = static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                             std::chrono::steady_clock::now().time_since_epoch())
                                             .count());
  write_record(h, text);
  loss_notices_.fetch_add(1, std::memory_order_relaxed);
  written_.fetch_add(1, std::memory_order_release);  // a record of the file like any other
}

void Journal::run() noexcept {
  moodycamel::ConsumerToken consumer(queue_->q);
  Item items[256];
  auto last_flush = std::chrono::steady_clock::now();
  for (;;) {
    const std::size_t n = queue_->q.try_dequeue_bulk(consumer, items, std::size(items));
    for (std::size_t i = 0; i < n; ++i)
      write_item(items[i]);
    tell_losses();
    const auto now = std::chrono::steady_clock::now();
    if (n == 0 || now - last_flush > std::chrono::milliseconds(100)) {
      if (file_ != nullptr) std::fflush(file_);
      last_flush = now;
      // release: what this pass wrote, said and flushed; pairs with the acquire load in flush().
      flushes_.fetch_add(1, std::memory_order_release);
    }
    if (n == 0) {
      if (stop_.load(std::memory_order_acquire) && queue_->q.size_approx() == 0) break;
      // Cold thread: polling with a short sleep keeps every futex off the hot threads.
      std::this_thread::sleep_for(std::chrono::microseconds(500));
    }
  }
  if (file_ != nullptr) std::fflush(file_);
  finished_.store(true, std::memory_order_release);  // release: pairs with flush()
}

void Journal::flush() {
  std::uint64_t target = 0;
  for (const auto& p : producers_)
    target += p->enqueued_.load(std::memory_order_acquire);
  // acquire (all): pair with the release stores of the journal thread.
  const auto ended = [this] { return finished_.load(std::memory_order_acquire); };
  while (items_written_.load(std::memory_order_acquire) < target && !ended()) {
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
  // Two more flushing passes of the journal thread (at most ~100 ms apart while it is busy): the
  // one under way may have begun before the last record; the next one began after it, so it has
  // said any loss seen until now and flushed stdio.
  const std::uint64_t flushes = flushes_.load(std::memory_order_acquire);
  while (flushes_.load(std::memory_order_acquire) < flushes + 2 && !ended()) {
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
}

JournalCounters Journal::counters() const noexcept {
  JournalCounters c;
  c.records = written_.load(std::memory_order_relaxed);
  c.bytes = bytes_.load(std::memory_order_relaxed);
  c.rotations = rotations_.load(std::memory_order_relaxed);
  c.write_errors = write_errors_.load(std::memory_order_relaxed);
  c.loss_notices = loss_notices_.load(std::memory_order_relaxed);
  const std::size_t made = producers_made_.load(std::memory_order_acquire);  // see make_producer
  for (std::size_t i = 0; i < made; ++i) {
    c.dropped += producers_[i]->dropped_.load(std::memory_order_relaxed);
    c.too_large += producers_[i]->too_large_.load(std::memory_order_relaxed);
  }
  return c;
}

// --- reader ------------------------------------------------------------------------------------

namespace {

std::string hex(std::uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%08x", v);
  return buf;
}

bool known_kind(JournalKind kind) noexcept {
  return kind == JournalKind::frame || kind == JournalKind::notice ||
         kind == JournalKind::summary || kind == JournalKind::resync ||
         kind == JournalKind::resync_event;
}

}  // namespace

JournalReader::JournalReader(const std::string& path, std::size_t max_payload)
    : path_(path),
      window_(new char[kChunkBytes]),
      chunk_(new char[kChunkBytes]),
      max_payload_(max_payload) {
  file_ = std::fopen(path.c_str(), "rb");
  if (file_ == nullptr) {
    throw std::runtime_error("journal '" + path +
                             "' cannot be opened: " + std::generic_category().message(errno));
  }
  if (std::fseek(file_, 0, SEEK_END) != 0 || std::ftell(file_) < 0) {
    std::fclose(file_);
    throw std::runtime_error("journal '" + path + "' cannot be read (not a regular file?)");
  }
  // The file's size bounds every record: a damaged length is found before anything is allocated.
  size_ = static_cast<std::uint64_t>(std::ftell(file_));
  char head[kJournalFileHeaderBytes] = {};
  if (!read_at(0, head, sizeof head) ||
      std::memcmp(head, kJournalMagic, sizeof kJournalMagic) != 0) {
    std::fclose(file_);
    throw std::runtime_error("'" + path + "' is not a fillwire journal (no FWJ1 header)");
  }
  std::memcpy(&version_, head + sizeof kJournalMagic, sizeof version_);
  if (version_ != kJournalVersion && version_ != kJournalVersionV1) {
    std::fclose(file_);
    throw std::runtime_error("journal '" + path + "' has version " + std::to_string(version_) +
                             "; this build reads versions 1 and 2");
  }
  header_bytes_ =
      version_ == kJournalVersionV1 ? kJournalRecordHeaderBytesV1 : sizeof(JournalRecordHeader);
}

JournalReader::~JournalReader() {
  if (file_ != nullptr) std::fclose(file_);
}

bool JournalReader::read_at(std::uint64_t offset, void* dst, std::size_t size) {
  if (offset > size_ || size > size_ - offset) return false;  // never past the file as opened
  if (fseeko(file_, static_cast<off_t>(offset), SEEK_SET) != 0) return false;
  return std::fread(dst, 1, size, file_) == size;
}

// Checksums a payload through the fixed chunk buffer, without loading it.
bool JournalReader::payload_crc_at(std::uint64_t offset, std::uint32_t length, std::uint32_t& crc) {
  Crc32c c;
  for (std::uint64_t done = 0; done < length;) {
    const std::size_t n =
        static_cast<std::size_t>(std::min<std::uint64_t>(kChunkBytes, length - done));
    if (!read_at(offset + done, chunk_.get(), n)) return false;
    c.process_bytes(chunk_.get(), n);
    done += n;
  }
  crc = c.checksum();
  return true;
}

JournalRead JournalReader::fail(JournalDamage damage, std::uint64_t resume,
                                const std::string& what) {
  damage_ = damage;
  resume_ = resume;
  stopped_ = true;
  ++damaged_;
  error_ =
      "record " + std::to_string(number_) + " at byte " + std::to_string(offset_) + ": " + what;
  return JournalRead::damaged;
}

JournalRead JournalReader::read(JournalRecordHeader& header, std::string& payload) {
  payload.clear();  // nothing of a damaged record is ever returned (the capacity is kept)
  if (stopped_) return JournalRead::damaged;
  if (pos_ >= size_) return JournalRead::end;
  ++number_;
  offset_ = pos_;
  const std::uint64_t left = size_ - pos_;
  if (left < header_bytes_) {
    return fail(JournalDamage::header_cut_short, pos_ + 1,
                "header cut short (" + std::to_string(left) + " of " +
                    std::to_string(header_bytes_) + " bytes)");
  }
  header = JournalRecordHeader{};
  if (!read_at(pos_, &header, header_bytes_)) {
    return fail(JournalDamage::read_error, size_, "read error (file changed or I/O error)");
  }
  if (checksummed()) {
    const std::uint32_t crc = journal_header_crc(header);
    if (crc != header.header_crc) {
      return fail(JournalDamage::header_checksum, pos_ + 1,
                  "header checksum mismatch (stored " + hex(header.header_crc) + ", computed " +
                      hex(crc) + "; length field " + std::to_string(header.length) + ")");
    }
  }
  if (!known_kind(header.kind)) {
    return fail(JournalDamage::bad_kind, pos_ + 1,
                "unknown kind " + std::to_string(static_cast<unsigned>(header.kind)));
  }
  const std::uint64_t room = left - header_bytes_;
  if (header.length > room) {
    return fail(JournalDamage::length_past_end, pos_ + 1,
                "length " + std::to_string(header.length) + " runs past the end of the file (" +
                    std::to_string(room) + " bytes left)");
  }
  const std::uint64_t at = pos_ + header_bytes_;
  const std::uint64_t after = at + header.length;
  std::uint32_t crc = 0;
  if (header.length > max_payload_) {
    payload.clear();
    if (!payload_crc_at(at, header.length, crc)) {
      return fail(JournalDamage::read_error, size_, "read error (file changed or I/O error)");
    }
  } else {
    payload.resize(header.length);  // at most the bytes the file still holds
    if (!read_at(at, payload.data(), header.length)) {
      payload.clear();
      return fail(JournalDamage::read_error, size_, "read error (file changed or I/O error)");
    }
    if (checksummed()) crc = crc32c(payload.data(), payload.size());
  }
  if (checksummed() && crc != header.payload_crc) {
    payload.clear();  // a damaged record is reported, never returned
    // The header verified, so its length is right: a skip resumes after this payload.
    return fail(JournalDamage::payload_checksum, after,
                "payload checksum mismatch (stored " + hex(header.payload_crc) + ", computed " +
                    hex(crc) + ", " + std::to_string(header.length) + " bytes)");
  }
  pos_ = after;
  ++records_;
  return header.length > max_payload_ ? JournalRead::too_large : JournalRead::record;
}

bool JournalReader::skip_damaged() {
  if (!stopped_) return pos_ < size_;
  if (!checksummed()) return false;
  constexpr std::size_t hb = sizeof(JournalRecordHeader);
  std::uint64_t win_start = 0;
  std::uint64_t win_end = 0;  // [win_start, win_end) of the file is in window_
  for (std::uint64_t p = resume_; p < size_ && size_ - p >= hb;) {
    if (p < win_start || p + hb > win_end) {
      const std::size_t n =
          static_cast<std::size_t>(std::min<std::uint64_t>(kChunkBytes, size_ - p));
      if (!read_at(p, window_.get(), n)) break;
      win_start = p;
      win_end = p + n;
    }
    const char* at = window_.get() + (p - win_start);
    JournalRecordHeader h;
    std::memcpy(&h, at, hb);
    if (!known_kind(h.kind) || journal_header_crc(h) != h.header_crc || h.length > size_ - p - hb) {
      ++p;  // not a header: look one byte on
      continue;
    }
    std::uint32_t crc = 0;
    if (!payload_crc_at(p + hb, h.length, crc)) break;
    if (crc == h.payload_crc) {
      pos_ = p;
      stopped_ = false;
      return true;
    }
    p += hb + h.length;  // a true header over a damaged payload: part of the same damage
  }
  pos_ = size_;
  stopped_ = false;
  return false;
}

}  // namespace fillwire
