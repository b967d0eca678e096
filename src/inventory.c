/*
 * inventory: see inventory.h.
 *
 * Two open-addressing hash indexes keep loading linear: tenant id -> tenant
 * index, and (tenant, asset id) -> asset index for the duplicate check.
 * Both store 32-bit indexes + 1 (0 is an empty slot) and compare strings in
 * the arena.
 */
#include "inventory.h"

#include <ctype.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "asn_table.h"
#include "csv.h"
#include "domain.h"
#include "fileio.h"
#include "hash.h"

#define AM_ID_MAX 255      /* bytes of a tenant or asset id */
#define AM_KEYWORD_MIN 3   /* shorter keywords match nearly every name */
#define AM_KEYWORD_MAX 128

/* A slot holds the entry + 1 in its low half (0: empty) and the low 32 bits
 * of the key's hash in its high half, so that growing never rehashes a
 * string and a probe compares strings only when 32 hash bits agree. */
typedef struct index_s {
    uint64_t *slots;
    size_t mask;     /* slots - 1, a power of two minus one */
    size_t used;
} index_t;

#define SLOT(hash, entry) ((uint64_t)(uint32_t)(hash) << 32 | (entry))
#define SLOT_ENTRY(slot) ((uint32_t)(slot))
#define SLOT_HASH(slot) ((uint32_t)((slot) >> 32))

struct am_inventory_s {
    char *str; /* arena: NUL-terminated strings; offset 0 is "" */
    size_t str_len, str_cap;
    uint32_t *tenants; /* arena offsets of tenant ids */
    size_t n_tenants, cap_tenants;
    index_t tenant_idx;
    am_asset_t *assets;
    size_t n_assets, cap_assets;
    index_t asset_idx;
    size_t by_kind[AM_ASSET_ASN + 1];
    size_t live;          /* assets not deleted */
    uint32_t last_tenant; /* records of a tenant usually come together */
    bool readonly;        /* a snapshot: no index, no changes */
};

const char *am_asset_kind_name(am_asset_kind_t kind) {
    switch (kind) {
    case AM_ASSET_IP: return "ip";
    case AM_ASSET_DOMAIN: return "domain";
    case AM_ASSET_KEYWORD: return "keyword";
    case AM_ASSET_ASN: return "asn";
    }
    return "?";
}

static int grow(void **p, size_t *cap, size_t need, size_t elem) {
    size_t c = *cap ? *cap : 64;
    void *np;

    if (need <= *cap)
        return 0;
    while (c < need)
        c *= 2;
    np = realloc(*p, c * elem);
    if (!np)
        return -1;
    *p = np;
    *cap = c;
    return 0;
}

/* @returns the arena offset of a copy of s, or 0 when out of memory (the
 * empty string also lives at 0, but is never stored through here). */
static uint32_t str_add(am_inventory_t *inv, const char *s, size_t n) {
    size_t off = inv->str_len;

    if (off + n + 1 > UINT32_MAX)
        return 0;
    if (grow((void **)&inv->str, &inv->str_cap, off + n + 1, 1) < 0)
        return 0;
    memcpy(inv->str + off, s, n);
    inv->str[off + n] = '\0';
    inv->str_len += n + 1;
    return (uint32_t)off;
}

am_inventory_t *am_inventory_new(void) {
    am_inventory_t *inv = calloc(1, sizeof(*inv));

    if (!inv)
        return NULL;
    if (!str_add(inv, "", 0) && inv->str_len == 0) {
        free(inv);
        return NULL;
    }
    return inv;
}

static void index_free(index_t *ix) {
    free(ix->slots);
    memset(ix, 0, sizeof(*ix));
}

void am_inventory_destroy(am_inventory_t *inv) {
    if (!inv)
        return;
    free(inv->str);
    free(inv->tenants);
    free(inv->assets);
    index_free(&inv->tenant_idx);
    index_free(&inv->asset_idx);
    free(inv);
}

