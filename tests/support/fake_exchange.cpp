#include "fake_exchange.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <climits>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <stdexcept>
#include <thread>

#include <boost/beast/core/string.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/websocket/rfc6455.hpp>

#include "crypto.hpp"
#include "ws_frame.hpp"

namespace fillwire::test {
namespace http = boost::beast::http;

namespace {
constexpr std::size_t kMaxClientPayload = 1 << 20;  // one client frame or joined message
constexpr std::size_t kMaxQueued = 1024;            // unread client messages kept
constexpr std::size_t kMaxRecords = 100'000;        // per record list
}  // namespace

std::string HttpRequest::header(std::string_view name) const {
  for (const auto& [k, v] : headers)
    if (boost::beast::iequals(k, name)) return v;
  return {};
}

namespace detail {

// One accepted socket (non-blocking). Its own thread does all I/O; the destructor may only shut it
// down. Every wait also wakes on the server's stop descriptor.
class Conn {
 public:
  enum class Io { ok, timeout, closed, stopped };
  Conn(int fd, int stop_fd, const std::atomic<bool>& stopping)
      : fd_(fd), stop_fd_(stop_fd), stopping_(stopping) {}
  ~Conn() { close(); }

  [[nodiscard]] bool stopping() const { return stopping_.load(std::memory_order_relaxed); }

  // Appends what arrives (waiting up to `until`) to rx.
  Io read_some(Clock::time_point until) {
    if (const Io w = wait(POLLIN, until); w != Io::ok) return w;
    char buf[65536];
    const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    if (n > 0) {
      rx.append(buf, static_cast<std::size_t>(n));
      return Io::ok;
    }
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) return Io::ok;
    return Io::closed;  // EOF or reset
  }

  Io write_all(std::string_view bytes, Clock::time_point until) {
    while (!bytes.empty()) {
      if (const Io w = wait(POLLOUT, until); w != Io::ok) return w;
      const ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n > 0) bytes.remove_prefix(static_cast<std::size_t>(n));
      if (n < 0 && errno != EAGAIN && errno != EINTR) return Io::closed;
    }
    return Io::ok;
  }

  void shutdown(int how) {
    std::lock_guard lock(m_);
    if (fd_ >= 0) ::shutdown(fd_, how);
  }
  void reset() {  // RST instead of FIN
    const linger l{1, 0};
    if (fd_ >= 0) ::setsockopt(fd_, SOL_SOCKET, SO_LINGER, &l, sizeof l);
    close();
  }
  void close() {
    std::lock_guard lock(m_);
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

  std::string rx;  // received, not yet consumed
  std::atomic<bool> done{false};

 private:
  Io wait(short events, Clock::time_point until) {
    for (;;) {
      if (fd_ < 0) return Io::closed;
      if (stopping()) return Io::stopped;
      const auto left = std::chrono::ceil<Ms>(until - Clock::now()).count();
      pollfd fds[2] = {{fd_, events, 0}, {stop_fd_, POLLIN, 0}};
      const int r = ::poll(fds, 2, static_cast<int>(std::clamp<long long>(left, 0, INT_MAX)));
      if (r < 0 && errno == EINTR) continue;
      if (r < 0 || fds[1].revents != 0) return Io::stopped;
      if (fds[0].revents != 0) return Io::ok;  // ready, or an error the next call reports
      if (left <= 0) return Io::timeout;
    }
  }

  std::mutex m_;  // fd_ against close() racing the server's shutdown()
  int fd_;
  int stop_fd_;
  const std::atomic<bool>& stopping_;
};

struct Server {
  FakeExchange::Options opt;
  int listen_fd = -1;
  int stop_fd = -1;
  std::uint16_t port = 0;
  std::atomic<bool> stopping{false};
  std::thread acceptor;

