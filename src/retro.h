/*
 * retro: retroactive notifications (issue 5).  When the live inventory
 * publishes a version in which assets became able to match (live.h,
 * on_swap), the window of recent indicators (window.h) is asked which
 * indicators they match; each such indicator is matched again with the
 * new matcher, and every tenant result that names one of those assets
 * becomes a notification marked retroactive, produced like a live one
 * (same topic, key, encoding, headers, and the same notification id,
 * UUIDv5(tenant, event id), so a consumer drops a repeat by id).
 *
 * Matching the whole event again, rather than the asset alone, gives the
 * notification the content a live match would have had: the tenant's most
 * specific asset and all its matched assets.
 *
 * Delivery: the records are produced with the assets reader's producer,
 * outside the input offsets' bookkeeping, so they are at most once: a
 * crash before delivery loses them (the window is in memory and starts
 * empty after a restart).
 *
 * @locality am_retro_on_swap() runs on live's build thread.
 */
#ifndef AM_RETRO_H
#define AM_RETRO_H

#include <librdkafka/rdkafka.h>

#include "classify.h"
#include "config.h"
#include "live.h"
#include "metrics.h"
#include "window.h"

typedef struct am_retro_s am_retro_t;

/**
 * @brief Creates the context; \p cfg, \p win, \p cl (may be NULL) and
 *        \p metrics are borrowed.
 * @returns it (free with am_retro_destroy()), or NULL when out of memory.
 */
am_retro_t *am_retro_new(const am_config_t *cfg, am_window_t *win,
                         const am_classify_t *cl, am_metrics_t *metrics);

/** @brief Sets the producer (borrowed, thread-safe); until then nothing is
 *         produced. */
void am_retro_set_producer(am_retro_t *r, rd_kafka_t *rk);

/** @brief Frees \p r; NULL is a no-op. */
void am_retro_destroy(am_retro_t *r);

/** @brief The am_live_swap_cb: \p opaque is the am_retro_t. */
void am_retro_on_swap(void *opaque, const am_matcher_t *m, uint64_t version,
                      const am_live_added_t *added, size_t n);

#endif
