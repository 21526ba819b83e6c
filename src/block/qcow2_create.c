/* SPDX-License-Identifier: MIT */
/*
 * qcow2_create: new qcow2 version 3 images, empty or as overlays.
 *
 * Layout (the same shape qemu-img uses): the header cluster with its
 * extensions (backing format, feature name table) and the backing file name,
 * then the refcount table, the refcount blocks, and the L1 table (left as a
 * hole: zeros). Every one of those clusters has refcount 1; nothing else is
 * allocated, so `qemu-img check` finds no leaks.
 *
 * The file is written under a temporary name in the same directory, synced,
 * and renamed into place without replacing an existing file; the directory
 * is then synced. A backing file is opened (with its whole chain) to check
 * it and to learn its format and size.
 *
 * Threads: any; no shared state.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "block/qcow2.h"
#include "util/alloc.h"

#define HEADER_LENGTH 112 /* v3 fields, compression_type, padding to 8 */

struct layout {
    uint64_t cs, size, l1_entries, l1c, rc, nb, total;
    unsigned cluster_bits, refcount_order;
};

static const struct {
    uint8_t type, bit;
    const char *name;
} features[] = {
    {0, 0, "dirty bit"},         {0, 1, "corrupt bit"},         {0, 2, "external data file"},
    {0, 3, "compression type"},  {0, 4, "extended L2 entries"}, {1, 0, "lazy refcounts"},
    {2, 0, "bitmaps"},           {2, 1, "raw external data"},
};

static bool pow2(uint64_t v)
{
    return v && !(v & (v - 1));
}

static int plan(struct layout *l, const char *path, const struct blk_qcow2_create_opts *o,
                struct err *e)
{
    l->cs = o->cluster_size ? o->cluster_size : 65536;
    uint64_t rb = o->refcount_bits ? o->refcount_bits : 16;
    if (!pow2(l->cs) || l->cs < 512 || l->cs > (1u << QCOW2_MAX_CLUSTER_BITS)) {
        err_set(e, "%s: cluster size %" PRIu64 " is invalid (a power of two, 512..2M)", path,
                l->cs);
        return -EINVAL;
    }
    if (!pow2(rb) || rb > 64) {
        err_set(e, "%s: refcount width %" PRIu64 " is invalid (1, 2, 4, ..., 64 bits)", path, rb);
        return -EINVAL;
    }
    if (l->size % 512) {
        err_set(e, "%s: virtual size %" PRIu64 " is not a multiple of 512", path, l->size);
        return -EINVAL;
    }
    l->cluster_bits = (unsigned)__builtin_ctzll(l->cs);
    l->refcount_order = (unsigned)__builtin_ctzll(rb);
    uint64_t cover = l->cs * (l->cs / 8);
    l->l1_entries = l->size / cover + (l->size % cover != 0);
    if (l->l1_entries == 0)
        l->l1_entries = 1;
    if (l->l1_entries * 8 > QCOW2_MAX_L1_BYTES) {
        err_set(e, "%s: virtual size %" PRIu64 " is too large for %" PRIu64 "-byte clusters",
                path, l->size, l->cs);
        return -EFBIG;
    }
    l->l1c = (l->l1_entries * 8 + l->cs - 1) / l->cs;
    uint64_t per_block = l->cs * 8 / rb;
    l->rc = 1;
    l->nb = 1;
    for (;;) {
        l->total = 1 + l->rc + l->nb + l->l1c;
        uint64_t nb = (l->total + per_block - 1) / per_block;
        uint64_t rc = (nb * 8 + l->cs - 1) / l->cs;
        if (nb == l->nb && rc == l->rc)
            return 0;
        l->nb = nb > l->nb ? nb : l->nb;
        l->rc = rc > l->rc ? rc : l->rc;
    }
}

/* Extensions and the backing name after the fixed header; -ENOSPC if they
 * do not fit in the header cluster. */
