/* SPDX-License-Identifier: MIT */
/*
 * smp_xmod: one hart changes what another hart executes or translates, and
 * tells it through SBI RFENCE (SBI spec v2.0 ch. 8), the way Linux patches
 * code and changes page tables:
 *   fence.i  the boot hart rewrites a code page that hart B has run before
 *            (other values, other lengths, compressed code, a loop, a jump
 *            to a far target, a single changed instruction inside a block
 *            B has cached), then remote_fence_i to B (with its own fence.i
 *            first, without, and with hart_mask_base = -1), then lets B
 *            call it: B must run the new code every time;
 *   sfence   the boot hart changes the PTE of a page that B has been
 *            reading through its TLB (another target page, invalid,
 *            read-only, writable again), then remote_sfence_vma (one page,
 *            everything, by ASID): B must see the new mapping, take the
 *            page faults, and store through the new PTE;
 *   storm    every hart sends remote fences to every hart at the same time:
 *            all of them complete (two harts waiting for each other's
 *            fence must not deadlock).
 *
 * isa-cpus: 4
 */
#include "isa.h"
#include "smp.h"
#include "vm.h"

#define SBI_RFENCE_FENCE_I 0
#define SBI_RFENCE_SFENCE_VMA 1
#define SBI_RFENCE_SFENCE_VMA_ASID 2

static volatile uint32_t go, done;
static uint64_t result[64];

static void store_release(volatile uint32_t *p, uint32_t v)
{
    asm volatile("fence rw, w" ::: "memory");
    *p = v;
}

/* One round: publish round r + 1 and wait for B to finish it. */
static bool round_trip(uint32_t r)
{
    store_release(&go, r + 1);
    return smp_wait_ge(&done, r + 1);
}

/* remote fence to hart id, as mask 1 << 0 at base id (base = -1: all) */
static long rfence(long fid, uint64_t id, bool all, uint64_t start, uint64_t size, uint64_t asid)
{
    asm volatile("fence rw, rw" ::: "memory");
    return sbi_call5(SBI_EXT_RFENCE, fid, 1, all ? -1 : (long)id, (long)start, (long)size,
                     (long)asid)
        .error;
}

/* ---- fence.i ---- */

static uint32_t code[1024] __attribute__((aligned(4096))); /* a page of its own */

#define A0 10
#define T0 5
#define ADDI(rd, rs, imm) (((uint32_t)(imm)&0xfff) << 20 | (rs) << 15 | (rd) << 7 | 0x13)
#define SLLI(rd, rs, sh) ((uint32_t)(sh) << 20 | (rs) << 15 | 1 << 12 | (rd) << 7 | 0x13)
#define ADD(rd, rs1, rs2) ((rs2) << 20 | (rs1) << 15 | (rd) << 7 | 0x33)
#define RET 0x00008067u
/* bne rs1, x0, -8 */
#define BNEZ_BACK8(rs) (0xfe001ce3u | (rs) << 15)
/* jal x0, +off (off < 1 MiB, even) */
#define JAL_FWD(off)                                                                               \
    ((((off) >> 20 & 1) << 31) | (((off) >> 1 & 0x3ff) << 21) | (((off) >> 11 & 1) << 20) |       \
     (((off) >> 12 & 0xff) << 12) | 0x6f)
#define C_LI_A0(imm) (0x4501u | (((imm)&31u) << 2))
#define C_JR_RA 0x8082u
#define FAR 512 /* word index of the far target */

#define XROUNDS 40

static void runner(struct smp_hart *me)
{
    for (uint32_t r = 0; r < XROUNDS; r++) {
        if (!smp_wait_ge(&go, r + 1))
            return;
        result[r] = ((uint64_t(*)(void))(void *)code)();
        store_release(&done, r + 1);
    }
}

