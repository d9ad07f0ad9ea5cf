// WsLink: Boost.Beast WebSocket over OpenSSL (or plain TCP) on the network thread's io_context.
// See ws_link.hpp for the contract.

#include "ws_link.hpp"

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

#include <algorithm>
#include <optional>

#include "fillwire/decoder.hpp"
#include "server_name.hpp"
#include "subscription.hpp"

namespace fillwire::net {

namespace asio = boost::asio;            // from <boost/asio.hpp>
namespace beast = boost::beast;          // from <boost/beast.hpp>
namespace http = beast::http;            // from <boost/beast/http.hpp>
namespace websocket = beast::websocket;  // from <boost/beast/websocket.hpp>
namespace ssl = asio::ssl;               // from <boost/asio/ssl.hpp>
using tcp = asio::ip::tcp;

namespace {

constexpr std::size_t kRetryAfterCap = 64;  // a number of seconds or an HTTP date

}  // namespace

struct WsLink::Impl {
  // The io_context's own executor type, not the type-erased any_io_executor of beast::tcp_stream:
  // completing a read through any_io_executor wraps the handler in a heap-allocated function
  // object on every read; with the concrete type the handler is invoked directly.
  using TcpStream =
      beast::basic_stream<tcp, asio::io_context::executor_type, beast::unlimited_rate_policy>;
  using PlainWs = websocket::stream<TcpStream>;
  using TlsWs = websocket::stream<beast::ssl_stream<TcpStream>>;

  asio::io_context& ioc;
  ssl::context& tls_ctx;
  const LiveConfig& cfg;
  const Credentials& creds;
  const Url& url;
  LiveCounterSet& n;
  WsLinkHost& host;

  tcp::resolver resolver{ioc};
  asio::steady_timer keepalive_timer{ioc};
  std::optional<PlainWs> plain;
  std::optional<TlsWs> secure;
  http::response<http::string_body> handshake_response;
  std::string subscribe_text;

  std::unique_ptr<char[]> buffer;  // max_frame_bytes + kFramePadding, allocated once
  std::size_t filled = 0;

  std::uint64_t generation = 0;  // which connection a handler was started for
  bool open = false;             // subscribed and not closed since
  bool paused = false;

  // Liveness, in keep-alive ticks (no clock read on the read path).
  std::chrono::milliseconds tick{1000};
  std::uint64_t ticks = 0;
  std::uint64_t ticks_per_ping = 1, ticks_per_pong = 1, ticks_per_frame = 1;
  std::uint64_t last_ping_tick = 0;
  std::optional<std::uint64_t> ping_tick;     // a ping awaits its pong since this tick
  std::optional<std::uint64_t> partial_tick;  // the current frame's first bytes came at this tick

  Impl(asio::io_context& io, ssl::context& tls, const LiveConfig& c, const Credentials& cr,
       const Url& u, LiveCounterSet& counters, WsLinkHost& h)
      : ioc(io),
        tls_ctx(tls),
        cfg(c),
        creds(cr),
        url(u),
        n(counters),
        host(h),
        buffer(new char[cfg.max_frame_bytes + kFramePadding]()) {
    const auto ms = std::max<std::int64_t>(
        10, std::min({cfg.ping_interval, cfg.pong_timeout, cfg.frame_timeout}).count() / 4);
    tick = std::chrono::milliseconds(ms);
    const auto in_ticks = [ms](std::chrono::milliseconds d) {
      return static_cast<std::uint64_t>(std::max<std::int64_t>(1, d.count() / ms));
    };
    ticks_per_ping = in_ticks(cfg.ping_interval);
    ticks_per_pong = in_ticks(cfg.pong_timeout);
    ticks_per_frame = in_ticks(cfg.frame_timeout);
  }

  template <class F>
  void with_ws(F&& f) {
    if (secure) {
      f(*secure);
    } else if (plain) {
      f(*plain);
    }
  }

  void close() noexcept {
    ++generation;  // what is still pending on this connection completes as stale (ignored)
    open = false;
    paused = false;
    try {
      keepalive_timer.cancel();
    } catch (...) {  // asio reports a failed cancel by throwing; the generation makes it stale
    }
    beast::error_code ignored;
    with_ws([&](auto& ws) { beast::get_lowest_layer(ws).socket().close(ignored); });
  }

  void fail(const LinkFailure& f) {
    close();
    host.on_link_down(f);
  }
  void fail(const char* stage, std::string what) {
    fail(LinkFailure{LinkFailureKind::network, stage, std::move(what), 0, {}});
  }

  //----------------------------------------------------------------------------------------------
  // Connect chain. Every handler carries the generation it was started for and is ignored once a
  // newer one began: the completion of an operation on a closed connection (a read aborted by the
  // close, which can run after the reconnect has started) must not act on the new connection.

  void connect() {
    close();
    filled = 0;
    plain.reset();
    secure.reset();
    if (url.tls) {
      secure.emplace(ioc, tls_ctx);
    } else {
      plain.emplace(ioc);
    }
    resolver.async_resolve(
        url.host, url.port,
        [this, id = generation](beast::error_code ec, tcp::resolver::results_type results) {
          if (id == generation) on_resolve(ec, std::move(results));
        });
  }

