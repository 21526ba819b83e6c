/* SPDX-License-Identifier: MIT */
/*
 * hostfile: the host file under an image driver (internal to block/).
 *
 * Whole-request pread/pwrite with EINTR and short-transfer loops; bytes past
 * the end of the file read as zeros. With O_DIRECT (cache=none) requests
 * whose offset, length or buffers are not aligned go through an aligned
 * bounce buffer, with read-modify-write of partial blocks, and a write that
 * ends before the block it touches does not grow the file beyond its end.
 * The current file size is tracked so drivers can check offsets against it.
 *
 * Threads: owned by one image, used by one thread at a time.
 */
#ifndef RV_BLOCK_HOSTFILE_H
#define RV_BLOCK_HOSTFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>

#include "util/err.h"

/* Observer of the writes, punches and syncs of one file, for tests that
 * replay them (e.g. to simulate power loss). NULL in normal use. */
struct hostfile_tap {
    void (*write)(void *ctx, const struct iovec *iov, int cnt, uint64_t off);
    void (*punch)(void *ctx, uint64_t off, uint64_t len);
    void (*sync)(void *ctx);
    void *ctx;
};

struct hostfile {
    int fd;
    bool direct;    /* opened with O_DIRECT */
    uint32_t align; /* O_DIRECT alignment of offsets, lengths and buffers; 1 if buffered */
    uint64_t size;  /* bytes; kept up to date by our own writes */
    dev_t dev;      /* identity, for backing-loop detection */
    ino_t ino;
    uint8_t *bounce; /* align-aligned, HOSTFILE_BOUNCE bytes, allocated on first use */
    uint64_t writes; /* successful writes so far, for barrier bookkeeping */
    const struct hostfile_tap *tap;
};

/* Open `path` read-only or read-write, with O_DIRECT if `direct` (falling
 * back to buffered I/O where the file system refuses it) and, if `lock`, a
 * non-blocking flock (shared if read-only, else exclusive; file systems
 * without flock are accepted). 0 or -errno with `e` filled ("path:
 * reason"); -EBUSY if another open file holds a conflicting lock. */
int hostfile_open(struct hostfile *f, const char *path, bool readonly, bool direct, bool lock,
                  struct err *e) __attribute__((warn_unused_result));

/* Close and release; safe on a zeroed or closed struct. */
void hostfile_close(struct hostfile *f);

/* Read all of `len` (sum of iov lengths) at `off`; past EOF reads zeros.
 * 0 or -errno. */
int hostfile_preadv(struct hostfile *f, const struct iovec *iov, int iovcnt, uint64_t off)
    __attribute__((warn_unused_result));
int hostfile_pread(struct hostfile *f, void *buf, size_t len, uint64_t off)
    __attribute__((warn_unused_result));

/* Write all of the iov at `off`, growing the file if needed. 0 or -errno. */
int hostfile_pwritev(struct hostfile *f, const struct iovec *iov, int iovcnt, uint64_t off)
    __attribute__((warn_unused_result));
int hostfile_pwrite(struct hostfile *f, const void *buf, size_t len, uint64_t off)
    __attribute__((warn_unused_result));

/* A buffer aligned for O_DIRECT (4096 bytes), released with free(); aborts
 * on out-of-memory like xmalloc. */
void *hostfile_alloc_aligned(size_t n);

/* fdatasync. 0 or -errno. */
int hostfile_sync(struct hostfile *f) __attribute__((warn_unused_result));

/* Deallocate [off, off+len) keeping the size (reads then return zeros).
 * 0, -EOPNOTSUPP if the file system cannot, or -errno. */
int hostfile_punch(struct hostfile *f, uint64_t off, uint64_t len)
    __attribute__((warn_unused_result));

#endif
