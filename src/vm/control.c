/* SPDX-License-Identifier: MIT */
/*
 * control: serves api/ctl requests for one VM. See control.h.
 *
 * Pause: vm_pause() blocks until every vCPU is parked, which the I/O thread
 * must not wait for (a vCPU may need it meanwhile). A helper thread runs
 * vm_pause and signals an eventfd; the I/O thread then answers every
 * request that waited for the pause. Until then, resume is refused.
 * Idempotence: pausing a paused VM and resuming a running one succeed and
 * change nothing, so a client that lost an answer can simply retry.
 */
#include "vm/control.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "api/ctl.h"
#include "api/unixsock.h"
#include "util/alloc.h"
#include "util/fdio.h"
#include "util/log.h"
#include "vm/powerbtn.h"
#include "vm/vm.h"

#define MAX_WAITERS 32
#define CONN_OUT_MAX (1u << 20)

struct conn {
    struct control *c;
    int fd;
    struct ctl_linebuf lb;
    char *out;
    size_t outlen;
    bool dead; /* to be dropped once the current callback is done */
    struct conn *next;
};

struct control {
    struct vm *vm;
    char name[CTL_NAME_MAX];
    char *path;
    int lfd;
    struct powerbtn *pb;
    struct conn *conns;
    uint64_t start_ns;
    bool paused;
    bool stop_requested;
    /* pause helper */
    bool pausing;
    pthread_t pause_thread;
    int pause_efd;
    int reboot_efd; /* written by control_rebooted, read on the I/O thread */
    struct {
        struct conn *conn;
        uint64_t id;
    } waiters[MAX_WAITERS];
    int nwaiters;
};

static uint64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* ---- connections ------------------------------------------------------------ */

static void conn_drop(struct conn *k)
{
    struct control *c = k->c;
    for (struct conn **p = &c->conns; *p; p = &(*p)->next) {
        if (*p == k) {
            *p = k->next;
            break;
        }
    }
    for (int i = 0; i < c->nwaiters; i++)
        if (c->waiters[i].conn == k)
            c->waiters[i].conn = NULL;
    evloop_del_fd(c->vm->loop, k->fd);
    close(k->fd);
    ctl_linebuf_fini(&k->lb);
    free(k->out);
    free(k);
}

/* Send what is buffered; false if the peer is gone. */
static bool conn_flush(struct conn *k)
{
    if (!fd_send_pending(k->fd, k->out, &k->outlen))
        return false;
    evloop_mod_fd(k->c->vm->loop, k->fd, EPOLLIN | (k->outlen ? EPOLLOUT : 0));
    return true;
}

/* Queue `line` (malloc'ed, taken) for `k`. A peer that is gone or stopped
 * reading is marked dead; reap() drops it after the current callback. */
static void conn_send(struct conn *k, char *line)
{
    size_t len = strlen(line);
    if (k->dead || k->outlen + len > CONN_OUT_MAX) {
        free(line);
        k->dead = true;
        return;
    }
    k->out = xrealloc(k->out, k->outlen + len);
    memcpy(k->out + k->outlen, line, len);
    k->outlen += len;
    free(line);
    if (!conn_flush(k))
        k->dead = true;
}

static void reap(struct control *c)
{
    for (struct conn *k = c->conns, *next; k; k = next) {
        next = k->next;
        if (k->dead)
            conn_drop(k);
    }
}

static void broadcast(struct control *c, const char *event, json_t *data)
{
    for (struct conn *k = c->conns, *next; k; k = next) {
        next = k->next;
        conn_send(k, ctl_format_event(event, json_incref(data)));
    }
    json_decref(data);
}

/* ---- requests ----------------------------------------------------------------- */

static uint64_t self_rss(void)
{
    unsigned long size = 0, resident = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    if (f) {
        if (fscanf(f, "%lu %lu", &size, &resident) != 2)
            resident = 0;
        fclose(f);
    }
    return (uint64_t)resident * (uint64_t)sysconf(_SC_PAGESIZE);
}

/* Guest RAM pages the host holds (mincore over the RAM mapping). */
static uint64_t ram_resident(struct vm *vm)
{
    long page = sysconf(_SC_PAGESIZE);
    size_t pages = (size_t)(vm->board->ram.size / (uint64_t)page);
    unsigned char *vec = xmalloc(pages);
    uint64_t n = 0;
    if (mincore(vm->board->ram.host, vm->board->ram.size, vec) == 0)
        for (size_t i = 0; i < pages; i++)
            n += vec[i] & 1;
    free(vec);
    return n * (uint64_t)page;
}

