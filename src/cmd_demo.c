/*
 * `assetmatch demo`: the whole service in one process, on sample data.
 *
 *   data/demo/    --producer-->  [indicators] [scan-results]    dev broker
 *                                     |                      (devbroker.h)
 *                         am_runner_run() on a thread: the code of `run`
 *                                     |
 *   one line each  <--reader--  [notifications] [dead-letter]
 *
 * Before anything is produced, every sample message is decoded and matched
 * here, offline, with the same decoders and matcher: that gives the
 * notification ids and dead letters to expect, so the demo can say when
 * everything has arrived (and exit 0) or what is missing at the deadline
 * (and exit 1).  Because the expectation comes from the code in the tree,
 * a format whose decoder rejects the samples still gives a demo that
 * finishes; the note after the summary names it.
 *
 * The notifications are JSON on the topic (output.format = json), parsed
 * with jansson to print them.
 */
#include <getopt.h>
#include <jansson.h>
#include <librdkafka/rdkafka.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "classify.h"
#include "cmd.h"
#include "config.h"
#include "csv.h"
#include "decode.h"
#include "devbroker.h"
#include "fileio.h"
#include "log.h"
#include "metrics.h"
#include "notification.h"
#include "runner.h"
#include "service.h"

#define DEMO_TIMEOUT_S 30
#define DEMO_PARTITIONS 3
#define DEMO_CSV_MAX_COLUMNS 256

static const char demo_usage[] =
    "usage: assetmatch demo [--data DIR] [--timeout SECONDS] "
    "[--partitions N]\n"
    "\n"
    "Runs the service on sample data, all in this process: starts the dev\n"
    "broker (librdkafka's mock cluster), loads the sample inventory,\n"
    "produces the sample events (native JSON, STIX 2.1, IntelMQ,\n"
    "Shadowserver rows and one malformed message) to the indicators and\n"
    "scan-results topics, runs the code of `assetmatch run` on them, and\n"
    "prints every notification and dead letter as it arrives, then a\n"
    "summary.  Exits 0 once everything expected arrived, 1 when something\n"
    "is missing at the deadline, 2 when it cannot start.\n"
    "\n"
    "  -d, --data DIR        the sample files (default " AM_DATA_DIR
    "/demo)\n"
    "  -t, --timeout S       give up after S seconds (default 30)\n"
    "  -p, --partitions N    partitions per topic (default 3)\n"
    "  -v, --verbose         the service's log at info level, not notice\n"
    "  -h, --help            this text\n";

/* How a sample file becomes messages. */
typedef enum split_e {
    SPLIT_LINES, /* one message per non-empty line */
    SPLIT_WHOLE, /* the file is one message */
    SPLIT_CSV,   /* one JSON object per CSV row, as Shadowserver's API */
} split_t;

/* The sample files, what they hold and where they go.  bad: every message
 * of the file is meant for the dead-letter topic. */
static const struct {
    const char *file;
    const char *what;
    bool scan; /* to scan-results, else indicators */
    split_t split;
    bool bad;
} samples[] = {
    {"indicators.jsonl", "native JSON indicators", false, SPLIT_LINES, false},
    {"scans.jsonl", "native JSON scan results", true, SPLIT_LINES, false},
    {"stix-bundle.json", "STIX 2.1 bundle", false, SPLIT_WHOLE, false},
    {"intelmq.jsonl", "IntelMQ events", false, SPLIT_LINES, false},
    {"2026-11-27-scan_rdp-demo.csv", "Shadowserver scan_rdp rows", true,
     SPLIT_CSV, false},
    {"malformed.json", "malformed message", false, SPLIT_WHOLE, true},
};
#define N_SAMPLES (sizeof(samples) / sizeof(samples[0]))

typedef struct msg_s {
    char *payload;
    size_t len;
    size_t sample; /* index in samples[] */
    char label[96]; /* file[:line] */
    /* From the delivery report. */
    int32_t partition;
    int64_t offset;
    bool delivered;
    /* From the offline pass. */
    bool rejected;
    am_format_t format;
} msg_t;

/* One notification to expect, and whether it came. */
typedef struct expect_s {
    char id[AM_UUID_STRLEN];
    char *tenant;
    bool seen;
} expect_t;

