/* SPDX-License-Identifier: MIT */
/*
 * blk: virtio-blk (virtio 1.2 §5.2) over block/'s image API. See blk.h.
 *
 * A request is a header {le32 type, le32 reserved, le64 sector} in the
 * readable part, then data (readable for writes, writable for reads), then
 * one writable status byte at the very end (§5.2.6). The device makes no
 * assumption about how the driver splits this over descriptors (§2.7.4,
 * VIRTIO_F_ANY_LAYOUT is implied by VERSION_1): the header and segments are
 * copied out of the chain, data is sliced into iovecs over guest RAM and
 * handed to blk_preadv/blk_pwritev without a bounce buffer.
 *
 * Errors: a request with no room for a header or status byte is a broken
 * driver (NEEDS_RESET); anything else the device cannot do is answered with
 * VIRTIO_BLK_S_IOERR (bad range, host I/O error, write to a read-only disk)
 * or VIRTIO_BLK_S_UNSUPP (unknown type, unmap flag on discard).
 *
 * Threads: requests run on the I/O thread under the device's io_lock, one
 * at a time, to completion; the image is only used there (and by
 * virtio_dev_free after the loop stopped).
 */
#include "virtio/blk.h"

#include <endian.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "util/alloc.h"
#include "util/counter.h"
#include "util/log.h"

/* Feature bits (§5.2.3). */
#define VIRTIO_BLK_F_SIZE_MAX 1
#define VIRTIO_BLK_F_SEG_MAX 2
#define VIRTIO_BLK_F_RO 5
#define VIRTIO_BLK_F_BLK_SIZE 6
#define VIRTIO_BLK_F_FLUSH 9
#define VIRTIO_BLK_F_DISCARD 13
#define VIRTIO_BLK_F_WRITE_ZEROES 14

/* Request types and status (§5.2.6). */
#define VIRTIO_BLK_T_IN 0
#define VIRTIO_BLK_T_OUT 1
#define VIRTIO_BLK_T_FLUSH 4
#define VIRTIO_BLK_T_GET_ID 8
#define VIRTIO_BLK_T_DISCARD 11
#define VIRTIO_BLK_T_WRITE_ZEROES 13
#define VIRTIO_BLK_S_OK 0
#define VIRTIO_BLK_S_IOERR 1
#define VIRTIO_BLK_S_UNSUPP 2
#define VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP 1

/* Config space layout (§5.2.4). */
#define CFG_CAPACITY 0
#define CFG_SIZE_MAX 8
#define CFG_SEG_MAX 12
#define CFG_BLK_SIZE 20
#define CFG_MAX_DISCARD_SECTORS 36
#define CFG_MAX_DISCARD_SEG 40
#define CFG_DISCARD_SECTOR_ALIGNMENT 44
#define CFG_MAX_WRITE_ZEROES_SECTORS 48
#define CFG_MAX_WRITE_ZEROES_SEG 52
#define CFG_WRITE_ZEROES_MAY_UNMAP 56
#define CFG_SIZE 60

#define SECTOR 512u
#define MAX_RANGE_SECTORS 0x3fffffu /* per discard/write-zeroes segment: 2 GiB */
#define MAX_REQS_PER_KICK (4 * VIRTIO_BLK_QUEUE_SIZE)

struct blk_req_hdr {
    uint32_t type;
    uint32_t reserved;
    uint64_t sector;
};

struct blk_range {
    uint64_t sector;
    uint32_t num_sectors;
    uint32_t flags;
};

struct vblk {
    struct virtio_dev *vdev;
    struct virtio_dev_ops ops;
    struct blk_image *img;
    uint64_t sectors;
    char id[VIRTIO_BLK_ID_BYTES];
    struct virtq_elem elem;
    struct iovec data[VIRTQ_MAX_SEGS];
    /* written by whoever holds io_lock, read by anyone (virtio_blk_get_stats) */
    struct {
        counter_t rd_reqs, rd_bytes, wr_reqs, wr_bytes, flushes, errors;
    } st;
};

/* guest-controlled: [sector, sector+count) must lie inside the disk */
static bool range_ok(const struct vblk *b, uint64_t sector, uint64_t count)
{
    return sector <= b->sectors && count <= b->sectors - sector;
}

static uint8_t status_of(int r)
{
    return r < 0 ? VIRTIO_BLK_S_IOERR : VIRTIO_BLK_S_OK;
}

/* IN or OUT: the data is bytes [skip, skip+len) of the chain's readable
 * (write) or writable (read) iovecs. */
