#include "kafka_in.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kafka_conf.h"
#include "log.h"

/* librdkafka's synchronous commit and close wait for a group coordinator
 * as long as there is none: with the cluster down, a stopped service
 * never ended.  Both are bounded: what was not committed is consumed
 * again by the next owner, and its notifications keep their ids. */
#define AM_COMMIT_TIMEOUT_MS 10000
#define AM_CLOSE_TIMEOUT_MS 15000
/* How long the waker waits for the leaders' answer (fetcher_wake()). */
#define AM_WAKE_TIMEOUT_MS 1000

struct am_kafka_track_s {
    am_kafka_track_t *next; /* in its partition's queue */
    struct part_s *part;
    int64_t offset; /* the last offset it covers (am_kafka_in_done()) */
    int64_t ts_ms;
    int pending;
    bool failed;
};

typedef struct part_s {
    char *topic;
    int32_t partition;
    bool assigned;            /* false once revoked: entries are dropped */
    am_kafka_track_t *head, *tail;
    int64_t store;            /* next offset to store, -1: none */
    size_t in_flight;
} part_t;

struct am_kafka_in_s {
    rd_kafka_t *rk;
    rd_kafka_queue_t *queue;
    part_t **parts;
    size_t n_parts, cap_parts;
    part_t *last; /* the partition of the previous message */
    am_kafka_revoke_cb *on_revoke;
    void *opaque;
    bool failed;
    size_t in_flight;
    size_t assigned;
    bool closed;
    bool abandoned; /* closing gave up: the handle is left to the exit */

    /* The fetchers' waker (prefetch_watch()); has_waker: it runs. */
    bool has_waker;
    pthread_t waker;
    pthread_mutex_t wake_lock;
    pthread_cond_t wake_cond;
    bool wake_wanted, wake_stop;
    double min_msgs, max_bytes; /* the prefetch's bounds */
    double msg_bytes;           /* a message's mean size, lately */
    bool was_full;              /* the queue neared a bound since a wake */
};

static part_t *part_find(am_kafka_in_t *in, const char *topic,
                         int32_t partition, bool create) {
    part_t *p;

    if (in->last && in->last->partition == partition &&
        !strcmp(in->last->topic, topic))
        return in->last;
    for (size_t i = 0; i < in->n_parts; i++)
        if (in->parts[i]->partition == partition &&
            !strcmp(in->parts[i]->topic, topic))
            return in->last = in->parts[i];
    if (!create)
        return NULL;
    if (in->n_parts == in->cap_parts) {
        size_t cap = in->cap_parts ? in->cap_parts * 2 : 16;
        part_t **np = realloc(in->parts, cap * sizeof(*np));
        if (!np)
            return NULL;
        in->parts = np;
        in->cap_parts = cap;
    }
    if (!(p = calloc(1, sizeof(*p))) || !(p->topic = strdup(topic))) {
        free(p);
        return NULL;
    }
    p->partition = partition;
    p->store = -1;
    in->parts[in->n_parts++] = p;
    return in->last = p;
}

/* Pops the done entries at the head of p's queue, moving its offset to
 * store past them. */
static void advance(am_kafka_in_t *in, part_t *p) {
    while (p->head && p->head->pending == 0 && !p->head->failed) {
        am_kafka_track_t *t = p->head;
        p->head = t->next;
        if (!p->head)
            p->tail = NULL;
        if (p->assigned)
            p->store = t->offset + 1;
        p->in_flight--;
        in->in_flight--;
        free(t);
    }
}

/* Commits the stored offsets, waiting up to AM_COMMIT_TIMEOUT_MS for the
 * answer.  @returns 0, or -1 (logged after \p what). */
