/* SPDX-License-Identifier: MIT */
/*
 * virt: the "rvisor-virt" board: what the guest sees (DESIGN.md "The virtual
 * platform"). One readable function wires RAM, PLIC, UART, RTC, syscon and
 * the harts; devices with device-tree nodes register an fdt hook. The board
 * knows nothing of threads: vm/ runs it.
 *
 * Memory map: 0x0010_0000 syscon, 0x0010_1000 RTC, 0x0c00_0000 PLIC,
 * 0x1000_0000 UART, 0x1000_1000 + n*0x1000 virtio-mmio slots, 0x8000_0000 RAM.
 */
#ifndef RV_MACHINE_VIRT_H
#define RV_MACHINE_VIRT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include "cpu/hart.h"
#include "machine/clock.h"
#include "machine/irq.h"
#include "machine/rtc.h"
#include "machine/syscon.h"
#include "mem/physmap.h"
#include "mem/ram.h"
#include "util/err.h"

#define VIRT_RAM_BASE 0x80000000ull
#define VIRT_MAX_CPUS 32
#define VIRT_VIRTIO_BASE 0x10001000ull
#define VIRT_VIRTIO_SIZE 0x1000ull
#define VIRT_VIRTIO_SLOTS 8
#define VIRT_VIRTIO_IRQ0 1 /* slot n uses PLIC source 1 + n */
#define VIRT_MAX_FDT_HOOKS 16

struct plic;
struct uart;

/* HSM states (SBI spec §9). */
enum hsm_state {
    HSM_STARTED = 0,
    HSM_STOPPED = 1,
    HSM_START_PENDING = 2,
    HSM_STOP_PENDING = 3,
    HSM_SUSPENDED = 4,
};

struct virt_config {
    uint64_t mem_size;
    int ncpus;
    const char *kernel;
    const char *initrd; /* may be NULL */
    const char *append; /* may be NULL */
    int console_fd;     /* where the UART and SBI DBCN write */
};

/* Hooks that vm/ provides: the board asks, the VM process acts. */
struct virt_ops {
    /* The guest requested a reset (syscon or SBI SRST). Any vCPU thread. */
    void (*reset)(void *opaque, enum reset_kind kind, int code);
    /* SBI HSM hart_start was accepted for `hartid`; wake its thread. */
    void (*hart_start)(void *opaque, int hartid);
};

/* Writes one device-tree node under /soc (libfdt sequential-write API). */
typedef int (*fdt_hook)(void *fdt, void *opaque);

struct virt {
    struct virt_config cfg;
    struct ram ram;
    struct physmap pm;
    struct vclock clock;
    struct hart *harts[VIRT_MAX_CPUS];
    _Atomic int hsm[VIRT_MAX_CPUS]; /* enum hsm_state */
    pthread_mutex_t hsm_lock; /* protects hsm_start_addr/opaque with the STOPPED->PENDING step */
    uint64_t hsm_start_addr[VIRT_MAX_CPUS], hsm_opaque[VIRT_MAX_CPUS];
    struct plic *plic;
    struct uart *uart;
    struct rtc rtc;
    struct syscon syscon;
    const struct virt_ops *ops;
    void *ops_opaque;
    int nfdt_hooks;
    struct {
        fdt_hook fn;
        void *opaque;
    } fdt_hooks[VIRT_MAX_FDT_HOOKS];
    int virtio_slots_used;
    /* Set by the VM when it is stopping: anything that waits on other harts
     * (RFENCE) must give up, as they may already have stopped. */
    atomic_bool halting;
    uint64_t entry, dtb_addr; /* boot state, see boot.h */
};

/* Build the board from `cfg` (RAM, devices, harts). 0 or -errno with `e`
 * naming what failed. The board is not yet loaded: call virt_load(). */
int virt_create(struct virt **out, const struct virt_config *cfg, const struct virt_ops *ops,
                void *opaque, struct err *e) __attribute__((warn_unused_result));
void virt_destroy(struct virt *v);

/* (Re)load kernel, initrd and device tree into RAM and reset all harts:
 * hart 0 started at the kernel entry, the others stopped (HSM). Used at
 * start and on reboot. 0 or -errno with `e` naming the file and problem. */
int virt_load(struct virt *v, struct err *e) __attribute__((warn_unused_result));

/* Reserve the next virtio-mmio slot: its base address and IRQ line.
 * -ENOSPC when all slots are used. */
int virt_alloc_virtio_slot(struct virt *v, uint64_t *base, struct irq_line *irq)
    __attribute__((warn_unused_result));

/* Register a device-tree node writer (called when the DTB is built). */
void virt_add_fdt_hook(struct virt *v, fdt_hook fn, void *opaque);

/* phandle of the PLIC, for devices' interrupt-parent. */
#define VIRT_PLIC_PHANDLE 1

#endif
