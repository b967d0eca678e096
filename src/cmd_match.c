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

#include <jansson.h>

#include "cmd.h"
#include "config.h"
#include "decode.h"
#include "avro_schema.h"
#include "encode_avro.h"
#include "encode_json.h"
#include "encode_stix.h"
#include "fileio.h"

/* The Avro container file's block: avro-c refuses a record larger than
 * one (its default, 16 KB, is less than a notification listing a few
 * hundred assets); the largest notification (an event of up to 1 MiB and
 * AM_NOTIFICATION_MAX_LISTED assets) is well below this. */
#define AM_MATCH_AVRO_BLOCK (16 * 1024 * 1024)

static const char match_usage[] =
    "usage: assetmatch match --inventory FILE [OPTIONS] [EVENTS...]\n"
    "\n"
    "Matches events against the inventory and writes one notification per\n"
    "line to standard output: one per event and affected tenant.  EVENTS\n"
    "are files (without any, or for '-', standard input) of JSON lines, or\n"
    "one JSON document (a STIX bundle as published, over many lines), or a\n"
    "Shadowserver CSV report (its report type taken from the file name).\n"
    "\n"
    "  -i, --inventory FILE     tenant assets, CSV with a header row or JSON\n"
    "                           lines (required)\n"
    "  -u, --include-unverified let unverified assets match too\n"
    "      --skip-bad           skip bad inventory records instead of\n"
    "                           failing (they are counted)\n"
    "      --max-errors N       errors listed per file (default 20)\n"
    "  -f, --format FORMAT      auto (recognised per message), json, avro,\n"
    "                           stix, intelmq, shadowserver (default auto)\n"
    "  -o, --output FORMAT      json (a line each), stix (a STIX 2.1\n"
    "                           bundle a line), or avro (an Avro container\n"
    "                           file of schemas/notification.avsc records)\n"
    "                           (default json)\n"
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
    am_matcher_opts_t mo = {.include_unverified = opts->include_unverified};
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
    const am_classify_t *cl;
    am_format_t format;
    am_output_format_t output;
    am_event_t ev;
    am_buf_t out;
    char match_time[32];
    size_t events, rejected, notifications;
    size_t skipped[AM_SKIP__COUNT];
    unsigned char *tenant_seen; /* tenants notified at least once */
    size_t tenants;
    bool failed;                /* out of memory: stop */
    avro_file_writer_t ocf;     /* --output avro: an Avro container file */
    /* Where the message in hand came from, for messages. */
    const char *name;
    size_t line;                /* its line; 0 for a whole file */
    bool csv;                   /* a CSV file: a part's item is its line */
} match_run_t;

static int on_event(am_event_t *ev, void *opaque) {
    match_run_t *r = opaque;
    const am_match_result_t *res;
    int nr;

    r->events++;
    if (r->cl)
        am_classify_event(r->cl, ev);
    if ((nr = am_matcher_match(r->m, r->ctx, ev, &res)) < 0) {
        r->failed = true;
        return 1;
    }
    for (int i = 0; i < nr; i++) {
        am_notification_t nt = {.inv = am_matcher_inventory(r->m),
                                .ev = ev,
                                .result = &res[i],
                                .match_time = r->match_time,
                                .cl = r->cl};
        char err[256];
        int rc = 0;
        am_buf_reset(&r->out);
        if (r->output == AM_OUTPUT_AVRO) {
            if (am_encode_avro(&r->out, &nt, -1, err, sizeof(err)) < 0)
                rc = -1;
            else if (avro_file_writer_append_encoded(
                         r->ocf, r->out.data, (int64_t)r->out.len) != 0) {
                snprintf(err, sizeof(err), "%s", avro_strerror());
                rc = -1;
            }
            if (rc < 0) {
                fprintf(stderr, "assetmatch: avro output of event '%s': %s\n",
                        ev->id, r->out.oom ? "out of memory" : err);
                r->failed = true;
                return 1;
            }
        } else {
            rc = r->output == AM_OUTPUT_STIX ? am_encode_stix(&r->out, &nt)
                                             : am_encode_json(&r->out, &nt);
            if (rc < 0) {
                r->failed = true;
                return 1;
            }
            am_buf_putc(&r->out, '\n');
            fwrite(r->out.data, 1, r->out.len, stdout);
        }
        r->notifications++;
        if (!r->tenant_seen[res[i].tenant]) {
            r->tenant_seen[res[i].tenant] = 1;
            r->tenants++;
        }
    }
    return 0;
}

