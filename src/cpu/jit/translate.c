/* SPDX-License-Identifier: MIT */
/*
 * translate: decoded RISC-V blocks (struct block) -> x86-64 code: the block
 * frame (entry checks, register cache, exits, chaining, out-of-line stubs)
 * and the shared stubs. The ops themselves are in translate_ops.c; both do
 * exactly what the interpreter (exec.c) does, which stays the reference.
 *
 * Register roles (all callee-saved except the cache, set by the entry stub):
 *   rbx  struct hart *          r12  guest pc of the running block's first insn
 *   r13  &h->tlb[h->priv]       r14  budget left (h->jit_left while running)
 *   rbp  h->pm->ram
 * The stack is 16-byte aligned for helper calls: [rsp] is a scratch slot,
 * [rsp + 8] the interrupt mask (~0 if S interrupts are enabled in this run,
 * else 0: the privilege and sstatus.SIE change only in interpreted ops).
 *
 * Register cache: within a block, the guest x registers it uses most live
 * in r8-r11, rdi, r15, loaded after the entry checks and written back
 * before every exit and helper call (those written so far: known
 * statically, since a block is straight-line code).
 * Between blocks, h->x[] holds every register.
 *
 * Chaining: each block starts with the checks the interpreter makes at a
 * block boundary (budget, exit_request, pending and enabled interrupts,
 * code_epoch) and leaves at a boundary when one fires. An exit to a pc in
 * the same guest page as the block's start is a jmp that the first run
 * sends to C (jit_link) and that is then patched to the target's code: the
 * target is fixed by the block's own physical page, and both blocks share
 * one validity (same page, same generation); a forward one enters past the
 * target's checks, since any loop has a backward jump or a lookup. Other
 * exits, and jalr, probe the jump caches inline with the checks of
 * jc_lookup and jc2_lookup.
 *
 * Faults leave through JIT_FAULT with the instruction's pc, so the
 * interpreter raises the trap exactly as it would have; ops not translated
 * end the code with JIT_RESUME at that instruction. Vcpu thread only.
 */
#include "cpu/jit/translate.h"

#include "mem/physmap.h"

static const enum x86_reg cache_reg[JIT_NCACHE] = {R8, R9, R10, R11, RDI, R15};

struct x86_mem jit_xmem(unsigned xr)
{
    return x86_m(R_HART, HOFF(x) + 8 * (int32_t)xr);
}

struct x86_mem jit_fmem(unsigned fr)
{
    return x86_m(R_HART, HOFF(f) + 8 * (int32_t)fr);
}

struct x86_mem jit_hmem(int32_t off)
{
    return x86_m(R_HART, off);
}

/* The host register caching x[xr], or NOREG. */
static enum x86_reg cached(const struct tr *t, unsigned xr)
{
    return t->slot[xr] >= 0 ? cache_reg[t->slot[xr]] : NOREG;
}

void jit_ldx(struct tr *t, enum x86_reg r, unsigned xr)
{
    enum x86_reg c = cached(t, xr);
    if (xr == 0)
        emit_mov_ri(t->e, r, 0);
    else if (c != NOREG)
        emit_mov_rr(t->e, true, r, c);
    else
        emit_load(t->e, 8, false, r, jit_xmem(xr));
}

void jit_ldx32(struct tr *t, enum x86_reg r, unsigned xr)
{
    enum x86_reg c = cached(t, xr);
    if (c != NOREG)
        emit_mov_rr(t->e, false, r, c);
    else
        emit_load(t->e, 4, false, r, jit_xmem(xr));
}

void jit_stx(struct tr *t, unsigned xr, enum x86_reg r)
{
    enum x86_reg c = cached(t, xr);
    if (c != NOREG) {
        emit_mov_rr(t->e, true, c, r);
        t->dirty |= 1u << t->slot[xr];
    } else {
        emit_store(t->e, 8, jit_xmem(xr), r);
    }
}

void jit_stx_imm(struct tr *t, unsigned xr, int32_t imm)
{
    enum x86_reg c = cached(t, xr);
    if (c != NOREG) {
        emit_mov_ri(t->e, c, (uint64_t)(int64_t)imm);
        t->dirty |= 1u << t->slot[xr];
    } else {
        emit_store_i(t->e, jit_xmem(xr), imm);
    }
}

