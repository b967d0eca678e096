/*
 * bench_live: the live inventory and the window of recent indicators
 * (issue 5), with fixed-seed inputs.
 *
 *   live_rebuild_1m      a full rebuild after one change at 1M assets
 *                        (snapshot + matcher build + swap), in seconds
 *   window_add           ns per indicator added, up to 1M indicators
 *   window_add_longest   the longest of those adds, in ms (the lanes wait
 *                        for the window meanwhile)
 *   window_add_full      ns per indicator added to a full window (64 MB),
 *                        over 1M more: the service's steady state
 *   window_bytes_1m      the window's memory at 1M indicators (allocated;
 *                        and the RSS it added)
 *   window_find_<kind>_one  ns to look up a change of one asset (of that
 *                        kind) at 1M indicators
 *   window_find_<kind>   ns per asset to look up a change of 1000 assets
 *   window_add_longest_during_find  the longest add of a thread adding
 *                        while keywords are looked up, in ms
 *
 * AM_BENCH_LIVE_ASSETS and AM_BENCH_LIVE_INDICATORS scale it down.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_common.h"
#include "live.h"
#include "window.h"

static uint64_t rng = 20261127;

static unsigned rnd(unsigned n) {
    return (unsigned)(am_bench_rand(&rng) % n);
}

static const char *const words[] = {
    "shop", "mail", "login", "portal", "cloud", "bank", "secure", "net",
    "data", "web", "app", "api", "cdn", "media", "pay", "store"};

/* A registrable name: word + number + tld, the same for the same i. */
static void domain(unsigned i, char *out, size_t n) {
    static const char *const tld[] = {"nl", "com", "eu", "org", "net"};
    snprintf(out, n, "%s%u.%s", words[i % 16], i / 16, tld[i % 5]);
}

static size_t env_size(const char *name, size_t def) {
    const char *v = getenv(name);
    return v && atol(v) > 0 ? (size_t)atol(v) : def;
}

static void add_asset(am_inventory_t *inv, unsigned i) {
    char tenant[32], id[32], value[96], err[256];
    const char *kind;
    unsigned k = i % 100;
    am_asset_input_t in;

    snprintf(tenant, sizeof(tenant), "t%u", i / 200);
    snprintf(id, sizeof(id), "a%u", i);
    if (k < 45) {
        kind = "ip";
        snprintf(value, sizeof(value), "%u.%u.%u.0/24", 1 + i % 223,
                 (i >> 8) & 255, i & 255);
    } else if (k < 92) {
        kind = "domain";
        domain(i, value, sizeof(value));
    } else if (k < 97) {
        kind = "ip";
        snprintf(value, sizeof(value), "2001:db8:%x:%x::/64", i >> 16,
                 i & 0xffff);
    } else if (k < 99) {
        kind = "asn";
        snprintf(value, sizeof(value), "%u", 64512 + i % 60000);
    } else {
        kind = "keyword";
        snprintf(value, sizeof(value), "%s%ubrand", words[i % 16],
                 i % 2000);
    }
    in = (am_asset_input_t){tenant, strlen(tenant), id, strlen(id),
                            kind, strlen(kind), value, strlen(value),
                            NULL, 0, NULL, 0};
    if (am_inventory_add(inv, &in, err, sizeof(err)) < 0 &&
        !strstr(err, "duplicate")) {
        fprintf(stderr, "bench_live: %s: %s\n", value, err);
        exit(1);
    }
}

static void bench_rebuild(size_t n) {
    am_inventory_t *inv = am_inventory_new();
    am_live_opts_t o = {.rebuild_interval_ms = 3600000,
                        .rebuild_max_changes = 100000000,
                        .readers = 1};
    am_asset_input_t in = {"x", 1, "y", 1, "asn", 3, "65000", 5,
                           NULL, 0, NULL, 0};
    char err[256], name[64];
    double t0, t1, t2;
    am_live_t *live;

    for (unsigned i = 0; i < n; i++)
        add_asset(inv, i);
    t0 = am_bench_now();
    live = am_live_new(inv, &o, err, sizeof(err));
    t1 = am_bench_now();
    if (!live) {
        fprintf(stderr, "bench_live: %s\n", err);
        exit(1);
    }
    am_live_upsert(live, &in, 0, err, sizeof(err));
    if (am_live_sync(live) < 0)
        exit(1);
    t2 = am_bench_now();
    fprintf(stderr, "bench_live: %zu assets: first build %.2f s, rebuild "
            "after one change %.2f s, RSS %zu MB\n",
            n, t1 - t0, t2 - t1, am_bench_rss() >> 20);
    snprintf(name, sizeof(name), "live_rebuild_%zuk_assets", n / 1000);
    am_bench_report(name, t2 - t1, "s", NULL, 0);
    am_live_destroy(live);
}

