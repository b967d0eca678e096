/*
 * decode_frames: decodes the messages of a bench-e2e frames file (what
 * e2e_load produces: a 4-byte big-endian length, then the message) with
 * am_decode() as the service does (format auto), in this process:
 *
 *   decode_frames FRAMES [COUNT]
 *
 * prints messages, events, rejects and events/s.  Under
 *   valgrind --tool=callgrind build/bench/decode_frames FRAMES 20000
 * it gives instruction counts that do not depend on the machine's load,
 * for the decoders as the service sees the harness's inputs (bare Avro,
 * plain JSON, STIX bundles).
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bench_common.h"
#include "decode.h"
#include "event.h"

static size_t events, rejects;

static int on_event(am_event_t *ev, void *opaque) {
    (void)ev;
    (void)opaque;
    events++;
    return 0;
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
    const unsigned char *d;
    size_t at = 0, max = SIZE_MAX, k = 0;
    struct stat st;
    am_event_t ev;
    double t0;
    int fd;

    if (argc < 2 || argc > 3 || argv[1][0] == '-') {
        fprintf(stderr, "usage: %s FRAMES [COUNT]\n", argv[0]);
        return 2;
    }
    if (argc == 3)
        max = strtoull(argv[2], NULL, 10);
    if ((fd = open(argv[1], O_RDONLY)) < 0 || fstat(fd, &st) < 0 ||
        (d = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd,
                  0)) == MAP_FAILED) {
        perror(argv[1]);
        return 1;
    }
    close(fd);
    am_event_init(&ev);
    t0 = am_bench_now();
    while (at + 4 <= (size_t)st.st_size && k < max) {
        size_t n = (size_t)d[at] << 24 | (size_t)d[at + 1] << 16 |
                   (size_t)d[at + 2] << 8 | d[at + 3];
        if (at + 4 + n > (size_t)st.st_size) {
            fprintf(stderr, "%s: truncated frame at byte %zu\n", argv[1], at);
            return 1;
        }
        am_decode(AM_FORMAT_AUTO, (const char *)d + at + 4, n, NULL, &ev,
                  &sink, NULL);
        at += 4 + n;
        k++;
    }
    t0 = am_bench_now() - t0;
    am_event_free(&ev);
    printf("%zu messages, %zu events, %zu rejected, %.0f events/s\n", k,
           events, rejects, t0 > 0 ? (double)events / t0 : 0.0);
    return rejects ? 1 : 0;
}
