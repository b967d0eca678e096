/*
 * Tests for encode_stix: a notification as a STIX 2.1 Bundle.
 *
 * Every Bundle is parsed back with jansson and checked against the rules
 * of STIX 2.1 the TAXII consumers rely on (STANDARDS.md section 1): ids
 * match the identifier pattern and name their object's type, timestamps
 * the timestamp pattern (created/modified with milliseconds), each object
 * type has its required properties, and every reference resolves inside
 * the Bundle to an object of an allowed type.  Then the content: which
 * objects, which ids, which pattern, which marking.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <jansson.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decode.h"
#include "decode_stix.h"
#include "encode_stix.h"
#include "inventory.h"
#include "jsonw.h"
#include "matcher.h"
#include "notification.h"
#include "stix_pattern.h"

/* STANDARDS.md 1.1: the schema's identifier and timestamp patterns. */
#define ID_RE                                                               \
    "^[a-z][a-z0-9-]+[a-z0-9]--[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-"               \
    "[1-5][0-9a-fA-F]{3}-[89abAB][0-9a-fA-F]{3}-[0-9a-fA-F]{12}$"
#define TIME_RE                                                             \
    "^[0-9]{4}-(0[1-9]|1[012])-(0[1-9]|[12][0-9]|3[01])T([01][0-9]|2[0-3]):" \
    "([0-5][0-9]):([0-5][0-9]|60)(\\.[0-9]+)?Z$"
#define MS_RE "T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{3,}Z$"

#define TLP1_WHITE "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9"
#define TLP1_GREEN "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da"
#define TLP1_AMBER "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82"
#define TLP1_RED "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed"
#define TLP2_CLEAR "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487"
#define TLP2_AMBER_STRICT                                                   \
    "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003"

#define MATCH_TIME "2026-11-27T22:05:00Z"

/* ---- fixture ----------------------------------------------------------- */

static am_inventory_t *inv;
static am_matcher_t *m;
static am_match_ctx_t *ctx;
static am_event_t ev;
static am_buf_t out;
static json_t *doc;
static regex_t id_re, time_re, ms_re;

static void add(const char *tenant, const char *id, const char *kind,
                const char *value) {
    am_asset_input_t in = {.tenant_id = tenant,
                           .tenant_id_len = strlen(tenant),
                           .asset_id = id,
                           .asset_id_len = strlen(id),
                           .kind = kind,
                           .kind_len = strlen(kind),
                           .value = value,
                           .value_len = strlen(value)};
    char err[256];

    cr_assert_eq(am_inventory_add(inv, &in, err, sizeof(err)), 0, "%s", err);
}

static void setup(void) {
    char err[256];

    inv = am_inventory_new();
    cr_assert_not_null(inv);
    add("acme", "a1", "ip", "192.0.2.0/24");
    add("acme", "a2", "ip", "192.0.2.1");
    add("acme", "a3", "domain", "example.net");
    add("globex", "g1", "ip", "192.0.2.0/25");
    /* An id written by a Latin-1 spreadsheet: not UTF-8. */
    add("initech", "caf\xe9 \"1\"", "asn", "AS64500");
    m = am_matcher_build(inv, &(am_matcher_opts_t){0}, err, sizeof(err));
    cr_assert_not_null(m, "%s", err);
    ctx = am_match_ctx_new();
    cr_assert_not_null(ctx);
    am_event_init(&ev);
    am_buf_init(&out);
    doc = NULL;
    cr_assert_eq(regcomp(&id_re, ID_RE, REG_EXTENDED | REG_NOSUB), 0);
    cr_assert_eq(regcomp(&time_re, TIME_RE, REG_EXTENDED | REG_NOSUB), 0);
    cr_assert_eq(regcomp(&ms_re, MS_RE, REG_EXTENDED | REG_NOSUB), 0);
}

static void teardown(void) {
    regfree(&id_re);
    regfree(&time_re);
    regfree(&ms_re);
    json_decref(doc);
    am_buf_free(&out);
    am_event_free(&ev);
    am_match_ctx_destroy(ctx);
    am_matcher_destroy(m);
    am_inventory_destroy(inv);
}

TestSuite(encode_stix, .init = setup, .fini = teardown);

/* ---- building events --------------------------------------------------- */

static int no_event(am_event_t *e, void *o) { return 0; }
static void no_reject(long item, const char *r, void *o) {
    cr_assert_fail("rejected: %s", r);
}
static void no_skip(long item, am_skip_t why, void *o) {
    cr_assert_fail("skipped");
}

