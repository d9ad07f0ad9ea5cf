#pragma once
// OrderEvent: one myOrder event from Upbit's private WebSocket, decoded into a fixed-size POD that
// lives in a ring slot. Every field of PROTOCOL.md §4 is here, numbers as the exchange sent them
// (double / int64 ms / uint32), text inline, enums as uint8 with an explicit `unknown`. The field
// table (FILLWIRE_ORDER_FIELDS below) lists them once for the decoder and the encoder.
//
// Thread contract: plain data, trivially copyable; the functions here are pure (any thread).
//
// Presence: bit `field_bit(Field::x)` of `present` is set when the field was in the frame and not
// null. Fields without their bit hold a zero value and must not be read as data.
//
// Inline capacities:
//   code        15 chars (a longer one is a decode error `too_long`, never a silent truncation):
//               Upbit markets are QUOTE-BASE with a 3-4 letter quote (KRW, BTC, USDT) and base
//               symbols of at most ~10 letters today ("KRW-MOODENG" is 11).
//   identifier  45 bytes kept whole; Upbit publishes no limit, so a longer one keeps the event, its
//               first bytes, a cut flag and a hash of the whole text (client_id.hpp).

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <iterator>
#include <string_view>
#include <type_traits>

#include "fillwire/client_id.hpp"
#include "fillwire/fixed_string.hpp"
#include "fillwire/uuid.hpp"

