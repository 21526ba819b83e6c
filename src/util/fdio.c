/* SPDX-License-Identifier: MIT */
/*
 * fdio: whole-buffer writes. See fdio.h.
 */
#include "util/fdio.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* Write or send (`flags` for send(); -1: write()) until done or EAGAIN.
 * Returns the bytes written, or -errno; 0 bytes taken is -EIO. */
static ssize_t put(int fd, const char *p, size_t len, int flags)
{
    size_t done = 0;
    while (done < len) {
        ssize_t n =
            flags < 0 ? write(fd, p + done, len - done) : send(fd, p + done, len - done, flags);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN && done)
            break;
        if (n < 0)
            return -errno;
        if (n == 0)
            return -EIO;
        done += (size_t)n;
    }
    return (ssize_t)done;
}

int fd_write_all(int fd, const void *buf, size_t len)
{
    ssize_t n = put(fd, buf, len, -1);
    return n < 0 ? (int)n : 0;
}

int fd_send_all(int fd, const void *buf, size_t len)
{
    ssize_t n = put(fd, buf, len, MSG_NOSIGNAL);
    return n < 0 ? (int)n : (size_t)n == len ? 0 : -EAGAIN;
}

bool fd_send_pending(int fd, char *buf, size_t *len)
{
    ssize_t n = put(fd, buf, *len, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n == -EAGAIN)
        return true;
    if (n < 0)
        return false;
    memmove(buf, buf + n, *len - (size_t)n);
    *len -= (size_t)n;
    return true;
}
