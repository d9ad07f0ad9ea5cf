// upbit-sim server: Beast HTTP parsing, TLS detection and handshake, the private WebSocket (framed
// here, see ws_frame.hpp), REST, fault injection and the event pump.
//
// One io_context, one thread: the Hub (simulation, REST, subscribers) and every Connection run on
// it, so nothing is locked. Events are encoded once per format and appended as ready-made frames to
// each subscriber's output buffer; one socket write carries everything queued since the last one.

#include "server.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/core/detect_ssl.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/stream_traits.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket/rfc6455.hpp>
#include <boost/beast/zlib/deflate_stream.hpp>

#include <unistd.h>
#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <deque>
#include <fstream>
#include <future>
#include <limits>
#include <optional>
#include <unordered_map>
#include <vector>

#include "asset.hpp"
#include "crypto.hpp"
#include "fillwire/clock.hpp"
#include "jwt.hpp"
#include "subscription.hpp"
#include "tls_cert.hpp"
#include "ws_frame.hpp"

namespace fillwire::sim {

namespace asio = boost::asio;    // <boost/asio/*.hpp>
namespace beast = boost::beast;  // <boost/beast/core/*.hpp>
namespace http = beast::http;    // <boost/beast/http.hpp>
namespace ssl = asio::ssl;       // <boost/asio/ssl.hpp>
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;
using error_code = boost::system::error_code;

namespace {

std::int64_t steady_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now().time_since_epoch())
      .count();
}
std::int64_t wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}
Clock::duration seconds(double s) {
  return std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(s));
}

// One step of the stream, encoded lazily (each format at most once, and only if a subscriber wants
// it): an order event and the myAsset frame that follows it (if it changed a balance), or an
// external movement's myAsset frame alone.
class EncodedEvent {
 public:
  EncodedEvent(const Emission* em, const AssetUpdate* assets) : em_(em), assets_(assets) {}
  [[nodiscard]] bool has_order() const noexcept { return em_ != nullptr; }
  [[nodiscard]] bool has_assets() const noexcept { return assets_ != nullptr; }
  std::string_view get(bool simple) {
    const auto i = simple ? 1u : 0u;
    if (size_[i] == 0) {
      size_[i] = encode(em_->event, simple ? WireFormat::simple : WireFormat::full, text_[i],
                        kMaxEncodedEvent);
    }
    return {text_[i], size_[i]};
  }
  std::string_view asset(bool simple) {
    std::string& a = asset_[simple ? 1 : 0];
    if (a.empty()) a = asset_event_json(*assets_, simple);
    return a;
  }
  [[nodiscard]] std::string_view market() const noexcept { return em_->event.code.view(); }

 private:
  const Emission* em_;
  const AssetUpdate* assets_;
  char text_[2][kMaxEncodedEvent];
  std::size_t size_[2] = {0, 0};
  std::string asset_[2];
};

// The two types of event frames; list frames (JSON_LIST, SIMPLE_LIST) carry one type each.
enum class FrameType : std::uint8_t { order, asset };

// What the hub sees of a WebSocket connection.
class Subscriber {
 public:
  virtual ~Subscriber() = default;
  virtual void deliver(EncodedEvent& event) = 0;
  virtual void flush() = 0;  // end of a batch: release held events, start the socket write
  [[nodiscard]] virtual std::size_t backlog() const noexcept = 0;
  virtual void shut(const char* why) = 0;
};

}  // namespace

// =================================================================================================
// Hub: the simulation, its clock, and the subscribers.

// The wall clock, when asked, replaces the simulated one: the steps stop advancing it.
SimulationConfig simulation_config(const ServerConfig& config) {
  SimulationConfig s = config.simulation;
  s.generator.real_time = config.wall_clock;
  return s;
}

class Hub {
 public:
  Hub(asio::io_context& ioc, const ServerConfig& config)
      : ioc_(ioc),
        config_(config),
        sim_(simulation_config(config)),
        verifier_(config.access_key, config.secret_key),
        rest_(verifier_, nonces_, sim_, config.rest),
        tick_(ioc),
        refuse_left_(config.faults.refuse_handshakes),
        rest_fault_rng_(config.simulation.generator.seed ^ 0x5E5770FAu) {}

  const ServerConfig& config() const noexcept { return config_; }
  ServerStats& stats() noexcept { return stats_; }
  Simulation& sim() noexcept { return sim_; }
  const JwtVerifier& verifier() const noexcept { return verifier_; }
  NonceRegistry& nonces() noexcept { return nonces_; }

  RestReply rest(std::string_view method, std::string_view target, std::string_view auth) {
    ++stats_.rest_requests;
    if (target.substr(0, target.find('?')) == "/v1/accounts") ++stats_.accounts_requests;
    const double p = config_.faults.rest_error_prob;
    if (p > 0 && target.substr(0, 4) == "/v1/" && rest_fault_rng_.chance(p)) {
      ++stats_.rest_errors;
      return rest_error(503, "server_error", "Service temporarily unavailable (fault).");
    }
    RestReply r = rest_.handle(method, target, auth, steady_ms(), sim_clock_ms());
    if (r.status == 429) ++stats_.rest_rate_limited;
    if (r.status == 418) ++stats_.rest_banned;
    return r;
  }

  std::uint64_t next_connection_number() noexcept { return ++connections_; }

  // Upbit's WebSocket connection rate (ws_connects_per_second) for one client address or one
  // access key: true when one more upgrade may go now, and then counted. Memory stays bounded:
  // past kMaxConnectKeys keys, those with no upgrade in the last second are dropped.
  bool connect_allowed(const std::string& who) {
    const unsigned limit = config_.ws_connects_per_second;
    if (limit == 0) return true;
    const std::int64_t now = steady_ms();
    if (connect_times_.size() >= kMaxConnectKeys) {
      std::erase_if(connect_times_, [now](const auto& kv) {
        return kv.second.empty() || kv.second.back() <= now - 1000;
      });
    }
    auto& times = connect_times_[who];
    while (!times.empty() && times.front() <= now - 1000)
      times.pop_front();
    if (times.size() >= limit) {
      ++stats_.connect_rate_refused;
      return false;
    }
    times.push_back(now);
    return true;
  }

