/*
 * live: see live.h.
 */
#include "live.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"

/* One published matcher. */
typedef struct gen_s {
    am_matcher_t *m;
    uint64_t version;
} gen_t;

/* A reader's announcement, on a cache line of its own. */
typedef struct reader_s {
    _Atomic uint64_t active; /* version held, 0: none */
    char pad[64 - sizeof(uint64_t)];
} reader_t;

typedef struct added_list_s {
    am_live_added_t *v;
    size_t n, cap;
} added_list_t;

struct am_live_s {
    am_live_opts_t opts;
    _Atomic(gen_t *) cur;
    _Atomic uint64_t ver;   /* set after cur: what readers announce */
    reader_t *readers;
    /* Below: under mu. */
    pthread_mutex_t mu;
    pthread_cond_t cv;      /* build thread: changes, sync, stop */
    pthread_cond_t done_cv; /* sync waiters: a build finished */
    am_inventory_t *inv;
    added_list_t added;     /* since the last snapshot */
    size_t pending;         /* changes since the last snapshot */
    int64_t first_ms;       /* monotonic time of the first of them */
    int64_t oldest_ts_ms;   /* record time of the oldest of them */
    uint64_t changes;       /* changes ever */
    uint64_t applied;       /* changes in the published matcher */
    bool sync;
    bool failed;            /* the last build failed */
    bool stop;
    pthread_t thread;
    bool started;
};

