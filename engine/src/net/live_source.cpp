// LiveSource: Boost.Beast WebSocket client (wss:// over OpenSSL, or ws://) on a single-threaded
// io_context, the network thread of the pipeline.
//
//   resolve -> connect -> tls -> websocket handshake -> subscribe -> read loop
//                                                                   \-> resync (REST coroutine)
//
// Each step returns early through fail(stage, error); every failure closes the connection and
// schedules a reconnect through the same chain after an exponential backoff with full jitter,
// never faster than the process's connection rate nor during a ban. The resync runs beside the
// read loop on the same io_context (resync.cpp, over rest_session.cpp): the stream keeps being
// read and its frames are held raw (frame_hold.hpp) until the resync's events are published.

#include "fillwire/live_source.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include <algorithm>
#include <cctype>
#include <chrono>
#include <optional>
#include <random>
#include <stdexcept>

#include "fillwire/clock.hpp"
#include "fillwire/control_event.hpp"
#include "fillwire/journal.hpp"
#include "fillwire/journal_event.hpp"
#include "fillwire/safe_text.hpp"
#include "frame_hold.hpp"
#include "live_counters.hpp"
#include "order_tracker.hpp"
#include "rate_window.hpp"
#include "rest_session.hpp"
#include "resync.hpp"
#include "subscription.hpp"
#include "url.hpp"

namespace fillwire {

namespace asio = boost::asio;            // from <boost/asio.hpp>
namespace beast = boost::beast;          // from <boost/beast.hpp>
namespace http = beast::http;            // from <boost/beast/http.hpp>
namespace websocket = beast::websocket;  // from <boost/beast/websocket.hpp>
namespace ssl = asio::ssl;               // from <boost/asio/ssl.hpp>
using tcp = asio::ip::tcp;
using namespace net;  // NOLINT: this file is the net stage's front door

namespace {

// Cold: gives the heap memory a resync used and freed back to the system. glibc keeps the freed
// blocks of a thread's arena for reuse, so the resident set would otherwise stay at the largest
// resync's peak (its pages, its orders).
void return_free_memory() noexcept {
#if defined(__GLIBC__)
  (void)malloc_trim(0);
#endif
}

bool is_ip_literal(const std::string& host) {
  boost::system::error_code ec;
  (void)asio::ip::make_address(host, ec);
  return !ec;
}

// SNI: OpenSSL's SSL_set_tlsext_host_name is a macro with a C cast; this is the call it makes.
bool set_sni(SSL* ssl, const std::string& host) {
  return SSL_ctrl(ssl, SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
                  const_cast<char*>(host.c_str())) == 1;
}

std::int64_t wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

//------------------------------------------------------------------------------------------------

struct LiveSource::Impl final : ResyncHost {
  // The io_context's own executor type, not the type-erased any_io_executor of beast::tcp_stream:
  // completing a read through any_io_executor wraps the handler in a heap-allocated function
  // object on every read; with the concrete type the handler is invoked directly.
  using TcpStream =
      beast::basic_stream<tcp, asio::io_context::executor_type, beast::unlimited_rate_policy>;
  using PlainWs = websocket::stream<TcpStream>;
  using TlsWs = websocket::stream<beast::ssl_stream<TcpStream>>;
  using Clock = std::chrono::steady_clock;

  LiveConfig cfg;
  Credentials creds;
  JournalProducer* journal;
  NoticeFn notice_fn;
  Url ws_url;
  Url rest_url;

  asio::io_context ioc{1};
  ssl::context tls_ctx{ssl::context::tls_client};
  tcp::resolver resolver{ioc};
  asio::steady_timer retry_timer{ioc};
  asio::steady_timer keepalive_timer{ioc};
  asio::steady_timer resync_timer{ioc};    // the wait for the first frame after subscribing
  asio::steady_timer deadline_timer{ioc};  // the whole resync's deadline
  asio::steady_timer healthy_timer{ioc};   // resets the backoff once a connection stays up
  std::optional<PlainWs> plain;
  std::optional<TlsWs> secure;
  http::response<http::string_body> handshake_response;
  std::optional<RestSession> rest;

  Decoder decoder;
  std::unique_ptr<char[]> buffer;  // max_frame_bytes + kFramePadding, allocated once
  Decoder peek_decoder;            // decodes the first frame aside (the stats stay the stream's)
  std::vector<OrderEvent> peeked;  // the first frame's events, for their exchange time
  StreamStart on_stream;           // the orders the frames held during a resync carry
  FrameHold hold;
  std::size_t filled = 0;
  std::string subscribe_text;

