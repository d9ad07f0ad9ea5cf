// net::WsReader (engine/src/net/ws_reader.hpp): the client's reading of server frames out of one
// buffer. The same stream read at once by plain reference code and handed to the reader in pieces
// of every size must give the same messages, control frames and verdict; the buffer's compaction
// and bounds are exercised by small capacities. (Over a socket, with a misbehaving server:
// tests/integration/misbehaving_test.cpp; arbitrary bytes: tests/fuzz/ws_reader_fuzz.cpp.)

#include <gtest/gtest.h>

#include <cstddef>
#include <string>
#include <vector>

#include "ws_reader.hpp"
#include "ws_server_frames.hpp"

namespace fillwire::test {
namespace {

constexpr std::size_t kMax = 300;
constexpr std::size_t kMinRead = 32;

void expect_same_in_every_piece_size(const std::string& stream, const WsReading& expected) {
  const auto fail_on = [](bool ok, const char* what) { EXPECT_TRUE(ok) << what; };
  ASSERT_EQ(reference_read(stream, kMax), expected);
  for (std::size_t piece = 1; piece <= stream.size() + 1;
       piece = piece < 16 ? piece + 1 : piece * 2) {
    const std::size_t sizes[] = {piece};
    EXPECT_EQ(read_in_pieces(stream, kMax, kMinRead, sizes, fail_on), expected)
        << "pieces of " << piece;
  }
  const std::size_t uneven[] = {1, 0, 7, 130, 2, 61, 0, 300};
  EXPECT_EQ(read_in_pieces(stream, kMax, kMinRead, uneven, fail_on), expected);
}

WsEvent message(std::string text) {
  return {WsEvent::message, 0, std::move(text)};
}
WsEvent control(std::uint8_t opcode, std::string payload) {
  return {WsEvent::control, opcode, std::move(payload)};
}

TEST(WsReader, MessagesFragmentsAndControlFramesComeOutTheSameInPiecesOfAnySize) {
  const std::string a(200, 'a');
  const std::string b(120, 'b');
  std::string stream = server_frame(net::kText, "{\"type\":\"myOrder\"}");
  stream +=
      server_frame(net::kText, a, {.length_bytes = 8});  // a 64-bit length for a short payload
  stream += server_frame(net::kText, "fr", {.fin = false});
  stream += server_frame(net::kPing, "p1");
  stream += server_frame(net::kContinuation, "ag", {.fin = false});
  stream += server_frame(net::kPong, "");
  stream += server_frame(net::kContinuation, b, {.length_bytes = 2});
  stream += server_frame(net::kBinary, "");
  // Enough to wrap the buffer many times, with messages in three fragments and a ping between.
  const auto text = [](int i) { return std::string(static_cast<std::size_t>(30 + i * 6), 'x'); };
  for (int i = 0; i < 40; ++i) {
    if (i % 2 == 0) {
      stream += server_frame(net::kText, text(i));
      continue;
    }
    const std::string t = text(i);
    stream += server_frame(net::kText, t.substr(0, 5), {.fin = false});
    stream += server_frame(net::kContinuation, t.substr(5, 20), {.fin = false});
    stream += server_frame(net::kPing, "between");
    stream += server_frame(net::kContinuation, t.substr(25));
  }
  stream += server_frame(net::kClose, "\x03\xe8");
  WsReading expected;
  expected.events = {
      message("{\"type\":\"myOrder\"}"), message(a),          control(net::kPing, "p1"),
      control(net::kPong, ""),           message("frag" + b), message("")};
  for (int i = 0; i < 40; ++i) {
    if (i % 2 == 1) expected.events.push_back(control(net::kPing, "between"));
    expected.events.push_back(message(text(i)));
  }
  expected.events.push_back(control(net::kClose, "\x03\xe8"));
  expect_same_in_every_piece_size(stream, expected);

  // Cut anywhere, the rest is held as partial.
  WsReading cut = expected;
  cut.events.pop_back();
  cut.partial = true;
  expect_same_in_every_piece_size(stream.substr(0, stream.size() - 1), cut);
}

TEST(WsReader, AFrameOrAGatheredMessageOverTheBoundIsOversizedAtItsHead) {
  // The frame's head says it all: no byte of its payload needs to arrive.
  WsReading too_long;
  too_long.events = {message("ok"), ending(WsEvent::oversized)};
  expect_same_in_every_piece_size(
      server_frame(net::kText, "ok") +
          server_frame(net::kText, std::string(kMax + 1, 'x')).substr(0, 8),
      too_long);
  // Fragments that are each within the bound but not together.
  expect_same_in_every_piece_size(
      server_frame(net::kText, "ok") +
          server_frame(net::kText, std::string(kMax - 10, 'x'), {.fin = false}) +
          server_frame(net::kContinuation, std::string(11, 'y')),
      too_long);
  // A control frame between fragments is not part of the message; exactly the bound is fine.
  WsReading at_bound;
  at_bound.events = {control(net::kPing, std::string(100, 'p')),
                     message(std::string(kMax - 10, 'x') + std::string(10, 'y'))};
  expect_same_in_every_piece_size(
      server_frame(net::kText, std::string(kMax - 10, 'x'), {.fin = false}) +
          server_frame(net::kPing, std::string(100, 'p')) +
          server_frame(net::kContinuation, std::string(10, 'y')),
      at_bound);
}

// Found by ws_reader_fuzz: the heads of fragments and the control frames between them were kept
// with the message when the buffer was compacted, so enough empty frames between two fragments of
// a small message filled the buffer and the reader had no room to read.
TEST(WsReader, AnyNumberOfEmptyFramesBetweenFragmentsFitsTheBuffer) {
  std::string stream = server_frame(net::kText, "a", {.fin = false});
  WsReading expected;
  for (int i = 0; i < 250; ++i) {  // an empty ping, then an empty fragment: 1,000 bytes
    stream += server_frame(net::kPing, "");
    expected.events.push_back(control(net::kPing, ""));
    stream += server_frame(net::kContinuation, "", {.fin = false});
  }
  for (int i = 0; i < 20; ++i) {
    stream += server_frame(net::kPong, std::string(125, 'p'));
    expected.events.push_back(control(net::kPong, std::string(125, 'p')));
  }
  stream += server_frame(net::kContinuation, "b");
  expected.events.push_back(message("ab"));
  expect_same_in_every_piece_size(stream, expected);
}

TEST(WsReader, WhatAServerMayNotSendIsBad) {
  const std::string ok = server_frame(net::kText, "ok");
  std::string top_bit = server_frame(net::kText, "abcd", {.length_bytes = 8});
  top_bit[2] = static_cast<char>(0x80);
  const std::string cases[] = {
      server_frame(net::kText, "abcd", {.masked = true}),
      server_frame(net::kText, "abcd", {.reserved = 0x40}),
      top_bit,
      server_frame(0x3, "unknown opcode"),
      server_frame(net::kPing, "fragmented control", {.fin = false}),
      server_frame(net::kPing, std::string(126, 'p')),
      server_frame(net::kContinuation, "no message"),
      server_frame(net::kText, "a", {.fin = false}) +
          server_frame(net::kText, "new message inside"),
  };
  WsReading bad;
  bad.events = {message("ok"), ending(WsEvent::bad)};
  for (const std::string& c : cases)
    expect_same_in_every_piece_size(ok + c + ok, bad);
}

TEST(WsReader, EveryMessageLiesInsideTheBufferWithThePaddingBehindIt) {
  net::WsReader reader(kMax, 2 * kMax + kMinRead);
  const std::string frame = server_frame(net::kText, std::string(kMax, 'm'));
  for (int round = 0; round < 20; ++round) {
    const std::span<char> room = reader.room(kMinRead);
    ASSERT_GE(room.size(), frame.size());
    std::copy(frame.begin(), frame.end(), room.begin());
    reader.filled(frame.size());
    const net::WsReader::Item item = reader.next();
    ASSERT_EQ(item.kind, net::WsReader::Kind::message);
    ASSERT_EQ(item.size, kMax);
    EXPECT_LE(item.data + item.size + kFramePadding,
              reader.buffer() + reader.capacity() + kFramePadding);
    EXPECT_EQ(reader.next().kind, net::WsReader::Kind::need_more);
    EXPECT_FALSE(reader.partial());
  }
  // Bytes that came with the upgrade's answer and do not fit are refused.
  EXPECT_FALSE(reader.load(std::string(reader.capacity() + 1, 'x').data(), reader.capacity() + 1));
  EXPECT_TRUE(reader.load(frame.data(), frame.size()));
  EXPECT_EQ(reader.next().kind, net::WsReader::Kind::message);
}

}  // namespace
}  // namespace fillwire::test
