#pragma once
// Encoder: OrderEvent -> one JSON object, DEFAULT or SIMPLE names, fields in the exchange's order
// (the field table, FILLWIRE_ORDER_FIELDS in order_event.hpp); and the AssetEvents of one myAsset
// frame -> that frame (FILLWIRE_ASSET_FIELDS, asset_event.hpp). For tests, the simulator and tools.
//
// Doubles are written in their shortest exact form (std::to_chars), so decode(encode(e)) == e for
// every finite value. Absent nullable fields are written as null (as the exchange does); absent
// fields that are not nullable are omitted.
//
// A cut identifier (ClientId::cut(): its first bytes and a hash of the whole are all that is left)
// is written as the part kept, so the event is not lost (e.g. fillwire decode --json); it reads
// back as a whole, shorter identifier. So decode(encode(e)) == e holds except for the identifier's
// cut flag and hash when e's identifier was cut. The journal does not depend on it: its stream
// frames keep the full text, and a resync event is journaled as its exact bytes
// (journal_event.hpp; older journals' resync records, JSON from here, lose the cut flag and hash).
//
// Thread contract: any thread; the buffer form never allocates.

#include <cstddef>
#include <span>
#include <string>

#include "fillwire/asset_event.hpp"
#include "fillwire/order_event.hpp"

namespace fillwire {

enum class WireFormat : std::uint8_t { full, simple };

// Large enough for any OrderEvent in either format.
inline constexpr std::size_t kMaxEncodedEvent = 2048;

// Writes the event into [out, out+capacity). Returns bytes written, or 0 if it does not fit.
std::size_t encode(const OrderEvent& event, WireFormat format, char* out,
                   std::size_t capacity) noexcept;
[[nodiscard]] std::string encode(const OrderEvent& event, WireFormat format = WireFormat::full);

// Large enough for a myAsset frame of `currencies` AssetEvents in either format.
[[nodiscard]] constexpr std::size_t max_encoded_asset_frame(std::size_t currencies) noexcept {
  return 320 + 224 * currencies;
}

// Writes one myAsset frame: the frame's fields from frame[0] (asset_uuid, times, stream_type),
// then `assets` with one element per event, in the span's order. The span is one frame's events
// (index 0 .. count-1, as the decoder publishes them), so decode(encode(events)) == events.
// Returns bytes written, or 0 for an empty span or when it does not fit.
std::size_t encode(std::span<const AssetEvent> frame, WireFormat format, char* out,
                   std::size_t capacity) noexcept;
[[nodiscard]] std::string encode(std::span<const AssetEvent> frame,
                                 WireFormat format = WireFormat::full);

}  // namespace fillwire