/* A STIX Indicator through the STIX decoder. */
static void stix_event(const char *json) {
    static const am_decode_sink_t sink = {no_event, no_reject, no_skip, NULL};
    am_decode_hint_t hint = {.now = 1790000000};
    json_t *root = json_loads(json, 0, NULL);

    cr_assert_not_null(root, "%s", json);
    cr_assert_eq(am_decode_stix_obj(root, &hint, &ev, &sink), 1);
    json_decref(root);
}

#define S(s) am_event_strdup(&ev, s, strlen(s))

/* An event of \p kind with id \p id, without context. */
static void plain_event(am_event_kind_t kind, const char *id) {
    am_event_reset(&ev);
    ev.kind = (uint8_t)kind;
    ev.id = S(id);
    ev.format = "json";
}

static void obs(am_obs_type_t type, const char *value) {
    char err[256];

    cr_assert_eq(am_event_add_observable(&ev, type, value, strlen(value),
                                         err, sizeof(err)),
                 0, "%s", err);
}

/* The results of matching ev. */
static int match(const am_match_result_t **res) {
    int n = am_matcher_match(m, ctx, &ev, res);

    cr_assert_gt(n, 0, "no tenant matched");
    return n;
}

/* ---- checking a Bundle ------------------------------------------------- */

#define STR(obj, key) json_string_value(json_object_get(obj, key))
#define EXPECT_STR(obj, key, want)                                            \
    cr_expect_str_eq(STR(obj, key) ? STR(obj, key) : "(not a string)", want, \
                     "key %s", key)

static bool re(regex_t *r, const char *s) {
    return s && regexec(r, s, 0, NULL, 0) == 0;
}

/* The object with id \p id, or NULL. */
static json_t *by_id(json_t *bundle, const char *id) {
    json_t *o;
    size_t i;

    json_array_foreach(json_object_get(bundle, "objects"), i, o)
        if (id && strcmp(STR(o, "id"), id) == 0)
            return o;
    return NULL;
}

/* The \p k-th object of type \p type, or NULL. */
static json_t *by_type(json_t *bundle, const char *type, size_t k) {
    json_t *o;
    size_t i;

    json_array_foreach(json_object_get(bundle, "objects"), i, o)
        if (strcmp(STR(o, "type"), type) == 0 && k-- == 0)
            return o;
    return NULL;
}

static size_t count_type(json_t *bundle, const char *type) {
    size_t n = 0;

    while (by_type(bundle, type, n))
        n++;
    return n;
}

/* What each type must have, and what its references may point at. */
static const struct {
    const char *type;
    const char *required[6];
    bool sdo; /* created/modified required, in milliseconds */
} rules[] = {
    {"identity", {"name"}, true},
    {"indicator", {"pattern", "pattern_type", "valid_from"}, true},
    {"observed-data",
     {"first_observed", "last_observed", "number_observed", "object_refs"},
     true},
    {"sighting", {"sighting_of_ref"}, true},
    {"marking-definition", {"created"}, false},
    {"ipv4-addr", {"value"}, false},
    {"ipv6-addr", {"value"}, false},
    {"domain-name", {"value"}, false},
    {"url", {"value"}, false},
    {"email-addr", {"value"}, false},
    {"autonomous-system", {"number"}, false},
};

static const struct {
    const char *key;
    const char *types; /* allowed target types, space-separated */
} ref_rules[] = {
    {"created_by_ref", " identity "},
    {"sighting_of_ref", " indicator observed-data "},
    {"where_sighted_refs", " identity "},
    {"observed_data_refs", " observed-data "},
    {"object_marking_refs", " marking-definition "},
    {"object_refs",
     " ipv4-addr ipv6-addr domain-name url email-addr autonomous-system "},
};

static const char *const time_keys[] = {
    "created",  "modified",       "valid_from",    "valid_until",
    "first_seen", "last_seen",    "first_observed", "last_observed",
};

static void check_ref(json_t *bundle, const char *key, const char *types,
                      json_t *ref) {
    json_t *target = by_id(bundle, json_string_value(ref));
    char t[48];

    cr_assert_not_null(target, "%s: '%s' not in the bundle", key,
                       json_string_value(ref));
    snprintf(t, sizeof(t), " %s ", STR(target, "type"));
    cr_expect_not_null(strstr(types, t), "%s points at a %s", key,
                       STR(target, "type"));
}

