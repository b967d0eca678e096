/*
 * service: see service.h.
 */
#include "service.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "decode.h"
#include "encode_avro.h"
#include "encode_json.h"
#include "encode_stix.h"
#include "kafka_in.h"
#include "kafka_out.h"
#include "live.h"
#include "log.h"
#include "notification.h"
#include "window.h"

#define AM_FLUSH_TIMEOUT_MS 30000
#define AM_PREPARE_TIMEOUT_MS 5000
/* Room left in a record for its key and headers. */
#define AM_DLQ_HEADROOM (16 * 1024)
/* What is kept of a message too large to go to the dead-letter topic. */
#define AM_DLQ_TRUNCATED_KEEP (64 * 1024)

struct am_service_s {
    const am_config_t *cfg;
    const am_matcher_t *m;
    const am_classify_t *cl;
    am_metrics_t *metrics;
    am_kafka_in_t *in;
    am_kafka_out_t *out;
    am_match_ctx_t *ctx;
    am_event_t ev;
    am_buf_t buf;
    /* The message in hand. */
    const rd_kafka_message_t *rkm;
    am_kafka_track_t *track;
    int topic;           /* 0 indicators, 1 scan results */
    size_t rejects;      /* parts of it rejected */
    size_t skips[AM_SKIP__COUNT];
    char first_reject[512];
    char match_time[32];
    size_t dlq_max;      /* largest dead-letter record the producer takes */
    /* The live inventory (issue 5), when set: s->m is acquired from it for
     * each batch (reader slot 0) and is valid only during the batch; every
     * indicator matched goes into the window with the matcher's version. */
    am_live_t *live;
    am_window_t *win;
    size_t slot; /* its reader slot in live */
    uint64_t version;
    time_t now;
    /* This worker's share of the gauges, last added to the metrics. */
    int64_t lag, queue_depth, assigned;
};

static const char *const content_types[] = {
    "application/json", "avro/binary", "application/stix+json;version=2.1"};
static const char *const output_names[] = {"json", "avro", "stix"};

/* Before partitions go: every record in flight is waited for, so that
 * their offsets can be committed by the one who did the work. */
static void on_revoke(void *opaque) {
    am_service_t *s = opaque;

    if (s->out && am_kafka_out_flush(s->out, AM_FLUSH_TIMEOUT_MS) < 0)
        AM_LOG(AM_LOG_WARNING,
               "rebalance: %zu records not acknowledged in %d s; their "
               "input will be consumed again",
               am_kafka_out_queue_len(s->out), AM_FLUSH_TIMEOUT_MS / 1000);
}

/* The producer's message.max.bytes: librdkafka refuses a larger record at
 * once, for good. */
static size_t dlq_max(am_kafka_out_t *out) {
    char v[32];
    size_t n = sizeof(v);
    long max = 1000000;

    if (rd_kafka_conf_get(rd_kafka_conf(am_kafka_out_handle(out)),
                          "message.max.bytes", v, &n) == RD_KAFKA_CONF_OK)
        max = atol(v);
    return max > 2 * AM_DLQ_HEADROOM ? (size_t)max : 2 * AM_DLQ_HEADROOM;
}

am_service_t *am_service_new(const am_config_t *cfg, const am_matcher_t *m,
                             const am_classify_t *cl, am_metrics_t *metrics,
                             char *err, size_t err_size) {
    am_service_t *s = calloc(1, sizeof(*s));

    if (!s) {
        snprintf(err, err_size, "out of memory");
        return NULL;
    }
    s->cfg = cfg;
    s->m = m;
    s->cl = cl;
    s->metrics = metrics;
    am_event_init(&s->ev);
    am_buf_init(&s->buf);
    if (!(s->ctx = am_match_ctx_new())) {
        snprintf(err, err_size, "out of memory");
        goto fail;
    }
    if (!(s->in = am_kafka_in_new(cfg, on_revoke, s, err, err_size)))
        goto fail;
    if (!(s->out = am_kafka_out_new(cfg, s->in, metrics, err, err_size)))
        goto fail;
    s->dlq_max = dlq_max(s->out);
    /* Metadata now: the first notification would otherwise wait for it. */
    am_kafka_out_prepare(s->out, cfg->topic_notifications,
                         AM_PREPARE_TIMEOUT_MS);
    am_kafka_out_prepare(s->out, cfg->topic_dead_letter,
                         AM_PREPARE_TIMEOUT_MS);
    return s;
fail:
    am_service_destroy(s);
    return NULL;
}

