/* SPDX-License-Identifier: MIT */
/*
 * qcow2_cluster: guest-to-host mapping through the L1 and L2 tables (spec
 * "Cluster mapping", "Compressed Clusters Descriptor").
 *
 * L2 tables live in the write-back cache in on-disk (big-endian) form. Every
 * L2 entry is checked when it is used (reserved bits, alignment, header
 * cluster, end of file); a bad one fails the request with -EIO and marks
 * the image broken, it never steers an access outside the file.
 *
 * Writes need an L2 table that this image owns alone: an L1 entry with the
 * COPIED flag and a refcount of 1. Otherwise (no table yet, or one shared
 * with an internal snapshot) a new table is allocated, filled from the old
 * one with COPIED recomputed from the refcounts, and linked into the L1
 * table in memory; the old table is freed once that is durable (rule 3).
 *
 * Threads: per image, one thread at a time.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "block/qcow2.h"
#include "util/alloc.h"

static uint64_t l1_index(const struct qcow2 *q, uint64_t pos)
{
    return pos >> (q->cluster_bits + q->l2_bits);
}

static uint64_t l2_index(const struct qcow2 *q, uint64_t pos)
{
    return (pos >> q->cluster_bits) & ((1ull << q->l2_bits) - 1);
}

/* Bit position x of the compressed descriptor (spec: x = 62 - (cluster_bits - 8)). */
static unsigned csize_shift(const struct qcow2 *q)
{
    return 62 - (q->cluster_bits - 8);
}

void qcow2_compressed_range(const struct qcow2 *q, uint64_t entry, uint64_t *off, uint64_t *len)
{
    unsigned x = csize_shift(q);
    uint64_t coff = entry & ((1ull << x) - 1);
    uint64_t nsect = ((entry >> x) & ((1ull << (q->cluster_bits - 8)) - 1)) + 1;
    *off = coff;
    *len = (coff & ~511ull) + nsect * 512 - coff;
}

int qcow2_check_data_entry(struct qcow2 *q, uint64_t entry, uint64_t pos)
{
    uint64_t off = entry & QCOW2_OFFSET_MASK;
    if (entry & QCOW2_L2E_RESERVED || off & (q->cluster_size - 1))
        return qcow2_corrupt(q, "L2 entry 0x%" PRIx64 " for guest offset 0x%" PRIx64
                             " has reserved bits set or is unaligned", entry, pos);
    if (off < q->cluster_size || off >= q->file->size)
        return qcow2_corrupt(q, "L2 entry for guest offset 0x%" PRIx64 " points to 0x%" PRIx64
                             ", %s", pos, off,
                             off < q->cluster_size ? "inside the header" : "beyond end of file");
    return 0;
}

/* Kind of one L2 entry, with checks. */
static int classify(struct qcow2 *q, uint64_t e, uint64_t pos, enum qcow2_kind *kind,
                    uint64_t *host)
{
    *host = 0;
    if (e & QCOW2_OFLAG_COMPRESSED) {
        uint64_t off, len;
        qcow2_compressed_range(q, e, &off, &len);
        if (e & QCOW2_OFLAG_COPIED || off < q->cluster_size || off >= q->file->size)
            return qcow2_corrupt(q, "compressed L2 entry 0x%" PRIx64 " for guest offset 0x%" PRIx64
                                 " is invalid or beyond end of file", e, pos);
        *kind = QCOW2_COMPRESSED;
        return 0;
    }
    if (e & QCOW2_OFLAG_ZERO) {
        if (q->version < 3)
            return qcow2_corrupt(q, "L2 entry 0x%" PRIx64 " has the zero flag in a v2 image", e);
        if (e & QCOW2_L2E_RESERVED || e & QCOW2_OFFSET_MASK & (q->cluster_size - 1))
            return qcow2_corrupt(q, "zero L2 entry 0x%" PRIx64 " for guest offset 0x%" PRIx64
                                 " has reserved bits set or is unaligned", e, pos);
        *kind = QCOW2_ZERO;
        return 0;
    }
    if (!(e & QCOW2_OFFSET_MASK)) {
        if (e)
            return qcow2_corrupt(q, "L2 entry 0x%" PRIx64 " for guest offset 0x%" PRIx64
                                 " has flags but no offset", e, pos);
        *kind = QCOW2_UNALLOCATED;
        return 0;
    }
    int r = qcow2_check_data_entry(q, e, pos);
    if (r)
        return r;
    *kind = QCOW2_DATA;
    *host = e & QCOW2_OFFSET_MASK;
    return 0;
}

static uint64_t l2e(const uint8_t *t, uint64_t i)
{
    return qcow2_be64(t + i * 8);
}

