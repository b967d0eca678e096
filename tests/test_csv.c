/*
 * Tests for csv: the RFC 4180 record reader.
 *
 * Most cases read a whole input and compare a rendering of every record:
 * "LINE[f1|f2|...]" for a record that starts on LINE, "LINE!reason" for an
 * error, records separated by a space.  The input is copied into a heap
 * buffer of exactly its length, with no NUL after it, so that a read past
 * the end shows up under AddressSanitizer.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csv.h"

/* Renders every record of the n bytes at `in`, read with room for `max`
 * fields.  Stops after 64 records so that a reader that never ends fails
 * instead of hanging. */
static const char *render_n(const char *in, size_t n, size_t max) {
    static char out[4096];
    char *copy = malloc(n ? n : 1);
    am_csv_field_t fields[16];
    am_csv_t csv;
    size_t o = 0;
    int rc;

    cr_assert_not_null(copy);
    cr_assert_leq(max, 16);
    memcpy(copy, in, n);
    out[0] = '\0';
    am_csv_init(&csv, copy, n);
    for (int rec = 0; rec < 64; rec++) {
        char err[128] = "";
        size_t nf = 0;

        rc = am_csv_next(&csv, fields, max, &nf, err, sizeof(err));
        if (rc == 0)
            break;
        o += (size_t)snprintf(out + o, sizeof(out) - o, "%s%zu",
                              o ? " " : "", csv.rec_line);
        if (rc < 0) {
            o += (size_t)snprintf(out + o, sizeof(out) - o, "!%s", err);
            continue;
        }
        o += (size_t)snprintf(out + o, sizeof(out) - o, "[");
        for (size_t i = 0; i < nf; i++) {
            cr_assert_not_null(fields[i].s, "field %zu of record at line %zu",
                               i, csv.rec_line);
            o += (size_t)snprintf(out + o, sizeof(out) - o, "%s%.*s",
                                  i ? "|" : "", (int)fields[i].len,
                                  fields[i].s);
        }
        o += (size_t)snprintf(out + o, sizeof(out) - o, "]");
    }
    cr_assert_eq(rc, 0, "the reader did not reach the end");
    /* The end is sticky. */
    cr_assert_eq(am_csv_next(&csv, fields, max, &(size_t){0}, (char[8]){0},
                             8),
                 0);
    am_csv_free(&csv);
    free(copy);
    return out;
}

struct read_case {
    char in[96];
    int max;
    char want[160];
};

