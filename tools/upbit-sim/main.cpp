// upbit-sim: an Upbit-compatible exchange simulator for tests, demos and benchmarks.
//
//   upbit-sim --port 0 --rate 1000 --seed 7 --truth truth.json
// prints one line with its URLs, serves until SIGINT/SIGTERM (or, with --exit-when-done, until
// --total events went out), then writes the ground truth.

#include <fmt/core.h>
#include <CLI/CLI.hpp>

#include <pthread.h>

#include <algorithm>
#include <atomic>
#include <csignal>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <iostream>
#include <string>
#include <thread>

#include "server.hpp"

int main(int argc, char** argv) {
  using fillwire::sim::Server;
  using fillwire::sim::ServerConfig;
  ServerConfig c;
  std::string truth_file;
  bool no_tls = false;
  bool no_rest_limit = false;
  bool no_ws_limit = false;
  bool start_now = false;
  std::size_t max_resting = c.simulation.generator.max_resting;

  CLI::App app{
      "upbit-sim: an Upbit-compatible exchange simulator (private myOrder and myAsset WebSocket, "
      "REST order queries and balances, JWT, deterministic order flow, external deposits and "
      "withdrawals, faults, ground truth)."};
  app.option_defaults()->always_capture_default();
  app.footer(
      "Example:\n  upbit-sim --port 0 --rate 2000 --seed 7 --truth /tmp/truth.json\n"
      "  prints: upbit-sim ws://127.0.0.1:PORT/websocket/v1/private wss://... http://.../v1 "
      "https://.../v1 "
      "cert=/tmp/upbit-sim-....pem\n"
      "Connect with Authorization: Bearer <JWT signed with --secret-key over {access_key, "
      "nonce}>.");

  // Each option joins the group set last in option_defaults().
  app.option_defaults()->group("Network");
  app.add_option("--bind", c.bind, "Address to listen on (loopback by default)");
  app.add_option("--port", c.port, "TCP port; 0 picks a free one (printed at start)");
  app.add_flag("--no-tls", no_tls,
               "Serve ws:// and http:// only (TLS is otherwise detected per connection)");
  app.add_option("--cert", c.cert_file,
                 "PEM certificate chain for wss:// (default: self-signed at start)");
  app.add_option("--key", c.key_file, "PEM private key for --cert");
  app.add_option("--cert-out", c.cert_out,
                 "Where to write the self-signed certificate for clients to trust (default: "
                 "/tmp/upbit-sim-PID-PORT.pem)");

  app.option_defaults()->group("Authentication");
  app.add_option("--access-key", c.access_key, "Access key the JWT must name");
  app.add_option("--secret-key", c.secret_key,
                 "Secret key the JWT is signed with (HS256 or HS512); better from the environment "
                 "(UPBIT_SIM_SECRET_KEY), where other users' ps cannot see it")
      ->envname("UPBIT_SIM_SECRET_KEY");
  app.add_flag("--auth-error-frame", c.auth_error_frame,
               "Bad handshake token: upgrade, send INVALID_AUTH and close (default: HTTP 401 with "
               "a JSON error)");
  app.add_flag("--ws-nonce-check", c.ws_nonce_check,
               "Reject a WebSocket handshake whose JWT nonce was used before");

  app.option_defaults()->group("Order flow");
  app.add_option("--seed", c.simulation.generator.seed,
                 "Seed of the order flow and of every fault");
  app.add_option("--rate", c.rate, "Events per second; 0 = as fast as the clients read");
  app.add_option("--burst", c.burst, "Send events in bursts of N at --rate (0 = smooth)");
  app.add_option("--total", c.total, "Stop generating after N events (0 = never)");
  bool sim_clock = false;
  app.add_flag("--sim-clock", sim_clock,
               "Stamp events with a simulated clock from --epoch-ms, 1-20 ms a step (runs are "
               "then reproducible byte for byte; clients that check times against their own "
               "clock will count them as skewed)");
  app.add_option("--epoch-ms", c.simulation.generator.epoch_ms,
                 "Simulated clock start, ms since epoch (with --sim-clock)");
  app.add_flag("--wall-clock", c.wall_clock, "Stamp events with the real time (the default)");
  app.add_flag("--start-now", start_now,
               "Start the order flow at once (default: at the first subscription)");
  app.add_option("--max-open", max_resting, "Open orders the account keeps at most");
  app.add_option("--keep-closed", c.simulation.max_closed_orders,
                 "Closed orders kept for REST and the truth");
  app.add_option("--external-move-prob", c.simulation.moves.prob,
                 "Chance of an external deposit or withdrawal (KRW or a market's currency) after "
                 "each step of the order flow; each is sent as a myAsset frame of that currency "
                 "and listed in the truth (0 = none; the order flow of a seed is the same either "
                 "way)")
      ->check(CLI::Range(0.0, 1.0));
  app.add_option("--keep-moves", c.simulation.moves.keep,
                 "External movements listed in the truth (older ones are counted, not listed)");
  app.add_flag("--exit-when-done", c.exit_when_done,
               "Exit once --total events are generated and written");
  app.add_option("--truth", truth_file, "Write the ground truth JSON to FILE at exit");

  app.option_defaults()->group("WebSocket");
  app.add_flag("--text-frames", c.text_frames,
               "Send events in text frames (default: binary, as Upbit)");
  app.add_flag("--no-ws-rate-limit", no_ws_limit,
               "Disable the 5 messages/s, 100/min per-connection limit");
  app.add_flag("--close-on-error", c.close_on_error,
               "Close the connection after a subscription error frame");
  app.add_option("--idle-timeout", c.idle_timeout_s,
                 "Close connections silent for this many seconds");
  app.add_option("--status-interval", c.status_interval_s,
                 "Seconds between {\"status\":\"UP\"} frames after a client's first PING");
  app.add_option("--slow-consumer-bytes", c.slow_consumer_bytes,
                 "Disconnect a client with more than this many unsent bytes (events and control "
                 "replies: pongs, status, errors)");
  app.add_option("--connects-per-second", c.ws_connects_per_second,
                 "WebSocket upgrades allowed per rolling second, per client address and per "
                 "access key, as Upbit (more: HTTP 429); 0 = no limit")
      ->capture_default_str();

  app.option_defaults()->group("Connections");
  app.add_option("--handshake-timeout", c.handshake_timeout_s,
                 "Seconds a connection has for its first byte, TLS handshake and each HTTP "
                 "request (and an idle keep-alive REST connection before it is closed)")
      ->capture_default_str();
  app.add_option("--write-timeout", c.write_timeout_s,
                 "Seconds a write may take before a client that stopped reading is dropped")
      ->capture_default_str();

  app.option_defaults()->group("REST");
  app.add_flag("--no-rest-rate-limit", no_rest_limit,
               "Disable the REST rate limits: no HTTP 429 (30 requests/s, market/all 10/s) and no "
               "HTTP 418 bans");
  unsigned ban_window_s = static_cast<unsigned>(c.rest.ban_window_ms / 1000);
  unsigned ban_s = static_cast<unsigned>(c.rest.ban_ms / 1000);
  unsigned ban_max_s = static_cast<unsigned>(c.rest.ban_max_ms / 1000);
  app.add_option("--rest-ban-after", c.rest.ban_after,
                 "HTTP 429 answers within --rest-ban-window that start a ban: every /v1 request "
                 "answered HTTP 418 with Retry-After (0 = never ban)");
  app.add_option("--rest-ban-window", ban_window_s, "Seconds in which --rest-ban-after 429s count")
      ->check(CLI::PositiveNumber);
  app.add_option("--rest-ban-seconds", ban_s,
                 "Length of the first ban; each later ban lasts twice the one before")
      ->check(CLI::PositiveNumber);
  app.add_option("--rest-ban-max-seconds", ban_max_s, "Longest ban")->check(CLI::PositiveNumber);
  std::string prevented_state = "cancel";
  app.add_option("--rest-prevented-state", prevented_state,
                 "REST state of an order that self-match prevention ended: cancel (Upbit's REST "
                 "states, with prevented_volume > 0) or prevented (the stream's name)")
      ->check(CLI::IsMember({"cancel", "prevented"}));

  app.option_defaults()->group("Faults (reproducible from --seed)");
  auto& f = c.faults;
  // A fault's probability: from 0 to 1.
  auto chance = [&app](const char* name, double& field, const char* help) {
    return app.add_option(name, field, help)->check(CLI::Range(0.0, 1.0));
  };
  app.add_option("--disconnect-after", f.disconnect_after, "Drop each connection after N events");
  app.add_option("--disconnect-every", f.disconnect_every_s,
                 "Drop each connection T seconds after it subscribed");
  chance("--duplicate-prob", f.duplicate_prob, "Probability of sending an event twice");
  app.add_option("--reorder-window", f.reorder_window,
                 "Release events in random order within windows of N");
  chance("--malformed-prob", f.malformed_prob,
         "Probability of a garbled extra frame before an event");
  chance("--invalid-utf8-prob", f.invalid_utf8_prob,
         "Probability of an extra copy of an event with invalid UTF-8 in it");
  chance("--compressed-prob", f.compressed_prob,
         "Probability of an extra copy of an event deflated (never negotiated)");
  chance("--oversized-prob", f.oversized_prob,
         "Probability of an extra frame of --oversized-bytes before an event");
  app.add_option("--oversized-bytes", f.oversized_bytes, "Size of an oversized frame");
  chance("--rest-error-prob", f.rest_error_prob,
         "Probability of answering a /v1 REST request with HTTP 503");
  app.add_option("--rest-delay-ms", f.rest_delay_ms,
                 "Answer each REST request this many milliseconds later")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--stall-after", f.stall_after,
                 "After N events go silent: no events, pongs or status (see --stall-seconds)");
  app.add_option("--stall-seconds", f.stall_s, "Length of a stall (0 = until the client leaves)");
  chance("--stall-prob", f.stall_prob,
         "Chance that a connection stalls when it reaches --stall-after events");
  app.add_option("--delay-ms", f.delay_ms, "Hold each batch of events this many ms before sending");
  app.add_option("--jitter-ms", f.jitter_ms,
                 "Plus a random extra delay up to this many ms (order is kept)");
  app.add_option("--refuse-handshakes", f.refuse_handshakes,
                 "Answer the next K WebSocket handshakes with HTTP 429");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == static_cast<int>(CLI::ExitCodes::Success)) return app.exit(e);
    // A usage error: one line on stderr, exit status 2 (as the fillwire CLI).
    std::string what = e.what();
    std::replace(what.begin(), what.end(), '\n', ' ');
    std::fprintf(stderr, "upbit-sim: error: %s (see upbit-sim --help)\n", what.c_str());
    return 2;
  }
  c.tls = !no_tls;
  c.start_on_subscribe = !start_now;
  c.rest.rate_limit = !no_rest_limit;
  c.rest.ban_window_ms = std::int64_t{ban_window_s} * 1000;
  c.rest.ban_ms = std::int64_t{ban_s} * 1000;
  c.rest.ban_max_ms = std::int64_t{ban_max_s} * 1000;
  c.rest.prevented_as = prevented_state == "prevented" ? fillwire::sim::PreventedAs::prevented
                                                       : fillwire::sim::PreventedAs::cancel;
  c.ws_rate_limit = !no_ws_limit;
  c.simulation.generator.max_resting = max_resting;
  if (sim_clock) c.wall_clock = false;

  try {
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGINT);
    sigaddset(&signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);

    Server server(c);
    server.start();
    std::string line = "upbit-sim " + server.urls();
    if (!server.cert_path().empty()) line += " cert=" + server.cert_path();
    // The clock events are stamped with: a client that passes real times (a `since`) finds
    // nothing when the simulated clock starts years away.
    line += c.wall_clock ? std::string(" clock=wall")
                         : " clock=simulated-from-" +
                               fillwire::sim::iso_kst(c.simulation.generator.epoch_ms);
    std::printf("%s\n", line.c_str());
    std::fflush(stdout);

    // SIGINT/SIGTERM are blocked in every thread (the mask is inherited) and taken by one
    // watcher thread with sigtimedwait, which asks the server to stop: no handler runs
    // asynchronously, and a signal that arrives early is kept pending rather than lost.
    std::atomic<bool> done{false};
    std::thread watcher([&] {
      sigset_t set;
      sigemptyset(&set);
      sigaddset(&set, SIGINT);
      sigaddset(&set, SIGTERM);
      const timespec tick{0, 200'000'000};
      while (!done.load(std::memory_order_relaxed)) {  // relaxed: only a loop exit hint
        if (sigtimedwait(&set, nullptr, &tick) > 0) {
          server.stop();
          return;
        }
      }
    });
    server.run();
    done.store(true, std::memory_order_relaxed);
    watcher.join();

    const auto s = server.stats();
    fmt::print(stderr,
               "upbit-sim: {} events generated, {} external movements, {} event frames, {} bytes "
               "sent, {} connections, {} slow-consumer and {} fault disconnects, {} REST requests "
               "({} HTTP 429, {} HTTP 418)\n",
               s.events_generated, s.external_moves, s.event_frames, s.bytes_sent, s.connections,
               s.slow_consumer_disconnects, s.fault_disconnects, s.rest_requests,
               s.rest_rate_limited, s.rest_banned);
    fmt::print(stderr,
               "upbit-sim: limits: {} handshake timeouts, {} write timeouts, {} idle closes, {} "
               "upgrades over the connection rate, {} failed accepts, {} truth requests refused\n",
               s.handshake_timeouts, s.write_timeouts, s.idle_closes, s.connect_rate_refused,
               s.accept_errors, s.truth_refused);
    if (!truth_file.empty()) {
      std::ofstream out(truth_file, std::ios::binary | std::ios::trunc);
      out << server.truth_json(true) << '\n';
      if (!out) {
        std::fprintf(stderr, "upbit-sim: cannot write %s\n", truth_file.c_str());
        return 1;
      }
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "upbit-sim: %s\n", e.what());
    return 1;
  }
  return 0;
}
