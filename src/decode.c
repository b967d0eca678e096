/*
 * decode: see decode.h.  JSON is parsed once here; recognising the format
 * looks at the parsed object's keys, and the format's decoder gets the
 * parsed object.
 *
 * Recognition, first rule that holds:
 *   first byte 0x00 or 0x02: the Confluent framing's
 *     magic byte, or the union index of a bare event    avro
 *   a JSON object with "type": "bundle", or "type":
 *     "indicator" and a "pattern"                      stix
 *   a JSON object with "__type", or a key starting with
 *     "classification.", "source.", "feed." or "time." intelmq
 *   a JSON object with "observables" or "kind"         json
 *   a JSON object with "timestamp" and "ip"/"src_ip"   shadowserver
 *   text whose first line is a CSV header naming
 *     "timestamp" and "ip" or "src_ip"                 shadowserver
 *   anything else                                      json (its
 *     decoder then says why it is not)
 */
#include "decode.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "decode_avro.h"
#include "decode_intelmq.h"
#include "decode_json.h"
#include "decode_shadowserver.h"
#include "decode_stix.h"

static const char *const format_names[AM_FORMAT__COUNT] = {
    "auto", "json", "avro", "stix", "intelmq", "shadowserver"};

const char *am_format_name(am_format_t fmt) {
    return fmt < AM_FORMAT__COUNT ? format_names[fmt] : "?";
}

int am_format_parse(const char *s) {
    for (int i = 0; i < AM_FORMAT__COUNT; i++)
        if (strcmp(s, format_names[i]) == 0)
            return i;
    return -1;
}

/* JSON nesting depth of the text, counted outside strings; jansson only
 * stops at 2048 levels, deep enough to exhaust a small stack first. */
static bool depth_ok(const char *buf, size_t len, int max) {
    int depth = 0;
    bool in_str = false;

    for (size_t i = 0; i < len; i++) {
        char c = buf[i];
        if (in_str) {
            if (c == '\\')
                i++;
            else if (c == '"')
                in_str = false;
        } else if (c == '"') {
            in_str = true;
        } else if (c == '{' || c == '[') {
            if (++depth > max)
                return false;
        } else if (c == '}' || c == ']') {
            depth--;
        }
    }
    return true;
}

static const char *skip_space(const char *p, const char *end) {
    while (p < end && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n'))
        p++;
    return p;
}

static am_format_t detect_object(json_t *root) {
    const char *type = json_string_value(json_object_get(root, "type"));
    const char *key;
    json_t *v;

    if (type && (strcmp(type, "bundle") == 0 ||
                 (strcmp(type, "indicator") == 0 &&
                  json_object_get(root, "pattern"))))
        return AM_FORMAT_STIX;
    if (json_object_get(root, "__type"))
        return AM_FORMAT_INTELMQ;
    json_object_foreach(root, key, v) {
        if (strncmp(key, "classification.", 15) == 0 ||
            strncmp(key, "source.", 7) == 0 || strncmp(key, "feed.", 5) == 0 ||
            strncmp(key, "time.", 5) == 0)
            return AM_FORMAT_INTELMQ;
    }
    if (json_object_get(root, "observables") || json_object_get(root, "kind"))
        return AM_FORMAT_JSON;
    if (json_object_get(root, "timestamp") &&
        (json_object_get(root, "ip") || json_object_get(root, "src_ip")))
        return AM_FORMAT_SHADOWSERVER;
    return AM_FORMAT_JSON;
}

/* The first line of text names the Shadowserver columns. */
static bool looks_like_shadowserver_csv(const char *p, const char *end) {
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);

    return memmem(p, n, "timestamp", 9) &&
           (memmem(p, n, "\"ip\"", 4) || memmem(p, n, ",ip,", 4) ||
            memmem(p, n, ",ip\r", 4) || (n >= 3 && memcmp(p + n - 3, ",ip", 3) == 0) ||
            memmem(p, n, "src_ip", 6));
}

am_format_t am_decode_detect(const char *buf, size_t len) {
    const char *end = buf + len, *p = skip_space(buf, end);
    json_t *root;
    am_format_t fmt;

    /* No text starts with these bytes: a bare event is the union
     * [Indicator, ScanResult], whose index 0 or 1 is zigzag-encoded. */
    if (len > 0 && (buf[0] == 0 || buf[0] == 2))
        return AM_FORMAT_AVRO;
    if (p < end && *p == '{') {
        if (len > AM_DECODE_MAX_MESSAGE ||
            !depth_ok(buf, len, AM_DECODE_MAX_DEPTH) ||
            !(root = json_loadb(buf, len, 0, NULL)))
            return AM_FORMAT_JSON;
        fmt = json_is_object(root) ? detect_object(root) : AM_FORMAT_JSON;
        json_decref(root);
        return fmt;
    }
    if (p < end && looks_like_shadowserver_csv(p, end))
        return AM_FORMAT_SHADOWSERVER;
    return AM_FORMAT_JSON;
}