enum x86_reg jit_dst(struct tr *t, unsigned rd, unsigned busy)
{
    enum x86_reg c = cached(t, rd);
    return c != NOREG && rd != busy ? c : RAX;
}

enum x86_reg jit_src(struct tr *t, unsigned xr, enum x86_reg scratch)
{
    enum x86_reg c = cached(t, xr);
    if (c != NOREG)
        return c;
    jit_ldx(t, scratch, xr);
    return scratch;
}

void jit_ldx_to(struct tr *t, enum x86_reg r, unsigned xr, bool w32)
{
    if (xr != 0 && r == cached(t, xr))
        return; /* (32-bit ops ignore the upper half anyway) */
    if (w32)
        jit_ldx32(t, r, xr);
    else
        jit_ldx(t, r, xr);
}

void jit_set_dst(struct tr *t, unsigned rd, enum x86_reg r)
{
    if (r == RAX)
        jit_stx(t, rd, RAX);
    else
        t->dirty |= 1u << t->slot[rd];
}

void jit_alu_x(struct tr *t, bool w64, enum x86_alu op, enum x86_reg dst, unsigned xr)
{
    enum x86_reg c = cached(t, xr);
    if (c != NOREG)
        emit_alu_rr(t->e, w64, op, dst, c);
    else
        emit_alu_rm(t->e, w64, op, dst, jit_xmem(xr));
}

void jit_imul_x(struct tr *t, bool w64, enum x86_reg dst, unsigned xr)
{
    enum x86_reg c = cached(t, xr);
    if (c != NOREG)
        emit_imul_rr(t->e, w64, dst, c);
    else
        emit_imul_rm(t->e, w64, dst, jit_xmem(xr));
}

void jit_unary_x(struct tr *t, enum x86_unary op, unsigned xr)
{
    enum x86_reg c = cached(t, xr);
    if (c != NOREG)
        emit_unary(t->e, true, op, c);
    else
        emit_unary_m(t->e, true, op, jit_xmem(xr));
}

void jit_pc_rel(struct tr *t, enum x86_reg r, int64_t delta)
{
    if (delta == 0 && r == R_PC)
        return;
    if (delta >= INT32_MIN && delta <= INT32_MAX) {
        emit_lea(t->e, r, x86_m(R_PC, (int32_t)delta));
    } else {
        emit_mov_ri(t->e, r, (uint64_t)delta);
        emit_alu_rr(t->e, true, ALU_ADD, r, R_PC);
    }
}

void jit_writeback(struct tr *t, uint32_t mask)
{
    for (unsigned i = 0; i < t->ncached; i++)
        if (mask & (1u << i))
            emit_store(t->e, 8, jit_xmem(t->xr_of[i]), cache_reg[i]);
}

void jit_reload(struct tr *t)
{
    for (unsigned i = 0; i < t->ncached; i++)
        emit_load(t->e, 8, false, cache_reg[i], jit_xmem(t->xr_of[i]));
}

void jit_call_helper(struct tr *t, const void *fn, const struct insn *in)
{
    struct emit *e = t->e;
    jit_writeback(t, t->dirty);
    t->dirty = 0;
    emit_mov_rr(e, true, RDI, R_HART);
    emit_mov_ri(e, RSI, (uint64_t)(uintptr_t)in);
    emit_call_abs(e, fn);
    jit_reload(t); /* rax, the result, is not a cache register */
}

/*
 * Choose the cached registers: those whose caching saves the most memory
 * accesses (a read costs a load and a write a store without the cache;
 * with it, one load at entry if read before written, one store at each
 * exit if written).
 */
static void cache_plan(struct tr *t, uint32_t *load)
{
    int gain[32] = {0};
    uint32_t seen = 0, written = 0;
    *load = 0;
    for (unsigned k = 0; k < t->b->n; k++) {
        uint32_t r, w;
        jit_insn_regs(&t->b->in[k], &r, &w);
        for (unsigned x = 1; x < 32; x++) {
            uint32_t bit = 1u << x;
            gain[x] += ((r & bit) != 0) + ((w & bit) != 0);
            if ((r & bit) && !(seen & bit))
                *load |= bit;
            if ((r | w) & bit)
                seen |= bit;
        }
        written |= w;
    }
    for (unsigned x = 1; x < 32; x++)
        gain[x] -= ((*load >> x) & 1) + ((written >> x) & 1);
    for (unsigned x = 0; x < 33; x++)
        t->slot[x] = -1;
    for (t->ncached = 0; t->ncached < JIT_NCACHE; t->ncached++) {
        unsigned best = 0;
        for (unsigned x = 1; x < 32; x++)
            if (t->slot[x] < 0 && gain[x] > 0 && (!best || gain[x] > gain[best]))
                best = x;
        if (!best)
            break;
        t->slot[best] = (int8_t)t->ncached;
        t->xr_of[t->ncached] = (uint8_t)best;
    }
}

