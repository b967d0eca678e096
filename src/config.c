#include "config.h"

#include <ctype.h>
#include <sched.h>
#include <stddef.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

void am_config_init(am_config_t *cfg) {
    memset(cfg, 0, sizeof(*cfg));
    cfg->topic_indicators = strdup("indicators");
    cfg->topic_scan_results = strdup("scan-results");
    cfg->topic_notifications = strdup("notifications");
    cfg->topic_dead_letter = strdup("dead-letter");
    cfg->topic_assets = strdup("assets");
    cfg->input_format = AM_FORMAT_AUTO;
    cfg->output_format = AM_OUTPUT_AVRO;
    cfg->output_schema_id = -1;
    cfg->http_listen = strdup("127.0.0.1:9464");
    cfg->log_level = 6;
    cfg->batch_size = 1000;
    cfg->workers = 1;
    cfg->threads = 0; /* the cores, shared by the workers */
    cfg->rebuild_interval_ms = 1000;
    cfg->rebuild_max_changes = 10000;
    cfg->window_max_age_s = 30 * 86400;
    cfg->window_max_bytes = (size_t)512 << 20;
}

size_t am_config_threads(const am_config_t *cfg) {
    cpu_set_t set;
    long cores;
    size_t n;

    if (cfg->threads)
        return cfg->threads;
    /* The CPUs this process may run on (a container's cpuset), else the
     * machine's. */
    cores = sched_getaffinity(0, sizeof(set), &set) == 0
                ? CPU_COUNT(&set)
                : sysconf(_SC_NPROCESSORS_ONLN);
    n = cores > 0 ? (size_t)cores / (cfg->workers ? cfg->workers : 1) : 1;
    return n < 1 ? 1 : n > AM_CONFIG_MAX_THREADS ? AM_CONFIG_MAX_THREADS : n;
}

void am_config_free(am_config_t *cfg) {
    for (size_t i = 0; i < cfg->n_kafka; i++) {
        free(cfg->kafka[i].name);
        free(cfg->kafka[i].value);
    }
    free(cfg->kafka);
    free(cfg->inventory_file);
    free(cfg->topic_indicators);
    free(cfg->topic_scan_results);
    free(cfg->topic_notifications);
    free(cfg->topic_dead_letter);
    free(cfg->topic_assets);
    free(cfg->http_listen);
    memset(cfg, 0, sizeof(*cfg));
}

static int set_str(char **dst, const char *value, char *err,
                   size_t err_size) {
    char *v = strdup(value);

    if (!v) {
        snprintf(err, err_size, "out of memory");
        return -1;
    }
    free(*dst);
    *dst = v;
    return 0;
}

static int set_bool(bool *dst, const char *key, const char *value, char *err,
                    size_t err_size) {
    if (!strcmp(value, "true") || !strcmp(value, "1") ||
        !strcmp(value, "yes")) {
        *dst = true;
    } else if (!strcmp(value, "false") || !strcmp(value, "0") ||
               !strcmp(value, "no")) {
        *dst = false;
    } else {
        snprintf(err, err_size, "%s: '%s' is not true or false", key, value);
        return -1;
    }
    return 0;
}

static int set_long(long *dst, const char *key, const char *value, long lo,
                    long hi, char *err, size_t err_size) {
    char *end;
    long v;

    errno = 0;
    v = strtol(value, &end, 10);
    if (errno || end == value || *end || v < lo || v > hi) {
        snprintf(err, err_size, "%s: '%s' is not a number from %ld to %ld",
                 key, value, lo, hi);
        return -1;
    }
    *dst = v;
    return 0;
}

/* The keys that are a count (a size_t of am_config_t) within bounds. */
typedef struct count_key_s {
    const char *key;
    long lo, hi;
    size_t offset;
} count_key_t;

static const count_key_t counts[] = {
    {"consumer.batch_size", 1, 100000, offsetof(am_config_t, batch_size)},
    {"consumer.workers", 1, AM_CONFIG_MAX_WORKERS,
     offsetof(am_config_t, workers)},
    {"consumer.threads", 0, AM_CONFIG_MAX_THREADS,
     offsetof(am_config_t, threads)},
    {"inventory.rebuild_max_changes", 1, 100000000,
     offsetof(am_config_t, rebuild_max_changes)},
};

/* A number with an optional unit: the factor of each suffix in units. */
typedef struct unit_s {
    const char *suffix;
    int64_t factor;
} unit_t;

static int set_scaled(int64_t *dst, const char *key, const char *value,
                      const unit_t *units, const char *what, char *err,
                      size_t err_size) {
    char *end;
    long long v;

    errno = 0;
    v = strtoll(value, &end, 10);
    while (*end == ' ')
        end++;
    if (!errno && end != value && v >= 0) {
        if (!*end) {
            *dst = v;
            return 0;
        }
        for (const unit_t *u = units; u->suffix; u++)
            if (!strcasecmp(end, u->suffix) && v <= INT64_MAX / u->factor) {
                *dst = v * u->factor;
                return 0;
            }
    }
    snprintf(err, err_size, "%s: '%s' is not %s", key, value, what);
    return -1;
}

