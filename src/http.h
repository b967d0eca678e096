/*
 * http: the metrics and health endpoint (libmicrohttpd, its own thread):
 *
 *   /metrics  Prometheus text (metrics.h)
 *   /healthz  200 while the process runs
 *   /readyz   200 when the inventory is loaded and partitions are
 *             assigned, 503 otherwise
 */
#ifndef AM_HTTP_H
#define AM_HTTP_H

#include <stddef.h>

#include "metrics.h"

typedef struct am_http_s am_http_t;

/**
 * @brief Listens on \p listen ("host:port"; port 0 picks a free one).
 * @returns the server, or NULL with a reason in \p err.
 */
am_http_t *am_http_start(const char *listen, const am_metrics_t *m,
                         char *err, size_t err_size);

/** @returns the port listened on. */
int am_http_port(const am_http_t *h);

/** @brief Stops and frees \p h; NULL is a no-op. */
void am_http_stop(am_http_t *h);

#endif
