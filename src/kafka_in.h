/*
 * kafka_in: the consumer, and the bookkeeping that makes delivery
 * at-least-once.
 *
 * Every input message gets a track entry that counts what it still waits
 * for: its own processing, and each record it caused (notifications, dead
 * letters) until the broker acknowledged it.  Entries queue per partition
 * in offset order; an offset is stored for commit only when its entry and
 * every entry before it are done, so a commit never passes a record that
 * was not acknowledged:
 *
 *   partition 3:  [off 17: 0 left] [off 18: 2 left] [off 19: 0 left]
 *                  ^ stored 18      ^ blocks 19 and 20 until it is done
 *
 * A message that caused no record (most of them) needs no entry: the last
 * entry of its partition takes its offset, or, with none, the offset is
 * stored at once.  A record that failed for good marks its entry failed:
 * nothing is stored at or after it, and am_kafka_in_failed() tells the
 * service to stop.
 *
 * @locality everything here runs on the service's main thread (delivery
 * reports arrive through the producer's poll on that thread), but for a
 * thread of the consumer's own that wakes librdkafka's fetchers when a full
 * prefetch has drained (am_kafka_in_poll()).
 */
#ifndef AM_KAFKA_IN_H
#define AM_KAFKA_IN_H

#include <librdkafka/rdkafka.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"

typedef struct am_kafka_in_s am_kafka_in_t;
typedef struct am_kafka_track_s am_kafka_track_t;

/* Called before partitions are given up (rebalance, close), so that the
 * caller can wait for outstanding deliveries first. */
typedef void(am_kafka_revoke_cb)(void *opaque);

/**
 * @brief Creates the consumer, not subscribed yet.
 * @returns the consumer, or NULL with a reason in \p err.
 */
am_kafka_in_t *am_kafka_in_new(const am_config_t *cfg,
                               am_kafka_revoke_cb *on_revoke, void *opaque,
                               char *err, size_t err_size);

/**
 * @brief Subscribes to \p n topics: the consumer joins the group.
 * @returns 0, or -1 with a reason in \p err.
 */
int am_kafka_in_subscribe(am_kafka_in_t *in, const char *const *topics,
                          size_t n, char *err, size_t err_size);

/** @brief Gives the partitions up (the revoke callback runs: wait, store,
 *         commit) and leaves the group, so they move on at once; gives up
 *         after a bounded time when the group's coordinator is gone. */
void am_kafka_in_close(am_kafka_in_t *in);

/** @brief Frees \p in (closing it first if that was not done); entries
 *         still in flight are dropped. */
void am_kafka_in_destroy(am_kafka_in_t *in);

/** @returns the librdkafka handle (borrowed). */
rd_kafka_t *am_kafka_in_handle(am_kafka_in_t *in);

/**
 * @brief Waits up to \p timeout_ms for messages, and returns up to \p max of
 *        them in \p msgs (each to be destroyed with
 *        rd_kafka_message_destroy()).  Serves rebalances.
 * @returns the number of messages.
 */
size_t am_kafka_in_poll(am_kafka_in_t *in, rd_kafka_message_t **msgs,
                        size_t max, int timeout_ms);

/**
 * @brief Starts tracking message \p rkm, held once for its processing.
 * @returns the entry, or NULL when out of memory.
 */
am_kafka_track_t *am_kafka_in_track(am_kafka_in_t *in,
                                    const rd_kafka_message_t *rkm);

/**
 * @brief Message \p rkm is done and caused no record: its offset is stored
 *        with the next advance of its partition (at once when nothing
 *        before it is in flight), without an entry of its own.
 * @returns 0, or -1 when out of memory.
 */
int am_kafka_in_done(am_kafka_in_t *in, const rd_kafka_message_t *rkm);

/** @brief One more thing \p t waits for (a record produced for it). */
void am_kafka_track_hold(am_kafka_track_t *t);

/**
 * @brief One thing \p t waited for is done (\p failed: for good, with an
 *        error); when nothing is left, offsets may advance.
 */
void am_kafka_track_release(am_kafka_in_t *in, am_kafka_track_t *t,
                            bool failed);

/** @returns the input message's timestamp in ms (0 if none). */
int64_t am_kafka_track_timestamp(const am_kafka_track_t *t);

/** @brief Stores the offsets that have advanced (commit follows, by the
 *         auto-commit timer or am_kafka_in_commit()). */
void am_kafka_in_store(am_kafka_in_t *in);

/** @brief Stores, then commits, waiting a bounded time for the answer.
 *  @returns 0 or -1. */
int am_kafka_in_commit(am_kafka_in_t *in);

/** @returns whether a record failed for good (the service must stop). */
bool am_kafka_in_failed(const am_kafka_in_t *in);

/** @returns input messages still in flight (tracked, not done). */
size_t am_kafka_in_in_flight(const am_kafka_in_t *in);

/** @returns the number of partitions assigned. */
size_t am_kafka_in_assigned(const am_kafka_in_t *in);

/** @returns the total lag (high watermark - position) over the assigned
 *           partitions, from librdkafka's cached watermarks. */
int64_t am_kafka_in_lag(am_kafka_in_t *in);

#endif
