// Zero allocation on the hot path: after construction and a warm-up, applying a million events
// (new orders, trades, completions, evictions, duplicates, the history ring) allocates nothing;
// nor do balance reports, their reconciliation and drifts.
// Global operator new and malloc are replaced in this executable to count calls while a flag is
// set. Sanitizer builds replace the allocator themselves, so there the test is skipped.

#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <new>
#include <random>
#include <vector>

#include "../support/balance_events.hpp"
#include "../support/order_lifecycle.hpp"
#include "fillwire/account_state.hpp"

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define FILLWIRE_COUNT_ALLOCATIONS 0
#else
#define FILLWIRE_COUNT_ALLOCATIONS 1
#endif

namespace {
std::atomic<bool> g_counting{false};
std::atomic<std::uint64_t> g_allocations{0};

[[maybe_unused]] void note_allocation() noexcept {
  if (g_counting.load(std::memory_order_relaxed)) {
    g_allocations.fetch_add(1, std::memory_order_relaxed);
  }
}
}  // namespace

#if FILLWIRE_COUNT_ALLOCATIONS
extern "C" {
void* __libc_malloc(std::size_t);
void* __libc_calloc(std::size_t, std::size_t);
void* __libc_realloc(void*, std::size_t);
void* malloc(std::size_t n) {
  note_allocation();
  return __libc_malloc(n);
}
void* calloc(std::size_t n, std::size_t size) {
  note_allocation();
  return __libc_calloc(n, size);
}
void* realloc(void* p, std::size_t n) {
  note_allocation();
  return __libc_realloc(p, n);
}
}

void* operator new(std::size_t n) {
  note_allocation();
  if (void* p = __libc_malloc(n == 0 ? 1 : n)) return p;  // counted once, here
  throw std::bad_alloc();
}
void* operator new[](std::size_t n) {
  return operator new(n);
}
void* operator new(std::size_t n, std::align_val_t a) {
  note_allocation();
  const auto align = static_cast<std::size_t>(a);
  if (void* p = std::aligned_alloc(align, (n + align - 1) / align * align)) return p;
  throw std::bad_alloc();
}
void* operator new[](std::size_t n, std::align_val_t a) {
  return operator new(n, a);
}
void operator delete(void* p) noexcept {
  std::free(p);
}
void operator delete[](void* p) noexcept {
  std::free(p);
}
void operator delete(void* p, std::size_t) noexcept {
  std::free(p);
}
void operator delete[](void* p, std::size_t) noexcept {
  std::free(p);
}
void operator delete(void* p, std::align_val_t) noexcept {
  std::free(p);
}
void operator delete[](void* p, std::align_val_t) noexcept {
  std::free(p);
}
void operator delete(void* p, std::size_t, std::align_val_t) noexcept {
  std::free(p);
}
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept {
  std::free(p);
}
#endif

