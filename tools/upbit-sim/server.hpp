#pragma once
// Server: upbit-sim's network side on Boost.Beast — one port serving ws:// and wss:// (TLS is
// detected from the first bytes), the private WebSocket at /websocket/v1/private and /websocket/v1,
// the REST order queries under /v1 and the ground truth at /sim/truth (with the simulator's own
// JWT, as REST; written out on a worker thread from a snapshot, so the event loop never stalls).
//
// Every connection is bounded: a deadline for its first byte, TLS handshake and each HTTP request
// (handshake_timeout_s), for each write (write_timeout_s), and one budget of unsent bytes for
// events and control replies together (slow_consumer_bytes). Accept errors (out of descriptors)
// back off instead of spinning.
//
// Thread contract: everything runs on the one thread that calls run() (a single io_context; no
// locks), but for the truth's JSON, written on one worker thread from a copy. stop(), stats() and
// truth_json() may be called from any thread.
// This header does not include Beast: tools and tests that only drive the server stay light.

#include <cstdint>
#include <memory>
#include <string>

#include "rest.hpp"
#include "send_stamps.hpp"
#include "simulation.hpp"

namespace fillwire::sim {

// Fault injection; every random choice comes from the seed (per connection: seed and the
// connection's number in accept order), so a run with the same clients is reproducible.
struct FaultConfig {
  std::uint64_t disconnect_after = 0;  // close each connection after this many events (0: never)
  double disconnect_every_s = 0;       // close each connection this long after it subscribed
  double duplicate_prob = 0;           // send an event twice
  std::size_t reorder_window = 0;      // hold up to N events and release them in random order
  double malformed_prob = 0;           // send a garbled extra frame before an event
  double invalid_utf8_prob = 0;        // send an extra copy of an event with invalid UTF-8 in it
  double compressed_prob = 0;          // send an extra copy of an event deflated (never negotiated)
  double oversized_prob = 0;           // send an extra frame of oversized_bytes before an event
  std::size_t oversized_bytes = 256u << 10;
  double rest_error_prob = 0;           // answer a /v1 REST request with HTTP 503
  double rest_delay_ms = 0;             // answer each REST request this much later
  std::uint64_t stall_after = 0;        // after N events go silent (no events, no pong, no status)
  double stall_s = 0;                   // how long a stall lasts (0: until the client leaves)
  double stall_prob = 1;                // chance that a connection stalls at stall_after events
  std::uint32_t refuse_handshakes = 0;  // answer the next K WebSocket handshakes with HTTP 429
  double delay_ms = 0;                  // hold each batch of events this long before sending
  double jitter_ms = 0;                 // plus up to this much more (order is kept)
};

struct ServerConfig {
  std::string bind = "127.0.0.1";
  std::uint16_t port = 0;  // 0: any free port
  std::string access_key = "sim-access-key";
  std::string secret_key = "sim-secret-key";

  bool tls = true;        // also accept TLS (wss://, https://) on the same port
  std::string cert_file;  // PEM certificate chain; empty: self-signed, made at start
  std::string key_file;   // PEM private key for cert_file
  std::string cert_out;   // where the self-signed certificate is written (empty: a temp file)

  double rate = 1000;              // events per second; 0: as fast as the clients read
  std::uint64_t burst = 0;         // events per burst at `rate` (0: smooth, 1 ms ticks)
  std::uint64_t total = 0;         // stop generating after this many events (0: never)
  bool start_on_subscribe = true;  // the clock starts at the first subscription
  // Event timestamps from the real clock (the default: clients compare them with their own clock,
  // as they must with Upbit); false: the simulated clock from --epoch-ms, byte-for-byte runs.
  bool wall_clock = true;
  bool exit_when_done = false;  // stop once `total` events went out and were written

