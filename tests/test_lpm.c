/*
 * Tests for lpm: small tables checked by hand (edges: /0, host prefixes,
 * one address at many lengths, deep IPv6), the build errors, random tables
 * of both families checked against a linear scan of their entries, and
 * tables large enough to widen the direct table checked against a hash of
 * their prefixes.  Seeds are fixed.
 *
 * Every table built by BUILD4()/BUILD6() gives entry i the value 100 + i,
 * so an expected value names the entry by its position in the list.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <stdlib.h>
#include <string.h>

#include "lpm.h"

#define V(i) (100u + (i))
#define NONE AM_LPM_NONE

static am_prefix_t pfx(const char *s) {
    am_prefix_t p;
    char err[128] = "";

    cr_assert_eq(am_ipaddr_parse(s, strlen(s), AM_IPADDR_CIDR, &p, err,
                                 sizeof(err)),
                 0, "%s: %s", s, err);
    return p;
}

static am_lpm_t *build_list(int family, const char *const *cidrs, size_t n) {
    am_lpm_entry_t ent[64];
    char err[256] = "";
    am_lpm_t *lpm;

    cr_assert_leq(n, 64);
    for (size_t i = 0; i < n; i++) {
        ent[i].prefix = pfx(cidrs[i]);
        ent[i].value = V(i);
    }
    lpm = am_lpm_build(family, ent, n, err, sizeof(err));
    cr_assert_not_null(lpm, "build: %s", err);
    cr_assert_eq(am_lpm_count(lpm), n);
    return lpm;
}

#define LIST(...) (const char *const[]){__VA_ARGS__}
#define COUNT(...) (sizeof(LIST(__VA_ARGS__)) / sizeof(const char *))
#define BUILD4(...)                                                           \
    build_list(AM_IPADDR_V4, LIST(__VA_ARGS__), COUNT(__VA_ARGS__))
#define BUILD6(...)                                                           \
    build_list(AM_IPADDR_V6, LIST(__VA_ARGS__), COUNT(__VA_ARGS__))

static uint32_t host_order(const am_prefix_t *p) {
    return (uint32_t)p->addr[0] << 24 | (uint32_t)p->addr[1] << 16 |
           (uint32_t)p->addr[2] << 8 | p->addr[3];
}

/* Looks \p addr up through every entry point of its family and checks
 * that they agree. */
static uint32_t look(const am_lpm_t *lpm, const char *addr) {
    am_prefix_t p = pfx(addr);
    uint32_t v = am_lpm_lookup(lpm, p.addr);

    if (p.family == AM_IPADDR_V4) {
        uint32_t a = host_order(&p), bulk = 0;
        am_lpm_lookup4_bulk(lpm, &a, &bulk, 1);
        cr_assert_eq(am_lpm_lookup4(lpm, a), v, "lookup4 %s", addr);
        cr_assert_eq(bulk, v, "lookup4_bulk %s", addr);
    }
    return v;
}

static void expect_covering(const am_lpm_t *lpm, const char *cidr,
                            const uint32_t *want, size_t n) {
    am_prefix_t p = pfx(cidr);
    uint32_t got[64];
    size_t k = am_lpm_covering(lpm, &p, got, 64);

    cr_assert_eq(k, n, "covering %s: %zu prefixes, want %zu", cidr, k, n);
    for (size_t i = 0; i < n; i++)
        cr_assert_eq(got[i], want[i], "covering %s [%zu]: %u, want %u", cidr,
                     i, got[i], want[i]);
}

#define U32S(...) (const uint32_t[]){__VA_ARGS__}
#define NU32(...) (sizeof(U32S(__VA_ARGS__)) / sizeof(uint32_t))
#define COVERING(lpm, cidr, ...)                                              \
    expect_covering(lpm, cidr, U32S(__VA_ARGS__), NU32(__VA_ARGS__))

typedef struct visits_s {
    uint32_t v[8192];
    am_prefix_t p[8192];
    size_t n, stop_at; /* stop_at: visits after which to stop; 0: never */
} visits_t;

static int collect(uint32_t value, const am_prefix_t *prefix, void *opaque) {
    visits_t *vs = opaque;

    cr_assert_lt(vs->n, 8192);
    vs->p[vs->n] = *prefix;
    vs->v[vs->n++] = value;
    return vs->n == vs->stop_at;
}

