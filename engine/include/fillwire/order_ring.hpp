#pragma once
// OrderRing: a single-producer single-consumer ring of OrderEvent slots, allocated once.
//
// Thread contract: exactly one producer thread (the network thread) calls try_claim(), claim() and
// publish(); exactly one consumer thread (the strategy thread) calls drain() and wait_readable().
// The roles never swap while the ring is in use. counters(), size_approx(), capacity() and wake()
// may be called from any thread. Each method below names who may call it. Nothing here allocates,
// locks or throws after construction.
//
// Producer: claim a slot, fill it in place (the decoder writes straight into it), publish it with
// one release store. A claimed slot that is not published (the frame failed to decode) is handed
// out again by the next claim. A full ring is never dropped from: claim() waits, using the wait
// strategy, and counts the stall. So OrderRing satisfies fillwire::EventSink.
// Consumer: drain(handler, max) hands up to `max` events to the handler in order, reading them in
// place, and publishes its new head once per batch.
//
// Design: the indices are 64-bit and only ever increase (they cannot wrap in practice), a slot is
// `index & mask`. Each slot carries its own publication word: the event's `seq`, in the slot's
// first cache line, which publish() stores last, with release, as the event's index. The consumer
// polls the slot it reads next, not the producer's index: the line it must fetch for the event
// anyway says whether the event is there, so a published event costs the consumer no other line
// (bench/ring_bench on an AMD EPYC VM: 1.8x the throughput of the same ring polling the producer's
// index, and a lower p50; docs/BENCHMARKS.md). So `seq`
// is the ring's to write: a producer fills everything else (clear_wire_fields, copy_wire_fields),
// never `seq` and never the slot as a whole, since the consumer may be reading that word.
// The consumer owns `head_` (next slot to read) and publishes it once per batch; the producer
// reads it only when its private cached copy says the ring is full, so it touches the consumer's
// line at most once per wrap. `tail_` (next slot to publish) is the producer's, stored after the
// slot's word: the published count, read by counters() and size_approx() only. Each of these sits
// on its own cache-line pair (see kFalseSharingRange). stalls has its own relaxed counter.

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <string>
#include <type_traits>

#include "fillwire/order_event.hpp"
#include "fillwire/wait_strategy.hpp"

namespace fillwire {

// 64 bytes on every x86-64 and most ARM cores. Not std::hardware_destructive_interference_size:
// GCC warns that its value may change between compiler versions, and it is part of our layout.
inline constexpr std::size_t kCacheLine = 64;

// How far apart two fields written by different threads must be. Two lines, not one: the L2
// adjacent-line prefetcher of current Intel and AMD cores fetches 128-byte aligned pairs, so a
// field on the neighbouring line still drags the other core's line back and forth. (Measured in
// bench/ring_bench on an AMD EPYC VM: 64-byte spacing ~16M events/s, 128-byte ~50M events/s.)
inline constexpr std::size_t kFalseSharingRange = 2 * kCacheLine;

// Thrown by the constructor for a capacity that is not a power of two >= 2 (cold path only).
class RingCapacityError : public std::invalid_argument {
 public:
  explicit RingCapacityError(std::size_t requested)
      : std::invalid_argument("OrderRing capacity must be a power of two >= 2 and <= 2^32, got " +
                              std::to_string(requested)),
        requested_(requested) {}
  [[nodiscard]] std::size_t requested() const noexcept { return requested_; }

 private:
  std::size_t requested_;
};

// A snapshot of the ring's counters; each value is exact at some moment, not all at the same one.
struct RingCounters {
  std::uint64_t published = 0;  // events made visible to the consumer
  std::uint64_t drained = 0;    // events handed to the consumer's handler
  std::uint64_t stalls = 0;     // claim() calls that found the ring full and had to wait
};

template <WaitStrategy Wait = SpinThenYield>
class OrderRing {
 public:
  using wait_strategy = Wait;
  static constexpr std::size_t kMaxCapacity = std::size_t{1} << 32;

