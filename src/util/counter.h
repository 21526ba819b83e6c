/* SPDX-License-Identifier: MIT */
/*
 * counter: statistics counters that one thread writes and others read, as
 * device counters are (the I/O thread counts, the control socket or a
 * test reads). Relaxed atomics: a reader sees each counter whole (never a
 * torn 64-bit value) and every counter eventually, with no ordering between
 * counters and no lock. counter_add is a plain load and store, not a locked
 * read-modify-write, so it is only correct with one writer at a time (a
 * device's counters are written under its io_lock, or on the one I/O
 * thread); readers may be any number of threads.
 */
#ifndef RV_UTIL_COUNTER_H
#define RV_UTIL_COUNTER_H

#include <stdatomic.h>
#include <stdint.h>

typedef _Atomic uint64_t counter_t;

static inline void counter_add(counter_t *c, uint64_t n)
{
    atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + n,
                          memory_order_relaxed);
}

static inline void counter_inc(counter_t *c)
{
    counter_add(c, 1);
}

static inline uint64_t counter_get(const counter_t *c)
{
    return atomic_load_explicit((counter_t *)c, memory_order_relaxed);
}

#endif
