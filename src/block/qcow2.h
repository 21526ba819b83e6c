/* SPDX-License-Identifier: MIT */
/*
 * qcow2: state and internal interfaces of the qcow2 driver (internal to
 * block/), shared by qcow2.c (open, header, flush, close), qcow2_cache.c
 * (table cache), qcow2_refcount.c (refcounts, allocation), qcow2_cluster.c
 * (L1/L2 mapping), qcow2_rw.c (request paths) and qcow2_create.c.
 *
 * Written from QEMU's docs/interop/qcow2.txt ("the spec" below). Names of
 * header fields and flags follow the spec.
 *
 * Consistency model. L2 tables and refcount blocks are cached and written
 * back; the L1 table is in memory and written back. Whatever reaches the
 * file, in whatever order it is interrupted, leaves the image consistent
 * because writes follow these rules:
 *   1. a cluster's refcount increment is durable before any L1/L2 entry
 *      pointing at it (refcount blocks are written, then a barrier, then
 *      L2 tables; a new L2 table is durable before the L1 entry naming it);
 *   2. guest data is durable before the L2 entry that maps it (same
 *      barrier);
 *   3. a refcount decrement is applied only after the L1/L2 change that
 *      dropped the reference is durable (frees are queued until a flush);
 *   4. new refcount blocks and a grown refcount table are written and
 *      synced before they are linked in.
 * A barrier is fdatasync (a no-op under cache=unsafe, where only process
 * crashes are covered). At worst a crash leaks clusters.
 *
 * Threads: one image, one thread at a time (see image.h); no locks.
 */
#ifndef RV_BLOCK_QCOW2_H
#define RV_BLOCK_QCOW2_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <zlib.h>

#include "block/driver.h"

#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "qcow2 byte swapping assumes a little-endian host"
#endif

#define QCOW2_MAGIC 0x514649fbu /* "QFI\xfb" */
#define QCOW2_MIN_CLUSTER_BITS 9
#define QCOW2_MAX_CLUSTER_BITS 21
#define QCOW2_MAX_L1_BYTES (32u << 20)  /* the spec's QEMU limit; bounds our memory */
#define QCOW2_MAX_RCT_BYTES (8u << 20)  /* ditto for the refcount table */
#define QCOW2_MAX_BACKING_NAME 1023
#define QCOW2_MAX_REFCOUNT_ORDER 6
#define QCOW2_L2_CACHE_BYTES (4u << 20) /* budget; 4..32 tables */
#define QCOW2_RB_CACHE_BYTES (1u << 20) /* budget; 4..16 blocks */
#define QCOW2_MAX_FREES 4096           /* queued free ranges before a forced flush */

/* Header field offsets (spec "Header"). */
#define QCOW2_HDR_MAGIC 0
#define QCOW2_HDR_VERSION 4
#define QCOW2_HDR_BACKING_FILE_OFFSET 8
#define QCOW2_HDR_BACKING_FILE_SIZE 16
#define QCOW2_HDR_CLUSTER_BITS 20
#define QCOW2_HDR_SIZE 24
#define QCOW2_HDR_CRYPT_METHOD 32
#define QCOW2_HDR_L1_SIZE 36
#define QCOW2_HDR_L1_TABLE_OFFSET 40
#define QCOW2_HDR_REFCOUNT_TABLE_OFFSET 48
#define QCOW2_HDR_REFCOUNT_TABLE_CLUSTERS 56
#define QCOW2_HDR_NB_SNAPSHOTS 60
#define QCOW2_HDR_SNAPSHOTS_OFFSET 64
#define QCOW2_HDR_INCOMPATIBLE_FEATURES 72
#define QCOW2_HDR_COMPATIBLE_FEATURES 80
#define QCOW2_HDR_AUTOCLEAR_FEATURES 88
#define QCOW2_HDR_REFCOUNT_ORDER 96
#define QCOW2_HDR_HEADER_LENGTH 100
#define QCOW2_HDR_COMPRESSION_TYPE 104
#define QCOW2_HDR_V2_LENGTH 72
#define QCOW2_HDR_V3_LENGTH 104

