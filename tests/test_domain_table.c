/*
 * am_domain_table: exact and parent look-ups.  Tables are built from string
 * lists, each name's value being its index, so that a hit reads as "which
 * name matched".
 */
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "domain.h"
#include "domain_table.h"

static am_domain_table_t *build(const char *const *names, size_t n) {
    am_domain_entry_t e[256];
    char err[256] = "";
    am_domain_table_t *dt;

    cr_assert_leq(n, 256);
    for (size_t i = 0; i < n; i++) {
        e[i].name = names[i];
        e[i].len = strlen(names[i]);
        e[i].value = (uint32_t)i;
    }
    dt = am_domain_table_build(e, n, err, sizeof(err));
    cr_assert_not_null(dt, "build: %s", err);
    return dt;
}

#define BUILD(...)                                                           \
    build((const char *const[]){__VA_ARGS__},                                \
          sizeof((const char *const[]){__VA_ARGS__}) / sizeof(char *))

static size_t suffixes(const am_domain_table_t *dt, const char *name,
                       am_domain_hit_t *hits) {
    return am_domain_table_suffixes(dt, name, strlen(name), hits);
}

#define ASSERT_HIT(h, v, off, lab)                                           \
    do {                                                                     \
        cr_assert_eq((h).value, (v));                                        \
        cr_assert_eq((h).offset, (off));                                     \
        cr_assert_eq((h).labels, (lab));                                     \
    } while (0)

Test(domain_table, exact) {
    am_domain_table_t *dt = BUILD("example.com", "example.org", "b.example");
    uint32_t v = 99;

    cr_assert_eq(am_domain_table_count(dt), 3);
    cr_assert(am_domain_table_find(dt, "example.org", 11, &v));
    cr_assert_eq(v, 1);
    cr_assert(am_domain_table_find(dt, "b.example", 9, &v));
    cr_assert_eq(v, 2);
    cr_assert_not(am_domain_table_find(dt, "example.net", 11, &v));
    cr_assert_not(am_domain_table_find(dt, "www.example.com", 15, &v));
    cr_assert_not(am_domain_table_find(dt, "example", 7, &v));
    cr_assert_not(am_domain_table_find(dt, "", 0, &v));
    am_domain_table_destroy(dt);
}

Test(domain_table, exact_hit_comes_first_with_offset_zero) {
    am_domain_table_t *dt = BUILD("example.com", "www.example.com");
    am_domain_hit_t hits[AM_DOMAIN_TABLE_MAX_HITS];

    cr_assert_eq(suffixes(dt, "www.example.com", hits), 2);
    ASSERT_HIT(hits[0], 1, 0, 3);
    ASSERT_HIT(hits[1], 0, 4, 2);
    am_domain_table_destroy(dt);
}

Test(domain_table, parents_longest_first) {
    am_domain_table_t *dt = BUILD("com", "example.com", "b.example.com",
                                  "other.com");
    am_domain_hit_t hits[AM_DOMAIN_TABLE_MAX_HITS];

    cr_assert_eq(suffixes(dt, "a.b.example.com", hits), 3);
    ASSERT_HIT(hits[0], 2, 2, 3);
    ASSERT_HIT(hits[1], 1, 4, 2);
    ASSERT_HIT(hits[2], 0, 12, 1);
    am_domain_table_destroy(dt);
}

Test(domain_table, suffix_of_a_label_does_not_match) {
    am_domain_table_t *dt = BUILD("example.com");
    am_domain_hit_t hits[AM_DOMAIN_TABLE_MAX_HITS];
    uint32_t v;

    cr_assert_eq(suffixes(dt, "notexample.com", hits), 0);
    cr_assert_eq(suffixes(dt, "www.notexample.com", hits), 0);
    cr_assert_eq(suffixes(dt, "xample.com", hits), 0);
    cr_assert_eq(suffixes(dt, "example.com.evil.org", hits), 0);
    cr_assert_eq(suffixes(dt, "example.co", hits), 0);
    cr_assert_not(am_domain_table_find(dt, "notexample.com", 14, &v));
    am_domain_table_destroy(dt);
}

Test(domain_table, top_level_domains) {
    am_domain_table_t *dt = BUILD("uk", "co.uk", "nl");
    am_domain_hit_t hits[AM_DOMAIN_TABLE_MAX_HITS];

    cr_assert_eq(suffixes(dt, "shop.co.uk", hits), 2);
    ASSERT_HIT(hits[0], 1, 5, 2);
    ASSERT_HIT(hits[1], 0, 8, 1);
    cr_assert_eq(suffixes(dt, "nl", hits), 1);
    ASSERT_HIT(hits[0], 2, 0, 1);
    cr_assert_eq(suffixes(dt, "example.com", hits), 0);
    am_domain_table_destroy(dt);
}

