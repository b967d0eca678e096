/*
 * Tests for decode_intelmq: IntelMQ events (flat, dotted keys) as events.
 *
 * tests/data/intelmq/events.jsonl and bad.jsonl are the project's own
 * events, one per line, shaped like IntelMQ's output for a Shadowserver
 * scan, a C2 list, a phishing feed, a network blocklist, ...  Each file
 * decodes to the golden rendering next to it (FILE.golden.jsonl: one line
 * per event or reject); AM_UPDATE_GOLDEN=1 rewrites the golden files from
 * the current output.  Explicit tests spell out the fields that matter.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decode_intelmq.h"
#include "event.h"
#include "ipaddr.h"
#include "jsonw.h"

#include "event_render.h"

#define DATA AM_TEST_DATA "/intelmq/"

static am_event_t ev;
static char err[512];

static void setup(void) {
    am_event_init(&ev);
    err[0] = '\0';
}

static void teardown(void) {
    am_event_free(&ev);
}

TestSuite(decode_intelmq, .init = setup, .fini = teardown);

/* ---- helpers ------------------------------------------------------------- */



/* Decodes one event given as JSON text. */
static int decode(const char *json) {
    json_error_t je;
    json_t *root = json_loads(json, JSON_REJECT_DUPLICATES, &je);
    int rc;

    cr_assert_not_null(root, "%s: %s", json, je.text);
    am_event_reset(&ev);
    err[0] = '\0';
    rc = am_decode_intelmq_obj(root, NULL, &ev, err, sizeof(err));
    json_decref(root);
    return rc;
}

#define DECODE_OK(json) cr_assert_eq(decode(json), 0, "%s: %s", json, err)

/* Line \p n (from 1) of a fixture, in a static buffer. */
static const char *fixture_line(const char *file, int n) {
    static char line[4096];
    char path[512];
    size_t len;
    char *buf, *p;

    snprintf(path, sizeof(path), DATA "%s", file);
    buf = slurp(path, &len, true);
    p = buf;
    for (int i = 1; i < n; i++) {
        p = strchr(p, '\n');
        cr_assert_not_null(p, "%s has no line %d", file, n);
        p++;
    }
    snprintf(line, sizeof(line), "%.*s", (int)strcspn(p, "\n"), p);
    free(buf);
    return line;
}

/* Decodes every line of a fixture; renders each event or reject. */
static char *decode_fixture(const char *file, int *events, int *rejects) {
    char path[512];
    size_t len;
    char *buf = NULL, *line, *save = NULL;
    am_buf_t out;
    long n = 0;

    snprintf(path, sizeof(path), DATA "%s", file);
    buf = slurp(path, &len, true);
    am_buf_init(&out);
    *events = *rejects = 0;
    for (line = strtok_r(buf, "\n", &save); line;
         line = strtok_r(NULL, "\n", &save)) {
        int rc = decode(line);
        json_t *r = rc == 0 ? render_event(&ev)
                            : json_pack("{s:I, s:s}", "reject",
                                        (json_int_t)(n + 1), "reason", err);
        char *text;
        n++;
        *(rc == 0 ? events : rejects) += 1;
        text = json_dumps(r, JSON_COMPACT | JSON_SORT_KEYS);
        am_buf_puts(&out, text);
        am_buf_putc(&out, '\n');
        free(text);
        json_decref(r);
    }
    free(buf);
    return out.data;
}

static void check_golden(const char *file, const char *got) {
    char path[512];
    size_t n;
    char *want;
    FILE *f;

    snprintf(path, sizeof(path), DATA "%s.golden.jsonl", file);
    if (getenv("AM_UPDATE_GOLDEN") &&
        strcmp(getenv("AM_UPDATE_GOLDEN"), "1") == 0) {
        f = fopen(path, "w");
        cr_assert_not_null(f, "%s", path);
        fputs(got, f);
        fclose(f);
    }
    want = slurp(path, &n, true);
    cr_assert_str_eq(got, want, "%s", path);
    free(want);
}

