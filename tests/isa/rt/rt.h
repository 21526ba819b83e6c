/* SPDX-License-Identifier: MIT */
/*
 * rt.h: the runtime of the bare ISA test programs (see README.md).
 *
 * A test is a C file with `int main(void)` that groups checks with
 * t_begin()/t_end() and returns rt_result(). rt_main (rt.c) prints a
 * "ISA-TEST <name>" marker first and "PASS" or "FAIL <n>" last, then powers
 * off through SBI SRST (reason "system failure" when something failed).
 *
 * Everything runs on the boot hart in S-mode (U-mode through rt_user_call);
 * there is no concurrency and no reentrancy except the trap handler. The
 * SMP tests start other harts through smp.h; only the boot hart may use the
 * functions here, except sbi_call, the csr_* macros and rdtime.
 */
#ifndef ISA_RT_H
#define ISA_RT_H

#include <stdbool.h>
#include <stdint.h>

#include "rt_asm.h"

/* ---- CSR access ---- */
#define STR_(x) #x
#define STR(x) STR_(x)
#define csr_read(csr)                                                                              \
    ({                                                                                             \
        uint64_t v_;                                                                               \
        asm volatile("csrr %0, " STR(csr) : "=r"(v_)::"memory");                                   \
        v_;                                                                                        \
    })
#define csr_write(csr, val) asm volatile("csrw " STR(csr) ", %0" ::"r"((uint64_t)(val)) : "memory")
#define csr_set(csr, val) asm volatile("csrs " STR(csr) ", %0" ::"r"((uint64_t)(val)) : "memory")
#define csr_clear(csr, val) asm volatile("csrc " STR(csr) ", %0" ::"r"((uint64_t)(val)) : "memory")

#define CSR_STIMECMP 0x14d
#define SCAUSE_INTR (1ull << 63)
#define IRQ_S_SOFT 1
#define IRQ_S_TIMER 5
#define IRQ_S_EXT 9
#define SIP_SSIP (1u << IRQ_S_SOFT)
#define SIP_STIP (1u << IRQ_S_TIMER)
#define SIE_SSIE SIP_SSIP
#define SIE_STIE SIP_STIP
#define SSTATUS_SD (1ull << 63)

enum {
    EXC_INSN_MISALIGNED = 0,
    EXC_INSN_ACCESS = 1,
    EXC_ILLEGAL = 2,
    EXC_BREAKPOINT = 3,
    EXC_LOAD_MISALIGNED = 4,
    EXC_LOAD_ACCESS = 5,
    EXC_STORE_MISALIGNED = 6,
    EXC_STORE_ACCESS = 7,
    EXC_ECALL_U = 8,
    EXC_ECALL_S = 9,
    EXC_INSN_PAGE = 12,
    EXC_LOAD_PAGE = 13,
    EXC_STORE_PAGE = 15,
};

/* ---- console ---- */
void rt_putc(char c);
void rt_puts(const char *s);
/* Minimal printf: %s %c %d %u %x with l/ll, width and 0-padding; %p. */
void rt_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* ---- SBI ---- */
struct sbiret {
    long error;
    long value;
};
struct sbiret sbi_call(long eid, long fid, long a0, long a1, long a2);
#define SBI_EXT_TIME 0x54494D45
#define SBI_EXT_SRST 0x53525354
void sbi_set_timer(uint64_t when);
void rt_shutdown(bool failure) __attribute__((noreturn));

/* ---- checks ---- */
void t_begin(const char *group);
void t_end(void);
int rt_result(void); /* number of failed checks so far */
bool rt_check(int line, const char *expr, uint64_t got, uint64_t want);
void rt_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* got must equal want (both as 64-bit values) */
#define EQ(got, want) rt_check(__LINE__, #got, (uint64_t)(got), (uint64_t)(want))
#define TRUE(cond) rt_check(__LINE__, #cond, !!(cond), 1)
/* Record a failure with a message. */
void rt_fail(int line, const char *msg);
#define FAIL(msg) rt_fail(__LINE__, msg)

/* Boot arguments and platform. */
extern uint64_t rt_hartid;
extern uint64_t rt_dtb;
/* True when the device tree says QEMU's virt board (for the few checks where
 * QEMU 7.2 is known to differ from the spec or from rvisor by design). */
