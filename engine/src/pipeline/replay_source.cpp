// ReplaySource: frames copied once into one padded buffer; read_frame_lines for frame files;
// FileReplaySource: a file replayed as it is read.

#include "fillwire/replay_source.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace fillwire {

std::vector<std::string> read_frame_lines(const std::string& path, std::size_t max_frame_bytes) {
  FrameReader reader(path, FrameReaderConfig{max_frame_bytes, false});
  std::vector<std::string> frames;
  for (FrameItem item = reader.next(); item.kind != FrameItemKind::end; item = reader.next()) {
    if (item.kind == FrameItemKind::frame) frames.emplace_back(item.data, item.size);
    if (item.kind == FrameItemKind::event) {
      throw std::runtime_error("frames file '" + path + "', " + reader.where(item) +
                               ": a resync event, not a frame: replay the journal with "
                               "FileReplaySource (fillwire replay)");
    }
    if (item.kind == FrameItemKind::oversized) {
      throw std::runtime_error("frames file '" + path + "', " + reader.where(item) + ": " +
                               std::to_string(item.length) + " bytes, over the frame limit (" +
                               std::to_string(max_frame_bytes) + " bytes)");
    }
  }
  if (reader.stopped()) throw std::runtime_error("frames file '" + path + "': " + reader.error());
  return frames;
}

std::size_t ReplaySource::longest(const std::vector<std::string>& frames) noexcept {
  std::size_t n = 0;
  for (const auto& f : frames)
    n = std::max(n, f.size());
  return n;
}

ReplaySource::ReplaySource(const std::vector<std::string>& frames, std::uint64_t repeat)
    : decoder_(std::max(longest(frames), Decoder::kDefaultMaxFrame)),
      repeat_(frames.empty() ? 0 : repeat) {
  std::size_t total = 0;
  for (const auto& f : frames)
    total += f.size() + kFramePadding;
  buffer_.reserve(total);
  frames_.reserve(frames.size());
  for (const auto& f : frames) {
    frames_.push_back({buffer_.size(), f.size()});
    buffer_.append(f);
    buffer_.append(kFramePadding, ' ');
  }
}

FileReplaySource::FileReplaySource(const std::string& path, FrameReaderConfig config,
                                   NoticeFn notice)
    : reader_(path, config), decoder_(config.max_frame_bytes), notice_(std::move(notice)) {}

void FileReplaySource::tell(const std::string& text) noexcept {
  if (!notice_) return;
  try {
    notice_(text);
  } catch (...) {
    // Reporting is best effort; the event is counted either way.
  }
}

FrameItem FileReplaySource::next_item() noexcept {
  if (stopped_) return FrameItem{};
  try {
    FrameItem item = reader_.next();
    counters_.damaged = reader_.damaged();
    if (item.kind == FrameItemKind::oversized) {
      ++counters_.oversized;
      tell(reader_.where(item) + ": frame of " + std::to_string(item.length) +
           " bytes, over the frame limit (" + std::to_string(decoder_.max_frame_bytes()) +
           " bytes): refused, as the live client would");
    } else if (item.kind == FrameItemKind::damaged) {
      tell(reader_.error() + ": skipped");
    }
    return item;
  } catch (const std::exception& e) {
    error_ = e.what();
  } catch (...) {
    error_ = "unknown error while reading";
  }
  stopped_ = true;
  return FrameItem{};
}

}  // namespace fillwire
