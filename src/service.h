/*
 * service: `assetmatch run`, one member of a Kafka consumer group turning
 * the indicator and scan-result topics into notifications.
 *
 *   consume batch --> decode --> match --> encode --> produce notification
 *        |              | rejected: the message unchanged --> dead letter
 *        +-- track entry per message; its offset is committed only after
 *            every record it caused was acknowledged (kafka_in.h)
 *
 * One thread (the worker's) consumes, tracks and produces; decoding,
 * matching and encoding of a batch are shared out in chunks of 16
 * messages over consumer.threads lanes (pool.h), the worker's own among
 * them.  The worker produces each chunk's records once it is done, in the
 * batch's order, so per-partition order holds as with one thread, and
 * every delivery report is served on the worker's thread:
 *
 *   batch: [chunk 0][chunk 1][chunk 2][chunk 3] ...
 *            lane 0   lane 1   lane 0   lane 1     decode, match, encode
 *   worker:  produce 0, produce 1, produce 2, ...  in order, when done
 */
#ifndef AM_SERVICE_H
#define AM_SERVICE_H

#include <signal.h>
#include <stddef.h>

#include "classify.h"
#include "config.h"
#include "matcher.h"
#include "metrics.h"

typedef struct am_service_s am_service_t;

/**
 * @brief Creates the consumer (not subscribed yet) and the producer.  \p m,
 *        \p cl (may be NULL: no advice) and \p metrics are borrowed.
 * @returns the service, or NULL with a reason in \p err.
 */
am_service_t *am_service_new(const am_config_t *cfg, const am_matcher_t *m,
                             const am_classify_t *cl, am_metrics_t *metrics,
                             char *err, size_t err_size);

/**
 * @brief Subscribes to the input topics: the consumer joins the group.
 *        The workers of a process subscribe once all of them exist, so
 *        that they join together and the group forms once: a worker that
 *        joins after it formed starts a second rebalance at once.
 * @returns 0, or -1 with a reason in \p err.
 */
int am_service_subscribe(am_service_t *svc, char *err, size_t err_size);

typedef struct am_live_s am_live_t;
typedef struct am_window_s am_window_t;

/**
 * @brief Matches with the live inventory's current matcher, acquired per
 *        batch (reader slot \p slot, one per worker), instead of the \p m
 *        given to am_service_new(), and keeps every indicator in \p win
 *        (may be NULL) for retroactive matching.  Both are borrowed.
 * @locality before am_service_run().
 */
void am_service_set_live(am_service_t *svc, am_live_t *live,
                         am_window_t *win, size_t slot);

/**
 * @brief Runs one worker until \p *stop is set (SIGTERM, SIGINT) or a record cannot
 *        be delivered; then finishes the batch in hand, commits what was
 *        delivered and leaves the group.
 * @returns 0 after a requested stop, 1 after a delivery failure (nothing
 *          past it was committed).
 */
int am_service_run(am_service_t *svc, volatile sig_atomic_t *stop);

/** @brief Frees \p svc; NULL is a no-op. */
void am_service_destroy(am_service_t *svc);

#endif
