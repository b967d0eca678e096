/*
 * Tests for window: which indicators are kept (kind, valid_until, max_age),
 * the byte cap (oldest out first), expiry as time passes, the matcher
 * version filter, copies that outlive the entry, and look-ups of every
 * asset kind against a brute-force scan of the same events (random
 * addresses, ranges, names and AS numbers, with entries expiring and
 * being evicted meanwhile, so that postings of entries that left are
 * exercised).
 */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "window.h"

#define NOW 1800000000LL /* 2027-01-15 */
#define DAY 86400

static am_window_t *w;
static am_window_hits_t hits;

static void setup(void) {
    am_window_opts_t o = {30 * DAY, 64u << 20};
    w = am_window_new(&o);
    cr_assert_not_null(w);
}

static void teardown(void) {
    am_window_hits_free(&hits);
    am_window_destroy(w);
}

TestSuite(window, .init = setup, .fini = teardown);

/* An indicator with the observables "type=value" in obs (NULL-ended). */
static am_event_t *mk(const char *id, const char *const *obs,
                      const char *time, const char *valid_until) {
    am_event_t *ev = malloc(sizeof(*ev));
    char err[256];

    am_event_init(ev);
    ev->id = am_event_strdup(ev, id, strlen(id));
    ev->kind = AM_EVENT_INDICATOR;
    ev->confidence = -1;
    ev->port = -1;
    ev->category = am_event_strdup(ev, "malware", 7);
    if (time)
        ev->time = am_event_strdup(ev, time, strlen(time));
    if (valid_until)
        ev->valid_until = am_event_strdup(ev, valid_until,
                                          strlen(valid_until));
    for (size_t i = 0; obs[i]; i++) {
        const char *eq = strchr(obs[i], '=');
        int t = am_obs_type_parse(obs[i], (size_t)(eq - obs[i]));
        cr_assert_eq(am_event_add_observable(ev, (am_obs_type_t)t, eq + 1,
                                             strlen(eq + 1), err,
                                             sizeof(err)),
                     0, "%s: %s", obs[i], err);
    }
    return ev;
}

static void ev_free(am_event_t *ev) {
    am_event_free(ev);
    free(ev);
}

/* Adds an indicator seen at NOW by matcher version 1. */
static int add_at(const char *id, const char *obs1, const char *time,
                  const char *until, int64_t now) {
    const char *obs[] = {obs1, NULL};
    am_event_t *ev = mk(id, obs, time, until);
    am_origin_t origin = {"indicators", 2, 42};
    int rc = am_window_add(w, ev, &origin, 1, now);
    ev_free(ev);
    return rc;
}

/* An empty window of \p cap bytes in place of w. */
static void reopen(size_t cap) {
    am_window_opts_t o = {30 * DAY, cap};

    am_window_destroy(w);
    w = am_window_new(&o);
    cr_assert_not_null(w);
}

/* Adds indicator "e<i>" of domain <prefix>h<i>.example.com at NOW. */
static void add_host(int i, const char *prefix, const char *until) {
    char id[32], obs[96];

    snprintf(id, sizeof(id), "e%d", i);
    snprintf(obs, sizeof(obs), "domain=%sh%d.example.com", prefix, i);
    cr_assert_eq(add_at(id, obs, NULL, until, NOW), 0);
}

/* An empty window of \p cap bytes given indicators e0..e<n-1> of
 * add_host(i, prefix, until). */
static void fill(size_t cap, int n, const char *prefix, const char *until) {
    reopen(cap);
    for (int i = 0; i < n; i++)
        add_host(i, prefix, until);
}
#define ADD(id, obs) add_at(id, obs, NULL, NULL, NOW)

static am_window_probe_t probe(am_asset_kind_t kind, const char *value,
                               bool subdomains) {
    am_window_probe_t p = {.kind = (uint8_t)kind,
                           .include_subdomains = subdomains,
                           .value = value,
                           .value_len = strlen(value)};
    char err[128];
    if (kind == AM_ASSET_IP)
        cr_assert_eq(am_ipaddr_parse(value, strlen(value), AM_IPADDR_CIDR,
                                     &p.prefix, err, sizeof(err)),
                     0, "%s", err);
    if (kind == AM_ASSET_ASN)
        p.asn = (uint32_t)atol(value);
    return p;
}

/* The ids found by one probe, comma-separated, in arrival order. */
static const char *find(am_asset_kind_t kind, const char *value, bool sub,
                        int64_t now) {
    static char out[1024];
    am_window_probe_t p = probe(kind, value, sub);
    size_t len = 0;

    am_window_hits_free(&hits);
    cr_assert_geq(am_window_find(w, &p, 1, 2, now, &hits), 0);
    out[0] = '\0';
    /* Cut when long: the callers that find many look at hits. */
    for (size_t i = 0; i < hits.n && len < sizeof(out) - 1; i++) {
        int k = snprintf(out + len, sizeof(out) - len, "%s%s", i ? "," : "",
                         hits.v[i].ev->id);
        len = k < 0 ? sizeof(out) - 1 : len + (size_t)k;
    }
    return out;
}
#define FIND(kind, value) find(kind, value, true, NOW)

