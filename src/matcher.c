/*
 * matcher: see matcher.h.
 */
#include "matcher.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "asn_table.h"
#include "domain_table.h"
#include "hash.h"
#include "lpm.h"
#include "patterns.h"

/* Keys of one kind grouped: group g owns owners[off[g] .. off[g + 1]). */
typedef struct groups_s {
    uint32_t *off;
    uint32_t *owners;
    size_t n;
} groups_t;

struct am_matcher_s {
    const am_inventory_t *inv;
    bool own_inventory;
    uint64_t serial; /* unique per build, never reused */
    am_lpm_t *lpm[2]; /* [0] IPv4, [1] IPv6 */
    groups_t ip[2];
    am_domain_table_t *domains;
    groups_t dom;
    am_patterns_t *keywords;
    groups_t kw;
    am_asn_table_t *asns;
    groups_t asn;
};

struct am_match_ctx_s {
    am_patterns_scratch_t *scratch;
    /* The matcher the scratch was last fitted to: fitting it (Hyperscan's
     * hs_alloc_scratch) checks the whole database, far too slow to do per
     * scan, so it is done once per matcher. */
    uint64_t scratch_serial;
    am_match_hit_t *hits;
    size_t n_hits, cap_hits;
    am_match_result_t *results;
    size_t cap_results;
    bool oom;
};

const char *am_match_kind_name(am_match_kind_t kind) {
    static const char *const names[] = {
        "ip_exact",      "ip_cover", "ip_overlap", "domain_exact",
        "domain_parent", "asn",      "keyword"};
    return kind <= AM_MATCH_KEYWORD ? names[kind] : "?";
}

/* ---- build ------------------------------------------------------------ */

static void groups_free(groups_t *g) {
    free(g->off);
    free(g->owners);
    memset(g, 0, sizeof(*g));
}

/*
 * Grouping sorts assets by a 64-bit key of their value: the IPv4 prefix or
 * the AS number itself, a hash for the rest (equal hashes are then checked
 * with same()).  A stable radix sort keeps each owner list in load order
 * and costs a few passes over contiguous memory, where a comparison sort
 * chasing every asset's value took a third of a 1M-asset build.
 */
typedef struct keyed_s {
    uint64_t key;
    uint32_t idx;
} keyed_t;

typedef bool (*same_fn)(const am_inventory_t *inv, uint32_t a, uint32_t b);

/* Stable LSD radix sort on the low \p bits of the key, 16 bits a pass,
 * with \p count room for 65536 counters; 8 bits a pass under 4096 keys,
 * where clearing and summing 65536 counters a pass would cost more than
 * the keys (a live inventory's first, empty build; a small one's).
 * @returns the sorted array: \p a or \p tmp. */
static keyed_t *radix_sort(keyed_t *a, keyed_t *tmp, size_t *count, size_t n,
                           unsigned bits) {
    unsigned digit = n < 4096 ? 8 : 16;
    size_t radix = (size_t)1 << digit, mask = radix - 1;

    for (unsigned shift = 0; shift < bits; shift += digit) {
        size_t sum = 0;
        memset(count, 0, radix * sizeof(*count));
        for (size_t i = 0; i < n; i++)
            count[(a[i].key >> shift) & mask]++;
        for (size_t d = 0; d < radix; d++) {
            size_t c = count[d];
            count[d] = sum;
            sum += c;
        }
        for (size_t i = 0; i < n; i++)
            tmp[count[(a[i].key >> shift) & mask]++] = a[i];
        keyed_t *t = a;
        a = tmp;
        tmp = t;
    }
    return a;
}

/* Inside a run of equal hashes that hold different values (a collision),
 * the same values are brought together, still in load order. */
static int cmp_collision(const void *x, const void *y, void *inv) {
    const am_asset_t *a = am_inventory_asset(inv, ((const keyed_t *)x)->idx);
    const am_asset_t *b = am_inventory_asset(inv, ((const keyed_t *)y)->idx);
    int c = a->kind == AM_ASSET_IP
                ? memcmp(&a->u.prefix, &b->u.prefix, sizeof(a->u.prefix))
                : strcmp(am_inventory_str(inv, a->value),
                         am_inventory_str(inv, b->value));
    uint32_t i = ((const keyed_t *)x)->idx, j = ((const keyed_t *)y)->idx;
    return c ? c : (i > j) - (i < j);
}

