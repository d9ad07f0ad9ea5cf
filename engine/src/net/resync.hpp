#pragma once
// The resync's REST conversation: orders open, orders closed since the horizon, every order seen
// open, the balances (GET /v1/accounts, when LiveConfig::balances), then the trades of orders with
// fills the client missed. Nothing is published until every answer is in: the orders' events,
// then the balances as one list (AccountState takes it as the whole account, as of the answer). The decisions are the pure ones
// of resync_plan.hpp; this runs them against the exchange, within the bounds of LiveConfig
// (pages, orders; the caller enforces the whole resync's deadline through RestSession::abort),
// and answers 429 (wait, retry), 418 (a ban for the whole process: stop) and 5xx (retry twice).
//
// Thread contract: the network thread only, as a coroutine on its io_context. Cold path.

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "fillwire/asset_event.hpp"
#include "fillwire/auth.hpp"
#include "fillwire/control_event.hpp"
#include "fillwire/detail/rest_orders.hpp"
#include "fillwire/live_source.hpp"
#include "live_counters.hpp"
#include "order_tracker.hpp"
#include "rest_session.hpp"
#include "resync_plan.hpp"

namespace fillwire::net {

struct ResyncRequest {
  std::int64_t since_ms = -1;        // closed orders since (local clock); -1: none asked
  std::int64_t until_ms = 0;         // the closed listing stops past this (local clock + skew)
  std::int64_t as_of_ms = 0;         // the resync events' timestamp
  std::int64_t stream_from_ms = -1;  // exchange time of the new stream's first event; -1 none
};

enum class ResyncResult : std::uint8_t { ok, failed, incomplete, auth_refused };

struct ResyncOutcome {
  ResyncResult result = ResyncResult::ok;
  ResyncBound bound = ResyncBound::none;  // incomplete: which bound stopped it
  std::string detail;                     // failed / auth_refused: why (no secret in it)
  std::size_t requests = 0;               // REST requests it made
  std::size_t orders = 0;                 // distinct orders it fetched
  std::size_t published = 0;              // events it published
  std::size_t missed_trades = 0;          // of which missed trades
  std::size_t balances = 0;               // currencies published from GET /v1/accounts
};

// What the resync needs from its connection.
class ResyncHost {
 public:
  virtual void publish(const OrderEvent& e) = 0;  // one resync event, in order
  virtual void publish(const AssetEvent& a) = 0;  // one currency of the resync's balances
  virtual void notice(const std::string& text) = 0;
  // The newest plausible exchange time read from the socket so far (frames held included), -1
  // none: a balance list answered now was taken after all of it.
  [[nodiscard]] virtual std::int64_t newest_read_ms() const noexcept = 0;
  // A control event into the ring, in order with the data (control_event.hpp).
  virtual void control(ControlCode code, std::string_view reason, double count) noexcept = 0;

 protected:
  ~ResyncHost() = default;
};

struct ResyncContext {
  const LiveConfig& cfg;
  const Credentials& credentials;
  const OrderTracker& seen;
  const StreamStart& on_stream;  // filled on as the held frames arrive
  RestSession& rest;
  LiveCounterSet& n;
  ResyncHost& host;
};

// Never throws: every failure is in the outcome.
boost::asio::awaitable<ResyncOutcome> run_resync(ResyncContext ctx, ResyncRequest req);

// One resync at a time, as a coroutine beside the read loop, under one deadline for all of it
// (cfg.resync_timeout: the REST session is aborted when it passes). Its outcome is reported (a
// counter, a control event, a notice) before it is handed to `done`.
class ResyncRunner {
 public:
  using Done = std::function<void(const ResyncOutcome&)>;
  ResyncRunner(boost::asio::io_context& ioc, ResyncContext ctx) : ctx_(ctx), deadline_(ioc) {}

  // Precondition: !running(). Opens the control bracket with resync_begin.
  void start(const ResyncRequest& req, Done done);
  [[nodiscard]] bool running() const noexcept { return running_; }

 private:
  void finish(const ResyncOutcome& out);
  void report(const ResyncOutcome& out);

  ResyncContext ctx_;
  boost::asio::steady_timer deadline_;
  Done done_;
  std::uint64_t id_ = 0;
  bool running_ = false;
};

}  // namespace fillwire::net
