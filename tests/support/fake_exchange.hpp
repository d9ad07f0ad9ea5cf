#pragma once
// FakeExchange: a scriptable, misbehaving exchange on a loopback port, for integration tests of the
// live client. Plain ws:// and http:// on one port: WebSocket upgrades go to on_upgrade/on_ws,
// every other request to on_rest (HTTP/1.1 keep-alive honoured). The WebSocket server side is
// driven by hand (FakeWs), so a test can withhold pongs, trickle bytes, send malformed frames or
// lie about a frame's length. upbit-sim is the correct peer; this is for what a correct exchange
// never does.
//
// Threads: one accept thread, and one thread per accepted connection (at most kMaxConnections at a
// time; further connections are closed at once). Callbacks run on their connection's thread, so
// several may run at once. Setters and records: any thread.
// Deadlines: every socket wait ends at its deadline or when the server stops. The destructor stops,
// shuts every socket down and joins every thread; a callback must wait only through FakeWs or
// FakeExchange::sleep (which return early on stop), or the destructor waits for it.

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace fillwire::test {

using Clock = std::chrono::steady_clock;
using Ms = std::chrono::milliseconds;

struct HttpRequest {
  std::string method, target, path, query;  // target = path [ "?" query ]
  std::vector<std::pair<std::string, std::string>> headers;
  Clock::time_point at;  // when the request head was complete
  // The first header of that name (case-insensitive), empty when absent.
  [[nodiscard]] std::string header(std::string_view name) const;
};

// An HTTP answer, written as given: Content-Length is added unless `headers` has one (a test may
// lie), `Connection: close` when `close`. `delay` is waited before the answer is written.
struct HttpAnswer {
  HttpAnswer(unsigned s = 200, std::string b = {},
             std::vector<std::pair<std::string, std::string>> h = {})
      : status(s), body(std::move(b)), headers(std::move(h)) {}
  unsigned status = 200;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  bool close = false;
  Ms delay{0};
};

namespace detail {
class Conn;
struct Server;
}  // namespace detail

// One upgraded connection. Connection thread only (inside on_ws). Client pings are answered (unless
// answer_pings(false)) whenever the session reads, sleeps or calls send(); trickle() holds the
// pongs due meanwhile until its last byte is out. After send_raw() of part of a frame, turn pongs
// off, or the next pong lands inside that frame.
class FakeWs {
 public:
  static constexpr std::uint64_t npos = ~std::uint64_t{0};

  // One whole frame (unmasked, FIN). False when the peer is gone, the write timed out or the
  // server stops.
  bool send(std::string_view payload, bool binary = true);
  bool send_raw(std::string_view bytes);  // bytes straight onto the socket (no pongs)
  // A server frame: header + payload; `declared_len` (npos: the true size) is written as the
  // length.
  [[nodiscard]] static std::string frame_bytes(std::string_view payload, bool binary = true,
                                               std::uint64_t declared_len = npos);
  // Writes `bytes` one at a time, `per_byte` apart. True when all were written.
  bool trickle(std::string_view bytes, Ms per_byte);
  // Next data message from the client (fragments joined); nullopt on timeout, close or stop.
  std::optional<std::string> read_message(Ms timeout);
  // Waits `d` while handling control frames; false if the peer closed or the server stops.
  bool sleep(Ms d);
  void answer_pings(bool on) { answer_pings_ = on; }  // default on: ping -> pong
  [[nodiscard]] std::uint64_t pings_received() const { return pings_; }
  // Pongs from the client, and the payload of the last one.
  [[nodiscard]] std::uint64_t pongs_received() const { return pongs_; }
  [[nodiscard]] const std::string& last_pong() const { return last_pong_; }
  // Waits until the peer closes (close frame, EOF or reset); true if it did within `timeout`.
  bool wait_closed(Ms timeout);
  [[nodiscard]] bool peer_closed() const { return peer_closed_; }
  void close();  // close frame 1000 (unless sent) + shutdown of our sending side
  void abort();  // reset (RST): SO_LINGER 0, then the socket is closed

  explicit FakeWs(detail::Conn& conn) : conn_(conn) {}

 private:
  friend struct detail::Server;
  bool pump(Clock::time_point until, bool may_write);  // one read (waiting up to `until`) + frames
  bool handle_frames(bool may_write);
  bool flush_pongs();

  detail::Conn& conn_;
  bool answer_pings_ = true;
  bool peer_closed_ = false;
  bool close_sent_ = false;
  std::uint64_t pings_ = 0;
  std::uint64_t pongs_ = 0;
  std::string last_pong_;
  std::vector<std::string> pending_pongs_;  // due while a raw write was in progress
  std::deque<std::string> messages_;        // whole data messages not yet read (bounded)
  std::string partial_;                     // a fragmented message being joined
};

class FakeExchange {
 public:
  static constexpr std::size_t kMaxConnections = 64;
  struct Options {
    std::string address = "127.0.0.1";  // or "::1"
    Ms io_timeout{10000};               // one request's read, one answer's or frame's write
    Ms idle_timeout{60000};             // a keep-alive connection between requests
  };

  FakeExchange();  // listens on 127.0.0.1, an ephemeral port; throws on failure
  explicit FakeExchange(Options options);
  ~FakeExchange();
  FakeExchange(const FakeExchange&) = delete;
  FakeExchange& operator=(const FakeExchange&) = delete;

  [[nodiscard]] std::uint16_t port() const;
  [[nodiscard]] std::string ws_url(std::string_view path = "/websocket/v1/private") const;
  [[nodiscard]] std::string rest_url() const;  // http://host:port/v1

  // Upgrade requests: nullopt accepts (101); an answer with status 101 accepts after its delay with
  // its extra headers; any other answer is written and the connection closed. Default: accept.
  void on_upgrade(std::function<std::optional<HttpAnswer>(const HttpRequest&)> f);
  // The session after a 101. On return the connection is closed (close frame unless sent, then a
  // short drain). Default: answer pings until the peer closes or the server stops.
  void on_ws(std::function<void(FakeWs&, const HttpRequest& upgrade)> f);
  // Every other request. Default: 404 with an Upbit-style error body.
  void on_rest(std::function<HttpAnswer(const HttpRequest&)> f);

  // Records (copies; any thread).
  [[nodiscard]] std::vector<Clock::time_point> connections() const;  // TCP accepts
  [[nodiscard]] std::vector<HttpRequest> upgrades() const;           // upgrade requests
  [[nodiscard]] std::vector<HttpRequest> rest_requests() const;
  [[nodiscard]] std::size_t refused_connections() const;  // closed over kMaxConnections
  // Waits until at least `n` REST requests (or upgrades) were recorded; false on timeout or stop.
  bool wait_rest_requests(std::size_t n, Ms timeout) const;
  bool wait_upgrades(std::size_t n, Ms timeout) const;
  // Waits `d`, or less if the server stops (false then). For callbacks that must pause.
  bool sleep(Ms d) const;

 private:
  std::unique_ptr<detail::Server> s_;
};

}  // namespace fillwire::test
