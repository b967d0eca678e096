#include "decode_json.h"

#include "utf8.h"

#include <jansson.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * Two parsers feed one decoder.  The members the native format has are
 * gathered into a native_t, either from jansson's tree (any JSON, and the
 * messages decode.c recognises as native after parsing them once) or,
 * first, by parse_native(): a single pass over the text that takes only
 * the plain form producers write (the known members once each, ASCII
 * strings without escapes, integers) and gives up on anything else.
 * fill() then reads the native_t, so both parsers decode alike, and every
 * error is found, and worded, by the same code; a message the fast pass
 * gave up on, or that fill() rejected, goes through jansson, which names
 * JSON errors as before.
 */

/* ---- the members, from either parser ----------------------------------- */

typedef enum jv_type_e {
    JV_ABSENT,
    JV_NULL,
    JV_STR,
    JV_INT,
    JV_ARRAY,
    JV_OBJECT,
    JV_OTHER, /* true, false, a real */
} jv_type_t;

typedef struct jv_s {
    jv_type_t t;
    const char *s; /* JV_STR: its bytes, not NUL-terminated */
    size_t n;
    long long i;   /* JV_INT */
} jv_t;

/* The members, as an enum and their names. */
#define FIELDS(X)                                                             \
    X(ID, "id") X(KIND, "kind") X(OBSERVABLES, "observables")                 \
    X(CATEGORY, "category") X(SEVERITY, "severity") X(SOURCE, "source")       \
    X(TLP, "tlp") X(TIME, "time") X(VALID_UNTIL, "valid_until")               \
    X(DESCRIPTION, "description") X(CONFIDENCE, "confidence")                 \
    X(CVES, "cves") X(IP, "ip") X(HOSTNAME, "hostname") X(ASN, "asn")         \
    X(PORT, "port") X(PROTOCOL, "protocol") X(TAG, "tag")
#define AS_ENUM(e, name) F_##e,
#define AS_NAME(e, name) name,

enum { FIELDS(AS_ENUM) F__COUNT };

static const char *const field_names[F__COUNT] = {FIELDS(AS_NAME)};

/* One element of "observables". */
typedef struct obs_jv_s {
    bool object;
    jv_t type, value;
} obs_jv_t;

/* Observables kept: one past the event's limit, so that going over it is
 * seen.  The fast pass gives up on more CVEs than the limit (a longer list
 * may repeat some: jansson's pass keeps them all). */
#define MAX_OBS (AM_EVENT_MAX_OBSERVABLES + 1)
#define MAX_CVES AM_EVENT_MAX_CVES

typedef struct native_s {
    jv_t f[F__COUNT];
    obs_jv_t *obs; /* in the event's arena */
    size_t n_obs;
    jv_t *cves;
    size_t n_cves;
    /* The strings are in the event's arena, in parse_native()'s copy of
     * the text, each followed by its closing quote: get_str() ends them
     * there instead of copying them (jansson's go with its tree). */
    bool in_arena;
} native_t;

/* ---- from jansson's tree ------------------------------------------------ */

static jv_t jv_of(json_t *v) {
    jv_t r = {JV_ABSENT, NULL, 0, 0};

    if (!v)
        return r;
    if (json_is_null(v))
        r.t = JV_NULL;
    else if (json_is_string(v)) {
        r.t = JV_STR;
        r.s = json_string_value(v);
        r.n = json_string_length(v);
    } else if (json_is_integer(v)) {
        r.t = JV_INT;
        r.i = (long long)json_integer_value(v);
    } else if (json_is_array(v))
        r.t = JV_ARRAY;
    else if (json_is_object(v))
        r.t = JV_OBJECT;
    else
        r.t = JV_OTHER;
    return r;
}

