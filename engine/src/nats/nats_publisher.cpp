// NatsPublisher: the journal tail, batching, and one publish in flight with ExpectLastSeq.

#include "fillwire/nats_publisher.hpp"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <random>
#include <stdexcept>
#include <thread>

#include "fillwire/journal_tail.hpp"
#include "fillwire/safe_text.hpp"
#include "nats_link.hpp"

namespace fillwire {

namespace {

using Clock = std::chrono::steady_clock;

std::string new_run_id() {
  std::random_device rd;
  const std::uint64_t v = (static_cast<std::uint64_t>(rd()) << 32) ^ rd();
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(v));
  return buf;
}

constexpr std::int64_t kNanosPerSecond = 1'000'000'000;

}  // namespace

struct NatsPublisher::Impl {
  Impl(const Journal& j, NatsPublisherConfig c)
      : journal(j),
        cfg(std::move(c)),
        stream(nats_stream_name(cfg.nats.account)),
        subject(nats_subject(cfg.nats.account)),
        run(new_run_id()),
        tail(j.path(), JournalTail::Start::end, cfg.max_batch_bytes),
        base_records(j.counters().records) {}

  // --- the publishing thread ---------------------------------------------------------------

  void main() noexcept {
    std::chrono::milliseconds backoff = cfg.retry_min;
    for (;;) {
      if (stopping() && (caught_up() || refused.load() || Clock::now() >= stop_deadline())) {
        break;
      }
      bool ok = true;
      try {
        if (refused.load()) {
          wait_for(cfg.retry_max);
          continue;
        }
        if (!link) ok = connect();
        if (ok && refused.load()) continue;  // found so by the stream set-up just now
        if (ok && batch_count == 0) fill_batch();
        if (ok && batch_count == 0) {
          if (in_backfill) in_backfill = false;  // caught up with the journal
          wait_for(std::chrono::microseconds(200));
          continue;
        }
        if (ok) ok = publish_batch();
      } catch (const std::exception& e) {  // an allocation failure: retried as any failure
        set_error(std::string("publisher: ") + e.what());
        ok = false;
      }
      if (ok) {
        backoff = cfg.retry_min;
      } else {
        in_backfill = true;
        wait_for(backoff);
        backoff = std::min(backoff * 2, cfg.retry_max);
      }
    }
    link.reset();
  }

  bool connect() {
    try {
      if (link) reconnects_before += link->reconnects();
      link = std::make_unique<nats::Link>(cfg.nats, "fillwire gateway " + cfg.nats.account);
      ensure_stream();
      connected.store(true);
      return true;
    } catch (const std::exception& e) {
      link.reset();
      connected.store(false);
      connect_errors.fetch_add(1);
      set_error(e.what());
      return false;
    }
  }

  // The stream is made when missing; an existing one must take our subject and hold only this
  // account's records. Throws.
  void ensure_stream() {
    std::string error;
    bool not_found = false;
    nats::StreamInfoPtr si = link->stream_info(stream, error, not_found);
    if (!si && not_found) {
      jsStreamConfig sc;
      jsStreamConfig_Init(&sc);
      const char* subjects[] = {subject.c_str()};
      sc.Name = stream.c_str();
      sc.Subjects = subjects;
      sc.SubjectsLen = 1;
      sc.Storage = js_FileStorage;
      sc.Replicas = cfg.nats.replicas;
      sc.Duplicates = cfg.nats.duplicate_window.count() * kNanosPerSecond;
      sc.MaxAge = cfg.nats.max_age.count() * kNanosPerSecond;
      sc.MaxBytes = cfg.nats.max_bytes;
      jsStreamInfo* made = nullptr;
      jsErrCode code = static_cast<jsErrCode>(0);
      const natsStatus s = js_AddStream(&made, link->js(), &sc, nullptr, &code);
      if (s != NATS_OK) {
        throw std::runtime_error("cannot create stream " + stream + ": " + link->error(s, code));
      }
      si.reset(made);
    } else if (!si) {
      throw std::runtime_error("stream " + stream + ": " + error);
    }
    const jsStreamConfig* c = si->Config;
    const bool takes_subject =
        c != nullptr && std::any_of(c->Subjects, c->Subjects + c->SubjectsLen,
                                    [&](const char* s) { return s != nullptr && subject == s; });
    if (!takes_subject) {
      throw std::runtime_error("stream " + stream + " exists without the subject " + subject);
    }
    last_seq = si->State.LastSeq;
    stream_last_seq.store(last_seq);
    if (last_seq > 0) check_last_message();
  }

