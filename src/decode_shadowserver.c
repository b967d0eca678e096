/*
 * decode_shadowserver: see decode_shadowserver.h.
 *
 * A JSON row and a CSV record are first turned into the same list of
 * (column name, value text) pairs, and one function maps that list into an
 * event, so the two transports cannot drift apart.  JSON numbers become
 * their decimal text, which makes a row decode, and hash, the same whether
 * it came from the API as JSON or from a CSV file.
 *
 * Columns:
 *   ip, hostname, asn              observables of scan-style reports
 *   src_ip, src_hostname, src_asn  observables of event reports
 *   timestamp                      time ("2022-01-10 02:20:37", UTC by the
 *                                  report's definition, becomes
 *                                  "2022-01-10T02:20:37Z")
 *   severity, protocol, tag        kept; CVE ids are taken from tag and from
 *                                  vulnerability_id / cve columns
 *   port, else src_port            port
 *   infection                      classification identifier (IntelMQ does
 *                                  the same), when the row names one
 *   report_type, type              the report type; else the file name
 *                                  gives it: YYYY-MM-DD-<type>-<rest>.csv,
 *                                  or <type>.csv for a known family
 *                                  ("scan_rdp.csv")
 *   everything else                context (dst_*, geo, http_*, unknown),
 *                                  JSON values kept as JSON; a CSV row's
 *                                  fields beyond the header under "_extra"
 *
 * An ip that is not an address rejects the row: it is the column the
 * report is about.  A hostname that is not a valid DNS name (anonymised
 * rows, reverse-DNS junk) does not: it goes to the context and the row is
 * matched on its address.  AS number 0 means unknown and is left out.
 *
 * CSV is read with the RFC 4180 reader (csv.h); a record it refuses for
 * text after a closing quote is read again leniently, as Python's csv
 * module (and so IntelMQ) reads it, since real reports have such fields.
 *
 * The event id is "shadowserver:" + SHA-1 over the report type and the
 * row's non-empty (name, value) pairs in name order, so a replayed row, or
 * the same row with its columns in another order, gets the same id.
 */
#include "decode_shadowserver.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "asn_table.h"
#include "csv.h"
#include "jsonw.h"
#include "sha1.h"

/* A header with more columns is not taken for a report (the widest report
 * in the schema has under 100). */
#define SS_MAX_COLUMNS 1024

/* Columns with a meaning; anything else is context. */
enum {
    COL_OTHER = -1,
    COL_TIMESTAMP,
    COL_SEVERITY,
    COL_IP,
    COL_HOSTNAME,
    COL_ASN,
    COL_SRC_IP,
    COL_SRC_HOSTNAME,
    COL_SRC_ASN,
    COL_PORT,
    COL_SRC_PORT,
    COL_PROTOCOL,
    COL_TAG,
    COL_INFECTION,
    COL_REPORT_TYPE,
    COL_TYPE,
    COL_VULN_ID,
    COL_CVE,
    COL__COUNT,
};

static const char *const col_names[COL__COUNT] = {
    "timestamp",  "severity",     "ip",       "hostname",  "asn",
    "src_ip",     "src_hostname", "src_asn",  "port",      "src_port",
    "protocol",   "tag",          "infection", "report_type", "type",
    "vulnerability_id", "cve",
};

/* One column of a row. */
typedef struct ss_field_s {
    const char *name;
    size_t name_len;
    const char *val; /* NULL: JSON null (absent) */
    size_t val_len;
    bool literal;    /* val is JSON text (a number, true, ...), not a string */
    bool dup;        /* a second column of the same name: hashed only */
    bool used;       /* mapped to an event field: not context */
    int col;
} ss_field_t;

static int column_of(const char *name, size_t n) {
    for (int c = 0; c < COL__COUNT; c++)
        if (strlen(col_names[c]) == n &&
            strncasecmp(col_names[c], name, n) == 0)
            return c;
    return COL_OTHER;
}

/* ---- report type from a file name ---------------------------------------- */

/* Report families, for a file named just "<report_type>.csv". */
static const char *const families[] = {
    "scan_",        "scan6_",     "event4_",    "event6_",  "blocklist",
    "compromised_", "device_id",  "malware_url", "population", "sandbox_",
    "spam_url",     "special",    "ransomware_",
};

