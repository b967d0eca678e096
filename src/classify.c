/*
 * classify: see classify.h; data/README.md describes the data files.
 *
 * The tables are read with jansson and kept as its tree: every string an
 * event or a caller receives is borrowed from it, so nothing is copied.
 * The look-ups go through small open-addressing hash maps built at load
 * (string key -> entry), which are only read afterwards, so any number of
 * threads may classify at once.
 *
 * Everything a table refers to is checked at load (a type, n6 category,
 * severity or language that is not defined is an error naming the file and
 * the key), so classifying never meets a dangling name.
 *
 * What decides the classification of an event, first that applies:
 *   1. its classification.type (IntelMQ), as given; the type table (or an
 *      alias of an older vocabulary) gives taxonomy, n6 and severity;
 *   2. its taxonomy alone: the taxonomy's default type;
 *   3. its Shadowserver report type: the report table, then the IPv4 twin
 *      of an IPv6 report (scan6_x -> scan_x, event6_x -> event4_x), then
 *      the family rules (scan_*vulnerable*, scan_*, event4_sinkhole*, ...);
 *   4. its category words (native categories, STIX indicator_types), the
 *      first specific word, else the first generic one
 *      ("malicious-activity");
 *   5. the default for its kind (indicator, scan).
 */
#include "classify.h"

#include <ctype.h>
#include <jansson.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hash.h"

/* Longest key looked up (type, word, report type); longer never matches. */
#define KEY_MAX 128
/* Most advice languages. */
#define MAX_LANGS 16

/* A classification type: where it sits and its defaults. */
typedef struct cls_type_s {
    const char *name;
    const char *taxonomy;
    const char *n6;
    const char *severity;
} cls_type_t;

/* What a word, a report type or a family rule maps to. */
typedef struct cls_entry_s {
    const cls_type_t *type;
    const char *identifier; /* NULL: none */
    const char *n6;         /* NULL: the type's */
    const char *severity;   /* NULL: the type's */
    bool generic;           /* a word that says little ("malicious-activity") */
    const char *prefix;     /* family rules only */
    const char *contains;
} cls_entry_t;

/* A read-only string map; capacity a power of two, at most half full. */
typedef struct map_s {
    const char **keys;
    const void **vals;
    size_t cap;
} map_t;

typedef struct lang_s {
    char code[8];
    map_t advice;          /* type -> text */
    const char **by_type;  /* the text of cl->types[i]; NULL: none */
    const char *unknown;   /* of "unknown"; NULL: none */
} lang_t;

struct am_classify_s {
    json_t *root;
    json_t *advice_roots[MAX_LANGS];
    cls_type_t *types;
    size_t n_types;
    cls_entry_t *entries; /* words, reports, then families */
    size_t n_entries;
    cls_entry_t *families; /* in entries */
    size_t n_families;
    map_t type_map;  /* type name and aliases -> cls_type_t */
    map_t tax_map;   /* taxonomy -> default cls_type_t */
    map_t word_map;  /* category word -> cls_entry_t */
    map_t report_map; /* report type -> cls_entry_t */
    const cls_type_t *def_indicator, *def_scan, *unknown;
    lang_t langs[MAX_LANGS];
    size_t n_langs;
    lang_t *en;
    json_t *severities, *n6_list;
};

/* ---- map ----------------------------------------------------------------- */

static int map_init(map_t *m, size_t n) {
    size_t cap = 8;

    while (cap < 2 * n + 2)
        cap *= 2;
    m->keys = calloc(cap, sizeof(*m->keys));
    m->vals = calloc(cap, sizeof(*m->vals));
    m->cap = cap;
    return m->keys && m->vals ? 0 : -1;
}

static void map_free(map_t *m) {
    free(m->keys);
    free(m->vals);
    memset(m, 0, sizeof(*m));
}

