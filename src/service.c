/*
 * service: see service.h.
 */
#include "service.h"

#include <sched.h>
#include <stdalign.h>
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
#include "pool.h"
#include "window.h"

#define AM_FLUSH_TIMEOUT_MS 30000
#define AM_PREPARE_TIMEOUT_MS 5000
/* Room left in a record for its key and headers. */
#define AM_DLQ_HEADROOM (16 * 1024)
/* What is kept of a message too large to go to the dead-letter topic. */
#define AM_DLQ_TRUNCATED_KEEP (64 * 1024)
/* A batch shorter than this is not shared out: waking the threads would
 * cost more than it saves, and a short batch is a low rate. */
#define AM_PARALLEL_MIN 64
/* Messages a lane takes at a time: 32 against 16 gave the lanes 6-19%
 * more events/s at 1M assets (fewer hand-overs; bench/README.md). */
#define AM_CHUNK 32
/* Events a lane keeps before it matches them: a chunk of large bundles is
 * matched in parts. */
#define AM_KEPT_MAX 256
/* What two lanes must not share, lest every write of one reload the
 * other's line. */
#define AM_CACHE_LINE 64

/* What a lane made of a message, for the worker's thread to produce in
 * the batch's order. */
typedef enum { REC_NOTIFICATION, REC_DEAD_LETTER } rec_kind_t;

typedef struct record_s {
    size_t msg; /* index in the batch */
    rec_kind_t kind;
    int metric;  /* the match kind, or the dead-letter reason */
    const char *key;
    size_t key_len;
    size_t off, len; /* the value: in the chunk's out, or (dead letter) the
                      * first len bytes of the input */
    rd_kafka_headers_t *h;
} record_t;

/* A run of AM_CHUNK messages of a batch, decoded and matched by one lane,
 * then produced by the worker's thread once done.  Neighbours are taken by
 * different lanes, so each has cache lines of its own. */
typedef struct chunk_s {
    alignas(AM_CACHE_LINE)
    size_t first, last; /* messages [first, last) of the batch */
    record_t *rec;
    size_t n_rec, cap_rec;
    am_buf_t out;       /* the values of its records, one after another */
    atomic_bool done;   /* set by the lane, cleared once produced */
} chunk_t;

/* One thread's state for the chunks it takes.  Its counts go to the shared
 * metrics once a chunk, not with every message. */
typedef struct lane_s {
    alignas(AM_CACHE_LINE)
    am_service_t *s;
    am_match_ctx_t *ctx;
    am_event_t ev; /* the decoder's */
    /* A chunk is decoded first, then matched: on_event() starts loading
     * the tables an event will read (am_matcher_prefetch()) and keeps
     * it, and the chunk's events are matched one after another once its
     * messages are decoded, with the matcher's tables and code hot. */
    am_event_t *kept;
    size_t *kept_msg; /* the message of each */
    size_t n_kept, cap_kept;
    /* The indicators matched, for the window: added together, under one
     * take of its mutex, once the events kept are matched. */
    const am_event_t *win_ev[AM_KEPT_MAX];
    am_origin_t win_origin[AM_KEPT_MAX];
    size_t n_win;
    chunk_t *c; /* the chunk in hand */
    /* The message in hand. */
    const rd_kafka_message_t *rkm;
    size_t msg;
    int topic;      /* 0 indicators, 1 scan results */
    size_t rejects; /* parts of it rejected */
    size_t skips[AM_SKIP__COUNT];
    char first_reject[512];
    uint64_t events;
    uint64_t consumed[AM_METRICS_TOPICS][AM_FORMAT__COUNT];
} lane_t;