typedef struct demo_s {
    /* Options. */
    const char *data_dir;
    int timeout_s;
    int partitions;
    bool verbose;
    /* Samples. */
    msg_t *msgs;
    size_t n_msgs;
    /* Expectations (offline pass). */
    expect_t *expect;
    size_t n_expect, cap_expect;
    size_t expect_dlq, expect_events, expect_expired, expect_unmatched;
    /* What the offline pass is working on. */
    const am_matcher_t *m;
    am_match_ctx_t *ctx;
    size_t cur_rejects;
    bool oom;
    /* What arrived. */
    size_t got_notifications, got_duplicates, got_dlq;
} demo_t;

/* ---- sample files ---------------------------------------------------- */

static int add_msg(demo_t *d, size_t sample, const char *s, size_t n,
                   size_t line) {
    msg_t *nm = realloc(d->msgs, (d->n_msgs + 1) * sizeof(*nm));
    msg_t *mg;

    if (!nm)
        return -1;
    d->msgs = nm;
    mg = &d->msgs[d->n_msgs];
    memset(mg, 0, sizeof(*mg));
    if (!(mg->payload = malloc(n ? n : 1)))
        return -1;
    memcpy(mg->payload, s, n);
    mg->len = n;
    mg->sample = sample;
    mg->partition = -1;
    mg->offset = -1;
    if (line)
        snprintf(mg->label, sizeof(mg->label), "%s:%zu",
                 samples[sample].file, line);
    else
        snprintf(mg->label, sizeof(mg->label), "%s", samples[sample].file);
    d->n_msgs++;
    return 0;
}

/* "2026-11-27-scan_rdp-demo.csv" -> "scan_rdp": Shadowserver's file
 * names, YYYY-MM-DD-<report type>-<rest>.csv. */
static void report_type(const char *file, char *out, size_t size) {
    const char *p = strlen(file) > 11 ? file + 11 : file;
    size_t n = strcspn(p, "-.");

    snprintf(out, size, "%.*s", (int)n, p);
}

/* Each CSV record, after the header, as one JSON object of its non-empty
 * fields (strings, as the CSV gives them) plus the report type that the
 * file name carried, since a Kafka record has no file name. */
static int split_csv(demo_t *d, size_t sample, const am_file_t *f) {
    am_csv_field_t *fields = calloc(DEMO_CSV_MAX_COLUMNS, sizeof(*fields));
    char **header = NULL, err[256], type[64];
    size_t n_header = 0, n;
    am_csv_t csv;
    int r, rc = 0;

    if (!fields)
        return -1;
    report_type(samples[sample].file, type, sizeof(type));
    am_csv_init(&csv, f->data, f->len);
    while (rc == 0 && (r = am_csv_next(&csv, fields, DEMO_CSV_MAX_COLUMNS,
                                       &n, err, sizeof(err))) != 0) {
        json_t *row;
        char *text;

        if (r < 0) {
            fprintf(stderr, "assetmatch demo: %s:%zu: %s\n",
                    samples[sample].file, csv.rec_line, err);
            rc = -1;
            break;
        }
        if (!header) {
            if (!(header = calloc(n, sizeof(*header)))) {
                rc = -1;
                break;
            }
            for (n_header = 0; n_header < n; n_header++)
                if (!(header[n_header] = strndup(fields[n_header].s,
                                                 fields[n_header].len))) {
                    rc = -1;
                    break;
                }
            continue;
        }
        if (!(row = json_object())) {
            rc = -1;
            break;
        }
        json_object_set_new(row, "report_type", json_string(type));
        for (size_t i = 0; i < n && i < n_header; i++)
            if (fields[i].len)
                json_object_set_new(
                    row, header[i],
                    json_stringn(fields[i].s, fields[i].len));
        text = json_dumps(row, JSON_COMPACT | JSON_SORT_KEYS);
        json_decref(row);
        if (!text || add_msg(d, sample, text, strlen(text), csv.rec_line) < 0)
            rc = -1;
        free(text);
    }
    for (size_t i = 0; i < n_header; i++)
        free(header[i]);
    free(header);
    free(fields);
    am_csv_free(&csv);
    return rc;
}