static int put_extensions(uint8_t *h, uint64_t cs, const char *backing, const char *fmt)
{
    uint64_t off = HEADER_LENGTH;
    size_t blen = backing ? strlen(backing) : 0, flen = fmt ? strlen(fmt) : 0;
    uint64_t ftable = sizeof(features) / sizeof(features[0]) * 48;
    uint64_t need = off + (fmt ? 8 + ((flen + 7) & ~7ull) : 0) + 8 + blen;
    bool with_table = need + 8 + ftable <= cs;
    if (need > cs)
        return -ENOSPC;
    if (fmt) {
        qcow2_put_be32(h + off, QCOW2_EXT_BACKING_FORMAT);
        qcow2_put_be32(h + off + 4, (uint32_t)flen);
        memcpy(h + off + 8, fmt, flen);
        off += 8 + ((flen + 7) & ~7ull);
    }
    if (with_table) {
        qcow2_put_be32(h + off, QCOW2_EXT_FEATURE_TABLE);
        qcow2_put_be32(h + off + 4, (uint32_t)ftable);
        for (size_t i = 0; i < sizeof(features) / sizeof(features[0]); i++) {
            uint8_t *f = h + off + 8 + i * 48;
            f[0] = features[i].type;
            f[1] = features[i].bit;
            memcpy(f + 2, features[i].name, strlen(features[i].name));
        }
        off += 8 + ftable;
    }
    off += 8; /* QCOW2_EXT_END: already zero */
    if (backing) {
        qcow2_put_be64(h + QCOW2_HDR_BACKING_FILE_OFFSET, off);
        qcow2_put_be32(h + QCOW2_HDR_BACKING_FILE_SIZE, (uint32_t)blen);
        memcpy(h + off, backing, blen);
    }
    return 0;
}

static void put_header(uint8_t *h, const struct layout *l)
{
    qcow2_put_be32(h + QCOW2_HDR_MAGIC, QCOW2_MAGIC);
    qcow2_put_be32(h + QCOW2_HDR_VERSION, 3);
    qcow2_put_be32(h + QCOW2_HDR_CLUSTER_BITS, l->cluster_bits);
    qcow2_put_be64(h + QCOW2_HDR_SIZE, l->size);
    qcow2_put_be32(h + QCOW2_HDR_L1_SIZE, (uint32_t)l->l1_entries);
    qcow2_put_be64(h + QCOW2_HDR_L1_TABLE_OFFSET, (1 + l->rc + l->nb) * l->cs);
    qcow2_put_be64(h + QCOW2_HDR_REFCOUNT_TABLE_OFFSET, l->cs);
    qcow2_put_be32(h + QCOW2_HDR_REFCOUNT_TABLE_CLUSTERS, (uint32_t)l->rc);
    qcow2_put_be32(h + QCOW2_HDR_REFCOUNT_ORDER, l->refcount_order);
    qcow2_put_be32(h + QCOW2_HDR_HEADER_LENGTH, HEADER_LENGTH);
}

/* Header cluster, refcount table and blocks, in one buffer. */
static uint8_t *build_meta(const struct layout *l, const uint8_t *hdr)
{
    uint64_t cs = l->cs, per_block = cs * 8 / (1u << l->refcount_order);
    uint8_t *m = xzalloc((1 + l->rc + l->nb) * cs);
    memcpy(m, hdr, cs);
    for (uint64_t i = 0; i < l->nb; i++)
        qcow2_put_be64(m + cs + i * 8, (1 + l->rc + i) * cs);
    uint8_t *blocks = m + (1 + l->rc) * cs;
    unsigned bits = 1u << l->refcount_order;
    /* Refcount 1 for every cluster of the layout, nothing else. */
    for (uint64_t c = 0; c < l->total; c++) {
        uint8_t *b = blocks + (c / per_block) * cs;
        uint64_t bit = (c % per_block) * bits; /* value 1 in a big-endian field */
        if (bits >= 8)
            b[(bit + bits) / 8 - 1] = 1;
        else
            b[bit / 8] |= (uint8_t)(1u << (bit % 8));
    }
    return m;
}

