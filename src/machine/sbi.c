/* SPDX-License-Identifier: MIT */
/*
 * sbi: SBI implementation. Every argument is guest-controlled: hart masks
 * are bounded by the hart count, DBCN buffers are range-checked against RAM
 * with ram_ptr() before any byte is touched.
 *
 * RFENCE is synchronous as the spec requires: the caller waits until each
 * running target hart has flushed (targets flush at their next block
 * boundary; stopped harts flush anyway when they start).
 */
#include "machine/sbi.h"

#include <pthread.h>
#include <sched.h>

#include "cpu/cpu.h"
#include "machine/uart.h"
#include "machine/virt.h"

enum {
    EXT_BASE = 0x10,
    EXT_TIME = 0x54494d45,
    EXT_IPI = 0x735049,
    EXT_RFENCE = 0x52464e43,
    EXT_HSM = 0x48534d,
    EXT_SRST = 0x53525354,
    EXT_DBCN = 0x4442434e,
};

enum {
    SBI_SUCCESS = 0,
    SBI_ERR_FAILED = -1,
    SBI_ERR_NOT_SUPPORTED = -2,
    SBI_ERR_INVALID_PARAM = -3,
    SBI_ERR_DENIED = -4,
    SBI_ERR_INVALID_ADDRESS = -5,
    SBI_ERR_ALREADY_AVAILABLE = -6,
    SBI_ERR_ALREADY_STARTED = -7,
    SBI_ERR_ALREADY_STOPPED = -8,
};

#define SBI_SPEC_VERSION ((2u << 24) | 0u)
#define SBI_IMPL_ID 0x7276 /* "rv"; not a registered id */
#define SBI_IMPL_VERSION 1

struct ret {
    int64_t err;
    uint64_t val;
};

static bool ext_supported(uint64_t eid)
{
    switch (eid) {
    case EXT_BASE: case EXT_TIME: case EXT_IPI: case EXT_RFENCE: case EXT_HSM: case EXT_SRST:
    case EXT_DBCN:
        return true;
    }
    return false;
}

static struct ret base(struct hart *h, uint64_t fid)
{
    switch (fid) {
    case 0: return (struct ret){0, SBI_SPEC_VERSION};
    case 1: return (struct ret){0, SBI_IMPL_ID};
    case 2: return (struct ret){0, SBI_IMPL_VERSION};
    case 3: return (struct ret){0, ext_supported(h->x[10])};
    case 4: case 5: case 6: return (struct ret){0, 0};
    }
    return (struct ret){SBI_ERR_NOT_SUPPORTED, 0};
}

/* Apply `fn` to each hart selected by (mask, base) per SBI §3.1: base == -1
 * means all harts. Returns SBI_ERR_INVALID_PARAM if a selected hart does not
 * exist. */
static int64_t for_harts(struct virt *v, uint64_t mask, uint64_t base,
                         void (*fn)(struct virt *, struct hart *, void *), void *arg)
{
    int n = v->cfg.ncpus;
    if (base == UINT64_MAX) {
        for (int i = 0; i < n; i++)
            fn(v, v->harts[i], arg);
        return SBI_SUCCESS;
    }
    if (base >= (uint64_t)n && mask)
        return SBI_ERR_INVALID_PARAM;
    for (int b = 0; b < 64 && mask; b++, mask >>= 1) {
        if (!(mask & 1))
            continue;
        if (base + (uint64_t)b >= (uint64_t)n)
            return SBI_ERR_INVALID_PARAM;
        fn(v, v->harts[base + (uint64_t)b], arg);
    }
    return SBI_SUCCESS;
}

static void ipi_one(struct virt *v, struct hart *t, void *arg)
{
    cpu_set_irq(t, MIP_SSIP, 1);
}

struct fence_arg {
    struct hart *self;
    unsigned what;
};

static void fence_one(struct virt *v, struct hart *t, void *arg)
{
    struct fence_arg *f = arg;
    if (t == f->self) {
        if (f->what & CPU_FLUSH_TLB)
            cpu_flush_tlb(t);
        if (f->what & CPU_FLUSH_CODE)
            cpu_fence_i(t);
        return;
    }
    cpu_request_flush(t, f->what);
    /* Wait only while the target runs guest code: outside cpu_run (WFI,
     * stopped, paused) it flushes before it runs again. */
    while (atomic_load(&t->flush_req) && atomic_load(&t->in_guest) && !atomic_load(&v->halting)) {
        /* Two harts fencing each other must not wait forever: serve
         * requests aimed at us while we wait for theirs. */
        if (atomic_load(&f->self->flush_req))
            cpu_handle_flush(f->self);
        sched_yield();
    }
}

static struct ret rfence(struct virt *v, struct hart *h, uint64_t fid)
{
    struct fence_arg f = {h, fid == 0 ? CPU_FLUSH_CODE : CPU_FLUSH_TLB};
    if (fid > 2) /* the hypervisor fences need the H extension */
        return (struct ret){SBI_ERR_NOT_SUPPORTED, 0};
    return (struct ret){for_harts(v, h->x[10], h->x[11], fence_one, &f), 0};
}