static int load_samples(demo_t *d) {
    for (size_t s = 0; s < N_SAMPLES; s++) {
        char path[1024], why[512];
        am_file_t f;
        int rc = 0;

        snprintf(path, sizeof(path), "%s/%s", d->data_dir, samples[s].file);
        if (am_file_open(&f, path, why, sizeof(why)) < 0) {
            fprintf(stderr, "assetmatch demo: %s\n", why);
            return -1;
        }
        if (samples[s].split == SPLIT_WHOLE) {
            rc = add_msg(d, s, f.data, f.len, 0);
        } else if (samples[s].split == SPLIT_CSV) {
            rc = split_csv(d, s, &f);
        } else {
            const char *p = f.data, *end = f.data + f.len;
            for (size_t line = 1; rc == 0 && p < end; line++) {
                const char *nl = memchr(p, '\n', (size_t)(end - p));
                const char *e = nl ? nl : end;
                if (e > p && !(e - p == 1 && *p == '\r'))
                    rc = add_msg(d, s, p, (size_t)(e - p), line);
                p = nl ? nl + 1 : end;
            }
        }
        am_file_close(&f);
        if (rc < 0) {
            fprintf(stderr, "assetmatch demo: %s: cannot read it\n", path);
            return -1;
        }
    }
    return 0;
}

/* ---- what to expect: the same decode and match, offline -------------- */

static int offline_event(am_event_t *ev, void *opaque) {
    demo_t *d = opaque;
    const am_inventory_t *inv = am_matcher_inventory(d->m);
    const am_match_result_t *res;
    int n;

    d->expect_events++;
    if ((n = am_matcher_match(d->m, d->ctx, ev, &res)) < 0) {
        d->oom = true;
        return 1;
    }
    if (n == 0)
        d->expect_unmatched++;
    for (int i = 0; i < n; i++) {
        const char *tenant = am_inventory_tenant(inv, res[i].tenant);
        expect_t *e;

        if (d->n_expect == d->cap_expect) {
            size_t cap = d->cap_expect ? 2 * d->cap_expect : 64;
            expect_t *ne = realloc(d->expect, cap * sizeof(*ne));
            if (!ne) {
                d->oom = true;
                return 1;
            }
            d->expect = ne;
            d->cap_expect = cap;
        }
        e = &d->expect[d->n_expect];
        memset(e, 0, sizeof(*e));
        if (am_notification_id(tenant, ev->id, e->id) < 0 ||
            !(e->tenant = strdup(tenant))) {
            d->oom = true;
            return 1;
        }
        d->n_expect++;
    }
    return 0;
}

static void offline_reject(long item, const char *reason, void *opaque) {
    demo_t *d = opaque;

    d->cur_rejects++;
}

static void offline_skip(long item, am_skip_t why, void *opaque) {
    demo_t *d = opaque;

    if (why == AM_SKIP_EXPIRED)
        d->expect_expired++;
}

static int expect_all(demo_t *d, const am_config_t *cfg) {
    am_decode_sink_t sink = {offline_event, offline_reject, offline_skip, d};
    am_event_t ev;

    if (!(d->ctx = am_match_ctx_new()))
        return -1;
    am_event_init(&ev);
    for (size_t i = 0; i < d->n_msgs; i++) {
        msg_t *mg = &d->msgs[i];
        /* The service gets the topic as its hint; so does this pass. */
        am_decode_hint_t hint = {samples[mg->sample].scan
                                     ? cfg->topic_scan_results
                                     : cfg->topic_indicators,
                                 0};
        d->cur_rejects = 0;
        am_decode(cfg->input_format, mg->payload, mg->len, &hint, &ev, &sink,
                  &mg->format);
        mg->rejected = d->cur_rejects > 0;
        if (mg->rejected)
            d->expect_dlq++;
    }
    am_event_free(&ev);
    return d->oom ? -1 : 0;
}

static expect_t *find_expect(demo_t *d, const char *id) {
    for (size_t i = 0; i < d->n_expect; i++)
        if (strcmp(d->expect[i].id, id) == 0)
            return &d->expect[i];
    return NULL;
}

/* ---- producing the samples ------------------------------------------- */

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *rkm,
                        void *opaque) {
    msg_t *mg = rkm->_private;

    if (rkm->err) {
        fprintf(stderr, "assetmatch demo: producing %s: %s\n", mg->label,
                rd_kafka_err2str(rkm->err));
        return;
    }
    mg->partition = rkm->partition;
    mg->offset = rkm->offset;
    mg->delivered = true;
}