/* Write the code for round r; returns the value it must return. */
static uint64_t write_code(uint32_t r)
{
    uint16_t *h = (uint16_t *)code;
    switch (r) {
    case 0:
        code[0] = ADDI(A0, 0, 100);
        code[1] = RET;
        return 100;
    case 1: /* the same slot, another immediate */
        code[0] = ADDI(A0, 0, 200);
        return 200;
    case 2: /* compressed code over the first word */
        h[0] = C_LI_A0(7);
        h[1] = C_JR_RA;
        return 7;
    case 3: /* three instructions, one block */
        code[0] = ADDI(A0, 0, 3);
        code[1] = SLLI(A0, A0, 4);
        code[2] = ADDI(A0, A0, 5);
        code[3] = RET;
        return K((3 << 4) + 5);
    case 4: /* only the middle instruction of that cached block changes */
        code[1] = SLLI(A0, A0, 5);
        return K((3 << 5) + 5);
    case 5: /* a loop: sum 10..1 */
        code[0] = ADDI(A0, 0, 0);
        code[1] = ADDI(T0, 0, 10);
        code[2] = ADD(A0, A0, T0);
        code[3] = ADDI(T0, T0, -1);
        code[4] = BNEZ_BACK8(T0);
        code[5] = RET;
        return 55;
    case 6: /* the loop counts from 20 */
        code[1] = ADDI(T0, 0, 20);
        return 210;
    case 7: /* a jump to the far half of the page */
        code[FAR] = ADDI(A0, 0, 0x321);
        code[FAR + 1] = RET;
        code[0] = JAL_FWD(FAR * 4);
        return 0x321;
    case 8: /* only the far target changes */
        code[FAR] = ADDI(A0, 0, 0x123);
        return 0x123;
    default: /* one immediate after another */
        code[0] = ADDI(A0, 0, 1000 + r);
        code[1] = RET;
        return 1000 + r;
    }
}

static void test_fence_i(void)
{
    t_begin("smp.remote-fence-i");
    uint64_t b = smp_ids[1];
    go = done = 0;
    uint64_t want[XROUNDS];
    smp_start(b, runner, 0);
    int bad = 0;
    for (uint32_t r = 0; r < XROUNDS; r++) {
        want[r] = write_code(r);
        long e;
        /* three ways a kernel does it, in turn */
        if (r % 3 == 0) {
            asm volatile("fence.i" ::: "memory");
            e = rfence(SBI_RFENCE_FENCE_I, b, false, 0, 0, 0);
        } else if (r % 3 == 1) {
            e = rfence(SBI_RFENCE_FENCE_I, b, false, 0, 0, 0);
        } else {
            asm volatile("fence.i" ::: "memory");
            e = rfence(SBI_RFENCE_FENCE_I, b, true, 0, 0, 0);
        }
        if (!EQ(e, 0) || !TRUE(round_trip(r)))
            break;
        if (result[r] != want[r] && bad++ < 8)
            rt_printf("  round %u: hart %lu's call returned 0x%lx, want 0x%lx\n", r, b, result[r],
                      want[r]);
    }
    EQ(bad, 0);
    smp_join(b);
    t_end();
}

/* ---- sfence.vma ---- */

#define VA_T 0x40000000ul
#define MAGIC(n) (0x5ca1ab1e00000000ull | (n))
static uint64_t targets[4][512] __attribute__((aligned(4096)));
static volatile uint64_t *pte;
static uint64_t satp_b;

enum { OP_READ, OP_READ_FAULT, OP_WRITE_FAULT, OP_WRITE };
struct vround {
    int target; /* -1: invalid PTE */
    uint64_t flags;
    int op;
    long fid;
    bool all;
    uint64_t start, size;
};
#define RW (PTE_R | PTE_W | PTE_A | PTE_D)
static const struct vround vrounds[] = {
    {0, RW, OP_READ, SBI_RFENCE_SFENCE_VMA, false, VA_T, 4096},
    {1, RW, OP_READ, SBI_RFENCE_SFENCE_VMA, false, VA_T, 4096},
    {2, RW, OP_READ, SBI_RFENCE_SFENCE_VMA, false, 0, ~0ull}, /* everything */
    {3, RW, OP_READ, SBI_RFENCE_SFENCE_VMA_ASID, false, VA_T, 4096},
    {-1, 0, OP_READ_FAULT, SBI_RFENCE_SFENCE_VMA, false, VA_T, 4096},
    {0, RW, OP_READ, SBI_RFENCE_SFENCE_VMA, false, VA_T, 4096},
    {1, PTE_R | PTE_A, OP_WRITE_FAULT, SBI_RFENCE_SFENCE_VMA, false, VA_T, 4096},
    {1, RW, OP_WRITE, SBI_RFENCE_SFENCE_VMA, false, VA_T, 4096},
    {2, RW, OP_READ, SBI_RFENCE_SFENCE_VMA, true, VA_T, 4096}, /* all harts */
    {3, RW, OP_READ, SBI_RFENCE_SFENCE_VMA, false, VA_T - 4096, 3 * 4096}, /* a range */
};
#define VROUNDS (sizeof(vrounds) / sizeof(vrounds[0]))
static uint64_t vcause[VROUNDS], vtval[VROUNDS];