/* @returns false when \p key is there already. */
static bool map_put(map_t *m, const char *key, const void *val) {
    size_t i = am_hash_bytes(key, strlen(key), 0) & (m->cap - 1);

    while (m->keys[i]) {
        if (strcmp(m->keys[i], key) == 0)
            return false;
        i = (i + 1) & (m->cap - 1);
    }
    m->keys[i] = key;
    m->vals[i] = val;
    return true;
}

static const void *map_get(const map_t *m, const char *key) {
    size_t i;

    if (!m->cap)
        return NULL;
    i = am_hash_bytes(key, strlen(key), 0) & (m->cap - 1);
    while (m->keys[i]) {
        if (strcmp(m->keys[i], key) == 0)
            return m->vals[i];
        i = (i + 1) & (m->cap - 1);
    }
    return NULL;
}

/* ---- keys ---------------------------------------------------------------- */

/* A vocabulary word or type as a key: lower case, '_' and blanks as '-',
 * trimmed.  @returns false when empty or longer than KEY_MAX. */
static bool word_key(const char *s, size_t n, char out[KEY_MAX + 1]) {
    size_t k = 0;

    while (n && isspace((unsigned char)*s)) {
        s++;
        n--;
    }
    while (n && isspace((unsigned char)s[n - 1]))
        n--;
    if (n == 0 || n > KEY_MAX)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = (char)tolower((unsigned char)s[i]);
        out[k++] = c == '_' || c == ' ' || c == '\t' ? '-' : c;
    }
    out[k] = '\0';
    return true;
}

/* A report type as a key: lower case, trimmed. */
static bool report_key(const char *s, char out[KEY_MAX + 1]) {
    size_t n, k = 0;

    while (isspace((unsigned char)*s))
        s++;
    n = strlen(s);
    while (n && isspace((unsigned char)s[n - 1]))
        n--;
    if (n == 0 || n > KEY_MAX)
        return false;
    for (size_t i = 0; i < n; i++)
        out[k++] = (char)tolower((unsigned char)s[i]);
    out[k] = '\0';
    return true;
}

/* The IPv4 twin of an IPv6 report type: event6_x -> event4_x,
 * scan6_x -> scan_x, compromised_iot6 -> compromised_iot.
 * @returns false when \p key names no IPv6 report. */
static bool ipv4_twin(const char *key, char out[KEY_MAX + 1]) {
    const char *six;
    size_t n = strlen(key);

    if (strncmp(key, "event6_", 7) == 0) {
        memcpy(out, "event4_", 7);
        memcpy(out + 7, key + 7, n - 7 + 1);
        return true;
    }
    for (six = key; (six = strchr(six, '6')); six++) {
        if (six > key && isalpha((unsigned char)six[-1]) &&
            (six[1] == '_' || six[1] == '\0')) {
            size_t at = (size_t)(six - key);
            memcpy(out, key, at);
            memcpy(out + at, six + 1, n - at);
            return true;
        }
    }
    return false;
}

/* ---- loading ------------------------------------------------------------- */

typedef struct loader_s {
    am_classify_t *cl;
    const char *file;
    char *err;
    size_t err_size;
} loader_t;

