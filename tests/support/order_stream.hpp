#pragma once
// A realistic myOrder event stream for benchmarks: many orders in flight across several markets,
// each with a full lifecycle (wait -> 0..3 partial trades -> done 65 % / cancel 25 % / prevented
// 5 %), interleaved at random; 5 % of orders are first seen mid-life (their wait is missing) and
// about 3 % of events are duplicates re-sent a little later. Amounts are decimal, like the
// exchange's (order_lifecycle.hpp with exact = false).
//
// Times rise as the exchange sends them: every event is a few ms after the one before it, and a
// trade's time is just before its event's. salt_uuids() gives every order of a stream new ids and
// moves its times past the previous pass, so a stream replayed in passes is new, later orders each
// pass rather than duplicates (or late fills) of the last one.

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <random>
#include <span>
#include <string_view>
#include <utility>
#include <vector>

#include "fillwire/order_event.hpp"
#include "order_lifecycle.hpp"

namespace fillwire::test {

struct StreamSpec {
  std::size_t events = 4096;  // at least this many; every lifecycle started is completed
  std::span<const std::string_view> markets;
  std::size_t in_flight = 256;  // orders open at a time
  std::uint64_t seed = 20261125;
};

inline std::vector<OrderEvent> make_order_stream(const StreamSpec& spec) {
  std::mt19937_64 rng{spec.seed};
  struct Active {
    std::vector<OrderEvent> events;
    std::size_t next;
  };
  std::vector<Active> active;
  std::vector<OrderEvent> stream;
  stream.reserve(spec.events + 4096);
  std::int64_t t0 = 1764000000000;
  std::int64_t clock = t0;
  while (stream.size() < spec.events || !active.empty()) {
    while (stream.size() < spec.events && active.size() < spec.in_flight) {
      LifecycleSpec life;
      life.market = spec.markets[rng() % spec.markets.size()];
      life.side = (rng() & 1) != 0 ? Side::bid : Side::ask;
      life.trades = static_cast<std::uint32_t>(rng() % 4);
      const auto roll = rng() % 100;
      life.ending = roll < 65 ? Ending::done : roll < 95 ? Ending::cancel : Ending::prevented;
      if (life.ending == Ending::done && life.trades == 0) life.trades = 1;
      life.exact = false;
      life.t0 = (t0 += 7);
      Active a{make_lifecycle(rng, life, make_uuid(rng)), 0};
      if (rng() % 100 < 5) a.next = 1;  // first seen mid-life
      active.push_back(std::move(a));
    }
    const std::size_t i = static_cast<std::size_t>(rng() % active.size());
    Active& a = active[i];
    OrderEvent& next = a.events[a.next++];
    next.timestamp = (clock += 3);
    if (next.has(Field::trade_timestamp)) next.trade_timestamp = clock - 1;
    stream.push_back(next);
    if (rng() % 100 < 3) stream.push_back(a.events[rng() % a.next]);  // a duplicate
    if (a.next == a.events.size()) {
      active[i] = std::move(active.back());
      active.pop_back();
    }
  }
  return stream;
}

// The salt of pass `pass`: XORed into the first 8 bytes of every order id (pass 0 leaves them).
[[nodiscard]] inline std::uint64_t uuid_salt(std::uint64_t pass) noexcept {
  return pass * 0x9E3779B97F4A7C15ull;
}

// How far pass `pass` moves a stream's times (ms): past every time of the pass before.
[[nodiscard]] inline std::int64_t pass_shift_ms(std::size_t stream_events,
                                                std::uint64_t pass) noexcept {
  return static_cast<std::int64_t>(stream_events) * 4 * static_cast<std::int64_t>(pass);
}

// Pass `pass` of `stream`, made from pass 0 (call it on the original for each pass, or on the
// previous pass with pass = 1: salts and shifts compose).
inline void salt_uuids(std::vector<OrderEvent>& stream, std::uint64_t pass) noexcept {
  const std::int64_t shift = pass_shift_ms(stream.size(), pass);
  for (OrderEvent& e : stream) {
    std::uint64_t w;
    std::memcpy(&w, e.uuid.bytes.data(), 8);
    w ^= uuid_salt(pass);
    std::memcpy(e.uuid.bytes.data(), &w, 8);
    e.timestamp += shift;
    e.order_timestamp += shift;
    if (e.has(Field::trade_timestamp)) e.trade_timestamp += shift;
  }
}

}  // namespace fillwire::test
