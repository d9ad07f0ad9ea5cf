// fillwire follow: the follower side of scale-out (docs/scale-out.md). Follows one or several
// accounts' JetStream streams (what `fillwire record --nats` or `monitor --nats` publish) with one
// Engine each, in its follower mode: the same pipeline and account state as the gateway, the same
// snapshots and human log. On a terminal it shows the account live as `fillwire monitor` does (with
// the stream's position, lag and checks where the connection's are), or with several accounts the
// firm view: a line per account and the positions and PnL summed per market. --json prints what
// `fillwire replay --json` prints, one line per account, and with several accounts a last line
// aggregating them per market. --catch-up ends once every message the stream held at the start is
// applied.

#include <fmt/core.h>
#include <fmt/format.h>

#include <chrono>
#include <cmath>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <thread>
#include <vector>

#include "commands.hpp"
#include "fillwire/account_summary.hpp"
#include "fillwire/engine.hpp"
#include "fillwire/safe_text.hpp"
#include "fillwire/snapshot_view.hpp"
#include "fillwire/valuation.hpp"
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
  std::string log_file;
};

using Follower = Engine<NoStrategy, Blocking>;

// One followed account and its engine.
struct Followed {
  std::string account;
  std::unique_ptr<Follower> engine;
};

Json input_json(const Followed& f) {
  const JetStreamCounters c = f.engine->counters().follow;
  const JetStreamSource& source = *f.engine->follower();
  return Json{{"stream", source.stream()},
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
              {"errors", errors_by_code(source.decoder_stats())}};
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
    const AccountState& state = f.engine->account();
    for (std::uint16_t m = 0; m < state.market_count(); ++m) {
      const auto code = state.market_code(m);
      const Position* p = state.position(code);
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

// The firm panel of several accounts: a line per account (its stream and figures), then the
// positions, PnL and fees summed per market over the accounts' snapshots.
class FirmView {
 public:
  explicit FirmView(const std::vector<Followed>& followed)
      : followed_(&followed), rates_(followed.size()) {}

  std::string render(bool panel) {
    std::string out;
    struct Sum {
      double base_volume = 0, realized_gross = 0, realized_net = 0, fees = 0, unrealized_net = 0;
      int accounts = 0;
    };
    std::map<std::string, Sum> markets;
    for (std::size_t i = 0; i < followed_->size(); ++i) {
      const Followed& f = (*followed_)[i];
      const EngineCounters c = f.engine->counters();
      if (!f.engine->snapshot(*snap_)) {
        out += fmt::format("{:<16} waiting for the first event ({} messages taken)\n", f.account,
                           c.follow.messages);
        continue;
      }
      const double per_s = rates_[i].update(*snap_);
      out += fmt::format("{:<16} {}\n", f.account, format_line(*snap_, c, per_s));
      for (std::size_t m = 0; m < snap_->markets_shown(); ++m) {
        const Position& p = snap_->markets[m].position;
        Sum& sum = markets[std::string(p.market.view())];
        sum.base_volume += p.base_volume;
        sum.realized_gross += p.realized_gross;
        sum.realized_net += p.realized_net;
        sum.fees += p.fees_paid;
        sum.unrealized_net += unrealized_at_mark(p, true).value_or(0.0);
        ++sum.accounts;
      }
    }
    if (!panel) return out;
    out += fmt::format("\nfirm, per market over {} accounts\n", followed_->size());
    out += fmt::format("  {:<10} {:>8} {:>16} {:>18} {:>18} {:>14} {:>18}\n", "market", "accounts",
                       "position", "realized gross", "realized net", "fees", "unrealized net");
    Sum total;
    for (const auto& [code, sum] : markets) {
      out += fmt::format("  {:<10} {:>8} {:>16} {:>18} {:>18} {:>14} {:>18}\n", printable(code),
                         sum.accounts, format_amount(sum.base_volume), whole(sum.realized_gross),
                         whole(sum.realized_net), whole(sum.fees), whole(sum.unrealized_net));
      total.realized_gross += sum.realized_gross;
      total.realized_net += sum.realized_net;
      total.fees += sum.fees;
      total.unrealized_net += sum.unrealized_net;
    }
    out += fmt::format("  {:<10} {:>8} {:>16} {:>18} {:>18} {:>14} {:>18}\n", "total", "", "",
                       whole(total.realized_gross), whole(total.realized_net), whole(total.fees),
                       whole(total.unrealized_net));
    return out;
  }

 private:
  // KRW to the unit, as the single-account panel shows quote amounts.
  static std::string whole(double v) { return format_amount(std::isfinite(v) ? std::round(v) : v); }

  const std::vector<Followed>* followed_;
  std::vector<EventRate> rates_;
  std::unique_ptr<AccountSnapshot> snap_ = std::make_unique<AccountSnapshot>();
};

// Waits (no view: --json keeps stdout for the JSON lines) with a progress line a second on stderr.
LoopEnd wait_quietly(const std::vector<Followed>& followed, const ViewLoop& loop) {
  const auto start = std::chrono::steady_clock::now();
  auto next_line = start + std::chrono::seconds(1);
  for (;;) {
    if (stop_signalled()) return LoopEnd::signal;
    if (loop.finished()) return LoopEnd::finished;
    const auto now = std::chrono::steady_clock::now();
    const double elapsed = std::chrono::duration<double>(now - start).count();
    if (loop.duration_s > 0 && elapsed >= loop.duration_s) return LoopEnd::duration;
    if (now >= next_line) {
      for (const Followed& f : followed) {
        const EngineCounters c = f.engine->counters();
        fmt::print(stderr, "{:6.1f} s  {}  messages {}  stream sequence {}  events applied {}\n",
                   elapsed, f.account, c.follow.messages, c.follow.last_stream_seq,
                   c.pipeline.ring.drained);
      }
      next_line += std::chrono::seconds(1);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

// Each account against the simulator's ground truth, on stderr. True when all equal it.
bool compare_with_truth(const std::vector<Followed>& followed, const std::string& truth_file) {
  std::ifstream in(truth_file);
  std::stringstream truth;
  truth << in.rdbuf();
  if (!in) throw UsageError("cannot read the truth file " + truth_file);
  bool all_equal = true;
  for (const Followed& f : followed) {
    std::string diff;
    try {
      // Drifts are not judged: across disconnects they depend on timing (README, "Accounting
      // rules"); orders, positions, PnL and balances are.
      diff = sim::differences(truth.str(), f.engine->account(), {.drifts = false});
    } catch (const std::exception& e) {
      diff = std::string("the truth cannot be read: ") + e.what() + "\n";
    }
    fmt::print(stderr, "{}: state equals exchange ground truth: {}\n{}", f.account,
               diff.empty() ? "yes" : "no", diff);
    all_equal = all_equal && diff.empty();
  }
  return all_equal;
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
  if (!opt.log_file.empty()) s.log_path = opt.log_file;
  if (nats.servers.empty()) throw UsageError("follow needs --nats URL (or [nats] servers)");
  if (nats.accounts.empty()) throw UsageError("follow needs --account NAME (or [nats] account)");

  std::vector<Followed> followed(nats.accounts.size());
  for (std::size_t i = 0; i < followed.size(); ++i) {
    Followed& f = followed[i];
    f.account = nats.accounts[i];
    // UsageError on a bad name or credentials file; then the log's own file per account.
    EngineConfig config = follower_config(s, f.account, opt.from_seq, opt.catch_up);
    if (!config.log_path.empty() && followed.size() > 1) config.log_path += "." + f.account;
    try {
      f.engine = std::make_unique<Follower>(std::move(config), Credentials{});
    } catch (const std::exception& e) {
      fmt::print(stderr, "fillwire follow: {}: {}\n", f.account, e.what());
      return kExitFailed;
    }
  }
  install_stop_signals();
  for (Followed& f : followed)
    f.engine->start();
  ViewLoop loop;
  loop.title = fmt::format("fillwire follow  {}  ({})", fmt::join(nats.accounts, ", "),
                           fmt::join(nats.servers, ","));
  loop.duration_s = opt.duration_s;
  loop.refresh_ms = s.refresh_ms;
  loop.finished = [&followed] {
    for (const Followed& f : followed)
      if (!f.engine->finished()) return false;
    return true;
  };
  const auto start = std::chrono::steady_clock::now();
  LoopEnd end = LoopEnd::duration;
  if (opt.json) {
    end = wait_quietly(followed, loop);
  } else if (followed.size() == 1) {
    end = run_view(view_of(*followed.front().engine), loop);
  } else {
    FirmView firm(followed);
    end = run_loop(loop, [&firm](double, bool panel) { return firm.render(panel); });
  }
  for (Followed& f : followed)
    f.engine->stop();
  restore_stop_signals();
  const double elapsed =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  bool clean = true;
  for (const Followed& f : followed) {
    const JetStreamCounters c = f.engine->counters().follow;
    const bool problems =
        c.records.damaged + c.gaps + c.refused + c.records.oversized + c.journal_lost > 0;
    clean = clean && !problems;
    if (problems)
      fmt::print(stderr, "fillwire follow: {}: {}\n", f.account, f.engine->nats_error());
    if (opt.json) {
      Json j{{"account", f.account}, {"input", input_json(f)}};
      j.update(Json::parse(summary_json(f.engine->account(), -1)));
      print_line(j);
      continue;
    }
    const std::string title =
        fmt::format("{}  stream {}{}", f.account, f.engine->follower()->stream(),
                    end == LoopEnd::signal ? "  (interrupted)" : "");
    if (followed.size() == 1) fmt::print("{}\n", final_view(view_of(*f.engine), title, elapsed));
    fmt::print(
        "Followed {}: {} messages to stream sequence {}, {} frames, {} events, {} resync "
        "events; {} damaged, {} gaps, {} refused\n\n{}\n",
        title, c.messages, c.last_stream_seq, c.records.frames, c.records.events,
        c.records.event_records, c.records.damaged, c.gaps, c.refused,
        format_summary(f.engine->account()));
  }
  if (followed.size() > 1) {
    if (opt.json) {
      print_line(firm_json(followed));
    } else {
      FirmView firm(followed);
      fmt::print("{}", firm.render(/*panel=*/true));
    }
  }
  if (!opt.truth_file.empty()) clean = compare_with_truth(followed, opt.truth_file) && clean;
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
  app->add_option("--log", opt->log_file,
                  "human log file (appended; with several accounts one per account, FILE.ACCOUNT)");
  app->footer(
      "Example: fillwire follow --nats nats://127.0.0.1:4222 --account desk-1 --catch-up --json\n"
      "Credentials: --nats-credentials FILE (mode 0600) or FILLWIRE_NATS_USER / _PASSWORD / "
      "_TOKEN / _CREDS.");
  return {app, [opt] { return run_follow(*opt); }};
}

}  // namespace fillwire::cli
