/* SPDX-License-Identifier: MIT */
/*
 * slirp: the `--net user` back end, rootless NAT through libslirp (4.7 API,
 * SlirpConfig version 4). The guest sees QEMU's user network: 10.0.2.0/24,
 * gateway and host 10.0.2.2 (connections to it reach the host's loopback),
 * DNS 10.0.2.3 (forwarded to the host's resolvers), DHCP handing out
 * 10.0.2.15, IPv6 fec0::/64; `hostfwd` rules listen on the host and
 * forward to the guest.
 *
 * libslirp is a poll()-style library: before sleeping, the application
 * asks which sockets to watch (slirp_pollfds_fill, which also gives a
 * timeout for slirp's TCP timers); after waking, it reports what happened
 * (slirp_pollfds_poll). We fit this into the VM's epoll loop with a
 * private epoll set that mirrors the last fill and is itself one fd of the
 * loop, plus one timer for the timeout. A "cycle" is: poll() the last fill
 * without waiting, slirp_pollfds_poll, fill again, update the private set
 * (epoll_ctl only for what changed) and the timer. A cycle runs when a
 * watched socket is ready, when the timer fires, and after each batch of
 * frames from the guest (netdev_tx_flush), because slirp_input may have
 * opened, closed or filled sockets. The timer is only ever moved earlier,
 * so slirp's 2 ms delayed-ACK timer fires even while the guest keeps the
 * loop busy.
 *
 * Frames to the guest come from slirp's send_packet callback, inside
 * slirp_input or a cycle; they are delivered to the device at once (the
 * device queues a bounded number or drops: slirp's TCP retransmits).
 *
 * Threads: the I/O thread only; libslirp is not thread-safe and is only
 * entered from there.
 */
#include "net/netdev.h"

#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include <slirp/libslirp.h>

#include "util/alloc.h"
#include "util/evloop.h"
#include "util/log.h"

struct sl_timer {
    struct sl *s;
    struct evtimer *t;
    SlirpTimerCb cb; /* timer_new style, or NULL: slirp_handle_timer(id) */
    void *cb_opaque;
    SlirpTimerId id;
};

struct sl_reg {
    int fd;
    uint32_t events;
    bool seen;
};

struct sl {
    struct netdev nd;
    struct evloop *loop;
    Slirp *slirp;
    int epfd;              /* private epoll set: slirp's sockets */
    struct evtimer *timer; /* slirp's timeout from the last fill */
    uint64_t deadline;     /* when `timer` fires (CLOCK_MONOTONIC ns), 0: not armed */
    struct pollfd *pfd;    /* the last fill */
    unsigned npfd, pfd_cap;
    struct sl_reg *reg; /* what the private set holds */
    unsigned nreg, reg_cap;
};

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* ---- libslirp callbacks ---- */

static ssize_t cb_send_packet(const void *buf, size_t len, void *opaque)
{
    struct sl *s = opaque;
    netdev_deliver(&s->nd, buf, len);
    return (ssize_t)len;
}

static void cb_guest_error(const char *msg, void *opaque)
{
    log_guest_error("slirp", "%s", msg);
}

static int64_t cb_clock_get_ns(void *opaque)
{
    return (int64_t)now_ns();
}

static void timer_fired(void *opaque);

static struct sl_timer *timer_make(struct sl *s)
{
    struct sl_timer *t = xzalloc(sizeof(*t));
    t->s = s;
    t->t = evloop_add_timer(s->loop, timer_fired, t);
    if (!t->t)
        log_error("slirp", "cannot create a timer: user networking may stall");
    return t;
}

static void *cb_timer_new(SlirpTimerCb cb, void *cb_opaque, void *opaque)
{
    struct sl_timer *t = timer_make(opaque);
    t->cb = cb;
    t->cb_opaque = cb_opaque;
    return t;
}

static void *cb_timer_new_opaque(SlirpTimerId id, void *cb_opaque, void *opaque)
{
    struct sl_timer *t = timer_make(opaque);
    t->id = id;
    t->cb_opaque = cb_opaque;
    return t;
}

static void cb_timer_free(void *timer, void *opaque)
{
    struct sl_timer *t = timer;
    if (!t)
        return;
    evtimer_free(t->s->loop, t->t);
    free(t);
}

/* expire_time: milliseconds on the clock of cb_clock_get_ns */
static void cb_timer_mod(void *timer, int64_t expire_time, void *opaque)
{
    struct sl_timer *t = timer;
    if (!t->t)
        return;
    int64_t delta = expire_time * 1000000 - (int64_t)now_ns();
    evtimer_arm(t->t, delta > 0 ? (uint64_t)delta : 1, 0);
}

static void cb_register_poll_fd(int fd, void *opaque)
{
}

/* slirp is about to close `fd`: forget it before the number can be reused */
static void cb_unregister_poll_fd(int fd, void *opaque)
{
    struct sl *s = opaque;
    for (unsigned i = 0; i < s->nreg; i++) {
        if (s->reg[i].fd == fd) {
            epoll_ctl(s->epfd, EPOLL_CTL_DEL, fd, NULL);
            s->reg[i] = s->reg[--s->nreg];
            return;
        }
    }
}

