/* Before any OpenSSL header: the SHA1_* calls are deprecated (sha1.h). */
#define OPENSSL_SUPPRESS_DEPRECATED
#include "sha1.h"

/* SHA1_Init, _Update and _Final return 1 always: they take no lock,
 * allocate nothing, and accept any length. */
void am_sha1_init(am_sha1_t *h) { SHA1_Init(&h->c); }

void am_sha1_update(am_sha1_t *h, const void *data, size_t n) {
    SHA1_Update(&h->c, data, n);
}

void am_sha1_final(am_sha1_t *h, unsigned char md[AM_SHA1_LEN]) {
    SHA1_Final(md, &h->c);
}

void am_sha1_hex(const unsigned char md[AM_SHA1_LEN],
                 char out[2 * AM_SHA1_LEN + 1]) {
    static const char hex[] = "0123456789abcdef";

    for (int i = 0; i < AM_SHA1_LEN; i++) {
        out[2 * i] = hex[md[i] >> 4];
        out[2 * i + 1] = hex[md[i] & 15];
    }
    out[2 * AM_SHA1_LEN] = '\0';
}
