/*
 * metrics: the service's counters and gauges, updated by the processing
 * thread with relaxed atomics and read by the HTTP thread, rendered in the
 * Prometheus text format.
 */
#ifndef AM_METRICS_H
#define AM_METRICS_H

#include <stdatomic.h>
#include <stdint.h>

#include "decode.h"
#include "jsonw.h"
#include "matcher.h"

/* Why a message went to the dead-letter topic. */
typedef enum am_dlq_reason_e {
    AM_DLQ_INVALID,       /* could not be decoded */
    AM_DLQ_NO_OBSERVABLE, /* decoded, but nothing to match on */
    AM_DLQ_TOO_LARGE,     /* over the message size limit */
    AM_DLQ_PARTIAL,       /* some parts of it were rejected */
    AM_DLQ__COUNT,
} am_dlq_reason_t;

#define AM_METRICS_TOPICS 2 /* indicators, scan-results */
#define AM_METRICS_LATENCY_BUCKETS 13

typedef struct am_metrics_s {
    const char *topic_names[AM_METRICS_TOPICS];
    atomic_uint_fast64_t consumed[AM_METRICS_TOPICS][AM_FORMAT__COUNT];
    atomic_uint_fast64_t events;
    atomic_uint_fast64_t notifications;
    atomic_uint_fast64_t dead_letters[AM_DLQ__COUNT];
    atomic_uint_fast64_t skipped[AM_SKIP__COUNT];
    atomic_uint_fast64_t matches[AM_MATCH_KEYWORD + 1];
    atomic_uint_fast64_t latency_le[AM_METRICS_LATENCY_BUCKETS];
    atomic_uint_fast64_t latency_count;
    atomic_uint_fast64_t latency_sum_us;
    atomic_int_fast64_t lag;
    atomic_int_fast64_t queue_depth;
    atomic_int_fast64_t assigned;
    atomic_int_fast64_t inventory_assets[5]; /* by am_asset_kind_t */
    atomic_int_fast64_t inventory_version;
    atomic_int_fast64_t inventory_loaded; /* 0/1 */
    /* The live inventory and retroactive matching (live.h, issue 5). */
    atomic_int_fast64_t inventory_build_ms;  /* the last rebuild */
    atomic_int_fast64_t inventory_effect_ms; /* last swap: its oldest
                                              * change's record time to
                                              * the swap */
    atomic_uint_fast64_t asset_changes;      /* asset records applied */
    atomic_uint_fast64_t asset_dead_letters; /* asset records rejected */
    atomic_int_fast64_t window_indicators;
    atomic_int_fast64_t window_bytes;
    atomic_uint_fast64_t retro_notifications;
} am_metrics_t;

/** @brief Zeroes \p m and names its two input topics. */
void am_metrics_init(am_metrics_t *m, const char *indicators,
                     const char *scan_results);

/** @brief Adds one end-to-end latency observation, in microseconds. */
void am_metrics_latency(am_metrics_t *m, uint64_t us);

/** @brief Appends the Prometheus text of \p m to \p out. */
void am_metrics_render(const am_metrics_t *m, am_buf_t *out);

/** @returns "invalid", "no_observable", "too_large" or "partial". */
const char *am_dlq_reason_name(am_dlq_reason_t r);

#endif
