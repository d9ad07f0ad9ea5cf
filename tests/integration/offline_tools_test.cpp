// `fillwire decode` and `fillwire replay` as child processes (posix_spawn, no shell) on a file with
// a 200 MB line between valid frames: the valid frames are decoded, the long line is one error
// (its line number and length), and the child's peak memory (wait4's ru_maxrss) stays bounded.

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

extern char** environ;

namespace fillwire {
namespace {

namespace fs = std::filesystem;

constexpr std::uint64_t kLongLine = 200'000'000;
// 64 MiB: the long line never fits. Under AddressSanitizer the child's resident set carries the
// sanitizer's shadow memory and allocator (about 130 MiB here before any line is read): 192 MiB,
// still under the 200 MB line.
#if defined(__SANITIZE_ADDRESS__)
constexpr long kMaxRssKiB = 192 * 1024;
#else
constexpr long kMaxRssKiB = 64 * 1024;
#endif

struct Result {
  int status = -1;
  long max_rss_kib = 0;
  std::string output;
};

// Runs `fillwire args...`; stdout and stderr to `out`. Gives up (and kills it) after 60 s.
Result run_fillwire(const std::vector<std::string>& args, const fs::path& out) {
  std::vector<std::string> argv_s{FILLWIRE_BINARY};
  argv_s.insert(argv_s.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : argv_s)
    argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, out.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
  pid_t pid = 0;
  Result r;
  const int rc = posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) {
    r.output = "posix_spawn failed: " + std::to_string(rc);
    return r;
  }
  int status = 0;
  rusage usage{};
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (wait4(pid, &status, WNOHANG, &usage) == 0) {
    if (std::chrono::steady_clock::now() > deadline) {
      ::kill(pid, SIGKILL);
      wait4(pid, &status, 0, &usage);
      r.output = "killed after 60 s\n";
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  r.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  r.max_rss_kib = usage.ru_maxrss;
  std::ifstream in(out);
  r.output.append(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  return r;
}

std::string first_lines(const std::string& path, int n) {
  std::ifstream in(path);
  std::string out;
  std::string line;
  for (int i = 0; i < n && std::getline(in, line); ++i)
    out += line + "\n";
  return out;
}

class OfflineTools : public ::testing::Test {
 protected:
  static fs::path dir;
  static std::string file;

  // Two frames, a line of 200 MB (written in 1 MiB pieces), two more frames.
  static void SetUpTestSuite() {
    dir = fs::temp_directory_path() / ("fillwire-offline-" + std::to_string(::getpid()));
    fs::create_directories(dir);
    file = (dir / "long-line.jsonl").string();
    const std::string lines =
        first_lines(std::string(FILLWIRE_TEST_DATA) + "/lifecycle-default.jsonl", 4);
    const auto cut = lines.find('\n', lines.find('\n') + 1) + 1;
    std::ofstream out(file, std::ios::binary);
    const std::string head = "{\"type\":\"myOrder\",\"pad\":\"";
    out << lines.substr(0, cut) << head;
    const std::string chunk(1u << 20, 'x');
    std::uint64_t written = head.size();
    while (written + chunk.size() <= kLongLine - 2) {
      out << chunk;
      written += chunk.size();
    }
    out << std::string(kLongLine - 2 - written, 'x') << "\"}\n" << lines.substr(cut);
  }
  static void TearDownTestSuite() { fs::remove_all(dir); }
};
fs::path OfflineTools::dir;
std::string OfflineTools::file;

TEST_F(OfflineTools, DecodeReportsA200MBLineAsOneErrorInBoundedMemory) {
  ASSERT_GT(fs::file_size(file), kLongLine);
  const Result r = run_fillwire({"decode", file}, dir / "decode.out");
  EXPECT_EQ(r.status, 0) << r.output;
  EXPECT_NE(r.output.find("     3: error: frame of 200000000 bytes, over the frame limit (65536 "
                          "bytes)\n"),
            std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find("5 lines: 4 frames, 4 events, 0 status, 0 server errors, 0 failed, 0 "
                          "unknown keys, 1 oversized"),
            std::string::npos)
      << r.output;
  EXPECT_LT(r.max_rss_kib, kMaxRssKiB) << "peak memory of fillwire decode";
}

TEST_F(OfflineTools, ReplayRefusesA200MBLineAsTheLiveClientWouldInBoundedMemory) {
  const Result r = run_fillwire({"replay", file}, dir / "replay.out");
  EXPECT_EQ(r.status, 0) << r.output;
  EXPECT_NE(r.output.find("line 3: frame of 200000000 bytes, over the frame limit (65536 bytes): "
                          "refused, as the live client would"),
            std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find(": 4 frames, 4 events, 0 failed frames, 1 oversized, 0 damaged"),
            std::string::npos)
      << r.output;
  EXPECT_LT(r.max_rss_kib, kMaxRssKiB) << "peak memory of fillwire replay";
}

TEST_F(OfflineTools, ALowerFrameLimitRefusesMoreFrames) {
  const Result r = run_fillwire({"decode", "--max-frame-bytes", "100", file}, dir / "small.out");
  EXPECT_EQ(r.status, 0) << r.output;
  EXPECT_NE(r.output.find("5 lines: 0 frames, 0 events, 0 status, 0 server errors, 0 failed, 0 "
                          "unknown keys, 5 oversized"),
            std::string::npos)
      << r.output;
}

}  // namespace
}  // namespace fillwire
