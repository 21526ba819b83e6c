/* SPDX-License-Identifier: MIT */
/*
 * qcow2_rw: the request paths of the qcow2 driver: read, write, discard and
 * write-zeroes, including backing-file reads and compressed clusters.
 *
 * Reads walk runs from qcow2_map: each run of host-contiguous data clusters
 * is one preadv, unallocated runs go to the backing image (zeros past its
 * end), zero runs are memset, compressed clusters are inflated (raw deflate,
 * as QEMU writes them) with the last one kept for the next small read.
 *
 * Writes go in place only into clusters this image owns alone (COPIED and
 * refcount 1): never into a cluster shared with a snapshot, nor a compressed
 * or zero one. Anything else gets freshly allocated clusters, written in one
 * pwritev together with the old contents of a partially covered first and
 * last cluster (copy-on-write from this image or the backing chain); only
 * then is the L2 entry changed (rule 2) and the old cluster queued for
 * freeing (rule 3).
 *
 * Discard and write-zeroes set whole clusters to "unallocated" (no backing
 * file) or to the v3 zero flag (backing file) so that backing data never
 * shows through, and queue the old clusters for freeing.
 *
 * Threads: per image, one thread at a time.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "block/blk_iov.h"
#include "block/qcow2.h"
#include "util/alloc.h"

#define MAX_STEP_CLUSTERS 256u /* clusters allocated per write step */
#define ZERO_BUF (64u * 1024)

static const uint8_t zero_buf[ZERO_BUF];

void qcow2_rw_fini(struct qcow2 *q)
{
    if (q->zready)
        inflateEnd(&q->zs);
    q->zready = false;
    free(q->zin);
    free(q->zout);
    free(q->cow[0]);
    free(q->cow[1]);
}

/* ---- reads ---- */

static int read_host(struct qcow2 *q, const struct iovec *iov, int cnt, size_t skip,
                     uint64_t host, uint64_t len)
{
    int n = blk_iov_slice(q->iov, BLK_MAX_IOV + 2, iov, cnt, skip, len);
    return hostfile_preadv(q->file, q->iov, n, host);
}

static int read_backing(struct qcow2 *q, const struct iovec *iov, int cnt, size_t skip,
                        uint64_t pos, uint64_t len)
{
    uint64_t bsize = q->backing ? blk_size(q->backing) : 0;
    uint64_t n = pos < bsize ? (bsize - pos < len ? bsize - pos : len) : 0;
    if (n) {
        int k = blk_iov_slice(q->iov, BLK_MAX_IOV + 2, iov, cnt, skip, n);
        int r = blk_preadv(q->backing, q->iov, k, pos);
        if (r)
            return r;
    }
    if (n < len)
        blk_iov_zero(iov, cnt, skip + n, len - n);
    return 0;
}

/* Inflate the compressed cluster of `entry` into q->zout. */
static int decompress(struct qcow2 *q, uint64_t entry)
{
    uint64_t cs = q->cluster_size, off, len;
    if (q->zvalid && q->zentry == entry)
        return 0;
    if (!q->zin) {
        q->zin = hostfile_alloc_aligned(2 * cs); /* the descriptor allows at most 2 clusters */
        q->zout = xmalloc(cs);
    }
    qcow2_compressed_range(q, entry, &off, &len);
    int r = hostfile_pread(q->file, q->zin, len, off);
    if (r)
        return r;
    if (!q->zready) {
        if (inflateInit2(&q->zs, -15) != Z_OK)
            return -ENOMEM;
        q->zready = true;
    } else if (inflateReset(&q->zs) != Z_OK) {
        return -EIO;
    }
    q->zs.next_in = q->zin;
    q->zs.avail_in = (uInt)len;
    q->zs.next_out = q->zout;
    q->zs.avail_out = (uInt)cs;
    int zr = inflate(&q->zs, Z_FINISH);
    /* spec: decompression stops once a whole cluster has been produced */
    if ((zr != Z_STREAM_END && zr != Z_BUF_ERROR && zr != Z_OK) || q->zs.avail_out != 0)
        return qcow2_corrupt(q, "compressed cluster at 0x%" PRIx64 " does not inflate to a "
                             "cluster", off);
    q->zentry = entry;
    q->zvalid = true;
    return 0;
}

static int read_compressed(struct qcow2 *q, uint64_t entry, const struct iovec *iov, int cnt,
                           size_t skip, uint64_t in, uint64_t len)
{
    int r = decompress(q, entry);
    if (!r)
        blk_iov_from_buf(iov, cnt, skip, q->zout + in, len);
    return r;
}

