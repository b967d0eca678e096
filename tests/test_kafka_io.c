/*
 * kafka_in / kafka_out against the mock cluster, in this process: what
 * their callers rely on beyond the service suite (tests/test_service.c).
 */
#include <criterion/criterion.h>

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "devbroker.h"
#include "kafka_in.h"
#include "kafka_out.h"
#include "metrics.h"

static am_devbroker_t *db;
static am_config_t cfg;

static void setup(void) {
    char err[256];

    db = am_devbroker_start(1, 4, "in,out", err, sizeof(err));
    cr_assert(db, "%s", err);
    am_config_init(&cfg);
    cr_assert_eq(am_config_set(&cfg, "kafka.bootstrap.servers",
                               am_devbroker_bootstraps(db), err,
                               sizeof(err)),
                 0, "%s", err);
    cr_assert_eq(am_config_set(&cfg, "kafka.group.id", "t", err,
                               sizeof(err)),
                 0, "%s", err);
}

static void teardown(void) {
    am_config_free(&cfg);
    am_devbroker_stop(db);
}

TestSuite(kafka_io, .init = setup, .fini = teardown, .timeout = 60);

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A producer to the dev broker, with \p n settings (name, value, ...). */
static rd_kafka_t *producer(const char *const *settings, size_t n) {
    rd_kafka_conf_t *c = rd_kafka_conf_new();
    char err[256];
    rd_kafka_t *rk;

    cr_assert_eq(rd_kafka_conf_set(c, "bootstrap.servers",
                                   am_devbroker_bootstraps(db), err,
                                   sizeof(err)),
                 RD_KAFKA_CONF_OK);
    for (size_t i = 0; i + 1 < n; i += 2)
        cr_assert_eq(rd_kafka_conf_set(c, settings[i], settings[i + 1], err,
                                       sizeof(err)),
                     RD_KAFKA_CONF_OK, "%s", err);
    cr_assert((rk = rd_kafka_new(RD_KAFKA_PRODUCER, c, err, sizeof(err))));
    return rk;
}

/* Produces \p value to \p partition of \p topic (RD_KAFKA_PARTITION_UA:
 * any). */
static void produce_to(const char *topic, int32_t partition,
                       const char *value) {
    rd_kafka_t *rk = producer(NULL, 0);

    cr_assert_eq(rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(topic),
                                   RD_KAFKA_V_PARTITION(partition),
                                   RD_KAFKA_V_VALUE((void *)value,
                                                    strlen(value)),
                                   RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                                   RD_KAFKA_V_END),
                 0);
    cr_assert_eq(rd_kafka_flush(rk, 10000), 0);
    rd_kafka_destroy(rk);
}

static void produce(const char *topic, const char *value) {
    produce_to(topic, RD_KAFKA_PARTITION_UA, value);
}

/* A consumer of "in" that has joined the group and fetched the one message
 * produced with \p value, returned in *first. */
static am_kafka_in_t *join_with(const char *value,
                                rd_kafka_message_t **first) {
    const char *topics[] = {"in"};
    char err[256];
    am_kafka_in_t *in = am_kafka_in_new(&cfg, NULL, NULL, err, sizeof(err));
    size_t n = 0;

    cr_assert(in, "%s", err);
    cr_assert_eq(am_kafka_in_subscribe(in, topics, 1, err, sizeof(err)), 0,
                 "%s", err);
    produce("in", value);
    for (double t = now_s(); n == 0 && now_s() - t < 30;)
        n = am_kafka_in_poll(in, first, 1, 100);
    cr_assert_eq(n, 1);
    return in;
}

/* A message already fetched is returned at once, not after the whole wait
 * for a full batch (which put up to the wait on every message's latency
 * at a low rate). */
Test(kafka_io, poll_returns_what_is_there_without_waiting_for_a_batch) {
    rd_kafka_message_t *msgs[1000];
    am_kafka_in_t *in = join_with("first", msgs);
    size_t n;
    double t;

    cr_assert_eq(msgs[0]->len, 5);
    rd_kafka_message_destroy(msgs[0]);

    produce("in", "second");
    /* Fetched within a fetch wait (100 ms); the call may wait 20 s. */
    t = now_s();
    n = am_kafka_in_poll(in, msgs, 1000, 20000);
    t = now_s() - t;
    cr_assert_eq(n, 1);
    cr_assert(memcmp(msgs[0]->payload, "second", 6) == 0);
    rd_kafka_message_destroy(msgs[0]);
    cr_assert_lt(t, 10.0, "one message waited %.1f s for a batch to fill",
                 t);
    am_kafka_in_destroy(in);
}

