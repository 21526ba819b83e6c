#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Random straight-line instruction sequences for differential testing.

Each sequence is an assembly file defining gen_body() in section .text.gen,
which rt/link.ld places at the fixed address 0x80200040, so link addresses
that leak into registers (auipc, jal/jalr links, la) are the same in every
build. gen_main.c fills a 4 KiB scratch buffer from the seed, calls
gen_body() and prints all x and f registers, fcsr and checksums of the
buffer. The expected output is that of the same binary under
qemu-system-riscv64 (ref/<name>.out).

Only the standard library is used and only the Random methods whose output
Python keeps stable across versions (random, randrange, choice, getrandbits).
Every file is a pure function of (seed, profile): changing this generator
changes the sequences, so regenerate ref/ afterwards with
    tests/isa/run.sh --qemu --update-ref

Register conventions inside gen_body:
  gp (x3)   base of the scratch buffer, never written; the dump area
            (x regs, f regs, fcsr) lies at gp-2048 .. gp-1528.
  sp (x2)   points into the scratch buffer (sp-relative compressed
            loads/stores); only c.addi16sp moves it, and the generator keeps
            it inside the buffer.
  tp (x4)   the checkpoint log pointer: every CHECKPOINT_EVERY steps the
            sequence stores 6 x and 2 f registers (64 bytes) at tp and
            advances it, so intermediate values are compared too and the
            first differing "chkNNN" line of the output points at the
            "checkpoint NNN" comment in the .S file.
  all other x registers and all f registers are random data.
Nothing here may trap, read counters or depend on timing: the output must
be a function of the instructions alone. LR/SC is left out (an SC may fail
spuriously); AMOs stay in. sscratch serves as a scratch CSR (the trap stack
pointer it normally holds is restored on exit; no trap can come between).

usage: gen.py OUTDIR        write every sequence as OUTDIR/<name>.S
       gen.py --list        print the sequence names, seeds and profiles
"""
import os
import random
import sys

COUNT = 40
LENGTH = 300
CHECKPOINT_EVERY = 8
PROFILES = ("int", "mem", "fp", "mix", "rvc")
SCRATCH = 4096
DUMP = -2048  # offset of the dump area from gp
SP_LO, SP_HI = 1024, 2560  # range of sp - gp

MASK64 = (1 << 64) - 1


def sequences(extra=0):
    """[(name, seed, profile)] of every generated test: the COUNT stored ones
    (gen_*, with outputs in ref/), then `extra` more (genx_*) that have no
    stored output and need a live QEMU run."""
    out = []
    for i in range(COUNT):
        prof = PROFILES[i % len(PROFILES)]
        out.append(("gen_%02d_%s" % (i, prof), 0x5eed0000 + i, prof))
    for i in range(extra):
        prof = PROFILES[i % len(PROFILES)]
        out.append(("genx_%04d_%s" % (i, prof), 0x7e570000 + i, prof))
    return out


def paged():
    """[(name, base name, satp mode)]: stored sequences that also run with
    translation on (gen_main.c, GEN_PAGING); they must print exactly the
    base sequence's output."""
    out = []
    for name, seed, profile in sequences():
        if profile in ("mem", "mix"):
            mode = 8 if len(out) % 2 == 0 else 9
            out.append(("%s_sv%d" % (name, 39 if mode == 8 else 48), name, mode))
    return out


INT_SPECIAL = [
    0, 1, 2, 3, 0x7f, 0x80, 0xff, 0x7fff, 0x8000, 0xffff, 0x7fffffff, 0x80000000, 0xffffffff,
    0x100000000, 0x7fffffffffffffff, 0x8000000000000000, MASK64, MASK64 - 1,
    0xffffffff80000000, 0xffffffff7fffffff, 0x00000000fffffffe, 0x5555555555555555,
    0xaaaaaaaaaaaaaaaa, 0x123456789abcdef0, 31, 32, 33, 63, 64, 0xfffffffffffff800,
]


def box(x):
    return 0xffffffff00000000 | x