/* Read `len` bytes at `in` within guest cluster `gpos` mapped by `entry`. */
static int read_entry(struct qcow2 *q, uint64_t entry, uint64_t gpos, uint64_t in, uint8_t *buf,
                      uint64_t len)
{
    struct iovec v = {.iov_base = buf, .iov_len = len};
    if (entry & QCOW2_OFLAG_COMPRESSED)
        return read_compressed(q, entry, &v, 1, 0, in, len);
    if (entry & QCOW2_OFLAG_ZERO) {
        memset(buf, 0, len);
        return 0;
    }
    uint64_t host = entry & QCOW2_OFFSET_MASK;
    if (!host)
        return read_backing(q, &v, 1, 0, gpos + in, len);
    int r = qcow2_check_data_entry(q, entry, gpos);
    return r ? r : hostfile_pread(q->file, buf, len, host + in);
}

int qcow2_preadv(struct blk_image *img, const struct iovec *iov, int cnt, uint64_t off,
                 size_t len)
{
    struct qcow2 *q = img->opaque;
    size_t done = 0;
    while (done < len) {
        struct qcow2_map m;
        uint64_t pos = off + done;
        int r = qcow2_map(q, pos, len - done, &m);
        if (r)
            return r;
        switch (m.kind) {
        case QCOW2_UNALLOCATED:
            r = read_backing(q, iov, cnt, done, pos, m.len);
            break;
        case QCOW2_ZERO:
            blk_iov_zero(iov, cnt, done, m.len);
            break;
        case QCOW2_DATA:
            r = read_host(q, iov, cnt, done, m.host, m.len);
            break;
        case QCOW2_COMPRESSED:
            r = read_compressed(q, m.entry, iov, cnt, done, pos & (q->cluster_size - 1), m.len);
            break;
        }
        if (r)
            return r;
        done += m.len;
    }
    return 0;
}

/* ---- writes ---- */

/* True if the cluster of `entry` may be overwritten in place. */
static int in_place(struct qcow2 *q, uint64_t entry, uint64_t pos, bool *yes)
{
    *yes = false;
    if (entry & (QCOW2_OFLAG_COMPRESSED | QCOW2_OFLAG_ZERO) || !(entry & QCOW2_OFLAG_COPIED) ||
        !(entry & QCOW2_OFFSET_MASK))
        return 0;
    int r = qcow2_check_data_entry(q, entry, pos);
    uint64_t rc = 0;
    if (!r)
        r = qcow2_refcount_get(q, (entry & QCOW2_OFFSET_MASK) >> q->cluster_bits, &rc);
    *yes = rc == 1;
    return r;
}

static int write_iov(struct qcow2 *q, const struct iovec *iov, int n, uint64_t host)
{
    return hostfile_pwritev(q->file, iov, n, host);
}

/* Write the request bytes [skip, skip+wlen) into new clusters at `noff`
 * (guest clusters from `g0`), with the old head and tail around them. */
static int write_new_data(struct qcow2 *q, const struct iovec *iov, int cnt, size_t skip,
                          uint64_t wlen, uint64_t g0, uint64_t in, uint64_t got,
                          const uint64_t *old, uint64_t noff)
{
    uint64_t cs = q->cluster_size, tail = got * cs - in - wlen;
    int r = 0;
    if (!q->cow[0]) {
        q->cow[0] = hostfile_alloc_aligned(cs);
        q->cow[1] = hostfile_alloc_aligned(cs);
    }
    if (in)
        r = read_entry(q, old[0], g0, 0, q->cow[0], in);
    if (!r && tail)
        r = read_entry(q, old[got - 1], g0 + (got - 1) * cs, cs - tail, q->cow[1], tail);
    if (r)
        return r;
    int n = 0;
    if (in)
        q->iov[n++] = (struct iovec){.iov_base = q->cow[0], .iov_len = in};
    int s = blk_iov_slice(q->iov + n, BLK_MAX_IOV, iov, cnt, skip, wlen);
    n += s;
    if (tail)
        q->iov[n++] = (struct iovec){.iov_base = q->cow[1], .iov_len = tail};
    if (n <= BLK_MAX_IOV)
        return write_iov(q, q->iov, n, noff);
    /* Over IOV_MAX: head, body and tail separately. */
    int first = in ? 1 : 0;
    if (in)
        r = write_iov(q, q->iov, 1, noff);
    if (!r)
        r = write_iov(q, q->iov + first, s, noff + in);
    if (!r && tail)
        r = write_iov(q, q->iov + first + s, 1, noff + in + wlen);
    return r;
}

