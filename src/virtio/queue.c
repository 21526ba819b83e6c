/* SPDX-License-Identifier: MIT */
/*
 * queue: split virtqueue, device side (virtio 1.2 §2.7). See queue.h.
 *
 * Memory model (§2.7.13): the driver writes descriptors and ring entries,
 * then avail.idx; we load avail.idx with acquire before reading entries.
 * We write used entries, then used.idx with release. The event-index checks
 * on both sides need a full fence between "publish my index" and "read the
 * other side's event field" (§2.7.10), hence the seq_cst fences below.
 *
 * Ring layout in guest memory (all little-endian):
 *   desc:  struct virtq_desc[size]                      16-byte aligned
 *   avail: le16 flags, idx, ring[size], used_event      2-byte aligned
 *   used:  le16 flags, idx, {le32 id, len}[size], le16 avail_event   4-byte aligned
 */
#include "virtio/queue.h"

#include <endian.h>
#include <errno.h>
#include <string.h>

#define AVAIL_FLAGS 0
#define AVAIL_IDX 1
#define AVAIL_RING 2

static inline uint16_t load16(const uint16_t *p, int order)
{
    return le16toh(__atomic_load_n(p, order));
}

static inline void store16(uint16_t *p, uint16_t v, int order)
{
    __atomic_store_n(p, htole16(v), order);
}

int virtq_init(struct virtq *q, struct ram *ram, uint16_t size, uint64_t desc, uint64_t avail,
               uint64_t used, bool event_idx, bool indirect)
{
    /* guest-controlled: size and all three addresses (§2.7 alignment table) */
    if (size == 0 || size > VIRTQ_MAX_SIZE)
        return -EINVAL;
    if ((desc & 15) || (avail & 1) || (used & 3))
        return -EINVAL;
    void *d = ram_ptr(ram, desc, 16ull * size);
    void *a = ram_ptr(ram, avail, 6 + 2ull * size);
    void *u = ram_ptr(ram, used, 6 + 8ull * size);
    if (!d || !a || !u)
        return -EINVAL;
    *q = (struct virtq){
        .ram = ram,
        .ready = true,
        .event_idx = event_idx,
        .indirect = indirect,
        .size = size,
        .desc_gpa = desc,
        .avail_gpa = avail,
        .used_gpa = used,
        .desc = d,
        .avail = a,
        .used = u,
    };
    return 0;
}

void virtq_reset(struct virtq *q)
{
    *q = (struct virtq){0};
}

/* Read descriptor `i` of a table (possibly an unaligned indirect table). */
static void read_desc(const uint8_t *table, unsigned i, struct virtq_desc *d)
{
    memcpy(d, table + 16ull * i, sizeof(*d));
    d->addr = le64toh(d->addr);
    d->len = le32toh(d->len);
    d->flags = le16toh(d->flags);
    d->next = le16toh(d->next);
}

/* Append one buffer to `e`; -EINVAL if it breaks a rule. */
static int add_buffer(struct virtq *q, struct virtq_elem *e, const struct virtq_desc *d)
{
    bool writable = d->flags & VIRTQ_DESC_F_WRITE;
    /* guest-controlled: §2.7.4.2, readable buffers come before writable ones */
    if (!writable && e->nin)
        return -EINVAL;
    if (d->len == 0)
        return 0;
    /* guest-controlled: the whole buffer must be RAM (wrapping included) */
    void *host = ram_ptr(q->ram, d->addr, d->len);
    if (!host || e->nout + e->nin >= VIRTQ_MAX_SEGS)
        return -EINVAL;
    uint64_t *total = writable ? &e->in_len : &e->out_len;
    *total += d->len;
    if (*total > VIRTQ_MAX_BYTES)
        return -EINVAL;
    unsigned n = e->nout + e->nin;
    e->iov[n] = (struct iovec){host, d->len};
    e->gpa[n] = d->addr;
    if (writable)
        e->nin++;
    else
        e->nout++;
    return 0;
}

/* Walk the chain starting at `head` (§2.7.5). Every step is counted: at
 * most `size` in the ring's table, at most the table's entry count in an
 * indirect table, so loops end. */
static int walk_chain(struct virtq *q, struct virtq_elem *e, uint16_t head)
{
    const uint8_t *table = (const uint8_t *)q->desc;
    unsigned tsize = q->size, idx = head, steps = q->size;
    bool in_indirect = false;
    for (;;) {
        /* guest-controlled: a loop or over-long chain runs out of steps */
        if (steps-- == 0)
            return -EINVAL;
        struct virtq_desc d;
        read_desc(table, idx, &d);
        if (d.flags & VIRTQ_DESC_F_INDIRECT) {
            /* guest-controlled: §2.7.5.3.1, only if negotiated, not nested,
             * not combined with NEXT, a whole number of descriptors */
            if (!q->indirect || in_indirect || (d.flags & VIRTQ_DESC_F_NEXT))
                return -EINVAL;
            if (d.len == 0 || d.len % 16 || d.len / 16 > VIRTQ_MAX_INDIRECT)
                return -EINVAL;
            table = ram_ptr(q->ram, d.addr, d.len);
            if (!table)
                return -EINVAL;
            tsize = d.len / 16;
            steps = tsize;
            idx = 0;
            in_indirect = true;
            continue;
        }
        if (add_buffer(q, e, &d) < 0)
            return -EINVAL;
        if (!(d.flags & VIRTQ_DESC_F_NEXT))
            return 0;
        idx = d.next;
        /* guest-controlled: next must index the current table */
        if (idx >= tsize)
            return -EINVAL;
    }
}

