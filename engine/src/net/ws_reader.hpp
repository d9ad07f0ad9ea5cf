#pragma once
// WsReader: the client side's reading of RFC 6455 frames (section 5) out of one buffer, without a
// socket: WsLink reads the socket into room() and takes what next() finds; the fuzz target
// (tests/fuzz/ws_reader_fuzz.cpp) feeds it arbitrary bytes in arbitrary pieces.
//
// The buffer is allocated once: `capacity` bytes, plus kFramePadding readable bytes past it, since
// a message is handed over where it lies and the decoder reads past a message's end. [begin_,
// end_) is read and not yet taken; a fragmented message being gathered has its payload so far at
// [message_at_, message_at_ + message_size_), each fragment's payload moved down over its own
// head. With capacity >= 2 * max_message + min_read and min_read > 10 (WsLink's choice) a message
// within the bound always fits: what room() keeps is at most the message (max_message) and one
// unfinished frame (a 10-byte head and max_message), so it never returns an empty room.
//
// What a server may not send (RFC 6455 section 5.2 and 5.5) is `bad`: reserved bits (no extension
// is negotiated), a masked frame, a 64-bit length with its top bit set, an unknown opcode, a
// fragmented or long control frame, a continuation without a message, a new message inside a
// fragmented one. A frame or a gathered message over `max_message` bytes is `oversized`. Both end
// the connection; WsLink counts them.
//
// Thread contract: one thread (the network thread). Nothing here allocates, locks or throws after
// construction.

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <span>

#include "fillwire/decoder.hpp"

namespace fillwire::net {

// RFC 6455 opcodes.
enum Opcode : std::uint8_t {
  kContinuation = 0x0,
  kText = 0x1,
  kBinary = 0x2,
  kClose = 0x8,
  kPing = 0x9,
  kPong = 0xA,
};

// One frame's head as read from the server.
struct FrameHead {
  std::size_t head_size = 0;  // bytes before the payload
  std::uint64_t payload = 0;
  std::uint8_t opcode = 0;
  bool fin = false;
};
enum class HeadResult : std::uint8_t { whole, need_more, bad };

// Reads the head of the frame at p (`size` bytes available). `why` names a bad one.
inline HeadResult read_head(const unsigned char* p, std::size_t size, FrameHead& h,
                            const char*& why) noexcept {
  if (size < 2) return HeadResult::need_more;
  h.fin = (p[0] & 0x80) != 0;
  h.opcode = p[0] & 0x0F;
  if ((p[0] & 0x70) != 0) {
    why = "reserved bits set (no extension was negotiated)";
    return HeadResult::bad;
  }
  if ((p[1] & 0x80) != 0) {
    why = "a masked frame from the server";
    return HeadResult::bad;
  }
  const unsigned length = p[1] & 0x7F;
  if (length < 126) {
    h.head_size = 2;
    h.payload = length;
  } else if (length == 126) {
    if (size < 4) return HeadResult::need_more;
    h.head_size = 4;
    h.payload = std::uint64_t{p[2]} << 8 | p[3];
  } else {
    if (size < 10) return HeadResult::need_more;
    h.head_size = 10;
    h.payload = 0;
    for (int i = 2; i < 10; ++i)
      h.payload = h.payload << 8 | p[i];
    if ((h.payload >> 63) != 0) {
      why = "a 64-bit length with its top bit set";
      return HeadResult::bad;
    }
  }
  switch (h.opcode) {
    case kContinuation:
    case kText:
    case kBinary:
      return HeadResult::whole;
    case kClose:
    case kPing:
    case kPong:
      if (!h.fin || h.payload > 125) {
        why = "a fragmented or long control frame";
        return HeadResult::bad;
      }
      return HeadResult::whole;
    default:
      why = "an unknown opcode";
      return HeadResult::bad;
  }
}

class WsReader {
 public:
  enum class Kind : std::uint8_t {
    need_more,  // read more into room()
    message,    // a whole text or binary message (fragments gathered)
    control,    // a close, ping or pong frame
    bad,        // the server broke the protocol (`why`)
    oversized,  // a frame or message over max_message
  };
  struct Item {
    Kind kind = Kind::need_more;
    std::uint8_t opcode = 0;  // control: kClose, kPing or kPong
    char* data = nullptr;     // message, control: the payload, inside the buffer
    std::size_t size = 0;
    const char* why = "";  // bad
  };

  // Cold: allocates the buffer (zeroed, padding included).
  WsReader(std::size_t max_message, std::size_t capacity)
      : max_message_(max_message),
        capacity_(capacity),
        buffer_(new char[capacity + kFramePadding]()) {}