  // GET /sim/truth: a snapshot taken now, on this thread (a copy of the orders), written out as
  // JSON on the worker thread; `done(status, body)` then runs on this thread. One at a time:
  // false, and nothing done, while another is being written.
  template <class Done>
  bool truth_async(bool with_orders, Done done) {
    if (truth_busy_) return false;
    truth_busy_ = true;
    auto snapshot = std::make_shared<TruthSnapshot>(sim_.truth_snapshot(with_orders));
    asio::post(truth_pool_, [this, snapshot, done = std::move(done)]() mutable {
      unsigned status = 200;
      std::string body;
      try {
        body = snapshot->to_json();
      } catch (const std::exception&) {
        status = 500;
        body = rest_error(500, "server_error", "The truth could not be written.").body;
      }
      snapshot.reset();
      asio::post(ioc_, [this, status, body = std::move(body), done = std::move(done)]() mutable {
        truth_busy_ = false;
        done(status, std::move(body));
      });
    });
    return true;
  }

  bool refuse_handshake() noexcept {
    if (refuse_left_ == 0) return false;
    --refuse_left_;
    ++stats_.refused_handshakes;
    return true;
  }

  void start_clock() {
    if (started_) return;
    started_ = true;
    start_time_ = Clock::now();
    if (config_.rate > 0) {
      schedule_tick();
    } else {
      schedule_pump();
    }
  }

  void add(const std::shared_ptr<Subscriber>& s) {
    if (std::find(subscribers_.begin(), subscribers_.end(), s) == subscribers_.end())
      subscribers_.push_back(s);
    start_clock();
    if (config_.rate <= 0) schedule_pump();
  }

  void remove(Subscriber* s) {
    std::erase_if(subscribers_, [s](const auto& p) { return p.get() == s; });
    if (config_.rate <= 0) schedule_pump();
  }

  // A subscriber's write completed: the as-fast-as-possible pump may go on.
  void on_drained() {
    if (waiting_drain_ && max_backlog() <= kLowWater) {
      waiting_drain_ = false;
      schedule_pump();
    }
    if (finished() && config_.exit_when_done && max_backlog() == 0) ioc_.stop();
  }

  void stop() {
    stopped_ = true;
    tick_.cancel();
    auto subs = subscribers_;
    for (auto& s : subs)
      s->shut("server stopping");
    subscribers_.clear();
  }

  [[nodiscard]] bool finished() const noexcept {
    return config_.total != 0 && sim_.events() >= config_.total;
  }

 private:
  static constexpr std::size_t kBatch = 256;
  static constexpr std::size_t kMaxConnectKeys = 4096;
  static constexpr std::size_t kLowWater = 256u << 10;
  static constexpr std::uint64_t kMaxPerTick = 4096;

  std::size_t high_water() const noexcept {
    return std::min<std::size_t>(1u << 20, config_.slow_consumer_bytes / 2);
  }

  std::size_t max_backlog() const noexcept {
    std::size_t m = 0;
    for (const auto& s : subscribers_)
      m = std::max(m, s->backlog());
    return m;
  }

  std::int64_t sim_clock_ms() noexcept {
    if (config_.wall_clock) sim_.generator().sync_clock(wall_ms());
    return sim_.generator().now_ms();
  }

  void generate(std::uint64_t n) {
    if (config_.wall_clock) sim_.generator().sync_clock(wall_ms());
    for (std::uint64_t i = 0; i < n && !finished(); ++i) {
      const Emission& em = sim_.next();
      ++stats_.events_generated;
      if (config_.send_stamps != nullptr)
        config_.send_stamps->generated(sim_.events(), em.event.uuid);
      EncodedEvent enc(&em, sim_.order_assets());
      deliver(enc);
      if (sim_.external_move() != nullptr) {
        ++stats_.external_moves;
        EncodedEvent move(nullptr, &sim_.move_assets());
        deliver(move);
      }
    }
    auto subs = subscribers_;
    for (auto& s : subs)
      s->flush();
    if (finished() && config_.exit_when_done && max_backlog() == 0) ioc_.stop();
  }

  void deliver(EncodedEvent& enc) {
    // deliver() may shut a subscriber (fault, slow consumer), which removes it from the list.
    for (std::size_t k = 0; k < subscribers_.size(); ++k) {
      auto keep = subscribers_[k];
      keep->deliver(enc);
      if (k < subscribers_.size() && subscribers_[k] != keep) --k;
    }
  }

  void schedule_pump() {
    if (pump_scheduled_ || !started_) return;
    pump_scheduled_ = true;
    asio::post(ioc_, [this] { pump(); });
  }

  // As fast as possible: batches while every subscriber keeps up.
  void pump() {
    pump_scheduled_ = false;
    // Started by a subscription, the flow waits for subscribers; started at once (--start-now),
    // it runs regardless.
    if (finished() || stopped_ || (subscribers_.empty() && config_.start_on_subscribe)) return;
    if (max_backlog() > high_water()) {
      waiting_drain_ = true;
      return;
    }
    generate(kBatch);
    schedule_pump();
  }

  void schedule_tick() {
    const double period =
        config_.burst > 0 ? static_cast<double>(config_.burst) / config_.rate : 0.001;
    tick_.expires_at(start_time_ + seconds(period * static_cast<double>(++ticks_)));
    tick_.async_wait([this](error_code ec) {
      if (ec) return;
      on_tick();
    });
  }

  // Paced: the number of events due by now, at `rate`, in bursts when asked. A server that fell
  // behind catches up in slices, so sockets, REST and stop() are served meanwhile.
  void on_tick() {
    const double elapsed = std::chrono::duration<double>(Clock::now() - start_time_).count();
    auto due = static_cast<std::uint64_t>(elapsed * config_.rate);
    if (config_.burst > 0) due = due / config_.burst * config_.burst;
    if (due > generated_paced_) {
      const std::uint64_t n = std::min<std::uint64_t>(due - generated_paced_, kMaxPerTick);
      generate(n);
      generated_paced_ += n;
    }
    if (finished() || stopped_) return;
    if (generated_paced_ < due) {
      asio::post(ioc_, [this] {
        if (!stopped_) on_tick();
      });
      return;
    }
    schedule_tick();
  }