  mutable std::mutex m;  // everything below
  mutable std::condition_variable cv;
  std::function<std::optional<HttpAnswer>(const HttpRequest&)> upgrade_fn;
  std::function<void(FakeWs&, const HttpRequest&)> ws_fn;
  std::function<HttpAnswer(const HttpRequest&)> rest_fn;
  std::vector<Clock::time_point> connections;
  std::vector<HttpRequest> upgrades, rest;
  std::size_t refused = 0;
  struct Worker {
    std::shared_ptr<Conn> conn;
    std::thread thread;
  };
  std::vector<Worker> workers;

  template <class T>
  void record(std::vector<T>& list, T item) {
    {
      std::lock_guard lock(m);
      if (list.size() < kMaxRecords) list.push_back(std::move(item));
    }
    cv.notify_all();
  }

  void accept_loop() {
    while (!stopping) {
      pollfd fds[2] = {{listen_fd, POLLIN, 0}, {stop_fd, POLLIN, 0}};
      if (::poll(fds, 2, 1000) <= 0 || fds[1].revents != 0) continue;
      const int fd = ::accept4(listen_fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd < 0) continue;
      record(connections, Clock::now());
      std::lock_guard lock(m);
      std::erase_if(workers, [](Worker& w) {
        if (!w.conn->done) return false;
        w.thread.join();  // it has finished: only its return is left
        return true;
      });
      if (workers.size() >= FakeExchange::kMaxConnections) {
        ++refused;
        ::close(fd);
        continue;
      }
      auto conn = std::make_shared<Conn>(fd, stop_fd, stopping);
      workers.push_back({conn, std::thread([this, conn] { serve(*conn); })});
    }
  }

  // The next request: `idle` for its first byte, io_timeout for the rest. nullopt on a bad request,
  // close, timeout or stop.
  std::optional<HttpRequest> read_request(Conn& c, bool& keep_alive, bool& upgrade) {
    http::request_parser<http::string_body> p;
    p.header_limit(64 * 1024);
    p.body_limit(kMaxClientPayload);
    p.eager(true);
    auto until = Clock::now() + (c.rx.empty() ? opt.idle_timeout : opt.io_timeout);
    bool started = !c.rx.empty();
    for (;;) {
      if (!c.rx.empty()) {
        boost::beast::error_code ec;
        const std::size_t n = p.put(boost::asio::buffer(c.rx.data(), c.rx.size()), ec);
        c.rx.erase(0, n);
        if (p.is_done()) break;
        if (ec && ec != http::error::need_more) return std::nullopt;
        if (!ec && n > 0) continue;
      }
      if (c.read_some(until) != Conn::Io::ok) return std::nullopt;
      if (!started) until = Clock::now() + opt.io_timeout;
      started = true;
    }
    const auto& req = p.get();
    HttpRequest r;
    r.at = Clock::now();
    r.method = std::string(req.method_string());
    r.target = std::string(req.target());
    const auto q = r.target.find('?');
    r.path = r.target.substr(0, q);
    r.query = q == std::string::npos ? "" : r.target.substr(q + 1);
    for (const auto& f : req)
      r.headers.emplace_back(std::string(f.name_string()), std::string(f.value()));
    keep_alive = req.keep_alive();
    upgrade = boost::beast::websocket::is_upgrade(req);
    return r;
  }

  static std::string head(unsigned status, const HttpAnswer& a) {
    const std::string reason =
        status == 101   ? "Switching Protocols"
        : status == 418 ? "I'm a teapot"
                        : std::string(http::obsolete_reason(http::int_to_status(status)));
    std::string out = "HTTP/1.1 " + std::to_string(status) + " " + reason + "\r\n";
    bool has_length = false;
    for (const auto& [k, v] : a.headers) {
      out += k + ": " + v + "\r\n";
      has_length = has_length || boost::beast::iequals(k, "Content-Length");
    }
    if (status != 101 && !has_length)
      out += "Content-Length: " + std::to_string(a.body.size()) + "\r\n";
    if (a.close) out += "Connection: close\r\n";
    return out + "\r\n";
  }

