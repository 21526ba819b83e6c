/* SPDX-License-Identifier: MIT */
/*
 * hostfile: whole-request I/O on the host file under an image. See
 * hostfile.h.
 *
 * Buffered mode is a thin loop over preadv/pwritev. O_DIRECT mode passes
 * aligned requests straight through and sends the rest through a bounce
 * buffer of HOSTFILE_BOUNCE bytes, one aligned chunk at a time; only the
 * first and last block of a chunk are read back for a partial write. The
 * alignment is probed at open (512, else 4096), and O_DIRECT is dropped
 * where the file system does not support it (tmpfs), since it is a
 * performance choice, not a correctness one.
 *
 * Threads: one image, one thread at a time (the bounce buffer is shared).
 */
#include "block/hostfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "block/blk_iov.h"

#define HOSTFILE_BOUNCE (1u << 20)

static uint8_t *aligned_buf(size_t align, size_t n)
{
    void *p = NULL;
    if (posix_memalign(&p, align < sizeof(void *) ? sizeof(void *) : align, n)) {
        /* util/alloc.h policy: out of memory for VMM bookkeeping is fatal. */
        fprintf(stderr, "rvisor: out of memory allocating %zu bytes\n", n);
        abort();
    }
    return p;
}

/* Probe the O_DIRECT alignment with reads of the first block. */
static uint32_t probe_align(int fd)
{
    uint8_t *buf = aligned_buf(4096, 4096);
    uint32_t align = 0;
    for (uint32_t a = 512; a <= 4096 && !align; a *= 8) {
        ssize_t r;
        do
            r = pread(fd, buf, a, 0);
        while (r < 0 && errno == EINTR);
        if (r >= 0)
            align = a;
    }
    free(buf);
    return align;
}

/* Keep O_DIRECT if a probe read works at some alignment, else drop it. */
static int setup_direct(struct hostfile *f, int fd, const char *path, struct err *e)
{
    uint32_t a = probe_align(fd);
    if (a) {
        f->direct = true;
        f->align = a;
        return 0;
    }
    int fl = fcntl(fd, F_GETFL);
    if (fl < 0 || fcntl(fd, F_SETFL, fl & ~O_DIRECT) < 0) {
        int err = errno;
        err_set(e, "%s: cannot leave O_DIRECT mode: %s", path, strerror(err));
        return -err;
    }
    return 0;
}

static int take_lock(int fd, bool readonly, const char *path, struct err *e)
{
    int r;
    do
        r = flock(fd, (readonly ? LOCK_SH : LOCK_EX) | LOCK_NB);
    while (r < 0 && errno == EINTR);
    if (r == 0 || errno == ENOLCK || errno == EOPNOTSUPP)
        return 0;
    if (errno == EWOULDBLOCK) {
        err_set(e, "%s: image is in use (%s)", path,
                readonly ? "another user is writing it" : "another user has it open");
        return -EBUSY;
    }
    int err = errno;
    err_set(e, "%s: cannot lock: %s", path, strerror(err));
    return -err;
}

int hostfile_open(struct hostfile *f, const char *path, bool readonly, bool direct, bool lock,
                  struct err *e)
{
    memset(f, 0, sizeof(*f));
    f->fd = -1;
    f->align = 1;
    int flags = (readonly ? O_RDONLY : O_RDWR) | O_CLOEXEC;
    int fd = open(path, flags | (direct ? O_DIRECT : 0));
    if (fd < 0 && direct && errno == EINVAL) { /* e.g. tmpfs */
        direct = false;
        fd = open(path, flags);
    }
    if (fd < 0) {
        int err = errno;
        err_set(e, "%s: %s", path, strerror(err));
        return -err;
    }
    struct stat st;
    off_t end = -1;
    int r = 0;
    if (fstat(fd, &st) < 0) {
        r = -errno;
        err_set(e, "%s: %s", path, strerror(-r));
    } else if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode)) {
        r = -EINVAL;
        err_set(e, "%s: not a regular file or block device", path);
    } else if ((end = S_ISBLK(st.st_mode) ? lseek(fd, 0, SEEK_END) : st.st_size) < 0) {
        r = -errno;
        err_set(e, "%s: cannot determine size: %s", path, strerror(-r));
    } else if (lock && (r = take_lock(fd, readonly, path, e))) {
        /* refused */
    } else if (direct) {
        r = setup_direct(f, fd, path, e);
    }
    if (r) {
        close(fd);
        return r;
    }
    f->fd = fd;
    f->size = (uint64_t)end;
    f->dev = st.st_dev;
    f->ino = st.st_ino;
    return 0;
}

