/*
 * pool: every lane of a run runs once, lane 0 on the caller and the others
 * on threads of their own, and the run returns only when all are done.
 */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdatomic.h>
#include <time.h>

#include "pool.h"

#define LANES 4

typedef struct seen_s {
    atomic_int runs[LANES];
    pthread_t who[LANES];
    atomic_int finished; /* lanes finished in the current run */
    int slow_lane;       /* this lane sleeps before finishing */
} seen_t;

static void note(void *arg, size_t lane) {
    seen_t *s = arg;

    cr_assert_lt(lane, LANES);
    s->who[lane] = pthread_self();
    if ((int)lane == s->slow_lane) {
        struct timespec ts = {0, 20 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    atomic_fetch_add(&s->runs[lane], 1);
    atomic_fetch_add(&s->finished, 1);
}

Test(pool, each_lane_runs_once_on_its_own_thread_and_the_run_waits) {
    am_pool_t *p = am_pool_new(LANES);
    seen_t s = {.slow_lane = -1};

    cr_assert_not_null(p);
    cr_assert_eq(am_pool_lanes(p), LANES);
    for (int run = 0; run < 200; run++) {
        /* A late lane: am_pool_run() must not return before it. */
        s.slow_lane = run % 50 == 0 ? 1 + run / 50 % (LANES - 1) : -1;
        atomic_store(&s.finished, 0);
        am_pool_run(p, note, &s, LANES);
        cr_assert_eq(atomic_load(&s.finished), LANES, "run %d", run);
        cr_assert(pthread_equal(s.who[0], pthread_self()),
                  "lane 0 runs on the caller");
        for (int i = 1; i < LANES; i++)
            for (int j = 0; j < i; j++)
                cr_assert(!pthread_equal(s.who[i], s.who[j]),
                          "lanes %d and %d on one thread", j, i);
    }
    for (int i = 0; i < LANES; i++)
        cr_assert_eq(atomic_load(&s.runs[i]), 200, "lane %d", i);
    am_pool_destroy(p);
}

Test(pool, a_run_of_fewer_lanes_leaves_the_others_idle) {
    am_pool_t *p = am_pool_new(LANES);
    seen_t s = {.slow_lane = -1};

    cr_assert_not_null(p);
    am_pool_run(p, note, &s, 2);
    am_pool_run(p, note, &s, 1);
    am_pool_run(p, note, &s, LANES + 3); /* at most the pool's lanes */
    cr_assert_eq(atomic_load(&s.runs[0]), 3);
    cr_assert_eq(atomic_load(&s.runs[1]), 2);
    cr_assert_eq(atomic_load(&s.runs[2]), 1);
    cr_assert_eq(atomic_load(&s.runs[3]), 1);
    am_pool_destroy(p);
}

Test(pool, no_pool_is_one_lane_on_the_caller) {
    seen_t s = {.slow_lane = -1};

    cr_assert_eq(am_pool_lanes(NULL), 1);
    am_pool_run(NULL, note, &s, 3);
    cr_assert_eq(atomic_load(&s.runs[0]), 1);
    cr_assert_eq(atomic_load(&s.runs[1]), 0);
    cr_assert(pthread_equal(s.who[0], pthread_self()));
    am_pool_destroy(NULL);
}
