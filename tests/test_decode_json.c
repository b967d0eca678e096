/*
 * Tests for decode_json (the native JSON event format) and event (the
 * internal event: observables validated and resolved when added, reset
 * for reuse).
 *
 * Each message is copied into a heap buffer of exactly its length, with no
 * NUL after it, so that a read past the end shows up under
 * AddressSanitizer.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decode_json.h"
#include "event.h"
#include "event_render.h"

static am_event_t ev;
static char err[512];

static void setup(void) {
    am_event_init(&ev);
    err[0] = '\0';
}

static void teardown(void) {
    am_event_free(&ev);
}

TestSuite(decode_json, .init = setup, .fini = teardown);
TestSuite(event, .init = setup, .fini = teardown);

/* Decodes the n bytes at msg into the (reset) suite event. */
static int decode_n(const char *msg, size_t n) {
    char *copy = malloc(n ? n : 1);
    int rc;

    cr_assert_not_null(copy);
    memcpy(copy, msg, n);
    am_event_reset(&ev);
    err[0] = '\0';
    rc = am_decode_json(copy, n, &ev, err, sizeof(err));
    free(copy);
    return rc;
}

static int decode(const char *msg) {
    return decode_n(msg, strlen(msg));
}

#define DECODE_OK(msg) cr_assert_eq(decode(msg), 0, "%s: %s", msg, err)

/* What an observable resolved to, as text: "ip 192.0.2.0/24",
 * "domain example.com", "asn 64500". */
static const char *target_of(const am_observable_t *o) {
    static char out[300];
    char buf[AM_IPADDR_STRLEN];

    switch (o->target) {
    case AM_TARGET_IP:
        am_ipaddr_format(&o->prefix, buf, sizeof(buf));
        snprintf(out, sizeof(out), "ip %s", buf);
        break;
    case AM_TARGET_DOMAIN:
        cr_assert_eq(strlen(o->host), o->host_len);
        snprintf(out, sizeof(out), "domain %s", o->host);
        break;
    case AM_TARGET_ASN:
        snprintf(out, sizeof(out), "asn %u", o->asn);
        break;
    default:
        snprintf(out, sizeof(out), "target %d?", o->target);
    }
    return out;
}

/* ---- the two forms ----------------------------------------------------- */

Test(decode_json, indicator_with_every_field) {
    DECODE_OK("{\"id\":\"ind-1\",\"kind\":\"indicator\","
              "\"observables\":["
              "{\"type\":\"ip\",\"value\":\"192.0.2.1\"},"
              "{\"type\":\"domain\",\"value\":\"Evil.Example.\"},"
              "{\"type\":\"asn\",\"value\":\"AS64500\"}],"
              "\"category\":\"malware\",\"severity\":\"high\","
              "\"confidence\":80,\"source\":\"cert\",\"tlp\":\"amber\","
              "\"time\":\"2026-01-01T00:00:00Z\","
              "\"valid_until\":\"2026-02-01T00:00:00Z\","
              "\"description\":\"C2 \\\"server\\\"\\n\"}");
    cr_assert_str_eq(ev.id, "ind-1");
    cr_assert_eq(ev.kind, AM_EVENT_INDICATOR);
    cr_assert_eq(ev.n_obs, 3);
    cr_assert_eq(ev.obs[0].type, AM_OBS_IP);
    cr_assert_str_eq(ev.obs[0].value, "192.0.2.1");
    cr_assert_str_eq(target_of(&ev.obs[0]), "ip 192.0.2.1");
    cr_assert_eq(ev.obs[1].type, AM_OBS_DOMAIN);
    cr_assert_str_eq(ev.obs[1].value, "Evil.Example.");
    cr_assert_str_eq(target_of(&ev.obs[1]), "domain evil.example");
    cr_assert_eq(ev.obs[2].type, AM_OBS_ASN);
    cr_assert_str_eq(target_of(&ev.obs[2]), "asn 64500");
    cr_assert_str_eq(ev.category, "malware");
    cr_assert_str_eq(ev.severity, "high");
    cr_assert_eq(ev.confidence, 80);
    cr_assert_str_eq(ev.source, "cert");
    cr_assert_str_eq(ev.tlp, "amber");
    cr_assert_str_eq(ev.time, "2026-01-01T00:00:00Z");
    cr_assert_str_eq(ev.valid_until, "2026-02-01T00:00:00Z");
    cr_assert_str_eq(ev.description, "C2 \"server\"\n");
    /* Scan fields stay absent. */
    cr_assert_eq(ev.port, -1);
    cr_assert_null(ev.protocol);
    cr_assert_null(ev.tag);
}

Test(decode_json, indicator_minimal) {
    DECODE_OK("{\"id\":\"i\",\"observables\":[{\"type\":\"cidr\","
              "\"value\":\"198.51.100.0/24\"}]}");
    cr_assert_eq(ev.kind, AM_EVENT_INDICATOR);
    cr_assert_eq(ev.n_obs, 1);
    cr_assert_str_eq(target_of(&ev.obs[0]), "ip 198.51.100.0/24");
    cr_assert_null(ev.category);
    cr_assert_null(ev.severity);
    cr_assert_null(ev.source);
    cr_assert_null(ev.tlp);
    cr_assert_null(ev.time);
    cr_assert_null(ev.valid_until);
    cr_assert_null(ev.description);
    cr_assert_eq(ev.confidence, -1);
    cr_assert_eq(ev.port, -1);
}