  std::optional<EventSink> sink;
  std::uint64_t next_seq = 0;
  std::uint64_t recv_ts = 0;

  // Connection state.
  std::uint64_t connection = 0;  // which connection a handler was started for
  unsigned attempt = 0;          // failures since the last healthy connection: the backoff
  bool live = false;             // subscribed and reading
  bool whole = false;            // live, and the state equals the exchange's (resynced)
  bool auth_refused = false;
  bool read_paused = false;
  // A connection failure while the resync runs: the REST work goes on (its answers stay true),
  // and the failure is acted on once the resync's and the held frames' events are published.
  struct DeferredFailure {
    bool auth = false;
    bool was_live = false;
    std::string stage;
    std::string what;
  };
  std::optional<DeferredFailure> deferred_failure;

  // Liveness, in keep-alive ticks (no clock read on the read path).
  std::uint64_t ticks = 0;
  std::uint64_t ticks_per_ping = 1, ticks_per_pong = 1, ticks_per_frame = 1;
  std::uint64_t last_ping_tick = 0;
  std::optional<std::uint64_t> ping_tick;     // a ping awaits its pong since this tick
  std::optional<std::uint64_t> partial_tick;  // the current frame's first bytes came at this tick

  // Clocks: the local wall clock, refreshed every tick (the bounds are tens of seconds).
  std::int64_t wall_now_ms = 0;
  std::int64_t last_event_ms = -1;  // the newest plausible exchange time seen on the stream
  // When the state was last whole: the loss of the last whole connection, by the local clock or
  // the newest plausible exchange time then, whichever is later (-1 before any).
  std::int64_t whole_until_ms = -1;
  std::int64_t lost_ms = -1;  // when the last connection was lost (local clock)

  // Resync.
  OrderTracker orders_seen;
  bool first_connect = true;
  bool resync_pending = false;  // subscribed; the resync waits for the first frame (or a timeout)
  bool resync_running = false;  // the REST coroutine is under way; frames read are held
  std::uint64_t resync_id = 0;
  std::string last_resync_error;

  std::atomic<bool> connected_flag{false};
  std::atomic<bool> resyncing_flag{false};
  std::mt19937_64 rng;
  LiveCounterSet n;

  Impl(LiveConfig c, Credentials cr, JournalProducer* j, NoticeFn nf)
      : cfg(std::move(c)),
        creds(std::move(cr)),
        journal(j),
        notice_fn(std::move(nf)),
        ws_url(parse_url(cfg.url)),
        decoder(cfg.max_frame_bytes),
        buffer(new char[cfg.max_frame_bytes + kFramePadding]()),
        peek_decoder(cfg.max_frame_bytes),
        on_stream(cfg.resync_max_orders),
        hold(cfg.resync_hold_bytes, cfg.max_frame_bytes, cfg.resync),
        orders_seen(cfg.open_tracking_capacity),
        rng(cfg.seed != 0 ? cfg.seed
                          : static_cast<std::uint64_t>(Clock::now().time_since_epoch().count())) {
    if (cfg.rest_url.empty()) {
      cfg.rest_url =
          std::string(ws_url.tls ? "https://" : "http://") + ws_url.host_header() + "/v1";
    }
    rest_url = parse_url(cfg.rest_url);
    for (auto& code : cfg.codes)
      code = checked_code(code);
    const auto tick = std::max<std::int64_t>(
        10, std::min({cfg.ping_interval, cfg.pong_timeout, cfg.frame_timeout}).count() / 4);
    keepalive_tick = std::chrono::milliseconds(tick);
    ticks_per_ping =
        static_cast<std::uint64_t>(std::max<std::int64_t>(1, cfg.ping_interval.count() / tick));
    ticks_per_pong =
        static_cast<std::uint64_t>(std::max<std::int64_t>(1, cfg.pong_timeout.count() / tick));
    ticks_per_frame =
        static_cast<std::uint64_t>(std::max<std::int64_t>(1, cfg.frame_timeout.count() / tick));
    setup_tls();
    rest.emplace(ioc, rest_url, tls_ctx,
                 RestSession::Settings{cfg.rest_timeout, cfg.rest_per_second,
                                       cfg.rest_max_body_bytes, !cfg.insecure},
                 n);
  }
  std::chrono::milliseconds keepalive_tick{1000};

  // One place for TLS policy: peer verification on by default, against the system CAs plus the
  // given CA file; --insecure only when asked, and said out loud.
  void setup_tls() {
    tls_ctx.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                        ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
    if (cfg.insecure) {
      tls_ctx.set_verify_mode(ssl::verify_none);
      say("WARNING: TLS peer verification is OFF (--insecure): the connection can be intercepted");
      return;
    }
    tls_ctx.set_default_verify_paths();
    if (!cfg.ca_file.empty()) tls_ctx.load_verify_file(cfg.ca_file);
    tls_ctx.set_verify_mode(ssl::verify_peer);
  }

