/*
 * Integration tests of `assetmatch run` (issue 4, item 8): the built
 * executable, as operators run it, against librdkafka's mock cluster in
 * this process (service_harness.h).
 *
 * The expected notifications always come from the offline `assetmatch
 * match` on the same inputs: the service must give the same
 * notification_ids, for the same tenants, and (unless a process was
 * killed) each exactly once.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "service_harness.h"

#define DATA AM_TEST_DATA "/service/"

static void setup(void) {
    it_setup(3, 4);
}

TestSuite(service, .init = setup, .fini = it_teardown);

/* ---- helpers that keep the bodies short ---------------------------------- */

/* Waits until every process in \p procs reports assigned partitions at the
 * same time: they share the input topics. */
static void expect_all_assigned(it_proc_t **procs, size_t n, int timeout_s) {
    for (int tries = 0; tries < timeout_s * 10; tries++) {
        size_t ok = 0;
        for (size_t i = 0; i < n; i++)
            ok += it_metric(procs[i], "assetmatch_assigned_partitions") > 0;
        if (ok == n)
            return;
        it_nap_ms(100);
    }
    IT_ASSERT(0, "the %zu members did not all get partitions in %d s", n,
              timeout_s);
}

/* Waits until \p p has produced at least \p n notifications. */
static void expect_notifying(it_proc_t *p, long long n, int timeout_s) {
    for (int tries = 0; tries < timeout_s * 20; tries++) {
        if (it_metric(p, "assetmatch_notifications_total") >= n)
            return;
        it_nap_ms(50);
    }
    IT_ASSERT(0, "no %lld notifications from pid %d in %d s", n, (int)p->pid,
              timeout_s);
}

/* SIGTERM, then exit status 0 within 30 s. */
static void stop_cleanly(it_proc_t *p) {
    it_signal(p, SIGTERM);
    IT_ASSERT(it_wait_exit(p, 30) == 0,
              "SIGTERM: pid %d exited with %d (-1: still running)",
              (int)p->pid, p->status);
}

static void expect_processed(int timeout_s) {
    IT_ASSERT(it_wait_processed(timeout_s),
              "committed offsets did not reach the end of the inputs in "
              "%d s",
              timeout_s);
}

/* The offline notifications of events [0, n) of the generated stream. */
static it_recs_t stream_expected(int n) {
    char *path = it_path("stream.jsonl");
    const char *files[] = {path, NULL};
    it_recs_t want;

    it_stream_file(path, 0, n);
    want = it_offline(NULL, files);
    free(path);
    cr_assert_gt(want.n, (size_t)n / 2);
    return want;
}

/* Every offline notification of \p files (format \p fmt) is in \p got;
 * they are added to \p all. */
static void expect_format(it_recs_t *got, it_recs_t *all, const char *label,
                          const char *fmt, const char *const *files) {
    it_recs_t want = it_offline(fmt, files);
    size_t missing = 0;

    IT_ASSERT(want.n > 0, "%s: the offline match gives no notification",
              label);
    it_recs_sort(got);
    for (size_t i = 0; i < want.n; i++) {
        if (!it_recs_has(got, want.v[i].id, want.v[i].tenant)) {
            fprintf(stderr, "%s: missing %s for %s (event %s)\n", label,
                    want.v[i].id, want.v[i].tenant, want.v[i].event_id);
            missing++;
        }
        it_recs_add(all, &want.v[i]);
    }
    IT_ASSERT(missing == 0, "%s: %zu of %zu notifications missing", label,
              missing, want.n);
    it_recs_free(&want);
}

/* ---- 1. every input format ----------------------------------------------- */

