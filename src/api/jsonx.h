/* SPDX-License-Identifier: MIT */
/*
 * jsonx: small helpers over jansson shared by the API modules: one-line
 * encoding, type names for error messages, and strict field readers that
 * say which field is wrong and why ("memory_mib: expected an integer,
 * got string").
 *
 * Threads: pure functions.
 */
#ifndef RV_API_JSONX_H
#define RV_API_JSONX_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

/* Compact encoding of `j` plus "\n"; malloc'ed. Never NULL (aborts on OOM). */
char *jsonx_line(const json_t *j);
/* Compact encoding without newline; malloc'ed. */
char *jsonx_dump(const json_t *j);

/* "object", "array", "string", "integer", "number", "boolean", "null". */
const char *jsonx_type_name(const json_t *j);

/* Parse `len` bytes of JSON text that must be an object. NULL with `e`
 * saying where the syntax error is, or that the value is not an object. */
json_t *jsonx_parse_object(const char *text, size_t len, struct err *e);

/* Field readers: look `key` up in object `o`. A missing key leaves *out
 * unchanged and returns 0 (optional fields); a present key of the wrong type
 * or out of range returns -EINVAL with `e` = "<prefix><key>: <reason>". */
int jsonx_get_str(const json_t *o, const char *prefix, const char *key, const char **out,
                  size_t maxlen, struct err *e) __attribute__((warn_unused_result));
int jsonx_get_int(const json_t *o, const char *prefix, const char *key, int64_t min, int64_t max,
                  int64_t *out, struct err *e) __attribute__((warn_unused_result));
int jsonx_get_bool(const json_t *o, const char *prefix, const char *key, bool *out, struct err *e)
    __attribute__((warn_unused_result));

/* The first key of `o` not in the NULL-terminated list `known`, or NULL. */
const char *jsonx_unknown_key(const json_t *o, const char *const *known);

#endif
