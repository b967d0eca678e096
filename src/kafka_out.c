#include "kafka_out.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "decimal.h"
#include "kafka_conf.h"
#include "log.h"

struct am_kafka_out_s {
    rd_kafka_t *rk;
    am_kafka_in_t *in;
    am_metrics_t *metrics;
    uint64_t failed;      /* deliveries that failed for good */
    time_t failed_logged; /* when the last such line was written */
};

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *rkm,
                        void *opaque) {
    am_kafka_out_t *out = opaque;

    /* A broker that refuses everything fails every record in the queue at
     * once: one line a second says so, with the count. */
    if (rkm->err && out->failed++ == 0) {
        AM_LOG(AM_LOG_ERR, "delivery to %s failed for good: %s",
               rd_kafka_topic_name(rkm->rkt), rd_kafka_err2str(rkm->err));
        out->failed_logged = time(NULL);
    } else if (rkm->err && time(NULL) != out->failed_logged) {
        AM_LOG(AM_LOG_ERR,
               "delivery to %s failed for good: %s (%llu records so far)",
               rd_kafka_topic_name(rkm->rkt), rd_kafka_err2str(rkm->err),
               (unsigned long long)out->failed);
        out->failed_logged = time(NULL);
    }
    if (!rkm->_private)
        return;
    if (!rkm->err) {
        int64_t ts = am_kafka_track_timestamp(rkm->_private);
        struct timespec now;
        clock_gettime(CLOCK_REALTIME, &now);
        int64_t us = (int64_t)now.tv_sec * 1000000 + now.tv_nsec / 1000 -
                     ts * 1000;
        if (ts > 0 && us >= 0)
            am_metrics_latency(out->metrics, (uint64_t)us);
    }
    am_kafka_track_release(out->in, rkm->_private, rkm->err != 0);
}

/* librdkafka's own errors (brokers down, authentication) are logged; the
 * fatal ones (idempotence broken) make delivery impossible. */
static void on_error(rd_kafka_t *rk, int err, const char *reason,
                     void *opaque) {
    AM_LOG(err == RD_KAFKA_RESP_ERR__FATAL ? AM_LOG_ERR : AM_LOG_WARNING,
           "producer: %s: %s", rd_kafka_err2name(err), reason);
}

am_kafka_out_t *am_kafka_out_new(const am_config_t *cfg, am_kafka_in_t *in,
                                 am_metrics_t *metrics, char *err,
                                 size_t err_size) {
    am_kafka_out_t *out = calloc(1, sizeof(*out));
    rd_kafka_conf_t *conf;

    if (!out) {
        snprintf(err, err_size, "out of memory");
        return NULL;
    }
    out->in = in;
    out->metrics = metrics;
    if (!(conf = am_kafka_conf_new(cfg, AM_KAFKA_PRODUCER, err, err_size))) {
        free(out);
        return NULL;
    }
    rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
    rd_kafka_conf_set_error_cb(conf, on_error);
    rd_kafka_conf_set_opaque(conf, out);
    if (!(out->rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, err_size))) {
        rd_kafka_conf_destroy(conf);
        free(out);
        return NULL;
    }
    return out;
}