  bool answer(Conn& c, const HttpAnswer& a) {
    if (a.delay.count() > 0 && !sleep(a.delay)) return false;
    const auto until = Clock::now() + opt.io_timeout;
    return c.write_all(head(a.status, a), until) == Conn::Io::ok &&
           c.write_all(a.body, until) == Conn::Io::ok;
  }

  bool sleep(Ms d) const {
    std::unique_lock lock(m);
    return !cv.wait_for(lock, d, [this] { return stopping.load(); });
  }

  void serve(Conn& c) {
    try {
      for (bool keep_alive = true, upgrade = false; keep_alive;) {
        auto req = read_request(c, keep_alive, upgrade);
        if (!req) break;
        if (upgrade) {
          websocket(c, *req);
          break;
        }
        record(rest, *req);
        decltype(rest_fn) fn;
        {
          std::lock_guard lock(m);
          fn = rest_fn;
        }
        HttpAnswer a = fn ? fn(*req) : HttpAnswer(404, R"({"error":{"name":"not_found"}})");
        if (!answer(c, a) || a.close) break;
      }
    } catch (const std::exception& e) {
      std::fprintf(stderr, "fake_exchange: a callback threw: %s\n", e.what());
    }
    c.close();
    c.done = true;
  }

  void websocket(Conn& c, const HttpRequest& req) {
    record(upgrades, req);
    decltype(upgrade_fn) decide;
    decltype(ws_fn) session;
    {
      std::lock_guard lock(m);
      decide = upgrade_fn;
      session = ws_fn;
    }
    HttpAnswer a(101);
    if (auto refused_with = decide ? decide(req) : std::nullopt) a = std::move(*refused_with);
    const std::string key = req.header("Sec-WebSocket-Key");
    if (a.status == 101 && key.empty()) a = HttpAnswer(400, "no Sec-WebSocket-Key");
    if (a.status != 101) {
      a.close = true;
      answer(c, a);
      return;
    }
    a.headers.insert(a.headers.begin(), {{"Upgrade", "websocket"},
                                         {"Connection", "Upgrade"},
                                         {"Sec-WebSocket-Accept", sim::websocket_accept_key(key)}});
    a.body.clear();
    if (!answer(c, a)) return;
    FakeWs ws(c);
    if (session) {
      session(ws, req);
    } else {
      ws.wait_closed(opt.idle_timeout);
    }
    // Orderly end unless the session reset the socket: close frame, then a short drain.
    if (!ws.close_sent_ && !ws.peer_closed_) ws.close();
    c.shutdown(SHUT_WR);
    const auto until = Clock::now() + Ms(500);
    while (c.read_some(until) == Conn::Io::ok)
      c.rx.clear();
  }
};

}  // namespace detail

using detail::Conn;

// ---- FakeWs ----------------------------------------------------------------------------------

std::string FakeWs::frame_bytes(std::string_view payload, bool binary, std::uint64_t declared_len) {
  std::string out;
  const auto op = binary ? sim::WsOpcode::binary : sim::WsOpcode::text;
  sim::append_frame_header(out, op, declared_len == npos ? payload.size() : declared_len);
  out.append(payload);
  return out;
}

bool FakeWs::send(std::string_view payload, bool binary) {
  if (!pump(Clock::now(), true)) return false;
  return send_raw(frame_bytes(payload, binary));
}

bool FakeWs::send_raw(std::string_view bytes) {
  if (peer_closed_) return false;
  const auto io = conn_.write_all(bytes, Clock::now() + Ms(10000));
  if (io == Conn::Io::closed) peer_closed_ = true;
  return io == Conn::Io::ok;
}

bool FakeWs::trickle(std::string_view bytes, Ms per_byte) {
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    if (!send_raw(bytes.substr(i, 1))) return false;
    if (i + 1 == bytes.size()) break;
    const auto until = Clock::now() + per_byte;
    while (Clock::now() < until)
      if (!pump(until, false)) return false;
  }
  return flush_pongs();
}