/* FILE:LINE: reason, or FILE: part N: reason for a part of a document. */
static void on_reject(long item, const char *reason, void *opaque) {
    match_run_t *r = opaque;

    r->events++;
    r->rejected++;
    if (r->csv && item >= 0)
        fprintf(stderr, "%s:%ld: %s\n", r->name, item, reason);
    else if (r->line && item >= 0)
        fprintf(stderr, "%s:%zu: part %ld: %s\n", r->name, r->line, item,
                reason);
    else if (r->line)
        fprintf(stderr, "%s:%zu: %s\n", r->name, r->line, reason);
    else if (item >= 0)
        fprintf(stderr, "%s: part %ld: %s\n", r->name, item, reason);
    else
        fprintf(stderr, "%s: %s\n", r->name, reason);
}

static void on_skip(long item, am_skip_t why, void *opaque) {
    match_run_t *r = opaque;

    r->skipped[why]++;
}

static void match_message(match_run_t *r, const char *s, size_t n) {
    am_decode_sink_t sink = {on_event, on_reject, on_skip, r};
    am_decode_hint_t hint = {r->name, 0};
    size_t rejected = r->rejected, skipped = r->skipped[AM_SKIP_NOT_MATCHABLE],
           expired = r->skipped[AM_SKIP_EXPIRED];

    /* A valid message with nothing in it to match on (a bundle of malware
     * objects) is reported, as the service dead-letters it; expired
     * indicators are only counted. */
    if (am_decode(r->format, s, n, &hint, &r->ev, &sink, NULL) == 0 &&
        r->rejected == rejected && r->skipped[AM_SKIP_EXPIRED] == expired) {
        char why[128];
        snprintf(why, sizeof(why),
                 "no observable: nothing in the message to match on (%zu "
                 "parts skipped)",
                 r->skipped[AM_SKIP_NOT_MATCHABLE] - skipped);
        on_reject(-1, why, r);
    }
}

/* Whether the first non-blank line from \p p is a JSON value by itself
 * (JSON lines) or only the start of one (a pretty-printed document). */
static bool first_line_is_json(const char *p, const char *end) {
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    json_t *v = json_loadb(p, nl ? (size_t)(nl - p) : (size_t)(end - p), 0,
                           NULL);

    json_decref(v);
    return v != NULL;
}

