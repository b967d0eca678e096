/*
 * encode_avro: see encode_avro.h.  The record is written straight in Avro's
 * binary encoding (zig-zag varints, length-prefixed strings, union branch
 * indexes, arrays as one block), field after field in the order of
 * schemas/notification.avsc.  That order is checked once against the
 * schema as loaded (layout[] below, by name and kind), and the enum
 * indexes are looked up there by symbol, so a schema that changed without
 * this file is an error, never a wrong record.  avro-c's generic values did
 * the same by name and cost ~20% of a matching event's CPU.
 *
 * It carries what the JSON notification (encode_json.c) carries, under the
 * same names, and the classification, advice, CVEs, feed, report type and
 * context.  Avro strings are UTF-8; an inventory may hold other bytes (an id
 * typed in a Latin-1 spreadsheet).  Such a byte becomes the code point of
 * the same number, as the JSON encoder escapes it, so both outputs say the
 * same.
 */
#include "encode_avro.h"

#include <avro.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "avro_schema.h"
#include "classify.h"
#include "utf8.h"

/* ---- the schema, checked once ------------------------------------------ */

typedef enum kind_e {
    K_STR,   /* string */
    K_NSTR,  /* [null, string] */
    K_INT,   /* int */
    K_NINT,  /* [null, int] */
    K_LONG,  /* long */
    K_BOOL,  /* boolean */
    K_ENUM,  /* enum */
    K_REC,   /* record */
    K_NREC,  /* [null, record] */
    K_ARR,   /* array */
    K_END
} kind_t;

typedef struct field_s {
    const char *name;
    kind_t kind;
    const struct field_s *sub; /* a record's fields */
} field_t;

static const field_t observable[] = {
    {"type", K_ENUM, NULL}, {"value", K_STR, NULL}, {NULL, K_END, NULL}};
static const field_t matched_asset[] = {
    {"asset_id", K_STR, NULL},    {"asset_kind", K_ENUM, NULL},
    {"asset_value", K_STR, NULL}, {"match_kind", K_ENUM, NULL},
    {"observable", K_REC, observable}, {NULL, K_END, NULL}};
static const field_t origin[] = {{"topic", K_STR, NULL},
                                 {"partition", K_INT, NULL},
                                 {"offset", K_LONG, NULL},
                                 {NULL, K_END, NULL}};
static const field_t classification[] = {
    {"taxonomy", K_NSTR, NULL}, {"type", K_NSTR, NULL},
    {"identifier", K_NSTR, NULL}, {"n6_category", K_NSTR, NULL},
    {NULL, K_END, NULL}};
static const field_t advice[] = {
    {"en", K_NSTR, NULL}, {"nl", K_NSTR, NULL}, {NULL, K_END, NULL}};
static const field_t layout[] = {
    {"notification_id", K_STR, NULL},
    {"tenant_id", K_STR, NULL},
    {"event_id", K_STR, NULL},
    {"event_kind", K_ENUM, NULL},
    {"observable", K_REC, observable},
    {"asset_id", K_STR, NULL},
    {"asset_kind", K_ENUM, NULL},
    {"asset_value", K_STR, NULL},
    {"match_kind", K_ENUM, NULL},
    {"matched_assets_total", K_LONG, NULL},
    {"matched_asset_ids", K_ARR, NULL},
    {"matched_assets", K_ARR, matched_asset},
    {"category", K_NSTR, NULL},
    {"severity", K_NSTR, NULL},
    {"confidence", K_NINT, NULL},
    {"source", K_NSTR, NULL},
    {"tlp", K_NSTR, NULL},
    {"time", K_NSTR, NULL},
    {"valid_until", K_NSTR, NULL},
    {"description", K_NSTR, NULL},
    {"port", K_NINT, NULL},
    {"protocol", K_NSTR, NULL},
    {"tag", K_NSTR, NULL},
    {"match_time", K_NSTR, NULL},
    {"retroactive", K_BOOL, NULL},
    {"origin", K_NREC, origin},
    {"classification", K_REC, classification},
    {"advice", K_NREC, advice},
    {"cves", K_ARR, NULL},
    {"feed", K_NSTR, NULL},
    {"report_type", K_NSTR, NULL},
    {"context", K_NSTR, NULL},
    {NULL, K_END, NULL}};

/* Enum indexes in the schema, by our value; the last is the schema's
 * "unknown", for a value out of range. */
