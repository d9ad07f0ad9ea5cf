#pragma once
// JSON numbers for the decoder's fast path (flat_scanner.hpp): strict grammar, exact results.
//
//   read_double  -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?  -> the correctly rounded double
//   read_int     -?(0|[1-9][0-9]{0,17})                           -> int64 (no fraction/exponent)
//
// Both return false on anything else; the scanner then hands the frame to the general path, which
// names the error. They may read 33 bytes past `end`: frames carry kFramePadding readable bytes.
//
// Two readers. The common shape (what the exchange sends: at most 16 digits before and after the
// point, 19 in all, no exponent) is read without a branch per digit: one 32-byte load (AVX2; a
// 16-byte load per run of digits without it) finds the runs' lengths (compare, movemask, count of
// trailing ones), and each run's value is made in four vector steps (pmaddubsw, pmaddwd, packssdw,
// pmaddwd: 16 digits -> two 8-digit halves). Anything else (longer runs, an exponent, a leading
// zero before digits, a value that runs into `end`), and every build without SSSE3, takes the
// scalar reader below, which is the reference: it reads the digits in SWAR steps of 8, 4, 2 and 1
// into an integer mantissa.
//
// How a double is made, by both: the value mantissa / 10^k (k = fraction digits, mantissa of at
// most 19 digits) is rounded once:
//   - mantissa < 2^53: both operands are exact doubles, and one IEEE division rounds correctly
//     (Clinger's fast path);
//   - otherwise (17-19 digits, e.g. 22.467660028283017): one 128-by-64-bit integer division gives
//     the quotient's leading 63-64 bits and whether anything remains, which is all that rounding to
//     53 bits (to nearest, ties to even) needs. (No x87 long-double division: its result has to
//     leave the FPU through memory, which stalls the frame around it.)
// More digits, or an exponent, go to std::from_chars, also correctly rounded. Any thread; no
// allocation, no exception.

#include <bit>
#include <charconv>
#include <cstddef>
#include <cstdint>
#include <cstring>

#if defined(__SSSE3__)
#include <immintrin.h>
#endif

