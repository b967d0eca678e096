/*
 * window: see window.h.
 */
#include "window.h"

#include <pthread.h>
#include <sched.h>
#include <stdalign.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "hash.h"
#include "stix_pattern.h"

#define NONE UINT32_MAX
#define KEY_MAX 255 /* longest name posted: a canonical one has 253 */
#define FIND_STEP 4096 /* entries or postings a look-up reads at a time */

/* The copies of the events live in blocks filled one after the other: an
 * add costs no malloc, and a block whose copies all left is used again
 * (window_add in bench_live, bench/README.md). */
#define BLOCK_SIZE ((size_t)1 << 20)
#define SPARE_BLOCKS 4
#define TOUCH_STRIDE 4096 /* the smallest page: each page is touched */

typedef struct block_s {
    struct block_s *next; /* in the spare list */
    size_t size, used;
    size_t live; /* copies in it that are in the window */
    alignas(max_align_t) unsigned char data[];
} block_t;

typedef struct entry_s {
    const unsigned char *pk; /* packed copy (pk_into()), in blk; NULL
                              * once dropped */
    block_t *blk;
    const char *topic;
    size_t bytes;     /* accounted: copy, postings, slot */
    int64_t expires;  /* Unix seconds */
    uint64_t version;
    int32_t partition;
    int64_t offset;
    uint64_t first_post; /* its postings start there in the log */
} entry_t;

/* A posting: one key of an observable, known by its 64-bit hash alone
 * (two keys of one hash are told apart by the look-up's check against the
 * observable itself), and where that observable is. */
typedef struct posting_s {
    uint64_t hash;
    uint64_t at; /* entry seq << 16 | observable */
} posting_t;

/* A ring indexed by ever-growing numbers, in segments of SEG elements:
 * it grows by a segment (now and then doubling the directory of segment
 * pointers), never by moving its elements, so that no add copies the
 * window under its mutex (doubling a ring of 1M entries copied 80 MB: a
 * 44 ms add in bench_live's window_add_longest). */
#define SEG_SHIFT 10
#define SEG ((uint64_t)1 << SEG_SHIFT)

typedef struct segring_s {
    void **dir;     /* segment k at dir[k & (dir_cap - 1)]; NULL: none */
    size_t dir_cap; /* power of two */
    size_t elem;    /* bytes an element */
    size_t n_seg;   /* allocated, the spare included */
    void *spare;    /* an emptied segment, kept for the next */
} segring_t;

struct am_window_s {
    pthread_mutex_t mu;
    atomic_int adders_waiting; /* for mu: a look-up's pause lets them in */
    am_window_opts_t opts;
    segring_t ring; /* entry_t */
    uint64_t head;   /* oldest seq held (or == tail when empty) */
    uint64_t tail;   /* next seq */
    size_t count;    /* entries with an event */
    size_t bytes;    /* accounted */
    /* Blocks of copies: the one being filled, and emptied ones kept. */
    block_t *cur, *spare;
    size_t block_bytes;
    /* Changed under mu; read without it by block_ready(), which brings a
     * block in when none is left. */
    atomic_size_t n_spare;
    /* Index: a log of postings (posting_t) in arrival order, a ring like
     * the entries, from the head entry's first posting to the tail. */
    segring_t post;
    uint64_t post_head, post_tail;
    uint64_t expire_at; /* the entry am_window_expire() visits next */
    uint64_t seed;
};

/* ---- flat event copies --------------------------------------------------- */

static const size_t str_fields[] = {
    offsetof(am_event_t, id),          offsetof(am_event_t, category),
    offsetof(am_event_t, severity),    offsetof(am_event_t, source),
    offsetof(am_event_t, tlp),         offsetof(am_event_t, time),
    offsetof(am_event_t, description), offsetof(am_event_t, valid_until),
    offsetof(am_event_t, protocol),    offsetof(am_event_t, tag),
    offsetof(am_event_t, format),      offsetof(am_event_t, feed),
    offsetof(am_event_t, report_type), offsetof(am_event_t, name),
    offsetof(am_event_t, pattern),     offsetof(am_event_t, valid_from),
    offsetof(am_event_t, taxonomy),    offsetof(am_event_t, type),
    offsetof(am_event_t, identifier),  offsetof(am_event_t, n6_category),
    offsetof(am_event_t, context),
};
#define N_STR_FIELDS (sizeof(str_fields) / sizeof(str_fields[0]))

static const char **field(am_event_t *ev, size_t off) {
    return (const char **)(void *)((char *)ev + off);
}

static const char *get_field(const am_event_t *ev, size_t off) {
    const char *s;

    memcpy(&s, (const char *)ev + off, sizeof(s));
    return s;
}

static size_t slen(const char *s) {
    return s ? strlen(s) + 1 : 0;
}

/* Copies s to *p (when not NULL) and advances *p: stpcpy() makes one
 * pass, where strlen() and memcpy() took two. */
static const char *put(char **p, const char *s) {
    char *d = *p;

    if (!s)
        return NULL;
    *p = stpcpy(d, s) + 1;
    return d;
}

/* Where a flat copy of \p ev puts its observables, its CVE pointers and
 * its text (offsets from its start): one layout for sizing and writing. */
typedef struct layout_s {
    size_t obs, cves, text;
} layout_t;

static layout_t layout(const am_event_t *ev) {
    layout_t l;

    l.obs = (sizeof(am_event_t) + 15) & ~(size_t)15;
    l.cves = (l.obs + ev->n_obs * sizeof(am_observable_t) + 15) &
             ~(size_t)15;
    l.text = l.cves + ev->n_cves * sizeof(char *);
    return l;
}

