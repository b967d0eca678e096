/*
 * utf8: validation of UTF-8 text, shared by the encoders (which escape what
 * is not UTF-8) and the Avro decoders of events and of asset records (which
 * reject it); and the runs of plain ASCII that need neither, found sixteen
 * bytes at a time with SSE2 (eight with integer arithmetic elsewhere, and
 * for the tail), since almost all text the engine writes and reads is such
 * a run.
 */
#ifndef AM_UTF8_H
#define AM_UTF8_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#define AM_UTF8_ONES UINT64_C(0x0101010101010101)
#define AM_UTF8_HIGH UINT64_C(0x8080808080808080)

/* The high bit of each byte of \p x that is not ASCII 0x01-0x7f: a zero
 * byte borrows into its own, a byte >= 0x80 has it.  Bytes above a flagged
 * one may be flagged too (the borrow runs on), so only the lowest flag
 * tells a position. */
static inline uint64_t am_utf8_not_ascii8(uint64_t x) {
    return ((x - AM_UTF8_ONES) | x) & AM_UTF8_HIGH;
}

/* The same for what a JSON string holds as it is, printable ASCII
 * (0x20-0x7f) but '"' and '\\': below 0x20 borrows, as does a zero byte of
 * x ^ '"' or x ^ '\\'. */
static inline uint64_t am_utf8_not_json8(uint64_t x) {
    uint64_t q = x ^ (AM_UTF8_ONES * '"'), b = x ^ (AM_UTF8_ONES * '\\');

    return ((x - AM_UTF8_ONES * 0x20) | x | ((q - AM_UTF8_ONES) & ~q) |
            ((b - AM_UTF8_ONES) & ~b)) &
           AM_UTF8_HIGH;
}

/* How many leading bytes of \p s (of \p n) \p flag passes: eight at a
 * time, the tail as the last eight bytes again (those before a first flag
 * passed, so it is the lowest), or, under eight, zero-padded (zero fails
 * both classes). */
static inline size_t am_utf8_run(const unsigned char *s, size_t n,
                                 uint64_t (*flag)(uint64_t)) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    uint64_t x = 0, m;
    size_t i = 0;

    for (; i + 8 <= n; i += 8) {
        memcpy(&x, s + i, 8);
        if ((m = flag(x)))
            return i + (size_t)__builtin_ctzll(m) / 8;
    }
    if (i == n)
        return n;
    if (n >= 8) {
        memcpy(&x, s + n - 8, 8);
        m = flag(x);
        return m ? n - 8 + (size_t)__builtin_ctzll(m) / 8 : n;
    }
    memcpy(&x, s, n);
    return (size_t)__builtin_ctzll(flag(x)) / 8;
#else
    size_t i = 0;

    /* One byte as the low byte of an integer: its own flag is exact. */
    while (i < n && !(flag(s[i]) & 0x80))
        i++;
    return i;
#endif
}

#if defined(__SSE2__)
/* Sixteen bytes at a time first (x86-64 has SSE2 always): \p flag16 gives
 * a bit per byte that fails, and what is left, under sixteen bytes, goes
 * to am_utf8_run(). */
static inline size_t am_utf8_run16(const unsigned char *s, size_t n,
                                   unsigned (*flag16)(__m128i),
                                   uint64_t (*flag)(uint64_t)) {
    size_t i = 0;

    for (; i + 16 <= n; i += 16) {
        unsigned m = flag16(_mm_loadu_si128((const __m128i *)(s + i)));
        if (m)
            return i + (size_t)__builtin_ctz(m);
    }
    return i + am_utf8_run(s + i, n - i, flag);
}

/* Bytes 0x00 and 0x80-0xff. */
static inline unsigned am_utf8_not_ascii16(__m128i x) {
    return (unsigned)(_mm_movemask_epi8(x) |
                      _mm_movemask_epi8(_mm_cmpeq_epi8(x, _mm_setzero_si128())));
}

/* Below 0x20 or above 0x7f (both below 0x20 as signed bytes), '"' and
 * '\\'. */
static inline unsigned am_utf8_not_json16(__m128i x) {
    __m128i bad = _mm_or_si128(
        _mm_cmplt_epi8(x, _mm_set1_epi8(0x20)),
        _mm_or_si128(_mm_cmpeq_epi8(x, _mm_set1_epi8('"')),
                     _mm_cmpeq_epi8(x, _mm_set1_epi8('\\'))));

    return (unsigned)_mm_movemask_epi8(bad);
}
#endif

/** @returns how many leading bytes of \p s (of \p n) are ASCII 0x01-0x7f. */
static inline size_t am_utf8_ascii_len(const unsigned char *s, size_t n) {
#if defined(__SSE2__)
    return am_utf8_run16(s, n, am_utf8_not_ascii16, am_utf8_not_ascii8);
#else
    return am_utf8_run(s, n, am_utf8_not_ascii8);
#endif
}

/** @returns how many leading bytes of \p s (of \p n) a JSON string holds
 *           as they are: printable ASCII (0x20-0x7f) but '"' and '\\'. */
static inline size_t am_utf8_json_plain_len(const unsigned char *s,
                                            size_t n) {
#if defined(__SSE2__)
    return am_utf8_run16(s, n, am_utf8_not_json16, am_utf8_not_json8);
#else
    return am_utf8_run(s, n, am_utf8_not_json8);
#endif
}

/**
 * @returns the length (1..4) of the valid UTF-8 sequence at \p s (of \p n
 *          bytes, n >= 1), or 0 when it is not valid UTF-8: an overlong
 *          form, a surrogate, a code point past U+10FFFF, a cut sequence, or
 *          a NUL byte (which no text field may hold).
 */
static inline size_t am_utf8_len(const unsigned char *s, size_t n) {
    size_t len;
    uint32_t cp;

    if (s[0] < 0x80)
        return s[0] != 0;
    if (s[0] < 0xc2 || s[0] > 0xf4)
        return 0;
    len = s[0] < 0xe0 ? 2 : s[0] < 0xf0 ? 3 : 4;
    if (len > n)
        return 0;
    cp = s[0] & (0x7f >> len);
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        cp = cp << 6 | (s[i] & 0x3f);
    }
    if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
        cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return len;
}

/** @returns how many leading bytes of \p s (of \p n) are valid UTF-8
 *           without NUL (n: all of it): runs of ASCII at once, the rest a
 *           sequence at a time.  Inlined always: a call per string cost
 *           the Avro decoder 5-8% of its rate. */
__attribute__((always_inline)) static inline size_t
am_utf8_text_len(const unsigned char *s, size_t n) {
    size_t i = am_utf8_ascii_len(s, n);

    while (i < n) {
        size_t ulen = am_utf8_len(s + i, n - i);
        if (ulen == 0)
            break;
        i += ulen;
        i += am_utf8_ascii_len(s + i, n - i);
    }
    return i;
}

#endif
