/*
 * ipaddr: see ipaddr.h.  IPv4 is parsed by hand (it is on the hot path of
 * every scan row); IPv6 goes through inet_pton() on a bounded copy.
 */
#include "ipaddr.h"

#include "fail.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

static const uint8_t v4mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

/* Dotted quad, decimal, no leading zeros (they would read as octal to some
 * tools, so the text is ambiguous). */
static int parse_v4(const char *s, size_t n, uint8_t out[4]) {
    size_t i = 0;

    for (int part = 0; part < 4; part++) {
        unsigned v = 0, digits = 0;

        if (part > 0) {
            if (i >= n || s[i] != '.')
                return -1;
            i++;
        }
        while (i < n && s[i] >= '0' && s[i] <= '9' && digits < 4) {
            if (digits == 1 && v == 0)
                return -1;
            v = v * 10 + (unsigned)(s[i] - '0');
            digits++;
            i++;
        }
        if (digits == 0 || v > 255)
            return -1;
        out[part] = (uint8_t)v;
    }
    return i == n ? 0 : -1;
}

static int parse_v6(const char *s, size_t n, uint8_t out[16]) {
    char buf[INET6_ADDRSTRLEN + 8];

    /* inet_pton() stops at a NUL, which would hide what follows it. */
    if (n == 0 || n >= sizeof(buf) || memchr(s, '\0', n))
        return -1;
    memcpy(buf, s, n);
    buf[n] = '\0';
    return inet_pton(AF_INET6, buf, out) == 1 ? 0 : -1;
}

void am_ipaddr_mask(am_prefix_t *p) {
    for (unsigned i = 0; i < 16; i++) {
        unsigned bit = i * 8;
        if (bit >= p->len)
            p->addr[i] = 0;
        else if (bit + 8 > p->len)
            p->addr[i] &= (uint8_t)(0xff << (8 - (p->len - bit)));
    }
}

static bool host_bits_clear(const am_prefix_t *p) {
    am_prefix_t net;

    if (am_ipaddr_is_host(p)) /* most: an address has no host bits */
        return true;
    net = *p;

    am_ipaddr_mask(&net);
    return memcmp(net.addr, p->addr, sizeof(net.addr)) == 0;
}

int am_ipaddr_parse(const char *s, size_t n, int flags, am_prefix_t *out,
                    char *err, size_t err_size) {
    const char *slash = memchr(s, '/', n);
    size_t alen = slash ? (size_t)(slash - s) : n;
    int len = -1;

    memset(out, 0, sizeof(*out));
    if (slash) {
        size_t i = alen + 1;
        if (!(flags & AM_IPADDR_CIDR)) {
            return am_fail(err, err_size,
                           "a range where an address is expected");
        }
        len = 0;
        if (i == n || n - i > 3)
            return am_fail(err, err_size, "bad prefix length");
        for (; i < n; i++) {
            if (s[i] < '0' || s[i] > '9')
                return am_fail(err, err_size, "bad prefix length");
            len = len * 10 + (s[i] - '0');
        }
    }

    if (parse_v4(s, alen, out->addr) == 0) {
        out->family = AM_IPADDR_V4;
        out->len = 32;
    } else if (memchr(s, ':', alen) && parse_v6(s, alen, out->addr) == 0) {
        out->family = AM_IPADDR_V6;
        out->len = 128;
    } else {
        return am_fail(err, err_size, "not an IP address");
    }

    if (len >= 0) {
        if (len > (int)am_ipaddr_width(out)) {
            snprintf(err, err_size, "prefix length %d out of range for %s",
                     len, out->family == AM_IPADDR_V4 ? "IPv4" : "IPv6");
            return -1;
        }
        out->len = (uint8_t)len;
    }

    /* ::ffff:a.b.c.d is IPv4; a mapped prefix shorter than /96 spans more
     * than the mapped space and stays IPv6. */
    if (out->family == AM_IPADDR_V6 && out->len >= 96 &&
        memcmp(out->addr, v4mapped, 12) == 0) {
        memmove(out->addr, out->addr + 12, 4);
        memset(out->addr + 4, 0, 12);
        out->family = AM_IPADDR_V4;
        out->len -= 96;
    }

    if (!host_bits_clear(out)) {
        if (flags & AM_IPADDR_STRICT) {
            am_prefix_t net = *out;
            char buf[AM_IPADDR_STRLEN];
            am_ipaddr_mask(&net);
            am_ipaddr_format(&net, buf, sizeof(buf));
            snprintf(err, err_size, "host bits set (network is %s)", buf);
            return -1;
        }
        am_ipaddr_mask(out);
    }
    return 0;
}