static void cb_notify(void *opaque)
{
}

static const SlirpCb slirp_cbs = {
    .send_packet = cb_send_packet,
    .guest_error = cb_guest_error,
    .clock_get_ns = cb_clock_get_ns,
    .timer_new = cb_timer_new,
    .timer_free = cb_timer_free,
    .timer_mod = cb_timer_mod,
    .register_poll_fd = cb_register_poll_fd,
    .unregister_poll_fd = cb_unregister_poll_fd,
    .notify = cb_notify,
    .timer_new_opaque = cb_timer_new_opaque,
};

/* ---- the poll cycle ---- */

static int add_poll(int fd, int events, void *opaque)
{
    struct sl *s = opaque;
    if (s->npfd == s->pfd_cap) {
        s->pfd_cap = s->pfd_cap ? 2 * s->pfd_cap : 16;
        s->pfd = xrealloc(s->pfd, s->pfd_cap * sizeof(*s->pfd));
    }
    short ev = 0;
    if (events & SLIRP_POLL_IN)
        ev |= POLLIN;
    if (events & SLIRP_POLL_OUT)
        ev |= POLLOUT;
    if (events & SLIRP_POLL_PRI)
        ev |= POLLPRI;
    s->pfd[s->npfd] = (struct pollfd){.fd = fd, .events = ev};
    return (int)s->npfd++;
}

static int get_revents(int idx, void *opaque)
{
    struct sl *s = opaque;
    if (idx < 0 || (unsigned)idx >= s->npfd)
        return 0;
    short r = s->pfd[idx].revents;
    return ((r & POLLIN) ? SLIRP_POLL_IN : 0) | ((r & POLLOUT) ? SLIRP_POLL_OUT : 0) |
           ((r & POLLPRI) ? SLIRP_POLL_PRI : 0) | ((r & POLLERR) ? SLIRP_POLL_ERR : 0) |
           ((r & POLLHUP) ? SLIRP_POLL_HUP : 0);
}

static void reg_set(struct sl *s, int fd, uint32_t events)
{
    struct epoll_event ev = {.events = events, .data.fd = fd};
    for (unsigned i = 0; i < s->nreg; i++) {
        if (s->reg[i].fd != fd)
            continue;
        s->reg[i].seen = true;
        if (s->reg[i].events != events) {
            s->reg[i].events = events;
            /* the fd may have been closed and reopened behind our back */
            if (epoll_ctl(s->epfd, EPOLL_CTL_MOD, fd, &ev) < 0 && errno == ENOENT)
                epoll_ctl(s->epfd, EPOLL_CTL_ADD, fd, &ev);
        }
        return;
    }
    if (epoll_ctl(s->epfd, EPOLL_CTL_ADD, fd, &ev) < 0 &&
        (errno != EEXIST || epoll_ctl(s->epfd, EPOLL_CTL_MOD, fd, &ev) < 0)) {
        log_warn("slirp", "cannot watch socket %d: %s", fd, strerror(errno));
        return;
    }
    if (s->nreg == s->reg_cap) {
        s->reg_cap = s->reg_cap ? 2 * s->reg_cap : 16;
        s->reg = xrealloc(s->reg, s->reg_cap * sizeof(*s->reg));
    }
    s->reg[s->nreg++] = (struct sl_reg){fd, events, true};
}

/* Make the private epoll set watch exactly what the last fill asked for. */
static void sync_epoll(struct sl *s)
{
    for (unsigned i = 0; i < s->nreg; i++)
        s->reg[i].seen = false;
    for (unsigned i = 0; i < s->npfd; i++) {
        uint32_t ev = 0;
        if (s->pfd[i].events & POLLIN)
            ev |= EPOLLIN;
        if (s->pfd[i].events & POLLOUT)
            ev |= EPOLLOUT;
        if (s->pfd[i].events & POLLPRI)
            ev |= EPOLLPRI;
        /* nothing wanted: do not watch (a hung-up socket would spin) */
        if (ev)
            reg_set(s, s->pfd[i].fd, ev);
    }
    for (unsigned i = 0; i < s->nreg;) {
        if (s->reg[i].seen) {
            i++;
            continue;
        }
        epoll_ctl(s->epfd, EPOLL_CTL_DEL, s->reg[i].fd, NULL);
        s->reg[i] = s->reg[--s->nreg];
    }
}

static void cycle(struct sl *s)
{
    if (s->npfd && poll(s->pfd, s->npfd, 0) < 0)
        for (unsigned i = 0; i < s->npfd; i++)
            s->pfd[i].revents = 0;
    slirp_pollfds_poll(s->slirp, 0, get_revents, s);
    uint32_t timeout = UINT32_MAX;
    s->npfd = 0;
    slirp_pollfds_fill(s->slirp, &timeout, add_poll, s);
    sync_epoll(s);
    if (timeout == UINT32_MAX)
        return;
    /* only ever earlier: a busy guest must not keep postponing the timers */
    uint64_t now = now_ns(), when = now + (uint64_t)timeout * 1000000u;
    if (!s->deadline || when < s->deadline) {
        s->deadline = when;
        evtimer_arm(s->timer, when > now ? when - now : 1, 0);
    }
}

