/* SPDX-License-Identifier: MIT */
/*
 * smp_timer: every hart has its own timer (Sstc stimecmp, privileged spec
 * v1.12 + Sstc 1.0; SBI v2.0 TIME): stimecmp values written at once on all
 * harts read back per hart; then hart k arms its timer (k + 1) * 5 ms after
 * a common start, half of them through stimecmp and half through SBI
 * set_timer, half waiting in WFI and half spinning, and each takes exactly
 * one supervisor timer interrupt of its own, not before its deadline, with
 * STIP clear once the handler moved the deadline away.
 *
 * isa-cpus: 4
 */
#include "isa.h"
#include "smp.h"

#define TICKS_MS (SMP_TIMEBASE / 1000)
#define STEP (5 * TICKS_MS)
#define FAR_AWAY (0x7000000000000000ull)

struct tstate {
    uint64_t readback[2];
    uint64_t deadline, fired_at, stip_after;
    volatile uint32_t count, other;
};
static struct tstate ts[SMP_MAX];
static uint64_t t_start;

static bool via_sbi(struct smp_hart *me)
{
    return me->index & 1;
}

static void timer_off(struct smp_hart *me)
{
    if (via_sbi(me))
        sbi_set_timer(~0ull);
    else
        csr_write(CSR_STIMECMP, ~0ull);
}

static void hook(struct smp_hart *me, struct trap_frame *f)
{
    struct tstate *t = &ts[me->index];
    if (f->scause == (SCAUSE_INTR | IRQ_S_TIMER)) {
        t->fired_at = rdtime();
        t->count++;
        timer_off(me);
        t->stip_after = csr_read(sip) & SIP_STIP;
    } else {
        t->other++;
        csr_write(sie, 0);
    }
}

static void boot_hook(struct trap_frame *f)
{
    hook(smp_boot(), f);
}

static void per_hart(struct smp_hart *me)
{
    struct tstate *t = &ts[me->index];
    uint64_t mine = FAR_AWAY + (uint64_t)me->index * 0x1111;
    csr_write(sie, 0);
    csr_write(CSR_STIMECMP, mine);
    t->readback[0] = csr_read(CSR_STIMECMP);
    smp_barrier(); /* every hart has written its own */
    t->readback[1] = csr_read(CSR_STIMECMP);
    smp_barrier();

    t->deadline = t_start + (uint64_t)(me->index + 1) * STEP;
    if (via_sbi(me))
        sbi_set_timer(t->deadline);
    else
        csr_write(CSR_STIMECMP, t->deadline);
    csr_write(sie, SIE_STIE);
    uint64_t t0 = rdtime();
    if (me->index & 2) {
        /* WFI, testing the count with SIE = 0 (see smp_ipi.c) */
        for (;;) {
            csr_clear(sstatus, SSTATUS_SIE);
            if (t->count || rdtime() - t0 > SMP_TIMEOUT)
                break;
            asm volatile("wfi");
            csr_set(sstatus, SSTATUS_SIE);
        }
    } else {
        csr_set(sstatus, SSTATUS_SIE);
        while (!t->count && rdtime() - t0 < SMP_TIMEOUT)
            ;
    }
    /* stay, interruptible, until every hart has had its turn: no second
     * interrupt may come here */
    csr_set(sstatus, SSTATUS_SIE);
    smp_barrier();
    csr_clear(sstatus, SSTATUS_SIE);
    csr_write(sie, 0);
}

static void secondary(struct smp_hart *me)
{
    me->irq_hook = hook;
    per_hart(me);
}

int main(void)
{
    if (!smp_init())
        return 1;
    t_begin("smp.timers");
    t_start = rdtime() + 5 * TICKS_MS;
    smp_start_others(secondary, 0);
    trap_set_irq_hook(boot_hook);
    per_hart(smp_boot());
    trap_set_irq_hook(0);
    smp_join_others();
    for (int i = 0; i < smp_n; i++) {
        struct tstate *t = &ts[i];
        uint64_t mine = FAR_AWAY + (uint64_t)i * 0x1111;
        EQ(t->readback[0], mine);
        EQ(t->readback[1], mine);
        if (!EQ(t->count, 1))
            rt_printf("  hart %lu took %u timer interrupts\n", smp_ids[i], t->count);
        EQ(t->other, 0);
        if (!TRUE(t->fired_at >= t->deadline))
            rt_printf("  hart %lu: interrupt at %lu, deadline %lu\n", smp_ids[i], t->fired_at,
                      t->deadline);
        EQ(t->stip_after, 0);
    }
    t_end();
    return 0;
}