/* Appends the decimal digits of v (< 1000). */
static size_t put_dec(char *o, unsigned v) {
    size_t n = 0;

    if (v >= 100)
        o[n++] = (char)('0' + v / 100);
    if (v >= 10)
        o[n++] = (char)('0' + v / 10 % 10);
    o[n++] = (char)('0' + v % 10);
    return n;
}

/* RFC 5952: lower case, no leading zeros, the longest run (first of equal
 * runs) of two or more zero groups as "::".  Written by hand: formatting is
 * on the path of every inventory record, where snprintf() cost 12% of a
 * load. */
static size_t format_v6(const uint8_t a[16], char *o) {
    static const char hex[] = "0123456789abcdef";
    uint16_t g[8];
    int best = -1, bestlen = 0;
    size_t n = 0;

    for (int i = 0; i < 8; i++)
        g[i] = (uint16_t)(a[2 * i] << 8 | a[2 * i + 1]);
    for (int i = 0; i < 8;) {
        int j = i;
        while (j < 8 && g[j] == 0)
            j++;
        if (j - i > bestlen && j - i >= 2) {
            best = i;
            bestlen = j - i;
        }
        i = j == i ? i + 1 : j;
    }
    for (int i = 0; i < 8; i++) {
        if (i == best) {
            o[n++] = ':';
            o[n++] = ':';
            i += bestlen - 1;
            continue;
        }
        if (i > 0 && i != best + bestlen)
            o[n++] = ':';
        for (int shift = 12, started = 0; shift >= 0; shift -= 4) {
            unsigned d = (g[i] >> shift) & 15;
            if (d || started || shift == 0) {
                o[n++] = hex[d];
                started = 1;
            }
        }
    }
    return n;
}

size_t am_ipaddr_format(const am_prefix_t *p, char *buf, size_t size) {
    char o[AM_IPADDR_STRLEN];
    size_t n = 0;

    if (p->family == AM_IPADDR_V4) {
        for (int i = 0; i < 4; i++) {
            if (i)
                o[n++] = '.';
            n += put_dec(o + n, p->addr[i]);
        }
    } else {
        n = format_v6(p->addr, o);
    }
    if (!am_ipaddr_is_host(p)) {
        o[n++] = '/';
        n += put_dec(o + n, p->len);
    }
    if (size == 0)
        return n;
    memcpy(buf, o, n < size ? n : size - 1);
    buf[n < size ? n : size - 1] = '\0';
    return n;
}

/* Compares the first \p bits bits of two keys. */
static bool prefix_equal(const uint8_t *a, const uint8_t *b, unsigned bits) {
    unsigned bytes = bits / 8, rem = bits % 8;

    if (memcmp(a, b, bytes) != 0)
        return false;
    if (rem == 0)
        return true;
    return ((a[bytes] ^ b[bytes]) & (uint8_t)(0xff << (8 - rem))) == 0;
}

bool am_ipaddr_contains(const am_prefix_t *outer, const am_prefix_t *inner) {
    return outer->family == inner->family && outer->len <= inner->len &&
           prefix_equal(outer->addr, inner->addr, outer->len);
}

bool am_ipaddr_overlaps(const am_prefix_t *a, const am_prefix_t *b) {
    return am_ipaddr_contains(a, b) || am_ipaddr_contains(b, a);
}
