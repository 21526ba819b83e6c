/* SPDX-License-Identifier: MIT */
/*
 * extensions: the device tree tells the truth about the ISA. The kernel
 * patches itself from /cpus/cpu@0 "riscv,isa" / "riscv,isa-extensions"
 * (DESIGN.md), so every optional extension checked here must execute when
 * advertised and raise illegal instruction (stval = the bits) when not.
 * The instructions are register-only and harmless either way. Likewise
 * "mmu-type" must name the largest satp mode that satp accepts (the kernel
 * takes it as the limit of its own probe; QEMU 7.2 understates it).
 */
#include "isa.h"
#include "vm.h"

#define FDT_BEGIN_NODE 1
#define FDT_END_NODE 2
#define FDT_PROP 3
#define FDT_NOP 4
#define FDT_END 9

static char isa[256];    /* riscv,isa of the first cpu node */
static char exts[1024];  /* riscv,isa-extensions: NUL-separated list */
static uint32_t exts_len;
static char mmu_type[64];

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static bool str_eq(const char *a, const char *b)
{
    while (*a && *a == *b)
        a++, b++;
    return *a == *b;
}

static bool starts(const char *s, const char *prefix)
{
    while (*prefix)
        if (*s++ != *prefix++)
            return false;
    return true;
}

static void copy(char *dst, uint32_t cap, const uint8_t *src, uint32_t len)
{
    if (len >= cap)
        len = cap - 1;
    memcpy(dst, src, len);
    dst[len] = 0;
}

/* Walk the flattened tree (devicetree spec v0.4 §5.4) for the first
 * cpu@ node's properties. Bounded by the header sizes. */
static bool read_dt(void)
{
    const uint8_t *fdt = (const uint8_t *)rt_dtb;
    if (rt_dtb < 0x80000000ul || (rt_dtb & 3) || be32(fdt) != 0xd00dfeed)
        return false;
    uint32_t size = be32(fdt + 4), off = be32(fdt + 8), strs = be32(fdt + 12);
    uint32_t end = off + be32(fdt + 36);
    int depth = 0, cpu_depth = -1;
    bool done = false;
    if (size > 0x100000 || end > size || strs > size)
        return false;
    while (off + 4 <= end && !done) {
        uint32_t tok = be32(fdt + off);
        off += 4;
        switch (tok) {
        case FDT_BEGIN_NODE: {
            const char *name = (const char *)fdt + off;
            uint32_t n = 0;
            while (off + n < end && name[n])
                n++;
            depth++;
            if (cpu_depth < 0 && depth == 3 && starts(name, "cpu@"))
                cpu_depth = depth;
            off += (n + 4) & ~3u;
            break;
        }
        case FDT_END_NODE:
            if (depth == cpu_depth)
                done = true;
            depth--;
            break;
        case FDT_PROP: {
            uint32_t len = be32(fdt + off), name = be32(fdt + off + 4);
            const uint8_t *val = fdt + off + 8;
            if (off + 8 + len > end)
                return false;
            if (depth == cpu_depth && strs + name < size) {
                const char *pn = (const char *)fdt + strs + name;
                if (str_eq(pn, "riscv,isa"))
                    copy(isa, sizeof(isa), val, len);
                else if (str_eq(pn, "mmu-type"))
                    copy(mmu_type, sizeof(mmu_type), val, len);
                else if (str_eq(pn, "riscv,isa-extensions")) {
                    copy(exts, sizeof(exts), val, len);
                    exts_len = len < sizeof(exts) ? len : sizeof(exts) - 1;
                }
            }
            off += (8 + len + 3) & ~3u;
            break;
        }
        case FDT_NOP:
            break;
        default:
            done = true;
            break;
        }
    }
    return isa[0] != 0 || exts_len != 0;
}

/* lower-case comparison of one name */
static bool name_eq(const char *a, uint32_t n, const char *b)
{
    for (uint32_t i = 0; i < n; i++) {
        char c = a[i] >= 'A' && a[i] <= 'Z' ? (char)(a[i] + 32) : a[i];
        if (c != b[i])
            return false;
    }
    return b[n] == 0;
}

