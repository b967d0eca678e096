/*
 * Tests for decode_stix: STIX 2.1 Indicators and Bundles as events.
 *
 * The fixtures in data/stix/ are the project's own: a Bundle with every
 * case a feed sends (indicators with TLP 1.0 and 2.0 markings, labels and
 * indicator_types, an expired, a revoked, a non-STIX and a broken one,
 * objects that are not indicators) and a lone Indicator.  What the decoder
 * hands the sink is rendered as text and compared with the golden files
 * next to them (AM_UPDATE_GOLDEN=1 rewrites those).  Single properties are
 * tested on a small valid Indicator changed one member at a time.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decode.h"
#include "decode_stix.h"
#include "jsonw.h"

/* 2026-09-21T14:13:20Z: after every valid_from of the fixtures. */
#define NOW 1790000000

/* ---- fixture: an event, a sink that renders what it is told ------------ */

static am_event_t ev;
static am_buf_t log_;    /* everything the sink was told, as text */
static char last[600];   /* the last thing, one line */
static int events, rejects, skips[AM_SKIP__COUNT];
static int stop_after;   /* the sink returns non-zero on this event */

static const char *skip_name(am_skip_t why) {
    return why == AM_SKIP_EXPIRED ? "expired" : "not_matchable";
}

static const char *or_dash(const char *s) { return s ? s : "-"; }

static void render_event(const am_event_t *e) {
    am_buf_printf(&log_, "event %s (%s, %s)\n", or_dash(e->id),
                  am_event_kind_name(e->kind), or_dash(e->format));
    am_buf_printf(&log_, "  name: %s\n", or_dash(e->name));
    am_buf_printf(&log_, "  description: %s\n", or_dash(e->description));
    am_buf_printf(&log_, "  category: %s\n", or_dash(e->category));
    am_buf_printf(&log_, "  tlp: %s\n", or_dash(e->tlp));
    am_buf_printf(&log_, "  source: %s\n", or_dash(e->source));
    am_buf_printf(&log_, "  time: %s\n", or_dash(e->time));
    am_buf_printf(&log_, "  valid_from: %s\n", or_dash(e->valid_from));
    am_buf_printf(&log_, "  valid_until: %s\n", or_dash(e->valid_until));
    am_buf_printf(&log_, "  confidence: %d\n", e->confidence);
    am_buf_printf(&log_, "  pattern: %s\n", or_dash(e->pattern));
    for (size_t i = 0; i < e->n_obs; i++) {
        const am_observable_t *o = &e->obs[i];
        char ip[AM_IPADDR_STRLEN];
        am_buf_printf(&log_, "  observable: %s %s -> ",
                      am_obs_type_name(o->type), o->value);
        if (o->target == AM_TARGET_IP) {
            am_ipaddr_format(&o->prefix, ip, sizeof(ip));
            am_buf_printf(&log_, "ip %s\n", ip);
        } else {
            am_buf_printf(&log_, "domain %s\n", o->host);
        }
    }
}

static int on_event(am_event_t *e, void *opaque) {
    render_event(e);
    snprintf(last, sizeof(last), "event");
    return ++events == stop_after;
}

static void on_reject(long item, const char *reason, void *opaque) {
    am_buf_printf(&log_, "reject %ld: %s\n", item, reason);
    snprintf(last, sizeof(last), "reject %ld %s", item, reason);
    rejects++;
}

static void on_skip(long item, am_skip_t why, void *opaque) {
    am_buf_printf(&log_, "skip %ld: %s\n", item, skip_name(why));
    snprintf(last, sizeof(last), "skip %ld %s", item, skip_name(why));
    skips[why]++;
}

static const am_decode_sink_t sink = {on_event, on_reject, on_skip, NULL};

static void setup(void) {
    am_event_init(&ev);
    am_buf_init(&log_);
    am_buf_puts(&log_, "");
    last[0] = '\0';
    events = rejects = stop_after = 0;
    memset(skips, 0, sizeof(skips));
}

static void teardown(void) {
    am_buf_free(&log_);
    am_event_free(&ev);
}

TestSuite(decode_stix, .init = setup, .fini = teardown);

