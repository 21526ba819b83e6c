/* SPDX-License-Identifier: MIT */
/*
 * fp: F and D basics (unprivileged spec 20191213, ch. 11-12; privileged
 * v1.12 §3.1.6.6). The exhaustive FP unit test lives with the FPU; this
 * checks what a guest kernel relies on and what crosses the ISA boundary:
 * sstatus.FS = Off makes every FP instruction and fcsr access illegal; FS
 * becomes Dirty (and SD set) when FP state is written; fcsr/frm/fflags
 * aliasing; invalid rounding modes are illegal; NaN-boxing; canonical NaNs;
 * exception flags; conversions at their saturation edges; fclass.
 */
#include "isa.h"

#define NX 0x01
#define UF 0x02
#define OF 0x04
#define DZ 0x08
#define NV 0x10

/* double constants */
#define D_1 0x3ff0000000000000ull
#define D_2 0x4000000000000000ull
#define D_3 0x4008000000000000ull
#define D_HALF 0x3fe0000000000000ull
#define D_2_5 0x4004000000000000ull
#define D_M2_5 0xc004000000000000ull
#define D_M1 0xbff0000000000000ull
#define D_0 0ull
#define D_M0 0x8000000000000000ull
#define D_INF 0x7ff0000000000000ull
#define D_MINF 0xfff0000000000000ull
#define D_QNAN 0x7ff8000000000000ull
#define D_SNAN 0x7ff0000000000001ull
#define D_MAX 0x7fefffffffffffffull
#define D_MINSUB 0x0000000000000001ull
/* single constants, NaN-boxed */
#define BOX(x) (0xffffffff00000000ull | (uint32_t)(x))
#define S_1 BOX(0x3f800000)
#define S_1_5 BOX(0x3fc00000)
#define S_2_25 BOX(0x40100000)
#define S_3 BOX(0x40400000)
#define S_QNAN BOX(0x7fc00000)
#define S_SNAN BOX(0x7f800001)

static uint64_t flags; /* fflags raised by the last F() */

/* r = the 64 bits of ft3 after "op" with ft0..ft2 = a, b, c and fflags
 * cleared before; op names registers itself (ft3, ft0, ...) */
#define F(op, a, b, c)                                                                             \
    ({                                                                                             \
        uint64_t r_, f_;                                                                           \
        asm volatile("fmv.d.x ft0, %2\n fmv.d.x ft1, %3\n fmv.d.x ft2, %4\n fsflags x0\n" op       \
                     "\n frflags %1\n fmv.x.d %0, ft3"                                             \
                     : "=&r"(r_), "=&r"(f_)                                                        \
                     : "r"(U64(a)), "r"(U64(b)), "r"(U64(c))                                       \
                     : "ft0", "ft1", "ft2", "ft3");                                                \
        flags = f_;                                                                                \
        r_;                                                                                        \
    })
/* as F, but the result is the integer register a0 */
#define FX(op, a, b)                                                                               \
    ({                                                                                             \
        uint64_t r_, f_;                                                                           \
        asm volatile("fmv.d.x ft0, %2\n fmv.d.x ft1, %3\n fsflags x0\n" op                         \
                     "\n frflags %1\n mv %0, a0"                                                   \
                     : "=&r"(r_), "=&r"(f_)                                                        \
                     : "r"(U64(a)), "r"(U64(b))                                                    \
                     : "ft0", "ft1", "a0");                                                        \
        flags = f_;                                                                                \
        r_;                                                                                        \
    })
/* op with integer source a0 = a and result ft3 */
#define XF(op, a)                                                                                  \
    ({                                                                                             \
        uint64_t r_, f_;                                                                           \
        asm volatile("mv a0, %2\n fsflags x0\n" op "\n frflags %1\n fmv.x.d %0, ft3"               \
                     : "=&r"(r_), "=&r"(f_)                                                        \
                     : "r"(U64(a))                                                                 \
                     : "ft3", "a0");                                                               \
        flags = f_;                                                                                \
        r_;                                                                                        \
    })

static uint64_t fs(void)
{
    return csr_read(sstatus) & SSTATUS_FS;
}

static void set_fs(uint64_t v)
{
    csr_clear(sstatus, SSTATUS_FS);
    csr_set(sstatus, v);
}