std::optional<std::string> FakeWs::read_message(Ms timeout) {
  const auto until = Clock::now() + timeout;
  while (messages_.empty() && !peer_closed_ && !conn_.stopping() && Clock::now() < until)
    pump(until, true);
  if (messages_.empty()) return std::nullopt;
  std::string m = std::move(messages_.front());
  messages_.pop_front();
  return m;
}

bool FakeWs::sleep(Ms d) {
  const auto until = Clock::now() + d;
  while (Clock::now() < until)
    if (!pump(until, true)) return false;
  return !peer_closed_ && !conn_.stopping();
}

bool FakeWs::wait_closed(Ms timeout) {
  const auto until = Clock::now() + timeout;
  while (!peer_closed_ && !conn_.stopping() && Clock::now() < until)
    pump(until, true);
  return peer_closed_;
}

void FakeWs::close() {
  if (!close_sent_) (void)send_raw(std::string("\x88\x02\x03\xE8", 4));  // close, 1000
  close_sent_ = true;
  conn_.shutdown(SHUT_WR);
}

void FakeWs::abort() {
  conn_.reset();
  peer_closed_ = true;
}

bool FakeWs::pump(Clock::time_point until, bool may_write) {
  if (peer_closed_ || (may_write && !flush_pongs())) return false;
  if (!handle_frames(may_write)) return false;
  switch (conn_.read_some(until)) {
    case Conn::Io::ok:
      return handle_frames(may_write);
    case Conn::Io::timeout:
      return true;
    case Conn::Io::closed:
      peer_closed_ = true;
      return false;
    default:
      return false;
  }
}

bool FakeWs::handle_frames(bool may_write) {
  for (;;) {
    sim::WsFrame f;
    std::size_t used = 0;
    const auto r =
        sim::parse_client_frame(conn_.rx.data(), conn_.rx.size(), kMaxClientPayload, f, used);
    if (r == sim::WsParse::need_more) return true;
    if (r != sim::WsParse::frame) {  // a broken client: treat as gone
      std::fprintf(stderr, "fake_exchange: bad client frame, connection dropped\n");
      abort();
      return false;
    }
    conn_.rx.erase(0, used);
    switch (f.opcode) {
      case sim::WsOpcode::ping:
        ++pings_;
        if (answer_pings_) pending_pongs_.push_back(std::move(f.payload));
        if (may_write && !flush_pongs()) return false;
        break;
      case sim::WsOpcode::pong:
        ++pongs_;
        last_pong_ = std::move(f.payload);
        break;
      case sim::WsOpcode::close:
        if (may_write) close();
        peer_closed_ = true;
        return false;
      default:
        if (partial_.size() + f.payload.size() > kMaxClientPayload) {
          abort();
          return false;
        }
        partial_ += f.payload;
        if (f.fin) {
          if (messages_.size() == kMaxQueued) messages_.pop_front();
          messages_.push_back(std::move(partial_));
          partial_.clear();
        }
    }
  }
}

bool FakeWs::flush_pongs() {
  for (const auto& p : pending_pongs_) {
    std::string frame;
    sim::append_frame(frame, sim::WsOpcode::pong, p);
    if (!send_raw(frame)) return false;
  }
  pending_pongs_.clear();
  return true;
}

// ---- FakeExchange ----------------------------------------------------------------------------

FakeExchange::FakeExchange() : FakeExchange(Options{}) {}

