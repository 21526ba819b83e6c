/* SPDX-License-Identifier: MIT */
/*
 * virt: builds the rvisor-virt board from a validated config and (re)loads
 * the boot images. See virt.h for the memory map; this file is the one place
 * where devices are wired to addresses and interrupt lines.
 */
#include "machine/virt.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>

#include "cpu/cpu.h"
#include "machine/boot.h"
#include "machine/fdt.h"
#include "machine/plic.h"
#include "machine/uart.h"
#include "util/alloc.h"

#include <stdlib.h>

#define DTB_MAX (64u << 10)

static void syscon_reset(void *opaque, enum reset_kind kind, int code)
{
    struct virt *v = opaque;
    v->ops->reset(v->ops_opaque, kind, code);
}

static int map_devices(struct virt *v, struct err *e)
{
    struct irq_line uart_irq = {plic_set_irq, v->plic, UART_IRQ};
    v->uart = uart_new(v->cfg.console_fd, uart_irq);
    v->syscon.reset = syscon_reset;
    v->syscon.opaque = v;
    if (plic_map(v->plic, &v->pm) < 0 || uart_map(v->uart, &v->pm) < 0 ||
        rtc_init(&v->rtc, &v->pm) < 0 || syscon_map(&v->syscon, &v->pm) < 0) {
        err_set(e, "internal error: overlapping device regions");
        return -EEXIST;
    }
    return 0;
}

int virt_create(struct virt **out, const struct virt_config *cfg, const struct virt_ops *ops,
                void *opaque, struct err *e)
{
    if (cfg->ncpus < 1 || cfg->ncpus > VIRT_MAX_CPUS) {
        err_set(e, "--cpus %d: must be between 1 and %d", cfg->ncpus, VIRT_MAX_CPUS);
        return -EINVAL;
    }
    if (cfg->mem_size < (16ull << 20) || cfg->mem_size > (64ull << 30)) {
        err_set(e, "--mem: %llu MiB is outside 16 MiB .. 64 GiB",
                (unsigned long long)(cfg->mem_size >> 20));
        return -EINVAL;
    }
    struct virt *v = xzalloc(sizeof(*v));
    v->cfg = *cfg;
    v->ops = ops;
    v->ops_opaque = opaque;
    int r = ram_init(&v->ram, VIRT_RAM_BASE, cfg->mem_size, e);
    if (r < 0) {
        free(v);
        return r;
    }
    physmap_init(&v->pm, &v->ram);
    pthread_mutex_init(&v->hsm_lock, NULL);
    vclock_init(&v->clock);
    for (int i = 0; i < cfg->ncpus; i++) {
        struct hart *h = xzalloc(sizeof(*h));
        h->pm = &v->pm;
        h->read_time = vclock_read;
        h->time_opaque = &v->clock;
        hart_reset(h, i, 0);
        cpu_init(h);
        v->harts[i] = h;
    }
    v->plic = plic_new(v->harts, cfg->ncpus);
    r = map_devices(v, e);
    if (r < 0) {
        virt_destroy(v);
        return r;
    }
    *out = v;
    return 0;
}

void virt_destroy(struct virt *v)
{
    if (!v)
        return;
    for (int i = 0; i < v->cfg.ncpus; i++) {
        if (v->harts[i]) {
            cpu_destroy(v->harts[i]);
            free(v->harts[i]);
        }
    }
    plic_free(v->plic);
    uart_free(v->uart);
    ram_destroy(&v->ram);
    free(v);
}

int virt_load(struct virt *v, struct err *e)
{
    uint64_t entry, kend, istart = 0, iend = 0;
    /* A reboot starts from clean RAM, as after a power cycle. */
    madvise(v->ram.host, v->ram.size, MADV_DONTNEED);
    int r = boot_load_kernel(&v->ram, v->cfg.kernel, &entry, &kend, e);
    if (r < 0)
        return r;
    uint64_t ram_end = v->ram.base + v->ram.size;
    uint64_t dtb = ram_end - DTB_MAX;
    if (v->cfg.initrd) {
        r = boot_load_initrd(&v->ram, v->cfg.initrd, kend, dtb, &istart, &iend, e);
        if (r < 0)
            return r;
    }
    uint8_t *buf = xzalloc(DTB_MAX);
    r = fdt_build(v, buf, DTB_MAX, istart, iend);
    if (r < 0) {
        err_set(e, "cannot build the device tree (libfdt error %d)", r);
        free(buf);
        return -EINVAL;
    }
    r = ram_write(&v->ram, dtb, buf, DTB_MAX);
    free(buf);
    if (r < 0)
        return r;
    v->entry = entry;
    v->dtb_addr = dtb;
    for (int i = 0; i < v->cfg.ncpus; i++) {
        struct hart *h = v->harts[i];
        hart_reset(h, i, entry);
        cpu_flush_code(h);
        h->x[10] = (uint64_t)i;
        h->x[11] = dtb;
        atomic_store(&v->hsm[i], i == 0 ? HSM_STARTED : HSM_STOPPED);
    }
    return 0;
}

int virt_alloc_virtio_slot(struct virt *v, uint64_t *base, struct irq_line *irq)
{
    if (v->virtio_slots_used >= VIRT_VIRTIO_SLOTS)
        return -ENOSPC;
    int n = v->virtio_slots_used++;
    *base = VIRT_VIRTIO_BASE + (uint64_t)n * VIRT_VIRTIO_SIZE;
    *irq = (struct irq_line){plic_set_irq, v->plic, VIRT_VIRTIO_IRQ0 + n};
    return 0;
}

void virt_add_fdt_hook(struct virt *v, fdt_hook fn, void *opaque)
{
    if (v->nfdt_hooks < VIRT_MAX_FDT_HOOKS)
        v->fdt_hooks[v->nfdt_hooks++] = (typeof(v->fdt_hooks[0])){fn, opaque};
}
