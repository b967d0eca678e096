#include "bench_common.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

double am_bench_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

double am_bench_cpu_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

size_t am_bench_rss(void) {
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    size_t kb = 0;

    if (!f)
        return 0;
    while (fgets(line, sizeof(line), f))
        if (sscanf(line, "VmRSS: %zu kB", &kb) == 1)
            break;
    fclose(f);
    return kb * 1024;
}

void am_bench_report(const char *name, double value, const char *unit,
                     const char *baseline, double ratio) {
    if (baseline)
        printf("{\"name\":\"%s\",\"value\":%.6g,\"unit\":\"%s\","
               "\"baseline\":\"%s\",\"ratio\":%.3f}\n",
               name, value, unit, baseline, ratio);
    else
        printf("{\"name\":\"%s\",\"value\":%.6g,\"unit\":\"%s\"}\n", name,
               value, unit);
    fflush(stdout);
}