static void translator(struct smp_hart *me)
{
    csr_write(satp, satp_b);
    asm volatile("sfence.vma" ::: "memory");
    for (uint32_t r = 0; r < VROUNDS; r++) {
        if (!smp_wait_ge(&go, r + 1))
            break;
        volatile uint64_t *p = (volatile uint64_t *)VA_T;
        vcause[r] = vtval[r] = ~0ull;
        switch (vrounds[r].op) {
        case OP_READ:
            result[r] = p[0];
            break;
        case OP_READ_FAULT:
        case OP_WRITE_FAULT:
            smp_trap_expect(me);
            if (vrounds[r].op == OP_READ_FAULT)
                result[r] = p[0];
            else
                p[1] = 0xbad;
            me->trap_armed = 0;
            if (me->trap_count == 1) {
                vcause[r] = me->trap_cause;
                vtval[r] = me->trap_tval;
            }
            break;
        case OP_WRITE:
            p[1] = MAGIC(0x77);
            result[r] = p[1];
            break;
        }
        store_release(&done, r + 1);
    }
    csr_write(satp, 0);
    asm volatile("sfence.vma" ::: "memory");
}

static void test_sfence(void)
{
    t_begin("smp.remote-sfence-vma");
    uint64_t b = smp_ids[1];
    for (int i = 0; i < 4; i++)
        targets[i][0] = MAGIC(i);
    pt_init(SATP_MODE_SV39);
    pt_identity();
    pte = pt_map(VA_T, (uint64_t)targets[0], 0, RW);
    satp_b = pt_satp();
    go = done = 0;
    smp_start(b, translator, 0);
    for (uint32_t r = 0; r < VROUNDS; r++) {
        const struct vround *v = &vrounds[r];
        *pte = v->target < 0 ? 0 : ((uint64_t)targets[v->target] >> 12) << 10 | v->flags | PTE_V;
        if (!EQ(rfence(v->fid, b, v->all, v->start, v->size, 0), 0) || !TRUE(round_trip(r)))
            break;
        switch (v->op) {
        case OP_READ:
            if (!EQ(result[r], MAGIC(v->target)))
                rt_printf("  round %u: hart %lu read through the old mapping\n", r, b);
            break;
        case OP_READ_FAULT:
            EQ(vcause[r], EXC_LOAD_PAGE);
            EQ(vtval[r], VA_T);
            break;
        case OP_WRITE_FAULT:
            EQ(vcause[r], EXC_STORE_PAGE);
            EQ(vtval[r], VA_T + 8);
            EQ(targets[1][1], 0);
            break;
        case OP_WRITE:
            EQ(result[r], MAGIC(0x77));
            EQ(targets[1][1], MAGIC(0x77));
            EQ(targets[0][1] + targets[2][1] + targets[3][1], 0);
            break;
        }
    }
    smp_join(b);
    t_end();
}

/* ---- every hart fencing every hart at once ---- */

#define STORM 300
static uint32_t storm_errors[SMP_MAX], storm_done[SMP_MAX];

static void storm(struct smp_hart *me)
{
    smp_barrier();
    uint32_t i, errors = 0;
    for (i = 0; i < STORM; i++) {
        long fid = i % 3 == 0 ? SBI_RFENCE_FENCE_I : SBI_RFENCE_SFENCE_VMA;
        /* everyone, or just the next hart round */
        bool all = i & 1;
        uint64_t next = smp_ids[(me->index + 1) % smp_n];
        if (rfence(fid, next, all, 0, ~0ull, 0))
            errors++;
    }
    storm_errors[me->index] = errors;
    storm_done[me->index] = i;
}

static void test_storm(void)
{
    t_begin("smp.rfence-storm");
    if (rt_on_qemu()) {
        /* OpenSBI 1.1 gets stuck in its TLB-flush handshake when harts
         * fence each other at once (opensbi issue #402) */
        rt_note("skipped on QEMU + OpenSBI");
        t_end();
        return;
    }
    smp_start_others(storm, 0);
    storm(smp_boot());
    smp_join_others();
    for (int i = 0; i < smp_n; i++) {
        EQ(storm_done[i], STORM);
        EQ(storm_errors[i], 0);
    }
    t_end();
}

int main(void)
{
    if (!smp_init())
        return 1;
    test_fence_i();
    test_sfence();
    test_storm();
    return 0;
}
