/*
 * am_patterns: caseless keyword literals in one Hyperscan database.  Each
 * test scans into a tally of how often each keyword id was reported.
 */
#include <criterion/criterion.h>
#include <ctype.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "patterns.h"

#define MAX_IDS 2048

typedef struct tally_s {
    unsigned count[MAX_IDS]; /* reports per keyword id */
    unsigned calls;
    unsigned stop_after;     /* 0: never stop the scan */
} tally_t;

static int on_keyword(uint32_t id, void *opaque) {
    tally_t *t = opaque;

    cr_assert_lt(id, MAX_IDS);
    t->count[id]++;
    t->calls++;
    return t->stop_after != 0 && t->calls >= t->stop_after;
}

static am_patterns_t *build(const char *const *words, size_t n) {
    size_t lens[64];
    char err[512] = "";
    am_patterns_t *pt;

    cr_assert_leq(n, 64);
    for (size_t i = 0; i < n; i++)
        lens[i] = strlen(words[i]);
    pt = am_patterns_build(words, lens, n, err, sizeof(err));
    cr_assert_not_null(pt, "build: %s", err);
    return pt;
}

#define BUILD(...)                                                           \
    build((const char *const[]){__VA_ARGS__},                                \
          sizeof((const char *const[]){__VA_ARGS__}) / sizeof(char *))

/* Scans \p text with a fresh scratch; returns the scan's result. */
static int scan(const am_patterns_t *pt, const char *text, size_t len,
                tally_t *t) {
    am_patterns_scratch_t *ps = NULL;
    int rc;

    cr_assert_eq(am_patterns_scratch_ensure(pt, &ps), 0);
    rc = am_patterns_scan(pt, ps, text, len, on_keyword, t);
    am_patterns_scratch_destroy(ps);
    return rc;
}

#define SCAN(pt, text, t) scan((pt), (text), strlen(text), (t))

Test(patterns, caseless) {
    am_patterns_t *pt = BUILD("paypal", "SECURE");
    tally_t t = {0};

    cr_assert_eq(am_patterns_count(pt), 2);
    cr_assert_gt(am_patterns_memory(pt), 0);
    cr_assert_eq(SCAN(pt, "login-PayPaL-secure.com", &t), 0);
    cr_assert_eq(t.count[0], 1);
    cr_assert_eq(t.count[1], 1);
    cr_assert_eq(t.calls, 2);
    am_patterns_destroy(pt);
}

Test(patterns, overlapping_keywords_all_reported) {
    am_patterns_t *pt = BUILD("pay", "paypal", "ypa", "pal", "bank");
    tally_t t = {0};

    SCAN(pt, "paypal.com", &t);
    cr_assert_eq(t.count[0], 1);
    cr_assert_eq(t.count[1], 1);
    cr_assert_eq(t.count[2], 1);
    cr_assert_eq(t.count[3], 1);
    cr_assert_eq(t.count[4], 0);
    cr_assert_eq(t.calls, 4);
    am_patterns_destroy(pt);
}

Test(patterns, each_keyword_reported_once_per_scan) {
    am_patterns_t *pt = BUILD("ab", "aa");
    tally_t t = {0};

    SCAN(pt, "ababab.AB.aaaa.ab", &t);
    cr_assert_eq(t.count[0], 1);
    cr_assert_eq(t.count[1], 1);
    cr_assert_eq(t.calls, 2);
    am_patterns_destroy(pt);
}

Test(patterns, no_match) {
    am_patterns_t *pt = BUILD("paypal");
    tally_t t = {0};

    cr_assert_eq(SCAN(pt, "example.com", &t), 0);
    cr_assert_eq(SCAN(pt, "", &t), 0);
    cr_assert_eq(t.calls, 0);
    am_patterns_destroy(pt);
}

Test(patterns, empty_set_matches_nothing) {
    char err[256] = "";
    am_patterns_t *pt = am_patterns_build(NULL, NULL, 0, err, sizeof(err));
    tally_t t = {0};

    cr_assert_not_null(pt, "%s", err);
    cr_assert_eq(am_patterns_count(pt), 0);
    cr_assert_eq(am_patterns_memory(pt), 0);
    cr_assert_eq(SCAN(pt, "anything.example", &t), 0);
    cr_assert_eq(t.calls, 0);
    am_patterns_destroy(pt);
}

