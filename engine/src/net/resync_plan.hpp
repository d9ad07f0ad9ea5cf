#pragma once
// The resync's decisions, apart from any socket: which exchange times to trust, from when to ask
// for closed orders, how to page the listings and when to stop, one copy of each order, and which
// events to publish in which order. Pure functions and small value types, unit tested alone
// (tests/unit/resync_plan_test.cpp); the REST conversation that feeds them is in resync.cpp.
//
// Thread contract: none shared; the network thread uses them during a resync. Cold (allocates).

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "fillwire/order_event.hpp"
#include "order_tracker.hpp"

namespace fillwire::net {

//--------------------------------------------------------------------------------------------------
// Clocks: an exchange time steers the resync only when the local clock finds it plausible.

enum class ClockVerdict : std::uint8_t { plausible, ahead, behind };

struct ClockBounds {
  std::int64_t skew_max_ms;  // allowed ahead of the local clock
  std::int64_t age_max_ms;   // allowed behind it
};

[[nodiscard]] constexpr ClockVerdict check_exchange_time(std::int64_t exchange_ms,
                                                         std::int64_t local_ms,
                                                         ClockBounds b) noexcept {
  if (exchange_ms > local_ms + b.skew_max_ms) return ClockVerdict::ahead;
  if (exchange_ms < local_ms - b.age_max_ms) return ClockVerdict::behind;
  return ClockVerdict::plausible;
}

// /orders/closed accepts a window of at most 7 days.
inline constexpr std::int64_t kClosedWindowMs = 7 * 24 * 3600 * 1000LL;

struct Horizon {
  std::int64_t since_ms = -1;  // ask for orders closed since this; -1: do not ask
  bool clamped = false;        // wanted earlier than REST's window reaches
};

// How far the state was whole when a whole connection was lost: through the exchange time of the
// last event the client read (`last_read_ms`, a plausible stream time, -1 none) or the local time
// the connection subscribed (`subscribed_ms`: its resync covered what came before, its stream was
// to bring what came after), whichever is later. Not the local time of the loss: a client behind
// the stream (a slow strategy, a starved host, reading paused while a resync ran, a connection
// lost before its first frames) loses every event between the last one it read and the loss, and
// an order created and closed among them would be asked for from too late. The last event read,
// not the newest stamp: a stray stamp ahead steers only while it is the last one.
[[nodiscard]] constexpr std::int64_t whole_until(std::int64_t last_read_ms,
                                                 std::int64_t subscribed_ms) noexcept {
  return std::max(last_read_ms, subscribed_ms);
}

// `whole_until_ms`: whole_until() of the last whole connection lost, or -1 before any.
// `first_since_ms`: the configured start for the first connect, -1 none.
[[nodiscard]] Horizon closed_horizon(std::int64_t whole_until_ms, std::int64_t first_since_ms,
                                     std::int64_t margin_ms, std::int64_t now_ms) noexcept;

//--------------------------------------------------------------------------------------------------
// Bounds a resync can stop at.

enum class ResyncBound : std::uint8_t { none, deadline, pages, orders, repeating, banned };
[[nodiscard]] std::string_view to_string(ResyncBound b) noexcept;

struct UuidHash {
  std::size_t operator()(const Uuid& u) const noexcept { return u.hash(); }
};

// The orders of one resync, one copy each (the one with the most progress), at most `max_orders`.
class OrderCollection {
 public:
  explicit OrderCollection(std::size_t max_orders) : max_(max_orders) {}

  struct Added {
    std::size_t fresh = 0;       // orders new to the collection
    std::size_t duplicates = 0;  // orders it already had
    bool full = false;           // some did not fit: max_orders reached
  };
  Added add(std::span<const OrderEvent> page);
  void clear() noexcept {  // keeps the memory
    orders_.clear();
    index_.clear();
  }

  [[nodiscard]] std::size_t size() const noexcept { return orders_.size(); }
  [[nodiscard]] std::deque<OrderEvent>& orders() noexcept { return orders_; }
  [[nodiscard]] const std::deque<OrderEvent>& orders() const noexcept { return orders_; }
  // Markets of the collected orders, in first-seen order.
  [[nodiscard]] std::vector<std::string> markets() const;

 private:
  std::size_t max_;
  // A deque: one copy of each order, grown in blocks, never moved (a vector's doubling would hold
  // the old and the new array at once, half again the collection's size).
  std::deque<OrderEvent> orders_;
  std::unordered_map<Uuid, std::size_t, UuidHash> index_;
};

// GET /orders/open, 100 orders a page by page number, until a short page.
class OpenListing {
 public:
  static constexpr std::size_t kPage = 100;
  explicit OpenListing(std::size_t max_pages) : max_pages_(max_pages) {}

  [[nodiscard]] std::string query() const;  // the next page's query string
  // The page's answer, added to `orders`: std::nullopt to go on, else done (none) or a bound.
  std::optional<ResyncBound> on_page(std::span<const OrderEvent> page, OrderCollection& orders,
                                     std::size_t& duplicates);

