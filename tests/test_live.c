/*
 * Integration tests of the live inventory (issue 5): `assetmatch run`
 * against the mock cluster (service_harness.h), with assets added,
 * changed, made unverified and deleted on the assets topic while events
 * flow, a restart that rebuilds the inventory from the topic, retroactive
 * notifications for indicators seen before an asset was added (and none
 * for expired ones), and bad asset records in the dead-letter topic.
 *
 * A change is known to have taken effect when the inventory version
 * metric passed the version before it; notifications are then waited for
 * by reading the notifications topic until they appear (or a deadline).
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "notification.h"
#include "service_harness.h"

static void setup(void) {
    it_setup(1, 2);
}

TestSuite(live, .init = setup, .fini = it_teardown);

static const char *const fast[] = {"inventory.rebuild_interval_ms=100",
                                   NULL};

static void nap(int ms) {
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* One asset record on the assets topic: JSON, or a tombstone. */
static void asset(const char *tenant, const char *id, const char *kind,
                  const char *value, const char *verified) {
    char key[128], val[512];

    snprintf(key, sizeof(key), "%s/%s", tenant, id);
    if (!kind) {
        it_produce("assets", -1, key, NULL, 0);
        return;
    }
    snprintf(val, sizeof(val),
             "{\"tenant_id\":\"%s\",\"asset_id\":\"%s\",\"kind\":\"%s\","
             "\"value\":\"%s\",\"verified\":%s}",
             tenant, id, kind, value, verified);
    it_produce("assets", -1, key, val, strlen(val));
}

/* An indicator with one observable, valid until \p until (or NULL). */
static void indicator(const char *id, const char *type, const char *value,
                      const char *until) {
    char buf[512];
    int n = snprintf(buf, sizeof(buf),
                     "{\"id\":\"%s\",\"observables\":[{\"type\":\"%s\","
                     "\"value\":\"%s\"}]%s%s%s}",
                     id, type, value, until ? ",\"valid_until\":\"" : "",
                     until ? until : "", until ? "\"" : "");
    it_produce("indicators", -1, id, buf, (size_t)n);
}

/* Applies the changes produced so far: waits until \p p counted \p changes
 * asset records and published a version after \p version.  @returns the
 * new version. */
static long long applied(it_proc_t *p, long long changes, long long version) {
    long long v = -1;

    it_flush();
    for (int i = 0; i < 300; i++) {
        v = it_metric(p, "assetmatch_inventory_version");
        if (it_metric(p, "assetmatch_asset_changes_total") >= changes &&
            v > version)
            return v;
        nap(50);
    }
    IT_ASSERT(0, "%lld changes not in effect after 15 s (version %lld)",
              changes, v);
    return -1;
}

/* Whether (event, tenant) was notified, waiting up to \p timeout_s for it
 * when \p want. */
static bool notified(const char *event, const char *tenant, bool want,
                     int timeout_s) {
    char id[AM_UUID_STRLEN];
    bool has = false;

    cr_assert_eq(am_notification_id(tenant, event, id), 0);
    for (int i = 0; i <= timeout_s * 10; i++) {
        it_recs_t got = it_read("notifications");
        has = it_recs_has(&got, id, tenant);
        it_recs_free(&got);
        if (has == want)
            break;
        nap(100);
    }
    return has;
}

/* The events produced so far were processed (committed offsets at the
 * end of the inputs): a notification missing now will not come. */
static void processed(void) {
    it_flush();
    IT_ASSERT(it_wait_processed(30), "inputs not processed in 30 s");
}

