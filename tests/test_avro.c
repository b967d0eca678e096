/*
 * Tests for the Avro side: avro_schema (loading schemas/), decode_avro
 * (native Avro events, bare and framed) and encode_avro (notifications).
 *
 * Events are written here by a small test-only encoder that fills avro-c
 * generic values of schemas/event.avsc, either from an am_event_t or from
 * the Avro JSON form of a value (which also checks the examples in
 * schemas/examples/ against their schemas).  Notifications are read back
 * with avro-c's generic reader against schemas/notification.avsc and
 * checked field by field.
 */
#include <avro.h>
#include <criterion/criterion.h>
#include <dirent.h>
#include <jansson.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "avro_schema.h"
#include "classify.h"
#include "decode_avro.h"
#include "decode_json.h"
#include "encode_avro.h"
#include "inventory.h"
#include "matcher.h"
#include "notification.h"

TestSuite(avro_schema);
TestSuite(decode_avro);

/* ---- test-only helpers: schemas and generic values --------------------- */

static avro_schema_t schema(am_avro_schema_id_t id) {
    char err[1024];
    avro_schema_t s = am_avro_schema_get(id, err, sizeof(err));

    cr_assert_not_null(s, "%s", err);
    return s;
}

static avro_schema_t resolve(avro_schema_t s) {
    return is_avro_link(s) ? avro_schema_link_target(s) : s;
}

/* Field \p name of \p rec (asserted to exist). */
static avro_value_t get(const avro_value_t *rec, const char *name) {
    avro_value_t v;

    cr_assert_eq(avro_value_get_by_name(rec, name, &v, NULL), 0,
                 "no field '%s'", name);
    return v;
}

/* Selects the union branch of \p u whose type is \p type (AVRO_NULL, ...). */
static avro_value_t branch(avro_value_t *u, avro_type_t type) {
    avro_schema_t us = avro_value_get_schema(u);
    avro_value_t b;

    for (size_t i = 0; i < avro_schema_union_size(us); i++) {
        if (avro_typeof(resolve(avro_schema_union_branch(us, (int)i))) ==
            type) {
            cr_assert_eq(avro_value_set_branch(u, (int)i, &b), 0);
            return b;
        }
    }
    cr_assert_fail("no branch of type %d", (int)type);
    return b;
}

/* Sets string field \p name (a union [null, string] or a string). */
static void put_str(avro_value_t *rec, const char *name, const char *s) {
    avro_value_t f = get(rec, name), v = f;

    if (avro_value_get_type(&f) == AVRO_UNION)
        v = branch(&f, s ? AVRO_STRING : AVRO_NULL);
    cr_assert_eq(s ? avro_value_set_string(&v, s) : avro_value_set_null(&v),
                 0);
}

/* Sets int or long field \p name; negative is null. */
static void put_int(avro_value_t *rec, const char *name, int64_t i) {
    avro_value_t f = get(rec, name), v;
    avro_schema_t us = avro_value_get_schema(&f);
    avro_type_t t = avro_typeof(avro_schema_union_branch(us, 1));

    v = branch(&f, i < 0 ? AVRO_NULL : t);
    cr_assert_eq(i < 0                ? avro_value_set_null(&v)
                 : t == AVRO_INT64 ? avro_value_set_long(&v, i)
                                   : avro_value_set_int(&v, (int32_t)i),
                 0);
}

static void put_enum(avro_value_t *rec, const char *name, const char *sym) {
    avro_value_t v = get(rec, name);
    int i = avro_schema_enum_get_by_name(avro_value_get_schema(&v), sym);

    cr_assert_geq(i, 0, "no symbol %s", sym);
    cr_assert_eq(avro_value_set_enum(&v, i), 0);
}

static void put_cves(avro_value_t *rec, const am_event_t *ev) {
    avro_value_t arr = get(rec, "cves"), v;

    for (size_t i = 0; i < ev->n_cves; i++) {
        cr_assert_eq(avro_value_append(&arr, &v, NULL), 0);
        cr_assert_eq(avro_value_set_string(&v, ev->cves[i]), 0);
    }
}

/* Writes \p v (framed with \p schema_id when >= 0) into \p out. */
static void write_value(avro_value_t *v, int32_t schema_id, am_buf_t *out) {
    size_t size;
    char *bytes;
    avro_writer_t w;

    cr_assert_eq(avro_value_sizeof(v, &size), 0, "%s", avro_strerror());
    bytes = malloc(size + 1);
    w = avro_writer_memory(bytes, (int64_t)size);
    cr_assert_eq(avro_value_write(w, v), 0, "%s", avro_strerror());
    am_buf_reset(out);
    if (schema_id >= 0) {
        uint32_t id = (uint32_t)schema_id;
        char head[5] = {0, (char)(id >> 24), (char)(id >> 16),
                        (char)(id >> 8), (char)id};
        am_buf_append(out, head, 5);
    }
    am_buf_append(out, bytes, size);
    avro_writer_free(w);
    free(bytes);
}

/* A new generic value of \p s; free with free_value(). */
static avro_value_t new_value(avro_schema_t s) {
    avro_value_iface_t *iface = avro_generic_class_from_schema(s);
    avro_value_t v;

    cr_assert_not_null(iface);
    cr_assert_eq(avro_generic_value_new(iface, &v), 0);
    avro_value_iface_decref(iface);
    return v;
}

static void free_value(avro_value_t *v) {
    avro_value_decref(v);
}

/* The first observable of \p type in \p ev, or NULL. */
static const am_observable_t *first_obs(const am_event_t *ev,
                                        am_obs_type_t type) {
    for (size_t i = 0; i < ev->n_obs; i++)
        if (ev->obs[i].type == type)
            return &ev->obs[i];
    return NULL;
}

/*
 * The test-only event encoder: \p ev as a value of event.avsc (an
 * indicator's observables as they are; a scan's first ip, domain and asn
 * observables as ip, hostname and asn), in \p out.
 */
static void encode_event(const am_event_t *ev, int32_t schema_id,
                         am_buf_t *out) {
    avro_value_t u = new_value(schema(AM_AVRO_SCHEMA_EVENT)), rec;
    const am_observable_t *o;

    cr_assert_eq(avro_value_set_branch(&u, ev->kind == AM_EVENT_SCAN, &rec),
                 0);
    put_str(&rec, "id", ev->id);
    if (ev->kind == AM_EVENT_INDICATOR) {
        avro_value_t arr = get(&rec, "observables"), v;
        for (size_t i = 0; i < ev->n_obs; i++) {
            cr_assert_eq(avro_value_append(&arr, &v, NULL), 0);
            put_enum(&v, "type", am_obs_type_name(ev->obs[i].type));
            put_str(&v, "value", ev->obs[i].value);
        }
    } else {
        put_str(&rec, "ip", (o = first_obs(ev, AM_OBS_IP)) ? o->value : NULL);
        put_str(&rec, "hostname",
                (o = first_obs(ev, AM_OBS_DOMAIN)) ? o->value : NULL);
        o = first_obs(ev, AM_OBS_ASN);
        put_int(&rec, "asn", o ? (int64_t)o->asn : -1);
        put_int(&rec, "port", ev->port);
        put_str(&rec, "protocol", ev->protocol);
        put_str(&rec, "tag", ev->tag);
    }
    put_str(&rec, "category", ev->category);
    put_str(&rec, "severity", ev->severity);
    put_int(&rec, "confidence", ev->confidence);
    put_str(&rec, "source", ev->source);
    put_str(&rec, "tlp", ev->tlp);
    put_str(&rec, "time", ev->time);
    put_str(&rec, "valid_until", ev->valid_until);
    put_str(&rec, "description", ev->description);
    put_cves(&rec, ev);
    write_value(&u, schema_id, out);
    free_value(&u);
}

/* ---- test-only helpers: the Avro JSON form of a value ------------------ */

/* The name a union branch has in Avro's JSON encoding. */
static void branch_name(avro_schema_t s, char *out, size_t size) {
    s = resolve(s);
    if (is_avro_record(s) || is_avro_enum(s) || is_avro_fixed(s))
        snprintf(out, size, "%s%s%s",
                 avro_schema_namespace(s) ? avro_schema_namespace(s) : "",
                 avro_schema_namespace(s) ? "." : "", avro_schema_name(s));
    else
        snprintf(out, size, "%s", avro_schema_type_name(s));
}

/*
 * Fills \p v from \p j, the Avro JSON encoding of a value of its schema.
 * \p strict: exactly that encoding, every record field present.  Otherwise
 * (hand-written test input) a missing field is null, empty or the first
 * enum symbol, a union's branch may be named without its namespace, and a
 * value of [null, T] may stand bare.  Fails the test, naming \p path.
 */
