#pragma once
// A self-signed certificate for wss:// on loopback, made at start with OpenSSL: EC P-256 key,
// valid 30 days, CN and subjectAltName covering 127.0.0.1 and localhost, so a client that loads
// the certificate file as its only trust anchor verifies the server with peer verification on.

#include <string>

namespace fillwire::sim {

struct PemPair {
  std::string certificate;  // PEM
  std::string private_key;  // PEM (PKCS#8)
};

// Throws std::runtime_error naming the OpenSSL step that failed.
[[nodiscard]] PemPair make_self_signed_certificate();

}  // namespace fillwire::sim
