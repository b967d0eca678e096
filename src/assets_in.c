/*
 * assets_in: see assets_in.h.
 */
#include "assets_in.h"

#include <avro.h>
#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <time.h>

#include "avro_schema.h"
#include "utf8.h"
#include "kafka_conf.h"
#include "kafka_out.h"
#include "log.h"

#define AM_ASSETS_FLUSH_MS 10000

/* ---- one record ----------------------------------------------------------- */

enum { F_TENANT, F_ASSET, F_KIND, F_VALUE, F_INC, F_VER, F_N };
static const char *const names[F_N] = {
    "tenant_id", "asset_id", "kind", "value", "include_subdomains",
    "verified"};

/* The fields of a record as text (NULL: absent), in tmp when converted. */
typedef struct fields_s {
    const char *v[F_N];
    size_t n[F_N];
    char tmp[F_N][24];
} fields_t;

static int from_json(const void *value, size_t len, json_t **root,
                     fields_t *f, char *reason, size_t size) {
    json_error_t je;

    *root = json_loadb(value, len, JSON_REJECT_DUPLICATES, &je);
    if (!*root || !json_is_object(*root)) {
        snprintf(reason, size, "value: not a JSON object: %s",
                 *root ? "another JSON value" : je.text);
        return -1;
    }
    for (int i = 0; i < F_N; i++) {
        json_t *v = json_object_get(*root, names[i]);
        if (!v || json_is_null(v))
            continue;
        if (json_is_string(v)) {
            f->v[i] = json_string_value(v);
            f->n[i] = json_string_length(v);
        } else if (json_is_boolean(v) || json_is_integer(v)) {
            f->n[i] = (size_t)(json_is_boolean(v)
                                   ? snprintf(f->tmp[i], 24, "%s",
                                              json_is_true(v) ? "true"
                                                              : "false")
                                   : snprintf(f->tmp[i], 24, "%lld",
                                              (long long)json_integer_value(
                                                  v)));
            f->v[i] = f->tmp[i];
        } else {
            snprintf(reason, size,
                     "field '%s': must be a string, number or boolean",
                     names[i]);
            return -1;
        }
    }
    return 0;
}

/* Avro's zig-zag varint. */
static int varint(const unsigned char **p, const unsigned char *end,
                  int64_t *out) {
    uint64_t u = 0;

    for (int shift = 0; shift < 64; shift += 7) {
        if (*p >= end)
            return -1;
        u |= (uint64_t)(**p & 0x7f) << shift;
        if (!(*(*p)++ & 0x80)) {
            *out = (int64_t)(u >> 1) ^ -(int64_t)(u & 1);
            return 0;
        }
    }
    return -1;
}

/* Walks an Asset record of asset.avsc at [p, end): the fields in the
 * schema's order, each a string, an enum or a boolean (what asset.avsc
 * holds), bounds-checked here rather than trusting avro-c's reader with
 * input from outside. */
static int avro_walk(avro_schema_t sch, const unsigned char *p,
                     const unsigned char *end, fields_t *f, char *reason,
                     size_t size) {
    size_t nf = avro_schema_record_size(sch);

    for (size_t i = 0; i < nf; i++) {
        avro_schema_t t = avro_schema_record_field_get_by_index(sch, (int)i);
        const char *name = avro_schema_record_field_name(sch, (int)i);
        int slot = -1;
        int64_t x;
        for (int k = 0; k < F_N; k++)
            if (!strcmp(name, names[k]))
                slot = k;
        if (is_avro_string(t)) {
            if (varint(&p, end, &x) < 0 || x < 0 || x > end - p) {
                snprintf(reason, size, "Avro: field '%s': bad length",
                         name);
                return -1;
            }
            if (am_utf8_text_len(p, (size_t)x) < (size_t)x) {
                snprintf(reason, size, "Avro: field '%s': not UTF-8", name);
                return -1;
            }
            if (slot >= 0) {
                f->v[slot] = (const char *)p;
                f->n[slot] = (size_t)x;
            }
            p += x;
        } else if (is_avro_enum(t)) {
            const char *sym;
            if (varint(&p, end, &x) < 0 || x < 0 ||
                x >= avro_schema_enum_number_of_symbols(t) ||
                !(sym = avro_schema_enum_get(t, (int)x))) {
                snprintf(reason, size, "Avro: field '%s': bad enum index",
                         name);
                return -1;
            }
            if (slot >= 0) {
                f->v[slot] = sym;
                f->n[slot] = strlen(sym);
            }
        } else if (is_avro_boolean(t)) {
            if (p >= end || *p > 1) {
                snprintf(reason, size, "Avro: field '%s': bad boolean",
                         name);
                return -1;
            }
            if (slot >= 0) {
                f->v[slot] = *p ? "true" : "false";
                f->n[slot] = strlen(f->v[slot]);
            }
            p++;
        } else {
            snprintf(reason, size, "Avro: field '%s': type not supported",
                     name);
            return -1;
        }
    }
    if (p != end) {
        snprintf(reason, size, "Avro: %td bytes after the record", end - p);
        return -1;
    }
    return 0;
}

