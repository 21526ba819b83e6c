/* SPDX-License-Identifier: MIT */
/*
 * fpu_test: fpu_exec() against golden results from real RISC-V instructions.
 *
 * argv[1] is src/cpu/fpu_golden.txt, written by src/cpu/fpu_gen/gen.sh under qemu-riscv64
 * (bit-exact for F/D); this test does not need qemu. Each line is
 *     <op> <rm> <frm> <a> [<b> [<c>]] -> <rd value> <fflags>   or   ... -> ILL
 * with the operands in f11/f12/f14 (and x11/x12 for integer sources) and rd = 13. Every line
 * runs three times, with fflags first 0, then NX alone (which enables fpu.c's host fast
 * path), then every flag but NX, checking the result, that flags accrue, that only rd,
 * fflags and sstatus.FS change, and that an illegal rounding mode changes nothing.
 * A few hand-written checks cover what the file cannot: x0, register aliasing, FS dirty.
 * Exit status 0 on success; each failure is printed.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpu/fpu.h"

struct optab {
    const char *name;
    enum op op;
    char src; /* 'f' or 'x': where the operands live */
    char dst;
};

static const struct optab optab[] = {
    {"fmadd.s", OP_FMADD_S, 'f', 'f'},     {"fmsub.s", OP_FMSUB_S, 'f', 'f'},
    {"fnmsub.s", OP_FNMSUB_S, 'f', 'f'},   {"fnmadd.s", OP_FNMADD_S, 'f', 'f'},
    {"fadd.s", OP_FADD_S, 'f', 'f'},       {"fsub.s", OP_FSUB_S, 'f', 'f'},
    {"fmul.s", OP_FMUL_S, 'f', 'f'},       {"fdiv.s", OP_FDIV_S, 'f', 'f'},
    {"fsqrt.s", OP_FSQRT_S, 'f', 'f'},     {"fsgnj.s", OP_FSGNJ_S, 'f', 'f'},
    {"fsgnjn.s", OP_FSGNJN_S, 'f', 'f'},   {"fsgnjx.s", OP_FSGNJX_S, 'f', 'f'},
    {"fmin.s", OP_FMIN_S, 'f', 'f'},       {"fmax.s", OP_FMAX_S, 'f', 'f'},
    {"fcvt.w.s", OP_FCVT_W_S, 'f', 'x'},   {"fcvt.wu.s", OP_FCVT_WU_S, 'f', 'x'},
    {"fcvt.l.s", OP_FCVT_L_S, 'f', 'x'},   {"fcvt.lu.s", OP_FCVT_LU_S, 'f', 'x'},
    {"fmv.x.w", OP_FMV_X_W, 'f', 'x'},     {"fclass.s", OP_FCLASS_S, 'f', 'x'},
    {"feq.s", OP_FEQ_S, 'f', 'x'},         {"flt.s", OP_FLT_S, 'f', 'x'},
    {"fle.s", OP_FLE_S, 'f', 'x'},         {"fcvt.s.w", OP_FCVT_S_W, 'x', 'f'},
    {"fcvt.s.wu", OP_FCVT_S_WU, 'x', 'f'}, {"fcvt.s.l", OP_FCVT_S_L, 'x', 'f'},
    {"fcvt.s.lu", OP_FCVT_S_LU, 'x', 'f'}, {"fmv.w.x", OP_FMV_W_X, 'x', 'f'},
    {"fmadd.d", OP_FMADD_D, 'f', 'f'},     {"fmsub.d", OP_FMSUB_D, 'f', 'f'},
    {"fnmsub.d", OP_FNMSUB_D, 'f', 'f'},   {"fnmadd.d", OP_FNMADD_D, 'f', 'f'},
    {"fadd.d", OP_FADD_D, 'f', 'f'},       {"fsub.d", OP_FSUB_D, 'f', 'f'},
    {"fmul.d", OP_FMUL_D, 'f', 'f'},       {"fdiv.d", OP_FDIV_D, 'f', 'f'},
    {"fsqrt.d", OP_FSQRT_D, 'f', 'f'},     {"fsgnj.d", OP_FSGNJ_D, 'f', 'f'},
    {"fsgnjn.d", OP_FSGNJN_D, 'f', 'f'},   {"fsgnjx.d", OP_FSGNJX_D, 'f', 'f'},
    {"fmin.d", OP_FMIN_D, 'f', 'f'},       {"fmax.d", OP_FMAX_D, 'f', 'f'},
    {"fcvt.s.d", OP_FCVT_S_D, 'f', 'f'},   {"fcvt.d.s", OP_FCVT_D_S, 'f', 'f'},
    {"fcvt.w.d", OP_FCVT_W_D, 'f', 'x'},   {"fcvt.wu.d", OP_FCVT_WU_D, 'f', 'x'},
    {"fcvt.l.d", OP_FCVT_L_D, 'f', 'x'},   {"fcvt.lu.d", OP_FCVT_LU_D, 'f', 'x'},
    {"fmv.x.d", OP_FMV_X_D, 'f', 'x'},     {"fclass.d", OP_FCLASS_D, 'f', 'x'},
    {"feq.d", OP_FEQ_D, 'f', 'x'},         {"flt.d", OP_FLT_D, 'f', 'x'},
    {"fle.d", OP_FLE_D, 'f', 'x'},         {"fcvt.d.w", OP_FCVT_D_W, 'x', 'f'},
    {"fcvt.d.wu", OP_FCVT_D_WU, 'x', 'f'}, {"fcvt.d.l", OP_FCVT_D_L, 'x', 'f'},
    {"fcvt.d.lu", OP_FCVT_D_LU, 'x', 'f'}, {"fmv.d.x", OP_FMV_D_X, 'x', 'f'},
};
#define NOPTAB (sizeof(optab) / sizeof(optab[0]))

