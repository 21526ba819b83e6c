/* SPDX-License-Identifier: MIT */
/*
 * unixsock: the unix-domain sockets every management channel uses (the
 * daemon's REST socket, a VM's control and console sockets): listen with
 * owner-only permissions, replacing a stale socket file but never one a live
 * process still serves; connect with a clear error.
 *
 * Threads: any.
 */
#ifndef RV_API_UNIXSOCK_H
#define RV_API_UNIXSOCK_H

#include "util/err.h"

/* Create a listening SOCK_STREAM socket (non-blocking, close-on-exec) at
 * `path`, mode 0600. If `path` exists and is a socket nobody answers on, it
 * is removed first; if something answers, -EADDRINUSE. Returns the fd or
 * -errno with `e` naming the path. */
int unixsock_listen(const char *path, struct err *e) __attribute__((warn_unused_result));

/* Connect to `path` (blocking connect; the fd is then close-on-exec and
 * blocking). Returns the fd or -errno with `e` naming the path. */
int unixsock_connect(const char *path, struct err *e) __attribute__((warn_unused_result));

#endif
