/*
 * decode_frames: decodes the messages of a bench-e2e frames file (what
 * e2e_load produces: a 4-byte big-endian length, then the message) with
 * am_decode() as the service does (format auto), in this process:
 *
 *   decode_frames [-i INVENTORY [-w] [-o NOTIFICATIONS]] FRAMES [COUNT]
 *
 * prints messages, events, rejects, notifications and events/s.  With an
 * inventory each event is also classified, matched and its notifications
 * encoded in Avro as the service does (without Kafka: no headers, no
 * produce), so the CPU per event of a lane can be measured alone; the
 * inventory's load is not timed.  -w: each event then enters a window of
 * recent indicators, as the service's do (its default size, bench-e2e's
 * age); -o: the notifications are written to NOTIFICATIONS, framed as
 * FRAMES is (what floor.sh produces).  Each event is matched as soon as it is
 * decoded: the service decodes a chunk of 32 messages first, prefetching
 * each event's tables, and then matches them (service.c, take_chunk()),
 * which instruction counts do not see but the wall-clock rate at 1M
 * assets does.  COUNT past the file's end goes round it again.  Under
 *   valgrind --tool=callgrind --toggle-collect=am_decode \
 *       build/bench/decode_frames [-i INVENTORY] FRAMES 20000
 * it gives instruction counts that do not depend on the machine's load,
 * for the decoders (and the matching and encoding) as the service sees
 * the harness's inputs (bare Avro, plain JSON, STIX bundles).
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "bench_common.h"
#include "classify.h"
#include "config.h"
#include "decode.h"
#include "encode_avro.h"
#include "event.h"
#include "inventory.h"
#include "matcher.h"
#include "notification.h"
#include "window.h"

static size_t events, rejects, notifications;

typedef struct pipeline_s {
    am_matcher_t *m;
    am_classify_t *cl;
    am_match_ctx_t *ctx;
    am_buf_t out;
    char match_time[32];
    FILE *save;      /* -o: each notification framed as the inputs are */
    am_window_t *win; /* -w: each event kept as the service keeps them */
    int64_t now;
} pipeline_t;

static int save_frame(FILE *f, const am_buf_t *b) {
    unsigned char len[4] = {(unsigned char)(b->len >> 24),
                            (unsigned char)(b->len >> 16),
                            (unsigned char)(b->len >> 8), (unsigned char)b->len};

    return fwrite(len, 4, 1, f) == 1 && fwrite(b->data, 1, b->len, f) == b->len
               ? 0
               : -1;
}

static int on_event(am_event_t *ev, void *opaque) {
    pipeline_t *p = opaque;
    const am_match_result_t *res;
    char err[256];
    int n;

    events++;
    if (!p)
        return 0;
    am_classify_event(p->cl, ev);
    if ((n = am_matcher_match(p->m, p->ctx, ev, &res)) < 0) {
        fprintf(stderr, "decode_frames: matching: out of memory\n");
        exit(1);
    }
    am_notification_prefetch(am_matcher_inventory(p->m), res, (size_t)n);
    for (int i = 0; i < n; i++) {
        /* No id given: the encoder makes it (the service makes it first,
         * for its headers: the same work). */
        am_notification_t nt = {.inv = am_matcher_inventory(p->m),
                                .ev = ev,
                                .result = &res[i],
                                .match_time = p->match_time,
                                .cl = p->cl};
        am_buf_reset(&p->out);
        if (am_encode_avro(&p->out, &nt, -1, err, sizeof(err)) < 0) {
            fprintf(stderr, "decode_frames: encoding: %s\n", err);
            exit(1);
        }
        if (p->save && save_frame(p->save, &p->out) < 0) {
            perror("decode_frames: -o");
            exit(1);
        }
        notifications++;
    }
    if (p->win && am_window_add(p->win, ev, NULL, 1, p->now) < 0) {
        fprintf(stderr, "decode_frames: the window: out of memory\n");
        exit(1);
    }
    return 0;
}