Test(kafka_io, prepare_knows_a_topic_and_warns_of_an_unreachable_cluster) {
    char err[256];
    am_metrics_t m;
    am_kafka_out_t *out;

    memset(&m, 0, sizeof(m));
    cr_assert((out = am_kafka_out_new(&cfg, NULL, &m, err, sizeof(err))),
              "%s", err);
    cr_assert_eq(am_kafka_out_prepare(out, "out", 10000), 0);
    am_kafka_out_destroy(out);

    /* Nothing listens on port 1. */
    cr_assert_eq(am_config_set(&cfg, "kafka.bootstrap.servers",
                               "127.0.0.1:1", err, sizeof(err)),
                 0);
    cr_assert((out = am_kafka_out_new(&cfg, NULL, &m, err, sizeof(err))),
              "%s", err);
    cr_assert_eq(am_kafka_out_prepare(out, "out", 300), -1);
    am_kafka_out_destroy(out);
}

/* The dev broker: NAME:N gives that topic N partitions; a bad count is an
 * error naming the topic. */
Test(kafka_io, devbroker_topic_partition_counts) {
    char err[256];
    am_devbroker_t *d = am_devbroker_start(1, 3, "plain,few:2", err,
                                           sizeof(err));
    rd_kafka_conf_t *c = rd_kafka_conf_new();
    const struct rd_kafka_metadata *md;
    rd_kafka_t *rk;

    cr_assert(d, "%s", err);
    rd_kafka_conf_set(c, "bootstrap.servers", am_devbroker_bootstraps(d),
                      NULL, 0);
    cr_assert((rk = rd_kafka_new(RD_KAFKA_PRODUCER, c, err, sizeof(err))));
    cr_assert_eq(rd_kafka_metadata(rk, 1, NULL, &md, 10000), 0);
    for (int i = 0; i < md->topic_cnt; i++) {
        if (!strcmp(md->topics[i].topic, "plain"))
            cr_expect_eq(md->topics[i].partition_cnt, 3);
        else if (!strcmp(md->topics[i].topic, "few"))
            cr_expect_eq(md->topics[i].partition_cnt, 2);
    }
    cr_expect_eq(md->topic_cnt, 2);
    rd_kafka_metadata_destroy(md);
    rd_kafka_destroy(rk);
    am_devbroker_stop(d);

    cr_assert_null(am_devbroker_start(1, 3, "ok,bad:x", err, sizeof(err)));
    cr_assert_str_eq(err,
                     "topic bad: 'x' is not a partition count (1..10000)");
}

/* Closing with the cluster gone ends in bounded time: the group cannot be
 * left, and a service stopped while its brokers were down waited in
 * rd_kafka_consumer_close() for the group session to time out (45 s
 * here), and once was still in it 20 min later. */
Test(kafka_io, close_ends_when_the_cluster_is_gone) {
    rd_kafka_message_t *msgs[1];
    am_kafka_in_t *in = join_with("x", msgs);
    am_kafka_track_t *tr;
    double t;

    /* Done with, so that closing has an offset to commit. */
    cr_assert((tr = am_kafka_in_track(in, msgs[0])));
    am_kafka_track_release(in, tr, false);
    am_kafka_in_store(in);
    rd_kafka_message_destroy(msgs[0]);
    am_devbroker_stop(db);
    db = NULL;
    t = now_s();
    am_kafka_in_destroy(in);
    t = now_s() - t;
    cr_assert_lt(t, 20.0, "closing took %.1f s", t);
}

/* The offset committed for partition 0 of "in" (-1001: none yet). */
static int64_t committed(am_kafka_in_t *in) {
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(1);
    int64_t off;

    rd_kafka_topic_partition_list_add(l, "in", 0);
    cr_assert_eq(am_kafka_in_commit(in), 0);
    cr_assert_eq(rd_kafka_committed(am_kafka_in_handle(in), l, 10000), 0);
    off = l->elems[0].offset;
    rd_kafka_topic_partition_list_destroy(l);
    return off;
}

/* A message that caused no record has no entry of its own: its offset
 * waits for the messages before it that still wait for records, and is
 * stored at once when there are none. */