static int commit_wait(rd_kafka_t *rk, const char *what) {
    rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
    rd_kafka_event_t *ev = NULL;
    rd_kafka_resp_err_t e;

    e = rd_kafka_commit_queue(rk, NULL, q, NULL, NULL);
    if (!e) {
        ev = rd_kafka_queue_poll(q, AM_COMMIT_TIMEOUT_MS);
        e = ev ? rd_kafka_event_error(ev) : RD_KAFKA_RESP_ERR__TIMED_OUT;
    }
    if (ev)
        rd_kafka_event_destroy(ev);
    rd_kafka_queue_destroy(q);
    if (e && e != RD_KAFKA_RESP_ERR__NO_OFFSET) {
        AM_LOG(AM_LOG_WARNING, "%s: %s", what,
               e == RD_KAFKA_RESP_ERR__TIMED_OUT ? "no answer in time"
                                                 : rd_kafka_err2str(e));
        return -1;
    }
    return 0;
}

static void rebalance(rd_kafka_t *rk, rd_kafka_resp_err_t err,
                      rd_kafka_topic_partition_list_t *parts, void *opaque) {
    am_kafka_in_t *in = opaque;

    if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
        for (int i = 0; i < parts->cnt; i++) {
            part_t *p = part_find(in, parts->elems[i].topic,
                                  parts->elems[i].partition, true);
            if (p) {
                p->assigned = true;
                p->store = -1;
            }
        }
        in->assigned = (size_t)parts->cnt;
        AM_LOG(AM_LOG_NOTICE, "assigned %d partition%s", parts->cnt,
               parts->cnt == 1 ? "" : "s");
        rd_kafka_assign(rk, parts);
        return;
    }
    /* Revoked: let the service wait for what is in flight, commit what is
     * done, then give the partitions up.  Entries still pending (a broker
     * that did not answer in time) are dropped from the offset queue: their
     * messages will be consumed again by the next owner, and their
     * notifications carry the same ids. */
    if (in->on_revoke)
        in->on_revoke(in->opaque);
    am_kafka_in_store(in);
    if (!rd_kafka_assignment_lost(rk))
        commit_wait(rk, "commit at rebalance");
    for (int i = 0; i < parts->cnt; i++) {
        part_t *p = part_find(in, parts->elems[i].topic,
                              parts->elems[i].partition, false);
        if (p)
            p->assigned = false;
    }
    in->assigned = 0;
    AM_LOG(AM_LOG_NOTICE, "revoked %d partition%s", parts->cnt,
           parts->cnt == 1 ? "" : "s");
    rd_kafka_assign(rk, NULL);
}

/* librdkafka 2.0.2 stops fetching once the consumer's queue holds
 * queued.min.messages or queued.max.messages.kbytes, and looks again only
 * when its broker thread wakes: for an operation, or up to a second later.
 * Draining the queue does not wake it.  A service catching up a backlog
 * emptied a prefetch of 300000 messages in a third of a second and then
 * sat idle, at half its rate (bench/README.md item 26).  Any request to a
 * partition's leader wakes the thread that fetches from it: the waker asks
 * the leaders for the partitions' last offsets (answers unused), off the
 * main thread.  librdkafka 2.2 made the wait a setting
 * (AM_KAFKA_FETCH_BACKOFF), set short where the library has it; no waker
 * runs then. */
static void fetcher_wake(rd_kafka_t *rk) {
    rd_kafka_topic_partition_list_t *list;

    if (rd_kafka_assignment(rk, &list) != RD_KAFKA_RESP_ERR_NO_ERROR)
        return;
    for (int i = 0; i < list->cnt; i++)
        list->elems[i].offset = RD_KAFKA_OFFSET_END; /* the time: latest */
    if (list->cnt > 0) {
        AM_LOG(AM_LOG_DEBUG, "prefetch drained: waking the fetchers");
        rd_kafka_offsets_for_times(rk, list, AM_WAKE_TIMEOUT_MS);
    }
    rd_kafka_topic_partition_list_destroy(list);
}

static void *waker_main(void *arg) {
    am_kafka_in_t *in = arg;

    pthread_mutex_lock(&in->wake_lock);
    for (;;) {
        while (!in->wake_wanted && !in->wake_stop)
            pthread_cond_wait(&in->wake_cond, &in->wake_lock);
        if (in->wake_stop)
            break;
        in->wake_wanted = false;
        pthread_mutex_unlock(&in->wake_lock);
        fetcher_wake(in->rk);
        pthread_mutex_lock(&in->wake_lock);
    }
    pthread_mutex_unlock(&in->wake_lock);
    return NULL;
}

