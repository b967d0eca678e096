/*
 * bench_lpm: am_lpm against DPDK's rte_lpm (IPv4) and rte_lpm6 (IPv6), side
 * by side in one process, on the same prefixes and the same keys.
 *
 *   IPv4: 1M unique random prefixes, lengths uniform in /16../32, and 10M
 *         random keys (uniform over the whole address space).
 *   IPv6: 200K unique prefixes shaped like an inventory: 4096 random /32
 *         allocations in 2000::/3, and inside them mostly /40../64 with
 *         some /32 and /128; 10M keys, half drawn inside a random prefix of
 *         the table (so that long matches happen), half uniform in 2000::/3
 *         (which mostly match nothing).
 *
 * Every look-up result of both libraries is compared (our value i is
 * DPDK's next hop i; rte_lpm6 keeps 21 bits of it, checked at start) and a
 * difference aborts the run.  Each timing is the best of several rounds,
 * the two libraries alternating on the same keys.  The headline is single
 * look-ups in a plain loop; the bulk calls get batches of BULK_N.
 *
 * rte_lpm_add() of 1M prefixes takes minutes: each new tbl8 group is found
 * by scanning the groups in use from the first, and 1M random /16../32
 * prefixes need ~500K groups, so the work grows with the square of the
 * table (151 s on a quiet machine; with other jobs on the memory bus, a
 * quarter of the prefixes took 120 s).  So it runs in a second thread,
 * started after our builds are timed, while rte_lpm6 is filled and the
 * keys are drawn, and gets ADD_BUDGET seconds, which keeps the whole run
 * under 3 minutes.  If it is not done by then, it is stopped and rte_lpm's
 * tables are written directly (its struct is public for its inline
 * look-up): the same DIR-24-8 content up to the numbering of tbl8 groups,
 * read by the same DPDK look-up code and checked key by key the same way;
 * stderr says which.
 * All look-ups are timed after that.  EAL runs with --no-huge, lcore 0, no
 * devices.
 */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_lpm.h>
#include <rte_lpm6.h>

#include "bench_common.h"
#include "lpm.h"

#define N4 1000000
#define N6 200000
#define NKEYS 10000000
#define ROUNDS4 5
#define ROUNDS6 5
#define ADD_BUDGET 100.0
/* rte_lpm_lookup_bulk() keeps a variable-length array of n entries on the
 * stack and wants n a compile-time constant: both bulk calls get batches of
 * this size. */
#define BULK_N 64

