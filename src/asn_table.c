/*
 * asn_table: see asn_table.h.
 *
 * A sorted array searched by bisection rather than a hash.  The whole
 * Internet has about 120,000 allocated AS numbers, so the array stays small
 * (8 bytes an entry, one allocation), a look-up is at most 17 steps, and the
 * sort that orders it also puts any duplicate next to its twin, which is how
 * the build finds them.  Nothing changes after the build, so readers on any
 * number of threads need no locking.
 */
#include "asn_table.h"

#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct am_asn_table_s {
    size_t n;
    am_asn_entry_t entries[]; /* ascending by asn, no two equal */
};

/* Reads an unsigned decimal of up to \p max into *v.  Returns the number of
 * bytes read (0 if none), or -1 when the value exceeds \p max; any number of
 * leading zeros is fine. */
static long read_decimal(const char *s, size_t n, uint64_t max, uint64_t *v) {
    size_t i = 0;

    *v = 0;
    while (i < n && s[i] >= '0' && s[i] <= '9') {
        *v = *v * 10 + (uint64_t)(s[i] - '0');
        if (*v > max)
            return -1;
        i++;
    }
    return (long)i;
}

int am_asn_parse(const char *s, size_t n, uint32_t *asn, char *err,
                 size_t err_size) {
    uint64_t hi, lo;
    long len;
    size_t i = 0;

    if (n == 0) {
        snprintf(err, err_size, "empty AS number");
        return -1;
    }
    if (n >= 2 && (s[0] == 'A' || s[0] == 'a') && (s[1] == 'S' || s[1] == 's'))
        i = 2;
    if (i == n) {
        snprintf(err, err_size, "no digits after \"%.*s\"", (int)i, s);
        return -1;
    }

    len = read_decimal(s + i, n - i, UINT32_MAX, &hi);
    if (len < 0) {
        snprintf(err, err_size, "AS number larger than 4294967295");
        return -1;
    }
    i += (size_t)len;
    if (len > 0 && i < n && s[i] == '.') {
        /* asdot (RFC 5396): "high.low", each half 16 bits. */
        if (hi > UINT16_MAX) {
            snprintf(err, err_size, "asdot high part larger than 65535");
            return -1;
        }
        i++;
        len = read_decimal(s + i, n - i, UINT16_MAX, &lo);
        if (len < 0) {
            snprintf(err, err_size, "asdot low part larger than 65535");
            return -1;
        }
        if (len == 0) {
            snprintf(err, err_size, "no digits after '.' in asdot number");
            return -1;
        }
        i += (size_t)len;
        hi = hi << 16 | lo;
    }
    if (len == 0 || i < n) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c <= 0x7e)
            snprintf(err, err_size, "bad character '%c' in AS number", c);
        else
            snprintf(err, err_size, "bad byte 0x%02x in AS number", c);
        return -1;
    }
    *asn = (uint32_t)hi;
    return 0;
}

static int entry_cmp(const void *a, const void *b) {
    uint32_t x = ((const am_asn_entry_t *)a)->asn;
    uint32_t y = ((const am_asn_entry_t *)b)->asn;

    return (x > y) - (x < y);
}

am_asn_table_t *am_asn_table_build(const am_asn_entry_t *entries, size_t n,
                                   char *err, size_t err_size) {
    am_asn_table_t *at;

    if (n > (SIZE_MAX - sizeof(*at)) / sizeof(at->entries[0])) {
        snprintf(err, err_size, "out of memory (%zu AS numbers)", n);
        return NULL;
    }
    at = malloc(sizeof(*at) + n * sizeof(at->entries[0]));
    if (!at) {
        snprintf(err, err_size, "out of memory (%zu AS numbers)", n);
        return NULL;
    }
    at->n = n;
    if (n == 0)
        return at;
    memcpy(at->entries, entries, n * sizeof(at->entries[0]));
    qsort(at->entries, n, sizeof(at->entries[0]), entry_cmp);
    for (size_t i = 1; i < n; i++) {
        if (at->entries[i].asn == at->entries[i - 1].asn) {
            snprintf(err, err_size, "AS%" PRIu32 " appears twice",
                     at->entries[i].asn);
            free(at);
            return NULL;
        }
    }
    return at;
}

void am_asn_table_destroy(am_asn_table_t *at) {
    free(at);
}

bool am_asn_table_find(const am_asn_table_t *at, uint32_t asn,
                       uint32_t *value) {
    size_t lo = 0, hi = at->n;

    /* Invariant: the entry, if present, is in [lo, hi). */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        uint32_t k = at->entries[mid].asn;

        if (k == asn) {
            *value = at->entries[mid].value;
            return true;
        }
        if (k < asn)
            lo = mid + 1;
        else
            hi = mid;
    }
    return false;
}

size_t am_asn_table_count(const am_asn_table_t *at) {
    return at->n;
}
