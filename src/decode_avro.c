/*
 * decode_avro: see decode_avro.h.  A message is one value of
 * schemas/event.avsc, the union [Indicator, ScanResult], in Avro's binary
 * encoding:
 *
 *   bare     <union index> <record>
 *   framed   0x00 <schema id: 4 bytes, big-endian> <union index> <record>
 *
 * The schema id of the Confluent framing is not interpreted (there is no
 * schema registry): the record must have been written with event.avsc as
 * it is here.  A bare Indicator also starts with 0x00 (union index 0), so a
 * message starting with 0x00 is taken as framed when it decodes as such,
 * and as bare otherwise.  Either way the record must end exactly where the
 * message ends.
 *
 * avro-c's reader trusts its input: a negative string length writes before
 * its buffer, a huge one allocates that much, a truncated string leaks.  So
 * every message is first walked against the schema here, checking each
 * length, count and index against the bytes that are left (and strings for
 * UTF-8, without NUL), which is also where a reject learns the name of the
 * field.  Only a message that passed is given to avro_value_read(), into a
 * generic value that each thread keeps and reuses, with its reader.
 */
#include "decode_avro.h"

#include <avro.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "avro_schema.h"
#include "utf8.h"
#include "decode.h"

/* ---- the walk: structure and bounds of the bytes ----------------------- */

/* Deeper than any of our schemas; a bound for a recursive one. */
#define MAX_DEPTH 32

typedef struct walk_s {
    const uint8_t *p, *end;
    int depth;
    struct {
        const char *name; /* record field, or NULL: element index */
        int64_t index;
    } path[MAX_DEPTH];
    int n_path;
    char *err;
    size_t err_size;
} walk_t;

/* "observables[2].value" for the path in hand. */
static void path_text(const walk_t *w, char *out, size_t size) {
    size_t len = 0;

    out[0] = '\0';
    for (int i = 0; i < w->n_path && len < size; i++) {
        int n = w->path[i].name
                    ? snprintf(out + len, size - len, "%s%s", i ? "." : "",
                               w->path[i].name)
                    : snprintf(out + len, size - len, "[%" PRId64 "]",
                               w->path[i].index);
        if (n < 0)
            break;
        len += (size_t)n;
    }
}

__attribute__((format(printf, 2, 3))) static int fail(walk_t *w,
                                                      const char *fmt, ...) {
    char path[256], why[256];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(why, sizeof(why), fmt, ap);
    va_end(ap);
    if (w->n_path == 0) {
        snprintf(w->err, w->err_size, "%s", why);
    } else {
        path_text(w, path, sizeof(path));
        snprintf(w->err, w->err_size, "field '%s': %s", path, why);
    }
    return -1;
}

static size_t left(const walk_t *w) {
    return (size_t)(w->end - w->p);
}

/* A zig-zag varint; longer than 64 bits is an error. */
static int read_long(walk_t *w, int64_t *v) {
    uint64_t u = 0;

    for (int i = 0; i < 10; i++) {
        uint8_t b;
        if (w->p == w->end)
            return fail(w, "truncated");
        b = *w->p++;
        if (i == 9 && b > 1)
            return fail(w, "varint longer than 64 bits");
        u |= (uint64_t)(b & 0x7f) << (7 * i);
        if (!(b & 0x80)) {
            *v = (int64_t)((u >> 1) ^ (~(u & 1) + 1));
            return 0;
        }
    }
    return fail(w, "varint longer than 64 bits");
}

/* The length of a string or bytes, within what is left. */
static int read_len(walk_t *w, int64_t *n) {
    if (read_long(w, n) < 0)
        return -1;
    if (*n < 0)
        return fail(w, "negative length %" PRId64, *n);
    if ((uint64_t)*n > left(w))
        return fail(w, "truncated (%" PRId64 " bytes, %zu left)", *n,
                    left(w));
    return 0;
}

