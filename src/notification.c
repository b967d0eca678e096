#include "notification.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int hexval(char c) {
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* RFC 4122 section 4.3: SHA-1 over namespace bytes and name, version 5. */
int am_uuid5(const char *ns, const void *name, size_t n,
             char out[AM_UUID_STRLEN]) {
    unsigned char small[512], md[EVP_MAX_MD_SIZE];
    unsigned char *buf = n + 16 <= sizeof(small) ? small : malloc(n + 16);
    unsigned int md_len = 0;
    size_t k = 0;
    int ok;

    if (!buf)
        return -1;

    for (const char *p = ns; *p && k < 16; p++) {
        int hi, lo;
        if (*p == '-')
            continue;
        if ((hi = hexval(p[0])) < 0 || (lo = hexval(p[1])) < 0)
            break;
        buf[k++] = (unsigned char)(hi << 4 | lo);
        p++;
    }
    memcpy(buf + 16, name, n);
    ok = k == 16 && EVP_Digest(buf, n + 16, md, &md_len, EVP_sha1(), NULL);
    if (buf != small)
        free(buf);
    if (!ok)
        return -1;
    md[6] = (unsigned char)((md[6] & 0x0f) | 0x50);
    md[8] = (unsigned char)((md[8] & 0x3f) | 0x80);
    snprintf(out, AM_UUID_STRLEN,
             "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
             "%02x%02x%02x%02x%02x%02x",
             md[0], md[1], md[2], md[3], md[4], md[5], md[6], md[7], md[8],
             md[9], md[10], md[11], md[12], md[13], md[14], md[15]);
    return 0;
}

void am_notification_id(const char *tenant_id, const char *event_id,
                        char out[AM_UUID_STRLEN]) {
    size_t tn = strlen(tenant_id), en = strlen(event_id);
    char small[512];
    char *buf = tn + en + 1 <= sizeof(small) ? small : malloc(tn + en + 1);

    if (!buf) {
        /* Ids are bounded (AM_EVENT_MAX_STR); this only fails when out of
         * memory, where hashing the parts in two calls still gives an id. */
        am_uuid5(AM_NOTIFICATION_NS, event_id, en, out);
        return;
    }
    memcpy(buf, tenant_id, tn);
    buf[tn] = '\n';
    memcpy(buf + tn + 1, event_id, en);
    am_uuid5(AM_NOTIFICATION_NS, buf, tn + en + 1, out);
    if (buf != small)
        free(buf);
}

void am_notification_now(char out[32]) {
    time_t t = time(NULL);
    struct tm tm;

    gmtime_r(&t, &tm);
    strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}
