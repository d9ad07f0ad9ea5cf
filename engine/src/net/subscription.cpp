#include "subscription.hpp"

#include <algorithm>
#include <cctype>
#include <stdexcept>

#include "fillwire/safe_text.hpp"

namespace fillwire::net {

bool valid_market_code(std::string_view code) noexcept {
  const auto dash = code.find('-');
  return dash != std::string_view::npos && dash > 0 && dash + 1 < code.size() &&
         code.find('-', dash + 1) == std::string_view::npos &&
         code.size() <= MarketCode::kCapacity && std::all_of(code.begin(), code.end(), [](char c) {
           return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
         });
}

std::string checked_code(std::string code) {
  std::transform(code.begin(), code.end(), code.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  if (!valid_market_code(code)) {
    throw std::invalid_argument("market code '" + printable(code) + "' is not of the form KRW-BTC");
  }
  return code;
}

std::string subscribe_message(const LiveConfig& c, std::string_view ticket) {
  std::string m = "[{\"ticket\":\"" + std::string(ticket) + "\"},{\"type\":\"myOrder\"";
  if (!c.codes.empty()) {
    m += ",\"codes\":[";
    for (std::size_t i = 0; i < c.codes.size(); ++i) {
      m += (i ? ",\"" : "\"") + c.codes[i] + "\"";
    }
    m += "]";
  }
  m += "}";
  if (c.balances) m += ",{\"type\":\"myAsset\"}";  // never with codes (PROTOCOL.md §3)
  if (c.simple_format) m += ",{\"format\":\"SIMPLE\"}";
  m += "]";
  return m;
}

}  // namespace fillwire::net