Test(service, every_format_gives_the_offline_notifications, .timeout = 60) {
    static const char *const ind_ip[] = {"ip=192.0.2.200", NULL};
    static const char *const ind_dom[] = {"domain=www.example.com",
                                          "cidr=2001:db8:30::/64", NULL};
    char *avro_files[3];
    it_recs_t got, dead, all = {0};
    it_proc_t *p;

    /* Avro: a bare and a framed indicator, and a bare scan result. */
    for (int i = 0; i < 3; i++) {
        char name[32], id[32];
        size_t len;
        char *msg;
        snprintf(name, sizeof(name), "event-%d.avro", i);
        snprintf(id, sizeof(id), "avro-%d", i);
        msg = i == 0   ? it_avro_event(id, ind_ip, NULL, NULL, -1, &len)
              : i == 1 ? it_avro_event(id, ind_dom, NULL, NULL, 42, &len)
                       : it_avro_event(id, NULL, "198.51.100.5",
                                       "shop.example.com", -1, &len);
        avro_files[i] = it_path(name);
        it_write_file(avro_files[i], msg, len);
        it_produce(i == 2 ? "scan-results" : "indicators", -1, id, msg, len);
        free(msg);
    }
    cr_assert_eq(it_produce_lines("indicators", DATA "native.jsonl"), 6);
    it_produce_file("indicators", DATA "stix-bundle.json");
    cr_assert_eq(it_produce_lines("indicators", DATA "stix-indicators.jsonl"),
                 2);
    cr_assert_eq(it_produce_lines("indicators", DATA "intelmq.jsonl"), 3);
    cr_assert_eq(it_produce_lines("scan-results", DATA "shadowserver.jsonl"),
                 3);
    it_flush();

    p = it_run(NULL);
    expect_processed(30);
    got = it_read("notifications");

    expect_format(&got, &all, "native JSON", NULL,
                  (const char *[]){DATA "native.jsonl", NULL});
    expect_format(&got, &all, "STIX bundle", NULL,
                  (const char *[]){DATA "stix-bundle.json", NULL});
    expect_format(&got, &all, "STIX indicators", NULL,
                  (const char *[]){DATA "stix-indicators.jsonl", NULL});
    expect_format(&got, &all, "IntelMQ", NULL,
                  (const char *[]){DATA "intelmq.jsonl", NULL});
    expect_format(&got, &all, "Shadowserver JSON", NULL,
                  (const char *[]){DATA "shadowserver.jsonl", NULL});
    expect_format(&got, &all, "Avro", "avro",
                  (const char *[]){avro_files[0], avro_files[1],
                                   avro_files[2], NULL});
    it_expect_notifications(&got, &all, false, "every format");
    /* Without output.trace_headers, the value alone says where a
     * notification came from. */
    for (size_t i = 0; i < got.n; i++)
        IT_ASSERT(!got.v[i].traced, "notification %s with trace headers",
                  got.v[i].id);

    dead = it_read("dead-letter");
    IT_ASSERT(dead.n == 0, "%zu dead letters from valid inputs (first: %s)",
              dead.n, dead.n ? dead.v[0].error : "");
    stop_cleanly(p);

    for (int i = 0; i < 3; i++)
        free(avro_files[i]);
    it_recs_free(&got);
    it_recs_free(&dead);
    it_recs_free(&all);
}

/* ---- 2. two members of one group ----------------------------------------- */

Test(service, two_members_share_the_partitions_and_notify_once,
     .timeout = 90) {
    enum { N = 3000 };
    it_recs_t want = stream_expected(N), got;
    it_proc_t *procs[2];

    procs[0] = it_run(NULL);
    procs[1] = it_run(NULL);
    expect_all_assigned(procs, 2, 40);

    it_stream(0, N, 100, 20);
    it_flush();
    expect_processed(60);
    got = it_read("notifications");
    it_expect_notifications(&got, &want, false, "two members");
    /* Both did part of the work. */
    IT_ASSERT(it_metric(procs[0], "assetmatch_notifications_total") > 0 &&
                  it_metric(procs[1], "assetmatch_notifications_total") > 0,
              "one member produced every notification");
    stop_cleanly(procs[0]);
    stop_cleanly(procs[1]);
    it_recs_free(&want);
    it_recs_free(&got);
}

/* consumer.workers: the consumers of one process share the partitions as
 * members of the group do, and the gauges add up over them. */
Test(service, two_workers_in_one_process_share_the_partitions,
     .timeout = 90) {
    enum { N = 3000 };
    static const char *const sets[] = {"consumer.workers=2", NULL};
    it_recs_t want = stream_expected(N), got;
    it_proc_t *p = it_run(sets);
    long long assigned = -1;

    /* Every partition of both input topics, over the two workers. */
    for (int tries = 0; tries < 400 && assigned != 2 * 4; tries++) {
        assigned = it_metric(p, "assetmatch_assigned_partitions");
        it_nap_ms(100);
    }
    IT_ASSERT(assigned == 2 * 4, "assigned partitions %lld, expected 8",
              assigned);
    IT_ASSERT(it_wait_log(p, "assigned 4 partitions", 5),
              "the partitions were not split between the workers");

    it_stream(0, N, 100, 20);
    it_flush();
    expect_processed(60);
    got = it_read("notifications");
    it_expect_notifications(&got, &want, false, "two workers");
    stop_cleanly(p);
    it_recs_free(&want);
    it_recs_free(&got);
}

