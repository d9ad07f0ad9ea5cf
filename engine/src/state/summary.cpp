#include "fillwire/account_summary.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>
#include <iterator>
#include <nlohmann/json.hpp>
#include <optional>
#include <string_view>
#include <utility>
#include <vector>

#include "fillwire/account_state.hpp"
#include "fillwire/safe_text.hpp"
#include "fillwire/valuation.hpp"

namespace fillwire {
namespace {

using Json = nlohmann::ordered_json;

std::string percent(double fraction) {
  return fmt::format("{:.1f} %", fraction * 100.0);
}

// Columns of text on a terminal: UTF-8 code points (fmt pads by them too), not bytes.
std::size_t text_width(std::string_view text) {
  return static_cast<std::size_t>(
      std::count_if(text.begin(), text.end(), [](char c) { return (c & 0xC0) != 0x80; }));
}

// A figure that may be absent (no mark): "—" for people, null in JSON.
constexpr std::string_view kNone = "—";
std::string amount_or_none(std::optional<double> v) {
  return v ? format_amount(*v) : std::string(kNone);
}
Json json_or_null(std::optional<double> v) {
  return v ? Json(*v) : Json(nullptr);
}

// One row of a figures-by-column table: a label, then one cell per column.
struct Row {
  std::string label;
  std::vector<std::string> cells;
};

void print_table(std::string& out, const std::vector<std::string>& header,
                 const std::vector<Row>& rows) {
  std::size_t label_width = header.empty() ? 0 : text_width(header[0]);
  for (const Row& r : rows)
    label_width = std::max(label_width, text_width(r.label));
  std::vector<std::size_t> widths(header.size() > 0 ? header.size() - 1 : 0, 0);
  for (std::size_t c = 0; c < widths.size(); ++c)
    widths[c] = text_width(header[c + 1]);
  for (const Row& r : rows) {
    for (std::size_t c = 0; c < widths.size() && c < r.cells.size(); ++c) {
      widths[c] = std::max(widths[c], text_width(r.cells[c]));
    }
  }
  auto it = std::back_inserter(out);
  fmt::format_to(it, "  {:<{}}", header.empty() ? "" : header[0], label_width);
  for (std::size_t c = 0; c < widths.size(); ++c)
    fmt::format_to(it, "  {:>{}}", header[c + 1], widths[c]);
  out += '\n';
  for (const Row& r : rows) {
    fmt::format_to(it, "  {:<{}}", r.label, label_width);
    for (std::size_t c = 0; c < widths.size(); ++c) {
      fmt::format_to(it, "  {:>{}}", c < r.cells.size() ? r.cells[c] : "", widths[c]);
    }
    out += '\n';
  }
}

std::string count(std::uint64_t n) {
  return format_amount(static_cast<double>(n));
}

std::vector<Row> execution_rows(const std::vector<ExecutionStats>& columns) {
  std::vector<Row> rows;
  auto add = [&](std::string label, auto&& cell) {
    Row r{std::move(label), {}};
    for (const ExecutionStats& s : columns)
      r.cells.push_back(cell(s));
    rows.push_back(std::move(r));
  };
  add("completed orders", [](const ExecutionStats& s) { return count(s.completed); });
  add("done full", [](const ExecutionStats& s) { return count(s.done_full); });
  add("done partial", [](const ExecutionStats& s) { return count(s.done_partial); });
  add("cancelled", [](const ExecutionStats& s) { return count(s.cancelled); });
  add("prevented (SMP)", [](const ExecutionStats& s) { return count(s.prevented); });
  add("fill rate", [](const ExecutionStats& s) { return percent(s.fill_rate()); });
  add("partial-fill rate", [](const ExecutionStats& s) { return percent(s.partial_fill_rate()); });
  add("cancel rate", [](const ExecutionStats& s) { return percent(s.cancel_rate()); });
  add("SMP rate", [](const ExecutionStats& s) { return percent(s.smp_rate()); });
  add("trades", [](const ExecutionStats& s) { return count(s.trades); });
  add("maker trades", [](const ExecutionStats& s) {
    return fmt::format("{} of {}", s.maker_trades, s.maker_trades + s.taker_trades);
  });
  add("maker share", [](const ExecutionStats& s) { return percent(s.maker_share()); });
  add("liquidity unknown", [](const ExecutionStats& s) { return count(s.liquidity_unknown()); });
  add("traded notional", [](const ExecutionStats& s) { return format_amount(s.traded_notional); });
  add("wait->first fill avg/max ms", [](const ExecutionStats& s) {
    return fmt::format("{:.1f} / {}", s.avg_first_fill_ms(), s.first_fill_ms_max);
  });
  add("wait->final avg/max ms", [](const ExecutionStats& s) {
    return fmt::format("{:.1f} / {}", s.avg_final_ms(), s.final_ms_max);
  });
  return rows;
}

// Rates in percent, as the report shows them (0.5 -> 50).
double pct(double fraction) {
  return fraction * 100.0;
}

// An Upbit market code is QUOTE-BASE ("KRW-BTC"): money figures are in the quote currency. A code
// without a dash names no currency ("").
std::string quote_currency(std::string_view market) {
  const auto dash = market.find('-');
  return dash == std::string_view::npos ? std::string() : std::string(market.substr(0, dash));
}
std::string base_currency(std::string_view market) {
  const auto dash = market.find('-');
  return dash == std::string_view::npos ? std::string() : std::string(market.substr(dash + 1));
}

Json stats_json(const ExecutionStats& s, const Json& currency) {
  return Json{{"quote_currency", currency},
              {"completed", s.completed},
              {"done_full", s.done_full},
              {"done_partial", s.done_partial},
              {"cancelled", s.cancelled},
              {"prevented", s.prevented},
              {"prevented_partial", s.prevented_partial},
              {"fill_rate_pct", pct(s.fill_rate())},
              {"partial_fill_rate_pct", pct(s.partial_fill_rate())},
              {"cancel_rate_pct", pct(s.cancel_rate())},
              {"smp_rate_pct", pct(s.smp_rate())},
              {"trades", s.trades},
              {"maker_trades", s.maker_trades},
              {"taker_trades", s.taker_trades},
              {"maker_share_pct", pct(s.maker_share())},
              {"liquidity_unknown", s.liquidity_unknown()},
              {"traded_notional", s.traded_notional},
              {"traded_volume", s.traded_volume},
              {"avg_first_fill_ms", s.avg_first_fill_ms()},
              {"max_first_fill_ms", s.first_fill_ms_max},
              {"avg_final_ms", s.avg_final_ms()},
              {"max_final_ms", s.final_ms_max}};
}

Json smp_json(const SmpStats::PerType& p) {
  return Json{{"orders", p.orders},
              {"prevented_orders", p.prevented_orders},
              {"prevented_volume", p.prevented_volume},
              {"prevented_locked", p.prevented_locked}};
}

// Counter name and value, in the order shown and written.
std::vector<std::pair<std::string_view, std::uint64_t>> counter_list(const ApplyCounters& c) {
  return {{"events", c.events},
          {"applied", c.applied},
          {"duplicates", c.duplicates},
          {"stale", c.stale},
          {"invalid", c.invalid},
          {"non_finite", c.non_finite},
          {"not_order", c.not_order},
          {"table_full", c.table_full},
          {"market_full", c.market_full},
          {"orders_created", c.orders_created},
          {"created_mid_life", c.created_mid_life},
          {"gaps_healed", c.gaps_healed},
          {"trades_healed", c.trades_healed},
          {"after_terminal", c.after_terminal},
          {"terminal_regressions", c.terminal_regressions},
          {"completed_evictions", c.completed_evictions},
          {"created_behind_eviction", c.created_behind_eviction},
          {"old_trades_unknown", c.old_trades_unknown},
          {"fills_late", c.fills_late},
          {"trades_split", c.trades_split},
          {"fills_out_of_place", c.fills_out_of_place},
          {"resync_incomplete", c.resync_incomplete},
          {"resync_failed", c.resync_failed},
          {"assets", c.assets},
          {"assets_applied", c.assets_applied},
          {"asset_duplicates", c.asset_duplicates},
          {"asset_stale", c.asset_stale},
          {"asset_invalid", c.asset_invalid},
          {"negative_balances", c.negative_balances},
          {"currency_full", c.currency_full},
          {"resync_unlisted", c.resync_unlisted},
          {"balance_deltas", c.balance_deltas},
          {"orders_without_locked", c.orders_without_locked},
          {"deltas_unassigned", c.deltas_unassigned},
          {"deltas_late", c.deltas_late},
          {"deltas_uncompared", c.deltas_uncompared},
          {"deltas_retimed", c.deltas_retimed},
          {"deltas_overflowed", c.deltas_overflowed},
          {"currencies_unreconciled", c.currencies_unreconciled},
          {"drifts_reported", c.drifts_reported},
          {"drifts_explained_late", c.drifts_explained_late}};
}

// One reason the account may not be whole.
struct Gap {
  std::string_view reason;
  std::uint64_t count;
  std::string_view config_key;  // empty when no setting fixes it
};

std::vector<Gap> gaps(const ApplyCounters& c, std::uint64_t resyncs_incomplete) {
  std::vector<Gap> out;
  if (c.table_full > 0) out.push_back({"table_full", c.table_full, "account.open_orders"});
  if (c.market_full > 0) out.push_back({"market_full", c.market_full, "account.markets"});
  if (c.invalid > 0) out.push_back({"invalid", c.invalid, ""});
  if (c.currency_full > 0) out.push_back({"currency_full", c.currency_full, "account.currencies"});
  if (c.asset_invalid > 0) out.push_back({"asset_invalid", c.asset_invalid, ""});
  const std::uint64_t resyncs = std::max(resyncs_incomplete, c.resync_incomplete + c.resync_failed);
  if (resyncs > 0) out.push_back({"resync_incomplete", resyncs, ""});
  return out;
}

// A cut identifier (over 45 bytes, ClientId) shows the part kept and says it was cut.
std::string identifier_text(const ClientId& id) {
  return id.cut() ? printable(id.view()) + "..." : printable(id.view());
}

std::string_view smp_name(std::size_t i) {
  return i == 0 ? std::string_view{"unknown"} : kSmpTypeNames[i];
}

// What a balance is worth in KRW at the account's marks (valuation.hpp).
std::optional<double> account_krw_value(const AccountState& state, const Balance& b) {
  return krw_value(b, [&state](std::string_view market) {
    const Position* p = state.position(market);
    return p != nullptr && p->has_mark() ? p->mark_price : 0.0;
  });
}

std::string origin_name(EventOrigin o) {
  switch (o) {
    case EventOrigin::stream:
      return "stream";
    case EventOrigin::resync:
      return "resync";
    case EventOrigin::replay:
      return "replay";
  }
  return "unknown";
}

std::string uuid_or_none(const Uuid& id) {
  return id == Uuid{} ? std::string(kNone) : id.to_string();
}

void format_balances(std::string& out, const AccountState& state) {
  auto it = std::back_inserter(out);
  const std::size_t currencies = state.currency_count();
  fmt::format_to(it, "\nBalances ({} currenc{}; value in {} at the last fill price)\n", currencies,
                 currencies == 1 ? "y" : "ies", kValueCurrency);
  double total_krw = 0.0;
  std::vector<std::string> unvalued;
  std::vector<std::string> unreported;
  if (currencies > 0) {
    std::vector<Row> rows;
    state.for_each_balance([&](const Balance& b) {
      const std::string name = printable(b.currency.view());
      const std::optional<double> value = account_krw_value(state, b);
      if (value) {
        total_krw += *value;
      } else {
        (b.reported() ? unvalued : unreported).push_back(name);
      }
      std::string pending = b.pending() ? format_amount(b.pending_total) : "";
      if (b.unreconciled) pending += pending.empty() ? "unreconciled" : ", unreconciled";
      // Before its first report the balance is unknown: only the change implied is shown.
      auto reported = [&b](std::string text) {
        return b.reported() ? std::move(text) : std::string(kNone);
      };
      rows.push_back(Row{name,
                         {reported(format_amount(b.available)), reported(format_amount(b.locked)),
                          reported(format_amount(b.total())), amount_or_none(value),
                          reported(fmt::format("{}", b.asset_ts)), count(b.updates),
                          format_amount(b.implied_total()), pending}});
    });
    print_table(out,
                {"currency", "available", "locked", "total", "value KRW", "asset time ms",
                 "reports", "implied total", "pending"},
                rows);
  }
  fmt::format_to(it, "  total value: {} {}", format_amount(total_krw), kValueCurrency);
  if (!unvalued.empty()) {
    fmt::format_to(it, " (without {}: no fill price)", fmt::join(unvalued, ", "));
  }
  if (!unreported.empty()) {
    fmt::format_to(it, " (not reported yet: {})", fmt::join(unreported, ", "));
  }
  out += '\n';

  const DriftList& drifts = state.drifts();
  fmt::format_to(it, "\nBalance drifts: {} reported", count(drifts.total()));
  if (drifts.size() < drifts.total()) fmt::format_to(it, " (last {} kept)", drifts.size());
  out += '\n';
  if (drifts.size() > 0) {
    std::vector<Row> rows;
    for (std::size_t i = drifts.size(); i-- > 0;) {  // newest first
      const BalanceDrift& d = drifts[i];
      rows.push_back(
          Row{printable(d.currency.view()),
              {format_amount(d.total), format_amount(d.locked), fmt::format("{}", d.exchange_ts),
               fmt::format("{}", d.reported_ts), uuid_or_none(d.asset_uuid)}});
    }
    print_table(out, {"currency", "total", "locked", "first seen ms", "reported ms", "asset_uuid"},
                rows);
  }
}

}  // namespace

std::string incomplete_notice(const ApplyCounters& counters, std::uint64_t resyncs_incomplete) {
  const std::vector<Gap> list = gaps(counters, resyncs_incomplete);
  if (list.empty()) return {};
  std::string out = "ACCOUNT INCOMPLETE: ";
  for (std::size_t i = 0; i < list.size(); ++i) {
    const Gap& g = list[i];
    if (i > 0) out += "; ";
    if (g.reason == "table_full") {
      out += fmt::format("{} events refused (table full) — raise {}", count(g.count), g.config_key);
    } else if (g.reason == "market_full") {
      out += fmt::format("{} events refused (market table full) — raise {}", count(g.count),
                         g.config_key);
    } else if (g.reason == "invalid") {
      out += fmt::format("{} events refused as invalid ({} non-finite)", count(g.count),
                         count(counters.non_finite));
    } else if (g.reason == "currency_full") {
      out += fmt::format("{} balance reports refused (currency table full) — raise {}",
                         count(g.count), g.config_key);
    } else if (g.reason == "asset_invalid") {
      out += fmt::format("{} balance reports refused as invalid", count(g.count));
    } else {
      out += fmt::format("{} resync{} incomplete or failed — the state may miss changes",
                         count(g.count), g.count == 1 ? "" : "s");
    }
  }
  return out;
}

std::string format_amount(double value) {
  if (!std::isfinite(value)) return fmt::format("{}", value);
  std::string digits = fmt::format("{:.8f}", std::fabs(value));
  // Drop trailing zeros of the fraction, then the point itself.
  if (const auto dot = digits.find('.'); dot != std::string::npos) {
    const auto last = digits.find_last_not_of('0');
    digits.erase(last == dot ? dot : last + 1);
  }
  const auto dot = std::min(digits.find('.'), digits.size());
  std::string out;
  for (std::size_t i = 0; i < dot; ++i) {
    if (i > 0 && (dot - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  out.append(digits, dot, std::string::npos);
  const bool negative = value < 0.0 && out.find_first_not_of("0,.") != std::string::npos;
  return negative ? "-" + out : out;
}

std::string format_summary(const AccountState& state, const SummaryOptions& options) {
  std::string out;
  auto it = std::back_inserter(out);
  const std::size_t markets = state.market_count();

  if (const std::string notice = incomplete_notice(state.counters()); !notice.empty())
    fmt::format_to(it, "{}\n\n", notice);
  fmt::format_to(it, "Positions ({} market{})\n", markets, markets == 1 ? "" : "s");
  if (markets > 0) {
    std::vector<std::string> header{"figure"};
    for (std::uint16_t m = 0; m < markets; ++m)
      header.emplace_back(printable(state.market_code(m)));
    std::vector<Row> rows;
    auto add = [&](std::string label, double Position::*field) {
      Row r{std::move(label), {}};
      for (std::uint16_t m = 0; m < markets; ++m)
        r.cells.push_back(format_amount(state.position_at(m).*field));
      rows.push_back(std::move(r));
    };
    auto add_fn = [&](std::string label, double (Position::*fn)() const noexcept) {
      Row r{std::move(label), {}};
      for (std::uint16_t m = 0; m < markets; ++m)
        r.cells.push_back(format_amount((state.position_at(m).*fn)()));
      rows.push_back(std::move(r));
    };
    add("base volume", &Position::base_volume);
    add_fn("average cost, gross", &Position::avg_cost_gross);
    add_fn("average cost, net", &Position::avg_cost_net);
    add("realized PnL, gross", &Position::realized_gross);
    add("realized PnL, net", &Position::realized_net);
    add("fees paid", &Position::fees_paid);
    add("bought volume", &Position::bought_volume);
    add("sold volume", &Position::sold_volume);
    add("bought notional", &Position::bought_notional);
    add("sold notional", &Position::sold_notional);
    add("starting volume", &Position::starting_volume);
    add("unattributed volume", &Position::unattributed_volume);
    add("unattributed funds", &Position::unattributed_funds);
    auto add_marked = [&](std::string label, auto&& cell) {
      Row r{std::move(label), {}};
      for (std::uint16_t m = 0; m < markets; ++m)
        r.cells.push_back(cell(state.position_at(m)));
      rows.push_back(std::move(r));
    };
    add_marked("mark (last fill)", [](const Position& p) {
      return p.has_mark() ? format_amount(p.mark_price) : std::string(kNone);
    });
    add_marked("unrealized, gross",
               [](const Position& p) { return amount_or_none(unrealized_at_mark(p, false)); });
    add_marked("unrealized, net",
               [](const Position& p) { return amount_or_none(unrealized_at_mark(p, true)); });
    print_table(out, header, rows);
  }

  out += "\nExecution quality (completed orders)\n";
  {
    std::vector<std::string> header{"figure"};
    std::vector<ExecutionStats> columns;
    for (std::uint16_t m = 0; m < markets; ++m) {
      header.emplace_back(printable(state.market_code(m)));
      columns.push_back(state.stats_at(m));
    }
    header.emplace_back("total");
    columns.push_back(state.total_stats());
    print_table(out, header, execution_rows(columns));
  }

  out += "\nSelf-match prevention\n";
  {
    std::vector<std::string> header{"SMP type", "orders", "prevented orders", "prevented volume",
                                    "prevented locked"};
    std::vector<Row> rows;
    auto add = [&](std::string label, const SmpStats::PerType& p) {
      rows.push_back(Row{std::move(label),
                         {count(p.orders), count(p.prevented_orders),
                          format_amount(p.prevented_volume), format_amount(p.prevented_locked)}});
    };
    for (std::size_t i = 1; i < SmpStats::kTypes; ++i)
      add(std::string(smp_name(i)), state.smp().by_type[i]);
    if (state.smp().by_type[0].orders > 0 || state.smp().by_type[0].prevented_orders > 0) {
      add("unknown", state.smp().by_type[0]);
    }
    add("total", state.smp().total());
    print_table(out, header, rows);
  }

  const OrderTable& orders = state.orders();
  fmt::format_to(it, "\nOpen orders: {} (completed kept: {}, evicted: {}, refused: {})\n",
                 orders.open_size(), orders.completed_size(), orders.evictions(), orders.refused());
  if (orders.open_size() > 0) {
    std::vector<std::string> header{"uuid",  "market", "side",     "type",      "state",
                                    "price", "volume", "executed", "identifier"};
    std::vector<Row> rows;
    const std::size_t shown = std::min(orders.open_size(), options.max_open_orders);
    for (std::size_t i = 0; i < shown; ++i) {
      const Order& o = orders.open(i);
      rows.push_back(Row{o.uuid.to_string(),
                         {printable(o.code.view()), std::string(to_string(o.side)),
                          std::string(to_string(o.order_type)), std::string(to_string(o.state)),
                          format_amount(o.price), format_amount(o.volume),
                          format_amount(o.executed_volume), identifier_text(o.identifier)}});
    }
    print_table(out, header, rows);
    if (shown < orders.open_size())
      fmt::format_to(it, "  ... {} more\n", orders.open_size() - shown);
  }

  format_balances(out, state);

  out += "\nEvents\n";
  {
    std::vector<Row> rows;
    for (const auto& [name, value] : counter_list(state.counters())) {
      rows.push_back(Row{std::string(name), {count(value)}});
    }
    print_table(out, {"counter", "count"}, rows);
  }
  return out;
}

std::string summary_json(const AccountState& state, int indent, const SummaryOptions& options) {
  Json j;
  Json positions = Json::object();
  Json markets = Json::object();
  Json total_currency;  // the markets' one quote currency; null when none or several
  for (std::size_t i = 0; i < state.market_count(); ++i) {
    const auto m = static_cast<std::uint16_t>(i);  // market indexes are 16-bit (MarketTable)
    const Position& p = state.position_at(m);
    const std::string market(state.market_code(m));
    const std::string quote = quote_currency(market);
    if (m == 0) {
      total_currency = quote;
    } else if (total_currency != quote) {
      total_currency = nullptr;
    }
    positions[market] =
        Json{{"quote_currency", quote},
             {"base_currency", base_currency(market)},
             {"base_volume", p.base_volume},
             {"avg_cost_gross", p.avg_cost_gross()},
             {"avg_cost_net", p.avg_cost_net()},
             {"realized_pnl_gross", p.realized_gross},
             {"realized_pnl_net", p.realized_net},
             {"fees_paid", p.fees_paid},
             {"buy_fees", p.buy_fees},
             {"sell_fees", p.sell_fees},
             {"bought_volume", p.bought_volume},
             {"sold_volume", p.sold_volume},
             {"bought_notional", p.bought_notional},
             {"sold_notional", p.sold_notional},
             {"starting_volume", p.starting_volume},
             {"unattributed_volume", p.unattributed_volume},
             {"unattributed_funds", p.unattributed_funds},
             {"unattributed_fees", p.unattributed_fees},
             {"mark_price", p.has_mark() ? Json(p.mark_price) : Json(nullptr)},
             {"mark_trade_ts", p.has_mark() ? Json(p.mark_key.time) : Json(nullptr)},
             {"unrealized_pnl_gross", json_or_null(unrealized_at_mark(p, false))},
             {"unrealized_pnl_net", json_or_null(unrealized_at_mark(p, true))}};
    markets[market] = stats_json(state.stats_at(m), quote);
  }
  j["positions"] = std::move(positions);
  j["execution"] = Json{{"total", stats_json(state.total_stats(), total_currency)},
                        {"markets", std::move(markets)}};

  Json smp = Json::object();
  for (std::size_t i = 1; i < SmpStats::kTypes; ++i) {
    smp[std::string(smp_name(i))] = smp_json(state.smp().by_type[i]);
  }
  smp["unknown"] = smp_json(state.smp().by_type[0]);
  smp["total"] = smp_json(state.smp().total());
  j["smp"] = std::move(smp);

  const OrderTable& orders = state.orders();
  j["orders"] = Json{{"open", orders.open_size()},
                     {"completed_kept", orders.completed_size()},
                     {"open_capacity", orders.open_capacity()},
                     {"completed_capacity", orders.completed_capacity()},
                     {"evictions", orders.evictions()},
                     {"refused", orders.refused()}};
  Json open = Json::array();
  const std::size_t shown = std::min(orders.open_size(), options.max_open_orders);
  for (std::size_t i = 0; i < shown; ++i) {
    const Order& o = orders.open(i);
    open.push_back(Json{{"uuid", o.uuid.to_string()},
                        {"market", std::string(o.code.view())},
                        {"quote_currency", quote_currency(o.code.view())},
                        {"side", std::string(to_string(o.side))},
                        {"order_type", std::string(to_string(o.order_type))},
                        {"state", std::string(to_string(o.state))},
                        {"price", o.price},
                        {"volume", o.volume},
                        {"executed_volume", o.executed_volume},
                        {"executed_funds", o.executed_funds},
                        {"paid_fee", o.paid_fee},
                        {"trades_count", o.trades_count},
                        {"identifier", std::string(o.identifier.view())},
                        {"identifier_cut", o.identifier.cut()}});
    if (o.identifier.cut()) {
      open.back()["identifier_hash"] = fmt::format("{:016x}", o.identifier.hash());
    }
  }
  j["open_orders"] = std::move(open);

  Json balances = Json::object();
  double total_krw = 0.0;
  Json unvalued = Json::array();
  Json unreported = Json::array();
  state.for_each_balance([&](const Balance& b) {
    const std::string name(b.currency.view());
    const std::optional<double> value = account_krw_value(state, b);
    const bool reported = b.reported();
    if (value) {
      total_krw += *value;
    } else {
      (reported ? unvalued : unreported).push_back(name);
    }
    balances[name] = Json{{"available", b.available},
                          {"locked", b.locked},
                          {"total", b.total()},
                          {"value_krw", json_or_null(value)},
                          {"asset_timestamp", reported ? Json(b.asset_ts) : Json(nullptr)},
                          {"asset_uuid", reported ? Json(b.asset_uuid.to_string()) : Json(nullptr)},
                          {"origin", reported ? Json(origin_name(b.origin)) : Json(nullptr)},
                          {"updates", b.updates},
                          {"implied_total", b.implied_total()},
                          {"implied_locked", b.implied_locked()},
                          {"pending_total", b.pending() ? Json(b.pending_total) : Json(nullptr)},
                          {"pending_locked", b.pending() ? Json(b.pending_locked) : Json(nullptr)},
                          {"pending_since", b.pending() ? Json(b.pending_since) : Json(nullptr)},
                          {"unreconciled", b.unreconciled}};
  });
  j["balances"] = std::move(balances);
  j["balances_value_krw"] = Json{{"total", total_krw},
                                 {"unvalued", std::move(unvalued)},
                                 {"unreported", std::move(unreported)}};
  Json drift_list = Json::array();
  const DriftList& drifts = state.drifts();
  for (std::size_t i = 0; i < drifts.size(); ++i) {
    const BalanceDrift& d = drifts[i];
    drift_list.push_back(Json{
        {"currency", std::string(d.currency.view())},
        {"total", d.total},
        {"locked", d.locked},
        {"exchange_ts", d.exchange_ts},
        {"reported_ts", d.reported_ts},
        {"asset_uuid", d.asset_uuid == Uuid{} ? Json(nullptr) : Json(d.asset_uuid.to_string())},
        {"deltas", d.deltas}});
  }
  j["drifts"] = std::move(drift_list);
  j["drifts_total"] = drifts.total();

  Json counters = Json::object();
  for (const auto& [name, value] : counter_list(state.counters()))
    counters[std::string(name)] = value;
  j["counters"] = std::move(counters);
  Json incomplete = Json::array();
  for (const Gap& g : gaps(state.counters(), 0)) {
    Json r{{"reason", std::string(g.reason)}, {"count", g.count}};
    if (!g.config_key.empty()) r["config_key"] = std::string(g.config_key);
    incomplete.push_back(std::move(r));
  }
  j["complete"] = incomplete.empty();
  j["incomplete"] = std::move(incomplete);
  j["notice"] = incomplete_notice(state.counters());
  // JSON escapes control characters itself; text that is not UTF-8 is replaced (U+FFFD) rather
  // than thrown on.
  return j.dump(indent, ' ', false, Json::error_handler_t::replace);
}

}  // namespace fillwire
