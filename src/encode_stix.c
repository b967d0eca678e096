/*
 * encode_stix: see encode_stix.h.
 *
 * The Bundle of one notification, in this order (references point
 * backwards, so a consumer that stores objects as they come never sees a
 * dangling one):
 *
 *   identity            the service ("assetmatch", identity_class system)
 *   identity            the tenant (name = tenant id, organization)
 *   marking-definition  the event's TLP, when it has one
 *   indicator           an indicator event
 *   | SCOs, observed-data   a scan event: one SCO per observable
 *   sighting            of the indicator / observed data, where_sighted
 *                       = the tenant, created_by = the service
 *
 * Ids, all deterministic so that a replayed event gives the same bytes:
 *
 *   bundle, sighting    UUIDv5(notification id, "bundle" / "sighting"):
 *                       one per (tenant, event)
 *   indicator           the event's own id when it is a STIX indicator id,
 *                       else UUIDv5(AM_STIX_NS, "indicator\n" event id)
 *   observed-data       UUIDv5(AM_STIX_NS, "observed-data\n" event id)
 *   tenant identity     UUIDv5(AM_STIX_NS, "tenant\n" tenant id): one
 *                       Identity per tenant, across all its notifications
 *   service identity    UUIDv5(AM_STIX_NS, "service\nassetmatch")
 *   SCOs                UUIDv5(STIX SCO namespace, JCS of the contributing
 *                       properties), as STIX 2.1 section 2.9 requires, so
 *                       they merge with the same SCO from any producer
 *
 * The event-scoped objects (indicator, observed data) are identical in the
 * notifications of every tenant the event matched.
 *
 * An Indicator that keeps its STIX id keeps its pattern as received: the
 * pair (id, modified) names one version of an object (STIX 3.6), so the
 * same id must not come back with another pattern.  Without an original
 * pattern, the pattern is rebuilt from the observables, one comparison
 * each, OR-joined in one observation expression.
 *
 * Timestamps come from the event (time, valid_from), converted to the
 * STIX form with at least milliseconds; match_time is the fallback, and
 * the clock when even that is absent.
 */
#include "encode_stix.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "stix_pattern.h"

/* The namespace of the ids this encoder makes (a random UUID fixed for
 * good, like AM_NOTIFICATION_NS). */
#define AM_STIX_NS "27d9f830-a7e8-4703-b11c-12e7f84a0fc9"
/* STIX 2.1 section 2.9: the namespace of SCO ids. */
#define STIX_SCO_NS "00abedb4-aa42-466c-9c01-fed23315a9b7"
/* created/modified of the two Identities: fixed, so that every
 * notification carries the same version of them. */
#define IDENTITY_CREATED "2026-01-01T00:00:00.000Z"
#define TLP2_EXTENSION                                                      \
    "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d"

/* TLP 1.0 for white/green/amber/red, which every STIX 2.1 consumer knows
 * (section 7.2.1); TLP 2.0 where 1.0 has no such level. */
static const struct {
    const char *level;
    const char *id;
    const char *name;
    bool v2;
} tlps[] = {
    {"white", "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9",
     "TLP:WHITE", false},
    {"green", "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da",
     "TLP:GREEN", false},
    {"amber", "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82",
     "TLP:AMBER", false},
    {"red", "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed",
     "TLP:RED", false},
    {"clear", "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487",
     "TLP:CLEAR", true},
    {"amber+strict",
     "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003",
     "TLP:AMBER+STRICT", true},
};
#define N_TLPS (sizeof(tlps) / sizeof(tlps[0]))

/* indicator-type-ov (STIX 10.10): a category from this list goes to
 * indicator_types, anything else to labels. */
static const char *const indicator_types[] = {
    "anomalous-activity", "anonymization", "benign",     "compromised",
    "malicious-activity", "attribution",   "unknown",
};

/* What one observable is as an SCO and in a pattern. */
typedef struct sco_s {
    const char *type;  /* "ipv4-addr", "domain-name", ... */
    const char *value; /* the value property, or the AS number as text */
    size_t len;
    bool number;       /* autonomous-system: "number", an integer */
    char text[AM_IPADDR_STRLEN];
} sco_t;

