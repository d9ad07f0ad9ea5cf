#pragma once
// WireReplayer (bench only): an exchange stand-in that costs almost nothing per event, so that
// e2e_bench's e2e_replay rows measure the client rather than the simulator. upbit-sim spends ~2 us
// of CPU per event generating, encoding and framing it; the replayer does all of that before the
// run: it draws `events` myOrder events from upbit-sim's own generator (the same seed gives the
// same flow as the simulator), encodes each as upbit-sim sends it (DEFAULT names) and frames it,
// into one buffer. Then it serves one connection on loopback: the WebSocket upgrade (Beast; over
// TLS for wss://, with a self-signed certificate), the client's subscribe message, and the frames
// straight from memory in writes of up to `write_bytes`: as fast as the socket takes them (rate
// 0) or paced per 1 ms tick. It answers nothing else (no REST: run the client without resync;
// no pong: the runs are shorter than the ping interval).
//
// Send stamps, as upbit-sim's (tools/upbit-sim/send_stamps.hpp): event k's entry holds its uuid
// and now_ticks() read right before the write that carries its last byte.
//
// Thread contract: construct and destroy on one thread; the replayer runs its own thread, pinned
// to `cpu` when given. url(), ca_file() and cpu_clock() are set when the constructor returns.

#include <pthread.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <latch>
#include <string>
#include <thread>
#include <vector>

#include "bench_support.hpp"
#include "fillwire/clock.hpp"
#include "fillwire/detail/thread_util.hpp"
#include "fillwire/encoder.hpp"
#include "generator.hpp"
#include "send_stamps.hpp"
#include "tls_cert.hpp"
#include "ws_frame.hpp"

namespace fillwire::bench {

struct WireReplayerConfig {
  std::uint64_t events = 0;
  std::uint64_t seed = 1;
  bool tls = false;
  double rate = 0;  // events/s, paced per 1 ms tick; 0: as fast as the socket takes them
  std::size_t write_bytes = std::size_t{256} << 10;
  int cpu = -1;
  sim::SendStamps* stamps = nullptr;  // optional; at least `events` entries
};

class WireReplayer {
 public:
  explicit WireReplayer(WireReplayerConfig config) : config_(config) {
    build_frames();
    if (config_.tls) {
      const sim::PemPair pem = sim::make_self_signed_certificate();
      ca_file_ = (std::filesystem::temp_directory_path() /
                  ("fillwire-replayer-" + std::to_string(::getpid()) + ".pem"))
                     .string();
      std::ofstream(ca_file_) << pem.certificate;
      tls_.use_certificate_chain(boost::asio::buffer(pem.certificate));
      tls_.use_private_key(boost::asio::buffer(pem.private_key), boost::asio::ssl::context::pem);
    }
    acceptor_.open(boost::asio::ip::tcp::v4());
    acceptor_.set_option(boost::asio::socket_base::reuse_address(true));
    acceptor_.bind({boost::asio::ip::address_v4::loopback(), 0});
    acceptor_.listen();
    port_ = acceptor_.local_endpoint().port();
    std::latch started(1);
    thread_ = std::thread([this, &started] {
      if (config_.cpu >= 0) pin_or_warn(config_.cpu, "replayer");
      (void)set_thread_name("wire-replayer");
      pthread_getcpuclockid(pthread_self(), &clock_);
      started.count_down();
      run();
    });
    started.wait();
  }

  ~WireReplayer() {
    stop();
    if (!ca_file_.empty()) std::filesystem::remove(ca_file_);
  }

  // Ends the connection and the thread; idempotent.
  void stop() {
    if (!thread_.joinable()) return;
    stop_.store(true, std::memory_order_relaxed);      // relaxed: polled; the join synchronises
    ::shutdown(acceptor_.native_handle(), SHUT_RDWR);  // wakes a blocked accept()
    thread_.join();
  }
  WireReplayer(const WireReplayer&) = delete;
  WireReplayer& operator=(const WireReplayer&) = delete;