  asio::io_context& ioc_;
  const ServerConfig& config_;
  Simulation sim_;
  JwtVerifier verifier_;
  NonceRegistry nonces_;
  RestApi rest_;
  asio::steady_timer tick_;
  std::vector<std::shared_ptr<Subscriber>> subscribers_;
  ServerStats stats_;
  std::uint32_t refuse_left_;
  Rng rest_fault_rng_;  // REST fault draws, apart from the connections' draws
  std::uint64_t connections_ = 0;
  std::unordered_map<std::string, std::deque<std::int64_t>> connect_times_;
  bool truth_busy_ = false;
  asio::thread_pool truth_pool_{1};  // last: joined first, while the rest is still there
  bool started_ = false;
  bool pump_scheduled_ = false;
  bool waiting_drain_ = false;
  bool stopped_ = false;
  Clock::time_point start_time_{};
  std::uint64_t ticks_ = 0;
  std::uint64_t generated_paced_ = 0;
};

// =================================================================================================
// Connection: HTTP (REST or upgrade), then the WebSocket session. Stream is tcp::socket or
// ssl::stream<tcp::socket>.

template <class Stream>
class Connection : public Subscriber, public std::enable_shared_from_this<Connection<Stream>> {
 public:
  Connection(Stream stream, beast::flat_buffer buffer, Hub& hub)
      : stream_(std::move(stream)),
        buf_(std::move(buffer)),
        hub_(hub),
        cfg_(hub.config()),
        number_(hub.next_connection_number()),
        rng_(cfg_.simulation.generator.seed * 0x9E3779B97F4A7C15ull + number_),
        timer_(stream_.get_executor()),
        delay_timer_(stream_.get_executor()) {
    error_code ec;
    const auto peer = beast::get_lowest_layer(stream_).remote_endpoint(ec);
    peer_ = ec ? std::string("?") : peer.address().to_string();
  }

  void run() { read_request(); }

  // ---- Subscriber ------------------------------------------------------------------------------

  // An order event goes to connections subscribed to its market, then its myAsset frame to
  // those subscribed to myAsset; each frame draws its own faults. disconnect_after and stall_after
  // count order events.
  void deliver(EncodedEvent& ev) override {
    if (closed_ || close_after_write_) return;
    if (stalled_) {
      ++stall_dropped_;
      return;
    }
    const bool simple = is_simple(sub_.format);
    if (ev.has_order() && sub_.wants_order(ev.market())) {
      send_event(FrameType::order, ev.get(simple));
      ++events_;
      if (cut_if_over_budget() || after_order_event()) return;
    }
    if (ev.has_assets() && wants_asset_) {
      send_event(FrameType::asset, ev.asset(simple));
      cut_if_over_budget();
    }
  }