Test(kafka_io, a_message_without_records_waits_for_those_before_it) {
    const char *topics[] = {"in"};
    rd_kafka_message_t *msgs[3];
    char err[256];
    am_kafka_in_t *in = am_kafka_in_new(&cfg, NULL, NULL, err, sizeof(err));
    am_kafka_track_t *tr;
    size_t n = 0;

    cr_assert(in, "%s", err);
    cr_assert_eq(am_kafka_in_subscribe(in, topics, 1, err, sizeof(err)), 0,
                 "%s", err);
    produce_to("in", 0, "a");
    produce_to("in", 0, "b");
    produce_to("in", 0, "c");
    for (double t = now_s(); n < 3 && now_s() - t < 30;)
        n += am_kafka_in_poll(in, msgs + n, 3 - n, 100);
    cr_assert_eq(n, 3);
    for (int i = 0; i < 3; i++)
        cr_assert_eq(msgs[i]->offset, i);

    /* "a" waits for a record; "b" caused none. */
    cr_assert((tr = am_kafka_in_track(in, msgs[0])));
    am_kafka_track_hold(tr);
    am_kafka_track_release(in, tr, false);
    cr_assert_eq(am_kafka_in_done(in, msgs[1]), 0);
    cr_assert_eq(committed(in), RD_KAFKA_OFFSET_INVALID);

    /* The record of "a" acknowledged: both are done. */
    am_kafka_track_release(in, tr, false);
    cr_assert_eq(committed(in), 2);

    /* Nothing in flight: "c" is stored at once. */
    cr_assert_eq(am_kafka_in_done(in, msgs[2]), 0);
    cr_assert_eq(committed(in), 3);
    for (int i = 0; i < 3; i++)
        rd_kafka_message_destroy(msgs[i]);
    am_kafka_in_destroy(in);
}

/* Produces \p n messages round the 4 partitions of "in", \p per_set in
 * each message set: the mock cluster answers a fetch with one set of each
 * partition. */
static void produce_sets(int n, int per_set) {
    char num[16];
    const char *settings[] = {"batch.num.messages", num, "linger.ms", "1000"};
    rd_kafka_t *rk;

    snprintf(num, sizeof(num), "%d", per_set);
    rk = producer(settings, 4);
    for (int i = 0; i < n; i++)
        cr_assert_eq(rd_kafka_producev(rk, RD_KAFKA_V_TOPIC("in"),
                                       RD_KAFKA_V_PARTITION(i % 4),
                                       RD_KAFKA_V_VALUE("backlog", 7),
                                       RD_KAFKA_V_MSGFLAGS(
                                           RD_KAFKA_MSG_F_COPY),
                                       RD_KAFKA_V_END),
                     0);
    cr_assert_eq(rd_kafka_flush(rk, 10000), 0);
    rd_kafka_destroy(rk);
}

/* The seconds a consumer with \p setting at \p value takes to read 4,000
 * messages in sets of 100 a partition, from its first fetch on (joining
 * the group takes its own time). */
static double read_backlog(const char *setting, const char *value) {
    const char *topics[] = {"in"};
    rd_kafka_message_t *msgs[1000];
    char err[256];
    am_kafka_in_t *in;
    size_t n = 0;
    double t = 0;

    cr_assert_eq(am_config_set(&cfg, setting, value, err, sizeof(err)), 0,
                 "%s", err);
    produce_sets(4000, 100);
    cr_assert((in = am_kafka_in_new(&cfg, NULL, NULL, err, sizeof(err))),
              "%s", err);
    cr_assert_eq(am_kafka_in_subscribe(in, topics, 1, err, sizeof(err)), 0,
                 "%s", err);
    for (double start = now_s(); n < 4000 && now_s() - start < 40;) {
        size_t k = am_kafka_in_poll(in, msgs, 1000, 100);
        if (k && !t)
            t = now_s();
        for (size_t i = 0; i < k; i++)
            rd_kafka_message_destroy(msgs[i]);
        n += k;
    }
    t = now_s() - t;
    cr_assert_eq(n, 4000);
    am_kafka_in_destroy(in);
    return t;
}