static bool report_type_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
}

/* The report type in a file name: YYYY-MM-DD-<type>-<anything>.csv, or
 * <type>.csv when <type> is of a known family.  Directories are ignored.
 * @returns the length of the type at *type, or 0. */
static size_t type_from_name(const char *name, const char **type) {
    const char *base, *end, *t;
    size_t n;

    if (!name)
        return 0;
    base = strrchr(name, '/');
    base = base ? base + 1 : name;
    n = strlen(base);
    if (n < 5 || strcasecmp(base + n - 4, ".csv") != 0)
        return 0;
    end = base + n - 4;
    if (n > 15 && isdigit((unsigned char)base[0]) &&
        isdigit((unsigned char)base[1]) && isdigit((unsigned char)base[2]) &&
        isdigit((unsigned char)base[3]) && base[4] == '-' &&
        isdigit((unsigned char)base[5]) && isdigit((unsigned char)base[6]) &&
        base[7] == '-' && isdigit((unsigned char)base[8]) &&
        isdigit((unsigned char)base[9]) && base[10] == '-') {
        t = base + 11;
        const char *dash = memchr(t, '-', (size_t)(end - t));
        /* "<type>-" and at least one byte before ".csv". */
        if (!dash || dash == t || dash + 1 >= end)
            return 0;
        *type = t;
        return (size_t)(dash - t);
    }
    for (t = base; t < end; t++)
        if (!report_type_char(*t))
            return 0;
    for (size_t i = 0; i < sizeof(families) / sizeof(families[0]); i++)
        if (strncmp(base, families[i], strlen(families[i])) == 0) {
            *type = base;
            return (size_t)(end - base);
        }
    return 0;
}

/* ---- value helpers ------------------------------------------------------- */

/* The non-empty value of \p f, trimmed, or false. */
static bool value(const ss_field_t *f, const char **s, size_t *n) {
    if (!f || !f->val)
        return false;
    *s = f->val;
    *n = f->val_len;
    am_csv_trim(s, n);
    return *n > 0;
}

static int copy(am_event_t *ev, const ss_field_t *f, const char **dst,
                char *err, size_t err_size) {
    const char *s;
    size_t n;

    if (!value(f, &s, &n))
        return 0;
    if (!(*dst = am_event_strdup(ev, s, n))) {
        snprintf(err, err_size, "field '%.*s': longer than %d bytes",
                 (int)f->name_len, f->name, AM_EVENT_MAX_STR);
        return -1;
    }
    return 0;
}

static void lower(char *s) {
    for (; *s; s++)
        *s = (char)tolower((unsigned char)*s);
}

static bool all_digits(const char *s, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (!isdigit((unsigned char)s[i]))
            return false;
    return n > 0;
}

/*
 * "YYYY-MM-DD HH:MM:SS[.frac]" with no zone, or a zone of UTC ("Z", "+00",
 * "+0000", "+00:00", " UTC"), becomes "YYYY-MM-DDTHH:MM:SS[.frac]Z";
 * anything else is kept as given.
 */
static const char *normalise_time(am_event_t *ev, const char *s, size_t n) {
    char out[64];
    size_t i = 19, frac;

    if (n < 19 || n > 48 || !all_digits(s, 4) || s[4] != '-' ||
        !all_digits(s + 5, 2) || s[7] != '-' || !all_digits(s + 8, 2) ||
        (s[10] != ' ' && s[10] != 'T') || !all_digits(s + 11, 2) ||
        s[13] != ':' || !all_digits(s + 14, 2) || s[16] != ':' ||
        !all_digits(s + 17, 2))
        return am_event_strdup(ev, s, n);
    if (i < n && s[i] == '.') {
        for (i++; i < n && isdigit((unsigned char)s[i]); i++)
            ;
    }
    frac = i;
    if (i < n && s[i] == ' ')
        i++;
    if (!(i == n || (n - i == 1 && (s[i] == 'Z' || s[i] == 'z')) ||
          (n - i == 3 && memcmp(s + i, "+00", 3) == 0) ||
          (n - i == 5 && memcmp(s + i, "+0000", 5) == 0) ||
          (n - i == 6 && memcmp(s + i, "+00:00", 6) == 0) ||
          (n - i == 3 && strncasecmp(s + i, "UTC", 3) == 0)))
        return am_event_strdup(ev, s, n);
    memcpy(out, s, frac);
    out[10] = 'T';
    out[frac] = 'Z';
    return am_event_strdup(ev, out, frac + 1);
}