#define N_EVENT_KINDS (AM_EVENT_SCAN + 1)
#define N_OBS_TYPES AM_OBS__COUNT
#define N_ASSET_KINDS (AM_ASSET_ASN + 1)
#define N_MATCH_KINDS (AM_MATCH_KEYWORD + 1)
static int event_kind_ix[N_EVENT_KINDS + 1];
static int obs_type_ix[N_OBS_TYPES + 1];
static int asset_kind_ix[N_ASSET_KINDS + 1];
static int match_kind_ix[N_MATCH_KINDS + 1];

static pthread_once_t once = PTHREAD_ONCE_INIT;
static char init_err[512]; /* empty once the schema was checked */

/* A named type used again is a link to its definition. */
static avro_schema_t deref(avro_schema_t t) {
    while (t && is_avro_link(t))
        t = avro_schema_link_target(t);
    return t;
}

static bool is_null_first(avro_schema_t u, avro_type_t other) {
    return is_avro_union(u) && avro_schema_union_size(u) == 2 &&
           is_avro_null(avro_schema_union_branch(u, 0)) &&
           avro_typeof(deref(avro_schema_union_branch(u, 1))) == other;
}

static bool kind_ok(avro_schema_t t, kind_t k) {
    switch (k) {
    case K_STR: return is_avro_string(t);
    case K_NSTR: return is_null_first(t, AVRO_STRING);
    case K_INT: return is_avro_int32(t);
    case K_NINT: return is_null_first(t, AVRO_INT32);
    case K_LONG: return is_avro_int64(t);
    case K_BOOL: return is_avro_boolean(t);
    case K_ENUM: return is_avro_enum(t);
    case K_REC: return is_avro_record(t);
    case K_NREC: return is_null_first(t, AVRO_RECORD);
    case K_ARR: return is_avro_array(t);
    default: return false;
    }
}

/* The record's item type (a record's own, an array's items'). */
static avro_schema_t record_of(avro_schema_t t, kind_t k) {
    if (k == K_NREC)
        return deref(avro_schema_union_branch(t, 1));
    if (k == K_ARR)
        return deref(avro_schema_array_items(t));
    return t;
}

static bool check(avro_schema_t rec, const field_t *f, const char *where) {
    size_t n = 0;

    for (; f[n].name; n++) {
        avro_schema_t t;
        const char *name = n < avro_schema_record_size(rec)
                               ? avro_schema_record_field_name(rec, (int)n)
                               : "(none)";
        if (strcmp(name, f[n].name) != 0) {
            snprintf(init_err, sizeof(init_err),
                     "notification.avsc: field %zu of %s is '%s', the "
                     "encoder writes '%s' there",
                     n, where, name, f[n].name);
            return false;
        }
        t = deref(avro_schema_record_field_get_by_index(rec, (int)n));
        if (!kind_ok(t, f[n].kind) ||
            (f[n].sub && !is_avro_record(record_of(t, f[n].kind))) ||
            (f[n].kind == K_ARR && !f[n].sub &&
             !is_avro_string(deref(avro_schema_array_items(t))))) {
            snprintf(init_err, sizeof(init_err),
                     "notification.avsc: field '%s' of %s has another type "
                     "than the encoder writes",
                     f[n].name, where);
            return false;
        }
        if (f[n].sub && !check(record_of(t, f[n].kind), f[n].sub, f[n].name))
            return false;
    }
    if (avro_schema_record_size(rec) != n) {
        snprintf(init_err, sizeof(init_err),
                 "notification.avsc: %s has %zu fields, the encoder writes "
                 "%zu",
                 where, avro_schema_record_size(rec), n);
        return false;
    }
    return true;
}

/* ix[first..count-1] from our names, ix[count] the schema's "unknown". */
static bool enum_table(avro_schema_t rec, const char *field, int *ix,
                       int first, int count, const char *(*name)(int)) {
    avro_schema_t t = deref(avro_schema_record_field_get(rec, field));

    for (int i = 0; i <= count; i++) {
        const char *sym = i < count ? name(i) : "unknown";
        if (i < first) {
            ix[i] = -1;
            continue;
        }
        if ((ix[i] = avro_schema_enum_get_by_name(t, sym)) < 0) {
            snprintf(init_err, sizeof(init_err),
                     "notification.avsc: %s has no symbol '%s'", field, sym);
            return false;
        }
    }
    for (int i = 0; i < first; i++)
        ix[i] = ix[count];
    return true;
}

