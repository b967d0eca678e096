/*
 * avro_schema: the Avro schemas of schemas/, parsed once for the process.
 * The .avsc files are the only copy of the schemas: the decoder and the
 * encoder look fields up by name in what was loaded, so the C code carries
 * no schema text of its own.
 *
 *   file                 what                         root
 *   indicator.avsc       an input indicator           record Indicator
 *   scan_result.avsc     an input scan observation    record ScanResult
 *   event.avsc           what input messages carry    union [Indicator,
 *                        (decode_avro.h)                     ScanResult]
 *   asset.avsc           an asset of the assets topic record Asset
 *   notification.avsc    the output (encode_avro.h)   record Notification
 *
 * event.avsc inlines the two record schemas, so that producers have one
 * self-contained file; loading fails when its branches differ from
 * indicator.avsc and scan_result.avsc.
 *
 * The files are read from the directory set with am_avro_schema_set_dir(),
 * by default AM_SCHEMA_DIR (the source tree's schemas/, which the Docker
 * image copies).  All of them are loaded together the first time one is
 * asked for (pthread_once); a file that cannot be loaded stays an error for
 * the life of the process, reported with its path at every request.
 *
 * It also holds the one rule both codecs apply to Avro strings: UTF-8.
 */
#ifndef AM_AVRO_SCHEMA_H
#define AM_AVRO_SCHEMA_H

#include <avro.h>
#include <stddef.h>

typedef enum am_avro_schema_id_e {
    AM_AVRO_SCHEMA_INDICATOR,
    AM_AVRO_SCHEMA_SCAN_RESULT,
    AM_AVRO_SCHEMA_EVENT,
    AM_AVRO_SCHEMA_ASSET,
    AM_AVRO_SCHEMA_NOTIFICATION,
    AM_AVRO_SCHEMA__COUNT,
} am_avro_schema_id_t;

/** @returns the file name of schema \p id ("event.avsc"). */
const char *am_avro_schema_file(am_avro_schema_id_t id);

/**
 * @brief Sets the directory the schemas are loaded from (copied).
 * @returns 0, or -1 when the schemas were already loaded (too late).
 * @locality main thread, at startup, before any thread decodes or encodes.
 */
int am_avro_schema_set_dir(const char *dir);

/**
 * @brief Parses the Avro schema in the file \p path.
 * @returns a new schema (free with avro_schema_decref()), or NULL with
 *          "PATH: reason" in \p err.
 */
avro_schema_t am_avro_schema_load_file(const char *path, char *err,
                                       size_t err_size);

/**
 * @brief The schema \p id, loading all of them on the first call.
 * @returns the schema (borrowed, valid for the life of the process), or
 *          NULL with "PATH: reason" in \p err.
 * @locality any thread.
 */
avro_schema_t am_avro_schema_get(am_avro_schema_id_t id, char *err,
                                 size_t err_size);

#endif
