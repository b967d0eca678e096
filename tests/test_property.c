/*
 * The compiled matcher against a brute-force scan of the inventory, on
 * random inventories and events (fixed seeds).  The brute force applies
 * DESIGN.md's rules to every asset directly, with none of the structures
 * (no LPM, no suffix hashing, no Hyperscan), so any disagreement is a bug in
 * one of them.
 *
 * Inventories and events are drawn from small spaces (a few /16s, a handful
 * of labels, keywords and AS numbers) so that nested prefixes, identical keys
 * of several tenants, parent domains and keywords inside names are common.
 */
#include <ctype.h>
#include <stdlib.h>

#include "matcher_helpers.h"

#define SEEDS 40
#define EVENTS_PER_SEED 250
#define MAX_ASSETS 400
#define BIG_ASSETS 16000

static uint64_t rng;

static uint64_t rnd(void) {
    uint64_t z = (rng += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static unsigned pick(unsigned n) {
    return (unsigned)(rnd() % n);
}

static const char *const labels[] = {"a", "b", "ab", "acme", "shop", "mail",
                                     "example", "xn--bcher-kva"};
static const char *const tlds[] = {"com", "nl", "test"};
static const char *const keywords[] = {"acme", "exa", "shop", "mple", "bab"};

static void rand_domain(char *buf, size_t size, bool noisy) {
    int depth = 1 + (int)pick(3);
    size_t o = 0;

    for (int i = 0; i < depth; i++)
        o += (size_t)snprintf(buf + o, size - o, "%s.",
                              labels[pick(sizeof(labels) / sizeof(*labels))]);
    o += (size_t)snprintf(buf + o, size - o, "%s",
                          tlds[pick(sizeof(tlds) / sizeof(*tlds))]);
    if (noisy) {
        for (size_t i = 0; i < o; i++)
            if (pick(4) == 0)
                buf[i] = (char)toupper((unsigned char)buf[i]);
        if (pick(5) == 0)
            snprintf(buf + o, size - o, ".");
    }
}

/* A v4 address in 10.0-7.x.x or a v6 one in 2001:db8:0-7::x, then cut to
 * \p len bits; \p len < 0 means a host. */
static am_prefix_t rand_prefix(bool v6, int len) {
    am_prefix_t p;

    memset(&p, 0, sizeof(p));
    if (!v6) {
        p.family = AM_IPADDR_V4;
        p.addr[0] = 10;
        p.addr[1] = (uint8_t)pick(8);
        p.addr[2] = (uint8_t)(pick(2) ? pick(4) : pick(256));
        p.addr[3] = (uint8_t)pick(256);
        p.len = (uint8_t)(len < 0 ? 32 : len);
    } else {
        p.family = AM_IPADDR_V6;
        p.addr[0] = 0x20;
        p.addr[1] = 0x01;
        p.addr[2] = 0x0d;
        p.addr[3] = 0xb8;
        p.addr[5] = (uint8_t)pick(8);
        p.addr[7] = (uint8_t)pick(3);
        p.addr[15] = (uint8_t)pick(4);
        p.len = (uint8_t)(len < 0 ? 128 : len);
    }
    am_ipaddr_mask(&p);
    return p;
}

static int rand_v4_len(void) {
    static const int lens[] = {14, 16, 20, 22, 24, 24, 26, 28, 30, 31, 32, 32, 32};
    if (pick(300) == 0)
        return 0;
    return lens[pick(sizeof(lens) / sizeof(*lens))];
}

static int rand_v6_len(void) {
    static const int lens[] = {32, 40, 48, 56, 64, 64, 120, 126, 128, 128, 128};
    if (pick(300) == 0)
        return 0;
    return lens[pick(sizeof(lens) / sizeof(*lens))];
}

static am_inventory_t *rand_inventory(unsigned n) {
    am_inventory_t *inv = am_inventory_new();

    for (unsigned i = 0; i < n; i++) {
        char tenant[16], id[16], value[300], err[256];
        const char *kind;
        const char *inc = pick(4) ? "true" : "false";
        const char *ver = pick(10) ? "true" : "false";
        am_prefix_t p;

        snprintf(tenant, sizeof(tenant), "t%u", pick(12));
        snprintf(id, sizeof(id), "a%u", i);
        switch (pick(10)) {
        case 0: case 1: case 2:
            kind = "ip";
            p = rand_prefix(false, rand_v4_len());
            am_ipaddr_format(&p, value, sizeof(value));
            break;
        case 3: case 4:
            kind = "ip";
            p = rand_prefix(true, rand_v6_len());
            am_ipaddr_format(&p, value, sizeof(value));
            break;
        case 5: case 6: case 7:
            kind = "domain";
            rand_domain(value, sizeof(value), true);
            break;
        case 8:
            kind = "keyword";
            snprintf(value, sizeof(value), "%s",
                     keywords[pick(sizeof(keywords) / sizeof(*keywords))]);
            break;
        default:
            kind = "asn";
            snprintf(value, sizeof(value), "%sAS%u", "", 64500 + pick(6));
        }
        am_asset_input_t in = {tenant, strlen(tenant), id,   strlen(id),
                               kind,   strlen(kind),   value, strlen(value),
                               inc,    strlen(inc),    ver,  strlen(ver)};
        cr_assert_eq(am_inventory_add(inv, &in, err, sizeof(err)), 0,
                     "%s: %s", value, err);
    }
    return inv;
}

static void rand_event(am_event_t *ev) {
    unsigned n = 1 + pick(3);
    char err[256];

    am_event_reset(ev);
    ev->id = "prop";
    for (unsigned i = 0; i < n; i++) {
        char v[400], d[300], a[64];
        am_obs_type_t t;
        am_prefix_t p;
        bool v6 = pick(2);

        switch (pick(8)) {
        case 0: case 1:
            t = AM_OBS_IP;
            p = rand_prefix(v6, -1);
            am_ipaddr_format(&p, v, sizeof(v));
            if (!v6 && pick(4) == 0) { /* IPv4-mapped IPv6 */
                memmove(v + 7, v, strlen(v) + 1);
                memcpy(v, "::ffff:", 7);
            }
            break;
        case 2:
            t = AM_OBS_CIDR;
            p = rand_prefix(v6, v6 ? rand_v6_len() : rand_v4_len());
            am_ipaddr_format(&p, v, sizeof(v));
            if (am_ipaddr_is_host(&p))
                t = AM_OBS_IP;
            break;
        case 3: case 4:
            t = AM_OBS_DOMAIN;
            rand_domain(v, sizeof(v), true);
            if (pick(4) == 0) { /* a keyword glued into a label */
                rand_domain(d, sizeof(d), false);
                snprintf(v, sizeof(v), "x%sy-%s",
                         keywords[pick(sizeof(keywords) / sizeof(*keywords))],
                         d);
            }
            break;
        case 5:
            t = AM_OBS_URL;
            if (pick(3) == 0) {
                p = rand_prefix(v6, -1);
                am_ipaddr_format(&p, a, sizeof(a));
                snprintf(v, sizeof(v), v6 ? "http://[%s]:8080/x" : "http://%s/",
                         a);
            } else {
                rand_domain(d, sizeof(d), true);
                snprintf(v, sizeof(v), "https://user:pw@%s:443/p?q=1", d);
            }
            break;
        case 6:
            t = AM_OBS_EMAIL;
            rand_domain(d, sizeof(d), true);
            snprintf(v, sizeof(v), "someone@%s", d);
            break;
        default:
            t = AM_OBS_ASN;
            snprintf(v, sizeof(v), "%u", 64500 + pick(7));
        }
        cr_assert_eq(am_event_add_observable(ev, t, v, strlen(v), err,
                                             sizeof(err)),
                     0, "%s: %s", v, err);
    }
}

/* ---- the brute force -------------------------------------------------- */

static unsigned count_labels(const char *s) {
    unsigned n = 1;
    for (; *s; s++)
        n += *s == '.';
    return n;
}

/* The best hit of asset \p a for observable \p o, per DESIGN.md; returns
 * false when it does not match. */
static bool brute_hit(const am_asset_t *a, const char *value,
                      const am_observable_t *o, am_match_hit_t *h) {
    switch (a->kind) {
    case AM_ASSET_IP: {
        const am_prefix_t *ap = &a->u.prefix, *op = &o->prefix;
        unsigned detail = ap->len + (ap->family == AM_IPADDR_V4 ? 96u : 0);
        if (o->target != AM_TARGET_IP || !am_ipaddr_overlaps(ap, op))
            return false;
        if (ap->len == op->len) {
            h->kind = AM_MATCH_IP_EXACT;
            h->rank = 5 << 8;
        } else {
            h->kind = ap->len < op->len ? AM_MATCH_IP_COVER
                                        : AM_MATCH_IP_OVERLAP;
            h->rank = (uint16_t)(4 << 8 | detail);
        }
        return true;
    }
    case AM_ASSET_DOMAIN: {
        size_t vl = strlen(value);
        if (o->target != AM_TARGET_DOMAIN)
            return false;
        if (strcmp(o->host, value) == 0) {
            h->kind = AM_MATCH_DOMAIN_EXACT;
            h->rank = 5 << 8;
            return true;
        }
        if (a->include_subdomains && o->host_len > vl &&
            strcmp(o->host + o->host_len - vl, value) == 0 &&
            o->host[o->host_len - vl - 1] == '.') {
            h->kind = AM_MATCH_DOMAIN_PARENT;
            h->rank = (uint16_t)(3 << 8 | count_labels(value));
            return true;
        }
        return false;
    }
    case AM_ASSET_KEYWORD:
        if (o->target != AM_TARGET_DOMAIN || !strcasestr(o->host, value))
            return false;
        h->kind = AM_MATCH_KEYWORD;
        h->rank = (uint16_t)(1 << 8 | strlen(value));
        return true;
    case AM_ASSET_ASN:
        if (o->target != AM_TARGET_ASN || o->asn != a->u.asn)
            return false;
        h->kind = AM_MATCH_ASN;
        h->rank = 2 << 8;
        return true;
    }
    return false;
}

/* Renders what the brute force expects, in the format of render(). */
static void brute(const am_inventory_t *inv, bool include_unverified,
                  const am_event_t *ev, am_buf_t *out) {
    size_t n = am_inventory_count(inv);
    am_match_hit_t *best = calloc(n ? n : 1, sizeof(*best));
    bool *hit = calloc(n ? n : 1, sizeof(*hit));
    bool first_tenant = true;

    cr_assert(best && hit);
    for (size_t i = 0; i < n; i++) {
        const am_asset_t *a = am_inventory_asset(inv, i);
        if (!a->verified && !include_unverified)
            continue;
        for (size_t k = 0; k < ev->n_obs; k++) {
            am_match_hit_t h = {(uint32_t)i, (uint16_t)k, 0, 0, a->tenant};
            if (!brute_hit(a, am_inventory_str(inv, a->value), &ev->obs[k],
                           &h))
                continue;
            if (!hit[i] || h.rank > best[i].rank) /* ties: earlier obs */
                best[i] = h;
            hit[i] = true;
        }
    }
    am_buf_reset(out);
    am_buf_puts(out, "");
    for (uint32_t t = 0; t < am_inventory_tenant_count(inv); t++) {
        /* Selection sort of this tenant's hits: rank desc, obs, index. */
        bool *done = calloc(n ? n : 1, sizeof(*done));
        bool any = false;
        for (;;) {
            size_t sel = SIZE_MAX;
            for (size_t i = 0; i < n; i++) {
                if (!hit[i] || done[i] ||
                    am_inventory_asset(inv, i)->tenant != t)
                    continue;
                if (sel == SIZE_MAX || best[i].rank > best[sel].rank ||
                    (best[i].rank == best[sel].rank &&
                     best[i].obs < best[sel].obs))
                    sel = i;
            }
            if (sel == SIZE_MAX)
                break;
            done[sel] = true;
            const char *aid =
                am_inventory_str(inv, am_inventory_asset(inv, sel)->asset_id);
            if (!any)
                am_buf_printf(out, "%s%s:%s=%s[%s", first_tenant ? "" : " ",
                              am_inventory_tenant(inv, t), aid,
                              am_match_kind_name(best[sel].kind), aid);
            else
                am_buf_printf(out, ",%s", aid);
            any = true;
            first_tenant = false;
        }
        if (any)
            am_buf_putc(out, ']');
        free(done);
    }
    free(best);
    free(hit);
}

Test(property, matcher_agrees_with_brute_force, .timeout = 600) {
    am_match_ctx_t *ctx = am_match_ctx_new();
    am_event_t ev;
    am_buf_t got, want;
    size_t cases = 0, matched = 0;

    am_event_init(&ev);
    am_buf_init(&got);
    am_buf_init(&want);
    for (uint64_t seed = 1; seed <= SEEDS; seed++) {
        char err[256] = "";
        bool unv = seed % 3 == 0;
        am_matcher_opts_t opts = {.include_unverified = unv};

        rng = seed * 0x1234567;
        /* The last seed has BIG_ASSETS (~4800 IPv4, as many domains):
         * the matcher sorts a kind's values 16 bits at a time from 4096
         * of them, 8 bits at a time below. */
        am_inventory_t *inv =
            rand_inventory(seed == SEEDS ? BIG_ASSETS : 1 + pick(MAX_ASSETS));
        am_matcher_t *m = am_matcher_build(inv, &opts, err, sizeof(err));
        cr_assert_not_null(m, "seed %llu: %s", (unsigned long long)seed, err);
        for (int e = 0; e < EVENTS_PER_SEED; e++) {
            rand_event(&ev);
            render(m, ctx, &ev, &got);
            brute(inv, unv, &ev, &want);
            cr_assert_str_eq(got.data, want.data,
                             "seed %llu event %d (first observable '%s'): "
                             "matcher '%s' != brute force '%s'",
                             (unsigned long long)seed, e, ev.obs[0].value,
                             got.data, want.data);
            cases++;
            matched += want.len > 0;
        }
        am_matcher_destroy(m);
        am_inventory_destroy(inv);
    }
    /* The generator must exercise matches, not only misses. */
    cr_assert_gt(matched, cases / 4, "only %zu of %zu events matched",
                 matched, cases);
    cr_log_info("%zu random events, %zu with matches", cases, matched);
    am_buf_free(&got);
    am_buf_free(&want);
    am_event_free(&ev);
    am_match_ctx_destroy(ctx);
}