/* The index of value \p v in table \p ix of \p count values. */
static int64_t enum_ix(const int *ix, int count, unsigned v) {
    return ix[v < (unsigned)count ? v : (unsigned)count];
}

static const char *event_kind_name(int i) {
    return am_event_kind_name((am_event_kind_t)i);
}
static const char *obs_type_name(int i) {
    return am_obs_type_name((am_obs_type_t)i);
}
static const char *asset_kind_name(int i) {
    return am_asset_kind_name((am_asset_kind_t)i);
}
static const char *match_kind_name(int i) {
    return am_match_kind_name((am_match_kind_t)i);
}

static void init(void) {
    avro_schema_t s = am_avro_schema_get(AM_AVRO_SCHEMA_NOTIFICATION,
                                         init_err, sizeof(init_err));
    avro_schema_t obs, asset;

    if (!s || !check(s, layout, "Notification"))
        return;
    obs = deref(avro_schema_record_field_get(s, "observable"));
    asset = deref(avro_schema_array_items(
        avro_schema_record_field_get(s, "matched_assets")));
    if (enum_table(s, "event_kind", event_kind_ix, 0, N_EVENT_KINDS,
                   event_kind_name) &&
        enum_table(obs, "type", obs_type_ix, 0, N_OBS_TYPES, obs_type_name) &&
        enum_table(asset, "asset_kind", asset_kind_ix, AM_ASSET_IP,
                   N_ASSET_KINDS, asset_kind_name) &&
        enum_table(asset, "match_kind", match_kind_ix, 0, N_MATCH_KINDS,
                   match_kind_name))
        init_err[0] = '\0';
}

/* ---- the binary encoding ------------------------------------------------ */

static void put_long(am_buf_t *b, int64_t v) {
    uint64_t z = ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
    char *o = am_buf_room(b, 10); /* written in place: 1-10 bytes */

    if (!o)
        return;
    while (z >= 0x80) {
        *o++ = (char)(z | 0x80);
        z >>= 7;
    }
    *o++ = (char)z;
    *o = '\0';
    b->len = (size_t)(o - b->data);
}

/* A string, made UTF-8: each byte that does not start a valid sequence
 * becomes the code point of its number (two bytes). */
static void put_str(am_buf_t *b, const char *s) {
    const unsigned char *u = (const unsigned char *)s;
    size_t n = strlen(s), i = am_utf8_ascii_len(u, n), extra = 0;

    while (i < n) { /* a sequence, then the ASCII run after it */
        size_t ulen = am_utf8_len(u + i, n - i);
        if (ulen) {
            i += ulen;
        } else {
            extra++;
            i++;
        }
        i += am_utf8_ascii_len(u + i, n - i);
    }
    put_long(b, (int64_t)(n + extra));
    if (!extra) {
        am_buf_append(b, s, n);
        return;
    }
    for (i = 0; i < n;) {
        size_t ulen = am_utf8_len(u + i, n - i);
        if (ulen) {
            am_buf_append(b, s + i, ulen);
            i += ulen;
        } else {
            char two[2] = {(char)(0xc0 | u[i] >> 6),
                           (char)(0x80 | (u[i] & 0x3f))};
            am_buf_append(b, two, 2);
            i++;
        }
    }
}

/* [null, string]: NULL is the null branch. */
static void put_nstr(am_buf_t *b, const char *s) {
    put_long(b, s != NULL);
    if (s)
        put_str(b, s);
}

/* [null, int]: a negative value is the null branch. */
static void put_nint(am_buf_t *b, int64_t i) {
    put_long(b, i >= 0);
    if (i >= 0)
        put_long(b, i);
}

static void put_observable(am_buf_t *b, const am_observable_t *o) {
    put_long(b, enum_ix(obs_type_ix, N_OBS_TYPES, o->type));
    put_str(b, o->value);
}

/* asset_id, asset_kind, asset_value and match_kind of hit \p h. */
static void put_asset(am_buf_t *b, const am_inventory_t *inv,
                      const am_match_hit_t *h) {
    const am_asset_t *a = am_inventory_asset(inv, h->asset);

    put_str(b, am_inventory_str(inv, a->asset_id));
    put_long(b, enum_ix(asset_kind_ix, N_ASSET_KINDS, a->kind));
    put_str(b, am_inventory_str(inv, a->value));
    put_long(b, enum_ix(match_kind_ix, N_MATCH_KINDS, h->kind));
}