/* The interpreter's block-boundary checks (budget, requests from other
 * threads, pending and enabled interrupts, code_epoch): each one that fires
 * jumps to `out`, or, with out NULL, to a forward site put in sites[]. */
static void gen_checks(struct tr *t, const uint8_t *out, uint8_t *sites[4])
{
    struct emit *e = t->e;
    static const enum x86_cc cc[4] = {CC_LE, CC_NE, CC_NE, CC_NE};
    for (unsigned i = 0; i < 4; i++) {
        switch (i) {
        case 0: emit_test_rr(e, true, R_LEFT, R_LEFT); break;
        case 1: emit_alu_mi(e, false, ALU_CMP, jit_hmem(HOFF(exit_request)), 0); break;
        case 2:
            emit_load(e, 8, false, RAX, jit_hmem(HOFF(mip)));
            emit_alu_rm(e, true, ALU_AND, RAX, jit_hmem(HOFF(sie)));
            emit_alu_rm(e, true, ALU_AND, RAX, x86_m(RSP, 8));
            break;
        default:
            emit_load(e, 4, false, RAX, jit_hmem(HOFF(code_epoch_seen)));
            emit_alu_rm(e, false, ALU_CMP, RAX,
                        x86_m(R_RAM, (int32_t)offsetof(struct ram, code_epoch)));
            break;
        }
        if (out)
            emit_jcc_to(e, cc[i], out);
        else
            sites[i] = emit_jcc_fwd(e, cc[i]);
    }
}

/* Block entry (r12 = this block's pc; the blocks before it are accounted
 * for): the checks, then the register cache fill; *body is the offset of
 * the entry for forward chained jumps (jit_link), which skips the checks. */
static void gen_entry(struct tr *t, uint32_t *body)
{
    struct emit *e = t->e;
    gen_checks(t, t->j->exit_here, NULL);
    *body = (uint32_t)(e->p - e->start);
    uint32_t load;
    cache_plan(t, &load);
    /* All of them, even those written first: then a cached register is
     * right wherever the code reads it, whatever jit_insn_regs says. */
    jit_reload(t);
    t->loop_top = e->p;
    /* Around a self loop a cached register may be ahead of h->x[] at the
     * top: count them all as written. */
    if (t->self_loop)
        t->dirty = (1u << t->ncached) - 1;
}

/* The back edge of a self loop: retire the block, make the boundary checks
 * with the registers still cached, and go round again; leave through a
 * block boundary at the top if a check fires. */
static void gen_loop_back(struct tr *t)
{
    struct emit *e = t->e;
    uint8_t *sites[4];
    emit_alu_ri(e, true, ALU_SUB, R_LEFT, (int32_t)t->b->n);
    gen_checks(t, NULL, sites);
    emit_jmp_to(e, t->loop_top);
    for (unsigned i = 0; i < 4; i++)
        emit_bind(e, sites[i]);
    jit_writeback(t, t->dirty);
    emit_jmp_to(e, t->j->exit_here);
}

struct stub *jit_add_stub(struct tr *t, enum stub_kind kind, uint8_t *site)
{
    if (t->nstubs == MAX_STUBS) {
        t->e->full = true; /* cannot happen with 64-insn blocks; fail safe */
        return &t->stubs[0];
    }
    struct stub *s = &t->stubs[t->nstubs++];
    *s = (struct stub){.kind = kind,
                       .site = {site, NULL, NULL},
                       .in = &t->b->in[t->k],
                       .k = t->k,
                       .off = t->off,
                       .dirty = t->dirty};
    return s;
}

