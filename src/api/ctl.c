/* SPDX-License-Identifier: MIT */
/*
 * ctl: control-protocol messages, line framing and the blocking client.
 * See ctl.h for the wire format. Decoding is strict about what it needs
 * (version, kind, id, types) and ignores fields it does not know, so that a
 * newer peer may add fields without a version bump.
 */
#include "api/ctl.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "api/jsonx.h"
#include "util/alloc.h"

static const char *const type_names[CTL_NTYPES] = {
    [CTL_QUERY] = "query",         [CTL_PAUSE] = "pause", [CTL_RESUME] = "resume",
    [CTL_POWERDOWN] = "powerdown", [CTL_STOP] = "stop",   [CTL_REBOOT] = "reboot",
};

const char *ctl_type_name(enum ctl_type t)
{
    return (unsigned)t < CTL_NTYPES ? type_names[t] : NULL;
}

int ctl_type_parse(const char *s, enum ctl_type *out)
{
    for (int i = 0; i < CTL_NTYPES; i++) {
        if (!strcmp(s, type_names[i])) {
            *out = (enum ctl_type)i;
            return 0;
        }
    }
    return -EINVAL;
}

/* ---- encoding ---------------------------------------------------------- */

static char *finish(json_t *o)
{
    char *line = jsonx_line(o);
    json_decref(o);
    return line;
}

char *ctl_format_hello(const char *name, int pid)
{
    return finish(json_pack("{s:i, s:s, s:s, s:i}", "v", CTL_VERSION, "type", "hello", "name", name,
                            "pid", pid));
}

char *ctl_format_request(uint64_t id, enum ctl_type t)
{
    return finish(json_pack("{s:i, s:I, s:s}", "v", CTL_VERSION, "id", (json_int_t)id, "type",
                            ctl_type_name(t)));
}

char *ctl_format_ok(uint64_t id, json_t *result)
{
    json_t *o = json_pack("{s:i, s:I, s:b}", "v", CTL_VERSION, "id", (json_int_t)id, "ok", 1);
    if (result)
        json_object_set_new(o, "result", result);
    return finish(o);
}

char *ctl_format_error(uint64_t id, const char *msg)
{
    return finish(json_pack("{s:i, s:I, s:b, s:s}", "v", CTL_VERSION, "id", (json_int_t)id, "ok", 0,
                            "error", msg));
}

char *ctl_format_event(const char *event, json_t *data)
{
    json_t *o = json_pack("{s:i, s:s}", "v", CTL_VERSION, "event", event);
    if (data)
        json_object_set_new(o, "data", data);
    return finish(o);
}

json_t *ctl_status_to_json(const struct ctl_status *s)
{
    json_t *j = json_pack("{s:s, s:s, s:i, s:i, s:I, s:I, s:I, s:I, s:I, s:b, s:I, s:I}", "name",
                          s->name, "state", s->state, "pid", s->pid, "vcpus", s->vcpus, "mem_bytes",
                          (json_int_t)s->mem_bytes, "uptime_ms", (json_int_t)s->uptime_ms, "cpu_ns",
                          (json_int_t)s->cpu_ns, "rss_bytes", (json_int_t)s->rss_bytes,
                          "ram_resident_bytes", (json_int_t)s->ram_resident_bytes, "powerbtn_ready",
                          s->powerbtn_ready, "reboots", (json_int_t)s->reboots, "guest_reboots",
                          (json_int_t)s->guest_reboots);
    if (!s->has_devices)
        return j;
    json_t *disks = json_array(), *nics = json_array();
    for (int i = 0; i < s->ndisks && i < CTL_MAX_DISKS; i++) {
        const struct ctl_disk_stats *d = &s->disks[i];
        json_array_append_new(
            disks, json_pack("{s:s, s:I, s:I, s:I, s:I, s:I, s:I}", "device", d->device,
                             "read_requests", (json_int_t)d->read_requests, "write_requests",
                             (json_int_t)d->write_requests, "read_bytes", (json_int_t)d->read_bytes,
                             "write_bytes", (json_int_t)d->write_bytes, "flushes",
                             (json_int_t)d->flushes, "errors", (json_int_t)d->errors));
    }
    for (int i = 0; i < s->nnics && i < CTL_MAX_NICS; i++) {
        const struct ctl_nic_stats *n = &s->nics[i];
        json_array_append_new(
            nics,
            json_pack("{s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:I}", "device", n->device, "backend",
                      n->backend, "rx_packets", (json_int_t)n->rx_packets, "rx_bytes",
                      (json_int_t)n->rx_bytes, "tx_packets", (json_int_t)n->tx_packets, "tx_bytes",
                      (json_int_t)n->tx_bytes, "rx_dropped", (json_int_t)n->rx_dropped,
                      "tx_dropped", (json_int_t)n->tx_dropped));
    }
    json_object_set_new(j, "disks", disks);
    json_object_set_new(j, "nics", nics);
    return j;
}

