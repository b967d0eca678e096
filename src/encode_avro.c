/*
 * encode_avro: see encode_avro.h.  The record is built in a generic value
 * of schemas/notification.avsc (one per thread, reused), field by field by
 * name, and written with avro_value_write().  It carries what the JSON
 * notification (encode_json.c) carries, under the same names, and the
 * classification, advice, CVEs, feed, report type and context.
 *
 * Avro strings are UTF-8; an inventory may hold other bytes (an id typed in
 * a Latin-1 spreadsheet).  Such a byte becomes the code point of the same
 * number, as the JSON encoder escapes it, so both outputs say the same.
 */
#include "encode_avro.h"

#include <avro.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "avro_schema.h"
#include "utf8.h"
#include "classify.h"

/* ---- the per-thread value and writer ----------------------------------- */

typedef struct estate_s {
    avro_value_iface_t *iface;
    avro_value_t value;
    avro_writer_t writer;
    char *out; /* the binary record */
    size_t out_cap;
    char *text; /* a string made UTF-8 */
    size_t text_cap;
} estate_t;

static pthread_once_t once = PTHREAD_ONCE_INIT;
/* This thread's writer: the thread-local pointer finds it fast, the key
 * frees it when the thread ends (free_mine() when the process does). */
static _Thread_local estate_t *mine;
static pthread_key_t key;
static avro_schema_t schema; /* borrowed from avro_schema.c */
static char init_err[512];

static void estate_free(void *p) {
    estate_t *es = p;

    if (!es)
        return;
    if (es->value.iface)
        avro_value_decref(&es->value);
    if (es->iface)
        avro_value_iface_decref(es->iface);
    if (es->writer)
        avro_writer_free(es->writer);
    free(es->out);
    free(es->text);
    free(es);
}

/* At exit, the thread that exits frees its own: avro-c's generic values
 * keep pointers at unaligned offsets, which leak checkers do not follow, so
 * a value still alive at exit would be reported as leaked. */
static void free_mine(void) {
    estate_free(mine);
    mine = NULL;
    pthread_setspecific(key, NULL);
}

static void init(void) {
    schema = am_avro_schema_get(AM_AVRO_SCHEMA_NOTIFICATION, init_err,
                                sizeof(init_err));
    if (schema && pthread_key_create(&key, estate_free) != 0) {
        snprintf(init_err, sizeof(init_err), "pthread_key_create failed");
        schema = NULL;
        return;
    }
    if (schema)
        atexit(free_mine);
}

static estate_t *estate(char *err, size_t err_size) {
    estate_t *es;

    pthread_once(&once, init);
    if (!schema) {
        snprintf(err, err_size, "%s", init_err);
        return NULL;
    }
    if (mine)
        return mine;
    if (!(es = calloc(1, sizeof(*es))) ||
        !(es->iface = avro_generic_class_from_schema(schema)) ||
        avro_generic_value_new(es->iface, &es->value) != 0 ||
        !(es->writer = avro_writer_memory("", 0)) ||
        pthread_setspecific(key, es) != 0) {
        snprintf(err, err_size, "cannot set up the Avro writer: %s",
                 avro_strerror());
        estate_free(es);
        return NULL;
    }
    mine = es;
    return es;
}

static bool grow(char **p, size_t *cap, size_t n) {
    char *np;

    if (n <= *cap)
        return true;
    if (!(np = realloc(*p, n)))
        return false;
    *p = np;
    *cap = n;
    return true;
}

/* ---- setting fields by name -------------------------------------------- */

/* The encoding in hand; the first error sticks, later calls do nothing. */
typedef struct enc_s {
    estate_t *es;
    char *err;
    size_t err_size;
    bool failed;
} enc_t;

__attribute__((format(printf, 2, 3))) static void fail(enc_t *e,
                                                       const char *fmt, ...) {
    va_list ap;

    if (e->failed)
        return;
    e->failed = true;
    va_start(ap, fmt);
    vsnprintf(e->err, e->err_size, fmt, ap);
    va_end(ap);
}