typedef struct enc_s {
    am_buf_t *b;
    am_buf_t tmp; /* scratch for patterns, descriptions and JCS */
    const am_notification_t *nt;
    const char *tenant;
    char time[AM_STIX_TIME_STRLEN];  /* event time, or match time */
    int tlp;                         /* index in tlps, or -1 */
    char service[64];                /* identity--... of the service */
    char tenant_id[64];              /* identity--... of the tenant */
    char subject[64];                /* indicator--... / observed-data--... */
} enc_t;

/* ---- small writers ----------------------------------------------------- */

static void comma(am_buf_t *b) { am_buf_putc(b, ','); }

static void kv_str(am_buf_t *b, const char *key, const char *v) {
    comma(b);
    am_jsonw_kv_str(b, key, v);
}

static void kv_int(am_buf_t *b, const char *key, int64_t v) {
    comma(b);
    am_jsonw_kv_int(b, key, v);
}

static void kv_list1(am_buf_t *b, const char *key, const char *v) {
    comma(b);
    am_jsonw_key(b, key);
    am_buf_putc(b, '[');
    am_jsonw_str(b, v, strlen(v));
    am_buf_putc(b, ']');
}

/* '{' "type", "spec_version", "id" of an object. */
static void begin(am_buf_t *b, const char *type, const char *id) {
    am_buf_putc(b, '{');
    am_jsonw_kv_str(b, "type", type);
    kv_str(b, "spec_version", "2.1");
    kv_str(b, "id", id);
}

static void created(enc_t *e, const char *t) {
    kv_str(e->b, "created", t);
    kv_str(e->b, "modified", t);
}

static void markings(enc_t *e) {
    if (e->tlp >= 0)
        kv_list1(e->b, "object_marking_refs", tlps[e->tlp].id);
}

/* "<type>--" UUIDv5(ns, name) into out (64 bytes). */
static void make_id(char out[64], const char *type, const char *ns,
                    const void *name, size_t n) {
    char uuid[AM_UUID_STRLEN];

    am_uuid5(ns, name, n, uuid);
    snprintf(out, 64, "%s--%s", type, uuid);
}

/* "<type>--" UUIDv5(AM_STIX_NS, "<what>\n<key>"), via e->tmp. */
static void scoped_id(enc_t *e, char out[64], const char *type,
                      const char *what, const char *key) {
    am_buf_reset(&e->tmp);
    am_buf_printf(&e->tmp, "%s\n%s", what, key);
    make_id(out, type, AM_STIX_NS, e->tmp.data ? e->tmp.data : "",
            e->tmp.len);
}

static bool is_hex(char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
           (c >= 'A' && c <= 'F');
}

/* The STIX identifier pattern (STANDARDS 1.1) for type "indicator". */
static bool is_indicator_id(const char *s) {
    static const char shape[] = "xxxxxxxx-xxxx-Vxxx-Wxxx-xxxxxxxxxxxx";

    if (!s || strncmp(s, "indicator--", 11) != 0 ||
        strlen(s) != 11 + sizeof(shape) - 1)
        return false;
    s += 11;
    for (size_t i = 0; shape[i]; i++) {
        char c = s[i];
        if (shape[i] == '-' ? c != '-'
            : shape[i] == 'V' ? !(c >= '1' && c <= '5')
            : shape[i] == 'W' ? !strchr("89abAB", c)
                              : !is_hex(c))
            return false;
    }
    return true;
}

/* \p s as a STIX timestamp into out (and *t); false when it is not a
 * time. */
static bool stix_time_t(const char *s, char out[AM_STIX_TIME_STRLEN],
                        am_stix_time_t *t) {
    if (!s || am_stix_time_parse(s, strlen(s), t) < 0)
        return false;
    am_stix_time_format(t, out);
    return true;
}

static bool stix_time(const char *s, char out[AM_STIX_TIME_STRLEN]) {
    am_stix_time_t t;

    return stix_time_t(s, out, &t);
}

