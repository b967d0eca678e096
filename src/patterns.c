/*
 * patterns: the keyword set as one Hyperscan block-mode database.
 *
 * Keywords are compiled with the literal API (hs_compile_lit_multi), so a
 * keyword is its bytes: "a.b*" is three characters, not a regex, and a NUL
 * byte is just a byte.  HS_FLAG_SINGLEMATCH makes Hyperscan report each
 * keyword id at most once per scan, which is the contract of
 * am_patterns_scan() and spares the callback the duplicates of a keyword
 * that occurs twice in one name.
 *
 * Hyperscan cannot compile an empty set, so a set of no keywords has no
 * database at all and its scans return at once.
 */
#include "patterns.h"

#include <hs.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>

struct am_patterns_s {
    hs_database_t *db; /* NULL when the set is empty */
    size_t n;
};

/*
 * A wrapper rather than a bare hs_scratch_t, so that the scratch of a thread
 * exists (with no Hyperscan part yet) even for an empty set, and the caller's
 * code need not know the difference.
 */
struct am_patterns_scratch_s {
    hs_scratch_t *hs;
};

typedef struct scan_ctx_s {
    am_patterns_cb *cb;
    void *opaque;
} scan_ctx_t;

/* Formats \p len bytes of \p s readably into \p buf for an error message. */
static void escape(char *buf, size_t size, const char *s, size_t len) {
    size_t o = 0;

    for (size_t i = 0; i < len && o + 5 < size; i++) {
        unsigned char c = (unsigned char)s[i];

        if (c >= 0x20 && c < 0x7f && c != '\\')
            buf[o++] = (char)c;
        else
            o += (size_t)snprintf(buf + o, size - o, "\\x%02x", c);
    }
    buf[o] = '\0';
}

am_patterns_t *am_patterns_build(const char *const *words, const size_t *lens,
                                 size_t n, char *err, size_t err_size) {
    am_patterns_t *pt;
    unsigned *flags = NULL;
    unsigned *ids = NULL;
    hs_compile_error_t *cerr = NULL;
    hs_error_t rc;

    if (n > UINT_MAX) {
        snprintf(err, err_size, "too many keywords (%zu)", n);
        return NULL;
    }
    /* Hyperscan 5.4 crashes on an empty literal instead of reporting it,
     * and an empty keyword would match every name anyway. */
    for (size_t i = 0; i < n; i++) {
        if (lens[i] == 0) {
            snprintf(err, err_size, "keyword %zu is empty", i);
            return NULL;
        }
    }
    pt = calloc(1, sizeof(*pt));
    if (!pt)
        goto oom;
    pt->n = n;
    if (n == 0)
        return pt;

    flags = malloc(n * sizeof(*flags));
    ids = malloc(n * sizeof(*ids));
    if (!flags || !ids)
        goto oom;
    for (size_t i = 0; i < n; i++) {
        flags[i] = HS_FLAG_CASELESS | HS_FLAG_SINGLEMATCH;
        ids[i] = (unsigned)i;
    }
    rc = hs_compile_lit_multi(words, flags, ids, lens, (unsigned)n,
                              HS_MODE_BLOCK, NULL, &pt->db, &cerr);
    free(flags);
    free(ids);
    if (rc != HS_SUCCESS) {
        /* expression is the index of the keyword at fault, or < 0 when
         * the failure concerns the set as a whole (e.g. out of memory). */
        if (cerr && cerr->expression >= 0 && (size_t)cerr->expression < n) {
            char kw[128];
            size_t i = (size_t)cerr->expression;

            escape(kw, sizeof(kw), words[i], lens[i]);
            snprintf(err, err_size, "keyword %zu '%s': %s", i, kw,
                     cerr->message);
        } else {
            snprintf(err, err_size, "keyword set: %s",
                     cerr ? cerr->message : "compile failed");
        }
        hs_free_compile_error(cerr);
        free(pt);
        return NULL;
    }
    return pt;

oom:
    snprintf(err, err_size, "out of memory for %zu keywords", n);
    free(flags);
    free(ids);
    free(pt);
    return NULL;
}

void am_patterns_destroy(am_patterns_t *pt) {
    if (!pt)
        return;
    hs_free_database(pt->db);
    free(pt);
}

size_t am_patterns_count(const am_patterns_t *pt) {
    return pt->n;
}

size_t am_patterns_memory(const am_patterns_t *pt) {
    size_t size = 0;

    if (pt->db && hs_database_size(pt->db, &size) != HS_SUCCESS)
        return 0;
    return size;
}

int am_patterns_scratch_ensure(const am_patterns_t *pt,
                               am_patterns_scratch_t **scratch) {
    am_patterns_scratch_t *ps = *scratch;

    if (!ps) {
        ps = calloc(1, sizeof(*ps));
        if (!ps)
            return -1;
        *scratch = ps;
    }
    if (!pt->db)
        return 0;
    /* Allocates when ps->hs is NULL, and otherwise grows it in place only
     * if this database needs more than it has: cheap on every reload. */
    if (hs_alloc_scratch(pt->db, &ps->hs) != HS_SUCCESS)
        return -1;
    return 0;
}

void am_patterns_scratch_destroy(am_patterns_scratch_t *scratch) {
    if (!scratch)
        return;
    hs_free_scratch(scratch->hs);
    free(scratch);
}

static int on_match(unsigned int id, unsigned long long from,
                    unsigned long long to, unsigned int flags, void *ctx) {
    const scan_ctx_t *sc = ctx;

    return sc->cb(id, sc->opaque) != 0;
}

int am_patterns_scan(const am_patterns_t *pt, am_patterns_scratch_t *scratch,
                     const char *text, size_t len, am_patterns_cb *cb,
                     void *opaque) {
    scan_ctx_t sc = {cb, opaque};
    hs_error_t rc;

    if (!pt->db || len == 0)
        return 0;
    /* hs_scan() takes an unsigned length; names are far shorter, and a
     * larger text is scanned in its first 4 GB rather than wrapped. */
    if (len > UINT_MAX)
        len = UINT_MAX;
    rc = hs_scan(pt->db, text, (unsigned)len, 0, scratch->hs, on_match, &sc);
    if (rc == HS_SCAN_TERMINATED)
        return 1;
    if (rc != HS_SUCCESS) {
        /* A bad database or a scratch made for another one is a bug in the
         * caller, not bad input; carrying on would hide it. */
        fprintf(stderr, "am_patterns_scan: hs_scan failed (%d)\n", rc);
        abort();
    }
    return 0;
}