void hostfile_close(struct hostfile *f)
{
    if (f->fd >= 0)
        close(f->fd);
    f->fd = -1;
    free(f->bounce);
    f->bounce = NULL;
}

/* Finish a transfer that the first preadv/pwritev left short, element by
 * element from byte `done`. Reads at or past EOF return zeros. */
static int finish_rw(struct hostfile *f, const struct iovec *iov, int cnt, uint64_t off,
                     size_t done, bool wr)
{
    size_t pos = 0;
    for (int i = 0; i < cnt; i++) {
        size_t l = iov[i].iov_len;
        uint8_t *base = iov[i].iov_base;
        size_t in = done > pos ? done - pos : 0;
        while (in < l) {
            uint64_t at = off + pos + in;
            if (!wr && at >= f->size) {
                memset(base + in, 0, l - in);
                break;
            }
            ssize_t n = wr ? pwrite(f->fd, base + in, l - in, (off_t)at)
                           : pread(f->fd, base + in, l - in, (off_t)at);
            if (n < 0 && errno == EINTR)
                continue;
            if (n < 0)
                return -errno;
            if (n == 0) {
                if (wr)
                    return -EIO;
                memset(base + in, 0, l - in);
                break;
            }
            in += (size_t)n;
        }
        pos += l;
    }
    return 0;
}

static int rw_full(struct hostfile *f, const struct iovec *iov, int cnt, uint64_t off, bool wr)
{
    size_t total = blk_iov_size(iov, cnt);
    if (total == 0)
        return 0;
    if (off > INT64_MAX || total > INT64_MAX - off)
        return -EINVAL;
    /* The common case is one syscall; short transfers (signals, EOF,
     * ENOSPC halfway) fall back to the element-by-element loop. */
    ssize_t r;
    do
        r = wr ? pwritev(f->fd, iov, cnt, (off_t)off) : preadv(f->fd, iov, cnt, (off_t)off);
    while (r < 0 && errno == EINTR);
    if (r < 0)
        return -errno;
    int ret = 0;
    if ((size_t)r < total)
        ret = finish_rw(f, iov, cnt, off, (size_t)r, wr);
    if (!ret && wr) {
        if (f->tap)
            f->tap->write(f->tap->ctx, iov, cnt, off);
        f->writes++;
        if (off + total > f->size)
            f->size = off + total;
    }
    return ret;
}

static int rw_buf(struct hostfile *f, void *buf, size_t len, uint64_t off, bool wr)
{
    struct iovec v = {.iov_base = buf, .iov_len = len};
    return rw_full(f, &v, 1, off, wr);
}

static bool direct_ok(const struct hostfile *f, const struct iovec *iov, int cnt, uint64_t off)
{
    return !f->direct || ((off & (f->align - 1)) == 0 && blk_iov_aligned(iov, cnt, f->align));
}

/* One aligned chunk of a bounced transfer: [start, start+span) in the file
 * holds the request's bytes [done, done+n) at `head`. */
struct chunk {
    uint64_t start;
    size_t head, n, span;
};

static struct chunk next_chunk(const struct hostfile *f, uint64_t pos, size_t left)
{
    struct chunk c;
    uint64_t a = f->align;
    c.start = pos & ~(a - 1);
    c.head = (size_t)(pos - c.start);
    c.n = left < HOSTFILE_BOUNCE - c.head ? left : HOSTFILE_BOUNCE - c.head;
    c.span = (size_t)((c.head + c.n + a - 1) & ~(a - 1));
    return c;
}

