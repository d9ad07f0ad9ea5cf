// libFuzzer target: the stream decoder over arbitrary frame bytes.
//
// Invariants checked on every input (a failure aborts, so libFuzzer reports it):
//   - the fast path and the general path give the same result and the same events;
//   - the single-event form agrees with the sink form on object frames;
//   - a decoder with a small maximum rejects larger frames as frame_too_large and otherwise
//     agrees with the default decoder;
//   - every event that decoded ok round-trips: decode(encode(e)) == e, in DEFAULT and SIMPLE
//     (round_trip.hpp: a cut identifier reads back as a whole one of the part kept);
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
         a.identifiers_cut == b.identifiers_cut;
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
  check(fast.error.ok() || fast.kind != FrameKind::order || fast.rejected > 0 || fast.events == 0,
        "an order frame with an error published events without rejecting any");

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
  if (single_fast.error.ok() && single_fast.kind == FrameKind::order) {
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

  for (std::size_t i = 0; i < fast_sink.kept(); ++i)
    check_round_trip(d.round_trip, fast_sink.slots[i]);
  return 0;
}
