#pragma once
// Replay sources (source.hpp): ReplaySource replays frames held in memory through a Decoder
// straight into ring slots; FileReplaySource replays a file (JSON Lines or a journal) as it reads
// it, a journal's resync events (JournalKind::resync_event) copied into slots as they were live.
//
// Thread contract: a source belongs to the thread that polls it (the producer thread of a
// Pipeline). Its counters may be read by that thread, or by any thread after the producer thread
// was joined.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "fillwire/clock.hpp"
#include "fillwire/decoder.hpp"
#include "fillwire/detail/frame_reader.hpp"
#include "fillwire/order_event.hpp"
#include "fillwire/source.hpp"

namespace fillwire {

// Reads the frames of a file into memory (JSON Lines, blank lines skipped, or a journal's frame and
// resync records) for ReplaySource: small files, tests and benchmarks; tools stream with
// FileReplaySource. Cold path: throws std::runtime_error naming the file when it cannot be read,
// when a frame is over max_frame_bytes, at a damaged journal record, or at a resync_event record
// (an event, not a frame: FileReplaySource replays it).
[[nodiscard]] std::vector<std::string> read_frame_lines(
    const std::string& path, std::size_t max_frame_bytes = Decoder::kDefaultMaxFrame);

// Every counter of a replay, once: name and meaning.
#define FILLWIRE_REPLAY_COUNTERS(X)                                                   \
  X(frames, "frames decoded")                                                         \
  X(events, "events published")                                                       \
  X(failed_frames, "frames with a decode error (their good events still count)")      \
  X(oversized, "frames over the frame limit, refused undecoded (files only)")         \
  X(damaged,                                                                          \
    "damaged journal records skipped or stopped at (files only); resync events this " \
    "build cannot take included")                                                     \
  X(event_records, "journaled resync events published as they were (in events)")

struct ReplayCounters {
#define FILLWIRE_REPLAY_COUNTER_FIELD(name, doc) std::uint64_t name = 0;
  FILLWIRE_REPLAY_COUNTERS(FILLWIRE_REPLAY_COUNTER_FIELD)
#undef FILLWIRE_REPLAY_COUNTER_FIELD
};

namespace detail {
// Both replay sources: decodes one frame into `sink`, each event stamped with now_ticks() taken
// before the decode, and counts it. Producer thread; no allocation.
template <class Sink>
void replay_frame(Decoder& decoder, const char* data, std::size_t size, Sink& sink,
                  ReplayCounters& counters) noexcept {
  StampingSink<Sink> stamped(sink, now_ticks());
  const FrameResult r = decoder.decode(data, size, EventSink(stamped));
  ++counters.frames;
  counters.events += r.events;
  if (!r.error.ok()) ++counters.failed_frames;
}
}  // namespace detail

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
    detail::replay_frame(decoder_, buffer_.data() + f.offset, f.size, sink, counters_);
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
  ReplayCounters counters_;
};

// Replays a file as it reads it (FrameReader): memory stays bounded by the frame limit whatever
// the file's size. A frame over config.max_frame_bytes is counted as `oversized` and reported, as
// the live client refuses it; a damaged journal record, or a resync event this build cannot take
// (another OrderEvent layout, a bad value), ends the replay (stopped()) unless
// config.skip_damaged. Each such event is told to `notice` ("line 3: ...", on the producer
// thread). A journaled resync event is copied into its slot as the live client published it (so a
// cut identifier keeps its flag and hash), with this replay's sequence number and receive stamp.
// Unlike ReplaySource, poll() reads the file (system calls) on the producer thread: for offline
// tools, never a live hot path.
class FileReplaySource {
 public:
  using NoticeFn = std::function<void(std::string_view)>;

  // Opens the file (throws as FrameReader does) and builds the decoder for the frame limit.
  explicit FileReplaySource(const std::string& path, FrameReaderConfig config = {},
                            NoticeFn notice = {});

  // Producer thread only. Reads the next item of the file; a frame is decoded into `sink` with
  // the next sequence number and now_ticks(), as ReplaySource does; a resync event is copied into
  // one slot, stamped the same way.
  template <class Sink>
  SourceStatus poll(Sink& sink) noexcept {
    const FrameItem item = next_item();
    if (item.kind == FrameItemKind::end) return SourceStatus::done;
    if (item.kind == FrameItemKind::event) {
      StampingSink<Sink> stamped(sink, now_ticks());
      copy_wire_fields(stamped.claim(), *item.event);  // validated by read_journal_event
      stamped.publish();
      ++counters_.event_records;
      ++counters_.events;
      return SourceStatus::produced;
    }
    if (item.kind != FrameItemKind::frame) return SourceStatus::produced;  // counted, reported
    detail::replay_frame(decoder_, item.data, item.size, sink, counters_);
    return SourceStatus::produced;
  }

  // Producer thread, or any thread after it was joined.
  [[nodiscard]] const ReplayCounters& counters() const noexcept { return counters_; }
  [[nodiscard]] const DecoderStats& decoder_stats() const noexcept { return decoder_.stats(); }
  [[nodiscard]] const FrameReader& reader() const noexcept { return reader_; }
  // The replay ended before the end of the file (see FrameReader::stopped); error() says why.
  [[nodiscard]] bool stopped() const noexcept { return stopped_ || reader_.stopped(); }
  [[nodiscard]] const std::string& error() const noexcept {
    return error_.empty() ? reader_.error() : error_;
  }

 private:
  FrameItem next_item() noexcept;
  void tell(const std::string& text) noexcept;

  FrameReader reader_;
  Decoder decoder_;
  NoticeFn notice_;
  ReplayCounters counters_;
  bool stopped_ = false;
  std::string error_;
};

}  // namespace fillwire