void jit_stop(struct tr *t, enum jit_stop why, unsigned k, int32_t off)
{
    struct emit *e = t->e;
    jit_pc_rel(t, RAX, off);
    emit_mov_ri(e, RDX, why | (uint64_t)k << 8);
    emit_mov_ri(e, RCX, (uint64_t)(uintptr_t)t->b);
    emit_store(e, 8, jit_hmem(HOFF(jit_blk)), RCX);
    emit_jmp_to(e, t->j->exit);
}

/* The whole block retired: write the registers back and charge the block
 * to the budget (instret follows from the budget when the run ends). */
static void gen_retire(struct tr *t)
{
    jit_writeback(t, t->dirty);
    emit_alu_ri(t->e, true, ALU_SUB, R_LEFT, (int32_t)t->b->n);
}

void jit_end_pc(struct tr *t, int64_t delta)
{
    struct emit *e = t->e;
    if (delta == 0 && t->self_loop) {
        gen_loop_back(t);
        return;
    }
    gen_retire(t);
    jit_pc_rel(t, R_PC, delta);
    int64_t at = (int64_t)((uintptr_t)t->b->key & 0xfff) + delta;
    if (at >= 0 && at < 4096) { /* same guest page: chainable */
        jit_add_stub(t, STUB_CHAIN, emit_jmp_fwd(e));
    } else {
        emit_mov_rr(e, true, RAX, R_PC);
        jit_gen_lookup(e, t->j);
    }
}

void jit_end_rax(struct tr *t)
{
    gen_retire(t);
    emit_mov_rr(t->e, true, R_PC, RAX);
    jit_gen_lookup(t->e, t->j);
}

struct stub *jit_fs_check(struct tr *t)
{
    emit_test_mi(t->e, true, jit_hmem(HOFF(status)), (int32_t)SSTATUS_FS);
    return jit_add_stub(t, STUB_RESUME, emit_jcc_fwd(t->e, CC_E));
}

/* An exit not chained yet: ask C to chain it (jit_link), then go on as a
 * block boundary. */
static void gen_chain_stub(struct tr *t, struct stub *s)
{
    struct emit *e = t->e;
    emit_mov_ri(e, RCX, (uint64_t)(uintptr_t)s->site[0]);
    emit_store(e, 8, jit_hmem(HOFF(jit_patch)), RCX);
    emit_mov_ri(e, RCX, (uint64_t)(uintptr_t)t->b);
    emit_store(e, 8, jit_hmem(HOFF(jit_blk)), RCX);
    emit_jmp_to(e, t->j->exit_here);
}

static void gen_stubs(struct tr *t)
{
    struct emit *e = t->e;
    for (unsigned i = 0; i < t->nstubs; i++) {
        struct stub *s = &t->stubs[i];
        for (unsigned i = 0; i < 3; i++)
            emit_bind(e, s->site[i]);
        switch (s->kind) {
        case STUB_LOAD:
        case STUB_STORE: jit_gen_mem_stub(t, s); break;
        case STUB_RESUME:
        case STUB_FAULT:
            jit_writeback(t, s->dirty);
            jit_stop(t, s->kind == STUB_RESUME ? JIT_RESUME : JIT_FAULT, s->k, s->off);
            break;
        case STUB_CHAIN: gen_chain_stub(t, s); break;
        case STUB_FPU: jit_gen_fpu_stub(t, s); break;
        }
    }
}

/* Translated instructions that end the code themselves (control
 * transfers, CSR ops). */
static bool ends_code(const struct insn *in)
{
    return (in->op >= OP_JAL && in->op <= OP_BGEU) || (in->op >= OP_CSRRW && in->op <= OP_CSRRCI);
}

/* Does the block end with a branch or jal that may go back to its start? */
static bool is_self_loop(const struct block *b)
{
    const struct insn *last = &b->in[b->n - 1];
    if (!(last->op == OP_JAL || (last->op >= OP_BEQ && last->op <= OP_BGEU)))
        return false;
    int64_t off = 0;
    for (unsigned k = 0; k + 1 < b->n; k++)
        off += b->in[k].len;
    return off + last->imm == 0;
}