/* The index in tlps of the event's TLP ("AMBER", "TLP:amber+strict"). */
static int tlp_index(const char *s) {
    char norm[16];
    size_t k = 0;

    if (!s)
        return -1;
    if (strncasecmp(s, "tlp:", 4) == 0)
        s += 4;
    for (; *s && k + 1 < sizeof(norm); s++)
        if (*s != ' ')
            norm[k++] = (char)(*s >= 'A' && *s <= 'Z' ? *s + 32 : *s);
    norm[k] = '\0';
    for (size_t i = 0; i < N_TLPS; i++)
        if (strcmp(norm, tlps[i].level) == 0)
            return (int)i;
    return -1;
}

/* ---- SCOs and pattern comparisons -------------------------------------- */

static void sco_of(const am_observable_t *o, sco_t *s) {
    memset(s, 0, sizeof(*s));
    if (o->target == AM_TARGET_ASN) {
        s->type = "autonomous-system";
        s->number = true;
        s->len = (size_t)snprintf(s->text, sizeof(s->text), "%u",
                                  (unsigned)o->asn);
        s->value = s->text;
    } else if (o->type == AM_OBS_URL) {
        s->type = "url";
        s->value = o->value;
        s->len = strlen(o->value);
    } else if (o->type == AM_OBS_EMAIL) {
        s->type = "email-addr";
        s->value = o->value;
        s->len = strlen(o->value);
    } else if (o->target == AM_TARGET_IP) {
        s->type = o->prefix.family == AM_IPADDR_V4 ? "ipv4-addr" : "ipv6-addr";
        s->len = am_ipaddr_format(&o->prefix, s->text, sizeof(s->text));
        s->value = s->text;
    } else {
        s->type = "domain-name";
        s->value = o->host;
        s->len = o->host_len;
    }
}

static bool sco_eq(const sco_t *a, const sco_t *b) {
    return strcmp(a->type, b->type) == 0 && a->len == b->len &&
           memcmp(a->value, b->value, a->len) == 0;
}

/* True when observable \p i is the same SCO as an earlier one. */
static bool seen_before(const am_event_t *ev, size_t i, const sco_t *s) {
    sco_t t;

    for (size_t j = 0; j < i; j++) {
        sco_of(&ev->obs[j], &t);
        if (sco_eq(s, &t))
            return true;
    }
    return false;
}

/* Appends \p n bytes at \p s as a JSON string the way RFC 8785 (JCS)
 * serialises it: only '"', '\\' and control characters escaped, the
 * two-character forms where they exist.  A byte that is not valid UTF-8
 * stands for the code point of that value, which is how am_jsonw_str()
 * writes it and so what a consumer reads. */
static void jcs_str(am_buf_t *b, const char *s, size_t n) {
    const unsigned char *u = (const unsigned char *)s;

    am_buf_putc(b, '"');
    for (size_t i = 0; i < n; i++) {
        unsigned char c = u[i];
        size_t len = c < 0x80 ? 1 : c < 0xc2 ? 0 : c < 0xe0 ? 2
                     : c < 0xf0 ? 3 : c < 0xf5 ? 4 : 0;
        bool valid = len > 0 && i + len <= n;

        for (size_t k = 1; valid && k < len; k++)
            valid = (u[i + k] & 0xc0) == 0x80;
        /* Overlong, surrogate and out-of-range forms. */
        if (valid && len == 3)
            valid = !(c == 0xe0 && u[i + 1] < 0xa0) &&
                    !(c == 0xed && u[i + 1] >= 0xa0);
        if (valid && len == 4)
            valid = !(c == 0xf0 && u[i + 1] < 0x90) &&
                    !(c == 0xf4 && u[i + 1] >= 0x90);
        if (!valid) {
            am_buf_putc(b, (char)(0xc0 | c >> 6));
            am_buf_putc(b, (char)(0x80 | (c & 0x3f)));
        } else if (len > 1) {
            am_buf_append(b, u + i, len);
            i += len - 1;
        } else if (c == '"' || c == '\\') {
            am_buf_putc(b, '\\');
            am_buf_putc(b, (char)c);
        } else if (c < 0x20) {
            const char *esc = c == '\b'   ? "\\b"
                              : c == '\f' ? "\\f"
                              : c == '\n' ? "\\n"
                              : c == '\r' ? "\\r"
                              : c == '\t' ? "\\t"
                                          : NULL;
            if (esc)
                am_buf_puts(b, esc);
            else
                am_buf_printf(b, "\\u%04x", c);
        } else {
            am_buf_putc(b, (char)c);
        }
    }
    am_buf_putc(b, '"');
}

