#include "arena.h"

#include <stdalign.h>
#include <stdlib.h>
#include <string.h>

#define AM_ARENA_CHUNK 8192

struct am_arena_chunk_s {
    am_arena_chunk_t *next;
    size_t size;
    alignas(max_align_t) unsigned char data[];
};

void am_arena_init(am_arena_t *a) {
    a->head = NULL;
    a->used = 0;
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
    a->used = 0;
}

void am_arena_free(am_arena_t *a) {
    while (a->head) {
        am_arena_chunk_t *next = a->head->next;
        free(a->head);
        a->head = next;
    }
    a->used = 0;
}

void *am_arena_alloc(am_arena_t *a, size_t size) {
    size_t align = alignof(max_align_t);
    size_t need = (size + align - 1) & ~(align - 1);
    am_arena_chunk_t *c;

    if (a->head && a->head->size - a->used >= need) {
        void *p = a->head->data + a->used;
        a->used += need;
        return p;
    }
    size_t csize = need > AM_ARENA_CHUNK ? need : AM_ARENA_CHUNK;
    c = malloc(sizeof(*c) + csize);
    if (!c)
        return NULL;
    c->size = csize;
    c->next = a->head;
    a->head = c;
    a->used = need;
    return c->data;
}

char *am_arena_strndup(am_arena_t *a, const char *s, size_t n) {
    char *p = am_arena_alloc(a, n + 1);

    if (p) {
        memcpy(p, s, n);
        p[n] = '\0';
    }
    return p;
}
