/* SPDX-License-Identifier: MIT */
/*
 * image: the format-neutral disk image API that virtio-blk sits on.
 *
 * An image is opened by path; its format is probed from the header (qcow2
 * magic "QFI\xfb", else raw) or forced by the caller. Requests address the
 * virtual disk in bytes; every call either does the whole request or fails
 * with a negative errno, never a short count. Drivers: raw.c (plain files and
 * block devices) and qcow2*.c (qcow2 version 2 and 3, with backing chains).
 *
 * Durability: data passed to blk_pwrite() may sit in host caches (and, for
 * qcow2, its mapping metadata in our own caches) until blk_flush() returns
 * 0, exactly like a disk with a volatile write cache. Whatever the moment a
 * process dies (kill -9) or the host loses power, a qcow2 image stays
 * consistent: at worst it leaks clusters that `qemu-img check -r leaks` can
 * reclaim, and everything written before the last successful flush is there.
 *
 * Threads: an image (and the backing chain it owns) is used by one thread at
 * a time, normally the VM's I/O thread; there is no internal locking.
 * Different images may be used from different threads concurrently.
 */
#ifndef RV_BLOCK_IMAGE_H
#define RV_BLOCK_IMAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "util/err.h"

#define BLK_MAX_CHAIN 16 /* backing images below the top image, at most */
#define BLK_MAX_IOV 1024 /* iovec elements per request (IOV_MAX on Linux) */

enum blk_format {
    BLK_FORMAT_AUTO = 0, /* probe: qcow2 magic => qcow2, else raw */
    BLK_FORMAT_RAW,
    BLK_FORMAT_QCOW2,
};

enum blk_cache {
    BLK_CACHE_WRITEBACK = 0, /* host page cache; blk_flush() = fdatasync */
    BLK_CACHE_NONE,          /* O_DIRECT where the file system allows it; flush as writeback */
    BLK_CACHE_UNSAFE,        /* host page cache; blk_flush() does not sync (scratch disks) */
};

struct blk_open_opts {
    enum blk_format format;
    bool readonly;
    enum blk_cache cache;
    bool nolock; /* skip the advisory lock (e.g. migration hand-over on shared storage) */
};

struct blk_qcow2_create_opts {
    uint64_t size;           /* virtual size in bytes; 0 with a backing file = its size */
    const char *backing_file; /* NULL for none; stored as given, relative to the image */
    const char *backing_fmt; /* "raw", "qcow2" or NULL to probe the backing file */
    uint32_t cluster_size;   /* power of two 512..2 MiB; 0 = 64 KiB */
    uint32_t refcount_bits;  /* power of two 1..64; 0 = 16 */
};

struct blk_image;

/* Open the image at `path`. `opts` may be NULL (auto format, read-write,
 * writeback). A qcow2 image opens its backing chain read-only, with the
 * same cache mode. Unless `nolock`, each file is flock()ed, exclusive for
 * read-write and shared for read-only, so that no two users can write one
 * image, nor write an image another one reads (-EBUSY).
 * Returns 0 with *out set, or -errno with `e` filled with one line naming
 * the file and the problem (the culprit in a chain, e.g. "top.qcow2:
 * backing file base.qcow2: No such file or directory").
 * Any thread; the image is then owned by the caller. */
int blk_open(struct blk_image **out, const char *path, const struct blk_open_opts *opts,
             struct err *e) __attribute__((warn_unused_result));

/* Flush (as blk_flush, errors logged) and release the image and its chain.
 * NULL is ignored. */
void blk_close(struct blk_image *img);

/* Virtual disk size in bytes. */
uint64_t blk_size(const struct blk_image *img);

/* Format actually in use (never BLK_FORMAT_AUTO). */
enum blk_format blk_get_format(const struct blk_image *img);

/* True if opened (or forced) read-only. */
bool blk_readonly(const struct blk_image *img);

