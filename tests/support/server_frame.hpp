#pragma once
// A WebSocket frame as a server writes it (RFC 6455 section 5.2), built by hand in any shape a
// test needs, lawful or not: a fragment, a chosen length encoding, reserved bits, a mask. For the
// client's reader (unit/ws_reader_test.cpp, fuzz/ws_reader_fuzz.cpp) and for a misbehaving peer
// (integration/misbehaving_test.cpp). upbit-sim's own framing (tools/upbit-sim/ws_frame.hpp)
// writes only lawful frames.

#include <cstdint>
#include <string>
#include <string_view>

namespace fillwire::test {

struct FrameShape {
  bool fin = true;
  int length_bytes = 0;       // 0: the shortest encoding; 2 or 8 force the 16- or 64-bit one
  std::uint8_t reserved = 0;  // RSV bits to set in the first byte (0x40, 0x20, 0x10)
  bool masked = false;        // mask bit and a zero key (the payload reads the same)
};

inline std::string server_frame(std::uint8_t opcode, std::string_view payload,
                                FrameShape shape = {}) {
  std::string out;
  out += static_cast<char>((shape.fin ? 0x80 : 0x00) | shape.reserved | (opcode & 0x0F));
  const std::uint64_t n = payload.size();
  const int length_bytes = shape.length_bytes != 0 ? shape.length_bytes
                           : n < 126               ? 1
                           : n <= 0xFFFF           ? 2
                                                   : 8;
  const int mask_bit = shape.masked ? 0x80 : 0x00;
  if (length_bytes == 1) {
    out += static_cast<char>(mask_bit | static_cast<int>(n));
  } else {
    out += static_cast<char>(mask_bit | (length_bytes == 2 ? 126 : 127));
    for (int i = length_bytes - 1; i >= 0; --i)
      out += static_cast<char>((n >> (8 * i)) & 0xFF);
  }
  if (shape.masked) out += std::string(4, '\0');
  out += payload;
  return out;
}

}  // namespace fillwire::test
