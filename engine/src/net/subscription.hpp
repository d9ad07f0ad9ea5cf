#pragma once
// The subscribe message (PROTOCOL.md §3) and the market codes it may carry.

#include <string>
#include <string_view>

#include "fillwire/live_source.hpp"

namespace fillwire::net {

// QUOTE-BASE: upper case letters and digits, one dash inside, at most MarketCode's capacity.
[[nodiscard]] bool valid_market_code(std::string_view code) noexcept;

// Market codes are QUOTE-BASE in upper case (PROTOCOL.md §3); anything else is refused here,
// before the exchange would answer with an error frame. Throws std::invalid_argument.
std::string checked_code(std::string code);

// [{"ticket":...},{"type":"myOrder"[,"codes":[...]]}[,{"type":"myAsset"}][,{"format":"SIMPLE"}]]
std::string subscribe_message(const LiveConfig& c, std::string_view ticket);

}  // namespace fillwire::net