static uint64_t tenant_hash(const char *s, size_t n) {
    return am_hash_bytes(s, n, 0x7e11a47);
}

static uint64_t asset_hash(uint32_t tenant, const char *s, size_t n) {
    return am_hash_bytes(s, n, tenant * 0x9e3779b97f4a7c15ULL + 1);
}

/* Doubles ix (or makes it hold \p want entries at load 1/2). */
static int index_grow(index_t *ix, size_t want) {
    size_t n = ix->mask ? (ix->mask + 1) * 2 : 1024;
    uint64_t *slots;

    while (n < want * 2)
        n *= 2;
    if (!(slots = calloc(n, sizeof(*slots))))
        return -1;
    for (size_t i = 0; ix->mask && i <= ix->mask; i++) {
        uint64_t e = ix->slots[i];
        if (!e)
            continue;
        size_t j = SLOT_HASH(e) & (n - 1);
        while (slots[j])
            j = (j + 1) & (n - 1);
        slots[j] = e;
    }
    free(ix->slots);
    ix->slots = slots;
    ix->mask = n - 1;
    return 0;
}

static bool str_eq(const am_inventory_t *inv, uint32_t off, const char *s,
                   size_t n) {
    return strncmp(inv->str + off, s, n) == 0 && inv->str[off + n] == '\0';
}

/* @returns the tenant index of (s, n), or -1 with its free slot in
 * \p free_slot (when not NULL; the index must have room). */
static int64_t tenant_find(am_inventory_t *inv, const char *s, size_t n,
                           uint64_t **free_slot) {
    index_t *ix = &inv->tenant_idx;
    uint64_t h = tenant_hash(s, n);
    size_t j;

    if (inv->n_tenants && str_eq(inv, inv->tenants[inv->last_tenant], s, n))
        return inv->last_tenant;
    if (!ix->mask)
        return -1;
    for (j = h & ix->mask; ix->slots[j]; j = (j + 1) & ix->mask) {
        uint32_t e = SLOT_ENTRY(ix->slots[j]) - 1;
        if (SLOT_HASH(ix->slots[j]) == (uint32_t)h &&
            str_eq(inv, inv->tenants[e], s, n))
            return inv->last_tenant = e;
    }
    if (free_slot)
        *free_slot = &ix->slots[j];
    return -1;
}

/* @returns the tenant index of (s, n), adding it when new; -1 on OOM. */
static int64_t tenant_intern(am_inventory_t *inv, const char *s, size_t n) {
    index_t *ix = &inv->tenant_idx;
    uint64_t h, *slot = NULL;
    int64_t found;

    if ((ix->used + 1) * 2 > ix->mask + 1 && index_grow(ix, 0) < 0)
        return -1;
    if ((found = tenant_find(inv, s, n, &slot)) >= 0)
        return found;
    h = tenant_hash(s, n);
    if (grow((void **)&inv->tenants, &inv->cap_tenants, inv->n_tenants + 1,
             sizeof(*inv->tenants)) < 0)
        return -1;
    uint32_t off = str_add(inv, s, n);
    if (!off)
        return -1;
    inv->tenants[inv->n_tenants] = off;
    *slot = SLOT(h, ++inv->n_tenants);
    ix->used++;
    return inv->last_tenant = (uint32_t)inv->n_tenants - 1;
}

/* @returns the slot for (tenant, asset id), occupied when it exists, with
 * the hash in \p hash for filling an empty one. */
static uint64_t *asset_slot(am_inventory_t *inv, uint32_t tenant,
                            const char *s, size_t n, uint64_t *hash) {
    index_t *ix = &inv->asset_idx;
    uint64_t h = asset_hash(tenant, s, n);
    size_t j;

    for (j = h & ix->mask; ix->slots[j]; j = (j + 1) & ix->mask) {
        const am_asset_t *a = &inv->assets[SLOT_ENTRY(ix->slots[j]) - 1];
        if (SLOT_HASH(ix->slots[j]) == (uint32_t)h && a->tenant == tenant &&
            str_eq(inv, a->asset_id, s, n))
            break;
    }
    *hash = h;
    return &ix->slots[j];
}