static void test_fs(void)
{
    t_begin("fp.fs");
    set_fs(0);
    EQ(fs(), 0);
    ILLEGAL("fadd.d ft0, ft1, ft2");
    ILLEGAL("fmv.x.d t0, ft0");
    ILLEGAL("fmv.w.x ft0, t0");
    ILLEGAL("fld ft0, 0(sp)");
    ILLEGAL("fsd ft0, -8(sp)");
    ILLEGAL("frcsr t0");
    ILLEGAL("csrw fflags, t0");
    ILLEGAL("csrr t0, frm");
    ILLEGAL(".option push\n.option rvc\n c.fld fs0, 0(s0)\n.option pop");
    EQ(fs(), 0);
    /* Initial -> Dirty on an FP register write; SD follows */
    set_fs(SSTATUS_FS_INITIAL);
    EQ(fs(), SSTATUS_FS_INITIAL);
    EQ(csr_read(sstatus) & SSTATUS_SD, 0);
    asm volatile("fmv.w.x ft0, zero" ::: "ft0");
    EQ(fs(), SSTATUS_FS_DIRTY);
    EQ(csr_read(sstatus) & SSTATUS_SD, SSTATUS_SD);
    /* Clean -> Dirty on a load and on arithmetic */
    static const uint64_t one = D_1;
    set_fs(SSTATUS_FS_CLEAN);
    EQ(fs(), SSTATUS_FS_CLEAN);
    asm volatile("fld ft0, %0" ::"m"(one) : "ft0");
    EQ(fs(), SSTATUS_FS_DIRTY);
    set_fs(SSTATUS_FS_CLEAN);
    asm volatile("fadd.d ft1, ft0, ft0" ::: "ft1");
    EQ(fs(), SSTATUS_FS_DIRTY);
    /* writing fcsr is an FP state change too */
    set_fs(SSTATUS_FS_INITIAL);
    asm volatile("csrwi fflags, 1");
    EQ(fs(), SSTATUS_FS_DIRTY);
    set_fs(SSTATUS_FS_CLEAN);
    asm volatile("fsrmi 0");
    EQ(fs(), SSTATUS_FS_DIRTY);
    t_end();
}

static void test_fcsr(void)
{
    uint64_t v;
    t_begin("fp.fcsr");
    asm volatile("csrw fcsr, %0" ::"r"(0xffffffffull));
    EQ(csr_read(fcsr), 0xff);
    EQ(csr_read(frm), 7);
    EQ(csr_read(fflags), 0x1f);
    asm volatile("csrwi frm, 3");
    EQ(csr_read(fcsr), 0x7f);
    asm volatile("fsflags x0");
    EQ(csr_read(fcsr), 0x60);
    asm volatile("fsflags %0, %1" : "=r"(v) : "r"(0xffull));
    EQ(v, 0);
    EQ(csr_read(fcsr), 0x7f);
    asm volatile("fsrm %0, %1" : "=r"(v) : "r"(0x1ull));
    EQ(v, 3);
    EQ(csr_read(fcsr), 0x3f);
    asm volatile("csrw fcsr, zero");
    /* flags accrue until cleared */
    asm volatile("fmv.d.x ft0, %0\n fmv.d.x ft1, %1\n fdiv.d ft2, ft0, ft1\n fsqrt.d ft2, ft1"
                 ::"r"(D_1), "r"(D_0) : "ft0", "ft1", "ft2");
    EQ(csr_read(fflags), DZ);
    asm volatile("fmv.d.x ft0, %0\n fmv.d.x ft1, %1\n fdiv.d ft2, ft0, ft1"
                 ::"r"(D_1), "r"(D_3) : "ft0", "ft1", "ft2");
    EQ(csr_read(fflags), DZ | NX);
    asm volatile("csrw fcsr, zero");
    t_end();
}

static void test_rounding_modes(void)
{
    t_begin("fp.rounding-mode");
    /* reserved rm values in the instruction: illegal */
    ILLEGAL(".word 0x00005053"); /* fadd.s f0, f0, f0, rm = 5 */
    ILLEGAL(".word 0x02006053"); /* fadd.d f0, f0, f0, rm = 6 */
    /* dynamic rm with an invalid frm: illegal; static rm still works */
    asm volatile("csrwi frm, 5");
    ILLEGAL("fadd.d ft0, ft1, ft2, dyn");
    ILLEGAL("fcvt.w.d t0, ft0, dyn");
    LEGAL("fadd.d ft0, ft1, ft2, rne");
    asm volatile("csrwi frm, 7");
    ILLEGAL("fmul.s ft0, ft1, ft2, dyn");
    /* dynamic rounding follows frm */
    asm volatile("csrwi frm, 3"); /* RUP */
    EQ(F("fdiv.d ft3, ft0, ft1", D_1, D_3, 0), 0x3fd5555555555556ull);
    EQ(FX("fcvt.w.d a0, ft0", D_2_5, 0), 3);
    asm volatile("csrwi frm, 1"); /* RTZ */
    EQ(FX("fcvt.w.d a0, ft0", D_M2_5, 0), -2ull);
    asm volatile("csrwi frm, 0");
    EQ(F("fdiv.d ft3, ft0, ft1", D_1, D_3, 0), 0x3fd5555555555555ull);
    EQ(FX("fcvt.w.d a0, ft0", D_2_5, 0), 2);
    t_end();
}