static int skip(walk_t *w, size_t n) {
    if (n > left(w))
        return fail(w, "truncated (%zu bytes, %zu left)", n, left(w));
    w->p += n;
    return 0;
}

static int walk(walk_t *w, avro_schema_t s);

/* Array or map blocks: a count (negative: followed by a byte size), the
 * items, until a count of 0. */
static int walk_blocks(walk_t *w, avro_schema_t items, bool map) {
    int64_t index = 0, count, size;

    if (w->n_path == MAX_DEPTH)
        return fail(w, "nested too deep");
    for (;;) {
        if (read_long(w, &count) < 0)
            return -1;
        if (count == 0)
            return 0;
        if (count < 0) {
            if (count == INT64_MIN)
                return fail(w, "bad block count");
            count = -count;
            if (read_long(w, &size) < 0)
                return -1;
            if (size < 0 || (uint64_t)size > left(w))
                return fail(w, "bad block size %" PRId64, size);
        }
        /* Each item of our schemas takes a byte at least; this also bounds
         * what avro-c allocates for the items. */
        if ((uint64_t)count > left(w))
            return fail(w, "truncated (%" PRId64 " items, %zu bytes left)",
                        count, left(w));
        for (int64_t i = 0; i < count; i++, index++) {
            int64_t n;
            w->path[w->n_path].name = NULL;
            w->path[w->n_path].index = index;
            w->n_path++;
            if ((map && (read_len(w, &n) < 0 || skip(w, (size_t)n) < 0)) ||
                walk(w, items) < 0)
                return -1;
            w->n_path--;
        }
    }
}

static int walk_string(walk_t *w) {
    int64_t n;
    const unsigned char *s;

    if (read_len(w, &n) < 0)
        return -1;
    s = w->p;
    for (size_t i = 0; i < (size_t)n;) {
        size_t ulen = am_utf8_len(s + i, (size_t)n - i);
        if (ulen == 0)
            return fail(w, s[i] ? "not UTF-8 (byte %zu)" : "NUL byte at %zu",
                        i);
        i += ulen;
    }
    w->p += n;
    return 0;
}

static int walk_record(walk_t *w, avro_schema_t s) {
    size_t n = avro_schema_record_size(s);

    if (w->n_path == MAX_DEPTH)
        return fail(w, "nested too deep");
    for (size_t i = 0; i < n; i++) {
        w->path[w->n_path].name = avro_schema_record_field_name(s, (int)i);
        w->n_path++;
        if (walk(w, avro_schema_record_field_get_by_index(s, (int)i)) < 0)
            return -1;
        w->n_path--;
    }
    return 0;
}

static int walk(walk_t *w, avro_schema_t s) {
    int64_t v;
    int rc = 0;

    if (++w->depth > MAX_DEPTH)
        return fail(w, "nested too deep");
    switch (avro_typeof(s)) {
    case AVRO_NULL:
        break;
    case AVRO_BOOLEAN:
        if (w->p == w->end)
            rc = fail(w, "truncated");
        else if (*w->p > 1)
            rc = fail(w, "boolean byte 0x%02x", *w->p);
        else
            w->p++;
        break;
    case AVRO_INT32:
        rc = read_long(w, &v);
        if (rc == 0 && (v < INT32_MIN || v > INT32_MAX))
            rc = fail(w, "%" PRId64 " out of range for an int", v);
        break;
    case AVRO_INT64:
        rc = read_long(w, &v);
        break;
    case AVRO_FLOAT:
        rc = skip(w, 4);
        break;
    case AVRO_DOUBLE:
        rc = skip(w, 8);
        break;
    case AVRO_BYTES:
        rc = read_len(w, &v) < 0 ? -1 : skip(w, (size_t)v);
        break;
    case AVRO_STRING:
        rc = walk_string(w);
        break;
    case AVRO_FIXED:
        rc = skip(w, (size_t)avro_schema_fixed_size(s));
        break;
    case AVRO_ENUM:
        rc = read_long(w, &v);
        if (rc == 0 && (v < 0 || v >= avro_schema_enum_number_of_symbols(s)))
            rc = fail(w, "enum index %" PRId64 " out of range (%s has %d)", v,
                      avro_schema_name(s),
                      avro_schema_enum_number_of_symbols(s));
        break;
    case AVRO_ARRAY:
        rc = walk_blocks(w, avro_schema_array_items(s), false);
        break;
    case AVRO_MAP:
        rc = walk_blocks(w, avro_schema_map_values(s), true);
        break;
    case AVRO_RECORD:
        rc = walk_record(w, s);
        break;
    case AVRO_UNION:
        rc = read_long(w, &v);
        if (rc == 0 && (v < 0 || (uint64_t)v >= avro_schema_union_size(s)))
            rc = fail(w, "union index %" PRId64 " out of range 0..%zu", v,
                      avro_schema_union_size(s) - 1);
        if (rc == 0)
            rc = walk(w, avro_schema_union_branch(s, (int)v));
        break;
    case AVRO_LINK:
        rc = walk(w, avro_schema_link_target(s));
        break;
    default:
        rc = fail(w, "unsupported Avro type");
    }
    w->depth--;
    return rc;
}

