/*
 * live: the live inventory and the matcher swap (issue 5).
 *
 * The assets topic changes the inventory while events are being matched.
 * live owns the one mutable am_inventory_t; changes are gathered, and a
 * background thread builds a new matcher from a compact snapshot of it
 * (am_inventory_snapshot(), owned by the matcher) and publishes it with one
 * atomic store.  Readers never wait and never see a half-built matcher:
 *
 *   assets thread      am_live_upsert/remove --+ (mutex: inventory, pending)
 *                                              v
 *   build thread   wait interval_ms or max_changes, snapshot, build,
 *                  publish gen N+1, wait until no reader holds gen <= N,
 *                  free gen N, call on_swap (retroactive matching)
 *                                              |
 *   readers (the service thread, later workers)  v
 *       g = acquire(slot)  --  match a batch with g  --  release(slot)
 *
 * Each reader has a slot holding the version it uses (0: none).  acquire
 * announces the published version number in its slot before it loads the
 * generation pointer; the builder swaps the pointer before it reads the
 * slots, so it either sees the announcement or the reader loads the new
 * generation (sequentially consistent atomics on both sides).  The read
 * path is two atomic loads and a store, without locks.
 *
 * An asset that becomes able to match (added, changed, or verified, under
 * the match.include_unverified policy) is handed to on_swap once the
 * version holding it is the only one in use: every event matched by an
 * older version is then in the window (window.h), tagged with that older
 * version, so that retroactive matching misses none and repeats none.
 */
#ifndef AM_LIVE_H
#define AM_LIVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "inventory.h"
#include "matcher.h"
#include "metrics.h"
#include "window.h"

typedef struct am_live_s am_live_t;

/* An asset that became able to match: its identity and its probe for the
 * window (all owned by live, valid during on_swap). */
typedef struct am_live_added_s {
    char *tenant_id;
    char *asset_id;
    char *value;
    am_window_probe_t probe; /* value points at the field above */
} am_live_added_t;

/**
 * Called on the build thread after version \p version (matcher \p m,
 * borrowed for the call) became the only one in use, with the assets that
 * became able to match in it.
 */
typedef void(am_live_swap_cb)(void *opaque, const am_matcher_t *m,
                              uint64_t version, const am_live_added_t *added,
                              size_t n);

typedef struct am_live_opts_s {
    bool include_unverified;
    long rebuild_interval_ms;   /* gather changes this long at most */
    size_t rebuild_max_changes; /* or until this many */
    size_t readers;             /* reader slots (threads matching) */
    am_live_swap_cb *on_swap;   /* may be NULL */
    void *opaque;
    am_metrics_t *metrics;      /* may be NULL (borrowed) */
} am_live_opts_t;

/**
 * @brief Builds version 1 from \p inv (taken, even on failure) and starts
 *        the build thread.
 * @returns the live inventory (free with am_live_destroy()), or NULL with a
 *          reason in \p err.
 */
am_live_t *am_live_new(am_inventory_t *inv, const am_live_opts_t *opts,
                       char *err, size_t err_size);

/** @brief Stops the build thread and frees everything; no reader may hold
 *         a matcher.  NULL is a no-op. */
void am_live_destroy(am_live_t *live);

/**
 * @brief Adds or replaces an asset (a record of the assets topic, written
 *        at \p ts_ms, Unix milliseconds, for the change-to-effect time).
 * @returns 0, or -1 with a reason in \p err (nothing changed).
 * @locality any thread (one writer at a time is the normal case).
 */
int am_live_upsert(am_live_t *live, const am_asset_input_t *in,
                   int64_t ts_ms, char *err, size_t err_size);

/**
 * @brief Removes an asset (a tombstone).
 * @returns 0 when removed, 1 when there was no such asset.
 */
int am_live_remove(am_live_t *live, const char *tenant_id,
                   size_t tenant_id_len, const char *asset_id,
                   size_t asset_id_len, int64_t ts_ms);

/**
 * @brief Builds now if anything changed, and waits until every change made
 *        before the call is in the published matcher (catch-up, tests).
 * @returns 0, or -1 when the build failed.
 */
int am_live_sync(am_live_t *live);

/**
 * @brief The current matcher, held for reader \p slot (< opts.readers)
 *        until am_live_release(); *version receives its version.
 * @returns the matcher (borrowed until the release).
 * @locality the thread that owns \p slot; lock-free.
 */
const am_matcher_t *am_live_acquire(am_live_t *live, size_t slot,
                                    uint64_t *version);

/** @brief Ends the hold of \p slot. */
void am_live_release(am_live_t *live, size_t slot);

/** @returns the version published last. */
uint64_t am_live_version(am_live_t *live);

/** @returns milliseconds since the epoch (CLOCK_REALTIME). */
int64_t am_live_now_ms(void);

#endif