#define QCOW2_INCOMPAT_DIRTY (1ull << 0)
#define QCOW2_INCOMPAT_CORRUPT (1ull << 1)
#define QCOW2_INCOMPAT_DATA_FILE (1ull << 2)
#define QCOW2_INCOMPAT_COMPRESSION (1ull << 3)
#define QCOW2_INCOMPAT_EXTL2 (1ull << 4)
#define QCOW2_COMPAT_LAZY_REFCOUNTS (1ull << 0)
#define QCOW2_AUTOCLEAR_BITMAPS (1ull << 0)
#define QCOW2_AUTOCLEAR_DATA_FILE_RAW (1ull << 1)

/* Header extension types (spec "Header extensions"). */
#define QCOW2_EXT_END 0x00000000u
#define QCOW2_EXT_BACKING_FORMAT 0xe2792acau
#define QCOW2_EXT_FEATURE_TABLE 0x6803f857u
#define QCOW2_EXT_BITMAPS 0x23852875u
#define QCOW2_EXT_CRYPTO 0x0537be77u
#define QCOW2_EXT_DATA_FILE 0x44415441u
#define QCOW2_FEATURE_NAME_LEN 46

/* L1/L2/refcount-table entry bits (spec "Cluster mapping", "Host cluster
 * management"). */
#define QCOW2_OFLAG_COPIED (1ull << 63)
#define QCOW2_OFLAG_COMPRESSED (1ull << 62)
#define QCOW2_OFLAG_ZERO (1ull << 0)
#define QCOW2_OFFSET_MASK 0x00fffffffffffe00ull    /* bits 9-55 */
#define QCOW2_L1E_RESERVED 0x7f000000000001ffull   /* bits 0-8, 56-62 */
#define QCOW2_L2E_RESERVED 0x3f000000000001feull   /* bits 1-8, 56-61 */
#define QCOW2_RCTE_RESERVED 0x00000000000001ffull  /* bits 0-8 */
#define QCOW2_MAX_HOST_OFFSET (1ull << 56)

struct qcache_slot {
    uint64_t off;     /* host offset of the cached cluster; 0 = empty slot */
    uint64_t used;    /* LRU stamp */
    uint32_t dlo, dhi; /* dirty byte range [dlo, dhi); clean if dlo >= dhi */
    uint8_t *data;
};

struct qcache {
    unsigned n;
    size_t size; /* bytes per slot (the cluster size) */
    uint64_t clock;
    struct qcache_slot *slots;
};

/* A sorted set of host cluster offsets (refcount blocks, L2 tables) that
 * guest data must never overwrite. */
struct qcow2_offset_set {
    uint64_t *v;
    size_t n, cap;
};

struct qcow2_range {
    uint64_t off, len; /* bytes; a queued refcount decrement of the clusters it touches */
};

/* How a run of guest clusters is mapped (qcow2_map). */
enum qcow2_kind {
    QCOW2_UNALLOCATED, /* backing file or zeros */
    QCOW2_ZERO,        /* v3 zero flag */
    QCOW2_DATA,        /* standard cluster(s), host-contiguous */
    QCOW2_COMPRESSED,  /* one compressed cluster */
};

struct qcow2_map {
    enum qcow2_kind kind;
    uint64_t host;  /* DATA: host offset of the first byte */
    uint64_t entry; /* COMPRESSED: the L2 entry */
    uint64_t len;   /* bytes from the requested offset */
};

struct qcow2 {
    struct blk_image *img;
    struct hostfile *file;
    const char *path;

    uint32_t version, cluster_bits, header_length, refcount_order, nb_snapshots;
    uint64_t cluster_size, incompat, compat, autoclear, snapshots_offset;

    uint64_t *l1; /* host byte order */
    uint32_t l1_size;
    uint64_t l1_offset;
    uint32_t l1_dirty_lo, l1_dirty_hi; /* entries [lo, hi) to write back */
    uint32_t l2_bits;                  /* log2 of entries per L2 table */