/*
 * Field \p name of \p rec, ready to be set: in a union [null, T] the null
 * branch (\p null) or the other.  @returns false when there is nothing more
 * to set: null was set, or an error.
 */
static bool slot(enc_t *e, avro_value_t *rec, const char *name, bool null,
                 avro_value_t *out) {
    avro_value_t f;
    avro_schema_t u;

    if (e->failed)
        return false;
    if (avro_value_get_by_name(rec, name, &f, NULL) != 0) {
        fail(e, "notification.avsc has no field '%s'", name);
        return false;
    }
    if (avro_value_get_type(&f) != AVRO_UNION) {
        if (null)
            fail(e, "field '%s': null, and not nullable in the schema", name);
        *out = f;
        return !null;
    }
    u = avro_value_get_schema(&f);
    for (size_t i = 0; i < avro_schema_union_size(u); i++) {
        if (is_avro_null(avro_schema_union_branch(u, (int)i)) != null)
            continue;
        if (avro_value_set_branch(&f, (int)i, out) != 0 ||
            (null && avro_value_set_null(out) != 0))
            break;
        return !null;
    }
    fail(e, "field '%s': cannot set the union: %s", name, avro_strerror());
    return false;
}

/* \p s itself when it is UTF-8, else a copy where each byte that is not
 * becomes the code point of its number. */
static const char *utf8(enc_t *e, const char *s) {
    const unsigned char *u = (const unsigned char *)s;
    size_t n = strlen(s), i = 0, o = 0;
    char *t;

    while (i < n) {
        size_t ulen = am_utf8_len(u + i, n - i);
        if (!ulen)
            break;
        i += ulen;
    }
    if (i == n)
        return s;
    if (!grow(&e->es->text, &e->es->text_cap, 2 * n + 1)) {
        fail(e, "out of memory");
        return NULL;
    }
    t = e->es->text;
    for (i = 0; i < n;) {
        size_t ulen = am_utf8_len(u + i, n - i);
        if (ulen) {
            memcpy(t + o, s + i, ulen);
            o += ulen;
            i += ulen;
        } else {
            t[o++] = (char)(0xc0 | u[i] >> 6);
            t[o++] = (char)(0x80 | (u[i] & 0x3f));
            i++;
        }
    }
    t[o] = '\0';
    return t;
}

/* A string field; NULL sets null. */
static void set_str(enc_t *e, avro_value_t *rec, const char *name,
                    const char *s) {
    avro_value_t v;

    if (!slot(e, rec, name, s == NULL, &v) || !(s = utf8(e, s)))
        return;
    if (avro_value_set_string(&v, s) != 0)
        fail(e, "field '%s': %s", name, avro_strerror());
}

/* An int field; a negative value sets null. */
static void set_int(enc_t *e, avro_value_t *rec, const char *name,
                    int64_t i) {
    avro_value_t v;
    int rc;

    if (!slot(e, rec, name, i < 0, &v))
        return;
    rc = avro_value_get_type(&v) == AVRO_INT64
             ? avro_value_set_long(&v, i)
             : avro_value_set_int(&v, (int32_t)i);
    if (rc != 0)
        fail(e, "field '%s': %s", name, avro_strerror());
}

static void set_bool(enc_t *e, avro_value_t *rec, const char *name,
                     bool b) {
    avro_value_t v;

    if (slot(e, rec, name, false, &v) && avro_value_set_boolean(&v, b) != 0)
        fail(e, "field '%s': %s", name, avro_strerror());
}

static void set_enum(enc_t *e, avro_value_t *rec, const char *name,
                     const char *symbol) {
    avro_value_t v;
    int i;

    if (!slot(e, rec, name, false, &v))
        return;
    if (avro_value_get_type(&v) != AVRO_ENUM ||
        (i = avro_schema_enum_get_by_name(avro_value_get_schema(&v),
                                          symbol)) < 0 ||
        avro_value_set_enum(&v, i) != 0)
        fail(e, "field '%s': no symbol '%s' in the schema", name, symbol);
}