int qcow2_map(struct qcow2 *q, uint64_t pos, uint64_t maxlen, struct qcow2_map *m)
{
    uint64_t cs = q->cluster_size, in = pos & (cs - 1);
    uint64_t idx = l2_index(q, pos), left = (1ull << q->l2_bits) - idx;
    uint64_t l2off = q->l1[l1_index(q, pos)] & QCOW2_OFFSET_MASK;
    memset(m, 0, sizeof(*m));
    if (!l2off) {
        m->kind = QCOW2_UNALLOCATED;
        m->len = left * cs - in < maxlen ? left * cs - in : maxlen;
        return 0;
    }
    uint8_t *t;
    int r = qcow2_cache_get(q, &q->l2c, l2off, true, &t);
    if (r)
        return r;
    uint64_t e = l2e(t, idx), host;
    r = classify(q, e, pos, &m->kind, &host);
    if (r)
        return r;
    m->len = cs - in < maxlen ? cs - in : maxlen;
    if (m->kind == QCOW2_COMPRESSED) {
        m->entry = e;
        return 0;
    }
    m->host = host ? host + in : 0;
    /* Extend over following entries of the same kind (and contiguous). */
    for (uint64_t j = 1; j < left && m->len < maxlen; j++) {
        enum qcow2_kind k;
        uint64_t h;
        uint64_t ej = l2e(t, idx + j);
        if ((ej & QCOW2_OFLAG_COMPRESSED) || classify(q, ej, pos + j * cs, &k, &h))
            break; /* a bad entry is reported when the request gets there */
        if (k != m->kind || (k == QCOW2_DATA && h != host + j * cs))
            break;
        m->len += cs < maxlen - m->len ? cs : maxlen - m->len;
    }
    return 0;
}

int qcow2_l2_get_entry(struct qcow2 *q, uint64_t l2off, uint64_t idx, uint64_t *entry)
{
    uint8_t *t;
    int r = qcow2_cache_get(q, &q->l2c, l2off, true, &t);
    if (!r)
        *entry = l2e(t, idx);
    return r;
}

int qcow2_l2_set_entries(struct qcow2 *q, uint64_t l2off, uint64_t idx, const uint64_t *v,
                         uint64_t n)
{
    uint8_t *t;
    int r = qcow2_cache_get(q, &q->l2c, l2off, true, &t);
    if (r)
        return r;
    for (uint64_t i = 0; i < n; i++)
        qcow2_put_be64(t + (idx + i) * 8, v[i]);
    qcache_mark_dirty(&q->l2c, l2off, idx * 8, (idx + n) * 8);
    return 0;
}

void qcow2_free_entry(struct qcow2 *q, uint64_t entry)
{
    if (entry & QCOW2_OFLAG_COMPRESSED) {
        uint64_t off, len;
        qcow2_compressed_range(q, entry, &off, &len);
        /* Refcounts cover whole sectors from the one holding `off`. */
        qcow2_free_later(q, off & ~511ull, len + (off & 511));
        return;
    }
    uint64_t off = entry & QCOW2_OFFSET_MASK;
    if (off)
        qcow2_free_later(q, off, q->cluster_size);
}

/* COPIED must say exactly "refcount is 1" for standard clusters (spec). */
static int fix_copied(struct qcow2 *q, uint8_t *t)
{
    for (uint64_t i = 0; i < (1ull << q->l2_bits); i++) {
        uint64_t e = l2e(t, i), off = e & QCOW2_OFFSET_MASK, rc = 0;
        if (e & QCOW2_OFLAG_COMPRESSED || !off)
            continue;
        int r = qcow2_refcount_get(q, off >> q->cluster_bits, &rc);
        if (r)
            return r;
        e = rc == 1 ? e | QCOW2_OFLAG_COPIED : e & ~QCOW2_OFLAG_COPIED;
        qcow2_put_be64(t + i * 8, e);
    }
    return 0;
}

static void mark_l1_dirty(struct qcow2 *q, uint32_t i)
{
    if (q->l1_dirty_lo >= q->l1_dirty_hi) {
        q->l1_dirty_lo = i;
        q->l1_dirty_hi = i + 1;
        return;
    }
    if (i < q->l1_dirty_lo)
        q->l1_dirty_lo = i;
    if (i + 1 > q->l1_dirty_hi)
        q->l1_dirty_hi = i + 1;
}

int qcow2_l2_for_write(struct qcow2 *q, uint64_t pos, uint64_t *l2off)
{
    uint64_t cs = q->cluster_size;
    uint32_t i = (uint32_t)l1_index(q, pos);
    uint64_t old = q->l1[i] & QCOW2_OFFSET_MASK;
    /* COPIED alone is only a hint (spec: accurate in the active table);
     * the refcount decides, so a damaged flag cannot make us write into a
     * table that a snapshot still uses. */
    if (old && (q->l1[i] & QCOW2_OFLAG_COPIED)) {
        uint64_t rc;
        int r = qcow2_refcount_get(q, old >> q->cluster_bits, &rc);
        if (r)
            return r;
        if (rc == 1) {
            *l2off = old;
            return 0;
        }
    }
    /* Copy the old table aside: fetching the new slot may evict it. */
    uint8_t *copy = NULL, *t;
    if (old) {
        int r = qcow2_cache_get(q, &q->l2c, old, true, &t);
        if (r)
            return r;
        copy = xmalloc(cs);
        memcpy(copy, t, cs);
    }
    uint64_t noff, got;
    int r = qcow2_alloc_clusters(q, 1, &noff, &got);
    if (!r)
        r = qcow2_cache_get(q, &q->l2c, noff, false, &t);
    if (!r && copy) {
        memcpy(t, copy, cs);
        r = fix_copied(q, t);
    }
    free(copy);
    if (r)
        return r;
    /* Rule 1: the table reaches the file (at the next flush or eviction)
     * before the L1 entry naming it, which is only written back last. */
    qcache_mark_dirty(&q->l2c, noff, 0, cs);
    q->l1[i] = noff | QCOW2_OFLAG_COPIED;
    mark_l1_dirty(q, i);
    qcow2_meta_add(q, noff);
    if (old) {
        qcow2_meta_remove(q, old);
        qcow2_free_later(q, old, cs);
    }
    *l2off = noff;
    return 0;
}