  // One event frame, with the faults drawn for it: extra bad frames before it, a duplicate, the
  // reorder window.
  void send_event(FrameType type, std::string_view json) {
    const auto& f = cfg_.faults;
    if (f.malformed_prob > 0 && rng_.chance(f.malformed_prob)) {
      ++hub_.stats().malformed;
      // A frame cut short in the middle of the object: invalid JSON the client must survive.
      const std::size_t cut = 1 + static_cast<std::size_t>(rng_.below(json.size() - 1));
      append_frame(events_out(), event_opcode(), json.data(), cut);
    }
    if (f.invalid_utf8_prob > 0 && rng_.chance(f.invalid_utf8_prob)) {
      ++hub_.stats().malformed;
      // The event again with the first letter of "KRW" (its market code, or a currency) replaced
      // by a byte that can never appear in UTF-8.
      std::string bad(json);
      const std::size_t at = bad.find("KRW");
      bad[at == std::string::npos ? bad.size() / 2 : at] = '\xFF';
      append_frame(events_out(), event_opcode(), bad);
    }
    if (f.compressed_prob > 0 && rng_.chance(f.compressed_prob)) {
      ++hub_.stats().malformed;
      // The event deflated as permessage-deflate would, though the client never negotiated it.
      append_frame(events_out(), event_opcode(), deflated(json));
    }
    if (f.oversized_prob > 0 && rng_.chance(f.oversized_prob)) {
      ++hub_.stats().malformed;
      // Valid JSON, but larger than any event: a client must refuse it rather than grow.
      std::string giant = type == FrameType::order ? R"({"type":"myOrder","padding":")"
                                                   : R"({"type":"myAsset","padding":")";
      giant.append(f.oversized_bytes, 'x');
      giant += "\"}";
      append_frame(events_out(), event_opcode(), giant);
    }
    const int copies = f.duplicate_prob > 0 && rng_.chance(f.duplicate_prob) ? 2 : 1;
    if (copies == 2) ++hub_.stats().duplicates;
    for (int c = 0; c < copies; ++c) {
      if (f.reorder_window > 1) {
        held_.push_back({type, std::string(json)});
        if (held_.size() >= f.reorder_window) release_one();
      } else {
        put_event(type, json);
      }
    }
  }

  // The connection faults counted in order events: a disconnect or a stall. True when the
  // connection is going away.
  bool after_order_event() {
    const auto& f = cfg_.faults;
    if (f.disconnect_after > 0 && events_ >= f.disconnect_after) {
      ++hub_.stats().fault_disconnects;
      flush();
      close_after_write_ = true;
      abrupt_ = true;
      subscribed_ = false;
      hub_.remove(this);
      if (!writing_) shut("fault: disconnect after N events");
      return true;
    }
    // The draw is made only for a probability below one, so runs without it keep their streams.
    if (f.stall_after > 0 && events_ == f.stall_after &&
        (f.stall_prob >= 1 || rng_.chance(f.stall_prob))) {
      flush();
      stalled_ = true;
      stall_until_ = f.stall_s > 0 ? Clock::now() + seconds(f.stall_s) : Clock::time_point::max();
      return true;
    }
    return false;
  }

  void flush() override {
    while (!held_.empty())
      release_one();
    close_lists();
    if (!delay_buf_.empty()) schedule_delayed();
    start_write();
  }

  // Delay fault: event frames of a batch go out `delay` (+ up to `jitter`) later, in order.
  [[nodiscard]] bool delaying() const noexcept {
    return cfg_.faults.delay_ms > 0 || cfg_.faults.jitter_ms > 0;
  }
  std::string& events_out() noexcept { return delaying() ? delay_buf_ : out_; }

  void schedule_delayed() {
    const double ms = cfg_.faults.delay_ms + cfg_.faults.jitter_ms * rng_.unit();
    auto at = Clock::now() + seconds(ms / 1000.0);
    if (!delayed_.empty()) at = std::max(at, delayed_.back().first);  // never overtakes
    delayed_bytes_ += delay_buf_.size();
    delayed_.emplace_back(at, std::move(delay_buf_));
    delay_buf_.clear();
    if (delayed_.size() == 1) arm_delay();
  }

  void arm_delay() {
    delay_timer_.expires_at(delayed_.front().first);
    delay_timer_.async_wait([self = this->shared_from_this()](error_code ec) {
      if (ec || self->closed_) return;
      self->release_delayed();
    });
  }

  void release_delayed() {
    const auto now = Clock::now();
    while (!delayed_.empty() && delayed_.front().first <= now) {
      delayed_bytes_ -= delayed_.front().second.size();
      if (!close_after_write_) out_ += delayed_.front().second;
      delayed_.pop_front();
    }
    start_write();
    if (!delayed_.empty()) arm_delay();
  }

  // A list frame carries events of one type (myOrder or myAsset) of one batch, at most
  // kMaxListEvents of them (a client's frame buffer is bounded; Upbit's list frames are small).
  static constexpr std::size_t kMaxListEvents = 16;
  void close_list(FrameType type) {
    auto& l = lists_[static_cast<std::size_t>(type)];
    if (l.text.empty()) return;
    l.text += ']';
    append_frame(events_out(), event_opcode(), l.text);
    l.text.clear();
    l.events = 0;
  }
  void close_lists() {
    close_list(FrameType::order);
    close_list(FrameType::asset);
  }

  std::size_t backlog() const noexcept override {
    // A stalled connection reads nothing: as fast as the clients read (rate 0), the flow waits
    // for it as for a client that stopped reading, until the stall ends or the client leaves.
    // (Otherwise the flow would run at full speed into the stall, and a client that resumes
    // after half a second would find a million events gone, older than the REST history.)
    if (stalled_) return std::numeric_limits<std::size_t>::max() / 2;
    return out_.size() + inflight_.size() + delayed_bytes_ + delay_buf_.size();
  }

  // A control reply (pong, status, error, subscription list) shares the events' budget of unsent
  // bytes: a client that sends and never reads is cut off like one that does not keep up.
  void queue_control(WsOpcode opcode, std::string_view payload) {
    append_frame(out_, opcode, payload.data(), payload.size());
    if (!cut_if_over_budget()) start_write();
  }

  // The one budget of unsent bytes (slow_consumer_bytes): past it the connection is dropped and
  // counted. True when dropped.
  bool cut_if_over_budget() {
    if (out_.size() + delayed_bytes_ + delay_buf_.size() <= cfg_.slow_consumer_bytes) return false;
    ++hub_.stats().slow_consumer_disconnects;
    shut("slow consumer");
    return true;
  }

  void shut(const char* /*why*/) override {
    if (closed_) return;
    closed_ = true;
    timer_.cancel();
    delay_timer_.cancel();
    error_code ec;
    beast::get_lowest_layer(stream_).shutdown(tcp::socket::shutdown_both, ec);
    beast::get_lowest_layer(stream_).close(ec);
    if (subscribed_) {
      subscribed_ = false;
      hub_.remove(this);
    }
  }

 private:
  // ---- HTTP ------------------------------------------------------------------------------------

  static constexpr std::uint32_t kMaxHeaderBytes = 8 * 1024;  // request line and headers
  static constexpr std::uint64_t kMaxBodyBytes = 64 * 1024;   // REST queries carry no body

  // One timer for the HTTP phase: the request (first byte to last, or an idle keep-alive), then
  // the response's write. A new deadline replaces the previous one.
  void arm_deadline(double s, std::uint64_t ServerStats::*counter) {
    timer_.expires_after(seconds(s));
    timer_.async_wait([self = this->shared_from_this(), counter](error_code ec) {
      if (ec || self->closed_) return;
      ++(self->hub_.stats().*counter);
      self->shut("deadline");
    });
  }

  void read_request() {
    arm_deadline(cfg_.handshake_timeout_s, &ServerStats::handshake_timeouts);
    parser_.emplace();
    parser_->header_limit(kMaxHeaderBytes);
    parser_->body_limit(kMaxBodyBytes);
    http::async_read(
        stream_, buf_, *parser_,
        [self = this->shared_from_this()](error_code ec, std::size_t) { self->on_request(ec); });
  }

  void on_request(error_code ec) {
    if (closed_) return;
    timer_.cancel();
    // Requests over the limits get a clear answer before the connection closes.
    if (ec == http::error::header_limit) {
      return reply_error(
          431, error_frame("request_header_too_large",
                           "Request headers over " + std::to_string(kMaxHeaderBytes) + " bytes."));
    }
    if (ec == http::error::body_limit) {
      return reply_error(
          413, error_frame("payload_too_large",
                           "Request body over " + std::to_string(kMaxBodyBytes) + " bytes."));
    }
    if (ec) return shut("read");
    auto& req = parser_->get();
    if (beast::websocket::is_upgrade(req)) return on_upgrade(req);
    const std::string_view target(req.target());
    if (target.substr(0, target.find('?')) == "/sim/truth") return on_truth(req);
    const auto auth = req[http::field::authorization];
    RestReply r = hub_.rest(std::string_view(req.method_string()), target, std::string_view(auth));
    set_response(req.version(), req.keep_alive(), std::move(r));
    if (cfg_.faults.rest_delay_ms <= 0) return write_response();
    // The answer is as of the request; it leaves later, like one from a distant or busy host.
    delay_timer_.expires_after(std::chrono::duration_cast<asio::steady_timer::duration>(
        std::chrono::duration<double, std::milli>(cfg_.faults.rest_delay_ms)));
    delay_timer_.async_wait([self = this->shared_from_this()](error_code waited) {
      if (waited || self->closed_) return;
      self->write_response();
    });
  }

  void set_response(unsigned version, bool keep_alive, RestReply r) {
    res_ = {};
    res_.version(version);
    res_.result(r.status);
    res_.set(http::field::server, "upbit-sim");
    res_.set(http::field::content_type, "application/json; charset=utf-8");
    if (!r.remaining_req.empty()) res_.set("Remaining-Req", r.remaining_req);
    if (!r.retry_after.empty()) res_.set(http::field::retry_after, r.retry_after);
    res_.body() = std::move(r.body);
    res_.keep_alive(keep_alive);
    res_.prepare_payload();
  }

  // GET /sim/truth[?orders=false]: with the simulator's JWT (query_hash and nonce as for REST);
  // written out off the event loop, one request at a time (503 while another is written).
  template <class Request>
  void on_truth(Request& req) {
    const std::string_view target(req.target());
    const auto q = target.find('?');
    const std::string_view query = q == std::string_view::npos ? "" : target.substr(q + 1);
    const unsigned version = req.version();
    const bool keep_alive = req.keep_alive();
    auto refuse = [&](RestReply r) {
      ++hub_.stats().truth_refused;
      set_response(version, keep_alive, std::move(r));
      write_response();
    };
    if (req.method() != http::verb::get) {
      return refuse(rest_error(405, "method_not_allowed", "GET only."));
    }
    const AuthResult auth =
        hub_.verifier().verify_request(std::string_view(req[http::field::authorization]), query);
    if (!auth.ok()) return refuse(rest_error(401, to_string(auth.error), auth_message(auth.error)));
    if (!hub_.nonces().insert(auth.claims.nonce)) {
      return refuse(rest_error(401, "nonce_used", auth_message(AuthErrc::nonce_used)));
    }
    bool with_orders = true;
    for (const auto& [k, v] : parse_query(query)) {
      if (k == "orders") with_orders = !(v == "false" || v == "0");
    }
    const bool started = hub_.truth_async(
        with_orders,
        [self = this->shared_from_this(), version, keep_alive](unsigned status, std::string body) {
          if (self->closed_) return;
          ++self->hub_.stats().truth_requests;
          self->set_response(version, keep_alive, RestReply{status, std::move(body), {}, {}});
          self->write_response();
        });
    if (!started) {
      refuse(rest_error(503, "truth_busy",
                        "The truth is being written for another request; retry in a moment."));
    }
  }

  void write_response() {
    arm_deadline(cfg_.write_timeout_s, &ServerStats::write_timeouts);
    http::async_write(stream_, res_,
                      [self = this->shared_from_this()](error_code wec, std::size_t) {
                        if (wec) return self->shut("write");
                        if (!self->res_.keep_alive()) return self->shut("done");
                        self->read_request();
                      });
  }

  void reply_error(unsigned status, std::string body) {
    res_ = {};
    res_.version(11);
    res_.result(status);
    res_.set(http::field::server, "upbit-sim");
    res_.set(http::field::content_type, "application/json; charset=utf-8");
    res_.body() = std::move(body);
    res_.keep_alive(false);
    res_.prepare_payload();
    arm_deadline(cfg_.write_timeout_s, &ServerStats::write_timeouts);
    http::async_write(stream_, res_, [self = this->shared_from_this()](error_code, std::size_t) {
      self->shut("refused");
    });
  }

  template <class Request>
  void on_upgrade(Request& req) {
    const std::string_view target(req.target());
    const std::string_view path = target.substr(0, target.find('?'));
    if (path != "/websocket/v1/private" && path != "/websocket/v1") {
      return reply_error(404, error_frame("NOT_FOUND", "Unknown WebSocket path."));
    }
    if (hub_.refuse_handshake()) {
      return reply_error(429, error_frame("TOO_MANY_REQ", "Too many connection attempts."));
    }
    // Upbit's connection rate, per address first (whoever asks), then per access key.
    const auto too_many = [this] {
      reply_error(429, error_frame("TOO_MANY_REQ", "Too many connection attempts: " +
                                                       std::to_string(cfg_.ws_connects_per_second) +
                                                       " per second per address and per key."));
    };
    if (!hub_.connect_allowed("address " + peer_)) return too_many();
    AuthResult auth =
        hub_.verifier().verify_header(std::string_view(req[http::field::authorization]));
    if (auth.ok() && !hub_.connect_allowed("key " + cfg_.access_key)) return too_many();
    if (auth.ok() && cfg_.ws_nonce_check && !hub_.nonces().insert(auth.claims.nonce)) {
      auth.error = AuthErrc::nonce_used;
    }
    if (!auth.ok()) {
      ++hub_.stats().auth_failures;
      if (!cfg_.auth_error_frame) {
        return reply_error(401, error_frame(to_string(auth.error), auth_message(auth.error)));
      }
    }
    res_ = {};
    res_.version(11);
    res_.result(http::status::switching_protocols);
    res_.set(http::field::server, "upbit-sim");
    res_.set(http::field::upgrade, "websocket");
    res_.set(http::field::connection, "Upgrade");
    res_.set(http::field::sec_websocket_accept,
             websocket_accept_key(std::string_view(req[http::field::sec_websocket_key])));
    const bool auth_ok = auth.ok();
    arm_deadline(cfg_.write_timeout_s, &ServerStats::write_timeouts);
    http::async_write(stream_, res_,
                      [self = this->shared_from_this(), auth_ok](error_code ec, std::size_t) {
                        if (ec) return self->shut("handshake write");
                        self->on_upgraded(auth_ok);
                      });
  }

  // ---- WebSocket -------------------------------------------------------------------------------

  void on_upgraded(bool auth_ok) {
    websocket_ = true;
    ++hub_.stats().websocket_sessions;
    rbuf_ = beast::buffers_to_string(buf_.data());  // bytes the client sent after its request
    buf_.consume(buf_.size());
    last_activity_ = Clock::now();
    timer_.cancel();
    if (!auth_ok) {
      append_frame(out_, WsOpcode::text, error_frame("INVALID_AUTH", "Jwt token is invalid."));
      send_close(1008);
      read_frames();
      return;
    }
    arm_housekeeping();
    parse_frames();
    read_frames();
  }

  void read_frames() {
    stream_.async_read_some(asio::buffer(chunk_),
                            [self = this->shared_from_this()](error_code ec, std::size_t n) {
                              if (ec || self->closed_) return self->shut("read");
                              self->rbuf_.append(self->chunk_.data(), n);
                              self->parse_frames();
                              if (!self->closed_) self->read_frames();
                            });
  }

  // Handles every complete frame in rbuf_. Once a close frame is queued, further input is read
  // (to see the client's close and its end of stream) but ignored.
  void parse_frames() {
    if (close_after_write_) {
      rbuf_.clear();
      return;
    }
    std::size_t pos = 0;
    while (true) {
      WsFrame frame;
      std::size_t used = 0;
      const WsParse r = parse_client_frame(rbuf_.data() + pos, rbuf_.size() - pos,
                                           cfg_.max_message_bytes, frame, used);
      if (r == WsParse::need_more) break;
      if (r != WsParse::frame) {
        send_close(r == WsParse::too_big ? 1009 : 1002);
        rbuf_.clear();
        return;
      }
      pos += used;
      last_activity_ = Clock::now();
      if (!on_frame(frame)) {
        rbuf_.clear();
        return;
      }
    }
    rbuf_.erase(0, pos);
  }

  bool on_frame(WsFrame& f) {
    switch (f.opcode) {
      case WsOpcode::ping:
        if (!stalled_) queue_control(WsOpcode::pong, f.payload);
        return !closed_;
      case WsOpcode::pong:
        return true;
      case WsOpcode::close: {
        std::uint16_t code = 1000;
        if (f.payload.size() >= 2) {
          code = static_cast<std::uint16_t>(static_cast<unsigned char>(f.payload[0]) << 8 |
                                            static_cast<unsigned char>(f.payload[1]));
        }
        send_close(code);
        return false;
      }
      case WsOpcode::continuation:
        if (message_.empty() && !in_message_) {
          send_close(1002);
          return false;
        }
        message_ += f.payload;
        break;
      case WsOpcode::text:
      case WsOpcode::binary:
        if (in_message_) {
          send_close(1002);
          return false;
        }
        message_ = std::move(f.payload);
        break;
    }
    in_message_ = !f.fin;
    if (message_.size() > cfg_.max_message_bytes) {
      send_close(1009);
      return false;
    }
    if (f.fin) {
      std::string msg = std::move(message_);
      message_.clear();
      return on_message(msg);
    }
    return true;
  }

  bool on_message(const std::string& msg) {
    if (msg == "PING") {
      if (!stalled_) queue_control(WsOpcode::text, R"({"status":"UP"})");
      status_on_ = true;
      last_status_ = Clock::now();
      return !closed_;
    }
    if (cfg_.ws_rate_limit && !within_message_rate()) {
      return send_error("TOO_MANY_REQ", "Too many requests: 5 per second and 100 per minute.");
    }
    ParsedRequest req = parse_request(msg);
    switch (req.kind) {
      case ParsedRequest::Kind::error:
        return send_error(to_string(req.error), req.message);
      case ParsedRequest::Kind::list_subscriptions:
        queue_control(WsOpcode::text,
                      list_subscriptions_frame(subscribed_ ? &sub_ : nullptr, req.ticket));
        return !closed_;
      case ParsedRequest::Kind::subscribe:
        break;
    }
    flush();  // a format change applies from the next event on
    sub_ = std::move(req.subscription);
    wants_asset_ = sub_.wants_asset();
    if (!subscribed_) {
      subscribed_ = true;
      subscribed_at_ = Clock::now();
    }
    hub_.add(this->shared_from_this());
    return true;
  }

  bool within_message_rate() {
    const std::int64_t now = steady_ms();
    while (!message_times_.empty() && message_times_.front() <= now - 60'000)
      message_times_.pop_front();
    const auto last_second = std::count_if(message_times_.begin(), message_times_.end(),
                                           [now](std::int64_t t) { return t > now - 1000; });
    if (last_second >= 5 || message_times_.size() >= 100) return false;
    message_times_.push_back(now);
    return true;
  }

  bool send_error(std::string_view name, std::string_view message) {
    if (cfg_.close_on_error) {
      append_frame(out_, WsOpcode::text, error_frame(name, message));
      send_close(1008);
      return false;
    }
    queue_control(WsOpcode::text, error_frame(name, message));
    return !closed_;
  }

  void send_close(std::uint16_t code) {
    if (close_after_write_ || closed_) return;
    const char payload[2] = {static_cast<char>(code >> 8), static_cast<char>(code & 0xFF)};
    append_frame(out_, WsOpcode::close, payload, 2);
    close_after_write_ = true;
    if (subscribed_) {
      subscribed_ = false;
      hub_.remove(this);
    }
    start_write();
  }

  static std::string deflated(std::string_view json) {
    beast::zlib::deflate_stream ds;
    ds.reset(6, 15, 8, beast::zlib::Strategy::normal);
    std::string out(json.size() + 64, '\0');
    beast::zlib::z_params zs;
    zs.next_in = json.data();
    zs.avail_in = json.size();
    zs.next_out = out.data();
    zs.avail_out = out.size();
    error_code ec;
    ds.write(zs, beast::zlib::Flush::sync, ec);
    out.resize(zs.total_out);
    return out;
  }

  WsOpcode event_opcode() const noexcept {
    return cfg_.text_frames ? WsOpcode::text : WsOpcode::binary;
  }

  void put_event(FrameType type, std::string_view json) {
    ++hub_.stats().event_frames;
    if (is_list(sub_.format)) {
      auto& l = lists_[static_cast<std::size_t>(type)];
      l.text += l.text.empty() ? '[' : ',';
      l.text.append(json);
      if (++l.events == kMaxListEvents) close_list(type);
      return;
    }
    std::string& out = events_out();
    append_frame_header(out, event_opcode(), json.size());
    out.append(json);
  }

  void release_one() {
    const std::size_t i = static_cast<std::size_t>(rng_.below(held_.size()));
    put_event(held_[i].type, held_[i].json);
    held_.erase(held_.begin() + static_cast<std::ptrdiff_t>(i));
  }

  void start_write() {
    if (writing_ || closed_) return;
    if (out_.empty()) {
      if (close_after_write_) finish_close();
      return;
    }
    writing_ = true;
    write_started_ = Clock::now();
    inflight_.swap(out_);
    out_.clear();
    // Measurement (off by default): the events this write carries leave now.
    if (subscribed_ && cfg_.send_stamps != nullptr) cfg_.send_stamps->stamp_pending(now_ticks());
    asio::async_write(
        stream_, asio::buffer(inflight_),
        [self = this->shared_from_this()](error_code ec, std::size_t n) { self->on_write(ec, n); });
  }

  void on_write(error_code ec, std::size_t n) {
    writing_ = false;
    inflight_.clear();
    if (ec) return shut("write");
    hub_.stats().bytes_sent += n;
    if (close_after_write_ && abrupt_) return shut("dropped");
    start_write();
    hub_.on_drained();
  }

  // The close frame is out: end our side of the stream and give the client a moment to answer
  // with its own close and end of stream (RFC 6455 §7.1.1), then drop the socket.
  void finish_close() {
    if (half_closed_) return;
    half_closed_ = true;
    error_code ec;
    beast::get_lowest_layer(stream_).shutdown(tcp::socket::shutdown_send, ec);
    timer_.cancel();
    timer_.expires_after(std::chrono::seconds(2));
    timer_.async_wait([self = this->shared_from_this()](error_code tec) {
      if (!tec) self->shut("close timeout");
    });
  }

  // Idle close, periodic status, scheduled disconnects, end of a stall.
  void arm_housekeeping() {
    timer_.expires_after(std::chrono::milliseconds(100));
    timer_.async_wait([self = this->shared_from_this()](error_code ec) {
      if (ec || self->closed_ || self->half_closed_) return;
      self->housekeeping();
    });
  }

  void housekeeping() {
    const auto now = Clock::now();
    if (writing_ && now - write_started_ > seconds(cfg_.write_timeout_s)) {
      ++hub_.stats().write_timeouts;  // the client stopped reading
      return shut("write timeout");
    }
    if (now - last_activity_ > seconds(cfg_.idle_timeout_s)) {
      ++hub_.stats().idle_closes;
      send_close(1000);
      return;
    }
    if (stalled_ && now >= stall_until_) {
      stalled_ = false;
      hub_.on_drained();  // the flow may go on (see backlog())
    }
    if (status_on_ && !stalled_ && now - last_status_ >= seconds(cfg_.status_interval_s)) {
      last_status_ = now;
      queue_control(WsOpcode::text, R"({"status":"UP"})");
      if (closed_) return;
    }
    if (cfg_.faults.disconnect_every_s > 0 && subscribed_ &&
        now - subscribed_at_ >= seconds(cfg_.faults.disconnect_every_s)) {
      ++hub_.stats().fault_disconnects;
      return shut("fault: disconnect every T seconds");
    }
    arm_housekeeping();
  }

  Stream stream_;
  beast::flat_buffer buf_;
  Hub& hub_;
  const ServerConfig& cfg_;
  std::uint64_t number_;
  Rng rng_;
  asio::steady_timer timer_;
  asio::steady_timer delay_timer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  http::response<http::string_body> res_;

  bool websocket_ = false;
  bool closed_ = false;
  bool writing_ = false;
  Clock::time_point write_started_{};
  std::string peer_;  // the client's address, for the connection rate
  bool close_after_write_ = false;
  bool abrupt_ = false;
  bool half_closed_ = false;
  std::array<char, 16 * 1024> chunk_{};
  std::string rbuf_;
  std::string message_;
  bool in_message_ = false;
  std::string out_;
  std::string delay_buf_;
  std::deque<std::pair<Clock::time_point, std::string>> delayed_;
  std::size_t delayed_bytes_ = 0;
  std::string inflight_;
  struct ListFrame {
    std::string text;  // "[event,event" while open
    std::size_t events = 0;
  };
  std::array<ListFrame, 2> lists_;  // by FrameType
  struct HeldFrame {
    FrameType type;
    std::string json;
  };
  std::vector<HeldFrame> held_;

  Subscription sub_;
  bool wants_asset_ = false;
  bool subscribed_ = false;
  Clock::time_point subscribed_at_{};
  Clock::time_point last_activity_{};
  bool status_on_ = false;
  Clock::time_point last_status_{};
  std::deque<std::int64_t> message_times_;
  std::uint64_t events_ = 0;
  bool stalled_ = false;
  Clock::time_point stall_until_{};
  std::uint64_t stall_dropped_ = 0;
};

