// LiveSource: Boost.Beast WebSocket client (wss:// over OpenSSL, or ws://) on a single-threaded
// io_context, the network thread of the pipeline. The only engine translation unit with Beast.
//
//   resolve -> connect -> tls -> websocket handshake -> subscribe -> read loop
//                                                                   \-> resync (REST coroutine)
//
// Each step returns early through fail(stage, error); every failure closes the connection and
// schedules a reconnect through the same chain after an exponential backoff with full jitter.
// The resync runs beside the read loop on the same io_context: the stream keeps being read (the
// exchange never sees a slow reader) and its frames are held, raw, until the resync's events are
// published, then published in the order they came.

#include "fillwire/live_source.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <chrono>
#include <cstring>
#include <deque>
#include <optional>
#include <random>
#include <stdexcept>

#include "fillwire/clock.hpp"
#include "fillwire/control_event.hpp"
#include "fillwire/encoder.hpp"
#include "fillwire/fill_window.hpp"
#include "fillwire/journal.hpp"
#include "fillwire/rest_orders.hpp"

namespace fillwire {

namespace asio = boost::asio;            // from <boost/asio.hpp>
namespace beast = boost::beast;          // from <boost/beast.hpp>
namespace http = beast::http;            // from <boost/beast/http.hpp>
namespace websocket = beast::websocket;  // from <boost/beast/websocket.hpp>
namespace ssl = asio::ssl;               // from <boost/asio/ssl.hpp>
using tcp = asio::ip::tcp;

namespace {

//------------------------------------------------------------------------------------------------
// URL and subscription

struct Url {
  bool tls = true;
  std::string host;
  std::string port;
  std::string path;
};

Url parse_url(const std::string& url) {
  Url u;
  std::string rest;
  if (url.rfind("wss://", 0) == 0 || url.rfind("https://", 0) == 0) {
    u.tls = true;
    rest = url.substr(url.find("://") + 3);
  } else if (url.rfind("ws://", 0) == 0 || url.rfind("http://", 0) == 0) {
    u.tls = false;
    rest = url.substr(url.find("://") + 3);
  } else {
    throw std::invalid_argument("URL '" + url +
                                "' must start with wss://, ws://, https:// or http://");
  }
  const auto slash = rest.find('/');
  const std::string authority = rest.substr(0, slash);
  u.path = slash == std::string::npos ? "/" : rest.substr(slash);
  const auto colon = authority.rfind(':');
  if (colon != std::string::npos && authority.find(']') == std::string::npos) {
    u.host = authority.substr(0, colon);
    u.port = authority.substr(colon + 1);
  } else {
    u.host = authority;
    u.port = u.tls ? "443" : "80";
  }
  if (u.host.empty()) throw std::invalid_argument("URL '" + url + "' has no host");
  return u;
}

// Market codes are QUOTE-BASE in upper case (PROTOCOL.md §3); anything else is refused here,
// before the exchange would answer with an error frame.
std::string checked_code(std::string code) {
  std::transform(code.begin(), code.end(), code.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  const auto dash = code.find('-');
  const bool ok = dash != std::string::npos && dash > 0 && dash + 1 < code.size() &&
                  code.size() <= MarketCode::kCapacity &&
                  std::all_of(code.begin(), code.end(), [](char c) {
                    return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
                  });
  if (!ok) throw std::invalid_argument("market code '" + code + "' is not of the form KRW-BTC");
  return code;
}

std::string subscribe_message(const LiveConfig& c, std::string_view ticket) {
  std::string m = "[{\"ticket\":\"" + std::string(ticket) + "\"},{\"type\":\"myOrder\"";
  if (!c.codes.empty()) {
    m += ",\"codes\":[";
    for (std::size_t i = 0; i < c.codes.size(); ++i) {
      m += (i ? ",\"" : "\"") + c.codes[i] + "\"";
    }
    m += "]";
  }
  m += "}";
  if (c.simple_format) m += ",{\"format\":\"SIMPLE\"}";
  m += "]";
  return m;
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

//------------------------------------------------------------------------------------------------
// Orders this client saw, for the resync: whether each is open (the per-uuid query asks about
// those) and which of its trades arrived as their own events (an order with a trade missing has
// its trades fetched). A fixed open-addressing table, no allocation after start; when it is full
// the order entered first is forgotten (a forgotten order only costs an extra query). Deletion by
// backward shift (no tombstones).

class OrderTracker {
 public:
  explicit OrderTracker(std::size_t capacity) {
    std::size_t n = 16;
    while (n < capacity * 2)
      n <<= 1;
    slots_.assign(n, Entry{});
    mask_ = n - 1;
    fifo_.assign(std::max<std::size_t>(capacity, 1), Uuid{});
  }

  // Network thread, every event published (stream and resync).
  void on_event(const OrderEvent& e) noexcept {
    Entry& t = upsert(e.uuid);
    if (is_terminal(e.state)) t.closed = true;  // absorbing: a late event does not reopen it
    if (e.state != OrderState::trade || e.trades_count == 0) return;
    const std::uint32_t k = e.trades_count;
    if (k > t.top) {
      const std::uint32_t shift = k - t.top;
      t.seen = shift >= 64 ? 0 : t.seen << shift;
      t.seen |= 1;
      t.top = k;
    } else if (t.top - k < 64) {
      t.seen |= std::uint64_t{1} << (t.top - k);
    }
  }

  // Trade `k` of the order came as its own event (trades 64 or more behind the newest seen are
  // taken as seen).
  [[nodiscard]] bool trade_seen(const Uuid& id, std::uint32_t k) const noexcept {
    const Entry* t = find(id);
    if (t == nullptr || k > t->top) return false;
    return t->top - k >= 64 || ((t->seen >> (t->top - k)) & 1) != 0;
  }
  [[nodiscard]] bool all_trades_seen(const Uuid& id, std::uint32_t trades_count) const noexcept {
    for (std::uint32_t k = trades_count; k > 0 && trades_count - k < 64; --k) {
      if (!trade_seen(id, k)) return false;
    }
    return true;
  }

  template <class F>
  void for_each_open(F&& f) const {
    for (const Entry& t : slots_) {
      if (t.used && !t.closed) f(t.id);
    }
  }

 private:
  struct Entry {
    Uuid id{};
    std::uint64_t seen = 0;  // bit i: trade number top - i arrived
    std::uint32_t top = 0;   // highest trade number seen
    bool used = false;
    bool closed = false;
  };

  [[nodiscard]] const Entry* find(const Uuid& u) const noexcept {
    for (std::size_t i = u.hash() & mask_; slots_[i].used; i = (i + 1) & mask_) {
      if (slots_[i].id == u) return &slots_[i];
    }
    return nullptr;
  }

  Entry& upsert(const Uuid& u) noexcept {
    std::size_t i = u.hash() & mask_;
    for (; slots_[i].used; i = (i + 1) & mask_) {
      if (slots_[i].id == u) return slots_[i];
    }
    if (size_ == fifo_.size()) {
      erase(fifo_[fifo_head_]);  // forget the order entered first
      i = u.hash() & mask_;
      while (slots_[i].used)
        i = (i + 1) & mask_;
    }
    fifo_[(fifo_head_ + size_) % fifo_.size()] = u;
    if (size_ == fifo_.size()) {
      fifo_head_ = (fifo_head_ + 1) % fifo_.size();
    } else {
      ++size_;
    }
    slots_[i] = Entry{u, 0, 0, true, false};
    return slots_[i];
  }

  void erase(const Uuid& u) noexcept {
    std::size_t i = u.hash() & mask_;
    while (slots_[i].used && !(slots_[i].id == u))
      i = (i + 1) & mask_;
    if (!slots_[i].used) return;
    slots_[i].used = false;
    for (std::size_t j = (i + 1) & mask_; slots_[j].used; j = (j + 1) & mask_) {
      const std::size_t home = slots_[j].id.hash() & mask_;
      // Move j back into the hole at i if its home is not in (i, j] (cyclically).
      if (((j - home) & mask_) >= ((j - i) & mask_)) {
        slots_[i] = slots_[j];
        slots_[j].used = false;
        i = j;
      }
    }
  }

  std::vector<Entry> slots_;
  std::size_t mask_ = 0;
  std::vector<Uuid> fifo_;  // orders in the order they were entered, oldest at fifo_head_
  std::size_t fifo_head_ = 0;
  std::size_t size_ = 0;
};

//------------------------------------------------------------------------------------------------
// REST client: one HTTP/1.1 connection, kept alive across the requests of a resync (a TLS
// handshake per request would cost more than the request). It runs on the network thread's
// io_context as a coroutine beside the WebSocket, which keeps being read meanwhile. Every step
// (resolve, connect, TLS, write, read) has its own deadline: a REST host that stops answering
// fails the request after `timeout`. Errors throw (cold path).

class RestClient {
 public:
  using Response = http::response<http::string_body>;

  RestClient(asio::io_context& io, const Url& url, ssl::context& tls, bool verify_host,
             std::chrono::milliseconds timeout)
      : io_(io), url_(url), tls_(tls), verify_host_(verify_host), timeout_(timeout) {}

  // Sends `req` on the open connection, or on a new one. A kept-alive connection the server has
  // closed meanwhile fails on first use: the request is sent once more on a fresh connection
  // (GET only, so a repeat is harmless).
  asio::awaitable<Response> get(http::request<http::empty_body>& req) {
    for (int tries = 0;; ++tries) {
      const bool fresh = !open();
      try {
        if (fresh) co_await connect();
        Response res = co_await exchange(req);
        if (!res.keep_alive()) close();
        co_return res;
      } catch (const std::exception&) {
        close();
        if (fresh || tries > 0) throw;
      }
    }
  }

  void close() noexcept {
    beast::error_code ignored;
    if (secure_) {
      beast::get_lowest_layer(*secure_).socket().close(ignored);
      secure_.reset();
    }
    if (plain_) {
      plain_->socket().close(ignored);
      plain_.reset();
    }
    buffer_.clear();
  }

 private:
  // A body larger than this is refused: /orders/closed answers at most 1000 orders (~1 MB).
  static constexpr std::uint64_t kMaxBody = 16u << 20;
  static constexpr auto kAwait = asio::as_tuple(asio::use_awaitable);

  [[nodiscard]] bool open() const noexcept { return plain_.has_value() || secure_.has_value(); }

  beast::tcp_stream& lowest() { return secure_ ? beast::get_lowest_layer(*secure_) : *plain_; }

  static void check(const char* step, const beast::error_code& ec) {
    if (ec) throw std::runtime_error(std::string("REST ") + step + ": " + ec.message());
  }

  asio::awaitable<void> connect() {
    tcp::resolver resolver(io_);
    auto [resolved, endpoints] = co_await resolver.async_resolve(url_.host, url_.port, kAwait);
    check("resolve", resolved);
    if (url_.tls) {
      secure_.emplace(io_, tls_);
      if (!set_sni(secure_->native_handle(), url_.host)) {
        throw std::runtime_error("REST: cannot set the server name (SNI)");
      }
      if (verify_host_) secure_->set_verify_callback(ssl::host_name_verification(url_.host));
    } else {
      plain_.emplace(io_);
    }
    lowest().expires_after(timeout_);
    auto [connected, endpoint] = co_await lowest().async_connect(endpoints, kAwait);
    check("connect", connected);
    if (secure_) {
      lowest().expires_after(timeout_);
      auto [handshake] = co_await secure_->async_handshake(ssl::stream_base::client, kAwait);
      check("tls", handshake);
    }
  }

  asio::awaitable<Response> exchange(http::request<http::empty_body>& req) {
    http::response_parser<http::string_body> parser;
    parser.body_limit(kMaxBody);
    lowest().expires_after(timeout_);
    if (secure_) {
      auto [written, w] = co_await http::async_write(*secure_, req, kAwait);
      check("write", written);
      auto [read, r] = co_await http::async_read(*secure_, buffer_, parser, kAwait);
      check("read", read);
    } else {
      auto [written, w] = co_await http::async_write(*plain_, req, kAwait);
      check("write", written);
      auto [read, r] = co_await http::async_read(*plain_, buffer_, parser, kAwait);
      check("read", read);
    }
    co_return parser.release();
  }

  asio::io_context& io_;
  Url url_;
  ssl::context& tls_;
  bool verify_host_;
  std::chrono::milliseconds timeout_;
  std::optional<beast::tcp_stream> plain_;
  std::optional<beast::ssl_stream<beast::tcp_stream>> secure_;
  beast::flat_buffer buffer_;
};

// Relaxed single-writer counter: the network thread writes, any thread reads.
struct Counter {
  std::atomic<std::uint64_t> v{0};
  void add(std::uint64_t n = 1) noexcept {
    v.store(v.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
  }
  [[nodiscard]] std::uint64_t get() const noexcept { return v.load(std::memory_order_relaxed); }
};

}  // namespace

//------------------------------------------------------------------------------------------------

struct LiveSource::Impl {
  // The io_context's own executor type, not the type-erased any_io_executor of beast::tcp_stream:
  // completing a read through any_io_executor wraps the handler in a heap-allocated function
  // object on every read; with the concrete type the handler is invoked directly.
  using TcpStream =
      beast::basic_stream<tcp, asio::io_context::executor_type, beast::unlimited_rate_policy>;
  using PlainWs = websocket::stream<TcpStream>;
  using TlsWs = websocket::stream<beast::ssl_stream<TcpStream>>;

  LiveConfig cfg;
  Credentials creds;
  JournalProducer* journal;
  NoticeFn notice;
  Url ws_url;
  Url rest_url;

  asio::io_context ioc{1};
  ssl::context tls_ctx{ssl::context::tls_client};
  tcp::resolver resolver{ioc};
  asio::steady_timer retry_timer{ioc};
  asio::steady_timer keepalive_timer{ioc};
  asio::steady_timer resync_timer{ioc};
  asio::steady_timer rest_timer{ioc};  // the resync's pauses (pacing, 429 and 5xx retries)
  bool resync_pending = false;  // subscribed; the resync waits for the first frame (or a timeout)
  bool resync_running = false;  // the REST coroutine is under way; frames read are held
  std::vector<OrderEvent> peeked;  // the first frame's events, for their exchange time
  // A connection failure while the resync runs: the REST work goes on (its answers stay true),
  // and the failure is acted on once the resync's and the held frames' events are published.
  struct DeferredFailure {
    bool auth = false;
    bool was_live = false;
    std::string stage;
    std::string what;
  };
  std::optional<DeferredFailure> deferred_failure;
  std::optional<PlainWs> plain;
  std::optional<TlsWs> secure;
  http::response<http::string_body> handshake_response;
  std::optional<RestClient> rest;  // kept alive for the requests of one resync

  Decoder decoder;
  std::unique_ptr<char[]> buffer;  // max_frame_bytes + kFramePadding, allocated once
  Decoder peek_decoder;            // decodes the first frame aside (the stats stay the stream's)

  // Frames read while the resync runs, raw and in order: [HeldFrame][bytes][kFramePadding]...
  // Allocated and touched (zeroed) once, at the start: no page fault while a resync holds frames,
  // and no growth of the resident set at the first long resync. When the room left could not
  // take one more frame of max_frame_bytes, reading pauses (the socket holds the rest) until the
  // resync ends.
  struct HeldFrame {
    std::uint64_t recv_ts;
    std::uint64_t size;
  };
  std::size_t hold_capacity;  // resync_hold_bytes, and never less than one frame's room
  std::unique_ptr<char[]> hold;
  std::size_t hold_used = 0;
  bool read_paused = false;
  std::string last_resync_error;  // why the REST side refused the credentials
  std::size_t filled = 0;
  std::string subscribe_text;

  std::optional<EventSink> sink;
  std::uint64_t next_seq = 0;
  std::uint64_t recv_ts = 0;

  OrderTracker orders_seen;
  std::int64_t last_event_ms = -1;
  bool first_connect = true;
  unsigned attempt = 0;
  bool auth_refused = false;
  bool live = false;                // subscribed and reading
  std::uint64_t connection = 0;     // which connection a timer was armed for
  std::uint64_t activity = 0;       // reads and control frames received
  std::uint64_t activity_seen = 0;  // `activity` at the last keep-alive tick
  unsigned silent_ticks = 0;        // keep-alive ticks in a row with no activity
  unsigned ticks_since_ping = 0;
  std::atomic<bool> connected_flag{false};
  std::atomic<bool> resyncing_flag{false};
  std::mt19937_64 rng;

  struct {
    Counter connects, attempts, disconnects, auth_failures, frames, events, resync_events, resyncs,
        resync_failures, resync_trade_queries, resync_trades, resync_trades_unavailable,
        resync_incomplete, resync_held_frames, resync_hold_full, rest_requests, rest_throttled,
        rest_server_errors, decode_errors, oversized, server_errors, status_frames, clock_skew,
        connects_delayed, rest_banned, stalled_frames, pong_timeouts;
  } n;

  Impl(LiveConfig c, Credentials cr, JournalProducer* j, NoticeFn nf)
      : cfg(std::move(c)),
        creds(std::move(cr)),
        journal(j),
        notice(std::move(nf)),
        decoder(cfg.max_frame_bytes),
        buffer(new char[cfg.max_frame_bytes + kFramePadding]()),
        peek_decoder(cfg.max_frame_bytes),
        hold_capacity(std::max(cfg.resync_hold_bytes, hold_frame_room())),
        hold(cfg.resync ? new char[hold_capacity]() : nullptr),
        orders_seen(cfg.open_tracking_capacity),
        rng(cfg.seed != 0 ? cfg.seed
                          : static_cast<std::uint64_t>(
                                std::chrono::steady_clock::now().time_since_epoch().count())) {
    ws_url = parse_url(cfg.url);
    if (cfg.rest_url.empty()) {
      cfg.rest_url = std::string(ws_url.tls ? "https://" : "http://") + ws_url.host + ":" +
                     ws_url.port + "/v1";
    }
    rest_url = parse_url(cfg.rest_url);
    for (auto& code : cfg.codes)
      code = checked_code(code);
    setup_tls();
    rest.emplace(ioc, rest_url, tls_ctx, !cfg.insecure, cfg.rest_timeout);
  }

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

  void say(const std::string& text) {
    if (notice) notice(text);
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
  // Connect chain

  // Every handler of the chain carries the number of the connection it was started for and is
  // ignored once a newer one began: the completion of an operation on a closed connection (a
  // read aborted by the close, which can run after the reconnect has started) must not act on the
  // new connection.
  void start_connect() {
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
    // SNI: the server picks its certificate by name; verification checks that name too.
    if (!set_sni(secure->next_layer().native_handle(), ws_url.host)) {
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
      // The WebSocket has its own timeouts from here on: drop the TCP one.
      beast::get_lowest_layer(ws).expires_never();
      // Keep-alive is ours (arm_keepalive), not Beast's idle timeout: Beast re-arms that timer on
      // every read, which allocates on the hot path (a timer wait and the cancelled one's
      // completion per frame).
      websocket::stream_base::timeout t{};
      t.handshake_timeout = cfg.connect_timeout;
      t.idle_timeout = websocket::stream_base::none();
      t.keep_alive_pings = false;
      ws.set_option(t);
      ws.control_callback([this](websocket::frame_type, beast::string_view) { ++activity; });
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
      const std::string host = ws_url.host + ":" + ws_url.port;
      handshake_response = {};
      ws.async_handshake(handshake_response, host, ws_url.path,
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

  void on_subscribe(beast::error_code ec) {
    if (ec) return fail("subscribe", ec.message());
    live = true;
    connected_flag.store(true, std::memory_order_relaxed);
    n.connects.add();
    auth_refused = false;
    say("connected to " + cfg.url + (cfg.simple_format ? " (SIMPLE format)" : ""));
    control(ControlCode::connected);
    if (cfg.resync) {
      // The resync runs when the first frame arrives: its exchange time says which missed trades
      // the stream will not bring (those before it). A quiet stream resyncs after resync_wait.
      resync_pending = true;
      resync_timer.expires_after(cfg.resync_wait);
      resync_timer.async_wait([this, id = connection](beast::error_code e) {
        if (e || id != connection || !resync_pending || !live) return;
        resync_pending = false;
        start_resync(-1);
      });
    } else {
      attempt = 0;  // no resync to wait for: the connection is whole
    }
    activity_seen = activity;
    silent_ticks = 0;
    ticks_since_ping = 0;
    arm_keepalive();
    read_more();
  }

  //----------------------------------------------------------------------------------------------
  // Keep-alive (cold: one timer wait per half ping interval, one ping per interval): a ping every
  // ping_interval whatever arrives (the exchange counts only what the client sends as activity),
  // and a connection that received nothing (data, pong or ping) for two intervals is dead.

  void arm_keepalive() {
    keepalive_timer.expires_after(cfg.ping_interval / 2);
    keepalive_timer.async_wait([this, id = connection](beast::error_code ec) {
      if (!ec && id == connection && live) on_keepalive();
    });
  }

  void on_keepalive() {
    // While reading is paused (a full hold during a resync) nothing can be received: silence
    // then says nothing about the connection.
    if (activity != activity_seen || read_paused) {
      activity_seen = activity;
      silent_ticks = 0;
    } else if (++silent_ticks >= 4) {
      return fail("keep-alive",
                  "nothing received for " + std::to_string(2 * cfg.ping_interval.count()) + " ms");
    }
    if (++ticks_since_ping >= 2) {
      ticks_since_ping = 0;
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
        n.oversized.add();
        return fail("read", "frame over " + std::to_string(cfg.max_frame_bytes) + " bytes");
      }
      return fail("read", ec.message());
    }
    filled += bytes;
    ++activity;
    bool done = true;
    with_ws([&](auto& ws) { done = ws.is_message_done(); });
    if (!done) {
      if (filled == cfg.max_frame_bytes) {
        n.oversized.add();
        return fail("read", "frame over " + std::to_string(cfg.max_frame_bytes) + " bytes");
      }
      return read_more();
    }
    const std::size_t size = filled;
    filled = 0;
    on_frame(size);
    if (!live) return;
    if (resync_running && hold_room() < hold_frame_room()) {
      read_paused = true;  // the socket holds the rest until the resync ends
      n.resync_hold_full.add();
      return;
    }
    read_more();
  }

  void on_frame(std::size_t size) {
    recv_ts = now_ticks();
    n.frames.add();
    const char* data = buffer.get();
    if (resync_pending && on_first_frame(data, size)) return;
    if (resync_running) return hold_frame(data, size);
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

  // Cold: the first frame after subscribing. Its events are decoded aside: the earliest exchange
  // time among them bounds what the resync must bring (older missed trades). The resync starts
  // and the frame is held, to be published after the resync's events. A frame with no order event
  // (status, error, garbled) is published at once and the resync still waits. True when held.
  bool on_first_frame(const char* data, std::size_t size) {
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
    } peek{&peeked};
    (void)peek_decoder.decode(data, size, EventSink{peek});
    peeked.resize(peek.published);
    std::int64_t first_ms = -1;
    for (const OrderEvent& e : peeked) {
      if (e.kind == EventKind::order && (first_ms < 0 || e.timestamp < first_ms))
        first_ms = e.timestamp;
    }
    if (first_ms < 0) return false;
    resync_pending = false;
    resync_timer.cancel();
    hold_frame(data, size);
    start_resync(first_ms);
    return true;
  }

  //----------------------------------------------------------------------------------------------
  // Frames held during the resync (cold: a copy per frame, into memory allocated up front)

  [[nodiscard]] std::size_t hold_frame_room() const noexcept {
    return sizeof(HeldFrame) + cfg.max_frame_bytes + kFramePadding;
  }
  [[nodiscard]] std::size_t hold_room() const noexcept { return hold_capacity - hold_used; }

  void hold_frame(const char* data, std::size_t size) {
    const HeldFrame h{recv_ts, size};
    char* at = hold.get() + hold_used;
    std::memcpy(at, &h, sizeof h);
    std::memcpy(at + sizeof h, data, size);
    std::memset(at + sizeof h + size, 0, kFramePadding);
    hold_used += sizeof h + (size + kFramePadding + 7) / 8 * 8;
    n.resync_held_frames.add();
  }

  // Publishes the held frames in the order they came, each with its own receive time.
  void release_held() {
    for (std::size_t at = 0; at < hold_used;) {
      HeldFrame h{};
      std::memcpy(&h, hold.get() + at, sizeof h);
      recv_ts = h.recv_ts;
      publish_frame(hold.get() + at + sizeof h, h.size);
      at += sizeof h + (h.size + kFramePadding + 7) / 8 * 8;
    }
    hold_used = 0;
  }

  // Remembers what the resync must ask about: orders seen open and the trades seen, and (stream
  // events only: a resync event carries the query time, not the exchange's) the newest event time.
  void track(const OrderEvent& e) noexcept {
    if (e.origin == EventOrigin::stream && e.timestamp > last_event_ms) last_event_ms = e.timestamp;
    orders_seen.on_event(e);
  }

  void on_server_error(const ServerError& err) {
    n.server_errors.add();
    control(ControlCode::server_error, err.name.view());
    if (err.name.view() == "INVALID_AUTH") {
      auth_failed("the exchange sent INVALID_AUTH");
    }
  }

  //----------------------------------------------------------------------------------------------
  // Failure and reconnect

  void close_stream() {
    ++connection;  // what is still pending on this connection completes as stale (ignored)
    live = false;
    read_paused = false;
    resync_pending = false;
    resync_timer.cancel();
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
  // Resync over REST: a coroutine on the network thread's io_context, beside the read loop. The
  // stream's frames read meanwhile are held (hold_frame) and published after the resync's events
  // (on_resync_done), so the strategy sees what it would have seen had the resync been instant.

  struct RestAnswer {
    unsigned status = 0;
    std::string body;
    std::string remaining_req;  // the Remaining-Req header ("group=default; min=1800; sec=29")
  };
  // The REST side refused the credentials (HTTP 401 or 403).
  struct RestAuthRefused : std::runtime_error {
    using std::runtime_error::runtime_error;
  };
  enum class ResyncResult : std::uint8_t { ok, failed, auth_refused };

  asio::awaitable<RestAnswer> rest_get(const std::string& endpoint, const std::string& query) {
    const std::string target = rest_url.path + endpoint + (query.empty() ? "" : "?" + query);
    http::request<http::empty_body> req{http::verb::get, target, 11};
    req.set(http::field::host, rest_url.host + ":" + rest_url.port);
    req.set(http::field::user_agent, "fillwire");
    req.set(http::field::accept, "application/json");
    req.set(http::field::authorization, "Bearer " + make_token(creds, query));
    req.keep_alive(true);
    n.rest_requests.add();
    auto res = co_await rest->get(req);
    co_return RestAnswer{res.result_int(), std::move(res.body()),
                         std::string(res["Remaining-Req"])};
  }

  asio::awaitable<void> pause(std::chrono::steady_clock::duration d) {
    rest_timer.expires_after(d);
    (void)co_await rest_timer.async_wait(asio::as_tuple(asio::use_awaitable));
  }

  // REST pacing: the exchange allows rest_per_second requests in any second (PROTOCOL.md §7).
  // Requests go out at once while there is room; when our own record of the last second, or the
  // exchange's Remaining-Req header, says there is none, the next waits until the oldest leaves.
  std::deque<std::chrono::steady_clock::time_point> rest_sent;
  int rest_left_this_second = -1;  // from the last Remaining-Req header; -1 unknown

  asio::awaitable<void> pace_rest() {
    using clock = std::chrono::steady_clock;
    const auto second = std::chrono::milliseconds(1000);
    auto now = clock::now();
    while (!rest_sent.empty() && now - rest_sent.front() >= second)
      rest_sent.pop_front();
    const bool full = rest_sent.size() >= cfg.rest_per_second || rest_left_this_second == 0;
    if (full) {
      const auto until = rest_sent.empty() ? now + second : rest_sent.front() + second;
      co_await pause(until + std::chrono::milliseconds(10) - now);
      now = clock::now();
      while (!rest_sent.empty() && now - rest_sent.front() >= second)
        rest_sent.pop_front();
    }
    rest_sent.push_back(now);
  }

  // One request, paced (pace_rest), retried on 429 (with a growing pause) and, twice, on a
  // server error (5xx): a passing hiccup must not cost the whole resync.
  asio::awaitable<RestAnswer> rest_call(const std::string& endpoint, const std::string& query) {
    int server_errors = 0;
    for (int tries = 0;; ++tries) {
      co_await pace_rest();
      RestAnswer a = co_await rest_get(endpoint, query);
      rest_left_this_second = remaining_in_second(a.remaining_req);
      if (a.status == 429 && tries < 10) {
        n.rest_throttled.add();
        co_await pause(std::chrono::milliseconds(250 * (tries + 1)));
        continue;
      }
      if (a.status >= 500) {
        n.rest_server_errors.add();
        if (server_errors++ < 2) {
          co_await pause(std::chrono::milliseconds(50 * server_errors));
          continue;
        }
      }
      if (a.status == 401 || a.status == 403) {
        throw RestAuthRefused(endpoint + " answered HTTP " + std::to_string(a.status));
      }
      co_return a;
    }
  }

  // "group=default; min=1800; sec=29" -> 29; -1 when absent or unreadable.
  static int remaining_in_second(std::string_view header) {
    const auto at = header.find("sec=");
    if (at == std::string_view::npos) return -1;
    int v = -1;
    const char* first = header.data() + at + 4;
    const auto r = std::from_chars(first, header.data() + header.size(), v);
    return r.ec == std::errc{} ? v : -1;
  }

  asio::awaitable<std::vector<OrderEvent>> rest_orders(const std::string& endpoint,
                                                       const std::string& query,
                                                       std::int64_t as_of) {
    RestAnswer a = co_await rest_call(endpoint, query);
    RestParseResult parsed = parse_rest_orders(a.body, as_of);
    if (a.status != 200 || !parsed.ok()) {
      throw std::runtime_error(endpoint + " answered HTTP " + std::to_string(a.status) +
                               (parsed.ok() ? "" : ": " + parsed.error));
    }
    co_return std::move(parsed.orders);
  }

  // The order's trades as stream events (GET /v1/order), or an error saying why there are none.
  // No OrderEvent (alignas 64) may live in a coroutine's frame: GCC 12 allocates the frame
  // without honouring over-aligned locals, and aligned vector moves into one crash. The answer is
  // read by a plain function (trades_of) instead.
  asio::awaitable<TradeEventsResult> fetch_trades(OrderEvent& order, std::int64_t as_of) {
    n.resync_trade_queries.add();
    const RestAnswer a = co_await rest_call("/order", "uuid=" + order.uuid.to_string());
    co_return trades_of(a, order, as_of);
  }

  static TradeEventsResult trades_of(const RestAnswer& a, OrderEvent& order, std::int64_t as_of) {
    const RestOrderTrades r = parse_rest_order_trades(a.body, as_of);
    TradeEventsResult t;
    if (a.status != 200 || !r.ok()) {
      t.error = "HTTP " + std::to_string(a.status) + (r.ok() ? "" : ": " + r.error);
      return t;
    }
    t = trade_events(r);
    if (t.ok() && r.order.trades_count >= order.trades_count) order = r.order;  // the fresher
    return t;
  }

  // One page of /orders/closed, oldest first, appended to `orders`; returns the page's size.
  asio::awaitable<std::size_t> closed_page(const std::string& query, std::int64_t as_of,
                                           std::vector<OrderEvent>& orders, std::int64_t& newest) {
    auto batch = co_await rest_orders("/orders/closed", query + "&limit=1000&order_by=asc", as_of);
    for (const auto& o : batch)
      newest = std::max(newest, o.order_timestamp);
    orders.insert(orders.end(), batch.begin(), batch.end());
    co_return batch.size();
  }

  // Orders closed since `since` (ms), oldest first, 1000 a page. /orders/closed filters and sorts
  // by created_at, which has whole seconds: each next page starts at the newest second of the
  // last (the overlap is merged away later). A full page within one second cannot be paged by
  // time: that second is asked again per market and per state; a part still full is reported,
  // since the exchange offers no way to list the rest.
  asio::awaitable<void> closed_since(std::int64_t since, std::int64_t as_of,
                                     std::vector<OrderEvent>& orders) {
    for (std::int64_t start = since;;) {
      std::int64_t newest = start;
      if (co_await closed_page("start_time=" + std::to_string(start), as_of, orders, newest) <
          1000) {
        co_return;
      }
      if (newest > start) {
        start = newest;
        continue;
      }
      std::vector<std::string> markets(cfg.codes);
      for (const auto& o : orders) {
        if (std::find(markets.begin(), markets.end(), o.code.view()) == markets.end())
          markets.emplace_back(o.code.view());
      }
      const std::string second =
          "start_time=" + std::to_string(start) + "&end_time=" + std::to_string(start + 999);
      for (const auto& market : markets) {
        for (const char* state : {"done", "cancel"}) {
          std::int64_t ignored = start;
          const std::string query = second + "&market=" + market + "&state=" + state;
          if (co_await closed_page(query, as_of, orders, ignored) == 1000) {
            n.resync_incomplete.add();
            say("RESYNC INCOMPLETE: over 1000 " + market + " orders created in the second at " +
                std::to_string(start) + " ms are " + state +
                "; /orders/closed cannot list the rest");
          }
        }
      }
      start += 1000;
    }
  }

  // Publishes one resync event (journaled as JSON, like the frames).
  void feed(const OrderEvent& o) {
    OrderEvent& slot = sink->claim();
    slot = o;
    slot.seq = next_seq++;
    slot.recv_ts = now_ticks();
    if (journal != nullptr) {
      char json[kMaxEncodedEvent];
      const std::size_t size = encode(o, WireFormat::full, json, sizeof json);
      (void)journal->record(JournalKind::resync, json, size, slot.recv_ts);
    }
    track(slot);
    sink->publish();
    n.events.add();
    n.resync_events.add();
  }

  // `stream_from_ms`: the exchange time of the first event the new connection delivered, or -1
  // when none came yet. Trades after it come on the stream: only older missed trades are fetched
  // and fed, and an order snapshot that would bring fills after it is left to the stream.
  void start_resync(std::int64_t stream_from_ms) {
    resync_running = true;
    resyncing_flag.store(true, std::memory_order_relaxed);
    control(ControlCode::resync_begin);
    asio::co_spawn(ioc, resync(stream_from_ms),
                   [this](std::exception_ptr escaped, ResyncResult result) {
                     on_resync_done(escaped ? ResyncResult::failed : result);
                   });
  }

  // Publishes the frames held meanwhile and acts on the outcome. A failed resync (REST down, 5xx,
  // throttled past its retries) must not leave a gap until some later disconnect: the connection
  // is dropped and the whole chain, resync included, runs again after the backoff, which keeps
  // growing (`attempt` is reset only once the state is whole). A connection that failed while
  // the resync ran is acted on now, after the events.
  void on_resync_done(ResyncResult result) {
    resync_running = false;
    resyncing_flag.store(false, std::memory_order_relaxed);
    rest->close();  // no idle connection between resyncs
    release_held();
    if (auto d = std::exchange(deferred_failure, std::nullopt)) {
      if (d->auth) return refused(d->was_live, d->what);
      return disconnected(d->was_live, d->stage.c_str(), d->what);
    }
    switch (result) {
      case ResyncResult::ok:
        attempt = 0;
        if (live && std::exchange(read_paused, false)) read_more();
        return;
      case ResyncResult::failed:
        return fail("resync", "REST resynchronisation failed");
      case ResyncResult::auth_refused:
        return auth_failed("REST resync refused: " + last_resync_error);
    }
  }

  // ok when every order the exchange reported was published.
  asio::awaitable<ResyncResult> resync(std::int64_t stream_from_ms) {
    // "As of" in the exchange's clock where known (the newest event seen), else the wall clock.
    const std::int64_t as_of = last_event_ms >= 0 ? last_event_ms : wall_ms();
    std::size_t applied = 0;
    try {
      std::vector<OrderEvent> orders;
      // Open orders, every page.
      for (int page = 1;; ++page) {
        auto batch = co_await rest_orders(
            "/orders/open",
            "states[]=wait&states[]=watch&page=" + std::to_string(page) + "&limit=100&order_by=asc",
            as_of);
        const std::size_t got = batch.size();
        orders.insert(orders.end(), batch.begin(), batch.end());
        if (got < 100) break;
      }
      // Orders closed since the last event seen (minus a margin), or since the configured start.
      std::int64_t since = -1;
      if (last_event_ms >= 0) {
        since = last_event_ms - cfg.closed_margin.count();
      } else if (first_connect && cfg.first_closed_since_ms >= 0) {
        since = cfg.first_closed_since_ms;
      }
      if (since >= 0) co_await closed_since(since, as_of, orders);
      // Every order this connection saw open: closed ones the time window might have missed.
      std::vector<Uuid> tracked;
      orders_seen.for_each_open([&](const Uuid& u) { tracked.push_back(u); });
      for (std::size_t i = 0; i < tracked.size(); i += 100) {
        std::string q;
        for (std::size_t k = i; k < std::min(tracked.size(), i + 100); ++k) {
          q += (q.empty() ? "uuids[]=" : "&uuids[]=") + tracked[k].to_string();
        }
        auto batch = co_await rest_orders("/orders/uuids", q, as_of);
        orders.insert(orders.end(), batch.begin(), batch.end());
      }
      // One snapshot per order: the one with the most progress. The indices are sorted, not the
      // events: std::stable_sort's buffer (std::get_temporary_buffer, libstdc++ 12) ignores
      // OrderEvent's 64-byte alignment, and aligned vector moves into it crash.
      std::vector<std::size_t> by_uuid(orders.size());
      for (std::size_t i = 0; i < by_uuid.size(); ++i)
        by_uuid[i] = i;
      std::stable_sort(by_uuid.begin(), by_uuid.end(), [&orders](std::size_t a, std::size_t b) {
        return std::memcmp(orders[a].uuid.bytes.data(), orders[b].uuid.bytes.data(),
                           orders[a].uuid.bytes.size()) < 0;
      });
      std::vector<OrderEvent> snapshots;
      for (const std::size_t i : by_uuid) {
        const OrderEvent& o = orders[i];
        if (!snapshots.empty() && snapshots.back().uuid == o.uuid) {
          if (o.trades_count > snapshots.back().trades_count ||
              o.executed_volume > snapshots.back().executed_volume) {
            snapshots.back() = o;
          }
        } else {
          snapshots.push_back(o);
        }
      }
      // Trades this client did not see as events: fetched per order, applied one by one in
      // trade-time order (the order the fill windows apply them in), before the snapshots.
      std::vector<OrderEvent> missed;
      std::vector<OrderEvent> feed_snapshots;
      for (OrderEvent& o : snapshots) {
        if (o.trades_count == 0 || orders_seen.all_trades_seen(o.uuid, o.trades_count)) {
          feed_snapshots.push_back(o);  // no fill the client lacks: state and terms only
          continue;
        }
        // created_at (whole seconds) after the stream's first event: every event of the order
        // is on the stream.
        if (stream_from_ms >= 0 && o.order_timestamp > stream_from_ms) continue;
        TradeEventsResult t = co_await fetch_trades(o, as_of);
        if (!t.ok()) {
          // The snapshot still brings the order's totals; its fills land at one time.
          n.resync_trades_unavailable.add();
          say("resync: trades of order " + o.uuid.to_string() + " unavailable (" + t.error +
              "); its fills are applied from the order's totals");
          feed_snapshots.push_back(o);
          continue;
        }
        bool later_trades = false;
        for (const OrderEvent& e : t.events) {
          if (stream_from_ms >= 0 && e.trade_timestamp > stream_from_ms) {
            later_trades = true;  // on the stream
          } else if (!orders_seen.trade_seen(e.uuid, e.trades_count)) {
            missed.push_back(e);
          }
        }
        if (!later_trades) feed_snapshots.push_back(o);
      }
      std::sort(missed.begin(), missed.end(), [](const OrderEvent& a, const OrderEvent& b) {
        return FillKey{a.trade_timestamp, a.uuid, a.trades_count} <
               FillKey{b.trade_timestamp, b.uuid, b.trades_count};
      });
      for (const OrderEvent& e : missed) {
        feed(e);
        n.resync_trades.add();
        ++applied;
      }
      for (const OrderEvent& o : feed_snapshots) {
        feed(o);
        ++applied;
      }
      first_connect = false;
      n.resyncs.add();
      control(ControlCode::resynced, {}, static_cast<double>(applied));
      say("resynced: " + std::to_string(feed_snapshots.size()) + " orders and " +
          std::to_string(missed.size()) + " missed trades from REST");
      co_return ResyncResult::ok;
    } catch (const RestAuthRefused& e) {
      n.resync_failures.add();
      control(ControlCode::resync_failed, "rest auth");
      last_resync_error = e.what();
      co_return ResyncResult::auth_refused;
    } catch (const std::exception& e) {
      n.resync_failures.add();
      control(ControlCode::resync_failed, "rest");
      say(std::string("RESYNC FAILED: ") + e.what() + "; reconnecting to retry it");
      co_return ResyncResult::failed;
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
  const auto& n = impl_->n;
  LiveCounters c;
  c.connects = n.connects.get();
  c.attempts = n.attempts.get();
  c.disconnects = n.disconnects.get();
  c.auth_failures = n.auth_failures.get();
  c.frames = n.frames.get();
  c.events = n.events.get();
  c.resync_events = n.resync_events.get();
  c.resyncs = n.resyncs.get();
  c.resync_failures = n.resync_failures.get();
  c.resync_trade_queries = n.resync_trade_queries.get();
  c.resync_trades = n.resync_trades.get();
  c.resync_trades_unavailable = n.resync_trades_unavailable.get();
  c.resync_incomplete = n.resync_incomplete.get();
  c.resync_held_frames = n.resync_held_frames.get();
  c.resync_hold_full = n.resync_hold_full.get();
  c.rest_requests = n.rest_requests.get();
  c.rest_throttled = n.rest_throttled.get();
  c.rest_server_errors = n.rest_server_errors.get();
  c.decode_errors = n.decode_errors.get();
  c.oversized = n.oversized.get();
  c.server_errors = n.server_errors.get();
  c.status_frames = n.status_frames.get();
  c.clock_skew = n.clock_skew.get();
  c.connects_delayed = n.connects_delayed.get();
  c.rest_banned = n.rest_banned.get();
  c.stalled_frames = n.stalled_frames.get();
  c.pong_timeouts = n.pong_timeouts.get();
  return c;
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
