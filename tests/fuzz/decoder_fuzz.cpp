// libFuzzer target: the stream decoder over arbitrary frame bytes.
//
// Invariants checked on every input (a failure aborts, so libFuzzer reports it):
//   - the fast path and the general path give the same result and the same events;
//   - the single-event form agrees with the sink form on object frames;
//   - a decoder with a small maximum rejects larger frames as frame_too_large and otherwise
//     agrees with the default decoder;
//   - every event that decoded ok round-trips: decode(encode(e)) == e, in DEFAULT and SIMPLE
//     (round_trip.hpp: a cut identifier reads back as a whole one of the part kept), and so do
//     the events of each myAsset frame, as one frame;
//   - a myAsset frame's events are published whole: index 0 .. count-1 in a row, one asset_uuid
//     and one set of times, and none at all from a frame with an error;
//   - a cut identifier keeps valid UTF-8 of at most ClientId::kCutKeep bytes.

#include <simdjson.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "fillwire/decoder.hpp"
#include "invariant.hpp"
#include "round_trip.hpp"

namespace {

using namespace fillwire;

// Keeps the first kKept published events; later ones are counted only.
struct CollectingSink {
  static constexpr std::size_t kKept = 64;
  std::vector<OrderEvent> slots = std::vector<OrderEvent>(kKept + 1);
  std::size_t published = 0;

