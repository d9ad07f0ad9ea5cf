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
#include "fillwire/source.hpp"

namespace fillwire {

class JournalProducer;

struct LiveConfig {
  std::string url = "wss://api.upbit.com/websocket/v1/private";
  std::string rest_url;            // default: from `url` (https://host[:port]/v1)
  std::vector<std::string> codes;  // markets to subscribe; empty = all (upper case, checked)
  bool simple_format = false;      // ask for the SIMPLE (abbreviated) format
  // Balances too: myAsset on the same connection (one subscribe message with both types) and
  // GET /v1/accounts in every resync. False: orders only.
  bool balances = true;
  std::string ca_file;     // extra trust anchor, e.g. the simulator's certificate
  bool insecure = false;   // skip peer verification (loudly reported); never default
  bool blocking = false;   // run() the io_context (sleeps) instead of busy poll()
  std::uint64_t seed = 0;  // jitter seed (0: from the clock)

  // Connection discipline (Upbit: 5 connects/s and 30 REST requests/s per account; repeated 429s
  // earn a 418 ban). Both rates are counted per process, over every LiveSource in it.
  std::chrono::milliseconds connect_timeout{10000};  // TCP + TLS + WebSocket upgrade
  std::chrono::milliseconds backoff_initial{100};
  std::chrono::milliseconds backoff_max{10000};
  std::chrono::milliseconds auth_backoff{30000};  // after the exchange refused the credentials
  // The backoff starts again from backoff_initial only once a connection has stayed up, resynced,
  // this long: a server that drops every connection soon after its resync meets a growing backoff.
  std::chrono::milliseconds healthy_after{30000};
  std::size_t connects_per_second = 5;
  std::size_t rest_per_second = 30;
  std::chrono::milliseconds ban_default{60000};  // a 418 without a usable Retry-After

  // Liveness. A ping every ping_interval; its pong must come within pong_timeout (while reading
  // is not paused). A frame whose first bytes arrived must be whole within frame_timeout. Only
  // whole frames and pongs count as life: a trickle of bytes does not.
  std::chrono::milliseconds ping_interval{30000};
  std::chrono::milliseconds pong_timeout{10000};
  std::chrono::milliseconds frame_timeout{10000};
  std::size_t max_frame_bytes = 64 * 1024;  // a larger frame resets the connection

  // Clocks. An exchange time more than clock_skew_max ahead of the local clock, or more than
  // event_age_max behind it, is counted (clock_skew) and never steers the resync. (upbit-sim's
  // stamps run ahead of real time above 1,000 events a second: raise clock_skew_max for it.)
  std::chrono::milliseconds clock_skew_max{30000};
  std::chrono::milliseconds event_age_max{600000};

  // Resync over REST after every (re)connect.
  bool resync = true;
  // The resync runs when the first frame after subscribing arrives (its time tells which missed
  // trades the stream will not bring), or after this long on a quiet stream.
  std::chrono::milliseconds resync_wait{500};
  std::chrono::milliseconds rest_timeout{10000};  // each step of one REST request
  // The whole resync, every request and pause: 3,600 requests at Upbit's 30 per second.
  std::chrono::milliseconds resync_timeout{120000};
  std::size_t resync_max_pages = 200;          // pages of one listing (open: 100 per page)
  std::size_t resync_max_orders = 50000;       // orders held by one resync (256 B each)
  std::size_t rest_max_body_bytes = 4u << 20;  // one REST answer (1000 orders ~ 1 MB)
  // Frames read while a resync runs are held here, raw, and published after its events; when
  // full, reading pauses until the resync ends (allocated and touched once, at the start).
  std::size_t resync_hold_bytes = 8u << 20;
  // Closed orders are asked from how far the state was whole when the last whole connection was
  // lost, minus this, never earlier than REST's 7-day window allows. How far: the exchange time of
  // the last event the client read (a plausible one), or the local time that connection subscribed
  // if later; not the local time of the loss (a client behind the stream loses what it had
  // not read yet). The margin covers events reordered around the last one read and created_at's
  // whole seconds on the exchange's side. Keep it over clock_skew_max: a stray stamp ahead as the
  // last event read then never moves the horizon past the local time it was read.
  std::chrono::milliseconds closed_margin{60000};
  std::int64_t first_closed_since_ms = -1;  // first connect: closed orders since (ms); -1 none
  std::size_t open_tracking_capacity = 1u << 16;  // orders remembered as open, for resync
};

// Every counter of the live connection, once: name and meaning. Written by the network thread,
// readable from any thread through LiveSource::counters().
#define FILLWIRE_LIVE_COUNTERS(X)                                                               \
  X(connects, "successful subscribes")                                                          \
  X(attempts, "connection attempts")                                                            \
  X(disconnects, "live connections lost")                                                       \
  X(auth_failures, "credentials refused (upgrade, INVALID_AUTH or REST 401/403)")               \
  X(connects_delayed, "connects held back by the connection-rate limit")                        \
  X(frames, "frames read")                                                                      \
  X(events, "events published (stream and resync)")                                             \
  X(decode_errors, "frames with a decode error (journaled raw)")                                \
  X(oversized, "frames over max_frame_bytes")                                                   \
  X(protocol_errors, "WebSocket frames breaking RFC 6455 (the connection is reset)")            \
  X(stalled_frames, "frames not whole within frame_timeout")                                    \
  X(pong_timeouts, "pings with no pong within pong_timeout")                                    \
  X(server_errors, "{\"error\":...} frames")                                                    \
  X(status_frames, "{\"status\":\"UP\"} frames")                                                \
  X(clock_skew, "events stamped outside [now - event_age_max, now + clock_skew_max]")           \
  X(resyncs, "resyncs completed")                                                               \
  X(resync_failures, "resyncs failed (REST down, 5xx, refused)")                                \
  X(resync_incomplete, "resyncs stopped at a bound, or parts of /orders/closed beyond reach")   \
  X(resync_events, "events published by resyncs")                                               \
  X(resync_duplicates, "orders a listing returned more than once")                              \
  X(resync_trade_queries, "orders whose trades were fetched (GET /order)")                      \
  X(resync_trades, "missed trades applied one by one")                                          \
  X(resync_trades_unavailable, "orders whose fills came from their totals: trades unavailable") \
  X(resync_held_frames, "frames read while a resync ran, published after it")                   \
  X(resync_hold_full, "times reading paused: the hold was full")                                \
  X(rest_requests, "REST requests sent")                                                        \
  X(rest_throttled, "HTTP 429 answers (REST or upgrade)")                                       \
  X(rest_banned, "HTTP 418 answers (REST or upgrade): nothing sent until Retry-After")          \
  X(rest_server_errors, "HTTP 5xx answers")

struct LiveCounters {
#define FILLWIRE_LIVE_COUNTER_FIELD(name, doc) std::uint64_t name = 0;
  FILLWIRE_LIVE_COUNTERS(FILLWIRE_LIVE_COUNTER_FIELD)
#undef FILLWIRE_LIVE_COUNTER_FIELD
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
