/* SPDX-License-Identifier: MIT */
/*
 * log: levelled, tagged logging to stderr, plus a rate-limited channel for
 * guest misbehaviour (a hostile guest must not be able to flood the host log).
 *
 * Thread-safe: each message is written with one write(2).
 * Runtime trace flags (RVISOR_LOG=debug or --log debug) select the level.
 */
#ifndef RV_UTIL_LOG_H
#define RV_UTIL_LOG_H

enum log_level { LOG_ERROR = 0, LOG_WARN = 1, LOG_INFO = 2, LOG_DEBUG = 3 };

extern enum log_level log_max_level;

/* Set the level from a name ("error", "warn", "info", "debug"); 0 or -EINVAL. */
int log_set_level(const char *name);

void log_msg(enum log_level lvl, const char *tag, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Guest misbehaviour: logged at most a few times per second, never fatal. */
void log_guest_error(const char *tag, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_error(tag, ...) log_msg(LOG_ERROR, tag, __VA_ARGS__)
#define log_warn(tag, ...) log_msg(LOG_WARN, tag, __VA_ARGS__)
#define log_info(tag, ...)                                                                         \
    do {                                                                                           \
        if (log_max_level >= LOG_INFO)                                                             \
            log_msg(LOG_INFO, tag, __VA_ARGS__);                                                   \
    } while (0)
#define log_debug(tag, ...)                                                                        \
    do {                                                                                           \
        if (log_max_level >= LOG_DEBUG)                                                            \
            log_msg(LOG_DEBUG, tag, __VA_ARGS__);                                                  \
    } while (0)

#endif