static int add_kafka(am_config_t *cfg, const char *name, const char *value,
                     am_kafka_scope_t scope, char *err, size_t err_size) {
    am_kafka_prop_t *np;

    if (!*name) {
        snprintf(err, err_size, "kafka.: a librdkafka property name is "
                 "needed after the prefix");
        return -1;
    }
    np = realloc(cfg->kafka, (cfg->n_kafka + 1) * sizeof(*np));
    if (!np) {
        snprintf(err, err_size, "out of memory");
        return -1;
    }
    cfg->kafka = np;
    np[cfg->n_kafka].name = strdup(name);
    np[cfg->n_kafka].value = strdup(value);
    np[cfg->n_kafka].scope = scope;
    if (!np[cfg->n_kafka].name || !np[cfg->n_kafka].value) {
        free(np[cfg->n_kafka].name);
        free(np[cfg->n_kafka].value);
        snprintf(err, err_size, "out of memory");
        return -1;
    }
    cfg->n_kafka++;
    return 0;
}

static const char help[] =
    "  kafka.<property>          passed to librdkafka for the consumer and\n"
    "                            the producer (bootstrap.servers, security.*,\n"
    "                            group.id [assetmatch], ...)\n"
    "  kafka.consumer.<property> only for the consumer\n"
    "  kafka.producer.<property> only for the producer\n"
    "  inventory.file            inventory CSV or JSON lines []\n"
    "  topics.indicators         [indicators]\n"
    "  topics.scan_results       [scan-results]\n"
    "  topics.notifications      [notifications]\n"
    "  topics.dead_letter        [dead-letter]\n"
    "  topics.assets             [assets]\n"
    "  input.format              auto, json, avro, stix, intelmq,\n"
    "                            shadowserver [auto]\n"
    "  output.format             json, avro, stix [avro]\n"
    "  output.schema_id          Confluent schema id for framed Avro\n"
    "                            output; -1 writes bare Avro [-1]\n"
    "  output.trace_headers      notifications also carry am-event-id and\n"
    "                            am-origin-* headers, which their value\n"
    "                            holds too [false]\n"
    "  match.include_unverified  let unverified assets match [false]\n"
    "  http.listen               metrics and health, host:port; empty\n"
    "                            disables [127.0.0.1:9464]\n"
    "  log.level                 error, warning, notice, info, debug [info]\n"
    "  consumer.batch_size       messages taken at once [1000]\n"
    "  consumer.workers          consumers in this process, a thread each,\n"
    "                            sharing one inventory; the group spreads\n"
    "                            the partitions over them [1]\n"
    "  consumer.threads          per worker, threads decoding and matching\n"
    "                            each batch, the worker's own included;\n"
    "                            records are produced in input order; 0:\n"
    "                            the CPUs / consumer.workers [0]\n"
    "  inventory.rebuild_interval_ms  asset changes are gathered this long\n"
    "                            before the matcher is rebuilt [1000]\n"
    "  inventory.rebuild_max_changes  or until this many [10000]\n"
    "  window.max_age            recent indicators kept for new assets:\n"
    "                            at most this old (s, m, h, d) [30d]\n"
    "  window.max_bytes          and this much memory (KB, MB, GB); 0\n"
    "                            turns retroactive matching off [512MB]\n";

static const char *const output_names[] = {"json", "avro", "stix"};

const char *am_output_format_name(am_output_format_t f) {
    return output_names[f];
}

const char *am_config_help(void) {
    return help;
}

