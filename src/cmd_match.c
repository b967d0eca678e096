/*
 * `assetmatch match`: offline matching of event files against an inventory
 * file, one JSON notification per line on standard output.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cmd.h"
#include "decode_json.h"
#include "encode_json.h"

static const char match_usage[] =
    "usage: assetmatch match --inventory FILE [OPTIONS] [EVENTS...]\n"
    "\n"
    "Matches events against the inventory and writes one JSON notification\n"
    "per line to standard output: one per event and affected tenant.\n"
    "EVENTS are files of JSON lines (native indicator or scan events);\n"
    "without any, or for '-', standard input is read.\n"
    "\n"
    "  -i, --inventory FILE     tenant assets, CSV with a header row or JSON\n"
    "                           lines (required)\n"
    "  -u, --include-unverified let unverified assets match too\n"
    "      --skip-bad           skip bad inventory records instead of\n"
    "                           failing (they are counted)\n"
    "      --max-errors N       errors listed per file (default 20)\n"
    "  -h, --help               this text\n"
    "\n"
    "A line that is not a valid event is reported on standard error as\n"
    "FILE:LINE: reason, and the run goes on.  Exit status: 0 when every\n"
    "event was accepted, 1 when some were rejected, 2 on a usage or\n"
    "inventory error.\n";

int am_cmd_load_inventory(const am_cmd_inventory_opts_t *opts,
                          am_inventory_t **invp, am_matcher_t **mp) {
    am_inventory_load_opts_t lo = {opts->skip_bad, opts->max_errors,
                                   isatty(STDERR_FILENO) == 1, stderr};
    am_inventory_load_stats_t st;
    am_matcher_opts_t mo = {opts->include_unverified};
    am_inventory_t *inv = am_inventory_new();
    am_matcher_t *m;
    char err[512];
    struct timespec t0, t1;

    if (!inv) {
        fprintf(stderr, "assetmatch: out of memory\n");
        return -1;
    }
    clock_gettime(CLOCK_MONOTONIC, &t0);
    if (am_inventory_load_file(inv, opts->path, &lo, &st, err, sizeof(err)) <
        0) {
        fprintf(stderr, "assetmatch: %s\n", err);
        am_inventory_destroy(inv);
        return -1;
    }
    if (!(m = am_matcher_build(inv, &mo, err, sizeof(err)))) {
        fprintf(stderr, "assetmatch: %s: %s\n", opts->path, err);
        am_inventory_destroy(inv);
        return -1;
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    fprintf(stderr,
            "inventory %s: %zu assets of %zu tenants (ip %zu, domain %zu, "
            "keyword %zu, asn %zu)%s%zu skipped, loaded in %.2f s\n",
            opts->path, am_inventory_count(inv),
            am_inventory_tenant_count(inv),
            am_inventory_count_kind(inv, AM_ASSET_IP),
            am_inventory_count_kind(inv, AM_ASSET_DOMAIN),
            am_inventory_count_kind(inv, AM_ASSET_KEYWORD),
            am_inventory_count_kind(inv, AM_ASSET_ASN),
            opts->include_unverified ? ", unverified included, "
                                     : ", unverified excluded, ",
            st.bad,
            (double)(t1.tv_sec - t0.tv_sec) +
                (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
    *invp = inv;
    *mp = m;
    return 0;
}

typedef struct match_run_s {
    const am_matcher_t *m;
    am_match_ctx_t *ctx;
    am_event_t ev;
    am_buf_t out;
    char match_time[32];
    size_t events, rejected, notifications;
    unsigned char *tenant_seen; /* tenants notified at least once */
    size_t tenants;
} match_run_t;

static int match_line(match_run_t *r, const char *name, size_t line,
                      const char *s, size_t n) {
    const am_match_result_t *res;
    char err[512];
    int nr;

    r->events++;
    am_event_reset(&r->ev);
    if (am_decode_json(s, n, &r->ev, err, sizeof(err)) < 0) {
        fprintf(stderr, "%s:%zu: %s\n", name, line, err);
        r->rejected++;
        return 0;
    }
    if ((nr = am_matcher_match(r->m, r->ctx, &r->ev, &res)) < 0) {
        fprintf(stderr, "assetmatch: out of memory\n");
        return -1;
    }
    for (int i = 0; i < nr; i++) {
        am_notification_t nt = {.inv = am_matcher_inventory(r->m),
                                .ev = &r->ev,
                                .result = &res[i],
                                .match_time = r->match_time};
        am_buf_reset(&r->out);
        if (am_encode_json(&r->out, &nt) < 0) {
            fprintf(stderr, "assetmatch: out of memory\n");
            return -1;
        }
        am_buf_putc(&r->out, '\n');
        fwrite(r->out.data, 1, r->out.len, stdout);
        r->notifications++;
        if (!r->tenant_seen[res[i].tenant]) {
            r->tenant_seen[res[i].tenant] = 1;
            r->tenants++;
        }
    }
    return 0;
}

