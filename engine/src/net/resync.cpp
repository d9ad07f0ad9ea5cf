// The resync's REST conversation (see resync.hpp). No OrderEvent (alignas 64) lives in a
// coroutine frame: GCC 12 allocates frames without honouring over-aligned locals, and aligned
// moves into one crash. Orders stay in vectors; answers are turned into events by plain functions.

#include "resync.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <chrono>
#include <stdexcept>

#include "fillwire/detail/rest_orders.hpp"
#include "rate_window.hpp"

namespace fillwire::net {

namespace asio = boost::asio;

namespace {

struct AuthRefused : std::runtime_error {
  using std::runtime_error::runtime_error;
};
struct Banned : std::runtime_error {
  using std::runtime_error::runtime_error;
};
// A bound of LiveConfig reached: the resync stops, incomplete.
struct BoundReached {
  ResyncBound bound;
};

constexpr std::chrono::milliseconds kRetryAfterCap{3'600'000};

class Conversation {
 public:
  Conversation(ResyncContext c, ResyncRequest r) : ctx_(c), req_(r) {}

  asio::awaitable<ResyncOutcome> run() {
    try {
      co_await open_orders();
      if (req_.since_ms >= 0) co_await closed_orders();
      co_await seen_orders();
      if (ctx_.cfg.balances) co_await accounts();
      co_await plan_and_publish();
      co_return out_;
    } catch (const BoundReached& b) {
      out_.result = ResyncResult::incomplete;
      out_.bound = b.bound;
    } catch (const RestAborted&) {
      out_.result = ResyncResult::incomplete;
      out_.bound = ResyncBound::deadline;
    } catch (const Banned&) {
      out_.result = ResyncResult::incomplete;
      out_.bound = ResyncBound::banned;
    } catch (const AuthRefused& e) {
      out_.result = ResyncResult::auth_refused;
      out_.detail = e.what();
    } catch (const std::exception& e) {
      out_.result = ResyncResult::failed;
      out_.detail = e.what();
    }
    out_.orders = orders_.size();
    co_return out_;
  }

 private:
  // One request, retried on 429 (after Retry-After, or a growing pause) and twice on 5xx; a 418
  // bans the whole process until its Retry-After and ends the resync.
  asio::awaitable<RestAnswer> call(const std::string& endpoint, const std::string& query) {
    int server_errors = 0;
    for (int tries = 0;; ++tries) {
      ++out_.requests;
      RestAnswer a = co_await ctx_.rest.get(endpoint, query, ctx_.credentials);
      if (a.status == 429 && tries < 10) {
        ctx_.n.rest_throttled.add();
        const auto wait = retry_after(a.retry_after, std::chrono::milliseconds(250 * (tries + 1)),
                                      kRetryAfterCap);
        ctx_.host.control(ControlCode::rate_limited, "HTTP 429",
                          static_cast<double>(wait.count()) / 1000.0);
        co_await ctx_.rest.pause(wait);
        continue;
      }
      if (a.status == 418) {
        ctx_.n.rest_banned.add();
        const auto ban = retry_after(a.retry_after, ctx_.cfg.ban_default, kRetryAfterCap);
        exchange_ban().ban_until(std::chrono::steady_clock::now() + ban);
        ctx_.host.control(ControlCode::rate_limited, "HTTP 418",
                          static_cast<double>(ban.count()) / 1000.0);
        ctx_.host.notice("BANNED by the exchange (HTTP 418 from " + endpoint +
                         "): nothing is sent to it for " + std::to_string(ban.count() / 1000) +
                         " s");
        throw Banned("HTTP 418");
      }
      if (a.status >= 500) {
        ctx_.n.rest_server_errors.add();
        if (server_errors++ < 2) {
          co_await ctx_.rest.pause(std::chrono::milliseconds(50 * server_errors));
          continue;
        }
      }
      if (a.status == 401 || a.status == 403) {
        throw AuthRefused(endpoint + " answered HTTP " + std::to_string(a.status));
      }
      co_return a;
    }
  }

