/*
 * `assetmatch lookup`: the operator's "who owns this?" for addresses,
 * ranges, domains, URLs, e-mail addresses and AS numbers.
 */
#include <ctype.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"

static const char lookup_usage[] =
    "usage: assetmatch lookup --inventory FILE [OPTIONS] VALUE...\n"
    "\n"
    "For each VALUE (an address, a CIDR range, a domain, a URL, an e-mail\n"
    "address or an AS number such as AS64500), lists the tenants whose\n"
    "assets match it and how, most specific asset first.  Unverified\n"
    "assets are shown, marked as such, unless --verified-only is given.\n"
    "\n"
    "  -i, --inventory FILE   tenant assets, CSV or JSON lines (required)\n"
    "      --verified-only    only assets that would notify by default\n"
    "      --skip-bad         skip bad inventory records\n"
    "  -h, --help             this text\n"
    "\n"
    "Exit status: 0 when every value could be read, 1 otherwise, 2 on a\n"
    "usage or inventory error.\n";

/* Guesses what kind of observable the operator typed. */
static am_obs_type_t guess_type(const char *s) {
    size_t n = strlen(s);
    am_prefix_t p;
    char err[128];
    size_t i = (n > 2 && strncasecmp(s, "as", 2) == 0) ? 2 : 0;

    if (n > i && strspn(s + i, "0123456789") == n - i)
        return AM_OBS_ASN;
    if (strstr(s, "://"))
        return AM_OBS_URL;
    if (strchr(s, '@'))
        return AM_OBS_EMAIL;
    if (am_ipaddr_parse(s, n, AM_IPADDR_CIDR, &p, err, sizeof(err)) == 0)
        return strchr(s, '/') ? AM_OBS_CIDR : AM_OBS_IP;
    if (strchr(s, '/'))
        return AM_OBS_URL;
    return AM_OBS_DOMAIN;
}

static int lookup_one(const am_matcher_t *m, am_match_ctx_t *ctx,
                      am_event_t *ev, const char *value) {
    const am_inventory_t *inv = am_matcher_inventory(m);
    const am_match_result_t *res;
    am_obs_type_t type = guess_type(value);
    char err[320];
    int nr;

    am_event_reset(ev);
    ev->id = "lookup";
    if (am_event_add_observable(ev, type, value, strlen(value), err,
                                sizeof(err)) < 0) {
        printf("%s: %s\n", value, err);
        return -1;
    }
    if ((nr = am_matcher_match(m, ctx, ev, &res)) < 0) {
        printf("%s: out of memory\n", value);
        return -1;
    }
    if (nr == 0) {
        printf("%s (%s): no match\n", value, am_obs_type_name(type));
        return 0;
    }
    printf("%s (%s): %d tenant%s\n", value, am_obs_type_name(type), nr,
           nr == 1 ? "" : "s");
    for (int i = 0; i < nr; i++) {
        printf("  tenant %s\n", am_inventory_tenant(inv, res[i].tenant));
        for (size_t j = 0; j < res[i].n_hits; j++) {
            const am_asset_t *a =
                am_inventory_asset(inv, res[i].hits[j].asset);
            printf("    %s %-7s %-30s %-13s%s%s\n",
                   am_inventory_str(inv, a->asset_id),
                   am_asset_kind_name(a->kind),
                   am_inventory_str(inv, a->value),
                   am_match_kind_name(res[i].hits[j].kind),
                   j == 0 ? " most specific" : "",
                   a->verified ? "" : " (unverified)");
        }
    }
    return 0;
}

int am_cmd_lookup(int argc, char **argv) {
    static const struct option opts[] = {
        {"inventory", required_argument, NULL, 'i'},
        {"verified-only", no_argument, NULL, 'V'},
        {"skip-bad", no_argument, NULL, 'S'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    am_cmd_inventory_opts_t io = {NULL, true, false, 20};
    am_inventory_t *inv;
    am_matcher_t *m;
    am_match_ctx_t *ctx;
    am_event_t ev;
    int c, bad = 0;

    optind = 1;
    while ((c = getopt_long(argc, argv, "i:h", opts, NULL)) != -1) {
        switch (c) {
        case 'i': io.path = optarg; break;
        case 'V': io.include_unverified = false; break;
        case 'S': io.skip_bad = true; break;
        case 'h': fputs(lookup_usage, stdout); return AM_EXIT_OK;
        default: fputs(lookup_usage, stderr); return AM_EXIT_USAGE;
        }
    }
    if (!io.path || optind == argc) {
        fprintf(stderr, "assetmatch lookup: %s\n\n%s",
                io.path ? "give at least one VALUE" : "--inventory is required",
                lookup_usage);
        return AM_EXIT_USAGE;
    }
    if (am_cmd_load_inventory(&io, &inv, &m) < 0)
        return AM_EXIT_USAGE;
    if (!(ctx = am_match_ctx_new())) {
        fprintf(stderr, "assetmatch: out of memory\n");
        bad = 1;
    }
    am_event_init(&ev);
    for (int i = optind; ctx && i < argc; i++)
        bad |= lookup_one(m, ctx, &ev, argv[i]) < 0;
    am_event_free(&ev);
    am_match_ctx_destroy(ctx);
    am_matcher_destroy(m);
    am_inventory_destroy(inv);
    return bad ? AM_EXIT_REJECTED : AM_EXIT_OK;
}