/* The size of the flat copy of \p ev with \p topic. */
static size_t copy_size(const am_event_t *ev, const char *topic) {
    size_t size = layout(ev).text;

    for (size_t i = 0; i < N_STR_FIELDS; i++)
        size += slen(get_field(ev, str_fields[i]));
    for (size_t i = 0; i < ev->n_obs; i++)
        size += slen(ev->obs[i].value) + slen(ev->obs[i].host);
    for (size_t i = 0; i < ev->n_cves; i++)
        size += slen(ev->cves[i]);
    return size + slen(topic);
}

/* Writes the flat copy of \p ev into \p mem (copy_size() bytes, aligned
 * for an am_event_t). */
static am_event_t *copy_into(void *mem, const am_event_t *ev,
                             const char *topic, const char **topic_copy) {
    am_event_t *c = mem;
    layout_t l = layout(ev);
    char *p;

    *c = *ev;
    memset(&c->arena, 0, sizeof(c->arena));
    c->obs = (am_observable_t *)(void *)((char *)c + l.obs);
    c->cap_obs = ev->n_obs;
    c->cves = (const char **)(void *)((char *)c + l.cves);
    p = (char *)c + l.text;
    for (size_t i = 0; i < N_STR_FIELDS; i++)
        *field(c, str_fields[i]) = put(&p, get_field(ev, str_fields[i]));
    for (size_t i = 0; i < ev->n_obs; i++) {
        c->obs[i] = ev->obs[i];
        c->obs[i].value = put(&p, ev->obs[i].value);
        c->obs[i].host = put(&p, ev->obs[i].host);
    }
    for (size_t i = 0; i < ev->n_cves; i++)
        c->cves[i] = put(&p, ev->cves[i]);
    if (topic_copy)
        *topic_copy = put(&p, topic);
    return c;
}

am_event_t *am_window_event_copy(const am_event_t *ev, const char *topic,
                                 const char **topic_copy, size_t *bytes) {
    void *mem;

    *bytes = copy_size(ev, topic);
    if (!(mem = malloc(*bytes)))
        return NULL;
    return copy_into(mem, ev, topic, topic_copy);
}

/* ---- packed copies ------------------------------------------------------- */

/*
 * The window keeps each event packed rather than as a flat am_event_t,
 * whose struct alone is 240 bytes and each observable 56 (bench_live's 1M
 * indicators: 521.8 MB flat, 242.8 MB packed):
 *
 *   header   uint16 observables, uint8 CVEs, uint8 kind, uint32 text
 *            fields present (bit i: str_fields[i]), int32 confidence,
 *            int32 port, uint32 offset of the text
 *   uint32   offset of each observable
 *   each     uint8 type, target, flags (PK_VALUE, PK_HOST); by target an
 *   observable  am_prefix_t (IP) or a uint32 (ASN); with a host, its
 *            uint16 length and the host; the value; each NUL-terminated
 *   text     the present fields, the CVEs and the topic, NUL-terminated
 *
 * Nothing is aligned: the numbers are read with memcpy().  Look-ups read
 * an observable in place (pk_obs()); a hit gets a flat copy made from it
 * (pk_copy()).
 */
#define PK_HEAD 20
#define PK_VALUE 1
#define PK_HOST 2
_Static_assert(N_STR_FIELDS <= 32, "a bit for each text field");

typedef struct pk_head_s {
    uint16_t n_obs;
    uint8_t n_cves, kind;
    uint32_t present;
    int32_t confidence, port;
    uint32_t text;
} pk_head_t;

static pk_head_t pk_head(const unsigned char *pk) {
    pk_head_t h;

    memcpy(&h.n_obs, pk, 2);
    h.n_cves = pk[2];
    h.kind = pk[3];
    memcpy(&h.present, pk + 4, 4);
    memcpy(&h.confidence, pk + 8, 4);
    memcpy(&h.port, pk + 12, 4);
    memcpy(&h.text, pk + 16, 4);
    return h;
}

static uint16_t pk_n_obs(const unsigned char *pk) {
    uint16_t n;

    memcpy(&n, pk, 2);
    return n;
}

/* The bytes of observable \p o before its text. */
static size_t pk_obs_fixed(const am_observable_t *o) {
    return 3 +
           (o->target == AM_TARGET_IP    ? sizeof(am_prefix_t)
            : o->target == AM_TARGET_ASN ? 4
                                         : 0) +
           (o->host ? 2 : 0);
}

/* The size of the packed copy of \p ev with \p topic. */
static size_t pk_size(const am_event_t *ev, const char *topic) {
    size_t size = PK_HEAD + 4 * ev->n_obs;

    for (size_t i = 0; i < ev->n_obs; i++)
        size += pk_obs_fixed(&ev->obs[i]) + slen(ev->obs[i].value) +
                (ev->obs[i].host ? ev->obs[i].host_len + 1 : 0);
    for (size_t i = 0; i < N_STR_FIELDS; i++)
        size += slen(get_field(ev, str_fields[i]));
    for (size_t i = 0; i < ev->n_cves; i++)
        size += slen(ev->cves[i]);
    return size + slen(topic);
}

/* Packs \p ev with \p topic into \p pk (pk_size() bytes); *topic_copy
 * receives the topic's copy (NULL: none). */
