#pragma once
// Settings shared by `fillwire monitor` and `fillwire demo`: one struct, filled in three layers —
// built-in defaults, then a TOML file (--config FILE, read with toml++), then the command-line
// flags that were actually given. Unknown keys and wrong types in the file are errors that name
// the key, the line and what is expected.
//
// TOML keys (all optional):
//   url = "wss://..."          codes = ["KRW-BTC"]      format = "default" | "simple"
//   ca_file = "cert.pem"       insecure = false         key_file = "keys.env"   (monitor)
//   duration = 25.0            refresh_ms = 250         busy_poll = false
//   [cpu]     network = -1, strategy = -1               (-1: not pinned)
//   [ring]    capacity = 4096                            (power of two)
//   [account] open_orders, completed_orders, markets, history, currencies, pending_deltas,
//             drift_settle_ms, drifts
//   [journal] path = "run.fwj", max_file_mb = 256, keep_files = 4
//   [log]     path = "fillwire.log", max_file_mb = 64, keep_files = 4   (rotated by size)
//   [demo]    rate = 1000, seed = 7, faults = "all"      (demo only: all, stream or none)
//   [live]    balances = true (false: myOrder alone, as --orders-only), and each bound of
//             LiveConfig by name (connect_timeout_ms, resync_max_orders, ...)
//   [nats]    servers = ["nats://..."], account = "desk-1" (or accounts = [...] for follow),
//             credentials_file, replicas = 1, tls, ca_file, cert_file, key_file,
//             duplicate_window_s = 120, max_age_s = 0, max_mb = 0; the gateway's max_in_flight = 8,
//             batch_records = 1024, batch_kb = 768, stop_timeout_ms = 5000; a follower's
//             idle_wait_ms = 20
// Thread contract: cold path, main thread.

#include <CLI/CLI.hpp>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "commands.hpp"
#include "fillwire/engine.hpp"
#include "fillwire/jetstream_source.hpp"
#include "fillwire/live_source.hpp"
#include "fillwire/nats_config.hpp"
#include "fillwire/nats_publisher.hpp"

