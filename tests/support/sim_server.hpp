#pragma once
// upbit-sim in the test's own process, served on its own thread (port 0) for the life of the
// object: started in the constructor, stopped and joined in the destructor.

#include <cstdint>
#include <thread>
#include <utility>

#include "server.hpp"

namespace fillwire::test {

class SimServer {
 public:
  explicit SimServer(sim::ServerConfig config) : server_(std::move(config)) {
    server_.start();
    thread_ = std::thread([this] { server_.run(); });
  }
  ~SimServer() {
    server_.stop();
    thread_.join();
  }
  SimServer(const SimServer&) = delete;
  SimServer& operator=(const SimServer&) = delete;

  sim::Server& operator*() { return server_; }
  sim::Server* operator->() { return &server_; }
  [[nodiscard]] std::uint16_t port() const { return server_.port(); }

 private:
  sim::Server server_;
  std::thread thread_;
};

}  // namespace fillwire::test