static uint8_t do_rw(struct vblk *b, const struct virtq_elem *e, uint64_t sector, bool write)
{
    uint64_t len = write ? e->out_len - sizeof(struct blk_req_hdr) : e->in_len - 1;
    /* guest-controlled: whole sectors, inside the disk */
    if (len % SECTOR || !range_ok(b, sector, len / SECTOR))
        return VIRTIO_BLK_S_IOERR;
    if (write && blk_readonly(b->img))
        return VIRTIO_BLK_S_IOERR;
    if (len == 0)
        return VIRTIO_BLK_S_OK;
    const struct iovec *iov = write ? e->iov : e->iov + e->nout;
    unsigned cnt = write ? e->nout : e->nin;
    int n = virtq_iov_slice(b->data, VIRTQ_MAX_SEGS, iov, cnt,
                            write ? sizeof(struct blk_req_hdr) : 0, len);
    if (n < 0)
        return VIRTIO_BLK_S_IOERR;
    int r = write ? blk_pwritev(b->img, b->data, n, sector * SECTOR)
                  : blk_preadv(b->img, b->data, n, sector * SECTOR);
    if (r < 0)
        log_debug("virtio-blk", "%s: %s of %llu bytes at sector %llu: %s", blk_path(b->img),
                  write ? "write" : "read", (unsigned long long)len, (unsigned long long)sector,
                  strerror(-r));
    return status_of(r);
}

/* DISCARD or WRITE_ZEROES: an array of ranges after the header (§5.2.6). */
static uint8_t do_ranges(struct vblk *b, const struct virtq_elem *e, uint32_t type)
{
    uint64_t bytes = e->out_len - sizeof(struct blk_req_hdr);
    /* guest-controlled: whole segments, at most max_*_seg of them */
    if (bytes == 0 || bytes % sizeof(struct blk_range) ||
        bytes / sizeof(struct blk_range) > VIRTIO_BLK_MAX_DISCARD_SEG)
        return VIRTIO_BLK_S_IOERR;
    if (blk_readonly(b->img))
        return VIRTIO_BLK_S_IOERR;
    for (uint64_t off = 0; off < bytes; off += sizeof(struct blk_range)) {
        struct blk_range rg;
        virtq_copy_from_out(e, sizeof(struct blk_req_hdr) + off, &rg, sizeof(rg));
        uint64_t sector = le64toh(rg.sector);
        uint32_t count = le32toh(rg.num_sectors), flags = le32toh(rg.flags);
        /* guest-controlled: §5.2.6.2 unmap is not valid for discard; ranges
         * inside the disk and the advertised limit */
        if (type == VIRTIO_BLK_T_DISCARD && (flags & VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP))
            return VIRTIO_BLK_S_UNSUPP;
        if (flags & ~(uint32_t)VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP)
            return VIRTIO_BLK_S_UNSUPP;
        if (count > MAX_RANGE_SECTORS || !range_ok(b, sector, count))
            return VIRTIO_BLK_S_IOERR;
        int r = type == VIRTIO_BLK_T_DISCARD
                    ? blk_discard(b->img, sector * SECTOR, (uint64_t)count * SECTOR)
                    : blk_write_zeroes(b->img, sector * SECTOR, (uint64_t)count * SECTOR);
        if (r < 0)
            return VIRTIO_BLK_S_IOERR;
    }
    return VIRTIO_BLK_S_OK;
}

static void count(struct vblk *b, const struct virtq_elem *e, uint32_t type, uint8_t st)
{
    if (st != VIRTIO_BLK_S_OK) {
        counter_inc(&b->st.errors);
        return;
    }
    switch (type) {
    case VIRTIO_BLK_T_IN:
        counter_inc(&b->st.rd_reqs);
        counter_add(&b->st.rd_bytes, e->in_len - 1);
        break;
    case VIRTIO_BLK_T_OUT:
        counter_inc(&b->st.wr_reqs);
        counter_add(&b->st.wr_bytes, e->out_len - sizeof(struct blk_req_hdr));
        break;
    case VIRTIO_BLK_T_FLUSH: counter_inc(&b->st.flushes); break;
    default: break;
    }
}

/* Serve one request. Returns the bytes written into the chain (data plus
 * status), or -EINVAL if the chain cannot hold a request at all. */
static int64_t handle(struct vblk *b, const struct virtq_elem *e)
{
    struct blk_req_hdr h;
    /* guest-controlled: room for the header and the status byte */
    if (e->in_len < 1 || virtq_copy_from_out(e, 0, &h, sizeof(h)) != sizeof(h))
        return -EINVAL;
    uint32_t type = le32toh(h.type);
    uint64_t sector = le64toh(h.sector);
    uint64_t written = 1;
    uint8_t st;
    switch (type) {
    case VIRTIO_BLK_T_IN:
        st = do_rw(b, e, sector, false);
        written = e->in_len;
        break;
    case VIRTIO_BLK_T_OUT: st = do_rw(b, e, sector, true); break;
    case VIRTIO_BLK_T_FLUSH: st = status_of(blk_flush(b->img)); break;
    case VIRTIO_BLK_T_GET_ID: {
        uint64_t n = e->in_len - 1 < sizeof(b->id) ? e->in_len - 1 : sizeof(b->id);
        virtq_copy_to_in(e, 0, b->id, n);
        st = VIRTIO_BLK_S_OK;
        written = n + 1;
        break;
    }
    case VIRTIO_BLK_T_DISCARD:
    case VIRTIO_BLK_T_WRITE_ZEROES: st = do_ranges(b, e, type); break;
    default: st = VIRTIO_BLK_S_UNSUPP; break;
    }
    count(b, e, type, st);
    /* the status byte is the last writable byte (§5.2.6) */
    virtq_copy_to_in(e, e->in_len - 1, &st, 1);
    unsigned last = e->nout + e->nin - 1;
    ram_mark_written(b->vdev->ram, e->gpa[last] + e->iov[last].iov_len - 1, 1);
    return (int64_t)written;
}

