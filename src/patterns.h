/*
 * patterns: one Hyperscan database for all keyword assets.
 *
 * Keywords are caseless literals.  The caller passes each distinct keyword
 * once (identical keywords of several tenants compile once) and the match id
 * handed back by a scan is the keyword's index in the build array, which the
 * caller maps to the owners.  The database is immutable and shared by all
 * threads; each thread scans with its own scratch (Hyperscan requires one
 * per concurrent caller).
 */
#ifndef AM_PATTERNS_H
#define AM_PATTERNS_H

#include <stddef.h>
#include <stdint.h>

typedef struct am_patterns_s am_patterns_t;
typedef struct am_patterns_scratch_s am_patterns_scratch_t;

/**
 * @brief Compiles \p n keywords (\p words[i] of \p lens[i] bytes, any bytes,
 *        matched caselessly).  n may be 0: the set then matches nothing.
 * @returns a new set (free with am_patterns_destroy()), or NULL with
 *          Hyperscan's reason and the offending keyword in \p err.
 */
am_patterns_t *am_patterns_build(const char *const *words, const size_t *lens,
                                 size_t n, char *err, size_t err_size);

/** @brief Frees \p pt; NULL is a no-op. */
void am_patterns_destroy(am_patterns_t *pt);

/** @returns the number of keywords. */
size_t am_patterns_count(const am_patterns_t *pt);

/** @returns the bytes of the compiled database. */
size_t am_patterns_memory(const am_patterns_t *pt);

/**
 * @brief Makes \p *scratch fit \p pt, allocating it when NULL or growing it
 *        for a database it was not made for.  One scratch per thread.
 * @returns 0, or -1 when out of memory.
 */
int am_patterns_scratch_ensure(const am_patterns_t *pt,
                               am_patterns_scratch_t **scratch);

/** @brief Frees \p scratch; NULL is a no-op. */
void am_patterns_scratch_destroy(am_patterns_scratch_t *scratch);

/* Called once per distinct keyword found; non-zero stops the scan. */
typedef int(am_patterns_cb)(uint32_t id, void *opaque);

/**
 * @brief Scans \p len bytes of \p text and calls \p cb once for each keyword
 *        that occurs in it.
 * @returns 0, or 1 when \p cb stopped the scan.
 */
int am_patterns_scan(const am_patterns_t *pt, am_patterns_scratch_t *scratch,
                     const char *text, size_t len, am_patterns_cb *cb,
                     void *opaque);

#endif