static int from_avro(const void *value, size_t len, fields_t *f,
                     char *reason, size_t size) {
    const unsigned char *b = value, *end = b + len;
    avro_schema_t sch = am_avro_schema_get(AM_AVRO_SCHEMA_ASSET, reason,
                                           size);
    fields_t framed = *f;
    char why[256];

    if (!sch)
        return -1;
    /* A record may begin with 0x00 (an empty tenant_id), so framing is
     * tried first and bare reading after it, as decode_avro.c does. */
    if (len >= 5 && b[0] == 0 &&
        avro_walk(sch, b + 5, end, &framed, why, sizeof(why)) == 0) {
        *f = framed;
        return 0;
    }
    return avro_walk(sch, b, end, f, reason, size);
}

/* Splits "tenant/asset" at its first '/'. */
static int split_key(const char *k, size_t n, const char **asset,
                     size_t *tenant_len, size_t *asset_len) {
    const char *slash = k ? memchr(k, '/', n) : NULL;

    if (!slash || slash == k || slash == k + n - 1)
        return -1;
    *tenant_len = (size_t)(slash - k);
    *asset = slash + 1;
    *asset_len = n - *tenant_len - 1;
    return 0;
}

static bool same(const char *a, size_t an, const char *b, size_t bn) {
    return an == bn && !memcmp(a, b, an);
}

int am_assets_apply(am_live_t *live, const void *key, size_t key_len,
                    const void *value, size_t value_len, int64_t ts_ms,
                    char *reason, size_t size) {
    const char *k = key, *asset;
    size_t tl, al;
    fields_t f;
    json_t *root = NULL;
    const unsigned char *v = value;
    size_t i = 0;
    int rc;

    if (split_key(k, key_len, &asset, &tl, &al) < 0) {
        snprintf(reason, size, "key: '%.*s' is not tenant_id/asset_id",
                 (int)(key_len > 200 ? 200 : key_len), k ? k : "");
        return -1;
    }
    if (!value || !value_len) {
        am_live_remove(live, k, tl, asset, al, ts_ms);
        return 0;
    }
    memset(&f, 0, sizeof(f));
    while (i < value_len && (v[i] == ' ' || v[i] == '\t' || v[i] == '\n' ||
                             v[i] == '\r'))
        i++;
    if (i < value_len && v[i] == '{')
        rc = from_json(value, value_len, &root, &f, reason, size);
    else
        rc = from_avro(value, value_len, &f, reason, size);
    if (rc == 0 && (!same(f.v[F_TENANT] ? f.v[F_TENANT] : "",
                          f.n[F_TENANT], k, tl) ||
                    !same(f.v[F_ASSET] ? f.v[F_ASSET] : "", f.n[F_ASSET],
                          asset, al))) {
        snprintf(reason, size,
                 "key '%.*s' and value (tenant_id '%.*s', asset_id '%.*s') "
                 "name different assets",
                 (int)(key_len > 200 ? 200 : key_len), k,
                 (int)(f.n[F_TENANT] > 100 ? 100 : f.n[F_TENANT]),
                 f.v[F_TENANT] ? f.v[F_TENANT] : "",
                 (int)(f.n[F_ASSET] > 100 ? 100 : f.n[F_ASSET]),
                 f.v[F_ASSET] ? f.v[F_ASSET] : "");
        rc = -1;
    }
    if (rc == 0) {
        am_asset_input_t in = {k, tl, asset, al,
                               f.v[F_KIND] ? f.v[F_KIND] : "", f.n[F_KIND],
                               f.v[F_VALUE] ? f.v[F_VALUE] : "",
                               f.n[F_VALUE], f.v[F_INC], f.n[F_INC],
                               f.v[F_VER], f.n[F_VER]};
        rc = am_live_upsert(live, &in, ts_ms, reason, size);
    }
    json_decref(root);
    return rc;
}

