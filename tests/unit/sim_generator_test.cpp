// upbit-sim order flow: determinism, per-order consistency of every event, coverage of the order
// kinds PROTOCOL.md lists, and the ground truth against sums recomputed from the events.

#include <gtest/gtest.h>

#include <array>
#include <cstring>
#include <map>
#include <set>
#include <unordered_map>

#include "fillwire/decoder.hpp"
#include "fillwire/encoder.hpp"
#include "simulation.hpp"

namespace fillwire::sim {
namespace {

SimulationConfig config(std::uint64_t seed) {
  SimulationConfig c;
  c.generator.seed = seed;
  return c;
}

TEST(Generator, SameSeedSameStreamOtherSeedOtherStream) {
  Simulation a(config(7)), b(config(7)), c(config(8));
  for (int i = 0; i < 20'000; ++i) {
    a.next();
    b.next();
    c.next();
  }
  EXPECT_EQ(a.digest(), b.digest());
  EXPECT_NE(a.digest(), c.digest());
  EXPECT_EQ(a.truth_json(true), b.truth_json(true));
}

struct Seen {
  OrderCore last;
  bool terminal = false;
};

TEST(Generator, EveryEventIsConsistentWithItsOrdersHistory) {
  Simulation sim(config(42));
  std::unordered_map<Uuid, Seen, UuidHash> orders;
  std::array<Fx, kMarketCount> position{};
  std::array<I128, kMarketCount> fees{};
  std::set<OrderState> states;
  std::set<OrderType> types;
  std::set<TimeInForce> tifs;
  std::set<SmpType> smps;
  std::set<int> maker;
  std::uint64_t terminal = 0;
  std::int64_t last_ts = 0;

  for (int i = 0; i < 200'000; ++i) {
    const Emission& em = sim.next();
    const OrderEvent& e = em.event;
    const OrderCore& o = em.order;
    SCOPED_TRACE(::testing::Message() << "event " << i << ": " << encode(em.event));
    ASSERT_EQ(e.uuid, o.uuid);
    ASSERT_GE(e.timestamp, last_ts) << "event time goes backwards";
    last_ts = e.timestamp;
    states.insert(e.state);
    types.insert(e.order_type);
    if (e.has(Field::time_in_force)) tifs.insert(e.time_in_force);
    if (e.has(Field::smp_type)) smps.insert(e.smp_type);

    auto [it, first] = orders.try_emplace(o.uuid);
    Seen& s = it->second;
    ASSERT_FALSE(s.terminal) << "event after the order's final state";
    if (!first) {
      EXPECT_GE(o.executed, s.last.executed);
      EXPECT_GE(o.funds, s.last.funds);
      EXPECT_GE(o.paid_fee, s.last.paid_fee);
      EXPECT_GE(o.trades_count, s.last.trades_count);
      EXPECT_GE(o.prevented_volume, s.last.prevented_volume);
      EXPECT_EQ(o.created_ms, s.last.created_ms);
      EXPECT_EQ(o.reserved_fee, s.last.reserved_fee);
    }
    // Trade events: exactly one more trade, cumulative fields grow by the trade.
    if (e.state == OrderState::trade) {
      ASSERT_TRUE(em.has_trade);
      const Fx prev_exec = first ? 0 : s.last.executed;
      const Fx prev_funds = first ? 0 : s.last.funds;
      const Fx prev_fee = first ? 0 : s.last.paid_fee;
      EXPECT_EQ(o.trades_count, (first ? 0u : s.last.trades_count) + 1);
      EXPECT_EQ(o.executed - prev_exec, em.trade.volume);
      EXPECT_EQ(o.funds - prev_funds, em.trade.funds);
      EXPECT_EQ(o.paid_fee - prev_fee, em.trade.fee);
      EXPECT_EQ(em.trade.funds, fx_mul(em.trade.price, em.trade.volume));
      EXPECT_EQ(em.trade.fee, fx_rate(em.trade.funds, kFeeNum, kFeeDen));
      EXPECT_EQ(e.price, fx_to_double(em.trade.price));
      EXPECT_EQ(e.volume, fx_to_double(em.trade.volume));
      EXPECT_EQ(e.trade_fee, fx_to_double(em.trade.fee));
      ASSERT_TRUE(e.has(Field::trade_uuid) && e.has(Field::is_maker) &&
                  e.has(Field::trade_timestamp));
      maker.insert(e.is_maker);
      fees[o.market] += em.trade.fee;
      position[o.market] += o.side == Side::bid ? em.trade.volume : -em.trade.volume;
      ASSERT_GE(position[o.market], 0) << "sold more than held";
    } else {
      EXPECT_FALSE(e.has(Field::trade_uuid) || e.has(Field::trade_fee) || e.has(Field::is_maker));
    }
    // The wire values are the order's exact values.
    EXPECT_EQ(e.executed_volume, fx_to_double(o.executed));
    EXPECT_EQ(e.executed_funds, fx_to_double(o.funds));
    EXPECT_EQ(e.paid_fee, fx_to_double(o.paid_fee));
    EXPECT_EQ(e.locked, fx_to_double(o.locked));
    EXPECT_EQ(e.trades_count, o.trades_count);
    EXPECT_EQ(e.prevented_volume, fx_to_double(o.prevented_volume));
    // Volume bookkeeping.
    if (o.has_volume) {
      EXPECT_EQ(o.executed + o.remaining + o.prevented_volume, o.volume);
      EXPECT_GE(o.remaining, 0);
    } else {
      EXPECT_LE(o.funds, o.price) << "amount-based buy spent more than its amount";
    }
    // Fees and locked amounts.
    if (is_terminal(e.state)) {
      EXPECT_EQ(o.locked, 0);
      EXPECT_EQ(o.remaining_fee, 0);
      ++terminal;
      s.terminal = true;
      if (e.state == OrderState::prevented) {
        EXPECT_GT(o.prevented_volume, 0);
        EXPECT_EQ(o.remaining, 0);
        EXPECT_TRUE(e.has(Field::smp_type));
      }
      if (e.state == OrderState::done && o.has_volume) {
        EXPECT_EQ(o.remaining, 0);
      }
    } else {
      EXPECT_EQ(o.remaining_fee, std::max<Fx>(0, o.reserved_fee - o.paid_fee - o.prevented_fee));
      if (o.side == Side::ask) {
        EXPECT_EQ(o.reserved_fee, 0);
        EXPECT_EQ(o.locked, o.remaining);
      } else if (o.has_volume) {
        EXPECT_EQ(o.locked, fx_mul(o.price, o.remaining) + o.remaining_fee);
      } else {
        EXPECT_EQ(o.locked, o.price - o.funds + o.remaining_fee);
      }
    }
    if (o.side == Side::bid && first) {
      const Fx notional = o.has_volume ? fx_mul(o.price, o.volume) : o.price;
      EXPECT_EQ(o.reserved_fee, fx_rate(notional, kFeeNum, kFeeDen));
    }
    // Prices sit on the market's tick.
    if (o.type == OrderType::limit) {
      EXPECT_EQ(o.price % krw_tick(o.price), 0);
    }
    s.last = o;
    if (::testing::Test::HasFailure()) return;
  }

  const std::set<OrderState> all_states = {OrderState::wait,   OrderState::watch,
                                           OrderState::trade,  OrderState::done,
                                           OrderState::cancel, OrderState::prevented};
  EXPECT_EQ(states, all_states);
  EXPECT_EQ(types, (std::set<OrderType>{OrderType::limit, OrderType::price, OrderType::market,
                                        OrderType::best}));
  EXPECT_EQ(tifs,
            (std::set<TimeInForce>{TimeInForce::ioc, TimeInForce::fok, TimeInForce::post_only}));
  EXPECT_EQ(smps,
            (std::set<SmpType>{SmpType::reduce, SmpType::cancel_maker, SmpType::cancel_taker}));
  EXPECT_EQ(maker, (std::set<int>{0, 1}));

  // The truth agrees with what the events say.
  const Truth& t = sim.truth();
  EXPECT_EQ(t.events(), 200'000u);
  EXPECT_EQ(t.orders(), orders.size());
  const Outcomes& out = t.outcomes();
  EXPECT_EQ(out.done + out.cancel_unfilled + out.cancel_partial + out.prevented, terminal);
  for (std::size_t m = 0; m < kMarketCount; ++m) {
    EXPECT_EQ(t.market(m).position, position[m]) << kMarkets[m].code;
    EXPECT_TRUE(t.market(m).fees == fees[m]) << kMarkets[m].code;
  }
  // The book holds exactly the orders that are still open.
  std::size_t open = 0;
  for (const auto& [id, s] : orders)
    open += s.terminal ? 0 : 1;
  EXPECT_EQ(sim.book().open_orders().size(), open);
  // Its running locked sums equal a fresh count over the open orders.
  Fx krw = 0;
  std::array<Fx, kMarketCount> base{};
  for (const auto* r : sim.book().open_orders()) {
    (r->core.side == Side::bid ? krw : base[r->core.market]) += r->core.locked;
  }
  EXPECT_EQ(sim.book().locked_krw(), krw);
  for (std::size_t m = 0; m < kMarketCount; ++m)
    EXPECT_EQ(sim.book().locked_base(m), base[m]);
}

TEST(Generator, WireJsonDecodesBackToTheSameEvent) {
  Simulation sim(config(3));
  Decoder decoder;
  for (int i = 0; i < 5'000; ++i) {
    const Emission& em = sim.next();
    for (auto fmt : {WireFormat::full, WireFormat::simple}) {
      std::string json = encode(em.event, fmt);
      const std::size_t n = json.size();
      json.resize(n + kFramePadding, '\0');
      OrderEvent back;
      const FrameResult r = decoder.decode(json.data(), n, back);
      ASSERT_EQ(r.kind, FrameKind::order);
      ASSERT_TRUE(r.error.ok()) << to_string(r.error.code) << " " << field_name(r.error.field);
      EXPECT_EQ(back.uuid, em.event.uuid);
      EXPECT_EQ(back.state, em.event.state);
      EXPECT_EQ(back.executed_volume, em.event.executed_volume);
      EXPECT_EQ(back.executed_funds, em.event.executed_funds);
      EXPECT_EQ(back.paid_fee, em.event.paid_fee);
      EXPECT_EQ(back.present, em.event.present);
    }
  }
}

// Hand-worked numbers of tests/data/lifecycle.expected.md, through the truth's accounting.
TEST(Truth, AverageCostPnlMatchesTheWorkedExample) {
  Truth truth(fx_from_int(1'000'000'000));
  auto trade = [&](Side side, std::int64_t price, Fx volume, bool maker) {
    Emission e{};
    e.event.state = OrderState::trade;
    e.order.side = side;
    e.order.market = 0;
    e.order.uuid.bytes[0] = static_cast<std::uint8_t>(side);
    e.has_trade = true;
    e.trade.price = fx_from_int(price);
    e.trade.volume = volume;
    e.trade.funds = fx_mul(e.trade.price, volume);
    e.trade.fee = fx_rate(e.trade.funds, kFeeNum, kFeeDen);
    e.trade.maker = maker;
    truth.apply(e);
  };
  trade(Side::bid, 100'000'000, kFxOne * 4 / 10, true);
  trade(Side::bid, 100'000'000, kFxOne * 6 / 10, true);
  trade(Side::ask, 110'000'000, kFxOne / 2, false);
  const MarketTruth& m = truth.market(0);
  EXPECT_EQ(m.position, kFxOne / 2);
  EXPECT_DOUBLE_EQ(static_cast<double>(m.realized_gross / kFxOne), 5'000'000.0);
  EXPECT_DOUBLE_EQ(static_cast<double>(m.realized_net / kFxOne), 4'947'500.0);
  EXPECT_TRUE(m.fees == fx_from_int(77'500));
  EXPECT_EQ(m.trades, 3u);
  EXPECT_EQ(m.maker_trades, 2u);
  EXPECT_DOUBLE_EQ(static_cast<double>(m.cost_net / m.position), 100'050'000.0);
}

TEST(Truth, FillsComeInTradeTimeOrder) {
  // The truth's PnL is the trade-time order's (truth.hpp): the generator must emit fills in it.
  Simulation sim(config(21));
  for (int i = 0; i < 50'000; ++i)
    sim.next();
  EXPECT_GT(sim.truth().market(0).trades, 100u);
  EXPECT_EQ(sim.truth().fills_out_of_trade_order(), 0u);
  EXPECT_NE(sim.truth_json(false).find("\"fills_out_of_trade_order\":0"), std::string::npos);

  // And the check sees a fill that comes too early: a second trade one millisecond older.
  Truth truth;
  Emission e{};
  e.event.state = OrderState::trade;
  e.order.side = Side::bid;
  e.has_trade = true;
  e.trade.price = fx_from_int(100);
  e.trade.volume = kFxOne;
  e.trade.funds = fx_from_int(100);
  e.trade.timestamp = 2'000;
  e.order.trades_count = 1;
  truth.apply(e);
  e.trade.timestamp = 1'999;
  e.order.uuid.bytes[0] = 1;
  truth.apply(e);
  EXPECT_EQ(truth.fills_out_of_trade_order(), 1u);
}

}  // namespace
}  // namespace fillwire::sim
