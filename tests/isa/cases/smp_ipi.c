/* SPDX-License-Identifier: MIT */
/*
 * smp_ipi: inter-processor interrupts through SBI IPI (SBI spec v2.0 ch. 7)
 * arriving as supervisor software interrupts (privileged spec v1.12 §4.1.3,
 * scause = interrupt | 1):
 *   taken      every other hart, spinning with sstatus.SIE = 1, takes one
 *              SSI per IPI sent to it alone and acknowledges it by clearing
 *              sip.SSIP in its handler;
 *   wfi        the harts sleep in WFI; one IPI with a mask of all of them
 *              wakes each, and the handler runs;
 *   wfi-masked with SIE = 0, WFI still wakes on the pending SSIP, which
 *              stays pending and is not taken; an IPI to hart_mask_base -1
 *              reaches every hart, the sender too;
 *   ring       each hart sends the next one an IPI from its handler's
 *              loop, round the ring twice, back to the boot hart;
 *   errors     a hart_mask_base past the last hart is SBI_ERR_INVALID_PARAM.
 *
 * isa-cpus: 4
 */
#include "isa.h"
#include "smp.h"

struct ipi_state {
    volatile uint32_t count;     /* SSIs taken */
    volatile uint64_t cause;     /* scause of the last interrupt */
    volatile uint64_t at;        /* rdtime in the handler */
    volatile uint64_t sip_after; /* sip.SSIP once the handler returned */
    volatile uint32_t pending;   /* wfi-masked: SSIP seen pending */
    volatile uint32_t other;     /* interrupts that were not SSIs */
    volatile uint32_t timeouts;  /* the backstop timer of a wait in WFI */
};
static struct ipi_state st[SMP_MAX];
static volatile uint32_t ready, phase;

static void ssi_hook(struct smp_hart *me, struct trap_frame *f)
{
    struct ipi_state *s = &st[me->index];
    s->cause = f->scause;
    s->at = rdtime();
    if (f->scause == (SCAUSE_INTR | IRQ_S_SOFT)) {
        csr_clear(sip, SIP_SSIP); /* the acknowledgement */
        s->count++;
    } else if (f->scause == (SCAUSE_INTR | IRQ_S_TIMER)) {
        csr_write(CSR_STIMECMP, ~0ull);
        s->timeouts++;
    } else {
        s->other++;
        csr_write(sie, 0);
    }
}

static void boot_hook(struct trap_frame *f)
{
    ssi_hook(smp_boot(), f);
}

static void reset(void)
{
    for (int i = 0; i < SMP_MAX; i++) {
        st[i].count = st[i].pending = st[i].other = st[i].timeouts = 0;
        st[i].cause = st[i].at = st[i].sip_after = 0;
    }
    ready = 0;
    asm volatile("fence rw, rw" ::: "memory");
}

/* Wait (spinning, or in WFI) until this hart took n SSIs; called with
 * sstatus.SIE = 1. The WFI loop tests the count with SIE = 0, so that an
 * interrupt taken between the test and the WFI cannot leave the hart
 * asleep (WFI wakes on a pending interrupt with SIE = 0 too; it is taken
 * when SIE is set again). And a WFI whose interrupt never comes would sleep
 * for ever (QEMU has no backstop), so the timer wakes it at the timeout. */
static bool wait_count(struct ipi_state *s, uint32_t n, bool wfi)
{
    uint64_t t0 = rdtime();
    if (!wfi) {
        while (s->count < n && rdtime() - t0 <= SMP_TIMEOUT)
            ;
        return s->count >= n;
    }
    csr_write(CSR_STIMECMP, t0 + SMP_TIMEOUT);
    csr_set(sie, SIE_STIE);
    for (;;) {
        csr_clear(sstatus, SSTATUS_SIE);
        if (s->count >= n || rdtime() - t0 > SMP_TIMEOUT)
            break;
        asm volatile("wfi");
        csr_set(sstatus, SSTATUS_SIE);
    }
    csr_clear(sie, SIE_STIE);
    csr_write(CSR_STIMECMP, ~0ull);
    csr_set(sstatus, SSTATUS_SIE);
    return s->count >= n;
}

static void enable_ssi(struct smp_hart *me, bool sie_on)
{
    me->irq_hook = ssi_hook;
    csr_write(sie, SIE_SSIE);
    if (sie_on)
        csr_set(sstatus, SSTATUS_SIE);
}

static void taker(struct smp_hart *me)
{
    struct ipi_state *s = &st[me->index];
    bool wfi = phase == 1;
    enable_ssi(me, true);
    __atomic_fetch_add(&ready, 1, __ATOMIC_RELEASE);
    SEQ(me, wait_count(s, 1, wfi), 1);
    csr_clear(sstatus, SSTATUS_SIE);
    s->sip_after = csr_read(sip) & SIP_SSIP;
}

static bool wait_ready(void)
{
    return TRUE(smp_wait_ge(&ready, (uint32_t)smp_n - 1));
}

static void check_taken(int i, uint64_t sent_at)
{
    struct ipi_state *s = &st[i];
    if (!EQ(s->count, 1))
        rt_printf("  hart %lu took %u SSIs\n", smp_ids[i], s->count);
    EQ(s->cause, SCAUSE_INTR | IRQ_S_SOFT);
    EQ(s->sip_after, 0);
    EQ(s->other + s->timeouts, 0);
    TRUE(s->at >= sent_at);
}

