/*
 * devbroker: librdkafka's mock cluster with our topics, used by
 * `assetmatch devbroker`, `assetmatch demo` and the integration tests
 * (which reach the mock cluster itself to inject faults).
 */
#ifndef AM_DEVBROKER_H
#define AM_DEVBROKER_H

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <stddef.h>

typedef struct am_devbroker_s am_devbroker_t;

/**
 * @brief Starts \p brokers mock brokers on loopback and creates each of the
 *        comma-separated \p topics with \p partitions partitions (a
 *        topic written NAME:N gets N).
 * @returns the cluster, or NULL with a reason in \p err.
 */
am_devbroker_t *am_devbroker_start(int brokers, int partitions,
                                   const char *topics, char *err,
                                   size_t err_size);

/** @returns "127.0.0.1:port,..." (borrowed). */
const char *am_devbroker_bootstraps(const am_devbroker_t *db);

/** @returns the mock cluster, for fault injection (borrowed). */
rd_kafka_mock_cluster_t *am_devbroker_mock(am_devbroker_t *db);

/** @brief Stops the cluster and frees \p db; NULL is a no-op. */
void am_devbroker_stop(am_devbroker_t *db);

#endif
