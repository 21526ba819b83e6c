/* SPDX-License-Identifier: MIT */
/*
 * blk: the virtio block device (virtio 1.2 §5.2) on a disk image from
 * block/ (raw or qcow2). One request queue; requests run to completion on
 * the I/O thread, so a flush has reached fdatasync before its status is
 * returned.
 */
#ifndef RV_VIRTIO_BLK_H
#define RV_VIRTIO_BLK_H

#include "block/image.h"
#include "virtio/mmio.h"

#define VIRTIO_BLK_QUEUE_SIZE 256
#define VIRTIO_BLK_SIZE_MAX (4u << 20)                 /* bytes per segment (size_max) */
#define VIRTIO_BLK_SEG_MAX (VIRTIO_BLK_QUEUE_SIZE - 2) /* data segments per request */
#define VIRTIO_BLK_MAX_DISCARD_SEG 32
#define VIRTIO_BLK_ID_BYTES 20

/* Create a virtio-blk device serving `img`. `serial` (may be NULL: the
 * image's file name) is what GET_ID returns, truncated to 20 bytes.
 * Returns 0 with *out set and the image owned by the device (closed by
 * virtio_dev_free), or -errno with `e` filled and the image still the
 * caller's. Main thread. */
/* What a disk counted since it was created (a guest reboot keeps them):
 * requests completed with VIRTIO_BLK_S_OK and their data bytes, by type;
 * errors are the requests answered otherwise (IOERR, UNSUPP) plus chains too
 * broken to answer. */
struct virtio_blk_stats {
    uint64_t rd_reqs, rd_bytes;
    uint64_t wr_reqs, wr_bytes;
    uint64_t flushes;
    uint64_t errors;
};

int virtio_blk_new(struct virtio_dev **out, const struct virtio_mmio_params *p,
                   struct blk_image *img, const char *serial, struct err *e)
    __attribute__((warn_unused_result));

/* The counters of virtio-blk device `d`. Any thread, without a lock: each
 * value is read whole (util/counter.h), the set is not one snapshot. */
void virtio_blk_get_stats(struct virtio_dev *d, struct virtio_blk_stats *out);

#endif