/* An integer port in 0..65535. */
static int parse_port(const ss_field_t *f, int *port, char *err,
                      size_t err_size) {
    const char *s;
    size_t n;
    long v = 0;

    if (!value(f, &s, &n))
        return 0;
    if (n > 5 || !all_digits(s, n)) {
        snprintf(err, err_size, "field '%.*s': '%.*s' is not a port number",
                 (int)f->name_len, f->name, (int)(n > 40 ? 40 : n), s);
        return -1;
    }
    for (size_t i = 0; i < n; i++)
        v = v * 10 + (s[i] - '0');
    if (v > 65535) {
        snprintf(err, err_size, "field '%.*s': %ld out of range 0..65535",
                 (int)f->name_len, f->name, v);
        return -1;
    }
    *port = (int)v;
    return 0;
}

/* ip or src_ip: required to be an address (or a range: blocklists list
 * whole networks). */
static int add_ip(am_event_t *ev, ss_field_t *f, char *err, size_t err_size) {
    const char *s;
    size_t n;
    char why[320];

    if (!value(f, &s, &n))
        return 0;
    if (am_event_add_observable(ev, memchr(s, '/', n) ? AM_OBS_CIDR : AM_OBS_IP,
                                s, n, why, sizeof(why)) < 0) {
        snprintf(err, err_size, "field '%.*s': %s", (int)f->name_len, f->name,
                 why);
        return -1;
    }
    f->used = true;
    return 0;
}

/* hostname: matched when it is a valid name, else left to the context. */
static void add_hostname(am_event_t *ev, ss_field_t *f) {
    const char *s;
    size_t n;
    char why[320];

    if (!value(f, &s, &n)) {
        if (f)
            f->used = true;
        return;
    }
    if (am_event_add_observable(ev, AM_OBS_DOMAIN, s, n, why, sizeof(why)) ==
        0)
        f->used = true;
}

/* asn: 0 is "unknown"; anything that is no AS number rejects the row. */
static int add_asn(am_event_t *ev, ss_field_t *f, char *err, size_t err_size) {
    const char *s;
    size_t n;
    uint32_t asn;
    char why[320];

    if (!value(f, &s, &n)) {
        if (f)
            f->used = true;
        return 0;
    }
    f->used = true;
    if (am_asn_parse(s, n, &asn, why, sizeof(why)) == 0 && asn == 0)
        return 0;
    if (am_event_add_observable(ev, AM_OBS_ASN, s, n, why, sizeof(why)) < 0) {
        snprintf(err, err_size, "field '%.*s': %s", (int)f->name_len, f->name,
                 why);
        return -1;
    }
    return 0;
}

/* ---- context and id ------------------------------------------------------ */

/* The unused columns (and a CSV row's fields beyond the header, under
 * "_extra") as one JSON object; members that would make it longer than an
 * event string may be are left out, and "_truncated": true says so. */
