/* SPDX-License-Identifier: MIT */
/*
 * exec: the interpreter's dispatch loop over one decoded block, with
 * direct threading (computed goto: each op ends by jumping straight to the
 * next op's handler, which predicts better than one shared switch).
 *
 * Semantics follow the unprivileged spec chapter by chapter (RV64I ch. 2/5,
 * M ch. 8, A ch. 9); FP arithmetic is delegated to fpu_exec(). The pc lives
 * in a local while blocks run and is written back to h->pc before anything
 * that reads it (traps, exits). Blocks chain through the per-hart jump cache
 * without returning to the caller. This is the one file allowed to be long.
 * Runs on the hart's vCPU thread only.
 */
#include <sched.h>

#include "cpu/cpu.h"
#include "cpu/fpu.h"
#include "cpu/internal.h"
#include "cpu/jit/jit.h"
#include "cpu/mmu.h"

#define X (h->x)
#define NANBOX_S 0xffffffff00000000ull

static inline int64_t sx32(uint64_t v)
{
    return (int32_t)(uint32_t)v;
}

/* AMO min/max need a compare-and-swap loop; the others map to host atomics. */
static uint64_t amo_minmax(void *p, uint64_t v, int is_d, int kind)
{
    if (is_d) {
        uint64_t old = __atomic_load_n((uint64_t *)p, __ATOMIC_SEQ_CST), nv;
        do {
            switch (kind) {
            case 0: nv = (int64_t)old < (int64_t)v ? old : v; break;
            case 1: nv = (int64_t)old > (int64_t)v ? old : v; break;
            case 2: nv = old < v ? old : v; break;
            default: nv = old > v ? old : v; break;
            }
        } while (!__atomic_compare_exchange_n((uint64_t *)p, &old, nv, true, __ATOMIC_SEQ_CST,
                                              __ATOMIC_SEQ_CST));
        return old;
    }
    uint32_t old = __atomic_load_n((uint32_t *)p, __ATOMIC_SEQ_CST), nv, w = (uint32_t)v;
    do {
        switch (kind) {
        case 0: nv = (int32_t)old < (int32_t)w ? old : w; break;
        case 1: nv = (int32_t)old > (int32_t)w ? old : w; break;
        case 2: nv = old < w ? old : w; break;
        default: nv = old > w ? old : w; break;
        }
    } while (!__atomic_compare_exchange_n((uint32_t *)p, &old, nv, true, __ATOMIC_SEQ_CST,
                                          __ATOMIC_SEQ_CST));
    return (uint64_t)(int64_t)(int32_t)old;
}

static uint64_t amo_rmw(void *p, uint64_t v, int is_d, enum op op)
{
    if (is_d) {
        uint64_t *q = p;
        switch (op) {
        case OP_AMOSWAP_D: return __atomic_exchange_n(q, v, __ATOMIC_SEQ_CST);
        case OP_AMOADD_D: return __atomic_fetch_add(q, v, __ATOMIC_SEQ_CST);
        case OP_AMOXOR_D: return __atomic_fetch_xor(q, v, __ATOMIC_SEQ_CST);
        case OP_AMOAND_D: return __atomic_fetch_and(q, v, __ATOMIC_SEQ_CST);
        case OP_AMOOR_D: return __atomic_fetch_or(q, v, __ATOMIC_SEQ_CST);
        case OP_AMOMIN_D: return amo_minmax(p, v, 1, 0);
        case OP_AMOMAX_D: return amo_minmax(p, v, 1, 1);
        case OP_AMOMINU_D: return amo_minmax(p, v, 1, 2);
        default: return amo_minmax(p, v, 1, 3);
        }
    }
    uint32_t *q = p, w = (uint32_t)v, r;
    switch (op) {
    case OP_AMOSWAP_W: r = __atomic_exchange_n(q, w, __ATOMIC_SEQ_CST); break;
    case OP_AMOADD_W: r = __atomic_fetch_add(q, w, __ATOMIC_SEQ_CST); break;
    case OP_AMOXOR_W: r = __atomic_fetch_xor(q, w, __ATOMIC_SEQ_CST); break;
    case OP_AMOAND_W: r = __atomic_fetch_and(q, w, __ATOMIC_SEQ_CST); break;
    case OP_AMOOR_W: r = __atomic_fetch_or(q, w, __ATOMIC_SEQ_CST); break;
    case OP_AMOMIN_W: return amo_minmax(p, v, 0, 0);
    case OP_AMOMAX_W: return amo_minmax(p, v, 0, 1);
    case OP_AMOMINU_W: return amo_minmax(p, v, 0, 2);
    default: return amo_minmax(p, v, 0, 3);
    }
    return (uint64_t)(int64_t)(int32_t)r;
}