/*
 * Sorts the \p n keyed assets and cuts them into groups of equal values.
 * Frees \p k.
 */
static int groups_make(groups_t *g, keyed_t *k, size_t n, unsigned bits,
                       same_fn same, const am_inventory_t *inv) {
    keyed_t *tmp = malloc((n ? n : 1) * sizeof(*tmp)), *sorted;
    size_t *count = malloc((1 << 16) * sizeof(*count));
    size_t ng = 0;

    g->owners = malloc((n ? n : 1) * sizeof(*g->owners));
    g->off = malloc((n + 1) * sizeof(*g->off));
    if (!tmp || !count || !g->owners || !g->off) {
        free(tmp);
        free(count);
        free(k);
        return -1;
    }
    sorted = radix_sort(k, tmp, count, n, bits);
    free(count);
    for (size_t i = 0; i < n;) {
        size_t j = i + 1;
        bool mixed = false;
        while (j < n && sorted[j].key == sorted[i].key) {
            mixed |= !same(inv, sorted[i].idx, sorted[j].idx);
            j++;
        }
        if (mixed)
            qsort_r(sorted + i, j - i, sizeof(*sorted), cmp_collision,
                    (void *)inv);
        for (size_t x = i; x < j; x++) {
            if (x == i || !same(inv, sorted[x - 1].idx, sorted[x].idx))
                g->off[ng++] = (uint32_t)x;
            g->owners[x] = sorted[x].idx;
        }
        i = j;
    }
    g->off[ng] = (uint32_t)n;
    g->n = ng;
    free(k);
    free(tmp);
    return 0;
}

static bool same_prefix(const am_inventory_t *inv, uint32_t a, uint32_t b) {
    const am_prefix_t *x = &am_inventory_asset(inv, a)->u.prefix;
    const am_prefix_t *y = &am_inventory_asset(inv, b)->u.prefix;
    return x->len == y->len && memcmp(x->addr, y->addr, 16) == 0;
}

static bool same_value(const am_inventory_t *inv, uint32_t a, uint32_t b) {
    const am_asset_t *x = am_inventory_asset(inv, a);
    const am_asset_t *y = am_inventory_asset(inv, b);
    return x->value_len == y->value_len &&
           memcmp(am_inventory_str(inv, x->value),
                  am_inventory_str(inv, y->value), x->value_len) == 0;
}

static bool same_always(const am_inventory_t *inv, uint32_t a, uint32_t b) {
    return true;
}

static const am_asset_t *group_first(const am_matcher_t *m,
                                     const groups_t *g, size_t i) {
    return am_inventory_asset(m->inv, g->owners[g->off[i]]);
}

static int build_ip(am_matcher_t *m, keyed_t *k, size_t n, int fam,
                    char *err, size_t err_size) {
    groups_t *g = &m->ip[fam == AM_IPADDR_V4 ? 0 : 1];
    am_lpm_entry_t *e;

    if (groups_make(g, k, n, fam == AM_IPADDR_V4 ? 48 : 64,
                    fam == AM_IPADDR_V4 ? same_always : same_prefix,
                    m->inv) < 0)
        goto oom;
    e = malloc((g->n ? g->n : 1) * sizeof(*e));
    if (!e)
        goto oom;
    for (size_t i = 0; i < g->n; i++) {
        e[i].prefix = group_first(m, g, i)->u.prefix;
        e[i].value = (uint32_t)i;
    }
    m->lpm[fam == AM_IPADDR_V4 ? 0 : 1] =
        am_lpm_build(fam, e, g->n, err, err_size);
    free(e);
    return m->lpm[fam == AM_IPADDR_V4 ? 0 : 1] ? 0 : -1;
oom:
    snprintf(err, err_size, "out of memory");
    return -1;
}

static int build_domains(am_matcher_t *m, keyed_t *k, size_t n,
                         char *err, size_t err_size) {
    am_domain_entry_t *e;

    if (groups_make(&m->dom, k, n, 64, same_value, m->inv) < 0)
        goto oom;
    e = malloc((m->dom.n ? m->dom.n : 1) * sizeof(*e));
    if (!e)
        goto oom;
    for (size_t i = 0; i < m->dom.n; i++) {
        const am_asset_t *a = group_first(m, &m->dom, i);
        e[i].name = am_inventory_str(m->inv, a->value);
        e[i].len = a->value_len;
        e[i].value = (uint32_t)i;
    }
    m->domains = am_domain_table_build(e, m->dom.n, err, err_size);
    free(e);
    return m->domains ? 0 : -1;
oom:
    snprintf(err, err_size, "out of memory");
    return -1;
}