static void put_matched(am_buf_t *b, const am_notification_t *nt) {
    const am_match_result_t *r = nt->result;
    size_t listed = am_notification_listed(r);

    put_long(b, (int64_t)r->n_hits);
    /* Each array as one block of its items, then the empty block. */
    if (listed) {
        put_long(b, (int64_t)listed);
        for (size_t i = 0; i < listed; i++) {
            const am_asset_t *a = am_inventory_asset(nt->inv,
                                                     r->hits[i].asset);
            put_str(b, am_inventory_str(nt->inv, a->asset_id));
        }
    }
    put_long(b, 0);
    if (listed) {
        put_long(b, (int64_t)listed);
        for (size_t i = 0; i < listed; i++) {
            put_asset(b, nt->inv, &r->hits[i]);
            put_observable(b, &nt->ev->obs[r->hits[i].obs]);
        }
    }
    put_long(b, 0);
}

static void put_context(am_buf_t *b, const am_notification_t *nt) {
    const am_event_t *ev = nt->ev;
    const am_classify_t *cl = nt->cl;

    put_nstr(b, ev->taxonomy);
    put_nstr(b, ev->type);
    put_nstr(b, ev->identifier);
    put_nstr(b, ev->n6_category);
    put_long(b, cl != NULL);
    if (cl) {
        const char *type = ev->type ? ev->type : "unknown";
        put_nstr(b, am_classify_advice(cl, type, "en"));
        put_nstr(b, am_classify_advice(cl, type, "nl"));
    }
    if (ev->n_cves) {
        put_long(b, (int64_t)ev->n_cves);
        for (size_t i = 0; i < ev->n_cves; i++)
            put_str(b, ev->cves[i]);
    }
    put_long(b, 0);
    put_nstr(b, ev->feed);
    put_nstr(b, ev->report_type);
    put_nstr(b, ev->context);
}

int am_encode_avro(am_buf_t *out, const am_notification_t *nt,
                   int32_t schema_id, char *err, size_t err_size) {
    const am_event_t *ev = nt->ev;
    const am_match_result_t *r = nt->result;
    const char *tenant = am_inventory_tenant(nt->inv, r->tenant);
    char idbuf[AM_UUID_STRLEN];
    const char *id;

    pthread_once(&once, init);
    if (init_err[0]) {
        snprintf(err, err_size, "%s", init_err);
        return -1;
    }
    if (!(id = am_notification_id_of(nt, idbuf))) {
        snprintf(err, err_size, "out of memory");
        return -1;
    }
    if (schema_id >= 0) {
        uint32_t sid = (uint32_t)schema_id;
        char head[5] = {0, (char)(sid >> 24), (char)(sid >> 16),
                        (char)(sid >> 8), (char)sid};
        am_buf_append(out, head, sizeof(head));
    }
    /* In the order of layout[]. */
    put_str(out, id);
    put_str(out, tenant);
    put_str(out, ev->id);
    put_long(out, enum_ix(event_kind_ix, N_EVENT_KINDS, ev->kind));
    put_observable(out, &ev->obs[r->hits[0].obs]);
    put_asset(out, nt->inv, &r->hits[0]);
    put_matched(out, nt);
    put_nstr(out, ev->category);
    put_nstr(out, ev->severity);
    put_nint(out, ev->confidence);
    put_nstr(out, ev->source);
    put_nstr(out, ev->tlp);
    put_nstr(out, ev->time);
    put_nstr(out, ev->valid_until);
    put_nstr(out, ev->description);
    put_nint(out, ev->port);
    put_nstr(out, ev->protocol);
    put_nstr(out, ev->tag);
    put_nstr(out, nt->match_time);
    am_buf_putc(out, nt->retroactive ? 1 : 0);
    put_long(out, nt->origin != NULL);
    if (nt->origin) {
        put_str(out, nt->origin->topic);
        put_long(out, nt->origin->partition);
        put_long(out, nt->origin->offset);
    }
    put_context(out, nt);
    if (out->oom) {
        snprintf(err, err_size, "out of memory");
        return -1;
    }
    return 0;
}