static int parse_bool(const char *s, size_t n, bool *out) {
    static const char *const yes[] = {"true", "1", "yes", "y", "t"};
    static const char *const no[] = {"false", "0", "no", "n", "f"};

    if (!s || n == 0) {
        *out = true;
        return 0;
    }
    for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
        if (strlen(yes[i]) == n && strncasecmp(s, yes[i], n) == 0) {
            *out = true;
            return 0;
        }
        if (strlen(no[i]) == n && strncasecmp(s, no[i], n) == 0) {
            *out = false;
            return 0;
        }
    }
    return -1;
}

static bool kind_is(const char *s, size_t n, const char *name) {
    return strlen(name) == n && strncasecmp(s, name, n) == 0;
}

/* Checks an id field: present, not too long, printable. */
static int check_id(const char *field, const char *s, size_t n, char *err,
                    size_t err_size) {
    if (n == 0) {
        snprintf(err, err_size, "field '%s': empty", field);
        return -1;
    }
    if (n > AM_ID_MAX) {
        snprintf(err, err_size, "field '%s': longer than %d bytes", field,
                 AM_ID_MAX);
        return -1;
    }
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f) {
            snprintf(err, err_size, "field '%s': control character", field);
            return -1;
        }
    return 0;
}

/* Validates and canonicalises the value of an asset of kind a->kind into
 * \p canon (room for AM_DOMAIN_MAX + 1), filling a->u. */
static int parse_value(am_asset_t *a, const char *v, size_t n, char *canon,
                       size_t *canon_len, char *err, size_t err_size) {
    char why[160];

    if (n == 0) {
        snprintf(err, err_size, "field 'value': empty");
        return -1;
    }
    switch (a->kind) {
    case AM_ASSET_IP:
        if (am_ipaddr_parse(v, n, AM_IPADDR_CIDR | AM_IPADDR_STRICT,
                            &a->u.prefix, why, sizeof(why)) < 0) {
            snprintf(err, err_size, "field 'value': %s: '%.*s'", why,
                     (int)(n > 64 ? 64 : n), v);
            return -1;
        }
        *canon_len = am_ipaddr_format(&a->u.prefix, canon, AM_DOMAIN_MAX + 1);
        return 0;
    case AM_ASSET_DOMAIN: {
        am_prefix_t ip;
        int len;
        if (am_ipaddr_parse(v, n, AM_IPADDR_CIDR, &ip, why, sizeof(why)) ==
            0) {
            snprintf(err, err_size,
                     "field 'value': '%.*s' is an IP address, not a domain "
                     "(use kind ip)",
                     (int)(n > 64 ? 64 : n), v);
            return -1;
        }
        len = am_domain_normalize(v, n, canon, why, sizeof(why));
        if (len < 0) {
            snprintf(err, err_size, "field 'value': %s: '%.*s'", why,
                     (int)(n > 64 ? 64 : n), v);
            return -1;
        }
        *canon_len = (size_t)len;
        return 0;
    }
    case AM_ASSET_KEYWORD:
        if (n < AM_KEYWORD_MIN || n > AM_KEYWORD_MAX) {
            snprintf(err, err_size,
                     "field 'value': keyword must be %d to %d characters",
                     AM_KEYWORD_MIN, AM_KEYWORD_MAX);
            return -1;
        }
        for (size_t i = 0; i < n; i++) {
            unsigned char c = (unsigned char)v[i];
            if (!isalnum(c) && c != '-' && c != '_' && c != '.') {
                snprintf(err, err_size,
                         "field 'value': keyword '%.*s' has a character that "
                         "never occurs in a domain name",
                         (int)n, v);
                return -1;
            }
            canon[i] = (char)tolower(c);
        }
        canon[n] = '\0';
        *canon_len = n;
        return 0;
    case AM_ASSET_ASN:
        if (am_asn_parse(v, n, &a->u.asn, why, sizeof(why)) < 0) {
            snprintf(err, err_size, "field 'value': %s", why);
            return -1;
        }
        *canon_len = (size_t)snprintf(canon, AM_DOMAIN_MAX + 1, "%u",
                                      a->u.asn);
        return 0;
    }
    return -1;
}

