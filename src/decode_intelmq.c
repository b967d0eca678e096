/*
 * decode_intelmq: see decode_intelmq.h.
 *
 * Keys (IntelMQ harmonisation, flat and dotted):
 *   source.ip, source.network, source.fqdn,     observables (ip, cidr,
 *   source.url, source.asn                      domain, url, asn)
 *   classification.taxonomy/.type/.identifier   classification, as given
 *   feed.name, feed.provider, feed.accuracy     feed, source, confidence
 *   time.source                                 time
 *   source.port, protocol.transport, extra.tag  port, protocol, tag
 *   event_description.text                      description
 *   tlp; severity or extra.severity             tlp (lower case), severity
 *   id                                          the event id, when given
 *   everything else (destination.*, extra.*,    context, under the original
 *   source.geolocation.*, malware.*, ...)       keys and JSON values
 *   raw, __type                                 dropped (raw is the base64
 *                                               of the feed's own line)
 *
 * IntelMQ events carry no id.  The id is then "intelmq:" + hex SHA-1 of the
 * event as canonical JSON (keys sorted, compact), so the same event replayed
 * gets the same id and so the same notification ids.
 *
 * The event is a scan result when its taxonomy is "vulnerable", its type is
 * one of that taxonomy's types, or its feed name says scan (IntelMQ's
 * Shadowserver feeds are named "Accessible-RDP", "Vulnerable-HTTP",
 * "Open-Memcached", ...); otherwise an indicator.
 */
#include "decode_intelmq.h"

#include <ctype.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "asn_table.h"
#include "jsonw.h"
#include "sha1.h"

/* Keys mapped to event fields (not context). */
static const char *const mapped_keys[] = {
    "__type",
    "raw",
    "id",
    "source.ip",
    "source.network",
    "source.fqdn",
    "source.url",
    "source.asn",
    "source.port",
    "classification.taxonomy",
    "classification.type",
    "classification.identifier",
    "feed.name",
    "feed.provider",
    "feed.accuracy",
    "time.source",
    "protocol.transport",
    "extra.tag",
    "event_description.text",
    "tlp",
    "severity",
    "extra.severity",
};

static bool is_mapped(const char *key) {
    for (size_t i = 0; i < sizeof(mapped_keys) / sizeof(mapped_keys[0]); i++)
        if (strcmp(key, mapped_keys[i]) == 0)
            return true;
    return false;
}

/* Copies the string member \p key into *dst; missing, null or empty leaves
 * *dst alone.  @returns -1 (with err) when it is of another type. */
static int get_str(am_event_t *ev, json_t *root, const char *key,
                   const char **dst, char *err, size_t err_size) {
    json_t *v = json_object_get(root, key);

    if (!v || json_is_null(v))
        return 0;
    if (!json_is_string(v)) {
        snprintf(err, err_size, "field '%s': must be a string", key);
        return -1;
    }
    if (json_string_length(v) == 0)
        return 0;
    *dst = am_event_strdup(ev, json_string_value(v), json_string_length(v));
    if (!*dst) {
        snprintf(err, err_size, "field '%s': longer than %d bytes", key,
                 AM_EVENT_MAX_STR);
        return -1;
    }
    return 0;
}

/* An integer (or a string of one) in [lo, hi]; missing leaves *dst. */
static int get_int(json_t *root, const char *key, long lo, long hi, int *dst,
                   char *err, size_t err_size) {
    json_t *v = json_object_get(root, key);
    long long i;

    if (!v || json_is_null(v))
        return 0;
    if (json_is_integer(v)) {
        i = json_integer_value(v);
    } else if (json_is_real(v) &&
               json_real_value(v) == floor(json_real_value(v)) &&
               fabs(json_real_value(v)) < 1e12) {
        i = (long long)json_real_value(v); /* feed.accuracy: 100.0 */
    } else if (json_is_string(v) && json_string_length(v) > 0) {
        char *end;
        i = strtoll(json_string_value(v), &end, 10);
        if (*end) {
            snprintf(err, err_size, "field '%s': not a number", key);
            return -1;
        }
    } else {
        snprintf(err, err_size, "field '%s': must be an integer", key);
        return -1;
    }
    if (i < lo || i > hi) {
        snprintf(err, err_size, "field '%s': %lld out of range %ld..%ld", key,
                 i, lo, hi);
        return -1;
    }
    *dst = (int)i;
    return 0;
}

static void lower(const char *s) {
    for (char *p = (char *)s; p && *p; p++)
        *p = (char)tolower((unsigned char)*p);
}