// =================================================================================================
// Server

struct Server::Impl {
  explicit Impl(ServerConfig c)
      : config(std::move(c)), acceptor(ioc), tls(ssl::context::tls_server), hub(ioc, config) {}

  void accept() {
    acceptor.async_accept([this](error_code ec, tcp::socket socket) {
      if (ec) {
        if (ec == asio::error::operation_aborted || !acceptor.is_open()) return;
        // Out of descriptors (EMFILE, ENFILE) or memory: an accept at once would fail at once
        // again, spinning. Wait (10 ms, doubling up to 1 s) while held connections finish or time
        // out; the kernel keeps new ones in the listen backlog meanwhile.
        ++hub.stats().accept_errors;
        accept_delay = std::clamp(accept_delay * 2, std::chrono::milliseconds(10),
                                  std::chrono::milliseconds(1000));
        accept_timer.expires_after(accept_delay);
        accept_timer.async_wait([this](error_code e) {
          if (!e) accept();
        });
        return;
      }
      accept_delay = std::chrono::milliseconds(0);
      ++hub.stats().connections;
      error_code opt;
      socket.set_option(tcp::no_delay(true), opt);
      if (config.tls) {
        detect(std::move(socket));
      } else {
        std::make_shared<Connection<tcp::socket>>(std::move(socket), beast::flat_buffer{}, hub)
            ->run();
      }
      accept();
    });
  }

