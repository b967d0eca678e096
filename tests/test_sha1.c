/*
 * Tests for sha1: the FIPS 180 examples (one block, two blocks, a million
 * bytes fed in uneven pieces), and that the hex form is the digest's.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "sha1.h"

static void hex_of(const void *data, size_t n, size_t piece,
                   char out[2 * AM_SHA1_LEN + 1]) {
    const unsigned char *p = data;
    unsigned char md[AM_SHA1_LEN];
    am_sha1_t h;

    am_sha1_init(&h);
    for (size_t off = 0; off < n; off += piece)
        am_sha1_update(&h, p + off, n - off < piece ? n - off : piece);
    am_sha1_final(&h, md);
    am_sha1_hex(md, out);
}

Test(sha1, fips_180_examples) {
    static const char two[] =
        "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    char hex[2 * AM_SHA1_LEN + 1];

    hex_of("", 0, 1, hex);
    cr_assert_str_eq(hex, "da39a3ee5e6b4b0d3255bfef95601890afd80709");
    hex_of("abc", 3, 3, hex);
    cr_assert_str_eq(hex, "a9993e364706816aba3e25717850c26c9cd0d89d");
    hex_of(two, strlen(two), strlen(two), hex);
    cr_assert_str_eq(hex, "84983e441c3bd26ebaae4aa1f95129e5e54670f1");
    /* The same text a byte at a time, across the block boundary. */
    hex_of(two, strlen(two), 1, hex);
    cr_assert_str_eq(hex, "84983e441c3bd26ebaae4aa1f95129e5e54670f1");
}

Test(sha1, a_million_bytes_in_uneven_pieces) {
    static char a[1000000];
    char hex[2 * AM_SHA1_LEN + 1];

    memset(a, 'a', sizeof(a));
    hex_of(a, sizeof(a), 997, hex);
    cr_assert_str_eq(hex, "34aa973cd4c4daa4f61eeb2bdbad27316534016f");
}
