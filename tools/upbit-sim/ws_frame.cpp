#include "ws_frame.hpp"

namespace fillwire::sim {
namespace {

void append_length(std::string& out, std::uint8_t first, std::uint8_t mask_bit, std::size_t size) {
  out += static_cast<char>(first);
  if (size < 126) {
    out += static_cast<char>(mask_bit | size);
  } else if (size <= 0xFFFF) {
    out += static_cast<char>(mask_bit | 126);
    out += static_cast<char>((size >> 8) & 0xFF);
    out += static_cast<char>(size & 0xFF);
  } else {
    out += static_cast<char>(mask_bit | 127);
    for (int i = 7; i >= 0; --i)
      out += static_cast<char>((static_cast<std::uint64_t>(size) >> (8 * i)) & 0xFF);
  }
}

bool known(std::uint8_t op) {
  return op == 0x0 || op == 0x1 || op == 0x2 || op == 0x8 || op == 0x9 || op == 0xA;
}

}  // namespace

void append_frame_header(std::string& out, WsOpcode op, std::size_t size) {
  append_length(out, static_cast<std::uint8_t>(0x80 | static_cast<std::uint8_t>(op)), 0, size);
}

void append_frame(std::string& out, WsOpcode op, const char* payload, std::size_t size) {
  append_frame_header(out, op, size);
  out.append(payload, size);
}

WsParse parse_client_frame(const char* data, std::size_t size, std::size_t max_payload,
                           WsFrame& out, std::size_t& consumed) {
  if (size < 2) return WsParse::need_more;
  const auto b0 = static_cast<std::uint8_t>(data[0]);
  const auto b1 = static_cast<std::uint8_t>(data[1]);
  if ((b0 & 0x70) != 0) return WsParse::protocol_error;  // RSV bits: no extension negotiated
  const auto op = static_cast<std::uint8_t>(b0 & 0x0F);
  if (!known(op)) return WsParse::protocol_error;
  const bool fin = (b0 & 0x80) != 0;
  if ((b1 & 0x80) == 0) return WsParse::not_masked;
  std::uint64_t len = b1 & 0x7F;
  std::size_t pos = 2;
  if (len == 126) {
    if (size < 4) return WsParse::need_more;
    len = static_cast<std::uint64_t>(static_cast<std::uint8_t>(data[2])) << 8 |
          static_cast<std::uint8_t>(data[3]);
    pos = 4;
  } else if (len == 127) {
    if (size < 10) return WsParse::need_more;
    len = 0;
    for (int i = 0; i < 8; ++i)
      len = len << 8 | static_cast<std::uint8_t>(data[2 + i]);
    pos = 10;
  }
  if (op >= 0x8 && (len > 125 || !fin)) return WsParse::protocol_error;
  if (len > max_payload) return WsParse::too_big;
  if (size < pos + 4) return WsParse::need_more;
  const char* mask = data + pos;
  pos += 4;
  if (size - pos < len) return WsParse::need_more;
  out.opcode = static_cast<WsOpcode>(op);
  out.fin = fin;
  out.payload.assign(data + pos, static_cast<std::size_t>(len));
  for (std::size_t i = 0; i < out.payload.size(); ++i)
    out.payload[i] = static_cast<char>(out.payload[i] ^ mask[i & 3]);
  consumed = pos + static_cast<std::size_t>(len);
  return WsParse::frame;
}

void append_client_frame(std::string& out, WsOpcode op, const std::string& payload,
                         std::uint32_t mask_key) {
  append_length(out, static_cast<std::uint8_t>(0x80 | static_cast<std::uint8_t>(op)), 0x80,
                payload.size());
  char mask[4];
  for (int i = 0; i < 4; ++i)
    mask[i] = static_cast<char>((mask_key >> (8 * i)) & 0xFF);
  out.append(mask, 4);
  for (std::size_t i = 0; i < payload.size(); ++i)
    out += static_cast<char>(payload[i] ^ mask[i & 3]);
}

}  // namespace fillwire::sim
