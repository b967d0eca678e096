/*
 * encode_avro: a notification as an Avro record of
 * schemas/notification.avsc, bare or with the Confluent wire framing.
 */
#ifndef AM_ENCODE_AVRO_H
#define AM_ENCODE_AVRO_H

#include <stdint.h>

#include "jsonw.h"
#include "notification.h"

/**
 * @brief Appends the Avro encoding of \p nt to \p out; with
 *        \p schema_id >= 0 it is framed (byte 0, the id big-endian, the
 *        record), otherwise bare.
 * @returns 0, or -1 with a reason in \p err.
 */
int am_encode_avro(am_buf_t *out, const am_notification_t *nt,
                   int32_t schema_id, char *err, size_t err_size);

#endif