int am_service_subscribe(am_service_t *s, char *err, size_t err_size) {
    const char *topics[2] = {s->cfg->topic_indicators,
                             s->cfg->topic_scan_results};

    return am_kafka_in_subscribe(s->in, topics, 2, err, err_size);
}

void am_service_set_live(am_service_t *s, am_live_t *live,
                         am_window_t *win, size_t slot) {
    s->live = live;
    s->win = win;
    s->slot = slot;
}

void am_service_destroy(am_service_t *s) {
    if (!s)
        return;
    /* The consumer closes while the producer can still be flushed (its
     * revoke callback does that), then the producer goes, so no delivery
     * report can reach a freed track entry. */
    if (s->in)
        am_kafka_in_close(s->in);
    am_kafka_out_destroy(s->out);
    am_kafka_in_destroy(s->in);
    am_match_ctx_destroy(s->ctx);
    am_event_free(&s->ev);
    am_buf_free(&s->buf);
    free(s);
}

/* The headers every record carries back to its input. */
static rd_kafka_headers_t *origin_headers(const am_service_t *s) {
    rd_kafka_headers_t *h = rd_kafka_headers_new(8);
    char num[24];

    rd_kafka_header_add(h, "am-origin-topic", -1,
                        rd_kafka_topic_name(s->rkm->rkt), -1);
    snprintf(num, sizeof(num), "%d", (int)s->rkm->partition);
    rd_kafka_header_add(h, "am-origin-partition", -1, num, -1);
    snprintf(num, sizeof(num), "%lld", (long long)s->rkm->offset);
    rd_kafka_header_add(h, "am-origin-offset", -1, num, -1);
    return h;
}

static int encode(am_service_t *s, const am_notification_t *nt) {
    char err[256];

    am_buf_reset(&s->buf);
    switch (s->cfg->output_format) {
    case AM_OUTPUT_AVRO:
        if (am_encode_avro(&s->buf, nt, s->cfg->output_schema_id, err,
                           sizeof(err)) < 0) {
            AM_LOG(AM_LOG_ERR, "avro encoding: %s", err);
            return -1;
        }
        return 0;
    case AM_OUTPUT_STIX:
        return am_encode_stix(&s->buf, nt);
    default:
        return am_encode_json(&s->buf, nt);
    }
}

static int on_event(am_event_t *ev, void *opaque) {
    am_service_t *s = opaque;
    const am_inventory_t *inv = am_matcher_inventory(s->m);
    const am_match_result_t *res;
    am_origin_t origin = {rd_kafka_topic_name(s->rkm->rkt),
                          s->rkm->partition, s->rkm->offset};
    int n;

    atomic_fetch_add_explicit(&s->metrics->events, 1, memory_order_relaxed);
    if (s->cl)
        am_classify_event(s->cl, ev);
    if ((n = am_matcher_match(s->m, s->ctx, ev, &res)) < 0) {
        AM_LOG(AM_LOG_ERR, "matching: out of memory");
        am_kafka_track_release(s->in, s->track, true);
        am_kafka_track_hold(s->track);
        return 1;
    }
    /* Kept for assets added later (out of memory only costs them their
     * retroactive notifications). */
    if (s->win && ev->kind == AM_EVENT_INDICATOR)
        am_window_add(s->win, ev, &origin, s->version, (int64_t)s->now);
    for (int i = 0; i < n; i++) {
        const char *tenant = am_inventory_tenant(inv, res[i].tenant);
        char id[AM_UUID_STRLEN];
        am_notification_t nt = {.inv = inv,
                                .ev = ev,
                                .result = &res[i],
                                .origin = &origin,
                                .match_time = s->match_time,
                                .cl = s->cl,
                                .id = id};
        rd_kafka_headers_t *h;

        if (am_notification_id(tenant, ev->id, id) < 0 || encode(s, &nt) < 0 ||
            s->buf.oom) {
            /* Not deliverable as asked: stop before committing past it. */
            am_kafka_track_release(s->in, s->track, true);
            am_kafka_track_hold(s->track);
            return 1;
        }
        h = origin_headers(s);
        rd_kafka_header_add(h, "content-type", -1,
                            content_types[s->cfg->output_format], -1);
        rd_kafka_header_add(h, "am-format", -1,
                            output_names[s->cfg->output_format], -1);
        rd_kafka_header_add(h, "am-event-id", -1, ev->id, -1);
        rd_kafka_header_add(h, "am-notification-id", -1, id, -1);
        if (am_kafka_out_produce(s->out, s->cfg->topic_notifications, tenant,
                                 strlen(tenant), s->buf.data, s->buf.len, h,
                                 s->track) < 0)
            return 1;
        atomic_fetch_add_explicit(&s->metrics->notifications, 1,
                                  memory_order_relaxed);
        atomic_fetch_add_explicit(&s->metrics->matches[res[i].hits[0].kind],
                                  1, memory_order_relaxed);
    }
    return 0;
}

