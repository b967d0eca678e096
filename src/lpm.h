/*
 * lpm: a compiled, immutable longest-prefix-match table for IPv4 or IPv6.
 *
 * One implementation serves both widths.  The table is built in bulk from
 * an unsorted array of unique prefixes, each carrying a caller value (the
 * inventory uses it as the index of the prefix's owner list), and is never
 * modified afterwards: a changed inventory builds a new table.  That makes
 * it safe to read from any number of threads without locks.
 *
 * Besides the longest match, every prefix keeps a link to the next shorter
 * prefix of the table that covers it, so "all covering prefixes, longest
 * first" costs one look-up plus one step per covering prefix.
 *
 * (The layout and its diagram are described in lpm.c.)
 */
#ifndef AM_LPM_H
#define AM_LPM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ipaddr.h"

typedef struct am_lpm_s am_lpm_t;

/* One prefix for am_lpm_build() and the caller's value for it. */
typedef struct am_lpm_entry_s {
    am_prefix_t prefix; /* host bits clear; family of the table */
    uint32_t value;     /* anything but AM_LPM_NONE */
} am_lpm_entry_t;

#define AM_LPM_NONE UINT32_MAX

/**
 * @brief Builds a table of \p family (AM_IPADDR_V4 or AM_IPADDR_V6) from
 *        \p n entries, in any order.  The entries are copied.
 *
 * @returns a new table (free with am_lpm_destroy()), or NULL with a reason
 *          in \p err: out of memory, a prefix of the other family, host bits
 *          set, or the same prefix twice.
 */
am_lpm_t *am_lpm_build(int family, const am_lpm_entry_t *entries, size_t n,
                       char *err, size_t err_size);

/** @brief Frees \p lpm; NULL is a no-op. */
void am_lpm_destroy(am_lpm_t *lpm);

/** @returns the number of prefixes in the table. */
size_t am_lpm_count(const am_lpm_t *lpm);

/** @returns the bytes the compiled table occupies. */
size_t am_lpm_memory(const am_lpm_t *lpm);

/**
 * @brief Longest-prefix match of one IPv4 address given in host byte order
 *        (192.0.2.1 is 0xc0000201).  Only for an AM_IPADDR_V4 table.
 * @returns the value of the longest prefix containing \p addr, or
 *          AM_LPM_NONE.
 */
uint32_t am_lpm_lookup4(const am_lpm_t *lpm, uint32_t addr);

/**
 * @brief Longest-prefix match of \p n IPv4 addresses (host byte order) at
 *        once, interleaved so that their memory accesses overlap.
 *        values[i] receives what am_lpm_lookup4(addrs[i]) would return.
 */
void am_lpm_lookup4_bulk(const am_lpm_t *lpm, const uint32_t *addrs,
                         uint32_t *values, size_t n);

/**
 * @brief Longest-prefix match of one address of the table's family, as the
 *        16-byte network-order key of am_prefix_t (v4 in the first 4 bytes).
 * @returns the value of the longest prefix containing it, or AM_LPM_NONE.
 */
uint32_t am_lpm_lookup(const am_lpm_t *lpm, const uint8_t addr[16]);

/**
 * @brief All prefixes that contain the whole of \p p (an address is a host
 *        prefix), longest first, the longest being p itself if present.
 *
 * Writes up to \p max values into \p values.
 * @returns how many there are (which may exceed \p max).
 */
size_t am_lpm_covering(const am_lpm_t *lpm, const am_prefix_t *p,
                       uint32_t *values, size_t max);

/**
 * @brief Starts loading the top-table entries am_lpm_covering() and
 *        am_lpm_overlapping() of \p p read first, so that a caller with
 *        other work to do meanwhile does not wait for them.
 */
void am_lpm_prefetch(const am_lpm_t *lpm, const am_prefix_t *p);

/* Called by am_lpm_overlapping() for each prefix; returning non-zero stops. */
typedef int(am_lpm_visit_cb)(uint32_t value, const am_prefix_t *prefix,
                             void *opaque);

/**
 * @brief Visits every prefix that overlaps \p range: first those that contain
 *        it (longest first, as am_lpm_covering()), then those inside it that
 *        are longer than it, in address order.
 * @returns the number of prefixes visited.
 */
size_t am_lpm_overlapping(const am_lpm_t *lpm, const am_prefix_t *range,
                          am_lpm_visit_cb *cb, void *opaque);

#endif