static int build_context(am_event_t *ev, am_buf_t *b, ss_field_t *fields,
                         size_t n, const am_csv_field_t *extra,
                         size_t n_extra, char *err, size_t err_size) {
    const size_t limit = AM_EVENT_MAX_STR - 32;
    bool truncated = false;

    am_buf_reset(b);
    for (size_t i = 0; i < n; i++) {
        const ss_field_t *f = &fields[i];
        if (f->used || f->dup || !f->val || (!f->literal && f->val_len == 0))
            continue;
        if (b->len == 0)
            am_buf_putc(b, '{');
        else
            am_buf_putc(b, ',');
        size_t mark = b->len - 1;
        am_jsonw_str(b, f->name, f->name_len);
        am_buf_putc(b, ':');
        if (f->literal)
            am_buf_append(b, f->val, f->val_len);
        else
            am_jsonw_str(b, f->val, f->val_len);
        if (b->len > limit) {
            b->len = mark;
            truncated = true;
        }
    }
    if (n_extra) {
        size_t mark = b->len;
        am_buf_puts(b, b->len ? ",\"_extra\":[" : "{\"_extra\":[");
        for (size_t i = 0; i < n_extra; i++) {
            if (i)
                am_buf_putc(b, ',');
            am_jsonw_str(b, extra[i].s, extra[i].len);
        }
        am_buf_putc(b, ']');
        if (b->len > limit) {
            b->len = mark;
            truncated = true;
        }
    }
    if (truncated)
        am_buf_puts(b, b->len ? ",\"_truncated\":true"
                              : "{\"_truncated\":true");
    if (b->len == 0)
        return 0;
    am_buf_putc(b, '}');
    if (b->oom) {
        snprintf(err, err_size, "out of memory");
        return -1;
    }
    ev->context = am_event_strdup(ev, b->data, b->len);
    if (!ev->context) {
        snprintf(err, err_size, "out of memory");
        return -1;
    }
    return 0;
}

static int cmp_fields(const void *a, const void *b) {
    const ss_field_t *x = *(ss_field_t *const *)a, *y = *(ss_field_t *const *)b;
    size_t n = x->name_len < y->name_len ? x->name_len : y->name_len;
    int c = memcmp(x->name, y->name, n);

    if (c)
        return c;
    if (x->name_len != y->name_len)
        return x->name_len < y->name_len ? -1 : 1;
    return x < y ? -1 : x > y; /* columns of one name: in row order */
}

static void hash_part(am_sha1_t *h, const char *s, size_t n) {
    unsigned char len[8];

    for (int i = 0; i < 8; i++)
        len[i] = (unsigned char)((uint64_t)n >> (8 * i));
    am_sha1_update(h, len, sizeof(len));
    am_sha1_update(h, s, n);
}

/* "shadowserver:" + hex SHA-1 of the report type and the sorted, non-empty
 * (name, value) pairs; report_type/type columns are left out, so a row read
 * from a file (type in the name) and from the API (type in a field) agree. */
static int make_id(am_event_t *ev, ss_field_t *fields, size_t n,
                   const am_csv_field_t *extra, size_t n_extra, char *err,
                   size_t err_size) {
    ss_field_t **order =
        am_arena_alloc(&ev->arena, (n ? n : 1) * sizeof(*order));
    unsigned char md[AM_SHA1_LEN];
    char id[13 + 2 * AM_SHA1_LEN + 1];
    am_sha1_t h;
    size_t k = 0;
    const char *rt = ev->report_type ? ev->report_type : "";

    if (!order) {
        snprintf(err, err_size, "out of memory");
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        const char *s;
        size_t len;
        if (fields[i].col != COL_REPORT_TYPE && fields[i].col != COL_TYPE &&
            value(&fields[i], &s, &len))
            order[k++] = &fields[i];
    }
    qsort(order, k, sizeof(*order), cmp_fields);
    am_sha1_init(&h);
    hash_part(&h, rt, strlen(rt));
    for (size_t i = 0; i < k; i++) {
        const char *s;
        size_t len;
        value(order[i], &s, &len);
        hash_part(&h, order[i]->name, order[i]->name_len);
        hash_part(&h, s, len);
    }
    for (size_t i = 0; i < n_extra; i++) {
        hash_part(&h, "", 0);
        hash_part(&h, extra[i].s, extra[i].len);
    }
    am_sha1_final(&h, md);
    memcpy(id, "shadowserver:", 13);
    am_sha1_hex(md, id + 13);
    ev->id = am_event_strdup(ev, id, 13 + 2 * AM_SHA1_LEN);
    if (!ev->id) {
        snprintf(err, err_size, "out of memory");
        return -1;
    }
    return 0;
}

/* ---- one row ------------------------------------------------------------- */

/*
 * Maps a row into \p ev (already reset).  \p file_type is the report type
 * from the file name (NULL when none); \p extra are a CSV record's fields
 * beyond the header.
 */
