#include "fillwire/auth.hpp"

#include "fillwire/uuid.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <sys/stat.h>

#include <algorithm>
#include <array>
#include <cstdlib>
#include <fstream>
#include <stdexcept>

namespace fillwire {
namespace {

// JSON string body for the few values a token carries (keys, nonces, hex digests).
void append_json_string(std::string& out, std::string_view s) {
  out += '"';
  for (const char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (u < 0x20) {
      constexpr char kHex[] = "0123456789abcdef";
      out += "\\u00";
      out += kHex[u >> 4];
      out += kHex[u & 0xF];
    } else {
      out += c;
    }
  }
  out += '"';
}

std::string hmac_sha256(std::string_view key, std::string_view data) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> mac{};
  unsigned int len = 0;
  if (HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
           reinterpret_cast<const unsigned char*>(data.data()), data.size(), mac.data(),
           &len) == nullptr) {
    throw std::runtime_error("fillwire: HMAC-SHA256 failed");
  }
  return std::string(reinterpret_cast<const char*>(mac.data()), len);
}

std::string trim(const std::string& s) {
  const auto b = s.find_first_not_of(" \t\r");
  const auto e = s.find_last_not_of(" \t\r");
  return b == std::string::npos ? std::string{} : s.substr(b, e - b + 1);
}

}  // namespace

Secret::~Secret() {
  if (!value_.empty()) OPENSSL_cleanse(value_.data(), value_.size());
}

Credentials credentials_from_env() {
  // Read once at start-up, before the engine's threads exist.
  const char* access = std::getenv("UPBIT_ACCESS_KEY");  // NOLINT(concurrency-mt-unsafe)
  const char* secret = std::getenv("UPBIT_SECRET_KEY");  // NOLINT(concurrency-mt-unsafe)
  if (access == nullptr || *access == '\0') {
    throw std::runtime_error("UPBIT_ACCESS_KEY is not set (or use a key file)");
  }
  if (secret == nullptr || *secret == '\0') {
    throw std::runtime_error("UPBIT_SECRET_KEY is not set (or use a key file)");
  }
  return {access, Secret(secret)};
}

std::vector<KeyFileEntry> read_key_file(const std::string& path, const char* what,
                                        std::span<const std::string_view> names) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    throw std::runtime_error(std::string(what) + " '" + path + "' cannot be read");
  }
  if ((st.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
    throw std::runtime_error(std::string(what) + " '" + path +
                             "' is accessible to group or others: run `chmod 600 " + path + "`");
  }
  std::ifstream in(path);
  if (!in) throw std::runtime_error(std::string(what) + " '" + path + "' cannot be read");
  std::vector<KeyFileEntry> entries;
  std::string line;
  std::string name;
  // The line and its name are wiped on every way out, an error included.
  struct Wipe {
    std::string* a;
    std::string* b;
    ~Wipe() {
      OPENSSL_cleanse(a->data(), a->size());
      OPENSSL_cleanse(b->data(), b->size());
    }
  } wipe{&line, &name};
  // Errors name the line by its number only: a malformed line may hold a key anywhere in it
  // (a missing '=', a pasted value, a name run into its value).
  const auto malformed = [&](int number, const std::string& why) {
    return std::runtime_error(std::string(what) + " '" + path + "' line " + std::to_string(number) +
                              ": " + why + " (the line's text is not shown: it may hold a key)");
  };
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    line = trim(line);
    if (line.empty() || line[0] == '#') continue;
    const auto eq = line.find('=');
    if (eq == std::string::npos) throw malformed(number, "expected NAME=VALUE");
    name = trim(line.substr(0, eq));
    std::string value = trim(line.substr(eq + 1));
    if (std::find(names.begin(), names.end(), name) == names.end()) {
      OPENSSL_cleanse(value.data(), value.size());
      std::string expected;
      for (const std::string_view n : names)
        expected += (expected.empty() ? "" : " or ") + std::string(n) + "=...";
      throw malformed(number, "expected " + expected);
    }
    entries.push_back({name, Secret(std::move(value))});
    OPENSSL_cleanse(line.data(), line.size());
  }
  return entries;
}

Credentials credentials_from_file(const std::string& path) {
  constexpr std::string_view kNames[] = {"UPBIT_ACCESS_KEY", "UPBIT_SECRET_KEY"};
  Credentials c;
  for (KeyFileEntry& e : read_key_file(path, "key file", kNames)) {
    if (e.name == kNames[0]) {
      c.access_key = std::string(e.value.reveal());
    } else {
      c.secret_key = std::move(e.value);
    }
  }
  if (c.access_key.empty())
    throw std::runtime_error("key file '" + path + "' has no UPBIT_ACCESS_KEY");
  if (c.secret_key.empty())
    throw std::runtime_error("key file '" + path + "' has no UPBIT_SECRET_KEY");
  return c;
}

std::string new_nonce() {
  Uuid u;
  if (RAND_bytes(u.bytes.data(), static_cast<int>(u.bytes.size())) != 1) {
    throw std::runtime_error("fillwire: the system random generator failed");
  }
  u.bytes[6] = static_cast<std::uint8_t>((u.bytes[6] & 0x0F) | 0x40);  // version 4
  u.bytes[8] = static_cast<std::uint8_t>((u.bytes[8] & 0x3F) | 0x80);  // RFC 4122 variant
  return u.to_string();
}

std::string sha512_hex(std::string_view text) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> md{};
  unsigned int len = 0;
  if (EVP_Digest(text.data(), text.size(), md.data(), &len, EVP_sha512(), nullptr) != 1) {
    throw std::runtime_error("fillwire: SHA-512 failed");
  }
  constexpr char kHex[] = "0123456789abcdef";
  std::string s;
  s.reserve(2 * len);
  for (unsigned int i = 0; i < len; ++i) {
    s += kHex[md[i] >> 4];
    s += kHex[md[i] & 0x0F];
  }
  return s;
}

std::string base64url(std::string_view bytes) {
  constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  std::size_t i = 0;
  const auto at = [&](std::size_t k) {
    return static_cast<unsigned>(static_cast<unsigned char>(bytes[k]));
  };
  for (; i + 3 <= bytes.size(); i += 3) {
    const unsigned v = (at(i) << 16) | (at(i + 1) << 8) | at(i + 2);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += kAlphabet[v & 63];
  }
  if (bytes.size() - i == 1) {
    const unsigned v = at(i) << 16;
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
  } else if (bytes.size() - i == 2) {
    const unsigned v = (at(i) << 16) | (at(i + 1) << 8);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
  }
  return out;
}

std::string make_token_with_nonce(const Credentials& credentials, std::string_view nonce,
                                  std::string_view query) {
  static const std::string kHeader = base64url(R"({"alg":"HS256","typ":"JWT"})");
  std::string payload = "{\"access_key\":";
  append_json_string(payload, credentials.access_key);
  payload += ",\"nonce\":";
  append_json_string(payload, nonce);
  if (!query.empty()) {
    payload += ",\"query_hash\":";
    append_json_string(payload, sha512_hex(query));
    payload += ",\"query_hash_alg\":\"SHA512\"";
  }
  payload += '}';
  std::string token = kHeader + "." + base64url(payload);
  std::string mac = hmac_sha256(credentials.secret_key.reveal(), token);
  token += '.';
  token += base64url(mac);
  OPENSSL_cleanse(mac.data(), mac.size());
  return token;
}

std::string make_token(const Credentials& credentials, std::string_view query) {
  return make_token_with_nonce(credentials, new_nonce(), query);
}

}  // namespace fillwire