Test(live, changes_follow_the_topic_without_restart, .timeout = 120) {
    it_proc_t *p = it_run(fast);
    long long v, ch = 0;

    v = applied(p, 0, 0);
    /* Added while events flow. */
    asset("late", "n1", "ip", "203.0.113.0/24", "true");
    it_stream(0, 40, 10, 20);
    v = applied(p, ++ch, v);
    indicator("ev-add", "ip", "203.0.113.5", NULL);
    IT_ASSERT(notified("ev-add", "late", true, 15), "added: not notified");

    /* Changed: the old value no longer matches, the new one does. */
    asset("late", "n1", "domain", "late.example.org", "true");
    it_stream(40, 80, 10, 20);
    v = applied(p, ++ch, v);
    indicator("ev-chg-old", "ip", "203.0.113.6", NULL);
    indicator("ev-chg-new", "domain", "www.late.example.org", NULL);
    IT_ASSERT(notified("ev-chg-new", "late", true, 15), "changed: new value");
    processed();
    IT_ASSERT(!notified("ev-chg-old", "late", false, 0), "changed: old value");

    /* Unverified: no more; verified again: the indicator seen meanwhile
     * comes retroactively. */
    asset("late", "n1", "domain", "late.example.org", "false");
    v = applied(p, ++ch, v);
    indicator("ev-unverified", "domain", "mail.late.example.org", NULL);
    processed();
    IT_ASSERT(!notified("ev-unverified", "late", false, 0),
              "unverified asset matched");
    asset("late", "n1", "domain", "late.example.org", "true");
    v = applied(p, ++ch, v);
    IT_ASSERT(notified("ev-unverified", "late", true, 15),
              "verified again: no retroactive notification");
    IT_ASSERT(it_metric(p, "assetmatch_retroactive_notifications_total") >=
                  1, "retroactive not counted");

    /* Deleted. */
    asset("late", "n1", NULL, NULL, NULL);
    v = applied(p, ++ch, v);
    indicator("ev-deleted", "domain", "late.example.org", NULL);
    processed();
    IT_ASSERT(!notified("ev-deleted", "late", false, 0),
              "deleted asset matched");
    /* The file's inventory went on matching throughout. */
    IT_ASSERT(notified("stream-0", "acme", true, 5), "stream not notified");
    IT_ASSERT(notified("stream-77", "acme", true, 5), "stream not notified");
    it_signal(p, SIGTERM);
    IT_ASSERT(it_wait_exit(p, 30) == 0, "exit status %d", p->status);
}

Test(live, restart_rebuilds_the_inventory_from_the_topic, .timeout = 120) {
    it_proc_t *p;
    long long v, kinds[2];

    asset("r", "keep", "asn", "AS65001", "true");
    asset("r", "gone", "domain", "gone.example.org", "true");
    asset("r", "gone", NULL, NULL, NULL);
    asset("r", "brand", "keyword", "zebracorp", "true");
    p = it_run(fast);
    v = applied(p, 4, 0);
    kinds[0] = it_metric(p, "assetmatch_asset_changes_total");
    it_signal(p, SIGTERM);
    IT_ASSERT(it_wait_exit(p, 30) == 0, "exit status %d", p->status);

    p = it_run(fast);
    v = applied(p, 4, 0);
    kinds[1] = it_metric(p, "assetmatch_asset_changes_total");
    IT_ASSERT(kinds[0] == kinds[1], "changes %lld then %lld", kinds[0],
              kinds[1]);
    indicator("ev-asn", "asn", "65001", NULL);
    indicator("ev-gone", "domain", "gone.example.org", NULL);
    indicator("ev-brand", "domain", "zebracorp-login.example.net", NULL);
    IT_ASSERT(notified("ev-asn", "r", true, 15), "asn after restart");
    IT_ASSERT(notified("ev-brand", "r", true, 15), "keyword after restart");
    processed();
    IT_ASSERT(!notified("ev-gone", "r", false, 0), "deleted came back");
    (void)v;
}