static int get_u64(const json_t *j, const char *key, uint64_t *out, struct err *e)
{
    int64_t v = 0;
    if (!json_object_get(j, key)) {
        err_set(e, "status: missing %s", key);
        return -EINVAL;
    }
    if (jsonx_get_int(j, "status.", key, 0, INT64_MAX, &v, e) < 0)
        return -EINVAL;
    *out = (uint64_t)v;
    return 0;
}

static int copy_str(const json_t *j, const char *key, char *dst, size_t size, struct err *e)
{
    const char *s = NULL;
    if (jsonx_get_str(j, "status.", key, &s, size - 1, e) < 0)
        return -EINVAL;
    if (!s) {
        err_set(e, "status: missing %s", key);
        return -EINVAL;
    }
    snprintf(dst, size, "%s", s);
    return 0;
}

/* An optional counter: absent is 0. */
static int get_opt_u64(const json_t *j, const char *prefix, const char *key, uint64_t *out,
                       struct err *e)
{
    int64_t v = 0;
    if (jsonx_get_int(j, prefix, key, 0, INT64_MAX, &v, e) < 0)
        return -EINVAL;
    *out = (uint64_t)v;
    return 0;
}

static int device_name(const json_t *o, const char *prefix, const char *key, char *dst, size_t size,
                       struct err *e)
{
    const char *s = NULL;
    if (jsonx_get_str(o, prefix, key, &s, size - 1, e) < 0)
        return -EINVAL;
    if (!s) {
        err_set(e, "%s%s: missing", prefix, key);
        return -EINVAL;
    }
    snprintf(dst, size, "%s", s);
    return 0;
}

static int disks_from_json(struct ctl_status *s, const json_t *a, struct err *e)
{
    size_t i;
    const json_t *o;
    if (!json_is_array(a) || json_array_size(a) > CTL_MAX_DISKS) {
        err_set(e, "status.disks: expected an array of at most %d", CTL_MAX_DISKS);
        return -EINVAL;
    }
    for (i = 0; i < json_array_size(a); i++) {
        o = json_array_get(a, i);
        struct ctl_disk_stats *d = &s->disks[i];
        const char *p = "status.disks[].";
        if (!json_is_object(o) ||
            device_name(o, p, "device", d->device, sizeof(d->device), e) < 0 ||
            get_opt_u64(o, p, "read_requests", &d->read_requests, e) < 0 ||
            get_opt_u64(o, p, "write_requests", &d->write_requests, e) < 0 ||
            get_opt_u64(o, p, "read_bytes", &d->read_bytes, e) < 0 ||
            get_opt_u64(o, p, "write_bytes", &d->write_bytes, e) < 0 ||
            get_opt_u64(o, p, "flushes", &d->flushes, e) < 0 ||
            get_opt_u64(o, p, "errors", &d->errors, e) < 0) {
            if (!json_is_object(o))
                err_set(e, "status.disks: expected objects");
            return -EINVAL;
        }
        s->ndisks = (int)i + 1;
    }
    return 0;
}