static void expect_overlapping(const am_lpm_t *lpm, const char *cidr,
                               size_t stop_at, const uint32_t *want,
                               size_t n) {
    am_prefix_t r = pfx(cidr);
    static visits_t vs;
    size_t k;

    vs.n = 0;
    vs.stop_at = stop_at;
    k = am_lpm_overlapping(lpm, &r, collect, &vs);
    cr_assert_eq(k, n, "overlapping %s: %zu visited, want %zu", cidr, k, n);
    cr_assert_eq(vs.n, n);
    for (size_t i = 0; i < n; i++)
        cr_assert_eq(vs.v[i], want[i], "overlapping %s [%zu]: %u, want %u",
                     cidr, i, vs.v[i], want[i]);
}

#define OVERLAPPING(lpm, cidr, ...)                                           \
    expect_overlapping(lpm, cidr, 0, U32S(__VA_ARGS__), NU32(__VA_ARGS__))
#define OVERLAPPING_STOP(lpm, cidr, stop, ...)                                \
    expect_overlapping(lpm, cidr, stop, U32S(__VA_ARGS__), NU32(__VA_ARGS__))

/* ---- fixed tables ------------------------------------------------------ */

Test(lpm, empty_table_matches_nothing) {
    char err[128] = "";
    am_lpm_t *v4 = am_lpm_build(AM_IPADDR_V4, NULL, 0, err, sizeof(err));
    am_lpm_t *v6 = am_lpm_build(AM_IPADDR_V6, NULL, 0, err, sizeof(err));
    am_prefix_t all4 = pfx("0.0.0.0/0"), all6 = pfx("::/0");
    static visits_t vs;

    cr_assert_not_null(v4, "%s", err);
    cr_assert_not_null(v6, "%s", err);
    cr_assert_eq(am_lpm_count(v4), 0);
    cr_assert_gt(am_lpm_memory(v4), 0);
    cr_assert_eq(look(v4, "0.0.0.0"), NONE);
    cr_assert_eq(look(v4, "255.255.255.255"), NONE);
    cr_assert_eq(look(v6, "::"), NONE);
    cr_assert_eq(look(v6, "2001:db8::1"), NONE);
    cr_assert_eq(am_lpm_covering(v4, &all4, NULL, 0), 0);
    cr_assert_eq(am_lpm_overlapping(v4, &all4, collect, &vs), 0);
    cr_assert_eq(am_lpm_overlapping(v6, &all6, collect, &vs), 0);
    cr_assert_eq(vs.n, 0);
    am_lpm_destroy(v4);
    am_lpm_destroy(v6);
    am_lpm_destroy(NULL);
}

Test(lpm, default_route_and_host_prefixes_v4) {
    am_lpm_t *lpm = BUILD4("192.0.2.1", "0.0.0.0/0", "255.255.255.255/32",
                           "0.0.0.0/32");

    cr_assert_eq(look(lpm, "192.0.2.1"), V(0));
    cr_assert_eq(look(lpm, "192.0.2.0"), V(1));
    cr_assert_eq(look(lpm, "192.0.2.2"), V(1));
    cr_assert_eq(look(lpm, "255.255.255.255"), V(2));
    cr_assert_eq(look(lpm, "255.255.255.254"), V(1));
    cr_assert_eq(look(lpm, "0.0.0.0"), V(3));
    cr_assert_eq(look(lpm, "0.0.0.1"), V(1));
    am_lpm_destroy(lpm);
}

