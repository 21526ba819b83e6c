/* SPDX-License-Identifier: MIT */
/*
 * ram: guest RAM mapping and range-checked copies. See ram.h.
 */
#include "mem/ram.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>

int ram_init(struct ram *r, uint64_t base, uint64_t size, struct err *e)
{
    memset(r, 0, sizeof(*r));
    if (size == 0 || (size & (RAM_PAGE_SIZE - 1))) {
        err_set(e, "memory size %llu is not a positive multiple of 4 KiB",
                (unsigned long long)size);
        return -EINVAL;
    }
    void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
                   -1, 0);
    if (p == MAP_FAILED) {
        int err = errno;
        err_set(e, "cannot map %llu MiB of guest RAM: %s", (unsigned long long)(size >> 20),
                strerror(err));
        return -err;
    }
    /* Best effort: KSM may be off on this host. */
    madvise(p, size, MADV_MERGEABLE);
    r->base = base;
    r->size = size;
    r->host = p;
    r->npages = size >> RAM_PAGE_SHIFT;
    return 0;
}

void ram_destroy(struct ram *r)
{
    if (r->host)
        munmap(r->host, r->size);
    r->host = NULL;
}

int ram_read(const struct ram *r, uint64_t gpa, void *buf, uint64_t len)
{
    void *p = ram_ptr(r, gpa, len);
    if (!p)
        return -EFAULT;
    memcpy(buf, p, len);
    return 0;
}

int ram_write(struct ram *r, uint64_t gpa, const void *buf, uint64_t len)
{
    void *p = ram_ptr(r, gpa, len);
    if (!p)
        return -EFAULT;
    memcpy(p, buf, len);
    return 0;
}
