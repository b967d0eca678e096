/*
 * event_render: a decoded event as one JSON object of every field a
 * decoder may set, and the fixture reader, for the decoders' golden-file
 * tests.
 */
#ifndef AM_TEST_EVENT_RENDER_H
#define AM_TEST_EVENT_RENDER_H

#include <criterion/criterion.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "event.h"
#include "ipaddr.h"

/* The whole file in a heap buffer: NUL-terminated with \p terminate, else
 * of exactly its size (so that ASan catches a read past the end). */
static inline char *slurp(const char *path, size_t *len, bool terminate) {
    FILE *f = fopen(path, "rb");
    char *buf;
    long n;

    cr_assert_not_null(f, "%s", path);
    cr_assert_eq(fseek(f, 0, SEEK_END), 0);
    n = ftell(f);
    cr_assert_geq(n, 0);
    rewind(f);
    buf = malloc((size_t)n + (terminate || n == 0));
    cr_assert_not_null(buf);
    cr_assert_eq(fread(buf, 1, (size_t)n, f), (size_t)n, "%s", path);
    if (terminate)
        buf[n] = '\0';
    fclose(f);
    *len = (size_t)n;
    return buf;
}

/* What an observable resolved to: "ip 192.0.2.0/24", "domain x", "asn 1". */
static inline json_t *render_obs(const am_observable_t *o) {
    char buf[AM_IPADDR_STRLEN], out[400];

    switch (o->target) {
    case AM_TARGET_IP:
        am_ipaddr_format(&o->prefix, buf, sizeof(buf));
        snprintf(out, sizeof(out), "%s %s -> ip %s", am_obs_type_name(o->type),
                 o->value, buf);
        break;
    case AM_TARGET_DOMAIN:
        snprintf(out, sizeof(out), "%s %s -> domain %s",
                 am_obs_type_name(o->type), o->value, o->host);
        break;
    default:
        snprintf(out, sizeof(out), "%s %s -> asn %u",
                 am_obs_type_name(o->type), o->value, o->asn);
    }
    return json_string(out);
}

static inline json_t *jstr(const char *s) {
    return s ? json_string(s) : json_null();
}

/* Every field a decoder may set, as one JSON object. */
static inline json_t *render_event(const am_event_t *e) {
    json_t *obs = json_array(), *cves = json_array(), *ctx = json_null();

    for (size_t i = 0; i < e->n_obs; i++)
        json_array_append_new(obs, render_obs(&e->obs[i]));
    for (size_t i = 0; i < e->n_cves; i++)
        json_array_append_new(cves, json_string(e->cves[i]));
    if (e->context) {
        json_error_t je;
        json_decref(ctx);
        ctx = json_loads(e->context, 0, &je);
        cr_assert_not_null(ctx, "context is not JSON: %s: %s", je.text,
                           e->context);
    }
    return json_pack(
        "{s:o, s:s, s:o, s:o, s:o, s:o, s:o, s:o, s:i, s:o, s:o, s:o, s:o, "
        "s:o, s:o, s:o, s:o, s:o, s:o, s:i}",
        "id", jstr(e->id), "kind", am_event_kind_name(e->kind), "format",
        jstr(e->format), "source", jstr(e->source), "feed", jstr(e->feed),
        "report_type", jstr(e->report_type), "time", jstr(e->time),
        "severity", jstr(e->severity), "port", e->port, "protocol",
        jstr(e->protocol), "tag", jstr(e->tag), "cves", cves, "identifier",
        jstr(e->identifier), "taxonomy", jstr(e->taxonomy), "type",
        jstr(e->type), "tlp", jstr(e->tlp), "observables", obs, "context",
        ctx, "description", jstr(e->description), "confidence",
        e->confidence);
}

#endif
