// fillwire follow: the follower side of scale-out (docs/scale-out.md). Reads one or several
// accounts' JetStream streams (what `fillwire record --nats` or `monitor --nats` publish) through
// the same pipeline and account state as a replay, and shows each account: a progress line a
// second, then the final summary; --json prints what `fillwire replay --json` prints, one line
// per account, and with several accounts a last line aggregating them per market (the firm view).
// --catch-up ends once every message the stream held at the start is applied.

#include <fmt/core.h>

#include <chrono>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <thread>
#include <vector>

#include "commands.hpp"
#include "fillwire/account_summary.hpp"
#include "fillwire/jetstream_source.hpp"
#include "fillwire/pipeline.hpp"
#include "fillwire/strategy.hpp"
#include "json_lines.hpp"
#include "live_view.hpp"
#include "run_config.hpp"
#include "verify.hpp"

namespace fillwire::cli {
namespace {

using Clock = std::chrono::steady_clock;

struct FollowOptions {
  std::string config_file;
  NatsSettings flags;
  bool json = false;
  bool catch_up = false;
  double duration_s = 0;
  std::uint64_t from_seq = 1;
  std::string truth_file;  // upbit-sim's --truth output: each account is compared with it
};

// One followed account: its source, state and the two pipeline threads.
struct Followed {
  std::string account;
  std::unique_ptr<JetStreamSource> source;
  std::unique_ptr<AccountState> state;
  NoStrategy none;
  std::unique_ptr<StrategyConsumer<NoStrategy>> consumer;
  std::unique_ptr<Pipeline<StrategyConsumer<NoStrategy>>> pipeline;
};

Json input_json(const Followed& f) {
  const JetStreamCounters& c = f.source->counters();
  return Json{{"stream", f.source->stream()},
              {"messages", c.messages},
              {"last_stream_seq", c.last_stream_seq},
              {"frames", c.records.frames},
              {"events", c.records.events},
              {"resync_events", c.records.event_records},
              {"failed_frames", c.records.failed_frames},
              {"oversized", c.records.oversized},
              {"damaged", c.records.damaged},
              {"gaps", c.gaps},
              {"refused", c.refused},
              {"journal_lost", c.journal_lost},
              {"runs", c.runs},
              {"errors", errors_by_code(f.source->decoder_stats())}};
}

// Per market, over every account: the figures that add up (volumes, costs, PnL, fees).
Json firm_json(const std::vector<Followed>& followed) {
  struct Sum {
    double base_volume = 0, cost_net = 0, realized_gross = 0, realized_net = 0, fees_paid = 0,
           bought_volume = 0, sold_volume = 0;
    int accounts = 0;
  };
  std::map<std::string, Sum> markets;
  for (const Followed& f : followed) {
    for (std::uint16_t m = 0; m < f.state->market_count(); ++m) {
      const auto code = f.state->market_code(m);
      const Position* p = f.state->position(code);
      Sum& s = markets[std::string(code)];
      s.base_volume += p->base_volume;
      s.cost_net += p->cost_net;
      s.realized_gross += p->realized_gross;
      s.realized_net += p->realized_net;
      s.fees_paid += p->fees_paid;
      s.bought_volume += p->bought_volume;
      s.sold_volume += p->sold_volume;
      ++s.accounts;
    }
  }
  Json out = Json::object();
  for (const auto& [code, s] : markets) {
    out[code] = Json{{"accounts", s.accounts},           {"base_volume", s.base_volume},
                     {"cost_net", s.cost_net},           {"realized_gross", s.realized_gross},
                     {"realized_net", s.realized_net},   {"fees_paid", s.fees_paid},
                     {"bought_volume", s.bought_volume}, {"sold_volume", s.sold_volume}};
  }
  Json accounts = Json::array();
  for (const Followed& f : followed)
    accounts.push_back(f.account);
  return Json{{"firm", Json{{"accounts", accounts}, {"markets", out}}}};
}

int run_follow(const FollowOptions& opt) {
  RunSettings s;
  if (!opt.config_file.empty()) {
    try {
      load_toml(opt.config_file, s, /*demo=*/false);
    } catch (const std::runtime_error& e) {
      throw UsageError(e.what());
    }
  }
  NatsSettings& nats = s.nats;
  nats.servers = opt.flags.servers.empty() ? nats.servers : opt.flags.servers;
  if (!opt.flags.accounts.empty()) nats.accounts = opt.flags.accounts;
  if (!opt.flags.credentials_file.empty()) nats.credentials_file = opt.flags.credentials_file;
  if (nats.servers.empty()) throw UsageError("follow needs --nats URL (or [nats] servers)");
  if (nats.accounts.empty()) throw UsageError("follow needs --account NAME (or [nats] account)");

  AccountConfig account_config;
  account_config.open_orders = s.open_orders;
  account_config.completed_orders = s.completed_orders;
  account_config.markets = s.markets;
  account_config.history = s.history;
  account_config.currencies = s.currencies;
  account_config.pending_deltas = s.pending_deltas;
  account_config.drift_settle_ms = s.drift_settle_ms;
  account_config.drifts = s.drifts;

  std::vector<Followed> followed(nats.accounts.size());
  for (std::size_t i = 0; i < followed.size(); ++i) {
    Followed& f = followed[i];
    f.account = nats.accounts[i];
    JetStreamSourceConfig sc;
    sc.nats = nats_config(nats, f.account);  // UsageError on a bad name or credentials file
    sc.start_seq = opt.from_seq;
    sc.stop_at_end = opt.catch_up;
    sc.max_frame_bytes = s.live.max_frame_bytes;
    try {
      f.source = std::make_unique<JetStreamSource>(sc);
    } catch (const std::exception& e) {
      fmt::print(stderr, "fillwire follow: {}: {}\n", f.account, e.what());
      return kExitFailed;
    }
    f.state = std::make_unique<AccountState>(account_config);
    f.consumer = std::make_unique<StrategyConsumer<NoStrategy>>(*f.state, f.none);
    f.pipeline =
        std::make_unique<Pipeline<StrategyConsumer<NoStrategy>>>(*f.consumer, PipelineConfig{});
  }
  install_stop_signals();
  for (Followed& f : followed)
    f.pipeline->start(*f.source);
  const auto start = Clock::now();
  auto next_line = start + std::chrono::seconds(1);
  const auto all_finished = [&] {
    for (const Followed& f : followed)
      if (!f.pipeline->finished()) return false;
    return true;
  };
  while (!stop_signalled() && !all_finished()) {
    const auto now = Clock::now();
    if (opt.duration_s > 0 && now - start >= std::chrono::duration<double>(opt.duration_s)) break;
    if (now >= next_line) {  // stderr: human text, whatever --json puts on stdout
      for (const Followed& f : followed) {
        const PipelineCounters c = f.pipeline->counters();
        fmt::print(stderr, "{:6.1f} s  {}  events applied {}\n",
                   std::chrono::duration<double>(now - start).count(), f.account, c.ring.drained);
      }
      next_line += std::chrono::seconds(1);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  for (Followed& f : followed)
    f.pipeline->stop();  // the sources are read on the threads it joins: safe to read below
  restore_stop_signals();

  bool clean = true;
  for (const Followed& f : followed) {
    const JetStreamCounters& c = f.source->counters();
    const bool problems =
        c.records.damaged + c.gaps + c.refused + c.records.oversized + c.journal_lost > 0;
    clean = clean && !problems;
    if (problems) fmt::print(stderr, "fillwire follow: {}: {}\n", f.account, f.source->error());
    if (opt.json) {
      Json j{{"account", f.account}, {"input", input_json(f)}};
      j.update(Json::parse(summary_json(*f.state, -1)));
      print_line(j);
    } else {
      fmt::print(
          "Followed {} (stream {}): {} messages to stream sequence {}, {} frames, {} events, {} "
          "resync events; {} damaged, {} gaps, {} refused\n\n{}\n",
          f.account, f.source->stream(), c.messages, c.last_stream_seq, c.records.frames,
          c.records.events, c.records.event_records, c.records.damaged, c.gaps, c.refused,
          format_summary(*f.state));
    }
  }
  if (opt.json && followed.size() > 1) print_line(firm_json(followed));
  if (!opt.truth_file.empty()) {
    std::ifstream in(opt.truth_file);
    std::stringstream truth;
    truth << in.rdbuf();
    if (!in) throw UsageError("cannot read the truth file " + opt.truth_file);
    for (const Followed& f : followed) {
      std::string diff;
      try {
        // Drifts are not judged: across disconnects they depend on timing (README, "Accounting
        // rules"); orders, positions, PnL and balances are.
        diff = sim::differences(truth.str(), *f.state, {.drifts = false});
      } catch (const std::exception& e) {
        diff = std::string("the truth cannot be read: ") + e.what() + "\n";
      }
      fmt::print(stderr, "{}: state equals exchange ground truth: {}\n{}", f.account,
                 diff.empty() ? "yes" : "no", diff);
      clean = clean && diff.empty();
    }
  }
  return clean ? kExitOk : kExitFailed;
}

}  // namespace

Command add_follow_command(CLI::App& root) {
  CLI::App* app = root.add_subcommand(
      "follow", "Follow accounts published to NATS JetStream by a gateway (scale-out)");
  auto opt = std::make_shared<FollowOptions>();
  app->add_option("--config", opt->config_file, "TOML settings file ([nats], [account], [live])")
      ->check(CLI::ExistingFile);
  add_nats_flags(*app, opt->flags, /*several_accounts=*/true);
  app->add_flag("--json", opt->json,
                "print each account's summary as `fillwire replay --json` does (and a firm line)");
  app->add_flag("--catch-up", opt->catch_up,
                "end once every message the stream held at the start is applied");
  app->add_option("--duration", opt->duration_s, "seconds to follow (default: until Ctrl-C)")
      ->check(CLI::NonNegativeNumber);
  app->add_option("--from-seq", opt->from_seq,
                  "stream sequence to start at (default 1: the whole stream; 0: new messages)");
  app->add_option("--truth", opt->truth_file,
                  "compare each account with this ground truth (upbit-sim --truth FILE): orders, "
                  "positions, PnL and balances")
      ->check(CLI::ExistingFile);
  app->footer(
      "Example: fillwire follow --nats nats://127.0.0.1:4222 --account desk-1 --catch-up --json\n"
      "Credentials: --nats-credentials FILE (mode 0600) or FILLWIRE_NATS_USER / _PASSWORD / "
      "_TOKEN / _CREDS.");
  return {app, [opt] { return run_follow(*opt); }};
}

}  // namespace fillwire::cli
