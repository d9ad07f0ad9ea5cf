#pragma once
// Sources: the producer side of the pipeline. A Source is polled in a loop on the network thread;
// each poll() hands at most one frame's events to a sink (claim -> fill in place -> publish) and
// says whether more may come. ReplaySource replays frames held in memory, or read from a file with
// one JSON frame per line, through a Decoder straight into ring slots. (The live WebSocket source
// comes later and satisfies the same concept.)
//
// Thread contract: a source belongs to the thread that polls it (the producer thread of a
// Pipeline). Its counters may be read by that thread, or by any thread after the producer thread
// was joined.

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "fillwire/clock.hpp"
#include "fillwire/decoder.hpp"
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

// Wraps a sink so that every event of one frame carries the next sequence number and the frame's
// receive stamp. The decoder leaves `seq` and `recv_ts` alone, so stamping at claim is safe even
// when the claim is not published (the next claim stamps the same slot again).
template <class Sink>
class StampingSink {
 public:
  StampingSink(Sink& sink, std::uint64_t& next_seq, std::uint64_t recv_ts) noexcept
      : sink_(&sink), next_seq_(&next_seq), recv_ts_(recv_ts) {}

  OrderEvent& claim() noexcept {
    OrderEvent& slot = sink_->claim();
    slot.seq = *next_seq_;
    slot.recv_ts = recv_ts_;
    return slot;
  }
  void publish() noexcept {
    ++*next_seq_;
    sink_->publish();
  }

 private:
  Sink* sink_;
  std::uint64_t* next_seq_;
  std::uint64_t recv_ts_;
};

// Reads a file of frames, one per line; blank lines are skipped. Cold path: throws
// std::runtime_error naming the file when it cannot be read.
[[nodiscard]] std::vector<std::string> read_frame_lines(const std::string& path);

struct ReplayCounters {
  std::uint64_t frames = 0;         // frames decoded
  std::uint64_t events = 0;         // events published
  std::uint64_t failed_frames = 0;  // frames with a decode error (their good events still count)
};

class ReplaySource {
 public:
  // Copies the frames once into one buffer with the decoder's read-ahead padding after each, and
  // builds the decoder for the longest of them. Replays them `repeat` times in order. Cold path.
  explicit ReplaySource(const std::vector<std::string>& frames, std::uint64_t repeat = 1);

  // Frames from a file, one per line (see read_frame_lines). Cold path; throws naming the file.
  [[nodiscard]] static ReplaySource from_file(const std::string& path, std::uint64_t repeat = 1) {
    return ReplaySource(read_frame_lines(path), repeat);  // guaranteed elision: no move needed
  }

  ReplaySource(const ReplaySource&) = delete;
  ReplaySource& operator=(const ReplaySource&) = delete;

  // Producer thread only. Decodes the next frame into `sink`, stamping each event with the next
  // sequence number (from 0) and now_ticks() taken before the decode. No allocation.
  template <class Sink>
  SourceStatus poll(Sink& sink) noexcept {
    if (round_ >= repeat_) return SourceStatus::done;
    const Frame& f = frames_[next_];
    if (++next_ == frames_.size()) {
      next_ = 0;
      ++round_;
    }
    StampingSink<Sink> stamped(sink, next_seq_, now_ticks());
    const FrameResult r = decoder_.decode(buffer_.data() + f.offset, f.size, EventSink(stamped));
    ++counters_.frames;
    counters_.events += r.events;
    if (!r.error.ok()) ++counters_.failed_frames;
    return SourceStatus::produced;
  }

  // Producer thread, or any thread after it was joined.
  [[nodiscard]] const ReplayCounters& counters() const noexcept { return counters_; }
  [[nodiscard]] const DecoderStats& decoder_stats() const noexcept { return decoder_.stats(); }
  [[nodiscard]] std::size_t frame_count() const noexcept { return frames_.size(); }

 private:
  struct Frame {
    std::size_t offset;
    std::size_t size;
  };

  static std::size_t longest(const std::vector<std::string>& frames) noexcept;

  std::string buffer_;
  std::vector<Frame> frames_;
  Decoder decoder_;
  std::uint64_t repeat_;
  std::uint64_t round_ = 0;
  std::size_t next_ = 0;
  std::uint64_t next_seq_ = 0;
  ReplayCounters counters_;
};

}  // namespace fillwire