/* ---- the reader ------------------------------------------------------------- */

typedef struct part_s {
    int32_t id;
    int64_t end; /* high watermark at start */
    bool done;
} part_t;

struct am_assets_in_s {
    const am_config_t *cfg;
    am_live_t *live;
    am_metrics_t *metrics;
    rd_kafka_t *rk;   /* consumer */
    rd_kafka_t *prod; /* dead letters, retroactive notifications */
    part_t *parts;
    size_t n_parts, left;
    atomic_bool ready;
    atomic_bool stop;
    pthread_t thread;
    bool started;
};

static void dead_letter(am_assets_in_t *ai, const rd_kafka_message_t *rkm,
                        const char *reason) {
    rd_kafka_headers_t *h = am_kafka_out_headers(
        rd_kafka_topic_name(rkm->rkt), rkm->partition, rkm->offset, 2);
    rd_kafka_resp_err_t e;

    rd_kafka_header_add(h, "am-dlq-reason", -1, "invalid_asset", -1);
    rd_kafka_header_add(h, "am-error", -1, reason, -1);
    AM_LOG(AM_LOG_WARNING, "assets [%d] @%lld: %s", (int)rkm->partition,
           (long long)rkm->offset, reason);
    e = rd_kafka_producev(ai->prod, RD_KAFKA_V_TOPIC(ai->cfg->topic_dead_letter),
                          RD_KAFKA_V_KEY(rkm->key, rkm->key_len),
                          RD_KAFKA_V_VALUE(rkm->payload, rkm->len),
                          RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                          RD_KAFKA_V_HEADERS(h), RD_KAFKA_V_END);
    if (e) {
        rd_kafka_headers_destroy(h);
        AM_LOG(AM_LOG_ERR, "assets: dead letter not produced: %s",
               rd_kafka_err2str(e));
        return;
    }
    if (ai->metrics)
        atomic_fetch_add_explicit(&ai->metrics->asset_dead_letters, 1,
                                  memory_order_relaxed);
}

static void reached(am_assets_in_t *ai, int32_t partition, int64_t next) {
    for (size_t i = 0; i < ai->n_parts; i++)
        if (ai->parts[i].id == partition && !ai->parts[i].done &&
            next >= ai->parts[i].end) {
            ai->parts[i].done = true;
            ai->left--;
        }
}

static void caught_up(am_assets_in_t *ai) {
    if (am_live_sync(ai->live) < 0)
        AM_LOG(AM_LOG_ERR, "assets: the matcher could not be rebuilt");
    AM_LOG(AM_LOG_NOTICE, "assets: caught up with %s (inventory version "
           "%llu)", ai->cfg->topic_assets,
           (unsigned long long)am_live_version(ai->live));
    atomic_store(&ai->ready, true);
}

static void handle(am_assets_in_t *ai, const rd_kafka_message_t *rkm) {
    char reason[512];
    rd_kafka_timestamp_type_t tt;
    int64_t ts;

    if (rkm->err) {
        if (rkm->err == RD_KAFKA_RESP_ERR__PARTITION_EOF)
            reached(ai, rkm->partition, rkm->offset);
        else
            AM_LOG(AM_LOG_WARNING, "assets consumer: %s",
                   rd_kafka_message_errstr(rkm));
        return;
    }
    ts = rd_kafka_message_timestamp(rkm, &tt);
    if (am_assets_apply(ai->live, rkm->key, rkm->key_len, rkm->payload,
                        rkm->len, ts > 0 ? ts : am_live_now_ms(), reason,
                        sizeof(reason)) < 0)
        dead_letter(ai, rkm, reason);
    reached(ai, rkm->partition, rkm->offset + 1);
}