static rd_kafka_t *client_new(rd_kafka_type_t type, const char *bootstraps) {
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    char err[512];
    rd_kafka_t *rk;

    rd_kafka_conf_set(conf, "bootstrap.servers", bootstraps, NULL, 0);
    rd_kafka_conf_set(conf, "log_level", "3", NULL, 0);
    if (type == RD_KAFKA_PRODUCER) {
        rd_kafka_conf_set(conf, "linger.ms", "5", NULL, 0);
        rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
    } else {
        /* A group id only for the consumer queue: partitions are assigned
         * by hand and nothing is committed. */
        rd_kafka_conf_set(conf, "group.id", "assetmatch-demo-reader", NULL,
                          0);
        rd_kafka_conf_set(conf, "enable.auto.commit", "false", NULL, 0);
    }
    if (!(rk = rd_kafka_new(type, conf, err, sizeof(err)))) {
        fprintf(stderr, "assetmatch demo: %s\n", err);
        return NULL;
    }
    if (type == RD_KAFKA_CONSUMER)
        rd_kafka_poll_set_consumer(rk);
    return rk;
}

static int produce_all(demo_t *d, rd_kafka_t *rk, const am_config_t *cfg) {
    size_t per_sample[N_SAMPLES] = {0};

    for (size_t i = 0; i < d->n_msgs; i++) {
        msg_t *mg = &d->msgs[i];
        const char *topic = samples[mg->sample].scan ? cfg->topic_scan_results
                                                     : cfg->topic_indicators;
        rd_kafka_resp_err_t e = rd_kafka_producev(
            rk, RD_KAFKA_V_TOPIC(topic),
            RD_KAFKA_V_VALUE(mg->payload, mg->len),
            RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_OPAQUE(mg),
            RD_KAFKA_V_END);
        if (e) {
            fprintf(stderr, "assetmatch demo: producing %s: %s\n", mg->label,
                    rd_kafka_err2str(e));
            return -1;
        }
        per_sample[mg->sample]++;
    }
    if (rd_kafka_flush(rk, 10000) != RD_KAFKA_RESP_ERR_NO_ERROR) {
        fprintf(stderr, "assetmatch demo: the samples were not all "
                        "acknowledged in 10 s\n");
        return -1;
    }
    for (size_t i = 0; i < d->n_msgs; i++)
        if (!d->msgs[i].delivered)
            return -1;
    printf("produced %zu messages:\n", d->n_msgs);
    for (size_t s = 0; s < N_SAMPLES; s++)
        printf("  %2zu x %-28s %-30s -> %s\n", per_sample[s],
               samples[s].what, samples[s].file,
               samples[s].scan ? cfg->topic_scan_results
                               : cfg->topic_indicators);
    return 0;
}

/* The sample message at topic/partition/offset, or NULL. */
static const msg_t *msg_at(const demo_t *d, const am_config_t *cfg,
                           const char *topic, long partition, long long off) {
    for (size_t i = 0; i < d->n_msgs; i++) {
        const msg_t *mg = &d->msgs[i];
        const char *t = samples[mg->sample].scan ? cfg->topic_scan_results
                                                 : cfg->topic_indicators;
        if (mg->partition == partition && mg->offset == off &&
            strcmp(t, topic) == 0)
            return mg;
    }
    return NULL;
}

/* ---- reading the output ---------------------------------------------- */

static const char *jstr(json_t *o, const char *key) {
    const char *s = json_string_value(json_object_get(o, key));
    return s ? s : "-";
}

/* What the notification says the threat is: its classification when the
 * encoder writes one, else the event's own category, else the scan tag. */
static void what_of(json_t *o, char *out, size_t size) {
    json_t *c = json_object_get(o, "classification");
    const char *cat = json_string_value(json_object_get(o, "category"));
    const char *tag = json_string_value(json_object_get(o, "tag"));

    if (json_is_object(c) && json_string_value(json_object_get(c, "type")))
        snprintf(out, size, "%s/%s", jstr(c, "taxonomy"), jstr(c, "type"));
    else if (cat)
        snprintf(out, size, "%s", cat);
    else if (tag)
        snprintf(out, size, "scan:%s", tag);
    else
        snprintf(out, size, "-");
}