  // Nothing read: a new connection.
  void reset() noexcept {
    begin_ = end_ = 0;
    gathering_ = false;
    message_at_ = message_size_ = 0;
  }

  // Bytes that came before reading began (behind the upgrade's answer). False if they do not fit.
  [[nodiscard]] bool load(const void* data, std::size_t size) noexcept {
    reset();
    if (size > capacity_) return false;
    std::memcpy(buffer_.get(), data, size);
    end_ = size;
    return true;
  }

  // Where the next read goes. When less than `min_read` bytes are left behind what was read, only
  // what is still needed moves to the front first: the message being gathered, then the bytes not
  // yet taken (the frame begun). The heads of the fragments and the control frames taken between
  // them are left behind: kept, any number of empty frames between two fragments would fill the
  // buffer. Empty only when the buffer is full of what is still needed, which the capacity above
  // rules out for frames within the bound.
  [[nodiscard]] std::span<char> room(std::size_t min_read) noexcept {
    const std::size_t needed = (gathering_ ? message_size_ : 0) + (end_ - begin_);
    if (capacity_ - end_ < min_read && needed < end_) {  // short of room, and something to drop
      char* const b = buffer_.get();
      std::size_t to = 0;
      if (gathering_) {
        std::memmove(b, b + message_at_, message_size_);  // to below begin_: nothing unread moves
        message_at_ = 0;
        to = message_size_;
      }
      std::memmove(b + to, b + begin_, end_ - begin_);
      end_ = to + (end_ - begin_);
      begin_ = to;
    }
    return {buffer_.get() + end_, capacity_ - end_};
  }
  // `n` bytes were read into room().
  void filled(std::size_t n) noexcept { end_ += n; }

  // The next thing the bytes read hold; need_more when they hold no whole frame. After `bad` or
  // `oversized` the reader must be reset() (a new connection) before it is used again.
  [[nodiscard]] Item next() noexcept {
    for (;;) {  // once per fragment: each step takes a whole frame, at least 2 bytes
      FrameHead f;
      Item item;
      const auto* head = reinterpret_cast<const unsigned char*>(buffer_.get() + begin_);
      const HeadResult r = read_head(head, end_ - begin_, f, item.why);
      if (r == HeadResult::need_more) return item;
      if (r == HeadResult::bad) return with(item, Kind::bad);
      // A control frame between fragments is not part of the message.
      if (f.payload > max_message_ ||
          (gathering_ && f.opcode < kClose && message_size_ + f.payload > max_message_)) {
        return with(item, Kind::oversized);
      }
      const auto payload = static_cast<std::size_t>(f.payload);
      if (end_ - begin_ < f.head_size + payload) return item;  // not whole yet
      char* data = buffer_.get() + begin_ + f.head_size;
      begin_ += f.head_size + payload;
      if (f.opcode >= kClose) {
        item.opcode = f.opcode;
        item.data = data;
        item.size = payload;
        return with(item, Kind::control);
      }
      if ((f.opcode == kContinuation) != gathering_) {
        item.why = gathering_ ? "a new message inside a fragmented one"
                              : "a continuation frame without a message";
        return with(item, Kind::bad);
      }
      std::size_t size = payload;
      if (!f.fin || gathering_) {
        if (!gathering_) {
          gathering_ = true;
          message_at_ = static_cast<std::size_t>(data - buffer_.get());
          message_size_ = 0;
        }
        // The fragment's payload moves down over its own head, next to the message so far.
        std::memmove(buffer_.get() + message_at_ + message_size_, data, payload);
        message_size_ += payload;
        if (!f.fin) continue;
        gathering_ = false;
        data = buffer_.get() + message_at_;
        size = message_size_;
      }
      item.data = data;
      item.size = size;
      return with(item, Kind::message);
    }
  }

  // Bytes of an unfinished frame or message are held (a frame begun, fragments gathered).
  [[nodiscard]] bool partial() const noexcept { return begin_ != end_ || gathering_; }

  [[nodiscard]] std::size_t capacity() const noexcept { return capacity_; }
  [[nodiscard]] const char* buffer() const noexcept { return buffer_.get(); }

 private:
  static Item with(Item item, Kind kind) noexcept {
    item.kind = kind;
    return item;
  }

  std::size_t max_message_;
  std::size_t capacity_;
  std::unique_ptr<char[]> buffer_;  // capacity_ + kFramePadding bytes
  std::size_t begin_ = 0;
  std::size_t end_ = 0;
  bool gathering_ = false;
  std::size_t message_at_ = 0;
  std::size_t message_size_ = 0;
};

}  // namespace fillwire::net