  OrderEvent& claim() noexcept {
    OrderEvent& e = slots[published < kKept ? published : kKept];
    std::memset(&e, 0, sizeof e);
    return e;
  }
  void publish() noexcept { ++published; }
  [[nodiscard]] std::size_t kept() const noexcept { return published < kKept ? published : kKept; }
};

using fillwire::fuzz::check;

bool same_event(const OrderEvent& a, const OrderEvent& b) {
  return std::memcmp(&a, &b, sizeof a) == 0;
}

bool same_result(const FrameResult& a, const FrameResult& b) {
  return a.kind == b.kind && a.error.code == b.error.code && a.error.field == b.error.field &&
         a.error.element == b.error.element && a.events == b.events && a.rejected == b.rejected &&
         a.status.view() == b.status.view() &&
         a.server_error.name.view() == b.server_error.name.view() &&
         a.server_error.message.view() == b.server_error.message.view() &&
         a.server_error.truncated == b.server_error.truncated &&
         a.identifiers_cut == b.identifiers_cut && a.error.asset_field == b.error.asset_field &&
         a.error.asset_index == b.error.asset_index && a.asset_events == b.asset_events &&
         a.asset_frames == b.asset_frames;
}

struct Decoders {
  Decoder fast;
  Decoder general;
  Decoder small{kSmallMax};
  Decoder round_trip;
  static constexpr std::size_t kSmallMax = 512;
  Decoders() { general.set_fast_path(false); }
};

Decoders& decoders() {
  static Decoders d;
  return d;
}

// Whether `s` is well-formed UTF-8 (simdjson's validator, the one the decoder trusts).
bool whole_utf8_characters(std::string_view s) {
  return simdjson::validate_utf8(s.data(), s.size());
}

// A cut identifier keeps valid UTF-8 of at most ClientId::kCutKeep bytes; then the round trip.
void check_round_trip(Decoder& d, const OrderEvent& e) {
  if (e.has(Field::identifier) && e.identifier.cut()) {
    const std::string_view kept = e.identifier.view();
    check(kept.size() <= ClientId::kCutKeep && whole_utf8_characters(kept),
          "a cut identifier is not a UTF-8 prefix of at most kCutKeep bytes");
  }
  if (const char* what = fuzz::round_trip_failure(d, e)) check(false, what);
}

// The kept events' myAsset frames: each whole and in a row, each round-tripping as one frame.
// Returns how many asset events were seen among the kept ones.
std::size_t check_asset_frames(Decoder& d, const CollectingSink& sink) {
  std::size_t seen = 0;
  std::vector<AssetEvent> frame;
  for (std::size_t i = 0; i < sink.kept(); ++i) {
    const OrderEvent& slot = sink.slots[i];
    if (slot.kind != EventKind::asset) {
      check(frame.empty(), "a myAsset frame's events were interrupted");
      continue;
    }
    ++seen;
    const AssetEvent a = asset_of(slot);
    check(a.count >= 1 && a.index == frame.size(), "a myAsset frame's events are not in a row");
    if (!frame.empty()) {
      check(a.count == frame[0].count && a.asset_uuid == frame[0].asset_uuid &&
                a.asset_timestamp == frame[0].asset_timestamp && a.timestamp == frame[0].timestamp,
            "the events of one myAsset frame disagree on the frame");
    }
    frame.push_back(a);
    if (a.is_last_in_frame()) {
      if (const char* what = fuzz::asset_round_trip_failure(d, frame)) check(false, what);
      frame.clear();
    }
  }
  // A frame cut short here runs past the kept events (the sink keeps the first kKept).
  return seen;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  Decoders& d = decoders();
  std::vector<char> frame(size + kFramePadding, '\0');
  if (size > 0) std::memcpy(frame.data(), data, size);

  CollectingSink fast_sink;
  CollectingSink general_sink;
  const FrameResult fast = d.fast.decode(frame.data(), size, EventSink{fast_sink});
  const FrameResult general = d.general.decode(frame.data(), size, EventSink{general_sink});
  check(same_result(fast, general), "fast and general paths disagree on the result");
  check(fast_sink.published == fast.events, "published events differ from the count");
  check(general_sink.published == general.events, "published events differ from the count");
  for (std::size_t i = 0; i < fast_sink.kept(); ++i) {
    check(same_event(fast_sink.slots[i], general_sink.slots[i]),
          "fast and general paths decoded different events");
  }
  check(fast.error.ok() || (fast.kind != FrameKind::order && fast.kind != FrameKind::asset) ||
            fast.rejected > 0 || fast.events == 0,
        "a frame with an error published events without rejecting any");
  check(fast.asset_events <= fast.events, "more asset events than events");

  // Single-event form: same answer for anything that is not a list.
  OrderEvent one_fast;
  OrderEvent one_general;
  std::memset(&one_fast, 0, sizeof one_fast);
  std::memset(&one_general, 0, sizeof one_general);
  const FrameResult single_fast = d.fast.decode(frame.data(), size, one_fast);
  const FrameResult single_general = d.general.decode(frame.data(), size, one_general);
  check(single_fast.kind == single_general.kind &&
            single_fast.error.code == single_general.error.code &&
            single_fast.error.field == single_general.error.field,
        "fast and general single-event forms disagree");
  if (single_fast.error.ok() &&
      (single_fast.kind == FrameKind::order || single_fast.kind == FrameKind::asset)) {
    check(same_event(one_fast, one_general), "single-event forms decoded different events");
    check(fast.error.ok() && fast.events == 1 && same_event(one_fast, fast_sink.slots[0]),
          "single-event form and sink form disagree on an object frame");
  }

  // A decoder with a small maximum.
  CollectingSink small_sink;
  const FrameResult small = d.small.decode(frame.data(), size, EventSink{small_sink});
  if (size > Decoders::kSmallMax) {
    check(small.error.code == DecodeErrc::frame_too_large && small.events == 0,
          "a frame over the maximum was not refused");
  } else {
    check(same_result(small, fast), "small-maximum decoder disagrees below its maximum");
  }

  for (std::size_t i = 0; i < fast_sink.kept(); ++i) {
    if (fast_sink.slots[i].kind == EventKind::order)
      check_round_trip(d.round_trip, fast_sink.slots[i]);
  }
  const std::size_t assets = check_asset_frames(d.round_trip, fast_sink);
  check(fast_sink.published > CollectingSink::kKept || assets == fast.asset_events,
        "published asset events differ from the count");
  return 0;
}
