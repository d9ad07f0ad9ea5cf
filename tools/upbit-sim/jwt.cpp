#include "jwt.hpp"

#include <iterator>
#include <nlohmann/json.hpp>

namespace fillwire::sim {

namespace {

// Each AuthErrc, in the enum's order: its code and the message Upbit sends with it.
struct AuthErrorText {
  std::string_view code;
  std::string_view message;
};
constexpr AuthErrorText kAuthErrors[] = {
    {"ok", ""},
    {"no_authorization_token", "인증 정보가 제공되지 않았습니다."},
    {"jwt_verification", "Failed to verify Jwt token."},
    {"invalid_access_key", "잘못된 엑세스 키입니다."},
    {"invalid_query_payload", "Jwt 토큰의 쿼리 정보가 올바르지 않습니다."},
    {"nonce_used", "이미 요청한 nonce값이 다시 사용되었습니다."},
};
static_assert(std::size(kAuthErrors) == static_cast<std::size_t>(AuthErrc::nonce_used) + 1,
              "Every AuthErrc needs its code and message here, in the enum's order.");

constexpr AuthErrorText text_of(AuthErrc e) noexcept {
  const auto i = static_cast<std::size_t>(e);
  return i < std::size(kAuthErrors) ? kAuthErrors[i] : AuthErrorText{"unknown", ""};
}

}  // namespace

std::string_view to_string(AuthErrc e) noexcept {
  return text_of(e).code;
}

std::string_view auth_message(AuthErrc e) noexcept {
  return text_of(e).message;
}

AuthResult JwtVerifier::verify_header(std::string_view authorization) const {
  constexpr std::string_view kBearer = "Bearer ";
  if (authorization.size() <= kBearer.size() ||
      authorization.substr(0, kBearer.size()) != kBearer) {
    return {AuthErrc::no_authorization_token, {}};
  }
  return verify_token(authorization.substr(kBearer.size()));
}

AuthResult JwtVerifier::verify_token(std::string_view token) const {
  AuthResult r;
  r.error = AuthErrc::jwt_verification;
  const auto d1 = token.find('.');
  const auto d2 = d1 == std::string_view::npos ? d1 : token.find('.', d1 + 1);
  if (d2 == std::string_view::npos || token.find('.', d2 + 1) != std::string_view::npos) return r;
  const auto header = base64url_decode(token.substr(0, d1));
  const auto payload = base64url_decode(token.substr(d1 + 1, d2 - d1 - 1));
  const auto sig = base64url_decode(token.substr(d2 + 1));
  if (!header || !payload || !sig) return r;

  const auto h = nlohmann::json::parse(*header, nullptr, false);
  const auto p = nlohmann::json::parse(*payload, nullptr, false);
  if (!h.is_object() || !p.is_object()) return r;
  const auto alg = h.find("alg");
  if (alg == h.end() || !alg->is_string()) return r;
  if (*alg == "HS256")
    r.claims.alg = HmacAlg::sha256;
  else if (*alg == "HS512")
    r.claims.alg = HmacAlg::sha512;
  else
    return r;

  const std::string expected = hmac(r.claims.alg, secret_key_, token.substr(0, d2));
  if (!constant_time_equal(expected, *sig)) return r;

  const auto key = p.find("access_key");
  const auto nonce = p.find("nonce");
  if (key == p.end() || !key->is_string()) return r;
  if (nonce == p.end() || !nonce->is_string() || nonce->get_ref<const std::string&>().empty())
    return r;
  r.claims.access_key = key->get<std::string>();
  r.claims.nonce = nonce->get<std::string>();
  if (const auto qh = p.find("query_hash"); qh != p.end() && qh->is_string()) {
    r.claims.query_hash = qh->get<std::string>();
  }
  if (const auto qa = p.find("query_hash_alg"); qa != p.end() && qa->is_string()) {
    r.claims.query_hash_alg = qa->get<std::string>();
  }
  // Signed with our secret but naming another key: Upbit looks the secret up by access key, so a
  // foreign key fails as "invalid access key".
  r.error = r.claims.access_key == access_key_ ? AuthErrc::ok : AuthErrc::invalid_access_key;
  return r;
}

AuthResult JwtVerifier::verify_request(std::string_view authorization,
                                       std::string_view query) const {
  AuthResult r = verify_header(authorization);
  if (!r.ok() || query.empty()) return r;
  if (!r.claims.query_hash || (r.claims.query_hash_alg && *r.claims.query_hash_alg != "SHA512")) {
    r.error = AuthErrc::invalid_query_payload;
    return r;
  }
  const std::string& got = *r.claims.query_hash;
  if (constant_time_equal(got, sha512_hex(query))) return r;
  const std::string decoded = percent_decode(query);
  if (decoded != query && constant_time_equal(got, sha512_hex(decoded))) return r;
  r.error = AuthErrc::invalid_query_payload;
  return r;
}

std::string JwtVerifier::sign(std::string_view access_key, std::string_view secret_key,
                              std::string_view nonce, HmacAlg alg, std::string_view query) {
  nlohmann::ordered_json header = {{"alg", alg == HmacAlg::sha256 ? "HS256" : "HS512"},
                                   {"typ", "JWT"}};
  nlohmann::ordered_json payload = {{"access_key", access_key}, {"nonce", nonce}};
  if (!query.empty()) {
    payload["query_hash"] = sha512_hex(query);
    payload["query_hash_alg"] = "SHA512";
  }
  std::string signing = base64url_encode(header.dump()) + "." + base64url_encode(payload.dump());
  const std::string sig = base64url_encode(hmac(alg, secret_key, signing));
  return signing + "." + sig;
}

bool NonceRegistry::insert(const std::string& nonce) {
  if (!seen_.insert(nonce).second) return false;
  order_.push_back(nonce);
  if (order_.size() > capacity_) {
    seen_.erase(order_.front());
    order_.pop_front();
  }
  return true;
}

std::string percent_decode(std::string_view s) {
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && hex(s[i + 1]) >= 0 && hex(s[i + 2]) >= 0) {
      out += static_cast<char>(hex(s[i + 1]) * 16 + hex(s[i + 2]));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

}  // namespace fillwire::sim
