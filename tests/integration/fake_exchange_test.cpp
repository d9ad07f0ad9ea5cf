// FakeExchange (tests/support/fake_exchange.hpp) driven by plain Beast clients over real loopback
// sockets, one behaviour per test; and the order JSON helpers read back by the engine's decoders.

#include <gtest/gtest.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>

#include <atomic>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "fake_exchange.hpp"
#include "fillwire/account_state.hpp"
#include "fillwire/decoder.hpp"
#include "fillwire/detail/rest_orders.hpp"
#include "fillwire/live_source.hpp"
#include "fillwire/pipeline.hpp"
#include "frames.hpp"
#include "order_json.hpp"
#include "wait.hpp"

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;
using fillwire::test::FakeExchange;
using fillwire::test::FakeWs;
using fillwire::test::HttpAnswer;
using fillwire::test::HttpRequest;
using namespace std::chrono_literals;
using Ms = std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

// Starts `start(done)` and runs the io_context until done or `timeout` (then cancels the socket and
// reports timed_out).
template <class Socket, class Start>
beast::error_code run(asio::io_context& ioc, Socket& sock, Start start, Ms timeout) {
  beast::error_code result;
  bool finished = false;
  start([&](beast::error_code ec, auto&&...) {
    result = ec;
    finished = true;
  });
  ioc.restart();
  ioc.run_for(timeout);
  if (finished) return result;
  beast::error_code ignored;
  sock.cancel(ignored);
  ioc.restart();
  ioc.run_for(1s);
  return asio::error::timed_out;
}

// A Beast WebSocket client; every operation bounded.
struct WsClient {
  asio::io_context ioc;
  websocket::stream<tcp::socket> ws{ioc};
  websocket::response_type response;
  beast::flat_buffer buffer;
  std::vector<std::string> pongs;

  beast::error_code connect(const FakeExchange& fake,
                            std::string_view path = "/websocket/v1/private",
                            const std::string& address = "127.0.0.1") {
    beast::error_code ec;
    ws.next_layer().connect({asio::ip::make_address(address), fake.port()}, ec);
    if (ec) return ec;
    ws.set_option(websocket::stream_base::decorator([](websocket::request_type& req) {
      req.set(http::field::authorization, "Bearer test-token");
    }));
    ws.control_callback([this](websocket::frame_type kind, beast::string_view payload) {
      if (kind == websocket::frame_type::pong) pongs.emplace_back(payload);
    });
    return run(
        ioc, ws.next_layer(),
        [&](auto done) { ws.async_handshake(response, "localhost", std::string(path), done); }, 5s);
  }
  beast::error_code read(std::string& out, Ms timeout = 5s) {
    buffer.clear();
    const auto ec = run(
        ioc, ws.next_layer(), [&](auto done) { ws.async_read(buffer, done); }, timeout);
    out = beast::buffers_to_string(buffer.data());
    return ec;
  }
  beast::error_code write(const std::string& text) {
    ws.text(true);
    return run(
        ioc, ws.next_layer(), [&](auto done) { ws.async_write(asio::buffer(text), done); }, 5s);
  }
  beast::error_code ping(const char* payload) {
    return run(
        ioc, ws.next_layer(),
        [&](auto done) { ws.async_ping(websocket::ping_data(payload), done); }, 5s);
  }
};

// A Beast HTTP/1.1 client on one keep-alive connection.
struct HttpClient {
  asio::io_context ioc;
  tcp::socket sock{ioc};
  beast::flat_buffer buffer;

  explicit HttpClient(const FakeExchange& fake, const std::string& address = "127.0.0.1") {
    sock.connect({asio::ip::make_address(address), fake.port()});
  }
  beast::error_code get(const std::string& target, http::response<http::string_body>& out,
                        Ms timeout = 5s) {
    http::request<http::empty_body> req{http::verb::get, target, 11};
    req.set(http::field::host, "localhost");
    req.set(http::field::authorization, "Bearer secret-jwt");
    req.keep_alive(true);
    auto ec = run(
        ioc, sock, [&](auto done) { http::async_write(sock, req, done); }, timeout);
    if (ec) return ec;
    http::response_parser<http::string_body> parser;
    parser.body_limit(32u << 20);
    ec = run(
        ioc, sock, [&](auto done) { http::async_read(sock, buffer, parser, done); }, timeout);
    out = parser.release();
    return ec;
  }
};

// ---- WebSocket ------------------------------------------------------------------------------

