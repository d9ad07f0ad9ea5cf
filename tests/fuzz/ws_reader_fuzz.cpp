// libFuzzer target: the client's reader of server WebSocket frames (engine/src/net/ws_reader.hpp)
// over an arbitrary byte stream, handed over in arbitrary pieces as a socket would.
//
// Input: byte 0 sets the message bound (1 to 1021 bytes), bytes 1-4 the sizes of the pieces the
// stream is read in (cycled; 0 reads nothing that time), the rest is the stream.
//
// Invariants: the reader gives the same messages, control frames and verdict (bad, oversized, or
// bytes left partial) as plain reference code reading the whole stream at once
// (tests/support/ws_server_frames.hpp), in those pieces and all at once; every payload lies inside
// the buffer and within the bound; there is always room to read while every frame fits.

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "invariant.hpp"
#include "ws_server_frames.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using fillwire::fuzz::check;
  if (size < 5) return 0;
  const std::size_t max_message = 1 + std::size_t{data[0]} * 4;
  const std::array<std::size_t, 4> pieces = {data[1], data[2], data[3], data[4]};
  const std::string_view stream(reinterpret_cast<const char*>(data) + 5, size - 5);
  constexpr std::size_t kMinRead = 16;

  const fillwire::test::WsReading expected = fillwire::test::reference_read(stream, max_message);
  const auto in_pieces =
      fillwire::test::read_in_pieces(stream, max_message, kMinRead, pieces, check);
  const bool only_zeros = pieces == std::array<std::size_t, 4>{};
  if (!only_zeros) check(in_pieces == expected, "read in pieces, not as the reference reads it");
  const auto at_once = fillwire::test::read_in_pieces(stream, max_message, kMinRead, {}, check);
  check(at_once == expected, "read at once, not as the reference reads it");
  return 0;
}
