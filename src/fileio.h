/*
 * fileio: a whole input file in memory, mapped when it is a regular file
 * (a million-line inventory is not copied) and read otherwise (pipes,
 * standard input as "-").
 */
#ifndef AM_FILEIO_H
#define AM_FILEIO_H

#include <stddef.h>

typedef struct am_file_s {
    const char *data; /* the bytes; not NUL-terminated */
    size_t len;
    int mapped;       /* how to release it */
} am_file_t;

/**
 * @brief Reads \p path ("-" is standard input) into \p f.
 * @returns 0, or -1 with "PATH: strerror" in \p err.
 */
int am_file_open(am_file_t *f, const char *path, char *err, size_t err_size);

/** @brief Releases what am_file_open() took. */
void am_file_close(am_file_t *f);

#endif