static void pk_into(unsigned char *pk, const am_event_t *ev,
                    const char *topic, const char **topic_copy) {
    char *p = (char *)pk + PK_HEAD + 4 * ev->n_obs;
    uint16_t n_obs = (uint16_t)ev->n_obs;
    uint32_t present = 0, text;
    int32_t confidence = ev->confidence, port = ev->port;

    for (size_t i = 0; i < ev->n_obs; i++) {
        const am_observable_t *o = &ev->obs[i];
        uint32_t off = (uint32_t)(p - (char *)pk);

        memcpy(pk + PK_HEAD + 4 * i, &off, 4);
        p[0] = (char)o->type;
        p[1] = (char)o->target;
        p[2] = (char)((o->value ? PK_VALUE : 0) | (o->host ? PK_HOST : 0));
        p += 3;
        if (o->target == AM_TARGET_IP) {
            memcpy(p, &o->prefix, sizeof(o->prefix));
            p += sizeof(o->prefix);
        } else if (o->target == AM_TARGET_ASN) {
            memcpy(p, &o->asn, 4);
            p += 4;
        }
        if (o->host) {
            uint16_t hl = (uint16_t)o->host_len; /* a name: <= 253 */
            memcpy(p, &hl, 2);
            memcpy(p + 2, o->host, hl); /* hl bytes: what pk_obs() skips */
            p[2 + hl] = '\0';
            p += 2 + hl + 1;
        }
        if (o->value)
            p = stpcpy(p, o->value) + 1;
    }
    text = (uint32_t)(p - (char *)pk);
    for (size_t i = 0; i < N_STR_FIELDS; i++) {
        const char *f = get_field(ev, str_fields[i]);
        if (f) {
            present |= UINT32_C(1) << i;
            p = stpcpy(p, f) + 1;
        }
    }
    for (size_t i = 0; i < ev->n_cves; i++)
        p = stpcpy(p, ev->cves[i]) + 1;
    *topic_copy = NULL;
    if (topic) {
        *topic_copy = p;
        strcpy(p, topic);
    }
    memcpy(pk, &n_obs, 2);
    pk[2] = (unsigned char)ev->n_cves;
    pk[3] = ev->kind;
    memcpy(pk + 4, &present, 4);
    memcpy(pk + 8, &confidence, 4);
    memcpy(pk + 12, &port, 4);
    memcpy(pk + 16, &text, 4);
}

/* Observable \p i of a packed copy, its text in place. */
static void pk_obs(const unsigned char *pk, size_t i, am_observable_t *o) {
    const unsigned char *p;
    uint32_t off;
    uint8_t flags;

    memcpy(&off, pk + PK_HEAD + 4 * i, 4);
    p = pk + off;
    memset(o, 0, sizeof(*o));
    o->type = p[0];
    o->target = p[1];
    flags = p[2];
    p += 3;
    if (o->target == AM_TARGET_IP) {
        memcpy(&o->prefix, p, sizeof(o->prefix));
        p += sizeof(o->prefix);
    } else if (o->target == AM_TARGET_ASN) {
        memcpy(&o->asn, p, 4);
        p += 4;
    }
    if (flags & PK_HOST) {
        uint16_t hl;
        memcpy(&hl, p, 2);
        o->host_len = hl;
        o->host = (const char *)p + 2;
        p += 2 + hl + 1;
    }
    if (flags & PK_VALUE)
        o->value = (const char *)p;
}

/* A flat copy (am_window_event_copy()) of a packed one. */
static am_event_t *pk_copy(const unsigned char *pk, const char *topic,
                           const char **topic_copy, size_t *bytes) {
    pk_head_t h = pk_head(pk);
    const char *cves[AM_EVENT_MAX_CVES], *p = (const char *)pk + h.text;
    am_event_t tmp, *copy;

    memset(&tmp, 0, sizeof(tmp));
    tmp.kind = h.kind;
    tmp.confidence = h.confidence;
    tmp.port = h.port;
    tmp.n_obs = h.n_obs;
    if (!(tmp.obs = malloc((h.n_obs ? h.n_obs : 1) * sizeof(*tmp.obs))))
        return NULL;
    for (size_t i = 0; i < h.n_obs; i++)
        pk_obs(pk, i, &tmp.obs[i]);
    for (size_t i = 0; i < N_STR_FIELDS; i++)
        if (h.present & UINT32_C(1) << i) {
            *field(&tmp, str_fields[i]) = p;
            p += strlen(p) + 1;
        }
    for (size_t i = 0; i < h.n_cves && i < AM_EVENT_MAX_CVES; i++) {
        cves[i] = p;
        p += strlen(p) + 1;
    }
    tmp.cves = cves;
    tmp.n_cves = h.n_cves;
    copy = am_window_event_copy(&tmp, topic, topic_copy, bytes);
    free(tmp.obs);
    return copy;
}

/* A block of the usual size, or NULL when out of memory. */
static block_t *block_new(void) {
    block_t *b = malloc(BLOCK_SIZE);

    if (b)
        b->size = BLOCK_SIZE - sizeof(*b);
    return b;
}

/* Under the mutex: a block of the usual size joins the spares, if they
 * have room.  @returns whether it did. */
static bool spare_push(am_window_t *w, block_t *b) {
    if (b->size != BLOCK_SIZE - sizeof(*b) ||
        atomic_load_explicit(&w->n_spare, memory_order_relaxed) >=
            SPARE_BLOCKS)
        return false;
    b->next = w->spare;
    w->spare = b;
    atomic_fetch_add_explicit(&w->n_spare, 1, memory_order_relaxed);
    return true;
}

