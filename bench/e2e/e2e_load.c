/*
 * e2e_load: the Kafka side of the end-to-end benchmark (bench/e2e/run.py).
 *
 * Messages go round-robin to the topic's -p PARTITIONS (no key: an input
 * feed has none; librdkafka's sticky partitioner would fill a few
 * partitions past what the dev broker keeps).
 *
 *   e2e_load produce -b BOOTSTRAP -t TOPIC -f FRAMES -p PARTITIONS [-n N]
 *                    [-X NAME=VALUE ...]
 *       Produces the messages of FRAMES (convert.py: <4-byte big-endian
 *       length><message> ...) as fast as the client takes them, cycling
 *       through the file up to COUNT, and waits until every one is
 *       acknowledged.  Prints {"produced":N,"seconds":S,"per_s":R}.  -X
 *       sets a librdkafka property of the producer (floor.sh gives it the
 *       service's: run.py's PRODUCER_AS_SERVICE).
 *
 *   e2e_load latency -b BOOTSTRAP -t TOPIC -f FRAMES -p PARTITIONS
 *                    -o NOTIFICATIONS
 *                    -r RATE -d SECONDS [-w WARMUP] [-l LATENCIES_FILE]
 *                    [-s SERIES_FILE]
 *       Paced: produces RATE messages/s for WARMUP seconds (default 0) and
 *       then SECONDS more (1 ms ticks, linger 5 ms), while a consumer
 *       reads the notifications topic from its end.  The figures are of
 *       the inputs sent after the warm-up: the steady load, without the
 *       onset from idle, whose highest latency is printed apart
 *       ("warmup_max_ms").  Each notification names its input in its headers
 *       (am-origin-topic, -partition, -offset: the service must run with
 *       output.trace_headers = true); its latency is the time it
 *       was received here minus the time its input message was handed to
 *       the producer.  The
 *       consumer polls with fetch.wait.max.ms = 5, so "received" is at most
 *       a few ms after the broker appended it.  Prints {"sent":N,
 *       "notifications":M,"notifications_lost":L,"p50_ms":..,"p99_ms":..,
 *       "max_ms":..,"warmup_max_ms":..}, L counting the notifications
 *       skipped by the reader (gaps in the topic's offsets: the dev broker
 *       drops what a reader lags behind by more than ~5 MB a partition);
 *       with -l,
 *       every latency in ms, one a line (for the distribution plot); with
 *       -s, "SENT_MS LATENCY_MS" for every notification, warm-up included,
 *       SENT_MS from the first send (where in the run a latency rose).
 *
 *   e2e_load create -b BOOTSTRAP -t TOPIC -p PARTITIONS
 *       Creates the topic with that many partitions (replication 1) through
 *       the Admin API; one that exists already is left as it is.
 *
 *   kcat -C ... -e | e2e_load meter -n MESSAGES
 *       The baseline's rate: reads standard input to its end, noting when
 *       each 64 KB arrived, and prints {"messages":N,"per_s":R} where R is
 *       over the middle 80% of the bytes (10% to 90%), as the service's rate
 *       is over the middle 80% of its events: the start (metadata, group,
 *       offsets, the first fetch wait) and the tail are left out of both.
 *
 * Standalone (librdkafka only): it measures the service from outside.
 */
#include <librdkafka/rdkafka.h>

#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <fcntl.h>
#include <time.h>
#include <unistd.h>

typedef struct frames_s {
    const uint8_t *data;
    size_t size;
    const uint8_t **msg;
    uint32_t *len;
    size_t count;
} frames_t;

static struct {
    const char *bootstrap, *topic, *file, *notif, *lat_file, *series_file;
    size_t count;
    int partitions;
    double rate, seconds, warmup;
    const char *conf[32][2]; /* -X NAME=VALUE, for the producers */
    size_t n_conf;
} opt;

static int64_t *send_us; /* by the message's sequence number */
/* Where the run's messages start in each partition: message SEQ goes to
 * partition SEQ % P as its (SEQ / P)-th, at offset base[SEQ % P] + SEQ / P,
 * since only this producer writes the topic during the run and a
 * partition keeps its messages in order (on_delivery() stops the run when
 * a report says otherwise).  -1 until the partition's first report.  (A
 * hash of (partition, offset) cost a sixth of this program's CPU, which
 * it shares with the service.) */
