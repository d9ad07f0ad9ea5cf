#include "url.hpp"

#include <stdexcept>

namespace fillwire::net {

std::string Url::redacted() const {
  return std::string(tls ? "wss://" : "ws://") + host_header() + path;
}

Url parse_url(std::string_view text) {
  const std::string url(text);
  Url u;
  std::string rest;
  if (url.rfind("wss://", 0) == 0 || url.rfind("https://", 0) == 0) {
    u.tls = true;
    rest = url.substr(url.find("://") + 3);
  } else if (url.rfind("ws://", 0) == 0 || url.rfind("http://", 0) == 0) {
    u.tls = false;
    rest = url.substr(url.find("://") + 3);
  } else {
    throw std::invalid_argument("the URL must start with wss://, ws://, https:// or http://");
  }
  const auto slash = rest.find('/');
  const std::string authority = rest.substr(0, slash);
  u.path = slash == std::string::npos ? "/" : rest.substr(slash);
  const auto colon = authority.rfind(':');
  if (colon != std::string::npos && authority.find(']') == std::string::npos) {
    u.host = authority.substr(0, colon);
    u.port = authority.substr(colon + 1);
  } else {
    u.host = authority;
    u.port = u.tls ? "443" : "80";
  }
  if (u.host.empty()) throw std::invalid_argument("the URL has no host");
  return u;
}

}  // namespace fillwire::net