Test(decode_json, scan_with_every_field) {
    DECODE_OK("{\"id\":\"scan-1\",\"kind\":\"scan\",\"ip\":\"192.0.2.1\","
              "\"port\":443,\"protocol\":\"tcp\","
              "\"hostname\":\"WWW.Example.com\",\"asn\":64500,"
              "\"tag\":\"openssl-heartbleed\",\"time\":\"2026-01-01\","
              "\"source\":\"shadowserver\"}");
    cr_assert_str_eq(ev.id, "scan-1");
    cr_assert_eq(ev.kind, AM_EVENT_SCAN);
    cr_assert_eq(ev.n_obs, 3);
    cr_assert_eq(ev.obs[0].type, AM_OBS_IP);
    cr_assert_str_eq(target_of(&ev.obs[0]), "ip 192.0.2.1");
    cr_assert_eq(ev.obs[1].type, AM_OBS_DOMAIN);
    cr_assert_str_eq(ev.obs[1].value, "WWW.Example.com");
    cr_assert_str_eq(target_of(&ev.obs[1]), "domain www.example.com");
    cr_assert_eq(ev.obs[2].type, AM_OBS_ASN);
    cr_assert_str_eq(ev.obs[2].value, "64500");
    cr_assert_str_eq(target_of(&ev.obs[2]), "asn 64500");
    cr_assert_eq(ev.port, 443);
    cr_assert_str_eq(ev.protocol, "tcp");
    cr_assert_str_eq(ev.tag, "openssl-heartbleed");
    cr_assert_str_eq(ev.time, "2026-01-01");
    cr_assert_str_eq(ev.source, "shadowserver");
    cr_assert_null(ev.category);
    cr_assert_eq(ev.confidence, -1);
}

/* Scanners write numbers as strings as often as numbers. */
Test(decode_json, scan_numbers_as_strings) {
    DECODE_OK("{\"id\":\"s\",\"ip\":\"192.0.2.1\",\"port\":\"8443\","
              "\"asn\":\"AS64501\",\"confidence\":\"90\"}");
    cr_assert_eq(ev.port, 8443);
    cr_assert_eq(ev.confidence, 90);
    cr_assert_eq(ev.n_obs, 2);
    cr_assert_str_eq(target_of(&ev.obs[1]), "asn 64501");
}

Test(decode_json, scan_bounds) {
    DECODE_OK("{\"id\":\"s\",\"ip\":\"192.0.2.1\",\"port\":0,"
              "\"confidence\":0}");
    cr_assert_eq(ev.port, 0);
    cr_assert_eq(ev.confidence, 0);
    DECODE_OK("{\"id\":\"s\",\"ip\":\"192.0.2.1\",\"port\":65535,"
              "\"confidence\":100}");
    cr_assert_eq(ev.port, 65535);
    cr_assert_eq(ev.confidence, 100);
}

/* Empty and null scan members are absent, not errors. */
Test(decode_json, scan_empty_members_skipped) {
    DECODE_OK("{\"id\":\"s\",\"ip\":\"192.0.2.1\",\"hostname\":\"\","
              "\"asn\":null,\"port\":null,\"protocol\":null}");
    cr_assert_eq(ev.n_obs, 1);
    cr_assert_eq(ev.port, -1);
    cr_assert_null(ev.protocol);
}

/* Without "kind": observables make an indicator, ip or hostname a scan. */
struct kind_case {
    char json[160];
    int kind;
    int n_obs;
};