static int decode_row(am_event_t *ev, ss_field_t *fields, size_t n,
                      const char *file_type, size_t file_type_len,
                      const am_csv_field_t *extra, size_t n_extra,
                      am_buf_t *ctxbuf, char *err, size_t err_size) {
    ss_field_t *col[COL__COUNT] = {0};
    const char *s;
    size_t len;
    char *sev;

    for (size_t i = 0; i < n; i++) {
        ss_field_t *f = &fields[i];
        f->used = false;
        f->col = column_of(f->name, f->name_len);
        if (f->col != COL_OTHER && !col[f->col] && !f->dup)
            col[f->col] = f;
    }
    ev->kind = AM_EVENT_SCAN;
    ev->format = "shadowserver";
    ev->source = "shadowserver";

    /* Report type: a field, else the file name. */
    if (value(col[COL_REPORT_TYPE], &s, &len) || value(col[COL_TYPE], &s, &len))
        ev->report_type = am_event_strdup(ev, s, len);
    else if (file_type)
        ev->report_type = am_event_strdup(ev, file_type, file_type_len);
    if (col[COL_REPORT_TYPE])
        col[COL_REPORT_TYPE]->used = true;
    if (col[COL_TYPE])
        col[COL_TYPE]->used = true;
    if (ev->report_type) {
        lower((char *)ev->report_type);
        ev->feed = ev->report_type;
    }

    /* Observables: the reported host. */
    if (add_ip(ev, col[COL_IP], err, err_size) < 0 ||
        add_ip(ev, col[COL_SRC_IP], err, err_size) < 0)
        return -1;
    add_hostname(ev, col[COL_HOSTNAME]);
    add_hostname(ev, col[COL_SRC_HOSTNAME]);
    if (add_asn(ev, col[COL_ASN], err, err_size) < 0 ||
        add_asn(ev, col[COL_SRC_ASN], err, err_size) < 0)
        return -1;
    if (ev->n_obs == 0) {
        snprintf(err, err_size, "no observable (ip, hostname, asn, src_ip, "
                 "src_hostname, src_asn)");
        return -1;
    }

    if (value(col[COL_PORT], &s, &len)) {
        if (parse_port(col[COL_PORT], &ev->port, err, err_size) < 0)
            return -1;
        col[COL_PORT]->used = true;
    } else if (value(col[COL_SRC_PORT], &s, &len)) {
        if (parse_port(col[COL_SRC_PORT], &ev->port, err, err_size) < 0)
            return -1;
        col[COL_SRC_PORT]->used = true;
    }
    if (value(col[COL_TIMESTAMP], &s, &len)) {
        if (!(ev->time = normalise_time(ev, s, len))) {
            snprintf(err, err_size, "field 'timestamp': out of memory");
            return -1;
        }
        col[COL_TIMESTAMP]->used = true;
    }
    if (copy(ev, col[COL_SEVERITY], &ev->severity, err, err_size) < 0 ||
        copy(ev, col[COL_PROTOCOL], &ev->protocol, err, err_size) < 0 ||
        copy(ev, col[COL_TAG], &ev->tag, err, err_size) < 0 ||
        copy(ev, col[COL_INFECTION], &ev->identifier, err, err_size) < 0)
        return -1;
    if ((sev = (char *)ev->severity))
        lower(sev);
    {
        static const int kept[] = {COL_SEVERITY, COL_PROTOCOL, COL_TAG,
                                   COL_INFECTION};
        for (size_t k = 0; k < sizeof(kept) / sizeof(kept[0]); k++)
            if (col[kept[k]])
                col[kept[k]]->used = true;
    }
    /* CVE ids: the tag list ("exchange;cve-2021-26855") and the columns
     * that name a vulnerability (these stay in the context too). */
    if (ev->tag)
        am_event_scan_cves(ev, ev->tag, strlen(ev->tag));
    if (value(col[COL_VULN_ID], &s, &len))
        am_event_scan_cves(ev, s, len);
    if (value(col[COL_CVE], &s, &len))
        am_event_scan_cves(ev, s, len);

    if (build_context(ev, ctxbuf, fields, n, extra, n_extra, err, err_size) <
        0)
        return -1;
    return make_id(ev, fields, n, extra, n_extra, err, err_size);
}

