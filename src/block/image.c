/* SPDX-License-Identifier: MIT */
/*
 * image: open, format probe, request checks and dispatch to the drivers.
 * See image.h for the API and its contracts.
 *
 * Every request is checked here once (iovec count, total length overflow,
 * [off, off+len) inside the virtual disk, read-only images) so the drivers
 * can trust their arguments. The format is probed from the first four bytes
 * (qcow2 magic "QFI\xfb"); anything else is raw.
 *
 * Threads: see image.h (one thread per image at a time, no locks).
 */
#include "block/image.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "block/blk_iov.h"
#include "block/driver.h"
#include "util/alloc.h"

static const uint8_t qcow2_magic[4] = {'Q', 'F', 'I', 0xfb};

static int probe_format(struct blk_image *img, enum blk_format *fmt)
{
    uint8_t buf[4];
    *fmt = BLK_FORMAT_RAW;
    if (img->file.size < sizeof(buf))
        return 0;
    int r = hostfile_pread(&img->file, buf, sizeof(buf), 0);
    if (r)
        return r;
    if (!memcmp(buf, qcow2_magic, sizeof(buf)))
        *fmt = BLK_FORMAT_QCOW2;
    return 0;
}

static void image_free(struct blk_image *img)
{
    hostfile_close(&img->file);
    free(img->path);
    free(img);
}

/* Open one image; `chain` lists the images above it (depth 0 for the top). */
static int open_in_chain(struct blk_image **out, const char *path, const struct blk_open_opts *o,
                         const struct blk_chain *above, struct err *e)
{
    struct blk_image *img = xzalloc(sizeof(*img));
    img->path = xstrdup(path);
    img->readonly = o->readonly;
    img->cache = o->cache;
    img->nolock = o->nolock;
    int r = hostfile_open(&img->file, path, o->readonly, o->cache == BLK_CACHE_NONE, !o->nolock,
                          e);
    if (r)
        goto fail;
    struct blk_chain chain = *above;
    chain.dev[chain.depth] = img->file.dev;
    chain.ino[chain.depth] = img->file.ino;
    chain.depth++;
    enum blk_format fmt = o->format;
    img->probed = fmt == BLK_FORMAT_AUTO;
    if (img->probed) {
        r = probe_format(img, &fmt);
        if (r) {
            err_set(e, "%s: cannot read header: %s", path, strerror(-r));
            goto fail;
        }
    }
    img->format = fmt;
    if (fmt == BLK_FORMAT_QCOW2)
        r = qcow2_open(img, &chain, e);
    else
        r = raw_open(img, e);
    if (r)
        goto fail;
    *out = img;
    return 0;
fail:
    image_free(img);
    return r;
}

int blk_open(struct blk_image **out, const char *path, const struct blk_open_opts *opts,
             struct err *e)
{
    struct blk_open_opts o = {0};
    if (opts)
        o = *opts;
    *out = NULL;
    if (o.format > BLK_FORMAT_QCOW2 || o.cache > BLK_CACHE_UNSAFE) {
        err_set(e, "%s: invalid open options", path);
        return -EINVAL;
    }
    struct blk_chain top = {0};
    return open_in_chain(out, path, &o, &top, e);
}

int blk_open_backing(struct blk_image **out, const char *parent, const char *path,
                     const struct blk_open_opts *o, const struct blk_chain *chain, struct err *e)
{
    *out = NULL;
    if (chain->depth > BLK_MAX_CHAIN) {
        err_set(e, "%s: backing chain is too deep (more than %d backing files)", parent,
                BLK_MAX_CHAIN);
        return -ELOOP;
    }
    /* Identify the file first so that a loop is reported as a loop. */
    struct hostfile probe;
    struct err inner = {0};
    int r = hostfile_open(&probe, path, true, false, false, &inner);
    if (r) {
        err_set(e, "%s: backing file %s: %s", parent, path, strerror(-r));
        return r;
    }
    dev_t dev = probe.dev;
    ino_t ino = probe.ino;
    hostfile_close(&probe);
    for (int i = 0; i < chain->depth; i++) {
        if (chain->dev[i] == dev && chain->ino[i] == ino) {
            err_set(e, "%s: backing file %s is already in the chain (backing file loop)", parent,
                    path);
            return -ELOOP;
        }
    }
    struct blk_open_opts ro = *o;
    ro.readonly = true;
    return open_in_chain(out, path, &ro, chain, e);
}

