/*
 * lpm: a direct table over the first bits of the key, and below it a
 * poptrie (Asai and Ohara, "Poptrie: A Compressed Trie with Population Count
 * for Fast and Scalable Software IP Routing Table Lookup", SIGCOMM 2015),
 * both compiled in bulk from the sorted prefixes.
 *
 * The key is the address read as a 128-bit big-endian number (an IPv4
 * address fills the top 32 bits).  Its first S bits index top[]; S grows
 * with the table, about four slots per prefix (IPv4 16..22 bits, IPv6
 * 16..20).  A slot holds the answer itself unless a longer prefix starts
 * inside it; then it leads to a node, and every further 6 bits pick one of
 * the node's 64 slots:
 *
 *     key:     | S bits                | 6 bits | 6 bits | ...
 *                  |                       |        |
 *                  v                       v        v
 *     top[2^S]   value or NONE       (86% of random IPv4 keys at 1M)
 *                NODE_FLAG | i ----> nodes[i] --> nodes[j] ...
 *                                      |
 *                                      leaf: value
 *
 *     node (32 bytes, never across two cache lines):
 *         vector   bit c: slot c leads to a child node
 *         leafvec  bit c: a run of equal slots starts at c
 *         base1    index of the first child; children are contiguous, in
 *                  slot order
 *         base0    position of the first leaf in leaf_val[]/leaf_pfx[]
 *         leaf[2]  copies of the first two leaves' values
 *
 *     child of slot c = nodes[base1 + popcount(vector & ones(0..c)) - 1]
 *     leaf of slot c  = rank r = popcount(leafvec & ones(0..c)) - 1,
 *                       value = r < 2 ? leaf[r] : leaf_val[base0 + r]
 *
 * Why this shape: on the machine this is tuned on (a VM with a few MB of
 * usable cache, DRAM at 200-300 ns), random look-ups over a large table
 * miss the cache at every dependent step, and the processor overlaps
 * independent look-ups only while their instructions fit in its reorder
 * window.  So the common case is one memory access and eight instructions:
 * the top entry is the value itself (when every value is below 2^31; else
 * a leaf position, one access more), and a key that goes below it usually
 * finds its value in the node's own cache line.  Measured against DPDK's
 * rte_lpm with 1M random IPv4 prefixes and random keys: a plain poptrie
 * (16- or 18-bit top, 3-4 dependent misses per key) did 0.2-0.3x; this
 * layout does about 1x in single look-ups and 1.1-1.3x in bulk; a 23- or
 * 24-bit top was no faster here for 1.3-2x the memory, and a per-slot
 * filter that made the branch to the nodes 5x rarer cost more in
 * instructions than it saved.  IPv6 at 200K prefixes beats rte_lpm6.
 *
 * The sorted array holds the prefixes in address order, shorter first at
 * the same address, with a link from each to the next shorter prefix that
 * covers it:
 *
 *     i   prefix           parent
 *     0   10.0.0.0/8       -
 *     1   10.1.0.0/16      0
 *     2   10.1.0.0/24      1
 *     3   10.1.2.0/24      1
 *     4   10.2.0.0/16      0
 *     5   192.0.2.0/24     -
 *
 * In that order the prefixes inside any aligned block of addresses are
 * contiguous, and every prefix comes after those that cover it.  So the
 * compiler walks the array once per level: in a node (or the top table) at
 * bit offset off, a prefix of length <= off + bits "paints" the slots it
 * spans (a later, inner prefix over an earlier, outer one), and the longer
 * prefixes of one slot form a contiguous run that becomes one child, whose
 * default is what was painted in that slot.  Nodes are laid out breadth
 * first.  For am_lpm_covering(), top_pfx[] and leaf_pfx[] give the sorted
 * index of the longest match, and the parent links the rest; look-ups
 * never read them.
 *
 * IPv4 and IPv6 share every line: the look-up functions are inlined with
 * the key width as a constant, which drops the low 64 bits from the IPv4
 * path.
 */
#include "lpm.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

__extension__ typedef unsigned __int128 u128_t;

#define STRIDE 6
#define TOP_MIN 16
#define TOP_MAX4 22
#define TOP_MAX6 20

/* A top entry is, by range:
 *
 *     0 .. 2^31 - 1          the value itself (all values below 2^31)
 *     NODE_FLAG | node       a node below the slot
 *     TOP_LEAF | position    a leaf (when some value is 2^31 or more)
 *     AM_LPM_NONE            no prefix
 *
 * so the common case costs one comparison: e + 1 <= NODE_FLAG. */
#define NODE_FLAG 0x80000000u
#define TOP_LEAF 0xc0000000u
#define MAX_NODES 0x40000000u
#define NO_PARENT UINT32_MAX