Test(domain_table, duplicates_are_rejected) {
    static const am_domain_entry_t e[] = {
        {"example.com", 11, 1},
        {"example.org", 11, 2},
        {"example.com", 11, 3},
    };
    char err[256] = "";

    cr_assert_null(am_domain_table_build(e, 3, err, sizeof(err)));
    cr_assert_str_eq(err, "duplicate name (entry 2: 'example.com')");
}

Test(domain_table, names_outside_1_to_253_bytes_are_rejected) {
    static const am_domain_entry_t e[] = {{"", 0, 1}};
    char err[256] = "";

    cr_assert_null(am_domain_table_build(e, 1, err, sizeof(err)));
    cr_assert_not_null(strstr(err, "not 1..253 bytes"), "%s", err);
}

Test(domain_table, empty_table) {
    char err[256] = "";
    am_domain_table_t *dt = am_domain_table_build(NULL, 0, err, sizeof(err));
    am_domain_hit_t hits[AM_DOMAIN_TABLE_MAX_HITS];
    uint32_t v;

    cr_assert_not_null(dt, "%s", err);
    cr_assert_eq(am_domain_table_count(dt), 0);
    cr_assert_gt(am_domain_table_memory(dt), 0);
    cr_assert_not(am_domain_table_find(dt, "example.com", 11, &v));
    cr_assert_eq(suffixes(dt, "www.example.com", hits), 0);
    am_domain_table_destroy(dt);
}

Test(domain_table, destroy_null_is_a_no_op) {
    am_domain_table_destroy(NULL);
}

Test(domain_table, names_longer_than_253_bytes_find_nothing) {
    static char name[300];
    am_domain_table_t *dt = BUILD("a");
    am_domain_hit_t hits[AM_DOMAIN_TABLE_MAX_HITS];

    memset(name, 'x', sizeof(name));
    name[sizeof(name) - 2] = '.';
    name[sizeof(name) - 1] = 'a';
    cr_assert_eq(am_domain_table_suffixes(dt, name, sizeof(name), hits), 0);
    am_domain_table_destroy(dt);
}

/*
 * The deepest name: 127 one-letter labels, and every one of its suffixes in
 * the table, so a look-up returns AM_DOMAIN_TABLE_MAX_HITS - 1 hits.
 */
Test(domain_table, all_127_suffixes_of_the_deepest_name) {
    static char name[AM_DOMAIN_MAX + 1];
    am_domain_entry_t e[127];
    am_domain_hit_t hits[AM_DOMAIN_TABLE_MAX_HITS];
    char err[256] = "";
    am_domain_table_t *dt;

    memset(name, 'a', AM_DOMAIN_MAX);
    for (size_t i = 1; i < AM_DOMAIN_MAX; i += 2)
        name[i] = '.';
    for (size_t k = 0; k < 127; k++) {
        e[k].name = name + 2 * k;
        e[k].len = AM_DOMAIN_MAX - 2 * k;
        e[k].value = (uint32_t)k;
    }
    dt = am_domain_table_build(e, 127, err, sizeof(err));
    cr_assert_not_null(dt, "%s", err);
    cr_assert_eq(am_domain_table_suffixes(dt, name, AM_DOMAIN_MAX, hits),
                 127);
    ASSERT_HIT(hits[0], 0, 0, 127);
    ASSERT_HIT(hits[126], 126, 252, 1);
    am_domain_table_destroy(dt);
}

/*
 * Randomised check against brute force.  Names are drawn from a small label
 * alphabet so that a query often is, contains or extends a table name, and
 * labels share tails ("b" and "ab") so that a suffix of a label is often a
 * table name too: exactly the cases a suffix hash could get wrong.
 */

#define RAND_NAMES 3000
#define RAND_QUERIES 20000
#define RAND_MAX_LEN AM_DOMAIN_MAX

typedef char rand_name_t[RAND_MAX_LEN + 1];

/* Short labels that share tails, for many suffix relations. */
static const char *const short_labels[] = {
    "a", "b", "ab", "bab", "com", "ocom", "x-y", "_s", "xn--p1ai", "nl",
};

/* Labels of every length class up to 63, for names up to 253 bytes: the
 * hash works a word at a time, so word boundaries must fall everywhere. */
static const char *const long_labels[] = {
    "a", "bb", "ccc", "dddddddd", "eeeeeeeee", "abcdefghijklmno",
    "abcdefghijklmnop", "xn--bcher-kva", "a-b-c-d-e-f-g-h-i-j-k-l-m-n-o-p",
    "qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq",
};

typedef struct label_set_s {
    const char *const *labels;
    size_t count;
    size_t max_labels;
} label_set_t;