  // Every notice is one line, capped, with tokens and the access key redacted, whatever server
  // text it quotes (the quoting itself is done where the text is taken in).
  void say(const std::string& raw) {
    const std::string_view secrets[] = {creds.access_key};
    const std::string text = one_line(raw, kLogLineCap, secrets);
    if (notice_fn) notice_fn(text);
    if (journal != nullptr) {
      (void)journal->record(JournalKind::notice, text.data(), text.size(), now_steady_ns());
    }
  }

  // Publishes a control event into the ring, in order with the data.
  void control(ControlCode code, std::string_view reason = {}, double count = 0) noexcept {
    OrderEvent& e = sink->claim();
    make_control(e, code, wall_ms(), reason, count);
    e.seq = next_seq++;
    e.recv_ts = now_ticks();
    sink->publish();
  }

  template <class F>
  void with_ws(F&& f) {
    if (secure) {
      f(*secure);
    } else if (plain) {
      f(*plain);
    }
  }

  //----------------------------------------------------------------------------------------------
  // Connect chain. Every handler carries the number of the connection it was started for and is
  // ignored once a newer one began: the completion of an operation on a closed connection (a
  // read aborted by the close, which can run after the reconnect has started) must not act on the
  // new connection.

  // Waits for a place in the process's connection window and for any ban to end, then connects.
  void start_connect() {
    const auto now = Clock::now();
    const auto at =
        std::max(connect_window().reserve(now, cfg.connects_per_second), exchange_ban().until());
    if (at <= now) return connect_now();
    n.connects_delayed.add();
    retry_timer.expires_at(at);
    retry_timer.async_wait([this](beast::error_code ec) {
      if (!ec) connect_now();
    });
  }

  void connect_now() {
    n.attempts.add();
    ++connection;
    filled = 0;
    plain.reset();
    secure.reset();
    if (ws_url.tls) {
      secure.emplace(ioc, tls_ctx);
    } else {
      plain.emplace(ioc);
    }
    resolver.async_resolve(
        ws_url.host, ws_url.port,
        [this, id = connection](beast::error_code ec, tcp::resolver::results_type results) {
          if (id == connection) on_resolve(ec, std::move(results));
        });
  }

  void on_resolve(beast::error_code ec, tcp::resolver::results_type results) {
    if (ec) return fail("resolve", ec.message());
    with_ws([&](auto& ws) {
      auto& layer = beast::get_lowest_layer(ws);
      layer.expires_after(cfg.connect_timeout);
      layer.async_connect(results,
                          [this, id = connection](beast::error_code e, const tcp::endpoint&) {
                            if (id == connection) on_connect(e);
                          });
    });
  }

  void on_connect(beast::error_code ec) {
    if (ec) return fail("connect", ec.message());
    // Small frames, latency first: no Nagle delay on our subscribe and pongs.
    with_ws([](auto& ws) { beast::get_lowest_layer(ws).socket().set_option(tcp::no_delay(true)); });
    if (!secure) return on_tls({});
    // SNI: the server picks its certificate by name (not for an IP literal, which SNI does not
    // carry); verification checks that name or address too.
    if (!is_ip_literal(ws_url.host) &&
        !set_sni(secure->next_layer().native_handle(), ws_url.host)) {
      return fail("tls", "cannot set the server name (SNI)");
    }
    if (!cfg.insecure)
      secure->next_layer().set_verify_callback(ssl::host_name_verification(ws_url.host));
    // Asio turns on SSL_MODE_RELEASE_BUFFERS, which frees OpenSSL's record buffers whenever they
    // empty and allocates them again for the next record: an allocation per read on the hot path.
    // The buffers (~34 KB per connection) are kept instead.
    SSL_ctrl(secure->next_layer().native_handle(), SSL_CTRL_CLEAR_MODE, SSL_MODE_RELEASE_BUFFERS,
             nullptr);
    secure->next_layer().async_handshake(ssl::stream_base::client,
                                         [this, id = connection](beast::error_code e) {
                                           if (id == connection) on_tls(e);
                                         });
  }

