#pragma once
// SendStamps: when each event left the simulator, for end-to-end latency measurement. Off unless
// ServerConfig::send_stamps points at one; with it off, or on, the bytes sent are the same.
//
// Entry n-1 belongs to the n-th event the simulation generated (generation order, 1-based as
// Simulation::events()): its uuid, recorded at generation, and the fillwire::now_ticks() value (TSC
// ticks on x86-64, steady-clock ns elsewhere; see fillwire/clock.hpp) read right before the first
// socket write of a subscribed WebSocket connection that carries it. The server appends events to
// a connection's output buffer and writes everything queued since the last write in one go (as
// fast as possible, batches of 256 events plus whatever queued behind a write in flight; paced,
// the events of one 1 ms tick), so an event's stamp is the start of the write of its batch: it
// includes neither the generation nor the encoding of the event, and it includes, for wss://,
// the encryption of the batch. With one subscriber receiving every market in order, the k-th
// myOrder event a client receives is entry k-1 (the uuid lets it check); with the delay fault,
// events held back are stamped too early, and the reorder and duplicate faults break that
// one-to-one order. Events past capacity() are not stamped.
//
// Thread contract: the server thread calls generated() and stamp_pending(); any thread may call
// stamped() and then read entries below it. Preallocated: the server never allocates for it.

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "fillwire/uuid.hpp"

namespace fillwire::sim {

class SendStamps {
 public:
  struct Entry {
    Uuid uuid{};
    std::uint64_t ticks = 0;  // 0 until the event's write starts
  };

  // Cold: allocates every entry.
  explicit SendStamps(std::size_t capacity) : entries_(capacity) {}
  SendStamps(const SendStamps&) = delete;
  SendStamps& operator=(const SendStamps&) = delete;

  // Server thread: event number `n` (1-based, generation order) with `uuid` was generated.
  void generated(std::uint64_t n, const Uuid& uuid) noexcept {
    if (n <= entries_.size()) entries_[n - 1].uuid = uuid;
    generated_ = n;
  }

  // Server thread, right before a socket write: every generated, not yet stamped event gets
  // `ticks`.
  void stamp_pending(std::uint64_t ticks) noexcept {
    const std::uint64_t upto = std::min<std::uint64_t>(generated_, entries_.size());
    // relaxed: only the server thread writes stamped_.
    std::uint64_t s = stamped_.load(std::memory_order_relaxed);
    if (s >= upto) return;
    for (; s < upto; ++s)
      entries_[s].ticks = ticks;
    // release: publishes the entries below `upto`; pairs with the acquire load in stamped().
    stamped_.store(upto, std::memory_order_release);
  }

  // Any thread: entries [0, stamped()) are complete and no longer change.
  [[nodiscard]] std::uint64_t stamped() const noexcept {
    // acquire: pairs with the release store in stamp_pending().
    return stamped_.load(std::memory_order_acquire);
  }

  // Any thread, for i < stamped().
  [[nodiscard]] const Entry& operator[](std::size_t i) const noexcept { return entries_[i]; }
  [[nodiscard]] std::size_t capacity() const noexcept { return entries_.size(); }

 private:
  std::vector<Entry> entries_;
  std::uint64_t generated_ = 0;  // server thread only
  std::atomic<std::uint64_t> stamped_{0};
};

}  // namespace fillwire::sim