  // The stream's last message must be this account's. Throws when it cannot be read; marks the
  // publisher refused when it belongs to another account.
  void check_last_message() {
    nats::MsgPtr last = last_message();
    const std::string_view account = nats::header(last.get(), kNatsHeaderAccount);
    if (account != cfg.nats.account) {
      refused.store(true);
      set_error("stream " + stream + " holds records of another account (" +
                quote_server_text(account, 64) + "); nothing is published to it");
    }
  }

  nats::MsgPtr last_message() {
    natsMsg* m = nullptr;
    jsErrCode code = static_cast<jsErrCode>(0);
    const natsStatus s =
        js_GetLastMsg(&m, link->js(), stream.c_str(), subject.c_str(), nullptr, &code);
    if (s != NATS_OK) {
      throw std::runtime_error("cannot read the last message of " + stream + ": " +
                               link->error(s, code));
    }
    return nats::MsgPtr(m);
  }

  void fill_batch() {
    // Bounded: each pass takes a record or passes over a damaged one, up to the batch limits.
    for (std::size_t pass = 0; pass < 4 * cfg.max_batch_records; ++pass) {
      if (batch_count >= cfg.max_batch_records || batch.size() >= cfg.max_batch_bytes) return;
      JournalRecordHeader h{};
      const TailRead r = tail.next(batch, h);
      if (r == TailRead::none) return;
      if (r != TailRead::record) {
        skipped.fetch_add(1);
        set_error("journal: " + tail.error());
        continue;
      }
      if (batch_count == 0) {
        batch_first = next_record;
        oldest_read = Clock::now();
        oldest_read_ns.store(
            std::chrono::duration_cast<std::chrono::nanoseconds>(oldest_read.time_since_epoch())
                .count());
      }
      ++batch_count;
      ++next_record;
      records.fetch_add(1);
      pending.store(batch_count);
    }
  }

  bool publish_batch() {
    const std::string msg_id = run + "-" + std::to_string(batch_first);
    natsMsg* raw = nullptr;
    natsStatus s = natsMsg_Create(&raw, subject.c_str(), nullptr, batch.data(),
                                  static_cast<int>(batch.size()));
    if (s != NATS_OK) throw std::runtime_error("message: " + link->error(s));
    nats::MsgPtr msg(raw);
    const std::string first = std::to_string(batch_first);
    const std::string count = std::to_string(batch_count);
    natsMsgHeader_Set(raw, kNatsHeaderAccount, cfg.nats.account.c_str());
    natsMsgHeader_Set(raw, kNatsHeaderRun, run.c_str());
    natsMsgHeader_Set(raw, kNatsHeaderSeq, first.c_str());
    natsMsgHeader_Set(raw, kNatsHeaderRecords, count.c_str());
    natsMsgHeader_Set(raw, kNatsHeaderFormat, "FWJ1/2");
    jsPubOptions o;
    jsPubOptions_Init(&o);
    o.MsgId = msg_id.c_str();
    o.MaxWait = cfg.nats.request_timeout.count();
    o.ExpectLastSeq = last_seq;  // 0 (an empty stream) expects nothing
    jsPubAck* ack = nullptr;
    jsErrCode code = static_cast<jsErrCode>(0);
    s = js_PublishMsg(&ack, link->js(), raw, &o, &code);
    if (s == NATS_OK) {
      last_seq = ack->Sequence;
      const bool duplicate = ack->Duplicate;
      jsPubAck_Destroy(ack);
      acknowledged(duplicate);
      return true;
    }
    publish_errors.fetch_add(1);
    in_backfill = true;  // what waits in the journal meanwhile is published after the failure
    set_error("publish to " + stream + ": " + link->error(s, code));
    // Did it land (an ack lost, or a retry after one)? The stream's last message says.
    try {
      nats::MsgPtr last = last_message();
      const std::uint64_t seq = natsMsg_GetSequence(last.get());
      if (nats::header(last.get(), "Nats-Msg-Id") == msg_id) {
        last_seq = seq;
        acknowledged(true);
        return true;
      }
      if (code == JSStreamWrongLastSequenceErr && seq != last_seq) {
        // Another writer, or messages removed: follow the stream as it is, and say so.
        set_error("stream " + stream + " changed under the publisher (last sequence " +
                  std::to_string(seq) + ", expected " + std::to_string(last_seq) +
                  "): is another gateway publishing this account?");
        if (nats::header(last.get(), kNatsHeaderAccount) != cfg.nats.account) refused.store(true);
        last_seq = seq;
      }
    } catch (const std::exception& e) {
      set_error(e.what());
    }
    if (!link->connected()) connected.store(false);
    return false;
  }

  void acknowledged(bool duplicate) {
    published.fetch_add(batch_count);
    messages.fetch_add(1);
    if (duplicate) duplicates.fetch_add(1);
    if (in_backfill) backfilled.fetch_add(batch_count);
    stream_last_seq.store(last_seq);
    connected.store(true);
    reconnects.store(reconnects_before + link->reconnects());
    batch.clear();
    batch_count = 0;
    pending.store(0);
    oldest_read_ns.store(0);
  }

