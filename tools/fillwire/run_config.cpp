#include "run_config.hpp"

#include <fmt/core.h>
#include <toml++/toml.h>

#include <functional>
#include <map>
#include <memory>
#include <stdexcept>
#include <utility>

#include "commands.hpp"
#include "fillwire/auth.hpp"
#include "fillwire/safe_text.hpp"
#include "net/url.hpp"

namespace fillwire::cli {
namespace {

[[noreturn]] void fail(const std::string& path, const toml::node& node, const std::string& key,
                       std::string_view expected) {
  throw std::runtime_error(fmt::format("{}:{}: `{}` must be {} (fix the value or remove the line)",
                                       path, node.source().begin.line, key, expected));
}

struct Reader {
  const std::string& path;

  std::string string(const toml::node& n, const std::string& key) const {
    if (const auto* v = n.as_string()) return v->get();
    fail(path, n, key, "a string in quotes");
  }
  bool boolean(const toml::node& n, const std::string& key) const {
    if (const auto* v = n.as_boolean()) return v->get();
    fail(path, n, key, "true or false");
  }
  std::int64_t integer(const toml::node& n, const std::string& key, std::int64_t min,
                       std::int64_t max) const {
    const auto* v = n.as_integer();
    if (v == nullptr || v->get() < min || v->get() > max)
      fail(path, n, key, fmt::format("a whole number from {} to {}", min, max));
    return v->get();
  }
  double number(const toml::node& n, const std::string& key, double min) const {
    double x = 0;
    if (const auto* i = n.as_integer()) {
      x = static_cast<double>(i->get());
    } else if (const auto* f = n.as_floating_point()) {
      x = f->get();
    } else {
      fail(path, n, key, "a number");
    }
    if (!(x >= min)) fail(path, n, key, fmt::format("a number of at least {}", min));
    return x;
  }
  std::vector<std::string> strings(const toml::node& n, const std::string& key) const {
    const auto* a = n.as_array();
    if (a == nullptr) fail(path, n, key, R"(a list of strings, e.g. ["KRW-BTC", "KRW-ETH"])");
    std::vector<std::string> out;
    for (const toml::node& e : *a)
      out.push_back(string(e, key));
    return out;
  }
};

using Setter = std::function<void(const Reader&, const toml::node&, RunSettings&)>;

std::map<std::string, Setter> setters(bool demo) {
  constexpr std::int64_t kMaxCount = std::int64_t{1} << 40;
  std::map<std::string, Setter> m;
  auto size = [](const char* key, std::size_t RunSettings::*field, std::int64_t min) {
    return [key, field, min](const Reader& r, const toml::node& n, RunSettings& s) {
      s.*field = static_cast<std::size_t>(r.integer(n, key, min, kMaxCount));
    };
  };
  auto text = [](const char* key, std::string RunSettings::*field) {
    return [key, field](const Reader& r, const toml::node& n, RunSettings& s) {
      s.*field = r.string(n, key);
    };
  };
  auto files = [](const char* key, unsigned RunSettings::*field) {
    return [key, field](const Reader& r, const toml::node& n, RunSettings& s) {
      s.*field = static_cast<unsigned>(r.integer(n, key, 0, 1000));
    };
  };
  m["url"] = [](const Reader& r, const toml::node& n, RunSettings& s) {
    s.url = r.string(n, "url");
    try {
      (void)parse_url(s.url);
    } catch (const std::invalid_argument& e) {
      throw std::runtime_error(
          fmt::format("{}:{}: `url`: {}", r.path, n.source().begin.line, e.what()));
    }
  };
  m["codes"] = [](const Reader& r, const toml::node& n, RunSettings& s) {
    s.codes = r.strings(n, "codes");
  };
  m["format"] = [](const Reader& r, const toml::node& n, RunSettings& s) {
    s.format = r.string(n, "format");
    if (s.format != "default" && s.format != "simple")
      fail(r.path, n, "format", R"("default" or "simple")");
  };
  m["ca_file"] = text("ca_file", &RunSettings::ca_file);
  m["insecure"] = [](const Reader& r, const toml::node& n, RunSettings& s) {
    s.insecure = r.boolean(n, "insecure");
  };
  m["key_file"] = text("key_file", &RunSettings::key_file);
  m["duration"] = [](const Reader& r, const toml::node& n, RunSettings& s) {
    s.duration_s = r.number(n, "duration", 0);
  };
  m["refresh_ms"] = [](const Reader& r, const toml::node& n, RunSettings& s) {
    s.refresh_ms = static_cast<int>(r.integer(n, "refresh_ms", 50, 60000));
  };
  m["busy_poll"] = [](const Reader& r, const toml::node& n, RunSettings& s) {
    s.busy_poll = r.boolean(n, "busy_poll");
  };
  m["cpu.network"] = [](const Reader& r, const toml::node& n, RunSettings& s) {
    s.network_cpu = static_cast<int>(r.integer(n, "cpu.network", -1, 4095));
  };
  m["cpu.strategy"] = [](const Reader& r, const toml::node& n, RunSettings& s) {
    s.strategy_cpu = static_cast<int>(r.integer(n, "cpu.strategy", -1, 4095));
  };
  m["ring.capacity"] = size("ring.capacity", &RunSettings::ring_capacity, 2);
  m["account.open_orders"] = size("account.open_orders", &RunSettings::open_orders, 1);
  m["account.completed_orders"] =
      size("account.completed_orders", &RunSettings::completed_orders, 1);
  m["account.markets"] = size("account.markets", &RunSettings::markets, 1);
  m["account.history"] = size("account.history", &RunSettings::history, 0);
  m["account.currencies"] = [](const Reader& r, const toml::node& n, RunSettings& s) {
    s.currencies = static_cast<std::size_t>(r.integer(n, "account.currencies", 1, 4096));
  };
  m["account.pending_deltas"] = [](const Reader& r, const toml::node& n, RunSettings& s) {
    s.pending_deltas = static_cast<std::size_t>(r.integer(n, "account.pending_deltas", 1, 65536));
  };
  m["account.drift_settle_ms"] = [](const Reader& r, const toml::node& n, RunSettings& s) {
    s.drift_settle_ms = r.integer(n, "account.drift_settle_ms", 0, 86'400'000);
  };
  m["account.drifts"] = size("account.drifts", &RunSettings::drifts, 0);
  m["journal.path"] = text("journal.path", &RunSettings::journal_path);
  m["journal.max_file_mb"] = size("journal.max_file_mb", &RunSettings::journal_max_file_mb, 1);
  m["journal.keep_files"] = files("journal.keep_files", &RunSettings::journal_keep_files);
  // [live]: each bound of the connection, by its LiveConfig name (README, "Bounds").
  auto ms = [](const char* key, std::chrono::milliseconds LiveConfig::*field) {
    return [key, field](const Reader& r, const toml::node& n, RunSettings& s) {
      s.live.*field = std::chrono::milliseconds(r.integer(n, key, 1, 86'400'000));
    };
  };
  auto count = [](const char* key, std::size_t LiveConfig::*field, std::int64_t min) {
    return [key, field, min](const Reader& r, const toml::node& n, RunSettings& s) {
      s.live.*field = static_cast<std::size_t>(r.integer(n, key, min, kMaxCount));
    };
  };
  m["live.balances"] = [](const Reader& r, const toml::node& n, RunSettings& s) {
    s.live.balances = r.boolean(n, "live.balances");
  };
  m["live.connect_timeout_ms"] = ms("live.connect_timeout_ms", &LiveConfig::connect_timeout);
  m["live.backoff_initial_ms"] = ms("live.backoff_initial_ms", &LiveConfig::backoff_initial);
  m["live.backoff_max_ms"] = ms("live.backoff_max_ms", &LiveConfig::backoff_max);
  m["live.auth_backoff_ms"] = ms("live.auth_backoff_ms", &LiveConfig::auth_backoff);
  m["live.healthy_after_ms"] = ms("live.healthy_after_ms", &LiveConfig::healthy_after);
  m["live.ban_default_ms"] = ms("live.ban_default_ms", &LiveConfig::ban_default);
  m["live.ping_interval_ms"] = ms("live.ping_interval_ms", &LiveConfig::ping_interval);
  m["live.pong_timeout_ms"] = ms("live.pong_timeout_ms", &LiveConfig::pong_timeout);
  m["live.frame_timeout_ms"] = ms("live.frame_timeout_ms", &LiveConfig::frame_timeout);
  m["live.clock_skew_max_ms"] = ms("live.clock_skew_max_ms", &LiveConfig::clock_skew_max);
  m["live.event_age_max_ms"] = ms("live.event_age_max_ms", &LiveConfig::event_age_max);
  m["live.rest_timeout_ms"] = ms("live.rest_timeout_ms", &LiveConfig::rest_timeout);
  m["live.resync_timeout_ms"] = ms("live.resync_timeout_ms", &LiveConfig::resync_timeout);
  m["live.closed_margin_ms"] = ms("live.closed_margin_ms", &LiveConfig::closed_margin);
  m["live.connects_per_second"] =
      count("live.connects_per_second", &LiveConfig::connects_per_second, 1);
  m["live.rest_per_second"] = count("live.rest_per_second", &LiveConfig::rest_per_second, 1);
  m["live.max_frame_bytes"] = count("live.max_frame_bytes", &LiveConfig::max_frame_bytes, 1024);
  m["live.resync_max_pages"] = count("live.resync_max_pages", &LiveConfig::resync_max_pages, 1);
  m["live.resync_max_orders"] = count("live.resync_max_orders", &LiveConfig::resync_max_orders, 1);
  m["live.rest_max_body_bytes"] =
      count("live.rest_max_body_bytes", &LiveConfig::rest_max_body_bytes, 4096);
  m["live.resync_hold_bytes"] = count("live.resync_hold_bytes", &LiveConfig::resync_hold_bytes, 0);
  // [nats]
  m["nats.servers"] = [](const Reader& r, const toml::node& n, RunSettings& s) {
    s.nats.servers = r.strings(n, "nats.servers");
  };
  m["nats.account"] = [](const Reader& r, const toml::node& n, RunSettings& s) {
    s.nats.accounts = {r.string(n, "nats.account")};
  };
  m["nats.accounts"] = [](const Reader& r, const toml::node& n, RunSettings& s) {
    s.nats.accounts = r.strings(n, "nats.accounts");
  };
  m["nats.credentials_file"] = [](const Reader& r, const toml::node& n, RunSettings& s) {
    s.nats.credentials_file = r.string(n, "nats.credentials_file");
  };
  m["nats.replicas"] = [](const Reader& r, const toml::node& n, RunSettings& s) {
    s.nats.replicas = static_cast<int>(r.integer(n, "nats.replicas", 1, 5));
  };
  m["nats.tls"] = [](const Reader& r, const toml::node& n, RunSettings& s) {
    s.nats.tls = r.boolean(n, "nats.tls");
  };
  m["nats.ca_file"] = [](const Reader& r, const toml::node& n, RunSettings& s) {
    s.nats.ca_file = r.string(n, "nats.ca_file");
  };
  m["nats.cert_file"] = [](const Reader& r, const toml::node& n, RunSettings& s) {
    s.nats.cert_file = r.string(n, "nats.cert_file");
  };
  m["nats.key_file"] = [](const Reader& r, const toml::node& n, RunSettings& s) {
    s.nats.key_file = r.string(n, "nats.key_file");
  };
  m["nats.duplicate_window_s"] = [](const Reader& r, const toml::node& n, RunSettings& s) {
    s.nats.duplicate_window_s = r.integer(n, "nats.duplicate_window_s", 1, 86'400);
  };
  m["nats.max_age_s"] = [](const Reader& r, const toml::node& n, RunSettings& s) {
    s.nats.max_age_s = r.integer(n, "nats.max_age_s", 0, kMaxCount);
  };
  m["nats.max_in_flight"] = [](const Reader& r, const toml::node& n, RunSettings& s) {
    s.nats.max_in_flight = r.integer(n, "nats.max_in_flight", 1, 1024);
  };
  m["nats.batch_records"] = [](const Reader& r, const toml::node& n, RunSettings& s) {
    s.nats.batch_records = r.integer(n, "nats.batch_records", 1, 65'536);
  };
  m["nats.batch_kb"] = [](const Reader& r, const toml::node& n, RunSettings& s) {
    // NATS refuses a message over the server's max_payload (1 MiB unless raised).
    s.nats.batch_kb = r.integer(n, "nats.batch_kb", 1, 64 * 1024);
  };
  m["nats.stop_timeout_ms"] = [](const Reader& r, const toml::node& n, RunSettings& s) {
    s.nats.stop_timeout_ms = r.integer(n, "nats.stop_timeout_ms", 0, 3'600'000);
  };
  m["nats.idle_wait_ms"] = [](const Reader& r, const toml::node& n, RunSettings& s) {
    s.nats.idle_wait_ms = r.integer(n, "nats.idle_wait_ms", 0, 1000);
  };
  m["nats.max_mb"] = [](const Reader& r, const toml::node& n, RunSettings& s) {
    s.nats.max_mb = r.integer(n, "nats.max_mb", 0, kMaxCount);
  };
  m["log.path"] = text("log.path", &RunSettings::log_path);
  m["log.max_file_mb"] = size("log.max_file_mb", &RunSettings::log_max_file_mb, 1);
  m["log.keep_files"] = files("log.keep_files", &RunSettings::log_keep_files);
  if (demo) {
    m["demo.rate"] = [](const Reader& r, const toml::node& n, RunSettings& s) {
      s.demo_rate = r.number(n, "demo.rate", 1);
    };
    m["demo.seed"] = [](const Reader& r, const toml::node& n, RunSettings& s) {
      s.demo_seed = static_cast<std::uint64_t>(r.integer(n, "demo.seed", 0, kMaxCount));
    };
    m["demo.faults"] = [](const Reader& r, const toml::node& n, RunSettings& s) {
      s.demo_faults = r.string(n, "demo.faults");
      if (s.demo_faults != "all" && s.demo_faults != "stream" && s.demo_faults != "none")
        fail(r.path, n, "demo.faults", R"("all", "stream" or "none")");
    };
  }
  return m;
}

std::string known_keys(const std::map<std::string, Setter>& m) {
  std::string out;
  for (const auto& [k, v] : m)
    out += (out.empty() ? "" : ", ") + k;
  return out;
}

}  // namespace

void load_toml(const std::string& path, RunSettings& s, bool demo) {
  toml::table root;
  try {
    root = toml::parse_file(path);
  } catch (const toml::parse_error& e) {
    if (e.source().begin.line == 0) {
      throw std::runtime_error(
          fmt::format("cannot read the config file {}: {}", path, e.description()));
    }
    throw std::runtime_error(fmt::format("{}:{}:{}: not valid TOML: {}", path,
                                         e.source().begin.line, e.source().begin.column,
                                         quote_server_text(e.description())));
  }
  const auto table = setters(demo);
  const Reader reader{path};
  std::function<void(const toml::table&, const std::string&)> walk =
      [&](const toml::table& t, const std::string& prefix) {
        for (const auto& [k, node] : t) {
          const std::string key = prefix + std::string(k.str());
          if (const auto* sub = node.as_table(); sub != nullptr && prefix.empty()) {
            walk(*sub, key + ".");
            continue;
          }
          const auto it = table.find(key);
          if (it == table.end()) {
            throw std::runtime_error(fmt::format("{}:{}: unknown key `{}`; known keys: {}", path,
                                                 node.source().begin.line, printable(key),
                                                 known_keys(table)));
          }
          it->second(reader, node, s);
        }
      };
  walk(root, "");
}

RunFlags::RunFlags(CLI::App& app, bool demo) : app_(&app), demo_(demo) {
  app.add_option("--config", config_file_, "TOML settings file (flags given here override it)")
      ->check(CLI::ExistingFile);
  if (!demo) {
    app.add_option("--url", flags_.url, "private WebSocket URL (wss://... or ws://...)");
    app.add_option("--codes", flags_.codes,
                   "markets to subscribe, e.g. KRW-BTC KRW-ETH (default: all)");
    app.add_option("--format", flags_.format, "stream format: default or simple")
        ->check(CLI::IsMember({"default", "simple"}));
    app.add_option("--ca-file", flags_.ca_file, "extra trusted CA certificate (PEM)");
    app.add_flag("--insecure", flags_.insecure, "do not verify the server certificate (unsafe)");
    app.add_flag("--orders-only{false}", flags_.live.balances,
                 "subscribe to myOrder alone: no balances (myAsset, GET /v1/accounts)");
    app.add_option("--key-file", flags_.key_file,
                   "file with UPBIT_ACCESS_KEY= and UPBIT_SECRET_KEY= lines, mode 0600 "
                   "(default: those environment variables)");
  } else {
    app.add_option("--rate", flags_.demo_rate, "simulated events per second")
        ->check(CLI::Range(1.0, 1e6));
    app.add_option("--seed", flags_.demo_seed, "order-flow seed (same seed, same flow)");
    app.add_option("--faults", flags_.demo_faults,
                   "all (default): disconnects, duplicates, reordering, garbled frames, a refused "
                   "handshake; stream: duplicates, garbled frames and a refused handshake; none")
        ->check(CLI::IsMember({"all", "stream", "none"}));
  }
  app.add_option(
         "--duration", flags_.duration_s,
         demo ? "seconds of order flow (default 25)" : "seconds to run (default: until Ctrl-C)")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--refresh-ms", flags_.refresh_ms, "view refresh period in milliseconds")
      ->check(CLI::Range(50, 60000));
  app.add_flag(
      "--busy-poll", flags_.busy_poll,
      "network and strategy threads spin instead of sleeping (lowest latency, two full cores)");
  app.add_option("--network-cpu", flags_.network_cpu, "pin the network thread to this CPU");
  app.add_option("--strategy-cpu", flags_.strategy_cpu, "pin the strategy thread to this CPU");
  app.add_option("--ring-capacity", flags_.ring_capacity, "events in the ring (power of two)");
  app.add_option("--journal", flags_.journal_path,
                 "append raw frames, resync events, notices and summaries here");
  app.add_option("--log", flags_.log_path, "human log file (connection notices, summaries)");
  if (!demo) add_nats_flags(app, flags_.nats, /*several_accounts=*/false);
}

void add_nats_flags(CLI::App& app, NatsSettings& flags, bool several_accounts) {
  app.add_option("--nats", flags.servers,
                 several_accounts
                     ? "NATS servers to follow from, e.g. nats://127.0.0.1:4222,nats://..."
                     : "publish the journal to these NATS servers (scale-out gateway; needs "
                       "--journal and --account)")
      ->delimiter(',');
  app.add_option("--account", flags.accounts,
                 several_accounts
                     ? "account name(s) to follow; several give a firm view (repeat the flag)"
                     : "the account's name in NATS (letters, digits, _ and -; never the key)")
      ->expected(several_accounts ? -1 : 1);
  app.add_option("--nats-credentials", flags.credentials_file,
                 "file with NATS_USER=/NATS_PASSWORD=, NATS_TOKEN= or NATS_CREDS= lines, mode "
                 "0600 (default: FILLWIRE_NATS_* environment variables)");
}

void apply_nats_flags(const CLI::App& app, const NatsSettings& flags, NatsSettings& s) {
  if (app.count("--nats") > 0) s.servers = flags.servers;
  if (app.count("--account") > 0) s.accounts = flags.accounts;
  if (app.count("--nats-credentials") > 0) s.credentials_file = flags.credentials_file;
}

NatsConfig nats_config(const NatsSettings& s, const std::string& account) {
  NatsConfig c;
  c.servers = s.servers;
  c.account = account;
  c.replicas = s.replicas;
  c.tls = s.tls;
  c.tls_ca_file = s.ca_file;
  c.tls_cert_file = s.cert_file;
  c.tls_key_file = s.key_file;
  c.duplicate_window = std::chrono::seconds(s.duplicate_window_s);
  c.max_age = std::chrono::seconds(s.max_age_s);
  c.max_bytes = s.max_mb > 0 ? s.max_mb << 20 : -1;
  try {
    c.credentials = s.credentials_file.empty() ? nats_credentials_from_env()
                                               : nats_credentials_from_file(s.credentials_file);
    validate(c);
  } catch (const std::exception& e) {
    throw UsageError(e.what());
  }
  return c;
}

RunSettings RunFlags::resolve() const {
  RunSettings s;
  if (demo_) s.duration_s = 25;
  if (!config_file_.empty()) {
    try {
      load_toml(config_file_, s, demo_);
    } catch (const std::runtime_error& e) {
      throw UsageError(e.what());
    }
  }
  const auto given = [this](const char* flag) { return app_->count(flag) > 0; };
  if (!demo_) {
    if (given("--url")) {
      s.url = flags_.url;
      try {
        (void)parse_url(s.url);
      } catch (const std::invalid_argument& e) {
        throw UsageError(std::string("--url: ") + e.what());
      }
    }
    if (given("--codes")) s.codes = flags_.codes;
    if (given("--format")) s.format = flags_.format;
    if (given("--ca-file")) s.ca_file = flags_.ca_file;
    if (given("--insecure")) s.insecure = flags_.insecure;
    if (given("--orders-only")) s.live.balances = flags_.live.balances;
    if (given("--key-file")) s.key_file = flags_.key_file;
    if (s.url.empty()) s.url = LiveConfig{}.url;  // the exchange's own
  } else {
    if (given("--rate")) s.demo_rate = flags_.demo_rate;
    if (given("--seed")) s.demo_seed = flags_.demo_seed;
    if (given("--faults")) s.demo_faults = flags_.demo_faults;
  }
  if (given("--duration")) s.duration_s = flags_.duration_s;
  if (given("--refresh-ms")) s.refresh_ms = flags_.refresh_ms;
  if (given("--busy-poll")) s.busy_poll = flags_.busy_poll;
  if (given("--network-cpu")) s.network_cpu = flags_.network_cpu;
  if (given("--strategy-cpu")) s.strategy_cpu = flags_.strategy_cpu;
  if (given("--ring-capacity")) s.ring_capacity = flags_.ring_capacity;
  if (given("--journal")) s.journal_path = flags_.journal_path;
  if (given("--log")) s.log_path = flags_.log_path;
  if (!demo_) apply_nats_flags(*app_, flags_.nats, s.nats);
  return s;
}

namespace {

// What a live engine and a follower share: the ring, pinning, capacities and the log.
EngineConfig common_config(const RunSettings& s) {
  EngineConfig c;
  c.pipeline.ring_capacity = s.ring_capacity;
  c.pipeline.producer_cpu = s.network_cpu;
  c.pipeline.consumer_cpu = s.strategy_cpu;
  c.account.open_orders = s.open_orders;
  c.account.completed_orders = s.completed_orders;
  c.account.markets = s.markets;
  c.account.history = s.history;
  c.account.currencies = s.currencies;
  c.account.pending_deltas = s.pending_deltas;
  c.account.drift_settle_ms = s.drift_settle_ms;
  c.account.drifts = s.drifts;
  c.log_path = s.log_path;
  c.log_max_file_bytes = s.log_max_file_mb << 20;
  c.log_keep_files = s.log_keep_files;
  c.snapshot_interval = std::chrono::milliseconds(s.refresh_ms);
  return c;
}

}  // namespace

EngineConfig engine_config(const RunSettings& s) {
  EngineConfig c = common_config(s);
  c.live = s.live;
  c.live.url = s.url;
  c.live.codes = s.codes;
  c.live.simple_format = s.format == "simple";
  c.live.ca_file = s.ca_file;
  c.live.insecure = s.insecure;
  c.live.blocking = !s.busy_poll;
  if (!s.journal_path.empty()) {
    JournalConfig j;
    j.path = s.journal_path;
    j.max_file_bytes = s.journal_max_file_mb << 20;
    j.keep_files = s.journal_keep_files;
    c.journal = j;
  }
  if (!s.nats.servers.empty()) {
    if (s.nats.accounts.size() != 1) {
      throw UsageError(
          "publishing to NATS needs one account name: give --account NAME (or "
          "[nats] account in the --config file)");
    }
    if (!c.journal) {
      throw UsageError(
          "publishing to NATS needs a journal (it publishes the journal): give "
          "--journal FILE");
    }
    NatsPublisherConfig p;
    p.nats = nats_config(s.nats, s.nats.accounts.front());
    p.max_in_flight = static_cast<std::size_t>(s.nats.max_in_flight);
    p.max_batch_records = static_cast<std::size_t>(s.nats.batch_records);
    p.max_batch_bytes = static_cast<std::size_t>(s.nats.batch_kb) << 10;
    p.stop_timeout = std::chrono::milliseconds(s.nats.stop_timeout_ms);
    c.nats = std::move(p);
  } else if (!s.nats.accounts.empty()) {
    throw UsageError("--account names the account in NATS: give --nats URL too");
  }
  return c;
}

EngineConfig follower_config(const RunSettings& s, const std::string& account,
                             std::uint64_t start_seq, bool stop_at_end) {
  EngineConfig c = common_config(s);
  JetStreamSourceConfig f;
  f.nats = nats_config(s.nats, account);
  f.start_seq = start_seq;
  f.stop_at_end = stop_at_end;
  f.max_frame_bytes = s.live.max_frame_bytes;
  f.idle_wait = std::chrono::milliseconds(s.nats.idle_wait_ms);
  c.follow = std::move(f);
  return c;
}

Credentials load_credentials(const RunSettings& s) {
  try {
    return s.key_file.empty() ? credentials_from_env() : credentials_from_file(s.key_file);
  } catch (const std::runtime_error& e) {
    throw UsageError(std::string(e.what()) +
                     ". Keys come from --key-file FILE (lines UPBIT_ACCESS_KEY=... and "
                     "UPBIT_SECRET_KEY=..., mode 0600) or from the environment variables "
                     "UPBIT_ACCESS_KEY and UPBIT_SECRET_KEY");
  }
}

Command add_run_command(CLI::App& root, const std::string& name, const std::string& help,
                        const std::string& footer, bool demo,
                        std::function<int(const RunSettings&)> run) {
  CLI::App* app = root.add_subcommand(name, help);
  auto flags = std::make_shared<RunFlags>(*app, demo);
  app->footer(footer);
  return {app, [flags, run = std::move(run)] { return run(flags->resolve()); }};
}

}  // namespace fillwire::cli
