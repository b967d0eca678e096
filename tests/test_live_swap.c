/*
 * Tests for live: changes reach the published matcher (sync, and by
 * themselves after max_changes), versions only grow, on_swap gets the
 * assets that became able to match and nothing else, the metrics follow,
 * a sync asked for during a rebuild that holds its changes adds no
 * rebuild, and readers matching on two threads while the inventory is
 * rebuilt over and over never see a freed matcher (run under ASan) nor a
 * version going back.
 */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "live.h"

static am_live_t *live;
static am_metrics_t metrics;
static char err[512];

/* What on_swap saw, as "tenant/asset@version" words. */
static char swapped[4096];
static pthread_mutex_t swapped_mu = PTHREAD_MUTEX_INITIALIZER;

/* When set, the next on_swap starts a thread that syncs while the
 * rebuild that called it has not finished yet. */
static atomic_bool sync_in_swap;
static pthread_t syncer;
static atomic_int syncer_rc = -2;

static void *do_sync(void *arg) {
    (void)arg;
    atomic_store(&syncer_rc, am_live_sync(live));
    return NULL;
}

static void on_swap(void *opaque, const am_matcher_t *m, uint64_t version,
                    const am_live_added_t *added, size_t n) {
    struct timespec t = {0, 100000000};

    (void)opaque;
    (void)m;
    if (atomic_exchange(&sync_in_swap, false) &&
        pthread_create(&syncer, NULL, do_sync, NULL) == 0)
        nanosleep(&t, NULL); /* it asks for a sync meanwhile */
    pthread_mutex_lock(&swapped_mu);
    for (size_t i = 0; i < n; i++) {
        size_t len = strlen(swapped);
        snprintf(swapped + len, sizeof(swapped) - len, "%s/%s@%llu ",
                 added[i].tenant_id, added[i].asset_id,
                 (unsigned long long)version);
    }
    pthread_mutex_unlock(&swapped_mu);
}

static void start(long interval_ms, size_t max_changes, size_t readers) {
    am_live_opts_t o = {.rebuild_interval_ms = interval_ms,
                        .rebuild_max_changes = max_changes,
                        .readers = readers,
                        .on_swap = on_swap,
                        .metrics = &metrics};
    live = am_live_new(am_inventory_new(), &o, err, sizeof(err));
    cr_assert_not_null(live, "%s", err);
}

static void setup(void) {
    memset(&metrics, 0, sizeof(metrics));
    swapped[0] = '\0';
}

static void teardown(void) {
    am_live_destroy(live);
    live = NULL;
}

TestSuite(live, .init = setup, .fini = teardown, .timeout = 60);

static int upsert(const char *tenant, const char *id, const char *kind,
                  const char *value, const char *verified) {
    am_asset_input_t in = {tenant, strlen(tenant), id, strlen(id),
                           kind, strlen(kind), value, strlen(value),
                           NULL, 0, verified,
                           verified ? strlen(verified) : 0};
    return am_live_upsert(live, &in, am_live_now_ms(), err, sizeof(err));
}
#define UPSERT(t, id, k, v) cr_assert_eq(upsert(t, id, k, v, NULL), 0, "%s", err)

/* The tenants notified about an event with one observable "type=value". */
static const char *who(const char *obs) {
    static char out[256];
    am_event_t ev;
    am_match_ctx_t *ctx = am_match_ctx_new();
    const am_match_result_t *res;
    const char *eq = strchr(obs, '=');
    uint64_t v;
    const am_matcher_t *m = am_live_acquire(live, 0, &v);
    int n;

    am_event_init(&ev);
    ev.id = "e1";
    cr_assert_eq(am_event_add_observable(
                     &ev, (am_obs_type_t)am_obs_type_parse(
                              obs, (size_t)(eq - obs)),
                     eq + 1, strlen(eq + 1), err, sizeof(err)),
                 0);
    n = am_matcher_match(m, ctx, &ev, &res);
    out[0] = '\0';
    for (int i = 0; i < n; i++) {
        size_t len = strlen(out);
        snprintf(out + len, sizeof(out) - len, "%s%s", i ? "," : "",
                 am_inventory_tenant(am_matcher_inventory(m),
                                     res[i].tenant));
    }
    am_live_release(live, 0);
    am_event_free(&ev);
    am_match_ctx_destroy(ctx);
    return out;
}

