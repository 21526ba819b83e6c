/* SPDX-License-Identifier: MIT */
/*
 * Unit test of the x86-64 encoder: each case emits one instruction and
 * compares the bytes with the encoding GNU as 2.40 produces for the same
 * instruction (written next to it in Intel syntax), covering the awkward
 * ModRM cases: rsp/r12 bases (SIB), rbp/r13 bases (forced disp8), REX for
 * spl..dil byte registers, r8..r15 in each field, and rel8/rel32 jumps.
 */
#include "cpu/jit/emit_x86_64.h"

#include <stdio.h>
#include <string.h>

static int failures, cases;

static void check(const char *what, const uint8_t *got, size_t n, const char *hex)
{
    uint8_t want[32];
    size_t m = 0;
    for (const char *s = hex; *s;) {
        unsigned b;
        if (*s == ' ') {
            s++;
            continue;
        }
        if (sscanf(s, "%2x", &b) != 1)
            break;
        want[m++] = (uint8_t)b;
        s += 2;
    }
    cases++;
    if (m == n && !memcmp(got, want, n))
        return;
    failures++;
    printf("FAIL %s: got", what);
    for (size_t i = 0; i < n; i++)
        printf(" %02x", got[i]);
    printf(", want %s\n", hex);
}

/* Cases emit at `at`, the middle of `mem`, so backward targets stay inside it. */
static uint8_t mem[4096];
static uint8_t *const at = mem + 1024;
static struct emit e;

