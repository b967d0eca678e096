/*
 * Tests for encode_json (a notification as one JSON line), notification
 * (the deterministic notification id, UUIDv5) and jsonw (the JSON writing
 * primitives).
 *
 * The encoder's output is parsed back with jansson and checked field by
 * field: it must be valid JSON whatever bytes the inventory or the event
 * carried.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decode_json.h"
#include "encode_json.h"
#include "inventory.h"
#include "jsonw.h"
#include "matcher.h"
#include "notification.h"
#include "utf8.h"

/* ---- fixture: inventory + matcher + event ------------------------------ */

static am_inventory_t *inv;
static am_matcher_t *m;
static am_match_ctx_t *ctx;
static am_event_t ev;
static am_buf_t out;
static json_t *doc;

static void add(const char *tenant, const char *id, const char *kind,
                const char *value) {
    am_asset_input_t in = {tenant, strlen(tenant), id,    strlen(id),
                           kind,   strlen(kind),   value, strlen(value),
                           NULL,   0,              NULL,  0};
    char err[256];

    cr_assert_eq(am_inventory_add(inv, &in, err, sizeof(err)), 0, "%s", err);
}

static void setup(void) {
    char err[256];

    inv = am_inventory_new();
    cr_assert_not_null(inv);
    add("acme", "a1", "ip", "192.0.2.0/24");
    add("acme", "a2", "ip", "192.0.2.1");
    add("acme", "a3", "domain", "example.com");
    add("globex", "g1", "asn", "AS64500");
    /* An id written by a Latin-1 spreadsheet: not UTF-8. */
    add("initech", "caf\xe9 \"1\"", "domain", "initech.example");
    m = am_matcher_build(inv, &(am_matcher_opts_t){0}, err, sizeof(err));
    cr_assert_not_null(m, "%s", err);
    ctx = am_match_ctx_new();
    cr_assert_not_null(ctx);
    am_event_init(&ev);
    am_buf_init(&out);
    doc = NULL;
}

static void teardown(void) {
    json_decref(doc);
    am_buf_free(&out);
    am_event_free(&ev);
    am_match_ctx_destroy(ctx);
    am_matcher_destroy(m);
    am_inventory_destroy(inv);
}

TestSuite(encode_json, .init = setup, .fini = teardown);
TestSuite(notification);
TestSuite(jsonw);

/* Decodes msg into ev and matches it; returns the results. */
static int match(const char *msg, const am_match_result_t **res) {
    char err[256];
    int n;

    am_event_reset(&ev);
    cr_assert_eq(am_decode_json(msg, strlen(msg), &ev, err, sizeof(err)), 0,
                 "%s", err);
    n = am_matcher_match(m, ctx, &ev, res);
    cr_assert_geq(n, 0);
    return n;
}

/* Encodes one notification and parses it back into doc. */
static json_t *encode(const am_match_result_t *r, const am_origin_t *origin,
                      const char *match_time) {
    am_notification_t nt = {.inv = inv, .ev = &ev, .result = r,
                           .origin = origin, .match_time = match_time};
    json_error_t je;

    am_buf_reset(&out);
    cr_assert_eq(am_encode_json(&out, &nt), 0);
    cr_assert_eq(strlen(out.data), out.len, "NUL inside the output");
    cr_assert_null(memchr(out.data, '\n', out.len), "not one line");
    json_decref(doc);
    doc = json_loadb(out.data, out.len, JSON_REJECT_DUPLICATES, &je);
    cr_assert_not_null(doc, "not JSON (%s): %s", je.text, out.data);
    cr_assert(json_is_object(doc));
    return doc;
}

#define STR(obj, key) json_string_value(json_object_get(obj, key))
#define EXPECT_STR(obj, key, want)                                            \
    cr_expect_str_eq(STR(obj, key) ? STR(obj, key) : "(not a string)", want, \
                     "key %s", key)
#define EXPECT_NULL(obj, key)                                                 \
    cr_expect(json_is_null(json_object_get(obj, key)), "key %s not null",    \
              key)
#define EXPECT_INT(obj, key, want)                                            \
    do {                                                                      \
        cr_expect(json_is_integer(json_object_get(obj, key)),                \
                  "key %s not an integer", key);                             \
        cr_expect_eq(json_integer_value(json_object_get(obj, key)), want,    \
                     "key %s", key);                                         \
    } while (0)

