#pragma once
// ServerThread: upbit-sim served in this process on a thread of its own, for the life of the
// object (`fillwire demo` and `fillwire bench`, the end-to-end benchmark, the tests).
//
// Thread contract: construct, use and destroy on one (controlling) thread. The server runs on the
// thread this object owns; server() may be used from the controlling thread as Server allows
// (stop(), stats() and truth_json() from any thread).
//
// Both ends are bounded: the thread must be serving within start_deadline (else the constructor
// throws), and run() must return within stop_deadline of stop() (else the process aborts with a
// message: the thread still uses the server this object owns, so it can be neither joined nor
// left behind).

#include <chrono>
#include <cstdint>
#include <functional>
#include <future>
#include <string>
#include <thread>

#include "server.hpp"

namespace fillwire::sim {

struct ServerThreadConfig {
  std::chrono::milliseconds start_deadline{10'000};  // from the thread's launch to run()
  std::chrono::milliseconds stop_deadline{10'000};   // from stop() to run() returned
  // Runs first on the server's thread, before it serves (pinning it, naming it). Optional.
  std::function<void()> on_thread_start;
};

class ServerThread {
 public:
  // Binds (Server::start), then serves on a new thread. Throws if the server cannot start or the
  // thread is not serving within config.start_deadline.
  explicit ServerThread(ServerConfig config, ServerThreadConfig thread = {});
  // stop().
  ~ServerThread();
  ServerThread(const ServerThread&) = delete;
  ServerThread& operator=(const ServerThread&) = delete;

  // Stops the server and joins its thread, within stop_deadline (see above). Idempotent.
  void stop();
  // Waits at most `timeout` for run() to return on its own (ServerConfig::exit_when_done).
  [[nodiscard]] bool wait_done(std::chrono::milliseconds timeout);

  [[nodiscard]] Server& server() noexcept { return server_; }
  Server& operator*() noexcept { return server_; }
  Server* operator->() noexcept { return &server_; }
  [[nodiscard]] std::uint16_t port() const noexcept { return server_.port(); }
  // The private WebSocket: "ws://127.0.0.1:P/websocket/v1/private" (wss:// with `tls`).
  [[nodiscard]] std::string url(bool tls) const;

 private:
  Server server_;
  ServerThreadConfig config_;
  std::future<void> done_;  // ready once run() returned (or the thread failed before it)
  std::thread thread_;
};

}  // namespace fillwire::sim
