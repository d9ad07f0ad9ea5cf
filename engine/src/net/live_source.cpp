// LiveSource: the live exchange connection on the network thread's single-threaded io_context.
//
//   WsLink (ws_link.cpp): resolve -> connect -> tls -> websocket handshake -> subscribe -> read
//   this file: what a connection means to the account, frame by frame; the connection discipline
//   (backoff, rates, bans); the resync beside the stream (resync.cpp, over rest_session.cpp)
//
// Every failure closes the connection and schedules a reconnect through the same chain after an
// exponential backoff with full jitter, never faster than the process's connection rate nor during
// a ban. While the resync runs the stream keeps being read: its frames are held raw
// (frame_hold.hpp) until the resync's events are published.

#include "fillwire/live_source.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include <algorithm>
#include <chrono>
#include <optional>
#include <random>
#include <stdexcept>

#include "fillwire/clock.hpp"
#include "fillwire/control_event.hpp"
#include "fillwire/detail/journal_event.hpp"
#include "fillwire/journal.hpp"
#include "fillwire/safe_text.hpp"
#include "frame_hold.hpp"
#include "frame_peek.hpp"
#include "live_counters.hpp"
#include "order_tracker.hpp"
#include "rate_window.hpp"
#include "rest_session.hpp"
#include "resync.hpp"
#include "subscription.hpp"
#include "url.hpp"
#include "ws_link.hpp"

namespace fillwire {

namespace asio = boost::asio;  // from <boost/asio.hpp>
namespace ssl = asio::ssl;     // from <boost/asio/ssl.hpp>
using namespace net;           // NOLINT: this file is the net stage's front door

namespace {

// Cold: gives the heap memory a resync used and freed back to the system. glibc keeps the freed
// blocks of a thread's arena for reuse, so the resident set would otherwise stay at the largest
// resync's peak (its pages, its orders).
void return_free_memory() noexcept {
#if defined(__GLIBC__)
  (void)malloc_trim(0);
#endif
}

std::int64_t wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// One place for TLS policy (the WebSocket and REST share it): peer verification on by default,
// against the system CAs plus the given CA file; --insecure only when asked, and said out loud.
void setup_tls(ssl::context& tls, const LiveConfig& cfg) {
  tls.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                  ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
  if (cfg.insecure) {
    tls.set_verify_mode(ssl::verify_none);
    return;
  }
  tls.set_default_verify_paths();
  if (!cfg.ca_file.empty()) tls.load_verify_file(cfg.ca_file);
  tls.set_verify_mode(ssl::verify_peer);
}

}  // namespace

//------------------------------------------------------------------------------------------------

struct LiveSource::Impl final : ResyncHost, WsLinkHost {
  using Clock = std::chrono::steady_clock;

  LiveConfig cfg;
  Credentials creds;
  JournalProducer* journal;
  NoticeFn notice_fn;
  Url ws_url;
  Url rest_url;

  asio::io_context ioc{1};
  ssl::context tls_ctx{ssl::context::tls_client};
  asio::steady_timer retry_timer{ioc};
  asio::steady_timer resync_timer{ioc};   // the wait for the first frame after subscribing
  asio::steady_timer healthy_timer{ioc};  // resets the backoff once a connection stays up
  std::optional<WsLink> link;
  std::optional<RestSession> rest;
  std::optional<ResyncRunner> resyncer;

  Decoder decoder;
  FramePeek peek;         // the events of frames held during a resync, decoded aside
  StreamStart on_stream;  // the orders the frames held during a resync carry
  FrameHold hold;

  std::optional<EventSink> sink;
  std::uint64_t recv_ts = 0;

  // Connection state.
  std::uint64_t connection = 0;  // which connection a timer was started for
  unsigned attempt = 0;          // failures since the last healthy connection: the backoff
  bool live = false;             // subscribed and reading
  bool whole = false;            // live, and the state equals the exchange's (resynced)
  // A connection failure while the resync runs: the REST work goes on (its answers stay true),
  // and the failure is acted on once the resync's and the held frames' events are published.
  struct DeferredFailure {
    bool auth = false;
    bool was_live = false;
    std::string stage;
    std::string what;
  };
  std::optional<DeferredFailure> deferred_failure;