/* By the place of each record in its topic. */
static int by_position(const void *a, const void *b) {
    const it_rec_t *x = a, *y = b;

    if (x->partition != y->partition)
        return x->partition < y->partition ? -1 : 1;
    return x->offset < y->offset ? -1 : x->offset > y->offset;
}

/* consumer.threads: a batch is decoded and matched on several threads, and
 * its records still go out in the order of the input, so a tenant's
 * notifications stay in the order of the events that caused them.  The
 * whole stream is in the topics before the service starts: full batches,
 * shared out over all four threads.  With output.trace_headers, each
 * notification's headers name its input too, as its value does. */
Test(service, matching_threads_keep_the_input_order, .timeout = 90) {
    enum { N = 3000 };
    static const char *const sets[] = {"consumer.threads=4",
                                       "consumer.batch_size=1000",
                                       "output.trace_headers=true", NULL};
    it_recs_t want = stream_expected(N), got;
    size_t checked = 0;
    it_proc_t *p;

    it_stream(0, N, N, 1);
    it_flush();
    p = it_run(sets);
    expect_processed(60);
    got = it_read("notifications");
    it_expect_notifications(&got, &want, false, "four matching threads");
    for (size_t i = 0; i < got.n; i++)
        IT_ASSERT(got.v[i].traced, "notification %s without trace headers",
                  got.v[i].id);
    /* In each notification partition, the records caused by one input
     * partition come in that partition's offset order. */
    qsort(got.v, got.n, sizeof(*got.v), by_position);
    for (size_t i = 0; i < got.n; i++)
        for (size_t j = i; j-- > 0 && got.v[j].partition == got.v[i].partition;)
            if (got.v[j].origin_partition == got.v[i].origin_partition &&
                !strcmp(got.v[j].origin_topic, got.v[i].origin_topic)) {
                IT_ASSERT(got.v[j].origin_offset <= got.v[i].origin_offset,
                          "notifications [%d] @%lld and @%lld: input %s [%d] "
                          "@%lld came after @%lld",
                          got.v[i].partition, got.v[j].offset,
                          got.v[i].offset, got.v[i].origin_topic,
                          got.v[i].origin_partition, got.v[j].origin_offset,
                          got.v[i].origin_offset);
                checked++;
                break;
            }
    IT_ASSERT(checked > (size_t)N / 2, "only %zu pairs in order checked",
              checked);
    IT_ASSERT(it_metric(p, "assetmatch_events_total") == N,
              "events counted: %lld, expected %d",
              it_metric(p, "assetmatch_events_total"), N);
    stop_cleanly(p);
    it_recs_free(&want);
    it_recs_free(&got);
}

/* The workers of one process join the group together, so that it forms
 * once, with all of them.  With every broker answering after a second, a
 * worker that subscribed only once the one before it had its producer
 * ready joined after the group had formed without it; the rebalance its
 * join started then waited for the first worker to rejoin, which
 * librdkafka's mock cluster holds for the session timeout (less 1 s):
 * here 30 s, against the few seconds the group takes to form. */
Test(service, workers_of_one_process_join_the_group_together,
     .timeout = 150) {
    static const char *const sets[] = {
        "consumer.workers=2", "kafka.consumer.session.timeout.ms=30000",
        NULL};
    it_proc_t *p;
    long long assigned = -1;
    double t0;

    for (int b = 1; b <= 3; b++)
        rd_kafka_mock_broker_set_rtt(it_mock(), b, 1000);
    p = it_run(sets);
    IT_ASSERT(it_wait_log(p, "consuming", 60), "the workers did not start");
    t0 = it_now_s();
    while (it_now_s() - t0 < 60 && assigned != 2 * 4) {
        assigned = it_metric(p, "assetmatch_assigned_partitions");
        it_nap_ms(100);
    }
    for (int b = 1; b <= 3; b++)
        rd_kafka_mock_broker_set_rtt(it_mock(), b, 0);
    IT_ASSERT(assigned == 2 * 4, "assigned partitions %lld, expected 8",
              assigned);
    cr_log_info("every partition assigned %.1f s after the workers started",
                it_now_s() - t0);
    IT_ASSERT(it_now_s() - t0 < 20,
              "the partitions were assigned %.1f s after the workers "
              "started: the group formed twice",
              it_now_s() - t0);
    IT_ASSERT(it_wait_log(p, "assigned 4 partitions", 5),
              "the partitions were not split between the workers");
    stop_cleanly(p);
}

