/*
 * The matching semantics of DESIGN.md, case by case, through the compiled
 * matcher.  Each test names the inventory, the observables and the exact
 * rendered result (see matcher_helpers.h).
 */
#include <jansson.h>

#include "encode_json.h"
#include "matcher_helpers.h"

static const char *const rows[] = {
    "acme,a-net,ip,192.0.2.0/24",
    "acme,a-host,ip,192.0.2.10",
    "acme,a-dom,domain,Example.COM.",
    "acme,a-kw,keyword,acme",
    "acme,a-shop,domain,shop.acme.test,false",
    "acme,a-v6,ip,2001:db8:1::/48",
    "hoster,h-16,ip,192.0.0.0/16",
    "hoster,h-asn,asn,AS64500",
    "hoster,h-v6,ip,2001:db8::/32",
    "hoster,h-same,ip,192.0.2.0/24",
    "isp,i-all4,ip,0.0.0.0/0",
    "isp,i-all6,ip,::/0",
    "cust,c-128,ip,2001:db8:1::1/128",
    "cust,c-host,ip,198.51.100.7/32",
    "cust,c-acme,domain,acme.test",
    "unv,u-dom,domain,example.com,true,false",
    "unv,u-ip,ip,203.0.113.0/24,,no",
};

static am_inventory_t *inv;
static am_matcher_t *m, *m_all;
static am_match_ctx_t *ctx;
static am_event_t ev;
static am_buf_t out;

static void setup(void) {
    char err[256] = "";
    am_matcher_opts_t def = {.include_unverified = false},
                      all = {.include_unverified = true};

    inv = inv_from_rows(rows, sizeof(rows) / sizeof(rows[0]));
    m = am_matcher_build(inv, &def, err, sizeof(err));
    cr_assert_not_null(m, "%s", err);
    m_all = am_matcher_build(inv, &all, err, sizeof(err));
    cr_assert_not_null(m_all, "%s", err);
    ctx = am_match_ctx_new();
    am_event_init(&ev);
    am_buf_init(&out);
}

static void teardown(void) {
    am_buf_free(&out);
    am_event_free(&ev);
    am_match_ctx_destroy(ctx);
    am_matcher_destroy(m);
    am_matcher_destroy(m_all);
    am_inventory_destroy(inv);
}

TestSuite(matcher, .init = setup, .fini = teardown);

/* Resets the event and adds one observable per (type, value) pair. */
static const char *match(const am_matcher_t *mm, int n, ...) {
    va_list ap;
    char err[256];

    am_event_reset(&ev);
    ev.id = "t";
    va_start(ap, n);
    for (int i = 0; i < n; i++) {
        am_obs_type_t type = va_arg(ap, am_obs_type_t);
        const char *v = va_arg(ap, const char *);
        cr_assert_eq(am_event_add_observable(&ev, type, v, strlen(v), err,
                                             sizeof(err)),
                     0, "%s", err);
    }
    va_end(ap);
    return render(mm, ctx, &ev, &out);
}

#define MATCH1(type, value) match(m, 1, AM_OBS_##type, value)

Test(matcher, exact_host_beats_covering_prefixes_and_all_tenants_notified) {
    cr_assert_str_eq(MATCH1(IP, "192.0.2.10"),
                     "acme:a-host=ip_exact[a-host,a-net] "
                     "hoster:h-same=ip_cover[h-same,h-16] "
                     "isp:i-all4=ip_cover[i-all4]");
}

Test(matcher, longest_covering_prefix_is_most_specific) {
    cr_assert_str_eq(MATCH1(IP, "192.0.200.1"),
                     "hoster:h-16=ip_cover[h-16] isp:i-all4=ip_cover[i-all4]");
}

Test(matcher, slash_zero_covers_everything_of_its_family_only) {
    cr_assert_str_eq(MATCH1(IP, "8.8.8.8"), "isp:i-all4=ip_cover[i-all4]");
    cr_assert_str_eq(MATCH1(IP, "2a00::1"), "isp:i-all6=ip_cover[i-all6]");
}

Test(matcher, slash_32_and_128_hosts_match_exactly) {
    cr_assert_str_eq(MATCH1(IP, "198.51.100.7"),
                     "isp:i-all4=ip_cover[i-all4] cust:c-host=ip_exact[c-host]");
    cr_assert_str_eq(MATCH1(IP, "2001:db8:1::1"),
                     "acme:a-v6=ip_cover[a-v6] hoster:h-v6=ip_cover[h-v6] "
                     "isp:i-all6=ip_cover[i-all6] cust:c-128=ip_exact[c-128]");
    cr_assert_str_eq(MATCH1(IP, "198.51.100.8"), "isp:i-all4=ip_cover[i-all4]");
}

Test(matcher, ipv4_mapped_ipv6_is_ipv4) {
    cr_assert_str_eq(MATCH1(IP, "::ffff:198.51.100.7"),
                     "isp:i-all4=ip_cover[i-all4] cust:c-host=ip_exact[c-host]");
}

