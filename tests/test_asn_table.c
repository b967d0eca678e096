/*
 * Tests for asn_table: am_asn_parse() and the table.
 *
 * Parse inputs are copied into a heap buffer of exactly their length, with
 * no NUL after it, so that a read past the end shows up under
 * AddressSanitizer.
 */
#include <criterion/criterion.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "asn_table.h"

/* The number in decimal, or "error: <reason>". */
static const char *parse(const char *s) {
    static char out[160];
    char err[128] = "";
    size_t n = strlen(s);
    char *copy = malloc(n > 0 ? n : 1);
    uint32_t asn = 0;

    cr_assert_not_null(copy);
    memcpy(copy, s, n);
    if (am_asn_parse(copy, n, &asn, err, sizeof(err)) == 0)
        snprintf(out, sizeof(out), "%" PRIu32, asn);
    else
        snprintf(out, sizeof(out), "error: %s", err);
    free(copy);
    return out;
}

#define PARSE(s, want) cr_expect_str_eq(parse(s), want, "input \"%s\"", s)

Test(asn_table, parse_plain_and_prefixed) {
    PARSE("64500", "64500");
    PARSE("AS64500", "64500");
    PARSE("as64500", "64500");
    PARSE("As64500", "64500");
    PARSE("aS64500", "64500");
    PARSE("AS1", "1");
    PARSE("0", "0");
    PARSE("0064500", "64500");
}

Test(asn_table, parse_boundaries) {
    PARSE("65535", "65535");
    PARSE("65536", "65536");
    PARSE("4294967295", "4294967295");
    PARSE("AS4294967295", "4294967295");
    PARSE("00000000004294967295", "4294967295");
    PARSE("4294967296", "error: AS number larger than 4294967295");
    PARSE("99999999999999999999999",
          "error: AS number larger than 4294967295");
}

Test(asn_table, parse_asdot) {
    PARSE("1.10", "65546");
    PARSE("AS1.10", "65546");
    PARSE("0.0", "0");
    PARSE("0.65535", "65535");
    PARSE("1.0", "65536");
    PARSE("65535.65535", "4294967295");
    PARSE("65536.0", "error: asdot high part larger than 65535");
    PARSE("1.65536", "error: asdot low part larger than 65535");
    PARSE("1.", "error: no digits after '.' in asdot number");
    PARSE("1.2.3", "error: bad character '.' in AS number");
    PARSE(".5", "error: bad character '.' in AS number");
}

Test(asn_table, parse_errors_name_the_problem) {
    PARSE("", "error: empty AS number");
    PARSE("AS", "error: no digits after \"AS\"");
    PARSE("as", "error: no digits after \"as\"");
    PARSE("A", "error: bad character 'A' in AS number");
    PARSE("ASN64500", "error: bad character 'N' in AS number");
    PARSE("AS 64500", "error: bad character ' ' in AS number");
    PARSE("64500 ", "error: bad character ' ' in AS number");
    PARSE("-1", "error: bad character '-' in AS number");
    PARSE("+1", "error: bad character '+' in AS number");
    PARSE("645x0", "error: bad character 'x' in AS number");
    PARSE("0x10", "error: bad character 'x' in AS number");
    PARSE("AS64500\t", "error: bad byte 0x09 in AS number");
}

Test(asn_table, parse_reads_only_n_bytes) {
    uint32_t asn = 0;
    char err[64] = "";

    cr_assert_eq(am_asn_parse("AS6450099", 7, &asn, err, sizeof(err)), 0);
    cr_assert_eq(asn, 64500);
}

Test(asn_table, find_hit_and_miss) {
    const am_asn_entry_t e[] = {
        {64500, 7}, {1, 1}, {4294967295u, 9}, {0, 3}, {65546, 5},
    };
    char err[128] = "";
    am_asn_table_t *at = am_asn_table_build(e, 5, err, sizeof(err));
    uint32_t v = 0;

    cr_assert_not_null(at, "%s", err);
    cr_assert_eq(am_asn_table_count(at), 5);
    cr_assert(am_asn_table_find(at, 64500, &v));
    cr_assert_eq(v, 7);
    cr_assert(am_asn_table_find(at, 0, &v));
    cr_assert_eq(v, 3);
    cr_assert(am_asn_table_find(at, 4294967295u, &v));
    cr_assert_eq(v, 9);
    cr_assert(am_asn_table_find(at, 65546, &v));
    cr_assert_eq(v, 5);
    cr_assert(am_asn_table_find(at, 1, &v));
    cr_assert_eq(v, 1);

    v = 42;
    cr_assert_not(am_asn_table_find(at, 64501, &v));
    cr_assert_not(am_asn_table_find(at, 2, &v));
    cr_assert_not(am_asn_table_find(at, 4294967294u, &v));
    cr_assert_eq(v, 42, "a miss must leave the value alone");
    am_asn_table_destroy(at);
}

Test(asn_table, build_copies_the_entries) {
    am_asn_entry_t e[] = {{64500, 1}, {64501, 2}};
    char err[128] = "";
    am_asn_table_t *at = am_asn_table_build(e, 2, err, sizeof(err));
    uint32_t v = 0;

    cr_assert_not_null(at, "%s", err);
    e[0] = (am_asn_entry_t){1, 99};
    cr_assert(am_asn_table_find(at, 64500, &v));
    cr_assert_eq(v, 1);
    cr_assert_not(am_asn_table_find(at, 1, &v));
    am_asn_table_destroy(at);
}

