// RestSession over Boost.Beast (HTTP/1.1, plain or TLS). See rest_session.hpp.

#include "rest_session.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <algorithm>
#include <charconv>
#include <optional>

#include "rate_window.hpp"
#include "server_name.hpp"

namespace fillwire::net {

namespace asio = boost::asio;    // from <boost/asio.hpp>
namespace beast = boost::beast;  // from <boost/beast.hpp>
namespace http = beast::http;    // from <boost/beast/http.hpp>
namespace ssl = asio::ssl;       // from <boost/asio/ssl.hpp>
using tcp = asio::ip::tcp;

namespace {

constexpr auto kAwait = asio::as_tuple(asio::use_awaitable);

void check(const char* step, const beast::error_code& ec) {
  if (ec) throw std::runtime_error(std::string("REST ") + step + ": " + ec.message());
}

}  // namespace

int remaining_in_second(std::string_view header) noexcept {
  const auto at = header.find("sec=");
  if (at == std::string_view::npos) return -1;
  int v = -1;
  const char* first = header.data() + at + 4;
  const auto r = std::from_chars(first, header.data() + header.size(), v);
  return r.ec == std::errc{} ? v : -1;
}

std::chrono::milliseconds retry_after(std::string_view header, std::chrono::milliseconds fallback,
                                      std::chrono::milliseconds cap) noexcept {
  while (!header.empty() && header.front() == ' ')
    header.remove_prefix(1);
  std::int64_t seconds = -1;
  const auto r = std::from_chars(header.data(), header.data() + header.size(), seconds);
  if (r.ec != std::errc{} || seconds < 0) return fallback;
  if (seconds > cap.count() / 1000) return cap;
  return std::chrono::seconds(seconds);
}

struct RestSession::Impl {
  asio::io_context& io;
  Url url;
  ssl::context& tls;
  Settings s;
  LiveCounterSet& n;
  asio::steady_timer timer{io};
  tcp::resolver resolver{io};
  std::optional<beast::tcp_stream> plain;
  std::optional<beast::ssl_stream<beast::tcp_stream>> secure;
  beast::flat_buffer buffer;
  std::string spare_body;  // an answer's body given back (recycle()), its capacity kept
  bool aborted = false;
  int left_this_second = -1;  // from the last Remaining-Req header; -1 unknown

  Impl(asio::io_context& i, Url u, ssl::context& t, Settings st, LiveCounterSet& c)
      : io(i), url(std::move(u)), tls(t), s(st), n(c) {}

  [[nodiscard]] bool open() const noexcept { return plain.has_value() || secure.has_value(); }
  beast::tcp_stream& lowest() { return secure ? beast::get_lowest_layer(*secure) : *plain; }

  void throw_if_aborted() const {
    if (aborted) throw RestAborted("the resync's deadline passed");
  }

  void close() noexcept {
    beast::error_code ignored;
    if (secure) {
      beast::get_lowest_layer(*secure).socket().close(ignored);
      secure.reset();
    }
    if (plain) {
      plain->socket().close(ignored);
      plain.reset();
    }
    buffer.clear();
  }

  asio::awaitable<void> pause(std::chrono::steady_clock::duration d) {
    throw_if_aborted();
    timer.expires_after(d);
    (void)co_await timer.async_wait(kAwait);
    throw_if_aborted();
  }

  // Waits for any ban to end and for a place in the process's REST window (and in the second the
  // exchange's Remaining-Req header described).
  asio::awaitable<void> wait_turn() {
    const auto now = std::chrono::steady_clock::now();
    auto at = rest_window().reserve(now, s.per_second);
    if (left_this_second == 0) at = std::max(at, now + std::chrono::seconds(1));
    at = std::max(at, exchange_ban().until());
    if (at > now) co_await pause(at - now);
  }