static void from_json(json_t *j, avro_value_t *v, bool strict,
                      const char *path) {
    avro_schema_t s = resolve(avro_value_get_schema(v));
    char sub[512];

    switch (avro_typeof(s)) {
    case AVRO_NULL:
        cr_assert(json_is_null(j), "%s: not null", path);
        cr_assert_eq(avro_value_set_null(v), 0);
        break;
    case AVRO_BOOLEAN:
        cr_assert(json_is_boolean(j), "%s: not a boolean", path);
        cr_assert_eq(avro_value_set_boolean(v, json_is_true(j)), 0);
        break;
    case AVRO_INT32:
        cr_assert(json_is_integer(j) && json_integer_value(j) >= INT32_MIN &&
                      json_integer_value(j) <= INT32_MAX,
                  "%s: not an int", path);
        cr_assert_eq(avro_value_set_int(v, (int32_t)json_integer_value(j)),
                     0);
        break;
    case AVRO_INT64:
        cr_assert(json_is_integer(j), "%s: not a long", path);
        cr_assert_eq(avro_value_set_long(v, json_integer_value(j)), 0);
        break;
    case AVRO_STRING:
        cr_assert(json_is_string(j), "%s: not a string", path);
        cr_assert_eq(avro_value_set_string_len(v, json_string_value(j),
                                               json_string_length(j) + 1),
                     0);
        break;
    case AVRO_ENUM:
        cr_assert(json_is_string(j), "%s: not a symbol", path);
        cr_assert_geq(avro_schema_enum_get_by_name(s, json_string_value(j)), 0,
                      "%s: no symbol '%s' in %s", path, json_string_value(j),
                      avro_schema_name(s));
        cr_assert_eq(avro_value_set_enum(v, avro_schema_enum_get_by_name(
                                                s, json_string_value(j))),
                     0);
        break;
    case AVRO_ARRAY: {
        size_t i;
        json_t *item;
        cr_assert(json_is_array(j), "%s: not an array", path);
        json_array_foreach(j, i, item) {
            avro_value_t e;
            snprintf(sub, sizeof(sub), "%s[%zu]", path, i);
            cr_assert_eq(avro_value_append(v, &e, NULL), 0);
            from_json(item, &e, strict, sub);
        }
        break;
    }
    case AVRO_RECORD: {
        const char *key;
        json_t *val;
        cr_assert(json_is_object(j), "%s: not an object", path);
        json_object_foreach(j, key, val) {
            cr_assert_geq(avro_schema_record_field_get_index(s, key), 0,
                          "%s: %s has no field '%s'", path,
                          avro_schema_name(s), key);
        }
        for (size_t i = 0; i < avro_schema_record_size(s); i++) {
            const char *name = avro_schema_record_field_name(s, (int)i);
            avro_value_t f;
            json_t *fj = json_object_get(j, name);
            snprintf(sub, sizeof(sub), "%s%s%s", path, *path ? "." : "",
                     name);
            cr_assert(fj || !strict, "%s: missing", sub);
            cr_assert_eq(avro_value_get_by_index(v, i, &f, NULL), 0);
            if (fj)
                from_json(fj, &f, strict, sub);
            else if (avro_value_get_type(&f) == AVRO_UNION)
                from_json(json_null(), &f, strict, sub);
        }
        break;
    }
    case AVRO_UNION: {
        const char *key = NULL;
        json_t *val = NULL;
        char name[256];
        if (json_is_null(j)) {
            avro_value_t b = branch(v, AVRO_NULL);
            cr_assert_eq(avro_value_set_null(&b), 0);
            break;
        }
        if (json_is_object(j) && json_object_size(j) == 1) {
            void *it = json_object_iter(j);
            key = json_object_iter_key(it);
            val = json_object_iter_value(it);
        }
        for (size_t i = 0; i < avro_schema_union_size(s); i++) {
            avro_schema_t bs = avro_schema_union_branch(s, (int)i);
            avro_value_t b;
            branch_name(bs, name, sizeof(name));
            if (key && (strcmp(key, name) == 0 ||
                        (!strict &&
                         strcmp(key, avro_schema_type_name(resolve(bs))) ==
                             0) ||
                        (!strict && is_avro_named_type(resolve(bs)) &&
                         strcmp(key, avro_schema_name(resolve(bs))) == 0))) {
                cr_assert_eq(avro_value_set_branch(v, (int)i, &b), 0);
                from_json(val, &b, strict, path);
                return;
            }
        }
        cr_assert(!strict && avro_schema_union_size(s) == 2,
                  "%s: not a branch of the union", path);
        {
            avro_value_t b;
            cr_assert_eq(avro_value_set_branch(v, 1, &b), 0);
            from_json(j, &b, strict, path);
        }
        break;
    }
    default:
        cr_assert_fail("%s: type %s not used by our schemas", path,
                       avro_schema_type_name(s));
    }
}

/* The binary encoding of the Avro JSON \p text against \p s into \p out. */
static void json_to_avro(avro_schema_t s, const char *text, bool strict,
                         int32_t schema_id, am_buf_t *out) {
    json_error_t je;
    json_t *j = json_loads(text, 0, &je);
    avro_value_t v = new_value(s);

    cr_assert_not_null(j, "bad test JSON: %s: %s", je.text, text);
    from_json(j, &v, strict, "");
    write_value(&v, schema_id, out);
    free_value(&v);
    json_decref(j);
}

/* ---- decode fixture ---------------------------------------------------- */

static am_event_t src, ev;
static am_buf_t msg;
static char err[1024];

static void dsetup(void) {
    am_event_init(&src);
    am_event_init(&ev);
    am_buf_init(&msg);
    err[0] = '\0';
}

static void dteardown(void) {
    am_buf_free(&msg);
    am_event_free(&ev);
    am_event_free(&src);
}

TestSuite(avro_roundtrip, .init = dsetup, .fini = dteardown);
TestSuite(avro_reject, .init = dsetup, .fini = dteardown);

#define S(s) am_event_strdup(&src, s, strlen(s))
#define OBS(type, value)                                                      \
    cr_assert_eq(am_event_add_observable(&src, type, value, strlen(value),   \
                                         err, sizeof(err)),                  \
                 0, "%s", err)
#define CVE(id) cr_assert_eq(am_event_add_cve(&src, id, strlen(id)), 0)

static void full_indicator(void) {
    src.id = S("ind-1");
    src.kind = AM_EVENT_INDICATOR;
    OBS(AM_OBS_IP, "192.0.2.1");
    OBS(AM_OBS_CIDR, "2001:db8::/32");
    OBS(AM_OBS_DOMAIN, "www.Example.com.");
    OBS(AM_OBS_URL, "http://b\xc3\xbc" "cher.example/x?y=1");
    OBS(AM_OBS_EMAIL, "ceo@example.org");
    OBS(AM_OBS_ASN, "AS64500");
    src.category = S("malware");
    src.severity = S("high");
    src.confidence = 80;
    src.source = S("cert");
    src.tlp = S("TLP:AMBER");
    src.time = S("2026-01-01T00:00:00Z");
    src.valid_until = S("2026-02-01T00:00:00Z");
    src.description = S("C2 \"panel\"\n\tline 2 \xc3\xa9 \x01 \xe6\x97\xa5");
    CVE("CVE-2021-26855");
    CVE("CVE-2023-4966");
}

static void full_scan(void) {
    src.id = S("scan-1");
    src.kind = AM_EVENT_SCAN;
    OBS(AM_OBS_IP, "198.51.100.7");
    OBS(AM_OBS_DOMAIN, "mail.example.net");
    OBS(AM_OBS_ASN, "64501");
    src.port = 443;
    src.protocol = S("tcp");
    src.tag = S("exchange;CVE-2021-26855");
    src.time = S("2026-11-27T10:00:00Z");
    src.source = S("shadowserver");
    src.severity = S("critical");
    src.confidence = 0;
    CVE("CVE-2021-26855");
    CVE("CVE-2021-34473");
}

#define EXPECT_STR_OR_NULL(got, want, what)                                   \
    do {                                                                      \
        const char *g_ = (got), *w_ = (want);                                 \
        cr_expect((g_ == NULL) == (w_ == NULL), "%s: %s vs %s", what,        \
                  g_ ? g_ : "NULL", w_ ? w_ : "NULL");                        \
        cr_expect(!g_ || !w_ || strcmp(g_, w_) == 0, "%s: '%s' vs '%s'",     \
                  what, g_ ? g_ : "", w_ ? w_ : "");                          \
    } while (0)