/* Checks one entry of matched_assets. */
static void expect_match(json_t *arr, size_t i, const char *asset_id,
                         const char *kind, const char *value,
                         const char *match_kind, const char *obs_type,
                         const char *obs_value) {
    json_t *e = json_array_get(arr, i);

    cr_assert(json_is_object(e), "matched_assets[%zu]", i);
    cr_expect_eq(json_object_size(e), 5, "matched_assets[%zu] keys", i);
    EXPECT_STR(e, "asset_id", asset_id);
    EXPECT_STR(e, "asset_kind", kind);
    EXPECT_STR(e, "asset_value", value);
    EXPECT_STR(e, "match_kind", match_kind);
    cr_expect_eq(json_object_size(json_object_get(e, "observable")), 2);
    EXPECT_STR(json_object_get(e, "observable"), "type", obs_type);
    EXPECT_STR(json_object_get(e, "observable"), "value", obs_value);
}

static const char indicator[] =
    "{\"id\":\"ind-1\",\"kind\":\"indicator\",\"observables\":["
    "{\"type\":\"url\",\"value\":\"http://www.Example.com/x\"},"
    "{\"type\":\"ip\",\"value\":\"192.0.2.1\"},"
    "{\"type\":\"asn\",\"value\":\"AS64500\"}],"
    "\"category\":\"malware\",\"severity\":\"high\",\"confidence\":80,"
    "\"source\":\"cert\",\"tlp\":\"amber\",\"time\":\"2026-01-01T00:00:00Z\","
    "\"valid_until\":\"2026-02-01T00:00:00Z\","
    "\"description\":\"C2 \\\"panel\\\"\\n\\tline 2 \\u00e9 \\u0001\"}";

/* The first notification, field by field. */
Test(encode_json, indicator_every_field) {
    const am_match_result_t *res;
    char id[AM_UUID_STRLEN];
    json_t *d, *ids, *origin;

    cr_assert_eq(match(indicator, &res), 2);
    d = encode(&res[0], &(am_origin_t){"indicators", 3, 1234567890123LL},
               "2026-11-27T22:05:00Z");
    cr_assert_eq(json_object_size(d), 33, "%s", out.data);
    cr_assert_eq(am_uuid5(AM_NOTIFICATION_NS, "acme\nind-1", 10, id), 0);
    EXPECT_STR(d, "notification_id", id);
    EXPECT_STR(d, "tenant_id", "acme");
    EXPECT_STR(d, "event_id", "ind-1");
    EXPECT_STR(d, "event_kind", "indicator");
    /* The most specific asset: the exact address, through observable 1. */
    cr_expect_eq(json_object_size(json_object_get(d, "observable")), 2);
    EXPECT_STR(json_object_get(d, "observable"), "type", "ip");
    EXPECT_STR(json_object_get(d, "observable"), "value", "192.0.2.1");
    EXPECT_STR(d, "asset_id", "a2");
    EXPECT_INT(d, "matched_assets_total", 3);
    EXPECT_STR(d, "asset_kind", "ip");
    EXPECT_STR(d, "asset_value", "192.0.2.1");
    EXPECT_STR(d, "match_kind", "ip_exact");
    /* Every matched asset of the tenant, best first. */
    ids = json_object_get(d, "matched_asset_ids");
    cr_assert_eq(json_array_size(ids), 3);
    cr_expect_str_eq(json_string_value(json_array_get(ids, 0)), "a2");
    cr_expect_str_eq(json_string_value(json_array_get(ids, 1)), "a1");
    cr_expect_str_eq(json_string_value(json_array_get(ids, 2)), "a3");
    cr_assert_eq(json_array_size(json_object_get(d, "matched_assets")), 3);
    expect_match(json_object_get(d, "matched_assets"), 0, "a2", "ip",
                 "192.0.2.1", "ip_exact", "ip", "192.0.2.1");
    expect_match(json_object_get(d, "matched_assets"), 1, "a1", "ip",
                 "192.0.2.0/24", "ip_cover", "ip", "192.0.2.1");
    expect_match(json_object_get(d, "matched_assets"), 2, "a3", "domain",
                 "example.com", "domain_parent", "url",
                 "http://www.Example.com/x");
    /* Context. */
    EXPECT_STR(d, "category", "malware");
    EXPECT_STR(d, "severity", "high");
    EXPECT_INT(d, "confidence", 80);
    EXPECT_STR(d, "source", "cert");
    EXPECT_STR(d, "tlp", "amber");
    EXPECT_STR(d, "time", "2026-01-01T00:00:00Z");
    EXPECT_STR(d, "valid_until", "2026-02-01T00:00:00Z");
    EXPECT_STR(d, "description", "C2 \"panel\"\n\tline 2 \xc3\xa9 \x01");
    EXPECT_NULL(d, "port");
    EXPECT_NULL(d, "protocol");
    EXPECT_NULL(d, "tag");
    EXPECT_STR(d, "match_time", "2026-11-27T22:05:00Z");
    origin = json_object_get(d, "origin");
    cr_assert(json_is_object(origin));
    cr_expect_eq(json_object_size(origin), 3);
    EXPECT_STR(origin, "topic", "indicators");
    EXPECT_INT(origin, "partition", 3);
    EXPECT_INT(origin, "offset", 1234567890123LL);
}

