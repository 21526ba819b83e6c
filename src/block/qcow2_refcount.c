/* SPDX-License-Identifier: MIT */
/*
 * qcow2_refcount: refcount table and blocks, cluster allocation and frees
 * (spec "Host cluster management").
 *
 * A cluster is free when its refcount is 0, which includes every cluster
 * whose refcount block is missing or lies beyond the table. Allocation takes
 * the first free run at or after `free_hint` and raises the refcounts in the
 * cached blocks (written back before any L2 entry, rule 1 in qcow2.h).
 *
 * A missing refcount block is placed inside the range it describes (all of
 * whose clusters are free by definition), so it counts itself and nothing
 * recurses. A refcount table that is too small is replaced by a larger one
 * placed in a free run together with the new blocks that describe the run;
 * blocks and table are synced before the header names the new table
 * (rule 4) and the old table is freed once that is durable.
 *
 * Decrements are queued (qcow2_free_later) and applied by qcow2_apply_frees
 * after the flush that made the dropping L2/L1 change durable (rule 3);
 * clusters reaching 0 are punched out of the host file.
 *
 * Every entry width of the spec (refcount_order 0..6) is supported.
 * Threads: per image, one thread at a time.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "block/qcow2.h"
#include "util/alloc.h"
#include "util/log.h"

static uint64_t rb_read(const uint8_t *b, uint64_t i, unsigned order)
{
    switch (order) {
    case 6:
        return qcow2_be64(b + i * 8);
    case 5:
        return qcow2_be32(b + i * 4);
    case 4:
        return (uint64_t)b[i * 2] << 8 | b[i * 2 + 1];
    case 3:
        return b[i];
    default: {
        /* spec: sub-byte widths count from the least significant bit */
        unsigned bits = 1u << order;
        uint64_t bit = i * bits;
        return (b[bit / 8] >> (bit % 8)) & ((1u << bits) - 1);
    }
    }
}

static void rb_write(uint8_t *b, uint64_t i, unsigned order, uint64_t v)
{
    switch (order) {
    case 6:
        qcow2_put_be64(b + i * 8, v);
        break;
    case 5:
        qcow2_put_be32(b + i * 4, (uint32_t)v);
        break;
    case 4:
        b[i * 2] = (uint8_t)(v >> 8);
        b[i * 2 + 1] = (uint8_t)v;
        break;
    case 3:
        b[i] = (uint8_t)v;
        break;
    default: {
        unsigned bits = 1u << order;
        uint64_t bit = i * bits;
        uint8_t mask = (uint8_t)(((1u << bits) - 1) << (bit % 8));
        b[bit / 8] = (uint8_t)((b[bit / 8] & ~mask) | ((v << (bit % 8)) & mask));
    }
    }
}

/* Bytes of a block holding entries [first, first+n). */
static void rb_bytes(const struct qcow2 *q, uint64_t first, uint64_t n, size_t *lo, size_t *hi)
{
    uint64_t bits = 1ull << q->refcount_order;
    *lo = (size_t)(first * bits / 8);
    *hi = (size_t)(((first + n) * bits + 7) / 8);
}

/* ---- metadata offset set ---- */

static size_t lower_bound(const struct qcow2_offset_set *s, uint64_t v)
{
    size_t lo = 0, hi = s->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (s->v[mid] < v)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

void qcow2_meta_add(struct qcow2 *q, uint64_t off)
{
    struct qcow2_offset_set *s = &q->meta;
    size_t i = lower_bound(s, off);
    if (i < s->n && s->v[i] == off)
        return;
    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 64;
        s->v = xrealloc(s->v, s->cap * sizeof(*s->v));
    }
    memmove(&s->v[i + 1], &s->v[i], (s->n - i) * sizeof(*s->v));
    s->v[i] = off;
    s->n++;
}

void qcow2_meta_remove(struct qcow2 *q, uint64_t off)
{
    struct qcow2_offset_set *s = &q->meta;
    size_t i = lower_bound(s, off);
    if (i < s->n && s->v[i] == off) {
        memmove(&s->v[i], &s->v[i + 1], (s->n - i - 1) * sizeof(*s->v));
        s->n--;
    }
}

