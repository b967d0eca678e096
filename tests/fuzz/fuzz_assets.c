/*
 * libFuzzer target: what the registration side hands the inventory.
 *
 *   an input that starts with a NUL byte: records of the assets topic after
 *         it, each [key length: 1 byte][value length: 2 bytes,
 *         little-endian][key][value] (a value of JSON, Avro, or empty: a
 *         tombstone), applied to a live inventory that is then rebuilt;
 *   any other: an inventory file (CSV or JSON lines, as `--inventory`
 *         loads it, bad records skipped), then a matcher built from what
 *         loaded.  No inventory starts with a NUL, so the inventory
 *         fixtures of tests/data/inventory/ are seeds as they are.
 *
 * A bad file line or record must be refused with a reason, never crash,
 * leak or read out of bounds, and leave a matcher that builds.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

#include "assets_in.h"
#include "inventory.h"
#include "live.h"
#include "matcher.h"

static int fd = -1;
static char path[64];
static FILE *devnull;

static void load_file(const uint8_t *data, size_t size) {
    am_inventory_load_opts_t opts = {true, 5, false, devnull};
    am_matcher_opts_t mo = {.include_unverified = true,
                            .own_inventory = true};
    am_inventory_load_stats_t st;
    am_inventory_t *inv = am_inventory_new();
    am_matcher_t *m;
    char err[512];

    if (ftruncate(fd, 0) < 0 ||
        pwrite(fd, data, size, 0) != (ssize_t)size)
        __builtin_trap();
    err[0] = '\0';
    if (am_inventory_load_file(inv, path, &opts, &st, err, sizeof(err)) < 0
        && !err[0])
        __builtin_trap(); /* a failure says why */
    if (st.loaded + st.bad != st.records)
        __builtin_trap();
    if (!(m = am_matcher_build(inv, &mo, err, sizeof(err))))
        __builtin_trap();
    am_matcher_destroy(m);
}

static void apply_records(const uint8_t *d, size_t n) {
    am_live_opts_t o = {.include_unverified = true,
                        .rebuild_interval_ms = 60000,
                        .rebuild_max_changes = 1000000,
                        .readers = 1};
    char reason[512];
    am_live_t *live = am_live_new(am_inventory_new(), &o, reason,
                                  sizeof(reason));

    if (!live)
        __builtin_trap();
    while (n >= 3) {
        size_t kl = d[0], vl = (size_t)d[1] | (size_t)d[2] << 8;
        d += 3;
        n -= 3;
        kl = kl < n ? kl : n;
        vl = vl < n - kl ? vl : n - kl;
        reason[0] = '\0';
        if (am_assets_apply(live, d, kl, d + kl, vl, 1, reason,
                            sizeof(reason)) < 0 &&
            !reason[0])
            __builtin_trap(); /* a refusal says why */
        d += kl + vl;
        n -= kl + vl;
    }
    if (am_live_sync(live) < 0)
        __builtin_trap();
    am_live_destroy(live);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (fd < 0) {
        if ((fd = memfd_create("inventory", 0)) < 0 ||
            !(devnull = fopen("/dev/null", "w")))
            __builtin_trap();
        snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
    }
    if (size > 0 && data[0] == 0)
        apply_records(data + 1, size - 1);
    else
        load_file(data, size);
    return 0;
}
