/*
 * hash: the string hash shared by the project's own hash tables.  Eight
 * bytes at a time, multiply-xorshift mixing; not cryptographic, tables that
 * take input from outside are keyed with a per-process seed where flooding
 * matters.
 */
#ifndef AM_HASH_H
#define AM_HASH_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

static inline uint64_t am_hash_mix(uint64_t h) {
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ULL;
    h ^= h >> 33;
    return h;
}

/* The last 1-7 bytes of a string as one word, every byte read at every
 * length (so that, with the length, equal words mean equal bytes): two
 * overlapping four-byte loads, or the first, middle and last byte.  A
 * memcpy() of a variable length compiled into a byte loop through the
 * stack, read back by one eight-byte load, which waited for the stores
 * (a tenth of the window's insert() in perf of bench_live). */
static inline uint64_t am_hash_tail(const unsigned char *s, size_t n) {
    uint32_t lo, hi;

    if (n < 4)
        return (uint64_t)s[0] | (uint64_t)s[n / 2] << 8 |
               (uint64_t)s[n - 1] << 16;
    memcpy(&lo, s, 4);
    memcpy(&hi, s + n - 4, 4);
    return (uint64_t)hi << 32 | lo;
}

static inline uint64_t am_hash_bytes(const void *p, size_t n, uint64_t seed) {
    const unsigned char *s = p;
    uint64_t h = seed ^ (n * 0x9e3779b97f4a7c15ULL);

    while (n >= 8) {
        uint64_t w;
        memcpy(&w, s, 8);
        h = (h ^ am_hash_mix(w)) * 0x9e3779b97f4a7c15ULL;
        s += 8;
        n -= 8;
    }
    if (n)
        h = (h ^ am_hash_mix(am_hash_tail(s, n) ^ n)) * 0x9e3779b97f4a7c15ULL;
    return am_hash_mix(h);
}

#endif
