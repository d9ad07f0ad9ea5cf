// ReplaySource: frames copied once into one padded buffer; read_frame_lines for frame files.

#include "fillwire/replay_source.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <stdexcept>

namespace fillwire {

std::vector<std::string> read_frame_lines(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw std::runtime_error("cannot open frames file '" + path + "': " + std::strerror(errno));
  }
  std::vector<std::string> frames;
  for (std::string line; std::getline(in, line);) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.find_first_not_of(" \t") == std::string::npos) continue;
    frames.push_back(std::move(line));
  }
  if (in.bad()) throw std::runtime_error("error reading frames file '" + path + "'");
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

}  // namespace fillwire