Test(window, keeps_indicators_only_and_not_expired) {
    const char *obs[] = {"ip=192.0.2.1", NULL};
    am_event_t *scan = mk("scan-1", obs, NULL, NULL);

    scan->kind = AM_EVENT_SCAN;
    cr_expect_eq(am_window_add(w, scan, NULL, 1, NOW), 1);
    ev_free(scan);
    cr_expect_eq(add_at("past", "ip=192.0.2.1", NULL,
                        "2026-01-01T00:00:00Z", NOW), 1);
    cr_expect_eq(add_at("old", "ip=192.0.2.1", "2026-11-01T00:00:00Z",
                        NULL, NOW), 1, "older than max_age");
    cr_expect_eq(ADD("ok", "ip=192.0.2.1"), 0);
    cr_expect_eq(am_window_count(w), 1);
}

/* What a look-up hands out is the event added, every field of it: the
 * window keeps it packed and makes the copy from that. */
Test(window, a_hit_is_the_event_added) {
    static const char *const obs[] = {
        "ip=192.0.2.7", "cidr=2001:db8::/48", "domain=Shop.Example.COM",
        "url=https://login.example.org/x", "email=a@mail.example.net",
        "asn=AS64500", NULL};
    am_event_t *ev = mk("full", obs, "2027-01-15T07:00:00Z",
                        "2027-02-01T00:00:00Z");
    const char **f[] = {
        &ev->severity,    &ev->source,     &ev->tlp,         &ev->description,
        &ev->protocol,    &ev->tag,        &ev->format,      &ev->feed,
        &ev->report_type, &ev->name,       &ev->pattern,     &ev->valid_from,
        &ev->taxonomy,    &ev->type,       &ev->identifier,  &ev->n6_category,
        &ev->context};
    am_origin_t origin = {"feeds.cert", 7, 123456789012LL};
    const am_event_t *h;

    for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
        char v[32];
        snprintf(v, sizeof(v), "field %zu", i);
        *f[i] = am_event_strdup(ev, v, strlen(v));
    }
    ev->confidence = 85;
    ev->port = 8443;
    cr_assert_eq(am_event_add_cve(ev, "CVE-2024-1234", 13), 0);
    cr_assert_eq(am_event_add_cve(ev, "CVE-2025-0001", 13), 0);
    cr_assert_eq(am_window_add(w, ev, &origin, 1, NOW), 0);
    find(AM_ASSET_IP, "192.0.2.0/24", false, NOW);
    cr_assert_eq(hits.n, 1);
    h = hits.v[0].ev;
    cr_expect_str_eq(hits.v[0].origin.topic, "feeds.cert");
    cr_expect_eq(hits.v[0].origin.partition, 7);
    cr_expect_eq(hits.v[0].origin.offset, 123456789012LL);
    cr_expect_eq(h->kind, ev->kind);
    cr_expect_eq(h->confidence, 85);
    cr_expect_eq(h->port, 8443);
    cr_expect_str_eq(h->id, "full");
    cr_expect_str_eq(h->category, "malware");
    cr_expect_str_eq(h->time, ev->time);
    cr_expect_str_eq(h->valid_until, ev->valid_until);
    for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
        const char *got = *(const char **)(void *)((const char *)h +
                                                   ((const char *)f[i] -
                                                    (const char *)ev));
        cr_expect_str_eq(got, *f[i], "field %zu", i);
    }
    cr_assert_eq(h->n_cves, 2);
    cr_expect_str_eq(h->cves[0], "CVE-2024-1234");
    cr_expect_str_eq(h->cves[1], "CVE-2025-0001");
    cr_assert_eq(h->n_obs, ev->n_obs);
    for (size_t i = 0; i < ev->n_obs; i++) {
        const am_observable_t *a = &ev->obs[i], *b = &h->obs[i];
        cr_expect_eq(b->type, a->type, "observable %zu", i);
        cr_expect_eq(b->target, a->target, "observable %zu", i);
        cr_expect_str_eq(b->value, a->value, "observable %zu", i);
        cr_expect_eq(!b->host, !a->host, "observable %zu", i);
        if (a->host) {
            cr_expect_eq(b->host_len, a->host_len);
            cr_expect_str_eq(b->host, a->host);
        }
        cr_expect_eq(memcmp(&b->prefix, &a->prefix, sizeof(a->prefix)), 0,
                     "observable %zu", i);
        cr_expect_eq(b->asn, a->asn, "observable %zu", i);
    }
    ev_free(ev);
}

