// upbit-sim balances: the myAsset frames the simulation makes (what each holds, in both name
// forms), external deposits and withdrawals (bounds, reproducibility, exact sums), and the truth's
// accounts against both.

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <set>
#include <string>

#include "asset.hpp"
#include "simulation.hpp"

namespace fillwire::sim {
namespace {

using nlohmann::json;

SimulationConfig config(std::uint64_t seed, double move_prob, std::size_t keep = 100'000) {
  SimulationConfig c;
  c.generator.seed = seed;
  c.moves.prob = move_prob;
  c.moves.keep = keep;
  return c;
}

std::set<std::string> keys(const json& object) {
  std::set<std::string> out;
  for (const auto& [k, v] : object.items())
    out.insert(k);
  return out;
}

// Every external movement of a run of `events` order events, as the truth lists them.
json moves_of(std::uint64_t seed, int events, double prob) {
  Simulation sim(config(seed, prob));
  for (int i = 0; i < events; ++i) {
    sim.next();
    (void)sim.external_move();
  }
  return json::parse(sim.truth_json(false))["external_moves"];
}

TEST(AssetJson, NamesEveryFieldAsProtocolSection8InBothForms) {
  AssetUpdate u;
  u.asset_uuid.bytes[0] = 0xAB;
  u.timestamp_ms = 1'764'000'000'123;
  u.items[0] = {0, {I128{1'000'000'000} * kFxOne + 5, kFxOne / 2}};  // 1000000000.00000005, 0.5
  u.items[1] = {1, {12'345, 0}};                                     // BTC 0.00012345, 0
  u.count = 2;
  const json full = json::parse(asset_event_json(u, false));
  EXPECT_EQ(keys(full), (std::set<std::string>{"type", "asset_uuid", "assets", "asset_timestamp",
                                               "timestamp", "stream_type"}));
  EXPECT_EQ(full["type"], "myAsset");
  EXPECT_EQ(full["asset_uuid"], "ab000000-0000-0000-0000-000000000000");
  EXPECT_EQ(full["asset_timestamp"], 1'764'000'000'123);
  EXPECT_EQ(full["timestamp"], 1'764'000'000'123);
  EXPECT_EQ(full["stream_type"], "REALTIME");
  ASSERT_EQ(full["assets"].size(), 2u);
  EXPECT_EQ(keys(full["assets"][0]), (std::set<std::string>{"currency", "balance", "locked"}));
  EXPECT_EQ(full["assets"][0]["currency"], "KRW");
  EXPECT_EQ(full["assets"][0]["locked"], 0.5);
  EXPECT_EQ(full["assets"][1]["currency"], "BTC");
  EXPECT_EQ(full["assets"][1]["balance"], 0.00012345);
  // The exact decimals are written out, nothing rounded away.
  const std::string text = asset_event_json(u, false);
  EXPECT_NE(text.find(R"("balance":1000000000.00000005)"), std::string::npos) << text;

  const json simple = json::parse(asset_event_json(u, true));
  EXPECT_EQ(keys(simple), (std::set<std::string>{"ty", "astuid", "ast", "asttms", "tms", "st"}));
  EXPECT_EQ(keys(simple["ast"][1]), (std::set<std::string>{"cu", "b", "l"}));
  EXPECT_EQ(simple["ast"][1]["cu"], "BTC");
  EXPECT_EQ(simple["astuid"], full["asset_uuid"]);
  EXPECT_EQ(simple["asttms"], full["asset_timestamp"]);
}

// After every event and movement the last frame of each currency shows its balance now; an
// order's frame holds only KRW and its market's currency, and only those that changed; a
// movement's frame holds its currency alone.
TEST(SimBalances, EveryFrameShowsTheBalancesItChangedAndNothingElse) {
  Simulation sim(config(11, 0.05));
  std::array<Balance, kCurrencyCount> shown{};
  shown[kKrw].available = sim.truth().initial_krw();
  std::uint64_t frames = 0;
  std::uint64_t single = 0;
  std::uint64_t silent = 0;
  std::uint64_t moves = 0;
  for (int i = 0; i < 50'000; ++i) {
    const Emission& em = sim.next();
    const std::size_t base = currency_of_market(em.order.market);
    if (const AssetUpdate* a = sim.order_assets()) {
      ++frames;
      single += a->count == 1 ? 1u : 0u;
      EXPECT_EQ(a->timestamp_ms, em.event.timestamp);
      for (std::size_t k = 0; k < a->count; ++k) {
        const auto c = a->items[k].currency;
        ASSERT_TRUE(c == kKrw || c == base) << i;
        EXPECT_NE(a->items[k].balance, shown[c]) << "a frame with an unchanged currency";
        shown[c] = a->items[k].balance;
      }
    } else {
      ++silent;
    }
    if (const ExternalMove* m = sim.external_move()) {
      ++moves;
      const AssetUpdate& a = sim.move_assets();
      ASSERT_EQ(a.count, 1u);
      ASSERT_EQ(a.items[0].currency, m->currency);
      EXPECT_EQ(a.asset_uuid, m->asset_uuid);
      EXPECT_EQ(a.timestamp_ms, m->timestamp_ms);
      EXPECT_GE(m->timestamp_ms, em.event.timestamp);
      // Exactly the amount moved: locked untouched.
      EXPECT_EQ(a.items[0].balance.available, shown[m->currency].available + m->amount);
      EXPECT_EQ(a.items[0].balance.locked, shown[m->currency].locked);
      shown[m->currency] = a.items[0].balance;
    }
    for (std::size_t c = 0; c < kCurrencyCount; ++c) {
      ASSERT_EQ(shown[c], sim.balance(c)) << currency_name(c) << " after event " << i;
      ASSERT_EQ(sim.truth().reported(c).balance, shown[c]);
      ASSERT_GE(sim.balance(c).locked, 0);
      if (c != kKrw) {
        ASSERT_GE(sim.balance(c).available, 0) << currency_name(c);
      }
    }
  }
  EXPECT_GT(frames, 30'000u);
  EXPECT_GT(single, 1'000u);  // asks lock base only, bids KRW only
  EXPECT_GT(silent, 1'000u);  // e.g. a `done` after its last trade, a watch order triggered
  EXPECT_GT(moves, 100u);
}

TEST(SimBalances, MovementsAreReproducibleFromTheSeedAndLeaveTheOrderFlowAlone) {
  const json a = moves_of(3, 20'000, 0.02);
  EXPECT_GT(a.size(), 50u);
  EXPECT_EQ(a, moves_of(3, 20'000, 0.02));
  EXPECT_NE(a, moves_of(4, 20'000, 0.02));

  // The same order events, byte for byte, with and without movements.
  Simulation with(config(3, 0.3)), without(config(3, 0));
  for (int i = 0; i < 20'000; ++i) {
    with.next();
    (void)with.external_move();
    without.next();
    ASSERT_EQ(without.external_move(), nullptr);
  }
  EXPECT_EQ(with.digest(), without.digest());
  EXPECT_EQ(with.truth().market(0).position, without.truth().market(0).position);
  EXPECT_GT(with.truth().moves_total(), 1'000u);
}

// Deposits less withdrawals, per currency, are what the account holds beyond its trading; a
// withdrawal never takes more than deposits brought in, and every movement's kind matches its sign.
TEST(SimBalances, TruthListsEveryMovementAndItsSumsAddUpExactly) {
  Simulation sim(config(9, 0.1));
  std::array<I128, kCurrencyCount> net{};
  std::array<I128, kCurrencyCount> deposited{};
  std::uint64_t withdrawals = 0;
  for (int i = 0; i < 30'000; ++i) {
    sim.next();
    if (const ExternalMove* m = sim.external_move()) {
      ASSERT_NE(m->amount, 0);
      if (m->amount > 0) deposited[m->currency] += m->amount;
      net[m->currency] += m->amount;
      ASSERT_GE(net[m->currency], 0) << "a withdrawal took more than deposits brought in";
      withdrawals += m->amount < 0 ? 1u : 0u;
      EXPECT_EQ(m->number, sim.truth().moves_total());
      EXPECT_EQ(m->after_event, sim.events());
    }
  }
  EXPECT_GT(withdrawals, 100u);
  const json t = json::parse(sim.truth_json(false));
  ASSERT_EQ(t["external_moves"].size(), sim.truth().moves_total());
  EXPECT_EQ(t["external_moves_forgotten"], 0);
  for (const auto& m : t["external_moves"]) {
    EXPECT_EQ(keys(m), (std::set<std::string>{"number", "currency", "kind", "amount", "timestamp",
                                              "asset_uuid", "after_event"}));
    EXPECT_EQ(m["kind"], m["amount"].get<std::string>()[0] == '-' ? "withdrawal" : "deposit");
  }
  ASSERT_EQ(t["accounts"].size(), kCurrencyCount);
  for (std::size_t c = 0; c < kCurrencyCount; ++c) {
    const json& row = t["accounts"][c];
    EXPECT_EQ(row["currency"], std::string(currency_name(c)));
    EXPECT_EQ(row["deposited"], int128_to_fx_string(deposited[c]));
    EXPECT_EQ(row["withdrawn"], int128_to_fx_string(deposited[c] - net[c]));
    const I128 trading =
        c == kKrw ? sim.truth().krw_total() : I128{sim.truth().market(c - 1).position};
    EXPECT_EQ(sim.truth().total(c), trading + net[c]);
    const Balance b = sim.balance(c);
    EXPECT_EQ(row["balance"], int128_to_fx_string(b.available));
    EXPECT_EQ(row["locked"], fx_to_string(b.locked));
    char uuid[Uuid::kTextSize];
    sim.truth().reported(c).asset_uuid.format(uuid);
    EXPECT_EQ(row["asset_uuid"], std::string(uuid, Uuid::kTextSize));
    EXPECT_EQ(row["asset_timestamp"], sim.truth().reported(c).asset_timestamp);
  }
}

TEST(SimBalances, TruthKeepsTheLastMovementsAndCountsTheRest) {
  Simulation sim(config(9, 0.5, 3));
  for (int i = 0; i < 2'000; ++i) {
    sim.next();
    (void)sim.external_move();
  }
  const std::uint64_t total = sim.truth().moves_total();
  ASSERT_GT(total, 10u);
  const json t = json::parse(sim.truth_json(false));
  ASSERT_EQ(t["external_moves"].size(), 3u);
  EXPECT_EQ(t["external_moves"][2]["number"], total);
  EXPECT_EQ(t["external_moves_total"], total);
  EXPECT_EQ(t["external_moves_forgotten"], total - 3);
}

TEST(SimBalances, NoMovementsByDefaultAndUnsentCurrenciesAreNull) {
  Simulation sim(config(1, 0));
  const json before = json::parse(sim.truth_json(false));
  for (const auto& row : before["accounts"])
    EXPECT_TRUE(row["asset_uuid"].is_null()) << row;
  EXPECT_EQ(before["accounts"][0]["balance"], "1000000000.0");
  for (int i = 0; i < 5'000; ++i) {
    sim.next();
    ASSERT_EQ(sim.external_move(), nullptr);
  }
  EXPECT_EQ(json::parse(sim.truth_json(false))["external_moves"].size(), 0u);
}

}  // namespace
}  // namespace fillwire::sim
