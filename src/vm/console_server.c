/* SPDX-License-Identifier: MIT */
/*
 * console_server: serial console on a unix socket plus a log file. See
 * console_server.h for the protocol and data path.
 *
 * Client states: the one read-write client (cs->rw) feeds the UART; all
 * others are watchers. A client whose input side ends (EOF) stops being
 * read; one that hangs up entirely (EPOLLHUP, or a send error) is dropped.
 * Output for a client that cannot take it right away waits in its own
 * buffer of up to CLIENT_BUF_MAX bytes; beyond that it is dropped.
 */
#include "vm/console_server.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "api/unixsock.h"
#include "machine/uart.h"
#include "util/alloc.h"
#include "util/fdio.h"
#include "util/log.h"

#define MAX_CLIENTS 16
#define CLIENT_BUF_MAX (256u << 10)
#define PIPE_SIZE (1 << 20)
#define LOG_ROTATE_BYTES (16ull << 20)

struct client {
    struct console_server *cs;
    int fd;
    bool input_open;
    char *out;
    size_t outlen;
};

struct console_server {
    struct evloop *loop;
    struct uart *uart;
    char *sock_path, *log_path;
    int lfd, pipe_r, pipe_w, log_fd;
    bool mirror_stdout;
    uint64_t log_bytes;
    struct client *clients[MAX_CLIENTS];
    struct client *rw;
    /* input from the rw client the UART has not taken yet */
    uint8_t in[256];
    size_t inlen, inoff;
    struct evtimer *retry;
};

static const char watcher_notice[] =
    "\r\n[rvisor: the console is in use by another client; you are watching read-only]\r\n";

/* ---- output ---------------------------------------------------------------- */

static void client_drop(struct client *c);

static uint32_t client_events(const struct client *c)
{
    uint32_t ev = 0;
    /* the read-write client is not read while the UART still holds its input */
    if (c->input_open && !(c->cs->rw == c && c->cs->inlen))
        ev |= EPOLLIN | EPOLLRDHUP;
    if (c->outlen)
        ev |= EPOLLOUT;
    return ev;
}

static void client_update(struct client *c)
{
    evloop_mod_fd(c->cs->loop, c->fd, client_events(c));
}

/* Try to send the buffered output; false if the client is gone. */
static bool client_flush(struct client *c)
{
    return fd_send_pending(c->fd, c->out, &c->outlen);
}

static void client_send(struct client *c, const char *buf, size_t len)
{
    if (c->outlen + len > CLIENT_BUF_MAX)
        return; /* a client that does not read loses output, the guest never waits */
    c->out = xrealloc(c->out, c->outlen + len);
    memcpy(c->out + c->outlen, buf, len);
    c->outlen += len;
    if (!client_flush(c)) {
        client_drop(c);
        return;
    }
    client_update(c);
}