static int build_keywords(am_matcher_t *m, keyed_t *k, size_t n,
                          char *err, size_t err_size) {
    const char **words;
    size_t *lens;

    if (groups_make(&m->kw, k, n, 64, same_value, m->inv) < 0)
        goto oom;
    words = malloc((m->kw.n ? m->kw.n : 1) * sizeof(*words));
    lens = malloc((m->kw.n ? m->kw.n : 1) * sizeof(*lens));
    if (!words || !lens) {
        free(words);
        free(lens);
        goto oom;
    }
    for (size_t i = 0; i < m->kw.n; i++) {
        const am_asset_t *a = group_first(m, &m->kw, i);
        words[i] = am_inventory_str(m->inv, a->value);
        lens[i] = a->value_len;
    }
    m->keywords = am_patterns_build(words, lens, m->kw.n, err, err_size);
    free(words);
    free(lens);
    return m->keywords ? 0 : -1;
oom:
    snprintf(err, err_size, "out of memory");
    return -1;
}

static int build_asns(am_matcher_t *m, keyed_t *k, size_t n, char *err,
                      size_t err_size) {
    am_asn_entry_t *e;

    if (groups_make(&m->asn, k, n, 32, same_always, m->inv) < 0)
        goto oom;
    e = malloc((m->asn.n ? m->asn.n : 1) * sizeof(*e));
    if (!e)
        goto oom;
    for (size_t i = 0; i < m->asn.n; i++) {
        e[i].asn = group_first(m, &m->asn, i)->u.asn;
        e[i].value = (uint32_t)i;
    }
    m->asns = am_asn_table_build(e, m->asn.n, err, err_size);
    free(e);
    return m->asns ? 0 : -1;
oom:
    snprintf(err, err_size, "out of memory");
    return -1;
}

am_matcher_t *am_matcher_build(const am_inventory_t *inv,
                               const am_matcher_opts_t *opts, char *err,
                               size_t err_size) {
    enum { V4, V6, DOM, KW, ASN, NSETS };
    size_t total = am_inventory_slots(inv), n[NSETS] = {0};
    keyed_t *idx[NSETS] = {NULL};
    am_matcher_t *m = calloc(1, sizeof(*m));
    int rc = -1;

    if (!m) {
        if (opts->own_inventory)
            am_inventory_destroy((am_inventory_t *)inv);
        goto oom;
    }
    static atomic_uint_fast64_t serials = 1;

    /* Owned from here, so that every failure below frees it too. */
    m->own_inventory = opts->own_inventory;
    m->inv = inv;
    m->serial = atomic_fetch_add(&serials, 1);
    for (int s = 0; s < NSETS; s++)
        if (!(idx[s] = malloc((total ? total : 1) * sizeof(keyed_t))))
            goto oom;
    for (size_t i = 0; i < total; i++) {
        const am_asset_t *a = am_inventory_asset(inv, i);
        const am_prefix_t *p = &a->u.prefix;
        uint64_t key;
        int s;
        if (a->deleted || (!a->verified && !opts->include_unverified))
            continue;
        switch (a->kind) {
        case AM_ASSET_IP:
            if (p->family == AM_IPADDR_V4) {
                s = V4;
                key = (uint64_t)p->addr[0] << 32 | (uint64_t)p->addr[1] << 24 |
                      (uint64_t)p->addr[2] << 16 | (uint64_t)p->addr[3] << 8 |
                      p->len;
            } else {
                s = V6;
                key = am_hash_bytes(p->addr, 16, p->len);
            }
            break;
        case AM_ASSET_ASN:
            s = ASN;
            key = a->u.asn;
            break;
        default:
            s = a->kind == AM_ASSET_DOMAIN ? DOM : KW;
            key = am_hash_bytes(am_inventory_str(inv, a->value), a->value_len,
                                0);
        }
        idx[s][n[s]++] = (keyed_t){key, (uint32_t)i};
    }
    /* Each build_* takes ownership of its index array. */
    rc = build_ip(m, idx[V4], n[V4], AM_IPADDR_V4, err, err_size);
    idx[V4] = NULL;
    if (rc == 0)
        rc = build_ip(m, idx[V6], n[V6], AM_IPADDR_V6, err, err_size);
    idx[V6] = NULL;
    if (rc == 0)
        rc = build_domains(m, idx[DOM], n[DOM], err, err_size);
    idx[DOM] = NULL;
    if (rc == 0)
        rc = build_keywords(m, idx[KW], n[KW], err, err_size);
    idx[KW] = NULL;
    if (rc == 0)
        rc = build_asns(m, idx[ASN], n[ASN], err, err_size);
    idx[ASN] = NULL;
    if (rc < 0) {
        am_matcher_destroy(m);
        return NULL;
    }
    return m;
oom:
    for (int s = 0; s < NSETS; s++)
        free(idx[s]);
    am_matcher_destroy(m);
    snprintf(err, err_size, "out of memory");
    return NULL;
}

