// sim::ServerThread: upbit-sim on a thread of its own, bounded at both ends. A thread that is not
// serving by the start deadline fails the constructor; one that does not stop by the stop
// deadline ends the process with a message (it still uses the server the object owns).

#include <gtest/gtest.h>

#include <chrono>
#include <stdexcept>
#include <string>
#include <thread>

#include "server_thread.hpp"
#include "sim_client.hpp"

namespace fillwire::sim {
namespace {

using namespace std::chrono_literals;

ServerConfig plain() {
  ServerConfig c;
  c.tls = false;
  return c;
}

TEST(ServerThread, ServesUntilStoppedAndStopsTwiceWithoutHarm) {
  ServerThread sim(plain());
  EXPECT_NE(sim.port(), 0);
  EXPECT_EQ(sim.url(false),
            "ws://127.0.0.1:" + std::to_string(sim.port()) + "/websocket/v1/private");
  EXPECT_EQ(test::http_get(sim.port(), "/v1/market/all").result_int(), 200u);
  EXPECT_FALSE(sim.wait_done(10ms)) << "serving until stopped";
  sim.stop();
  EXPECT_TRUE(sim.wait_done(0ms));
  sim.stop();
}

TEST(ServerThread, RunsTheThreadStartHookOnTheServersThreadFirst) {
  std::thread::id hook_thread;
  ServerThreadConfig tc;
  tc.on_thread_start = [&] { hook_thread = std::this_thread::get_id(); };
  ServerThread sim(plain(), tc);
  EXPECT_NE(hook_thread, std::thread::id{});
  EXPECT_NE(hook_thread, std::this_thread::get_id());
}

TEST(ServerThread, AThreadNotServingByTheStartDeadlineFailsTheConstructor) {
  ServerThreadConfig tc;
  tc.start_deadline = 50ms;
  tc.on_thread_start = [] { std::this_thread::sleep_for(400ms); };  // a slow start, on purpose
  const auto t0 = std::chrono::steady_clock::now();
  try {
    ServerThread sim(plain(), tc);
    FAIL() << "the start deadline passed";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("not serving within 50 ms"), std::string::npos)
        << e.what();
  }
  // The thread was stopped and joined before the constructor threw: after its slow start.
  EXPECT_GE(std::chrono::steady_clock::now() - t0, 400ms);
}

TEST(ServerThreadDeathTest, AThreadNotStoppedByTheStopDeadlineEndsTheProcessWithAMessage) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  const auto stuck = [] {
    ServerThreadConfig tc;
    tc.start_deadline = 20ms;
    tc.stop_deadline = 50ms;
    tc.on_thread_start = [] { std::this_thread::sleep_for(5s); };  // still starting at the stop
    ServerThread sim(plain(), tc);
  };
  EXPECT_DEATH(stuck(), "upbit-sim thread did not stop within 50 ms");
}

}  // namespace
}  // namespace fillwire::sim
