#include "subscription.hpp"

#include <algorithm>
#include <cctype>
#include <stdexcept>

namespace fillwire::net {

std::string checked_code(std::string code) {
  std::transform(code.begin(), code.end(), code.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  const auto dash = code.find('-');
  const bool ok = dash != std::string::npos && dash > 0 && dash + 1 < code.size() &&
                  code.size() <= MarketCode::kCapacity &&
                  std::all_of(code.begin(), code.end(), [](char c) {
                    return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
                  });
  if (!ok) throw std::invalid_argument("market code '" + code + "' is not of the form KRW-BTC");
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
  if (c.simple_format) m += ",{\"format\":\"SIMPLE\"}";
  m += "]";
  return m;
}

}  // namespace fillwire::net
