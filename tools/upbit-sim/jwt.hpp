#pragma once
// JWT verification as Upbit does it (PROTOCOL.md §2): `Authorization: Bearer <header.payload.sig>`,
// HS256 or HS512 over "header.payload" with the secret key's bytes as-is, base64url without
// padding; payload {"access_key", "nonce", optional "query_hash" + "query_hash_alg": "SHA512"}.
//
// The verifier checks the form and the signature; nonce reuse is tracked by NonceRegistry so each
// caller (REST always, WebSocket when asked) decides whether a repeat is an error.
// Not thread-safe: one verifier per io thread.

#include <cstddef>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>

#include "crypto.hpp"

namespace fillwire::sim {

// Upbit's error names (HTTP 401 unless noted).
enum class AuthErrc : std::uint8_t {
  ok,
  no_authorization_token,  // header missing or not "Bearer ..."
  jwt_verification,        // malformed token, unknown alg, bad signature, no nonce
  invalid_access_key,      // signature fine but for another access key
  invalid_query_payload,   // query_hash missing or not the SHA-512 of the query sent
  nonce_used,              // nonce seen before
};
[[nodiscard]] std::string_view to_string(AuthErrc e) noexcept;
[[nodiscard]] std::string_view auth_message(AuthErrc e) noexcept;

struct JwtClaims {
  std::string access_key;
  std::string nonce;
  std::optional<std::string> query_hash;
  std::optional<std::string> query_hash_alg;
  HmacAlg alg = HmacAlg::sha256;
};

struct AuthResult {
  AuthErrc error = AuthErrc::ok;
  JwtClaims claims;
  [[nodiscard]] bool ok() const noexcept { return error == AuthErrc::ok; }
};

class JwtVerifier {
 public:
  JwtVerifier(std::string access_key, std::string secret_key)
      : access_key_(std::move(access_key)), secret_key_(std::move(secret_key)) {}

  // Verifies an Authorization header value ("Bearer <jwt>"; empty = missing).
  [[nodiscard]] AuthResult verify_header(std::string_view authorization) const;
  [[nodiscard]] AuthResult verify_token(std::string_view token) const;

  // Additionally requires query_hash == sha512_hex(query) when `query` is not empty (REST). The
  // query is hashed as sent; a client that percent-encoded "[]" but hashed the plain form is also
  // accepted, since both spellings name the same request.
  [[nodiscard]] AuthResult verify_request(std::string_view authorization,
                                          std::string_view query) const;

  // Makes a token (tests, examples). Payload keys in the order Upbit's samples use.
  [[nodiscard]] static std::string sign(std::string_view access_key, std::string_view secret_key,
                                        std::string_view nonce, HmacAlg alg = HmacAlg::sha256,
                                        std::string_view query = {});

  [[nodiscard]] const std::string& access_key() const noexcept { return access_key_; }

 private:
  std::string access_key_;
  std::string secret_key_;
};

// Remembers the last `capacity` nonces; insert() is false for a nonce already held.
class NonceRegistry {
 public:
  explicit NonceRegistry(std::size_t capacity = 1'000'000) : capacity_(capacity) {}
  [[nodiscard]] bool insert(const std::string& nonce);
  [[nodiscard]] std::size_t size() const noexcept { return seen_.size(); }

 private:
  std::size_t capacity_;
  std::unordered_set<std::string> seen_;
  std::deque<std::string> order_;
};

// Percent-decodes %XX sequences (and nothing else: '+' stays '+'). Invalid escapes are kept as is.
[[nodiscard]] std::string percent_decode(std::string_view s);

}  // namespace fillwire::sim
