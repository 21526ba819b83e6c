/* SPDX-License-Identifier: MIT */
/*
 * err: the error buffer for user-facing failures. See err.h.
 */
#include "util/err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* Messages quote user input (names, keys, paths); a control character in
 * it must not break the message over lines or into the terminal, so they
 * are escaped: "\n", "\t", "\x1b". */
void err_set(struct err *e, const char *fmt, ...)
{
    if (!e || e->set)
        return;
    char raw[ERR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(raw, sizeof(raw), fmt, ap);
    va_end(ap);
    size_t o = 0;
    for (const unsigned char *p = (const unsigned char *)raw; *p; p++) {
        char esc[5];
        if (*p >= 0x20 && *p != 0x7f) {
            esc[0] = (char)*p, esc[1] = 0;
        } else if (*p == '\n' || *p == '\t' || *p == '\r') {
            esc[0] = '\\', esc[1] = *p == '\n' ? 'n' : *p == '\t' ? 't' : 'r', esc[2] = 0;
        } else {
            snprintf(esc, sizeof(esc), "\\x%02x", *p);
        }
        size_t n = strlen(esc);
        if (o + n >= sizeof(e->msg))
            break;
        memcpy(e->msg + o, esc, n);
        o += n;
    }
    e->msg[o] = 0;
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