  void on_tls(beast::error_code ec) {
    if (ec) return fail("tls", ec.message());
    with_ws([&](auto& ws) {
      // The upgrade keeps the connect deadline (the TCP timer, dropped once subscribed).
      // Keep-alive is ours (on_keepalive_tick), not Beast's idle timeout: Beast re-arms that timer
      // on every read, which allocates on the hot path (a timer wait and the cancelled one's
      // completion per frame).
      websocket::stream_base::timeout t{};
      t.handshake_timeout = cfg.connect_timeout;
      t.idle_timeout = websocket::stream_base::none();
      t.keep_alive_pings = false;
      ws.set_option(t);
      ws.control_callback([this](websocket::frame_type kind, beast::string_view) {
        if (kind == websocket::frame_type::pong) ping_tick.reset();
      });
      // The frame size is bounded by the read buffer itself: on_read counts a message that does
      // not fit as oversized and drops the connection. Beast's own limit would instead start a
      // close handshake whose outcome (over TLS, often a close_notify error) hides the reason.
      ws.read_message_max(0);
      ws.auto_fragment(false);
      // A fresh token per connection (new nonce); it goes only into this header.
      const std::string bearer = "Bearer " + make_token(creds);
      ws.set_option(websocket::stream_base::decorator([bearer](websocket::request_type& req) {
        req.set(http::field::authorization, bearer);
        req.set(http::field::user_agent, "fillwire");
      }));
      handshake_response = {};
      ws.async_handshake(handshake_response, ws_url.host_header(), ws_url.path,
                         [this, id = connection](beast::error_code e) {
                           if (id == connection) on_ws_handshake(e);
                         });
    });
  }

  void on_ws_handshake(beast::error_code ec) {
    if (ec) {
      const auto status = handshake_response.result_int();
      if (status == 401 || status == 403) {
        return auth_failed("handshake refused with HTTP " + std::to_string(status));
      }
      if (status == 429 || status == 418) return refused_by_rate(status);
      return fail("websocket handshake", ec.message());
    }
    subscribe_text = subscribe_message(cfg, "fillwire-" + new_nonce());
    with_ws([&](auto& ws) {
      ws.text(true);
      ws.async_write(asio::buffer(subscribe_text),
                     [this, id = connection](beast::error_code e, std::size_t) {
                       if (id == connection) on_subscribe(e);
                     });
    });
  }

  // The upgrade answered 429 (too many connects: the backoff grows) or 418 (banned: nothing is
  // sent to the exchange until its Retry-After).
  void refused_by_rate(unsigned status) {
    const std::string reason = "HTTP " + std::to_string(status);
    std::chrono::milliseconds wait{0};
    if (status == 418) {
      n.rest_banned.add();
      wait = retry_after(handshake_response[http::field::retry_after], cfg.ban_default,
                         std::chrono::hours(1));
      exchange_ban().ban_until(Clock::now() + wait);
      say("BANNED by the exchange (HTTP 418 at the upgrade): nothing is sent to it for " +
          std::to_string(wait.count() / 1000) + " s");
    } else {
      n.rest_throttled.add();
    }
    control(ControlCode::rate_limited, reason, static_cast<double>(wait.count()) / 1000.0);
    fail("websocket handshake", "refused with " + reason);
  }

  void on_subscribe(beast::error_code ec) {
    if (ec) return fail("subscribe", ec.message());
    with_ws([](auto& ws) { beast::get_lowest_layer(ws).expires_never(); });
    live = true;
    connected_flag.store(true, std::memory_order_relaxed);
    n.connects.add();
    auth_refused = false;
    wall_now_ms = wall_ms();
    say("connected to " + ws_url.redacted() + (cfg.simple_format ? " (SIMPLE format)" : ""));
    control(ControlCode::connected);
    if (cfg.resync) {
      // The resync runs when the first frame arrives: its exchange time says which missed trades
      // the stream will not bring (those before it). A quiet stream resyncs after resync_wait.
      resync_pending = true;
      on_stream.clear();  // what this connection's stream carries, from its first frame on
      resync_timer.expires_after(cfg.resync_wait);
      resync_timer.async_wait([this, id = connection](beast::error_code e) {
        if (e || id != connection || !resync_pending || !live) return;
        resync_pending = false;
        start_resync(-1);
      });
    } else {
      became_whole();
    }
    ping_tick.reset();
    partial_tick.reset();
    last_ping_tick = ticks;
    arm_keepalive();
    read_more();
  }

  // The state equals the exchange's. The backoff starts over only once the connection has also
  // stayed up for healthy_after: a server that drops each connection soon after meets a growing
  // backoff, not a storm.
  void became_whole() {
    whole = true;
    healthy_timer.expires_after(cfg.healthy_after);
    healthy_timer.async_wait([this, id = connection](beast::error_code e) {
      if (!e && id == connection && whole) attempt = 0;
    });
  }

