/*
 * Tests for ipaddr: parsing (addresses, CIDR, strictness, IPv4-mapped
 * IPv6), RFC 5952 formatting, containment, overlap and masking.
 *
 * Every input is copied into a heap buffer of exactly its length, with no
 * NUL after it, so a read past the end shows up under AddressSanitizer and
 * the parser is held to its (pointer, length) contract.  Most tables give
 * the text the parsed value prints as, or "error: <reason>".
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ipaddr.h"

#define V4 AM_IPADDR_V4
#define V6 AM_IPADDR_V6
#define CIDR AM_IPADDR_CIDR
#define STRICT (AM_IPADDR_CIDR | AM_IPADDR_STRICT)

/* Parses the n bytes of `in` from an exact-size heap copy. */
static int parse_n(const char *in, size_t n, int flags, am_prefix_t *p,
                   char *err, size_t err_size) {
    char *copy = malloc(n ? n : 1);
    int rc;

    cr_assert_not_null(copy);
    memcpy(copy, in, n);
    err[0] = '\0';
    rc = am_ipaddr_parse(copy, n, flags, p, err, err_size);
    /* What parses is never ruled out by the quick test before parsing. */
    cr_assert(rc != 0 || am_ipaddr_may_be(copy, n),
              "\"%.*s\" parses but am_ipaddr_may_be() says no", (int)n, in);
    free(copy);
    return rc;
}

/* The text form of what `in` parses to, or "error: <reason>". */
static const char *text_of(const char *in, int flags) {
    static char out[160];
    char err[128];
    char buf[AM_IPADDR_STRLEN];
    am_prefix_t p;

    if (parse_n(in, strlen(in), flags, &p, err, sizeof(err)) == 0) {
        size_t n = am_ipaddr_format(&p, buf, sizeof(buf));
        cr_assert_eq(n, strlen(buf), "format of %s: length %zu", in, n);
        snprintf(out, sizeof(out), "%s", buf);
    } else {
        cr_assert_neq(err[0], '\0', "no reason given for \"%s\"", in);
        snprintf(out, sizeof(out), "error: %s", err);
    }
    return out;
}

/* Parses `in`, which must be valid (flags STRICT). */
static am_prefix_t must_parse(const char *in) {
    am_prefix_t p;
    char err[128];

    cr_assert_eq(parse_n(in, strlen(in), STRICT, &p, err, sizeof(err)), 0,
                 "%s: %s", in, err);
    return p;
}

/* ---- parsing and formatting ------------------------------------------- */

struct parse_case {
    char in[64];
    int flags;
    char want[80];
};