/* One JSON object decoded into one event by \p fn. */
static int decode_one(int (*fn)(json_t *, const am_decode_hint_t *,
                                am_event_t *, char *, size_t),
                      json_t *root, const am_decode_hint_t *hint,
                      am_event_t *ev, const am_decode_sink_t *sink) {
    char err[512];

    am_event_reset(ev);
    if (fn(root, hint, ev, err, sizeof(err)) < 0) {
        sink->reject(-1, err, sink->opaque);
        return -1;
    }
    sink->event(ev, sink->opaque);
    return 1;
}

int am_decode(am_format_t fmt, const char *buf, size_t len,
              const am_decode_hint_t *hint, am_event_t *ev,
              const am_decode_sink_t *sink, am_format_t *used) {
    const char *end = buf + len, *p = skip_space(buf, end);
    am_decode_hint_t h = hint ? *hint : (am_decode_hint_t){NULL, 0};
    char err[512];
    json_error_t je;
    json_t *root;
    int rc;

    if (used)
        *used = fmt;
    if (len > AM_DECODE_MAX_MESSAGE) {
        snprintf(err, sizeof(err),
                 "message of %zu bytes exceeds the limit of %d bytes", len,
                 AM_DECODE_MAX_MESSAGE);
        sink->reject(-1, err, sink->opaque);
        return -1;
    }
    if (!h.now)
        h.now = (int64_t)time(NULL);
    /* Recognition that needs no parse; a JSON object is recognised below,
     * from the one parse its decoder uses too. */
    if (fmt == AM_FORMAT_AUTO && !(p < end && *p == '{'))
        fmt = am_decode_detect(buf, len);
    if (used && fmt != AM_FORMAT_AUTO)
        *used = fmt;

    if (fmt == AM_FORMAT_AVRO) {
        am_event_reset(ev);
        if (am_decode_avro(buf, len, ev, err, sizeof(err)) < 0) {
            sink->reject(-1, err, sink->opaque);
            return -1;
        }
        sink->event(ev, sink->opaque);
        return 1;
    }
    if (fmt == AM_FORMAT_SHADOWSERVER && p < end && *p != '{')
        return am_decode_shadowserver_csv(buf, len, &h, ev, sink);
    /* A native event in its plain form needs no JSON tree: it is what an
     * AUTO message with only native members is recognised as below. */
    if ((fmt == AM_FORMAT_AUTO || fmt == AM_FORMAT_JSON) && p < end &&
        *p == '{' && am_decode_json_fast(buf, len, ev) == 0) {
        if (used)
            *used = AM_FORMAT_JSON;
        sink->event(ev, sink->opaque);
        return 1;
    }

    if (!depth_ok(buf, len, AM_DECODE_MAX_DEPTH)) {
        snprintf(err, sizeof(err), "JSON nested deeper than %d levels",
                 AM_DECODE_MAX_DEPTH);
        sink->reject(-1, err, sink->opaque);
        return -1;
    }
    root = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &je);
    if (!root) {
        if (used && fmt == AM_FORMAT_AUTO)
            *used = AM_FORMAT_JSON;
        snprintf(err, sizeof(err), "invalid JSON at line %d column %d: %s",
                 je.line, je.column, je.text);
        sink->reject(-1, err, sink->opaque);
        return -1;
    }
    if (fmt == AM_FORMAT_AUTO)
        fmt = json_is_object(root) ? detect_object(root) : AM_FORMAT_JSON;
    if (used)
        *used = fmt;
    if (!json_is_object(root)) {
        sink->reject(-1, "not a JSON object", sink->opaque);
        json_decref(root);
        return -1;
    }
    switch (fmt) {
    case AM_FORMAT_STIX:
        rc = am_decode_stix_obj(root, &h, ev, sink);
        break;
    case AM_FORMAT_INTELMQ:
        rc = decode_one(am_decode_intelmq_obj, root, &h, ev, sink);
        break;
    case AM_FORMAT_SHADOWSERVER:
        rc = decode_one(am_decode_shadowserver_obj, root, &h, ev, sink);
        break;
    default:
        rc = decode_one(am_decode_json_obj, root, &h, ev, sink);
    }
    json_decref(root);
    return rc;
}