static int match_file(match_run_t *r, const char *path) {
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
    const char *name = f == stdin ? "<stdin>" : path;
    char *line = NULL;
    size_t cap = 0, lineno = 0;
    ssize_t len;
    int rc = 0;

    if (!f) {
        perror(path);
        return -1;
    }
    while (rc == 0 && (len = getline(&line, &cap, f)) >= 0) {
        size_t n = (size_t)len;
        const char *s = line;
        lineno++;
        while (n && (s[n - 1] == '\n' || s[n - 1] == '\r' ||
                     s[n - 1] == ' ' || s[n - 1] == '\t'))
            n--;
        while (n && (*s == ' ' || *s == '\t')) {
            s++;
            n--;
        }
        if (n == 0)
            continue;
        rc = match_line(r, name, lineno, s, n);
    }
    if (ferror(f)) {
        perror(name);
        rc = -1;
    }
    free(line);
    if (f != stdin)
        fclose(f);
    return rc;
}

int am_cmd_match(int argc, char **argv) {
    static const struct option opts[] = {
        {"inventory", required_argument, NULL, 'i'},
        {"include-unverified", no_argument, NULL, 'u'},
        {"skip-bad", no_argument, NULL, 'S'},
        {"max-errors", required_argument, NULL, 'E'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    am_cmd_inventory_opts_t io = {NULL, false, false, 20};
    am_inventory_t *inv;
    match_run_t r;
    int c, rc = 0;
    static char *stdin_only[] = {"-"};
    char **files;
    int nfiles;

    optind = 1;
    while ((c = getopt_long(argc, argv, "i:uh", opts, NULL)) != -1) {
        switch (c) {
        case 'i': io.path = optarg; break;
        case 'u': io.include_unverified = true; break;
        case 'S': io.skip_bad = true; break;
        case 'E': io.max_errors = (unsigned)strtoul(optarg, NULL, 10); break;
        case 'h': fputs(match_usage, stdout); return AM_EXIT_OK;
        default: fputs(match_usage, stderr); return AM_EXIT_USAGE;
        }
    }
    if (!io.path) {
        fprintf(stderr, "assetmatch match: --inventory is required\n\n%s",
                match_usage);
        return AM_EXIT_USAGE;
    }
    files = optind < argc ? argv + optind : stdin_only;
    nfiles = optind < argc ? argc - optind : 1;

    memset(&r, 0, sizeof(r));
    if (am_cmd_load_inventory(&io, &inv, (am_matcher_t **)&r.m) < 0)
        return AM_EXIT_USAGE;
    r.ctx = am_match_ctx_new();
    r.tenant_seen = calloc(am_inventory_tenant_count(inv) + 1, 1);
    am_event_init(&r.ev);
    am_buf_init(&r.out);
    am_notification_now(r.match_time);
    if (!r.ctx || !r.tenant_seen) {
        fprintf(stderr, "assetmatch: out of memory\n");
        rc = -1;
    }
    for (int i = 0; rc == 0 && i < nfiles; i++)
        rc = match_file(&r, files[i]);
    fflush(stdout);
    fprintf(stderr,
            "match: %zu events, %zu rejected, %zu notifications for %zu "
            "tenants\n",
            r.events, r.rejected, r.notifications, r.tenants);

    am_buf_free(&r.out);
    am_event_free(&r.ev);
    free(r.tenant_seen);
    am_match_ctx_destroy(r.ctx);
    am_matcher_destroy((am_matcher_t *)r.m);
    am_inventory_destroy(inv);
    if (rc < 0)
        return AM_EXIT_USAGE;
    return r.rejected ? AM_EXIT_REJECTED : AM_EXIT_OK;
}
