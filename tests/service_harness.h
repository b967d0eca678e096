/*
 * service_harness: what the integration tests of `assetmatch run` share,
 * so that their bodies read like the scenario they check.
 *
 *   test process                                  child processes
 *   +-------------------------------------+
 *   | mock cluster (am_devbroker_start) <--------- assetmatch run --config F
 *   |   ^ produce inputs    | read outputs |        (one or more; killed,
 *   |   it_produce*()       it_read()      |         signalled, restarted)
 *   | offline oracle: assetmatch match ... |
 *   +-------------------------------------+
 *
 * One world per test (Criterion runs each test in its own process): a mock
 * cluster with the standard topics, a temporary directory holding the
 * config file, the logs of the children and the files given to the offline
 * `match`, a producer for the inputs and a consumer group id of its own.
 *
 * Nothing waits by sleeping and then asserting: the helpers wait for a
 * condition (a log line, a metric, committed offsets at the end of the
 * inputs) up to a deadline, and say so when it passes.  "Processed" means
 * the group's committed offsets reached the end of both input topics:
 * since an offset is committed only after every record it caused was
 * acknowledged, every notification is then in the topic, and reading the
 * notifications up to their high watermarks sees all of them.
 *
 * When an IT_ASSERT fails, the logs of every child are printed first.
 *
 * With AM_IT_BOOTSTRAP=host:port in the environment (tests/peers/
 * kafka_suite.sh) the same tests run on that real Kafka broker instead:
 * no mock cluster; each test gets fresh topics of its own,
 * "it<pid>-<n>-indicators" and so on, created with the Admin API (the
 * test's partition count, replication 1, the assets topic compacted) and
 * given to the service through its topics.* keys.  Every helper that
 * takes a topic name maps the standard names ("indicators", ...) to the
 * test's topics, and am-origin-topic is read back as the standard name,
 * so the tests are unchanged.  A test that needs fault injection is
 * skipped there, by it_mock().
 */
#ifndef AM_SERVICE_HARNESS_H
#define AM_SERVICE_HARNESS_H

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <criterion/criterion.h>

#define IT_MAX_PROCS 8

/* ApiKeys for rd_kafka_mock_push_request_errors() (not in the public
 * headers). */
#define IT_API_PRODUCE 0
#define IT_API_OFFSET_COMMIT 8

/* A notification or dead letter as read back from its topic. */
typedef struct it_rec_s {
    char id[64];        /* notification_id (value; header checked equal) */
    char tenant[64];    /* the record key (of an input: the event id) */
    char event_id[160];
    char origin_topic[32]; /* a notification's from its value, a dead
                            * letter's from its headers */
    int origin_partition;
    long long origin_offset;
    bool traced;        /* a notification with am-origin-* headers (checked
                         * equal to its value) */
    char reason[32];    /* am-dlq-reason */
    char error[256];    /* am-error */
    size_t len;         /* value length */
    long long original_len; /* am-original-length (truncated), or -1 */
    int partition;      /* where the record itself is */
    long long offset;
} it_rec_t;

typedef struct it_recs_s {
    it_rec_t *v;
    size_t n, cap;
} it_recs_t;

typedef struct it_proc_s {
    pid_t pid;
    char log[320];
    int status;  /* exit status, 128 + signal, or -1 while running */
    int http_port;
} it_proc_t;

/* ---- the world ---------------------------------------------------------- */

/** @brief Starts a mock cluster of \p brokers with \p partitions per topic
 *         (on a real broker: creates the test's topics with \p partitions
 *         each), the temporary directory and the input producer. */
void it_setup(int brokers, int partitions);

/** @brief Kills the children still running, stops everything, removes the
 *         temporary directory. */
void it_teardown(void);

/** @returns the mock cluster, for fault injection; on a real broker
 *           (AM_IT_BOOTSTRAP) skips the test instead. */
rd_kafka_mock_cluster_t *it_mock(void);
const char *it_group(void);
/** @returns "DIR/name" in the test's temporary directory (new: free()). */
char *it_path(const char *name);

/* ---- the service -------------------------------------------------------- */

/**
 * @brief Spawns `assetmatch run --config F` with the world's config and
 *        \p sets (NULL-terminated "KEY=VALUE" overrides, or NULL), its
 *        standard error going to a log file; waits until it listens.
 */
it_proc_t *it_run(const char *const *sets);

void it_signal(it_proc_t *p, int sig);

/** @returns the exit status (128 + signal when killed), or -1 when it did
 *           not exit within \p timeout_s. */