  // Clocks: the local wall clock, refreshed every keep-alive tick (the bounds are tens of seconds).
  std::int64_t wall_now_ms = 0;
  std::int64_t last_event_ms = -1;  // the newest plausible exchange time seen on the stream
  // The newest plausible exchange time read from the socket, held frames and balance reports
  // included: a resync's balance list answered after it was taken after everything read so far.
  std::int64_t read_until_ms = -1;
  std::int64_t last_read_ms = -1;  // the plausible exchange time of the last event read
  // How far the state was whole when the last whole connection was lost (whole_until(), -1 before
  // any), and since when the current connection carries everything (the local time it subscribed:
  // its resync covers what came before, its stream what came after).
  std::int64_t whole_until_ms = -1;
  std::int64_t subscribed_ms = -1;

  // Resync.
  OrderTracker orders_seen;
  bool first_connect = true;
  bool resync_pending = false;  // subscribed; the resync waits for the first frame (or a timeout)

  std::atomic<bool> connected_flag{false};
  std::atomic<bool> resyncing_flag{false};
  std::mt19937_64 rng;
  LiveCounterSet n;

  Impl(LiveConfig c, Credentials cr, JournalProducer* j, NoticeFn nf)
      : cfg(std::move(c)),
        creds(std::move(cr)),
        journal(j),
        notice_fn(std::move(nf)),
        ws_url(parse_url(cfg.url)),
        decoder(cfg.max_frame_bytes),
        peek(cfg.max_frame_bytes),
        on_stream(cfg.resync_max_orders),
        hold(cfg.resync_hold_bytes, cfg.max_frame_bytes, cfg.resync),
        orders_seen(cfg.open_tracking_capacity),
        rng(cfg.seed != 0 ? cfg.seed
                          : static_cast<std::uint64_t>(Clock::now().time_since_epoch().count())) {
    if (cfg.rest_url.empty()) {
      cfg.rest_url =
          std::string(ws_url.tls ? "https://" : "http://") + ws_url.host_header() + "/v1";
    }
    rest_url = parse_url(cfg.rest_url);
    for (auto& code : cfg.codes)
      code = checked_code(code);
    setup_tls(tls_ctx, cfg);
    if (cfg.insecure)
      say("WARNING: TLS peer verification is OFF (--insecure): the connection can be intercepted");
    link.emplace(ioc, tls_ctx, cfg, creds, ws_url, n, *this);
    rest.emplace(ioc, rest_url, tls_ctx,
                 RestSession::Settings{cfg.rest_timeout, cfg.rest_per_second,
                                       cfg.rest_max_body_bytes, !cfg.insecure},
                 n);
    resyncer.emplace(ioc, ResyncContext{cfg, creds, orders_seen, on_stream, *rest, n, *this});
  }

  // Every notice is one line, capped, with tokens and the access key redacted, whatever server
  // text it quotes (the quoting itself is done where the text is taken in).
  void say(const std::string& raw) {
    const std::string_view secrets[] = {creds.access_key};
    const std::string text = one_line(raw, kLogLineCap, secrets);
    if (notice_fn) notice_fn(text);
    if (journal != nullptr) {
      (void)journal->record(JournalKind::notice, text.data(), text.size(), now_steady_ns());
    }
  }

  // Publishes a control event into the ring, in order with the data.
  void control(ControlCode code, std::string_view reason = {}, double count = 0) noexcept override {
    OrderEvent& e = sink->claim();
    make_control(e, code, wall_ms(), reason, count);
    e.recv_ts = now_ticks();
    sink->publish();
  }

  //----------------------------------------------------------------------------------------------
  // Connecting

  // Waits for a place in the process's connection window and for any ban to end, then connects.
  void start_connect() {
    const auto now = Clock::now();
    const auto at =
        std::max(connect_window().reserve(now, cfg.connects_per_second), exchange_ban().until());
    if (at <= now) return connect_now();
    n.connects_delayed.add();
    retry_timer.expires_at(at);
    retry_timer.async_wait([this](const boost::system::error_code& ec) {
      if (!ec) connect_now();
    });
  }