  //----------------------------------------------------------------------------------------------
  // Keep-alive and liveness (cold: one timer wait per tick, a quarter of the shortest of
  // ping_interval, pong_timeout and frame_timeout). A ping every ping_interval whatever arrives
  // (the exchange counts only what the client sends as activity); its pong must come within
  // pong_timeout; a frame begun must be whole within frame_timeout. While reading is paused (a full
  // hold during a resync) nothing can arrive, so nothing is expected.

  void arm_keepalive() {
    keepalive_timer.expires_after(keepalive_tick);
    keepalive_timer.async_wait([this, id = connection](beast::error_code ec) {
      if (!ec && id == connection && live) on_keepalive_tick();
    });
  }

  void on_keepalive_tick() {
    ++ticks;
    wall_now_ms = wall_ms();
    if (read_paused) {
      ping_tick.reset();
      partial_tick.reset();
      last_ping_tick = ticks;
      return arm_keepalive();
    }
    if (partial_tick && ticks - *partial_tick > ticks_per_frame) {
      n.stalled_frames.add();
      return fail("read", "a frame was not whole within " +
                              std::to_string(cfg.frame_timeout.count()) + " ms of its first bytes");
    }
    if (ping_tick && ticks - *ping_tick > ticks_per_pong) {
      n.pong_timeouts.add();
      return fail("keep-alive",
                  "no pong within " + std::to_string(cfg.pong_timeout.count()) + " ms of a ping");
    }
    if (!ping_tick && ticks - last_ping_tick >= ticks_per_ping) {
      last_ping_tick = ticks;
      ping_tick = ticks;
      with_ws([&](auto& ws) {
        ws.async_ping({}, [this, id = connection](beast::error_code ec) {
          if (ec && id == connection && live) fail("ping", ec.message());
        });
      });
    }
    arm_keepalive();
  }

  //----------------------------------------------------------------------------------------------
  // Read loop: the hot path. One fixed buffer; each frame decoded where it landed.

  void read_more() {
    with_ws([&](auto& ws) {
      ws.async_read_some(asio::buffer(buffer.get() + filled, cfg.max_frame_bytes - filled),
                         [this, id = connection](beast::error_code ec, std::size_t bytes) {
                           if (id == connection) on_read(ec, bytes);
                         });
    });
  }

  void on_read(beast::error_code ec, std::size_t bytes) {
    if (ec) {
      if (ec == websocket::error::message_too_big || ec == websocket::error::buffer_overflow) {
        return oversized();
      }
      return fail("read", ec.message());
    }
    filled += bytes;
    bool done = true;
    with_ws([&](auto& ws) { done = ws.is_message_done(); });
    if (!done) {
      if (filled == cfg.max_frame_bytes) return oversized();
      if (!partial_tick) partial_tick = ticks;
      return read_more();
    }
    partial_tick.reset();
    const std::size_t size = filled;
    filled = 0;
    on_frame(size);
    if (!live) return;
    if (resync_running && hold.full()) {
      read_paused = true;  // the socket holds the rest until the resync ends
      n.resync_hold_full.add();
      return;
    }
    read_more();
  }

  void oversized() {
    n.oversized.add();
    fail("read", "frame over " + std::to_string(cfg.max_frame_bytes) + " bytes");
  }

  void on_frame(std::size_t size) {
    recv_ts = now_ticks();
    n.frames.add();
    const char* data = buffer.get();
    if (resync_pending && on_first_frame(data, size)) return;
    if (resync_running) {
      hold.hold(recv_ts, data, size);
      n.resync_held_frames.add();
      for (const OrderEvent& e : peek(data, size))
        on_stream.on_event(e);
      return;
    }
    publish_frame(data, size);
  }

  // Journals the frame and publishes its events (the read path, and held frames afterwards).
  void publish_frame(const char* data, std::size_t size) {
    if (journal != nullptr) (void)journal->record(JournalKind::frame, data, size, recv_ts);
    struct Stamp {
      Impl* self;
      OrderEvent* slot = nullptr;
      OrderEvent& claim() noexcept {
        slot = &self->sink->claim();
        slot->seq = self->next_seq;
        slot->recv_ts = self->recv_ts;
        return *slot;
      }
      void publish() noexcept {
        self->track(*slot);
        ++self->next_seq;
        self->sink->publish();
        self->n.events.add();
      }
    } stamp{this};
    const FrameResult r = decoder.decode(data, size, EventSink{stamp});
    if (r.error) n.decode_errors.add();
    if (r.kind == FrameKind::status) {
      n.status_frames.add();
    } else if (r.kind == FrameKind::error) {
      on_server_error(r.server_error);
    }
  }