Test(lpm, default_route_and_host_prefixes_v6) {
    am_lpm_t *lpm = BUILD6("::/0", "2001:db8::1", "::",
                           "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");

    cr_assert_eq(look(lpm, "2001:db8::1"), V(1));
    cr_assert_eq(look(lpm, "2001:db8::"), V(0));
    cr_assert_eq(look(lpm, "::"), V(2));
    cr_assert_eq(look(lpm, "::1"), V(0));
    cr_assert_eq(look(lpm, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"), V(3));
    cr_assert_eq(look(lpm, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe"), V(0));
    am_lpm_destroy(lpm);
}

Test(lpm, nested_prefixes_v4) {
    am_lpm_t *lpm = BUILD4("10.1.2.0/24", "10.0.0.0/8", "10.1.2.3/32",
                           "10.1.0.0/16", "10.1.2.128/25", "11.0.0.0/8");

    cr_assert_eq(look(lpm, "10.1.2.3"), V(2));
    cr_assert_eq(look(lpm, "10.1.2.4"), V(0));
    cr_assert_eq(look(lpm, "10.1.2.127"), V(0));
    cr_assert_eq(look(lpm, "10.1.2.128"), V(4));
    cr_assert_eq(look(lpm, "10.1.2.255"), V(4));
    cr_assert_eq(look(lpm, "10.1.3.0"), V(3));
    cr_assert_eq(look(lpm, "10.1.255.255"), V(3));
    cr_assert_eq(look(lpm, "10.2.0.0"), V(1));
    cr_assert_eq(look(lpm, "10.255.255.255"), V(1));
    cr_assert_eq(look(lpm, "11.1.2.3"), V(5));
    cr_assert_eq(look(lpm, "9.255.255.255"), NONE);
    cr_assert_eq(look(lpm, "12.0.0.0"), NONE);
    am_lpm_destroy(lpm);
}

Test(lpm, one_address_at_many_lengths) {
    am_lpm_t *lpm = BUILD4("10.0.0.0/24", "10.0.0.0/8", "10.0.0.0/32",
                           "10.0.0.0/31", "10.0.0.0/12", "10.0.0.0/16",
                           "10.0.0.0/7");

    cr_assert_eq(look(lpm, "10.0.0.0"), V(2));
    cr_assert_eq(look(lpm, "10.0.0.1"), V(3));
    cr_assert_eq(look(lpm, "10.0.0.2"), V(0));
    cr_assert_eq(look(lpm, "10.0.1.0"), V(5));
    cr_assert_eq(look(lpm, "10.1.0.0"), V(4));
    cr_assert_eq(look(lpm, "10.16.0.0"), V(1));
    cr_assert_eq(look(lpm, "11.0.0.0"), V(6));
    cr_assert_eq(look(lpm, "12.0.0.0"), NONE);
    COVERING(lpm, "10.0.0.0", V(2), V(3), V(0), V(5), V(4), V(1), V(6));
    COVERING(lpm, "10.0.0.0/20", V(5), V(4), V(1), V(6));
    am_lpm_destroy(lpm);
}

/* A table of 12 prefixes and the expected longest match of addresses
 * around their edges, one test case each. */
typedef struct lookup_case_s {
    char addr[48];
    uint32_t want;
} lookup_case_t;

static const char *const edge_table[] = {
    "0.0.0.0/1",      "128.0.0.0/2",    "192.168.0.0/16", "192.168.0.0/23",
    "192.168.1.0/24", "192.168.1.64/26", "192.168.1.64/27", "192.168.1.96/32",
    "172.16.0.0/12",  "172.31.255.0/24", "8.8.8.8/32",      "1.2.3.4/30",
};

ParameterizedTestParameters(lpm, edges_v4) {
    static lookup_case_t cases[] = {
        {"0.0.0.0", V(0)},        {"127.255.255.255", V(0)},
        {"128.0.0.0", V(1)},      {"191.255.255.255", V(1)},
        {"192.0.0.0", NONE},      {"255.255.255.255", NONE},
        {"192.168.0.0", V(3)},    {"192.168.0.255", V(3)},
        {"192.168.1.0", V(4)},    {"192.168.1.63", V(4)},
        {"192.168.1.64", V(6)},   {"192.168.1.95", V(6)},
        {"192.168.1.96", V(7)},   {"192.168.1.97", V(5)},
        {"192.168.1.127", V(5)},  {"192.168.1.128", V(4)},
        {"192.168.2.0", V(2)},    {"192.168.255.255", V(2)},
        {"172.15.255.255", V(1)}, {"172.16.0.0", V(8)},
        {"172.31.255.0", V(9)},   {"172.31.254.255", V(8)},
        {"172.32.0.0", V(1)},     {"8.8.8.8", V(10)},
        {"8.8.8.9", V(0)},        {"1.2.3.3", V(0)},
        {"1.2.3.4", V(11)},       {"1.2.3.7", V(11)},
        {"1.2.3.8", V(0)},
    };
    return cr_make_param_array(lookup_case_t, cases,
                               sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(lookup_case_t *c, lpm, edges_v4) {
    am_lpm_t *lpm = build_list(AM_IPADDR_V4, edge_table,
                               sizeof(edge_table) / sizeof(edge_table[0]));

    cr_assert_eq(look(lpm, c->addr), c->want, "%s", c->addr);
    am_lpm_destroy(lpm);
}

Test(lpm, covering_is_longest_first) {
    am_lpm_t *lpm = BUILD4("10.0.0.0/8", "10.1.2.0/24", "0.0.0.0/0",
                           "10.1.0.0/16", "10.1.2.3/32", "10.1.3.0/24");
    am_prefix_t host = pfx("10.1.2.3");
    uint32_t two[2] = {0, 0};

    COVERING(lpm, "10.1.2.3", V(4), V(1), V(3), V(0), V(2));
    COVERING(lpm, "10.1.2.4", V(1), V(3), V(0), V(2));
    COVERING(lpm, "10.1.2.0/24", V(1), V(3), V(0), V(2));
    COVERING(lpm, "10.1.2.0/23", V(3), V(0), V(2));
    COVERING(lpm, "10.0.0.0/8", V(0), V(2));
    COVERING(lpm, "0.0.0.0/0", V(2));
    COVERING(lpm, "11.0.0.1", V(2));
    cr_assert_eq(am_lpm_covering(lpm, &host, two, 2), 5);
    cr_assert_eq(two[0], V(4));
    cr_assert_eq(two[1], V(1));
    am_lpm_destroy(lpm);
}

Test(lpm, overlapping_ranges) {
    am_lpm_t *lpm = BUILD4("10.0.0.0/8", "10.1.2.0/24", "10.1.0.0/16",
                           "10.1.2.3/32", "10.1.3.0/24", "10.1.0.0/24",
                           "10.2.0.0/16", "192.0.2.0/24");

    /* Containing ones longest first, then the ones inside in address
     * order. */
    OVERLAPPING(lpm, "10.1.0.0/16", V(2), V(0), V(5), V(1), V(3), V(4));
    OVERLAPPING(lpm, "10.1.2.0/23", V(2), V(0), V(1), V(3), V(4));
    OVERLAPPING(lpm, "10.0.0.0/7", V(0), V(2), V(5), V(1), V(3), V(4),
                V(6));
    OVERLAPPING(lpm, "0.0.0.0/0", V(0), V(2), V(5), V(1), V(3), V(4), V(6),
                V(7));
    OVERLAPPING(lpm, "10.1.2.3", V(3), V(1), V(2), V(0));
    OVERLAPPING(lpm, "10.3.0.0/16", V(0));
    /* An observed range may have host bits set: it is masked. */
    OVERLAPPING(lpm, "10.1.2.9/24", V(1), V(2), V(0), V(3));
    OVERLAPPING(lpm, "192.0.0.0/16", V(7));
    expect_overlapping(lpm, "193.0.0.0/8", 0, NULL, 0);
    OVERLAPPING_STOP(lpm, "10.1.0.0/16", 1, V(2));
    OVERLAPPING_STOP(lpm, "10.1.0.0/16", 4, V(2), V(0), V(5), V(1));
    am_lpm_destroy(lpm);
}

Test(lpm, deep_prefixes_v6) {
    am_lpm_t *lpm = BUILD6(
        "2001:db8::/32", "2001:db8:1::/48", "2001:db8:1:2::/64",
        "2001:db8:1:2::/127", "2001:db8:1:2::1/128", "2001:db8:1:2::/65",
        "2001:db8:1:2:8000::/65", "2001:db8:1:2::/97", "2001:db8:1:2::/63",
        "8000::/1", "2001:db8:1:2:0:0:8000:0/97", "2001:db8:1:2::3/128");

    cr_assert_eq(look(lpm, "2001:db8:1:2::1"), V(4));
    cr_assert_eq(look(lpm, "2001:db8:1:2::"), V(3));
    cr_assert_eq(look(lpm, "2001:db8:1:2::2"), V(7));
    cr_assert_eq(look(lpm, "2001:db8:1:2::3"), V(11));
    cr_assert_eq(look(lpm, "2001:db8:1:2::7fff:ffff"), V(7));
    cr_assert_eq(look(lpm, "2001:db8:1:2::8000:0"), V(10));
    cr_assert_eq(look(lpm, "2001:db8:1:2::1:0:0"), V(5));
    cr_assert_eq(look(lpm, "2001:db8:1:2:7fff::"), V(5));
    cr_assert_eq(look(lpm, "2001:db8:1:2:8000::"), V(6));
    cr_assert_eq(look(lpm, "2001:db8:1:3::"), V(8));
    cr_assert_eq(look(lpm, "2001:db8:1:4::"), V(1));
    cr_assert_eq(look(lpm, "2001:db8:2::"), V(0));
    cr_assert_eq(look(lpm, "2001:db9::"), NONE);
    cr_assert_eq(look(lpm, "8000::"), V(9));
    cr_assert_eq(look(lpm, "::ffff:10.0.0.1"), NONE);
    COVERING(lpm, "2001:db8:1:2::1", V(4), V(3), V(7), V(5), V(2), V(8),
             V(1), V(0));
    COVERING(lpm, "2001:db8:1:2::/96", V(5), V(2), V(8), V(1), V(0));
    OVERLAPPING(lpm, "2001:db8:1:2::/96", V(5), V(2), V(8), V(1), V(0), V(7),
                V(3), V(4), V(11), V(10));
    am_lpm_destroy(lpm);
}

Test(lpm, other_family_finds_nothing) {
    am_lpm_t *lpm = BUILD4("0.0.0.0/0");
    am_prefix_t v6 = pfx("2001:db8::/32");
    static visits_t vs;

    cr_assert_eq(am_lpm_covering(lpm, &v6, NULL, 0), 0);
    cr_assert_eq(am_lpm_overlapping(lpm, &v6, collect, &vs), 0);
    am_lpm_destroy(lpm);
}

Test(lpm, lookup4_on_v6_table_finds_nothing) {
    am_lpm_t *lpm = BUILD6("::/0");
    uint32_t addr = 0x0a000001, value = 0;

    am_lpm_lookup4_bulk(lpm, &addr, &value, 1);
    cr_assert_eq(am_lpm_lookup4(lpm, addr), NONE);
    cr_assert_eq(value, NONE);
    am_lpm_destroy(lpm);
}

/* ---- errors ------------------------------------------------------------ */

static void expect_error(int family, const am_lpm_entry_t *ent, size_t n,
                         const char *want) {
    char err[256] = "";
    am_lpm_t *lpm = am_lpm_build(family, ent, n, err, sizeof(err));

    cr_assert_null(lpm);
    cr_assert_not_null(strstr(err, want), "error \"%s\", want \"%s\"", err,
                       want);
}

Test(lpm, duplicate_prefix_is_an_error) {
    am_lpm_entry_t ent[] = {{pfx("10.0.0.0/8"), 1},
                            {pfx("10.1.0.0/16"), 2},
                            {pfx("10.0.0.0/8"), 3}};

    expect_error(AM_IPADDR_V4, ent, 3,
                 "duplicate prefix 10.0.0.0/8 (entries 0 and 2)");
}

Test(lpm, other_family_is_an_error) {
    am_lpm_entry_t ent[] = {{pfx("10.0.0.0/8"), 1}, {pfx("::/0"), 2}};

    expect_error(AM_IPADDR_V4, ent, 2, "entry 1: an IPv6 prefix");
    expect_error(AM_IPADDR_V6, ent, 2, "entry 0: an IPv4 prefix");
    expect_error(5, ent, 2, "neither IPv4 nor IPv6");
}

Test(lpm, host_bits_set_is_an_error) {
    am_lpm_entry_t v4[] = {{pfx("10.0.0.0/8"), 1}, {pfx("10.0.0.0/8"), 2}};
    am_lpm_entry_t v6[] = {{pfx("2001:db8::/32"), 1}};

    v4[1].prefix.addr[3] = 1;
    expect_error(AM_IPADDR_V4, v4, 2, "entry 1: 10.0.0.1/8 has host bits set");
    v6[0].prefix.addr[15] = 1;
    expect_error(AM_IPADDR_V6, v6, 1, "host bits set");
    v6[0].prefix.addr[15] = 0;
    v6[0].prefix.len = 129;
    expect_error(AM_IPADDR_V6, v6, 1, "prefix length 129 out of range");
}

Test(lpm, reserved_value_is_an_error) {
    am_lpm_entry_t ent[] = {{pfx("10.0.0.0/8"), AM_LPM_NONE}};

    expect_error(AM_IPADDR_V4, ent, 1, "AM_LPM_NONE is reserved");
}

/* ---- random tables against a linear scan ------------------------------- */

static uint64_t rnd(uint64_t *s) {
    uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static void random_bits(uint64_t *s, am_prefix_t *p) {
    uint64_t a = rnd(s), b = rnd(s);

    memcpy(p->addr, &a, 8);
    memcpy(p->addr + 8, &b, 8);
    memset(p->addr + (p->family == AM_IPADDR_V4 ? 4 : 16), 0,
           p->family == AM_IPADDR_V4 ? 12 : 0);
}

/* A random address inside \p p (or anywhere when p is NULL). */
static am_prefix_t random_addr(uint64_t *s, int family,
                               const am_prefix_t *p) {
    am_prefix_t a = {.family = (uint8_t)family};
    unsigned width = family == AM_IPADDR_V4 ? 32 : 128;

    random_bits(s, &a);
    a.len = (uint8_t)width;
    for (unsigned bit = 0; p && bit < p->len; bit++) {
        uint8_t m = (uint8_t)(0x80 >> (bit % 8));
        a.addr[bit / 8] = (uint8_t)((a.addr[bit / 8] & ~m) |
                                    (p->addr[bit / 8] & m));
    }
    return a;
}

static int cmp_prefix(const void *x, const void *y) {
    const am_lpm_entry_t *a = x, *b = y;
    int c = memcmp(a->prefix.addr, b->prefix.addr, 16);

    return c ? c : (int)a->prefix.len - (int)b->prefix.len;
}

/* \p n unique prefixes, in random order, valued value_base + 7i + 1.  A
 * third are random; a third narrow an earlier one and a third widen one,
 * so that prefixes nest deeply and share addresses. */
static size_t random_table(uint64_t *s, int family, am_lpm_entry_t *ent,
                           size_t n, uint32_t value_base) {
    unsigned width = family == AM_IPADDR_V4 ? 32 : 128;
    size_t k = 0;

    for (size_t i = 0; i < n; i++) {
        am_prefix_t p, base = ent[i ? rnd(s) % i : 0].prefix;
        unsigned r = i ? (unsigned)(rnd(s) % 3) : 0;

        if (r == 0) {
            p = random_addr(s, family, NULL);
            p.len = (uint8_t)(rnd(s) % (width + 1));
        } else if (r == 1) {
            p = random_addr(s, family, &base);
            p.len = (uint8_t)(base.len + rnd(s) % (width + 1 - base.len));
        } else {
            p = base;
            p.len = (uint8_t)(rnd(s) % (base.len + 1u));
        }
        am_ipaddr_mask(&p);
        ent[i].prefix = p;
        ent[i].value = value_base + (uint32_t)i * 7 + 1;
    }
    qsort(ent, n, sizeof(*ent), cmp_prefix);
    for (size_t i = 0; i < n; i++)
        if (k == 0 || cmp_prefix(&ent[k - 1], &ent[i]) != 0)
            ent[k++] = ent[i];
    for (size_t i = k; i > 1; i--) {
        size_t j = rnd(s) % i;
        am_lpm_entry_t t = ent[i - 1];
        ent[i - 1] = ent[j];
        ent[j] = t;
    }
    return k;
}

/* The linear scans: the value of the longest prefix containing \p a, and
 * every prefix that overlaps \p r in am_lpm_overlapping() order. */
static uint32_t scan_longest(const am_lpm_entry_t *ent, size_t n,
                             const am_prefix_t *a) {
    int best = -1;
    uint32_t v = AM_LPM_NONE;

    for (size_t i = 0; i < n; i++)
        if (am_ipaddr_contains(&ent[i].prefix, a) &&
            (int)ent[i].prefix.len > best) {
            best = ent[i].prefix.len;
            v = ent[i].value;
        }
    return v;
}

static int cmp_longer_first(const void *x, const void *y) {
    const am_lpm_entry_t *a = x, *b = y;

    return (int)b->prefix.len - (int)a->prefix.len;
}

static size_t scan_overlapping(const am_lpm_entry_t *ent, size_t n,
                               const am_prefix_t *r, am_lpm_entry_t *out) {
    size_t k = 0, inside;

    for (size_t i = 0; i < n; i++)
        if (am_ipaddr_contains(&ent[i].prefix, r))
            out[k++] = ent[i];
    qsort(out, k, sizeof(*out), cmp_longer_first);
    inside = k;
    for (size_t i = 0; i < n; i++)
        if (ent[i].prefix.len > r->len &&
            am_ipaddr_contains(r, &ent[i].prefix))
            out[k++] = ent[i];
    qsort(out + inside, k - inside, sizeof(*out), cmp_prefix);
    return k;
}

/* Checks \p lookups random addresses (half inside a random prefix of the
 * table, so that long prefixes are hit) and \p ranges random ranges. */
static void check_random(int family, uint64_t seed, size_t n, size_t lookups,
                         size_t ranges, uint32_t value_base) {
    static am_lpm_entry_t ent[8192], want[8192];
    static uint32_t addrs[20000], bulk[20000], expect[20000], cover[256];
    static visits_t vs;
    uint64_t s = seed;
    size_t v4;
    char err[256] = "";
    unsigned width = family == AM_IPADDR_V4 ? 32 : 128;
    am_lpm_t *lpm;

    cr_assert_leq(n, 8192);
    cr_assert_leq(lookups, 20000);
    n = random_table(&s, family, ent, n, value_base);
    lpm = am_lpm_build(family, ent, n, err, sizeof(err));
    cr_assert_not_null(lpm, "seed %llu: %s", (unsigned long long)seed, err);
    cr_assert_eq(am_lpm_count(lpm), n);

    for (size_t i = 0; i < lookups; i++) {
        am_prefix_t a = random_addr(&s, family,
                                    i % 2 ? &ent[rnd(&s) % n].prefix : NULL);

        expect[i] = scan_longest(ent, n, &a);
        cr_assert_eq(am_lpm_lookup(lpm, a.addr), expect[i],
                     "seed %llu lookup %zu", (unsigned long long)seed, i);
        addrs[i] = host_order(&a);
    }
    /* For IPv6 the addresses are meaningless and the loops empty. */
    v4 = family == AM_IPADDR_V4 ? lookups : 0;
    am_lpm_lookup4_bulk(lpm, addrs, bulk, v4);
    for (size_t i = 0; i < v4; i++) {
        cr_assert_eq(am_lpm_lookup4(lpm, addrs[i]), expect[i]);
        cr_assert_eq(bulk[i], expect[i], "bulk %zu", i);
    }

    for (size_t i = 0; i < ranges; i++) {
        am_prefix_t r = random_addr(&s, family,
                                    i % 2 ? &ent[rnd(&s) % n].prefix : NULL);
        size_t k, covering = 0;

        r.len = (uint8_t)(i % 2 ? ent[rnd(&s) % n].prefix.len
                                : rnd(&s) % (width + 1));
        am_ipaddr_mask(&r);
        k = scan_overlapping(ent, n, &r, want);
        vs.n = 0;
        vs.stop_at = 0;
        cr_assert_eq(am_lpm_overlapping(lpm, &r, collect, &vs), k);
        for (size_t j = 0; j < k; j++) {
            cr_assert_eq(vs.v[j], want[j].value, "range %zu [%zu]", i, j);
            cr_assert_eq(memcmp(&vs.p[j], &want[j].prefix, sizeof(vs.p[j])),
                         0);
            covering += want[j].prefix.len <= r.len;
        }
        cr_assert_eq(am_lpm_covering(lpm, &r, cover, 256), covering);
        for (size_t j = 0; j < covering; j++)
            cr_assert_eq(cover[j], want[j].value);
    }
    am_lpm_destroy(lpm);
}

/* Values of 2^31 and more take another path through the table. */
#define BIG 0x80000000u

Test(lpm, random_v4_against_linear_scan, .timeout = 120) {
    check_random(AM_IPADDR_V4, 1, 3000, 20000, 2000, 0);
    check_random(AM_IPADDR_V4, 2, 200, 5000, 500, BIG);
    check_random(AM_IPADDR_V4, 3, 8000, 10000, 500, 0);
    check_random(AM_IPADDR_V4, 7, 5000, 10000, 500, BIG);
}

Test(lpm, random_v6_against_linear_scan, .timeout = 120) {
    check_random(AM_IPADDR_V6, 4, 3000, 20000, 2000, 0);
    check_random(AM_IPADDR_V6, 5, 200, 5000, 500, BIG);
    check_random(AM_IPADDR_V6, 6, 8000, 10000, 500, 0);
    check_random(AM_IPADDR_V6, 8, 5000, 10000, 500, BIG);
}

Test(lpm, bulk_lookup_with_misses) {
    am_lpm_t *lpm = BUILD4("10.0.0.0/8", "10.1.2.0/24", "10.1.2.3",
                           "192.168.0.0/16");
    uint32_t addrs[100], values[100];

    for (uint32_t i = 0; i < 100; i++)
        addrs[i] = 0x0a010200u + i * 0x01000000u * (i % 3) + i;
    am_lpm_lookup4_bulk(lpm, addrs, values, 100);
    for (size_t i = 0; i < 100; i++)
        cr_assert_eq(values[i], am_lpm_lookup4(lpm, addrs[i]), "key %zu", i);
    cr_assert_eq(values[0], V(1));
    cr_assert_eq(values[3], V(2));
    cr_assert_eq(values[1], NONE);
    am_lpm_destroy(lpm);
}

/* ---- large tables against a hash of the prefixes ----------------------- */

/* Large enough for the direct table to widen and the trie below it to
 * fill several levels; the reference probes every length of the key in a
 * hash of the prefixes, from the longest down. */
typedef struct ref_s {
    uint32_t *slot; /* entry index + 1, or 0 */
    size_t mask;
    const am_lpm_entry_t *ent;
} ref_t;

static size_t ref_hash(const am_prefix_t *p, size_t mask) {
    uint64_t a, b;

    memcpy(&a, p->addr, 8);
    memcpy(&b, p->addr + 8, 8);
    return (size_t)rnd(&(uint64_t){a ^ b * 31 ^ p->len}) & mask;
}

static void ref_init(ref_t *ref, const am_lpm_entry_t *ent, size_t n) {
    ref->mask = 1;
    while (ref->mask < 4 * n)
        ref->mask <<= 1;
    ref->slot = calloc(ref->mask, sizeof(uint32_t));
    ref->mask--;
    ref->ent = ent;
    cr_assert_not_null(ref->slot);
    for (size_t i = 0; i < n; i++) {
        size_t h = ref_hash(&ent[i].prefix, ref->mask);
        while (ref->slot[h])
            h = (h + 1) & ref->mask;
        ref->slot[h] = (uint32_t)i + 1;
    }
}

static uint32_t ref_longest(const ref_t *ref, const am_prefix_t *a) {
    for (int len = a->len; len >= 0; len--) {
        am_prefix_t p = *a;
        p.len = (uint8_t)len;
        am_ipaddr_mask(&p);
        for (size_t h = ref_hash(&p, ref->mask); ref->slot[h];
             h = (h + 1) & ref->mask) {
            const am_prefix_t *q = &ref->ent[ref->slot[h] - 1].prefix;
            if (q->len == p.len && memcmp(q->addr, p.addr, 16) == 0)
                return ref->ent[ref->slot[h] - 1].value;
        }
    }
    return AM_LPM_NONE;
}

static void check_large(int family, uint64_t seed, size_t n, size_t lookups) {
    am_lpm_entry_t *ent = calloc(n, sizeof(*ent));
    uint32_t *addrs = calloc(lookups, sizeof(uint32_t));
    uint32_t *want = calloc(lookups, sizeof(uint32_t));
    uint32_t *bulk = calloc(lookups, sizeof(uint32_t));
    uint64_t s = seed;
    char err[256] = "";
    ref_t ref;
    am_lpm_t *lpm;
    size_t v4;

    cr_assert(ent && addrs && want && bulk);
    n = random_table(&s, family, ent, n, 0);
    ref_init(&ref, ent, n);
    lpm = am_lpm_build(family, ent, n, err, sizeof(err));
    cr_assert_not_null(lpm, "%s", err);
    for (size_t i = 0; i < lookups; i++) {
        am_prefix_t a = random_addr(&s, family,
                                    i % 2 ? &ent[rnd(&s) % n].prefix : NULL);
        want[i] = ref_longest(&ref, &a);
        addrs[i] = host_order(&a);
        cr_assert_eq(am_lpm_lookup(lpm, a.addr), want[i], "lookup %zu", i);
    }
    v4 = family == AM_IPADDR_V4 ? lookups : 0;
    am_lpm_lookup4_bulk(lpm, addrs, bulk, v4);
    for (size_t i = 0; i < v4; i++) {
        cr_assert_eq(am_lpm_lookup4(lpm, addrs[i]), want[i], "lookup4 %zu", i);
        cr_assert_eq(bulk[i], want[i], "bulk %zu", i);
    }
    am_lpm_destroy(lpm);
    free(ref.slot);
    free(ent);
    free(addrs);
    free(want);
    free(bulk);
}

Test(lpm, large_v4_against_hash, .timeout = 120) {
    check_large(AM_IPADDR_V4, 11, 400000, 100000);
}

Test(lpm, large_v6_against_hash, .timeout = 120) {
    check_large(AM_IPADDR_V6, 12, 150000, 30000);
}
