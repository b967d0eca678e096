/*
 * Helpers shared by the matcher tests: an inventory from rows written as
 * "tenant,asset,kind,value[,include_subdomains[,verified]]", and a match
 * result rendered as one line of text so that expectations read like data:
 *
 *     "acme:a2=domain_exact[a2,a3] hoster:h1=ip_cover[h1]"
 *
 * (tenant:best asset=how[all matched assets, best first], tenants in load
 * order).
 */
#ifndef AM_TEST_MATCHER_HELPERS_H
#define AM_TEST_MATCHER_HELPERS_H

#include <criterion/criterion.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "inventory.h"
#include "jsonw.h"
#include "matcher.h"

static inline am_inventory_t *inv_from_rows(const char *const *rows,
                                            size_t n) {
    am_inventory_t *inv = am_inventory_new();
    cr_assert_not_null(inv);
    for (size_t i = 0; i < n; i++) {
        const char *f[6] = {NULL};
        size_t len[6] = {0};
        const char *p = rows[i];
        int nf = 0;
        while (nf < 6) {
            const char *comma = strchr(p, ',');
            f[nf] = p;
            len[nf] = comma ? (size_t)(comma - p) : strlen(p);
            nf++;
            if (!comma)
                break;
            p = comma + 1;
        }
        am_asset_input_t in = {f[0], len[0], f[1], len[1], f[2], len[2],
                               f[3], len[3], f[4], len[4], f[5], len[5]};
        char err[256] = "";
        cr_assert_eq(am_inventory_add(inv, &in, err, sizeof(err)), 0,
                     "row '%s': %s", rows[i], err);
    }
    return inv;
}

/* Renders the results of matching \p ev into \p out (a reset buffer). */
static inline const char *render(const am_matcher_t *m, am_match_ctx_t *ctx,
                                 const am_event_t *ev, am_buf_t *out) {
    const am_inventory_t *inv = am_matcher_inventory(m);
    const am_match_result_t *res;
    int n = am_matcher_match(m, ctx, ev, &res);

    am_buf_reset(out);
    am_buf_puts(out, "");
    cr_assert_geq(n, 0);
    for (int i = 0; i < n; i++) {
        const am_asset_t *best = am_inventory_asset(inv, res[i].hits[0].asset);
        am_buf_printf(out, "%s%s:%s=%s[", i ? " " : "",
                      am_inventory_tenant(inv, res[i].tenant),
                      am_inventory_str(inv, best->asset_id),
                      am_match_kind_name(res[i].hits[0].kind));
        for (size_t j = 0; j < res[i].n_hits; j++) {
            const am_asset_t *a = am_inventory_asset(inv, res[i].hits[j].asset);
            am_buf_printf(out, "%s%s", j ? "," : "",
                          am_inventory_str(inv, a->asset_id));
        }
        am_buf_putc(out, ']');
    }
    return out->data;
}

#endif
