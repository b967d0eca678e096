/*
 * decode: one entry point for every input format.  A message (a Kafka
 * record, a line, a whole file) is decoded into zero or more events, which
 * are handed one at a time to the caller's sink, in the order they appear.
 * The event passed to the sink is reused for the next one: the sink uses it
 * (matches, encodes) before it returns.
 *
 *   format   message                                events
 *   json     native event object                    1
 *   avro     native Avro record, bare or framed     1
 *   stix     Indicator, or Bundle                   1 per Indicator
 *   intelmq  IntelMQ event object                   1
 *   shadow   Shadowserver row (JSON), or CSV file   1 per row
 *
 * With AM_FORMAT_AUTO the format is recognised from the content (decode.c
 * says how).  A part that cannot be decoded is rejected through the sink
 * with a reason that names the field; a part that is valid but not to be
 * matched (an expired indicator, a bundle object that is not an indicator)
 * is skipped and counted.
 */
#ifndef AM_DECODE_H
#define AM_DECODE_H

#include <stddef.h>
#include <stdint.h>

#include "event.h"

typedef enum am_format_e {
    AM_FORMAT_AUTO,
    AM_FORMAT_JSON,
    AM_FORMAT_AVRO,
    AM_FORMAT_STIX,
    AM_FORMAT_INTELMQ,
    AM_FORMAT_SHADOWSERVER,
    AM_FORMAT__COUNT,
} am_format_t;

/* Larger messages are rejected before parsing. */
#define AM_DECODE_MAX_MESSAGE (1024 * 1024)
/* Deeper JSON is rejected (jansson's own limit is 2048). */
#define AM_DECODE_MAX_DEPTH 64

/* For a decoder's small per-value helpers (a string scan, a varint): the
 * compiler declines to inline them at their size, and the calls were an
 * eighth to a sixth of an event's instructions (callgrind,
 * bench/e2e/decode_frames -i). */
#define AM_DECODE_HOT static inline __attribute__((always_inline))

/* Why a part was skipped (counted, not an error). */
typedef enum am_skip_e {
    AM_SKIP_EXPIRED,      /* valid_until in the past */
    AM_SKIP_NOT_MATCHABLE, /* not an indicator, or no pattern we match on */
    AM_SKIP__COUNT,
} am_skip_t;

typedef struct am_decode_sink_s {
    /* An event; non-zero stops decoding (the rest is not looked at). */
    int (*event)(am_event_t *ev, void *opaque);
    /* A part (\p item: the index in a bundle, the row of a CSV file, or -1
     * for the whole message) that was rejected, and why. */
    void (*reject)(long item, const char *reason, void *opaque);
    /* A part that was skipped. */
    void (*skip)(long item, am_skip_t why, void *opaque);
    void *opaque;
} am_decode_sink_t;

/* Context a message carries besides its bytes. */
typedef struct am_decode_hint_s {
    const char *name; /* file name or topic: may give the Shadowserver
                       * report type (YYYY-MM-DD-<type>-...csv) */
    int64_t now;      /* Unix seconds, for valid_until; 0 = the clock */
} am_decode_hint_t;

/** @returns "auto", "json", "avro", "stix", "intelmq", "shadowserver". */
const char *am_format_name(am_format_t fmt);

/** @returns the format named \p s, or -1. */
int am_format_parse(const char *s);

/** @returns the format the message looks like (never AM_FORMAT_AUTO; a
 *           message that looks like nothing known gives AM_FORMAT_JSON,
 *           whose decoder then says what is wrong). */
am_format_t am_decode_detect(const char *buf, size_t len);

/**
 * @brief Decodes one message of \p fmt into events for \p sink, using \p ev
 *        as the event to fill (reset before each).  \p used (may be NULL)
 *        receives the format it was decoded as.
 * @returns the number of events handed to the sink, or -1 when the whole
 *          message was rejected (the reason went to sink->reject).
 */
int am_decode(am_format_t fmt, const char *buf, size_t len,
              const am_decode_hint_t *hint, am_event_t *ev,
              const am_decode_sink_t *sink, am_format_t *used);

#endif
