/*
 * event: the one internal form of an incoming event, whatever its wire
 * format: its identity, its observables (what is matched) and the context
 * that travels into the notification (category, severity, TLP, ...).
 *
 * Every string of an event lives in the event's own arena, so a decoder
 * copies what it keeps from the message buffer and one am_event_reset()
 * frees it all.  Observables are validated and canonicalised when added
 * (am_event_add_observable()), so the matcher never parses text.
 */
#ifndef AM_EVENT_H
#define AM_EVENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arena.h"
#include "domain.h"
#include "ipaddr.h"

/* Bounds that keep memory per event small whatever the input says. */
#define AM_EVENT_MAX_OBSERVABLES 1024
#define AM_EVENT_MAX_STR 65536 /* bytes of any one text field */
#define AM_EVENT_MAX_CVES 64

typedef enum am_obs_type_e {
    AM_OBS_IP,
    AM_OBS_CIDR,
    AM_OBS_DOMAIN,
    AM_OBS_URL,
    AM_OBS_EMAIL,
    AM_OBS_ASN,
    AM_OBS__COUNT,
} am_obs_type_t;

/* What an observable resolved to, for the matcher. */
typedef enum am_obs_target_e {
    AM_TARGET_IP,     /* prefix (a host prefix for a single address) */
    AM_TARGET_DOMAIN, /* host: canonical domain name */
    AM_TARGET_ASN,    /* asn */
} am_obs_target_t;

typedef struct am_observable_s {
    uint8_t type;       /* am_obs_type_t, as the event said */
    uint8_t target;     /* am_obs_target_t */
    const char *value;  /* the text as given (arena) */
    const char *host;   /* AM_TARGET_DOMAIN: canonical name (arena) */
    size_t host_len;
    am_prefix_t prefix; /* AM_TARGET_IP */
    uint32_t asn;       /* AM_TARGET_ASN */
} am_observable_t;

typedef enum am_event_kind_e {
    AM_EVENT_INDICATOR,
    AM_EVENT_SCAN,
} am_event_kind_t;

typedef struct am_event_s {
    const char *id;
    uint8_t kind; /* am_event_kind_t */
    am_observable_t *obs;
    size_t n_obs;
    size_t cap_obs;
    /* Context; NULL when absent. */
    const char *category;
    const char *severity;
    const char *source;
    const char *tlp;
    const char *time;
    const char *description;
    const char *valid_until;
    int confidence; /* 0..100, -1 when absent */
    /* Scan results. */
    int port;       /* -1 when absent */
    const char *protocol;
    const char *tag;
    const char **cves; /* CVE ids (from tags, vulnerability fields) */
    size_t n_cves;
    /* Where it came from and what it is, as the source said it. */
    const char *format;      /* decoder: json, avro, stix, intelmq, ... */
    const char *feed;        /* feed or report name */
    const char *report_type; /* Shadowserver report type */
    const char *name;        /* STIX indicator name */
    const char *pattern;     /* STIX pattern, as given */
    const char *valid_from;
    /* Classification (classify.h): IntelMQ taxonomy, type, identifier,
     * and the n6 category where one maps. */
    const char *taxonomy;
    const char *type;
    const char *identifier;
    const char *n6_category;
    /* Context kept but not matched (destination.*, dst_*, extra.*, unknown
     * columns), as the text of one JSON object; NULL when none. */
    const char *context;
    am_arena_t arena;
} am_event_t;

/** @brief Initialises an empty event. */
void am_event_init(am_event_t *ev);

/** @brief Empties \p ev for the next message, keeping its memory. */
void am_event_reset(am_event_t *ev);

/** @brief Frees all memory of \p ev. */
void am_event_free(am_event_t *ev);

/** @returns an arena copy of \p n bytes at \p s (NUL-terminated), or NULL
 *           when out of memory or longer than AM_EVENT_MAX_STR. */
const char *am_event_strdup(am_event_t *ev, const char *s, size_t n);

/** @returns \p s, its \p n bytes ended by a NUL written at s[n], or NULL
 *           when longer than AM_EVENT_MAX_STR: am_event_strdup() without
 *           the copy, for a decoder whose text is already its own copy in
 *           the event's arena and whose byte s[n] it reads no more. */
static inline const char *am_event_str_in_place(const char *s, size_t n) {
    if (n > AM_EVENT_MAX_STR)
        return NULL;
    ((char *)(uintptr_t)s)[n] = '\0';
    return s;
}

/**
 * @brief Validates, canonicalises and appends an observable.  A domain, URL
 *        host or e-mail domain that is an IP literal resolves to the IP.
 * @returns 0, or -1 with a reason in \p err ("bad ip '1.2.3': not an IP
 *          address", "too many observables (limit 1024)").
 */
int am_event_add_observable(am_event_t *ev, am_obs_type_t type,
                            const char *s, size_t n, char *err,
                            size_t err_size);

/**
 * @brief am_event_add_observable() for a decoder: the reason names field
 *        \p field ("field 'ip': bad ip ...") or, with \p index >= 0, its
 *        element ("field 'observables[2].value': ...").  Formatted only on
 *        error.  @returns 0 or -1.
 */
int am_event_add_field_observable(am_event_t *ev, am_obs_type_t type,
                                  const char *s, size_t n, const char *field,
                                  long index, char *err, size_t err_size);

/** @brief An AS number given as an integer, as am_event_add_field_observable()
 *         adds its text. */
int am_event_add_field_asn(am_event_t *ev, long long asn, const char *field,
                           long index, char *err, size_t err_size);

/**
 * @brief Appends a CVE id (upper-cased; duplicates dropped).
 * @returns 0, or -1 when out of memory or over AM_EVENT_MAX_CVES.
 */
int am_event_add_cve(am_event_t *ev, const char *s, size_t n);

/** @brief Adds every CVE-YYYY-NNNN... id found in the text \p s. */
void am_event_scan_cves(am_event_t *ev, const char *s, size_t n);

/** @returns "ip", "cidr", "domain", "url", "email", "asn". */
const char *am_obs_type_name(am_obs_type_t type);

/** @returns the type named \p s (as am_obs_type_name()), or -1. */
int am_obs_type_parse(const char *s, size_t n);

/** @returns "indicator" or "scan". */
const char *am_event_kind_name(am_event_kind_t kind);

#endif