static void waker_signal(am_kafka_in_t *in, bool stop) {
    pthread_mutex_lock(&in->wake_lock);
    if (stop)
        in->wake_stop = true;
    else
        in->wake_wanted = true;
    pthread_cond_signal(&in->wake_cond);
    pthread_mutex_unlock(&in->wake_lock);
}

static void waker_stop(am_kafka_in_t *in) {
    if (!in->has_waker)
        return;
    waker_signal(in, true);
    pthread_join(in->waker, NULL);
    pthread_cond_destroy(&in->wake_cond);
    pthread_mutex_destroy(&in->wake_lock);
    in->has_waker = false;
}

/* A number setting of \p conf; -1 where this librdkafka has no such
 * setting. */
static double conf_number(const rd_kafka_conf_t *conf, const char *name) {
    char v[32];
    size_t n = sizeof(v);

    return rd_kafka_conf_get(conf, name, v, &n) == RD_KAFKA_CONF_OK
               ? strtod(v, NULL)
               : -1;
}

/* Starts the waker if this librdkafka needs one (fetcher_wake()); without
 * it the consumer still works, and pauses on a long backlog. */
static void waker_start(am_kafka_in_t *in, const rd_kafka_conf_t *conf) {
    if (conf_number(conf, AM_KAFKA_FETCH_BACKOFF) >= 0)
        return;
    in->min_msgs = conf_number(conf, "queued.min.messages");
    in->max_bytes = conf_number(conf, "queued.max.messages.kbytes") * 1024;
    pthread_mutex_init(&in->wake_lock, NULL);
    pthread_cond_init(&in->wake_cond, NULL);
    if (pthread_create(&in->waker, NULL, waker_main, in) == 0) {
        in->has_waker = true;
        return;
    }
    AM_LOG(AM_LOG_WARNING, "no thread to wake the fetchers: a backlog "
           "longer than the prefetch is read with pauses");
    pthread_cond_destroy(&in->wake_cond);
    pthread_mutex_destroy(&in->wake_lock);
}

/* After \p n messages were taken: once the queue has been near a bound
 * (half of it, counting what was just taken), the fetcher may be asleep,
 * and it is woken as soon as the queue is down to a quarter (at once if
 * this take emptied it), so that the fetch comes back before the queue
 * runs dry.  The queue's bytes are estimated from the mean size of up to
 * eight of the messages taken, spread over them: reading every one's size
 * would take the main thread to each message before the lanes do. */
static void prefetch_watch(am_kafka_in_t *in, rd_kafka_message_t **msgs,
                           size_t n) {
    size_t step = n > 8 ? n / 8 : 1, k = 0;
    double q, bytes = 0;

    if (!in->has_waker)
        return;
    q = (double)rd_kafka_queue_length(in->queue);
    for (size_t i = 0; i < n; i += step, k++)
        bytes += (double)msgs[i]->len;
    if (k > 0)
        in->msg_bytes = bytes / (double)k;
    if (2 * (q + (double)n) >= in->min_msgs ||
        2 * (q + (double)n) * in->msg_bytes >= in->max_bytes)
        in->was_full = true;
    if (in->was_full && 4 * q <= in->min_msgs &&
        4 * q * in->msg_bytes <= in->max_bytes) {
        in->was_full = false;
        waker_signal(in, false);
    }
}

am_kafka_in_t *am_kafka_in_new(const am_config_t *cfg,
                               am_kafka_revoke_cb *on_revoke, void *opaque,
                               char *err, size_t err_size) {
    am_kafka_in_t *in = calloc(1, sizeof(*in));
    rd_kafka_conf_t *conf;

    if (!in) {
        snprintf(err, err_size, "out of memory");
        return NULL;
    }
    in->on_revoke = on_revoke;
    in->opaque = opaque;
    if (!(conf = am_kafka_conf_new(cfg, AM_KAFKA_CONSUMER, err, err_size)))
        goto fail;
    rd_kafka_conf_set_rebalance_cb(conf, rebalance);
    rd_kafka_conf_set_opaque(conf, in);
    if (!(in->rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, err_size))) {
        rd_kafka_conf_destroy(conf);
        goto fail;
    }
    rd_kafka_poll_set_consumer(in->rk);
    in->queue = rd_kafka_queue_get_consumer(in->rk);
    waker_start(in, rd_kafka_conf(in->rk));
    return in;
