// Journaled events: an OrderEvent's exact bytes behind a small header naming its layout.

#include "fillwire/detail/journal_event.hpp"

#include <cstdio>
#include <cstring>
#include <iterator>
#include <string>

namespace fillwire {

void encode_journal_event(const OrderEvent& event,
                          char (&out)[kJournalEventPayloadBytes]) noexcept {
  JournalEventHeader h{};
  const bool asset = event.kind == EventKind::asset;
  std::memcpy(h.magic, asset ? kJournalAssetMagic : kJournalEventMagic, sizeof h.magic);
  h.layout = asset ? kAssetEventLayout : kOrderEventLayout;
  h.event_bytes = static_cast<std::uint16_t>(sizeof(OrderEvent));
  std::memcpy(out, &h, sizeof h);
  std::memcpy(out + sizeof h, &event, sizeof(OrderEvent));
  // The slot's seq is the ring's, written only when the slot is published: kept as 0.
  std::memset(out + sizeof h + offsetof(OrderEvent, seq), 0, sizeof event.seq);
}

bool journal_event(JournalProducer& producer, const OrderEvent& event,
                   std::uint64_t recv_ns) noexcept {
  char payload[kJournalEventPayloadBytes];
  encode_journal_event(event, payload);
  return producer.record(JournalKind::resync_event, payload, sizeof payload, recv_ns);
}

namespace {

template <class E>
unsigned raw(E e) noexcept {
  return static_cast<unsigned>(static_cast<std::underlying_type_t<E>>(e));
}

std::string field_value(std::string_view field, unsigned value) {
  return std::string(field) + " " + std::to_string(value);
}

}  // namespace

std::string invalid_event_field(const OrderEvent& e) {
  // Enum values: an enumeration with a fixed underlying type holds any value of that type without
  // undefined behaviour; what matters is that none goes past the tables indexed by it downstream.
  if (e.kind != EventKind::order) return field_value("kind", raw(e.kind));
  if (raw(e.origin) > raw(EventOrigin::replay)) return field_value("origin", raw(e.origin));
  if (raw(e.ask_bid) >= std::size(kSideNames)) return field_value("ask_bid", raw(e.ask_bid));
  if (raw(e.order_type) >= std::size(kOrderTypeNames)) {
    return field_value("order_type", raw(e.order_type));
  }
  if (raw(e.state) >= std::size(kStateNames)) return field_value("state", raw(e.state));
  if (raw(e.time_in_force) >= std::size(kTimeInForceNames)) {
    return field_value("time_in_force", raw(e.time_in_force));
  }
  if (raw(e.smp_type) >= std::size(kSmpTypeNames)) return field_value("smp_type", raw(e.smp_type));
  if (raw(e.stream_type) >= std::size(kStreamTypeNames)) {
    return field_value("stream_type", raw(e.stream_type));
  }
  if (e.is_maker > 1) return field_value("is_maker", e.is_maker);
  if (e.type_known > 1) return field_value("type_known", e.type_known);
  constexpr std::uint32_t kAllFields = (std::uint32_t{1} << kFieldCount) - 1;
  if ((e.present & ~kAllFields) != 0) {
    char bits[24];
    std::snprintf(bits, sizeof bits, "0x%08x", static_cast<unsigned>(e.present));
    return std::string("present bits ") + bits + " (" + std::to_string(kFieldCount) + " fields)";
  }
  // Lengths: a view() must stay inside its own bytes.
  if (e.code.length > MarketCode::kCapacity) return field_value("code length", e.code.length);
  const unsigned kept = e.identifier.length & (ClientId::kCutFlag - 1u);
  if (kept > (e.identifier.cut() ? ClientId::kCutKeep : ClientId::kCapacity)) {
    return field_value(e.identifier.cut() ? "identifier length (cut)" : "identifier length", kept);
  }
  return {};
}

namespace {

JournalEventError read_asset(const char* bytes, const JournalEventHeader& h, OrderEvent& out,
                             std::string& why) {
  if (h.layout != kAssetEventLayout) {
    why = "resync balance of AssetEvent layout " + std::to_string(h.layout) +
          "; this build reads layout " + std::to_string(kAssetEventLayout) + " only";
    return JournalEventError::layout;
  }
  if (h.event_bytes != sizeof(AssetEvent)) {
    why = "resync balance of a " + std::to_string(h.event_bytes) +
          "-byte AssetEvent; this build's is " + std::to_string(sizeof(AssetEvent)) + " bytes";
    return JournalEventError::event_bytes;
  }
  AssetEvent a;
  std::memcpy(&a, bytes, sizeof a);  // the payload's size was checked by the caller
  const std::string bad = invalid_asset_field(a);
  if (!bad.empty()) {
    why = "resync balance with an invalid " + bad;
    return JournalEventError::bad_value;
  }
  store_asset(out, a);
  out.seq = a.seq;
  out.recv_ts = a.recv_ts;
  return JournalEventError::none;
}

}  // namespace

std::string invalid_asset_field(const AssetEvent& a) {
  if (a.kind != EventKind::asset) return field_value("kind", raw(a.kind));
  if (raw(a.origin) > raw(EventOrigin::replay)) return field_value("origin", raw(a.origin));
  if (raw(a.stream_type) >= std::size(kStreamTypeNames)) {
    return field_value("stream_type", raw(a.stream_type));
  }
  if (a.type_known > 1) return field_value("type_known", a.type_known);
  constexpr std::uint32_t kAllFields = (std::uint32_t{1} << kAssetFieldCount) - 1;
  if ((a.present & ~kAllFields) != 0) {
    char bits[24];
    std::snprintf(bits, sizeof bits, "0x%08x", static_cast<unsigned>(a.present));
    return std::string("present bits ") + bits + " (" + std::to_string(kAssetFieldCount) +
           " fields)";
  }
  if (a.count == 0 || a.index >= a.count) {
    return "index " + std::to_string(a.index) + " of " + std::to_string(a.count);
  }
  if (a.currency.length > CurrencyCode::kCapacity) {
    return field_value("currency length", a.currency.length);
  }
  return {};
}

JournalEventError read_journal_event(const char* payload, std::size_t size, OrderEvent& out,
                                     std::string& why) {
  if (size != kJournalEventPayloadBytes) {
    why = "resync event of " + std::to_string(size) + " bytes; this build's are " +
          std::to_string(kJournalEventPayloadBytes) + " (an 8-byte header and a " +
          std::to_string(sizeof(OrderEvent)) + "-byte OrderEvent)";
    return JournalEventError::size;
  }
  JournalEventHeader h;
  std::memcpy(&h, payload, sizeof h);
  const bool asset = std::memcmp(h.magic, kJournalAssetMagic, sizeof h.magic) == 0;
  if (!asset && std::memcmp(h.magic, kJournalEventMagic, sizeof h.magic) != 0) {
    why = "resync event without its FWEV or FWAS header";
    return JournalEventError::magic;
  }
  if (asset) return read_asset(payload + sizeof h, h, out, why);
  if (h.layout != kOrderEventLayout) {
    why = "resync event of OrderEvent layout " + std::to_string(h.layout) +
          "; this build reads layout " + std::to_string(kOrderEventLayout) +
          " only (written by a build whose OrderEvent differs)";
    return JournalEventError::layout;
  }
  if (h.event_bytes != sizeof(OrderEvent)) {
    why = "resync event of a " + std::to_string(h.event_bytes) +
          "-byte OrderEvent; this build's is " + std::to_string(sizeof(OrderEvent)) + " bytes";
    return JournalEventError::event_bytes;
  }
  OrderEvent e;
  std::memcpy(&e, payload + sizeof h, sizeof e);  // the size was checked above
  const std::string bad = invalid_event_field(e);
  if (!bad.empty()) {
    why = "resync event with an invalid " + bad;
    return JournalEventError::bad_value;
  }
  out = e;
  return JournalEventError::none;
}

}  // namespace fillwire
