/*
 * `assetmatch devbroker`: a Kafka-protocol broker on loopback, for trying
 * the service out and for tests: librdkafka's mock cluster.  It is not
 * Kafka: one process, nothing on disk, and it keeps only about the last
 * 5 MB of each partition.
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "devbroker.h"

static const char devbroker_usage[] =
    "usage: assetmatch devbroker [--brokers N] [--partitions N] "
    "[--topics LIST]\n"
    "\n"
    "Starts librdkafka's mock Kafka cluster on loopback, prints its\n"
    "bootstrap servers as the first line of standard output, creates the\n"
    "topics, and runs until SIGTERM or SIGINT.  For trying things out and\n"
    "for tests only: it is not durable, lives in this one process, and\n"
    "keeps only about the last 5 MB of each partition.\n"
    "\n"
    "  -b, --brokers N      brokers in the cluster (default 1)\n"
    "  -p, --partitions N   partitions per topic (default 4)\n"
    "  -t, --topics LIST    comma-separated topics, each NAME or\n"
    "                       NAME:PARTITIONS (default: indicators,\n"
    "                       scan-results, assets, notifications, dead-letter)\n"
    "  -h, --help           this text\n";

int am_cmd_devbroker(int argc, char **argv) {
    static const struct option opts[] = {
        {"brokers", required_argument, NULL, 'b'},
        {"partitions", required_argument, NULL, 'p'},
        {"topics", required_argument, NULL, 't'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    const char *topics =
        "indicators,scan-results,assets,notifications,dead-letter";
    int brokers = 1, partitions = 4, c;
    volatile sig_atomic_t *stop;
    am_devbroker_t *db;
    char err[512];

    optind = 1;
    while ((c = getopt_long(argc, argv, "b:p:t:h", opts, NULL)) != -1) {
        switch (c) {
        case 'b': brokers = atoi(optarg); break;
        case 'p': partitions = atoi(optarg); break;
        case 't': topics = optarg; break;
        case 'h': fputs(devbroker_usage, stdout); return AM_EXIT_OK;
        default: fputs(devbroker_usage, stderr); return AM_EXIT_USAGE;
        }
    }
    if (brokers < 1 || brokers > 16 || partitions < 1 ||
        partitions > 10000 || optind < argc) {
        fprintf(stderr, "assetmatch devbroker: brokers must be 1..16 and "
                        "partitions 1..10000\n\n%s",
                devbroker_usage);
        return AM_EXIT_USAGE;
    }
    if (am_cmd_install_stop_handlers(&stop) < 0) {
        perror("sigaction");
        return AM_EXIT_USAGE;
    }
    if (!(db = am_devbroker_start(brokers, partitions, topics, err,
                                  sizeof(err)))) {
        fprintf(stderr, "assetmatch devbroker: %s\n", err);
        return AM_EXIT_USAGE;
    }
    printf("%s\n", am_devbroker_bootstraps(db));
    fflush(stdout);
    fprintf(stderr,
            "devbroker: %d broker%s, topics %s with %d partition%s each; "
            "SIGTERM or Ctrl-C stops it\n",
            brokers, brokers == 1 ? "" : "s", topics, partitions,
            partitions == 1 ? "" : "s");
    while (!*stop)
        pause();
    am_devbroker_stop(db);
    return AM_EXIT_OK;
}