Test(matcher, observed_range_finds_overlapping_assets_longest_first) {
    /* The /23 contains acme's /24 and host, is inside hoster's /16. */
    cr_assert_str_eq(MATCH1(CIDR, "192.0.2.0/23"),
                     "acme:a-host=ip_overlap[a-host,a-net] "
                     "hoster:h-same=ip_overlap[h-same,h-16] "
                     "isp:i-all4=ip_cover[i-all4]");
    /* The same range as an asset is an exact match. */
    cr_assert_str_eq(MATCH1(CIDR, "192.0.2.0/24"),
                     "acme:a-net=ip_exact[a-net,a-host] "
                     "hoster:h-same=ip_exact[h-same,h-16] "
                     "isp:i-all4=ip_cover[i-all4]");
}

Test(matcher, domain_case_and_trailing_dot_do_not_matter) {
    cr_assert_str_eq(MATCH1(DOMAIN, "EXAMPLE.com."),
                     "acme:a-dom=domain_exact[a-dom]");
    cr_assert_str_eq(MATCH1(DOMAIN, "Mail.Example.Com"),
                     "acme:a-dom=domain_parent[a-dom]");
}

Test(matcher, a_suffix_that_is_not_a_label_boundary_does_not_match) {
    cr_assert_str_eq(MATCH1(DOMAIN, "notexample.com"), "");
}

Test(matcher, include_subdomains_false_matches_only_the_name_itself) {
    cr_assert_str_eq(MATCH1(DOMAIN, "shop.acme.test"),
                     "acme:a-shop=domain_exact[a-shop,a-kw] "
                     "cust:c-acme=domain_parent[c-acme]");
    cr_assert_str_eq(MATCH1(DOMAIN, "www.shop.acme.test"),
                     "acme:a-kw=keyword[a-kw] "
                     "cust:c-acme=domain_parent[c-acme]");
}

Test(matcher, keyword_inside_own_domain_is_listed_but_domain_wins) {
    cr_assert_str_eq(MATCH1(DOMAIN, "acme.test"),
                     "acme:a-kw=keyword[a-kw] cust:c-acme=domain_exact[c-acme]");
    cr_assert_str_eq(MATCH1(DOMAIN, "login-ACME.example.com"),
                     "acme:a-dom=domain_parent[a-dom,a-kw]");
}

Test(matcher, keyword_only_when_nothing_else_matched) {
    cr_assert_str_eq(MATCH1(DOMAIN, "acme-secure-login.evil"),
                     "acme:a-kw=keyword[a-kw]");
}

Test(matcher, asn_before_keyword) {
    /* hoster owns both the AS and nothing else here; acme only the keyword. */
    cr_assert_str_eq(match(m, 2, AM_OBS_DOMAIN, "acme.evil", AM_OBS_ASN,
                           "AS64500"),
                     "acme:a-kw=keyword[a-kw] hoster:h-asn=asn[h-asn]");
}

Test(matcher, unverified_assets_match_only_when_asked) {
    cr_assert_str_eq(MATCH1(IP, "203.0.113.9"), "isp:i-all4=ip_cover[i-all4]");
    cr_assert_str_eq(match(m_all, 1, AM_OBS_IP, "203.0.113.9"),
                     "isp:i-all4=ip_cover[i-all4] unv:u-ip=ip_cover[u-ip]");
    cr_assert_str_eq(match(m_all, 1, AM_OBS_DOMAIN, "example.com"),
                     "acme:a-dom=domain_exact[a-dom] "
                     "unv:u-dom=domain_exact[u-dom]");
}

Test(matcher, url_host_with_user_info_and_port) {
    cr_assert_str_eq(MATCH1(URL, "https://bob:pw@WWW.example.com:8443/a?b#c"),
                     "acme:a-dom=domain_parent[a-dom]");
}

Test(matcher, url_with_ipv6_literal_and_port) {
    cr_assert_str_eq(MATCH1(URL, "http://[2001:db8:1::1]:8080/x"),
                     "acme:a-v6=ip_cover[a-v6] hoster:h-v6=ip_cover[h-v6] "
                     "isp:i-all6=ip_cover[i-all6] cust:c-128=ip_exact[c-128]");
}

Test(matcher, url_with_ipv4_host_and_email_domain) {
    cr_assert_str_eq(MATCH1(URL, "http://198.51.100.7:81/"),
                     "isp:i-all4=ip_cover[i-all4] cust:c-host=ip_exact[c-host]");
    cr_assert_str_eq(MATCH1(EMAIL, "phish@Example.com"),
                     "acme:a-dom=domain_exact[a-dom]");
}

Test(matcher, several_observables_give_one_result_per_tenant) {
    cr_assert_str_eq(match(m, 3, AM_OBS_IP, "192.0.2.99", AM_OBS_DOMAIN,
                           "example.com", AM_OBS_IP, "192.0.2.10"),
                     "acme:a-dom=domain_exact[a-dom,a-host,a-net] "
                     "hoster:h-same=ip_cover[h-same,h-16] "
                     "isp:i-all4=ip_cover[i-all4]");
}

