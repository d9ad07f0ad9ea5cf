// WsLink: an RFC 6455 client over asio, on OpenSSL for wss://, on the network thread's io_context.
// See ws_link.hpp for the contract.
//
// Beast serves HTTP (the upgrade request and its answer) and asio the sockets; the WebSocket framing
// is ours, because reading is the hot path. A Beast WebSocket stream reads through a 1.5 KB buffer
// and completes one asynchronous operation per message: at speed that is a scheduler round trip
// (with an epoll_wait) and about half a recvmsg per event, most of the network thread's time.
// Here one read fills a large buffer with as many frames as the socket holds, and every whole
// message in it is handed over where it lies (the decoder's padding is the buffer's own next
// bytes), in one loop. The few frames a client sends (the subscribe, pings, pongs) are masked and
// written on a small queue.
//
// What the reader accepts is RFC 6455 without extensions (none is asked for): server frames
// unmasked, no RSV bits, text, binary and continuation data frames, close, ping and pong control
// frames (whole, at most 125 bytes). Anything else resets the connection and counts as a protocol
// error. Text is not checked for UTF-8 here: the decoder checks what it reads and counts
// invalid_utf8, so a bad frame costs that frame, not the connection. A message (fragments
// gathered) over max_frame_bytes resets the connection (oversized), as before.

#include "ws_link.hpp"

#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <algorithm>
#include <array>
#include <cstring>
#include <optional>
#include <span>
#include <string_view>

#include "server_name.hpp"
#include "subscription.hpp"
#include "ws_reader.hpp"

namespace fillwire::net {

namespace asio = boost::asio;    // from <boost/asio.hpp>
namespace beast = boost::beast;  // from <boost/beast.hpp>
namespace http = beast::http;    // from <boost/beast/http.hpp>
namespace ssl = asio::ssl;       // from <boost/asio/ssl.hpp>
using tcp = asio::ip::tcp;

namespace {

constexpr std::size_t kRetryAfterCap = 64;            // a number of seconds or an HTTP date
constexpr std::size_t kUpgradeBytes = 16 * 1024;      // the upgrade's answer, head and body
constexpr std::size_t kReadRoom = 256 * 1024;         // the least a read buffer holds
constexpr std::size_t kMinRead = 16 * 1024;           // compact the buffer below this much room
constexpr std::size_t kMaxPendingWrites = 16 * 1024;  // queued control frames (pongs)

std::string base64(const unsigned char* data, std::size_t size) {
  std::string out(4 * ((size + 2) / 3), '\0');
  const int n =
      EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), data, static_cast<int>(size));
  out.resize(static_cast<std::size_t>(std::max(n, 0)));
  return out;
}

// Sec-WebSocket-Key: 16 random bytes, base64.
std::string new_websocket_key() {
  std::array<unsigned char, 16> raw{};
  if (RAND_bytes(raw.data(), static_cast<int>(raw.size())) != 1) {
    throw std::runtime_error("no random bytes for the WebSocket key");
  }
  return base64(raw.data(), raw.size());
}

// The Sec-WebSocket-Accept a server must answer `key` with (RFC 6455 section 4.2.2).
std::string websocket_accept(std::string_view key) {
  std::string text(key);
  text += "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
  std::array<unsigned char, SHA_DIGEST_LENGTH> digest{};
  SHA1(reinterpret_cast<const unsigned char*>(text.data()), text.size(), digest.data());
  return base64(digest.data(), digest.size());
}

bool iequals(std::string_view a, std::string_view b) noexcept {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return (x | 0x20) == (y | 0x20);
         });
}

// True if the comma-separated header value has `token` (case-insensitive).
bool has_token(std::string_view value, std::string_view token) noexcept {
  while (!value.empty()) {
    const std::size_t comma = value.find(',');
    std::string_view item = value.substr(0, comma);
    while (!item.empty() && (item.front() == ' ' || item.front() == '\t'))
      item.remove_prefix(1);
    while (!item.empty() && (item.back() == ' ' || item.back() == '\t'))
      item.remove_suffix(1);
    if (iequals(item, token)) return true;
    if (comma == std::string_view::npos) break;
    value.remove_prefix(comma + 1);
  }
  return false;
}

}  // namespace

