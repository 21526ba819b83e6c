/* SPDX-License-Identifier: MIT */
/*
 * clock: the platform timebase. `time` counts at 10 MHz from
 * CLOCK_MONOTONIC since the VM started (DESIGN.md "Time"), so guest time
 * never jumps backwards and an idle guest's deadlines map to host sleeps.
 * Thread-safe (read-only after init).
 */
#ifndef RV_MACHINE_CLOCK_H
#define RV_MACHINE_CLOCK_H

#include <stdint.h>

#define CLOCK_FREQ_HZ 10000000ull

struct vclock {
    uint64_t start_ns; /* CLOCK_MONOTONIC at time 0 */
};

void vclock_init(struct vclock *c);

/* Host CLOCK_MONOTONIC in nanoseconds. */
uint64_t host_monotonic_ns(void);

/* Guest `time` now (the hart's read_time callback; opaque is the vclock). */
uint64_t vclock_read(void *opaque);

/* Host CLOCK_MONOTONIC nanoseconds at which guest time reaches `ticks`. */
uint64_t vclock_ticks_to_host_ns(const struct vclock *c, uint64_t ticks);

#endif
