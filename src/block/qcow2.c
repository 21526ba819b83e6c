/* SPDX-License-Identifier: MIT */
/*
 * qcow2: open, header validation, backing file, flush and close of qcow2
 * version 2 and 3 images (spec "Header", "Header extensions", "Feature name
 * table").
 *
 * Everything the rest of the driver relies on is checked here, before the
 * first request: field ranges, table offsets and sizes against the file and
 * against each other, every L1 and refcount table entry, and (read-write
 * only) that all metadata clusters carry a refcount, so that allocation can
 * never hand one out. Table sizes are capped (L1 32 MiB, refcount table
 * 8 MiB, clusters 2 MiB) so no header value can make us allocate more.
 *
 * Refused, each with its own message: bad magic, versions other than 2 and
 * 3, cluster_bits outside 9..21, encryption, external data files, extended
 * L2 entries, compression types other than zlib, unknown incompatible
 * features (named from the image's feature table), and, for writing, the
 * corrupt bit and the dirty bit (lazy refcounts are not replayed). Unknown
 * autoclear bits (and the bitmaps bit: we do not maintain bitmaps) are
 * cleared on a read-write open, as the spec asks.
 *
 * Threads: per image, one thread at a time.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "block/qcow2.h"
#include "util/alloc.h"
#include "util/log.h"

#define KNOWN_INCOMPAT                                                                             \
    (QCOW2_INCOMPAT_DIRTY | QCOW2_INCOMPAT_CORRUPT | QCOW2_INCOMPAT_DATA_FILE |                   \
     QCOW2_INCOMPAT_COMPRESSION | QCOW2_INCOMPAT_EXTL2)

/* What the header says beyond struct qcow2's fields, needed only at open. */
struct hdr_info {
    const uint8_t *buf; /* the first cluster */
    uint64_t backing_offset;
    uint32_t backing_size, crypt_method, compression_type;
    const uint8_t *features; /* feature name table extension, or NULL */
    uint32_t features_len;
    char backing_fmt[17];
};

int qcow2_corrupt(struct qcow2 *q, const char *fmt, ...)
{
    if (!q->broken) {
        char msg[256];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        log_error("block", "%s: image is corrupt: %s; writes to it are now refused", q->path,
                  msg);
    }
    q->broken = true;
    return -EIO;
}

int qcow2_barrier(struct qcow2 *q)
{
    if (q->img->cache == BLK_CACHE_UNSAFE || q->file->writes == q->synced_writes)
        return 0;
    uint64_t writes = q->file->writes;
    int r = hostfile_sync(q->file);
    if (!r)
        q->synced_writes = writes;
    return r;
}

int qcow2_write_header_field(struct qcow2 *q, unsigned off, const void *buf, size_t len)
{
    return hostfile_pwrite(q->file, buf, len, off);
}

static int write_l1(struct qcow2 *q)
{
    uint64_t lo = (uint64_t)q->l1_dirty_lo * 8 & ~511ull;
    uint64_t hi = ((uint64_t)q->l1_dirty_hi * 8 + 511) & ~511ull;
    if (hi > (uint64_t)q->l1_size * 8)
        hi = (uint64_t)q->l1_size * 8;
    uint8_t *be = xmalloc(hi - lo);
    for (uint64_t i = lo / 8; i < hi / 8; i++)
        qcow2_put_be64(be + (i * 8 - lo), q->l1[i]);
    int r = hostfile_pwrite(q->file, be, hi - lo, q->l1_offset + lo);
    free(be);
    if (!r)
        q->l1_dirty_lo = q->l1_dirty_hi = 0;
    return r;
}

int qcow2_meta_flush(struct qcow2 *q)
{
    bool l2_dirty = qcache_any_dirty(&q->l2c), wrote = false;
    bool l1_dirty = q->l1_dirty_lo < q->l1_dirty_hi;
    /* Rules 1 and 2: refcounts and data, barrier, L2 tables, barrier, L1. */
    int r = qcow2_cache_write_dirty(q, &q->rbc, &wrote);
    if (!r && (l2_dirty || l1_dirty))
        r = qcow2_barrier(q);
    if (!r && l2_dirty)
        r = qcow2_cache_write_dirty(q, &q->l2c, &wrote);
    if (!r && l1_dirty) {
        r = qcow2_barrier(q);
        if (!r)
            r = write_l1(q);
    }
    if (!r)
        r = qcow2_barrier(q);
    /* Rule 3: the dropped references are durable now. */
    if (!r && q->nfrees) {
        r = qcow2_apply_frees(q);
        if (!r)
            r = qcow2_cache_write_dirty(q, &q->rbc, &wrote);
    }
    return r;
}

