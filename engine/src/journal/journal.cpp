#include "fillwire/journal.hpp"

#include <concurrentqueue/concurrentqueue.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <stdexcept>
#include <system_error>

namespace fillwire {

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
  JournalRecordHeader h{};
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
  return *producers_.back();
}

void Journal::open_file() {
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
    file_bytes_ = 8;
  }
}

void Journal::rotate() noexcept {
  std::fclose(file_);
  file_ = nullptr;
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
  try {
    open_file();
  } catch (...) {
    write_errors_.fetch_add(1, std::memory_order_relaxed);
  }
  rotations_.fetch_add(1, std::memory_order_relaxed);
}

void Journal::write_item(const Item& item) noexcept {
  JournalProducer& p = *producers_[item.producer];
  if (file_ != nullptr && file_bytes_ + item.length > config_.max_file_bytes && file_bytes_ > 8) {
    rotate();
  }
  if (file_ == nullptr ||
      std::fwrite(p.ring_.get() + item.offset, 1, item.length, file_) != item.length) {
    write_errors_.fetch_add(1, std::memory_order_relaxed);
  } else {
    file_bytes_ += item.length;
    bytes_.fetch_add(item.length - sizeof(JournalRecordHeader), std::memory_order_relaxed);
  }
  // release: hands the ring bytes back; pairs with the acquire load in JournalProducer::record.
  p.released_.store(item.release, std::memory_order_release);
  written_.fetch_add(1, std::memory_order_release);
}

void Journal::run() noexcept {
  moodycamel::ConsumerToken consumer(queue_->q);
  Item items[256];
  auto last_flush = std::chrono::steady_clock::now();
  for (;;) {
    const std::size_t n = queue_->q.try_dequeue_bulk(consumer, items, std::size(items));
    for (std::size_t i = 0; i < n; ++i)
      write_item(items[i]);
    const auto now = std::chrono::steady_clock::now();
    if (n == 0 || now - last_flush > std::chrono::milliseconds(100)) {
      if (file_ != nullptr) std::fflush(file_);
      last_flush = now;
    }
    if (n == 0) {
      if (stop_.load(std::memory_order_acquire) && queue_->q.size_approx() == 0) break;
      // Cold thread: polling with a short sleep keeps every futex off the hot threads.
      std::this_thread::sleep_for(std::chrono::microseconds(500));
    }
  }
  if (file_ != nullptr) std::fflush(file_);
}

void Journal::flush() {
  std::uint64_t target = 0;
  for (const auto& p : producers_)
    target += p->enqueued_.load(std::memory_order_acquire);
  while (written_.load(std::memory_order_acquire) < target) {
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
  // The journal thread flushes stdio when its queue runs dry; wait for that pass.
  std::this_thread::sleep_for(std::chrono::milliseconds(2));
}

JournalCounters Journal::counters() const noexcept {
  JournalCounters c;
  c.records = written_.load(std::memory_order_relaxed);
  c.bytes = bytes_.load(std::memory_order_relaxed);
  c.rotations = rotations_.load(std::memory_order_relaxed);
  c.write_errors = write_errors_.load(std::memory_order_relaxed);
  for (const auto& p : producers_) {
    c.dropped += p->dropped_.load(std::memory_order_relaxed);
    c.too_large += p->too_large_.load(std::memory_order_relaxed);
  }
  return c;
}

// --- reader ------------------------------------------------------------------------------------

JournalReader::JournalReader(const std::string& path) : in_(path, std::ios::binary), path_(path) {
  if (!in_) throw std::runtime_error("journal '" + path + "' cannot be opened");
  char magic[4] = {};
  std::uint32_t version = 0;
  in_.read(magic, 4);
  in_.read(reinterpret_cast<char*>(&version), 4);
  if (!in_ || std::memcmp(magic, kJournalMagic, 4) != 0) {
    throw std::runtime_error("'" + path + "' is not a fillwire journal");
  }
  if (version != kJournalVersion) {
    throw std::runtime_error("journal '" + path + "' has version " + std::to_string(version) +
                             ", this build reads version " + std::to_string(kJournalVersion));
  }
  // The file's size bounds every record: a damaged length is found before anything is allocated.
  in_.seekg(0, std::ios::end);
  size_ = static_cast<std::uint64_t>(in_.tellg());
  in_.seekg(8);
}

bool JournalReader::next(JournalRecordHeader& header, std::string& payload) {
  in_.read(reinterpret_cast<char*>(&header), sizeof header);
  if (in_.gcount() == 0 && in_.eof()) return false;
  if (in_.gcount() != sizeof header) {
    error_ = "record " + std::to_string(records_ + 1) + ": header cut short";
    return false;
  }
  if (header.kind != JournalKind::frame && header.kind != JournalKind::notice &&
      header.kind != JournalKind::summary && header.kind != JournalKind::resync) {
    error_ = "record " + std::to_string(records_ + 1) + ": unknown kind " +
             std::to_string(static_cast<unsigned>(header.kind));
    return false;
  }
  const auto at = static_cast<std::uint64_t>(in_.tellg());
  const std::uint64_t left = size_ > at ? size_ - at : 0;
  if (header.length > left) {
    error_ = "record " + std::to_string(records_ + 1) + ": payload cut short (" +
             std::to_string(left) + " of " + std::to_string(header.length) + " bytes)";
    return false;
  }
  payload.resize(header.length);
  in_.read(payload.data(), header.length);
  if (static_cast<std::size_t>(in_.gcount()) != header.length) {
    error_ = "record " + std::to_string(records_ + 1) + ": payload cut short (" +
             std::to_string(in_.gcount()) + " of " + std::to_string(header.length) + " bytes)";
    return false;
  }
  ++records_;
  return true;
}

}  // namespace fillwire