/* ---- JSON ---------------------------------------------------------------- */

int am_decode_shadowserver_obj(json_t *root, const am_decode_hint_t *hint,
                               am_event_t *ev, char *err, size_t err_size) {
    size_t n = json_object_size(root), i = 0;
    ss_field_t *fields = am_arena_alloc(&ev->arena,
                                        (n ? n : 1) * sizeof(*fields));
    const char *key, *file_type = NULL;
    size_t file_type_len = type_from_name(hint ? hint->name : NULL, &file_type);
    json_t *v;
    am_buf_t ctxbuf;
    int rc;

    if (!fields) {
        snprintf(err, err_size, "out of memory");
        return -1;
    }
    json_object_foreach(root, key, v) {
        ss_field_t *f = &fields[i++];
        char num[32];
        memset(f, 0, sizeof(*f));
        f->name = key;
        f->name_len = strlen(key);
        if (json_is_string(v)) {
            f->val = json_string_value(v);
            f->val_len = json_string_length(v);
            continue;
        }
        if (json_is_null(v))
            continue;
        f->literal = true;
        if (json_is_integer(v)) {
            int len = snprintf(num, sizeof(num), "%lld",
                               (long long)json_integer_value(v));
            f->val = am_event_strdup(ev, num, (size_t)len);
            f->val_len = (size_t)len;
        } else {
            char *text = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS |
                                           JSON_ENCODE_ANY);
            if (text) {
                f->val_len = strlen(text);
                f->val = am_event_strdup(ev, text, f->val_len);
            }
            free(text);
        }
        if (!f->val) {
            snprintf(err, err_size, "field '%s': value too long", key);
            return -1;
        }
    }
    am_buf_init(&ctxbuf);
    rc = decode_row(ev, fields, n, file_type_len ? file_type : NULL,
                    file_type_len, NULL, 0, &ctxbuf, err, err_size);
    am_buf_free(&ctxbuf);
    return rc;
}

/* ---- CSV ----------------------------------------------------------------- */

/*
 * Re-reads, leniently, a record the RFC 4180 reader refused with "text
 * after a closing quote".  Shadowserver writes some HTTP header values with
 * backslash-escaped quotes inside a quoted field ("Basic realm=\"x\""),
 * which strict CSV cannot read; Python's csv module, which IntelMQ uses,
 * reads them.  Here, as there, a doubled quote inside a quoted field is
 * one quote, and a quote followed by anything but a comma or the end of
 * the line ends the quoted part: the rest of the field, up to the next
 * comma, is taken as it stands.  The fields are unescaped
 * into \p *buf (grown as needed).
 * @returns true with the fields, false when the text is still not a record.
 */
static bool lenient_record(const char *p, const char *end, am_csv_field_t *rec,
                           size_t max, size_t *n, char **buf, size_t *cap) {
    size_t nf = 0, used = 0, need = (size_t)(end - p) + 1;
    size_t off[SS_MAX_COLUMNS];

    while (p < end && (*p == '\n' || *p == '\r')) /* blank lines */
        p++;
    while (end > p && (end[-1] == '\n' || end[-1] == '\r'))
        end--;
    if (need > *cap) {
        char *nb = realloc(*buf, need);
        if (!nb)
            return false;
        *buf = nb;
        *cap = need;
    }
    for (;;) {
        if (nf == max)
            return false;
        off[nf] = used;
        if (p < end && *p == '"') {
            for (p++;; p++) {
                if (p >= end)
                    return false; /* still open at the end of the line */
                if (*p != '"') {
                    (*buf)[used++] = *p;
                } else if (p + 1 < end && p[1] == '"') {
                    (*buf)[used++] = '"';
                    p++;
                } else if (p + 1 == end || p[1] == ',') {
                    p++;
                    break;
                } else {
                    /* Text after the quote: the rest of the field up to
                     * the next comma is text, quotes included. */
                    for (p++; p < end && *p != ','; p++)
                        (*buf)[used++] = *p;
                    break;
                }
            }
        } else {
            while (p < end && *p != ',')
                (*buf)[used++] = *p++;
        }
        rec[nf].len = used - off[nf];
        nf++;
        if (p >= end)
            break;
        p++; /* the comma */
    }
    for (size_t i = 0; i < nf; i++)
        rec[i].s = *buf + off[i];
    *n = nf;
    return true;
}


