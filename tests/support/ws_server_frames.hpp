#pragma once
// Two readings of a byte stream of server WebSocket frames (server_frame.hpp builds them), for
// net::WsReader's unit tests and fuzz target:
//   reference_read  the whole stream at once, by plain code written from the RFC (std::string for
//                   each message, no buffer management);
//   read_in_pieces  the stream handed to a WsReader in pieces of the given sizes, as a socket would.
// A reader that is right gives the same events both ways, whatever the pieces.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "server_frame.hpp"
#include "ws_reader.hpp"

namespace fillwire::test {

struct WsEvent {
  enum Kind : std::uint8_t { message, control, bad, oversized };
  Kind kind = message;
  std::uint8_t opcode = 0;  // control frames
  std::string payload;
  bool operator==(const WsEvent&) const = default;
};

// The event that ends a reading: bad or oversized.
inline WsEvent ending(WsEvent::Kind kind) {
  WsEvent e;
  e.kind = kind;
  return e;
}

struct WsReading {
  std::vector<WsEvent> events;  // ends at the first bad or oversized
  bool partial = false;         // bytes of an unfinished frame or message were left
  bool operator==(const WsReading&) const = default;
};

inline WsReading reference_read(std::string_view bytes, std::size_t max_message) {
  WsReading out;
  std::size_t at = 0;
  std::string message;
  bool gathering = false;
  const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(bytes[at + i]); };
  for (;;) {
    const std::size_t left = bytes.size() - at;
    if (left < 2) break;
    const bool fin = (byte(0) & 0x80) != 0;
    const std::uint8_t opcode = byte(0) & 0x0F;
    const bool control = opcode >= 0x8;
    const bool known = opcode <= 0x2 || (opcode >= 0x8 && opcode <= 0xA);
    if ((byte(0) & 0x70) != 0 || (byte(1) & 0x80) != 0) {
      out.events.push_back(ending(WsEvent::bad));
      return out;
    }
    std::size_t head = 2;
    std::uint64_t length = byte(1) & 0x7F;
    if (length == 126) {
      head = 4;
    } else if (length == 127) {
      head = 10;
    }
    if (left < head) break;
    if (head > 2) {
      length = 0;
      for (std::size_t i = 2; i < head; ++i)
        length = length << 8 | byte(i);
    }
    if ((length >> 63) != 0 || !known || (control && (!fin || length > 125))) {
      out.events.push_back(ending(WsEvent::bad));
      return out;
    }
    if (length > max_message || (gathering && !control && message.size() + length > max_message)) {
      out.events.push_back(ending(WsEvent::oversized));
      return out;
    }
    if (left - head < length) break;
    const std::string_view payload = bytes.substr(at + head, static_cast<std::size_t>(length));
    at += head + static_cast<std::size_t>(length);
    if (control) {
      out.events.push_back({WsEvent::control, opcode, std::string(payload)});
      continue;
    }
    if ((opcode == 0x0) != gathering) {
      out.events.push_back(ending(WsEvent::bad));
      return out;
    }
    message += payload;
    gathering = !fin;
    if (fin) {
      out.events.push_back({WsEvent::message, 0, message});
      message.clear();
    }
  }
  out.partial = at != bytes.size() || gathering;
  return out;
}

// `capacity` as WsLink sizes it (2 * max_message + min_read) unless given. `pieces` are cycled;
// a 0 in them reads nothing that time. Calls check(condition, what) on the reader's invariants.
template <class Check>
WsReading read_in_pieces(std::string_view bytes, std::size_t max_message, std::size_t min_read,
                         std::span<const std::size_t> pieces, Check&& check) {
  net::WsReader reader(max_message, 2 * max_message + min_read);
  WsReading out;
  std::size_t at = 0;
  std::size_t turn = 0;
  std::size_t idle_reads = 0;
  for (;;) {
    const net::WsReader::Item item = reader.next();
    if (item.kind == net::WsReader::Kind::need_more) {
      if (at == bytes.size()) break;
      const std::span<char> room = reader.room(min_read);
      check(!room.empty(), "no room to read while every frame fits");
      if (room.empty()) break;
      const std::size_t want = pieces.empty() ? bytes.size() : pieces[turn++ % pieces.size()];
      const std::size_t n = std::min({want, room.size(), bytes.size() - at});
      std::copy_n(bytes.data() + at, n, room.data());
      reader.filled(n);
      at += n;
      idle_reads = n == 0 ? idle_reads + 1 : 0;
      if (idle_reads > pieces.size()) break;  // pieces of 0 only: nothing can be read
      continue;
    }
    if (item.kind == net::WsReader::Kind::bad) {
      out.events.push_back(ending(WsEvent::bad));
      return out;
    }
    if (item.kind == net::WsReader::Kind::oversized) {
      out.events.push_back(ending(WsEvent::oversized));
      return out;
    }
    const char* const first = reader.buffer();
    check(item.data >= first && item.data + item.size <= first + reader.capacity(),
          "a payload outside the buffer");
    check(item.size <= max_message, "a payload over the limit");
    if (item.kind == net::WsReader::Kind::control) {
      check(item.size <= 125, "a long control frame");
      out.events.push_back({WsEvent::control, item.opcode, std::string(item.data, item.size)});
    } else {
      out.events.push_back({WsEvent::message, 0, std::string(item.data, item.size)});
    }
  }
  out.partial = reader.partial();
  return out;
}

}  // namespace fillwire::test
