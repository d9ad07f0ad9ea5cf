#pragma once
// Wait strategies: what a side of the OrderRing does while it cannot make progress (the consumer on
// an empty ring, the producer on a full one). Named types, chosen at compile time, as in the LMAX
// Disruptor. From lowest latency / highest CPU cost to highest latency / lowest CPU cost:
//
//   BusySpin       spins on the index with the CPU's pause hint. Wake-up latency is the cache-line
//                  transfer itself (~50-100 ns); burns a whole core while idle. For a pinned thread
//                  on an isolated core.
//   SpinThenYield  spins kSpins times, then calls std::this_thread::yield() between checks. Same
//                  latency as BusySpin while events flow; when idle it lets other runnable threads
//                  in, still at 100% of a core if there are none. The default: safe when threads
//                  outnumber cores.
//   Blocking       spins briefly (kSpinsBeforeSleep pauses), then sleeps in the kernel (C++20
//                  std::atomic::wait on a 32-bit word, a futex on Linux). Wake-up costs a system
//                  call on the waking side and a scheduler wake-up on the sleeper (several
//                  microseconds); idle CPU cost is zero. The waker calls notify only when the
//                  sleeper declared it is sleeping, so while events flow the fast path stays free
//                  of system calls (one atomic exchange per publish). The sleeper waits on its own
//                  32-bit word beside the index, not on the 64-bit index itself: only 32-bit
//                  atomics map straight to a futex (libstdc++ waits on wider ones through a shared
//                  proxy table), and a shutdown can change that word to wake a sleeper without
//                  touching the index.
//
// bench/ring_bench measures each one's wake-up latency (latency/fillwire::OrderRing<...>). On a
// 2-vCPU AMD EPYC VM (cache-line floor 55 ns one way): BusySpin and SpinThenYield ~60 ns p50 while
// events flow; after 50 us idle SpinThenYield ~300 ns and Blocking ~15 us p50.
//
// Interface (checked by the WaitStrategy concept): each strategy has a per-side state `Waiter`
// that the ring keeps on its own cache-line pair, `wait(waiter, ready)` that returns once `ready()`
// is true, and `wake(waiter)` that the other side calls after it changed what `ready()` looks at.
// `ready` must only read atomics with acquire (or stronger) loads.

#include <atomic>
#include <concepts>
#include <cstdint>
#include <thread>

namespace fillwire {

// The CPU's spin-wait hint: lets the sibling hyper-thread run and avoids the memory-order
// mis-speculation penalty when the awaited line changes. Any thread.
inline void cpu_relax() noexcept {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  asm volatile("yield" ::: "memory");
#else
  std::this_thread::yield();
#endif
}

template <class W>
concept WaitStrategy = requires(typename W::Waiter& waiter, bool (*ready)() noexcept) {
  { W::wait(waiter, ready) }
  noexcept;
  { W::wake(waiter) }
  noexcept;
};

struct BusySpin {
  struct Waiter {};

  template <class Ready>
  static void wait(Waiter& /*waiter*/, Ready&& ready) noexcept {
    while (!ready())
      cpu_relax();
  }
  static void wake(Waiter& /*waiter*/) noexcept {}
};

template <std::uint32_t Spins>
struct BasicSpinThenYield {
  static constexpr std::uint32_t kSpins = Spins;
  struct Waiter {};

  template <class Ready>
  static void wait(Waiter& /*waiter*/, Ready&& ready) noexcept {
    for (std::uint32_t i = 0; !ready();) {
      if (i < kSpins) {
        ++i;
        cpu_relax();
      } else {
        std::this_thread::yield();
      }
    }
  }
  static void wake(Waiter& /*waiter*/) noexcept {}
};

// ~1024 pauses: a few microseconds on current x86 cores before the first yield.
using SpinThenYield = BasicSpinThenYield<1024>;

struct Blocking {
  // Pauses before the first sleep (~2-3 us on current x86 cores): an event that follows within
  // that window is taken without any system call on either side, which keeps bursts cheap.
  static constexpr std::uint32_t kSpinsBeforeSleep = 100;

  // Thread contract: `sleeping` is set to 1 only by the waiting side and reset to 0 by either side.
  struct Waiter {
    std::atomic<std::uint32_t> sleeping{0};
  };

  // Waiting side only.
  template <class Ready>
  static void wait(Waiter& w, Ready&& ready) noexcept {
    for (std::uint32_t i = 0; i < kSpinsBeforeSleep; ++i) {
      if (ready()) return;
      cpu_relax();
    }
    while (!ready()) {
      // Declare the intent to sleep with an RMW. Both sides' RMWs on `sleeping` are totally
      // ordered: either wake()'s exchange comes later and sees 1 (and notifies), or it came
      // earlier, our exchange reads its 0, and acq_rel makes everything the waker did before
      // wake() (the new index, a stop flag) visible to the ready() check below.
      // acq_rel: pairs with the acq_rel exchange in wake().
      w.sleeping.exchange(1, std::memory_order_acq_rel);
      if (ready()) {
        // relaxed: only cancels our own declaration; nothing is published through it.
        w.sleeping.store(0, std::memory_order_relaxed);
        return;
      }
      // relaxed: the value is only compared with 1; ready() re-reads the data with acquire.
      w.sleeping.wait(1, std::memory_order_relaxed);
    }
  }

  // The side that just made progress (published, drained, or asked to stop).
  static void wake(Waiter& w) noexcept {
    // acq_rel: pairs with the acq_rel exchange in wait(); see there. The line stays in the
    // waker's cache while nobody sleeps, so this costs one locked instruction, no coherency miss.
    if (w.sleeping.exchange(0, std::memory_order_acq_rel) != 0) w.sleeping.notify_one();
  }
};

static_assert(WaitStrategy<BusySpin> && WaitStrategy<SpinThenYield> && WaitStrategy<Blocking>,
              "Every named wait strategy must satisfy the WaitStrategy concept.");

}  // namespace fillwire
