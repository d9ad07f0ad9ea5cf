#pragma once
// The few cryptographic and encoding primitives the simulator needs, over OpenSSL: base64 (standard
// and URL-safe), HMAC-SHA256/512 for JWT signatures, SHA-512 for REST query hashes and SHA-1 for
// the WebSocket accept key. Any thread; each call is independent.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace fillwire::sim {

enum class HmacAlg : std::uint8_t { sha256, sha512 };

[[nodiscard]] std::string base64_encode(std::string_view bytes);     // standard alphabet, padded
[[nodiscard]] std::string base64url_encode(std::string_view bytes);  // URL alphabet, no padding
// Accepts the URL alphabet with or without padding. Empty optional on any invalid character.
[[nodiscard]] std::optional<std::string> base64url_decode(std::string_view text);

[[nodiscard]] std::string hmac(HmacAlg alg, std::string_view key, std::string_view data);
[[nodiscard]] std::string sha512_hex(std::string_view data);  // lower-case hex, 128 chars
[[nodiscard]] std::string sha1(std::string_view data);        // raw 20 bytes

// Sec-WebSocket-Accept for a client's Sec-WebSocket-Key (RFC 6455 §4.2.2).
[[nodiscard]] std::string websocket_accept_key(std::string_view client_key);

// Equal length and contents, in time independent of where they differ.
[[nodiscard]] bool constant_time_equal(std::string_view a, std::string_view b) noexcept;

}  // namespace fillwire::sim