static void show_notification(demo_t *d, const am_config_t *cfg,
                              const rd_kafka_message_t *rkm) {
    json_error_t je;
    json_t *o = json_loadb(rkm->payload, rkm->len, 0, &je), *orig, *obs;
    const msg_t *src = NULL;
    expect_t *e;
    char what[128], more[32] = "";
    size_t n_assets;
    bool dup = false;

    if (!o) {
        printf("NOTIFY ? (not JSON: %s)\n", je.text);
        return;
    }
    e = find_expect(d, jstr(o, "notification_id"));
    if (e && e->seen) {
        d->got_duplicates++;
        dup = true;
    } else if (e) {
        e->seen = true;
        d->got_notifications++;
    }
    orig = json_object_get(o, "origin");
    if (json_is_object(orig))
        src = msg_at(d, cfg, jstr(orig, "topic"),
                     (long)json_integer_value(json_object_get(orig,
                                                              "partition")),
                     (long long)json_integer_value(
                         json_object_get(orig, "offset")));
    obs = json_object_get(o, "observable");
    n_assets = json_array_size(json_object_get(o, "matched_assets"));
    what_of(o, what, sizeof(what));
    if (n_assets > 1)
        snprintf(more, sizeof(more), " +%zu more", n_assets - 1);
    printf("NOTIFY  %-8s %s (%s %s, %s)%s <- %s %s | %s %s | %s | "
           "severity %s | tlp %s | %s%s\n",
           jstr(o, "tenant_id"), jstr(o, "asset_id"), jstr(o, "asset_kind"),
           jstr(o, "asset_value"), jstr(o, "match_kind"), more,
           jstr(obs, "type"),
           jstr(obs, "value"), jstr(o, "event_kind"), jstr(o, "event_id"),
           what, jstr(o, "severity"), jstr(o, "tlp"),
           src ? src->label : "?",
           !e ? " (unexpected)" : dup ? " (duplicate)" : "");
    json_decref(o);
}

static const char *header(const rd_kafka_message_t *rkm, const char *name,
                          char *buf, size_t size) {
    rd_kafka_headers_t *h;
    const void *v;
    size_t n;

    if (rd_kafka_message_headers(rkm, &h) ||
        rd_kafka_header_get_last(h, name, &v, &n))
        return "?";
    snprintf(buf, size, "%.*s", (int)n, (const char *)v);
    return buf;
}

static void show_dead_letter(demo_t *d, const am_config_t *cfg,
                             const rd_kafka_message_t *rkm) {
    char topic[128], part[24], off[24], reason[64], fmt[32], why[512];
    const msg_t *src;

    d->got_dlq++;
    header(rkm, "am-origin-topic", topic, sizeof(topic));
    header(rkm, "am-origin-partition", part, sizeof(part));
    header(rkm, "am-origin-offset", off, sizeof(off));
    src = msg_at(d, cfg, topic, atol(part), atoll(off));
    printf("DEAD    %s (%s [%s] @%s, as %s): %s: %s\n",
           src ? src->label : "?", topic, part, off,
           header(rkm, "am-input-format", fmt, sizeof(fmt)),
           header(rkm, "am-dlq-reason", reason, sizeof(reason)),
           header(rkm, "am-error", why, sizeof(why)));
}

static int assign_output(rd_kafka_t *rk, const am_config_t *cfg,
                         int partitions) {
    rd_kafka_topic_partition_list_t *parts =
        rd_kafka_topic_partition_list_new(2 * partitions);
    rd_kafka_resp_err_t e;

    for (int p = 0; p < partitions; p++) {
        rd_kafka_topic_partition_list_add(parts, cfg->topic_notifications, p)
            ->offset = RD_KAFKA_OFFSET_BEGINNING;
        rd_kafka_topic_partition_list_add(parts, cfg->topic_dead_letter, p)
            ->offset = RD_KAFKA_OFFSET_BEGINNING;
    }
    e = rd_kafka_assign(rk, parts);
    rd_kafka_topic_partition_list_destroy(parts);
    if (e) {
        fprintf(stderr, "assetmatch demo: reading the output: %s\n",
                rd_kafka_err2str(e));
        return -1;
    }
    return 0;
}

/* ---- the service, on its own thread ---------------------------------- */

typedef struct svc_thread_s {
    am_runner_t *runner;
    volatile sig_atomic_t stop; /* set by the main thread */
    int rc;
    atomic_bool finished;
} svc_thread_t;

static void *service_main(void *arg) {
    svc_thread_t *st = arg;

    st->rc = am_runner_run(st->runner, &st->stop);
    atomic_store(&st->finished, true);
    return NULL;
}

/* ---- the summary ------------------------------------------------------ */

static int by_tenant(const void *a, const void *b) {
    const expect_t *x = a, *y = b;

    return strcmp(x->tenant, y->tenant);
}

