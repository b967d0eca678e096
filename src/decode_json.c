#include "decode_json.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Copies the string member \p key into *dst; a missing or null member
 * leaves NULL.  @returns -1 (with err) when it is of another type. */
static int get_str(am_event_t *ev, json_t *obj, const char *key,
                   const char **dst, char *err, size_t err_size) {
    json_t *v = json_object_get(obj, key);

    if (!v || json_is_null(v))
        return 0;
    if (!json_is_string(v)) {
        snprintf(err, err_size, "field '%s': must be a string", key);
        return -1;
    }
    *dst = am_event_strdup(ev, json_string_value(v), json_string_length(v));
    if (!*dst) {
        snprintf(err, err_size, "field '%s': longer than %d bytes", key,
                 AM_EVENT_MAX_STR);
        return -1;
    }
    return 0;
}

/* An integer member in [lo, hi]; missing leaves *dst alone. */
static int get_int(json_t *obj, const char *key, int lo, int hi, int *dst,
                   char *err, size_t err_size) {
    json_t *v = json_object_get(obj, key);
    json_int_t i;

    if (!v || json_is_null(v))
        return 0;
    if (json_is_string(v)) {
        /* Scanners write "443" as often as 443. */
        char *end;
        long l = strtol(json_string_value(v), &end, 10);
        if (*end || end == json_string_value(v)) {
            snprintf(err, err_size, "field '%s': not a number", key);
            return -1;
        }
        i = l;
    } else if (json_is_integer(v)) {
        i = json_integer_value(v);
    } else {
        snprintf(err, err_size, "field '%s': must be an integer", key);
        return -1;
    }
    if (i < lo || i > hi) {
        snprintf(err, err_size, "field '%s': %lld out of range %d..%d", key,
                 (long long)i, lo, hi);
        return -1;
    }
    *dst = (int)i;
    return 0;
}

static int add_obs(am_event_t *ev, am_obs_type_t type, const char *s,
                   size_t n, const char *field, char *err, size_t err_size) {
    char why[320];

    if (am_event_add_observable(ev, type, s, n, why, sizeof(why)) < 0) {
        snprintf(err, err_size, "field '%s': %s", field, why);
        return -1;
    }
    return 0;
}

static int decode_observables(am_event_t *ev, json_t *arr, char *err,
                              size_t err_size) {
    size_t i;
    json_t *o;
    char field[64];

    if (!json_is_array(arr)) {
        snprintf(err, err_size, "field 'observables': must be an array");
        return -1;
    }
    json_array_foreach(arr, i, o) {
        json_t *t = json_object_get(o, "type");
        json_t *v = json_object_get(o, "value");
        int type;

        if (!json_is_object(o)) {
            snprintf(err, err_size, "field 'observables[%zu]': must be an "
                     "object with type and value", i);
            return -1;
        }
        if (!json_is_string(t) ||
            (type = am_obs_type_parse(json_string_value(t),
                                      json_string_length(t))) < 0) {
            snprintf(err, err_size,
                     "field 'observables[%zu].type': must be one of ip, "
                     "cidr, domain, url, email, asn",
                     i);
            return -1;
        }
        snprintf(field, sizeof(field), "observables[%zu].value", i);
        if (json_is_integer(v) && type == AM_OBS_ASN) {
            char num[24];
            int len = snprintf(num, sizeof(num), "%lld",
                               (long long)json_integer_value(v));
            if (add_obs(ev, AM_OBS_ASN, num, (size_t)len, field, err,
                        err_size) < 0)
                return -1;
            continue;
        }
        if (!json_is_string(v)) {
            snprintf(err, err_size, "field '%s': must be a string", field);
            return -1;
        }
        if (add_obs(ev, (am_obs_type_t)type, json_string_value(v),
                    json_string_length(v), field, err, err_size) < 0)
            return -1;
    }
    return 0;
}