/* Validates \p in and adds it; with \p replace an existing (tenant,
 * asset_id) is updated in place, otherwise it is an error. */
static int put(am_inventory_t *inv, const am_asset_input_t *in, bool replace,
               am_inventory_change_t *change, uint32_t *asset, char *err,
               size_t err_size) {
    am_asset_t a;
    const char *tid = in->tenant_id, *aid = in->asset_id, *kind = in->kind;
    const char *val = in->value, *inc = in->include_subdomains;
    const char *ver = in->verified;
    size_t tid_n = in->tenant_id_len, aid_n = in->asset_id_len;
    size_t kind_n = in->kind_len, val_n = in->value_len;
    size_t inc_n = in->include_subdomains_len, ver_n = in->verified_len;
    char canon[AM_DOMAIN_MAX + 1];
    size_t canon_len = 0;
    uint64_t *slot, hash;
    int64_t t;

    memset(&a, 0, sizeof(a));
    if (inv->readonly) {
        snprintf(err, err_size, "a read-only snapshot of the inventory");
        return -1;
    }
    am_csv_trim(&tid, &tid_n);
    am_csv_trim(&aid, &aid_n);
    am_csv_trim(&kind, &kind_n);
    am_csv_trim(&val, &val_n);
    if (inc)
        am_csv_trim(&inc, &inc_n);
    if (ver)
        am_csv_trim(&ver, &ver_n);

    if (check_id("tenant_id", tid, tid_n, err, err_size) < 0 ||
        check_id("asset_id", aid, aid_n, err, err_size) < 0)
        return -1;
    if (kind_is(kind, kind_n, "ip"))
        a.kind = AM_ASSET_IP;
    else if (kind_is(kind, kind_n, "domain"))
        a.kind = AM_ASSET_DOMAIN;
    else if (kind_is(kind, kind_n, "keyword"))
        a.kind = AM_ASSET_KEYWORD;
    else if (kind_is(kind, kind_n, "asn"))
        a.kind = AM_ASSET_ASN;
    else {
        snprintf(err, err_size,
                 "field 'kind': unknown kind '%.*s' (ip, domain, keyword, "
                 "asn)",
                 (int)(kind_n > 32 ? 32 : kind_n), kind);
        return -1;
    }
    if (parse_value(&a, val, val_n, canon, &canon_len, err, err_size) < 0)
        return -1;
    if (parse_bool(inc, inc_n, &a.include_subdomains) < 0) {
        snprintf(err, err_size,
                 "field 'include_subdomains': not a boolean: '%.*s'",
                 (int)(inc_n > 32 ? 32 : inc_n), inc);
        return -1;
    }
    if (parse_bool(ver, ver_n, &a.verified) < 0) {
        snprintf(err, err_size, "field 'verified': not a boolean: '%.*s'",
                 (int)(ver_n > 32 ? 32 : ver_n), ver);
        return -1;
    }

    if ((inv->asset_idx.used + 1) * 2 > inv->asset_idx.mask + 1 &&
        index_grow(&inv->asset_idx, 0) < 0)
        goto oom;
    if ((t = tenant_intern(inv, tid, tid_n)) < 0)
        goto oom;
    a.tenant = (uint32_t)t;
    slot = asset_slot(inv, a.tenant, aid, aid_n, &hash);
    if (*slot && replace) {
        uint32_t i = SLOT_ENTRY(*slot) - 1;
        am_asset_t *old = &inv->assets[i];
        bool same = old->kind == a.kind &&
                    old->include_subdomains == a.include_subdomains &&
                    old->verified == a.verified &&
                    old->value_len == canon_len &&
                    memcmp(inv->str + old->value, canon, canon_len) == 0;
        if (!same) {
            /* The old value's bytes stay behind in the arena until the
             * next snapshot compacts it. */
            uint32_t off = str_add(inv, canon, canon_len);
            if (!off)
                goto oom;
            inv->by_kind[old->kind]--;
            a.asset_id = old->asset_id;
            a.value = off;
            a.value_len = (uint8_t)canon_len;
            *old = a;
            inv->by_kind[a.kind]++;
        }
        if (change)
            *change = same ? AM_INVENTORY_UNCHANGED : AM_INVENTORY_UPDATED;
        if (asset)
            *asset = i;
        return 0;
    }
    if (*slot) {
        snprintf(err, err_size,
                 "field 'asset_id': duplicate asset_id '%.*s' for tenant "
                 "'%.*s'",
                 (int)aid_n, aid, (int)tid_n, tid);
        return -1;
    }
    if (grow((void **)&inv->assets, &inv->cap_assets, inv->n_assets + 1,
             sizeof(*inv->assets)) < 0)
        goto oom;
    if (!(a.asset_id = str_add(inv, aid, aid_n)) ||
        !(a.value = str_add(inv, canon, canon_len)))
        goto oom;
    a.value_len = (uint8_t)canon_len;
    inv->assets[inv->n_assets] = a;
    if (asset)
        *asset = (uint32_t)inv->n_assets;
    *slot = SLOT(hash, ++inv->n_assets);
    inv->asset_idx.used++;
    inv->by_kind[a.kind]++;
    inv->live++;
    if (change)
        *change = AM_INVENTORY_ADDED;
    return 0;
oom:
    snprintf(err, err_size, "out of memory");
    return -1;
}