/* The second tenant of the same event gets its own notification. */
Test(encode_json, second_tenant) {
    const am_match_result_t *res;
    char id[AM_UUID_STRLEN];
    json_t *d;

    cr_assert_eq(match(indicator, &res), 2);
    d = encode(&res[1], NULL, NULL);
    am_notification_id("globex", "ind-1", id);
    EXPECT_STR(d, "notification_id", id);
    EXPECT_STR(d, "tenant_id", "globex");
    EXPECT_STR(d, "asset_id", "g1");
    EXPECT_STR(d, "asset_kind", "asn");
    EXPECT_STR(d, "asset_value", "64500");
    EXPECT_STR(d, "match_kind", "asn");
    EXPECT_STR(json_object_get(d, "observable"), "type", "asn");
    EXPECT_STR(json_object_get(d, "observable"), "value", "AS64500");
    cr_assert_eq(json_array_size(json_object_get(d, "matched_assets")), 1);
    cr_expect_str_neq(STR(d, "notification_id"),
                      "00000000-0000-0000-0000-000000000000");
}

/* Everything the event did not carry is null, and every key is there. */
Test(encode_json, absent_fields_are_null) {
    const am_match_result_t *res;
    json_t *d;

    cr_assert_eq(match("{\"id\":\"scan-1\",\"ip\":\"192.0.2.1\","
                       "\"port\":\"443\"}",
                       &res),
                 1);
    d = encode(&res[0], NULL, NULL);
    cr_assert_eq(json_object_size(d), 33, "%s", out.data);
    EXPECT_STR(d, "event_kind", "scan");
    EXPECT_INT(d, "port", 443);
    EXPECT_NULL(d, "category");
    EXPECT_NULL(d, "severity");
    EXPECT_NULL(d, "confidence");
    EXPECT_NULL(d, "source");
    EXPECT_NULL(d, "tlp");
    EXPECT_NULL(d, "time");
    EXPECT_NULL(d, "valid_until");
    EXPECT_NULL(d, "description");
    EXPECT_NULL(d, "protocol");
    EXPECT_NULL(d, "tag");
    EXPECT_NULL(d, "match_time");
    EXPECT_NULL(d, "origin");
    EXPECT_NULL(d, "feed");
    EXPECT_NULL(d, "report_type");
    EXPECT_NULL(d, "name");
    EXPECT_NULL(d, "advice");
    EXPECT_NULL(d, "context");
    cr_expect_eq(json_array_size(json_object_get(d, "cves")), 0);
    EXPECT_NULL(json_object_get(d, "classification"), "taxonomy");
    EXPECT_NULL(json_object_get(d, "classification"), "type");
    EXPECT_NULL(json_object_get(d, "classification"), "identifier");
    EXPECT_NULL(json_object_get(d, "classification"), "n6_category");
}

Test(encode_json, scan_fields) {
    const am_match_result_t *res;
    json_t *d;

    cr_assert_eq(match("{\"id\":\"scan-2\",\"kind\":\"scan\","
                       "\"hostname\":\"mail.example.com\",\"port\":0,"
                       "\"protocol\":\"udp\",\"tag\":\"open-dns\","
                       "\"confidence\":0}",
                       &res),
                 1);
    d = encode(&res[0], NULL, NULL);
    EXPECT_INT(d, "port", 0);
    EXPECT_INT(d, "confidence", 0);
    EXPECT_STR(d, "protocol", "udp");
    EXPECT_STR(d, "tag", "open-dns");
    EXPECT_STR(d, "asset_id", "a3");
    EXPECT_STR(d, "match_kind", "domain_parent");
    EXPECT_STR(json_object_get(d, "observable"), "type", "domain");
    EXPECT_STR(json_object_get(d, "observable"), "value", "mail.example.com");
}

