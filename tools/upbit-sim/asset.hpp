#pragma once
// myAsset events (PROTOCOL.md §8): the account's balances after an order event, for the two
// currencies it touched (KRW and the market's base currency). The simulator sends one after every
// order event to connections subscribed to myAsset. Numbers are written as exact decimals.
//
//   {"type":"myAsset","asset_uuid":"...","assets":[{"currency":"KRW","balance":..,"locked":..},
//    {"currency":"BTC","balance":..,"locked":..}],"asset_timestamp":..,"timestamp":..,
//    "stream_type":"REALTIME"}          (SIMPLE: ty, astuid, ast[{cu, b, l}], asttms, tms, st)

#include <cstdint>
#include <string>

#include "fillwire/uuid.hpp"

namespace fillwire::sim {

class Simulation;

[[nodiscard]] std::string asset_event_json(const Simulation& sim, std::size_t market,
                                           const Uuid& asset_uuid, std::int64_t timestamp_ms,
                                           bool simple);

}  // namespace fillwire::sim
