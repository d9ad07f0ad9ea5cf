#include "url.hpp"

#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>

#include <charconv>
#include <stdexcept>

namespace fillwire {
namespace {

namespace urls = boost::urls;  // from <boost/url.hpp>

[[noreturn]] void refuse(const std::string& why) {
  throw std::invalid_argument("URL refused: " + why);
}

}  // namespace

std::string Url::host_header() const {
  return ipv6 ? "[" + host + "]:" + port : host + ":" + port;
}

std::string Url::redacted() const {
  const auto query = path.find('?');
  std::string out = scheme + "://" + host_header() + path.substr(0, query);
  if (query != std::string::npos) out += "?<redacted>";
  return out;
}

Url parse_url(std::string_view text) {
  const auto parsed = urls::parse_uri(urls::string_view(text.data(), text.size()));
  if (!parsed) {
    refuse(
        "not a valid absolute URL (RFC 3986), e.g. wss://api.upbit.com/websocket/v1/private; "
        "spaces and control characters must be percent-encoded");
  }
  const urls::url_view& u = *parsed;
  Url out;
  switch (u.scheme_id()) {
    case urls::scheme::wss:
    case urls::scheme::https:
    case urls::scheme::ws:
    case urls::scheme::http:
      out.scheme = std::string(urls::to_string(u.scheme_id()));  // lower case, as WSS:// may not be
      break;
    default:
      refuse("the scheme must be wss, ws, https or http");
  }
  out.tls = out.scheme == "wss" || out.scheme == "https";
  // Credentials belong in the key file: a password in a URL ends up in shell histories, process
  // lists and logs.
  if (u.has_userinfo()) {
    refuse(
        "user information (user:password@) before the host is not accepted; keys come from "
        "the key file or the environment");
  }
  if (u.has_fragment()) refuse("a fragment (#...) has no meaning here");
  switch (u.host_type()) {
    case urls::host_type::ipv6:
      out.ipv6 = true;
      [[fallthrough]];
    case urls::host_type::ipv4:
    case urls::host_type::name: {
      const std::string_view encoded = u.encoded_host_address();
      if (encoded.find('%') != std::string_view::npos)
        refuse("the host must not hold percent escapes");
      out.host = std::string(encoded);
      break;
    }
    default:
      refuse("the host must be a name, an IPv4 address or an IPv6 address in brackets");
  }
  if (out.host.empty()) refuse("the host is empty");
  // After an authority the path is empty or starts with '/' (RFC 3986 §3.3). Boost.URL 1.81 reads
  // "h:80a/x" as port 80 and path "a/x": a port with letters in it is refused here.
  const std::string_view path = u.encoded_path();
  if (!path.empty() && path.front() != '/') refuse("the port must be a number from 1 to 65535");
  if (u.has_port()) {
    const std::string_view p = u.port();
    unsigned value = 0;
    const auto r = std::from_chars(p.data(), p.data() + p.size(), value);
    if (p.empty() || r.ec != std::errc{} || r.ptr != p.data() + p.size() || value == 0 ||
        value > 65535) {
      refuse("the port must be a number from 1 to 65535");
    }
    out.port = std::to_string(value);
  } else {
    out.port = out.tls ? "443" : "80";
  }
  out.path = path.empty() ? std::string("/") : std::string(path);
  if (u.has_query()) {
    out.path += '?';
    out.path += std::string_view(u.encoded_query());
  }
  return out;
}

}  // namespace fillwire
