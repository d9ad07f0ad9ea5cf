#include "asset.hpp"

#include "simulation.hpp"

namespace fillwire::sim {

std::string asset_event_json(const Simulation& sim, std::size_t market, const Uuid& asset_uuid,
                             std::int64_t timestamp_ms, bool simple) {
  const OrderBook& book = sim.book();
  const Truth& truth = sim.truth();
  const auto key = [simple](const char* full, const char* abbreviated) {
    return std::string("\"") + (simple ? abbreviated : full) + "\":";
  };
  char uuid[Uuid::kTextSize];
  asset_uuid.format(uuid);
  std::string out = "{" + key("type", "ty") + "\"myAsset\"," + key("asset_uuid", "astuid") + "\"" +
                    std::string(uuid, Uuid::kTextSize) + "\"," + key("assets", "ast") + "[";
  auto asset = [&](std::string_view currency, const std::string& balance, Fx locked) {
    out += "{" + key("currency", "cu") + "\"" + std::string(currency) + "\"," +
           key("balance", "b") + balance + "," + key("locked", "l") + fx_to_string(locked) + "}";
  };
  asset("KRW", int128_to_fx_string(truth.krw_total() - book.locked_krw()), book.locked_krw());
  out += ",";
  const Fx locked = book.locked_base(market);
  asset(kMarkets[market].currency, fx_to_string(truth.market(market).position - locked), locked);
  const std::string ts = std::to_string(timestamp_ms);
  out += "]," + key("asset_timestamp", "asttms") + ts + "," + key("timestamp", "tms") + ts + "," +
         key("stream_type", "st") + "\"REALTIME\"}";
  return out;
}

}  // namespace fillwire::sim