/* ---- 3. kill -9 in mid-stream, then a restart ---------------------------- */

Test(service, kill_9_in_mid_stream_then_restart_loses_nothing,
     .timeout = 90) {
    enum { N = 4000 };
    it_recs_t want = stream_expected(N), got;
    it_proc_t *procs[2], *again;

    procs[0] = it_run(NULL);
    procs[1] = it_run(NULL);
    expect_all_assigned(procs, 2, 40);

    it_stream(0, N / 2, 100, 20);
    expect_notifying(procs[0], 1, 20);
    it_signal(procs[0], SIGKILL);
    it_stream(N / 2, 3 * N / 4, 100, 20);
    IT_ASSERT(it_wait_exit(procs[0], 10) == 128 + SIGKILL,
              "kill -9 gave status %d", procs[0]->status);
    again = it_run(NULL);
    it_stream(3 * N / 4, N, 100, 20);
    it_flush();
    expect_processed(60);

    got = it_read("notifications");
    it_expect_notifications(&got, &want, true, "after kill -9");
    stop_cleanly(procs[1]);
    stop_cleanly(again);
    it_recs_free(&want);
    it_recs_free(&got);
}

/* ---- 4. broker faults ---------------------------------------------------- */

Test(service, a_broker_down_for_a_while_loses_nothing, .timeout = 90) {
    enum { N = 3000 };
    it_recs_t want = stream_expected(N), got;
    it_proc_t *p;

    /* Broker 2 leads some of every topic's partitions; the group's
     * coordinator stays on broker 1. */
    cr_assert_eq(rd_kafka_mock_coordinator_set(it_mock(), "group",
                                               it_group(), 1),
                 0);
    p = it_run(NULL);
    expect_all_assigned(&p, 1, 30);

    it_stream(0, N / 3, 100, 20);
    cr_assert_eq(rd_kafka_mock_broker_set_down(it_mock(), 2), 0);
    it_stream(N / 3, 2 * N / 3, 100, 20);
    it_nap_ms(2000); /* down for about 3 s in all */
    cr_assert_eq(rd_kafka_mock_broker_set_up(it_mock(), 2), 0);
    it_stream(2 * N / 3, N, 100, 20);
    it_flush();
    expect_processed(60);

    got = it_read("notifications");
    it_expect_notifications(&got, &want, true, "broker down");
    stop_cleanly(p);
    it_recs_free(&want);
    it_recs_free(&got);
}

Test(service, request_errors_on_produce_and_commit_lose_nothing,
     .timeout = 60) {
    enum { N = 2000 };
    it_recs_t want = stream_expected(N), got;
    it_proc_t *p;
    size_t left;

    /* The inputs first, so that the errors reach the service alone; the
     * group's coordinator on broker 1. */
    it_stream(0, N, 1000, 0);
    it_flush();
    cr_assert_eq(rd_kafka_mock_coordinator_set(it_mock(), "group",
                                               it_group(), 1),
                 0);
    for (int b = 1; b <= 3; b++)
        rd_kafka_mock_broker_push_request_error_rtts(
            it_mock(), b, IT_API_PRODUCE, 4,
            RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION, 0,
            RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT, 200,
            RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS, 0,
            RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT, 0);
    rd_kafka_mock_broker_push_request_error_rtts(
        it_mock(), 1, IT_API_OFFSET_COMMIT, 3,
        RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT, 0,
        RD_KAFKA_RESP_ERR_NOT_COORDINATOR, 0,
        RD_KAFKA_RESP_ERR_COORDINATOR_NOT_AVAILABLE, 0);
    p = it_run(NULL);
    expect_processed(45);

    got = it_read("notifications");
    it_expect_notifications(&got, &want, true, "request errors");
    /* The faults were met: every broker that took notifications, and the
     * coordinator, used its errors up. */
    for (size_t i = 0; i < got.n; i++) {
        int b = it_leader("notifications", got.v[i].partition);
        cr_assert_eq(rd_kafka_mock_broker_error_stack_cnt(
                         it_mock(), b, IT_API_PRODUCE, &left),
                     0);
        IT_ASSERT(left == 0, "broker %d: %zu Produce errors not met", b,
                  left);
    }
    cr_assert_eq(rd_kafka_mock_broker_error_stack_cnt(
                     it_mock(), 1, IT_API_OFFSET_COMMIT, &left),
                 0);
    IT_ASSERT(left == 0, "%zu OffsetCommit errors not met", left);
    stop_cleanly(p);
    it_recs_free(&want);
    it_recs_free(&got);
}

