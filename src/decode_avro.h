/*
 * decode_avro: native Avro events (schemas/indicator.avsc and
 * schemas/scan_result.avsc), bare or with the Confluent wire framing
 * (magic byte 0, a 4-byte big-endian schema id, then the record).
 */
#ifndef AM_DECODE_AVRO_H
#define AM_DECODE_AVRO_H

#include <stddef.h>

#include "event.h"

/**
 * @brief Decodes one Avro record into \p ev.
 * @returns 0, or -1 with a reason that names the field in \p err.
 */
int am_decode_avro(const char *buf, size_t len, am_event_t *ev, char *err,
                   size_t err_size);

/**
 * @brief am_decode_avro() by the schema walk alone, without the fast
 *        reader tried first: what the fast reader must agree with (tests,
 *        fuzzing).
 */
int am_decode_avro_walked(const char *buf, size_t len, am_event_t *ev,
                          char *err, size_t err_size);

#endif
