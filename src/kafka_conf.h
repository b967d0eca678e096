/*
 * kafka_conf: librdkafka configurations from ours.  Each client gets, in
 * this order: our defaults, the operator's kafka.* settings (and those for
 * its role), then the few settings that the delivery guarantee depends on,
 * which cannot be overridden (a warning says so when they were set).
 */
#ifndef AM_KAFKA_CONF_H
#define AM_KAFKA_CONF_H

#include <librdkafka/rdkafka.h>

#include "config.h"

/* How long a librdkafka from 2.2 on waits to fetch again once the
 * consumer's queue is full (a second by default).  The consumer gets it
 * short where the library has it; 2.0.2 has not, and kafka_in.c wakes the
 * fetchers there instead. */
#define AM_KAFKA_FETCH_BACKOFF "fetch.queue.backoff.ms"

/**
 * @brief Builds the configuration of the consumer (AM_KAFKA_CONSUMER) or
 *        the producer (AM_KAFKA_PRODUCER).
 * @returns a new configuration (rd_kafka_new() takes it), or NULL with
 *          librdkafka's reason and the property in \p err.
 */
rd_kafka_conf_t *am_kafka_conf_new(const am_config_t *cfg,
                                   am_kafka_scope_t role, char *err,
                                   size_t err_size);

#endif