Test(service, a_record_failing_for_good_stops_it_and_a_restart_delivers,
     .timeout = 60) {
    enum { N = 1000 };
    it_recs_t want = stream_expected(N), got;
    it_proc_t *p, *again;

    it_stream(0, N, 1000, 0);
    it_flush();
    /* The first Produce request of the service fails, not retriably. */
    rd_kafka_mock_push_request_errors(
        it_mock(), IT_API_PRODUCE, 1,
        RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED);
    p = it_run(NULL);
    IT_ASSERT(it_wait_exit(p, 30) == 1,
              "a record that failed for good: exit status %d, 1 expected",
              p->status);
    IT_ASSERT(!it_wait_processed(0),
              "offsets were committed past a record that failed");

    again = it_run(NULL);
    expect_processed(30);
    got = it_read("notifications");
    it_expect_notifications(&got, &want, true, "after a failed record");
    stop_cleanly(again);
    it_recs_free(&want);
    it_recs_free(&got);
}

/* ---- 5. malformed messages ----------------------------------------------- */

typedef struct bad_s {
    const char *what;
    const char *reason; /* am-dlq-reason */
} bad_t;

Test(service, malformed_messages_go_to_dead_letter_and_it_goes_on,
     .timeout = 60) {
    static const bad_t bad[] = {
        {"not JSON", "invalid"},
        {"no observables field", "invalid"},
        {"empty observables", "no_observable"},
        {"bad IP", "invalid"},
        {"over 1 MiB", "too_large"},
        {"nested 100 deep", "invalid"},
        {"bundle with one broken pattern", "partial"},
    };
    const char *msgs[7] = {
        "this is not json",
        "{\"id\":\"no-obs\",\"kind\":\"indicator\",\"category\":\"c2\"}",
        "{\"id\":\"empty-obs\",\"observables\":[]}",
        "{\"id\":\"bad-ip\",\"observables\":[{\"type\":\"ip\",\"value\":"
        "\"1.2.3\"}]}",
        NULL,
        NULL,
        "{\"type\":\"bundle\",\"id\":\"bundle--0c8d6f0e-1f3a-4b5c-8d7e-"
        "9f0a1b2c3d4e\",\"objects\":[{\"type\":\"indicator\",\"spec_version\":"
        "\"2.1\",\"id\":\"indicator--1d9e7a1f-2a4b-4c6d-9e8f-0a1b2c3d4e5f\","
        "\"created\":\"2026-05-01T00:00:00Z\",\"modified\":\"2026-05-01T00:"
        "00:00Z\",\"pattern\":\"[ipv4-addr:value = '192.0.2.88'\","
        "\"pattern_type\":\"stix\",\"valid_from\":\"2026-05-01T00:00:00Z\"},"
        "{\"type\":\"indicator\",\"spec_version\":\"2.1\",\"id\":\"indicator--"
        "2e0f8b2a-3b5c-4d7e-8f9a-1b2c3d4e5f60\",\"created\":\"2026-05-01T00:"
        "00:00Z\",\"modified\":\"2026-05-01T00:00:00Z\",\"pattern\":\"[ipv4-"
        "addr:value = '192.0.2.89']\",\"pattern_type\":\"stix\","
        "\"valid_from\":\"2026-05-01T00:00:00Z\"}]}",
    };
    const char *good = "{\"id\":\"after-the-bad\",\"observables\":[{\"type\":"
                       "\"ip\",\"value\":\"192.0.2.99\"}]}";
    size_t big_len = 1100 * 1024, lens[7];
    char *big = malloc(big_len + 1), *deep = malloc(512), *d;
    char *path = it_path("good.jsonl"), *bpath = it_path("bundle.json");
    it_recs_t dead, got, want = {0};
    it_proc_t *p;

    /* Valid JSON, one good observable, and a description that makes the
     * message larger than 1 MiB. */
    d = big + sprintf(big, "{\"id\":\"big\",\"observables\":[{\"type\":\"ip\","
                           "\"value\":\"192.0.2.1\"}],\"description\":\"");
    memset(d, 'x', big_len - (size_t)(d - big) - 2);
    memcpy(big + big_len - 2, "\"}", 3);
    msgs[4] = big;
    d = deep + sprintf(deep, "{\"id\":\"deep\",\"observables\":[{\"type\":"
                             "\"ip\",\"value\":\"192.0.2.1\"}],\"x\":");
    for (int i = 0; i < 100; i++)
        *d++ = '[';
    for (int i = 0; i < 100; i++)
        *d++ = ']';
    strcpy(d, "}");
    msgs[5] = deep;

    /* All in one partition, so that message i is at offset i. */
    for (int i = 0; i < 7; i++) {
        lens[i] = strlen(msgs[i]);
        it_produce("indicators", 0, NULL, msgs[i], lens[i]);
    }
    it_produce("indicators", 0, NULL, good, strlen(good));
    it_flush();
    p = it_run(NULL);
    expect_processed(30);

    dead = it_read("dead-letter");
    IT_ASSERT(dead.n == 7, "%zu dead letters, 7 expected", dead.n);
    for (size_t i = 0; i < dead.n; i++) {
        const it_rec_t *r = &dead.v[i];
        long long k = r->origin_offset;
        IT_ASSERT(k >= 0 && k < 7 && !strcmp(r->origin_topic, "indicators") &&
                      r->origin_partition == 0,
                  "dead letter %zu: origin %s [%d] @%lld", i, r->origin_topic,
                  r->origin_partition, k);
        IT_ASSERT(!strcmp(r->reason, bad[k].reason),
                  "%s: reason '%s', expected '%s' (error: %s)", bad[k].what,
                  r->reason, bad[k].reason, r->error);
        IT_ASSERT(r->error[0], "%s: no am-error", bad[k].what);
        /* Unchanged; the one too large for the producer, truncated. */
        IT_ASSERT(k == 4 ? r->len < lens[k] && r->original_len ==
                                                   (long long)lens[k]
                         : r->len == lens[k] && r->original_len < 0,
                  "%s: %zu bytes (am-original-length %lld), sent %zu",
                  bad[k].what, r->len, r->original_len, lens[k]);
    }

    /* The consumer went on: the good event after them, and the good half
     * of the bundle, notified. */
    it_write_file(path, good, strlen(good));
    it_write_file(bpath, msgs[6], lens[6]);
    got = it_read("notifications");
    expect_format(&got, &want, "the event after the bad ones", NULL,
                  (const char *[]){path, NULL});
    expect_format(&got, &want, "the good half of the bundle", NULL,
                  (const char *[]){bpath, NULL});
    it_expect_notifications(&got, &want, false, "malformed");
    stop_cleanly(p);

    free(big);
    free(deep);
    free(path);
    free(bpath);
    it_recs_free(&dead);
    it_recs_free(&got);
    it_recs_free(&want);
}

