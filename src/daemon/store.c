/* SPDX-License-Identifier: MIT */
/*
 * store: atomic file writes and the small file-system helpers rvisord needs.
 * See store.h.
 */
#include "daemon/store.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/alloc.h"
#include "util/fdio.h"

static int fsync_dir_of(const char *path)
{
    char *copy = xstrdup(path);
    int fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    free(copy);
    if (fd < 0)
        return -errno;
    int r = fsync(fd) < 0 ? -errno : 0;
    close(fd);
    return r;
}

/* "dir/.base.tmp.XXXXXX" for `path`. */
static char *temp_name(const char *path)
{
    char *copy1 = xstrdup(path), *copy2 = xstrdup(path);
    const char *dir = dirname(copy1), *base = basename(copy2);
    size_t n = strlen(dir) + strlen(base) + 16;
    char *t = xmalloc(n);
    snprintf(t, n, "%s/.%s.tmp.XXXXXX", dir, base);
    free(copy1);
    free(copy2);
    return t;
}

int store_write_atomic(const char *path, const void *data, size_t len, int mode, struct err *e)
{
    char *tmp = temp_name(path);
    int r, fd = mkostemp(tmp, O_CLOEXEC);
    if (fd < 0) {
        r = -errno;
        err_set(e, "%s: cannot create a temporary file: %s", path, strerror(errno));
        free(tmp);
        return r;
    }
    const char *what = "write";
    if ((r = fd_write_all(fd, data, len)) < 0)
        goto fail;
    what = "fchmod";
    if (fchmod(fd, (mode_t)mode) < 0)
        goto fail_errno;
    what = "fsync";
    if (fsync(fd) < 0)
        goto fail_errno;
    what = "close";
    r = close(fd);
    fd = -1;
    if (r < 0)
        goto fail_errno;
    what = "rename";
    if (rename(tmp, path) < 0)
        goto fail_errno;
    free(tmp);
    r = fsync_dir_of(path);
    if (r < 0)
        err_set(e, "%s: fsync of its directory: %s", path, strerror(-r));
    return r;
fail_errno:
    r = -errno;
fail:
    err_set(e, "%s: %s: %s", path, what, strerror(-r));
    if (fd >= 0)
        close(fd);
    unlink(tmp);
    free(tmp);
    return r;
}

int store_write_json(const char *path, const json_t *j, struct err *e)
{
    char *s = json_dumps(j, JSON_INDENT(2) | JSON_SORT_KEYS);
    if (!s) {
        err_set(e, "%s: cannot encode JSON", path);
        return -EINVAL;
    }
    size_t n = strlen(s);
    char *buf = xmalloc(n + 2);
    memcpy(buf, s, n);
    buf[n] = '\n';
    free(s);
    int r = store_write_atomic(path, buf, n + 1, 0600, e);
    free(buf);
    return r;
}

int store_read_file(const char *path, size_t max, char **out, size_t *len, struct err *e)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        int r = -errno;
        err_set(e, "%s: %s", path, strerror(errno));
        return r;
    }
    struct stat st;
    if (fstat(fd, &st) < 0 || (size_t)st.st_size > max) {
        err_set(e, "%s: larger than %zu bytes", path, max);
        close(fd);
        return -EFBIG;
    }
    char *buf = xmalloc((size_t)st.st_size + 1);
    size_t got = 0;
    while (got < (size_t)st.st_size) {
        ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    close(fd);
    buf[got] = 0;
    *out = buf;
    *len = got;
    return 0;
}

int store_mkdirs(const char *path, int mode, struct err *e)
{
    char *p = xstrdup(path);
    int r = 0;
    for (char *s = p + 1;; s++) {
        if (*s && *s != '/')
            continue;
        char c = *s;
        *s = 0;
        if (mkdir(p, (mode_t)mode) < 0 && errno != EEXIST) {
            r = -errno;
            err_set(e, "%s: cannot create directory: %s", p, strerror(errno));
            break;
        }
        *s = c;
        if (!c)
            break;
    }
    struct stat st;
    if (r == 0 && (stat(path, &st) < 0 || !S_ISDIR(st.st_mode))) {
        r = -ENOTDIR;
        err_set(e, "%s: not a directory", path);
    }
    free(p);
    return r;
}