Test(patterns, metacharacters_are_literal) {
    am_patterns_t *pt = BUILD("a.b*", "(x|y)", "^c$", "[d]");
    tally_t t = {0};

    SCAN(pt, "axbbb.x.y.c.d", &t);
    cr_assert_eq(t.calls, 0);
    SCAN(pt, "-A.B*-(X|Y)-^C$-[D]", &t);
    cr_assert_eq(t.count[0], 1);
    cr_assert_eq(t.count[1], 1);
    cr_assert_eq(t.count[2], 1);
    cr_assert_eq(t.count[3], 1);
    am_patterns_destroy(pt);
}

Test(patterns, keyword_with_nul_byte) {
    static const char kw[] = {'a', '\0', 'b'};
    const char *words[] = {kw};
    size_t lens[] = {sizeof(kw)};
    char err[256] = "";
    am_patterns_t *pt = am_patterns_build(words, lens, 1, err, sizeof(err));
    tally_t t = {0};

    cr_assert_not_null(pt, "%s", err);
    scan(pt, "xa\0bx", 5, &t);
    cr_assert_eq(t.count[0], 1);
    scan(pt, "xab", 3, &t);
    cr_assert_eq(t.calls, 1);
    am_patterns_destroy(pt);
}

Test(patterns, callback_can_stop_the_scan) {
    am_patterns_t *pt = BUILD("a", "b", "c");
    tally_t t = {.stop_after = 1};

    cr_assert_eq(SCAN(pt, "abc", &t), 1);
    cr_assert_eq(t.calls, 1);
    am_patterns_destroy(pt);
}

/* Hyperscan itself crashes on an empty literal: it must not get one. */
Test(patterns, empty_keyword_is_rejected) {
    const char *words[] = {"good", ""};
    size_t lens[] = {4, 0};
    char err[256] = "";

    cr_assert_null(am_patterns_build(words, lens, 2, err, sizeof(err)));
    cr_assert_str_eq(err, "keyword 1 is empty");
}

/*
 * One scratch serves a small database, then a much larger one built after
 * it (a reload), then the small one again: hs_alloc_scratch grows it.
 */
Test(patterns, scratch_reused_after_rebuild) {
    static char words[1000][16];
    static const char *ptrs[1000];
    static size_t lens[1000];
    char err[256] = "";
    am_patterns_t *small = BUILD("evil");
    am_patterns_t *big;
    am_patterns_scratch_t *ps = NULL;
    am_patterns_scratch_t *first;
    tally_t t1 = {0}, t2 = {0}, t3 = {0};

    for (size_t i = 0; i < 1000; i++) {
        lens[i] = (size_t)snprintf(words[i], sizeof(words[i]), "brand%zux",
                                   i);
        ptrs[i] = words[i];
    }
    big = am_patterns_build(ptrs, lens, 1000, err, sizeof(err));
    cr_assert_not_null(big, "%s", err);

    cr_assert_eq(am_patterns_scratch_ensure(small, &ps), 0);
    first = ps;
    am_patterns_scan(small, ps, "evil.example", 12, on_keyword, &t1);
    cr_assert_eq(am_patterns_scratch_ensure(big, &ps), 0);
    cr_assert_eq(ps, first);
    am_patterns_scan(big, ps, "www.BRAND123X.example", 21, on_keyword, &t2);
    cr_assert_eq(am_patterns_scratch_ensure(small, &ps), 0);
    am_patterns_scan(small, ps, "evil", 4, on_keyword, &t3);

    cr_assert_eq(t1.count[0], 1);
    cr_assert_eq(t2.count[123], 1);
    cr_assert_eq(t2.calls, 1);
    cr_assert_eq(t3.count[0], 1);
    am_patterns_scratch_destroy(ps);
    am_patterns_destroy(small);
    am_patterns_destroy(big);
}

Test(patterns, scratch_of_empty_set_then_real_set) {
    char err[256] = "";
    am_patterns_t *none = am_patterns_build(NULL, NULL, 0, err, sizeof(err));
    am_patterns_t *pt = BUILD("evil");
    am_patterns_scratch_t *ps = NULL;
    tally_t t = {0};

    cr_assert_eq(am_patterns_scratch_ensure(none, &ps), 0);
    cr_assert_not_null(ps);
    cr_assert_eq(am_patterns_scan(none, ps, "evil", 4, on_keyword, &t), 0);
    cr_assert_eq(am_patterns_scratch_ensure(pt, &ps), 0);
    cr_assert_eq(am_patterns_scan(pt, ps, "evil", 4, on_keyword, &t), 0);
    cr_assert_eq(t.calls, 1);
    am_patterns_scratch_destroy(ps);
    am_patterns_destroy(pt);
    am_patterns_destroy(none);
}

