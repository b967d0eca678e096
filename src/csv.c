#include "csv.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void am_csv_init(am_csv_t *csv, const char *data, size_t len) {
    memset(csv, 0, sizeof(*csv));
    csv->p = data;
    csv->end = data + len;
    csv->line = 1;
    if (len >= 3 && memcmp(data, "\xef\xbb\xbf", 3) == 0)
        csv->p += 3;
}

void am_csv_free(am_csv_t *csv) {
    free(csv->buf);
    csv->buf = NULL;
    csv->buf_cap = 0;
}

/* Moves past the end of the current line after an error. */
static void skip_line(am_csv_t *csv) {
    const char *nl = memchr(csv->p, '\n', (size_t)(csv->end - csv->p));

    csv->p = nl ? nl + 1 : csv->end;
    if (nl)
        csv->line++;
}

int am_csv_next(am_csv_t *csv, am_csv_field_t *fields, size_t max, size_t *n,
                char *err, size_t err_size) {
    size_t nf = 0, used = 0;
    /* Quoted fields are unescaped into buf; offsets are fixed up at the end
     * because buf may move while it grows. */
    size_t quoted_off[max ? max : 1];

    while (csv->p < csv->end && (*csv->p == '\n' || *csv->p == '\r')) {
        if (*csv->p == '\n')
            csv->line++;
        csv->p++;
    }
    if (csv->p >= csv->end)
        return 0;
    csv->rec_line = csv->line;

    for (;;) {
        if (nf == max) {
            snprintf(err, err_size, "more than %zu fields", max);
            skip_line(csv);
            return -1;
        }
        if (csv->p < csv->end && *csv->p == '"') {
            size_t start = used;
            csv->p++;
            for (;;) {
                const char *q;
                size_t chunk;
                if (csv->p >= csv->end) {
                    snprintf(err, err_size, "unterminated quoted field");
                    return -1;
                }
                q = memchr(csv->p, '"', (size_t)(csv->end - csv->p));
                chunk = q ? (size_t)(q - csv->p) : (size_t)(csv->end - csv->p);
                if (used + chunk + 1 > csv->buf_cap) {
                    size_t cap = csv->buf_cap ? csv->buf_cap : 256;
                    while (cap < used + chunk + 1)
                        cap *= 2;
                    char *nb = realloc(csv->buf, cap);
                    if (!nb) {
                        snprintf(err, err_size, "out of memory");
                        return -1;
                    }
                    csv->buf = nb;
                    csv->buf_cap = cap;
                }
                memcpy(csv->buf + used, csv->p, chunk);
                for (size_t i = 0; i < chunk; i++)
                    csv->line += csv->p[i] == '\n';
                used += chunk;
                csv->p += chunk;
                if (!q) {
                    snprintf(err, err_size, "unterminated quoted field");
                    return -1;
                }
                csv->p++; /* the quote */
                if (csv->p < csv->end && *csv->p == '"') {
                    csv->buf[used++] = '"';
                    csv->p++;
                    continue;
                }
                break;
            }
            quoted_off[nf] = start;
            fields[nf].s = NULL;
            fields[nf].len = used - start;
            nf++;
            if (csv->p < csv->end && *csv->p != ',' && *csv->p != '\n' &&
                !(*csv->p == '\r' &&
                  (csv->p + 1 == csv->end || csv->p[1] == '\n'))) {
                snprintf(err, err_size, "text after a closing quote");
                skip_line(csv);
                return -1;
            }
        } else {
            const char *s = csv->p;
            while (csv->p < csv->end && *csv->p != ',' && *csv->p != '\n')
                csv->p++;
            size_t len = (size_t)(csv->p - s);
            if (len && s[len - 1] == '\r' &&
                (csv->p == csv->end || *csv->p == '\n'))
                len--;
            fields[nf].s = s;
            fields[nf].len = len;
            nf++;
        }
        if (csv->p < csv->end && *csv->p == '\r')
            csv->p++;
        if (csv->p >= csv->end)
            break;
        if (*csv->p == '\n') {
            csv->p++;
            csv->line++;
            break;
        }
        csv->p++; /* the comma */
    }
    for (size_t i = 0; i < nf; i++)
        if (!fields[i].s)
            fields[i].s = csv->buf ? csv->buf + quoted_off[i] : "";
    *n = nf;
    return 1;
}

void am_csv_trim(const char **s, size_t *n) {
    while (*n && isspace((unsigned char)**s)) {
        (*s)++;
        (*n)--;
    }
    while (*n && isspace((unsigned char)(*s)[*n - 1]))
        (*n)--;
}
