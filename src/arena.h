/*
 * arena: a bump allocator for the short-lived strings of one decoded event.
 * Decoding allocates dozens of small strings per message; an arena makes
 * that one pointer bump each and frees them all at once on reset, keeping
 * its first chunk so that a steady stream allocates nothing.
 */
#ifndef AM_ARENA_H
#define AM_ARENA_H

#include <stddef.h>

typedef struct am_arena_chunk_s am_arena_chunk_t;

typedef struct am_arena_s {
    am_arena_chunk_t *head; /* newest chunk first */
    size_t used;            /* bytes used in head */
} am_arena_t;

/** @brief Initialises an empty arena (no allocation until first use). */
void am_arena_init(am_arena_t *a);

/** @brief Frees everything but the first chunk, for reuse. */
void am_arena_reset(am_arena_t *a);

/** @brief Frees all memory of \p a. */
void am_arena_free(am_arena_t *a);

/** @returns \p size bytes aligned for any type, or NULL when out of memory.
 *          Valid until the next reset or free. */
void *am_arena_alloc(am_arena_t *a, size_t size);

/** @returns a NUL-terminated copy of the \p n bytes at \p s, or NULL. */
char *am_arena_strndup(am_arena_t *a, const char *s, size_t n);

#endif