/* @returns -1 when out of memory. */
static int from_tree(am_event_t *ev, json_t *root, native_t *nv) {
    json_t *arr, *o;
    size_t i;

    memset(nv, 0, sizeof(*nv));
    for (int f = 0; f < F__COUNT; f++)
        nv->f[f] = jv_of(json_object_get(root, field_names[f]));
    if (nv->f[F_OBSERVABLES].t == JV_ARRAY) {
        arr = json_object_get(root, "observables");
        nv->n_obs = json_array_size(arr) < MAX_OBS ? json_array_size(arr)
                                                   : MAX_OBS;
        if (nv->n_obs &&
            !(nv->obs = am_arena_alloc(&ev->arena,
                                       nv->n_obs * sizeof(*nv->obs))))
            return -1;
        for (i = 0; i < nv->n_obs; i++) {
            o = json_array_get(arr, i);
            nv->obs[i].object = json_is_object(o);
            nv->obs[i].type = jv_of(json_object_get(o, "type"));
            nv->obs[i].value = jv_of(json_object_get(o, "value"));
        }
    }
    if (nv->f[F_CVES].t == JV_ARRAY) {
        arr = json_object_get(root, "cves");
        /* All of them: repeated CVEs count once, so the limit says
         * nothing about where an error can be. */
        nv->n_cves = json_array_size(arr);
        if (nv->n_cves &&
            !(nv->cves = am_arena_alloc(&ev->arena,
                                        nv->n_cves * sizeof(*nv->cves))))
            return -1;
        for (i = 0; i < nv->n_cves; i++)
            nv->cves[i] = jv_of(json_array_get(arr, i));
    }
    return 0;
}

/* ---- from the text, the plain form only -------------------------------- */

typedef struct scan_s {
    const char *p, *end;
} scan_t;

/* Whitespace, out of line: the plain form rarely has any. */
static void ws_skip(scan_t *c) {
    while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' ||
                             *c->p == '\n' || *c->p == '\r'))
        c->p++;
}

static inline void ws(scan_t *c) {
    if (c->p < c->end && (unsigned char)*c->p <= ' ')
        ws_skip(c);
}

static inline bool eat(scan_t *c, char ch) {
    ws(c);
    if (c->p < c->end && *c->p == ch) {
        c->p++;
        return true;
    }
    return false;
}

/* A string of printable ASCII without escapes; after the opening quote. */
AM_DECODE_HOT bool plain_str(scan_t *c, const char **s, size_t *n) {
    const char *q = c->p + am_utf8_json_plain_len(
                               (const unsigned char *)c->p,
                               (size_t)(c->end - c->p));

    if (q == c->end || *q != '"')
        return false;
    *s = c->p;
    *n = (size_t)(q - c->p);
    c->p = q + 1;
    return true;
}

static bool literal(scan_t *c, const char *word) {
    size_t n = strlen(word);

    if ((size_t)(c->end - c->p) < n || memcmp(c->p, word, n) != 0)
        return false;
    c->p += n;
    return true;
}

/* A string, an integer (as JSON writes it, within long long), null, true
 * or false, where the scan is: after next_member() or ws(). */
AM_DECODE_HOT bool scalar(scan_t *c, jv_t *v) {
    if (c->p == c->end)
        return false;
    if (*c->p == '"') {
        c->p++;
        v->t = JV_STR;
        return plain_str(c, &v->s, &v->n);
    }
    if (*c->p == '-' || (*c->p >= '0' && *c->p <= '9')) {
        bool neg = *c->p == '-';
        unsigned long long u = 0;
        const char *d = c->p + neg;

        if (d == c->end || *d < '0' || *d > '9' ||
            (*d == '0' && d + 1 < c->end && d[1] >= '0' && d[1] <= '9'))
            return false;
        for (; d < c->end && *d >= '0' && *d <= '9'; d++) {
            if (u > (ULLONG_MAX - 9) / 10)
                return false;
            u = u * 10 + (unsigned)(*d - '0');
        }
        if (d < c->end && (*d == '.' || *d == 'e' || *d == 'E'))
            return false;
        if (u > (unsigned long long)LLONG_MAX + neg)
            return false;
        v->t = JV_INT;
        v->i = neg ? (long long)(0 - u) : (long long)u;
        c->p = d;
        return true;
    }
    v->t = *c->p == 'n' ? JV_NULL : JV_OTHER;
    return literal(c, "null") || literal(c, "true") || literal(c, "false");
}

