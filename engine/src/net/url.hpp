#pragma once
// URL of the exchange's WebSocket and REST endpoints.

#include <string>
#include <string_view>

namespace fillwire::net {

struct Url {
  bool tls = true;
  std::string host;
  std::string port;
  std::string path;
  [[nodiscard]] std::string host_header() const { return host + ":" + port; }
  [[nodiscard]] std::string redacted() const;
};

// wss://, ws://, https:// or http://; throws std::invalid_argument with the reason.
Url parse_url(std::string_view url);

}  // namespace fillwire::net