static void test_arith(void)
{
    t_begin("fp.arith-d");
    EQ(F("fadd.d ft3, ft0, ft1", D_1, D_2, 0), D_3);
    EQ(flags, 0);
    EQ(F("fdiv.d ft3, ft0, ft1", D_1, D_3, 0), 0x3fd5555555555555ull);
    EQ(flags, NX);
    EQ(F("fsqrt.d ft3, ft0", D_2, 0, 0), 0x3ff6a09e667f3bcdull);
    EQ(flags, NX);
    EQ(F("fdiv.d ft3, ft0, ft1", D_1, D_0, 0), D_INF);
    EQ(flags, DZ);
    EQ(F("fdiv.d ft3, ft0, ft1", D_0, D_0, 0), D_QNAN);
    EQ(flags, NV);
    EQ(F("fsqrt.d ft3, ft0", D_M1, 0, 0), D_QNAN);
    EQ(flags, NV);
    EQ(F("fadd.d ft3, ft0, ft1", D_INF, D_MINF, 0), D_QNAN);
    EQ(flags, NV);
    EQ(F("fmul.d ft3, ft0, ft1", D_SNAN, D_1, 0), D_QNAN);
    EQ(flags, NV);
    EQ(F("fadd.d ft3, ft0, ft1", 0x7ff8000000000123ull, D_1, 0), D_QNAN); /* canonical */
    EQ(flags, 0);
    EQ(F("fmul.d ft3, ft0, ft1", D_MAX, D_2, 0), D_INF);
    EQ(flags, OF | NX);
    EQ(F("fmul.d ft3, ft0, ft1", D_MINSUB, D_HALF, 0), 0);
    EQ(flags, UF | NX);
    EQ(F("fmadd.d ft3, ft0, ft1, ft2", D_2, D_3, D_1), 0x401c000000000000ull);  /* 7 */
    EQ(F("fmsub.d ft3, ft0, ft1, ft2", D_2, D_3, D_1), 0x4014000000000000ull);  /* 5 */
    EQ(F("fnmadd.d ft3, ft0, ft1, ft2", D_2, D_3, D_1), 0xc01c000000000000ull); /* -7 */
    EQ(F("fnmsub.d ft3, ft0, ft1, ft2", D_2, D_3, D_1), 0xc014000000000000ull); /* -5 */
    EQ(F("fmadd.d ft3, ft0, ft1, ft2", D_INF, D_0, D_QNAN), D_QNAN);
    EQ(flags, NV); /* inf * 0 is invalid even with a quiet NaN addend */
    EQ(F("fmin.d ft3, ft0, ft1", D_M0, D_0, 0), D_M0);
    EQ(F("fmax.d ft3, ft0, ft1", D_M0, D_0, 0), D_0);
    EQ(F("fmin.d ft3, ft0, ft1", D_QNAN, D_1, 0), D_1);
    EQ(flags, 0);
    EQ(F("fmax.d ft3, ft0, ft1", D_SNAN, D_1, 0), D_1);
    EQ(flags, NV);
    EQ(F("fmin.d ft3, ft0, ft1", D_QNAN, 0x7ff8000000000042ull, 0), D_QNAN);
    EQ(F("fsgnj.d ft3, ft0, ft1", D_1, D_M2_5, 0), D_M1);
    EQ(F("fsgnjn.d ft3, ft0, ft1", D_1, D_M2_5, 0), D_1);
    EQ(F("fsgnjx.d ft3, ft0, ft1", D_M1, D_M2_5, 0), D_1);
    /* sign injection does not canonicalise NaNs */
    EQ(F("fsgnj.d ft3, ft0, ft1", D_SNAN, D_M0, 0), 0xfff0000000000001ull);
    EQ(flags, 0);
    t_end();
}

