/* SPDX-License-Identifier: MIT */
/*
 * driver: the interface between image.c and the format drivers (internal
 * to block/). image.c opens the host file, probes the format, checks every
 * request against the virtual size and the read-only flag, and only then
 * calls the driver, so drivers see in-range requests with len > 0 and an
 * iovec count of at most BLK_MAX_IOV.
 *
 * A backing chain is opened recursively through blk_open_backing(), which
 * carries the identities of the files already in the chain so that loops
 * and over-long chains are refused.
 */
#ifndef RV_BLOCK_DRIVER_H
#define RV_BLOCK_DRIVER_H

#include "block/hostfile.h"
#include "block/image.h"

struct blk_driver {
    const char *name;
    /* Requests: 0 or -errno; see image.h for the meaning of each. */
    int (*preadv)(struct blk_image *img, const struct iovec *iov, int cnt, uint64_t off,
                  size_t len);
    int (*pwritev)(struct blk_image *img, const struct iovec *iov, int cnt, uint64_t off,
                   size_t len);
    int (*flush)(struct blk_image *img);
    int (*discard)(struct blk_image *img, uint64_t off, uint64_t len);
    int (*write_zeroes)(struct blk_image *img, uint64_t off, uint64_t len);
    /* Release driver state (the host file is closed by image.c). */
    void (*close)(struct blk_image *img);
};

/* The files already opened above an image in its chain, top first. */
struct blk_chain {
    int depth; /* number of images above this one */
    dev_t dev[BLK_MAX_CHAIN + 1];
    ino_t ino[BLK_MAX_CHAIN + 1];
};

struct blk_image {
    const struct blk_driver *drv;
    char *path;
    enum blk_format format;
    bool readonly;
    bool probed; /* format was probed, not given */
    enum blk_cache cache;
    bool nolock;
    uint64_t size; /* virtual size in bytes */
    struct hostfile file;
    void *opaque; /* driver state */
};

extern const struct blk_driver blk_raw_driver;
extern const struct blk_driver blk_qcow2_driver;

/* Driver open functions: `img` has its file open and path, format, flags
 * and cache set; fill `size`, `drv` and `opaque`. 0 or -errno with `e`. */
int raw_open(struct blk_image *img, struct err *e) __attribute__((warn_unused_result));
int qcow2_open(struct blk_image *img, const struct blk_chain *chain, struct err *e)
    __attribute__((warn_unused_result));

/* Open `path` read-only as the backing image of `parent`, whose chain is
 * `chain` (the backing's own chain entry is appended here), with the
 * format (may be BLK_FORMAT_AUTO), cache mode and locking of `o`. 0 or
 * -errno with `e` naming `parent` and `path`. */
int blk_open_backing(struct blk_image **out, const char *parent, const char *path,
                     const struct blk_open_opts *o, const struct blk_chain *chain, struct err *e)
    __attribute__((warn_unused_result));

#endif
