/* SPDX-License-Identifier: MIT */
/*
 * fdio: writing whole buffers to file descriptors: files, terminals and
 * sockets (the API's HTTP, the consoles, the control channel), retrying
 * after signals and short writes.
 *
 * Threads: any.
 */
#ifndef RV_UTIL_FDIO_H
#define RV_UTIL_FDIO_H

#include <stdbool.h>
#include <stddef.h>

/* Write all `len` bytes with write(). 0, or -errno (-EIO if the fd took
 * nothing). For a blocking fd. */
int fd_write_all(int fd, const void *buf, size_t len);

/* The same on a socket with send(MSG_NOSIGNAL): a peer that went away is
 * -EPIPE, never SIGPIPE. */
int fd_send_all(int fd, const void *buf, size_t len) __attribute__((warn_unused_result));

/* Send what a non-blocking socket takes now of the `*len` bytes at `buf`,
 * keeping the rest at the front of `buf` (*len updated). false if the peer
 * is gone. */
bool fd_send_pending(int fd, char *buf, size_t *len) __attribute__((warn_unused_result));

#endif
