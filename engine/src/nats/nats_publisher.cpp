// NatsPublisher: the journal tail, batching, and one publish in flight with ExpectLastSeq.

#include "fillwire/nats_publisher.hpp"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <deque>
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
  // A message: a batch of whole records, and what became of its publish.
  struct Message {
    enum class State : std::uint8_t { sent, acked, failed };
    std::string bytes;
    std::uint64_t first = 0;  // its first record's number in the run
    std::uint64_t count = 0;
    std::string msg_id;
    Clock::time_point read{};  // when its first record was read from the journal
    State state = State::sent;
    std::uint64_t seq = 0;  // acked: its stream sequence
    bool duplicate = false;
    natsStatus status = NATS_OK;  // failed: why
    jsErrCode code = static_cast<jsErrCode>(0);
  };

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
        if (ok) ok = step();
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
    // What is still in flight is resolved (acked, failed or timed out) before the link goes.
    if (link) (void)wait_in_flight(cfg.nats.request_timeout * 2);
    link.reset();
  }

  // One pass: retire what was acknowledged, recover from a failure, send while the window has
  // room. False after a failure (the caller backs off).
  bool step() {
    retire();
    if (any_failed()) return recover();
    bool sent = false;
    while (in_flight() < cfg.max_in_flight) {
      if (!next_message()) break;
      if (!send(pending_.front())) return false;
      sent = true;
    }
    if (!sent) {
      if (in_flight() == 0 && pending_.empty() && in_backfill) in_backfill = false;  // caught up
      wait_for_acks(std::chrono::microseconds(200));
    }
    return true;
  }

  bool connect() {
    try {
      link = std::make_unique<nats::Link>(
          cfg.nats, "fillwire gateway " + cfg.nats.account, &Impl::on_ack, this,
          // nats.c counts an ack out after our handler ran:
          // room for the window and the acks being counted
          static_cast<std::int64_t>(2 * cfg.max_in_flight), &reconnects);
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

  // The next message to send at the front of pending_: one waiting to be sent again, or a new
  // batch of what the journal holds. False when there is nothing.
  bool next_message() {
    if (!pending_.empty()) return true;
    Message m;
    // Bounded: each pass takes a record or passes over a damaged one, up to the batch limits.
    for (std::size_t pass = 0; pass < 4 * cfg.max_batch_records; ++pass) {
      if (m.count >= cfg.max_batch_records || m.bytes.size() >= cfg.max_batch_bytes) break;
      JournalRecordHeader h{};
      const TailRead r = tail.next(m.bytes, h);
      if (r == TailRead::none) break;
      if (r != TailRead::record) {
        skipped.fetch_add(1);
        set_error("journal: " + tail.error());
        continue;
      }
      if (m.count == 0) {
        m.first = next_record;
        m.read = Clock::now();
      }
      ++m.count;
      ++next_record;
      records.fetch_add(1);
    }
    if (m.count == 0) return false;
    m.msg_id = run + "-" + std::to_string(m.first);
    pending.fetch_add(m.count);
    pending_.push_back(std::move(m));
    note_oldest();
    return true;
  }

  // Sends pending_'s front asynchronously, expecting the stream's last sequence to be the one
  // before it: the last acknowledged plus what is in flight ahead of it. So a message can only
  // land right after the one sent before it, and a lost one stops all that follow (they fail
  // with a wrong last sequence) until it is sent again: the stream keeps journal order.
  bool send(Message& m) {
    natsMsg* raw = nullptr;
    natsStatus s = natsMsg_Create(&raw, subject.c_str(), nullptr, m.bytes.data(),
                                  static_cast<int>(m.bytes.size()));
    if (s != NATS_OK) throw std::runtime_error("message: " + link->error(s));
    nats::MsgPtr msg(raw);
    const std::string first = std::to_string(m.first);
    const std::string count = std::to_string(m.count);
    natsMsgHeader_Set(raw, kNatsHeaderAccount, cfg.nats.account.c_str());
    natsMsgHeader_Set(raw, kNatsHeaderRun, run.c_str());
    natsMsgHeader_Set(raw, kNatsHeaderSeq, first.c_str());
    natsMsgHeader_Set(raw, kNatsHeaderRecords, count.c_str());
    natsMsgHeader_Set(raw, kNatsHeaderFormat, "FWJ1/2");
    const std::string id = m.msg_id;  // `m` moves into the window below
    jsPubOptions o;
    jsPubOptions_Init(&o);
    o.MsgId = id.c_str();
    o.MaxWait = cfg.nats.request_timeout.count();
    o.ExpectLastSeq = last_seq + in_flight();  // 0 (an empty stream, none ahead): no expectation
    {
      // The ack may come before js_PublishMsgAsync returns: the message is in flight first.
      std::lock_guard lock(flight_mutex);
      m.state = Message::State::sent;
      flight_.push_back(std::move(m));
    }
    pending_.pop_front();
    natsMsg* owned = msg.release();
    s = js_PublishMsgAsync(link->js(), &owned, &o);
    natsMsg_Destroy(owned);  // null when the library took it
    if (s == NATS_OK) return true;
    // Not sent (the connection away, the window full for too long): back to the front of
    // pending_, in order.
    publish_errors.fetch_add(1);
    set_error("publish to " + stream + ": " + link->error(s));
    std::lock_guard lock(flight_mutex);
    pending_.push_front(std::move(flight_.back()));
    flight_.pop_back();
    return false;
  }

  // nats.c's thread: the ack (or the failure) of one asynchronous publish. Never sends; destroys
  // the message (the library hands it over).
  static void on_ack(jsCtx*, natsMsg* msg, jsPubAck* pa, jsPubAckErr* pae, void* closure) {
    auto* self = static_cast<Impl*>(closure);
    const std::string_view id = nats::header(msg, "Nats-Msg-Id");
    {
      std::lock_guard lock(self->flight_mutex);
      for (Message& m : self->flight_) {
        if (m.state != Message::State::sent || m.msg_id != id) continue;
        if (pa != nullptr && pae == nullptr) {
          m.state = Message::State::acked;
          m.seq = pa->Sequence;
          m.duplicate = pa->Duplicate;
        } else {
          m.state = Message::State::failed;
          if (pae != nullptr) {
            m.status = pae->Err;
            m.code = pae->ErrCode;
          }
        }
        break;
      }
    }
    self->flight_cv.notify_all();
    natsMsg_Destroy(msg);  // the handler owns the message it is given (nats.h, jsPubAckHandler)
  }

  // The acknowledged messages at the front of the window, in order.
  void retire() {
    for (;;) {
      Message m;
      {
        std::lock_guard lock(flight_mutex);
        if (flight_.empty() || flight_.front().state != Message::State::acked) break;
        m = std::move(flight_.front());
        flight_.pop_front();
      }
      last_seq = m.seq;
      acknowledged(m);
    }
    note_oldest();
  }

  [[nodiscard]] bool any_failed() {
    std::lock_guard lock(flight_mutex);
    return std::any_of(flight_.begin(), flight_.end(),
                       [](const Message& m) { return m.state == Message::State::failed; });
  }

  [[nodiscard]] std::size_t in_flight() {
    std::lock_guard lock(flight_mutex);
    return flight_.size();
  }

  // A publish failed: once nothing is in flight any more (every ack or failure in, each bounded
  // by MaxWait), the stream's last message says how many of the window landed (a prefix: each
  // expected the one before it). Those count as published; the rest go back to pending_, in
  // order, to be sent again.
  bool recover() {
    if (!wait_in_flight(cfg.nats.request_timeout * 2)) return false;  // still resolving: later
    std::deque<Message> window;
    {
      std::lock_guard lock(flight_mutex);
      window.swap(flight_);
    }
    const auto failed = std::find_if(window.begin(), window.end(), [](const Message& m) {
      return m.state == Message::State::failed;
    });
    publish_errors.fetch_add(1);
    if (failed != window.end()) {
      set_error("publish to " + stream + ": " + link->error(failed->status, failed->code));
    }
    std::size_t landed = 0;
    try {
      nats::MsgPtr last = last_message();
      const std::uint64_t seq = natsMsg_GetSequence(last.get());
      const std::string_view id = nats::header(last.get(), "Nats-Msg-Id");
      for (std::size_t i = 0; i < window.size(); ++i) {
        if (window[i].msg_id == id) landed = i + 1;
      }
      if (landed == 0 && seq != last_seq) {
        // Another writer, or messages removed: follow the stream as it is, and say so.
        set_error("stream " + stream + " changed under the publisher (last sequence " +
                  std::to_string(seq) + ", expected " + std::to_string(last_seq) +
                  "): is another gateway publishing this account?");
        if (nats::header(last.get(), kNatsHeaderAccount) != cfg.nats.account) refused.store(true);
      }
      // The landed prefix ends at `seq`: its messages are seq - landed + 1 ... seq.
      for (std::size_t i = 0; i < landed; ++i) {
        window[i].seq = seq - (landed - 1 - i);
        window[i].duplicate = window[i].state != Message::State::acked;
        last_seq = window[i].seq;
        acknowledged(window[i]);
      }
      last_seq = seq;
    } catch (const std::exception& e) {
      set_error(e.what());
      landed = 0;
    }
    // The rest, in order, ahead of anything not yet sent.
    for (std::size_t i = window.size(); i > landed; --i) {
      window[i - 1].state = Message::State::sent;
      pending_.push_front(std::move(window[i - 1]));
    }
    note_oldest();
    if (!link->connected()) connected.store(false);
    return false;
  }

  // Waits until nothing in flight is still unanswered (or `within`). True when so.
  template <class Duration>
  bool wait_in_flight(Duration within) {
    std::unique_lock lock(flight_mutex);
    return flight_cv.wait_for(lock, within, [&] {
      return std::none_of(flight_.begin(), flight_.end(),
                          [](const Message& m) { return m.state == Message::State::sent; });
    });
  }

  template <class Duration>
  void wait_for_acks(Duration d) {
    std::unique_lock lock(flight_mutex);
    flight_cv.wait_for(
        lock, d, [&] { return !flight_.empty() && flight_.front().state != Message::State::sent; });
  }

  void acknowledged(const Message& m) {
    published.fetch_add(m.count);
    pending.fetch_sub(m.count);
    messages.fetch_add(1);
    if (m.duplicate) duplicates.fetch_add(1);
    if (in_backfill) backfilled.fetch_add(m.count);
    stream_last_seq.store(last_seq);
    connected.store(true);
  }

  // The oldest record not yet acknowledged: when it was read (for lag_seconds).
  void note_oldest() {
    Clock::time_point oldest{};
    {
      std::lock_guard lock(flight_mutex);
      if (!flight_.empty()) oldest = flight_.front().read;
    }
    if (oldest == Clock::time_point{} && !pending_.empty()) oldest = pending_.front().read;
    oldest_read_ns.store(
        std::chrono::duration_cast<std::chrono::nanoseconds>(oldest.time_since_epoch()).count());
  }

  // --- shared with other threads ---------------------------------------------------------------

  bool caught_up() {
    return in_flight() == 0 && pending_.empty() && published.load() + skipped.load() >= target();
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
  std::deque<Message> pending_;  // made, not in flight: to send, in order
  std::uint64_t next_record = 1;
  std::uint64_t last_seq = 0;  // the stream's last sequence, as acknowledged
  bool in_backfill = false;
  // The window: the publishing thread and nats.c's ack thread.
  std::mutex flight_mutex;
  std::condition_variable flight_cv;
  std::deque<Message> flight_;
  // Any thread.
  std::atomic<std::uint64_t> records{0}, published{0}, messages{0}, duplicates{0}, pending{0},
      backfilled{0}, publish_errors{0}, connect_errors{0}, skipped{0}, stream_last_seq{0},
      reconnects{0};
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
  if (config.max_in_flight == 0 || config.max_in_flight > 1024) {
    throw std::invalid_argument("NATS messages in flight must be 1 to 1024");
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