/* Ids that are not UTF-8 and hold quotes still give valid JSON; the bytes
 * come out as the Latin-1 code points of the same number. */
Test(encode_json, inventory_bytes_escaped) {
    const am_match_result_t *res;
    json_t *d;

    cr_assert_eq(match("{\"id\":\"e\",\"hostname\":\"initech.example\"}",
                       &res),
                 1);
    d = encode(&res[0], NULL, NULL);
    EXPECT_STR(d, "tenant_id", "initech");
    EXPECT_STR(d, "asset_id", "caf\xc3\xa9 \"1\"");
    cr_expect_str_eq(json_string_value(json_array_get(
                         json_object_get(d, "matched_asset_ids"), 0)),
                     "caf\xc3\xa9 \"1\"");
}

/* The same event replayed gives the same notification, id included; the
 * encoder appends to what the buffer holds. */
Test(encode_json, deterministic_and_appends) {
    const am_match_result_t *res;
    am_buf_t a, b;
    am_notification_t nt;

    am_buf_init(&a);
    am_buf_init(&b);
    cr_assert_eq(match(indicator, &res), 2);
    nt = (am_notification_t){.inv = inv, .ev = &ev, .result = &res[0],
                             .match_time = "t"};
    cr_assert_eq(am_encode_json(&a, &nt), 0);
    cr_assert_eq(match(indicator, &res), 2);
    nt = (am_notification_t){.inv = inv, .ev = &ev, .result = &res[0],
                             .match_time = "t"};
    am_buf_puts(&b, "prefix ");
    cr_assert_eq(am_encode_json(&b, &nt), 0);
    cr_assert_eq(b.len, a.len + 7);
    cr_assert_str_eq(b.data + 7, a.data);
    am_buf_free(&a);
    am_buf_free(&b);
}

/* ---- notification ids --------------------------------------------------- */

/* RFC 4122 appendix B / Python's uuid.uuid5(NAMESPACE_DNS, "python.org"). */
Test(notification, uuid5_known_vector) {
    char id[AM_UUID_STRLEN];

    cr_assert_eq(am_uuid5("6ba7b810-9dad-11d1-80b4-00c04fd430c8",
                          "python.org", 10, id),
                 0);
    cr_assert_str_eq(id, "886313e1-3b8a-5372-9b90-0c9aee199e5d");
    /* Upper-case hex in the namespace is the same namespace. */
    cr_assert_eq(am_uuid5("6BA7B810-9DAD-11D1-80B4-00C04FD430C8",
                          "python.org", 10, id),
                 0);
    cr_assert_str_eq(id, "886313e1-3b8a-5372-9b90-0c9aee199e5d");
}

/* Names longer than the stack buffer (values from Python's uuid5). */
Test(notification, uuid5_long_name) {
    char name[1000], id[AM_UUID_STRLEN];

    memset(name, 'x', sizeof(name));
    cr_assert_eq(am_uuid5("6ba7b810-9dad-11d1-80b4-00c04fd430c8", name,
                          sizeof(name), id),
                 0);
    cr_assert_str_eq(id, "f6d12730-a238-51ed-bf69-3689855f9bbf");
}

Test(notification, uuid5_bad_namespace) {
    char id[AM_UUID_STRLEN];

    cr_assert_eq(am_uuid5("not-a-uuid", "x", 1, id), -1);
    cr_assert_eq(am_uuid5("6ba7b810-9dad-11d1", "x", 1, id), -1);
    cr_assert_eq(am_uuid5("", "x", 1, id), -1);
    cr_assert_eq(am_uuid5("6ba7b810-9dad-11d1-80b4-00c04fd430c", "x", 1, id),
                 -1);
}

