// libFuzzer target: upbit-sim's reader of the client's WebSocket frames (RFC 6455 §5), over an
// arbitrary byte stream, as the server reads it: frame after frame until more bytes are needed.
//
// Invariants: never reads past the bytes given; a parsed frame consumes at least its header and
// at most what is left; a payload is never over the limit; control frames are final and short;
// framing the payload again (masked) and parsing that gives the same frame.

#include <cstddef>
#include <cstdint>
#include <string>

#include "invariant.hpp"
#include "ws_frame.hpp"

namespace {

using namespace fillwire::sim;

constexpr std::size_t kMaxPayload = 4096;

using fillwire::fuzz::check;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // An exact-size copy, so that AddressSanitizer sees any read past the end.
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  std::size_t pos = 0;
  while (pos < bytes.size()) {
    WsFrame frame;
    std::size_t used = 0;
    const WsParse r =
        parse_client_frame(bytes.data() + pos, bytes.size() - pos, kMaxPayload, frame, used);
    if (r != WsParse::frame) break;
    check(used >= 6 && used <= bytes.size() - pos, "consumed an impossible number of bytes");
    check(frame.payload.size() <= kMaxPayload, "payload over the limit");
    check(used == frame.payload.size() + 6 || used == frame.payload.size() + 8 ||
              used == frame.payload.size() + 14,
          "header and payload do not add up");
    const auto op = static_cast<std::uint8_t>(frame.opcode);
    if (op >= 0x8) check(frame.fin && frame.payload.size() <= 125, "bad control frame accepted");

    if (frame.fin) {
      std::string again;
      append_client_frame(again, frame.opcode, frame.payload, 0x5A17C3E1u);
      WsFrame back;
      std::size_t back_used = 0;
      check(parse_client_frame(again.data(), again.size(), kMaxPayload, back, back_used) ==
                    WsParse::frame &&
                back_used == again.size() && back.payload == frame.payload &&
                back.opcode == frame.opcode && back.fin,
            "a frame does not round-trip");
    }
    pos += used;
  }
  return 0;
}
