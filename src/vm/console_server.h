/* SPDX-License-Identifier: MIT */
/*
 * console_server: the guest's serial console served on a unix socket, for
 * VMs that run without a terminal (under rvisord, or `rvisor run
 * --console-socket`), with every byte of output also appended to a log file.
 *
 * Protocol: none, raw bytes both ways (so `socat - UNIX-CONNECT:PATH` works).
 * The first client to connect while nobody holds the console gets it
 * read-write; later clients are read-only watchers (told so in one line) and
 * what they type is discarded. A client that shuts down its writing side
 * (shutdown(SHUT_WR)) becomes a watcher at once: that is how `rvctl console
 * --watch` asks for read-only. Output the host cannot deliver to a slow
 * client is dropped for that client, never blocking the guest.
 *
 * Data path: UART output -> pipe (non-blocking; a full 1 MiB pipe drops
 * bytes instead of stalling a vCPU) -> I/O thread -> log, clients, and
 * optionally stdout. Input: read-write client -> UART receive buffer, with
 * reading paused while the guest has not drained it (nothing typed is lost).
 *
 * Threads: created on the main thread, then everything runs on the VM's I/O
 * thread (evloop callbacks); console_server_free after that thread ended.
 */
#ifndef RV_VM_CONSOLE_SERVER_H
#define RV_VM_CONSOLE_SERVER_H

#include <stdbool.h>

#include "util/err.h"
#include "util/evloop.h"

struct console_server;
struct uart;

/* Open the log (if `log_path`), bind the socket (if `sock_path`; a stale
 * socket file is replaced, a live one is an error) and create the output
 * pipe, whose write end is returned in *uart_fd for the board's console.
 * With `mirror_stdout`, output is also copied to stdout. 0 or -errno with
 * `e` naming the file. */
int console_server_new(struct console_server **out, const char *sock_path, const char *log_path,
                       bool mirror_stdout, int *uart_fd, struct err *e)
    __attribute__((warn_unused_result));

/* Start serving on `loop`, passing client input to `uart`. */
int console_server_start(struct console_server *cs, struct evloop *loop, struct uart *uart,
                         struct err *e) __attribute__((warn_unused_result));

/* Copy what is still in the pipe to the log, disconnect clients, remove the
 * socket file. Call after the I/O thread has stopped. NULL is ignored. */
void console_server_free(struct console_server *cs);

#endif