namespace fillwire {
namespace {

struct Counting {
  Counting() {
    g_allocations = 0;
    g_counting = true;
  }
  ~Counting() { g_counting = false; }
  [[nodiscard]] std::uint64_t count() const { return g_allocations.load(); }
};

TEST(ZeroAllocation, TheCounterSeesAllocations) {
  if (!FILLWIRE_COUNT_ALLOCATIONS) GTEST_SKIP() << "sanitizer build: allocator not replaced";
  Counting counting;
  auto* p = new int(7);
  void* q = std::malloc(16);
  EXPECT_EQ(counting.count(), 2u);
  std::free(q);
  delete p;
}

TEST(ZeroAllocation, ApplyingAMillionEventsAllocatesNothing) {
  if (!FILLWIRE_COUNT_ALLOCATIONS) GTEST_SKIP() << "sanitizer build: allocator not replaced";
  std::mt19937_64 rng{31};
  std::vector<OrderEvent> stream;
  const char* markets[] = {"KRW-BTC", "KRW-ETH", "KRW-XRP"};
  for (int i = 0; i < 2000; ++i) {
    test::LifecycleSpec spec;
    spec.market = markets[i % 3];
    spec.side = (i & 1) != 0 ? Side::ask : Side::bid;
    spec.trades = static_cast<std::uint32_t>(rng() % 4);
    spec.ending = static_cast<test::Ending>(rng() % 3);
    const auto ev = test::make_lifecycle(rng, spec, test::make_uuid(rng));
    stream.insert(stream.end(), ev.begin(), ev.end());
    stream.push_back(ev[rng() % ev.size()]);  // a duplicate
  }
  AccountConfig c;
  c.open_orders = 64;
  c.completed_orders = 512;  // small, so completed orders are evicted all the time
  c.history = 256;
  AccountState state(c);
  for (const OrderEvent& e : stream)
    state.apply(e);  // warm-up pass

  std::uint64_t applied = 0;
  std::uint64_t pass = 0;
  std::uint64_t allocations = 0;
  {
    Counting counting;
    while (applied < 1'000'000) {
      ++pass;
      for (OrderEvent& e : stream)
        e.uuid.bytes[0] ^= static_cast<std::uint8_t>(pass);  // new orders
      for (const OrderEvent& e : stream)
        state.apply(e);
      applied += stream.size();
    }
    allocations = counting.count();
  }
  EXPECT_EQ(allocations, 0u);
  EXPECT_GT(state.counters().completed_evictions, 100'000u);
  EXPECT_GT(state.counters().duplicates, 0u);
}

TEST(ZeroAllocation, BalancesReconciliationAndDriftsAllocateNothing) {
  if (!FILLWIRE_COUNT_ALLOCATIONS) GTEST_SKIP() << "sanitizer build: allocator not replaced";
  AccountConfig c;
  c.open_orders = 64;
  c.completed_orders = 64;
  c.pending_deltas = 4;
  c.drifts = 8;  // small, so the drift list wraps
  c.drift_settle_ms = 10;
  c.history = 64;
  AccountState state(c);
  const char* currencies[] = {"KRW", "BTC", "ETH"};
  std::int64_t ts = 1000;
  std::uint32_t order = 0;
  // One round: a bid locks and fills (deltas kept), its report, a deposit (a drift once it
  // settles), a duplicate and a stale report, a refused number.
  const auto round = [&] {
    const std::uint32_t n = ++order;
    state.apply(test::order_step(n, "KRW-BTC", Side::bid, 1000, 1,
                                 {OrderState::wait, ++ts, 0, 0, 0, 0, 1000.5}));
    state.apply(test::order_step(n, "KRW-BTC", Side::bid, 1000, 1,
                                 {OrderState::trade, ++ts, 1, 1000, 0.5, 1, 0}));
    state.apply(test::order_step(n, "KRW-BTC", Side::bid, 1000, 1,
                                 {OrderState::done, ++ts, 1, 1000, 0.5, 1, 0}));
    const auto frame = static_cast<std::uint8_t>(n);
    for (const char* cur : currencies) {
      const AssetEvent a = test::balance_report(cur, static_cast<double>(n), 0, ++ts, frame);
      state.apply(a);
      state.apply(a);  // duplicate
    }
    state.apply(test::balance_report("KRW", 1, 0, ts - 100, frame));         // stale
    state.apply(test::balance_report("KRW", std::nan(""), 0, ++ts, frame));  // refused
    OrderEvent slot{};
    store_asset(slot, test::balance_report("BTC", 2.0 * n, 0, ++ts, frame));
    state.apply(slot);  // through a ring slot
    ts += 20;           // settles the round's discrepancies
  };
  for (int i = 0; i < 500; ++i)
    round();  // warm-up
  std::uint64_t allocations = 0;
  {
    Counting counting;
    for (int i = 0; i < 20'000; ++i)
      round();
    allocations = counting.count();
  }
  EXPECT_EQ(allocations, 0u);
  EXPECT_GT(state.counters().drifts_reported, 20'000u);
  EXPECT_GT(state.counters().asset_duplicates, 20'000u);
  EXPECT_GT(state.counters().asset_stale, 0u);
  EXPECT_GT(state.counters().asset_invalid, 0u);
  EXPECT_EQ(state.drifts().size(), 8u);
}

}  // namespace
}  // namespace fillwire