  void connect_now() {
    n.attempts.add();
    ++connection;
    link->open();
  }

  // WsLinkHost: subscribed.
  void on_open() override {
    live = true;
    connected_flag.store(true, std::memory_order_relaxed);
    n.connects.add();
    wall_now_ms = wall_ms();
    subscribed_ms = wall_now_ms;
    say("connected to " + ws_url.redacted() + (cfg.simple_format ? " (SIMPLE format)" : ""));
    control(ControlCode::connected);
    if (!cfg.resync) return became_whole();
    // The resync runs when the first frame arrives: its exchange time says which missed trades
    // the stream will not bring (those before it). A quiet stream resyncs after resync_wait.
    resync_pending = true;
    on_stream.clear();  // what this connection's stream carries, from its first frame on
    resync_timer.expires_after(cfg.resync_wait);
    resync_timer.async_wait([this, id = connection](const boost::system::error_code& e) {
      if (e || id != connection || !resync_pending || !live) return;
      resync_pending = false;
      start_resync(-1);
    });
  }

  void on_tick() noexcept override { wall_now_ms = wall_ms(); }

  // The state equals the exchange's. The backoff starts over only once the connection has also
  // stayed up for healthy_after: a server that drops each connection soon after meets a growing
  // backoff, not a storm.
  void became_whole() {
    whole = true;
    healthy_timer.expires_after(cfg.healthy_after);
    healthy_timer.async_wait([this, id = connection](const boost::system::error_code& e) {
      if (!e && id == connection && whole) attempt = 0;
    });
  }

  //----------------------------------------------------------------------------------------------
  // Frames: the hot path, from WsLink's read loop. False pauses reading (a full hold).

  bool on_frame(const char* data, std::size_t size) override {
    recv_ts = now_ticks();
    n.frames.add();
    if (resync_pending && on_first_frame(data, size)) return room_to_hold();
    if (!resyncer->running()) {
      publish_frame(data, size);
      return true;
    }
    hold.hold(recv_ts, data, size);
    n.resync_held_frames.add();
    for (const OrderEvent& e : peek(data, size)) {
      on_stream.on_event(e);
      read_time(e);
    }
    return room_to_hold();
  }

  // Cold (held frames) and hot (published ones): one comparison per event.
  void read_time(const OrderEvent& e) noexcept {
    const std::int64_t t = e.kind == EventKind::asset   ? asset_timestamp_of(e)
                           : e.kind == EventKind::order ? e.timestamp
                                                        : -1;
    if (t > read_until_ms && check_clock(t) == ClockVerdict::plausible) read_until_ms = t;
  }

  bool room_to_hold() noexcept {
    if (!hold.full()) return true;
    n.resync_hold_full.add();  // the socket holds the rest until the resync ends
    return false;
  }
  // Journals the frame and publishes its events (the read path, and held frames afterwards).
  void publish_frame(const char* data, std::size_t size) {
    if (journal != nullptr) (void)journal->record(JournalKind::frame, data, size, recv_ts);
    struct Stamp {
      Impl* self;
      OrderEvent* slot = nullptr;
      OrderEvent& claim() noexcept {
        slot = &self->sink->claim();
        slot->recv_ts = self->recv_ts;
        return *slot;
      }
      void publish() noexcept {
        self->track(*slot);
        self->sink->publish();
        self->n.events.add();
      }
    } stamp{this};
    const FrameResult r = decoder.decode(data, size, EventSink{stamp});
    if (r.error) n.decode_errors.add();
    if (r.kind == FrameKind::status) {
      n.status_frames.add();
    } else if (r.kind == FrameKind::error) {
      on_server_error(r.server_error);
    }
  }

  [[nodiscard]] ClockVerdict check_clock(std::int64_t exchange_ms) const noexcept {
    return check_exchange_time(exchange_ms, wall_now_ms,
                               ClockBounds{cfg.clock_skew_max.count(), cfg.event_age_max.count()});
  }