ParameterizedTestParameters(decode_json, kind_inferred) {
    static struct kind_case cases[] = {
        {"{\"id\":\"a\",\"observables\":[{\"type\":\"ip\",\"value\":"
         "\"192.0.2.1\"}]}",
         AM_EVENT_INDICATOR, 1},
        {"{\"id\":\"a\",\"ip\":\"192.0.2.1\"}", AM_EVENT_SCAN, 1},
        {"{\"id\":\"a\",\"hostname\":\"example.com\"}", AM_EVENT_SCAN, 1},
        {"{\"id\":\"a\",\"asn\":64500}", AM_EVENT_SCAN, 1},
        {"{\"id\":\"a\",\"kind\":\"scan\",\"ip\":\"192.0.2.1\","
         "\"observables\":[]}",
         AM_EVENT_SCAN, 1},
        {"{\"id\":\"a\",\"kind\":\"indicator\",\"ip\":\"192.0.2.9\","
         "\"observables\":[{\"type\":\"ip\",\"value\":\"192.0.2.1\"},"
         "{\"type\":\"ip\",\"value\":\"192.0.2.2\"}]}",
         AM_EVENT_INDICATOR, 2},
    };
    return cr_make_param_array(struct kind_case, cases,
                               sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct kind_case *c, decode_json, kind_inferred) {
    cr_assert_eq(decode(c->json), 0, "%s: %s", c->json, err);
    cr_assert_eq(ev.kind, c->kind, "%s", c->json);
    cr_assert_eq(ev.n_obs, (size_t)c->n_obs, "%s", c->json);
}

/* ---- observables ------------------------------------------------------- */

struct obs_case {
    char type[8];
    char value[96];
    char target[96]; /* as target_of() prints it */
};

ParameterizedTestParameters(decode_json, observable_types) {
    static struct obs_case cases[] = {
        {"ip", "192.0.2.1", "ip 192.0.2.1"},
        {"ip", "2001:DB8::1", "ip 2001:db8::1"},
        {"ip", "::ffff:192.0.2.1", "ip 192.0.2.1"},
        {"ip", " 192.0.2.1\\t", "ip 192.0.2.1"},
        {"ip", "192.0.2.0/24", "ip 192.0.2.0/24"},
        {"cidr", "192.0.2.0/24", "ip 192.0.2.0/24"},
        /* Observed ranges are masked, not rejected. */
        {"cidr", "192.0.2.77/24", "ip 192.0.2.0/24"},
        {"cidr", "2001:db8::1/32", "ip 2001:db8::/32"},
        {"cidr", "::ffff:192.0.2.0/120", "ip 192.0.2.0/24"},
        {"domain", "example.com", "domain example.com"},
        {"domain", "WWW.Example.COM.", "domain www.example.com"},
        {"domain", "bücher.example", "domain xn--bcher-kva.example"},
        /* A domain, URL host or e-mail domain that is an IP literal is the
         * IP. */
        {"domain", "192.0.2.1", "ip 192.0.2.1"},
        {"domain", "2001:db8::1", "ip 2001:db8::1"},
        {"url", "https://Login.Example.com/path?q=1", "domain "
                                                      "login.example.com"},
        {"url", "example.com/path", "domain example.com"},
        {"url", "http://user:pw@host.example:8080/", "domain host.example"},
        {"url", "http://192.0.2.1/login.php", "ip 192.0.2.1"},
        {"url", "http://192.0.2.1:8080/", "ip 192.0.2.1"},
        {"url", "http://[2001:db8::1]:443/", "ip 2001:db8::1"},
        {"url", "http://[::ffff:192.0.2.1]/", "ip 192.0.2.1"},
        {"email", "Alice@Mail.Example.com", "domain mail.example.com"},
        {"email", "mailto:carol@example.org", "domain example.org"},
        {"email", "bob@[192.0.2.1]", "ip 192.0.2.1"},
        {"asn", "AS64500", "asn 64500"},
        {"asn", "as64500", "asn 64500"},
        {"asn", "64500", "asn 64500"},
        {"asn", "4294967295", "asn 4294967295"},
    };
    return cr_make_param_array(struct obs_case, cases,
                               sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct obs_case *c, decode_json, observable_types) {
    char msg[300];

    snprintf(msg, sizeof(msg),
             "{\"id\":\"e\",\"observables\":[{\"type\":\"%s\","
             "\"value\":\"%s\"}]}",
             c->type, c->value);
    cr_assert_eq(decode(msg), 0, "%s: %s", msg, err);
    cr_assert_eq(ev.n_obs, 1);
    cr_assert_eq(ev.obs[0].type, am_obs_type_parse(c->type, strlen(c->type)));
    cr_assert_str_eq(target_of(&ev.obs[0]), c->target, "%s %s", c->type,
                     c->value);
}

/* The value is kept as given (without surrounding blanks) for the
 * notification; only the target is canonical. */
Test(decode_json, value_kept_as_given) {
    DECODE_OK("{\"id\":\"e\",\"observables\":["
              "{\"type\":\"url\",\"value\":\" http://Example.com/A \"}]}");
    cr_assert_str_eq(ev.obs[0].value, "http://Example.com/A");
    cr_assert_str_eq(target_of(&ev.obs[0]), "domain example.com");
}

Test(decode_json, asn_as_number) {
    DECODE_OK("{\"id\":\"e\",\"observables\":[{\"type\":\"asn\","
              "\"value\":64500}]}");
    cr_assert_eq(ev.obs[0].target, AM_TARGET_ASN);
    cr_assert_eq(ev.obs[0].asn, 64500);
    cr_assert_str_eq(ev.obs[0].value, "64500");
}

/* ---- errors ------------------------------------------------------------ */

struct error_case {
    char json[200];
    char err[200];
};

ParameterizedTestParameters(decode_json, rejected) {
    static struct error_case cases[] = {
        {"[1]", "not a JSON object"},
        /* id */
        {"{}", "field 'id': missing"},
        {"{\"id\":\"\",\"ip\":\"192.0.2.1\"}", "field 'id': missing"},
        {"{\"id\":null,\"ip\":\"192.0.2.1\"}", "field 'id': missing"},
        {"{\"ip\":\"192.0.2.1\"}", "field 'id': missing"},
        {"{\"id\":5,\"ip\":\"192.0.2.1\"}", "field 'id': must be a string"},
        /* kind */
        {"{\"id\":\"e\",\"kind\":\"alert\",\"ip\":\"192.0.2.1\"}",
         "field 'kind': must be indicator or scan"},
        {"{\"id\":\"e\",\"kind\":\"Scan\",\"ip\":\"192.0.2.1\"}",
         "field 'kind': must be indicator or scan"},
        {"{\"id\":\"e\",\"kind\":1,\"ip\":\"192.0.2.1\"}",
         "field 'kind': must be a string"},
        /* no observable */
        {"{\"id\":\"e\",\"observables\":[]}", "no observable"},
        {"{\"id\":\"e\"}", "no observable"},
        {"{\"id\":\"e\",\"kind\":\"scan\"}", "no observable"},
        {"{\"id\":\"e\",\"kind\":\"scan\",\"ip\":\"\"}", "no observable"},
        {"{\"id\":\"e\",\"kind\":\"indicator\"}",
         "field 'observables': missing"},
        {"{\"id\":\"e\",\"kind\":\"indicator\",\"ip\":\"192.0.2.1\"}",
         "field 'observables': missing"},
        {"{\"id\":\"e\",\"observables\":{}}",
         "field 'observables': must be an array"},
        {"{\"id\":\"e\",\"observables\":\"192.0.2.1\"}",
         "field 'observables': must be an array"},
        /* observables[i] */
        {"{\"id\":\"e\",\"observables\":[\"192.0.2.1\"]}",
         "field 'observables[0]': must be an object with type and value"},
        {"{\"id\":\"e\",\"observables\":[{\"type\":\"ipv4\","
         "\"value\":\"192.0.2.1\"}]}",
         "field 'observables[0].type': must be one of ip, cidr, domain, url, "
         "email, asn"},
        {"{\"id\":\"e\",\"observables\":[{\"type\":\"IP\","
         "\"value\":\"192.0.2.1\"}]}",
         "field 'observables[0].type': must be one of ip, cidr, domain, url, "
         "email, asn"},
        {"{\"id\":\"e\",\"observables\":[{\"value\":\"192.0.2.1\"}]}",
         "field 'observables[0].type': must be one of ip, cidr, domain, url, "
         "email, asn"},
        {"{\"id\":\"e\",\"observables\":[{\"type\":\"ip\"}]}",
         "field 'observables[0].value': must be a string"},
        {"{\"id\":\"e\",\"observables\":[{\"type\":\"ip\",\"value\":1}]}",
         "field 'observables[0].value': must be a string"},
        {"{\"id\":\"e\",\"observables\":[{\"type\":\"ip\",\"value\":"
         "\"192.0.2.1\"},{\"type\":\"ip\",\"value\":\"1.2.3\"}]}",
         "field 'observables[1].value': bad ip '1.2.3': not an IP address"},
        {"{\"id\":\"e\",\"observables\":[{\"type\":\"ip\",\"value\":"
         "\"192.0.2.1\"},{\"type\":\"ip\",\"value\":\"192.0.2.01\"}]}",
         "field 'observables[1].value': bad ip '192.0.2.01': not an IP "
         "address"},
        {"{\"id\":\"e\",\"observables\":[{\"type\":\"cidr\",\"value\":"
         "\"192.0.2.0/33\"}]}",
         "field 'observables[0].value': bad cidr '192.0.2.0/33': prefix "
         "length 33 out of range for IPv4"},
        {"{\"id\":\"e\",\"observables\":[{\"type\":\"domain\",\"value\":"
         "\"exa mple.com\"}]}",
         "field 'observables[0].value': bad domain 'exa mple.com': bad "
         "character ' '"},
        {"{\"id\":\"e\",\"observables\":[{\"type\":\"domain\",\"value\":"
         "\"\"}]}",
         "field 'observables[0].value': bad domain '': empty name"},
        {"{\"id\":\"e\",\"observables\":[{\"type\":\"asn\",\"value\":"
         "\"ASx\"}]}",
         "field 'observables[0].value': bad asn 'ASx': bad character 'x' in "
         "AS number"},
        {"{\"id\":\"e\",\"observables\":[{\"type\":\"asn\",\"value\":-1}]}",
         "field 'observables[0].value': bad asn '-1': bad character '-' in "
         "AS number"},
        /* scan members */
        {"{\"id\":\"e\",\"ip\":\"300.1.1.1\"}",
         "field 'ip': bad ip '300.1.1.1': not an IP address"},
        {"{\"id\":\"e\",\"ip\":5}", "field 'ip': must be a string"},
        {"{\"id\":\"e\",\"hostname\":7}", "field 'hostname': must be a string"},
        {"{\"id\":\"e\",\"hostname\":\"a..b\"}",
         "field 'hostname': bad domain 'a..b': empty label"},
        {"{\"id\":\"e\",\"asn\":\"big\"}",
         "field 'asn': bad asn 'big': bad character 'b' in AS number"},
        {"{\"id\":\"e\",\"ip\":\"192.0.2.1\",\"port\":70000}",
         "field 'port': 70000 out of range 0..65535"},
        {"{\"id\":\"e\",\"ip\":\"192.0.2.1\",\"port\":-1}",
         "field 'port': -1 out of range 0..65535"},
        {"{\"id\":\"e\",\"ip\":\"192.0.2.1\",\"port\":\"https\"}",
         "field 'port': not a number"},
        {"{\"id\":\"e\",\"ip\":\"192.0.2.1\",\"port\":\"\"}",
         "field 'port': not a number"},
        {"{\"id\":\"e\",\"ip\":\"192.0.2.1\",\"port\":\"443/tcp\"}",
         "field 'port': not a number"},
        {"{\"id\":\"e\",\"ip\":\"192.0.2.1\",\"port\":44.5}",
         "field 'port': must be an integer"},
        {"{\"id\":\"e\",\"ip\":\"192.0.2.1\",\"protocol\":6}",
         "field 'protocol': must be a string"},
        {"{\"id\":\"e\",\"ip\":\"192.0.2.1\",\"tag\":[]}",
         "field 'tag': must be a string"},
        /* context */
        {"{\"id\":\"e\",\"ip\":\"192.0.2.1\",\"confidence\":101}",
         "field 'confidence': 101 out of range 0..100"},
        {"{\"id\":\"e\",\"ip\":\"192.0.2.1\",\"confidence\":true}",
         "field 'confidence': must be an integer"},
        {"{\"id\":\"e\",\"ip\":\"192.0.2.1\",\"category\":1}",
         "field 'category': must be a string"},
        {"{\"id\":\"e\",\"ip\":\"192.0.2.1\",\"description\":{}}",
         "field 'description': must be a string"},
        {"{\"id\":\"e\",\"ip\":\"192.0.2.1\",\"valid_until\":0}",
         "field 'valid_until': must be a string"},
    };
    return cr_make_param_array(struct error_case, cases,
                               sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct error_case *c, decode_json, rejected) {
    cr_assert_eq(decode(c->json), -1, "%s was accepted", c->json);
    cr_assert_str_eq(err, c->err, "%s", c->json);
}

Test(decode_json, invalid_json) {
    cr_assert_eq(decode("{\"id\":"), -1);
    cr_assert_eq(strncmp(err, "invalid JSON at column ", 23), 0, "%s", err);
    cr_assert_eq(decode(""), -1);
    cr_assert_eq(strncmp(err, "invalid JSON at column ", 23), 0, "%s", err);
    /* Duplicate keys are ambiguous: which id is it? */
    cr_assert_eq(decode("{\"id\":\"a\",\"id\":\"b\",\"ip\":\"192.0.2.1\"}"),
                 -1);
    cr_assert_eq(strncmp(err, "invalid JSON at column ", 23), 0, "%s", err);
    cr_assert(strstr(err, "duplicate"), "%s", err);
}

/* Bytes after the given length are not part of the message. */
Test(decode_json, reads_only_the_given_length) {
    static const char msg[] = "{\"id\":\"e\",\"ip\":\"192.0.2.1\"}garbage";

    cr_assert_eq(decode_n(msg, sizeof(msg) - 1 - 7), 0, "%s", err);
    cr_assert_str_eq(target_of(&ev.obs[0]), "ip 192.0.2.1");
}

/* ---- limits ------------------------------------------------------------ */

/* A message over the limit is refused before it is parsed; one of exactly
 * the limit is decoded. */
Test(decode_json, message_size_limit) {
    static const char head[] = "{\"id\":\"big\",\"ip\":\"192.0.2.1\"}";
    size_t n = AM_DECODE_MAX_MESSAGE + 1;
    char *msg = malloc(n);

    cr_assert_not_null(msg);
    memset(msg, ' ', n);
    memcpy(msg, head, sizeof(head) - 1);
    cr_assert_eq(am_decode_json(msg, n, &ev, err, sizeof(err)), -1);
    cr_assert_str_eq(err, "message of 1048577 bytes exceeds the limit of "
                          "1048576");
    am_event_reset(&ev);
    cr_assert_eq(am_decode_json(msg, n - 1, &ev, err, sizeof(err)), 0, "%s",
                 err);
    cr_assert_str_eq(ev.id, "big");
    free(msg);
}

/* A text field of AM_EVENT_MAX_STR bytes is kept; one byte more is an
 * error naming the field. */
Test(decode_json, text_field_size_limit) {
    size_t n = AM_EVENT_MAX_STR + 1;
    size_t cap = n + 128;
    char *msg = malloc(cap);
    int len;

    cr_assert_not_null(msg);
    len = snprintf(msg, cap, "{\"id\":\"e\",\"ip\":\"192.0.2.1\","
                             "\"description\":\"");
    memset(msg + len, 'd', n);
    memcpy(msg + len + n, "\"}", 2);
    cr_assert_eq(decode_n(msg, (size_t)len + n + 2), -1);
    cr_assert_str_eq(err, "field 'description': longer than 65536 bytes");

    memcpy(msg + len + n - 1, "\"}", 2);
    cr_assert_eq(decode_n(msg, (size_t)len + n + 1), 0, "%s", err);
    cr_assert_eq(strlen(ev.description), AM_EVENT_MAX_STR);
    free(msg);
}

/* A message with \p n ip observables. */
static char *many_observables(size_t n, size_t *len) {
    size_t cap = 64 + n * 48;
    char *msg = malloc(cap);
    size_t o;

    cr_assert_not_null(msg);
    o = (size_t)snprintf(msg, cap, "{\"id\":\"many\",\"observables\":[");
    for (size_t i = 0; i < n; i++)
        o += (size_t)snprintf(msg + o, cap - o,
                              "%s{\"type\":\"ip\",\"value\":\"10.0.%zu.%zu\"}",
                              i ? "," : "", i / 256, i % 256);
    o += (size_t)snprintf(msg + o, cap - o, "]}");
    *len = o;
    return msg;
}

Test(decode_json, observables_up_to_the_limit) {
    size_t len;
    char *msg = many_observables(AM_EVENT_MAX_OBSERVABLES, &len);

    cr_assert_eq(decode_n(msg, len), 0, "%s", err);
    cr_assert_eq(ev.n_obs, AM_EVENT_MAX_OBSERVABLES);
    cr_assert_str_eq(target_of(&ev.obs[AM_EVENT_MAX_OBSERVABLES - 1]),
                     "ip 10.0.3.255");
    free(msg);
}

Test(decode_json, too_many_observables) {
    size_t len;
    char *msg = many_observables(AM_EVENT_MAX_OBSERVABLES + 1, &len);

    cr_assert_eq(decode_n(msg, len), -1);
    cr_assert_str_eq(err, "field 'observables[1024].value': too many "
                          "observables (limit 1024)");
    free(msg);
}

/* ---- reuse ------------------------------------------------------------- */

/* Reset clears every field a previous message set. */
Test(decode_json, reset_clears_the_previous_event) {
    DECODE_OK("{\"id\":\"s\",\"kind\":\"scan\",\"ip\":\"192.0.2.1\","
              "\"port\":22,\"protocol\":\"tcp\",\"tag\":\"ssh\","
              "\"category\":\"vulnerable\",\"confidence\":50,"
              "\"severity\":\"low\",\"source\":\"x\",\"tlp\":\"white\","
              "\"time\":\"t\",\"valid_until\":\"v\","
              "\"description\":\"d\"}");
    DECODE_OK("{\"id\":\"i\",\"observables\":[{\"type\":\"domain\","
              "\"value\":\"example.com\"}]}");
    cr_assert_str_eq(ev.id, "i");
    cr_assert_eq(ev.kind, AM_EVENT_INDICATOR);
    cr_assert_eq(ev.n_obs, 1);
    cr_assert_eq(ev.port, -1);
    cr_assert_eq(ev.confidence, -1);
    cr_assert_null(ev.protocol);
    cr_assert_null(ev.tag);
    cr_assert_null(ev.category);
    cr_assert_null(ev.severity);
    cr_assert_null(ev.source);
    cr_assert_null(ev.tlp);
    cr_assert_null(ev.time);
    cr_assert_null(ev.valid_until);
    cr_assert_null(ev.description);
}

/* Many messages through one event, with failures among them: every one
 * decodes as it would alone, and the event's memory stays what the
 * largest message needed (LeakSanitizer checks the rest). */
Test(decode_json, event_reused_across_many_decodes) {
    static const char *const msgs[] = {
        "{\"id\":\"a\",\"observables\":[{\"type\":\"ip\",\"value\":"
        "\"192.0.2.1\"},{\"type\":\"url\",\"value\":\"http://x.example/\"},"
        "{\"type\":\"email\",\"value\":\"u@y.example\"}],"
        "\"description\":\"some text to fill the arena\"}",
        "{\"id\":\"b\",\"ip\":\"192.0.2.2\",\"port\":\"80\"}",
        "{\"id\":\"c\",\"observables\":[{\"type\":\"ip\",\"value\":\"x\"}]}",
    };
    static const int want_rc[] = {0, 0, -1};
    static const size_t want_obs[] = {3, 1, 0};
    size_t wrong = 0, cap_after_first;

    DECODE_OK(msgs[0]);
    cap_after_first = ev.cap_obs;
    for (int i = 1; i < 10000; i++) {
        int k = i % 3;
        wrong += decode(msgs[k]) != want_rc[k];
        wrong += ev.n_obs != want_obs[k];
    }
    cr_assert_eq(wrong, 0);
    cr_assert_eq(ev.cap_obs, cap_after_first);
    /* The last one (i = 9999) was "a". */
    cr_assert_str_eq(ev.id, "a");
    cr_assert_str_eq(target_of(&ev.obs[2]), "domain y.example");
}

/* A large message, then small ones: the arena gives back what the large
 * one needed beyond its first chunk. */
Test(decode_json, reset_after_a_large_message) {
    size_t len;
    char *msg = many_observables(1000, &len);

    cr_assert_eq(decode_n(msg, len), 0, "%s", err);
    DECODE_OK("{\"id\":\"small\",\"ip\":\"192.0.2.1\"}");
    cr_assert_str_eq(ev.id, "small");
    cr_assert_eq(ev.n_obs, 1);
    free(msg);
}

/* ---- CVE ids ------------------------------------------------------------ */

/* The CVE ids of the event, joined by ",". */
static const char *cves_of(void) {
    static char out[1024];
    size_t o = 0;

    out[0] = '\0';
    for (size_t i = 0; i < ev.n_cves; i++)
        o += (size_t)snprintf(out + o, sizeof(out) - o, "%s%s", i ? "," : "",
                              ev.cves[i]);
    return out;
}

/* From the "cves" list and from the tag, upper-cased, each once. */
Test(decode_json, cves_from_list_and_tag) {
    DECODE_OK("{\"id\":\"s\",\"ip\":\"192.0.2.1\","
              "\"tag\":\"exchange;cve-2021-26855,CVE-2021-27065\","
              "\"cves\":[\"CVE-2021-26855\",\"cve-2022-0001\"]}");
    cr_assert_str_eq(cves_of(), "CVE-2021-26855,CVE-2021-27065,CVE-2022-0001");
    cr_assert_str_eq(ev.tag, "exchange;cve-2021-26855,CVE-2021-27065");
    cr_assert_str_eq(ev.format, "json");
}

Test(decode_json, cves_absent_or_null) {
    DECODE_OK("{\"id\":\"s\",\"ip\":\"192.0.2.1\",\"cves\":null}");
    cr_assert_eq(ev.n_cves, 0);
    DECODE_OK("{\"id\":\"s\",\"ip\":\"192.0.2.1\",\"cves\":[]}");
    cr_assert_eq(ev.n_cves, 0);
}

Test(decode_json, cves_errors) {
    cr_assert_eq(decode("{\"id\":\"s\",\"ip\":\"192.0.2.1\","
                        "\"cves\":\"CVE-2021-26855\"}"),
                 -1);
    cr_assert_str_eq(err, "field 'cves': must be an array of strings");
    cr_assert_eq(decode("{\"id\":\"s\",\"ip\":\"192.0.2.1\","
                        "\"cves\":[\"CVE-2021-1\",7]}"),
                 -1);
    cr_assert_str_eq(err, "field 'cves[1]': not a string, or more than 64");
}

Test(decode_json, cves_limit) {
    char msg[4096];
    size_t o = 0;

    o += (size_t)snprintf(msg + o, sizeof(msg) - o,
                          "{\"id\":\"s\",\"ip\":\"192.0.2.1\",\"cves\":[");
    for (int i = 0; i <= AM_EVENT_MAX_CVES; i++)
        o += (size_t)snprintf(msg + o, sizeof(msg) - o,
                              "%s\"CVE-2021-%04d\"", i ? "," : "", 1000 + i);
    snprintf(msg + o, sizeof(msg) - o, "]}");
    cr_assert_eq(decode(msg), -1);
    cr_assert_str_eq(err, "field 'cves[64]': not a string, or more than 64");
}

Test(decode_json, reset_clears_cves) {
    DECODE_OK("{\"id\":\"s\",\"ip\":\"192.0.2.1\","
              "\"cves\":[\"CVE-2021-26855\"]}");
    DECODE_OK("{\"id\":\"t\",\"ip\":\"192.0.2.1\"}");
    cr_assert_eq(ev.n_cves, 0);
    cr_assert_null(ev.cves);
}

struct cve_scan_case {
    char text[64];
    char want[96];
};

ParameterizedTestParameters(event, scan_cves) {
    static struct cve_scan_case cases[] = {
        {"CVE-2021-1234", "CVE-2021-1234"},
        {"cve-2021-12345678", "CVE-2021-12345678"},
        {"see CVE-2014-0160.", "CVE-2014-0160"},
        {"-CVE-2021-1234-", "CVE-2021-1234"},
        {"CVE-2021-1234,cve-2021-1235", "CVE-2021-1234,CVE-2021-1235"},
        {"CVE-2021-1234 CVE-2021-1234 cve-2021-1234", "CVE-2021-1234"},
        /* Not ids: glued to letters or digits, too few digits. */
        {"xCVE-2021-1234", ""},
        {"CVE-2021-1234a", ""},
        {"CVE-2021-123", ""},
        {"CVE-21-12345", ""},
        {"CVE-20211-2345", ""},
        {"CVE-2021-", ""},
        {"CVE", ""},
        {"", ""},
    };
    return cr_make_param_array(struct cve_scan_case, cases,
                               sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct cve_scan_case *c, event, scan_cves) {
    size_t n = strlen(c->text);
    char *copy = malloc(n ? n : 1);

    cr_assert_not_null(copy);
    memcpy(copy, c->text, n);
    am_event_scan_cves(&ev, copy, n);
    free(copy);
    cr_assert_str_eq(cves_of(), c->want, "text \"%s\"", c->text);
}

Test(event, add_cve_limit_and_duplicates) {
    char id[32];
    size_t failed = 0;

    for (int i = 0; i < AM_EVENT_MAX_CVES; i++) {
        int n = snprintf(id, sizeof(id), "cve-2020-%05d", i);
        failed += am_event_add_cve(&ev, id, (size_t)n) != 0;
    }
    cr_assert_eq(failed, 0);
    cr_assert_eq(ev.n_cves, AM_EVENT_MAX_CVES);
    cr_assert_str_eq(ev.cves[0], "CVE-2020-00000");
    cr_assert_str_eq(ev.cves[63], "CVE-2020-00063");
    /* A duplicate is dropped, not counted, even at the limit. */
    cr_assert_eq(am_event_add_cve(&ev, "CVE-2020-00005", 14), 0);
    cr_assert_eq(am_event_add_cve(&ev, "CVE-2020-99999", 14), -1);
    cr_assert_eq(ev.n_cves, AM_EVENT_MAX_CVES);
}

/* ---- event ------------------------------------------------------------- */

static int add_obs(am_obs_type_t type, const char *s) {
    err[0] = '\0';
    return am_event_add_observable(&ev, type, s, strlen(s), err,
                                   sizeof(err));
}

Test(event, fresh_event_is_empty) {
    cr_assert_null(ev.id);
    cr_assert_eq(ev.n_obs, 0);
    cr_assert_eq(ev.confidence, -1);
    cr_assert_eq(ev.port, -1);
    cr_assert_eq(ev.kind, AM_EVENT_INDICATOR);
}

Test(event, add_observable_errors) {
    cr_assert_eq(add_obs(AM_OBS_IP, "1.2.3"), -1);
    cr_assert_str_eq(err, "bad ip '1.2.3': not an IP address");
    cr_assert_eq(add_obs(AM_OBS_URL, "http://exa mple.com/"), -1);
    cr_assert_str_eq(err, "bad url 'http://exa mple.com/': bad character "
                          "' '");
    cr_assert_eq(add_obs(AM_OBS_EMAIL, "user@exa_mple..com"), -1);
    cr_assert_str_eq(err, "bad email 'user@exa_mple..com': empty label");
    cr_assert_eq(add_obs((am_obs_type_t)99, "x"), -1);
    cr_assert_str_eq(err, "bad ? 'x': unknown observable type");
    cr_assert_eq(ev.n_obs, 0);
}

/* Only the first 80 bytes of a bad value are quoted back. */
Test(event, long_bad_value_is_cut_in_the_message) {
    char v[200], want[300];

    memset(v, 'x', sizeof(v) - 1);
    v[sizeof(v) - 1] = '\0';
    snprintf(want, sizeof(want), "bad ip '%.80s': not an IP address", v);
    cr_assert_eq(add_obs(AM_OBS_IP, v), -1);
    cr_assert_str_eq(err, want);
}

Test(event, observable_limit) {
    size_t failed = 0;

    for (int i = 0; i < AM_EVENT_MAX_OBSERVABLES; i++)
        failed += add_obs(AM_OBS_ASN, "64500") != 0;
    cr_assert_eq(failed, 0);
    cr_assert_eq(add_obs(AM_OBS_ASN, "64500"), -1);
    cr_assert_str_eq(err, "too many observables (limit 1024)");
    cr_assert_eq(ev.n_obs, AM_EVENT_MAX_OBSERVABLES);
}

Test(event, strdup_limit) {
    size_t n = AM_EVENT_MAX_STR + 1;
    char *s = malloc(n);

    cr_assert_not_null(s);
    memset(s, 's', n);
    cr_assert_null(am_event_strdup(&ev, s, n));
    cr_assert_eq(strlen(am_event_strdup(&ev, s, n - 1)), n - 1);
    cr_assert_str_eq(am_event_strdup(&ev, "abc", 2), "ab");
    free(s);
}

Test(event, names) {
    cr_assert_str_eq(am_obs_type_name(AM_OBS_IP), "ip");
    cr_assert_str_eq(am_obs_type_name(AM_OBS_CIDR), "cidr");
    cr_assert_str_eq(am_obs_type_name(AM_OBS_DOMAIN), "domain");
    cr_assert_str_eq(am_obs_type_name(AM_OBS_URL), "url");
    cr_assert_str_eq(am_obs_type_name(AM_OBS_EMAIL), "email");
    cr_assert_str_eq(am_obs_type_name(AM_OBS_ASN), "asn");
    cr_assert_str_eq(am_obs_type_name(AM_OBS__COUNT), "?");
    for (int i = 0; i < AM_OBS__COUNT; i++) {
        const char *name = am_obs_type_name((am_obs_type_t)i);
        cr_assert_eq(am_obs_type_parse(name, strlen(name)), i, "%s", name);
    }
    cr_assert_eq(am_obs_type_parse("email", 5), AM_OBS_EMAIL);
    cr_assert_eq(am_obs_type_parse("emails", 5), AM_OBS_EMAIL);
    cr_assert_eq(am_obs_type_parse("emai", 4), -1);
    cr_assert_eq(am_obs_type_parse("", 0), -1);
    cr_assert_str_eq(am_event_kind_name(AM_EVENT_INDICATOR), "indicator");
    cr_assert_str_eq(am_event_kind_name(AM_EVENT_SCAN), "scan");
}

/* free() leaves an event that can be initialised and used again. */
Test(event, free_then_init_again) {
    cr_assert_eq(add_obs(AM_OBS_DOMAIN, "example.com"), 0, "%s", err);
    am_event_free(&ev);
    am_event_init(&ev);
    cr_assert_eq(add_obs(AM_OBS_DOMAIN, "example.org"), 0, "%s", err);
    cr_assert_str_eq(ev.obs[0].host, "example.org");
}

/* ---- the fast pass decodes as jansson's does ---------------------------- */

/* Everything decoded, as text, or "rejected". */
static char *decoded(const am_event_t *e, int rc) {
    json_t *r;
    char *s;

    if (rc < 0)
        return strdup("rejected");
    r = render_event(e);
    json_object_set_new(r, "category", jstr(e->category));
    json_object_set_new(r, "valid_until", jstr(e->valid_until));
    s = json_dumps(r, JSON_SORT_KEYS);
    json_decref(r);
    return s;
}

static unsigned rnd(uint64_t *st, unsigned n) {
    *st = *st * 6364136223846793005ULL + 1442695040888963407ULL;
    return (unsigned)(*st >> 33) % n;
}

/* A value in the plain form: strings of the kinds the members take, valid
 * or not, integers, null, true. */
static void value(uint64_t *st, char *out, size_t n) {
    static const char *const strs[] = {
        "192.0.2.7",  "198.51.100.0/24", "2001:db8::1", "example.com",
        "a.example.org", "https://x.example.net/p", "x@example.com",
        "AS64500",    "64500",           "443",         "abc",
        "",           "indicator",       "scan",        "CVE-2021-26855",
        "cve-2021-26855 and CVE-2020-0001", "999999",   "-1",
        "1.2.3",      "ip",              "domain",      "asn",
        "2026-11-27T10:00:00Z"};
    static const char *const lits[] = {"null", "true", "false", "0", "-0",
                                       "7", "80", "100", "101", "65536",
                                       "-5", "64500", "9223372036854775807",
                                       "-9223372036854775808"};
    if (rnd(st, 3))
        snprintf(out, n, "\"%s\"", strs[rnd(st, sizeof(strs) / sizeof(*strs))]);
    else
        snprintf(out, n, "%s", lits[rnd(st, sizeof(lits) / sizeof(*lits))]);
}

/* A valid value of member \p f (names[] below), most of the time. */
static void good_value(uint64_t *st, unsigned f, char *out, size_t n) {
    static const char *const good[][3] = {
        {"\"e-1\"", "\"e-2\"", "\"x\""},                  /* id */
        {"\"indicator\"", "\"scan\"", "\"indicator\""},     /* kind */
        {"[]", "[]", "[]"},                                /* observables */
        {"\"c2\"", "\"\"", "\"scanner\""},                  /* category */
        {"\"high\"", "\"low\"", "\"\""},                    /* severity */
        {"\"cert\"", "\"feed\"", "\"x\""},                  /* source */
        {"\"amber\"", "\"clear\"", "\"red\""},              /* tlp */
        {"\"2026-11-27T10:00:00Z\"", "\"x\"", "\"\""},      /* time */
        {"\"2026-12-27T10:00:00Z\"", "\"x\"", "\"\""},      /* valid_until */
        {"\"d\"", "\"long text\"", "\"\""},                 /* description */
        {"80", "\"80\"", "0"},                              /* confidence */
        {"[\"CVE-2021-1\"]", "[]", "[\"CVE-2021-1\",\"cve-2021-1\"]"},
        {"\"192.0.2.7\"", "\"2001:db8::1\"", "\"\""},       /* ip */
        {"\"example.com\"", "\"a.b.example.org\"", "\"\""}, /* hostname */
        {"64500", "\"AS64500\"", "\"64501\""},               /* asn */
        {"443", "\"8080\"", "0"},                           /* port */
        {"\"tcp\"", "\"udp\"", "\"\""},                     /* protocol */
        {"\"CVE-2020-0001 x\"", "\"t\"", "\"\""},           /* tag */
    };
    if (rnd(st, 4))
        snprintf(out, n, "%s", good[f][rnd(st, 3)]);
    else
        value(st, out, n);
}

static void observables(uint64_t *st, char *out, size_t n) {
    static const char *const pairs[][2] = {
        {"\"ip\"", "\"192.0.2.7\""},       {"\"cidr\"", "\"198.51.100.0/24\""},
        {"\"domain\"", "\"example.com\""},
        {"\"url\"", "\"https://x.example.net/p\""},
        {"\"email\"", "\"x@example.com\""}, {"\"asn\"", "64500"},
        {"\"asn\"", "\"AS64500\""},        {"\"nope\"", "\"x\""}};
    size_t at = (size_t)snprintf(out, n, "[");
    unsigned k = rnd(st, 4);

    for (unsigned i = 0; i < k && at < n; i++) {
        unsigned p = rnd(st, sizeof(pairs) / sizeof(*pairs));
        char v[128];
        if (rnd(st, 5) == 0)
            value(st, v, sizeof(v));
        else
            snprintf(v, sizeof(v), "%s", pairs[p][1]);
        if (rnd(st, 20) == 0)
            at += (size_t)snprintf(out + at, n - at, "%s%s", i ? "," : "", v);
        else if (rnd(st, 2))
            at += (size_t)snprintf(out + at, n - at,
                                   "%s{\"type\":%s,\"value\":%s}",
                                   i ? "," : "", pairs[p][0], v);
        else
            at += (size_t)snprintf(out + at, n - at,
                                   "%s{ \"value\" : %s , \"type\":%s }",
                                   i ? "," : "", v, pairs[p][0]);
    }
    if (at < n)
        snprintf(out + at, n - at, "]");
}

Test(decode_json, the_fast_pass_decodes_as_jansson_does) {
    static const char *const names[] = {
        "id", "kind", "observables", "category", "severity", "source", "tlp",
        "time", "valid_until", "description", "confidence", "cves", "ip",
        "hostname", "asn", "port", "protocol", "tag"};
    uint64_t st = 42;
    am_event_t slow;
    size_t fast_ok = 0, slow_ok = 0;

    am_event_init(&slow);
    for (int round = 0; round < 20000; round++) {
        char msg[4096], v[2048];
        size_t at = (size_t)snprintf(msg, sizeof(msg), "{");
        unsigned members = 1 + rnd(&st, 10);
        json_error_t je;
        json_t *root;
        int rf, rs;
        char *a, *b;

        for (unsigned m = 0; m < members; m++) {
            unsigned f = rnd(&st, sizeof(names) / sizeof(*names));
            if (m == 0)
                f = rnd(&st, 2) ? 2 : 1; /* observables or kind first */
            else if (m == 1 && rnd(&st, 8))
                f = 0; /* then most often the id */
            if (f == 2 && rnd(&st, 8))
                observables(&st, v, sizeof(v));
            else if (f == 11 && rnd(&st, 4))
                snprintf(v, sizeof(v), "[\"CVE-2021-1\",\"cve-2021-1\",%s]",
                         rnd(&st, 2) ? "\"CVE-2022-2\"" : "3");
            else
                good_value(&st, f, v, sizeof(v));
            at += (size_t)snprintf(msg + at, sizeof(msg) - at,
                                   "%s%s\"%s\"%s:%s", m ? "," : "",
                                   rnd(&st, 4) ? "" : " ", names[f],
                                   rnd(&st, 4) ? "" : " ", v);
        }
        snprintf(msg + at, sizeof(msg) - at, "}");

        rf = am_decode_json_fast(msg, strlen(msg), &ev);
        am_event_reset(&slow);
        root = json_loadb(msg, strlen(msg), JSON_REJECT_DUPLICATES, &je);
        rs = root ? am_decode_json_obj(root, NULL, &slow, err, sizeof(err))
                  : -1;
        json_decref(root);
        a = decoded(&ev, rf);
        b = decoded(&slow, rs);
        /* Every message here is in the plain form: the fast pass takes
         * what jansson's takes (a duplicate member both reject), and
         * decodes it alike. */
        cr_assert_str_eq(a, b, "%s", msg);
        fast_ok += rf == 0;
        slow_ok += rs == 0;
        free(a);
        free(b);
    }
    cr_assert_gt(fast_ok, 1000, "the fast pass took %zu", fast_ok);
    cr_assert_eq(fast_ok, slow_ok);
    am_event_free(&slow);
}
