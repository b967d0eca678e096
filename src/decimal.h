/*
 * decimal: an integer as decimal text, written backwards into the end of a
 * buffer.  snprintf("%lld") cost ~700 instructions a number, and numbers
 * are written per record (the origin offset and partition headers) and per
 * event (an AS number given as an integer).
 */
#ifndef AM_DECIMAL_H
#define AM_DECIMAL_H

#include <stddef.h>

/* Room for any long long, its sign included (no NUL is written). */
#define AM_DECIMAL_MAX 20

/**
 * @brief Writes \p v in decimal so that it ends at \p end.
 * @returns where it starts: the text is [returned, end), at most
 *          AM_DECIMAL_MAX bytes.
 */
static inline char *am_decimal(long long v, char *end) {
    unsigned long long u =
        v < 0 ? 0 - (unsigned long long)v : (unsigned long long)v;
    char *p = end;

    do
        *--p = (char)('0' + u % 10);
    while ((u /= 10));
    if (v < 0)
        *--p = '-';
    return p;
}

#endif