static int nics_from_json(struct ctl_status *s, const json_t *a, struct err *e)
{
    size_t i;
    const json_t *o;
    if (!json_is_array(a) || json_array_size(a) > CTL_MAX_NICS) {
        err_set(e, "status.nics: expected an array of at most %d", CTL_MAX_NICS);
        return -EINVAL;
    }
    for (i = 0; i < json_array_size(a); i++) {
        o = json_array_get(a, i);
        struct ctl_nic_stats *n = &s->nics[i];
        const char *p = "status.nics[].";
        if (!json_is_object(o) ||
            device_name(o, p, "device", n->device, sizeof(n->device), e) < 0 ||
            device_name(o, p, "backend", n->backend, sizeof(n->backend), e) < 0 ||
            get_opt_u64(o, p, "rx_packets", &n->rx_packets, e) < 0 ||
            get_opt_u64(o, p, "rx_bytes", &n->rx_bytes, e) < 0 ||
            get_opt_u64(o, p, "tx_packets", &n->tx_packets, e) < 0 ||
            get_opt_u64(o, p, "tx_bytes", &n->tx_bytes, e) < 0 ||
            get_opt_u64(o, p, "rx_dropped", &n->rx_dropped, e) < 0 ||
            get_opt_u64(o, p, "tx_dropped", &n->tx_dropped, e) < 0) {
            if (!json_is_object(o))
                err_set(e, "status.nics: expected objects");
            return -EINVAL;
        }
        s->nnics = (int)i + 1;
    }
    return 0;
}

int ctl_status_from_json(struct ctl_status *s, const json_t *j, struct err *e)
{
    uint64_t pid = 0, vcpus = 0;
    memset(s, 0, sizeof(*s));
    if (!json_is_object(j)) {
        err_set(e, "status: expected an object");
        return -EINVAL;
    }
    if (copy_str(j, "name", s->name, sizeof(s->name), e) < 0 ||
        copy_str(j, "state", s->state, sizeof(s->state), e) < 0 || get_u64(j, "pid", &pid, e) < 0 ||
        get_u64(j, "vcpus", &vcpus, e) < 0 || get_u64(j, "mem_bytes", &s->mem_bytes, e) < 0 ||
        get_u64(j, "uptime_ms", &s->uptime_ms, e) < 0 || get_u64(j, "cpu_ns", &s->cpu_ns, e) < 0 ||
        get_u64(j, "rss_bytes", &s->rss_bytes, e) < 0 ||
        get_u64(j, "ram_resident_bytes", &s->ram_resident_bytes, e) < 0 ||
        jsonx_get_bool(j, "status.", "powerbtn_ready", &s->powerbtn_ready, e) < 0 ||
        get_opt_u64(j, "status.", "reboots", &s->reboots, e) < 0 ||
        get_opt_u64(j, "status.", "guest_reboots", &s->guest_reboots, e) < 0)
        return -EINVAL;
    const json_t *disks = json_object_get(j, "disks"), *nics = json_object_get(j, "nics");
    if (disks || nics) {
        s->has_devices = true;
        if ((disks && disks_from_json(s, disks, e) < 0) || (nics && nics_from_json(s, nics, e) < 0))
            return -EINVAL;
    }
    s->pid = (int)pid;
    s->vcpus = (int)vcpus;
    return 0;
}

/* ---- decoding ---------------------------------------------------------- */

static int parse_id(const json_t *o, uint64_t *id, struct err *e)
{
    json_t *v = json_object_get(o, "id");
    if (!json_is_integer(v) || json_integer_value(v) < 0) {
        err_set(e, "control message: \"id\" must be a non-negative integer");
        return -EINVAL;
    }
    *id = (uint64_t)json_integer_value(v);
    return 0;
}

