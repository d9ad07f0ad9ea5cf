#pragma once
// Text from the wire (or from a file) made safe to print: server strings are data, never log lines,
// terminal commands or a way to leak a token.
//
//   quote_server_text  server prose (REST error messages, error frame texts, bodies) for a log
//                      line, notice, error message or journal note: capped, escaped, redacted
//   printable          exchange strings that are not prose (market codes, identifiers, status):
//                      escaped, not capped (their fields are bounded already)
//   one_line           a composed line that may already hold quoted text (a notice): one log
//                      line whatever it holds, capped and redacted; backslashes are kept, so text
//                      quoted once is not quoted twice
//
// Escaping: control bytes (C0, DEL, C1), backslash (except one_line), invalid UTF-8 and the
// Unicode characters that move text around (line and paragraph separators U+2028/U+2029, bidi
// overrides U+202A-U+202E and isolates U+2066-U+2069) become \n, \r, \t, \\ or \xHH per byte.
// Valid UTF-8 text (Korean, say) passes unchanged.
// Redaction: `Bearer <token>` (any case), a JWT-looking run ("eyJ" + base64url, then at least one
// more dot-separated segment: a token cut short still counts) and every occurrence of each given
// secret become <redacted>. A match that starts inside the cap is redacted whole, however far it
// runs past the cap, so a secret is never shown in part.
//
// Thread contract: cold path, any thread. These allocate (the result); they throw nothing but
// std::bad_alloc. Never call them on the hot threads: escape where the text is printed.

#include <cstddef>
#include <span>
#include <string>
#include <string_view>

namespace fillwire {

// Input bytes of server text kept in a log line, notice or error message.
inline constexpr std::size_t kServerTextCap = 300;
// Input bytes of one composed log line (a notice with its quoted parts).
inline constexpr std::size_t kLogLineCap = 4096;
// What a redacted token or secret becomes.
inline constexpr std::string_view kRedacted = "<redacted>";

// At most `cap` input bytes (cut on a character boundary; "…(+N bytes)" says how many were left
// out), escaped and redacted as above.
[[nodiscard]] std::string quote_server_text(std::string_view raw, std::size_t cap = kServerTextCap,
                                            std::span<const std::string_view> secrets = {});

// Escaped as above (no cap, no redaction): for market codes, identifiers and other short
// exchange strings on a terminal or in a log.
[[nodiscard]] std::string printable(std::string_view raw);

// One log line: control bytes and invalid UTF-8 escaped, backslashes kept, tokens and secrets
// redacted, at most `cap` input bytes.
[[nodiscard]] std::string one_line(std::string_view text, std::size_t cap = kLogLineCap,
                                   std::span<const std::string_view> secrets = {});

}  // namespace fillwire