# doubles, NaN-boxed singles, and a few improperly boxed singles
FP_SPECIAL = [
    0x0000000000000000, 0x8000000000000000, 0x3ff0000000000000, 0xbff0000000000000,
    0x3ff8000000000000, 0x4004000000000000, 0xc004000000000000, 0x3fe0000000000000,
    0x7ff0000000000000, 0xfff0000000000000, 0x7ff8000000000000, 0x7ff0000000000001,
    0xfff8000000000123, 0x7ff4000000000000, 0x0000000000000001, 0x000fffffffffffff,
    0x0010000000000000, 0x7fefffffffffffff, 0x41e0000000000000, 0xc1e0000000000000,
    0x41efffffffe00000, 0x43e0000000000000, 0xc3e0000000000000, 0x43f0000000000000,
    0x3fb999999999999a, 0x4415af1d78b58c40, 0x3cb0000000000000, 0x4330000000000001,
    box(0x00000000), box(0x80000000), box(0x3f800000), box(0xbf800000), box(0x3fc00000),
    box(0x40200000), box(0xc0200000), box(0x3f000000), box(0x7f800000), box(0xff800000),
    box(0x7fc00000), box(0x7f800001), box(0xffc00123), box(0x7fa00000), box(0x00000001),
    box(0x007fffff), box(0x00800000), box(0x7f7fffff), box(0x4f000000), box(0xcf000000),
    box(0x4f800000), box(0x5f000000), box(0xdf000000), box(0x5f800000), box(0x3dcccccd),
    box(0x4b000001), box(0x33800000),
    0x000000003f800000, 0x7fffffff40000000, 0xfffffffe7fc00000,
]

RD = ["x%d" % i for i in [1] + list(range(5, 32))]  # writable: not x0, sp, gp, tp
RS = ["x%d" % i for i in range(32)]
RVC_REGS = ["x%d" % i for i in range(8, 16)]
FRS = ["f%d" % i for i in range(32)]
RVC_FREGS = ["f%d" % i for i in range(8, 16)]
RMS = ["rne", "rtz", "rdn", "rup", "rmm", "dyn"]

ALU_RR = ["add", "sub", "sll", "slt", "sltu", "xor", "srl", "sra", "or", "and",
          "addw", "subw", "sllw", "srlw", "sraw"]
MUL_RR = ["mul", "mulh", "mulhsu", "mulhu", "div", "divu", "rem", "remu",
          "mulw", "divw", "divuw", "remw", "remuw"]
ALU_RI = ["addi", "slti", "sltiu", "xori", "ori", "andi", "addiw"]
BRANCHES = ["beq", "bne", "blt", "bge", "bltu", "bgeu"]
AMOS = ["amoswap", "amoadd", "amoxor", "amoand", "amoor", "amomin", "amomax", "amominu",
        "amomaxu"]
LOADS = [("lb", 1), ("lbu", 1), ("lh", 2), ("lhu", 2), ("lw", 4), ("lwu", 4), ("ld", 8)]
STORES = [("sb", 1), ("sh", 2), ("sw", 4), ("sd", 8)]