TEST(FakeExchange, AcceptsTheUpgradeAndCarriesFramesBothWays) {
  FakeExchange fake;
  std::atomic<bool> got_subscribe{false};
  fake.on_ws([&](FakeWs& ws, const HttpRequest&) {
    const auto m = ws.read_message(3s);
    got_subscribe = m && *m == R"([{"ticket":"t"},{"type":"myOrder"}])";
    ws.send(R"({"status":"UP"})");  // binary, as the exchange sends
  });                               // returning closes with 1000
  WsClient c;
  ASSERT_FALSE(c.connect(fake));
  EXPECT_EQ(c.response.result_int(), 101u);
  ASSERT_FALSE(c.write(R"([{"ticket":"t"},{"type":"myOrder"}])"));
  std::string m;
  ASSERT_FALSE(c.read(m));
  EXPECT_EQ(m, R"({"status":"UP"})");
  EXPECT_TRUE(c.ws.got_binary());
  EXPECT_EQ(c.read(m), websocket::error::closed);
  EXPECT_EQ(c.ws.reason().code, websocket::close_code::normal);
  EXPECT_TRUE(got_subscribe);
  ASSERT_EQ(fake.upgrades().size(), 1u);
  EXPECT_EQ(fake.upgrades()[0].path, "/websocket/v1/private");
  EXPECT_EQ(fake.upgrades()[0].header("AUTHORIZATION"), "Bearer test-token");
  EXPECT_EQ(fake.connections().size(), 1u);
  EXPECT_TRUE(fake.rest_requests().empty());
}

TEST(FakeExchange, RefusesTheUpgradeWithRetryAfter) {
  for (const unsigned status : {429u, 418u}) {
    FakeExchange fake;
    fake.on_upgrade([status](const HttpRequest&) -> std::optional<HttpAnswer> {
      return HttpAnswer{
          status, R"({"error":{"name":"too_many_requests"}})", {{"Retry-After", "7"}}};
    });
    std::atomic<bool> session{false};
    fake.on_ws([&](FakeWs&, const HttpRequest&) { session = true; });
    WsClient c;
    EXPECT_EQ(c.connect(fake), websocket::error::upgrade_declined);
    EXPECT_EQ(c.response.result_int(), status);
    EXPECT_EQ(c.response["Retry-After"], "7");
    EXPECT_EQ(c.response.body(), R"({"error":{"name":"too_many_requests"}})");
    EXPECT_FALSE(session);
    EXPECT_EQ(fake.upgrades().size(), 1u);
  }
}

TEST(FakeExchange, AnswersPingsUnlessToldNotTo) {
  for (const bool answer : {true, false}) {
    FakeExchange fake;
    std::atomic<std::uint64_t> pings{0};
    fake.on_ws([&](FakeWs& ws, const HttpRequest&) {
      ws.answer_pings(answer);
      while (ws.sleep(10ms))
        pings = ws.pings_received();
    });
    WsClient c;
    ASSERT_FALSE(c.connect(fake));
    ASSERT_FALSE(c.ping("p1"));
    std::string m;
    EXPECT_EQ(c.read(m, 400ms), asio::error::timed_out);  // no data; a pong would be seen meanwhile
    EXPECT_EQ(pings.load(), 1u);
    if (answer) {
      EXPECT_EQ(c.pongs, std::vector<std::string>{"p1"});
    } else {
      EXPECT_TRUE(c.pongs.empty());
    }
  }
}

TEST(FakeExchange, TricklesAFrameByteByByte) {
  FakeExchange fake;
  fake.on_ws([](FakeWs& ws, const HttpRequest&) {
    ws.trickle(FakeWs::frame_bytes("hello"), 100ms);  // 7 bytes: 6 pauses
    ws.wait_closed(5s);
  });
  WsClient c;
  ASSERT_FALSE(c.connect(fake));
  const auto t0 = Clock::now();
  std::string m;
  ASSERT_FALSE(c.read(m, 5s));
  EXPECT_EQ(m, "hello");
  EXPECT_GE(Clock::now() - t0, 550ms);
}