/* A-extension op (ch. 9). Returns false with h->exc_* set on a fault.
 * Misaligned atomics are not emulated: they raise address-misaligned. */
bool exec_atomic(struct hart *h, const struct insn *in)
{
    enum op op = (enum op)in->op;
    int is_d = op >= OP_LR_D;
    unsigned size = is_d ? 8 : 4;
    uint64_t a = X[in->rs1];
    bool is_lr = op == OP_LR_W || op == OP_LR_D;
    if (a & (size - 1)) {
        h->exc_cause = is_lr ? EXC_LOAD_MISALIGNED : EXC_STORE_MISALIGNED;
        h->exc_tval = a;
        return false;
    }
    void *p = mmu_host_ptr(h, a, is_lr ? ACC_READ : ACC_WRITE);
    if (!p)
        return false;
    if (is_lr) {
        uint64_t v = is_d ? __atomic_load_n((uint64_t *)p, __ATOMIC_SEQ_CST)
                          : (uint64_t)(int64_t)__atomic_load_n((int32_t *)p, __ATOMIC_SEQ_CST);
        h->resv = (uintptr_t)p;
        h->resv_val = v;
        X[in->rd] = v;
        return true;
    }
    if (op == OP_SC_W || op == OP_SC_D) {
        bool ok = false;
        if (h->resv == (uintptr_t)p) {
            if (is_d) {
                uint64_t expect = h->resv_val;
                ok = __atomic_compare_exchange_n((uint64_t *)p, &expect, X[in->rs2], false,
                                                 __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
            } else {
                uint32_t expect = (uint32_t)h->resv_val;
                ok = __atomic_compare_exchange_n((uint32_t *)p, &expect, (uint32_t)X[in->rs2],
                                                 false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
            }
        }
        h->resv = ~0ull;
        X[in->rd] = !ok;
        return true;
    }
    X[in->rd] = amo_rmw(p, X[in->rs2], is_d, op);
    return true;
}

static uint64_t mulh(int64_t a, int64_t b)
{
    return (uint64_t)(((__int128)a * b) >> 64);
}

static uint64_t mulhsu(int64_t a, uint64_t b)
{
    return (uint64_t)(((__int128)a * (unsigned __int128)b) >> 64);
}

static uint64_t mulhu(uint64_t a, uint64_t b)
{
    return (uint64_t)(((unsigned __int128)a * b) >> 64);
}

/* Division per the table in §8.2: no traps, defined results. */
static uint64_t div64(int64_t a, int64_t b)
{
    if (b == 0)
        return ~0ull;
    if (a == INT64_MIN && b == -1)
        return (uint64_t)a;
    return (uint64_t)(a / b);
}

static uint64_t rem64(int64_t a, int64_t b)
{
    if (b == 0)
        return (uint64_t)a;
    if (a == INT64_MIN && b == -1)
        return 0;
    return (uint64_t)(a % b);
}

static uint64_t div32(int32_t a, int32_t b)
{
    if (b == 0)
        return ~0ull;
    if (a == INT32_MIN && b == -1)
        return (uint64_t)(int64_t)a;
    return (uint64_t)(int64_t)(a / b);
}

static uint64_t rem32(int32_t a, int32_t b)
{
    if (b == 0)
        return (uint64_t)(int64_t)a;
    if (a == INT32_MIN && b == -1)
        return 0;
    return (uint64_t)(int64_t)(a % b);
}

/* CSR instruction (Zicsr). rd == 32 means x0: csrrw then does not read. */
bool exec_csr(struct hart *h, const struct insn *in)
{
    unsigned csr = (unsigned)in->imm;
    enum op op = (enum op)in->op;
    bool imm = op >= OP_CSRRWI;
    uint64_t src = imm ? in->rs1 : X[in->rs1];
    uint64_t old = 0;
    if (op == OP_CSRRW || op == OP_CSRRWI) {
        if (in->rd != 32 && csr_read(h, csr, &old))
            return false;
        if (csr_write(h, csr, src))
            return false;
    } else {
        if (csr_read(h, csr, &old))
            return false;
        if (in->rs1 != 0) {
            bool set = op == OP_CSRRS || op == OP_CSRRSI;
            if (csr_write(h, csr, set ? old | src : old & ~src))
                return false;
        }
    }
    X[in->rd] = old;
    return true;
}

static bool exec_fp_mem(struct hart *h, const struct insn *in)
{
    uint64_t a = X[in->rs1] + (uint64_t)in->imm, v;
    switch (in->op) {
    case OP_FLW:
        if (!mmu_load(h, a, 4, &v))
            return false;
        h->f[in->rd] = v | NANBOX_S;
        break;
    case OP_FLD:
        if (!mmu_load(h, a, 8, &v))
            return false;
        h->f[in->rd] = v;
        break;
    case OP_FSW:
        return mmu_store(h, a, 4, h->f[in->rs2]);
    default:
        return mmu_store(h, a, 8, h->f[in->rs2]);
    }
    hart_fs_dirty(h);
    return true;
}

/*
 * pause in a spin-wait loop (Linux's spinlocks, csd_lock_wait for IPIs,
 * udelay): the hart waits for another one, whose host thread may be
 * preempted, e.g. with more vCPUs than host cores, so spinning on would
 * only keep it off the core, the way pause-loop exiting handles it on x86
 * hosts. Every PAUSE_YIELD_SPINS pauses in a row (each within PAUSE_GAP
 * instructions of the last) give the host core away once.
 */
#define PAUSE_YIELD_SPINS 128
#define PAUSE_GAP 64
static void pause_hint(struct hart *h)
{
    if (h->instret - h->pause_instret > PAUSE_GAP)
        h->pause_spins = 0;
    h->pause_instret = h->instret;
    if (++h->pause_spins % PAUSE_YIELD_SPINS == 0)
        sched_yield();
}

/* The bits of the instruction at h->pc, for stval on illegal instruction
 * (§10.1.10 allows 0, but reporting the bits helps guests emulate). The page
 * was just executed from, so the fetch cannot fault in practice. */
static uint64_t insn_bits(struct hart *h, unsigned len)
{
    const uint8_t *lo = mmu_host_ptr(h, h->pc, ACC_EXEC);
    if (!lo)
        return 0;
    uint16_t a, c = 0;
    memcpy(&a, lo, 2);
    if (len == 2)
        return a;
    const uint8_t *hi = PAGE_OFF(h->pc) == 0xffe ? mmu_host_ptr(h, h->pc + 2, ACC_EXEC) : lo + 2;
    if (hi)
        memcpy(&c, hi, 2);
    return a | ((uint32_t)c << 16);
}

#define NEXT                                                                                       \
    do {                                                                                           \
        pc += in->len;                                                                             \
        in++;                                                                                      \
        goto *labels[in->op];                                                                      \
    } while (0)
#define LOAD(size, type)                                                                           \
    do {                                                                                           \
        uint64_t v_;                                                                               \
        if (!mmu_load(h, X[in->rs1] + (uint64_t)in->imm, size, &v_))                               \
            goto fault;                                                                            \
        X[in->rd] = (uint64_t)(int64_t)(type)v_;                                                   \
        NEXT;                                                                                      \
    } while (0)
#define STORE(size)                                                                                \
    do {                                                                                           \
        if (!mmu_store(h, X[in->rs1] + (uint64_t)in->imm, size, X[in->rs2]))                       \
            goto fault;                                                                            \
        NEXT;                                                                                      \
    } while (0)
#define BRANCH(cond)                                                                               \
    do {                                                                                           \
        if (cond) {                                                                                \
            pc += (uint64_t)in->imm;                                                               \
            in++;                                                                                  \
            goto done;                                                                             \
        }                                                                                          \
        NEXT;                                                                                      \
    } while (0)
#define ALU(expr)                                                                                  \
    do {                                                                                           \
        X[in->rd] = (expr);                                                                        \
        NEXT;                                                                                      \
    } while (0)

int interp_run(struct hart *h, int64_t *left_p)
{
    /* Indexed by enum op; every op has a handler. */
    static const void *const labels[OP_COUNT + 1] = {
        [OP_ILLEGAL] = &&L_ILLEGAL, [OP_LUI] = &&L_LUI, [OP_AUIPC] = &&L_AUIPC,
        [OP_JAL] = &&L_JAL, [OP_JALR] = &&L_JALR, [OP_BEQ] = &&L_BEQ, [OP_BNE] = &&L_BNE,
        [OP_BLT] = &&L_BLT, [OP_BGE] = &&L_BGE, [OP_BLTU] = &&L_BLTU, [OP_BGEU] = &&L_BGEU,
        [OP_LB] = &&L_LB, [OP_LH] = &&L_LH, [OP_LW] = &&L_LW, [OP_LD] = &&L_LD,
        [OP_LBU] = &&L_LBU, [OP_LHU] = &&L_LHU, [OP_LWU] = &&L_LWU, [OP_SB] = &&L_SB,
        [OP_SH] = &&L_SH, [OP_SW] = &&L_SW, [OP_SD] = &&L_SD, [OP_ADDI] = &&L_ADDI,
        [OP_SLTI] = &&L_SLTI, [OP_SLTIU] = &&L_SLTIU, [OP_XORI] = &&L_XORI, [OP_ORI] = &&L_ORI,
        [OP_ANDI] = &&L_ANDI, [OP_SLLI] = &&L_SLLI, [OP_SRLI] = &&L_SRLI, [OP_SRAI] = &&L_SRAI,
        [OP_ADD] = &&L_ADD, [OP_SUB] = &&L_SUB, [OP_SLL] = &&L_SLL, [OP_SLT] = &&L_SLT,
        [OP_SLTU] = &&L_SLTU, [OP_XOR] = &&L_XOR, [OP_SRL] = &&L_SRL, [OP_SRA] = &&L_SRA,
        [OP_OR] = &&L_OR, [OP_AND] = &&L_AND, [OP_ADDIW] = &&L_ADDIW, [OP_SLLIW] = &&L_SLLIW,
        [OP_SRLIW] = &&L_SRLIW, [OP_SRAIW] = &&L_SRAIW, [OP_ADDW] = &&L_ADDW,
        [OP_SUBW] = &&L_SUBW, [OP_SLLW] = &&L_SLLW, [OP_SRLW] = &&L_SRLW, [OP_SRAW] = &&L_SRAW,
        [OP_FENCE] = &&L_FENCE, [OP_FENCE_I] = &&L_FENCE_I, [OP_ECALL] = &&L_ECALL,
        [OP_EBREAK] = &&L_EBREAK, [OP_SRET] = &&L_SRET, [OP_MRET] = &&L_ILLEGAL,
        [OP_WFI] = &&L_WFI, [OP_SFENCE_VMA] = &&L_SFENCE_VMA, [OP_CSRRW] = &&L_CSR,
        [OP_CSRRS] = &&L_CSR, [OP_CSRRC] = &&L_CSR, [OP_CSRRWI] = &&L_CSR,
        [OP_CSRRSI] = &&L_CSR, [OP_CSRRCI] = &&L_CSR, [OP_MUL] = &&L_MUL,
        [OP_MULH] = &&L_MULH, [OP_MULHSU] = &&L_MULHSU, [OP_MULHU] = &&L_MULHU,
        [OP_DIV] = &&L_DIV, [OP_DIVU] = &&L_DIVU, [OP_REM] = &&L_REM, [OP_REMU] = &&L_REMU,
        [OP_MULW] = &&L_MULW, [OP_DIVW] = &&L_DIVW, [OP_DIVUW] = &&L_DIVUW,
        [OP_REMW] = &&L_REMW, [OP_REMUW] = &&L_REMUW,
        [OP_LR_W ... OP_AMOMAXU_D] = &&L_ATOMIC,
        [OP_FLW ... OP_FSD] = &&L_FPMEM,
        [OP_FP_FIRST ... OP_FP_LAST] = &&L_FP,
        [OP_BLOCK_END] = &&L_END,
    };
    int64_t left = *left_p;
    uint64_t pc = h->pc;
    struct jit *jit = h->dcache->jit;
    struct block *b;
    const struct insn *in;
    int ret;

next_block:
    /* Block boundary: the only place where budget, requests from other
     * threads and interrupts are looked at. */
    if (__builtin_expect(left <= 0, 0)) {
        ret = CPU_EXIT_BUDGET;
        goto out;
    }
    if (__builtin_expect(atomic_load_explicit(&h->exit_request, memory_order_relaxed), 0)) {
        ret = CPU_EXIT_REQUEST;
        goto out;
    }
    if (__builtin_expect(h->code_epoch_seen != atomic_load_explicit(&h->pm->ram->code_epoch,
                                                                     memory_order_relaxed), 0)) {
        /* another hart started executing from a page we may hold a write
         * translation for (see ram.h) */
        h->code_epoch_seen = atomic_load(&h->pm->ram->code_epoch);
        mmu_flush_writes(h);
    }
    if (__builtin_expect(atomic_load_explicit(&h->mip, memory_order_relaxed) & h->sie, 0)) {
        h->pc = pc;
        trap_check_interrupts(h);
        pc = h->pc;
    }
    b = jc_lookup(h, pc);
    if (__builtin_expect(!b, 0))
        b = jc2_lookup(h, pc);
    if (__builtin_expect(!b, 0)) {
        h->pc = pc;
        b = block_get(h);
        if (!b) {
            if (!trap_exception(h, h->exc_cause, h->exc_tval)) {
                ret = CPU_EXIT_FATAL;
                goto out;
            }
            pc = h->pc;
            goto next_block;
        }
    }
    if (jit && (b->jit || jit_hot(h, jit, b, pc))) {
        /* Translated code runs this block and maybe more; see enum jit_stop. */
        uint64_t irq = h->priv == PRV_U || (h->status & SSTATUS_SIE) ? ~0ull : 0;
        h->jit_left = left;
        struct jit_ret r = jit->enter(h, pc, b->jit, irq);
        h->instret += (uint64_t)(left - h->jit_left); /* the blocks it completed */
        left = h->jit_left;
        pc = r.pc;
        if ((r.st & 0xff) == JIT_BOUNDARY) {
            if (h->jit_patch)
                jit_link(h, pc);
            goto next_block;
        }
        b = (struct block *)h->jit_blk;
        in = b->in + (r.st >> 8);
        if ((r.st & 0xff) == JIT_FAULT)
            goto fault;
        goto *labels[in->op];
    }
    in = b->in;
    goto *labels[in->op];

L_LUI: ALU((uint64_t)in->imm);
L_AUIPC: ALU(pc + (uint64_t)in->imm);
L_JAL: {
    uint64_t ret = pc + in->len;
    pc += (uint64_t)in->imm;
    X[in->rd] = ret;
    in++;
    goto done;
}
L_JALR: {
    uint64_t ret = pc + in->len;
    pc = (X[in->rs1] + (uint64_t)in->imm) & ~1ull;
    X[in->rd] = ret;
    in++;
    goto done;
}
L_BEQ: BRANCH(X[in->rs1] == X[in->rs2]);
L_BNE: BRANCH(X[in->rs1] != X[in->rs2]);
L_BLT: BRANCH((int64_t)X[in->rs1] < (int64_t)X[in->rs2]);
L_BGE: BRANCH((int64_t)X[in->rs1] >= (int64_t)X[in->rs2]);
L_BLTU: BRANCH(X[in->rs1] < X[in->rs2]);
L_BGEU: BRANCH(X[in->rs1] >= X[in->rs2]);
L_LB: LOAD(1, int8_t);
L_LH: LOAD(2, int16_t);
L_LW: LOAD(4, int32_t);
L_LD: LOAD(8, int64_t);
L_LBU: LOAD(1, uint8_t);
L_LHU: LOAD(2, uint16_t);
L_LWU: LOAD(4, uint32_t);
L_SB: STORE(1);
L_SH: STORE(2);
L_SW: STORE(4);
L_SD: STORE(8);
L_ADDI: ALU(X[in->rs1] + (uint64_t)in->imm);
L_SLTI: ALU((int64_t)X[in->rs1] < in->imm);
L_SLTIU: ALU(X[in->rs1] < (uint64_t)in->imm);
L_XORI: ALU(X[in->rs1] ^ (uint64_t)in->imm);
L_ORI: ALU(X[in->rs1] | (uint64_t)in->imm);
L_ANDI: ALU(X[in->rs1] & (uint64_t)in->imm);
L_SLLI: ALU(X[in->rs1] << in->imm);
L_SRLI: ALU(X[in->rs1] >> in->imm);
L_SRAI: ALU((uint64_t)((int64_t)X[in->rs1] >> in->imm));
L_ADD: ALU(X[in->rs1] + X[in->rs2]);
L_SUB: ALU(X[in->rs1] - X[in->rs2]);
L_SLL: ALU(X[in->rs1] << (X[in->rs2] & 63));
L_SLT: ALU((int64_t)X[in->rs1] < (int64_t)X[in->rs2]);
L_SLTU: ALU(X[in->rs1] < X[in->rs2]);
L_XOR: ALU(X[in->rs1] ^ X[in->rs2]);
L_SRL: ALU(X[in->rs1] >> (X[in->rs2] & 63));
L_SRA: ALU((uint64_t)((int64_t)X[in->rs1] >> (X[in->rs2] & 63)));
L_OR: ALU(X[in->rs1] | X[in->rs2]);
L_AND: ALU(X[in->rs1] & X[in->rs2]);
L_ADDIW: ALU((uint64_t)sx32(X[in->rs1] + (uint64_t)in->imm));
L_SLLIW: ALU((uint64_t)sx32((uint32_t)X[in->rs1] << in->imm));
L_SRLIW: ALU((uint64_t)sx32((uint32_t)X[in->rs1] >> in->imm));
L_SRAIW: ALU((uint64_t)(int64_t)((int32_t)X[in->rs1] >> in->imm));
L_ADDW: ALU((uint64_t)sx32(X[in->rs1] + X[in->rs2]));
L_SUBW: ALU((uint64_t)sx32(X[in->rs1] - X[in->rs2]));
L_SLLW: ALU((uint64_t)sx32((uint32_t)X[in->rs1] << (X[in->rs2] & 31)));
L_SRLW: ALU((uint64_t)sx32((uint32_t)X[in->rs1] >> (X[in->rs2] & 31)));
L_SRAW: ALU((uint64_t)(int64_t)((int32_t)X[in->rs1] >> (X[in->rs2] & 31)));
L_MUL: ALU(X[in->rs1] * X[in->rs2]);
L_MULH: ALU(mulh((int64_t)X[in->rs1], (int64_t)X[in->rs2]));
L_MULHSU: ALU(mulhsu((int64_t)X[in->rs1], X[in->rs2]));
L_MULHU: ALU(mulhu(X[in->rs1], X[in->rs2]));
L_DIV: ALU(div64((int64_t)X[in->rs1], (int64_t)X[in->rs2]));
L_DIVU: ALU(X[in->rs2] ? X[in->rs1] / X[in->rs2] : ~0ull);
L_REM: ALU(rem64((int64_t)X[in->rs1], (int64_t)X[in->rs2]));
L_REMU: ALU(X[in->rs2] ? X[in->rs1] % X[in->rs2] : X[in->rs1]);
L_MULW: ALU((uint64_t)sx32(X[in->rs1] * X[in->rs2]));
L_DIVW: ALU(div32((int32_t)X[in->rs1], (int32_t)X[in->rs2]));
L_DIVUW: ALU((uint32_t)X[in->rs2] ? (uint64_t)sx32((uint32_t)X[in->rs1] / (uint32_t)X[in->rs2])
                                  : ~0ull);
L_REMW: ALU(rem32((int32_t)X[in->rs1], (int32_t)X[in->rs2]));
L_REMUW: ALU((uint32_t)X[in->rs2] ? (uint64_t)sx32((uint32_t)X[in->rs1] % (uint32_t)X[in->rs2])
                                  : (uint64_t)sx32(X[in->rs1]));
L_FENCE:
    if (__builtin_expect(fence_is_pause(in), 0)) {
        pause_hint(h);
        NEXT;
    }
    /* x86 keeps every order except store -> load (RVWMO §A.5 mapping) */
    if (fence_needs_store_load(in))
        __atomic_thread_fence(__ATOMIC_SEQ_CST);
    NEXT;
L_ATOMIC:
    if (!exec_atomic(h, in))
        goto fault;
    NEXT;
L_FPMEM:
    if (!hart_fs_enabled(h))
        goto illegal;
    if (!exec_fp_mem(h, in))
        goto fault;
    NEXT;
L_FP:
    if (!hart_fs_enabled(h) || fpu_exec(h, in))
        goto illegal;
    NEXT;
L_CSR:
    if (!exec_csr(h, in))
        goto illegal;
    pc += in->len;
    in++;
    goto done;
L_FENCE_I:
    cpu_fence_i(h);
    pc += in->len;
    in++;
    goto done;
L_SFENCE_VMA:
    if (h->priv == PRV_U)
        goto illegal;
    if (in->rs1 != 0)
        mmu_flush_page(h, X[in->rs1]);
    else
        mmu_flush(h);
    pc += in->len;
    in++;
    goto done;
L_SRET:
    if (h->priv == PRV_U)
        goto illegal;
    trap_sret(h);
    pc = h->pc;
    in++;
    goto done;
L_WFI:
    if (h->priv == PRV_U)
        goto illegal;
    pc += in->len;
    in++;
    left -= in - b->in;
    h->instret += (uint64_t)(in - b->in);
    if (atomic_load(&h->mip) & h->sie)
        goto next_block;
    ret = CPU_EXIT_WFI;
    goto out;
L_ECALL:
    if (h->priv == PRV_U) {
        h->exc_cause = EXC_ECALL_U;
        h->exc_tval = 0;
        goto fault;
    }
    pc += in->len;
    in++;
    left -= in - b->in;
    h->instret += (uint64_t)(in - b->in);
    ret = CPU_EXIT_ECALL;
    goto out;
L_EBREAK:
    h->exc_cause = EXC_BREAKPOINT;
    h->exc_tval = pc;
    goto fault;
L_ILLEGAL:
illegal:
    h->exc_cause = EXC_ILLEGAL_INSN;
    h->pc = pc;
    h->exc_tval = in->op == OP_ILLEGAL ? (uint64_t)in->imm : insn_bits(h, in->len);
    goto fault;
L_END:
done:
    left -= in - b->in;
    h->instret += (uint64_t)(in - b->in);
    goto next_block;
fault:
    /* the faulting instruction does not retire */
    left -= in - b->in + 1;
    h->instret += (uint64_t)(in - b->in);
    h->pc = pc;
    if (!trap_exception(h, h->exc_cause, h->exc_tval)) {
        ret = CPU_EXIT_FATAL;
        goto out;
    }
    pc = h->pc;
    goto next_block;
out:
    h->pc = pc;
    *left_p = left;
    return ret;
}