int virtq_pop(struct virtq *q, struct virtq_elem *e)
{
    if (!q->ready)
        return 0;
    uint16_t avail_idx = load16(&q->avail[AVAIL_IDX], __ATOMIC_ACQUIRE);
    uint16_t pending = (uint16_t)(avail_idx - q->last_avail);
    if (pending == 0)
        return 0;
    /* guest-controlled: the driver cannot have more than `size` buffers out */
    if (pending > q->size)
        return -EINVAL;
    uint16_t head = load16(&q->avail[AVAIL_RING + q->last_avail % q->size], __ATOMIC_RELAXED);
    /* guest-controlled: head index */
    if (head >= q->size)
        return -EINVAL;
    e->head = head;
    e->nout = e->nin = 0;
    e->out_len = e->in_len = 0;
    int r = walk_chain(q, e, head);
    if (r < 0)
        return r;
    q->last_avail++;
    return 1;
}

void virtq_unpop(struct virtq *q)
{
    q->last_avail--;
}

void virtq_push(struct virtq *q, const struct virtq_elem *e, uint32_t len)
{
    if (len > e->in_len)
        len = (uint32_t)e->in_len;
    /* Report what we wrote into the chain's writable buffers. */
    uint64_t left = len;
    for (unsigned i = e->nout; i < e->nout + e->nin && left; i++) {
        uint64_t n = e->iov[i].iov_len < left ? e->iov[i].iov_len : left;
        ram_mark_written(q->ram, e->gpa[i], n);
        left -= n;
    }
    unsigned slot = q->used_idx % q->size;
    uint8_t *u = (uint8_t *)q->used + 4 + 8ull * slot;
    struct virtq_used_elem el = {htole32(e->head), htole32(len)};
    memcpy(u, &el, sizeof(el));
    ram_mark_written(q->ram, q->used_gpa + 4 + 8ull * slot, sizeof(el));
    q->used_idx++;
    store16(&q->used[1], q->used_idx, __ATOMIC_RELEASE);
    ram_mark_written(q->ram, q->used_gpa + 2, 2);
}

/* §2.7.10: vring_need_event() from the spec's example code. */
static bool need_event(uint16_t event, uint16_t new_idx, uint16_t old)
{
    return (uint16_t)(new_idx - event - 1) < (uint16_t)(new_idx - old);
}

bool virtq_need_interrupt(struct virtq *q)
{
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    if (!q->event_idx)
        return !(load16(&q->avail[AVAIL_FLAGS], __ATOMIC_RELAXED) & VIRTQ_AVAIL_F_NO_INTERRUPT);
    uint16_t old = q->signalled_used, new_idx = q->used_idx;
    bool valid = q->signalled_valid;
    q->signalled_used = new_idx;
    q->signalled_valid = true;
    if (!valid)
        return true;
    uint16_t used_event = load16(&q->avail[AVAIL_RING + q->size], __ATOMIC_RELAXED);
    return need_event(used_event, new_idx, old);
}

bool virtq_enable_notify(struct virtq *q)
{
    if (!q->ready)
        return false;
    if (q->event_idx) {
        /* avail_event follows used.ring[size] */
        store16(&q->used[2 + 4 * (unsigned)q->size], q->last_avail, __ATOMIC_RELAXED);
        ram_mark_written(q->ram, q->used_gpa + 4 + 8ull * q->size, 2);
    }
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    return load16(&q->avail[AVAIL_IDX], __ATOMIC_ACQUIRE) != q->last_avail;
}

size_t virtq_copy_from_out(const struct virtq_elem *e, size_t skip, void *buf, size_t len)
{
    size_t done = 0;
    for (unsigned i = 0; i < e->nout && done < len; i++) {
        size_t n = e->iov[i].iov_len;
        if (skip >= n) {
            skip -= n;
            continue;
        }
        size_t c = n - skip < len - done ? n - skip : len - done;
        memcpy((uint8_t *)buf + done, (uint8_t *)e->iov[i].iov_base + skip, c);
        done += c;
        skip = 0;
    }
    return done;
}

size_t virtq_copy_to_in(const struct virtq_elem *e, size_t skip, const void *buf, size_t len)
{
    size_t done = 0;
    for (unsigned i = e->nout; i < e->nout + e->nin && done < len; i++) {
        size_t n = e->iov[i].iov_len;
        if (skip >= n) {
            skip -= n;
            continue;
        }
        size_t c = n - skip < len - done ? n - skip : len - done;
        memcpy((uint8_t *)e->iov[i].iov_base + skip, (const uint8_t *)buf + done, c);
        done += c;
        skip = 0;
    }
    return done;
}

int virtq_iov_slice(struct iovec *dst, int max, const struct iovec *iov, unsigned cnt,
                    uint64_t skip, uint64_t len)
{
    int n = 0;
    for (unsigned i = 0; i < cnt && len; i++) {
        uint64_t l = iov[i].iov_len;
        if (skip >= l) {
            skip -= l;
            continue;
        }
        uint64_t c = l - skip < len ? l - skip : len;
        if (n == max)
            return -1;
        dst[n++] = (struct iovec){(uint8_t *)iov[i].iov_base + skip, c};
        len -= c;
        skip = 0;
    }
    return len ? -1 : n;
}