bool rt_on_qemu(void);

/* ---- traps ---- */
struct trap_frame {
    uint64_t x[32];
    uint64_t sepc, sstatus, scause, stval;
    int64_t vec; /* vector-table slot, or -1 for the direct-mode entry */
    uint64_t pad;
};

struct trap_record {
    int count; /* expected traps since trap_expect() */
    uint64_t cause, tval, epc, status;
    int64_t vec;
};
extern volatile struct trap_record trap_last;

/*
 * Arm the handler: the next synchronous exception is expected. It is
 * recorded in trap_last and the program resumes after the faulting
 * instruction (its length read from memory, 2 or 4 bytes) or, for
 * instruction-fetch faults (causes 0, 1, 12), at ra: call the bad address as
 * a function. An exception while not armed is a test failure that ends the
 * program.
 */
void trap_expect(void);
/* Check that exactly one trap with this cause (and, unless tval is
 * TVAL_ANY, this stval) was taken since trap_expect(); disarms. */
#define TVAL_ANY 0xdeadbeefdeadbeefull
bool trap_check(int line, uint64_t cause, uint64_t tval);
#define TRAPPED(cause, tval) trap_check(__LINE__, cause, tval)
/* Disarm without checking (after looking at trap_last directly). */
void trap_disarm(void);
/* Check that no trap was taken since trap_expect(); disarms. */
bool trap_none(int line);
#define NO_TRAP() trap_none(__LINE__)

/* Interrupts go to this hook (vectored or not); NULL makes them fatal. */
typedef void (*irq_hook_fn)(struct trap_frame *f);
void trap_set_irq_hook(irq_hook_fn fn);
extern void rt_trap_entry(void);
/* smp.c: handles a trap taken on a secondary hart; -1 for the boot hart's. */
int rt_smp_trap(struct trap_frame *f);
extern char rt_trap_vectors[];

/* ---- U-mode ---- */
struct user_ctx {
    uint64_t pc, a0, a1, sp, ra;
};
/* Run from ctx->pc in U-mode until the code ecalls with a7 = RT_USER_EXIT
 * (returning to ra = u_exit does that); returns the user's a0. sstatus.SPIE
 * is left as the caller set it. The sstatus seen by the exit trap is saved
 * in rt_user_exit_sstatus. */
uint64_t rt_user_run(const struct user_ctx *ctx);
/* rt_user_run with the default user stack and ra = u_exit (bare mode). */
uint64_t rt_user_call(void *fn, uint64_t a0, uint64_t a1);
extern uint64_t rt_user_exit_sstatus;
extern char rt_user_stack_top[];
extern char _utext_start[], _utext_end[];
extern char rt_fixed_area[], rt_fixed_end[];
extern char u_exit[], u_ret[], u_load64[], u_store64[], u_call[], u_ecall[], u_ecall_at[],
    u_ebreak[], u_illegal[], u_sret[], u_read_sstatus[], u_sfence[], u_rdcycle[], u_rdtime[],
    u_rdinstret[], u_spin[], u_wait_flag[];

/* ---- misc ---- */
static inline uint64_t rdtime(void)
{
    uint64_t v;
    asm volatile("rdtime %0" : "=r"(v));
    return v;
}
static inline uint64_t rdcycle(void)
{
    uint64_t v;
    asm volatile("rdcycle %0" : "=r"(v));
    return v;
}
static inline uint64_t rdinstret(void)
{
    uint64_t v;
    asm volatile("rdinstret %0" : "=r"(v));
    return v;
}
void *memset(void *d, int c, unsigned long n);
void *memcpy(void *d, const void *s, unsigned long n);
int memcmp(const void *a, const void *b, unsigned long n);

int main(void);

/* The name printed in the ISA-TEST marker. run.py compiles the runtime once
 * and each test's own source with -DRT_TEST_NAME="name", so the definition
 * lands in exactly one object. */
#ifdef RT_TEST_NAME
const char rt_test_name[] = RT_TEST_NAME;
#else
extern const char rt_test_name[];
#endif

#endif