namespace fillwire::detail {

inline constexpr std::uint64_t kPow10Int[] = {1ull,
                                              10ull,
                                              100ull,
                                              1000ull,
                                              10000ull,
                                              100000ull,
                                              1000000ull,
                                              10000000ull,
                                              100000000ull,
                                              1000000000ull,
                                              10000000000ull,
                                              100000000000ull,
                                              1000000000000ull,
                                              10000000000000ull,
                                              100000000000000ull,
                                              1000000000000000ull,
                                              10000000000000000ull,
                                              100000000000000000ull,
                                              1000000000000000000ull,
                                              10000000000000000000ull};
inline constexpr double kPow10Double[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                          1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                          1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

// True if the 8 bytes at p are all ASCII digits; `chunk` gets them.
[[gnu::always_inline]] inline bool eight_digits(const char* p, std::uint64_t& chunk) noexcept {
  std::memcpy(&chunk, p, 8);
  return ((chunk & 0xF0F0F0F0F0F0F0F0) == 0x3030303030303030) &&
         (((chunk + 0x0606060606060606) & 0xF0F0F0F0F0F0F0F0) == 0x3030303030303030);
}

// Value of eight ASCII digits (little-endian word): three multiply-shift steps (SWAR).
[[gnu::always_inline]] inline std::uint64_t eight_digits_value(std::uint64_t chunk) noexcept {
  chunk = (chunk & 0x0F0F0F0F0F0F0F0F) * 2561 >> 8;
  chunk = (chunk & 0x00FF00FF00FF00FF) * 6553601 >> 16;
  return (chunk & 0x0000FFFF0000FFFF) * 42949672960001 >> 32;
}

// True if the 4 bytes at p are all ASCII digits; `chunk` gets them.
[[gnu::always_inline]] inline bool four_digits(const char* p, std::uint32_t& chunk) noexcept {
  std::memcpy(&chunk, p, 4);
  return ((chunk & 0xF0F0F0F0) == 0x30303030) &&
         (((chunk + 0x06060606) & 0xF0F0F0F0) == 0x30303030);
}

// Value of four ASCII digits (little-endian word): two multiply-add steps.
[[gnu::always_inline]] inline std::uint32_t four_digits_value(std::uint32_t chunk) noexcept {
  chunk &= 0x0F0F0F0F;
  chunk = (chunk * 10 + (chunk >> 8)) & 0x00FF00FF;  // two 2-digit values, bytes 0 and 2
  return (chunk * 100 + (chunk >> 16)) & 0xFFFF;
}

[[gnu::always_inline]] inline bool is_digit(char c) noexcept {
  return static_cast<unsigned char>(c - '0') <= 9;
}

// A run of digits into `value`; `digits` counts them. Returns false past 19 digits (the caller
// then lets std::from_chars do the exact work, from the start of the number). Stops before `end`.
// Steps of 8, then one of 4, 2 and 1 as they fit: a few predictable branches per run, not one per
// digit.
[[gnu::always_inline]] inline bool digits_into(const char*& p, const char* end,
                                               std::uint64_t& value, int& digits) noexcept {
  std::uint64_t eight;
  while (end - p >= 8 && eight_digits(p, eight)) {
    value = value * 100000000 + eight_digits_value(eight);
    digits += 8;
    p += 8;
  }
  std::uint32_t four;
  if (end - p >= 4 && four_digits(p, four)) {
    value = value * 10000 + four_digits_value(four);
    digits += 4;
    p += 4;
  }
  if (end - p >= 2 && is_digit(p[0]) && is_digit(p[1])) {
    value = value * 100 + static_cast<std::uint64_t>((p[0] - '0') * 10 + (p[1] - '0'));
    digits += 2;
    p += 2;
  }
  if (p < end && is_digit(*p)) {
    value = value * 10 + static_cast<std::uint64_t>(*p - '0');
    ++digits;
    ++p;
  }
  return digits <= 19;  // the run is consumed: fewer than 8 digits were left after the steps of 8
}

// Skips a run of digits (after an overflow, or in an exponent).
inline void skip_digits(const char*& p, const char* end) noexcept {
  while (p < end && *p >= '0' && *p <= '9')
    ++p;
}

// mantissa / 10^k rounded to nearest (ties to even), for 2^53 <= mantissa < 2^64 and 0 <= k <= 19.
inline double exact_quotient(std::uint64_t mantissa, unsigned k) noexcept {
  const std::uint64_t divisor = kPow10Int[k];
  const int shift_m = std::countl_zero(mantissa);
  const int shift_d = std::countl_zero(divisor);
  const std::uint64_t m = mantissa << shift_m;  // both in [2^63, 2^64)
  const std::uint64_t d = divisor << shift_d;
  // q = floor(m * 2^63 / d), r its remainder. m / d is in (1/2, 2), so q is in [2^62, 2^64): 63 or
  // 64 significant bits, 10 or 11 more than a double keeps. The dividend's high word m >> 1 is
  // below d, so the quotient fits the instruction.
  std::uint64_t q;
  std::uint64_t r;
#if defined(__x86_64__)
  asm("divq %[d]" : "=a"(q), "=d"(r) : [d] "r"(d), "a"(m << 63), "d"(m >> 1) : "cc");
#else
  const unsigned __int128 n = static_cast<unsigned __int128>(m) << 63;
  q = static_cast<std::uint64_t>(n / d);
  r = static_cast<std::uint64_t>(n % d);
#endif
  const int drop = 11 - std::countl_zero(q);  // bits below the 53 kept
  std::uint64_t kept = q >> drop;
  const std::uint64_t rest = q & ((std::uint64_t{1} << drop) - 1);
  const std::uint64_t half = std::uint64_t{1} << (drop - 1);
  if (rest > half || (rest == half && (r != 0 || (kept & 1) != 0))) ++kept;  // may reach 2^53
  // mantissa / 10^k = (q + r/d) * 2^(shift_d - shift_m - 63) and kept ~ q / 2^drop. The scale is a
  // power of two well inside the normal range, so the product is exact.
  const int exponent = drop + shift_d - shift_m - 63;
  const double scale = std::bit_cast<double>(static_cast<std::uint64_t>(1023 + exponent) << 52);
  return static_cast<double>(kept) * scale;
}

// mantissa / 10^k, correctly rounded, for any mantissa and 0 <= k <= 19.
[[gnu::always_inline]] inline double quotient(std::uint64_t mantissa, unsigned k) noexcept {
  return mantissa < (std::uint64_t{1} << 53) ? static_cast<double>(mantissa) / kPow10Double[k]
                                             : exact_quotient(mantissa, k);
}

// The scalar readers take the number's start by value and return where it ends (nullptr: not a
// number of their grammar), so that no caller's position has its address taken: the scanner's
// position then stays in a register through its loop instead of being stored at every field.
[[gnu::always_inline]] inline bool advance(const char*& p, const char* to) noexcept {
  if (to == nullptr) return false;
  p = to;
  return true;
}

// The scalar reader: every number of the grammar (the reference for the vector one below).
inline const char* read_double_scalar(const char* p, const char* end, double& out) noexcept {
  const char* start = p;
  const bool negative = *p == '-';
  if (negative) ++p;
  if (p >= end || *p < '0' || *p > '9') return nullptr;
  std::uint64_t mantissa = 0;
  int digits = 0;
  int fraction_digits = 0;
  bool exact = true;  // false: more than 19 significant digits, or an exponent
  if (*p == '0') {
    ++p;
  } else if (!digits_into(p, end, mantissa, digits)) {
    exact = false;
    skip_digits(p, end);
  }
  if (p < end && *p == '.') {
    ++p;
    if (p >= end || *p < '0' || *p > '9') return nullptr;
    const int before = digits;
    if (exact && !digits_into(p, end, mantissa, digits)) exact = false;
    fraction_digits = digits - before;
    skip_digits(p, end);
  }
  if (p < end && (*p == 'e' || *p == 'E')) {
    exact = false;
    ++p;
    if (p < end && (*p == '+' || *p == '-')) ++p;
    if (p >= end || *p < '0' || *p > '9') return nullptr;
    const char* exponent = p;
    skip_digits(p, end);
    // Exponents of more than three digits (`0e6666...`) are the general path's to judge:
    // from_chars and simdjson differ on them, and the two paths must agree.
    if (p - exponent > 3) return nullptr;
  }
  if (exact) {
    const double v = quotient(mantissa, static_cast<unsigned>(fraction_digits));  // k: 0..19
    out = negative ? -v : v;
    return p;
  }
  const auto r = std::from_chars(start, p, out);
  return r.ec == std::errc{} && r.ptr == p ? p : nullptr;
}

inline const char* read_int_scalar(const char* p, const char* end, std::int64_t& out) noexcept {
  const bool negative = *p == '-';
  if (negative) ++p;
  if (p >= end || *p < '0' || *p > '9') return nullptr;
  if (*p == '0' && p + 1 < end && p[1] >= '0' && p[1] <= '9') return nullptr;  // leading zero
  std::uint64_t v = 0;
  int digits = 0;
  // 19 digits may exceed int64: such values (and anything longer) go to the general path.
  if (!digits_into(p, end, v, digits) || digits > 18) return nullptr;
  if (p < end && (*p == '.' || *p == 'e' || *p == 'E')) return nullptr;  // not an integer
  out = negative ? -static_cast<std::int64_t>(v) : static_cast<std::int64_t>(v);
  return p;
}

#if defined(__SSSE3__)

// The vector readers' constants, read as memory operands rather than built in registers: in the
// scanner's large loop GCC rebuilds a splatted constant at each use (mov, vmovd, vpbroadcastb: three
// instructions, nine per number). number_constants() hides the table's address behind an empty asm,
// so its bytes cannot be folded back into immediates; each use is then a load folded into the
// instruction that needs it.
template <class T, std::size_t N>
struct Lane {
  T value[N];
};
template <class T, std::size_t N>
constexpr Lane<T, N> splat(T v) {
  Lane<T, N> lane{};
  for (auto& x : lane.value)
    x = v;
  return lane;
}
// pmaddubsw/pmaddwd weights, the more significant element first: (w, 1) repeated.
template <class T, std::size_t N>
constexpr Lane<T, N> weights(T w) {
  Lane<T, N> lane = splat<T, N>(1);
  for (std::size_t i = 0; i < N; i += 2)
    lane.value[i] = w;
  return lane;
}
struct NumberConstants {
  alignas(32) Lane<char, 32> zero = splat<char, 32>('0');
  alignas(32) Lane<char, 32> nine = splat<char, 32>(9);
  alignas(32) Lane<char, 32> point = splat<char, 32>('.');
  alignas(32) Lane<std::int8_t, 32> pairs = weights<std::int8_t, 32>(10);        // d0 * 10 + d1
  alignas(32) Lane<std::int16_t, 16> quads = weights<std::int16_t, 16>(100);     // p0 * 100 + p1
  alignas(32) Lane<std::int16_t, 16> eights = weights<std::int16_t, 16>(10000);  // q0 * 10^4 + q1
  alignas(32) Lane<std::uint64_t, 4> e8 = splat<std::uint64_t, 4>(100000000);    // e0 * 10^8 + e1
};
inline constexpr NumberConstants kNumberConstants{};
[[gnu::always_inline]] inline const NumberConstants& number_constants() noexcept {
  const NumberConstants* c = &kNumberConstants;
  asm("" : "+r"(c));
  return *c;
}
// The first sizeof(V) bytes of a constant.
template <class V, class Lane>
[[gnu::always_inline]] inline V load_constant(const Lane& lane) noexcept {
  static_assert(sizeof(Lane) >= sizeof(V));
  V v;
  std::memcpy(&v, &lane, sizeof(V));
  return v;
}

// kAlignRun[n]: the shuffle that moves the first n bytes of a 16-byte vector to its end and
// zeroes the bytes before them (a 0x80 index zeroes), so that a run of n digits reads as a
// 16-digit number with leading zeros.
inline constexpr auto kAlignRun = [] {
  struct Table {
    alignas(16) std::uint8_t index[17][16];
  } t{};
  for (unsigned n = 0; n <= 16; ++n) {
    for (unsigned i = 0; i < 16; ++i)
      t.index[n][i] = i < 16 - n ? 0x80 : static_cast<std::uint8_t>(i - (16 - n));
  }
  return t;
}();

// The value of the first n (0..16) of 16 digit values (bytes less '0'): moved to the end of the
// vector (kAlignRun), then pairs, quads, then eights: 8 x 2 digits (16-bit), 4 x 4 digits (32-bit),
// packed to 16-bit, 2 x 8 digits (32-bit, in the low 64 bits). Byte 0 is the most significant.
[[gnu::always_inline]] inline std::uint64_t run_value(__m128i digits, unsigned n) noexcept {
  const NumberConstants& c = number_constants();
  const __m128i aligned = _mm_shuffle_epi8(
      digits, _mm_load_si128(reinterpret_cast<const __m128i*>(kAlignRun.index[n])));
  const __m128i pairs = _mm_maddubs_epi16(aligned, load_constant<__m128i>(c.pairs));  // d0*10 + d1
  const __m128i quads = _mm_madd_epi16(pairs, load_constant<__m128i>(c.quads));       // p0*100 + p1
  const __m128i eights = _mm_madd_epi16(_mm_packs_epi32(quads, quads),
                                        load_constant<__m128i>(c.eights));  // q0*1e4 + q1
  const auto halves = static_cast<std::uint64_t>(_mm_cvtsi128_si64(eights));
  return (halves & 0xFFFFFFFF) * 100000000 + (halves >> 32);
}

// The 16 bytes at p less '0'.
[[gnu::always_inline]] inline __m128i digit_values(const char* p) noexcept {
  return _mm_sub_epi8(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)),
                      load_constant<__m128i>(number_constants().zero));
}

