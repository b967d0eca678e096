#include "avro_schema.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "fileio.h"

static const char *const files[AM_AVRO_SCHEMA__COUNT] = {
    "indicator.avsc", "scan_result.avsc", "event.avsc", "asset.avsc",
    "notification.avsc"};

/* What each file's root must be: a record of this name, or (NULL) the
 * event union. */
static const char *const roots[AM_AVRO_SCHEMA__COUNT] = {
    "Indicator", "ScanResult", NULL, "Asset", "Notification"};

/* Loaded once (pthread_once), then read-only: any thread may read them. */
static pthread_once_t once = PTHREAD_ONCE_INIT;
static bool loaded;
static char dir[1024] = AM_SCHEMA_DIR;
static avro_schema_t schemas[AM_AVRO_SCHEMA__COUNT];
static char errors[AM_AVRO_SCHEMA__COUNT][sizeof(dir) + 512];

const char *am_avro_schema_file(am_avro_schema_id_t id) {
    return id < AM_AVRO_SCHEMA__COUNT ? files[id] : "?";
}

int am_avro_schema_set_dir(const char *d) {
    if (loaded || strlen(d) >= sizeof(dir))
        return -1;
    memcpy(dir, d, strlen(d) + 1);
    return 0;
}

avro_schema_t am_avro_schema_load_file(const char *path, char *err,
                                       size_t err_size) {
    avro_schema_t schema = NULL;
    am_file_t f;
    char why[256];

    if (am_file_open(&f, path, why, sizeof(why)) < 0) {
        snprintf(err, err_size, "%s", why);
        return NULL;
    }
    if (avro_schema_from_json_length(f.data, f.len, &schema) != 0) {
        snprintf(err, err_size, "%s: %s", path, avro_strerror());
        schema = NULL;
    }
    am_file_close(&f);
    return schema;
}

/* Equal both ways: avro_schema_equal() only checks that the second union
 * or enum has the first's branches or symbols, not that it has no more. */
static bool same(avro_schema_t a, avro_schema_t b) {
    return avro_schema_equal(a, b) && avro_schema_equal(b, a);
}

/* The root of file \p i is what the code expects of it. */
static bool check_root(int i) {
    avro_schema_t s = schemas[i];

    if (roots[i]) {
        if (is_avro_record(s) && strcmp(avro_schema_name(s), roots[i]) == 0)
            return true;
        snprintf(errors[i], sizeof(errors[i]),
                 "%s/%s: the root must be the record %s", dir, files[i],
                 roots[i]);
        return false;
    }
    /* event.avsc: union [Indicator, ScanResult], the very records of
     * indicator.avsc and scan_result.avsc. */
    if (!is_avro_union(s) || avro_schema_union_size(s) != 2) {
        snprintf(errors[i], sizeof(errors[i]),
                 "%s/%s: the root must be the union [Indicator, ScanResult]",
                 dir, files[i]);
        return false;
    }
    for (int b = 0; b < 2; b++) {
        int of = b == 0 ? AM_AVRO_SCHEMA_INDICATOR : AM_AVRO_SCHEMA_SCAN_RESULT;
        if (schemas[of] && !same(avro_schema_union_branch(s, b), schemas[of])) {
            snprintf(errors[i], sizeof(errors[i]),
                     "%s/%s: branch %d differs from %s (event.avsc must "
                     "inline it unchanged)",
                     dir, files[i], b, files[of]);
            return false;
        }
    }
    return true;
}

static void load_all(void) {
    char path[sizeof(dir) + 32];

    for (int i = 0; i < AM_AVRO_SCHEMA__COUNT; i++) {
        snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
        schemas[i] = am_avro_schema_load_file(path, errors[i],
                                              sizeof(errors[i]));
        if (schemas[i] && !check_root(i)) {
            avro_schema_decref(schemas[i]);
            schemas[i] = NULL;
        }
    }
    loaded = true;
}

avro_schema_t am_avro_schema_get(am_avro_schema_id_t id, char *err,
                                 size_t err_size) {
    pthread_once(&once, load_all);
    if (id >= AM_AVRO_SCHEMA__COUNT) {
        snprintf(err, err_size, "no schema %d", (int)id);
        return NULL;
    }
    if (!schemas[id])
        snprintf(err, err_size, "%s", errors[id]);
    return schemas[id];
}

