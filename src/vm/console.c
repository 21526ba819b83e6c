/* SPDX-License-Identifier: MIT */
/*
 * console: the host terminal as the guest's serial console. On a tty, input
 * is switched to raw mode (restored on exit) so every key reaches the guest;
 * Ctrl-A x quits, Ctrl-A Ctrl-A sends a literal Ctrl-A (QEMU's habit).
 * Input is read on the I/O thread; when the UART's buffer is full, reading
 * pauses and retries later, so nothing typed or pasted is dropped.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <termios.h>
#include <unistd.h>

#include "machine/uart.h"
#include "util/alloc.h"
#include "util/log.h"
#include "vm/vm.h"

#define ESC_KEY 0x01 /* Ctrl-A */

struct console {
    struct vm *vm;
    int fd;
    bool raw;
    bool escape;
    struct termios saved;
    struct evtimer *retry;
    uint8_t pending[256];
    size_t npending, pending_off;
};

static void flush_pending(struct console *c)
{
    struct uart *u = c->vm->board->uart;
    size_t n = uart_push_input(u, c->pending + c->pending_off, c->npending - c->pending_off);
    c->pending_off += n;
    if (c->pending_off < c->npending) {
        evtimer_arm(c->retry, 10000000, 0);
        return;
    }
    c->npending = c->pending_off = 0;
    if (evloop_mod_fd(c->vm->loop, c->fd, EPOLLIN) < 0)
        log_warn("console", "cannot resume console input");
}

static void retry_cb(void *opaque)
{
    flush_pending(opaque);
}

/* Filter escape sequences into c->pending. */
static void take_input(struct console *c, const uint8_t *buf, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        uint8_t ch = buf[i];
        if (c->escape) {
            c->escape = false;
            if (ch == 'x' || ch == 'X') {
                vm_request_reset(c->vm, RESET_FAIL, VM_EXIT_QUIT);
                return;
            }
            if (ch != ESC_KEY)
                continue;
        } else if (ch == ESC_KEY && c->raw) {
            c->escape = true;
            continue;
        }
        c->pending[c->npending++] = ch;
    }
}

static void input_cb(void *opaque, uint32_t events)
{
    struct console *c = opaque;
    uint8_t buf[sizeof(c->pending)];
    ssize_t n = read(c->fd, buf, sizeof(buf));
    if (n < 0 && (errno == EINTR || errno == EAGAIN))
        return;
    if (n <= 0) {
        /* EOF on a non-tty stdin: the guest keeps running without input */
        evloop_del_fd(c->vm->loop, c->fd);
        return;
    }
    take_input(c, buf, (size_t)n);
    if (c->npending) {
        /* stop reading until the guest has drained what we hold */
        if (evloop_mod_fd(c->vm->loop, c->fd, 0) < 0)
            log_warn("console", "cannot pause console input");
        flush_pending(c);
    }
}

struct console *console_open(struct vm *vm, int in_fd)
{
    struct console *c = xzalloc(sizeof(*c));
    c->vm = vm;
    c->fd = in_fd;
    if (isatty(in_fd) && tcgetattr(in_fd, &c->saved) == 0) {
        struct termios t = c->saved;
        cfmakeraw(&t);
        t.c_oflag |= OPOST | ONLCR; /* keep our own log lines readable */
        if (tcsetattr(in_fd, TCSANOW, &t) == 0)
            c->raw = true;
    }
    c->retry = evloop_add_timer(vm->loop, retry_cb, c);
    /* A regular file or /dev/null cannot be polled: then there is no input. */
    if (!c->retry || evloop_add_fd(vm->loop, in_fd, EPOLLIN, input_cb, c) < 0)
        log_info("console", "console input is not available");
    return c;
}

void console_close(struct console *c)
{
    if (!c)
        return;
    if (c->raw)
        tcsetattr(c->fd, TCSANOW, &c->saved);
    /* called after the I/O thread has stopped, before the loop is freed */
    evtimer_free(c->vm->loop, c->retry);
    free(c);
}