/* \p got (decoded) says what \p want (encoded) said.  For scans the
 * encoder wrote the first ip, domain and asn, in that order, and tag CVEs
 * were added to want's own. */
static void expect_same(const am_event_t *got, const am_event_t *want) {
    EXPECT_STR_OR_NULL(got->id, want->id, "id");
    cr_expect_eq(got->kind, want->kind, "kind");
    cr_expect_str_eq(got->format, "avro");
    cr_assert_eq(got->n_obs, want->n_obs, "observables");
    for (size_t i = 0; i < got->n_obs; i++) {
        const am_observable_t *g = &got->obs[i], *w = &want->obs[i];
        cr_expect_eq(g->type, w->type, "obs %zu type", i);
        cr_expect_eq(g->target, w->target, "obs %zu target", i);
        EXPECT_STR_OR_NULL(g->host, w->host, "obs host");
        cr_expect_eq(g->asn, w->asn, "obs %zu asn", i);
        cr_expect_eq(memcmp(&g->prefix, &w->prefix, sizeof(g->prefix)), 0,
                     "obs %zu prefix", i);
        cr_expect_eq(g->host_len, w->host_len, "obs %zu host_len", i);
    }
    EXPECT_STR_OR_NULL(got->category, want->category, "category");
    EXPECT_STR_OR_NULL(got->severity, want->severity, "severity");
    EXPECT_STR_OR_NULL(got->source, want->source, "source");
    EXPECT_STR_OR_NULL(got->tlp, want->tlp, "tlp");
    EXPECT_STR_OR_NULL(got->time, want->time, "time");
    EXPECT_STR_OR_NULL(got->valid_until, want->valid_until, "valid_until");
    EXPECT_STR_OR_NULL(got->description, want->description, "description");
    cr_expect_eq(got->confidence, want->confidence, "confidence");
    cr_expect_eq(got->port, want->port, "port");
    EXPECT_STR_OR_NULL(got->protocol, want->protocol, "protocol");
    EXPECT_STR_OR_NULL(got->tag, want->tag, "tag");
    cr_assert_eq(got->n_cves, want->n_cves, "cves");
    for (size_t i = 0; i < got->n_cves; i++)
        cr_expect_str_eq(got->cves[i], want->cves[i], "cve %zu", i);
}

/* Observable values are compared as given, for indicators. */
static void expect_same_values(const am_event_t *got, const am_event_t *want) {
    for (size_t i = 0; i < got->n_obs && i < want->n_obs; i++)
        cr_expect_str_eq(got->obs[i].value, want->obs[i].value, "obs %zu",
                         i);
}

static int decode(void) {
    am_event_reset(&ev);
    err[0] = '\0';
    return am_decode_avro(msg.data, msg.len, &ev, err, sizeof(err));
}

static void expect_reject(const char *why) {
    cr_assert_eq(decode(), -1, "accepted; wanted: %s", why);
    cr_expect(strstr(err, why) != NULL, "'%s' not in '%s'", why, err);
}

/* ---- schemas ----------------------------------------------------------- */

Test(avro_schema, every_schema_loads) {
    cr_expect(is_avro_record(schema(AM_AVRO_SCHEMA_INDICATOR)));
    cr_expect(is_avro_record(schema(AM_AVRO_SCHEMA_SCAN_RESULT)));
    cr_expect(is_avro_union(schema(AM_AVRO_SCHEMA_EVENT)));
    cr_expect(is_avro_record(schema(AM_AVRO_SCHEMA_ASSET)));
    cr_expect(is_avro_record(schema(AM_AVRO_SCHEMA_NOTIFICATION)));
    cr_expect_str_eq(avro_schema_namespace(schema(AM_AVRO_SCHEMA_NOTIFICATION)),
                     "org.assetmatch");
    cr_expect_str_eq(am_avro_schema_file(AM_AVRO_SCHEMA_EVENT), "event.avsc");
}

/* event.avsc inlines the two record schemas unchanged. */
Test(avro_schema, event_is_the_union_of_the_records) {
    avro_schema_t u = schema(AM_AVRO_SCHEMA_EVENT);

    cr_assert_eq(avro_schema_union_size(u), 2);
    cr_expect(avro_schema_equal(avro_schema_union_branch(u, 0),
                                schema(AM_AVRO_SCHEMA_INDICATOR)));
    cr_expect(avro_schema_equal(avro_schema_union_branch(u, 1),
                                schema(AM_AVRO_SCHEMA_SCAN_RESULT)));
}

/* The notification's Observable is the indicator's. */
Test(avro_schema, one_observable_type) {
    avro_schema_t ind = schema(AM_AVRO_SCHEMA_INDICATOR);
    avro_schema_t nt = schema(AM_AVRO_SCHEMA_NOTIFICATION);

    cr_expect(avro_schema_equal(
        avro_schema_array_items(avro_schema_record_field_get(ind,
                                                             "observables")),
        avro_schema_record_field_get(nt, "observable")));
}

/* Checks the rules of schemas/README.md on the JSON text of a schema:
 * every field has a doc and a default, a union starts with null and
 * defaults to null, every named type has a doc, every enum a default. */
static void check_rules(json_t *t, const char *where) {
    size_t i;
    json_t *f, *type;
    char sub[512];

    if (json_is_array(t)) {
        json_array_foreach(t, i, f) check_rules(f, where);
        return;
    }
    if (!json_is_object(t))
        return;
    type = json_object_get(t, "type");
    if (json_is_string(type) &&
        (strcmp(json_string_value(type), "record") == 0 ||
         strcmp(json_string_value(type), "enum") == 0))
        cr_expect(json_is_string(json_object_get(t, "doc")), "%s: %s no doc",
                  where, json_string_value(json_object_get(t, "name")));
    if (json_is_string(type) && strcmp(json_string_value(type), "enum") == 0)
        cr_expect(json_is_string(json_object_get(t, "default")),
                  "%s: enum %s has no default", where,
                  json_string_value(json_object_get(t, "name")));
    if (json_is_string(type) && strcmp(json_string_value(type), "array") == 0)
        check_rules(json_object_get(t, "items"), where);
    json_array_foreach(json_object_get(t, "fields"), i, f) {
        json_t *ft = json_object_get(f, "type");
        snprintf(sub, sizeof(sub), "%s.%s", where,
                 json_string_value(json_object_get(f, "name")));
        cr_expect(json_is_string(json_object_get(f, "doc")), "%s: no doc",
                  sub);
        cr_expect(json_object_get(f, "default") != NULL, "%s: no default",
                  sub);
        if (json_is_array(ft)) {
            cr_expect_str_eq(json_string_value(json_array_get(ft, 0)), "null",
                             "%s: a union starts with null", sub);
            cr_expect(json_is_null(json_object_get(f, "default")),
                      "%s: a union defaults to null", sub);
        }
        check_rules(ft, sub);
    }
}

Test(avro_schema, every_field_has_doc_and_default) {
    for (int i = 0; i < AM_AVRO_SCHEMA__COUNT; i++) {
        char path[1024];
        json_error_t je;
        json_t *t;

        snprintf(path, sizeof(path), "%s/%s", AM_SCHEMA_DIR,
                 am_avro_schema_file(i));
        t = json_load_file(path, 0, &je);
        cr_assert_not_null(t, "%s: %s", path, je.text);
        check_rules(t, am_avro_schema_file(i));
        json_decref(t);
    }
}

Test(avro_schema, load_errors_name_the_file) {
    char path[] = "/tmp/am_avro_XXXXXX";
    int fd = mkstemp(path);

    cr_assert_null(am_avro_schema_load_file("/nonexistent/x.avsc", err,
                                            sizeof(err)));
    cr_expect(strstr(err, "/nonexistent/x.avsc") != NULL, "%s", err);
    cr_assert_geq(fd, 0);
    cr_assert_eq(write(fd, "{\"type\": \"record\"}", 18), 18);
    close(fd);
    cr_assert_null(am_avro_schema_load_file(path, err, sizeof(err)));
    cr_expect(strstr(err, path) != NULL, "%s", err);
    cr_expect(strstr(err, "name") != NULL, "%s", err);
    unlink(path);
}

/* Copies schemas/ into a new temporary directory (returned in \p dir). */
static void copy_schemas(char *dir) {
    char cmd[1024];

    cr_assert_not_null(mkdtemp(dir));
    snprintf(cmd, sizeof(cmd), "cp %s/*.avsc %s/", AM_SCHEMA_DIR, dir);
    cr_assert_eq(system(cmd), 0);
}