  // Remembers what the resync must ask about: orders seen open and the trades seen, and the
  // newest plausible exchange time of the stream (a resync event carries the query time). An
  // implausible stream time is counted and steers nothing.
  void track(const OrderEvent& e) noexcept {
    if (e.origin == EventOrigin::stream) read_time(e);
    if (e.kind != EventKind::order) return;  // a balance (AssetEvent) is not an order
    if (e.origin == EventOrigin::stream) {
      if (check_clock(e.timestamp) != ClockVerdict::plausible) {
        n.clock_skew.add();
      } else {
        last_read_ms = e.timestamp;
        last_event_ms = std::max(last_event_ms, e.timestamp);
      }
    }
    orders_seen.on_event(e);
  }

  // Cold: the first frame after subscribing. Its events are decoded aside: the earliest plausible
  // exchange time among them bounds what the resync must bring (older missed trades). The resync
  // starts and the frame is held, to be published after the resync's events. A frame with no
  // order event (status, error, garbled) is published at once and the resync still waits. True
  // when held.
  bool on_first_frame(const char* data, std::size_t size) {
    bool any = false;
    std::int64_t first_ms = -1;
    for (const OrderEvent& e : peek(data, size)) {
      if (e.kind != EventKind::order) continue;
      any = true;
      on_stream.on_event(e);
      if (check_clock(e.timestamp) == ClockVerdict::plausible &&
          (first_ms < 0 || e.timestamp < first_ms))
        first_ms = e.timestamp;
    }
    if (!any) return false;
    // No plausible time (first_ms stays -1): nothing is left to the stream by time, every missed
    // trade is fetched (a trade the stream brings too is then a duplicate, which changes nothing).
    resync_pending = false;
    resync_timer.cancel();
    hold.hold(recv_ts, data, size);
    n.resync_held_frames.add();
    start_resync(first_ms);
    return true;
  }

  void on_server_error(const ServerError& err) {
    n.server_errors.add();
    control(ControlCode::server_error, err.name.view());
    if (err.name.view() == "INVALID_AUTH") auth_failed("the exchange sent INVALID_AUTH");
  }

  //----------------------------------------------------------------------------------------------
  // Failure and reconnect

  void close_stream() {
    ++connection;  // what is still pending on this connection completes as stale (ignored)
    // From here on the state may miss changes.
    if (whole) whole_until_ms = whole_until(last_read_ms, subscribed_ms);
    whole = false;
    live = false;
    resync_pending = false;
    resync_timer.cancel();
    healthy_timer.cancel();
    connected_flag.store(false, std::memory_order_relaxed);
    link->close();
  }

  // WsLinkHost: the link failed (it is closed). A 429 or 418 at the upgrade is a rate refusal: the
  // backoff grows (429), or nothing is sent to the exchange until its Retry-After (418).
  void on_link_down(const LinkFailure& f) override {
    if (f.kind == LinkFailureKind::auth_refused) return auth_failed(f.what);
    if (f.kind == LinkFailureKind::rate_refused) {
      std::chrono::milliseconds wait{0};
      if (f.http_status == 418) {
        n.rest_banned.add();
        wait = retry_after(f.retry_after, cfg.ban_default, std::chrono::hours(1));
        exchange_ban().ban_until(Clock::now() + wait);
        say("BANNED by the exchange (HTTP 418 at the upgrade): nothing is sent to it for " +
            std::to_string(wait.count() / 1000) + " s");
      } else {
        n.rest_throttled.add();
      }
      control(ControlCode::rate_limited, "HTTP " + std::to_string(f.http_status),
              static_cast<double>(wait.count()) / 1000.0);
    }
    fail(f.stage, f.what);
  }

  void fail(const char* stage, const std::string& what) {
    const bool was_live = live;
    close_stream();
    if (defer_failure(false, was_live, stage, what)) return;
    disconnected(was_live, stage, what);
  }

  // While the resync runs, a failure only closes the stream; the rest waits for the resync's end
  // (on_resync_done), so that the resync's events and the held frames come first.
  bool defer_failure(bool auth, bool was_live, const char* stage, const std::string& what) {
    if (!resyncer->running()) return false;
    if (!deferred_failure) deferred_failure = DeferredFailure{auth, was_live, stage, what};
    return true;
  }

