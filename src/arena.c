#include "arena.h"

#include <stdlib.h>

#define AM_ARENA_CHUNK 8192

struct am_arena_chunk_s {
    am_arena_chunk_t *next;
    size_t size;
    alignas(max_align_t) char data[];
};

void am_arena_init(am_arena_t *a) {
    a->head = NULL;
    a->cur = a->end = NULL;
}

void am_arena_reset(am_arena_t *a) {
    am_arena_chunk_t *c = a->head;

    if (!c)
        return;
    /* Keep the oldest chunk (the tail): it is the one a steady stream of
     * small messages fits in. */
    while (c->next) {
        am_arena_chunk_t *next = c->next;
        free(c);
        c = next;
    }
    a->head = c;
    a->cur = c->data;
    a->end = c->data + c->size;
}

void am_arena_free(am_arena_t *a) {
    while (a->head) {
        am_arena_chunk_t *next = a->head->next;
        free(a->head);
        a->head = next;
    }
    a->cur = a->end = NULL;
}

void *am_arena_grow(am_arena_t *a, size_t size) {
    size_t csize = size > AM_ARENA_CHUNK ? size : AM_ARENA_CHUNK;
    am_arena_chunk_t *c;

    if (size > SIZE_MAX - sizeof(*c) || !(c = malloc(sizeof(*c) + csize)))
        return NULL;
    c->size = csize;
    c->next = a->head;
    a->head = c;
    a->cur = c->data + size;
    a->end = c->data + csize;
    return c->data;
}