static bool overlaps(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
    return a < b + blen && b < a + alen;
}

bool qcow2_is_meta(const struct qcow2 *q, uint64_t off, uint64_t len)
{
    uint64_t cs = q->cluster_size;
    uint64_t l1_bytes = ((uint64_t)q->l1_size * 8 + cs - 1) & ~(cs - 1);
    if (overlaps(off, len, 0, cs) || (l1_bytes && overlaps(off, len, q->l1_offset, l1_bytes)) ||
        overlaps(off, len, q->rct_offset, (uint64_t)q->rct_clusters * cs))
        return true;
    size_t i = lower_bound(&q->meta, off >= cs ? off - cs + 1 : 0);
    return i < q->meta.n && q->meta.v[i] < off + len;
}

/* ---- load and check ---- */

int qcow2_refcount_load(struct qcow2 *q, struct err *e)
{
    uint64_t cs = q->cluster_size;
    uint64_t bytes = (uint64_t)q->rct_clusters * cs;
    if (q->rct_clusters == 0 || bytes > QCOW2_MAX_RCT_BYTES) {
        err_set(e, "%s: refcount table size of %u clusters is out of range (1..%" PRIu64 ")",
                q->path, q->rct_clusters, (uint64_t)QCOW2_MAX_RCT_BYTES / cs);
        return -EINVAL;
    }
    if (q->rct_offset & (cs - 1) || q->rct_offset < cs) {
        err_set(e, "%s: refcount table at 0x%" PRIx64 " is %s", q->path, q->rct_offset,
                q->rct_offset < cs ? "inside the header cluster" : "not cluster aligned");
        return -EINVAL;
    }
    if (q->rct_offset > q->file->size || bytes > q->file->size - q->rct_offset) {
        err_set(e, "%s: refcount table at 0x%" PRIx64 " lies beyond end of file", q->path,
                q->rct_offset);
        return -EINVAL;
    }
    q->rct_entries = bytes / 8;
    q->rct = xmalloc(bytes);
    int r = hostfile_pread(q->file, q->rct, bytes, q->rct_offset);
    if (r) {
        err_set(e, "%s: cannot read refcount table: %s", q->path, strerror(-r));
        return r;
    }
    for (uint64_t i = 0; i < q->rct_entries; i++) {
        uint64_t v = qcow2_be64((uint8_t *)&q->rct[i]);
        q->rct[i] = v;
        if (!v)
            continue;
        if (v & QCOW2_RCTE_RESERVED || v & (cs - 1) || v < cs) {
            err_set(e, "%s: refcount table entry %" PRIu64 " (0x%" PRIx64 ") is %s", q->path, i, v,
                    v < cs ? "inside the header cluster" : "not cluster aligned");
            return -EINVAL;
        }
        if (v > q->file->size || cs > q->file->size - v) {
            err_set(e, "%s: refcount block at 0x%" PRIx64 " (refcount table entry %" PRIu64
                    ") lies beyond end of file", q->path, v, i);
            return -EINVAL;
        }
        qcow2_meta_add(q, v);
    }
    q->rb_bits = q->cluster_bits + 3 - q->refcount_order;
    q->refcount_max = q->refcount_order == 6 ? UINT64_MAX : (1ull << (1u << q->refcount_order)) - 1;
    return 0;
}

int qcow2_refcount_get(struct qcow2 *q, uint64_t cluster, uint64_t *out)
{
    uint64_t ti = cluster >> q->rb_bits;
    *out = 0;
    if (ti >= q->rct_entries || !q->rct[ti])
        return 0;
    uint8_t *b;
    int r = qcow2_cache_get(q, &q->rbc, q->rct[ti], true, &b);
    if (r)
        return r;
    *out = rb_read(b, cluster & ((1ull << q->rb_bits) - 1), q->refcount_order);
    return 0;
}

