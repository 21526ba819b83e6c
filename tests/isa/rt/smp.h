/* SPDX-License-Identifier: MIT */
/*
 * smp.h: more than one hart for the SMP tests (smp_*.c), through SBI HSM
 * (SBI spec v2.0 ch. 9).
 *
 * The boot hart (rt_hartid: 0 under rvisor, any hart under OpenSBI, which
 * boots whichever hart wins its lottery) starts the others with
 * smp_start(): each gets its own stack and trap stack, sets its own stvec
 * and sscratch (rt_smp_entry in head.S), runs fn(me) and then stops itself
 * with hart_stop, so it can be started again with another fn. smp_join()
 * waits for that.
 *
 * Only the boot hart prints and runs t_begin/EQ. A secondary records its
 * own failed checks with SEQ(me, got, want) and smp_join() reports them; an
 * unexpected trap on a secondary is recorded and stops that hart.
 * Waits are bounded by SMP_TIMEOUT of guest time, so a hang is a FAIL line,
 * not a runner timeout.
 */
#ifndef ISA_SMP_H
#define ISA_SMP_H

#include <stdbool.h>
#include <stdint.h>

#include "rt.h"

#define SMP_MAX 8
#define SMP_TIMEBASE 10000000ull /* rdtime ticks per second on both boards */
#define SMP_TIMEOUT (10 * SMP_TIMEBASE)

#define SBI_EXT_IPI 0x735049
#define SBI_EXT_RFENCE 0x52464E43
#define SBI_EXT_HSM 0x48534D
#define SBI_HSM_HART_START 0
#define SBI_HSM_HART_STOP 1
#define SBI_HSM_HART_GET_STATUS 2
#define SBI_HSM_STARTED 0
#define SBI_HSM_STOPPED 1
#define SBI_HSM_START_PENDING 2
#define SBI_HSM_STOP_PENDING 3
#define SBI_ERR_INVALID_PARAM (-3)
#define SBI_ERR_ALREADY_AVAILABLE (-6)

struct smp_hart;
typedef void (*smp_fn)(struct smp_hart *me);
typedef void (*smp_irq_fn)(struct smp_hart *me, struct trap_frame *f);

struct smp_hart {
    /* read by rt_smp_entry (head.S): keep these two first */
    uint64_t stack_top, trap_stack_top;
    uint64_t id;
    int index; /* position in smp_ids[]: 0 is the boot hart */
    smp_fn fn;
    void *arg;
    smp_irq_fn irq_hook; /* interrupts on this hart; NULL makes them fatal */
    /* state at entry, recorded before the runtime touches anything */
    uint64_t entry_a0, entry_a1, entry_sstatus, entry_satp, entry_alt;
    volatile uint32_t started;       /* entries through rt_smp_entry* so far */
    volatile uint32_t done;          /* fn returned, or a fatal trap */
    volatile uint32_t stop_returned; /* hart_stop came back (it must not) */
    /* an unexpected trap: recorded, then the hart stops */
    volatile uint32_t fatal;
    uint64_t fatal_cause, fatal_epc, fatal_tval;
    /* SEQ() failures */
    volatile uint32_t errors;
    int err_line;
    uint64_t err_got, err_want;
    /* expected exceptions (smp_trap_expect): recorded, execution resumes
     * after the faulting instruction */
    volatile uint32_t trap_armed, trap_count;
    uint64_t trap_cause, trap_tval, trap_epc;
};

extern struct smp_hart smp_harts[SMP_MAX];      /* indexed by hart id */
extern int smp_n;                               /* harts on this machine */
extern uint64_t smp_ids[SMP_MAX];               /* their ids, boot hart first */
extern char rt_smp_entry[], rt_smp_entry_alt[]; /* hart_start addresses (head.S) */

