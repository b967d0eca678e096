/*
 * bench_engine: the whole engine at the pilot's size (DESIGN.md,
 * "Performance"): a million-asset inventory of 5,000 tenants loaded and
 * compiled, then 200K native JSON events decoded, matched and encoded, in
 * process and through the real `assetmatch match`.
 *
 * Inputs, generated from fixed seeds into a temporary directory
 * (/tmp/bench_engine.XXXXXX, removed at exit, also on SIGINT/SIGTERM):
 *
 *   inventory.csv  1M records (tenant_id,asset_id,kind,value,
 *                  include_subdomains,verified) of 5,000 tenants whose
 *                  sizes follow Zipf (s = 1: the largest has ~110K, the
 *                  smallest ~20).  Kinds:
 *                  ~60% IPv4: mostly hosts, /24-/29 subnets, a few /16-/22
 *                       blocks.  A tenant registers its own block and hosts
 *                       and subnets inside it (nested ranges); one in 4 of
 *                       the largest 200 tenants is a hoster whose blocks
 *                       hold other tenants' hosts, and whose subnets other
 *                       tenants register too (the same prefix, twice);
 *                  ~5%  IPv6: a tenant's /48s and /56, /64, /128 in them;
 *                  ~33% domains: registrable names over weighted TLDs and
 *                       subdomains of them, some include_subdomains=false,
 *                       a few in upper case, with a trailing dot, or IDN;
 *                  ~1%  AS numbers ("AS64500" or "64500"), hosters' ASNs
 *                       registered by several tenants;
 *                  ~1%  keywords: the tenant's brand (a label of its
 *                       names), new brand-like words, or words from a
 *                       shared list, so several tenants hold the same one;
 *                  ~3%  unverified.  Asset ids are row numbers.
 *   events.jsonl   200K native events (decode_json.h): 70% indicators with
 *                  1-3 observables (ip, cidr, domain, url, email, asn), 30%
 *                  scan rows (ip, hostname, asn).  In 20% one observable is
 *                  made from a registered asset (the address, a host in the
 *                  range, an overlapping range, the name or a subdomain, a
 *                  URL or e-mail address there, a look-alike of a keyword,
 *                  the AS number); the rest are random and still hit by
 *                  chance (covering ranges, keywords in names).
 *
 * Figures (one JSON line each, bench_common.h):
 *   inventory_load_1m      s, am_inventory_load_file() of the CSV
 *   matcher_build_1m       s, am_matcher_build() of it
 *   inventory_build_1m     s, both: what a start or reload costs (<= 2 s)
 *   inventory_rss_1m       MB of resident memory both added (<= 300)
 *   decode_json_per_s      am_decode_json() events/s; baseline: jansson's
 *                          json_loadb() alone over the same lines, the two
 *                          alternating in blocks so both see the same load
 *   decode_json_mb_per_s   the same in MB/s of input
 *   match_only_per_s       am_matcher_match() events/s, pre-decoded in
 *                          batches of 4096 (memory stays bounded)
 *   encode_avro_per_s      am_encode_avro() notifications/s; baseline:
 *                          am_encode_json() of the same notifications,
 *                          the two alternating
 *   match_events_per_s     decode + match + encode of each line, one
 *                          thread, as cmd_match.c's match_line() does
 *                          (without the write); baseline: json_loadb()
 *   match_event_p50_us, match_event_p99_us  latency of that per event
 *   match_cli_events_per_s the real binary, inventory load included
 *   match_cli_events_per_s_excl_load  the same without the in-process
 *                          inventory_build_1m time
 *
 * AM_BENCH_GENERATE_ONLY=1 writes the inputs, says where, and stops.
 *
 * The whole run stays under 3 minutes on a shared 2-core machine: each
 * in-process match phase stops after PHASE_BUDGET_S (its rate is then over
 * the events done, and stderr says so), and the binary gets only as many
 * events as its budget fits at the in-process rate.  Notification counts are
 * cross-checked between match-only, the full path and the binary, and every
 * event made to hit a verified asset must notify someone ("check:" line).
 *
 * usage: bench_engine [PATH-OF-assetmatch]
 * Without the argument the binary is looked for beside this program and one
 * directory up (CMake puts it at the top of the build directory).
 */
#include "bench_common.h"
#include "decode_json.h"
#include "encode_avro.h"
#include "encode_json.h"
#include "event.h"
#include "inventory.h"
#include "matcher.h"
#include "notification.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <jansson.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

/* The pilot's sizes.  With AM_BENCH_GENERATE_ONLY, AM_BENCH_ASSETS,
 * AM_BENCH_EVENTS and AM_BENCH_HIT_PERCENT change them (bench/e2e makes
 * 10K to 1M inventories with 1% and 20% hits); tenants then scale with the
 * assets, one per 200 (the 1M default keeps its 5,000). */
static struct {
    size_t assets, tenants, events;
    unsigned hit_percent;
} sizes = {1000000, 5000, 200000, 20};
#define N_ASSETS sizes.assets
#define N_TENANTS sizes.tenants
#define N_EVENTS sizes.events
#define HIT_PERCENT sizes.hit_percent
#define N_SAMPLES 65536     /* reservoir of assets that events hit */
#define N_HOSTER_NETS 16384 /* hosters' blocks customers live in */
#define N_SHARED 8192       /* hosters' subnets customers register too */
#define N_COMMON_KEYWORDS 300
#define N_HOSTER_ASNS 300
#define MAX_APEX 256  /* registrable names a tenant's subdomains use */
#define MAX_OWN 1024  /* a hoster's blocks its own records use */
#define BATCH 4096    /* pre-decoded events held at once */
#define PHASE_BUDGET_S 25.0 /* in-process match phases stop after this */
#define CLI_BUDGET_S 45.0   /* the binary gets the events that fit */
#define SEED_INVENTORY 0x1be11e5a55e75ULL
#define SEED_EVENTS 0xe7e275ULL

extern char **environ;

/* ---- the temporary directory --------------------------------------- */

static struct {
    char dir[64];
    char inventory[96];
    char events[96];
    char events_cli[96];
    char cli_err[96];
} tmp;

static void cleanup(void) {
    if (!tmp.dir[0])
        return;
    unlink(tmp.inventory);
    unlink(tmp.events);
    unlink(tmp.events_cli);
    unlink(tmp.cli_err);
    rmdir(tmp.dir);
    tmp.dir[0] = '\0';
}

/* unlink() and rmdir() are async-signal-safe. */
static void on_signal(int sig) {
    cleanup();
    signal(sig, SIG_DFL);
    raise(sig);
}

static void make_tmpdir(void) {
    strcpy(tmp.dir, "/tmp/bench_engine.XXXXXX");
    if (!mkdtemp(tmp.dir)) {
        perror("bench_engine: mkdtemp");
        exit(1);
    }
    snprintf(tmp.inventory, sizeof(tmp.inventory), "%s/inventory.csv",
             tmp.dir);
    snprintf(tmp.events, sizeof(tmp.events), "%s/events.jsonl", tmp.dir);
    snprintf(tmp.events_cli, sizeof(tmp.events_cli), "%s/events-cli.jsonl",
             tmp.dir);
    snprintf(tmp.cli_err, sizeof(tmp.cli_err), "%s/cli.err", tmp.dir);
    atexit(cleanup);
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
}

