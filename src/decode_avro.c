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
 * every message is walked against the schema here, checking each length,
 * count and index against the bytes that are left (and strings for UTF-8,
 * without NUL), which is also where a reject learns the name of the field;
 * a fast reader (below) takes the well-formed ones first, with the same
 * checks and without the path.  Either keeps what the decoder reads (the
 * record's fields, the observables' type and value, the CVEs) as it
 * passes them, so avro-c's reader is not needed: its generic values cost
 * more than the rest of the decode.  The walk follows the schema compiled once into
 * node_t (fields, branches and names in arrays, links resolved), not
 * avro-c's schema objects, whose accessors look every field and branch up
 * in a hash table.
 */
#include "decode_avro.h"

#include <avro.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "avro_schema.h"
#include "utf8.h"
#include "decode.h"

/* ---- the walk: structure and bounds of the bytes ----------------------- */

/* Deeper than any of our schemas; a bound for a recursive one. */
#define MAX_DEPTH 32
/* Fields of an event record kept by the walk (the schema has ~20). */
#define MAX_FIELDS 64

/* What a field's name tells keep(): where the value goes. */
typedef enum role_e {
    ROLE_NONE,
    ROLE_CVES,        /* "cves" */
    ROLE_OBSERVABLES, /* "observables" */
    ROLE_TYPE,        /* "type" */
    ROLE_VALUE,       /* "value" */
} role_t;

/* A schema node, compiled from avro-c's (compile()). */
typedef struct node_s {
    avro_type_t t;       /* never AVRO_LINK: a link is its target's node */
    avro_schema_t s;     /* avro-c's: an enum's name, a record for rec_of() */
    int n;               /* fields, branches, enum symbols */
    size_t size;         /* fixed */
    struct node_s **kid; /* fields, branches, or the items or values */
    const char **names;  /* a record's field names */
    unsigned char *role; /* a record's fields' role_t */
    signed char *obs;    /* an enum's symbols as am_obs_type_t; -1: none */
} node_t;

/* A value the walk passed: its type (a union's: the branch's), number
 * (int, long, boolean, enum index), text (string, valid UTF-8 without
 * NUL) and node (enum: its symbols). */
typedef struct av_s {
    avro_type_t t; /* AVRO_NULL also for a field the walk did not see */
    int64_t l;
    const char *s;
    size_t n;
    const struct node_s *nd;
} av_t;

typedef struct obs_av_s {
    av_t type, value;
} obs_av_t;

/* What the decoder reads of an event, kept by the walk; arrays in the
 * event's arena. */
typedef struct cap_s {
    am_event_t *ev;
    avro_schema_t rec;     /* the union's branch: Indicator or ScanResult */
    const struct rec_s *r; /* what is known of rec (rec_of()) */
    av_t top[MAX_FIELDS];  /* by field index of rec */
    bool seen[MAX_FIELDS];
    obs_av_t *obs;
    size_t n_obs, cap_obs;
    av_t *cves;
    size_t n_cves, cap_cves;
    bool oom;
} cap_t;