/* notification_id = UUIDv5(AM_NOTIFICATION_NS, tenant "\n" event id). */
Test(notification, id_is_uuid5_of_tenant_and_event) {
    char a[AM_UUID_STRLEN], b[AM_UUID_STRLEN];

    am_notification_id("t1", "ind-1", a);
    cr_assert_eq(am_uuid5(AM_NOTIFICATION_NS, "t1\nind-1", 8, b), 0);
    cr_assert_str_eq(a, b);
    /* Python: uuid5(UUID(AM_NOTIFICATION_NS), "t1\nind-1"). */
    cr_assert_str_eq(a, "3d322b69-ae18-50b3-a1aa-c5f84d275888");
    cr_assert_eq(a[14], '5');
}

Test(notification, id_deterministic_and_distinct) {
    char a[AM_UUID_STRLEN], b[AM_UUID_STRLEN], c[AM_UUID_STRLEN];
    char d[AM_UUID_STRLEN];

    am_notification_id("acme", "ev-1", a);
    am_notification_id("acme", "ev-1", b);
    am_notification_id("globex", "ev-1", c);
    am_notification_id("acme", "ev-2", d);
    cr_assert_str_eq(a, b);
    cr_assert_str_neq(a, c);
    cr_assert_str_neq(a, d);
    /* The separator keeps ("ab", "c") and ("a", "bc") apart. */
    am_notification_id("ab", "c", a);
    am_notification_id("a", "bc", b);
    cr_assert_str_neq(a, b);
}

/* Ids longer than the stack buffer take the heap path, same result. */
Test(notification, id_of_long_ids) {
    char tenant[300], event[700], name[1001];
    char a[AM_UUID_STRLEN], b[AM_UUID_STRLEN];

    memset(tenant, 't', sizeof(tenant) - 1);
    tenant[sizeof(tenant) - 1] = '\0';
    memset(event, 'e', sizeof(event) - 1);
    event[sizeof(event) - 1] = '\0';
    snprintf(name, sizeof(name), "%s\n%s", tenant, event);
    am_notification_id(tenant, event, a);
    cr_assert_eq(am_uuid5(AM_NOTIFICATION_NS, name, strlen(name), b), 0);
    cr_assert_str_eq(a, b);
}

Test(notification, now_is_rfc3339_utc) {
    char t[32];

    am_notification_now(t);
    cr_assert_eq(strlen(t), 20, "%s", t);
    cr_assert_eq(t[4], '-');
    cr_assert_eq(t[10], 'T');
    cr_assert_eq(t[13], ':');
    cr_assert_eq(t[19], 'Z');
}

/* ---- jsonw ------------------------------------------------------------- */

struct str_case {
    char in[16];
    int n;            /* bytes of in */
    char json[64];    /* what am_jsonw_str writes */
    char decoded[16]; /* what jansson reads back (UTF-8) */
    int decoded_n;
};