// The run of ASCII digits at p, as far as 16 bytes show it: its length (16 means "maybe more")
// and the value of its digits. Reads 16 bytes at p.
struct DigitRun {
  std::uint64_t value;
  unsigned length;
};
[[gnu::always_inline]] inline DigitRun digit_run(const char* p) noexcept {
  const __m128i digits = digit_values(p);
  // A byte is a digit when, less '0', it is at most 9 as an unsigned byte.
  const __m128i is_digit =
      _mm_cmpeq_epi8(_mm_min_epu8(digits, load_constant<__m128i>(number_constants().nine)), digits);
  const auto mask = static_cast<unsigned>(_mm_movemask_epi8(is_digit));
  const auto length = static_cast<unsigned>(std::countr_one(mask));  // 0..16
  return {run_value(digits, length), length};
}

// The vector readers' last step, once the digits are read: a number that runs into `end` or goes
// on with an exponent is the scalar reader's (from p, its start); else mantissa / 10^k, signed,
// and p moves to `after`.
[[gnu::always_inline]] inline bool finish_decimal(const char*& p, const char* after,
                                                  const char* end, std::uint64_t mantissa,
                                                  unsigned k, bool negative, double& out) noexcept {
  if (after >= end || *after == 'e' || *after == 'E')
    return advance(p, read_double_scalar(p, end, out));
  const double v = quotient(mantissa, k);
  out = negative ? -v : v;
  p = after;
  return true;
}

