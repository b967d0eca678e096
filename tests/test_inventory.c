/*
 * Tests for inventory: validation and canonical values of single records
 * (am_inventory_add()), and loading whole CSV and JSON-lines files
 * (am_inventory_load_file()): header handling, defaults, error reports with
 * file and line, skip_bad and max_errors, and a 100K-record load.
 *
 * Fixture files live in tests/data/inventory/; generated ones go to
 * mkstemp() files that each test removes.  Error reports are captured with
 * open_memstream().
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "inventory.h"

#define DATA AM_TEST_DATA "/inventory/"

static am_inventory_t *inv;
static FILE *errs;
static char *errs_buf;
static size_t errs_len;
static am_inventory_load_opts_t opts;
static am_inventory_load_stats_t stats;
static char err[512];

static void setup(void) {
    inv = am_inventory_new();
    cr_assert_not_null(inv);
    errs = open_memstream(&errs_buf, &errs_len);
    cr_assert_not_null(errs);
    opts = (am_inventory_load_opts_t){.max_errors = 100, .errors = errs};
    memset(&stats, 0, sizeof(stats));
    err[0] = '\0';
}

static void teardown(void) {
    am_inventory_destroy(inv);
    fclose(errs);
    free(errs_buf);
}

TestSuite(inventory, .init = setup, .fini = teardown);

/* What the loader printed so far. */
static const char *printed(void) {
    fflush(errs);
    return errs_buf;
}

/* Adds one record; NULL include_subdomains / verified leave them out. */
static int add(const char *tenant, const char *id, const char *kind,
               const char *value, const char *inc, const char *ver) {
    am_asset_input_t in = {
        tenant, strlen(tenant), id,  strlen(id),
        kind,   strlen(kind),   value, strlen(value),
        inc,    inc ? strlen(inc) : 0, ver, ver ? strlen(ver) : 0,
    };
    err[0] = '\0';
    return am_inventory_add(inv, &in, err, sizeof(err));
}

#define ADD_OK(t, id, kind, value)                                            \
    cr_assert_eq(add(t, id, kind, value, NULL, NULL), 0, "%s/%s: %s", t, id, \
                 err)

/* Loads \p path with the suite's options into the suite's inventory. */
static int load(const char *path) {
    err[0] = '\0';
    return am_inventory_load_file(inv, path, &opts, &stats, err,
                                  sizeof(err));
}

/* Writes \p n bytes to a new temporary file; the caller unlinks and frees
 * the returned path. */
static char *temp_file(const char *data, size_t n) {
    char *path = strdup("/tmp/am_test_inventory_XXXXXX");
    int fd;

    cr_assert_not_null(path);
    fd = mkstemp(path);
    cr_assert_geq(fd, 0);
    cr_assert_eq(write(fd, data, n), (ssize_t)n);
    close(fd);
    return path;
}

static int load_text(const char *text) {
    char *path = temp_file(text, strlen(text));
    int rc = load(path);

    unlink(path);
    free(path);
    return rc;
}

/* Checks asset i against what it should be. */
static void expect_asset(size_t i, const char *tenant, const char *id,
                         am_asset_kind_t kind, const char *value, bool inc,
                         bool ver) {
    const am_asset_t *a;

    cr_assert_lt(i, am_inventory_count(inv), "no asset %zu", i);
    a = am_inventory_asset(inv, i);
    cr_expect_str_eq(am_inventory_tenant(inv, a->tenant), tenant,
                     "asset %zu", i);
    cr_expect_str_eq(am_inventory_str(inv, a->asset_id), id, "asset %zu", i);
    cr_expect_eq(a->kind, kind, "asset %zu: kind %d", i, a->kind);
    cr_expect_str_eq(am_inventory_str(inv, a->value), value, "asset %zu", i);
    cr_expect_eq(a->value_len, strlen(value), "asset %zu", i);
    cr_expect_eq(a->include_subdomains, inc, "asset %zu: include_subdomains",
                 i);
    cr_expect_eq(a->verified, ver, "asset %zu: verified", i);
}

/* ---- single records: canonical values ---------------------------------- */

struct canon_case {
    char kind[16];
    char value[80];
    char canon[80];
};