  void disconnected(bool was_live, const char* stage, const std::string& what) {
    if (was_live) {
      n.disconnects.add();
      control(ControlCode::disconnected, stage);
    }
    say(std::string("disconnected at ") + stage + ": " + what);
    schedule_reconnect(false);
  }

  void auth_failed(const std::string& why) {
    const bool was_live = live;
    close_stream();
    if (defer_failure(true, was_live, "auth", why)) return;
    refused(was_live, why);
  }

  void refused(bool was_live, const std::string& why) {
    if (was_live) n.disconnects.add();
    n.auth_failures.add();
    control(ControlCode::auth_failed, "credentials refused");
    say("AUTHENTICATION FAILED: " + why +
        "; check the access/secret keys and their permissions "
        "(retrying every " +
        std::to_string(cfg.auth_backoff.count() / 1000) + " s)");
    schedule_reconnect(true);
  }

  // Exponential backoff with full jitter (a uniform wait in [0, min(cap, base * 2^attempt)]):
  // many clients that failed together do not come back together.
  void schedule_reconnect(bool slow) {
    std::chrono::milliseconds wait = cfg.auth_backoff;
    if (!slow) {
      const unsigned shift = std::min(attempt, 20u);
      const auto ceiling =
          std::min<std::int64_t>(cfg.backoff_max.count(), cfg.backoff_initial.count() << shift);
      std::uniform_int_distribution<std::int64_t> pick(0, std::max<std::int64_t>(ceiling, 1));
      wait = std::chrono::milliseconds(pick(rng));
    }
    ++attempt;
    retry_timer.expires_after(wait);
    retry_timer.async_wait([this](const boost::system::error_code& ec) {
      if (!ec) start_connect();
    });
  }

  //----------------------------------------------------------------------------------------------
  // Resync: a coroutine beside the read loop (resync.cpp). Frames read meanwhile are held and
  // published after its events (on_resync_done), so the strategy sees what it would have seen had
  // the resync been instant. One deadline covers all of it.

  // ResyncHost: called by the resync coroutine, on this thread.
  void publish(const OrderEvent& o) override {
    OrderEvent& slot = sink->claim();
    copy_wire_fields(slot, o);
    slot.recv_ts = now_ticks();
    if (journal != nullptr) (void)journal_event(*journal, slot, slot.recv_ts);  // exact bytes
    track(slot);
    sink->publish();
    n.events.add();
    n.resync_events.add();
  }
  void publish(const AssetEvent& a) override {
    OrderEvent& slot = sink->claim();
    store_asset(slot, a);
    slot.recv_ts = now_ticks();
    if (journal != nullptr) (void)journal_event(*journal, slot, slot.recv_ts);  // exact bytes
    sink->publish();
    n.events.add();
    n.resync_events.add();
  }
  void notice(const std::string& text) override { say(text); }
  std::int64_t newest_read_ms() const noexcept override { return read_until_ms; }

  // `stream_from_ms`: the exchange time of the first event the new connection delivered, or -1
  // when none came yet.
  void start_resync(std::int64_t stream_from_ms) {
    resyncing_flag.store(true, std::memory_order_relaxed);
    const std::int64_t now = wall_ms();
    // The margin covers events reordered around the last one read, created_at's whole seconds on
    // the exchange's side and, kept over clock_skew_max (the defaults), a stray stamp ahead as the
    // last event read.
    const Horizon h = closed_horizon(whole_until_ms, first_connect ? cfg.first_closed_since_ms : -1,
                                     cfg.closed_margin.count(), now);
    if (h.clamped) {
      n.resync_incomplete.add();
      say("RESYNC INCOMPLETE: closed orders are listed from " + std::to_string(h.since_ms) +
          " ms only (REST's 7-day window); orders closed before it and never seen open cannot "
          "be listed");
    }
    ResyncRequest req;
    req.since_ms = h.since_ms;
    req.until_ms = now + cfg.clock_skew_max.count();
    // "As of" in the exchange's clock where known (the newest plausible event), else local.
    req.as_of_ms = last_event_ms >= 0 ? last_event_ms : now;
    req.stream_from_ms = stream_from_ms;
    resyncer->start(req, [this](const ResyncOutcome& out) { on_resync_done(out); });
  }