void blk_close(struct blk_image *img)
{
    if (!img)
        return;
    img->drv->close(img);
    image_free(img);
}

uint64_t blk_size(const struct blk_image *img)
{
    return img->size;
}

enum blk_format blk_get_format(const struct blk_image *img)
{
    return img->format;
}

bool blk_readonly(const struct blk_image *img)
{
    return img->readonly;
}

const char *blk_path(const struct blk_image *img)
{
    return img->path;
}

static int check_range(const struct blk_image *img, uint64_t off, uint64_t len)
{
    if (off > img->size || len > img->size - off)
        return -EINVAL;
    return 0;
}

static int check_iov(const struct blk_image *img, const struct iovec *iov, int iovcnt,
                     uint64_t off, size_t *len)
{
    if (iovcnt < 0 || iovcnt > BLK_MAX_IOV)
        return -EINVAL;
    *len = blk_iov_size(iov, iovcnt);
    if (*len == SIZE_MAX)
        return -EINVAL;
    return check_range(img, off, *len);
}

int blk_preadv(struct blk_image *img, const struct iovec *iov, int iovcnt, uint64_t off)
{
    size_t len;
    int r = check_iov(img, iov, iovcnt, off, &len);
    if (r || len == 0)
        return r;
    return img->drv->preadv(img, iov, iovcnt, off, len);
}

int blk_pread(struct blk_image *img, void *buf, size_t len, uint64_t off)
{
    struct iovec v = {.iov_base = buf, .iov_len = len};
    return blk_preadv(img, &v, 1, off);
}

int blk_pwritev(struct blk_image *img, const struct iovec *iov, int iovcnt, uint64_t off)
{
    size_t len;
    if (img->readonly)
        return -EROFS;
    int r = check_iov(img, iov, iovcnt, off, &len);
    if (r || len == 0)
        return r;
    return img->drv->pwritev(img, iov, iovcnt, off, len);
}

int blk_pwrite(struct blk_image *img, const void *buf, size_t len, uint64_t off)
{
    struct iovec v = {.iov_base = (void *)buf, .iov_len = len};
    return blk_pwritev(img, &v, 1, off);
}

int blk_flush(struct blk_image *img)
{
    if (img->readonly)
        return 0;
    return img->drv->flush(img);
}

int blk_discard(struct blk_image *img, uint64_t off, uint64_t len)
{
    if (img->readonly)
        return -EROFS;
    int r = check_range(img, off, len);
    if (r || len == 0)
        return r;
    return img->drv->discard(img, off, len);
}

int blk_write_zeroes(struct blk_image *img, uint64_t off, uint64_t len)
{
    if (img->readonly)
        return -EROFS;
    int r = check_range(img, off, len);
    if (r || len == 0)
        return r;
    return img->drv->write_zeroes(img, off, len);
}

const char *blk_format_name(enum blk_format fmt)
{
    switch (fmt) {
    case BLK_FORMAT_RAW:
        return "raw";
    case BLK_FORMAT_QCOW2:
        return "qcow2";
    default:
        return "auto";
    }
}

int blk_format_parse(const char *name, enum blk_format *out)
{
    static const enum blk_format all[] = {BLK_FORMAT_AUTO, BLK_FORMAT_RAW, BLK_FORMAT_QCOW2};
    for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
        if (!strcmp(name, blk_format_name(all[i]))) {
            *out = all[i];
            return 0;
        }
    }
    return -EINVAL;
}

int blk_cache_parse(const char *name, enum blk_cache *out)
{
    if (!strcmp(name, "writeback"))
        *out = BLK_CACHE_WRITEBACK;
    else if (!strcmp(name, "none"))
        *out = BLK_CACHE_NONE;
    else if (!strcmp(name, "unsafe"))
        *out = BLK_CACHE_UNSAFE;
    else
        return -EINVAL;
    return 0;
}