static void die(const char *fmt, ...) {
    va_list ap;

    va_start(ap, fmt);
    fputs("bench_engine: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    exit(1);
}

/* Generation buffers come straight from mmap() so that freeing them leaves
 * malloc's state (and its mmap threshold) as a fresh process has it: the
 * inventory then allocates as it does in `assetmatch`. */
static void *map_alloc(size_t n) {
    void *p = mmap(NULL, n, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

    if (p == MAP_FAILED)
        die("out of memory (%zu bytes)", n);
    return p;
}

static void *xmalloc(size_t n) {
    void *p = malloc(n);

    if (!p)
        die("out of memory (%zu bytes)", n);
    return p;
}

static double file_mb(const char *path) {
    FILE *f = fopen(path, "r");
    long n;

    if (!f || fseek(f, 0, SEEK_END) < 0 || (n = ftell(f)) < 0)
        die("%s: cannot size", path);
    fclose(f);
    return (double)n / 1e6;
}

static void note_load(const char *when) {
    char buf[128] = "";
    FILE *f = fopen("/proc/loadavg", "r");

    if (f) {
        if (!fgets(buf, sizeof(buf), f))
            buf[0] = '\0';
        fclose(f);
    }
    buf[strcspn(buf, "\n")] = '\0';
    fprintf(stderr, "load average %s: %s (2 shared cores; figures are "
            "noisy when it is high)\n", when, buf);
}

/* ---- random choices ---------------------------------------------- */

static size_t pick(uint64_t *rng, size_t n) {
    return (size_t)(am_bench_rand(rng) % n);
}

/* True with probability \p per_mille / 1000. */
static bool chance(uint64_t *rng, unsigned per_mille) {
    return pick(rng, 1000) < per_mille;
}

#define PICK(rng, arr) ((arr)[pick(rng, sizeof(arr) / sizeof((arr)[0]))])

/* A pronounceable, brand-like label of at least \p min bytes. */
static size_t gen_label(uint64_t *rng, char *out, size_t min) {
    static const char cons[] = "bcdfghjklmnprstvwz";
    static const char vow[] = "aeiouy";
    static const char *const tails[] = {
        "", "", "", "", "", "", "", "", "tech", "shop", "net", "group",
        "bank", "zorg", "bouw", "care", "media", "24", "online", "hosting",
        "logistics", "solutions", "it", "nl"};
    size_t o = 0, syll = 2 + pick(rng, 3);

    do {
        for (size_t s = 0; s < syll; s++) {
            out[o++] = cons[pick(rng, sizeof(cons) - 1)];
            out[o++] = vow[pick(rng, sizeof(vow) - 1)];
            if (chance(rng, 300))
                out[o++] = cons[pick(rng, sizeof(cons) - 1)];
        }
        syll = 1;
    } while (o < min);
    {
        const char *t = PICK(rng, tails);
        size_t tl = strlen(t);

        if (tl && chance(rng, 150))
            out[o++] = '-';
        memcpy(out + o, t, tl);
        o += tl;
    }
    if (chance(rng, 60))
        o += (size_t)sprintf(out + o, "%u", (unsigned)pick(rng, 100));
    out[o] = '\0';
    return o;
}

/* Weighted by repetition, roughly as in a European inventory. */
static const char *const tlds[] = {
    "com", "com", "com", "com", "com", "com", "nl", "nl", "nl", "nl", "nl",
    "net", "net", "org", "org", "de", "de", "eu", "be", "co.uk", "org.uk",
    "io", "fr", "info", "biz", "app", "dev", "xyz", "ch", "se", "com.au",
    "co.jp", "it", "es", "pl", "online", "shop", "cloud", "tech", "frl",
    "amsterdam", "nu", "at", "dk", "gov.uk", "ac.uk",
};

static const char *const subs[] = {
    "www", "www", "www", "mail", "shop", "portal", "api", "vpn", "remote",
    "login", "cdn", "m", "intranet", "autodiscover", "webmail", "owa",
    "ftp", "test", "acc", "dev", "sso", "mx1", "mx2", "smtp", "status",
};

/* Unicode starts of IDN names ("müller-bakker.de"). */
static const char *const idn_words[] = {
    "müller", "bäcker", "café", "köln", "zürich", "gärtnerei", "böhm",
    "señor", "élan", "østergaard",
};

/* A registrable name, "label.tld", into \p out; returns its length. */
static size_t gen_registrable(uint64_t *rng, char *out) {
    size_t o = gen_label(rng, out, 4);
    const char *t = PICK(rng, tlds);

    out[o++] = '.';
    strcpy(out + o, t);
    return o + strlen(t);
}

/* Prepends a subdomain label to the name in \p buf (room for 256). */
static void add_sub(uint64_t *rng, char *buf) {
    char lab[64];
    const char *s = lab;
    size_t sl, bl = strlen(buf);

    if (chance(rng, 700))
        s = PICK(rng, subs);
    else
        gen_label(rng, lab, 3);
    sl = strlen(s);
    if (sl + 1 + bl > 240)
        return;
    memmove(buf + sl + 1, buf, bl + 1);
    memcpy(buf, s, sl);
    buf[sl] = '.';
}

/* A random name that an event may carry: registrable names, often with
 * subdomains, and DGA-like strings under cheap TLDs. */
static void gen_observed_name(uint64_t *rng, char *out) {
    static const char dga_tlds[][8] = {"top", "xyz", "ru", "info", "biz",
                                       "cn", "su", "pw", "click", "online"};
    static const char alnum[] = "abcdefghijklmnopqrstuvwxyz0123456789";

    if (chance(rng, 250)) {
        size_t n = 10 + pick(rng, 12), o;
        for (o = 0; o < n; o++)
            out[o] = alnum[pick(rng, sizeof(alnum) - 1)];
        out[o++] = '.';
        strcpy(out + o, PICK(rng, dga_tlds));
        return;
    }
    gen_registrable(rng, out);
    if (chance(rng, 500))
        add_sub(rng, out);
}

/* ---- IPv4 --------------------------------------------------------- */

typedef struct net4_s {
    uint32_t net;
    uint8_t len;
} net4_t;

static uint32_t mask4(unsigned len) {
    return len ? 0xffffffffu << (32 - len) : 0;
}

/* A unicast address outside the private, shared, loopback, link-local
 * and multicast ranges. */
static uint32_t rand_public4(uint64_t *rng) {
    for (;;) {
        uint32_t a = (uint32_t)am_bench_rand(rng);
        unsigned o1 = a >> 24, o2 = (a >> 16) & 0xff;

        if (o1 == 0 || o1 == 10 || o1 == 127 || o1 >= 224 ||
            (o1 == 100 && (o2 & 0xc0) == 64) || (o1 == 169 && o2 == 254) ||
            (o1 == 172 && (o2 & 0xf0) == 16) || (o1 == 192 && o2 == 168))
            continue;
        return a;
    }
}

/* A prefix of \p len bits inside \p n (n itself when len <= n.len). */
static net4_t inside4(uint64_t *rng, net4_t n, unsigned len) {
    net4_t r;

    if (len <= n.len)
        return n;
    r.len = (uint8_t)len;
    r.net = (n.net | ((uint32_t)am_bench_rand(rng) & ~mask4(n.len))) &
            mask4(len);
    return r;
}

static net4_t random4(uint64_t *rng, unsigned len) {
    net4_t r = {rand_public4(rng) & mask4(len), (uint8_t)len};
    return r;
}

/* /16../22, the longer the more common. */
static unsigned block_len(uint64_t *rng) {
    static const unsigned w[] = {16, 17, 18, 18, 19, 19, 19, 20, 20, 20,
                                 20, 21, 21, 21, 21, 21, 22, 22, 22, 22,
                                 22, 22};
    return PICK(rng, w);
}

/* /24../29. */
static unsigned subnet_len(uint64_t *rng) {
    static const unsigned w[] = {24, 24, 24, 24, 24, 24, 24, 24, 25, 25,
                                 26, 26, 27, 27, 27, 28, 28, 29, 29, 29};
    return PICK(rng, w);
}

static void format4(uint32_t a, char *out, size_t n) {
    snprintf(out, n, "%u.%u.%u.%u", a >> 24, (a >> 16) & 0xff,
             (a >> 8) & 0xff, a & 0xff);
}

/* ---- the inventory generator -------------------------------------- */

/* An asset remembered so that events can hit it. */
typedef struct sample_s {
    uint8_t kind;   /* am_asset_kind_t */
    uint8_t family; /* ip: 4 or 6 */
    uint8_t plen;   /* ip: prefix length */
    bool include_subdomains;
    bool verified;
    uint8_t addr[16]; /* ip: network, big-endian; v4 in the first 4 */
    uint32_t asn;
    char value[128]; /* as written (domains: maybe upper case, dotted) */
} sample_t;

typedef struct tenant_s {
    char id[24];
    size_t n_assets;
    bool hoster;
    net4_t block; /* its own IPv4 block */
    bool block_registered;
    net4_t own[MAX_OWN]; /* a hoster's blocks */
    size_t n_own;
    uint8_t v6[16]; /* its current /48 */
    bool have_v6;
    char apex[MAX_APEX][80]; /* its registrable names, canonical */
    size_t n_apex;
} tenant_t;

typedef struct gen_s {
    uint64_t rng, sample_rng;
    FILE *out;
    size_t serial; /* the next asset id */
    sample_t *samples;
    size_t seen;
    net4_t *hoster_nets;
    size_t n_hoster_nets;
    net4_t *shared;
    size_t n_shared;
    uint32_t hoster_asns[N_HOSTER_ASNS];
    char common_kw[N_COMMON_KEYWORDS][32];
    /* What was written, for the notes. */
    size_t kinds[AM_ASSET_ASN + 1];
    size_t v4_len[33], v6_len[129];
    size_t v4_in_hoster, v4_same_as_hoster, v4_nested_own;
    size_t apex, subdomains, incl_false, unverified, kw_shared, kw_brand;
    size_t idn, odd_case;
} gen_t;

static void remember(gen_t *g, const sample_t *s) {
    size_t k = g->seen++;

    if (k < N_SAMPLES)
        g->samples[k] = *s;
    else if ((k = pick(&g->sample_rng, k + 1)) < N_SAMPLES)
        g->samples[k] = *s;
}

/* Writes one CSV row; \p s describes it (value is filled in here). */
static void put_asset(gen_t *g, const tenant_t *t, sample_t *s,
                      const char *value, const char *inc) {
    static const char *const kinds[] = {"", "ip", "domain", "keyword",
                                        "asn"};
    const char *ver;
    unsigned r = (unsigned)pick(&g->rng, 1000);

    if (r < 30) {
        ver = "false";
        g->unverified++;
    } else {
        ver = r < 900 ? "true" : "";
    }
    s->verified = r >= 30;
    fprintf(g->out, "%s,%zu,%s,%s,%s,%s\n", t->id, g->serial++,
            kinds[s->kind], value, inc, ver);
    g->kinds[s->kind]++;
    snprintf(s->value, sizeof(s->value), "%s", value);
    remember(g, s);
}

static void put4(gen_t *g, const tenant_t *t, net4_t n) {
    sample_t s;
    char v[24];
    size_t o;

    memset(&s, 0, sizeof(s));
    s.kind = AM_ASSET_IP;
    s.family = 4;
    s.plen = n.len;
    s.addr[0] = (uint8_t)(n.net >> 24);
    s.addr[1] = (uint8_t)(n.net >> 16);
    s.addr[2] = (uint8_t)(n.net >> 8);
    s.addr[3] = (uint8_t)n.net;
    format4(n.net, v, sizeof(v));
    o = strlen(v);
    if (n.len < 32 || chance(&g->rng, 100))
        snprintf(v + o, sizeof(v) - o, "/%u", n.len);
    g->v4_len[n.len]++;
    put_asset(g, t, &s, v, "");
}

static net4_t own_net(gen_t *g, const tenant_t *t) {
    return t->n_own ? t->own[pick(&g->rng, t->n_own)] : t->block;
}

static void gen_ipv4_hoster(gen_t *g, tenant_t *t) {
    unsigned r = (unsigned)pick(&g->rng, 100);
    net4_t n;

    if (r < 5 || t->n_own == 0) {
        n = random4(&g->rng, block_len(&g->rng));
        if (t->n_own < MAX_OWN)
            t->own[t->n_own++] = n;
        if (g->n_hoster_nets < N_HOSTER_NETS)
            g->hoster_nets[g->n_hoster_nets++] = n;
        else
            g->hoster_nets[pick(&g->rng, N_HOSTER_NETS)] = n;
    } else if (r < 40) {
        n = inside4(&g->rng, own_net(g, t), subnet_len(&g->rng));
        if (g->n_shared < N_SHARED)
            g->shared[g->n_shared++] = n;
        else
            g->shared[pick(&g->rng, N_SHARED)] = n;
    } else {
        n = inside4(&g->rng, own_net(g, t), 32);
    }
    put4(g, t, n);
}

/* A customer's address or subnet: in its own block, at a hoster, or
 * anywhere (cloud). */
static void gen_ipv4_customer(gen_t *g, tenant_t *t) {
    unsigned r = (unsigned)pick(&g->rng, 1000), q;
    unsigned len;
    net4_t n;

    if (!t->block_registered && t->n_assets >= 8) {
        t->block_registered = true;
        put4(g, t, t->block);
        return;
    }
    len = r < 800 ? 32 : r < 985 ? subnet_len(&g->rng) : block_len(&g->rng);
    q = (unsigned)pick(&g->rng, 100);
    if (len >= 24 && len < 32 && q < 10 && g->n_shared) {
        n = g->shared[pick(&g->rng, g->n_shared)];
        g->v4_same_as_hoster++;
    } else if (q < 55) {
        n = inside4(&g->rng, t->block, len);
        g->v4_nested_own += t->block_registered && n.len > t->block.len;
    } else if (q < 80 && len >= 24 && g->n_hoster_nets) {
        n = inside4(&g->rng, g->hoster_nets[pick(&g->rng, g->n_hoster_nets)],
                    len);
        g->v4_in_hoster++;
    } else {
        n = random4(&g->rng, len);
    }
    put4(g, t, n);
}

static void gen_ipv6(gen_t *g, tenant_t *t) {
    sample_t s;
    char v[80];
    unsigned r = (unsigned)pick(&g->rng, 100), len;
    size_t o;

    memset(&s, 0, sizeof(s));
    if (!t->have_v6 || r < 3) {
        uint64_t x = am_bench_rand(&g->rng);
        memset(t->v6, 0, sizeof(t->v6));
        t->v6[0] = chance(&g->rng, 500) ? 0x2a : 0x20;
        t->v6[1] = t->v6[0] == 0x20 ? 0x01 : (uint8_t)(x & 0x0f);
        for (int i = 2; i < 6; i++)
            t->v6[i] = (uint8_t)(x >> (8 * i));
        t->have_v6 = true;
        len = 48;
    } else {
        len = r < 28 ? 56 : r < 63 ? 64 : 128;
    }
    memcpy(s.addr, t->v6, 16);
    for (unsigned i = 6; i < len / 8; i++)
        s.addr[i] = (uint8_t)pick(&g->rng, 256);
    if (len == 128 && chance(&g->rng, 500))
        memset(s.addr + 8, 0, 7); /* "::1"-style hosts are common */
    s.kind = AM_ASSET_IP;
    s.family = 6;
    s.plen = (uint8_t)len;
    inet_ntop(AF_INET6, s.addr, v, sizeof(v));
    o = strlen(v);
    if (len < 128 || chance(&g->rng, 100))
        snprintf(v + o, sizeof(v) - o, "/%u", len);
    g->v6_len[len]++;
    put_asset(g, t, &s, v, "");
}

static void gen_domain(gen_t *g, tenant_t *t) {
    sample_t s;
    char name[300];
    const char *inc;
    unsigned r = (unsigned)pick(&g->rng, 100);

    memset(&s, 0, sizeof(s));
    if (t->n_apex == 0 || (t->n_apex < MAX_APEX && r < 35)) {
        if (chance(&g->rng, 3)) {
            size_t o = (size_t)sprintf(name, "%s-", PICK(&g->rng,
                                                         idn_words));
            o += gen_label(&g->rng, name + o, 4);
            sprintf(name + o, ".%s", PICK(&g->rng, tlds));
            g->idn++;
        } else {
            gen_registrable(&g->rng, name);
        }
        memcpy(t->apex[t->n_apex++], name, strlen(name) + 1); /* < 80 */
        r = (unsigned)pick(&g->rng, 100);
        inc = r < 85 ? "true" : r < 90 ? "false" : "";
        g->apex++;
    } else {
        snprintf(name, sizeof(name), "%s",
                 t->apex[pick(&g->rng, t->n_apex)]);
        add_sub(&g->rng, name);
        if (chance(&g->rng, 200))
            add_sub(&g->rng, name);
        r = (unsigned)pick(&g->rng, 100);
        inc = r < 60 ? "true" : r < 80 ? "false" : "";
        g->subdomains++;
    }
    g->incl_false += inc[0] == 'f';
    s.include_subdomains = inc[0] != 'f';
    if (chance(&g->rng, 10)) { /* typed by hand: "WWW.Example.NL." */
        for (char *p = name; *p; p++)
            if (*p >= 'a' && *p <= 'z' && chance(&g->rng, 400))
                *p = (char)(*p - 'a' + 'A');
        if (chance(&g->rng, 500))
            strcat(name, ".");
        g->odd_case++;
    }
    s.kind = AM_ASSET_DOMAIN;
    put_asset(g, t, &s, name, inc);
}

/* Copies the first label of \p name into \p out when it can be a keyword
 * (>= 4 bytes of [a-z0-9-]). */
static bool brand_of(const char *name, char *out, size_t out_size) {
    size_t n = strcspn(name, ".");

    if (n < 4 || n >= out_size)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!((name[i] >= 'a' && name[i] <= 'z') ||
              (name[i] >= '0' && name[i] <= '9') || name[i] == '-'))
            return false;
    memcpy(out, name, n);
    out[n] = '\0';
    return true;
}

static void gen_keyword(gen_t *g, tenant_t *t) {
    sample_t s;
    char kw[96];
    unsigned r = (unsigned)pick(&g->rng, 100);

    memset(&s, 0, sizeof(s));
    if (r < 30) {
        snprintf(kw, sizeof(kw), "%s",
                 g->common_kw[pick(&g->rng, N_COMMON_KEYWORDS)]);
        g->kw_shared++;
    } else if (r < 75 && t->n_apex &&
               brand_of(t->apex[pick(&g->rng, t->n_apex)], kw, sizeof(kw))) {
        g->kw_brand++;
    } else {
        gen_label(&g->rng, kw, 5);
    }
    s.kind = AM_ASSET_KEYWORD;
    put_asset(g, t, &s, kw, "");
}

static uint32_t rand_asn(uint64_t *rng) {
    return chance(rng, 600) ? 1000 + (uint32_t)pick(rng, 63000)
                            : 131072 + (uint32_t)pick(rng, 270000);
}

static void gen_asn(gen_t *g, tenant_t *t) {
    sample_t s;
    char v[24];

    memset(&s, 0, sizeof(s));
    s.kind = AM_ASSET_ASN;
    s.asn = chance(&g->rng, 400)
                ? g->hoster_asns[pick(&g->rng, N_HOSTER_ASNS)]
                : rand_asn(&g->rng);
    snprintf(v, sizeof(v), chance(&g->rng, 500) ? "AS%u" : "%u", s.asn);
    put_asset(g, t, &s, v, "");
}

/* Zipf (s = 1) sizes summing to N_ASSETS, at least 1 each. */
static void tenant_sizes(size_t *size) {
    double w = 0, sum = 0;
    size_t total = 0;

    for (size_t r = 0; r < N_TENANTS; r++)
        sum += 1.0 / (double)(r + 1);
    for (size_t r = 0; r < N_TENANTS; r++) {
        w = (double)(N_ASSETS - N_TENANTS) / sum / (double)(r + 1);
        size[r] = 1 + (size_t)w;
        total += size[r];
    }
    for (size_t r = 0; total < N_ASSETS; r = (r + 1) % N_TENANTS, total++)
        size[r]++;
}

static void gen_tenant(gen_t *g, tenant_t *t, size_t rank, size_t n) {
    unsigned len;
    size_t need = 4 * (n * 6 / 10) + 64, bits = 0;

    t->n_assets = n;
    /* A Dutch chamber of commerce number: 2654435761 is prime, so
     * rank -> number is one to one modulo 90M. */
    snprintf(t->id, sizeof(t->id), "kvk-%08llu",
             10000000ULL + (unsigned long long)rank * 2654435761ULL %
                               90000000ULL);
    t->hoster = rank < 200 && rank % 4 == 1;
    while (((size_t)1 << bits) < need)
        bits++;
    len = 32 - (unsigned)bits;
    len = len < 14 ? 14 : len > 29 ? 29 : len;
    t->block = random4(&g->rng, len);
    t->block_registered = false;
    t->n_own = 0;
    t->have_v6 = false;
    t->n_apex = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned k = (unsigned)pick(&g->rng, 1000);
        if (k < 600)
            (t->hoster ? gen_ipv4_hoster : gen_ipv4_customer)(g, t);
        else if (k < 650)
            gen_ipv6(g, t);
        else if (k < 980)
            gen_domain(g, t);
        else if (k < 990)
            gen_asn(g, t);
        else
            gen_keyword(g, t);
    }
}