int it_wait_exit(it_proc_t *p, int timeout_s);

/** @returns whether \p needle appeared in the log of \p p within
 *           \p timeout_s. */
bool it_wait_log(it_proc_t *p, const char *needle, int timeout_s);

/** @returns the value of metric \p name on /metrics of \p p, or -1. */
long long it_metric(it_proc_t *p, const char *name);

/** @brief Sleeps \p ms: pacing only, never instead of waiting for a
 *         condition. */
void it_nap_ms(int ms);
/* Monotonic seconds. */
double it_now_s(void);

/** @brief Prints the log of every child to standard error. */
void it_dump_logs(void);

/* ---- inputs ------------------------------------------------------------- */

/** @brief Produces one record (partition -1: by key). */
void it_produce(const char *topic, int partition, const char *key,
                const void *value, size_t len);
/** @returns the number of records: one per non-blank line of \p path. */
size_t it_produce_lines(const char *topic, const char *path);
/** @brief The whole file \p path as one record. */
void it_produce_file(const char *topic, const char *path);
/** @brief Waits until every input was acknowledged. */
void it_flush(void);

/**
 * @brief The generated stream: event \p i (native JSON, id "stream-<i>")
 *        alternates between observables that notify one or two tenants and
 *        one that notifies none.  Written into \p buf.
 */
int it_stream_event(int i, char *buf, size_t size);
/** @brief Writes events [from, to) as JSON lines to \p path. */
void it_stream_file(const char *path, int from, int to);
/** @brief Produces events [from, to) to indicators and scan-results (by
 *         parity), \p per_tick of them every \p tick_ms: a steady stream. */
void it_stream(int from, int to, int per_tick, int tick_ms);

/**
 * @brief An Avro event of schemas/event.avsc, framed with \p schema_id
 *        when >= 0: an Indicator with observables "type=value" (\p obs,
 *        NULL-terminated), or, when \p scan_ip is set, a ScanResult.
 * @returns the encoding (free()), its length in \p len.
 */
char *it_avro_event(const char *id, const char *const *obs,
                    const char *scan_ip, const char *scan_host,
                    int32_t schema_id, size_t *len);

/** @brief Writes \p len bytes to \p path. */
void it_write_file(const char *path, const void *buf, size_t len);

/* ---- outputs ------------------------------------------------------------ */

/** @brief Every record of \p topic, up to its high watermarks. */
it_recs_t it_read(const char *topic);

/**
 * @brief Waits until the group's committed offsets reach the end of both
 *        input topics.  @returns whether they did within \p timeout_s.
 */
bool it_wait_processed(int timeout_s);

/** @returns the broker that leads \p topic [\p partition]. */
int it_leader(const char *topic, int partition);

/** @returns the committed offset of the group on \p topic [\p partition]
 *           (negative: none). */
long long it_committed(const char *topic, int partition);

/**
 * @brief Runs `assetmatch match` offline on \p files (NULL-terminated)
 *        with the world's inventory and `--format` \p format (NULL: auto).
 * @returns its notifications.
 */
it_recs_t it_offline(const char *format, const char *const *files);

void it_recs_free(it_recs_t *r);
void it_recs_add(it_recs_t *r, const it_rec_t *rec);
/** @brief Sorts by (id, tenant). */
void it_recs_sort(it_recs_t *r);
/** @returns the number of records whose (id, tenant) repeats an earlier. */
size_t it_recs_duplicates(it_recs_t *r);
/** @returns whether (id, tenant) is in \p r. */
bool it_recs_has(const it_recs_t *r, const char *id, const char *tenant);
/** @returns the first record of \p r with event id \p event_id, or NULL. */
const it_rec_t *it_recs_find_event(const it_recs_t *r, const char *event_id);

/* ---- assertions --------------------------------------------------------- */

/* An assertion that prints the children's logs before failing. */
#define IT_ASSERT(cond, ...)                                                 \
    do {                                                                     \
        if (!(cond)) {                                                       \
            it_dump_logs();                                                  \
            cr_assert_fail(__VA_ARGS__);                                     \
        }                                                                    \
    } while (0)

/**
 * @brief \p got holds exactly the (id, tenant) pairs of \p want: none
 *        missing, none unexpected, and (\p allow_dups false) none twice.
 *        Duplicates of an expected pair are allowed when \p allow_dups.
 */
void it_expect_notifications(it_recs_t *got, it_recs_t *want,
                             bool allow_dups, const char *what);

#endif
