#pragma once
// The fillwire CLI's subcommands. Each registers its options on the shared CLI11 app and returns
// the process exit status when run.

#include <CLI/CLI.hpp>

#include <functional>

namespace fillwire::cli {

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

}  // namespace fillwire::cli