/* Indicator i of the window benchmarks: an IP or a URL, one in ten with
 * an AS number too. */
static void indicator(am_event_t *ev, unsigned i) {
    unsigned r = rnd(1000000);
    char v[128], err[128], id[32];

    am_event_reset(ev);
    snprintf(id, sizeof(id), "ind-%u", i);
    ev->id = am_event_strdup(ev, id, strlen(id));
    ev->kind = AM_EVENT_INDICATOR;
    ev->category = "malware";
    ev->severity = "high";
    ev->source = "cert";
    ev->description = "Command and control server of a botnet";
    ev->confidence = 80;
    ev->port = -1;
    if (i % 2) {
        char d[96];
        domain(r, d, sizeof(d));
        snprintf(v, sizeof(v), "https://%s.%s/x", words[i % 16], d);
        am_event_add_observable(ev, AM_OBS_URL, v, strlen(v), err,
                                sizeof(err));
    } else {
        snprintf(v, sizeof(v), "%u.%u.%u.%u", 1 + r % 223, (r >> 8) & 255,
                 r & 255, i & 255);
        am_event_add_observable(ev, AM_OBS_IP, v, strlen(v), err,
                                sizeof(err));
    }
    if (i % 10 == 0) {
        snprintf(v, sizeof(v), "%u", 64512 + r % 60000);
        am_event_add_observable(ev, AM_OBS_ASN, v, strlen(v), err,
                                sizeof(err));
    }
}

/* An add once the window is full (64 MB), as in a service that has run
 * past max_bytes or max_age: each add also drops the oldest. */
static void bench_window_full(size_t n) {
    am_window_opts_t o = {30 * 86400, (size_t)64 << 20};
    am_window_t *w = am_window_new(&o);
    am_origin_t origin = {"indicators", 0, 0};
    am_event_t ev;
    double t0 = 0;

    am_event_init(&ev);
    for (unsigned i = 0; i < 2 * n; i++) {
        if (i == n)
            t0 = am_bench_now();
        indicator(&ev, i);
        origin.offset = i;
        am_window_add(w, &ev, &origin, 1, 1800000000);
    }
    am_bench_report("window_add_full", (am_bench_now() - t0) * 1e9 / (double)n,
                    "ns/op", NULL, 0);
    am_event_free(&ev);
    am_window_destroy(w);
}

/* A lane adding indicators while the window is looked up: the longest
 * of its adds is how long a look-up keeps the lanes waiting. */
typedef struct adder_s {
    am_window_t *w;
    atomic_bool stop;
    double longest; /* seconds */
} adder_t;

static void *adder(void *arg) {
    adder_t *a = arg;
    am_origin_t origin = {"indicators", 0, 0};
    am_event_t ev;

    am_event_init(&ev);
    for (unsigned i = 0; !atomic_load(&a->stop); i++) {
        double t;
        indicator(&ev, 2000000000u + i % 1000000);
        t = am_bench_now();
        am_window_add(a->w, &ev, &origin, 1, 1800000000);
        t = am_bench_now() - t;
        if (t > a->longest)
            a->longest = t;
    }
    am_event_free(&ev);
    return NULL;
}

