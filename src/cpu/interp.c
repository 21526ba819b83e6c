/* SPDX-License-Identifier: MIT */
/*
 * interp: the interpreter engine behind cpu_run().
 *
 * Guest code is decoded once into blocks (straight-line runs of up to
 * BLOCK_MAX instructions that end at a control transfer, a system
 * instruction or the end of the page) and cached by the host address of the
 * first instruction, i.e. by guest-physical address, so a block survives
 * address-space switches. Blocks are executed with direct-threaded dispatch
 * (computed goto over the decoded op).
 *
 * Invalidation: fence.i (local, or remote through SBI RFENCE) bumps the cache
 * generation, which makes every cached block stale in O(1); stale blocks are
 * replaced as they are met and the arena is recycled when full. This is what
 * the spec requires (Zifencei: instruction fetches observe stores only after
 * fence.i) and what Linux does after writing code or mapping new text.
 *
 * Interrupts are checked at every block boundary (one load of mip & sie).
 * Runs on the hart's vCPU thread only.
 */
#include "cpu/cpu.h"
#include "cpu/decode.h"
#include "cpu/fpu.h"
#include "cpu/internal.h"
#include "cpu/jit/jit.h"
#include "cpu/mmu.h"
#include "mem/physmap.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/alloc.h"

#define BLOCK_MAX 64
#define DC_ARENA (32u << 20)


void cpu_init(struct hart *h)
{
    struct dcache *dc = xzalloc(sizeof(*dc));
    dc->arena = xmalloc(DC_ARENA);
    dc->gen = 1;
    dc->scratch = xzalloc(sizeof(struct block) + 2 * sizeof(struct insn));
    dc->scratch->hits = JIT_NEVER;
    memset(dc->jc2, 0xff, sizeof(dc->jc2));
    dc->jit = jit_create();
    h->dcache = dc;
}

void cpu_destroy(struct hart *h)
{
    if (!h->dcache)
        return;
    jit_destroy(h->dcache->jit);
    free(h->dcache->arena);
    free(h->dcache->scratch);
    free(h->dcache);
    h->dcache = NULL;
}

void dcache_reset(struct hart *h)
{
    struct dcache *dc = h->dcache;
    memset(dc->table, 0, sizeof(dc->table));
    memset(h->jc, 0xff, sizeof(h->jc)); /* its blocks are about to be reused */
    memset(dc->jc2, 0xff, sizeof(dc->jc2));
    dc->used = 0;
    dc->gen++;
    if (dc->jit)
        jit_flush(dc->jit);
}

void cpu_flush_code(struct hart *h)
{
    dcache_reset(h);
}

void cpu_fence_i(struct hart *h)
{
    ram_code_sync(h->pm->ram);
}

void cpu_flush_tlb(struct hart *h)
{
    mmu_flush(h);
}

void cpu_request_flush(struct hart *h, unsigned what)
{
    atomic_fetch_or(&h->flush_req, what);
    atomic_store(&h->exit_request, 1);
    if (h->kick)
        h->kick(h);
}

void cpu_handle_flush(struct hart *h)
{
    unsigned what = atomic_exchange(&h->flush_req, 0);
    if (what & CPU_FLUSH_TLB)
        mmu_flush(h);
    if (what & CPU_FLUSH_CODE)
        cpu_fence_i(h);
}

void cpu_update_timer(struct hart *h, uint64_t now)
{
    uint64_t m = atomic_load_explicit(&h->mip, memory_order_relaxed);
    bool want = now >= h->stimecmp;
    if (want != ((m & MIP_STIP) != 0))
        cpu_set_irq(h, MIP_STIP, want);
}

void cpu_set_irq(struct hart *h, uint64_t mask, int level)
{
    if (level)
        atomic_fetch_or(&h->mip, mask);
    else
        atomic_fetch_and(&h->mip, ~mask);
    if (level && h->kick)
        h->kick(h);
}

static bool ends_block(enum op op)
{
    return (op >= OP_JAL && op <= OP_BGEU) || (op >= OP_FENCE_I && op <= OP_CSRRCI) ||
           op == OP_ILLEGAL;
}

static void finish_insn(struct insn *in, uint32_t raw)
{
    decode(raw, in);
    if (in->op == OP_ILLEGAL)
        in->imm = in->len == 2 ? (raw & 0xffff) : raw; /* stval for illegal instruction */
}

static struct block *block_alloc(struct hart *h, struct dcache *dc)
{
    size_t need = sizeof(struct block) + (BLOCK_MAX + 1) * sizeof(struct insn);
    if (dc->used + need > DC_ARENA)
        dcache_reset(h);
    return (struct block *)(dc->arena + dc->used);
}