ParameterizedTestParameters(inventory, canonical_value) {
    static struct canon_case cases[] = {
        {"domain", "example.com", "example.com"},
        {"domain", "WWW.Example.COM.", "www.example.com"},
        {"domain", " example.org\t", "example.org"},
        {"domain", "bücher.example", "xn--bcher-kva.example"},
        {"domain", "BÜCHER.Example.", "xn--bcher-kva.example"},
        {"domain", "_dmarc.Example.com", "_dmarc.example.com"},
        {"ip", "192.0.2.1", "192.0.2.1"},
        {"ip", "192.0.2.7/32", "192.0.2.7"},
        {"ip", "192.0.2.0/24", "192.0.2.0/24"},
        {"ip", " 10.0.0.0/8 ", "10.0.0.0/8"},
        {"ip", "2001:DB8:0:0::/32", "2001:db8::/32"},
        {"ip", "2001:0db8::0001", "2001:db8::1"},
        {"ip", "2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"},
        {"ip", "::ffff:192.0.2.1", "192.0.2.1"},
        {"ip", "::ffff:192.0.2.0/120", "192.0.2.0/24"},
        {"asn", "64500", "64500"},
        {"asn", "AS64500", "64500"},
        {"asn", "as64500", "64500"},
        {"asn", "0064500", "64500"},
        {"asn", "AS4294967295", "4294967295"},
        {"asn", "1.10", "65546"},
        {"keyword", "acme", "acme"},
        {"keyword", "AcMe", "acme"},
        {"keyword", "Acme-Corp_1.x", "acme-corp_1.x"},
        /* The kind is case-insensitive. */
        {"IP", "192.0.2.1", "192.0.2.1"},
        {"Domain", "example.com", "example.com"},
        {"KEYWORD", "ACME", "acme"},
        {" asn ", "AS1", "1"},
    };
    return cr_make_param_array(struct canon_case, cases,
                               sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct canon_case *c, inventory, canonical_value) {
    cr_assert_eq(add("t1", "a1", c->kind, c->value, NULL, NULL), 0,
                 "%s %s: %s", c->kind, c->value, err);
    cr_assert_eq(am_inventory_count(inv), 1);
    cr_assert_str_eq(am_inventory_str(inv, am_inventory_asset(inv, 0)->value),
                     c->canon, "%s %s", c->kind, c->value);
    cr_assert_eq(am_inventory_asset(inv, 0)->value_len, strlen(c->canon));
}

/* The parsed forms next to the text. */
Test(inventory, parsed_values) {
    const am_asset_t *a;

    ADD_OK("t1", "mapped", "ip", "::ffff:198.51.100.0/120");
    ADD_OK("t1", "v6", "ip", "2001:db8::/32");
    ADD_OK("t1", "as", "asn", "AS64500");
    a = am_inventory_asset(inv, 0);
    cr_assert_eq(a->kind, AM_ASSET_IP);
    cr_assert_eq(a->u.prefix.family, AM_IPADDR_V4);
    cr_assert_eq(a->u.prefix.len, 24);
    cr_assert_arr_eq(a->u.prefix.addr, ((uint8_t[16]){198, 51, 100, 0}), 16);
    a = am_inventory_asset(inv, 1);
    cr_assert_eq(a->u.prefix.family, AM_IPADDR_V6);
    cr_assert_eq(a->u.prefix.len, 32);
    a = am_inventory_asset(inv, 2);
    cr_assert_eq(a->kind, AM_ASSET_ASN);
    cr_assert_eq(a->u.asn, 64500);
}

/* Ids are kept as given, without surrounding blanks. */
Test(inventory, ids_trimmed_not_changed) {
    ADD_OK("  Acme Corp ", " A-1 ", "ip", "192.0.2.1");
    expect_asset(0, "Acme Corp", "A-1", AM_ASSET_IP, "192.0.2.1", true,
                 true);
}

/* ---- single records: errors -------------------------------------------- */

struct error_case {
    char tenant[300];
    char id[16];
    char kind[16];
    char value[160];
    char inc[16];
    char ver[16];
    char err[200];
};

ParameterizedTestParameters(inventory, rejected) {
    static struct error_case cases[] = {
        /* ip */
        {"t", "a", "ip", "192.0.2.1/24", "", "",
         "field 'value': host bits set (network is 192.0.2.0/24): "
         "'192.0.2.1/24'"},
        {"t", "a", "ip", "2001:db8::1/32", "", "",
         "field 'value': host bits set (network is 2001:db8::/32): "
         "'2001:db8::1/32'"},
        {"t", "a", "ip", "::ffff:192.0.2.1/120", "", "",
         "field 'value': host bits set (network is 192.0.2.0/24): "
         "'::ffff:192.0.2.1/120'"},
        {"t", "a", "ip", "192.0.2.256", "", "",
         "field 'value': not an IP address: '192.0.2.256'"},
        {"t", "a", "ip", "192.0.2.01", "", "",
         "field 'value': not an IP address: '192.0.2.01'"},
        {"t", "a", "ip", "example.com", "", "",
         "field 'value': not an IP address: 'example.com'"},
        {"t", "a", "ip", "fe80::1%eth0", "", "",
         "field 'value': not an IP address: 'fe80::1%eth0'"},
        {"t", "a", "ip", "10.0.0.0/33", "", "",
         "field 'value': prefix length 33 out of range for IPv4: "
         "'10.0.0.0/33'"},
        {"t", "a", "ip", "", "", "", "field 'value': empty"},
        {"t", "a", "ip", " \t ", "", "", "field 'value': empty"},
        /* domain */
        {"t", "a", "domain", "192.0.2.1", "", "",
         "field 'value': '192.0.2.1' is an IP address, not a domain (use "
         "kind ip)"},
        {"t", "a", "domain", "10.0.0.0/8", "", "",
         "field 'value': '10.0.0.0/8' is an IP address, not a domain (use "
         "kind ip)"},
        {"t", "a", "domain", "2001:db8::1", "", "",
         "field 'value': '2001:db8::1' is an IP address, not a domain (use "
         "kind ip)"},
        {"t", "a", "domain",
         "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
         ".example",
         "", "",
         "field 'value': label longer than 63 bytes: "
         "'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa'"},
        {"t", "a", "domain", "exa mple.com", "", "",
         "field 'value': bad character ' ': 'exa mple.com'"},
        {"t", "a", "domain", "a..b", "", "",
         "field 'value': empty label: 'a..b'"},
        {"t", "a", "domain", "", "", "", "field 'value': empty"},
        /* keyword */
        {"t", "a", "keyword", "ab", "", "",
         "field 'value': keyword must be 3 to 128 characters"},
        {"t", "a", "keyword",
         "kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk"
         "kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk",
         "", "", "field 'value': keyword must be 3 to 128 characters"},
        {"t", "a", "keyword", "ac me", "", "",
         "field 'value': keyword 'ac me' has a character that never occurs "
         "in a domain name"},
        {"t", "a", "keyword", "acme/", "", "",
         "field 'value': keyword 'acme/' has a character that never occurs "
         "in a domain name"},
        /* asn */
        {"t", "a", "asn", "AS", "", "",
         "field 'value': no digits after \"AS\""},
        {"t", "a", "asn", "4294967296", "", "",
         "field 'value': AS number larger than 4294967295"},
        {"t", "a", "asn", "AS64500x", "", "",
         "field 'value': bad character 'x' in AS number"},
        /* kind */
        {"t", "a", "host", "example.com", "", "",
         "field 'kind': unknown kind 'host' (ip, domain, keyword, asn)"},
        {"t", "a", "", "example.com", "", "",
         "field 'kind': unknown kind '' (ip, domain, keyword, asn)"},
        {"t", "a", "ipv4", "192.0.2.1", "", "",
         "field 'kind': unknown kind 'ipv4' (ip, domain, keyword, asn)"},
        /* ids */
        {"", "a", "ip", "192.0.2.1", "", "", "field 'tenant_id': empty"},
        {"  ", "a", "ip", "192.0.2.1", "", "", "field 'tenant_id': empty"},
        {"t", "", "ip", "192.0.2.1", "", "", "field 'asset_id': empty"},
        {"t", "a\tb", "ip", "192.0.2.1", "", "",
         "field 'asset_id': control character"},
        {"t\nu", "a", "ip", "192.0.2.1", "", "",
         "field 'tenant_id': control character"},
        {"t\x7f", "a", "ip", "192.0.2.1", "", "",
         "field 'tenant_id': control character"},
        {"ttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttt"
         "ttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttt"
         "ttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttt"
         "ttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttt",
         "a", "ip", "192.0.2.1", "", "",
         "field 'tenant_id': longer than 255 bytes"},
        /* booleans */
        {"t", "a", "domain", "example.com", "maybe", "",
         "field 'include_subdomains': not a boolean: 'maybe'"},
        {"t", "a", "domain", "example.com", "", "2",
         "field 'verified': not a boolean: '2'"},
        {"t", "a", "domain", "example.com", "", "yess",
         "field 'verified': not a boolean: 'yess'"},
    };
    return cr_make_param_array(struct error_case, cases,
                               sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct error_case *c, inventory, rejected) {
    cr_assert_eq(add(c->tenant, c->id, c->kind, c->value, c->inc, c->ver), -1,
                 "%s %s was accepted", c->kind, c->value);
    cr_assert_str_eq(err, c->err);
    /* A rejected record leaves no trace. */
    cr_assert_eq(am_inventory_count(inv), 0);
    cr_assert_eq(am_inventory_tenant_count(inv), 0);
}

/* The longest id is accepted: 255 bytes. */
Test(inventory, id_of_255_bytes) {
    char id[256];

    memset(id, 'i', 255);
    id[255] = '\0';
    ADD_OK(id, id, "ip", "192.0.2.1");
    cr_assert_str_eq(am_inventory_tenant(inv, 0), id);
}

/* ---- booleans ---------------------------------------------------------- */

struct bool_case {
    char text[16];
    bool want;
};

ParameterizedTestParameters(inventory, boolean_spellings) {
    static struct bool_case cases[] = {
        {"true", true},  {"TRUE", true},   {"True", true}, {"1", true},
        {"yes", true},   {"YES", true},    {"y", true},    {"Y", true},
        {"t", true},     {"T", true},      {"", true},     {"  ", true},
        {" yes ", true}, {"false", false}, {"FALSE", false}, {"False", false},
        {"0", false},    {"no", false},    {"No", false},  {"n", false},
        {"N", false},    {"f", false},     {"F", false},   {"\tno\t", false},
    };
    return cr_make_param_array(struct bool_case, cases,
                               sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct bool_case *c, inventory, boolean_spellings) {
    cr_assert_eq(add("t", "a", "domain", "example.com", c->text, c->text), 0,
                 "'%s': %s", c->text, err);
    cr_assert_eq(am_inventory_asset(inv, 0)->include_subdomains, c->want,
                 "include_subdomains '%s'", c->text);
    cr_assert_eq(am_inventory_asset(inv, 0)->verified, c->want,
                 "verified '%s'", c->text);
}

Test(inventory, absent_booleans_default_to_true) {
    ADD_OK("t", "a", "domain", "example.com");
    cr_assert(am_inventory_asset(inv, 0)->include_subdomains);
    cr_assert(am_inventory_asset(inv, 0)->verified);
}

/* ---- uniqueness, tenants, counts --------------------------------------- */

Test(inventory, duplicate_asset_id_within_a_tenant) {
    ADD_OK("t1", "a1", "ip", "192.0.2.1");
    cr_assert_eq(add("t1", "a1", "ip", "192.0.2.2", NULL, NULL), -1);
    cr_assert_str_eq(err,
                     "field 'asset_id': duplicate asset_id 'a1' for tenant "
                     "'t1'");
    /* Whatever the kind, and after trimming. */
    cr_assert_eq(add("t1", "a1", "domain", "example.com", NULL, NULL), -1);
    cr_assert_eq(add(" t1 ", " a1 ", "ip", "192.0.2.3", NULL, NULL), -1);
    cr_assert_str_eq(err,
                     "field 'asset_id': duplicate asset_id 'a1' for tenant "
                     "'t1'");
    cr_assert_eq(am_inventory_count(inv), 1);
    expect_asset(0, "t1", "a1", AM_ASSET_IP, "192.0.2.1", true, true);
}

Test(inventory, same_asset_id_in_two_tenants) {
    ADD_OK("t1", "a1", "ip", "192.0.2.1");
    ADD_OK("t2", "a1", "ip", "192.0.2.1");
    /* Ids are case-sensitive. */
    ADD_OK("t1", "A1", "ip", "192.0.2.1");
    ADD_OK("T1", "a1", "ip", "192.0.2.1");
    cr_assert_eq(am_inventory_count(inv), 4);
    cr_assert_eq(am_inventory_tenant_count(inv), 3);
}

/* Prefix-sharing ids must not be confused by the comparison. */
Test(inventory, ids_that_are_prefixes_of_each_other) {
    ADD_OK("t", "a", "ip", "192.0.2.1");
    ADD_OK("t", "ab", "ip", "192.0.2.2");
    ADD_OK("tt", "a", "ip", "192.0.2.3");
    cr_assert_eq(add("t", "ab", "ip", "192.0.2.4", NULL, NULL), -1);
    cr_assert_eq(add("tt", "a", "ip", "192.0.2.4", NULL, NULL), -1);
    cr_assert_eq(am_inventory_count(inv), 3);
    cr_assert_eq(am_inventory_tenant_count(inv), 2);
}

Test(inventory, tenants_interned_and_counted_by_kind) {
    ADD_OK("acme", "a1", "ip", "192.0.2.1");
    ADD_OK("globex", "g1", "domain", "globex.example");
    ADD_OK("acme", "a2", "keyword", "acme");
    ADD_OK("initech", "i1", "asn", "AS64500");
    ADD_OK("globex", "g2", "ip", "2001:db8::/32");
    ADD_OK("acme", "a3", "domain", "acme.example");

    cr_assert_eq(am_inventory_count(inv), 6);
    cr_assert_eq(am_inventory_tenant_count(inv), 3);
    cr_assert_str_eq(am_inventory_tenant(inv, 0), "acme");
    cr_assert_str_eq(am_inventory_tenant(inv, 1), "globex");
    cr_assert_str_eq(am_inventory_tenant(inv, 2), "initech");
    cr_assert_eq(am_inventory_asset(inv, 0)->tenant, 0);
    cr_assert_eq(am_inventory_asset(inv, 1)->tenant, 1);
    cr_assert_eq(am_inventory_asset(inv, 2)->tenant, 0);
    cr_assert_eq(am_inventory_asset(inv, 3)->tenant, 2);
    cr_assert_eq(am_inventory_asset(inv, 4)->tenant, 1);
    cr_assert_eq(am_inventory_asset(inv, 5)->tenant, 0);
    cr_assert_eq(am_inventory_count_kind(inv, AM_ASSET_IP), 2);
    cr_assert_eq(am_inventory_count_kind(inv, AM_ASSET_DOMAIN), 2);
    cr_assert_eq(am_inventory_count_kind(inv, AM_ASSET_KEYWORD), 1);
    cr_assert_eq(am_inventory_count_kind(inv, AM_ASSET_ASN), 1);
    cr_assert_eq(am_inventory_count_kind(inv, (am_asset_kind_t)0), 0);
    cr_assert_eq(am_inventory_count_kind(inv, (am_asset_kind_t)99), 0);
    cr_assert_gt(am_inventory_memory(inv), 0);
}

Test(inventory, kind_names) {
    cr_assert_str_eq(am_asset_kind_name(AM_ASSET_IP), "ip");
    cr_assert_str_eq(am_asset_kind_name(AM_ASSET_DOMAIN), "domain");
    cr_assert_str_eq(am_asset_kind_name(AM_ASSET_KEYWORD), "keyword");
    cr_assert_str_eq(am_asset_kind_name(AM_ASSET_ASN), "asn");
    cr_assert_str_eq(am_asset_kind_name((am_asset_kind_t)0), "?");
}

Test(inventory, empty_and_destroy_null) {
    cr_assert_eq(am_inventory_count(inv), 0);
    cr_assert_eq(am_inventory_tenant_count(inv), 0);
    am_inventory_destroy(NULL);
}

/* Text fields are (pointer, length): bytes after the length are not read
 * as part of the field. */
Test(inventory, fields_need_no_nul) {
    static const char buf[] = "acmeXa1Xipdomain192.0.2.1Xtrue!falseX";
    am_asset_input_t in = {buf,      4, buf + 5,  2, buf + 8, 2,
                           buf + 16, 9, buf + 26, 4, buf + 31, 5};

    cr_assert_eq(am_inventory_add(inv, &in, err, sizeof(err)), 0, "%s", err);
    expect_asset(0, "acme", "a1", AM_ASSET_IP, "192.0.2.1", true, false);
}

/* ---- loading CSV ------------------------------------------------------- */

Test(inventory, load_csv) {
    cr_assert_eq(load(DATA "basic.csv"), 0, "%s", err);
    cr_assert_eq(stats.records, 8);
    cr_assert_eq(stats.loaded, 8);
    cr_assert_eq(stats.bad, 0);
    cr_assert_str_eq(printed(), "");
    cr_assert_eq(am_inventory_count(inv), 8);
    cr_assert_eq(am_inventory_tenant_count(inv), 3);
    cr_assert_eq(am_inventory_count_kind(inv, AM_ASSET_IP), 3);
    cr_assert_eq(am_inventory_count_kind(inv, AM_ASSET_DOMAIN), 3);
    cr_assert_eq(am_inventory_count_kind(inv, AM_ASSET_KEYWORD), 1);
    cr_assert_eq(am_inventory_count_kind(inv, AM_ASSET_ASN), 1);
    expect_asset(0, "acme", "a1", AM_ASSET_IP, "192.0.2.0/24", true, true);
    expect_asset(1, "acme", "a2", AM_ASSET_IP, "2001:db8::/32", true, true);
    expect_asset(2, "acme", "a3", AM_ASSET_DOMAIN, "www.example.com", false,
                 true);
    expect_asset(3, "acme", "a4", AM_ASSET_DOMAIN, "xn--bcher-kva.example",
                 true, true);
    expect_asset(4, "acme", "a5", AM_ASSET_KEYWORD, "acmecorp", true, true);
    expect_asset(5, "globex", "g1", AM_ASSET_ASN, "64500", true, false);
    expect_asset(6, "globex", "g2", AM_ASSET_IP, "198.51.100.7", true, true);
    expect_asset(7, "initech", "i1", AM_ASSET_DOMAIN, "initech.example", true,
                 false);
}

/* A spreadsheet export: BOM, CRLF, every field quoted, the header in mixed
 * case with blanks, no include_subdomains column. */
Test(inventory, load_spreadsheet_export) {
    opts.skip_bad = true;
    cr_assert_eq(load(DATA "spreadsheet.csv"), 0, "%s", err);
    cr_assert_eq(stats.records, 4);
    cr_assert_eq(stats.loaded, 3);
    cr_assert_eq(stats.bad, 1);
    cr_assert_str_eq(printed(),
                     DATA "spreadsheet.csv:5: field 'value': keyword 'Road, "
                          "Runner' has a character that never occurs in a "
                          "domain name\n");
    expect_asset(0, "acme", "a1", AM_ASSET_IP, "192.0.2.1", true, true);
    expect_asset(1, "acme", "a2", AM_ASSET_DOMAIN, "example.org", true,
                 false);
    expect_asset(2, "acme", "a4", AM_ASSET_KEYWORD, "roadrunner", true,
                 true);
}

/* Columns in any order, unknown ones ignored (one of them quoted over two
 * lines), the optional ones absent. */
Test(inventory, load_csv_header_in_any_order) {
    cr_assert_eq(load(DATA "reordered.csv"), 0, "%s", err);
    cr_assert_eq(stats.records, 3);
    cr_assert_eq(stats.loaded, 3);
    expect_asset(0, "acme", "a1", AM_ASSET_IP, "192.0.2.1", true, true);
    expect_asset(1, "acme", "a2", AM_ASSET_DOMAIN, "www.example.com", true,
                 true);
    expect_asset(2, "umbrella", "a3", AM_ASSET_DOMAIN, "example.net", true,
                 true);
}

#define ERRORS_CSV DATA "errors.csv"
#define A64 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"

/* Every error with its line (line 12 comes after a record that spans lines
 * 10-11), and the good records around them. */
static const char errors_csv_report[] =
    ERRORS_CSV ":2: field 'value': host bits set (network is 192.0.2.0/24): "
               "'192.0.2.1/24'\n" ERRORS_CSV
    ":3: field 'value': '192.0.2.1' is an IP address, not a domain (use kind "
    "ip)\n" ERRORS_CSV ":4: field 'tenant_id': empty\n" ERRORS_CSV
    ":5: field 'kind': unknown kind 'host' (ip, domain, keyword, asn)\n"
    ERRORS_CSV ":6: field 'value': label longer than 63 bytes: '" A64 "'\n"
    ERRORS_CSV ":8: field 'asset_id': duplicate asset_id 'a6' for tenant "
               "'acme'\n" ERRORS_CSV ":12: text after a closing quote\n"
    ERRORS_CSV ":13: field 'include_subdomains': not a boolean: 'maybe'\n"
    ERRORS_CSV ":15: field 'value': keyword must be 3 to 128 characters\n"
    ERRORS_CSV ":16: field 'value': no digits after \"AS\"\n" ERRORS_CSV
    ":17: field 'asset_id': empty\n" ERRORS_CSV
    ":18: field 'value': host bits set (network is 2001:db8::/32): "
    "'2001:db8::1/32'\n";

Test(inventory, load_csv_errors_fail_the_load) {
    cr_assert_eq(load(ERRORS_CSV), -1);
    cr_assert_str_eq(err, ERRORS_CSV ": 12 bad records (of 16); fix them or "
                                     "skip them with --skip-bad");
    cr_assert_str_eq(printed(), errors_csv_report);
    cr_assert_eq(stats.records, 16);
    cr_assert_eq(stats.loaded, 4);
    cr_assert_eq(stats.bad, 12);
}

Test(inventory, load_csv_skip_bad) {
    opts.skip_bad = true;
    cr_assert_eq(load(ERRORS_CSV), 0, "%s", err);
    cr_assert_str_eq(printed(), errors_csv_report);
    cr_assert_eq(stats.records, 16);
    cr_assert_eq(stats.loaded, 4);
    cr_assert_eq(stats.bad, 12);
    cr_assert_eq(am_inventory_count(inv), 4);
    cr_assert_eq(am_inventory_tenant_count(inv), 2);
    expect_asset(0, "acme", "a6", AM_ASSET_IP, "192.0.2.7", true, true);
    expect_asset(1, "globex", "a6", AM_ASSET_IP, "192.0.2.8", true, true);
    expect_asset(2, "acme", "a7", AM_ASSET_KEYWORD, "acmecorp", true, true);
    /* A short row: the missing optional cells take their defaults. */
    expect_asset(3, "acme", "a10", AM_ASSET_IP, "192.0.2.10", true, true);
}

Test(inventory, max_errors_then_and_n_more) {
    opts.skip_bad = true;
    opts.max_errors = 3;
    cr_assert_eq(load(ERRORS_CSV), 0, "%s", err);
    cr_assert_str_eq(
        printed(),
        ERRORS_CSV ":2: field 'value': host bits set (network is "
                   "192.0.2.0/24): '192.0.2.1/24'\n" ERRORS_CSV
        ":3: field 'value': '192.0.2.1' is an IP address, not a domain (use "
        "kind ip)\n" ERRORS_CSV ":4: field 'tenant_id': empty\n" ERRORS_CSV
        ": ... and 9 more errors\n");
    cr_assert_eq(stats.bad, 12);
}

Test(inventory, max_errors_zero_prints_only_the_count) {
    opts.max_errors = 0;
    cr_assert_eq(load(ERRORS_CSV), -1);
    cr_assert_str_eq(printed(), ERRORS_CSV ": ... and 12 more errors\n");
    cr_assert_eq(stats.bad, 12);
}

Test(inventory, max_errors_exactly_reached_prints_no_tail) {
    opts.max_errors = 12;
    cr_assert_eq(load(ERRORS_CSV), -1);
    cr_assert_str_eq(printed(), errors_csv_report);
}

Test(inventory, errors_counted_without_a_stream) {
    opts.errors = NULL;
    opts.skip_bad = true;
    cr_assert_eq(load(ERRORS_CSV), 0, "%s", err);
    cr_assert_eq(stats.bad, 12);
    cr_assert_eq(stats.loaded, 4);
}

Test(inventory, one_bad_record_message_is_singular) {
    cr_assert_eq(load_text("tenant_id,asset_id,kind,value\n"
                           "t,a,ip,192.0.2.1\n"
                           "t,b,ip,192.0.2.1/24\n"),
                 -1);
    cr_assert(strstr(err, ": 1 bad record (of 2); fix them or skip them "
                          "with --skip-bad"),
              "%s", err);
}

Test(inventory, missing_header_column) {
    cr_assert_eq(load(DATA "missing_column.csv"), -1);
    /* Line 3: the header comes after two blank lines. */
    cr_assert_str_eq(err, DATA "missing_column.csv:3: missing column 'kind' "
                               "in the header row (needs tenant_id, "
                               "asset_id, kind, value)");
    cr_assert_eq(am_inventory_count(inv), 0);
}

struct header_case {
    char header[96];
    char missing[16];
};

ParameterizedTestParameters(inventory, each_required_column) {
    static struct header_case cases[] = {
        {"asset_id,kind,value", "tenant_id"},
        {"tenant_id,kind,value,include_subdomains", "asset_id"},
        {"tenant_id,asset_id,value,verified", "kind"},
        {"tenant_id,asset_id,kind", "value"},
        {"tenant,asset,kind,value", "tenant_id"},
    };
    return cr_make_param_array(struct header_case, cases,
                               sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct header_case *c, inventory, each_required_column) {
    char text[128], want[160];

    snprintf(text, sizeof(text), "%s\nx,y,z,w\n", c->header);
    snprintf(want, sizeof(want),
             ":1: missing column '%s' in the header row (needs tenant_id, "
             "asset_id, kind, value)",
             c->missing);
    cr_assert_eq(load_text(text), -1);
    cr_assert(strstr(err, want), "%s", err);
}

Test(inventory, header_only) {
    cr_assert_eq(load(DATA "header_only.csv"), 0, "%s", err);
    cr_assert_eq(stats.records, 0);
    cr_assert_eq(am_inventory_count(inv), 0);
}

Test(inventory, empty_file) {
    cr_assert_eq(load(DATA "empty.csv"), -1);
    cr_assert_str_eq(err, DATA "empty.csv:1: empty file (a header row is "
                               "needed)");
}

Test(inventory, missing_file) {
    cr_assert_eq(load(DATA "no-such-file.csv"), -1);
    cr_assert_str_eq(err, DATA "no-such-file.csv: No such file or directory");
}

Test(inventory, directory) {
    cr_assert_eq(load(DATA), -1);
    cr_assert_str_eq(err, DATA ": is a directory");
}

/*
 * Regression: a bad header row used to be reported on the line after it
 * (csv.line, already past the bad line, instead of csv.rec_line).
 */
Test(inventory, bad_header_row_names_its_line) {
    cr_assert_eq(load_text("\"tenant_id\"x,asset_id\n"), -1);
    cr_assert(strstr(err, ":1: text after a closing quote"), "%s", err);
}

/* ---- loading JSON lines ------------------------------------------------ */

Test(inventory, load_jsonl) {
    cr_assert_eq(load(DATA "basic.jsonl"), 0, "%s", err);
    cr_assert_str_eq(printed(), "");
    cr_assert_eq(stats.records, 5);
    cr_assert_eq(stats.loaded, 5);
    cr_assert_eq(am_inventory_tenant_count(inv), 2);
    expect_asset(0, "acme", "a1", AM_ASSET_IP, "192.0.2.0/24", true, true);
    expect_asset(1, "acme", "a2", AM_ASSET_DOMAIN, "example.com", false,
                 true);
    /* A number for an AS number, 0 for false. */
    expect_asset(2, "globex", "g1", AM_ASSET_ASN, "64500", true, false);
    /* null is absent; unknown members of any type are ignored. */
    expect_asset(3, "globex", "g2", AM_ASSET_KEYWORD, "globex", true, true);
    /* A CRLF line end. */
    expect_asset(4, "globex", "g3", AM_ASSET_IP, "2001:db8::1", false, true);
    cr_assert_eq(am_inventory_asset(inv, 2)->u.asn, 64500);
}

#define ERRORS_JSONL DATA "errors.jsonl"

/* jansson's own words for a line it cannot parse. */
static const char *jansson_says(const char *line) {
    static char text[JSON_ERROR_TEXT_LENGTH];
    json_error_t je;
    json_t *j = json_loads(line, JSON_REJECT_DUPLICATES, &je);

    cr_assert_null(j, "%s parsed", line);
    snprintf(text, sizeof(text), "%s", je.text);
    return text;
}

Test(inventory, load_jsonl_errors) {
    char want[4096];

    snprintf(
        want, sizeof(want),
        "%s:2: field 'value': host bits set (network is 192.0.2.0/24): "
        "'192.0.2.1/24'\n"
        "%s:3: not a JSON object: %s\n"
        "%s:4: not a JSON object: another JSON value\n"
        "%s:6: field 'value': must be a string, number or boolean\n"
        "%s:7: field 'value': must be a string, number or boolean\n"
        "%s:8: field 'asset_id': duplicate asset_id 'a1' for tenant 'acme'\n"
        "%s:9: field 'verified': not a boolean: 'maybe'\n"
        "%s:10: field 'verified': not a boolean: '2'\n",
        ERRORS_JSONL, ERRORS_JSONL,
        jansson_says("{\"tenant_id\":\"acme\",\"asset_id\":\"a3\","
                     "\"kind\":\"ip\","),
        ERRORS_JSONL, ERRORS_JSONL, ERRORS_JSONL, ERRORS_JSONL, ERRORS_JSONL,
        ERRORS_JSONL);
    snprintf(want + strlen(want), sizeof(want) - strlen(want),
             "%s:11: not a JSON object: %s\n"
             "%s:13: field 'asset_id': empty\n",
             ERRORS_JSONL,
             jansson_says("{\"tenant_id\":\"acme\",\"asset_id\":\"a8\","
                          "\"asset_id\":\"a9\",\"kind\":\"domain\","
                          "\"value\":\"dup.example\"}"),
             ERRORS_JSONL);

    cr_assert_eq(load(ERRORS_JSONL), -1);
    cr_assert_str_eq(printed(), want);
    cr_assert_eq(stats.records, 12);
    cr_assert_eq(stats.loaded, 2);
    cr_assert_eq(stats.bad, 10);
    cr_assert_str_eq(err, ERRORS_JSONL ": 10 bad records (of 12); fix them "
                                       "or skip them with --skip-bad");
    expect_asset(0, "acme", "a1", AM_ASSET_IP, "192.0.2.0/24", true, true);
    expect_asset(1, "acme", "a10", AM_ASSET_KEYWORD, "acme", true, true);
}

/* The format is taken from the first non-blank byte. */
Test(inventory, jsonl_after_blank_lines) {
    cr_assert_eq(load_text("\n \t\r\n{\"tenant_id\":\"t\",\"asset_id\":\"a\","
                           "\"kind\":\"asn\",\"value\":\"AS1\"}"),
                 0, "%s", err);
    expect_asset(0, "t", "a", AM_ASSET_ASN, "1", true, true);
}

/* Booleans written as JSON booleans, numbers or strings. */
Test(inventory, jsonl_boolean_forms) {
    cr_assert_eq(
        load_text("{\"tenant_id\":\"t\",\"asset_id\":\"a\",\"kind\":\"domain\","
                  "\"value\":\"a.example\",\"include_subdomains\":true,"
                  "\"verified\":false}\n"
                  "{\"tenant_id\":\"t\",\"asset_id\":\"b\",\"kind\":\"domain\","
                  "\"value\":\"b.example\",\"include_subdomains\":0,"
                  "\"verified\":1}\n"
                  "{\"tenant_id\":\"t\",\"asset_id\":\"c\",\"kind\":\"domain\","
                  "\"value\":\"c.example\",\"include_subdomains\":\"No\","
                  "\"verified\":null}\n"),
        0, "%s", err);
    expect_asset(0, "t", "a", AM_ASSET_DOMAIN, "a.example", true, false);
    expect_asset(1, "t", "b", AM_ASSET_DOMAIN, "b.example", false, true);
    expect_asset(2, "t", "c", AM_ASSET_DOMAIN, "c.example", false, true);
}

/* ---- a large load ------------------------------------------------------ */

#define BIG 100000

/* 100K records over 1000 tenants, a quarter of each kind. */
static char *write_big_csv(void) {
    char *path = strdup("/tmp/am_test_inventory_big_XXXXXX");
    int fd;
    FILE *f;

    cr_assert_not_null(path);
    fd = mkstemp(path);
    cr_assert_geq(fd, 0);
    f = fdopen(fd, "w");
    cr_assert_not_null(f);
    fprintf(f, "tenant_id,asset_id,kind,value\n");
    for (unsigned i = 0; i < BIG; i++) {
        unsigned t = i % 1000;
        switch (i % 4) {
        case 0:
            fprintf(f, "t%u,a%u,ip,10.%u.%u.%u\n", t, i, i >> 16 & 255,
                    i >> 8 & 255, i & 255);
            break;
        case 1:
            fprintf(f, "t%u,a%u,domain,h%u.Example.com\n", t, i, i);
            break;
        case 2:
            fprintf(f, "t%u,a%u,keyword,kw%u\n", t, i, i);
            break;
        default:
            fprintf(f, "t%u,a%u,asn,AS%u\n", t, i, i + 1);
        }
    }
    cr_assert_eq(fclose(f), 0);
    return path;
}

Test(inventory, load_100k_records) {
    char *path = write_big_csv();

    cr_assert_eq(load(path), 0, "%s", err);
    cr_assert_eq(stats.records, BIG);
    cr_assert_eq(stats.loaded, BIG);
    cr_assert_eq(am_inventory_count(inv), BIG);
    cr_assert_eq(am_inventory_tenant_count(inv), 1000);
    cr_assert_eq(am_inventory_count_kind(inv, AM_ASSET_IP), BIG / 4);
    cr_assert_eq(am_inventory_count_kind(inv, AM_ASSET_DOMAIN), BIG / 4);
    cr_assert_eq(am_inventory_count_kind(inv, AM_ASSET_KEYWORD), BIG / 4);
    cr_assert_eq(am_inventory_count_kind(inv, AM_ASSET_ASN), BIG / 4);
    expect_asset(0, "t0", "a0", AM_ASSET_IP, "10.0.0.0", true, true);
    expect_asset(65537, "t537", "a65537", AM_ASSET_DOMAIN,
                 "h65537.example.com", true, true);
    expect_asset(BIG - 1, "t999", "a99999", AM_ASSET_ASN, "100000", true,
                 true);
    /* Under 300 bytes an asset (DESIGN.md: 300 MB at 1M assets). */
    cr_assert_lt(am_inventory_memory(inv), (size_t)BIG * 300, "%zu bytes",
                 am_inventory_memory(inv));

    /* After all that growth every record is still found: loading the same
     * file again finds 100K duplicates and adds nothing. */
    opts.skip_bad = true;
    opts.max_errors = 1;
    cr_assert_eq(load(path), 0, "%s", err);
    cr_assert_eq(stats.loaded, 0);
    cr_assert_eq(stats.bad, BIG);
    cr_assert_eq(am_inventory_count(inv), BIG);
    cr_assert_eq(am_inventory_tenant_count(inv), 1000);
    cr_assert(strstr(printed(), ":2: field 'asset_id': duplicate asset_id "
                                "'a0' for tenant 't0'\n"),
              "%.200s", printed());
    cr_assert(strstr(printed(), ": ... and 99999 more errors\n"), "%.200s",
              printed());

    /* A new id in an existing tenant, and a new tenant, still go in. */
    ADD_OK("t5", "new", "ip", "192.0.2.1");
    ADD_OK("t1000", "a0", "ip", "192.0.2.1");
    cr_assert_eq(am_inventory_count(inv), BIG + 2);
    cr_assert_eq(am_inventory_tenant_count(inv), 1001);

    unlink(path);
    free(path);
}

/* ---- live changes: upsert, remove, snapshot ------------------------------ */

static int upsert(const char *tenant, const char *id, const char *kind,
                  const char *value, const char *ver,
                  am_inventory_change_t *change, uint32_t *idx) {
    am_asset_input_t in = {tenant, strlen(tenant), id,    strlen(id),
                           kind,   strlen(kind),   value, strlen(value),
                           NULL,   0,              ver,   strlen(ver)};
    err[0] = '\0';
    return am_inventory_upsert(inv, &in, change, idx, err, sizeof(err));
}

Test(inventory, upsert_adds_replaces_and_reports_what_changed) {
    am_inventory_change_t ch;
    uint32_t i, j;

    cr_assert_eq(upsert("t1", "a", "ip", "192.0.2.0/24", "true", &ch, &i), 0);
    cr_assert_eq(ch, AM_INVENTORY_ADDED);
    cr_assert_eq(upsert("t1", "a", "ip", "192.0.2.0/24", "true", &ch, &j), 0);
    cr_assert_eq(ch, AM_INVENTORY_UNCHANGED);
    cr_assert_eq(j, i);
    cr_assert_eq(upsert("t1", "a", "domain", "Example.ORG", "true", &ch, &j),
                 0);
    cr_assert_eq(ch, AM_INVENTORY_UPDATED);
    cr_assert_eq(j, i);
    expect_asset(i, "t1", "a", AM_ASSET_DOMAIN, "example.org", true, true);
    cr_assert_eq(upsert("t1", "a", "domain", "example.org", "false", &ch, &j),
                 0);
    cr_assert_eq(ch, AM_INVENTORY_UPDATED);
    cr_assert_eq(am_inventory_asset(inv, i)->verified, false);
    cr_assert_eq(am_inventory_count(inv), 1);
    cr_assert_eq(am_inventory_count_kind(inv, AM_ASSET_IP), 0);
    cr_assert_eq(am_inventory_count_kind(inv, AM_ASSET_DOMAIN), 1);
    /* A bad record changes nothing. */
    cr_assert_eq(upsert("t1", "a", "ip", "192.0.2.1/24", "true", &ch, &j), -1);
    cr_assert(strstr(err, "host bits set"), "%s", err);
    expect_asset(i, "t1", "a", AM_ASSET_DOMAIN, "example.org", true, false);
}

Test(inventory, remove_then_add_again) {
    ADD_OK("t1", "a", "ip", "192.0.2.1");
    ADD_OK("t1", "b", "ip", "192.0.2.2");
    ADD_OK("t2", "a", "ip", "192.0.2.3");
    cr_assert_eq(am_inventory_remove(inv, "t1", 2, "a", 1), 0);
    cr_assert_eq(am_inventory_remove(inv, "t1", 2, "a", 1), 1);
    cr_assert_eq(am_inventory_remove(inv, "t9", 2, "a", 1), 1);
    cr_assert_eq(am_inventory_count(inv), 2);
    cr_assert_eq(am_inventory_slots(inv), 3);
    cr_assert(am_inventory_asset(inv, 0)->deleted);
    /* The other entries of the index are still found after the removal
     * moved them, and the removed id can be added again. */
    cr_assert_eq(add("t1", "b", "ip", "192.0.2.9", NULL, NULL), -1);
    cr_assert_eq(add("t2", "a", "ip", "192.0.2.9", NULL, NULL), -1);
    ADD_OK("t1", "a", "ip", "192.0.2.4");
    cr_assert_eq(am_inventory_count(inv), 3);
}

/* Many removals in a crowded index: what is left is found, what is gone is
 * not (backward-shift deletion must keep every probe run intact). */
Test(inventory, removals_keep_the_index_consistent) {
    char id[16];

    for (int i = 0; i < 5000; i++) {
        snprintf(id, sizeof(id), "a%d", i);
        ADD_OK("t", id, "asn", "64500");
    }
    for (int i = 0; i < 5000; i += 3) {
        snprintf(id, sizeof(id), "a%d", i);
        cr_assert_eq(am_inventory_remove(inv, "t", 1, id, strlen(id)), 0);
    }
    for (int i = 0; i < 5000; i++) {
        snprintf(id, sizeof(id), "a%d", i);
        cr_assert_eq(add("t", id, "asn", "64500", NULL, NULL),
                     i % 3 == 0 ? 0 : -1, "%s: %s", id, err);
    }
    cr_assert_eq(am_inventory_count(inv), 5000);
}

Test(inventory, snapshot_is_compact_and_independent) {
    am_inventory_t *snap;

    ADD_OK("t1", "a", "ip", "192.0.2.1");
    ADD_OK("t1", "b", "domain", "example.com");
    ADD_OK("t2", "c", "keyword", "acme");
    cr_assert_eq(am_inventory_remove(inv, "t1", 2, "a", 1), 0);
    cr_assert_eq(upsert("t2", "c", "keyword", "brand", "true", NULL, NULL), 0);
    snap = am_inventory_snapshot(inv);
    cr_assert_not_null(snap);
    cr_assert_eq(am_inventory_count(snap), 2);
    cr_assert_eq(am_inventory_slots(snap), 2);
    cr_assert_str_eq(am_inventory_str(snap, am_inventory_asset(snap, 0)->value),
                     "example.com");
    cr_assert_str_eq(am_inventory_str(snap, am_inventory_asset(snap, 1)->value),
                     "brand");
    cr_assert_str_eq(am_inventory_tenant(snap, am_inventory_asset(snap, 1)->tenant),
                     "t2");
    /* The live inventory changes; the snapshot does not, and refuses
     * changes itself. */
    ADD_OK("t1", "d", "asn", "AS1");
    cr_assert_eq(am_inventory_count(snap), 2);
    cr_assert_eq(am_inventory_add(snap,
                                  &(am_asset_input_t){"t", 1, "x", 1, "asn",
                                                      3, "1", 1, NULL, 0,
                                                      NULL, 0},
                                  err, sizeof(err)),
                 -1);
    am_inventory_destroy(snap);
}