int am_config_set(am_config_t *cfg, const char *key, const char *value,
                  char *err, size_t err_size) {
    long l;

    if (!strncmp(key, "kafka.consumer.", 15))
        return add_kafka(cfg, key + 15, value, AM_KAFKA_CONSUMER, err,
                         err_size);
    if (!strncmp(key, "kafka.producer.", 15))
        return add_kafka(cfg, key + 15, value, AM_KAFKA_PRODUCER, err,
                         err_size);
    if (!strncmp(key, "kafka.", 6))
        return add_kafka(cfg, key + 6, value, AM_KAFKA_BOTH, err, err_size);
    if (!strcmp(key, "inventory.file"))
        return set_str(&cfg->inventory_file, value, err, err_size);
    if (!strcmp(key, "topics.indicators"))
        return set_str(&cfg->topic_indicators, value, err, err_size);
    if (!strcmp(key, "topics.scan_results"))
        return set_str(&cfg->topic_scan_results, value, err, err_size);
    if (!strcmp(key, "topics.notifications"))
        return set_str(&cfg->topic_notifications, value, err, err_size);
    if (!strcmp(key, "topics.dead_letter"))
        return set_str(&cfg->topic_dead_letter, value, err, err_size);
    if (!strcmp(key, "topics.assets"))
        return set_str(&cfg->topic_assets, value, err, err_size);
    if (!strcmp(key, "input.format")) {
        int f = am_format_parse(value);
        if (f < 0) {
            snprintf(err, err_size,
                     "input.format: '%s' is not one of auto, json, avro, "
                     "stix, intelmq, shadowserver",
                     value);
            return -1;
        }
        cfg->input_format = (am_format_t)f;
        return 0;
    }
    if (!strcmp(key, "output.format")) {
        int f = AM_OUTPUT_JSON;
        while (f <= AM_OUTPUT_STIX && strcmp(value, output_names[f]))
            f++;
        if (f > AM_OUTPUT_STIX) {
            snprintf(err, err_size,
                     "output.format: '%s' is not one of json, avro, stix",
                     value);
            return -1;
        }
        cfg->output_format = (am_output_format_t)f;
        return 0;
    }
    if (!strcmp(key, "output.schema_id")) {
        if (set_long(&l, key, value, -1, INT32_MAX, err, err_size) < 0)
            return -1;
        cfg->output_schema_id = (int32_t)l;
        return 0;
    }
    if (!strcmp(key, "output.trace_headers"))
        return set_bool(&cfg->trace_headers, key, value, err, err_size);
    if (!strcmp(key, "match.include_unverified"))
        return set_bool(&cfg->include_unverified, key, value, err, err_size);
    if (!strcmp(key, "http.listen"))
        return set_str(&cfg->http_listen, value, err, err_size);
    if (!strcmp(key, "log.level")) {
        static const char *const names[] = {"error", "warning", "notice",
                                            "info", "debug"};
        for (int i = 0; i < 5; i++)
            if (!strcmp(value, names[i])) {
                cfg->log_level = 3 + i;
                return 0;
            }
        snprintf(err, err_size,
                 "log.level: '%s' is not one of error, warning, notice, "
                 "info, debug",
                 value);
        return -1;
    }
    for (size_t i = 0; i < sizeof(counts) / sizeof(*counts); i++)
        if (!strcmp(key, counts[i].key)) {
            if (set_long(&l, key, value, counts[i].lo, counts[i].hi, err,
                         err_size) < 0)
                return -1;
            *(size_t *)((char *)cfg + counts[i].offset) = (size_t)l;
            return 0;
        }
    if (!strcmp(key, "inventory.rebuild_interval_ms")) {
        if (set_long(&l, key, value, 1, 3600000, err, err_size) < 0)
            return -1;
        cfg->rebuild_interval_ms = l;
        return 0;
    }
    if (!strcmp(key, "window.max_age")) {
        static const unit_t u[] = {
            {"s", 1}, {"m", 60}, {"h", 3600}, {"d", 86400}, {NULL, 0}};
        return set_scaled(&cfg->window_max_age_s, key, value, u,
                          "a duration (30d, 12h, 90m, 3600s)", err,
                          err_size);
    }
    if (!strcmp(key, "window.max_bytes")) {
        static const unit_t u[] = {{"b", 1},
                                   {"kb", 1 << 10},
                                   {"mb", 1 << 20},
                                   {"gb", 1 << 30},
                                   {NULL, 0}};
        int64_t b;
        if (set_scaled(&b, key, value, u, "a size (512MB, 2GB, bytes)",
                       err, err_size) < 0)
            return -1;
        cfg->window_max_bytes = (size_t)b;
        return 0;
    }
    snprintf(err, err_size, "unknown key '%s'", key);
    return -1;
}

static char *trim(char *s) {
    char *e;

    while (isspace((unsigned char)*s))
        s++;
    e = s + strlen(s);
    while (e > s && isspace((unsigned char)e[-1]))
        *--e = '\0';
    return s;
}

int am_config_load(am_config_t *cfg, const char *path, char *err,
                   size_t err_size) {
    FILE *f = fopen(path, "r");
    char *line = NULL, why[512];
    size_t cap = 0, lineno = 0;
    int rc = 0;

    if (!f) {
        snprintf(err, err_size, "%s: %s", path, strerror(errno));
        return -1;
    }
    while (rc == 0 && getline(&line, &cap, f) >= 0) {
        char *s = trim(line), *eq;
        lineno++;
        if (!*s || *s == '#')
            continue;
        if (!(eq = strchr(s, '='))) {
            snprintf(err, err_size, "%s:%zu: expected 'key = value'", path,
                     lineno);
            rc = -1;
            break;
        }
        *eq = '\0';
        if (am_config_set(cfg, trim(s), trim(eq + 1), why, sizeof(why)) <
            0) {
            snprintf(err, err_size, "%s:%zu: %s", path, lineno, why);
            rc = -1;
        }
    }
    free(line);
    fclose(f);
    return rc;
}

int am_config_set_arg(am_config_t *cfg, const char *arg, char *err,
                      size_t err_size) {
    const char *eq = strchr(arg, '=');
    char key[256];

    if (!eq || eq == arg || (size_t)(eq - arg) >= sizeof(key)) {
        snprintf(err, err_size, "--set '%s': expected KEY=VALUE", arg);
        return -1;
    }
    memcpy(key, arg, (size_t)(eq - arg));
    key[eq - arg] = '\0';
    return am_config_set(cfg, key, eq + 1, err, err_size);
}