/* Decode the instruction at h->pc that crosses into the next page. */
static struct block *block_straddle(struct hart *h, const uint8_t *p)
{
    uint16_t lo, hi;
    memcpy(&lo, p, 2);
    const uint8_t *q = mmu_host_ptr(h, h->pc + 2, ACC_EXEC);
    if (!q)
        return NULL;
    memcpy(&hi, q, 2);
    struct block *b = h->dcache->scratch;
    b->n = 1;
    finish_insn(&b->in[0], lo | ((uint32_t)hi << 16));
    b->in[1].op = OP_BLOCK_END;
    return b;
}

/* Note that RAM page `pfn` now holds decoded code: from now on stores to it
 * take the slow path (so fence.i can find it), hence this hart's write
 * translations are dropped. */
static void mark_code_page(struct hart *h, struct ram *ram, uint64_t pfn)
{
    uint8_t none = CODE_NONE;
    if (__atomic_compare_exchange_n(&ram->code[pfn], &none, CODE_CLEAN, false, __ATOMIC_SEQ_CST,
                                    __ATOMIC_SEQ_CST)) {
        /* this hart now; the others at their next block boundary */
        h->code_epoch_seen = atomic_fetch_add(&ram->code_epoch, 1) + 1;
        mmu_flush_writes(h);
    }
}

static struct block *block_decode(struct hart *h, const uint8_t *p, unsigned idx)
{
    struct dcache *dc = h->dcache;
    struct ram *ram = h->pm->ram;
    uint64_t pfn = (uint64_t)(p - ram->host) >> RAM_PAGE_SHIFT;
    mark_code_page(h, ram, pfn);
    unsigned room = 4096 - PAGE_OFF(h->pc);
    uint16_t lo;
    memcpy(&lo, p, 2);
    if (insn_len(lo) == 4 && room < 4)
        return block_straddle(h, p);
    struct block *b = block_alloc(h, dc);
    unsigned n = 0, off = 0;
    while (n < BLOCK_MAX && off + 2 <= room) {
        memcpy(&lo, p + off, 2);
        unsigned len = insn_len(lo);
        if (off + len > room)
            break;
        uint32_t raw = lo;
        if (len == 4) {
            uint16_t hi;
            memcpy(&hi, p + off + 2, 2);
            raw |= (uint32_t)hi << 16;
        }
        finish_insn(&b->in[n], raw);
        off += len;
        if (ends_block((enum op)b->in[n++].op))
            break;
    }
    b->in[n].op = OP_BLOCK_END;
    b->n = n;
    b->hits = 0;
    b->jit = NULL;
    b->key = p;
    b->gen = dc->gen;
    b->pfn = (uint32_t)pfn;
    b->pgen = __atomic_load_n(&ram->code_gen[pfn], __ATOMIC_ACQUIRE);
    b->next = dc->table[idx];
    dc->table[idx] = b;
    dc->used += sizeof(struct block) + (n + 1) * sizeof(struct insn);
    return b;
}

struct block *block_get(struct hart *h)
{
    const uint8_t *p = mmu_host_ptr(h, h->pc, ACC_EXEC);
    if (!p)
        return NULL;
    struct dcache *dc = h->dcache;
    const uint32_t *code_gen = h->pm->ram->code_gen;
    unsigned idx = (unsigned)(((uintptr_t)p >> 1) ^ ((uintptr_t)p >> 17)) & (DC_HASH - 1);
    struct block *b;
    for (b = dc->table[idx]; b; b = b->next)
        if (b->key == p && b->gen == dc->gen && b->pgen == code_gen[b->pfn])
            break;
    if (!b)
        b = block_decode(h, p, idx);
    if (b && b != dc->scratch) {
        struct jc_entry e = {.tag = h->pc | h->priv, .block = b};
        h->jc[(h->pc >> 1) & (JC_SIZE - 1)] = e;
        dc->jc2[(h->pc >> 1) & (JC2_SIZE - 1)] = e;
    }
    return b;
}

enum cpu_exit cpu_run(struct hart *h, uint64_t budget)
{
    int64_t left = (int64_t)budget;
    /* seq_cst store then load, paired with sbi.c's fence: either we see the
     * request here or the requester sees us in the guest and waits. */
    atomic_store(&h->in_guest, 1);
    if (atomic_load(&h->flush_req))
        cpu_handle_flush(h);
    enum cpu_exit r = (enum cpu_exit)interp_run(h, &left);
    atomic_store(&h->in_guest, 0);
    return r;
}
