// The live client against a misbehaving exchange (support/fake_exchange.hpp, real loopback
// sockets): endless and repeating REST pages, a resync that never ends, exchange times in the
// future or at zero, a server that drops every connection after its resync or keeps sending
// oversized frames, a frame trickled a byte at a time, pongs withheld, HTTP 429 and 418. Each test
// asserts what a user needs: the fill made during the gap is recovered, connects and requests stay
// within Upbit's limits, the bound is reported and counted.

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "fake_exchange.hpp"
#include "fillwire/account_state.hpp"
#include "fillwire/control_event.hpp"
#include "fillwire/live_source.hpp"
#include "fillwire/pipeline.hpp"
#include "live_run.hpp"
#include "order_json.hpp"
#include "server_frame.hpp"

namespace fillwire {
namespace {

using namespace std::chrono_literals;
using test::Clock;
using test::FakeExchange;
using test::FakeWs;
using test::HttpAnswer;
using test::HttpRequest;
using test::OrderSpec;
using test::server_frame;

std::int64_t wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// The strategy thread's view: the account, and every control event with its reason.
struct Recorder {
  AccountState state{AccountConfig{}};
  std::mutex m;
  std::vector<std::pair<ControlCode, std::string>> controls;
  void on_event(const OrderEvent& e) noexcept {
    if (e.kind == EventKind::control) {
      const std::lock_guard lock(m);
      controls.emplace_back(control_code(e), std::string(e.identifier.view()));
    }
    state.apply(e);
  }
  std::size_t count(ControlCode c, std::string_view reason = {}) {
    const std::lock_guard lock(m);
    return static_cast<std::size_t>(std::count_if(
        controls.begin(), controls.end(),
        [&](const auto& p) { return p.first == c && (reason.empty() || p.second == reason); }));
  }
};

LiveConfig config_for(const FakeExchange& fake) {
  LiveConfig lc;
  lc.url = fake.ws_url();
  lc.blocking = true;
  lc.seed = 7;
  lc.backoff_initial = 10ms;
  lc.backoff_max = 300ms;
  return lc;
}

// Runs one LiveSource until `done(counters)` or `limit` (test::run_live).
template <class Done>
test::LiveRun run(const LiveConfig& lc, Recorder& rec, std::chrono::milliseconds limit, Done done) {
  return test::run_live(lc, Credentials{"misbehaving-access", Secret("misbehaving-secret")}, rec,
                        limit, done, nullptr, 10ms);
}

// The same with the configuration config_for(fake).
template <class Done>
test::LiveRun run(const FakeExchange& fake, Recorder& rec, std::chrono::milliseconds limit,
                  Done done) {
  return run(config_for(fake), rec, limit, done);
}

using test::kForTheWholeLimit;

// The most time points that fall in any window of one second.
std::size_t most_in_a_second(const std::vector<Clock::time_point>& at) {
  std::size_t most = 0;
  for (const auto t : at) {
    most = std::max<std::size_t>(
        most, static_cast<std::size_t>(std::count_if(
                  at.begin(), at.end(), [t](auto u) { return u >= t && u < t + 1s; })));
  }
  return most;
}

std::vector<Clock::time_point> times_of(const std::vector<HttpRequest>& requests) {
  std::vector<Clock::time_point> at;
  for (const auto& r : requests)
    at.push_back(r.at);
  return at;
}

// A session that reads the subscription, sends `frame` and stays until the client leaves.
auto send_one_frame(std::string frame) {
  return [frame](FakeWs& ws, const HttpRequest&) {
    (void)ws.read_message(5s);
    ws.send(frame);
    ws.wait_closed(30s);
  };
}

// 100 orders per page `page` of /orders/open, each uuid new.
std::string open_page(unsigned page) {
  std::vector<OrderEvent> orders;
  char uuid[40];
  for (unsigned i = 0; i < 100; ++i) {
    std::snprintf(uuid, sizeof uuid, "%08x-0000-4000-8000-%012x", page, i);
    OrderSpec s;
    s.uuid = uuid;
    s.order_timestamp = wall_ms() - 1000;
    orders.push_back(test::order_event(s));
  }
  return test::rest_orders(orders);
}

unsigned page_of(const HttpRequest& r) {
  const auto at = r.query.find("page=");
  return at == std::string::npos ? 1u : static_cast<unsigned>(std::stoul(r.query.substr(at + 5)));
}

TEST(Misbehaving, EndlessOpenOrderPagesStopTheResyncAtItsPageBound) {
  FakeExchange fake;
  fake.on_ws(send_one_frame(test::my_order_frame(OrderSpec{})));
  fake.on_rest([](const HttpRequest& r) {
    if (r.path == "/v1/orders/open") return HttpAnswer(200, open_page(page_of(r)));
    return HttpAnswer(200, "[]");
  });
  LiveConfig lc = config_for(fake);
  lc.resync_max_pages = 5;
  Recorder rec;
  const test::LiveRun r =
      run(lc, rec, 5s, [](const LiveCounters& c) { return c.resync_incomplete >= 2; });
  EXPECT_GE(r.counters.resync_incomplete, 2u) << r.notices;
  EXPECT_EQ(r.counters.resyncs, 0u) << r.notices;
  EXPECT_NE(r.notices.find("RESYNC INCOMPLETE: stopped at its bound (pages) after 5 REST requests "
                           "and 500 orders"),
            std::string::npos)
      << r.notices;
  EXPECT_GE(rec.count(ControlCode::resync_incomplete, "pages"), 2u);
  EXPECT_EQ(rec.count(ControlCode::resynced), 0u);
  // Each resync asked at most 5 pages; the connection chain retried it.
  EXPECT_GE(r.counters.attempts, 2u);
  EXPECT_LE(fake.rest_requests().size(), 5 * fake.upgrades().size());
  EXPECT_LE(most_in_a_second(times_of(fake.rest_requests())), 30u);
}

TEST(Misbehaving, ARepeatingPageStopsTheResync) {
  FakeExchange fake;
  fake.on_ws(send_one_frame(test::my_order_frame(OrderSpec{})));
  fake.on_rest([](const HttpRequest& r) {
    if (r.path == "/v1/orders/open") return HttpAnswer(200, open_page(1));  // every page the same
    return HttpAnswer(200, "[]");
  });
  Recorder rec;
  const test::LiveRun r =
      run(fake, rec, 5s, [](const LiveCounters& c) { return c.resync_incomplete >= 1; });
  EXPECT_GE(r.counters.resync_incomplete, 1u) << r.notices;
  EXPECT_NE(r.notices.find("(repeating pages) after 2 REST requests"), std::string::npos)
      << r.notices;
  EXPECT_GE(r.counters.resync_duplicates, 100u);
}

// Endless pages, each answered late: the whole resync stops at its deadline, whatever the page
// bound, and nothing of it is published.
TEST(Misbehaving, AResyncThatNeverEndsStopsAtItsDeadline) {
  FakeExchange fake;
  fake.on_ws(send_one_frame(test::my_order_frame(OrderSpec{})));
  fake.on_rest([](const HttpRequest& r) {
    HttpAnswer a(200, r.path == "/v1/orders/open" ? open_page(page_of(r)) : "[]");
    a.delay = 100ms;
    return a;
  });
  LiveConfig lc = config_for(fake);
  lc.resync_timeout = 800ms;
  lc.resync_max_pages = 1'000'000;
  Recorder rec;
  const auto start = Clock::now();
  const test::LiveRun r =
      run(lc, rec, 6s, [](const LiveCounters& c) { return c.resync_incomplete >= 1; });
  const auto took = Clock::now() - start;
  EXPECT_GE(r.counters.resync_incomplete, 1u) << r.notices;
  EXPECT_NE(r.notices.find("stopped at its bound (deadline)"), std::string::npos) << r.notices;
  EXPECT_LT(took, 3s);
  // The stream's own order only: an incomplete resync publishes nothing of its 100s of orders.
  EXPECT_EQ(rec.state.open_order_count(), 1u);
  EXPECT_EQ(rec.count(ControlCode::resync_incomplete, "deadline"), 1u);
}

// One stream event stamped in the year 2100 and one at 0, before and after a reconnect; an order
// created and filled while the client was away. The far-future stamp must not move the point from
// which closed orders are asked (the exchange answers 400 to a window in the future), the zero
// stamp must not leave the missed fill to the stream: the fill is recovered.
TEST(Misbehaving, FutureAndZeroTimestampsDoNotHideAFillMadeDuringTheGap) {
  const std::int64_t t0 = wall_ms();
  OrderSpec resting;  // open all along, seen on the stream
  resting.uuid = "aaaaaaaa-0000-4000-8000-000000000001";
  resting.order_timestamp = t0 - 5000;
  resting.timestamp = t0 - 4000;
  OrderSpec future = resting;  // the same order, its event stamped in 2100
  future.timestamp = 4'102'444'800'000;
  OrderSpec zero = resting;
  zero.timestamp = 0;
  OrderSpec gap;  // created and filled while the client was away
  gap.uuid = "bbbbbbbb-0000-4000-8000-000000000002";
  gap.market = "KRW-ETH";
  gap.price = 5'000'000.0;
  gap.volume = 2.0;
  gap.state = OrderState::done;
  gap.executed_volume = 2.0;
  gap.trades_count = 1;
  std::atomic<int> sessions{0};
  std::atomic<std::int64_t> first_gone_ms{0};
  FakeExchange fake;
  fake.on_ws([&](FakeWs& ws, const HttpRequest&) {
    (void)ws.read_message(5s);
    if (sessions++ == 0) {
      ws.send(test::my_order_frame(resting));
      ws.sleep(700ms);  // the resync ends
      ws.send(test::my_order_frame(future));
      ws.sleep(200ms);
      first_gone_ms = wall_ms();
      ws.abort();
      return;
    }
    ws.send(test::my_order_frame(zero));
    ws.wait_closed(30s);
  });
  fake.on_rest([&](const HttpRequest& r) {
    const std::int64_t now = wall_ms();
    std::vector<OrderEvent> open{test::order_event(resting)};
    if (r.path == "/v1/orders/open") return HttpAnswer(200, test::rest_orders(open));
    if (r.path == "/v1/orders/uuids") return HttpAnswer(200, test::rest_orders(open));
    if (r.path == "/v1/orders/closed") {
      const auto at = r.query.find("start_time=");
      const std::int64_t start = std::stoll(r.query.substr(at + 11));
      if (start > now + 60'000) {
        return HttpAnswer(400, R"({"error":{"name":"validation_error","message":"start_time"}})");
      }
      std::vector<OrderEvent> closed;
      // created during the gap: one second after the first connection ended, at the latest now
      OrderSpec g = gap;
      g.order_timestamp = std::max<std::int64_t>(first_gone_ms.load(), t0) + 100;
      g.timestamp = g.order_timestamp + 50;
      if (sessions.load() >= 2 && g.order_timestamp >= start)
        closed.push_back(test::order_event(g));
      return HttpAnswer(200, test::rest_orders(closed));
    }
    if (r.path == "/v1/order") {
      OrderSpec g = gap;
      g.order_timestamp = std::max<std::int64_t>(first_gone_ms.load(), t0) + 100;
      g.timestamp = g.order_timestamp + 50;
      OrderSpec fill = g;
      fill.state = OrderState::trade;
      const OrderEvent t = test::order_event(fill);
      return HttpAnswer(200, test::rest_order(test::order_event(g), std::span(&t, 1)));
    }
    return HttpAnswer(200, "[]");
  });
  Recorder rec;
  const test::LiveRun r = run(fake, rec, 8s, [](const LiveCounters& c) { return c.resyncs >= 2; });
  EXPECT_EQ(r.counters.resyncs, 2u) << r.notices;
  EXPECT_EQ(r.counters.resync_failures, 0u) << r.notices;
  EXPECT_GE(r.counters.clock_skew, 2u) << "the 2100 and the zero stamps";
  const Order* filled = rec.state.find_order(test::order_event(gap).uuid);
  ASSERT_NE(filled, nullptr) << r.notices;
  EXPECT_TRUE(filled->terminal);
  EXPECT_DOUBLE_EQ(filled->executed_volume, 2.0);
  // Closed orders were asked from before the disconnect, never from the future.
  for (const HttpRequest& q : fake.rest_requests()) {
    if (q.path != "/v1/orders/closed") continue;
    const std::int64_t start = std::stoll(q.query.substr(q.query.find("start_time=") + 11));
    EXPECT_LE(start, first_gone_ms.load()) << q.query;
  }
}

// A server that sends data all the time but never answers a ping is not alive.
TEST(Misbehaving, AServerThatNeverPongsIsReplacedThoughDataFlows) {
  FakeExchange fake;
  fake.on_ws([](FakeWs& ws, const HttpRequest&) {
    ws.answer_pings(false);
    (void)ws.read_message(5s);
    OrderSpec s;
    for (int i = 0; i < 100 && !ws.peer_closed(); ++i) {
      s.timestamp = wall_ms();
      if (!ws.send(test::my_order_frame(s)) || !ws.sleep(50ms)) break;
    }
  });
  fake.on_rest([](const HttpRequest&) { return HttpAnswer(200, "[]"); });
  LiveConfig lc = config_for(fake);
  lc.ping_interval = 200ms;
  lc.pong_timeout = 300ms;
  Recorder rec;
  const test::LiveRun r =
      run(lc, rec, 5s, [](const LiveCounters& c) { return c.pong_timeouts >= 1; });
  EXPECT_GE(r.counters.pong_timeouts, 1u) << r.notices;
  EXPECT_NE(r.notices.find("disconnected at keep-alive: no pong within 300 ms"), std::string::npos)
      << r.notices;
}

// What RFC 6455 allows and upbit-sim never sends: a message in three fragments with a ping
// between two of them, a frame with its length in the 64-bit form, then the server's close. Each
// message is read whole, the ping answered with its payload, the close taken as the end of the
// connection (no protocol error).
TEST(Misbehaving, FragmentsPingsLongLengthsAndACloseAreReadAsTheRfcSays) {
  FakeExchange fake;
  std::atomic<std::uint64_t> pongs{0};
  std::string pong_payload;
  std::mutex m;
  OrderSpec a;
  a.uuid = "00000001-0000-4000-8000-000000000001";
  OrderSpec b;
  b.uuid = "00000001-0000-4000-8000-000000000002";
  std::atomic<int> sessions{0};
  fake.on_ws([&](FakeWs& ws, const HttpRequest&) {
    (void)ws.read_message(5s);
    if (sessions++ != 0) {  // the client's reconnect after the close: nothing more to say
      (void)ws.wait_closed(5s);
      return;
    }
    const std::string one = test::my_order_frame(a);
    std::string bytes;
    bytes += server_frame(0x2, std::string_view(one).substr(0, 10), {.fin = false});
    bytes += server_frame(0x9, "p-1");
    bytes += server_frame(0x0, std::string_view(one).substr(10, 100), {.fin = false});
    bytes += server_frame(0x0, std::string_view(one).substr(110));
    bytes += server_frame(0x2, test::my_order_frame(b), {.length_bytes = 8});
    if (!ws.send_raw(bytes) || !ws.sleep(500ms)) return;
    {
      const std::lock_guard lock(m);
      pong_payload = ws.last_pong();
    }
    pongs = ws.pongs_received();
    (void)ws.send_raw(server_frame(0x8, std::string("\x03\xE9", 2)));  // 1001, going away
    (void)ws.wait_closed(5s);
  });
  LiveConfig lc = config_for(fake);
  lc.resync = false;
  Recorder rec;
  const test::LiveRun r =
      run(lc, rec, 8s, [](const LiveCounters& c) { return c.disconnects >= 1; });
  EXPECT_EQ(r.counters.events, 2u) << r.notices;
  EXPECT_EQ(r.counters.decode_errors, 0u) << r.notices;
  EXPECT_EQ(r.counters.protocol_errors, 0u) << r.notices;
  EXPECT_NE(rec.state.find_order(test::order_event(a).uuid), nullptr);
  EXPECT_NE(rec.state.find_order(test::order_event(b).uuid), nullptr);
  EXPECT_GE(pongs.load(), 1u);
  {
    const std::lock_guard lock(m);
    EXPECT_EQ(pong_payload, "p-1");
  }
  EXPECT_NE(r.notices.find("the server closed the WebSocket (code 1001)"), std::string::npos)
      << r.notices;
}

// Frames no server may send: masked, with a reserved bit, a fragmented ping, an unknown opcode.
// Each resets the connection, said and counted as a protocol error; the client connects again.
TEST(Misbehaving, FramesAgainstTheRfcResetTheConnectionAndAreCounted) {
  FakeExchange fake;
  std::atomic<int> session{0};
  fake.on_ws([&](FakeWs& ws, const HttpRequest&) {
    (void)ws.read_message(5s);
    const std::string order = test::my_order_frame(OrderSpec{});
    switch (session++) {
      case 0:
        (void)ws.send_raw(server_frame(0x2, order, {.masked = true}));
        break;
      case 1:
        (void)ws.send_raw(server_frame(0x2, order, {.reserved = 0x40}));
        break;
      case 2:
        (void)ws.send_raw(server_frame(0x9, "x", {.fin = false}));
        break;
      default:
        (void)ws.send_raw(server_frame(0x3, order));
        break;
    }
    (void)ws.wait_closed(5s);
  });
  LiveConfig lc = config_for(fake);
  lc.resync = false;
  lc.backoff_initial = 1ms;
  lc.backoff_max = 5ms;
  Recorder rec;
  const test::LiveRun r =
      run(lc, rec, 15s, [](const LiveCounters& c) { return c.protocol_errors >= 4; });
  EXPECT_GE(r.counters.protocol_errors, 4u) << r.notices;
  EXPECT_EQ(r.counters.events, 0u) << r.notices;
  for (const char* why : {"a masked frame from the server", "reserved bits set",
                          "a fragmented or long control frame", "an unknown opcode"}) {
    EXPECT_NE(r.notices.find(std::string("WebSocket protocol error: ") + why), std::string::npos)
        << why << "\n"
        << r.notices;
  }
}

// One frame, a byte every 100 ms: bytes keep coming, but the frame is never whole in time.
TEST(Misbehaving, AFrameTrickledAByteAtATimeIsDroppedAtTheFrameDeadline) {
  FakeExchange fake;
  fake.on_ws([](FakeWs& ws, const HttpRequest&) {
    (void)ws.read_message(5s);
    ws.trickle(FakeWs::frame_bytes(test::my_order_frame(OrderSpec{})), 100ms);
  });
  LiveConfig lc = config_for(fake);
  lc.resync = false;
  lc.frame_timeout = 600ms;
  Recorder rec;
  const auto start = Clock::now();
  const test::LiveRun r =
      run(lc, rec, 8s, [](const LiveCounters& c) { return c.stalled_frames >= 1; });
  EXPECT_GE(r.counters.stalled_frames, 1u) << r.notices;
  EXPECT_LT(Clock::now() - start, 4s);
  EXPECT_NE(r.notices.find("a frame was not whole within 600 ms"), std::string::npos) << r.notices;
}

// After each resync the server sends a frame over the limit: the connection drops every time,
// and the backoff keeps growing (it starts over only after a connection stayed whole for
// healthy_after), within 5 connects in any second.
TEST(Misbehaving, OversizedFramesAfterEachResyncMeetAGrowingBackoff) {
  FakeExchange fake;
  fake.on_ws([](FakeWs& ws, const HttpRequest&) {
    (void)ws.read_message(5s);
    ws.send(test::my_order_frame(OrderSpec{}));
    ws.sleep(100ms);
    ws.send(std::string(100 * 1024, 'x'));
    ws.wait_closed(5s);
  });
  fake.on_rest([](const HttpRequest&) { return HttpAnswer(200, "[]"); });
  LiveConfig lc = config_for(fake);
  lc.backoff_max = 2000ms;
  Recorder rec;
  const test::LiveRun r = run(lc, rec, 6s, kForTheWholeLimit);
  const auto accepts = times_of(fake.upgrades());
  EXPECT_GE(r.counters.oversized, 3u) << r.notices;
  EXPECT_GE(r.counters.resyncs, 3u) << r.notices;
  EXPECT_LE(most_in_a_second(accepts), 5u);
  // Starting over after every resync gave about 8 connects a second here.
  EXPECT_LE(accepts.size(), 14u) << r.notices;
}

TEST(Misbehaving, ConnectsAreCountedPerProcessWithinFiveASecond) {
  FakeExchange fake;
  fake.on_ws([](FakeWs& ws, const HttpRequest&) {
    (void)ws.read_message(2s);
    ws.close();
  });
  LiveConfig lc = config_for(fake);
  lc.resync = false;
  lc.backoff_initial = 1ms;
  lc.backoff_max = 1ms;
  Recorder a;
  Recorder b;
  test::LiveRun rb;
  std::thread other([&] { rb = run(lc, b, 3s, kForTheWholeLimit); });
  const test::LiveRun ra = run(lc, a, 3s, kForTheWholeLimit);
  other.join();
  const auto accepts = fake.connections();
  std::string at;
  for (const auto t : accepts)
    at += std::to_string((t - accepts.front()) / 1ms) + " ";
  EXPECT_GE(accepts.size(), 8u) << ra.notices;
  EXPECT_LE(most_in_a_second(accepts), 5u) << at;
  EXPECT_GT(ra.counters.connects_delayed + rb.counters.connects_delayed, 0u);
}

TEST(Misbehaving, Http429DuringTheResyncWaitsForRetryAfter) {
  std::atomic<int> opens{0};
  FakeExchange fake;
  fake.on_ws(send_one_frame(test::my_order_frame(OrderSpec{})));
  fake.on_rest([&](const HttpRequest& r) {
    if (r.path == "/v1/orders/open" && opens++ == 0) {
      return HttpAnswer(429, R"({"error":{"name":"too_many_requests","message":"Too many"}})",
                        {{"Retry-After", "1"}});
    }
    return HttpAnswer(200, "[]");
  });
  Recorder rec;
  const test::LiveRun r = run(fake, rec, 5s, [](const LiveCounters& c) { return c.resyncs >= 1; });
  EXPECT_EQ(r.counters.resyncs, 1u) << r.notices;
  EXPECT_EQ(r.counters.rest_throttled, 1u);
  EXPECT_EQ(rec.count(ControlCode::rate_limited, "HTTP 429"), 1u);
  const auto reqs = fake.rest_requests();
  ASSERT_GE(reqs.size(), 2u);
  EXPECT_GE(reqs[1].at - reqs[0].at, 950ms);
}

// 418 at the upgrade: nothing is sent to the exchange until Retry-After has passed.
TEST(Misbehaving, Http418AtTheUpgradeStopsEveryConnectUntilRetryAfter) {
  std::atomic<int> upgrades{0};
  FakeExchange fake;
  fake.on_upgrade([&](const HttpRequest&) -> std::optional<HttpAnswer> {
    if (upgrades++ == 0) {
      return HttpAnswer(418, R"({"error":{"name":"banned","message":"I'm a teapot"}})",
                        {{"Retry-After", "2"}});
    }
    return std::nullopt;
  });
  LiveConfig lc = config_for(fake);
  lc.resync = false;
  Recorder rec;
  const test::LiveRun r = run(lc, rec, 4s, [](const LiveCounters& c) { return c.connects >= 1; });
  EXPECT_EQ(r.counters.rest_banned, 1u) << r.notices;
  EXPECT_EQ(r.counters.connects, 1u) << r.notices;
  EXPECT_NE(r.notices.find("BANNED by the exchange (HTTP 418 at the upgrade)"), std::string::npos)
      << r.notices;
  EXPECT_EQ(rec.count(ControlCode::rate_limited, "HTTP 418"), 1u);
  const auto accepts = fake.connections();
  ASSERT_GE(accepts.size(), 2u);
  EXPECT_GE(accepts[1] - accepts[0], 1950ms);
}

// The upgrade's answer is read within 16 KiB (8 KiB of head, 8 KiB of body): a huge header on a
// 101, or a huge error body, fails the handshake at its bound, is retried with backoff, and none
// of the server's text reaches a notice.
TEST(Misbehaving, AnUpgradeAnswerOverItsBoundFailsTheHandshakeAndIsRetried) {
  for (const bool huge_header : {true, false}) {
    SCOPED_TRACE(huge_header ? "a 101 with a 64 KiB header" : "a 503 with a 1 MiB body");
    FakeExchange fake;
    fake.on_upgrade([&](const HttpRequest&) -> std::optional<HttpAnswer> {
      if (huge_header) return HttpAnswer(101, {}, {{"X-Filler", std::string(64 * 1024, 'h')}});
      return HttpAnswer(503, std::string(1024 * 1024, 'b'));
    });
    LiveConfig lc = config_for(fake);
    lc.resync = false;
    Recorder rec;
    const test::LiveRun r = run(lc, rec, 5s, [](const LiveCounters& c) { return c.attempts >= 3; });
    EXPECT_GE(r.counters.attempts, 3u) << r.notices;
    EXPECT_EQ(r.counters.connects, 0u) << r.notices;
    EXPECT_NE(r.notices.find("websocket handshake"), std::string::npos) << r.notices;
    EXPECT_NE(r.notices.find(huge_header ? "header limit exceeded" : "body limit exceeded"),
              std::string::npos)
        << r.notices;
    EXPECT_EQ(r.notices.find(huge_header ? "hhhh" : "bbbb"), std::string::npos) << r.notices;
  }
}

// 418 from REST during a resync: the resync stops (banned) and neither a connect nor a request
// goes out until Retry-After has passed.
TEST(Misbehaving, Http418FromRestStopsTheResyncAndEverythingUntilRetryAfter) {
  std::atomic<int> opens{0};
  FakeExchange fake;
  fake.on_ws(send_one_frame(test::my_order_frame(OrderSpec{})));
  fake.on_rest([&](const HttpRequest& r) {
    if (r.path == "/v1/orders/open" && opens++ == 0)
      return HttpAnswer(418, "{}", {{"Retry-After", "2"}});
    return HttpAnswer(200, "[]");
  });
  Recorder rec;
  const test::LiveRun r = run(fake, rec, 6s, [](const LiveCounters& c) { return c.resyncs >= 1; });
  EXPECT_EQ(r.counters.rest_banned, 1u) << r.notices;
  EXPECT_EQ(r.counters.resyncs, 1u) << r.notices;
  EXPECT_GE(rec.count(ControlCode::resync_incomplete, "banned"), 1u);
  const auto banned_at = fake.rest_requests().front().at;
  for (const auto t : fake.connections()) {
    EXPECT_TRUE(t < banned_at || t >= banned_at + 1950ms);
  }
  for (const HttpRequest& q : fake.rest_requests()) {
    EXPECT_TRUE(q.at == banned_at || q.at >= banned_at + 1950ms);
  }
}

// Error bodies built to hurt: 15 MB, newlines that would forge log lines, an escape sequence,
// and the request's own Authorization header echoed back. Notices stay one capped line with no
// token in it; the 15 MB answer is refused at rest_max_body_bytes, never held whole.
TEST(Misbehaving, HugeAndHostileRestErrorBodiesNeverReachANoticeRaw) {
  std::atomic<int> opens{0};
  FakeExchange fake;
  fake.on_ws(send_one_frame(test::my_order_frame(OrderSpec{})));
  fake.on_rest([&](const HttpRequest& r) {
    if (r.path != "/v1/orders/open") return HttpAnswer(200, "[]");
    if (opens++ % 2 == 0) {
      const std::string echo = r.header("Authorization");
      return HttpAnswer(400, R"({"error":{"name":"bad
2026-12-06 00:00:00.000 info FORGED","message":")" +
                                 echo + "\u001b[2J" + std::string(5000, 'A') + R"("}})");
    }
    return HttpAnswer(503, std::string(15u << 20, 'x'));
  });
  Recorder rec;
  const test::LiveRun r =
      run(fake, rec, 6s, [](const LiveCounters& c) { return c.resync_failures >= 2; });
  ASSERT_GE(r.counters.resync_failures, 2u) << r.notices;
  EXPECT_NE(r.notices.find("RESYNC FAILED: /orders/open answered HTTP 400"), std::string::npos)
      << r.notices;
  EXPECT_NE(r.notices.find("body limit exceeded"), std::string::npos) << r.notices;
  EXPECT_EQ(r.notices.find("eyJ"), std::string::npos) << "a token echoed by the server";
  EXPECT_EQ(r.notices.find("misbehaving-access"), std::string::npos) << "the access key";
  EXPECT_EQ(r.notices.find('\x1b'), std::string::npos);
  EXPECT_EQ(r.notices.find("\n2026-12-06"), std::string::npos) << "a forged log line";
  std::size_t start = 0;
  for (std::size_t end; (end = r.notices.find('\n', start)) != std::string::npos; start = end + 1)
    EXPECT_LE(end - start, 4200u) << "a notice is one capped line";
}