static int parse_kind(struct ctl_msg *m, json_t *o, struct err *e)
{
    const char *type = json_string_value(json_object_get(o, "type"));
    const char *event = json_string_value(json_object_get(o, "event"));
    if (json_object_get(o, "ok")) {
        m->kind = CTL_MSG_RESPONSE;
        if (parse_id(o, &m->id, e) < 0)
            return -EINVAL;
        m->ok = json_is_true(json_object_get(o, "ok"));
        if (m->ok) {
            m->result = json_incref(json_object_get(o, "result"));
        } else {
            const char *msg = json_string_value(json_object_get(o, "error"));
            snprintf(m->error, sizeof(m->error), "%s", msg ? msg : "unspecified error");
        }
        return 0;
    }
    if (event) {
        m->kind = CTL_MSG_EVENT;
        snprintf(m->event, sizeof(m->event), "%s", event);
        m->data = json_incref(json_object_get(o, "data"));
        return 0;
    }
    if (type && !strcmp(type, "hello")) {
        const char *name = json_string_value(json_object_get(o, "name"));
        json_t *pid = json_object_get(o, "pid");
        if (!name || !json_is_integer(pid)) {
            err_set(e, "control hello: needs \"name\" and \"pid\"");
            return -EINVAL;
        }
        m->kind = CTL_MSG_HELLO;
        snprintf(m->name, sizeof(m->name), "%s", name);
        m->pid = (int)json_integer_value(pid);
        return 0;
    }
    if (type) {
        m->kind = CTL_MSG_REQUEST;
        if (parse_id(o, &m->id, e) < 0)
            return -EINVAL;
        if (ctl_type_parse(type, &m->type) < 0) {
            err_set(e, "unknown request type \"%s\"", type);
            return -EINVAL;
        }
        return 0;
    }
    err_set(e, "control message: neither a request, a response nor an event");
    return -EINVAL;
}

int ctl_parse(struct ctl_msg *m, const char *line, size_t len, struct err *e)
{
    memset(m, 0, sizeof(*m));
    if (len && line[len - 1] == '\n')
        len--;
    json_t *o = jsonx_parse_object(line, len, e);
    if (!o)
        return -EINVAL;
    json_t *v = json_object_get(o, "v");
    int r = -EINVAL;
    if (!json_is_integer(v)) {
        err_set(e, "control message: missing protocol version \"v\"");
    } else if (json_integer_value(v) != CTL_VERSION) {
        err_set(e, "unsupported control protocol version %lld (this side speaks %d)",
                (long long)json_integer_value(v), CTL_VERSION);
    } else {
        r = parse_kind(m, o, e);
    }
    json_decref(o);
    if (r < 0)
        ctl_msg_fini(m);
    return r;
}

void ctl_msg_fini(struct ctl_msg *m)
{
    json_decref(m->result);
    json_decref(m->data);
    m->result = m->data = NULL;
}

/* ---- line framing ------------------------------------------------------ */

int ctl_linebuf_read(struct ctl_linebuf *lb, int fd)
{
    if (lb->skip) {
        memmove(lb->buf, lb->buf + lb->skip, lb->len - lb->skip);
        lb->len -= lb->skip;
        lb->skip = 0;
    }
    if (lb->len >= CTL_LINE_MAX)
        return -EMSGSIZE;
    if (lb->cap - lb->len < 4096) {
        lb->cap = lb->cap ? lb->cap * 2 : 8192;
        if (lb->cap > CTL_LINE_MAX + 4096)
            lb->cap = CTL_LINE_MAX + 4096;
        lb->buf = xrealloc(lb->buf, lb->cap);
    }
    ssize_t n;
    do {
        n = read(fd, lb->buf + lb->len, lb->cap - lb->len - 1);
    } while (n < 0 && errno == EINTR);
    if (n < 0)
        return errno == EWOULDBLOCK ? -EAGAIN : -errno;
    lb->len += (size_t)n;
    if (n > 0 && !memchr(lb->buf, '\n', lb->len) && lb->len >= CTL_LINE_MAX)
        return -EMSGSIZE;
    return (int)n;
}