Test(live, new_asset_gets_recent_threats_not_expired, .timeout = 120) {
    it_proc_t *p = it_run(fast);
    char until[32];
    time_t soon = time(NULL) + 2;
    long long v;

    strftime(until, sizeof(until), "%Y-%m-%dT%H:%M:%SZ", gmtime(&soon));
    v = applied(p, 0, 0);
    indicator("old-1", "url", "https://pay.newco.example/x", NULL);
    indicator("old-2", "ip", "100.64.7.9", NULL);
    indicator("old-expiring", "domain", "cdn.newco.example", until);
    indicator("old-other", "domain", "unrelated.example", NULL);
    processed();
    while (time(NULL) <= soon)
        nap(100); /* old-expiring is past its valid_until now */
    asset("newco", "web", "domain", "newco.example", "true");
    asset("newco", "net", "ip", "100.64.0.0/16", "true");
    v = applied(p, 2, v);
    IT_ASSERT(notified("old-1", "newco", true, 15), "no retroactive old-1");
    IT_ASSERT(notified("old-2", "newco", true, 15), "no retroactive old-2");
    processed();
    IT_ASSERT(!notified("old-expiring", "newco", false, 0),
              "expired indicator notified");
    IT_ASSERT(!notified("old-other", "newco", false, 0), "unrelated");
    IT_ASSERT(it_metric(p, "assetmatch_retroactive_notifications_total") ==
                  2, "retroactive count");
}

Test(live, bad_asset_records_go_to_the_dead_letter_topic, .timeout = 120) {
    it_proc_t *p = it_run(fast);
    const char *mismatch = "{\"tenant_id\":\"t\",\"asset_id\":\"other\","
                           "\"kind\":\"ip\",\"value\":\"192.0.2.1\"}";
    const char *hostbits = "{\"tenant_id\":\"t\",\"asset_id\":\"a\","
                           "\"kind\":\"ip\",\"value\":\"192.0.2.1/24\"}";
    it_recs_t dl;
    size_t bad = 0;
    long long v = applied(p, 0, 0);

    it_produce("assets", -1, "no-slash", "{}", 2);
    it_produce("assets", -1, "t/a", "{not json", 9);
    it_produce("assets", -1, "t/a", mismatch, strlen(mismatch));
    it_produce("assets", -1, "t/a", hostbits, strlen(hostbits));
    it_produce("assets", -1, "t/a", "\x02\x02", 2); /* truncated Avro */
    asset("t", "good", "ip", "192.0.2.1", "true");
    v = applied(p, 1, v);
    for (int i = 0; i < 100; i++) {
        bad = 0;
        dl = it_read("dead-letter");
        for (size_t k = 0; k < dl.n; k++)
            bad += !strcmp(dl.v[k].reason, "invalid_asset") &&
                   !strcmp(dl.v[k].origin_topic, "assets");
        it_recs_free(&dl);
        if (bad >= 5)
            break;
        nap(100);
    }
    IT_ASSERT(bad == 5, "%zu asset dead letters, 5 expected", bad);
    IT_ASSERT(it_metric(p, "assetmatch_asset_dead_letters_total") == 5,
              "dead letters not counted");
    IT_ASSERT(it_metric(p, "assetmatch_asset_changes_total") == 1,
              "a bad record changed the inventory");
    indicator("ev-good", "ip", "192.0.2.1", NULL);
    IT_ASSERT(notified("ev-good", "t", true, 15), "good record not applied");
}

/* Regression: right after the assets topic is created, or while a leader
 * moves, the end offsets answer "not leader" for a moment; the start used
 * to fail on it instead of retrying. */
Test(live, start_retries_a_partition_without_leader, .timeout = 120) {
    it_proc_t *p;

    asset("n", "a", "asn", "AS65002", "true");
    it_flush();
    /* Kafka protocol ApiKey 2, ListOffsets: what the end-offset query
     * sends (librdkafka does not export its RD_KAFKAP_* names). */
    rd_kafka_mock_push_request_errors(
        it_mock(), 2, 4,
        RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION,
        RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION,
        RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE,
        RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION);
    p = it_run(fast);
    applied(p, 1, 0);
    indicator("ev-leader", "asn", "65002", NULL);
    IT_ASSERT(notified("ev-leader", "n", true, 15), "no notification");
    it_signal(p, SIGTERM);
    IT_ASSERT(it_wait_exit(p, 30) == 0, "exit status %d", p->status);
}
