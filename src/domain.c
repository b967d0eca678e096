/*
 * domain: canonical DNS names.
 *
 * Almost every name the engine sees is plain ASCII, so that case is one pass
 * through a 256-byte class table with no library call.  Only a label that
 * holds a byte >= 0x80 goes through libidn2 (UTS #46 processing), and it goes
 * through alone: passing the whole name would also apply the IDNA hyphen
 * rules to its ASCII labels and reject names we tolerate, such as
 * "-foo.bücher.de".  Whatever libidn2 returns is validated like ASCII input,
 * so both paths share one set of rules and one set of error messages.
 */
#include "domain.h"

#include "fail.h"

#include <idn2.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* Byte classes: the canonical byte for a valid one, DOT, BAD or HIGH. */
enum {
    CLASS_BAD = 0,
    CLASS_DOT = 1,
    CLASS_HIGH = 2,
};

/*
 * A label of more than this many UTF-8 bytes cannot become an A-label of at
 * most 63 bytes: every code point costs at least one byte of punycode, and a
 * code point is at most 4 bytes of UTF-8.  It bounds the stack copy that
 * libidn2 needs (it wants a NUL-terminated string).
 */
#define U_LABEL_MAX (4 * (AM_DOMAIN_LABEL_MAX + 1))

static unsigned char byte_class[256];
static bool byte_class_ready;

static void byte_class_init(void) {
    /*
     * Filled once; concurrent first calls write the same values, so a race
     * here is benign, and it keeps the table next to the rules it encodes.
     */
    for (int c = 0; c < 256; c++) {
        unsigned char k = CLASS_BAD;

        if (c >= 0x80)
            k = CLASS_HIGH;
        else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                 c == '-' || c == '_')
            k = (unsigned char)c;
        else if (c >= 'A' && c <= 'Z')
            k = (unsigned char)(c - 'A' + 'a');
        else if (c == '.')
            k = CLASS_DOT;
        byte_class[c] = k;
    }
    __atomic_store_n(&byte_class_ready, true, __ATOMIC_RELEASE);
}

static int fail_char(char *err, size_t err_size, unsigned char c) {
    if (c >= 0x20 && c < 0x7f)
        snprintf(err, err_size, "bad character '%c'", c);
    else
        snprintf(err, err_size, "bad character '\\x%02x'", c);
    return -1;
}

/*
 * Validates and lower-cases the ASCII name \p s of \p n bytes (no trailing
 * dot) into \p out.  \p out may equal \p s.
 */
static int canonical_ascii(const char *s, size_t n, char *out, char *err,
                           size_t err_size) {
    size_t label = 0;

    if (n == 0)
        return am_fail(err, err_size, "empty name");
    if (n > AM_DOMAIN_MAX)
        return am_fail(err, err_size, "name longer than 253 bytes");
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        unsigned char k = byte_class[c];

        if (k == CLASS_DOT) {
            if (label == 0)
                return am_fail(err, err_size, "empty label");
            label = 0;
            out[i] = '.';
            continue;
        }
        if (k == CLASS_BAD || k == CLASS_HIGH)
            return fail_char(err, err_size, c);
        if (++label > AM_DOMAIN_LABEL_MAX)
            return am_fail(err, err_size, "label longer than 63 bytes");
        out[i] = (char)k;
    }
    if (label == 0)
        return am_fail(err, err_size, "empty label");
    out[n] = '\0';
    return (int)n;
}

/*
 * Converts one label holding non-ASCII bytes to its A-label and appends it
 * to \p out at \p *o.  The result may hold dots: UTS #46 maps the ideographic
 * full stop (U+3002) and its kin to '.'.
 */