  // --- shared with other threads ---------------------------------------------------------------

  bool caught_up() const {
    return batch_count == 0 && published.load() + skipped.load() >= target();
  }
  std::uint64_t target() const { return journal.counters().records - base_records; }

  bool stopping() {
    std::lock_guard lock(mutex);
    return stop_requested;
  }
  Clock::time_point stop_deadline() {
    std::lock_guard lock(mutex);
    return deadline;
  }
  template <class Duration>
  void wait_for(Duration d) {
    std::unique_lock lock(mutex);
    const auto until = Clock::now() + d;
    cv.wait_until(lock, stop_requested ? std::min(until, deadline) : until,
                  [&] { return stop_requested && Clock::now() >= deadline; });
  }
  void set_error(std::string text) {
    std::lock_guard lock(mutex);
    last_error = std::move(text);
  }

  const Journal& journal;
  NatsPublisherConfig cfg;
  std::string stream;
  std::string subject;
  std::string run;
  JournalTail tail;
  std::uint64_t base_records;
  std::unique_ptr<nats::Link> link;
  // Publishing thread only.
  std::string batch;
  std::uint64_t batch_first = 0;
  std::uint64_t batch_count = 0;
  std::uint64_t next_record = 1;
  std::uint64_t last_seq = 0;
  Clock::time_point oldest_read{};
  bool in_backfill = false;
  // Any thread.
  std::atomic<std::uint64_t> records{0}, published{0}, messages{0}, duplicates{0}, pending{0},
      backfilled{0}, publish_errors{0}, connect_errors{0}, skipped{0}, stream_last_seq{0},
      reconnects{0};
  std::uint64_t reconnects_before = 0;  // of links made before this one
  std::atomic<std::int64_t> oldest_read_ns{0};
  std::atomic<bool> connected{false}, refused{false};
  mutable std::mutex mutex;
  std::condition_variable cv;
  bool stop_requested = false;
  Clock::time_point deadline{};
  std::string last_error;
  std::thread thread;
};

NatsPublisher::NatsPublisher(const Journal& journal, NatsPublisherConfig config) {
  validate(config.nats);
  if (config.max_batch_records == 0 || config.max_batch_bytes < 1024) {
    throw std::invalid_argument("NATS batches need at least 1 record and 1 KiB");
  }
  impl_ = std::make_unique<Impl>(journal, std::move(config));
  impl_->thread = std::thread([this] { impl_->main(); });
}

NatsPublisher::~NatsPublisher() {
  stop();
}

void NatsPublisher::stop() {
  if (!impl_ || !impl_->thread.joinable()) return;
  {
    std::lock_guard lock(impl_->mutex);
    if (!impl_->stop_requested) {
      impl_->stop_requested = true;
      impl_->deadline = Clock::now() + impl_->cfg.stop_timeout;
    }
  }
  impl_->cv.notify_all();
  impl_->thread.join();
}

bool NatsPublisher::wait_published(std::chrono::milliseconds timeout) {
  const std::uint64_t target = impl_->target();
  const auto until = Clock::now() + timeout;
  while (impl_->published.load() + impl_->skipped.load() < target) {
    if (Clock::now() >= until) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return true;
}

NatsPublisherCounters NatsPublisher::counters() const {
  const Impl& i = *impl_;
  NatsPublisherCounters c;
  c.records = i.records.load();
  c.published = i.published.load();
  c.messages = i.messages.load();
  c.duplicates = i.duplicates.load();
  c.pending = i.pending.load();
  const std::uint64_t target = i.target();
  const std::uint64_t done = c.published + i.skipped.load();
  c.lag_records = target > done ? target - done : 0;
  const std::int64_t oldest = i.oldest_read_ns.load();
  if (c.lag_records > 0 && oldest > 0) {
    const std::int64_t now =
        std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch())
            .count();
    c.lag_seconds = static_cast<double>(now - oldest) / kNanosPerSecond;
  }
  c.backfilled = i.backfilled.load();
  c.publish_errors = i.publish_errors.load();
  c.connect_errors = i.connect_errors.load();
  c.skipped = i.skipped.load();
  c.reconnects = i.reconnects.load();
  c.stream_last_seq = i.stream_last_seq.load();
  c.connected = i.connected.load();
  c.refused = i.refused.load();
  return c;
}

std::string NatsPublisher::last_error() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->last_error;
}

const std::string& NatsPublisher::run_id() const noexcept {
  return impl_->run;
}
const std::string& NatsPublisher::stream() const noexcept {
  return impl_->stream;
}

}  // namespace fillwire
