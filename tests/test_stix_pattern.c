/*
 * Tests for stix_pattern: the STIX 2.1 patterning grammar (every example
 * pattern of the specification, the harder forms, errors with their
 * columns, the bounds) and what a pattern yields for the matcher; and the
 * timestamp parser and formatter.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stix_pattern.h"

TestSuite(stix_pattern);
TestSuite(stix_time);

/* ---- helpers ----------------------------------------------------------- */

/* What the callback saw, rendered "type:value | type:value". */
typedef struct seen_s {
    char text[1024];
    int calls;
    int stop_after; /* return non-zero on this call (1-based); 0: never */
    size_t columns[16];
} seen_t;

static int collect(const am_stix_obs_t *o, void *opaque) {
    seen_t *s = opaque;
    size_t n = strlen(s->text);

    if (s->calls < 16)
        s->columns[s->calls] = o->column;
    cr_assert_eq(strlen(o->value), o->len, "value NUL-terminated");
    snprintf(s->text + n, sizeof(s->text) - n, "%s%s:%s", n ? " | " : "",
             am_obs_type_name(o->type), o->value);
    return ++s->calls == s->stop_after;
}

/* Parses \p p; returns the rendering, asserting it parsed. */
static const char *extract(const char *p, seen_t *s) {
    char err[256] = "";
    int rc;

    memset(s, 0, sizeof(*s));
    rc = am_stix_pattern_parse(p, strlen(p), collect, s, err, sizeof(err));
    cr_assert_geq(rc, 0, "%s: %s", p, err);
    cr_assert_eq(rc, s->calls, "%s: return value is the number of calls", p);
    return s->text;
}

/* ---- the specification's examples -------------------------------------- */

struct spec_case {
    char pattern[400];
    char extracted[200];
};

/* Every example pattern of STIX 2.1 (as collected by the OASIS pattern
 * validator's spec_examples.txt), and what each yields: only the
 * domain-name and url values; network-traffic:dst_ref.value and
 * resolves_to_refs are context. */
