/*
 * decode_stix: STIX 2.1 Indicators, alone or in a Bundle, as events.
 *
 * Each Indicator with pattern_type "stix" is one event whose id is the
 * Indicator's id; the comparisons of its pattern on ipv4-addr:value,
 * ipv6-addr:value (=, ISSUBSET, IN), domain-name:value, url:value and
 * email-addr:value become its observables (stix_pattern.h).  Other objects
 * of a Bundle are skipped (AM_SKIP_NOT_MATCHABLE); an Indicator whose
 * valid_until is before hint->now is skipped as AM_SKIP_EXPIRED.  TLP comes
 * from object_marking_refs (TLP 1.0 and 2.0 marking ids), the category
 * from indicator_types, else labels.
 */
#ifndef AM_DECODE_STIX_H
#define AM_DECODE_STIX_H

#include <jansson.h>

#include "decode.h"

/**
 * @brief Decodes a parsed Indicator or Bundle object, handing each event to
 *        \p sink (see decode.h).
 * @returns the number of events, or -1 when the whole message is rejected.
 */
int am_decode_stix_obj(json_t *root, const am_decode_hint_t *hint,
                       am_event_t *ev, const am_decode_sink_t *sink);

#endif