static void *run(void *arg) {
    am_assets_in_t *ai = arg;

    if (!ai->left)
        caught_up(ai);
    while (!atomic_load(&ai->stop)) {
        rd_kafka_message_t *rkm = rd_kafka_consumer_poll(ai->rk, 100);
        bool was = ai->left > 0;
        if (rkm) {
            handle(ai, rkm);
            rd_kafka_message_destroy(rkm);
        }
        if (was && !ai->left)
            caught_up(ai);
        rd_kafka_poll(ai->prod, 0);
    }
    return NULL;
}

/* Right after a topic is created, or while a leader moves, a partition
 * answers "not leader" for a moment: such errors are retried for up to
 * 30 s before the start fails. */
static bool retriable(rd_kafka_resp_err_t e) {
    return e == RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION ||
           e == RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE ||
           e == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART ||
           e == RD_KAFKA_RESP_ERR__TIMED_OUT ||
           e == RD_KAFKA_RESP_ERR__TRANSPORT ||
           e == RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION ||
           e == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN;
}

static rd_kafka_resp_err_t query_ends(am_assets_in_t *ai, int32_t part,
                                      int64_t *lo, int64_t *hi) {
    rd_kafka_resp_err_t e;

    for (int tries = 0;; tries++) {
        e = rd_kafka_query_watermark_offsets(ai->rk, ai->cfg->topic_assets,
                                             part, lo, hi, 10000);
        if (!e || !retriable(e) || tries == 150)
            return e;
        if (tries == 0)
            AM_LOG(AM_LOG_NOTICE, "assets topic %s [%d]: %s; retrying",
                   ai->cfg->topic_assets, (int)part, rd_kafka_err2str(e));
        usleep(200 * 1000);
    }
}

/* The partitions of the topic and their end offsets now. */
static int discover(am_assets_in_t *ai, char *err, size_t err_size) {
    const rd_kafka_metadata_t *md = NULL;
    rd_kafka_topic_t *rkt = rd_kafka_topic_new(ai->rk, ai->cfg->topic_assets,
                                               NULL);
    rd_kafka_resp_err_t e;
    int rc = 0;

    e = rd_kafka_metadata(ai->rk, 0, rkt, &md, 10000);
    if (e || md->topic_cnt != 1) {
        snprintf(err, err_size, "assets topic %s: metadata: %s",
                 ai->cfg->topic_assets, rd_kafka_err2str(e));
        rc = -1;
    } else if (md->topics[0].err) {
        AM_LOG(AM_LOG_WARNING, "assets topic %s: %s; taken as empty",
               ai->cfg->topic_assets, rd_kafka_err2str(md->topics[0].err));
    } else {
        const rd_kafka_metadata_topic_t *t = &md->topics[0];
        ai->parts = calloc((size_t)t->partition_cnt + 1, sizeof(part_t));
        for (int i = 0; ai->parts && i < t->partition_cnt; i++) {
            int64_t lo = 0, hi = 0;
            part_t *p = &ai->parts[ai->n_parts++];
            p->id = t->partitions[i].id;
            e = query_ends(ai, p->id, &lo, &hi);
            if (e) {
                snprintf(err, err_size, "assets topic %s [%d]: %s",
                         ai->cfg->topic_assets, (int)p->id,
                         rd_kafka_err2str(e));
                rc = -1;
                break;
            }
            p->end = hi;
            p->done = hi <= lo;
            if (!p->done)
                ai->left++;
        }
        if (!ai->parts) {
            snprintf(err, err_size, "out of memory");
            rc = -1;
        }
    }
    if (md)
        rd_kafka_metadata_destroy(md);
    rd_kafka_topic_destroy(rkt);
    return rc;
}