/* Keep the log bounded: past LOG_ROTATE_BYTES it moves to "<log>.1". */
static void log_output(struct console_server *cs, const char *buf, size_t len)
{
    if (cs->log_fd < 0)
        return;
    if (cs->log_bytes + len > LOG_ROTATE_BYTES) {
        char old[4096];
        snprintf(old, sizeof(old), "%s.1", cs->log_path);
        int fd = -1;
        if (rename(cs->log_path, old) == 0)
            fd = open(cs->log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
        if (fd >= 0) {
            close(cs->log_fd);
            cs->log_fd = fd;
            cs->log_bytes = 0;
        }
    }
    fd_write_all(cs->log_fd, buf, len);
    cs->log_bytes += len;
}

static void deliver(struct console_server *cs, const char *buf, size_t len)
{
    log_output(cs, buf, len);
    if (cs->mirror_stdout)
        fd_write_all(STDOUT_FILENO, buf, len);
    for (int i = 0; i < MAX_CLIENTS; i++)
        if (cs->clients[i])
            client_send(cs->clients[i], buf, len);
}

static void pipe_cb(void *opaque, uint32_t events)
{
    struct console_server *cs = opaque;
    char buf[16384];
    for (int rounds = 0; rounds < 16; rounds++) {
        ssize_t n = read(cs->pipe_r, buf, sizeof(buf));
        if (n <= 0)
            return;
        deliver(cs, buf, (size_t)n);
    }
}

/* ---- input ----------------------------------------------------------------- */

static void flush_input(struct console_server *cs)
{
    size_t n = uart_push_input(cs->uart, cs->in + cs->inoff, cs->inlen - cs->inoff);
    cs->inoff += n;
    if (cs->inoff < cs->inlen) {
        evtimer_arm(cs->retry, 10000000, 0);
        return;
    }
    cs->inlen = cs->inoff = 0;
    if (cs->rw)
        client_update(cs->rw);
}

static void retry_cb(void *opaque)
{
    flush_input(opaque);
}

static void client_input(struct client *c)
{
    struct console_server *cs = c->cs;
    uint8_t buf[sizeof(cs->in)];
    ssize_t n = read(c->fd, buf, sizeof(buf));
    if (n < 0 && (errno == EINTR || errno == EAGAIN))
        return;
    if (n <= 0) {
        /* end of input: a watcher from now on */
        c->input_open = false;
        if (cs->rw == c)
            cs->rw = NULL;
        client_update(c);
        return;
    }
    if (c != cs->rw)
        return; /* watchers cannot type */
    memcpy(cs->in, buf, (size_t)n);
    cs->inlen = (size_t)n;
    cs->inoff = 0;
    client_update(c); /* stop reading it until the UART has taken everything */
    flush_input(cs);
}

static void client_cb(void *opaque, uint32_t events)
{
    struct client *c = opaque;
    if (events & (EPOLLHUP | EPOLLERR)) {
        client_drop(c);
        return;
    }
    if (events & EPOLLOUT) {
        if (!client_flush(c)) {
            client_drop(c);
            return;
        }
        client_update(c);
    }
    if (events & (EPOLLIN | EPOLLRDHUP))
        client_input(c);
}

static void client_drop(struct client *c)
{
    struct console_server *cs = c->cs;
    for (int i = 0; i < MAX_CLIENTS; i++)
        if (cs->clients[i] == c)
            cs->clients[i] = NULL;
    if (cs->rw == c) {
        cs->rw = NULL;
        cs->inlen = cs->inoff = 0;
    }
    evloop_del_fd(cs->loop, c->fd);
    close(c->fd);
    free(c->out);
    free(c);
}

static void accept_cb(void *opaque, uint32_t events)
{
    struct console_server *cs = opaque;
    int fd = accept4(cs->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0)
        return;
    int slot = -1;
    for (int i = 0; i < MAX_CLIENTS && slot < 0; i++)
        if (!cs->clients[i])
            slot = i;
    if (slot < 0) {
        static const char full[] = "[rvisor: too many console clients]\r\n";
        ssize_t w = send(fd, full, sizeof(full) - 1, MSG_NOSIGNAL | MSG_DONTWAIT);
        (void)w;
        close(fd);
        return;
    }
    struct client *c = xzalloc(sizeof(*c));
    c->cs = cs;
    c->fd = fd;
    c->input_open = true;
    if (evloop_add_fd(cs->loop, fd, client_events(c), client_cb, c) < 0) {
        close(fd);
        free(c);
        return;
    }
    cs->clients[slot] = c;
    if (!cs->rw)
        cs->rw = c;
    else
        client_send(c, watcher_notice, sizeof(watcher_notice) - 1);
}

/* ---- lifecycle ------------------------------------------------------------- */

int console_server_new(struct console_server **out, const char *sock_path, const char *log_path,
                       bool mirror_stdout, int *uart_fd, struct err *e)
{
    struct console_server *cs = xzalloc(sizeof(*cs));
    int fds[2];
    cs->lfd = cs->log_fd = cs->pipe_r = cs->pipe_w = -1;
    cs->mirror_stdout = mirror_stdout;
    if (log_path) {
        cs->log_path = xstrdup(log_path);
        cs->log_fd = open(log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
        struct stat st;
        if (cs->log_fd < 0) {
            err_set(e, "--console-log %s: %s", log_path, strerror(errno));
            goto fail;
        }
        if (fstat(cs->log_fd, &st) == 0)
            cs->log_bytes = (uint64_t)st.st_size;
    }
    if (sock_path) {
        cs->sock_path = xstrdup(sock_path);
        cs->lfd = unixsock_listen(sock_path, e);
        if (cs->lfd < 0)
            goto fail;
    }
    if (pipe2(fds, O_CLOEXEC | O_NONBLOCK) < 0) {
        err_set(e, "cannot create the console pipe: %s", strerror(errno));
        goto fail;
    }
    cs->pipe_r = fds[0];
    cs->pipe_w = fds[1];
    fcntl(cs->pipe_w, F_SETPIPE_SZ, PIPE_SIZE); /* best effort: the default is 64 KiB */
    *uart_fd = cs->pipe_w;
    *out = cs;
    return 0;
fail:
    console_server_free(cs);
    return -EINVAL;
}

int console_server_start(struct console_server *cs, struct evloop *loop, struct uart *uart,
                         struct err *e)
{
    cs->loop = loop;
    cs->uart = uart;
    cs->retry = evloop_add_timer(loop, retry_cb, cs);
    if (!cs->retry || evloop_add_fd(loop, cs->pipe_r, EPOLLIN, pipe_cb, cs) < 0 ||
        (cs->lfd >= 0 && evloop_add_fd(loop, cs->lfd, EPOLLIN, accept_cb, cs) < 0)) {
        err_set(e, "cannot watch the console channels");
        return -EIO;
    }
    return 0;
}

void console_server_free(struct console_server *cs)
{
    if (!cs)
        return;
    char buf[16384];
    ssize_t n;
    while (cs->pipe_r >= 0 && (n = read(cs->pipe_r, buf, sizeof(buf))) > 0) {
        log_output(cs, buf, (size_t)n);
        if (cs->mirror_stdout)
            fd_write_all(STDOUT_FILENO, buf, (size_t)n);
    }
    for (int i = 0; i < MAX_CLIENTS; i++) {
        struct client *c = cs->clients[i];
        if (c) {
            client_flush(c);
            close(c->fd);
            free(c->out);
            free(c);
        }
    }
    if (cs->loop && cs->retry)
        evtimer_free(cs->loop, cs->retry);
    if (cs->lfd >= 0) {
        close(cs->lfd);
        unlink(cs->sock_path);
    }
    if (cs->log_fd >= 0)
        close(cs->log_fd);
    if (cs->pipe_r >= 0)
        close(cs->pipe_r);
    if (cs->pipe_w >= 0)
        close(cs->pipe_w);
    free(cs->sock_path);
    free(cs->log_path);
    free(cs);
}
