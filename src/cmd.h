/*
 * cmd: the sub-commands of the assetmatch executable.  Each takes the
 * arguments after its name (argv[0] is the command name) and returns the
 * process exit status; main.c is the only caller of exit().
 */
#ifndef AM_CMD_H
#define AM_CMD_H

#include <signal.h>
#include <stdbool.h>

#include "inventory.h"
#include "matcher.h"

/* Exit statuses shared by the commands. */
#define AM_EXIT_OK 0
#define AM_EXIT_REJECTED 1 /* ran, but some input was rejected */
#define AM_EXIT_USAGE 2    /* bad arguments or unusable inventory */

int am_cmd_match(int argc, char **argv);
int am_cmd_lookup(int argc, char **argv);
int am_cmd_run(int argc, char **argv);
int am_cmd_devbroker(int argc, char **argv);

/**
 * @brief Makes SIGTERM and SIGINT set the flag returned in \p flag (and
 *        ignores SIGPIPE).
 * @returns 0, or -1 with errno set.
 */
int am_cmd_install_stop_handlers(volatile sig_atomic_t **flag);

/* What both commands do first: the inventory file, loaded and compiled. */
typedef struct am_cmd_inventory_s {
    const char *path;
    bool include_unverified;
    bool skip_bad;
    unsigned max_errors;
} am_cmd_inventory_opts_t;

/**
 * @brief Loads the inventory at opts->path and compiles a matcher, with
 *        errors and a one-line summary on standard error.
 * @returns 0 with both objects set (free with am_matcher_destroy() then
 *          am_inventory_destroy()), or -1 after printing why.
 */
int am_cmd_load_inventory(const am_cmd_inventory_opts_t *opts,
                          am_inventory_t **inv, am_matcher_t **m);

#endif
