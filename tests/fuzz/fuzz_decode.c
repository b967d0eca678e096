/*
 * libFuzzer target: one decoder (AM_FUZZ_FORMAT, set per executable by
 * CMake) on arbitrary bytes, then the matcher on whatever it decoded.  The
 * decoders must reject bad input with a reason, never crash, leak or read
 * out of bounds.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "decode.h"
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
    return 0;
}
