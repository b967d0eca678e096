/*
 * `assetmatch run`: the service, from a config file (config.h).
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "config.h"
#include "log.h"
#include "runner.h"

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
    am_runner_t *runner = NULL;
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
        /* Loaded and compiled once here, so that a bad file stops the start
         * with every error listed; the live inventory then takes it. */
        am_cmd_inventory_opts_t io = {cfg.inventory_file,
                                      cfg.include_unverified, false, 20};
        if (am_cmd_load_inventory(&io, &inv, &m) < 0)
            goto out;
        am_matcher_destroy(m);
    } else {
        AM_LOG(AM_LOG_NOTICE, "no inventory.file: the assets topic alone");
        if (!(inv = am_inventory_new())) {
            AM_LOG(AM_LOG_ERR, "out of memory");
            goto out;
        }
    }
    runner = am_runner_start(&cfg, inv, cl, &metrics, stop, err, sizeof(err));
    inv = NULL; /* taken */
    if (!runner) {
        if (err[0])
            AM_LOG(AM_LOG_ERR, "%s", err);
        else
            rc = AM_EXIT_OK; /* stopped while the assets topic was read */
        goto out;
    }
    rc = am_runner_run(runner, stop) == 0
             ? AM_EXIT_OK
             : AM_EXIT_REJECTED;
out:
    am_runner_destroy(runner);
    am_inventory_destroy(inv);
    am_classify_destroy(cl);
    am_config_free(&cfg);
    return rc;
}