  asio::awaitable<std::span<const OrderEvent>> orders_of(const std::string& endpoint,
                                                         const std::string& query) {
    RestAnswer a = co_await call(endpoint, query);
    const RestParseResult& parsed = parser_.orders(a.body, req_.as_of_ms);
    ctx_.rest.recycle(std::move(a.body));
    if (a.status != 200 || !parsed.ok()) {
      // parsed.error quotes the exchange's error name and message (capped, escaped, redacted).
      throw std::runtime_error(endpoint + " answered HTTP " + std::to_string(a.status) +
                               (parsed.ok() ? "" : ": " + parsed.error));
    }
    co_return std::span<const OrderEvent>(parsed.orders);  // valid until the next page
  }

  static void stop_at(std::optional<ResyncBound> step) {
    if (step && *step != ResyncBound::none) throw BoundReached{*step};
  }

  asio::awaitable<void> open_orders() {
    OpenListing listing(ctx_.cfg.resync_max_pages);
    for (;;) {
      const auto page = co_await orders_of("/orders/open", listing.query());
      std::size_t duplicates = 0;
      const auto step = listing.on_page(page, orders_, duplicates);
      ctx_.n.resync_duplicates.add(duplicates);
      stop_at(step);
      if (step) co_return;
    }
  }

  asio::awaitable<void> closed_orders() {
    ClosedListing listing(req_.since_ms, req_.until_ms, ctx_.cfg.resync_max_pages, ctx_.cfg.codes);
    while (const auto query = listing.query()) {
      const auto page = co_await orders_of("/orders/closed", *query);
      std::string unreachable;
      const auto step = listing.on_page(page, orders_, unreachable);
      if (!unreachable.empty()) {
        ctx_.n.resync_incomplete.add();
        ctx_.host.notice("RESYNC INCOMPLETE: " + unreachable +
                         "; /orders/closed cannot list the rest");
      }
      stop_at(step);
      if (step) co_return;
    }
  }

  // Every order this client saw open: closed ones the time window might have missed.
  asio::awaitable<void> seen_orders() {
    for (const std::string& query : uuid_queries(ctx_.seen)) {
      const auto page = co_await orders_of("/orders/uuids", query);
      if (orders_.add(page).full) throw BoundReached{ResyncBound::orders};
    }
  }

  // The balances, kept until the orders' events are out. Stamped with the time of the answer in
  // the exchange's clock as far as it is known: the local time, or the newest exchange time read
  // from the socket so far if later (the exchange's stamps may run ahead of the local clock, and
  // every frame read before the answer was sent before the list was taken, give or take the
  // request's round trip). A myAsset frame stamped at or before that is older than the list and
  // ignored as stale when it is published after it; one stamped later is applied after it.
  asio::awaitable<void> accounts() {
    RestAnswer a = co_await call("/accounts", {});
    const auto answered_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                                 std::chrono::system_clock::now().time_since_epoch())
                                 .count();
    const std::int64_t as_of = std::max({answered_ms, req_.as_of_ms, ctx_.host.newest_read_ms()});
    RestAccountsResult parsed = parser_.accounts(a.body, as_of);
    ctx_.rest.recycle(std::move(a.body));
    if (a.status != 200 || !parsed.ok()) {
      throw std::runtime_error("/accounts answered HTTP " + std::to_string(a.status) +
                               (parsed.ok() ? "" : ": " + parsed.error));
    }
    balances_ = std::move(parsed.assets);
  }

  asio::awaitable<void> plan_and_publish() {
    PublishPlan plan(req_.stream_from_ms);
    for (std::size_t i = 0; i < orders_.size(); ++i) {
      switch (order_need(orders_.orders()[i], ctx_.seen, req_.stream_from_ms, &ctx_.on_stream)) {
        case OrderNeed::snapshot:
          plan.snapshot(orders_.orders()[i]);
          break;
        case OrderNeed::stream:
          break;
        case OrderNeed::trades: {
          ctx_.n.resync_trade_queries.add();
          RestAnswer a = co_await call("/order", "uuid=" + orders_.orders()[i].uuid.to_string());
          take_trades(a, orders_.orders()[i], plan);
          ctx_.rest.recycle(std::move(a.body));
          break;
        }
      }
    }
    out_.missed_trades = plan.missed();
    plan.publish([this](const OrderEvent& e) {
      ctx_.host.publish(e);
      ++out_.published;
    });
    for (const AssetEvent& b : balances_)
      ctx_.host.publish(b);
    out_.balances = balances_.size();
    ctx_.n.resync_trades.add(out_.missed_trades);
  }