  // Allocates and zero-fills `capacity` slots (so the hot path takes no page faults). Cold path:
  // throws RingCapacityError for a bad capacity and std::bad_alloc when out of memory.
  explicit OrderRing(std::size_t capacity) : mask_(checked(capacity) - 1) {
    static_assert(std::is_standard_layout_v<OrderRing>,
                  "OrderRing must be standard layout so offsetof can prove its cache-line layout.");
    static_assert(alignof(OrderRing) == kFalseSharingRange,
                  "OrderRing must start on a 128-byte boundary for the offsets below to mean "
                  "cache-line pairs.");
    // NOLINTNEXTLINE(bugprone-sizeof-expression): the pointer member's own size is meant.
    static_assert(offsetof(OrderRing, tail_) >= offsetof(OrderRing, slots_) + sizeof(slots_) &&
                      offsetof(OrderRing, tail_) % kFalseSharingRange == 0,
                  "tail_ must start a line pair after the read-only fields: no false sharing.");
    static_assert(
        offsetof(OrderRing, producer_) - offsetof(OrderRing, tail_) >= kFalseSharingRange,
        "The producer's private cache must be two cache lines apart from tail_, which the "
        "consumer polls.");
    static_assert(
        offsetof(OrderRing, head_) - offsetof(OrderRing, producer_) >= kFalseSharingRange,
        "head_ and the producer's private fields must be two cache lines apart to prevent "
        "false sharing (adjacent-line prefetch included).");
    static_assert(
        offsetof(OrderRing, consumer_waiter_) - offsetof(OrderRing, head_) >= kFalseSharingRange,
        "The consumer's sleep word must be two cache lines apart from head_, which the producer "
        "reads.");
    static_assert(offsetof(OrderRing, producer_waiter_) - offsetof(OrderRing, consumer_waiter_) >=
                      kFalseSharingRange,
                  "Each side's sleep word must sit on its own pair of cache lines.");
    slots_ = new OrderEvent[capacity];  // alignas(64) type: C++17 aligned operator new[]
    // The standard promises the alignment; a custom global operator new might not keep it.
    if (reinterpret_cast<std::uintptr_t>(slots_) % alignof(OrderEvent) != 0) {
      delete[] slots_;
      throw std::runtime_error("OrderRing: operator new[] ignored OrderEvent's 64-byte alignment");
    }
    std::memset(static_cast<void*>(slots_), 0, capacity * sizeof(OrderEvent));
    // A word that no index below 2^64 - 1 matches: no slot is published yet.
    for (std::size_t i = 0; i < capacity; ++i)
      slots_[i].seq = kUnpublished;
  }

  ~OrderRing() { delete[] slots_; }

  OrderRing(const OrderRing&) = delete;
  OrderRing& operator=(const OrderRing&) = delete;

  // ---- producer ------------------------------------------------------------------------------

  // Producer only. The slot to fill next, or nullptr when the ring is full. Calling it again
  // without publish() returns the same slot.
  [[nodiscard]] OrderEvent* try_claim() noexcept {
    // relaxed: our own index; only this thread writes it.
    const std::uint64_t tail = tail_.load(std::memory_order_relaxed);
    if (tail - producer_.head_cache > mask_) {
      // acquire: pairs with the release store of head_ in drain(); the consumer is done reading
      // every slot below the head before we overwrite one.
      producer_.head_cache = head_.load(std::memory_order_acquire);
      if (tail - producer_.head_cache > mask_) return nullptr;
    }
    return &slots_[tail & mask_];
  }

  // Producer only. The slot to fill next; when the ring is full, counts one stall and waits with
  // the wait strategy until the consumer frees a slot. Never drops, never fails.
  [[nodiscard]] OrderEvent& claim() noexcept {
    if (OrderEvent* slot = try_claim()) return *slot;
    // relaxed (both): our own counter and index; the counter is read by others for display only.
    producer_.stalls.store(producer_.stalls.load(std::memory_order_relaxed) + 1,
                           std::memory_order_relaxed);
    const std::uint64_t tail = tail_.load(std::memory_order_relaxed);
    Wait::wait(producer_waiter_.w, [this, tail]() noexcept {
      // acquire: pairs with the release store of head_ in drain(), as in try_claim().
      producer_.head_cache = head_.load(std::memory_order_acquire);
      return tail - producer_.head_cache <= mask_;
    });
    return slots_[tail & mask_];
  }

  // Producer only. Makes the claimed slot visible to the consumer, its `seq` set to its index (the
  // number of events published before it). Must follow a claim.
  void publish() noexcept {
    // relaxed: our own index.
    const std::uint64_t tail = tail_.load(std::memory_order_relaxed);
    // release: pairs with the acquire loads of the word in drain()/wait_readable()/empty(); the
    // slot's contents are visible before the word that says it is published.
    word(tail).store(tail, std::memory_order_release);
    // release: pairs with the acquire loads in size_approx()/counters(): the count never covers an
    // event whose word is not stored.
    tail_.store(tail + 1, std::memory_order_release);
    Wait::wake(consumer_waiter_.w);
  }

  // ---- consumer ------------------------------------------------------------------------------

  // Consumer only. Calls handler(const OrderEvent&) for up to `max` published events, oldest
  // first, reading them in place, then frees their slots with one store. Returns how many.
  // The handler must be noexcept and must not keep a reference past its return.
  template <class Handler>
  std::size_t drain(Handler&& handler, std::size_t max) noexcept {
    static_assert(std::is_nothrow_invocable_v<Handler&, const OrderEvent&>,
                  "drain() runs on the hot path without exception handling: the handler must be "
                  "callable as handler(const OrderEvent&) and declared noexcept.");
    // relaxed: our own index; only this thread writes it.
    const std::uint64_t head = head_.load(std::memory_order_relaxed);
    std::size_t n = 0;
    // acquire: pairs with the release store of the word in publish(); the slot's contents are
    // visible before we read them.
    while (n < max && word(head + n).load(std::memory_order_acquire) == head + n) {
      handler(static_cast<const OrderEvent&>(slots_[(head + n) & mask_]));
      ++n;
    }
    if (n == 0) return 0;
    // release: pairs with the acquire loads of head_ in try_claim()/claim(); our reads of the
    // slots are done before the producer may reuse them.
    head_.store(head + n, std::memory_order_release);
    Wait::wake(producer_waiter_.w);
    return n;
  }