static int check_ref(struct qcow2 *q, uint64_t off, uint64_t len, const char *what,
                     struct err *e)
{
    uint64_t cs = q->cluster_size;
    for (uint64_t c = off / cs; c <= (off + len - 1) / cs; c++) {
        uint64_t rc;
        int r = qcow2_refcount_get(q, c, &rc);
        if (r) {
            err_set(e, "%s: cannot read refcounts: %s", q->path, strerror(-r));
            return r;
        }
        if (rc == 0) {
            err_set(e, "%s: the %s at 0x%" PRIx64 " has refcount 0; the image is corrupt "
                    "(repair it with 'qemu-img check -r all')", q->path, what, c * cs);
            return -EINVAL;
        }
    }
    return 0;
}

int qcow2_refcount_check_meta(struct qcow2 *q, struct err *e)
{
    int r = check_ref(q, 0, q->cluster_size, "header", e);
    if (!r && q->l1_size)
        r = check_ref(q, q->l1_offset, (uint64_t)q->l1_size * 8, "L1 table", e);
    if (!r)
        r = check_ref(q, q->rct_offset, (uint64_t)q->rct_clusters * q->cluster_size,
                      "refcount table", e);
    for (uint64_t i = 0; !r && i < q->rct_entries; i++)
        if (q->rct[i])
            r = check_ref(q, q->rct[i], q->cluster_size, "refcount block", e);
    for (uint32_t i = 0; !r && i < q->l1_size; i++)
        if (q->l1[i] & QCOW2_OFFSET_MASK)
            r = check_ref(q, q->l1[i] & QCOW2_OFFSET_MASK, q->cluster_size, "L2 table", e);
    return r;
}

/* ---- free space search ---- */

/* First free cluster at or after `c`. */
static int find_free(struct qcow2 *q, uint64_t c, uint64_t *out)
{
    uint64_t per = 1ull << q->rb_bits;
    for (;;) {
        uint64_t ti = c >> q->rb_bits;
        if (ti >= q->rct_entries || !q->rct[ti]) {
            *out = c;
            return 0;
        }
        uint8_t *b;
        int r = qcow2_cache_get(q, &q->rbc, q->rct[ti], true, &b);
        if (r)
            return r;
        for (uint64_t i = c & (per - 1); i < per; i++) {
            if (rb_read(b, i, q->refcount_order) == 0) {
                *out = (ti << q->rb_bits) + i;
                return 0;
            }
        }
        c = (ti + 1) << q->rb_bits;
    }
}

/* Length (up to `want`) of the free run starting at free cluster `c`. */
static int run_length(struct qcow2 *q, uint64_t c, uint64_t want, uint64_t *n)
{
    *n = 1;
    while (*n < want) {
        uint64_t rc;
        int r = qcow2_refcount_get(q, c + *n, &rc);
        if (r)
            return r;
        if (rc)
            break;
        (*n)++;
    }
    return 0;
}

/* A free run of exactly `len` clusters outside [af, af+an), at or after the
 * hint. */
static int find_free_run(struct qcow2 *q, uint64_t len, uint64_t af, uint64_t an, uint64_t *out)
{
    uint64_t c = q->free_hint > 1 ? q->free_hint : 1;
    for (;;) {
        int r = find_free(q, c, &c);
        if (r)
            return r;
        if (overlaps(c, len, af, an)) {
            c = af + an;
            continue;
        }
        uint64_t n;
        r = run_length(q, c, len, &n);
        if (r)
            return r;
        if (n == len) {
            *out = c;
            return 0;
        }
        c += n;
    }
}

/* ---- refcount updates ---- */

static int write_rct_entry(struct qcow2 *q, uint64_t ti)
{
    uint8_t be[8];
    qcow2_put_be64(be, q->rct[ti]);
    return hostfile_pwrite(q->file, be, sizeof(be), q->rct_offset + ti * 8);
}

static int grow_table(struct qcow2 *q, uint64_t need, uint64_t af, uint64_t an);

/* Create the missing refcount block for range `ti` inside that range,
 * avoiding the run [af, af+an) being allocated. */