/* A block none of whose copies is in the window: kept as a spare (a few
 * of the usual size), else freed. */
static void block_empty(am_window_t *w, block_t *b) {
    if (spare_push(w, b))
        return;
    w->block_bytes -= sizeof(*b) + b->size;
    free(b);
}

/* A copy in block \p b left the window. */
static void block_release(am_window_t *w, block_t *b) {
    if (--b->live == 0 && b != w->cur)
        block_empty(w, b);
}

/* Room for a copy of \p size bytes in the block being filled, or in a new
 * one (a spare, or allocated; a copy larger than a block gets its own).
 * @returns the room, *blk its block, or NULL when out of memory. */
static void *block_alloc(am_window_t *w, size_t size, block_t **blk) {
    size_t need = size; /* a pack needs no alignment */
    block_t *b = w->cur;

    if (!b || b->size - b->used < need) {
        if (need <= BLOCK_SIZE - sizeof(*b) && w->spare) {
            b = w->spare;
            w->spare = b->next;
            atomic_fetch_sub_explicit(&w->n_spare, 1, memory_order_relaxed);
        } else if (need <= BLOCK_SIZE - sizeof(*b)) {
            if (!(b = block_new()))
                return NULL;
            w->block_bytes += BLOCK_SIZE;
        } else {
            if (!(b = malloc(sizeof(*b) + need)))
                return NULL;
            b->size = need;
            w->block_bytes += sizeof(*b) + need;
        }
        b->used = 0;
        b->live = 0;
        if (w->cur && w->cur->live == 0)
            block_empty(w, w->cur);
        w->cur = b;
    }
    *blk = b;
    b->live++;
    b->used += need;
    return b->data + b->used - need;
}

/* A block for the spares when none is left, its pages touched before
 * the caller takes the mutex: a growing window otherwise took a fault on
 * each page of a new block while holding it, and the other lane waited
 * (bench/README.md, item 25).  @returns NULL when a spare is there (read
 * without the mutex: at worst one block too many, which block_keep()
 * gives back). */
static block_t *block_ready(am_window_t *w) {
    block_t *b;

    if (atomic_load_explicit(&w->n_spare, memory_order_relaxed) ||
        !(b = block_new()))
        return NULL;
    for (size_t i = 0; i < BLOCK_SIZE; i += TOUCH_STRIDE)
        ((volatile unsigned char *)b)[i] = 0;
    return b;
}

/* Under the mutex: \p b (from block_ready()) joins the spares, if they
 * have room.  @returns what is left for the caller to free, after it
 * lets go of the mutex. */
static block_t *block_keep(am_window_t *w, block_t *b) {
    if (!b || !spare_push(w, b))
        return b;
    w->block_bytes += BLOCK_SIZE;
    return NULL;
}

/* ---- segmented rings -------------------------------------------------------- */

static void *sr_at(const segring_t *r, uint64_t i) {
    return (char *)r->dir[(i >> SEG_SHIFT) & (r->dir_cap - 1)] +
           (i & (SEG - 1)) * r->elem;
}

/* Room for element \p tail while \p head.. are held.  @returns 0, or -1
 * when out of memory (the ring is unchanged). */
static int sr_reserve(segring_t *r, uint64_t head, uint64_t tail) {
    uint64_t first = head >> SEG_SHIFT, k = tail >> SEG_SHIFT;
    void *seg;

    if (k - first + 1 > r->dir_cap) {
        size_t cap = r->dir_cap ? r->dir_cap * 2 : 4;
        void **nd = calloc(cap, sizeof(*nd));
        if (!nd)
            return -1;
        for (uint64_t j = first; j < k; j++)
            nd[j & (cap - 1)] = r->dir[j & (r->dir_cap - 1)];
        free(r->dir);
        r->dir = nd;
        r->dir_cap = cap;
    } else if (r->dir[k & (r->dir_cap - 1)]) {
        return 0; /* tail is inside its segment, or an add that failed
                   * made it */
    }
    if ((seg = r->spare)) {
        r->spare = NULL;
    } else {
        if (!(seg = malloc(SEG * r->elem)))
            return -1;
        r->n_seg++;
    }
    r->dir[k & (r->dir_cap - 1)] = seg;
    return 0;
}

/* The head moved from \p from to \p to: the segments wholly before it
 * go (one kept as the spare). */
static void sr_release(segring_t *r, uint64_t from, uint64_t to) {
    for (uint64_t j = from >> SEG_SHIFT; j < to >> SEG_SHIFT; j++) {
        void **slot = &r->dir[j & (r->dir_cap - 1)];
        if (!*slot)
            continue;
        if (r->spare) {
            free(*slot);
            r->n_seg--;
        } else {
            r->spare = *slot;
        }
        *slot = NULL;
    }
}

static void sr_free(segring_t *r) {
    for (size_t i = 0; i < r->dir_cap; i++)
        free(r->dir[i]);
    free(r->dir);
    free(r->spare);
}

/* ---- the index ------------------------------------------------------------ */

/* The hash of key \p tag + \p b (n bytes). */
static uint64_t key(const am_window_t *w, unsigned char tag, const void *b,
                    size_t n) {
    return am_hash_bytes(b, n, w->seed ^ am_hash_mix(tag));
}

static int post(am_window_t *w, uint64_t hash, uint64_t seq, uint16_t obs) {
    if (sr_reserve(&w->post, w->post_head, w->post_tail) < 0)
        return -1;
    *(posting_t *)sr_at(&w->post, w->post_tail++) =
        (posting_t){hash, seq << 16 | obs};
    return 0;
}

