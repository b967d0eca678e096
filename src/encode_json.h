/*
 * encode_json: a notification as one line of JSON (no newline), the format
 * of `assetmatch match` and of the JSON output of the service.  Every key is
 * always present (null when the event did not carry it) so that consumers
 * see one stable shape; schemas/ documents it.
 */
#ifndef AM_ENCODE_JSON_H
#define AM_ENCODE_JSON_H

#include "jsonw.h"
#include "notification.h"

/**
 * @brief Appends the JSON form of \p nt to \p out.
 * @returns 0, or -1 when out of memory.
 */
int am_encode_json(am_buf_t *out, const am_notification_t *nt);

#endif
