/* SPDX-License-Identifier: MIT */
/*
 * mmio: the virtio-mmio transport, version 2 (virtio 1.2 §4.2: "modern"
 * only). One instance per device: its 4 KiB register window, its interrupt
 * line, its device-tree node, and the eventfd through which QueueNotify
 * writes reach the I/O thread.
 *
 * Wiring a device (what vm/devices.c does for each one):
 *   virt_alloc_virtio_slot(board, &base, &irq);
 *   virtio_blk_new(&blk, &(struct virtio_mmio_params){ram, loop, base, irq, plic}, ...);
 *   physmap_add_mmio(pm, "virtio-blk", base, VIRTIO_MMIO_SIZE, &virtio_mmio_ops, vdev);
 *   virt_add_fdt_hook(board, virtio_mmio_fdt_node, vdev);
 *
 * Threads: see virtio.h for the two locks. The register callbacks run on
 * vCPU threads; queue processing runs on the thread of `loop`.
 */
#ifndef RV_VIRTIO_MMIO_H
#define RV_VIRTIO_MMIO_H

#include <stdint.h>

#include "mem/physmap.h"
#include "util/err.h"
#include "virtio/virtio.h"

#define VIRTIO_MMIO_SIZE 0x1000

/* Register offsets (virtio 1.2 §4.2.2, table "MMIO Device Register Layout"). */
#define VIRTIO_MMIO_MAGIC_VALUE 0x000
#define VIRTIO_MMIO_VERSION 0x004
#define VIRTIO_MMIO_DEVICE_ID 0x008
#define VIRTIO_MMIO_VENDOR_ID 0x00c
#define VIRTIO_MMIO_DEVICE_FEATURES 0x010
#define VIRTIO_MMIO_DEVICE_FEATURES_SEL 0x014
#define VIRTIO_MMIO_DRIVER_FEATURES 0x020
#define VIRTIO_MMIO_DRIVER_FEATURES_SEL 0x024
#define VIRTIO_MMIO_QUEUE_SEL 0x030
#define VIRTIO_MMIO_QUEUE_NUM_MAX 0x034
#define VIRTIO_MMIO_QUEUE_NUM 0x038
#define VIRTIO_MMIO_QUEUE_READY 0x044
#define VIRTIO_MMIO_QUEUE_NOTIFY 0x050
#define VIRTIO_MMIO_INTERRUPT_STATUS 0x060
#define VIRTIO_MMIO_INTERRUPT_ACK 0x064
#define VIRTIO_MMIO_STATUS 0x070
#define VIRTIO_MMIO_QUEUE_DESC_LOW 0x080
#define VIRTIO_MMIO_QUEUE_DESC_HIGH 0x084
#define VIRTIO_MMIO_QUEUE_DRIVER_LOW 0x090
#define VIRTIO_MMIO_QUEUE_DRIVER_HIGH 0x094
#define VIRTIO_MMIO_QUEUE_DEVICE_LOW 0x0a0
#define VIRTIO_MMIO_QUEUE_DEVICE_HIGH 0x0a4
#define VIRTIO_MMIO_SHM_SEL 0x0ac
#define VIRTIO_MMIO_SHM_LEN_LOW 0x0b0
#define VIRTIO_MMIO_SHM_LEN_HIGH 0x0b4
#define VIRTIO_MMIO_SHM_BASE_LOW 0x0b8
#define VIRTIO_MMIO_SHM_BASE_HIGH 0x0bc
#define VIRTIO_MMIO_CONFIG_GENERATION 0x0fc
#define VIRTIO_MMIO_CONFIG 0x100

#define VIRTIO_MMIO_MAGIC 0x74726976u  /* "virt" */
#define VIRTIO_MMIO_VENDOR 0x52565352u /* "RSVR": any value is allowed */

struct evloop;

struct virtio_mmio_params {
    struct ram *ram;
    struct evloop *loop; /* the I/O thread's loop; NULL: call virtio_dev_run_kicks() */
    uint64_t base;       /* register window, VIRTIO_MMIO_SIZE bytes */
    struct irq_line irq; /* level-triggered line to the interrupt controller */
    uint32_t irq_parent; /* phandle of that controller, for the device tree */
};

/* Create the transport for a device described by `ops`, whose back-end
 * state is `opaque`. Returns 0 with *out set, or -errno with `e` filled.
 * Main thread, before the vCPUs start. On failure ops->free is not called. */
int virtio_mmio_new(struct virtio_dev **out, const struct virtio_dev_ops *ops, void *opaque,
                    const struct virtio_mmio_params *p, struct err *e)
    __attribute__((warn_unused_result));

/* Register callbacks for physmap_add_mmio(); opaque is the struct virtio_dev. */
extern const struct mmio_ops virtio_mmio_ops;

/* fdt_hook: writes the device's node under /soc; opaque is the virtio_dev. */
int virtio_mmio_fdt_node(void *fdt, void *opaque);

/* Reset the device as if the driver wrote 0 to Status (used on VM reboot).
 * Any thread except the I/O thread inside a device callback. */
void virtio_dev_reset(struct virtio_dev *d);

/* Process pending queue notifications now (what the eventfd callback does
 * on the I/O thread). For tests built without an event loop. */
void virtio_dev_run_kicks(struct virtio_dev *d);

/* Tear down: the I/O loop must no longer run callbacks of this device.
 * Calls ops->free(opaque). NULL is ignored. */
void virtio_dev_free(struct virtio_dev *d);

#endif
