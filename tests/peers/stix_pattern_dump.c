/*
 * stix_pattern_dump: what am_stix_pattern_parse() makes of each pattern,
 * for comparison with the OASIS stix2-patterns inspector
 * (tests/peers/stix_patterns.py).
 *
 * Reads one pattern per line from standard input and writes one JSON line
 * per pattern to standard output:
 *
 *   {"rc":2,"err":"","obs":[["ipv4-addr:value","198.51.100.1/32"],...]}
 *
 * rc and err are the parser's return value and message; obs lists the
 * extracted (path, value) pairs in the order the callback saw them.
 * Lines may hold any byte but newline; a trailing CR is kept as part of
 * the pattern (the fixture file has none).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stix_pattern.h"

static void put_json_str(FILE *f, const char *s, size_t n) {
    fputc('"', f);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];

        if (c == '"' || c == '\\')
            fprintf(f, "\\%c", c);
        else if (c < 0x20)
            fprintf(f, "\\u%04x", c);
        else
            fputc(c, f);
    }
    fputc('"', f);
}

/* The values go to a memory stream first: rc is printed before them. */
typedef struct dump_s {
    FILE *f;
    int n;
} dump_t;

static int print_obs(const am_stix_obs_t *obs, void *opaque) {
    dump_t *d = opaque;

    if (d->n++)
        fputc(',', d->f);
    fputc('[', d->f);
    put_json_str(d->f, obs->path, strlen(obs->path));
    fputc(',', d->f);
    put_json_str(d->f, obs->value, obs->len);
    fputc(']', d->f);
    return 0;
}

int main(void) {
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;

    while ((n = getline(&line, &cap, stdin)) >= 0) {
        char err[256] = "";
        char *obs = NULL;
        size_t obs_len = 0;
        dump_t d = {0};
        int rc;

        if (n > 0 && line[n - 1] == '\n')
            n--;
        d.f = open_memstream(&obs, &obs_len);
        if (!d.f) {
            perror("stix_pattern_dump: open_memstream");
            return 1;
        }
        rc = am_stix_pattern_parse(line, (size_t)n, print_obs, &d, err,
                                   sizeof(err));
        fclose(d.f);
        if (rc >= 0 && rc != d.n) {
            fprintf(stderr, "stix_pattern_dump: rc %d but %d values\n", rc,
                    d.n);
            return 1;
        }
        printf("{\"rc\":%d,\"err\":", rc);
        put_json_str(stdout, err, strlen(err));
        printf(",\"obs\":[%s]}\n", rc >= 0 ? obs : "");
        free(obs);
    }
    free(line);
    return ferror(stdin) ? 1 : 0;
}
