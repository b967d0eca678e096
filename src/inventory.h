/*
 * inventory: the tenants' registered assets, as loaded and validated from a
 * file (and, later, from the assets topic).  The inventory is the source of
 * truth; the matcher (matcher.h) is compiled from it.
 *
 * Storage is compact because there are a million records: every string
 * (tenant ids, asset ids, canonical values) lives in one arena addressed by
 * 32-bit offsets, tenants are interned to a dense index, and an asset is a
 * fixed-size record:
 *
 *     assets[i] --tenant--> tenants[t] --> "acme"
 *               --asset_id/value--> strings arena
 *               --prefix / asn--> parsed value, for ip / asn kinds
 *
 * Values are stored canonical: an address range as it prints, a domain in
 * the form of am_domain_normalize(), a keyword in lower case, an AS number
 * as digits.  (tenant, asset_id) is unique.
 */
#ifndef AM_INVENTORY_H
#define AM_INVENTORY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "ipaddr.h"

typedef enum am_asset_kind_e {
    AM_ASSET_IP = 1,
    AM_ASSET_DOMAIN,
    AM_ASSET_KEYWORD,
    AM_ASSET_ASN,
} am_asset_kind_t;

typedef struct am_asset_s {
    uint32_t tenant;   /* index of the tenant (am_inventory_tenant()) */
    uint32_t asset_id; /* arena offset of the asset id */
    uint32_t value;    /* arena offset of the canonical value */
    uint8_t kind;      /* am_asset_kind_t */
    bool include_subdomains;
    bool verified;
    uint8_t value_len; /* bytes of the canonical value (all are < 256) */
    bool deleted;      /* removed; its index stays unused */
    union {
        am_prefix_t prefix; /* AM_ASSET_IP */
        uint32_t asn;       /* AM_ASSET_ASN */
    } u;
} am_asset_t;

typedef struct am_inventory_s am_inventory_t;

/* What am_inventory_load_file() should do and what it found. */
typedef struct am_inventory_load_opts_s {
    bool skip_bad;     /* skip bad records (counted) instead of failing */
    size_t max_errors; /* errors printed before "... and N more" */
    bool progress;     /* progress on stderr (callers pass isatty(2)) */
    FILE *errors;      /* where errors are printed (stderr), or NULL */
} am_inventory_load_opts_t;

typedef struct am_inventory_load_stats_s {
    size_t records;    /* records read, good or bad */
    size_t loaded;     /* records added */
    size_t bad;        /* records rejected */
} am_inventory_load_stats_t;

/** @returns a new, empty inventory (free with am_inventory_destroy()), or
 *           NULL when out of memory. */
am_inventory_t *am_inventory_new(void);

/** @brief Frees \p inv; NULL is a no-op. */
void am_inventory_destroy(am_inventory_t *inv);

typedef struct am_asset_input_s {
    const char *tenant_id;
    size_t tenant_id_len;
    const char *asset_id;
    size_t asset_id_len;
    const char *kind;
    size_t kind_len;
    const char *value;
    size_t value_len;
    const char *include_subdomains; /* may be NULL */
    size_t include_subdomains_len;
    const char *verified; /* may be NULL */
    size_t verified_len;
} am_asset_input_t;

/**
 * @brief Validates one record and adds it.  Text fields need not be
 *        NUL-terminated; \p include_subdomains and \p verified take
 *        "true/false/1/0/yes/no" (any case), or NULL/empty for the default
 *        (true).
 *
 * @returns 0, or -1 with a reason in \p err that names the field
 *          ("field 'value': host bits set (network is 192.0.2.0/24)",
 *          "field 'asset_id': duplicate asset_id 'a1' for tenant 't1'").
 */
int am_inventory_add(am_inventory_t *inv, const am_asset_input_t *in,
                     char *err, size_t err_size);

/* What am_inventory_upsert() did. */
typedef enum am_inventory_change_e {
    AM_INVENTORY_ADDED,
    AM_INVENTORY_UPDATED,   /* kind, value or a flag changed */
    AM_INVENTORY_UNCHANGED, /* the same record again */
} am_inventory_change_t;

/**
 * @brief Adds the record, or replaces the one with the same (tenant_id,
 *        asset_id): what the assets topic does.  \p change and \p asset
 *        (either may be NULL) receive what happened and the asset's index.
 * @returns 0, or -1 with a reason naming the field in \p err (the
 *          inventory is then unchanged).
 */
int am_inventory_upsert(am_inventory_t *inv, const am_asset_input_t *in,
                        am_inventory_change_t *change, uint32_t *asset,
                        char *err, size_t err_size);

/**
 * @brief Removes the asset (tenant_id, asset_id) (a tombstone on the assets
 *        topic).  Its index is not reused.
 * @returns 0 when it was removed, 1 when there was no such asset.
 */
int am_inventory_remove(am_inventory_t *inv, const char *tenant_id,
                        size_t tenant_id_len, const char *asset_id,
                        size_t asset_id_len);

/**
 * @brief A compact, read-only copy of the live assets of \p inv (indexes
 *        renumbered, removed assets and replaced strings left behind), for a
 *        matcher to own while \p inv goes on changing.
 * @returns the copy (free with am_inventory_destroy()), or NULL when out
 *          of memory.
 */
am_inventory_t *am_inventory_snapshot(const am_inventory_t *inv);

/**
 * @brief Loads a CSV (header row naming the columns) or JSON-lines file.
 *        The format is taken from the first non-blank byte: '{' is JSON
 *        lines, anything else CSV.
 *
 * Every error is printed to opts->errors as "FILE:LINE: field 'F': what".
 * @returns 0 when every record loaded (or opts->skip_bad), -1 otherwise or
 *          when the file cannot be read (reason in \p err).
 */
int am_inventory_load_file(am_inventory_t *inv, const char *path,
                           const am_inventory_load_opts_t *opts,
                           am_inventory_load_stats_t *stats, char *err,
                           size_t err_size);

/** @returns the number of assets (removed ones not counted). */
size_t am_inventory_count(const am_inventory_t *inv);

/** @returns one past the highest asset index: iterate 0..slots and skip
 *           the assets marked deleted. */
size_t am_inventory_slots(const am_inventory_t *inv);

/** @returns the number of assets of \p kind. */
size_t am_inventory_count_kind(const am_inventory_t *inv,
                               am_asset_kind_t kind);

/** @returns the number of tenants. */
size_t am_inventory_tenant_count(const am_inventory_t *inv);

/** @returns asset \p i (borrowed, valid until the inventory changes). */
const am_asset_t *am_inventory_asset(const am_inventory_t *inv, size_t i);

/** @returns the NUL-terminated string at arena offset \p off (borrowed). */
const char *am_inventory_str(const am_inventory_t *inv, uint32_t off);

/** @returns the id of tenant \p t (borrowed). */
const char *am_inventory_tenant(const am_inventory_t *inv, uint32_t t);

/** @returns "ip", "domain", "keyword" or "asn". */
const char *am_asset_kind_name(am_asset_kind_t kind);

/** @returns the bytes the inventory occupies. */
size_t am_inventory_memory(const am_inventory_t *inv);

#endif