Test(live, changes_take_effect_at_sync) {
    start(60000, 100000, 1);
    cr_expect_eq(am_live_version(live), 1);
    cr_expect_str_eq(who("ip=192.0.2.1"), "");
    UPSERT("acme", "a1", "ip", "192.0.2.0/24");
    UPSERT("hoster", "h1", "ip", "192.0.0.0/16");
    cr_expect_str_eq(who("ip=192.0.2.1"), "", "not before the rebuild");
    cr_assert_eq(am_live_sync(live), 0);
    cr_expect_eq(am_live_version(live), 2);
    cr_expect_str_eq(who("ip=192.0.2.1"), "acme,hoster");
    cr_expect_eq(am_live_remove(live, "hoster", 6, "h1", 2, 0), 0);
    cr_expect_eq(am_live_remove(live, "hoster", 6, "h1", 2, 0), 1);
    UPSERT("acme", "a1", "domain", "example.com");
    cr_assert_eq(am_live_sync(live), 0);
    cr_expect_str_eq(who("ip=192.0.2.1"), "");
    cr_expect_str_eq(who("domain=www.example.com"), "acme");
    cr_expect_eq(am_live_version(live), 3);
    cr_assert_eq(am_live_sync(live), 0, "nothing changed: no rebuild");
    cr_expect_eq(am_live_version(live), 3);
    cr_expect_eq(atomic_load(&metrics.inventory_version), 3);
    cr_expect_eq(atomic_load(&metrics.inventory_assets[AM_ASSET_DOMAIN]), 1);
    cr_expect_eq(atomic_load(&metrics.inventory_assets[AM_ASSET_IP]), 0);
    cr_expect_eq(atomic_load(&metrics.asset_changes), 4);
    cr_expect_geq(atomic_load(&metrics.inventory_effect_ms), 0);
}

Test(live, bad_record_changes_nothing) {
    start(60000, 100000, 1);
    cr_expect_eq(upsert("acme", "a1", "ip", "192.0.2.1/24", NULL), -1);
    cr_expect(strstr(err, "host bits") != NULL, "%s", err);
    cr_assert_eq(am_live_sync(live), 0);
    cr_expect_eq(am_live_version(live), 1);
}

Test(live, gathers_up_to_max_changes) {
    struct timespec t = {0, 5000000};
    int waited = 0;

    start(60000, 3, 1);
    UPSERT("t", "a1", "asn", "64500");
    UPSERT("t", "a2", "asn", "64501");
    cr_expect_eq(am_live_version(live), 1);
    UPSERT("t", "a3", "asn", "64502");
    while (am_live_version(live) < 2 && waited++ < 2000)
        nanosleep(&t, NULL);
    cr_expect_eq(am_live_version(live), 2, "rebuilt at the third change");
    cr_expect_str_eq(who("asn=64502"), "t");
}

Test(live, rebuilds_after_the_interval) {
    struct timespec t = {0, 5000000};
    int waited = 0;

    start(50, 100000, 1);
    UPSERT("t", "a1", "keyword", "acme");
    while (am_live_version(live) < 2 && waited++ < 2000)
        nanosleep(&t, NULL);
    cr_expect_eq(am_live_version(live), 2);
    cr_expect_str_eq(who("domain=acme-login.example"), "t");
}

/* A sync asked for while a rebuild (here one due to the interval) that
 * holds every change is under way is answered by that rebuild: no
 * second one, which at 1M assets costs half a second for nothing. */
