/*
 * utf8: validation of UTF-8 text, shared by the encoders (which escape what
 * is not UTF-8) and the Avro decoder (which rejects it).
 */
#ifndef AM_UTF8_H
#define AM_UTF8_H

#include <stddef.h>
#include <stdint.h>

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

#endif