  // Publishes the frames held meanwhile and acts on the outcome. A resync that failed or stopped
  // at a bound must not leave a gap until some later disconnect: the connection is dropped and the
  // whole chain, resync included, runs again after the backoff, which keeps growing (`attempt` is
  // reset only once a connection stayed whole for healthy_after). A connection that failed while
  // the resync ran is acted on now, after the events.
  void on_resync_done(const ResyncOutcome& out) {
    resyncing_flag.store(false, std::memory_order_relaxed);
    if (out.result == ResyncResult::ok) first_connect = false;
    hold.release([this](std::uint64_t ts, const char* data, std::size_t size) {
      recv_ts = ts;
      publish_frame(data, size);
    });
    return_free_memory();
    // A connection lost while its resync ran was whole until then: the resync covered what came
    // before it and the held frames (all read before the loss) what came after.
    if (out.result == ResyncResult::ok && !live)
      whole_until_ms = whole_until(last_read_ms, subscribed_ms);
    if (auto d = std::exchange(deferred_failure, std::nullopt)) {
      if (d->auth) return refused(d->was_live, d->what);
      return disconnected(d->was_live, d->stage.c_str(), d->what);
    }
    switch (out.result) {
      case ResyncResult::ok:
        if (live) {
          became_whole();
          link->resume();
        }
        return;
      case ResyncResult::incomplete:
        return fail("resync",
                    std::string("stopped at its bound: ") + std::string(to_string(out.bound)));
      case ResyncResult::failed:
        return fail("resync", "REST resynchronisation failed");
      case ResyncResult::auth_refused:
        return auth_failed("REST resync refused: " + out.detail);
    }
  }
};

//------------------------------------------------------------------------------------------------

LiveSource::LiveSource(LiveConfig config, Credentials credentials, JournalProducer* journal,
                       NoticeFn notice)
    : impl_(std::make_unique<Impl>(std::move(config), std::move(credentials), journal,
                                   std::move(notice))) {}

LiveSource::~LiveSource() = default;

void LiveSource::bind(EventSink sink) noexcept {
  impl_->sink.emplace(sink);
  // The first connection starts with the first poll, on the network thread.
  try {
    impl_->start_connect();
  } catch (const std::exception& e) {
    impl_->say(std::string("cannot start connecting: ") + e.what());
  }
}

SourceStatus LiveSource::poll_once() noexcept {
  try {
    std::size_t handled = 0;
    if (impl_->cfg.blocking) {
      // Sleep until something is ready, then run everything else that is ready without sleeping:
      // the frames of one socket read complete one handler each, and each run_one_for() call
      // costs a scheduler round trip of its own.
      handled = impl_->ioc.run_one_for(std::chrono::milliseconds(50));
      if (handled > 0) handled += impl_->ioc.poll();
    } else {
      handled = impl_->ioc.poll();
    }
    if (impl_->ioc.stopped()) impl_->ioc.restart();
    return handled > 0 ? SourceStatus::produced : SourceStatus::idle;
  } catch (...) {
    // Handlers report through fail(); anything escaping is a bug in a cold step: reconnect.
    // Saying so allocates, so it may throw in turn; the reconnect then comes from a later poll.
    try {
      const char* what = "unknown exception";
      try {
        throw;
      } catch (const std::exception& e) {
        what = e.what();
      } catch (...) {
      }
      impl_->say(std::string("network step failed: ") + what);
      impl_->fail("internal", what);
    } catch (...) {
    }
    return SourceStatus::idle;
  }
}

LiveCounters LiveSource::counters() const noexcept {
  return impl_->n.read();
}

bool LiveSource::connected() const noexcept {
  return impl_->connected_flag.load(std::memory_order_relaxed);
}

bool LiveSource::resyncing() const noexcept {
  return impl_->resyncing_flag.load(std::memory_order_relaxed);
}

const DecoderStats& LiveSource::decoder_stats() const noexcept {
  return impl_->decoder.stats();
}

}  // namespace fillwire
