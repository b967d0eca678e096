/*
 * decode_intelmq: an IntelMQ event (the flat, dotted-key JSON of IntelMQ's
 * harmonisation) as an event.  source.ip, source.fqdn, source.url,
 * source.asn and source.network are the observables (IntelMQ puts the
 * reported party in source); destination.* and extra.* are kept as context;
 * classification.taxonomy/type/identifier, feed.name and time.source are
 * kept.
 */
#ifndef AM_DECODE_INTELMQ_H
#define AM_DECODE_INTELMQ_H

#include <jansson.h>

#include "decode.h"

/**
 * @brief Decodes a parsed IntelMQ event object into \p ev.
 * @returns 0, or -1 with a reason that names the field in \p err.
 */
int am_decode_intelmq_obj(json_t *root, const am_decode_hint_t *hint,
                          am_event_t *ev, char *err, size_t err_size);

#endif