static void remove_dir(const char *dir) {
    char cmd[1024];

    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    cr_assert_eq(system(cmd), 0);
}

/* A broken schema file is reported, with its path, by every user. */
Test(avro_schema, broken_file_reported_by_decoder_and_encoder) {
    char dir[] = "/tmp/am_avro_XXXXXX", path[1024];
    am_event_t e;
    FILE *f;

    copy_schemas(dir);
    snprintf(path, sizeof(path), "%s/event.avsc", dir);
    cr_assert_not_null(f = fopen(path, "w"));
    fputs("[\"org.assetmatch.Nothing\"]", f);
    fclose(f);
    cr_assert_eq(am_avro_schema_set_dir(dir), 0);
    cr_assert_null(am_avro_schema_get(AM_AVRO_SCHEMA_EVENT, err, sizeof(err)));
    cr_expect(strstr(err, path) != NULL, "%s", err);
    cr_expect_eq(am_avro_schema_set_dir(AM_SCHEMA_DIR), -1, "too late");
    /* The others still load. */
    cr_expect_not_null(
        am_avro_schema_get(AM_AVRO_SCHEMA_NOTIFICATION, err, sizeof(err)));
    am_event_init(&e);
    cr_expect_eq(am_decode_avro("\x02", 1, &e, err, sizeof(err)), -1);
    cr_expect(strstr(err, path) != NULL, "%s", err);
    am_event_free(&e);
    remove_dir(dir);
}

/* event.avsc must inline indicator.avsc unchanged. */
Test(avro_schema, event_differing_from_indicator_is_refused) {
    char dir[] = "/tmp/am_avro_XXXXXX", path[1024];
    json_t *t, *fields;
    json_error_t je;

    copy_schemas(dir);
    /* Drop the indicator's last field from indicator.avsc only. */
    snprintf(path, sizeof(path), "%s/indicator.avsc", dir);
    cr_assert_not_null(t = json_load_file(path, 0, &je), "%s", je.text);
    fields = json_object_get(t, "fields");
    cr_assert_eq(json_array_remove(fields, json_array_size(fields) - 1), 0);
    cr_assert_eq(json_dump_file(t, path, 0), 0);
    json_decref(t);
    cr_assert_eq(am_avro_schema_set_dir(dir), 0);
    cr_expect_not_null(
        am_avro_schema_get(AM_AVRO_SCHEMA_INDICATOR, err, sizeof(err)));
    cr_assert_null(am_avro_schema_get(AM_AVRO_SCHEMA_EVENT, err, sizeof(err)));
    cr_expect(strstr(err, "branch 0 differs from indicator.avsc") != NULL,
              "%s", err);
    remove_dir(dir);
}

/* ---- round trips --------------------------------------------------------- */

Test(avro_roundtrip, indicator_bare) {
    full_indicator();
    encode_event(&src, -1, &msg);
    cr_expect_eq((unsigned char)msg.data[0], 0, "union index 0");
    cr_assert_eq(decode(), 0, "%s", err);
    expect_same(&ev, &src);
    expect_same_values(&ev, &src);
}

Test(avro_roundtrip, indicator_framed) {
    full_indicator();
    encode_event(&src, 0x01020304, &msg);
    cr_expect_eq(memcmp(msg.data, "\0\1\2\3\4\0", 6), 0);
    cr_assert_eq(decode(), 0, "%s", err);
    expect_same(&ev, &src);
    expect_same_values(&ev, &src);
}

Test(avro_roundtrip, scan_bare_and_framed) {
    full_scan();
    encode_event(&src, -1, &msg);
    cr_expect_eq((unsigned char)msg.data[0], 2, "union index 1");
    cr_assert_eq(decode(), 0, "%s", err);
    expect_same(&ev, &src);
    cr_expect_str_eq(ev.obs[2].value, "64501");
    encode_event(&src, 7, &msg);
    cr_assert_eq(decode(), 0, "%s", err);
    expect_same(&ev, &src);
}

/* Nulls stay absent: NULL strings, confidence and port -1. */
Test(avro_roundtrip, minimal_events) {
    src.id = S("i");
    OBS(AM_OBS_DOMAIN, "example.com");
    encode_event(&src, -1, &msg);
    cr_assert_eq(decode(), 0, "%s", err);
    expect_same(&ev, &src);
    cr_expect_null(ev.category);
    cr_expect_eq(ev.confidence, -1);
    cr_expect_eq(ev.port, -1);

    am_event_reset(&src);
    src.id = S("s");
    src.kind = AM_EVENT_SCAN;
    OBS(AM_OBS_ASN, "0");
    encode_event(&src, 0, &msg);
    cr_assert_eq(decode(), 0, "%s", err);
    expect_same(&ev, &src);
}

/* A scan's CVEs are its own and those in its tag, as in JSON. */
Test(avro_roundtrip, scan_cves_from_tag) {
    full_scan();
    src.tag = S("cve-2020-1472 and CVE-2021-44228");
    encode_event(&src, -1, &msg);
    cr_assert_eq(decode(), 0, "%s", err);
    cr_assert_eq(ev.n_cves, 4);
    cr_expect_str_eq(ev.cves[0], "CVE-2020-1472");
    cr_expect_str_eq(ev.cves[1], "CVE-2021-44228");
    cr_expect_str_eq(ev.cves[2], "CVE-2021-26855");
    cr_expect_str_eq(ev.cves[3], "CVE-2021-34473");
}

/* The Avro event says what the same JSON event says. */
Test(avro_roundtrip, same_as_json) {
    static const char json[] =
        "{\"id\":\"ind-9\",\"kind\":\"indicator\",\"observables\":["
        "{\"type\":\"url\",\"value\":\"http://www.Example.com/x\"},"
        "{\"type\":\"ip\",\"value\":\"192.0.2.1\"}],"
        "\"category\":\"phishing\",\"confidence\":5,\"tlp\":\"TLP:RED\","
        "\"cves\":[\"cve-2021-26855\"]}";

    cr_assert_eq(am_decode_json(json, strlen(json), &src, err, sizeof(err)),
                 0, "%s", err);
    encode_event(&src, -1, &msg);
    cr_assert_eq(decode(), 0, "%s", err);
    expect_same(&ev, &src);
    expect_same_values(&ev, &src);
}

static uint64_t rng = 0x9e3779b97f4a7c15ULL;

static uint32_t rnd(uint32_t n) {
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)(rng % n);
}

static const char *maybe(const char *const *pool, size_t n) {
    uint32_t i = rnd((uint32_t)n + 1);
    return i == n ? NULL : S(pool[i]);
}

/* Random events with random fields present: fixed seed. */
Test(avro_roundtrip, random_events) {
    static const char *const text[] = {
        "", "x", "malware", "TLP:AMBER+STRICT", "caf\xc3\xa9 \xf0\x9f\x98\x80",
        "quote \" backslash \\ tab \t", "2026-01-01T00:00:00Z"};
    static const struct {
        am_obs_type_t type;
        const char *value;
    } pool[] = {
        {AM_OBS_IP, "10.0.0.1"},          {AM_OBS_IP, "::ffff:192.0.2.9"},
        {AM_OBS_CIDR, "198.51.100.0/24"}, {AM_OBS_DOMAIN, "a.b.example"},
        {AM_OBS_DOMAIN, "xn--bcher-kva.example"},
        {AM_OBS_URL, "https://evil.example:8443/p"},
        {AM_OBS_EMAIL, "x@mail.example"}, {AM_OBS_ASN, "AS4200000000"},
        {AM_OBS_IP, "2001:db8::1"},
    };
    static const char *const cves[] = {"CVE-2021-26855", "CVE-2019-0708",
                                       "CVE-2024-3400"};

    for (int n = 0; n < 300; n++) {
        size_t k = 1 + rnd(6);
        am_event_reset(&src);
        src.id = S(n % 2 ? "evt-\xc3\xa9" : "e");
        src.kind = rnd(2) ? AM_EVENT_SCAN : AM_EVENT_INDICATOR;
        if (src.kind == AM_EVENT_SCAN) {
            const char *ip = pool[rnd(2)].value;
            OBS(AM_OBS_IP, ip);
            src.port = (int)rnd(65536) - (int)rnd(2);
            src.protocol = maybe(text, 2);
            src.tag = maybe(text, 7);
        } else {
            for (size_t i = 0; i < k; i++) {
                size_t p = rnd(9);
                OBS(pool[p].type, pool[p].value);
            }
        }
        src.category = maybe(text, 7);
        src.severity = maybe(text, 7);
        src.source = maybe(text, 7);
        src.tlp = maybe(text, 7);
        src.time = maybe(text, 7);
        src.valid_until = maybe(text, 7);
        src.description = maybe(text, 7);
        src.confidence = (int)rnd(102) - 1;
        k = rnd(4);
        for (size_t i = 0; i < k; i++)
            CVE(cves[i]);
        encode_event(&src, rnd(2) ? -1 : (int32_t)rnd(1000), &msg);
        cr_assert_eq(decode(), 0, "event %d: %s", n, err);
        expect_same(&ev, &src);
    }
}