static void blk_queue_notify(void *opaque, unsigned q)
{
    struct vblk *b = opaque;
    struct virtq *vq = &b->vdev->vq[q];
    unsigned served = 0;
    for (;;) {
        bool pushed = false;
        int r;
        while ((r = virtq_pop(vq, &b->elem)) > 0) {
            int64_t len = handle(b, &b->elem);
            if (len < 0) {
                counter_inc(&b->st.errors);
                virtio_dev_set_needs_reset(b->vdev, "virtio-blk request without header or status");
                return;
            }
            virtq_push(vq, &b->elem, (uint32_t)len);
            pushed = true;
            /* Let a reset or other devices in between a flood of requests. */
            if (++served >= MAX_REQS_PER_KICK)
                break;
        }
        if (r < 0) {
            counter_inc(&b->st.errors);
            virtio_dev_set_needs_reset(b->vdev, "malformed descriptor chain");
            return;
        }
        if (pushed && virtq_need_interrupt(vq))
            virtio_dev_notify_used(b->vdev);
        if (served >= MAX_REQS_PER_KICK) {
            virtio_dev_kick(b->vdev, q);
            return;
        }
        if (!virtq_enable_notify(vq))
            return;
    }
}

static void blk_free(void *opaque)
{
    struct vblk *b = opaque;
    blk_close(b->img);
    free(b);
}

static void fill_config(struct vblk *b, uint8_t *c)
{
    uint32_t align = blk_get_format(b->img) == BLK_FORMAT_QCOW2 ? 128 : 8;
    virtio_put_le64(c + CFG_CAPACITY, b->sectors);
    virtio_put_le32(c + CFG_SIZE_MAX, VIRTIO_BLK_SIZE_MAX);
    virtio_put_le32(c + CFG_SEG_MAX, VIRTIO_BLK_SEG_MAX);
    virtio_put_le32(c + CFG_BLK_SIZE, SECTOR);
    virtio_put_le32(c + CFG_MAX_DISCARD_SECTORS, MAX_RANGE_SECTORS);
    virtio_put_le32(c + CFG_MAX_DISCARD_SEG, VIRTIO_BLK_MAX_DISCARD_SEG);
    virtio_put_le32(c + CFG_DISCARD_SECTOR_ALIGNMENT, align);
    virtio_put_le32(c + CFG_MAX_WRITE_ZEROES_SECTORS, MAX_RANGE_SECTORS);
    virtio_put_le32(c + CFG_MAX_WRITE_ZEROES_SEG, VIRTIO_BLK_MAX_DISCARD_SEG);
    c[CFG_WRITE_ZEROES_MAY_UNMAP] = 1;
}

void virtio_blk_get_stats(struct virtio_dev *d, struct virtio_blk_stats *out)
{
    const struct vblk *b = d->opaque;
    *out = (struct virtio_blk_stats){
        .rd_reqs = counter_get(&b->st.rd_reqs),
        .rd_bytes = counter_get(&b->st.rd_bytes),
        .wr_reqs = counter_get(&b->st.wr_reqs),
        .wr_bytes = counter_get(&b->st.wr_bytes),
        .flushes = counter_get(&b->st.flushes),
        .errors = counter_get(&b->st.errors),
    };
}

int virtio_blk_new(struct virtio_dev **out, const struct virtio_mmio_params *p,
                   struct blk_image *img, const char *serial, struct err *e)
{
    struct vblk *b = xzalloc(sizeof(*b));
    b->img = img;
    b->sectors = blk_size(img) / SECTOR;
    if (!serial) {
        const char *slash = strrchr(blk_path(img), '/');
        serial = slash ? slash + 1 : blk_path(img);
    }
    memcpy(b->id, serial, strnlen(serial, sizeof(b->id)));
    uint64_t f = (1ull << VIRTIO_BLK_F_SIZE_MAX) | (1ull << VIRTIO_BLK_F_SEG_MAX) |
                 (1ull << VIRTIO_BLK_F_BLK_SIZE) | (1ull << VIRTIO_BLK_F_FLUSH);
    if (blk_readonly(img))
        f |= 1ull << VIRTIO_BLK_F_RO;
    else
        f |= (1ull << VIRTIO_BLK_F_DISCARD) | (1ull << VIRTIO_BLK_F_WRITE_ZEROES);
    b->ops = (struct virtio_dev_ops){
        .name = "virtio-blk",
        .device_id = VIRTIO_ID_BLOCK,
        .features = f,
        .nqueues = 1,
        .queue_max = VIRTIO_BLK_QUEUE_SIZE,
        .config_size = CFG_SIZE,
        .queue_notify = blk_queue_notify,
        .free = blk_free,
    };
    int r = virtio_mmio_new(&b->vdev, &b->ops, b, p, e);
    if (r < 0) {
        free(b);
        return r;
    }
    fill_config(b, b->vdev->config);
    *out = b->vdev;
    return 0;
}
