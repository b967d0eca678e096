/*
 * decode_json: the native JSON event format (schemas/ documents it).
 *
 *   {"id": "ind-1", "kind": "indicator",
 *    "observables": [{"type": "ip", "value": "192.0.2.1"}, ...],
 *    "category": "...", "severity": "...", "confidence": 80,
 *    "source": "...", "tlp": "...", "time": "...", "valid_until": "...",
 *    "description": "..."}
 *
 *   {"id": "scan-1", "kind": "scan", "ip": "192.0.2.1", "port": 443,
 *    "protocol": "tcp", "hostname": "www.example.com", "asn": 64500,
 *    "tag": "...", "cves": ["CVE-2021-26855"], "time": "...",
 *    "source": "..."}
 *
 * "kind" may be left out: an object with "observables" is an indicator,
 * one with "ip" or "hostname" a scan.
 */
#ifndef AM_DECODE_JSON_H
#define AM_DECODE_JSON_H

#include <jansson.h>
#include <stddef.h>

#include "decode.h"
#include "event.h"

/**
 * @brief Decodes a parsed native JSON event object (decode.c parses and
 *        recognises it) into \p ev.
 * @returns 0, or -1 with a reason that names the field in \p err.
 */
int am_decode_json_obj(json_t *root, const am_decode_hint_t *hint,
                       am_event_t *ev, char *err, size_t err_size);

/**
 * @brief Decodes the \p len bytes at \p buf into \p ev (reset first)
 *        without jansson when they are a native event in its plain form
 *        (the known members once each, ASCII strings without escapes,
 *        integers) and a valid one.
 * @returns 0, or -1 with \p ev reset: anything else, to be decoded with
 *          jansson, which then names what is wrong.
 */
int am_decode_json_fast(const char *buf, size_t len, am_event_t *ev);

/**
 * @brief Decodes one native JSON event from the \p len bytes at \p buf
 *        into \p ev (reset first).
 * @returns 0, or -1 with a reason that names the field in \p err
 *          ("field 'observables[1].value': bad ip '1.2.3': ...",
 *          "no observable").
 */
int am_decode_json(const char *buf, size_t len, am_event_t *ev, char *err,
                   size_t err_size);

#endif