struct WsLink::Impl {
  // The io_context's own executor type, not the type-erased any_io_executor of beast::tcp_stream:
  // completing a read through any_io_executor wraps the handler in a heap-allocated function
  // object on every read; with the concrete type the handler is invoked directly.
  using TcpStream =
      beast::basic_stream<tcp, asio::io_context::executor_type, beast::unlimited_rate_policy>;
  using TlsStream = beast::ssl_stream<TcpStream>;

  asio::io_context& ioc;
  ssl::context& tls_ctx;
  const LiveConfig& cfg;
  const Credentials& creds;
  const Url& url;
  LiveCounterSet& n;
  WsLinkHost& host;

  tcp::resolver resolver{ioc};
  asio::steady_timer keepalive_timer{ioc};
  std::optional<TcpStream> plain;
  std::optional<TlsStream> secure;

  // The upgrade (cold).
  http::request<http::empty_body> upgrade_request;
  std::optional<http::response_parser<http::string_body>> upgrade_answer;
  beast::flat_buffer upgrade_buffer{kUpgradeBytes};
  std::string expected_accept;

  // Reading: one buffer, allocated once, big enough for two messages of max_frame_bytes and a
  // read (ws_reader.hpp).
  WsReader reader;

  // Writing: one write in flight (`in_flight`), frames queued behind it in `pending`. Both keep
  // their capacity: after the first ping no write allocates.
  std::string in_flight;
  std::string pending;
  bool writing = false;
  std::uint64_t mask_state = 0;  // xorshift64 state for masking keys, seeded per connection

  std::uint64_t generation = 0;  // which connection a handler was started for
  bool open = false;             // subscribed and not closed since
  bool paused = false;

  // Liveness, in keep-alive ticks (no clock read on the read path).
  std::chrono::milliseconds tick{1000};
  std::uint64_t ticks = 0;
  std::uint64_t ticks_per_ping = 1, ticks_per_pong = 1, ticks_per_frame = 1;
  std::uint64_t last_ping_tick = 0;
  std::optional<std::uint64_t> ping_tick;     // a ping awaits its pong since this tick
  std::optional<std::uint64_t> partial_tick;  // the current frame's first bytes came by this tick

  Impl(asio::io_context& io, ssl::context& tls, const LiveConfig& c, const Credentials& cr,
       const Url& u, LiveCounterSet& counters, WsLinkHost& h)
      : ioc(io),
        tls_ctx(tls),
        cfg(c),
        creds(cr),
        url(u),
        n(counters),
        host(h),
        reader(cfg.max_frame_bytes, std::max(kReadRoom, 2 * cfg.max_frame_bytes + kMinRead)) {
    const auto ms = std::max<std::int64_t>(
        10, std::min({cfg.ping_interval, cfg.pong_timeout, cfg.frame_timeout}).count() / 4);
    tick = std::chrono::milliseconds(ms);
    const auto in_ticks = [ms](std::chrono::milliseconds d) {
      return static_cast<std::uint64_t>(std::max<std::int64_t>(1, d.count() / ms));
    };
    ticks_per_ping = in_ticks(cfg.ping_interval);
    ticks_per_pong = in_ticks(cfg.pong_timeout);
    ticks_per_frame = in_ticks(cfg.frame_timeout);
    in_flight.reserve(1024);
    pending.reserve(1024);
  }

  template <class F>
  void with_stream(F&& f) {
    if (secure) {
      f(*secure);
    } else if (plain) {
      f(*plain);
    }
  }
  TcpStream* lowest() noexcept {
    if (secure) return &beast::get_lowest_layer(*secure);
    return plain ? &*plain : nullptr;
  }

