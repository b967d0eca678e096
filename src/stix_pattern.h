/*
 * stix_pattern: the STIX 2.1 patterning language (STIX 2.1 section 9,
 * grammar STIXPattern.g4), parsed in full and reduced to what the matcher
 * can use: the addresses, names and URLs an Indicator is about.
 *
 * The parser is a recursive-descent parser over the whole grammar:
 *
 *   pattern     := obs_seq EOF
 *   obs_seq     := obs_or ('FOLLOWEDBY' obs_or)*
 *   obs_or      := obs_and ('OR' obs_and)*
 *   obs_and     := obs_qual ('AND' obs_qual)*
 *   obs_qual    := obs_prim qualifier*        WITHIN n SECONDS,
 *   obs_prim    := '[' cmp_or ']'             REPEATS n TIMES,
 *                | '(' obs_seq ')'            START t'..' STOP t'..'
 *   cmp_or      := cmp_and ('OR' cmp_and)*
 *   cmp_and     := prop_test ('AND' prop_test)*
 *   prop_test   := path 'NOT'? op literal | '(' cmp_or ')'
 *                | 'NOT'? 'EXISTS' path
 *   path        := type ':' first ('.' name | '[' int|'*' ']')*
 *
 * Literals: 'strings' (escapes \' and \\ only), integers, floats, true,
 * false, t'2016-01-01T00:00:00Z', b'base64', h'hex'; set literals
 * ('a', 'b') after IN.  Keywords are upper case, as in the 2.1 grammar.
 * Whitespace (ASCII and the Unicode spaces of the grammar) and comments
 * (slash-star and double-slash) are skipped between tokens.
 *
 * What is extracted (everything else is parsed, checked and ignored):
 *
 *   path               operators             observable
 *   ipv4-addr:value    =  ==  IN  ISSUBSET   AM_OBS_IP, or AM_OBS_CIDR
 *   ipv6-addr:value    =  ==  IN  ISSUBSET     when the value has a '/'
 *   domain-name:value  =  ==  IN             AM_OBS_DOMAIN
 *   url:value          =  ==  IN             AM_OBS_URL
 *   email-addr:value   =  ==  IN             AM_OBS_EMAIL
 *
 * Only string constants count, and a comparison with NOT never does (it
 * says what the observation is not).  Paths that reach the same objects
 * through references (network-traffic:dst_ref.value,
 * domain-name:resolves_to_refs[*].value) are context, not the subject of
 * the Indicator, and are ignored; so are !=, <>, LIKE, MATCHES and
 * ISSUPERSET, which do not name one value.
 *
 * Bounds: a pattern longer than AM_STIX_PATTERN_MAX bytes or nested deeper
 * than AM_STIX_PATTERN_MAX_DEPTH brackets and parentheses is an error, so
 * no input can exhaust the stack.
 */
#ifndef AM_STIX_PATTERN_H
#define AM_STIX_PATTERN_H

#include <stddef.h>
#include <stdint.h>

#include "event.h"

/* Longest pattern accepted, in bytes. */
#define AM_STIX_PATTERN_MAX (64 * 1024)
/* Deepest nesting of '[' and '(' accepted. */
#define AM_STIX_PATTERN_MAX_DEPTH 64

/* One value found in a pattern, handed to the callback. */
typedef struct am_stix_obs_s {
    am_obs_type_t type;
    const char *value;   /* unescaped, NUL-terminated; borrowed for the
                          * duration of the callback */
    size_t len;
    const char *path;    /* "ipv4-addr:value", ... (static) */
    size_t column;       /* 1-based byte column of the string literal */
} am_stix_obs_t;

/* Called once per extracted value, in the order of the pattern text;
 * non-zero stops the parse. */
typedef int am_stix_cb(const am_stix_obs_t *obs, void *opaque);

/**
 * @brief Parses the \p n bytes of the STIX pattern at \p s (no NUL needed)
 *        and, when it is valid, hands each extracted value to \p cb.
 *
 * The whole pattern is checked before \p cb sees anything, so a pattern
 * with a syntax error yields no value at all.  \p cb may be NULL to only
 * check the syntax.
 *
 * @returns the number of values handed to \p cb (0: a valid pattern with
 *          nothing we match on); -1 when the pattern is invalid, with the
 *          reason and its 1-based byte column in \p err ("column 17:
 *          expected ']'"); -2 when \p cb returned non-zero (err is then
 *          "stopped").
 * @locality any thread; allocates only for patterns over 1 KiB.
 */
int am_stix_pattern_parse(const char *s, size_t n, am_stix_cb *cb,
                          void *opaque, char *err, size_t err_size);

/* A point in time, as read from a timestamp. */
typedef struct am_stix_time_s {
    int64_t sec;   /* Unix seconds, UTC */
    uint32_t nsec; /* 0..999999999 */
    uint8_t digits; /* fractional digits given (0..9; more are cut) */
} am_stix_time_t;

/**
 * @brief Parses a timestamp: RFC 3339 ("2016-05-12T08:17:27.123Z",
 *        "...+02:00") as STIX writes it, and the looser forms other feeds
 *        use: 't' or ' ' between date and time, lower-case 't'/'z', no
 *        zone (taken as UTC: "2022-01-10 02:20:37"), or a date alone
 *        (midnight UTC).  Fields are range-checked (no 30 February); a
 *        leap second :60 is accepted.
 * @returns 0, or -1 when \p s is not such a timestamp.
 */
int am_stix_time_parse(const char *s, size_t n, am_stix_time_t *t);

/* "YYYY-MM-DDTHH:MM:SS.sssZ" and its NUL, with up to 9 fraction digits. */
#define AM_STIX_TIME_STRLEN 32

/**
 * @brief Writes \p t as a STIX timestamp with at least millisecond
 *        precision ("2016-05-12T08:17:27.000Z"; more digits when \p t had
 *        them), the form created and modified require.
 * @returns the length written, without the NUL.
 */
size_t am_stix_time_format(const am_stix_time_t *t,
                           char out[AM_STIX_TIME_STRLEN]);

#endif
