#pragma once
// The NATS client (nats.c) behind the gateway publisher and the JetStream source: a connection
// made from a NatsConfig, with reconnection, and errors made into safe text. Only this directory
// includes nats.h. Cold path; one owning thread (nats.c runs its own threads behind it).

#include <nats/nats.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "fillwire/nats_config.hpp"

namespace fillwire::nats {

struct MsgDeleter {
  void operator()(natsMsg* m) const noexcept { natsMsg_Destroy(m); }
};
using MsgPtr = std::unique_ptr<natsMsg, MsgDeleter>;

struct SubDeleter {
  void operator()(natsSubscription* s) const noexcept { natsSubscription_Destroy(s); }
};
using SubPtr = std::unique_ptr<natsSubscription, SubDeleter>;

struct StreamInfoDeleter {
  void operator()(jsStreamInfo* s) const noexcept { jsStreamInfo_Destroy(s); }
};
using StreamInfoPtr = std::unique_ptr<jsStreamInfo, StreamInfoDeleter>;

// What a failed call says: the status, the JetStream error code when there is one, and the
// client's last error text (which may quote the server: capped, escaped, credentials redacted).
[[nodiscard]] std::string error_text(natsStatus status, jsErrCode code,
                                     const NatsCredentials& credentials);

class Link {
 public:
  // Connects to the first server that answers (connect_timeout each) and opens JetStream.
  // Throws std::runtime_error with error_text() when none does. `name` is the client name the
  // servers show (never a secret).
  // With `on_ack`, asynchronous publishes (js_PublishMsgAsync) report each ack or failure to it,
  // on nats.c's own thread, at most `max_pending` in flight.
  // `reconnects`, when given, counts the reconnections of this connection (on nats.c's thread,
  // as they happen).
  Link(const NatsConfig& config, const std::string& name, jsPubAckHandler on_ack = nullptr,
       void* ack_closure = nullptr, std::int64_t max_pending = 0,
       std::atomic<std::uint64_t>* reconnects = nullptr);
  ~Link();
  Link(const Link&) = delete;
  Link& operator=(const Link&) = delete;

  [[nodiscard]] natsConnection* connection() const noexcept { return nc_; }
  [[nodiscard]] jsCtx* js() const noexcept { return js_; }
  [[nodiscard]] bool connected() const noexcept;
  // Errors nats.c reported asynchronously (slow consumer, a server error).
  [[nodiscard]] std::uint64_t async_errors() const noexcept {
    return async_errors_.load(std::memory_order_relaxed);
  }
  [[nodiscard]] std::string error(natsStatus status,
                                  jsErrCode code = static_cast<jsErrCode>(0)) const {
    return error_text(status, code, config_.credentials);
  }

  // The stream's state; null with `error` set when it cannot be read (`not_found` tells a missing
  // stream apart).
  StreamInfoPtr stream_info(const std::string& stream, std::string& error, bool& not_found) const;

 private:
  void release() noexcept;
  static void on_error(natsConnection*, natsSubscription*, natsStatus, void* closure);
  static void on_reconnected(natsConnection*, void* closure);

  const NatsConfig& config_;
  natsOptions* opts_ = nullptr;
  natsConnection* nc_ = nullptr;
  jsCtx* js_ = nullptr;
  std::atomic<std::uint64_t> async_errors_{0};
  std::atomic<std::uint64_t>* reconnects_ = nullptr;  // the caller's, or none
};

// What a JetStream consumer's reply subject says of a delivered message
// ($JS.ACK.<stream>.<consumer>.<delivered>.<stream seq>.<consumer seq>.<time>.<pending>, with an
// optional domain and account hash before the stream in newer servers). All zero when it is not
// one. No allocation.
struct Delivery {
  std::uint64_t stream_seq = 0;
  std::uint64_t stored_ns = 0;  // when the server stored it (Unix ns, the server's clock)
  std::uint64_t pending = 0;    // messages the consumer had still to deliver after this one
};
[[nodiscard]] Delivery delivery_of(std::string_view reply) noexcept;

// A header's value, or an empty view.
[[nodiscard]] std::string_view header(natsMsg* msg, const char* key) noexcept;

}  // namespace fillwire::nats