// An IPv6 literal URL connects (the host for the resolver without brackets, in them in the Host
// header).
TEST(Misbehaving, Ipv6LoopbackUrlConnects) {
  std::unique_ptr<FakeExchange> fake;
  try {
    FakeExchange::Options o;
    o.address = "::1";
    fake = std::make_unique<FakeExchange>(o);
  } catch (const std::exception& e) {
    GTEST_SKIP() << "no IPv6 loopback here: " << e.what();
  }
  fake->on_ws(send_one_frame(test::my_order_frame(OrderSpec{})));
  fake->on_rest([](const HttpRequest&) { return HttpAnswer(200, "[]"); });
  LiveConfig lc = config_for(*fake);
  EXPECT_EQ(lc.url.rfind("ws://[::1]:", 0), 0u) << lc.url;
  Recorder rec;
  const test::LiveRun r = run(lc, rec, 5s, [](const LiveCounters& c) { return c.resyncs >= 1; });
  EXPECT_EQ(r.counters.connects, 1u) << r.notices;
  EXPECT_EQ(r.counters.resyncs, 1u) << r.notices;
  ASSERT_FALSE(fake->upgrades().empty());
  EXPECT_EQ(fake->upgrades()[0].header("Host"), "[::1]:" + std::to_string(fake->port()));
}

}  // namespace
}  // namespace fillwire