static void test_taken(bool wfi)
{
    t_begin(wfi ? "smp.ipi-wfi" : "smp.ipi-taken");
    reset();
    phase = wfi;
    smp_start_others(taker, 0);
    wait_ready();
    uint64_t sent_at = rdtime();
    if (wfi) {
        /* give them time to get to sleep, then one IPI for all of them */
        smp_delay(SMP_TIMEBASE / 50);
        sent_at = rdtime();
        uint64_t mask = 0;
        for (int i = 1; i < smp_n; i++)
            mask |= 1ull << smp_ids[i];
        EQ(sbi_call(SBI_EXT_IPI, 0, (long)mask, 0, 0).error, 0);
    } else {
        for (int i = 1; i < smp_n; i++)
            EQ(sbi_call(SBI_EXT_IPI, 0, 1, (long)smp_ids[i], 0).error, 0);
    }
    smp_join_others();
    uint64_t worst = 0;
    for (int i = 1; i < smp_n; i++) {
        check_taken(i, sent_at);
        if (st[i].at - sent_at > worst)
            worst = st[i].at - sent_at;
    }
    if (wfi)
        rt_note("slowest wake-up %lu us after the IPI",
                (uint64_t)(worst / (SMP_TIMEBASE / 1000000)));
    t_end();
}

static void masked(struct smp_hart *me)
{
    struct ipi_state *s = &st[me->index];
    enable_ssi(me, false);
    __atomic_fetch_add(&ready, 1, __ATOMIC_RELEASE);
    uint64_t t0 = rdtime();
    csr_write(CSR_STIMECMP, t0 + SMP_TIMEOUT); /* backstop, see wait_count */
    csr_set(sie, SIE_STIE);
    while (!(csr_read(sip) & SIP_SSIP) && rdtime() - t0 < SMP_TIMEOUT)
        asm volatile("wfi");
    csr_write(CSR_STIMECMP, ~0ull);
    s->pending = (csr_read(sip) & SIP_SSIP) != 0;
    csr_clear(sip, SIP_SSIP);
    s->sip_after = csr_read(sip) & SIP_SSIP;
    csr_write(sie, 0);
}

static void test_masked(void)
{
    t_begin("smp.ipi-wfi-masked");
    reset();
    smp_start_others(masked, 0);
    wait_ready();
    smp_delay(SMP_TIMEBASE / 50);
    csr_write(sie, 0);
    csr_clear(sip, SIP_SSIP);
    EQ(sbi_call(SBI_EXT_IPI, 0, 0, -1, 0).error, 0); /* every hart */
    smp_join_others();
    for (int i = 1; i < smp_n; i++) {
        EQ(st[i].pending, 1);
        EQ(st[i].count, 0); /* SIE = 0: not taken */
        EQ(st[i].sip_after, 0);
    }
    /* the sender is one of "every hart" */
    uint64_t t0 = rdtime();
    while (!(csr_read(sip) & SIP_SSIP) && rdtime() - t0 < SMP_TIMEOUT)
        ;
    EQ(csr_read(sip) & SIP_SSIP, SIP_SSIP);
    csr_clear(sip, SIP_SSIP);
    t_end();
}

/* ring: index i waits for an SSI, then sends one to index i + 1 (mod n) */
#define LAPS 2

static void ring_step(struct smp_hart *me)
{
    struct ipi_state *s = &st[me->index];
    uint64_t next = smp_ids[(me->index + 1) % smp_n];
    for (uint32_t lap = 1; lap <= LAPS; lap++) {
        if (me->index == 0) {
            if (sbi_call(SBI_EXT_IPI, 0, 1, (long)next, 0).error)
                break;
            if (!wait_count(s, lap, true))
                break;
        } else {
            if (!wait_count(s, lap, true))
                break;
            if (sbi_call(SBI_EXT_IPI, 0, 1, (long)next, 0).error)
                break;
        }
    }
}

static void ring_secondary(struct smp_hart *me)
{
    enable_ssi(me, true);
    __atomic_fetch_add(&ready, 1, __ATOMIC_RELEASE);
    ring_step(me);
    csr_clear(sstatus, SSTATUS_SIE);
}

static void test_ring(void)
{
    t_begin("smp.ipi-ring");
    reset();
    smp_start_others(ring_secondary, 0);
    wait_ready();
    trap_set_irq_hook(boot_hook);
    csr_write(sie, SIE_SSIE);
    csr_set(sstatus, SSTATUS_SIE);
    ring_step(smp_boot());
    csr_clear(sstatus, SSTATUS_SIE);
    csr_write(sie, 0);
    trap_set_irq_hook(0);
    smp_join_others();
    for (int i = 0; i < smp_n; i++) {
        if (!EQ(st[i].count, LAPS))
            rt_printf("  hart %lu took %u SSIs\n", smp_ids[i], st[i].count);
        EQ(st[i].other + st[i].timeouts, 0);
    }
    t_end();
}

static void test_errors(void)
{
    t_begin("smp.ipi-errors");
    EQ(sbi_call(SBI_EXT_IPI, 0, 1, ISA_CPUS, 0).error, SBI_ERR_INVALID_PARAM);
    EQ(sbi_call(SBI_EXT_IPI, 0, 1, 4096, 0).error, SBI_ERR_INVALID_PARAM);
    EQ(sbi_call(SBI_EXT_IPI, 0, 0, 0, 0).error, 0); /* nobody */
    EQ(csr_read(sip) & SIP_SSIP, 0);
    t_end();
}

int main(void)
{
    if (!smp_init())
        return 1;
    test_taken(false);
    test_taken(true);
    test_masked();
    test_ring();
    test_errors();
    return 0;
}