  [[nodiscard]] ClockVerdict check_clock(std::int64_t exchange_ms) const noexcept {
    return check_exchange_time(exchange_ms, wall_now_ms,
                               ClockBounds{cfg.clock_skew_max.count(), cfg.event_age_max.count()});
  }

  // Remembers what the resync must ask about: orders seen open and the trades seen, and the
  // newest plausible exchange time of the stream (a resync event carries the query time). An
  // implausible stream time is counted and steers nothing.
  void track(const OrderEvent& e) noexcept {
    if (e.origin == EventOrigin::stream && e.kind == EventKind::order) {
      if (check_clock(e.timestamp) != ClockVerdict::plausible) {
        n.clock_skew.add();
      } else if (e.timestamp > last_event_ms) {
        last_event_ms = e.timestamp;
      }
    }
    orders_seen.on_event(e);
  }

  // Cold: the first frame after subscribing. Its events are decoded aside: the earliest plausible
  // exchange time among them bounds what the resync must bring (older missed trades). The resync
  // starts and the frame is held, to be published after the resync's events. A frame with no
  // order event (status, error, garbled) is published at once and the resync still waits. True
  // when held.
  bool on_first_frame(const char* data, std::size_t size) {
    bool any = false;
    std::int64_t first_ms = -1;
    for (const OrderEvent& e : peek(data, size)) {
      if (e.kind != EventKind::order) continue;
      any = true;
      on_stream.on_event(e);
      if (check_clock(e.timestamp) == ClockVerdict::plausible &&
          (first_ms < 0 || e.timestamp < first_ms))
        first_ms = e.timestamp;
    }
    if (!any) return false;
    // No plausible time (first_ms stays -1): nothing is left to the stream by time, every missed
    // trade is fetched (a trade the stream brings too is then a duplicate, which changes nothing).
    resync_pending = false;
    resync_timer.cancel();
    hold.hold(recv_ts, data, size);
    n.resync_held_frames.add();
    start_resync(first_ms);
    return true;
  }

  // Cold: a frame's events decoded aside, leaving the stream's decoder and its stats alone.
  const std::vector<OrderEvent>& peek(const char* data, std::size_t size) {
    peeked.clear();
    peeked.reserve(cfg.max_frame_bytes / 32 + 1);  // no event in a frame is shorter than 32 bytes
    struct Peek {
      std::vector<OrderEvent>* v;
      std::size_t published = 0;
      OrderEvent& claim() noexcept {
        // A claim not published (a bad element) is reused, like a ring slot.
        if (v->size() == published && v->size() < v->capacity()) v->emplace_back();
        return (*v)[std::min(published, v->size() - 1)];
      }
      void publish() noexcept { published = std::min(published + 1, v->size()); }
    } aside{&peeked};
    (void)peek_decoder.decode(data, size, EventSink{aside});
    peeked.resize(aside.published);
    return peeked;
  }

  void on_server_error(const ServerError& err) {
    n.server_errors.add();
    control(ControlCode::server_error, err.name.view());
    if (err.name.view() == "INVALID_AUTH") auth_failed("the exchange sent INVALID_AUTH");
  }

  //----------------------------------------------------------------------------------------------
  // Failure and reconnect

  void close_stream() {
    ++connection;  // what is still pending on this connection completes as stale (ignored)
    lost_ms = wall_ms();
    // From here on the state may miss changes.
    if (whole) whole_until_ms = std::max(lost_ms, last_event_ms);
    whole = false;
    live = false;
    read_paused = false;
    resync_pending = false;
    resync_timer.cancel();
    healthy_timer.cancel();
    connected_flag.store(false, std::memory_order_relaxed);
    keepalive_timer.cancel();
    beast::error_code ignored;
    with_ws([&](auto& ws) { beast::get_lowest_layer(ws).socket().close(ignored); });
  }

  void fail(const char* stage, const std::string& what) {
    const bool was_live = live;
    close_stream();
    if (defer_failure(false, was_live, stage, what)) return;
    disconnected(was_live, stage, what);
  }

  // While the resync runs, a failure only closes the stream; the rest waits for the resync's end
  // (on_resync_done), so that the resync's events and the held frames come first.
  bool defer_failure(bool auth, bool was_live, const char* stage, const std::string& what) {
    if (!resync_running) return false;
    if (!deferred_failure) deferred_failure = DeferredFailure{auth, was_live, stage, what};
    return true;
  }

  void disconnected(bool was_live, const char* stage, const std::string& what) {
    if (was_live) {
      n.disconnects.add();
      control(ControlCode::disconnected, stage);
    }
    say(std::string("disconnected at ") + stage + ": " + what);
    schedule_reconnect(false);
  }

