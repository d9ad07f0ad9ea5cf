#pragma once
// Decoder: turns one WebSocket frame (text or binary, same bytes) into OrderEvents (and
// AssetEvents, which travel in OrderEvent slots: asset_event.hpp), in place.
//
// Thread contract: a Decoder belongs to one thread (the network thread); it is not shared. Its
// parser and buffers are sized once at construction; decode() never allocates, never throws and
// never copies the frame: the caller's buffer must hold kFramePadding readable bytes after the
// frame (simdjson reads ahead), which a receive buffer reserves once.
//
// Frames recognised (PROTOCOL.md §3-§5):
//   {"type":"myOrder",...} / {"ty":"myOrder",...}  one event (DEFAULT or SIMPLE names)
//   {"type":"myAsset",...} / {"ty":"myAsset",...}  one AssetEvent per element of `assets`
//   [{...},{...}]                                   JSON_LIST / SIMPLE_LIST: several objects,
//                                                   myOrder and myAsset mixed
//   {"status":"UP"}                                 keep-alive answer
//   {"error":{"name":"...","message":"..."}}        server error
// Anything else is FrameKind::other with an error naming why.
//
// Rules (README "Decoding rules"; the fields themselves: FILLWIRE_ORDER_FIELDS, order_event.hpp):
//   - fields in any order; DEFAULT and SIMPLE names both accepted, even mixed; unknown keys are
//     skipped and counted;
//   - null and absent are the same: the field's presence bit stays clear;
//   - a key given twice (or by both its names) is an error `duplicate_field`: an event that says
//     two things about one field is not guessed at;
//   - a market code (or status) longer than its inline capacity is `too_long`, never truncated;
//     a longer client identifier keeps its event: it is cut, flagged and hashed whole
//     (client_id.hpp) and counted in DecoderStats::identifiers_cut;
//   - numbers are parsed exactly (correctly rounded doubles); counts must be non-negative integers;
//   - a myAsset object is all or nothing: every element of `assets` is checked before any of its
//     events is published (in slot order, index 0 .. count-1, each with the frame's asset_uuid and
//     times); an empty `assets` is missing_field, more than 65535 elements out_of_range, a
//     currency over 15 bytes too_long. An object is a myAsset one when its `type` says so, or when
//     a key only myAsset has (asset_uuid, assets, asset_timestamp) comes before any `type`.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>
#include <type_traits>

#include "fillwire/asset_event.hpp"
#include "fillwire/fixed_string.hpp"
#include "fillwire/order_event.hpp"

namespace fillwire {

// Bytes that must be readable (any value) after the end of every frame handed to decode().
inline constexpr std::size_t kFramePadding = 64;

enum class DecodeErrc : std::uint8_t {
  ok,
  empty_frame,      // no bytes, or only white space
  frame_too_large,  // longer than the decoder's configured maximum
  invalid_utf8,
  malformed_json,    // not JSON, truncated, bad literal or bad escape
  not_an_object,     // a scalar, or a list element that is not an object
  missing_field,     // a required field absent or null
  wrong_type,        // e.g. a string where a number belongs
  bad_enum,          // a string not among the field's known values
  bad_uuid,          // not the 36-char form
  too_long,          // a string over its inline capacity
  out_of_range,      // huge exponent, negative or oversized count
  duplicate_field,   // a field given twice
  unsupported_type,  // "type" is neither myOrder nor myAsset (or contradicts the frame's keys)
  unknown_frame,     // valid JSON object of no known shape
  unexpected_list,   // a list frame given to the single-event overload
  count_
};
inline constexpr std::size_t kDecodeErrcCount = static_cast<std::size_t>(DecodeErrc::count_);
[[nodiscard]] std::string_view to_string(DecodeErrc e) noexcept;

struct DecodeError {
  DecodeErrc code = DecodeErrc::ok;
  Field field = Field::none;                  // the offending myOrder field, or Field::none
  std::uint32_t element = 0;                  // index of the object within a list frame
  AssetField asset_field = AssetField::none;  // the offending myAsset field, or AssetField::none
  std::int32_t asset_index = -1;  // the element of `assets` at fault, or -1 (the frame itself)