void am_kafka_out_destroy(am_kafka_out_t *out) {
    if (!out)
        return;
    /* Undelivered records are purged without their reports being served,
     * so no report reaches a track entry after this. */
    rd_kafka_purge(out->rk, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
    rd_kafka_destroy(out->rk);
    free(out);
}

int am_kafka_out_produce(am_kafka_out_t *out, const char *topic,
                         const void *key, size_t key_len, const void *value,
                         size_t value_len, rd_kafka_headers_t *hdrs,
                         am_kafka_track_t *t) {
    rd_kafka_resp_err_t e;
    bool warned = false;

    am_kafka_track_hold(t);
    for (;;) {
        e = rd_kafka_producev(
            out->rk, RD_KAFKA_V_TOPIC(topic),
            RD_KAFKA_V_KEY((void *)key, key_len),
            RD_KAFKA_V_VALUE((void *)value, value_len),
            RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
            RD_KAFKA_V_HEADERS(hdrs), RD_KAFKA_V_OPAQUE(t), RD_KAFKA_V_END);
        if (e != RD_KAFKA_RESP_ERR__QUEUE_FULL)
            break;
        if (!warned) {
            AM_LOG(AM_LOG_DEBUG, "producer queue full: waiting");
            warned = true;
        }
        rd_kafka_poll(out->rk, 100);
    }
    if (e) {
        AM_LOG(AM_LOG_ERR, "produce to %s: %s", topic, rd_kafka_err2str(e));
        if (hdrs)
            rd_kafka_headers_destroy(hdrs);
        am_kafka_track_release(out->in, t, true);
        return -1;
    }
    return 0;
}

/* A header whose name is a string literal: its length is known. */
#define ADD_HEADER(h, name, value, len)                                       \
    rd_kafka_header_add((h), name, sizeof(name) - 1, (value), (ssize_t)(len))

rd_kafka_headers_t *am_kafka_out_headers(const char *topic, int32_t partition,
                                         int64_t offset, size_t more) {
    rd_kafka_headers_t *h = rd_kafka_headers_new((topic ? 3 : 0) + more);
    char num[AM_DECIMAL_MAX], *end = num + sizeof(num), *p;

    if (!topic)
        return h;
    ADD_HEADER(h, "am-origin-topic", topic, strlen(topic));
    p = am_decimal(partition, end);
    ADD_HEADER(h, "am-origin-partition", p, end - p);
    p = am_decimal(offset, end);
    ADD_HEADER(h, "am-origin-offset", p, end - p);
    return h;
}

/* Every header costs the producer an allocation and, when its batch is
 * written, a cache miss (bench/README.md, item 28): what the value holds
 * is repeated only when output.trace_headers asks for it. */
rd_kafka_headers_t *am_kafka_out_notification_headers(
    const am_config_t *cfg, const am_notification_t *nt, const char *id,
    size_t more) {
    static const char *const content_types[] = {
        "application/json", "avro/binary",
        "application/stix+json;version=2.1"};
    const char *ct = content_types[cfg->output_format];
    const am_origin_t *o = cfg->trace_headers ? nt->origin : NULL;
    rd_kafka_headers_t *h = am_kafka_out_headers(
        o ? o->topic : NULL, o ? o->partition : 0, o ? o->offset : 0,
        2 + cfg->trace_headers + more);

    ADD_HEADER(h, "content-type", ct, strlen(ct));
    ADD_HEADER(h, "am-notification-id", id, strlen(id));
    if (cfg->trace_headers)
        ADD_HEADER(h, "am-event-id", nt->ev->id, strlen(nt->ev->id));
    return h;
}

int am_kafka_out_prepare(am_kafka_out_t *out, const char *topic,
                         int timeout_ms) {
    rd_kafka_topic_t *rkt = rd_kafka_topic_new(out->rk, topic, NULL);
    const struct rd_kafka_metadata *md = NULL;
    rd_kafka_resp_err_t e;

    if (!rkt)
        return -1;
    e = rd_kafka_metadata(out->rk, 0, rkt, &md, timeout_ms);
    if (!e && md->topic_cnt == 1)
        e = md->topics[0].err;
    if (e)
        AM_LOG(AM_LOG_WARNING, "topic %s: %s; records to it wait until it "
               "can be reached", topic, rd_kafka_err2str(e));
    if (md)
        rd_kafka_metadata_destroy(md);
    rd_kafka_topic_destroy(rkt);
    return e ? -1 : 0;
}

int am_kafka_out_poll(am_kafka_out_t *out, int timeout_ms) {
    return rd_kafka_poll(out->rk, timeout_ms);
}

int am_kafka_out_flush(am_kafka_out_t *out, int timeout_ms) {
    return rd_kafka_flush(out->rk, timeout_ms) == RD_KAFKA_RESP_ERR_NO_ERROR
               ? 0
               : -1;
}

size_t am_kafka_out_queue_len(am_kafka_out_t *out) {
    return (size_t)rd_kafka_outq_len(out->rk);
}

rd_kafka_t *am_kafka_out_handle(am_kafka_out_t *out) {
    return out->rk;
}