ParameterizedTestParameters(csv, records) {
    static struct read_case cases[] = {
        {"a,b,c\n", 8, "1[a|b|c]"},
        {"a,b,c", 8, "1[a|b|c]"},
        {"a\nb\nc\n", 8, "1[a] 2[b] 3[c]"},
        {"", 8, ""},
        {"single", 8, "1[single]"},
        /* CRLF line ends, with and without one at the end. */
        {"a,b\r\nc,d\r\n", 8, "1[a|b] 2[c|d]"},
        {"a,b\r\nc\r", 8, "1[a|b] 2[c]"},
        {"a,\r\n", 8, "1[a|]"},
        /* A CR that does not end a line is data. */
        {"a\rb,c\n", 8, "1[a\rb|c]"},
        /* Blanks are data too. */
        {" a , b \n", 8, "1[ a | b ]"},
        /* Empty fields and a trailing comma. */
        {",,\n", 8, "1[||]"},
        {"a,\n", 8, "1[a|]"},
        {"a,", 8, "1[a|]"},
        {",a\n", 8, "1[|a]"},
        /* Quoted fields: commas, line breaks, doubled quotes. */
        {"\"a,b\",c\n", 8, "1[a,b|c]"},
        {"x,\"a,b\"\n", 8, "1[x|a,b]"},
        {"\"say \"\"hi\"\"\",x\n", 8, "1[say \"hi\"|x]"},
        {"\"\"\"\"\n", 8, "1[\"]"},
        {"\"a\nb\",c\nd\n", 8, "1[a\nb|c] 3[d]"},
        {"\"a\r\nb\"\r\nc\r\n", 8, "1[a\r\nb] 3[c]"},
        {"x,\"1\n2\n3\",y\nz\n", 8, "1[x|1\n2\n3|y] 4[z]"},
        {"\"a\"\r\n", 8, "1[a]"},
        {"\"a\"\r", 8, "1[a]"},
        {"\"a\"", 8, "1[a]"},
        /* An empty quoted field, first, alone or last. */
        {"\"\",b\n", 8, "1[|b]"},
        {"\"\"\n", 8, "1[]"},
        {"a,\"\"\n", 8, "1[a|]"},
        {"\"\",\"\"\n", 8, "1[|]"},
        /* Blank lines are skipped, and counted. */
        {"\n\na\n\r\n\nb\n\n", 8, "3[a] 6[b]"},
        {"\r\n\r\na\r\n", 8, "3[a]"},
        {"\n\n\n", 8, ""},
        /* A UTF-8 byte order mark is skipped; only a whole one. */
        {"\xef\xbb\xbf" "a,b\n", 8, "1[a|b]"},
        {"\xef\xbb\xbf\"a\",b\n", 8, "1[a|b]"},
        {"\xef\xbb\xbf", 8, ""},
        {"\xef\xbb" "a\n", 8, "1[\xef\xbb" "a]"},
        {"a,\xef\xbb\xbf\n", 8, "1[a|\xef\xbb\xbf]"},
        /* Errors; reading goes on at the next line. */
        {"a,\"bc\nd\n", 8, "1!unterminated quoted field"},
        {"\"", 8, "1!unterminated quoted field"},
        {"\"a\"\"", 8, "1!unterminated quoted field"},
        {"\"a\"x,b\nc,d\n", 8, "1!text after a closing quote 2[c|d]"},
        {"\"a\" ,b\nc\n", 8, "1!text after a closing quote 2[c]"},
        {"\"a\"\rb\nc\n", 8, "1!text after a closing quote 2[c]"},
        {"\"a\nb\"x\nc\n", 8, "1!text after a closing quote 3[c]"},
        {"x\n\"a\"b\n\"c\"d\ne\n", 8,
         "1[x] 2!text after a closing quote 3!text after a closing quote "
         "4[e]"},
        {"a,b,c\n", 3, "1[a|b|c]"},
        {"a,b,c,d\ne\n", 3, "1!more than 3 fields 2[e]"},
        {"a,b,c,\ne\n", 3, "1!more than 3 fields 2[e]"},
        {"\"x\ny\",b,c,d\ne\n", 3, "1!more than 3 fields 3[e]"},
        {"a,b\n", 1, "1!more than 1 fields"},
    };
    return cr_make_param_array(struct read_case, cases,
                               sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct read_case *c, csv, records) {
    cr_assert_str_eq(render_n(c->in, strlen(c->in), (size_t)c->max), c->want,
                     "input \"%s\"", c->in);
}

/* A NUL byte is data like any other. */
Test(csv, nul_byte_is_data) {
    static const char in[] = "a\0b,\"c\0d\"\n";
    am_csv_field_t f[4];
    am_csv_t csv;
    size_t n = 0;
    char err[64];

    am_csv_init(&csv, in, sizeof(in) - 1);
    cr_assert_eq(am_csv_next(&csv, f, 4, &n, err, sizeof(err)), 1);
    cr_assert_eq(n, 2);
    cr_assert_eq(f[0].len, 3);
    cr_assert_eq(memcmp(f[0].s, "a\0b", 3), 0);
    cr_assert_eq(f[1].len, 3);
    cr_assert_eq(memcmp(f[1].s, "c\0d", 3), 0);
    am_csv_free(&csv);
}

/* Unquoted fields point into the input; quoted ones into the reader's
 * buffer, where they stay valid until the next call. */
Test(csv, field_storage) {
    static const char in[] = "plain,\"quoted\",\"\",tail\n";
    am_csv_field_t f[8];
    am_csv_t csv;
    size_t n = 0;
    char err[64];

    am_csv_init(&csv, in, sizeof(in) - 1);
    cr_assert_eq(am_csv_next(&csv, f, 8, &n, err, sizeof(err)), 1);
    cr_assert_eq(n, 4);
    cr_assert_eq(f[0].s, in);
    cr_assert_eq(f[0].len, 5);
    cr_assert_eq(f[1].s, csv.buf);
    cr_assert_eq(f[1].len, 6);
    cr_assert_eq(memcmp(f[1].s, "quoted", 6), 0);
    cr_assert_not_null(f[2].s);
    cr_assert_eq(f[2].len, 0);
    cr_assert_eq(f[3].s, in + 18);
    cr_assert_eq(f[3].len, 4);
    am_csv_free(&csv);
    cr_assert_null(csv.buf);
    cr_assert_eq(csv.buf_cap, 0);
}

/* Quoted fields larger than the first buffer, several in one record: the
 * buffer grows and moves while the record is read, and every field still
 * comes out whole. */
Test(csv, large_quoted_fields) {
    size_t big = 3000;
    size_t len = 3 * (big + 3) + 16;
    char *in = malloc(len), *p = in;
    am_csv_field_t f[8];
    am_csv_t csv;
    size_t n = 0;
    char err[64];

    cr_assert_not_null(in);
    for (int k = 0; k < 3; k++) {
        *p++ = '"';
        memset(p, 'a' + k, big);
        p += big;
        *p++ = '"';
        *p++ = ',';
    }
    memcpy(p, "\"x\"\"y\"\nz\n", 9);
    p += 9;
    am_csv_init(&csv, in, (size_t)(p - in));
    cr_assert_eq(am_csv_next(&csv, f, 8, &n, err, sizeof(err)), 1, "%s",
                 err);
    cr_assert_eq(n, 4);
    cr_assert_eq(f[0].len, big);
    cr_assert_eq(f[1].len, big);
    cr_assert_eq(f[2].len, big);
    cr_assert_eq(f[0].s[0], 'a');
    cr_assert_eq(f[0].s[big - 1], 'a');
    cr_assert_eq(f[1].s[0], 'b');
    cr_assert_eq(f[1].s[big - 1], 'b');
    cr_assert_eq(f[2].s[0], 'c');
    cr_assert_eq(f[2].s[big - 1], 'c');
    cr_assert_eq(f[3].len, 3);
    cr_assert_eq(memcmp(f[3].s, "x\"y", 3), 0);
    cr_assert_eq(am_csv_next(&csv, f, 8, &n, err, sizeof(err)), 1);
    cr_assert_eq(csv.rec_line, 2);
    cr_assert_eq(n, 1);
    cr_assert_eq(f[0].len, 1);
    cr_assert_eq(am_csv_next(&csv, f, 8, &n, err, sizeof(err)), 0);
    am_csv_free(&csv);
    free(in);
}

/* rec_line is where a record starts; line is where the next byte is. */
Test(csv, line_numbers) {
    static const char in[] = "h1,h2\n\n\"a\nb\nc\",d\n\ne,f\n";
    am_csv_field_t f[4];
    am_csv_t csv;
    size_t n;
    char err[64];

    am_csv_init(&csv, in, sizeof(in) - 1);
    cr_assert_eq(csv.line, 1);
    cr_assert_eq(am_csv_next(&csv, f, 4, &n, err, sizeof(err)), 1);
    cr_assert_eq(csv.rec_line, 1);
    cr_assert_eq(csv.line, 2);
    cr_assert_eq(am_csv_next(&csv, f, 4, &n, err, sizeof(err)), 1);
    cr_assert_eq(csv.rec_line, 3);
    cr_assert_eq(csv.line, 6);
    cr_assert_eq(am_csv_next(&csv, f, 4, &n, err, sizeof(err)), 1);
    cr_assert_eq(csv.rec_line, 7);
    cr_assert_eq(csv.line, 8);
    cr_assert_eq(am_csv_next(&csv, f, 4, &n, err, sizeof(err)), 0);
    am_csv_free(&csv);
}

/* The reason is cut to the room given. */
Test(csv, error_text_bounded) {
    static const char in[] = "\"a\"x\n";
    am_csv_field_t f[4];
    am_csv_t csv;
    size_t n;
    char err[5];

    am_csv_init(&csv, in, sizeof(in) - 1);
    cr_assert_eq(am_csv_next(&csv, f, 4, &n, err, sizeof(err)), -1);
    cr_assert_str_eq(err, "text");
    am_csv_free(&csv);
}

Test(csv, free_twice_is_harmless) {
    am_csv_t csv;

    am_csv_init(&csv, "\"a\"", 3);
    cr_assert_eq(am_csv_next(&csv, (am_csv_field_t[1]){{0}}, 1, &(size_t){0},
                             (char[8]){0}, 8),
                 1);
    am_csv_free(&csv);
    am_csv_free(&csv);
    cr_assert_null(csv.buf);
}
