/*
 * sha1: SHA-1 for the ids the engine derives (notification UUIDv5s, the
 * ids of Shadowserver rows and IntelMQ events), never for security.
 *
 * The context lives on the caller's stack.  EVP, OpenSSL's interface since
 * 3.0, allocates a context and an implementation context for every digest
 * and looks the implementation up: for a notification id (two blocks) that
 * cost more than the hash, 5% of the service's own CPU at 20% matching
 * (bench/README.md, item 20).  So sha1.c calls OpenSSL's SHA1_* functions,
 * deprecated in 3.0 but the same code underneath, SHA extensions included.
 */
#ifndef AM_SHA1_H
#define AM_SHA1_H

#include <stddef.h>

#include <openssl/sha.h>

#define AM_SHA1_LEN 20

typedef struct am_sha1_s {
    SHA_CTX c;
} am_sha1_t;

void am_sha1_init(am_sha1_t *h);
void am_sha1_update(am_sha1_t *h, const void *data, size_t n);
void am_sha1_final(am_sha1_t *h, unsigned char md[AM_SHA1_LEN]);

/** @brief Writes \p md as 40 lower-case hex digits and a NUL into \p out. */
void am_sha1_hex(const unsigned char md[AM_SHA1_LEN],
                 char out[2 * AM_SHA1_LEN + 1]);

#endif