class Gen:
    def __init__(self, seed, profile):
        self.r = random.Random(seed)
        self.seed = seed
        self.profile = profile
        self.out = []
        self.nlabel = 0
        self.sp = 2048  # sp - gp
        self.ftype = {}  # f register -> "s" or "d", what it last held

    # ---- helpers ----
    def emit(self, s):
        self.out.append("    " + s)

    def rvc(self, s):
        self.out.append("    .option rvc\n    %s\n    .option norvc" % s)

    def label(self):
        self.nlabel += 1
        return ".Lg%d" % self.nlabel

    def chance(self, p):
        return self.r.random() < p

    def imm12(self):
        if self.chance(0.3):
            return self.r.choice([0, 1, -1, 2, -2, 2047, -2048, 0x7f, -0x80, 0x3ff, -0x400])
        return self.r.randrange(-2048, 2048)

    def rd(self):
        return "x0" if self.chance(0.03) else self.r.choice(RD)

    def rs(self):
        return self.r.choice(RS)

    def fpick(self, kind):
        """an f register, usually one holding a value of this kind"""
        if self.chance(0.85):
            regs = [f for f in FRS if self.ftype.get(f) == kind]
            if regs:
                return self.r.choice(regs)
        return self.r.choice(FRS)

    def fdst(self, kind):
        f = self.r.choice(FRS)
        self.ftype[f] = kind
        return f

    def mem_addr(self, size, aligned=True):
        """(offset, base register) for an access of size bytes in scratch;
        may first emit an addi that points a random register into it"""
        if aligned or self.chance(0.5):
            off = self.r.randrange(0, SCRATCH - size + 1, size)
        else:
            off = self.r.randrange(0, SCRATCH - size + 1)
        off = min(off, 2047 + 2047)  # the farthest "addi base, gp, k" + offset reaches
        if off < 2048 and self.chance(0.5):
            return off, "gp"
        base = self.r.choice(RD)
        k = self.r.randrange(0, 2048)
        rel = off - k
        if rel > 2047 or rel < -2048:
            k = off - self.r.randrange(-2048, 2048)
            k = max(0, off - 2047, min(2047, off + 2048, k))
            rel = off - k
        self.emit("addi %s, gp, %d" % (base, k))
        return rel, base

    # ---- integer ----
    def alu_rr(self):
        self.emit("%s %s, %s, %s" % (self.r.choice(ALU_RR), self.rd(), self.rs(), self.rs()))

    def mul_rr(self):
        self.emit("%s %s, %s, %s" % (self.r.choice(MUL_RR), self.rd(), self.rs(), self.rs()))

    def alu_ri(self):
        self.emit("%s %s, %s, %d" % (self.r.choice(ALU_RI), self.rd(), self.rs(), self.imm12()))

    def shift_i(self):
        if self.chance(0.5):
            op = self.r.choice(["slli", "srli", "srai"])
            n = self.r.choice([0, 1, 31, 32, 63] + list(range(64)))
        else:
            op = self.r.choice(["slliw", "srliw", "sraiw"])
            n = self.r.choice([0, 1, 15, 31] + list(range(32)))
        self.emit("%s %s, %s, %d" % (op, self.rd(), self.rs(), n))

    def upper(self):
        v = self.r.choice([0, 1, 0x7ffff, 0x80000, 0xfffff, self.r.randrange(0, 1 << 20)])
        self.emit("%s %s, 0x%x" % (self.r.choice(["lui", "auipc"]), self.rd(), v))

    def reload_int(self):
        t = self.r.choice(RD)
        self.emit("la %s, gen_inttab" % t)
        self.emit("ld %s, %d(%s)" % (self.r.choice(RD), 8 * self.r.randrange(len(INT_SPECIAL)), t))

    def load(self):
        op, size = self.r.choice(LOADS)
        off, base = self.mem_addr(size, aligned=self.chance(0.9))
        self.emit("%s %s, %d(%s)" % (op, self.rd(), off, base))

    def store(self):
        op, size = self.r.choice(STORES)
        off, base = self.mem_addr(size, aligned=self.chance(0.9))
        self.emit("%s %s, %d(%s)" % (op, self.rs(), off, base))

    def amo(self):
        w = self.r.choice(["w", "d"])
        size = 4 if w == "w" else 8
        base = self.r.choice(RD)
        self.emit("addi %s, gp, %d" % (base, self.r.randrange(0, 2048 - 8, size)))
        order = self.r.choice(["", "", ".aq", ".rl", ".aqrl"])
        op = self.r.choice(AMOS)
        self.emit("%s.%s%s %s, %s, (%s)" % (op, w, order, self.rd(), self.rs(), base))

    # ---- control flow: forward only, over a small block ----
    def block(self):
        for _ in range(self.r.randrange(1, 5)):
            self.r.choice(self.simple)()

    def branch(self):
        end = self.label()
        a, b = self.rs(), self.rs()
        self.emit("%s %s, %s, %s" % (self.r.choice(BRANCHES), a, b, end))
        self.block()
        self.out.append(end + ":")

    def jump(self):
        end = self.label()
        kind = self.r.randrange(4)
        if kind == 0:
            self.emit("jal %s, %s" % (self.rd(), end))
        else:
            t = self.r.choice(RD)
            rd = self.rd()
            if kind == 1:
                self.emit("la %s, %s" % (t, end))
                self.emit("jalr %s, 0(%s)" % (rd, t))
            elif kind == 2:  # odd target: bit 0 is cleared
                self.emit("la %s, %s" % (t, end))
                self.emit("jalr %s, 1(%s)" % (rd, t))
            else:
                self.emit("la %s, %s-16" % (t, end))
                self.emit("jalr %s, 16(%s)" % (rd, t))
        self.block()
        self.out.append(end + ":")

    # ---- compressed ----
    def cimm6(self, nonzero=False):
        while True:
            v = self.r.choice([-32, 31, 1, -1, self.r.randrange(-32, 32)])
            if v or not nonzero:
                return v

    def c_alu(self):
        k = self.r.randrange(12)
        rd = self.r.choice(RD)
        c1, c2 = self.r.choice(RVC_REGS), self.r.choice(RVC_REGS)
        if k == 0:
            self.rvc("c.addi %s, %d" % (rd, self.cimm6(True)))
        elif k == 1:
            self.rvc("c.addiw %s, %d" % (rd, self.cimm6()))
        elif k == 2:
            self.rvc("c.li %s, %d" % (rd, self.cimm6()))
        elif k == 3:
            v = self.r.choice([1, 31, 0xfffe0, 0xfffff, self.r.randrange(1, 32),
                               self.r.randrange(0xfffe0, 0x100000)])
            self.rvc("c.lui %s, 0x%x" % (rd, v))
        elif k == 4:
            self.rvc("c.slli %s, %d" % (rd, self.r.randrange(1, 64)))
        elif k == 5:
            self.rvc("c.%s %s, %d" % (self.r.choice(["srli", "srai"]), c1, self.r.randrange(1, 64)))
        elif k == 6:
            self.rvc("c.andi %s, %d" % (c1, self.cimm6()))
        elif k == 7:
            self.rvc("c.mv %s, %s" % (rd, self.r.choice(RS[1:])))
        elif k == 8:
            self.rvc("c.add %s, %s" % (rd, self.r.choice(RS[1:])))
        elif k == 9:
            op = self.r.choice(["sub", "xor", "or", "and", "subw", "addw"])
            self.rvc("c.%s %s, %s" % (op, c1, c2))
        elif k == 10:
            self.rvc("c.addi4spn %s, sp, %d" % (c1, 4 * self.r.randrange(1, 256)))
        else:
            self.rvc("c.nop")

    def c_mem(self):
        k = self.r.randrange(6)
        if k < 4:  # register-based
            op, size, maxoff = self.r.choice([("lw", 4, 124), ("ld", 8, 248), ("sw", 4, 124),
                                             ("sd", 8, 248), ("fld", 8, 248), ("fsd", 8, 248)])
            base = self.r.choice(RVC_REGS)
            off = self.r.randrange(0, maxoff + 1, size)
            k = self.r.randrange(0, 2048 - 256, 8)
            self.emit("addi %s, gp, %d" % (base, k))
            if op.startswith("f"):
                reg = self.r.choice(RVC_FREGS)
                if op == "fld":
                    self.ftype[reg] = "d"
            else:
                reg = self.r.choice(RVC_REGS)
            self.rvc("c.%s %s, %d(%s)" % (op, reg, off, base))
        elif k == 4:  # sp-based
            op, size, maxoff = self.r.choice([("lwsp", 4, 252), ("ldsp", 8, 504),
                                              ("swsp", 4, 252), ("sdsp", 8, 504),
                                              ("fldsp", 8, 504), ("fsdsp", 8, 504)])
            off = self.r.randrange(0, maxoff + 1, size)
            if op.startswith("f"):
                reg = self.r.choice(FRS)
                if op == "fldsp":
                    self.ftype[reg] = "d"
            elif op in ("lwsp", "ldsp"):
                reg = self.r.choice(RD)
            else:
                reg = self.rs()
            self.rvc("c.%s %s, %d(sp)" % (op, reg, off))
        else:  # move sp, staying inside the buffer
            while True:
                v = 16 * self.r.randrange(-32, 32)
                if v and SP_LO <= self.sp + v <= SP_HI:
                    break
            self.sp += v
            self.rvc("c.addi16sp sp, %d" % v)

    def c_ctrl(self):
        end = self.label()
        k = self.r.randrange(4)
        if k == 0:
            op = self.r.choice(["beqz", "bnez"])
            self.rvc("c.%s %s, %s" % (op, self.r.choice(RVC_REGS), end))
        elif k == 1:
            self.rvc("c.j %s" % end)
        else:
            t = self.r.choice(RD)
            self.emit("la %s, %s" % (t, end))
            self.rvc("c.%s %s" % ("jr" if k == 2 else "jalr", t))
        self.block()
        self.out.append(end + ":")

    # ---- floating point ----
    def fp_arith(self):
        p = self.r.choice("sd")
        op = self.r.choice(["fadd", "fsub", "fmul", "fdiv", "fmin", "fmax",
                            "fsgnj", "fsgnjn", "fsgnjx"])
        a, b = self.fpick(p), self.fpick(p)
        rm = ", " + self.r.choice(RMS) if op in ("fadd", "fsub", "fmul", "fdiv") else ""
        self.emit("%s.%s %s, %s, %s%s" % (op, p, self.fdst(p), a, b, rm))

    def fp_sqrt(self):
        p = self.r.choice("sd")
        a = self.fpick(p)
        self.emit("fsqrt.%s %s, %s, %s" % (p, self.fdst(p), a, self.r.choice(RMS)))

    def fp_fma(self):
        p = self.r.choice("sd")
        a, b, c = self.fpick(p), self.fpick(p), self.fpick(p)
        op = self.r.choice(["fmadd", "fmsub", "fnmadd", "fnmsub"])
        self.emit("%s.%s %s, %s, %s, %s, %s" % (op, p, self.fdst(p), a, b, c, self.r.choice(RMS)))

    def fp_cmp(self):
        p = self.r.choice("sd")
        if self.chance(0.25):
            self.emit("fclass.%s %s, %s" % (p, self.rd(), self.fpick(p)))
        else:
            op = self.r.choice(["feq", "flt", "fle"])
            self.emit("%s.%s %s, %s, %s" % (op, p, self.rd(), self.fpick(p), self.fpick(p)))

    def fp_cvt(self):
        p = self.r.choice("sd")
        i = self.r.choice(["w", "wu", "l", "lu"])
        k = self.r.randrange(3)
        if k == 0:
            rd, src = self.rd(), self.fpick(p)
            self.emit("fcvt.%s.%s %s, %s, %s" % (i, p, rd, src, self.r.choice(RMS)))
        elif k == 1:
            # int -> double from 32 bits is exact and takes no rounding mode
            rm = "" if p == "d" and i in ("w", "wu") else ", " + self.r.choice(RMS)
            self.emit("fcvt.%s.%s %s, %s%s" % (p, i, self.fdst(p), self.rs(), rm))
        elif p == "s":
            a = self.fpick("d")
            self.emit("fcvt.s.d %s, %s, %s" % (self.fdst("s"), a, self.r.choice(RMS)))
        else:
            a = self.fpick("s")
            self.emit("fcvt.d.s %s, %s" % (self.fdst("d"), a))

    def fp_move(self):
        k = self.r.randrange(4)
        if k == 0:
            self.emit("fmv.x.w %s, %s" % (self.rd(), self.r.choice(FRS)))
        elif k == 1:
            self.emit("fmv.x.d %s, %s" % (self.rd(), self.r.choice(FRS)))
        elif k == 2:
            self.emit("fmv.w.x %s, %s" % (self.fdst("s"), self.rs()))
        else:
            self.emit("fmv.d.x %s, %s" % (self.fdst("d"), self.rs()))

    def fp_reload(self):
        t = self.r.choice(RD)
        i = self.r.randrange(len(FP_SPECIAL))
        self.emit("la %s, gen_fptab" % t)
        kind = "d" if FP_SPECIAL[i] >> 32 != 0xffffffff else "s"
        self.emit("fld %s, %d(%s)" % (self.fdst(kind), 8 * i, t))

    def fp_mem(self):
        if self.chance(0.5):
            op, size = self.r.choice([("flw", 4), ("fld", 8)])
            off, base = self.mem_addr(size, aligned=self.chance(0.95))
            self.emit("%s %s, %d(%s)" % (op, self.fdst("s" if size == 4 else "d"), off, base))
        else:
            op, size = self.r.choice([("fsw", 4), ("fsd", 8)])
            off, base = self.mem_addr(size, aligned=self.chance(0.95))
            self.emit("%s %s, %d(%s)" % (op, self.r.choice(FRS), off, base))

    def fp_csr(self):
        k = self.r.randrange(5)
        if k == 0:
            self.emit("fsrmi %d" % self.r.randrange(5))
        elif k == 1:
            # save the flags so far into memory, then clear them
            t = self.r.choice(RD)
            self.emit("frflags %s" % t)
            self.emit("sb %s, %d(gp)" % (t, self.r.randrange(0, 2048)))
            self.emit("fsflags x0")
        elif k == 2:
            self.emit("fsflags %s" % self.rs())
        elif k == 3:
            self.emit("frcsr %s" % self.rd())
        else:
            self.emit("csrrsi %s, fflags, %d" % (self.rd(), self.r.randrange(32)))

    def checkpoint(self, n):
        self.out.append("    /* checkpoint %d */" % n)
        for i in range(6):
            self.emit("sd %s, %d(tp)" % (self.rs(), 8 * i))
        for i in range(2):
            self.emit("fsd %s, %d(tp)" % (self.r.choice(FRS), 48 + 8 * i))
        self.emit("addi tp, tp, 64")

    # ---- system: CSR instructions on sscratch (restored on exit), fences ----
    def sys_csr(self):
        k = self.r.randrange(8)
        if k < 3:
            op = ["csrrw", "csrrs", "csrrc"][k]
            self.emit("%s %s, sscratch, %s" % (op, self.rd(), self.rs()))
        elif k < 6:
            op = ["csrrwi", "csrrsi", "csrrci"][k - 3]
            self.emit("%s %s, sscratch, %d" % (op, self.rd(), self.r.randrange(32)))
        elif k == 6:
            self.emit("csrr %s, sscratch" % self.rd())
        else:
            self.emit(self.r.choice(["fence", "fence rw, rw", "fence.tso", "fence.i",
                                     "fence r, r"]))

    # ---- driver ----
    def mix(self):
        P = self.profile
        w = {
            self.alu_rr: 10, self.mul_rr: 5, self.alu_ri: 8, self.shift_i: 4, self.upper: 2,
            self.reload_int: 1, self.load: 4, self.store: 4, self.amo: 2, self.branch: 3,
            self.jump: 1, self.c_alu: 2, self.c_mem: 1, self.c_ctrl: 1,
            self.fp_arith: 3, self.fp_sqrt: 1, self.fp_fma: 2, self.fp_cmp: 1, self.fp_cvt: 3,
            self.fp_move: 2, self.fp_reload: 1, self.fp_mem: 1, self.fp_csr: 1, self.sys_csr: 1,
        }
        boost = {
            "int": [self.alu_rr, self.mul_rr, self.alu_ri, self.shift_i, self.upper, self.branch,
                    self.jump],
            "mem": [self.load, self.store, self.amo, self.fp_mem, self.c_mem],
            "fp": [self.fp_arith, self.fp_sqrt, self.fp_fma, self.fp_cmp, self.fp_cvt, self.fp_move,
                   self.fp_reload, self.fp_csr],
            "rvc": [self.c_alu, self.c_mem, self.c_ctrl],
            "mix": [self.sys_csr],
        }[P]
        for f in boost:
            w[f] *= 6
        return list(w), list(w.values())

    def generate(self):
        # the instruction kinds allowed inside a branch-over block
        self.simple = [self.alu_rr, self.mul_rr, self.alu_ri, self.shift_i, self.load, self.store,
                       self.c_alu, self.fp_arith, self.fp_move, self.amo]
        kinds, weights = self.mix()
        cum = []
        total = 0
        for wt in weights:
            total += wt
            cum.append(total)
        nchk = 0
        for step in range(LENGTH):
            if step % CHECKPOINT_EVERY == CHECKPOINT_EVERY - 1:
                self.checkpoint(nchk)
                nchk += 1
            x = self.r.random() * total
            for k, c in zip(kinds, cum):
                if x < c:
                    k()
                    break
        return self.out


