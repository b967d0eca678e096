/*
 * `assetmatch run`: the service, from a config file (config.h).
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "assets_in.h"
#include "cmd.h"
#include "config.h"
#include "http.h"
#include "live.h"
#include "log.h"
#include "retro.h"
#include "service.h"
#include "window.h"

static const char run_usage_head[] =
    "usage: assetmatch run --config FILE [--set KEY=VALUE ...]\n"
    "\n"
    "Runs the service: a member of a Kafka consumer group that turns the\n"
    "indicator and scan-result topics into notifications, one per event\n"
    "and affected tenant, and sends what it cannot decode to the\n"
    "dead-letter topic.  SIGTERM or SIGINT stops it cleanly: the batch in\n"
    "hand is finished and committed, and it leaves the group.\n"
    "\n"
    "  -c, --config FILE     key = value lines, # comments\n"
    "  -s, --set KEY=VALUE   overrides a key of the file (repeatable)\n"
    "  -h, --help            this text\n"
    "\n"
    "Keys [defaults]:\n";

static volatile sig_atomic_t stop_flag;

static void on_signal(int sig) {
    (void)sig;
    stop_flag = 1;
}

int am_cmd_install_stop_handlers(volatile sig_atomic_t **flag) {
    struct sigaction sa;

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGTERM, &sa, NULL) < 0 || sigaction(SIGINT, &sa, NULL) < 0)
        return -1;
    signal(SIGPIPE, SIG_IGN);
    *flag = &stop_flag;
    return 0;
}

/* Loads cfg from the command line: --config, then each --set. */
static int parse_args(int argc, char **argv, am_config_t *cfg) {
    static const struct option opts[] = {
        {"config", required_argument, NULL, 'c'},
        {"set", required_argument, NULL, 's'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    const char *path = NULL;
    char **sets = calloc((size_t)argc, sizeof(*sets));
    size_t n_sets = 0;
    char err[512];
    int c, rc = 0;

    optind = 1;
    while ((c = getopt_long(argc, argv, "c:s:h", opts, NULL)) != -1) {
        switch (c) {
        case 'c': path = optarg; break;
        case 's': sets[n_sets++] = optarg; break;
        case 'h':
            printf("%s%s", run_usage_head, am_config_help());
            free(sets);
            return 1;
        default:
            fprintf(stderr, "%s%s", run_usage_head, am_config_help());
            free(sets);
            return -1;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "assetmatch run: unexpected argument '%s'\n",
                argv[optind]);
        rc = -1;
    } else if (!path) {
        fprintf(stderr, "assetmatch run: --config is required\n");
        rc = -1;
    } else if (am_config_load(cfg, path, err, sizeof(err)) < 0) {
        fprintf(stderr, "assetmatch run: %s\n", err);
        rc = -1;
    }
    for (size_t i = 0; rc == 0 && i < n_sets; i++)
        if (am_config_set_arg(cfg, sets[i], err, sizeof(err)) < 0) {
            fprintf(stderr, "assetmatch run: %s\n", err);
            rc = -1;
        }
    free(sets);
    return rc;
}

int am_cmd_run(int argc, char **argv) {
    am_config_t cfg;
    am_inventory_t *inv = NULL;
    am_matcher_t *m = NULL;
    am_classify_t *cl = NULL;
    am_metrics_t metrics;
    am_http_t *http = NULL;
    am_service_t *svc = NULL;
    am_live_t *live = NULL;
    am_window_t *win = NULL;
    am_retro_t *retro = NULL;
    am_assets_in_t *assets = NULL;
    volatile sig_atomic_t *stop;
    char err[512];
    int rc = AM_EXIT_USAGE, prc;

    am_config_init(&cfg);
    if ((prc = parse_args(argc, argv, &cfg)) != 0) {
        am_config_free(&cfg);
        return prc > 0 ? AM_EXIT_OK : AM_EXIT_USAGE;
    }
    am_log_set_level(cfg.log_level);
    am_metrics_init(&metrics, cfg.topic_indicators, cfg.topic_scan_results);
    if (am_cmd_install_stop_handlers(&stop) < 0) {
        perror("sigaction");
        goto out;
    }
    if (!(cl = am_classify_load(NULL, err, sizeof(err)))) {
        AM_LOG(AM_LOG_ERR, "%s", err);
        goto out;
    }
    if (cfg.inventory_file) {
        am_cmd_inventory_opts_t io = {cfg.inventory_file,
                                      cfg.include_unverified, false, 20};
        if (am_cmd_load_inventory(&io, &inv, &m) < 0)
            goto out;
    } else {
        am_matcher_opts_t mo = {.include_unverified = cfg.include_unverified};
        AM_LOG(AM_LOG_NOTICE, "no inventory.file: the assets topic alone");
        if (!(inv = am_inventory_new()) ||
            !(m = am_matcher_build(inv, &mo, err, sizeof(err)))) {
            AM_LOG(AM_LOG_ERR, "inventory: %s", inv ? err : "out of memory");
            goto out;
        }
    }
    /* The live inventory (issue 5): the file is version 1, the assets topic
     * applies on top of it, and live owns the inventory from here on (the
     * matcher built from the file only served to check it). */
    am_matcher_destroy(m);
    m = NULL;
    if (cfg.window_max_bytes) {
        am_window_opts_t wo = {cfg.window_max_age_s, cfg.window_max_bytes};
        if (!(win = am_window_new(&wo)) ||
            !(retro = am_retro_new(&cfg, win, cl, &metrics))) {
            AM_LOG(AM_LOG_ERR, "out of memory");
            goto out;
        }
    }
    {
        am_live_opts_t lo = {.include_unverified = cfg.include_unverified,
                             .rebuild_interval_ms = cfg.rebuild_interval_ms,
                             .rebuild_max_changes = cfg.rebuild_max_changes,
                             .readers = 1,
                             .on_swap = retro ? am_retro_on_swap : NULL,
                             .opaque = retro,
                             .metrics = &metrics};
        live = am_live_new(inv, &lo, err, sizeof(err));
        inv = NULL; /* taken by live */
        if (!live) {
            AM_LOG(AM_LOG_ERR, "inventory: %s", err);
            goto out;
        }
    }
    if (cfg.http_listen[0]) {
        if (!(http = am_http_start(cfg.http_listen, &metrics, err,
                                   sizeof(err)))) {
            AM_LOG(AM_LOG_ERR, "%s", err);
            goto out;
        }
        AM_LOG(AM_LOG_INFO, "metrics and health on http://%s/ (port %d)",
               cfg.http_listen, am_http_port(http));
    }
    /* Events are consumed only once the assets topic was read up to its end
     * as it was at start: before that, notifications would be missed for
     * assets not loaded yet.  /readyz says ready from then on. */
    if (!(assets = am_assets_in_new(&cfg, live, &metrics, err,
                                    sizeof(err)))) {
        AM_LOG(AM_LOG_ERR, "%s", err);
        goto out;
    }
    if (retro)
        am_retro_set_producer(retro, am_assets_in_producer(assets));
    if (am_assets_in_wait_ready(assets, stop) < 0) {
        rc = AM_EXIT_OK;
        goto out;
    }
    atomic_store(&metrics.inventory_loaded, 1);
    {
        uint64_t v;
        /* The service is created with the current matcher and then
         * acquires one per batch (am_service_set_live()). */
        const am_matcher_t *cur = am_live_acquire(live, 0, &v);
        svc = am_service_new(&cfg, cur, cl, &metrics, err, sizeof(err));
        am_live_release(live, 0);
    }
    if (!svc) {
        AM_LOG(AM_LOG_ERR, "%s", err);
        goto out;
    }
    am_service_set_live(svc, live, win);
    rc = am_service_run(svc, stop) == 0 ? AM_EXIT_OK : AM_EXIT_REJECTED;
out:
    /* The service first (its matcher is live's), then what feeds live,
     * then live (its build thread may be in on_swap: retro and the window
     * outlive it). */
    am_service_destroy(svc);
    am_assets_in_destroy(assets);
    am_live_destroy(live);
    am_retro_destroy(retro);
    am_window_destroy(win);
    am_http_stop(http);
    am_matcher_destroy(m);
    am_inventory_destroy(inv);
    am_classify_destroy(cl);
    am_config_free(&cfg);
    return rc;
}
