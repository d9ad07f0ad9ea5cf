#include "resync_plan.hpp"

#include <algorithm>

#include "fillwire/detail/fill_window.hpp"
#include "subscription.hpp"

namespace fillwire::net {

Horizon closed_horizon(std::int64_t whole_until_ms, std::int64_t first_since_ms,
                       std::int64_t margin_ms, std::int64_t now_ms) noexcept {
  Horizon h;
  if (whole_until_ms >= 0) {
    h.since_ms = whole_until_ms - margin_ms;
  } else if (first_since_ms >= 0) {
    h.since_ms = first_since_ms;
  } else {
    return h;
  }
  // A minute inside the window: the request must still be inside it when the exchange reads it.
  const std::int64_t earliest = now_ms - kClosedWindowMs + 60'000;
  if (h.since_ms < earliest) {
    h.since_ms = earliest;
    h.clamped = true;
  }
  return h;
}

std::string_view to_string(ResyncBound b) noexcept {
  switch (b) {
    case ResyncBound::none:
      return "none";
    case ResyncBound::deadline:
      return "deadline";
    case ResyncBound::pages:
      return "pages";
    case ResyncBound::orders:
      return "orders";
    case ResyncBound::repeating:
      return "repeating pages";
    case ResyncBound::banned:
      return "banned";
  }
  return "unknown";
}

namespace {

// More progress: more trades, then more volume executed (the REST snapshot of a later moment).
bool more_progress(const OrderEvent& a, const OrderEvent& b) noexcept {
  return a.trades_count > b.trades_count || a.executed_volume > b.executed_volume;
}

}  // namespace

OrderCollection::Added OrderCollection::add(std::span<const OrderEvent> page) {
  Added r;
  for (const OrderEvent& o : page) {
    const auto it = index_.find(o.uuid);
    if (it != index_.end()) {
      ++r.duplicates;
      if (more_progress(o, orders_[it->second])) orders_[it->second] = o;
      continue;
    }
    if (orders_.size() >= max_) {
      r.full = true;
      continue;
    }
    index_.emplace(o.uuid, orders_.size());
    orders_.push_back(o);
    ++r.fresh;
  }
  return r;
}

std::vector<std::string> OrderCollection::markets() const {
  std::vector<std::string> out;
  for (const OrderEvent& o : orders_) {
    if (std::find(out.begin(), out.end(), o.code.view()) == out.end())
      out.emplace_back(o.code.view());
  }
  return out;
}

std::string OpenListing::query() const {
  return "states[]=wait&states[]=watch&page=" + std::to_string(page_) +
         "&limit=" + std::to_string(kPage) + "&order_by=asc";
}

std::optional<ResyncBound> OpenListing::on_page(std::span<const OrderEvent> page,
                                                OrderCollection& orders, std::size_t& duplicates) {
  const OrderCollection::Added a = orders.add(page);
  duplicates += a.duplicates;
  if (a.full) return ResyncBound::orders;
  if (page.size() < kPage) return ResyncBound::none;
  // A full page with nothing new: the listing does not advance (a page asked again would bring
  // the same answer).
  if (a.fresh == 0) return ResyncBound::repeating;
  if (page_ >= max_pages_) return ResyncBound::pages;
  ++page_;
  return std::nullopt;
}

std::optional<std::string> ClosedListing::query() const {
  if (done_) return std::nullopt;
  const std::string time = "start_time=" + std::to_string(start_);
  if (!parts_.empty()) {
    return time + "&end_time=" + std::to_string(start_ + 999) + parts_.back() +
           "&limit=" + std::to_string(kPage) + "&order_by=asc";
  }
  return time + "&limit=" + std::to_string(kPage) + "&order_by=asc";
}

void ClosedListing::next_second() {
  start_ += 1000;
  if (start_ > until_) done_ = true;
}

std::optional<ResyncBound> ClosedListing::on_page(std::span<const OrderEvent> page,
                                                  OrderCollection& orders,
                                                  std::string& unreachable) {
  const OrderCollection::Added a = orders.add(page);
  ++pages_;
  if (a.full) return ResyncBound::orders;
  if (!parts_.empty()) {  // a part of a full second
    const std::string part = parts_.back();
    parts_.pop_back();
    if (page.size() >= kPage) {
      if (part.find("&state=") == std::string::npos) {
        // A market still full: its two documented closed states apart.
        parts_.push_back(part + "&state=cancel");
        parts_.push_back(part + "&state=done");
      } else {
        unreachable = "over " + std::to_string(kPage) + " orders created in the second at " +
                      std::to_string(start_) + " ms match" + part;
      }
    }
    if (parts_.empty()) next_second();
  } else if (page.size() < kPage) {
    done_ = true;
  } else {
    std::int64_t newest = start_;
    for (const OrderEvent& o : page)
      newest = std::max(newest, o.order_timestamp);
    if (newest > start_) {
      start_ = newest;  // the next page starts at the newest second of this one
      if (start_ > until_) {
        // More orders may follow, created later than the local clock plus the accepted skew: an
        // exchange clock that far ahead (or a bogus stamp) ends the listing, and says so.
        done_ = true;
        unreachable = "orders created after " + std::to_string(until_) +
                      " ms (the local clock plus clock_skew_max) were not listed";
      }
    } else {
      // A full page within one second: ask it again per market (then per state).
      std::vector<std::string> markets = codes_;
      for (const std::string& m : orders.markets()) {
        // A code the exchange sent goes into a query only if it is a market code: anything else
        // could change the query. Its orders of that second are beyond reach, and said so.
        if (!valid_market_code(m)) {
          unreachable = "orders created in the second at " + std::to_string(start_) +
                        " ms in a market whose code cannot be queried";
          continue;
        }
        if (std::find(markets.begin(), markets.end(), m) == markets.end()) markets.push_back(m);
      }
      for (const std::string& m : markets)
        parts_.push_back("&market=" + m);
      if (parts_.empty()) next_second();
    }
  }
  if (done_) return ResyncBound::none;
  if (pages_ >= max_pages_) return ResyncBound::pages;
  return std::nullopt;
}

std::vector<std::string> uuid_queries(const OrderTracker& seen) {
  std::vector<std::string> out;
  std::size_t in_query = 0;
  seen.for_each_open([&](const Uuid& u) {
    if (in_query == 0) out.emplace_back();
    out.back() += (in_query == 0 ? "uuids[]=" : "&uuids[]=") + u.to_string();
    if (++in_query == 100) in_query = 0;
  });
  return out;
}

void StreamStart::on_event(const OrderEvent& e) {
  if (e.kind != EventKind::order) return;
  // A trade event brings its own trade; any other event the trades after its count.
  const std::uint32_t first =
      e.state == OrderState::trade && e.trades_count > 0 ? e.trades_count : e.trades_count + 1;
  if (const auto it = first_.find(e.uuid); it != first_.end()) {
    it->second = std::min(it->second, first);
  } else if (first_.size() < max_) {
    first_.emplace(e.uuid, first);
  }
}

std::optional<std::uint32_t> StreamStart::first_trade(const Uuid& id) const {
  if (const auto it = first_.find(id); it != first_.end()) return it->second;
  return std::nullopt;
}

OrderNeed order_need(const OrderEvent& order, const OrderTracker& seen, std::int64_t stream_from_ms,
                     const StreamStart* on_stream) {
  if (order.trades_count == 0 || seen.all_trades_seen(order.uuid, order.trades_count))
    return OrderNeed::snapshot;
  // created_at (whole seconds) after the stream's first event: every event of the order is on
  // the stream.
  if (stream_from_ms >= 0 && order.order_timestamp > stream_from_ms) return OrderNeed::stream;
  // The stream carries the order from trade `first` on, and every trade before it was seen.
  if (on_stream != nullptr) {
    if (const auto first = on_stream->first_trade(order.uuid);
        first && *first <= order.trades_count && seen.all_trades_seen(order.uuid, *first - 1))
      return OrderNeed::stream;
  }
  return OrderNeed::trades;
}

void PublishPlan::trades(const OrderEvent& order, std::span<const OrderEvent> trades,
                         const OrderTracker& seen) {
  bool later_trades = false;
  for (const OrderEvent& e : trades) {
    if (stream_from_ >= 0 && e.trade_timestamp > stream_from_) {
      later_trades = true;  // on the stream
    } else if (!seen.trade_seen(e.uuid, e.trades_count)) {
      missed_.push_back(e);
    }
  }
  if (!later_trades) snapshots_.push_back(&order);
}

std::vector<const OrderEvent*> PublishPlan::snapshot_after_trade() {
  std::vector<const OrderEvent*> after(missed_.size(), nullptr);
  std::unordered_map<Uuid, std::size_t, UuidHash> last;  // order -> index of its last trade
  for (std::size_t i = 0; i < missed_.size(); ++i)
    last[missed_[i].uuid] = i;
  for (const OrderEvent*& o : snapshots_) {
    if (const auto it = last.find(o->uuid); it != last.end()) {
      after[it->second] = o;
      o = nullptr;
    }
  }
  return after;
}

void PublishPlan::sort_missed() {
  std::sort(missed_.begin(), missed_.end(), [](const OrderEvent& a, const OrderEvent& b) {
    return FillKey{a.trade_timestamp, a.uuid, a.trades_count} <
           FillKey{b.trade_timestamp, b.uuid, b.trades_count};
  });
}

}  // namespace fillwire::net
