/* SPDX-License-Identifier: MIT */
/*
 * log: see log.h. Messages end in "\r\n" because the console may have put
 * the terminal in raw mode, where a bare "\n" would not return the cursor.
 */
#include "util/log.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

enum log_level log_max_level = LOG_WARN;

int log_set_level(const char *name)
{
    static const char *names[] = {"error", "warn", "info", "debug"};
    for (int i = 0; i < 4; i++) {
        if (!strcmp(name, names[i])) {
            log_max_level = (enum log_level)i;
            return 0;
        }
    }
    return -EINVAL;
}

static void log_vwrite(const char *prefix, const char *tag, const char *fmt, va_list ap)
{
    char buf[1024];
    int n = snprintf(buf, sizeof(buf), "rvisor: %s%s%s", prefix, tag ? tag : "", tag ? ": " : "");
    if (n < 0)
        return;
    int m = vsnprintf(buf + n, sizeof(buf) - (size_t)n, fmt, ap);
    if (m < 0)
        return;
    size_t len = (size_t)n + (size_t)m;
    if (len > sizeof(buf) - 3)
        len = sizeof(buf) - 3;
    buf[len++] = '\r';
    buf[len++] = '\n';
    ssize_t w = write(2, buf, len);
    (void)w;
}

void log_msg(enum log_level lvl, const char *tag, const char *fmt, ...)
{
    static const char *prefix[] = {"error: ", "warning: ", "", "debug: "};
    if (lvl > log_max_level)
        return;
    va_list ap;
    va_start(ap, fmt);
    log_vwrite(prefix[lvl], tag, fmt, ap);
    va_end(ap);
}

void log_guest_error(const char *tag, const char *fmt, ...)
{
    /* At most 10 messages per second; the rest are counted and summarised. */
    static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
    static time_t window;
    static unsigned count, dropped;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    pthread_mutex_lock(&lock);
    if (ts.tv_sec != window) {
        if (dropped)
            log_msg(LOG_WARN, "guest", "%u guest errors suppressed", dropped);
        window = ts.tv_sec;
        count = 0;
        dropped = 0;
    }
    int emit = count++ < 10;
    if (!emit)
        dropped++;
    pthread_mutex_unlock(&lock);
    if (!emit || log_max_level < LOG_WARN)
        return;
    va_list ap;
    va_start(ap, fmt);
    log_vwrite("guest error: ", tag, fmt, ap);
    va_end(ap);
}
