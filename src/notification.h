/*
 * notification: what every output encoder shares: the deterministic
 * notification id, and the view of one notification (an event, one
 * tenant's match result, where the event came from).
 *
 * notification_id = UUIDv5(AM_NOTIFICATION_NS, tenant_id "\n" event_id).
 * The same event replayed (after a crash, a rebalance) gives the same id,
 * so consumers drop duplicates by id.  The newline cannot occur in either
 * id, so ("a", "b\nc") and ("a\nb", "c") cannot collide.
 */
#ifndef AM_NOTIFICATION_H
#define AM_NOTIFICATION_H

#include <stdbool.h>
#include <stdint.h>

#include "classify.h"
#include "event.h"
#include "inventory.h"
#include "matcher.h"

/* The namespace of notification ids (a random UUID fixed for good). */
#define AM_NOTIFICATION_NS "6f1d6c1e-9b5a-4f53-8f2e-2a4bd9a7c3e1"

/* A notification lists at most this many matched assets (best first) and
 * says how many there were: an observed /8 can overlap a hundred thousand
 * assets of one tenant, and a record of megabytes would exceed the
 * broker's limit and stop the service at that event on every restart. */
#define AM_NOTIFICATION_MAX_LISTED 1000

/** @returns how many of \p r's assets a notification lists. */
static inline size_t am_notification_listed(const am_match_result_t *r) {
    return r->n_hits < AM_NOTIFICATION_MAX_LISTED ? r->n_hits
                                                   : AM_NOTIFICATION_MAX_LISTED;
}

/**
 * @brief Starts loading the inventory strings the notifications of \p n
 *        results will carry (tenant, asset ids and values): at 1M assets
 *        each is a miss of the cache, and the encoders would meet them one
 *        after the other.
 */
void am_notification_prefetch(const am_inventory_t *inv,
                              const am_match_result_t *res, size_t n);

/* "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx" and its NUL. */
#define AM_UUID_STRLEN 37

/* Where the event was read from; NULL for offline runs. */
typedef struct am_origin_s {
    const char *topic;
    int32_t partition;
    int64_t offset;
} am_origin_t;

/* One notification: borrowed pointers, valid while the caller holds them. */
typedef struct am_notification_s {
    const am_inventory_t *inv;
    const am_event_t *ev;
    const am_match_result_t *result;
    const am_origin_t *origin; /* may be NULL */
    const char *match_time;    /* RFC 3339 UTC; may be NULL */
    const am_classify_t *cl;   /* advice texts; may be NULL (no advice) */
    const char *id;            /* the notification id, or NULL: the
                                * encoder computes it */
    bool retroactive;          /* an asset added (or verified) later was
                                * matched against the window of recent
                                * indicators (window.h), not a live match */
} am_notification_t;

/**
 * @brief Writes UUIDv5(\p ns, \p n bytes of \p name) as text into \p out.
 * @returns 0, or -1 when \p ns is not a UUID or out of memory.
 */
int am_uuid5(const char *ns, const void *name, size_t n,
             char out[AM_UUID_STRLEN]);

/** @brief Writes the notification id of (\p tenant_id, \p event_id).
 *  @returns 0, or -1 when out of memory. */
int am_notification_id(const char *tenant_id, const char *event_id,
                        char out[AM_UUID_STRLEN]);

/** @returns \p nt's id: nt->id, or else computed into \p buf; NULL when
 *           out of memory. */
const char *am_notification_id_of(const am_notification_t *nt,
                                  char buf[AM_UUID_STRLEN]);

/** @brief Writes the current UTC time as "2026-11-27T22:05:00Z". */
void am_notification_now(char out[32]);

#endif