int am_inventory_add(am_inventory_t *inv, const am_asset_input_t *in,
                     char *err, size_t err_size) {
    return put(inv, in, false, NULL, NULL, err, err_size);
}

int am_inventory_upsert(am_inventory_t *inv, const am_asset_input_t *in,
                        am_inventory_change_t *change, uint32_t *asset,
                        char *err, size_t err_size) {
    return put(inv, in, true, change, asset, err, err_size);
}

int am_inventory_remove(am_inventory_t *inv, const char *tenant_id,
                        size_t tenant_id_len, const char *asset_id,
                        size_t asset_id_len) {
    index_t *ix = &inv->asset_idx;
    uint64_t *slot, hash;
    int64_t t;
    size_t j, k;

    if (inv->readonly || !ix->mask)
        return 1;
    am_csv_trim(&tenant_id, &tenant_id_len);
    am_csv_trim(&asset_id, &asset_id_len);
    /* Interning an unknown tenant here would add it; look it up only. */
    if ((t = tenant_find(inv, tenant_id, tenant_id_len, NULL)) < 0)
        return 1;
    slot = asset_slot(inv, (uint32_t)t, asset_id, asset_id_len, &hash);
    if (!*slot)
        return 1;
    am_asset_t *a = &inv->assets[SLOT_ENTRY(*slot) - 1];
    a->deleted = true;
    inv->by_kind[a->kind]--;
    inv->live--;
    /* Linear probing: close the gap by moving back every later entry of
     * the run whose home lies at or before the hole. */
    j = (size_t)(slot - ix->slots);
    ix->slots[j] = 0;
    for (k = (j + 1) & ix->mask; ix->slots[k]; k = (k + 1) & ix->mask) {
        size_t home = SLOT_HASH(ix->slots[k]) & ix->mask;
        if (((k - home) & ix->mask) >= ((k - j) & ix->mask)) {
            ix->slots[j] = ix->slots[k];
            ix->slots[k] = 0;
            j = k;
        }
    }
    ix->used--;
    return 0;
}

