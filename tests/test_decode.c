/*
 * decode: format recognition, the limits every format shares, and what the
 * single entry point reports (events, rejects with the part, skips, the
 * format used).
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decode.h"

static am_event_t ev;
static size_t events, rejects, skips[AM_SKIP__COUNT];
static char last_reject[512];
static char first_id[256];

static int on_event(am_event_t *e, void *opaque) {
    (void)opaque;
    if (events++ == 0)
        snprintf(first_id, sizeof(first_id), "%s", e->id);
    return 0;
}

static void on_reject(long item, const char *reason, void *opaque) {
    (void)opaque;
    rejects++;
    snprintf(last_reject, sizeof(last_reject), "%ld: %s", item, reason);
}

static void on_skip(long item, am_skip_t why, void *opaque) {
    (void)item;
    (void)opaque;
    skips[why]++;
}

static void setup(void) {
    am_event_init(&ev);
    events = rejects = 0;
    memset(skips, 0, sizeof(skips));
    last_reject[0] = first_id[0] = '\0';
}

static void teardown(void) {
    am_event_free(&ev);
}

TestSuite(decode, .init = setup, .fini = teardown);

static int decode(am_format_t fmt, const char *s, size_t n,
                  am_format_t *used) {
    am_decode_sink_t sink = {on_event, on_reject, on_skip, NULL};
    am_decode_hint_t hint = {"2026-11-20-scan_rdp-test.csv", 1790000000};
    return am_decode(fmt, s, n, &hint, &ev, &sink, used);
}

struct detect_case {
    char text[400];
    am_format_t want;
};

ParameterizedTestParameters(decode, detect) {
    static struct detect_case cases[] = {
        {"{\"id\":\"a\",\"observables\":[]}", AM_FORMAT_JSON},
        {"  \n{\"kind\":\"scan\",\"ip\":\"192.0.2.1\"}", AM_FORMAT_JSON},
        {"{\"type\":\"bundle\",\"id\":\"bundle--1\",\"objects\":[]}",
         AM_FORMAT_STIX},
        {"{\"type\":\"indicator\",\"pattern\":\"[ipv4-addr:value = '1.2.3.4']"
         "\"}",
         AM_FORMAT_STIX},
        {"{\"__type\":\"Event\",\"source.ip\":\"192.0.2.1\"}",
         AM_FORMAT_INTELMQ},
        {"{\"feed.name\":\"x\",\"source.fqdn\":\"example.com\"}",
         AM_FORMAT_INTELMQ},
        {"{\"timestamp\":\"2026-11-20 01:02:03\",\"ip\":\"192.0.2.1\","
         "\"port\":443}",
         AM_FORMAT_SHADOWSERVER},
        {"{\"timestamp\":\"2026-11-20 01:02:03\",\"src_ip\":\"192.0.2.1\"}",
         AM_FORMAT_SHADOWSERVER},
        {"\"timestamp\",\"ip\",\"port\"\n\"2026-11-20\",\"192.0.2.1\",\"80\"\n",
         AM_FORMAT_SHADOWSERVER},
        {"timestamp,src_ip,dst_ip\n", AM_FORMAT_SHADOWSERVER},
        {"timestamp,severity,ip\r\n", AM_FORMAT_SHADOWSERVER},
        /* Not JSON, not CSV: the JSON decoder says why. */
        {"not json at all", AM_FORMAT_JSON},
        {"[1,2,3]", AM_FORMAT_JSON},
        {"{broken", AM_FORMAT_JSON},
        {"", AM_FORMAT_JSON},
    };
    return cr_make_param_array(struct detect_case, cases,
                               sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct detect_case *c, decode, detect) {
    cr_expect_eq(am_decode_detect(c->text, strlen(c->text)), c->want,
                 "'%s': got %s", c->text,
                 am_format_name(am_decode_detect(c->text, strlen(c->text))));
}

Test(decode, avro_is_recognised_by_its_first_byte) {
    /* 0x00: the Confluent magic byte, or union branch 0 (Indicator);
     * 0x02: branch 1 (ScanResult).  No text starts with either. */
    cr_expect_eq(am_decode_detect("\x00\x00\x00\x00\x07", 5),
                 AM_FORMAT_AVRO);
    cr_expect_eq(am_decode_detect("\x02\x0a", 2), AM_FORMAT_AVRO);
    cr_expect_eq(am_decode_detect("\x01\x0a", 2), AM_FORMAT_JSON);
}

Test(decode, format_names_round_trip) {
    for (int f = 0; f < AM_FORMAT__COUNT; f++)
        cr_expect_eq(am_format_parse(am_format_name(f)), f);
    cr_expect_eq(am_format_parse("xml"), -1);
}