static struct ret hsm(struct virt *v, struct hart *h, uint64_t fid)
{
    uint64_t id = h->x[10];
    switch (fid) {
    case 0: { /* hart_start(hartid, start_addr, opaque) */
        if (id >= (uint64_t)v->cfg.ncpus)
            return (struct ret){SBI_ERR_INVALID_PARAM, 0};
        if (!ram_contains(&v->ram, h->x[11]))
            return (struct ret){SBI_ERR_INVALID_ADDRESS, 0};
        /* The state check and the start address change together, so a
         * rejected second start cannot redirect a pending one. */
        pthread_mutex_lock(&v->hsm_lock);
        if (atomic_load(&v->hsm[id]) != HSM_STOPPED) {
            pthread_mutex_unlock(&v->hsm_lock);
            return (struct ret){SBI_ERR_ALREADY_AVAILABLE, 0};
        }
        v->hsm_start_addr[id] = h->x[11];
        v->hsm_opaque[id] = h->x[12];
        atomic_store(&v->hsm[id], HSM_START_PENDING);
        pthread_mutex_unlock(&v->hsm_lock);
        v->ops->hart_start(v->ops_opaque, (int)id);
        return (struct ret){0, 0};
    }
    case 1: /* hart_stop: the vCPU loop sees the state and parks the thread */
        atomic_store(&v->hsm[h->hartid], HSM_STOP_PENDING);
        atomic_store(&h->exit_request, 1);
        return (struct ret){0, 0};
    case 2:
        if (id >= (uint64_t)v->cfg.ncpus)
            return (struct ret){SBI_ERR_INVALID_PARAM, 0};
        return (struct ret){0, (uint64_t)atomic_load(&v->hsm[id])};
    case 3: /* hart_suspend: only the retentive default type, which acts as WFI */
        if ((uint32_t)h->x[10] != 0)
            return (struct ret){SBI_ERR_NOT_SUPPORTED, 0};
        return (struct ret){0, 0};
    }
    return (struct ret){SBI_ERR_NOT_SUPPORTED, 0};
}

static struct ret srst(struct virt *v, struct hart *h, uint64_t fid)
{
    uint32_t type = (uint32_t)h->x[10], reason = (uint32_t)h->x[11];
    if (fid != 0)
        return (struct ret){SBI_ERR_NOT_SUPPORTED, 0};
    if (type > 2 || reason > 1)
        return (struct ret){SBI_ERR_INVALID_PARAM, 0};
    if (type == 0)
        v->ops->reset(v->ops_opaque, reason ? RESET_FAIL : RESET_POWEROFF, reason ? 1 : 0);
    else
        v->ops->reset(v->ops_opaque, RESET_REBOOT, 0);
    return (struct ret){0, 0};
}

static struct ret dbcn(struct virt *v, struct hart *h, uint64_t fid)
{
    uint64_t len = h->x[10], addr = h->x[11];
    if (fid == 2) {
        uint8_t c = (uint8_t)h->x[10];
        uart_write_out(v->uart, &c, 1);
        return (struct ret){0, 0};
    }
    if (fid > 1)
        return (struct ret){SBI_ERR_NOT_SUPPORTED, 0};
    /* base_addr_hi holds physical address bits XLEN and up: none exist here */
    if (h->x[12] != 0)
        return (struct ret){SBI_ERR_INVALID_PARAM, 0};
    /* guest-controlled: the whole buffer must lie in RAM */
    uint8_t *p = ram_ptr(&v->ram, addr, len);
    if (!p)
        return (struct ret){SBI_ERR_INVALID_PARAM, 0};
    if (fid == 0) {
        uart_write_out(v->uart, p, len);
        return (struct ret){0, len};
    }
    return (struct ret){0, 0}; /* console_read: input goes through the UART */
}

void sbi_call(struct virt *v, struct hart *h)
{
    uint64_t eid = h->x[17], fid = h->x[16];
    struct ret r = {SBI_ERR_NOT_SUPPORTED, 0};
    switch (eid) {
    case EXT_BASE: r = base(h, fid); break;
    case EXT_TIME:
        if (fid == 0) {
            h->stimecmp = h->x[10];
            cpu_update_timer(h, vclock_read(&v->clock));
            r = (struct ret){0, 0};
        }
        break;
    case EXT_IPI:
        if (fid == 0)
            r = (struct ret){for_harts(v, h->x[10], h->x[11], ipi_one, NULL), 0};
        break;
    case EXT_RFENCE: r = rfence(v, h, fid); break;
    case EXT_HSM: r = hsm(v, h, fid); break;
    case EXT_SRST: r = srst(v, h, fid); break;
    case EXT_DBCN: r = dbcn(v, h, fid); break;
    }
    h->x[10] = (uint64_t)r.err;
    h->x[11] = r.val;
}
