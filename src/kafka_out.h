/*
 * kafka_out: the producer of notifications and dead letters.
 *
 * Each record carries the track entry of the input message that caused it
 * (kafka_in.h); its delivery report releases the entry, with an error when
 * the record could not be delivered for good (librdkafka has retried it
 * until message.timeout.ms by then).  When librdkafka's queue is full,
 * producing waits, serving delivery reports, instead of letting memory
 * grow: consumption stops meanwhile, which is the back-pressure.
 *
 * @locality the service's main thread.
 */
#ifndef AM_KAFKA_OUT_H
#define AM_KAFKA_OUT_H

#include <librdkafka/rdkafka.h>
#include <stdbool.h>
#include <stddef.h>

#include "config.h"
#include "kafka_in.h"
#include "metrics.h"
#include "notification.h"

typedef struct am_kafka_out_s am_kafka_out_t;

/**
 * @brief Creates the producer; delivery reports release entries of \p in
 *        and add the latency of each record to \p metrics (borrowed).
 * @returns the producer, or NULL with a reason in \p err.
 */
am_kafka_out_t *am_kafka_out_new(const am_config_t *cfg, am_kafka_in_t *in,
                                 am_metrics_t *metrics, char *err,
                                 size_t err_size);

/** @brief Frees \p out; records not delivered yet are dropped (their
 *         input offsets were never committed). */
void am_kafka_out_destroy(am_kafka_out_t *out);

/**
 * @brief Produces a record (key and value are copied; \p hdrs is taken) for
 *        track entry \p t, waiting while the queue is full.
 * @returns 0, or -1 when it could not be queued (the entry is marked
 *          failed).
 */
int am_kafka_out_produce(am_kafka_out_t *out, const char *topic,
                         const void *key, size_t key_len, const void *value,
                         size_t value_len, rd_kafka_headers_t *hdrs,
                         am_kafka_track_t *t);

/**
 * @brief A header list for a record caused by the input message at \p topic
 *        [\p partition] @ \p offset: am-origin-topic, am-origin-partition
 *        and am-origin-offset (none when \p topic is NULL), with room for
 *        \p more headers the caller adds.
 */
rd_kafka_headers_t *am_kafka_out_headers(const char *topic, int32_t partition,
                                         int64_t offset, size_t more);

/**
 * @brief The header list of notification \p nt, whose id is \p id:
 *        content-type (of output.format) and am-notification-id; with
 *        output.trace_headers, also am-event-id and, when \p nt has an
 *        origin, the am-origin-* of am_kafka_out_headers().  Room for
 *        \p more headers the caller adds.
 */
rd_kafka_headers_t *am_kafka_out_notification_headers(
    const am_config_t *cfg, const am_notification_t *nt, const char *id,
    size_t more);

/**
 * @brief Looks \p topic up on the cluster now, waiting up to \p timeout_ms,
 *        so that the first record to it does not wait for its metadata;
 *        a topic the cluster does not know (or a cluster not reached) is
 *        logged as a warning.
 * @returns 0 when the topic is known, -1 otherwise.
 */
int am_kafka_out_prepare(am_kafka_out_t *out, const char *topic,
                         int timeout_ms);

/** @brief Serves delivery reports for up to \p timeout_ms.
 *  @returns the number of reports and other events served. */
int am_kafka_out_poll(am_kafka_out_t *out, int timeout_ms);

/** @brief Waits up to \p timeout_ms for every record to be delivered.
 *  @returns 0 when none is left, -1 otherwise. */
int am_kafka_out_flush(am_kafka_out_t *out, int timeout_ms);

/** @returns the records waiting in librdkafka's queue. */
size_t am_kafka_out_queue_len(am_kafka_out_t *out);

/** @returns the librdkafka handle (borrowed). */
rd_kafka_t *am_kafka_out_handle(am_kafka_out_t *out);

#endif