unsigned jit_gen_block(struct emit *e, const struct jit *j, const struct block *b, uint32_t *body)
{
    struct tr t = {.e = e, .j = j, .b = b};
    unsigned k = 0;
    t.self_loop = is_self_loop(b);
    gen_entry(&t, body);
    while (k < b->n) {
        const struct insn *in = &b->in[k];
        t.k = k;
        if (!jit_gen_insn(&t, in, k + 1 == b->n))
            break;
        t.off += in->len;
        k++;
    }
    if (k == 0)
        return 0;
    if (k < b->n) { /* stopped before an untranslated instruction */
        jit_writeback(&t, t.dirty);
        jit_stop(&t, JIT_RESUME, k, t.off);
    } else if (!ends_code(&b->in[k - 1])) { /* fell off the end: page end or BLOCK_MAX */
        jit_end_pc(&t, t.off);
    }
    gen_stubs(&t);
    return k;
}

/* The second-level probe (jc2_lookup): rax = pc, rdx = pc | priv, rdi =
 * the first-level entry's offset. Leaves the block in rcx, having refilled
 * the first level, or goes to exit_here. */
static void gen_lookup_jc2(struct emit *e, struct jit *j)
{
    int32_t x = (int32_t)offsetof(struct tlb_set, x);
    emit_load(e, 8, false, RSI, jit_hmem(HOFF(dcache)));
    emit_mov_rr(e, false, RCX, RAX);
    emit_shift_ri(e, false, SH_SHL, RCX, 3); /* ((pc >> 1) & (JC2_SIZE - 1)) * 16 */
    emit_alu_ri(e, false, ALU_AND, RCX, (JC2_SIZE - 1) << 4);
    emit_lea(e, RSI, x86_mi(RSI, RCX, 1, (int32_t)offsetof(struct dcache, jc2)));
    emit_alu_rm(e, true, ALU_CMP, RDX, x86_m(RSI, (int32_t)offsetof(struct jc_entry, tag)));
    emit_jcc_to(e, CC_NE, j->exit_here);
    /* the exec TLB must still map the page to the block's host address */
    emit_mov_rr(e, true, RCX, RAX);
    emit_shift_ri(e, true, SH_SHR, RCX, 12 - 4);
    emit_alu_ri(e, false, ALU_AND, RCX, (TLB_SIZE - 1) << 4);
    emit_mov_rr(e, true, RDX, RAX);
    emit_shift_ri(e, true, SH_SHR, RDX, 12);
    emit_alu_rm(e, true, ALU_CMP, RDX,
                x86_mi(R_TLB, RCX, 1, x + (int32_t)offsetof(struct tlb_entry, tag)));
    emit_jcc_to(e, CC_NE, j->exit_here);
    emit_load(e, 8, false, RDX,
              x86_mi(R_TLB, RCX, 1, x + (int32_t)offsetof(struct tlb_entry, addend)));
    emit_alu_rr(e, true, ALU_ADD, RDX, RAX);
    emit_load(e, 8, false, RCX, x86_m(RSI, (int32_t)offsetof(struct jc_entry, block)));
    emit_alu_rm(e, true, ALU_CMP, RDX, x86_m(RCX, (int32_t)offsetof(struct block, key)));
    emit_jcc_to(e, CC_NE, j->exit_here);
    emit_load(e, 8, false, RDX, x86_m(RSI, (int32_t)offsetof(struct jc_entry, tag)));
    emit_store(e, 8, x86_mi(R_HART, RDI, 1, HOFF(jc) + (int32_t)offsetof(struct jc_entry, tag)),
               RDX);
    emit_store(e, 8, x86_mi(R_HART, RDI, 1, HOFF(jc) + (int32_t)offsetof(struct jc_entry, block)),
               RCX);
}

/*
 * The jump-cache probe for the pc in r12 (and rax): jc_lookup, then the
 * block's code if it is translated and valid (the checks of jc_lookup),
 * else jc2 in the shared stub. Emitted at every indirect exit, so that each
 * has its own indirect jmp for the branch predictor; only scratch
 * registers, since the register cache is written back.
 */