/* Is extension e advertised? Single letters are looked up in the base part
 * of riscv,isa ("rv64imafdch"), longer names between its underscores and in
 * riscv,isa-extensions. */
static bool has(const char *e)
{
    uint32_t elen = 0;
    while (e[elen])
        elen++;
    for (uint32_t i = 0; i < exts_len;) {
        uint32_t n = 0;
        while (i + n < exts_len && exts[i + n])
            n++;
        if (name_eq(exts + i, n, e))
            return true;
        i += n + 1;
    }
    if (!starts(isa, "rv64"))
        return false;
    const char *p = isa + 4;
    uint32_t base = 0;
    while (p[base] && p[base] != '_')
        base++;
    if (elen == 1) {
        for (uint32_t i = 0; i < base; i++)
            if (p[i] == e[0])
                return true;
        return false;
    }
    for (const char *q = p + base; *q;) {
        q++; /* skip '_' */
        uint32_t n = 0;
        while (q[n] && q[n] != '_')
            n++;
        if (name_eq(q, n, e))
            return true;
        q += n;
    }
    return false;
}

/* insn (a .word) runs when ext is advertised, else is illegal */
#define EXT_INSN(cond, what, word)                                                                 \
    do {                                                                                           \
        if (cond)                                                                                  \
            LEGAL(".word " #word);                                                                 \
        else                                                                                       \
            ILLEGAL(".word " #word);                                                               \
        rt_printf("  %s: %s\n", what, (cond) ? "advertised, runs" : "absent, illegal");           \
    } while (0)

int main(void)
{
    t_begin("extensions.device-tree");
    if (!TRUE(read_dt())) {
        t_end();
        return 1;
    }
    if (isa[0])
        rt_printf("  riscv,isa = \"%s\"\n", isa);
    if (exts_len)
        rt_printf("  riscv,isa-extensions: %u bytes\n", exts_len);
    /* what the Debian kernel needs: RV64GC (DESIGN.md) */
    TRUE(has("i") && has("m") && has("a") && has("f") && has("d") && has("c"));
    t_end();

    t_begin("extensions.mmu-type");
    /* the largest mode satp takes; each try with an identity map, so that
     * a write that sticks keeps this program running */
    uint64_t best = 0;
    for (uint64_t mode = SATP_MODE_SV57; mode >= SATP_MODE_SV39 && !best; mode--) {
        pt_init(mode);
        pt_identity();
        csr_write(satp, pt_satp());
        sfence_all();
        if (csr_read(satp) >> SATP_MODE_SHIFT == mode)
            best = mode;
        pt_disable();
    }
    static const char *const names[] = {"riscv,sv39", "riscv,sv48", "riscv,sv57"};
    rt_printf("  mmu-type = \"%s\", satp takes mode %lu\n", mmu_type, best);
    uint64_t named = 0;
    for (uint64_t i = 0; i < 3; i++)
        if (str_eq(mmu_type, names[i]))
            named = SATP_MODE_SV39 + i;
    /* the named mode works; nothing larger does (QEMU 7.2 says sv48 but
     * also takes Sv57, so that half is checked off QEMU only) */
    TRUE(named != 0 && named <= best);
    if (!rt_on_qemu())
        EQ(named, best);
    t_end();

    t_begin("extensions.optional");
    EXT_INSN(has("zba"), "zba sh1add", 0x207322b3);
    EXT_INSN(has("zbb"), "zbb andn", 0x407372b3);
    EXT_INSN(has("zbc"), "zbc clmul", 0x0a7312b3);
    EXT_INSN(has("zbs"), "zbs bset", 0x287312b3);
    EXT_INSN(has("zicond"), "zicond czero.eqz", 0x0e7352b3);
    EXT_INSN(has("zfh") || has("zfhmin"), "zfh fmv.h.x", 0xf4000053);
    EXT_INSN(has("svinval"), "svinval sinval.vma", 0x16000073);
    EXT_INSN(has("h"), "h hfence.gvma", 0x62000073);
    t_end();
    return 0;
}