TEST(FakeExchange, FramesCanLieAboutTheirLength) {
  FakeExchange fake;
  fake.on_ws([](FakeWs& ws, const HttpRequest& up) {
    if (up.path == "/short") {
      ws.send_raw(FakeWs::frame_bytes("abcdef", true, 3));  // "def" then reads as a bad header
    } else {
      ws.send_raw(FakeWs::frame_bytes("x", true, std::uint64_t{1} << 30));  // claims 1 GiB
    }
    ws.wait_closed(5s);
  });
  {
    WsClient c;
    ASSERT_FALSE(c.connect(fake, "/short"));
    std::string m;
    ASSERT_FALSE(c.read(m));
    EXPECT_EQ(m, "abc");
    EXPECT_EQ(c.read(m), websocket::condition::protocol_violation);  // "def" is no header
  }
  {
    WsClient c;
    c.ws.read_message_max(64 * 1024);
    ASSERT_FALSE(c.connect(fake, "/huge"));
    std::string m;
    EXPECT_EQ(c.read(m), websocket::error::message_too_big);
  }
}

TEST(FakeExchange, AbortResetsTheConnection) {
  FakeExchange fake;
  fake.on_ws([](FakeWs& ws, const HttpRequest&) { ws.abort(); });
  WsClient c;
  ASSERT_FALSE(c.connect(fake));
  std::string m;
  EXPECT_EQ(c.read(m), asio::error::connection_reset);
}

// ---- REST -----------------------------------------------------------------------------------

TEST(FakeExchange, AnswersRestOnOneKeepAliveConnection) {
  FakeExchange fake;
  fake.on_rest([](const HttpRequest& r) {
    HttpAnswer a{200, "[" + r.query + "]", {{"Remaining-Req", "group=default; min=1800; sec=29"}}};
    if (r.path == "/v1/order") a.delay = 200ms;
    if (r.path == "/v1/orders/closed") a.close = true;
    return a;
  });
  HttpClient c(fake);
  http::response<http::string_body> res;
  ASSERT_FALSE(c.get("/v1/orders/open?states[]=wait&states[]=watch&page=1&limit=100", res));
  EXPECT_EQ(res.result_int(), 200u);
  EXPECT_EQ(res.body(), "[states[]=wait&states[]=watch&page=1&limit=100]");
  EXPECT_EQ(res["Remaining-Req"], "group=default; min=1800; sec=29");
  EXPECT_TRUE(res.keep_alive());
  const auto t0 = Clock::now();
  ASSERT_FALSE(c.get("/v1/order?uuid=u1", res));
  EXPECT_GE(Clock::now() - t0, 200ms);
  EXPECT_EQ(res.body(), "[uuid=u1]");
  ASSERT_FALSE(c.get("/v1/orders/closed?limit=1000", res));
  EXPECT_FALSE(res.keep_alive());
  EXPECT_EQ(c.get("/v1/orders/open?page=2", res), http::error::end_of_stream);  // server closed

  EXPECT_EQ(fake.connections().size(), 1u);
  const auto reqs = fake.rest_requests();
  ASSERT_EQ(reqs.size(), 3u);
  EXPECT_EQ(reqs[0].path, "/v1/orders/open");
  EXPECT_EQ(reqs[1].target, "/v1/order?uuid=u1");
  EXPECT_EQ(reqs[2].header("authorization"), "Bearer secret-jwt");
  EXPECT_TRUE(fake.upgrades().empty());
}

TEST(FakeExchange, SendsHostileAndHugeErrorBodies) {
  FakeExchange fake;
  fake.on_rest([](const HttpRequest& r) {
    if (r.path == "/v1/huge") return HttpAnswer{500, std::string(15u << 20, 'x')};
    return HttpAnswer{
        429, "line\nbreak \x1b[31mred\x1b[0m " + r.header("Authorization"), {{"Retry-After", "2"}}};
  });
  HttpClient c(fake);
  http::response<http::string_body> res;
  ASSERT_FALSE(c.get("/v1/orders/open", res));
  EXPECT_EQ(res.result_int(), 429u);
  EXPECT_EQ(res["Retry-After"], "2");
  EXPECT_EQ(res.body(), "line\nbreak \x1b[31mred\x1b[0m Bearer secret-jwt");
  ASSERT_FALSE(c.get("/v1/huge", res));
  EXPECT_EQ(res.result_int(), 500u);
  EXPECT_EQ(res.body().size(), 15u << 20);
}

// ---- Both -----------------------------------------------------------------------------------

