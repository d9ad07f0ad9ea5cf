#pragma once
// FrameHold: the frames read while a resync runs, raw and in order, each with its receive time,
// published once the resync's events are out. One block allocated and touched (zeroed) at start:
// no page fault while frames are held, and no growth of the resident set at the first long
// resync. Each frame keeps the decoder's padding after it, so it is decoded where it lies.
//
//   [HeldFrame][bytes][kFramePadding, rounded up to 8] [HeldFrame][bytes]...
//
// Thread contract: the network thread only. No allocation after construction.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>

#include "fillwire/decoder.hpp"

namespace fillwire::net {

class FrameHold {
 public:
  // Room for `bytes`, and never less than one frame of `max_frame_bytes`; none when unused.
  FrameHold(std::size_t bytes, std::size_t max_frame_bytes, bool used)
      : frame_room_(sizeof(HeldFrame) + padded(max_frame_bytes)),
        capacity_(used ? std::max(bytes, frame_room_) : 0),
        block_(used ? new char[capacity_]() : nullptr) {}

  // True when one more frame of the largest size may not fit: reading should pause.
  [[nodiscard]] bool full() const noexcept { return capacity_ - used_ < frame_room_; }
  [[nodiscard]] bool empty() const noexcept { return used_ == 0; }

  // Precondition: !full() and size <= max_frame_bytes.
  void hold(std::uint64_t recv_ts, const char* data, std::size_t size) noexcept {
    const HeldFrame h{recv_ts, size};
    char* at = block_.get() + used_;
    std::memcpy(at, &h, sizeof h);
    std::memcpy(at + sizeof h, data, size);
    std::memset(at + sizeof h + size, 0, kFramePadding);
    used_ += sizeof h + padded(size);
  }

  // Calls f(recv_ts, data, size) for every held frame in the order they came, then empties.
  template <class F>
  void release(F&& f) {
    for (std::size_t at = 0; at < used_;) {
      HeldFrame h{};
      std::memcpy(&h, block_.get() + at, sizeof h);
      f(h.recv_ts, block_.get() + at + sizeof h, static_cast<std::size_t>(h.size));
      at += sizeof h + padded(h.size);
    }
    used_ = 0;
  }

 private:
  struct HeldFrame {
    std::uint64_t recv_ts;
    std::uint64_t size;
  };
  static constexpr std::size_t padded(std::size_t size) noexcept {
    return (size + kFramePadding + 7) / 8 * 8;
  }

  std::size_t frame_room_;
  std::size_t capacity_;
  std::unique_ptr<char[]> block_;
  std::size_t used_ = 0;
};

}  // namespace fillwire::net