/* Posts the keys of observable i of entry seq, counting them in *count.
 * @returns 0, or -1 when out of memory. */
static int obs_keys(am_window_t *w, const am_observable_t *o, uint64_t seq,
                    uint16_t i, uint32_t *count) {
    int rc = 0;

    if (o->target == AM_TARGET_DOMAIN) {
        const char *h = o->host;
        size_t n = o->host_len;
        if (n > KEY_MAX)
            return 0; /* not a name a domain asset can equal */
        for (;;) {
            if ((rc = post(w, key(w, 'D', h, n), seq, i)) < 0)
                return rc;
            (*count)++;
            const char *dot = memchr(h, '.', n);
            if (!dot)
                break;
            n -= (size_t)(dot + 1 - h);
            h = dot + 1;
        }
    } else if (o->target == AM_TARGET_IP) {
        const am_prefix_t *p = &o->prefix;
        bool v4 = p->family == AM_IPADDR_V4;
        size_t width = v4 ? 2 : 4;
        if (p->len >= width * 8)
            rc = post(w, key(w, v4 ? '4' : '6', p->addr, width), seq, i);
        else
            rc = post(w, key(w, 'w', v4 ? "4" : "6", 1), seq, i);
        (*count)++;
    } else if (o->target == AM_TARGET_ASN) {
        rc = post(w, key(w, 'A', &o->asn, 4), seq, i);
        (*count)++;
    }
    return rc;
}

static entry_t *slot(am_window_t *w, uint64_t seq) {
    return sr_at(&w->ring, seq);
}

/* ---- entries ---------------------------------------------------------------- */

static void drop(am_window_t *w, entry_t *e) {
    block_release(w, e->blk);
    e->pk = NULL;
    e->blk = NULL;
    w->bytes -= e->bytes;
    w->count--;
}

static void advance_head(am_window_t *w) {
    uint64_t head = w->head, post_head = w->post_head;

    while (w->head < w->tail && !slot(w, w->head)->pk)
        w->head++;
    w->post_head = w->head < w->tail ? slot(w, w->head)->first_post
                                     : w->post_tail;
    sr_release(&w->ring, head, w->head);
    sr_release(&w->post, post_head, w->post_head);
}

static void enforce_cap(am_window_t *w) {
    while (w->bytes > w->opts.max_bytes && w->head < w->tail) {
        drop(w, slot(w, w->head));
        advance_head(w);
    }
}

am_window_t *am_window_new(const am_window_opts_t *opts) {
    am_window_t *w = calloc(1, sizeof(*w));

    if (!w)
        return NULL;
    w->opts = *opts;
    w->ring.elem = sizeof(entry_t);
    w->post.elem = sizeof(posting_t);
    w->seed = 0x5bd1e9955bd1e995ULL ^ (uint64_t)(uintptr_t)w;
    pthread_mutex_init(&w->mu, NULL);
    return w;
}

void am_window_destroy(am_window_t *w) {
    if (!w)
        return;
    for (uint64_t s = w->head; s < w->tail; s++)
        if (slot(w, s)->pk)
            block_release(w, slot(w, s)->blk);
    if (w->cur)
        block_empty(w, w->cur);
    while (w->spare) {
        block_t *b = w->spare;
        w->spare = b->next;
        free(b);
    }
    sr_free(&w->ring);
    sr_free(&w->post);
    pthread_mutex_destroy(&w->mu);
    free(w);
}

/* Unix seconds of a timestamp, or def when absent or unreadable. */
static int64_t when(const char *s, int64_t def) {
    am_stix_time_t t;

    if (!s || am_stix_time_parse(s, strlen(s), &t) < 0)
        return def;
    return t.sec;
}

/* What an add decides before it takes the mutex. */
typedef struct pending_s {
    int64_t expires;
    size_t bytes; /* of the copy */
} pending_t;

/* @returns 0 when \p ev is to be kept (*pd says until when, and the size
 *          of its copy), 1 when not. */
static int prepare(const am_window_t *w, const am_event_t *ev,
                   const am_origin_t *origin, int64_t now, pending_t *pd) {
    int64_t seen, expires;

    if (ev->kind != AM_EVENT_INDICATOR || !ev->n_obs || !ev->id)
        return 1;
    seen = when(ev->time, now);
    if (seen > now)
        seen = now;
    expires = seen + w->opts.max_age_s;
    if (ev->valid_until) {
        int64_t until = when(ev->valid_until, expires);
        if (until < expires)
            expires = until;
    }
    if (expires <= now)
        return 1;
    pd->expires = expires;
    pd->bytes = pk_size(ev, origin ? origin->topic : NULL);
    return 0;
}

/* Takes the mutex to add: a look-up pausing between its steps waits
 * until the adds that wait have had it (find_step()). */
static void lock_to_add(am_window_t *w) {
    atomic_fetch_add_explicit(&w->adders_waiting, 1, memory_order_relaxed);
    pthread_mutex_lock(&w->mu);
    atomic_fetch_sub_explicit(&w->adders_waiting, 1, memory_order_relaxed);
}