static void check_object(json_t *bundle, json_t *o, size_t idx) {
    const char *type = STR(o, "type"), *id = STR(o, "id");
    size_t r, tl;

    cr_assert_not_null(type, "objects[%zu]: no type", idx);
    cr_expect(re(&id_re, id), "objects[%zu]: bad id %s", idx, id);
    tl = strlen(type);
    cr_expect(id && strncmp(id, type, tl) == 0 && strncmp(id + tl, "--", 2)
                  == 0, "objects[%zu]: id %s is not a %s id", idx, id, type);
    EXPECT_STR(o, "spec_version", "2.1");
    for (r = 0; r < sizeof(rules) / sizeof(rules[0]); r++)
        if (strcmp(rules[r].type, type) == 0)
            break;
    cr_assert_lt(r, sizeof(rules) / sizeof(rules[0]), "unexpected type %s",
                 type);
    for (size_t k = 0; k < 6 && rules[r].required[k]; k++)
        cr_expect_not_null(json_object_get(o, rules[r].required[k]),
                           "%s without %s", type, rules[r].required[k]);
    if (rules[r].sdo) {
        cr_expect(re(&ms_re, STR(o, "created")), "%s created %s", type,
                  STR(o, "created"));
        cr_expect(re(&ms_re, STR(o, "modified")), "%s modified", type);
        cr_expect_leq(strcmp(STR(o, "created"), STR(o, "modified")), 0);
    }
    for (size_t k = 0; k < sizeof(time_keys) / sizeof(time_keys[0]); k++) {
        json_t *v = json_object_get(o, time_keys[k]);
        cr_expect(!v || re(&time_re, json_string_value(v)),
                  "%s %s: %s", type, time_keys[k], json_string_value(v));
    }
    for (size_t k = 0; k < sizeof(ref_rules) / sizeof(ref_rules[0]); k++) {
        json_t *v = json_object_get(o, ref_rules[k].key), *e;
        size_t i;
        if (json_is_string(v))
            check_ref(bundle, ref_rules[k].key, ref_rules[k].types, v);
        json_array_foreach(v, i, e)
            check_ref(bundle, ref_rules[k].key, ref_rules[k].types, e);
        cr_expect(!json_is_array(v) || json_array_size(v) > 0,
                  "%s: empty %s", type, ref_rules[k].key);
    }
}

/* Checks the rules on the whole Bundle. */
static void check_bundle(json_t *b) {
    json_t *objs = json_object_get(b, "objects"), *o;
    size_t i;

    EXPECT_STR(b, "type", "bundle");
    cr_expect(re(&id_re, STR(b, "id")), "bundle id %s", STR(b, "id"));
    cr_expect_eq(strncmp(STR(b, "id"), "bundle--", 8), 0);
    cr_expect_null(json_object_get(b, "spec_version"), "a Bundle has none");
    cr_expect_eq(json_object_size(b), 3);
    cr_assert_gt(json_array_size(objs), 0);
    json_array_foreach(objs, i, o) {
        cr_assert(json_is_object(o), "objects[%zu]", i);
        check_object(b, o, i);
        /* Ids are unique. */
        cr_expect_eq(by_id(b, STR(o, "id")), o, "duplicate id %s",
                     STR(o, "id"));
    }
}

/* Encodes one notification; returns the Bundle, checked. */
static json_t *encode(const am_match_result_t *r, const char *match_time) {
    am_notification_t nt = {.inv = inv,
                            .ev = &ev,
                            .result = r,
                            .origin = NULL,
                            .match_time = match_time};
    json_error_t je;

    am_buf_reset(&out);
    cr_assert_eq(am_encode_stix(&out, &nt), 0);
    cr_assert_eq(strlen(out.data), out.len, "NUL inside the output");
    cr_assert_null(memchr(out.data, '\n', out.len), "not one line");
    json_decref(doc);
    doc = json_loadb(out.data, out.len, JSON_REJECT_DUPLICATES, &je);
    cr_assert_not_null(doc, "not JSON (%s): %s", je.text, out.data);
    check_bundle(doc);
    return doc;
}

/* The types of the Bundle's objects, in order, space-separated. */
static const char *types_of(json_t *b) {
    static char buf[512];
    json_t *o;
    size_t i, n = 0;

    buf[0] = '\0';
    json_array_foreach(json_object_get(b, "objects"), i, o)
        n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s%s", i ? " " : "",
                              STR(o, "type"));
    return buf;
}

/* ---- indicator events -------------------------------------------------- */

static const char stix_indicator[] =
    "{\"type\":\"indicator\",\"spec_version\":\"2.1\","
    "\"id\":\"indicator--0985f183-b97d-4eaf-b9a6-45f579f07983\","
    "\"created\":\"2026-03-02T10:00:00.000Z\","
    "\"modified\":\"2026-03-04T11:30:00.25Z\","
    "\"name\":\"Botnet controller\",\"description\":\"C2 'x'\","
    "\"indicator_types\":[\"malicious-activity\"],\"confidence\":85,"
    "\"pattern\":\"[ipv4-addr:value = '192.0.2.1'] OR "
    "[domain-name:value = 'c2.example.net'] WITHIN 60 SECONDS\","
    "\"pattern_type\":\"stix\",\"valid_from\":\"2026-03-02T12:00:00+02:00\","
    "\"valid_until\":\"2099-01-01T00:00:00Z\","
    "\"created_by_ref\":\"identity--9564ea05-fef6-4e45-b800-8bb5ae1f6c79\","
    "\"object_marking_refs\":[\"marking-definition--55d920b0-5e8b-4f79-9ee9-"
    "91f868d9b421\"]}";

