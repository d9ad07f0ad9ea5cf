// `fillwire monitor` as a user runs it: a child process (posix_spawn, no shell) against upbit-sim
// over real loopback sockets, keys from a 0600 key file or from the environment. Its output must
// show the live account and never a secret; a key file others can read is refused.

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "run_fillwire.hpp"
#include "server.hpp"

namespace fillwire {
namespace {

constexpr const char* kAccess = "monitor-test-access";
constexpr const char* kSecret = "monitor-test-SECRET-never-shown-5e1d";

// `fillwire args...` with `env` as its whole environment; stdout and stderr together, in order
// of the checks below (the live view on stdout, notices on stderr).
struct Result {
  int status = -1;
  std::string output;
};
Result run_fillwire(const std::vector<std::string>& args, const std::vector<std::string>& env,
                    const std::filesystem::path& dir) {
  const test::CliResult r = test::run_fillwire(args, dir, "monitor", env);
  return {r.status, r.out + r.err};
}

class MonitorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    sim::ServerConfig c;
    c.access_key = kAccess;
    c.secret_key = kSecret;
    c.rate = 500;
    server_ = std::make_unique<sim::Server>(c);
    server_->start();
    thread_ = std::thread([this] { server_->run(); });
    dir_ =
        std::filesystem::temp_directory_path() / ("fillwire-monitor-" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override {
    server_->stop();
    thread_.join();
    std::filesystem::remove_all(dir_);
  }
  std::string url() const {
    return "wss://127.0.0.1:" + std::to_string(server_->port()) + "/websocket/v1/private";
  }
  std::string key_file(mode_t mode) {
    const auto path = dir_ / "keys.env";
    {
      std::ofstream f(path);
      f << "# test keys\nUPBIT_ACCESS_KEY=" << kAccess << "\nUPBIT_SECRET_KEY=" << kSecret << "\n";
    }
    ::chmod(path.c_str(), mode);
    return path.string();
  }

  std::unique_ptr<sim::Server> server_;
  std::thread thread_;
  std::filesystem::path dir_;
};

TEST_F(MonitorTest, ShowsTheLiveAccountWithKeysFromAFile) {
  const Result r = run_fillwire(
      {"monitor", "--url", url(), "--ca-file", server_->cert_path(), "--key-file", key_file(0600),
       "--duration", "3", "--codes", "KRW-BTC", "KRW-ETH", "--format", "simple"},
      {}, dir_);
  EXPECT_EQ(r.status, 0) << r.output;
  EXPECT_NE(r.output.find("connected events"), std::string::npos) << r.output;  // plain lines
  EXPECT_NE(r.output.find("KRW-BTC"), std::string::npos) << r.output;           // final view
  EXPECT_NE(r.output.find("latency"), std::string::npos) << r.output;
  EXPECT_EQ(r.output.find(kSecret), std::string::npos);
}

TEST_F(MonitorTest, KeysFromTheEnvironment) {
  const Result r = run_fillwire(
      {"monitor", "--url", url(), "--ca-file", server_->cert_path(), "--duration", "2"},
      {std::string("UPBIT_ACCESS_KEY=") + kAccess, std::string("UPBIT_SECRET_KEY=") + kSecret},
      dir_);
  EXPECT_EQ(r.status, 0) << r.output;
  EXPECT_NE(r.output.find("connected events"), std::string::npos) << r.output;
  EXPECT_EQ(r.output.find(kSecret), std::string::npos);
}

TEST_F(MonitorTest, RefusesAKeyFileOthersCanRead) {
  const Result r = run_fillwire({"monitor", "--url", url(), "--ca-file", server_->cert_path(),
                                 "--key-file", key_file(0644), "--duration", "1"},
                                {}, dir_);
  EXPECT_NE(r.status, 0) << r.output;
  EXPECT_NE(r.output.find("chmod 600"), std::string::npos) << r.output;
  EXPECT_EQ(r.output.find(kSecret), std::string::npos);
}

TEST_F(MonitorTest, SaysWhatToDoWithoutKeys) {
  const Result r = run_fillwire({"monitor", "--url", url(), "--duration", "1"}, {}, dir_);
  EXPECT_NE(r.status, 0) << r.output;
  EXPECT_NE(r.output.find("UPBIT_ACCESS_KEY"), std::string::npos) << r.output;
}

}  // namespace
}  // namespace fillwire