static int qcow2_flush(struct blk_image *img)
{
    struct qcow2 *q = img->opaque;
    return qcow2_meta_flush(q);
}

static void qcow2_free_state(struct qcow2 *q)
{
    qcow2_rw_fini(q);
    qcache_fini(&q->l2c);
    qcache_fini(&q->rbc);
    blk_close(q->backing);
    free(q->l1);
    free(q->rct);
    free(q->meta.v);
    free(q->frees);
    free(q->iov);
    free(q);
}

static void qcow2_close(struct blk_image *img)
{
    struct qcow2 *q = img->opaque;
    if (!img->readonly) {
        /* Flush, then make the applied frees durable too (no leaks). */
        int r = qcow2_meta_flush(q);
        if (!r)
            r = qcow2_barrier(q);
        if (r)
            log_error("block", "%s: flush on close failed: %s", img->path, strerror(-r));
    }
    qcow2_free_state(q);
    img->opaque = NULL;
}

const struct blk_driver blk_qcow2_driver = {
    .name = "qcow2",
    .preadv = qcow2_preadv,
    .pwritev = qcow2_pwritev,
    .flush = qcow2_flush,
    .discard = qcow2_discard,
    .write_zeroes = qcow2_write_zeroes,
    .close = qcow2_close,
};

/* ---- header ---- */

static const char *feature_name(const struct hdr_info *h, unsigned type, unsigned bit,
                                char *out, size_t outlen)
{
    for (uint32_t i = 0; h->features && i + 48 <= h->features_len; i += 48) {
        const uint8_t *f = h->features + i;
        if (f[0] == type && f[1] == bit) {
            size_t n = strnlen((const char *)f + 2, QCOW2_FEATURE_NAME_LEN);
            snprintf(out, outlen, "%.*s", (int)n, (const char *)f + 2);
            return out;
        }
    }
    return "unknown";
}

static int parse_extensions(struct qcow2 *q, struct hdr_info *h, struct err *e)
{
    uint64_t cs = q->cluster_size;
    uint64_t off = q->version >= 3 ? q->header_length : QCOW2_HDR_V2_LENGTH;
    while (off + 8 <= cs) {
        uint32_t type = qcow2_be32(h->buf + off), len = qcow2_be32(h->buf + off + 4);
        if (type == QCOW2_EXT_END)
            return 0;
        if (len > cs - off - 8) {
            err_set(e, "%s: header extension 0x%08x at offset %" PRIu64
                    " runs past the header cluster", q->path, type, off);
            return -EINVAL;
        }
        const uint8_t *data = h->buf + off + 8;
        if (type == QCOW2_EXT_BACKING_FORMAT) {
            if (len == 0 || len >= sizeof(h->backing_fmt)) {
                err_set(e, "%s: backing format name of %u bytes is invalid", q->path, len);
                return -EINVAL;
            }
            memcpy(h->backing_fmt, data, len);
            h->backing_fmt[len] = 0;
        } else if (type == QCOW2_EXT_FEATURE_TABLE) {
            h->features = data;
            h->features_len = len;
        }
        off += 8 + (((uint64_t)len + 7) & ~7ull);
    }
    return 0;
}

static int check_features(struct qcow2 *q, struct hdr_info *h, struct err *e)
{
    char name[QCOW2_FEATURE_NAME_LEN + 1];
    uint64_t unknown = q->incompat & ~KNOWN_INCOMPAT;
    if (unknown) {
        unsigned bit = (unsigned)__builtin_ctzll(unknown);
        err_set(e, "%s: unsupported qcow2 incompatible feature bit %u (%s)", q->path, bit,
                feature_name(h, 0, bit, name, sizeof(name)));
        return -ENOTSUP;
    }
    if (q->incompat & QCOW2_INCOMPAT_DATA_FILE) {
        err_set(e, "%s: qcow2 images with an external data file are not supported", q->path);
        return -ENOTSUP;
    }
    if (q->incompat & QCOW2_INCOMPAT_EXTL2) {
        err_set(e, "%s: qcow2 images with extended L2 entries (subclusters) are not supported",
                q->path);
        return -ENOTSUP;
    }
    bool ctype_bit = q->incompat & QCOW2_INCOMPAT_COMPRESSION;
    if (ctype_bit != (h->compression_type != 0)) {
        err_set(e, "%s: compression type %u does not match the compression type feature bit",
                q->path, h->compression_type);
        return -EINVAL;
    }
    if (h->compression_type) {
        err_set(e, "%s: compression type %u (%s) is not supported; only zlib is", q->path,
                h->compression_type, h->compression_type == 1 ? "zstd" : "unknown");
        return -ENOTSUP;
    }
    /* Encrypted data would be served to the guest as ciphertext. */
    if (h->crypt_method) {
        err_set(e, "%s: encrypted qcow2 images are not supported (crypt_method %u)", q->path,
                h->crypt_method);
        return -ENOTSUP;
    }
    if (!q->img->readonly && (q->incompat & QCOW2_INCOMPAT_CORRUPT)) {
        err_set(e, "%s: image is marked corrupt; open it read-only or repair it with "
                "'qemu-img check -r all'", q->path);
        return -EIO;
    }
    if (!q->img->readonly && (q->incompat & QCOW2_INCOMPAT_DIRTY)) {
        err_set(e, "%s: image was not closed cleanly (dirty bit set, lazy refcounts); repair it "
                "with 'qemu-img check -r all' or open it read-only", q->path);
        return -EIO;
    }
    return 0;
}