char *ctl_linebuf_next(struct ctl_linebuf *lb, size_t *len)
{
    if (lb->skip) {
        memmove(lb->buf, lb->buf + lb->skip, lb->len - lb->skip);
        lb->len -= lb->skip;
        lb->skip = 0;
    }
    char *nl = lb->len ? memchr(lb->buf, '\n', lb->len) : NULL;
    if (!nl)
        return NULL;
    *nl = 0;
    *len = (size_t)(nl - lb->buf);
    lb->skip = *len + 1;
    return lb->buf;
}

void ctl_linebuf_fini(struct ctl_linebuf *lb)
{
    free(lb->buf);
    memset(lb, 0, sizeof(*lb));
}

/* ---- blocking client --------------------------------------------------- */

#define MAX_QUEUED_EVENTS 64

struct ctl_client {
    int fd;
    char name[CTL_NAME_MAX];
    int pid;
    uint64_t next_id;
    struct ctl_linebuf lb;
    int nevents;
    struct ctl_msg events[MAX_QUEUED_EVENTS];
};

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Wait until a complete line is buffered, or the deadline. 0 with the line,
 * or -ETIMEDOUT / -EPIPE / -errno. */
static int read_line(struct ctl_client *c, uint64_t deadline, char **line, size_t *len)
{
    for (;;) {
        *line = ctl_linebuf_next(&c->lb, len);
        if (*line)
            return 0;
        uint64_t now = now_ms();
        if (now >= deadline)
            return -ETIMEDOUT;
        struct pollfd p = {.fd = c->fd, .events = POLLIN};
        int r = poll(&p, 1, (int)(deadline - now));
        if (r < 0 && errno != EINTR)
            return -errno;
        if (r <= 0)
            continue;
        r = ctl_linebuf_read(&c->lb, c->fd);
        if (r == 0)
            return -EPIPE;
        if (r < 0 && r != -EAGAIN)
            return r;
    }
}

static int connect_unix(const char *path, struct err *e)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    if (strlen(path) >= sizeof(sa.sun_path)) {
        err_set(e, "%s: socket path too long (max %zu bytes)", path, sizeof(sa.sun_path) - 1);
        return -ENAMETOOLONG;
    }
    strcpy(sa.sun_path, path);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) {
        err_set(e, "socket: %s", strerror(errno));
        return -errno;
    }
    if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
        int r = -errno;
        err_set(e, "%s: %s", path, strerror(errno));
        close(fd);
        return r;
    }
    return fd;
}

int ctl_client_connect(struct ctl_client **out, const char *path, int timeout_ms, struct err *e)
{
    int fd = connect_unix(path, e);
    if (fd < 0)
        return fd;
    struct ctl_client *c = xzalloc(sizeof(*c));
    c->fd = fd;
    c->next_id = 1;
    char *line;
    size_t len;
    int r = read_line(c, now_ms() + (uint64_t)timeout_ms, &line, &len);
    if (r < 0) {
        err_set(e, "%s: no hello from the VM process (%s)", path,
                r == -ETIMEDOUT ? "timed out" : strerror(-r));
        goto fail;
    }
    struct ctl_msg m;
    r = ctl_parse(&m, line, len, e);
    if (r < 0)
        goto fail;
    if (m.kind != CTL_MSG_HELLO) {
        ctl_msg_fini(&m);
        err_set(e, "%s: the VM process did not start with a hello", path);
        r = -EPROTO;
        goto fail;
    }
    snprintf(c->name, sizeof(c->name), "%s", m.name);
    c->pid = m.pid;
    ctl_msg_fini(&m);
    *out = c;
    return 0;
fail:
    ctl_client_close(c);
    return r;
}

void ctl_client_close(struct ctl_client *c)
{
    if (!c)
        return;
    for (int i = 0; i < c->nevents; i++)
        ctl_msg_fini(&c->events[i]);
    close(c->fd);
    ctl_linebuf_fini(&c->lb);
    free(c);
}

const char *ctl_client_name(const struct ctl_client *c)
{
    return c->name;
}

int ctl_client_pid(const struct ctl_client *c)
{
    return c->pid;
}

int ctl_client_fd(const struct ctl_client *c)
{
    return c->fd;
}

