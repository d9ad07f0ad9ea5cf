#include "net/url.hpp"

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

namespace fillwire {
namespace {

// The message of the std::invalid_argument that parse_url throws for `text`.
std::string refusal(const std::string& text) {
  try {
    (void)parse_url(text);
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  ADD_FAILURE() << "accepted: " << text;
  return {};
}

TEST(Url, SchemesAndDefaultPorts) {
  const Url wss = parse_url("wss://api.upbit.com/websocket/v1/private");
  EXPECT_TRUE(wss.tls);
  EXPECT_EQ(wss.host, "api.upbit.com");
  EXPECT_EQ(wss.port, "443");
  EXPECT_EQ(wss.path, "/websocket/v1/private");
  EXPECT_EQ(wss.host_header(), "api.upbit.com:443");
  const Url ws = parse_url("ws://127.0.0.1/x");
  EXPECT_FALSE(ws.tls);
  EXPECT_EQ(ws.port, "80");
  EXPECT_EQ(parse_url("https://api.upbit.com:8443/v1").port, "8443");
  EXPECT_TRUE(parse_url("HTTPS://api.upbit.com/v1").tls);
  EXPECT_FALSE(parse_url("http://localhost:8080").tls);
  EXPECT_EQ(parse_url("http://localhost:8080").path, "/");
  EXPECT_EQ(parse_url("ws://h:1/a/b?x=1&y=2").path, "/a/b?x=1&y=2");
  EXPECT_EQ(parse_url("ws://h:1?x=1").path, "/?x=1");
}

TEST(Url, Ipv6LiteralsKeepTheirPortAndLoseTheBracketsForTheResolver) {
  const Url u = parse_url("ws://[::1]:8080/websocket/v1/private");
  EXPECT_EQ(u.host, "::1");
  EXPECT_EQ(u.port, "8080");
  EXPECT_EQ(u.path, "/websocket/v1/private");
  EXPECT_EQ(u.host_header(), "[::1]:8080");
  EXPECT_EQ(u.redacted(), "ws://[::1]:8080/websocket/v1/private");
  const Url d = parse_url("wss://[2001:db8::7]/v1");
  EXPECT_EQ(d.host, "2001:db8::7");
  EXPECT_EQ(d.port, "443");
}

TEST(Url, OtherSchemesAreRefused) {
  for (const char* text :
       {"ftp://h/x", "file:///etc/passwd", "api.upbit.com/v1", "wss:/h/x", "//h/x", ""}) {
    EXPECT_NE(refusal(text), "") << text;
  }
  EXPECT_NE(refusal("ftp://h/x").find("wss, ws, https or http"), std::string::npos);
}

TEST(Url, UserinfoIsRefusedWithoutQuotingThePassword) {
  for (const char* text : {"wss://user:hunter2-secret@api.upbit.com/v1",
                           "ws://hunter2-secret@127.0.0.1:9/x", "ws://:hunter2-secret@h/x"}) {
    const std::string why = refusal(text);
    EXPECT_NE(why.find("user information"), std::string::npos) << why;
    EXPECT_EQ(why.find("hunter2"), std::string::npos) << why;
  }
  // A URL that does not parse at all is not quoted either.
  const std::string why = refusal("wss://user:hunter2 secret@h/x");
  EXPECT_EQ(why.find("hunter2"), std::string::npos) << why;
}

TEST(Url, EmptyHostBadPortsAndFragmentsAreRefused) {
  EXPECT_NE(refusal("ws:///x").find("host"), std::string::npos);
  EXPECT_NE(refusal("ws://:8080/x").find("host"), std::string::npos);
  for (const char* text : {"ws://h:0/x", "ws://h:65536/x", "ws://h:99999999999/x", "ws://h:/x",
                           "ws://h:80a/x", "ws://h:abc/x", "ws://h:abc"}) {
    EXPECT_NE(refusal(text).find("port"), std::string::npos) << text;
  }
  EXPECT_EQ(parse_url("ws://h:65535/x").port, "65535");
  EXPECT_EQ(parse_url("ws://h:08080/x").port, "8080");
  EXPECT_NE(refusal("wss://h/x#frag").find("fragment"), std::string::npos);
  EXPECT_NE(refusal("ws://h%00st/x").find("percent"), std::string::npos);
}

TEST(Url, RedactedFormShowsNoQueryValues) {
  EXPECT_EQ(parse_url("wss://h/v1?access_token=abc").redacted(), "wss://h:443/v1?<redacted>");
  EXPECT_EQ(parse_url("wss://api.upbit.com/websocket/v1/private").redacted(),
            "wss://api.upbit.com:443/websocket/v1/private");
}

}  // namespace
}  // namespace fillwire
