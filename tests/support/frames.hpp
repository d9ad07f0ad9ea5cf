#pragma once
// Test helpers: padded frame buffers and the shared sample files.

#include <fstream>
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
