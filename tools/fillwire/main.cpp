// fillwire: command-line front end of the engine.
//   fillwire decode FILE     decode a file of frames: each event, status and error by line
//   fillwire replay FILE     apply a file of frames to an account and print its summary
//   fillwire monitor         connect to the private stream and show the account live
//   fillwire record          like monitor, into a replayable journal
//   fillwire bench           in-process upbit-sim -> loopback -> engine: events/s, latency
//   fillwire demo            upbit-sim in-process with faults, the live client, a live view and
//                            the ground-truth verdict
// Exit statuses and the --json shapes: docs/CLI.md.

#include <fmt/core.h>
#include <CLI/CLI.hpp>

#include <algorithm>
#include <exception>
#include <string>
#include <vector>

#include "commands.hpp"

namespace {

// One line, whatever the message holds.
std::string one_line(std::string text) {
  std::replace(text.begin(), text.end(), '\n', ' ');
  return text;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace fillwire::cli;
  CLI::App app{"fillwire: low-latency Upbit myOrder engine (decode, ring, account state)"};
  app.require_subcommand(1);
  app.footer(
      "Exit status: 0 success, 1 input not all accepted or the run's check failed, 2 usage.");
  std::vector<Command> commands;
  commands.push_back(add_decode_command(app));
  commands.push_back(add_replay_command(app));
  commands.push_back(add_monitor_command(app));
  commands.push_back(add_demo_command(app));
  commands.push_back(add_record_command(app));
  commands.push_back(add_bench_command(app));
  commands.push_back(add_follow_command(app));

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == static_cast<int>(CLI::ExitCodes::Success)) return app.exit(e);
    const auto chosen = app.get_subcommands();
    const std::string name = chosen.empty() ? "fillwire" : "fillwire " + chosen.front()->get_name();
    fmt::print(stderr, "{}: error: {} (see {} --help)\n", name, one_line(e.what()), name);
    return kExitUsage;
  }
  for (auto& c : commands) {
    if (!c.app->parsed()) continue;
    const std::string name = "fillwire " + c.app->get_name();
    try {
      return c.run();
    } catch (const UsageError& e) {
      fmt::print(stderr, "{}: error: {}\n", name, one_line(e.what()));
      return kExitUsage;
    } catch (const std::exception& e) {
      fmt::print(stderr, "{}: error: {}\n", name, one_line(e.what()));
      return kExitFailed;
    }
  }
  return kExitUsage;
}
