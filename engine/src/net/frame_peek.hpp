#pragma once
// FramePeek: a frame's events decoded aside, with a decoder of its own, so the stream's decoder and
// its statistics are left alone (the frame is decoded again when it is published). Used while a
// resync runs, for the exchange times and orders the held frames carry.
//
// Thread contract: the network thread only. Cold: the event list grows once to the most events a
// frame of max_frame_bytes can hold (a myAsset currency is the shortest: {"cu":"A","b":0,"l":0}),
// then is reused.

#include <algorithm>
#include <cstddef>
#include <vector>

#include "fillwire/decoder.hpp"
#include "fillwire/order_event.hpp"

namespace fillwire::net {

class FramePeek {
 public:
  explicit FramePeek(std::size_t max_frame_bytes)
      : decoder_(max_frame_bytes), max_frame_bytes_(max_frame_bytes) {}

  // The events of the frame at `data` (padded, as the decoder needs), valid until the next call.
  const std::vector<OrderEvent>& operator()(const char* data, std::size_t size) {
    events_.clear();
    events_.reserve(max_frame_bytes_ / 16 + 1);  // no event in a frame is shorter than 16 bytes
    struct Aside {
      std::vector<OrderEvent>* v;
      std::size_t published = 0;
      OrderEvent& claim() noexcept {
        // A claim not published (a bad element) is reused, like a ring slot.
        if (v->size() == published && v->size() < v->capacity()) v->emplace_back();
        return (*v)[std::min(published, v->size() - 1)];
      }
      void publish() noexcept { published = std::min(published + 1, v->size()); }
    } aside{&events_};
    (void)decoder_.decode(data, size, EventSink{aside});
    events_.resize(aside.published);
    return events_;
  }

 private:
  Decoder decoder_;
  std::size_t max_frame_bytes_;
  std::vector<OrderEvent> events_;
};

}  // namespace fillwire::net
