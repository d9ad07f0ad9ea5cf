#pragma once
// Test helper: real nats-server processes with JetStream on loopback, one or three nodes, each
// with its own store under a directory the test owns (never shared between tests: Debian's
// nats-server 2.9.10 can fail to restart over a store where a stream was deleted and recreated).
// Nodes can be killed (SIGKILL), stopped and started again on the same ports and store. Every
// wait has a deadline; the destructor kills what is left.

#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace fillwire::test {

// A loopback TCP port nobody listens on now (the kernel's choice; closed before it is used).
inline int free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
    if (fd >= 0) ::close(fd);
    throw std::runtime_error("no free loopback port");
  }
  ::close(fd);
  return ntohs(a.sin_port);
}

// GET http://127.0.0.1:port/path with a 1 s receive timeout: the body, or empty.
inline std::string http_get_local(int port, const std::string& path) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return {};
  timeval tv{1, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(static_cast<std::uint16_t>(port));
  std::string out;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0) {
    const std::string req = "GET " + path + " HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
    if (::send(fd, req.data(), req.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(req.size())) {
      char buf[4096];
      for (int i = 0; i < 256; ++i) {  // at most 1 MiB
        const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
        if (n <= 0) break;
        out.append(buf, static_cast<std::size_t>(n));
      }
    }
  }
  ::close(fd);
  const auto body = out.find("\r\n\r\n");
  return body == std::string::npos ? std::string() : out.substr(body + 4);
}

class NatsCluster {
 public:
  // `nodes` servers (1, or 3 clustered) with JetStream, stores under `dir`, started and ready.
  // `extra`: more configuration for every node (e.g. an authorization block).
  NatsCluster(int nodes, std::filesystem::path dir, std::string extra = {})
      : dir_(std::move(dir)), extra_(std::move(extra)) {
    for (int i = 0; i < nodes; ++i)
      nodes_.push_back(Node{free_port(), free_port(), nodes > 1 ? free_port() : 0, -1});
    for (int i = 0; i < nodes; ++i) {
      write_config(i);
      start(i);
    }
    wait_ready();
  }
  ~NatsCluster() {
    for (std::size_t i = 0; i < nodes_.size(); ++i)
      kill(static_cast<int>(i));
  }
  NatsCluster(const NatsCluster&) = delete;
  NatsCluster& operator=(const NatsCluster&) = delete;

  [[nodiscard]] std::vector<std::string> urls() const {
    std::vector<std::string> u;
    for (const Node& n : nodes_)
      u.push_back(url(n));
    return u;
  }
  [[nodiscard]] std::string url(int i) const { return url(nodes_[static_cast<std::size_t>(i)]); }
  [[nodiscard]] int size() const noexcept { return static_cast<int>(nodes_.size()); }
  [[nodiscard]] int client_port(int i) const { return nodes_[static_cast<std::size_t>(i)].client; }

  // SIGKILL, reaped.
  void kill(int i) { signal_and_reap(i, SIGKILL); }
  // SIGTERM (a clean shutdown), reaped.
  void stop(int i) { signal_and_reap(i, SIGTERM); }

  void start(int i) {
    Node& n = nodes_[static_cast<std::size_t>(i)];
    if (n.pid > 0) return;
    const std::string config = (dir_ / ("n" + std::to_string(i + 1) + ".conf")).string();
    const std::string log = (dir_ / ("n" + std::to_string(i + 1) + ".log")).string();
    std::vector<std::string> args = {"nats-server", "-c", config, "-l", log};
    std::vector<char*> argv;
    for (std::string& a : args)
      argv.push_back(a.data());
    argv.push_back(nullptr);
    // The server logs to its file and gets none of this process's descriptors: a test runner
    // waits for the end of a test's output, which a server left running by a test that aborted
    // (a sanitizer's report ends the process without destructors) would otherwise hold open.
    const pid_t pid = ::fork();
    if (pid < 0) throw std::runtime_error("cannot fork for nats-server");
    if (pid == 0) {  // only async-signal-safe calls until exec
      const int null = ::open("/dev/null", O_RDWR);
      if (null >= 0) {
        ::dup2(null, 0);
        ::dup2(null, 1);
        ::dup2(null, 2);
      }
      for (int fd = 3; fd < 1024; ++fd)
        ::close(fd);
      ::execvp("nats-server", argv.data());
      ::_exit(127);
    }
    n.pid = pid;
    // A missing binary shows as a child that exited at once.
    int status = 0;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    if (::waitpid(pid, &status, WNOHANG) == pid) {
      n.pid = -1;
      throw std::runtime_error("cannot start nats-server (is it installed? tools/setup does)");
    }
  }

