/* SPDX-License-Identifier: MIT */
/*
 * console: the virtio console device (virtio 1.2 §5.3), one port (port 0,
 * the guest's /dev/hvc0), whose data goes to and from a host unix socket.
 * rvisor listens on the socket; one client at a time is connected (a new
 * client replaces the old one). With `console=hvc0` on the kernel command
 * line the guest's console is there; otherwise it is a byte channel to the
 * host, e.g. for a guest agent.
 */
#ifndef RV_VIRTIO_CONSOLE_H
#define RV_VIRTIO_CONSOLE_H

#include "virtio/mmio.h"

#define VIRTIO_CONSOLE_COLS 80
#define VIRTIO_CONSOLE_ROWS 24

/* Create a virtio-console device and listen on the unix socket `path` (a
 * stale socket there is replaced; any other file is an error). 0 with *out
 * set, or -errno with `e` naming the path and the problem. Main thread;
 * p->loop is required. The socket file is removed by virtio_dev_free. */
int virtio_console_new(struct virtio_dev **out, const struct virtio_mmio_params *p,
                       const char *path, struct err *e) __attribute__((warn_unused_result));

#endif
