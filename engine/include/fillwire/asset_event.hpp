#pragma once
// AssetEvent: one currency of one myAsset frame (PROTOCOL.md §8), the account's balance of that
// currency as the exchange reports it. A frame lists the currencies whose balance changed; it
// becomes one AssetEvent per currency, each with the frame's asset_uuid and times, its index in
// the frame and the frame's count, so a consumer can apply a frame as one change
// (is_last_in_frame()).
//
// Upbit's names: `balance` is what is available for new orders, `locked` what open orders and
// withdrawals hold; the account owns balance + locked (total()).
//
// Ring slots are OrderEvents (order_ring.hpp): an AssetEvent travels in one, kind ==
// EventKind::asset, its bytes copied in and out whole (store_asset / asset_of: std::bit_cast, no
// aliasing). seq, recv_ts, kind and origin sit at the same offsets in both, so the ring, the
// sequence check and the journal read them without knowing which it is.
//
// Thread contract: plain data, trivially copyable; the functions here are pure (any thread).
//
// Presence: bit `asset_field_bit(AssetField::x)` of `present` is set when the field was in the
// frame and not null.

#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <type_traits>

#include "fillwire/fixed_string.hpp"
#include "fillwire/order_event.hpp"
#include "fillwire/uuid.hpp"

namespace fillwire {

// The myAsset frame's own fields, then the fields of each element of `assets`, one row each in
// the order the exchange sends them. Same columns as FILLWIRE_ORDER_FIELDS (order_event.hpp):
// X(DEFAULT name, SIMPLE name, FieldKind, AssetEvent member, Presence). `assets` is the list
// itself (kind asset_list): its elements are read with FILLWIRE_ASSET_ITEM_FIELDS.
// clang-format off
#define FILLWIRE_ASSET_FIELDS(X)                                               \
  X(type,            "ty",     event_type,  type_known,      required)         \
  X(asset_uuid,      "astuid", uuid,        asset_uuid,      required)         \
  X(assets,          "ast",    asset_list,  count,           required)         \
  X(asset_timestamp, "asttms", millis,      asset_timestamp, required)         \
  X(timestamp,       "tms",    millis,      timestamp,       required)         \
  X(stream_type,     "st",     enumeration, stream_type,     optional)
#define FILLWIRE_ASSET_ITEM_FIELDS(X)                                          \
  X(currency,        "cu",     text,        currency,        required)         \
  X(balance,         "b",      real,        balance,         required)         \
  X(locked,          "l",      real,        locked,          required)
// clang-format on

// The value of the myAsset frame's `type` field.
inline constexpr std::string_view kMyAssetType = "myAsset";

// Frame fields first, then item fields, in table order.
enum class AssetField : std::uint8_t {
#define FILLWIRE_ASSET_FIELD_ENUM_(name, simple, kind, member, presence) name,
  FILLWIRE_ASSET_FIELDS(FILLWIRE_ASSET_FIELD_ENUM_)
      FILLWIRE_ASSET_ITEM_FIELDS(FILLWIRE_ASSET_FIELD_ENUM_)
#undef FILLWIRE_ASSET_FIELD_ENUM_
          count_,  // number of fields; not a field
  none = 0xFF,     // "no particular field"
};
inline constexpr std::size_t kAssetFieldCount = static_cast<std::size_t>(AssetField::count_);
static_assert(kAssetFieldCount == 9, "PROTOCOL.md §8 lists 6 myAsset fields and 3 per currency.");

inline constexpr FieldSpec kAssetFields[kAssetFieldCount] = {
#define FILLWIRE_ASSET_FIELD_SPEC_(name, simple, kind, member, presence) \
  {#name, simple, FieldKind::kind, Presence::presence},
    FILLWIRE_ASSET_FIELDS(FILLWIRE_ASSET_FIELD_SPEC_)
        FILLWIRE_ASSET_ITEM_FIELDS(FILLWIRE_ASSET_FIELD_SPEC_)
#undef FILLWIRE_ASSET_FIELD_SPEC_
};

[[nodiscard]] constexpr std::uint32_t asset_field_bit(AssetField f) noexcept {
  return std::uint32_t{1} << static_cast<unsigned>(f);
}

inline constexpr std::array<std::string_view, kAssetFieldCount> kAssetDefaultNames =
    field_names(kAssetFields, false);
inline constexpr std::array<std::string_view, kAssetFieldCount> kAssetSimpleNames =
    field_names(kAssetFields, true);

[[nodiscard]] constexpr std::string_view field_name(AssetField f) noexcept {
  return static_cast<std::size_t>(f) < kAssetFieldCount
             ? kAssetDefaultNames[static_cast<std::size_t>(f)]
             : std::string_view{"(frame)"};
}

inline constexpr std::uint32_t kRequiredAssetFields = fields_with(kAssetFields, Presence::required);

// Currency codes: "KRW", "BTC", "MOODENG"... A longer one is a decode error (too_long).
using CurrencyCode = FixedString<15>;

// The layout of AssetEvent's bytes as a journal keeps them: a reader takes a journaled asset
// event only when its layout number is its own (bump it with any change to the bytes).
inline constexpr std::uint16_t kAssetEventLayout = 1;

struct alignas(64) AssetEvent {
  // --- engine fields (not on the wire), at OrderEvent's offsets ---
  std::uint64_t seq;
  std::uint64_t recv_ts;

  // --- this currency (one element of `assets`) ---
  double balance;  // available for new orders
  double locked;   // held by open orders (and withdrawals)

  // --- the frame ---
  std::int64_t asset_timestamp;  // ms: when the exchange's balances were taken
  std::int64_t timestamp;        // ms: event time
  Uuid asset_uuid;               // the frame's id: every currency of a frame has the same one

  std::uint32_t present;  // presence bitmask, see asset_field_bit()
  std::uint16_t index;    // this currency's place in the frame's `assets`, from 0
  std::uint16_t count;    // how many currencies the frame has (>= 1)
  StreamType stream_type;
  std::uint8_t type_known;  // 1 when `type` was "myAsset"
  CurrencyCode currency;

  std::uint8_t reserved_[102];  // zero; keeps kind and origin at OrderEvent's offsets

  EventKind kind;  // EventKind::asset
  EventOrigin origin;
  std::uint8_t tail_[62];  // zero

  [[nodiscard]] bool has(AssetField f) const noexcept {
    return (present & asset_field_bit(f)) != 0;
  }
  [[nodiscard]] double total() const noexcept { return balance + locked; }
  [[nodiscard]] bool is_last_in_frame() const noexcept { return index + 1 == count; }
};

static_assert(std::is_trivially_copyable_v<AssetEvent> && std::is_standard_layout_v<AssetEvent> &&
                  std::is_trivially_default_constructible_v<AssetEvent>,
              "AssetEvent is copied as bytes through ring slots and journals.");
static_assert(sizeof(AssetEvent) == sizeof(OrderEvent) &&
                  alignof(AssetEvent) == alignof(OrderEvent),
              "An AssetEvent fills an OrderEvent ring slot exactly (std::bit_cast).");
static_assert(offsetof(AssetEvent, seq) == offsetof(OrderEvent, seq) &&
                  offsetof(AssetEvent, recv_ts) == offsetof(OrderEvent, recv_ts) &&
                  offsetof(AssetEvent, kind) == offsetof(OrderEvent, kind) &&
                  offsetof(AssetEvent, origin) == offsetof(OrderEvent, origin),
              "seq, recv_ts, kind and origin are read from a slot without knowing its kind.");
// Layout version 1 (kAssetEventLayout): journals hold these bytes.
static_assert(offsetof(AssetEvent, balance) == 16 && offsetof(AssetEvent, asset_uuid) == 48 &&
                  offsetof(AssetEvent, present) == 64 && offsetof(AssetEvent, index) == 68 &&
                  offsetof(AssetEvent, count) == 70 && offsetof(AssetEvent, stream_type) == 72 &&
                  offsetof(AssetEvent, currency) == 74 && offsetof(AssetEvent, kind) == 192,
              "AssetEvent's layout changed: bump kAssetEventLayout, then update these offsets.");

// A zeroed asset event (kind asset, origin `origin`) with the slot's seq and recv_ts left to the
// caller.
[[nodiscard]] inline AssetEvent make_asset_event(
    EventOrigin origin = EventOrigin::stream) noexcept {
  AssetEvent a{};
  a.kind = EventKind::asset;
  a.origin = origin;
  return a;
}

// Copies `a` into a ring slot; the slot's seq (the ring's) and recv_ts (the producer's) are kept.
inline void store_asset(OrderEvent& slot, const AssetEvent& a) noexcept {
  copy_wire_fields(slot, std::bit_cast<OrderEvent>(a));
}

// The asset event a slot of kind EventKind::asset carries.
[[nodiscard]] inline AssetEvent asset_of(const OrderEvent& slot) noexcept {
  return std::bit_cast<AssetEvent>(slot);
}

// Its asset_timestamp alone, read in place (8 bytes, not the whole event).
[[nodiscard]] inline std::int64_t asset_timestamp_of(const OrderEvent& slot) noexcept {
  std::int64_t t = 0;
  std::memcpy(&t,
              reinterpret_cast<const unsigned char*>(&slot) + offsetof(AssetEvent, asset_timestamp),
              sizeof t);
  return t;
}

}  // namespace fillwire