/* Fixed fields: magic, version, cluster size, feature words. */
static int parse_fixed(struct qcow2 *q, struct hdr_info *h, struct err *e)
{
    const uint8_t *b = h->buf;
    q->version = qcow2_be32(b + QCOW2_HDR_VERSION);
    if (q->version != 2 && q->version != 3) {
        err_set(e, "%s: qcow2 version %u is not supported (only 2 and 3 are)", q->path,
                q->version);
        return -ENOTSUP;
    }
    q->header_length = QCOW2_HDR_V2_LENGTH;
    q->refcount_order = 4;
    if (q->version >= 3) {
        q->incompat = qcow2_be64(b + QCOW2_HDR_INCOMPATIBLE_FEATURES);
        q->compat = qcow2_be64(b + QCOW2_HDR_COMPATIBLE_FEATURES);
        q->autoclear = qcow2_be64(b + QCOW2_HDR_AUTOCLEAR_FEATURES);
        q->refcount_order = qcow2_be32(b + QCOW2_HDR_REFCOUNT_ORDER);
        q->header_length = qcow2_be32(b + QCOW2_HDR_HEADER_LENGTH);
        if (q->header_length < QCOW2_HDR_V3_LENGTH || q->header_length % 8 ||
            q->header_length > q->cluster_size) {
            err_set(e, "%s: header_length %u is invalid", q->path, q->header_length);
            return -EINVAL;
        }
        if (q->header_length > QCOW2_HDR_COMPRESSION_TYPE)
            h->compression_type = b[QCOW2_HDR_COMPRESSION_TYPE];
    }
    if (q->refcount_order > QCOW2_MAX_REFCOUNT_ORDER) {
        err_set(e, "%s: refcount_order %u is out of range (0..6)", q->path, q->refcount_order);
        return -EINVAL;
    }
    h->backing_offset = qcow2_be64(b + QCOW2_HDR_BACKING_FILE_OFFSET);
    h->backing_size = qcow2_be32(b + QCOW2_HDR_BACKING_FILE_SIZE);
    h->crypt_method = qcow2_be32(b + QCOW2_HDR_CRYPT_METHOD);
    q->img->size = qcow2_be64(b + QCOW2_HDR_SIZE);
    q->l1_size = qcow2_be32(b + QCOW2_HDR_L1_SIZE);
    q->l1_offset = qcow2_be64(b + QCOW2_HDR_L1_TABLE_OFFSET);
    q->rct_offset = qcow2_be64(b + QCOW2_HDR_REFCOUNT_TABLE_OFFSET);
    q->rct_clusters = qcow2_be32(b + QCOW2_HDR_REFCOUNT_TABLE_CLUSTERS);
    q->nb_snapshots = qcow2_be32(b + QCOW2_HDR_NB_SNAPSHOTS);
    q->snapshots_offset = qcow2_be64(b + QCOW2_HDR_SNAPSHOTS_OFFSET);
    return 0;
}