/* source.asn: an integer or a string ("64500", "AS64500"); 0 is unknown. */
static int add_asn(am_event_t *ev, json_t *v, char *err, size_t err_size) {
    char num[24], why[320];
    const char *s;
    size_t n;
    uint32_t asn;

    if (!v || json_is_null(v))
        return 0;
    if (json_is_integer(v)) {
        n = (size_t)snprintf(num, sizeof(num), "%lld",
                             (long long)json_integer_value(v));
        s = num;
    } else if (json_is_string(v)) {
        s = json_string_value(v);
        n = json_string_length(v);
    } else {
        snprintf(err, err_size, "field 'source.asn': must be an integer");
        return -1;
    }
    if (n == 0 || (am_asn_parse(s, n, &asn, why, sizeof(why)) == 0 && asn == 0))
        return 0;
    if (am_event_add_observable(ev, AM_OBS_ASN, s, n, why, sizeof(why)) < 0) {
        snprintf(err, err_size, "field 'source.asn': %s", why);
        return -1;
    }
    return 0;
}

static int add_obs(am_event_t *ev, json_t *root, const char *key,
                   am_obs_type_t type, char *err, size_t err_size) {
    json_t *v = json_object_get(root, key);
    char why[320];

    if (!v || json_is_null(v))
        return 0;
    if (!json_is_string(v)) {
        snprintf(err, err_size, "field '%s': must be a string", key);
        return -1;
    }
    if (json_string_length(v) == 0)
        return 0;
    if (am_event_add_observable(ev, type, json_string_value(v),
                                json_string_length(v), why, sizeof(why)) < 0) {
        snprintf(err, err_size, "field '%s': %s", key, why);
        return -1;
    }
    return 0;
}

/* The unmapped members as one JSON object text, keys and values as given;
 * members that would make it longer than an event string may be are left
 * out, and "_truncated": true says so. */
static int build_context(am_event_t *ev, json_t *root, char *err,
                         size_t err_size) {
    const size_t limit = AM_EVENT_MAX_STR - 32;
    bool truncated = false;
    const char *key;
    json_t *v;
    am_buf_t b;
    int rc = 0;
    /* jansson iterates in insertion order; sorted keys make the context
     * the same for the same event whatever order its keys came in. */
    void *iter;
    const char **keys;
    size_t n = 0, cap = json_object_size(root);

    if (cap == 0)
        return 0;
    keys = malloc(cap * sizeof(*keys));
    if (!keys) {
        snprintf(err, err_size, "out of memory");
        return -1;
    }
    for (iter = json_object_iter(root); iter;
         iter = json_object_iter_next(root, iter)) {
        key = json_object_iter_key(iter);
        v = json_object_iter_value(iter);
        if (!is_mapped(key) && !json_is_null(v))
            keys[n++] = key;
    }
    /* Insertion sort: events have tens of keys. */
    for (size_t i = 1; i < n; i++) {
        const char *k = keys[i];
        size_t j = i;
        for (; j > 0 && strcmp(keys[j - 1], k) > 0; j--)
            keys[j] = keys[j - 1];
        keys[j] = k;
    }
    am_buf_init(&b);
    for (size_t i = 0; i < n; i++) {
        size_t mark = b.len;
        char *text;
        v = json_object_get(root, keys[i]);
        am_buf_putc(&b, b.len ? ',' : '{');
        am_jsonw_str(&b, keys[i], strlen(keys[i]));
        am_buf_putc(&b, ':');
        if (json_is_string(v)) {
            am_jsonw_str(&b, json_string_value(v), json_string_length(v));
        } else {
            text = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS |
                                     JSON_ENCODE_ANY);
            if (text)
                am_buf_puts(&b, text);
            else
                b.oom = true;
            free(text);
        }
        if (b.len > limit) {
            b.len = mark;
            truncated = true;
        }
    }
    if (truncated)
        am_buf_puts(&b, b.len ? ",\"_truncated\":true"
                              : "{\"_truncated\":true");
    if (b.len) {
        am_buf_putc(&b, '}');
        if (b.oom || !(ev->context = am_event_strdup(ev, b.data, b.len))) {
            snprintf(err, err_size, "out of memory");
            rc = -1;
        }
    }
    am_buf_free(&b);
    free(keys);
    return rc;
}

/* "intelmq:" + hex SHA-1 of the canonical JSON of the event. */
static int make_id(am_event_t *ev, json_t *root, char *err, size_t err_size) {
    char *text = json_dumps(root, JSON_COMPACT | JSON_SORT_KEYS);
    unsigned char md[AM_SHA1_LEN];
    char id[8 + 2 * AM_SHA1_LEN + 1];
    am_sha1_t h;

    if (!text) {
        snprintf(err, err_size, "out of memory");
        return -1;
    }
    am_sha1_init(&h);
    am_sha1_update(&h, text, strlen(text));
    am_sha1_final(&h, md);
    free(text);
    memcpy(id, "intelmq:", 8);
    am_sha1_hex(md, id + 8);
    if (!(ev->id = am_event_strdup(ev, id, 8 + 2 * AM_SHA1_LEN))) {
        snprintf(err, err_size, "out of memory");
        return -1;
    }
    return 0;
}

/* The types of the "vulnerable" taxonomy: a scan result even when the
 * event names only the type. */