static int write_all(int fd, const uint8_t *buf, size_t len)
{
    size_t done = 0;
    while (done < len) {
        ssize_t n = pwrite(fd, buf + done, len - done, (off_t)done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return n < 0 ? -errno : -EIO;
        done += (size_t)n;
    }
    return 0;
}

static int sync_dir(const char *path)
{
    const char *slash = strrchr(path, '/');
    char *dir = slash ? strndup(path, (size_t)(slash - path) + 1) : xstrdup(".");
    if (!dir)
        return -ENOMEM;
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    free(dir);
    if (fd < 0)
        return -errno;
    int r = fsync(fd) < 0 ? -errno : 0;
    close(fd);
    return r;
}

/* Write `meta` then a hole up to total clusters, under a temporary name,
 * and move it to `path` unless that exists. */
static int write_image(const char *path, const struct layout *l, const uint8_t *meta,
                       struct err *e)
{
    static unsigned seq;
    size_t plen = strlen(path) + 48;
    char *tmp = xmalloc(plen);
    int fd = -1, r = 0;
    for (int tries = 0; fd < 0 && tries < 100; tries++) {
        snprintf(tmp, plen, "%s.tmp.%ld.%u", path, (long)getpid(),
                 __atomic_fetch_add(&seq, 1, __ATOMIC_RELAXED));
        fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
        if (fd < 0 && errno != EEXIST)
            break;
    }
    if (fd < 0) {
        r = -errno;
        err_set(e, "%s: cannot create temporary file: %s", path, strerror(errno));
        free(tmp);
        return r;
    }
    r = write_all(fd, meta, (1 + l->rc + l->nb) * l->cs);
    if (!r && ftruncate(fd, (off_t)(l->total * l->cs)) < 0)
        r = -errno;
    if (!r && fsync(fd) < 0)
        r = -errno;
    close(fd);
    if (!r && renameat2(AT_FDCWD, tmp, AT_FDCWD, path, RENAME_NOREPLACE) < 0) {
        r = -errno;
        if (r == -EINVAL || r == -ENOSYS) /* file system without RENAME_NOREPLACE */
            r = link(tmp, path) < 0 ? -errno : 0;
        if (!r)
            unlink(tmp);
    }
    if (r) {
        err_set(e, "%s: cannot write image: %s", path, strerror(-r));
        unlink(tmp);
    } else {
        r = sync_dir(path);
        if (r)
            err_set(e, "%s: cannot sync directory: %s", path, strerror(-r));
    }
    free(tmp);
    return r;
}

/* Open the backing chain to check it (counting the new image in its depth);
 * learn its format and size. */
static int probe_backing(const char *path, const char *backing, const char **fmt,
                         uint64_t *size, struct err *e)
{
    enum blk_format f = BLK_FORMAT_AUTO;
    if (*fmt && blk_format_parse(*fmt, &f)) {
        err_set(e, "%s: backing format '%s' is not supported (raw or qcow2)", path, *fmt);
        return -EINVAL;
    }
    if (strlen(backing) == 0 || strlen(backing) > QCOW2_MAX_BACKING_NAME) {
        err_set(e, "%s: backing file name must be 1..%d bytes", path, QCOW2_MAX_BACKING_NAME);
        return -EINVAL;
    }
    const char *slash = strrchr(path, '/');
    size_t dirlen = backing[0] != '/' && slash ? (size_t)(slash - path) + 1 : 0;
    char *full = xmalloc(dirlen + strlen(backing) + 1);
    memcpy(full, path, dirlen);
    strcpy(full + dirlen, backing);
    struct blk_chain chain = {.depth = 1}; /* the image being created (no file yet) */
    struct blk_open_opts o = {.format = f};
    struct blk_image *b;
    int r = blk_open_backing(&b, path, full, &o, &chain, e);
    free(full);
    if (r)
        return r;
    if (!*fmt)
        *fmt = blk_format_name(blk_get_format(b));
    if (*size == 0)
        *size = (blk_size(b) + 511) & ~511ull;
    blk_close(b);
    return 0;
}

int blk_create_qcow2_opts(const char *path, const struct blk_qcow2_create_opts *o, struct err *e)
{
    struct layout l = {.size = o->size};
    const char *fmt = o->backing_fmt;
    int r = 0;
    if (o->backing_file)
        r = probe_backing(path, o->backing_file, &fmt, &l.size, e);
    if (!r)
        r = plan(&l, path, o, e);
    if (r)
        return r;
    uint8_t *hdr = xzalloc(l.cs);
    put_header(hdr, &l);
    r = put_extensions(hdr, l.cs, o->backing_file, o->backing_file ? fmt : NULL);
    if (r) {
        err_set(e, "%s: backing file name does not fit in a %" PRIu64 "-byte header cluster",
                path, l.cs);
        free(hdr);
        return r;
    }
    uint8_t *meta = build_meta(&l, hdr);
    free(hdr);
    r = write_image(path, &l, meta, e);
    free(meta);
    return r;
}

int blk_create_qcow2(const char *path, uint64_t size, const char *backing_file,
                     const char *backing_fmt, struct err *e)
{
    struct blk_qcow2_create_opts o = {
        .size = size, .backing_file = backing_file, .backing_fmt = backing_fmt};
    return blk_create_qcow2_opts(path, &o, e);
}
