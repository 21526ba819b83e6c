/* SPDX-License-Identifier: MIT */
/*
 * rng: the virtio entropy device (virtio 1.2 §5.4), fed from the host's
 * getrandom(2). The guest sees it as /dev/hwrng ("virtio_rng.0").
 */
#ifndef RV_VIRTIO_RNG_H
#define RV_VIRTIO_RNG_H

#include "virtio/mmio.h"

/* Create a virtio-rng device. 0 with *out set, or -errno with `e` filled.
 * Main thread. */
int virtio_rng_new(struct virtio_dev **out, const struct virtio_mmio_params *p, struct err *e)
    __attribute__((warn_unused_result));

#endif
