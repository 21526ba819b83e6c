/* SPDX-License-Identifier: MIT */
/*
 * evloop: an epoll loop with fd events and timers. It is the VM's I/O thread
 * (virtio back ends, console, control socket) and, later, rvisord's loop.
 *
 * Threads: evloop_run() runs on one thread. evloop_add_fd/del_fd/stop and the
 * timer calls may be called from any thread (epoll and timerfd are
 * thread-safe); callbacks always run on the loop thread.
 */
#ifndef RV_UTIL_EVLOOP_H
#define RV_UTIL_EVLOOP_H

#include <stdint.h>

struct evloop;
struct evtimer;

/* Called on the loop thread with the epoll event mask (EPOLLIN, ...). */
typedef void (*evloop_fd_cb)(void *opaque, uint32_t events);
typedef void (*evloop_timer_cb)(void *opaque);

/* Create a loop; returns NULL (errno set) on failure. */
struct evloop *evloop_new(void);
void evloop_free(struct evloop *l);

/* Watch `fd` for `events` (EPOLLIN/EPOLLOUT...). 0 or -errno. */
int evloop_add_fd(struct evloop *l, int fd, uint32_t events, evloop_fd_cb cb, void *opaque)
    __attribute__((warn_unused_result));
int evloop_mod_fd(struct evloop *l, int fd, uint32_t events);
void evloop_del_fd(struct evloop *l, int fd);

/* A timer firing `cb` after `ns` nanoseconds, then every `period_ns` (0: once). */
struct evtimer *evloop_add_timer(struct evloop *l, evloop_timer_cb cb, void *opaque);
void evtimer_arm(struct evtimer *t, uint64_t ns, uint64_t period_ns);
void evtimer_free(struct evloop *l, struct evtimer *t);

/* Run callbacks until evloop_stop() is called. */
void evloop_run(struct evloop *l);
/* Ask the loop to return from evloop_run(); safe from any thread or signal-free context. */
void evloop_stop(struct evloop *l);

#endif
