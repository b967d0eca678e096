/*
 * assetmatch: matches threat intelligence and scan results against the
 * assets that tenants registered.  This file only dispatches to the
 * sub-commands (cmd_*.c) and is the one place that exits.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"

#define AM_VERSION "0.1.0"

/* cmd_demo.c */
int am_cmd_demo(int argc, char **argv);

static const char usage[] =
    "usage: assetmatch COMMAND [OPTIONS]\n"
    "\n"
    "Commands:\n"
    "  run        the service: a Kafka consumer group member turning\n"
    "             indicators and scan results into notifications\n"
    "  devbroker  a Kafka-protocol broker on loopback (librdkafka's mock\n"
    "             cluster) for trying things out and for tests\n"
    "  match      match event files against an inventory, offline; JSON\n"
    "             notifications on standard output\n"
    "  lookup     which tenants' assets match an address, range, domain,\n"
    "             URL, e-mail address or AS number\n"
    "  demo       the dev broker, sample feeds and the service in one\n"
    "             process, printing the notifications (make demo)\n"
    "\n"
    "  assetmatch COMMAND --help   options of a command\n"
    "  assetmatch --version        the version\n";

int main(int argc, char **argv) {
    static const struct {
        const char *name;
        int (*run)(int, char **);
    } cmds[] = {{"run", am_cmd_run},
                {"match", am_cmd_match},
                {"lookup", am_cmd_lookup},
                {"devbroker", am_cmd_devbroker},
                {"demo", am_cmd_demo}};

    if (argc < 2) {
        fputs(usage, stderr);
        exit(AM_EXIT_USAGE);
    }
    if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0 ||
        strcmp(argv[1], "help") == 0) {
        fputs(usage, stdout);
        exit(AM_EXIT_OK);
    }
    if (strcmp(argv[1], "--version") == 0) {
        printf("assetmatch %s\n", AM_VERSION);
        exit(AM_EXIT_OK);
    }
    for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
        if (strcmp(argv[1], cmds[i].name) == 0)
            exit(cmds[i].run(argc - 1, argv + 1));
    fprintf(stderr, "assetmatch: unknown command '%s'\n\n%s", argv[1], usage);
    exit(AM_EXIT_USAGE);
}