  void close() noexcept {
    ++generation;  // what is still pending on this connection completes as stale (ignored)
    open = false;
    paused = false;
    writing = false;
    try {
      keepalive_timer.cancel();
    } catch (...) {  // asio reports a failed cancel by throwing; the generation makes it stale
    }
    beast::error_code ignored;
    if (TcpStream* s = lowest()) s->socket().close(ignored);
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
    reader.reset();
    pending.clear();
    plain.reset();
    secure.reset();
    if (url.tls) {
      secure.emplace(ioc, tls_ctx);
    } else {
      plain.emplace(ioc);
    }
    if (RAND_bytes(reinterpret_cast<unsigned char*>(&mask_state), sizeof mask_state) != 1 ||
        mask_state == 0) {
      mask_state = 0x9E3779B97F4A7C15ull ^ generation;
    }
    resolver.async_resolve(
        url.host, url.port,
        [this, id = generation](beast::error_code ec, const tcp::resolver::results_type& results) {
          if (id == generation) on_resolve(ec, results);
        });
  }

  void on_resolve(beast::error_code ec, const tcp::resolver::results_type& results) {
    if (ec) return fail("resolve", ec.message());
    // The connect deadline covers everything up to the subscribe (dropped once subscribed).
    lowest()->expires_after(cfg.connect_timeout);
    lowest()->async_connect(results,
                            [this, id = generation](beast::error_code e, const tcp::endpoint&) {
                              if (id == generation) on_connect(e);
                            });
  }

  void on_connect(beast::error_code ec) {
    if (ec) return fail("connect", ec.message());
    // Small frames, latency first: no Nagle delay on our subscribe and pongs.
    lowest()->socket().set_option(tcp::no_delay(true));
    if (!secure) return on_tls({});
    // SNI: the server picks its certificate by name (not for an IP literal, which SNI does not
    // carry); verification checks that name or address too.
    if (!set_server_name(secure->native_handle(), url.host)) {
      return fail("tls", "cannot set the server name (SNI)");
    }
    if (!cfg.insecure) secure->set_verify_callback(ssl::host_name_verification(url.host));
    // Asio turns on SSL_MODE_RELEASE_BUFFERS, which frees OpenSSL's record buffers whenever they
    // empty and allocates them again for the next record: an allocation per read on the hot path.
    // The buffers (~34 KB per connection) are kept instead.
    SSL_ctrl(secure->native_handle(), SSL_CTRL_CLEAR_MODE, SSL_MODE_RELEASE_BUFFERS, nullptr);
    secure->async_handshake(ssl::stream_base::client, [this, id = generation](beast::error_code e) {
      if (id == generation) on_tls(e);
    });
  }

  // The upgrade: GET with the JWT, answered by 101 and the accept key of ours.
  void on_tls(beast::error_code ec) {
    if (ec) return fail("tls", ec.message());
    const std::string key = new_websocket_key();
    expected_accept = websocket_accept(key);
    upgrade_request = {http::verb::get, url.path, 11};
    upgrade_request.set(http::field::host, url.host_header());
    upgrade_request.set(http::field::upgrade, "websocket");
    upgrade_request.set(http::field::connection, "Upgrade");
    upgrade_request.set(http::field::sec_websocket_key, key);
    upgrade_request.set(http::field::sec_websocket_version, "13");
    upgrade_request.set(http::field::user_agent, "fillwire");
    // A fresh token per connection (new nonce); it goes only into this header.
    upgrade_request.set(http::field::authorization, "Bearer " + make_token(creds));
    with_stream([&](auto& s) {
      http::async_write(s, upgrade_request,
                        [this, id = generation](beast::error_code e, std::size_t) {
                          if (id != generation) return;
                          upgrade_request.clear();  // the token is not kept past its use
                          on_upgrade_sent(e);
                        });
    });
  }

  void on_upgrade_sent(beast::error_code ec) {
    if (ec) return fail("websocket handshake", ec.message());
    upgrade_answer.emplace();
    upgrade_answer->header_limit(kUpgradeBytes / 2);
    upgrade_answer->body_limit(kUpgradeBytes / 2);
    upgrade_buffer.clear();
    with_stream([&](auto& s) {
      http::async_read(s, upgrade_buffer, *upgrade_answer,
                       [this, id = generation](beast::error_code e, std::size_t) {
                         if (id == generation) on_upgrade_answer(e);
                       });
    });
  }

