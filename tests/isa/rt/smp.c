/* SPDX-License-Identifier: MIT */
/*
 * smp.c: secondary harts for the SMP tests. See smp.h for the contracts.
 *
 * A secondary enters at rt_smp_entry (head.S) with a0 = its hart id and
 * a1 = opaque = its struct smp_hart; the entry loads its stacks from that
 * struct, sets stvec and sscratch and calls rt_smp_main here. Its traps go
 * through the common trap entry onto its own trap stack; rt_trap_handle
 * (rt.c) hands every frame that lies on a secondary's trap stack to
 * rt_smp_trap, which is how a trap is told apart from the boot hart's
 * without a hart-id register (S-mode has none).
 */
#include "smp.h"

#define STACK_SIZE 16384
#define TRAP_STACK_SIZE 4096

struct smp_hart smp_harts[SMP_MAX];
int smp_n;
uint64_t smp_ids[SMP_MAX];

static uint8_t stacks[SMP_MAX][STACK_SIZE] __attribute__((aligned(16)));
static uint8_t trap_stacks[SMP_MAX][TRAP_STACK_SIZE] __attribute__((aligned(16)));

struct sbiret sbi_call5(long eid, long fid, long a0, long a1, long a2, long a3, long a4)
{
    register long r_a0 asm("a0") = a0;
    register long r_a1 asm("a1") = a1;
    register long r_a2 asm("a2") = a2;
    register long r_a3 asm("a3") = a3;
    register long r_a4 asm("a4") = a4;
    register long r_a6 asm("a6") = fid;
    register long r_a7 asm("a7") = eid;
    asm volatile("ecall"
                 : "+r"(r_a0), "+r"(r_a1)
                 : "r"(r_a2), "r"(r_a3), "r"(r_a4), "r"(r_a6), "r"(r_a7)
                 : "memory");
    return (struct sbiret){r_a0, r_a1};
}

long smp_status(uint64_t id)
{
    struct sbiret r = sbi_call(SBI_EXT_HSM, SBI_HSM_HART_GET_STATUS, (long)id, 0, 0);
    return r.error ? r.error : r.value;
}

bool smp_wait_ge(volatile uint32_t *p, uint32_t v)
{
    uint64_t t0 = rdtime();
    while (__atomic_load_n(p, __ATOMIC_ACQUIRE) < v)
        if (rdtime() - t0 > SMP_TIMEOUT)
            return false;
    return true;
}

void smp_delay(uint64_t ticks)
{
    uint64_t t0 = rdtime();
    while (rdtime() - t0 < ticks)
        ;
}

static uint32_t barrier_count;
static volatile uint32_t barrier_gen;

bool smp_barrier(void)
{
    uint32_t gen = __atomic_load_n(&barrier_gen, __ATOMIC_ACQUIRE);
    if (__atomic_add_fetch(&barrier_count, 1, __ATOMIC_ACQ_REL) == (uint32_t)smp_n) {
        __atomic_store_n(&barrier_count, 0, __ATOMIC_RELAXED);
        __atomic_store_n(&barrier_gen, gen + 1, __ATOMIC_RELEASE);
        return true;
    }
    uint64_t t0 = rdtime();
    while (__atomic_load_n(&barrier_gen, __ATOMIC_ACQUIRE) == gen)
        if (rdtime() - t0 > SMP_TIMEOUT)
            return false;
    return true;
}

static volatile uint32_t pace[SMP_MAX];
static volatile bool pace_broken; /* a hart fell behind for good: stop waiting */

void smp_pace_reset(void)
{
    pace_broken = false;
    for (int i = 0; i < SMP_MAX; i++)
        pace[i] = 0;
    asm volatile("fence rw, rw" ::: "memory");
}

void smp_nap(void)
{
    uint64_t sie = csr_read(sie);
    csr_write(sie, SIE_STIE);
    csr_write(CSR_STIMECMP, rdtime() + SMP_TIMEBASE / 50000);
    asm volatile("wfi");
    csr_write(CSR_STIMECMP, ~0ull);
    csr_write(sie, sie);
}

void smp_pace(struct smp_hart *me, uint32_t n, uint32_t window)
{
    __atomic_store_n(&pace[me->index], n, __ATOMIC_RELEASE);
    uint64_t t0 = rdtime();
    for (int i = 0; i < smp_n; i++)
        while (!pace_broken && __atomic_load_n(&pace[i], __ATOMIC_ACQUIRE) + window < n) {
            if (rdtime() - t0 > SMP_TIMEOUT)
                pace_broken = true;
            smp_nap();
        }
}

bool smp_check(struct smp_hart *me, int line, uint64_t got, uint64_t want)
{
    if (got == want)
        return true;
    if (!me->errors++) {
        me->err_line = line;
        me->err_got = got;
        me->err_want = want;
    }
    return false;
}

void smp_trap_expect(struct smp_hart *me)
{
    me->trap_count = 0;
    me->trap_cause = me->trap_tval = me->trap_epc = ~0ull;
    me->trap_armed = 1;
}

bool smp_init_n(int want, bool settle)
{
    smp_n = 0;
    smp_ids[smp_n++] = rt_hartid;
    for (uint64_t id = 0; id < SMP_MAX; id++) {
        long st = smp_status(id);
        if (id != rt_hartid && st >= 0)
            smp_ids[smp_n++] = id;
    }
    for (int i = 0; i < smp_n; i++) {
        struct smp_hart *h = &smp_harts[smp_ids[i]];
        h->id = smp_ids[i];
        h->index = i;
        h->stack_top = (uint64_t)&stacks[h->id][STACK_SIZE];
        h->trap_stack_top = (uint64_t)&trap_stacks[h->id][TRAP_STACK_SIZE];
    }
    t_begin("smp.harts");
    bool ok = EQ(smp_n, want);
    t_end();
    if (settle)
        smp_delay(SMP_TIMEBASE / 20);
    return ok;
}