static void sco_id(enc_t *e, const sco_t *s, char out[64]) {
    am_buf_reset(&e->tmp);
    if (s->number) {
        am_buf_printf(&e->tmp, "{\"number\":%.*s}", (int)s->len, s->value);
    } else {
        am_buf_puts(&e->tmp, "{\"value\":");
        jcs_str(&e->tmp, s->value, s->len);
        am_buf_putc(&e->tmp, '}');
    }
    make_id(out, s->type, STIX_SCO_NS, e->tmp.data, e->tmp.len);
}

/* One comparison of the rebuilt pattern, the value quoted as a pattern
 * string ('\' and quote escaped). */
static void comparison(am_buf_t *b, const sco_t *s) {
    if (s->number) {
        am_buf_printf(b, "autonomous-system:number = %.*s", (int)s->len,
                      s->value);
        return;
    }
    am_buf_printf(b, "%s:value = '", s->type);
    for (size_t i = 0; i < s->len; i++) {
        if (s->value[i] == '\'' || s->value[i] == '\\')
            am_buf_putc(b, '\\');
        am_buf_putc(b, s->value[i]);
    }
    am_buf_putc(b, '\'');
}

/* ---- objects ----------------------------------------------------------- */

static void identities(enc_t *e) {
    am_buf_t *b = e->b;

    begin(b, "identity", e->service);
    created(e, IDENTITY_CREATED);
    kv_str(b, "name", "assetmatch");
    kv_str(b, "identity_class", "system");
    am_buf_append(b, "},", 2);

    begin(b, "identity", e->tenant_id);
    kv_str(b, "created_by_ref", e->service);
    created(e, IDENTITY_CREATED);
    kv_str(b, "name", e->tenant);
    kv_str(b, "identity_class", "organization");
    am_buf_putc(b, '}');
}

/* The marking-definition itself, as STIX 2.1 (TLP 1.0) and the TLP 2.0
 * extension define it, so that every reference resolves in the Bundle. */
static void marking(enc_t *e) {
    am_buf_t *b = e->b;

    if (e->tlp < 0)
        return;
    comma(b);
    begin(b, "marking-definition", tlps[e->tlp].id);
    if (tlps[e->tlp].v2) {
        kv_str(b, "created", "2022-10-01T00:00:00.000Z");
        kv_str(b, "name", tlps[e->tlp].name);
        comma(b);
        am_jsonw_key(b, "extensions");
        am_buf_putc(b, '{');
        am_jsonw_key(b, TLP2_EXTENSION);
        am_buf_putc(b, '{');
        am_jsonw_kv_str(b, "extension_type", "property-extension");
        kv_str(b, "tlp_2_0", tlps[e->tlp].level);
        am_buf_append(b, "}}", 2);
    } else {
        kv_str(b, "created", "2017-01-20T00:00:00.000Z");
        kv_str(b, "definition_type", "tlp");
        kv_str(b, "name", tlps[e->tlp].name);
        comma(b);
        am_jsonw_key(b, "definition");
        am_buf_putc(b, '{');
        am_jsonw_kv_str(b, "tlp", tlps[e->tlp].level);
        am_buf_putc(b, '}');
    }
    am_buf_putc(b, '}');
}