  // A connection whose first bytes are awaited (plain or TLS?), then its TLS handshake, under
  // one deadline (handshake_timeout_s): a silent socket or a partial hello is not held for ever.
  struct Pending {
    explicit Pending(tcp::socket s) : sock(std::move(s)), deadline(sock.get_executor()) {}
    tcp::socket sock;
    beast::flat_buffer buffer;
    asio::steady_timer deadline;
    std::optional<ssl::stream<tcp::socket>> tls;  // once the first bytes said TLS
    bool settled = false;  // handed over, or failed: the deadline has nothing left to do
    void settle() {
      settled = true;
      deadline.cancel();
    }
    void close() {
      error_code ignored;
      if (tls) {
        beast::get_lowest_layer(*tls).close(ignored);
      } else {
        sock.close(ignored);
      }
    }
  };

  // Plain or TLS is decided from the first bytes (a TLS ClientHello starts with 0x16).
  void detect(tcp::socket socket) {
    auto p = std::make_shared<Pending>(std::move(socket));
    p->deadline.expires_after(seconds(config.handshake_timeout_s));
    p->deadline.async_wait([this, p](error_code ec) {
      if (ec || p->settled) return;
      ++hub.stats().handshake_timeouts;
      p->close();  // the pending operation completes with an error and lets go of it
    });
    beast::async_detect_ssl(p->sock, p->buffer, [this, p](error_code ec, bool is_tls) {
      if (ec) return p->settle();
      if (!is_tls) {
        p->settle();
        std::make_shared<Connection<tcp::socket>>(std::move(p->sock), std::move(p->buffer), hub)
            ->run();
        return;
      }
      p->tls.emplace(std::move(p->sock), tls);
      p->tls->async_handshake(ssl::stream_base::server, p->buffer.data(),
                              [this, p](error_code hec, std::size_t used) {
                                p->settle();
                                if (hec) return;
                                p->buffer.consume(used);
                                std::make_shared<Connection<ssl::stream<tcp::socket>>>(
                                    std::move(*p->tls), std::move(p->buffer), hub)
                                    ->run();
                              });
    });
  }