  bool text_frames = false;       // events as text frames instead of binary
  bool auth_error_frame = false;  // bad token: upgrade, send INVALID_AUTH, close (not HTTP 401)
  bool ws_nonce_check = false;    // reject a handshake token whose nonce was seen before
  bool ws_rate_limit = true;      // 5 messages/s and 100/min per connection
  bool close_on_error = false;    // close the connection after a subscription error frame
  double idle_timeout_s = 120;    // close connections that send nothing for this long
  double status_interval_s = 10;  // {"status":"UP"} period after a client's first PING
  // Unsent bytes that disconnect a connection: events and control replies (pongs, status, errors)
  // alike, so a client that sends and never reads cannot grow the server.
  std::size_t slow_consumer_bytes = 16u << 20;
  std::size_t max_message_bytes = 64u << 10;  // largest client message accepted
  // A connection must send its first byte, finish the TLS handshake and send a whole HTTP request
  // (REST, or the WebSocket upgrade) within this; an idle keep-alive REST connection is closed
  // after it too.
  double handshake_timeout_s = 10;
  double write_timeout_s = 30;  // a write (a response, or queued frames) not done by then closes
  // Upbit's WebSocket connection rate: at most this many upgrades per rolling second per client
  // address and per access key; more are answered HTTP 429 (TOO_MANY_REQ). 0: no limit.
  unsigned ws_connects_per_second = 5;

  // Measurement only, off by default: when set, each event's send time is recorded here (see
  // send_stamps.hpp); what is sent does not change. Owned by the caller; must outlive the server.
  SendStamps* send_stamps = nullptr;

  SimulationConfig simulation;
  RestConfig rest;
  FaultConfig faults;
};

struct ServerStats {
  std::uint64_t connections = 0;
  std::uint64_t websocket_sessions = 0;
  std::uint64_t refused_handshakes = 0;
  std::uint64_t auth_failures = 0;
  std::uint64_t rest_requests = 0;
  std::uint64_t accounts_requests = 0;  // of which GET /v1/accounts
  std::uint64_t events_generated = 0;
  std::uint64_t external_moves = 0;  // deposits and withdrawals (each sent as a myAsset frame)
  std::uint64_t event_frames = 0;    // frames carrying events, over all connections
  std::uint64_t bytes_sent = 0;
  std::uint64_t slow_consumer_disconnects = 0;
  std::uint64_t fault_disconnects = 0;
  std::uint64_t duplicates = 0;
  std::uint64_t malformed = 0;  // garbled, invalid UTF-8, deflated and oversized extra frames
  std::uint64_t rest_errors = 0;
  std::uint64_t handshake_timeouts = 0;    // no first byte, TLS handshake or request in time
  std::uint64_t write_timeouts = 0;        // a client that stopped reading a response or frames
  std::uint64_t idle_closes = 0;           // WebSockets silent for idle_timeout_s (close 1000)
  std::uint64_t connect_rate_refused = 0;  // upgrades over ws_connects_per_second (HTTP 429)
  std::uint64_t accept_errors = 0;         // failed accepts (out of descriptors): backed off
  std::uint64_t truth_requests = 0;        // GET /sim/truth answered
  std::uint64_t truth_refused = 0;         // GET /sim/truth without a valid token, or while busy
  std::uint64_t rest_rate_limited = 0;     // REST answers HTTP 429 (over a group's limit)
  std::uint64_t rest_banned = 0;           // REST answers HTTP 418 (during a ban)
};

class Server {
 public:
  explicit Server(ServerConfig config);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds and listens (port() is known afterwards), prepares TLS. Throws on failure.
  void start();
  // Serves until stop() or, with exit_when_done, until all events are out. Calling thread only.
  void run();
  // Any thread.
  void stop();

  [[nodiscard]] std::uint16_t port() const noexcept;
  // "ws://127.0.0.1:P/websocket/v1/private wss://... http://127.0.0.1:P/v1 https://..."
  [[nodiscard]] std::string urls() const;
  [[nodiscard]] const std::string& cert_path() const noexcept;
  // Ground truth JSON. Any thread while running (the server thread takes a snapshot, the caller
  // writes it out); after run() returned, from the caller's thread.
  [[nodiscard]] std::string truth_json(bool with_orders = true);
  [[nodiscard]] ServerStats stats();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace fillwire::sim
