/*
 * bench_common: what every benchmark shares: a seeded generator, a clock,
 * resident memory, and the one machine-readable output line per figure:
 *
 *   {"name":"...","value":1.23,"unit":"...","baseline":"...","ratio":4.5}
 *
 * on standard output ("baseline" and "ratio" only where a baseline ran
 * beside it).  Progress and human notes go to standard error.
 */
#ifndef AM_BENCH_COMMON_H
#define AM_BENCH_COMMON_H

#include <stddef.h>
#include <stdint.h>

/* splitmix64: fixed seeds give the same inputs on every machine. */
static inline uint64_t am_bench_rand(uint64_t *state) {
    uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/** @returns monotonic seconds. */
double am_bench_now(void);

/** @returns CPU seconds of the calling thread: per-core figures that a
 *           loaded, shared machine distorts less than wall time. */
double am_bench_cpu_now(void);

/** @returns this process's resident memory in bytes (VmRSS). */
size_t am_bench_rss(void);

/**
 * @brief Prints one result line.  \p baseline NULL means no baseline; then
 *        \p ratio is ignored.
 */
void am_bench_report(const char *name, double value, const char *unit,
                     const char *baseline, double ratio);

#endif
