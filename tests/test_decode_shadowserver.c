/*
 * Tests for decode_shadowserver: Shadowserver report rows, as CSV files and
 * as JSON objects.
 *
 * The fixtures in tests/data/shadowserver/ are the project's own (addresses
 * from the documentation ranges), shaped like real reports: columns in
 * their own order, quoted tags with commas, semicolons and CVE ids, CRLF
 * line ends, IPv6 addresses, missing and surplus columns, bad rows.  Each
 * file decodes to the golden rendering next to it (FILE.golden.jsonl: one
 * line per event or reject); AM_UPDATE_GOLDEN=1 rewrites the golden files
 * from the current output.  Explicit tests spell out the fields that
 * matter.
 *
 * Inputs are copied into heap buffers of exactly their length, with no NUL
 * after them, so that a read past the end shows up under AddressSanitizer.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decode_shadowserver.h"
#include "event.h"
#include "ipaddr.h"
#include "jsonw.h"

#include "event_render.h"

#define DATA AM_TEST_DATA "/shadowserver/"

static am_event_t ev;
static char err[512];

static void setup(void) {
    am_event_init(&ev);
    err[0] = '\0';
}

static void teardown(void) {
    am_event_free(&ev);
}

TestSuite(decode_shadowserver, .init = setup, .fini = teardown);

/* ---- helpers ------------------------------------------------------------- */


static char *dup_exact(const char *s, size_t *len) {
    char *copy;

    *len = strlen(s);
    copy = malloc(*len ? *len : 1);
    cr_assert_not_null(copy);
    memcpy(copy, s, *len);
    return copy;
}

/* A sink that renders what it gets, one JSON line each. */
typedef struct collect_s {
    am_buf_t out;
    int events, rejects;
    int stop_after; /* stop decoding after this many events; 0: never */
} collect_t;

static void add_line(collect_t *c, json_t *obj) {
    char *line = json_dumps(obj, JSON_COMPACT | JSON_SORT_KEYS);

    cr_assert_not_null(line);
    am_buf_puts(&c->out, line);
    am_buf_putc(&c->out, '\n');
    free(line);
    json_decref(obj);
}

static int on_event(am_event_t *e, void *opaque) {
    collect_t *c = opaque;

    add_line(c, render_event(e));
    c->events++;
    return c->stop_after && c->events == c->stop_after;
}

static void on_reject(long item, const char *reason, void *opaque) {
    collect_t *c = opaque;

    add_line(c, json_pack("{s:I, s:s}", "reject", (json_int_t)item, "reason",
                          reason));
    c->rejects++;
}

static void on_skip(long item, am_skip_t why, void *opaque) {
    cr_assert_fail("nothing is skipped: item %ld, why %d", item, why);
}

static collect_t col;

static const am_decode_sink_t sink = {on_event, on_reject, on_skip, &col};

static void col_reset(int stop_after) {
    am_buf_free(&col.out);
    memset(&col, 0, sizeof(col));
    am_buf_init(&col.out);
    col.stop_after = stop_after;
}

/* Decodes the CSV text \p csv as the file \p name. */
static int decode_csv_text(const char *csv, const char *name, int stop) {
    am_decode_hint_t hint = {name, 0};
    size_t n;
    char *copy = dup_exact(csv, &n);
    int rc;

    col_reset(stop);
    am_event_reset(&ev);
    rc = am_decode_shadowserver_csv(copy, n, &hint, &ev, &sink);
    free(copy);
    return rc;
}

/* Decodes the fixture \p file (named by its path, as the CLI does). */
static int decode_fixture(const char *file, int stop) {
    char path[512];
    am_decode_hint_t hint = {path, 0};
    size_t n;
    char *buf;
    int rc;

    snprintf(path, sizeof(path), DATA "%s", file);
    buf = slurp(path, &n, false);
    col_reset(stop);
    am_event_reset(&ev);
    rc = am_decode_shadowserver_csv(buf, n, &hint, &ev, &sink);
    free(buf);
    return rc;
}

