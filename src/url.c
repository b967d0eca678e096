/*
 * url: see url.h.  Both functions only move two pointers inward over the
 * caller's bytes: no copy, no allocation, no NUL needed.  They run once per
 * URL or e-mail observable of every event, and the caller normalises the
 * result anyway (am_domain_normalize() or am_ipaddr_parse()), so nothing
 * here lowercases or validates the host itself.
 */
#include "url.h"

#include <stdio.h>
#include <string.h>

/* The bytes [b, e) of the input; every step below narrows it. */
typedef struct span_s {
    const char *b;
    const char *e;
} span_t;

static bool is_space(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' ||
           c == '\f';
}

static bool is_alpha(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_digit(char c) {
    return c >= '0' && c <= '9';
}

static bool is_slash(char c) {
    return c == '/' || c == '\\';
}

/* Backslash too: browsers read "http://evil.example\@good.example/" as a
 * link to evil.example, and so must we. */
static bool ends_authority(char c) {
    return c == '/' || c == '?' || c == '#' || c == '\\';
}

static span_t trim(span_t sp) {
    while (sp.b < sp.e && is_space(sp.b[0]))
        sp.b++;
    while (sp.e > sp.b && is_space(sp.e[-1]))
        sp.e--;
    return sp;
}

/* Case-insensitive "does sp start with the lowercase ASCII word w". */
static bool starts_with_ci(span_t sp, const char *w) {
    size_t n = strlen(w);

    if ((size_t)(sp.e - sp.b) < n)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = sp.b[i];
        if (c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        if (c != w[i])
            return false;
    }
    return true;
}

static const char *find_first(span_t sp, char c) {
    for (const char *p = sp.b; p < sp.e; p++)
        if (*p == c)
            return p;
    return NULL;
}

static const char *find_last(span_t sp, char c) {
    for (const char *p = sp.e; p > sp.b; p--)
        if (p[-1] == c)
            return p - 1;
    return NULL;
}

/*
 * Skips "scheme:" and up to two slashes after it, or the "//" that starts a
 * scheme-relative URL; a lone leading slash starts a path, not a host.  The
 * scheme is whatever has the RFC 3986 shape (a letter, then letters, digits,
 * '+', '-', '.'), so defanged "hxxp" or "hXXps" need no list of their own.
 *
 * "host:8080" has that shape too, so a scheme only counts when a slash, a
 * backslash or the end of the input follows its colon (a port starts with a
 * digit); a lone "http:" is therefore a scheme without a host.  Backslashes
 * count as slashes because browsers open "http:\\host" as "http://host",
 * and phishing links use that.  At most two are skipped so that
 * "file:///etc/passwd" keeps its empty host instead of turning "etc" into
 * one.
 */
static span_t skip_scheme(span_t sp) {
    const char *p = sp.b;

    if (p < sp.e && is_alpha(*p)) {
        p++;
        while (p < sp.e && (is_alpha(*p) || is_digit(*p) || *p == '+' ||
                            *p == '-' || *p == '.'))
            p++;
        if (p < sp.e && *p == ':' && (p + 1 == sp.e || is_slash(p[1]))) {
            sp.b = p + 1;
            for (int i = 0; i < 2 && sp.b < sp.e && is_slash(sp.b[0]); i++)
                sp.b++;
            return sp;
        }
    }
    if (sp.e - sp.b >= 2 && is_slash(sp.b[0]) && is_slash(sp.b[1]))
        sp.b += 2;
    return sp;
}

/* A port is digits or nothing ("http://host:/" is valid).  Checking it is
 * what keeps "http:host" from quietly giving the host "http". */
static bool port_ok(span_t sp) {
    for (const char *p = sp.b; p < sp.e; p++)
        if (!is_digit(*p))
            return false;
    return true;
}

int am_url_host(const char *s, size_t n, const char **host, size_t *host_len,
                char *err, size_t err_size) {
    span_t sp = trim((span_t){s, s + n});
    span_t auth;
    const char *at, *colon;

    if (sp.b == sp.e) {
        snprintf(err, err_size, "empty URL");
        return -1;
    }
    sp = skip_scheme(sp);

    /* The authority ends at the first of "/?#\": an '@' in the path or the
     * query ("http://host/?a=b@c") is not user info. */
    auth = (span_t){sp.b, sp.b};
    while (auth.e < sp.e && !ends_authority(*auth.e))
        auth.e++;

    /* User info may itself hold '@' (an unescaped password), and the host
     * is what follows the last one, as browsers read it. */
    at = find_last(auth, '@');
    if (at)
        auth.b = at + 1;

    if (auth.b < auth.e && auth.b[0] == '[') {
        const char *close = find_first(auth, ']');
        span_t port;

        if (!close) {
            snprintf(err, err_size, "'[' without ']' in URL host");
            return -1;
        }
        port = (span_t){close + 1, auth.e};
        if (port.b < port.e && port.b[0] != ':') {
            snprintf(err, err_size, "text after ']' in URL host");
            return -1;
        }
        if (port.b < port.e && !port_ok((span_t){port.b + 1, port.e})) {
            snprintf(err, err_size, "bad port in URL");
            return -1;
        }
        auth = (span_t){auth.b + 1, close};
    } else {
        colon = find_first(auth, ':');
        /* Two colons cannot be host:port, so this is an IPv6 address that
         * the feed wrote without brackets: take it whole. */
        if (colon && find_last(auth, ':') != colon)
            colon = NULL;
        if (colon) {
            if (!port_ok((span_t){colon + 1, auth.e})) {
                snprintf(err, err_size, "bad port in URL");
                return -1;
            }
            auth.e = colon;
        }
    }
    if (auth.b == auth.e) {
        snprintf(err, err_size, "no host in URL");
        return -1;
    }
    *host = auth.b;
    *host_len = (size_t)(auth.e - auth.b);
    return 0;
}

int am_email_domain(const char *s, size_t n, const char **domain,
                    size_t *domain_len, char *err, size_t err_size) {
    span_t sp = trim((span_t){s, s + n});
    const char *lt, *at;
    bool mailto = false;

    if (starts_with_ci(sp, "mailto:")) {
        sp.b += 7;
        mailto = true;
    }
    /* "Name <user@host>" and "<user@host>": the address is in the last
     * angle brackets, since a quoted display name may hold '<' or '@'. */
    lt = find_last(sp, '<');
    if (lt) {
        const char *gt = find_first((span_t){lt, sp.e}, '>');

        if (!gt) {
            snprintf(err, err_size, "'<' without '>' in e-mail address");
            return -1;
        }
        sp = trim((span_t){lt + 1, gt});
        if (starts_with_ci(sp, "mailto:")) {
            sp.b += 7;
            mailto = true;
        }
    }
    /* A mailto URI may carry headers ("?cc=other@host"), whose '@' would
     * otherwise win; a plain address may have '?' in its local part. */
    if (mailto) {
        const char *q = find_first(sp, '?');
        if (q)
            sp.e = q;
    }
    at = find_last(sp, '@');
    if (!at) {
        snprintf(err, err_size, "no '@' in e-mail address");
        return -1;
    }
    sp = trim((span_t){at + 1, sp.e});

    /* An address literal, RFC 5321 4.1.3: "[192.0.2.1]" or
     * "[IPv6:2001:db8::1]"; the caller parses what is inside. */
    if (sp.b < sp.e && sp.b[0] == '[') {
        if (sp.e[-1] != ']') {
            snprintf(err, err_size,
                     "'[' without ']' in e-mail address literal");
            return -1;
        }
        sp = (span_t){sp.b + 1, sp.e - 1};
        if (starts_with_ci(sp, "ipv6:"))
            sp.b += 5;
    }
    if (sp.b == sp.e) {
        snprintf(err, err_size, "no domain after '@' in e-mail address");
        return -1;
    }
    *domain = sp.b;
    *domain_len = (size_t)(sp.e - sp.b);
    return 0;
}