/* Read the first cluster; check magic and cluster_bits before trusting it. */
static int read_header(struct qcow2 *q, uint8_t **buf, struct err *e)
{
    uint8_t first[QCOW2_HDR_V3_LENGTH];
    if (q->file->size < QCOW2_HDR_V2_LENGTH) {
        err_set(e, "%s: file too short for a qcow2 header (%" PRIu64 " bytes)", q->path,
                q->file->size);
        return -EINVAL;
    }
    int r = hostfile_pread(q->file, first, sizeof(first), 0);
    if (r) {
        err_set(e, "%s: cannot read header: %s", q->path, strerror(-r));
        return r;
    }
    if (qcow2_be32(first + QCOW2_HDR_MAGIC) != QCOW2_MAGIC) {
        err_set(e, "%s: not a qcow2 image (bad magic)", q->path);
        return -EINVAL;
    }
    uint32_t bits = qcow2_be32(first + QCOW2_HDR_CLUSTER_BITS);
    if (bits < QCOW2_MIN_CLUSTER_BITS || bits > QCOW2_MAX_CLUSTER_BITS) {
        err_set(e, "%s: cluster_bits %u is out of range (%u..%u)", q->path, bits,
                QCOW2_MIN_CLUSTER_BITS, QCOW2_MAX_CLUSTER_BITS);
        return -EINVAL;
    }
    q->cluster_bits = bits;
    q->cluster_size = 1ull << bits;
    q->l2_bits = bits - 3;
    *buf = xmalloc(q->cluster_size);
    r = hostfile_pread(q->file, *buf, q->cluster_size, 0);
    if (r)
        err_set(e, "%s: cannot read header: %s", q->path, strerror(-r));
    return r;
}

/* A table of `bytes` at `off` must be aligned, after the header cluster and
 * inside the file. */
static int check_table(struct qcow2 *q, const char *what, uint64_t off, uint64_t bytes,
                       struct err *e)
{
    if (off & (q->cluster_size - 1)) {
        err_set(e, "%s: %s at 0x%" PRIx64 " is not cluster aligned", q->path, what, off);
        return -EINVAL;
    }
    if (off < q->cluster_size) {
        err_set(e, "%s: %s at 0x%" PRIx64 " overlaps the header", q->path, what, off);
        return -EINVAL;
    }
    if (off > q->file->size || bytes > q->file->size - off) {
        err_set(e, "%s: %s at 0x%" PRIx64 " (%" PRIu64 " bytes) lies beyond end of file "
                "(%" PRIu64 " bytes)", q->path, what, off, bytes, q->file->size);
        return -EINVAL;
    }
    return 0;
}

static int load_l1(struct qcow2 *q, struct err *e)
{
    uint64_t cs = q->cluster_size, bytes = (uint64_t)q->l1_size * 8;
    uint64_t cover = cs << q->l2_bits; /* bytes of guest space per L1 entry */
    uint64_t need = q->img->size / cover + (q->img->size % cover != 0);
    if (bytes > QCOW2_MAX_L1_BYTES) {
        err_set(e, "%s: L1 table of %u entries is too large (limit %u)", q->path, q->l1_size,
                QCOW2_MAX_L1_BYTES / 8);
        return -EINVAL;
    }
    if (need > q->l1_size) {
        err_set(e, "%s: L1 table too small: %u entries cover %" PRIu64 " bytes but the virtual "
                "size is %" PRIu64, q->path, q->l1_size, (uint64_t)q->l1_size * cover,
                q->img->size);
        return -EINVAL;
    }
    q->l1 = xcalloc(q->l1_size ? q->l1_size : 1, sizeof(*q->l1));
    if (!q->l1_size)
        return 0;
    int r = check_table(q, "L1 table", q->l1_offset, bytes, e);
    if (r)
        return r;
    r = hostfile_pread(q->file, q->l1, bytes, q->l1_offset);
    if (r) {
        err_set(e, "%s: cannot read L1 table: %s", q->path, strerror(-r));
        return r;
    }
    /* Every entry is checked once here, so the request paths may trust
     * L1 entries (they change only through our own allocations). */
    for (uint32_t i = 0; i < q->l1_size; i++) {
        uint64_t v = qcow2_be64((uint8_t *)&q->l1[i]), off = v & QCOW2_OFFSET_MASK;
        q->l1[i] = v;
        if (v & QCOW2_L1E_RESERVED || off & (cs - 1)) {
            err_set(e, "%s: L1 entry %u (0x%" PRIx64 ") is invalid (reserved bits or unaligned)",
                    q->path, i, v);
            return -EINVAL;
        }
        if (!off)
            continue;
        if (off < cs || off > q->file->size || cs > q->file->size - off) {
            err_set(e, "%s: L2 table at 0x%" PRIx64 " (L1 entry %u) lies %s", q->path, off, i,
                    off < cs ? "in the header cluster" : "beyond end of file");
            return -EINVAL;
        }
        qcow2_meta_add(q, off);
    }
    return 0;
}