void jit_gen_lookup(struct emit *e, const struct jit *j)
{
    int32_t jc = HOFF(jc);
    emit_mov_rr(e, false, RDI, RAX);
    emit_shift_ri(e, false, SH_SHL, RDI, 3); /* ((pc >> 1) & (JC_SIZE - 1)) * 16 */
    emit_alu_ri(e, false, ALU_AND, RDI, (JC_SIZE - 1) << 4);
    emit_load(e, 4, false, RDX, jit_hmem(HOFF(priv)));
    emit_alu_rr(e, true, ALU_OR, RDX, RAX);
    emit_alu_rm(e, true, ALU_CMP, RDX,
                x86_mi(R_HART, RDI, 1, jc + (int32_t)offsetof(struct jc_entry, tag)));
    emit_jcc_to(e, CC_NE, j->lookup_jc2);
    emit_load(e, 8, false, RCX,
              x86_mi(R_HART, RDI, 1, jc + (int32_t)offsetof(struct jc_entry, block)));
    emit_load(e, 8, false, RDX, x86_m(RCX, (int32_t)offsetof(struct block, jit)));
    emit_test_rr(e, true, RDX, RDX);
    emit_jcc_to(e, CC_E, j->exit_here);
    emit_load(e, 8, false, RSI, jit_hmem(HOFF(dcache)));
    emit_load(e, 4, false, RAX, x86_m(RCX, (int32_t)offsetof(struct block, gen)));
    emit_alu_rm(e, false, ALU_CMP, RAX, x86_m(RSI, (int32_t)offsetof(struct dcache, gen)));
    emit_jcc_to(e, CC_NE, j->exit_here);
    emit_load(e, 8, false, RSI, x86_m(R_RAM, (int32_t)offsetof(struct ram, code_gen)));
    emit_load(e, 4, false, RAX, x86_m(RCX, (int32_t)offsetof(struct block, pfn)));
    emit_load(e, 4, false, RAX, x86_mi(RSI, RAX, 4, 0));
    emit_alu_rm(e, false, ALU_CMP, RAX, x86_m(RCX, (int32_t)offsetof(struct block, pgen)));
    emit_jcc_to(e, CC_NE, j->exit_here);
    emit_jmp_r(e, RDX);
}

/* The shared lookup stub (r12 = pc) and its second-level part. */
static void gen_lookup_stub(struct emit *e, struct jit *j)
{
    j->lookup_jc2 = e->p;
    gen_lookup_jc2(e, j); /* the first level is filled: start over (rax = pc) */
    j->lookup = e->p;
    emit_mov_rr(e, true, RAX, R_PC);
    jit_gen_lookup(e, j);
}

/*
 * The shared stubs. Entry (System V call from exec.c):
 *   struct jit_ret enter(struct hart *h, uint64_t pc, const void *code, uint64_t irq_mask)
 * saves the callee-saved registers, sets up the register roles and jumps to
 * the code. Exit (jumped to with rax = pc, rdx = status) stores the budget
 * and returns rax:rdx as the struct; exit_here is a block boundary at r12.
 */
void jit_gen_stubs(struct emit *e, struct jit *j)
{
    static const enum x86_reg saved[] = {RBX, RBP, R12, R13, R14, R15};
    j->exit = e->p;
    emit_store(e, 8, jit_hmem(HOFF(jit_left)), R_LEFT);
    emit_alu_ri(e, true, ALU_ADD, RSP, 24);
    for (unsigned i = 6; i-- > 0;)
        emit_pop(e, saved[i]);
    emit_ret(e);

    j->exit_here = e->p;
    emit_mov_rr(e, true, RAX, R_PC);
    emit_mov_ri(e, RDX, JIT_BOUNDARY);
    emit_jmp_to(e, j->exit);

    gen_lookup_stub(e, j);

    j->enter = (jit_enter_fn)(void *)e->p;
    for (unsigned i = 0; i < 6; i++)
        emit_push(e, saved[i]);
    emit_alu_ri(e, true, ALU_SUB, RSP, 24); /* 16-byte alignment, two slots */
    emit_store(e, 8, x86_m(RSP, 8), RCX);
    emit_mov_rr(e, true, R_HART, RDI);
    emit_mov_rr(e, true, R_PC, RSI);
    emit_load(e, 8, false, R_LEFT, jit_hmem(HOFF(jit_left)));
    emit_load(e, 8, false, RAX, jit_hmem(HOFF(pm)));
    emit_load(e, 8, false, R_RAM, x86_m(RAX, (int32_t)offsetof(struct physmap, ram)));
    emit_load(e, 4, false, RAX, jit_hmem(HOFF(priv)));
    emit_imul_rri(e, false, RAX, RAX, (int32_t)sizeof(struct tlb_set));
    emit_lea(e, R_TLB, x86_mi(R_HART, RAX, 1, HOFF(tlb)));
    emit_jmp_r(e, RDX);
}
