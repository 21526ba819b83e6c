/* SPDX-License-Identifier: MIT */
/*
 * interrupts: S-mode interrupts (privileged spec v1.12 §4.1.1-4.1.3, Sstc
 * §"stimecmp", SBI v2.0 TIME): the supervisor timer through stimecmp and
 * through SBI set_timer, the supervisor software interrupt through sip.SSIP,
 * direct and vectored stvec (cause n goes to base + 4n, exceptions to
 * base), masking by sstatus.SIE and sie, U-mode always interruptible,
 * priority SSI over STI, and WFI waking on a pending timer even with SIE = 0.
 */
#include "isa.h"

#define TICKS_1MS 10000ull
#define WAIT_TICKS (20000 * TICKS_1MS) /* give up after 20 s of guest time */

struct irq_seen {
    uint64_t cause, epc, status;
    int64_t vec;
};

static volatile int n_timer, n_soft, n_other;
static volatile int log_n;
static volatile uint64_t irq_log[8];
static volatile struct irq_seen last;
static volatile uint32_t user_flag;
static bool timer_via_sbi;

static void timer_off(void)
{
    if (timer_via_sbi)
        sbi_set_timer(~0ull);
    else
        csr_write(CSR_STIMECMP, ~0ull);
}

static void hook(struct trap_frame *f)
{
    uint64_t code = f->scause & ~SCAUSE_INTR;
    if (log_n < 8)
        irq_log[log_n++] = code;
    last.cause = f->scause;
    last.epc = f->sepc;
    last.status = f->sstatus;
    last.vec = f->vec;
    if (code == IRQ_S_TIMER) {
        n_timer++;
        timer_off();
    } else if (code == IRQ_S_SOFT) {
        n_soft++;
        csr_clear(sip, SIP_SSIP);
    } else {
        n_other++;
        csr_write(sie, 0);
    }
    user_flag = 1;
}

static void reset_counts(void)
{
    n_timer = n_soft = n_other = 0;
    log_n = 0;
    last.cause = last.epc = last.status = 0;
    last.vec = -2;
    user_flag = 0;
}

/* spin until *ctr >= n or WAIT_TICKS pass; true if reached */
static bool wait_count(volatile int *ctr, int n)
{
    uint64_t t0 = rdtime();
    while (*ctr < n)
        if (rdtime() - t0 > WAIT_TICKS)
            return false;
    return true;
}

static void test_pending(void)
{
    t_begin("irq.stimecmp-pending");
    csr_write(sie, 0);
    csr_clear(sstatus, SSTATUS_SIE);
    csr_write(CSR_STIMECMP, 0);
    EQ(csr_read(sip) & SIP_STIP, SIP_STIP); /* time >= stimecmp */
    csr_write(CSR_STIMECMP, ~0ull);
    EQ(csr_read(sip) & SIP_STIP, 0);
    csr_write(CSR_STIMECMP, rdtime() + 1000 * TICKS_1MS);
    EQ(csr_read(sip) & SIP_STIP, 0);
    EQ(csr_read(CSR_STIMECMP) > rdtime(), 1);
    /* STIP is read-only in sip; SSIP is writable */
    csr_write(CSR_STIMECMP, ~0ull);
    csr_set(sip, SIP_STIP);
    EQ(csr_read(sip) & SIP_STIP, 0);
    csr_set(sip, SIP_SSIP);
    EQ(csr_read(sip) & SIP_SSIP, SIP_SSIP);
    csr_clear(sip, SIP_SSIP);
    EQ(csr_read(sip) & SIP_SSIP, 0);
    t_end();
}

static void timer_once(const char *group, bool sbi)
{
    t_begin(group);
    reset_counts();
    timer_via_sbi = sbi;
    csr_write(sie, SIE_STIE);
    uint64_t when = rdtime() + TICKS_1MS;
    if (sbi)
        sbi_set_timer(when);
    else
        csr_write(CSR_STIMECMP, when);
    csr_set(sstatus, SSTATUS_SIE);
    TRUE(wait_count(&n_timer, 1));
    csr_clear(sstatus, SSTATUS_SIE);
    TRUE(rdtime() >= when);
    EQ(n_timer, 1);
    EQ(n_other, 0);
    EQ(last.cause, SCAUSE_INTR | IRQ_S_TIMER);
    EQ(last.vec, -1);
    /* interrupted S-mode with SIE = 1 */
    EQ(last.status & (SSTATUS_SPP | SSTATUS_SPIE), SSTATUS_SPP | SSTATUS_SPIE);
    EQ(csr_read(sip) & SIP_STIP, 0);
    csr_write(sie, 0);
    timer_via_sbi = false;
    t_end();
}

