/*
 * jsonw: a growable byte buffer and the few JSON writing primitives the
 * encoders need.  Writing JSON by hand into one reused buffer is several
 * times faster than building a jansson tree per notification, and the output
 * is exactly as documented in schemas/ (key order included).
 *
 * Allocation failure is sticky: the buffer records it in `oom` and ignores
 * further writes, so encoders check once at the end.
 */
#ifndef AM_JSONW_H
#define AM_JSONW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

typedef struct am_buf_s {
    char *data;
    size_t len;
    size_t cap;
    bool oom;
} am_buf_t;

void am_buf_init(am_buf_t *b);
void am_buf_free(am_buf_t *b);
static inline void am_buf_reset(am_buf_t *b) {
    b->len = 0;
    b->oom = false;
}
/** @brief Makes room for \p n more bytes and a NUL.
 *  @returns false once out of memory. */
bool am_buf_reserve(am_buf_t *b, size_t n);

/** @returns where up to \p n bytes (and a NUL) may be written at the end
 *           of \p b, or NULL once out of memory.  The caller then adds
 *           what it wrote to b->len and ends it with a NUL. */
static inline char *am_buf_room(am_buf_t *b, size_t n) {
    if ((b->oom || b->len + n + 1 > b->cap) && !am_buf_reserve(b, n))
        return NULL;
    return b->data + b->len;
}

/* Inline: the encoders append a few bytes at a time, a notification is a
 * hundred appends, and the call cost more than the copy. */
static inline void am_buf_append(am_buf_t *b, const void *p, size_t n) {
    char *o = am_buf_room(b, n);

    if (!o)
        return;
    memcpy(o, p, n);
    b->len += n;
    b->data[b->len] = '\0';
}
void am_buf_puts(am_buf_t *b, const char *s);
void am_buf_putc(am_buf_t *b, char c);
void am_buf_printf(am_buf_t *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/** @brief Appends \p n bytes of \p s as a quoted JSON string; control
 *         characters and invalid UTF-8 bytes are escaped (\u00XX). */
void am_jsonw_str(am_buf_t *b, const char *s, size_t n);

/** @brief Appends `"key":` (key is trusted: plain ASCII). */
void am_jsonw_key(am_buf_t *b, const char *key);

/** @brief Appends `"key":"value"`, or `"key":null` when \p value is NULL. */
void am_jsonw_kv_str(am_buf_t *b, const char *key, const char *value);

/** @brief Appends `"key":<number>`. */
void am_jsonw_kv_int(am_buf_t *b, const char *key, int64_t value);

#endif
