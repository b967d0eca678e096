#include "fileio.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

static int read_all(int fd, am_file_t *f) {
    size_t cap = 65536, len = 0;
    char *buf = malloc(cap);

    if (!buf)
        return -1;
    for (;;) {
        ssize_t r;
        if (len == cap) {
            char *nb = realloc(buf, cap * 2);
            if (!nb) {
                free(buf);
                errno = ENOMEM;
                return -1;
            }
            buf = nb;
            cap *= 2;
        }
        r = read(fd, buf + len, cap - len);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            int e = errno;
            free(buf);
            errno = e;
            return -1;
        }
        if (r == 0)
            break;
        len += (size_t)r;
    }
    f->data = buf;
    f->len = len;
    f->mapped = 0;
    return 0;
}

int am_file_open(am_file_t *f, const char *path, char *err, size_t err_size) {
    int fd = strcmp(path, "-") == 0 ? STDIN_FILENO : open(path, O_RDONLY);
    struct stat st;
    int rc = -1;

    memset(f, 0, sizeof(*f));
    if (fd < 0) {
        snprintf(err, err_size, "%s: %s", path, strerror(errno));
        return -1;
    }
    if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
        snprintf(err, err_size, "%s: is a directory", path);
    } else if (fd != STDIN_FILENO && S_ISREG(st.st_mode) && st.st_size > 0) {
        void *p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd,
                       0);
        if (p == MAP_FAILED) {
            snprintf(err, err_size, "%s: %s", path, strerror(errno));
        } else {
            madvise(p, (size_t)st.st_size, MADV_SEQUENTIAL);
            f->data = p;
            f->len = (size_t)st.st_size;
            f->mapped = 1;
            rc = 0;
        }
    } else if (read_all(fd, f) == 0) {
        rc = 0;
    } else {
        snprintf(err, err_size, "%s: %s", path, strerror(errno));
    }
    if (fd != STDIN_FILENO)
        close(fd);
    return rc;
}

void am_file_close(am_file_t *f) {
    if (f->mapped)
        munmap((void *)f->data, f->len);
    else
        free((void *)f->data);
    memset(f, 0, sizeof(*f));
}
