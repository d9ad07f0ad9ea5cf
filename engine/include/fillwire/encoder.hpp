#pragma once
// Encoder: OrderEvent -> one JSON object, DEFAULT or SIMPLE names, fields in the exchange's order
// (the field table, FILLWIRE_ORDER_FIELDS in order_event.hpp). For tests, the simulator and tools.
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
#include <string>

#include "fillwire/order_event.hpp"

namespace fillwire {

enum class WireFormat : std::uint8_t { full, simple };

// Large enough for any OrderEvent in either format.
inline constexpr std::size_t kMaxEncodedEvent = 2048;

// Writes the event into [out, out+capacity). Returns bytes written, or 0 if it does not fit.
std::size_t encode(const OrderEvent& event, WireFormat format, char* out,
                   std::size_t capacity) noexcept;
[[nodiscard]] std::string encode(const OrderEvent& event, WireFormat format = WireFormat::full);

}  // namespace fillwire
