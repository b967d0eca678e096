/*
 * decode_stix: see decode_stix.h.
 *
 * What happens to each object (item = its index in the Bundle's objects,
 * or -1 for a lone Indicator):
 *
 *   not an object, or without a string "type"        reject
 *   not an Indicator                                 skip NOT_MATCHABLE
 *   Indicator without id, pattern or valid_from,
 *     or with a bad timestamp, confidence, ...       reject (names the field)
 *   pattern_type other than "stix"                   skip NOT_MATCHABLE
 *   revoked: true                                    skip EXPIRED
 *   valid_until before hint->now                     skip EXPIRED
 *   pattern that does not parse                      reject, with the column
 *   pattern value that is no address or name         reject
 *   pattern with nothing we match on                 reject alone,
 *                                                    skip NOT_MATCHABLE
 *                                                    in a Bundle
 *   otherwise                                        one event
 *
 * A revoked Indicator is counted with the expired ones: both are no longer
 * valid, which is what the counter tells an operator.  A lone Indicator
 * whose pattern we cannot use is rejected, so that it reaches the
 * dead-letter topic (DESIGN.md: an event with no observable is never
 * dropped silently); in a Bundle it is skipped and counted, and a Bundle
 * that yields no event at all is dead-lettered by the caller.
 * An expired or revoked Indicator is skipped before its pattern is parsed:
 * whatever it says no longer applies.
 */
#include "decode_stix.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "stix_pattern.h"

typedef enum outcome_e {
    OUT_EVENT,
    OUT_SKIP,
    OUT_REJECT,
} outcome_t;

/* TLP marking-definition ids: TLP 1.0 (STIX 2.1 section 7.2.1) and TLP 2.0
 * (cti-stix-common-objects), ordered by how restrictive they are. */
static const struct {
    const char *id;
    const char *tlp;
    int rank;
} tlp_ids[] = {
    {"marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9", "white", 0},
    {"marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487", "clear", 0},
    {"marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da", "green", 1},
    {"marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb", "green", 1},
    {"marking-definition--f88d31f6-486f-44da-b317-01333bde0b82", "amber", 2},
    {"marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421", "amber", 2},
    {"marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003",
     "amber+strict", 3},
    {"marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed", "red", 4},
    {"marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1", "red", 4},
};

/* Where a field is, for messages: "objects[3]." in a Bundle, "" alone. */
typedef struct where_s {
    char pfx[32];
    char *err;
    size_t err_size;
} where_t;

static outcome_t bad(where_t *w, const char *field, const char *what) {
    snprintf(w->err, w->err_size, "field '%s%s': %s", w->pfx, field, what);
    return OUT_REJECT;
}

/* A string member copied into the event: absent or null leaves *dst NULL;
 * another type is an error. */
static bool get_str(am_event_t *ev, json_t *obj, const char *key,
                    const char **dst, where_t *w) {
    json_t *v = json_object_get(obj, key);
    char what[64];

    if (!v || json_is_null(v))
        return true;
    if (!json_is_string(v)) {
        bad(w, key, "must be a string");
        return false;
    }
    *dst = am_event_strdup(ev, json_string_value(v), json_string_length(v));
    if (!*dst) {
        snprintf(what, sizeof(what), "longer than %d bytes",
                 AM_EVENT_MAX_STR);
        bad(w, key, what);
        return false;
    }
    return true;
}

/* A required, non-empty string member. */
static bool req_str(am_event_t *ev, json_t *obj, const char *key,
                    const char **dst, where_t *w) {
    if (!get_str(ev, obj, key, dst, w))
        return false;
    if (!*dst || !**dst) {
        bad(w, key, "missing");
        return false;
    }
    return true;
}

/* A timestamp member already copied to \p s; NULL is allowed. */
static bool get_time(const char *s, const char *key, am_stix_time_t *t,
                     where_t *w) {
    if (s && am_stix_time_parse(s, strlen(s), t) < 0) {
        bad(w, key, "not an RFC 3339 timestamp");
        return false;
    }
    return true;
}

/* The first string of the list member \p key, or NULL. */
static const char *first_str(json_t *obj, const char *key, size_t *len) {
    json_t *arr = json_object_get(obj, key), *v;
    size_t i;

    json_array_foreach(arr, i, v) {
        if (json_is_string(v) && json_string_length(v) > 0) {
            *len = json_string_length(v);
            return json_string_value(v);
        }
    }
    return NULL;
}