int64_t am_live_now_ms(void) {
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t mono_ms(void) {
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void added_free(added_list_t *l) {
    for (size_t i = 0; i < l->n; i++) {
        free(l->v[i].tenant_id);
        free(l->v[i].asset_id);
        free(l->v[i].value);
    }
    free(l->v);
    memset(l, 0, sizeof(*l));
}

/* Remembers asset index a of the inventory for on_swap.  Out of memory
 * only costs the asset its retroactive notifications. */
static void added_push(am_live_t *live, uint32_t a) {
    const am_asset_t *as = am_inventory_asset(live->inv, a);
    added_list_t *l = &live->added;
    am_live_added_t *e;

    if (!live->opts.on_swap)
        return;
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 64;
        am_live_added_t *nv = realloc(l->v, cap * sizeof(*nv));
        if (!nv)
            return;
        l->v = nv;
        l->cap = cap;
    }
    e = &l->v[l->n];
    am_window_probe_from_asset(&e->probe, live->inv, as);
    e->tenant_id = strdup(am_inventory_tenant(live->inv, as->tenant));
    e->asset_id = strdup(am_inventory_str(live->inv, as->asset_id));
    e->value = strdup(am_inventory_str(live->inv, as->value));
    if (!e->tenant_id || !e->asset_id || !e->value) {
        free(e->tenant_id);
        free(e->asset_id);
        free(e->value);
        return;
    }
    e->probe.value = e->value;
    l->n++;
}

static gen_t *gen_new(am_inventory_t *snap, uint64_t version,
                      const am_live_opts_t *opts, char *err,
                      size_t err_size) {
    am_matcher_opts_t mo = {.include_unverified = opts->include_unverified,
                            .own_inventory = true};
    gen_t *g = malloc(sizeof(*g));

    if (!g) {
        am_inventory_destroy(snap);
        snprintf(err, err_size, "out of memory");
        return NULL;
    }
    if (!(g->m = am_matcher_build(snap, &mo, err, err_size))) {
        free(g);
        return NULL;
    }
    g->version = version;
    return g;
}

static void gen_free(gen_t *g) {
    if (g) {
        am_matcher_destroy(g->m);
        free(g);
    }
}

/* Waits until no reader holds a version older than v. */
static void grace(am_live_t *live, uint64_t v) {
    for (size_t i = 0; i < live->opts.readers; i++) {
        for (;;) {
            uint64_t a = atomic_load(&live->readers[i].active);
            if (a == 0 || a >= v)
                break;
            nanosleep(&(struct timespec){0, 1000000}, NULL);
        }
    }
}

static void publish_metrics(am_live_t *live, const am_inventory_t *snap,
                            uint64_t version, int64_t build_ms,
                            int64_t oldest_ts) {
    am_metrics_t *m = live->opts.metrics;

    if (!m)
        return;
    for (int k = AM_ASSET_IP; k <= AM_ASSET_ASN; k++)
        atomic_store(&m->inventory_assets[k],
                     (int64_t)am_inventory_count_kind(snap, k));
    atomic_store(&m->inventory_version, (int64_t)version);
    atomic_store(&m->inventory_build_ms, build_ms);
    if (oldest_ts > 0)
        atomic_store(&m->inventory_effect_ms,
                     am_live_now_ms() - oldest_ts);
}

/* One rebuild; called and returns with mu held. */
static void rebuild(am_live_t *live) {
    am_inventory_t *snap = am_inventory_snapshot(live->inv);
    added_list_t added = live->added;
    uint64_t upto = live->changes;
    int64_t oldest = live->oldest_ts_ms, t0;
    gen_t *g, *old = atomic_load(&live->cur);
    char err[512];

    if (!snap) {
        AM_LOG(AM_LOG_ERR, "inventory rebuild: out of memory");
        live->failed = true;
        return;
    }
    memset(&live->added, 0, sizeof(live->added));
    live->pending = 0;
    live->oldest_ts_ms = 0;
    live->sync = false;
    pthread_mutex_unlock(&live->mu);

    t0 = mono_ms();
    g = gen_new(snap, old->version + 1, &live->opts, err, sizeof(err));
    if (g) {
        const am_inventory_t *inv = am_matcher_inventory(g->m);
        int64_t build_ms = mono_ms() - t0;
        atomic_store(&live->cur, g);
        atomic_store(&live->ver, g->version);
        grace(live, g->version);
        gen_free(old);
        publish_metrics(live, inv, g->version, build_ms, oldest);
        AM_LOG(AM_LOG_DEBUG,
               "inventory version %llu: %zu assets, built in %lld ms, %zu "
               "newly matching",
               (unsigned long long)g->version, am_inventory_count(inv),
               (long long)build_ms, added.n);
        if (live->opts.on_swap && added.n)
            live->opts.on_swap(live->opts.opaque, g->m, g->version,
                               added.v, added.n);
    } else {
        AM_LOG(AM_LOG_ERR, "inventory rebuild failed, the previous matcher "
               "stays: %s", err);
    }
    added_free(&added);

    pthread_mutex_lock(&live->mu);
    live->failed = !g;
    if (g)
        live->applied = upto;
    /* A sync asked for during the build is answered by it when it holds
     * every change: another build would only cost its time. */
    if (live->applied >= live->changes)
        live->sync = false;
    pthread_cond_broadcast(&live->done_cv);
}

static void *build_thread(void *arg) {
    am_live_t *live = arg;

    pthread_mutex_lock(&live->mu);
    while (!live->stop) {
        int64_t due;
        if (!live->pending && !live->sync) {
            pthread_cond_wait(&live->cv, &live->mu);
            continue;
        }
        due = live->first_ms + live->opts.rebuild_interval_ms;
        if (live->sync || live->pending >= live->opts.rebuild_max_changes ||
            mono_ms() >= due) {
            rebuild(live);
            continue;
        }
        {
            struct timespec ts;
            int64_t wait = due - mono_ms();
            clock_gettime(CLOCK_REALTIME, &ts);
            ts.tv_sec += wait / 1000;
            ts.tv_nsec += (wait % 1000) * 1000000;
            if (ts.tv_nsec >= 1000000000) {
                ts.tv_sec++;
                ts.tv_nsec -= 1000000000;
            }
            pthread_cond_timedwait(&live->cv, &live->mu, &ts);
        }
    }
    pthread_mutex_unlock(&live->mu);
    return NULL;
}

am_live_t *am_live_new(am_inventory_t *inv, const am_live_opts_t *opts,
                       char *err, size_t err_size) {
    am_live_t *live = calloc(1, sizeof(*live));
    am_inventory_t *snap;
    gen_t *g;

    if (!live || !(snap = am_inventory_snapshot(inv))) {
        snprintf(err, err_size, "out of memory");
        free(live);
        am_inventory_destroy(inv);
        return NULL;
    }
    live->opts = *opts;
    if (!live->opts.readers)
        live->opts.readers = 1;
    if (!live->opts.rebuild_max_changes)
        live->opts.rebuild_max_changes = 1;
    live->inv = inv;
    pthread_mutex_init(&live->mu, NULL);
    pthread_cond_init(&live->cv, NULL);
    pthread_cond_init(&live->done_cv, NULL);
    if (!(live->readers = calloc(live->opts.readers, sizeof(reader_t)))) {
        snprintf(err, err_size, "out of memory");
        am_inventory_destroy(snap);
        am_live_destroy(live);
        return NULL;
    }
    if (!(g = gen_new(snap, 1, &live->opts, err, err_size))) {
        am_live_destroy(live);
        return NULL;
    }
    atomic_store(&live->cur, g);
    atomic_store(&live->ver, 1);
    publish_metrics(live, am_matcher_inventory(g->m), 1, 0, 0);
    if (pthread_create(&live->thread, NULL, build_thread, live) != 0) {
        snprintf(err, err_size, "cannot start the build thread");
        am_live_destroy(live);
        return NULL;
    }
    live->started = true;
    return live;
}

void am_live_destroy(am_live_t *live) {
    if (!live)
        return;
    if (live->started) {
        pthread_mutex_lock(&live->mu);
        live->stop = true;
        pthread_cond_signal(&live->cv);
        pthread_mutex_unlock(&live->mu);
        pthread_join(live->thread, NULL);
    }
    gen_free(atomic_load(&live->cur));
    am_inventory_destroy(live->inv);
    added_free(&live->added);
    free(live->readers);
    pthread_cond_destroy(&live->done_cv);
    pthread_cond_destroy(&live->cv);
    pthread_mutex_destroy(&live->mu);
    free(live);
}

/* Counts one change; mu held. */
static void changed(am_live_t *live, int64_t ts_ms) {
    if (!live->pending++)
        live->first_ms = mono_ms();
    if (ts_ms > 0 && (!live->oldest_ts_ms || ts_ms < live->oldest_ts_ms))
        live->oldest_ts_ms = ts_ms;
    live->changes++;
    if (live->opts.metrics)
        atomic_fetch_add_explicit(&live->opts.metrics->asset_changes, 1,
                                  memory_order_relaxed);
    pthread_cond_signal(&live->cv);
}

int am_live_upsert(am_live_t *live, const am_asset_input_t *in,
                   int64_t ts_ms, char *err, size_t err_size) {
    am_inventory_change_t ch;
    uint32_t a;
    int rc;

    pthread_mutex_lock(&live->mu);
    rc = am_inventory_upsert(live->inv, in, &ch, &a, err, err_size);
    if (rc == 0 && ch != AM_INVENTORY_UNCHANGED) {
        const am_asset_t *as = am_inventory_asset(live->inv, a);
        /* Added, changed or newly verified: it may match what was seen
         * before.  (A change of include_subdomains alone repeats the
         * notifications of the name itself; their ids are the same.) */
        if (as->verified || live->opts.include_unverified)
            added_push(live, a);
        changed(live, ts_ms);
    }
    pthread_mutex_unlock(&live->mu);
    return rc;
}

int am_live_remove(am_live_t *live, const char *tenant_id,
                   size_t tenant_id_len, const char *asset_id,
                   size_t asset_id_len, int64_t ts_ms) {
    int rc;

    pthread_mutex_lock(&live->mu);
    rc = am_inventory_remove(live->inv, tenant_id, tenant_id_len, asset_id,
                             asset_id_len);
    if (rc == 0)
        changed(live, ts_ms);
    pthread_mutex_unlock(&live->mu);
    return rc;
}

int am_live_sync(am_live_t *live) {
    uint64_t want;
    int rc;

    pthread_mutex_lock(&live->mu);
    want = live->changes;
    if (live->applied < want) {
        live->sync = true;
        pthread_cond_signal(&live->cv);
    }
    while (live->applied < want && !live->failed && !live->stop)
        pthread_cond_wait(&live->done_cv, &live->mu);
    rc = live->applied >= want ? 0 : -1;
    pthread_mutex_unlock(&live->mu);
    return rc;
}

const am_matcher_t *am_live_acquire(am_live_t *live, size_t slot,
                                    uint64_t *version) {
    reader_t *r = &live->readers[slot];

    gen_t *g;

    /* The announcement comes first, and from ver, not through a pointer
     * that might be freed: ver is stored after cur, so the version
     * announced is at most that of the generation loaded next.  The
     * builder swaps cur before it reads the slots, so it either sees the
     * announcement, or the reader loads the new generation.  (A reader
     * that announced an older version than it holds only makes the
     * builder wait a little longer.) */
    atomic_store(&r->active, atomic_load(&live->ver));
    g = atomic_load(&live->cur);
    *version = g->version;
    return g->m;
}

void am_live_release(am_live_t *live, size_t slot) {
    atomic_store(&live->readers[slot].active, 0);
}

uint64_t am_live_version(am_live_t *live) {
    return atomic_load(&live->cur)->version;
}