typedef struct walk_s {
    const uint8_t *p, *end;
    struct {
        const char *name; /* record field, or NULL: element index */
        int64_t index;    /* element index, or the field's index */
        role_t role;      /* a field's */
    } path[MAX_DEPTH];
    int n_path;
    cap_t *cap; /* NULL: nothing kept */
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

    if (!w->err)
        return -1; /* a trial nobody reads the reason of */
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

/* A zig-zag varint of more than one byte (or none); longer than 64 bits is
 * an error. */
static int read_long_slow(walk_t *w, int64_t *v) {
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

/* A zig-zag varint: most (lengths, indexes, small numbers) are one byte. */
AM_DECODE_HOT int read_long(walk_t *w, int64_t *v) {
    if (w->p < w->end && !(*w->p & 0x80)) {
        uint8_t b = *w->p++;
        *v = (int64_t)(b >> 1) ^ -(int64_t)(b & 1);
        return 0;
    }
    return read_long_slow(w, v);
}

/* The length of a string or bytes, within what is left. */
AM_DECODE_HOT int read_len(walk_t *w, int64_t *n) {
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

static int walk(walk_t *w, const node_t *nd);

/* Grows an arena array of \p size-byte items to hold one more. */
static void *more(cap_t *c, void *items, size_t n, size_t *cap,
                  size_t size) {
    size_t grown = *cap ? 2 * *cap : 8;
    char *ni;

    if (n < *cap)
        return items;
    if (!(ni = am_arena_alloc(&c->ev->arena, grown * size))) {
        c->oom = true;
        return NULL;
    }
    if (n)
        memcpy(ni, items, n * size);
    *cap = grown;
    return ni;
}

/* Appends CVE \p v.  @returns false when out of memory (c->oom). */
static bool add_cve(cap_t *c, av_t v) {
    av_t *nc = more(c, c->cves, c->n_cves, &c->cap_cves, sizeof(av_t));

    if (!nc)
        return false;
    c->cves = nc;
    c->cves[c->n_cves++] = v;
    return true;
}

/* Appends an observable, its type and value not seen yet.  @returns it, or
 * NULL when out of memory (c->oom). */
static obs_av_t *add_obs(cap_t *c) {
    obs_av_t *no = more(c, c->obs, c->n_obs, &c->cap_obs, sizeof(obs_av_t));

    if (!no)
        return NULL;
    c->obs = no;
    return memset(&c->obs[c->n_obs++], 0, sizeof(obs_av_t));
}

/* Sets what field \p role of an observable's record is: its type or value
 * (other fields are not kept). */
AM_DECODE_HOT void obs_field(obs_av_t *o, role_t role, av_t v) {
    if (role == ROLE_TYPE)
        o->type = v;
    else if (role == ROLE_VALUE)
        o->value = v;
}

/* Keeps value \p v where the walk is: a field of the record, a CVE, or
 * the type or value of an observable. */
AM_DECODE_HOT void keep(walk_t *w, av_t v) {
    cap_t *c = w->cap;

    if (!c || c->oom || !w->n_path || !w->path[0].name)
        return;
    if (w->n_path == 1 && w->path[0].index < MAX_FIELDS) {
        c->top[w->path[0].index] = v;
        c->seen[w->path[0].index] = true;
    } else if (w->n_path == 2 && w->path[0].role == ROLE_CVES) {
        add_cve(c, v);
    } else if (w->n_path == 3 && c->n_obs &&
               w->path[0].role == ROLE_OBSERVABLES) {
        obs_field(&c->obs[c->n_obs - 1], w->path[2].role, v);
    }
}

/* A record starts where the walk is: the event's, or an observable. */
static void keep_record(walk_t *w, avro_schema_t s) {
    cap_t *c = w->cap;

    if (!c || c->oom)
        return;
    if (w->n_path == 0) {
        c->rec = s;
    } else if (w->n_path == 2 && w->path[0].name &&
               w->path[0].role == ROLE_OBSERVABLES) {
        add_obs(c);
    }
}

/* Array or map blocks: a count (negative: followed by a byte size), the
 * items, until a count of 0. */
static int walk_blocks(walk_t *w, const node_t *items, bool map) {
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
            w->path[w->n_path].role = ROLE_NONE;
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
    size_t i;

    if (read_len(w, &n) < 0)
        return -1;
    s = w->p;
    if ((i = am_utf8_text_len(s, (size_t)n)) < (size_t)n)
        return fail(w, s[i] ? "not UTF-8 (byte %zu)" : "NUL byte at %zu", i);
    keep(w, (av_t){AVRO_STRING, 0, (const char *)s, (size_t)n, NULL});
    w->p += n;
    return 0;
}

static int walk_record(walk_t *w, const node_t *nd) {
    if (w->n_path == MAX_DEPTH)
        return fail(w, "nested too deep");
    keep_record(w, nd->s);
    for (int i = 0; i < nd->n; i++) {
        w->path[w->n_path].name = nd->names[i];
        w->path[w->n_path].index = i;
        w->path[w->n_path].role = (role_t)nd->role[i];
        w->n_path++;
        if (walk(w, nd->kid[i]) < 0)
            return -1;
        w->n_path--;
    }
    return 0;
}

static int walk(walk_t *w, const node_t *nd) {
    int64_t v;
    int rc = 0;

    /* A union is the branch its index names, walked here rather than by a
     * call of its own: most fields are [null, T].  Only records, arrays
     * and maps nest, and each checks the depth of the path it pushes. */
    while (nd->t == AVRO_UNION) {
        if (read_long(w, &v) < 0)
            return -1;
        if (v < 0 || v >= nd->n)
            return fail(w, "union index %" PRId64 " out of range 0..%d", v,
                        nd->n - 1);
        nd = nd->kid[v];
    }
    switch (nd->t) {
    case AVRO_NULL:
        keep(w, (av_t){AVRO_NULL, 0, NULL, 0, NULL});
        break;
    case AVRO_BOOLEAN:
        if (w->p == w->end)
            rc = fail(w, "truncated");
        else if (*w->p > 1)
            rc = fail(w, "boolean byte 0x%02x", *w->p);
        else
            keep(w, (av_t){AVRO_BOOLEAN, *w->p++, NULL, 0, NULL});
        break;
    case AVRO_INT32:
        rc = read_long(w, &v);
        if (rc == 0 && (v < INT32_MIN || v > INT32_MAX))
            rc = fail(w, "%" PRId64 " out of range for an int", v);
        if (rc == 0)
            keep(w, (av_t){AVRO_INT32, v, NULL, 0, NULL});
        break;
    case AVRO_INT64:
        rc = read_long(w, &v);
        if (rc == 0)
            keep(w, (av_t){AVRO_INT64, v, NULL, 0, NULL});
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
        rc = skip(w, nd->size);
        break;
    case AVRO_ENUM:
        rc = read_long(w, &v);
        if (rc == 0 && (v < 0 || v >= nd->n))
            rc = fail(w, "enum index %" PRId64 " out of range (%s has %d)", v,
                      avro_schema_name(nd->s), nd->n);
        if (rc == 0)
            keep(w, (av_t){AVRO_ENUM, v, NULL, 0, nd});
        break;
    case AVRO_ARRAY:
        keep(w, (av_t){AVRO_ARRAY, 0, NULL, 0, NULL});
        rc = walk_blocks(w, nd->kid[0], false);
        break;
    case AVRO_MAP:
        rc = walk_blocks(w, nd->kid[0], true);
        break;
    case AVRO_RECORD:
        rc = walk_record(w, nd);
        break;
    default:
        rc = fail(w, "unsupported Avro type");
    }
    return rc;
}

/* ---- the fast reader ---------------------------------------------------- */

/*
 * A well-formed message is read here first, in one pass over the record
 * with no path kept and no keep() deciding at every value where it goes:
 * the walk costs 40% of an Avro event's decoding and matching.  It reads
 * what the event's records hold, strings, ints, longs and enums, each maybe
 * in a union, and arrays of them or of records of them, with the walk's
 * checks.  Anything else (another shape, a block with a byte size, any
 * error) makes it give up: the walk then reads the message again, and says
 * what is wrong.  Both keep the same values in the same places (checked by
 * tests/test_avro.c and the Avro fuzz target against the walk alone).
 */

/* The branch of union \p nd that the index read picks, or NULL. */
AM_DECODE_HOT const node_t *fast_branch(walk_t *w, const node_t *nd) {
    int64_t b;

    return read_long(w, &b) < 0 || b < 0 || b >= nd->n ? NULL : nd->kid[b];
}

/* A scalar, or a union's scalar branch, into \p v.  @returns 0, or -1 to
 * give up. */
AM_DECODE_HOT int fast_scalar(walk_t *w, const node_t *nd, av_t *v) {
    int64_t l;

    if (nd->t == AVRO_UNION && !(nd = fast_branch(w, nd)))
        return -1;
    switch (nd->t) {
    case AVRO_NULL:
        *v = (av_t){AVRO_NULL, 0, NULL, 0, NULL};
        return 0;
    case AVRO_STRING:
        if (read_len(w, &l) < 0 ||
            am_utf8_text_len(w->p, (size_t)l) < (size_t)l)
            return -1;
        *v = (av_t){AVRO_STRING, 0, (const char *)w->p, (size_t)l, NULL};
        w->p += l;
        return 0;
    case AVRO_INT32:
        if (read_long(w, &l) < 0 || l < INT32_MIN || l > INT32_MAX)
            return -1;
        *v = (av_t){AVRO_INT32, l, NULL, 0, NULL};
        return 0;
    case AVRO_INT64:
        if (read_long(w, &l) < 0)
            return -1;
        *v = (av_t){AVRO_INT64, l, NULL, 0, NULL};
        return 0;
    case AVRO_ENUM:
        if (read_long(w, &l) < 0 || l < 0 || l >= nd->n)
            return -1;
        *v = (av_t){AVRO_ENUM, l, NULL, 0, nd};
        return 0;
    default:
        return -1;
    }
}

/* The items of an array field with role \p role: scalars, kept as CVEs
 * under "cves", or records of scalars, kept as observables (their "type"
 * and "value") under "observables". */
static int fast_array(walk_t *w, const node_t *items, role_t role) {
    cap_t *c = w->cap;
    int64_t count;
    av_t v;

    for (;;) {
        if (read_long(w, &count) < 0 || count < 0 ||
            (uint64_t)count > left(w))
            return -1;
        if (count == 0)
            return 0;
        for (int64_t i = 0; i < count; i++) {
            obs_av_t *o = NULL;

            if (items->t != AVRO_RECORD) {
                if (fast_scalar(w, items, &v) < 0 ||
                    (role == ROLE_CVES && !add_cve(c, v)))
                    return -1;
                continue;
            }
            if (role == ROLE_OBSERVABLES && !(o = add_obs(c)))
                return -1;
            for (int f = 0; f < items->n; f++) {
                if (fast_scalar(w, items->kid[f], &v) < 0)
                    return -1;
                if (o)
                    obs_field(o, (role_t)items->role[f], v);
            }
        }
    }
}

/* The event union's record, fields of scalars and arrays, to the end. */
static int fast_event(walk_t *w, const node_t *nd) {
    cap_t *c = w->cap;

    if (nd->t == AVRO_UNION && !(nd = fast_branch(w, nd)))
        return -1;
    if (nd->t != AVRO_RECORD || nd->n > MAX_FIELDS)
        return -1;
    c->rec = nd->s;
    for (int i = 0; i < nd->n; i++) {
        const node_t *k = nd->kid[i];

        c->seen[i] = true;
        if (k->t == AVRO_ARRAY) {
            c->top[i] = (av_t){AVRO_ARRAY, 0, NULL, 0, NULL};
            if (fast_array(w, k->kid[0], (role_t)nd->role[i]) < 0)
                return -1;
        } else if (fast_scalar(w, k, &c->top[i]) < 0) {
            return -1;
        }
    }
    return w->p == w->end ? 0 : -1;
}

/* ---- a message ----------------------------------------------------------- */

/* Starts the capture of an event. */
static void cap_reset(cap_t *cap) {
    /* Only what says what was seen: top[i] is read when seen[i]. */
    memset(cap->seen, 0, sizeof(cap->seen));
    cap->rec = NULL;
    cap->r = NULL;
    cap->n_obs = cap->n_cves = 0;
    cap->oom = false;
}

/* Reads the whole of [p, end) as one value of the event union: by the
 * fast reader when \p fast and it can, else by the walk. */
static int walk_event(const node_t *root, const uint8_t *p,
                      const uint8_t *end, bool fast, const uint8_t **stop,
                      cap_t *cap, char *err, size_t err_size) {
    walk_t w; /* path[] is written before it is read */
    int rc;

    w.p = p;
    w.end = end;
    w.n_path = 0;
    w.cap = cap;
    w.err = NULL;
    cap_reset(cap);
    if (fast && fast_event(&w, root) == 0) {
        *stop = w.p;
        return 0;
    }
    w.p = p;
    w.err = err;
    w.err_size = err_size;
    cap_reset(cap);
    rc = walk(&w, root);

    *stop = w.p;
    if (rc == 0 && w.p != end)
        rc = fail(&w, "%zu bytes after the end of the record", left(&w));
    return rc;
}

/* ---- the schema ---------------------------------------------------------- */

static pthread_once_t once = PTHREAD_ONCE_INIT;
static avro_schema_t event_schema; /* borrowed from avro_schema.c */
static node_t *event_root;         /* compiled from it, for good */
static char init_err[512];

/* Nodes compiled so far, by avro-c schema: a named type used twice, or
 * recursively, is one node. */
#define MAX_NODES 256
static struct {
    avro_schema_t s;
    node_t *nd;
} compiled[MAX_NODES];
static size_t n_compiled;

static role_t role_of(const char *name) {
    return !strcmp(name, "cves")          ? ROLE_CVES
           : !strcmp(name, "observables") ? ROLE_OBSERVABLES
           : !strcmp(name, "type")        ? ROLE_TYPE
           : !strcmp(name, "value")       ? ROLE_VALUE
                                          : ROLE_NONE;
}

/* avro-c's schema \p s as a node, or NULL (out of memory, too many). */
static node_t *compile(avro_schema_t s) {
    node_t *nd;

    while (avro_typeof(s) == AVRO_LINK)
        s = avro_schema_link_target(s);
    for (size_t i = 0; i < n_compiled; i++)
        if (compiled[i].s == s)
            return compiled[i].nd;
    if (n_compiled == MAX_NODES || !(nd = calloc(1, sizeof(*nd))))
        return NULL;
    compiled[n_compiled].s = s;
    compiled[n_compiled++].nd = nd; /* before its kids: a recursive type */
    nd->t = avro_typeof(s);
    nd->s = s;
    switch (nd->t) {
    case AVRO_RECORD:
        nd->n = (int)avro_schema_record_size(s);
        break;
    case AVRO_UNION:
        nd->n = (int)avro_schema_union_size(s);
        break;
    case AVRO_ENUM:
        /* Symbols read as observable types once, not for each value. */
        nd->n = avro_schema_enum_number_of_symbols(s);
        if (nd->n > 0 && !(nd->obs = malloc((size_t)nd->n)))
            return NULL;
        for (int i = 0; i < nd->n; i++) {
            const char *sym = avro_schema_enum_get(s, i);
            nd->obs[i] =
                (signed char)(sym ? am_obs_type_parse(sym, strlen(sym)) : -1);
        }
        return nd;
    case AVRO_FIXED:
        nd->size = (size_t)avro_schema_fixed_size(s);
        return nd;
    case AVRO_ARRAY:
    case AVRO_MAP:
        nd->n = 1;
        break;
    default:
        return nd;
    }
    if (!(nd->kid = calloc((size_t)nd->n, sizeof(*nd->kid))))
        return NULL;
    if (nd->t == AVRO_RECORD &&
        (!(nd->names = calloc((size_t)nd->n, sizeof(*nd->names))) ||
         !(nd->role = calloc((size_t)nd->n, 1))))
        return NULL;
    for (int i = 0; i < nd->n; i++) {
        avro_schema_t k =
            nd->t == AVRO_RECORD  ? avro_schema_record_field_get_by_index(s, i)
            : nd->t == AVRO_UNION ? avro_schema_union_branch(s, i)
            : nd->t == AVRO_ARRAY ? avro_schema_array_items(s)
                                  : avro_schema_map_values(s);
        if (!(nd->kid[i] = compile(k)))
            return NULL;
        if (nd->t == AVRO_RECORD) {
            nd->names[i] = avro_schema_record_field_name(s, i);
            nd->role[i] = (unsigned char)role_of(nd->names[i]);
        }
    }
    return nd;
}

/* The fields the decoder reads, as an enum and their names. */
#define QUERIED(X)                                                            \
    X(ID, "id") X(OBSERVABLES, "observables") X(CVES, "cves") X(IP, "ip")     \
    X(HOSTNAME, "hostname") X(ASN, "asn") X(PORT, "port")                     \
    X(PROTOCOL, "protocol") X(TAG, "tag") X(CATEGORY, "category")             \
    X(SEVERITY, "severity") X(SOURCE, "source") X(TLP, "tlp")                 \
    X(TIME, "time") X(VALID_UNTIL, "valid_until")                             \
    X(DESCRIPTION, "description") X(CONFIDENCE, "confidence")
#define AS_ENUM(e, name) Q_##e,
#define AS_NAME(e, name) name,

enum { QUERIED(AS_ENUM) Q__COUNT };

static const char *const q_names[Q__COUNT] = {QUERIED(AS_NAME)};

/* The event's records (the union's branches), with where each field the
 * decoder reads is: found once here, not by name in avro-c's hash table
 * for every field of every message (9% of the service on an Avro
 * backlog). */
typedef struct rec_s {
    avro_schema_t rec;
    am_event_kind_t kind;
    int ix[Q__COUNT]; /* -1: not in this record */
} rec_t;

static rec_t recs[2];
static size_t n_recs;

static void init(void) {
    event_schema =
        am_avro_schema_get(AM_AVRO_SCHEMA_EVENT, init_err, sizeof(init_err));
    if (event_schema && !(event_root = compile(event_schema))) {
        snprintf(init_err, sizeof(init_err),
                 "out of memory compiling the event schema");
        event_schema = NULL;
    }
    for (int b = 0; event_schema && b < event_root->n &&
                    n_recs < sizeof(recs) / sizeof(*recs);
         b++) {
        rec_t *r = &recs[n_recs];
        const char *name;

        r->rec = event_root->kid[b]->s; /* as the walk keeps it */
        name = avro_schema_name(r->rec);
        if (strcmp(name, "ScanResult") == 0)
            r->kind = AM_EVENT_SCAN;
        else if (strcmp(name, "Indicator") == 0)
            r->kind = AM_EVENT_INDICATOR;
        else
            continue;
        for (int q = 0; q < Q__COUNT; q++)
            r->ix[q] = avro_schema_record_field_get_index(r->rec, q_names[q]);
        n_recs++;
    }
}

static const rec_t *rec_of(avro_schema_t rec) {
    for (size_t i = 0; i < n_recs; i++)
        if (recs[i].rec == rec)
            return &recs[i];
    return NULL;
}

/* ---- the record into the event ----------------------------------------- */

/* Field \p q of the record: false when the schema has no such field or
 * its value is null. */
static bool field(const cap_t *c, int q, const av_t **out) {
    int i = c->r->ix[q];

    if (i < 0 || i >= MAX_FIELDS || !c->seen[i])
        return false;
    *out = &c->top[i];
    return c->top[i].t != AVRO_NULL;
}

/* The text of a string value (valid UTF-8 without NUL: walked). */
static const char *text(const av_t *v, size_t *n) {
    if (v->t != AVRO_STRING)
        return NULL;
    *n = v->n;
    return v->s;
}

/* String field \p name into *dst; absent or null leaves it.  The walk
 * read decode()'s copy of the message in the event's arena: the byte after
 * a string's data is the first of the next value's encoding (the schema
 * has no fixed, float or double), which the walk has decoded, or the
 * copy's end, so it becomes the string's NUL instead of the string being
 * copied. */
static int get_str(const cap_t *c, int q, const char **dst, char *err,
                   size_t err_size) {
    const char *name = q_names[q];
    const av_t *v;
    const char *s;
    size_t n;

    if (!field(c, q, &v))
        return 0;
    if (!(s = text(v, &n))) {
        snprintf(err, err_size, "field '%s': not a string in the schema",
                 name);
        return -1;
    }
    if (!(*dst = am_event_str_in_place(s, n))) {
        snprintf(err, err_size, "field '%s': longer than %d bytes", name,
                 AM_EVENT_MAX_STR);
        return -1;
    }
    return 0;
}

/* An int or long field in [lo, hi]; absent or null leaves *dst. */
static int get_int(const cap_t *c, int q, int64_t lo, int64_t hi,
                   int64_t *dst, bool *present, char *err, size_t err_size) {
    const char *name = q_names[q];
    const av_t *v;

    *present = false;
    if (!field(c, q, &v))
        return 0;
    if (v->t != AVRO_INT32 && v->t != AVRO_INT64) {
        snprintf(err, err_size, "field '%s': not an int in the schema",
                 name);
        return -1;
    }
    if (v->l < lo || v->l > hi) {
        snprintf(err, err_size,
                 "field '%s': %" PRId64 " out of range %" PRId64 "..%" PRId64,
                 name, v->l, lo, hi);
        return -1;
    }
    *dst = v->l;
    *present = true;
    return 0;
}

static int get_small(const cap_t *c, int q, int hi, int *dst, char *err,
                     size_t err_size) {
    int64_t v;
    bool present;

    if (get_int(c, q, 0, hi, &v, &present, err, err_size) < 0)
        return -1;
    if (present)
        *dst = (int)v;
    return 0;
}

static int observables(am_event_t *ev, const cap_t *c, char *err,
                       size_t err_size) {
    const av_t *arr;

    if (!field(c, Q_OBSERVABLES, &arr) || arr->t != AVRO_ARRAY) {
        snprintf(err, err_size, "field 'observables': missing in the schema");
        return -1;
    }
    for (size_t i = 0; i < c->n_obs; i++) {
        const av_t *t = &c->obs[i].type, *v = &c->obs[i].value;
        const char *sym = NULL, *s;
        int type = -1;
        size_t n;

        if (t->t != AVRO_ENUM || (type = t->nd->obs[t->l]) < 0) {
            if (t->t == AVRO_ENUM)
                sym = avro_schema_enum_get(t->nd->s, (int)t->l);
            snprintf(err, err_size,
                     "field 'observables[%zu].type': %s%s%s", i,
                     sym ? "'" : "", sym ? sym : "missing in the schema",
                     sym ? "' is not a type this version matches" : "");
            return -1;
        }
        if (!(s = text(v, &n))) {
            snprintf(err, err_size, "field 'observables[%zu].value': missing",
                     i);
            return -1;
        }
        if (am_event_add_field_observable(ev, (am_obs_type_t)type, s, n, "observables", (long)i,
                    err, err_size) < 0)
            return -1;
    }
    return 0;
}

/* ip, hostname and asn of a scan; null or empty ones are left out. */
static int scan_observables(am_event_t *ev, const cap_t *c, char *err,
                            size_t err_size) {
    static const struct {
        int q;
        am_obs_type_t type;
    } obs[] = {{Q_IP, AM_OBS_IP}, {Q_HOSTNAME, AM_OBS_DOMAIN}};
    const av_t *v;
    int64_t asn;
    bool present;

    for (size_t k = 0; k < sizeof(obs) / sizeof(obs[0]); k++) {
        const char *s;
        size_t n;

        if (!field(c, obs[k].q, &v))
            continue;
        if (!(s = text(v, &n))) {
            snprintf(err, err_size, "field '%s': not a string in the schema",
                     q_names[obs[k].q]);
            return -1;
        }
        if (n && am_event_add_field_observable(ev, obs[k].type, s, n, q_names[obs[k].q], -1, err,
                         err_size) < 0)
            return -1;
    }
    if (get_int(c, Q_ASN, 0, UINT32_MAX, &asn, &present, err, err_size) < 0)
        return -1;
    if (present &&
        am_event_add_field_asn(ev, asn, "asn", -1, err, err_size) < 0)
        return -1;
    return 0;
}

static int cves(am_event_t *ev, const cap_t *c, char *err, size_t err_size) {
    const av_t *arr;

    if (!field(c, Q_CVES, &arr))
        return 0;
    if (arr->t != AVRO_ARRAY) {
        snprintf(err, err_size, "field 'cves': not an array in the schema");
        return -1;
    }
    for (size_t i = 0; i < c->n_cves; i++) {
        const char *s;
        size_t n = 0;

        if (!(s = text(&c->cves[i], &n)) || am_event_add_cve(ev, s, n) < 0) {
            snprintf(err, err_size,
                     "field 'cves[%zu]': not a string, or more than %d", i,
                     AM_EVENT_MAX_CVES);
            return -1;
        }
    }
    return 0;
}

/* The record of either branch into \p ev, as decode_json.c does it. */
static int fill(am_event_t *ev, const cap_t *c, char *err,
                size_t err_size) {
    ev->format = "avro";
    if (!c->r) {
        snprintf(err, err_size, "record %s is not an event",
                 c->rec ? avro_schema_name(c->rec) : "(none)");
        return -1;
    }
    ev->kind = c->r->kind;
    if (get_str(c, Q_ID, &ev->id, err, err_size) < 0)
        return -1;
    if (!ev->id || !*ev->id) {
        snprintf(err, err_size, "field 'id': missing");
        return -1;
    }
    if (ev->kind == AM_EVENT_INDICATOR) {
        if (observables(ev, c, err, err_size) < 0)
            return -1;
    } else if (scan_observables(ev, c, err, err_size) < 0 ||
               get_small(c, Q_PORT, 65535, &ev->port, err, err_size) < 0 ||
               get_str(c, Q_PROTOCOL, &ev->protocol, err, err_size) < 0 ||
               get_str(c, Q_TAG, &ev->tag, err, err_size) < 0) {
        return -1;
    }
    if (ev->n_obs == 0) {
        snprintf(err, err_size, "no observable");
        return -1;
    }
    if (get_str(c, Q_CATEGORY, &ev->category, err, err_size) < 0 ||
        get_str(c, Q_SEVERITY, &ev->severity, err, err_size) < 0 ||
        get_str(c, Q_SOURCE, &ev->source, err, err_size) < 0 ||
        get_str(c, Q_TLP, &ev->tlp, err, err_size) < 0 ||
        get_str(c, Q_TIME, &ev->time, err, err_size) < 0 ||
        get_str(c, Q_VALID_UNTIL, &ev->valid_until, err, err_size) <
            0 ||
        get_str(c, Q_DESCRIPTION, &ev->description, err, err_size) <
            0 ||
        get_small(c, Q_CONFIDENCE, 100, &ev->confidence, err, err_size) < 0)
        return -1;
    if (ev->tag)
        am_event_scan_cves(ev, ev->tag, strlen(ev->tag));
    return cves(ev, c, err, err_size);
}

/* Whether a framed reading from \p p may pass its first read, the union's
 * index; when not, *stop is where it would stop (both the fast reader and
 * the walk read it with read_long()).  A bare Indicator, which starts with
 * 0 too, has the id's text there (most messages, one reading saved). */
static bool framed_may_be(const uint8_t *p, const uint8_t *end,
                          const uint8_t **stop) {
    walk_t w; /* path[] is not read: no error is worded */
    int64_t b;

    w.p = p;
    w.end = end;
    w.n_path = 0;
    w.cap = NULL;
    w.err = NULL;
    if (read_long(&w, &b) == 0 && b >= 0 && b < event_root->n)
        return true;
    *stop = w.p;
    return false;
}

static int decode(const char *buf, size_t len, am_event_t *ev, bool fast,
                  char *err, size_t err_size) {
    const uint8_t *b, *end;
    const uint8_t *stop_framed, *stop_bare;
    char err_framed[512];
    const char *copy;
    cap_t *cap;

    if (len > AM_DECODE_MAX_MESSAGE) {
        snprintf(err, err_size, "message of %zu bytes exceeds the limit of %d",
                 len, AM_DECODE_MAX_MESSAGE);
        return -1;
    }
    pthread_once(&once, init);
    if (!event_schema) {
        snprintf(err, err_size, "%s", init_err);
        return -1;
    }
    /* The walk reads a copy: get_str() ends strings in it. */
    if (!(copy = am_arena_strndup(&ev->arena, buf, len)) ||
        !(cap = am_arena_alloc(&ev->arena, sizeof(*cap)))) {
        snprintf(err, err_size, "out of memory");
        return -1;
    }
    b = (const uint8_t *)copy;
    end = b + len;
    stop_framed = b;
    cap->ev = ev;
    cap->obs = NULL; /* grown in the arena by either reading */
    cap->cves = NULL;
    cap->cap_obs = cap->cap_cves = 0;
    /* Framed first when it may be; bare otherwise, or when the framed
     * reading fails (as a bare Indicator, whose first byte is 0, does: its
     * reason is not written).  Of two failures, the reading that got
     * further says what is wrong. */
    if (!(len >= 5 && b[0] == 0 && framed_may_be(b + 5, end, &stop_framed) &&
          walk_event(event_root, b + 5, end, fast, &stop_framed, cap, NULL,
                     0) == 0) &&
        walk_event(event_root, b, end, fast, &stop_bare, cap, err,
                   err_size) < 0) {
        if (stop_framed > stop_bare &&
            walk_event(event_root, b + 5, end, false, &stop_framed, cap,
                       err_framed, sizeof(err_framed)) < 0)
            snprintf(err, err_size, "%s", err_framed);
        if (len == 0)
            snprintf(err, err_size, "empty message");
        return -1;
    }
    if (cap->oom) {
        snprintf(err, err_size, "out of memory");
        return -1;
    }
    cap->r = rec_of(cap->rec);
    return fill(ev, cap, err, err_size);
}

int am_decode_avro(const char *buf, size_t len, am_event_t *ev, char *err,
                   size_t err_size) {
    return decode(buf, len, ev, true, err, err_size);
}

int am_decode_avro_walked(const char *buf, size_t len, am_event_t *ev,
                          char *err, size_t err_size) {
    return decode(buf, len, ev, false, err, err_size);
}
