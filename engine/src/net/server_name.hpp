#pragma once
// SNI for the client's TLS connections (the WebSocket and REST alike): the server picks its
// certificate by the name sent. An IP literal is not sent (SNI carries host names only).
//
// Thread contract: any thread; cold path (once per connection).

#include <openssl/ssl.h>
#include <boost/asio/ip/address.hpp>

#include <string>

namespace fillwire::net {

// False only when OpenSSL refused a name it was given.
inline bool set_server_name(SSL* ssl, const std::string& host) {
  boost::system::error_code not_ip;
  (void)boost::asio::ip::make_address(host, not_ip);
  if (!not_ip) return true;
  // SSL_set_tlsext_host_name is a macro with a C cast; this is the call it makes.
  return SSL_ctrl(ssl, SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
                  const_cast<char*>(host.c_str())) == 1;
}

}  // namespace fillwire::net