#if defined(__AVX2__)

// Which of the 32 bytes are ASCII digits, as a bit mask.
[[gnu::always_inline]] inline std::uint32_t digit_mask32(__m256i bytes) noexcept {
  const NumberConstants& c = number_constants();
  const __m256i digits = _mm256_sub_epi8(bytes, load_constant<__m256i>(c.zero));
  return static_cast<std::uint32_t>(_mm256_movemask_epi8(
      _mm256_cmpeq_epi8(_mm256_min_epu8(digits, load_constant<__m256i>(c.nine)), digits)));
}

// The values of two runs of digits at once, one per 128-bit lane: the first na (0..16) digits at a
// and the first nb at b. The same steps as run_value, then each lane's two 8-digit halves joined
// (e0 * 10^8 + e1) in the vector too: one instruction of each kind for both runs.
struct TwoRuns {
  std::uint64_t a;
  std::uint64_t b;
};
[[gnu::always_inline]] inline TwoRuns two_run_values(const char* a, unsigned na, const char* b,
                                                     unsigned nb) noexcept {
  const NumberConstants& c = number_constants();
  const __m256i bytes = _mm256_inserti128_si256(
      _mm256_castsi128_si256(_mm_loadu_si128(reinterpret_cast<const __m128i*>(a))),
      _mm_loadu_si128(reinterpret_cast<const __m128i*>(b)), 1);
  const __m256i index = _mm256_inserti128_si256(
      _mm256_castsi128_si256(_mm_load_si128(reinterpret_cast<const __m128i*>(kAlignRun.index[na]))),
      _mm_load_si128(reinterpret_cast<const __m128i*>(kAlignRun.index[nb])), 1);
  const __m256i aligned =
      _mm256_shuffle_epi8(_mm256_sub_epi8(bytes, load_constant<__m256i>(c.zero)), index);
  const __m256i pairs = _mm256_maddubs_epi16(aligned, load_constant<__m256i>(c.pairs));
  const __m256i quads = _mm256_madd_epi16(pairs, load_constant<__m256i>(c.quads));
  const __m256i eights =
      _mm256_madd_epi16(_mm256_packs_epi32(quads, quads), load_constant<__m256i>(c.eights));
  // Each lane's low 64 bits hold e0 (bits 0-31, the more significant half) and e1.
  const __m256i runs = _mm256_add_epi64(_mm256_mul_epu32(eights, load_constant<__m256i>(c.e8)),
                                        _mm256_srli_epi64(eights, 32));
  return {static_cast<std::uint64_t>(_mm256_extract_epi64(runs, 0)),
          static_cast<std::uint64_t>(_mm256_extract_epi64(runs, 2))};
}