Test(asn_table, duplicates_are_an_error) {
    const am_asn_entry_t e[] = {{64500, 1}, {1, 2}, {64500, 3}};
    const am_asn_entry_t same[] = {{7, 1}, {7, 1}};
    char err[128] = "";

    cr_assert_null(am_asn_table_build(e, 3, err, sizeof(err)));
    cr_assert_str_eq(err, "AS64500 appears twice");
    cr_assert_null(am_asn_table_build(same, 2, err, sizeof(err)));
    cr_assert_str_eq(err, "AS7 appears twice");
}

Test(asn_table, the_free_slots_value_is_refused) {
    const am_asn_entry_t e[] = {{64500, 1}, {64501, UINT32_MAX}};
    char err[128] = "";

    cr_assert_null(am_asn_table_build(e, 2, err, sizeof(err)));
    cr_assert_str_eq(err, "AS64501: value 4294967295 is reserved");
}

Test(asn_table, empty_table) {
    char err[128] = "";
    am_asn_table_t *at = am_asn_table_build(NULL, 0, err, sizeof(err));
    uint32_t v = 0;

    cr_assert_not_null(at, "%s", err);
    cr_assert_eq(am_asn_table_count(at), 0);
    cr_assert_not(am_asn_table_find(at, 0, &v));
    cr_assert_not(am_asn_table_find(at, 64500, &v));
    am_asn_table_destroy(at);
}

Test(asn_table, single_entry) {
    const am_asn_entry_t e[] = {{64500, 11}};
    char err[128] = "";
    am_asn_table_t *at = am_asn_table_build(e, 1, err, sizeof(err));
    uint32_t v = 0;

    cr_assert_not_null(at, "%s", err);
    cr_assert(am_asn_table_find(at, 64500, &v));
    cr_assert_eq(v, 11);
    cr_assert_not(am_asn_table_find(at, 64499, &v));
    cr_assert_not(am_asn_table_find(at, 64501, &v));
    am_asn_table_destroy(at);
}

Test(asn_table, destroy_null_is_a_no_op) {
    am_asn_table_destroy(NULL);
}

/*
 * The randomized check.  Keys are MIX * i (mod 2^32): multiplying by an odd
 * number is a bijection on 32-bit integers, so the keys are distinct yet
 * spread over the whole range, and any number q is a key exactly when
 * MIX_INV * q is even and below 2 * N (the table holds the even i).  That
 * gives the expected answer for any random query without a reference
 * structure.  A fixed seed keeps the run repeatable.
 */
#define N 20000u
#define MIX 2654435761u /* odd */

static uint64_t rng_state = 0x9e3779b97f4a7c15u;

/* splitmix64: the same sequence on every platform, unlike rand(). */
static uint64_t rng_next(void) {
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15u);

    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

/* The inverse of MIX modulo 2^32, by Newton's iteration. */
static uint32_t mix_inverse(void) {
    uint32_t x = MIX;

    for (int i = 0; i < 5; i++)
        x *= 2u - MIX * x;
    return x;
}

Test(asn_table, randomized_against_arithmetic) {
    am_asn_entry_t *e = malloc(N * sizeof(*e));
    const uint32_t inv = mix_inverse();
    char err[128] = "";
    am_asn_table_t *at;
    uint32_t v = 0;

    cr_assert_not_null(e);
    cr_assert_eq((uint32_t)(MIX * inv), 1u);
    for (uint32_t i = 0; i < N; i++)
        e[i] = (am_asn_entry_t){MIX * (2 * i), i};
    /* Fisher-Yates, so the build sees the keys in no particular order. */
    for (uint32_t i = N - 1; i > 0; i--) {
        uint32_t j = (uint32_t)(rng_next() % (i + 1));
        am_asn_entry_t t = e[i];
        e[i] = e[j];
        e[j] = t;
    }
    at = am_asn_table_build(e, N, err, sizeof(err));
    free(e);
    cr_assert_not_null(at, "%s", err);
    cr_assert_eq(am_asn_table_count(at), N);

    for (uint32_t i = 0; i < N; i++) {
        cr_assert(am_asn_table_find(at, MIX * (2 * i), &v), "key %u", i);
        cr_assert_eq(v, i);
        cr_assert_not(am_asn_table_find(at, MIX * (2 * i + 1), &v),
                      "non-key %u", i);
    }
    /* Random numbers almost never hit 20,000 keys among 2^32, so half the
     * queries are drawn near the keys: MIX * j for j below 4 * N. */
    for (int k = 0; k < 100000; k++) {
        uint32_t near = MIX * (uint32_t)(rng_next() % (4 * N));
        uint32_t far = (uint32_t)rng_next();
        uint32_t pn = inv * near, pf = inv * far;

        cr_assert_eq(am_asn_table_find(at, near, &v),
                     pn % 2 == 0 && pn < 2 * N, "query %" PRIu32, near);
        cr_assert_eq(am_asn_table_find(at, far, &v),
                     pf % 2 == 0 && pf < 2 * N, "query %" PRIu32, far);
    }
    am_asn_table_destroy(at);
}
