/*
 * config: the count keys, output.format, and consumer.threads given or
 * taken from the CPUs the process may run on.
 */
#include <criterion/criterion.h>
#include <sched.h>
#include <string.h>

#include "config.h"

static void set(am_config_t *cfg, const char *key, const char *value) {
    char err[256];

    cr_assert_eq(am_config_set(cfg, key, value, err, sizeof(err)), 0, "%s",
                 err);
}

Test(config, consumer_threads_given_are_kept) {
    am_config_t cfg;

    am_config_init(&cfg);
    set(&cfg, "consumer.threads", "3");
    cr_assert_eq(am_config_threads(&cfg), 3);
    am_config_free(&cfg);
}

Test(config, consumer_threads_0_follows_the_cpus_allowed) {
    cpu_set_t all, one;
    am_config_t cfg;
    size_t n;

    cr_assert_eq(sched_getaffinity(0, sizeof(all), &all), 0);
    n = (size_t)CPU_COUNT(&all);
    am_config_init(&cfg);
    cr_assert_eq(am_config_threads(&cfg), n, "default: one per CPU");
    set(&cfg, "consumer.workers", "2");
    cr_assert_eq(am_config_threads(&cfg), n / 2 ? n / 2 : 1,
                 "shared out over the workers");
    set(&cfg, "consumer.workers", "64");
    cr_assert_eq(am_config_threads(&cfg), n / 64 ? n / 64 : 1,
                 "at least one");

    /* Pinned to one CPU, as a container's cpuset would. */
    set(&cfg, "consumer.workers", "1");
    CPU_ZERO(&one);
    for (int c = 0; c < CPU_SETSIZE; c++)
        if (CPU_ISSET(c, &all)) {
            CPU_SET(c, &one);
            break;
        }
    cr_assert_eq(sched_setaffinity(0, sizeof(one), &one), 0);
    cr_assert_eq(am_config_threads(&cfg), 1, "pinned to one CPU");
    sched_setaffinity(0, sizeof(all), &all);
    am_config_free(&cfg);
}

Test(config, consumer_threads_out_of_range_are_refused) {
    am_config_t cfg;
    char err[256];

    am_config_init(&cfg);
    cr_assert_lt(am_config_set(&cfg, "consumer.threads", "65", err,
                               sizeof(err)),
                 0);
    cr_assert(strstr(err, "consumer.threads"), "%s", err);
    cr_assert_lt(am_config_set(&cfg, "consumer.threads", "-1", err,
                               sizeof(err)),
                 0);
    am_config_free(&cfg);
}

Test(config, count_keys_set_their_own_fields) {
    am_config_t cfg;

    am_config_init(&cfg);
    set(&cfg, "consumer.batch_size", "777");
    set(&cfg, "consumer.workers", "5");
    set(&cfg, "consumer.threads", "6");
    set(&cfg, "inventory.rebuild_max_changes", "12345");
    cr_assert_eq(cfg.batch_size, 777);
    cr_assert_eq(cfg.workers, 5);
    cr_assert_eq(cfg.threads, 6);
    cr_assert_eq(cfg.rebuild_max_changes, 12345);
    am_config_free(&cfg);
}

Test(config, output_format_by_its_name) {
    static const struct {
        const char *name;
        am_output_format_t f;
    } formats[] = {{"json", AM_OUTPUT_JSON},
                   {"avro", AM_OUTPUT_AVRO},
                   {"stix", AM_OUTPUT_STIX}};
    am_config_t cfg;
    char err[256];

    am_config_init(&cfg);
    for (size_t i = 0; i < sizeof(formats) / sizeof(formats[0]); i++) {
        set(&cfg, "output.format", formats[i].name);
        cr_assert_eq(cfg.output_format, formats[i].f, "%s", formats[i].name);
        cr_assert_str_eq(am_output_format_name(cfg.output_format),
                         formats[i].name);
    }
    cr_assert_eq(am_config_set(&cfg, "output.format", "xml", err,
                               sizeof(err)),
                 -1);
    cr_assert_str_eq(err, "output.format: 'xml' is not one of json, avro, "
                          "stix");
    cr_assert_eq(cfg.output_format, AM_OUTPUT_STIX, "a refused value left");
    am_config_free(&cfg);
}
