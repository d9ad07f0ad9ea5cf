#pragma once
// The encoder round trip both decoder_fuzz and rest_orders_fuzz check on every event they accept:
// decode(encode(e)) == e in DEFAULT and SIMPLE; and for the events of one myAsset frame,
// decode(encode(frame)) == frame. A cut identifier (over 45 bytes: its first bytes,
// a flag and a hash of the whole are kept) is encoded as the part kept (encoder.hpp), so for such an
// event the expected result is e with a whole identifier of that text.

#include <cstring>
#include <span>
#include <vector>

#include "fillwire/decoder.hpp"
#include "fillwire/encoder.hpp"

namespace fillwire::fuzz {

// What decode(encode(e)) must give: e itself, or e with a whole identifier of the part kept.
inline OrderEvent expected_round_trip(const OrderEvent& e) {
  OrderEvent want = e;
  if (e.has(Field::identifier) && e.identifier.cut()) {
    ClientId whole;
    std::memset(&whole, 0, sizeof whole);
    whole.assign(e.identifier.view());
    want.identifier = whole;
  }
  return want;
}

// Encodes `e` in both forms and decodes each back with `d`. nullptr when both give
// expected_round_trip(e) (the origin aside: the decoder reads every frame as the stream's), else
// what went wrong.
inline const char* round_trip_failure(Decoder& d, const OrderEvent& e) {
  const OrderEvent want = expected_round_trip(e);
  for (const WireFormat format : {WireFormat::full, WireFormat::simple}) {
    char buf[kMaxEncodedEvent + kFramePadding] = {};
    const std::size_t n = encode(e, format, buf, kMaxEncodedEvent);
    if (n == 0) return "an accepted event does not encode";
    OrderEvent back;
    std::memset(&back, 0, sizeof back);
    const FrameResult r = d.decode(buf, n, back);
    if (!r.error.ok() || r.kind != FrameKind::order) return "an encoded event does not decode";
    back.origin = e.origin;
    if (std::memcmp(&back, &want, sizeof want) != 0) return "decode(encode(e)) != e";
  }
  return nullptr;
}

// Encodes one myAsset frame's events in both forms and decodes each back with `d`. nullptr when
// both give the same events (the producer's seq and recv_ts aside), else what went wrong.
inline const char* asset_round_trip_failure(Decoder& d, std::span<const AssetEvent> frame) {
  struct Back {
    std::vector<OrderEvent> events;
    OrderEvent slot;
    OrderEvent& claim() noexcept {
      std::memset(&slot, 0, sizeof slot);
      return slot;
    }
    void publish() noexcept { events.push_back(slot); }  // cold: a test's vector
  };
  for (const WireFormat format : {WireFormat::full, WireFormat::simple}) {
    std::vector<char> buf(max_encoded_asset_frame(frame.size()) + kFramePadding, '\0');
    const std::size_t n = encode(frame, format, buf.data(), buf.size() - kFramePadding);
    if (n == 0) return "an accepted myAsset frame does not encode";
    Back back;
    const FrameResult r = d.decode(buf.data(), n, EventSink{back});
    if (!r.error.ok() || r.kind != FrameKind::asset || back.events.size() != frame.size()) {
      return "an encoded myAsset frame does not decode";
    }
    for (std::size_t i = 0; i < frame.size(); ++i) {
      AssetEvent want = frame[i];
      want.seq = 0;
      want.recv_ts = 0;
      want.origin = EventOrigin::stream;
      const AssetEvent got = asset_of(back.events[i]);
      if (std::memcmp(&got, &want, sizeof want) != 0) return "decode(encode(frame)) != frame";
    }
  }
  return nullptr;
}

}  // namespace fillwire::fuzz