static int match_file(match_run_t *r, const char *path) {
    am_file_t f;
    char err[512];
    const char *p, *end;

    if (am_file_open(&f, path, err, sizeof(err)) < 0) {
        fprintf(stderr, "assetmatch: %s\n", err);
        return -1;
    }
    r->name = strcmp(path, "-") == 0 ? "<stdin>" : path;
    r->line = 0;
    r->csv = false;
    p = f.data;
    end = f.data + f.len;
    while (p < end && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n'))
        p++;
    if (r->format == AM_FORMAT_AVRO ||
        (p < end && *p != '{' &&
         (r->format == AM_FORMAT_SHADOWSERVER ||
          (r->format == AM_FORMAT_AUTO &&
           am_decode_detect(f.data, f.len) != AM_FORMAT_JSON)))) {
        /* One message: an Avro record, or a whole CSV report. */
        r->csv = r->format != AM_FORMAT_AVRO &&
                 am_decode_detect(f.data, f.len) != AM_FORMAT_AVRO;
        match_message(r, f.data, f.len);
    } else if (p < end && *p == '{' && !first_line_is_json(p, end)) {
        match_message(r, f.data, f.len); /* one JSON document */
    } else {
        for (const char *q = f.data; q < end && !r->failed;) {
            const char *nl = memchr(q, '\n', (size_t)(end - q));
            const char *e = nl ? nl : end;
            const char *s = q;
            r->line++;
            while (s < e && (*s == ' ' || *s == '\t'))
                s++;
            while (e > s && (e[-1] == '\r' || e[-1] == ' ' || e[-1] == '\t'))
                e--;
            if (e > s)
                match_message(r, s, (size_t)(e - s));
            q = nl ? nl + 1 : end;
        }
    }
    am_file_close(&f);
    if (r->failed) {
        fprintf(stderr, "assetmatch: out of memory\n");
        return -1;
    }
    return 0;
}

int am_cmd_match(int argc, char **argv) {
    static const struct option opts[] = {
        {"inventory", required_argument, NULL, 'i'},
        {"include-unverified", no_argument, NULL, 'u'},
        {"skip-bad", no_argument, NULL, 'S'},
        {"max-errors", required_argument, NULL, 'E'},
        {"format", required_argument, NULL, 'f'},
        {"output", required_argument, NULL, 'o'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    am_cmd_inventory_opts_t io = {NULL, false, false, 20};
    am_inventory_t *inv;
    am_matcher_t *m;
    match_run_t r;
    int c, rc = 0, f;
    static char *stdin_only[] = {"-"};
    char **files, err[512];
    int nfiles;

    memset(&r, 0, sizeof(r));
    r.format = AM_FORMAT_AUTO;
    r.output = AM_OUTPUT_JSON;
    optind = 1;
    while ((c = getopt_long(argc, argv, "i:uf:o:h", opts, NULL)) != -1) {
        switch (c) {
        case 'i': io.path = optarg; break;
        case 'u': io.include_unverified = true; break;
        case 'S': io.skip_bad = true; break;
        case 'E': io.max_errors = (unsigned)strtoul(optarg, NULL, 10); break;
        case 'f':
            if ((f = am_format_parse(optarg)) < 0) {
                fprintf(stderr, "assetmatch match: --format %s: not one of "
                        "auto, json, avro, stix, intelmq, shadowserver\n",
                        optarg);
                return AM_EXIT_USAGE;
            }
            r.format = (am_format_t)f;
            break;
        case 'o':
            if (!strcmp(optarg, "json"))
                r.output = AM_OUTPUT_JSON;
            else if (!strcmp(optarg, "stix"))
                r.output = AM_OUTPUT_STIX;
            else if (!strcmp(optarg, "avro"))
                r.output = AM_OUTPUT_AVRO;
            else {
                fprintf(stderr, "assetmatch match: --output %s: not one of "
                        "json, avro, stix\n", optarg);
                return AM_EXIT_USAGE;
            }
            break;
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

    if (!(r.cl = am_classify_load(NULL, err, sizeof(err)))) {
        fprintf(stderr, "assetmatch: %s\n", err);
        return AM_EXIT_USAGE;
    }
    if (am_cmd_load_inventory(&io, &inv, &m) < 0) {
        am_classify_destroy((am_classify_t *)r.cl);
        return AM_EXIT_USAGE;
    }
    r.m = m;
    r.ctx = am_match_ctx_new();
    r.tenant_seen = calloc(am_inventory_tenant_count(inv) + 1, 1);
    am_event_init(&r.ev);
    am_buf_init(&r.out);
    am_notification_now(r.match_time);
    if (!r.ctx || !r.tenant_seen) {
        fprintf(stderr, "assetmatch: out of memory\n");
        rc = -1;
    }
    if (rc == 0 && r.output == AM_OUTPUT_AVRO) {
        avro_schema_t schema =
            am_avro_schema_get(AM_AVRO_SCHEMA_NOTIFICATION, err, sizeof(err));
        if (!schema || avro_file_writer_create_with_codec_fp(
                           stdout, "<stdout>", 0, schema, &r.ocf, "null",
                           AM_MATCH_AVRO_BLOCK) != 0) {
            fprintf(stderr, "assetmatch: avro output: %s\n",
                    schema ? avro_strerror() : err);
            rc = -1;
        }
    }
    for (int i = 0; rc == 0 && i < nfiles; i++)
        rc = match_file(&r, files[i]);
    if (r.ocf)
        avro_file_writer_close(r.ocf);
    fflush(stdout);
    fprintf(stderr,
            "match: %zu events, %zu rejected, %zu skipped (%zu expired), "
            "%zu notifications for %zu tenants\n",
            r.events, r.rejected,
            r.skipped[AM_SKIP_EXPIRED] + r.skipped[AM_SKIP_NOT_MATCHABLE],
            r.skipped[AM_SKIP_EXPIRED], r.notifications, r.tenants);

    am_buf_free(&r.out);
    am_event_free(&r.ev);
    free(r.tenant_seen);
    am_match_ctx_destroy(r.ctx);
    am_matcher_destroy(m);
    am_inventory_destroy(inv);
    am_classify_destroy((am_classify_t *)r.cl);
    if (rc < 0)
        return AM_EXIT_USAGE;
    return r.rejected ? AM_EXIT_REJECTED : AM_EXIT_OK;
}
