/* SPDX-License-Identifier: MIT */
/*
 * fuzz_util: what the libFuzzer targets share: the entry point's
 * prototype and the check that an error message stays one line of
 * printable text, whatever input it quotes.
 */
#ifndef RV_FUZZ_UTIL_H
#define RV_FUZZ_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static inline bool one_line(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            return false;
    return true;
}

#endif