/* Transparent huge pages: the tables are read at random, so 4 KiB pages
 * would add a TLB miss to most look-ups.  Arrays smaller than one huge page
 * are not worth a whole one. */
#define HUGE_SIZE ((size_t)2 << 20)
#define SMALL_PAGE ((size_t)4096)

#define INLINE_LEAVES 2

typedef struct node_s {
    uint64_t vector;
    uint64_t leafvec;
    uint32_t base0;
    uint32_t base1;
    uint32_t leaf[INLINE_LEAVES]; /* copies of leaf_val[base0 + 0, 1] */
} node_t;

typedef struct region_s {
    void *p;
    size_t len;
} region_t;

enum {
    R_TOP,
    R_TOP_PFX,
    R_NODES,
    R_LEAF_VAL,
    R_LEAF_PFX,
    R_ENT,
    R_PARENT,
    R_COUNT,
};

struct am_lpm_s {
    /* Read by look-ups. */
    const uint32_t *top4; /* top, or for IPv6 a table of one NONE */
    unsigned shift4;      /* 32 - top_bits, or 32 */
    const uint32_t *top;
    const node_t *nodes;
    const uint32_t *leaf_val;
    unsigned top_bits;
    int family;
    /* Read by am_lpm_covering() and am_lpm_overlapping(). */
    const uint32_t *top_pfx;  /* per top slot: sorted index + 1, or 0 */
    const uint32_t *leaf_pfx; /* per leaf: the same */
    const am_lpm_entry_t *ent; /* sorted */
    const uint32_t *parent;
    size_t n;
    size_t bytes;
    region_t region[R_COUNT];
};

/* ---- memory ------------------------------------------------------------ */

static size_t round_up(size_t x, size_t to) {
    return (x + to - 1) / to * to;
}

/* Maps \p bytes of zeroed memory, aligned to a huge page when it is worth
 * one.  The whole length is reserved but costs nothing until touched, so
 * the compiler maps an upper bound and region_trim() gives the rest back. */
