/* SPDX-License-Identifier: MIT */
/*
 * err: one "what and where" message for a user-facing failure.
 *
 * Functions on user-facing paths (config, image open, CLI) take a
 * `struct err *` and fill it once; the boundary (main, API handler) prints
 * or returns it. Never both log and return the same error.
 */
#ifndef RV_UTIL_ERR_H
#define RV_UTIL_ERR_H

#include <stdbool.h>

#define ERR_MSG_MAX 512

struct err {
    char msg[ERR_MSG_MAX];
    bool set;
};

/* Fill `e` with a formatted message, if `e` is non-NULL and not yet set.
 * The first error wins: callers higher up may not overwrite the cause. */
void err_set(struct err *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Clear `e`. */
void err_clear(struct err *e);

/* A command-line usage error on stderr: "WHO: MSG[: ARG][ (see HELP --help)]".
 * Returns 2, the exit status for bad usage. `arg` and `help` may be NULL. */
int err_usage(const char *who, const char *help, const char *msg, const char *arg);

#endif