PROLOGUE = """\
/* Generated by tests/isa/gen/gen.py (seed 0x%(seed)x, profile %(profile)s). Do not edit. */
    .section .text.gen, "ax"
    .option norvc
    .option norelax
    .globl gen_body
    .globl gen_seed
    .balign 8
gen_seed:
    .dword 0x%(seed)x
gen_body:
    la t0, gen_saved
    sd ra, 0(t0)
    sd sp, 8(t0)
    sd gp, 16(t0)
    sd tp, 24(t0)
    csrr t1, sscratch
    sd t1, 224(t0)
    .irp r, 0,1,2,3,4,5,6,7,8,9,10,11
    sd s\\r, (32 + 8 * \\r)(t0)
    fsd fs\\r, (128 + 8 * \\r)(t0)
    .endr
    la tp, rt_fixed_area
    li t0, 0x2000
    add tp, tp, t0
    la gp, rt_fixed_area
    addi gp, gp, 2047
    addi gp, gp, 1
    addi sp, gp, 2047
    addi sp, sp, 1
    la t0, gen_fpinit
    .irp r, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
    fld f\\r, (8 * \\r)(t0)
    .endr
    csrw fcsr, zero
    la t0, gen_intinit
    .irp r, 1,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31,5
    ld x\\r, (8 * \\r)(t0)
    .endr
"""

