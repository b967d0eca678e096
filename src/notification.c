#include "notification.h"

#include <string.h>
#include <time.h>

#include "sha1.h"

static int hexval(char c) {
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* The 16 bytes of namespace \p ns ("xxxxxxxx-xxxx-..."), or -1.  Callers
 * pass the same namespace again and again (one per notification), and
 * parsing it was half of a notification id's instructions besides the
 * hash: the last one is kept per thread, by its text. */
static int ns_bytes(const char *ns, unsigned char out[16]) {
    static _Thread_local char last[AM_UUID_STRLEN];
    static _Thread_local unsigned char last_bytes[16];
    size_t k = 0;

    if (last[0] && strcmp(ns, last) == 0) {
        memcpy(out, last_bytes, 16);
        return 0;
    }
    for (const char *p = ns; *p && k < 16; p++) {
        int hi, lo;
        if (*p == '-')
            continue;
        if ((hi = hexval(p[0])) < 0 || (lo = hexval(p[1])) < 0)
            return -1;
        out[k++] = (unsigned char)(hi << 4 | lo);
        p++;
    }
    if (k != 16)
        return -1;
    if ((k = strlen(ns)) < sizeof(last)) {
        memcpy(last, ns, k + 1);
        memcpy(last_bytes, out, 16);
    }
    return 0;
}

/* RFC 4122 section 4.3: SHA-1 over the namespace bytes and the name,
 * given in parts so that nothing needs to be concatenated. */
static int uuid5_parts(const char *ns, const void *const *parts,
                       const size_t *lens, size_t n_parts,
                       char out[AM_UUID_STRLEN]) {
    static const char hex[] = "0123456789abcdef";
    unsigned char nsb[16], md[AM_SHA1_LEN];
    am_sha1_t h;
    char *o = out;

    if (ns_bytes(ns, nsb) < 0)
        return -1;
    am_sha1_init(&h);
    am_sha1_update(&h, nsb, sizeof(nsb));
    for (size_t i = 0; i < n_parts; i++)
        am_sha1_update(&h, parts[i], lens[i]);
    am_sha1_final(&h, md);
    md[6] = (unsigned char)((md[6] & 0x0f) | 0x50);
    md[8] = (unsigned char)((md[8] & 0x3f) | 0x80);
    for (int i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            *o++ = '-';
        *o++ = hex[md[i] >> 4];
        *o++ = hex[md[i] & 15];
    }
    *o = '\0';
    return 0;
}

int am_uuid5(const char *ns, const void *name, size_t n,
             char out[AM_UUID_STRLEN]) {
    return uuid5_parts(ns, &name, &n, 1, out);
}

int am_notification_id(const char *tenant_id, const char *event_id,
                       char out[AM_UUID_STRLEN]) {
    const void *parts[3] = {tenant_id, "\n", event_id};
    size_t lens[3] = {strlen(tenant_id), 1, strlen(event_id)};

    return uuid5_parts(AM_NOTIFICATION_NS, parts, lens, 3, out);
}

const char *am_notification_id_of(const am_notification_t *nt,
                                  char buf[AM_UUID_STRLEN]) {
    if (nt->id)
        return nt->id;
    if (am_notification_id(am_inventory_tenant(nt->inv, nt->result->tenant),
                           nt->ev->id, buf) < 0)
        return NULL;
    return buf;
}

void am_notification_now(char out[32]) {
    time_t t = time(NULL);
    struct tm tm;

    gmtime_r(&t, &tm);
    strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* Assets of a notification whose strings are prefetched. */
#define AM_PREFETCH_MAX 32

void am_notification_prefetch(const am_inventory_t *inv,
                              const am_match_result_t *res, size_t n) {
    for (size_t i = 0; i < n; i++) {
        size_t listed = am_notification_listed(&res[i]);

        if (listed > AM_PREFETCH_MAX)
            listed = AM_PREFETCH_MAX; /* the rest would be evicted first */
        __builtin_prefetch(am_inventory_tenant(inv, res[i].tenant));
        for (size_t k = 0; k < listed; k++) {
            const am_asset_t *a = am_inventory_asset(inv, res[i].hits[k].asset);

            __builtin_prefetch(am_inventory_str(inv, a->asset_id));
            __builtin_prefetch(am_inventory_str(inv, a->value));
        }
    }
}