  void on_upgrade_answer(beast::error_code ec) {
    if (ec) return fail("websocket handshake", ec.message());
    const auto& answer = upgrade_answer->get();
    const unsigned status = answer.result_int();
    if (status == 401 || status == 403) {
      return fail(LinkFailure{LinkFailureKind::auth_refused,
                              "websocket handshake",
                              "handshake refused with HTTP " + std::to_string(status),
                              status,
                              {}});
    }
    if (status == 429 || status == 418) {
      const auto header = answer[http::field::retry_after];
      return fail(LinkFailure{LinkFailureKind::rate_refused, "websocket handshake",
                              "refused with HTTP " + std::to_string(status), status,
                              std::string(header.substr(0, kRetryAfterCap))});
    }
    if (status != 101) {
      return fail("websocket handshake", "upgrade declined with HTTP " + std::to_string(status));
    }
    if (!iequals(answer[http::field::upgrade], "websocket") ||
        !has_token(answer[http::field::connection], "upgrade")) {
      return fail("websocket handshake", "the answer does not upgrade to WebSocket");
    }
    if (answer[http::field::sec_websocket_accept] != expected_accept) {
      return fail("websocket handshake", "the answer's Sec-WebSocket-Accept is not ours");
    }
    if (!answer[http::field::sec_websocket_extensions].empty()) {
      return fail("websocket handshake", "the answer names an extension that was not asked for");
    }
    // Frames the server sent right behind its answer were read with it: they are the stream's
    // first bytes.
    const auto early = upgrade_buffer.data();
    if (!reader.load(early.data(), early.size())) return oversized();
    upgrade_buffer.clear();
    upgrade_answer.reset();

    const std::string subscribe = subscribe_message(cfg, "fillwire-" + new_nonce());
    in_flight.clear();
    append_frame(in_flight, kText, subscribe.data(), subscribe.size());
    write_in_flight([this](beast::error_code e) { on_subscribe(e); });
  }

  void on_subscribe(beast::error_code ec) {
    if (ec) return fail("subscribe", ec.message());
    lowest()->expires_never();
    open = true;
    ping_tick.reset();
    partial_tick.reset();
    last_ping_tick = ticks;
    arm_keepalive();
    const std::uint64_t id = generation;
    host.on_open();
    if (id != generation) return;
    flush();
    parse();
  }

  //----------------------------------------------------------------------------------------------
  // Writing: masked client frames, one write at a time.

  // Appends one masked frame (RFC 6455 section 5.3) to `out`.
  void append_frame(std::string& out, Opcode opcode, const char* payload, std::size_t size) {
    unsigned char head[14];
    std::size_t h = 0;
    head[h++] = static_cast<unsigned char>(0x80 | opcode);
    if (size < 126) {
      head[h++] = static_cast<unsigned char>(0x80 | size);
    } else if (size <= 0xFFFF) {
      head[h++] = 0x80 | 126;
      head[h++] = static_cast<unsigned char>(size >> 8);
      head[h++] = static_cast<unsigned char>(size);
    } else {
      head[h++] = 0x80 | 127;
      for (int shift = 56; shift >= 0; shift -= 8)
        head[h++] = static_cast<unsigned char>(static_cast<std::uint64_t>(size) >> shift);
    }
    mask_state ^= mask_state << 13;
    mask_state ^= mask_state >> 7;
    mask_state ^= mask_state << 17;
    unsigned char mask[4];
    std::memcpy(mask, &mask_state, 4);
    std::memcpy(head + h, mask, 4);
    h += 4;
    out.append(reinterpret_cast<const char*>(head), h);
    const std::size_t at = out.size();
    out.append(payload, size);
    for (std::size_t i = 0; i < size; ++i)
      out[at + i] = static_cast<char>(out[at + i] ^ static_cast<char>(mask[i & 3]));
  }

