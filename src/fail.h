/*
 * fail: the error text of a parser that fails often on the hot path (an
 * event's domain is tried as an IP address first): a constant message is
 * copied, not formatted, as snprintf("%s") costs more than the parse.
 */
#ifndef AM_FAIL_H
#define AM_FAIL_H

#include <stddef.h>
#include <string.h>

/** @brief Copies \p msg into \p err (truncated to \p err_size, NUL
 *         terminated when err_size > 0).  @returns -1. */
static inline int am_fail(char *err, size_t err_size, const char *msg) {
    size_t n = strlen(msg);

    if (err_size == 0)
        return -1;
    if (n >= err_size)
        n = err_size - 1;
    memcpy(err, msg, n);
    err[n] = '\0';
    return -1;
}

#endif
