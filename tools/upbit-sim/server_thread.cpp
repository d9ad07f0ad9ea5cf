#include "server_thread.hpp"

#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <utility>

namespace fillwire::sim {

ServerThread::ServerThread(ServerConfig config, ServerThreadConfig thread)
    : server_(std::move(config)), config_(std::move(thread)) {
  server_.start();
  std::promise<void> started;
  std::future<void> serving = started.get_future();
  std::promise<void> done;
  done_ = done.get_future();
  thread_ = std::thread([this, started = std::move(started), done = std::move(done)]() mutable {
    if (config_.on_thread_start) config_.on_thread_start();
    started.set_value();
    server_.run();
    done.set_value();
  });
  if (serving.wait_for(config_.start_deadline) != std::future_status::ready) {
    stop();  // run() sees the stop as soon as it begins
    throw std::runtime_error("upbit-sim thread not serving within " +
                             std::to_string(config_.start_deadline.count()) + " ms");
  }
}

ServerThread::~ServerThread() {
  stop();
}

void ServerThread::stop() {
  if (!thread_.joinable()) return;
  server_.stop();
  if (done_.wait_for(config_.stop_deadline) != std::future_status::ready) {
    std::fprintf(stderr, "upbit-sim thread did not stop within %lld ms\n",
                 static_cast<long long>(config_.stop_deadline.count()));
    std::abort();
  }
  thread_.join();
}

bool ServerThread::wait_done(std::chrono::milliseconds timeout) {
  return !thread_.joinable() || done_.wait_for(timeout) == std::future_status::ready;
}

std::string ServerThread::url(bool tls) const {
  return std::string(tls ? "wss" : "ws") + "://127.0.0.1:" + std::to_string(server_.port()) +
         "/websocket/v1/private";
}

}  // namespace fillwire::sim
