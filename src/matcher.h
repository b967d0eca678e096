/*
 * matcher: an event against the whole inventory, with the semantics of
 * DESIGN.md ("Matching semantics"): one result per tenant that has at least
 * one matching asset, naming its most specific asset and listing all of
 * them.
 *
 * The matcher is compiled from an inventory in bulk: assets with the same
 * key (prefix, domain, keyword, AS number) are grouped, each structure maps
 * a key to its group, and a group leads to its owner assets:
 *
 *     lpm4/lpm6 --prefix--+
 *     domain_table -name--+--> group g --> owners[off[g] .. off[g+1])
 *     patterns --keyword--+                  (asset indexes, any tenants)
 *     asn_table --number--+
 *
 * A compiled matcher is immutable and used from any number of threads at
 * once; each thread brings its own am_match_ctx_t (Hyperscan scratch and
 * result buffers).  It borrows the inventory, which must not change or go
 * away while the matcher lives.
 *
 * Specificity, highest first (DESIGN.md leaves the order between kinds of
 * observable open; this is ours):
 *
 *     5  exact: the observed address or range equals an ip asset, or the
 *        observed name equals a domain asset
 *     4  ip range that contains or overlaps the observation; longer first
 *     3  parent domain (include_subdomains); more labels first
 *     2  AS number
 *     1  keyword; longer first
 *
 * Ties go to the earlier observable of the event, then to the asset loaded
 * first.
 */
#ifndef AM_MATCHER_H
#define AM_MATCHER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "event.h"
#include "inventory.h"

typedef struct am_matcher_s am_matcher_t;
typedef struct am_match_ctx_s am_match_ctx_t;

typedef enum am_match_kind_e {
    AM_MATCH_IP_EXACT,
    AM_MATCH_IP_COVER,   /* the asset range contains the observation */
    AM_MATCH_IP_OVERLAP, /* the asset lies inside the observed range */
    AM_MATCH_DOMAIN_EXACT,
    AM_MATCH_DOMAIN_PARENT,
    AM_MATCH_ASN,
    AM_MATCH_KEYWORD,
} am_match_kind_t;

typedef struct am_matcher_opts_s {
    bool include_unverified; /* let unverified assets match too */
    bool own_inventory;      /* the matcher frees the inventory with itself
                              * (a snapshot made for it, see
                              * am_inventory_snapshot()) */
} am_matcher_opts_t;

/* One matched asset. */
typedef struct am_match_hit_s {
    uint32_t asset; /* index in the inventory */
    uint16_t obs;   /* index of the observable in the event */
    uint8_t kind;   /* am_match_kind_t */
    uint16_t rank;  /* specificity: class << 8 | detail; higher wins */
    uint32_t tenant; /* the asset's (set once the hits are grouped) */
} am_match_hit_t;

/* The result for one tenant: hits[0] is its most specific asset. */
typedef struct am_match_result_s {
    uint32_t tenant;
    const am_match_hit_t *hits; /* one per matched asset, best first */
    size_t n_hits;
} am_match_result_t;

/**
 * @brief Compiles \p inv (borrowed and must outlive the matcher, or owned
 *        with opts->own_inventory, even when the build fails).
 * @returns a new matcher (free with am_matcher_destroy()), or NULL with a
 *          reason in \p err.
 */
am_matcher_t *am_matcher_build(const am_inventory_t *inv,
                               const am_matcher_opts_t *opts, char *err,
                               size_t err_size);

/** @brief Frees \p m; NULL is a no-op. */
void am_matcher_destroy(am_matcher_t *m);

/** @returns the inventory \p m was built from (borrowed). */
const am_inventory_t *am_matcher_inventory(const am_matcher_t *m);

/** @returns the bytes of the compiled structures (not the inventory). */
size_t am_matcher_memory(const am_matcher_t *m);

/** @returns a new per-thread context, or NULL when out of memory. */
am_match_ctx_t *am_match_ctx_new(void);

/** @brief Frees \p ctx; NULL is a no-op. */
void am_match_ctx_destroy(am_match_ctx_t *ctx);

/**
 * @brief Starts loading the first tables am_matcher_match() of \p ev will
 *        read (the top entries of the address tables, the name table's
 *        slots): at 1M assets each is a miss of the cache.  Call it some
 *        work ahead of the match, e.g. before decoding the next message.
 */
void am_matcher_prefetch(const am_matcher_t *m, const am_event_t *ev);

/**
 * @brief Matches \p ev.  *results points at one result per matching tenant,
 *        in tenant order, valid until the next call with \p ctx.
 * @returns the number of results, or -1 when out of memory.
 * @locality any thread, with a \p ctx of its own.
 */
int am_matcher_match(const am_matcher_t *m, am_match_ctx_t *ctx,
                     const am_event_t *ev,
                     const am_match_result_t **results);

/** @returns "ip_exact", "ip_cover", "ip_overlap", "domain_exact",
 *           "domain_parent", "asn" or "keyword". */
const char *am_match_kind_name(am_match_kind_t kind);

#endif