/* A record (or array) field; \p present false sets null. */
static bool sub(enc_t *e, avro_value_t *rec, const char *name, bool present,
                avro_value_t *out) {
    return slot(e, rec, name, !present, out);
}

static void set_observable(enc_t *e, avro_value_t *rec,
                           const am_observable_t *o) {
    avro_value_t v;

    if (!sub(e, rec, "observable", true, &v))
        return;
    set_enum(e, &v, "type", am_obs_type_name(o->type));
    set_str(e, &v, "value", o->value);
}

/* asset_id, asset_kind, asset_value and match_kind of hit \p h. */
static void set_asset(enc_t *e, avro_value_t *rec, const am_inventory_t *inv,
                      const am_match_hit_t *h) {
    const am_asset_t *a = am_inventory_asset(inv, h->asset);

    set_str(e, rec, "asset_id", am_inventory_str(inv, a->asset_id));
    set_enum(e, rec, "asset_kind", am_asset_kind_name(a->kind));
    set_str(e, rec, "asset_value", am_inventory_str(inv, a->value));
    set_enum(e, rec, "match_kind", am_match_kind_name(h->kind));
}

static void set_matched(enc_t *e, avro_value_t *rec,
                        const am_notification_t *nt) {
    const am_match_result_t *r = nt->result;
    avro_value_t ids, assets, v;

    if (avro_value_get_by_name(rec, "matched_assets_total", &v, NULL) != 0 ||
        avro_value_set_long(&v, (int64_t)r->n_hits) != 0)
        fail(e, "field 'matched_assets_total': %s", avro_strerror());
    if (sub(e, rec, "matched_asset_ids", true, &ids)) {
        for (size_t i = 0; i < am_notification_listed(r) && !e->failed;
             i++) {
            const am_asset_t *a = am_inventory_asset(nt->inv, r->hits[i].asset);
            const char *s = utf8(e, am_inventory_str(nt->inv, a->asset_id));
            if (s && (avro_value_append(&ids, &v, NULL) != 0 ||
                      avro_value_set_string(&v, s) != 0))
                fail(e, "field 'matched_asset_ids': %s", avro_strerror());
        }
    }
    if (!sub(e, rec, "matched_assets", true, &assets))
        return;
    for (size_t i = 0; i < am_notification_listed(r) && !e->failed; i++) {
        if (avro_value_append(&assets, &v, NULL) != 0) {
            fail(e, "field 'matched_assets': %s", avro_strerror());
            return;
        }
        set_asset(e, &v, nt->inv, &r->hits[i]);
        set_observable(e, &v, &nt->ev->obs[r->hits[i].obs]);
    }
}

static void set_context(enc_t *e, avro_value_t *rec,
                        const am_notification_t *nt) {
    const am_event_t *ev = nt->ev;
    const am_classify_t *cl = nt->cl;
    avro_value_t v;

    if (sub(e, rec, "classification", true, &v)) {
        set_str(e, &v, "taxonomy", ev->taxonomy);
        set_str(e, &v, "type", ev->type);
        set_str(e, &v, "identifier", ev->identifier);
        set_str(e, &v, "n6_category", ev->n6_category);
    }
    if (sub(e, rec, "advice", cl != NULL, &v)) {
        const char *type = ev->type ? ev->type : "unknown";
        set_str(e, &v, "en", am_classify_advice(cl, type, "en"));
        set_str(e, &v, "nl", am_classify_advice(cl, type, "nl"));
    }
    if (sub(e, rec, "cves", true, &v)) {
        for (size_t i = 0; i < ev->n_cves && !e->failed; i++) {
            avro_value_t c;
            const char *s = utf8(e, ev->cves[i]);
            if (s && (avro_value_append(&v, &c, NULL) != 0 ||
                      avro_value_set_string(&c, s) != 0))
                fail(e, "field 'cves': %s", avro_strerror());
        }
    }
    set_str(e, rec, "feed", ev->feed);
    set_str(e, rec, "report_type", ev->report_type);
    set_str(e, rec, "context", ev->context);
}