    uint64_t *rct; /* refcount table, host byte order */
    uint64_t rct_entries, rct_offset;
    uint32_t rct_clusters;
    uint32_t rb_bits; /* log2 of refcounts per refcount block */
    uint64_t refcount_max;

    struct qcache l2c, rbc;
    struct qcow2_offset_set meta; /* refcount blocks and active L2 tables */
    uint64_t synced_writes;       /* file->writes at the last barrier */
    uint64_t free_hint;           /* no free cluster below this index */
    struct qcow2_range *frees;
    size_t nfrees, frees_cap;

    uint8_t *zin, *zout; /* compressed input (2 clusters) and one decompressed cluster */
    uint64_t zentry;     /* L2 entry whose data zout holds */
    bool zvalid, zready;
    z_stream zs;

    uint8_t *cow[2];     /* head/tail buffers for partial-cluster allocation */
    struct iovec *iov;   /* BLK_MAX_IOV + 2 scratch elements */

    struct blk_image *backing;
    bool broken;         /* corruption seen: refuse further writes */
};

static inline uint64_t qcow2_be64(const uint8_t *p)
{
    uint64_t v;
    memcpy(&v, p, sizeof(v));
    return __builtin_bswap64(v);
}

static inline uint32_t qcow2_be32(const uint8_t *p)
{
    uint32_t v;
    memcpy(&v, p, sizeof(v));
    return __builtin_bswap32(v);
}

static inline void qcow2_put_be64(uint8_t *p, uint64_t v)
{
    v = __builtin_bswap64(v);
    memcpy(p, &v, sizeof(v));
}

static inline void qcow2_put_be32(uint8_t *p, uint32_t v)
{
    v = __builtin_bswap32(v);
    memcpy(p, &v, sizeof(v));
}

/* qcow2.c */
/* Report corruption found at run time: logged once per image, the image
 * then refuses writes. Always returns -EIO. */
