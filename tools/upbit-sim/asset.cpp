#include "asset.hpp"

#include "simulation.hpp"

namespace fillwire::sim {

std::string asset_event_json(const Simulation& sim, std::size_t market, const Uuid& asset_uuid,
                             std::int64_t timestamp_ms, bool simple) {
  const OrderBook& book = sim.book();
  const Truth& truth = sim.truth();
  // Appended piece by piece (GCC 12 warns falsely on long operator+ chains at -O3).
  std::string out;
  out.reserve(320);
  auto key = [&](std::string_view full, std::string_view abbreviated) {
    out += '"';
    out += simple ? abbreviated : full;
    out += "\":";
  };
  auto text = [&](std::string_view v) {
    out += '"';
    out += v;
    out += '"';
  };
  char uuid[Uuid::kTextSize];
  asset_uuid.format(uuid);
  out += '{';
  key("type", "ty");
  text("myAsset");
  out += ',';
  key("asset_uuid", "astuid");
  text({uuid, Uuid::kTextSize});
  out += ',';
  key("assets", "ast");
  out += '[';
  auto asset = [&](std::string_view currency, const std::string& balance, Fx locked) {
    out += '{';
    key("currency", "cu");
    text(currency);
    out += ',';
    key("balance", "b");
    out += balance;
    out += ',';
    key("locked", "l");
    out += fx_to_string(locked);
    out += '}';
  };
  asset("KRW", int128_to_fx_string(truth.krw_total() - book.locked_krw()), book.locked_krw());
  out += ',';
  const Fx locked = book.locked_base(market);
  asset(kMarkets[market].currency, fx_to_string(truth.market(market).position - locked), locked);
  const std::string ts = std::to_string(timestamp_ms);
  out += "],";
  key("asset_timestamp", "asttms");
  out += ts;
  out += ',';
  key("timestamp", "tms");
  out += ts;
  out += ',';
  key("stream_type", "st");
  text("REALTIME");
  out += '}';
  return out;
}

}  // namespace fillwire::sim
