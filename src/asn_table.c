/*
 * asn_table: see asn_table.h.
 *
 * An open-addressing hash of (AS number, value) pairs, at most half full,
 * probed linearly: a look-up reads one slot, rarely two, and
 * am_asn_table_prefetch() can start that read early.  A sorted array
 * searched by bisection took 14 dependent reads and as many unpredictable
 * branches at 10K AS numbers: 13% of the matching's perf samples at 1M
 * assets (bench/README.md, tenth session).  A free slot holds the value
 * UINT32_MAX, which no entry may have.  Nothing changes after the build,
 * so readers on any number of threads need no locking.
 */
#include "asn_table.h"

#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define FREE UINT32_MAX

struct am_asn_table_s {
    size_t n;
    uint32_t mask;            /* slots less one */
    am_asn_entry_t slots[];   /* value FREE: a free slot */
};

/* murmur3's finaliser: AS numbers come in runs, spread them. */
static inline uint32_t slot_of(const am_asn_table_t *at, uint32_t asn) {
    asn ^= asn >> 16;
    asn *= 0x85ebca6bu;
    asn ^= asn >> 13;
    asn *= 0xc2b2ae35u;
    asn ^= asn >> 16;
    return asn & at->mask;
}

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

am_asn_table_t *am_asn_table_build(const am_asn_entry_t *entries, size_t n,
                                   char *err, size_t err_size) {
    am_asn_table_t *at;
    size_t cap = 2;

    while (cap < 2 * n && cap <= UINT32_MAX / 2)
        cap *= 2;
    if (cap < 2 * n) {
        snprintf(err, err_size, "too many AS numbers (%zu)", n);
        return NULL;
    }
    at = malloc(sizeof(*at) + cap * sizeof(at->slots[0]));
    if (!at) {
        snprintf(err, err_size, "out of memory (%zu AS numbers)", n);
        return NULL;
    }
    at->n = n;
    at->mask = (uint32_t)(cap - 1);
    for (size_t i = 0; i < cap; i++)
        at->slots[i] = (am_asn_entry_t){0, FREE};
    for (size_t i = 0; i < n; i++) {
        uint32_t k = slot_of(at, entries[i].asn);

        if (entries[i].value == FREE) {
            snprintf(err, err_size, "AS%" PRIu32 ": value %" PRIu32
                     " is reserved", entries[i].asn, FREE);
            free(at);
            return NULL;
        }
        while (at->slots[k].value != FREE) {
            if (at->slots[k].asn == entries[i].asn) {
                snprintf(err, err_size, "AS%" PRIu32 " appears twice",
                         entries[i].asn);
                free(at);
                return NULL;
            }
            k = (k + 1) & at->mask;
        }
        at->slots[k] = entries[i];
    }
    return at;
}

void am_asn_table_destroy(am_asn_table_t *at) {
    free(at);
}

bool am_asn_table_find(const am_asn_table_t *at, uint32_t asn,
                       uint32_t *value) {
    for (uint32_t k = slot_of(at, asn);; k = (k + 1) & at->mask) {
        const am_asn_entry_t *e = &at->slots[k];

        if (e->value == FREE)
            return false;
        if (e->asn == asn) {
            *value = e->value;
            return true;
        }
    }
}

void am_asn_table_prefetch(const am_asn_table_t *at, uint32_t asn) {
    __builtin_prefetch(&at->slots[slot_of(at, asn)]);
}

size_t am_asn_table_count(const am_asn_table_t *at) {
    return at->n;
}

size_t am_asn_table_memory(const am_asn_table_t *at) {
    return sizeof(*at) + ((size_t)at->mask + 1) * sizeof(at->slots[0]);
}