static int assign_all(am_assets_in_t *ai, char *err, size_t err_size) {
    rd_kafka_topic_partition_list_t *l =
        rd_kafka_topic_partition_list_new((int)ai->n_parts + 1);
    rd_kafka_resp_err_t e;

    for (size_t i = 0; i < ai->n_parts; i++)
        rd_kafka_topic_partition_list_add(l, ai->cfg->topic_assets,
                                          ai->parts[i].id)
            ->offset = RD_KAFKA_OFFSET_BEGINNING;
    e = rd_kafka_assign(ai->rk, l);
    rd_kafka_topic_partition_list_destroy(l);
    if (e) {
        snprintf(err, err_size, "assets: assign: %s", rd_kafka_err2str(e));
        return -1;
    }
    return 0;
}

/* Outside the group: nothing is committed, and partition EOF tells when
 * a partition has been read up to its end. */
static rd_kafka_conf_t *consumer_conf(const am_config_t *cfg, char *err,
                                      size_t err_size) {
    rd_kafka_conf_t *conf = am_kafka_conf_new(cfg, AM_KAFKA_CONSUMER, err,
                                              err_size);
    if (conf &&
        (rd_kafka_conf_set(conf, "enable.auto.commit", "false", err,
                           err_size) != RD_KAFKA_CONF_OK ||
         rd_kafka_conf_set(conf, "enable.partition.eof", "true", err,
                           err_size) != RD_KAFKA_CONF_OK)) {
        rd_kafka_conf_destroy(conf);
        return NULL;
    }
    return conf;
}

am_assets_in_t *am_assets_in_new(const am_config_t *cfg, am_live_t *live,
                                 am_metrics_t *metrics, char *err,
                                 size_t err_size) {
    am_assets_in_t *ai = calloc(1, sizeof(*ai));
    rd_kafka_conf_t *conf;

    if (!ai) {
        snprintf(err, err_size, "out of memory");
        return NULL;
    }
    ai->cfg = cfg;
    ai->live = live;
    ai->metrics = metrics;
    if (!(conf = consumer_conf(cfg, err, err_size)))
        goto fail;
    if (!(ai->rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, err_size))) {
        rd_kafka_conf_destroy(conf);
        goto fail;
    }
    rd_kafka_poll_set_consumer(ai->rk);
    if (!(conf = am_kafka_conf_new(cfg, AM_KAFKA_PRODUCER, err, err_size)))
        goto fail;
    if (!(ai->prod = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, err_size))) {
        rd_kafka_conf_destroy(conf);
        goto fail;
    }
    if (discover(ai, err, err_size) < 0 ||
        (ai->n_parts && assign_all(ai, err, err_size) < 0))
        goto fail;
    AM_LOG(AM_LOG_INFO, "assets: reading %s (%zu partitions, %zu to catch "
           "up with)", cfg->topic_assets, ai->n_parts, ai->left);
    if (pthread_create(&ai->thread, NULL, run, ai) != 0) {
        snprintf(err, err_size, "cannot start the assets thread");
        goto fail;
    }
    ai->started = true;
    return ai;
fail:
    am_assets_in_destroy(ai);
    return NULL;
}

bool am_assets_in_ready(am_assets_in_t *ai) {
    return atomic_load(&ai->ready);
}

int am_assets_in_wait_ready(am_assets_in_t *ai, volatile sig_atomic_t *stop) {
    while (!atomic_load(&ai->ready)) {
        if (*stop)
            return -1;
        nanosleep(&(struct timespec){0, 10000000}, NULL);
    }
    return 0;
}

rd_kafka_t *am_assets_in_producer(am_assets_in_t *ai) {
    return ai->prod;
}

void am_assets_in_destroy(am_assets_in_t *ai) {
    if (!ai)
        return;
    if (ai->started) {
        atomic_store(&ai->stop, true);
        pthread_join(ai->thread, NULL);
    }
    if (ai->rk) {
        rd_kafka_consumer_close(ai->rk);
        rd_kafka_destroy(ai->rk);
    }
    if (ai->prod) {
        if (rd_kafka_flush(ai->prod, AM_ASSETS_FLUSH_MS))
            AM_LOG(AM_LOG_WARNING, "assets: %d records not delivered",
                   rd_kafka_outq_len(ai->prod));
        rd_kafka_destroy(ai->prod);
    }
    free(ai->parts);
    free(ai);
}