static uint64_t splitmix(uint64_t *s) {
    uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* Joins random labels while the name stays within 253 bytes. */
static void rand_name(uint64_t *seed, const label_set_t *ls, char *out) {
    size_t labels = 1 + splitmix(seed) % ls->max_labels;
    size_t len = 0;

    out[0] = '\0';
    for (size_t i = 0; i < labels; i++) {
        const char *l = ls->labels[splitmix(seed) % ls->count];
        size_t add = strlen(l) + (i > 0);

        if (len + add > RAND_MAX_LEN)
            break;
        if (i > 0)
            strcat(out, ".");
        strcat(out, l);
        len += add;
    }
}

static int cmp_name(const void *a, const void *b) {
    return strcmp(a, b);
}

/*
 * Brute force: every table name equal to q or ending q after a dot, found
 * by binary search in the sorted names (whose index is their value).
 */
static size_t brute_force(rand_name_t *names, size_t n, const char *q,
                          am_domain_hit_t *hits) {
    size_t qlen = strlen(q);
    size_t nhits = 0;

    /* Longest first: try every offset at a label start, left to right. */
    for (size_t off = 0; off < qlen; off++) {
        rand_name_t *m;
        size_t labels = 1;

        if (off > 0 && q[off - 1] != '.')
            continue;
        m = bsearch(q + off, names, n, sizeof(names[0]), cmp_name);
        if (!m)
            continue;
        for (const char *p = q + off; *p; p++)
            labels += *p == '.';
        hits[nhits].value = (uint32_t)(m - names);
        hits[nhits].offset = (uint16_t)off;
        hits[nhits].labels = (uint16_t)labels;
        nhits++;
    }
    return nhits;
}

/* Returns the number of queries whose answer differs from brute force. */
static size_t random_mismatches(uint64_t seed, const label_set_t *ls) {
    static rand_name_t names[RAND_NAMES];
    static am_domain_entry_t e[RAND_NAMES];
    size_t n = 0, bad = 0;
    char err[256];
    am_domain_table_t *dt;

    for (size_t i = 0; i < RAND_NAMES; i++)
        rand_name(&seed, ls, names[i]);
    qsort(names, RAND_NAMES, sizeof(names[0]), cmp_name);
    for (size_t i = 0; i < RAND_NAMES; i++)
        if (n == 0 || strcmp(names[n - 1], names[i]) != 0)
            memmove(names[n++], names[i], sizeof(names[0]));
    for (size_t i = 0; i < n; i++) {
        e[i].name = names[i];
        e[i].len = strlen(names[i]);
        e[i].value = (uint32_t)i;
    }
    dt = am_domain_table_build(e, n, err, sizeof(err));
    cr_assert_not_null(dt, "%s", err);

    /* The bulk look-up must say exactly what single look-ups say. */
    for (size_t k = 0; k + 37 <= RAND_QUERIES; k += 37) {
        static rand_name_t qs[37];
        static am_domain_hit_t bulk[37 * AM_DOMAIN_TABLE_MAX_HITS];
        const char *ptrs[37];
        size_t lens[37], counts[37];
        for (size_t i = 0; i < 37; i++) {
            rand_name(&seed, ls, qs[i]);
            ptrs[i] = qs[i];
            lens[i] = strlen(qs[i]);
        }
        am_domain_table_suffixes_bulk(dt, ptrs, lens, 37, bulk, counts);
        for (size_t i = 0; i < 37; i++) {
            am_domain_hit_t one[AM_DOMAIN_TABLE_MAX_HITS];
            size_t n1 = am_domain_table_suffixes(dt, qs[i], lens[i], one);
            if (n1 != counts[i] ||
                memcmp(one, bulk + i * AM_DOMAIN_TABLE_MAX_HITS,
                       n1 * sizeof(one[0])) != 0)
                bad++;
        }
    }
    for (size_t k = 0; k < RAND_QUERIES; k++) {
        am_domain_hit_t got[AM_DOMAIN_TABLE_MAX_HITS];
        am_domain_hit_t want[AM_DOMAIN_TABLE_MAX_HITS];
        rand_name_t q;
        size_t ng, nw;
        uint32_t v = UINT32_MAX;
        bool found;

        rand_name(&seed, ls, q);
        ng = am_domain_table_suffixes(dt, q, strlen(q), got);
        nw = brute_force(names, n, q, want);
        found = am_domain_table_find(dt, q, strlen(q), &v);
        if (ng != nw || memcmp(got, want, ng * sizeof(got[0])) != 0 ||
            found != (nw > 0 && want[0].offset == 0) ||
            (found && v != want[0].value))
            bad++;
    }
    cr_assert_gt(n, RAND_NAMES / 3);
    am_domain_table_destroy(dt);
    return bad;
}

Test(domain_table, random_short_names_agree_with_brute_force) {
    static const label_set_t ls = {short_labels, 10, 5};

    cr_assert_eq(random_mismatches(20240601, &ls), 0);
}

Test(domain_table, random_long_names_agree_with_brute_force) {
    static const label_set_t ls = {long_labels, 10, 16};

    cr_assert_eq(random_mismatches(4242, &ls), 0);
}
