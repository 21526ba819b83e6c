/* SPDX-License-Identifier: MIT */
/*
 * rtc: goldfish RTC ("google,goldfish-rtc"): wall-clock time for the guest,
 * in nanoseconds since the Unix epoch. The guest may set the time (an offset
 * from the host clock is kept). Alarms are accepted but never fire; Linux's
 * driver works without them.
 * Threads: MMIO on vCPU threads; one mutex.
 */
#ifndef RV_MACHINE_RTC_H
#define RV_MACHINE_RTC_H

#include <pthread.h>
#include <stdint.h>

#include "mem/physmap.h"

#define RTC_BASE 0x00101000ull
#define RTC_SIZE 0x1000ull
#define RTC_IRQ 11

struct rtc {
    pthread_mutex_t lock;
    int64_t offset_ns;  /* guest time - host realtime */
    uint32_t time_high; /* latched by a TIME_LOW read */
    uint32_t alarm_low, alarm_high, irq_enabled;
};

int rtc_init(struct rtc *r, struct physmap *pm) __attribute__((warn_unused_result));

#endif
