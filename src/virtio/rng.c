/* SPDX-License-Identifier: MIT */
/*
 * rng: virtio-rng (virtio 1.2 §5.4). One request queue of device-writable
 * buffers; each is filled from getrandom(2) (the host's CSPRNG, which never
 * blocks once the host has booted) and returned. Readable descriptors in a
 * request are ignored. At most RNG_MAX_BYTES are given per buffer so that
 * one huge buffer cannot keep the I/O thread busy.
 *
 * Threads: runs on the I/O thread under the device's io_lock.
 */
#include "virtio/rng.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/random.h>

#include "util/alloc.h"
#include "util/log.h"

#define RNG_QUEUE_SIZE 64
#define RNG_MAX_BYTES 65536
#define RNG_MAX_PER_KICK (4 * RNG_QUEUE_SIZE)

struct vrng {
    struct virtio_dev *vdev;
    struct virtq_elem elem;
};

/* Fill up to RNG_MAX_BYTES of the writable part; returns the bytes filled. */
static uint32_t fill(const struct virtq_elem *e)
{
    uint32_t done = 0;
    for (unsigned i = e->nout; i < e->nout + e->nin && done < RNG_MAX_BYTES; i++) {
        size_t want = e->iov[i].iov_len;
        if (want > RNG_MAX_BYTES - done)
            want = RNG_MAX_BYTES - done;
        size_t got = 0;
        while (got < want) {
            ssize_t n = getrandom((char *)e->iov[i].iov_base + got, want - got, 0);
            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0)
                return done + (uint32_t)got;
            got += (size_t)n;
        }
        done += (uint32_t)got;
    }
    return done;
}

static void rng_queue_notify(void *opaque, unsigned q)
{
    struct vrng *g = opaque;
    struct virtq *vq = &g->vdev->vq[q];
    unsigned served = 0;
    do {
        bool pushed = false;
        int r = 0;
        while (served < RNG_MAX_PER_KICK && (r = virtq_pop(vq, &g->elem)) > 0) {
            virtq_push(vq, &g->elem, fill(&g->elem));
            pushed = true;
            served++;
        }
        if (r < 0) {
            virtio_dev_set_needs_reset(g->vdev, "malformed descriptor chain");
            return;
        }
        if (pushed && virtq_need_interrupt(vq))
            virtio_dev_notify_used(g->vdev);
        if (served >= RNG_MAX_PER_KICK) {
            /* a flood of requests: let the rest of the I/O thread run first */
            virtio_dev_kick(g->vdev, q);
            return;
        }
    } while (virtq_enable_notify(vq));
}

static void rng_free(void *opaque)
{
    free(opaque);
}

static const struct virtio_dev_ops rng_ops = {
    .name = "virtio-rng",
    .device_id = VIRTIO_ID_RNG,
    .nqueues = 1,
    .queue_max = RNG_QUEUE_SIZE,
    .queue_notify = rng_queue_notify,
    .free = rng_free,
};

int virtio_rng_new(struct virtio_dev **out, const struct virtio_mmio_params *p, struct err *e)
{
    struct vrng *g = xzalloc(sizeof(*g));
    int r = virtio_mmio_new(&g->vdev, &rng_ops, g, p, e);
    if (r < 0) {
        free(g);
        return r;
    }
    *out = g->vdev;
    return 0;
}
