/*
 * domain_table: an open-addressing hash of whole canonical names, asked once
 * for each label suffix of an observed name.
 *
 * The hash of a name is built from its end towards its start, eight bytes
 * at a time, in words aligned to the END of the name.  Two names that share
 * a suffix therefore share its words, and one right-to-left pass over an
 * observed name leaves, after each word, the state that every longer suffix
 * continues from.  The hash of the suffix that starts at a label boundary is
 * then that state, mixed with the 0..7 bytes of the suffix that do not fill
 * a word, and finalised with the suffix's length (so the zero padding of the
 * partial word cannot make two lengths collide).  A stored name is hashed
 * the same way, as the suffix that starts at 0.  Only label boundaries are
 * hashed, so "notexample.com" is asked about "notexample.com" and "com",
 * never about "example.com".
 *
 *     name     a.b.example.com              15 bytes
 *     words    [ a.b.exa][mple.com]         aligned to the end; the head
 *                                           word is zero below its bytes
 *     states   S1 <-------- S0 = seed       S(k+1) = mix(Sk, word k)
 *     suffixes a.b.example.com  fin(S1, "a.b.exa", 15)
 *              b.example.com    fin(S1, "b.exa",   13)
 *              example.com      fin(S1, "exa",     11)
 *              com              fin(S0, "com",      3)
 *
 * Word by word rather than byte by byte, the dependent chain of multiplies
 * is an eighth as long, and the suffix hashes, independent of each other,
 * overlap in the pipeline.
 *
 *     slots (power of two, load <= 0.5, linear probing, 16 bytes each)
 *     +----------------+--------+-----+
 *     | hash (64 bits) | record | len |  hash 0 = empty slot
 *     +----------------+--------+-----+
 *                          |
 *                          v  4-byte units into the arena
 *     arena  ... | value (u32) | name bytes, padded to 4 | value | ...
 *
 * A hit costs one slot read and one arena read (the value sits next to the
 * name it is verified against); a miss usually costs the slot read only,
 * since a different 64-bit hash rejects it.  A look-up computes all its
 * suffix hashes first and prefetches all their slots, so those cache misses
 * overlap.  The slot and arena arrays are anonymous mappings: zeroed pages
 * for free, and transparent huge pages where the kernel allows them, which
 * spares the look-ups most TLB misses.
 */
#include "domain_table.h"

#include "domain.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define HASH_SEED 0x243f6a8885a308d3ULL
#define HASH_MUL 0x9e3779b97f4a7c15ULL
#define HASH_LEN_MUL 0xc2b2ae3d27d4eb4fULL
#define DOTS 0x2e2e2e2e2e2e2e2eULL
#define LOW7 0x7f7f7f7f7f7f7f7fULL
#define MIN_SLOTS 16
/* How many insertions ahead the build prefetches slots. */
#define BUILD_PREFETCH 16

typedef struct slot_s {
    uint64_t hash;   /* finalised hash of the name; 0 marks an empty slot */
    uint32_t record; /* entry record in the arena, in 4-byte units */
    uint32_t len;    /* name length, compared before the arena is read */
} slot_t;

struct am_domain_table_s {
    slot_t *slots;
    size_t mask;        /* slot count - 1 */
    uint32_t *arena;    /* records: value, then the name padded to 4 */
    size_t slots_bytes; /* mapped sizes, for munmap() and memory() */
    size_t arena_bytes;
    size_t count;
};

/* The hash sees the bytes in memory order on any machine. */
static inline uint64_t load64(const char *p) {
    uint64_t x;

    memcpy(&x, p, sizeof(x));
    return __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__ ? __builtin_bswap64(x) : x;
}

static inline uint32_t load32(const char *p) {
    uint32_t x;

    memcpy(&x, p, sizeof(x));
    return x;
}

/*
 * One 64x64->128-bit multiply, folded (wyhash's "mum"): every input bit
 * reaches the high half and through it every output bit, unlike a plain
 * 64-bit multiply whose low bits never see the high ones.
 */
static inline uint64_t mum(uint64_t a, uint64_t b) {
    unsigned __int128 x = (unsigned __int128)a * b;

    return (uint64_t)x ^ (uint64_t)(x >> 64);
}

/* The state after one more word, leftwards. */
static inline uint64_t hash_mix(uint64_t s, uint64_t w) {
    return mum(s ^ w, HASH_MUL);
}

/*
 * The hash of a suffix of \p m bytes: the state after its whole words, its
 * remaining bytes (\p part, zero below them), and its length, all through
 * one more multiply whose factor depends on the length.  Zero marks empty
 * slots, so it is never returned.
 */
static inline uint64_t hash_final(uint64_t s, uint64_t part, size_t m) {
    uint64_t h = mum(s ^ part, HASH_LEN_MUL + 2 * (uint64_t)m);

    return h + (h == 0);
}