void am_matcher_destroy(am_matcher_t *m) {
    if (!m)
        return;
    for (int f = 0; f < 2; f++) {
        am_lpm_destroy(m->lpm[f]);
        groups_free(&m->ip[f]);
    }
    am_domain_table_destroy(m->domains);
    groups_free(&m->dom);
    am_patterns_destroy(m->keywords);
    groups_free(&m->kw);
    am_asn_table_destroy(m->asns);
    groups_free(&m->asn);
    if (m->own_inventory)
        am_inventory_destroy((am_inventory_t *)m->inv);
    free(m);
}

const am_inventory_t *am_matcher_inventory(const am_matcher_t *m) {
    return m->inv;
}

static size_t groups_memory(const groups_t *g) {
    return g->n ? (g->n + 1) * sizeof(*g->off) +
                      g->off[g->n] * sizeof(*g->owners)
                : 0;
}

size_t am_matcher_memory(const am_matcher_t *m) {
    size_t sum = sizeof(*m) + am_lpm_memory(m->lpm[0]) +
                 am_lpm_memory(m->lpm[1]) +
                 am_domain_table_memory(m->domains) +
                 am_patterns_memory(m->keywords);

    sum += groups_memory(&m->ip[0]) + groups_memory(&m->ip[1]) +
           groups_memory(&m->dom) + groups_memory(&m->kw) +
           groups_memory(&m->asn) + am_asn_table_memory(m->asns);
    return sum;
}

/* ---- match ------------------------------------------------------------ */

am_match_ctx_t *am_match_ctx_new(void) {
    return calloc(1, sizeof(am_match_ctx_t));
}

void am_match_ctx_destroy(am_match_ctx_t *ctx) {
    if (!ctx)
        return;
    am_patterns_scratch_destroy(ctx->scratch);
    free(ctx->hits);
    free(ctx->results);
    free(ctx);
}

#define RANK(cls, detail) ((uint16_t)((cls) << 8 | (detail)))

static void add_hit(am_match_ctx_t *ctx, uint32_t asset, size_t obs,
                    am_match_kind_t kind, uint16_t rank) {
    if (ctx->n_hits == ctx->cap_hits) {
        size_t cap = ctx->cap_hits ? ctx->cap_hits * 2 : 64;
        am_match_hit_t *nh = realloc(ctx->hits, cap * sizeof(*nh));
        if (!nh) {
            ctx->oom = true;
            return;
        }
        ctx->hits = nh;
        ctx->cap_hits = cap;
    }
    ctx->hits[ctx->n_hits++] =
        (am_match_hit_t){asset, (uint16_t)obs, (uint8_t)kind, rank, 0};
}

static void add_group(am_match_ctx_t *ctx, const groups_t *g, uint32_t grp,
                      size_t obs, am_match_kind_t kind, uint16_t rank) {
    for (uint32_t i = g->off[grp]; i < g->off[grp + 1]; i++)
        add_hit(ctx, g->owners[i], obs, kind, rank);
}

typedef struct ip_visit_s {
    const am_matcher_t *m;
    am_match_ctx_t *ctx;
    const groups_t *g;
    const am_prefix_t *observed;
    size_t obs;
} ip_visit_t;

/* The rank of an ip asset for an observed prefix.  A v4 prefix length is
 * put on the v6 scale so that /24 and /120 weigh the same. */
