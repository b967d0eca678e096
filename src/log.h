/*
 * log: one line per event of note on standard error, with a level
 * threshold set once at start.  Nothing is logged per message at the
 * default level (info); per-message detail is debug.
 */
#ifndef AM_LOG_H
#define AM_LOG_H

#define AM_LOG_ERR 3
#define AM_LOG_WARNING 4
#define AM_LOG_NOTICE 5
#define AM_LOG_INFO 6
#define AM_LOG_DEBUG 7

/** @brief Sets the most verbose level that is printed. */
void am_log_set_level(int level);

/** @returns whether \p level is printed. */
int am_log_enabled(int level);

void am_log(int level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#define AM_LOG(level, ...)                                                   \
    do {                                                                     \
        if (am_log_enabled(level))                                           \
            am_log(level, __VA_ARGS__);                                      \
    } while (0)

#endif
