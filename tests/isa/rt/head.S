/* SPDX-License-Identifier: MIT */
/*
 * head.S: the entry of every ISA test program.
 *
 * - The RISC-V Linux Image header (Documentation/arch/riscv/boot-image-header
 *   .rst): a loader enters at offset 0 in S-mode, MMU off, a0 = hartid,
 *   a1 = device tree. QEMU -bios default -kernel and rvisor both load it so.
 * - _start: stack, bss, stvec/sscratch, FS=Initial, then rt_main (rt.c).
 * - The trap entry (direct mode) and a 16-entry vector table (vectored mode).
 *   sscratch holds the top of a private trap stack whenever no trap is being
 *   handled; the entry swaps it with sp, saves all 31 registers and the trap
 *   CSRs as a struct trap_frame (rt.h) and calls rt_trap_handle.
 * - rt_user_enter/rt_user_return: a setjmp-like pair that runs code in U-mode
 *   and comes back when it makes the "user exit" ecall.
 * - rt_smp_entry: where secondary harts start (smp.h).
 * - .utext: small position-independent U-mode routines (rt.h: u_*).
 */
#include "rt_asm.h"

    .section .head, "ax"
    .option push
    .option norvc
    .globl _image_header
_image_header:
    j _start                    /* code0 */
    .word 0                     /* code1 */
    .dword 0x200000             /* text_offset */
    .dword _image_size          /* image_size */
    .dword 0                    /* flags: little endian */
    .word 2                     /* version 0.2 */
    .word 0                     /* res1 */
    .dword 0                    /* res2 */
    .ascii "RISCV\0\0\0"        /* magic */
    .ascii "RSC\x05"            /* magic2 */
    .word 0                     /* res3 */
    .option pop

    .section .text.start, "ax"
    .globl _start
_start:
    mv s0, a0
    mv s1, a1
    la sp, rt_stack_top
    la t0, _bss_start
    la t1, _bss_end
1:  bgeu t0, t1, 2f
    sd zero, 0(t0)
    addi t0, t0, 8
    j 1b
2:  la t0, rt_trap_stack_top
    csrw sscratch, t0
    la t0, rt_trap_entry
    csrw stvec, t0
    csrw sie, zero
    li t0, SSTATUS_FS_INITIAL
    csrs sstatus, t0
    mv a0, s0
    mv a1, s1
    call rt_main
3:  wfi
    j 3b

/*
 * Trap entry. Every path builds a trap_frame on the trap stack with the
 * vector number in t0 (-1 for the direct-mode entry), then joins
 * trap_common.
 */
    .option push
    .option norvc
    .balign 256
    .globl rt_trap_vectors
rt_trap_vectors:
    j rt_trap_entry_v0
    .irp n, 1,2,3,4,5,6,7,8,9,10,11,12,13,14,15
    j rt_trap_entry_v\n
    .endr
    .option pop

    .macro VEC_STUB n
rt_trap_entry_v\n:
    csrrw sp, sscratch, sp
    addi sp, sp, -TF_SIZE
    sd t0, TF_X(5)(sp)
    li t0, \n
    j trap_common
    .endm

    .irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15
    VEC_STUB \n
    .endr

    .balign 4
    .globl rt_trap_entry
rt_trap_entry:
    csrrw sp, sscratch, sp
    addi sp, sp, -TF_SIZE
    sd t0, TF_X(5)(sp)
    li t0, -1
trap_common:
    sd t0, TF_VEC(sp)
    sd x1, TF_X(1)(sp)
    sd x3, TF_X(3)(sp)
    sd x4, TF_X(4)(sp)
    .irp r, 6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
    sd x\r, TF_X(\r)(sp)
    .endr
    csrr t0, sscratch
    sd t0, TF_X(2)(sp)
    sd zero, TF_X(0)(sp)
    csrr t0, sepc
    sd t0, TF_SEPC(sp)
    csrr t0, sstatus
    sd t0, TF_SSTATUS(sp)
    csrr t0, scause
    sd t0, TF_SCAUSE(sp)
    csrr t0, stval
    sd t0, TF_STVAL(sp)
    mv a0, sp
    call rt_trap_handle
    /* sscratch = top of the trap stack again, for the next trap. */
    addi t0, sp, TF_SIZE
    csrw sscratch, t0
    bnez a0, trap_to_user_return
    ld t0, TF_SEPC(sp)
    csrw sepc, t0
    ld t0, TF_SSTATUS(sp)
    csrw sstatus, t0
    ld x1, TF_X(1)(sp)
    ld x3, TF_X(3)(sp)
    ld x4, TF_X(4)(sp)
    .irp r, 5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
    ld x\r, TF_X(\r)(sp)
    .endr
    ld sp, TF_X(2)(sp)
    sret

trap_to_user_return:
    ld a0, TF_X(10)(sp)
    j rt_user_return