namespace fillwire {

// How a field's value is read, written and stored.
enum class FieldKind : std::uint8_t {
  event_type,   // the event's type name ("myOrder"); stored as a 0/1 flag
  text,         // short string, FixedString<N>: longer is an error (too_long)
  uuid,         // 36-char UUID, Uuid
  enumeration,  // one of an enum's wire spellings (wire_names below)
  real,         // JSON number, double
  count,        // non-negative integer, uint32
  millis,       // integer milliseconds since the epoch, int64
  flag,         // true/false, uint8 0/1
  client_id,    // client identifier, ClientId: a longer one is cut, not refused (client_id.hpp)
  asset_list,   // myAsset's `assets`: a list of {currency, balance, locked} (asset_event.hpp)
};

// Whether a field may be missing. null and absent are the same to the decoder.
enum class Presence : std::uint8_t {
  required,  // absent or null is an error (missing_field)
  optional,  // may be absent; the encoder omits it when absent
  nullable,  // may be absent; the exchange sends null when not applicable, and so does the encoder
};

// The myOrder fields (PROTOCOL.md §4), one row each, in the order the exchange sends them
// (frames/myorder-trade-*). The Field enum, the name tables, the required and nullable sets, both
// decoder paths and the encoder are generated from this list. To add a field: add its row here and
// its member to OrderEvent (a new layout: see kOrderEventLayout).
//
// X(DEFAULT name, SIMPLE name, FieldKind, OrderEvent member, Presence)
// clang-format off
#define FILLWIRE_ORDER_FIELDS(X)                                            \
  X(type,             "ty",   event_type,  type_known,       required)      \
  X(code,             "cd",   text,        code,             required)      \
  X(uuid,             "uid",  uuid,        uuid,             required)      \
  X(ask_bid,          "ab",   enumeration, ask_bid,          required)      \
  X(order_type,       "ot",   enumeration, order_type,       required)      \
  X(state,            "s",    enumeration, state,            required)      \
  X(trade_uuid,       "tuid", uuid,        trade_uuid,       nullable)      \
  X(price,            "p",    real,        price,            optional)      \
  X(avg_price,        "ap",   real,        avg_price,        optional)      \
  X(volume,           "v",    real,        volume,           optional)      \
  X(remaining_volume, "rv",   real,        remaining_volume, optional)      \
  X(executed_volume,  "ev",   real,        executed_volume,  required)      \
  X(trades_count,     "tc",   count,       trades_count,     required)      \
  X(reserved_fee,     "rsf",  real,        reserved_fee,     optional)      \
  X(remaining_fee,    "rmf",  real,        remaining_fee,    optional)      \
  X(paid_fee,         "pf",   real,        paid_fee,         required)      \
  X(locked,           "l",    real,        locked,           optional)      \
  X(executed_funds,   "ef",   real,        executed_funds,   required)      \
  X(time_in_force,    "tif",  enumeration, time_in_force,    nullable)      \
  X(trade_fee,        "tf",   real,        trade_fee,        nullable)      \
  X(is_maker,         "im",   flag,        is_maker,         nullable)      \
  X(identifier,       "id",   client_id,   identifier,       nullable)      \
  X(smp_type,         "smpt", enumeration, smp_type,         nullable)      \
  X(prevented_volume, "pv",   real,        prevented_volume, optional)      \
  X(prevented_locked, "pl",   real,        prevented_locked, optional)      \
  X(trade_timestamp,  "ttms", millis,      trade_timestamp,  nullable)      \
  X(order_timestamp,  "otms", millis,      order_timestamp,  optional)      \
  X(timestamp,        "tms",  millis,      timestamp,        required)      \
  X(stream_type,      "st",   enumeration, stream_type,      optional)
// clang-format on

// The value of the myOrder event's `type` field.
inline constexpr std::string_view kMyOrderType = "myOrder";

// One row of a field table, as data.
struct FieldSpec {
  std::string_view name;    // DEFAULT
  std::string_view simple;  // SIMPLE
  FieldKind kind;
  Presence presence;
};

// The myOrder fields in table order; Field::x is the row of DEFAULT name x.
enum class Field : std::uint8_t {
#define FILLWIRE_FIELD_ENUM_(name, simple, kind, member, presence) name,
  FILLWIRE_ORDER_FIELDS(FILLWIRE_FIELD_ENUM_)
#undef FILLWIRE_FIELD_ENUM_
      count_,   // number of fields; not a field
  none = 0xFF,  // "no particular field", used by errors about the whole frame
};
inline constexpr std::size_t kFieldCount = static_cast<std::size_t>(Field::count_);
static_assert(kFieldCount == 29, "PROTOCOL.md §4 lists 29 myOrder fields.");
static_assert(kFieldCount <= 32, "Presence is a 32-bit mask.");

inline constexpr FieldSpec kOrderFields[kFieldCount] = {
#define FILLWIRE_FIELD_SPEC_(name, simple, kind, member, presence) \
  {#name, simple, FieldKind::kind, Presence::presence},
    FILLWIRE_ORDER_FIELDS(FILLWIRE_FIELD_SPEC_)
#undef FILLWIRE_FIELD_SPEC_
};

[[nodiscard]] constexpr std::uint32_t field_bit(Field f) noexcept {
  return std::uint32_t{1} << static_cast<unsigned>(f);
}

// The DEFAULT or SIMPLE names of a field table, indexed by its field enum.
template <std::size_t N>
[[nodiscard]] constexpr std::array<std::string_view, N> field_names(const FieldSpec (&table)[N],
                                                                    bool simple) noexcept {
  std::array<std::string_view, N> names{};
  for (std::size_t i = 0; i < N; ++i)
    names[i] = simple ? table[i].simple : table[i].name;
  return names;
}

// The presence bits of a field table's fields that have presence `p`.
template <std::size_t N>
[[nodiscard]] constexpr std::uint32_t fields_with(const FieldSpec (&table)[N],
                                                  Presence p) noexcept {
  std::uint32_t bits = 0;
  for (std::size_t i = 0; i < N; ++i)
    bits |= table[i].presence == p ? std::uint32_t{1} << i : 0;
  return bits;
}

inline constexpr std::array<std::string_view, kFieldCount> kDefaultNames =
    field_names(kOrderFields, false);
inline constexpr std::array<std::string_view, kFieldCount> kSimpleNames =
    field_names(kOrderFields, true);

[[nodiscard]] constexpr std::string_view field_name(Field f) noexcept {
  return static_cast<std::size_t>(f) < kFieldCount ? kDefaultNames[static_cast<std::size_t>(f)]
                                                   : std::string_view{"(frame)"};
}

// Fields without which an event cannot be applied to the account: absent or null is an error.
inline constexpr std::uint32_t kRequiredFields = fields_with(kOrderFields, Presence::required);
// Fields the exchange sends as null when not applicable (PROTOCOL.md §4: "string/null" etc.).
inline constexpr std::uint32_t kNullableFields = fields_with(kOrderFields, Presence::nullable);

enum class Side : std::uint8_t { unknown, ask, bid };
enum class OrderType : std::uint8_t { unknown, limit, price, market, best };
enum class OrderState : std::uint8_t { unknown, wait, watch, trade, done, cancel, prevented };
enum class TimeInForce : std::uint8_t { unknown, ioc, fok, post_only };
enum class SmpType : std::uint8_t { unknown, reduce, cancel_maker, cancel_taker };
enum class StreamType : std::uint8_t { unknown, realtime, snapshot };

// What a ring slot carries: an order event, a connection notice in order with the data
// (control_event.hpp), or one currency's balance (AssetEvent, asset_event.hpp).
enum class EventKind : std::uint8_t { order, control, asset };
// Where an order event came from: the live stream, a REST resync, or a journal/file replay.
enum class EventOrigin : std::uint8_t { stream, resync, replay };

// Wire spellings, indexed by enum value (index 0, `unknown`, has none).
inline constexpr std::string_view kSideNames[] = {"", "ASK", "BID"};
inline constexpr std::string_view kOrderTypeNames[] = {"", "limit", "price", "market", "best"};
inline constexpr std::string_view kStateNames[] = {"",     "wait",   "watch",    "trade",
                                                   "done", "cancel", "prevented"};
inline constexpr std::string_view kTimeInForceNames[] = {"", "ioc", "fok", "post_only"};
inline constexpr std::string_view kSmpTypeNames[] = {"", "reduce", "cancel_maker", "cancel_taker"};
inline constexpr std::string_view kStreamTypeNames[] = {"", "REALTIME", "SNAPSHOT"};

template <class E, std::size_t N>
[[nodiscard]] constexpr std::string_view enum_name(E e,
                                                   const std::string_view (&names)[N]) noexcept {
  const auto i = static_cast<std::size_t>(e);
  return i < N && i != 0 ? names[i] : std::string_view{"unknown"};
}
// The enum value whose wire spelling is `text`; false (and `out` untouched) when there is none.
template <class E, std::size_t N>
[[nodiscard]] constexpr bool enum_from(std::string_view text, const std::string_view (&names)[N],
                                       E& out) noexcept {
  for (std::size_t i = 1; i < N; ++i) {
    if (names[i] == text) {
      out = static_cast<E>(i);
      return true;
    }
  }
  return false;
}

// Each enum's wire spellings, found by its type: WireNames::of(value). Code generated from a field
// table reads and writes an `enumeration` field through it.
struct WireNames {
  static constexpr const auto& of(Side) noexcept { return kSideNames; }
  static constexpr const auto& of(OrderType) noexcept { return kOrderTypeNames; }
  static constexpr const auto& of(OrderState) noexcept { return kStateNames; }
  static constexpr const auto& of(TimeInForce) noexcept { return kTimeInForceNames; }
  static constexpr const auto& of(SmpType) noexcept { return kSmpTypeNames; }
  static constexpr const auto& of(StreamType) noexcept { return kStreamTypeNames; }
};

// The wire spelling of an enum value; "unknown" for `unknown` or a value out of range.
template <class E>
requires requires(E e) {
  WireNames::of(e);
}
[[nodiscard]] constexpr std::string_view to_string(E v) noexcept {
  return enum_name(v, WireNames::of(v));
}

[[nodiscard]] constexpr bool is_terminal(OrderState s) noexcept {
  return s == OrderState::done || s == OrderState::cancel || s == OrderState::prevented;
}

using MarketCode = FixedString<15>;

// The layout of OrderEvent's bytes as a journal keeps them (JournalKind::resync_event,
// journal_event.hpp): a reader takes a journaled event only when its layout number is its own.
inline constexpr std::uint16_t kOrderEventLayout = 1;

// Journals keep these bytes as they are (a resync event): any change that moves, resizes, adds,
// removes or reinterprets a byte (a field, its type or order, an enum's values, ClientId's or
// FixedString's layout) must bump kOrderEventLayout above and update the offsets checked below the
// struct, so that journals of the old layout are refused instead of misread.
struct alignas(64) OrderEvent {
  // --- engine fields (not on the wire) ---
  std::uint64_t seq;      // the ring's publication number (OrderRing::publish): never a producer's
  std::uint64_t recv_ts;  // receive time: steady-clock ns or TSC ticks, set by the producer

  // --- numbers (PROTOCOL.md §4) ---
  double price;  // order price; for state=trade, the trade price
  double avg_price;
  double volume;  // order volume; for state=trade, the trade volume
  double remaining_volume;
  double executed_volume;  // cumulative
  double reserved_fee;
  double remaining_fee;
  double paid_fee;  // cumulative
  double locked;
  double executed_funds;  // cumulative, quote currency
  double trade_fee;       // nullable: only for state=trade
  double prevented_volume;
  double prevented_locked;
  std::int64_t trade_timestamp;  // ms since epoch, nullable
  std::int64_t order_timestamp;  // ms
  std::int64_t timestamp;        // ms, event time

  Uuid uuid;
  Uuid trade_uuid;  // nullable

  std::uint32_t trades_count;  // cumulative
  std::uint32_t present;       // presence bitmask, see field_bit()

  // --- enums ---
  Side ask_bid;
  OrderType order_type;
  OrderState state;
  TimeInForce time_in_force;  // nullable
  SmpType smp_type;           // nullable
  StreamType stream_type;
  std::uint8_t is_maker;    // 0/1, nullable
  std::uint8_t type_known;  // 1 when `type` was "myOrder"
  EventKind kind;
  EventOrigin origin;

  MarketCode code;
  ClientId identifier;  // nullable

  [[nodiscard]] bool has(Field f) const noexcept { return (present & field_bit(f)) != 0; }
};

// What the wire fills: every byte from `price` on. `seq` (the ring's) and `recv_ts` (the
// producer's) come before it. A producer writes a claimed slot through these two and the decoder,
// never as a whole: the ring's consumer may be reading the slot's `seq` at the same time.
inline constexpr std::size_t kWireFieldsBegin = offsetof(OrderEvent, price);

// Zeroes everything the wire fills, leaving `seq` and `recv_ts`.
inline void clear_wire_fields(OrderEvent& e) noexcept {
  std::memset(reinterpret_cast<char*>(&e) + kWireFieldsBegin, 0,
              sizeof(OrderEvent) - kWireFieldsBegin);
}

// Copies everything the wire fills from `from` into `slot`, leaving the slot's `seq` and `recv_ts`.
inline void copy_wire_fields(OrderEvent& slot, const OrderEvent& from) noexcept {
  std::memcpy(reinterpret_cast<char*>(&slot) + kWireFieldsBegin,
              reinterpret_cast<const char*>(&from) + kWireFieldsBegin,
              sizeof(OrderEvent) - kWireFieldsBegin);
}

static_assert(std::is_trivially_copyable_v<OrderEvent>,
              "OrderEvent is copied with memcpy into ring slots and journals: it must be trivially "
              "copyable.");
static_assert(std::is_standard_layout_v<OrderEvent>,
              "OrderEvent must be standard layout so offsets are stable for journals and tools.");
static_assert(alignof(OrderEvent) == 64,
              "OrderEvent starts on a cache line: no false sharing "
              "between adjacent ring slots' headers.");
static_assert(sizeof(OrderEvent) == 256, "OrderEvent is exactly four cache lines.");
static_assert(std::is_trivially_default_constructible_v<OrderEvent>,
              "Ring slots are allocated once, uninitialised; the decoder fills every field.");

// Layout version 1 (kOrderEventLayout): journals hold these bytes. A failure here means the layout
// changed: bump kOrderEventLayout, then update these figures.
static_assert(offsetof(OrderEvent, seq) == 0 && offsetof(OrderEvent, recv_ts) == 8,
              "seq and recv_ts come first, before what the wire fills (copy_wire_fields).");
static_assert(offsetof(OrderEvent, price) == 16 && offsetof(OrderEvent, prevented_locked) == 112 &&
                  offsetof(OrderEvent, trade_timestamp) == 120 &&
                  offsetof(OrderEvent, timestamp) == 136 && offsetof(OrderEvent, uuid) == 144 &&
                  offsetof(OrderEvent, trade_uuid) == 160 &&
                  offsetof(OrderEvent, trades_count) == 176 &&
                  offsetof(OrderEvent, present) == 180 && offsetof(OrderEvent, ask_bid) == 184 &&
                  offsetof(OrderEvent, stream_type) == 189 &&
                  offsetof(OrderEvent, is_maker) == 190 && offsetof(OrderEvent, origin) == 193 &&
                  offsetof(OrderEvent, code) == 194 && offsetof(OrderEvent, identifier) == 210,
              "OrderEvent's layout changed: bump kOrderEventLayout (journaled events), then update "
              "these offsets.");
static_assert(std::size(kSideNames) == 3 && std::size(kOrderTypeNames) == 5 &&
                  std::size(kStateNames) == 7 && std::size(kTimeInForceNames) == 4 &&
                  std::size(kSmpTypeNames) == 4 && std::size(kStreamTypeNames) == 3 &&
                  static_cast<unsigned>(EventKind::control) == 1 &&
                  static_cast<unsigned>(EventKind::asset) == 2 &&
                  static_cast<unsigned>(EventOrigin::replay) == 2 && kFieldCount == 29,
              "An enum of OrderEvent changed: bump kOrderEventLayout (journaled events), then "
              "update these counts.");

}  // namespace fillwire