am_inventory_t *am_inventory_snapshot(const am_inventory_t *inv) {
    am_inventory_t *s = calloc(1, sizeof(*s));
    size_t n = 0;

    if (!s)
        return NULL;
    s->readonly = true;
    s->tenants = malloc((inv->n_tenants ? inv->n_tenants : 1) *
                        sizeof(*s->tenants));
    s->assets = malloc((inv->live ? inv->live : 1) * sizeof(*s->assets));
    if (!s->tenants || !s->assets || (!str_add(s, "", 0) && s->str_len == 0))
        goto oom;
    s->cap_tenants = inv->n_tenants;
    s->cap_assets = inv->live;
    for (size_t t = 0; t < inv->n_tenants; t++) {
        const char *id = inv->str + inv->tenants[t];
        if (!(s->tenants[t] = str_add(s, id, strlen(id))))
            goto oom;
    }
    s->n_tenants = inv->n_tenants;
    for (size_t i = 0; i < inv->n_assets; i++) {
        am_asset_t a = inv->assets[i];
        const char *aid = inv->str + a.asset_id;
        if (a.deleted)
            continue;
        if (!(a.asset_id = str_add(s, aid, strlen(aid))) ||
            !(a.value = str_add(s, inv->str + inv->assets[i].value,
                                a.value_len)))
            goto oom;
        s->assets[n++] = a;
    }
    s->n_assets = s->live = n;
    memcpy(s->by_kind, inv->by_kind, sizeof(s->by_kind));
    return s;
oom:
    am_inventory_destroy(s);
    return NULL;
}

/* The loader's state for one file. */
typedef struct loader_s {
    am_inventory_t *inv;
    const char *path;
    const am_inventory_load_opts_t *opts;
    am_inventory_load_stats_t *stats;
    size_t errors;
} loader_t;

static void load_error(loader_t *ld, size_t line, const char *what) {
    ld->errors++;
    ld->stats->bad++;
    if (ld->opts->errors && ld->errors <= ld->opts->max_errors)
        fprintf(ld->opts->errors, "%s:%zu: %s\n", ld->path, line, what);
}

static void progress(loader_t *ld, size_t done, size_t total, bool last) {
    if (!ld->opts->progress || (!last && ld->stats->records % 65536))
        return;
    fprintf(stderr, "\rinventory %s: %zu records (%3.0f%%)%s", ld->path,
            ld->stats->records,
            total ? 100.0 * (double)done / (double)total : 100.0,
            last ? "\n" : "");
}

static void add_record(loader_t *ld, size_t line, const am_asset_input_t *in) {
    char err[512];

    ld->stats->records++;
    if (am_inventory_add(ld->inv, in, err, sizeof(err)) < 0)
        load_error(ld, line, err);
    else
        ld->stats->loaded++;
}

enum { COL_TENANT, COL_ASSET, COL_KIND, COL_VALUE, COL_INC, COL_VER, COL_N };
static const char *const col_names[COL_N] = {
    "tenant_id", "asset_id", "kind", "value", "include_subdomains",
    "verified"};

#define AM_CSV_MAX_FIELDS 64

