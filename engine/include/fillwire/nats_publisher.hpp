#pragma once
// NatsPublisher: the gateway's side of scale-out (docs/scale-out.md). A cold thread follows the
// local journal (JournalTail) and publishes its records, in file order, to the account's JetStream
// stream; the hot threads never see it. The journal is the buffer: while NATS is away or slow,
// records wait in the file and are published in order when it returns (backfill).
//
// Each message carries several whole journal records, exactly as in the file (header with both
// checksums, then payload), batched from what is already written (never waiting to fill a batch),
// and headers naming the account, the run (a random id per publisher), the first record's number
// in the run and the record count. Its Nats-Msg-Id is "<run>-<first record>", so a publish retried
// after a lost ack is dropped by the stream's duplicate window. Up to max_in_flight messages are
// sent without waiting (js_PublishMsgAsync), each expecting the stream's last sequence to be the
// one before it (ExpectLastSeq): the publisher is the stream's only writer, so a message can only
// land right after its predecessor, and one lost makes all that follow fail. After any failure it
// waits for the window to resolve, reads the stream's last message to learn how many landed (a
// prefix of the window) and sends the rest again, in order. So the stream holds each record once,
// in journal order, whatever fails and however often.
//
// NATS being unreachable, refusing the credentials or timing out is never fatal: the thread
// retries with a bounded back-off (counted, last_error() says why) and the exchange side keeps
// running. A stream holding another account's records is refused (last_error, nothing published).
//
// Thread contract: construct and stop on one cold thread; counters() and last_error() from any.

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "fillwire/journal.hpp"
#include "fillwire/nats_config.hpp"

namespace fillwire {

struct NatsPublisherConfig {
  NatsConfig nats;
  // Records in one message, and its bytes (NATS allows 1 MiB by default: max_payload). Bigger
  // batches carry more records per round trip when the publisher is behind (nats_bench).
  std::size_t max_batch_records = 1024;
  std::size_t max_batch_bytes = 768u << 10;
  // Messages sent and not yet acknowledged, at most. Each expects the stream's last sequence to
  // be the one before it, so order holds whatever fails.
  std::size_t max_in_flight = 8;
  std::chrono::milliseconds retry_min{100};      // back-off after a failure, doubling ...
  std::chrono::milliseconds retry_max{2000};     // ... up to this
  std::chrono::milliseconds stop_timeout{5000};  // stop(): time left to publish what is written
};

struct NatsPublisherCounters {
  std::uint64_t records = 0;         // read from the journal
  std::uint64_t published = 0;       // records the stream acknowledged
  std::uint64_t messages = 0;        // messages the stream acknowledged
  std::uint64_t duplicates = 0;      // of messages: already stored (a retry after a lost ack)
  std::uint64_t pending = 0;         // records read and not yet acknowledged
  std::uint64_t lag_records = 0;     // records the journal wrote that are not acknowledged yet
  double lag_seconds = 0;            // how long the oldest of them has waited (0 when caught up)
  std::uint64_t backfilled = 0;      // records published after a failure, from the journal
  std::uint64_t publish_errors = 0;  // failed publishes (each retried)
  std::uint64_t connect_errors = 0;  // failed connections or stream set-ups (each retried)
  std::uint64_t reconnects = 0;      // reconnections of a connection that was up
  std::uint64_t skipped = 0;  // journal records that could not be published (damaged, too large)
  std::uint64_t stream_last_seq = 0;  // the stream's last sequence, as last seen
  bool connected = false;
  bool refused = false;  // the stream holds another account's records: nothing is published
};

class NatsPublisher {
 public:
  // Follows `journal` from its current end: make the publisher before any record of this run is
  // written (right after the Journal). Starts the thread, which connects. Throws
  // std::invalid_argument for a bad configuration and std::runtime_error when the journal cannot
  // be read; never because NATS is away.
  NatsPublisher(const Journal& journal, NatsPublisherConfig config);
  ~NatsPublisher();  // stop()
  NatsPublisher(const NatsPublisher&) = delete;
  NatsPublisher& operator=(const NatsPublisher&) = delete;

  // Publishes what the journal holds for up to stop_timeout, then ends the thread. Idempotent.
  void stop();

  // Blocks until every record the journal had written when called is acknowledged, or the
  // timeout; true when it was.
  bool wait_published(std::chrono::milliseconds timeout);

  [[nodiscard]] NatsPublisherCounters counters() const;
  [[nodiscard]] std::string last_error() const;  // empty when none yet
  [[nodiscard]] const std::string& run_id() const noexcept;
  [[nodiscard]] const std::string& stream() const noexcept;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace fillwire