/* Find the harts (hart_get_status answers for ids 0..SMP_MAX-1) and check
 * that there are exactly ISA_CPUS (the runner's -DISA_CPUS, from the case's
 * "isa-cpus:" line). Call first; false (with a FAIL line) if not.
 * smp_init() then waits 50 ms before any hart is started: rvisor (as of
 * this writing) creates its vCPU threads one after the other while hart 0
 * already runs, and crashes on a hart_start that comes before the target's
 * thread exists. smp_hsm checks exactly that with smp_init_now(); the delay
 * keeps the other SMP tests about what they test. */
bool smp_init_n(int want, bool settle);
#define smp_init() smp_init_n(ISA_CPUS, true)
#define smp_init_now() smp_init_n(ISA_CPUS, false)

/* hart_start(id) at rt_smp_entry (or `entry`: rt_smp_entry_alt) with
 * opaque = &smp_harts[id]; the hart runs fn(me). Returns the SBI error. */
long smp_start(uint64_t id, smp_fn fn, void *arg);
long smp_start_at(uint64_t id, void *entry, smp_fn fn, void *arg);
/* Wait until hart id has finished fn and is STOPPED again; reports (FAIL
 * lines, counted) a timeout, a fatal trap or SEQ failures. */
bool smp_join(uint64_t id);
/* Report (FAIL lines) what hart id recorded: a fatal trap, SEQ failures
 * (then cleared). smp_join does this; the boot hart calls it for its own
 * SEQ checks after work it shared with the others. */
bool smp_report(uint64_t id);
/* smp_start / smp_join for every hart but the boot hart. */
void smp_start_others(smp_fn fn, void *arg);
bool smp_join_others(void);

/* SBI calls with up to five arguments, and the HSM status of a hart. */
struct sbiret sbi_call5(long eid, long fid, long a0, long a1, long a2, long a3, long a4);
long smp_status(uint64_t id);

/* Spin until *p >= v (acquire), or SMP_TIMEOUT; false on timeout. */
bool smp_wait_ge(volatile uint32_t *p, uint32_t v);
/* Spin for `ticks` of rdtime. */
void smp_delay(uint64_t ticks);
/* Sleep briefly: WFI with the timer 20 us ahead (STIP wakes WFI even with
 * sstatus.SIE = 0, and is not taken; call with SIE = 0), so that a hart
 * that waits for others gives its host thread's core to them instead of
 * spinning. */
void smp_nap(void);
/* All smp_n harts meet here (each calls it the same number of times);
 * false on timeout. */
bool smp_barrier(void);

/* Keep all smp_n harts in loose step through a loop, so that they really
 * overlap even when the host runs their threads on fewer cores: publish
 * that this hart has done `n` iterations, then wait (bounded; napping in
 * WFI with a short timer, so the host runs the others meanwhile) until
 * every other hart has done at least n - window. Call with sstatus.SIE = 0;
 * smp_pace_reset() before the loop, on the boot hart before starting the
 * others. */
void smp_pace(struct smp_hart *me, uint32_t n, uint32_t window);
void smp_pace_reset(void);

/* The usual pacing of a counted loop: at every 256th iteration i, report n
 * iterations done and keep within SMP_PACE_WINDOW of the other harts, so
 * that they overlap even when the host has fewer cores than the guest has
 * harts. */
#define SMP_PACE_WINDOW 2048
static inline void smp_pace_every(struct smp_hart *me, uint32_t i, uint32_t n)
{
    if ((i & 255) == 0)
        smp_pace(me, n, SMP_PACE_WINDOW);
}

/* Check on a secondary: recorded in me, reported by smp_join. */
bool smp_check(struct smp_hart *me, int line, uint64_t got, uint64_t want);
#define SEQ(me, got, want) smp_check(me, __LINE__, (uint64_t)(got), (uint64_t)(want))

/* Expect an exception on this hart (see trap_expect in rt.h). */
void smp_trap_expect(struct smp_hart *me);

/* The boot hart's own struct (index 0), for work it shares with the others. */
static inline struct smp_hart *smp_boot(void)
{
    return &smp_harts[smp_ids[0]];
}

#endif