static void die(const char *fmt, ...) {
    va_list ap;

    va_start(ap, fmt);
    fprintf(stderr, "bench_lpm: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
    abort();
}

static void *xcalloc(size_t n, size_t size) {
    void *p = calloc(n, size);

    if (!p)
        die("out of memory");
    return p;
}

static int cmp_u64(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

    return (x > y) - (x < y);
}

/* Fisher-Yates, so that insertion order says nothing about the layout. */
static void shuffle(void *base, size_t n, size_t size, uint64_t *rng) {
    char tmp[64], *b = base;

    for (size_t i = n; i > 1; i--) {
        size_t j = am_bench_rand(rng) % i;
        memcpy(tmp, b + (i - 1) * size, size);
        memcpy(b + (i - 1) * size, b + j * size, size);
        memcpy(b + j * size, tmp, size);
    }
}

/* ---- inputs -------------------------------------------------------------- */

/* N4 unique IPv4 prefixes as (address << 8 | length), shuffled. */
static uint64_t *gen_v4(uint64_t *rng) {
    size_t cand = 2 * (size_t)N4, k = 0;
    uint64_t *p = xcalloc(cand, sizeof(*p));

    for (size_t i = 0; i < cand; i++) {
        unsigned len = 16 + (unsigned)(am_bench_rand(rng) % 17);
        uint32_t a = (uint32_t)am_bench_rand(rng) & ~0u << (32 - len);
        p[i] = (uint64_t)a << 8 | len;
    }
    qsort(p, cand, sizeof(*p), cmp_u64);
    for (size_t i = 0; i < cand; i++)
        if (k == 0 || p[k - 1] != p[i])
            p[k++] = p[i];
    if (k < N4)
        die("only %zu unique IPv4 prefixes", k);
    shuffle(p, k, sizeof(*p), rng);
    return p;
}

typedef struct v6pfx_s {
    uint8_t addr[16];
    uint8_t len;
} v6pfx_t;

static int cmp_v6(const void *a, const void *b) {
    const v6pfx_t *x = a, *y = b;
    int c = memcmp(x->addr, y->addr, 16);

    return c ? c : (int)x->len - (int)y->len;
}

static void put_be64(uint8_t *b, uint64_t v) {
    for (int i = 0; i < 8; i++)
        b[i] = (uint8_t)(v >> (56 - 8 * i));
}

/* Sets the bits [from, to) of \p addr at random (the rest stay as they
 * are). */
static void random_bits(uint8_t addr[16], unsigned from, unsigned to,
                        uint64_t *rng) {
    for (unsigned bit = from; bit < to; bit++) {
        uint8_t m = (uint8_t)(0x80 >> (bit % 8));
        if (am_bench_rand(rng) & 1)
            addr[bit / 8] |= m;
        else
            addr[bit / 8] &= (uint8_t)~m;
    }
}

static v6pfx_t *gen_v6(uint64_t *rng) {
    /* Percent of prefixes per length: provider and customer allocations,
     * subnets, and a few single hosts. */
    static const struct {
        uint8_t len, pct;
    } mix[] = {{32, 3},  {36, 2},  {40, 8},  {44, 10}, {48, 37},
               {52, 5},  {56, 15}, {60, 5},  {64, 12}, {128, 3}};
    enum { ALLOCS = 4096 };
    size_t cand = N6 + N6 / 4, k = 0;
    uint64_t *alloc = xcalloc(ALLOCS, sizeof(*alloc));
    v6pfx_t *p = xcalloc(cand, sizeof(*p));

    /* 2000::/3 plus 29 random bits: a /32 each. */
    for (size_t i = 0; i < ALLOCS; i++)
        alloc[i] = (0x2ULL << 60 | (am_bench_rand(rng) >> 35) << 32);
    for (size_t i = 0; i < cand; i++) {
        unsigned r = (unsigned)(am_bench_rand(rng) % 100), m = 0;

        while (r >= mix[m].pct) {
            r -= mix[m].pct;
            m++;
        }
        put_be64(p[i].addr, alloc[am_bench_rand(rng) % ALLOCS]);
        random_bits(p[i].addr, 32, mix[m].len, rng);
        p[i].len = mix[m].len;
    }
    qsort(p, cand, sizeof(*p), cmp_v6);
    for (size_t i = 0; i < cand; i++)
        if (k == 0 || cmp_v6(&p[k - 1], &p[i]) != 0)
            p[k++] = p[i];
    if (k < N6)
        die("only %zu unique IPv6 prefixes", k);
    shuffle(p, k, sizeof(*p), rng);
    free(alloc);
    return p;
}

/* The number of distinct (bits)-bit heads among prefixes longer than bits:
 * how many tbl8 groups DPDK needs below that level. */
static size_t groups_v4(const uint64_t *p) {
    uint64_t *h = xcalloc(N4, sizeof(*h));
    size_t n = 0, k = 0;

    for (size_t i = 0; i < N4; i++)
        if ((p[i] & 0xff) > 24)
            h[n++] = p[i] >> 16;
    qsort(h, n, sizeof(*h), cmp_u64);
    for (size_t i = 0; i < n; i++)
        k += i == 0 || h[i] != h[i - 1];
    free(h);
    return k;
}

static size_t groups_v6(const v6pfx_t *p) {
    v6pfx_t *h = xcalloc(N6, sizeof(*h));
    size_t total = 0;

    for (unsigned bits = 24; bits < 128; bits += 8) {
        size_t n = 0;
        for (size_t i = 0; i < N6; i++) {
            if (p[i].len <= bits)
                continue;
            memset(&h[n], 0, sizeof(h[n]));
            memcpy(h[n].addr, p[i].addr, bits / 8);
            n++;
        }
        qsort(h, n, sizeof(*h), cmp_v6);
        for (size_t i = 0; i < n; i++)
            total += i == 0 || cmp_v6(&h[i], &h[i - 1]) != 0;
    }
    free(h);
    return total;
}

/* ---- DPDK ---------------------------------------------------------------- */

/* No huge pages and no devices: only the library's tables.  A per-process
 * file prefix and no shared config let runs overlap. */
static void eal_init(size_t mb) {
    char mem[32], prefix[64];
    char *argv[] = {"bench_lpm", "--no-huge",        "--no-pci",
                    "--no-shconf", "--no-telemetry", prefix,
                    "-l",          "0",              "-m",
                    mem,           "--log-level=error", NULL};

    snprintf(mem, sizeof(mem), "%zu", mb);
    snprintf(prefix, sizeof(prefix), "--file-prefix=bench_lpm_%ld",
             (long)getpid());
    if (rte_eal_init(11, argv) < 0)
        die("rte_eal_init: %s", rte_strerror(rte_errno));
}

/* rte_lpm6 keeps fewer bits of next hop than its API's uint32_t: find out
 * how many, rather than trust a version's source. */
static unsigned lpm6_nexthop_bits(void) {
    struct rte_lpm6_config cfg = {.max_rules = 4, .number_tbl8s = 4};
    struct rte_lpm6 *l = rte_lpm6_create("probe6", SOCKET_ID_ANY, &cfg);
    uint8_t ip[16] = {0x20};
    unsigned bits = 0;

    if (!l)
        die("rte_lpm6_create: %s", rte_strerror(rte_errno));
    for (unsigned b = 1; b <= 32; b++) {
        uint32_t nh = b == 32 ? UINT32_MAX : (1u << b) - 1, got = 0;
        if (rte_lpm6_add(l, ip, 3, nh) != 0 ||
            rte_lpm6_lookup(l, ip, &got) != 0 || got != nh)
            break;
        bits = b;
    }
    rte_lpm6_free(l);
    return bits;
}

typedef struct add4_s {
    struct rte_lpm *lpm;
    const uint64_t *pfx;
    _Atomic size_t added;
    _Atomic int stop;
    double seconds;
} add4_t;

static void *add_v4(void *arg) {
    add4_t *a = arg;
    double t0 = am_bench_now();

    for (size_t i = 0; i < N4 && !atomic_load(&a->stop); i++) {
        int rc = rte_lpm_add(a->lpm, (uint32_t)(a->pfx[i] >> 8),
                             (uint8_t)(a->pfx[i] & 0xff), (uint32_t)i);
        if (rc != 0)
            die("rte_lpm_add #%zu: %s", i, strerror(-rc));
        atomic_store(&a->added, i + 1);
    }
    a->seconds = am_bench_now() - t0;
    return NULL;
}

/* What rte_lpm_add() leaves in rte_lpm's tables, written directly: the
 * prefixes in order of length, each over the entries it spans; a /25../32
 * first turns its tbl24 entry into a tbl8 group of 256 entries that start
 * as the tbl24 entry was. */
static struct rte_lpm *fill_v4(const uint64_t *p, size_t groups) {
    struct rte_lpm_config cfg = {.max_rules = N4,
                                 .number_tbl8s = (uint32_t)(groups + 64)};
    struct rte_lpm *l = rte_lpm_create("filled4", SOCKET_ID_ANY, &cfg);
    uint32_t *order = xcalloc(N4, sizeof(*order)), at[34] = {0}, ng = 0;

    if (!l)
        die("rte_lpm_create (%zu tbl8s): %s", groups,
            rte_strerror(rte_errno));
    for (size_t i = 0; i < N4; i++)
        at[(p[i] & 0xff) + 1]++;
    for (unsigned len = 1; len < 34; len++)
        at[len] += at[len - 1];
    for (size_t i = 0; i < N4; i++)
        order[at[p[i] & 0xff]++] = (uint32_t)i;
    for (size_t k = 0; k < N4; k++) {
        uint32_t i = order[k], a = (uint32_t)(p[i] >> 8);
        unsigned len = (unsigned)(p[i] & 0xff);
        struct rte_lpm_tbl_entry e = {
            .next_hop = i, .valid = 1, .valid_group = 0, .depth = len};

        if (len <= 24) {
            for (uint32_t b = a >> 8; b < (a >> 8) + (1u << (24 - len)); b++)
                l->tbl24[b] = e;
            continue;
        }
        if (!l->tbl24[a >> 8].valid_group) {
            struct rte_lpm_tbl_entry init = l->tbl24[a >> 8];
            struct rte_lpm_tbl_entry ext = {
                .next_hop = ng, .valid = 1, .valid_group = 1, .depth = 0};
            init.valid_group = 1;
            for (unsigned j = 0; j < 256; j++)
                l->tbl8[ng * 256 + j] = init;
            l->tbl24[a >> 8] = ext;
            ng++;
        }
        e.valid_group = 1;
        for (uint32_t j = a & 0xff; j < (a & 0xff) + (1u << (32 - len));
             j++)
            l->tbl8[l->tbl24[a >> 8].next_hop * 256 + j] = e;
    }
    free(order);
    return l;
}

/* ---- comparisons --------------------------------------------------------- */

static void check4(const char *what, const uint32_t *keys, const uint32_t *ours,
                   const uint32_t *dpdk) {
    for (size_t i = 0; i < NKEYS; i++)
        if (ours[i] != dpdk[i])
            die("%s: key %zu (0x%08x): am_lpm %u, rte_lpm %u", what, i,
                keys[i], ours[i], dpdk[i]);
}

static am_lpm_entry_t *entries_v4(const uint64_t *p) {
    am_lpm_entry_t *e = xcalloc(N4, sizeof(*e));

    for (size_t i = 0; i < N4; i++) {
        uint32_t a = (uint32_t)(p[i] >> 8);
        e[i].prefix.family = AM_IPADDR_V4;
        e[i].prefix.len = (uint8_t)(p[i] & 0xff);
        e[i].prefix.addr[0] = (uint8_t)(a >> 24);
        e[i].prefix.addr[1] = (uint8_t)(a >> 16);
        e[i].prefix.addr[2] = (uint8_t)(a >> 8);
        e[i].prefix.addr[3] = (uint8_t)a;
        e[i].value = (uint32_t)i;
    }
    return e;
}

static am_lpm_entry_t *entries_v6(const v6pfx_t *p) {
    am_lpm_entry_t *e = xcalloc(N6, sizeof(*e));

    for (size_t i = 0; i < N6; i++) {
        e[i].prefix.family = AM_IPADDR_V6;
        e[i].prefix.len = p[i].len;
        memcpy(e[i].prefix.addr, p[i].addr, 16);
        e[i].value = (uint32_t)i;
    }
    return e;
}

/* Builds \p rounds times, keeps the last table, returns the best time. */
static am_lpm_t *build_best(int family, const am_lpm_entry_t *e, size_t n,
                            int rounds, double *best) {
    am_lpm_t *lpm = NULL;
    char err[256];

    *best = 1e9;
    for (int r = 0; r < rounds; r++) {
        double t0 = am_bench_now(), t;
        am_lpm_destroy(lpm);
        lpm = am_lpm_build(family, e, n, err, sizeof(err));
        t = am_bench_now() - t0;
        if (!lpm)
            die("am_lpm_build: %s", err);
        *best = t < *best ? t : *best;
    }
    return lpm;
}

static double rate(double seconds) {
    return NKEYS / seconds;
}

/* The IPv6 half, in three steps so that only untimed work overlaps with
 * the rte_lpm insertions running in the other thread. */
typedef struct v6_s {
    v6pfx_t *p;
    am_lpm_entry_t *e;
    uint8_t (*keys)[16];
    uint32_t *ours, *dpdk;
    am_lpm_t *lpm;
    struct rte_lpm6 *l6;
} v6_t;

/* Builds ours (timed, nothing else running) and reports build and size. */
static void v6_build(v6_t *v, uint64_t *rng, unsigned nh_bits) {
    double build;

    if (((uint64_t)N6 - 1) >> nh_bits)
        die("rte_lpm6 next hops of %u bits cannot hold %d values", nh_bits,
            N6);
    v->p = gen_v6(rng);
    v->e = entries_v6(v->p);
    v->lpm = build_best(AM_IPADDR_V6, v->e, N6, 3, &build);
    fprintf(stderr, "am_lpm: %d IPv6 prefixes built in %.3f s, %.1f MB\n",
            N6, build, am_lpm_memory(v->lpm) / 1e6);
    am_bench_report("ipv6_build_200k", build, "s", NULL, 0);
    am_bench_report("ipv6_lpm_memory_200k", am_lpm_memory(v->lpm) / 1e6,
                    "MB", NULL, 0);
}

/* Builds rte_lpm6 and the keys (while rte_lpm fills in the other thread,
 * so its time is only a note). */
static void v6_prepare(v6_t *v, uint64_t *rng) {
    size_t groups = groups_v6(v->p);
    struct rte_lpm6_config cfg = {.max_rules = N6,
                                  .number_tbl8s = (uint32_t)(groups + 64)};
    double t0;

    v->l6 = rte_lpm6_create("bench6", SOCKET_ID_ANY, &cfg);
    if (!v->l6)
        die("rte_lpm6_create (%zu tbl8s): %s", groups,
            rte_strerror(rte_errno));
    t0 = am_bench_now();
    for (size_t i = 0; i < N6; i++) {
        int rc = rte_lpm6_add(v->l6, v->p[i].addr, v->p[i].len, (uint32_t)i);
        if (rc != 0)
            die("rte_lpm6_add #%zu: %s", i, strerror(-rc));
    }
    fprintf(stderr, "rte_lpm6: %d prefixes added one by one in %.3f s "
            "(%zu tbl8 groups; beside the rte_lpm thread)\n", N6,
            am_bench_now() - t0, groups);

    v->keys = xcalloc(NKEYS, 16);
    v->ours = xcalloc(NKEYS, sizeof(uint32_t));
    v->dpdk = xcalloc(NKEYS, sizeof(uint32_t));
    for (size_t i = 0; i < NKEYS; i++) {
        const v6pfx_t *in = &v->p[am_bench_rand(rng) % N6];
        if (i % 2) {
            memcpy(v->keys[i], in->addr, 16);
            random_bits(v->keys[i], in->len, 128, rng);
        } else {
            put_be64(v->keys[i], am_bench_rand(rng));
            put_be64(v->keys[i] + 8, am_bench_rand(rng));
            v->keys[i][0] = (uint8_t)(0x20 | (v->keys[i][0] & 0x1f));
        }
    }
}

static void v6_run(v6_t *v) {
    double best_ours = 1e9, best_dpdk = 1e9;

    for (int r = 0; r < ROUNDS6; r++) {
        double a = am_bench_now(), b, c;
        for (size_t i = 0; i < NKEYS; i++)
            v->ours[i] = am_lpm_lookup(v->lpm, v->keys[i]);
        b = am_bench_now();
        for (size_t i = 0; i < NKEYS; i++) {
            uint32_t nh;
            v->dpdk[i] = rte_lpm6_lookup(v->l6, v->keys[i], &nh) == 0
                             ? nh
                             : AM_LPM_NONE;
        }
        c = am_bench_now();
        best_ours = b - a < best_ours ? b - a : best_ours;
        best_dpdk = c - b < best_dpdk ? c - b : best_dpdk;
    }
    for (size_t i = 0; i < NKEYS; i++)
        if (v->ours[i] != v->dpdk[i])
            die("IPv6 key %zu: am_lpm %u, rte_lpm6 %u", i, v->ours[i],
                v->dpdk[i]);
    fprintf(stderr, "IPv6 look-ups/s: am_lpm %.1fM, rte_lpm6 %.1fM\n",
            rate(best_ours) / 1e6, rate(best_dpdk) / 1e6);
    am_bench_report("ipv6_lookup_vs_rte_lpm6", rate(best_ours), "lookups/s",
                    "rte_lpm6", best_dpdk / best_ours);
    rte_lpm6_free(v->l6);
    am_lpm_destroy(v->lpm);
    free(v->p);
    free(v->e);
    free(v->keys);
    free(v->ours);
    free(v->dpdk);
}

int main(void) {
    uint64_t rng = 20240611;
    uint64_t *p4 = gen_v4(&rng);
    am_lpm_entry_t *e4 = entries_v4(p4);
    size_t groups4 = groups_v4(p4);
    uint32_t *keys = xcalloc(NKEYS, sizeof(uint32_t));
    uint32_t *ours = xcalloc(NKEYS, sizeof(uint32_t));
    uint32_t *dpdk = xcalloc(NKEYS, sizeof(uint32_t));
    struct rte_lpm_config cfg = {.max_rules = N4,
                                 .number_tbl8s = (uint32_t)(groups4 + 64)};
    double build, best[4] = {1e9, 1e9, 1e9, 1e9};
    add4_t add = {.pfx = p4};
    pthread_t adder;
    struct rte_lpm *l4;
    double add_start;
    am_lpm_t *lpm;
    unsigned nh_bits;
    v6_t v6;

    /* DPDK's tables: tbl24s of 64 MB each, 1 KB per tbl8 group, rules. */
    eal_init(2 * 64 + (groups4 + 6 * N6) / 1024 + 512);
    nh_bits = lpm6_nexthop_bits();
    fprintf(stderr, "rte_lpm6 keeps %u bits of next hop\n", nh_bits);

    lpm = build_best(AM_IPADDR_V4, e4, N4, 3, &build);
    fprintf(stderr, "am_lpm: %d IPv4 prefixes built in %.3f s, %.1f MB\n",
            N4, build, am_lpm_memory(lpm) / 1e6);
    am_bench_report("ipv4_build_1m", build, "s", NULL, 0);
    am_bench_report("ipv4_lpm_memory_1m", am_lpm_memory(lpm) / 1e6, "MB",
                    NULL, 0);
    v6_build(&v6, &rng, nh_bits);

    add.lpm = rte_lpm_create("bench4", SOCKET_ID_ANY, &cfg);
    if (!add.lpm)
        die("rte_lpm_create (%zu tbl8s): %s", groups4,
            rte_strerror(rte_errno));
    add_start = am_bench_now();
    if (pthread_create(&adder, NULL, add_v4, &add) != 0)
        die("pthread_create");

    v6_prepare(&v6, &rng);
    for (size_t i = 0; i < NKEYS; i++)
        keys[i] = (uint32_t)am_bench_rand(&rng);
    while (atomic_load(&add.added) < N4 &&
           am_bench_now() - add_start < ADD_BUDGET) {
        fprintf(stderr, "waiting for rte_lpm_add: %zu of %d prefixes\n",
                atomic_load(&add.added), N4);
        sleep(10);
    }
    atomic_store(&add.stop, 1);
    pthread_join(adder, NULL);
    if (atomic_load(&add.added) == N4) {
        fprintf(stderr, "rte_lpm: %d prefixes added one by one in %.1f s "
                "(%zu tbl8 groups)\n", N4, add.seconds, groups4);
        l4 = add.lpm;
    } else {
        fprintf(stderr, "rte_lpm: only %zu of %d prefixes added one by one "
                "in %.1f s (%zu tbl8 groups needed); comparing against "
                "rte_lpm tables written directly instead\n",
                atomic_load(&add.added), N4, add.seconds, groups4);
        rte_lpm_free(add.lpm);
        l4 = fill_v4(p4, groups4);
    }
    v6_run(&v6);

    for (int r = 0; r < ROUNDS4; r++) {
        double t[6];

        t[0] = am_bench_now();
        for (size_t i = 0; i < NKEYS; i++)
            ours[i] = am_lpm_lookup4(lpm, keys[i]);
        t[1] = am_bench_now();
        for (size_t i = 0; i < NKEYS; i++) {
            uint32_t nh;
            dpdk[i] = rte_lpm_lookup(l4, keys[i], &nh) == 0
                          ? nh
                          : AM_LPM_NONE;
        }
        t[2] = am_bench_now();
        check4("single", keys, ours, dpdk);
        t[3] = am_bench_now();
        for (size_t i = 0; i < NKEYS; i += BULK_N)
            am_lpm_lookup4_bulk(lpm, keys + i, ours + i, BULK_N);
        t[4] = am_bench_now();
        for (size_t i = 0; i < NKEYS; i += BULK_N)
            rte_lpm_lookup_bulk(l4, keys + i, dpdk + i, BULK_N);
        t[5] = am_bench_now();
        for (size_t i = 0; i < NKEYS; i++)
            dpdk[i] = dpdk[i] & RTE_LPM_LOOKUP_SUCCESS ? dpdk[i] & 0xffffff
                                                       : AM_LPM_NONE;
        check4("bulk", keys, ours, dpdk);
        for (int k = 0; k < 2; k++) {
            best[k] = t[k + 1] - t[k] < best[k] ? t[k + 1] - t[k] : best[k];
            best[k + 2] = t[k + 4] - t[k + 3] < best[k + 2]
                              ? t[k + 4] - t[k + 3]
                              : best[k + 2];
        }
    }
    fprintf(stderr, "IPv4 look-ups/s: am_lpm %.1fM, rte_lpm %.1fM; bulk: "
            "am_lpm %.1fM, rte_lpm %.1fM\n", rate(best[0]) / 1e6,
            rate(best[1]) / 1e6, rate(best[2]) / 1e6, rate(best[3]) / 1e6);
    am_bench_report("ipv4_lookup_vs_rte_lpm", rate(best[0]), "lookups/s",
                    "rte_lpm", best[1] / best[0]);
    am_bench_report("ipv4_bulk_lookup_vs_rte_lpm", rate(best[2]),
                    "lookups/s", "rte_lpm_lookup_bulk", best[3] / best[2]);

    rte_lpm_free(l4);
    am_lpm_destroy(lpm);
    rte_eal_cleanup();
    free(p4);
    free(e4);
    free(keys);
    free(ours);
    free(dpdk);
    return 0;
}
