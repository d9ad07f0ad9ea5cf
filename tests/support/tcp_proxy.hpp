#pragma once
// Test helper: a misbehaving TCP proxy on loopback for one client connection at a time. It
// forwards both directions until told to swallow what the server sends (the client's requests
// still reach the server: its answers, acks included, are lost) or to cut the connection. A
// broken network between a client and a real server, where a real server is needed.

#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <thread>

namespace fillwire::test {

class TcpProxy {
 public:
  explicit TcpProxy(int target_port) : target_(target_port) {
    listen_ = ::socket(AF_INET, SOCK_STREAM, 0);
    const int one = 1;
    ::setsockopt(listen_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in a = loopback(0);
    socklen_t len = sizeof a;
    if (::bind(listen_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
        ::listen(listen_, 8) != 0 ||
        ::getsockname(listen_, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
      ::close(listen_);
      throw std::runtime_error("proxy: cannot listen");
    }
    port_ = ntohs(a.sin_port);
    thread_ = std::thread([this] { run(); });
  }
  ~TcpProxy() {
    stop_.store(true);
    thread_.join();
    ::close(listen_);
  }
  TcpProxy(const TcpProxy&) = delete;
  TcpProxy& operator=(const TcpProxy&) = delete;

  [[nodiscard]] std::string url() const { return "nats://127.0.0.1:" + std::to_string(port_); }
  // While on, bytes from the server are read and dropped.
  void swallow(bool on) { swallow_.store(on); }
  // Closes the current connection (both sides); the next one is accepted as usual.
  void cut() { cut_.store(true); }
  [[nodiscard]] std::uint64_t swallowed() const { return swallowed_.load(); }

 private:
  static sockaddr_in loopback(int port) {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(static_cast<std::uint16_t>(port));
    return a;
  }

  void run() {
    while (!stop_.load()) {
      pollfd p{listen_, POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0) continue;
      const int client = ::accept(listen_, nullptr, nullptr);
      if (client < 0) continue;
      const int server = ::socket(AF_INET, SOCK_STREAM, 0);
      const sockaddr_in a = loopback(target_);
      if (::connect(server, reinterpret_cast<const sockaddr*>(&a), sizeof a) == 0) {
        cut_.store(false);
        pump(client, server);
      }
      ::close(server);
      ::close(client);
    }
  }

  // Both directions until either side closes, cut() or the destructor.
  void pump(int client, int server) {
    char buf[16384];
    while (!stop_.load() && !cut_.load()) {
      pollfd p[2] = {{client, POLLIN, 0}, {server, POLLIN, 0}};
      if (::poll(p, 2, 20) < 0) return;
      if ((p[0].revents & (POLLIN | POLLHUP | POLLERR)) != 0) {
        const ssize_t n = ::recv(client, buf, sizeof buf, 0);
        if (n <= 0 || ::send(server, buf, static_cast<std::size_t>(n), MSG_NOSIGNAL) != n) return;
      }
      if ((p[1].revents & (POLLIN | POLLHUP | POLLERR)) != 0) {
        const ssize_t n = ::recv(server, buf, sizeof buf, 0);
        if (n <= 0) return;
        if (swallow_.load()) {
          swallowed_.fetch_add(static_cast<std::uint64_t>(n));
        } else if (::send(client, buf, static_cast<std::size_t>(n), MSG_NOSIGNAL) != n) {
          return;
        }
      }
    }
  }

  int target_;
  int listen_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<bool> swallow_{false};
  std::atomic<bool> cut_{false};
  std::atomic<std::uint64_t> swallowed_{0};
  std::thread thread_;
};

}  // namespace fillwire::test