  // Consumer only. Waits (with the wait strategy) until an event is published or stop() returns
  // true. Returns true when an event is ready. `stop` must be noexcept and read atomics with
  // acquire; whoever makes it true must then call wake() so a Blocking consumer re-checks it.
  template <class Stop>
  bool wait_readable(Stop&& stop) noexcept {
    // relaxed: our own index.
    const std::uint64_t head = head_.load(std::memory_order_relaxed);
    // acquire (both): pair with the release store of the word in publish().
    if (word(head).load(std::memory_order_acquire) == head) return true;
    bool readable = false;
    Wait::wait(consumer_waiter_.w, [&]() noexcept {
      readable = word(head).load(std::memory_order_acquire) == head;
      return readable || stop();
    });
    return readable;
  }

  // Consumer only: exact (no published event is waiting). Any other thread: a momentary guess.
  [[nodiscard]] bool empty() const noexcept {
    // acquire (both): pair with the release stores of head_ in drain() and of the word in
    // publish().
    const std::uint64_t head = head_.load(std::memory_order_acquire);
    return word(head).load(std::memory_order_acquire) != head;
  }

  // Any thread. Published but not yet drained; exact only on the consumer thread, and only as a
  // lower bound there (the producer may publish more at any time).
  [[nodiscard]] std::size_t size_approx() const noexcept {
    // acquire (both): pair with the release stores in publish() and drain(). Head first: the
    // tail read after it is never older, so the difference is never negative.
    const std::uint64_t head = head_.load(std::memory_order_acquire);
    const std::uint64_t tail = tail_.load(std::memory_order_acquire);
    return static_cast<std::size_t>(tail - head);
  }

  // Any thread.
  [[nodiscard]] std::size_t capacity() const noexcept { return mask_ + 1; }

  // Any thread. Each value is exact at the moment it is read.
  [[nodiscard]] RingCounters counters() const noexcept {
    RingCounters c;
    // acquire (both), head first: as in size_approx(), so published is never below drained.
    c.drained = head_.load(std::memory_order_acquire);
    c.published = tail_.load(std::memory_order_acquire);
    // relaxed: a display counter; nothing is read through it.
    c.stalls = producer_.stalls.load(std::memory_order_relaxed);
    return c;
  }

  // Any thread. Wakes both sides if they sleep (Blocking) so that they re-check their condition,
  // e.g. after a stop flag was set. A no-op for the spinning strategies.
  void wake() noexcept {
    Wait::wake(consumer_waiter_.w);
    Wait::wake(producer_waiter_.w);
  }

 private:
  static constexpr std::uint64_t kUnpublished = ~std::uint64_t{0};

  // The publication word of the slot for `index`: its event's seq.
  std::atomic_ref<std::uint64_t> word(std::uint64_t index) const noexcept {
    return std::atomic_ref<std::uint64_t>(slots_[index & mask_].seq);
  }

  static std::size_t checked(std::size_t capacity) {
    if (capacity < 2 || capacity > kMaxCapacity || (capacity & (capacity - 1)) != 0) {
      throw RingCapacityError(capacity);
    }
    return capacity;
  }

  struct alignas(kFalseSharingRange) ProducerPrivate {
    std::uint64_t head_cache = 0;          // last head_ seen by the producer
    std::atomic<std::uint64_t> stalls{0};  // written by the producer only
  };
  struct alignas(kFalseSharingRange) WaiterLine {
    typename Wait::Waiter w;
  };

  // Read-only after construction: shared by both sides without traffic.
  std::size_t mask_;
  OrderEvent* slots_ = nullptr;  // capacity slots, owned

  alignas(kFalseSharingRange) std::atomic<std::uint64_t> tail_{
      0};  // producer writes, others read for counts
  ProducerPrivate producer_;
  alignas(kFalseSharingRange) std::atomic<std::uint64_t> head_{
      0};                       // consumer writes, producer reads
  WaiterLine consumer_waiter_;  // the consumer sleeps here when the ring is empty
  WaiterLine producer_waiter_;  // the producer sleeps here when the ring is full

  static_assert(std::atomic<std::uint64_t>::is_always_lock_free &&
                    std::atomic_ref<std::uint64_t>::required_alignment <= alignof(std::uint64_t),
                "The ring's indices and words must be lock-free atomics: a lock would defeat the "
                "design.");
};

}  // namespace fillwire