  void on_resolve(beast::error_code ec, tcp::resolver::results_type results) {
    if (ec) return fail("resolve", ec.message());
    with_ws([&](auto& ws) {
      auto& layer = beast::get_lowest_layer(ws);
      layer.expires_after(cfg.connect_timeout);
      layer.async_connect(results,
                          [this, id = generation](beast::error_code e, const tcp::endpoint&) {
                            if (id == generation) on_connect(e);
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
    if (!set_server_name(secure->next_layer().native_handle(), url.host)) {
      return fail("tls", "cannot set the server name (SNI)");
    }
    if (!cfg.insecure)
      secure->next_layer().set_verify_callback(ssl::host_name_verification(url.host));
    // Asio turns on SSL_MODE_RELEASE_BUFFERS, which frees OpenSSL's record buffers whenever they
    // empty and allocates them again for the next record: an allocation per read on the hot path.
    // The buffers (~34 KB per connection) are kept instead.
    SSL_ctrl(secure->next_layer().native_handle(), SSL_CTRL_CLEAR_MODE, SSL_MODE_RELEASE_BUFFERS,
             nullptr);
    secure->next_layer().async_handshake(ssl::stream_base::client,
                                         [this, id = generation](beast::error_code e) {
                                           if (id == generation) on_tls(e);
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
      ws.async_handshake(handshake_response, url.host_header(), url.path,
                         [this, id = generation](beast::error_code e) {
                           if (id == generation) on_ws_handshake(e);
                         });
    });
  }

  void on_ws_handshake(beast::error_code ec) {
    if (ec) {
      const unsigned status = handshake_response.result_int();
      if (status == 401 || status == 403) {
        return fail(LinkFailure{LinkFailureKind::auth_refused,
                                "websocket handshake",
                                "handshake refused with HTTP " + std::to_string(status),
                                status,
                                {}});
      }
      if (status == 429 || status == 418) {
        const auto header = handshake_response[http::field::retry_after];
        return fail(LinkFailure{LinkFailureKind::rate_refused, "websocket handshake",
                                "refused with HTTP " + std::to_string(status), status,
                                std::string(header.substr(0, kRetryAfterCap))});
      }
      return fail("websocket handshake", ec.message());
    }
    subscribe_text = subscribe_message(cfg, "fillwire-" + new_nonce());
    with_ws([&](auto& ws) {
      ws.text(true);
      ws.async_write(asio::buffer(subscribe_text),
                     [this, id = generation](beast::error_code e, std::size_t) {
                       if (id == generation) on_subscribe(e);
                     });
    });
  }

  void on_subscribe(beast::error_code ec) {
    if (ec) return fail("subscribe", ec.message());
    with_ws([](auto& ws) { beast::get_lowest_layer(ws).expires_never(); });
    open = true;
    ping_tick.reset();
    partial_tick.reset();
    last_ping_tick = ticks;
    arm_keepalive();
    const std::uint64_t id = generation;
    host.on_open();
    if (id == generation) read_more();
  }

  //----------------------------------------------------------------------------------------------
  // Keep-alive and liveness.

  void arm_keepalive() {
    keepalive_timer.expires_after(tick);
    keepalive_timer.async_wait([this, id = generation](beast::error_code ec) {
      if (!ec && id == generation && open) on_keepalive_tick();
    });
  }

  void on_keepalive_tick() {
    ++ticks;
    host.on_tick();
    if (paused) {
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
        ws.async_ping({}, [this, id = generation](beast::error_code e) {
          if (e && id == generation && open) fail("ping", e.message());
        });
      });
    }
    arm_keepalive();
  }

  //----------------------------------------------------------------------------------------------
  // Read loop: the hot path. One fixed buffer; each frame handed over where it landed.

  void read_more() {
    with_ws([&](auto& ws) {
      ws.async_read_some(asio::buffer(buffer.get() + filled, cfg.max_frame_bytes - filled),
                         [this, id = generation](beast::error_code ec, std::size_t bytes) {
                           if (id == generation) on_read(ec, bytes);
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
    const std::uint64_t id = generation;
    const bool more = host.on_frame(buffer.get(), size);
    if (id != generation) return;  // the frame closed the connection (e.g. INVALID_AUTH)
    if (!more) {
      paused = true;  // the socket holds the rest until resume()
      return;
    }
    read_more();
  }

  void oversized() {
    n.oversized.add();
    fail("read", "frame over " + std::to_string(cfg.max_frame_bytes) + " bytes");
  }
};

WsLink::WsLink(asio::io_context& ioc, ssl::context& tls, const LiveConfig& cfg,
               const Credentials& creds, const Url& url, LiveCounterSet& counters, WsLinkHost& host)
    : impl_(std::make_unique<Impl>(ioc, tls, cfg, creds, url, counters, host)) {}

WsLink::~WsLink() = default;

void WsLink::open() {
  impl_->connect();
}

void WsLink::close() noexcept {
  impl_->close();
}

void WsLink::resume() {
  if (impl_->open && std::exchange(impl_->paused, false)) impl_->read_more();
}

bool WsLink::open_now() const noexcept {
  return impl_->open;
}

}  // namespace fillwire::net
