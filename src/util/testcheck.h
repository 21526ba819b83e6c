/* SPDX-License-Identifier: MIT */
/*
 * testcheck: the check macros shared by the unit tests of util/, net/ and
 * virtio/. A failed CHECK prints file:line and the expression and counts;
 * RUN prints one line per test function. The counter is a weak symbol so
 * that a test program and the helper files linked into it share one count
 * without any of them having to define it. Single-threaded tests only.
 */
#ifndef RV_UTIL_TESTCHECK_H
#define RV_UTIL_TESTCHECK_H

#include <stdio.h>

__attribute__((weak)) int check_failures;

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);               \
            check_failures++;                                                                      \
        }                                                                                          \
    } while (0)

#define CHECK_EQ(got, want)                                                                        \
    do {                                                                                           \
        long long g_ = (long long)(got), w_ = (long long)(want);                                   \
        if (g_ != w_) {                                                                            \
            fprintf(stderr, "%s:%d: %s = %lld, want %lld\n", __FILE__, __LINE__, #got, g_, w_);    \
            check_failures++;                                                                      \
        }                                                                                          \
    } while (0)

#define RUN(fn)                                                                                    \
    do {                                                                                           \
        int before_ = check_failures;                                                              \
        fn();                                                                                      \
        fprintf(stderr, "%s %s\n", check_failures == before_ ? "ok  " : "FAIL", #fn);              \
    } while (0)

#endif