/* Keeps \p ev, under the mutex.  @returns 0, or -1 when out of memory. */
static int insert(am_window_t *w, const am_event_t *ev,
                  const am_origin_t *origin, uint64_t version,
                  const pending_t *pd) {
    uint64_t first = w->post_tail;
    uint32_t cnt = 0;
    block_t *blk;
    entry_t *e;
    void *mem;

    if (sr_reserve(&w->ring, w->head, w->tail) < 0)
        return -1;
    for (size_t i = 0; i < ev->n_obs; i++)
        if (obs_keys(w, &ev->obs[i], w->tail, (uint16_t)i, &cnt) < 0)
            goto fail;
    if (!(mem = block_alloc(w, pd->bytes, &blk)))
        goto fail;
    e = slot(w, w->tail++);
    *e = (entry_t){.blk = blk,
                   .expires = pd->expires,
                   .version = version,
                   .partition = origin ? origin->partition : -1,
                   .offset = origin ? origin->offset : -1,
                   .first_post = first};
    pk_into(mem, ev, origin ? origin->topic : NULL, &e->topic);
    e->pk = mem;
    e->bytes = pd->bytes + sizeof(entry_t) + cnt * sizeof(posting_t);
    w->bytes += e->bytes;
    w->count++;
    enforce_cap(w);
    return 0;
fail:
    w->post_tail = first; /* the postings made belong to no entry */
    return -1;
}

int am_window_add(am_window_t *w, const am_event_t *ev,
                  const am_origin_t *origin, uint64_t version, int64_t now) {
    pending_t pd;
    int rc;

    if (prepare(w, ev, origin, now, &pd))
        return 1;
    lock_to_add(w);
    rc = insert(w, ev, origin, version, &pd);
    pthread_mutex_unlock(&w->mu);
    return rc;
}

size_t am_window_add_all(am_window_t *w, const am_event_t *const *evs,
                         const am_origin_t *origins, size_t n,
                         uint64_t version, int64_t now) {
    enum { GROUP = 64 }; /* events prepared at a time, on the stack */
    pending_t pd[GROUP];
    bool keep[GROUP];
    size_t kept = 0;
    block_t *fresh;

    for (size_t first = 0; first < n; first += GROUP) {
        size_t m = n - first < GROUP ? n - first : GROUP, todo = 0;

        for (size_t i = 0; i < m; i++) {
            keep[i] = prepare(w, evs[first + i], &origins[first + i], now,
                              &pd[i]) == 0;
            todo += keep[i];
        }
        if (!todo)
            continue;
        fresh = block_ready(w);
        lock_to_add(w);
        fresh = block_keep(w, fresh);
        for (size_t i = 0; i < m; i++)
            if (keep[i] && insert(w, evs[first + i], &origins[first + i],
                                  version, &pd[i]) == 0)
                kept++;
        pthread_mutex_unlock(&w->mu);
        free(fresh);
    }
    return kept;
}

/* Visits AM_WINDOW_EXPIRE_STEP entries at most, from where the last call
 * stopped, wrapping from the newest to the oldest: a window of 1M entries
 * took 11 ms a call under the mutex (bench_live window_expire), every
 * second and while every lane's add waited.  Look-ups skip an entry due
 * but not visited yet, so only its memory waits. */
void am_window_expire(am_window_t *w, int64_t now) {
    uint64_t s, n;

    pthread_mutex_lock(&w->mu);
    s = w->expire_at >= w->head && w->expire_at < w->tail ? w->expire_at
                                                          : w->head;
    n = w->tail - w->head < AM_WINDOW_EXPIRE_STEP ? w->tail - w->head
                                                  : AM_WINDOW_EXPIRE_STEP;
    for (; n > 0; n--) {
        entry_t *e = slot(w, s);
        if (e->pk && e->expires <= now)
            drop(w, e);
        if (++s == w->tail)
            s = w->head;
    }
    w->expire_at = s;
    advance_head(w);
    enforce_cap(w);
    pthread_mutex_unlock(&w->mu);
}

/* ---- look-ups --------------------------------------------------------------- */

static bool overlap(const am_prefix_t *a, const am_prefix_t *b) {
    unsigned m = a->len < b->len ? a->len : b->len, full = m / 8;

    if (a->family != b->family || memcmp(a->addr, b->addr, full))
        return false;
    if (m % 8) {
        unsigned char mask = (unsigned char)(0xff00 >> (m % 8));
        return ((a->addr[full] ^ b->addr[full]) & mask) == 0;
    }
    return true;
}

static bool probe_matches(const am_window_probe_t *p,
                          const am_observable_t *o) {
    switch (p->kind) {
    case AM_ASSET_IP:
        return o->target == AM_TARGET_IP && overlap(&p->prefix, &o->prefix);
    case AM_ASSET_DOMAIN:
        if (o->target != AM_TARGET_DOMAIN || o->host_len < p->value_len)
            return false;
        if (o->host_len == p->value_len)
            return !memcmp(o->host, p->value, p->value_len);
        return p->include_subdomains &&
               o->host[o->host_len - p->value_len - 1] == '.' &&
               !memcmp(o->host + o->host_len - p->value_len, p->value,
                       p->value_len);
    case AM_ASSET_KEYWORD:
        return o->target == AM_TARGET_DOMAIN && p->value_len &&
               memmem(o->host, o->host_len, p->value, p->value_len);
    case AM_ASSET_ASN:
        return o->target == AM_TARGET_ASN && o->asn == p->asn;
    }
    return false;
}

typedef struct found_s {
    uint64_t *v;
    size_t n, cap;
    bool oom;
} found_t;