/* ---- rejects ------------------------------------------------------------- */

/* Every prefix of a good message is rejected, without a crash or leak. */
static void every_prefix_rejected(int32_t schema_id) {
    am_buf_t whole;

    encode_event(&src, schema_id, &msg);
    cr_assert_eq(decode(), 0, "%s", err);
    am_buf_init(&whole);
    am_buf_append(&whole, msg.data, msg.len);
    for (size_t n = 0; n < whole.len; n++) {
        am_event_reset(&ev);
        err[0] = '\0';
        cr_assert_eq(am_decode_avro(whole.data, n, &ev, err, sizeof(err)), -1,
                     "prefix of %zu bytes accepted", n);
        cr_expect_neq(err[0], '\0', "no reason at %zu", n);
    }
    am_buf_free(&whole);
}

Test(avro_reject, truncated_at_every_length) {
    full_indicator();
    every_prefix_rejected(-1);
    every_prefix_rejected(42);
    am_event_reset(&src);
    full_scan();
    every_prefix_rejected(-1);
    every_prefix_rejected(0);
}

Test(avro_reject, truncated_says_where) {
    full_indicator();
    encode_event(&src, -1, &msg);
    msg.len = 40; /* in the third observable's value */
    expect_reject("field 'observables[2].value': truncated (16 bytes, 4 left)");
}

Test(avro_reject, wrong_union_index) {
    full_scan();
    encode_event(&src, -1, &msg);
    msg.data[0] = 4; /* index 2 */
    expect_reject("union index 2 out of range 0..1");
    msg.data[0] = 1; /* index -1 */
    expect_reject("union index -1 out of range");
    encode_event(&src, 5, &msg);
    msg.data[5] = 4;
    expect_reject("union index 2");
}

Test(avro_reject, trailing_bytes) {
    full_scan();
    encode_event(&src, 3, &msg);
    am_buf_append(&msg, "\0\0", 2);
    expect_reject("2 bytes after the end of the record");
}

Test(avro_reject, empty_message) {
    msg.len = 0;
    expect_reject("empty message");
}

/* Writes the Avro JSON \p j (hand-written, see from_json) into msg. */
static void event_json(const char *j, int32_t schema_id) {
    json_to_avro(schema(AM_AVRO_SCHEMA_EVENT), j, false, schema_id, &msg);
}

Test(avro_reject, field_errors_name_the_field) {
    event_json("{\"Indicator\": {\"id\": \"i\", \"observables\": ["
               "{\"type\": \"ip\", \"value\": \"192.0.2.1\"},"
               "{\"type\": \"domain\", \"value\": \"example.com\"},"
               "{\"type\": \"ip\", \"value\": \"1.2.3\"}]}}",
               -1);
    expect_reject("field 'observables[2].value': bad ip '1.2.3'");
    event_json("{\"Indicator\": {\"id\": \"i\", \"observables\": ["
               "{\"type\": \"unknown\", \"value\": \"x\"}]}}",
               9);
    expect_reject("field 'observables[0].type': 'unknown' is not a type");
    event_json("{\"Indicator\": {\"id\": \"i\", \"observables\": []}}", -1);
    expect_reject("no observable");
    event_json("{\"Indicator\": {\"id\": \"\", \"observables\": ["
               "{\"type\": \"ip\", \"value\": \"192.0.2.1\"}]}}",
               -1);
    expect_reject("field 'id': missing");
    event_json("{\"Indicator\": {\"id\": \"i\", \"confidence\": 101, "
               "\"observables\": [{\"type\": \"ip\", \"value\": \"::1\"}]}}",
               -1);
    expect_reject("field 'confidence': 101 out of range 0..100");
    event_json("{\"ScanResult\": {\"id\": \"s\", \"ip\": \"192.0.2.1\", "
               "\"port\": 65536}}",
               -1);
    expect_reject("field 'port': 65536 out of range 0..65535");
    event_json("{\"ScanResult\": {\"id\": \"s\", \"asn\": 4294967296}}", -1);
    expect_reject("field 'asn': 4294967296 out of range");
    event_json("{\"ScanResult\": {\"id\": \"s\", \"hostname\": \"a..b\"}}",
               -1);
    expect_reject("field 'hostname': bad domain 'a..b'");
    event_json("{\"ScanResult\": {\"id\": \"s\", \"ip\": \"\", "
               "\"hostname\": \"\"}}",
               -1);
    expect_reject("no observable");
}

Test(avro_reject, too_many_cves) {
    json_t *j = json_pack("{s:{s:s,s:s,s:[]}}", "ScanResult", "id", "s", "ip",
                          "192.0.2.1", "cves");
    json_t *arr = json_object_get(json_object_get(j, "ScanResult"), "cves");
    char id[32], *text;

    for (int i = 0; i <= AM_EVENT_MAX_CVES; i++) {
        snprintf(id, sizeof(id), "CVE-2020-%04d", 1000 + i);
        json_array_append_new(arr, json_string(id));
    }
    text = json_dumps(j, 0);
    event_json(text, -1);
    expect_reject("field 'cves[64]'");
    free(text);
    json_decref(j);
}

/* Bytes that only a hand-made message has. */
Test(avro_reject, bad_bytes) {
    /* ScanResult, id of length -1. */
    am_buf_reset(&msg);
    am_buf_append(&msg, "\x02\x01", 2);
    expect_reject("field 'id': negative length -1");
    /* A string longer than the message. */
    am_buf_reset(&msg);
    am_buf_append(&msg, "\x02\xfe\xff\xff\xff\x0f", 6);
    expect_reject("field 'id': truncated");
    /* A varint of 11 bytes. */
    am_buf_reset(&msg);
    am_buf_append(&msg, "\x02\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01",
                  12);
    expect_reject("field 'id': varint longer than 64 bits");
    /* Framed Indicators from here on: "\0" id 1, "\0" Indicator, id "id". */
#define HEAD "\x00\x00\x00\x00\x01\x00\x04id"
    /* An array of 2^62 - 1 observables. */
    am_buf_reset(&msg);
    am_buf_append(&msg, HEAD "\xfe\xff\xff\xff\xff\xff\xff\xff\x7f", 18);
    expect_reject("field 'observables': truncated (4611686018427387903 items");
    /* A negative block count with a bad size. */
    am_buf_reset(&msg);
    am_buf_append(&msg, HEAD "\x01\x01", 11);
    expect_reject("field 'observables': bad block size -1");
    /* Enum index 9 of 7 symbols. */
    am_buf_reset(&msg);
    am_buf_append(&msg, HEAD "\x02\x12", 11);
    expect_reject("field 'observables[0].type': enum index 9 out of range");
#undef HEAD
}

Test(avro_reject, strings_must_be_utf8_without_nul) {
    full_indicator();
    src.description = S("ok \xe9 not");
    encode_event(&src, -1, &msg);
    expect_reject("field 'description': not UTF-8 (byte 3)");
    src.description = S("x");
    src.tlp = "TLP\0";
    encode_event(&src, -1, &msg);
    /* The encoder wrote "TLP"; put the NUL in by hand. */
    cr_assert_not_null(memmem(msg.data, msg.len, "TLP", 3));
    memcpy(memmem(msg.data, msg.len, "TLP", 3) + 2, "\0", 1);
    expect_reject("field 'tlp': NUL byte at 2");
}

/* A message starting with 0 that is not framed is read as bare. */
Test(avro_reject, bare_indicator_not_taken_as_framed) {
    full_indicator();
    encode_event(&src, -1, &msg);
    cr_assert_eq(decode(), 0, "%s", err);
    msg.len--;
    cr_assert_eq(decode(), -1);
    cr_expect(strstr(err, "truncated") != NULL, "%s", err);
}