/* The top \p r bytes of \p w (r = 0..7), the others zero. */
static inline uint64_t top_bytes(uint64_t w, size_t r) {
    return w & ~(~0ULL >> (8 * r));
}

/*
 * The first len % 8 bytes of the name, as the top bytes of a word whose
 * lower bytes are zero: the leftmost, partial word of the name.
 */
static inline uint64_t head_word(const char *s, size_t len) {
    uint64_t x;

    if (len >= 8) {
        x = load64(s);
    } else {
        char b[8] = {0};

        memcpy(b, s, len);
        x = load64(b);
    }
    /* The shift is 8..56 when len % 8 > 0; a select, not a branch. */
    return len % 8 ? x << (64 - 8 * (len % 8)) : 0;
}

static uint64_t hash_name(const char *name, size_t len) {
    uint64_t st = HASH_SEED;

    for (size_t k = 0; k < len / 8; k++)
        st = hash_mix(st, load64(name + len - 8 * (k + 1)));
    return hash_final(st, head_word(name, len), len);
}

/* Bit 7 of each byte of the result is set where \p w holds a dot: exact,
 * with no false positives (the classic has-zero-byte test on w ^ dots). */
static inline uint64_t dot_bits(uint64_t w) {
    uint64_t t = w ^ DOTS;

    return ~(((t & LOW7) + LOW7) | t | LOW7);
}

/* memcmp() == 0 for short names, inline: whole words, the last overlapping
 * the one before it, so that nothing past either name is read. */
static inline bool same_bytes(const char *a, const char *b, size_t n) {
    if (n >= 8) {
        uint64_t d = 0;

        for (size_t i = 0; i + 8 < n; i += 8)
            d |= load64(a + i) ^ load64(b + i);
        return (d | (load64(a + n - 8) ^ load64(b + n - 8))) == 0;
    }
    if (n >= 4)
        return ((load32(a) ^ load32(b)) |
                (load32(a + n - 4) ^ load32(b + n - 4))) == 0;
    return n == 0 || (a[0] == b[0] && a[n / 2] == b[n / 2] &&
                      a[n - 1] == b[n - 1]);
}

static size_t record_units(size_t len) {
    return 1 + (len + 3) / 4;
}

#define HUGE_PAGE (2u << 20)

/*
 * An anonymous mapping of at least \p *bytes (rounded up and written back).
 * From 2 MB up it is aligned to, and a multiple of, 2 MB, so that all of it
 * can be backed by transparent huge pages: a look-up touches a random line
 * of each array, and with 4 KB pages most of those would also miss the TLB.
 */