TEST(FakeExchange, ServesIpv6Loopback) {
  std::unique_ptr<FakeExchange> fake;
  try {
    fake = std::make_unique<FakeExchange>(FakeExchange::Options{"::1"});
  } catch (const std::exception& e) {
    GTEST_SKIP() << "no IPv6 loopback: " << e.what();
  }
  EXPECT_EQ(fake->ws_url(), "ws://[::1]:" + std::to_string(fake->port()) + "/websocket/v1/private");
  EXPECT_EQ(fake->rest_url(), "http://[::1]:" + std::to_string(fake->port()) + "/v1");
  fake->on_ws([](FakeWs& ws, const HttpRequest&) { ws.send("v6"); });
  fake->on_rest([](const HttpRequest&) { return HttpAnswer{200, "[]"}; });
  WsClient w;
  ASSERT_FALSE(w.connect(*fake, "/websocket/v1/private", "::1"));
  std::string m;
  ASSERT_FALSE(w.read(m));
  EXPECT_EQ(m, "v6");
  HttpClient h(*fake, "::1");
  http::response<http::string_body> res;
  ASSERT_FALSE(h.get("/v1/orders/open", res));
  EXPECT_EQ(res.body(), "[]");
}

TEST(FakeExchange, StopsInBoundedTimeWhileClientsNeverRead) {
  auto fake = std::make_unique<FakeExchange>();
  std::atomic<int> frames_sent{0};
  fake->on_ws([&](FakeWs& ws, const HttpRequest&) {
    const std::string big(1 << 20, 'y');
    while (ws.send(big))
      ++frames_sent;
  });
  fake->on_rest([](const HttpRequest&) { return HttpAnswer{200, std::string(15u << 20, 'z')}; });
  WsClient w;
  ASSERT_FALSE(w.connect(*fake));
  asio::io_context ioc;
  tcp::socket rest(ioc);
  rest.connect({asio::ip::make_address("127.0.0.1"), fake->port()});
  asio::write(rest, asio::buffer(std::string("GET /v1/orders/open HTTP/1.1\r\nHost: x\r\n\r\n")));
  ASSERT_TRUE(fake->wait_rest_requests(1, 2s));
  // Time for both writers to block on full socket buffers (not observable from here).
  std::this_thread::sleep_for(300ms);
  const auto t0 = Clock::now();
  fake.reset();
  EXPECT_LT(Clock::now() - t0, 1s);
  EXPECT_GT(frames_sent.load(), 0);
}

TEST(FakeExchange, RefusesConnectionsOverItsCap) {
  FakeExchange fake;
  asio::io_context ioc;
  std::vector<tcp::socket> socks;
  for (std::size_t i = 0; i <= FakeExchange::kMaxConnections; ++i) {
    socks.emplace_back(ioc);
    socks.back().connect({asio::ip::make_address("127.0.0.1"), fake.port()});
  }
  (void)fillwire::test::wait_until(
      [&] { return fake.connections().size() > FakeExchange::kMaxConnections; }, 3s);
  EXPECT_EQ(fake.connections().size(), FakeExchange::kMaxConnections + 1);
  EXPECT_EQ(fake.refused_connections(), 1u);
}

// ---- The live client ------------------------------------------------------------------------

struct Account {
  fillwire::AccountState state{fillwire::AccountConfig{}};
  void on_event(const fillwire::OrderEvent& e) noexcept { state.apply(e); }
};

// The fake is a peer the real client can talk to: upgrade, subscribe, one frame, REST resync.
TEST(FakeExchange, TheLiveClientSubscribesAndResyncsAgainstIt) {
  fillwire::test::OrderSpec streamed;  // seen on the stream
  fillwire::test::OrderSpec rested;    // only in the resync's answer
  rested.uuid = "22222222-0000-4000-8000-000000000002";
  rested.market = "KRW-ETH";
  rested.price = 5'000'000.0;
  const std::vector<fillwire::OrderEvent> open{fillwire::test::order_event(streamed),
                                               fillwire::test::order_event(rested)};
  FakeExchange fake;
  std::atomic<bool> subscribed{false};
  fake.on_ws([&](FakeWs& ws, const HttpRequest&) {
    const auto sub = ws.read_message(5s);
    subscribed = sub && sub->find("myOrder") != std::string::npos;
    ws.send(fillwire::test::my_order_frame(streamed));
    ws.wait_closed(10s);
  });
  fake.on_rest([&](const HttpRequest& r) {
    if (r.path == "/v1/orders/open" && r.query.find("page=1&") != std::string::npos)
      return HttpAnswer(200, fillwire::test::rest_orders(open));
    if (r.path == "/v1/orders/uuids") return HttpAnswer(200, fillwire::test::rest_orders(open));
    return HttpAnswer(200, "[]");
  });

  fillwire::LiveConfig lc;
  lc.url = fake.ws_url();
  lc.blocking = true;
  lc.seed = 1;
  fillwire::LiveSource source(lc, fillwire::Credentials{"access", fillwire::Secret("secret")});
  Account account;
  fillwire::Pipeline<Account> pipeline(account, fillwire::PipelineConfig{});
  pipeline.start(source);
  (void)fillwire::test::wait_until([&] { return source.counters().resyncs != 0; }, 10s, 20ms);
  pipeline.stop();

  EXPECT_TRUE(subscribed);
  EXPECT_EQ(source.counters().resyncs, 1u);
  EXPECT_EQ(account.state.open_order_count(), 2u);
  ASSERT_FALSE(fake.upgrades().empty());
  EXPECT_EQ(fake.upgrades()[0].header("Authorization").rfind("Bearer ey", 0), 0u);
  const auto reqs = fake.rest_requests();
  ASSERT_FALSE(reqs.empty());
  EXPECT_EQ(reqs[0].path, "/v1/orders/open");
  EXPECT_EQ(reqs[0].header("Authorization").rfind("Bearer ey", 0), 0u);
}