static void *region_map(region_t *r, size_t bytes) {
    size_t align = bytes >= HUGE_SIZE ? HUGE_SIZE : SMALL_PAGE;
    size_t len = round_up(bytes ? bytes : 1, align);
    size_t extra = align > SMALL_PAGE ? align : 0;
    uint8_t *raw = mmap(NULL, len + extra, PROT_READ | PROT_WRITE,
                        MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    uint8_t *p;

    if (raw == MAP_FAILED)
        return NULL;
    p = (uint8_t *)round_up((size_t)raw, align);
    if (p > raw)
        munmap(raw, (size_t)(p - raw));
    if (extra > (size_t)(p - raw))
        munmap(p + len, extra - (size_t)(p - raw));
    if (align == HUGE_SIZE)
        madvise(p, len, MADV_HUGEPAGE); /* only a hint: ignore failure */
    r->p = p;
    r->len = len;
    return p;
}

static void region_trim(region_t *r, size_t used) {
    size_t keep = round_up(used ? used : 1,
                           r->len >= HUGE_SIZE && used >= HUGE_SIZE / 2
                               ? HUGE_SIZE
                               : SMALL_PAGE);

    if (keep < r->len) {
        munmap((uint8_t *)r->p + keep, r->len - keep);
        r->len = keep;
    }
}

static void region_unmap(region_t *r) {
    if (r->p)
        munmap(r->p, r->len);
    r->p = NULL;
}

/* ---- keys -------------------------------------------------------------- */

static inline uint64_t load_be64(const uint8_t *b) {
    uint64_t v;

    memcpy(&v, b, sizeof(v));
    return __builtin_bswap64(v);
}

static inline void store_be64(uint8_t *b, uint64_t v) {
    v = __builtin_bswap64(v);
    memcpy(b, &v, sizeof(v));
}

/* Bits [off, off + bits) of the key (hi, lo); past the end of the key
 * reads zeros.  With \p w a constant, IPv4 uses one word only. */
static inline __attribute__((always_inline)) uint32_t
key_bits(uint64_t hi, uint64_t lo, unsigned off, unsigned bits,
         const unsigned w) {
    if (w <= 64)
        return (uint32_t)((hi << off) >> (64 - bits));
    return (uint32_t)((((u128_t)hi << 64 | lo) << off) >> (128 - bits));
}

static inline uint64_t mask_hi(unsigned len) {
    return len == 0 ? 0 : len >= 64 ? ~0ULL : ~0ULL << (64 - len);
}

static inline uint64_t mask_lo(unsigned len) {
    return len <= 64 ? 0 : ~0ULL << (128 - len);
}

/* True when the prefix (ahi, alo)/alen contains the key (bhi, blo). */
static inline bool key_in(uint64_t ahi, uint64_t alo, unsigned alen,
                          uint64_t bhi, uint64_t blo) {
    return ((ahi ^ bhi) & mask_hi(alen)) == 0 &&
           ((alo ^ blo) & mask_lo(alen)) == 0;
}

/* ---- look-up ----------------------------------------------------------- */

static inline bool is_node(uint32_t top_entry) {
    return top_entry - NODE_FLAG < MAX_NODES;
}

/* What am_lpm_lookup4() reads for an IPv6 table: it then finds nothing
 * without a test of the family. */
static const uint32_t none_top[1] = {AM_LPM_NONE};

/* From node \p i at bit offset \p off down to the node whose slot for the
 * key is a leaf; \p rank receives the leaf's rank in that node.  (2 << 63)
 * wraps to 0, so slot 63 gets an all-ones mask as wanted. */
static inline __attribute__((always_inline)) const node_t *
walk(const am_lpm_t *lpm, uint32_t i, uint64_t hi, uint64_t lo, unsigned off,
     const unsigned w, uint32_t *rank) {
    for (;;) {
        const node_t *nd = &lpm->nodes[i];
        unsigned c = key_bits(hi, lo, off, STRIDE, w);
        uint64_t upto = (2ULL << c) - 1;

        if (!(nd->vector >> c & 1)) {
            *rank = (uint32_t)__builtin_popcountll(nd->leafvec & upto) - 1;
            return nd;
        }
        i = nd->base1 + (uint32_t)__builtin_popcountll(nd->vector & upto) - 1;
        off += STRIDE;
    }
}

static inline uint32_t leaf_value(const am_lpm_t *lpm, const node_t *nd,
                                  uint32_t rank) {
    return rank < INLINE_LEAVES ? nd->leaf[rank]
                                : lpm->leaf_val[nd->base0 + rank];
}

/* The value for a key whose top entry \p e is not a value itself. */
static inline __attribute__((always_inline)) uint32_t
value_below(const am_lpm_t *lpm, uint32_t e, uint64_t hi, uint64_t lo,
            const unsigned w) {
    const node_t *nd;
    uint32_t rank;

    if (e >= TOP_LEAF)
        return lpm->leaf_val[e - TOP_LEAF];
    nd = walk(lpm, e - NODE_FLAG, hi, lo, lpm->top_bits, w, &rank);
    return leaf_value(lpm, nd, rank);
}

static inline __attribute__((always_inline)) uint32_t
value_of(const am_lpm_t *lpm, uint64_t hi, uint64_t lo, const unsigned w) {
    uint32_t e = lpm->top[hi >> (64 - lpm->top_bits)];

    if (__builtin_expect(e + 1 <= NODE_FLAG, 1))
        return e;
    return value_below(lpm, e, hi, lo, w);
}

/* The sorted index + 1 of the longest prefix containing the key, or 0. */
static inline __attribute__((always_inline)) uint32_t
pfx_of(const am_lpm_t *lpm, uint64_t hi, uint64_t lo, const unsigned w) {
    size_t s = hi >> (64 - lpm->top_bits);
    uint32_t e = lpm->top[s], rank;
    const node_t *nd;

    if (!is_node(e))
        return lpm->top_pfx[s];
    nd = walk(lpm, e - NODE_FLAG, hi, lo, lpm->top_bits, w, &rank);
    return lpm->leaf_pfx[nd->base0 + rank];
}

/* Out of line, so that the common path of am_lpm_lookup4() stays a handful
 * of instructions. */
static __attribute__((noinline)) uint32_t lookup4_below(const am_lpm_t *lpm,
                                                        uint32_t addr,
                                                        uint32_t e) {
    return value_below(lpm, e, (uint64_t)addr << 32, 0, 32);
}

uint32_t am_lpm_lookup4(const am_lpm_t *lpm, uint32_t addr) {
    uint32_t e = lpm->top4[(uint64_t)addr >> lpm->shift4];

    if (__builtin_expect(e + 1 <= NODE_FLAG, 1))
        return e;
    return lookup4_below(lpm, addr, e);
}

uint32_t am_lpm_lookup(const am_lpm_t *lpm, const uint8_t addr[16]) {
    if (lpm->family == AM_IPADDR_V4)
        return value_of(lpm, load_be64(addr) & ~0ULL << 32, 0, 32);
    return value_of(lpm, load_be64(addr), load_be64(addr + 8), 128);
}

/* Look-ups in groups of BULK, one level at a time across the group: the
 * top entries of the next group and the nodes of the next level are
 * prefetched before they are needed, so that many cache misses are in
 * flight at once rather than the few that out-of-order execution finds
 * across the iterations of a loop. */
#define BULK 16

void am_lpm_lookup4_bulk(const am_lpm_t *lpm, const uint32_t *addrs,
                         uint32_t *values, size_t n) {
    const uint32_t *top = lpm->top4;
    const unsigned sh = lpm->shift4;
    size_t i = 0;

    for (size_t k = 0; k < BULK && k < n; k++)
        __builtin_prefetch(&top[(uint64_t)addrs[k] >> sh]);
    for (; i + BULK <= n; i += BULK) {
        uint32_t at[BULK], todo = 0;

        for (size_t k = i + BULK; k < i + 2 * BULK && k < n; k++)
            __builtin_prefetch(&top[(uint64_t)addrs[k] >> sh]);
        for (unsigned k = 0; k < BULK; k++) {
            uint32_t e = top[(uint64_t)addrs[i + k] >> sh];

            if (__builtin_expect(e + 1 <= NODE_FLAG, 1)) {
                values[i + k] = e;
            } else if (e >= TOP_LEAF) {
                values[i + k] = lpm->leaf_val[e - TOP_LEAF];
            } else {
                at[k] = e - NODE_FLAG;
                todo |= 1u << k;
                __builtin_prefetch(&lpm->nodes[at[k]]);
            }
        }
        for (unsigned off = lpm->top_bits; todo; off += STRIDE)
            for (uint32_t t = todo; t; t &= t - 1) {
                unsigned k = (unsigned)__builtin_ctz(t);
                const node_t *nd = &lpm->nodes[at[k]];
                unsigned c = key_bits((uint64_t)addrs[i + k] << 32, 0, off,
                                      STRIDE, 32);
                uint64_t upto = (2ULL << c) - 1;

                if (nd->vector >> c & 1) {
                    at[k] = nd->base1 +
                            (uint32_t)__builtin_popcountll(nd->vector & upto) -
                            1;
                    __builtin_prefetch(&lpm->nodes[at[k]]);
                    continue;
                }
                values[i + k] = leaf_value(
                    lpm, nd,
                    (uint32_t)__builtin_popcountll(nd->leafvec & upto) - 1);
                todo &= ~(1u << k);
            }
    }
    for (; i < n; i++)
        values[i] = am_lpm_lookup4(lpm, addrs[i]);
}

/* ---- build ------------------------------------------------------------- */

/* A prefix as the compiler sees it. */
typedef struct rec_s {
    uint64_t hi, lo;
    uint64_t tail; /* length << 32 | value */
} rec_t;

static inline unsigned rec_len(const rec_t *r) {
    return (unsigned)(r->tail >> 32);
}

/* A run of prefixes [lo, hi) of the sorted array below one slot. */
typedef struct kid_s {
    uint32_t slot, lo, hi;
} kid_t;

/* A node laid out but not yet filled: its prefixes, its bit offset and the
 * sorted index + 1 (or 0) of what covers all of it. */
typedef struct pend_s {
    uint32_t lo, hi, dflt, off;
} pend_t;

typedef struct build_s {
    const rec_t *rec;
    const am_lpm_entry_t *ent;
    unsigned width;
    kid_t *kids;
    pend_t *pend;
    node_t *nodes;
    uint32_t *leaf_val, *leaf_pfx;
    size_t n_nodes, n_leaves;
} build_t;

/* Checks one entry and turns it into a record. */
static int take_entry(const am_lpm_entry_t *e, size_t i, int family,
                      unsigned width, rec_t *r, char *err, size_t err_size) {
    char buf[AM_IPADDR_STRLEN];
    const am_prefix_t *p = &e->prefix;

    if (p->family != family) {
        snprintf(err, err_size, "entry %zu: an %s prefix in an %s table", i,
                 p->family == AM_IPADDR_V4   ? "IPv4"
                 : p->family == AM_IPADDR_V6 ? "IPv6"
                                             : "unknown-family",
                 family == AM_IPADDR_V4 ? "IPv4" : "IPv6");
        return -1;
    }
    if (p->len > width) {
        snprintf(err, err_size, "entry %zu: prefix length %u out of range", i,
                 p->len);
        return -1;
    }
    r->hi = load_be64(p->addr);
    r->lo = load_be64(p->addr + 8);
    r->tail = (uint64_t)p->len << 32 | e->value;
    /* For IPv4 this also rejects bytes set past the first four. */
    if ((r->hi & ~mask_hi(p->len)) || (r->lo & ~mask_lo(p->len))) {
        am_ipaddr_format(p, buf, sizeof(buf));
        snprintf(err, err_size, "entry %zu: %s has host bits set", i, buf);
        return -1;
    }
    if (e->value == AM_LPM_NONE) {
        snprintf(err, err_size, "entry %zu: value AM_LPM_NONE is reserved",
                 i);
        return -1;
    }
    return 0;
}

/* Sorts by (key, length) with an LSD radix sort on bytes: the length
 * first, then the key from its least significant byte up.  Bytes that no
 * two records differ in (the low 96 bits of IPv4 keys, much of IPv6 ones)
 * get no pass.  Returns the buffer that holds the result. */
static rec_t *radix_sort(rec_t *a, rec_t *b, size_t n) {
    static const uint8_t word_of[17] = {2, 1, 1, 1, 1, 1, 1, 1, 1,
                                        0, 0, 0, 0, 0, 0, 0, 0};
    uint64_t and_w[3] = {~0ULL, ~0ULL, ~0ULL}, or_w[3] = {0, 0, 0};
    unsigned shift[17], dig[17], nd = 0;
    size_t hist[17][256];

    for (size_t i = 0; i < n; i++) {
        and_w[0] &= a[i].hi;
        or_w[0] |= a[i].hi;
        and_w[1] &= a[i].lo;
        or_w[1] |= a[i].lo;
        and_w[2] &= a[i].tail;
        or_w[2] |= a[i].tail;
    }
    for (unsigned d = 0; d < 17; d++) {
        unsigned w = word_of[d];
        shift[d] = d == 0 ? 32 : 8 * ((d - 1) % 8);
        if ((((and_w[w] ^ or_w[w]) >> shift[d]) & 0xff) != 0)
            dig[nd++] = d;
    }
    memset(hist, 0, sizeof(hist));
    for (size_t i = 0; i < n; i++) {
        const uint64_t w[3] = {a[i].hi, a[i].lo, a[i].tail};
        for (unsigned k = 0; k < nd; k++)
            hist[k][(w[word_of[dig[k]]] >> shift[dig[k]]) & 0xff]++;
    }
    for (unsigned k = 0; k < nd; k++) {
        unsigned w = word_of[dig[k]], sh = shift[dig[k]];
        size_t sum = 0;
        rec_t *t;

        for (unsigned v = 0; v < 256; v++) {
            size_t c = hist[k][v];
            hist[k][v] = sum;
            sum += c;
        }
        for (size_t i = 0; i < n; i++) {
            uint64_t x = w == 0 ? a[i].hi : w == 1 ? a[i].lo : a[i].tail;
            b[hist[k][(x >> sh) & 0xff]++] = a[i];
        }
        t = a;
        a = b;
        b = t;
    }
    return a;
}

/* Names the first duplicate by its places in the caller's array: a cold
 * path, so a plain scan. */
static void report_duplicate(const am_lpm_entry_t *entries, size_t n,
                             const am_lpm_entry_t *dup, char *err,
                             size_t err_size) {
    char buf[AM_IPADDR_STRLEN];
    size_t at[2] = {0, 0}, k = 0;

    for (size_t i = 0; i < n && k < 2; i++)
        if (entries[i].prefix.len == dup->prefix.len &&
            memcmp(entries[i].prefix.addr, dup->prefix.addr, 16) == 0)
            at[k++] = i;
    am_ipaddr_format(&dup->prefix, buf, sizeof(buf));
    snprintf(err, err_size, "duplicate prefix %s (entries %zu and %zu)", buf,
             at[0], at[1]);
}

/* Fills the sorted array and the parent links, and finds duplicates.
 * Nesting is at most width + 1 deep, which bounds the stack.  The entries
 * are rebuilt from the records rather than gathered from the caller's
 * array, which would cost a cache miss each. */
static int link_sorted(const rec_t *rec, size_t n, int family,
                       const am_lpm_entry_t *entries, am_lpm_entry_t *ent,
                       uint32_t *parent, char *err, size_t err_size) {
    uint32_t stack[129];
    size_t depth = 0;

    for (size_t i = 0; i < n; i++) {
        const rec_t *r = &rec[i];

        store_be64(ent[i].prefix.addr, r->hi);
        store_be64(ent[i].prefix.addr + 8, r->lo);
        ent[i].prefix.len = (uint8_t)rec_len(r);
        ent[i].prefix.family = (uint8_t)family;
        ent[i].value = (uint32_t)r->tail;
        if (i > 0 && r->hi == rec[i - 1].hi && r->lo == rec[i - 1].lo &&
            rec_len(r) == rec_len(&rec[i - 1])) {
            report_duplicate(entries, n, &ent[i], err, err_size);
            return -1;
        }
        while (depth > 0) {
            const rec_t *t = &rec[stack[depth - 1]];
            if (key_in(t->hi, t->lo, rec_len(t), r->hi, r->lo))
                break;
            depth--;
        }
        parent[i] = depth ? stack[depth - 1] : NO_PARENT;
        stack[depth++] = (uint32_t)i;
    }
    return 0;
}

/* Fills \p paint for the 2^bits slots of a node (or of the top table) at
 * bit offset \p off, from the sorted prefixes [lo, hi) that lie below it,
 * and collects the runs that become children in b->kids.  \p cuts, if not
 * NULL (nodes), receives the slots where a painted range starts or ends:
 * the only places where a run of equal slots can start.
 * @returns the number of children. */
static size_t scan(build_t *b, uint32_t *paint, uint64_t *cuts, uint32_t lo,
                   uint32_t hi, unsigned off, unsigned bits, uint32_t dflt) {
    const rec_t *rec = b->rec;
    size_t slots = (size_t)1 << bits, nk = 0;

    for (size_t s = 0; s < slots; s++)
        paint[s] = dflt;
    for (uint32_t i = lo; i < hi;) {
        uint32_t c = key_bits(rec[i].hi, rec[i].lo, off, bits, b->width);

        if (rec_len(&rec[i]) <= off + bits) {
            size_t end = c + ((size_t)1 << (off + bits - rec_len(&rec[i])));

            for (size_t s = c; s < end; s++)
                paint[s] = i + 1;
            if (cuts) {
                *cuts |= 1ULL << c;
                if (end < slots)
                    *cuts |= 1ULL << end;
            }
            i++;
        } else {
            uint32_t j = i + 1;

            while (j < hi &&
                   key_bits(rec[j].hi, rec[j].lo, off, bits, b->width) == c)
                j++;
            b->kids[nk++] = (kid_t){c, i, j};
            i = j;
        }
    }
    return nk;
}

static uint32_t add_leaf(build_t *b, uint32_t pfx) {
    b->leaf_val[b->n_leaves] = pfx ? b->ent[pfx - 1].value : AM_LPM_NONE;
    b->leaf_pfx[b->n_leaves] = pfx;
    return (uint32_t)b->n_leaves++;
}

/* Queues the children found by scan() as the next nodes. */
static uint32_t add_kids(build_t *b, const uint32_t *paint, size_t nk,
                         unsigned off) {
    uint32_t first = (uint32_t)b->n_nodes;

    for (size_t k = 0; k < nk; k++)
        b->pend[b->n_nodes++] = (pend_t){b->kids[k].lo, b->kids[k].hi,
                                         paint[b->kids[k].slot], off};
    return first;
}

/* The top table: slots with longer prefixes below become nodes; the others
 * hold their value (or, if not \p direct, a leaf). */
static void compile_top(build_t *b, uint32_t *top, uint32_t *top_pfx,
                        size_t n, unsigned bits, bool direct) {
    size_t nk = scan(b, top_pfx, NULL, 0, (uint32_t)n, 0, bits, 0);
    uint32_t node = add_kids(b, top_pfx, nk, bits);
    uint32_t leaf = 0, prev = UINT32_MAX;
    size_t k = 0;

    for (size_t s = 0; s < ((size_t)1 << bits); s++) {
        uint32_t pfx = top_pfx[s];

        if (k < nk && b->kids[k].slot == s) {
            top[s] = NODE_FLAG | node++;
            k++;
        } else if (direct || !pfx) {
            top[s] = pfx ? b->ent[pfx - 1].value : AM_LPM_NONE;
        } else {
            if (pfx != prev) {
                prev = pfx;
                leaf = add_leaf(b, pfx);
            }
            top[s] = TOP_LEAF | leaf;
        }
    }
}

/* A run of equal slots gets one leaf, even where all its slots lead to
 * children (the leaf is then never read): that keeps the runs a plain
 * function of the painted slots, found at the cuts only. */
static void compile_node(build_t *b, size_t at) {
    uint32_t paint[64];
    uint64_t cuts = 0, lv = 1;
    pend_t pd = b->pend[at];
    size_t nk = scan(b, paint, &cuts, pd.lo, pd.hi, pd.off, STRIDE, pd.dflt);
    node_t *nd = &b->nodes[at];

    nd->vector = 0;
    for (size_t k = 0; k < nk; k++)
        nd->vector |= 1ULL << b->kids[k].slot;
    nd->base1 = add_kids(b, paint, nk, pd.off + STRIDE);
    nd->base0 = (uint32_t)b->n_leaves;
    for (uint64_t c = cuts & ~1ULL; c; c &= c - 1) {
        unsigned s = (unsigned)__builtin_ctzll(c);
        lv |= (uint64_t)(paint[s] != paint[s - 1]) << s;
    }
    nd->leafvec = lv;
    for (; lv; lv &= lv - 1)
        add_leaf(b, paint[__builtin_ctzll(lv)]);
    for (unsigned r = 0; r < INLINE_LEAVES; r++)
        nd->leaf[r] = nd->base0 + r < b->n_leaves ? b->leaf_val[nd->base0 + r]
                                                  : AM_LPM_NONE;
}

/* About four top slots per prefix, within the family's bounds: more would
 * cost memory for little, fewer would send more keys down to nodes. */
static unsigned top_bits_for(int family, size_t n) {
    unsigned bits = 2, max = family == AM_IPADDR_V4 ? TOP_MAX4 : TOP_MAX6;

    while (bits < max && ((size_t)1 << (bits - 2)) < n)
        bits++;
    return bits < TOP_MIN ? TOP_MIN : bits;
}

/* Upper bound of the nodes a prefix can create: one per level it passes. */
static size_t levels_below(unsigned len, unsigned top) {
    return len > top ? (len - top + STRIDE - 1) / STRIDE : 0;
}

am_lpm_t *am_lpm_build(int family, const am_lpm_entry_t *entries, size_t n,
                       char *err, size_t err_size) {
    region_t tmp[3] = {{NULL, 0}, {NULL, 0}, {NULL, 0}};
    build_t b = {0};
    am_lpm_t *lpm = NULL;
    rec_t *rec, *spare;
    size_t max_nodes = 0, max_leaves;
    unsigned top;
    bool direct = true;

    if (family != AM_IPADDR_V4 && family != AM_IPADDR_V6) {
        snprintf(err, err_size, "family %d is neither IPv4 nor IPv6", family);
        return NULL;
    }
    if (n >= MAX_NODES / 4) {
        snprintf(err, err_size, "%zu prefixes is too many", n);
        return NULL;
    }
    b.width = family == AM_IPADDR_V4 ? 32 : 128;
    top = top_bits_for(family, n);
    lpm = calloc(1, sizeof(*lpm));
    rec = region_map(&tmp[0], n * sizeof(rec_t));
    spare = region_map(&tmp[1], n * sizeof(rec_t));
    b.kids = malloc(sizeof(kid_t) * (n > 64 ? n : 64));
    if (!lpm || !rec || !spare || !b.kids)
        goto nomem;
    lpm->family = family;
    lpm->n = n;
    lpm->top_bits = top;

    for (size_t i = 0; i < n; i++) {
        if (take_entry(&entries[i], i, family, b.width, &rec[i], err,
                       err_size) != 0)
            goto fail;
        max_nodes += levels_below(entries[i].prefix.len, top);
        direct &= entries[i].value < NODE_FLAG;
    }
    /* Node and leaf positions must fit below the top entries' flags. */
    max_leaves = max_nodes + 2 * n + 1;
    if (max_nodes >= MAX_NODES || max_leaves >= MAX_NODES) {
        snprintf(err, err_size, "%zu prefixes this long are too many", n);
        goto fail;
    }
    rec = radix_sort(rec, spare, n);
    b.rec = rec;
    b.ent = lpm->ent =
        region_map(&lpm->region[R_ENT], n * sizeof(am_lpm_entry_t));
    lpm->parent = region_map(&lpm->region[R_PARENT], n * sizeof(uint32_t));
    if (!lpm->ent || !lpm->parent)
        goto nomem;
    if (link_sorted(rec, n, family, entries, lpm->region[R_ENT].p,
                    lpm->region[R_PARENT].p, err, err_size) != 0)
        goto fail;

    /* A node has at most 2s + 1 runs of leaves when s prefixes end in it,
     * as has the top table, and each prefix ends in exactly one of them:
     * hence max_leaves. */
    b.pend = region_map(&tmp[2], max_nodes * sizeof(pend_t));
    b.nodes = region_map(&lpm->region[R_NODES], max_nodes * sizeof(node_t));
    b.leaf_val = region_map(&lpm->region[R_LEAF_VAL],
                            max_leaves * sizeof(uint32_t));
    b.leaf_pfx = region_map(&lpm->region[R_LEAF_PFX],
                            max_leaves * sizeof(uint32_t));
    lpm->top = region_map(&lpm->region[R_TOP], sizeof(uint32_t) << top);
    lpm->top_pfx =
        region_map(&lpm->region[R_TOP_PFX], sizeof(uint32_t) << top);
    if (!b.pend || !b.nodes || !b.leaf_val || !b.leaf_pfx || !lpm->top ||
        !lpm->top_pfx)
        goto nomem;

    compile_top(&b, lpm->region[R_TOP].p, lpm->region[R_TOP_PFX].p, n, top,
                direct);
    for (size_t at = 0; at < b.n_nodes; at++)
        compile_node(&b, at);

    region_trim(&lpm->region[R_NODES], b.n_nodes * sizeof(node_t));
    region_trim(&lpm->region[R_LEAF_VAL], b.n_leaves * sizeof(uint32_t));
    region_trim(&lpm->region[R_LEAF_PFX], b.n_leaves * sizeof(uint32_t));
    lpm->top4 = family == AM_IPADDR_V4 ? lpm->top : none_top;
    lpm->shift4 = family == AM_IPADDR_V4 ? 32 - top : 32;
    lpm->nodes = b.nodes;
    lpm->leaf_val = b.leaf_val;
    lpm->leaf_pfx = b.leaf_pfx;
    lpm->bytes = sizeof(*lpm) + (2 * sizeof(uint32_t) << top) +
                 b.n_nodes * sizeof(node_t) +
                 b.n_leaves * 2 * sizeof(uint32_t) +
                 n * (sizeof(am_lpm_entry_t) + sizeof(uint32_t));
    for (unsigned r = 0; r < 3; r++)
        region_unmap(&tmp[r]);
    free(b.kids);
    return lpm;

nomem:
    snprintf(err, err_size, "out of memory");
fail:
    for (unsigned r = 0; r < 3; r++)
        region_unmap(&tmp[r]);
    free(b.kids);
    am_lpm_destroy(lpm);
    return NULL;
}

void am_lpm_destroy(am_lpm_t *lpm) {
    if (!lpm)
        return;
    for (unsigned r = 0; r < R_COUNT; r++)
        region_unmap(&lpm->region[r]);
    free(lpm);
}

size_t am_lpm_count(const am_lpm_t *lpm) {
    return lpm->n;
}

size_t am_lpm_memory(const am_lpm_t *lpm) {
    return lpm->bytes;
}

/* ---- covering and overlapping ------------------------------------------ */

/* The longest prefix containing the address of \p p, as a sorted index, or
 * NO_PARENT; its parent links then give every other one. */
void am_lpm_prefetch(const am_lpm_t *lpm, const am_prefix_t *p) {
    size_t s;

    if (p->family != lpm->family)
        return;
    s = load_be64(p->addr) >> (64 - lpm->top_bits);
    __builtin_prefetch(&lpm->top[s]);
    __builtin_prefetch(&lpm->top_pfx[s]);
}

static uint32_t longest_at(const am_lpm_t *lpm, const am_prefix_t *p) {
    uint32_t pfx;

    if (lpm->family == AM_IPADDR_V4)
        pfx = pfx_of(lpm, load_be64(p->addr) & ~0ULL << 32, 0, 32);
    else
        pfx = pfx_of(lpm, load_be64(p->addr), load_be64(p->addr + 8), 128);
    return pfx ? pfx - 1 : NO_PARENT;
}

size_t am_lpm_covering(const am_lpm_t *lpm, const am_prefix_t *p,
                       uint32_t *values, size_t max) {
    size_t count = 0;

    if (p->family != lpm->family)
        return 0;
    for (uint32_t i = longest_at(lpm, p); i != NO_PARENT;
         i = lpm->parent[i]) {
        if (lpm->ent[i].prefix.len > p->len)
            continue;
        if (count < max)
            values[count] = lpm->ent[i].value;
        count++;
    }
    return count;
}

/* (key, length) order of the sorted array: < 0, 0 or > 0. */
static int cmp_key(const am_prefix_t *a, uint64_t hi, uint64_t lo,
                   unsigned len) {
    uint64_t ahi = load_be64(a->addr), alo = load_be64(a->addr + 8);

    if (ahi != hi)
        return ahi < hi ? -1 : 1;
    if (alo != lo)
        return alo < lo ? -1 : 1;
    return (a->len > len) - (a->len < len);
}

size_t am_lpm_overlapping(const am_lpm_t *lpm, const am_prefix_t *range,
                          am_lpm_visit_cb *cb, void *opaque) {
    am_prefix_t r = *range;
    uint64_t hi, lo;
    size_t visited = 0, first = 0, last = lpm->n;

    if (r.family != lpm->family)
        return 0;
    am_ipaddr_mask(&r);
    for (uint32_t i = longest_at(lpm, &r); i != NO_PARENT;
         i = lpm->parent[i]) {
        if (lpm->ent[i].prefix.len > r.len)
            continue;
        visited++;
        if (cb(lpm->ent[i].value, &lpm->ent[i].prefix, opaque))
            return visited;
    }

    /* The longer prefixes inside the range follow (range, len) in the
     * sorted array, up to the first one outside it. */
    hi = load_be64(r.addr);
    lo = load_be64(r.addr + 8);
    while (first < last) {
        size_t mid = first + (last - first) / 2;
        if (cmp_key(&lpm->ent[mid].prefix, hi, lo, r.len) <= 0)
            first = mid + 1;
        else
            last = mid;
    }
    for (size_t i = first; i < lpm->n; i++) {
        const am_prefix_t *p = &lpm->ent[i].prefix;

        if (!key_in(hi, lo, r.len, load_be64(p->addr),
                    load_be64(p->addr + 8)))
            break;
        visited++;
        if (cb(lpm->ent[i].value, p, opaque))
            break;
    }
    return visited;
}