static void indicator(enc_t *e) {
    const am_event_t *ev = e->nt->ev;
    am_buf_t *b = e->b;
    char from[AM_STIX_TIME_STRLEN], until[AM_STIX_TIME_STRLEN];
    am_stix_time_t tf, tu;
    bool original = is_indicator_id(ev->id), typed = false;
    sco_t s;

    if (original)
        snprintf(e->subject, sizeof(e->subject), "%s", ev->id);
    else
        scoped_id(e, e->subject, "indicator", "indicator", ev->id);

    comma(b);
    begin(b, "indicator", e->subject);
    /* Ours when we made it up; an original Indicator keeps no creator we
     * could name in this Bundle. */
    if (!original)
        kv_str(b, "created_by_ref", e->service);
    created(e, e->time);
    if (ev->name)
        kv_str(b, "name", ev->name);
    if (ev->description)
        kv_str(b, "description", ev->description);
    if (ev->category) {
        for (size_t i = 0;
             i < sizeof(indicator_types) / sizeof(indicator_types[0]); i++)
            typed |= strcmp(ev->category, indicator_types[i]) == 0;
        kv_list1(b, typed ? "indicator_types" : "labels", ev->category);
    }

    am_buf_reset(&e->tmp);
    if (original && ev->pattern) {
        am_buf_puts(&e->tmp, ev->pattern);
    } else {
        am_buf_putc(&e->tmp, '[');
        for (size_t i = 0, k = 0; i < ev->n_obs; i++) {
            sco_of(&ev->obs[i], &s);
            if (seen_before(ev, i, &s))
                continue;
            if (k++)
                am_buf_puts(&e->tmp, " OR ");
            comparison(&e->tmp, &s);
        }
        am_buf_putc(&e->tmp, ']');
    }
    comma(b);
    am_jsonw_key(b, "pattern");
    am_jsonw_str(b, e->tmp.data, e->tmp.len);
    kv_str(b, "pattern_type", "stix");
    kv_str(b, "pattern_version", "2.1");

    if (!stix_time_t(ev->valid_from, from, &tf))
        stix_time_t(e->time, from, &tf);
    kv_str(b, "valid_from", from);
    /* valid_until must be later than valid_from (4.7); an end that is not
     * is left out rather than made up. */
    if (stix_time_t(ev->valid_until, until, &tu) &&
        (tu.sec > tf.sec || (tu.sec == tf.sec && tu.nsec > tf.nsec)))
        kv_str(b, "valid_until", until);
    if (ev->confidence >= 0 && ev->confidence <= 100)
        kv_int(b, "confidence", ev->confidence);
    markings(e);
    am_buf_putc(b, '}');
}

static void observed_data(enc_t *e) {
    const am_event_t *ev = e->nt->ev;
    am_buf_t *b = e->b;
    char id[64];
    sco_t s;

    for (size_t i = 0; i < ev->n_obs; i++) {
        sco_of(&ev->obs[i], &s);
        if (seen_before(ev, i, &s))
            continue;
        sco_id(e, &s, id);
        comma(b);
        begin(b, s.type, id);
        comma(b);
        if (s.number) {
            am_jsonw_key(b, "number");
            am_buf_append(b, s.value, s.len);
        } else {
            am_jsonw_key(b, "value");
            am_jsonw_str(b, s.value, s.len);
        }
        am_buf_putc(b, '}');
    }

    scoped_id(e, e->subject, "observed-data", "observed-data", ev->id);
    comma(b);
    begin(b, "observed-data", e->subject);
    kv_str(b, "created_by_ref", e->service);
    created(e, e->time);
    kv_str(b, "first_observed", e->time);
    kv_str(b, "last_observed", e->time);
    kv_int(b, "number_observed", 1);
    comma(b);
    am_jsonw_key(b, "object_refs");
    am_buf_putc(b, '[');
    for (size_t i = 0, k = 0; i < ev->n_obs; i++) {
        sco_of(&ev->obs[i], &s);
        if (seen_before(ev, i, &s))
            continue;
        sco_id(e, &s, id);
        if (k++)
            comma(b);
        am_jsonw_str(b, id, strlen(id));
    }
    am_buf_putc(b, ']');
    markings(e);
    am_buf_putc(b, '}');
}

