#include "asset.hpp"

#include "truth.hpp"

namespace fillwire::sim {

std::string asset_event_json(const AssetUpdate& update, bool simple) {
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
  update.asset_uuid.format(uuid);
  out += '{';
  key("type", "ty");
  text("myAsset");
  out += ',';
  key("asset_uuid", "astuid");
  text({uuid, Uuid::kTextSize});
  out += ',';
  key("assets", "ast");
  out += '[';
  for (std::size_t i = 0; i < update.count; ++i) {
    const auto& item = update.items[i];
    if (i > 0) out += ',';
    out += '{';
    key("currency", "cu");
    text(currency_name(item.currency));
    out += ',';
    key("balance", "b");
    out += int128_to_fx_string(item.balance.available);
    out += ',';
    key("locked", "l");
    out += fx_to_string(item.balance.locked);
    out += '}';
  }
  const std::string ts = std::to_string(update.timestamp_ms);
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