int qcow2_corrupt(struct qcow2 *q, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* fdatasync unless cache=unsafe; records file->writes. 0 or -errno. */
int qcow2_barrier(struct qcow2 *q) __attribute__((warn_unused_result));
/* Write back all cached metadata in rule order (see above), end with a
 * barrier, then apply queued frees. 0 or -errno. */
int qcow2_meta_flush(struct qcow2 *q) __attribute__((warn_unused_result));
/* Write the header fields [off, off+len) from `buf`. 0 or -errno. */
int qcow2_write_header_field(struct qcow2 *q, unsigned off, const void *buf, size_t len)
    __attribute__((warn_unused_result));

/* qcow2_cache.c */
void qcache_init(struct qcache *c, size_t size, size_t budget, unsigned min, unsigned max);
void qcache_fini(struct qcache *c);
/* The cached cluster at host offset `off`, loading it from the file if
 * `load` (else zero-filled). A dirty L2 victim forces rule 1/2 ordering
 * first. The pointer is valid until the next qcow2_cache_get on `c`.
 * 0 or -errno. */
int qcow2_cache_get(struct qcow2 *q, struct qcache *c, uint64_t off, bool load, uint8_t **out)
    __attribute__((warn_unused_result));
/* Mark bytes [lo, hi) of the cached cluster at `off` dirty. */
void qcache_mark_dirty(struct qcache *c, uint64_t off, size_t lo, size_t hi);
/* Write back every dirty slot (512-byte aligned spans). Sets *wrote if any
 * was written. 0 or -errno. */
int qcow2_cache_write_dirty(struct qcow2 *q, struct qcache *c, bool *wrote)
    __attribute__((warn_unused_result));
bool qcache_any_dirty(const struct qcache *c);
/* Forget the cluster at `off` (it was freed). */
void qcache_drop(struct qcache *c, uint64_t off);

/* qcow2_refcount.c */
int qcow2_refcount_load(struct qcow2 *q, struct err *e) __attribute__((warn_unused_result));
/* At read-write open: header, L1, refcount table and blocks and L2 tables
 * must all have a refcount; else allocation could hand them out. */
int qcow2_refcount_check_meta(struct qcow2 *q, struct err *e) __attribute__((warn_unused_result));
int qcow2_refcount_get(struct qcow2 *q, uint64_t cluster, uint64_t *out)
    __attribute__((warn_unused_result));
/* Allocate up to `want` (>= 1) contiguous clusters, at least one: their
 * refcounts become 1 in the cache. *off = first byte, *got = count. */
int qcow2_alloc_clusters(struct qcow2 *q, uint64_t want, uint64_t *off, uint64_t *got)
    __attribute__((warn_unused_result));
/* Queue a decrement of every cluster that [off, off+len) touches (rule 3). */
void qcow2_free_later(struct qcow2 *q, uint64_t off, uint64_t len);
/* Flush metadata (and so apply the queue) if the free queue is long.
 * Call between requests or L2 tables, holding no cache pointers. */
int qcow2_frees_limit(struct qcow2 *q) __attribute__((warn_unused_result));
/* Apply queued decrements (caller made the dropping entries durable). */
int qcow2_apply_frees(struct qcow2 *q) __attribute__((warn_unused_result));
/* Decrement the clusters of a reservation never referenced (at once). */
int qcow2_unref_now(struct qcow2 *q, uint64_t off, uint64_t len)
    __attribute__((warn_unused_result));
/* Metadata set helpers. */
void qcow2_meta_add(struct qcow2 *q, uint64_t off);
void qcow2_meta_remove(struct qcow2 *q, uint64_t off);
/* True if [off, off+len) touches the header, L1 table, refcount table, a
 * refcount block or an active L2 table. */
bool qcow2_is_meta(const struct qcow2 *q, uint64_t off, uint64_t len);

/* qcow2_cluster.c */
/* Map guest [pos, pos+maxlen) (maxlen > 0): the kind of the cluster at pos
 * and how far the same kind (and host contiguity) extends. 0 or -EIO. */
int qcow2_map(struct qcow2 *q, uint64_t pos, uint64_t maxlen, struct qcow2_map *m)
    __attribute__((warn_unused_result));
/* The writable (owned, COPIED) L2 table for guest offset `pos`, allocating
 * or copying it as needed. *l2off = its host offset. 0 or -errno. */
int qcow2_l2_for_write(struct qcow2 *q, uint64_t pos, uint64_t *l2off)
    __attribute__((warn_unused_result));
/* Read entry `idx` of the cached L2 table at `l2off`. 0 or -errno. */
int qcow2_l2_get_entry(struct qcow2 *q, uint64_t l2off, uint64_t idx, uint64_t *entry)
    __attribute__((warn_unused_result));
/* Set entries [idx, idx+n) of the owned L2 table at `l2off` from `v`. */
int qcow2_l2_set_entries(struct qcow2 *q, uint64_t l2off, uint64_t idx, const uint64_t *v,
                         uint64_t n) __attribute__((warn_unused_result));
/* Check a standard (non-compressed) L2 entry; -EIO via qcow2_corrupt. */
int qcow2_check_data_entry(struct qcow2 *q, uint64_t entry, uint64_t pos)
    __attribute__((warn_unused_result));
/* Host byte range [*off, *off+*len) holding the compressed data of `entry`. */
void qcow2_compressed_range(const struct qcow2 *q, uint64_t entry, uint64_t *off, uint64_t *len);
/* Queue the free of whatever host space `entry` holds (rule 3). */
void qcow2_free_entry(struct qcow2 *q, uint64_t entry);

/* qcow2_rw.c */
int qcow2_preadv(struct blk_image *img, const struct iovec *iov, int cnt, uint64_t off,
                 size_t len);
int qcow2_pwritev(struct blk_image *img, const struct iovec *iov, int cnt, uint64_t off,
                  size_t len);
int qcow2_discard(struct blk_image *img, uint64_t off, uint64_t len);
int qcow2_write_zeroes(struct blk_image *img, uint64_t off, uint64_t len);
void qcow2_rw_fini(struct qcow2 *q);

#endif