static void test_single(void)
{
    t_begin("fp.single-nan-boxing");
    EQ(F("fadd.s ft3, ft0, ft1", S_1_5, S_2_25, 0), BOX(0x40700000));
    EQ(F("fdiv.s ft3, ft0, ft1", S_1, S_3, 0), BOX(0x3eaaaaab));
    EQ(flags, NX);
    EQ(F("fsqrt.s ft3, ft0", BOX(0xbf800000), 0, 0), S_QNAN);
    EQ(flags, NV);
    /* an input that is not NaN-boxed is the canonical NaN (quiet: no flag) */
    EQ(F("fadd.s ft3, ft0, ft1", 0x000000003f800000ull, S_1, 0), S_QNAN);
    EQ(flags, 0);
    EQ(F("fsgnj.s ft3, ft0, ft1", 0xffffff7f3f800000ull, S_1, 0), S_QNAN);
    EQ(F("fsgnjn.s ft3, ft0, ft1", S_1, S_1, 0), BOX(0xbf800000));
    EQ(FX("fclass.s a0, ft0", 0x7fffffff3f800000ull, 0), 1 << 9);
    EQ(FX("feq.s a0, ft0, ft1", 0x3f800000ull, 0x3f800000ull), 0);
    /* moves do not look at the boxing; fmv.x.w sign-extends */
    EQ(FX("fmv.x.w a0, ft0", 0x1234567800000001ull, 0), 1);
    EQ(FX("fmv.x.w a0, ft0", 0x00000000bf800000ull, 0), 0xffffffffbf800000ull);
    EQ(XF("fmv.w.x ft3, a0", 0x12345678bf800000ull), BOX(0xbf800000));
    /* stores take the low 32 bits, loads box */
    static uint32_t w[2];
    asm volatile("fmv.d.x ft0, %1\n fsw ft0, %0" : "=m"(w[0]) : "r"(0x1234567840490fdbull) : "ft0");
    EQ(w[0], 0x40490fdb);
    uint64_t v;
    asm volatile("flw ft0, %1\n fmv.x.d %0, ft0" : "=r"(v) : "m"(w[0]) : "ft0");
    EQ(v, BOX(0x40490fdb));
    /* conversions between the formats */
    EQ(F("fcvt.s.d ft3, ft0", 0x483d6329f1c35ca5ull, 0, 0), BOX(0x7f800000)); /* 1e40 */
    EQ(flags, OF | NX);
    EQ(F("fcvt.s.d ft3, ft0", 0x3fb999999999999aull, 0, 0), BOX(0x3dcccccd)); /* 0.1 */
    EQ(flags, NX);
    EQ(F("fcvt.d.s ft3, ft0", BOX(0x3dcccccd), 0, 0), 0x3fb99999a0000000ull);
    EQ(flags, 0);
    EQ(F("fcvt.d.s ft3, ft0", S_SNAN, 0, 0), D_QNAN);
    EQ(flags, NV);
    EQ(F("fcvt.d.s ft3, ft0", 0x3f800000ull, 0, 0), D_QNAN); /* unboxed */
    t_end();
}

