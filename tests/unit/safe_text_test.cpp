#include "fillwire/safe_text.hpp"

#include <gtest/gtest.h>

#include <array>
#include <string>

namespace fillwire {
namespace {

// A token as the signer makes them (header {"alg":"HS256","typ":"JWT"}, a payload, a MAC).
constexpr std::string_view kJwt =
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJhY2Nlc3Nfa2V5IjoiYWsiLCJub25jZSI6IjEifQ."
    "c2lnbmF0dXJlLW9mLXRoZS10b2tlbg";

TEST(SafeText, FifteenMegabyteBodyIsCappedAndSaysHowMuchWasLeftOut) {
  const std::string body(15u << 20, 'x');
  const std::string q = quote_server_text(body);
  EXPECT_LT(q.size(), kServerTextCap + 40);
  EXPECT_EQ(q.substr(0, kServerTextCap), std::string(kServerTextCap, 'x'));
  EXPECT_NE(q.find("(+" + std::to_string(body.size() - kServerTextCap) + " bytes)"),
            std::string::npos)
      << q;
  EXPECT_EQ(quote_server_text("short"), "short");  // nothing cut, nothing added
}

TEST(SafeText, NewlinesCannotForgeALogLine) {
  const std::string forged = "bad order\n2024-01-01 00:00:00.000 info connected to evil\r\n";
  for (const std::string& s : {quote_server_text(forged), one_line(forged), printable(forged)}) {
    EXPECT_EQ(s.find('\n'), std::string::npos) << s;
    EXPECT_EQ(s.find('\r'), std::string::npos) << s;
  }
  EXPECT_EQ(quote_server_text("a\nb\rc\td"), "a\\nb\\rc\\td");
}

TEST(SafeText, EscapeSequencesNeverReachTheTerminal) {
  // ESC, a C1 CSI (U+009B), DEL, NUL, a bidi override (U+202E) and a line separator (U+2028).
  const std::string raw = std::string(
                              "KRW-\x1b[2JBTC\xc2\x9b"
                              "31m\x7f") +
                          '\0' +
                          "\xe2\x80\xae"
                          "x\xe2\x80\xa8";
  EXPECT_EQ(printable(raw),
            "KRW-\\x1b[2JBTC\\xc2\\x9b31m\\x7f\\x00\\xe2\\x80\\xaex\\xe2\\x80\\xa8");
  EXPECT_EQ(quote_server_text(raw), printable(raw));
  for (const std::string& s : {printable(raw), quote_server_text(raw), one_line(raw)}) {
    for (const char c : s) {
      const auto u = static_cast<unsigned char>(c);
      EXPECT_TRUE(u >= 0x20 && u != 0x7F) << s;
    }
  }
}

TEST(SafeText, BackslashIsEscapedSoEscapesAreUnambiguous) {
  EXPECT_EQ(printable("a\\x1b"), "a\\\\x1b");
  // A line that already holds quoted text keeps its backslashes: it is not quoted twice.
  const std::string quoted = quote_server_text("a\nb");
  EXPECT_EQ(one_line("notice: " + quoted), "notice: a\\nb");
}

TEST(SafeText, InvalidUtf8IsEscapedByteByByte) {
  // A lone continuation byte, an overlong '/', a surrogate, a cut 3-byte sequence, beyond U+10FFFF.
  EXPECT_EQ(printable("\x80"), "\\x80");
  EXPECT_EQ(printable("\xc0\xaf"), "\\xc0\\xaf");
  EXPECT_EQ(printable("\xed\xa0\x80"), "\\xed\\xa0\\x80");
  EXPECT_EQ(printable("\xea\xb0"), "\\xea\\xb0");
  EXPECT_EQ(printable("\xf4\x90\x80\x80"), "\\xf4\\x90\\x80\\x80");
}

TEST(SafeText, ValidUtf8PassesUnchanged) {
  const std::string korean = "주문이 체결되었습니다 (KRW-BTC) — 잔고 부족 😀";
  EXPECT_EQ(printable(korean), korean);
  EXPECT_EQ(quote_server_text(korean), korean);
  EXPECT_EQ(one_line(korean), korean);
}

TEST(SafeText, CapNeverSplitsACharacter) {
  const std::string korean = "가나다";  // three 3-byte characters
  const std::string q = quote_server_text(korean, 4);
  EXPECT_EQ(q.substr(0, 3), "가");
  EXPECT_NE(q.find("(+6 bytes)"), std::string::npos) << q;
}

TEST(SafeText, EchoedAuthorizationHeaderIsRedacted) {
  const std::string echoed =
      std::string(R"({"error":{"name":"bad","message":"Authorization: Bearer )") +
      std::string(kJwt) + R"( rejected"}})";
  const std::string q = quote_server_text(echoed);
  EXPECT_EQ(q.find("eyJ"), std::string::npos) << q;
  EXPECT_EQ(q.find("c2lnbmF0dXJl"), std::string::npos) << q;
  EXPECT_NE(q.find("Bearer <redacted> rejected"), std::string::npos) << q;
  // Any case, any token (not only a JWT), and a JWT on its own.
  EXPECT_EQ(quote_server_text("authorization: bEaReR abc.DEF~+/=="),
            "authorization: bEaReR <redacted>");
  EXPECT_EQ(quote_server_text("token=" + std::string(kJwt) + "&x=1"), "token=<redacted>&x=1");
  EXPECT_EQ(one_line("Bearer " + std::string(kJwt)), "Bearer <redacted>");
}

TEST(SafeText, AJwtCutShortAfterItsPayloadBeganIsStillRedacted) {
  const std::string cut(kJwt.substr(0, 50));  // header, a dot, part of the payload
  EXPECT_EQ(quote_server_text("got " + cut), "got <redacted>");
  // The header alone carries nothing of the account: "eyJ" in prose stays.
  EXPECT_EQ(quote_server_text("eyJhbGciOiJIUzI1NiJ9 only"), "eyJhbGciOiJIUzI1NiJ9 only");
}

TEST(SafeText, SecretsAreRedactedEvenWhenTheCapFallsInsideThem) {
  const std::string_view access = "ak-0123456789abcdefghij";
  const std::array<std::string_view, 1> secrets{access};
  // The secret starts 5 bytes before the cap: it is redacted whole, not shown in part.
  const std::string text = std::string(kServerTextCap - 5, '.') + std::string(access) + " tail";
  const std::string q = quote_server_text(text, kServerTextCap, secrets);
  EXPECT_EQ(q.find("ak-01"), std::string::npos) << q;
  EXPECT_NE(q.find("<redacted>"), std::string::npos) << q;
  EXPECT_NE(q.find("(+5 bytes)"), std::string::npos) << q;
  // Every occurrence, anywhere inside the cap.
  EXPECT_EQ(quote_server_text(std::string(access) + " and " + std::string(access), 300, secrets),
            "<redacted> and <redacted>");
  // An empty secret redacts nothing.
  const std::array<std::string_view, 1> empty{std::string_view{}};
  EXPECT_EQ(quote_server_text("plain", 300, empty), "plain");
}

TEST(SafeText, OutputIsBoundedWhateverTheInput) {
  // The worst case: every byte escaped to four.
  const std::string controls(1u << 20, '\x01');
  EXPECT_LE(quote_server_text(controls).size(), 4 * kServerTextCap + 40);
  EXPECT_LE(one_line(controls).size(), 4 * kLogLineCap + 40);
}

}  // namespace
}  // namespace fillwire