namespace fillwire::cli {

// [nats]: scale-out (docs/scale-out.md). record and monitor publish the journal as the gateway
// of one account; follow reads one or several accounts' streams.
struct NatsSettings {
  std::vector<std::string> servers;   // nats://host:port ...; none: no NATS
  std::vector<std::string> accounts;  // the account name(s), never an access key
  std::string credentials_file;       // NATS_USER=, NATS_PASSWORD=, NATS_TOKEN=, NATS_CREDS=
  int replicas = 1;
  bool tls = false;
  std::string ca_file;
  std::string cert_file;
  std::string key_file;
  std::int64_t duplicate_window_s = 120;
  std::int64_t max_age_s = 0;  // 0: kept for ever
  std::int64_t max_mb = 0;     // 0: no size limit
  // The gateway's publisher (NatsPublisherConfig's defaults unless set).
  std::int64_t max_in_flight = static_cast<std::int64_t>(NatsPublisherConfig{}.max_in_flight);
  std::int64_t batch_records = static_cast<std::int64_t>(NatsPublisherConfig{}.max_batch_records);
  std::int64_t batch_kb = static_cast<std::int64_t>(NatsPublisherConfig{}.max_batch_bytes >> 10);
  std::int64_t stop_timeout_ms = NatsPublisherConfig{}.stop_timeout.count();
  // A follower's wait for the next message (JetStreamSourceConfig::idle_wait; 0: it polls).
  std::int64_t idle_wait_ms = JetStreamSourceConfig{}.idle_wait.count();
};

struct RunSettings {
  std::string url;
  std::vector<std::string> codes;
  std::string format = "default";
  std::string ca_file;
  bool insecure = false;
  std::string key_file;
  double duration_s = 0;  // 0: until Ctrl-C
  int refresh_ms = 250;
  bool busy_poll = false;
  int network_cpu = -1;
  int strategy_cpu = -1;
  std::size_t ring_capacity = 4096;
  std::size_t open_orders = 4096;
  std::size_t completed_orders = 8192;
  std::size_t markets = 64;
  std::size_t history = 1024;
  // Balances and their reconciliation (AccountConfig's defaults unless set).
  std::size_t currencies = AccountConfig{}.currencies;
  std::size_t pending_deltas = AccountConfig{}.pending_deltas;
  std::int64_t drift_settle_ms = AccountConfig{}.drift_settle_ms;
  std::size_t drifts = AccountConfig{}.drifts;
  std::string journal_path;
  std::size_t journal_max_file_mb = 256;
  unsigned journal_keep_files = 4;
  std::string log_path;
  std::size_t log_max_file_mb = 64;  // the human log rotates at this size
  unsigned log_keep_files = 4;       // rotated logs kept (fillwire.1.log, ...)
  // [live]: the connection's bounds and deadlines (LiveConfig's defaults unless set).
  LiveConfig live;
  double demo_rate = 1000;
  std::uint64_t demo_seed = 7;
  // all: disconnects, duplicates, reordering, garbled frames, a refused handshake; stream:
  // duplicates, garbled frames and a refused handshake only (nothing that changes the order in
  // which fills are applied); none.
  std::string demo_faults = "all";
  NatsSettings nats;
};

// The --nats, --account and --nats-credentials flags, bound to `flags`; apply_nats_flags copies
// the ones given over `s`.
void add_nats_flags(CLI::App& app, NatsSettings& flags, bool several_accounts);
void apply_nats_flags(const CLI::App& app, const NatsSettings& flags, NatsSettings& s);

// The NATS configuration for one account: credentials from credentials_file (mode 0600) or the
// FILLWIRE_NATS_* environment variables. Throws UsageError saying what is wrong.
[[nodiscard]] NatsConfig nats_config(const NatsSettings& s, const std::string& account);

// Registers the shared flags on `app`, bound to a private copy; call apply() after parsing.
class RunFlags {
 public:
  // `demo`: adds the demo's flags instead of the connection flags the demo sets itself.
  RunFlags(CLI::App& app, bool demo);
  // Defaults, then the --config file, then the given flags. Throws UsageError on a bad file or
  // flag, saying what to change.
  [[nodiscard]] RunSettings resolve() const;

 private:
  CLI::App* app_;
  bool demo_;
  std::string config_file_;
  RunSettings flags_;
};

// Registers subcommand `name` of `root` with the shared flags (RunFlags, the demo's if `demo`);
// when chosen, `run` gets the resolved settings and returns the exit status.
Command add_run_command(CLI::App& root, const std::string& name, const std::string& help,
                        const std::string& footer, bool demo,
                        std::function<int(const RunSettings&)> run);

// Reads a TOML file over `s` (only the keys it sets). Throws std::runtime_error.
void load_toml(const std::string& path, RunSettings& s, bool demo);

// The keys for these settings: --key-file (mode 0600) or UPBIT_ACCESS_KEY / UPBIT_SECRET_KEY.
// Throws UsageError saying where keys come from; never prints a key.
[[nodiscard]] Credentials load_credentials(const RunSettings& s);

// The engine configuration for these settings (url, codes, format, TLS, pinning, capacities,
// journal, log). Credentials are separate.
[[nodiscard]] EngineConfig engine_config(const RunSettings& s);

// The engine configuration of a follower of `account` (fillwire follow): its stream from
// `start_seq` (0: new messages only), ending at the stream's end as it is now with
// `stop_at_end`; pinning, capacities and the log as engine_config. Throws UsageError on a bad
// account name or credentials file.
[[nodiscard]] EngineConfig follower_config(const RunSettings& s, const std::string& account,
                                           std::uint64_t start_seq, bool stop_at_end);

}  // namespace fillwire::cli
