#include "event.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "asn_table.h"
#include "decimal.h"
#include "url.h"

static const char *const obs_names[AM_OBS__COUNT] = {
    "ip", "cidr", "domain", "url", "email", "asn"};

const char *am_obs_type_name(am_obs_type_t type) {
    return type < AM_OBS__COUNT ? obs_names[type] : "?";
}

int am_obs_type_parse(const char *s, size_t n) {
    /* Every observable of every event: compared in place, the first
     * letter ruling out all names but one (a loop of strlen() and
     * memcmp() calls over the names cost ~90 instructions). */
    for (int i = 0; n && i < AM_OBS__COUNT; i++) {
        const char *name = obs_names[i];
        size_t k = 0;

        while (k < n && name[k] && name[k] == s[k])
            k++;
        if (k == n && !name[n])
            return i;
    }
    return -1;
}

const char *am_event_kind_name(am_event_kind_t kind) {
    return kind == AM_EVENT_SCAN ? "scan" : "indicator";
}

static void clear_fields(am_event_t *ev) {
    ev->id = NULL;
    ev->kind = AM_EVENT_INDICATOR;
    ev->n_obs = 0;
    ev->category = ev->severity = ev->source = ev->tlp = ev->time = NULL;
    ev->description = ev->valid_until = NULL;
    ev->confidence = -1;
    ev->port = -1;
    ev->protocol = ev->tag = NULL;
    ev->cves = NULL;
    ev->n_cves = 0;
    ev->format = ev->feed = ev->report_type = ev->name = ev->pattern = NULL;
    ev->valid_from = NULL;
    ev->taxonomy = ev->type = ev->identifier = ev->n6_category = NULL;
    ev->context = NULL;
}

void am_event_init(am_event_t *ev) {
    memset(ev, 0, sizeof(*ev));
    am_arena_init(&ev->arena);
    clear_fields(ev);
}

void am_event_reset(am_event_t *ev) {
    am_arena_reset(&ev->arena);
    clear_fields(ev);
}

void am_event_free(am_event_t *ev) {
    am_arena_free(&ev->arena);
    free(ev->obs);
    memset(ev, 0, sizeof(*ev));
}

const char *am_event_strdup(am_event_t *ev, const char *s, size_t n) {
    if (n > AM_EVENT_MAX_STR)
        return NULL;
    return am_arena_strndup(&ev->arena, s, n);
}

/* Resolves a host (of a domain, URL or e-mail observable): an IP literal
 * becomes the address, anything else a canonical domain name. */
static int resolve_host(am_event_t *ev, am_observable_t *o, const char *h,
                        size_t n, char *why, size_t why_size) {
    char canon[AM_DOMAIN_MAX + 1];
    int len;

    if (am_ipaddr_may_be(h, n) && /* most hosts are names */
        am_ipaddr_parse(h, n, 0, &o->prefix, why, why_size) == 0) {
        o->target = AM_TARGET_IP;
        return 0;
    }
    len = am_domain_normalize(h, n, canon, why, why_size);
    if (len < 0)
        return -1;
    o->target = AM_TARGET_DOMAIN;
    o->host = am_arena_strndup(&ev->arena, canon, (size_t)len);
    o->host_len = (size_t)len;
    if (!o->host) {
        snprintf(why, why_size, "out of memory");
        return -1;
    }
    return 0;
}