static void set_all(enc_t *e, avro_value_t *rec, const am_notification_t *nt) {
    const am_event_t *ev = nt->ev;
    const am_match_result_t *r = nt->result;
    const char *tenant = am_inventory_tenant(nt->inv, r->tenant);
    char id[AM_UUID_STRLEN];
    avro_value_t v;

    am_notification_id(tenant, ev->id, id);
    set_str(e, rec, "notification_id", id);
    set_str(e, rec, "tenant_id", tenant);
    set_str(e, rec, "event_id", ev->id);
    set_enum(e, rec, "event_kind", am_event_kind_name(ev->kind));
    set_observable(e, rec, &ev->obs[r->hits[0].obs]);
    set_asset(e, rec, nt->inv, &r->hits[0]);
    set_matched(e, rec, nt);
    set_str(e, rec, "category", ev->category);
    set_str(e, rec, "severity", ev->severity);
    set_int(e, rec, "confidence", ev->confidence);
    set_str(e, rec, "source", ev->source);
    set_str(e, rec, "tlp", ev->tlp);
    set_str(e, rec, "time", ev->time);
    set_str(e, rec, "valid_until", ev->valid_until);
    set_str(e, rec, "description", ev->description);
    set_int(e, rec, "port", ev->port);
    set_str(e, rec, "protocol", ev->protocol);
    set_str(e, rec, "tag", ev->tag);
    set_str(e, rec, "match_time", nt->match_time);
    set_bool(e, rec, "retroactive", nt->retroactive);
    if (sub(e, rec, "origin", nt->origin != NULL, &v)) {
        set_str(e, &v, "topic", nt->origin->topic);
        set_int(e, &v, "partition", nt->origin->partition);
        set_int(e, &v, "offset", nt->origin->offset);
    }
    set_context(e, rec, nt);
}

int am_encode_avro(am_buf_t *out, const am_notification_t *nt,
                   int32_t schema_id, char *err, size_t err_size) {
    estate_t *es = estate(err, err_size);
    enc_t e = {.es = es, .err = err, .err_size = err_size};
    size_t size;

    if (!es)
        return -1;
    avro_value_reset(&es->value);
    set_all(&e, &es->value, nt);
    if (e.failed)
        return -1;
    /* Written into what the buffer has; sized first only when that was
     * not enough (sizing walks the value as writing does). */
    avro_writer_memory_set_dest(es->writer, es->out, (int64_t)es->out_cap);
    if (!es->out || avro_value_write(es->writer, &es->value) != 0) {
        if (avro_value_sizeof(&es->value, &size) != 0) {
            snprintf(err, err_size, "Avro: %s", avro_strerror());
            return -1;
        }
        if (!grow(&es->out, &es->out_cap, size < 4096 ? 4096 : 2 * size)) {
            snprintf(err, err_size, "out of memory");
            return -1;
        }
        avro_writer_memory_set_dest(es->writer, es->out,
                                    (int64_t)es->out_cap);
        if (avro_value_write(es->writer, &es->value) != 0) {
            snprintf(err, err_size, "Avro: %s", avro_strerror());
            return -1;
        }
    }
    size = (size_t)avro_writer_tell(es->writer);
    if (schema_id >= 0) {
        uint32_t id = (uint32_t)schema_id;
        char head[5] = {0, (char)(id >> 24), (char)(id >> 16),
                        (char)(id >> 8), (char)id};
        am_buf_append(out, head, sizeof(head));
    }
    am_buf_append(out, es->out, size);
    if (out->oom) {
        snprintf(err, err_size, "out of memory");
        return -1;
    }
    return 0;
}
