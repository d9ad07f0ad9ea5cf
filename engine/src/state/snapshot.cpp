#include "fillwire/account_snapshot.hpp"

#include <algorithm>

#include "fillwire/account_state.hpp"
#include "fillwire/clock.hpp"
#include "fillwire/control_event.hpp"

namespace fillwire {

void SnapshotTracker::on_control(const OrderEvent& e) noexcept {
  const ControlCode code = control_code(e);
  connection.last_code = code;
  connection.last_ms = e.timestamp;
  if (code == ControlCode::resync_begin || code == ControlCode::resynced ||
      code == ControlCode::resync_failed || code == ControlCode::resync_incomplete) {
    connection.last_resync = code;
  }
  switch (code) {
    case ControlCode::connected:
      connection.connected = true;
      ++connection.connects;
      break;
    case ControlCode::disconnected:
      connection.connected = false;
      ++connection.disconnects;
      break;
    case ControlCode::resynced:
      ++connection.resyncs;
      break;
    case ControlCode::resync_failed:
      ++connection.resync_failures;
      break;
    case ControlCode::auth_failed:
      ++connection.auth_failures;
      break;
    case ControlCode::server_error:
      ++connection.server_errors;
      break;
    case ControlCode::resync_incomplete:
      ++connection.resync_incomplete;
      break;
    case ControlCode::rate_limited:
      ++connection.rate_limited;
      break;
    case ControlCode::resync_begin:
      break;
  }
}

void SnapshotTracker::on_fill(const OrderEvent& e) noexcept {
  SnapshotFill& f = fills[fill_total++ % AccountSnapshot::kMaxFills];
  f.order = e.uuid;
  f.code = e.code;
  f.side = e.ask_bid;
  f.maker = e.is_maker != 0;
  f.price = e.price;
  f.volume = e.volume;
  f.fee = e.has(Field::trade_fee) ? e.trade_fee : 0.0;
  f.trade_ts = e.has(Field::trade_timestamp) ? e.trade_timestamp : e.timestamp;
}

void fill_snapshot(const AccountState& account, const SnapshotTracker& tracker,
                   std::uint64_t version, AccountSnapshot& out) noexcept {
  out.version = version;
  out.taken_ns = now_steady_ns();
  out.counters = account.counters();
  out.order_events = out.counters.events - out.counters.not_order - out.counters.assets;
  out.total = account.total_stats();
  out.smp = account.smp();
  out.connection = tracker.connection;
  out.latency = tracker.latency;

  out.market_count = account.market_count();
  for (std::size_t m = 0; m < out.markets_shown(); ++m) {
    const auto index = static_cast<std::uint16_t>(m);
    out.markets[m].position = account.position_at(index);
    out.markets[m].stats = account.stats_at(index);
  }

  out.open_orders = account.open_order_count();
  for (std::size_t i = 0; i < out.open_shown(); ++i) {
    const Order& o = account.open_order(i);
    SnapshotOrder& s = out.open[i];
    s.uuid = o.uuid;
    s.code = o.code;
    s.side = o.side;
    s.order_type = o.order_type;
    s.state = o.state;
    s.price = o.price;
    s.volume = o.volume;
    s.executed_volume = o.executed_volume;
    s.order_ts = o.order_ts;
  }

  out.balance_count = account.currency_count();
  for (std::size_t c = 0; c < out.balances_shown(); ++c)
    out.balances[c] = account.balance_at(static_cast<std::uint16_t>(c));
  const DriftList& drifts = account.drifts();
  out.drift_count = std::min(drifts.size(), AccountSnapshot::kMaxDrifts);
  for (std::size_t i = 0; i < out.drift_count; ++i)
    out.drifts[i] = drifts[drifts.size() - 1 - i];  // newest first

  // Newest first.
  const std::uint64_t kept =
      std::min<std::uint64_t>(tracker.fill_total, AccountSnapshot::kMaxFills);
  out.fill_count = static_cast<std::size_t>(kept);
  for (std::uint64_t i = 0; i < kept; ++i) {
    const std::uint64_t n = tracker.fill_total - 1 - i;
    out.fills[i] = tracker.fills[n % AccountSnapshot::kMaxFills];
  }
}

}  // namespace fillwire