#define CASE(hex, stmt)                                                                            \
    do {                                                                                           \
        emit_init(&e, at, 2048);                                                                   \
        stmt;                                                                                      \
        check(#stmt, at, (size_t)(e.p - at), hex);                                                 \
    } while (0)

static void test_moves(void)
{
    CASE("48 89 d8", emit_mov_rr(&e, true, RAX, RBX));                /* mov rax, rbx */
    CASE("41 89 f4", emit_mov_rr(&e, false, R12, RSI));               /* mov r12d, esi */
    CASE("4d 89 f9", emit_mov_rr(&e, true, R9, R15));                 /* mov r9, r15 */
    CASE("b8 78 56 34 12", emit_mov_ri(&e, RAX, 0x12345678));         /* mov eax, imm32 */
    CASE("41 ba 00 00 00 00", emit_mov_ri(&e, R10, 0));               /* mov r10d, 0 */
    CASE("48 c7 c1 fe ff ff ff", emit_mov_ri(&e, RCX, (uint64_t)-2)); /* mov rcx, -2 */
    CASE("49 bb f0 de bc 9a 78 56 34 12",
         emit_mov_ri(&e, R11, 0x123456789abcdef0ull));             /* movabs r11, imm64 */
    CASE("0f b6 06", emit_load(&e, 1, false, RAX, x86_m(RSI, 0))); /* movzx eax, byte [rsi] */
    CASE("48 0f be 46 01",
         emit_load(&e, 1, true, RAX, x86_m(RSI, 1))); /* movsx rax, byte [rsi+1] */
    CASE("41 0f b7 55 00", emit_load(&e, 2, false, RDX, x86_m(R13, 0))); /* movzx edx, word [r13] */
    CASE("49 0f bf 54 24 08",
         emit_load(&e, 2, true, RDX, x86_m(R12, 8))); /* movsx rdx, word [r12+8] */
    CASE("8b 83 00 01 00 00", emit_load(&e, 4, false, RAX, x86_m(RBX, 0x100)));
    CASE("48 63 04 24", emit_load(&e, 4, true, RAX, x86_m(RSP, 0))); /* movsxd rax, [rsp] */
    CASE("4c 8b 44 cb 10", emit_load(&e, 8, false, R8, x86_mi(RBX, RCX, 8, 16)));
    CASE("49 8b 44 15 08", emit_load(&e, 8, false, RAX, x86_mi(R13, RDX, 1, 8)));
    CASE("88 06", emit_store(&e, 1, x86_m(RSI, 0), RAX));       /* mov [rsi], al */
    CASE("40 88 36", emit_store(&e, 1, x86_m(RSI, 0), RSI));    /* mov [rsi], sil */
    CASE("44 88 0f", emit_store(&e, 1, x86_m(RDI, 0), R9));     /* mov [rdi], r9b */
    CASE("66 89 16", emit_store(&e, 2, x86_m(RSI, 0), RDX));    /* mov [rsi], dx */
    CASE("41 89 48 fc", emit_store(&e, 4, x86_m(R8, -4), RCX)); /* mov [r8-4], ecx */
    CASE("48 89 83 80 00 00 00", emit_store(&e, 8, x86_m(RBX, 0x80), RAX));
    CASE("48 c7 43 08 fb ff ff ff", emit_store_i(&e, x86_m(RBX, 8), -5));
    CASE("49 8d 84 24 00 10 00 00", emit_lea(&e, RAX, x86_m(R12, 0x1000)));
    CASE("4c 8d 64 7e fd", emit_lea(&e, R12, x86_mi(RSI, RDI, 2, -3)));
}

static void test_alu(void)
{
    CASE("48 01 c8", emit_alu_rr(&e, true, ALU_ADD, RAX, RCX)); /* add rax, rcx */
    CASE("45 29 f8", emit_alu_rr(&e, false, ALU_SUB, R8, R15)); /* sub r8d, r15d */
    CASE("48 33 43 10", emit_alu_rm(&e, true, ALU_XOR, RAX, x86_m(RBX, 0x10)));
    CASE("49 3b 44 15 00", emit_alu_rm(&e, true, ALU_CMP, RAX, x86_mi(R13, RDX, 1, 0)));
    CASE("48 21 83 f8 00 00 00", emit_alu_mr(&e, true, ALU_AND, x86_m(RBX, 0xf8), RAX));
    CASE("48 83 c0 05", emit_alu_ri(&e, true, ALU_ADD, RAX, 5));
    CASE("81 e2 f0 0f 00 00", emit_alu_ri(&e, false, ALU_AND, RDX, 0xff0));
    CASE("48 83 fe ff", emit_alu_ri(&e, true, ALU_CMP, RSI, -1));
    CASE("49 83 ee 40", emit_alu_ri(&e, true, ALU_SUB, R14, 64));
    CASE("48 83 83 00 10 00 00 03", emit_alu_mi(&e, true, ALU_ADD, x86_m(RBX, 0x1000), 3));
    CASE("83 bb 00 02 00 00 00", emit_alu_mi(&e, false, ALU_CMP, x86_m(RBX, 0x200), 0));
    CASE("48 85 c0", emit_test_rr(&e, true, RAX, RAX));
    CASE("41 85 c9", emit_test_rr(&e, false, R9, RCX));
    CASE("84 c0", emit_test8_rr(&e, RAX, RAX));    /* test al, al */
    CASE("40 84 f7", emit_test8_rr(&e, RDI, RSI)); /* test dil, sil */
    CASE("48 f7 83 18 01 00 00 00 60 00 00", emit_test_mi(&e, true, x86_m(RBX, 0x118), 0x6000));
    CASE("48 d1 e0", emit_shift_ri(&e, true, SH_SHL, RAX, 1));
    CASE("48 c1 ea 0c", emit_shift_ri(&e, true, SH_SHR, RDX, 12));
    CASE("41 c1 fa 1f", emit_shift_ri(&e, false, SH_SAR, R10, 31));
    CASE("48 d3 e0", emit_shift_cl(&e, true, SH_SHL, RAX));
    CASE("41 d3 fb", emit_shift_cl(&e, false, SH_SAR, R11));
}

static void test_muldiv(void)
{
    CASE("48 0f af c1", emit_imul_rr(&e, true, RAX, RCX));
    CASE("44 0f af 43 20", emit_imul_rm(&e, false, R8, x86_m(RBX, 0x20)));
    CASE("48 0f af 43 20", emit_imul_rm(&e, true, RAX, x86_m(RBX, 0x20)));
    CASE("69 c0 00 30 00 00", emit_imul_rri(&e, false, RAX, RAX, 12288));
    CASE("48 6b ca 03", emit_imul_rri(&e, true, RCX, RDX, 3));
    CASE("48 f7 d8", emit_unary(&e, true, UN_NEG, RAX));
    CASE("41 f7 d1", emit_unary(&e, false, UN_NOT, R9));
    CASE("48 f7 63 30", emit_unary_m(&e, true, UN_MUL, x86_m(RBX, 0x30)));
    CASE("48 f7 e9", emit_unary(&e, true, UN_IMUL, RCX));
    CASE("49 f7 f3", emit_unary(&e, true, UN_DIV, R11));
    CASE("f7 f9", emit_unary(&e, false, UN_IDIV, RCX));
    CASE("48 99", emit_cqo(&e, true));
    CASE("99", emit_cqo(&e, false));
    CASE("48 63 c0", emit_movsxd(&e, RAX, RAX));
    CASE("4d 63 d3", emit_movsxd(&e, R10, R11));
    CASE("0f 9c c0 0f b6 c0", emit_setcc_zx(&e, CC_L, RAX));       /* setl al; movzx eax, al */
    CASE("40 0f 92 c6 40 0f b6 f6", emit_setcc_zx(&e, CC_B, RSI)); /* setb sil; movzx esi, sil */
    CASE("41 0f 95 c4 45 0f b6 e4", emit_setcc_zx(&e, CC_NE, R12));
}

static void test_control(void)
{
    CASE("53", emit_push(&e, RBX));
    CASE("41 57", emit_push(&e, R15));
    CASE("41 5c", emit_pop(&e, R12));
    CASE("5d", emit_pop(&e, RBP));
    CASE("c3", emit_ret(&e));
    CASE("0f ae f0", emit_mfence(&e));
}

static void test_sse(void)
{
    CASE("f3 0f 7e 83 00 01 00 00", emit_movq_xm(&e, XMM0, x86_m(RBX, 0x100)));
    CASE("f3 0f 7e 4b 08", emit_movq_xm(&e, XMM1, x86_m(RBX, 8)));
    CASE("f3 41 0f 7e 04 24", emit_movq_xm(&e, XMM0, x86_m(R12, 0)));
    CASE("66 0f d6 83 00 01 00 00", emit_movq_mx(&e, x86_m(RBX, 0x100), XMM0));
    CASE("66 48 0f 7e c0", emit_movq_rx(&e, RAX, XMM0));
    CASE("66 48 0f 7e c9", emit_movq_rx(&e, RCX, XMM1));
    CASE("f2 0f 58 83 08 01 00 00", emit_sse_sd(&e, SSE_ADD, XMM0, x86_m(RBX, 0x108)));
    CASE("f2 0f 5c 83 08 01 00 00", emit_sse_sd(&e, SSE_SUB, XMM0, x86_m(RBX, 0x108)));
    CASE("f2 0f 59 4b 10", emit_sse_sd(&e, SSE_MUL, XMM1, x86_m(RBX, 0x10)));
    CASE("f2 0f 5e 83 00 02 00 00", emit_sse_sd(&e, SSE_DIV, XMM0, x86_m(RBX, 0x200)));
    CASE("66 0f 2e 83 18 01 00 00", emit_ucomisd(&e, XMM0, x86_m(RBX, 0x118)));
    /* vfmadd213sd xmm0, xmm1, [rbx+0x120] and friends */
    CASE("c4 e2 f1 a9 83 20 01 00 00", emit_vfma_sd(&e, FMA_ADD, XMM0, XMM1, x86_m(RBX, 0x120)));
    CASE("c4 e2 f1 ab 83 20 01 00 00", emit_vfma_sd(&e, FMA_SUB, XMM0, XMM1, x86_m(RBX, 0x120)));
    CASE("c4 e2 f1 ad 43 08", emit_vfma_sd(&e, FMA_NADD, XMM0, XMM1, x86_m(RBX, 8)));
    CASE("c4 c2 f1 af 45 08", emit_vfma_sd(&e, FMA_NSUB, XMM0, XMM1, x86_m(R13, 8)));
    CASE("ff d0", emit_call_r(&e, RAX));
    CASE("41 ff d3", emit_call_r(&e, R11));
    CASE("ff e2", emit_jmp_r(&e, RDX));
    CASE("41 ff e1", emit_jmp_r(&e, R9));
    CASE("48 b8 f0 de bc 9a 78 56 34 12 ff d0",
         emit_call_abs(&e, (const void *)(uintptr_t)0x123456789abcdef0ull));
    /* jumps, with targets relative to where the case starts */
    CASE("eb 0e", emit_jmp_to(&e, at + 0x10));           /* jmp short +0x10 */
    CASE("e9 fb 01 00 00", emit_jmp_to(&e, at + 0x200)); /* jmp near +0x200 */
    CASE("75 fe", emit_jcc_to(&e, CC_NE, at));           /* jne to itself */
    CASE("0f 8c fa 01 00 00", emit_jcc_to(&e, CC_L, at + 0x200));
    CASE("eb 80", emit_jmp_to(&e, at - 126));          /* farthest back rel8 */
    CASE("e9 7c ff ff ff", emit_jmp_to(&e, at - 127)); /* just out of rel8 range */
    /* a forward jcc bound after a 3-byte instruction: rel32 = 3 */
    CASE("0f 84 03 00 00 00 48 89 d8", {
        uint8_t *site = emit_jcc_fwd(&e, CC_E);
        emit_mov_rr(&e, true, RAX, RBX);
        emit_bind(&e, site);
    });
    CASE("e9 00 00 00 00", emit_bind(&e, emit_jmp_fwd(&e)));
}

/* Running out of room sets `full`, never writes past the end. */
static void test_full(void)
{
    uint8_t small[8] = {0};
    emit_init(&e, small, 4);
    emit_mov_ri(&e, RAX, 0x123456789abcdef0ull);
    cases++;
    if (!e.full || e.p != small + 4 || small[4] != 0 || emit_jmp_fwd(&e) != NULL) {
        failures++;
        printf("FAIL: overflow not detected or written past the end\n");
    }
}

int main(void)
{
    test_moves();
    test_alu();
    test_muldiv();
    test_control();
    test_sse();
    test_full();
    printf("%d cases, %d failed\n", cases, failures);
    return failures ? 1 : 0;
}