Test(matcher, the_best_hit_of_an_asset_is_kept) {
    /* a-net covers the first observable and equals the second; it is
     * listed once, with its best hit. */
    const am_match_result_t *res;
    match(m, 2, AM_OBS_IP, "192.0.2.1", AM_OBS_CIDR, "192.0.2.0/24");
    cr_assert_eq(am_matcher_match(m, ctx, &ev, &res), 3);
    cr_assert_eq(res[0].n_hits, 2);
    cr_assert_eq(res[0].hits[0].kind, AM_MATCH_IP_EXACT);
    cr_assert_eq(res[0].hits[0].obs, 1);
    cr_assert_eq(res[0].hits[1].kind, AM_MATCH_IP_OVERLAP);
}

Test(matcher, no_match_gives_no_result) {
    cr_assert_str_eq(MATCH1(DOMAIN, "unrelated.org"), "");
    cr_assert_str_eq(MATCH1(ASN, "64501"), "");
}

Test(matcher, empty_inventory_matches_nothing) {
    char err[128];
    am_matcher_opts_t def = {.include_unverified = false};
    am_inventory_t *empty = am_inventory_new();
    am_matcher_t *me = am_matcher_build(empty, &def, err, sizeof(err));
    cr_assert_not_null(me, "%s", err);
    cr_assert_str_eq(match(me, 3, AM_OBS_IP, "1.2.3.4", AM_OBS_DOMAIN,
                           "a.b", AM_OBS_ASN, "1"),
                     "");
    am_matcher_destroy(me);
    am_inventory_destroy(empty);
}

/* The per-thread scratch is fitted once per matcher (fitting it per scan
 * cost 99% of the match time); a context moved to another matcher must be
 * refitted, or Hyperscan would scan with a scratch too small for it. */
Test(matcher, context_follows_a_new_matcher) {
    static const char *const more[] = {
        "k,k1,keyword,login-portal", "k,k2,keyword,secure-update",
        "k,k3,keyword,wallet-recovery", "k,k4,keyword,acme"};
    char err[128];
    am_matcher_opts_t def = {.include_unverified = false};
    am_inventory_t *inv2 = inv_from_rows(more, 4);
    am_matcher_t *m2 = am_matcher_build(inv2, &def, err, sizeof(err));

    cr_assert_not_null(m2, "%s", err);
    cr_assert_str_eq(MATCH1(DOMAIN, "acme.evil"), "acme:a-kw=keyword[a-kw]");
    cr_assert_str_eq(match(m2, 1, AM_OBS_DOMAIN, "my-wallet-recovery.acme.evil"),
                     "k:k3=keyword[k3,k4]");
    cr_assert_str_eq(MATCH1(DOMAIN, "acme.evil"), "acme:a-kw=keyword[a-kw]");
    am_matcher_destroy(m2);
    am_inventory_destroy(inv2);
}

/* Regression: an observed /12 overlapped so many assets of one tenant that
 * its notification passed a megabyte, over the broker's record limit, and
 * the service stopped at that event on every restart.  A notification
 * lists the best AM_NOTIFICATION_MAX_LISTED and says how many matched. */
Test(matcher, a_huge_match_lists_a_bounded_number_of_assets) {
    enum { N = AM_NOTIFICATION_MAX_LISTED + 500 };
    static char rowbuf[N][64];
    static const char *many[N];
    char err[128];
    am_matcher_opts_t def = {.include_unverified = false};
    const am_match_result_t *res;
    am_buf_t b;
    json_t *doc;

    for (int i = 0; i < N; i++) {
        snprintf(rowbuf[i], sizeof(rowbuf[i]), "big,h%d,ip,10.%d.%d.%d", i,
                 i / 65536, i / 256 % 256, i % 256);
        many[i] = rowbuf[i];
    }
    am_inventory_t *inv2 = inv_from_rows(many, N);
    am_matcher_t *m2 = am_matcher_build(inv2, &def, err, sizeof(err));
    cr_assert_not_null(m2, "%s", err);
    match(m2, 1, AM_OBS_CIDR, "10.0.0.0/12");
    cr_assert_eq(am_matcher_match(m2, ctx, &ev, &res), 1);
    cr_assert_eq(res[0].n_hits, N);
    am_buf_init(&b);
    cr_assert_eq(am_encode_json(&b, &(am_notification_t){.inv = inv2,
                                                         .ev = &ev,
                                                         .result = &res[0]}),
                 0);
    cr_assert_lt(b.len, 512 * 1024, "%zu bytes", b.len);
    doc = json_loadb(b.data, b.len, 0, NULL);
    cr_assert_not_null(doc);
    cr_assert_eq(json_integer_value(json_object_get(doc, "matched_assets_total")),
                 N);
    cr_assert_eq(json_array_size(json_object_get(doc, "matched_asset_ids")),
                 AM_NOTIFICATION_MAX_LISTED);
    cr_assert_eq(json_array_size(json_object_get(doc, "matched_assets")),
                 AM_NOTIFICATION_MAX_LISTED);
    json_decref(doc);
    am_buf_free(&b);
    am_matcher_destroy(m2);
    am_inventory_destroy(inv2);
}
