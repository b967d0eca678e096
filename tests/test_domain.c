/*
 * am_domain_normalize(): the canonical form that the inventory and every
 * observed name are compared in.  Tables of (input, expected) cases; the
 * inputs that cannot be written as string literals (very long names, a NUL
 * byte) have their own tests.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <string.h>

#include "domain.h"

/* Criterion copies parameters into another process: arrays, not pointers. */
struct norm_case {
    char in[64];
    char out[64];
};

struct error_case {
    char in[64];
    char err[64]; /* a part of the expected message */
};

ParameterizedTestParameters(domain, canonical) {
    static struct norm_case cases[] = {
        {"example.com", "example.com"},
        {"Example.COM", "example.com"},
        {"example.com.", "example.com"},
        {"com", "com"},
        {"_dmarc.Example.com", "_dmarc.example.com"},
        /* Tolerated: real feeds carry such labels. */
        {"-foo-.example", "-foo-.example"},
        {"a--b.example", "a--b.example"},
        {"Bücher.Example", "xn--bcher-kva.example"},
        {"BÜCHER.de", "xn--bcher-kva.de"},
        {"bücher.de.", "xn--bcher-kva.de"},
        /* Already punycode, alone or mixed with Unicode labels. */
        {"XN--BCHER-KVA.example", "xn--bcher-kva.example"},
        {"xn--bcher-kva.bücher.de", "xn--bcher-kva.xn--bcher-kva.de"},
        /* The ASCII labels of an IDN keep the ASCII rules. */
        {"-a_b.bücher.de", "-a_b.xn--bcher-kva.de"},
        /* UTS #46 maps the ideographic full stop to a dot. */
        {"a\xe3\x80\x82" "bücher", "a.xn--bcher-kva"},
        /* Non-transitional: "ß" is kept, not turned into "ss". */
        {"straße.de", "xn--strae-oqa.de"},
        /* Disallowed by IDNA 2008, accepted by the transitional fallback. */
        {"\xe2\x98\x83.com", "xn--n3h.com"},
    };
    return cr_make_param_array(struct norm_case, cases,
                               sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct norm_case *c, domain, canonical) {
    char out[AM_DOMAIN_MAX + 1];
    char err[128] = "";
    int n = am_domain_normalize(c->in, strlen(c->in), out, err, sizeof(err));

    cr_assert_eq(n, (int)strlen(c->out), "%s: %d (%s)", c->in, n, err);
    cr_assert_str_eq(out, c->out);
}

ParameterizedTestParameters(domain, rejected) {
    static struct error_case cases[] = {
        {"", "empty name"},
        {".", "empty name"},
        {"a..b", "empty label"},
        {".example.com", "empty label"},
        {"example.com..", "empty label"},
        {"exa mple.com", "bad character ' '"},
        {"a/b.example", "bad character '/'"},
        {"a@b.example", "bad character '@'"},
        {"tab\t.example", "bad character '\\x09'"},
        {"a/b.bücher.de", "bad character '/'"},
        {"a..bücher.de", "empty label"},
        {"\xff\xfe.example", "invalid internationalised name"},
        {"bü--cher.de", "invalid internationalised name"},
        {"-bücher.de", "invalid internationalised name"},
    };
    return cr_make_param_array(struct error_case, cases,
                               sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct error_case *c, domain, rejected) {
    char out[AM_DOMAIN_MAX + 1];
    char err[128] = "";
    int n = am_domain_normalize(c->in, strlen(c->in), out, err, sizeof(err));

    cr_assert_eq(n, -1, "%s: accepted as %s", c->in, out);
    cr_assert_not_null(strstr(err, c->err), "%s: got \"%s\", want \"%s\"",
                       c->in, err, c->err);
}

/* Writes labels of the given lengths, joined by dots; returns the length. */
static size_t make_name(char *buf, const size_t *labels, size_t n,
                        char fill) {
    size_t o = 0;

    for (size_t i = 0; i < n; i++) {
        memset(buf + o, fill, labels[i]);
        o += labels[i];
        buf[o++] = '.';
    }
    buf[--o] = '\0';
    return o;
}

Test(domain, label_of_63_bytes_is_accepted) {
    static const size_t labels[] = {63, 3};
    char in[128], out[AM_DOMAIN_MAX + 1], err[128] = "";
    size_t len = make_name(in, labels, 2, 'A');

    cr_assert_eq(am_domain_normalize(in, len, out, err, sizeof(err)), 67);
    cr_assert_eq(out[0], 'a');
}

Test(domain, label_of_64_bytes_is_rejected) {
    static const size_t labels[] = {64, 3};
    char in[128], out[AM_DOMAIN_MAX + 1], err[128] = "";
    size_t len = make_name(in, labels, 2, 'a');

    cr_assert_eq(am_domain_normalize(in, len, out, err, sizeof(err)), -1);
    cr_assert_str_eq(err, "label longer than 63 bytes");
}

Test(domain, name_of_253_bytes_is_accepted_with_its_dot) {
    static const size_t labels[] = {63, 63, 63, 61};
    char in[300], out[AM_DOMAIN_MAX + 1], err[128] = "";
    size_t len = make_name(in, labels, 4, 'b');

    in[len] = '.';
    cr_assert_eq(am_domain_normalize(in, len + 1, out, err, sizeof(err)),
                 253, "%s", err);
    cr_assert_eq(strlen(out), 253);
}

Test(domain, name_of_254_bytes_is_rejected) {
    static const size_t labels[] = {63, 63, 63, 62};
    char in[300], out[AM_DOMAIN_MAX + 1], err[128] = "";
    size_t len = make_name(in, labels, 4, 'b');

    cr_assert_eq(len, 254);
    cr_assert_eq(am_domain_normalize(in, len, out, err, sizeof(err)), -1);
    cr_assert_str_eq(err, "name longer than 253 bytes");
}

Test(domain, very_long_input_is_rejected_without_overflow) {
    static char in[100000];
    char out[AM_DOMAIN_MAX + 1], err[128] = "";

    memset(in, 'a', sizeof(in));
    cr_assert_eq(am_domain_normalize(in, sizeof(in), out, err, sizeof(err)),
                 -1);
    cr_assert_str_eq(err, "name longer than 253 bytes");
}

Test(domain, long_internationalised_name_is_rejected) {
    /* 30 labels of "bücher" (7 bytes of UTF-8 each, 13 of punycode). */
    static const char label[] = "bücher.";
    char in[30 * 8 + 1] = "", out[AM_DOMAIN_MAX + 1], err[128] = "";

    for (int i = 0; i < 30; i++)
        strcat(in, label);
    cr_assert_eq(am_domain_normalize(in, strlen(in), out, err, sizeof(err)),
                 -1);
    cr_assert_str_eq(err, "name longer than 253 bytes");
}

Test(domain, long_internationalised_label_is_rejected) {
    /* Punycode of 70 x "ü" would be longer than 63 bytes. */
    char in[160] = "", out[AM_DOMAIN_MAX + 1], err[128] = "";

    for (int i = 0; i < 70; i++)
        strcat(in, "ü");
    strcat(in, ".de");
    cr_assert_eq(am_domain_normalize(in, strlen(in), out, err, sizeof(err)),
                 -1);
    cr_assert_str_eq(err, "label longer than 63 bytes");
}

Test(domain, nul_byte_is_a_bad_character) {
    char out[AM_DOMAIN_MAX + 1], err[128] = "";

    cr_assert_eq(am_domain_normalize("a\0b.com", 7, out, err, sizeof(err)),
                 -1);
    cr_assert_str_eq(err, "bad character '\\x00'");
    cr_assert_eq(am_domain_normalize("a\0b.bücher", 11, out, err,
                                     sizeof(err)), -1);
    cr_assert_str_eq(err, "bad character '\\x00'");
}

Test(domain, only_the_given_bytes_are_read) {
    char out[AM_DOMAIN_MAX + 1], err[128] = "";

    cr_assert_eq(am_domain_normalize("Example.com/path", 11, out, err,
                                     sizeof(err)), 11);
    cr_assert_str_eq(out, "example.com");
}

Test(domain, canonical_form_is_a_fixed_point) {
    static const char in[] = "WWW.Bücher.Example.";
    char once[AM_DOMAIN_MAX + 1], twice[AM_DOMAIN_MAX + 1], err[128] = "";
    int n1 = am_domain_normalize(in, strlen(in), once, err, sizeof(err));
    int n2 = am_domain_normalize(once, (size_t)n1, twice, err, sizeof(err));

    cr_assert_eq(n1, n2);
    cr_assert_str_eq(once, "www.xn--bcher-kva.example");
    cr_assert_str_eq(twice, once);
}
