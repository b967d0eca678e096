/*
 * classify: one classification for every source's vocabulary.  Events
 * arrive with STIX indicator_types, IntelMQ classification.*, Shadowserver
 * report types and free categories; the notification carries one
 * classification in IntelMQ's taxonomy (taxonomy + type, with identifier),
 * the n6 category where one maps, and a severity.
 *
 * The mapping tables are data (data/classification.json), loaded once.
 */
#ifndef AM_CLASSIFY_H
#define AM_CLASSIFY_H

#include <stddef.h>

#include "event.h"

typedef struct am_classify_s am_classify_t;

/**
 * @brief Loads the mapping tables from \p path (NULL: the file installed
 *        with the program, AM_DATA_DIR "/classification.json").
 * @returns the tables (free with am_classify_destroy()), or NULL with the
 *          file, line and reason in \p err.
 */
am_classify_t *am_classify_load(const char *path, char *err,
                                size_t err_size);

/** @brief Frees \p cl; NULL is a no-op. */
void am_classify_destroy(am_classify_t *cl);

/**
 * @brief Fills ev->taxonomy, type, identifier (when still NULL),
 *        n6_category, and severity (when absent) from what the event says.
 *        Strings point into \p cl or the event's arena.
 * @locality any thread; \p cl is read-only.
 */
void am_classify_event(const am_classify_t *cl, am_event_t *ev);

/**
 * @brief The advice for a classification type in \p lang ("en", "nl"):
 *        what the threat means and what to do first.  Falls back to the
 *        type "unknown", then to English.
 * @returns the text (borrowed from \p cl), never NULL.
 */
const char *am_classify_advice(const am_classify_t *cl, const char *type,
                               const char *lang);

#endif
