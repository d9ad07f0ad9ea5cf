#include "fillwire/snapshot_view.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <iterator>
#include <optional>
#include <string_view>

#include "fillwire/account_summary.hpp"
#include "fillwire/control_event.hpp"
#include "fillwire/engine.hpp"
#include "fillwire/safe_text.hpp"
#include "fillwire/valuation.hpp"

namespace fillwire {
namespace {

std::string pct(double fraction) {
  return fmt::format("{:.1f} %", fraction * 100.0);
}

std::string count(std::uint64_t n) {
  return format_amount(static_cast<double>(n));
}

// Quote amounts (KRW) are shown to the unit, volumes with up to 8 decimals.
std::string krw(double v) {
  return format_amount(std::isfinite(v) ? std::round(v) : v);
}

std::string hms(std::int64_t ms) {
  if (ms <= 0) return "--:--:--.---";
  const std::int64_t day_ms = ms % 86'400'000;
  return fmt::format("{:02}:{:02}:{:02}.{:03}", day_ms / 3'600'000, day_ms / 60'000 % 60,
                     day_ms / 1000 % 60, day_ms % 1000);
}

// Connected is not "live" while the last resync failed or stopped short: the state may miss
// changes until a later resync completes.
std::string connection_state(const AccountSnapshot& s, const EngineCounters& c, bool upper) {
  if (!c.connected) return "disconnected";
  const ControlCode r = s.connection.last_resync;
  std::string state = upper ? "CONNECTED" : "connected";
  if (r == ControlCode::resync_incomplete)
    state += upper ? ", RESYNC INCOMPLETE" : ", resync incomplete";
  if (r == ControlCode::resync_failed) state += upper ? ", RESYNC FAILED" : ", resync failed";
  return state;
}

// Resyncs known to have been incomplete or failed, from the live counters or the stream's notices.
std::uint64_t resyncs_short(const AccountSnapshot& s, const EngineCounters& c) {
  return std::max(c.live.resync_incomplete + c.live.resync_failures,
                  s.connection.resync_incomplete + s.connection.resync_failures);
}

// The input's figures, from the live connection or a follower's stream.
struct Input {
  std::uint64_t frames = 0;
  std::uint64_t resync_events = 0;
  std::uint64_t malformed = 0;  // frames with a decode error, or over the size limit
  std::uint64_t server_errors = 0;
  std::uint64_t clock_skew = 0;
};
Input input_of(const EngineCounters& c) {
  if (c.following) {
    const ReplayCounters& r = c.follow.records;
    return {r.frames, r.event_records, r.failed_frames + r.oversized, 0, 0};
  }
  const LiveCounters& l = c.live;
  return {l.frames, l.resync_events, l.decode_errors + l.oversized, l.server_errors, l.clock_skew};
}

// A follower's stream: position, how far behind, and what it found wrong; `separator` between
// the two halves ("\n" and an indent in the panel, " " in one line).
std::string follower_text(const EngineCounters& c, bool upper, std::string_view separator) {
  const JetStreamCounters& f = c.follow;
  return fmt::format(
      "{}  messages {}  to sequence {}  behind {}  last stored {} ago{}gateway runs {}  gaps {}  "
      "refused {}  damaged {}  lost at the gateway {}  read errors {}",
      c.connected ? (upper ? "CONNECTED" : "connected") : "disconnected", f.messages,
      f.last_stream_seq, f.behind, format_ns(f.last_message_age_ms * 1'000'000), separator, f.runs,
      f.gaps, f.refused, f.records.damaged, f.journal_lost, f.receive_errors);
}

std::string latency(const LatencyHistogram& h) {
  if (h.samples == 0) return "no samples yet";
  return fmt::format("p50 {}  p99 {}  p99.9 {}  max {}", format_ns(h.percentile(0.5)),
                     format_ns(h.percentile(0.99)), format_ns(h.percentile(0.999)),
                     format_ns(h.max_ns));
}

constexpr std::string_view kNone = "—";  // no figure: a market never filled has no mark

std::string krw_or_none(std::optional<double> v) {
  return v ? krw(*v) : std::string(kNone);
}

// A change, signed: "+100,000,000", "-0.1", "0".
std::string signed_amount(double v) {
  const std::string text = format_amount(v);
  return v > 0.0 && text != "0" ? "+" + text : text;
}

// What a balance is worth in KRW at the marks of the snapshot's markets (valuation.hpp).
std::optional<double> snapshot_krw_value(const AccountSnapshot& s, const Balance& b) {
  return krw_value(b, [&s](std::string_view market) {
    for (std::size_t m = 0; m < s.markets_shown(); ++m) {
      const Position& p = s.markets[m].position;
      if (p.market.view() == market) return p.has_mark() ? p.mark_price : 0.0;
    }
    return 0.0;
  });
}

// The KRW value of the balances shown, and the currencies without a price ("" when none).
struct Worth {
  double krw = 0;
  std::string unvalued;
};
Worth balances_worth(const AccountSnapshot& s) {
  Worth w;
  for (std::size_t c = 0; c < s.balances_shown(); ++c) {
    const Balance& b = s.balances[c];
    const std::optional<double> v = snapshot_krw_value(s, b);
    if (v) {
      w.krw += *v;
    } else if (b.reported()) {
      w.unvalued += (w.unvalued.empty() ? "" : ", ") + printable(b.currency.view());
    }
  }
  return w;
}

// Unrealized PnL over the markets shown that have a mark.
double unrealized_total(const AccountSnapshot& s, bool net) {
  double sum = 0;
  for (std::size_t m = 0; m < s.markets_shown(); ++m)
    sum += unrealized_at_mark(s.markets[m].position, net).value_or(0.0);
  return sum;
}

// Each market's mark and what the position would realize at it (80 columns).
void format_marks(std::string& out, const AccountSnapshot& s) {
  auto it = std::back_inserter(out);
  fmt::format_to(it, "  {:<10} {:>16} {:>22} {:>22}\n", "market", "mark (last fill)",
                 "unrealized gross", "unrealized net");
  for (std::size_t m = 0; m < s.markets_shown(); ++m) {
    const Position& p = s.markets[m].position;
    fmt::format_to(it, "  {:<10} {:>16} {:>22} {:>22}\n", printable(p.market.view()),
                   p.has_mark() ? format_amount(p.mark_price) : std::string(kNone),
                   krw_or_none(unrealized_at_mark(p, false)),
                   krw_or_none(unrealized_at_mark(p, true)));
  }
  fmt::format_to(it, "  {:<10} {:>16} {:>22} {:>22}\n\n", "total", "",
                 krw(unrealized_total(s, false)), krw(unrealized_total(s, true)));
}

// Balances per currency with their KRW value, the total, then drift alerts (80 columns).
void format_balances(std::string& out, const AccountSnapshot& s) {
  auto it = std::back_inserter(out);
  const Worth worth = balances_worth(s);
  fmt::format_to(it, "balances     {} currenc{}  worth {} KRW{}\n", s.balance_count,
                 s.balance_count == 1 ? "y" : "ies", krw(worth.krw),
                 worth.unvalued.empty() ? "" : fmt::format("  (no price: {})", worth.unvalued));
  if (s.balances_shown() > 0) {
    fmt::format_to(it, "  {:<8} {:>16} {:>16} {:>16} {:>16}\n", "currency", "available", "locked",
                   "total", "KRW at last fill");
  }
  for (std::size_t c = 0; c < s.balances_shown(); ++c) {
    const Balance& b = s.balances[c];
    if (!b.reported()) {
      fmt::format_to(it, "  {:<8} {:>16}  (not reported yet; fills imply {})\n",
                     printable(b.currency.view()), kNone, signed_amount(b.implied_total()));
      continue;
    }
    // KRW to the unit, as every quote amount here; other currencies with their decimals.
    const auto amount = [&b](double v) {
      return b.currency.view() == kValueCurrency ? krw(v) : format_amount(v);
    };
    fmt::format_to(it, "  {:<8} {:>16} {:>16} {:>16} {:>16}\n", printable(b.currency.view()),
                   amount(b.available), amount(b.locked), amount(b.total()),
                   krw_or_none(snapshot_krw_value(s, b)));
  }
  if (s.balance_count > s.balances_shown())
    fmt::format_to(it, "  ... {} more currencies\n", s.balance_count - s.balances_shown());

  const ApplyCounters& a = s.counters;
  fmt::format_to(it, "drifts       {} reported  {} explained late{}\n", count(a.drifts_reported),
                 count(a.drifts_explained_late),
                 a.drifts_reported > 0 ? "   BALANCE MOVED WITHOUT A FILL" : "");
  // The latest drifts (newest first), then what is pending or not compared.
  constexpr std::string_view kRow = "  {:<12}  {:<8} {:>16} {:>16}  {}\n";
  bool header = false;
  auto row = [&](std::string_view when, const CurrencyCode& currency, double total, double locked,
                 std::int64_t since) {
    if (!header) fmt::format_to(it, kRow, "time", "currency", "total", "locked", "first seen");
    header = true;
    fmt::format_to(it, kRow, when, printable(currency.view()), signed_amount(total),
                   signed_amount(locked), hms(since));
  };
  for (std::size_t i = 0; i < s.drift_count; ++i) {
    const BalanceDrift& d = s.drifts[i];
    row(hms(d.reported_ts), d.currency, d.total, d.locked, d.exchange_ts);
  }
  for (std::size_t c = 0; c < s.balances_shown(); ++c) {
    const Balance& b = s.balances[c];
    if (b.pending()) row("pending", b.currency, b.pending_total, b.pending_locked, b.pending_since);
    if (b.unreconciled) {
      fmt::format_to(it, "  {:<12}  {:<8} not compared until a report covers what overflowed\n",
                     "unreconciled", printable(b.currency.view()));
    }
  }
  out += '\n';
}

}  // namespace

std::string format_ns(std::uint64_t ns) {
  const auto v = static_cast<double>(ns);
  if (ns < 1000) return fmt::format("{} ns", ns);
  if (ns < 1'000'000) return fmt::format("{:.1f} us", v / 1e3);
  if (ns < 1'000'000'000) return fmt::format("{:.2f} ms", v / 1e6);
  return fmt::format("{:.2f} s", v / 1e9);
}

std::string format_view(const AccountSnapshot& s, const EngineCounters& c,
                        const ViewContext& context) {
  std::string out;
  auto it = std::back_inserter(out);
  const ApplyCounters& a = s.counters;
  const LiveCounters& l = c.live;
  if (!context.title.empty()) fmt::format_to(it, "{}\n", context.title);
  fmt::format_to(it, "elapsed {:.1f} s   snapshot #{}\n\n", context.elapsed_s, s.version);
  if (const std::string notice = incomplete_notice(a, resyncs_short(s, c)); !notice.empty())
    fmt::format_to(it, "{}\n\n", notice);

  const Input in = input_of(c);
  if (c.following) {
    fmt::format_to(it, "stream       {}\n", follower_text(c, true, "\n             "));
  } else {
    fmt::format_to(it, "connection   {}   connects {}  disconnects {}  attempts {}  resyncs {}",
                   connection_state(s, c, true), l.connects, l.disconnects, l.attempts, l.resyncs);
    fmt::format_to(it, "  resync failures {}  auth failures {}  REST requests {}\n",
                   l.resync_failures, l.auth_failures, l.rest_requests);
  }
  fmt::format_to(it,
                 "events       {} applied  {} refused  {:.0f}/s received   frames {}   resync "
                 "events {}\n",
                 count(a.applied), count(a.refused()), context.events_per_s, count(in.frames),
                 count(in.resync_events));
  fmt::format_to(it, "latency      {}  ({} -> strategy called)\n", latency(s.latency),
                 c.following ? "message received" : "frame received");
  fmt::format_to(it,
                 "anomalies    duplicates {}  stale {}  malformed {}  gaps healed {}  invalid {}  "
                 "server errors {}  ring stalls {}\n",
                 a.duplicates, a.stale, in.malformed, a.gaps_healed, a.invalid, in.server_errors,
                 c.pipeline.ring.stalls);
  fmt::format_to(it,
                 "refused      table full {}  market full {}  invalid {} (non-finite {})  "
                 "currency full {}  balance invalid {}   resync incomplete {}  resync failed {}  "
                 "rate limited {}  clock skew {}\n\n",
                 count(a.table_full), count(a.market_full), count(a.invalid), count(a.non_finite),
                 count(a.currency_full), count(a.asset_invalid),
                 std::max(l.resync_incomplete, s.connection.resync_incomplete),
                 std::max(l.resync_failures, s.connection.resync_failures),
                 s.connection.rate_limited, in.clock_skew);

  fmt::format_to(it, "  {:<10} {:>14} {:>14} {:>16} {:>16} {:>12} {:>16} {:>16}\n", "market",
                 "position", "avg cost", "realized gross", "realized net", "fees", "bought",
                 "sold");
  double gross = 0;
  double net = 0;
  double fees = 0;
  for (std::size_t m = 0; m < s.markets_shown(); ++m) {
    const Position& p = s.markets[m].position;
    gross += p.realized_gross;
    net += p.realized_net;
    fees += p.fees_paid;
    fmt::format_to(it, "  {:<10} {:>14} {:>14} {:>16} {:>16} {:>12} {:>16} {:>16}\n",
                   printable(p.market.view()), format_amount(p.base_volume),
                   krw(p.avg_cost_gross()), krw(p.realized_gross), krw(p.realized_net),
                   krw(p.fees_paid), krw(p.bought_notional), krw(p.sold_notional));
  }
  if (s.market_count > s.markets_shown())
    fmt::format_to(it, "  ... {} more markets\n", s.market_count - s.markets_shown());
  fmt::format_to(it, "  {:<10} {:>14} {:>14} {:>16} {:>16} {:>12}\n\n", "total", "", "", krw(gross),
                 krw(net), krw(fees));
  format_marks(out, s);
  format_balances(out, s);

  const ExecutionStats& t = s.total;
  fmt::format_to(it,
                 "execution    completed {}  fill {}  partial {}  cancel {}  SMP {}  maker share {}"
                 "\n             trades {}  time to first fill avg {:.0f} ms (max {} ms)  to final "
                 "avg {:.0f} ms\n\n",
                 count(t.completed), pct(t.fill_rate()), pct(t.partial_fill_rate()),
                 pct(t.cancel_rate()), pct(t.smp_rate()), pct(t.maker_share()), count(t.trades),
                 t.avg_first_fill_ms(), t.first_fill_ms_max, t.avg_final_ms());

  const std::size_t open_rows = std::min(s.open_shown(), context.max_open_orders);
  fmt::format_to(it, "open orders  {}{}\n", s.open_orders,
                 open_rows < s.open_orders ? fmt::format(" (first {})", open_rows) : "");
  for (std::size_t i = 0; i < open_rows; ++i) {
    const SnapshotOrder& o = s.open[i];
    fmt::format_to(it, "  {:<10} {:<3} {:<6} {:<5} price {:>14}  volume {:>14}  executed {:>14}\n",
                   printable(o.code.view()), to_string(o.side), to_string(o.order_type),
                   to_string(o.state), format_amount(o.price), format_amount(o.volume),
                   format_amount(o.executed_volume));
  }
  const std::size_t fill_rows = std::min(s.fill_count, context.max_fills);
  fmt::format_to(it, "recent fills\n");
  for (std::size_t i = 0; i < fill_rows; ++i) {
    const SnapshotFill& f = s.fills[i];
    fmt::format_to(it, "  {}  {:<10} {:<3} {:>14} x {:<14} fee {:>10}  {}\n", hms(f.trade_ts),
                   printable(f.code.view()), to_string(f.side), format_amount(f.price),
                   format_amount(f.volume), format_amount(f.fee), f.maker ? "maker" : "taker");
  }
  return out;
}

std::string format_line(const AccountSnapshot& s, const EngineCounters& c, double events_per_s) {
  double net = 0;
  double gross = 0;
  double fees = 0;
  for (std::size_t m = 0; m < s.markets_shown(); ++m) {
    net += s.markets[m].position.realized_net;
    gross += s.markets[m].position.realized_gross;
    fees += s.markets[m].position.fees_paid;
  }
  const ApplyCounters& a = s.counters;
  const Worth worth = balances_worth(s);
  const Input in = input_of(c);
  std::string line = fmt::format(
      "{} events {} applied {} refused ({:.0f}/s received) {} | "
      "dup {} stale {} malformed {} | refused table full {} market full {} invalid {} "
      "(non-finite {}) currency full {} balance invalid {} | resync incomplete {} failed {} rate "
      "limited {} clock skew {} | open {} completed {} fill {} | pnl gross {} net {} fees {} "
      "unrealized net {} | balances {} worth {} KRW{} drifts {} | latency p50 {} p99 {}",
      c.following ? "stream " + follower_text(c, false, "  ") + " |"
                  : connection_state(s, c, false),
      a.applied, a.refused(), events_per_s,
      c.following ? std::string("")
                  : fmt::format("connects {} disconnects {} resyncs {}", c.live.connects,
                                c.live.disconnects, c.live.resyncs),
      a.duplicates, a.stale, in.malformed, a.table_full, a.market_full, a.invalid, a.non_finite,
      a.currency_full, a.asset_invalid,
      std::max(c.live.resync_incomplete, s.connection.resync_incomplete),
      std::max(c.live.resync_failures, s.connection.resync_failures), s.connection.rate_limited,
      in.clock_skew, s.open_orders, s.total.completed, pct(s.total.fill_rate()), krw(gross),
      krw(net), krw(fees), krw(unrealized_total(s, true)), s.balance_count, krw(worth.krw),
      worth.unvalued.empty() ? "" : fmt::format(" (no price: {})", worth.unvalued),
      a.drifts_reported, format_ns(s.latency.percentile(0.5)),
      format_ns(s.latency.percentile(0.99)));
  if (const std::string notice = incomplete_notice(a, resyncs_short(s, c)); !notice.empty())
    line += " | " + notice;
  return line;
}

}  // namespace fillwire
