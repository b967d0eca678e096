/*
 * stix_pattern: see stix_pattern.h.
 *
 * The lexer produces one token of look-ahead; the parser is one function
 * per grammar rule, with loops for the left-associative chains (a AND b AND
 * c) so that recursion only grows with real nesting, which is counted and
 * bounded.  A pattern is parsed twice: once to check it, once to hand its
 * values to the callback, so that an invalid pattern never yields a value.
 */
#include "stix_pattern.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef enum tok_e {
    T_EOF,
    T_LBRACK,
    T_RBRACK,
    T_LPAREN,
    T_RPAREN,
    T_COLON,
    T_DOT,
    T_COMMA,
    T_ASTERISK,
    T_EQ,
    T_NEQ,
    T_LT,
    T_LE,
    T_GT,
    T_GE,
    T_IDENT,
    T_STRING,
    T_INT,
    T_FLOAT,
    T_BOOL,
    T_TIMESTAMP,
    T_BINARY,
    T_HEX,
    /* Keywords, in the order of the table below. */
    T_AND,
    T_OR,
    T_NOT,
    T_FOLLOWEDBY,
    T_LIKE,
    T_MATCHES,
    T_ISSUPERSET,
    T_ISSUBSET,
    T_EXISTS,
    T_LAST,
    T_IN,
    T_START,
    T_STOP,
    T_SECONDS,
    T_WITHIN,
    T_REPEATS,
    T_TIMES,
} tok_t;

/* Spelled as in the 2.1 grammar (upper case); "true" and "false" are
 * literals. */
static const char *const keywords[] = {
    "AND", "OR", "NOT", "FOLLOWEDBY", "LIKE", "MATCHES", "ISSUPERSET",
    "ISSUBSET", "EXISTS", "LAST", "IN", "START", "STOP", "SECONDS",
    "WITHIN", "REPEATS", "TIMES",
};
_Static_assert(sizeof(keywords) / sizeof(keywords[0]) == T_TIMES - T_AND + 1,
               "one keyword per keyword token");

typedef struct token_s {
    tok_t type;
    size_t pos;  /* offset of the first byte */
    size_t len;
    bool hyphen; /* T_IDENT: contains '-' (object types only) */
    bool neg;    /* T_INT, T_FLOAT: has a '-' sign */
} token_t;

/* The object paths whose values are extracted. */
static const struct {
    const char *type;
    const char *path;
    am_obs_type_t obs; /* AM_OBS_IP: AM_OBS_CIDR when the value has '/' */
} watched[] = {
    {"ipv4-addr", "ipv4-addr:value", AM_OBS_IP},
    {"ipv6-addr", "ipv6-addr:value", AM_OBS_IP},
    {"domain-name", "domain-name:value", AM_OBS_DOMAIN},
    {"url", "url:value", AM_OBS_URL},
    {"email-addr", "email-addr:value", AM_OBS_EMAIL},
};
#define N_WATCHED (sizeof(watched) / sizeof(watched[0]))
#define NOT_WATCHED ((int)N_WATCHED)

typedef struct parser_s {
    const char *s;
    size_t n;
    size_t pos; /* where the lexer continues */
    token_t tok;
    int depth;
    am_stix_cb *cb; /* NULL while checking */
    void *opaque;
    char *scratch;  /* n + 1 bytes for an unescaped string */
    int count;
    int stopped;
    char *err;
    size_t err_size;
} parser_t;

/* ---- errors ------------------------------------------------------------ */

/* Records "column N: <what>" (N: 1-based byte column of \p pos). */
static bool fail_at(parser_t *p, size_t pos, const char *what) {
    snprintf(p->err, p->err_size, "column %zu: %s", pos + 1, what);
    return false;
}

static bool expected(parser_t *p, const char *what) {
    char msg[96];

    snprintf(msg, sizeof(msg), "expected %s", what);
    return fail_at(p, p->tok.pos, msg);
}

/* ---- lexer ------------------------------------------------------------- */