static int decode_scan(am_event_t *ev, json_t *root, char *err,
                       size_t err_size) {
    static const struct {
        const char *key;
        am_obs_type_t type;
    } obs[] = {{"ip", AM_OBS_IP}, {"hostname", AM_OBS_DOMAIN},
               {"asn", AM_OBS_ASN}};

    for (size_t k = 0; k < sizeof(obs) / sizeof(obs[0]); k++) {
        json_t *v = json_object_get(root, obs[k].key);
        char num[24];
        const char *s;
        size_t n;

        if (!v || json_is_null(v))
            continue;
        if (json_is_string(v)) {
            s = json_string_value(v);
            n = json_string_length(v);
        } else if (json_is_integer(v) && obs[k].type == AM_OBS_ASN) {
            n = (size_t)snprintf(num, sizeof(num), "%lld",
                                 (long long)json_integer_value(v));
            s = num;
        } else {
            snprintf(err, err_size, "field '%s': must be a string",
                     obs[k].key);
            return -1;
        }
        if (n == 0)
            continue;
        if (add_obs(ev, obs[k].type, s, n, obs[k].key, err, err_size) < 0)
            return -1;
    }
    return get_int(root, "port", 0, 65535, &ev->port, err, err_size) < 0 ||
                   get_str(ev, root, "protocol", &ev->protocol, err,
                           err_size) < 0 ||
                   get_str(ev, root, "tag", &ev->tag, err, err_size) < 0
               ? -1
               : 0;
}

/* "cves": ["CVE-2021-26855", ...], optional. */
static int cves(am_event_t *ev, json_t *arr, char *err, size_t err_size) {
    size_t i;
    json_t *v;

    if (!arr || json_is_null(arr))
        return 0;
    if (!json_is_array(arr)) {
        snprintf(err, err_size, "field 'cves': must be an array of strings");
        return -1;
    }
    json_array_foreach(arr, i, v) {
        if (!json_is_string(v) ||
            am_event_add_cve(ev, json_string_value(v),
                             json_string_length(v)) < 0) {
            snprintf(err, err_size, "field 'cves[%zu]': not a string, or "
                     "more than %d", i, AM_EVENT_MAX_CVES);
            return -1;
        }
    }
    return 0;
}

int am_decode_json_obj(json_t *root, const am_decode_hint_t *hint,
                       am_event_t *ev, char *err, size_t err_size) {
    json_t *obs;
    const char *kind = NULL;

    ev->format = "json";
    if (get_str(ev, root, "id", &ev->id, err, err_size) < 0 ||
        get_str(ev, root, "kind", &kind, err, err_size) < 0)
        return -1;
    if (!ev->id || !*ev->id) {
        snprintf(err, err_size, "field 'id': missing");
        return -1;
    }
    obs = json_object_get(root, "observables");
    if (kind && strcmp(kind, "scan") == 0)
        ev->kind = AM_EVENT_SCAN;
    else if (kind && strcmp(kind, "indicator") == 0)
        ev->kind = AM_EVENT_INDICATOR;
    else if (kind) {
        snprintf(err, err_size, "field 'kind': must be indicator or scan");
        return -1;
    } else
        ev->kind = obs ? AM_EVENT_INDICATOR : AM_EVENT_SCAN;

    if (ev->kind == AM_EVENT_INDICATOR) {
        if (!obs) {
            snprintf(err, err_size, "field 'observables': missing");
            return -1;
        }
        if (decode_observables(ev, obs, err, err_size) < 0)
            return -1;
    } else if (decode_scan(ev, root, err, err_size) < 0) {
        return -1;
    }
    if (ev->n_obs == 0) {
        snprintf(err, err_size, "no observable");
        return -1;
    }
    if (get_str(ev, root, "category", &ev->category, err, err_size) < 0 ||
        get_str(ev, root, "severity", &ev->severity, err, err_size) < 0 ||
        get_str(ev, root, "source", &ev->source, err, err_size) < 0 ||
        get_str(ev, root, "tlp", &ev->tlp, err, err_size) < 0 ||
        get_str(ev, root, "time", &ev->time, err, err_size) < 0 ||
        get_str(ev, root, "valid_until", &ev->valid_until, err, err_size) <
            0 ||
        get_str(ev, root, "description", &ev->description, err, err_size) <
            0 ||
        get_int(root, "confidence", 0, 100, &ev->confidence, err, err_size) <
            0)
        return -1;
    if (ev->tag)
        am_event_scan_cves(ev, ev->tag, strlen(ev->tag));
    return cves(ev, json_object_get(root, "cves"), err, err_size);
}

int am_decode_json(const char *buf, size_t len, am_event_t *ev, char *err,
                   size_t err_size) {
    json_error_t je;
    json_t *root;
    int rc = -1;

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
