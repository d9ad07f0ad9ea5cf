#pragma once
// BalanceTable: AccountState's balances, one Balance per currency, and their reconciliation with
// the order stream (balance.hpp states the rule).
//
// Thread contract: owned by AccountState; every call on the strategy thread only (inside apply(),
// or the const reads). Memory is allocated once at construction (cold path, may throw); after
// that nothing allocates, locks or throws. What does not fit is counted in ApplyCounters: a
// currency beyond capacity (intern() gives kNoCurrency), a delta beyond the kept bound
// (deltas_overflowed: the currency is unreconciled until an anchor after every delta it dropped).
//
// Design: currencies are interned like markets (MarketTable: both are 15-byte codes). Kept deltas
// live in one array, `deltas_per_currency` per currency, unordered; a report scans its currency's
// (at most that many). Drifts settle on exchange time: the earliest due time is kept, so most
// events cost one comparison.

#include <cstddef>
#include <cstdint>
#include <memory>

#include "fillwire/apply_counters.hpp"
#include "fillwire/asset_event.hpp"
#include "fillwire/balance.hpp"
#include "fillwire/detail/market_table.hpp"

namespace fillwire {

class BalanceTable {
 public:
  static constexpr std::uint16_t kNoCurrency = MarketTable::kNoMarket;
  enum class Report : std::uint8_t { applied, duplicate, stale };

  // Cold path: throws std::invalid_argument on a capacity MarketTable refuses.
  BalanceTable(std::size_t currencies, std::size_t deltas_per_currency, std::size_t drifts,
               std::int64_t settle_ms);
  BalanceTable(const BalanceTable&) = delete;
  BalanceTable& operator=(const BalanceTable&) = delete;

  // The currency's number, adding it if new; kNoCurrency when the table is full.
  [[nodiscard]] std::uint16_t intern(const CurrencyCode& code) noexcept;
  [[nodiscard]] std::uint16_t find(const CurrencyCode& code) const noexcept {
    return codes_.find(code);
  }
  [[nodiscard]] std::size_t size() const noexcept { return codes_.size(); }
  [[nodiscard]] std::size_t capacity() const noexcept { return codes_.capacity(); }
  // Precondition: c < size().
  [[nodiscard]] const Balance& at(std::uint16_t c) const noexcept { return balances_[c]; }

  // A report of currency c (a valid asset event). A stream report is compared with the
  // reference and becomes it; a resync's list is compared and waits (balance.hpp). Either is
  // shown unless it repeats the last report (duplicate) or is older than the one shown (stale:
  // a stream report may still be compared, being newer than the reference).
  Report report(std::uint16_t c, const AssetEvent& a, ApplyCounters& n) noexcept;
  // The end of a resync's list (GET /v1/accounts, stamped `as_of_ms`): it is the whole account,
  // so every currency known here and not reported since `as_of_ms` is reported as zero then
  // (Upbit lists only the currencies held). Counted in resync_unlisted.
  void unlisted_are_zero(std::int64_t as_of_ms, ApplyCounters& n) noexcept;
  // A change of c implied by the order stream at exchange time t, by an event of `origin` (a
  // resync's deltas are kept as one, which its list covers).
  void imply(std::uint16_t c, double total, double locked, std::int64_t t, EventOrigin origin,
             ApplyCounters& n) noexcept;
  // The exchange time of an event just applied: pending discrepancies that have settled are
  // reported as drifts.
  void observe(std::int64_t exchange_ms, ApplyCounters& n) noexcept;

  [[nodiscard]] const DriftList& drifts() const noexcept { return drifts_; }
  // The latest exchange time seen (ms), 0 before any.
  [[nodiscard]] std::int64_t exchange_time() const noexcept { return now_; }

 private:
  static constexpr std::uint32_t kNoSlot = ~std::uint32_t{0};

  struct Delta {
    std::int64_t t;
    double total;
    double locked;
    std::uint32_t count;  // deltas summed in it (a resync's are kept as one)
  };

  // A stream report newer than the reference: compared, then the reference.
  void compare_stream(std::uint16_t c, const AssetEvent& a, ApplyCounters& n) noexcept;
  // A resync's list: the reference at once when there is none to compare with, else open.
  void open_list(std::uint16_t c, const AssetEvent& a, ApplyCounters& n) noexcept;
  // An open list nothing replaced: its difference joins the pending one; it is the reference.
  void close_list(std::uint16_t c, ApplyCounters& n) noexcept;
  // Makes (total, locked, ts) the reference without comparing, dropping the first `covered`
  // kept deltas (those it holds).
  void take_reference(Balance& b, std::uint16_t c, double total, double locked, std::int64_t ts,
                      const Uuid& uuid, EventOrigin origin, std::uint32_t covered) noexcept;
  struct Covered {
    double total = 0.0;
    double locked = 0.0;
    std::uint32_t count = 0;  // deltas summed
  };
  // Removes c's kept deltas for which covers(index, delta) holds and returns their sum; the
  // others keep their order (and the resync slot its delta).
  template <class Covers>
  Covered take_kept(std::uint16_t c, Covers covers) noexcept;
  // Removes the first `count` kept deltas of c (keeping the others' order and the resync slot).
  void drop_kept(std::uint16_t c, std::uint32_t count) noexcept;
  // Adds (total, locked) to c's pending discrepancy; clears it when it comes back within
  // tolerance; opens it (at `since`) only when beyond tolerance.
  void add_pending(std::uint16_t c, double total, double locked, std::uint32_t deltas,
                   std::int64_t since, const Uuid& uuid, ApplyCounters& n) noexcept;
  void clear_pending(Balance& b) noexcept;
  // Reports b's pending discrepancy as a drift settled at exchange time `at`, and clears it.
  void settle(Balance& b, std::int64_t at, ApplyCounters& n) noexcept;
  [[nodiscard]] std::int64_t due(const Balance& b) const noexcept;
  [[nodiscard]] std::int64_t list_due(const Balance& b) const noexcept;
  void watch(std::int64_t at) noexcept { next_due_ = at < next_due_ ? at : next_due_; }

  MarketTable codes_;
  std::unique_ptr<Balance[]> balances_;
  std::unique_ptr<Delta[]> deltas_;
  std::unique_ptr<std::int64_t[]> dropped_until_;  // per currency: latest t of a dropped delta
  std::unique_ptr<std::uint32_t[]> resync_slot_;  // per currency: the kept resync delta, or kNoSlot
  std::size_t per_currency_;
  std::int64_t settle_ms_;
  DriftList drifts_;
  std::int64_t now_ = 0;           // the latest exchange time seen (stream events)
  std::int64_t latest_delta_ = 0;  // the latest time of a delta implied (a resync's too)
  std::size_t pending_ = 0;        // currencies with a pending discrepancy
  std::size_t lists_open_ = 0;     // currencies with an open list
  std::int64_t next_due_ = 0;      // the earliest of their due times
};

}  // namespace fillwire