Test(patterns, destroy_null_is_a_no_op) {
    am_patterns_destroy(NULL);
    am_patterns_scratch_destroy(NULL);
}

/* Whether \p kw occurs in \p s, ASCII letters caseless: the contract,
 * spelled out the slow way. */
static bool occurs(const char *s, size_t n, const char *kw, size_t k) {
    for (size_t i = 0; i + k <= n; i++) {
        size_t j = 0;

        while (j < k && tolower((unsigned char)s[i + j]) ==
                            tolower((unsigned char)kw[j]))
            j++;
        if (j == k)
            return true;
    }
    return false;
}

static uint64_t next_random(uint64_t *x) {
    *x ^= *x << 13;
    *x ^= *x >> 7;
    *x ^= *x << 17;
    return *x;
}

/* Random keywords of \p min_len to 11 bytes and random names, both of a
 * few letters in either case and bytes that case folding brings together
 * ('@' and '`', '.' and '\x0e'), so that keywords occur often; every other
 * name also has a keyword copied in, its letters' case flipped at random,
 * at any position, the end of the name too.  Every scan reports exactly
 * the keywords the slow way finds. */
static void same_as_the_slow_way(size_t min_len) {
    static const char alphabet[] = "abAB@`.\x0e";
    enum { N_KW = 200, N_NAMES = 3000, KW_MAX = 11, NAME_MAX_LEN = 32 };
    static char kw[N_KW][KW_MAX];
    const char *words[N_KW];
    size_t lens[N_KW];
    char name[NAME_MAX_LEN], err[512] = "";
    uint64_t x = 0x9e3779b97f4a7c15u;
    am_patterns_scratch_t *ps = NULL;
    am_patterns_t *pt;
    size_t found = 0;

    for (size_t i = 0; i < N_KW; i++) {
        lens[i] = min_len + next_random(&x) % (KW_MAX + 1 - min_len);
        for (size_t j = 0; j < lens[i]; j++)
            kw[i][j] = alphabet[next_random(&x) % (sizeof(alphabet) - 1)];
        words[i] = kw[i];
    }
    pt = am_patterns_build(words, lens, N_KW, err, sizeof(err));
    cr_assert_not_null(pt, "build: %s", err);
    cr_assert_eq(am_patterns_scratch_ensure(pt, &ps), 0);
    for (size_t r = 0; r < N_NAMES; r++) {
        size_t n = next_random(&x) % (NAME_MAX_LEN + 1);
        tally_t t = {0};

        for (size_t j = 0; j < n; j++)
            name[j] = alphabet[next_random(&x) % (sizeof(alphabet) - 1)];
        if (r % 2) {
            size_t k = next_random(&x) % N_KW;

            if (lens[k] <= n) {
                size_t at = next_random(&x) % (n - lens[k] + 1);
                for (size_t j = 0; j < lens[k]; j++)
                    name[at + j] = (char)(isalpha((unsigned char)kw[k][j]) &&
                                                  next_random(&x) % 2
                                              ? kw[k][j] ^ 0x20
                                              : kw[k][j]);
            }
        }
        cr_assert_eq(am_patterns_scan(pt, ps, name, n, on_keyword, &t), 0);
        for (size_t i = 0; i < N_KW; i++) {
            bool want = occurs(name, n, words[i], lens[i]);
            cr_assert_eq(t.count[i], want ? 1u : 0u,
                         "name %zu ('%.*s'): keyword %zu ('%.*s') reported "
                         "%u times", r, (int)n, name, i, (int)lens[i],
                         words[i], t.count[i]);
            found += want;
        }
    }
    /* The names are made to hold keywords: a scan that never reports one
     * cannot pass. */
    cr_assert_gt(found, N_NAMES / 2);
    am_patterns_scratch_destroy(ps);
    am_patterns_destroy(pt);
}

Test(patterns, keywords_of_four_bytes_or_more_as_the_slow_way) {
    same_as_the_slow_way(4);
}

Test(patterns, keywords_shorter_than_four_bytes_as_the_slow_way) {
    same_as_the_slow_way(2);
}