static const char *obs_str(size_t i) {
    static char out[400];
    json_t *o;

    cr_assert_lt(i, ev.n_obs);
    o = render_obs(&ev.obs[i]);
    snprintf(out, sizeof(out), "%s", json_string_value(o));
    json_decref(o);
    return out;
}

/* ---- golden files -------------------------------------------------------- */

struct golden_case {
    char file[40];
    int events;
    int rejects;
};

ParameterizedTestParameters(decode_intelmq, golden) {
    static struct golden_case cases[] = {
        {"events.jsonl", 6, 0},
        {"bad.jsonl", 0, 8},
    };
    return cr_make_param_array(struct golden_case, cases,
                               sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct golden_case *c, decode_intelmq, golden) {
    int events, rejects;
    char *got = decode_fixture(c->file, &events, &rejects);

    cr_assert_eq(events, c->events, "%s", c->file);
    cr_assert_eq(rejects, c->rejects, "%s", c->file);
    check_golden(c->file, got);
    free(got);
}

/* ---- field by field ------------------------------------------------------ */

/* A Shadowserver scan as IntelMQ writes it. */
Test(decode_intelmq, scan_event_fields) {
    DECODE_OK(fixture_line("events.jsonl", 1));
    cr_assert_eq(strncmp(ev.id, "intelmq:", 8), 0, "%s", ev.id);
    cr_assert_eq(strlen(ev.id), 8 + 40, "%s", ev.id);
    cr_assert_eq(strspn(ev.id + 8, "0123456789abcdef"), 40, "%s", ev.id);
    cr_assert_eq(ev.kind, AM_EVENT_SCAN);
    cr_assert_str_eq(ev.format, "intelmq");
    cr_assert_str_eq(ev.taxonomy, "vulnerable");
    cr_assert_str_eq(ev.type, "vulnerable-system");
    cr_assert_str_eq(ev.identifier, "accessible-rdp");
    cr_assert_str_eq(ev.feed, "Accessible-RDP");
    cr_assert_str_eq(ev.source, "Shadowserver");
    cr_assert_eq(ev.confidence, 100);
    cr_assert_str_eq(ev.time, "2026-11-20T03:04:05+00:00");
    cr_assert_eq(ev.port, 3389);
    cr_assert_str_eq(ev.protocol, "tcp");
    cr_assert_str_eq(ev.tag, "rdp");
    cr_assert_eq(ev.n_obs, 2);
    cr_assert_str_eq(obs_str(0), "ip 192.0.2.30 -> ip 192.0.2.30");
    cr_assert_str_eq(obs_str(1), "asn 64500 -> asn 64500");
    /* Unmapped keys, sorted, with their JSON values; raw and __type are
     * dropped. */
    cr_assert_str_eq(ev.context,
                     "{\"extra.naics\":517311,\"source.geolocation.cc\":"
                     "\"NL\",\"source.reverse_dns\":\"rdp.example.com\","
                     "\"time.observation\":\"2026-11-20T04:00:00+00:00\"}");
}

/* A C2 entry: an indicator; destination.* is context; the AS number and
 * port may be strings; TLP in lower case. */
Test(decode_intelmq, indicator_fields) {
    DECODE_OK(fixture_line("events.jsonl", 2));
    cr_assert_eq(ev.kind, AM_EVENT_INDICATOR);
    cr_assert_str_eq(ev.type, "c2-server");
    cr_assert_str_eq(ev.tlp, "amber");
    cr_assert_eq(ev.port, 447);
    cr_assert_eq(ev.n_obs, 2);
    cr_assert_str_eq(obs_str(0), "ip 2001:db8:30::5 -> ip 2001:db8:30::5");
    cr_assert_str_eq(obs_str(1), "asn AS64501 -> asn 64501");
    cr_assert_str_eq(ev.context,
                     "{\"destination.ip\":\"198.51.100.30\","
                     "\"destination.port\":443,\"extra.first_seen\":"
                     "\"2026-11-01\",\"extra.status\":\"online\","
                     "\"malware.name\":\"examplebot\"}");
}

Test(decode_intelmq, url_and_fqdn) {
    DECODE_OK(fixture_line("events.jsonl", 3));
    cr_assert_eq(ev.n_obs, 2);
    cr_assert_str_eq(obs_str(0), "domain login.example.com.evil.example -> "
                                 "domain login.example.com.evil.example");
    cr_assert_str_eq(obs_str(1), "url https://login.example.com.evil.example/"
                                 "secure -> domain "
                                 "login.example.com.evil.example");
    cr_assert_str_eq(ev.description, "Credential phishing page");
    cr_assert_str_eq(ev.context, "{\"extra.tags\":[\"bank\",\"nl\"]}");
}

/* source.network is a range; AS number 0 means unknown. */
Test(decode_intelmq, network_and_asn_zero) {
    DECODE_OK(fixture_line("events.jsonl", 4));
    cr_assert_eq(ev.n_obs, 1);
    cr_assert_str_eq(obs_str(0), "cidr 203.0.113.0/24 -> ip 203.0.113.0/24");
    cr_assert_null(ev.taxonomy);
    cr_assert_str_eq(ev.type, "blocklist");
    cr_assert_eq(ev.kind, AM_EVENT_INDICATOR);
}

/* CVE ids from extra.tag and product.vulnerabilities; a vulnerable type is
 * a scan even without its taxonomy; severity in lower case. */
Test(decode_intelmq, cves_and_severity) {
    DECODE_OK(fixture_line("events.jsonl", 5));
    cr_assert_eq(ev.kind, AM_EVENT_SCAN);
    cr_assert_eq(ev.n_cves, 2);
    cr_assert_str_eq(ev.cves[0], "CVE-2021-26855");
    cr_assert_str_eq(ev.cves[1], "CVE-2021-27065");
    cr_assert_str_eq(ev.severity, "critical");
}

/* An id the event carries is its id. */
Test(decode_intelmq, explicit_id) {
    DECODE_OK(fixture_line("events.jsonl", 6));
    cr_assert_str_eq(ev.id, "cert-2026-0001");
    cr_assert_str_eq(obs_str(0), "asn 64502 -> asn 64502");
}

/* The derived id depends on the content, not on key order or spacing. */
Test(decode_intelmq, derived_id_is_deterministic) {
    char id[64];

    DECODE_OK("{\"source.ip\":\"192.0.2.1\",\"feed.name\":\"A\","
              "\"classification.type\":\"scanner\"}");
    snprintf(id, sizeof(id), "%s", ev.id);
    DECODE_OK("{ \"classification.type\": \"scanner\", \"feed.name\": \"A\","
              " \"source.ip\": \"192.0.2.1\" }");
    cr_assert_str_eq(ev.id, id);
    DECODE_OK("{\"source.ip\":\"192.0.2.2\",\"feed.name\":\"A\","
              "\"classification.type\":\"scanner\"}");
    cr_assert_str_neq(ev.id, id);
    DECODE_OK("{\"source.ip\":\"192.0.2.1\",\"feed.name\":\"B\","
              "\"classification.type\":\"scanner\"}");
    cr_assert_str_neq(ev.id, id);
}

struct kind_case {
    char json[200];
    char kind[12];
};

ParameterizedTestParameters(decode_intelmq, kind) {
    static struct kind_case cases[] = {
        {"{\"source.ip\":\"192.0.2.1\",\"classification.taxonomy\":"
         "\"Vulnerable\"}",
         "scan"},
        {"{\"source.ip\":\"192.0.2.1\",\"classification.type\":"
         "\"weak-crypto\"}",
         "scan"},
        {"{\"source.ip\":\"192.0.2.1\",\"classification.type\":"
         "\"potentially-unwanted-accessible\"}",
         "scan"},
        {"{\"source.ip\":\"192.0.2.1\",\"feed.name\":\"Open-Memcached\"}",
         "scan"},
        {"{\"source.ip\":\"192.0.2.1\",\"feed.name\":\"Accessible-SMB\"}",
         "scan"},
        {"{\"source.ip\":\"192.0.2.1\",\"feed.name\":"
         "\"shadowserver scan_rdp\"}",
         "scan"},
        {"{\"source.ip\":\"192.0.2.1\",\"feed.name\":\"Weekly Scan\"}", "scan"},
        /* Scanners are attackers: indicators. */
        {"{\"source.ip\":\"192.0.2.1\",\"feed.name\":\"SSH Scanners\"}",
         "indicator"},
        {"{\"source.ip\":\"192.0.2.1\",\"feed.name\":\"scanning hosts\"}",
         "indicator"},
        {"{\"source.ip\":\"192.0.2.1\",\"classification.taxonomy\":"
         "\"malicious-code\"}",
         "indicator"},
        {"{\"source.ip\":\"192.0.2.1\"}", "indicator"},
    };
    return cr_make_param_array(struct kind_case, cases,
                               sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct kind_case *c, decode_intelmq, kind) {
    DECODE_OK(c->json);
    cr_assert_str_eq(am_event_kind_name(ev.kind), c->kind, "%s", c->json);
}

struct bad_case {
    char json[200];
    char want[160];
};

ParameterizedTestParameters(decode_intelmq, rejects) {
    static struct bad_case cases[] = {
        {"{\"feed.name\":\"x\",\"destination.ip\":\"192.0.2.1\"}",
         "no observable (source.ip, source.fqdn, source.url, source.asn, "
         "source.network)"},
        {"{\"source.ip\":\"\",\"source.asn\":0}",
         "no observable (source.ip, source.fqdn, source.url, source.asn, "
         "source.network)"},
        {"{\"source.ip\":\"192.0.2.999\"}",
         "field 'source.ip': bad ip '192.0.2.999': not an IP address"},
        {"{\"source.ip\":[\"192.0.2.1\"]}",
         "field 'source.ip': must be a string"},
        {"{\"source.network\":\"192.0.2.0/33\"}",
         "field 'source.network': bad cidr '192.0.2.0/33': prefix length 33 "
         "out of range for IPv4"},
        {"{\"source.asn\":1.5}", "field 'source.asn': must be an integer"},
        {"{\"source.ip\":\"192.0.2.1\",\"source.port\":70000}",
         "field 'source.port': 70000 out of range 0..65535"},
        {"{\"source.ip\":\"192.0.2.1\",\"source.port\":\"http\"}",
         "field 'source.port': not a number"},
        {"{\"source.ip\":\"192.0.2.1\",\"feed.accuracy\":150}",
         "field 'feed.accuracy': 150 out of range 0..100"},
        {"{\"source.ip\":\"192.0.2.1\",\"time.source\":1700000000}",
         "field 'time.source': must be a string"},
        {"{\"source.ip\":\"192.0.2.1\",\"id\":7}", "field 'id': must be a "
                                                   "string"},
        {"{\"__type\":\"Report\",\"raw\":\"eA==\"}",
         "field '__type': must be \"Event\" (an IntelMQ report is not "
         "decoded; parse it in IntelMQ first)"},
    };
    return cr_make_param_array(struct bad_case, cases,
                               sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct bad_case *c, decode_intelmq, rejects) {
    cr_assert_eq(decode(c->json), -1, "%s", c->json);
    cr_assert_str_eq(err, c->want, "%s", c->json);
}

/* A context too big for an event string keeps what fits and says so. */
Test(decode_intelmq, oversized_context_is_truncated) {
    size_t big = AM_EVENT_MAX_STR + 10;
    json_t *root = json_pack("{s:s, s:s}", "source.ip", "192.0.2.1",
                             "extra.small", "x");
    char *huge = malloc(big + 1);

    cr_assert_not_null(huge);
    memset(huge, 'a', big);
    huge[big] = '\0';
    json_object_set_new(root, "extra.huge", json_string(huge));
    cr_assert_eq(am_decode_intelmq_obj(root, NULL, &ev, err, sizeof(err)), 0,
                 "%s", err);
    cr_assert_str_eq(ev.context, "{\"extra.small\":\"x\",\"_truncated\":true}");
    json_decref(root);
    free(huge);
}
