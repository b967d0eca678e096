#include "jsonw.h"

#include "utf8.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void am_buf_init(am_buf_t *b) {
    memset(b, 0, sizeof(*b));
}

void am_buf_free(am_buf_t *b) {
    free(b->data);
    am_buf_init(b);
}

bool am_buf_reserve(am_buf_t *b, size_t n) {
    if (b->oom)
        return false;
    if (b->len + n + 1 <= b->cap)
        return true;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + n + 1)
        cap *= 2;
    char *p = realloc(b->data, cap);
    if (!p) {
        b->oom = true;
        return false;
    }
    b->data = p;
    b->cap = cap;
    return true;
}

void am_buf_puts(am_buf_t *b, const char *s) {
    am_buf_append(b, s, strlen(s));
}

void am_buf_putc(am_buf_t *b, char c) {
    am_buf_append(b, &c, 1);
}

void am_buf_printf(am_buf_t *b, const char *fmt, ...) {
    va_list ap;
    char small[128], *o;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(small, sizeof(small), fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if ((size_t)n < sizeof(small)) {
        am_buf_append(b, small, (size_t)n);
        return;
    }
    if (!(o = am_buf_room(b, (size_t)n)))
        return;
    va_start(ap, fmt);
    vsnprintf(o, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}


void am_jsonw_str(am_buf_t *b, const char *s, size_t n) {
    static const char hex[] = "0123456789abcdef";
    const unsigned char *u = (const unsigned char *)s;
    size_t run = 0;

    am_buf_putc(b, '"');
    for (size_t i = am_utf8_json_plain_len(u, n); i < n;
         i += am_utf8_json_plain_len(u + i, n - i)) {
        unsigned char c = u[i];
        size_t ulen = 1;
        const char *esc = NULL;
        char ubuf[7];

        if (c >= 0x80 && (ulen = am_utf8_len(u + i, n - i)) > 0) {
            i += ulen;
            continue;
        }
        am_buf_append(b, s + run, i - run);
        switch (c) {
        case '"': esc = "\\\""; break;
        case '\\': esc = "\\\\"; break;
        case '\n': esc = "\\n"; break;
        case '\r': esc = "\\r"; break;
        case '\t': esc = "\\t"; break;
        default:
            /* Control characters, and bytes that are not UTF-8, which
             * become the code point of the same number (Latin-1). */
            memcpy(ubuf, "\\u00", 4);
            ubuf[4] = hex[c >> 4];
            ubuf[5] = hex[c & 15];
            ubuf[6] = '\0';
            esc = ubuf;
        }
        am_buf_puts(b, esc);
        i++;
        run = i;
    }
    am_buf_append(b, s + run, n - run);
    am_buf_putc(b, '"');
}

void am_jsonw_key(am_buf_t *b, const char *key) {
    am_buf_putc(b, '"');
    am_buf_puts(b, key);
    am_buf_append(b, "\":", 2);
}

void am_jsonw_kv_str(am_buf_t *b, const char *key, const char *value) {
    am_jsonw_key(b, key);
    if (value)
        am_jsonw_str(b, value, strlen(value));
    else
        am_buf_append(b, "null", 4);
}

void am_jsonw_kv_int(am_buf_t *b, const char *key, int64_t value) {
    am_jsonw_key(b, key);
    am_buf_printf(b, "%lld", (long long)value);
}