/* Walks the whole of [p, end) as one value of the event union. */
static int walk_event(avro_schema_t schema, const uint8_t *p,
                      const uint8_t *end, const uint8_t **stop, char *err,
                      size_t err_size) {
    walk_t w = {.p = p, .end = end, .err = err, .err_size = err_size};
    int rc = walk(&w, schema);

    *stop = w.p;
    if (rc == 0 && w.p != end)
        rc = fail(&w, "%zu bytes after the end of the record", left(&w));
    return rc;
}

/* ---- the per-thread reader and value ----------------------------------- */

typedef struct tstate_s {
    avro_value_iface_t *iface;
    avro_value_t value;
    avro_reader_t reader;
} tstate_t;

static pthread_once_t once = PTHREAD_ONCE_INIT;
/* This thread's reader: the thread-local pointer finds it fast, the key
 * frees it when the thread ends (free_mine() when the process does). */
static _Thread_local tstate_t *mine;
static pthread_key_t key;
static avro_schema_t event_schema; /* borrowed from avro_schema.c */
static char init_err[512];

static void tstate_free(void *p) {
    tstate_t *ts = p;

    if (!ts)
        return;
    if (ts->value.iface)
        avro_value_decref(&ts->value);
    if (ts->iface)
        avro_value_iface_decref(ts->iface);
    if (ts->reader)
        avro_reader_free(ts->reader);
    free(ts);
}

/* At exit, the thread that exits frees its own: avro-c's generic values
 * keep pointers at unaligned offsets, which leak checkers do not follow, so
 * a value still alive at exit would be reported as leaked. */
static void free_mine(void) {
    tstate_free(mine);
    mine = NULL;
    pthread_setspecific(key, NULL);
}

static void init(void) {
    event_schema =
        am_avro_schema_get(AM_AVRO_SCHEMA_EVENT, init_err, sizeof(init_err));
    if (event_schema && pthread_key_create(&key, tstate_free) != 0) {
        snprintf(init_err, sizeof(init_err), "pthread_key_create failed");
        event_schema = NULL;
        return;
    }
    if (event_schema)
        atexit(free_mine);
}

static tstate_t *tstate(char *err, size_t err_size) {
    tstate_t *ts;

    pthread_once(&once, init);
    if (!event_schema) {
        snprintf(err, err_size, "%s", init_err);
        return NULL;
    }
    if (mine)
        return mine;
    if (!(ts = calloc(1, sizeof(*ts))) ||
        !(ts->iface = avro_generic_class_from_schema(event_schema)) ||
        avro_generic_value_new(ts->iface, &ts->value) != 0 ||
        !(ts->reader = avro_reader_memory("", 0)) ||
        pthread_setspecific(key, ts) != 0) {
        snprintf(err, err_size, "cannot set up the Avro reader: %s",
                 avro_strerror());
        tstate_free(ts);
        return NULL;
    }
    mine = ts;
    return ts;
}

