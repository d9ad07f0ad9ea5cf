#pragma once
// WsLink: the live client's WebSocket, one connection at a time (wss:// over OpenSSL, or ws://),
// and its read loop. Beast serves the HTTP upgrade; the framing (RFC 6455, client side) is our own
// (reading: ws_reader.hpp; writing: ws_link.cpp), so that one socket read hands over every frame it
// carried in one loop. This header keeps Beast and asio out of everything that includes it.
//
//   open(): resolve -> connect -> tls -> websocket handshake (JWT) -> subscribe -> read loop
//
// Each step fails with its stage; a failure closes the connection and is reported once to the host
// (on_link_down), which decides what follows (backoff, reconnect). The host hears of a subscribed
// connection (on_open) and of each whole frame (on_frame, decoded where it lies: the read buffer
// keeps kFramePadding readable bytes after every frame).
//
// Liveness (cold: one timer wait per tick, a quarter of the shortest of ping_interval,
// pong_timeout and frame_timeout): a ping every ping_interval whatever arrives (the exchange counts
// only what the client sends as activity); its pong must come within pong_timeout; a frame begun
// must be whole within frame_timeout. While reading is paused nothing can arrive, so nothing is
// expected.
//
// Thread contract: the network thread only (the io_context's). Hot path (a read and its frame): no
// allocation, no lock, no exception; connecting and keep-alive are cold.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "asio_fwd.hpp"
#include "fillwire/auth.hpp"
#include "fillwire/live_source.hpp"
#include "live_counters.hpp"
#include "url.hpp"

namespace fillwire::net {

enum class LinkFailureKind : std::uint8_t {
  network,       // any stage: the stage and the error say what
  auth_refused,  // the upgrade answered 401 or 403
  rate_refused,  // the upgrade answered 429 (too many connects) or 418 (banned)
};

struct LinkFailure {
  LinkFailureKind kind = LinkFailureKind::network;
  const char* stage = "";
  std::string what;          // no secret in it; server text is not quoted
  unsigned http_status = 0;  // auth_refused, rate_refused
  std::string retry_after;   // rate_refused: the Retry-After header as sent (capped)
};

class WsLinkHost {
 public:
  // Subscribed: the read loop starts when this returns.
  virtual void on_open() = 0;
  // One whole frame of `size` bytes at `data` (padded). False pauses reading until resume().
  virtual bool on_frame(const char* data, std::size_t size) = 0;
  // The connection failed and is closed. Not called for close().
  virtual void on_link_down(const LinkFailure& failure) = 0;
  // Every keep-alive tick, while open.
  virtual void on_tick() noexcept = 0;

 protected:
  ~WsLinkHost() = default;
};

class WsLink {
 public:
  // `tls` is the client's TLS context (peer verification set up by the caller); it outlives the
  // link, as do the other references.
  WsLink(boost::asio::io_context& ioc, boost::asio::ssl::context& tls, const LiveConfig& cfg,
         const Credentials& creds, const Url& url, LiveCounterSet& counters, WsLinkHost& host);
  ~WsLink();
  WsLink(const WsLink&) = delete;
  WsLink& operator=(const WsLink&) = delete;

  // Starts a new connection (closing any previous one without a report).
  void open();
  // Closes the connection, if any; what is still pending on it completes unheard.
  void close() noexcept;
  // Reading paused by on_frame() goes on.
  void resume();
  // Subscribed and not closed since.
  [[nodiscard]] bool open_now() const noexcept;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace fillwire::net