  [[nodiscard]] bool ok() const noexcept { return code == DecodeErrc::ok; }
  explicit operator bool() const noexcept { return !ok(); }  // true when there is an error
};

// A list frame is `asset` when all its objects were myAsset ones, else `order`.
enum class FrameKind : std::uint8_t { order, status, error, other, asset };

// The server's own error frame, kept inline. Longer texts are cut for display and say so.
struct ServerError {
  FixedString<47> name;
  FixedString<191> message;
  bool truncated;
};

struct FrameResult {
  FrameKind kind = FrameKind::other;
  DecodeError error;               // first error in the frame (ok when none)
  std::uint32_t events = 0;        // events published to the sink (order and asset events)
  std::uint32_t asset_events = 0;  // of `events`, asset events (one per currency)
  std::uint32_t asset_frames = 0;  // myAsset objects published (a list frame may carry several)
  std::uint32_t rejected = 0;  // list elements that failed to decode (the rest still published);
                               // a myAsset element with a bad currency is one, none of it published
  std::uint32_t identifiers_cut = 0;  // published events whose identifier was cut (client_id.hpp)
  FixedString<15> status{};           // kind == status: the value of "status" ("UP")
  ServerError server_error{};         // kind == error
};

// Where decoded events go: claim() returns a slot to fill in place; publish() makes it visible.
// A slot that was claimed but not published (decode failed) is handed out again by the next
// claim(). Any type with `OrderEvent& claim() noexcept` and `void publish() noexcept` binds,
// without a virtual call.
class EventSink {
 public:
  template <class S>
  requires(!std::is_same_v<std::remove_cvref_t<S>, EventSink>)  // copying an EventSink copies it
      explicit EventSink(S& sink) noexcept
      : ctx_(&sink),
        claim_([](void* c) noexcept -> OrderEvent& { return static_cast<S*>(c)->claim(); }),
        publish_([](void* c) noexcept { static_cast<S*>(c)->publish(); }) {}

  OrderEvent& claim() noexcept { return claim_(ctx_); }
  void publish() noexcept { publish_(ctx_); }

 private:
  void* ctx_;
  OrderEvent& (*claim_)(void*) noexcept;
  void (*publish_)(void*) noexcept;
};

// Counters kept by the owning thread; copy them out from that thread.
struct DecoderStats {
  std::uint64_t frames = 0;
  std::uint64_t events = 0;        // published, order and asset events
  std::uint64_t asset_frames = 0;  // myAsset objects published whole
  std::uint64_t asset_events = 0;  // asset events published (one per currency)
  std::uint64_t status_frames = 0;
  std::uint64_t error_frames = 0;     // server error frames ({"error":...})
  std::uint64_t failed_frames = 0;    // frames with at least one decode error
  std::uint64_t unknown_keys = 0;     // keys skipped because this build does not know them
  std::uint64_t order_misses = 0;     // keys that did not follow the learned field order
  std::uint64_t fast_frames = 0;      // frames the fast path decoded (others took the general path)
  std::uint64_t identifiers_cut = 0;  // events kept with a cut identifier (over 45 bytes)
  std::uint64_t by_error[kDecodeErrcCount] = {};
};

class Decoder {
 public:
  static constexpr std::size_t kDefaultMaxFrame = 64 * 1024;

  // Allocates the parser for frames up to `max_frame_bytes` (cold path; may throw bad_alloc).
  explicit Decoder(std::size_t max_frame_bytes = kDefaultMaxFrame);
  ~Decoder();
  Decoder(const Decoder&) = delete;
  Decoder& operator=(const Decoder&) = delete;

  // Decodes the frame [data, data+size); data[size .. size+kFramePadding) must be readable.
  // Object and list frames publish each good event to `sink`. Owning thread only; no allocation.
  FrameResult decode(const char* data, std::size_t size, EventSink sink) noexcept;

  // Single-event form for an object frame: fills `out` (kind == order and ok() when it is valid).
  // A myAsset frame of one currency fills `out` with its AssetEvent (kind == asset; read it with
  // asset_of); one of several currencies is unexpected_list (asset_field assets), `out` unused.
  FrameResult decode(const char* data, std::size_t size, OrderEvent& out) noexcept;

  // The fast path reads flat objects of the exchange's shape directly and hands anything else to
  // the general On-Demand path; both give identical results. Turned off only by tests and
  // benchmarks. Owning thread.
  void set_fast_path(bool enabled) noexcept;

  [[nodiscard]] const DecoderStats& stats() const noexcept { return stats_; }
  [[nodiscard]] std::size_t max_frame_bytes() const noexcept { return max_frame_; }

 private:
  void account(const FrameResult& r) noexcept;

  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::size_t max_frame_;
  DecoderStats stats_;
};

}  // namespace fillwire