Test(window, ip_lookups_overlap_both_ways) {
    ADD("host", "ip=192.0.2.10");
    ADD("range", "cidr=192.0.2.0/28");
    ADD("wide", "cidr=10.0.0.0/8");
    ADD("other", "ip=198.51.100.1");
    ADD("v6", "ip=2001:db8::1");
    ADD("v6wide", "cidr=2001:db8::/16");
    cr_expect_str_eq(FIND(AM_ASSET_IP, "192.0.2.10"), "host,range");
    cr_expect_str_eq(FIND(AM_ASSET_IP, "192.0.2.0/24"), "host,range");
    cr_expect_str_eq(FIND(AM_ASSET_IP, "192.0.0.0/8"), "host,range");
    cr_expect_str_eq(FIND(AM_ASSET_IP, "10.1.2.3"), "wide");
    cr_expect_str_eq(FIND(AM_ASSET_IP, "10.1.0.0/16"), "wide");
    cr_expect_str_eq(FIND(AM_ASSET_IP, "0.0.0.0/0"), "host,range,wide,other");
    cr_expect_str_eq(FIND(AM_ASSET_IP, "192.0.2.99"), "");
    cr_expect_str_eq(FIND(AM_ASSET_IP, "2001:db8::/48"), "v6,v6wide");
    cr_expect_str_eq(FIND(AM_ASSET_IP, "2001::/8"), "v6,v6wide");
    cr_expect_str_eq(FIND(AM_ASSET_IP, "2002::1"), "");
}

Test(window, domain_keyword_and_asn_lookups) {
    ADD("exact", "domain=example.com");
    ADD("sub", "url=https://www.shop.example.com/login");
    ADD("mail", "email=ceo@example.com");
    ADD("lookalike", "domain=myexample.com");
    ADD("brand", "domain=acme-login.example.net");
    ADD("as", "asn=AS64500");
    cr_expect_str_eq(FIND(AM_ASSET_DOMAIN, "example.com"),
                     "exact,sub,mail");
    cr_expect_str_eq(find(AM_ASSET_DOMAIN, "example.com", false, NOW),
                     "exact,mail");
    cr_expect_str_eq(FIND(AM_ASSET_DOMAIN, "shop.example.com"), "sub");
    cr_expect_str_eq(FIND(AM_ASSET_DOMAIN, "com"), "exact,sub,mail,lookalike");
    cr_expect_str_eq(FIND(AM_ASSET_KEYWORD, "acme"), "brand");
    cr_expect_str_eq(FIND(AM_ASSET_KEYWORD, "example"),
                     "exact,sub,mail,lookalike,brand");
    cr_expect_str_eq(FIND(AM_ASSET_ASN, "64500"), "as");
    cr_expect_str_eq(FIND(AM_ASSET_ASN, "64501"), "");
}

Test(window, several_probes_give_each_entry_once) {
    am_window_probe_t p[3];

    ADD("a", "domain=www.example.com");
    ADD("b", "ip=192.0.2.1");
    p[0] = probe(AM_ASSET_DOMAIN, "example.com", true);
    p[1] = probe(AM_ASSET_KEYWORD, "example", false);
    p[2] = probe(AM_ASSET_IP, "192.0.2.0/24", false);
    cr_assert_eq(am_window_find(w, p, 3, 2, NOW, &hits), 2);
    cr_expect_str_eq(hits.v[0].ev->id, "a");
    cr_expect_str_eq(hits.v[1].ev->id, "b");
    cr_expect_str_eq(hits.v[1].origin.topic, "indicators");
    cr_expect_eq(hits.v[1].origin.partition, 2);
    cr_expect_eq(hits.v[1].origin.offset, 42);
    cr_expect_str_eq(hits.v[1].ev->obs[0].value, "192.0.2.1");
    cr_expect_str_eq(hits.v[1].ev->category, "malware");
}

/* Probes of one call that want the same key (every IPv4 probe wants the
 * short ranges' key, two in one /16 its key) each find their entries. */
Test(window, probes_sharing_a_key_each_find_theirs) {
    am_window_probe_t p[3];

    ADD("a", "ip=192.0.2.1");
    ADD("b", "ip=192.0.200.1");
    ADD("c", "cidr=10.0.0.0/8");
    ADD("d", "ip=192.0.3.1");
    p[0] = probe(AM_ASSET_IP, "192.0.2.0/24", false);
    p[1] = probe(AM_ASSET_IP, "192.0.200.0/24", false);
    p[2] = probe(AM_ASSET_IP, "10.1.0.0/16", false);
    cr_assert_eq(am_window_find(w, p, 3, 2, NOW, &hits), 3);
    cr_expect_str_eq(hits.v[0].ev->id, "a");
    cr_expect_str_eq(hits.v[1].ev->id, "b");
    cr_expect_str_eq(hits.v[2].ev->id, "c");
}

