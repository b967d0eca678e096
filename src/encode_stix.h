/*
 * encode_stix: a notification as a STIX 2.1 Bundle for the TAXII service:
 * an Identity for the tenant, the Indicator (or an Observed Data for a
 * scan result), and a Sighting of it with where_sighted_refs naming the
 * tenant, carrying the event's TLP marking.  Every id is a UUIDv5 derived
 * from the notification id, so a replay yields the same objects.
 */
#ifndef AM_ENCODE_STIX_H
#define AM_ENCODE_STIX_H

#include "jsonw.h"
#include "notification.h"

/**
 * @brief Appends the Bundle of \p nt as one line of JSON to \p out.
 * @returns 0, or -1 when out of memory.
 */
int am_encode_stix(am_buf_t *out, const am_notification_t *nt);

#endif
