#pragma once
// upbit-sim in this process, on its own thread: used by `fillwire demo` and `fillwire bench`.
// Thread contract: construct, use and destroy on one (controlling) thread; the server runs on the
// thread this object owns and is stopped and joined by the destructor.

#include <thread>
#include <utility>

#include "server.hpp"

namespace fillwire::cli {

class SimulatorThread {
 public:
  explicit SimulatorThread(sim::ServerConfig config) : server_(std::move(config)) {
    server_.start();
    thread_ = std::thread([this] { server_.run(); });
  }
  ~SimulatorThread() {
    server_.stop();
    thread_.join();
  }
  SimulatorThread(const SimulatorThread&) = delete;
  SimulatorThread& operator=(const SimulatorThread&) = delete;
  sim::Server& server() noexcept { return server_; }

 private:
  sim::Server server_;
  std::thread thread_;
};

}  // namespace fillwire::cli