ParameterizedTestParameters(stix_pattern, spec_examples) {
    static struct spec_case cases[] = {
        {"[file:hashes.'SHA-256' = 'aec070645fe53ee3b3763059376134f058cc33"
         "7247c978add178b6ccdfb0019f']",
         ""},
        {"[email-message:from_ref.value MATCHES '.+\\\\@example\\\\.com$' "
         "AND email-message:body_multipart[*].body_raw_ref.name MATCHES '^"
         "Final Report.+\\\\.exe$']",
         ""},
        {"[file:hashes.'SHA-256' = 'aec070645fe53ee3b3763059376134f058cc33"
         "7247c978add178b6ccdfb0019f' AND file:mime_type = 'application/x-"
         "pdf']",
         ""},
        {"[file:hashes.'SHA-256' = 'bf07a7fbb825fc0aae7bf4a1177b2b31fcf8a3"
         "feeaf7092761e18c859ee52a9c' OR file:hashes.MD5 = 'cead3f77f6cda6"
         "ec00f57d76c9a6879f'] AND [file:hashes.'SHA-256' = 'aec070645fe53"
         "ee3b3763059376134f058cc337247c978add178b6ccdfb0019f']",
         ""},
        {"([file:hashes.MD5 = '79054025255fb1a26e4bc422aef54eb4'] FOLLOWED"
         "BY [win-registry-key:key = 'HKEY_LOCAL_MACHINE\\\\foo\\\\bar']) "
         "WITHIN 300 SECONDS",
         ""},
        {"[user-account:account_type = 'unix' AND user-account:user_id = '"
         "1007' AND user-account:account_login = 'Peter'] AND [user-accoun"
         "t:account_type = 'unix' AND user-account:user_id = '1008' AND us"
         "er-account:account_login = 'Paul'] AND [user-account:account_typ"
         "e = 'unix' AND user-account:user_id = '1009' AND user-account:ac"
         "count_login = 'Mary']",
         ""},
        {"[artifact:mime_type = 'application/vnd.tcpdump.pcap' AND artifac"
         "t:payload_bin MATCHES '\\\\xd4\\\\xc3\\\\xb2\\\\xa1\\\\x02\\\\x0"
         "0\\\\x04\\\\x00']",
         ""},
        {"[file:name = 'foo.dll' AND file:parent_directory_ref.path = 'C:"
         "\\\\Windows\\\\System32']",
         ""},
        {"[file:extensions.'windows-pebinary-ext'.sections[*].entropy > 7."
         "0]",
         ""},
        {"[file:mime_type = 'image/bmp' AND file:magic_number_hex = h'ffd8"
         "']",
         ""},
        {"[network-traffic:dst_ref.type = 'ipv4-addr' AND network-traffic:"
         "dst_ref.value = '203.0.113.33/32']",
         ""},
        {"[network-traffic:dst_ref.type = 'domain-name' AND network-traffi"
         "c:dst_ref.value = 'example.com'] REPEATS 5 TIMES WITHIN 1800 SEC"
         "ONDS",
         ""},
        {"[domain-name:value = 'www.5z8.info' AND domain-name:resolves_to_"
         "refs[*].value = '198.51.100.1/32']",
         "domain:www.5z8.info"},
        {"[url:value = 'http://example.com/foo' OR url:value = 'http://exa"
         "mple.com/bar']",
         "url:http://example.com/foo | url:http://example.com/bar"},
        {"[x509-certificate:issuer = 'CN=WEBMAIL' AND x509-certificate:ser"
         "ial_number = '4c:0b:1d:19:74:86:a7:66:b4:1a:bf:40:27:21:76:28']",
         ""},
        {"[windows-registry-key:key = 'HKEY_CURRENT_USER\\\\Software\\\\Cr"
         "yptoLocker\\\\Files' OR windows-registry-key:key = 'HKEY_CURRENT"
         "_USER\\\\Software\\\\Microsoft\\\\CurrentVersion\\\\Run\\\\Crypt"
         "oLocker_0388']",
         ""},
        {"[(file:name = 'pdf.exe' OR file:size = '371712') AND file:create"
         "d = t'2014-01-13T07:03:17Z']",
         ""},
        {"[email-message:sender_ref.value = 'jdoe@example.com' AND email-m"
         "essage:subject = 'Conference Info']",
         ""},
        {"[x-usb-device:usbdrive.serial_number = '575833314133343231313937"
         "']",
         ""},
        {"[process:command_line MATCHES '^.+>-add GlobalSign.cer -c -s -r "
         "localMachine Root$'] FOLLOWEDBY [process:command_line MATCHES'^."
         "+>-add GlobalSign.cer -c -s -r localMachineTrustedPublisher$'] W"
         "ITHIN 300 SECONDS",
         ""},
        {"[network-traffic:dst_ref.value ISSUBSET '2001:0db8:dead:beef:000"
         "0:0000:0000:0000/64']",
         ""},
        {"([file:name = 'foo.dll'] AND [win-registry-key:key = 'HKEY_LOCAL"
         "_MACHINE\\\\foo\\\\bar']) OR [process:name = 'fooproc' OR proces"
         "s:name = 'procfoo']",
         ""},
        {"[file:hashes.MD5 = 'cead3f77f6cda6ec00f57d76c9a69faa']",
         ""},
    };
    return cr_make_param_array(struct spec_case, cases,
                               sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct spec_case *c, stix_pattern, spec_examples) {
    seen_t s;

    cr_expect_str_eq(extract(c->pattern, &s), c->extracted, "%s",
                     c->pattern);
}

/* ---- what a pattern yields --------------------------------------------- */

struct extract_case {
    char pattern[300];
    char extracted[300];
};

ParameterizedTestParameters(stix_pattern, extracts) {
    static struct extract_case cases[] = {
        /* Addresses: '/' makes a range. */
        {"[ipv4-addr:value = '198.51.100.1']", "ip:198.51.100.1"},
        {"[ipv4-addr:value == '198.51.100.1/32']", "cidr:198.51.100.1/32"},
        {"[ipv6-addr:value = '2001:db8::1']", "ip:2001:db8::1"},
        {"[ipv4-addr:value = '198.51.100.1/32' OR ipv4-addr:value = "
         "'203.0.113.33/32' OR ipv6-addr:value = "
         "'2001:0db8:dead:beef:dead:beef:dead:0001/128']",
         "cidr:198.51.100.1/32 | cidr:203.0.113.33/32 | "
         "cidr:2001:0db8:dead:beef:dead:beef:dead:0001/128"},
        {"[ipv4-addr:value ISSUBSET '198.51.100.0/24']",
         "cidr:198.51.100.0/24"},
        {"[ipv6-addr:value ISSUBSET '2001:db8::/32']", "cidr:2001:db8::/32"},
        /* ISSUBSET names a range only for addresses. */
        {"[domain-name:value ISSUBSET 'example.com']", ""},
        /* ISSUPERSET, !=, <>, LIKE, MATCHES name no one value. */
        {"[ipv4-addr:value ISSUPERSET '198.51.100.0/27']", ""},
        {"[ipv4-addr:value != '198.51.100.1']", ""},
        {"[ipv4-addr:value <> '198.51.100.1']", ""},
        {"[domain-name:value LIKE '%.example.com']", ""},
        {"[domain-name:value MATCHES '^evil[0-9]+\\\\.example$']", ""},
        /* NOT before any operator: what it is not. */
        {"[ipv4-addr:value NOT = '198.51.100.1']", ""},
        {"[ipv4-addr:value NOT ISSUBSET '198.51.100.0/24']", ""},
        {"[domain-name:value NOT IN ('a.example', 'b.example')]", ""},
        /* Names, URLs, e-mail addresses. */
        {"[domain-name:value = 'www.example.com']", "domain:www.example.com"},
        {"[url:value = 'http://example.com/foo']",
         "url:http://example.com/foo"},
        {"[email-addr:value = 'jdoe@example.com']",
         "email:jdoe@example.com"},
        /* IN: each string of the set; other constants are not values. */
        {"[url:value IN ('http://a.example/1', 'http://b.example/2')]",
         "url:http://a.example/1 | url:http://b.example/2"},
        {"[domain-name:value IN ('a.example', 5, true, 'b.example')]",
         "domain:a.example | domain:b.example"},
        {"[domain-name:value IN ()]", ""},
        {"[ipv4-addr:value = 5]", ""},
        /* Quoted property name, spaces and comments anywhere. */
        {"[ipv4-addr:'value' = '192.0.2.1']", "ip:192.0.2.1"},
        {"  [ ipv4-addr : value=   '192.0.2.1' ]  ", "ip:192.0.2.1"},
        {"/* head */ [ipv4-addr:value /* mid */ = '192.0.2.1'] // tail",
         "ip:192.0.2.1"},
        {"[ipv4-addr:value = '192.0.2.1'] // a comment\n"
         "OR [ipv4-addr:value = '192.0.2.2']",
         "ip:192.0.2.1 | ip:192.0.2.2"},
        {"\t[ipv4-addr:value = '192.0.2.1']\r\n\vOR\f"
         "[ipv4-addr:value = '192.0.2.2']",
         "ip:192.0.2.1 | ip:192.0.2.2"},
        /* Unicode spaces of the grammar: U+00A0, U+2003, U+3000. */
        {"[ipv4-addr:value = '192.0.2.1']\xc2\xa0OR\xe2\x80\x83"
         "[ipv4-addr:value\xe3\x80\x80= '192.0.2.2']",
         "ip:192.0.2.1 | ip:192.0.2.2"},
        /* Escapes: \' and \\ in the value. */
        {"[url:value = 'http://example.com/it\\'s']",
         "url:http://example.com/it's"},
        {"[url:value = 'http://example.com/a\\\\b']",
         "url:http://example.com/a\\b"},
        /* Deeper paths are not the object's own value. */
        {"[network-traffic:dst_ref.value = '198.51.100.1']", ""},
        {"[network-traffic:dst_ref.value ISSUBSET '198.51.100.0/24']", ""},
        {"[domain-name:value = 'x.example' AND "
         "domain-name:resolves_to_refs[*].value = '198.51.100.1']",
         "domain:x.example"},
        {"[ipv4-addr:value[0] = '192.0.2.1' OR ipv4-addr:value.x = "
         "'192.0.2.2']",
         ""},
        {"[x-ipv4-addr:value = '192.0.2.1' OR ipv4-addr:values = "
         "'192.0.2.2' OR IPV4-ADDR:value = '192.0.2.3']",
         ""},
        /* Nesting, precedence, observation operators, qualifiers. */
        {"[(ipv4-addr:value = '192.0.2.1' OR (ipv4-addr:value = "
         "'192.0.2.2')) AND ipv4-addr:value = '192.0.2.3']",
         "ip:192.0.2.1 | ip:192.0.2.2 | ip:192.0.2.3"},
        {"([ipv4-addr:value = '192.0.2.1'] AND [ipv4-addr:value = "
         "'192.0.2.2']) OR [file:hashes.MD5 = "
         "'026871ea3d6cbbeb90fea6bf2906cc12']",
         "ip:192.0.2.1 | ip:192.0.2.2"},
        {"[domain-name:value = 'a.example'] FOLLOWEDBY "
         "[url:value = 'http://b.example/'] WITHIN 300 SECONDS",
         "domain:a.example | url:http://b.example/"},
        {"(([domain-name:value = 'a.example'] REPEATS 5 TIMES) "
         "FOLLOWEDBY ([domain-name:value = 'b.example'] WITHIN 2.5 SECONDS"
         " START t'2016-06-01T00:00:00Z' STOP t'2016-07-01T00:00:00.123Z'))",
         "domain:a.example | domain:b.example"},
        /* The same value twice is reported twice (the event drops
         * duplicates). */
        {"[ipv4-addr:value = '192.0.2.1'] AND [ipv4-addr:value = "
         "'192.0.2.1']",
         "ip:192.0.2.1 | ip:192.0.2.1"},
        /* Every literal and operator the grammar has, around one value. */
        {"[a:b = 1 AND a:c = -2 AND a:d > 7.0 AND a:e <= -.5 AND a:f >= +3"
         " AND a:g < t'2020-02-29T23:59:60Z' AND a:h = b'AAECAw==' AND "
         "a:i = h'00ff' AND a:j = true AND a:k != false AND a:l[-1] = 'x'"
         " AND EXISTS a:m AND NOT EXISTS a:n AND "
         "ipv4-addr:value = '192.0.2.9']",
         "ip:192.0.2.9"},
    };
    return cr_make_param_array(struct extract_case, cases,
                               sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct extract_case *c, stix_pattern, extracts) {
    seen_t s;

    cr_expect_str_eq(extract(c->pattern, &s), c->extracted, "%s",
                     c->pattern);
}

/* The column of each value's string literal, for error messages. */
Test(stix_pattern, value_columns) {
    seen_t s;

    extract("[url:value IN ('http://a.example/', 'http://b.example/')]", &s);
    cr_assert_eq(s.calls, 2);
    cr_expect_eq(s.columns[0], 16);
    cr_expect_eq(s.columns[1], 37);
}

/* ---- errors ------------------------------------------------------------ */

struct error_case {
    char pattern[200];
    char err[120];
};

ParameterizedTestParameters(stix_pattern, errors) {
    static struct error_case cases[] = {
        {"", "column 1: expected '[' or '('"},
        {"   ", "column 4: expected '[' or '('"},
        {"ipv4-addr:value = '192.0.2.1'", "column 1: expected '[' or '('"},
        {"[ipv4-addr:value = '192.0.2.1' foo]", "column 32: expected ']'"},
        {"[ipv4-addr:value = '192.0.2.1'", "column 31: expected ']'"},
        {"[ipv4-addr:value = '192.0.2.1']]",
         "column 32: expected AND, OR, FOLLOWEDBY, a qualifier or the end"},
        {"([ipv4-addr:value = '192.0.2.1']", "column 33: expected ')'"},
        {"[]", "column 2: expected an object path"},
        {"[[a:b = 'c']]", "column 2: expected an object path"},
        {"[ipv4-addr = '192.0.2.1']", "column 12: expected ':'"},
        {"[ipv4-addr:value '192.0.2.1']",
         "column 18: expected a comparison operator"},
        {"[ipv4-addr:value =]", "column 19: expected a literal"},
        {"[ipv4-addr:value = '192.0.2.1' OR]",
         "column 34: expected an object path"},
        {"[ipv4-addr:value = '192.0.2.1'] OR",
         "column 35: expected '[' or '('"},
        /* Keywords are upper case (2.1 grammar). */
        {"[a:b = 'x'] and [a:c = 'y']",
         "column 13: expected AND, OR, FOLLOWEDBY, a qualifier or the end"},
        {"[a:b = 'x' or a:c = 'y']", "column 12: expected ']'"},
        /* Strings and escapes. */
        {"[a:b = 'abc]", "column 8: unterminated string"},
        {"[a:b = 'abc\\']", "column 8: unterminated string"},
        {"[a:b = 'a\\nb']", "column 10: bad escape '\\n' in string (only \\' "
                            "and \\\\)"},
        {"[a:b = \"x\"]", "column 8: unexpected character '\"'"},
        /* Typed literals. */
        {"[a:b = t'2016-13-01T00:00:00Z']", "column 8: bad timestamp literal"},
        {"[a:b = t'2016-01-01 00:00:00Z']", "column 8: bad timestamp literal"},
        {"[a:b = t'2016-01-01T00:00:00']", "column 8: bad timestamp literal"},
        {"[a:b = b'AAA']", "column 8: bad binary literal"},
        {"[a:b = b'A=AA']", "column 8: bad binary literal"},
        {"[a:b = h'0']", "column 8: bad hex literal"},
        {"[a:b = h'zz']", "column 8: bad hex literal"},
        {"[a:b = 01]", "column 8: bad number"},
        {"[a:b < true]", "column 8: expected a literal that can be ordered"},
        {"[a:b LIKE 5]", "column 11: expected a string"},
        {"[a:b ISSUBSET t'2016-01-01T00:00:00Z']",
         "column 15: expected a string"},
        {"[a:b IN 'x']", "column 9: expected '('"},
        {"[a:b IN ('x' 'y')]", "column 14: expected ',' or ')'"},
        {"[a:b IN ('x',)]", "column 14: expected a literal"},
        /* Paths. */
        {"[a:value-x = 'x']", "column 4: property name with '-' must be "
                              "quoted"},
        {"[a:b. = 'x']", "column 7: expected a property name"},
        {"[a:b[x] = 'x']", "column 6: expected an index or '*'"},
        {"[a:b[*' = 'x']", "column 7: expected ']'"},
        {"[a:b NOT EXISTS]", "column 10: expected a comparison operator"},
        {"[NOT a:b = 'x']", "column 6: expected EXISTS"},
        /* Qualifiers. */
        {"[a:b = 'x'] WITHIN -5 SECONDS",
         "column 20: expected a positive integer"},
        {"[a:b = 'x'] WITHIN 5", "column 21: expected SECONDS"},
        {"[a:b = 'x'] REPEATS 2.5 TIMES",
         "column 21: expected a positive integer"},
        {"[a:b = 'x'] REPEATS 2", "column 22: expected TIMES"},
        {"[a:b = 'x'] START '2016-01-01T00:00:00Z' STOP "
         "t'2016-01-01T00:00:00Z'",
         "column 19: expected a timestamp t'...'"},
        {"[a:b = 'x'] START t'2016-01-01T00:00:00Z'",
         "column 42: expected STOP"},
        {"WITHIN 5 SECONDS [a:b = 'x']", "column 1: expected '[' or '('"},
        /* Lexical. */
        {"[a:b = 'x' /* open", "column 12: unterminated comment"},
        {"[a:b ! 'x']", "column 6: unexpected character '!'"},
        {"[a:b = 'x'] \xe2\x82\xac", "column 13: unexpected character 0xe2"},
        {"[a:b = 'x'] \x01", "column 13: unexpected character 0x01"},
    };
    return cr_make_param_array(struct error_case, cases,
                               sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct error_case *c, stix_pattern, errors) {
    char err[256] = "";
    seen_t s = {.calls = 0};

    cr_assert_eq(am_stix_pattern_parse(c->pattern, strlen(c->pattern),
                                       collect, &s, err, sizeof(err)),
                 -1, "%s", c->pattern);
    cr_expect_str_eq(err, c->err, "%s", c->pattern);
    cr_expect_eq(s.calls, 0, "no value from an invalid pattern");
}

/* A syntax error after valid values: nothing reaches the callback. */
Test(stix_pattern, invalid_pattern_yields_nothing) {
    static const char p[] = "[ipv4-addr:value = '192.0.2.1'] OR [";
    char err[256];
    seen_t s;

    memset(&s, 0, sizeof(s));
    cr_assert_eq(am_stix_pattern_parse(p, strlen(p), collect, &s, err,
                                       sizeof(err)),
                 -1);
    cr_expect_eq(s.calls, 0);
}

/* A pattern need not be NUL-terminated: only n bytes are read. */
Test(stix_pattern, length_not_nul) {
    static const char p[] = "[ipv4-addr:value = '192.0.2.1']garbage";
    char err[256];
    seen_t s;

    memset(&s, 0, sizeof(s));
    cr_assert_eq(am_stix_pattern_parse(p, 31, collect, &s, err, sizeof(err)),
                 1, "%s", err);
    cr_expect_str_eq(s.text, "ip:192.0.2.1");
}

Test(stix_pattern, syntax_only_without_callback) {
    static const char ok[] = "[ipv4-addr:value = '192.0.2.1']";
    static const char bad[] = "[ipv4-addr:value = ]";
    char err[256];

    cr_expect_eq(am_stix_pattern_parse(ok, strlen(ok), NULL, NULL, err,
                                       sizeof(err)),
                 0);
    cr_expect_eq(am_stix_pattern_parse(bad, strlen(bad), NULL, NULL, err,
                                       sizeof(err)),
                 -1);
    cr_expect_str_eq(err, "column 20: expected a literal");
}

Test(stix_pattern, callback_stops) {
    static const char p[] = "[ipv4-addr:value = '192.0.2.1' OR "
                            "ipv4-addr:value = '192.0.2.2' OR "
                            "ipv4-addr:value = '192.0.2.3']";
    char err[256];
    seen_t s;

    memset(&s, 0, sizeof(s));
    s.stop_after = 2;
    cr_assert_eq(am_stix_pattern_parse(p, strlen(p), collect, &s, err,
                                       sizeof(err)),
                 -2);
    cr_expect_eq(s.calls, 2);
    cr_expect_str_eq(err, "stopped");
}

/* ---- bounds ------------------------------------------------------------ */

/* Builds "(((...[ipv4-addr:value = '192.0.2.1']...)))" with \p parens
 * observation parentheses, or with \p inner comparison parentheses. */
static char *nested(int parens, int inner) {
    size_t cap = (size_t)(parens + inner) * 2 + 64;
    char *p = malloc(cap), *q = p;

    cr_assert_not_null(p);
    memset(q, '(', (size_t)parens);
    q += parens;
    *q++ = '[';
    memset(q, '(', (size_t)inner);
    q += inner;
    q += sprintf(q, "ipv4-addr:value = '192.0.2.1'");
    memset(q, ')', (size_t)inner);
    q += inner;
    *q++ = ']';
    memset(q, ')', (size_t)parens);
    q += parens;
    *q = '\0';
    return p;
}

struct depth_case {
    int parens;
    int inner;
};

ParameterizedTestParameters(stix_pattern, depth_ok) {
    static struct depth_case cases[] = {
        {63, 0}, /* 63 + the brackets: 64 levels */
        {0, 63},
        {31, 32},
    };
    return cr_make_param_array(struct depth_case, cases,
                               sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct depth_case *c, stix_pattern, depth_ok) {
    char *p = nested(c->parens, c->inner);
    char err[256] = "";
    seen_t s;

    memset(&s, 0, sizeof(s));
    cr_expect_eq(am_stix_pattern_parse(p, strlen(p), collect, &s, err,
                                       sizeof(err)),
                 1, "%d/%d: %s", c->parens, c->inner, err);
    free(p);
}

ParameterizedTestParameters(stix_pattern, depth_too_deep) {
    static struct depth_case cases[] = {
        {64, 0}, /* 65 levels */
        {0, 64},
        {40, 40},
        {30000, 0}, /* far too deep, still short enough to parse */
    };
    return cr_make_param_array(struct depth_case, cases,
                               sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct depth_case *c, stix_pattern, depth_too_deep) {
    char *p = nested(c->parens, c->inner);
    char err[256] = "";
    seen_t s;

    memset(&s, 0, sizeof(s));
    cr_expect_eq(am_stix_pattern_parse(p, strlen(p), collect, &s, err,
                                       sizeof(err)),
                 -1, "%d/%d", c->parens, c->inner);
    cr_expect_str_eq(err, "column 65: nested deeper than 64 levels");
    cr_expect_eq(s.calls, 0);
    free(p);
}

Test(stix_pattern, length_limit) {
    size_t n = AM_STIX_PATTERN_MAX + 1;
    char *p = malloc(n), err[256];

    cr_assert_not_null(p);
    memset(p, ' ', n);
    memcpy(p, "[a:b = 'x']", 11);
    cr_expect_eq(am_stix_pattern_parse(p, n, NULL, NULL, err, sizeof(err)),
                 -1);
    cr_expect_str_eq(err, "pattern of 65537 bytes exceeds the limit of "
                          "65536 bytes");
    /* At the limit it parses (the rest is whitespace). */
    cr_expect_eq(am_stix_pattern_parse(p, n - 1, NULL, NULL, err,
                                       sizeof(err)),
                 0, "%s", err);
    free(p);
}

/* A long pattern with many values: the scratch buffer is allocated. */
Test(stix_pattern, many_values) {
    char *p = malloc(AM_STIX_PATTERN_MAX), err[256];
    size_t len = 0;
    seen_t s;
    int i;

    cr_assert_not_null(p);
    len += (size_t)sprintf(p, "[domain-name:value IN (");
    for (i = 0; i < 1000; i++)
        len += (size_t)sprintf(p + len, "%s'host%d.example'", i ? ", " : "",
                               i);
    len += (size_t)sprintf(p + len, ")]");
    memset(&s, 0, sizeof(s));
    cr_expect_eq(am_stix_pattern_parse(p, len, collect, &s, err,
                                       sizeof(err)),
                 1000, "%s", err);
    cr_expect_eq(strncmp(s.text, "domain:host0.example | domain:host1."
                                 "example", 36),
                 0);
    free(p);
}

/* ---- timestamps -------------------------------------------------------- */

struct time_case {
    char in[48];
    char out[40];
    long long sec;
};

ParameterizedTestParameters(stix_time, parse_format) {
    static struct time_case cases[] = {
        {"1970-01-01T00:00:00Z", "1970-01-01T00:00:00.000Z", 0},
        {"2016-05-12T08:17:27.000Z", "2016-05-12T08:17:27.000Z", 1463041047},
        {"2016-05-12T08:17:27Z", "2016-05-12T08:17:27.000Z", 1463041047},
        {"2016-05-12T08:17:27.5Z", "2016-05-12T08:17:27.500Z", 1463041047},
        {"2014-05-08T09:00:00.000000Z", "2014-05-08T09:00:00.000000Z",
         1399539600},
        {"2020-03-13T15:57:09.287696Z", "2020-03-13T15:57:09.287696Z",
         1584115029},
        {"2020-01-01T00:00:00.1234567891Z", "2020-01-01T00:00:00.123456789Z",
         1577836800},
        {"2026-11-27T10:00:00+01:00", "2026-11-27T09:00:00.000Z",
         1795770000},
        {"2026-11-27T00:30:00-01:30", "2026-11-27T02:00:00.000Z",
         1795744800},
        {"2026-11-27T10:00:00+0100", "2026-11-27T09:00:00.000Z", 1795770000},
        {"2022-01-10 02:20:37", "2022-01-10T02:20:37.000Z", 1641781237},
        {"2022-01-10 02:20:37 UTC", "2022-01-10T02:20:37.000Z", 1641781237},
        {"2022-01-10t02:20:37z", "2022-01-10T02:20:37.000Z", 1641781237},
        {"2022-01-10T02:20", "2022-01-10T02:20:00.000Z", 1641781200},
        {"2022-01-10", "2022-01-10T00:00:00.000Z", 1641772800},
        {"2024-02-29T12:00:00Z", "2024-02-29T12:00:00.000Z", 1709208000},
        {"2000-02-29T00:00:00Z", "2000-02-29T00:00:00.000Z", 951782400},
        {"2016-12-31T23:59:60Z", "2017-01-01T00:00:00.000Z", 1483228800},
        {"1969-12-31T23:59:59.999Z", "1969-12-31T23:59:59.999Z", -1},
        {"0001-01-01T00:00:00Z", "0001-01-01T00:00:00.000Z",
         -62135596800LL},
        {"9999-12-31T23:59:59Z", "9999-12-31T23:59:59.000Z",
         253402300799LL},
    };
    return cr_make_param_array(struct time_case, cases,
                               sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct time_case *c, stix_time, parse_format) {
    am_stix_time_t t;
    char out[AM_STIX_TIME_STRLEN];

    cr_assert_eq(am_stix_time_parse(c->in, strlen(c->in), &t), 0, "'%s'",
                 c->in);
    cr_expect_eq(t.sec, c->sec, "'%s'", c->in);
    cr_expect_eq(am_stix_time_format(&t, out), strlen(c->out));
    cr_expect_str_eq(out, c->out, "'%s'", c->in);
}

struct bad_time_case {
    char in[48];
};

ParameterizedTestParameters(stix_time, rejects) {
    static struct bad_time_case cases[] = {
        {""},
        {"2022"},
        {"2022-1-10"},
        {"22-01-10"},
        {"2023-02-29T00:00:00Z"},
        {"2100-02-29T00:00:00Z"},
        {"2022-13-01T00:00:00Z"},
        {"2022-00-01T00:00:00Z"},
        {"2022-04-31T00:00:00Z"},
        {"2022-01-00T00:00:00Z"},
        {"2022-01-10T24:00:00Z"},
        {"2022-01-10T23:60:00Z"},
        {"2022-01-10T23:59:61Z"},
        {"2022-01-10T23:59:59.Z"},
        {"2022-01-10T23:59:59ZZ"},
        {"2022-01-10T23:59:59+25:00"},
        {"2022-01-10T23:59:59+01:0"},
        {"2022-01-10X23:59:59Z"},
        {"2022-01-10T23"},
        {" 2022-01-10T23:59:59Z"},
        {"0000-01-01T00:00:00+01:00"},
        {"9999-12-31T23:59:59-01:00"},
        {"1641781237"},
    };
    return cr_make_param_array(struct bad_time_case, cases,
                               sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct bad_time_case *c, stix_time, rejects) {
    am_stix_time_t t;

    cr_expect_eq(am_stix_time_parse(c->in, strlen(c->in), &t), -1, "'%s'",
                 c->in);
}