static int append_idn_label(const char *s, size_t n, char *out, size_t *o,
                            char *err, size_t err_size) {
    char u[U_LABEL_MAX + 1];
    char *a = NULL;
    int rc;
    size_t alen;

    if (n > U_LABEL_MAX)
        return am_fail(err, err_size, "label longer than 63 bytes");
    memcpy(u, s, n);
    u[n] = '\0';
    /*
     * Non-transitional first (IDNA 2008: "ß" stays "ß"), as browsers do now;
     * transitional as the fallback accepts the older IDNA 2003 names (some
     * symbols) that feeds still carry.
     */
    rc = idn2_to_ascii_8z(u, &a, IDN2_NONTRANSITIONAL);
    if (rc != IDN2_OK) {
        int rc2 = idn2_to_ascii_8z(u, &a, IDN2_TRANSITIONAL);

        if (rc2 != IDN2_OK) {
            /* Name the size errors as the ASCII path does. */
            if (rc == IDN2_TOO_BIG_LABEL || rc == IDN2_PUNYCODE_BIG_OUTPUT)
                return am_fail(err, err_size, "label longer than 63 bytes");
            if (rc == IDN2_TOO_BIG_DOMAIN)
                return am_fail(err, err_size, "name longer than 253 bytes");
            snprintf(err, err_size, "invalid internationalised name: %s",
                     idn2_strerror(rc));
            return -1;
        }
    }
    alen = strlen(a);
    if (*o + alen > AM_DOMAIN_MAX) {
        idn2_free(a);
        return am_fail(err, err_size, "name longer than 253 bytes");
    }
    memcpy(out + *o, a, alen);
    *o += alen;
    idn2_free(a);
    return 0;
}

/* The slow path: \p s has at least one byte >= 0x80. */
static int canonical_idn(const char *s, size_t n, char *out, char *err,
                         size_t err_size) {
    size_t o = 0;
    size_t start = 0;

    /*
     * Reject bad ASCII first: a NUL would cut the string libidn2 sees, and
     * the error then names the byte the user actually wrote.
     */
    for (size_t i = 0; i < n; i++)
        if (byte_class[(unsigned char)s[i]] == CLASS_BAD)
            return fail_char(err, err_size, (unsigned char)s[i]);

    while (start <= n) {
        const char *dot = memchr(s + start, '.', n - start);
        size_t end = dot ? (size_t)(dot - s) : n;
        bool high = false;

        for (size_t i = start; i < end; i++)
            high |= byte_class[(unsigned char)s[i]] == CLASS_HIGH;
        if (high) {
            if (append_idn_label(s + start, end - start, out, &o, err,
                                 err_size) < 0)
                return -1;
        } else {
            /* An ASCII label, "xn--" ones included, is copied as it is;
             * canonical_ascii() below checks and lower-cases it. */
            if (o + (end - start) > AM_DOMAIN_MAX)
                return am_fail(err, err_size, "name longer than 253 bytes");
            memcpy(out + o, s + start, end - start);
            o += end - start;
        }
        if (!dot)
            break;
        if (o + 1 > AM_DOMAIN_MAX)
            return am_fail(err, err_size, "name longer than 253 bytes");
        out[o++] = '.';
        start = end + 1;
    }
    /* A full stop mapped by UTS #46 may leave a trailing dot behind. */
    if (o > 0 && out[o - 1] == '.')
        o--;
    return canonical_ascii(out, o, out, err, err_size);
}

int am_domain_normalize(const char *s, size_t n, char *out, char *err,
                        size_t err_size) {
    bool high = false;

    if (!__atomic_load_n(&byte_class_ready, __ATOMIC_ACQUIRE))
        byte_class_init();
    /* A fully qualified name ("example.com.") is the same name; one dot
     * only, so "example.com.." stays an error (an empty label). */
    if (n > 0 && s[n - 1] == '.')
        n--;
    for (size_t i = 0; i < n; i++)
        high |= (unsigned char)s[i] >= 0x80;
    if (high)
        return canonical_idn(s, n, out, err, err_size);
    return canonical_ascii(s, n, out, err, err_size);
}