static void *big_alloc(size_t *bytes) {
    size_t want = *bytes;
    size_t map;
    char *p, *aligned;

    if (want < HUGE_PAGE) {
        p = mmap(NULL, want, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        return p == MAP_FAILED ? NULL : p;
    }
    want = (want + HUGE_PAGE - 1) & ~(size_t)(HUGE_PAGE - 1);
    map = want + HUGE_PAGE;
    p = mmap(NULL, map, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
             -1, 0);
    if (p == MAP_FAILED)
        return NULL;
    aligned = (char *)(((uintptr_t)p + HUGE_PAGE - 1) &
                       ~(uintptr_t)(HUGE_PAGE - 1));
    if (aligned > p)
        munmap(p, (size_t)(aligned - p));
    if (aligned + want < p + map)
        munmap(aligned + want, (size_t)(p + map - (aligned + want)));
    /* Advice only: where THP is off it fails, and small pages still work. */
    (void)madvise(aligned, want, MADV_HUGEPAGE);
    *bytes = want;
    return aligned;
}

static void big_free(void *p, size_t bytes) {
    if (p)
        munmap(p, bytes);
}

static inline const char *record_name(const am_domain_table_t *dt,
                                      uint32_t record) {
    return (const char *)(dt->arena + record + 1);
}

/* Returns the slot holding \p name, or NULL. */
static inline const slot_t *probe(const am_domain_table_t *dt, uint64_t h,
                                  const char *name, size_t len) {
    size_t i = h & dt->mask;

    for (;;) {
        const slot_t *s = &dt->slots[i];

        if (s->hash == h) {
            if (s->len == len && same_bytes(record_name(dt, s->record), name,
                                            len))
                return s;
        } else if (s->hash == 0) {
            return NULL;
        }
        i = (i + 1) & dt->mask;
    }
}

static void print_name(char *err, size_t err_size, const char *what,
                       size_t i, const char *name, size_t len) {
    int shown = len > 80 ? 80 : (int)len;

    snprintf(err, err_size, "%s (entry %zu: '%.*s%s')", what, i, shown, name,
             len > 80 ? "..." : "");
}

am_domain_table_t *am_domain_table_build(const am_domain_entry_t *entries,
                                         size_t n, char *err,
                                         size_t err_size) {
    am_domain_table_t *dt;
    uint64_t *hashes = NULL;
    size_t units = 0;
    size_t nslots = MIN_SLOTS;
    size_t at = 0;

    /* Records are addressed by 32-bit slot fields. */
    if (n >= UINT32_MAX / 2) {
        snprintf(err, err_size, "too many names (%zu)", n);
        return NULL;
    }
    for (size_t i = 0; i < n; i++) {
        if (entries[i].len == 0 || entries[i].len > AM_DOMAIN_MAX) {
            print_name(err, err_size, "name not 1..253 bytes long", i,
                       entries[i].name, entries[i].len);
            return NULL;
        }
        units += record_units(entries[i].len);
    }
    if (units >= UINT32_MAX) {
        snprintf(err, err_size, "names too large for the table");
        return NULL;
    }
    while (nslots < 2 * n)
        nslots *= 2;

    dt = calloc(1, sizeof(*dt));
    if (!dt)
        goto oom;
    dt->mask = nslots - 1;
    dt->slots_bytes = nslots * sizeof(slot_t);
    dt->arena_bytes = (units > 0 ? units : 1) * sizeof(uint32_t);
    dt->slots = big_alloc(&dt->slots_bytes);
    dt->arena = big_alloc(&dt->arena_bytes);
    hashes = malloc((n > 0 ? n : 1) * sizeof(*hashes));
    if (!dt->slots || !dt->arena || !hashes)
        goto oom;

    /*
     * First the sequential work (copy and hash every name), then the
     * random-access inserts, each prefetching the slot of an insert a few
     * steps ahead so that the cache misses of a 1M-name table overlap
     * instead of queueing.
     */
    for (size_t i = 0; i < n; i++) {
        const am_domain_entry_t *e = &entries[i];

        dt->arena[at] = e->value;
        memcpy(dt->arena + at + 1, e->name, e->len);
        at += record_units(e->len);
        hashes[i] = hash_name(e->name, e->len);
    }
    at = 0;
    for (size_t i = 0; i < n; i++) {
        const am_domain_entry_t *e = &entries[i];
        uint64_t h = hashes[i];
        size_t j = h & dt->mask;

        if (i + BUILD_PREFETCH < n)
            __builtin_prefetch(&dt->slots[hashes[i + BUILD_PREFETCH] &
                                          dt->mask], 1);
        for (;;) {
            slot_t *s = &dt->slots[j];

            if (s->hash == 0) {
                s->hash = h;
                s->record = (uint32_t)at;
                s->len = (uint32_t)e->len;
                break;
            }
            if (s->hash == h && s->len == e->len &&
                memcmp(record_name(dt, s->record), e->name, e->len) == 0) {
                print_name(err, err_size, "duplicate name", i, e->name,
                           e->len);
                free(hashes);
                am_domain_table_destroy(dt);
                return NULL;
            }
            j = (j + 1) & dt->mask;
        }
        at += record_units(e->len);
    }
    free(hashes);
    dt->count = n;
    return dt;

oom:
    snprintf(err, err_size, "out of memory for %zu names", n);
    free(hashes);
    am_domain_table_destroy(dt);
    return NULL;
}

void am_domain_table_destroy(am_domain_table_t *dt) {
    if (!dt)
        return;
    big_free(dt->slots, dt->slots_bytes);
    big_free(dt->arena, dt->arena_bytes);
    free(dt);
}

size_t am_domain_table_count(const am_domain_table_t *dt) {
    return dt->count;
}

size_t am_domain_table_memory(const am_domain_table_t *dt) {
    return sizeof(*dt) + dt->slots_bytes + dt->arena_bytes;
}

bool am_domain_table_find(const am_domain_table_t *dt, const char *name,
                          size_t len, uint32_t *value) {
    const slot_t *s;

    if (len == 0 || len > AM_DOMAIN_MAX)
        return false;
    s = probe(dt, hash_name(name, len), name, len);
    if (!s)
        return false;
    *value = dt->arena[s->record];
    return true;
}

/*
 * The suffix hashes of \p name, shortest suffix first, each with where it
 * starts; every slot they lead to is prefetched.
 * @returns how many (0 for a name that cannot be in the table).
 */
static size_t suffix_hashes(const am_domain_table_t *dt, const char *name,
                            size_t len, uint64_t *hash, uint16_t *start) {
    uint64_t st = HASH_SEED;
    size_t full = len / 8, k = 0;

    /*
     * Longer names cannot be in the table, and the bound keeps every offset
     * within uint16_t.  A canonical name has at most 127 labels; the checks
     * on k only guard the arrays against a caller's non-canonical name.
     */
    if (len == 0 || len > AM_DOMAIN_MAX)
        return 0;

    /*
     * The one right-to-left pass, a word at a time.  A dot at byte j of
     * word w (bytes counted from the word's left end) starts the suffix of
     * m = 8w + 7 - j bytes: the w words already absorbed into the state,
     * and the 7 - j bytes right of the dot.  Dots are visited right to
     * left, so the hashes come out shortest suffix first.
     */
    for (size_t w = 0; w <= full; w++) {
        uint64_t x = w < full ? load64(name + len - 8 * (w + 1))
                              : head_word(name, len);
        uint64_t z = dot_bits(x);

        while (z && k < AM_DOMAIN_TABLE_MAX_HITS - 1) {
            size_t j = (63 - (size_t)__builtin_clzll(z)) / 8;
            size_t m = 8 * w + 7 - j;

            z &= ~(0x80ULL << (8 * j));
            /* A dot at the very end starts no suffix. */
            if (m == 0)
                continue;
            hash[k] = hash_final(st, top_bytes(x, 7 - j), m);
            start[k] = (uint16_t)(len - m);
            __builtin_prefetch(&dt->slots[hash[k] & dt->mask]);
            k++;
        }
        if (w < full)
            st = hash_mix(st, x);
    }
    /* The whole name. */
    hash[k] = hash_final(st, head_word(name, len), len);
    start[k] = 0;
    __builtin_prefetch(&dt->slots[hash[k] & dt->mask]);
    return k + 1;
}

/* Probes the \p k suffixes, longest first, into \p hits. */
static size_t probe_all(const am_domain_table_t *dt, const char *name,
                        size_t len, const uint64_t *hash,
                        const uint16_t *start, size_t k,
                        am_domain_hit_t *hits) {
    size_t nhits = 0;

    for (size_t i = k; i-- > 0;) {
        const slot_t *s = probe(dt, hash[i], name + start[i], len - start[i]);

        if (s) {
            hits[nhits].value = dt->arena[s->record];
            hits[nhits].offset = start[i];
            hits[nhits].labels = (uint16_t)(i + 1);
            nhits++;
        }
    }
    return nhits;
}

size_t am_domain_table_suffixes(const am_domain_table_t *dt, const char *name,
                                size_t len, am_domain_hit_t *hits) {
    uint64_t hash[AM_DOMAIN_TABLE_MAX_HITS];
    uint16_t start[AM_DOMAIN_TABLE_MAX_HITS];
    size_t k = suffix_hashes(dt, name, len, hash, start);

    /* All the slot fetches are in flight; probe longest suffix first. */
    return probe_all(dt, name, len, hash, start, k, hits);
}

void am_domain_table_prefetch(const am_domain_table_t *dt, const char *name,
                              size_t len) {
    uint64_t hash[AM_DOMAIN_TABLE_MAX_HITS];
    uint16_t start[AM_DOMAIN_TABLE_MAX_HITS];

    suffix_hashes(dt, name, len, hash, start); /* which prefetches */
}

/*
 * Several names at once, in three passes so that each pass's cache misses
 * overlap across the names, not only within one: hash and fetch every
 * slot; then fetch the arena record of every slot whose hash agrees; then
 * probe, now mostly from cache.
 */
void am_domain_table_suffixes_bulk(const am_domain_table_t *dt,
                                   const char *const *names,
                                   const size_t *lens, size_t n,
                                   am_domain_hit_t *hits, size_t *counts) {
    uint64_t hash[AM_DOMAIN_TABLE_BULK][AM_DOMAIN_TABLE_MAX_HITS];
    uint16_t start[AM_DOMAIN_TABLE_BULK][AM_DOMAIN_TABLE_MAX_HITS];
    size_t k[AM_DOMAIN_TABLE_BULK];

    for (size_t b = 0; b < n; b += AM_DOMAIN_TABLE_BULK) {
        size_t m = n - b < AM_DOMAIN_TABLE_BULK ? n - b : AM_DOMAIN_TABLE_BULK;

        for (size_t i = 0; i < m; i++)
            k[i] = suffix_hashes(dt, names[b + i], lens[b + i], hash[i],
                                 start[i]);
        for (size_t i = 0; i < m; i++)
            for (size_t j = 0; j < k[i]; j++) {
                const slot_t *s = &dt->slots[hash[i][j] & dt->mask];
                if (s->hash == hash[i][j])
                    __builtin_prefetch(record_name(dt, s->record));
            }
        for (size_t i = 0; i < m; i++)
            counts[b + i] = probe_all(dt, names[b + i], lens[b + i], hash[i],
                                      start[i], k[i],
                                      hits + (b + i) * AM_DOMAIN_TABLE_MAX_HITS);
    }
}