/* ---- the record into the event ----------------------------------------- */

/* Field \p name of \p rec, through a union [null, T]: false when the schema
 * has no such field or its value is null. */
static bool field(const avro_value_t *rec, const char *name,
                  avro_value_t *out) {
    avro_value_t v;

    if (avro_value_get_by_name(rec, name, &v, NULL) != 0)
        return false;
    if (avro_value_get_type(&v) == AVRO_UNION &&
        avro_value_get_current_branch(&v, out) == 0)
        return avro_value_get_type(out) != AVRO_NULL;
    *out = v;
    return avro_value_get_type(out) != AVRO_NULL;
}

/* The text of a string value (valid UTF-8 without NUL: walked). */
static const char *text(const avro_value_t *v, size_t *n) {
    const char *s = "";
    size_t size = 0;

    if (avro_value_get_type(v) != AVRO_STRING ||
        avro_value_get_string(v, &s, &size) != 0)
        return NULL;
    *n = size ? size - 1 : 0; /* the size counts the NUL */
    return s;
}

/* Copies string field \p name into *dst; absent or null leaves it. */
static int get_str(am_event_t *ev, const avro_value_t *rec, const char *name,
                   const char **dst, char *err, size_t err_size) {
    avro_value_t v;
    const char *s;
    size_t n;

    if (!field(rec, name, &v))
        return 0;
    if (!(s = text(&v, &n))) {
        snprintf(err, err_size, "field '%s': not a string in the schema",
                 name);
        return -1;
    }
    if (!(*dst = am_event_strdup(ev, s, n))) {
        snprintf(err, err_size, "field '%s': longer than %d bytes", name,
                 AM_EVENT_MAX_STR);
        return -1;
    }
    return 0;
}

/* An int or long field in [lo, hi]; absent or null leaves *dst. */
static int get_int(const avro_value_t *rec, const char *name, int64_t lo,
                   int64_t hi, int64_t *dst, bool *present, char *err,
                   size_t err_size) {
    avro_value_t v;
    int32_t i32;
    int64_t i;

    *present = false;
    if (!field(rec, name, &v))
        return 0;
    if (avro_value_get_type(&v) == AVRO_INT32 &&
        avro_value_get_int(&v, &i32) == 0) {
        i = i32;
    } else if (avro_value_get_type(&v) != AVRO_INT64 ||
               avro_value_get_long(&v, &i) != 0) {
        snprintf(err, err_size, "field '%s': not an int in the schema",
                 name);
        return -1;
    }
    if (i < lo || i > hi) {
        snprintf(err, err_size,
                 "field '%s': %" PRId64 " out of range %" PRId64 "..%" PRId64,
                 name, i, lo, hi);
        return -1;
    }
    *dst = i;
    *present = true;
    return 0;
}

static int get_small(const avro_value_t *rec, const char *name, int hi,
                     int *dst, char *err, size_t err_size) {
    int64_t v;
    bool present;

    if (get_int(rec, name, 0, hi, &v, &present, err, err_size) < 0)
        return -1;
    if (present)
        *dst = (int)v;
    return 0;
}

/* Adds an observable from field \p field_name, or from its element
 * \p index (>= 0) of observables. */
static int add_obs(am_event_t *ev, am_obs_type_t type, const char *s,
                   size_t n, const char *field_name, long index, char *err,
                   size_t err_size) {
    char why[320];

    if (am_event_add_observable(ev, type, s, n, why, sizeof(why)) == 0)
        return 0;
    if (index >= 0)
        snprintf(err, err_size, "field '%s[%ld].value': %s", field_name,
                 index, why);
    else
        snprintf(err, err_size, "field '%s': %s", field_name, why);
    return -1;
}

