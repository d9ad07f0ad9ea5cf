#pragma once
// OrderEvent: one myOrder event from Upbit's private WebSocket, decoded into a fixed-size POD that
// lives in a ring slot. Every field of PROTOCOL.md §4 is here, numbers as the exchange sent them
// (double / int64 ms / uint32), text inline, enums as uint8 with an explicit `unknown`.
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

// The 29 fields, numbered in the order the exchange itself sends them (see frames/myorder-trade-*).
enum class Field : std::uint8_t {
  type,
  code,
  uuid,
  ask_bid,
  order_type,
  state,
  trade_uuid,
  price,
  avg_price,
  volume,
  remaining_volume,
  executed_volume,
  trades_count,
  reserved_fee,
  remaining_fee,
  paid_fee,
  locked,
  executed_funds,
  time_in_force,
  trade_fee,
  is_maker,
  identifier,
  smp_type,
  prevented_volume,
  prevented_locked,
  trade_timestamp,
  order_timestamp,
  timestamp,
  stream_type,
  count_,       // number of fields; not a field
  none = 0xFF,  // "no particular field", used by errors about the whole frame
};
inline constexpr std::size_t kFieldCount = static_cast<std::size_t>(Field::count_);
static_assert(kFieldCount == 29, "PROTOCOL.md §4 lists 29 myOrder fields.");

[[nodiscard]] constexpr std::uint32_t field_bit(Field f) noexcept {
  return std::uint32_t{1} << static_cast<unsigned>(f);
}

// DEFAULT (full) and SIMPLE (abbreviated) names, indexed by Field.
inline constexpr std::string_view kDefaultNames[kFieldCount] = {"type",
                                                                "code",
                                                                "uuid",
                                                                "ask_bid",
                                                                "order_type",
                                                                "state",
                                                                "trade_uuid",
                                                                "price",
                                                                "avg_price",
                                                                "volume",
                                                                "remaining_volume",
                                                                "executed_volume",
                                                                "trades_count",
                                                                "reserved_fee",
                                                                "remaining_fee",
                                                                "paid_fee",
                                                                "locked",
                                                                "executed_funds",
                                                                "time_in_force",
                                                                "trade_fee",
                                                                "is_maker",
                                                                "identifier",
                                                                "smp_type",
                                                                "prevented_volume",
                                                                "prevented_locked",
                                                                "trade_timestamp",
                                                                "order_timestamp",
                                                                "timestamp",
                                                                "stream_type"};
inline constexpr std::string_view kSimpleNames[kFieldCount] = {
    "ty", "cd", "uid",  "ab",  "ot",  "s",    "tuid", "p",   "ap",  "v",
    "rv", "ev", "tc",   "rsf", "rmf", "pf",   "l",    "ef",  "tif", "tf",
    "im", "id", "smpt", "pv",  "pl",  "ttms", "otms", "tms", "st"};

[[nodiscard]] constexpr std::string_view field_name(Field f) noexcept {
  return static_cast<std::size_t>(f) < kFieldCount ? kDefaultNames[static_cast<std::size_t>(f)]
                                                   : std::string_view{"(frame)"};
}

// Fields without which an event cannot be applied to the account: absent or null is an error.
inline constexpr std::uint32_t kRequiredFields =
    field_bit(Field::type) | field_bit(Field::code) | field_bit(Field::uuid) |
    field_bit(Field::ask_bid) | field_bit(Field::order_type) | field_bit(Field::state) |
    field_bit(Field::executed_volume) | field_bit(Field::trades_count) |
    field_bit(Field::paid_fee) | field_bit(Field::executed_funds) | field_bit(Field::timestamp);

enum class Side : std::uint8_t { unknown, ask, bid };
enum class OrderType : std::uint8_t { unknown, limit, price, market, best };
enum class OrderState : std::uint8_t { unknown, wait, watch, trade, done, cancel, prevented };
enum class TimeInForce : std::uint8_t { unknown, ioc, fok, post_only };
enum class SmpType : std::uint8_t { unknown, reduce, cancel_maker, cancel_taker };
enum class StreamType : std::uint8_t { unknown, realtime, snapshot };

// What a ring slot carries: an order event, or (later) a connection notice in order with the data.
enum class EventKind : std::uint8_t { order, control };
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

[[nodiscard]] constexpr std::string_view to_string(Side v) noexcept {
  return enum_name(v, kSideNames);
}
[[nodiscard]] constexpr std::string_view to_string(OrderType v) noexcept {
  return enum_name(v, kOrderTypeNames);
}
[[nodiscard]] constexpr std::string_view to_string(OrderState v) noexcept {
  return enum_name(v, kStateNames);
}
[[nodiscard]] constexpr std::string_view to_string(TimeInForce v) noexcept {
  return enum_name(v, kTimeInForceNames);
}
[[nodiscard]] constexpr std::string_view to_string(SmpType v) noexcept {
  return enum_name(v, kSmpTypeNames);
}
[[nodiscard]] constexpr std::string_view to_string(StreamType v) noexcept {
  return enum_name(v, kStreamTypeNames);
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
  std::uint64_t seq;      // assigned by the producer, strictly increasing per session
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

// Zeroes everything the wire fills (from `price` on), leaving the producer's `seq` and `recv_ts`.
inline void clear_wire_fields(OrderEvent& e) noexcept {
  constexpr std::size_t kWireBegin = offsetof(OrderEvent, price);
  std::memset(reinterpret_cast<char*>(&e) + kWireBegin, 0, sizeof(OrderEvent) - kWireBegin);
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
                  static_cast<unsigned>(EventOrigin::replay) == 2 && kFieldCount == 29,
              "An enum of OrderEvent changed: bump kOrderEventLayout (journaled events), then "
              "update these counts.");

}  // namespace fillwire
