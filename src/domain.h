/*
 * domain: the one canonical text form of a DNS name, so that the inventory
 * and every observed name compare byte for byte.
 *
 * Canonical form: ASCII lower case, no trailing dot, internationalised
 * labels in their punycode A-label form ("bücher.example" ->
 * "xn--bcher-kva.example"), each label 1..63 bytes, the whole at most 253.
 * Labels may hold letters, digits, '-' and '_' (service labels such as
 * _dmarc appear in real feeds); anything else is an error.
 */
#ifndef AM_DOMAIN_H
#define AM_DOMAIN_H

#include <stddef.h>

#define AM_DOMAIN_MAX 253   /* bytes of a canonical name, without the NUL */
#define AM_DOMAIN_LABEL_MAX 63

/**
 * @brief Writes the canonical form of the \p n bytes at \p s into \p out,
 *        which has room for AM_DOMAIN_MAX + 1 bytes; NUL-terminated.
 *
 * @returns the canonical length, or -1 with a reason in \p err that names
 *          the problem ("empty label", "label longer than 63 bytes",
 *          "name longer than 253 bytes", "bad character '/'",
 *          "invalid internationalised name: ...").
 */
int am_domain_normalize(const char *s, size_t n, char *out, char *err,
                        size_t err_size);

#endif