/* Allocate clusters for up to `k` guest clusters from `pos` that cannot be
 * written in place, write them, then remap. *done = request bytes written. */
static int write_alloc(struct qcow2 *q, const struct iovec *iov, int cnt, size_t skip,
                       uint64_t pos, uint64_t left, uint64_t l2off, uint64_t k, uint64_t *done)
{
    uint64_t cs = q->cluster_size, in = pos & (cs - 1), idx = (pos >> q->cluster_bits) &
                                                               ((1ull << q->l2_bits) - 1);
    uint64_t old[MAX_STEP_CLUSTERS], neu[MAX_STEP_CLUSTERS], j = 0;
    if (k > MAX_STEP_CLUSTERS)
        k = MAX_STEP_CLUSTERS;
    for (; j < k; j++) {
        bool yes;
        int r = qcow2_l2_get_entry(q, l2off, idx + j, &old[j]);
        if (!r)
            r = in_place(q, old[j], pos - in + j * cs, &yes);
        if (r)
            return r;
        if (yes)
            break;
    }
    /* One contiguous host run if the allocator has one (it may give fewer
     * clusters; the caller loops). */
    uint64_t noff, got;
    int r = qcow2_alloc_clusters(q, j, &noff, &got);
    if (r)
        return r;
    uint64_t wlen = got * cs - in < left ? got * cs - in : left;
    r = write_new_data(q, iov, cnt, skip, wlen, pos - in, in, got, old, noff);
    if (r) {
        int ur = qcow2_unref_now(q, noff, got * cs); /* never referenced */
        (void)ur; /* if that fails too, the clusters leak: harmless */
        return r;
    }
    /* Rule 2: the data is written; only now remap, then queue the old
     * clusters (rule 3). A fresh cluster has refcount 1, hence COPIED. */
    for (uint64_t i = 0; i < got; i++)
        neu[i] = (noff + i * cs) | QCOW2_OFLAG_COPIED;
    r = qcow2_l2_set_entries(q, l2off, idx, neu, got);
    if (r)
        return r;
    for (uint64_t i = 0; i < got; i++)
        qcow2_free_entry(q, old[i]);
    *done = wlen;
    return 0;
}

/* Write as much of the request as one L2 table and one kind allows. */
static int write_step(struct qcow2 *q, const struct iovec *iov, int cnt, size_t skip,
                      uint64_t pos, uint64_t left, uint64_t *done)
{
    uint64_t cs = q->cluster_size, in = pos & (cs - 1);
    uint64_t idx = (pos >> q->cluster_bits) & ((1ull << q->l2_bits) - 1);
    uint64_t room = (1ull << q->l2_bits) - idx;
    uint64_t k = (in + left + cs - 1) / cs;
    if (k > room)
        k = room;
    uint64_t l2off, e;
    bool yes;
    int r = qcow2_l2_for_write(q, pos, &l2off);
    if (!r)
        r = qcow2_l2_get_entry(q, l2off, idx, &e);
    if (!r)
        r = in_place(q, e, pos, &yes);
    if (r)
        return r;
    if (!yes)
        return write_alloc(q, iov, cnt, skip, pos, left, l2off, k, done);
    /* In place: extend over following owned clusters that are also
     * contiguous on the host, so a large request is one pwritev. */
    uint64_t host = e & QCOW2_OFFSET_MASK, j = 1;
    for (; j < k; j++) {
        uint64_t ej;
        r = qcow2_l2_get_entry(q, l2off, idx + j, &ej);
        if (!r)
            r = in_place(q, ej, pos - in + j * cs, &yes);
        if (r)
            return r;
        if (!yes || (ej & QCOW2_OFFSET_MASK) != host + j * cs)
            break;
    }
    uint64_t n = j * cs - in < left ? j * cs - in : left;
    if (qcow2_is_meta(q, host + in, n))
        return qcow2_corrupt(q, "guest offset 0x%" PRIx64 " maps onto metadata at 0x%" PRIx64,
                             pos, host);
    int s = blk_iov_slice(q->iov, BLK_MAX_IOV + 2, iov, cnt, skip, n);
    r = write_iov(q, q->iov, s, host + in);
    if (!r)
        *done = n;
    return r;
}

