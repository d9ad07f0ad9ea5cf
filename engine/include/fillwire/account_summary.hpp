#pragma once
// Account summary (cold path): the whole AccountState as a readable text report or as JSON, for
// the CLI (`fillwire replay`), logs and tests. Both allocate and may throw; call them on the
// strategy thread (the state's owner), never from inside apply().
//
// JSON field names are stable (other tools parse them; docs/CLI.md); all numbers are plain JSON
// numbers, money in the market's quote currency (an Upbit code is QUOTE-BASE: "KRW-BTC" is KRW):
//   {
//     "positions":  {"KRW-BTC": {"quote_currency", "base_currency", "base_volume",
//                    "avg_cost_gross", "avg_cost_net", "realized_pnl_gross", "realized_pnl_net",
//                    "fees_paid", "buy_fees", "sell_fees", "bought_volume", "sold_volume",
//                    "bought_notional", "sold_notional", "starting_volume",
//                    "unattributed_volume", "unattributed_funds", "unattributed_fees",
//                    "mark_price", "mark_trade_ts", "unrealized_pnl_gross",
//                    "unrealized_pnl_net"}, ...},
//                   (the mark: the price of the market's last fill in trade-time order, and
//                   what the position would realize at it; all four null for a market never
//                   filled)
//     "execution":  {"total": S, "markets": {"KRW-BTC": S, ...}} where S is
//                   {"quote_currency" (total: null unless every market shares one),
//                    "completed", "done_full", "done_partial", "cancelled", "prevented",
//                    "prevented_partial", "fill_rate_pct", "partial_fill_rate_pct",
//                    "cancel_rate_pct", "smp_rate_pct", "trades", "maker_trades",
//                    "taker_trades", "maker_share_pct", "liquidity_unknown", "traded_notional",
//                    "traded_volume", "avg_first_fill_ms", "max_first_fill_ms", "avg_final_ms",
//                    "max_final_ms"},
//     "smp":        {"reduce"|"cancel_maker"|"cancel_taker"|"unknown"|"total":
//                    {"orders", "prevented_orders", "prevented_volume", "prevented_locked"}},
//     "orders":     {"open", "completed_kept", "open_capacity", "completed_capacity",
//                    "evictions", "refused"},
//     "open_orders": [{"uuid", "market", "quote_currency", "side", "order_type", "state", "price",
//                      "volume", "executed_volume", "executed_funds", "paid_fee", "trades_count",
//                      "identifier", "identifier_cut"[, "identifier_hash"]}, ...],
//                    (a cut identifier: the part kept, and the FNV-1a 64 hash of the whole as
//                    16 hex digits; client_id.hpp)
//     "counters":   {"events", "applied", "duplicates", "stale", "invalid", "non_finite",
//                    "not_order", "table_full", "market_full", "orders_created",
//                    "created_mid_life", "gaps_healed", "trades_healed", "after_terminal",
//                    "terminal_regressions", "completed_evictions", "created_behind_eviction",
//                    "old_trades_unknown", "fills_late", "trades_split", "fills_out_of_place",
//                    "resync_incomplete", "resync_failed", "assets", "assets_applied",
//                    "asset_duplicates", "asset_stale", "asset_invalid", "negative_balances",
//                    "currency_full",
//                    "resync_unlisted", "balance_deltas", "orders_without_locked",
//                    "deltas_unassigned", "deltas_late", "deltas_uncompared",
//                    "deltas_retimed",
//                    "deltas_overflowed", "currencies_unreconciled", "drifts_reported",
//                    "drifts_explained_late"},
//     "balances":   {"KRW": {"available", "locked", "total", "value_krw" (null: no price, or
//                    never reported),
//                    "asset_timestamp", "asset_uuid", "origin" ("stream"|"resync"|"replay";
//                    these three null before a report), "updates", "implied_total",
//                    "implied_locked", "pending_total", "pending_locked", "pending_since" (these
//                    three null unless a discrepancy is pending), "unreconciled"}, ...},
//                   (as reported; value in KRW: KRW at 1, CUR at the mark of KRW-CUR)
//     "balances_value_krw": {"total" (the reported currencies with a price),
//                   "unvalued": [reported, no price: "ETH", ...], "unreported": [...]},
//     "drifts":     [{"currency", "total", "locked", "exchange_ts", "reported_ts",
//                     "asset_uuid" (null: none), "deltas"}, ...] (the last kept, oldest first),
//     "drifts_total": every drift reported,
//     "complete":   false when events or balance reports were refused or a resync was
//                   incomplete or failed,
//     "incomplete": [{"reason": "table_full"|"market_full"|"invalid"|"currency_full"|
//                     "asset_invalid"|"resync_incomplete",
//                     "count", "config_key" (capacity reasons: the key that raises it)}, ...],
//     "notice":     incomplete_notice() ("" when complete)
//   }
// Rates are percent, as the report shows them (50 = 50 %), named *_pct; rates of zero completed
// orders are 0.

#include <cstddef>
#include <string>

#include "fillwire/apply_counters.hpp"

namespace fillwire {

class AccountState;

struct SummaryOptions {
  std::size_t max_open_orders = 50;  // open orders listed (the count is always given)
};

// A readable report: positions and PnL (marks and unrealized PnL included), execution quality
// per market and total, SMP, open orders, balances with their KRW value, drifts, and the
// application counters (duplicates, stale, gaps healed, overflow, ...).
[[nodiscard]] std::string format_summary(const AccountState& state,
                                         const SummaryOptions& options = {});

// The same content as JSON (field names above). indent < 0 gives one line.
[[nodiscard]] std::string summary_json(const AccountState& state, int indent = 2,
                                       const SummaryOptions& options = {});

// Why the account may not be whole, for people: "" when nothing was refused and no resync was
// incomplete, else "ACCOUNT INCOMPLETE: 1,234 events refused (table full) — raise
// account.open_orders; ..." naming the config key that fixes each capacity refusal (balance
// reports: "2 balance reports refused (currency table full) — raise account.currencies", "1
// balance reports refused as invalid").
// `resyncs_incomplete`: resyncs known elsewhere (live counters) to have been incomplete or failed;
// the larger of it and the counters' own count is reported.
[[nodiscard]] std::string incomplete_notice(const ApplyCounters& counters,
                                            std::uint64_t resyncs_incomplete = 0);

// A number for people: thousands separators, at most 8 decimals, trailing zeros dropped
// (100050000 -> "100,050,000", 0.5 -> "0.5", -27500.25 -> "-27,500.25").
[[nodiscard]] std::string format_amount(double value);

}  // namespace fillwire