int am_event_add_observable(am_event_t *ev, am_obs_type_t type,
                            const char *s, size_t n, char *err,
                            size_t err_size) {
    am_observable_t o;
    char why[200];
    const char *h;
    size_t hn;
    int rc = -1;

    if (ev->n_obs == AM_EVENT_MAX_OBSERVABLES) {
        snprintf(err, err_size, "too many observables (limit %d)",
                 AM_EVENT_MAX_OBSERVABLES);
        return -1;
    }
    while (n && (*s == ' ' || *s == '\t')) {
        s++;
        n--;
    }
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
        n--;
    memset(&o, 0, sizeof(o));
    o.type = (uint8_t)type;
    switch (type) {
    case AM_OBS_IP:
    case AM_OBS_CIDR:
        o.target = AM_TARGET_IP;
        rc = am_ipaddr_parse(s, n, AM_IPADDR_CIDR, &o.prefix, why,
                             sizeof(why));
        break;
    case AM_OBS_DOMAIN:
        rc = resolve_host(ev, &o, s, n, why, sizeof(why));
        break;
    case AM_OBS_URL:
        rc = am_url_host(s, n, &h, &hn, why, sizeof(why));
        if (rc == 0)
            rc = resolve_host(ev, &o, h, hn, why, sizeof(why));
        break;
    case AM_OBS_EMAIL:
        rc = am_email_domain(s, n, &h, &hn, why, sizeof(why));
        if (rc == 0)
            rc = resolve_host(ev, &o, h, hn, why, sizeof(why));
        break;
    case AM_OBS_ASN:
        o.target = AM_TARGET_ASN;
        rc = am_asn_parse(s, n, &o.asn, why, sizeof(why));
        break;
    default:
        snprintf(why, sizeof(why), "unknown observable type");
    }
    if (rc < 0) {
        snprintf(err, err_size, "bad %s '%.*s': %s", am_obs_type_name(type),
                 (int)(n > 80 ? 80 : n), s, why);
        return -1;
    }
    if (!(o.value = am_event_strdup(ev, s, n))) {
        snprintf(err, err_size, "%s value too long", am_obs_type_name(type));
        return -1;
    }
    if (ev->n_obs == ev->cap_obs) {
        size_t cap = ev->cap_obs ? ev->cap_obs * 2 : 8;
        am_observable_t *no = realloc(ev->obs, cap * sizeof(*no));
        if (!no) {
            snprintf(err, err_size, "out of memory");
            return -1;
        }
        ev->obs = no;
        ev->cap_obs = cap;
    }
    ev->obs[ev->n_obs++] = o;
    return 0;
}

int am_event_add_field_observable(am_event_t *ev, am_obs_type_t type,
                                  const char *s, size_t n, const char *field,
                                  long index, char *err, size_t err_size) {
    char why[320];

    if (am_event_add_observable(ev, type, s, n, why, sizeof(why)) == 0)
        return 0;
    if (index >= 0)
        snprintf(err, err_size, "field '%s[%ld].value': %s", field, index,
                 why);
    else
        snprintf(err, err_size, "field '%s': %s", field, why);
    return -1;
}

int am_event_add_field_asn(am_event_t *ev, long long asn, const char *field,
                           long index, char *err, size_t err_size) {
    char num[AM_DECIMAL_MAX], *p = am_decimal(asn, num + sizeof(num));

    return am_event_add_field_observable(ev, AM_OBS_ASN, p,
                                         (size_t)(num + sizeof(num) - p),
                                         field, index, err, err_size);
}

int am_event_add_cve(am_event_t *ev, const char *s, size_t n) {
    char *id;

    for (size_t i = 0; i < ev->n_cves; i++)
        if (strncasecmp(ev->cves[i], s, n) == 0 && ev->cves[i][n] == '\0')
            return 0;
    if (ev->n_cves == AM_EVENT_MAX_CVES)
        return -1;
    /* The list lives in the arena: it grows by copying, which is cheap at
     * this size and frees with the event. */
    if ((ev->n_cves & (ev->n_cves - 1)) == 0) {
        size_t cap = ev->n_cves ? ev->n_cves * 2 : 4;
        const char **nl = am_arena_alloc(&ev->arena, cap * sizeof(*nl));
        if (!nl)
            return -1;
        if (ev->n_cves)
            memcpy(nl, ev->cves, ev->n_cves * sizeof(*nl));
        ev->cves = nl;
    }
    if (!(id = am_arena_strndup(&ev->arena, s, n)))
        return -1;
    for (size_t i = 0; i < n; i++)
        id[i] = (char)toupper((unsigned char)id[i]);
    ev->cves[ev->n_cves++] = id;
    return 0;
}

void am_event_scan_cves(am_event_t *ev, const char *s, size_t n) {
    for (size_t i = 0; i + 13 <= n; i++) {
        size_t j;
        if (strncasecmp(s + i, "cve-", 4) != 0 ||
            (i > 0 && isalnum((unsigned char)s[i - 1])))
            continue;
        /* CVE-YYYY-NNNN with four or more digits in the sequence. */
        for (j = i + 4; j < i + 8 && isdigit((unsigned char)s[j]); j++)
            ;
        if (j != i + 8 || s[j] != '-')
            continue;
        for (j++; j < n && isdigit((unsigned char)s[j]); j++)
            ;
        if (j - (i + 9) >= 4 && (j == n || !isalnum((unsigned char)s[j])))
            am_event_add_cve(ev, s + i, j - i);
        i = j - 1;
    }
}