static int fail(loader_t *ld, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int fail(loader_t *ld, const char *fmt, ...) {
    va_list ap;
    int n = snprintf(ld->err, ld->err_size, "%s: ", ld->file);

    if (n < 0 || (size_t)n >= ld->err_size)
        return -1;
    va_start(ap, fmt);
    vsnprintf(ld->err + n, ld->err_size - (size_t)n, fmt, ap);
    va_end(ap);
    return -1;
}

static json_t *load_json(loader_t *ld, const char *path) {
    json_error_t je;
    json_t *root = json_load_file(path, JSON_REJECT_DUPLICATES, &je);

    if (!root) {
        if (je.line <= 0)
            snprintf(ld->err, ld->err_size, "%s: %s", path, je.text);
        else
            snprintf(ld->err, ld->err_size, "%s: line %d: %s", path, je.line,
                     je.text);
        return NULL;
    }
    if (!json_is_object(root)) {
        snprintf(ld->err, ld->err_size, "%s: not a JSON object", path);
        json_decref(root);
        return NULL;
    }
    return root;
}

/* Member \p key of \p obj, of the JSON type \p want ("object", ...). */
static json_t *member(loader_t *ld, json_t *obj, const char *where,
                      const char *key, json_type want, bool required) {
    json_t *v = json_object_get(obj, key);
    static const char *const names[] = {"an object", "an array", "a string",
                                        "an integer", "a number", "true",
                                        "false", "null"};

    if (!v) {
        if (required)
            fail(ld, "'%s%s%s': missing", where, *where ? "." : "", key);
        return NULL;
    }
    if (json_typeof(v) != want && !(want == JSON_TRUE && json_is_boolean(v))) {
        fail(ld, "'%s%s%s': must be %s", where, *where ? "." : "", key,
             want == JSON_TRUE ? "true or false" : names[want]);
        return NULL;
    }
    return v;
}

static bool in_list(json_t *list, const char *s) {
    size_t i;
    json_t *v;

    json_array_foreach(list, i, v) {
        if (json_is_string(v) && strcmp(json_string_value(v), s) == 0)
            return true;
    }
    return false;
}

/* An optional string member that must be one of \p list (or any string
 * when \p list is NULL).  @returns 0 with *dst set or left NULL, or -1. */
static int opt_str(loader_t *ld, json_t *obj, const char *where,
                   const char *key, json_t *list, const char *what,
                   const char **dst) {
    json_t *v = json_object_get(obj, key);

    *dst = NULL;
    if (!v)
        return 0;
    if (!json_is_string(v) || json_string_length(v) == 0)
        return fail(ld, "'%s.%s': must be a non-empty string", where, key);
    if (list && !in_list(list, json_string_value(v)))
        return fail(ld, "'%s.%s': unknown %s '%s'", where, key, what,
                    json_string_value(v));
    *dst = json_string_value(v);
    return 0;
}

static const cls_type_t *type_named(loader_t *ld, const char *where,
                                    json_t *v) {
    const cls_type_t *t;
    char key[KEY_MAX + 1];

    if (!json_is_string(v)) {
        fail(ld, "'%s': must be a type name", where);
        return NULL;
    }
    if (!word_key(json_string_value(v), json_string_length(v), key) ||
        !(t = map_get(&ld->cl->type_map, key)) ||
        strcmp(t->name, json_string_value(v)) != 0) {
        fail(ld, "'%s': '%s' is not a type of 'types'", where,
             json_string_value(v));
        return NULL;
    }
    return t;
}

static int load_types(loader_t *ld, json_t *root) {
    am_classify_t *cl = ld->cl;
    json_t *types, *aliases, *tax, *v;
    const char *key;
    char where[KEY_MAX + 64], k[KEY_MAX + 1];
    size_t n;

    if (!(cl->severities =
              member(ld, root, "", "severities", JSON_ARRAY, true)) ||
        !(cl->n6_list =
              member(ld, root, "", "n6_categories", JSON_ARRAY, true)) ||
        !(types = member(ld, root, "", "types", JSON_OBJECT, true)) ||
        !(aliases = member(ld, root, "", "type_aliases", JSON_OBJECT, true)) ||
        !(tax = member(ld, root, "", "taxonomy_default_types", JSON_OBJECT,
                       true)))
        return -1;
    n = json_object_size(types);
    cl->types = calloc(n ? n : 1, sizeof(*cl->types));
    if (!cl->types || map_init(&cl->type_map, n + json_object_size(aliases)) <
                          0 ||
        map_init(&cl->tax_map, json_object_size(tax)) < 0)
        return fail(ld, "out of memory");
    json_object_foreach(types, key, v) {
        cls_type_t *t = &cl->types[cl->n_types];
        snprintf(where, sizeof(where), "types.%s", key);
        if (!word_key(key, strlen(key), k) || strcmp(k, key) != 0)
            return fail(ld, "'%s': a type is written in lower case with "
                        "'-', like 'c2-server'", where);
        if (!json_is_object(v))
            return fail(ld, "'%s': must be an object", where);
        t->name = key;
        if (opt_str(ld, v, where, "taxonomy", NULL, NULL, &t->taxonomy) < 0 ||
            opt_str(ld, v, where, "n6", cl->n6_list, "n6 category", &t->n6) <
                0 ||
            opt_str(ld, v, where, "severity", cl->severities, "severity",
                    &t->severity) < 0)
            return -1;
        if (!t->taxonomy || !t->n6 || !t->severity)
            return fail(ld, "'%s': needs taxonomy, n6 and severity", where);
        map_put(&cl->type_map, key, t);
        cl->n_types++;
    }
    json_object_foreach(aliases, key, v) {
        const cls_type_t *t;
        snprintf(where, sizeof(where), "type_aliases.%s", key);
        if (!(t = type_named(ld, where, v)))
            return -1;
        if (!word_key(key, strlen(key), k) || strcmp(k, key) != 0)
            return fail(ld, "'%s': write the alias in lower case with '-'",
                        where);
        if (!map_put(&cl->type_map, key, t))
            return fail(ld, "'%s': is a type already", where);
    }
    json_object_foreach(tax, key, v) {
        const cls_type_t *t;
        snprintf(where, sizeof(where), "taxonomy_default_types.%s", key);
        if (!(t = type_named(ld, where, v)))
            return -1;
        map_put(&cl->tax_map, key, t);
    }
    if (!(cl->unknown = map_get(&cl->type_map, "unknown")))
        return fail(ld, "'types.unknown': missing (the type of what no "
                    "table knows)");
    return 0;
}

/* One entry: "word": {"type": ..., "identifier", "n6", "severity",
 * "generic"}; family rules add "prefix" and "contains". */
static int load_entry(loader_t *ld, json_t *v, const char *where,
                      cls_entry_t *e) {
    json_t *g;

    memset(e, 0, sizeof(*e));
    if (!json_is_object(v))
        return fail(ld, "'%s': must be an object with a type", where);
    if (!json_object_get(v, "type"))
        return fail(ld, "'%s.type': missing", where);
    {
        char w[KEY_MAX + 80];
        snprintf(w, sizeof(w), "%s.type", where);
        if (!(e->type = type_named(ld, w, json_object_get(v, "type"))))
            return -1;
    }
    if (opt_str(ld, v, where, "identifier", NULL, NULL, &e->identifier) < 0 ||
        opt_str(ld, v, where, "n6", ld->cl->n6_list, "n6 category", &e->n6) <
            0 ||
        opt_str(ld, v, where, "severity", ld->cl->severities, "severity",
                &e->severity) < 0 ||
        opt_str(ld, v, where, "prefix", NULL, NULL, &e->prefix) < 0 ||
        opt_str(ld, v, where, "contains", NULL, NULL, &e->contains) < 0)
        return -1;
    g = json_object_get(v, "generic");
    if (g && !json_is_boolean(g))
        return fail(ld, "'%s.generic': must be true or false", where);
    e->generic = json_is_true(g);
    return 0;
}

static int load_words(loader_t *ld, json_t *table, const char *name) {
    am_classify_t *cl = ld->cl;
    const char *key;
    json_t *v;
    char where[KEY_MAX + 64], k[KEY_MAX + 1];

    json_object_foreach(table, key, v) {
        cls_entry_t *e = &cl->entries[cl->n_entries];
        snprintf(where, sizeof(where), "%s.%s", name, key);
        if (!word_key(key, strlen(key), k) || strcmp(k, key) != 0)
            return fail(ld, "'%s': write the word in lower case with '-' "
                        "for '_' and blanks, as events are looked up", where);
        if (load_entry(ld, v, where, e) < 0)
            return -1;
        if (!map_put(&cl->word_map, key, e))
            return fail(ld, "'%s': the word is in another table already",
                        where);
        cl->n_entries++;
    }
    return 0;
}

static int load_tables(loader_t *ld, json_t *root) {
    am_classify_t *cl = ld->cl;
    json_t *cats, *stix, *reports, *fams, *defs, *v;
    const char *key;
    char where[KEY_MAX + 64], k[KEY_MAX + 1];
    size_t i, n_words;

    if (!(cats = member(ld, root, "", "categories", JSON_OBJECT, true)) ||
        !(stix = member(ld, root, "", "stix_indicator_types", JSON_OBJECT,
                        true)) ||
        !(reports = member(ld, root, "", "shadowserver_reports", JSON_OBJECT,
                           true)) ||
        !(fams = member(ld, root, "", "shadowserver_families", JSON_ARRAY,
                        true)) ||
        !(defs = member(ld, root, "", "defaults", JSON_OBJECT, true)))
        return -1;
    n_words = json_object_size(cats) + json_object_size(stix);
    cl->entries = calloc(n_words + json_object_size(reports) +
                             json_array_size(fams) + 1,
                         sizeof(*cl->entries));
    if (!cl->entries || map_init(&cl->word_map, n_words) < 0 ||
        map_init(&cl->report_map, json_object_size(reports)) < 0)
        return fail(ld, "out of memory");
    if (load_words(ld, stix, "stix_indicator_types") < 0 ||
        load_words(ld, cats, "categories") < 0)
        return -1;
    json_object_foreach(reports, key, v) {
        cls_entry_t *e = &cl->entries[cl->n_entries];
        snprintf(where, sizeof(where), "shadowserver_reports.%s", key);
        if (!report_key(key, k) || strcmp(k, key) != 0)
            return fail(ld, "'%s': write report types in lower case", where);
        if (load_entry(ld, v, where, e) < 0)
            return -1;
        map_put(&cl->report_map, key, e);
        cl->n_entries++;
    }
    cl->families = &cl->entries[cl->n_entries];
    json_array_foreach(fams, i, v) {
        cls_entry_t *e = &cl->entries[cl->n_entries];
        snprintf(where, sizeof(where), "shadowserver_families[%zu]", i);
        if (load_entry(ld, v, where, e) < 0)
            return -1;
        if (!e->prefix)
            return fail(ld, "'%s.prefix': missing", where);
        cl->n_entries++;
        cl->n_families++;
    }
    if (!(v = member(ld, defs, "defaults", "indicator", JSON_STRING, true)) ||
        !(cl->def_indicator = type_named(ld, "defaults.indicator", v)) ||
        !(v = member(ld, defs, "defaults", "scan", JSON_STRING, true)) ||
        !(cl->def_scan = type_named(ld, "defaults.scan", v)))
        return -1;
    return 0;
}

/* The directory part of \p path, with its '/', into \p out. */
static void dir_of(const char *path, char *out, size_t size) {
    const char *slash = strrchr(path, '/');
    size_t n = slash ? (size_t)(slash - path + 1) : 0;

    if (n >= size)
        n = size - 1;
    memcpy(out, path, n);
    out[n] = '\0';
}

static int load_advice(loader_t *ld, json_t *root, const char *path) {
    am_classify_t *cl = ld->cl;
    json_t *files, *v;
    const char *code;
    char dir[PATH_MAX], file[PATH_MAX];

    if (!(files = member(ld, root, "", "advice", JSON_OBJECT, true)))
        return -1;
    dir_of(path, dir, sizeof(dir));
    json_object_foreach(files, code, v) {
        lang_t *lang = &cl->langs[cl->n_langs];
        json_t *aroot, *texts, *t;
        const char *type;
        loader_t sub = *ld;

        if (cl->n_langs == MAX_LANGS)
            return fail(ld, "'advice': more than %d languages", MAX_LANGS);
        if (strlen(code) < 2 || strlen(code) >= sizeof(lang->code) ||
            strspn(code, "abcdefghijklmnopqrstuvwxyz") != strlen(code))
            return fail(ld, "'advice.%s': a language is a lower-case code "
                        "like 'en'", code);
        if (!json_is_string(v) || json_string_length(v) == 0)
            return fail(ld, "'advice.%s': must be a file name", code);
        if (json_string_value(v)[0] == '/')
            snprintf(file, sizeof(file), "%s", json_string_value(v));
        else
            snprintf(file, sizeof(file), "%s%s", dir, json_string_value(v));
        if (!(aroot = load_json(ld, file)))
            return -1;
        cl->advice_roots[cl->n_langs] = aroot;
        snprintf(lang->code, sizeof(lang->code), "%s", code);
        cl->n_langs++;
        sub.file = file;
        if (!(texts = member(&sub, aroot, "", "advice", JSON_OBJECT, true)))
            return -1;
        if (map_init(&lang->advice, json_object_size(texts)) < 0)
            return fail(&sub, "out of memory");
        json_object_foreach(texts, type, t) {
            const cls_type_t *ty = map_get(&cl->type_map, type);
            if (!ty || strcmp(ty->name, type) != 0)
                return fail(&sub, "'advice.%s': '%s' is not a type of %s", type,
                            type, ld->file);
            if (!json_is_string(t) || json_string_length(t) == 0)
                return fail(&sub, "'advice.%s': must be a non-empty text",
                            type);
            map_put(&lang->advice, type, json_string_value(t));
        }
        /* Looked up for every notification (twice): by the type's index,
         * not by its name in the map. */
        if (!(lang->by_type = calloc(cl->n_types ? cl->n_types : 1,
                                     sizeof(*lang->by_type))))
            return fail(&sub, "out of memory");
        for (size_t i = 0; i < cl->n_types; i++)
            lang->by_type[i] = map_get(&lang->advice, cl->types[i].name);
        lang->unknown = map_get(&lang->advice, "unknown");
        if (strcmp(code, "en") == 0) {
            cl->en = lang;
            /* English is the last fallback: it covers every type. */
            for (size_t i = 0; i < cl->n_types; i++)
                if (!map_get(&lang->advice, cl->types[i].name))
                    return fail(&sub, "'advice.%s': missing (English advice "
                                "covers every type)", cl->types[i].name);
        }
    }
    if (!cl->en)
        return fail(ld, "'advice.en': missing (English is the fallback)");
    return 0;
}

am_classify_t *am_classify_load(const char *path, char *err,
                                size_t err_size) {
    am_classify_t *cl = calloc(1, sizeof(*cl));
    loader_t ld = {cl, path ? path : AM_DATA_DIR "/classification.json", err,
                   err_size};

    if (!cl) {
        snprintf(err, err_size, "%s: out of memory", ld.file);
        return NULL;
    }
    if (!(cl->root = load_json(&ld, ld.file)) ||
        load_types(&ld, cl->root) < 0 || load_tables(&ld, cl->root) < 0 ||
        load_advice(&ld, cl->root, ld.file) < 0) {
        am_classify_destroy(cl);
        return NULL;
    }
    return cl;
}

void am_classify_destroy(am_classify_t *cl) {
    if (!cl)
        return;
    for (size_t i = 0; i < cl->n_langs; i++) {
        map_free(&cl->langs[i].advice);
        free(cl->langs[i].by_type);
        json_decref(cl->advice_roots[i]);
    }
    map_free(&cl->type_map);
    map_free(&cl->tax_map);
    map_free(&cl->word_map);
    map_free(&cl->report_map);
    free(cl->types);
    free(cl->entries);
    json_decref(cl->root);
    free(cl);
}

/* ---- classifying --------------------------------------------------------- */

static const cls_type_t *find_type(const am_classify_t *cl, const char *s) {
    char key[KEY_MAX + 1];

    return word_key(s, strlen(s), key) ? map_get(&cl->type_map, key) : NULL;
}

static const cls_entry_t *find_report(const am_classify_t *cl,
                                      const char *report_type) {
    char key[KEY_MAX + 1], twin[KEY_MAX + 1];
    const cls_entry_t *e;
    const char *name;

    if (!report_key(report_type, key))
        return NULL;
    if ((e = map_get(&cl->report_map, key)))
        return e;
    name = key;
    if (ipv4_twin(key, twin)) {
        if ((e = map_get(&cl->report_map, twin)))
            return e;
        name = twin;
    }
    for (size_t i = 0; i < cl->n_families; i++) {
        const cls_entry_t *f = &cl->families[i];
        if (strncmp(name, f->prefix, strlen(f->prefix)) == 0 &&
            (!f->contains || strstr(name, f->contains)))
            return f;
    }
    return NULL;
}

/* The category words ("malicious-activity,compromised", "botnet_cc"):
 * the first specific word that maps, else the first generic one. */
static const cls_entry_t *find_category(const am_classify_t *cl,
                                        const char *cats) {
    const cls_entry_t *generic = NULL;
    const char *p = cats;

    while (*p) {
        size_t n = strcspn(p, ",;|");
        char key[KEY_MAX + 1];
        const cls_entry_t *e;
        if (word_key(p, n, key) && (e = map_get(&cl->word_map, key))) {
            if (!e->generic)
                return e;
            if (!generic)
                generic = e;
        }
        p += n;
        if (*p)
            p++;
    }
    return generic;
}

void am_classify_event(const am_classify_t *cl, am_event_t *ev) {
    const cls_type_t *t = NULL;
    const cls_entry_t *e = NULL;

    if (ev->type) {
        /* A type we do not know stays as given; it gets the defaults of
         * "unknown". */
        if (!(t = find_type(cl, ev->type)))
            t = cl->unknown;
    } else if (ev->taxonomy) {
        char key[KEY_MAX + 1];
        if (!word_key(ev->taxonomy, strlen(ev->taxonomy), key) ||
            !(t = map_get(&cl->tax_map, key)))
            t = cl->unknown;
        ev->type = t->name;
    } else {
        if (ev->report_type)
            e = find_report(cl, ev->report_type);
        if (!e && ev->category)
            e = find_category(cl, ev->category);
        t = e ? e->type
              : ev->kind == AM_EVENT_SCAN ? cl->def_scan : cl->def_indicator;
        ev->type = t->name;
    }
    if (!ev->taxonomy)
        ev->taxonomy = t->taxonomy;
    if (!ev->identifier && e && e->identifier)
        ev->identifier = e->identifier;
    if (!ev->n6_category)
        ev->n6_category = e && e->n6 ? e->n6 : t->n6;
    if (!ev->severity)
        ev->severity = e && e->severity ? e->severity : t->severity;
}

/* ---- advice -------------------------------------------------------------- */

static const lang_t *find_lang(const am_classify_t *cl, const char *lang) {
    char code[8];
    size_t n = 0;

    /* "nl", "NL", "nl-NL", "nl_BE" */
    while (lang && lang[n] && lang[n] != '-' && lang[n] != '_' &&
           n < sizeof(code) - 1) {
        code[n] = (char)tolower((unsigned char)lang[n]);
        n++;
    }
    code[n] = '\0';
    for (size_t i = 0; i < cl->n_langs; i++)
        if (strcmp(cl->langs[i].code, code) == 0)
            return &cl->langs[i];
    return NULL;
}

/* The type named \p s: most often the name am_classify_event() gave the
 * event, found by its address (a map look-up of the name cost ~400
 * instructions, twice per notification). */
static const cls_type_t *type_of(const am_classify_t *cl, const char *s) {
    for (size_t i = 0; i < cl->n_types; i++)
        if (cl->types[i].name == s)
            return &cl->types[i];
    return find_type(cl, s);
}

const char *am_classify_advice(const am_classify_t *cl, const char *type,
                               const char *lang) {
    const lang_t *langs[2] = {find_lang(cl, lang), cl->en};
    const cls_type_t *t = type ? type_of(cl, type) : NULL;
    const char *text;

    for (size_t i = 0; i < 2; i++) {
        if (!langs[i])
            continue;
        if (t && (text = langs[i]->by_type[t - cl->types]))
            return text;
        if ((text = langs[i]->unknown))
            return text;
    }
    /* English covers every type, "unknown" included (checked at load). */
    return cl->en->unknown;
}
