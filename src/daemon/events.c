/* SPDX-License-Identifier: MIT */
/*
 * events: rvisord's event log (VM defined, started, stopped, crashed,
 * restarted, paused, ...). Each event gets the next sequence number and is
 * appended to state_dir/events.log as one JSON line in one write(2), and
 * kept in a ring of the last EVENTS_RING for GET /events. At start the tail
 * of the file refills the ring, so numbering continues across restarts.
 *
 * Threads: all calls with d->lock held.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "api/jsonx.h"
#include "daemon/daemon.h"
#include "daemon/store.h"
#include "util/alloc.h"
#include "util/log.h"

#define EVENTS_RING 4096
#define EVENTS_FILE_MAX (64u << 20)

struct devents {
    int fd;
    uint64_t seq;
    json_t *ring[EVENTS_RING];
    unsigned head, len;
};

static void ring_push(struct devents *ev, json_t *j)
{
    if (ev->len == EVENTS_RING) {
        json_decref(ev->ring[ev->head]);
        ev->ring[ev->head] = j;
        ev->head = (ev->head + 1) % EVENTS_RING;
    } else {
        ev->ring[(ev->head + ev->len) % EVENTS_RING] = j;
        ev->len++;
    }
}

/* Refill the ring from the file's last lines (a bad line is skipped). */
static void load_tail(struct devents *ev, const char *path)
{
    char *buf;
    size_t len;
    if (store_read_file(path, EVENTS_FILE_MAX, &buf, &len, NULL) < 0)
        return;
    char *line = buf;
    while (line < buf + len) {
        char *nl = memchr(line, '\n', (size_t)(buf + len - line));
        size_t n = nl ? (size_t)(nl - line) : (size_t)(buf + len - line);
        json_t *j = json_loadb(line, n, 0, NULL);
        json_t *seq = j ? json_object_get(j, "seq") : NULL;
        if (json_is_integer(seq)) {
            ev->seq = (uint64_t)json_integer_value(seq);
            ring_push(ev, j);
        } else {
            json_decref(j);
        }
        line += n + 1;
    }
    free(buf);
}

int events_open(struct daemon *d, struct err *e)
{
    char path[DAEMON_PATH_MAX];
    snprintf(path, sizeof(path), "%s/events.log", d->state_dir);
    struct devents *ev = xzalloc(sizeof(*ev));
    load_tail(ev, path);
    ev->fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
    if (ev->fd < 0) {
        int r = -errno;
        err_set(e, "%s: %s", path, strerror(errno));
        for (unsigned i = 0; i < ev->len; i++)
            json_decref(ev->ring[(ev->head + i) % EVENTS_RING]);
        free(ev);
        return r;
    }
    d->events = ev;
    return 0;
}

void events_close(struct daemon *d)
{
    struct devents *ev = d->events;
    if (!ev)
        return;
    for (unsigned i = 0; i < ev->len; i++)
        json_decref(ev->ring[(ev->head + i) % EVENTS_RING]);
    close(ev->fd);
    free(ev);
    d->events = NULL;
}

void events_add(struct daemon *d, const char *vm, const char *type, const char *fmt, ...)
{
    struct devents *ev = d->events;
    if (!ev)
        return;
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    char when[40];
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    snprintf(when, sizeof(when), "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ", tm.tm_year + 1900,
             tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000);
    json_t *j = json_pack("{s:I, s:s, s:s, s:s}", "seq", (json_int_t)++ev->seq, "time", when,
                          "type", type, "message", msg);
    if (vm)
        json_object_set_new(j, "vm", json_string(vm));
    char *line = jsonx_line(j);
    ssize_t w = write(ev->fd, line, strlen(line));
    if (w != (ssize_t)strlen(line))
        log_warn("events", "cannot append to events.log");
    free(line);
    log_info("events", "%s%s%s: %s", vm ? vm : "", vm ? " " : "", type, msg);
    ring_push(ev, j);
}

json_t *events_query(struct daemon *d, uint64_t since, const char *vm, int limit)
{
    struct devents *ev = d->events;
    json_t *a = json_array();
    if (!ev)
        return a;
    /* the newest `limit` matching events, oldest first */
    int count = 0;
    unsigned first = ev->len;
    for (unsigned i = ev->len; i-- > 0;) {
        json_t *j = ev->ring[(ev->head + i) % EVENTS_RING];
        if ((uint64_t)json_integer_value(json_object_get(j, "seq")) <= since)
            break;
        const char *v = json_string_value(json_object_get(j, "vm"));
        if (vm && (!v || strcmp(v, vm)))
            continue;
        first = i;
        if (++count == limit)
            break;
    }
    for (unsigned i = first; i < ev->len; i++) {
        json_t *j = ev->ring[(ev->head + i) % EVENTS_RING];
        const char *v = json_string_value(json_object_get(j, "vm"));
        if ((uint64_t)json_integer_value(json_object_get(j, "seq")) <= since)
            continue;
        if (vm && (!v || strcmp(v, vm)))
            continue;
        json_array_append(a, j);
    }
    return a;
}

uint64_t events_last_seq(struct daemon *d)
{
    return d->events ? d->events->seq : 0;
}