ParameterizedTestParameters(jsonw, string_escaping) {
    static struct str_case cases[] = {
        {"", 0, "\"\"", "", 0},
        {"plain", 5, "\"plain\"", "plain", 5},
        {"a/b", 3, "\"a/b\"", "a/b", 3},
        {"say \"hi\"", 8, "\"say \\\"hi\\\"\"", "say \"hi\"", 8},
        {"back\\slash", 10, "\"back\\\\slash\"", "back\\slash", 10},
        {"a\nb\rc\td", 7, "\"a\\nb\\rc\\td\"", "a\nb\rc\td", 7},
        {"\x01\x1f", 2, "\"\\u0001\\u001f\"", "\x01\x1f", 2},
        {"\b\f", 2, "\"\\u0008\\u000c\"", "\b\f", 2},
        {"\0x", 2, "\"\\u0000x\"", "\0x", 2},
        /* DEL needs no escape in JSON. */
        {"\x7f", 1, "\"\x7f\"", "\x7f", 1},
        /* Valid UTF-8 passes through. */
        {"\xc3\xa9", 2, "\"\xc3\xa9\"", "\xc3\xa9", 2},
        {"\xe2\x82\xac", 3, "\"\xe2\x82\xac\"", "\xe2\x82\xac", 3},
        {"\xf0\x9f\x98\x80", 4, "\"\xf0\x9f\x98\x80\"", "\xf0\x9f\x98\x80", 4},
        {"\xf4\x8f\xbf\xbf", 4, "\"\xf4\x8f\xbf\xbf\"", "\xf4\x8f\xbf\xbf", 4},
        /* Bytes that are not UTF-8 become U+0080..U+00FF. */
        {"\xff", 1, "\"\\u00ff\"", "\xc3\xbf", 2},
        {"caf\xe9", 4, "\"caf\\u00e9\"", "caf\xc3\xa9", 5},
        {"\x80", 1, "\"\\u0080\"", "\xc2\x80", 2},
        /* Overlong forms. */
        {"\xc0\x80", 2, "\"\\u00c0\\u0080\"", "\xc3\x80\xc2\x80", 4},
        {"\xc1\xbf", 2, "\"\\u00c1\\u00bf\"", "\xc3\x81\xc2\xbf", 4},
        {"\xe0\x80\xaf", 3, "\"\\u00e0\\u0080\\u00af\"",
         "\xc3\xa0\xc2\x80\xc2\xaf", 6},
        {"\xf0\x80\x80\x80", 4, "\"\\u00f0\\u0080\\u0080\\u0080\"",
         "\xc3\xb0\xc2\x80\xc2\x80\xc2\x80", 8},
        /* UTF-16 surrogates and code points past U+10FFFF. */
        {"\xed\xa0\x80", 3, "\"\\u00ed\\u00a0\\u0080\"",
         "\xc3\xad\xc2\xa0\xc2\x80", 6},
        {"\xf4\x90\x80\x80", 4, "\"\\u00f4\\u0090\\u0080\\u0080\"",
         "\xc3\xb4\xc2\x90\xc2\x80\xc2\x80", 8},
        /* Cut short, at the end or before an ASCII byte. */
        {"a\xc3", 2, "\"a\\u00c3\"", "a\xc3\x83", 3},
        {"\xe2\x82", 2, "\"\\u00e2\\u0082\"", "\xc3\xa2\xc2\x82", 4},
        {"\xc3(", 2, "\"\\u00c3(\"", "\xc3\x83(", 3},
        /* A valid sequence right after an invalid byte is kept. */
        {"\xff\xc3\xa9", 3, "\"\\u00ff\xc3\xa9\"", "\xc3\xbf\xc3\xa9", 4},
    };
    return cr_make_param_array(struct str_case, cases,
                               sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct str_case *c, jsonw, string_escaping) {
    am_buf_t b;
    json_error_t je;
    json_t *j;
    char *copy = malloc(c->n ? (size_t)c->n : 1);

    cr_assert_not_null(copy);
    memcpy(copy, c->in, (size_t)c->n);
    am_buf_init(&b);
    am_jsonw_str(&b, copy, (size_t)c->n);
    free(copy);
    cr_assert_not(b.oom);
    cr_assert_str_eq(b.data, c->json);
    j = json_loadb(b.data, b.len, JSON_DECODE_ANY | JSON_ALLOW_NUL, &je);
    cr_assert_not_null(j, "%s: %s", b.data, je.text);
    cr_assert_eq(json_string_length(j), (size_t)c->decoded_n, "%s", b.data);
    cr_assert_eq(memcmp(json_string_value(j), c->decoded,
                        (size_t)c->decoded_n),
                 0, "%s", b.data);
    json_decref(j);
    am_buf_free(&b);
}

/* Every byte value, in one string: ASCII as it is (escaped where JSON
 * needs it), each byte >= 0x80 (no two of them form UTF-8 here) as the
 * code point of the same number. */
Test(jsonw, every_byte_value) {
    unsigned char in[256], want[384];
    size_t w = 0;
    am_buf_t b;
    json_error_t je;
    json_t *j;

    for (int i = 0; i < 256; i++) {
        in[i] = (unsigned char)i;
        if (i < 0x80) {
            want[w++] = (unsigned char)i;
        } else {
            want[w++] = (unsigned char)(0xc0 | i >> 6);
            want[w++] = (unsigned char)(0x80 | (i & 0x3f));
        }
    }
    am_buf_init(&b);
    am_jsonw_str(&b, (const char *)in, sizeof(in));
    j = json_loadb(b.data, b.len, JSON_DECODE_ANY | JSON_ALLOW_NUL, &je);
    cr_assert_not_null(j, "%s: %s", b.data, je.text);
    cr_assert_eq(json_string_length(j), w);
    cr_assert_eq(memcmp(json_string_value(j), want, w), 0);
    json_decref(j);
    am_buf_free(&b);
}

/* The runs of plain text found sixteen and eight bytes at a time: each
 * byte value at each offset of a run, for each length (two blocks of
 * sixteen, then the tail in eights and bytewise), is where a bytewise
 * check stops. */
Test(utf8, plain_runs_every_byte_at_every_offset) {
    unsigned char buf[40];

    for (int v = 0; v < 256; v++) {
        bool json_ok = v >= 0x20 && v < 0x80 && v != '"' && v != '\\';
        bool ascii_ok = v > 0 && v < 0x80;
        for (size_t n = 0; n <= sizeof(buf); n++)
            for (size_t at = 0; at < n; at++) {
                memset(buf, 'a', sizeof(buf));
                buf[at] = (unsigned char)v;
                cr_assert_eq(am_utf8_json_plain_len(buf, n), json_ok ? n : at,
                             "byte 0x%02x at %zu of %zu", v, at, n);
                cr_assert_eq(am_utf8_ascii_len(buf, n), ascii_ok ? n : at,
                             "byte 0x%02x at %zu of %zu", v, at, n);
            }
    }
}

/* Any bytes at all make a JSON string that jansson accepts:
 * pseudo-random strings from a fixed seed. */
struct bytes_case {
    unsigned char b[32];
};

ParameterizedTestParameters(jsonw, random_bytes_valid_json) {
    static struct bytes_case cases[64];
    uint32_t x = 12345;

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        for (size_t k = 0; k < sizeof(cases[i].b); k++) {
            x = x * 1103515245u + 12345u;
            /* Mostly high bytes, where the UTF-8 cases are. */
            cases[i].b[k] = (unsigned char)(x >> 16 | (k % 3 ? 0x80 : 0));
        }
    return cr_make_param_array(struct bytes_case, cases,
                               sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct bytes_case *c, jsonw, random_bytes_valid_json) {
    am_buf_t b;
    json_error_t je;
    json_t *j;

    am_buf_init(&b);
    am_jsonw_str(&b, (const char *)c->b, sizeof(c->b));
    j = json_loadb(b.data, b.len, JSON_DECODE_ANY | JSON_ALLOW_NUL, &je);
    cr_assert_not_null(j, "%s: %s", b.data, je.text);
    cr_assert(json_is_string(j));
    json_decref(j);
    am_buf_free(&b);
}

Test(jsonw, key_value_forms) {
    am_buf_t b;

    am_buf_init(&b);
    am_buf_putc(&b, '{');
    am_jsonw_kv_str(&b, "s", "v\"");
    am_buf_putc(&b, ',');
    am_jsonw_kv_str(&b, "n", NULL);
    am_buf_putc(&b, ',');
    am_jsonw_kv_int(&b, "i", -42);
    am_buf_putc(&b, ',');
    am_jsonw_kv_int(&b, "max", INT64_MAX);
    am_buf_putc(&b, ',');
    am_jsonw_kv_int(&b, "min", INT64_MIN);
    am_buf_putc(&b, ',');
    am_jsonw_key(&b, "k");
    am_buf_puts(&b, "true}");
    cr_assert_str_eq(b.data,
                     "{\"s\":\"v\\\"\",\"n\":null,\"i\":-42,"
                     "\"max\":9223372036854775807,"
                     "\"min\":-9223372036854775808,\"k\":true}");
    cr_assert_eq(b.len, strlen(b.data));
    am_buf_free(&b);
}

/* Growth: appends past the first allocation and printf output longer than
 * printf's stack buffer. */
Test(jsonw, buffer_growth) {
    am_buf_t b;
    char big[1000];

    memset(big, 'z', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    am_buf_init(&b);
    am_buf_printf(&b, "<%s>", big);
    cr_assert_eq(b.len, 1001);
    cr_assert_eq(b.data[0], '<');
    cr_assert_eq(b.data[1000], '>');
    cr_assert_eq(b.data[1001], '\0');
    am_buf_printf(&b, "%d-%s", 7, "x");
    cr_assert_str_eq(b.data + 1001, "7-x");
    am_buf_append(&b, big, 998);
    cr_assert_eq(b.len, 1004 + 998);
    cr_assert_eq(strlen(b.data), b.len);
    cr_assert_geq(b.cap, b.len + 1);
    am_buf_reset(&b);
    cr_assert_eq(b.len, 0);
    am_buf_puts(&b, "again");
    cr_assert_str_eq(b.data, "again");
    am_buf_free(&b);
    cr_assert_null(b.data);
    cr_assert_eq(b.len, 0);
}