/* Each event is matched while the next message is decoded.  A message
 * rejected whole right after one whose event is still waiting must not
 * put its dead letter before that event's notifications: the records of
 * one message are produced together, in the order of the messages, and
 * out of order the earlier message's would be lost. */
Test(service, a_rejected_message_between_good_ones_loses_nothing,
     .timeout = 60) {
    static const char *const good[2] = {
        "{\"id\":\"before-the-bad\",\"observables\":[{\"type\":\"ip\","
        "\"value\":\"192.0.2.99\"}]}",
        "{\"id\":\"after-the-bad\",\"observables\":[{\"type\":\"ip\","
        "\"value\":\"192.0.2.99\"}]}"};
    char *path = it_path("good.jsonl"), text[256];
    it_recs_t dead, got, want = {0};
    it_proc_t *p;

    /* One partition: offsets 0, 1 and 2. */
    it_produce("indicators", 0, NULL, good[0], strlen(good[0]));
    it_produce("indicators", 0, NULL, "this is not json", 16);
    it_produce("indicators", 0, NULL, good[1], strlen(good[1]));
    it_flush();
    p = it_run(NULL);
    expect_processed(30);

    dead = it_read("dead-letter");
    IT_ASSERT(dead.n == 1 && dead.v[0].origin_offset == 1,
              "%zu dead letters (the first from @%lld), 1 from @1 expected",
              dead.n, dead.n ? dead.v[0].origin_offset : -1LL);
    snprintf(text, sizeof(text), "%s\n%s\n", good[0], good[1]);
    it_write_file(path, text, strlen(text));
    got = it_read("notifications");
    expect_format(&got, &want, "both good events", NULL,
                  (const char *[]){path, NULL});
    it_expect_notifications(&got, &want, false, "around a rejected one");
    for (size_t i = 0; i < got.n; i++) {
        long long o = strcmp(got.v[i].event_id, "before-the-bad") ? 2 : 0;
        IT_ASSERT(got.v[i].origin_offset == o,
                  "notification of %s says it came from @%lld, not @%lld",
                  got.v[i].event_id, got.v[i].origin_offset, o);
    }
    stop_cleanly(p);
    free(path);
    it_recs_free(&dead);
    it_recs_free(&got);
    it_recs_free(&want);
}