static void summary(demo_t *d, const am_metrics_t *mt, double secs) {
    static const char *const fmt_names[] = {"auto", "native JSON", "Avro",
                                            "STIX", "IntelMQ",
                                            "Shadowserver"};
    bool first = true;

    printf("\nsummary (%.1f s):\n", secs);
    printf("  messages      %zu produced; consumed by the service as",
           d->n_msgs);
    for (int f = 1; f < AM_FORMAT__COUNT; f++) {
        uint64_t n = 0;
        for (int t = 0; t < AM_METRICS_TOPICS; t++)
            n += atomic_load(&mt->consumed[t][f]);
        if (n) {
            printf("%s %s %llu", first ? "" : ",", fmt_names[f],
                   (unsigned long long)n);
            first = false;
        }
    }
    printf("%s\n", first ? " nothing yet" : "");
    printf("  events        %llu decoded of %zu expected (%zu of them "
           "match nobody); skipped: %llu expired (%zu expected), %llu not "
           "indicators\n",
           (unsigned long long)atomic_load(&mt->events), d->expect_events,
           d->expect_unmatched,
           (unsigned long long)atomic_load(&mt->skipped[AM_SKIP_EXPIRED]),
           d->expect_expired,
           (unsigned long long)atomic_load(
               &mt->skipped[AM_SKIP_NOT_MATCHABLE]));
    printf("  notifications %zu of %zu expected", d->got_notifications,
           d->n_expect);
    if (d->got_duplicates)
        printf(" (+%zu duplicates, same id)", d->got_duplicates);
    printf("\n");
    qsort(d->expect, d->n_expect, sizeof(*d->expect), by_tenant);
    for (size_t i = 0; i < d->n_expect;) {
        size_t j = i, got = 0;
        for (; j < d->n_expect &&
               strcmp(d->expect[j].tenant, d->expect[i].tenant) == 0;
             j++)
            got += d->expect[j].seen;
        printf("    %-10s %zu%s\n", d->expect[i].tenant, got,
               got == j - i ? "" : " (some missing)");
        i = j;
    }
    printf("  dead letters  %zu of %zu expected", d->got_dlq, d->expect_dlq);
    for (int r = 0; r < AM_DLQ__COUNT; r++)
        if (atomic_load(&mt->dead_letters[r]))
            printf(", %s %llu", am_dlq_reason_name((am_dlq_reason_t)r),
                   (unsigned long long)atomic_load(&mt->dead_letters[r]));
    printf("\n");
    /* A sample that is valid but was rejected: its format's decoder is
     * missing or wrong in this build. */
    for (size_t s = 0; s < N_SAMPLES; s++) {
        size_t n = 0, bad = 0;
        for (size_t i = 0; i < d->n_msgs; i++)
            if (d->msgs[i].sample == s) {
                n++;
                bad += d->msgs[i].rejected;
            }
        if (!samples[s].bad && bad)
            printf("  note: %zu of %zu %s (%s) were not decoded by this "
                   "build; they went to the dead-letter topic\n",
                   bad, n, samples[s].what, samples[s].file);
    }
}

/* ---- the command ------------------------------------------------------ */

