/* SPDX-License-Identifier: MIT */
/*
 * server: HTTP/1.1 over rvisord's unix socket. See server.h.
 *
 * A connection thread reads into a buffer, lets http_parse find each
 * complete request (bytes after it stay for the next request: pipelining
 * works), dispatches it, writes the whole response, and loops while the
 * connection is kept alive. Malformed requests get the parser's status as a
 * JSON error and the connection is closed.
 */
#include "daemon/server.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "api/http.h"
#include "api/jsonx.h"
#include "api/unixsock.h"
#include "util/alloc.h"
#include "util/fdio.h"
#include "util/log.h"

#define READ_MAX (HTTP_HEAD_MAX + HTTP_BODY_MAX + 65536)

struct server {
    struct daemon *d;
    struct evloop *loop;
    int lfd;
    char *path;
};

struct conn {
    struct server *s;
    int fd;
    char *buf;
    size_t len, cap;
    bool eof;
};

static bool send_response(int fd, struct api_response *rs, bool keep_alive)
{
    char *body;
    const char *type = rs->content_type;
    if (rs->text) {
        body = xstrdup(rs->text);
    } else {
        char *dump = json_dumps(rs->json, JSON_INDENT(2) | JSON_ENSURE_ASCII);
        size_t n = dump ? strlen(dump) : 0;
        body = xmalloc(n + 2);
        memcpy(body, dump ? dump : "", n);
        body[n] = '\n';
        body[n + 1] = 0;
        free(dump);
        type = "application/json";
    }
    char extra[128] = "";
    if (rs->allow)
        snprintf(extra, sizeof(extra), "Allow: %s\r\n", rs->allow);
    size_t len;
    char *out = http_format_response(rs->status, type, extra, body, strlen(body), keep_alive, &len);
    bool ok = fd_send_all(fd, out, len) == 0;
    free(out);
    free(body);
    return ok;
}

static void send_error(int fd, int status, const char *msg)
{
    struct api_response rs = {.status = status};
    rs.json = json_pack("{s:{s:i, s:s}}", "error", "status", status, "message", msg);
    send_response(fd, &rs, false);
    api_response_fini(&rs);
}

/* Read more input, waiting at most the idle timeout. false: give up. */
static bool read_more(struct conn *c)
{
    if (c->len == READ_MAX)
        return false;
    if (c->cap - c->len < 16384) {
        c->cap = c->cap ? c->cap * 2 : 65536;
        if (c->cap > READ_MAX)
            c->cap = READ_MAX;
        c->buf = xrealloc(c->buf, c->cap);
    }
    struct pollfd p = {.fd = c->fd, .events = POLLIN};
    int r;
    do {
        r = poll(&p, 1, SERVER_IDLE_MS);
    } while (r < 0 && errno == EINTR);
    if (r <= 0)
        return false;
    ssize_t n = recv(c->fd, c->buf + c->len, c->cap - c->len, 0);
    if (n < 0)
        return errno == EINTR || errno == EAGAIN;
    if (n == 0)
        c->eof = true;
    c->len += (size_t)n;
    return true;
}

/* Serve one request; false when the connection must close. */
static bool serve_one(struct conn *c)
{
    struct http_message m;
    http_message_init(&m, HTTP_REQUEST);
    bool sent_continue = false, keep = false;
    size_t used = 0;
    for (;;) {
        int r = http_parse(&m, c->buf, c->len, c->eof, &used);
        if (r == 0)
            break;
        if (r < 0) {
            send_error(c->fd, -r, m.error);
            goto out;
        }
        if (c->eof && c->len == 0)
            goto out; /* clean close between requests */
        if (m.head_done && m.expect_continue && !sent_continue) {
            static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";
            sent_continue = true;
            if (fd_send_all(c->fd, cont, sizeof(cont) - 1) < 0)
                goto out;
        }
        if (c->eof || !read_more(c))
            goto out;
    }
    struct api_response rs;
    routes_dispatch(c->s->d, m.method, m.path, m.query, m.body, m.body_len, &rs);
    keep = m.keep_alive;
    if (!send_response(c->fd, &rs, keep))
        keep = false;
    api_response_fini(&rs);
    memmove(c->buf, c->buf + used, c->len - used);
    c->len -= used;
out:
    http_message_fini(&m);
    return keep;
}

static void *conn_main(void *arg)
{
    struct conn *c = arg;
    struct daemon *d = c->s->d;
    while (serve_one(c))
        ;
    close(c->fd);
    free(c->buf);
    free(c);
    pthread_mutex_lock(&d->lock);
    d->active_connections--;
    pthread_mutex_unlock(&d->lock);
    return NULL;
}

static void accept_cb(void *opaque, uint32_t events)
{
    struct server *s = opaque;
    struct daemon *d = s->d;
    int fd = accept4(s->lfd, NULL, NULL, SOCK_CLOEXEC);
    if (fd < 0)
        return;
    pthread_mutex_lock(&d->lock);
    bool full = d->active_connections >= SERVER_MAX_CONNS;
    if (!full)
        d->active_connections++;
    pthread_mutex_unlock(&d->lock);
    if (full) {
        send_error(fd, 503, "too many connections; try again");
        close(fd);
        return;
    }
    struct conn *c = xzalloc(sizeof(*c));
    c->s = s;
    c->fd = fd;
    pthread_t t;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    if (pthread_create(&t, &attr, conn_main, c)) {
        send_error(fd, 503, "cannot start a connection thread");
        close(fd);
        free(c);
        pthread_mutex_lock(&d->lock);
        d->active_connections--;
        pthread_mutex_unlock(&d->lock);
    }
    pthread_attr_destroy(&attr);
}

int server_start(struct server **out, struct daemon *d, const char *path, struct evloop *loop,
                 struct err *e)
{
    int fd = unixsock_listen(path, e);
    if (fd < 0)
        return fd;
    struct server *s = xzalloc(sizeof(*s));
    s->d = d;
    s->loop = loop;
    s->lfd = fd;
    s->path = xstrdup(path);
    int r = evloop_add_fd(loop, fd, EPOLLIN, accept_cb, s);
    if (r < 0) {
        err_set(e, "%s: cannot watch the socket", path);
        server_stop(s);
        return r;
    }
    *out = s;
    return 0;
}

void server_stop(struct server *s)
{
    if (!s)
        return;
    evloop_del_fd(s->loop, s->lfd);
    close(s->lfd);
    unlink(s->path);
    free(s->path);
    free(s);
}
