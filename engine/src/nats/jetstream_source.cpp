// JetStreamSource: the ordered consumer, the message checks and the record walk.

#include "fillwire/jetstream_source.hpp"

#include <charconv>
#include <chrono>
#include <cstring>
#include <stdexcept>
#include <thread>

#include "fillwire/detail/journal_event.hpp"
#include "fillwire/safe_text.hpp"
#include "nats_link.hpp"

namespace fillwire {

namespace {

constexpr std::size_t kHeader = sizeof(JournalRecordHeader);

std::uint64_t parse_u64(std::string_view text) noexcept {
  std::uint64_t v = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  return ec == std::errc() && end == text.data() + text.size() ? v : 0;
}

}  // namespace

struct JetStreamSource::Link {
  nats::Link nats;
  nats::SubPtr sub;
  nats::MsgPtr msg;  // the message being handed out
  std::uint64_t msg_seq = 0;

  Link(const NatsConfig& config, const std::string& name) : nats(config, name) {}
};

JetStreamSource::JetStreamSource(JetStreamSourceConfig config)
    : config_(std::move(config)),
      stream_(nats_stream_name(config_.nats.account)),
      decoder_(config_.max_frame_bytes),
      frame_(new char[config_.max_frame_bytes + kFramePadding]()) {
  if (config_.idle_wait.count() < 0) throw std::invalid_argument("idle_wait must not be negative");
  link_ = std::make_unique<Link>(config_.nats, "fillwire follower " + config_.nats.account);
  // The stream's state, then the ordered consumer. A cluster that is electing a leader, or one
  // too busy to answer within request_timeout, is tried again: kStartAttempts attempts, a pause
  // growing between them, so a follower started at a bad moment still starts. A missing stream is
  // said at once.
  constexpr int kStartAttempts = 3;
  const std::string subject = nats_subject(config_.nats.account);
  natsSubscription* sub = nullptr;
  for (int attempt = 1;; ++attempt) {
    std::string info_error;
    std::string error;
    bool not_found = false;
    const nats::StreamInfoPtr si = link_->nats.stream_info(stream_, info_error, not_found);
    if (!si && not_found) {
      throw std::runtime_error("no stream " + stream_ +
                               " (has a gateway published this account yet?)");
    }
    if (si) {
      end_seq_ = si->State.LastSeq;
      jsSubOptions so;
      jsSubOptions_Init(&so);
      so.Stream = stream_.c_str();
      so.Ordered = true;
      if (config_.start_seq > 0) {
        so.Config.DeliverPolicy = js_DeliverByStartSequence;
        so.Config.OptStartSeq = config_.start_seq;
      } else {
        so.Config.DeliverPolicy = js_DeliverNew;
      }
      jsErrCode code = static_cast<jsErrCode>(0);
      const natsStatus s =
          js_SubscribeSync(&sub, link_->nats.js(), subject.c_str(), nullptr, &so, &code);
      if (s == NATS_OK) break;
      sub = nullptr;
      error = "cannot follow " + stream_ + ": " + link_->nats.error(s, code);
    } else {
      error = "stream " + stream_ + ": " + info_error;
    }
    if (attempt == kStartAttempts) {
      throw std::runtime_error(error + " (" + std::to_string(kStartAttempts) + " attempts)");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(250) * attempt);
  }
  link_->sub.reset(sub);
  // Bounded in the client: past these, nats.c drops messages and the ordered consumer restarts
  // from the last one handed out.
  natsSubscription_SetPendingLimits(sub, 1 << 20, 256 << 20);
  if (config_.stop_at_end && (end_seq_ == 0 || end_seq_ < config_.start_seq)) done_ = true;
}

JetStreamSource::~JetStreamSource() = default;

void JetStreamSource::fail(std::string text) noexcept {
  std::lock_guard lock(error_mutex_);
  error_ = std::move(text);
}

std::string JetStreamSource::error() const {
  std::lock_guard lock(error_mutex_);
  return error_;
}

bool JetStreamSource::connected() const noexcept {
  return link_->nats.connected();
}

// JetStreamCounters field by field, in declaration order (counters() reads them back alike).
void JetStreamSource::share_counters() noexcept {
  std::size_t i = 0;
  // relaxed: statistics; each field is read on its own.
#define FILLWIRE_SHARE_RECORDS(name, doc) \
  shared_[i++].store(counters_.records.name, std::memory_order_relaxed);
#define FILLWIRE_SHARE(name, doc) shared_[i++].store(counters_.name, std::memory_order_relaxed);
  FILLWIRE_REPLAY_COUNTERS(FILLWIRE_SHARE_RECORDS)
  FILLWIRE_JETSTREAM_COUNTERS(FILLWIRE_SHARE)
#undef FILLWIRE_SHARE
#undef FILLWIRE_SHARE_RECORDS
}

JetStreamCounters JetStreamSource::counters() const noexcept {
  JetStreamCounters c;
  std::size_t i = 0;
#define FILLWIRE_READ_RECORDS(name, doc) \
  c.records.name = shared_[i++].load(std::memory_order_relaxed);
#define FILLWIRE_READ(name, doc) c.name = shared_[i++].load(std::memory_order_relaxed);
  FILLWIRE_REPLAY_COUNTERS(FILLWIRE_READ_RECORDS)
  FILLWIRE_JETSTREAM_COUNTERS(FILLWIRE_READ)
#undef FILLWIRE_READ
#undef FILLWIRE_READ_RECORDS
  return c;
}

bool JetStreamSource::next_message() noexcept {
  if (link_->msg) share_counters();  // the last message's records are all handed out
  if (done_) return false;
  link_->msg.reset();
  natsMsg* m = nullptr;
  const natsStatus s = natsSubscription_NextMsg(
      &m, link_->sub.get(), static_cast<std::int64_t>(config_.idle_wait.count()));
  if (s == NATS_TIMEOUT) {
    if (config_.stop_at_end && counters_.last_stream_seq >= end_seq_) done_ = true;
    return false;
  }
  if (s != NATS_OK) {
    ++counters_.receive_errors;
    share_counters();
    fail("reading " + stream_ + ": " + link_->nats.error(s));
    return false;
  }
  link_->msg.reset(m);
  ++counters_.messages;
  const char* reply = natsMsg_GetReply(m);
  const nats::Delivery delivery = nats::delivery_of(reply != nullptr ? reply : "");
  link_->msg_seq = delivery.stream_seq;
  counters_.behind = delivery.pending;
  const auto now_ns =
      static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                     std::chrono::system_clock::now().time_since_epoch())
                                     .count());
  counters_.last_message_age_ms = delivery.stored_ns > 0 && now_ns > delivery.stored_ns
                                      ? (now_ns - delivery.stored_ns) / 1'000'000
                                      : 0;
  at_ = end_ = nullptr;
  const std::string_view account = nats::header(m, kNatsHeaderAccount);
  if (account != config_.nats.account) {
    ++counters_.refused;
    fail("message " + std::to_string(link_->msg_seq) + " of " + stream_ +
         " holds records of another account (" + quote_server_text(account, 64) + ")");
    counters_.last_stream_seq = link_->msg_seq;
    return true;
  }
  const std::string_view run = nats::header(m, kNatsHeaderRun);
  const std::uint64_t first = parse_u64(nats::header(m, kNatsHeaderSeq));
  const std::uint64_t count = parse_u64(nats::header(m, kNatsHeaderRecords));
  const bool same_run =
      run.size() == sizeof run_ - 1 && std::memcmp(run.data(), run_, run.size()) == 0;
  if (!same_run) {
    ++counters_.runs;
    const std::size_t n = std::min(run.size(), sizeof run_ - 1);
    std::memcpy(run_, run.data(), n);
    run_[n] = '\0';
    if (first != 1 && counters_.messages > 1) {
      ++counters_.gaps;
      fail("message " + std::to_string(link_->msg_seq) + ": gateway run " + printable(run) +
           " starts at record " + std::to_string(first));
    }
  } else if (first != next_record_) {
    ++counters_.gaps;
    fail("message " + std::to_string(link_->msg_seq) + ": record " + std::to_string(first) +
         " follows record " + std::to_string(next_record_ - 1) + " of run " + printable(run));
  }
  next_record_ = first + count;
  at_ = static_cast<const char*>(natsMsg_GetData(m));
  end_ = at_ + natsMsg_GetDataLength(m);
  if (at_ == end_) counters_.last_stream_seq = link_->msg_seq;
  return true;
}