  // Every running node answers /healthz, and with several, one of them leads JetStream's meta
  // group. False at the deadline.
  bool wait_ready(std::chrono::seconds within = std::chrono::seconds(30)) {
    const auto until = std::chrono::steady_clock::now() + within;
    while (std::chrono::steady_clock::now() < until) {
      bool ready = true;
      for (const Node& n : nodes_) {
        if (n.pid > 0 && http_get_local(n.http, "/healthz").find("ok") == std::string::npos)
          ready = false;
      }
      if (ready && nodes_.size() > 1) ready = meta_leader_known();
      if (ready) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
  }

  // The stream's message count: the largest any running node's /jsz reports (a replica that was
  // restarted may still be catching up; none can hold more than the stream has). -1 when no node
  // can tell.
  [[nodiscard]] long long stream_messages(const std::string& stream) const {
    long long most = -1;
    for (const Node& n : nodes_) {
      if (n.pid <= 0) continue;
      const std::string body = http_get_local(n.http, "/jsz?streams=true");
      const auto at = body.find("\"name\": \"" + stream + "\"");
      if (at == std::string::npos) continue;
      const auto msgs = body.find("\"messages\": ", at);
      if (msgs == std::string::npos) continue;
      most = std::max(most, std::stoll(body.substr(msgs + 12)));
    }
    return most;
  }

 private:
  struct Node {
    int client;
    int http;
    int cluster;
    pid_t pid;
  };

  static std::string url(const Node& n) { return "nats://127.0.0.1:" + std::to_string(n.client); }

  bool meta_leader_known() const {
    for (const Node& n : nodes_) {
      if (n.pid <= 0) continue;
      const std::string body = http_get_local(n.http, "/jsz");
      const auto meta = body.find("\"meta_cluster\"");
      if (meta != std::string::npos && body.find("\"leader\": \"n", meta) != std::string::npos)
        return true;
    }
    return false;
  }

  void write_config(int i) {
    const Node& n = nodes_[static_cast<std::size_t>(i)];
    const std::string name = "n" + std::to_string(i + 1);
    std::filesystem::create_directories(dir_ / name);
    std::ofstream out(dir_ / (name + ".conf"));
    out << "server_name: " << name << "\n"
        << "listen: 127.0.0.1:" << n.client << "\n"
        << "http: 127.0.0.1:" << n.http << "\n"
        << "jetstream {\n  store_dir: \"" << (dir_ / name).string() << "\"\n"
        << "  max_file_store: 1GB\n  max_memory_store: 64MB\n}\n"
        << extra_ << "\n";
    if (nodes_.size() > 1) {
      out << "cluster {\n  name: fillwire-test\n  listen: 127.0.0.1:" << n.cluster
          << "\n  routes: [\n";
      for (const Node& m : nodes_)
        out << "    nats-route://127.0.0.1:" << m.cluster << "\n";
      out << "  ]\n}\n";
    }
  }

  void signal_and_reap(int i, int sig) {
    Node& n = nodes_[static_cast<std::size_t>(i)];
    if (n.pid <= 0) return;
    ::kill(n.pid, sig);
    // A clean shutdown takes a moment; SIGKILL after 10 s.
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    int status = 0;
    while (::waitpid(n.pid, &status, WNOHANG) == 0) {
      if (std::chrono::steady_clock::now() >= until) {
        ::kill(n.pid, SIGKILL);
        ::waitpid(n.pid, &status, 0);
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    n.pid = -1;
  }

  std::filesystem::path dir_;
  std::string extra_;
  std::vector<Node> nodes_;
};

}  // namespace fillwire::test