/* Loads the inventory, compiles the matcher and the classifier. */
static void pipeline_init(pipeline_t *p, const char *path) {
    am_inventory_load_opts_t lo = {false, 20, false, stderr};
    am_inventory_load_stats_t st;
    am_matcher_opts_t mo = {.include_unverified = false};
    am_inventory_t *inv = am_inventory_new();
    char err[512];

    if (!inv || am_inventory_load_file(inv, path, &lo, &st, err,
                                       sizeof(err)) < 0 ||
        !(p->m = am_matcher_build(inv, &mo, err, sizeof(err))) ||
        !(p->cl = am_classify_load(NULL, err, sizeof(err))) ||
        !(p->ctx = am_match_ctx_new())) {
        fprintf(stderr, "decode_frames: %s: %s\n", path,
                inv ? err : "out of memory");
        exit(1);
    }
    am_buf_init(&p->out);
    am_notification_now(p->match_time);
}

static void on_reject(long item, const char *reason, void *opaque) {
    (void)item;
    (void)opaque;
    if (rejects++ < 3)
        fprintf(stderr, "decode_frames: rejected: %s\n", reason);
}

static void on_skip(long item, am_skip_t why, void *opaque) {
    (void)item;
    (void)why;
    (void)opaque;
}

int main(int argc, char **argv) {
    am_decode_sink_t sink = {on_event, on_reject, on_skip, NULL};
    pipeline_t pipeline = {0};
    const unsigned char *d;
    size_t at = 0, max = SIZE_MAX, k = 0;
    struct stat st;
    am_event_t ev;
    double t0;
    int fd, a = 1;
    char err[256];

    if (argc >= 3 && !strcmp(argv[1], "-i")) {
        pipeline_init(&pipeline, argv[2]);
        sink.opaque = &pipeline;
        for (a = 3; a < argc; a++) {
            if (!strcmp(argv[a], "-w")) {
                /* The service's defaults, but for the age: bench-e2e's
                 * events are dated 2025 and run.py keeps them. */
                am_config_t cfg;
                am_window_opts_t wo;
                am_config_init(&cfg);
                if (am_config_set(&cfg, "window.max_age", "3650d", err,
                                  sizeof(err)) < 0) {
                    fprintf(stderr, "decode_frames: %s\n", err);
                    return 1;
                }
                wo = (am_window_opts_t){cfg.window_max_age_s,
                                        cfg.window_max_bytes};
                am_config_free(&cfg);
                if (!(pipeline.win = am_window_new(&wo))) {
                    fprintf(stderr, "decode_frames: out of memory\n");
                    return 1;
                }
                pipeline.now = (int64_t)time(NULL);
            } else if (!strcmp(argv[a], "-o") && a + 1 < argc) {
                if (!(pipeline.save = fopen(argv[++a], "wb"))) {
                    perror(argv[a]);
                    return 1;
                }
            } else {
                break;
            }
        }
    }
    if (argc - a < 1 || argc - a > 2 || argv[a][0] == '-') {
        fprintf(stderr,
                "usage: %s [-i INVENTORY [-w] [-o NOTIFICATIONS]] FRAMES "
                "[COUNT]\n",
                argv[0]);
        return 2;
    }
    if (argc - a == 2)
        max = strtoull(argv[a + 1], NULL, 10);
    if ((fd = open(argv[a], O_RDONLY)) < 0 || fstat(fd, &st) < 0 ||
        (d = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd,
                  0)) == MAP_FAILED) {
        perror(argv[a]);
        return 1;
    }
    close(fd);
    am_event_init(&ev);
    t0 = am_bench_now();
    while (k < max) {
        size_t n;
        if (at + 4 > (size_t)st.st_size) {
            if (max == SIZE_MAX || at == 0)
                break;
            at = 0; /* COUNT past the file's end: round again */
        }
        n = (size_t)d[at] << 24 | (size_t)d[at + 1] << 16 |
            (size_t)d[at + 2] << 8 | d[at + 3];
        if (at + 4 + n > (size_t)st.st_size) {
            fprintf(stderr, "%s: truncated frame at byte %zu\n", argv[a],
                    at);
            return 1;
        }
        am_decode(AM_FORMAT_AUTO, (const char *)d + at + 4, n, NULL, &ev,
                  &sink, NULL);
        at += 4 + n;
        k++;
    }
    t0 = am_bench_now() - t0;
    am_event_free(&ev);
    am_window_destroy(pipeline.win);
    if (pipeline.save && fclose(pipeline.save) != 0) {
        perror("decode_frames: -o");
        return 1;
    }
    printf("%zu messages, %zu events, %zu rejected, %zu notifications, "
           "%.0f events/s\n",
           k, events, rejects, notifications,
           t0 > 0 ? (double)events / t0 : 0.0);
    return rejects ? 1 : 0;
}