long smp_start_at(uint64_t id, void *entry, smp_fn fn, void *arg)
{
    struct smp_hart *h = &smp_harts[id % SMP_MAX];
    if (id < SMP_MAX) {
        h->fn = fn;
        h->arg = arg;
        h->irq_hook = 0;
        h->done = h->fatal = h->errors = h->trap_armed = 0;
        h->stop_returned = 0;
    }
    /* the hart reads its struct with the MMU off: publish it first */
    asm volatile("fence rw, rw" ::: "memory");
    return sbi_call(SBI_EXT_HSM, SBI_HSM_HART_START, (long)id, (long)entry, (long)h).error;
}

long smp_start(uint64_t id, smp_fn fn, void *arg)
{
    return smp_start_at(id, rt_smp_entry, fn, arg);
}

bool smp_join(uint64_t id)
{
    struct smp_hart *h = &smp_harts[id];
    bool ok = smp_wait_ge(&h->done, 1);
    long st = smp_status(id);
    uint64_t t0 = rdtime();
    while (ok && st != SBI_HSM_STOPPED && rdtime() - t0 < SMP_TIMEOUT)
        st = smp_status(id);
    if (!ok || st != SBI_HSM_STOPPED) {
        rt_printf("  hart %lu: %s (HSM status %ld)\n", id,
                  ok ? "did not stop" : "did not finish in time", st);
        FAIL("hart timed out");
        return false;
    }
    return smp_report(id);
}

bool smp_report(uint64_t id)
{
    struct smp_hart *h = &smp_harts[id];
    if (h->fatal) {
        rt_printf("  hart %lu: unexpected trap scause=0x%lx sepc=0x%lx stval=0x%lx\n", id,
                  h->fatal_cause, h->fatal_epc, h->fatal_tval);
        FAIL("trap on a secondary hart");
        return false;
    }
    if (h->stop_returned) {
        rt_printf("  hart %lu: sbi_hart_stop returned\n", id);
        FAIL("hart_stop returned");
        return false;
    }
    uint32_t errors = h->errors;
    if (errors)
        rt_printf("  hart %lu: %u failed checks, first at line %d: got 0x%lx, want 0x%lx\n", id,
                  errors, h->err_line, h->err_got, h->err_want);
    h->errors = 0;
    return rt_check(__LINE__, "failed checks on the hart", errors, 0);
}

void smp_start_others(smp_fn fn, void *arg)
{
    for (int i = 1; i < smp_n; i++) {
        long e = smp_start(smp_ids[i], fn, arg);
        if (e) {
            rt_printf("  hart_start(%lu) = %ld\n", smp_ids[i], e);
            FAIL("hart_start failed");
        }
    }
}

bool smp_join_others(void)
{
    bool ok = true;
    for (int i = 1; i < smp_n; i++)
        ok &= smp_join(smp_ids[i]);
    return ok;
}

__attribute__((noreturn)) static void hart_stop(struct smp_hart *me)
{
    csr_clear(sstatus, SSTATUS_SIE); /* SBI §9.2: stop with interrupts off */
    csr_write(sie, 0);
    __atomic_store_n(&me->done, 1, __ATOMIC_RELEASE);
    sbi_call(SBI_EXT_HSM, SBI_HSM_HART_STOP, 0, 0, 0);
    me->stop_returned = 1;
    for (;;)
        asm volatile("wfi");
}

/* Called by rt_smp_entry with the hart's registers as it found them. */
void rt_smp_main(uint64_t hartid, struct smp_hart *me, uint64_t alt, uint64_t sstatus,
                 uint64_t satp)
{
    me->entry_a0 = hartid;
    me->entry_a1 = (uint64_t)me;
    me->entry_alt = alt;
    me->entry_sstatus = sstatus;
    me->entry_satp = satp;
    __atomic_fetch_add(&me->started, 1, __ATOMIC_RELEASE);
    me->fn(me);
    hart_stop(me);
}

static struct smp_hart *hart_of_frame(struct trap_frame *f)
{
    uintptr_t a = (uintptr_t)f;
    if (a < (uintptr_t)trap_stacks || a >= (uintptr_t)trap_stacks + sizeof(trap_stacks))
        return 0;
    return &smp_harts[(a - (uintptr_t)trap_stacks) / TRAP_STACK_SIZE];
}

/* Traps on a secondary hart (rt.c hands them over): 0 to sret with the
 * frame, -1 when f is not on a secondary's trap stack. */
int rt_smp_trap(struct trap_frame *f)
{
    struct smp_hart *me = hart_of_frame(f);
    if (!me)
        return -1;
    if (f->scause & SCAUSE_INTR) {
        if (me->irq_hook) {
            me->irq_hook(me, f);
            return 0;
        }
    } else if (me->trap_armed && me->trap_count < 8) {
        me->trap_count++;
        me->trap_cause = f->scause;
        me->trap_tval = f->stval;
        me->trap_epc = f->sepc;
        uint16_t lo = *(volatile uint16_t *)f->sepc;
        f->sepc += (lo & 3) == 3 ? 4 : 2;
        return 0;
    }
    me->fatal_cause = f->scause;
    me->fatal_epc = f->sepc;
    me->fatal_tval = f->stval;
    me->fatal = 1;
    hart_stop(me);
}