static int create_block(struct qcow2 *q, uint64_t ti, uint64_t af, uint64_t an)
{
    uint64_t per = 1ull << q->rb_bits, cs = q->cluster_size;
    uint64_t b = ti << q->rb_bits;
    if (b == 0)
        b = 1;
    if (overlaps(b, 1, af, an))
        b = af + an;
    if (b >= (ti + 1) << q->rb_bits || b >= QCOW2_MAX_HOST_OFFSET / cs)
        return -EFBIG;
    if (qcow2_is_meta(q, b * cs, cs))
        return qcow2_corrupt(q, "cluster 0x%" PRIx64 " is metadata but has no refcount", b * cs);
    uint8_t *blk;
    int r = qcow2_cache_get(q, &q->rbc, b * cs, false, &blk);
    if (r)
        return r;
    rb_write(blk, b & (per - 1), q->refcount_order, 1);
    r = hostfile_pwrite(q->file, blk, cs, b * cs);
    if (!r)
        r = qcow2_barrier(q);
    if (r) {
        qcache_drop(&q->rbc, b * cs);
        return r;
    }
    q->rct[ti] = b * cs;
    qcow2_meta_add(q, b * cs);
    return write_rct_entry(q, ti);
}

/* Add `delta` (+1 or -1) to the refcounts of clusters [first, first+n);
 * increments avoid [first, first+n) when placing new metadata. */
static int update_range(struct qcow2 *q, uint64_t first, uint64_t n, int delta)
{
    uint64_t per = 1ull << q->rb_bits;
    while (n) {
        uint64_t ti = first >> q->rb_bits, i = first & (per - 1);
        uint64_t k = per - i < n ? per - i : n;
        int r = 0;
        if (delta > 0 && ti >= q->rct_entries)
            r = grow_table(q, ti + 1, first, n);
        if (!r && delta > 0 && !q->rct[ti])
            r = create_block(q, ti, first, n);
        if (r)
            return r;
        if (ti >= q->rct_entries || !q->rct[ti])
            return qcow2_corrupt(q, "freeing cluster 0x%" PRIx64 " that has no refcount block",
                                 first * q->cluster_size);
        uint8_t *b;
        r = qcow2_cache_get(q, &q->rbc, q->rct[ti], true, &b);
        if (r)
            return r;
        /* Check the whole piece first so that a failure changes nothing. */
        for (uint64_t j = i; j < i + k; j++) {
            uint64_t v = rb_read(b, j, q->refcount_order);
            if ((delta > 0 && v == q->refcount_max) || (delta < 0 && v == 0))
                return qcow2_corrupt(q, "refcount of cluster 0x%" PRIx64 " would %s",
                                     ((ti << q->rb_bits) + j) * q->cluster_size,
                                     delta > 0 ? "overflow" : "drop below 0");
        }
        for (uint64_t j = i; j < i + k; j++) {
            uint64_t v = rb_read(b, j, q->refcount_order);
            rb_write(b, j, q->refcount_order, delta > 0 ? v + 1 : v - 1);
        }
        size_t lo, hi;
        rb_bytes(q, i, k, &lo, &hi);
        qcache_mark_dirty(&q->rbc, q->rct[ti], lo, hi);
        first += k;
        n -= k;
    }
    return 0;
}

/* Ranges overlapping clusters [c, c+len) that have no refcount block. */
static uint64_t missing_blocks(const struct qcow2 *q, uint64_t c, uint64_t len)
{
    uint64_t cnt = 0;
    for (uint64_t ti = c >> q->rb_bits; ti <= (c + len - 1) >> q->rb_bits; ti++)
        cnt += ti >= q->rct_entries || !q->rct[ti];
    return cnt;
}

/* Where a grown table of `ne` entries goes: [*p, *p+m) for the table then
 * its new blocks, *k clusters. */
static int place_table(struct qcow2 *q, uint64_t *ne, uint64_t af, uint64_t an, uint64_t *p,
                       uint64_t *k)
{
    uint64_t per_cluster = q->cluster_size / 8;
    for (;;) {
        if (*ne * 8 > QCOW2_MAX_RCT_BYTES) {
            log_error("block", "%s: refcount table would exceed %u MiB", q->path,
                      QCOW2_MAX_RCT_BYTES >> 20);
            return -EFBIG;
        }
        uint64_t m = *ne / per_cluster;
        *k = 0;
        for (;;) {
            int r = find_free_run(q, m + *k, af, an, p);
            if (r)
                return r;
            uint64_t need = missing_blocks(q, *p, m + *k);
            if (need <= *k)
                break;
            *k = need;
        }
        uint64_t last_ti = (*p + m + *k - 1) >> q->rb_bits;
        if (last_ti < *ne)
            return 0;
        *ne = (last_ti + 1 + per_cluster - 1) / per_cluster * per_cluster;
    }
}

