/*
 * config: the service's settings, from a file of `key = value` lines
 * (# comments, blank lines) and --set KEY=VALUE overrides, validated once
 * at start into an immutable am_config_t.
 *
 * kafka.<property> passes straight to librdkafka, for the consumer and the
 * producer alike (as kcat's -X does); kafka.consumer.<property> and
 * kafka.producer.<property> reach only one of them.  Every other key is
 * one of the table in config.c; an unknown key is an error that names it.
 */
#ifndef AM_CONFIG_H
#define AM_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "decode.h"

typedef enum am_output_format_e {
    AM_OUTPUT_JSON,
    AM_OUTPUT_AVRO,
    AM_OUTPUT_STIX,
} am_output_format_t;

/* Who a kafka.* property is for. */
typedef enum am_kafka_scope_e {
    AM_KAFKA_BOTH,
    AM_KAFKA_CONSUMER,
    AM_KAFKA_PRODUCER,
} am_kafka_scope_t;

typedef struct am_kafka_prop_s {
    char *name;
    char *value;
    am_kafka_scope_t scope;
} am_kafka_prop_t;

/* consumer.workers at most, and consumer.threads at most. */
#define AM_CONFIG_MAX_WORKERS 64
#define AM_CONFIG_MAX_THREADS 64

typedef struct am_config_s {
    am_kafka_prop_t *kafka; /* in the order given; later ones win */
    size_t n_kafka;
    char *inventory_file;   /* NULL: none */
    char *topic_indicators;
    char *topic_scan_results;
    char *topic_notifications;
    char *topic_dead_letter;
    char *topic_assets;
    am_format_t input_format;
    am_output_format_t output_format;
    int32_t output_schema_id; /* Avro: Confluent framing id, -1 = bare */
    bool trace_headers;       /* notifications also carry am-event-id and
                               * am-origin-* (their value says the same) */
    bool include_unverified;
    char *http_listen;      /* host:port; "" disables the endpoint */
    int log_level;          /* syslog levels: 3 err .. 7 debug */
    size_t batch_size;      /* messages taken from the consumer at once */
    size_t workers;         /* consumers matching in parallel, one thread
                             * each, sharing one inventory */
    size_t threads;         /* per worker: threads decoding and matching
                             * each batch, the worker's own included; 0:
                             * am_config_threads() decides */
    /* The live inventory and the window of recent indicators (issue 5). */
    long rebuild_interval_ms;   /* gather asset changes this long */
    size_t rebuild_max_changes; /* or this many, then rebuild */
    int64_t window_max_age_s;   /* indicators kept this long at most */
    size_t window_max_bytes;    /* and in this much memory; 0: no window */
} am_config_t;

/** @brief Fills \p cfg with the defaults. */
void am_config_init(am_config_t *cfg);

/** @returns consumer.threads, or where it is 0, the CPUs this process may
 *           run on shared out over consumer.workers (at least 1, at most
 *           AM_CONFIG_MAX_THREADS). */
size_t am_config_threads(const am_config_t *cfg);

/** @brief Frees what \p cfg holds. */
void am_config_free(am_config_t *cfg);

/**
 * @brief Applies one setting.
 * @returns 0, or -1 with a reason in \p err ("unknown key 'topics.foo'",
 *          "output.format: 'xml' is not one of json, avro, stix").
 */
int am_config_set(am_config_t *cfg, const char *key, const char *value,
                  char *err, size_t err_size);

/**
 * @brief Applies every `key = value` line of \p path.
 * @returns 0, or -1 with "PATH:LINE: reason" in \p err.
 */
int am_config_load(am_config_t *cfg, const char *path, char *err,
                   size_t err_size);

/**
 * @brief Applies "KEY=VALUE" (a --set argument).
 * @returns 0, or -1 with a reason in \p err.
 */
int am_config_set_arg(am_config_t *cfg, const char *arg, char *err,
                      size_t err_size);

/** @returns the text of the README's key table (for --help). */
const char *am_config_help(void);

/** @brief "json", "avro" or "stix": as output.format names \p f. */
const char *am_output_format_name(am_output_format_t f);

#endif