static int ip_hit(const am_prefix_t *asset, const am_prefix_t *observed,
                  am_match_kind_t *kind, uint16_t *rank) {
    unsigned detail = asset->len + (asset->family == AM_IPADDR_V4 ? 96u : 0);

    if (asset->len == observed->len) {
        *kind = AM_MATCH_IP_EXACT;
        *rank = RANK(5, 0);
    } else {
        *kind = asset->len < observed->len ? AM_MATCH_IP_COVER
                                           : AM_MATCH_IP_OVERLAP;
        *rank = RANK(4, detail > 255 ? 255 : detail);
    }
    return 0;
}

static int visit_ip(uint32_t grp, const am_prefix_t *prefix, void *opaque) {
    ip_visit_t *v = opaque;
    am_match_kind_t kind;
    uint16_t rank;

    ip_hit(prefix, v->observed, &kind, &rank);
    add_group(v->ctx, v->g, grp, v->obs, kind, rank);
    return 0;
}

static void match_ip(const am_matcher_t *m, am_match_ctx_t *ctx,
                     const am_prefix_t *p, size_t obs) {
    int f = p->family == AM_IPADDR_V4 ? 0 : 1;
    const am_lpm_t *lpm = m->lpm[f];
    uint32_t vals[130];
    size_t n;

    if (!am_ipaddr_is_host(p)) {
        ip_visit_t v = {m, ctx, &m->ip[f], p, obs};
        am_lpm_overlapping(lpm, p, visit_ip, &v);
        return;
    }
    n = am_lpm_covering(lpm, p, vals, sizeof(vals) / sizeof(vals[0]));
    for (size_t i = 0; i < n && i < sizeof(vals) / sizeof(vals[0]); i++) {
        const am_prefix_t *ap = &group_first(m, &m->ip[f], vals[i])->u.prefix;
        am_match_kind_t kind;
        uint16_t rank;
        ip_hit(ap, p, &kind, &rank);
        add_group(ctx, &m->ip[f], vals[i], obs, kind, rank);
    }
}

typedef struct kw_visit_s {
    const am_matcher_t *m;
    am_match_ctx_t *ctx;
    size_t obs;
} kw_visit_t;

static int visit_keyword(uint32_t id, void *opaque) {
    kw_visit_t *v = opaque;
    const am_asset_t *a = group_first(v->m, &v->m->kw, id);

    add_group(v->ctx, &v->m->kw, id, v->obs, AM_MATCH_KEYWORD,
              RANK(1, a->value_len));
    return 0;
}

static int match_domain(const am_matcher_t *m, am_match_ctx_t *ctx,
                        const am_observable_t *o, size_t obs) {
    am_domain_hit_t hits[AM_DOMAIN_TABLE_MAX_HITS];
    size_t n = am_domain_table_suffixes(m->domains, o->host, o->host_len,
                                        hits);

    for (size_t i = 0; i < n; i++) {
        const groups_t *g = &m->dom;
        if (hits[i].offset == 0) {
            add_group(ctx, g, hits[i].value, obs, AM_MATCH_DOMAIN_EXACT,
                      RANK(5, 0));
            continue;
        }
        for (uint32_t j = g->off[hits[i].value];
             j < g->off[hits[i].value + 1]; j++)
            if (am_inventory_asset(m->inv, g->owners[j])->include_subdomains)
                add_hit(ctx, g->owners[j], obs, AM_MATCH_DOMAIN_PARENT,
                        RANK(3, hits[i].labels > 255 ? 255 : hits[i].labels));
    }
    if (am_patterns_count(m->keywords)) {
        kw_visit_t v = {m, ctx, obs};
        if (ctx->scratch_serial != m->serial) {
            if (am_patterns_scratch_ensure(m->keywords, &ctx->scratch) < 0)
                return -1;
            ctx->scratch_serial = m->serial;
        }
        am_patterns_scan(m->keywords, ctx->scratch, o->host, o->host_len,
                         visit_keyword, &v);
    }
    return 0;
}

/* Hits of one asset: best first, so the first of each asset is kept. */
static inline int cmp_hit_asset(const void *a, const void *b) {
    const am_match_hit_t *x = a, *y = b;
    if (x->asset != y->asset)
        return x->asset < y->asset ? -1 : 1;
    if (x->rank != y->rank)
        return x->rank > y->rank ? -1 : 1;
    return (x->obs > y->obs) - (x->obs < y->obs);
}

