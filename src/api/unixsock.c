/* SPDX-License-Identifier: MIT */
/*
 * unixsock: listen/connect helpers for unix-domain sockets. See unixsock.h.
 * The socket is created with umask 0177 in effect around bind(), so it never
 * exists, even briefly, with wider permissions than 0600.
 */
#include "api/unixsock.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

static int fill_addr(struct sockaddr_un *sa, const char *path, struct err *e)
{
    memset(sa, 0, sizeof(*sa));
    sa->sun_family = AF_UNIX;
    if (strlen(path) >= sizeof(sa->sun_path)) {
        err_set(e, "%s: socket path too long (at most %zu bytes)", path, sizeof(sa->sun_path) - 1);
        return -ENAMETOOLONG;
    }
    strcpy(sa->sun_path, path);
    return 0;
}

int unixsock_connect(const char *path, struct err *e)
{
    struct sockaddr_un sa;
    int r = fill_addr(&sa, path, e);
    if (r < 0)
        return r;
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        r = -errno;
        err_set(e, "socket: %s", strerror(errno));
        return r;
    }
    while (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
        if (errno == EINTR)
            continue;
        r = -errno;
        err_set(e, "%s: %s", path, strerror(errno));
        close(fd);
        return r;
    }
    return fd;
}

/* Remove `path` if it is a socket nobody serves. */
static int clear_stale(const char *path, struct err *e)
{
    struct stat st;
    if (lstat(path, &st) < 0)
        return 0;
    if (!S_ISSOCK(st.st_mode)) {
        err_set(e, "%s: exists and is not a socket", path);
        return -EEXIST;
    }
    int fd = unixsock_connect(path, NULL);
    if (fd >= 0) {
        close(fd);
        err_set(e, "%s: another process is already serving this socket", path);
        return -EADDRINUSE;
    }
    if (unlink(path) < 0 && errno != ENOENT) {
        int r = -errno;
        err_set(e, "%s: cannot remove stale socket: %s", path, strerror(errno));
        return r;
    }
    return 0;
}

int unixsock_listen(const char *path, struct err *e)
{
    struct sockaddr_un sa;
    int r = fill_addr(&sa, path, e);
    if (r < 0)
        return r;
    r = clear_stale(path, e);
    if (r < 0)
        return r;
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) {
        r = -errno;
        err_set(e, "socket: %s", strerror(errno));
        return r;
    }
    mode_t old = umask(0177);
    r = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
    int saved = errno;
    umask(old);
    if (r < 0 || chmod(path, 0600) < 0 || listen(fd, 64) < 0) {
        if (r == 0)
            saved = errno;
        err_set(e, "%s: %s", path, strerror(saved));
        if (r == 0)
            unlink(path);
        close(fd);
        return -saved;
    }
    return fd;
}