static int observables(am_event_t *ev, const avro_value_t *rec, char *err,
                       size_t err_size) {
    avro_value_t arr, o, t, v;
    size_t count = 0;

    if (!field(rec, "observables", &arr) ||
        avro_value_get_type(&arr) != AVRO_ARRAY ||
        avro_value_get_size(&arr, &count) != 0) {
        snprintf(err, err_size, "field 'observables': missing in the schema");
        return -1;
    }
    for (size_t i = 0; i < count; i++) {
        const char *sym = NULL, *s;
        int e = -1, type = -1;
        size_t n;

        if (avro_value_get_by_index(&arr, i, &o, NULL) != 0 ||
            !field(&o, "type", &t) || avro_value_get_type(&t) != AVRO_ENUM ||
            avro_value_get_enum(&t, &e) != 0 ||
            !(sym = avro_schema_enum_get(avro_value_get_schema(&t), e)) ||
            (type = am_obs_type_parse(sym, strlen(sym))) < 0) {
            snprintf(err, err_size,
                     "field 'observables[%zu].type': %s%s%s", i,
                     sym ? "'" : "", sym ? sym : "missing in the schema",
                     sym ? "' is not a type this version matches" : "");
            return -1;
        }
        if (!field(&o, "value", &v) || !(s = text(&v, &n))) {
            snprintf(err, err_size, "field 'observables[%zu].value': missing",
                     i);
            return -1;
        }
        if (add_obs(ev, (am_obs_type_t)type, s, n, "observables", (long)i,
                    err, err_size) < 0)
            return -1;
    }
    return 0;
}

/* ip, hostname and asn of a scan; null or empty ones are left out. */
static int scan_observables(am_event_t *ev, const avro_value_t *rec,
                            char *err, size_t err_size) {
    static const struct {
        const char *name;
        am_obs_type_t type;
    } obs[] = {{"ip", AM_OBS_IP}, {"hostname", AM_OBS_DOMAIN}};
    avro_value_t v;
    int64_t asn;
    bool present;

    for (size_t k = 0; k < sizeof(obs) / sizeof(obs[0]); k++) {
        const char *s;
        size_t n;

        if (!field(rec, obs[k].name, &v))
            continue;
        if (!(s = text(&v, &n))) {
            snprintf(err, err_size, "field '%s': not a string in the schema",
                     obs[k].name);
            return -1;
        }
        if (n && add_obs(ev, obs[k].type, s, n, obs[k].name, -1, err,
                         err_size) < 0)
            return -1;
    }
    if (get_int(rec, "asn", 0, UINT32_MAX, &asn, &present, err, err_size) <
        0)
        return -1;
    if (present) {
        char num[24];
        int len = snprintf(num, sizeof(num), "%" PRId64, asn);
        if (add_obs(ev, AM_OBS_ASN, num, (size_t)len, "asn", -1, err,
                    err_size) < 0)
            return -1;
    }
    return 0;
}

static int cves(am_event_t *ev, const avro_value_t *rec, char *err,
                size_t err_size) {
    avro_value_t arr, v;
    size_t count = 0;

    if (!field(rec, "cves", &arr))
        return 0;
    if (avro_value_get_type(&arr) != AVRO_ARRAY ||
        avro_value_get_size(&arr, &count) != 0) {
        snprintf(err, err_size, "field 'cves': not an array in the schema");
        return -1;
    }
    for (size_t i = 0; i < count; i++) {
        const char *s = NULL;
        size_t n = 0;

        if (avro_value_get_by_index(&arr, i, &v, NULL) != 0 ||
            !(s = text(&v, &n)) || am_event_add_cve(ev, s, n) < 0) {
            snprintf(err, err_size,
                     "field 'cves[%zu]': not a string, or more than %d", i,
                     AM_EVENT_MAX_CVES);
            return -1;
        }
    }
    return 0;
}

