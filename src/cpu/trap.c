/* SPDX-License-Identifier: MIT */
/*
 * trap: exception and interrupt entry into S-mode and sret (privileged spec
 * §10.1.1 sstatus, §10.1.2 stvec, §10.1.3 sip/sie, §3.3.2 xRET).
 *
 * The VMM is M-mode, and it delegates everything to S (as medeleg/mideleg
 * would with OpenSBI) except ecall from S, which the interpreter turns into
 * an SBI exit before it gets here. Interrupt priority among S-level sources
 * is SEI > SSI > STI (§3.1.9).
 *
 * A trap whose handler cannot be fetched (e.g. stvec still 0 before the
 * kernel sets it, or pointing at unmapped memory) would loop forever; it is
 * reported as fatal instead, with the registers dumped by the caller.
 */
#include "cpu/internal.h"

#include <stdio.h>

static void enter(struct hart *h, uint64_t cause, uint64_t tval, bool irq)
{
    uint64_t st = h->status;
    h->sepc = h->pc;
    h->scause = cause | (irq ? 1ull << 63 : 0);
    h->stval = tval;
    st = (st & ~SSTATUS_SPIE) | ((st & SSTATUS_SIE) ? SSTATUS_SPIE : 0);
    st &= ~SSTATUS_SIE;
    st = (st & ~SSTATUS_SPP) | (h->priv == PRV_S ? SSTATUS_SPP : 0);
    h->status = st;
    h->priv = PRV_S;
    uint64_t base = h->stvec & ~3ull;
    h->pc = base + ((irq && (h->stvec & 3) == 1) ? 4 * cause : 0);
}

bool trap_exception(struct hart *h, uint64_t cause, uint64_t tval)
{
    bool fetch_fault = cause == EXC_INSN_ACCESS || cause == EXC_INSN_PAGE_FAULT;
    if (fetch_fault && (h->pc == (h->stvec & ~3ull) || tval == (h->stvec & ~3ull))) {
        snprintf(h->fatal_msg, sizeof(h->fatal_msg),
                 "guest trap handler is not executable (cause %llu at pc 0x%llx, stvec 0x%llx)",
                 (unsigned long long)cause, (unsigned long long)h->pc,
                 (unsigned long long)h->stvec);
        return false;
    }
    enter(h, cause, tval, false);
    return true;
}

bool trap_check_interrupts(struct hart *h)
{
    uint64_t pend = atomic_load_explicit(&h->mip, memory_order_relaxed) & h->sie;
    if (!pend)
        return false;
    /* §3.1.6.1: in U-mode S-level interrupts are always enabled */
    if (h->priv == PRV_S && !(h->status & SSTATUS_SIE))
        return false;
    uint64_t cause = (pend & MIP_SEIP) ? IRQ_S_EXT : (pend & MIP_SSIP) ? IRQ_S_SOFT : IRQ_S_TIMER;
    enter(h, cause, 0, true);
    return true;
}

void trap_sret(struct hart *h)
{
    uint64_t st = h->status;
    h->priv = (st & SSTATUS_SPP) ? PRV_S : PRV_U;
    st = (st & ~SSTATUS_SIE) | ((st & SSTATUS_SPIE) ? SSTATUS_SIE : 0);
    st |= SSTATUS_SPIE;
    st &= ~SSTATUS_SPP;
    h->status = st;
    h->pc = h->sepc;
}
