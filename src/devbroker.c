#include "devbroker.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct am_devbroker_s {
    rd_kafka_t *rk; /* the handle the mock cluster is bookkept on */
    rd_kafka_mock_cluster_t *mc;
};

am_devbroker_t *am_devbroker_start(int brokers, int partitions,
                                   const char *topics, char *err,
                                   size_t err_size) {
    am_devbroker_t *db = calloc(1, sizeof(*db));
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    char *list = strdup(topics), *save = NULL;

    if (!db || !list) {
        snprintf(err, err_size, "out of memory");
        goto fail;
    }
    /* The mock cluster logs through this handle; keep it quiet. */
    rd_kafka_conf_set(conf, "log_level", "3", NULL, 0);
    if (!(db->rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, err_size)))
        goto fail;
    conf = NULL;
    if (!(db->mc = rd_kafka_mock_cluster_new(db->rk, brokers))) {
        snprintf(err, err_size, "cannot start the mock cluster");
        goto fail;
    }
    for (char *t = strtok_r(list, ",", &save); t;
         t = strtok_r(NULL, ",", &save)) {
        char *colon = strchr(t, ':'), *end;
        long n = partitions;
        rd_kafka_resp_err_t e;

        /* NAME:PARTITIONS overrides the count for that topic. */
        if (colon) {
            *colon = '\0';
            n = strtol(colon + 1, &end, 10);
            if (end == colon + 1 || *end || n < 1 || n > 10000 || !*t) {
                snprintf(err, err_size,
                         "topic %s: '%s' is not a partition count (1..10000)",
                         t, colon + 1);
                goto fail;
            }
        }
        if ((e = rd_kafka_mock_topic_create(db->mc, t, (int)n, 1))) {
            snprintf(err, err_size, "topic %s: %s", t, rd_kafka_err2str(e));
            goto fail;
        }
    }
    free(list);
    return db;
fail:
    if (conf)
        rd_kafka_conf_destroy(conf);
    free(list);
    am_devbroker_stop(db);
    return NULL;
}

const char *am_devbroker_bootstraps(const am_devbroker_t *db) {
    return rd_kafka_mock_cluster_bootstraps(db->mc);
}

rd_kafka_mock_cluster_t *am_devbroker_mock(am_devbroker_t *db) {
    return db->mc;
}

void am_devbroker_stop(am_devbroker_t *db) {
    if (!db)
        return;
    if (db->mc)
        rd_kafka_mock_cluster_destroy(db->mc);
    if (db->rk)
        rd_kafka_destroy(db->rk);
    free(db);
}