/* The record of either branch into \p ev, as decode_json.c does it. */
static int fill(am_event_t *ev, const avro_value_t *rec, char *err,
                size_t err_size) {
    const char *name = avro_schema_name(avro_value_get_schema(rec));

    ev->format = "avro";
    if (strcmp(name, "ScanResult") == 0) {
        ev->kind = AM_EVENT_SCAN;
    } else if (strcmp(name, "Indicator") == 0) {
        ev->kind = AM_EVENT_INDICATOR;
    } else {
        snprintf(err, err_size, "record %s is not an event", name);
        return -1;
    }
    if (get_str(ev, rec, "id", &ev->id, err, err_size) < 0)
        return -1;
    if (!ev->id || !*ev->id) {
        snprintf(err, err_size, "field 'id': missing");
        return -1;
    }
    if (ev->kind == AM_EVENT_INDICATOR) {
        if (observables(ev, rec, err, err_size) < 0)
            return -1;
    } else if (scan_observables(ev, rec, err, err_size) < 0 ||
               get_small(rec, "port", 65535, &ev->port, err, err_size) < 0 ||
               get_str(ev, rec, "protocol", &ev->protocol, err, err_size) <
                   0 ||
               get_str(ev, rec, "tag", &ev->tag, err, err_size) < 0) {
        return -1;
    }
    if (ev->n_obs == 0) {
        snprintf(err, err_size, "no observable");
        return -1;
    }
    if (get_str(ev, rec, "category", &ev->category, err, err_size) < 0 ||
        get_str(ev, rec, "severity", &ev->severity, err, err_size) < 0 ||
        get_str(ev, rec, "source", &ev->source, err, err_size) < 0 ||
        get_str(ev, rec, "tlp", &ev->tlp, err, err_size) < 0 ||
        get_str(ev, rec, "time", &ev->time, err, err_size) < 0 ||
        get_str(ev, rec, "valid_until", &ev->valid_until, err, err_size) <
            0 ||
        get_str(ev, rec, "description", &ev->description, err, err_size) <
            0 ||
        get_small(rec, "confidence", 100, &ev->confidence, err, err_size) <
            0)
        return -1;
    if (ev->tag)
        am_event_scan_cves(ev, ev->tag, strlen(ev->tag));
    return cves(ev, rec, err, err_size);
}

int am_decode_avro(const char *buf, size_t len, am_event_t *ev, char *err,
                   size_t err_size) {
    const uint8_t *b = (const uint8_t *)buf, *end = b + len, *body = b;
    const uint8_t *stop_framed = b, *stop_bare;
    char err_framed[512];
    tstate_t *ts;
    avro_value_t rec;

    if (len > AM_DECODE_MAX_MESSAGE) {
        snprintf(err, err_size, "message of %zu bytes exceeds the limit of %d",
                 len, AM_DECODE_MAX_MESSAGE);
        return -1;
    }
    if (!(ts = tstate(err, err_size)))
        return -1;
    /* Framed first when it may be; bare otherwise, or when the framed
     * reading fails.  Of two failures, the reading that got further says
     * what is wrong. */
    if (len >= 5 && b[0] == 0 &&
        walk_event(event_schema, b + 5, end, &stop_framed, err_framed,
                   sizeof(err_framed)) == 0) {
        body = b + 5;
    } else if (walk_event(event_schema, b, end, &stop_bare, err, err_size) <
               0) {
        if (stop_framed > stop_bare)
            snprintf(err, err_size, "%s", err_framed);
        if (len == 0)
            snprintf(err, err_size, "empty message");
        return -1;
    }

    avro_reader_memory_set_source(ts->reader, (const char *)body,
                                  (int64_t)(end - body));
    if (avro_value_read(ts->reader, &ts->value) != 0 ||
        avro_value_get_current_branch(&ts->value, &rec) != 0) {
        snprintf(err, err_size, "Avro: %s", avro_strerror());
        return -1;
    }
    return fill(ev, &rec, err, err_size);
}