/* The index of the event's member named \p s (of \p n bytes), or -1: each
 * name compared at its constant length, which the compiler does as one or
 * two integer compares. */
static int field_index(const char *s, size_t n) {
#define AS_TEST(e, name)                                                      \
    if (n == sizeof(name) - 1 && memcmp(s, name, sizeof(name) - 1) == 0)     \
        return F_##e;
    FIELDS(AS_TEST)
#undef AS_TEST
    return -1;
}

/* An observable's member: 0 "type", 1 "value", or -1. */
static int obs_index(const char *s, size_t n) {
    if (n == 4 && memcmp(s, "type", 4) == 0)
        return 0;
    if (n == 5 && memcmp(s, "value", 5) == 0)
        return 1;
    return -1;
}

/* Opens an object's next member: its name's index by \p index, and the
 * scan at its value.  Whitespace is looked for once between two tokens.
 * @returns 1 with *idx, 0 at the end of the object, -1 to give up. */
static inline int next_member(scan_t *c, bool *first,
                              int (*index)(const char *, size_t), int *idx) {
    const char *s;
    size_t n;

    ws(c);
    if (c->p == c->end)
        return -1;
    if (*c->p == '}') {
        c->p++;
        return 0;
    }
    if (!*first) {
        if (*c->p != ',')
            return -1;
        c->p++;
    }
    *first = false;
    if (!eat(c, '"') || !plain_str(c, &s, &n) || !eat(c, ':') ||
        (*idx = index(s, n)) < 0)
        return -1;
    ws(c);
    return 1;
}

static bool observable(scan_t *c, obs_jv_t *o) {
    bool first = true;
    int idx, r;

    o->object = true;
    if (!eat(c, '{'))
        return false;
    while ((r = next_member(c, &first, obs_index, &idx)) == 1) {
        jv_t *v = idx == 0 ? &o->type : &o->value;
        if (v->t != JV_ABSENT || !scalar(c, v))
            return false;
    }
    return r == 0;
}

/* "observables" (objects) or "cves" (scalars), up to \p max elements. */
static bool array(am_event_t *ev, scan_t *c, bool objects, size_t max,
                  char **items, size_t *count) {
    size_t size = objects ? sizeof(obs_jv_t) : sizeof(jv_t), cap = 0;
    char *v = NULL;

    if (!eat(c, '['))
        return false;
    if (eat(c, ']'))
        return true;
    do {
        if (*count == max)
            return false;
        if (*count == cap) {
            /* Grown in the arena: the old block stays until the reset. */
            char *nv = am_arena_alloc(&ev->arena, (cap ? 2 * cap : 8) * size);
            if (!nv)
                return false;
            if (v)
                memcpy(nv, v, cap * size);
            v = nv;
            cap = cap ? 2 * cap : 8;
        }
        memset(v + *count * size, 0, size);
        ws(c);
        if (objects && c->p < c->end && *c->p == '{') {
            if (!observable(c, (obs_jv_t *)(void *)(v + *count * size)))
                return false;
        } else {
            /* A scalar; in "observables" one that is not an object. */
            jv_t tmp;
            if (!scalar(c, objects ? &tmp
                                   : (jv_t *)(void *)(v + *count * size)))
                return false;
        }
        ++*count;
    } while (eat(c, ','));
    *items = v;
    return eat(c, ']');
}

/* @returns whether the whole text is one native event object in the plain
 * form, gathered into \p nv. */