 private:
  std::size_t max_pages_;
  std::size_t page_ = 1;
};

// GET /orders/closed since a time, 1000 a page, oldest first. The listing filters and sorts by
// created_at (whole seconds): each next page starts at the newest second of the last. A full
// page within one second is asked again per market, a market still full per state (done,
// cancel); a part still full is beyond reach (counted, reported). Stops at `until_ms` (the local
// clock ahead by the accepted skew).
class ClosedListing {
 public:
  static constexpr std::size_t kPage = 1000;
  ClosedListing(std::int64_t since_ms, std::int64_t until_ms, std::size_t max_pages,
                std::vector<std::string> codes)
      : start_(since_ms), until_(until_ms), max_pages_(max_pages), codes_(std::move(codes)) {}

  // The next query, or std::nullopt when the listing is done.
  [[nodiscard]] std::optional<std::string> query() const;
  // As OpenListing::on_page (pages overlap by design here: repeats are not duplicates);
  // `unreachable` is set to a description when a part is beyond reach.
  std::optional<ResyncBound> on_page(std::span<const OrderEvent> page, OrderCollection& orders,
                                     std::string& unreachable);

 private:
  void next_second();

  std::int64_t start_;
  std::int64_t until_;
  std::size_t max_pages_;
  std::size_t pages_ = 0;
  std::vector<std::string> codes_;
  bool done_ = false;
  // A full second being split by market and state: the parts left, as query suffixes.
  std::vector<std::string> parts_;
};

// GET /orders/uuids for the orders seen open: 100 uuids a query.
[[nodiscard]] std::vector<std::string> uuid_queries(const OrderTracker& seen);

//--------------------------------------------------------------------------------------------------
// What to publish: trades the client missed, one by one in trade-time order, and one snapshot
// per order (right after the order's last missed trade).

// The orders the new connection's stream carries, as far as the client has read it (its first
// frame and the frames held while the resync runs): for each, the first trade number the stream
// brings. The stream delivers an order's events in order, so every later trade is on it too.
// Bounded: past `max_orders` orders, the rest are not remembered (they are judged by time).
class StreamStart {
 public:
  explicit StreamStart(std::size_t max_orders) : max_(max_orders) {}

  void clear() noexcept { first_.clear(); }
  void on_event(const OrderEvent& e);
  // The first trade number the stream brings for the order, if it carries the order.
  [[nodiscard]] std::optional<std::uint32_t> first_trade(const Uuid& id) const;

 private:
  struct Hash {
    std::size_t operator()(const Uuid& u) const noexcept { return u.hash(); }
  };
  std::unordered_map<Uuid, std::uint32_t, Hash> first_;
  std::size_t max_;
};

enum class OrderNeed : std::uint8_t {
  snapshot,  // no fill the client lacks: the snapshot brings state and terms
  trades,    // fills the client did not see: fetch the order's trades first
  stream,    // the fills the client lacks are all on the new stream, with the order's state
};

// `stream_from_ms`: the exchange time of the new connection's first event (-1: none yet).
// `on_stream`: the orders the new stream is known to carry (may be null).
[[nodiscard]] OrderNeed order_need(const OrderEvent& order, const OrderTracker& seen,
                                   std::int64_t stream_from_ms,
                                   const StreamStart* on_stream = nullptr);

class PublishPlan {
 public:
  explicit PublishPlan(std::int64_t stream_from_ms) : stream_from_(stream_from_ms) {}

  void snapshot(const OrderEvent& order) { snapshots_.push_back(&order); }
  // The order's trades (as the stream would have sent them): those not seen and not left to the
  // stream are kept; the snapshot follows unless the stream brings later trades of the order.
  void trades(const OrderEvent& order, std::span<const OrderEvent> trades,
              const OrderTracker& seen);

  // Calls f(event) for the missed trades in trade-time order, each order's snapshot right after
  // its last missed trade, then the snapshots of the orders with no missed trade. An order a
  // trade opens is closed by its snapshot before the later orders' trades come: the account holds
  // as many open at once as the exchange had, not every order of the gap (which could fill its
  // open-order table and refuse events).
  template <class F>
  void publish(F&& f) {
    sort_missed();
    std::vector<const OrderEvent*> after = snapshot_after_trade();
    for (std::size_t i = 0; i < missed_.size(); ++i) {
      f(missed_[i]);
      if (after[i] != nullptr) f(*after[i]);
    }
    for (const OrderEvent* o : snapshots_) {
      if (o != nullptr) f(*o);
    }
  }
  [[nodiscard]] std::size_t missed() const noexcept { return missed_.size(); }
  [[nodiscard]] std::size_t snapshots() const noexcept { return snapshots_.size(); }

 private:
  void sort_missed();
  // For each missed trade, the snapshot to publish right after it (that of its order, after its
  // last trade), taken out of snapshots_ (left null there); null elsewhere.
  std::vector<const OrderEvent*> snapshot_after_trade();

  std::int64_t stream_from_;
  std::deque<OrderEvent> missed_;             // as OrderCollection's: grown in blocks
  std::vector<const OrderEvent*> snapshots_;  // into the OrderCollection, which outlives the plan
};

}  // namespace fillwire::net
