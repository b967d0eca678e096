/*
 * pool: see pool.h.
 *
 * One mutex and two conditions: a run bumps the generation and wakes the
 * threads; each thread whose lane is in the run calls the function, then
 * counts itself done; the caller, after its own lane, waits for the count.
 */
#include "pool.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

typedef struct thread_s {
    am_pool_t *p;
    size_t lane;
    pthread_t th;
} thread_t;

struct am_pool_s {
    pthread_mutex_t mu;
    pthread_cond_t go;   /* a new run, or stop */
    pthread_cond_t done; /* a lane finished */
    uint64_t gen;        /* runs started */
    am_pool_fn *fn;
    void *arg;
    size_t lanes;    /* lanes in the current run */
    size_t pending;  /* threads of the current run not finished */
    bool stop;
    size_t n;        /* lanes of the pool */
    size_t started;  /* threads running */
    thread_t *threads;
};

static void *thread_main(void *opaque) {
    thread_t *t = opaque;
    am_pool_t *p = t->p;
    uint64_t seen = 0;

    pthread_mutex_lock(&p->mu);
    for (;;) {
        while (!p->stop && p->gen == seen)
            pthread_cond_wait(&p->go, &p->mu);
        if (p->stop)
            break;
        seen = p->gen;
        if (t->lane >= p->lanes)
            continue;
        pthread_mutex_unlock(&p->mu);
        p->fn(p->arg, t->lane);
        pthread_mutex_lock(&p->mu);
        if (--p->pending == 0)
            pthread_cond_signal(&p->done);
    }
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

am_pool_t *am_pool_new(size_t lanes) {
    am_pool_t *p = calloc(1, sizeof(*p));

    if (!p)
        return NULL;
    p->n = lanes ? lanes : 1;
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->go, NULL);
    pthread_cond_init(&p->done, NULL);
    if (p->n > 1 && !(p->threads = calloc(p->n - 1, sizeof(*p->threads)))) {
        am_pool_destroy(p);
        return NULL;
    }
    for (; p->started + 1 < p->n; p->started++) {
        thread_t *t = &p->threads[p->started];
        t->p = p;
        t->lane = p->started + 1;
        if (pthread_create(&t->th, NULL, thread_main, t)) {
            am_pool_destroy(p);
            return NULL;
        }
    }
    return p;
}

size_t am_pool_lanes(const am_pool_t *p) {
    return p ? p->n : 1;
}

void am_pool_run(am_pool_t *p, am_pool_fn *fn, void *arg, size_t lanes) {
    if (!p || lanes <= 1) {
        if (lanes)
            fn(arg, 0);
        return;
    }
    if (lanes > p->n)
        lanes = p->n;
    pthread_mutex_lock(&p->mu);
    p->fn = fn;
    p->arg = arg;
    p->lanes = lanes;
    p->pending = lanes - 1;
    p->gen++;
    pthread_cond_broadcast(&p->go);
    pthread_mutex_unlock(&p->mu);

    fn(arg, 0);

    pthread_mutex_lock(&p->mu);
    while (p->pending)
        pthread_cond_wait(&p->done, &p->mu);
    pthread_mutex_unlock(&p->mu);
}

void am_pool_destroy(am_pool_t *p) {
    if (!p)
        return;
    pthread_mutex_lock(&p->mu);
    p->stop = true;
    pthread_cond_broadcast(&p->go);
    pthread_mutex_unlock(&p->mu);
    for (size_t i = 0; i < p->started; i++)
        pthread_join(p->threads[i].th, NULL);
    free(p->threads);
    pthread_cond_destroy(&p->go);
    pthread_cond_destroy(&p->done);
    pthread_mutex_destroy(&p->mu);
    free(p);
}
