#pragma once
// One HTTP/1.1 GET over plain TCP with one deadline for the whole exchange (resolve aside:
// connect, write, read): how the tests and the soak ask upbit-sim's REST side and /sim/truth.
// Cold path. Throws std::runtime_error naming the target on failure or at the deadline; any
// HTTP status is a response, for the caller to judge. async_exchange() is its write-then-read
// step, for a caller with its own stream (the tests' HTTPS GET). Includes Beast: for tools and
// tests only.

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>

namespace fillwire::sim {

struct HttpGet {
  std::string host = "127.0.0.1";  // resolved (a name or an address)
  std::string port;
  std::string target;         // path and query
  std::string host_header;    // the Host field (empty: `host`)
  std::string authorization;  // the Authorization field (empty: none)
  std::chrono::milliseconds timeout{5000};
  std::uint64_t body_limit = std::uint64_t{1} << 30;  // a longer body fails the request
};

// Starts writing `req` on `stream`, then reading the answer into `res` (a message or a parser);
// the first error (or success) lands in `result`. The caller runs the io_context under a deadline.
template <class Stream, class Request, class Response>
void async_exchange(Stream& stream, const Request& req, boost::beast::flat_buffer& buffer,
                    Response& res, boost::beast::error_code& result) {
  namespace http = boost::beast::http;
  http::async_write(
      stream, req, [&stream, &buffer, &res, &result](boost::beast::error_code wec, std::size_t) {
        if (wec) {
          result = wec;
          return;
        }
        http::async_read(stream, buffer, res,
                         [&result](boost::beast::error_code rec, std::size_t) { result = rec; });
      });
}

inline boost::beast::http::response<boost::beast::http::string_body> http_get(const HttpGet& get) {
  namespace asio = boost::asio;
  namespace beast = boost::beast;
  namespace http = beast::http;
  asio::io_context ioc;
  asio::ip::tcp::resolver resolver(ioc);
  beast::tcp_stream stream(ioc);
  http::request<http::empty_body> req(http::verb::get, get.target, 11);
  req.set(http::field::host, get.host_header.empty() ? get.host : get.host_header);
  req.set(http::field::connection, "close");
  if (!get.authorization.empty()) req.set(http::field::authorization, get.authorization);
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(get.body_limit);
  beast::error_code result = asio::error::timed_out;
  stream.expires_after(get.timeout);
  stream.async_connect(resolver.resolve(get.host, get.port),
                       [&](beast::error_code ec, const asio::ip::tcp::endpoint&) {
                         if (ec) {
                           result = ec;
                           return;
                         }
                         async_exchange(stream, req, buffer, parser, result);
                       });
  ioc.run();
  if (result) throw std::runtime_error("HTTP GET " + get.target + ": " + result.message());
  return parser.release();
}

}  // namespace fillwire::sim