Test(decode, auto_reports_the_format_used) {
    static const char stix[] =
        "{\"type\":\"indicator\",\"spec_version\":\"2.1\","
        "\"id\":\"indicator--8b6f4c0e-3d2a-4f7b-9c1e-5a6d7e8f9012\","
        "\"created\":\"2026-11-20T08:00:00.000Z\","
        "\"modified\":\"2026-11-20T08:00:00.000Z\","
        "\"pattern\":\"[ipv4-addr:value = '192.0.2.66']\","
        "\"pattern_type\":\"stix\",\"valid_from\":\"2026-11-20T08:00:00Z\"}";
    am_format_t used = AM_FORMAT_AUTO;

    cr_assert_eq(decode(AM_FORMAT_AUTO, stix, strlen(stix), &used), 1);
    cr_expect_eq(used, AM_FORMAT_STIX);
    cr_expect_str_eq(first_id,
                     "indicator--8b6f4c0e-3d2a-4f7b-9c1e-5a6d7e8f9012");
    cr_expect_str_eq(ev.format, "stix");
}

Test(decode, forced_format_is_not_second_guessed) {
    static const char native[] =
        "{\"id\":\"n1\",\"observables\":[{\"type\":\"ip\",\"value\":"
        "\"192.0.2.1\"}]}";
    am_format_t used = AM_FORMAT_AUTO;

    cr_assert_eq(decode(AM_FORMAT_STIX, native, strlen(native), &used), -1);
    cr_expect_eq(used, AM_FORMAT_STIX);
    cr_expect_eq(rejects, 1);
}

Test(decode, too_large_message_is_rejected_before_parsing) {
    size_t n = AM_DECODE_MAX_MESSAGE + 1;
    char *big = malloc(n);
    am_format_t used;

    cr_assert_not_null(big);
    memset(big, ' ', n);
    big[0] = '{';
    big[n - 1] = '}';
    cr_expect_eq(decode(AM_FORMAT_AUTO, big, n, &used), -1);
    cr_expect(strstr(last_reject, "exceeds the limit of 1048576 bytes"),
              "%s", last_reject);
    free(big);
}

Test(decode, deep_nesting_is_rejected) {
    char deep[2 * AM_DECODE_MAX_DEPTH + 64];
    size_t n = 0;

    n += (size_t)sprintf(deep, "{\"id\":\"x\",\"a\":");
    for (int i = 0; i < AM_DECODE_MAX_DEPTH; i++)
        deep[n++] = '[';
    for (int i = 0; i < AM_DECODE_MAX_DEPTH; i++)
        deep[n++] = ']';
    deep[n++] = '}';
    cr_expect_eq(decode(AM_FORMAT_JSON, deep, n, NULL), -1);
    cr_expect(strstr(last_reject, "nested deeper than 64 levels"), "%s",
              last_reject);
    /* Brackets inside strings do not count. */
    static const char quoted[] =
        "{\"id\":\"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["
        "[[[[[[[[[[[[[[[[[[\",\"observables\":[{\"type\":\"ip\",\"value\":"
        "\"192.0.2.1\"}]}";
    cr_expect_eq(decode(AM_FORMAT_JSON, quoted, strlen(quoted), NULL), 1,
                 "%s", last_reject);
}

Test(decode, intelmq_and_shadowserver_rows_through_auto) {
    static const char intelmq[] =
        "{\"__type\":\"Event\",\"feed.name\":\"Phishing\","
        "\"classification.taxonomy\":\"fraud\","
        "\"classification.type\":\"phishing\","
        "\"source.url\":\"http://login.example.com/x\"}";
    static const char row[] =
        "{\"timestamp\":\"2026-11-20 01:02:03\",\"ip\":\"192.0.2.30\","
        "\"port\":3389,\"asn\":64500,\"tag\":\"rdp;cve-2019-0708\"}";
    am_format_t used;

    cr_assert_eq(decode(AM_FORMAT_AUTO, intelmq, strlen(intelmq), &used), 1,
                 "%s", last_reject);
    cr_expect_eq(used, AM_FORMAT_INTELMQ);
    cr_expect_str_eq(ev.type, "phishing");
    cr_assert_eq(decode(AM_FORMAT_AUTO, row, strlen(row), &used), 1, "%s",
                 last_reject);
    cr_expect_eq(used, AM_FORMAT_SHADOWSERVER);
    /* The report type comes from the hint's file name. */
    cr_expect_str_eq(ev.report_type, "scan_rdp");
    cr_assert_eq(ev.n_cves, 1);
    cr_expect_str_eq(ev.cves[0], "CVE-2019-0708");
}

Test(decode, a_csv_report_is_one_message_of_many_events) {
    static const char csv[] =
        "\"timestamp\",\"ip\",\"port\",\"asn\"\n"
        "\"2026-11-20 01:02:03\",\"192.0.2.30\",3389,64500\n"
        "\"2026-11-20 01:02:04\",\"not-an-ip\",3389,64500\n"
        "\"2026-11-20 01:02:05\",\"192.0.2.31\",3389,64500\n";
    am_format_t used;

    cr_expect_eq(decode(AM_FORMAT_AUTO, csv, strlen(csv), &used), 2);
    cr_expect_eq(used, AM_FORMAT_SHADOWSERVER);
    cr_expect_eq(rejects, 1);
    /* The part of a CSV report is its line. */
    cr_expect(strncmp(last_reject, "3: ", 3) == 0, "%s", last_reject);
}
