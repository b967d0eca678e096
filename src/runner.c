#include "runner.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "assets_in.h"
#include "http.h"
#include "live.h"
#include "log.h"
#include "retro.h"
#include "window.h"

struct am_runner_s {
    am_http_t *http;
    am_live_t *live;
    am_window_t *win;
    am_retro_t *retro;
    am_assets_in_t *assets;
    am_service_t **svc; /* the workers */
    size_t workers;
};

am_runner_t *am_runner_start(const am_config_t *cfg, am_inventory_t *inv,
                             const am_classify_t *cl, am_metrics_t *metrics,
                             volatile sig_atomic_t *stop, char *err,
                             size_t err_size) {
    am_runner_t *r = calloc(1, sizeof(*r));
    const am_matcher_t *cur;
    uint64_t version;

    if (!r) {
        am_inventory_destroy(inv);
        snprintf(err, err_size, "out of memory");
        return NULL;
    }
    if (cfg->window_max_bytes) {
        am_window_opts_t wo = {cfg->window_max_age_s, cfg->window_max_bytes};
        if (!(r->win = am_window_new(&wo)) ||
            !(r->retro = am_retro_new(cfg, r->win, cl, metrics))) {
            am_inventory_destroy(inv);
            snprintf(err, err_size, "out of memory");
            goto fail;
        }
    }
    /* The inventory file is version 1; the assets topic applies on top. */
    am_live_opts_t lo = {.include_unverified = cfg->include_unverified,
                         .rebuild_interval_ms = cfg->rebuild_interval_ms,
                         .rebuild_max_changes = cfg->rebuild_max_changes,
                         .readers = cfg->workers,
                         .on_swap = r->retro ? am_retro_on_swap : NULL,
                         .opaque = r->retro,
                         .metrics = metrics};
    if (!(r->live = am_live_new(inv, &lo, err, err_size)))
        goto fail; /* inv was taken */
    if (cfg->http_listen[0]) {
        if (!(r->http = am_http_start(cfg->http_listen, metrics, err,
                                      err_size)))
            goto fail;
        AM_LOG(AM_LOG_INFO, "metrics and health on http://%s/ (port %d)",
               cfg->http_listen, am_http_port(r->http));
    }
    /* Before the assets topic is read to its end, notifications would be
     * missed for assets not loaded yet; /readyz says ready from then on. */
    if (!(r->assets = am_assets_in_new(cfg, r->live, metrics, err,
                                       err_size)))
        goto fail;
    if (r->retro)
        am_retro_set_producer(r->retro, am_assets_in_producer(r->assets));
    if (am_assets_in_wait_ready(r->assets, stop) < 0) {
        err[0] = '\0';
        goto fail;
    }
    atomic_store(&metrics->inventory_loaded, 1);
    /* Each worker starts with the current matcher, then acquires one per
     * batch in its own reader slot (am_service_set_live()). */
    if (!(r->svc = calloc(cfg->workers, sizeof(*r->svc)))) {
        snprintf(err, err_size, "out of memory");
        goto fail;
    }
    for (; r->workers < cfg->workers; r->workers++) {
        size_t w = r->workers;
        cur = am_live_acquire(r->live, w, &version);
        r->svc[w] = am_service_new(cfg, cur, cl, metrics, err, err_size);
        am_live_release(r->live, w);
        if (!r->svc[w])
            goto fail;
        am_service_set_live(r->svc[w], r->live, r->win, w);
    }
    for (size_t w = 0; w < r->workers; w++)
        if (am_service_subscribe(r->svc[w], err, err_size) < 0)
            goto fail;
    return r;
fail:
    am_runner_destroy(r);
    return NULL;
}

typedef struct worker_s {
    am_service_t *svc;
    volatile sig_atomic_t *halt;
    int rc;
    atomic_bool done;
} worker_t;

static void *worker_main(void *arg) {
    worker_t *w = arg;

    w->rc = am_service_run(w->svc, w->halt);
    atomic_store(&w->done, true);
    return NULL;
}

int am_runner_run(am_runner_t *r, volatile sig_atomic_t *stop) {
    volatile sig_atomic_t halt = 0;
    worker_t *w = calloc(r->workers, sizeof(*w));
    pthread_t *th = calloc(r->workers, sizeof(*th));
    size_t started = 0, done;
    int rc = 0;

    if (!w || !th) {
        AM_LOG(AM_LOG_ERR, "out of memory");
        free(w);
        free(th);
        return 1;
    }
    for (; started < r->workers; started++) {
        w[started].svc = r->svc[started];
        w[started].halt = &halt;
        if (pthread_create(&th[started], NULL, worker_main, &w[started])) {
            AM_LOG(AM_LOG_ERR, "cannot start worker %zu", started);
            halt = 1;
            rc = 1;
            break;
        }
    }
    /* Until every worker is done: a stop asked for, or one worker that
     * failed, stops them all. */
    do {
        struct timespec tick = {0, 20 * 1000 * 1000};
        done = 0;
        for (size_t i = 0; i < started; i++)
            if (atomic_load(&w[i].done)) {
                done++;
                if (w[i].rc)
                    halt = 1;
            }
        if (*stop)
            halt = 1;
        if (done < started)
            nanosleep(&tick, NULL);
    } while (done < started);
    for (size_t i = 0; i < started; i++) {
        pthread_join(th[i], NULL);
        rc |= w[i].rc;
    }
    free(w);
    free(th);
    return rc;
}

int am_runner_http_port(const am_runner_t *r) {
    return r->http ? am_http_port(r->http) : 0;
}

void am_runner_destroy(am_runner_t *r) {
    if (!r)
        return;
    /* The service first (its matcher is live's), then what feeds live,
     * then live (its build thread may be in on_swap: retro and the window
     * outlive it). */
    for (size_t i = 0; i < r->workers; i++)
        am_service_destroy(r->svc[i]);
    free(r->svc);
    am_assets_in_destroy(r->assets);
    am_live_destroy(r->live);
    am_retro_destroy(r->retro);
    am_window_destroy(r->win);
    am_http_stop(r->http);
    free(r);
}
