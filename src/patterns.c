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
 *
 * Most names hold no keyword, and hs_scan() costs more than the bytes of a
 * name: ~2,300 instructions a call (callgrind, 10K keywords).  So a scan
 * first asks a filter.  A keyword occurs in a name only if its first g
 * bytes do, g being its length up to GRAM_MAX; the filter holds, for each
 * keyword, one bit for those g bytes ("full") and one for their first
 * GRAM_MIN ("first"), each hashed and case folded.  A name is tried at
 * each position: "first", and only where that bit is set, each length of
 * "full".  A name that finds no bit of "full" holds no keyword, and
 * Hyperscan is not called.  One length (GRAM_MIN alone) would not do:
 * keywords share their first four bytes with too many names (bench
 * inventories: 43% of names passed; with lengths up to eight, 2.5%, and
 * 2.45% hold a keyword).  Folding sets bit 5 of every byte: the two cases
 * of an ASCII letter become one byte, so a caseless occurrence always
 * finds its bits, and bytes that fold together only cost a scan.  A set
 * with a keyword shorter than GRAM_MIN has no filter.
 */
#include "patterns.h"

#include <hs.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define GRAM_MIN 4
#define GRAM_MAX 8
/* Bits of each half of the filter per keyword, at most 2 MB each. */
#define GRAM_BITS_PER_KEYWORD 64
#define GRAM_BITS_MAX ((size_t)1 << 24)
/* Longer names skip the filter: it reads a name from a padded copy. */
#define FILTER_NAME_MAX 256

typedef struct bits_s {
    uint64_t *v;
    unsigned shift; /* 64 less the log2 of its bits */
} bits_t;

struct am_patterns_s {
    hs_database_t *db; /* NULL when the set is empty */
    size_t n;
    bits_t first, full; /* the filter; first.v NULL: every name is scanned */
};

/* The GRAM_MAX bytes at \p s, folded, in a word. */
static inline uint64_t gram_word(const char *s) {
    uint64_t w;

    memcpy(&w, s, GRAM_MAX);
    return w | 0x2020202020202020u;
}

/* The first \p g bytes of a gram_word(). */
static inline uint64_t gram(uint64_t word, unsigned g) {
    return g >= 8 ? word : word & (((uint64_t)1 << (8 * g)) - 1);
}

static inline uint64_t bit_of(const bits_t *b, uint64_t gram) {
    return (gram * 0x9e3779b97f4a7c15u) >> b->shift;
}

static inline bool bit_test(const bits_t *b, uint64_t gram) {
    uint64_t i = bit_of(b, gram);

    return b->v[i >> 6] >> (i & 63) & 1;
}

static inline void bit_set(bits_t *b, uint64_t gram) {
    uint64_t i = bit_of(b, gram);

    b->v[i >> 6] |= (uint64_t)1 << (i & 63);
}

static int bits_init(bits_t *b, size_t n) {
    size_t bits = (size_t)1 << 12;
    unsigned log2 = 12;

    while (bits < GRAM_BITS_MAX && bits / GRAM_BITS_PER_KEYWORD < n) {
        bits <<= 1;
        log2++;
    }
    b->shift = 64 - log2;
    return (b->v = calloc(bits / 64, sizeof(*b->v))) ? 0 : -1;
}

/* The filter of the \p n keywords, when none is shorter than GRAM_MIN.
 * @returns 0, or -1 when out of memory. */
static int filter_build(am_patterns_t *pt, const char *const *words,
                        const size_t *lens, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (lens[i] < GRAM_MIN)
            return 0;
    if (bits_init(&pt->first, n) < 0 || bits_init(&pt->full, n) < 0)
        return -1;
    for (size_t i = 0; i < n; i++) {
        char pad[GRAM_MAX] = {0};
        unsigned g = lens[i] < GRAM_MAX ? (unsigned)lens[i] : GRAM_MAX;

        memcpy(pad, words[i], g);
        bit_set(&pt->first, gram(gram_word(pad), GRAM_MIN));
        bit_set(&pt->full, gram(gram_word(pad), g));
    }
    return 0;
}

/* Whether the \p len bytes of \p s, followed by GRAM_MAX readable bytes,
 * may hold a keyword. */
static bool filter_pass(const am_patterns_t *pt, const char *s, size_t len) {
    for (size_t i = 0; i + GRAM_MIN <= len; i++) {
        size_t top = len - i < GRAM_MAX ? len - i : GRAM_MAX;
        uint64_t word = gram_word(s + i); /* read once for every length */

        if (!bit_test(&pt->first, gram(word, GRAM_MIN)))
            continue;
        for (unsigned g = GRAM_MIN; g <= top; g++)
            if (bit_test(&pt->full, gram(word, g)))
                return true;
    }
    return false;
}

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
    if (filter_build(pt, words, lens, n) < 0)
        goto oom;

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
        am_patterns_destroy(pt);
        return NULL;
    }
    return pt;

oom:
    snprintf(err, err_size, "out of memory for %zu keywords", n);
    free(flags);
    free(ids);
    am_patterns_destroy(pt);
    return NULL;
}

void am_patterns_destroy(am_patterns_t *pt) {
    if (!pt)
        return;
    hs_free_database(pt->db);
    free(pt->first.v);
    free(pt->full.v);
    free(pt);
}

size_t am_patterns_count(const am_patterns_t *pt) {
    return pt->n;
}

size_t am_patterns_memory(const am_patterns_t *pt) {
    size_t size = 0;

    if (pt->db && hs_database_size(pt->db, &size) != HS_SUCCESS)
        return 0;
    if (pt->first.v)
        size += ((size_t)1 << (64 - pt->first.shift)) / 8 +
                ((size_t)1 << (64 - pt->full.shift)) / 8;
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
    if (pt->first.v && len <= FILTER_NAME_MAX) {
        char pad[FILTER_NAME_MAX + GRAM_MAX];

        memcpy(pad, text, len);
        memset(pad + len, 0, GRAM_MAX);
        if (!filter_pass(pt, pad, len))
            return 0;
    }
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
