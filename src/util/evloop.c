/* SPDX-License-Identifier: MIT */
/*
 * evloop: epoll loop. Each watched fd has a small handler record that lives
 * until evloop_del_fd; timers are timerfds watched like any fd. Stopping is
 * signalled through an eventfd so it works from any thread.
 */
#include "util/evloop.h"
#include "util/alloc.h"

#include <errno.h>
#include <stdbool.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

#define EVLOOP_MAX_FDS 1024

struct handler {
    struct handler *next_dead;
    int fd;
    evloop_fd_cb cb;
    void *opaque;
};

struct evloop {
    int epfd;
    int stopfd;
    atomic_bool stop;
    pthread_mutex_t lock; /* protects handlers[] and dead */
    struct handler *dead; /* removed handlers, freed after the current batch */
    struct handler *handlers[EVLOOP_MAX_FDS];
};

struct evtimer {
    int fd;
    evloop_timer_cb cb;
    void *opaque;
};

static void free_dead(struct evloop *l);

struct evloop *evloop_new(void)
{
    struct evloop *l = xzalloc(sizeof(*l));
    l->epfd = epoll_create1(EPOLL_CLOEXEC);
    l->stopfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    pthread_mutex_init(&l->lock, NULL);
    if (l->epfd < 0 || l->stopfd < 0)
        goto fail;
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = NULL};
    if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, l->stopfd, &ev) < 0)
        goto fail;
    return l;
fail:
    if (l->epfd >= 0)
        close(l->epfd);
    if (l->stopfd >= 0)
        close(l->stopfd);
    free(l);
    return NULL;
}

void evloop_free(struct evloop *l)
{
    if (!l)
        return;
    for (int i = 0; i < EVLOOP_MAX_FDS; i++)
        free(l->handlers[i]);
    free_dead(l);
    close(l->epfd);
    close(l->stopfd);
    pthread_mutex_destroy(&l->lock);
    free(l);
}

int evloop_add_fd(struct evloop *l, int fd, uint32_t events, evloop_fd_cb cb, void *opaque)
{
    if (fd < 0 || fd >= EVLOOP_MAX_FDS)
        return -EMFILE;
    struct handler *h = xzalloc(sizeof(*h));
    h->fd = fd;
    h->cb = cb;
    h->opaque = opaque;
    pthread_mutex_lock(&l->lock);
    if (l->handlers[fd]) {
        pthread_mutex_unlock(&l->lock);
        free(h);
        return -EEXIST;
    }
    l->handlers[fd] = h;
    pthread_mutex_unlock(&l->lock);
    struct epoll_event ev = {.events = events, .data.ptr = h};
    if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
        int e = -errno;
        pthread_mutex_lock(&l->lock);
        l->handlers[fd] = NULL;
        pthread_mutex_unlock(&l->lock);
        free(h);
        return e;
    }
    return 0;
}

int evloop_mod_fd(struct evloop *l, int fd, uint32_t events)
{
    if (fd < 0 || fd >= EVLOOP_MAX_FDS || !l->handlers[fd])
        return -ENOENT;
    struct epoll_event ev = {.events = events, .data.ptr = l->handlers[fd]};
    return epoll_ctl(l->epfd, EPOLL_CTL_MOD, fd, &ev) < 0 ? -errno : 0;
}

/* Must be called on the loop thread (or while the loop is not running), as
 * a callback for this fd may otherwise still be in flight. */
void evloop_del_fd(struct evloop *l, int fd)
{
    if (fd < 0 || fd >= EVLOOP_MAX_FDS)
        return;
    epoll_ctl(l->epfd, EPOLL_CTL_DEL, fd, NULL);
    pthread_mutex_lock(&l->lock);
    struct handler *h = l->handlers[fd];
    l->handlers[fd] = NULL;
    /* Events already returned by this epoll_wait batch may still point at
     * the handler: disarm it now and free it after the batch. */
    if (h) {
        h->cb = NULL;
        h->next_dead = l->dead;
        l->dead = h;
    }
    pthread_mutex_unlock(&l->lock);
}

static void free_dead(struct evloop *l)
{
    pthread_mutex_lock(&l->lock);
    struct handler *h = l->dead;
    l->dead = NULL;
    pthread_mutex_unlock(&l->lock);
    while (h) {
        struct handler *next = h->next_dead;
        free(h);
        h = next;
    }
}

static void timer_fd_cb(void *opaque, uint32_t events)
{
    struct evtimer *t = opaque;
    uint64_t n;
    if (read(t->fd, &n, sizeof(n)) == sizeof(n))
        t->cb(t->opaque);
}

struct evtimer *evloop_add_timer(struct evloop *l, evloop_timer_cb cb, void *opaque)
{
    struct evtimer *t = xzalloc(sizeof(*t));
    t->fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
    t->cb = cb;
    t->opaque = opaque;
    if (t->fd < 0 || evloop_add_fd(l, t->fd, EPOLLIN, timer_fd_cb, t) < 0) {
        if (t->fd >= 0)
            close(t->fd);
        free(t);
        return NULL;
    }
    return t;
}

void evtimer_arm(struct evtimer *t, uint64_t ns, uint64_t period_ns)
{
    struct itimerspec its = {
        .it_value = {.tv_sec = (time_t)(ns / 1000000000u), .tv_nsec = (long)(ns % 1000000000u)},
        .it_interval = {.tv_sec = (time_t)(period_ns / 1000000000u),
                        .tv_nsec = (long)(period_ns % 1000000000u)},
    };
    if (ns == 0 && period_ns == 0)
        its.it_value.tv_nsec = 0; /* disarm */
    else if (ns == 0)
        its.it_value.tv_nsec = 1;
    timerfd_settime(t->fd, 0, &its, NULL);
}

void evtimer_free(struct evloop *l, struct evtimer *t)
{
    if (!t)
        return;
    evloop_del_fd(l, t->fd);
    close(t->fd);
    free(t);
}

void evloop_run(struct evloop *l)
{
    struct epoll_event evs[32];
    while (!atomic_load(&l->stop)) {
        int n = epoll_wait(l->epfd, evs, 32, -1);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        for (int i = 0; i < n; i++) {
            struct handler *h = evs[i].data.ptr;
            if (!h) {
                uint64_t v;
                ssize_t r = read(l->stopfd, &v, sizeof(v));
                (void)r;
                continue;
            }
            if (h->cb)
                h->cb(h->opaque, evs[i].events);
        }
        free_dead(l);
    }
    atomic_store(&l->stop, false);
}

void evloop_stop(struct evloop *l)
{
    atomic_store(&l->stop, true);
    uint64_t one = 1;
    ssize_t r = write(l->stopfd, &one, sizeof(one));
    (void)r;
}