// The common shape: -?D{1,16}(\.D{1,16})? with at most 19 digits, no exponent, ending before
// `end`; anything else goes to the scalar reader, from the start.
//
// Where the number ends decides where the next key is read, so that is what the frame waits on:
// here it comes from one 32-byte load (which bytes are digits, which is a point: two masks, two
// counts of trailing ones), not from a load per run of digits. The digits' value is made beside it,
// off that chain.
[[gnu::always_inline]] inline bool read_double(const char*& p, const char* end,
                                               double& out) noexcept {
  // The load is at p itself, sign included: the sign's own load runs beside it instead of before.
  const __m256i bytes = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
  const std::uint32_t digit_mask = digit_mask32(bytes);
  const auto point_mask = static_cast<std::uint32_t>(_mm256_movemask_epi8(
      _mm256_cmpeq_epi8(bytes, load_constant<__m256i>(number_constants().point))));
  const unsigned negative = *p == '-' ? 1 : 0;
  const char* const q = p + negative;  // the first digit
  const auto whole = static_cast<unsigned>(std::countr_one(digit_mask >> negative));  // 0..32
  // More than 16 whole digits, a leading zero before more digits (not JSON: the scalar reader
  // says so), or no digit at all.
  if (whole - 1 >= 16 || (*q == '0' && whole > 1))
    return advance(p, read_double_scalar(p, end, out));
  unsigned k = 0;
  unsigned length = negative + whole;  // of the number's text
  std::uint64_t mantissa;
  if ((point_mask >> length) & 1) {
    // The window holds 31 - length bytes after the point: a fraction it cuts is over 19 digits.
    k = static_cast<unsigned>(std::countr_one(digit_mask >> (length + 1)));  // length + 1 <= 18
    if (k - 1 >= 16 || whole + k > 19) return advance(p, read_double_scalar(p, end, out));
    const TwoRuns runs = two_run_values(q, whole, q + whole + 1, k);
    mantissa = runs.a * kPow10Int[k] + runs.b;
    length += 1 + k;
  } else {
    mantissa = run_value(digit_values(q), whole);
  }
  return finish_decimal(p, p + length, end, mantissa, k, negative != 0, out);
}