/* Once its queue holds queued.min.messages or queued.max.messages.kbytes,
 * librdkafka 2.0.2 stops fetching until its broker thread wakes, up to a
 * second later; draining the queue does not wake it.  A backlog past a
 * bound was read at one bound a wake-up, the machine idle in between.
 * Here each fetch (a set from each partition: 400 messages of 7 bytes)
 * passes the bound: ten fetches, which took 7-10 s without a wake-up and take
 * milliseconds with it. */
Test(kafka_io, a_backlog_past_the_prefetch_count_is_read_without_pauses) {
    double t = read_backlog("kafka.consumer.queued.min.messages", "200");

    cr_assert_lt(t, 3.0, "the backlog took %.1f s", t);
}

Test(kafka_io, a_backlog_past_the_prefetch_bytes_is_read_without_pauses) {
    double t = read_backlog("kafka.consumer.queued.max.messages.kbytes", "1");

    cr_assert_lt(t, 3.0, "the backlog took %.1f s", t);
}

static const char *hval(rd_kafka_headers_t *h, const char *name,
                        char out[64]) {
    const void *v;
    size_t n;

    if (rd_kafka_header_get_last(h, name, &v, &n) != RD_KAFKA_RESP_ERR_NO_ERROR)
        return NULL;
    cr_assert_lt(n, 64);
    memcpy(out, v, n);
    out[n] = '\0';
    return out;
}

Test(kafka_io, records_say_where_they_came_from) {
    rd_kafka_headers_t *h =
        am_kafka_out_headers("indicators", 17, INT64_C(9007199254740993), 3);
    char v[64];

    /* A dead letter's (and a traced notification's): where it was read. */
    cr_assert_eq(rd_kafka_header_cnt(h), 3);
    cr_assert_str_eq(hval(h, "am-origin-topic", v), "indicators");
    cr_assert_str_eq(hval(h, "am-origin-partition", v), "17");
    cr_assert_str_eq(hval(h, "am-origin-offset", v), "9007199254740993");
    rd_kafka_headers_destroy(h);
    /* Offset 0 is a number too. */
    h = am_kafka_out_headers("scan-results", 0, 0, 0);
    cr_assert_str_eq(hval(h, "am-origin-partition", v), "0");
    cr_assert_str_eq(hval(h, "am-origin-offset", v), "0");
    rd_kafka_headers_destroy(h);
}

/* A notification's headers: how to read it and its id; what its value
 * holds besides (the event id, the origin) only when asked for. */
Test(kafka_io, notification_headers_repeat_the_value_only_when_asked) {
    am_config_t c;
    am_event_t ev;
    am_origin_t origin = {"indicators", 17, 42};
    am_notification_t nt = {.origin = &origin};
    rd_kafka_headers_t *h;
    char v[64];

    am_config_init(&c);
    am_event_init(&ev);
    ev.id = "ind-1";
    nt.ev = &ev;
    h = am_kafka_out_notification_headers(&c, &nt, "nid-1", 0);
    cr_assert_eq(rd_kafka_header_cnt(h), 2);
    cr_assert_str_eq(hval(h, "content-type", v), "avro/binary");
    cr_assert_str_eq(hval(h, "am-notification-id", v), "nid-1");
    rd_kafka_headers_destroy(h);

    c.trace_headers = true;
    c.output_format = AM_OUTPUT_STIX;
    h = am_kafka_out_notification_headers(&c, &nt, "nid-1", 0);
    cr_assert_eq(rd_kafka_header_cnt(h), 6);
    cr_assert_str_eq(hval(h, "content-type", v),
                     "application/stix+json;version=2.1");
    cr_assert_str_eq(hval(h, "am-event-id", v), "ind-1");
    cr_assert_str_eq(hval(h, "am-origin-topic", v), "indicators");
    cr_assert_str_eq(hval(h, "am-origin-partition", v), "17");
    cr_assert_str_eq(hval(h, "am-origin-offset", v), "42");
    rd_kafka_headers_destroy(h);

    /* No origin (an offline run): none in the headers. */
    nt.origin = NULL;
    c.output_format = AM_OUTPUT_JSON;
    h = am_kafka_out_notification_headers(&c, &nt, "nid-1", 0);
    cr_assert_eq(rd_kafka_header_cnt(h), 3);
    cr_assert_null(hval(h, "am-origin-topic", v));
    cr_assert_str_eq(hval(h, "content-type", v), "application/json");
    rd_kafka_headers_destroy(h);
    am_event_free(&ev);
    am_config_free(&c);
}