static void test_vectored(void)
{
    t_begin("irq.vectored");
    reset_counts();
    csr_write(stvec, (uint64_t)rt_trap_vectors | 1);
    csr_write(sie, SIE_STIE | SIE_SSIE);
    csr_write(CSR_STIMECMP, rdtime() + TICKS_1MS);
    csr_set(sstatus, SSTATUS_SIE);
    TRUE(wait_count(&n_timer, 1));
    EQ(last.cause, SCAUSE_INTR | IRQ_S_TIMER);
    EQ(last.vec, IRQ_S_TIMER);
    csr_set(sip, SIP_SSIP);
    TRUE(wait_count(&n_soft, 1));
    csr_clear(sstatus, SSTATUS_SIE);
    EQ(last.cause, SCAUSE_INTR | IRQ_S_SOFT);
    EQ(last.vec, IRQ_S_SOFT);
    /* exceptions use the base address */
    trap_expect();
    asm volatile("ebreak");
    TRAPPED(EXC_BREAKPOINT, TVAL_ANY);
    EQ(trap_last.vec, 0);
    EQ(n_other, 0);
    csr_write(sie, 0);
    csr_write(stvec, (uint64_t)rt_trap_entry);
    t_end();
}

static void test_priority(void)
{
    t_begin("irq.priority");
    reset_counts();
    csr_clear(sstatus, SSTATUS_SIE);
    csr_write(sie, SIE_STIE | SIE_SSIE);
    csr_write(CSR_STIMECMP, 0);
    csr_set(sip, SIP_SSIP);
    EQ(csr_read(sip) & (SIP_SSIP | SIP_STIP), SIP_SSIP | SIP_STIP);
    csr_set(sstatus, SSTATUS_SIE);
    TRUE(wait_count(&log_n, 2));
    csr_clear(sstatus, SSTATUS_SIE);
    /* §4.1.3: SEI > SSI > STI */
    EQ(irq_log[0], IRQ_S_SOFT);
    EQ(irq_log[1], IRQ_S_TIMER);
    EQ(log_n, 2);
    csr_write(sie, 0);
    t_end();
}

static void spin(int n)
{
    for (volatile int i = 0; i < n; i++)
        ;
}

static void test_masking(void)
{
    t_begin("irq.masking");
    reset_counts();
    /* pending and enabled in sie, but SIE = 0 in S-mode: not taken */
    csr_clear(sstatus, SSTATUS_SIE);
    csr_write(sie, SIE_STIE);
    csr_write(CSR_STIMECMP, 0);
    spin(100000);
    EQ(n_timer, 0);
    EQ(csr_read(sip) & SIP_STIP, SIP_STIP);
    /* SIE = 1 but masked in sie: not taken */
    csr_write(sie, 0);
    csr_set(sstatus, SSTATUS_SIE);
    spin(100000);
    EQ(n_timer, 0);
    /* unmasking takes it */
    csr_write(sie, SIE_STIE);
    TRUE(wait_count(&n_timer, 1));
    EQ(n_timer, 1);
    csr_clear(sstatus, SSTATUS_SIE);
    csr_write(sie, 0);
    t_end();
}

static void test_user(void)
{
    t_begin("irq.user");
    reset_counts();
    /* U-mode is always interruptible by S-level interrupts, SIE or not */
    csr_clear(sstatus, SSTATUS_SIE | SSTATUS_SPIE);
    csr_write(sie, SIE_STIE);
    csr_write(CSR_STIMECMP, rdtime() + TICKS_1MS);
    uint64_t r = rt_user_call(u_wait_flag, (uint64_t)&user_flag, 2000000000);
    EQ(r, 1);
    EQ(n_timer, 1);
    EQ(last.status & SSTATUS_SPP, 0);
    TRUE(last.epc >= (uint64_t)_utext_start && last.epc < (uint64_t)_utext_end);
    csr_write(sie, 0);
    t_end();
}

static void test_wfi(void)
{
    t_begin("irq.wfi");
    reset_counts();
    /* SIE = 0: wfi still wakes on a pending, sie-enabled interrupt, which
     * stays pending and is not taken (§3.3.3) */
    csr_clear(sstatus, SSTATUS_SIE);
    csr_write(sie, SIE_STIE);
    uint64_t when = rdtime() + 2 * TICKS_1MS;
    csr_write(CSR_STIMECMP, when);
    uint64_t t0 = rdtime();
    while (!(csr_read(sip) & SIP_STIP) && rdtime() - t0 < WAIT_TICKS)
        asm volatile("wfi");
    EQ(csr_read(sip) & SIP_STIP, SIP_STIP);
    TRUE(rdtime() >= when);
    EQ(n_timer, 0);
    csr_set(sstatus, SSTATUS_SIE);
    TRUE(wait_count(&n_timer, 1));
    EQ(n_timer, 1);
    /* SIE = 1: wfi, then the handler runs */
    when = rdtime() + 2 * TICKS_1MS;
    csr_write(CSR_STIMECMP, when);
    t0 = rdtime();
    while (n_timer < 2 && rdtime() - t0 < WAIT_TICKS)
        asm volatile("wfi");
    EQ(n_timer, 2);
    TRUE(rdtime() >= when);
    csr_clear(sstatus, SSTATUS_SIE);
    csr_write(sie, 0);
    t_end();
}

int main(void)
{
    trap_set_irq_hook(hook);
    test_pending();
    timer_once("irq.timer-stimecmp", false);
    timer_once("irq.timer-sbi", true);
    test_vectored();
    test_priority();
    test_masking();
    test_user();
    test_wfi();
    EQ(n_other, 0);
    return 0;
}
