/*
 * csv: an RFC 4180 record reader over a buffer in memory, for the inventory
 * and for Shadowserver reports.
 *
 * Fields are comma-separated; a field in double quotes may hold commas, line
 * breaks and doubled quotes ("").  Lines end in LF or CRLF.  Unquoted fields
 * point into the input; quoted ones are unescaped into the reader's own
 * buffer.  Either way a field stays valid until the next am_csv_next().
 */
#ifndef AM_CSV_H
#define AM_CSV_H

#include <stddef.h>

typedef struct am_csv_field_s {
    const char *s;
    size_t len;
} am_csv_field_t;

typedef struct am_csv_s {
    const char *p;     /* next byte to read */
    const char *end;
    size_t line;       /* line number of the next byte, from 1 */
    size_t rec_line;   /* line where the last record started */
    char *buf;         /* unescaped quoted fields */
    size_t buf_cap;
} am_csv_t;

/** @brief Starts reading the \p len bytes at \p data (borrowed). A UTF-8
 *         byte order mark is skipped. */
void am_csv_init(am_csv_t *csv, const char *data, size_t len);

/** @brief Frees the reader's buffer. */
void am_csv_free(am_csv_t *csv);

/**
 * @brief Reads the next record into \p fields (room for \p max), skipping
 *        empty lines.
 * @returns 1 with the field count in \p *n, 0 at the end of the input, or -1
 *          with a reason in \p err (unterminated quote, more than \p max
 *          fields, text after a closing quote).  After an error the reader
 *          has moved to the next line, so reading can go on.
 */
int am_csv_next(am_csv_t *csv, am_csv_field_t *fields, size_t max, size_t *n,
                char *err, size_t err_size);

/** @brief Trims blanks (spaces, tabs, line ends) at both ends of the \p *n
 *         bytes at \p *s: spreadsheets leave them around fields. */
void am_csv_trim(const char **s, size_t *n);

#endif
