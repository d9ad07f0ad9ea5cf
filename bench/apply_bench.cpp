// apply_bench: nanoseconds per event for AccountState::apply on a realistic mix.
//
// The stream: 256 orders in flight at a time across 4 markets, both sides; each order goes
// wait -> 0..3 partial trades -> done (65 %), cancel (25 %) or prevented (5 %); 5 % of orders are
// first seen mid-life (their wait is missing) and about 3 % of events are duplicates re-sent a
// little later. The stream (64 Ki events, 16 MiB) is replayed in passes; before each pass (outside
// the timing) the order ids are salted so every pass is new orders, and the state stays in its
// steady state (completed ring full and evicting, open table about 256 orders).
//
// Run (short):  build/bench/bench/apply_bench --benchmark_min_time=0.2 --benchmark_repetitions=5
// Report ns/event as the median of the repetitions (time per iteration; one event per iteration).

#include <benchmark/benchmark.h>

#include <cstdint>
#include <cstring>
#include <random>
#include <vector>

#include "fillwire/account_state.hpp"
#include "order_lifecycle.hpp"

namespace {

using fillwire::AccountConfig;
using fillwire::AccountState;
using fillwire::OrderEvent;
using fillwire::test::Ending;
using fillwire::test::LifecycleSpec;

constexpr const char* kMarkets[] = {"KRW-BTC", "KRW-ETH", "KRW-XRP", "KRW-SOL"};

std::vector<OrderEvent> make_stream(std::size_t target) {
  std::mt19937_64 rng{20261125};
  struct Active {
    std::vector<OrderEvent> events;
    std::size_t next;
  };
  std::vector<Active> active;
  std::vector<OrderEvent> stream;
  stream.reserve(target + 4096);
  std::int64_t t0 = 1764000000000;
  while (stream.size() < target || !active.empty()) {
    while (stream.size() < target && active.size() < 256) {
      LifecycleSpec spec;
      spec.market = kMarkets[rng() % 4];
      spec.side = (rng() & 1) != 0 ? fillwire::Side::bid : fillwire::Side::ask;
      spec.trades = static_cast<std::uint32_t>(rng() % 4);
      const auto roll = rng() % 100;
      spec.ending = roll < 65 ? Ending::done : roll < 95 ? Ending::cancel : Ending::prevented;
      if (spec.ending == Ending::done && spec.trades == 0) spec.trades = 1;
      spec.exact = false;
      spec.t0 = (t0 += 7);
      Active a{fillwire::test::make_lifecycle(rng, spec, fillwire::test::make_uuid(rng)), 0};
      if (rng() % 100 < 5) a.next = 1;  // first seen mid-life
      active.push_back(std::move(a));
    }
    const std::size_t i = static_cast<std::size_t>(rng() % active.size());
    Active& a = active[i];
    stream.push_back(a.events[a.next++]);
    if (rng() % 100 < 3) stream.push_back(a.events[rng() % a.next]);  // a duplicate
    if (a.next == a.events.size()) {
      active[i] = std::move(active.back());
      active.pop_back();
    }
  }
  return stream;
}

void salt(std::vector<OrderEvent>& stream, std::uint64_t pass) {
  for (OrderEvent& e : stream) {
    std::uint64_t w;
    std::memcpy(&w, e.uuid.bytes.data(), 8);
    w ^= pass * 0x9E3779B97F4A7C15ull;
    std::memcpy(e.uuid.bytes.data(), &w, 8);
  }
}

AccountConfig bench_config(std::size_t history) {
  AccountConfig c;
  c.open_orders = 4096;
  c.completed_orders = 8192;
  c.markets = 64;
  c.history = history;
  for (const char* m : kMarkets) {
    c.holdings.push_back({.market = m, .volume = 1e9, .avg_cost = 1000.0, .avg_cost_net = {}});
  }
  return c;
}

void run(benchmark::State& st, std::size_t history) {
  auto stream = make_stream(static_cast<std::size_t>(st.range(0)));
  AccountState account(bench_config(history));
  std::uint64_t pass = 0;
  std::size_t i = 0;
  for (auto _ : st) {
    if (i == stream.size()) {
      st.PauseTiming();
      salt(stream, ++pass);
      i = 0;
      st.ResumeTiming();
    }
    account.apply(stream[i++]);
  }
  benchmark::DoNotOptimize(account.counters().events);
  st.SetItemsProcessed(st.iterations());
  const auto& c = account.counters();
  const double events = static_cast<double>(c.events);
  st.counters["dup_share"] = static_cast<double>(c.duplicates) / events;
  st.counters["stale_share"] = static_cast<double>(c.stale) / events;
  st.counters["open_orders"] = static_cast<double>(account.open_order_count());
  st.counters["table_full"] = static_cast<double>(c.table_full);
}

void BM_Apply(benchmark::State& st) {
  run(st, 1024);
}
void BM_ApplyNoHistory(benchmark::State& st) {
  run(st, 0);
}

// Argument: events per pass. 4 Ki events (1 MiB) is a ring's worth, warm in cache as events are
// when the strategy thread drains them; 64 Ki (16 MiB) streams them from memory.
BENCHMARK(BM_Apply)->Arg(4096)->Arg(65536);
BENCHMARK(BM_ApplyNoHistory)->Arg(4096);

}  // namespace

BENCHMARK_MAIN();