static int load_csv(loader_t *ld, const am_file_t *f, char *err,
                    size_t err_size) {
    am_csv_t csv;
    am_csv_field_t fl[AM_CSV_MAX_FIELDS];
    int col[COL_N];
    size_t n;
    char why[256];
    int rc;

    am_csv_init(&csv, f->data, f->len);
    rc = am_csv_next(&csv, fl, AM_CSV_MAX_FIELDS, &n, why, sizeof(why));
    if (rc <= 0) {
        snprintf(err, err_size, "%s:%zu: %s", ld->path,
                 rc == 0 ? csv.line : csv.rec_line,
                 rc == 0 ? "empty file (a header row is needed)" : why);
        am_csv_free(&csv);
        return -1;
    }
    for (int c = 0; c < COL_N; c++) {
        col[c] = -1;
        for (size_t i = 0; i < n; i++) {
            const char *s = fl[i].s;
            size_t len = fl[i].len;
            am_csv_trim(&s, &len);
            if (strlen(col_names[c]) == len &&
                strncasecmp(s, col_names[c], len) == 0)
                col[c] = (int)i;
        }
        if (col[c] < 0 && c < COL_INC) {
            snprintf(err, err_size,
                     "%s:%zu: missing column '%s' in the header row (needs "
                     "tenant_id, asset_id, kind, value)",
                     ld->path, csv.rec_line, col_names[c]);
            am_csv_free(&csv);
            return -1;
        }
    }
    while ((rc = am_csv_next(&csv, fl, AM_CSV_MAX_FIELDS, &n, why,
                             sizeof(why))) != 0) {
        am_asset_input_t in;
        const char *v[COL_N];
        size_t vl[COL_N];
        if (rc < 0) {
            ld->stats->records++;
            load_error(ld, csv.rec_line, why);
            continue;
        }
        for (int c = 0; c < COL_N; c++) {
            bool have = col[c] >= 0 && (size_t)col[c] < n;
            v[c] = have ? fl[col[c]].s : (c < COL_INC ? "" : NULL);
            vl[c] = have ? fl[col[c]].len : 0;
        }
        in = (am_asset_input_t){v[COL_TENANT], vl[COL_TENANT],
                                v[COL_ASSET],  vl[COL_ASSET],
                                v[COL_KIND],   vl[COL_KIND],
                                v[COL_VALUE],  vl[COL_VALUE],
                                v[COL_INC],    vl[COL_INC],
                                v[COL_VER],    vl[COL_VER]};
        add_record(ld, csv.rec_line, &in);
        progress(ld, (size_t)(csv.p - f->data), f->len, false);
    }
    am_csv_free(&csv);
    return 0;
}

/* A JSON member as text: strings as they are, booleans and numbers in
 * their JSON spelling (asn 64500, verified false), absent/null as NULL. */
static const char *json_text(json_t *obj, const char *key, size_t *n,
                             char *tmp, size_t tmp_size, bool *bad_type) {
    json_t *v = json_object_get(obj, key);

    *n = 0;
    if (!v || json_is_null(v))
        return NULL;
    if (json_is_string(v)) {
        *n = json_string_length(v);
        return json_string_value(v);
    }
    if (json_is_boolean(v)) {
        *n = (size_t)snprintf(tmp, tmp_size, "%s",
                              json_is_true(v) ? "true" : "false");
        return tmp;
    }
    if (json_is_integer(v)) {
        *n = (size_t)snprintf(tmp, tmp_size, "%lld",
                              (long long)json_integer_value(v));
        return tmp;
    }
    *bad_type = true;
    return NULL;
}

static void add_json_record(loader_t *ld, size_t line, const char *s,
                            size_t n) {
    json_error_t je;
    json_t *obj = json_loadb(s, n, JSON_REJECT_DUPLICATES, &je);
    char tmp[COL_N][24], why[320];
    const char *v[COL_N];
    size_t vl[COL_N];
    bool bad_type = false;

    if (!obj || !json_is_object(obj)) {
        ld->stats->records++;
        snprintf(why, sizeof(why), "not a JSON object: %s",
                 obj ? "another JSON value" : je.text);
        load_error(ld, line, why);
        json_decref(obj);
        return;
    }
    for (int c = 0; c < COL_N; c++) {
        bool bt = false;
        v[c] = json_text(obj, col_names[c], &vl[c], tmp[c], sizeof(tmp[c]),
                         &bt);
        if (!v[c] && c < COL_INC)
            v[c] = "";
        if (bt && !bad_type) {
            bad_type = true;
            snprintf(why, sizeof(why),
                     "field '%s': must be a string, number or boolean",
                     col_names[c]);
        }
    }
    if (bad_type) {
        ld->stats->records++;
        load_error(ld, line, why);
    } else {
        am_asset_input_t in = {v[COL_TENANT], vl[COL_TENANT], v[COL_ASSET],
                               vl[COL_ASSET], v[COL_KIND],    vl[COL_KIND],
                               v[COL_VALUE],  vl[COL_VALUE],  v[COL_INC],
                               vl[COL_INC],   v[COL_VER],     vl[COL_VER]};
        add_record(ld, line, &in);
    }
    json_decref(obj);
}

