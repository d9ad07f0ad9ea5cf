#pragma once
// WebSocket framing (RFC 6455 §5) for the server side: writing unmasked frames into a byte buffer,
// and reading the client's masked frames out of one. The server writes frames itself so that many
// events go out in one socket write (the simulator's throughput depends on it); the HTTP upgrade
// itself goes through Beast's parser. No extensions (permessage-deflate is declined).
// Pure functions; any thread.

#include <cstddef>
#include <cstdint>
#include <string>

namespace fillwire::sim {

enum class WsOpcode : std::uint8_t {
  continuation = 0x0,
  text = 0x1,
  binary = 0x2,
  close = 0x8,
  ping = 0x9,
  pong = 0xA,
};

// Appends one final, unmasked frame (header + payload) to `out`.
void append_frame(std::string& out, WsOpcode op, const char* payload, std::size_t size);
inline void append_frame(std::string& out, WsOpcode op, const std::string& payload) {
  append_frame(out, op, payload.data(), payload.size());
}
// Appends just the header of a frame whose `size` payload bytes the caller appends next.
void append_frame_header(std::string& out, WsOpcode op, std::size_t size);

struct WsFrame {
  WsOpcode opcode = WsOpcode::text;
  bool fin = true;
  std::string payload;  // unmasked
};

enum class WsParse : std::uint8_t {
  need_more,       // incomplete frame: read more bytes
  frame,           // one frame parsed; `consumed` bytes used
  protocol_error,  // reserved bits, unknown opcode, bad control frame
  not_masked,      // client frames must be masked (RFC 6455 §5.1)
  too_big,         // payload over the limit
};

// Parses one client frame from [data, data+size).
WsParse parse_client_frame(const char* data, std::size_t size, std::size_t max_payload,
                           WsFrame& out, std::size_t& consumed);

// Appends one masked frame, as a client sends it (tests).
void append_client_frame(std::string& out, WsOpcode op, const std::string& payload,
                         std::uint32_t mask_key);

}  // namespace fillwire::sim