  [[nodiscard]] std::string url() const {
    return std::string(config_.tls ? "wss" : "ws") + "://127.0.0.1:" + std::to_string(port_) +
           "/websocket/v1/private";
  }
  [[nodiscard]] const std::string& ca_file() const noexcept { return ca_file_; }
  [[nodiscard]] clockid_t cpu_clock() const noexcept { return clock_; }
  [[nodiscard]] std::size_t wire_bytes() const noexcept { return wire_.size(); }
  // After stop(): what went wrong while serving, if anything.
  [[nodiscard]] const std::string& error() const noexcept { return error_; }

 private:
  void build_frames() {
    sim::GeneratorConfig gc;
    gc.seed = config_.seed;
    // Event times from now, as the simulator's clock: the client's clock-skew check passes.
    gc.epoch_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::system_clock::now().time_since_epoch())
                      .count();
    sim::Generator generator(gc);
    ends_.reserve(config_.events);
    uuids_.reserve(config_.events);
    for (std::uint64_t i = 0; i < config_.events; ++i) {
      const sim::Emission& e = generator.next();
      const std::string json = encode(e.event, WireFormat::full);
      sim::append_frame(wire_, sim::WsOpcode::text, json);
      ends_.push_back(wire_.size());
      uuids_.push_back(e.event.uuid);
    }
  }

  template <class Stream>
  void serve(Stream& ws) {
    ws.accept();
    boost::beast::flat_buffer subscribe;
    ws.read(subscribe);  // the subscription message; its content does not matter here
    auto& raw = ws.next_layer();
    const auto start = std::chrono::steady_clock::now();
    std::size_t at = 0;      // bytes written
    std::uint64_t done = 0;  // events whose last byte is written
    while (at < wire_.size() && !stop_.load(std::memory_order_relaxed)) {
      std::size_t until = wire_.size();
      if (config_.rate > 0) {
        std::this_thread::sleep_until(start + std::chrono::milliseconds(1) * (1 + ticks_));
        ++ticks_;
        const double elapsed =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        const auto due = std::min<std::uint64_t>(
            config_.events, static_cast<std::uint64_t>(elapsed * config_.rate));
        if (due <= done) continue;
        until = ends_[due - 1];
      }
      while (at < until) {
        const std::size_t end = std::min(until, at + config_.write_bytes);
        if (config_.stamps != nullptr) {
          std::uint64_t n = done;
          while (n < ends_.size() && ends_[n] <= end) {
            config_.stamps->generated(n + 1, uuids_[n]);
            ++n;
          }
          config_.stamps->stamp_pending(now_ticks());
        }
        boost::asio::write(raw, boost::asio::buffer(wire_.data() + at, end - at));
        at = end;
        while (done < ends_.size() && ends_[done] <= at)
          ++done;
      }
    }
    // Kept open until the run ends: a closed connection would make the client reconnect.
    while (!stop_.load(std::memory_order_relaxed))
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }

  void run() noexcept {
    namespace websocket = boost::beast::websocket;
    using tcp = boost::asio::ip::tcp;
    try {
      tcp::socket socket(io_);
      acceptor_.accept(socket);
      socket.set_option(tcp::no_delay(true));
      if (config_.tls) {
        websocket::stream<boost::beast::ssl_stream<tcp::socket>> ws(std::move(socket), tls_);
        ws.next_layer().handshake(boost::asio::ssl::stream_base::server);
        serve(ws);
      } else {
        websocket::stream<tcp::socket> ws(std::move(socket));
        serve(ws);
      }
    } catch (const std::exception& e) {
      if (!stop_.load(std::memory_order_relaxed)) error_ = e.what();
    }
  }

  WireReplayerConfig config_;
  std::string wire_;               // every frame, back to back
  std::vector<std::size_t> ends_;  // end offset of event k's frame
  std::vector<Uuid> uuids_;        // event k's uuid
  boost::asio::io_context io_;
  boost::asio::ip::tcp::acceptor acceptor_{io_};
  boost::asio::ssl::context tls_{boost::asio::ssl::context::tls_server};
  std::string ca_file_;
  unsigned short port_ = 0;
  clockid_t clock_{};
  std::uint64_t ticks_ = 0;
  std::atomic<bool> stop_{false};
  std::string error_;
  std::thread thread_;
};

}  // namespace fillwire::bench
