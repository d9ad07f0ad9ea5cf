#pragma once
// Sources: the producer side of the pipeline. A Source is polled in a loop on the network thread;
// each poll() hands at most one frame's events to a sink (claim -> fill in place -> publish) and
// says whether more may come. LiveSource (live_source.hpp) reads the exchange's WebSocket;
// ReplaySource and FileReplaySource (replay_source.hpp) replay frames from memory or a file.
//
// Thread contract: a source belongs to the thread that polls it (the producer thread of a
// Pipeline). StampingSink is used on that thread only.

#include <concepts>
#include <cstdint>

#include "fillwire/order_event.hpp"

namespace fillwire {

enum class SourceStatus : std::uint8_t {
  produced,  // a frame was handled (it may have yielded zero, one or several events)
  idle,      // nothing to do now; poll again
  done,      // exhausted: the producer loop ends
};

// A producer-side source for a sink of type Sink (an OrderRing): `poll(sink)` is noexcept.
template <class S, class Sink>
concept Source = requires(S& source, Sink& sink) {
  { source.poll(sink) }
  noexcept->std::same_as<SourceStatus>;
};

// Wraps a sink so that every event of one frame carries the frame's receive stamp. The decoder
// leaves `recv_ts` alone, so stamping at claim is safe even when the claim is not published (the
// next claim stamps the same slot again). `seq` is the ring's own.
template <class Sink>
class StampingSink {
 public:
  StampingSink(Sink& sink, std::uint64_t recv_ts) noexcept : sink_(&sink), recv_ts_(recv_ts) {}

  OrderEvent& claim() noexcept {
    OrderEvent& slot = sink_->claim();
    slot.recv_ts = recv_ts_;
    return slot;
  }
  void publish() noexcept { sink_->publish(); }

 private:
  Sink* sink_;
  std::uint64_t recv_ts_;
};

}  // namespace fillwire