// ---- Order JSON -----------------------------------------------------------------------------

TEST(OrderJson, StreamFrameAndRestObjectCarryTheSameOrder) {
  fillwire::test::OrderSpec spec;
  spec.uuid = "0b1c2d3e-4f50-4162-8374-8596a7b8c9d0";
  spec.state = fillwire::OrderState::trade;
  spec.price = 50'000'000.0;
  spec.volume = 0.5;
  spec.executed_volume = 0.2;
  spec.order_timestamp = 1'764'000'000'000;
  spec.timestamp = 1'764'000'123'456;
  const fillwire::OrderEvent e = fillwire::test::order_event(spec);

  fillwire::Decoder d;
  fillwire::OrderEvent frame{};
  const auto r = fillwire::test::decode_one(d, fillwire::test::my_order_frame(spec), frame);
  ASSERT_TRUE(r.error.ok());
  EXPECT_EQ(frame.state, fillwire::OrderState::trade);
  EXPECT_EQ(frame.volume, 0.2);  // the trade's volume
  EXPECT_EQ(frame.executed_funds, 10'000'000.0);
  EXPECT_EQ(frame.paid_fee, 5'000.0);
  EXPECT_EQ(frame.remaining_volume, 0.3);
  EXPECT_EQ(frame.locked, 0.3 * 50'000'000.0 + (12'500.0 - 5'000.0));
  EXPECT_EQ(frame.trade_timestamp, 1'764'000'123'456);
  EXPECT_EQ(frame.timestamp, 1'764'000'123'456);

  const std::vector<fillwire::OrderEvent> trades{e};
  const auto one = fillwire::parse_rest_order_trades(fillwire::test::rest_order(e, trades), 7);
  ASSERT_TRUE(one.ok()) << one.error;
  EXPECT_EQ(one.order.uuid, e.uuid);
  EXPECT_EQ(one.order.state, fillwire::OrderState::wait);  // REST has no trade state
  EXPECT_EQ(one.order.volume, 0.5);
  EXPECT_EQ(one.order.executed_volume, 0.2);
  EXPECT_EQ(one.order.executed_funds, 10'000'000.0);
  EXPECT_EQ(one.order.paid_fee, 5'000.0);
  EXPECT_EQ(one.order.order_timestamp, 1'764'000'000'000);
  ASSERT_EQ(one.trades.size(), 1u);
  EXPECT_EQ(one.trades[0].volume, 0.2);
  EXPECT_EQ(one.trades[0].time_ms, 1'764'000'123'456);

  spec.state = fillwire::OrderState::cancel;
  const std::vector<fillwire::OrderEvent> list{e, fillwire::test::order_event(spec)};
  const auto many = fillwire::parse_rest_orders(fillwire::test::rest_orders(list), 7);
  ASSERT_TRUE(many.ok()) << many.error;
  ASSERT_EQ(many.orders.size(), 2u);
  EXPECT_EQ(many.orders[1].state, fillwire::OrderState::cancel);
  EXPECT_EQ(many.orders[1].locked, 0.0);
  EXPECT_EQ(many.orders[1].remaining_volume, 0.3);
  spec.uuid = "nope";
  EXPECT_THROW((void)fillwire::test::order_event(spec), std::invalid_argument);
}

}  // namespace
