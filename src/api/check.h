/* SPDX-License-Identifier: MIT */
/*
 * check: the check macros of the api/, daemon/ and cli/ unit tests: those
 * of util/testcheck.h plus string checks. A failed check prints file:line
 * and the expression and counts; the test program ends with
 * `return check_report();` (status 1 if anything failed).
 * Single-threaded test programs only.
 */
#ifndef RV_API_CHECK_H
#define RV_API_CHECK_H

#include <stdio.h>
#include <string.h>

#include "util/testcheck.h" /* CHECK, CHECK_EQ, RUN */

#define CHECK_STR(a, b)                                                                            \
    do {                                                                                           \
        const char *a_ = (a), *b_ = (b);                                                           \
        if (!a_ || !b_ || strcmp(a_, b_)) {                                                        \
            fprintf(stderr, "%s:%d: \"%s\" != \"%s\"\n", __FILE__, __LINE__, a_ ? a_ : "(null)",   \
                    b_ ? b_ : "(null)");                                                           \
            check_failures++;                                                                      \
        }                                                                                          \
    } while (0)

#define CHECK_CONTAINS(hay, needle)                                                                \
    do {                                                                                           \
        const char *h_ = (hay), *n_ = (needle);                                                    \
        if (!h_ || !strstr(h_, n_)) {                                                              \
            fprintf(stderr, "%s:%d: \"%s\" does not contain \"%s\"\n", __FILE__, __LINE__,         \
                    h_ ? h_ : "(null)", n_);                                                       \
            check_failures++;                                                                      \
        }                                                                                          \
    } while (0)

static inline int check_report(void)
{
    if (check_failures)
        fprintf(stderr, "%d check(s) failed\n", check_failures);
    return check_failures ? 1 : 0;
}

#endif
