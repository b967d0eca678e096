#include "http.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct am_http_s {
    struct MHD_Daemon *d;
    const am_metrics_t *m;
    int port;
};

static enum MHD_Result reply(struct MHD_Connection *c, unsigned status,
                             const char *type, const char *body, size_t n) {
    struct MHD_Response *r = MHD_create_response_from_buffer(
        n, (void *)body, MHD_RESPMEM_MUST_COPY);
    enum MHD_Result rc;

    MHD_add_response_header(r, "Content-Type", type);
    rc = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return rc;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c,
                              const char *url, const char *method,
                              const char *version, const char *upload,
                              size_t *upload_size, void **state) {
    am_http_t *h = cls;
    am_buf_t b;
    enum MHD_Result rc;

    if (strcmp(method, "GET") != 0)
        return reply(c, 405, "text/plain", "GET only\n", 9);
    if (!strcmp(url, "/metrics")) {
        am_buf_init(&b);
        am_metrics_render(h->m, &b);
        rc = reply(c, b.oom ? 500 : 200,
                   "text/plain; version=0.0.4; charset=utf-8",
                   b.data ? b.data : "", b.len);
        am_buf_free(&b);
        return rc;
    }
    if (!strcmp(url, "/healthz"))
        return reply(c, 200, "text/plain", "ok\n", 3);
    if (!strcmp(url, "/readyz")) {
        int ready =
            atomic_load(&((am_metrics_t *)h->m)->inventory_loaded) &&
            atomic_load(&((am_metrics_t *)h->m)->assigned) > 0;
        return ready ? reply(c, 200, "text/plain", "ready\n", 6)
                     : reply(c, 503, "text/plain", "not ready\n", 10);
    }
    return reply(c, 404, "text/plain", "not found\n", 10);
}

am_http_t *am_http_start(const char *listen, const am_metrics_t *m,
                         char *err, size_t err_size) {
    am_http_t *h = calloc(1, sizeof(*h));
    struct sockaddr_in sa;
    const char *colon = strrchr(listen, ':');
    char host[64];
    const union MHD_DaemonInfo *info;

    if (!h) {
        snprintf(err, err_size, "out of memory");
        return NULL;
    }
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    if (!colon || (size_t)(colon - listen) >= sizeof(host)) {
        snprintf(err, err_size, "http.listen: '%s' is not host:port", listen);
        free(h);
        return NULL;
    }
    memcpy(host, listen, (size_t)(colon - listen));
    host[colon - listen] = '\0';
    if (!strcmp(host, "localhost"))
        strcpy(host, "127.0.0.1");
    if (inet_pton(AF_INET, host, &sa.sin_addr) != 1 || !colon[1] ||
        atoi(colon + 1) < 0 || atoi(colon + 1) > 65535) {
        snprintf(err, err_size,
                 "http.listen: '%s' is not an IPv4 host:port", listen);
        free(h);
        return NULL;
    }
    sa.sin_port = htons((uint16_t)atoi(colon + 1));
    h->m = m;
    h->d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD, 0, NULL, NULL,
                            handle, h, MHD_OPTION_SOCK_ADDR, &sa,
                            MHD_OPTION_CONNECTION_TIMEOUT, 10u,
                            MHD_OPTION_END);
    if (!h->d) {
        snprintf(err, err_size, "http.listen: cannot listen on %s", listen);
        free(h);
        return NULL;
    }
    info = MHD_get_daemon_info(h->d, MHD_DAEMON_INFO_BIND_PORT);
    h->port = info ? info->port : 0;
    return h;
}

int am_http_port(const am_http_t *h) {
    return h->port;
}

void am_http_stop(am_http_t *h) {
    if (!h)
        return;
    MHD_stop_daemon(h->d);
    free(h);
}