static json_t *status_json(struct control *c)
{
    struct ctl_status s = {0};
    struct timespec cpu;
    snprintf(s.name, sizeof(s.name), "%s", c->name);
    snprintf(s.state, sizeof(s.state), "%s", c->paused ? "paused" : "running");
    s.pid = (int)getpid();
    s.vcpus = c->vm->board->cfg.ncpus;
    s.mem_bytes = c->vm->board->ram.size;
    s.uptime_ms = (mono_ns() - c->start_ns) / 1000000u;
    if (clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &cpu) == 0)
        s.cpu_ns = (uint64_t)cpu.tv_sec * 1000000000u + (uint64_t)cpu.tv_nsec;
    s.rss_bytes = self_rss();
    s.ram_resident_bytes = ram_resident(c->vm);
    s.powerbtn_ready = c->pb && powerbtn_listening(c->pb);
    s.reboots = atomic_load(&c->vm->reboots);
    s.guest_reboots = atomic_load(&c->vm->guest_reboots);
    vm_devices_stats(c->vm, &s);
    return ctl_status_to_json(&s);
}

static void *pause_main(void *arg)
{
    struct control *c = arg;
    vm_pause(c->vm);
    uint64_t one = 1;
    ssize_t w = write(c->pause_efd, &one, sizeof(one));
    (void)w;
    return NULL;
}

/* The helper finished pausing: answer everyone who waited. I/O thread. */
static void paused_cb(void *opaque, uint32_t events)
{
    struct control *c = opaque;
    uint64_t v;
    if (read(c->pause_efd, &v, sizeof(v)) != sizeof(v))
        return;
    pthread_join(c->pause_thread, NULL);
    c->pausing = false;
    c->paused = true;
    for (int i = 0; i < c->nwaiters; i++)
        if (c->waiters[i].conn)
            conn_send(c->waiters[i].conn, ctl_format_ok(c->waiters[i].id, NULL));
    c->nwaiters = 0;
    broadcast(c, "state", json_pack("{s:s}", "state", "paused"));
    reap(c);
}

static char *do_pause(struct control *c, struct conn *k, uint64_t id)
{
    if (c->paused)
        return ctl_format_ok(id, NULL);
    if (c->nwaiters == MAX_WAITERS)
        return ctl_format_error(id, "too many pause requests in flight");
    if (!c->pausing) {
        int r = pthread_create(&c->pause_thread, NULL, pause_main, c);
        if (r)
            return ctl_format_error(id, "cannot start the pause helper thread");
        c->pausing = true;
    }
    c->waiters[c->nwaiters].conn = k;
    c->waiters[c->nwaiters].id = id;
    c->nwaiters++;
    return NULL; /* answered by paused_cb */
}

static char *do_resume(struct control *c, uint64_t id)
{
    if (c->pausing)
        return ctl_format_error(id, "a pause is in progress; try again");
    if (c->paused) {
        vm_resume(c->vm);
        c->paused = false;
        broadcast(c, "state", json_pack("{s:s}", "state", "running"));
    }
    return ctl_format_ok(id, NULL);
}

static char *do_powerdown(struct control *c, uint64_t id)
{
    if (!c->pb)
        return ctl_format_error(id, "this VM has no power button");
    if (c->paused || c->pausing)
        return ctl_format_error(id, "the VM is paused: resume it before a power-down request");
    bool delivered = powerbtn_press(c->pb);
    log_info("control", "power button pressed (%s)",
             delivered ? "guest listening" : "no guest driver listening");
    return ctl_format_ok(id, json_pack("{s:b}", "delivered", delivered));
}

/* Returns the answer line, or NULL when it will come later. */
static char *handle(struct control *c, struct conn *k, const struct ctl_msg *m)
{
    switch (m->type) {
    case CTL_QUERY: return ctl_format_ok(m->id, status_json(c));
    case CTL_PAUSE: return do_pause(c, k, m->id);
    case CTL_RESUME: return do_resume(c, m->id);
    case CTL_POWERDOWN: return do_powerdown(c, m->id);
    case CTL_STOP:
        c->stop_requested = true;
        vm_request_reset(c->vm, RESET_FAIL, VM_EXIT_QUIT);
        return ctl_format_ok(m->id, NULL);
    case CTL_REBOOT:
        if (c->pausing)
            return ctl_format_error(m->id, "a pause is in progress; try again");
        vm_request_reset(c->vm, RESET_REBOOT, 0);
        if (c->paused) {
            vm_resume(c->vm);
            c->paused = false;
        }
        return ctl_format_ok(m->id, NULL);
    default: return ctl_format_error(m->id, "unknown request");
    }
}