Test(window, version_filter) {
    const char *obs[] = {"ip=192.0.2.1", NULL};
    am_event_t *ev = mk("seen-by-3", obs, NULL, NULL);
    am_window_probe_t p = probe(AM_ASSET_IP, "192.0.2.1", false);

    cr_assert_eq(am_window_add(w, ev, NULL, 3, NOW), 0);
    ev_free(ev);
    cr_expect_eq(am_window_find(w, &p, 1, 3, NOW, &hits), 0,
                 "matched live by version 3 already");
    cr_expect_eq(am_window_find(w, &p, 1, 4, NOW, &hits), 1);
    cr_expect_null(hits.v[0].origin.topic);
}

Test(window, expiry_by_valid_until_and_age) {
    add_at("soon", "ip=192.0.2.1", NULL, "2027-01-15T08:00:10Z", NOW);
    add_at("later", "ip=192.0.2.2", "2027-01-10T00:00:00Z", NULL, NOW);
    ADD("fresh", "ip=192.0.2.3");
    cr_expect_str_eq(FIND(AM_ASSET_IP, "192.0.2.0/24"), "soon,later,fresh");
    /* Found no more once expired, even before expire() drops them. */
    cr_expect_str_eq(find(AM_ASSET_IP, "192.0.2.0/24", true, NOW + 3600),
                     "later,fresh");
    am_window_expire(w, NOW + 26 * DAY);
    cr_expect_eq(am_window_count(w), 1);
    cr_expect_str_eq(find(AM_ASSET_IP, "192.0.2.0/24", true, NOW + 26 * DAY),
                     "fresh");
    am_window_expire(w, NOW + 31 * DAY);
    cr_expect_eq(am_window_count(w), 0);
    cr_expect_eq(am_window_bytes(w), 0);
}

Test(window, byte_cap_drops_oldest_first) {
    char id[32];
    size_t n;

    reopen(20000);
    for (int i = 0; i < 1000; i++) {
        snprintf(id, sizeof(id), "e%d", i);
        cr_assert_eq(ADD(id, "domain=a.b.example.com"), 0);
        cr_assert_leq(am_window_bytes(w), 20000);
    }
    n = am_window_count(w);
    cr_expect_gt(n, 10);
    cr_expect_lt(n, 1000);
    find(AM_ASSET_DOMAIN, "example.com", true, NOW);
    cr_assert_eq(hits.n, n);
    cr_expect_str_eq(hits.v[hits.n - 1].ev->id, "e999");
    snprintf(id, sizeof(id), "e%zu", 1000 - n);
    cr_expect_str_eq(hits.v[0].ev->id, id, "the newest are kept");
}

/* A lane adds a chunk's indicators at once: those an add would keep are
 * kept, in order, and the others (a scan, an expired one) are not. */
Test(window, add_all_keeps_what_add_would) {
    const char *a[] = {"ip=192.0.2.1", NULL}, *b[] = {"ip=192.0.2.2", NULL},
               *c[] = {"ip=192.0.2.3", NULL};
    am_event_t *evs[4] = {mk("first", a, NULL, NULL),
                          mk("scan", b, NULL, NULL),
                          mk("expired", b, NULL, "2027-01-01T00:00:00Z"),
                          mk("last", c, NULL, NULL)};
    am_origin_t origins[4] = {{"indicators", 0, 1}, {"indicators", 0, 2},
                              {"indicators", 0, 3}, {"indicators", 1, 4}};

    evs[1]->kind = AM_EVENT_SCAN;
    cr_assert_eq(am_window_add_all(w, (const am_event_t *const *)evs,
                                   origins, 4, 1, NOW),
                 2);
    cr_expect_eq(am_window_count(w), 2);
    cr_expect_str_eq(FIND(AM_ASSET_IP, "192.0.2.0/24"), "first,last");
    cr_expect_eq(hits.v[1].origin.partition, 1);
    cr_expect_eq(hits.v[1].origin.offset, 4);
    for (int i = 0; i < 4; i++)
        ev_free(evs[i]);
}

/* A lane's add_all() brings the block the window will fill next in
 * before it takes the mutex, so that the page faults of a growing window
 * are not taken while the other lane waits for it: after the first block
 * is started, the next group of adds leaves one more (1 MB) ready, counted
 * in the window's memory, and every indicator reads back. */
