/* SPDX-License-Identifier: MIT */
/*
 * rtc: goldfish RTC registers (Android emulator "goldfish" spec):
 * 0x00 TIME_LOW (read latches TIME_HIGH), 0x04 TIME_HIGH, 0x08 ALARM_LOW,
 * 0x0c ALARM_HIGH, 0x10 IRQ_ENABLED, 0x14 CLEAR_ALARM, 0x18 ALARM_STATUS,
 * 0x1c CLEAR_INTERRUPT. Writing TIME_LOW after TIME_HIGH sets the clock.
 */
#include "machine/rtc.h"

#include <time.h>

static int64_t host_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static uint64_t rtc_read(void *opaque, uint64_t off, unsigned size)
{
    struct rtc *r = opaque;
    uint64_t v = 0;
    pthread_mutex_lock(&r->lock);
    switch (off) {
    case 0x00: {
        uint64_t now = (uint64_t)(host_ns() + r->offset_ns);
        r->time_high = (uint32_t)(now >> 32);
        v = (uint32_t)now;
        break;
    }
    case 0x04: v = r->time_high; break;
    case 0x08: v = r->alarm_low; break;
    case 0x0c: v = r->alarm_high; break;
    case 0x10: v = r->irq_enabled; break;
    }
    pthread_mutex_unlock(&r->lock);
    return v;
}

static void rtc_write(void *opaque, uint64_t off, uint64_t val, unsigned size)
{
    struct rtc *r = opaque;
    pthread_mutex_lock(&r->lock);
    switch (off) {
    case 0x00: {
        uint64_t t = ((uint64_t)r->time_high << 32) | (uint32_t)val;
        r->offset_ns = (int64_t)t - host_ns();
        break;
    }
    case 0x04: r->time_high = (uint32_t)val; break;
    case 0x08: r->alarm_low = (uint32_t)val; break;
    case 0x0c: r->alarm_high = (uint32_t)val; break;
    case 0x10: r->irq_enabled = (uint32_t)val & 1; break;
    }
    pthread_mutex_unlock(&r->lock);
}

static const struct mmio_ops rtc_ops = {.read = rtc_read, .write = rtc_write};

int rtc_init(struct rtc *r, struct physmap *pm)
{
    pthread_mutex_init(&r->lock, NULL);
    r->offset_ns = 0;
    return physmap_add_mmio(pm, "rtc", RTC_BASE, RTC_SIZE, &rtc_ops, r);
}
