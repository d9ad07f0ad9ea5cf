#pragma once
// Journaled events (JournalKind::resync_event): an OrderEvent kept in the journal as its exact
// bytes, so that a replay applies the very event the live client applied. (A re-encoding as myOrder
// JSON, JournalKind::resync, loses a cut identifier's flag and hash: client_id.hpp.)
//
// Payload (little-endian, as the whole journal), kJournalEventPayloadBytes = 264 bytes:
//
//     0        4          6              8
//     +--------+----------+--------------+---------------------------------------+
//     | "FWEV" | layout   | event_bytes  | the OrderEvent, raw (event_bytes)     |
//     +--------+----------+--------------+---------------------------------------+
//
//   layout       u16: kOrderEventLayout of the build that wrote it (order_event.hpp)
//   event_bytes  u16: sizeof(OrderEvent) of that build (256)
// The record's own header (journal.hpp) carries the length and the checksums. seq is written as 0
// (the ring numbers an event as it publishes it, after the producer journaled it) and recv_ts as
// stamped; a replay's ring numbers its own.
//
// A reader takes the event only when the payload is exactly kJournalEventPayloadBytes, its magic,
// layout and event_bytes are this build's, and every byte that selects something (the enums, the
// 0/1 flags, the presence bits, the lengths of the market code and the identifier) holds a value
// this build defines: then no field can index past a table or read past its text downstream.
// Anything else is refused with the reason, never copied in part. The numbers are not checked
// here: they are the account's to refuse (AccountState: non-finite and out-of-range figures), as
// for any decoded event.
//
// Thread contract: journal_event() on the producer's own thread (the network thread): no
// allocation, the payload built on the stack, one JournalProducer::record(). The rest on any
// thread; read_journal_event() is for the cold path (it may allocate its reason).

#include <cstddef>
#include <cstdint>
#include <string>
#include <type_traits>

#include "fillwire/asset_event.hpp"
#include "fillwire/journal.hpp"
#include "fillwire/order_event.hpp"

namespace fillwire {

inline constexpr char kJournalEventMagic[4] = {'F', 'W', 'E', 'V'};
// A resync's balance (an AssetEvent, asset_event.hpp) in the same record: layout and event_bytes
// are then kAssetEventLayout and sizeof(AssetEvent).
inline constexpr char kJournalAssetMagic[4] = {'F', 'W', 'A', 'S'};

// The payload's header, exactly as on disk.
struct JournalEventHeader {
  char magic[4];              // kJournalEventMagic
  std::uint16_t layout;       // kOrderEventLayout of the writer
  std::uint16_t event_bytes;  // sizeof(OrderEvent) of the writer
};
static_assert(std::is_trivially_copyable_v<JournalEventHeader> &&
                  std::is_standard_layout_v<JournalEventHeader> && sizeof(JournalEventHeader) == 8,
              "The journaled event's header is 8 bytes on disk, written and read as raw bytes.");
static_assert(std::is_trivially_copyable_v<OrderEvent> && std::is_standard_layout_v<OrderEvent> &&
                  sizeof(OrderEvent) == 256 && sizeof(OrderEvent) <= UINT16_MAX &&
                  sizeof(AssetEvent) == sizeof(OrderEvent),
              "A journaled event is OrderEvent's raw bytes: trivially copyable, 256 bytes.");

inline constexpr std::size_t kJournalEventPayloadBytes =
    sizeof(JournalEventHeader) + sizeof(OrderEvent);

// Writes `event` as a resync_event payload: the header, then its bytes.
void encode_journal_event(const OrderEvent& event, char (&out)[kJournalEventPayloadBytes]) noexcept;

// Journals `event` as a JournalKind::resync_event record. False when it was not journaled (counted
// by the producer, as for any record). The producer's thread only; never allocates or blocks.
bool journal_event(JournalProducer& producer, const OrderEvent& event,
                   std::uint64_t recv_ns) noexcept;

// Why a resync_event payload was refused.
enum class JournalEventError : std::uint8_t {
  none,
  size,         // the payload is not kJournalEventPayloadBytes long
  magic,        // it does not start with "FWEV"
  layout,       // written by a build of another OrderEvent layout
  event_bytes,  // written by a build whose OrderEvent has another size
  bad_value,    // a byte of the event holds a value this build does not define
};

// The first byte of `e` that holds a value this build does not define, as "state 9" (the field
// and the value), or empty when every enum, flag, presence bit and length is in range. Any thread.
[[nodiscard]] std::string invalid_event_field(const OrderEvent& e);
// The same for an AssetEvent (kind, origin, stream_type, flags, presence bits, index within
// count, the currency's length).
[[nodiscard]] std::string invalid_asset_field(const AssetEvent& a);

// Reads a resync_event payload into `out` (the caller's OrderEvent, so properly aligned; an
// FWAS payload becomes an asset slot, store_asset). On
// success returns none and `out` is the journaled event; otherwise `out` is left as it was and
// `why` says what is wrong ("resync event of OrderEvent layout 2; this build reads layout 1 ...").
// Never reads outside [payload, payload + size). Cold path.
[[nodiscard]] JournalEventError read_journal_event(const char* payload, std::size_t size,
                                                   OrderEvent& out, std::string& why);

}  // namespace fillwire
