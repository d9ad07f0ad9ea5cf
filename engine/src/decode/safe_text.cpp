#include "fillwire/safe_text.hpp"

#include <algorithm>
#include <vector>

namespace fillwire {
namespace {

struct Range {
  std::size_t begin;
  std::size_t end;
};

bool is_alnum(unsigned char c) noexcept {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

// RFC 4648 §5 alphabet (JWT segments).
bool is_base64url(unsigned char c) noexcept {
  return is_alnum(c) || c == '-' || c == '_';
}

// RFC 6750 §2.1 b64token, with the padding.
bool is_b64token(unsigned char c) noexcept {
  return is_alnum(c) || c == '-' || c == '.' || c == '_' || c == '~' || c == '+' || c == '/' ||
         c == '=';
}

char lower(char c) noexcept {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

std::size_t base64url_run(std::string_view s, std::size_t i) noexcept {
  while (i < s.size() && is_base64url(static_cast<unsigned char>(s[i])))
    ++i;
  return i;
}

// The token after "Bearer" (any case) and blanks, for every "Bearer" that starts before `limit`.
void find_bearer_tokens(std::string_view s, std::size_t limit, std::vector<Range>& out) {
  constexpr std::string_view kWord = "bearer";
  for (std::size_t i = 0; i < limit && i + kWord.size() < s.size(); ++i) {
    std::size_t k = 0;
    while (k < kWord.size() && lower(s[i + k]) == kWord[k])
      ++k;
    if (k < kWord.size()) continue;
    std::size_t j = i + kWord.size();
    const std::size_t blanks = j;
    while (j < s.size() && (s[j] == ' ' || s[j] == '\t'))
      ++j;
    if (j == blanks) continue;
    std::size_t end = j;
    while (end < s.size() && is_b64token(static_cast<unsigned char>(s[end])))
      ++end;
    if (end > j) out.push_back({j, end});
    i = j > i ? j - 1 : i;
  }
}

// "eyJ" + base64url, then one or more ".segment": a JWT (JWS or JWE), or one cut short after its
// payload began. Only runs that start before `limit`.
void find_jwts(std::string_view s, std::size_t limit, std::vector<Range>& out) {
  constexpr std::string_view kStart = "eyJ";
  std::size_t i = 0;
  while (i < limit) {
    i = s.find(kStart, i);
    if (i == std::string_view::npos || i >= limit) return;
    std::size_t end = base64url_run(s, i + kStart.size());
    std::size_t segments = 1;
    while (end < s.size() && s[end] == '.') {
      const std::size_t next = base64url_run(s, end + 1);
      if (next == end + 1 && segments >= 2) {  // a trailing dot (unsigned token): part of it
        end = next;
        break;
      }
      if (next == end + 1) break;
      end = next;
      ++segments;
    }
    if (segments >= 2) {
      out.push_back({i, end});
      i = end;
    } else {
      i += kStart.size();
    }
  }
}

void find_secrets(std::string_view s, std::size_t limit, std::span<const std::string_view> secrets,
                  std::vector<Range>& out) {
  for (const std::string_view secret : secrets) {
    if (secret.empty()) continue;
    // Only occurrences that start before the limit are ever shown.
    const std::string_view hay = s.substr(0, std::min(s.size(), limit + secret.size() - 1));
    for (std::size_t at = hay.find(secret); at != std::string_view::npos && at < limit;
         at = hay.find(secret, at + 1)) {
      out.push_back({at, at + secret.size()});
    }
  }
}

// The length (1 to 4) of the valid UTF-8 sequence at s[i], and its code point; 0 when invalid
// (bad lead byte, bad or missing continuation, overlong form, surrogate, beyond U+10FFFF).
std::size_t utf8_at(std::string_view s, std::size_t i, char32_t& cp) noexcept {
  const auto b = [&](std::size_t k) { return static_cast<unsigned char>(s[i + k]); };
  const unsigned char c = b(0);
  if (c < 0x80) {
    cp = c;
    return 1;
  }
  std::size_t len = 0;
  unsigned char lo = 0x80;
  unsigned char hi = 0xBF;
  if (c >= 0xC2 && c <= 0xDF) {
    len = 2;
  } else if (c >= 0xE0 && c <= 0xEF) {
    len = 3;
    if (c == 0xE0) lo = 0xA0;
    if (c == 0xED) hi = 0x9F;
  } else if (c >= 0xF0 && c <= 0xF4) {
    len = 4;
    if (c == 0xF0) lo = 0x90;
    if (c == 0xF4) hi = 0x8F;
  } else {
    return 0;
  }
  if (i + len > s.size()) return 0;
  if (b(1) < lo || b(1) > hi) return 0;
  for (std::size_t k = 2; k < len; ++k) {
    if (b(k) < 0x80 || b(k) > 0xBF) return 0;
  }
  cp = static_cast<char32_t>(c & (0xFF >> (len + 1)));
  for (std::size_t k = 1; k < len; ++k)
    cp = (cp << 6) | (b(k) & 0x3F);
  return len;
}

// Code points that a terminal or a log viewer may act on: C1 controls, line and paragraph
// separators, bidi embeddings, overrides and isolates.
bool moves_text(char32_t cp) noexcept {
  return (cp >= 0x80 && cp <= 0x9F) || (cp >= 0x2028 && cp <= 0x202E) ||
         (cp >= 0x2066 && cp <= 0x2069);
}

void append_hex(std::string& out, unsigned char c) {
  constexpr char kHex[] = "0123456789abcdef";
  out += "\\x";
  out += kHex[c >> 4];
  out += kHex[c & 0xF];
}

void append_ascii(std::string& out, unsigned char c, bool escape_backslash) {
  switch (c) {
    case '\n':
      out += "\\n";
      return;
    case '\r':
      out += "\\r";
      return;
    case '\t':
      out += "\\t";
      return;
    case '\\':
      out += escape_backslash ? "\\\\" : "\\";
      return;
    default:
      if (c < 0x20 || c == 0x7F) {
        append_hex(out, c);
      } else {
        out += static_cast<char>(c);
      }
  }
}

std::string render(std::string_view s, std::size_t cap, std::span<const std::string_view> secrets,
                   bool redact, bool escape_backslash) {
  std::vector<Range> ranges;
  if (redact) {
    const std::size_t limit = std::min(cap, s.size());
    find_bearer_tokens(s, limit, ranges);
    find_jwts(s, limit, ranges);
    find_secrets(s, limit, secrets, ranges);
    std::sort(ranges.begin(), ranges.end(),
              [](const Range& a, const Range& b) { return a.begin < b.begin; });
    std::vector<Range> merged;
    for (const Range& r : ranges) {
      if (!merged.empty() && r.begin <= merged.back().end) {
        merged.back().end = std::max(merged.back().end, r.end);
      } else {
        merged.push_back(r);
      }
    }
    ranges.swap(merged);
  }

  std::string out;
  out.reserve(std::min(s.size(), cap) + 16);
  std::size_t pos = 0;
  std::size_t r = 0;
  while (pos < s.size() && pos < cap) {
    if (r < ranges.size() && ranges[r].begin <= pos) {
      out += kRedacted;
      pos = std::max(pos, ranges[r].end);
      ++r;
      continue;
    }
    const std::size_t next_range = r < ranges.size() ? ranges[r].begin : s.size();
    char32_t cp = 0;
    const std::size_t len = utf8_at(s, pos, cp);
    if (len == 1) {
      append_ascii(out, static_cast<unsigned char>(s[pos]), escape_backslash);
      ++pos;
    } else if (len > 1 && pos + len <= next_range) {
      if (pos + len > cap) break;  // never half a character
      if (moves_text(cp)) {
        for (std::size_t k = 0; k < len; ++k)
          append_hex(out, static_cast<unsigned char>(s[pos + k]));
      } else {
        out.append(s.substr(pos, len));
      }
      pos += len;
    } else {
      append_hex(out, static_cast<unsigned char>(s[pos]));
      ++pos;
    }
  }
  if (pos < s.size()) {
    out += "\u2026(+";
    out += std::to_string(s.size() - pos);
    out += " bytes)";
  }
  return out;
}

}  // namespace

std::string quote_server_text(std::string_view raw, std::size_t cap,
                              std::span<const std::string_view> secrets) {
  return render(raw, cap, secrets, /*redact=*/true, /*escape_backslash=*/true);
}

std::string printable(std::string_view raw) {
  return render(raw, raw.size(), {}, /*redact=*/false, /*escape_backslash=*/true);
}

std::string one_line(std::string_view text, std::size_t cap,
                     std::span<const std::string_view> secrets) {
  return render(text, cap, secrets, /*redact=*/true, /*escape_backslash=*/false);
}

}  // namespace fillwire