/* ---- 6. SIGTERM in a steady stream --------------------------------------- */

Test(service, sigterm_in_a_steady_stream_commits_what_it_did,
     .timeout = 90) {
    enum { N = 4000 };
    it_recs_t want = stream_expected(N), got, inputs[2];
    const char *topics[2] = {"indicators", "scan-results"};
    it_proc_t *p, *again;
    size_t below = 0, above = 0;

    p = it_run(NULL);
    expect_all_assigned(&p, 1, 30);
    it_stream(0, N / 4, 100, 10);
    expect_notifying(p, 1, 20);
    it_signal(p, SIGTERM);
    it_stream(N / 4, N / 2, 100, 10); /* while it stops */
    IT_ASSERT(it_wait_exit(p, 30) == 0, "SIGTERM: exit status %d",
              p->status);
    it_stream(N / 2, 3 * N / 4, 100, 10); /* after it stopped */
    it_flush();

    /* What it committed is exactly what it did: every notification comes
     * from an input below the committed offsets, and every input below
     * them has all of its notifications. */
    got = it_read("notifications");
    for (size_t i = 0; i < got.n; i++) {
        const it_rec_t *r = &got.v[i];
        IT_ASSERT(r->origin_offset <
                      it_committed(r->origin_topic, r->origin_partition),
                  "notification %s from %s [%d] @%lld, past the committed "
                  "offset %lld",
                  r->id, r->origin_topic, r->origin_partition,
                  r->origin_offset,
                  it_committed(r->origin_topic, r->origin_partition));
    }
    for (int t = 0; t < 2; t++) {
        inputs[t] = it_read(topics[t]);
        for (size_t i = 0; i < inputs[t].n; i++) {
            const it_rec_t *in = &inputs[t].v[i];
            bool done = in->offset < it_committed(topics[t], in->partition);
            for (size_t k = 0; done && k < want.n; k++)
                if (!strcmp(want.v[k].event_id, in->tenant))
                    IT_ASSERT(it_recs_has(&got, want.v[k].id,
                                          want.v[k].tenant),
                              "%s is below the committed offset, but its "
                              "notification %s is missing",
                              in->tenant, want.v[k].id);
            below += done;
            above += !done;
        }
        it_recs_free(&inputs[t]);
    }
    IT_ASSERT(below > 0 && above > 0,
              "the stop was not in mid-stream: %zu inputs done, %zu not",
              below, above);
    it_recs_free(&got);

    /* A restart resumes there: each notification once in the end. */
    again = it_run(NULL);
    it_stream(3 * N / 4, N, 100, 10);
    it_flush();
    expect_processed(60);
    got = it_read("notifications");
    it_expect_notifications(&got, &want, false, "stop and resume");
    stop_cleanly(again);
    it_recs_free(&want);
    it_recs_free(&got);
}