/* Decodes a parsed object at time \p now. */
static int decode_obj(json_t *root, int64_t now) {
    am_decode_hint_t hint = {NULL, now};
    int rc = am_decode_stix_obj(root, &hint, &ev, &sink);

    json_decref(root);
    return rc;
}

static int decode_text(const char *text, int64_t now) {
    json_error_t je;
    json_t *root = json_loads(text, JSON_REJECT_DUPLICATES, &je);

    cr_assert_not_null(root, "test JSON: %s: %s", je.text, text);
    return decode_obj(root, now);
}

static char *read_file(const char *name, size_t *len) {
    char path[512];
    FILE *f;
    char *buf;
    long n;

    snprintf(path, sizeof(path), "%s/stix/%s", AM_TEST_DATA, name);
    f = fopen(path, "rb");
    cr_assert_not_null(f, "%s", path);
    cr_assert_eq(fseek(f, 0, SEEK_END), 0);
    n = ftell(f);
    cr_assert_geq(n, 0);
    rewind(f);
    buf = malloc((size_t)n + 1);
    cr_assert_not_null(buf);
    cr_assert_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
    buf[n] = '\0';
    fclose(f);
    *len = (size_t)n;
    return buf;
}

static int decode_file(const char *name, int64_t now) {
    size_t len;
    char *text = read_file(name, &len);
    int rc = decode_text(text, now);

    free(text);
    return rc;
}

/* Compares what the sink was told with the golden file \p name; with
 * AM_UPDATE_GOLDEN=1 in the environment, writes it instead. */
static void golden(const char *name) {
    char path[512];
    size_t len;
    char *want;

    if (getenv("AM_UPDATE_GOLDEN")) {
        FILE *f;
        snprintf(path, sizeof(path), "%s/stix/%s", AM_TEST_DATA, name);
        f = fopen(path, "wb");
        cr_assert_not_null(f, "%s", path);
        fwrite(log_.data, 1, log_.len, f);
        fclose(f);
    }
    want = read_file(name, &len);
    cr_expect_str_eq(log_.data, want, "differs from %s", name);
    free(want);
}

/* ---- the fixtures, end to end ------------------------------------------ */

Test(decode_stix, bundle) {
    cr_assert_eq(decode_file("bundle.json", NOW), 5);
    cr_expect_eq(events, 5);
    /* An Indicator in a bundle with nothing to match on is skipped. */
    cr_expect_eq(rejects, 2);
    cr_expect_eq(skips[AM_SKIP_EXPIRED], 2);
    cr_expect_eq(skips[AM_SKIP_NOT_MATCHABLE], 6);
    golden("bundle.golden");
}

Test(decode_stix, lone_indicator) {
    cr_assert_eq(decode_file("indicator.json", NOW), 1);
    golden("indicator.golden");
}

/* The same Indicator after its valid_until (2026-10-01). */
Test(decode_stix, lone_indicator_expired) {
    cr_assert_eq(decode_file("indicator.json", 1790000000 + 30 * 86400), 0);
    cr_expect_str_eq(last, "skip -1 expired");
    cr_expect_eq(events, 0);
}

/* Through the decoder framework: the format is recognised. */
Test(decode_stix, auto_detected) {
    size_t len;
    char *text = read_file("bundle.json", &len);
    am_decode_hint_t hint = {"indicators", NOW};
    am_format_t used = AM_FORMAT_AUTO;

    cr_expect_eq(am_decode_detect(text, len), AM_FORMAT_STIX);
    cr_expect_eq(am_decode(AM_FORMAT_AUTO, text, len, &hint, &ev, &sink,
                           &used),
                 5);
    cr_expect_eq(used, AM_FORMAT_STIX);
    free(text);
}

/* A non-zero return from the sink stops at once. */
Test(decode_stix, sink_stops) {
    stop_after = 1;
    cr_assert_eq(decode_file("bundle.json", NOW), 1);
    cr_expect_eq(strncmp(log_.data, "skip 0: not_matchable\n"
                                    "event indicator--0985f183", 47),
                 0, "%s", log_.data);
    cr_expect_eq(rejects + skips[0] + skips[1], 1, "%s", log_.data);
    cr_expect_str_eq(last, "event");
}

/* ---- one Indicator, one member changed --------------------------------- */

