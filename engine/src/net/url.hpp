#pragma once
// The URLs fillwire connects to (the private WebSocket, the REST base), parsed with Boost.URL
// (RFC 3986): wss, ws, https and http only; IPv6 literals ("ws://[::1]:8080/x"); the scheme's
// default port when none is given. Refused, with a std::invalid_argument that never quotes the
// URL (it may hold a password): user information ("user:password@"), an empty host, a host with
// percent escapes, a port that is empty, 0, over 65535 or not a number, and a fragment.
//
// Thread contract: cold path (it allocates), any thread.

#include <string>
#include <string_view>

namespace fillwire {

struct Url {
  bool tls = true;     // wss or https
  std::string scheme;  // lower case: "wss", "ws", "https" or "http"
  std::string host;    // for the resolver, SNI and certificate checks: IPv6 without brackets
  bool ipv6 = false;   // host is an IPv6 literal
  std::string port;    // decimal, 1 to 65535 (the scheme's default when the URL gives none)
  std::string path;    // path and query as sent in the request line: "/" when empty

  // "host:port" for the Host header; an IPv6 host in brackets ("[::1]:8080").
  [[nodiscard]] std::string host_header() const;
  // For logs and notices: scheme://host:port/path, the query shown as "?<redacted>".
  [[nodiscard]] std::string redacted() const;
};

// Throws std::invalid_argument saying what is wrong (never quoting the URL).
[[nodiscard]] Url parse_url(std::string_view text);

}  // namespace fillwire
