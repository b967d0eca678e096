/*
 * domain_table: exact and parent-domain look-ups over a compiled, immutable
 * set of canonical domain names (see domain.h), by hashing label suffixes.
 *
 * For an observed name "a.b.example.com" the table is asked, in one pass
 * over the name, for each of its label suffixes:
 *
 *     a.b.example.com   b.example.com   example.com   com
 *     (exact)           (parents, longest first ------------>)
 *
 * Built in bulk, then read-only: safe from any number of threads.
 *
 * Layout (details in domain_table.c): a power-of-two array of 16-byte slots
 * (64-bit hash, entry's place in the arena, length), at most half of them
 * used, and one arena holding each entry's value and name.  About 51 MB for
 * 1M registrable names; a look-up reads one slot per suffix (all fetched at
 * once) and the arena once per hit, to compare the name itself.
 */
#ifndef AM_DOMAIN_TABLE_H
#define AM_DOMAIN_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct am_domain_table_s am_domain_table_t;

/* One name for am_domain_table_build(). */
typedef struct am_domain_entry_s {
    const char *name; /* canonical form (am_domain_normalize()) */
    size_t len;
    uint32_t value;   /* the caller's value for it */
} am_domain_entry_t;

/* One hit of am_domain_table_suffixes(). */
typedef struct am_domain_hit_s {
    uint32_t value;  /* the value of the matching table entry */
    uint16_t offset; /* where the matched suffix starts in the observed
                      * name: 0 for an exact match */
    uint16_t labels; /* the number of labels of the matched entry */
} am_domain_hit_t;

/* A name has at most 127 labels, so at most this many hits. */
#define AM_DOMAIN_TABLE_MAX_HITS 128

/**
 * @brief Builds a table from \p n entries; the names are copied.
 * @returns a new table (free with am_domain_table_destroy()), or NULL with a
 *          reason in \p err: out of memory, or the same name twice.
 */
am_domain_table_t *am_domain_table_build(const am_domain_entry_t *entries,
                                         size_t n, char *err,
                                         size_t err_size);

/** @brief Frees \p dt; NULL is a no-op. */
void am_domain_table_destroy(am_domain_table_t *dt);

/** @returns the number of names in the table. */
size_t am_domain_table_count(const am_domain_table_t *dt);

/** @returns the bytes the table occupies. */
size_t am_domain_table_memory(const am_domain_table_t *dt);

/**
 * @brief Exact look-up of a canonical name.
 * @returns true and the value in \p value when the name is in the table.
 */
bool am_domain_table_find(const am_domain_table_t *dt, const char *name,
                          size_t len, uint32_t *value);

/**
 * @brief The canonical \p name itself and each of its parent domains that is
 *        in the table, longest first, into \p hits (room for
 *        AM_DOMAIN_TABLE_MAX_HITS).  Only whole labels match: a table entry
 *        "example.com" is a parent of "www.example.com", not of
 *        "notexample.com".  An empty name or one longer than AM_DOMAIN_MAX
 *        has no hits.
 * @returns the number of hits.
 */
size_t am_domain_table_suffixes(const am_domain_table_t *dt, const char *name,
                                size_t len, am_domain_hit_t *hits);

/** @brief Starts loading the slots am_domain_table_suffixes() of \p name
 *         reads, for a caller with other work to do meanwhile. */
void am_domain_table_prefetch(const am_domain_table_t *dt, const char *name,
                              size_t len);

/* Names looked up together by am_domain_table_suffixes_bulk(). */
#define AM_DOMAIN_TABLE_BULK 16

/**
 * @brief am_domain_table_suffixes() of \p n names at once (any n), with
 *        their memory accesses overlapped: what a batch of events costs.
 *        The hits of name i are hits[i * AM_DOMAIN_TABLE_MAX_HITS ...] and
 *        number counts[i].
 */
void am_domain_table_suffixes_bulk(const am_domain_table_t *dt,
                                   const char *const *names,
                                   const size_t *lens, size_t n,
                                   am_domain_hit_t *hits, size_t *counts);

#endif
