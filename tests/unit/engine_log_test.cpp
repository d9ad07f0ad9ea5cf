// The engine's human log (engine/src/runtime/engine.cpp): one line per entry whatever the text
// holds, no token or access key, and a size bound through rotation. No connection is made: the
// runtime is built and written to, never started.

#include <gtest/gtest.h>

#include <unistd.h>
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "fillwire/engine.hpp"
#include "fillwire/safe_text.hpp"

namespace fillwire {
namespace {

namespace fs = std::filesystem;

constexpr const char* kAccess = "engine-log-test-access-key-0123456789";

class EngineLog : public ::testing::Test {
 protected:
  fs::path dir = fs::path(::testing::TempDir()) / ("fillwire-log-" + std::to_string(::getpid()));
  EngineConfig config;

  void SetUp() override {
    fs::remove_all(dir);
    fs::create_directories(dir);
    config.live.url = "ws://127.0.0.1:1/websocket/v1/private";  // never connected
    config.log_path = (dir / "engine.log").string();
  }
  void TearDown() override { fs::remove_all(dir); }

  std::unique_ptr<detail::EngineRuntime> runtime() {
    return std::make_unique<detail::EngineRuntime>(config,
                                                   Credentials{kAccess, Secret("test-secret")});
  }
  static std::string read(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  }
};

TEST_F(EngineLog, EveryEntryIsOneLineWithoutTokensKeysOrEscapeSequences) {
  const std::string jwt =
      "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJhY2Nlc3Nfa2V5IjoiYWsifQ.c2lnbmF0dXJl";
  std::uint64_t escaped = 0;
  {
    auto rt = runtime();
    rt->log("plain entry");
    // What a server might put into a notice: a forged line, an echoed header, the access key,
    // a terminal escape, and 1 MB of it.
    rt->log("RESYNC FAILED: bad\n2030-01-01 00:00:00.000 info connected to evil");
    rt->log("REST: Authorization: Bearer " + jwt + " refused for " + kAccess);
    rt->log("code KRW-\x1b[2JBTC");
    rt->log(std::string(1u << 20, 'y'));
    rt->finish();
    escaped = rt->counters().log_lines_escaped;
  }
  const std::string log = read(dir / "engine.log");
  // "engine started" is not written (never started); 5 entries and "engine stopped".
  EXPECT_EQ(std::count(log.begin(), log.end(), '\n'), 6) << log.substr(0, 2000);
  EXPECT_EQ(log.find("\n2030-01-01"), std::string::npos);
  EXPECT_NE(log.find("bad\\n2030-01-01"), std::string::npos);
  EXPECT_EQ(log.find("eyJ"), std::string::npos);
  EXPECT_EQ(log.find(kAccess), std::string::npos);
  EXPECT_NE(log.find("Bearer <redacted> refused for <redacted>"), std::string::npos);
  EXPECT_EQ(log.find('\x1b'), std::string::npos);
  EXPECT_NE(log.find("KRW-\\x1b[2JBTC"), std::string::npos);
  EXPECT_LT(log.size(), kLogLineCap + 2000) << "the 1 MB entry is cut";
  EXPECT_EQ(escaped, 4u) << "every entry but the plain ones";
}

TEST_F(EngineLog, RotatesBySizeAndKeepsTheConfiguredNumberOfFiles) {
  config.log_max_file_bytes = 16 * 1024;
  config.log_keep_files = 2;
  const std::string entry(100, 'z');
  {
    auto rt = runtime();
    for (int i = 0; i < 3000; ++i)  // about 400 KB: far more than three files hold
      rt->log(entry);
    rt->finish();
  }
  std::uintmax_t total = 0;
  std::size_t files = 0;
  for (const auto& f : fs::directory_iterator(dir)) {
    ++files;
    total += f.file_size();
    EXPECT_LE(f.file_size(), config.log_max_file_bytes) << f.path();
  }
  EXPECT_TRUE(fs::exists(dir / "engine.log"));
  EXPECT_TRUE(fs::exists(dir / "engine.1.log"));
  EXPECT_TRUE(fs::exists(dir / "engine.2.log"));
  EXPECT_EQ(files, 3u) << "the current log and two rotated ones";
  EXPECT_LE(total, 3 * config.log_max_file_bytes);
  EXPECT_GT(total, 2 * config.log_max_file_bytes);
  EXPECT_NE(read(dir / "engine.log").find("engine stopped"), std::string::npos);
}

TEST_F(EngineLog, BadBoundsAndUrlsWithPasswordsAreRefusedWithoutQuotingThem) {
  config.log_max_file_bytes = 100;
  EXPECT_THROW((void)runtime(), std::invalid_argument);
  config.log_max_file_bytes = 1 << 20;
  config.log_keep_files = 100000;
  EXPECT_THROW((void)runtime(), std::invalid_argument);
  config.log_keep_files = 4;
  config.live.url = "wss://user:hunter2-password@api.upbit.com/websocket/v1/private";
  try {
    (void)runtime();
    FAIL() << "a URL with a password was accepted";
  } catch (const std::invalid_argument& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("user information"), std::string::npos) << what;
    EXPECT_EQ(what.find("hunter2"), std::string::npos) << what;
  }
  EXPECT_EQ(read(dir / "engine.log").find("hunter2"), std::string::npos);
}

}  // namespace
}  // namespace fillwire