static bool parse_native(am_event_t *ev, const char *buf, size_t len,
                         native_t *nv) {
    scan_t c = {buf, buf + len};
    bool first = true;
    int idx, r;

    memset(nv, 0, sizeof(*nv));
    if (!eat(&c, '{'))
        return false;
    while ((r = next_member(&c, &first, field_index, &idx)) == 1) {
        jv_t *v = &nv->f[idx];
        if (v->t != JV_ABSENT)
            return false; /* a duplicate: jansson rejects it, naming it */
        if ((idx == F_OBSERVABLES || idx == F_CVES) && c.p < c.end &&
            *c.p == '[') {
            bool obs = idx == F_OBSERVABLES;
            char *items = NULL;
            v->t = JV_ARRAY;
            if (!array(ev, &c, obs, obs ? MAX_OBS : MAX_CVES, &items,
                       obs ? &nv->n_obs : &nv->n_cves))
                return false;
            if (obs)
                nv->obs = (obs_jv_t *)(void *)items;
            else
                nv->cves = (jv_t *)(void *)items;
        } else if (!scalar(&c, v)) {
            return false;
        }
    }
    ws(&c);
    /* What decode.c would recognise as native, and nothing after it. */
    return r == 0 && c.p == c.end &&
           (nv->f[F_OBSERVABLES].t != JV_ABSENT ||
            nv->f[F_KIND].t != JV_ABSENT);
}

/* ---- the decoder --------------------------------------------------------- */

/* Copies string member \p f into *dst; a missing or null member leaves
 * NULL.  @returns -1 (with err) when it is of another type. */
static int get_str(am_event_t *ev, const native_t *nv, int f,
                   const char **dst, char *err, size_t err_size) {
    const jv_t *v = &nv->f[f];

    if (v->t == JV_ABSENT || v->t == JV_NULL)
        return 0;
    if (v->t != JV_STR) {
        snprintf(err, err_size, "field '%s': must be a string",
                 field_names[f]);
        return -1;
    }
    if (v->n > AM_EVENT_MAX_STR) {
        snprintf(err, err_size, "field '%s': longer than %d bytes",
                 field_names[f], AM_EVENT_MAX_STR);
        return -1;
    }
    if (nv->in_arena) {
        *dst = am_event_str_in_place(v->s, v->n); /* within the length */
        return 0;
    }
    if (!(*dst = am_event_strdup(ev, v->s, v->n))) {
        snprintf(err, err_size, "out of memory");
        return -1;
    }
    return 0;
}

/* An integer member in [lo, hi]; missing leaves *dst alone. */
static int get_int(am_event_t *ev, const native_t *nv, int f, int lo,
                   int hi, int *dst, char *err, size_t err_size) {
    const jv_t *v = &nv->f[f];
    long long i;

    if (v->t == JV_ABSENT || v->t == JV_NULL)
        return 0;
    if (v->t == JV_STR) {
        /* Scanners write "443" as often as 443. */
        const char *s = am_event_strdup(ev, v->s, v->n);
        char *end;
        if (!s) {
            snprintf(err, err_size, "field '%s': not a number",
                     field_names[f]);
            return -1;
        }
        i = strtol(s, &end, 10);
        if (*end || end == s) {
            snprintf(err, err_size, "field '%s': not a number",
                     field_names[f]);
            return -1;
        }
    } else if (v->t == JV_INT) {
        i = v->i;
    } else {
        snprintf(err, err_size, "field '%s': must be an integer",
                 field_names[f]);
        return -1;
    }
    if (i < lo || i > hi) {
        snprintf(err, err_size, "field '%s': %lld out of range %d..%d",
                 field_names[f], i, lo, hi);
        return -1;
    }
    *dst = (int)i;
    return 0;
}