static int check_layout(struct qcow2 *q, struct err *e)
{
    uint64_t cs = q->cluster_size;
    uint64_t l1_bytes = (uint64_t)q->l1_size * 8, rct_bytes = (uint64_t)q->rct_clusters * cs;
    if (q->l1_size && q->l1_offset < q->rct_offset + rct_bytes &&
        q->rct_offset < q->l1_offset + l1_bytes) {
        err_set(e, "%s: L1 table and refcount table overlap", q->path);
        return -EINVAL;
    }
    if (q->nb_snapshots && (q->snapshots_offset & (cs - 1) || q->snapshots_offset < cs ||
                            q->snapshots_offset >= q->file->size)) {
        err_set(e, "%s: snapshot table at 0x%" PRIx64 " is invalid", q->path,
                q->snapshots_offset);
        return -EINVAL;
    }
    return 0;
}

/* Backing file: name in the header cluster, resolved against our directory. */
static int open_backing(struct qcow2 *q, struct hdr_info *h, const struct blk_chain *chain,
                        struct err *e)
{
    if (!h->backing_offset || !h->backing_size)
        return 0;
    if (h->backing_size > QCOW2_MAX_BACKING_NAME || h->backing_offset > q->cluster_size ||
        h->backing_size > q->cluster_size - h->backing_offset) {
        err_set(e, "%s: backing file name (%u bytes at 0x%" PRIx64 ") is too long or outside the "
                "header cluster", q->path, h->backing_size, h->backing_offset);
        return -EINVAL;
    }
    const char *name = (const char *)h->buf + h->backing_offset;
    if (memchr(name, 0, h->backing_size)) {
        err_set(e, "%s: backing file name contains a NUL byte", q->path);
        return -EINVAL;
    }
    enum blk_format fmt = BLK_FORMAT_AUTO;
    if (h->backing_fmt[0] && blk_format_parse(h->backing_fmt, &fmt)) {
        err_set(e, "%s: backing file format '%s' is not supported", q->path, h->backing_fmt);
        return -ENOTSUP;
    }
    /* A relative name is relative to the directory of this image (as QEMU
     * resolves it), not to our working directory. */
    const char *slash = strrchr(q->path, '/');
    size_t dirlen = name[0] != '/' && slash ? (size_t)(slash - q->path) + 1 : 0;
    char *path = xmalloc(dirlen + h->backing_size + 1);
    memcpy(path, q->path, dirlen);
    memcpy(path + dirlen, name, h->backing_size);
    path[dirlen + h->backing_size] = 0;
    struct blk_open_opts o = {.format = fmt, .cache = q->img->cache, .nolock = q->img->nolock};
    int r = blk_open_backing(&q->backing, q->path, path, &o, chain, e);
    free(path);
    return r;
}

/* Read-write only: clear autoclear bits we do not maintain (spec). */
static int clear_autoclear(struct qcow2 *q, struct err *e)
{
    if (q->img->readonly || q->version < 3 || !q->autoclear)
        return 0;
    uint8_t zero[8] = {0};
    int r = qcow2_write_header_field(q, QCOW2_HDR_AUTOCLEAR_FEATURES, zero, sizeof(zero));
    if (r) {
        err_set(e, "%s: cannot update header: %s", q->path, strerror(-r));
        return r;
    }
    q->autoclear = 0;
    return 0;
}

int qcow2_open(struct blk_image *img, const struct blk_chain *chain, struct err *e)
{
    struct qcow2 *q = xzalloc(sizeof(*q));
    struct hdr_info h = {0};
    uint8_t *buf = NULL;
    q->img = img;
    q->file = &img->file;
    q->path = img->path;
    img->opaque = q;
    img->drv = &blk_qcow2_driver;
    int r = read_header(q, &buf, e);
    h.buf = buf;
    if (!r)
        r = parse_fixed(q, &h, e);
    if (!r)
        r = parse_extensions(q, &h, e);
    if (!r)
        r = check_features(q, &h, e);
    if (!r)
        r = load_l1(q, e);
    if (!r)
        r = qcow2_refcount_load(q, e);
    if (!r)
        r = check_layout(q, e);
    if (r)
        goto fail;
    qcache_init(&q->l2c, q->cluster_size, QCOW2_L2_CACHE_BYTES, 4, 32);
    qcache_init(&q->rbc, q->cluster_size, QCOW2_RB_CACHE_BYTES, 4, 16);
    q->iov = xcalloc(BLK_MAX_IOV + 2, sizeof(*q->iov));
    if (!img->readonly)
        r = qcow2_refcount_check_meta(q, e);
    if (!r)
        r = open_backing(q, &h, chain, e);
    if (!r)
        r = clear_autoclear(q, e);
    if (r)
        goto fail;
    /* Nothing is pending yet: the first flush need not sync for us. */
    q->synced_writes = q->file->writes;
    free(buf);
    return 0;
fail:
    free(buf);
    img->opaque = NULL;
    qcow2_free_state(q);
    return r;
}