/* The most restrictive TLP among the object_marking_refs, or NULL. */
static const char *tlp_of(json_t *obj) {
    json_t *arr = json_object_get(obj, "object_marking_refs"), *v;
    const char *tlp = NULL;
    int rank = -1;
    size_t i;

    json_array_foreach(arr, i, v) {
        const char *id = json_string_value(v);
        if (!id)
            continue;
        for (size_t k = 0; k < sizeof(tlp_ids) / sizeof(tlp_ids[0]); k++) {
            if (strcmp(id, tlp_ids[k].id) == 0 && tlp_ids[k].rank > rank) {
                tlp = tlp_ids[k].tlp;
                rank = tlp_ids[k].rank;
            }
        }
    }
    return tlp;
}

typedef struct obs_ctx_s {
    am_event_t *ev;
    char why[400];
} obs_ctx_t;

/* One value of the pattern becomes an observable (duplicates dropped). */
static int add_obs(const am_stix_obs_t *o, void *opaque) {
    obs_ctx_t *c = opaque;
    am_event_t *ev = c->ev;
    const am_observable_t *last;
    char why[320];
    bool want_v6;

    for (size_t i = 0; i < ev->n_obs; i++)
        if (ev->obs[i].type == o->type &&
            strcmp(ev->obs[i].value, o->value) == 0)
            return 0;
    if (am_event_add_observable(ev, o->type, o->value, o->len, why,
                                sizeof(why)) < 0) {
        snprintf(c->why, sizeof(c->why), "column %zu: %s", o->column, why);
        return 1;
    }
    /* ipv4-addr:value = '2001:db8::1' is an invalid constant (section 9.4:
     * it must not match anything); say so instead of matching it. */
    last = &ev->obs[ev->n_obs - 1];
    want_v6 = strncmp(o->path, "ipv6", 4) == 0;
    if ((o->type == AM_OBS_IP || o->type == AM_OBS_CIDR) &&
        (last->prefix.family == AM_IPADDR_V6) != want_v6) {
        snprintf(c->why, sizeof(c->why), "column %zu: '%.80s' is not an %s "
                 "address, as %s requires", o->column, o->value,
                 want_v6 ? "IPv6" : "IPv4", o->path);
        return 1;
    }
    return 0;
}

static outcome_t indicator(json_t *obj, int64_t now, am_event_t *ev,
                           am_skip_t *skip, where_t *w) {
    am_stix_time_t from, until;
    const char *pattern_type = NULL, *modified = NULL, *created = NULL, *s;
    json_t *v;
    obs_ctx_t oc;
    size_t len;
    int rc;

    ev->format = "stix";
    ev->kind = AM_EVENT_INDICATOR;
    if (!req_str(ev, obj, "id", &ev->id, w) ||
        !get_str(ev, obj, "pattern_type", &pattern_type, w))
        return OUT_REJECT;
    /* pattern_type is required in 2.1; a 2.0 Indicator has none and its
     * pattern is always a STIX pattern. */
    if (pattern_type && strcmp(pattern_type, "stix") != 0) {
        *skip = AM_SKIP_NOT_MATCHABLE;
        return OUT_SKIP;
    }
    if (!req_str(ev, obj, "pattern", &ev->pattern, w) ||
        !req_str(ev, obj, "valid_from", &ev->valid_from, w) ||
        !get_time(ev->valid_from, "valid_from", &from, w) ||
        !get_str(ev, obj, "valid_until", &ev->valid_until, w) ||
        !get_time(ev->valid_until, "valid_until", &until, w))
        return OUT_REJECT;

    v = json_object_get(obj, "revoked");
    if (v && !json_is_boolean(v) && !json_is_null(v))
        return bad(w, "revoked", "must be true or false");
    if (json_is_true(v)) {
        *skip = AM_SKIP_EXPIRED;
        return OUT_SKIP;
    }
    if (ev->valid_until) {
        if (until.sec < from.sec ||
            (until.sec == from.sec && until.nsec <= from.nsec))
            return bad(w, "valid_until", "not after valid_from");
        if (until.sec < now) {
            *skip = AM_SKIP_EXPIRED;
            return OUT_SKIP;
        }
    }

    if (!get_str(ev, obj, "name", &ev->name, w) ||
        !get_str(ev, obj, "description", &ev->description, w) ||
        !get_str(ev, obj, "modified", &modified, w) ||
        !get_str(ev, obj, "created", &created, w) ||
        !get_str(ev, obj, "created_by_ref", &ev->source, w))
        return OUT_REJECT;
    ev->time = modified ? modified : created;
    v = json_object_get(obj, "confidence");
    if (v && !json_is_null(v)) {
        if (!json_is_integer(v) || json_integer_value(v) < 0 ||
            json_integer_value(v) > 100)
            return bad(w, "confidence", "must be an integer 0..100");
        ev->confidence = (int)json_integer_value(v);
    }
    /* indicator_types is the 2.1 property; feeds that predate it (and
     * MISP exports) categorise with labels. */
    if ((s = first_str(obj, "indicator_types", &len)) ||
        (s = first_str(obj, "labels", &len)))
        ev->category = am_event_strdup(ev, s, len);
    ev->tlp = tlp_of(obj);

    oc.ev = ev;
    oc.why[0] = '\0';
    rc = am_stix_pattern_parse(ev->pattern, strlen(ev->pattern), add_obs,
                               &oc, w->err, w->err_size);
    if (rc == -1) {
        char why[300];
        snprintf(why, sizeof(why), "%s", w->err);
        return bad(w, "pattern", why);
    }
    if (rc == -2)
        return bad(w, "pattern", oc.why);
    if (ev->n_obs == 0 && w->pfx[0]) {
        /* In a bundle: the others are matched; this one is counted. */
        *skip = AM_SKIP_NOT_MATCHABLE;
        return OUT_SKIP;
    }
    if (ev->n_obs == 0)
        return bad(w, "pattern",
                   "no observable: no comparison to match on (=, IN or "
                   "ISSUBSET on ipv4-addr:value, ipv6-addr:value, "
                   "domain-name:value, url:value or email-addr:value)");
    return OUT_EVENT;
}

