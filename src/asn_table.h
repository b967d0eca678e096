/*
 * asn_table: an immutable map from AS numbers to the caller's values, for the
 * `asn` assets.  Built in bulk; read-only afterwards.
 */
#ifndef AM_ASN_TABLE_H
#define AM_ASN_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct am_asn_table_s am_asn_table_t;

typedef struct am_asn_entry_s {
    uint32_t asn;
    uint32_t value;
} am_asn_entry_t;

/**
 * @brief Parses an AS number: "64500", "AS64500", "as64500" (32-bit,
 *        asdot "1.10" as well).
 * @returns 0 with the number in \p asn, or -1 with a reason in \p err.
 */
int am_asn_parse(const char *s, size_t n, uint32_t *asn, char *err,
                 size_t err_size);

/**
 * @brief Builds a table from \p n entries with distinct AS numbers and
 *        values below UINT32_MAX; the entries are copied, and \p entries
 *        may be NULL when \p n is 0.
 * @returns a new table (free with am_asn_table_destroy()) or NULL with a
 *          reason in \p err (out of memory, a number twice, a value of
 *          UINT32_MAX).
 */
am_asn_table_t *am_asn_table_build(const am_asn_entry_t *entries, size_t n,
                                   char *err, size_t err_size);

/** @brief Frees \p at; NULL is a no-op. */
void am_asn_table_destroy(am_asn_table_t *at);

/** @returns true and the value in \p value when \p asn is in the table. */
bool am_asn_table_find(const am_asn_table_t *at, uint32_t asn,
                       uint32_t *value);

/** @brief Starts reading what am_asn_table_find() of \p asn reads first. */
void am_asn_table_prefetch(const am_asn_table_t *at, uint32_t asn);

/** @returns the number of entries. */
size_t am_asn_table_count(const am_asn_table_t *at);

/** @returns the bytes \p at takes. */
size_t am_asn_table_memory(const am_asn_table_t *at);

#endif