static bool is_vulnerable_type(const char *type) {
    static const char *const types[] = {
        "vulnerable-system",      "potentially-unwanted-accessible",
        "weak-crypto",            "ddos-amplifier",
        "information-disclosure", "vulnerable-service",
        "vulnerable-client",
    };
    for (size_t i = 0; type && i < sizeof(types) / sizeof(types[0]); i++)
        if (strcmp(type, types[i]) == 0)
            return true;
    return false;
}

/* A feed name that says it is a scan result. */
static bool is_scan_feed(const char *feed) {
    static const char *const prefixes[] = {"accessible-", "vulnerable-",
                                           "open-"};
    if (!feed)
        return false;
    for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++)
        if (strncasecmp(feed, prefixes[i], strlen(prefixes[i])) == 0)
            return true;
    /* "scan" as a word ("scan_rdp", "Scan-Results"), not "scanner" or
     * "scanning": those feeds list attackers, which are indicators. */
    for (const char *p = feed; *p; p++)
        if (strncasecmp(p, "scan", 4) == 0 && !isalpha((unsigned char)p[4]))
            return true;
    return false;
}

int am_decode_intelmq_obj(json_t *root, const am_decode_hint_t *hint,
                          am_event_t *ev, char *err, size_t err_size) {
    const char *type = NULL;
    json_t *v;

    ev->format = "intelmq";
    v = json_object_get(root, "__type");
    if (v && !(json_is_string(v) &&
               strcmp(json_string_value(v), "Event") == 0)) {
        snprintf(err, err_size, "field '__type': must be \"Event\" (an "
                 "IntelMQ report is not decoded; parse it in IntelMQ first)");
        return -1;
    }
    if (add_obs(ev, root, "source.ip", AM_OBS_IP, err, err_size) < 0 ||
        add_obs(ev, root, "source.network", AM_OBS_CIDR, err, err_size) < 0 ||
        add_obs(ev, root, "source.fqdn", AM_OBS_DOMAIN, err, err_size) < 0 ||
        add_obs(ev, root, "source.url", AM_OBS_URL, err, err_size) < 0 ||
        add_asn(ev, json_object_get(root, "source.asn"), err, err_size) < 0)
        return -1;
    if (ev->n_obs == 0) {
        snprintf(err, err_size, "no observable (source.ip, source.fqdn, "
                 "source.url, source.asn, source.network)");
        return -1;
    }
    if (get_str(ev, root, "id", &ev->id, err, err_size) < 0 ||
        get_str(ev, root, "classification.taxonomy", &ev->taxonomy, err,
                err_size) < 0 ||
        get_str(ev, root, "classification.type", &ev->type, err, err_size) <
            0 ||
        get_str(ev, root, "classification.identifier", &ev->identifier, err,
                err_size) < 0 ||
        get_str(ev, root, "feed.name", &ev->feed, err, err_size) < 0 ||
        get_str(ev, root, "feed.provider", &ev->source, err, err_size) < 0 ||
        get_str(ev, root, "time.source", &ev->time, err, err_size) < 0 ||
        get_str(ev, root, "protocol.transport", &ev->protocol, err,
                err_size) < 0 ||
        get_str(ev, root, "extra.tag", &ev->tag, err, err_size) < 0 ||
        get_str(ev, root, "event_description.text", &ev->description, err,
                err_size) < 0 ||
        get_str(ev, root, "tlp", &ev->tlp, err, err_size) < 0 ||
        get_str(ev, root, "extra.severity", &ev->severity, err, err_size) <
            0 ||
        get_str(ev, root, "severity", &ev->severity, err, err_size) < 0 ||
        get_int(root, "source.port", 0, 65535, &ev->port, err, err_size) <
            0 ||
        get_int(root, "feed.accuracy", 0, 100, &ev->confidence, err,
                err_size) < 0)
        return -1;
    /* IntelMQ writes TLP and taxonomy values in capitals at times
     * ("AMBER"); the rest of the engine uses lower case. */
    lower(ev->tlp);
    lower(ev->severity);
    lower(ev->taxonomy);
    lower(ev->type);
    if (!ev->source)
        ev->source = ev->feed;

    /* CVE ids: the tag list, the vulnerability list, the identifier. */
    if (ev->tag)
        am_event_scan_cves(ev, ev->tag, strlen(ev->tag));
    if (ev->identifier)
        am_event_scan_cves(ev, ev->identifier, strlen(ev->identifier));
    v = json_object_get(root, "product.vulnerabilities");
    if (json_is_string(v))
        am_event_scan_cves(ev, json_string_value(v), json_string_length(v));

    type = ev->type;
    ev->kind = (ev->taxonomy && strcmp(ev->taxonomy, "vulnerable") == 0) ||
                       is_vulnerable_type(type) || is_scan_feed(ev->feed)
                   ? AM_EVENT_SCAN
                   : AM_EVENT_INDICATOR;

    if (build_context(ev, root, err, err_size) < 0)
        return -1;
    return ev->id ? 0 : make_id(ev, root, err, err_size);
}