/* Final order: by tenant, then best first. */
static inline int cmp_hit_result(const void *a, const void *b) {
    const am_match_hit_t *x = a, *y = b;

    if (x->tenant != y->tenant)
        return x->tenant < y->tenant ? -1 : 1;
    if (x->rank != y->rank)
        return x->rank > y->rank ? -1 : 1;
    if (x->obs != y->obs)
        return x->obs < y->obs ? -1 : 1;
    return (x->asset > y->asset) - (x->asset < y->asset);
}

/* An event has a few hits: insertion sort, with the comparison inlined,
 * beats qsort()'s merge sort and its indirect calls.  Both orders are
 * total, so the result is the same. */
static inline void sort_hits(am_match_hit_t *h, size_t n,
                             int (*cmp)(const void *, const void *)) {
    if (n > 32) {
        qsort(h, n, sizeof(*h), cmp);
        return;
    }
    for (size_t i = 1; i < n; i++) {
        am_match_hit_t x = h[i];
        size_t j = i;

        for (; j > 0 && cmp(&h[j - 1], &x) > 0; j--)
            h[j] = h[j - 1];
        h[j] = x;
    }
}

void am_matcher_prefetch(const am_matcher_t *m, const am_event_t *ev) {
    for (size_t i = 0; i < ev->n_obs; i++) {
        const am_observable_t *o = &ev->obs[i];

        if (o->target == AM_TARGET_IP)
            am_lpm_prefetch(m->lpm[o->prefix.family == AM_IPADDR_V4 ? 0 : 1],
                            &o->prefix);
        else if (o->target == AM_TARGET_DOMAIN)
            am_domain_table_prefetch(m->domains, o->host, o->host_len);
        else if (o->target == AM_TARGET_ASN)
            am_asn_table_prefetch(m->asns, o->asn);
    }
}

int am_matcher_match(const am_matcher_t *m, am_match_ctx_t *ctx,
                     const am_event_t *ev,
                     const am_match_result_t **results) {
    size_t n = 0, nr = 0;

    ctx->n_hits = 0;
    ctx->oom = false;
    for (size_t i = 0; i < ev->n_obs; i++) {
        const am_observable_t *o = &ev->obs[i];
        uint32_t grp;
        switch (o->target) {
        case AM_TARGET_IP:
            match_ip(m, ctx, &o->prefix, i);
            break;
        case AM_TARGET_DOMAIN:
            if (match_domain(m, ctx, o, i) < 0)
                ctx->oom = true;
            break;
        case AM_TARGET_ASN:
            if (am_asn_table_find(m->asns, o->asn, &grp))
                add_group(ctx, &m->asn, grp, i, AM_MATCH_ASN, RANK(2, 0));
            break;
        }
    }
    if (ctx->oom)
        return -1;
    *results = ctx->results;
    if (ctx->n_hits == 0)
        return 0;

    /* One hit per asset (its best), then grouped by tenant. */
    sort_hits(ctx->hits, ctx->n_hits, cmp_hit_asset);
    for (size_t i = 0; i < ctx->n_hits; i++)
        if (i == 0 || ctx->hits[i].asset != ctx->hits[n - 1].asset) {
            ctx->hits[n] = ctx->hits[i];
            ctx->hits[n++].tenant =
                am_inventory_asset(m->inv, ctx->hits[i].asset)->tenant;
        }
    ctx->n_hits = n;
    sort_hits(ctx->hits, n, cmp_hit_result);

    for (size_t i = 0; i < n; i++) {
        uint32_t t = ctx->hits[i].tenant;
        if (nr && ctx->results[nr - 1].tenant == t) {
            ctx->results[nr - 1].n_hits++;
            continue;
        }
        if (nr == ctx->cap_results) {
            size_t cap = ctx->cap_results ? ctx->cap_results * 2 : 16;
            am_match_result_t *r = realloc(ctx->results, cap * sizeof(*r));
            if (!r)
                return -1;
            ctx->results = r;
            ctx->cap_results = cap;
        }
        ctx->results[nr++] = (am_match_result_t){t, &ctx->hits[i], 1};
    }
    *results = ctx->results;
    return (int)nr;
}