  void auth_failed(const std::string& why) {
    const bool was_live = live;
    close_stream();
    if (defer_failure(true, was_live, "auth", why)) return;
    refused(was_live, why);
  }

  void refused(bool was_live, const std::string& why) {
    if (was_live) n.disconnects.add();
    n.auth_failures.add();
    auth_refused = true;
    control(ControlCode::auth_failed, "credentials refused");
    say("AUTHENTICATION FAILED: " + why +
        "; check the access/secret keys and their permissions "
        "(retrying every " +
        std::to_string(cfg.auth_backoff.count() / 1000) + " s)");
    schedule_reconnect(true);
  }

  // Exponential backoff with full jitter (a uniform wait in [0, min(cap, base * 2^attempt)]):
  // many clients that failed together do not come back together.
  void schedule_reconnect(bool slow) {
    std::chrono::milliseconds wait = cfg.auth_backoff;
    if (!slow) {
      const unsigned shift = std::min(attempt, 20u);
      const auto ceiling =
          std::min<std::int64_t>(cfg.backoff_max.count(), cfg.backoff_initial.count() << shift);
      std::uniform_int_distribution<std::int64_t> pick(0, std::max<std::int64_t>(ceiling, 1));
      wait = std::chrono::milliseconds(pick(rng));
    }
    ++attempt;
    retry_timer.expires_after(wait);
    retry_timer.async_wait([this](beast::error_code ec) {
      if (!ec) start_connect();
    });
  }

  //----------------------------------------------------------------------------------------------
  // Resync: a coroutine beside the read loop (resync.cpp). Frames read meanwhile are held and
  // published after its events (on_resync_done), so the strategy sees what it would have seen had
  // the resync been instant. One deadline covers all of it.

  // ResyncHost: called by the resync coroutine, on this thread.
  void publish(const OrderEvent& o) override {
    OrderEvent& slot = sink->claim();
    slot = o;
    slot.seq = next_seq++;
    slot.recv_ts = now_ticks();
    if (journal != nullptr) (void)journal_event(*journal, slot, slot.recv_ts);  // exact bytes
    track(slot);
    sink->publish();
    n.events.add();
    n.resync_events.add();
  }
  void notice(const std::string& text) override { say(text); }
  void rate_limited(std::string_view what, double seconds) override {
    control(ControlCode::rate_limited, what, seconds);
  }

  // `stream_from_ms`: the exchange time of the first event the new connection delivered, or -1
  // when none came yet.
  void start_resync(std::int64_t stream_from_ms) {
    resync_running = true;
    resyncing_flag.store(true, std::memory_order_relaxed);
    control(ControlCode::resync_begin);
    const std::int64_t now = wall_ms();
    // With closed_margin over clock_skew_max (the defaults), an exchange time ahead of the local
    // clock can never move the horizon past the local time of the loss.
    const Horizon h = closed_horizon(whole_until_ms, first_connect ? cfg.first_closed_since_ms : -1,
                                     cfg.closed_margin.count(), now);
    if (h.clamped) {
      n.resync_incomplete.add();
      say("RESYNC INCOMPLETE: closed orders are listed from " + std::to_string(h.since_ms) +
          " ms only (REST's 7-day window); orders closed before it and never seen open cannot "
          "be listed");
    }
    ResyncRequest req;
    req.since_ms = h.since_ms;
    req.until_ms = now + cfg.clock_skew_max.count();
    // "As of" in the exchange's clock where known (the newest plausible event), else local.
    req.as_of_ms = last_event_ms >= 0 ? last_event_ms : now;
    req.stream_from_ms = stream_from_ms;
    rest->reset();
    const std::uint64_t id = ++resync_id;
    deadline_timer.expires_after(cfg.resync_timeout);
    deadline_timer.async_wait([this, id](beast::error_code e) {
      if (!e && id == resync_id && resync_running) rest->abort();
    });
    asio::co_spawn(
        ioc, run_resync(ResyncContext{cfg, creds, orders_seen, on_stream, *rest, n, *this}, req),
        [this](std::exception_ptr escaped, ResyncOutcome out) {
          if (escaped) {
            out = ResyncOutcome{};
            out.result = ResyncResult::failed;
            out.detail = "internal error";
          }
          on_resync_done(out);
        });
  }

