// fillwire: command-line front end of the engine.
//   fillwire decode FILE     decode a file of frames, one JSON per line
//   fillwire replay FILE     apply a file of frames to an account and print its summary
//   fillwire monitor         connect to the private stream and show the account live
//   fillwire record          like monitor, into a replayable journal
//   fillwire bench           in-process upbit-sim -> loopback -> engine: events/s, latency
//   fillwire demo            upbit-sim in-process with faults, the live client, a live view and
//                            the ground-truth verdict

#include <fmt/core.h>
#include <CLI/CLI.hpp>

#include <exception>
#include <vector>

#include "commands.hpp"

int main(int argc, char** argv) {
  CLI::App app{"fillwire: low-latency Upbit myOrder engine (decode, ring, account state)"};
  app.require_subcommand(1);
  std::vector<fillwire::cli::Command> commands;
  commands.push_back(fillwire::cli::add_decode_command(app));
  commands.push_back(fillwire::cli::add_replay_command(app));
  commands.push_back(fillwire::cli::add_monitor_command(app));
  commands.push_back(fillwire::cli::add_demo_command(app));
  commands.push_back(fillwire::cli::add_record_command(app));
  commands.push_back(fillwire::cli::add_bench_command(app));

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  try {
    for (auto& c : commands) {
      if (c.app->parsed()) return c.run();
    }
  } catch (const std::exception& e) {
    fmt::print(stderr, "fillwire: error: {}\n", e.what());
    return 1;
  }
  return 0;
}