static void bench_window(size_t n) {
    am_window_opts_t o = {30 * 86400, (size_t)4 << 30};
    am_window_t *w = am_window_new(&o);
    am_origin_t origin = {"indicators", 0, 0};
    am_event_t ev;
    char name[64];
    size_t rss0 = am_bench_rss();
    double t0, t1, longest = 0;
    const int probes = 1000;
    static const char *const kinds[] = {"", "ip", "domain", "keyword",
                                        "asn"};

    am_event_init(&ev);
    t0 = am_bench_now();
    for (unsigned i = 0; i < n; i++) {
        double a;
        indicator(&ev, i);
        origin.offset = i;
        a = am_bench_now();
        am_window_add(w, &ev, &origin, 1, 1800000000);
        a = am_bench_now() - a;
        if (a > longest)
            longest = a;
    }
    t1 = am_bench_now();
    am_event_free(&ev);
    am_bench_report("window_add", (t1 - t0) * 1e9 / (double)n, "ns/op",
                    NULL, 0);
    /* The lanes wait for the window's mutex meanwhile: a latency spike. */
    am_bench_report("window_add_longest", longest * 1e3, "ms", NULL, 0);
    snprintf(name, sizeof(name), "window_bytes_%zuk_indicators", n / 1000);
    am_bench_report(name, (double)am_window_memory(w) / (1 << 20), "MB",
                    NULL, 0);
    snprintf(name, sizeof(name), "window_rss_%zuk_indicators", n / 1000);
    am_bench_report(name, (double)(am_bench_rss() - rss0) / (1 << 20), "MB",
                    NULL, 0);
    fprintf(stderr, "bench_live: window of %zu indicators: %zu MB "
            "allocated, %zu MB accounted\n", am_window_count(w),
            am_window_memory(w) >> 20, am_window_bytes(w) >> 20);

    /* Each worker expires the window once a second, under its mutex:
     * here nothing is due, the service's usual case. */
    t0 = am_bench_now();
    am_window_expire(w, 1800000000);
    am_bench_report("window_expire", (am_bench_now() - t0) * 1e3, "ms", NULL,
                    0);

    /* The service looks up all the assets of one inventory change in one
     * call: a change of one asset, and of many. */
    for (int k = AM_ASSET_IP; k <= AM_ASSET_ASN; k++) {
        int np = k == AM_ASSET_KEYWORD ? 5 : probes;
        am_inventory_t *inv = am_inventory_new();
        am_window_probe_t *p = calloc((size_t)np, sizeof(*p));
        am_window_hits_t hits = {0};
        size_t found = 0;
        for (int i = 0; i < np; i++) {
            /* An asset of this kind that the indicators may hit. */
            for (unsigned j = rnd(1000000);; j++)
                if ((k == AM_ASSET_IP && j % 100 < 45) ||
                    (k == AM_ASSET_DOMAIN && j % 100 >= 45 && j % 100 < 92) ||
                    (k == AM_ASSET_ASN && j % 100 >= 97 && j % 100 < 99) ||
                    (k == AM_ASSET_KEYWORD && j % 100 == 99)) {
                    add_asset(inv, j);
                    break;
                }
        }
        for (int i = 0; i < np; i++)
            am_window_probe_from_asset(&p[i], inv,
                                       am_inventory_asset(inv, (uint32_t)i));
        adder_t add = {.w = w};
        pthread_t th;
        bool racing = k == AM_ASSET_KEYWORD &&
                      pthread_create(&th, NULL, adder, &add) == 0;
        t0 = am_bench_now();
        for (int i = 0; i < np && i < 10; i++) {
            if (am_window_find(w, &p[i], 1, 2, 1800000000, &hits) > 0)
                found += hits.n;
            am_window_hits_free(&hits);
        }
        t1 = am_bench_now();
        if (racing) {
            atomic_store(&add.stop, true);
            pthread_join(th, NULL);
            /* The longest (scan) look-up, with a lane adding meanwhile. */
            am_bench_report("window_add_longest_during_find",
                            add.longest * 1e3, "ms", NULL, 0);
        }
        snprintf(name, sizeof(name), "window_find_%s_one", kinds[k]);
        am_bench_report(name, (t1 - t0) * 1e9 / (np < 10 ? np : 10),
                        "ns/change", NULL, 0);
        if (k != AM_ASSET_KEYWORD) {
            t0 = am_bench_now();
            if (am_window_find(w, p, (size_t)np, 2, 1800000000, &hits) > 0)
                found = hits.n;
            am_window_hits_free(&hits);
            t1 = am_bench_now();
            snprintf(name, sizeof(name), "window_find_%s", kinds[k]);
            am_bench_report(name, (t1 - t0) * 1e9 / np, "ns/asset", NULL,
                            0);
            fprintf(stderr, "bench_live: %d %s assets in one change: %zu "
                    "indicators found\n", np, kinds[k], found);
        }
        free(p);
        am_inventory_destroy(inv);
    }
    am_window_destroy(w);
}

int main(void) {
    bench_window(env_size("AM_BENCH_LIVE_INDICATORS", 1000000));
    bench_window_full(env_size("AM_BENCH_LIVE_INDICATORS", 1000000));
    bench_rebuild(env_size("AM_BENCH_LIVE_ASSETS", 1000000));
    return 0;
}