Test(window, add_all_keeps_a_block_ready_while_growing) {
    enum { N = 130 };
    am_event_t *evs[N];
    am_origin_t origins[N];
    size_t before;

    for (int i = 0; i < N; i++) {
        char id[16], obs[64];
        const char *o[] = {obs, NULL};

        snprintf(id, sizeof(id), "e%d", i);
        snprintf(obs, sizeof(obs), "domain=h%d.example.com", i);
        evs[i] = mk(id, o, NULL, NULL);
        origins[i] = (am_origin_t){"indicators", 0, i};
    }
    cr_assert_eq(am_window_add_all(w, (const am_event_t *const *)evs,
                                   origins, 1, 1, NOW),
                 1);
    before = am_window_memory(w);
    cr_assert_eq(am_window_add_all(w, (const am_event_t *const *)evs + 1,
                                   origins + 1, N - 1, 1, NOW),
                 N - 1);
    cr_assert_geq(am_window_memory(w), before + (1u << 20) - 4096,
                  "%zu bytes after, %zu before", am_window_memory(w),
                  before);
    cr_assert_eq(am_window_count(w), N);
    find(AM_ASSET_DOMAIN, "example.com", true, NOW);
    cr_assert_eq(hits.n, N);
    for (int i = 0; i < N; i++)
        ev_free(evs[i]);
}

/* Copies live in blocks that are used again once their copies all left:
 * with a small cap, many blocks' worth of indicators go through, some
 * leaving early (valid_until), and those kept must read as they were
 * added while the memory stays bounded. */
Test(window, copies_reuse_emptied_blocks) {
    int kept = 0;

    reopen(256 << 10);
    for (int i = 0; i < 40000; i++) {
        add_host(i, "", i % 5 ? NULL : "2027-01-15T08:10:00Z");
        if (i % 1000 == 999)
            am_window_expire(w, NOW + 3600);
    }
    cr_assert_lt(am_window_memory(w), 12u << 20, "%zu bytes",
                 am_window_memory(w));
    find(AM_ASSET_DOMAIN, "example.com", true, NOW);
    cr_assert_eq(hits.n, am_window_count(w));
    cr_assert_gt(hits.n, 100);
    for (size_t i = 0; i < hits.n; i++) {
        const am_event_t *ev = hits.v[i].ev;
        int n = atoi(ev->id + 1);
        char host[64];

        snprintf(host, sizeof(host), "h%d.example.com", n);
        cr_assert_eq(ev->n_obs, 1);
        cr_assert_str_eq(ev->obs[0].host, host, "entry %s", ev->id);
        cr_assert_str_eq(ev->category, "malware");
        cr_assert(n % 5 != 0 || n > 38999, "%s should have left", ev->id);
        kept++;
    }
    cr_expect_str_eq(hits.v[hits.n - 1].ev->id, "e39999");
    cr_expect_eq(kept, (int)am_window_count(w));
}

/* At its cap the window holds as much as it drops: its memory (copies,
 * slots and the log of postings, which must follow the oldest entry) stays
 * the same however many indicators go through. */
Test(window, memory_stays_flat_at_the_cap) {
    size_t early = 0;

    reopen(256 << 10);
    for (int i = 0; i < 100000; i++) {
        add_host(i, "a.", NULL);
        if (i == 20000)
            early = am_window_memory(w);
    }
    cr_assert_leq(am_window_memory(w), early, "%zu bytes after 100000, "
                  "%zu after 20000", am_window_memory(w), early);
    find(AM_ASSET_DOMAIN, "h99999.example.com", false, NOW);
    cr_assert_eq(hits.n, 0);
    find(AM_ASSET_DOMAIN, "h99999.example.com", true, NOW);
    cr_assert_eq(hits.n, 1);
    cr_assert_str_eq(hits.v[0].ev->id, "e99999");
}

/* A window whose indicators all expired gives their memory back: the
 * copies' blocks (but a few spares) and the segments of its entries and
 * of its postings (but one spare each). */
Test(window, memory_comes_back_when_all_expire) {
    fill(1u << 30, 100000, "a.", "2027-01-15T08:10:00Z");
    cr_assert_gt(am_window_memory(w), 20u << 20, "%zu bytes",
                 am_window_memory(w));
    for (int i = 0; i < 100000; i += AM_WINDOW_EXPIRE_STEP)
        am_window_expire(w, NOW + 3600);
    cr_assert_eq(am_window_count(w), 0);
    cr_assert_lt(am_window_memory(w), 6u << 20, "%zu bytes",
                 am_window_memory(w));
}

/* An expire visits AM_WINDOW_EXPIRE_STEP entries, oldest first, and the
 * next goes on from there, round to the oldest again: every third entry
 * is due, and each call drops the due ones among those it visited, none
 * missed; look-ups skip the due ones it has not visited yet. */