static void test_convert(void)
{
    t_begin("fp.convert");
    EQ(FX("fcvt.w.d a0, ft0, rtz", D_QNAN, 0), 0x7fffffff);
    EQ(flags, NV);
    EQ(FX("fcvt.w.d a0, ft0, rtz", D_MINF, 0), 0xffffffff80000000ull);
    EQ(flags, NV);
    EQ(FX("fcvt.w.d a0, ft0, rtz", D_INF, 0), 0x7fffffff);
    EQ(FX("fcvt.w.d a0, ft0, rtz", 0x41e0000000000000ull, 0), 0x7fffffff); /* 2^31 */
    EQ(flags, NV);
    EQ(FX("fcvt.w.d a0, ft0, rtz", 0xc1e0000000200000ull, 0), 0xffffffff80000000ull);
    EQ(flags, NV);
    EQ(FX("fcvt.w.d a0, ft0, rne", D_2_5, 0), 2);
    EQ(flags, NX);
    EQ(FX("fcvt.w.d a0, ft0, rmm", D_2_5, 0), 3);
    EQ(FX("fcvt.w.d a0, ft0, rdn", D_M2_5, 0), -3ull);
    EQ(FX("fcvt.w.d a0, ft0, rup", D_M2_5, 0), -2ull);
    EQ(FX("fcvt.w.d a0, ft0, rtz", D_M2_5, 0), -2ull);
    EQ(FX("fcvt.wu.d a0, ft0, rtz", D_M1, 0), 0);
    EQ(flags, NV);
    EQ(FX("fcvt.wu.d a0, ft0, rtz", 0xbfe0000000000000ull, 0), 0); /* -0.5 */
    EQ(flags, NX);
    /* 32-bit results are sign-extended, unsigned ones too */
    EQ(FX("fcvt.wu.d a0, ft0, rtz", 0x41efffffffe00000ull, 0), 0xffffffffffffffffull);
    EQ(flags, 0);
    EQ(FX("fcvt.l.d a0, ft0, rtz", 0x43e158e460913d00ull, 0), 0x7fffffffffffffffull); /* 1e19 */
    EQ(flags, NV);
    EQ(FX("fcvt.lu.d a0, ft0, rtz", 0x43e158e460913d00ull, 0), 0x8ac7230489e80000ull);
    EQ(flags, 0);
    EQ(FX("fcvt.lu.d a0, ft0, rtz", D_QNAN, 0), 0xffffffffffffffffull);
    EQ(flags, NV);
    EQ(FX("fcvt.l.s a0, ft0, rtz", BOX(0xdf000000), 0), 0x8000000000000000ull); /* -2^63 */
    EQ(flags, 0);
    EQ(XF("fcvt.d.l ft3, a0", -1ull), D_M1);
    EQ(XF("fcvt.d.lu ft3, a0", -1ull), 0x43f0000000000000ull);
    EQ(flags, NX);
    EQ(XF("fcvt.s.w ft3, a0", 0x7fffffff), BOX(0x4f000000));
    EQ(flags, NX);
    EQ(XF("fcvt.s.wu ft3, a0", 0xffffffff), BOX(0x4f800000));
    EQ(XF("fcvt.d.w ft3, a0", 0x1234567880000000ull), 0xc1e0000000000000ull); /* low 32 bits */
    EQ(XF("fcvt.d.wu ft3, a0", 0x1234567880000000ull), 0x41e0000000000000ull);
    EQ(flags, 0);
    t_end();
}

static void test_compare_class(void)
{
    t_begin("fp.compare-class");
    EQ(FX("feq.d a0, ft0, ft1", D_QNAN, D_QNAN), 0);
    EQ(flags, 0);
    EQ(FX("feq.d a0, ft0, ft1", D_SNAN, D_1), 0);
    EQ(flags, NV);
    EQ(FX("flt.d a0, ft0, ft1", D_QNAN, D_1), 0);
    EQ(flags, NV);
    EQ(FX("fle.d a0, ft0, ft1", D_M0, D_0), 1);
    EQ(FX("flt.d a0, ft0, ft1", D_M0, D_0), 0);
    EQ(FX("feq.d a0, ft0, ft1", D_M0, D_0), 1);
    EQ(FX("flt.d a0, ft0, ft1", D_MINF, D_M1), 1);
    EQ(flags, 0);
    EQ(FX("fclass.d a0, ft0", D_MINF, 0), 1 << 0);
    EQ(FX("fclass.d a0, ft0", D_M1, 0), 1 << 1);
    EQ(FX("fclass.d a0, ft0", 0x800fffffffffffffull, 0), 1 << 2);
    EQ(FX("fclass.d a0, ft0", D_M0, 0), 1 << 3);
    EQ(FX("fclass.d a0, ft0", D_0, 0), 1 << 4);
    EQ(FX("fclass.d a0, ft0", D_MINSUB, 0), 1 << 5);
    EQ(FX("fclass.d a0, ft0", D_MAX, 0), 1 << 6);
    EQ(FX("fclass.d a0, ft0", D_INF, 0), 1 << 7);
    EQ(FX("fclass.d a0, ft0", D_SNAN, 0), 1 << 8);
    EQ(FX("fclass.d a0, ft0", D_QNAN, 0), 1 << 9);
    EQ(FX("fclass.s a0, ft0", S_SNAN, 0), 1 << 8);
    EQ(FX("fclass.s a0, ft0", BOX(0x00000001), 0), 1 << 5);
    EQ(flags, 0);
    t_end();
}

int main(void)
{
    test_fs();
    set_fs(SSTATUS_FS_INITIAL);
    test_fcsr();
    test_rounding_modes();
    test_arith();
    test_single();
    test_convert();
    test_compare_class();
    return 0;
}