/* What the tenant is told, in words: the matched asset first. */
static void describe(enc_t *e) {
    const am_notification_t *nt = e->nt;
    const am_event_t *ev = nt->ev;
    const am_match_result_t *r = nt->result;
    const am_observable_t *o = &ev->obs[r->hits[0].obs];
    const am_asset_t *a = am_inventory_asset(nt->inv, r->hits[0].asset);
    am_buf_t *t = &e->tmp;

    am_buf_reset(t);
    am_buf_printf(t, "%s %s '%s' matches asset '%s' (%s %s, %s) of tenant "
                  "'%s'", am_event_kind_name(ev->kind),
                  am_obs_type_name(o->type), o->value,
                  am_inventory_str(nt->inv, a->asset_id),
                  am_asset_kind_name(a->kind),
                  am_inventory_str(nt->inv, a->value),
                  am_match_kind_name(r->hits[0].kind), e->tenant);
    if (r->n_hits > 1) {
        am_buf_puts(t, "; matched assets:");
        for (size_t i = 0; i < r->n_hits && i < 20; i++) {
            a = am_inventory_asset(nt->inv, r->hits[i].asset);
            am_buf_printf(t, "%s '%s'", i ? "," : "",
                          am_inventory_str(nt->inv, a->asset_id));
        }
        if (r->n_hits > 20)
            am_buf_printf(t, " and %zu more", r->n_hits - 20);
    }
    if (ev->port >= 0)
        am_buf_printf(t, "; port %d%s%s", ev->port, ev->protocol ? "/" : "",
                      ev->protocol ? ev->protocol : "");
    if (ev->tag)
        am_buf_printf(t, "; tag '%s'", ev->tag);
    for (size_t i = 0; i < ev->n_cves; i++)
        am_buf_printf(t, "%s%s", i ? ", " : "; ", ev->cves[i]);
}

static void sighting(enc_t *e, const char *nid) {
    am_buf_t *b = e->b;
    char id[64];

    make_id(id, "sighting", nid, "sighting", 8);
    comma(b);
    begin(b, "sighting", id);
    kv_str(b, "created_by_ref", e->service);
    created(e, e->time);
    kv_str(b, "first_seen", e->time);
    kv_str(b, "last_seen", e->time);
    kv_int(b, "count", 1);
    /* A custom property (STIX 2.1 section 11.1), only when set: the
     * sighting was made when the asset was added, after the event. */
    if (e->nt->retroactive) {
        comma(b);
        am_jsonw_key(b, "x_assetmatch_retroactive");
        am_buf_puts(b, "true");
    }
    kv_str(b, "sighting_of_ref", e->subject);
    if (e->nt->ev->kind == AM_EVENT_SCAN)
        kv_list1(b, "observed_data_refs", e->subject);
    kv_list1(b, "where_sighted_refs", e->tenant_id);
    describe(e);
    comma(b);
    am_jsonw_key(b, "description");
    am_jsonw_str(b, e->tmp.data, e->tmp.len);
    markings(e);
    am_buf_putc(b, '}');
}

int am_encode_stix(am_buf_t *out, const am_notification_t *nt) {
    const am_event_t *ev = nt->ev;
    char nidbuf[AM_UUID_STRLEN], id[64], now[32];
    const char *nid = am_notification_id_of(nt, nidbuf);
    enc_t e;

    if (!nid)
        return -1;
    memset(&e, 0, sizeof(e));
    e.b = out;
    e.nt = nt;
    e.tenant = am_inventory_tenant(nt->inv, nt->result->tenant);
    e.tlp = tlp_index(ev->tlp);
    am_buf_init(&e.tmp);
    if (!stix_time(ev->time, e.time) && !stix_time(nt->match_time, e.time)) {
        am_notification_now(now);
        stix_time(now, e.time);
    }
    scoped_id(&e, e.service, "identity", "service", "assetmatch");
    scoped_id(&e, e.tenant_id, "identity", "tenant", e.tenant);

    make_id(id, "bundle", nid, "bundle", 6);
    am_buf_putc(out, '{');
    am_jsonw_kv_str(out, "type", "bundle");
    kv_str(out, "id", id);
    comma(out);
    am_jsonw_key(out, "objects");
    am_buf_putc(out, '[');
    identities(&e);
    marking(&e);
    if (ev->kind == AM_EVENT_SCAN)
        observed_data(&e);
    else
        indicator(&e);
    sighting(&e, nid);
    am_buf_append(out, "]}", 2);
    if (e.tmp.oom)
        out->oom = true;
    am_buf_free(&e.tmp);
    return out->oom ? -1 : 0;
}