Test(window, expiry_goes_round_a_step_a_call, .timeout = 60) {
    const int step = AM_WINDOW_EXPIRE_STEP, n = 2 * step + step / 2;
    const int due = (n + 2) / 3;

    reopen(1u << 30);
    for (int i = 0; i < n; i++)
        add_host(i, "", i % 3 == 0 ? "2027-01-15T08:10:00Z" : NULL);
    for (int call = 1; call <= 3; call++) {
        int visited = call * step < n ? call * step : n;

        am_window_expire(w, NOW + 3600);
        cr_assert_eq(am_window_count(w), (size_t)(n - (visited + 2) / 3),
                     "after call %d", call);
        find(AM_ASSET_DOMAIN, "example.com", true, NOW + 3600);
        cr_assert_eq(hits.n, (size_t)(n - due), "after call %d", call);
    }
    /* Past the end it went on from the oldest: a second wave, all due. */
    for (int i = 0; i < n; i += step)
        am_window_expire(w, NOW + 31 * DAY);
    cr_assert_eq(am_window_count(w), 0);
}

/* Where the last expire stopped, the cap may have dropped the entries
 * since: the next starts at the oldest held.  Every third entry is due;
 * the cap holds about two steps of entries. */
Test(window, expiry_starts_at_the_oldest_once_the_cap_passed_it,
     .timeout = 60) {
    const int step = AM_WINDOW_EXPIRE_STEP;
    size_t per_entry;
    int held;

    fill(1u << 30, 1000, "", NULL);
    per_entry = am_window_bytes(w) / 1000;
    reopen(2 * (size_t)step * per_entry);
    for (int i = 0; i < 2 * step; i++)
        add_host(i, "", i % 3 == 0 ? "2027-01-15T08:10:00Z" : NULL);
    am_window_expire(w, NOW + 3600); /* stops about a step in */
    for (int i = 2 * step; i < 4 * step; i++)
        add_host(i, "", i % 3 == 0 ? "2027-01-15T08:10:00Z" : NULL);
    held = (int)am_window_count(w);
    cr_assert_lt(held, 2 * step + 100, "the cap passed the first steps");
    for (int i = 0; i < held; i += step)
        am_window_expire(w, NOW + 3600);
    /* The due ones among the newest held are gone, the others stay. */
    find(AM_ASSET_DOMAIN, "example.com", true, NOW);
    cr_assert_eq(hits.n, am_window_count(w));
    for (size_t i = 0; i < hits.n; i++)
        cr_assert_neq(atoi(hits.v[i].ev->id + 1) % 3, 0, "%s kept",
                      hits.v[i].ev->id);
    cr_assert_gt(hits.n, (size_t)held / 2);
}

/* ---- look-ups racing adds ------------------------------------------------ */

typedef struct racer_s {
    int rc;          /* of the adds */
    double added_at; /* seconds since the look-up began */
} racer_t;

