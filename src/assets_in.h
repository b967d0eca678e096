/*
 * assets_in: the assets topic, read in full by every instance (issue 5).
 *
 * Its own consumer, outside the consumer group: every partition assigned
 * from the beginning, nothing committed, on a thread of its own.  Each
 * record changes the live inventory (live.h):
 *
 *   key "tenant_id/asset_id"   value: an asset record, JSON or Avro
 *                              (schemas/asset.avsc, bare or with the
 *                              Confluent framing), or empty: a tombstone
 *
 * A bad record (key not tenant/asset, value not decodable, asset invalid,
 * key and value naming different assets) changes nothing and goes, as it
 * was, to the dead-letter topic with its reason in the headers
 * (am-dlq-reason invalid_asset, am-error), through a producer of its own.
 *
 * The instance is ready once it has read up to the end offsets the topic
 * had when it started and the matcher holds all of it (am_live_sync()).
 * A topic that does not exist counts as empty (with a warning).
 */
#ifndef AM_ASSETS_IN_H
#define AM_ASSETS_IN_H

#include <librdkafka/rdkafka.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "live.h"
#include "metrics.h"

typedef struct am_assets_in_s am_assets_in_t;

/**
 * @brief Applies one record of the assets topic to \p live.
 * @returns 0 when applied (a tombstone of an unknown asset included), or
 *          -1 with the reason in \p reason (nothing changed).
 * @locality any thread.
 */
int am_assets_apply(am_live_t *live, const void *key, size_t key_len,
                    const void *value, size_t value_len, int64_t ts_ms,
                    char *reason, size_t reason_size);

/**
 * @brief Creates the consumer and the producer and starts reading
 *        cfg->topic_assets into \p live (borrowed, like \p metrics).
 * @returns the reader (free with am_assets_in_destroy()), or NULL with a
 *          reason in \p err.
 */
am_assets_in_t *am_assets_in_new(const am_config_t *cfg, am_live_t *live,
                                 am_metrics_t *metrics, char *err,
                                 size_t err_size);

/** @returns whether the topic was read up to its end at start and the
 *           matcher holds it. */
bool am_assets_in_ready(am_assets_in_t *ai);

/**
 * @brief Waits until ready, or \p *stop is set.
 * @returns 0 when ready, -1 when stopped first.
 */
int am_assets_in_wait_ready(am_assets_in_t *ai, volatile sig_atomic_t *stop);

/** @returns the reader's producer (borrowed; thread-safe), which the
 *           retroactive notifications use too. */
rd_kafka_t *am_assets_in_producer(am_assets_in_t *ai);

/** @brief Stops the thread, flushes the producer and frees \p ai; NULL is
 *         a no-op. */
void am_assets_in_destroy(am_assets_in_t *ai);

#endif
