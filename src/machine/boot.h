/* SPDX-License-Identifier: MIT */
/*
 * boot: loading a RISC-V Linux `Image` (Linux: Documentation/arch/riscv/boot-image-
 * header.rst) and an initrd into guest RAM, and the boot register contract
 * (Documentation/arch/riscv/boot.rst): S-mode, MMU off, a0 = hartid,
 * a1 = DTB address.
 */
#ifndef RV_MACHINE_BOOT_H
#define RV_MACHINE_BOOT_H

#include <stdint.h>

#include "mem/ram.h"
#include "util/err.h"

/* Check the header of `path` and copy it into RAM at RAM base + text_offset.
 * *entry is the load address; *end is the first byte past image_size.
 * Errors name the file: missing, unreadable, truncated, not an Image, too big. */
int boot_load_kernel(struct ram *ram, const char *path, uint64_t *entry, uint64_t *end,
                     struct err *e) __attribute__((warn_unused_result));

/* Copy `path` into RAM ending at or below `top`, page aligned, above `floor`.
 * Returns the range in *start and *end. */
int boot_load_initrd(struct ram *ram, const char *path, uint64_t floor, uint64_t top,
                     uint64_t *start, uint64_t *end, struct err *e)
    __attribute__((warn_unused_result));

#endif
