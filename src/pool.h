/*
 * pool: a fixed set of threads that run one function over the lanes of a
 * batch and return together (fork and join).
 *
 *   caller:  am_pool_run(p, fn, arg, 3)
 *              fn(arg, 0) on the caller --+
 *              fn(arg, 1) on thread 1  ---+--> returns when all three are
 *              fn(arg, 2) on thread 2  ---+    done
 *
 * What a lane does is the caller's: the pool only hands out lane numbers
 * and waits.  A pool of one lane starts no thread.
 */
#ifndef AM_POOL_H
#define AM_POOL_H

#include <stddef.h>

typedef struct am_pool_s am_pool_t;

typedef void(am_pool_fn)(void *arg, size_t lane);

/**
 * @brief Starts \p lanes - 1 threads (the caller of am_pool_run() is lane
 *        0).
 * @returns the pool, or NULL when a thread or memory could not be had.
 */
am_pool_t *am_pool_new(size_t lanes);

/** @returns the lanes of \p p (1 for NULL). */
size_t am_pool_lanes(const am_pool_t *p);

/**
 * @brief Runs fn(arg, k) for every k below \p lanes (at most
 *        am_pool_lanes()), lane 0 on the calling thread, and returns when
 *        all are done.  \p p may be NULL: one lane.
 * @locality one caller at a time.
 */
void am_pool_run(am_pool_t *p, am_pool_fn *fn, void *arg, size_t lanes);

/** @brief Stops and joins the threads; NULL is a no-op. */
void am_pool_destroy(am_pool_t *p);

#endif
