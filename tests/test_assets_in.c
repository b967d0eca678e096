/*
 * Tests for assets_in's record handling (am_assets_apply()): JSON and Avro
 * values (bare and with the Confluent framing), tombstones, and every kind
 * of bad record, which must change nothing.  The Kafka side is covered by
 * tests/test_live.c on the dev broker.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "assets_in.h"

static am_live_t *live;
static char reason[512];

static void setup(void) {
    am_live_opts_t o = {.rebuild_interval_ms = 60000,
                        .rebuild_max_changes = 100000,
                        .readers = 1};
    live = am_live_new(am_inventory_new(), &o, reason, sizeof(reason));
    cr_assert_not_null(live);
}

static void teardown(void) {
    am_live_destroy(live);
}

TestSuite(assets_in, .init = setup, .fini = teardown, .timeout = 30);

static int apply(const char *key, const void *value, size_t len) {
    reason[0] = '\0';
    return am_assets_apply(live, key, key ? strlen(key) : 0, value, len, 1,
                           reason, sizeof(reason));
}
#define APPLY_STR(k, v) apply(k, v, strlen(v))

/* The number of assets after a rebuild. */
static size_t assets(void) {
    uint64_t v;
    size_t n;

    cr_assert_eq(am_live_sync(live), 0);
    n = am_inventory_count(am_matcher_inventory(am_live_acquire(live, 0, &v)));
    am_live_release(live, 0);
    return n;
}

/* Asset t/a: ip 192.0.2.1, include_subdomains and verified true. */
static const char avro_rec[] = "\x02t\x02" "a\x00\x12" "192.0.2.1\x01\x01";

Test(assets_in, json_avro_and_tombstones) {
    char framed[64] = "\x00\x00\x00\x00\x07";

    cr_expect_eq(APPLY_STR("t/j", "{\"tenant_id\":\"t\",\"asset_id\":\"j\","
                                  "\"kind\":\"asn\",\"value\":64500,"
                                  "\"verified\":false}"),
                 0, "%s", reason);
    cr_expect_eq(apply("t/a", avro_rec, sizeof(avro_rec) - 1), 0, "%s",
                 reason);
    cr_expect_eq(assets(), 2);
    cr_expect_eq(apply("t/a", NULL, 0), 0, "tombstone");
    cr_expect_eq(assets(), 1);
    memcpy(framed + 5, avro_rec, sizeof(avro_rec) - 1);
    cr_expect_eq(apply("t/a", framed, 5 + sizeof(avro_rec) - 1), 0, "%s",
                 reason);
    cr_expect_eq(assets(), 2);
    cr_expect_eq(apply("t/none", "", 0), 0, "tombstone of nothing");
}

Test(assets_in, bad_records_change_nothing) {
    char trailing[64];

    memcpy(trailing, avro_rec, sizeof(avro_rec) - 1);
    trailing[sizeof(avro_rec) - 1] = 'x';
    cr_expect_eq(APPLY_STR("no-slash", "{}"), -1);
    cr_expect(strstr(reason, "tenant_id/asset_id"), "%s", reason);
    cr_expect_eq(APPLY_STR("/a", "{}"), -1);
    cr_expect_eq(apply(NULL, "{}", 2), -1);
    cr_expect_eq(APPLY_STR("t/a", "{\"tenant_id\":"), -1);
    cr_expect(strstr(reason, "JSON"), "%s", reason);
    cr_expect_eq(APPLY_STR("t/a", "{\"tenant_id\":\"t\",\"asset_id\":\"b\","
                                  "\"kind\":\"ip\",\"value\":\"192.0.2.1\"}"),
                 -1);
    cr_expect(strstr(reason, "different assets"), "%s", reason);
    cr_expect_eq(APPLY_STR("t/a", "{\"tenant_id\":\"t\",\"asset_id\":\"a\","
                                  "\"kind\":\"ip\",\"value\":\"192.0.2.1/24\"}"),
                 -1);
    cr_expect(strstr(reason, "host bits"), "%s", reason);
    cr_expect_eq(APPLY_STR("t/a", "{\"tenant_id\":\"t\",\"asset_id\":\"a\","
                                  "\"kind\":\"ip\",\"value\":[1]}"),
                 -1);
    cr_expect_eq(apply("t/a", avro_rec, sizeof(avro_rec) - 3), -1,
                 "truncated Avro");
    cr_expect_eq(apply("t/a", trailing, sizeof(avro_rec)), -1);
    cr_expect(strstr(reason, "after the record"), "%s", reason);
    cr_expect_eq(apply("t/a", "\x02t\x02" "a\x09", 6), -1, "enum index");
    cr_expect_eq(assets(), 0);
}

/* Avro strings are UTF-8 without NUL all along, not only at their first
 * byte: asset "a\xff" (and "a" NUL) of tenant t, keyed as it is named, was
 * taken as it came while "\xff" alone was refused. */
Test(assets_in, avro_strings_are_utf8_to_their_end) {
    static const char bad_byte[] = "\x02t\x04" "a\xff\x00\x12"
                                   "192.0.2.1\x01\x01";
    static const char nul[] = "\x02t\x04" "a\x00\x00\x12" "192.0.2.1\x01\x01";
    static const char first[] = "\x02t\x02\xff\x00\x12" "192.0.2.1\x01\x01";

    cr_expect_eq(apply("t/a\xff", bad_byte, sizeof(bad_byte) - 1), -1);
    cr_expect(strstr(reason, "field 'asset_id': not UTF-8"), "%s", reason);
    reason[0] = '\0';
    cr_expect_eq(am_assets_apply(live, "t/a\0", 4, nul, sizeof(nul) - 1, 1,
                                 reason, sizeof(reason)),
                 -1);
    cr_expect(strstr(reason, "field 'asset_id': not UTF-8"), "%s", reason);
    cr_expect_eq(apply("t/\xff", first, sizeof(first) - 1), -1);
    cr_expect(strstr(reason, "field 'asset_id': not UTF-8"), "%s", reason);
    cr_expect_eq(assets(), 0);
}
