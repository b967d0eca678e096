/*
 * runner: everything `assetmatch run` runs, wired in one place so that the
 * demo runs exactly the same thing:
 *
 *   inventory file ---> live inventory <--- assets topic (assets_in)
 *                         |  matcher swaps        |
 *                         v                       v
 *   indicators, scans -> service ---------> notifications, dead letters
 *                         |
 *                         +-> window of recent indicators -> retro
 *
 * plus the metrics and health endpoint.  Events are consumed only once the
 * assets topic was read up to its end as it was at start.
 */
#ifndef AM_RUNNER_H
#define AM_RUNNER_H

#include <signal.h>
#include <stddef.h>

#include "classify.h"
#include "config.h"
#include "inventory.h"
#include "metrics.h"
#include "service.h"

typedef struct am_runner_s am_runner_t;

/**
 * @brief Starts the live inventory from \p inv (taken, even on failure),
 *        the window, the HTTP endpoint (when cfg->http_listen is set), the
 *        assets topic reader; waits until the topic is caught up (or
 *        \p *stop), then creates the service.  \p cfg, \p cl (may be NULL)
 *        and \p metrics are borrowed.
 * @returns the runner, or NULL with a reason in \p err (an empty reason
 *          when \p *stop ended the wait).
 */
am_runner_t *am_runner_start(const am_config_t *cfg, am_inventory_t *inv,
                             const am_classify_t *cl, am_metrics_t *metrics,
                             volatile sig_atomic_t *stop, char *err,
                             size_t err_size);

/**
 * @brief Runs the consumer.workers services, a thread each, until \p *stop
 *        is set or one of them fails (which stops the others); each
 *        finishes its batch and commits what was delivered
 *        (am_service_run()).
 * @returns 0 after a requested stop, 1 when a worker failed.
 */
int am_runner_run(am_runner_t *r, volatile sig_atomic_t *stop);

/** @returns the HTTP port, or 0 without an endpoint. */
int am_runner_http_port(const am_runner_t *r);

/** @brief Stops and frees all of it, in the order their threads need;
 *         NULL is a no-op. */
void am_runner_destroy(am_runner_t *r);

#endif