/*
 * Secondary harts (smp.c): SBI hart_start enters here in S-mode with the MMU
 * off, a0 = hartid, a1 = opaque = its struct smp_hart, whose first two
 * fields are the tops of its stack and trap stack. rt_smp_main gets the
 * entry's sstatus and satp as found, and which of the two entries ran.
 */
    .globl rt_smp_entry
    .globl rt_smp_entry_alt
rt_smp_entry:
    li a2, 0
    j 1f
rt_smp_entry_alt:
    li a2, 1
1:  csrr a3, sstatus
    csrr a4, satp
    ld sp, 0(a1)
    ld t0, 8(a1)
    csrw sscratch, t0
    la t0, rt_trap_entry
    csrw stvec, t0
    li t0, SSTATUS_FS_INITIAL
    csrs sstatus, t0
    call rt_smp_main
2:  wfi
    j 2b

/*
 * uint64_t rt_user_enter(uint64_t pc, uint64_t a0, uint64_t a1, uint64_t sp,
 *                        uint64_t ra)
 * Saves the S-mode callee-saved state, clears sstatus.SPP (SPIE is left as
 * the caller set it) and srets to pc in U-mode. Returns the user's a0 when it
 * makes the exit ecall (a7 = RT_USER_EXIT), through rt_user_return.
 */
    .globl rt_user_enter
rt_user_enter:
    addi sp, sp, -128
    sd ra, 0(sp)
    .irp r, 0,1,2,3,4,5,6,7,8,9,10,11
    sd s\r, (8 + 8 * \r)(sp)
    .endr
    csrr t0, sstatus
    sd t0, 104(sp)
    la t0, rt_user_ksp
    sd sp, 0(t0)
    csrw sepc, a0
    li t0, SSTATUS_SPP
    csrc sstatus, t0
    mv sp, a3
    mv ra, a4
    mv a0, a1
    mv a1, a2
    li a2, 0
    li a3, 0
    li a4, 0
    sret

rt_user_return:
    la t0, rt_user_ksp
    ld sp, 0(t0)
    ld t0, 104(sp)
    andi t0, t0, SSTATUS_SIE
    csrs sstatus, t0
    ld ra, 0(sp)
    .irp r, 0,1,2,3,4,5,6,7,8,9,10,11
    ld s\r, (8 + 8 * \r)(sp)
    .endr
    addi sp, sp, 128
    ret

/*
 * U-mode routines. Position independent, so they also run from the alias
 * address a paging test maps them at. Called with ra = u_exit.
 */
    .section .utext, "ax"
    .globl u_exit
u_exit:
    li a7, RT_USER_EXIT
    ecall
    j u_exit

    .globl u_ret                /* returns its a0 */
u_ret:
    ret

    .globl u_load64             /* a0 = *(u64 *)a0 */
u_load64:
    ld a0, 0(a0)
    ret

    .globl u_store64            /* *(u64 *)a0 = a1 */
u_store64:
    sd a1, 0(a0)
    ret

    .globl u_call               /* calls a0; fetch faults resume after it */
u_call:
    addi sp, sp, -16
    sd ra, 0(sp)
    jalr ra, 0(a0)
    ld ra, 0(sp)
    addi sp, sp, 16
    ret

    .globl u_ecall              /* ecall with a7 = a0 */
u_ecall:
    mv a7, a0
    li a0, 0x77
    .globl u_ecall_at
u_ecall_at:
    ecall
    ret

    .globl u_ebreak
u_ebreak:
    .option push
    .option norvc
    ebreak
    .option pop
    ret

    .globl u_illegal
u_illegal:
    .word 0xfe000033
    ret

    .globl u_sret
u_sret:
    sret
    ret

    .globl u_read_sstatus
u_read_sstatus:
    csrr a0, sstatus
    ret

    .globl u_sfence
u_sfence:
    sfence.vma
    ret

    .globl u_rdcycle
u_rdcycle:
    rdcycle a0
    ret

    .globl u_rdtime
u_rdtime:
    rdtime a0
    ret

    .globl u_rdinstret
u_rdinstret:
    rdinstret a0
    ret

    .globl u_spin               /* spin a0 iterations, return a1 */
u_spin:
    beqz a0, 1f
    addi a0, a0, -1
    j u_spin
1:  mv a0, a1
    ret

    .globl u_wait_flag          /* spin until *(u32 *)a0 != 0 or a1 runs out */
u_wait_flag:
    lw t0, 0(a0)
    bnez t0, 1f
    addi a1, a1, -1
    bnez a1, u_wait_flag
1:  mv a0, t0
    ret

    .bss
    .balign 16
    .globl rt_user_ksp
rt_user_ksp:
    .dword 0
    .balign 16
    .space 16384
    .globl rt_stack_top
rt_stack_top:
    .space 8192
    .globl rt_trap_stack_top
rt_trap_stack_top:
    .space 16
    .space 8192
    .globl rt_user_stack_top
rt_user_stack_top:
    .space 16
