/* SPDX-License-Identifier: MIT */
/*
 * gen_main: the harness around one generated sequence (gen.py). Fills the
 * 4 KiB scratch buffer deterministically from the seed, runs gen_body() and
 * prints every register, fcsr, one checksum per 256 bytes of scratch and
 * one per 64-byte checkpoint record (gen.py: tp).
 * The output is compared line by line with QEMU's (ref/<name>.out).
 */
#include "rt.h"
#include "vm.h"

#define SCRATCH_OFF 2048 /* gp = rt_fixed_area + 2048; dump area below it */
#define SCRATCH_LEN 4096
#define LOG_OFF 0x2000 /* checkpoint records: tp starts here */
#define LOG_LEN 0x2000
/* sscratch during the sequence, which uses it as a scratch CSR (gen.py):
 * the runtime's trap stack moves with the size of the program, this does
 * not, and it is still a valid trap stack (an unused part of the area) */
#define SSCRATCH_OFF 0x10000

extern void gen_body(void);
extern const uint64_t gen_seed;

static uint64_t fnv1a(const uint8_t *p, unsigned n)
{
    uint64_t h = 0xcbf29ce484222325ull;
    while (n--) {
        h ^= *p++;
        h *= 0x100000001b3ull;
    }
    return h;
}

#ifdef GEN_PAGING
/*
 * The paged variant (GEN_PAGING = satp mode): RAM identity-mapped with 2 MiB
 * leaves, except the six pages of the fixed area that the sequence uses
 * (dump, scratch, checkpoint log), which are 4 KiB leaves in reverse physical
 * order with A = D = 0. Every access then goes through translation, crosses
 * physically non-contiguous pages and makes the MMU set A/D, and the output
 * must still equal the bare run's.
 */
static void paging_on(void)
{
    uint64_t fixed = (uint64_t)rt_fixed_area;
    pt_init(GEN_PAGING);
    pt_map(0, 0, 2, PTE_R | PTE_W | PTE_AD | PTE_G); /* UART */
    for (uint64_t va = 0x80000000ul; va < (uint64_t)rt_fixed_end; va += 0x200000)
        if (va != fixed)
            pt_map(va, va, 1, PTE_RWX | PTE_AD | PTE_G);
    for (uint64_t i = 0; i < 512; i++) {
        uint64_t va = fixed + i * 4096;
        if (i < 6)
            pt_map(va, fixed + (5 - i) * 4096, 0, PTE_R | PTE_W);
        else
            pt_map(va, va, 0, PTE_R | PTE_W | PTE_AD);
    }
    pt_enable();
}
#endif

int main(void)
{
    uint64_t *dump = (uint64_t *)rt_fixed_area;
    uint8_t *scratch = (uint8_t *)rt_fixed_area + SCRATCH_OFF;
    uint64_t x = gen_seed | 1;

#ifdef GEN_PAGING
    paging_on();
#endif
    memset(dump, 0, SCRATCH_OFF);
    memset(rt_fixed_area + LOG_OFF, 0, LOG_LEN);
    for (int i = 0; i < SCRATCH_LEN; i += 8) {
        x ^= x << 13; /* xorshift64 */
        x ^= x >> 7;
        x ^= x << 17;
        *(uint64_t *)(scratch + i) = x;
    }
    uint64_t sscratch = csr_read(sscratch);
    csr_write(sscratch, (uint64_t)rt_fixed_area + SSCRATCH_OFF);
    gen_body();
    csr_write(sscratch, sscratch);
    for (int i = 0; i < 32; i++)
        rt_printf("x%02d %016lx\n", i, dump[i]);
    for (int i = 0; i < 32; i++)
        rt_printf("f%02d %016lx\n", i, dump[32 + i]);
    rt_printf("fcsr %02lx\n", dump[64]);
    for (int i = 0; i < SCRATCH_LEN; i += 256)
        rt_printf("mem%04x %016lx\n", i, fnv1a(scratch + i, 256));
    uint64_t log = (uint64_t)rt_fixed_area + LOG_OFF;
    uint64_t n = dump[4] >= log && dump[4] <= log + LOG_LEN ? (dump[4] - log) / 64 : 0;
    for (uint64_t i = 0; i < n; i++)
        rt_printf("chk%03ld %016lx\n", i, fnv1a((uint8_t *)log + 64 * i, 64));
    return 0;
}