  // The order's trades as stream events (GET /v1/order); when unavailable, the snapshot brings
  // the order's totals and its fills land at one time.
  void take_trades(const RestAnswer& a, OrderEvent& order, PublishPlan& plan) {
    const RestOrderTrades r = parser_.order_trades(a.body, req_.as_of_ms);
    TradeEventsResult t;
    if (a.status != 200 || !r.ok()) {
      t.error = "HTTP " + std::to_string(a.status) + (r.ok() ? "" : ": " + r.error);
    } else {
      t = trade_events(r);
    }
    if (!t.ok()) {
      ctx_.n.resync_trades_unavailable.add();
      ctx_.host.notice("resync: trades of order " + order.uuid.to_string() + " unavailable (" +
                       t.error + "); its fills are applied from the order's totals");
      plan.snapshot(order);
      return;
    }
    if (r.order.trades_count >= order.trades_count) order = r.order;  // the fresher
    plan.trades(order, t.events, ctx_.seen);
  }

  ResyncContext ctx_;
  ResyncRequest req_;
  // One parser for every answer, its buffers sized by the largest page; freed with the resync.
  RestOrdersParser parser_;
  OrderCollection orders_{ctx_.cfg.resync_max_orders};
  std::vector<AssetEvent> balances_;  // GET /v1/accounts, published after the orders
  ResyncOutcome out_;
};

}  // namespace

asio::awaitable<ResyncOutcome> run_resync(ResyncContext ctx, ResyncRequest req) {
  Conversation c(ctx, req);
  co_return co_await c.run();
}

//--------------------------------------------------------------------------------------------------

void ResyncRunner::start(const ResyncRequest& req, Done done) {
  running_ = true;
  done_ = std::move(done);
  ctx_.host.control(ControlCode::resync_begin, {}, 0);
  ctx_.rest.reset();
  const std::uint64_t id = ++id_;
  deadline_.expires_after(ctx_.cfg.resync_timeout);
  deadline_.async_wait([this, id](const boost::system::error_code& e) {
    if (!e && id == id_ && running_) ctx_.rest.abort();
  });
  asio::co_spawn(deadline_.get_executor(), run_resync(ctx_, req),
                 [this](const std::exception_ptr& escaped, ResyncOutcome out) {
                   if (escaped) {
                     out = ResyncOutcome{};
                     out.result = ResyncResult::failed;
                     out.detail = "internal error";
                   }
                   finish(out);
                 });
}

void ResyncRunner::finish(const ResyncOutcome& out) {
  running_ = false;
  deadline_.cancel();
  ctx_.rest.close();  // no idle connection between resyncs
  report(out);
  std::exchange(done_, nullptr)(out);
}

void ResyncRunner::report(const ResyncOutcome& out) {
  LiveCounterSet& n = ctx_.n;
  ResyncHost& host = ctx_.host;
  switch (out.result) {
    case ResyncResult::ok:
      n.resyncs.add();
      host.control(ControlCode::resynced, {}, static_cast<double>(out.published));
      host.notice("resynced: " + std::to_string(out.published - out.missed_trades) + " orders, " +
                  std::to_string(out.missed_trades) + " missed trades and " +
                  std::to_string(out.balances) + " balances from REST");
      return;
    case ResyncResult::incomplete:
      n.resync_incomplete.add();
      host.control(ControlCode::resync_incomplete, to_string(out.bound),
                   static_cast<double>(out.orders));
      host.notice("RESYNC INCOMPLETE: stopped at its bound (" + std::string(to_string(out.bound)) +
                  ") after " + std::to_string(out.requests) + " REST requests and " +
                  std::to_string(out.orders) +
                  " orders; nothing of it was published; reconnecting with backoff");
      return;
    case ResyncResult::failed:
      n.resync_failures.add();
      host.control(ControlCode::resync_failed, "rest", 0);
      host.notice("RESYNC FAILED: " + out.detail + "; reconnecting to retry it");
      return;
    case ResyncResult::auth_refused:
      n.resync_failures.add();
      host.control(ControlCode::resync_failed, "rest auth", 0);
      return;
  }
}

}  // namespace fillwire::net