struct am_service_s {
    const am_config_t *cfg;
    const am_matcher_t *m;
    const am_classify_t *cl;
    am_metrics_t *metrics;
    am_kafka_in_t *in;
    am_kafka_out_t *out;
    /* Decoding, matching and encoding of a batch, shared out over
     * consumer.threads lanes; producing stays on this worker's thread. */
    am_pool_t *pool;
    lane_t *lanes;
    size_t n_lanes;
    chunk_t *chunks;           /* the batch's, in its order */
    size_t n_chunks;           /* in this batch */
    size_t cap_chunks;         /* in a full batch */
    atomic_size_t next_chunk;  /* the next one a lane takes */
    rd_kafka_message_t **msgs; /* the batch */
    bool *failed;              /* by message of the batch */
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

/* calloc() of n elements of \p size (a multiple of AM_CACHE_LINE, as the
 * types aligned to it are), each on lines of its own. */
static void *aligned_calloc(size_t n, size_t size) {
    void *p;

    if (n > SIZE_MAX / size || !(p = aligned_alloc(AM_CACHE_LINE, n * size)))
        return NULL;
    return memset(p, 0, n * size);
}

am_service_t *am_service_new(const am_config_t *cfg, const am_matcher_t *m,
                             const am_classify_t *cl, am_metrics_t *metrics,
                             char *err, size_t err_size) {
    am_service_t *s = calloc(1, sizeof(*s));
    size_t threads;

    if (!s) {
        snprintf(err, err_size, "out of memory");
        return NULL;
    }
    s->cfg = cfg;
    s->m = m;
    s->cl = cl;
    s->metrics = metrics;
    threads = am_config_threads(cfg);
    s->cap_chunks = (cfg->batch_size + AM_CHUNK - 1) / AM_CHUNK;
    if (!(s->lanes = aligned_calloc(threads, sizeof(*s->lanes))) ||
        !(s->msgs = calloc(cfg->batch_size, sizeof(*s->msgs))) ||
        !(s->failed = calloc(cfg->batch_size, sizeof(*s->failed))) ||
        !(s->chunks = aligned_calloc(s->cap_chunks, sizeof(*s->chunks)))) {
        snprintf(err, err_size, "out of memory");
        goto fail;
    }
    while (s->n_lanes < threads) {
        lane_t *l = &s->lanes[s->n_lanes++];
        l->s = s;
        am_event_init(&l->ev);
        if (!(l->ctx = am_match_ctx_new())) {
            snprintf(err, err_size, "out of memory");
            goto fail;
        }
    }
    if (threads > 1 && !(s->pool = am_pool_new(threads))) {
        snprintf(err, err_size, "cannot start %zu matching threads",
                 threads - 1);
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
    am_pool_destroy(s->pool);
    for (size_t i = 0; i < s->n_lanes; i++) {
        am_match_ctx_destroy(s->lanes[i].ctx);
        am_event_free(&s->lanes[i].ev);
        for (size_t k = 0; k < s->lanes[i].cap_kept; k++)
            am_event_free(&s->lanes[i].kept[k]);
        free(s->lanes[i].kept);
        free(s->lanes[i].kept_msg);
    }
    for (size_t i = 0; s->chunks && i < s->cap_chunks; i++) {
        am_buf_free(&s->chunks[i].out);
        free(s->chunks[i].rec);
    }
    free(s->chunks);
    free(s->lanes);
    free(s->msgs);
    free(s->failed);
    free(s);
}

static record_t *add_record(lane_t *l, size_t msg, rec_kind_t kind) {
    chunk_t *c = l->c;
    record_t *r;

    if (c->n_rec == c->cap_rec) {
        size_t cap = c->cap_rec ? 2 * c->cap_rec : 16;
        record_t *rec = realloc(c->rec, cap * sizeof(*rec));
        if (!rec)
            return NULL;
        c->rec = rec;
        c->cap_rec = cap;
    }
    r = &c->rec[c->n_rec++];
    memset(r, 0, sizeof(*r));
    r->msg = msg;
    r->kind = kind;
    return r;
}

/* The message cannot be delivered as asked: its offset must not be
 * committed (each lane writes only its own messages' flags). */
static void failed(lane_t *l, size_t msg) {
    l->s->failed[msg] = true;
}

static int encode(lane_t *l, const am_notification_t *nt) {
    char err[256];

    switch (l->s->cfg->output_format) {
    case AM_OUTPUT_AVRO:
        if (am_encode_avro(&l->c->out, nt, l->s->cfg->output_schema_id, err,
                           sizeof(err)) < 0) {
            AM_LOG(AM_LOG_ERR, "avro encoding: %s", err);
            return -1;
        }
        return 0;
    case AM_OUTPUT_STIX:
        return am_encode_stix(&l->c->out, nt);
    default:
        return am_encode_json(&l->c->out, nt);
    }
}

/* Classifies, matches and encodes \p ev of message \p msg (\p rkm) into
 * the chunk's records; on failure the message is marked failed. */
static void match_event(lane_t *l, am_event_t *ev,
                        const rd_kafka_message_t *rkm, size_t msg) {
    am_service_t *s = l->s;
    const am_inventory_t *inv = am_matcher_inventory(s->m);
    const am_match_result_t *res;
    am_origin_t origin = {rd_kafka_topic_name(rkm->rkt), rkm->partition,
                          rkm->offset};
    int n;

    if (s->cl)
        am_classify_event(s->cl, ev);
    if ((n = am_matcher_match(s->m, l->ctx, ev, &res)) < 0) {
        AM_LOG(AM_LOG_ERR, "matching: out of memory");
        failed(l, msg);
        return;
    }
    am_notification_prefetch(inv, res, (size_t)n);
    if (s->win && ev->kind == AM_EVENT_INDICATOR) {
        l->win_ev[l->n_win] = ev;
        l->win_origin[l->n_win++] = origin;
    }
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
        am_buf_t *out = &l->c->out;
        size_t start = out->len;
        record_t *r;

        if (am_notification_id(tenant, ev->id, id) < 0 || encode(l, &nt) < 0 ||
            out->oom || !(r = add_record(l, msg, REC_NOTIFICATION))) {
            out->len = start;
            out->oom = false;
            failed(l, msg);
            return;
        }
        r->metric = res[i].hits[0].kind;
        r->key = tenant;
        r->key_len = strlen(tenant);
        r->off = start;
        r->len = out->len - start;
        r->h = am_kafka_out_notification_headers(s->cfg, &nt, id, 0);
    }
}

/* Matches and encodes the events kept, in the order they came. */
static void match_kept(lane_t *l) {
    am_service_t *s = l->s;

    for (size_t k = 0; k < l->n_kept; k++) {
        size_t msg = l->kept_msg[k];
        if (!s->failed[msg])
            match_event(l, &l->kept[k], s->msgs[msg], msg);
    }
    /* Kept for assets added later (out of memory only costs them their
     * retroactive notifications), before the batch releases the matcher
     * they were matched with. */
    if (l->n_win)
        am_window_add_all(s->win, l->win_ev, l->win_origin, l->n_win,
                          s->version, (int64_t)s->now);
    l->n_win = 0;
    l->n_kept = 0;
}

/* Keeps the event: its buffer is swapped with a kept one's, which the
 * decoder resets before it fills it again.  A chunk of large bundles
 * is matched in parts, to bound the buffers. */
static int on_event(am_event_t *ev, void *opaque) {
    lane_t *l = opaque;
    am_event_t t;

    l->events++;
    am_matcher_prefetch(l->s->m, ev);
    if (l->n_kept == AM_KEPT_MAX)
        match_kept(l);
    if (l->n_kept == l->cap_kept) {
        size_t cap = l->cap_kept ? 2 * l->cap_kept : AM_CHUNK;
        am_event_t *k = realloc(l->kept, cap * sizeof(*k));
        size_t *m = k ? realloc(l->kept_msg, cap * sizeof(*m)) : NULL;
        if (k)
            l->kept = k;
        if (!m) {
            AM_LOG(AM_LOG_ERR, "matching: out of memory");
            failed(l, l->msg);
            return 1;
        }
        l->kept_msg = m;
        for (size_t i = l->cap_kept; i < cap; i++)
            am_event_init(&l->kept[i]);
        l->cap_kept = cap;
    }
    t = l->kept[l->n_kept];
    l->kept[l->n_kept] = *ev;
    *ev = t;
    l->kept_msg[l->n_kept++] = l->msg;
    return 0;
}

static void on_reject(long item, const char *reason, void *opaque) {
    lane_t *l = opaque;

    if (l->rejects++ == 0) {
        if (item >= 0)
            snprintf(l->first_reject, sizeof(l->first_reject),
                     "part %ld: %s", item, reason);
        else
            snprintf(l->first_reject, sizeof(l->first_reject), "%s", reason);
    }
}

static void on_skip(long item, am_skip_t why, void *opaque) {
    lane_t *l = opaque;

    (void)item;
    l->skips[why]++;
    atomic_fetch_add_explicit(&l->s->metrics->skipped[why], 1,
                              memory_order_relaxed);
}

static am_dlq_reason_t dlq_reason(const lane_t *l, int decoded) {
    if (decoded > 0)
        return AM_DLQ_PARTIAL;
    if (strstr(l->first_reject, "no observable"))
        return AM_DLQ_NO_OBSERVABLE;
    if (strstr(l->first_reject, "exceeds the limit"))
        return AM_DLQ_TOO_LARGE;
    return AM_DLQ_INVALID;
}

/* The message, unchanged, to the dead-letter topic, with why and where
 * from in its headers.  A message the producer cannot take (larger than
 * its message.max.bytes, which the 1 MiB decoding limit is above by
 * default) goes truncated, saying so: refused, it would fail for good and
 * stop the service at the same input after every restart. */
static void dead_letter(lane_t *l, am_format_t fmt, int decoded) {
    const rd_kafka_message_t *rkm = l->rkm;
    am_dlq_reason_t reason = dlq_reason(l, decoded);
    size_t len = rkm->len, room = l->s->dlq_max - AM_DLQ_HEADROOM;
    record_t *r = add_record(l, l->msg, REC_DEAD_LETTER);
    char count[24];

    if (!r) {
        failed(l, l->msg);
        return;
    }
    r->metric = reason;
    r->key = rkm->key;
    r->key_len = rkm->key_len;
    r->h = am_kafka_out_headers(rd_kafka_topic_name(rkm->rkt), rkm->partition,
                                rkm->offset, 6);
    rd_kafka_header_add(r->h, "am-dlq-reason", -1, am_dlq_reason_name(reason),
                        -1);
    rd_kafka_header_add(r->h, "am-error", -1, l->first_reject, -1);
    rd_kafka_header_add(r->h, "am-input-format", -1, am_format_name(fmt), -1);
    snprintf(count, sizeof(count), "%zu", l->rejects);
    rd_kafka_header_add(r->h, "am-rejected-parts", -1, count, -1);
    if (len + rkm->key_len > room) {
        snprintf(count, sizeof(count), "%zu", len);
        rd_kafka_header_add(r->h, "am-original-length", -1, count, -1);
        rd_kafka_header_add(r->h, "am-truncated", -1, "true", -1);
        room = room > rkm->key_len ? room - rkm->key_len : 0;
        len = room < AM_DLQ_TRUNCATED_KEEP ? room : AM_DLQ_TRUNCATED_KEEP;
    }
    r->len = len;
    AM_LOG(AM_LOG_DEBUG, "dead letter %s [%d] @%lld: %s",
           rd_kafka_topic_name(rkm->rkt), (int)rkm->partition,
           (long long)rkm->offset, l->first_reject);
}

/* Decodes one message: its events are kept for match_kept(), its dead
 * letter, if any, goes into the lane's records now. */
static void process(lane_t *l, size_t msg) {
    am_service_t *s = l->s;
    const rd_kafka_message_t *rkm = s->msgs[msg];
    am_decode_sink_t sink = {on_event, on_reject, on_skip, l};
    am_decode_hint_t hint = {rd_kafka_topic_name(rkm->rkt), 0};
    am_format_t used = AM_FORMAT_JSON;
    int n;

    if (rkm->err) {
        if (rkm->err != RD_KAFKA_RESP_ERR__PARTITION_EOF)
            AM_LOG(AM_LOG_WARNING, "consumer: %s",
                   rd_kafka_message_errstr(rkm));
        return;
    }
    l->rkm = rkm;
    l->msg = msg;
    l->topic = strcmp(rd_kafka_topic_name(rkm->rkt),
                      s->cfg->topic_indicators) == 0
                   ? 0
                   : 1;
    l->rejects = 0;
    memset(l->skips, 0, sizeof(l->skips));
    l->first_reject[0] = '\0';
    n = am_decode(s->cfg->input_format, rkm->payload ? rkm->payload : "",
                  rkm->len, &hint, &l->ev, &sink, &used);
    /* Valid, but nothing in it to match on (a bundle of malware objects):
     * never dropped silently.  Expired indicators are only counted. */
    if (n == 0 && !l->rejects && !l->skips[AM_SKIP_EXPIRED]) {
        snprintf(l->first_reject, sizeof(l->first_reject),
                 "no observable: nothing in the message to match on (%zu "
                 "part%s skipped)",
                 l->skips[AM_SKIP_NOT_MATCHABLE],
                 l->skips[AM_SKIP_NOT_MATCHABLE] == 1 ? "" : "s");
        l->rejects = 1;
    }
    l->consumed[l->topic][used]++;
    if (l->rejects)
        dead_letter(l, used, n);
    l->rkm = NULL;
}

/* Adds the lane's counts to the metrics. */
static void count(lane_t *l) {
    am_metrics_t *m = l->s->metrics;

    atomic_fetch_add_explicit(&m->events, l->events, memory_order_relaxed);
    l->events = 0;
    for (int t = 0; t < AM_METRICS_TOPICS; t++)
        for (int f = 0; f < AM_FORMAT__COUNT; f++) {
            if (l->consumed[t][f])
                atomic_fetch_add_explicit(&m->consumed[t][f],
                                          l->consumed[t][f],
                                          memory_order_relaxed);
            l->consumed[t][f] = 0;
        }
}

/* Puts the chunk's records in the order of their messages, each
 * message's in the order they were made: dead letters were made while
 * decoding, notifications after.  Insertion sort: the records are in
 * order but for the few dead letters. */
static void sort_records(chunk_t *c) {
    for (size_t i = 1; i < c->n_rec; i++) {
        record_t r = c->rec[i];
        size_t j = i;

        while (j > 0 && c->rec[j - 1].msg > r.msg) {
            c->rec[j] = c->rec[j - 1];
            j--;
        }
        c->rec[j] = r;
    }
}

/* Takes the next chunk not taken yet, if any, decodes its messages and
 * then matches their events.  @returns false when none was left. */
static bool take_chunk(am_service_t *s, lane_t *l) {
    size_t k = atomic_fetch_add(&s->next_chunk, 1);

    if (k >= s->n_chunks)
        return false;
    l->c = &s->chunks[k];
    for (size_t i = l->c->first; i < l->c->last; i++)
        process(l, i);
    match_kept(l);
    sort_records(l->c);
    count(l);
    atomic_store_explicit(&l->c->done, true, memory_order_release);
    l->c = NULL;
    return true;
}

/* Produces the records of message \p i of chunk \p c, from its record
 * \p r on, tracked so that its offset is committed only after all of
 * them were acknowledged.  @returns the chunk's next record. */
static size_t produce_message(am_service_t *s, chunk_t *c, size_t i,
                              size_t r) {
    const rd_kafka_message_t *rkm = s->msgs[i];
    am_kafka_track_t *t = NULL;
    bool stop = false;

    if (!rkm->err && !(t = am_kafka_in_track(s->in, rkm)))
        AM_LOG(AM_LOG_ERR, "out of memory tracking a message");
    for (; r < c->n_rec && c->rec[r].msg == i; r++) {
        record_t *rec = &c->rec[r];
        const void *value = rec->kind == REC_DEAD_LETTER
                                ? rkm->payload
                                : c->out.data + rec->off;
        const char *topic = rec->kind == REC_DEAD_LETTER
                                ? s->cfg->topic_dead_letter
                                : s->cfg->topic_notifications;

        if (stop || !t) {
            rd_kafka_headers_destroy(rec->h);
            continue;
        }
        if (am_kafka_out_produce(s->out, topic, rec->key, rec->key_len,
                                 value, rec->len, rec->h, t) < 0) {
            stop = true; /* the entry is marked failed */
            continue;
        }
        if (rec->kind == REC_DEAD_LETTER) {
            atomic_fetch_add_explicit(&s->metrics->dead_letters[rec->metric],
                                      1, memory_order_relaxed);
        } else {
            atomic_fetch_add_explicit(&s->metrics->notifications, 1,
                                      memory_order_relaxed);
            atomic_fetch_add_explicit(&s->metrics->matches[rec->metric], 1,
                                      memory_order_relaxed);
        }
    }
    if (t && s->failed[i]) {
        /* Held for good: nothing at or after it is committed, and the
         * service stops (am_kafka_in_failed()). */
        am_kafka_track_release(s->in, t, true);
        am_kafka_track_hold(t);
    }
    s->failed[i] = false;
    if (t)
        am_kafka_track_release(s->in, t, false);
    return r;
}

/* Produces what chunk \p c made, message by message in the batch's order,
 * and frees its messages.  A message that made no record needs no track
 * entry (am_kafka_in_done()): nine in ten at 1% matching. */
static void deliver(am_service_t *s, chunk_t *c) {
    size_t r = 0;

    for (size_t i = c->first; i < c->last; i++) {
        const rd_kafka_message_t *rkm = s->msgs[i];

        if (!rkm->err && !s->failed[i] &&
            (r == c->n_rec || c->rec[r].msg != i)) {
            if (am_kafka_in_done(s->in, rkm) < 0)
                AM_LOG(AM_LOG_ERR, "out of memory tracking a message");
        } else {
            r = produce_message(s, c, i, r);
        }
        rd_kafka_message_destroy(s->msgs[i]);
        s->msgs[i] = NULL;
    }
    c->n_rec = 0;
    am_buf_reset(&c->out);
    atomic_store_explicit(&c->done, false, memory_order_relaxed);
}

/* Lane 0 is the worker's thread: it takes chunks like the others, and
 * produces each chunk, in order, as soon as it is done (and frees its
 * messages), so that producing overlaps the other lanes' matching. */
static void lane_run(void *arg, size_t lane) {
    am_service_t *s = arg;
    lane_t *l = &s->lanes[lane];
    size_t next = 0; /* the next chunk to produce */

    if (lane > 0) {
        while (take_chunk(s, l))
            ;
        return;
    }
    while (next < s->n_chunks) {
        if (atomic_load_explicit(&s->chunks[next].done,
                                 memory_order_acquire)) {
            deliver(s, &s->chunks[next++]);
            /* Delivery reports served while the other lanes match, not
             * after the batch while they wait for the next one. */
            am_kafka_out_poll(s->out, 0);
        } else if (!take_chunk(s, l) && am_kafka_out_poll(s->out, 0) == 0) {
            sched_yield(); /* its last chunks are another lane's */
        }
    }
}

/* One batch of n messages, in chunks. */
static void batch(am_service_t *s, size_t n) {
    s->n_chunks = (n + AM_CHUNK - 1) / AM_CHUNK;
    for (size_t k = 0; k < s->n_chunks; k++) {
        s->chunks[k].first = k * AM_CHUNK;
        s->chunks[k].last = n - s->chunks[k].first > AM_CHUNK
                                ? s->chunks[k].first + AM_CHUNK
                                : n;
    }
    atomic_store(&s->next_chunk, 0);
    am_pool_run(s->pool, lane_run, s,
                n >= AM_PARALLEL_MIN ? s->n_lanes : 1);
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
    time_t last_gauges = 0;
    int rc = 0;

    AM_LOG(AM_LOG_NOTICE,
           "consuming %s and %s; notifications to %s (%s); %zu matching "
           "thread%s",
           s->cfg->topic_indicators, s->cfg->topic_scan_results,
           s->cfg->topic_notifications,
           am_output_format_name(s->cfg->output_format),
           s->n_lanes, s->n_lanes == 1 ? "" : "s");
    while (!*stop && !am_kafka_in_failed(s->in)) {
        size_t n = am_kafka_in_poll(s->in, s->msgs, s->cfg->batch_size, 100);
        am_notification_now(s->match_time);
        s->now = time(NULL);
        if (s->live)
            s->m = am_live_acquire(s->live, s->slot, &s->version);
        batch(s, n);
        if (s->live)
            am_live_release(s->live, s->slot);
        am_kafka_out_poll(s->out, 0);
        am_kafka_in_store(s->in);
        if (time(NULL) != last_gauges) {
            last_gauges = time(NULL);
            gauges(s);
        }
    }

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
