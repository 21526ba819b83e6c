/* SPDX-License-Identifier: MIT */
/*
 * err: the error buffer for user-facing failures. See err.h.
 */
#include "util/err.h"

#include <stdarg.h>
#include <stdio.h>

void err_set(struct err *e, const char *fmt, ...)
{
    if (!e || e->set)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
    va_end(ap);
    e->set = true;
}

int err_usage(const char *who, const char *help, const char *msg, const char *arg)
{
    fprintf(stderr, "%s: %s%s%s%s%s%s\n", who, msg, arg ? ": " : "", arg ? arg : "",
            help ? " (see " : "", help ? help : "", help ? " --help)" : "");
    return 2;
}

void err_clear(struct err *e)
{
    e->msg[0] = 0;
    e->set = false;
}
