#pragma once
// Test helpers: padded frame buffers and the shared sample files.

#include <cstddef>
#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "fillwire/control_event.hpp"
#include "fillwire/decoder.hpp"

namespace fillwire::test {

// A frame in a buffer with the read-ahead padding the decoder requires.
class PaddedFrame {
 public:
  explicit PaddedFrame(std::string_view json) : size_(json.size()) {
    buf_.assign(json);
    buf_.resize(json.size() + kFramePadding, '\0');
  }
  [[nodiscard]] const char* data() const noexcept { return buf_.data(); }
  [[nodiscard]] std::size_t size() const noexcept { return size_; }

 private:
  std::string buf_;
  std::size_t size_;
};

inline std::string read_file(const std::string& name) {
  std::ifstream in(std::string(FILLWIRE_TEST_DATA) + "/" + name, std::ios::binary);
  if (!in) throw std::runtime_error("cannot open test data file " + name);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

inline std::vector<std::string> read_lines(const std::string& name) {
  std::istringstream in(read_file(name));
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) lines.push_back(line);
  }
  return lines;
}

// `seed` with one random edit that keeps it JSON-ish (a byte replaced by a JSON token character,
// 1-3 bytes erased, one inserted) or a byte replaced by any value. May be empty.
inline std::string mutated(std::string s, std::mt19937& rng) {
  constexpr std::string_view kJsonish = "{}[]\",:0123456789-+.eEntfuxl \\\n";
  if (s.empty()) return s;
  const std::size_t pos = rng() % s.size();
  switch (rng() % 4) {
    case 0:
      s[pos] = kJsonish[rng() % kJsonish.size()];
      break;
    case 1:
      s.erase(pos, 1 + rng() % 3);
      break;
    case 2:
      s.insert(pos, 1, kJsonish[rng() % kJsonish.size()]);
      break;
    default:
      s[pos] = static_cast<char>(rng());
      break;
  }
  return s;
}

// Calls fn(frame) with each seed and `per_seed` non-empty mutations of it (mutated(), from a
// generator seeded with `rng_seed`).
template <class Fn>
void for_seeds_and_mutations(const std::vector<std::string>& seeds, unsigned rng_seed, int per_seed,
                             Fn&& fn) {
  std::mt19937 rng(rng_seed);
  for (const std::string& seed : seeds) {
    fn(seed);
    for (int i = 0; i < per_seed; ++i) {
      const std::string s = mutated(seed, rng);
      if (!s.empty()) fn(s);
    }
  }
}

// Decodes one object frame into `out` and returns the result.
inline FrameResult decode_one(Decoder& d, std::string_view json, OrderEvent& out) {
  PaddedFrame f(json);
  return d.decode(f.data(), f.size(), out);
}

// The events of a sample file's frames that decode (the others are left out), then a `connected`
// control event: the stream an engine consumer sees after the first connect.
inline std::vector<OrderEvent> decoded_then_connected(const std::string& name) {
  std::vector<OrderEvent> events;
  Decoder decoder;
  for (const std::string& line : read_lines(name)) {
    OrderEvent e{};
    if (decode_one(decoder, line, e).error.ok()) events.push_back(e);
  }
  OrderEvent control{};
  make_control(control, ControlCode::connected, 1, "test");
  events.push_back(control);
  return events;
}

}  // namespace fillwire::test
