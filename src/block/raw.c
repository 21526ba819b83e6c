/* SPDX-License-Identifier: MIT */
/*
 * raw: plain image files and block devices. The virtual disk is the file,
 * byte for byte: reads and writes go straight to hostfile, flush is
 * fdatasync, discard punches a hole (FALLOC_FL_PUNCH_HOLE | KEEP_SIZE) and
 * write-zeroes punches too, falling back to writing zeros.
 *
 * A raw image whose format was probed must never start to look like a
 * qcow2 image: a guest could otherwise write a qcow2 header naming a host
 * file as its backing file and read that file after the next probe. Such
 * writes fail with -EPERM (the check QEMU also makes).
 *
 * Threads: see image.h.
 */
#include <errno.h>
#include <string.h>

#include "block/blk_iov.h"
#include "block/driver.h"
#include "util/log.h"

#define RAW_ZERO_CHUNK (64u * 1024)

static int raw_preadv(struct blk_image *img, const struct iovec *iov, int cnt, uint64_t off,
                      size_t len)
{
    (void)len;
    return hostfile_preadv(&img->file, iov, cnt, off);
}

/* True if the write would make the first four bytes the qcow2 magic. */
static bool makes_qcow2(struct blk_image *img, const struct iovec *iov, int cnt, uint64_t off,
                        size_t len)
{
    static const uint8_t magic[4] = {'Q', 'F', 'I', 0xfb};
    uint8_t head[4] = {0};
    if (off >= sizeof(head))
        return false;
    if (hostfile_pread(&img->file, head, sizeof(head), 0))
        return true; /* cannot tell: refuse rather than risk it */
    size_t n = sizeof(head) - off < len ? sizeof(head) - off : len;
    blk_iov_to_buf(iov, cnt, 0, head + off, n);
    return !memcmp(head, magic, sizeof(magic));
}

static int raw_pwritev(struct blk_image *img, const struct iovec *iov, int cnt, uint64_t off,
                       size_t len)
{
    if (img->probed && makes_qcow2(img, iov, cnt, off, len)) {
        log_guest_error("block", "%s: refused a write that would turn a probed raw image into a "
                        "qcow2 image", img->path);
        return -EPERM;
    }
    return hostfile_pwritev(&img->file, iov, cnt, off);
}

static int raw_flush(struct blk_image *img)
{
    if (img->cache == BLK_CACHE_UNSAFE)
        return 0;
    return hostfile_sync(&img->file);
}

static int raw_discard(struct blk_image *img, uint64_t off, uint64_t len)
{
    int r = hostfile_punch(&img->file, off, len);
    /* Discard is advisory: a file system without hole punching is fine. */
    return r == -EOPNOTSUPP ? 0 : r;
}

static int raw_write_zeroes(struct blk_image *img, uint64_t off, uint64_t len)
{
    int r = hostfile_punch(&img->file, off, len);
    if (r != -EOPNOTSUPP)
        return r;
    static const uint8_t zeros[RAW_ZERO_CHUNK];
    while (len) {
        size_t n = len < sizeof(zeros) ? (size_t)len : sizeof(zeros);
        r = hostfile_pwrite(&img->file, zeros, n, off);
        if (r)
            return r;
        off += n;
        len -= n;
    }
    return 0;
}

static void raw_close(struct blk_image *img)
{
    if (!img->readonly && img->cache != BLK_CACHE_UNSAFE) {
        int r = hostfile_sync(&img->file);
        if (r)
            log_error("block", "%s: flush on close failed: %s", img->path, strerror(-r));
    }
}

const struct blk_driver blk_raw_driver = {
    .name = "raw",
    .preadv = raw_preadv,
    .pwritev = raw_pwritev,
    .flush = raw_flush,
    .discard = raw_discard,
    .write_zeroes = raw_write_zeroes,
    .close = raw_close,
};

int raw_open(struct blk_image *img, struct err *e)
{
    (void)e;
    img->drv = &blk_raw_driver;
    img->size = img->file.size;
    return 0;
}