  void setup_tls() {
    tls.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                    ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
    if (!config.cert_file.empty()) {
      tls.use_certificate_chain_file(config.cert_file);
      tls.use_private_key_file(config.key_file.empty() ? config.cert_file : config.key_file,
                               ssl::context::pem);
      cert_path = config.cert_file;
      return;
    }
    const PemPair pem = make_self_signed_certificate();
    tls.use_certificate_chain(asio::buffer(pem.certificate));
    tls.use_private_key(asio::buffer(pem.private_key), ssl::context::pem);
    cert_path = config.cert_out.empty() ? "/tmp/upbit-sim-" + std::to_string(::getpid()) + "-" +
                                              std::to_string(port) + ".pem"
                                        : config.cert_out;
    std::ofstream out(cert_path, std::ios::binary | std::ios::trunc);
    out << pem.certificate;
    if (!out) throw std::runtime_error("cannot write the certificate to " + cert_path);
  }

  ServerConfig config;
  asio::io_context ioc{1};
  tcp::acceptor acceptor;
  asio::steady_timer accept_timer{ioc};
  std::chrono::milliseconds accept_delay{0};
  ssl::context tls;
  Hub hub;
  std::uint16_t port = 0;
  std::string cert_path;
  std::atomic<bool> running{false};
};

Server::Server(ServerConfig config) : impl_(std::make_unique<Impl>(std::move(config))) {}
Server::~Server() = default;