static void on_reject(long item, const char *reason, void *opaque) {
    am_service_t *s = opaque;

    if (s->rejects++ == 0) {
        if (item >= 0)
            snprintf(s->first_reject, sizeof(s->first_reject),
                     "part %ld: %s", item, reason);
        else
            snprintf(s->first_reject, sizeof(s->first_reject), "%s", reason);
    }
}

static void on_skip(long item, am_skip_t why, void *opaque) {
    am_service_t *s = opaque;

    s->skips[why]++;
    atomic_fetch_add_explicit(&s->metrics->skipped[why], 1,
                              memory_order_relaxed);
}

static am_dlq_reason_t dlq_reason(const am_service_t *s, int decoded) {
    if (decoded > 0)
        return AM_DLQ_PARTIAL;
    if (strstr(s->first_reject, "no observable"))
        return AM_DLQ_NO_OBSERVABLE;
    if (strstr(s->first_reject, "exceeds the limit"))
        return AM_DLQ_TOO_LARGE;
    return AM_DLQ_INVALID;
}

/* The message, unchanged, to the dead-letter topic, with why and where
 * from in its headers.  A message the producer cannot take (larger than
 * its message.max.bytes, which the 1 MiB decoding limit is above by
 * default) goes truncated, saying so: refused, it would fail for good and
 * stop the service at the same input after every restart. */
static void dead_letter(am_service_t *s, am_format_t fmt, int decoded) {
    am_dlq_reason_t r = dlq_reason(s, decoded);
    rd_kafka_headers_t *h = origin_headers(s);
    char count[24];
    size_t len = s->rkm->len, room = s->dlq_max - AM_DLQ_HEADROOM;

    rd_kafka_header_add(h, "am-dlq-reason", -1, am_dlq_reason_name(r), -1);
    rd_kafka_header_add(h, "am-error", -1, s->first_reject, -1);
    rd_kafka_header_add(h, "am-input-format", -1, am_format_name(fmt), -1);
    snprintf(count, sizeof(count), "%zu", s->rejects);
    rd_kafka_header_add(h, "am-rejected-parts", -1, count, -1);
    if (len + s->rkm->key_len > room) {
        snprintf(count, sizeof(count), "%zu", len);
        rd_kafka_header_add(h, "am-original-length", -1, count, -1);
        rd_kafka_header_add(h, "am-truncated", -1, "true", -1);
        room = room > s->rkm->key_len ? room - s->rkm->key_len : 0;
        len = room < AM_DLQ_TRUNCATED_KEEP ? room : AM_DLQ_TRUNCATED_KEEP;
    }
    AM_LOG(AM_LOG_DEBUG, "dead letter %s [%d] @%lld: %s",
           rd_kafka_topic_name(s->rkm->rkt), (int)s->rkm->partition,
           (long long)s->rkm->offset, s->first_reject);
    if (am_kafka_out_produce(s->out, s->cfg->topic_dead_letter,
                             s->rkm->key, s->rkm->key_len, s->rkm->payload,
                             len, h, s->track) == 0)
        atomic_fetch_add_explicit(&s->metrics->dead_letters[r], 1,
                                  memory_order_relaxed);
}