/* The path the image was opened with (borrowed; valid until blk_close). */
const char *blk_path(const struct blk_image *img);

/* Read `len` bytes at virtual offset `off`. Returns 0, -EINVAL if the range
 * leaves the disk, -EIO on a host error or image corruption (logged once per
 * image). Regions that are unallocated read from the backing chain or as
 * zeros. */
int blk_pread(struct blk_image *img, void *buf, size_t len, uint64_t off)
    __attribute__((warn_unused_result));

/* As blk_pread, scattered over `iovcnt` (at most BLK_MAX_IOV) buffers. */
int blk_preadv(struct blk_image *img, const struct iovec *iov, int iovcnt, uint64_t off)
    __attribute__((warn_unused_result));

/* Write `len` bytes at virtual offset `off`. Returns 0, -EROFS on a
 * read-only image, -EINVAL outside the disk, -ENOSPC/-EIO from the host,
 * -EIO on image corruption (the image then refuses further writes), -EPERM
 * if a raw image opened with a probed format would turn into a qcow2 image
 * (a guest must not be able to make the host read other files). */
int blk_pwrite(struct blk_image *img, const void *buf, size_t len, uint64_t off)
    __attribute__((warn_unused_result));

/* As blk_pwrite, gathered from `iovcnt` (at most BLK_MAX_IOV) buffers. */
int blk_pwritev(struct blk_image *img, const struct iovec *iov, int iovcnt, uint64_t off)
    __attribute__((warn_unused_result));

/* Make everything written so far durable: pending qcow2 metadata is written
 * in dependency order, then the file is fdatasync'ed (not under
 * BLK_CACHE_UNSAFE). Returns 0 or -errno (then nothing is promised). */
int blk_flush(struct blk_image *img) __attribute__((warn_unused_result));

/* Advisory unmap of [off, off+len). Space is returned to the host where the
 * image can express it: raw punches a hole; qcow2 unmaps the whole clusters
 * inside the range (partial clusters are left alone) so that they read as
 * zeros, also over a backing file (qcow2 v3 zero flag; on a v2 image with a
 * backing file discard does nothing). Returns 0 or -errno as blk_pwrite. */
int blk_discard(struct blk_image *img, uint64_t off, uint64_t len)
    __attribute__((warn_unused_result));

/* Make [off, off+len) read as zeros, unmapping whole clusters where
 * possible and writing zeros elsewhere. Returns 0 or -errno as blk_pwrite. */
int blk_write_zeroes(struct blk_image *img, uint64_t off, uint64_t len)
    __attribute__((warn_unused_result));

/* Create a new qcow2 v3 image at `path` (64 KiB clusters, 16-bit
 * refcounts), empty or as an overlay of `backing_file` (resolved relative to
 * the new image's directory; it must open, and its format is probed when
 * `backing_fmt` is NULL). `size` 0 with a backing file takes the backing
 * file's size (rounded up to 512). The file is written under a temporary
 * name, synced and renamed into place; an existing `path` is never
 * replaced (-EEXIST). Returns 0 or -errno with `e` filled. */
int blk_create_qcow2(const char *path, uint64_t size, const char *backing_file,
                     const char *backing_fmt, struct err *e) __attribute__((warn_unused_result));

/* As blk_create_qcow2 with a choice of cluster size and refcount width. */
int blk_create_qcow2_opts(const char *path, const struct blk_qcow2_create_opts *opts,
                          struct err *e) __attribute__((warn_unused_result));

/* "raw", "qcow2" or "auto". */
const char *blk_format_name(enum blk_format fmt);

/* Parse "raw", "qcow2" or "auto"; 0 or -EINVAL. */
int blk_format_parse(const char *name, enum blk_format *out) __attribute__((warn_unused_result));

/* Parse "writeback", "none" or "unsafe"; 0 or -EINVAL. */
int blk_cache_parse(const char *name, enum blk_cache *out) __attribute__((warn_unused_result));

#endif