#else

// The common shape: -?D{1,16}(\.D{1,16})? with at most 19 digits, no exponent, ending before
// `end`; anything else goes to the scalar reader, from the start.
[[gnu::always_inline]] inline bool read_double(const char*& p, const char* end,
                                               double& out) noexcept {
  const bool negative = *p == '-';
  const char* q = p + negative;
  const DigitRun whole = digit_run(q);
  // A run of 16 may go on; a leading zero before more digits is not JSON (the scalar reader says
  // so); no digits at all is not a number.
  if (whole.length - 1 >= 15 || (*q == '0' && whole.length > 1)) {
    return advance(p, read_double_scalar(p, end, out));
  }
  q += whole.length;
  std::uint64_t mantissa = whole.value;
  unsigned k = 0;
  if (*q == '.') {
    const DigitRun fraction = digit_run(q + 1);
    if (fraction.length - 1 >= 15 || whole.length + fraction.length > 19) {
      return advance(p, read_double_scalar(p, end, out));
    }
    k = fraction.length;
    mantissa = mantissa * kPow10Int[k] + fraction.value;
    q += 1 + k;
  }
  return finish_decimal(p, q, end, mantissa, k, negative, out);
}

#endif

#if defined(__AVX2__)

// -?D{1,16} without a leading zero, not followed by a fraction or an exponent, ending before
// `end`; anything else goes to the scalar reader. Where it ends comes from one 32-byte load at p,
// as in read_double.
[[gnu::always_inline]] inline bool read_int(const char*& p, const char* end,
                                            std::int64_t& out) noexcept {
  const std::uint32_t digit_mask =
      digit_mask32(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)));
  const unsigned negative = *p == '-' ? 1 : 0;
  const char* const q = p + negative;
  const auto length = static_cast<unsigned>(std::countr_one(digit_mask >> negative));
  const char* const after = q + length;
  if (length - 1 >= 16 || (*q == '0' && length > 1) || after >= end || *after == '.' ||
      *after == 'e' || *after == 'E') {
    return advance(p, read_int_scalar(p, end, out));
  }
  const auto v = static_cast<std::int64_t>(run_value(digit_values(q), length));
  out = negative ? -v : v;
  p = after;
  return true;
}

#else

// -?D{1,15} without a leading zero, not followed by a fraction or an exponent, ending before
// `end`; anything else goes to the scalar reader.
[[gnu::always_inline]] inline bool read_int(const char*& p, const char* end,
                                            std::int64_t& out) noexcept {
  const bool negative = *p == '-';
  const char* q = p + negative;
  const DigitRun run = digit_run(q);
  q += run.length;
  if (run.length - 1 >= 15 || (p[negative] == '0' && run.length > 1) || q >= end || *q == '.' ||
      *q == 'e' || *q == 'E') {
    return advance(p, read_int_scalar(p, end, out));
  }
  const auto v = static_cast<std::int64_t>(run.value);
  out = negative ? -v : v;
  p = q;
  return true;
}

#endif

#else

[[gnu::always_inline]] inline bool read_double(const char*& p, const char* end,
                                               double& out) noexcept {
  return advance(p, read_double_scalar(p, end, out));
}
[[gnu::always_inline]] inline bool read_int(const char*& p, const char* end,
                                            std::int64_t& out) noexcept {
  return advance(p, read_int_scalar(p, end, out));
}

#endif

}  // namespace fillwire::detail