static void found_add(found_t *f, uint64_t seq) {
    if (f->n == f->cap) {
        size_t cap = f->cap ? f->cap * 2 : 64;
        uint64_t *nv = realloc(f->v, cap * sizeof(*nv));
        if (!nv) {
            f->oom = true;
            return;
        }
        f->v = nv;
        f->cap = cap;
    }
    f->v[f->n++] = seq;
}

typedef struct query_s {
    am_window_t *w;
    uint64_t below;
    int64_t now;
    found_t *f;
    uint64_t read; /* elements looked at, for find_step() */
} query_t;

static const entry_t *live(const query_t *q, uint64_t seq) {
    const entry_t *e;

    if (seq < q->w->head || seq >= q->w->tail)
        return NULL;
    e = slot(q->w, seq);
    if (!e->pk || e->expires <= q->now || e->version >= q->below)
        return NULL;
    return e;
}

/* A look-up reads the log or the entries in steps of FIND_STEP and lets
 * go of the mutex between them, so that the lanes' adds wait for a step
 * (~0.5 ms of a keyword's scan), not for the look-up (a keyword's scan
 * of 1M entries takes ~0.2 s).  Called before each element \p *at of a
 * ring from \p *head to \p *tail is read, this pauses at every
 * FIND_STEP-th element of the look-up, then moves *at past what left
 * meanwhile.  @returns false when nothing is left to read. */
static bool find_step(query_t *q, uint64_t *at, const uint64_t *head,
                      const uint64_t *tail) {
    am_window_t *w = q->w;

    if (++q->read % FIND_STEP)
        return true;
    pthread_mutex_unlock(&w->mu);
    /* The adds waiting take the mutex first (bounded: a look-up is not
     * held off for good by a stream of adds). */
    for (int i = 0; i < 10000 && atomic_load_explicit(&w->adders_waiting,
                                                       memory_order_relaxed);
         i++)
        sched_yield();
    pthread_mutex_lock(&w->mu);
    if (*at < *head)
        *at = *head;
    return *at < *tail;
}

/* Every live entry one of whose observables \p p matches. */
static void scan(query_t *q, const am_window_probe_t *p) {
    for (uint64_t s = q->w->head; s < q->w->tail; s++) {
        const entry_t *e;
        if (!find_step(q, &s, &q->w->head, &q->w->tail))
            break;
        e = live(q, s);
        for (size_t i = 0, n = e ? pk_n_obs(e->pk) : 0; i < n; i++) {
            am_observable_t o;
            pk_obs(e->pk, i, &o);
            if (probe_matches(p, &o)) {
                found_add(q->f, s);
                break;
            }
        }
    }
}

/* The keys the probes look for: a table of the distinct hashes, each with
 * the list of probes that want it (every IPv4 probe wants 'w' 4, and
 * probes in one /16 its key). */
typedef struct want_s {
    uint64_t hash;
    uint32_t head; /* first in wants_t.node; NONE: empty slot */
} want_t;

typedef struct wants_s {
    want_t *v;     /* NULL while counting */
    size_t mask;
    struct {
        uint32_t probe, next;
    } *node;
    size_t n; /* keys wanted (nodes) */
} wants_t;

static void want(wants_t *t, uint64_t hash, uint32_t probe) {
    size_t j;

    if (t->v) {
        for (j = hash & t->mask; t->v[j].head != NONE && t->v[j].hash != hash;
             j = (j + 1) & t->mask)
            ;
        if (t->v[j].head == NONE)
            t->v[j].hash = hash;
        t->node[t->n].probe = probe;
        t->node[t->n].next = t->v[j].head;
        t->v[j].head = (uint32_t)t->n;
    }
    t->n++;
}

/* Whether \p p looks at every entry rather than for keys: a keyword
 * (a brand name occurs anywhere in a name) or an IPv6 range shorter than
 * /32. */
static bool scans(const am_window_probe_t *p) {
    return p->kind == AM_ASSET_KEYWORD ||
           (p->kind == AM_ASSET_IP && p->prefix.family != AM_IPADDR_V4 &&
            p->prefix.len < 32);
}

/* Adds the keys probe \p p (number \p i) looks for to \p t: its own name,
 * AS number or /16 (v6: /32) and the short ranges, or for a range shorter
 * than that every /16 it spans (at most 65536 keys for /0). */
static void probe_keys(const am_window_t *w, const am_window_probe_t *p,
                       uint32_t i, wants_t *t) {
    switch (p->kind) {
    case AM_ASSET_IP: {
        bool v4 = p->prefix.family == AM_IPADDR_V4;
        unsigned bits = v4 ? 16 : 32;
        if (scans(p))
            break;
        want(t, key(w, 'w', v4 ? "4" : "6", 1), i);
        if (p->prefix.len >= bits) {
            want(t, key(w, v4 ? '4' : '6', p->prefix.addr, bits / 8), i);
        } else {
            unsigned base = (unsigned)p->prefix.addr[0] << 8 |
                            p->prefix.addr[1];
            unsigned span = 1u << (16 - p->prefix.len);
            base &= ~(span - 1);
            for (unsigned b = base; b < base + span; b++) {
                unsigned char k[2] = {(unsigned char)(b >> 8),
                                      (unsigned char)b};
                want(t, key(w, '4', k, 2), i);
            }
        }
        break;
    }
    case AM_ASSET_DOMAIN:
        if (p->value_len <= KEY_MAX)
            want(t, key(w, 'D', p->value, p->value_len), i);
        break;
    case AM_ASSET_ASN:
        want(t, key(w, 'A', &p->asn, 4), i);
        break;
    }
}