int qcow2_pwritev(struct blk_image *img, const struct iovec *iov, int cnt, uint64_t off,
                  size_t len)
{
    struct qcow2 *q = img->opaque;
    size_t done = 0;
    if (q->broken)
        return -EIO;
    while (done < len) {
        uint64_t n = 0;
        int r = write_step(q, iov, cnt, done, off + done, len - done, &n);
        if (r)
            return r;
        done += n;
    }
    return qcow2_frees_limit(q);
}

/* ---- discard and write-zeroes ---- */

/* Set whole clusters [off, off+len) to read as zeros and free their space. */
static int zero_clusters(struct qcow2 *q, uint64_t off, uint64_t len)
{
    uint64_t cs = q->cluster_size, target = q->backing ? QCOW2_OFLAG_ZERO : 0;
    while (len) {
        uint64_t idx = (off >> q->cluster_bits) & ((1ull << q->l2_bits) - 1);
        uint64_t k = (1ull << q->l2_bits) - idx, n = len / cs;
        if (k > n)
            k = n;
        /* Skip tables already in the target state: no copy-on-write of a
         * snapshot's table, no new table, for a no-op. */
        uint64_t l1e = q->l1[off >> (q->cluster_bits + q->l2_bits)] & QCOW2_OFFSET_MASK;
        bool change = l1e || target;
        for (uint64_t i = 0, e; l1e && i < k; i++) {
            int r = qcow2_l2_get_entry(q, l1e, idx + i, &e);
            if (r)
                return r;
            change = e != target;
            if (change)
                break;
        }
        uint64_t l2off = 0;
        if (change) {
            int r = qcow2_l2_for_write(q, off, &l2off);
            if (r)
                return r;
        }
        for (uint64_t i = 0; change && i < k; i++) {
            uint64_t e;
            int r = qcow2_l2_get_entry(q, l2off, idx + i, &e);
            if (!r && e != target)
                r = qcow2_l2_set_entries(q, l2off, idx + i, &target, 1);
            if (r)
                return r;
            if (e != target)
                qcow2_free_entry(q, e);
        }
        off += k * cs;
        len -= k * cs;
        int r = qcow2_frees_limit(q);
        if (r)
            return r;
    }
    return 0;
}

/* Write real zeros over [off, off+len), skipping what already reads zero. */
static int write_zero_bytes(struct qcow2 *q, uint64_t off, uint64_t len)
{
    struct iovec v[16];
    while (len) {
        struct qcow2_map m;
        int r = qcow2_map(q, off, len, &m);
        if (r)
            return r;
        bool zero = m.kind == QCOW2_ZERO ||
                    (m.kind == QCOW2_UNALLOCATED &&
                     (!q->backing || off >= blk_size(q->backing)));
        uint64_t n = m.len < sizeof(v) / sizeof(v[0]) * ZERO_BUF
                         ? m.len : sizeof(v) / sizeof(v[0]) * ZERO_BUF;
        if (!zero) {
            int cnt = 0;
            for (uint64_t d = 0; d < n; d += ZERO_BUF, cnt++)
                v[cnt] = (struct iovec){.iov_base = (void *)zero_buf,
                                        .iov_len = n - d < ZERO_BUF ? n - d : ZERO_BUF};
            r = qcow2_pwritev(q->img, v, cnt, off, n);
            if (r)
                return r;
        }
        off += n;
        len -= n;
    }
    return 0;
}

int qcow2_write_zeroes(struct blk_image *img, uint64_t off, uint64_t len)
{
    struct qcow2 *q = img->opaque;
    uint64_t cs = q->cluster_size;
    if (q->broken)
        return -EIO;
    if (q->version < 3 && q->backing)
        return write_zero_bytes(q, off, len);
    uint64_t a = (off + cs - 1) & ~(cs - 1), b = (off + len) & ~(cs - 1);
    if (a >= b)
        return write_zero_bytes(q, off, len);
    int r = write_zero_bytes(q, off, a - off);
    if (!r)
        r = zero_clusters(q, a, b - a);
    if (!r)
        r = write_zero_bytes(q, b, off + len - b);
    return r;
}

int qcow2_discard(struct blk_image *img, uint64_t off, uint64_t len)
{
    struct qcow2 *q = img->opaque;
    uint64_t cs = q->cluster_size;
    if (q->broken)
        return -EIO;
    if (q->version < 3 && q->backing)
        return 0; /* v2 cannot hide backing data without writing; discard is advisory */
    uint64_t a = (off + cs - 1) & ~(cs - 1), b = (off + len) & ~(cs - 1);
    return a < b ? zero_clusters(q, a, b - a) : 0;
}