int am_decode_shadowserver_csv(const char *buf, size_t len,
                               const am_decode_hint_t *hint, am_event_t *ev,
                               const am_decode_sink_t *sink) {
    am_csv_t csv;
    am_csv_field_t *rec = malloc(SS_MAX_COLUMNS * sizeof(*rec));
    ss_field_t *fields = NULL;
    char *names = NULL;
    size_t ncols = 0, nrec, total = 0;
    const char *file_type = NULL;
    size_t file_type_len = type_from_name(hint ? hint->name : NULL, &file_type);
    bool has_ip = false;
    char err[512];
    am_buf_t ctxbuf;
    char *lbuf = NULL; /* fields of a leniently read record */
    size_t lcap = 0;
    int rc, events = 0;

    am_csv_init(&csv, buf, len);
    am_buf_init(&ctxbuf);
    if (!rec) {
        sink->reject(-1, "out of memory", sink->opaque);
        return -1;
    }
    /* The header: names copied, since fields die with the next record. */
    rc = am_csv_next(&csv, rec, SS_MAX_COLUMNS, &ncols, err, sizeof(err));
    if (rc <= 0) {
        char why[600];
        snprintf(why, sizeof(why), "not a Shadowserver report: %s",
                 rc == 0 ? "no header line" : err);
        sink->reject(-1, why, sink->opaque);
        events = -1;
        goto out;
    }
    for (size_t i = 0; i < ncols; i++)
        total += rec[i].len + 1;
    names = malloc(total ? total : 1);
    fields = calloc(ncols, sizeof(*fields));
    if (!names || !fields) {
        sink->reject(-1, "out of memory", sink->opaque);
        events = -1;
        goto out;
    }
    total = 0;
    for (size_t i = 0; i < ncols; i++) {
        const char *s = rec[i].s;
        size_t n = rec[i].len;
        am_csv_trim(&s, &n);
        memcpy(names + total, s, n);
        names[total + n] = '\0';
        fields[i].name = names + total;
        fields[i].name_len = n;
        total += n + 1;
        for (size_t j = 0; j < i; j++)
            if (fields[j].name_len == n &&
                strncasecmp(fields[j].name, fields[i].name, n) == 0)
                fields[i].dup = true;
        int c = column_of(fields[i].name, n);
        has_ip |= c == COL_IP || c == COL_SRC_IP;
    }
    if (!has_ip) {
        sink->reject(-1, "not a Shadowserver report: the header names no "
                     "'ip' or 'src_ip' column", sink->opaque);
        events = -1;
        goto out;
    }

    for (;;) {
        const char *start = csv.p;
        rc = am_csv_next(&csv, rec, SS_MAX_COLUMNS, &nrec, err, sizeof(err));
        if (rc == 0)
            break;
        if (rc < 0 && !(strcmp(err, "text after a closing quote") == 0 &&
                        lenient_record(start, csv.p, rec, SS_MAX_COLUMNS,
                                       &nrec, &lbuf, &lcap))) {
            char why[600];
            snprintf(why, sizeof(why), "CSV: %s", err);
            sink->reject((long)csv.rec_line, why, sink->opaque);
            continue;
        }
        for (size_t i = 0; i < ncols; i++) {
            fields[i].val = i < nrec ? rec[i].s : NULL;
            fields[i].val_len = i < nrec ? rec[i].len : 0;
        }
        am_event_reset(ev);
        if (decode_row(ev, fields, ncols, file_type_len ? file_type : NULL,
                       file_type_len, nrec > ncols ? rec + ncols : NULL,
                       nrec > ncols ? nrec - ncols : 0, &ctxbuf, err,
                       sizeof(err)) < 0) {
            sink->reject((long)csv.rec_line, err, sink->opaque);
            continue;
        }
        events++;
        if (sink->event(ev, sink->opaque))
            break;
    }
out:
    free(lbuf);
    am_buf_free(&ctxbuf);
    am_csv_free(&csv);
    free(fields);
    free(names);
    free(rec);
    return events;
}