static bool is_alpha(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static bool is_digit(char c) { return c >= '0' && c <= '9'; }

static bool is_hex(char c) {
    return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static bool is_b64(char c) {
    return is_alpha(c) ? c != '_' : is_digit(c) || c == '+' || c == '/';
}

/* Bytes of the whitespace character at s[i], 0 when there is none: ASCII
 * space, tab, CR, LF, VT, FF and the Unicode spaces of the grammar's WS
 * rule (U+0085, U+00A0, U+1680, U+2000..U+200A, U+2028, U+2029, U+202F,
 * U+205F, U+3000) in UTF-8. */
static size_t space_len(const char *s, size_t i, size_t n) {
    const unsigned char *u = (const unsigned char *)s + i;
    size_t left = n - i;

    if (*u == ' ' || (*u >= '\t' && *u <= '\r'))
        return 1;
    if (left >= 2 && u[0] == 0xc2 && (u[1] == 0x85 || u[1] == 0xa0))
        return 2;
    if (left < 3)
        return 0;
    if (u[0] == 0xe1 && u[1] == 0x9a && u[2] == 0x80)
        return 3;
    if (u[0] == 0xe2 && u[1] == 0x80 &&
        ((u[2] >= 0x80 && u[2] <= 0x8a) || u[2] == 0xa8 || u[2] == 0xa9 ||
         u[2] == 0xaf))
        return 3;
    if (u[0] == 0xe2 && u[1] == 0x81 && u[2] == 0x9f)
        return 3;
    if (u[0] == 0xe3 && u[1] == 0x80 && u[2] == 0x80)
        return 3;
    return 0;
}

/* Skips whitespace and comments. */
static bool skip_blank(parser_t *p) {
    const char *s = p->s;
    size_t n = p->n, k;

    while (p->pos < n) {
        if ((k = space_len(s, p->pos, n)) > 0) {
            p->pos += k;
        } else if (s[p->pos] == '/' && p->pos + 1 < n && s[p->pos + 1] == '*') {
            size_t start = p->pos;
            p->pos += 2;
            while (p->pos + 1 < n &&
                   !(s[p->pos] == '*' && s[p->pos + 1] == '/'))
                p->pos++;
            if (p->pos + 1 >= n)
                return fail_at(p, start, "unterminated comment");
            p->pos += 2;
        } else if (s[p->pos] == '/' && p->pos + 1 < n &&
                   s[p->pos + 1] == '/') {
            while (p->pos < n && s[p->pos] != '\n' && s[p->pos] != '\r')
                p->pos++;
        } else {
            break;
        }
    }
    return true;
}

/* 't' QUOTE YYYY-MM-DDTHH:MM:SS(.d+)?Z QUOTE, with the grammar's ranges;
 * \p i is at the first digit.  @returns the offset after the closing
 * quote, or 0. */
static size_t lex_timestamp(const char *s, size_t n, size_t i) {
    static const char shape[] = "dddd-dd-ddTdd:dd:dd";
    int v[6] = {0};
    int f = 0;

    for (size_t k = 0; shape[k]; k++, i++) {
        if (i >= n)
            return 0;
        if (shape[k] == 'd') {
            if (!is_digit(s[i]))
                return 0;
            v[f] = v[f] * 10 + (s[i] - '0');
        } else if (s[i] != shape[k]) {
            return 0;
        } else {
            f++;
        }
    }
    if (v[1] < 1 || v[1] > 12 || v[2] < 1 || v[2] > 31 || v[3] > 23 ||
        v[4] > 59 || v[5] > 60)
        return 0;
    if (i < n && s[i] == '.') {
        size_t d = ++i;
        while (i < n && is_digit(s[i]))
            i++;
        if (i == d)
            return 0;
    }
    if (i + 1 >= n || s[i] != 'Z' || s[i + 1] != '\'')
        return 0;
    return i + 2;
}

/* b'base64': groups of four, the last one possibly padded. */
static size_t lex_binary(const char *s, size_t n, size_t i) {
    size_t start = i, len;

    while (i < n && (is_b64(s[i]) || s[i] == '='))
        i++;
    if (i >= n || s[i] != '\'')
        return 0;
    len = i - start;
    if (len == 0 || len % 4 != 0)
        return 0;
    for (size_t k = start; k < i; k++) {
        /* '=' only as the last one or two characters. */
        if (s[k] == '=' && !(k == i - 1 || (k == i - 2 && s[i - 1] == '=')))
            return 0;
    }
    return i + 1;
}

/* h'hex': pairs of hex digits. */
static size_t lex_hex(const char *s, size_t n, size_t i) {
    size_t start = i;

    while (i < n && is_hex(s[i]))
        i++;
    if (i >= n || s[i] != '\'' || (i - start) % 2 != 0)
        return 0;
    return i + 1;
}

static bool lex_string(parser_t *p, size_t start) {
    const char *s = p->s;
    size_t i = start + 1;

    for (; i < p->n && s[i] != '\''; i++) {
        if (s[i] != '\\')
            continue;
        if (i + 1 >= p->n)
            break;
        if (s[i + 1] != '\'' && s[i + 1] != '\\') {
            unsigned char e = (unsigned char)s[i + 1];
            char what[64];
            if (e >= 0x20 && e < 0x7f)
                snprintf(what, sizeof(what), "bad escape '\\%c' in string "
                         "(only \\' and \\\\)", e);
            else
                snprintf(what, sizeof(what), "bad escape in string (only "
                         "\\' and \\\\)");
            return fail_at(p, i, what);
        }
        i++;
    }
    if (i >= p->n)
        return fail_at(p, start, "unterminated string");
    p->tok.type = T_STRING;
    p->tok.len = i + 1 - start;
    p->pos = i + 1;
    return true;
}

static bool lex_number(parser_t *p, size_t start) {
    const char *s = p->s;
    size_t i = start, d;

    p->tok.neg = s[i] == '-';
    if (s[i] == '+' || s[i] == '-')
        i++;
    d = i;
    while (i < p->n && is_digit(s[i]))
        i++;
    if (i + 1 < p->n && s[i] == '.' && is_digit(s[i + 1])) {
        for (i++; i < p->n && is_digit(s[i]); i++)
            ;
        p->tok.type = T_FLOAT;
    } else {
        if (i == d || (s[d] == '0' && i - d > 1))
            return fail_at(p, start, "bad number");
        p->tok.type = T_INT;
    }
    p->tok.len = i - start;
    p->pos = i;
    return true;
}

/* Reads the next token into p->tok. */
static bool next(parser_t *p) {
    const char *s = p->s;
    size_t i, end;
    char c;

    if (!skip_blank(p))
        return false;
    memset(&p->tok, 0, sizeof(p->tok));
    p->tok.pos = i = p->pos;
    if (i >= p->n) {
        p->tok.type = T_EOF;
        return true;
    }
    c = s[i];
    p->tok.len = 1;
    p->pos = i + 1;
    switch (c) {
    case '[':
        p->tok.type = T_LBRACK;
        return true;
    case ']':
        p->tok.type = T_RBRACK;
        return true;
    case '(':
        p->tok.type = T_LPAREN;
        return true;
    case ')':
        p->tok.type = T_RPAREN;
        return true;
    case ':':
        p->tok.type = T_COLON;
        return true;
    case ',':
        p->tok.type = T_COMMA;
        return true;
    case '*':
        p->tok.type = T_ASTERISK;
        return true;
    case '=':
        p->tok.type = T_EQ;
        if (i + 1 < p->n && s[i + 1] == '=')
            p->tok.len = 2;
        break;
    case '!':
        if (i + 1 >= p->n || s[i + 1] != '=')
            return fail_at(p, i, "unexpected character '!'");
        p->tok.type = T_NEQ;
        p->tok.len = 2;
        break;
    case '<':
        p->tok.type = T_LT;
        if (i + 1 < p->n && (s[i + 1] == '=' || s[i + 1] == '>')) {
            p->tok.type = s[i + 1] == '=' ? T_LE : T_NEQ;
            p->tok.len = 2;
        }
        break;
    case '>':
        p->tok.type = T_GT;
        if (i + 1 < p->n && s[i + 1] == '=') {
            p->tok.type = T_GE;
            p->tok.len = 2;
        }
        break;
    case '\'':
        return lex_string(p, i);
    case '.':
        if (i + 1 < p->n && is_digit(s[i + 1]))
            return lex_number(p, i);
        p->tok.type = T_DOT;
        return true;
    default:
        if (is_digit(c) ||
            ((c == '+' || c == '-') && i + 1 < p->n &&
             (is_digit(s[i + 1]) || s[i + 1] == '.')))
            return lex_number(p, i);
        if (!is_alpha(c)) {
            char what[40];
            if ((unsigned char)c >= 0x20 && (unsigned char)c < 0x7f)
                snprintf(what, sizeof(what), "unexpected character '%c'", c);
            else
                snprintf(what, sizeof(what), "unexpected character 0x%02x",
                         (unsigned char)c);
            return fail_at(p, i, what);
        }
        /* A typed literal: t'...', b'...', h'...'. */
        if (i + 1 < p->n && s[i + 1] == '\'' && (c == 't' || c == 'b' ||
                                                 c == 'h')) {
            end = c == 't'   ? lex_timestamp(s, p->n, i + 2)
                  : c == 'b' ? lex_binary(s, p->n, i + 2)
                             : lex_hex(s, p->n, i + 2);
            if (!end)
                return fail_at(p, i,
                               c == 't'   ? "bad timestamp literal"
                               : c == 'b' ? "bad binary literal"
                                          : "bad hex literal");
            p->tok.type = c == 't'   ? T_TIMESTAMP
                          : c == 'b' ? T_BINARY
                                     : T_HEX;
            p->tok.len = end - i;
            p->pos = end;
            return true;
        }
        end = i + 1;
        while (end < p->n && (is_alpha(s[end]) || is_digit(s[end]) ||
                              s[end] == '-')) {
            p->tok.hyphen |= s[end] == '-';
            end++;
        }
        p->tok.type = T_IDENT;
        p->tok.len = end - i;
        p->pos = end;
        for (size_t k = 0; k < sizeof(keywords) / sizeof(keywords[0]); k++)
            if (strlen(keywords[k]) == p->tok.len &&
                memcmp(keywords[k], s + i, p->tok.len) == 0)
                p->tok.type = (tok_t)(T_AND + k);
        if ((p->tok.len == 4 && memcmp(s + i, "true", 4) == 0) ||
            (p->tok.len == 5 && memcmp(s + i, "false", 5) == 0))
            p->tok.type = T_BOOL;
        return true;
    }
    p->pos = i + p->tok.len;
    return true;
}

/* ---- parser ------------------------------------------------------------ */

static bool expect(parser_t *p, tok_t t, const char *what) {
    return p->tok.type == t ? next(p) : expected(p, what);
}

static bool enter(parser_t *p) {
    if (++p->depth > AM_STIX_PATTERN_MAX_DEPTH) {
        snprintf(p->err, p->err_size, "column %zu: nested deeper than %d "
                 "levels", p->tok.pos + 1, AM_STIX_PATTERN_MAX_DEPTH);
        return false;
    }
    return true;
}

/* Unescapes the string token \p t into p->scratch. */
static size_t unescape(parser_t *p, const token_t *t) {
    size_t k = 0;

    for (size_t i = t->pos + 1; i < t->pos + t->len - 1; i++) {
        if (p->s[i] == '\\')
            i++;
        p->scratch[k++] = p->s[i];
    }
    p->scratch[k] = '\0';
    return k;
}

/* Hands the string token \p t on path \p w to the callback. */
static bool emit(parser_t *p, int w, const token_t *t) {
    am_stix_obs_t o;

    if (!p->cb || w == NOT_WATCHED)
        return true;
    o.len = unescape(p, t);
    o.value = p->scratch;
    o.path = watched[w].path;
    o.column = t->pos + 1;
    o.type = watched[w].obs;
    if (o.type == AM_OBS_IP && memchr(o.value, '/', o.len))
        o.type = AM_OBS_CIDR;
    p->count++;
    if (p->cb(&o, p->opaque) != 0) {
        p->stopped = 1;
        snprintf(p->err, p->err_size, "stopped");
        return false;
    }
    return true;
}

/* A property name: an identifier without '-', or a quoted string.
 * *is_value tells whether it is exactly "value". */
static bool prop_name(parser_t *p, bool *is_value) {
    const token_t *t = &p->tok;

    if (t->type == T_STRING) {
        *is_value = t->len == 7 && memcmp(p->s + t->pos, "'value'", 7) == 0;
        return next(p);
    }
    /* Keywords are valid property names only quoted. */
    if (t->type != T_IDENT)
        return expected(p, "a property name");
    if (t->hyphen)
        return fail_at(p, t->pos, "property name with '-' must be quoted");
    *is_value = t->len == 5 && memcmp(p->s + t->pos, "value", 5) == 0;
    return next(p);
}

/* objectType ':' first component, then '.name' and '[n]' / '[*]' steps.
 * *w is the watched path it is, or NOT_WATCHED. */
static bool object_path(parser_t *p, int *w) {
    token_t type = p->tok;
    bool is_value, plain = true;

    *w = NOT_WATCHED;
    if (type.type != T_IDENT)
        return expected(p, "an object path");
    if (!next(p) || !expect(p, T_COLON, "':'") || !prop_name(p, &is_value))
        return false;
    for (;;) {
        if (p->tok.type == T_DOT) {
            bool ignored;
            plain = false;
            if (!next(p) || !prop_name(p, &ignored))
                return false;
        } else if (p->tok.type == T_LBRACK) {
            plain = false;
            if (!next(p))
                return false;
            if (p->tok.type != T_ASTERISK && p->tok.type != T_INT)
                return expected(p, "an index or '*'");
            if (!next(p) || !expect(p, T_RBRACK, "']'"))
                return false;
        } else {
            break;
        }
    }
    if (!plain || !is_value)
        return true;
    for (size_t k = 0; k < N_WATCHED; k++)
        if (strlen(watched[k].type) == type.len &&
            memcmp(watched[k].type, p->s + type.pos, type.len) == 0)
            *w = (int)k;
    return true;
}

static bool is_literal(tok_t t, bool orderable) {
    switch (t) {
    case T_STRING:
    case T_INT:
    case T_FLOAT:
    case T_TIMESTAMP:
    case T_BINARY:
    case T_HEX:
        return true;
    case T_BOOL:
        return !orderable;
    default:
        return false;
    }
}

/* '(' [literal (',' literal)*] ')' after IN. */
static bool set_literal(parser_t *p, int w, bool extract) {
    if (!expect(p, T_LPAREN, "'('"))
        return false;
    if (p->tok.type == T_RPAREN)
        return next(p);
    for (;;) {
        token_t lit = p->tok;
        if (!is_literal(lit.type, false))
            return expected(p, "a literal");
        if (!next(p))
            return false;
        if (extract && lit.type == T_STRING && !emit(p, w, &lit))
            return false;
        if (p->tok.type == T_RPAREN)
            return next(p);
        if (!expect(p, T_COMMA, "',' or ')'"))
            return false;
    }
}

static bool cmp_or(parser_t *p);

static bool prop_test(parser_t *p) {
    bool negated = false;
    token_t lit;
    tok_t op;
    int w;

    if (p->tok.type == T_LPAREN) {
        if (!enter(p) || !next(p) || !cmp_or(p) ||
            !expect(p, T_RPAREN, "')'"))
            return false;
        p->depth--;
        return true;
    }
    /* NOT EXISTS is not in the 2.1 grammar but in the spec's text (9.6);
     * accept it. */
    if (p->tok.type == T_NOT || p->tok.type == T_EXISTS) {
        if (p->tok.type == T_NOT) {
            if (!next(p))
                return false;
            if (p->tok.type != T_EXISTS)
                return expected(p, "EXISTS");
        }
        return next(p) && object_path(p, &w);
    }
    if (!object_path(p, &w))
        return false;
    if (p->tok.type == T_NOT) {
        negated = true;
        if (!next(p))
            return false;
    }
    op = p->tok.type;
    switch (op) {
    case T_EQ:
    case T_NEQ:
    case T_LT:
    case T_LE:
    case T_GT:
    case T_GE:
        if (!next(p))
            return false;
        lit = p->tok;
        if (!is_literal(lit.type, op != T_EQ && op != T_NEQ))
            return expected(p, op == T_EQ || op == T_NEQ
                                   ? "a literal"
                                   : "a literal that can be ordered");
        if (!next(p))
            return false;
        return op == T_EQ && !negated && lit.type == T_STRING
                   ? emit(p, w, &lit)
                   : true;
    case T_IN:
        return next(p) && set_literal(p, w, !negated);
    case T_LIKE:
    case T_MATCHES:
    case T_ISSUBSET:
    case T_ISSUPERSET:
        if (!next(p))
            return false;
        lit = p->tok;
        if (lit.type != T_STRING)
            return expected(p, "a string");
        if (!next(p))
            return false;
        return op == T_ISSUBSET && !negated && w != NOT_WATCHED &&
                       watched[w].obs == AM_OBS_IP
                   ? emit(p, w, &lit)
                   : true;
    default:
        return expected(p, "a comparison operator");
    }
}

static bool cmp_and(parser_t *p) {
    if (!prop_test(p))
        return false;
    while (p->tok.type == T_AND)
        if (!next(p) || !prop_test(p))
            return false;
    return true;
}

static bool cmp_or(parser_t *p) {
    if (!cmp_and(p))
        return false;
    while (p->tok.type == T_OR)
        if (!next(p) || !cmp_and(p))
            return false;
    return true;
}

static bool obs_seq(parser_t *p);

static bool obs_prim(parser_t *p) {
    if (p->tok.type == T_LBRACK) {
        if (!enter(p) || !next(p) || !cmp_or(p) ||
            !expect(p, T_RBRACK, "']'"))
            return false;
    } else if (p->tok.type == T_LPAREN) {
        if (!enter(p) || !next(p) || !obs_seq(p) ||
            !expect(p, T_RPAREN, "')'"))
            return false;
    } else {
        return expected(p, "'[' or '('");
    }
    p->depth--;
    return true;
}

static bool positive_int(parser_t *p) {
    if (p->tok.type != T_INT || p->tok.neg)
        return expected(p, "a positive integer");
    return next(p);
}

/* Qualifiers are checked and then ignored: an indicator names the same
 * addresses whatever the time window. */
static bool obs_qual(parser_t *p) {
    if (!obs_prim(p))
        return false;
    for (;;) {
        switch (p->tok.type) {
        case T_WITHIN:
            if (!next(p))
                return false;
            if (p->tok.type == T_FLOAT && !p->tok.neg) {
                if (!next(p))
                    return false;
            } else if (!positive_int(p)) {
                return false;
            }
            if (!expect(p, T_SECONDS, "SECONDS"))
                return false;
            break;
        case T_REPEATS:
            if (!next(p) || !positive_int(p) ||
                !expect(p, T_TIMES, "TIMES"))
                return false;
            break;
        case T_START:
            if (!next(p) || !expect(p, T_TIMESTAMP, "a timestamp t'...'") ||
                !expect(p, T_STOP, "STOP") ||
                !expect(p, T_TIMESTAMP, "a timestamp t'...'"))
                return false;
            break;
        default:
            return true;
        }
    }
}

static bool obs_and(parser_t *p) {
    if (!obs_qual(p))
        return false;
    while (p->tok.type == T_AND)
        if (!next(p) || !obs_qual(p))
            return false;
    return true;
}

static bool obs_or(parser_t *p) {
    if (!obs_and(p))
        return false;
    while (p->tok.type == T_OR)
        if (!next(p) || !obs_and(p))
            return false;
    return true;
}

static bool obs_seq(parser_t *p) {
    if (!obs_or(p))
        return false;
    while (p->tok.type == T_FOLLOWEDBY)
        if (!next(p) || !obs_or(p))
            return false;
    return true;
}

static bool parse(parser_t *p) {
    p->pos = 0;
    p->depth = 0;
    p->count = 0;
    if (!next(p) || !obs_seq(p))
        return false;
    if (p->tok.type != T_EOF)
        return expected(p, "AND, OR, FOLLOWEDBY, a qualifier or the end");
    return true;
}

int am_stix_pattern_parse(const char *s, size_t n, am_stix_cb *cb,
                          void *opaque, char *err, size_t err_size) {
    char small[1024];
    parser_t p;
    int rc;

    if (n > AM_STIX_PATTERN_MAX) {
        snprintf(err, err_size,
                 "pattern of %zu bytes exceeds the limit of %d bytes", n,
                 AM_STIX_PATTERN_MAX);
        return -1;
    }
    memset(&p, 0, sizeof(p));
    p.s = s;
    p.n = n;
    p.err = err;
    p.err_size = err_size;
    if (err_size)
        err[0] = '\0';
    if (!parse(&p))
        return -1;
    if (!cb)
        return 0;
    p.scratch = n < sizeof(small) ? small : malloc(n + 1);
    if (!p.scratch) {
        snprintf(err, err_size, "out of memory");
        return -1;
    }
    p.cb = cb;
    p.opaque = opaque;
    rc = parse(&p) ? p.count : p.stopped ? -2 : -1;
    if (p.scratch != small)
        free(p.scratch);
    return rc;
}

/* ---- timestamps -------------------------------------------------------- */

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's
 * days_from_civil). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
    int64_t era;
    unsigned yoe, doy, doe;

    y -= m <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = (unsigned)(y - era * 400);
    doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

static void civil_from_days(int64_t z, int *y, int *m, int *d) {
    int64_t era;
    unsigned doe, yoe, doy, mp;

    z += 719468;
    era = (z >= 0 ? z : z - 146096) / 146097;
    doe = (unsigned)(z - era * 146097);
    yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = (int)((int64_t)yoe + era * 400 + (*m <= 2));
}

/* Reads exactly \p k digits at s[*i]. */
static bool digits(const char *s, size_t n, size_t *i, int k, int *v) {
    *v = 0;
    for (int j = 0; j < k; j++, (*i)++) {
        if (*i >= n || !is_digit(s[*i]))
            return false;
        *v = *v * 10 + (s[*i] - '0');
    }
    return true;
}

/* Earliest and latest instants with a four-digit year. */
#define MIN_SEC (-62167219200LL) /* 0000-01-01T00:00:00Z */
#define MAX_SEC 253402300799LL   /* 9999-12-31T23:59:59Z */

int am_stix_time_parse(const char *s, size_t n, am_stix_time_t *t) {
    static const int mdays[] = {31, 29, 31, 30, 31, 30,
                                31, 31, 30, 31, 30, 31};
    int y, mo, d, h = 0, mi = 0, sec = 0, zh = 0, zm = 0, zone = 0;
    uint32_t nsec = 0;
    uint8_t nd = 0;
    size_t i = 0;
    int64_t total;

    if (!digits(s, n, &i, 4, &y) || i >= n || s[i++] != '-' ||
        !digits(s, n, &i, 2, &mo) || i >= n || s[i++] != '-' ||
        !digits(s, n, &i, 2, &d))
        return -1;
    if (mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] ||
        (mo == 2 && d == 29 &&
         !(y % 4 == 0 && (y % 100 != 0 || y % 400 == 0))))
        return -1;
    if (i < n && (s[i] == 'T' || s[i] == 't' || s[i] == ' ')) {
        i++;
        if (!digits(s, n, &i, 2, &h) || i >= n || s[i++] != ':' ||
            !digits(s, n, &i, 2, &mi))
            return -1;
        if (i < n && s[i] == ':') {
            i++;
            if (!digits(s, n, &i, 2, &sec))
                return -1;
            if (i < n && s[i] == '.') {
                size_t first = ++i;
                for (; i < n && is_digit(s[i]); i++) {
                    if (nd < 9) {
                        nsec = nsec * 10 + (uint32_t)(s[i] - '0');
                        nd++;
                    }
                }
                if (i == first)
                    return -1;
                for (int k = nd; k < 9; k++)
                    nsec *= 10;
            }
        }
        if (h > 23 || mi > 59 || sec > 60)
            return -1;
        if (i < n && (s[i] == 'Z' || s[i] == 'z')) {
            i++;
        } else if (i < n && (s[i] == '+' || s[i] == '-')) {
            zone = s[i++] == '-' ? -1 : 1;
            if (!digits(s, n, &i, 2, &zh))
                return -1;
            if (i < n && s[i] == ':')
                i++;
            if (i < n && !digits(s, n, &i, 2, &zm))
                return -1;
            if (zh > 23 || zm > 59)
                return -1;
        } else if (n - i == 4 && memcmp(s + i, " UTC", 4) == 0) {
            i += 4;
        }
    }
    if (i != n)
        return -1;
    total = days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 +
            h * 3600 + mi * 60 + sec - zone * (zh * 3600 + zm * 60);
    if (total < MIN_SEC || total > MAX_SEC)
        return -1;
    t->sec = total;
    t->nsec = nsec;
    t->digits = nd;
    return 0;
}

size_t am_stix_time_format(const am_stix_time_t *t,
                           char out[AM_STIX_TIME_STRLEN]) {
    int64_t days = t->sec / 86400, rem = t->sec % 86400;
    int y, m, d, nd = t->digits > 3 ? t->digits : 3;
    uint32_t frac = t->nsec;
    int len;

    if (rem < 0) {
        rem += 86400;
        days--;
    }
    for (int k = nd; k < 9; k++)
        frac /= 10;
    civil_from_days(days, &y, &m, &d);
    len = snprintf(out, AM_STIX_TIME_STRLEN,
                   "%04d-%02d-%02dT%02d:%02d:%02d.%0*uZ", y, m, d,
                   (int)(rem / 3600), (int)(rem / 60 % 60), (int)(rem % 60),
                   nd, (unsigned)frac);
    return len < 0 ? 0 : (size_t)len;
}