/* Decodes one JSON row, with \p name as the hint's name (may be NULL). */
static int decode_row(const char *json, const char *name) {
    am_decode_hint_t hint = {name, 0};
    json_error_t je;
    json_t *root = json_loads(json, JSON_REJECT_DUPLICATES, &je);
    int rc;

    cr_assert_not_null(root, "%s: %s", json, je.text);
    am_event_reset(&ev);
    err[0] = '\0';
    rc = am_decode_shadowserver_obj(root, &hint, &ev, err, sizeof(err));
    json_decref(root);
    return rc;
}

#define ROW_OK(json, name) \
    cr_assert_eq(decode_row(json, name), 0, "%s: %s", json, err)

/* Compares what the fixture decoded to with FILE.golden.jsonl. */
static void check_golden(const char *file) {
    char path[512];
    size_t n;
    char *want;
    FILE *f;

    snprintf(path, sizeof(path), DATA "%s.golden.jsonl", file);
    if (getenv("AM_UPDATE_GOLDEN") &&
        strcmp(getenv("AM_UPDATE_GOLDEN"), "1") == 0) {
        f = fopen(path, "w");
        cr_assert_not_null(f, "%s", path);
        fwrite(col.out.data, 1, col.out.len, f);
        fclose(f);
    }
    want = slurp(path, &n, false);
    cr_assert_eq(col.out.len, n, "%s: got\n%s", path, col.out.data);
    cr_assert_eq(memcmp(col.out.data, want, n), 0, "%s: got\n%s", path,
                 col.out.data);
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

static const char *cves_str(void) {
    static char out[512];
    size_t o = 0;

    out[0] = '\0';
    for (size_t i = 0; i < ev.n_cves; i++)
        o += (size_t)snprintf(out + o, sizeof(out) - o, "%s%s", i ? " " : "",
                              ev.cves[i]);
    return out;
}

/* ---- golden files -------------------------------------------------------- */

struct golden_case {
    char file[80];
    int rc;
    int events;
    int rejects;
};

ParameterizedTestParameters(decode_shadowserver, golden) {
    static struct golden_case cases[] = {
        {"2026-11-20-scan_http_vulnerable-test.csv", 7, 7, 4},
        {"2026-11-20-event4_sinkhole_http-test.csv", 2, 2, 2},
        {"2026-11-20-blocklist-test.csv", 2, 2, 0},
        {"not-a-report.csv", -1, 0, 1},
    };
    return cr_make_param_array(struct golden_case, cases,
                               sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct golden_case *c, decode_shadowserver, golden) {
    cr_assert_eq(decode_fixture(c->file, 0), c->rc, "%s", c->file);
    cr_assert_eq(col.events, c->events, "%s", c->file);
    cr_assert_eq(col.rejects, c->rejects, "%s", c->file);
    check_golden(c->file);
    am_buf_free(&col.out);
}

/* The same file decoded again gives the same events, ids included. */
Test(decode_shadowserver, replay_gives_the_same_ids) {
    char *first;

    decode_fixture("2026-11-20-scan_http_vulnerable-test.csv", 0);
    first = strdup(col.out.data);
    decode_fixture("2026-11-20-scan_http_vulnerable-test.csv", 0);
    cr_assert_str_eq(col.out.data, first);
    free(first);
    am_buf_free(&col.out);
}

/* ---- scan reports, field by field ---------------------------------------- */

Test(decode_shadowserver, scan_row_fields) {
    /* Stop after the first event: ev still holds it. */
    cr_assert_eq(decode_fixture("2026-11-20-scan_http_vulnerable-test.csv", 1),
                 1);
    cr_assert_eq(strncmp(ev.id, "shadowserver:", 13), 0, "%s", ev.id);
    cr_assert_eq(strlen(ev.id), 13 + 40, "%s", ev.id);
    cr_assert_eq(strspn(ev.id + 13, "0123456789abcdef"), 40, "%s", ev.id);
    cr_assert_eq(ev.kind, AM_EVENT_SCAN);
    cr_assert_str_eq(ev.format, "shadowserver");
    cr_assert_str_eq(ev.source, "shadowserver");
    cr_assert_str_eq(ev.report_type, "scan_http_vulnerable");
    cr_assert_str_eq(ev.feed, "scan_http_vulnerable");
    cr_assert_str_eq(ev.time, "2026-11-20T03:04:05Z");
    cr_assert_str_eq(ev.severity, "critical");
    cr_assert_eq(ev.port, 443);
    cr_assert_str_eq(ev.protocol, "tcp");
    /* The whole tag list, and the CVE ids in it, whatever the separator. */
    cr_assert_str_eq(ev.tag, "exchange;cve-2021-26855,CVE-2021-27065");
    cr_assert_str_eq(cves_str(), "CVE-2021-26855 CVE-2021-27065");
    cr_assert_eq(ev.n_obs, 3);
    cr_assert_str_eq(obs_str(0), "ip 192.0.2.10 -> ip 192.0.2.10");
    cr_assert_str_eq(obs_str(1), "domain www.example.com -> domain "
                                 "www.example.com");
    cr_assert_str_eq(obs_str(2), "asn 64500 -> asn 64500");
    /* Unknown and unmapped columns, in header order, as strings. */
    cr_assert_str_eq(ev.context, "{\"geo\":\"NL\",\"x_note\":\"first row\","
                                 "\"hostname_source\":\"ptr\",\"http_code\":"
                                 "\"200\",\"server\":\"Microsoft-IIS/10.0\"}");
    /* Classification is classify's job. */
    cr_assert_null(ev.taxonomy);
    cr_assert_null(ev.type);
    am_buf_free(&col.out);
}

/* An empty hostname and AS number 0 (unknown) are no observables. */
Test(decode_shadowserver, empty_hostname_and_asn_zero_left_out) {
    decode_fixture("2026-11-20-scan_http_vulnerable-test.csv", 2);
    cr_assert_eq(ev.n_obs, 1);
    cr_assert_str_eq(obs_str(0), "ip 198.51.100.7 -> ip 198.51.100.7");
    cr_assert_str_eq(ev.tag, "basic-auth,http");
    cr_assert_eq(ev.n_cves, 0);
    cr_assert_str_eq(ev.context, "{\"geo\":\"NL\",\"http_code\":\"401\","
                                 "\"server\":\"nginx\"}");
    am_buf_free(&col.out);
}

/* An IPv6 address; an anonymised hostname that is no DNS name goes to the
 * context instead of rejecting the row. */
Test(decode_shadowserver, ipv6_and_invalid_hostname) {
    decode_fixture("2026-11-20-scan_http_vulnerable-test.csv", 3);
    cr_assert_eq(ev.n_obs, 2);
    cr_assert_str_eq(obs_str(0), "ip 2001:db8::7 -> ip 2001:db8::7");
    cr_assert_str_eq(obs_str(1), "asn 64501 -> asn 64501");
    cr_assert_str_eq(ev.time, "2026-11-20T03:04:07Z");
    cr_assert_str_eq(ev.context, "{\"hostname\":\"xxx..example\","
                                 "\"geo\":\"DE\"}");
    am_buf_free(&col.out);
}

/* Fewer fields than the header: the missing columns are absent; more: the
 * surplus is kept under "_extra". */
Test(decode_shadowserver, short_and_long_rows) {
    decode_fixture("2026-11-20-scan_http_vulnerable-test.csv", 4);
    cr_assert_str_eq(obs_str(1), "domain host5.example.net -> domain "
                                 "host5.example.net");
    cr_assert_null(ev.tag);
    cr_assert_null(ev.context);
    decode_fixture("2026-11-20-scan_http_vulnerable-test.csv", 5);
    cr_assert_str_eq(ev.context, "{\"geo\":\"NL\",\"_extra\":[\"surplus-1\","
                                 "\"surplus, 2\"]}");
    am_buf_free(&col.out);
}

/* Rejected rows name their line and the field at fault; the rows after
 * them are still read. */
Test(decode_shadowserver, rejects_name_line_and_field) {
    const char *want =
        "{\"reason\":\"field 'ip': bad ip '192.0.2.300': not an IP "
        "address\",\"reject\":7}\n";

    decode_fixture("2026-11-20-scan_http_vulnerable-test.csv", 0);
    cr_assert_not_null(strstr(col.out.data, want), "%s", col.out.data);
    cr_assert_not_null(strstr(col.out.data,
                              "{\"reason\":\"field 'port': 'https' is not a "
                              "port number\",\"reject\":8}\n"));
    cr_assert_not_null(strstr(col.out.data,
                              "{\"reason\":\"field 'asn': bad asn 'AS-BAD': "
                              "bad character '-' in AS number\","
                              "\"reject\":10}\n"));
    cr_assert_not_null(strstr(col.out.data,
                              "{\"reason\":\"no observable (ip, hostname, "
                              "asn, src_ip, src_hostname, src_asn)\","
                              "\"reject\":14}\n"));
    am_buf_free(&col.out);
}

/* Backslash-escaped quotes inside a quoted field, as some Shadowserver
 * reports write HTTP headers, are read as Python's csv module reads them;
 * a quoted field may span lines. */
Test(decode_shadowserver, lenient_quotes_and_multiline_fields) {
    decode_fixture("2026-11-20-scan_http_vulnerable-test.csv", 6);
    cr_assert_str_eq(obs_str(0), "ip 192.0.2.12 -> ip 192.0.2.12");
    /* The field is "Basic realm=\"\"intranet\"\"" in the file; it reads
     * as Basic realm=\\"intranet\"\"" (Python's csv gives the same). */
    cr_assert_str_eq(ev.context,
                     "{\"geo\":\"NL\",\"x_note\":\"Basic "
                     "realm=\\\\\\\\\\\"intranet\\\\\\\"\\\\\\\"\\\"\","
                     "\"http_code\":\"401\"}");
    decode_fixture("2026-11-20-scan_http_vulnerable-test.csv", 7);
    cr_assert_str_eq(ev.context, "{\"geo\":\"NL\",\"x_note\":\"two\\nlines\"}");
    am_buf_free(&col.out);
}

/* ---- event reports ------------------------------------------------------- */

/* src_* is the reported host; dst_* (the sinkhole) and http_host are
 * context; the port is src_port; the infection names the identifier. */
Test(decode_shadowserver, event_row_fields) {
    decode_fixture("2026-11-20-event4_sinkhole_http-test.csv", 1);
    cr_assert_str_eq(ev.report_type, "event4_sinkhole_http");
    cr_assert_eq(ev.kind, AM_EVENT_SCAN);
    cr_assert_eq(ev.n_obs, 3);
    cr_assert_str_eq(obs_str(0), "ip 192.0.2.20 -> ip 192.0.2.20");
    cr_assert_str_eq(obs_str(1), "domain pc20.example.com -> domain "
                                 "pc20.example.com");
    cr_assert_str_eq(obs_str(2), "asn 64500 -> asn 64500");
    cr_assert_eq(ev.port, 49152);
    cr_assert_str_eq(ev.identifier, "andromeda");
    cr_assert_str_eq(ev.tag, "avalanche-andromeda;botnet");
    cr_assert_str_eq(ev.context,
                     "{\"src_geo\":\"NL\",\"dst_ip\":\"198.51.100.80\","
                     "\"dst_port\":\"80\",\"dst_asn\":\"64999\","
                     "\"dst_hostname\":\"sinkhole.example.org\","
                     "\"family\":\"andromeda\",\"http_host\":"
                     "\"c2.example.net\",\"http_url\":\"/gate.php\","
                     "\"event_id\":\"abc-1\"}");
    decode_fixture("2026-11-20-event4_sinkhole_http-test.csv", 2);
    cr_assert_str_eq(obs_str(0), "ip 2001:db8:20::1 -> ip 2001:db8:20::1");
    am_buf_free(&col.out);
}

/* ---- JSON rows ----------------------------------------------------------- */

Test(decode_shadowserver, json_row) {
    ROW_OK("{\"timestamp\":\"2026-11-20 03:04:05\",\"type\":\"scan_rdp\","
           "\"ip\":\"192.0.2.40\",\"port\":3389,\"protocol\":\"tcp\","
           "\"hostname\":\"rdp.example.com\",\"tag\":\"rdp\",\"asn\":64500,"
           "\"geo\":\"NL\",\"severity\":\"HIGH\",\"naics\":517311,"
           "\"sector\":null,\"cert\":{\"b\":1,\"a\":[true,1.5]}}",
           NULL);
    cr_assert_str_eq(ev.report_type, "scan_rdp");
    cr_assert_eq(ev.port, 3389);
    cr_assert_str_eq(ev.severity, "high");
    cr_assert_str_eq(ev.time, "2026-11-20T03:04:05Z");
    cr_assert_eq(ev.n_obs, 3);
    cr_assert_str_eq(obs_str(2), "asn 64500 -> asn 64500");
    /* JSON values stay JSON in the context; null is absent. */
    cr_assert_str_eq(ev.context, "{\"geo\":\"NL\",\"naics\":517311,"
                                 "\"cert\":{\"a\":[true,1.5],\"b\":1}}");
}

/* A row from the API (JSON, numbers as numbers, type in a field) and the
 * same row in a CSV file (text, type in the file name) get the same id. */
Test(decode_shadowserver, same_row_same_id_across_transports) {
    char id[64];

    ROW_OK("{\"timestamp\":\"2026-11-20 03:04:05\",\"type\":\"scan_rdp\","
           "\"ip\":\"192.0.2.40\",\"port\":3389,\"asn\":64500,"
           "\"hostname\":\"\",\"tag\":\"rdp\"}",
           NULL);
    snprintf(id, sizeof(id), "%s", ev.id);
    cr_assert_eq(decode_csv_text("timestamp,ip,port,asn,hostname,tag\r\n"
                                 "2026-11-20 03:04:05,192.0.2.40,3389,64500,,"
                                 "rdp\r\n",
                                 "/in/2026-11-20-scan_rdp-x.csv", 1),
                 1);
    cr_assert_str_eq(ev.id, id);
    /* Columns in another order: the same id. */
    decode_csv_text("tag,asn,\"ip\",timestamp,port\n"
                    "rdp,64500,192.0.2.40,2026-11-20 03:04:05,3389\n",
                    "2026-11-20-scan_rdp-y.csv", 1);
    cr_assert_str_eq(ev.id, id);
    /* Another report type, or another value: another id. */
    decode_csv_text("tag,asn,ip,timestamp,port\n"
                    "rdp,64500,192.0.2.40,2026-11-20 03:04:05,3389\n",
                    "2026-11-20-scan_smb-y.csv", 1);
    cr_assert_str_neq(ev.id, id);
    decode_csv_text("tag,asn,ip,timestamp,port\n"
                    "rdp,64500,192.0.2.40,2026-11-20 03:04:06,3389\n",
                    "2026-11-20-scan_rdp-y.csv", 1);
    cr_assert_str_neq(ev.id, id);
    am_buf_free(&col.out);
}

struct name_case {
    char name[80];
    char field[24];
    char want[40];
};

ParameterizedTestParameters(decode_shadowserver, report_type_sources) {
    static struct name_case cases[] = {
        {"2026-11-20-scan_rdp-nl-asn64500.csv", "", "scan_rdp"},
        {"/var/in/2020-04-03-scan_ics-sample-asn-delayed.csv", "", "scan_ics"},
        {"2026-11-20-event4_sinkhole_http-x.CSV", "", "event4_sinkhole_http"},
        {"scan_smb.csv", "", "scan_smb"},
        {"dir/event4_sinkhole_http.csv", "", "event4_sinkhole_http"},
        {"blocklist.csv", "", "blocklist"},
        /* Names that give no report type. */
        {"events.csv", "", ""},
        {"2026-11-20-scan_rdp.csv", "", ""},
        {"2026-11-20-scan_rdp-x.json", "", ""},
        {"shadowserver-topic", "", ""},
        {"", "", ""},
        /* A report_type or type field beats the name. */
        {"2026-11-20-scan_rdp-x.csv", "scan_vnc", "scan_vnc"},
    };
    return cr_make_param_array(struct name_case, cases,
                               sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct name_case *c, decode_shadowserver,
                  report_type_sources) {
    char row[256];

    snprintf(row, sizeof(row),
             "{\"timestamp\":\"2026-11-20 00:00:00\",\"ip\":\"192.0.2.1\","
             "\"report_type\":\"%s\"}",
             c->field);
    cr_assert_eq(decode_row(row, *c->name ? c->name : NULL), 0, "%s", err);
    cr_assert_str_eq(ev.report_type ? ev.report_type : "", c->want, "%s",
                     c->name);
}

struct time_case {
    char in[40];
    char want[40];
};

ParameterizedTestParameters(decode_shadowserver, timestamps) {
    static struct time_case cases[] = {
        {"2022-01-10 02:20:37", "2022-01-10T02:20:37Z"},
        {"2022-01-10T02:20:37Z", "2022-01-10T02:20:37Z"},
        {"2022-01-10 02:20:37.123", "2022-01-10T02:20:37.123Z"},
        {"2022-01-10 02:20:37+00", "2022-01-10T02:20:37Z"},
        {"2022-01-10 02:20:37+00:00", "2022-01-10T02:20:37Z"},
        {"2022-01-10 02:20:37 UTC", "2022-01-10T02:20:37Z"},
        {" 2022-01-10 02:20:37 ", "2022-01-10T02:20:37Z"},
        /* Another zone, or no time of day: kept as given. */
        {"2022-01-10 02:20:37+02:00", "2022-01-10 02:20:37+02:00"},
        {"2022-01-10", "2022-01-10"},
        {"yesterday", "yesterday"},
    };
    return cr_make_param_array(struct time_case, cases,
                               sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct time_case *c, decode_shadowserver, timestamps) {
    char row[256];

    snprintf(row, sizeof(row), "{\"timestamp\":\"%s\",\"ip\":\"192.0.2.1\"}",
             c->in);
    cr_assert_eq(decode_row(row, NULL), 0, "%s", err);
    cr_assert_str_eq(ev.time, c->want);
}

struct bad_row_case {
    char json[200];
    char want[160];
};

ParameterizedTestParameters(decode_shadowserver, bad_rows) {
    static struct bad_row_case cases[] = {
        {"{\"timestamp\":\"t\",\"ip\":\"192.0.2\"}",
         "field 'ip': bad ip '192.0.2': not an IP address"},
        {"{\"timestamp\":\"t\",\"ip\":5}",
         "field 'ip': bad ip '5': not an IP address"},
        {"{\"timestamp\":\"t\",\"src_ip\":\"::gg\"}",
         "field 'src_ip': bad ip '::gg': not an IP address"},
        {"{\"timestamp\":\"t\",\"ip\":\"\",\"hostname\":\"\",\"asn\":0}",
         "no observable (ip, hostname, asn, src_ip, src_hostname, src_asn)"},
        {"{\"timestamp\":\"t\",\"dst_ip\":\"192.0.2.1\"}",
         "no observable (ip, hostname, asn, src_ip, src_hostname, src_asn)"},
        {"{\"timestamp\":\"t\",\"ip\":\"192.0.2.1\",\"port\":65536}",
         "field 'port': 65536 out of range 0..65535"},
        {"{\"timestamp\":\"t\",\"ip\":\"192.0.2.1\",\"port\":-1}",
         "field 'port': '-1' is not a port number"},
        {"{\"timestamp\":\"t\",\"src_ip\":\"192.0.2.1\",\"src_port\":\"x\"}",
         "field 'src_port': 'x' is not a port number"},
        {"{\"timestamp\":\"t\",\"ip\":\"192.0.2.1\",\"asn\":\"4294967296\"}",
         "field 'asn': bad asn '4294967296': AS number larger than "
         "4294967295"},
    };
    return cr_make_param_array(struct bad_row_case, cases,
                               sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct bad_row_case *c, decode_shadowserver, bad_rows) {
    cr_assert_eq(decode_row(c->json, NULL), -1, "%s", c->json);
    cr_assert_str_eq(err, c->want, "%s", c->json);
}

/* A hostname alone (no address) is enough to match on. */
Test(decode_shadowserver, hostname_only_row) {
    ROW_OK("{\"timestamp\":\"t\",\"ip\":\"\",\"hostname\":\"Www.Example.COM.\","
           "\"asn\":\"0\"}",
           NULL);
    cr_assert_eq(ev.n_obs, 1);
    cr_assert_str_eq(obs_str(0), "domain Www.Example.COM. -> domain "
                                 "www.example.com");
}

/* A value too big for the context is left out, and the context says so. */
Test(decode_shadowserver, oversized_context_is_truncated) {
    size_t big = AM_EVENT_MAX_STR + 100;
    char *csv = malloc(big + 200);
    size_t n;

    cr_assert_not_null(csv);
    n = (size_t)sprintf(csv, "timestamp,ip,http_url,geo\n"
                             "2026-11-20 00:00:00,192.0.2.1,");
    memset(csv + n, 'a', big);
    n += big;
    memcpy(csv + n, ",NL\n", 5);
    cr_assert_eq(decode_csv_text(csv, "2026-11-20-scan_http-x.csv", 0), 1);
    cr_assert_str_eq(col.out.data + strcspn(col.out.data, "\n") + 1, "");
    cr_assert_not_null(strstr(col.out.data, "\"context\":{\"_truncated\":true,"
                                            "\"geo\":\"NL\"}"),
                       "%.300s", col.out.data);
    free(csv);
    am_buf_free(&col.out);
}

/* ---- whole files --------------------------------------------------------- */

struct file_case {
    char csv[160];
    int rc;
    char want[240]; /* the rendered rejects, or the first line */
};

ParameterizedTestParameters(decode_shadowserver, not_a_report) {
    static struct file_case cases[] = {
        {"", -1, "{\"reason\":\"not a Shadowserver report: no header line\","
                 "\"reject\":-1}\n"},
        {"timestamp,address\n1,2\n", -1,
         "{\"reason\":\"not a Shadowserver report: the header names no 'ip' "
         "or 'src_ip' column\",\"reject\":-1}\n"},
        {"\"timestamp,ip\n", -1,
         "{\"reason\":\"not a Shadowserver report: unterminated quoted "
         "field\",\"reject\":-1}\n"},
        /* A header alone is a report with no rows. */
        {"timestamp,ip\r\n", 0, ""},
        /* A UTF-8 byte order mark before the header is fine. */
        {"\xef\xbb\xbftimestamp,ip\n2026-11-20 00:00:00,192.0.2.1\n", 1, ""},
    };
    return cr_make_param_array(struct file_case, cases,
                               sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct file_case *c, decode_shadowserver, not_a_report) {
    cr_assert_eq(decode_csv_text(c->csv, "x.csv", 0), c->rc, "%s", c->csv);
    cr_assert_eq(col.rejects, c->rc < 0);
    cr_assert_str_eq(c->rc < 0 ? col.out.data : "", c->want);
    am_buf_free(&col.out);
}

/* A sink that says stop ends the decoding there. */
Test(decode_shadowserver, sink_can_stop) {
    cr_assert_eq(decode_fixture("2026-11-20-blocklist-test.csv", 1), 1);
    cr_assert_eq(col.events, 1);
    cr_assert_str_eq(obs_str(0), "cidr 203.0.113.0/24 -> ip 203.0.113.0/24");
    am_buf_free(&col.out);
}
