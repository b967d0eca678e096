#include "log.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <time.h>

static atomic_int log_level = AM_LOG_INFO;

void am_log_set_level(int level) {
    atomic_store(&log_level, level);
}

int am_log_enabled(int level) {
    return level <= atomic_load(&log_level);
}

void am_log(int level, const char *fmt, ...) {
    static const char *const names[] = {"EMERG", "ALERT", "CRIT", "ERROR",
                                        "WARN",  "NOTICE", "INFO", "DEBUG"};
    char line[1024], ts[32];
    struct timespec now;
    struct tm tm;
    va_list ap;
    int n;

    clock_gettime(CLOCK_REALTIME, &now);
    gmtime_r(&now.tv_sec, &tm);
    strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
    n = snprintf(line, sizeof(line), "%s.%03ldZ %-6s ", ts,
                 now.tv_nsec / 1000000, names[level & 7]);
    va_start(ap, fmt);
    vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
    va_end(ap);
    /* One write per line, so lines of several threads do not mix. */
    fprintf(stderr, "%s\n", line);
}