FakeExchange::FakeExchange(Options options) : s_(std::make_unique<detail::Server>()) {
  s_->opt = std::move(options);
  sockaddr_storage addr{};
  socklen_t len = 0;
  auto* v4 = reinterpret_cast<sockaddr_in*>(&addr);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&addr);
  if (::inet_pton(AF_INET, s_->opt.address.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    len = sizeof *v4;
  } else if (::inet_pton(AF_INET6, s_->opt.address.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    len = sizeof *v6;
  } else {
    throw std::invalid_argument("fake_exchange: not an IP address: " + s_->opt.address);
  }
  const auto fail = [this](const char* what) {
    const std::string why = std::strerror(errno);
    if (s_->listen_fd >= 0) ::close(s_->listen_fd);
    throw std::runtime_error(std::string("fake_exchange: ") + what + ": " + why);
  };
  s_->listen_fd = ::socket(addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (s_->listen_fd < 0) fail("socket");
  const int one = 1;
  ::setsockopt(s_->listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (::bind(s_->listen_fd, reinterpret_cast<sockaddr*>(&addr), len) != 0) fail("bind");
  if (::listen(s_->listen_fd, 128) != 0) fail("listen");
  if (::getsockname(s_->listen_fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0)
    fail("getsockname");
  s_->port = ntohs(addr.ss_family == AF_INET ? v4->sin_port : v6->sin6_port);
  s_->stop_fd = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (s_->stop_fd < 0) fail("eventfd");
  s_->acceptor = std::thread([s = s_.get()] { s->accept_loop(); });
}

FakeExchange::~FakeExchange() {
  {
    std::lock_guard lock(s_->m);
    s_->stopping = true;
  }
  s_->cv.notify_all();
  const std::uint64_t one = 1;
  (void)!::write(s_->stop_fd, &one, sizeof one);  // wakes every poll for good
  s_->acceptor.join();
  std::vector<detail::Server::Worker> workers;
  {
    std::lock_guard lock(s_->m);
    workers.swap(s_->workers);
  }
  for (auto& w : workers) {
    w.conn->shutdown(SHUT_RDWR);
    w.thread.join();
  }
  ::close(s_->listen_fd);
  ::close(s_->stop_fd);
}

std::uint16_t FakeExchange::port() const {
  return s_->port;
}

std::string FakeExchange::ws_url(std::string_view path) const {
  const bool v6 = s_->opt.address.find(':') != std::string::npos;
  const std::string host = v6 ? "[" + s_->opt.address + "]" : s_->opt.address;
  return "ws://" + host + ":" + std::to_string(s_->port) + std::string(path);
}

std::string FakeExchange::rest_url() const {
  std::string url = ws_url("/v1");
  return "http" + url.substr(2);
}

void FakeExchange::on_upgrade(std::function<std::optional<HttpAnswer>(const HttpRequest&)> f) {
  std::lock_guard lock(s_->m);
  s_->upgrade_fn = std::move(f);
}
void FakeExchange::on_ws(std::function<void(FakeWs&, const HttpRequest&)> f) {
  std::lock_guard lock(s_->m);
  s_->ws_fn = std::move(f);
}
void FakeExchange::on_rest(std::function<HttpAnswer(const HttpRequest&)> f) {
  std::lock_guard lock(s_->m);
  s_->rest_fn = std::move(f);
}

std::vector<Clock::time_point> FakeExchange::connections() const {
  std::lock_guard lock(s_->m);
  return s_->connections;
}
std::vector<HttpRequest> FakeExchange::upgrades() const {
  std::lock_guard lock(s_->m);
  return s_->upgrades;
}
std::vector<HttpRequest> FakeExchange::rest_requests() const {
  std::lock_guard lock(s_->m);
  return s_->rest;
}
std::size_t FakeExchange::refused_connections() const {
  std::lock_guard lock(s_->m);
  return s_->refused;
}

bool FakeExchange::wait_rest_requests(std::size_t n, Ms timeout) const {
  std::unique_lock lock(s_->m);
  return s_->cv.wait_for(lock, timeout, [&] { return s_->stopping || s_->rest.size() >= n; }) &&
         s_->rest.size() >= n;
}
bool FakeExchange::wait_upgrades(std::size_t n, Ms timeout) const {
  std::unique_lock lock(s_->m);
  return s_->cv.wait_for(lock, timeout, [&] { return s_->stopping || s_->upgrades.size() >= n; }) &&
         s_->upgrades.size() >= n;
}
bool FakeExchange::sleep(Ms d) const {
  return s_->sleep(d);
}

}  // namespace fillwire::test