/* Random bytes and mutated messages: an answer, never a crash or a leak. */
Test(avro_reject, garbage_never_crashes) {
    am_buf_t good;
    char buf[256];

    full_indicator();
    am_buf_init(&good);
    encode_event(&src, 1, &good);
    for (int n = 0; n < 20000; n++) {
        size_t len = rnd(sizeof(buf));
        int rc;
        if (n % 2) {
            for (size_t i = 0; i < len; i++)
                buf[i] = (char)rnd(256);
            buf[0] = (char)(rnd(3) * 2 * (n % 3 != 0));
        } else {
            len = good.len < sizeof(buf) ? good.len : sizeof(buf);
            memcpy(buf, good.data, len);
            for (int k = 0; k < 1 + n % 4; k++)
                buf[rnd((uint32_t)len)] = (char)rnd(256);
            len -= rnd(3);
        }
        am_event_reset(&ev);
        rc = am_decode_avro(buf, len, &ev, err, sizeof(err));
        cr_assert(rc == 0 || rc == -1);
        cr_assert(rc == -1 || (ev.n_obs > 0 && ev.id && *ev.id));
    }
    am_buf_free(&good);
}

/* am_decode_avro() (its fast reader first) and the schema walk alone say
 * the same of \p m: both take it, alike, or both refuse it, for the same
 * reason. */
static void expect_walk_agrees(const char *m, size_t len, am_event_t *walked,
                               const char *what, size_t at) {
    char why[1024];
    int rc, rc_walked;

    am_event_reset(&ev);
    am_event_reset(walked);
    err[0] = why[0] = '\0';
    rc = am_decode_avro(m, len, &ev, err, sizeof(err));
    rc_walked = am_decode_avro_walked(m, len, walked, why, sizeof(why));
    cr_assert_eq(rc, rc_walked, "%s at %zu: %d (%s) vs the walk's %d (%s)",
                 what, at, rc, err, rc_walked, why);
    if (rc < 0) {
        cr_assert_str_eq(err, why, "%s at %zu", what, at);
        return;
    }
    expect_same(&ev, walked);
    expect_same_values(&ev, walked);
}

Test(avro_reject, fast_reader_agrees_with_the_walk) {
    static const uint8_t values[] = {0x00, 0x01, 0x02, 0x03, 0x7f,
                                     0x80, 0xc3, 0xfe, 0xff};
    am_event_t walked;
    am_buf_t good;
    char buf[512];

    am_event_init(&walked);
    am_buf_init(&good);
    for (int e = 0; e < 4; e++) {
        am_event_reset(&src);
        if (e < 2)
            full_indicator();
        else
            full_scan();
        encode_event(&src, e % 2 ? 7 : -1, &good);
        cr_assert_lt(good.len, sizeof(buf));
        expect_walk_agrees(good.data, good.len, &walked, "whole", 0);
        cr_assert_eq(ev.n_obs, src.n_obs);
        for (size_t n = 0; n < good.len; n++)
            expect_walk_agrees(good.data, n, &walked, "cut", n);
        for (size_t i = 0; i < good.len; i++) {
            for (size_t k = 0; k <= sizeof(values); k++) {
                memcpy(buf, good.data, good.len);
                buf[i] = k < sizeof(values) ? (char)values[k]
                                            : (char)(buf[i] ^ 0x01);
                expect_walk_agrees(buf, good.len, &walked, "byte", i);
            }
        }
        for (int r = 0; r < 3000; r++) {
            memcpy(buf, good.data, good.len);
            for (int k = 0; k < 2 + r % 3; k++)
                buf[rnd((uint32_t)good.len)] = (char)rnd(256);
            expect_walk_agrees(buf, good.len, &walked, "bytes", (size_t)r);
        }
    }
    am_buf_free(&good);
    am_event_free(&walked);
}

/* An array block may give its byte size (a negative count): the fast
 * reader leaves such a message to the walk, which takes it. */
Test(avro_roundtrip, array_block_with_byte_size) {
    static const char m[] = {
        0x00,                         /* Indicator */
        0x06, 'n', '-', '1',          /* id */
        0x01, 0x16,                   /* observables: 1 item, 11 bytes */
        0x00, 0x12, '1', '9', '2', '.', '0', '.', '2', '.', '1',
        0x00,                         /* end of observables */
        0, 0, 0, 0, 0, 0, 0, 0,       /* category .. description: null */
        0x00,                         /* cves: none */
    };
    /* The same with a confidence past an int's range. */
    static const char wide[] = {
        0x00, 0x06, 'n', '-', '1', 0x02, 0x00, 0x12, '1', '9', '2', '.',
        '0', '.', '2', '.', '1', 0x00, 0, 0,
        0x02, (char)0x80, (char)0x80, (char)0x80, (char)0x80, 0x10,
        0, 0, 0, 0, 0, 0x00,
    };
    am_event_t walked;

    am_event_init(&walked);
    expect_walk_agrees(wide, sizeof(wide), &walked, "wide", 0);
    cr_assert(strstr(err, "field 'confidence': 2147483648 out of range"),
              "%s", err);
    expect_walk_agrees(m, sizeof(m), &walked, "whole", 0);
    cr_assert_str_eq(ev.id, "n-1");
    cr_assert_eq(ev.n_obs, 1);
    cr_assert_str_eq(ev.obs[0].value, "192.0.2.1");
    am_event_free(&walked);
}

/* Each thread has its reader; they decode at once. */
static void *decode_many(void *arg) {
    const am_buf_t *m = arg;
    am_event_t e;
    char why[256];
    long bad = 0;

    am_event_init(&e);
    for (int i = 0; i < 2000; i++) {
        am_event_reset(&e);
        bad += am_decode_avro(m->data, m->len, &e, why, sizeof(why)) != 0 ||
               strcmp(e.id, "scan-1") != 0;
    }
    am_event_free(&e);
    return (void *)bad;
}

Test(avro_roundtrip, threads) {
    pthread_t t[4];
    void *bad;

    full_scan();
    encode_event(&src, 3, &msg);
    for (int i = 0; i < 4; i++)
        cr_assert_eq(pthread_create(&t[i], NULL, decode_many, &msg), 0);
    for (int i = 0; i < 4; i++) {
        cr_assert_eq(pthread_join(t[i], &bad), 0);
        cr_expect_null(bad, "thread %d", i);
    }
}

/* ---- examples ------------------------------------------------------------ */