  asio::awaitable<void> connect() {
    auto [resolved, endpoints] = co_await resolver.async_resolve(url.host, url.port, kAwait);
    throw_if_aborted();
    check("resolve", resolved);
    if (url.tls) {
      secure.emplace(io, tls);
      if (!set_server_name(secure->native_handle(), url.host)) {
        throw std::runtime_error("REST: cannot set the server name (SNI)");
      }
      if (s.verify_host) secure->set_verify_callback(ssl::host_name_verification(url.host));
    } else {
      plain.emplace(io);
    }
    lowest().expires_after(s.timeout);
    auto [connected, endpoint] = co_await lowest().async_connect(endpoints, kAwait);
    throw_if_aborted();
    check("connect", connected);
    if (secure) {
      lowest().expires_after(s.timeout);
      auto [handshake] = co_await secure->async_handshake(ssl::stream_base::client, kAwait);
      throw_if_aborted();
      check("tls", handshake);
    }
  }

  template <class Stream>
  asio::awaitable<void> exchange(Stream& stream, http::request<http::empty_body>& req,
                                 http::response_parser<http::string_body>& parser) {
    auto [written, w] = co_await http::async_write(stream, req, kAwait);
    throw_if_aborted();
    check("write", written);
    auto [read, r] = co_await http::async_read(stream, buffer, parser, kAwait);
    throw_if_aborted();
    check("read", read);
  }

  asio::awaitable<RestAnswer> send(const std::string& target, const std::string& query,
                                   const Credentials& credentials) {
    // A kept-alive connection the server closed meanwhile fails on first use: the request goes
    // once more on a fresh connection (GET only, so a repeat is harmless), signed anew (a token's
    // nonce is good for one request).
    for (int tries = 0;; ++tries) {
      const bool fresh = !open();
      http::request<http::empty_body> req{http::verb::get, target, 11};
      req.set(http::field::host, url.host_header());
      req.set(http::field::user_agent, "fillwire");
      req.set(http::field::accept, "application/json");
      req.set(http::field::authorization, "Bearer " + make_token(credentials, query));
      req.keep_alive(true);
      n.rest_requests.add();
      try {
        if (fresh) co_await connect();
        http::response_parser<http::string_body> parser;
        parser.body_limit(s.max_body);
        parser.get().body() = std::move(spare_body);  // read into the last answer's memory
        parser.get().body().clear();
        lowest().expires_after(s.timeout);
        if (secure) {
          co_await exchange(*secure, req, parser);
        } else {
          co_await exchange(*plain, req, parser);
        }
        auto res = parser.release();
        if (!res.keep_alive()) close();
        RestAnswer a{res.result_int(), std::move(res.body()), std::string(res["Remaining-Req"]),
                     std::string(res[http::field::retry_after])};
        left_this_second = remaining_in_second(a.remaining_req);
        co_return a;
      } catch (const RestAborted&) {
        close();
        throw;
      } catch (const std::exception&) {
        close();
        if (fresh || tries > 0) throw;
      }
    }
  }
};

RestSession::RestSession(asio::io_context& io, Url url, ssl::context& tls, Settings s,
                         LiveCounterSet& counters)
    : impl_(std::make_unique<Impl>(io, std::move(url), tls, s, counters)) {}

RestSession::~RestSession() = default;

asio::awaitable<RestAnswer> RestSession::get(const std::string& endpoint, const std::string& query,
                                             const Credentials& credentials) {
  Impl& m = *impl_;
  co_await m.wait_turn();
  const std::string target = m.url.path + endpoint + (query.empty() ? "" : "?" + query);
  co_return co_await m.send(target, query, credentials);
}

asio::awaitable<void> RestSession::pause(std::chrono::steady_clock::duration d) {
  co_await impl_->pause(d);
}

void RestSession::recycle(std::string&& body) noexcept {
  impl_->spare_body = std::move(body);
}

void RestSession::abort() {
  impl_->aborted = true;
  impl_->close();
  impl_->timer.cancel();
  impl_->resolver.cancel();
}

void RestSession::reset() {
  impl_->aborted = false;
}

void RestSession::close() {
  impl_->close();
  // Between resyncs nothing is read: the buffers a large answer grew go back.
  impl_->spare_body = std::string();
  impl_->buffer.clear();
  impl_->buffer.shrink_to_fit();
}

}  // namespace fillwire::net