/* Decodes object \p obj (\p item in the Bundle, or -1) and tells the sink.
 * @returns 1 for an event the sink accepted, 2 for an event after which
 *          the sink asked to stop, 0 for a skip, -1 for a reject. */
static int one(json_t *obj, long item, int64_t now, am_event_t *ev,
               const am_decode_sink_t *sink) {
    char err[512];
    where_t w = {"", err, sizeof(err)};
    const char *type = json_string_value(json_object_get(obj, "type"));
    am_skip_t skip = AM_SKIP_NOT_MATCHABLE;
    outcome_t out;

    if (item >= 0)
        snprintf(w.pfx, sizeof(w.pfx), "objects[%ld].", item);
    if (!json_is_object(obj)) {
        snprintf(err, sizeof(err), "field 'objects[%ld]': not an object",
                 item);
        sink->reject(item, err, sink->opaque);
        return -1;
    }
    if (!type) {
        bad(&w, "type", "missing or not a string");
        sink->reject(item, err, sink->opaque);
        return -1;
    }
    if (strcmp(type, "indicator") != 0) {
        sink->skip(item, AM_SKIP_NOT_MATCHABLE, sink->opaque);
        return 0;
    }
    am_event_reset(ev);
    out = indicator(obj, now, ev, &skip, &w);
    if (out == OUT_REJECT) {
        sink->reject(item, err, sink->opaque);
        return -1;
    }
    if (out == OUT_SKIP) {
        sink->skip(item, skip, sink->opaque);
        return 0;
    }
    return sink->event(ev, sink->opaque) ? 2 : 1;
}

int am_decode_stix_obj(json_t *root, const am_decode_hint_t *hint,
                       am_event_t *ev, const am_decode_sink_t *sink) {
    int64_t now = hint && hint->now ? hint->now : (int64_t)time(NULL);
    const char *type = json_string_value(json_object_get(root, "type"));
    json_t *objects, *obj;
    int events = 0, rc;
    size_t i;

    if (!type || strcmp(type, "bundle") != 0) {
        rc = one(root, -1, now, ev, sink);
        return rc < 0 ? -1 : rc > 0 ? 1 : 0;
    }
    objects = json_object_get(root, "objects");
    if (!json_is_array(objects) || json_array_size(objects) == 0) {
        sink->reject(-1,
                     objects ? "field 'objects': must be a non-empty array"
                             : "field 'objects': missing",
                     sink->opaque);
        return -1;
    }
    json_array_foreach(objects, i, obj) {
        rc = one(obj, (long)i, now, ev, sink);
        if (rc > 0)
            events++;
        if (rc == 2)
            break;
    }
    return events;
}
