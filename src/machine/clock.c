/* SPDX-License-Identifier: MIT */
/*
 * clock: 10 MHz guest timebase derived from CLOCK_MONOTONIC. See clock.h.
 */
#include "machine/clock.h"

#include <time.h>

uint64_t host_monotonic_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

void vclock_init(struct vclock *c)
{
    c->start_ns = host_monotonic_ns();
}

uint64_t vclock_read(void *opaque)
{
    const struct vclock *c = opaque;
    return (host_monotonic_ns() - c->start_ns) / (1000000000ull / CLOCK_FREQ_HZ);
}

uint64_t vclock_ticks_to_host_ns(const struct vclock *c, uint64_t ticks)
{
    uint64_t per = 1000000000ull / CLOCK_FREQ_HZ;
    if (ticks > (UINT64_MAX - c->start_ns) / per)
        return UINT64_MAX;
    return c->start_ns + ticks * per;
}