static int load_jsonl(loader_t *ld, const am_file_t *f) {
    const char *p = f->data, *end = f->data + f->len;
    size_t line = 0;

    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *e = nl ? nl : end;
        const char *s = p;
        size_t n = (size_t)(e - s);
        line++;
        am_csv_trim(&s, &n);
        if (n)
            add_json_record(ld, line, s, n);
        p = nl ? nl + 1 : end;
        progress(ld, (size_t)(p - f->data), f->len, false);
    }
    return 0;
}

int am_inventory_load_file(am_inventory_t *inv, const char *path,
                           const am_inventory_load_opts_t *opts,
                           am_inventory_load_stats_t *stats, char *err,
                           size_t err_size) {
    am_file_t f;
    loader_t ld = {inv, path, opts, stats, 0};
    size_t i = 0;
    int rc;

    memset(stats, 0, sizeof(*stats));
    if (am_file_open(&f, path, err, err_size) < 0)
        return -1;
    while (i < f.len && isspace((unsigned char)f.data[i]))
        i++;
    if (i < f.len && f.data[i] == '{')
        rc = load_jsonl(&ld, &f);
    else
        rc = load_csv(&ld, &f, err, err_size);
    progress(&ld, f.len, f.len, true);
    am_file_close(&f);
    if (rc < 0)
        return -1;
    if (ld.errors > opts->max_errors && opts->errors)
        fprintf(opts->errors, "%s: ... and %zu more errors\n", path,
                ld.errors - opts->max_errors);
    if (ld.errors && !opts->skip_bad) {
        snprintf(err, err_size,
                 "%s: %zu bad record%s (of %zu); fix them or skip them with "
                 "--skip-bad",
                 path, ld.errors, ld.errors == 1 ? "" : "s", stats->records);
        return -1;
    }
    return 0;
}

size_t am_inventory_count(const am_inventory_t *inv) {
    return inv->live;
}

size_t am_inventory_slots(const am_inventory_t *inv) {
    return inv->n_assets;
}

size_t am_inventory_count_kind(const am_inventory_t *inv,
                               am_asset_kind_t kind) {
    return kind >= AM_ASSET_IP && kind <= AM_ASSET_ASN ? inv->by_kind[kind]
                                                       : 0;
}

size_t am_inventory_tenant_count(const am_inventory_t *inv) {
    return inv->n_tenants;
}

const am_asset_t *am_inventory_asset(const am_inventory_t *inv, size_t i) {
    return &inv->assets[i];
}

const char *am_inventory_str(const am_inventory_t *inv, uint32_t off) {
    return inv->str + off;
}

const char *am_inventory_tenant(const am_inventory_t *inv, uint32_t t) {
    return inv->str + inv->tenants[t];
}

size_t am_inventory_memory(const am_inventory_t *inv) {
    return sizeof(*inv) + inv->str_cap +
           inv->cap_tenants * sizeof(*inv->tenants) +
           inv->cap_assets * sizeof(*inv->assets) +
           (inv->tenant_idx.mask + 1) * sizeof(uint64_t) +
           (inv->asset_idx.mask + 1) * sizeof(uint64_t);
}