JetStreamSource::RecordView JetStreamSource::next_record() noexcept {
  const auto damaged = [&](const std::string& what) {
    ++counters_.records.damaged;
    fail("message " + std::to_string(link_->msg_seq) + " of " + stream_ + ": " + what +
         "; the rest of the message is passed over");
    at_ = end_;
    counters_.last_stream_seq = link_->msg_seq;
    return RecordView{};
  };
  const auto left = static_cast<std::size_t>(end_ - at_);
  if (left < kHeader) return damaged("a record header cut short");
  JournalRecordHeader h;
  std::memcpy(&h, at_, kHeader);
  if (journal_header_crc(h) != h.header_crc) return damaged("record header checksum mismatch");
  if (h.length > left - kHeader) return damaged("a record runs past the end of the message");
  const char* payload = at_ + kHeader;
  if (crc32c(payload, h.length) != h.payload_crc) return damaged("payload checksum mismatch");
  at_ = payload + h.length;
  if (at_ == end_) counters_.last_stream_seq = link_->msg_seq;
  last_stamp_ = h.recv_ns;
  switch (h.kind) {
    case JournalKind::frame:
    case JournalKind::resync:
      if (h.length > config_.max_frame_bytes) {
        ++counters_.records.oversized;
        fail("message " + std::to_string(link_->msg_seq) + ": a frame of " +
             std::to_string(h.length) + " bytes, over the limit of " +
             std::to_string(config_.max_frame_bytes));
        return RecordView{};
      }
      std::memcpy(frame_.get(), payload, h.length);
      return RecordView{RecordKind::frame, frame_.get(), h.length};
    case JournalKind::resync_event:
      return RecordView{RecordKind::event, payload, h.length};
    case JournalKind::notice:
      if (const std::string_view text(payload, h.length);
          text.substr(0, std::strlen(kJournalLossNotice)) == kJournalLossNotice) {
        const std::string_view rest = text.substr(std::strlen(kJournalLossNotice));
        std::uint64_t lost = 0;
        (void)std::from_chars(rest.data(), rest.data() + rest.size(), lost);
        counters_.journal_lost += lost;
        fail("message " + std::to_string(link_->msg_seq) + ": the gateway could not journal " +
             std::to_string(lost) + " records here: this account may lack their events");
      }
      ++counters_.other_records;
      return RecordView{};
    case JournalKind::summary:
      ++counters_.other_records;
      return RecordView{};
  }
  return damaged("unknown record kind " + std::to_string(static_cast<unsigned>(h.kind)));
}

bool JetStreamSource::take_event(const RecordView& r, OrderEvent& slot) noexcept {
  std::string why;
  OrderEvent e;  // read aside: the slot's seq is the ring's
  if (read_journal_event(r.data, r.size, e, why) == JournalEventError::none) {
    copy_wire_fields(slot, e);
    return true;
  }
  ++counters_.records.damaged;
  fail("message " + std::to_string(link_->msg_seq) + ": " + why);
  return false;
}

}  // namespace fillwire