static int decode_observables(am_event_t *ev, const native_t *nv, char *err,
                              size_t err_size) {
    if (nv->f[F_OBSERVABLES].t != JV_ARRAY) {
        snprintf(err, err_size, "field 'observables': must be an array");
        return -1;
    }
    for (size_t i = 0; i < nv->n_obs; i++) {
        const obs_jv_t *o = &nv->obs[i];
        int type;

        if (!o->object) {
            snprintf(err, err_size, "field 'observables[%zu]': must be an "
                     "object with type and value", i);
            return -1;
        }
        if (o->type.t != JV_STR ||
            (type = am_obs_type_parse(o->type.s, o->type.n)) < 0) {
            snprintf(err, err_size,
                     "field 'observables[%zu].type': must be one of ip, "
                     "cidr, domain, url, email, asn",
                     i);
            return -1;
        }
        if (o->value.t == JV_INT && type == AM_OBS_ASN) {
            if (am_event_add_field_asn(ev, o->value.i, "observables",
                                       (long)i, err, err_size) < 0)
                return -1;
            continue;
        }
        if (o->value.t != JV_STR) {
            snprintf(err, err_size,
                     "field 'observables[%zu].value': must be a string", i);
            return -1;
        }
        if (am_event_add_field_observable(ev, (am_obs_type_t)type,
                                          o->value.s, o->value.n,
                                          "observables", (long)i, err,
                                          err_size) < 0)
            return -1;
    }
    return 0;
}

static int decode_scan(am_event_t *ev, const native_t *nv, char *err,
                       size_t err_size) {
    static const struct {
        int f;
        am_obs_type_t type;
    } obs[] = {{F_IP, AM_OBS_IP}, {F_HOSTNAME, AM_OBS_DOMAIN},
               {F_ASN, AM_OBS_ASN}};

    for (size_t k = 0; k < sizeof(obs) / sizeof(obs[0]); k++) {
        const jv_t *v = &nv->f[obs[k].f];
        const char *name = field_names[obs[k].f];

        if (v->t == JV_ABSENT || v->t == JV_NULL)
            continue;
        if (v->t == JV_INT && obs[k].type == AM_OBS_ASN) {
            if (am_event_add_field_asn(ev, v->i, name, -1, err, err_size) < 0)
                return -1;
            continue;
        }
        if (v->t != JV_STR) {
            snprintf(err, err_size, "field '%s': must be a string", name);
            return -1;
        }
        if (v->n > 0 &&
            am_event_add_field_observable(ev, obs[k].type, v->s, v->n, name,
                                          -1, err, err_size) < 0)
            return -1;
    }
    return get_int(ev, nv, F_PORT, 0, 65535, &ev->port, err, err_size) < 0 ||
                   get_str(ev, nv, F_PROTOCOL, &ev->protocol, err,
                           err_size) < 0 ||
                   get_str(ev, nv, F_TAG, &ev->tag, err, err_size) < 0
               ? -1
               : 0;
}

/* "cves": ["CVE-2021-26855", ...], optional. */
static int cves(am_event_t *ev, const native_t *nv, char *err,
                size_t err_size) {
    jv_type_t t = nv->f[F_CVES].t;

    if (t == JV_ABSENT || t == JV_NULL)
        return 0;
    if (t != JV_ARRAY) {
        snprintf(err, err_size, "field 'cves': must be an array of strings");
        return -1;
    }
    for (size_t i = 0; i < nv->n_cves; i++) {
        if (nv->cves[i].t != JV_STR ||
            am_event_add_cve(ev, nv->cves[i].s, nv->cves[i].n) < 0) {
            snprintf(err, err_size, "field 'cves[%zu]': not a string, or "
                     "more than %d", i, AM_EVENT_MAX_CVES);
            return -1;
        }
    }
    return 0;
}