static const char base[] =
    "{\"type\":\"indicator\",\"spec_version\":\"2.1\","
    "\"id\":\"indicator--5e79d129-b2a1-4112-989e-1dc178d0e296\","
    "\"created\":\"2026-06-01T00:00:00.000Z\","
    "\"modified\":\"2026-06-02T00:00:00.000Z\","
    "\"pattern\":\"[ipv4-addr:value = '192.0.2.1']\","
    "\"pattern_type\":\"stix\",\"valid_from\":\"2026-06-01T00:00:00Z\"}";

/* The base Indicator with the members of \p changes set; a member whose
 * value is "(absent)" is removed. */
static int decode_changed(const char *changes, int64_t now) {
    json_t *root = json_loads(base, 0, NULL), *ch, *v;
    json_error_t je;
    const char *key;
    void *tmp;

    cr_assert_not_null(root);
    ch = json_loads(changes, 0, &je);
    cr_assert_not_null(ch, "test JSON: %s: %s", je.text, changes);
    json_object_foreach_safe(ch, tmp, key, v) {
        if (json_is_string(v) && strcmp(json_string_value(v), "(absent)") == 0)
            json_object_del(root, key);
        else
            json_object_set(root, key, v);
    }
    json_decref(ch);
    return decode_obj(root, now);
}

struct change_case {
    char changes[200];
    int rc;
    char outcome[240]; /* "event", "skip -1 why", "reject -1 reason" */
};