static void epfd_ready(void *opaque, uint32_t events)
{
    cycle(opaque);
}

static void poll_timer_fired(void *opaque)
{
    struct sl *s = opaque;
    s->deadline = 0;
    cycle(s);
}

static void timer_fired(void *opaque)
{
    struct sl_timer *t = opaque;
    if (t->cb)
        t->cb(t->cb_opaque);
    else
        slirp_handle_timer(t->s->slirp, t->id, t->cb_opaque);
    cycle(t->s);
}

/* ---- netdev ops ---- */

static int sl_send(struct netdev *nd, const void *frame, size_t len)
{
    struct sl *s = (struct sl *)nd;
    slirp_input(s->slirp, frame, (int)len);
    counter_inc(&nd->stats.tx_frames);
    counter_add(&nd->stats.tx_bytes, len);
    return 0;
}

static void sl_tx_flush(struct netdev *nd)
{
    cycle((struct sl *)nd);
}

static void sl_free(struct netdev *nd)
{
    struct sl *s = (struct sl *)nd;
    if (s->slirp)
        slirp_cleanup(s->slirp);
    if (s->epfd >= 0) {
        evloop_del_fd(s->loop, s->epfd);
        close(s->epfd);
    }
    evtimer_free(s->loop, s->timer);
    free(s->pfd);
    free(s->reg);
    free(s);
}

static const struct netdev_ops sl_ops = {
    .send = sl_send,
    .tx_flush = sl_tx_flush,
    .free = sl_free,
};

static void init_config(SlirpConfig *c)
{
    *c = (SlirpConfig){.version = 4, .in_enabled = true, .in6_enabled = true, .vprefix_len = 64};
    inet_pton(AF_INET, "10.0.2.0", &c->vnetwork);
    inet_pton(AF_INET, "255.255.255.0", &c->vnetmask);
    inet_pton(AF_INET, "10.0.2.2", &c->vhost);
    inet_pton(AF_INET, "10.0.2.15", &c->vdhcp_start);
    inet_pton(AF_INET, "10.0.2.3", &c->vnameserver);
    inet_pton(AF_INET6, "fec0::", &c->vprefix_addr6);
    inet_pton(AF_INET6, "fec0::2", &c->vhost6);
    inet_pton(AF_INET6, "fec0::3", &c->vnameserver6);
}

static int add_hostfwds(struct sl *s, const struct netdev_config *cfg, struct err *e)
{
    for (int i = 0; i < cfg->nhostfwd; i++) {
        const struct netdev_hostfwd *f = &cfg->hostfwd[i];
        errno = 0;
        if (slirp_add_hostfwd(s->slirp, f->udp, f->host_addr, f->host_port, f->guest_addr,
                              f->guest_port) < 0) {
            int err = errno ? errno : EADDRINUSE;
            char host[INET_ADDRSTRLEN];
            inet_ntop(AF_INET, &f->host_addr, host, sizeof(host));
            err_set(e, "--net %s: hostfwd: cannot listen on %s %s:%u: %s", cfg->spec,
                    f->udp ? "udp" : "tcp", host, f->host_port, strerror(err));
            return -err;
        }
    }
    return 0;
}

int netdev_slirp_new(struct netdev **out, const struct netdev_config *cfg, struct evloop *loop,
                     struct err *e)
{
    struct sl *s = xzalloc(sizeof(*s));
    s->nd = (struct netdev){.ops = &sl_ops, .kind = "user", .rx_csum_valid = true};
    s->loop = loop;
    s->epfd = epoll_create1(EPOLL_CLOEXEC);
    int r = s->epfd < 0 ? -errno : evloop_add_fd(loop, s->epfd, EPOLLIN, epfd_ready, s);
    if (r < 0) {
        if (s->epfd >= 0)
            close(s->epfd);
        s->epfd = -1;
        err_set(e, "--net %s: cannot set up polling: %s", cfg->spec, strerror(-r));
        goto fail;
    }
    s->timer = evloop_add_timer(loop, poll_timer_fired, s);
    if (!s->timer) {
        r = -errno;
        err_set(e, "--net %s: cannot create a timer: %s", cfg->spec, strerror(errno));
        goto fail;
    }
    SlirpConfig c;
    init_config(&c);
    s->slirp = slirp_new(&c, &slirp_cbs, s);
    if (!s->slirp) {
        r = -ENOMEM;
        err_set(e, "--net %s: libslirp could not start", cfg->spec);
        goto fail;
    }
    r = add_hostfwds(s, cfg, e);
    if (r < 0)
        goto fail;
    cycle(s);
    *out = &s->nd;
    return 0;
fail:
    sl_free(&s->nd);
    return r;
}