static char *read_text(const char *path) {
    FILE *f = fopen(path, "rb");
    char *text;
    long n;

    cr_assert_not_null(f, "%s", path);
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    rewind(f);
    text = calloc(1, (size_t)n + 1);
    cr_assert_eq(fread(text, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    return text;
}

/* Each example validates against its schema (strictly, in Avro's JSON
 * encoding); the event examples also decode. */
Test(avro_roundtrip, examples) {
    static const struct {
        const char *file;
        am_avro_schema_id_t id;
        int branch; /* of event.avsc, or -1 */
    } ex[] = {
        {"indicator.json", AM_AVRO_SCHEMA_INDICATOR, 0},
        {"scan_result.json", AM_AVRO_SCHEMA_SCAN_RESULT, 1},
        {"event.json", AM_AVRO_SCHEMA_EVENT, -1},
        {"asset.json", AM_AVRO_SCHEMA_ASSET, -1},
        {"notification.json", AM_AVRO_SCHEMA_NOTIFICATION, -1},
    };
    char path[1024];
    size_t found = 0;
    DIR *d;
    struct dirent *de;

    for (size_t i = 0; i < sizeof(ex) / sizeof(ex[0]); i++) {
        char *text;
        snprintf(path, sizeof(path), "%s/examples/%s", AM_SCHEMA_DIR,
                 ex[i].file);
        text = read_text(path);
        json_to_avro(schema(ex[i].id), text, true, -1, &msg);
        if (ex[i].id == AM_AVRO_SCHEMA_EVENT) {
            cr_assert_eq(decode(), 0, "%s: %s", ex[i].file, err);
        }
        if (ex[i].branch >= 0) {
            /* The record as a branch of the event union. */
            am_buf_t rec;
            am_buf_init(&rec);
            am_buf_append(&rec, msg.data, msg.len);
            am_buf_reset(&msg);
            am_buf_putc(&msg, (char)(2 * ex[i].branch));
            am_buf_append(&msg, rec.data, rec.len);
            am_buf_free(&rec);
            cr_assert_eq(decode(), 0, "%s: %s", ex[i].file, err);
            cr_expect_eq(ev.kind, ex[i].branch == 0 ? AM_EVENT_INDICATOR
                                                    : AM_EVENT_SCAN);
        }
        free(text);
    }
    /* No example without a test. */
    snprintf(path, sizeof(path), "%s/examples", AM_SCHEMA_DIR);
    cr_assert_not_null(d = opendir(path));
    while ((de = readdir(d)))
        found += strstr(de->d_name, ".json") != NULL;
    closedir(d);
    cr_expect_eq(found, sizeof(ex) / sizeof(ex[0]));
}

/* ---- encode_avro --------------------------------------------------------- */

static am_inventory_t *inv;
static am_matcher_t *m;
static am_match_ctx_t *ctx;
static am_buf_t out;
static avro_value_t nv; /* the notification read back */
static bool have_nv;

static void add(const char *tenant, const char *id, const char *kind,
                const char *value) {
    am_asset_input_t in = {tenant, strlen(tenant), id,    strlen(id),
                           kind,   strlen(kind),   value, strlen(value),
                           NULL,   0,              NULL,  0};

    cr_assert_eq(am_inventory_add(inv, &in, err, sizeof(err)), 0, "%s", err);
}

static void esetup(void) {
    inv = am_inventory_new();
    cr_assert_not_null(inv);
    add("acme", "a1", "ip", "192.0.2.0/24");
    add("acme", "a2", "ip", "192.0.2.1");
    add("acme", "a3", "domain", "example.com");
    add("globex", "g1", "asn", "AS64500");
    add("initech", "caf\xe9 \"1\"", "domain", "initech.example");
    m = am_matcher_build(inv, &(am_matcher_opts_t){0}, err, sizeof(err));
    cr_assert_not_null(m, "%s", err);
    ctx = am_match_ctx_new();
    am_event_init(&ev);
    am_buf_init(&out);
    have_nv = false;
}

static void eteardown(void) {
    if (have_nv)
        free_value(&nv);
    am_buf_free(&out);
    am_event_free(&ev);
    am_match_ctx_destroy(ctx);
    am_matcher_destroy(m);
    am_inventory_destroy(inv);
}

TestSuite(encode_avro, .init = esetup, .fini = eteardown);

static int match(const char *json, const am_match_result_t **res) {
    int n;

    am_event_reset(&ev);
    cr_assert_eq(am_decode_json(json, strlen(json), &ev, err, sizeof(err)), 0,
                 "%s", err);
    n = am_matcher_match(m, ctx, &ev, res);
    cr_assert_geq(n, 0);
    return n;
}

/* Encodes \p nt bare and reads it back into nv with the generic reader. */
static avro_value_t *encode_read(const am_notification_t *nt) {
    avro_reader_t r;
    size_t size;

    am_buf_reset(&out);
    cr_assert_eq(am_encode_avro(&out, nt, -1, err, sizeof(err)), 0, "%s",
                 err);
    if (have_nv)
        free_value(&nv);
    nv = new_value(schema(AM_AVRO_SCHEMA_NOTIFICATION));
    have_nv = true;
    r = avro_reader_memory(out.data, (int64_t)out.len);
    cr_assert_eq(avro_value_read(r, &nv), 0, "%s", avro_strerror());
    avro_reader_free(r);
    cr_assert_eq(avro_value_sizeof(&nv, &size), 0);
    cr_expect_eq(size, out.len, "bytes left over");
    return &nv;
}

/* The value of field \p name, through a union; type AVRO_NULL when null. */
static avro_value_t val(const avro_value_t *rec, const char *name) {
    avro_value_t f = get(rec, name), b;

    if (avro_value_get_type(&f) != AVRO_UNION)
        return f;
    cr_assert_eq(avro_value_get_current_branch(&f, &b), 0);
    return b;
}

static const char *str_of(const avro_value_t *v) {
    const char *s;
    size_t n;

    if (avro_value_get_type(v) != AVRO_STRING)
        return NULL;
    cr_assert_eq(avro_value_get_string(v, &s, &n), 0);
    cr_assert_eq(strlen(s) + 1, n, "NUL inside");
    return s;
}

static const char *enum_of(const avro_value_t *v) {
    int i;

    cr_assert_eq(avro_value_get_type(v), AVRO_ENUM);
    cr_assert_eq(avro_value_get_enum(v, &i), 0);
    return avro_schema_enum_get(avro_value_get_schema(v), i);
}

#define F_STR(rec, name, want)                                                \
    do {                                                                      \
        avro_value_t v_ = val(rec, name);                                     \
        EXPECT_STR_OR_NULL(str_of(&v_), want, name);                          \
    } while (0)
#define F_NULL(rec, name)                                                     \
    do {                                                                      \
        avro_value_t v_ = val(rec, name);                                     \
        cr_expect_eq(avro_value_get_type(&v_), AVRO_NULL, "%s", name);        \
    } while (0)
#define F_ENUM(rec, name, want)                                               \
    do {                                                                      \
        avro_value_t v_ = val(rec, name);                                     \
        cr_expect_str_eq(enum_of(&v_), want, "%s", name);                     \
    } while (0)
#define F_INT(rec, name, want)                                                \
    do {                                                                      \
        avro_value_t v_ = val(rec, name);                                     \
        int32_t i_ = -1;                                                      \
        cr_expect_eq(avro_value_get_int(&v_, &i_), 0, "%s", name);            \
        cr_expect_eq(i_, want, "%s", name);                                   \
    } while (0)

static void expect_observable(const avro_value_t *rec, const char *type,
                              const char *value) {
    avro_value_t o = val(rec, "observable");

    F_ENUM(&o, "type", type);
    F_STR(&o, "value", value);
}

static void expect_asset(const avro_value_t *rec, const char *id,
                         const char *kind, const char *value,
                         const char *match_kind) {
    F_STR(rec, "asset_id", id);
    F_ENUM(rec, "asset_kind", kind);
    F_STR(rec, "asset_value", value);
    F_ENUM(rec, "match_kind", match_kind);
}

static const char indicator[] =
    "{\"id\":\"ind-1\",\"kind\":\"indicator\",\"observables\":["
    "{\"type\":\"url\",\"value\":\"http://www.Example.com/x\"},"
    "{\"type\":\"ip\",\"value\":\"192.0.2.1\"},"
    "{\"type\":\"asn\",\"value\":\"AS64500\"}],"
    "\"category\":\"malware\",\"severity\":\"high\",\"confidence\":80,"
    "\"source\":\"cert\",\"tlp\":\"amber\",\"time\":\"2026-01-01T00:00:00Z\","
    "\"valid_until\":\"2026-02-01T00:00:00Z\","
    "\"description\":\"C2 \\\"panel\\\"\\n\\tline 2 \\u00e9 \\u0001\","
    "\"cves\":[\"CVE-2021-26855\"]}";

Test(encode_avro, every_field) {
    const am_match_result_t *res;
    char id[AM_UUID_STRLEN];
    avro_value_t *n, a, e, o, c;
    size_t size;

    cr_assert_eq(match(indicator, &res), 2);
    ev.taxonomy = "malicious-code";
    ev.type = "c2-server";
    ev.identifier = "cobaltstrike";
    ev.n6_category = "cnc";
    ev.feed = "cert-feed";
    ev.report_type = "event4_sinkhole";
    ev.context = "{\"destination.ip\":\"203.0.113.5\"}";
    n = encode_read(&(am_notification_t){
        .inv = inv,
        .ev = &ev,
        .result = &res[0],
        .origin = &(am_origin_t){"indicators", 3, 1234567890123LL},
        .match_time = "2026-11-27T22:05:00Z"});
    cr_assert_eq(avro_value_get_size(n, &size), 0);
    cr_expect_eq(size, 32, "fields");
    am_notification_id("acme", "ind-1", id);
    {
        avro_value_t total = val(n, "matched_assets_total");
        int64_t t = -1;
        cr_expect_eq(avro_value_get_long(&total, &t), 0);
        cr_expect_eq(t, (int64_t)res[0].n_hits);
    }
    F_STR(n, "notification_id", id);
    F_STR(n, "tenant_id", "acme");
    F_STR(n, "event_id", "ind-1");
    F_ENUM(n, "event_kind", "indicator");
    expect_observable(n, "ip", "192.0.2.1");
    expect_asset(n, "a2", "ip", "192.0.2.1", "ip_exact");
    a = val(n, "matched_asset_ids");
    cr_assert_eq(avro_value_get_size(&a, &size), 0);
    cr_assert_eq(size, 3);
    cr_assert_eq(avro_value_get_by_index(&a, 2, &e, NULL), 0);
    cr_expect_str_eq(str_of(&e), "a3");
    a = val(n, "matched_assets");
    cr_assert_eq(avro_value_get_size(&a, &size), 0);
    cr_assert_eq(size, 3);
    cr_assert_eq(avro_value_get_by_index(&a, 0, &e, NULL), 0);
    expect_asset(&e, "a2", "ip", "192.0.2.1", "ip_exact");
    expect_observable(&e, "ip", "192.0.2.1");
    cr_assert_eq(avro_value_get_by_index(&a, 1, &e, NULL), 0);
    expect_asset(&e, "a1", "ip", "192.0.2.0/24", "ip_cover");
    expect_observable(&e, "ip", "192.0.2.1");
    cr_assert_eq(avro_value_get_by_index(&a, 2, &e, NULL), 0);
    expect_asset(&e, "a3", "domain", "example.com", "domain_parent");
    expect_observable(&e, "url", "http://www.Example.com/x");
    F_STR(n, "category", "malware");
    F_STR(n, "severity", "high");
    F_INT(n, "confidence", 80);
    F_STR(n, "source", "cert");
    F_STR(n, "tlp", "amber");
    F_STR(n, "time", "2026-01-01T00:00:00Z");
    F_STR(n, "valid_until", "2026-02-01T00:00:00Z");
    F_STR(n, "description", "C2 \"panel\"\n\tline 2 \xc3\xa9 \x01");
    F_NULL(n, "port");
    F_NULL(n, "protocol");
    F_NULL(n, "tag");
    F_STR(n, "match_time", "2026-11-27T22:05:00Z");
    o = val(n, "origin");
    cr_assert_eq(avro_value_get_type(&o), AVRO_RECORD);
    F_STR(&o, "topic", "indicators");
    F_INT(&o, "partition", 3);
    {
        avro_value_t off = val(&o, "offset");
        int64_t l = 0;
        cr_expect_eq(avro_value_get_long(&off, &l), 0);
        cr_expect_eq(l, 1234567890123LL);
    }
    c = val(n, "classification");
    F_STR(&c, "taxonomy", "malicious-code");
    F_STR(&c, "type", "c2-server");
    F_STR(&c, "identifier", "cobaltstrike");
    F_STR(&c, "n6_category", "cnc");
    F_NULL(n, "advice");
    a = val(n, "cves");
    cr_assert_eq(avro_value_get_size(&a, &size), 0);
    cr_assert_eq(size, 1);
    cr_assert_eq(avro_value_get_by_index(&a, 0, &e, NULL), 0);
    cr_expect_str_eq(str_of(&e), "CVE-2021-26855");
    F_STR(n, "feed", "cert-feed");
    F_STR(n, "report_type", "event4_sinkhole");
    F_STR(n, "context", "{\"destination.ip\":\"203.0.113.5\"}");
}

/* What the event did not carry is null; so are origin and advice. */
Test(encode_avro, absent_fields_are_null) {
    const am_match_result_t *res;
    avro_value_t *n, c, a;
    size_t size;

    cr_assert_eq(match("{\"id\":\"scan-1\",\"ip\":\"192.0.2.1\","
                       "\"port\":\"443\",\"protocol\":\"tcp\"}",
                       &res),
                 1);
    n = encode_read(&(am_notification_t){
        .inv = inv, .ev = &ev, .result = &res[0]});
    F_ENUM(n, "event_kind", "scan");
    F_INT(n, "port", 443);
    F_STR(n, "protocol", "tcp");
    F_NULL(n, "category");
    F_NULL(n, "severity");
    F_NULL(n, "confidence");
    F_NULL(n, "source");
    F_NULL(n, "tlp");
    F_NULL(n, "time");
    F_NULL(n, "valid_until");
    F_NULL(n, "description");
    F_NULL(n, "tag");
    F_NULL(n, "match_time");
    F_NULL(n, "origin");
    F_NULL(n, "advice");
    F_NULL(n, "feed");
    F_NULL(n, "report_type");
    F_NULL(n, "context");
    c = val(n, "classification");
    F_NULL(&c, "taxonomy");
    F_NULL(&c, "type");
    F_NULL(&c, "identifier");
    F_NULL(&c, "n6_category");
    a = val(n, "cves");
    cr_assert_eq(avro_value_get_size(&a, &size), 0);
    cr_expect_eq(size, 0);
}

/* Framing: byte 0, the id big-endian, then the bare record. */
Test(encode_avro, framed) {
    const am_match_result_t *res;
    am_notification_t nt;
    am_buf_t bare;

    cr_assert_eq(match(indicator, &res), 2);
    nt = (am_notification_t){.inv = inv, .ev = &ev, .result = &res[1]};
    am_buf_init(&bare);
    cr_assert_eq(am_encode_avro(&bare, &nt, -1, err, sizeof(err)), 0, "%s",
                 err);
    am_buf_reset(&out);
    am_buf_append(&out, "x", 1); /* appends, keeping what is there */
    cr_assert_eq(am_encode_avro(&out, &nt, 0x7f000102, err, sizeof(err)), 0,
                 "%s", err);
    cr_assert_eq(out.len, 1 + 5 + bare.len);
    cr_expect_eq(memcmp(out.data, "x\x00\x7f\x00\x01\x02", 6), 0);
    cr_expect_eq(memcmp(out.data + 6, bare.data, bare.len), 0);
    am_buf_free(&bare);
}

/* An id that is not UTF-8 becomes the same text the JSON encoder writes:
 * each stray byte as the code point of its number. */
Test(encode_avro, latin1_becomes_utf8) {
    const am_match_result_t *res;
    avro_value_t *n, a, e;

    cr_assert_eq(match("{\"id\":\"i\",\"observables\":[{\"type\":\"domain\","
                       "\"value\":\"www.initech.example\"}]}",
                       &res),
                 1);
    n = encode_read(&(am_notification_t){
        .inv = inv, .ev = &ev, .result = &res[0]});
    F_STR(n, "asset_id", "caf\xc3\xa9 \"1\"");
    a = val(n, "matched_asset_ids");
    cr_assert_eq(avro_value_get_by_index(&a, 0, &e, NULL), 0);
    cr_expect_str_eq(str_of(&e), "caf\xc3\xa9 \"1\"");
}

/* The per-thread value is reset: a second notification has nothing of the
 * first. */
Test(encode_avro, nothing_carried_over) {
    const am_match_result_t *res;
    avro_value_t *n, a;
    size_t size;

    cr_assert_eq(match(indicator, &res), 2);
    encode_read(&(am_notification_t){.inv = inv, .ev = &ev,
                                     .result = &res[0],
                                     .origin = &(am_origin_t){"t", 0, 0}});
    cr_assert_eq(match("{\"id\":\"s\",\"ip\":\"192.0.2.77\"}", &res), 1);
    n = encode_read(&(am_notification_t){
        .inv = inv, .ev = &ev, .result = &res[0]});
    a = val(n, "matched_assets");
    cr_assert_eq(avro_value_get_size(&a, &size), 0);
    cr_expect_eq(size, 1);
    a = val(n, "cves");
    cr_assert_eq(avro_value_get_size(&a, &size), 0);
    cr_expect_eq(size, 0);
    F_NULL(n, "origin");
    F_NULL(n, "category");
}

/* A notification larger than the writer's first buffer. */
Test(encode_avro, large_notification) {
    const am_match_result_t *res;
    avro_value_t *n;
    char *big = malloc(20001);

    memset(big, 'x', 20000);
    big[20000] = '\0';
    cr_assert_eq(match(indicator, &res), 2);
    ev.description = big;
    n = encode_read(&(am_notification_t){
        .inv = inv, .ev = &ev, .result = &res[0]});
    F_STR(n, "description", big);
    cr_expect_gt(out.len, 20000);
    free(big);
}

/* With classification tables, the advice for the event's type, per
 * language, as am_classify_advice() gives it. */
Test(encode_avro, advice) {
    const am_match_result_t *res;
    am_classify_t *cl = am_classify_load(NULL, err, sizeof(err));
    avro_value_t *n, a;

    cr_assert_not_null(cl, "%s", err);
    cr_assert_eq(match(indicator, &res), 2);
    ev.type = "c2-server";
    n = encode_read(&(am_notification_t){
        .inv = inv, .ev = &ev, .result = &res[0], .cl = cl});
    a = val(n, "advice");
    cr_assert_eq(avro_value_get_type(&a), AVRO_RECORD);
    F_STR(&a, "en", am_classify_advice(cl, "c2-server", "en"));
    F_STR(&a, "nl", am_classify_advice(cl, "c2-server", "nl"));
    cr_expect_str_neq(am_classify_advice(cl, "c2-server", "en"),
                      am_classify_advice(cl, "c2-server", "nl"));
    /* No type: the advice for "unknown". */
    ev.type = NULL;
    n = encode_read(&(am_notification_t){
        .inv = inv, .ev = &ev, .result = &res[0], .cl = cl});
    a = val(n, "advice");
    F_STR(&a, "en", am_classify_advice(cl, "unknown", "en"));
    am_classify_destroy(cl);
}