static int fill(const native_t *nv, am_event_t *ev, char *err,
                size_t err_size) {
    const char *kind = NULL;
    bool has_obs = nv->f[F_OBSERVABLES].t != JV_ABSENT;

    ev->format = "json";
    if (get_str(ev, nv, F_ID, &ev->id, err, err_size) < 0 ||
        get_str(ev, nv, F_KIND, &kind, err, err_size) < 0)
        return -1;
    if (!ev->id || !*ev->id) {
        snprintf(err, err_size, "field 'id': missing");
        return -1;
    }
    if (kind && strcmp(kind, "scan") == 0)
        ev->kind = AM_EVENT_SCAN;
    else if (kind && strcmp(kind, "indicator") == 0)
        ev->kind = AM_EVENT_INDICATOR;
    else if (kind) {
        snprintf(err, err_size, "field 'kind': must be indicator or scan");
        return -1;
    } else
        ev->kind = has_obs ? AM_EVENT_INDICATOR : AM_EVENT_SCAN;

    if (ev->kind == AM_EVENT_INDICATOR) {
        if (!has_obs) {
            snprintf(err, err_size, "field 'observables': missing");
            return -1;
        }
        if (decode_observables(ev, nv, err, err_size) < 0)
            return -1;
    } else if (decode_scan(ev, nv, err, err_size) < 0) {
        return -1;
    }
    if (ev->n_obs == 0) {
        snprintf(err, err_size, "no observable");
        return -1;
    }
    if (get_str(ev, nv, F_CATEGORY, &ev->category, err, err_size) < 0 ||
        get_str(ev, nv, F_SEVERITY, &ev->severity, err, err_size) < 0 ||
        get_str(ev, nv, F_SOURCE, &ev->source, err, err_size) < 0 ||
        get_str(ev, nv, F_TLP, &ev->tlp, err, err_size) < 0 ||
        get_str(ev, nv, F_TIME, &ev->time, err, err_size) < 0 ||
        get_str(ev, nv, F_VALID_UNTIL, &ev->valid_until, err, err_size) <
            0 ||
        get_str(ev, nv, F_DESCRIPTION, &ev->description, err, err_size) <
            0 ||
        get_int(ev, nv, F_CONFIDENCE, 0, 100, &ev->confidence, err,
                err_size) < 0)
        return -1;
    if (ev->tag)
        am_event_scan_cves(ev, ev->tag, strlen(ev->tag));
    return cves(ev, nv, err, err_size);
}

int am_decode_json_obj(json_t *root, const am_decode_hint_t *hint,
                       am_event_t *ev, char *err, size_t err_size) {
    native_t nv;

    (void)hint;
    if (from_tree(ev, root, &nv) < 0) {
        snprintf(err, err_size, "out of memory");
        return -1;
    }
    return fill(&nv, ev, err, err_size);
}

int am_decode_json_fast(const char *buf, size_t len, am_event_t *ev) {
    native_t nv;
    const char *text;
    char err[8];

    am_event_reset(ev);
    /* One copy of the text, rather than one of each of its strings. */
    if (len <= AM_DECODE_MAX_MESSAGE &&
        (text = am_arena_strndup(&ev->arena, buf, len)) &&
        parse_native(ev, text, len, &nv)) {
        nv.in_arena = true;
        if (fill(&nv, ev, err, sizeof(err)) == 0)
            return 0;
    }
    am_event_reset(ev);
    return -1;
}

int am_decode_json(const char *buf, size_t len, am_event_t *ev, char *err,
                   size_t err_size) {
    json_error_t je;
    json_t *root;
    int rc = -1;

    if (am_decode_json_fast(buf, len, ev) == 0)
        return 0;
    if (len > AM_DECODE_MAX_MESSAGE) {
        snprintf(err, err_size, "message of %zu bytes exceeds the limit of %d",
                 len, AM_DECODE_MAX_MESSAGE);
        return -1;
    }
    root = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &je);
    if (!root) {
        snprintf(err, err_size, "invalid JSON at column %d: %s", je.column,
                 je.text);
        return -1;
    }
    if (!json_is_object(root))
        snprintf(err, err_size, "not a JSON object");
    else
        rc = am_decode_json_obj(root, NULL, ev, err, err_size);
    json_decref(root);
    return rc;
}
