#pragma once
// LiveSource: the network thread's side of the pipeline for a live exchange connection.
//
// It owns a single-threaded io_context and one WebSocket (wss:// over OpenSSL, or ws://), and runs
// the connection as a chain of named steps, each failing with its stage:
//     resolve -> connect -> tls -> websocket handshake (JWT) -> subscribe -> read
//                                                                        \-> resync (REST)
// Frames are read into one fixed buffer that keeps the decoder's padding after every frame, and are
// decoded in place straight into claimed ring slots. On any failure it closes, backs off
// exponentially with full jitter, reconnects, resubscribes and resynchronises over REST (orders
// open, orders closed since the last event seen minus a margin, and every order it saw open; for
// each order with a trade it did not see as an event, the order's trades[], fed as one trade event
// per missed trade in trade-time order before the order snapshots), so the account state equals
// the exchange's after every reconnect, PnL included. The resync runs on the same thread beside
// the read loop: the stream keeps being read (the exchange never sees a slow reader), its frames
// held raw and published right after the resync's events. Connection notices are published
// into the ring as control events (control_event.hpp), in order with the data.
//
// Thread contract: poll() and everything it calls run on the network thread only (the Pipeline's
// producer). counters() may be read from any thread. stop() may be called from any thread.
// Hot path (reading and decoding a frame): no allocation, no lock, no exception. Connecting,
// resynchronising and logging notices are cold and may allocate.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "fillwire/auth.hpp"
#include "fillwire/decoder.hpp"
#include "fillwire/replay_source.hpp"

namespace fillwire {

class JournalProducer;

struct LiveConfig {
  std::string url = "wss://api.upbit.com/websocket/v1/private";
  std::string rest_url;            // default: from `url` (https://host[:port]/v1)
  std::vector<std::string> codes;  // markets to subscribe; empty = all (upper case, checked)
  bool simple_format = false;      // ask for the SIMPLE (abbreviated) format
  std::string ca_file;             // extra trust anchor, e.g. the simulator's certificate
  bool insecure = false;           // skip peer verification (loudly reported); never default
  std::chrono::milliseconds ping_interval{30000};  // ping period; dead after 2x receiving nothing
  std::chrono::milliseconds connect_timeout{10000};
  std::chrono::milliseconds rest_timeout{10000};  // each step of a REST request (resync)
  std::chrono::milliseconds backoff_initial{100};
  std::chrono::milliseconds backoff_max{10000};
  std::chrono::milliseconds auth_backoff{30000};  // after the exchange refused the credentials
  std::size_t max_frame_bytes = 64 * 1024;        // a larger frame resets the connection
  bool blocking = false;  // run() the io_context (sleeps) instead of busy poll()
  bool resync = true;     // REST resynchronisation after every (re)connect
  // The resync runs when the first frame after subscribing arrives (its time tells which missed
  // trades the stream will not bring), or after this long on a quiet stream.
  std::chrono::milliseconds resync_wait{500};
  // Frames read while a resync runs are held here, raw, and published after its events; when
  // full, reading pauses until the resync ends (allocated and touched once, at the start).
  std::size_t resync_hold_bytes = 8u << 20;
  std::size_t rest_per_second = 30;  // REST requests allowed in any second (exchange's limit)
  std::chrono::milliseconds closed_margin{60000};  // closed orders since last event minus this
  std::int64_t first_closed_since_ms = -1;  // first connect: closed orders since (ms); -1 none
  std::size_t open_tracking_capacity = 1u << 16;  // orders remembered as open, for resync
  std::uint64_t seed = 0;                         // jitter seed (0: from the clock)
};

struct LiveCounters {
  std::uint64_t connects = 0;  // successful subscribes
  std::uint64_t attempts = 0;  // connection attempts
  std::uint64_t disconnects = 0;
  std::uint64_t auth_failures = 0;
  std::uint64_t frames = 0;
  std::uint64_t events = 0;  // events published (stream and resync)
  std::uint64_t resync_events = 0;
  std::uint64_t resyncs = 0;
  std::uint64_t resync_failures = 0;
  std::uint64_t resync_trade_queries = 0;       // orders whose trades were fetched (GET /order)
  std::uint64_t resync_trades = 0;              // missed trades applied one by one from them
  std::uint64_t resync_trades_unavailable = 0;  // orders whose trades could not be fetched: their
                                                // fills applied from the order's totals instead
  std::uint64_t resync_incomplete = 0;   // resyncs that could not bring everything: a bound hit
                                         // (deadline, pages, orders) or a part of /orders/closed
                                         // over its 1000-order page within one second
  std::uint64_t resync_held_frames = 0;  // frames read while a resync ran, published after it
  std::uint64_t resync_hold_full = 0;    // times reading paused: the hold for them was full
  std::uint64_t rest_requests = 0;
  std::uint64_t rest_throttled = 0;      // HTTP 429 answers
  std::uint64_t rest_server_errors = 0;  // HTTP 5xx answers (each retried twice)
  std::uint64_t decode_errors = 0;       // frames with a decode error (journaled raw)
  std::uint64_t oversized = 0;           // frames over max_frame_bytes
  std::uint64_t server_errors = 0;       // {"error":...} frames
  std::uint64_t status_frames = 0;
  std::uint64_t clock_skew = 0;        // events stamped too far ahead of or behind the local clock
                                       // (applied, but never used to steer the resync)
  std::uint64_t connects_delayed = 0;  // connects held back by the connection-rate limit
  std::uint64_t rest_banned = 0;       // HTTP 418 answers (REST or upgrade): stop until Retry-After
  std::uint64_t stalled_frames = 0;    // frames not complete within the frame deadline
  std::uint64_t pong_timeouts = 0;     // pings with no pong within the keep-alive timeout
};

// A cold-path notice for the human log ("connected to ...", "disconnected at tls: ..."). Never
// contains a key or a token.
using NoticeFn = std::function<void(std::string_view)>;

class LiveSource {
 public:
  LiveSource(LiveConfig config, Credentials credentials, JournalProducer* journal = nullptr,
             NoticeFn notice = {});
  ~LiveSource();
  LiveSource(const LiveSource&) = delete;
  LiveSource& operator=(const LiveSource&) = delete;

  // Network thread. Runs ready handlers (busy poll) or waits a little for one (blocking mode);
  // decoded events go straight into `ring`. Never `done` on its own: stop the pipeline to end.
  template <class Ring>
  SourceStatus poll(Ring& ring) noexcept {
    if (!bound_) {
      bind(EventSink{ring});
      bound_ = true;
    }
    return poll_once();
  }

  // Any thread: counters written by the network thread (relaxed reads).
  [[nodiscard]] LiveCounters counters() const noexcept;
  // Any thread: true while subscribed and reading.
  [[nodiscard]] bool connected() const noexcept;
  // Any thread: true while a REST resync is under way (its steps run between the reads, and
  // allocate: a measurement of the read path leaves out the polls that see this).
  [[nodiscard]] bool resyncing() const noexcept;
  // Network thread: the decoder's counters.
  [[nodiscard]] const DecoderStats& decoder_stats() const noexcept;

 private:
  void bind(EventSink sink) noexcept;
  SourceStatus poll_once() noexcept;

  struct Impl;
  std::unique_ptr<Impl> impl_;
  bool bound_ = false;
};

}  // namespace fillwire
