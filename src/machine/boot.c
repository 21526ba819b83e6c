/* SPDX-License-Identifier: MIT */
/*
 * boot: Image and initrd loader. The header is 64 bytes: code0, code1,
 * text_offset (u64 at 0x08), image_size (u64 at 0x10, includes bss), flags,
 * version, reserved, magic "RISCV\0\0\0" at 0x30 (deprecated) and magic2
 * "RSC\x05" at 0x38. Kernels built with the EFI stub are also PE files
 * ("MZ" at 0); their section table tells how long the file must be, which
 * catches a truncated download that still has a valid header.
 */
#include "machine/boot.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/alloc.h"

#include <stdlib.h>

#define IMAGE_HDR_SIZE 64
#define IMAGE_MAGIC2 0x05435352u /* "RSC\x05" little-endian */

static uint64_t le64(const uint8_t *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
    return v;
}

static uint32_t le32(const uint8_t *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}

/* Read a whole file into a new buffer. */
static int slurp(const char *path, const char *what, uint8_t **out, uint64_t *len, struct err *e)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        int err = errno;
        err_set(e, "%s: cannot open %s: %s", path, what, strerror(err));
        return -err;
    }
    struct stat st;
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        err_set(e, "%s: %s is not a regular file", path, what);
        close(fd);
        return -EINVAL;
    }
    uint8_t *buf = xmalloc((size_t)st.st_size + 1);
    uint64_t got = 0;
    while (got < (uint64_t)st.st_size) {
        ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);
        if (n <= 0) {
            int err = n < 0 ? errno : EIO;
            err_set(e, "%s: cannot read %s: %s", path, what, strerror(err));
            free(buf);
            close(fd);
            return -err;
        }
        got += (uint64_t)n;
    }
    close(fd);
    *out = buf;
    *len = got;
    return 0;
}

/* If the Image is also a PE file, check that every section's raw data lies
 * inside the file. 0 or -EINVAL. */
static int check_pe_length(const uint8_t *b, uint64_t len)
{
    if (len < 0x40 || b[0] != 'M' || b[1] != 'Z')
        return 0;
    uint64_t pe = le32(b + 0x3c);
    if (pe + 24 > len || memcmp(b + pe, "PE\0\0", 4) != 0)
        return 0;
    unsigned nsec = (unsigned)(b[pe + 6] | (b[pe + 7] << 8));
    unsigned optsz = (unsigned)(b[pe + 20] | (b[pe + 21] << 8));
    uint64_t sec = pe + 24 + optsz;
    for (unsigned i = 0; i < nsec; i++, sec += 40) {
        if (sec + 40 > len)
            return -EINVAL;
        uint64_t rawsz = le32(b + sec + 16), rawptr = le32(b + sec + 20);
        if (rawptr + rawsz > len)
            return -EINVAL;
    }
    return 0;
}

int boot_load_kernel(struct ram *ram, const char *path, uint64_t *entry, uint64_t *end,
                     struct err *e)
{
    uint8_t *b;
    uint64_t len;
    int r = slurp(path, "kernel", &b, &len, e);
    if (r < 0)
        return r;
    r = -EINVAL;
    if (len < IMAGE_HDR_SIZE) {
        err_set(e, "%s: kernel is truncated (%llu bytes, shorter than the 64-byte Image header)",
                path, (unsigned long long)len);
        goto out;
    }
    if (le32(b + 0x38) != IMAGE_MAGIC2) {
        err_set(e, "%s: not a RISC-V Linux Image (no \"RSC\\x05\" magic at offset 0x38)", path);
        goto out;
    }
    if (check_pe_length(b, len) < 0) {
        err_set(e, "%s: kernel is truncated (its PE section table extends past the %llu-byte file)",
                path, (unsigned long long)len);
        goto out;
    }
    uint64_t text_offset = le64(b + 0x08), image_size = le64(b + 0x10);
    if (image_size < len)
        image_size = len;
    /* boot.rst: the kernel must sit 2 MiB aligned (rv64); text_offset says where */
    if (text_offset & 0xfff || text_offset >= ram->size ||
        image_size > ram->size - text_offset) {
        err_set(e, "%s: kernel needs %llu MiB at offset 0x%llx, more than the %llu MiB of RAM",
                path, (unsigned long long)(image_size >> 20), (unsigned long long)text_offset,
                (unsigned long long)(ram->size >> 20));
        goto out;
    }
    if (ram_write(ram, ram->base + text_offset, b, len) < 0) {
        err_set(e, "%s: kernel does not fit in RAM", path);
        goto out;
    }
    *entry = ram->base + text_offset;
    *end = *entry + image_size;
    r = 0;
out:
    free(b);
    return r;
}

int boot_load_initrd(struct ram *ram, const char *path, uint64_t floor, uint64_t top,
                     uint64_t *start, uint64_t *end, struct err *e)
{
    uint8_t *b;
    uint64_t len;
    int r = slurp(path, "initrd", &b, &len, e);
    if (r < 0)
        return r;
    uint64_t s = (top - len) & ~0xfffull;
    if (len > top - floor || s < floor) {
        err_set(e, "%s: initrd (%llu MiB) does not fit in RAM after the kernel", path,
                (unsigned long long)(len >> 20));
        free(b);
        return -ENOSPC;
    }
    r = ram_write(ram, s, b, len);
    free(b);
    if (r < 0) {
        err_set(e, "%s: initrd does not fit in RAM", path);
        return r;
    }
    *start = s;
    *end = s + len;
    return 0;
}
