/*
 * arena: a bump allocator for the short-lived strings of one decoded event.
 * Decoding allocates dozens of small strings per message; an arena makes
 * that one pointer bump each and frees them all at once on reset, keeping
 * its first chunk so that a steady stream allocates nothing.  The bump is
 * inline: a call for each of an event's ~10 strings cost a fifth of the
 * copying (decode_frames under callgrind, bench/README.md).
 */
#ifndef AM_ARENA_H
#define AM_ARENA_H

#include <stdalign.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

typedef struct am_arena_chunk_s am_arena_chunk_t;

typedef struct am_arena_s {
    am_arena_chunk_t *head; /* newest chunk first */
    char *cur, *end;        /* free room in head; NULL: no chunk */
} am_arena_t;

/** @brief Initialises an empty arena (no allocation until first use). */
void am_arena_init(am_arena_t *a);

/** @brief Frees everything but the first chunk, for reuse. */
void am_arena_reset(am_arena_t *a);

/** @brief Frees all memory of \p a. */
void am_arena_free(am_arena_t *a);

/* The slow path of the two below: a new chunk (its data aligned for any
 * type) with \p size bytes of it taken.  Internal. */
void *am_arena_grow(am_arena_t *a, size_t size);

/** @returns \p size bytes aligned for any type, or NULL when out of memory.
 *          Valid until the next reset or free. */
static inline void *am_arena_alloc(am_arena_t *a, size_t size) {
    const uintptr_t align = alignof(max_align_t);
    char *p = (char *)(((uintptr_t)a->cur + align - 1) & ~(align - 1));

    if (a->cur && p <= a->end && size <= (size_t)(a->end - p)) {
        a->cur = p + size;
        return p;
    }
    return am_arena_grow(a, size);
}

/** @returns a NUL-terminated copy of the \p n bytes at \p s (which may be
 *          NULL when \p n is 0: an empty message's payload), or NULL. */
static inline char *am_arena_strndup(am_arena_t *a, const char *s,
                                     size_t n) {
    char *p = a->cur;

    if (p && n < (size_t)(a->end - p))
        a->cur = p + n + 1;
    else if (!(p = am_arena_grow(a, n + 1)))
        return NULL;
    if (n)
        memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

#endif
