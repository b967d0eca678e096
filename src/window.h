/*
 * window: the bounded window of recent indicators, so that an asset added
 * to the inventory (or newly verified) can be matched against the threats
 * already seen, not only against the next ones (retroactive
 * notifications, issue 5).
 *
 * Every indicator event the service matched is copied in, packed (its
 * numbers, observables and strings, no pointers: bench_live's 1M
 * indicators take 243 MB, as flat am_event_t copies 522), with the
 * version of the matcher that saw it; a look-up hands out flat copies.
 * Entries live in a ring in arrival order and leave it when they are
 * older than max_age, when their valid_until passed, or, oldest first,
 * when the window's accounted bytes exceed max_bytes.
 *
 * The index is a log of postings in arrival order, one per key of each
 * observable (a 64-bit hash of the key, the entry's sequence number and
 * the observable):
 *
 *     key                              of
 *     'D' "www.shop.example.com"       a name, and one key per label
 *     'D' "shop.example.com"             suffix of it
 *     'D' "example.com"
 *     '4' 192.0                        addresses and ranges of /16 and
 *     '6' 2001:0db8                      longer (v6: /32 and longer)
 *     'w' 4 / 'w' 6                    ranges shorter than that
 *     'A' 64500                        AS numbers
 *
 * An add appends to the log (no table to probe or grow: adds happen for
 * every indicator, look-ups once per inventory change).  A look-up tables
 * the keys its probes want and reads the log once: a domain asset wants
 * its own name (which also finds every name below it, checked against
 * include_subdomains); an ip asset of /16 or longer its /16 bucket and the
 * short ranges, a shorter one every /16 bucket it spans (IPv6: /32;
 * shorter v6 assets scan the entries); an AS number its key.  Keywords
 * scan the stored names (brand names occur anywhere in a name, no key
 * leads to them).  The log's head follows the oldest entry held;
 * postings of entries that left out of order stay until it passes them.
 *
 * Thread safety: every function takes the window's own mutex, so the
 * service thread adds while the rebuild thread looks up.  A look-up lets
 * go of it every 4096 elements it reads until the adds waiting have had
 * it, so that they wait for a step, not for the look-up.  A look-up
 * returns copies, so nothing it hands out is freed under the caller.
 */
#ifndef AM_WINDOW_H
#define AM_WINDOW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "event.h"
#include "inventory.h"
#include "notification.h"

typedef struct am_window_s am_window_t;

typedef struct am_window_opts_s {
    int64_t max_age_s; /* seconds an indicator is kept at most */
    size_t max_bytes;  /* accounted bytes (events and index) at most */
} am_window_opts_t;

/* What an asset looks like to the window: am_window_probe_from_asset(). */
typedef struct am_window_probe_s {
    uint8_t kind;          /* am_asset_kind_t */
    bool include_subdomains;
    am_prefix_t prefix;    /* AM_ASSET_IP */
    uint32_t asn;          /* AM_ASSET_ASN */
    const char *value;     /* canonical domain or keyword (borrowed) */
    size_t value_len;
} am_window_probe_t;

/* One entry found: a copy of the event, owned by the hit list. */
typedef struct am_window_hit_s {
    uint64_t seq;       /* the entry's sequence number (arrival order) */
    uint64_t version;   /* the matcher version that saw the event */
    am_event_t *ev;     /* flat copy; freed by am_window_hits_free() */
    am_origin_t origin; /* where it came from; topic points into ev */
} am_window_hit_t;

typedef struct am_window_hits_s {
    am_window_hit_t *v;
    size_t n, cap;
} am_window_hits_t;

/** @returns a new, empty window (free with am_window_destroy()), or NULL
 *           when out of memory. */
am_window_t *am_window_new(const am_window_opts_t *opts);

/** @brief Frees \p w and every entry; NULL is a no-op. */
void am_window_destroy(am_window_t *w);

/**
 * @brief Keeps a copy of \p ev, seen at \p now (Unix seconds) by matcher
 *        \p version, coming from \p origin (may be NULL).  Only indicators
 *        with at least one observable are kept, and only when they are not
 *        expired yet (valid_until, and max_age counted from their time
 *        field when that is in the past, else from \p now).
 * @returns 0 when kept, 1 when not kept, -1 when out of memory (the
 *          window is unchanged).
 * @locality any thread.
 */
int am_window_add(am_window_t *w, const am_event_t *ev,
                  const am_origin_t *origin, uint64_t version, int64_t now);

/**
 * @brief am_window_add() of \p n events (\p evs[i] from \p origins[i]),
 *        taking the window's mutex once: a matching lane adds a chunk's
 *        indicators at a time.
 * @returns how many were kept; any not kept for want of memory leave the
 *          window unchanged.
 * @locality any thread.
 */
size_t am_window_add_all(am_window_t *w, const am_event_t *const *evs,
                         const am_origin_t *origins, size_t n,
                         uint64_t version, int64_t now);

/** Entries am_window_expire() visits a call. */
#define AM_WINDOW_EXPIRE_STEP 65536

/**
 * @brief Drops the entries expired at \p now among the next
 *        AM_WINDOW_EXPIRE_STEP it visits (all of a smaller window; a larger
 *        one over successive calls, going round from the oldest entry to
 *        the newest) and, oldest first, those over the byte cap.  Adding
 *        enforces the cap too; this is for the passing of time (call it
 *        every second or so).  Look-ups never find an expired entry, kept
 *        or not.
 * @locality any thread.
 */
void am_window_expire(am_window_t *w, int64_t now);

/**
 * @brief Finds the live entries (not expired at \p now) seen by a matcher
 *        older than \p below_version that any of the \p n probes matches,
 *        with the semantics of matcher.h (ip: the ranges overlap; domain:
 *        equal, or below it with include_subdomains; keyword: inside an
 *        observed name; asn: equal).  Unverified is not the window's
 *        business: the caller probes only assets that may match.
 *
 * Each entry is appended to \p out once, in arrival order.
 * @returns the number of entries appended, or -1 when out of memory
 *          (\p out then holds what was appended before).
 * @locality any thread.
 */
int am_window_find(am_window_t *w, const am_window_probe_t *probes, size_t n,
                   uint64_t below_version, int64_t now,
                   am_window_hits_t *out);

/** @brief Frees the copies in \p hits and empties it. */
void am_window_hits_free(am_window_hits_t *hits);

/**
 * @brief Fills \p probe for asset \p a of \p inv (borrowing its value,
 *        valid while \p inv is unchanged).
 */
void am_window_probe_from_asset(am_window_probe_t *probe,
                                const am_inventory_t *inv,
                                const am_asset_t *a);

/** @returns the entries held. */
size_t am_window_count(am_window_t *w);

/** @returns the bytes accounted against max_bytes (events, their postings
 *           and ring slots). */
size_t am_window_bytes(am_window_t *w);

/** @returns the bytes allocated, index and dead postings included. */
size_t am_window_memory(am_window_t *w);

/**
 * @brief A flat copy of \p ev in one block (free() frees it all), whose
 *        origin topic is \p topic (may be NULL).  *bytes receives its size.
 * @returns the copy, or NULL when out of memory.
 */
am_event_t *am_window_event_copy(const am_event_t *ev, const char *topic,
                                 const char **topic_copy, size_t *bytes);

#endif