/* The reservoir's filled entries: fewer than N_SAMPLES below 64K assets. */
static size_t n_samples;

/* Writes the inventory; leaves the reservoir in *samples (map_alloc'd,
 * N_SAMPLES entries, n_samples of them filled) for the events. */
static void gen_inventory(const char *path, sample_t **samples) {
    gen_t *g = map_alloc(sizeof(*g));
    tenant_t *t = map_alloc(sizeof(*t));
    size_t *size = map_alloc(N_TENANTS * sizeof(*size));
    size_t v4 = 0, v4_hosts, v4_sub = 0, v4_blk = 0;
    double t0 = am_bench_now();

    g->rng = SEED_INVENTORY;
    g->sample_rng = SEED_INVENTORY ^ 0x5a5a;
    g->samples = map_alloc(N_SAMPLES * sizeof(sample_t));
    g->hoster_nets = map_alloc(N_HOSTER_NETS * sizeof(net4_t));
    g->shared = map_alloc(N_SHARED * sizeof(net4_t));
    g->serial = 1000001;
    for (size_t i = 0; i < N_HOSTER_ASNS; i++)
        g->hoster_asns[i] = rand_asn(&g->rng);
    for (size_t i = 0; i < N_COMMON_KEYWORDS; i++)
        gen_label(&g->rng, g->common_kw[i], 5);
    if (!(g->out = fopen(path, "w")))
        die("%s: cannot create", path);
    setvbuf(g->out, NULL, _IOFBF, 1 << 16);
    fputs("tenant_id,asset_id,kind,value,include_subdomains,verified\n",
          g->out);
    tenant_sizes(size);
    for (size_t r = 0; r < N_TENANTS; r++)
        gen_tenant(g, t, r, size[r]);
    if (fclose(g->out) != 0)
        die("%s: write error (disk full?)", path);

    for (unsigned l = 0; l <= 32; l++) {
        v4 += g->v4_len[l];
        v4_sub += l >= 23 && l < 32 ? g->v4_len[l] : 0;
        v4_blk += l < 23 ? g->v4_len[l] : 0;
    }
    v4_hosts = g->v4_len[32];
    fprintf(stderr,
            "inventory: %zu records of %zu tenants (largest %zu, smallest "
            "%zu), %.1f MB, written in %.2f s\n"
            "  ip v4 %zu (hosts %zu, /23-/31 %zu, /14-/22 %zu; %zu inside "
            "hosters' blocks, %zu the same subnet as a hoster, %zu nested "
            "in the tenant's own registered block)\n"
            "  ip v6 %zu (/48 %zu, /56 %zu, /64 %zu, /128 %zu)\n"
            "  domain %zu (registrable %zu, subdomains %zu, "
            "include_subdomains=false %zu, IDN %zu, odd case or dot %zu)\n"
            "  asn %zu, keyword %zu (shared list %zu, brands %zu), "
            "unverified %zu\n",
            N_ASSETS, N_TENANTS, size[0], size[N_TENANTS - 1],
            file_mb(path), am_bench_now() - t0, v4, v4_hosts, v4_sub, v4_blk,
            g->v4_in_hoster, g->v4_same_as_hoster, g->v4_nested_own,
            g->v6_len[48] + g->v6_len[56] + g->v6_len[64] + g->v6_len[128],
            g->v6_len[48], g->v6_len[56], g->v6_len[64], g->v6_len[128],
            g->kinds[AM_ASSET_DOMAIN], g->apex, g->subdomains, g->incl_false,
            g->idn, g->odd_case, g->kinds[AM_ASSET_ASN],
            g->kinds[AM_ASSET_KEYWORD], g->kw_shared, g->kw_brand,
            g->unverified);
    *samples = g->samples;
    n_samples = g->seen < N_SAMPLES ? g->seen : N_SAMPLES;
    munmap(g->hoster_nets, N_HOSTER_NETS * sizeof(net4_t));
    munmap(g->shared, N_SHARED * sizeof(net4_t));
    munmap(size, N_TENANTS * sizeof(*size));
    munmap(t, sizeof(*t));
    munmap(g, sizeof(*g));
}