void Server::start() {
  auto& i = *impl_;
  const tcp::endpoint ep(asio::ip::make_address(i.config.bind), i.config.port);
  i.acceptor.open(ep.protocol());
  i.acceptor.set_option(tcp::acceptor::reuse_address(true));
  i.acceptor.bind(ep);
  i.acceptor.listen(asio::socket_base::max_listen_connections);
  i.port = i.acceptor.local_endpoint().port();
  if (i.config.tls) i.setup_tls();
  if (!i.config.start_on_subscribe) i.hub.start_clock();
  i.accept();
}

void Server::run() {
  impl_->running = true;
  impl_->ioc.run();
  impl_->running = false;
}

void Server::stop() {
  asio::post(impl_->ioc, [this] {
    error_code ec;
    impl_->acceptor.close(ec);
    impl_->accept_timer.cancel();
    impl_->hub.stop();
    impl_->ioc.stop();
  });
}

std::uint16_t Server::port() const noexcept {
  return impl_->port;
}
const std::string& Server::cert_path() const noexcept {
  return impl_->cert_path;
}

std::string Server::urls() const {
  const std::string host = impl_->config.bind + ":" + std::to_string(impl_->port);
  std::string s = "ws://" + host + "/websocket/v1/private";
  if (impl_->config.tls) s += " wss://" + host + "/websocket/v1/private";
  s += " http://" + host + "/v1";
  if (impl_->config.tls) s += " https://" + host + "/v1";
  return s;
}

std::string Server::truth_json(bool with_orders) {
  if (!impl_->running) return impl_->hub.sim().truth_json(with_orders);
  // The server thread only copies; the JSON is written here.
  std::promise<TruthSnapshot> p;
  auto f = p.get_future();
  asio::post(impl_->ioc, [&] { p.set_value(impl_->hub.sim().truth_snapshot(with_orders)); });
  return f.get().to_json();
}

ServerStats Server::stats() {
  if (!impl_->running) return impl_->hub.stats();
  std::promise<ServerStats> p;
  auto f = p.get_future();
  asio::post(impl_->ioc, [&] { p.set_value(impl_->hub.stats()); });
  return f.get();
}

}  // namespace fillwire::sim
