#pragma once
// The fillwire CLI's subcommands. Each registers its options on the shared CLI11 app and returns
// the process exit status when run. Conventions (docs/CLI.md): --json output is JSON Lines on
// stdout and nothing else; human notices go to stderr; the exit statuses below.

#include <CLI/CLI.hpp>

#include <functional>
#include <stdexcept>

namespace fillwire::cli {

// Exit statuses shared by every subcommand.
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailed = 1;  // input not all accepted, or the run's check failed
inline constexpr int kExitUsage = 2;   // bad flags or settings, an input that cannot be opened
inline constexpr int kExitInterrupted = 130;  // Ctrl-C (demo)

// A mistake in how the command was called (flags, config file, keys, input file): one line on
// stderr and kExitUsage.
class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A registered subcommand: `run` is called after parsing when the subcommand was chosen.
struct Command {
  CLI::App* app;
  std::function<int()> run;
};

Command add_decode_command(CLI::App& root);
Command add_replay_command(CLI::App& root);
Command add_monitor_command(CLI::App& root);
Command add_demo_command(CLI::App& root);
Command add_record_command(CLI::App& root);
Command add_bench_command(CLI::App& root);
Command add_follow_command(CLI::App& root);

}  // namespace fillwire::cli
