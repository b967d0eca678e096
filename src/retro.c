/*
 * retro: see retro.h.
 */
#include "retro.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "encode_avro.h"
#include "encode_json.h"
#include "encode_stix.h"
#include "kafka_out.h"
#include "log.h"
#include "notification.h"

struct am_retro_s {
    const am_config_t *cfg;
    am_window_t *win;
    const am_classify_t *cl;
    am_metrics_t *metrics;
    _Atomic(rd_kafka_t *) rk;
    am_match_ctx_t *ctx;
    am_buf_t buf;
};

am_retro_t *am_retro_new(const am_config_t *cfg, am_window_t *win,
                         const am_classify_t *cl, am_metrics_t *metrics) {
    am_retro_t *r = calloc(1, sizeof(*r));

    if (!r)
        return NULL;
    r->cfg = cfg;
    r->win = win;
    r->cl = cl;
    r->metrics = metrics;
    am_buf_init(&r->buf);
    if (!(r->ctx = am_match_ctx_new())) {
        free(r);
        return NULL;
    }
    return r;
}

void am_retro_set_producer(am_retro_t *r, rd_kafka_t *rk) {
    atomic_store(&r->rk, rk);
}

void am_retro_destroy(am_retro_t *r) {
    if (!r)
        return;
    am_match_ctx_destroy(r->ctx);
    am_buf_free(&r->buf);
    free(r);
}

/* "tenant\nasset" keys of the added assets, sorted for bsearch. */
static int cmp_str(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static char *pair(const char *tenant, const char *asset) {
    size_t tl = strlen(tenant), al = strlen(asset);
    char *s = malloc(tl + al + 2);

    if (s) {
        memcpy(s, tenant, tl);
        s[tl] = '\n';
        memcpy(s + tl + 1, asset, al + 1);
    }
    return s;
}

static bool is_added(char **keys, size_t n, const char *tenant,
                     const char *asset) {
    char *k = pair(tenant, asset);
    bool found = k && bsearch(&k, keys, n, sizeof(*keys), cmp_str);

    free(k);
    return found;
}

static int encode(am_retro_t *r, const am_notification_t *nt) {
    char err[256];

    am_buf_reset(&r->buf);
    switch (r->cfg->output_format) {
    case AM_OUTPUT_AVRO:
        if (am_encode_avro(&r->buf, nt, r->cfg->output_schema_id, err,
                           sizeof(err)) < 0) {
            AM_LOG(AM_LOG_ERR, "retroactive: avro encoding: %s", err);
            return -1;
        }
        break;
    case AM_OUTPUT_STIX:
        if (am_encode_stix(&r->buf, nt) < 0)
            return -1;
        break;
    default:
        if (am_encode_json(&r->buf, nt) < 0)
            return -1;
    }
    return r->buf.oom ? -1 : 0;
}

static void produce(am_retro_t *r, rd_kafka_t *rk, const am_notification_t *nt,
                    const char *tenant) {
    rd_kafka_headers_t *h;
    rd_kafka_resp_err_t e;
    char id[AM_UUID_STRLEN];

    if (encode(r, nt) < 0 || am_notification_id(tenant, nt->ev->id, id) < 0)
        return;
    h = am_kafka_out_notification_headers(r->cfg, nt, id, 1);
    rd_kafka_header_add(h, "am-retroactive", -1, "true", -1);
    for (;;) {
        e = rd_kafka_producev(
            rk, RD_KAFKA_V_TOPIC(r->cfg->topic_notifications),
            RD_KAFKA_V_KEY(tenant, strlen(tenant)),
            RD_KAFKA_V_VALUE(r->buf.data, r->buf.len),
            RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_HEADERS(h),
            RD_KAFKA_V_END);
        if (e != RD_KAFKA_RESP_ERR__QUEUE_FULL)
            break;
        rd_kafka_poll(rk, 100); /* back-pressure: wait for room */
    }
    if (e) {
        rd_kafka_headers_destroy(h);
        AM_LOG(AM_LOG_ERR, "retroactive notification to %s: %s",
               r->cfg->topic_notifications, rd_kafka_err2str(e));
        return;
    }
    if (r->metrics)
        atomic_fetch_add_explicit(&r->metrics->retro_notifications, 1,
                                  memory_order_relaxed);
}

void am_retro_on_swap(void *opaque, const am_matcher_t *m, uint64_t version,
                      const am_live_added_t *added, size_t n) {
    am_retro_t *r = opaque;
    rd_kafka_t *rk = atomic_load(&r->rk);
    const am_inventory_t *inv = am_matcher_inventory(m);
    am_window_probe_t *probes = malloc(n * sizeof(*probes));
    char **keys = calloc(n, sizeof(*keys));
    am_window_hits_t hits = {0};
    char match_time[32];
    size_t sent = 0;

    if (!rk || !probes || !keys)
        goto out;
    for (size_t i = 0; i < n; i++) {
        probes[i] = added[i].probe;
        if (!(keys[i] = pair(added[i].tenant_id, added[i].asset_id)))
            goto out;
    }
    qsort(keys, n, sizeof(*keys), cmp_str);
    if (am_window_find(r->win, probes, n, version, (int64_t)time(NULL),
                       &hits) < 0)
        AM_LOG(AM_LOG_WARNING, "retroactive matching: out of memory; "
               "some indicators were not looked at");
    am_notification_now(match_time);
    for (size_t i = 0; i < hits.n; i++) {
        const am_match_result_t *res;
        int nr = am_matcher_match(m, r->ctx, hits.v[i].ev, &res);
        for (int k = 0; k < nr; k++) {
            const char *tenant = am_inventory_tenant(inv, res[k].tenant);
            bool any = false;
            for (size_t j = 0; j < res[k].n_hits && !any; j++) {
                const am_asset_t *a = am_inventory_asset(
                    inv, res[k].hits[j].asset);
                any = is_added(keys, n, tenant,
                               am_inventory_str(inv, a->asset_id));
            }
            if (any) {
                am_notification_t nt = {.inv = inv,
                                        .ev = hits.v[i].ev,
                                        .result = &res[k],
                                        .origin = &hits.v[i].origin,
                                        .match_time = match_time,
                                        .cl = r->cl,
                                        .retroactive = true};
                produce(r, rk, &nt, tenant);
                sent++;
            }
        }
    }
    if (hits.n)
        AM_LOG(AM_LOG_INFO, "inventory version %llu: %zu new assets "
               "matched %zu recent indicators: %zu retroactive "
               "notifications", (unsigned long long)version, n, hits.n,
               sent);
out:
    am_window_hits_free(&hits);
    for (size_t i = 0; keys && i < n; i++)
        free(keys[i]);
    free(keys);
    free(probes);
}