static void process(am_service_t *s, const rd_kafka_message_t *rkm) {
    am_decode_sink_t sink = {on_event, on_reject, on_skip, s};
    am_decode_hint_t hint = {rd_kafka_topic_name(rkm->rkt), 0};
    am_format_t used = AM_FORMAT_JSON;
    int n;

    if (rkm->err) {
        if (rkm->err != RD_KAFKA_RESP_ERR__PARTITION_EOF)
            AM_LOG(AM_LOG_WARNING, "consumer: %s",
                   rd_kafka_message_errstr(rkm));
        return;
    }
    if (!(s->track = am_kafka_in_track(s->in, rkm))) {
        AM_LOG(AM_LOG_ERR, "out of memory tracking a message");
        return;
    }
    s->rkm = rkm;
    s->topic = strcmp(rd_kafka_topic_name(rkm->rkt),
                      s->cfg->topic_indicators) == 0
                   ? 0
                   : 1;
    s->rejects = 0;
    memset(s->skips, 0, sizeof(s->skips));
    s->first_reject[0] = '\0';
    n = am_decode(s->cfg->input_format, rkm->payload ? rkm->payload : "",
                  rkm->len, &hint, &s->ev, &sink, &used);
    /* Valid, but nothing in it to match on (a bundle of malware objects):
     * never dropped silently.  Expired indicators are only counted. */
    if (n == 0 && !s->rejects && !s->skips[AM_SKIP_EXPIRED]) {
        snprintf(s->first_reject, sizeof(s->first_reject),
                 "no observable: nothing in the message to match on (%zu "
                 "part%s skipped)",
                 s->skips[AM_SKIP_NOT_MATCHABLE],
                 s->skips[AM_SKIP_NOT_MATCHABLE] == 1 ? "" : "s");
        s->rejects = 1;
    }
    atomic_fetch_add_explicit(&s->metrics->consumed[s->topic][used], 1,
                              memory_order_relaxed);
    if (s->rejects)
        dead_letter(s, used, n);
    am_kafka_track_release(s->in, s->track, false);
    s->track = NULL;
    s->rkm = NULL;
}

/* Adds the change of this worker's share to a gauge all workers add to. */
static void gauge_add(atomic_int_fast64_t *g, int64_t *mine, int64_t now) {
    atomic_fetch_add(g, now - *mine);
    *mine = now;
}

static void gauges(am_service_t *s) {
    am_metrics_t *m = s->metrics;

    gauge_add(&m->lag, &s->lag, am_kafka_in_lag(s->in));
    gauge_add(&m->queue_depth, &s->queue_depth,
              (int64_t)am_kafka_out_queue_len(s->out));
    gauge_add(&m->assigned, &s->assigned,
              (int64_t)am_kafka_in_assigned(s->in));
    if (s->win) {
        am_window_expire(s->win, (int64_t)time(NULL));
        atomic_store(&m->window_indicators,
                     (int64_t)am_window_count(s->win));
        atomic_store(&m->window_bytes, (int64_t)am_window_bytes(s->win));
    }
}

int am_service_run(am_service_t *s, volatile sig_atomic_t *stop) {
    size_t max = s->cfg->batch_size;
    rd_kafka_message_t **msgs = calloc(max, sizeof(*msgs));
    time_t last_gauges = 0;
    int rc = 0;

    if (!msgs) {
        AM_LOG(AM_LOG_ERR, "out of memory");
        return 1;
    }
    AM_LOG(AM_LOG_NOTICE, "consuming %s and %s; notifications to %s (%s)",
           s->cfg->topic_indicators, s->cfg->topic_scan_results,
           s->cfg->topic_notifications,
           output_names[s->cfg->output_format]);
    while (!*stop && !am_kafka_in_failed(s->in)) {
        size_t n = am_kafka_in_poll(s->in, msgs, max, 100);
        am_notification_now(s->match_time);
        s->now = time(NULL);
        if (s->live)
            s->m = am_live_acquire(s->live, s->slot, &s->version);
        for (size_t i = 0; i < n; i++) {
            process(s, msgs[i]);
            rd_kafka_message_destroy(msgs[i]);
        }
        if (s->live)
            am_live_release(s->live, s->slot);
        am_kafka_out_poll(s->out, 0);
        am_kafka_in_store(s->in);
        if (time(NULL) != last_gauges) {
            last_gauges = time(NULL);
            gauges(s);
        }
    }
    free(msgs);

    /* Stop: the batch in hand is done; wait for its records, commit what
     * was acknowledged, and leave the group (am_service_destroy). */
    if (am_kafka_out_flush(s->out, AM_FLUSH_TIMEOUT_MS) < 0)
        AM_LOG(AM_LOG_WARNING,
               "%zu records not acknowledged at stop; their input will be "
               "consumed again",
               am_kafka_out_queue_len(s->out));
    am_kafka_in_commit(s->in);
    /* Leaving now, not at am_service_destroy(): the workers of a process
     * leave together, each serving its own rebalance; one after the other,
     * those still in the group would be asked to rebalance while nobody
     * polls them. */
    am_kafka_in_close(s->in);
    if (am_kafka_in_failed(s->in)) {
        AM_LOG(AM_LOG_ERR,
               "stopping: a record could not be delivered; offsets were "
               "committed only up to it");
        rc = 1;
    }
    AM_LOG(AM_LOG_NOTICE, "stopped");
    return rc;
}
