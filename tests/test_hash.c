/*
 * Tests for hash: the string hash reads every byte at every length (a
 * tail that skipped one would make the tables' keys that differ only
 * there collide on every look-up), and depends on the bytes, not on
 * where they are.
 */
#include <criterion/criterion.h>
#include <stdint.h>
#include <string.h>

#include "hash.h"

#define MAX_LEN 24

/* xorshift64: the same bytes on every run. */
static uint64_t next(uint64_t *s) {
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

Test(hash, every_byte_counts_at_every_length) {
    uint64_t rng = 0x2545f4914f6cdd1dULL;
    unsigned char s[MAX_LEN];

    for (size_t n = 1; n <= MAX_LEN; n++)
        for (int round = 0; round < 50; round++) {
            for (size_t i = 0; i < n; i++)
                s[i] = (unsigned char)next(&rng);
            uint64_t h = am_hash_bytes(s, n, 7);
            for (size_t i = 0; i < n; i++) {
                unsigned char keep = s[i];
                s[i] ^= (unsigned char)(1 + next(&rng) % 255);
                cr_assert_neq(am_hash_bytes(s, n, 7), h,
                              "length %zu: byte %zu changed, same hash", n,
                              i);
                s[i] = keep;
            }
        }
}

Test(hash, the_length_counts) {
    unsigned char zeros[MAX_LEN] = {0};

    /* Strings of zero bytes differ only by their length. */
    for (size_t n = 1; n < MAX_LEN; n++)
        cr_assert_neq(am_hash_bytes(zeros, n, 7),
                      am_hash_bytes(zeros, n + 1, 7), "lengths %zu, %zu", n,
                      n + 1);
}

Test(hash, same_bytes_anywhere_same_hash) {
    unsigned char buf[MAX_LEN + 16];
    const char *text = "login.example-bank.nl";
    size_t n = strlen(text);
    uint64_t h = am_hash_bytes(text, n, 7);

    for (size_t off = 0; off < 16; off++) {
        memset(buf, off & 1 ? 0xff : 0, sizeof(buf));
        memcpy(buf + off, text, n);
        for (size_t k = 0; k <= n; k++)
            cr_assert_eq(am_hash_bytes(buf + off, k, 7),
                         am_hash_bytes(text, k, 7),
                         "offset %zu, length %zu", off, k);
        cr_assert_eq(am_hash_bytes(buf + off, n, 7), h);
    }
    cr_assert_neq(am_hash_bytes(text, n, 7), am_hash_bytes(text, n, 8),
                  "the seed counts");
}