static int bounce_read(struct hostfile *f, const struct iovec *iov, int cnt, uint64_t off)
{
    size_t len = blk_iov_size(iov, cnt), done = 0;
    while (done < len) {
        struct chunk c = next_chunk(f, off + done, len - done);
        int r = rw_buf(f, f->bounce, c.span, c.start, false);
        if (r)
            return r;
        blk_iov_from_buf(iov, cnt, done, f->bounce + c.head, c.n);
        done += c.n;
    }
    return 0;
}

static int bounce_write(struct hostfile *f, const struct iovec *iov, int cnt, uint64_t off)
{
    size_t len = blk_iov_size(iov, cnt), done = 0;
    size_t a = f->align;
    while (done < len) {
        struct chunk c = next_chunk(f, off + done, len - done);
        int r = 0;
        if (c.head)
            r = rw_buf(f, f->bounce, a, c.start, false);
        if (!r && ((c.head + c.n) & (a - 1)) && (c.span > a || !c.head))
            r = rw_buf(f, f->bounce + c.span - a, a, c.start + c.span - a, false);
        if (r)
            return r;
        blk_iov_to_buf(iov, cnt, done, f->bounce + c.head, c.n);
        uint64_t old = f->size, end = c.start + c.head + c.n;
        r = rw_buf(f, f->bounce, c.span, c.start, true);
        if (r)
            return r;
        /* Do not let the block padding grow the file past the request. */
        uint64_t want = old > end ? old : end;
        if (c.start + c.span > want) {
            if (ftruncate(f->fd, (off_t)want) < 0)
                return -errno;
        }
        f->size = want;
        done += c.n;
    }
    return 0;
}

int hostfile_preadv(struct hostfile *f, const struct iovec *iov, int iovcnt, uint64_t off)
{
    if (direct_ok(f, iov, iovcnt, off))
        return rw_full(f, iov, iovcnt, off, false);
    if (!f->bounce)
        f->bounce = aligned_buf(f->align, HOSTFILE_BOUNCE);
    return bounce_read(f, iov, iovcnt, off);
}

int hostfile_pwritev(struct hostfile *f, const struct iovec *iov, int iovcnt, uint64_t off)
{
    if (direct_ok(f, iov, iovcnt, off))
        return rw_full(f, iov, iovcnt, off, true);
    if (!f->bounce)
        f->bounce = aligned_buf(f->align, HOSTFILE_BOUNCE);
    return bounce_write(f, iov, iovcnt, off);
}

int hostfile_pread(struct hostfile *f, void *buf, size_t len, uint64_t off)
{
    struct iovec v = {.iov_base = buf, .iov_len = len};
    return hostfile_preadv(f, &v, 1, off);
}

int hostfile_pwrite(struct hostfile *f, const void *buf, size_t len, uint64_t off)
{
    struct iovec v = {.iov_base = (void *)buf, .iov_len = len};
    return hostfile_pwritev(f, &v, 1, off);
}

void *hostfile_alloc_aligned(size_t n)
{
    return aligned_buf(4096, n ? n : 1);
}

int hostfile_sync(struct hostfile *f)
{
    int r;
    do
        r = fdatasync(f->fd);
    while (r < 0 && errno == EINTR);
    if (r == 0 && f->tap)
        f->tap->sync(f->tap->ctx);
    return r < 0 ? -errno : 0;
}

int hostfile_punch(struct hostfile *f, uint64_t off, uint64_t len)
{
    if (len == 0)
        return 0;
    if (fallocate(f->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t)off, (off_t)len) < 0)
        return errno == ENOTSUP || errno == EOPNOTSUPP ? -EOPNOTSUPP : -errno;
    if (f->tap)
        f->tap->punch(f->tap->ctx, off, len);
    return 0;
}
