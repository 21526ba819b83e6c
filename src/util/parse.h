/* SPDX-License-Identifier: MIT */
/*
 * parse: strict parsers for user input (sizes, integers). They reject
 * trailing junk and overflow instead of guessing.
 */
#ifndef RV_UTIL_PARSE_H
#define RV_UTIL_PARSE_H

#include <stdint.h>

/* "512M", "2G", "65536K", "1T"; a bare number means MiB (as QEMU's -m).
 * 0 or -EINVAL. */
int parse_size(const char *s, uint64_t *out) __attribute__((warn_unused_result));

/* Decimal integer in [min, max]. 0 or -EINVAL. */
int parse_int(const char *s, long min, long max, long *out) __attribute__((warn_unused_result));

#endif
