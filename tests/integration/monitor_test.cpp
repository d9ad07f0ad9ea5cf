// `fillwire monitor` as a user runs it: a child process (posix_spawn, no shell) against upbit-sim
// over real loopback sockets, keys from a 0600 key file or from the environment. Its output must
// show the live account and never a secret; a key file others can read is refused.

#include <fcntl.h>
#include <gtest/gtest.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "server.hpp"

extern char** environ;

namespace fillwire {
namespace {

constexpr const char* kAccess = "monitor-test-access";
constexpr const char* kSecret = "monitor-test-SECRET-never-shown-5e1d";

struct Result {
  int status = -1;
  std::string output;
};

// Runs `fillwire args...` with `env` as its whole environment; stdout and stderr to one file.
Result run_fillwire(const std::vector<std::string>& args, const std::vector<std::string>& env,
                    const std::filesystem::path& out) {
  std::vector<std::string> argv_s{FILLWIRE_BINARY};
  argv_s.insert(argv_s.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : argv_s)
    argv.push_back(a.data());
  argv.push_back(nullptr);
  std::vector<std::string> env_s = env;
  std::vector<char*> envp;
  for (auto& e : env_s)
    envp.push_back(e.data());
  envp.push_back(nullptr);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, out.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
  pid_t pid = 0;
  Result r;
  const int rc = posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) {
    r.output = "posix_spawn failed: " + std::to_string(rc);
    return r;
  }
  int status = 0;
  waitpid(pid, &status, 0);
  r.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  std::ifstream in(out);
  r.output.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  return r;
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
      {}, dir_ / "out.txt");
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
      dir_ / "out.txt");
  EXPECT_EQ(r.status, 0) << r.output;
  EXPECT_NE(r.output.find("connected events"), std::string::npos) << r.output;
  EXPECT_EQ(r.output.find(kSecret), std::string::npos);
}

TEST_F(MonitorTest, RefusesAKeyFileOthersCanRead) {
  const Result r = run_fillwire({"monitor", "--url", url(), "--ca-file", server_->cert_path(),
                                 "--key-file", key_file(0644), "--duration", "1"},
                                {}, dir_ / "out.txt");
  EXPECT_NE(r.status, 0) << r.output;
  EXPECT_NE(r.output.find("chmod 600"), std::string::npos) << r.output;
  EXPECT_EQ(r.output.find(kSecret), std::string::npos);
}

TEST_F(MonitorTest, SaysWhatToDoWithoutKeys) {
  const Result r =
      run_fillwire({"monitor", "--url", url(), "--duration", "1"}, {}, dir_ / "out.txt");
  EXPECT_NE(r.status, 0) << r.output;
  EXPECT_NE(r.output.find("UPBIT_ACCESS_KEY"), std::string::npos) << r.output;
}

}  // namespace
}  // namespace fillwire