  // Queues a control frame (a ping, a pong) behind the write in flight.
  void send(Opcode opcode, const char* payload, std::size_t size) {
    if (pending.size() + size + 14 > kMaxPendingWrites) {
      return fail("write", "control frames queue up faster than the socket takes them");
    }
    append_frame(pending, opcode, payload, size);
    flush();
  }

  void flush() {
    if (writing || pending.empty() || !open) return;
    in_flight.swap(pending);
    pending.clear();
    write_in_flight([this](beast::error_code e) {
      if (e) return fail("write", e.message());
      flush();
    });
  }

  // Writes `in_flight` whole; `then(error)` runs when it is written, unless the connection closed
  // meanwhile. One write at a time: `writing` holds the others back (flush).
  template <class Then>
  void write_in_flight(Then then) {
    writing = true;
    with_stream([&](auto& s) {
      asio::async_write(s, asio::buffer(in_flight),
                        [this, id = generation, then](beast::error_code e, std::size_t) {
                          if (id != generation) return;
                          writing = false;
                          then(e);
                        });
    });
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
      const std::uint64_t id = generation;
      send(kPing, nullptr, 0);
      if (id != generation) return;
    }
    arm_keepalive();
  }

  //----------------------------------------------------------------------------------------------
  // Reading: the hot path. One buffer, read in large pieces; each whole message handed over where
  // it lies.

  void read_more() {
    const std::span<char> room = reader.room(kMinRead);
    if (room.empty()) return oversized();  // a message that cannot fit: see the constructor
    with_stream([&](auto& s) {
      s.async_read_some(asio::buffer(room.data(), room.size()),
                        [this, id = generation](beast::error_code ec, std::size_t bytes) {
                          if (id == generation) on_read(ec, bytes);
                        });
    });
  }

  void on_read(beast::error_code ec, std::size_t bytes) {
    if (ec) return fail("read", ec.message());
    reader.filled(bytes);
    parse();
  }

  // Hands over every whole message read, in order, then reads on, unless the host paused reading
  // or the connection closed meanwhile.
  void parse() {
    const std::uint64_t id = generation;
    for (;;) {
      const WsReader::Item item = reader.next();
      switch (item.kind) {
        case WsReader::Kind::need_more:
          if (reader.partial() && !partial_tick) partial_tick = ticks;
          return read_more();
        case WsReader::Kind::bad:
          return protocol_error(item.why);
        case WsReader::Kind::oversized:
          return oversized();
        case WsReader::Kind::control:
          on_control(item.opcode, item.data, item.size);
          if (id != generation) return;
          break;
        case WsReader::Kind::message: {
          partial_tick.reset();
          const bool more = host.on_frame(item.data, item.size);
          if (id != generation) return;  // the frame closed the connection (e.g. INVALID_AUTH)
          if (!more) {
            paused = true;  // the rest waits (in the buffer, then the socket) until resume()
            return;
          }
          break;
        }
      }
    }
  }

  void on_control(std::uint8_t opcode, const char* payload, std::size_t size) {
    if (opcode == kPong) {
      ping_tick.reset();
    } else if (opcode == kPing) {
      send(kPong, payload, size);
    } else {                 // close: the server ends the connection; we do not wait to answer it
      unsigned code = 1005;  // no status received
      if (size >= 2) {
        code = static_cast<unsigned>(static_cast<unsigned char>(payload[0])) << 8 |
               static_cast<unsigned char>(payload[1]);
      }
      fail("read", "the server closed the WebSocket (code " + std::to_string(code) + ")");
    }
  }

  void protocol_error(const char* why) {
    n.protocol_errors.add();
    fail("read", std::string("WebSocket protocol error: ") + why);
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
  if (impl_->open && std::exchange(impl_->paused, false)) impl_->parse();
}

bool WsLink::open_now() const noexcept {
  return impl_->open;
}

}  // namespace fillwire::net
