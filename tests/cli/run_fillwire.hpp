#pragma once
// Runs the fillwire CLI as a user does: a child process (posix_spawn, no shell), stdout and stderr
// to two files, with a deadline (the child is killed when it passes). For the CLI's integration
// tests (offline_tools_test.cpp, monitor_test.cpp). Test code: cold path, one thread.

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <string>
#include <thread>
#include <vector>

extern char** environ;

namespace fillwire::test {

struct CliResult {
  int status = -1;       // exit status, or 128 + the signal that ended it
  long max_rss_kib = 0;  // the child's peak resident set (wait4)
  std::string out;       // stdout
  std::string err;       // stderr (or why the child could not run)
};

inline std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// `fillwire args...` with `env` as its whole environment (nullopt: this process's). Its stdout and
// stderr go to `dir`/NAME.out and NAME.err. Killed after `deadline`.
inline CliResult run_fillwire(const std::vector<std::string>& args,
                              const std::filesystem::path& dir, const std::string& name,
                              const std::optional<std::vector<std::string>>& env = std::nullopt,
                              std::chrono::seconds deadline = std::chrono::seconds(60)) {
  std::vector<std::string> argv_s{FILLWIRE_BINARY};
  argv_s.insert(argv_s.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : argv_s)
    argv.push_back(a.data());
  argv.push_back(nullptr);
  std::vector<std::string> env_s = env.value_or(std::vector<std::string>{});
  std::vector<char*> envp;
  for (auto& e : env_s)
    envp.push_back(e.data());
  envp.push_back(nullptr);

  const std::filesystem::path out = dir / (name + ".out");
  const std::filesystem::path err = dir / (name + ".err");
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, out.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, err.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0600);
  pid_t pid = 0;
  CliResult r;
  const int rc =
      posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), env ? envp.data() : environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) {
    r.err = "posix_spawn failed: " + std::to_string(rc);
    return r;
  }
  int status = 0;
  rusage usage{};
  const auto until = std::chrono::steady_clock::now() + deadline;
  bool killed = false;
  while (wait4(pid, &status, WNOHANG, &usage) == 0) {
    if (std::chrono::steady_clock::now() > until) {
      ::kill(pid, SIGKILL);
      wait4(pid, &status, 0, &usage);
      killed = true;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  r.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  r.max_rss_kib = usage.ru_maxrss;
  r.out = read_file(out);
  r.err = read_file(err);
  if (killed) r.err += "\n(killed after the deadline)\n";
  return r;
}

}  // namespace fillwire::test
