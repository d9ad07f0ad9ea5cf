#include "fillwire/uuid.hpp"

#if defined(__AVX2__)
#include <immintrin.h>
#endif

namespace fillwire {
namespace {

#if !defined(__AVX2__)
// Hex digit value, or -1. A table keeps parse() branch-light: 32 lookups per uuid (without AVX2).
constexpr auto kHexTable = [] {
  std::array<std::int8_t, 256> t{};
  for (auto& v : t)
    v = -1;
  for (int c = '0'; c <= '9'; ++c)
    t[static_cast<std::size_t>(c)] = static_cast<std::int8_t>(c - '0');
  for (int c = 'a'; c <= 'f'; ++c)
    t[static_cast<std::size_t>(c)] = static_cast<std::int8_t>(c - 'a' + 10);
  for (int c = 'A'; c <= 'F'; ++c)
    t[static_cast<std::size_t>(c)] = static_cast<std::int8_t>(c - 'A' + 10);
  return t;
}();
#endif

// Where each byte's two hex digits stand in the 36-char form (dashes at 8, 13, 18, 23).
constexpr std::uint8_t kPairAt[16] = {0, 2, 4, 6, 9, 11, 14, 16, 19, 21, 24, 26, 28, 30, 32, 34};

}  // namespace

bool Uuid::parse(std::string_view text, Uuid& out) noexcept {
  if (text.size() != kTextSize) return false;
  const char* t = text.data();
  if ((t[8] != '-') | (t[13] != '-') | (t[18] != '-') | (t[23] != '-')) return false;
#if defined(__AVX2__)
  // Gather the 32 hex digits (dashes dropped), check and convert them in one 32-byte register:
  // ~25 instructions instead of 32 table lookups. This runs twice per trade event. The digits are
  // gathered by shuffling three loads of the text (bytes 0-15, 14-29 and 20-35) in registers, not
  // by copies through memory: a 32-byte load of a buffer written by five smaller stores cannot be
  // forwarded from them and waits for them to reach the cache (that wait was half of parse()).
  const auto load16 = [t](std::size_t at) {
    return _mm_loadu_si128(reinterpret_cast<const __m128i*>(t + at));
  };
  const __m128i head = load16(0);
  const __m128i middle = load16(14);
  const __m128i tail = load16(20);
  // Digits 0-15: text 0-7 and 9-12 (head), 14-17 (middle); digits 16-31: text 19-22 (middle),
  // 24-35 (tail). A negative index zeroes the byte, so each half is the OR of two shuffles.
  const __m128i low = _mm_or_si128(
      _mm_shuffle_epi8(head, _mm_setr_epi8(0, 1, 2, 3, 4, 5, 6, 7, 9, 10, 11, 12, -1, -1, -1, -1)),
      _mm_shuffle_epi8(middle,
                       _mm_setr_epi8(-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, 0, 1, 2, 3)));
  const __m128i high = _mm_or_si128(
      _mm_shuffle_epi8(middle,
                       _mm_setr_epi8(5, 6, 7, 8, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1)),
      _mm_shuffle_epi8(tail,
                       _mm_setr_epi8(-1, -1, -1, -1, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15)));
  const __m256i v = _mm256_set_m128i(high, low);
  const __m256i lower = _mm256_or_si256(v, _mm256_set1_epi8(0x20));  // 'A'-'F' -> 'a'-'f'
  // Signed compares: bytes >= 0x80 are negative and so fail both ranges.
  const __m256i is_digit = _mm256_and_si256(_mm256_cmpgt_epi8(v, _mm256_set1_epi8('0' - 1)),
                                            _mm256_cmpgt_epi8(_mm256_set1_epi8('9' + 1), v));
  const __m256i is_alpha = _mm256_and_si256(_mm256_cmpgt_epi8(lower, _mm256_set1_epi8('a' - 1)),
                                            _mm256_cmpgt_epi8(_mm256_set1_epi8('f' + 1), lower));
  if (_mm256_movemask_epi8(_mm256_or_si256(is_digit, is_alpha)) != -1) return false;
  const __m256i nibble = _mm256_blendv_epi8(_mm256_sub_epi8(lower, _mm256_set1_epi8('a' - 10)),
                                            _mm256_sub_epi8(v, _mm256_set1_epi8('0')), is_digit);
  // Pairs of nibbles -> bytes: hi * 16 + lo in each 16-bit lane, then narrowed and reordered.
  const __m256i pairs = _mm256_maddubs_epi16(nibble, _mm256_set1_epi16(0x0110));
  const __m256i packed = _mm256_packus_epi16(pairs, pairs);  // per 128-bit lane: 8 bytes, twice
  const __m256i ordered = _mm256_permute4x64_epi64(packed, 0b1000);  // lane0 low, lane1 low
  _mm_storeu_si128(reinterpret_cast<__m128i*>(out.bytes.data()), _mm256_castsi256_si128(ordered));
  return true;
#else
  // Straight-line: the offsets of the 16 hex pairs are fixed, so there is no per-char branch
  // on dash positions, and one OR of all digit values detects any non-hex byte at the end.
  int bad = 0;
  for (std::size_t i = 0; i < 16; ++i) {
    const int hi = kHexTable[static_cast<unsigned char>(t[kPairAt[i]])];
    const int lo = kHexTable[static_cast<unsigned char>(t[kPairAt[i] + 1])];
    bad |= hi | lo;
    out.bytes[i] = static_cast<std::uint8_t>((hi << 4) | (lo & 0x0F));
  }
  return bad >= 0;
#endif
}

void Uuid::format(char* out) const noexcept {
  constexpr char kDigits[] = "0123456789abcdef";
  out[8] = out[13] = out[18] = out[23] = '-';
  for (std::size_t i = 0; i < 16; ++i) {
    out[kPairAt[i]] = kDigits[bytes[i] >> 4];
    out[kPairAt[i] + 1] = kDigits[bytes[i] & 0x0F];
  }
}

std::string Uuid::to_string() const {
  std::string s(kTextSize, '\0');
  format(s.data());
  return s;
}

}  // namespace fillwire
