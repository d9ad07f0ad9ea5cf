#pragma once
// JetStreamSource: a follower's source (source.hpp), beside LiveSource and FileReplaySource. It
// reads an account's stream (what a gateway's NatsPublisher wrote) through an ordered consumer
// and hands each journal record to the same path a journal replay takes: a frame is decoded into
// ring slots, a resync event is copied into one, notices and summaries are passed over. A strategy
// on another host therefore sees the gateway's events in the gateway's order and ends with the
// same account state.
//
// Checks, each counted and said by error(): a message of another account is refused whole; a
// record whose checksums fail is damage (the rest of its message cannot be trusted and is passed
// over, as a damaged stretch of a journal); records must follow each other within a gateway run
// (Fillwire-Seq) and a new run must start at record 1, else a gap is counted. Stream sequences
// are contiguous by construction of the ordered consumer (it restarts itself after a gap).
//
// Position: last_stream_seq() is the stream sequence of the last message fully handed out; a
// follower that stores it beside its own state resumes with start_seq = that + 1.
//
// Thread contract: construct on a cold thread (it connects and subscribes: throws on failure);
// poll() on the producer thread; counters(), connected() and error() from any thread. poll()
// takes the nats.c subscription's lock and frees the
// message it is done with (nats.c allocated it on its own thread): a follower's input side, like
// a socket read, never on the strategy thread.

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

#include "fillwire/clock.hpp"
#include "fillwire/decoder.hpp"
#include "fillwire/journal.hpp"
#include "fillwire/nats_config.hpp"
#include "fillwire/replay_source.hpp"
#include "fillwire/source.hpp"

namespace fillwire {

struct JetStreamSourceConfig {
  NatsConfig nats;
  std::uint64_t start_seq = 1;  // the stream sequence to start at; 0: only messages from now on
  std::size_t max_frame_bytes = Decoder::kDefaultMaxFrame;
  // done() once every message the stream held when the source was made is handed out (offline
  // copies, tests); otherwise the source follows for ever.
  bool stop_at_end = false;
  // With nothing to hand out, poll() waits up to this long for a message (a wait the client
  // ends as soon as one arrives) before it says idle; 0: it says idle at once (busy polling, one
  // core spent on the follower's input thread).
  std::chrono::milliseconds idle_wait{20};
};

// Every counter of a follower's source besides its records' (ReplayCounters), once: name and
// meaning.
#define FILLWIRE_JETSTREAM_COUNTERS(X)                                                  \
  X(messages, "messages handed out")                                                    \
  X(other_records, "notices and summaries passed over")                                 \
  X(refused, "messages of another account (or without one), passed over")               \
  X(gaps, "records missing within a gateway run")                                       \
  X(runs, "gateway runs seen")                                                          \
  X(receive_errors, "failed reads of the subscription (the connection away)")           \
  X(journal_lost,                                                                       \
    "records the gateway could not journal (its loss notices): the state rebuilt "      \
    "may lack their events")                                                            \
  X(last_stream_seq, "stream sequence of the last message fully handed out")            \
  X(behind, "messages the stream held after the last one taken, when it was delivered") \
  X(last_message_age_ms, "how long the last message taken had been stored (server's clock)")

struct JetStreamCounters {
  ReplayCounters records;  // frames, events, failed frames, oversized, damaged, resync events
#define FILLWIRE_JETSTREAM_COUNTER_FIELD(name, doc) std::uint64_t name = 0;
  FILLWIRE_JETSTREAM_COUNTERS(FILLWIRE_JETSTREAM_COUNTER_FIELD)
#undef FILLWIRE_JETSTREAM_COUNTER_FIELD
};

class JetStreamSource {
 public:
  // Connects, checks the stream exists, and subscribes from config.start_seq. Throws
  // std::invalid_argument / std::runtime_error saying what is wrong (credentials, no stream...).
  explicit JetStreamSource(JetStreamSourceConfig config);
  ~JetStreamSource();
  JetStreamSource(const JetStreamSource&) = delete;
  JetStreamSource& operator=(const JetStreamSource&) = delete;

  // Producer thread only: hands out one record (a frame's events, a resync event) or takes the
  // next message; idle when none has come.
  template <class Sink>
  SourceStatus poll(Sink& sink) noexcept {
    if (at_ == end_ && !next_message()) return done_ ? SourceStatus::done : SourceStatus::idle;
    if (at_ == end_) return SourceStatus::produced;  // a message passed over whole
    const RecordView r = next_record();
    switch (r.kind) {
      case RecordKind::frame:
        detail::replay_frame(decoder_, frame_.get(), r.size, sink, counters_.records);
        break;
      case RecordKind::event: {
        StampingSink<Sink> stamped(sink, now_ticks());
        if (!take_event(r, stamped.claim())) break;  // refused: counted, claimed again later
        stamped.publish();
        ++counters_.records.event_records;
        ++counters_.records.events;
        break;
      }
      case RecordKind::other:
        break;
    }
    return SourceStatus::produced;
  }

  // Any thread: the counters as of the last message done with (copied when the next one is taken
  // or the source goes idle; relaxed reads).
  [[nodiscard]] JetStreamCounters counters() const noexcept;
  // Once the producer thread was joined (or on it): the exact counters.
  [[nodiscard]] const JetStreamCounters& final_counters() const noexcept { return counters_; }
  // Any thread: true while connected to a NATS server.
  [[nodiscard]] bool connected() const noexcept;
  // Any thread: the last problem (damage, a gap, a refused message, a failed read), or empty.
  [[nodiscard]] std::string error() const;
  [[nodiscard]] const std::string& stream() const noexcept { return stream_; }

  // Producer thread, or any thread after it was joined.
  [[nodiscard]] const DecoderStats& decoder_stats() const noexcept { return decoder_.stats(); }
  [[nodiscard]] std::uint64_t last_stream_seq() const noexcept { return counters_.last_stream_seq; }
  // The journal stamp (recv_ns) of the last record handed out, as the gateway wrote it.
  [[nodiscard]] std::uint64_t last_record_stamp() const noexcept { return last_stamp_; }

 private:
  enum class RecordKind : std::uint8_t { frame, event, other };
  struct RecordView {
    RecordKind kind = RecordKind::other;
    const char* data = nullptr;
    std::size_t size = 0;
  };
  struct Link;

  bool next_message() noexcept;
  RecordView next_record() noexcept;
  bool take_event(const RecordView& r, OrderEvent& slot) noexcept;
  void fail(std::string text) noexcept;
  void share_counters() noexcept;

  JetStreamSourceConfig config_;
  std::string stream_;
  std::unique_ptr<Link> link_;
  Decoder decoder_;
  std::unique_ptr<char[]> frame_;  // one frame and the decoder's padding
  const char* at_ = nullptr;       // the next record of the current message
  const char* end_ = nullptr;
  std::uint64_t end_seq_ = 0;  // stop_at_end: the stream's last sequence when made
  std::uint64_t last_stamp_ = 0;
  char run_[17] = {};              // the gateway run of the last message (16 hex digits)
  std::uint64_t next_record_ = 0;  // the record number expected next in that run
  bool done_ = false;
  JetStreamCounters counters_;  // the producer thread's
  // counters_ for other threads, field by field (share_counters()).
  static constexpr std::size_t kSharedCounters = sizeof(JetStreamCounters) / sizeof(std::uint64_t);
  std::array<std::atomic<std::uint64_t>, kSharedCounters> shared_{};
  mutable std::mutex error_mutex_;  // cold: taken when a problem is said and when it is read
  std::string error_;
};

}  // namespace fillwire