static double seconds(void) {
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static double race_t0;

/* Looks up \p n keyword probes, the first \p first and the others
 * "x<i>" (found nowhere: each scans every entry), while \p fn adds in a
 * thread of its own.  @returns the seconds the look-up took; *r says
 * how the adds went. */
static double race(const char *first, int n, void *(*fn)(void *),
                   racer_t *r) {
    am_window_probe_t *p = calloc((size_t)n, sizeof(*p));
    char(*kw)[16] = calloc((size_t)n, sizeof(*kw));
    pthread_t th;
    double took;

    cr_assert(p && kw);
    for (int i = 0; i < n; i++) {
        if (i)
            snprintf(kw[i], sizeof(kw[i]), "x%d", i);
        else
            snprintf(kw[i], sizeof(kw[i]), "%s", first);
        p[i] = probe(AM_ASSET_KEYWORD, kw[i], false);
    }
    race_t0 = seconds();
    cr_assert_eq(pthread_create(&th, NULL, fn, r), 0);
    cr_assert_geq(am_window_find(w, p, (size_t)n, 2, NOW, &hits), 0);
    took = seconds() - race_t0;
    pthread_join(th, NULL);
    cr_assert_eq(r->rc, 0);
    free(p);
    free(kw);
    return took;
}

/* A look-up reads the window in steps and lets adds in between them:
 * an add made while a long look-up runs (keywords scan every entry) is
 * not held until the look-up ends. */
static void *racer(void *arg) {
    racer_t *r = arg;

    usleep(50000); /* the look-up is under way */
    r->rc = add_at("late", "domain=late.example.org", NULL, NULL, NOW);
    r->added_at = seconds() - race_t0;
    return NULL;
}

Test(window, adds_go_in_while_a_lookup_runs, .timeout = 60) {
    racer_t r = {0};
    double took;

    fill(1u << 30, 100000, "a.", NULL);
    took = race("brand", 100, racer, &r);
    cr_assert_eq(hits.n, 0);
    cr_assert_gt(took, 0.2, "the look-up took %.3f s: too short to tell",
                 took);
    cr_assert_lt(r.added_at, took - 0.05, "the add ended at %.3f s, the "
                 "look-up at %.3f s", r.added_at, took);
}

/* Entries a look-up found before a pause may have left by its end (here
 * all of them, pushed out by the adds of the racing thread: three times
 * what the window holds): only those still held are handed out. */
static void *evictor(void *arg) {
    racer_t *r = arg;

    usleep(20000);
    /* As a lane does, a chunk at a time: a look-up's pause lets one in. */
    for (int i = 0; i < 6000 && !r->rc; i += 64) {
        const am_event_t *evs[64];
        am_origin_t origins[64] = {{0}};
        for (int j = 0; j < 64; j++) {
            char id[32], obs[64];
            const char *o[] = {obs, NULL};
            snprintf(id, sizeof(id), "n%d", i + j);
            snprintf(obs, sizeof(obs), "domain=n%d.example.org", i + j);
            evs[j] = mk(id, o, NULL, NULL);
        }
        if (am_window_add_all(w, evs, origins, 64, 1, NOW) != 64)
            r->rc = -1;
        for (int j = 0; j < 64; j++)
            ev_free((am_event_t *)evs[j]);
    }
    r->added_at = seconds() - race_t0;
    return NULL;
}

Test(window, lookups_hand_out_only_what_is_still_held, .timeout = 60) {
    racer_t r = {0};
    double took;

    fill(480u << 10, 30000, "brand.", NULL);
    cr_assert_lt(am_window_count(w), 3000); /* about 2100 */
    took = race("brand", 1000, evictor, &r);
    cr_assert_lt(r.added_at, took, "the adds ended at %.3f s, after the "
                 "look-up (%.3f s): nothing left during it", r.added_at,
                 took);
    cr_assert_eq(hits.n, 0, "%s was handed out", hits.v[0].ev->id);
}

/* The log of postings is a ring: when entries with more keys each come
 * in, it grows while it wraps, and every entry held must still be found
 * by its name. */
Test(window, postings_survive_growing_while_wrapped) {
    static const char many[] = "a.b.c.d.e.f.g.h.i.j.k.l.";
    size_t held;

    reopen(256 << 10);
    for (int i = 0; i < 5300; i++)
        add_host(i, i < 5000 ? "" : many, NULL);
    held = am_window_count(w);
    cr_assert_gt(held, 100);
    cr_assert_lt(held, 3000);
    for (int i = 5300 - (int)held; i < 5300; i++) {
        char name[64];
        snprintf(name, sizeof(name), "%sh%d.example.com",
                 i < 5000 ? "" : many, i);
        find(AM_ASSET_DOMAIN, name, false, NOW);
        cr_assert_eq(hits.n, 1, "%s", name);
        cr_assert_eq(atoi(hits.v[0].ev->id + 1), i);
    }
    find(AM_ASSET_DOMAIN, "example.com", true, NOW);
    cr_assert_eq(hits.n, held);
}

/* ---- against brute force ------------------------------------------------- */

static uint64_t rng = 88172645463325252ULL;
static unsigned rnd(unsigned n) {
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (unsigned)(rng % n);
}

static const char *const labels[] = {"a", "b", "shop", "acme", "example",
                                     "com", "net", "x1"};

static void rnd_name(char *buf, size_t size) {
    int n = 1 + (int)rnd(4);
    size_t len = 0;
    for (int i = 0; i < n; i++)
        len += (size_t)snprintf(buf + len, size - len, "%s%s", i ? "." : "",
                                labels[rnd(8)]);
}

static void rnd_ip(char *buf, size_t size, bool cidr) {
    if (rnd(4) == 0) {
        int len = cidr ? 8 + (int)rnd(57) : 128;
        snprintf(buf, size, "2001:db8:%x::%s", rnd(4),
                 cidr ? "" : "1");
        if (cidr)
            snprintf(buf, size, "2001:db%x::/%d", rnd(16), len < 32 ? len : 32);
        return;
    }
    if (cidr)
        snprintf(buf, size, "10.%u.0.0/%u", rnd(4), 8 + rnd(9));
    else
        snprintf(buf, size, "10.%u.%u.%u", rnd(4), rnd(4), rnd(256));
}

/* Brute force over the observables of the kept events. */
static bool bf_match(const am_window_probe_t *p, const am_event_t *ev) {
    for (size_t i = 0; i < ev->n_obs; i++) {
        const am_observable_t *o = &ev->obs[i];
        if (p->kind == AM_ASSET_IP && o->target == AM_TARGET_IP &&
            o->prefix.family == p->prefix.family) {
            unsigned m = o->prefix.len < p->prefix.len ? o->prefix.len
                                                       : p->prefix.len;
            bool eq = true;
            for (unsigned b = 0; b < m; b++)
                if (((o->prefix.addr[b / 8] ^ p->prefix.addr[b / 8]) >>
                     (7 - b % 8)) & 1)
                    eq = false;
            if (eq)
                return true;
        }
        if (p->kind == AM_ASSET_DOMAIN && o->target == AM_TARGET_DOMAIN) {
            char dotted[300];
            size_t dl = (size_t)snprintf(dotted, sizeof(dotted), ".%s",
                                         p->value);
            if (!strcmp(o->host, p->value) ||
                (p->include_subdomains && o->host_len > dl &&
                 !strcmp(o->host + o->host_len - dl, dotted)))
                return true;
        }
        if (p->kind == AM_ASSET_KEYWORD && o->target == AM_TARGET_DOMAIN &&
            strstr(o->host, p->value))
            return true;
        if (p->kind == AM_ASSET_ASN && o->target == AM_TARGET_ASN &&
            o->asn == p->asn)
            return true;
    }
    return false;
}

Test(window, lookups_equal_brute_force, .timeout = 60) {
    enum { N = 3000 };
    static am_event_t *evs[N];
    static int64_t expires[N];
    char id[32], v[3][80];
    size_t checked = 0;

    reopen(1u << 30);
    for (int i = 0; i < N; i++) {
        const char *obs[4] = {NULL};
        char until[40];
        int64_t now = NOW + i;
        int k = 0;
        snprintf(id, sizeof(id), "e%d", i);
        if (rnd(2)) {
            snprintf(v[k], sizeof(v[k]), "domain=");
            rnd_name(v[k] + 7, sizeof(v[k]) - 7);
            obs[k] = v[k];
            k++;
        }
        if (rnd(2) || !k) {
            snprintf(v[k], sizeof(v[k]), "%s=", rnd(3) ? "ip" : "cidr");
            rnd_ip(v[k] + strlen(v[k]), sizeof(v[k]) - strlen(v[k]),
                   v[k][0] == 'c');
            obs[k] = v[k];
            k++;
        }
        if (rnd(4) == 0) {
            snprintf(v[k], sizeof(v[k]), "asn=%u", 64500 + rnd(5));
            obs[k] = v[k];
            k++;
        }
        /* A few expire soon, out of arrival order. */
        expires[i] = rnd(3) == 0 ? now + 30 * DAY : now + 1 + rnd(600);
        snprintf(until, sizeof(until), "2027-01-15T%02d:%02d:%02dZ",
                 (int)((expires[i] - NOW + 8 * 3600) / 3600),
                 (int)((expires[i] - NOW) / 60 % 60),
                 (int)((expires[i] - NOW) % 60));
        evs[i] = mk(id, obs, NULL, expires[i] < now + DAY ? until : NULL);
        if (expires[i] >= now + DAY)
            expires[i] = now + 30 * DAY;
        cr_assert_geq(am_window_add(w, evs[i], NULL, 1, now), 0);
        if (i % 500 == 0)
            am_window_expire(w, now);
    }
    /* Most of them expired, many out of arrival order: their postings are
     * still in the log. */
    int64_t now = NOW + N + 700;
    am_window_expire(w, now);
    for (int q = 0; q < 400; q++) {
        am_window_probe_t p;
        char val[80], got[8192], want[8192];
        size_t gl = 0, wl = 0;
        am_asset_kind_t kind = (am_asset_kind_t)(1 + rnd(4));
        if (kind == AM_ASSET_IP)
            rnd_ip(val, sizeof(val), rnd(2));
        else if (kind == AM_ASSET_ASN)
            snprintf(val, sizeof(val), "%u", 64500 + rnd(5));
        else if (kind == AM_ASSET_KEYWORD)
            snprintf(val, sizeof(val), "%s", labels[rnd(8)]);
        else
            rnd_name(val, sizeof(val));
        p = probe(kind, val, rnd(2));
        am_window_hits_free(&hits);
        cr_assert_geq(am_window_find(w, &p, 1, 2, now, &hits), 0);
        got[0] = want[0] = '\0';
        for (size_t j = 0; j < hits.n; j++)
            gl += (size_t)snprintf(got + gl, sizeof(got) - gl, "%s ",
                                   hits.v[j].ev->id);
        for (int i = 0; i < N; i++)
            if (expires[i] > now && bf_match(&p, evs[i]) &&
                wl < sizeof(want) - 16)
                wl += (size_t)snprintf(want + wl, sizeof(want) - wl, "e%d ",
                                       i);
        cr_assert_str_eq(got, want, "%s (kind %d, subdomains %d)", val,
                         kind, p.include_subdomains);
        checked += hits.n;
    }
    cr_expect_gt(checked, 1000);
    for (int i = 0; i < N; i++)
        ev_free(evs[i]);
}