Test(encode_stix, stix_indicator) {
    const am_match_result_t *res;
    json_t *b, *service, *tenant, *ind, *sig, *md;
    char nid[AM_UUID_STRLEN], id[64], uuid[AM_UUID_STRLEN];

    stix_event(stix_indicator);
    cr_assert_eq(match(&res), 2); /* acme (a2, a1, a3), globex (g1) */
    b = encode(&res[0], MATCH_TIME);
    cr_expect_str_eq(types_of(b), "identity identity marking-definition "
                                  "indicator sighting");

    /* The Bundle and Sighting ids derive from the notification id. */
    am_notification_id("acme", ev.id, nid);
    cr_assert_eq(am_uuid5(nid, "bundle", 6, uuid), 0);
    snprintf(id, sizeof(id), "bundle--%s", uuid);
    EXPECT_STR(b, "id", id);
    sig = by_type(b, "sighting", 0);
    cr_assert_eq(am_uuid5(nid, "sighting", 8, uuid), 0);
    snprintf(id, sizeof(id), "sighting--%s", uuid);
    EXPECT_STR(sig, "id", id);

    service = json_array_get(json_object_get(b, "objects"), 0);
    EXPECT_STR(service, "name", "assetmatch");
    EXPECT_STR(service, "identity_class", "system");
    tenant = json_array_get(json_object_get(b, "objects"), 1);
    EXPECT_STR(tenant, "name", "acme");
    EXPECT_STR(tenant, "identity_class", "organization");
    EXPECT_STR(tenant, "created_by_ref", STR(service, "id"));

    /* TLP 2.0 AMBER in, TLP 1.0 AMBER out, with its definition. */
    md = by_type(b, "marking-definition", 0);
    EXPECT_STR(md, "id", TLP1_AMBER);
    EXPECT_STR(md, "created", "2017-01-20T00:00:00.000Z");
    EXPECT_STR(md, "definition_type", "tlp");
    EXPECT_STR(md, "name", "TLP:AMBER");
    EXPECT_STR(json_object_get(md, "definition"), "tlp", "amber");

    /* The Indicator as received: id, pattern, times. */
    ind = by_type(b, "indicator", 0);
    EXPECT_STR(ind, "id", "indicator--0985f183-b97d-4eaf-b9a6-45f579f07983");
    EXPECT_STR(ind, "pattern", "[ipv4-addr:value = '192.0.2.1'] OR "
                               "[domain-name:value = 'c2.example.net'] "
                               "WITHIN 60 SECONDS");
    EXPECT_STR(ind, "pattern_type", "stix");
    EXPECT_STR(ind, "created", "2026-03-04T11:30:00.250Z");
    EXPECT_STR(ind, "modified", "2026-03-04T11:30:00.250Z");
    EXPECT_STR(ind, "valid_from", "2026-03-02T10:00:00.000Z");
    EXPECT_STR(ind, "valid_until", "2099-01-01T00:00:00.000Z");
    EXPECT_STR(ind, "name", "Botnet controller");
    EXPECT_STR(ind, "description", "C2 'x'");
    cr_expect_str_eq(json_string_value(json_array_get(
                         json_object_get(ind, "indicator_types"), 0)),
                     "malicious-activity");
    cr_expect_eq(json_integer_value(json_object_get(ind, "confidence")), 85);
    cr_expect_null(json_object_get(ind, "created_by_ref"),
                   "the original creator is not in the bundle");
    cr_expect_str_eq(json_string_value(json_array_get(
                         json_object_get(ind, "object_marking_refs"), 0)),
                     TLP1_AMBER);

    /* The Sighting: of the Indicator, at the tenant, by the service. */
    EXPECT_STR(sig, "sighting_of_ref", STR(ind, "id"));
    EXPECT_STR(sig, "created_by_ref", STR(service, "id"));
    cr_expect_str_eq(json_string_value(json_array_get(
                         json_object_get(sig, "where_sighted_refs"), 0)),
                     STR(tenant, "id"));
    cr_expect_eq(json_integer_value(json_object_get(sig, "count")), 1);
    EXPECT_STR(sig, "first_seen", "2026-03-04T11:30:00.250Z");
    EXPECT_STR(sig, "last_seen", "2026-03-04T11:30:00.250Z");
    cr_expect_null(json_object_get(sig, "observed_data_refs"));
    EXPECT_STR(sig, "description",
               "indicator ip '192.0.2.1' matches asset 'a2' (ip 192.0.2.1, "
               "ip_exact) of tenant 'acme'; matched assets: 'a2', 'a1', "
               "'a3'");
    cr_expect_str_eq(json_string_value(json_array_get(
                         json_object_get(sig, "object_marking_refs"), 0)),
                     TLP1_AMBER);
}