static int parse_args(demo_t *d, int argc, char **argv) {
    static const struct option opts[] = {
        {"data", required_argument, NULL, 'd'},
        {"timeout", required_argument, NULL, 't'},
        {"partitions", required_argument, NULL, 'p'},
        {"verbose", no_argument, NULL, 'v'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    int c;

    optind = 1;
    while ((c = getopt_long(argc, argv, "d:t:p:vh", opts, NULL)) != -1) {
        switch (c) {
        case 'd': d->data_dir = optarg; break;
        case 't': d->timeout_s = atoi(optarg); break;
        case 'p': d->partitions = atoi(optarg); break;
        case 'v': d->verbose = true; break;
        case 'h': fputs(demo_usage, stdout); return 1;
        default: fputs(demo_usage, stderr); return -1;
        }
    }
    if (optind < argc || d->timeout_s < 1 || d->partitions < 1 ||
        d->partitions > 64) {
        fprintf(stderr, "assetmatch demo: the timeout must be at least 1 s "
                        "and partitions 1..64\n\n%s",
                demo_usage);
        return -1;
    }
    return 0;
}

static int set(am_config_t *cfg, const char *key, const char *value) {
    char err[512];

    if (am_config_set(cfg, key, value, err, sizeof(err)) < 0) {
        fprintf(stderr, "assetmatch demo: %s\n", err);
        return -1;
    }
    return 0;
}

static double since(const struct timespec *t0) {
    struct timespec t;

    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)(t.tv_sec - t0->tv_sec) +
           (double)(t.tv_nsec - t0->tv_nsec) / 1e9;
}

/* Reads the output topics until everything expected is there, the
 * deadline passes, the service stops by itself, or Ctrl-C.
 * @returns true when everything expected arrived. */
static bool read_output(demo_t *d, const am_config_t *cfg, rd_kafka_t *rk,
                        const svc_thread_t *st,
                        volatile sig_atomic_t *interrupted,
                        const struct timespec *t0) {
    while (!*interrupted) {
        rd_kafka_message_t *rkm;

        if (d->got_notifications == d->n_expect &&
            d->got_dlq >= d->expect_dlq)
            return true;
        if (since(t0) > d->timeout_s) {
            fprintf(stderr,
                    "assetmatch demo: after %d s, %zu of %zu notifications "
                    "and %zu of %zu dead letters arrived\n",
                    d->timeout_s, d->got_notifications, d->n_expect,
                    d->got_dlq, d->expect_dlq);
            return false;
        }
        if (atomic_load(&st->finished)) {
            fprintf(stderr, "assetmatch demo: the service stopped by "
                            "itself (see its log above)\n");
            return false;
        }
        if (!(rkm = rd_kafka_consumer_poll(rk, 200)))
            continue;
        if (rkm->err) {
            if (rkm->err != RD_KAFKA_RESP_ERR__PARTITION_EOF)
                fprintf(stderr, "assetmatch demo: reading: %s\n",
                        rd_kafka_message_errstr(rkm));
        } else if (strcmp(rd_kafka_topic_name(rkm->rkt),
                          cfg->topic_notifications) == 0) {
            show_notification(d, cfg, rkm);
        } else {
            show_dead_letter(d, cfg, rkm);
        }
        rd_kafka_message_destroy(rkm);
    }
    fprintf(stderr, "assetmatch demo: interrupted\n");
    return false;
}

int am_cmd_demo(int argc, char **argv) {
    demo_t d = {.data_dir = AM_DATA_DIR "/demo",
                .timeout_s = DEMO_TIMEOUT_S,
                .partitions = DEMO_PARTITIONS};
    am_cmd_inventory_opts_t io;
    am_config_t cfg;
    am_inventory_t *inv = NULL;
    am_matcher_t *m = NULL;
    am_classify_t *cl = NULL;
    am_metrics_t metrics;
    am_runner_t *runner = NULL;
    am_devbroker_t *db = NULL;
    rd_kafka_t *producer = NULL, *reader = NULL;
    svc_thread_t st = {0};
    pthread_t thread;
    bool running = false, complete = false;
    volatile sig_atomic_t *interrupted;
    char inv_path[1024], err[512];
    struct timespec t0;
    int rc = AM_EXIT_USAGE, prc;

    clock_gettime(CLOCK_MONOTONIC, &t0);
    am_config_init(&cfg);
    am_metrics_init(&metrics, cfg.topic_indicators, cfg.topic_scan_results);
    if ((prc = parse_args(&d, argc, argv)) != 0) {
        am_config_free(&cfg);
        return prc > 0 ? AM_EXIT_OK : AM_EXIT_USAGE;
    }
    if (am_cmd_install_stop_handlers(&interrupted) < 0) {
        perror("sigaction");
        goto out;
    }
    /* Under make, standard output is a pipe: show each line as it comes. */
    setvbuf(stdout, NULL, _IOLBF, 0);

    /* The configuration `run` would read from a file. */
    snprintf(inv_path, sizeof(inv_path), "%s/inventory.csv", d.data_dir);
    if (set(&cfg, "inventory.file", inv_path) < 0 ||
        set(&cfg, "output.format", "json") < 0 ||
        set(&cfg, "http.listen", "127.0.0.1:0") < 0 ||
        set(&cfg, "kafka.group.id", "assetmatch-demo") < 0 ||
        set(&cfg, "log.level", d.verbose ? "info" : "notice") < 0)
        goto out;
    am_log_set_level(cfg.log_level);

    /* The inventory and the samples, and what they should give. */
    if (load_samples(&d) < 0)
        goto out;
    io = (am_cmd_inventory_opts_t){cfg.inventory_file, cfg.include_unverified,
                                   false, 20};
    if (am_cmd_load_inventory(&io, &inv, &m) < 0)
        goto out;
    if (!(cl = am_classify_load(NULL, err, sizeof(err))))
        fprintf(stderr, "assetmatch demo: %s; going on without "
                        "classification and advice\n",
                err);
    d.m = m;
    if (expect_all(&d, &cfg) < 0) {
        fprintf(stderr, "assetmatch demo: out of memory\n");
        goto out;
    }

    /* From here on as `run` wires it (cmd_run.c): the inventory file is
     * version 1 of the live inventory, the assets topic applies on top of
     * it, recent indicators are kept for retroactive matching, and events
     * are consumed once the assets topic was read to its end. */
    d.m = NULL;
    am_matcher_destroy(m);
    m = NULL;
    if (!(db = am_devbroker_start(1, d.partitions,
                                  "indicators,scan-results,assets,"
                                  "notifications,dead-letter",
                                  err, sizeof(err)))) {
        fprintf(stderr, "assetmatch demo: dev broker: %s\n", err);
        goto out;
    }
    if (set(&cfg, "kafka.bootstrap.servers", am_devbroker_bootstraps(db)) <
        0)
        goto out;
    printf("dev broker on %s, %d partitions per topic\n",
           am_devbroker_bootstraps(db), d.partitions);
    if (!(runner = am_runner_start(&cfg, inv, cl, &metrics, interrupted,
                                   err, sizeof(err)))) {
        inv = NULL; /* taken */
        if (err[0])
            fprintf(stderr, "assetmatch demo: %s\n", err);
        goto out;
    }
    inv = NULL; /* taken */
    printf("metrics on http://127.0.0.1:%d/metrics, health on /healthz and "
           "/readyz, while the demo runs\n",
           am_runner_http_port(runner));
    st.runner = runner;
    if (pthread_create(&thread, NULL, service_main, &st) != 0) {
        fprintf(stderr, "assetmatch demo: cannot start a thread\n");
        goto out;
    }
    running = true;

    /* The feeds, and what comes out. */
    if (!(producer = client_new(RD_KAFKA_PRODUCER,
                                am_devbroker_bootstraps(db))) ||
        !(reader = client_new(RD_KAFKA_CONSUMER,
                              am_devbroker_bootstraps(db))) ||
        assign_output(reader, &cfg, d.partitions) < 0 ||
        produce_all(&d, producer, &cfg) < 0)
        goto out;
    printf("\nwaiting for %zu notifications and %zu dead letter%s "
           "(deadline %d s):\n"
           "NOTIFY  tenant   asset (kind value, how it matched) <- observable "
           "| event kind and id\n"
           "        | classification | severity | tlp | sample it came from\n"
           "DEAD    sample (topic [partition] @offset, format): reason: "
           "error\n\n",
           d.n_expect, d.expect_dlq, d.expect_dlq == 1 ? "" : "s",
           d.timeout_s);
    complete = read_output(&d, &cfg, reader, &st, interrupted, &t0);

    /* Stop the service as SIGTERM stops `run`: it finishes the batch in
     * hand, commits and leaves the group. */
    st.stop = 1;
    pthread_join(thread, NULL);
    running = false;
    summary(&d, &metrics, since(&t0));
    if (complete && st.rc == 0) {
        printf("\ndemo complete: every expected notification and dead "
               "letter arrived\n");
        rc = AM_EXIT_OK;
    } else {
        printf("\ndemo FAILED: %s\n",
               *interrupted ? "interrupted"
               : !complete  ? "some expected output did not arrive"
                            : "the service stopped with an error");
        rc = AM_EXIT_REJECTED;
    }
out:
    if (running) {
        st.stop = 1;
        pthread_join(thread, NULL);
    }
    if (reader) {
        rd_kafka_consumer_close(reader);
        rd_kafka_destroy(reader);
    }
    if (producer)
        rd_kafka_destroy(producer);
    /* What runs first, then the broker it talks to. */
    am_runner_destroy(runner);
    am_devbroker_stop(db);
    am_match_ctx_destroy(d.ctx);
    for (size_t i = 0; i < d.n_msgs; i++)
        free(d.msgs[i].payload);
    free(d.msgs);
    for (size_t i = 0; i < d.n_expect; i++)
        free(d.expect[i].tenant);
    free(d.expect);
    am_matcher_destroy(m);
    am_inventory_destroy(inv);
    am_classify_destroy(cl);
    am_config_free(&cfg);
    return rc;
}
