/* SPDX-License-Identifier: MIT */
/*
 * client: rvctl's side of the REST API: one HTTP/1.1 request per call on a
 * fresh connection to rvisord's unix socket (api/http.c formats the request
 * and parses the response), and the error convention of cli.h: an error
 * object from the daemon becomes one line on stderr.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "api/http.h"
#include "api/jsonx.h"
#include "api/unixsock.h"
#include "cli/cli.h"
#include "util/alloc.h"
#include "util/fdio.h"

int cli_fail(int status, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    /* one line, whatever the message holds */
    for (char *p = msg; *p; p++)
        if (*p == '\n' || *p == '\r')
            *p = ' ';
    fprintf(stderr, "rvctl: %s\n", msg);
    return status;
}

int cli_usage(const char *usage, const char *cmd, const char *msg, const char *arg)
{
    if (!msg) {
        fputs(usage, stdout);
        return 0;
    }
    char who[64];
    snprintf(who, sizeof(who), "rvctl %s", cmd);
    return err_usage(who, who, msg, arg);
}

void cli_print_json(const json_t *j)
{
    char *s = json_dumps(j, JSON_INDENT(2) | JSON_ENSURE_ASCII);
    puts(s ? s : "null");
    free(s);
}

/* Read until the response is complete. 0, or -1 with `e`. */
static int read_response(int fd, struct http_message *m, struct err *e)
{
    size_t cap = 65536, len = 0, used;
    char *buf = xmalloc(cap);
    bool eof = false;
    int r;
    while ((r = http_parse(m, buf, len, eof, &used)) == HTTP_NEED_MORE) {
        if (eof) {
            err_set(e, "rvisord closed the connection without an answer");
            break;
        }
        if (cap - len < 16384) {
            cap *= 2;
            if (cap > 2 * HTTP_BODY_MAX + HTTP_HEAD_MAX) {
                err_set(e, "rvisord's answer is too large");
                break;
            }
            buf = xrealloc(buf, cap);
        }
        ssize_t n = recv(fd, buf + len, cap - len, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            err_set(e, "reading from rvisord: %s", strerror(errno));
            break;
        }
        if (n == 0)
            eof = true;
        len += (size_t)n;
    }
    if (r < 0)
        err_set(e, "malformed answer from rvisord: %s", m->error);
    free(buf);
    return r == 0 ? 0 : -1;
}

static void report_error(const struct http_message *m)
{
    json_t *j = json_loadb(m->body, m->body_len, 0, NULL);
    const char *msg = json_string_value(json_object_get(json_object_get(j, "error"), "message"));
    if (msg)
        cli_fail(1, "%s", msg);
    else
        cli_fail(1, "rvisord answered %d %s", m->status, m->reason);
    json_decref(j);
}

int cli_call(struct cli *c, const char *method, const char *path, json_t *body, json_t **out)
{
    struct err e = {0};
    if (out)
        *out = NULL;
    int fd = unixsock_connect(c->socket_path, &e);
    if (fd < 0)
        return cli_fail(1,
                        "cannot reach rvisord: %s (is rvisord running? --socket or "
                        "RVISOR_SOCKET choose another socket)",
                        e.msg);
    char *text = body ? jsonx_dump(body) : NULL;
    size_t len;
    char *req = http_format_request(method, path, "rvisord", text, text ? strlen(text) : 0, &len);
    free(text);
    struct http_message m;
    http_message_init(&m, HTTP_RESPONSE);
    int status = 1;
    int sr = fd_send_all(fd, req, len);
    if (sr < 0) {
        cli_fail(1, "sending to rvisord: %s", strerror(-sr));
    } else if (read_response(fd, &m, &e) < 0) {
        cli_fail(1, "%s", e.msg);
    } else if (m.status < 200 || m.status > 299) {
        report_error(&m);
    } else {
        status = 0;
        if (out && m.body_len) {
            json_error_t je;
            *out = json_loadb(m.body, m.body_len, 0, &je);
            if (!*out) /* not JSON (metrics): hand it back as a string */
                *out = json_stringn(m.body, m.body_len);
        }
    }
    http_message_fini(&m);
    free(req);
    close(fd);
    return status;
}

int cli_show(struct cli *c, const char *method, const char *path,
             void (*show)(const json_t *res, const void *arg), const void *arg)
{
    json_t *res;
    if (cli_call(c, method, path, NULL, &res))
        return 1;
    if (c->json)
        cli_print_json(res);
    else
        show(res, arg);
    json_decref(res);
    return 0;
}

struct list {
    const char *key;
    int ncols;
    const char *const *headers;
    void (*row)(struct table *t, const json_t *item);
};

static void show_table(const json_t *res, const void *arg)
{
    const struct list *l = arg;
    struct table *t = table_new(l->ncols, l->headers);
    json_t *all = json_object_get(res, l->key);
    for (size_t i = 0; i < json_array_size(all); i++)
        l->row(t, json_array_get(all, i));
    table_print(t, stdout);
}

int cli_list(struct cli *c, const char *path, const char *key, int ncols,
             const char *const *headers, void (*row)(struct table *t, const json_t *item))
{
    struct list l = {key, ncols, headers, row};
    return cli_show(c, "GET", path, show_table, &l);
}