fail:
    am_kafka_in_destroy(in);
    return NULL;
}

int am_kafka_in_subscribe(am_kafka_in_t *in, const char *const *topics,
                          size_t n, char *err, size_t err_size) {
    rd_kafka_topic_partition_list_t *subs =
        rd_kafka_topic_partition_list_new((int)n);
    rd_kafka_resp_err_t e;

    for (size_t i = 0; i < n; i++)
        rd_kafka_topic_partition_list_add(subs, topics[i],
                                          RD_KAFKA_PARTITION_UA);
    e = rd_kafka_subscribe(in->rk, subs);
    rd_kafka_topic_partition_list_destroy(subs);
    if (e) {
        snprintf(err, err_size, "subscribe: %s", rd_kafka_err2str(e));
        return -1;
    }
    return 0;
}

static double mono_s(void) {
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void am_kafka_in_close(am_kafka_in_t *in) {
    rd_kafka_error_t *error;
    double deadline = mono_s() + AM_CLOSE_TIMEOUT_MS / 1000.0;

    if (!in->rk || in->closed)
        return;
    in->closed = true;
    waker_stop(in);
    /* As rd_kafka_consumer_close(), which serves the revoke too, but with
     * an end. */
    if ((error = rd_kafka_consumer_close_queue(in->rk, in->queue))) {
        AM_LOG(AM_LOG_WARNING, "leaving the group: %s",
               rd_kafka_error_string(error));
        rd_kafka_error_destroy(error);
        return;
    }
    while (!rd_kafka_consumer_closed(in->rk)) {
        rd_kafka_message_t *m;
        if (mono_s() > deadline) {
            AM_LOG(AM_LOG_WARNING,
                   "leaving the group: no answer in %d s; closing without "
                   "it (the group rebalances when the session times out)",
                   AM_CLOSE_TIMEOUT_MS / 1000);
            in->abandoned = true;
            return;
        }
        /* Serves the revoke; a message fetched still is not processed, so
         * its offset is not committed. */
        if ((m = rd_kafka_consume_queue(in->queue, 100)))
            rd_kafka_message_destroy(m);
    }
}

void am_kafka_in_destroy(am_kafka_in_t *in) {
    if (!in)
        return;
    if (in->rk) {
        am_kafka_in_close(in);
        /* Given up on, destroying would wait for the group's session to
         * time out (45 s by default): its threads end with the process,
         * which is stopping. */
        if (!in->abandoned) {
            if (in->queue)
                rd_kafka_queue_destroy(in->queue);
            rd_kafka_destroy_flags(in->rk,
                                   RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE);
        }
    }
    for (size_t i = 0; i < in->n_parts; i++) {
        part_t *p = in->parts[i];
        while (p->head) {
            am_kafka_track_t *t = p->head;
            p->head = t->next;
            free(t);
        }
        free(p->topic);
        free(p);
    }
    free(in->parts);
    free(in);
}

rd_kafka_t *am_kafka_in_handle(am_kafka_in_t *in) {
    return in->rk;
}

size_t am_kafka_in_poll(am_kafka_in_t *in, rd_kafka_message_t **msgs,
                        size_t max, int timeout_ms) {
    rd_kafka_message_t *first;
    ssize_t n;

    /* A batch call with a timeout waits all of it unless the batch fills:
     * at a low rate every message would sit there that long.  So what is
     * already fetched is taken at once, and only an empty queue is waited
     * on, for its first message. */
    if ((n = rd_kafka_consume_batch_queue(in->queue, 0, msgs, max)) <= 0) {
        n = 0;
        if ((first = rd_kafka_consume_queue(in->queue, timeout_ms))) {
            ssize_t more = max > 1 ? rd_kafka_consume_batch_queue(
                                         in->queue, 0, msgs + 1, max - 1)
                                   : 0;
            msgs[0] = first;
            n = 1 + (more > 0 ? more : 0);
        }
    }
    prefetch_watch(in, msgs, (size_t)n);
    return (size_t)n;
}

am_kafka_track_t *am_kafka_in_track(am_kafka_in_t *in,
                                    const rd_kafka_message_t *rkm) {
    part_t *p = part_find(in, rd_kafka_topic_name(rkm->rkt), rkm->partition,
                          true);
    am_kafka_track_t *t;
    rd_kafka_timestamp_type_t tstype;

    if (!p || !(t = calloc(1, sizeof(*t))))
        return NULL;
    t->part = p;
    t->offset = rkm->offset;
    t->ts_ms = rd_kafka_message_timestamp(rkm, &tstype);
    if (t->ts_ms < 0)
        t->ts_ms = 0;
    t->pending = 1;
    if (p->tail)
        p->tail->next = t;
    else
        p->head = t;
    p->tail = t;
    p->in_flight++;
    in->in_flight++;
    return t;
}

int am_kafka_in_done(am_kafka_in_t *in, const rd_kafka_message_t *rkm) {
    part_t *p = part_find(in, rd_kafka_topic_name(rkm->rkt), rkm->partition,
                          true);

    if (!p)
        return -1;
    if (p->tail)
        p->tail->offset = rkm->offset; /* stored when the tail advances */
    else if (p->assigned)
        p->store = rkm->offset + 1;
    return 0;
}

void am_kafka_track_hold(am_kafka_track_t *t) {
    t->pending++;
}

void am_kafka_track_release(am_kafka_in_t *in, am_kafka_track_t *t,
                            bool failed) {
    if (failed && !t->failed) {
        t->failed = true;
        in->failed = true;
    }
    if (--t->pending == 0 && t == t->part->head)
        advance(in, t->part);
}

int64_t am_kafka_track_timestamp(const am_kafka_track_t *t) {
    return t->ts_ms;
}

void am_kafka_in_store(am_kafka_in_t *in) {
    rd_kafka_topic_partition_list_t *list = NULL;

    for (size_t i = 0; i < in->n_parts; i++) {
        part_t *p = in->parts[i];
        if (p->store < 0 || !p->assigned)
            continue;
        if (!list)
            list = rd_kafka_topic_partition_list_new(8);
        rd_kafka_topic_partition_list_add(list, p->topic, p->partition)
            ->offset = p->store;
        p->store = -1;
    }
    if (list) {
        rd_kafka_offsets_store(in->rk, list);
        rd_kafka_topic_partition_list_destroy(list);
    }
}

int am_kafka_in_commit(am_kafka_in_t *in) {
    am_kafka_in_store(in);
    return commit_wait(in->rk, "commit");
}

bool am_kafka_in_failed(const am_kafka_in_t *in) {
    return in->failed;
}

size_t am_kafka_in_in_flight(const am_kafka_in_t *in) {
    return in->in_flight;
}

size_t am_kafka_in_assigned(const am_kafka_in_t *in) {
    return in->assigned;
}

int64_t am_kafka_in_lag(am_kafka_in_t *in) {
    rd_kafka_topic_partition_list_t *list;
    int64_t lag = 0;

    if (rd_kafka_assignment(in->rk, &list) != RD_KAFKA_RESP_ERR_NO_ERROR)
        return 0;
    rd_kafka_position(in->rk, list);
    for (int i = 0; i < list->cnt; i++) {
        int64_t lo, hi;
        if (rd_kafka_get_watermark_offsets(in->rk, list->elems[i].topic,
                                           list->elems[i].partition, &lo,
                                           &hi) == 0 &&
            hi >= 0 && list->elems[i].offset >= 0 &&
            hi > list->elems[i].offset)
            lag += hi - list->elems[i].offset;
    }
    rd_kafka_topic_partition_list_destroy(list);
    return lag;
}
