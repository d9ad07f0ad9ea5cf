#pragma once
// RestSession: the resync's HTTP/1.1 client. One connection, kept alive across the requests of a
// resync (a TLS handshake per request would cost more than the request), on the network thread's
// io_context as coroutines beside the WebSocket. Every step of a request (resolve, connect, TLS,
// write, read) has its own deadline; an answer over max_body bytes is refused; requests are paced
// by the process's REST window, the exchange's Remaining-Req header and any 418 ban; abort() ends
// whatever is under way at once (the resync's own deadline).
//
// Thread contract: the network thread only. Cold path: allocates and throws.

#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstddef>
#include <memory>
#include <stdexcept>
#include <string>

#include "asio_fwd.hpp"
#include "fillwire/auth.hpp"
#include "live_counters.hpp"
#include "url.hpp"

namespace fillwire::net {

struct RestAnswer {
  unsigned status = 0;
  std::string body;
  std::string remaining_req;  // "group=default; min=1800; sec=29"
  std::string retry_after;    // seconds, when the exchange said
};

// Thrown by a session's awaits once abort() was called.
struct RestAborted : std::runtime_error {
  using std::runtime_error::runtime_error;
};

class RestSession {
 public:
  struct Settings {
    std::chrono::milliseconds timeout;  // each step of a request
    std::size_t per_second;             // requests in any second, over the whole process
    std::size_t max_body;               // bytes of one answer
    bool verify_host;
  };

  RestSession(boost::asio::io_context& io, Url url, boost::asio::ssl::context& tls, Settings s,
              LiveCounterSet& counters);
  ~RestSession();
  RestSession(const RestSession&) = delete;
  RestSession& operator=(const RestSession&) = delete;

  // GET <url path><endpoint>?<query>, signed with a fresh token (query hash included). Waits for
  // its turn first. Throws on a transport failure (after one retry on a fresh connection when a
  // kept-alive one was found closed) and RestAborted after abort().
  boost::asio::awaitable<RestAnswer> get(const std::string& endpoint, const std::string& query,
                                         const Credentials& credentials);
  // Sleeps `d` unless aborted (then throws RestAborted).
  boost::asio::awaitable<void> pause(std::chrono::steady_clock::duration d);

  // Gives an answer's body back: the next answer is read into its memory.
  void recycle(std::string&& body) noexcept;

  void abort();  // closes the connection, wakes every wait; later calls throw until reset()
  void reset();  // ready for the next resync
  void close();  // closes the idle connection (none is kept between resyncs), frees its buffers

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// "group=default; min=1800; sec=29" -> 29; -1 when absent or unreadable.
[[nodiscard]] int remaining_in_second(std::string_view header) noexcept;
// Retry-After in seconds ("120") -> that duration, capped at `cap`; `fallback` when absent or an
// HTTP date (not honoured: the fallback applies).
[[nodiscard]] std::chrono::milliseconds retry_after(std::string_view header,
                                                    std::chrono::milliseconds fallback,
                                                    std::chrono::milliseconds cap) noexcept;

}  // namespace fillwire::net
