// fillwire monitor: connects to the exchange's private WebSocket through the Engine facade (the
// same code a strategy embeds) and shows the account live: positions and PnL, fees, open orders,
// recent fills, execution quality, connection state, anomalies, events/s and latency.
// Keys come from a 0600 key file (--key-file) or UPBIT_ACCESS_KEY / UPBIT_SECRET_KEY; they are
// never printed. Ends after --duration seconds, or on Ctrl-C, with the final view.

#include <fmt/core.h>
#include <fmt/format.h>

#include <chrono>
#include <memory>
#include <vector>

#include "commands.hpp"
#include "fillwire/auth.hpp"
#include "fillwire/engine.hpp"
#include "fillwire/safe_text.hpp"
#include "live_view.hpp"
#include "net/url.hpp"
#include "run_config.hpp"

namespace fillwire::cli {
namespace {

template <class Wait>
int run_monitor(const RunSettings& s) {
  EngineConfig config = engine_config(s);  // the settings' mistakes first, then the keys
  Credentials credentials = load_credentials(s);
  Engine<NoStrategy, Wait> engine(config, std::move(credentials));
  const ViewSource source = view_of(engine);
  ViewLoop loop;
  std::vector<std::string> codes;
  for (const std::string& c : s.codes)
    codes.push_back(printable(c));
  // The URL was checked (run_config.cpp): no user information; the query is not shown.
  loop.title =
      fmt::format("fillwire monitor  {}{}", parse_url(s.url).redacted(),
                  codes.empty() ? std::string() : fmt::format("  codes {}", fmt::join(codes, ",")));
  loop.duration_s = s.duration_s;
  loop.refresh_ms = s.refresh_ms;
  const auto start = std::chrono::steady_clock::now();
  start_engine(engine, "monitor");
  const LoopEnd end = run_view(source, loop);
  engine.stop();
  restore_stop_signals();
  const double elapsed =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  fmt::print(
      "{}",
      final_view(source, loop.title + (end == LoopEnd::signal ? "  (interrupted)" : ""), elapsed));
  if (engine.counters().live.connects == 0) return never_connected(engine.counters(), "monitor");
  return kExitOk;
}

}  // namespace

Command add_monitor_command(CLI::App& root) {
  return add_run_command(
      root, "monitor",
      "Connect to the private myOrder stream and show the account live (Ctrl-C ends)",
      "Keys: --key-file FILE (lines UPBIT_ACCESS_KEY=... and UPBIT_SECRET_KEY=..., mode 0600) or "
      "the\n"
      "environment variables UPBIT_ACCESS_KEY and UPBIT_SECRET_KEY.\n"
      "Example: fillwire monitor --url wss://127.0.0.1:PORT/websocket/v1/private --ca-file sim.pem "
      "--duration 10",
      /*demo=*/false, [](const RunSettings& s) {
        return s.busy_poll ? run_monitor<SpinThenYield>(s) : run_monitor<Blocking>(s);
      });
}

}  // namespace fillwire::cli