/* The event-scoped objects are the same for every tenant; the Sighting,
 * the Bundle and the tenant Identity are not. */
Test(encode_stix, second_tenant) {
    const am_match_result_t *res;
    char *first;
    json_t *b;

    stix_event(stix_indicator);
    cr_assert_eq(match(&res), 2);
    encode(&res[0], MATCH_TIME);
    first = strdup(out.data);
    b = encode(&res[1], MATCH_TIME);
    EXPECT_STR(json_array_get(json_object_get(b, "objects"), 1), "name",
               "globex");
    cr_expect_null(strstr(first, STR(b, "id")));
    cr_expect_null(strstr(first, STR(by_type(b, "sighting", 0), "id")));
    cr_expect_null(strstr(first, STR(by_type(b, "identity", 1), "id")));
    cr_expect_not_null(strstr(first, STR(by_type(b, "identity", 0), "id")));
    cr_expect_not_null(strstr(first, STR(by_type(b, "indicator", 0), "id")));
    free(first);
}

/* A native event: the Indicator is made up, its pattern rebuilt from the
 * observables (canonical addresses and names, quotes escaped). */
Test(encode_stix, rebuilt_indicator) {
    const am_match_result_t *res;
    json_t *b, *ind;
    const char *pattern;
    char err[256];

    plain_event(AM_EVENT_INDICATOR, "feed-42");
    obs(AM_OBS_IP, "192.0.2.1");
    obs(AM_OBS_DOMAIN, "WWW.Example.NET.");
    obs(AM_OBS_URL, "http://example.net/it's\\\"x\"\t\xc3\xa9");
    obs(AM_OBS_EMAIL, "a@example.net");
    obs(AM_OBS_ASN, "AS64500");
    obs(AM_OBS_CIDR, "192.0.2.77/24");
    obs(AM_OBS_CIDR, "192.0.2.1/32"); /* the same as the first */
    obs(AM_OBS_IP, "2001:0DB8::0025");
    ev.category = "malware";
    ev.tlp = "TLP:CLEAR";
    ev.valid_until = "2026-01-01 00:00:00"; /* before valid_from: dropped */
    cr_assert_eq(match(&res), 3);
    b = encode(&res[0], MATCH_TIME);
    cr_expect_str_eq(types_of(b), "identity identity marking-definition "
                                  "indicator sighting");
    ind = by_type(b, "indicator", 0);
    cr_expect_neq(strcmp(STR(ind, "id"), "indicator--feed-42"), 0);
    EXPECT_STR(ind, "created_by_ref", STR(by_type(b, "identity", 0), "id"));
    pattern = STR(ind, "pattern");
    cr_expect_str_eq(pattern,
                     "[ipv4-addr:value = '192.0.2.1' OR "
                     "domain-name:value = 'www.example.net' OR "
                     "url:value = 'http://example.net/it\\'s\\\\\"x\"\t"
                     "\xc3\xa9' OR "
                     "email-addr:value = 'a@example.net' OR "
                     "autonomous-system:number = 64500 OR "
                     "ipv4-addr:value = '192.0.2.0/24' OR "
                     "ipv6-addr:value = '2001:db8::25']");
    cr_expect_eq(am_stix_pattern_parse(pattern, strlen(pattern), NULL, NULL,
                                       err, sizeof(err)),
                 0, "%s", err);
    /* No time anywhere: the match time. */
    EXPECT_STR(ind, "created", "2026-11-27T22:05:00.000Z");
    EXPECT_STR(ind, "valid_from", "2026-11-27T22:05:00.000Z");
    cr_expect_null(json_object_get(ind, "valid_until"));
    cr_expect_null(json_object_get(ind, "indicator_types"));
    cr_expect_str_eq(json_string_value(json_array_get(
                         json_object_get(ind, "labels"), 0)),
                     "malware");
    cr_expect_null(json_object_get(ind, "confidence"));
    cr_expect_null(json_object_get(ind, "name"));
    /* TLP:CLEAR is a TLP 2.0 level. */
    EXPECT_STR(by_type(b, "marking-definition", 0), "id", TLP2_CLEAR);
    EXPECT_STR(by_type(b, "marking-definition", 0), "name", "TLP:CLEAR");
    EXPECT_STR(json_object_get(json_object_get(by_type(b,
                                                       "marking-definition",
                                                       0),
                                               "extensions"),
                               "extension-definition--60a3c5c5-0d10-413e-"
                               "aab3-9e08dde9e88d"),
               "tlp_2_0", "clear");
}

