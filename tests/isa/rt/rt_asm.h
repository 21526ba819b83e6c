/* SPDX-License-Identifier: MIT */
/*
 * rt_asm.h: constants shared by the assembly and C parts of the ISA test
 * runtime (no C declarations, so head.S and generated .S files include it).
 * CSR bit names follow the privileged spec (v1.12).
 */
#ifndef ISA_RT_ASM_H
#define ISA_RT_ASM_H

/* struct trap_frame layout (rt.h) */
#define TF_X(n) (8 * (n))
#define TF_SEPC 256
#define TF_SSTATUS 264
#define TF_SCAUSE 272
#define TF_STVAL 280
#define TF_VEC 288
#define TF_SIZE 304

/* a7 of the ecall that ends a U-mode run (ASCII "USER") */
#define RT_USER_EXIT 0x55534552

#define SSTATUS_SIE 0x2
#define SSTATUS_SPIE 0x20
#define SSTATUS_SPP 0x100
#define SSTATUS_FS 0x6000
#define SSTATUS_FS_INITIAL 0x2000
#define SSTATUS_FS_CLEAN 0x4000
#define SSTATUS_FS_DIRTY 0x6000
#define SSTATUS_SUM 0x40000
#define SSTATUS_MXR 0x80000

#endif