  // Publishes the frames held meanwhile and acts on the outcome. A resync that failed or stopped
  // at a bound must not leave a gap until some later disconnect: the connection is dropped and the
  // whole chain, resync included, runs again after the backoff, which keeps growing (`attempt` is
  // reset only once a connection stayed whole for healthy_after). A connection that failed while
  // the resync ran is acted on now, after the events.
  void on_resync_done(const ResyncOutcome& out) {
    resync_running = false;
    resyncing_flag.store(false, std::memory_order_relaxed);
    deadline_timer.cancel();
    rest->close();  // no idle connection between resyncs
    report(out);
    hold.release([this](std::uint64_t ts, const char* data, std::size_t size) {
      recv_ts = ts;
      publish_frame(data, size);
    });
    return_free_memory();
    // A connection lost while its resync ran was whole until then: the resync covered what came
    // before it and the held frames (all read before the loss) what came after.
    if (out.result == ResyncResult::ok && !live) whole_until_ms = std::max(lost_ms, last_event_ms);
    if (auto d = std::exchange(deferred_failure, std::nullopt)) {
      if (d->auth) return refused(d->was_live, d->what);
      return disconnected(d->was_live, d->stage.c_str(), d->what);
    }
    switch (out.result) {
      case ResyncResult::ok:
        if (live) {
          became_whole();
          if (std::exchange(read_paused, false)) read_more();
        }
        return;
      case ResyncResult::incomplete:
        return fail("resync",
                    std::string("stopped at its bound: ") + std::string(to_string(out.bound)));
      case ResyncResult::failed:
        return fail("resync", "REST resynchronisation failed");
      case ResyncResult::auth_refused:
        return auth_failed("REST resync refused: " + out.detail);
    }
  }

  void report(const ResyncOutcome& out) {
    switch (out.result) {
      case ResyncResult::ok:
        first_connect = false;
        n.resyncs.add();
        control(ControlCode::resynced, {}, static_cast<double>(out.published));
        say("resynced: " + std::to_string(out.published - out.missed_trades) + " orders and " +
            std::to_string(out.missed_trades) + " missed trades from REST");
        return;
      case ResyncResult::incomplete:
        n.resync_incomplete.add();
        control(ControlCode::resync_incomplete, to_string(out.bound),
                static_cast<double>(out.orders));
        say("RESYNC INCOMPLETE: stopped at its bound (" + std::string(to_string(out.bound)) +
            ") after " + std::to_string(out.requests) + " REST requests and " +
            std::to_string(out.orders) +
            " orders; nothing of it was published; reconnecting with backoff");
        return;
      case ResyncResult::failed:
        n.resync_failures.add();
        control(ControlCode::resync_failed, "rest");
        say("RESYNC FAILED: " + out.detail + "; reconnecting to retry it");
        return;
      case ResyncResult::auth_refused:
        n.resync_failures.add();
        control(ControlCode::resync_failed, "rest auth");
        return;
    }
  }
};

//------------------------------------------------------------------------------------------------

LiveSource::LiveSource(LiveConfig config, Credentials credentials, JournalProducer* journal,
                       NoticeFn notice)
    : impl_(std::make_unique<Impl>(std::move(config), std::move(credentials), journal,
                                   std::move(notice))) {}

LiveSource::~LiveSource() = default;

void LiveSource::bind(EventSink sink) noexcept {
  impl_->sink.emplace(sink);
  // The first connection starts with the first poll, on the network thread.
  try {
    impl_->start_connect();
  } catch (const std::exception& e) {
    impl_->say(std::string("cannot start connecting: ") + e.what());
  }
}

SourceStatus LiveSource::poll_once() noexcept {
  try {
    std::size_t handled = 0;
    if (impl_->cfg.blocking) {
      // Sleep until something is ready, then run everything else that is ready without sleeping:
      // the frames of one socket read complete one handler each, and each run_one_for() call
      // costs a scheduler round trip of its own.
      handled = impl_->ioc.run_one_for(std::chrono::milliseconds(50));
      if (handled > 0) handled += impl_->ioc.poll();
    } else {
      handled = impl_->ioc.poll();
    }
    if (impl_->ioc.stopped()) impl_->ioc.restart();
    return handled > 0 ? SourceStatus::produced : SourceStatus::idle;
  } catch (const std::exception& e) {
    // Handlers report through fail(); anything escaping is a bug in a cold step: reconnect.
    impl_->say(std::string("network step failed: ") + e.what());
    impl_->fail("internal", e.what());
    return SourceStatus::idle;
  }
}

LiveCounters LiveSource::counters() const noexcept {
  return impl_->n.read();
}

bool LiveSource::connected() const noexcept {
  return impl_->connected_flag.load(std::memory_order_relaxed);
}

bool LiveSource::resyncing() const noexcept {
  return impl_->resyncing_flag.load(std::memory_order_relaxed);
}

const DecoderStats& LiveSource::decoder_stats() const noexcept {
  return impl_->decoder.stats();
}

}  // namespace fillwire