#define RD 13
#define FS_INITIAL (1ull << 13)

static struct hart h, before;
static int failures;
static unsigned long cases[OP_COUNT];

static void fail(const char *line, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void fail(const char *line, const char *fmt, ...)
{
    va_list ap;

    if (++failures > 60)
        return;
    printf("FAIL %s  (", line);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf(")\n");
}

/* Fill every register with a recognisable junk value, so that stray writes show. */
static void hart_fill(void)
{
    unsigned i;

    memset(&h, 0, sizeof(h));
    for (i = 1; i < sizeof(h.x) / sizeof(h.x[0]); i++)
        h.x[i] = 0x1111111111111111ull * (i % 15 + 1);
    for (i = 0; i < 32; i++)
        h.f[i] = 0xfedcba9876543210ull ^ i;
    h.status = FS_INITIAL;
}

static bool same_regs(const struct hart *a, const struct hart *b)
{
    return !memcmp(a->x, b->x, sizeof(a->x)) && !memcmp(a->f, b->f, sizeof(a->f)) &&
           a->fflags == b->fflags && a->frm == b->frm && a->pc == b->pc;
}

static const struct optab *lookup(const char *name)
{
    size_t i;

    for (i = 0; i < NOPTAB; i++)
        if (!strcmp(optab[i].name, name))
            return &optab[i];
    return NULL;
}

/* One parsed line of the golden file. */
struct golden {
    char text[256];
    const struct optab *o;
    struct insn in;
    unsigned frm;
    uint64_t v[3];
    int nsrc;
    bool ill;
    uint64_t want;
    unsigned want_fl;
};

/* Run one golden case with fflags preset to `pre`. */
static void check_case(const struct golden *g, uint32_t pre)
{
    const char *line = g->text;
    uint64_t got;
    int rc;

    hart_fill();
    h.frm = g->frm;
    h.fflags = pre;
    if (g->o->src == 'x') {
        h.x[11] = g->v[0];
    } else {
        h.f[11] = g->v[0];
        h.f[12] = g->nsrc > 1 ? g->v[1] : h.f[12];
        h.f[14] = g->nsrc > 2 ? g->v[2] : h.f[14];
    }
    before = h;
    rc = fpu_exec(&h, &g->in);
    if (g->ill) {
        if (rc != -1)
            fail(line, "returned %d, want -1", rc);
        else if (!same_regs(&h, &before) || h.status != before.status)
            fail(line, "illegal op changed state");
        return;
    }
    if (rc != 0) {
        fail(line, "returned %d with fflags %#x", rc, pre);
        return;
    }
    got = g->o->dst == 'f' ? h.f[RD] : h.x[RD];
    if (got != g->want || h.fflags != (pre | g->want_fl)) {
        fail(line, "got %016" PRIx64 " %02x with fflags preset %02x", got, h.fflags, pre);
        return;
    }
    /* nothing else may change */
    if (g->o->dst == 'f')
        before.f[RD] = g->want;
    else
        before.x[RD] = g->want;
    before.fflags = pre | g->want_fl;
    if (!same_regs(&h, &before))
        fail(line, "a register other than rd changed");
    if ((g->o->dst == 'f' || g->want_fl) && (h.status & SSTATUS_FS) != SSTATUS_FS_DIRTY)
        fail(line, "FS not dirty after writing FP state");
    if ((h.status & ~SSTATUS_FS) != (before.status & ~SSTATUS_FS))
        fail(line, "sstatus bits other than FS changed");
}

/* Parse one golden line into g. Returns false if it is malformed. */
static bool parse_line(char *line, struct golden *g)
{
    char *tok, *save;
    unsigned rm;

    memset(g, 0, sizeof(*g));
    snprintf(g->text, sizeof(g->text), "%.*s", (int)strcspn(line, "\n"), line);
    tok = strtok_r(line, " \n", &save);
    if (!tok || !(g->o = lookup(tok)))
        return false;
    if (!(tok = strtok_r(NULL, " ", &save)) || sscanf(tok, "%u", &rm) != 1)
        return false;
    if (!(tok = strtok_r(NULL, " ", &save)) || sscanf(tok, "%u", &g->frm) != 1)
        return false;
    while ((tok = strtok_r(NULL, " \n", &save)) && strcmp(tok, "->")) {
        if (g->nsrc == 3)
            return false;
        g->v[g->nsrc++] = strtoull(tok, NULL, 16);
    }
    if (!tok || !(tok = strtok_r(NULL, " \n", &save)))
        return false;
    if (!strcmp(tok, "ILL")) {
        g->ill = true;
    } else {
        g->want = strtoull(tok, NULL, 16);
        if (!(tok = strtok_r(NULL, " \n", &save)))
            return false;
        g->want_fl = (unsigned)strtoul(tok, NULL, 16);
    }
    g->in = (struct insn){.op = (uint16_t)g->o->op, .rd = RD, .rs1 = 11, .rs2 = 12, .rs3 = 14,
                          .rm = (uint8_t)rm, .len = 4};
    return true;
}

/* Every line runs with no flags accrued, with only NX (the host fast path), and with all
 * but NX, so that both paths are checked and flags are seen to accrue. */
static bool run_line(char *line)
{
    struct golden g;

    if (!parse_line(line, &g))
        return false;
    check_case(&g, 0);
    check_case(&g, FFLAG_NX);
    check_case(&g, 0x1f & ~FFLAG_NX);
    cases[g.o->op]++;
    return true;
}

static int run_golden(const char *path)
{
    char line[256];
    unsigned long n = 0, lineno = 0;
    FILE *fp = fopen(path, "r");
    int op;

    if (!fp) {
        printf("FAIL cannot open golden file %s\n", path);
        return 1;
    }
    while (fgets(line, sizeof(line), fp)) {
        lineno++;
        if (line[0] == '#' || line[0] == '\n')
            continue;
        if (!run_line(line)) {
            printf("FAIL %s:%lu: cannot parse\n", path, lineno);
            failures++;
        }
        n++;
    }
    fclose(fp);
    for (op = OP_FP_FIRST; op <= OP_FP_LAST; op++) {
        if (!cases[op]) {
            printf("FAIL golden file has no case for op %d\n", op);
            failures++;
        }
    }
    printf("%lu golden cases\n", n);
    return 0;
}

/* What the golden file cannot show: rd = x0, rd aliasing sources, FS marking. */
static void run_handwritten(void)
{
    struct insn in = {.op = OP_FCVT_W_D, .rd = 0, .rs1 = 1, .rm = 1, .len = 4};

    hart_fill();
    h.f[1] = 0x4045000000000000ull; /* 42.0 */
    if (fpu_exec(&h, &in) != 0 || h.x[0] != 0)
        fail("fcvt.w.d x0, f1", "x0 written");
    in.op = OP_FEQ_D;
    in.rs2 = 1;
    if (fpu_exec(&h, &in) != 0 || h.x[0] != 0)
        fail("feq.d x0, f1, f1", "x0 written");

    /* rd == rs1 == rs2: sources are read before the result is written */
    hart_fill();
    h.f[5] = 0x3ff8000000000000ull; /* 1.5 */
    in = (struct insn){.op = OP_FMUL_D, .rd = 5, .rs1 = 5, .rs2 = 5, .rm = 0, .len = 4};
    if (fpu_exec(&h, &in) != 0 || h.f[5] != 0x4002000000000000ull) /* 2.25 */
        fail("fmul.d f5, f5, f5", "got %016" PRIx64, h.f[5]);
    in = (struct insn){.op = OP_FMADD_S, .rd = 6, .rs1 = 6, .rs2 = 6, .rs3 = 6, .rm = 7,
                       .len = 4};
    h.f[6] = 0xffffffff40000000ull; /* 2.0f */
    if (fpu_exec(&h, &in) != 0 || h.f[6] != 0xffffffff40c00000ull) /* 6.0f */
        fail("fmadd.s f6, f6, f6, f6", "got %016" PRIx64, h.f[6]);

    /* a compare that raises NV writes fflags: FS must become dirty */
    hart_fill();
    h.f[1] = 0x7ff8000000000000ull;
    in = (struct insn){.op = OP_FLT_D, .rd = 10, .rs1 = 1, .rs2 = 1, .rm = 1, .len = 4};
    if (fpu_exec(&h, &in) != 0 || h.fflags != FFLAG_NV ||
        (h.status & SSTATUS_FS) != SSTATUS_FS_DIRTY)
        fail("flt.d a0, qnan, qnan", "fflags %#x status %#" PRIx64, h.fflags, h.status);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        printf("usage: %s fpu_golden.txt\n", argv[0]);
        return 2;
    }
    if (run_golden(argv[1]))
        return 1;
    run_handwritten();
    if (failures) {
        printf("%d failures\n", failures);
        return 1;
    }
    printf("ok\n");
    return 0;
}