Test(live, a_sync_during_a_rebuild_that_holds_its_changes_adds_none) {
    struct timespec t = {0, 5000000};
    int waited = 0;

    start(1, 100000, 1);
    atomic_store(&sync_in_swap, true);
    UPSERT("t", "a1", "keyword", "acme");
    while (atomic_load(&syncer_rc) == -2 && waited++ < 2000)
        nanosleep(&t, NULL); /* the rebuild, its on_swap, their sync */
    cr_assert_eq(pthread_join(syncer, NULL), 0);
    cr_assert_eq(atomic_load(&syncer_rc), 0);
    t.tv_nsec = 200000000; /* a second rebuild would come now */
    nanosleep(&t, NULL);
    cr_expect_eq(am_live_version(live), 2);
}

Test(live, on_swap_gets_what_became_able_to_match) {
    start(60000, 100000, 1);
    UPSERT("t", "a1", "ip", "192.0.2.1");
    cr_assert_eq(upsert("t", "u1", "domain", "example.com", "false"), 0);
    cr_assert_eq(am_live_sync(live), 0);
    cr_expect_str_eq(swapped, "t/a1@2 ");
    /* Unchanged: nothing; verified now: u1; made unverified: nothing. */
    UPSERT("t", "a1", "ip", "192.0.2.1");
    cr_assert_eq(upsert("t", "u1", "domain", "example.com", "true"), 0);
    cr_assert_eq(am_live_sync(live), 0);
    cr_expect_str_eq(swapped, "t/a1@2 t/u1@3 ");
    cr_assert_eq(upsert("t", "u1", "domain", "example.com", "no"), 0);
    cr_assert_eq(am_live_sync(live), 0);
    cr_expect_str_eq(swapped, "t/a1@2 t/u1@3 ");
    cr_expect_str_eq(who("domain=example.com"), "");
}

/* ---- readers on threads during rebuilds --------------------------------- */

static atomic_bool stop_readers;
static atomic_ulong reads;

static void *reader(void *arg) {
    size_t slot = (size_t)(uintptr_t)arg;
    am_match_ctx_t *ctx = am_match_ctx_new();
    am_event_t ev;
    char e[128];
    uint64_t last = 0;

    am_event_init(&ev);
    ev.id = "r";
    am_event_add_observable(&ev, AM_OBS_IP, "10.0.0.1", 8, e, sizeof(e));
    while (!atomic_load(&stop_readers)) {
        uint64_t v;
        const am_matcher_t *m = am_live_acquire(live, slot, &v);
        const am_match_result_t *res;
        int n = am_matcher_match(m, ctx, &ev, &res);
        /* Touch the inventory of what we hold: freed memory would show. */
        for (int i = 0; i < n; i++)
            (void)strlen(am_inventory_tenant(am_matcher_inventory(m),
                                             res[i].tenant));
        am_live_release(live, slot);
        cr_assert_geq(v, last, "version went back");
        last = v;
        atomic_fetch_add(&reads, 1);
    }
    am_event_free(&ev);
    am_match_ctx_destroy(ctx);
    return NULL;
}

Test(live, readers_during_rebuilds) {
    pthread_t th[2];
    char tenant[32];

    start(1, 100000, 2);
    for (size_t i = 0; i < 2; i++)
        pthread_create(&th[i], NULL, reader, (void *)(uintptr_t)i);
    for (int round = 0; round < 60; round++) {
        snprintf(tenant, sizeof(tenant), "t%d", round);
        UPSERT(tenant, "a", "ip", "10.0.0.0/8");
        cr_assert_eq(am_live_sync(live), 0);
    }
    atomic_store(&stop_readers, true);
    for (size_t i = 0; i < 2; i++)
        pthread_join(th[i], NULL);
    cr_expect_eq(am_live_version(live), 61);
    cr_expect_gt(atomic_load(&reads), 60);
    cr_expect_str_eq(who("ip=10.0.0.1") + strlen(who("ip=10.0.0.1")) - 3,
                     "t59");
}