static int64_t *base;
static size_t acked, failed;

static void die(const char *what) {
    fprintf(stderr, "e2e_load: %s\n", what);
    exit(1);
}

static int64_t now_us(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void frames_load(frames_t *f, const char *path) {
    int fd = open(path, O_RDONLY);
    struct stat st;
    size_t cap = 1024, at = 0;

    if (fd < 0 || fstat(fd, &st) < 0 || st.st_size < 4)
        die("cannot read the frames file");
    f->size = (size_t)st.st_size;
    f->data = mmap(NULL, f->size, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (f->data == MAP_FAILED)
        die("mmap");
    f->msg = malloc(cap * sizeof(*f->msg));
    f->len = malloc(cap * sizeof(*f->len));
    f->count = 0;
    while (at + 4 <= f->size) {
        uint32_t n = (uint32_t)f->data[at] << 24 |
                     (uint32_t)f->data[at + 1] << 16 |
                     (uint32_t)f->data[at + 2] << 8 | f->data[at + 3];
        if (at + 4 + n > f->size)
            die("truncated frame");
        if (f->count == cap) {
            cap *= 2;
            f->msg = realloc(f->msg, cap * sizeof(*f->msg));
            f->len = realloc(f->len, cap * sizeof(*f->len));
            if (!f->msg || !f->len)
                die("out of memory");
        }
        f->msg[f->count] = f->data + at + 4;
        f->len[f->count++] = n;
        at += 4 + n;
    }
}

/* The sequence number of the message at \p offset of \p partition, if it
 * is one of this run's. */
static bool seq_of(int32_t partition, int64_t offset, size_t n, size_t *seq) {
    int64_t k;

    if (partition < 0 || partition >= opt.partitions || base[partition] < 0 ||
        (k = offset - base[partition]) < 0)
        return false;
    *seq = (size_t)k * (size_t)opt.partitions + (size_t)partition;
    return *seq < n;
}

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *rkm,
                        void *opaque) {
    (void)rk;
    (void)opaque;
    if (rkm->err) {
        if (failed++ == 0)
            fprintf(stderr, "e2e_load: delivery failed: %s\n",
                    rd_kafka_err2str(rkm->err));
        return;
    }
    acked++;
    if (base) {
        size_t seq = (size_t)(uintptr_t)rkm->_private;
        int32_t p = rkm->partition;
        int64_t k = (int64_t)(seq / (size_t)opt.partitions);

        if (p != (int32_t)(seq % (size_t)opt.partitions))
            die("a message went to another partition than it was sent to");
        if (base[p] < 0)
            base[p] = rkm->offset - k;
        if (rkm->offset != base[p] + k) {
            fprintf(stderr,
                    "e2e_load: partition %d: message %zu at offset %lld, not "
                    "%lld: does another producer write %s?\n",
                    (int)p, seq, (long long)rkm->offset,
                    (long long)(base[p] + k), opt.topic);
            exit(1);
        }
    }
}

static void set(rd_kafka_conf_t *c, const char *k, const char *v) {
    char err[256];
    if (rd_kafka_conf_set(c, k, v, err, sizeof(err)) != RD_KAFKA_CONF_OK)
        die(err);
}

static rd_kafka_t *producer_new(const char *linger) {
    rd_kafka_conf_t *c = rd_kafka_conf_new();
    char err[256];
    rd_kafka_t *rk;

    set(c, "bootstrap.servers", opt.bootstrap);
    set(c, "linger.ms", linger);
    set(c, "batch.num.messages", "10000");
    set(c, "queue.buffering.max.messages", "500000");
    set(c, "queue.buffering.max.kbytes", "1048576");
    for (size_t i = 0; i < opt.n_conf; i++)
        set(c, opt.conf[i][0], opt.conf[i][1]);
    rd_kafka_conf_set_dr_msg_cb(c, on_delivery);
    if (!(rk = rd_kafka_new(RD_KAFKA_PRODUCER, c, err, sizeof(err))))
        die(err);
    return rk;
}

static void produce_one(rd_kafka_t *rk, const frames_t *f, size_t seq) {
    size_t k = seq % f->count;

    for (;;) {
        rd_kafka_resp_err_t e = rd_kafka_producev(
            rk, RD_KAFKA_V_TOPIC(opt.topic),
            RD_KAFKA_V_VALUE((void *)f->msg[k], f->len[k]),
            RD_KAFKA_V_PARTITION((int32_t)(seq % (size_t)opt.partitions)),
            RD_KAFKA_V_OPAQUE((void *)(uintptr_t)seq), RD_KAFKA_V_END);
        if (!e)
            return;
        if (e != RD_KAFKA_RESP_ERR__QUEUE_FULL)
            die(rd_kafka_err2str(e));
        rd_kafka_poll(rk, 10);
    }
}

static int cmd_produce(void) {
    frames_t f;
    rd_kafka_t *rk;
    size_t n;
    double t0;

    frames_load(&f, opt.file);
    n = opt.count ? opt.count : f.count;
    rk = producer_new("20");
    t0 = (double)now_us();
    for (size_t i = 0; i < n; i++) {
        produce_one(rk, &f, i);
        if ((i & 1023) == 0)
            rd_kafka_poll(rk, 0);
    }
    rd_kafka_flush(rk, 120000);
    t0 = ((double)now_us() - t0) / 1e6;
    rd_kafka_destroy(rk);
    printf("{\"produced\":%zu,\"failed\":%zu,\"seconds\":%.3f,"
           "\"per_s\":%.0f}\n",
           acked, failed, t0, (double)acked / t0);
    return failed ? 1 : 0;
}

/* The consumer of the notifications, from the end of the topic. */
static rd_kafka_t *notif_consumer(void) {
    rd_kafka_conf_t *c = rd_kafka_conf_new();
    char err[256], group[64];
    rd_kafka_t *rk;
    rd_kafka_topic_partition_list_t *l;

    snprintf(group, sizeof(group), "e2e-latency-%ld", (long)getpid());
    set(c, "bootstrap.servers", opt.bootstrap);
    set(c, "group.id", group);
    set(c, "auto.offset.reset", "latest");
    set(c, "enable.auto.commit", "false");
    set(c, "fetch.wait.max.ms", "5");
    set(c, "fetch.error.backoff.ms", "5");
    if (!(rk = rd_kafka_new(RD_KAFKA_CONSUMER, c, err, sizeof(err))))
        die(err);
    rd_kafka_poll_set_consumer(rk);
    l = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(l, opt.notif, RD_KAFKA_PARTITION_UA);
    if (rd_kafka_subscribe(rk, l))
        die("subscribe");
    rd_kafka_topic_partition_list_destroy(l);
    return rk;
}

static bool header(const rd_kafka_message_t *rkm, const char *name,
                   char *out, size_t n) {
    rd_kafka_headers_t *h;
    const void *v;
    size_t len;

    if (rd_kafka_message_headers(rkm, &h) ||
        rd_kafka_header_get_last(h, name, &v, &len) || len >= n)
        return false;
    memcpy(out, v, len);
    out[len] = '\0';
    return true;
}

typedef struct seen_s {
    int32_t partition;
    int64_t offset;
    int64_t us;
} seen_t;

static seen_t *seen;
static size_t n_seen, cap_seen, n_other;
/* Notifications skipped: only the service writes the notifications topic,
 * so its offsets come one after another, and a jump is records this
 * consumer never read (the dev broker keeps ~5 MB a partition and drops
 * what a lagging reader has not read yet).  The last offset read, by
 * partition (-1: none yet). */
#define MAX_NOTIF_PARTITIONS 1024
static int64_t last_off[MAX_NOTIF_PARTITIONS];
static size_t n_lost;

static void consume(rd_kafka_t *rk, int timeout_ms) {
    rd_kafka_message_t *rkm = rd_kafka_consumer_poll(rk, timeout_ms);
    char topic[256], part[24], off[24];

    for (; rkm; rkm = rd_kafka_consumer_poll(rk, 0)) {
        int64_t t = now_us();
        if (!rkm->err && rkm->partition >= 0 &&
            rkm->partition < MAX_NOTIF_PARTITIONS) {
            int64_t *last = &last_off[rkm->partition];
            if (*last >= 0 && rkm->offset > *last + 1)
                n_lost += (size_t)(rkm->offset - *last - 1);
            *last = rkm->offset;
        }
        if (!rkm->err && header(rkm, "am-origin-topic", topic, sizeof(topic)) &&
            !strcmp(topic, opt.topic) &&
            header(rkm, "am-origin-partition", part, sizeof(part)) &&
            header(rkm, "am-origin-offset", off, sizeof(off))) {
            if (n_seen == cap_seen) {
                cap_seen = cap_seen ? 2 * cap_seen : 65536;
                if (!(seen = realloc(seen, cap_seen * sizeof(*seen))))
                    die("out of memory");
            }
            seen[n_seen++] = (seen_t){atoi(part), atoll(off), t};
        } else if (!rkm->err) {
            n_other++;
        }
        rd_kafka_message_destroy(rkm);
    }
}

/* Zeroed memory whose pages are already mapped: the arrays of a paced run
 * are filled during it, and faulting their pages in then (with the TLB
 * shootdowns among librdkafka's threads) took CPU at the load's onset,
 * from the cores the service shares. */
static void *alloc_touched(size_t n, size_t size) {
    void *p = n <= SIZE_MAX / size ? malloc(n * size) : NULL;

    if (!p)
        die("out of memory");
    return memset(p, 0, n * size);
}

static int cmp_i64(const void *a, const void *b) {
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

/* The producer's first message would wait for its connection and the
 * topic's metadata: that start-up is not the service's latency, so it is
 * done before the clock starts. */
static void warm(rd_kafka_t *rk) {
    rd_kafka_topic_t *t = rd_kafka_topic_new(rk, opt.topic, NULL);
    const struct rd_kafka_metadata *md;

    if (!t || rd_kafka_metadata(rk, 0, t, &md, 10000))
        die("no metadata for the input topic");
    rd_kafka_metadata_destroy(md);
    rd_kafka_topic_destroy(t);
}

static int cmd_latency(void) {
    frames_t f;
    rd_kafka_t *prod, *cons;
    size_t n = (size_t)(opt.rate * (opt.warmup + opt.seconds)), done = 0,
           matched = 0;
    int64_t t0, last_seen, *lat, warm_end, warm_max = -1;
    rd_kafka_topic_partition_list_t *asg = NULL;
    FILE *out, *series = NULL;

    frames_load(&f, opt.file);
    if (opt.series_file && !(series = fopen(opt.series_file, "w")))
        die("cannot write the series file");
    send_us = alloc_touched(n + 1, sizeof(*send_us));
    base = alloc_touched((size_t)opt.partitions, sizeof(*base));
    for (int p = 0; p < opt.partitions; p++)
        base[p] = -1;
    /* Room for a notification an input (more grow the array). */
    cap_seen = n + 1;
    seen = alloc_touched(cap_seen, sizeof(*seen));
    for (int p = 0; p < MAX_NOTIF_PARTITIONS; p++)
        last_off[p] = -1;
    cons = notif_consumer();
    /* Produce only once the consumer has its partitions and positions. */
    t0 = now_us();
    while (now_us() - t0 < 30000000) {
        consume(cons, 100);
        if (!rd_kafka_assignment(cons, &asg) && asg->cnt > 0) {
            rd_kafka_topic_partition_list_destroy(asg);
            break;
        }
        if (asg)
            rd_kafka_topic_partition_list_destroy(asg);
        asg = NULL;
    }
    for (int i = 0; i < 10; i++)
        consume(cons, 50);
    n_seen = 0;
    n_lost = 0;
    /* Kafka's own producer lingers 5 ms by default (since 4.0); the time
     * a message lingers here counts in its latency. */
    prod = producer_new("5");
    warm(prod);
    t0 = now_us();
    warm_end = t0 + (int64_t)(opt.warmup * 1e6);
    while (done < n) {
        int64_t t = now_us();
        size_t due = (size_t)((double)(t - t0) * opt.rate / 1e6);
        if (due > n)
            due = n;
        for (; done < due; done++) {
            send_us[done] = now_us();
            produce_one(prod, &f, done);
        }
        rd_kafka_poll(prod, 0);
        consume(cons, 0);
        usleep(1000);
    }
    /* Drain: until nothing new came for 2 s (at most 20 s). */
    last_seen = now_us();
    int64_t drain_end = t0 + (int64_t)((opt.warmup + opt.seconds) * 1e6) +
                        20000000;
    for (size_t before = n_seen;
         now_us() - last_seen < 2000000 && now_us() < drain_end;) {
        rd_kafka_poll(prod, 10);
        consume(cons, 50);
        if (n_seen != before) {
            before = n_seen;
            last_seen = now_us();
        }
    }
    rd_kafka_flush(prod, 10000);
    rd_kafka_poll(prod, 0);
    if (n_seen == 0 && n_other > 0) {
        fprintf(stderr, "e2e_load: %zu notifications, none naming an input "
                "of %s in its am-origin-* headers: run the service with "
                "output.trace_headers = true\n", n_other, opt.topic);
        exit(1);
    }
    lat = malloc((n_seen + 1) * sizeof(*lat));
    for (size_t i = 0; i < n_seen; i++) {
        size_t seq;
        int64_t s;
        if (!seq_of(seen[i].partition, seen[i].offset, n, &seq))
            continue;
        s = send_us[seq];
        if (series)
            fprintf(series, "%.3f %.3f\n", (double)(s - t0) / 1000.0,
                    (double)(seen[i].us - s) / 1000.0);
        if (s >= warm_end)
            lat[matched++] = seen[i].us - s;
        else if (seen[i].us - s > warm_max)
            warm_max = seen[i].us - s;
    }
    if (series)
        fclose(series);
    qsort(lat, matched, sizeof(*lat), cmp_i64);
    if (opt.lat_file && (out = fopen(opt.lat_file, "w"))) {
        for (size_t i = 0; i < matched; i++)
            fprintf(out, "%.3f\n", (double)lat[i] / 1000.0);
        fclose(out);
    }
#define PCT(p) (matched ? (double)lat[(size_t)((double)(matched - 1) * (p))] / \
                              1000.0                                         \
                        : -1.0)
    printf("{\"sent\":%zu,\"acked\":%zu,\"notifications\":%zu,"
           "\"notifications_lost\":%zu,\"matched\":%zu,\"rate\":%.0f,"
           "\"p50_ms\":%.3f,\"p90_ms\":%.3f,\"p99_ms\":%.3f,\"max_ms\":%.3f,"
           "\"warmup_max_ms\":%.3f}\n",
           n, acked, n_seen, n_lost, matched, opt.rate, PCT(0.5), PCT(0.9),
           PCT(0.99), PCT(1.0), (double)warm_max / 1000.0);
#undef PCT
    rd_kafka_consumer_close(cons);
    rd_kafka_destroy(cons);
    rd_kafka_destroy(prod);
    return 0;
}

static int cmd_create(void) {
    rd_kafka_conf_t *c = rd_kafka_conf_new();
    rd_kafka_NewTopic_t *nt;
    rd_kafka_queue_t *q;
    rd_kafka_event_t *ev;
    const rd_kafka_topic_result_t **res;
    size_t n = 0;
    char err[256];
    rd_kafka_t *rk;
    rd_kafka_resp_err_t e = RD_KAFKA_RESP_ERR__TIMED_OUT;

    set(c, "bootstrap.servers", opt.bootstrap);
    if (!(rk = rd_kafka_new(RD_KAFKA_PRODUCER, c, err, sizeof(err))))
        die(err);
    if (!(nt = rd_kafka_NewTopic_new(opt.topic, opt.partitions, 1, err,
                                     sizeof(err))))
        die(err);
    q = rd_kafka_queue_new(rk);
    rd_kafka_CreateTopics(rk, &nt, 1, NULL, q);
    if ((ev = rd_kafka_queue_poll(q, 30000))) {
        e = rd_kafka_event_error(ev);
        res = rd_kafka_CreateTopics_result_topics(
            rd_kafka_event_CreateTopics_result(ev), &n);
        if (!e && n == 1)
            e = rd_kafka_topic_result_error(res[0]);
        rd_kafka_event_destroy(ev);
    }
    rd_kafka_NewTopic_destroy(nt);
    rd_kafka_queue_destroy(q);
    rd_kafka_destroy(rk);
    if (e && e != RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) {
        fprintf(stderr, "e2e_load: create %s: %s\n", opt.topic,
                rd_kafka_err2str(e));
        return 1;
    }
    return 0;
}

static int cmd_meter(void) {
    static char buf[1 << 16];
    size_t cap = 4096, n = 0;
    int64_t *at = malloc(cap * sizeof(*at));
    uint64_t *total = malloc(cap * sizeof(*total)), sum = 0;
    double t10 = 0, t90 = 0;
    ssize_t r;

    if (!at || !total)
        die("out of memory");
    while ((r = read(0, buf, sizeof(buf))) != 0) {
        if (r < 0) {
            if (errno == EINTR)
                continue;
            die("read");
        }
        if (n == cap) {
            cap *= 2;
            at = realloc(at, cap * sizeof(*at));
            total = realloc(total, cap * sizeof(*total));
            if (!at || !total)
                die("out of memory");
        }
        sum += (uint64_t)r;
        at[n] = now_us();
        total[n++] = sum;
    }
    for (size_t i = 0; i < n; i++) {
        if (!t10 && total[i] >= sum / 10)
            t10 = (double)at[i];
        if (!t90 && total[i] >= sum - sum / 10)
            t90 = (double)at[i];
    }
    printf("{\"messages\":%zu,\"bytes\":%llu,\"per_s\":%.0f}\n", opt.count,
           (unsigned long long)sum,
           t90 > t10 ? 0.8 * (double)opt.count / ((t90 - t10) / 1e6) : 0.0);
    return 0;
}

int main(int argc, char **argv) {
    static const struct option opts[] = {
        {"bootstrap", required_argument, NULL, 'b'},
        {"topic", required_argument, NULL, 't'},
        {"file", required_argument, NULL, 'f'},
        {"count", required_argument, NULL, 'n'},
        {"notifications", required_argument, NULL, 'o'},
        {"rate", required_argument, NULL, 'r'},
        {"duration", required_argument, NULL, 'd'},
        {"latencies", required_argument, NULL, 'l'},
        {"partitions", required_argument, NULL, 'p'},
        {"warmup", required_argument, NULL, 'w'},
        {"series", required_argument, NULL, 's'},
        {"conf", required_argument, NULL, 'X'},
        {NULL, 0, NULL, 0}};
    int c;

    if (argc < 2)
        die("usage: e2e_load produce|latency|create|meter OPTIONS (see the "
            "source)");
    optind = 2;
    while ((c = getopt_long(argc, argv, "b:t:f:n:o:r:d:l:p:w:s:X:", opts,
                            NULL)) != -1) {
        switch (c) {
        case 'b': opt.bootstrap = optarg; break;
        case 't': opt.topic = optarg; break;
        case 'f': opt.file = optarg; break;
        case 'n': opt.count = strtoull(optarg, NULL, 10); break;
        case 'o': opt.notif = optarg; break;
        case 'r': opt.rate = atof(optarg); break;
        case 'd': opt.seconds = atof(optarg); break;
        case 'l': opt.lat_file = optarg; break;
        case 'p': opt.partitions = atoi(optarg); break;
        case 'w': opt.warmup = atof(optarg); break;
        case 's': opt.series_file = optarg; break;
        case 'X': {
            char *eq = strchr(optarg, '=');
            if (!eq)
                die("-X needs NAME=VALUE");
            if (opt.n_conf == sizeof(opt.conf) / sizeof(opt.conf[0]))
                die("too many -X");
            *eq = '\0';
            opt.conf[opt.n_conf][0] = optarg;
            opt.conf[opt.n_conf++][1] = eq + 1;
            break;
        }
        default: die("bad option");
        }
    }
    if (!strcmp(argv[1], "meter"))
        return cmd_meter();
    if (!strcmp(argv[1], "create")) {
        if (!opt.bootstrap || !opt.topic || opt.partitions < 1)
            die("create needs -b, -t and -p");
        return cmd_create();
    }
    if (!opt.bootstrap || !opt.topic || !opt.file || opt.partitions < 1)
        die("-b, -t, -f and -p are needed");
    if (!strcmp(argv[1], "produce"))
        return cmd_produce();
    if (!strcmp(argv[1], "latency")) {
        if (!opt.notif || opt.rate <= 0 || opt.seconds <= 0)
            die("latency needs -o, -r and -d");
        return cmd_latency();
    }
    die("the command is produce, latency, create or meter");
    return 2;
}