static void conn_read(struct conn *k, uint32_t events)
{
    if ((events & EPOLLOUT) && !conn_flush(k)) {
        k->dead = true;
        return;
    }
    if (!(events & (EPOLLIN | EPOLLHUP | EPOLLERR)))
        return;
    int r = ctl_linebuf_read(&k->lb, k->fd);
    if (r == -EAGAIN)
        return;
    if (r <= 0) {
        k->dead = true; /* closed, error, or a line over CTL_LINE_MAX */
        return;
    }
    char *line;
    size_t len;
    while (!k->dead && (line = ctl_linebuf_next(&k->lb, &len))) {
        struct ctl_msg m;
        struct err e = {0};
        if (ctl_parse(&m, line, len, &e) < 0 || m.kind != CTL_MSG_REQUEST) {
            if (!e.set)
                ctl_msg_fini(&m);
            /* no usable id: answer with id 0 so the client sees why */
            conn_send(k, ctl_format_error(0, e.set ? e.msg : "expected a request"));
            continue;
        }
        char *answer = handle(k->c, k, &m);
        ctl_msg_fini(&m);
        if (answer)
            conn_send(k, answer);
    }
}

static void conn_cb(void *opaque, uint32_t events)
{
    struct conn *k = opaque;
    struct control *c = k->c;
    conn_read(k, events);
    reap(c);
}

static void accept_cb(void *opaque, uint32_t events)
{
    struct control *c = opaque;
    int fd = accept4(c->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0)
        return;
    struct conn *k = xzalloc(sizeof(*k));
    k->c = c;
    k->fd = fd;
    if (evloop_add_fd(c->vm->loop, fd, EPOLLIN, conn_cb, k) < 0) {
        close(fd);
        free(k);
        return;
    }
    k->next = c->conns;
    c->conns = k;
    conn_send(k, ctl_format_hello(c->name, (int)getpid()));
    reap(c);
}

/* ---- reboots ------------------------------------------------------------------- */

void control_rebooted(struct control *c)
{
    uint64_t one = 1;
    if (c && c->reboot_efd >= 0 && write(c->reboot_efd, &one, sizeof(one)) < 0)
        log_warn("control", "cannot signal the I/O thread about a reboot");
}

/* I/O thread: one event with the totals, however many resets the eventfd
 * counted (clients compare totals). */
static void rebooted_cb(void *opaque, uint32_t events)
{
    struct control *c = opaque;
    uint64_t v;
    if (read(c->reboot_efd, &v, sizeof(v)) != sizeof(v))
        return;
    broadcast(c, "reboot",
              json_pack("{s:I, s:I}", "reboots", (json_int_t)atomic_load(&c->vm->reboots),
                        "guest_reboots", (json_int_t)atomic_load(&c->vm->guest_reboots)));
    reap(c);
}

/* ---- lifecycle ---------------------------------------------------------------- */

int control_new(struct control **out, const char *path, struct err *e)
{
    struct control *c = xzalloc(sizeof(*c));
    c->pause_efd = -1;
    c->reboot_efd = -1;
    c->lfd = unixsock_listen(path, e);
    if (c->lfd < 0) {
        int r = c->lfd;
        free(c);
        return r;
    }
    c->path = xstrdup(path);
    *out = c;
    return 0;
}

int control_start(struct control *c, struct vm *vm, const char *name, struct powerbtn *pb,
                  struct err *e)
{
    c->vm = vm;
    c->pb = pb;
    c->start_ns = mono_ns();
    snprintf(c->name, sizeof(c->name), "%s", name);
    c->pause_efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    c->reboot_efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (c->pause_efd < 0 || evloop_add_fd(vm->loop, c->pause_efd, EPOLLIN, paused_cb, c) < 0 ||
        c->reboot_efd < 0 || evloop_add_fd(vm->loop, c->reboot_efd, EPOLLIN, rebooted_cb, c) < 0 ||
        evloop_add_fd(vm->loop, c->lfd, EPOLLIN, accept_cb, c) < 0) {
        err_set(e, "--control %s: cannot serve the socket", c->path);
        return -EIO;
    }
    return 0;
}

bool control_stop_requested(const struct control *c)
{
    return c && c->stop_requested;
}

void control_finish(struct control *c, int status, const char *reason)
{
    if (!c)
        return;
    if (c->pausing) {
        /* The vCPUs are gone, so the pause can never complete: wake the
         * helper (vm_pause gives up once vm->stop is set) and reap it. */
        pthread_mutex_lock(&c->vm->lock);
        atomic_store(&c->vm->stop, true);
        pthread_cond_broadcast(&c->vm->cond);
        pthread_mutex_unlock(&c->vm->lock);
        pthread_join(c->pause_thread, NULL);
    }
    char *line =
        ctl_format_event("exit", json_pack("{s:i, s:s}", "status", status, "reason", reason));
    while (c->conns) {
        struct conn *k = c->conns;
        c->conns = k->next;
        conn_flush(k);
        ssize_t w = send(k->fd, line, strlen(line), MSG_NOSIGNAL | MSG_DONTWAIT);
        (void)w;
        close(k->fd);
        ctl_linebuf_fini(&k->lb);
        free(k->out);
        free(k);
    }
    free(line);
    if (c->pause_efd >= 0)
        close(c->pause_efd);
    if (c->reboot_efd >= 0)
        close(c->reboot_efd);
    close(c->lfd);
    unlink(c->path);
    free(c->path);
    free(c);
}
