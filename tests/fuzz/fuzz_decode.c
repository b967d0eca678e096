/*
 * libFuzzer target: one decoder (AM_FUZZ_FORMAT, set per executable by
 * CMake) on arbitrary bytes, then the matcher on whatever it decoded.  The
 * decoders must reject bad input with a reason, never crash, leak or read
 * out of bounds.  The JSON target also checks that what the native
 * decoder's fast pass takes, jansson's pass takes too, alike; the Avro
 * target, that its fast reader and the schema walk alone agree.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <jansson.h>

#include "decode.h"
#include "decode_avro.h"
#include "decode_json.h"
#include "inventory.h"
#include "matcher.h"

static am_inventory_t *inv;
static am_matcher_t *matcher;
static am_match_ctx_t *ctx;

/* A small inventory so decoded events also run through the matcher. */
static void setup(void) {
    static const char *const rows[][4] = {
        {"t1", "a1", "ip", "192.0.2.0/24"},
        {"t1", "a2", "domain", "example.com"},
        {"t2", "b1", "ip", "2001:db8::/32"},
        {"t2", "b2", "keyword", "acme"},
        {"t2", "b3", "asn", "64500"},
    };
    char err[256];
    am_matcher_opts_t opts = {.include_unverified = true};

    inv = am_inventory_new();
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        am_asset_input_t in = {rows[i][0], strlen(rows[i][0]), rows[i][1],
                               strlen(rows[i][1]), rows[i][2],
                               strlen(rows[i][2]), rows[i][3],
                               strlen(rows[i][3]), NULL, 0, NULL, 0};
        am_inventory_add(inv, &in, err, sizeof(err));
    }
    matcher = am_matcher_build(inv, &opts, err, sizeof(err));
    ctx = am_match_ctx_new();
}

static int on_event(am_event_t *ev, void *opaque) {
    const am_match_result_t *res;
    (void)opaque;
    am_matcher_match(matcher, ctx, ev, &res);
    return 0;
}

static void on_reject(long item, const char *reason, void *opaque) {
    (void)item;
    (void)opaque;
    /* Every reject has a reason. */
    if (!reason || !*reason)
        __builtin_trap();
}

static void on_skip(long item, am_skip_t why, void *opaque) {
    (void)item;
    (void)why;
    (void)opaque;
}

static int same_str(const char *a, const char *b) {
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

/* Traps unless \p a and \p b decoded to the same event. */
static void same_event(const am_event_t *a, const am_event_t *b) {
    if (!same_str(a->id, b->id) || a->kind != b->kind ||
        a->n_obs != b->n_obs || a->n_cves != b->n_cves ||
        a->confidence != b->confidence || a->port != b->port ||
        !same_str(a->category, b->category) ||
        !same_str(a->severity, b->severity) ||
        !same_str(a->source, b->source) || !same_str(a->tlp, b->tlp) ||
        !same_str(a->time, b->time) ||
        !same_str(a->valid_until, b->valid_until) ||
        !same_str(a->description, b->description) ||
        !same_str(a->protocol, b->protocol) || !same_str(a->tag, b->tag))
        __builtin_trap();
    for (size_t i = 0; i < a->n_obs; i++)
        if (a->obs[i].type != b->obs[i].type ||
            !same_str(a->obs[i].value, b->obs[i].value))
            __builtin_trap();
    for (size_t i = 0; i < a->n_cves; i++)
        if (!same_str(a->cves[i], b->cves[i]))
            __builtin_trap();
}

static void check_fast_pass(const uint8_t *data, size_t size) {
    static am_event_t fast, slow;
    static int ready;
    char err[512];
    json_t *root;

    if (!ready) {
        am_event_init(&fast);
        am_event_init(&slow);
        ready = 1;
    }
    if (am_decode_json_fast((const char *)data, size, &fast) < 0)
        return;
    am_event_reset(&slow);
    root = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, NULL);
    if (!root || !json_is_object(root) ||
        am_decode_json_obj(root, NULL, &slow, err, sizeof(err)) < 0)
        __builtin_trap();
    json_decref(root);
    same_event(&fast, &slow);
}

/* Traps unless am_decode_avro() (its fast reader first) and the walk
 * alone both take the message, alike, or both refuse it for one reason. */
static void check_avro_reader(const uint8_t *data, size_t size) {
    static am_event_t fast, walked;
    static int ready;
    char err[512], why[512];
    int rc, rc_walked;

    if (!ready) {
        am_event_init(&fast);
        am_event_init(&walked);
        ready = 1;
    }
    am_event_reset(&fast);
    am_event_reset(&walked);
    rc = am_decode_avro((const char *)data, size, &fast, err, sizeof(err));
    rc_walked = am_decode_avro_walked((const char *)data, size, &walked, why,
                                      sizeof(why));
    if (rc != rc_walked || (rc < 0 && strcmp(err, why) != 0))
        __builtin_trap();
    if (rc == 0)
        same_event(&fast, &walked);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static am_event_t ev;
    static int ready;
    am_decode_sink_t sink = {on_event, on_reject, on_skip, NULL};
    am_decode_hint_t hint = {"2026-11-20-scan_http-fuzz.csv", 1790000000};

    if (!ready) {
        setup();
        am_event_init(&ev);
        ready = 1;
    }
    am_decode(AM_FUZZ_FORMAT, (const char *)data, size, &hint, &ev, &sink,
              NULL);
    if (AM_FUZZ_FORMAT == AM_FORMAT_JSON)
        check_fast_pass(data, size);
    if (AM_FUZZ_FORMAT == AM_FORMAT_AVRO)
        check_avro_reader(data, size);
    return 0;
}