/* One pass over the postings: each whose key a probe wants is checked
 * against that probe. */
static void walk_log(query_t *q, const wants_t *t,
                     const am_window_probe_t *probes) {
    am_window_t *w = q->w;

    for (uint64_t i = w->post_head; i < w->post_tail; i++) {
        const posting_t *po;
        size_t j;
        if (!find_step(q, &i, &w->post_head, &w->post_tail))
            break;
        po = sr_at(&w->post, i);
        for (j = po->hash & t->mask;
             t->v[j].head != NONE && t->v[j].hash != po->hash;
             j = (j + 1) & t->mask)
            ;
        for (uint32_t k = t->v[j].head; k != NONE; k = t->node[k].next) {
            uint64_t seq = po->at >> 16;
            uint16_t obs = (uint16_t)po->at;
            const entry_t *e = live(q, seq);
            am_observable_t o;
            if (!e || obs >= pk_n_obs(e->pk))
                continue;
            pk_obs(e->pk, obs, &o);
            if (probe_matches(&probes[t->node[k].probe], &o))
                found_add(q->f, seq);
        }
    }
}

static int cmp_seq(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static int hits_add(am_window_hits_t *out, const entry_t *e, uint64_t seq) {
    am_window_hit_t *h;
    size_t bytes;

    if (out->n == out->cap) {
        size_t cap = out->cap ? out->cap * 2 : 16;
        am_window_hit_t *nv = realloc(out->v, cap * sizeof(*nv));
        if (!nv)
            return -1;
        out->v = nv;
        out->cap = cap;
    }
    h = &out->v[out->n];
    h->seq = seq;
    h->version = e->version;
    if (!(h->ev = pk_copy(e->pk, e->topic, &h->origin.topic, &bytes)))
        return -1;
    if (!e->topic)
        h->origin.topic = NULL;
    h->origin.partition = e->partition;
    h->origin.offset = e->offset;
    out->n++;
    return 0;
}

int am_window_find(am_window_t *w, const am_window_probe_t *probes, size_t n,
                   uint64_t below_version, int64_t now,
                   am_window_hits_t *out) {
    found_t f = {0};
    wants_t t = {0};
    query_t q = {w, below_version, now, &f, 0};
    size_t added = 0, cap = 16;

    /* The keys wanted, before the mutex: counted, then tabled. */
    for (size_t i = 0; i < n; i++)
        probe_keys(w, &probes[i], (uint32_t)i, &t);
    while (cap < 2 * t.n)
        cap *= 2;
    t.v = malloc(cap * sizeof(*t.v));
    t.node = malloc((t.n ? t.n : 1) * sizeof(*t.node));
    if (!t.v || !t.node) {
        free(t.v);
        free(t.node);
        return -1;
    }
    for (size_t j = 0; j < cap; j++)
        t.v[j].head = NONE;
    t.mask = cap - 1;
    t.n = 0;
    for (size_t i = 0; i < n; i++)
        probe_keys(w, &probes[i], (uint32_t)i, &t);

    pthread_mutex_lock(&w->mu);
    if (t.n)
        walk_log(&q, &t, probes);
    for (size_t i = 0; i < n; i++)
        if (scans(&probes[i]))
            scan(&q, &probes[i]);
    if (f.n)
        qsort(f.v, f.n, sizeof(*f.v), cmp_seq);
    for (size_t i = 0; !f.oom && i < f.n; i++) {
        /* Found before a pause, it may have left since. */
        if ((i && f.v[i] == f.v[i - 1]) || !live(&q, f.v[i]))
            continue;
        if (hits_add(out, slot(w, f.v[i]), f.v[i]) < 0) {
            f.oom = true;
            break;
        }
        added++;
    }
    pthread_mutex_unlock(&w->mu);
    free(t.v);
    free(t.node);
    free(f.v);
    return f.oom ? -1 : (int)added;
}

void am_window_hits_free(am_window_hits_t *hits) {
    for (size_t i = 0; i < hits->n; i++)
        free(hits->v[i].ev);
    free(hits->v);
    memset(hits, 0, sizeof(*hits));
}

void am_window_probe_from_asset(am_window_probe_t *probe,
                                const am_inventory_t *inv,
                                const am_asset_t *a) {
    memset(probe, 0, sizeof(*probe));
    probe->kind = a->kind;
    probe->include_subdomains = a->include_subdomains;
    probe->value = am_inventory_str(inv, a->value);
    probe->value_len = a->value_len;
    if (a->kind == AM_ASSET_IP)
        probe->prefix = a->u.prefix;
    else if (a->kind == AM_ASSET_ASN)
        probe->asn = a->u.asn;
}

size_t am_window_count(am_window_t *w) {
    size_t n;

    pthread_mutex_lock(&w->mu);
    n = w->count;
    pthread_mutex_unlock(&w->mu);
    return n;
}

size_t am_window_bytes(am_window_t *w) {
    size_t n;

    pthread_mutex_lock(&w->mu);
    n = w->bytes;
    pthread_mutex_unlock(&w->mu);
    return n;
}

size_t am_window_memory(am_window_t *w) {
    size_t n = sizeof(*w);

    pthread_mutex_lock(&w->mu);
    n += w->block_bytes;
    n += w->ring.n_seg * SEG * sizeof(entry_t) +
         w->ring.dir_cap * sizeof(void *);
    n += w->post.n_seg * SEG * sizeof(posting_t) +
         w->post.dir_cap * sizeof(void *);
    pthread_mutex_unlock(&w->mu);
    return n;
}
