#include "kafka_conf.h"

#include <stdio.h>
#include <string.h>

#include "log.h"

typedef struct kv_s {
    const char *name;
    const char *value;
} kv_t;

/* Defaults an operator may change. */
static const kv_t consumer_defaults[] = {
    {"group.id", "assetmatch"},
    /* A new group starts at the beginning: librdkafka's default, latest,
     * would skip what arrived before the first commit. */
    {"auto.offset.reset", "earliest"},
    {"auto.commit.interval.ms", "1000"},
    /* The prefetch.  Once it is full, librdkafka 2.0.2 stops fetching
     * until its broker thread wakes (kafka_in.c wakes it when the queue
     * has drained).  Both bounds apply to the consumer's one queue.  A
     * smaller prefetch costs rate: 100000 messages and 64 MB read a long
     * Avro backlog at 0.8 of this one's rate (bench/README.md items 17
     * and 26). */
    {"queued.min.messages", "300000"},
    {"queued.max.messages.kbytes", "131072"},
    {"fetch.wait.max.ms", "100"},
};
static const kv_t producer_defaults[] = {
    /* Each partition's batch waits this long for more records.  10 ms
     * against 5 took 5-9% less of the service's CPU an event (fewer,
     * larger batches: fewer wake-ups of the producer's thread, fewer
     * requests) for ~6 ms more p99 latency (bench/README.md item 27). */
    {"linger.ms", "10"},
    {"batch.num.messages", "10000"},
    {"compression.type", "lz4"},
    {"queue.buffering.max.messages", "200000"},
};

/* What at-least-once rests on: offsets are stored by us only after every
 * record an input message caused was acknowledged, and committed from what
 * is stored; the producer neither loses nor reorders on retries. */
static const kv_t consumer_fixed[] = {
    {"enable.auto.offset.store", "false"},
    {"enable.auto.commit", "true"},
};
static const kv_t producer_fixed[] = {
    {"enable.idempotence", "true"},
    {"acks", "all"},
    /* One request in flight per broker.  With more, librdkafka 2.0.2
     * loses records with a successful delivery report: a first batch to a
     * partition fails (NOT_LEADER right after the topic was created), the
     * batch behind it succeeds, and the client counts the first "implicitly
     * acked by subsequent batch success", while Kafka took the second as
     * the producer's first write there.  Seen on Apache Kafka 4.1.1 in the
     * tests' input producer, and on the mock cluster in the service's
     * (bench/README.md, "Finding: records lost with more than one request
     * in flight"). */
    {"max.in.flight.requests.per.connection", "1"},
};

static int set(rd_kafka_conf_t *conf, const char *name, const char *value,
               char *err, size_t err_size) {
    char why[256];

    if (rd_kafka_conf_set(conf, name, value, why, sizeof(why)) !=
        RD_KAFKA_CONF_OK) {
        snprintf(err, err_size, "kafka.%s: %s", name, why);
        return -1;
    }
    return 0;
}

rd_kafka_conf_t *am_kafka_conf_new(const am_config_t *cfg,
                                   am_kafka_scope_t role, char *err,
                                   size_t err_size) {
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    const kv_t *defs = role == AM_KAFKA_CONSUMER ? consumer_defaults
                                                 : producer_defaults;
    const kv_t *fixed =
        role == AM_KAFKA_CONSUMER ? consumer_fixed : producer_fixed;
    size_t n_defs = role == AM_KAFKA_CONSUMER
                        ? sizeof(consumer_defaults) / sizeof(kv_t)
                        : sizeof(producer_defaults) / sizeof(kv_t);
    size_t n_fixed = role == AM_KAFKA_CONSUMER
                         ? sizeof(consumer_fixed) / sizeof(kv_t)
                         : sizeof(producer_fixed) / sizeof(kv_t);

    for (size_t i = 0; i < n_defs; i++)
        if (set(conf, defs[i].name, defs[i].value, err, err_size) < 0)
            goto fail;
    if (role == AM_KAFKA_CONSUMER) {
        char unknown[256]; /* 2.0.2's answer: no such setting */
        rd_kafka_conf_set(conf, AM_KAFKA_FETCH_BACKOFF, "10", unknown,
                          sizeof(unknown));
    }
    for (size_t i = 0; i < cfg->n_kafka; i++) {
        const am_kafka_prop_t *p = &cfg->kafka[i];
        if (p->scope != AM_KAFKA_BOTH && p->scope != role)
            continue;
        /* Consumer-only properties on the producer (and the reverse) only
         * make librdkafka warn; group.id is needed by the consumer alone. */
        if (role == AM_KAFKA_PRODUCER && p->scope == AM_KAFKA_BOTH &&
            (!strcmp(p->name, "group.id") ||
             !strncmp(p->name, "auto.", 5) ||
             !strncmp(p->name, "enable.auto.", 12)))
            continue;
        for (size_t f = 0; f < n_fixed; f++)
            if (!strcmp(p->name, fixed[f].name) &&
                strcmp(p->value, fixed[f].value))
                AM_LOG(AM_LOG_WARNING,
                       "kafka.%s = %s ignored: assetmatch needs %s for "
                       "at-least-once delivery",
                       p->name, p->value, fixed[f].value);
        if (set(conf, p->name, p->value, err, err_size) < 0)
            goto fail;
    }
    for (size_t i = 0; i < n_fixed; i++)
        if (set(conf, fixed[i].name, fixed[i].value, err, err_size) < 0)
            goto fail;
    return conf;
fail:
    rd_kafka_conf_destroy(conf);
    return NULL;
}
