#pragma once
// Upbit API authentication (PROTOCOL.md §2): HS256 JSON Web Tokens with a fresh UUID v4 nonce, and
// for REST requests with parameters the SHA-512 `query_hash` of the query string exactly as sent.
//
// Secrets: the secret key lives in a `Secret`, which cannot be printed or formatted, is wiped when
// destroyed, and is revealed only to the signer. Error messages name what is wrong (a variable, a
// file, its mode), never a key or a token. Cold path: these functions allocate; they run once per
// connection or REST request, never per event. Any thread.

#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace fillwire {

class Secret {
 public:
  Secret() = default;
  explicit Secret(std::string value) noexcept : value_(std::move(value)) {}
  Secret(const Secret&) = default;
  Secret& operator=(const Secret&) = default;
  Secret(Secret&&) noexcept = default;
  Secret& operator=(Secret&&) noexcept = default;
  ~Secret();

  [[nodiscard]] bool empty() const noexcept { return value_.empty(); }
  // For the signer only. Never log, format or store what this returns.
  [[nodiscard]] std::string_view reveal() const noexcept { return value_; }

 private:
  std::string value_;
};

struct Credentials {
  std::string access_key;
  Secret secret_key;
};

// From UPBIT_ACCESS_KEY and UPBIT_SECRET_KEY. Throws std::runtime_error naming a missing variable.
[[nodiscard]] Credentials credentials_from_env();

// From a file of `UPBIT_ACCESS_KEY=...` and `UPBIT_SECRET_KEY=...` lines ('#' comments allowed).
// The file must not be readable or writable by group or others (mode 0600 or stricter): a key file
// that others can read is refused with an error that says how to fix it.
[[nodiscard]] Credentials credentials_from_file(const std::string& path);

// One NAME=VALUE line of a secrets file, its value kept as a Secret.
struct KeyFileEntry {
  std::string name;
  Secret value;
};

// The NAME=VALUE lines of a secrets file ('#' comments and blank lines allowed), each NAME one of
// `names`, refused as credentials_from_file refuses (mode, an unknown name, a line without '=').
// Errors start with `what` ("key file") and the path, and never show a line's text.
[[nodiscard]] std::vector<KeyFileEntry> read_key_file(const std::string& path, const char* what,
                                                      std::span<const std::string_view> names);

// A random (version 4) UUID from OpenSSL's CSPRNG, in the 36-character form.
[[nodiscard]] std::string new_nonce();

// Lower-case hex SHA-512 of `text` (the `query_hash` of a query string).
[[nodiscard]] std::string sha512_hex(std::string_view text);

// Base64url without padding (RFC 7515 §2).
[[nodiscard]] std::string base64url(std::string_view bytes);

// A signed HS256 token with a fresh nonce; with a non-empty query string, the payload carries its
// `query_hash` and `query_hash_alg` ("SHA512").
[[nodiscard]] std::string make_token(const Credentials& credentials, std::string_view query = {});

// The same with a given nonce: for tests against vectors made by an independent implementation.
[[nodiscard]] std::string make_token_with_nonce(const Credentials& credentials,
                                                std::string_view nonce, std::string_view query);

}  // namespace fillwire