/* Give every block-less range touching the run [p, p+m+k) a new block at
 * p+m.. in `nt`, write those blocks counting the table and block clusters
 * they describe, and count the ones landing in existing blocks there. */
static int write_new_blocks(struct qcow2 *q, uint64_t *nt, uint64_t old, uint64_t p, uint64_t m,
                            uint64_t k)
{
    uint64_t cs = q->cluster_size, per = 1ull << q->rb_bits, nb = 0;
    uint64_t first = p >> q->rb_bits, last = (p + m + k - 1) >> q->rb_bits;
    for (uint64_t ti = first; ti <= last; ti++)
        if (ti >= old || !q->rct[ti])
            nt[ti] = (p + m + nb++) * cs;
    uint64_t end = p + m + nb; /* clusters [p, end) are now in use */
    uint8_t *buf = xzalloc(cs);
    int r = 0;
    for (uint64_t ti = first; !r && ti <= last; ti++) {
        uint64_t lo = ti << q->rb_bits > p ? ti << q->rb_bits : p;
        uint64_t hi = (ti + 1) << q->rb_bits < end ? (ti + 1) << q->rb_bits : end;
        if (ti < old && q->rct[ti]) {
            if (lo < hi)
                r = update_range(q, lo, hi - lo, +1);
            continue;
        }
        memset(buf, 0, cs);
        for (uint64_t c = lo; c < hi; c++)
            rb_write(buf, c & (per - 1), q->refcount_order, 1);
        r = hostfile_pwrite(q->file, buf, cs, nt[ti]);
    }
    free(buf);
    bool wrote = false;
    if (!r)
        r = qcow2_cache_write_dirty(q, &q->rbc, &wrote);
    return r;
}

/* Write the new table at cluster p, sync, point the header at it (rule 4). */
static int switch_table(struct qcow2 *q, uint64_t *nt, uint64_t ne, uint64_t p, uint64_t m)
{
    uint64_t cs = q->cluster_size;
    uint8_t *be = xmalloc(ne * 8);
    for (uint64_t i = 0; i < ne; i++)
        qcow2_put_be64(be + i * 8, nt[i]);
    int r = hostfile_pwrite(q->file, be, ne * 8, p * cs);
    free(be);
    if (!r)
        r = qcow2_barrier(q);
    uint8_t hdr[12];
    qcow2_put_be64(hdr, p * cs);
    qcow2_put_be32(hdr + 8, (uint32_t)m);
    if (!r)
        r = qcow2_write_header_field(q, QCOW2_HDR_REFCOUNT_TABLE_OFFSET, hdr, sizeof(hdr));
    return r;
}

static int grow_table(struct qcow2 *q, uint64_t need, uint64_t af, uint64_t an)
{
    uint64_t cs = q->cluster_size, per_cluster = cs / 8, old = q->rct_entries;
    uint64_t ne = need > old * 2 ? need : old * 2;
    ne = (ne + per_cluster - 1) / per_cluster * per_cluster;
    uint64_t p, k;
    int r = place_table(q, &ne, af, an, &p, &k);
    if (r)
        return r;
    uint64_t m = ne / per_cluster;
    uint64_t *nt = xcalloc(ne, sizeof(*nt));
    memcpy(nt, q->rct, old * sizeof(*nt));
    r = write_new_blocks(q, nt, old, p, m, k);
    if (!r)
        r = qcow2_barrier(q);
    if (!r)
        r = switch_table(q, nt, ne, p, m);
    if (r) {
        /* The new clusters stay counted but unused: a leak, not corruption. */
        free(nt);
        return r;
    }
    qcow2_free_later(q, q->rct_offset, (uint64_t)q->rct_clusters * cs);
    for (uint64_t ti = 0; ti < ne; ti++)
        if (nt[ti] && (ti >= old || !q->rct[ti]))
            qcow2_meta_add(q, nt[ti]);
    free(q->rct);
    q->rct = nt;
    q->rct_entries = ne;
    q->rct_offset = p * cs;
    q->rct_clusters = (uint32_t)m;
    return 0;
}