ParameterizedTestParameters(ipaddr, parse_and_format) {
    static struct parse_case cases[] = {
        /* IPv4 addresses and prefixes. */
        {"192.0.2.1", 0, "192.0.2.1"},
        {"0.0.0.0", 0, "0.0.0.0"},
        {"255.255.255.255", 0, "255.255.255.255"},
        {"10.0.0.0", 0, "10.0.0.0"},
        {"192.0.2.0/24", STRICT, "192.0.2.0/24"},
        {"10.0.0.0/8", STRICT, "10.0.0.0/8"},
        {"0.0.0.0/0", STRICT, "0.0.0.0/0"},
        {"192.0.2.1/32", STRICT, "192.0.2.1"},
        {"192.0.2.128/25", STRICT, "192.0.2.128/25"},
        /* Host bits: an error when strict (naming the network), else
         * cleared. */
        {"192.0.2.1/24", STRICT, "error: host bits set (network is "
                                 "192.0.2.0/24)"},
        {"10.1.2.3/8", STRICT, "error: host bits set (network is 10.0.0.0/8)"},
        {"0.0.0.1/0", STRICT, "error: host bits set (network is 0.0.0.0/0)"},
        {"192.0.2.255/25", STRICT, "error: host bits set (network is "
                                   "192.0.2.128/25)"},
        {"192.0.2.1/24", CIDR, "192.0.2.0/24"},
        {"192.0.2.255/31", CIDR, "192.0.2.254/31"},
        /* A range where only an address is allowed. */
        {"192.0.2.0/24", 0, "error: a range where an address is expected"},
        {"2001:db8::/32", 0, "error: a range where an address is expected"},
        /* Malformed IPv4. */
        {"", 0, "error: not an IP address"},
        {"1.2.3", 0, "error: not an IP address"},
        {"1.2.3.4.5", 0, "error: not an IP address"},
        {"1.2.3.4.", 0, "error: not an IP address"},
        {".1.2.3.4", 0, "error: not an IP address"},
        {"1..2.3", 0, "error: not an IP address"},
        {"256.1.1.1", 0, "error: not an IP address"},
        {"1.2.3.256", 0, "error: not an IP address"},
        {"1234.1.1.1", 0, "error: not an IP address"},
        {"1.2.3.-4", 0, "error: not an IP address"},
        {"0x1.2.3.4", 0, "error: not an IP address"},
        {"a.b.c.d", 0, "error: not an IP address"},
        {" 1.2.3.4", 0, "error: not an IP address"},
        {"1.2.3.4 ", 0, "error: not an IP address"},
        {"example.com", 0, "error: not an IP address"},
        /* Leading zeros would read as octal to some tools: rejected. */
        {"01.2.3.4", 0, "error: not an IP address"},
        {"192.0.2.01", 0, "error: not an IP address"},
        {"192.0.02.1", 0, "error: not an IP address"},
        {"1.2.3.00", 0, "error: not an IP address"},
        {"000.0.0.0", 0, "error: not an IP address"},
        {"010.0.0.0/8", STRICT, "error: not an IP address"},
        /* Prefix length bounds and syntax. */
        {"192.0.2.0/33", STRICT, "error: prefix length 33 out of range for "
                                 "IPv4"},
        {"192.0.2.0/999", STRICT, "error: prefix length 999 out of range for "
                                  "IPv4"},
        {"2001:db8::/129", STRICT, "error: prefix length 129 out of range "
                                   "for IPv6"},
        {"2001:db8::/128", STRICT, "2001:db8::"},
        {"::/0", STRICT, "::/0"},
        {"192.0.2.0/", STRICT, "error: bad prefix length"},
        {"192.0.2.0/1000", STRICT, "error: bad prefix length"},
        {"192.0.2.0/-1", STRICT, "error: bad prefix length"},
        {"192.0.2.0/2a", STRICT, "error: bad prefix length"},
        {"192.0.2.0/ 24", STRICT, "error: bad prefix length"},
        {"192.0.2.0/24/24", STRICT, "error: bad prefix length"},
        {"/24", STRICT, "error: not an IP address"},
        /* IPv6, printed in RFC 5952 form: lower case, no leading zeros. */
        {"2001:DB8::1", 0, "2001:db8::1"},
        {"2001:0db8:0000:0000:0000:0000:0000:0001", 0, "2001:db8::1"},
        {"1:2:3:4:5:6:7:8", 0, "1:2:3:4:5:6:7:8"},
        {"::", 0, "::"},
        {"::1", 0, "::1"},
        {"1::", 0, "1::"},
        {"0:0:0:0:0:0:0:1", 0, "::1"},
        {"1:0:0:0:0:0:0:0", 0, "1::"},
        {"0:0:0:0:0:0:0:0", 0, "::"},
        /* The longest run of zero groups becomes "::". */
        {"2001:0:0:1:0:0:0:1", 0, "2001:0:0:1::1"},
        {"1:0:0:0:2:0:0:3", 0, "1::2:0:0:3"},
        /* Of equal runs, the first. */
        {"2001:db8:0:0:1:0:0:1", 0, "2001:db8::1:0:0:1"},
        {"1:0:0:2:3:0:0:4", 0, "1::2:3:0:0:4"},
        /* A single zero group is never "::". */
        {"2001:db8:0:1:1:1:1:1", 0, "2001:db8:0:1:1:1:1:1"},
        {"2001:db8::1:1:1:1:1", 0, "2001:db8:0:1:1:1:1:1"},
        {"1:0:2:0:3:0:4:0", 0, "1:0:2:0:3:0:4:0"},
        {"0:1:2:3:4:5:6:7", 0, "0:1:2:3:4:5:6:7"},
        {"1:2:3:4:5:6:7:0", 0, "1:2:3:4:5:6:7:0"},
        {"2001:db8::192.0.2.1", 0, "2001:db8::c000:201"},
        {"2001:db8::/32", STRICT, "2001:db8::/32"},
        {"fe80::/10", STRICT, "fe80::/10"},
        {"2001:db8:0:0:1::/80", STRICT, "2001:db8:0:0:1::/80"},
        {"2001:db8::1/32", STRICT, "error: host bits set (network is "
                                   "2001:db8::/32)"},
        {"2001:db8::1/32", CIDR, "2001:db8::/32"},
        {"ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/127", CIDR,
         "ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe/127"},
        /* Malformed IPv6; zone ids have no place in an inventory or feed. */
        {"fe80::1%eth0", 0, "error: not an IP address"},
        {"fe80::1%1", 0, "error: not an IP address"},
        {"fe80::%eth0/64", STRICT, "error: not an IP address"},
        {"2001:db8:::1", 0, "error: not an IP address"},
        {"2001::db8::1", 0, "error: not an IP address"},
        {"1:2:3:4:5:6:7:8:9", 0, "error: not an IP address"},
        {"12345::1", 0, "error: not an IP address"},
        {"2001:db8::g", 0, "error: not an IP address"},
        {"[2001:db8::1]", 0, "error: not an IP address"},
        {":", 0, "error: not an IP address"},
        {"1:2", 0, "error: not an IP address"},
        /* IPv4-mapped IPv6 is IPv4, addresses and prefixes /96+n alike. */
        {"::ffff:192.0.2.1", 0, "192.0.2.1"},
        {"::FFFF:C000:0201", 0, "192.0.2.1"},
        {"0:0:0:0:0:ffff:192.0.2.1", 0, "192.0.2.1"},
        {"::ffff:192.0.2.1/128", STRICT, "192.0.2.1"},
        {"::ffff:192.0.2.0/120", STRICT, "192.0.2.0/24"},
        {"::ffff:0:0/96", STRICT, "0.0.0.0/0"},
        {"::ffff:10.0.0.0/104", STRICT, "10.0.0.0/8"},
        {"::ffff:192.0.2.1/120", STRICT, "error: host bits set (network is "
                                         "192.0.2.0/24)"},
        {"::ffff:192.0.2.1/120", CIDR, "192.0.2.0/24"},
        /* A mapped prefix shorter than /96 spans more than the mapped space
         * and stays IPv6. */
        {"::ffff:0:0/95", STRICT, "error: host bits set (network is "
                                  "::fffe:0:0/95)"},
        {"::ffff:0:0/95", CIDR, "::fffe:0:0/95"},
        {"::fffe:0:0/95", STRICT, "::fffe:0:0/95"},
        {"::ffff:0:0/80", CIDR, "::/80"},
        /* Look-alikes of the mapped form stay IPv6. */
        {"::fffe:192.0.2.1", 0, "::fffe:c000:201"},
        {"64:ff9b::192.0.2.1", 0, "64:ff9b::c000:201"},
        {"::192.0.2.1", 0, "::c000:201"},
        {"1::ffff:192.0.2.1", 0, "1::ffff:c000:201"},
        {"::ffff:192.0.2.01", 0, "error: not an IP address"},
        {"::ffff:192.0.2.256", 0, "error: not an IP address"},
    };
    return cr_make_param_array(struct parse_case, cases,
                               sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct parse_case *c, ipaddr, parse_and_format) {
    cr_assert_str_eq(text_of(c->in, c->flags), c->want, "input \"%s\"",
                     c->in);
}

/* ---- the parsed key ---------------------------------------------------- */

struct key_case {
    char in[64];
    int family;
    int len;
    unsigned char addr[16];
};

ParameterizedTestParameters(ipaddr, key) {
    static struct key_case cases[] = {
        {"192.0.2.1", V4, 32, {192, 0, 2, 1}},
        {"192.0.2.0/24", V4, 24, {192, 0, 2, 0}},
        {"0.0.0.0/0", V4, 0, {0}},
        {"::ffff:192.0.2.1", V4, 32, {192, 0, 2, 1}},
        {"::ffff:198.51.100.0/120", V4, 24, {198, 51, 100, 0}},
        {"::ffff:0:0/96", V4, 0, {0}},
        {"::fffe:0:0/95", V6, 95,
         {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xfe, 0, 0, 0, 0}},
        {"2001:db8::1", V6, 128,
         {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}},
        {"2001:db8::/32", V6, 32, {0x20, 0x01, 0x0d, 0xb8}},
        {"::/0", V6, 0, {0}},
        {"::1", V6, 128, {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}},
    };
    return cr_make_param_array(struct key_case, cases,
                               sizeof(cases) / sizeof(cases[0]));
}

/* The 16-byte key: network order, zero past the family's width. */
ParameterizedTest(struct key_case *c, ipaddr, key) {
    am_prefix_t p = must_parse(c->in);

    cr_assert_eq(p.family, c->family, "%s: family %d", c->in, p.family);
    cr_assert_eq(p.len, c->len, "%s: len %d", c->in, p.len);
    cr_assert_arr_eq(p.addr, c->addr, 16, "%s: key bytes differ", c->in);
}

/* Names are ruled out before parsing; text with a digit first or a colon
 * goes on to the parser. */
Test(ipaddr, may_be_rules_out_names) {
    static const char *const names[] = {"example.com", "xn--bcher-kva.example",
                                        "a1.example", "", "[", "localhost"};
    static const char *const maybe[] = {"1password.com", "192.0.2.1", "::1",
                                        "[2001:db8::1]", "fe80::1%eth0"};

    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        cr_assert_not(am_ipaddr_may_be(names[i], strlen(names[i])), "%s",
                      names[i]);
    for (size_t i = 0; i < sizeof(maybe) / sizeof(maybe[0]); i++)
        cr_assert(am_ipaddr_may_be(maybe[i], strlen(maybe[i])), "%s",
                  maybe[i]);
}

Test(ipaddr, bare_address_is_a_host_prefix) {
    am_prefix_t v4 = must_parse("192.0.2.1");
    am_prefix_t v6 = must_parse("2001:db8::1");
    am_prefix_t net = must_parse("192.0.2.0/24");

    cr_assert_eq(am_ipaddr_width(&v4), 32);
    cr_assert_eq(am_ipaddr_width(&v6), 128);
    cr_assert(am_ipaddr_is_host(&v4));
    cr_assert(am_ipaddr_is_host(&v6));
    cr_assert_not(am_ipaddr_is_host(&net));
}

/* Only the n bytes given are read: what follows in memory is not part of
 * the address (a CSV field or JSON string is not NUL-terminated). */
Test(ipaddr, reads_only_the_given_length) {
    am_prefix_t p;
    char err[128], buf[AM_IPADDR_STRLEN];

    cr_assert_eq(am_ipaddr_parse("192.0.2.10", 9, 0, &p, err, sizeof(err)),
                 0);
    am_ipaddr_format(&p, buf, sizeof(buf));
    cr_assert_str_eq(buf, "192.0.2.1");

    cr_assert_eq(am_ipaddr_parse("2001:db8::1234", 11, 0, &p, err,
                                 sizeof(err)),
                 0);
    am_ipaddr_format(&p, buf, sizeof(buf));
    cr_assert_str_eq(buf, "2001:db8::1");

    cr_assert_eq(am_ipaddr_parse("10.0.0.0/80", 10, STRICT, &p, err,
                                 sizeof(err)),
                 0);
    am_ipaddr_format(&p, buf, sizeof(buf));
    cr_assert_str_eq(buf, "10.0.0.0/8");
}

/*
 * Regression: a NUL byte inside the given length used to end the text
 * that inet_pton() saw, so "::1\0junk" parsed as ::1.  A CSV inventory
 * cell can hold such bytes.
 */
Test(ipaddr, nul_byte_inside_the_text_rejected) {
    am_prefix_t p;
    char err[128];

    cr_assert_eq(parse_n("192.0.2.1\0x", 11, CIDR, &p, err, sizeof(err)),
                 -1);
    cr_assert_str_eq(err, "not an IP address");
    cr_assert_eq(parse_n("::1\0junk", 8, CIDR, &p, err, sizeof(err)), -1,
                 "\"::1\\0junk\" accepted");
    cr_assert_str_eq(err, "not an IP address");
    cr_assert_eq(parse_n("2001:db8::\0x/32", 15, STRICT, &p, err,
                         sizeof(err)),
                 -1, "\"2001:db8::\\0x/32\" accepted");
    cr_assert_str_eq(err, "not an IP address");
}

/* A long text is rejected, not copied past the parser's buffer. */
Test(ipaddr, overlong_text_rejected) {
    char in[200];

    memset(in, '1', sizeof(in) - 1);
    in[sizeof(in) - 1] = '\0';
    memcpy(in, "2001:db8::", 10);
    cr_assert_str_eq(text_of(in, STRICT), "error: not an IP address");
}

Test(ipaddr, error_text_is_bounded_by_err_size) {
    am_prefix_t p;
    char err[8];

    memset(err, 'x', sizeof(err));
    cr_assert_eq(am_ipaddr_parse("192.0.2.1/24", 12, STRICT, &p, err,
                                 sizeof(err)),
                 -1);
    cr_assert_str_eq(err, "host bi");
}

/* The longest possible text fits AM_IPADDR_STRLEN. */
Test(ipaddr, longest_text_fits) {
    am_prefix_t p;
    char err[64], buf[AM_IPADDR_STRLEN];
    const char *in = "1111:2222:3333:4444:5555:6666:7777:8888/128";

    cr_assert_eq(parse_n(in, strlen(in), STRICT, &p, err, sizeof(err)), 0);
    p.len = 127;
    cr_assert_eq(am_ipaddr_format(&p, buf, sizeof(buf)), 43);
    cr_assert_str_eq(buf, "1111:2222:3333:4444:5555:6666:7777:8888/127");
}

/* ---- contains and overlaps --------------------------------------------- */

struct rel_case {
    char a[48];
    char b[48];
    bool a_contains_b;
    bool overlap;
};

ParameterizedTestParameters(ipaddr, contains_and_overlaps) {
    static struct rel_case cases[] = {
        {"10.0.0.0/8", "10.1.2.3", true, true},
        {"10.1.2.3", "10.0.0.0/8", false, true},
        {"10.0.0.0/8", "10.0.0.0/8", true, true},
        {"192.0.2.1", "192.0.2.1", true, true},
        {"192.0.2.1", "192.0.2.2", false, false},
        {"10.0.0.0/8", "11.0.0.0/8", false, false},
        {"0.0.0.0/0", "203.0.113.7", true, true},
        {"0.0.0.0/0", "0.0.0.0/0", true, true},
        {"192.0.2.0/24", "192.0.2.128/25", true, true},
        {"192.0.2.0/25", "192.0.2.128/25", false, false},
        {"192.0.2.0/23", "192.0.3.0/24", true, true},
        {"192.0.2.0/24", "192.0.3.0/24", false, false},
        /* Boundaries inside a byte. */
        {"10.0.0.0/15", "10.1.0.0/16", true, true},
        {"10.2.0.0/15", "10.1.0.0/16", false, false},
        {"10.0.0.0/9", "10.128.0.0/9", false, false},
        {"10.0.0.0/7", "11.255.0.0/16", true, true},
        {"192.0.2.4/30", "192.0.2.7", true, true},
        {"192.0.2.4/30", "192.0.2.8", false, false},
        /* IPv6. */
        {"2001:db8::/32", "2001:db8:1::1", true, true},
        {"2001:db8:1::1", "2001:db8::/32", false, true},
        {"2001:db8::/32", "2001:db9::/32", false, false},
        {"2001:db8::/127", "2001:db8::1", true, true},
        {"2001:db8::2/127", "2001:db8::1", false, false},
        {"::/0", "2001:db8::1", true, true},
        /* Families never meet, not even the zero-length prefixes. */
        {"::/0", "192.0.2.1", false, false},
        {"0.0.0.0/0", "::1", false, false},
        {"0.0.0.0/0", "::/0", false, false},
        /* A mapped range is an IPv4 range. */
        {"::ffff:0:0/96", "192.0.2.1", true, true},
        {"::ffff:192.0.2.0/120", "192.0.2.77", true, true},
        {"::fffe:0:0/95", "192.0.2.1", false, false},
    };
    return cr_make_param_array(struct rel_case, cases,
                               sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct rel_case *c, ipaddr, contains_and_overlaps) {
    am_prefix_t a = must_parse(c->a), b = must_parse(c->b);

    cr_assert_eq(am_ipaddr_contains(&a, &b), c->a_contains_b,
                 "contains(%s, %s)", c->a, c->b);
    cr_assert_eq(am_ipaddr_overlaps(&a, &b), c->overlap, "overlaps(%s, %s)",
                 c->a, c->b);
    cr_assert_eq(am_ipaddr_overlaps(&b, &a), c->overlap,
                 "overlaps(%s, %s) is not symmetric", c->b, c->a);
}

/* ---- mask -------------------------------------------------------------- */

struct mask_case {
    char addr[48];
    int len;
    char want[64];
};

ParameterizedTestParameters(ipaddr, mask) {
    static struct mask_case cases[] = {
        {"10.255.255.255", 32, "10.255.255.255"},
        {"10.255.255.255", 31, "10.255.255.254/31"},
        {"10.255.255.255", 20, "10.255.240.0/20"},
        {"10.255.255.255", 8, "10.0.0.0/8"},
        {"10.255.255.255", 1, "0.0.0.0/1"},
        {"255.255.255.255", 1, "128.0.0.0/1"},
        {"10.255.255.255", 0, "0.0.0.0/0"},
        {"192.0.2.255", 25, "192.0.2.128/25"},
        {"ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 128,
         "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"},
        {"ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 65,
         "ffff:ffff:ffff:ffff:8000::/65"},
        {"2001:db8:ffff:ffff:ffff:ffff:ffff:ffff", 33, "2001:db8:8000::/33"},
        {"ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 1, "8000::/1"},
        {"ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 0, "::/0"},
    };
    return cr_make_param_array(struct mask_case, cases,
                               sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct mask_case *c, ipaddr, mask) {
    am_prefix_t p = must_parse(c->addr);
    char buf[AM_IPADDR_STRLEN];

    p.len = (uint8_t)c->len;
    am_ipaddr_mask(&p);
    am_ipaddr_format(&p, buf, sizeof(buf));
    cr_assert_str_eq(buf, c->want, "%s/%d", c->addr, c->len);
}

/* Masking an already clean prefix changes nothing. */
Test(ipaddr, mask_is_idempotent) {
    am_prefix_t p = must_parse("2001:db8:8000::/33");
    am_prefix_t q = p;

    am_ipaddr_mask(&q);
    cr_assert_arr_eq(p.addr, q.addr, 16);
    cr_assert_eq(p.len, q.len);
    cr_assert_eq(p.family, q.family);
}
