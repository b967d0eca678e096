/*
 * decode_shadowserver: Shadowserver report rows as scan events, from JSON
 * objects or from whole CSV files (columns found by header name, in any
 * order; unknown and missing columns tolerated).
 *
 * ip, hostname and asn of scan reports, and the src_* columns of event
 * reports (the affected host), are the observables; dst_* columns
 * (honeypots, sinkholes) are context.  tag is split on ',' and ';' and CVE
 * ids in it are kept.  The report type comes from a field, or from the file
 * name (YYYY-MM-DD-<report_type>-<rest>.csv) in hint->name.
 */
#ifndef AM_DECODE_SHADOWSERVER_H
#define AM_DECODE_SHADOWSERVER_H

#include <jansson.h>

#include "decode.h"

/**
 * @brief Decodes one parsed report row object into \p ev.
 * @returns 0, or -1 with a reason that names the field in \p err.
 */
int am_decode_shadowserver_obj(json_t *root, const am_decode_hint_t *hint,
                               am_event_t *ev, char *err, size_t err_size);

/**
 * @brief Decodes a whole CSV report, one event per row, rejects naming the
 *        row's line number (item = line).
 * @returns the number of events, or -1 when the file is not a report (no
 *          header, no ip/src_ip column).
 */
int am_decode_shadowserver_csv(const char *buf, size_t len,
                               const am_decode_hint_t *hint, am_event_t *ev,
                               const am_decode_sink_t *sink);

#endif