EPILOGUE = """\
    .irp r, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
    sd x\\r, (%(dump)d + 8 * \\r)(gp)
    fsd f\\r, (%(dump)d + 256 + 8 * \\r)(gp)
    .endr
    frcsr t0
    sd t0, (%(dump)d + 512)(gp)
    la t0, gen_saved
    ld ra, 0(t0)
    ld sp, 8(t0)
    ld gp, 16(t0)
    ld tp, 24(t0)
    ld t1, 224(t0)
    csrw sscratch, t1
    .irp r, 0,1,2,3,4,5,6,7,8,9,10,11
    ld s\\r, (32 + 8 * \\r)(t0)
    fld fs\\r, (128 + 8 * \\r)(t0)
    .endr
    ret

    .balign 8
"""


def table(name, values):
    lines = ["%s:" % name]
    for v in values:
        lines.append("    .dword 0x%016x" % (v & MASK64))
    return lines


def generate(seed, profile):
    g = Gen(seed, profile)
    body = g.generate()
    r = random.Random(seed ^ 0xabcdef)
    ints = [r.choice(INT_SPECIAL) if r.random() < 0.5 else r.getrandbits(64) for _ in range(32)]
    fps = [r.choice(FP_SPECIAL) if r.random() < 0.6 else r.getrandbits(64) for _ in range(32)]
    text = [PROLOGUE % {"seed": seed, "profile": profile}]
    text += body
    text.append(EPILOGUE % {"dump": DUMP})
    text += table("gen_intinit", ints)
    text += table("gen_inttab", INT_SPECIAL)
    text += table("gen_fpinit", fps)
    text += table("gen_fptab", FP_SPECIAL)
    text.append("""
    .bss
    .balign 8
gen_saved:
    .space 256
""")
    return "\n".join(text)


def write_all(outdir, extra=0):
    """Write every sequence to outdir/<name>.S (untouched when unchanged,
    so that builds stay incremental)."""
    os.makedirs(outdir, exist_ok=True)
    for name, seed, profile in sequences(extra):
        path = os.path.join(outdir, name + ".S")
        text = generate(seed, profile)
        try:
            with open(path) as f:
                if f.read() == text:
                    continue
        except FileNotFoundError:
            pass
        with open(path + ".tmp", "w") as f:
            f.write(text)
        os.replace(path + ".tmp", path)


def main(argv):
    if len(argv) == 2 and argv[1] == "--list":
        for name, seed, profile in sequences():
            print("%s 0x%x %s" % (name, seed, profile))
        return 0
    if len(argv) != 2 or argv[1].startswith("-"):
        print(__doc__.strip().split("\n\n")[-1], file=sys.stderr)
        return 2
    write_all(argv[1])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