static void queue_event(struct ctl_client *c, struct ctl_msg *m)
{
    if (c->nevents < MAX_QUEUED_EVENTS)
        c->events[c->nevents++] = *m;
    else
        ctl_msg_fini(m);
}

static int send_all(int fd, const char *buf, size_t len, uint64_t deadline)
{
    while (len) {
        ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);
        if (n > 0) {
            buf += n;
            len -= (size_t)n;
            continue;
        }
        if (n < 0 && errno != EAGAIN && errno != EINTR)
            return -errno;
        uint64_t now = now_ms();
        if (now >= deadline)
            return -ETIMEDOUT;
        struct pollfd p = {.fd = fd, .events = POLLOUT};
        poll(&p, 1, (int)(deadline - now));
    }
    return 0;
}

int ctl_client_call(struct ctl_client *c, enum ctl_type t, json_t **result, int timeout_ms,
                    struct err *e)
{
    uint64_t deadline = now_ms() + (uint64_t)timeout_ms;
    uint64_t id = c->next_id++;
    char *req = ctl_format_request(id, t);
    int r = send_all(c->fd, req, strlen(req), deadline);
    free(req);
    if (r < 0) {
        err_set(e, "control socket of %s: %s", c->name, strerror(-r));
        return r;
    }
    for (;;) {
        char *line;
        size_t len;
        r = read_line(c, deadline, &line, &len);
        if (r < 0) {
            err_set(e, "control socket of %s: %s", c->name,
                    r == -ETIMEDOUT ? "no answer in time"
                    : r == -EPIPE   ? "VM process went away"
                                    : strerror(-r));
            return r;
        }
        struct ctl_msg m;
        if (ctl_parse(&m, line, len, e) < 0)
            return -EPROTO;
        if (m.kind == CTL_MSG_EVENT) {
            queue_event(c, &m);
            continue;
        }
        if (m.kind != CTL_MSG_RESPONSE || m.id != id) {
            ctl_msg_fini(&m);
            continue; /* a stale answer to an abandoned call */
        }
        if (!m.ok) {
            err_set(e, "%s", m.error);
            ctl_msg_fini(&m);
            return -EIO;
        }
        if (result) {
            *result = m.result;
            m.result = NULL;
        }
        ctl_msg_fini(&m);
        return 0;
    }
}

int ctl_client_send(struct ctl_client *c, enum ctl_type t, uint64_t *id)
{
    uint64_t my = c->next_id++;
    char *req = ctl_format_request(my, t);
    size_t len = strlen(req);
    ssize_t n;
    do {
        n = send(c->fd, req, len, MSG_NOSIGNAL | MSG_DONTWAIT);
    } while (n < 0 && errno == EINTR);
    int r = n < 0 ? -errno : 0;
    if (r == -EWOULDBLOCK)
        r = -EAGAIN;
    /* a request line is tiny: a partial send only happens with a peer that
     * stopped reading, which the caller treats as busy */
    if (n >= 0 && (size_t)n < len)
        r = -EAGAIN;
    free(req);
    if (r == 0)
        *id = my;
    return r;
}

int ctl_client_pump(struct ctl_client *c, ctl_event_cb cb, void *opaque)
{
    int eof = 0;
    for (;;) {
        int r = ctl_linebuf_read(&c->lb, c->fd);
        if (r == 0 || (r < 0 && r != -EAGAIN)) {
            eof = 1;
            break;
        }
        if (r == -EAGAIN)
            break;
    }
    char *line;
    size_t len;
    while ((line = ctl_linebuf_next(&c->lb, &len))) {
        struct ctl_msg m;
        if (ctl_parse(&m, line, len, NULL) < 0)
            continue;
        if (m.kind == CTL_MSG_EVENT || m.kind == CTL_MSG_RESPONSE)
            queue_event(c, &m);
        else
            ctl_msg_fini(&m);
    }
    for (int i = 0; i < c->nevents; i++) {
        cb(opaque, &c->events[i]);
        ctl_msg_fini(&c->events[i]);
    }
    c->nevents = 0;
    return eof ? -EPIPE : 0;
}