/* ---- allocation and frees ---- */

int qcow2_alloc_clusters(struct qcow2 *q, uint64_t want, uint64_t *off, uint64_t *got)
{
    uint64_t cs = q->cluster_size, cap = (1ull << q->rb_bits) / 2;
    if (q->broken)
        return -EIO;
    if (want > cap)
        want = cap; /* leaves room for a new refcount block in its own range */
    /* First fit from the hint: sequential guest writes get contiguous host
     * clusters, which the read path turns into single preadv calls. */
    uint64_t c, n;
    int r = find_free(q, q->free_hint > 1 ? q->free_hint : 1, &c);
    if (!r)
        r = run_length(q, c, want, &n);
    if (r)
        return r;
    if (c + n > QCOW2_MAX_HOST_OFFSET / cs)
        return -EFBIG;
    if (qcow2_is_meta(q, c * cs, n * cs))
        return qcow2_corrupt(q, "free cluster 0x%" PRIx64 " is in use as metadata", c * cs);
    q->free_hint = c + n;
    r = update_range(q, c, n, +1);
    if (r)
        return r;
    *off = c * cs;
    *got = n;
    return 0;
}

void qcow2_free_later(struct qcow2 *q, uint64_t off, uint64_t len)
{
    if (q->nfrees && q->frees[q->nfrees - 1].off + q->frees[q->nfrees - 1].len == off &&
        !(off & (q->cluster_size - 1)) && !(len & (q->cluster_size - 1))) {
        q->frees[q->nfrees - 1].len += len;
        return;
    }
    if (q->nfrees == q->frees_cap) {
        q->frees_cap = q->frees_cap ? q->frees_cap * 2 : 64;
        q->frees = xrealloc(q->frees, q->frees_cap * sizeof(*q->frees));
    }
    q->frees[q->nfrees++] = (struct qcow2_range){.off = off, .len = len};
}

int qcow2_frees_limit(struct qcow2 *q)
{
    return q->nfrees >= QCOW2_MAX_FREES ? qcow2_meta_flush(q) : 0;
}

/* Give freed clusters back to the host file system. Best effort: a failure
 * only costs space, the refcount already says the clusters are free. */
static void punch(struct qcow2 *q, uint64_t first, uint64_t n)
{
    int r = hostfile_punch(q->file, first * q->cluster_size, n * q->cluster_size);
    (void)r;
}

/* Decrement clusters [first, first+n); punch and forget those reaching 0. */
static int unref(struct qcow2 *q, uint64_t first, uint64_t n)
{
    uint64_t cs = q->cluster_size, punch_from = 0, punch_n = 0;
    for (uint64_t c = first; c < first + n; c++) {
        if (qcow2_is_meta(q, c * cs, cs))
            return qcow2_corrupt(q, "refusing to free metadata cluster 0x%" PRIx64, c * cs);
        int r = update_range(q, c, 1, -1);
        uint64_t rc = 1;
        if (!r)
            r = qcow2_refcount_get(q, c, &rc);
        if (r)
            return r;
        if (rc)
            continue;
        qcache_drop(&q->l2c, c * cs);
        q->zvalid = false;
        if (c < q->free_hint)
            q->free_hint = c;
        if (punch_n && punch_from + punch_n == c) {
            punch_n++;
            continue;
        }
        if (punch_n)
            punch(q, punch_from, punch_n);
        punch_from = c;
        punch_n = 1;
    }
    if (punch_n)
        punch(q, punch_from, punch_n);
    return 0;
}

int qcow2_unref_now(struct qcow2 *q, uint64_t off, uint64_t len)
{
    uint64_t cs = q->cluster_size;
    return unref(q, off / cs, (off + len - 1) / cs - off / cs + 1);
}

int qcow2_apply_frees(struct qcow2 *q)
{
    int ret = 0;
    for (size_t i = 0; i < q->nfrees; i++) {
        int r = qcow2_unref_now(q, q->frees[i].off, q->frees[i].len);
        if (r && !ret)
            ret = r; /* keep going: the rest are independent */
    }
    q->nfrees = 0;
    return ret;
}
