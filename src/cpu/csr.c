/* SPDX-License-Identifier: MIT */
/*
 * csr: the CSRs an S-mode guest can reach (privileged spec ch. 10, Sstc,
 * unprivileged ch. 7 Zicntr, ch. 11 fcsr). The CSR number encodes access
 * (§2.1): bits 9:8 the lowest privilege, bits 11:10 == 3 read-only.
 * Unknown CSRs and M-level CSRs raise illegal instruction, which is how
 * the kernel learns what is absent.
 *
 * satp is WARL: only Bare, Sv39 and Sv48 are accepted; other modes leave it
 * unchanged (the kernel probes sv57/sv48 this way). No ASIDs are implemented
 * (ASIDLEN = 0), so every satp write flushes the TLB.
 */
#include "cpu/cpu.h"
#include "cpu/internal.h"
#include "cpu/mmu.h"

enum {
    CSR_FFLAGS = 0x001, CSR_FRM = 0x002, CSR_FCSR = 0x003,
    CSR_CYCLE = 0xc00, CSR_TIME = 0xc01, CSR_INSTRET = 0xc02,
    CSR_SSTATUS = 0x100, CSR_SIE = 0x104, CSR_STVEC = 0x105, CSR_SCOUNTEREN = 0x106,
    CSR_SENVCFG = 0x10a, CSR_SSCRATCH = 0x140, CSR_SEPC = 0x141, CSR_SCAUSE = 0x142,
    CSR_STVAL = 0x143, CSR_SIP = 0x144, CSR_STIMECMP = 0x14d, CSR_SATP = 0x180,
};

static uint64_t sstatus_read(const struct hart *h)
{
    uint64_t st = h->status | SSTATUS_UXL_64;
    if ((st & SSTATUS_FS) == SSTATUS_FS_DIRTY)
        st |= SSTATUS_SD;
    return st;
}

static int counter_read(struct hart *h, unsigned csr, uint64_t *val)
{
    unsigned idx = csr - CSR_CYCLE;
    /* §10.1.5: scounteren gates U-mode; M's mcounteren (ours) allows S */
    if (h->priv == PRV_U && !(h->scounteren & (1u << idx)))
        return -1;
    *val = idx == 1 ? hart_time(h) : h->instret;
    return 0;
}

int csr_read(struct hart *h, unsigned csr, uint64_t *val)
{
    if (((csr >> 8) & 3) > h->priv)
        return -1;
    switch (csr) {
    case CSR_FFLAGS: case CSR_FRM: case CSR_FCSR:
        if (!hart_fs_enabled(h))
            return -1;
        *val = csr == CSR_FFLAGS ? h->fflags : csr == CSR_FRM ? h->frm : (h->frm << 5) | h->fflags;
        return 0;
    case CSR_CYCLE: case CSR_TIME: case CSR_INSTRET:
        return counter_read(h, csr, val);
    case CSR_SSTATUS: *val = sstatus_read(h); return 0;
    case CSR_SIE: *val = h->sie; return 0;
    case CSR_STVEC: *val = h->stvec; return 0;
    case CSR_SCOUNTEREN: *val = h->scounteren; return 0;
    case CSR_SENVCFG: *val = h->senvcfg; return 0;
    case CSR_SSCRATCH: *val = h->sscratch; return 0;
    case CSR_SEPC: *val = h->sepc; return 0;
    case CSR_SCAUSE: *val = h->scause; return 0;
    case CSR_STVAL: *val = h->stval; return 0;
    case CSR_SIP: *val = atomic_load(&h->mip) & SIP_MASK; return 0;
    case CSR_STIMECMP: *val = h->stimecmp; return 0;
    case CSR_SATP: *val = h->satp; return 0;
    }
    return -1;
}

static void sstatus_write(struct hart *h, uint64_t val)
{
    uint64_t old = h->status;
    h->status = (old & ~SSTATUS_WMASK) | (val & SSTATUS_WMASK);
    /* Entries were filled under the old permissions: drop them when SUM or
     * MXR take a permission away (adding one needs no flush). */
    if ((old & ~h->status) & (SSTATUS_SUM | SSTATUS_MXR))
        mmu_flush_data(h);
}

static void satp_write(struct hart *h, uint64_t val)
{
    unsigned mode = (unsigned)(val >> 60);
    if (mode != 0 && mode != 8 && mode != 9)
        return; /* WARL: unsupported mode, keep the old value */
    val &= ~(0xffffull << 44); /* ASIDLEN = 0 */
    h->satp = val;
    mmu_set_satp(h, val);
    mmu_flush(h);
}

int csr_write(struct hart *h, unsigned csr, uint64_t val)
{
    if (((csr >> 8) & 3) > h->priv || (csr >> 10) == 3)
        return -1;
    switch (csr) {
    case CSR_FFLAGS: case CSR_FRM: case CSR_FCSR:
        if (!hart_fs_enabled(h))
            return -1;
        if (csr == CSR_FFLAGS)
            h->fflags = val & 0x1f;
        else if (csr == CSR_FRM)
            h->frm = val & 7;
        else {
            h->fflags = val & 0x1f;
            h->frm = (val >> 5) & 7;
        }
        hart_fs_dirty(h);
        return 0;
    case CSR_SSTATUS: sstatus_write(h, val); return 0;
    case CSR_SIE: h->sie = val & SIP_MASK; return 0;
    case CSR_STVEC:
        /* WARL: modes 0 (direct) and 1 (vectored); reserved modes read as direct */
        h->stvec = (val & 3) >= 2 ? val & ~3ull : val;
        return 0;
    case CSR_SCOUNTEREN: h->scounteren = val & 7; return 0;
    case CSR_SENVCFG: h->senvcfg = val & 1; return 0; /* FIOM only; no CBO/PBMT */
    case CSR_SSCRATCH: h->sscratch = val; return 0;
    case CSR_SEPC: h->sepc = val & ~1ull; return 0;
    case CSR_SCAUSE: h->scause = val; return 0;
    case CSR_STVAL: h->stval = val; return 0;
    case CSR_SIP:
        /* only SSIP is writable from S-mode (§10.1.3) */
        cpu_set_irq(h, MIP_SSIP, (val & MIP_SSIP) != 0);
        return 0;
    case CSR_STIMECMP:
        h->stimecmp = val;
        cpu_update_timer(h, hart_time(h));
        return 0;
    case CSR_SATP: satp_write(h, val); return 0;
    }
    return -1;
}