/* The rebuilt pattern yields back the observables it was built from. */
static int collect(const am_stix_obs_t *o, void *opaque) {
    am_buf_printf(opaque, "%s|", o->value);
    return 0;
}

Test(encode_stix, rebuilt_pattern_round_trip) {
    const am_match_result_t *res;
    const char *pattern;
    am_buf_t got;
    char err[256];

    plain_event(AM_EVENT_INDICATOR, "feed-43");
    obs(AM_OBS_URL, "http://example.net/a'b\\c''");
    obs(AM_OBS_DOMAIN, "x.example.net");
    match(&res);
    pattern = STR(by_type(encode(&res[0], MATCH_TIME), "indicator", 0),
                  "pattern");
    am_buf_init(&got);
    cr_expect_eq(am_stix_pattern_parse(pattern, strlen(pattern), collect,
                                       &got, err, sizeof(err)),
                 2, "%s: %s", pattern, err);
    cr_expect_str_eq(got.data, "http://example.net/a'b\\c''|x.example.net|");
    am_buf_free(&got);
}

/* Which event ids are kept as the Indicator's id. */
struct id_case {
    char id[64];
    int kept;
};

ParameterizedTestParameters(encode_stix, indicator_id_kept) {
    static struct id_case cases[] = {
        {"indicator--0985f183-b97d-4eaf-b9a6-45f579f07983", 1},
        {"indicator--0985F183-B97D-1EAF-89A6-45F579F07983", 1},
        {"indicator--0985f183-b97d-6eaf-b9a6-45f579f07983", 0},
        {"indicator--0985f183-b97d-4eaf-c9a6-45f579f07983", 0},
        {"indicator--0985f183-b97d-4eaf-b9a6-45f579f0798", 0},
        {"indicator--0985f183-b97d-4eaf-b9a6-45f579f079833", 0},
        {"indicator--0985f183b97d-4eaf-b9a6-45f579f079833", 0},
        {"malware--0985f183-b97d-4eaf-b9a6-45f579f07983", 0},
        {"0985f183-b97d-4eaf-b9a6-45f579f07983", 0},
        {"ind-1", 0},
    };
    return cr_make_param_array(struct id_case, cases,
                               sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct id_case *c, encode_stix, indicator_id_kept) {
    const am_match_result_t *res;
    json_t *b;

    plain_event(AM_EVENT_INDICATOR, c->id);
    obs(AM_OBS_IP, "192.0.2.1");
    match(&res);
    b = encode(&res[0], MATCH_TIME);
    cr_expect_eq(strcmp(STR(by_type(b, "indicator", 0), "id"), c->id) == 0,
                 c->kept, "%s", c->id);
}

/* ---- scan events ------------------------------------------------------- */

Test(encode_stix, scan_observed_data) {
    const am_match_result_t *res;
    json_t *b, *od, *sig, *refs;
    static const char *const scos[] = {
        /* Computed independently: Python uuid.uuid5 over the JSON. */
        "ipv4-addr--8dded90c-40c0-545a-8027-5b212bb37e8e",
        "domain-name--61a49c7c-7339-59d4-8daa-643ecb6c8e25",
        "url--ca5543e1-a561-506c-b268-e2308db3fd2b",
        "email-addr--3b7a7584-8100-5859-acbf-6935a0185ca4",
        "autonomous-system--0a5f7072-df00-5729-9f0a-4eb18631a446",
        "ipv4-addr--363165a3-c284-5f12-98a3-2d774869b19b",
        "ipv6-addr--4b9afd97-b0cf-588f-ba15-9d12a7561489",
    };

    plain_event(AM_EVENT_SCAN, "scan-7");
    obs(AM_OBS_IP, "192.0.2.1");
    obs(AM_OBS_DOMAIN, "WWW.Example.NET");
    obs(AM_OBS_URL, "http://example.net/it's\\\"x\"\t\xc3\xa9");
    obs(AM_OBS_EMAIL, "a@example.net");
    obs(AM_OBS_ASN, "64500");
    obs(AM_OBS_CIDR, "192.0.2.0/24");
    obs(AM_OBS_DOMAIN, "2001:db8::25"); /* a name that is an address */
    obs(AM_OBS_IP, "::ffff:192.0.2.1"); /* the same as the first */
    ev.time = "2022-01-10 02:20:37";
    ev.port = 443;
    ev.protocol = "tcp";
    ev.tag = "ssl-freak";
    cr_assert_eq(am_event_add_cve(&ev, "CVE-2015-0204", 13), 0);
    ev.tlp = "green";
    cr_assert_eq(match(&res), 3);
    b = encode(&res[0], MATCH_TIME);
    cr_expect_str_eq(types_of(b),
                     "identity identity marking-definition ipv4-addr "
                     "domain-name url email-addr autonomous-system ipv4-addr "
                     "ipv6-addr observed-data sighting");
    for (size_t i = 0; i < sizeof(scos) / sizeof(scos[0]); i++)
        cr_expect_not_null(by_id(b, scos[i]), "%s", scos[i]);
    EXPECT_STR(by_id(b, scos[1]), "value", "www.example.net");
    EXPECT_STR(by_id(b, scos[2]), "value",
               "http://example.net/it's\\\"x\"\t\xc3\xa9");
    cr_expect_eq(json_integer_value(json_object_get(by_id(b, scos[4]),
                                                    "number")),
                 64500);

    od = by_type(b, "observed-data", 0);
    EXPECT_STR(od, "first_observed", "2022-01-10T02:20:37.000Z");
    EXPECT_STR(od, "last_observed", "2022-01-10T02:20:37.000Z");
    EXPECT_STR(od, "created", "2022-01-10T02:20:37.000Z");
    cr_expect_eq(json_integer_value(json_object_get(od, "number_observed")),
                 1);
    refs = json_object_get(od, "object_refs");
    cr_assert_eq(json_array_size(refs), 7);
    for (size_t i = 0; i < 7; i++)
        cr_expect_str_eq(json_string_value(json_array_get(refs, i)),
                         scos[i]);
    cr_expect_str_eq(json_string_value(json_array_get(
                         json_object_get(od, "object_marking_refs"), 0)),
                     TLP1_GREEN);

    sig = by_type(b, "sighting", 0);
    EXPECT_STR(sig, "sighting_of_ref", STR(od, "id"));
    cr_expect_str_eq(json_string_value(json_array_get(
                         json_object_get(sig, "observed_data_refs"), 0)),
                     STR(od, "id"));
    EXPECT_STR(sig, "first_seen", "2022-01-10T02:20:37.000Z");
    /* The order of the other assets is the matcher's. */
    cr_expect_eq(strncmp(STR(sig, "description"),
                         "scan ip '192.0.2.1' matches asset 'a2' (ip "
                         "192.0.2.1, ip_exact) of tenant 'acme'; matched "
                         "assets: 'a2', ", 104),
                 0, "%s", STR(sig, "description"));
    cr_expect_not_null(strstr(STR(sig, "description"),
                              "'; port 443/tcp; tag 'ssl-freak'; "
                              "CVE-2015-0204"));
}

/* ---- TLP --------------------------------------------------------------- */

struct tlp_case {
    char tlp[24];
    char id[64];   /* "" for no marking */
    char name[24];
};

ParameterizedTestParameters(encode_stix, tlp) {
    static struct tlp_case cases[] = {
        {"white", TLP1_WHITE, "TLP:WHITE"},
        {"WHITE", TLP1_WHITE, "TLP:WHITE"},
        {"TLP:GREEN", TLP1_GREEN, "TLP:GREEN"},
        {"amber", TLP1_AMBER, "TLP:AMBER"},
        {"tlp:amber+strict", TLP2_AMBER_STRICT, "TLP:AMBER+STRICT"},
        {"AMBER+STRICT", TLP2_AMBER_STRICT, "TLP:AMBER+STRICT"},
        {"red", TLP1_RED, "TLP:RED"},
        {"clear", TLP2_CLEAR, "TLP:CLEAR"},
        {"TLP: CLEAR", TLP2_CLEAR, "TLP:CLEAR"},
        {"purple", "", ""},
        {"", "", ""},
        {"amber+strict+x", "", ""},
    };
    return cr_make_param_array(struct tlp_case, cases,
                               sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct tlp_case *c, encode_stix, tlp) {
    const am_match_result_t *res;
    json_t *b, *md;

    plain_event(AM_EVENT_INDICATOR, "ind-tlp");
    obs(AM_OBS_IP, "192.0.2.1");
    ev.tlp = c->tlp;
    match(&res);
    b = encode(&res[0], MATCH_TIME);
    md = by_type(b, "marking-definition", 0);
    cr_expect_str_eq(md ? STR(md, "id") : "", c->id, "%s", c->tlp);
    cr_expect_str_eq(md ? STR(md, "name") : "", c->name, "%s", c->tlp);
    cr_expect_eq(count_type(b, "marking-definition"), c->id[0] ? 1 : 0);
    /* No marking: no object_marking_refs anywhere. */
    cr_expect_eq(strstr(out.data, "object_marking_refs") != NULL,
                 c->id[0] != '\0', "%s", c->tlp);
}

Test(encode_stix, no_tlp_no_marking) {
    const am_match_result_t *res;
    json_t *b;

    plain_event(AM_EVENT_INDICATOR, "ind-none");
    obs(AM_OBS_IP, "192.0.2.1");
    match(&res);
    b = encode(&res[0], MATCH_TIME);
    cr_expect_str_eq(types_of(b), "identity identity indicator sighting");
    cr_expect_null(strstr(out.data, "marking"));
}

/* ---- determinism and times --------------------------------------------- */

/* With event times, the match time changes nothing: a replay gives the
 * same bytes. */
Test(encode_stix, deterministic) {
    const am_match_result_t *res;
    char *first;

    stix_event(stix_indicator);
    match(&res);
    encode(&res[0], MATCH_TIME);
    first = strdup(out.data);
    encode(&res[0], MATCH_TIME);
    cr_expect_str_eq(out.data, first);
    encode(&res[0], "2027-01-01T00:00:00Z");
    cr_expect_str_eq(out.data, first);
    free(first);
}

/* Appends: what is in the buffer stays. */
Test(encode_stix, appends) {
    const am_match_result_t *res;
    am_notification_t nt;
    am_buf_t b;

    stix_event(stix_indicator);
    match(&res);
    nt = (am_notification_t){.inv = inv, .ev = &ev, .result = &res[0],
                             .match_time = MATCH_TIME};
    am_buf_init(&b);
    am_buf_puts(&b, "x");
    cr_assert_eq(am_encode_stix(&b, &nt), 0);
    cr_expect_eq(strncmp(b.data, "x{\"type\":\"bundle\"", 17), 0);
    am_buf_free(&b);
}

struct time_case {
    char time[40];
    char match_time[40];
    char want[40];
};

ParameterizedTestParameters(encode_stix, times) {
    static struct time_case cases[] = {
        {"2026-11-27T10:00:00Z", MATCH_TIME, "2026-11-27T10:00:00.000Z"},
        {"2022-01-10 02:20:37", MATCH_TIME, "2022-01-10T02:20:37.000Z"},
        {"2026-11-27T10:00:00.123456Z", MATCH_TIME,
         "2026-11-27T10:00:00.123456Z"},
        {"2026-11-27T11:00:00+01:00", MATCH_TIME, "2026-11-27T10:00:00.000Z"},
        {"2026-11-27", MATCH_TIME, "2026-11-27T00:00:00.000Z"},
        {"", MATCH_TIME, "2026-11-27T22:05:00.000Z"},
        {"last tuesday", MATCH_TIME, "2026-11-27T22:05:00.000Z"},
        {"", "2026-11-27T22:05:00.5Z", "2026-11-27T22:05:00.500Z"},
    };
    return cr_make_param_array(struct time_case, cases,
                               sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct time_case *c, encode_stix, times) {
    const am_match_result_t *res;
    json_t *b;

    plain_event(AM_EVENT_SCAN, "scan-t");
    obs(AM_OBS_IP, "192.0.2.1");
    ev.time = c->time[0] ? c->time : NULL;
    match(&res);
    b = encode(&res[0], c->match_time);
    EXPECT_STR(by_type(b, "observed-data", 0), "first_observed", c->want);
    EXPECT_STR(by_type(b, "sighting", 0), "created", c->want);
}

/* Without any time the clock is used, still a valid timestamp. */
Test(encode_stix, no_time_at_all) {
    const am_match_result_t *res;

    plain_event(AM_EVENT_SCAN, "scan-n");
    obs(AM_OBS_IP, "192.0.2.1");
    match(&res);
    encode(&res[0], NULL);
}

/* Bytes from the inventory that are not UTF-8 still give valid JSON. */
Test(encode_stix, inventory_bytes_escaped) {
    const am_match_result_t *res;
    json_t *b;

    plain_event(AM_EVENT_SCAN, "scan-asn");
    obs(AM_OBS_ASN, "AS64500");
    cr_assert_eq(match(&res), 1);
    b = encode(&res[0], MATCH_TIME);
    EXPECT_STR(by_type(b, "identity", 1), "name", "initech");
    EXPECT_STR(by_type(b, "sighting", 0), "description",
               "scan asn 'AS64500' matches asset 'caf\xc3\xa9 \"1\"' "
               "(asn 64500, asn) of tenant 'initech'");
}
