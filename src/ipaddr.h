/*
 * ipaddr: parsing and formatting of IPv4/IPv6 addresses and CIDR prefixes.
 *
 * Both families are kept in one 16-byte, network-order key so that the rest
 * of the engine (the LPM, the inventory, the matcher) handles v4 and v6 with
 * the same code:
 *
 *     family  bytes used      bits
 *     v4      addr[0..3]      32      addr[4..15] are zero
 *     v6      addr[0..15]     128
 *
 * An IPv4-mapped IPv6 address (::ffff:a.b.c.d) is IPv4: it parses to the v4
 * key, and a mapped prefix ::ffff:0:0/96+n to the v4 prefix of length n.
 * Host bits set below the prefix length are an error for inventory input
 * (AM_IPADDR_STRICT) and are masked off for observed ranges.
 */
#ifndef AM_IPADDR_H
#define AM_IPADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define AM_IPADDR_V4 4
#define AM_IPADDR_V6 6

/* Longest text form of a prefix: a full IPv6 address, '/', "128", NUL. */
#define AM_IPADDR_STRLEN 52

typedef struct am_prefix_s {
    uint8_t addr[16]; /* network byte order, zero past the family's width */
    uint8_t len;      /* prefix length in bits: 0..32 or 0..128 */
    uint8_t family;   /* AM_IPADDR_V4 or AM_IPADDR_V6 */
} am_prefix_t;

/* Flags for am_ipaddr_parse(). */
#define AM_IPADDR_CIDR 0x1   /* accept "addr/len"; without it only addresses */
#define AM_IPADDR_STRICT 0x2 /* host bits set under the mask are an error */

/**
 * @brief Parses an address or (with AM_IPADDR_CIDR) a CIDR prefix from the
 *        \p n bytes at \p s (no NUL needed).
 *
 * A bare address becomes a host prefix (/32 or /128).  Without
 * AM_IPADDR_STRICT, host bits under the mask are cleared.
 *
 * @returns 0 on success, -1 on error with a short reason in \p err
 *          ("not an IP address", "prefix length 33 out of range for IPv4",
 *          "host bits set (network is 192.0.2.0/24)").
 */
int am_ipaddr_parse(const char *s, size_t n, int flags, am_prefix_t *out,
                    char *err, size_t err_size);

/**
 * @returns false when the \p n bytes at \p s cannot parse as an address or
 *          prefix (am_ipaddr_parse() would fail): only a digit starts
 *          IPv4, and IPv6 has a colon.  A cheap test before parsing text
 *          that is mostly names (a failed parse costs ~180 instructions).
 */
static inline bool am_ipaddr_may_be(const char *s, size_t n) {
    return n && ((s[0] >= '0' && s[0] <= '9') || memchr(s, ':', n));
}

/** @returns the address width of \p p's family: 32 or 128. */
static inline unsigned am_ipaddr_width(const am_prefix_t *p) {
    return p->family == AM_IPADDR_V4 ? 32 : 128;
}

/** @returns true when \p p is a single address (/32 or /128). */
static inline bool am_ipaddr_is_host(const am_prefix_t *p) {
    return p->len == am_ipaddr_width(p);
}

/**
 * @brief Writes \p p as text into \p buf (at least AM_IPADDR_STRLEN bytes):
 *        "192.0.2.1" for a host, "192.0.2.0/24" otherwise; IPv6 in the
 *        RFC 5952 canonical form.
 * @returns the length written, without the NUL.
 */
size_t am_ipaddr_format(const am_prefix_t *p, char *buf, size_t size);

/** @returns true when the two prefixes (same family) share an address. */
bool am_ipaddr_overlaps(const am_prefix_t *a, const am_prefix_t *b);

/** @returns true when \p outer (same family) contains all of \p inner. */
bool am_ipaddr_contains(const am_prefix_t *outer, const am_prefix_t *inner);

/** @brief Clears the bits of \p p under its prefix length. */
void am_ipaddr_mask(am_prefix_t *p);

#endif