/* ---- the events generator ------------------------------------------ */

/* One observable as it goes into the JSON: \p quoted false for numbers. */
typedef struct obs_s {
    am_obs_type_t type;
    bool quoted;
    char value[320];
} obs_t;

static void obs_set(obs_t *o, am_obs_type_t type, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void obs_set(obs_t *o, am_obs_type_t type, const char *fmt, ...) {
    va_list ap;

    o->type = type;
    o->quoted = true;
    va_start(ap, fmt);
    vsnprintf(o->value, sizeof(o->value), fmt, ap);
    va_end(ap);
}

static const char *const paths[] = {
    "/", "/login.php", "/wp-admin/", "/bins/mozi.m", "/invoice.zip",
    "/secure/update?id=8812", "/a/b/c.exe", "/index.html", "/.env",
    "/office365/auth", "/track?u=aHR0cDovL2V4YW1wbGU"};

static const char *const users[] = {"info", "admin", "noreply", "j.jansen",
                                    "support", "billing", "hr", "ceo"};

/* A host address inside the sampled prefix, as text. */
static void host_in(uint64_t *rng, const sample_t *s, char *out, size_t n) {
    uint8_t a[16];

    memcpy(a, s->addr, 16);
    if (s->family == 4) {
        uint32_t x = (uint32_t)a[0] << 24 | (uint32_t)a[1] << 16 |
                     (uint32_t)a[2] << 8 | a[3];
        x |= (uint32_t)am_bench_rand(rng) & ~mask4(s->plen);
        format4(x, out, n);
        return;
    }
    for (unsigned b = s->plen; b < 128; b++)
        if (am_bench_rand(rng) & 1)
            a[b / 8] |= (uint8_t)(0x80 >> (b % 8));
    inet_ntop(AF_INET6, a, out, (socklen_t)n);
}

/* A name under the sampled domain: itself, or a subdomain when it covers
 * them. */
static void name_at(uint64_t *rng, const sample_t *s, char *out) {
    strcpy(out, s->value);
    if (s->include_subdomains && chance(rng, 600))
        add_sub(rng, out);
}

/* A look-alike name with the keyword in it, as phishing uses. */
static void lookalike(uint64_t *rng, const char *kw, char *out) {
    static const char *const f[] = {
        "%s-login.com", "secure-%s.net", "%s-support.top", "my%s.xyz",
        "%s.account-verify.info", "www.%s-online.shop", "%s-nl.com",
        "mail.%s-helpdesk.ru"};
    sprintf(out, PICK(rng, f), kw);
}

/* An observable made from the sampled asset \p s. */
static void hit_obs(uint64_t *rng, const sample_t *s, obs_t *o) {
    char h[300];
    unsigned r = (unsigned)pick(rng, 100);

    switch (s->kind) {
    case AM_ASSET_IP: {
        unsigned w = s->family == 4 ? 32 : 128;
        host_in(rng, s, h, sizeof(h));
        if (s->family == 6 && r < 85)
            obs_set(o, AM_OBS_IP, "%s", h);
        else if (s->family == 6)
            obs_set(o, AM_OBS_URL, "http://[%s]%s", h, PICK(rng, paths));
        else if (r < 65)
            obs_set(o, AM_OBS_IP, "%s", h);
        else if (r < 80)
            obs_set(o, AM_OBS_URL, "http://%s%s%s", h,
                    chance(rng, 300) ? ":8080" : "", PICK(rng, paths));
        else if (r < 88 && s->plen < w) /* the range itself */
            obs_set(o, AM_OBS_CIDR, "%u.%u.%u.%u/%u", s->addr[0], s->addr[1],
                    s->addr[2], s->addr[3], s->plen);
        else { /* a wider observed range, overlapping the asset */
            unsigned len = s->plen > 12 ? s->plen - 1 - (unsigned)pick(rng, 4)
                                        : 8;
            uint32_t x = ((uint32_t)s->addr[0] << 24 |
                          (uint32_t)s->addr[1] << 16 |
                          (uint32_t)s->addr[2] << 8 | s->addr[3]) &
                         mask4(len);
            format4(x, h, sizeof(h));
            obs_set(o, AM_OBS_CIDR, "%s/%u", h, len);
        }
        return;
    }
    case AM_ASSET_DOMAIN:
        name_at(rng, s, h);
        if (r < 35)
            obs_set(o, AM_OBS_DOMAIN, "%s", h);
        else if (r < 85)
            obs_set(o, AM_OBS_URL, "https://%s%s", h, PICK(rng, paths));
        else
            obs_set(o, AM_OBS_EMAIL, "%s@%s", PICK(rng, users), h);
        return;
    case AM_ASSET_KEYWORD:
        lookalike(rng, s->value, h);
        if (r < 50)
            obs_set(o, AM_OBS_DOMAIN, "%s", h);
        else
            obs_set(o, AM_OBS_URL, "http://%s%s", h, PICK(rng, paths));
        return;
    case AM_ASSET_ASN:
        if (r < 50) {
            obs_set(o, AM_OBS_ASN, "%u", s->asn);
            o->quoted = false;
        } else {
            obs_set(o, AM_OBS_ASN, "AS%u", s->asn);
        }
        return;
    }
}

static void rand_v6(uint64_t *rng, char *out, size_t n) {
    uint8_t a[16];
    uint64_t x = am_bench_rand(rng), y = am_bench_rand(rng);

    memcpy(a, &x, 8);
    memcpy(a + 8, &y, 8);
    a[0] = 0x2a;
    a[1] &= 0x0f;
    inet_ntop(AF_INET6, a, out, (socklen_t)n);
}

/* A random observable of \p type. */
static void miss_obs(uint64_t *rng, am_obs_type_t type, obs_t *o) {
    char h[300];

    switch (type) {
    case AM_OBS_IP:
        if (chance(rng, 100))
            rand_v6(rng, h, sizeof(h));
        else
            format4(rand_public4(rng), h, sizeof(h));
        obs_set(o, type, "%s", h);
        break;
    case AM_OBS_CIDR:
        format4(rand_public4(rng) & mask4(24), h, sizeof(h));
        obs_set(o, type, "%s/24", h);
        break;
    case AM_OBS_DOMAIN:
        gen_observed_name(rng, h);
        obs_set(o, type, "%s", h);
        break;
    case AM_OBS_URL:
        if (chance(rng, 300))
            format4(rand_public4(rng), h, sizeof(h));
        else
            gen_observed_name(rng, h);
        obs_set(o, type, "%s://%s%s", chance(rng, 600) ? "http" : "https",
                h, PICK(rng, paths));
        break;
    case AM_OBS_EMAIL:
        gen_observed_name(rng, h);
        obs_set(o, type, "%s@%s", PICK(rng, users), h);
        break;
    case AM_OBS_ASN:
    default:
        obs_set(o, AM_OBS_ASN, "%u", rand_asn(rng));
        o->quoted = false;
        break;
    }
}

static am_obs_type_t miss_type(uint64_t *rng) {
    unsigned r = (unsigned)pick(rng, 100);

    return r < 30   ? AM_OBS_IP
           : r < 50 ? AM_OBS_DOMAIN
           : r < 80 ? AM_OBS_URL
           : r < 88 ? AM_OBS_EMAIL
           : r < 92 ? AM_OBS_CIDR
                    : AM_OBS_ASN;
}

static void put_time(uint64_t *rng, FILE *f, const char *key, int month) {
    fprintf(f, ",\"%s\":\"2025-%02d-%02dT%02u:%02u:%02uZ\"", key, month,
            1 + (int)pick(rng, 28), (unsigned)pick(rng, 24),
            (unsigned)pick(rng, 60), (unsigned)pick(rng, 60));
}

static void put_indicator(uint64_t *rng, FILE *f, size_t i,
                          const sample_t *hit) {
    static const char *const cats[] = {
        "phishing", "malware-distribution", "c2server", "scanner", "spam",
        "brute-force", "ddos", "compromised"};
    static const char *const sev[] = {"low", "medium", "high", "critical"};
    static const char *const srcs[] = {"ncsc-nl", "urlhaus", "threatfox",
                                       "feodotracker", "phishtank",
                                       "abuseipdb", "dtc-partner-feed"};
    static const char *const tlp[] = {"clear", "green", "green", "amber"};
    static const char *const desc[] = {
        "Observed distributing malware in the last 24 hours",
        "Phishing page imitating a Dutch bank, reported by users",
        "Command-and-control server of a known botnet family",
        "Host seen brute-forcing SSH and RDP logins",
        "Credential harvesting kit found on this host",
        "Mass scanning for vulnerable VPN appliances"};
    size_t n = 1 + (chance(rng, 450) ? 1 + (size_t)chance(rng, 333) : 0);
    size_t at = pick(rng, n);
    uint64_t u1 = am_bench_rand(rng), u2 = am_bench_rand(rng);
    int month = 1 + (int)pick(rng, 11);
    obs_t o;

    fprintf(f, "{\"id\":\"indicator--%08x-%04x-4%03x-%04x-%012llx\","
            "\"kind\":\"indicator\",\"observables\":[",
            (unsigned)(u1 >> 32), (unsigned)(u1 >> 16) & 0xffff,
            (unsigned)u1 & 0xfff, 0x8000 | ((unsigned)(u2 >> 48) & 0x3fff),
            (unsigned long long)(u2 & 0xffffffffffffULL));
    for (size_t k = 0; k < n; k++) {
        if (hit && k == at)
            hit_obs(rng, hit, &o);
        else
            miss_obs(rng, miss_type(rng), &o);
        fprintf(f, "%s{\"type\":\"%s\",\"value\":%s%s%s}", k ? "," : "",
                am_obs_type_name(o.type), o.quoted ? "\"" : "", o.value,
                o.quoted ? "\"" : "");
    }
    fprintf(f, "],\"category\":\"%s\",\"severity\":\"%s\",\"confidence\":%u,"
            "\"source\":\"%s\",\"tlp\":\"%s\"",
            PICK(rng, cats), PICK(rng, sev), 30 + (unsigned)pick(rng, 71),
            PICK(rng, srcs), PICK(rng, tlp));
    put_time(rng, f, "time", month);
    if (chance(rng, 500))
        put_time(rng, f, "valid_until", month + 1);
    fprintf(f, ",\"description\":\"%s (ref %zu)\"}\n", PICK(rng, desc), i);
}

static void put_scan(uint64_t *rng, FILE *f, size_t i, const sample_t *hit) {
    static const struct {
        int port;
        const char *proto, *tag;
    } svc[] = {{443, "tcp", "ssl-freak"},       {3389, "tcp", "rdp"},
               {161, "udp", "snmp"},            {53, "udp", "open-resolver"},
               {123, "udp", "ntp-monitor"},     {22, "tcp", "ssh"},
               {445, "tcp", "smb"},             {9200, "tcp", "elasticsearch"},
               {23, "tcp", "telnet"},           {80, "tcp", "http-vulnerable"},
               {11211, "udp", "memcached"},     {5900, "tcp", "vnc"}};
    size_t k = pick(rng, sizeof(svc) / sizeof(svc[0]));
    char ip[64], host[300] = "";
    uint32_t asn = chance(rng, 750) ? rand_asn(rng) : 0;

    if (hit && hit->kind == AM_ASSET_IP)
        host_in(rng, hit, ip, sizeof(ip));
    else
        format4(rand_public4(rng), ip, sizeof(ip));
    if (hit && hit->kind == AM_ASSET_DOMAIN)
        name_at(rng, hit, host);
    else if (hit && hit->kind == AM_ASSET_KEYWORD)
        lookalike(rng, hit->value, host);
    else if (chance(rng, 350))
        gen_observed_name(rng, host);
    if (hit && hit->kind == AM_ASSET_ASN)
        asn = hit->asn;

    fprintf(f, "{\"id\":\"scan-2025%04zu-%07zu\",\"kind\":\"scan\","
            "\"ip\":\"%s\",\"port\":%d,\"protocol\":\"%s\"",
            1 + i / 20000, i, ip, svc[k].port, svc[k].proto);
    if (host[0])
        fprintf(f, ",\"hostname\":\"%s\"", host);
    if (asn)
        fprintf(f, ",\"asn\":%u", asn);
    fprintf(f, ",\"tag\":\"%s\"", svc[k].tag);
    put_time(rng, f, "time", 1 + (int)pick(rng, 12));
    fprintf(f, ",\"source\":\"shadowserver-scan_%s\"}\n", svc[k].tag);
}

/* Writes the events; expect[i] says whether event i was made to hit a
 * verified asset (so it must notify at least one tenant). */
static void gen_events(const char *path, const sample_t *samples,
                       uint8_t *expect) {
    uint64_t rng = SEED_EVENTS;
    FILE *f = fopen(path, "w");
    size_t hits = 0, scans = 0;
    double t0 = am_bench_now();

    if (!f)
        die("%s: cannot create", path);
    setvbuf(f, NULL, _IOFBF, 1 << 16);
    for (size_t i = 0; i < N_EVENTS; i++) {
        const sample_t *hit = NULL;
        if (chance(&rng, HIT_PERCENT * 10)) {
            hit = &samples[pick(&rng, n_samples)];
            expect[i] = hit->verified;
            hits++;
        }
        if (chance(&rng, 300)) {
            put_scan(&rng, f, i, hit);
            scans++;
        } else {
            put_indicator(&rng, f, i, hit);
        }
    }
    if (fclose(f) != 0)
        die("%s: write error (disk full?)", path);
    fprintf(stderr,
            "events: %zu (%zu indicators, %zu scans), %zu made to hit an asset "
            "(%.1f%%), %.1f MB, written in %.2f s\n",
            N_EVENTS, N_EVENTS - scans, scans, hits,
            100.0 * (double)hits / N_EVENTS, file_mb(path),
            am_bench_now() - t0);
}

/* ---- the events in memory ------------------------------------------- */

typedef struct lines_s {
    char *buf;
    size_t len;
    uint32_t *off, *n;
    size_t count;
} lines_t;

static void lines_read(lines_t *l, const char *path) {
    FILE *f = fopen(path, "r");
    size_t cap = 1 << 16, i = 0;

    if (!f || fseek(f, 0, SEEK_END) < 0)
        die("%s: cannot read", path);
    l->len = (size_t)ftell(f);
    rewind(f);
    l->buf = xmalloc(l->len + 1);
    if (fread(l->buf, 1, l->len, f) != l->len)
        die("%s: short read", path);
    fclose(f);
    l->off = xmalloc(cap * sizeof(*l->off));
    l->n = xmalloc(cap * sizeof(*l->n));
    l->count = 0;
    while (i < l->len) {
        char *nl = memchr(l->buf + i, '\n', l->len - i);
        size_t e = nl ? (size_t)(nl - l->buf) : l->len;
        if (l->count == cap) {
            cap *= 2;
            l->off = realloc(l->off, cap * sizeof(*l->off));
            l->n = realloc(l->n, cap * sizeof(*l->n));
            if (!l->off || !l->n)
                die("out of memory");
        }
        l->off[l->count] = (uint32_t)i;
        l->n[l->count++] = (uint32_t)(e - i);
        i = e + 1;
    }
}

static void lines_free(lines_t *l) {
    free(l->buf);
    free(l->off);
    free(l->n);
}

/* ---- measurements ------------------------------------------------- */

typedef struct engine_s {
    am_inventory_t *inv;
    am_matcher_t *m;
    double load_s, build_s;
} engine_t;

static void build_engine(engine_t *e, const char *path) {
    am_inventory_load_opts_t lo = {false, 20, false, stderr};
    am_inventory_load_stats_t st;
    am_matcher_opts_t mo = {.include_unverified = false};
    char err[512];
    size_t rss0, rss1;
    double t0, t1, t2;

    rss0 = am_bench_rss();
    t0 = am_bench_now();
    if (!(e->inv = am_inventory_new()))
        die("out of memory");
    if (am_inventory_load_file(e->inv, path, &lo, &st, err, sizeof(err)) <
        0)
        die("the inventory rejected the generated file: %s", err);
    t1 = am_bench_now();
    if (!(e->m = am_matcher_build(e->inv, &mo, err, sizeof(err))))
        die("am_matcher_build: %s", err);
    t2 = am_bench_now();
    rss1 = am_bench_rss();
    e->load_s = t1 - t0;
    e->build_s = t2 - t1;
    if (st.loaded != N_ASSETS || am_inventory_count(e->inv) != N_ASSETS)
        die("loaded %zu of %zu records (%zu bad)", st.loaded, N_ASSETS,
            st.bad);
    fprintf(stderr,
            "inventory: %zu assets of %zu tenants (ip %zu, domain %zu, "
            "keyword %zu, asn %zu); load %.3f s + build %.3f s; inventory "
            "%.1f MB + matcher %.1f MB by their own count\n",
            am_inventory_count(e->inv), am_inventory_tenant_count(e->inv),
            am_inventory_count_kind(e->inv, AM_ASSET_IP),
            am_inventory_count_kind(e->inv, AM_ASSET_DOMAIN),
            am_inventory_count_kind(e->inv, AM_ASSET_KEYWORD),
            am_inventory_count_kind(e->inv, AM_ASSET_ASN), e->load_s,
            e->build_s, (double)am_inventory_memory(e->inv) / 1e6,
            (double)am_matcher_memory(e->m) / 1e6);
    fprintf(stderr, "inventory_build_1m %.3f s (target <= 2 s: %s); "
            "inventory_rss_1m %.1f MB (target <= 300: %s)\n",
            t2 - t0, t2 - t0 <= 2.0 ? "met" : "NOT met",
            (double)(rss1 - rss0) / 1e6,
            (double)(rss1 - rss0) / 1e6 <= 300 ? "met" : "NOT met");
    am_bench_report("inventory_load_1m", e->load_s, "s", NULL, 0);
    am_bench_report("matcher_build_1m", e->build_s, "s", NULL, 0);
    am_bench_report("inventory_build_1m", t2 - t0, "s", NULL, 0);
    am_bench_report("inventory_rss_1m", (double)(rss1 - rss0) / 1e6, "MB",
                    NULL, 0);
}

/* jansson's json_loadb() alone (the baseline) and am_decode_json() over
 * the same lines, alternating in blocks of BATCH lines so that both see the
 * same share of a busy machine.  *tj and *td get their times. */
static void time_decode(const lines_t *l, double *tj, double *td) {
    am_event_t ev;
    json_error_t je;
    char err[512];
    size_t bad = 0;

    *tj = *td = 0;
    am_event_init(&ev);
    for (size_t start = 0; start < l->count; start += BATCH) {
        size_t end = start + BATCH < l->count ? start + BATCH : l->count;
        double t0 = am_bench_now(), t1;

        for (size_t i = start; i < end; i++) {
            json_t *j = json_loadb(l->buf + l->off[i], l->n[i],
                                   JSON_REJECT_DUPLICATES, &je);
            if (!j)
                die("events:%zu: jansson: %s", i + 1, je.text);
            json_decref(j);
        }
        t1 = am_bench_now();
        for (size_t i = start; i < end; i++) {
            am_event_reset(&ev);
            if (am_decode_json(l->buf + l->off[i], l->n[i], &ev, err,
                               sizeof(err)) < 0 &&
                bad++ < 5)
                fprintf(stderr, "events:%zu: rejected: %s\n", i + 1, err);
        }
        *tj += t1 - t0;
        *td += am_bench_now() - t1;
    }
    am_event_free(&ev);
    if (bad)
        die("am_decode_json rejected %zu generated events", bad);
}

/* What one pass of decode + match + encode found. */
typedef struct path_stats_s {
    size_t events; /* events processed (fewer when the budget ran out) */
    size_t notifications, events_hit, out_bytes, rejected;
    size_t expected, missed; /* events made to hit, and those that did not */
    size_t tenants_per_event[4]; /* 1, 2, 3, more */
} path_stats_t;

/* decode + match + encode of the lines, as cmd_match.c's match_line()
 * (without the write), until \p budget_s runs out.  Event i's time goes to
 * lat_ns[i], its notification count to notes[i]. */
static double time_path(const am_matcher_t *m, const lines_t *l,
                        double budget_s, const uint8_t *expect,
                        path_stats_t *ps, uint32_t *lat_ns,
                        uint16_t *notes) {
    am_match_ctx_t *ctx = am_match_ctx_new();
    am_event_t ev;
    am_buf_t out;
    char err[512], match_time[32];
    double t0, now = 0;
    size_t i;

    if (!ctx)
        die("out of memory");
    memset(ps, 0, sizeof(*ps));
    am_event_init(&ev);
    am_buf_init(&out);
    am_notification_now(match_time);
    t0 = am_bench_now();
    for (i = 0; i < l->count; i++) {
        const am_match_result_t *res;
        double e0 = am_bench_now();
        int nr;

        if (i % 1024 == 0 && e0 - t0 > budget_s)
            break;
        am_event_reset(&ev);
        nr = 0;
        if (am_decode_json(l->buf + l->off[i], l->n[i], &ev, err,
                           sizeof(err)) < 0)
            ps->rejected++;
        else if ((nr = am_matcher_match(m, ctx, &ev, &res)) < 0)
            die("am_matcher_match: out of memory");
        for (int k = 0; k < nr; k++) {
            am_notification_t nt = {.inv = am_matcher_inventory(m),
                                    .ev = &ev,
                                    .result = &res[k],
                                    .match_time = match_time};
            am_buf_reset(&out);
            if (am_encode_json(&out, &nt) < 0)
                die("am_encode_json: out of memory");
            am_buf_putc(&out, '\n');
            ps->out_bytes += out.len;
        }
        now = am_bench_now();
        lat_ns[i] = (uint32_t)((now - e0) * 1e9);
        notes[i] = (uint16_t)(nr > UINT16_MAX ? UINT16_MAX : nr);
        ps->notifications += (size_t)nr;
        ps->events_hit += nr > 0;
        ps->expected += expect[i];
        if (expect[i] && nr == 0 && ps->missed++ < 5)
            fprintf(stderr, "MISSED: events:%zu was made to hit a verified "
                    "asset but notified nobody: %.*s\n", i + 1,
                    (int)(l->n[i] > 300 ? 300 : l->n[i]),
                    l->buf + l->off[i]);
        if (nr > 0)
            ps->tenants_per_event[nr > 4 ? 3 : nr - 1]++;
    }
    ps->events = i;
    am_buf_free(&out);
    am_event_free(&ev);
    am_match_ctx_destroy(ctx);
    return now - t0;
}

/* am_matcher_match() alone: events are decoded BATCH at a time (untimed),
 * then matched (timed), until \p budget_s of matching.  *events and
 * *notifications say how many were done and found. */
static double time_match_only(const am_matcher_t *m, const lines_t *l,
                              double budget_s, size_t *events,
                              size_t *notifications) {
    am_match_ctx_t *ctx = am_match_ctx_new();
    am_event_t *evs = xmalloc(BATCH * sizeof(*evs));
    char err[512];
    double t = 0;
    size_t start;

    if (!ctx)
        die("out of memory");
    *notifications = 0;
    for (size_t j = 0; j < BATCH; j++)
        am_event_init(&evs[j]);
    for (start = 0; start < l->count && t <= budget_s; start += BATCH) {
        size_t k = l->count - start < BATCH ? l->count - start : BATCH;
        double t0;
        for (size_t j = 0; j < k; j++) {
            size_t i = start + j;
            am_event_reset(&evs[j]);
            if (am_decode_json(l->buf + l->off[i], l->n[i], &evs[j], err,
                               sizeof(err)) < 0)
                die("events:%zu: rejected: %s", i + 1, err);
        }
        t0 = am_bench_now();
        for (size_t j = 0; j < k; j++) {
            const am_match_result_t *res;
            int nr = am_matcher_match(m, ctx, &evs[j], &res);
            if (nr < 0)
                die("am_matcher_match: out of memory");
            *notifications += (size_t)nr;
        }
        t += am_bench_now() - t0;
    }
    *events = start < l->count ? start : l->count;
    for (size_t j = 0; j < BATCH; j++)
        am_event_free(&evs[j]);
    free(evs);
    am_match_ctx_destroy(ctx);
    return t;
}

/* The notifications of the first events, encoded as JSON and as Avro
 * (bare), the two alternating per notification so that both see the same
 * load, until \p budget_s of encoding.  Decoding and matching are not
 * timed.  *count says how many notifications were encoded (each way). */
static void time_encode(const am_matcher_t *m, const lines_t *l,
                        double budget_s, size_t *count, double *tj,
                        double *ta) {
    am_match_ctx_t *ctx = am_match_ctx_new();
    am_event_t ev;
    am_buf_t out;
    char err[512], match_time[32];

    if (!ctx)
        die("out of memory");
    am_event_init(&ev);
    am_buf_init(&out);
    am_notification_now(match_time);
    *count = 0;
    *tj = *ta = 0;
    for (size_t i = 0; i < l->count && *tj + *ta <= 2 * budget_s; i++) {
        const am_match_result_t *res;
        int nr;

        am_event_reset(&ev);
        if (am_decode_json(l->buf + l->off[i], l->n[i], &ev, err,
                           sizeof(err)) < 0)
            die("events:%zu: rejected: %s", i + 1, err);
        if ((nr = am_matcher_match(m, ctx, &ev, &res)) < 0)
            die("am_matcher_match: out of memory");
        for (int k = 0; k < nr; k++) {
            am_notification_t nt = {.inv = am_matcher_inventory(m),
                                    .ev = &ev,
                                    .result = &res[k],
                                    .match_time = match_time};
            double t0 = am_bench_now(), t1;
            am_buf_reset(&out);
            if (am_encode_json(&out, &nt) < 0)
                die("am_encode_json: out of memory");
            t1 = am_bench_now();
            am_buf_reset(&out);
            if (am_encode_avro(&out, &nt, -1, err, sizeof(err)) < 0)
                die("am_encode_avro: %s", err);
            *ta += am_bench_now() - t1;
            *tj += t1 - t0;
            ++*count;
        }
    }
    am_buf_free(&out);
    am_event_free(&ev);
    am_match_ctx_destroy(ctx);
}

static int cmp_u32(const void *a, const void *b) {
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

static void note_budget(const char *what, size_t done) {
    if (done < N_EVENTS)
        fprintf(stderr, "note: %s stopped after %zu of %zu events (time "
                "budget); its rate is over those\n", what, done, N_EVENTS);
}

/* What the CLI run needs from the in-process runs. */
typedef struct cli_plan_s {
    const char *events; /* the file to give it */
    size_t n_events;
    size_t notifications; /* expected, or SIZE_MAX when unknown */
} cli_plan_t;

/* Writes the first \p n lines to tmp.events_cli. */
static void write_prefix(const lines_t *l, size_t n) {
    FILE *f = fopen(tmp.events_cli, "w");
    size_t end = n < l->count ? l->off[n] : l->len;

    if (!f || fwrite(l->buf, 1, end, f) != end || fclose(f) != 0)
        die("%s: write error", tmp.events_cli);
}

static void bench_events(const engine_t *e, const uint8_t *expect,
                         cli_plan_t *plan) {
    lines_t l;
    path_stats_t ps;
    uint32_t *lat;
    uint16_t *notes;
    size_t only_ev, only_n, prefix_n = 0, cli_n, n_enc;
    double mb, tj, td, tp, tm, cli_est, tej, tea;

    lines_read(&l, tmp.events);
    if (l.count != N_EVENTS)
        die("%zu event lines, expected %zu", l.count, N_EVENTS);
    mb = (double)l.len / 1e6;
    time_decode(&l, &tj, &td);
    fprintf(stderr, "jansson json_loadb alone: %.0f events/s, %.1f MB/s\n",
            N_EVENTS / tj, mb / tj);
    am_bench_report("decode_json_per_s", N_EVENTS / td, "events/s",
                    "jansson_loadb", tj / td);
    am_bench_report("decode_json_mb_per_s", mb / td, "MB/s", "jansson_loadb",
                    tj / td);

    tm = time_match_only(e->m, &l, PHASE_BUDGET_S, &only_ev, &only_n);
    note_budget("match_only", only_ev);
    am_bench_report("match_only_per_s", (double)only_ev / tm, "events/s",
                    NULL, 0);

    time_encode(e->m, &l, PHASE_BUDGET_S / 5, &n_enc, &tej, &tea);
    fprintf(stderr, "JSON encoder: %.0f notifications/s\n",
            (double)n_enc / tej);
    am_bench_report("encode_avro_per_s", (double)n_enc / tea,
                    "notifications/s", "encode_json", tej / tea);

    lat = xmalloc(N_EVENTS * sizeof(*lat));
    notes = xmalloc(N_EVENTS * sizeof(*notes));
    tp = time_path(e->m, &l, PHASE_BUDGET_S, expect, &ps, lat, notes);
    note_budget("match_events (decode+match+encode)", ps.events);
    for (size_t i = 0; i < only_ev && i < ps.events; i++)
        prefix_n += notes[i];
    if (ps.rejected || (only_ev <= ps.events && prefix_n != only_n))
        die("decode+match+encode: %zu rejected, %zu notifications where "
            "match alone gave %zu",
            ps.rejected, prefix_n, only_n);
    fprintf(stderr,
            "match: %zu notifications for %zu events = %.3f per event; %zu "
            "events (%.1f%%) notified 1 tenant %zu, 2: %zu, 3: %zu, more: "
            "%zu; %.1f MB of JSON output\n",
            ps.notifications, ps.events,
            (double)ps.notifications / (double)ps.events, ps.events_hit,
            100.0 * (double)ps.events_hit / (double)ps.events,
            ps.tenants_per_event[0], ps.tenants_per_event[1],
            ps.tenants_per_event[2], ps.tenants_per_event[3],
            (double)ps.out_bytes / 1e6);
    fprintf(stderr, "%s: %zu events were made to hit a verified asset; %zu "
            "of them notified nobody\n",
            ps.missed ? "WRONG" : "check", ps.expected, ps.missed);
    am_bench_report("match_events_per_s", (double)ps.events / tp,
                    "events/s", "jansson_loadb",
                    ((double)ps.events / tp) / (N_EVENTS / tj));
    qsort(lat, ps.events, sizeof(*lat), cmp_u32);
    am_bench_report("match_event_p50_us", lat[ps.events / 2] / 1e3, "us",
                    NULL, 0);
    am_bench_report("match_event_p99_us", lat[ps.events * 99 / 100] / 1e3,
                    "us", NULL, 0);
    fprintf(stderr, "per-event latency of decode+match+encode: max %.1f us "
            "(the two clock reads per event included)\n",
            lat[ps.events - 1] / 1e3);

    /* The CLI gets as many events as fit its budget at this rate. */
    cli_est = 1.5 * (e->load_s + e->build_s) + N_EVENTS * tp /
                                                   (double)ps.events;
    cli_n = N_EVENTS;
    if (cli_est > CLI_BUDGET_S) {
        double left = CLI_BUDGET_S - 1.5 * (e->load_s + e->build_s);
        cli_n = (size_t)((left > 10 ? left : 10) * (double)ps.events / tp);
        cli_n = cli_n < 10000 ? 10000 : cli_n > N_EVENTS ? N_EVENTS : cli_n;
    }
    plan->n_events = cli_n;
    plan->events = tmp.events;
    plan->notifications = SIZE_MAX;
    if (cli_n < N_EVENTS) {
        write_prefix(&l, cli_n);
        plan->events = tmp.events_cli;
        fprintf(stderr, "note: the binary gets the first %zu events only "
                "(time budget; estimated %.0f s for all)\n", cli_n, cli_est);
    }
    if (cli_n <= ps.events) {
        plan->notifications = 0;
        for (size_t i = 0; i < cli_n; i++)
            plan->notifications += notes[i];
    }
    free(lat);
    free(notes);
    lines_free(&l);
}

/* ---- the real binary ------------------------------------------------ */

static bool find_binary(const char *arg, char *out, size_t n) {
    char self[PATH_MAX];
    ssize_t len;

    if (arg) {
        snprintf(out, n, "%s", arg);
        return access(out, X_OK) == 0;
    }
    if ((len = readlink("/proc/self/exe", self, sizeof(self) - 1)) < 0)
        return false;
    self[len] = '\0';
    snprintf(out, n, "%s/assetmatch", dirname(self));
    if (access(out, X_OK) == 0)
        return true;
    snprintf(out, n, "%s/../assetmatch", self); /* self is the dir now */
    return access(out, X_OK) == 0;
}

static void bench_cli(const char *arg, double inventory_s,
                      const cli_plan_t *plan) {
    char bin[PATH_MAX + 32], line[1024];
    char *args[] = {bin, "match", "--inventory", tmp.inventory,
                    (char *)plan->events, NULL};
    posix_spawn_file_actions_t fa;
    struct rusage ru;
    size_t ev = 0, rej = 0, notes = 0;
    double t0, t, cli_load = -1;
    int status;
    pid_t pid;
    FILE *f;

    if (!find_binary(arg, bin, sizeof(bin))) {
        fprintf(stderr, "note: no assetmatch binary found (%s); give its "
                "path as the argument; match_cli_* not measured\n",
                arg ? arg : "beside bench_engine or one directory up");
        return;
    }
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 2, tmp.cli_err,
                                     O_WRONLY | O_CREAT | O_TRUNC, 0600);
    t0 = am_bench_now();
    if (posix_spawn(&pid, bin, &fa, NULL, args, environ) != 0)
        die("%s: cannot run", bin);
    if (wait4(pid, &status, 0, &ru) < 0)
        die("wait4 failed");
    t = am_bench_now() - t0;
    posix_spawn_file_actions_destroy(&fa);

    if ((f = fopen(tmp.cli_err, "r"))) {
        while (fgets(line, sizeof(line), f)) {
            const char *p = strstr(line, "loaded in ");
            fprintf(stderr, "  | %s", line);
            sscanf(line, "match: %zu events, %zu rejected, %zu notifications",
                   &ev, &rej, &notes);
            if (p)
                sscanf(p, "loaded in %lf", &cli_load);
        }
        fclose(f);
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        die("%s match exited with status %d (signal %d)", bin,
            WIFEXITED(status) ? WEXITSTATUS(status) : -1,
            WIFSIGNALED(status) ? WTERMSIG(status) : 0);
    if (ev != plan->n_events ||
        (plan->notifications != SIZE_MAX && notes != plan->notifications))
        fprintf(stderr, "WARNING: the binary reported %zu events and %zu "
                "notifications; in process: %zu and %zu\n",
                ev, notes, plan->n_events, plan->notifications);
    fprintf(stderr,
            "%s match --inventory (1M) on %zu events, output to /dev/null: "
            "%.2f s wall, peak RSS %.0f MB; it reported its own load+build "
            "as %.2f s.  match_cli_events_per_s_excl_load subtracts the "
            "in-process inventory_build_1m (%.2f s) from the wall time\n",
            bin, plan->n_events, t, (double)ru.ru_maxrss / 1e3, cli_load,
            inventory_s);
    am_bench_report("match_cli_events_per_s", (double)plan->n_events / t,
                    "events/s", NULL, 0);
    if (t > inventory_s)
        am_bench_report("match_cli_events_per_s_excl_load",
                        (double)plan->n_events / (t - inventory_s),
                        "events/s", NULL, 0);
}

static size_t env_size(const char *name, size_t dflt, size_t lo,
                       size_t hi) {
    const char *v = getenv(name);
    char *end;
    unsigned long long n;

    if (!v || !*v)
        return dflt;
    n = strtoull(v, &end, 10);
    if (*end || n < lo || n > hi)
        die("%s=%s: not a number from %zu to %zu", name, v, lo, hi);
    return (size_t)n;
}

static void set_sizes(void) {
    N_ASSETS = env_size("AM_BENCH_ASSETS", N_ASSETS, 1000, 10000000);
    N_EVENTS = env_size("AM_BENCH_EVENTS", N_EVENTS, 1, 10000000);
    HIT_PERCENT = (unsigned)env_size("AM_BENCH_HIT_PERCENT", HIT_PERCENT, 0,
                                     100);
    if (N_ASSETS != 1000000)
        N_TENANTS = N_ASSETS / 200 < 20 ? 20 : N_ASSETS / 200;
}

int main(int argc, char **argv) {
    sample_t *samples;
    uint8_t *expect;
    engine_t e;
    cli_plan_t plan;
    double t0 = am_bench_now();

    if (argc > 2 || (argc == 2 && argv[1][0] == '-')) {
        fprintf(stderr, "usage: %s [PATH-OF-assetmatch]\n", argv[0]);
        return 2;
    }
    note_load("at start");
    if (getenv("AM_BENCH_GENERATE_ONLY"))
        set_sizes();
    make_tmpdir();
    gen_inventory(tmp.inventory, &samples);
    expect = map_alloc(N_EVENTS);
    gen_events(tmp.events, samples, expect);
    munmap(samples, N_SAMPLES * sizeof(sample_t));
    if (getenv("AM_BENCH_GENERATE_ONLY")) {
        /* For profiling by hand: keep the inputs and stop. */
        fprintf(stderr, "bench_engine: inputs kept in %s\n", tmp.dir);
        tmp.dir[0] = '\0';
        return 0;
    }

    build_engine(&e, tmp.inventory);
    bench_events(&e, expect, &plan);
    munmap(expect, N_EVENTS);
    am_matcher_destroy(e.m);
    am_inventory_destroy(e.inv);

    bench_cli(argc == 2 ? argv[1] : NULL, e.load_s + e.build_s, &plan);
    note_load("at end");
    fprintf(stderr, "bench_engine: done in %.1f s\n", am_bench_now() - t0);
    return 0;
}