ParameterizedTestParameters(decode_stix, one_member) {
    static struct change_case cases[] = {
        {"{}", 1, "event"},
        /* Required members. */
        {"{\"id\":\"(absent)\"}", -1, "reject -1 field 'id': missing"},
        {"{\"id\":\"\"}", -1, "reject -1 field 'id': missing"},
        {"{\"id\":null}", -1, "reject -1 field 'id': missing"},
        {"{\"id\":5}", -1, "reject -1 field 'id': must be a string"},
        {"{\"pattern\":\"(absent)\"}", -1,
         "reject -1 field 'pattern': missing"},
        {"{\"pattern\":[]}", -1, "reject -1 field 'pattern': must be a string"},
        {"{\"valid_from\":\"(absent)\"}",
         -1, "reject -1 field 'valid_from': missing"},
        {"{\"type\":\"(absent)\"}",
         -1, "reject -1 field 'type': missing or not a string"},
        /* Timestamps. */
        {"{\"valid_from\":\"yesterday\"}",
         -1, "reject -1 field 'valid_from': not an RFC 3339 timestamp"},
        {"{\"valid_until\":\"2026-02-30T00:00:00Z\"}",
         -1, "reject -1 field 'valid_until': not an RFC 3339 timestamp"},
        {"{\"valid_until\":\"2026-06-01T00:00:00Z\"}",
         -1, "reject -1 field 'valid_until': not after valid_from"},
        {"{\"valid_from\":\"2026-12-01T00:00:00.002Z\","
         "\"valid_until\":\"2026-12-01T00:00:00.001Z\"}",
         -1, "reject -1 field 'valid_until': not after valid_from"},
        {"{\"valid_from\":\"2026-12-01T00:00:00Z\","
         "\"valid_until\":\"2026-12-01T00:00:00.001Z\"}",
         1, "event"},
        {"{\"valid_from\":\"2026-12-01 02:00:00+02:00\","
         "\"valid_until\":\"2026-12-01T00:00:00.001Z\"}",
         1, "event"},
        /* Expiry: valid_until before now (14:13:20). */
        {"{\"valid_until\":\"2026-09-21T14:13:19.999Z\"}",
         0, "skip -1 expired"},
        {"{\"valid_until\":\"2026-09-21T14:13:20Z\"}", 1, "event"},
        {"{\"valid_until\":\"2026-09-21T16:13:19+02:00\"}",
         0, "skip -1 expired"},
        {"{\"valid_until\":null}", 1, "event"},
        /* Revoked. */
        {"{\"revoked\":true}", 0, "skip -1 expired"},
        {"{\"revoked\":false}", 1, "event"},
        {"{\"revoked\":\"yes\"}",
         -1, "reject -1 field 'revoked': must be true or false"},
        /* Skipped before the pattern is looked at. */
        {"{\"revoked\":true,\"pattern\":\"[\"}", 0, "skip -1 expired"},
        /* pattern_type: only STIX patterns; none at all is STIX 2.0. */
        {"{\"pattern_type\":\"sigma\"}", 0, "skip -1 not_matchable"},
        {"{\"pattern_type\":\"STIX\"}", 0, "skip -1 not_matchable"},
        {"{\"pattern_type\":\"(absent)\"}", 1, "event"},
        {"{\"pattern_type\":5}",
         -1, "reject -1 field 'pattern_type': must be a string"},
        /* Not an Indicator. */
        {"{\"type\":\"malware\"}", 0, "skip -1 not_matchable"},
        /* Other members. */
        {"{\"confidence\":100}", 1, "event"},
        {"{\"confidence\":101}",
         -1, "reject -1 field 'confidence': must be an integer 0..100"},
        {"{\"confidence\":-1}",
         -1, "reject -1 field 'confidence': must be an integer 0..100"},
        {"{\"confidence\":\"high\"}",
         -1, "reject -1 field 'confidence': must be an integer 0..100"},
        {"{\"name\":5}", -1, "reject -1 field 'name': must be a string"},
        {"{\"created_by_ref\":{}}",
         -1, "reject -1 field 'created_by_ref': must be a string"},
        /* Patterns. */
        {"{\"pattern\":\"[ipv4-addr:value = '192.0.2.1'\"}",
         -1, "reject -1 field 'pattern': column 31: expected ']'"},
        {"{\"pattern\":\"[file:name = 'x.exe']\"}",
         -1, "reject -1 field 'pattern': no observable: no comparison to "
         "match on (=, IN or ISSUBSET on ipv4-addr:value, ipv6-addr:value, "
         "domain-name:value, url:value or email-addr:value)"},
        {"{\"pattern\":\"[ipv4-addr:value != '192.0.2.1']\"}",
         -1, "reject -1 field 'pattern': no observable: no comparison to "
         "match on (=, IN or ISSUBSET on ipv4-addr:value, ipv6-addr:value, "
         "domain-name:value, url:value or email-addr:value)"},
        {"{\"pattern\":\"[ipv4-addr:value = '2001:db8::1']\"}",
         -1, "reject -1 field 'pattern': column 20: '2001:db8::1' is not an "
         "IPv4 address, as ipv4-addr:value requires"},
        {"{\"pattern\":\"[ipv6-addr:value ISSUBSET '192.0.2.0/24']\"}",
         -1, "reject -1 field 'pattern': column 27: '192.0.2.0/24' is not an "
         "IPv6 address, as ipv6-addr:value requires"},
        {"{\"pattern\":\"[ipv4-addr:value = '192.0.2.300']\"}",
         -1, "reject -1 field 'pattern': column 20: bad ip '192.0.2.300': "
         "not an IP address"},
        {"{\"pattern\":\"[domain-name:value = 'bad name.example']\"}",
         -1, "reject -1 field 'pattern': column 22: bad domain "
         "'bad name.example': bad character ' '"},
    };
    return cr_make_param_array(struct change_case, cases,
                               sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct change_case *c, decode_stix, one_member) {
    int rc = decode_changed(c->changes, NOW);

    cr_expect_str_eq(last, c->outcome, "%s", c->changes);
    cr_expect_eq(rc, c->rc, "%s", c->changes);
    cr_expect_eq(events + rejects + skips[0] + skips[1], 1, "%s", c->changes);
}

/* The event's fields from the base Indicator. */
Test(decode_stix, fields) {
    cr_assert_eq(decode_changed("{}", NOW), 1);
    cr_expect_str_eq(ev.id, "indicator--5e79d129-b2a1-4112-989e-1dc178d0e296");
    cr_expect_eq(ev.kind, AM_EVENT_INDICATOR);
    cr_expect_str_eq(ev.format, "stix");
    cr_expect_str_eq(ev.time, "2026-06-02T00:00:00.000Z");
    cr_expect_str_eq(ev.valid_from, "2026-06-01T00:00:00Z");
    cr_expect_null(ev.valid_until);
    cr_expect_null(ev.name);
    cr_expect_null(ev.category);
    cr_expect_null(ev.tlp);
    cr_expect_null(ev.source);
    cr_expect_eq(ev.confidence, -1);
    cr_assert_eq(ev.n_obs, 1);
    cr_expect_eq(ev.obs[0].type, AM_OBS_IP);
    cr_expect_str_eq(ev.obs[0].value, "192.0.2.1");
}

/* time is modified, else created. */
Test(decode_stix, time_from_created) {
    cr_assert_eq(decode_changed("{\"modified\":\"(absent)\"}", NOW), 1);
    cr_expect_str_eq(ev.time, "2026-06-01T00:00:00.000Z");
}

/* The same value twice is one observable. */
Test(decode_stix, duplicates_dropped) {
    cr_assert_eq(decode_changed(
                     "{\"pattern\":\"[ipv4-addr:value = '192.0.2.1'] AND "
                     "[ipv4-addr:value = '192.0.2.1' OR ipv4-addr:value = "
                     "'192.0.2.2']\"}",
                     NOW),
                 1);
    cr_assert_eq(ev.n_obs, 2);
    cr_expect_str_eq(ev.obs[1].value, "192.0.2.2");
}

/* ---- TLP and category -------------------------------------------------- */

struct field_case {
    char changes[240];
    char want[24]; /* "-" for none */
};

ParameterizedTestParameters(decode_stix, tlp) {
    static struct field_case cases[] = {
        /* TLP 1.0 (STIX 2.1 section 7.2.1). */
        {"{\"object_marking_refs\":[\"marking-definition--613f2e26-407d-48c7"
         "-9eca-b8e91df99dc9\"]}", "white"},
        {"{\"object_marking_refs\":[\"marking-definition--34098fce-860f-48ae"
         "-8e50-ebd3cc5e41da\"]}", "green"},
        {"{\"object_marking_refs\":[\"marking-definition--f88d31f6-486f-44da"
         "-b317-01333bde0b82\"]}", "amber"},
        {"{\"object_marking_refs\":[\"marking-definition--5e57c739-391a-4eb3"
         "-b6be-7d15ca92d5ed\"]}", "red"},
        /* Near misses are not TLP. */
        {"{\"object_marking_refs\":[\"marking-definition--5e57c739-391a-4eb3"
         "-b6be-7d15ca92d5ee\"]}", "-"},
        {"{\"object_marking_refs\":[\"marking-definition--5e57c739-391a-4eb3"
         "-b6be-7d15ca92d5e\"]}", "-"},
        {"{\"object_marking_refs\":[\"MARKING-DEFINITION--5E57C739-391A-4EB3"
         "-B6BE-7D15CA92D5ED\"]}", "-"},
        /* TLP 2.0 (cti-stix-common-objects). */
        {"{\"object_marking_refs\":[\"marking-definition--94868c89-83c2-464b"
         "-929b-a1a8aa3c8487\"]}", "clear"},
        {"{\"object_marking_refs\":[\"marking-definition--bab4a63c-aed9-4cf5"
         "-a766-dfca5abac2bb\"]}", "green"},
        {"{\"object_marking_refs\":[\"marking-definition--55d920b0-5e8b-4f79"
         "-9ee9-91f868d9b421\"]}", "amber"},
        {"{\"object_marking_refs\":[\"marking-definition--939a9414-2ddd-4d32"
         "-a0cd-375ea402b003\"]}", "amber+strict"},
        {"{\"object_marking_refs\":[\"marking-definition--e828b379-4e03-4974"
         "-9ac4-e53a884c97c1\"]}", "red"},
        /* Several: the most restrictive; other markings are not TLP. */
        {"{\"object_marking_refs\":[\"marking-definition--e828b379-4e03-4974"
         "-9ac4-e53a884c97c1\",\"marking-definition--613f2e26-407d-48c7"
         "-9eca-b8e91df99dc9\"]}", "red"},
        {"{\"object_marking_refs\":[\"marking-definition--76ffebbc-a850-410c"
         "-8aa9-0743f92c3a2a\",\"marking-definition--34098fce-860f-48ae"
         "-8e50-ebd3cc5e41da\"]}", "green"},
        {"{\"object_marking_refs\":[5,null]}", "-"},
        {"{\"object_marking_refs\":\"marking-definition--34098fce-860f-48ae"
         "-8e50-ebd3cc5e41da\"}", "-"},
        {"{}", "-"},
    };
    return cr_make_param_array(struct field_case, cases,
                               sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct field_case *c, decode_stix, tlp) {
    cr_assert_eq(decode_changed(c->changes, NOW), 1, "%s: %s", c->changes,
                 last);
    cr_expect_str_eq(or_dash(ev.tlp), c->want, "%s", c->changes);
}

ParameterizedTestParameters(decode_stix, category) {
    static struct field_case cases[] = {
        {"{\"indicator_types\":[\"malicious-activity\",\"attribution\"],"
         "\"labels\":[\"botnet\"]}", "malicious-activity"},
        {"{\"labels\":[\"botnet\",\"c2\"]}", "botnet"},
        {"{\"indicator_types\":[],\"labels\":[\"botnet\"]}", "botnet"},
        {"{\"indicator_types\":[5,\"\",\"compromised\"]}", "compromised"},
        {"{\"indicator_types\":\"compromised\"}", "-"},
        {"{\"labels\":[]}", "-"},
        {"{}", "-"},
    };
    return cr_make_param_array(struct field_case, cases,
                               sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct field_case *c, decode_stix, category) {
    cr_assert_eq(decode_changed(c->changes, NOW), 1, "%s: %s", c->changes,
                 last);
    cr_expect_str_eq(or_dash(ev.category), c->want, "%s", c->changes);
}

/* ---- Bundles ----------------------------------------------------------- */

struct bundle_case {
    char json[300];
    int rc;
    char log[300];
};

ParameterizedTestParameters(decode_stix, bundle_shapes) {
    static struct bundle_case cases[] = {
        {"{\"type\":\"bundle\",\"id\":\"bundle--1\"}", -1,
         "reject -1: field 'objects': missing\n"},
        {"{\"type\":\"bundle\",\"objects\":{}}", -1,
         "reject -1: field 'objects': must be a non-empty array\n"},
        {"{\"type\":\"bundle\",\"objects\":[]}", -1,
         "reject -1: field 'objects': must be a non-empty array\n"},
        {"{\"type\":\"bundle\",\"objects\":[5,[],{\"id\":\"x\"},"
         "{\"type\":\"note\"},{\"type\":\"indicator\"}]}",
         0,
         "reject 0: field 'objects[0]': not an object\n"
         "reject 1: field 'objects[1]': not an object\n"
         "reject 2: field 'objects[2].type': missing or not a string\n"
         "skip 3: not_matchable\n"
         "reject 4: field 'objects[4].id': missing\n"},
    };
    return cr_make_param_array(struct bundle_case, cases,
                               sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct bundle_case *c, decode_stix, bundle_shapes) {
    cr_expect_eq(decode_text(c->json, NOW), c->rc, "%s", c->json);
    cr_expect_str_eq(log_.data, c->log, "%s", c->json);
}

/* The event is reset between Indicators: nothing carries over. */
Test(decode_stix, bundle_resets_event) {
    static const char json[] =
        "{\"type\":\"bundle\",\"objects\":["
        "{\"type\":\"indicator\",\"id\":\"indicator--a\",\"name\":\"A\","
        "\"labels\":[\"x\"],\"confidence\":5,"
        "\"pattern\":\"[ipv4-addr:value = '192.0.2.1']\","
        "\"valid_from\":\"2026-01-01T00:00:00Z\"},"
        "{\"type\":\"indicator\",\"id\":\"indicator--b\","
        "\"pattern\":\"[domain-name:value = 'b.example']\","
        "\"valid_from\":\"2026-01-01T00:00:00Z\"}]}";

    cr_assert_eq(decode_text(json, NOW), 2);
    cr_expect_str_eq(ev.id, "indicator--b");
    cr_expect_null(ev.name);
    cr_expect_null(ev.category);
    cr_expect_eq(ev.confidence, -1);
    cr_assert_eq(ev.n_obs, 1);
    cr_expect_str_eq(ev.obs[0].value, "b.example");
}
