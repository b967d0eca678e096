/*
 * url: the host part of an observed URL or e-mail address, which is what the
 * matcher compares with the inventory.
 *
 * Feeds write URLs loosely, so the parser is lenient about everything but
 * the host: a missing scheme ("example.com/path"), user info
 * ("http://user:pw@host/"), a port ("host:8080"), an IPv6 literal in
 * brackets ("http://[2001:db8::1]:443/"), defanged dots are NOT undone
 * (hxxp://example[.]com is a different, unmatched text).
 */
#ifndef AM_URL_H
#define AM_URL_H

#include <stdbool.h>
#include <stddef.h>

/**
 * @brief Finds the host of the URL in the \p n bytes at \p s.
 *
 * On success *host points into \p s (borrowed, not NUL-terminated) and
 * *host_len is its length; brackets of an IPv6 literal are not included.
 * Surrounding whitespace is ignored; the host ends at the first '/', '?',
 * '#' or backslash (browsers treat a backslash as a slash) and starts after
 * the last '@' before that.  The host is neither lowercased nor checked:
 * pass it to am_domain_normalize() or am_ipaddr_parse().  A port, if any,
 * must be digits.  Allocates nothing.
 * @returns 0, or -1 with a reason in \p err ("empty URL", "no host in URL",
 *          "bad port in URL", "'[' without ']' in URL host", ...).
 */
int am_url_host(const char *s, size_t n, const char **host, size_t *host_len,
                char *err, size_t err_size);

/**
 * @brief Finds the domain of the e-mail address in the \p n bytes at \p s:
 *        what follows the last '@' (a "mailto:" prefix and angle brackets
 *        are allowed).  A bracketed address literal ("user@[192.0.2.1]")
 *        gives the address without brackets.
 * @returns 0, or -1 with a reason in \p err.
 */
int am_email_domain(const char *s, size_t n, const char **domain,
                    size_t *domain_len, char *err, size_t err_size);

#endif
