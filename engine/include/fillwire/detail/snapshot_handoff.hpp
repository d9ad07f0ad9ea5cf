#pragma once
// SnapshotHandoff: hands AccountSnapshots from the strategy thread to ONE reader thread without a
// lock and without allocation, as a triple buffer (three preallocated snapshots):
//   - the writer (strategy thread) owns `back`, fills it, then swaps it with the shared middle slot
//     and marks it fresh;
//   - the reader owns `front`; when the middle slot is fresh it swaps `front` with it.
// Neither side ever touches a buffer the other owns, so there is nothing to retry (unlike a
// seqlock, whose reader copies bytes the writer may be changing: a data race in the C++ memory
// model that ThreadSanitizer reports), and a slow reader never holds the writer up.
//
// Thread contract: back() and publish() on the writer (strategy) thread only; take() on one reader
// thread only; request() from any thread, requested() and pending() on the writer. No allocation, no lock, no
// exception in any of them. Engine's internals (engine.hpp); not part of the API.

#include <atomic>
#include <cstdint>

#include "fillwire/account_snapshot.hpp"

namespace fillwire {

class SnapshotHandoff {
 public:
  SnapshotHandoff() = default;
  SnapshotHandoff(const SnapshotHandoff&) = delete;
  SnapshotHandoff& operator=(const SnapshotHandoff&) = delete;

  // Any thread: asks the writer for a fresh snapshot at its next event.
  void request() noexcept {
    // relaxed: a hint; the snapshot itself is handed over by publish() and take().
    requested_.store(true, std::memory_order_relaxed);
  }
  // Writer: true (once) when a snapshot was asked for since the last call.
  [[nodiscard]] bool requested() noexcept {
    // relaxed (both): the usual case is one plain load of a flag nobody is writing.
    if (!requested_.load(std::memory_order_relaxed)) return false;
    requested_.store(false, std::memory_order_relaxed);
    return true;
  }

  // Writer: true while a request waits, without taking it (a cheap poll while idle).
  [[nodiscard]] bool pending() const noexcept {
    return requested_.load(std::memory_order_relaxed);  // relaxed: as requested()
  }

  // Writer: the buffer to fill next (owned by the writer until publish()).
  [[nodiscard]] AccountSnapshot& back() noexcept { return buffers_[back_]; }
  // Writer: hands back() to the reader; the writer gets the previous middle buffer.
  void publish() noexcept {
    // acq_rel: release publishes the filled buffer to take(); acquire makes the reader's last
    // reads of the buffer we get back happen before we overwrite it.
    const std::uint32_t old = middle_.exchange(back_ | kFresh, std::memory_order_acq_rel);
    back_ = old & kIndex;
  }

  // Reader: the newest snapshot, or nullptr when none was published since the last take(). The
  // pointer stays valid (and unchanged) until this reader's next take().
  [[nodiscard]] const AccountSnapshot* take() noexcept {
    // relaxed: only a quick check; the exchange below carries the ordering.
    if ((middle_.load(std::memory_order_relaxed) & kFresh) == 0) return nullptr;
    // acq_rel: acquire pairs with the release in publish() (the buffer's contents); release
    // hands our old front buffer back to the writer.
    const std::uint32_t old = middle_.exchange(front_, std::memory_order_acq_rel);
    front_ = old & kIndex;
    return &buffers_[front_];
  }

 private:
  static constexpr std::uint32_t kFresh = 4;
  static constexpr std::uint32_t kIndex = 3;

  AccountSnapshot buffers_[3]{};
  std::uint32_t back_ = 0;   // writer only
  std::uint32_t front_ = 1;  // reader only
  alignas(64) std::atomic<std::uint32_t> middle_{2};
  alignas(64) std::atomic<bool> requested_{false};
};

}  // namespace fillwire
