#pragma once
// Test client for upbit-sim over real loopback sockets: a Beast WebSocket client (ws:// or wss://)
// and one-shot HTTP requests. Every read is bounded by a socket receive timeout, so a test that
// waits for something that never comes fails instead of hanging.

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>

#include <sys/socket.h>
#include <sys/time.h>
#include <chrono>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>

#include "http_get.hpp"

namespace fillwire::test {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;

inline void set_receive_timeout(tcp::socket& s, std::chrono::milliseconds timeout) {
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(timeout.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((timeout.count() % 1000) * 1000);
  ::setsockopt(s.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
}

struct Message {
  std::string data;
  bool binary = false;
};

// One WebSocket connection. `Next` is tcp::socket or ssl::stream<tcp::socket>. Operations run
// asynchronously on the client's own io_context for at most `timeout`; a timed-out read cancels
// the socket (the connection is then unusable, which a test reports as a failure).
template <class Next>
class BasicWsClient {
 public:
  // Connects and upgrades. On a refused upgrade, `response()` holds the server's HTTP response and
  // ok() is false. Throws if TCP or TLS fails. A `receive_buffer` other than 0 fixes the socket's
  // receive buffer (SO_RCVBUF, set before connecting, so the kernel does not grow it): a client
  // that stops reading then holds that much, not the tens of MiB loopback autotuning may reach.
  BasicWsClient(std::uint16_t port, std::string path, std::optional<std::string> authorization,
                ssl::context* tls = nullptr,
                std::chrono::milliseconds timeout = std::chrono::seconds(5), int receive_buffer = 0)
      : ws_(make_stream(ioc_, tls)), timeout_(timeout) {
    auto& sock = beast::get_lowest_layer(ws_);
    if (receive_buffer > 0) {
      sock.open(tcp::v4());
      sock.set_option(asio::socket_base::receive_buffer_size(receive_buffer));
    }
    sock.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
    if constexpr (!std::is_same_v<Next, tcp::socket>) {
      ws_.next_layer().set_verify_callback(ssl::host_name_verification("127.0.0.1"));
      beast::error_code ec;
      run([&](auto done) { ws_.next_layer().async_handshake(ssl::stream_base::client, done); }, ec);
      if (ec) throw std::runtime_error("TLS handshake: " + ec.message());
    }
    ws_.set_option(websocket::stream_base::decorator(
        [auth = std::move(authorization)](websocket::request_type& req) {
          if (auth) req.set(http::field::authorization, *auth);
        }));
    beast::error_code ec;
    run(
        [&](auto done) {
          ws_.async_handshake(response_, "127.0.0.1:" + std::to_string(port), path,
                              [done](beast::error_code e) { done(e); });
        },
        ec);
    ok_ = !ec;
    ws_.control_callback([this](websocket::frame_type kind, beast::string_view payload) {
      if (kind == websocket::frame_type::pong) last_pong_ = std::string(payload);
    });
  }

  [[nodiscard]] bool ok() const noexcept { return ok_; }
  [[nodiscard]] const websocket::response_type& response() const noexcept { return response_; }

  void send(const std::string& text) {
    ws_.text(true);
    beast::error_code ec;
    run(
        [&](auto done) {
          ws_.async_write(asio::buffer(text),
                          [done](beast::error_code e, std::size_t) { done(e); });
        },
        ec);
    if (ec) throw std::runtime_error("write: " + ec.message());
  }

  // Next message; throws on timeout or close.
  Message read() {
    beast::error_code ec;
    auto m = try_read(ec);
    if (!m) throw std::runtime_error("read: " + ec.message());
    return *m;
  }

  // Next message, or nullopt with `ec` set (close, timeout = operation_aborted).
  std::optional<Message> try_read(beast::error_code& ec) {
    buffer_.clear();
    run(
        [&](auto done) {
          ws_.async_read(buffer_, [done](beast::error_code e, std::size_t) { done(e); });
        },
        ec);
    if (ec) return std::nullopt;
    return Message{beast::buffers_to_string(buffer_.data()), ws_.got_binary()};
  }

  // Sends one text message in frames of at most `fragment` payload bytes (0: one frame).
  void send_fragmented(const std::string& text, std::size_t fragment) {
    ws_.auto_fragment(fragment > 0);
    if (fragment > 0) ws_.write_buffer_bytes(fragment);
    send(text);
    ws_.auto_fragment(false);
  }

  // The close code the server sent (after a read ended with websocket::error::closed).
  [[nodiscard]] std::uint16_t close_code() const { return ws_.reason().code; }

  // Sends a ping; the error when it could not be sent within the timeout (or the stream failed).
  beast::error_code ping(const std::string& payload) {
    beast::error_code ec;
    run([&](auto done) { ws_.async_ping(websocket::ping_data(payload.c_str()), done); }, ec);
    return ec;
  }
  [[nodiscard]] const std::optional<std::string>& last_pong() const noexcept { return last_pong_; }

 private:
  static websocket::stream<Next> make_stream(asio::io_context& ioc, ssl::context* tls) {
    if constexpr (std::is_same_v<Next, tcp::socket>) {
      return websocket::stream<Next>(ioc);
    } else {
      return websocket::stream<Next>(ioc, *tls);
    }
  }

  // Starts `op(done)` and runs the io_context until done or the timeout (then cancels).
  template <class Op>
  void run(Op&& op, beast::error_code& ec) {
    bool finished = false;
    op([&](beast::error_code e) {
      ec = e;
      finished = true;
    });
    ioc_.restart();
    ioc_.run_for(timeout_);
    if (!finished) {
      beast::error_code ignored;
      beast::get_lowest_layer(ws_).cancel(ignored);
      ioc_.restart();
      ioc_.run_for(std::chrono::seconds(1));
      ec = asio::error::timed_out;
    }
  }

  asio::io_context ioc_;
  websocket::stream<Next> ws_;
  std::chrono::milliseconds timeout_;
  websocket::response_type response_;
  beast::flat_buffer buffer_;
  bool ok_ = false;
  std::optional<std::string> last_pong_;
};

using WsClient = BasicWsClient<tcp::socket>;
using WssClient = BasicWsClient<ssl::stream<tcp::socket>>;

// GET over plain HTTP/1.1 on loopback, bounded to `timeout`; returns the whole response.
inline http::response<http::string_body> http_get(
    std::uint16_t port, const std::string& target, const std::string& authorization = {},
    std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
  sim::HttpGet get;
  get.port = std::to_string(port);
  get.target = target;
  get.authorization = authorization;
  get.timeout = timeout;
  return sim::http_get(get);
}

// Sends `request` (raw bytes: request line, headers, body) over plain HTTP on loopback and reads
// the response, bounded to 5 s.
inline http::response<http::string_body> http_raw(std::uint16_t port, const std::string& request) {
  asio::io_context ioc;
  beast::tcp_stream stream(ioc);
  stream.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
  beast::flat_buffer buf;
  http::response<http::string_body> res;
  beast::error_code result = asio::error::timed_out;
  stream.expires_after(std::chrono::seconds(5));
  asio::async_write(stream, asio::buffer(request), [&](beast::error_code ec, std::size_t) {
    if (ec) {
      result = ec;
      return;
    }
    http::async_read(stream, buf, res, [&](beast::error_code rec, std::size_t) { result = rec; });
  });
  ioc.run();
  if (result) throw std::runtime_error("raw HTTP request: " + result.message());
  return res;
}

// GET over HTTPS (TLS with peer verification against `tls`), bounded to 5 s.
inline http::response<http::string_body> https_get(std::uint16_t port, const std::string& target,
                                                   ssl::context& tls,
                                                   const std::string& authorization = {}) {
  asio::io_context ioc;
  beast::ssl_stream<beast::tcp_stream> stream(ioc, tls);
  beast::get_lowest_layer(stream).connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
  stream.set_verify_callback(ssl::host_name_verification("127.0.0.1"));
  http::request<http::empty_body> req(http::verb::get, target, 11);
  req.set(http::field::host, "127.0.0.1");
  if (!authorization.empty()) req.set(http::field::authorization, authorization);
  beast::flat_buffer buf;
  http::response<http::string_body> res;
  beast::error_code result = asio::error::timed_out;
  beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(5));
  stream.async_handshake(ssl::stream_base::client, [&](beast::error_code hec) {
    if (hec) {
      result = hec;
      return;
    }
    sim::async_exchange(stream, req, buf, res, result);
  });
  ioc.run();
  if (result) throw std::runtime_error("HTTPS GET " + target + ": " + result.message());
  return res;
}

}  // namespace fillwire::test