int store_remove_tree(const char *path)
{
    struct stat st;
    if (lstat(path, &st) < 0)
        return errno == ENOENT ? 0 : -errno;
    if (!S_ISDIR(st.st_mode))
        return unlink(path) < 0 ? -errno : 0;
    DIR *dir = opendir(path);
    if (!dir)
        return -errno;
    struct dirent *de;
    int r = 0;
    while ((de = readdir(dir))) {
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
            continue;
        size_t n = strlen(path) + strlen(de->d_name) + 2;
        char *child = xmalloc(n);
        snprintf(child, n, "%s/%s", path, de->d_name);
        int cr = store_remove_tree(child);
        if (cr < 0 && !r)
            r = cr;
        free(child);
    }
    closedir(dir);
    if (rmdir(path) < 0 && !r)
        r = -errno;
    return r;
}

int store_unlink(const char *path)
{
    if (unlink(path) < 0)
        return errno == ENOENT ? 0 : -errno;
    return fsync_dir_of(path);
}

/* Copy data regions only (SEEK_DATA/SEEK_HOLE), so sparse images stay
 * sparse. Falls back to a plain copy where the file system lacks them. */
static int copy_data(int in, int out, off_t size)
{
    char *buf = xmalloc(1 << 20);
    off_t pos = 0;
    int r = 0;
    while (pos < size && r == 0) {
        off_t data = lseek(in, pos, SEEK_DATA);
        if (data < 0) {
            if (errno == ENXIO)
                break; /* only a hole is left */
            data = pos;
        }
        off_t hole = lseek(in, data, SEEK_HOLE);
        if (hole < 0)
            hole = size;
        for (off_t off = data; off < hole && r == 0;) {
            size_t chunk = (size_t)(hole - off) < (1u << 20) ? (size_t)(hole - off) : (1u << 20);
            ssize_t n = pread(in, buf, chunk, off);
            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0) {
                r = n < 0 ? -errno : -EIO;
                break;
            }
            for (ssize_t done = 0; done < n && r == 0;) {
                ssize_t w = pwrite(out, buf + done, (size_t)(n - done), off + done);
                if (w < 0 && errno == EINTR)
                    continue;
                if (w <= 0)
                    r = w < 0 ? -errno : -EIO;
                else
                    done += w;
            }
            off += n;
        }
        pos = hole;
    }
    free(buf);
    if (r == 0 && ftruncate(out, size) < 0)
        r = -errno;
    return r;
}

int store_copy_file(const char *src, const char *dst, int mode, struct err *e)
{
    int r, in = open(src, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (in < 0 || fstat(in, &st) < 0) {
        r = -errno;
        err_set(e, "%s: %s", src, strerror(errno));
        if (in >= 0)
            close(in);
        return r;
    }
    if (!S_ISREG(st.st_mode)) {
        err_set(e, "%s: not a regular file", src);
        close(in);
        return -EINVAL;
    }
    if (access(dst, F_OK) == 0) {
        err_set(e, "%s: already exists", dst);
        close(in);
        return -EEXIST;
    }
    char *tmp = temp_name(dst);
    int out = mkostemp(tmp, O_CLOEXEC);
    if (out < 0) {
        r = -errno;
        err_set(e, "%s: %s", dst, strerror(errno));
        goto out_in;
    }
    r = copy_data(in, out, st.st_size);
    if (r == 0 && (fchmod(out, (mode_t)mode) < 0 || fsync(out) < 0))
        r = -errno;
    close(out);
    if (r == 0 && link(tmp, dst) < 0) /* link: never replaces an existing dst */
        r = -errno;
    unlink(tmp);
    if (r < 0)
        err_set(e, "copying %s to %s: %s", src, dst, strerror(-r));
    else
        r = fsync_dir_of(dst);
out_in:
    free(tmp);
    close(in);
    return r;
}

void store_clean_temporaries(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *de;
    while ((de = readdir(d))) {
        if (de->d_name[0] == '.' && strstr(de->d_name, ".tmp.")) {
            size_t n = strlen(dir) + strlen(de->d_name) + 2;
            char *p = xmalloc(n);
            snprintf(p, n, "%s/%s", dir, de->d_name);
            unlink(p);
            free(p);
        }
    }
    closedir(d);
}
