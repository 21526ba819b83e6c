/* SPDX-License-Identifier: MIT */
/*
 * ram: guest RAM mapping and range-checked copies. See ram.h.
 */
#include "mem/ram.h"

#include <errno.h>
#include <string.h>
#include <stdlib.h>
#include <sys/mman.h>

#include "util/alloc.h"

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
    r->code = xzalloc(r->npages);
    r->code_gen = xcalloc(r->npages, sizeof(uint32_t));
    pthread_mutex_init(&r->code_lock, NULL);
    return 0;
}

void ram_destroy(struct ram *r)
{
    if (r->host)
        munmap(r->host, r->size);
    r->host = NULL;
    free(r->code);
    free(r->code_gen);
    r->code = NULL;
    r->code_gen = NULL;
}

void ram_code_written(struct ram *r, uint64_t pfn)
{
    pthread_mutex_lock(&r->code_lock);
    if (r->code[pfn] == CODE_CLEAN) {
        r->code[pfn] = CODE_WRITTEN;
        if (r->code_queued < RAM_CODE_QUEUE)
            r->code_queue[r->code_queued++] = (uint32_t)pfn;
        else
            r->code_overflow = true;
    }
    pthread_mutex_unlock(&r->code_lock);
}

static void code_invalidate(struct ram *r, uint64_t pfn)
{
    if (r->code[pfn] != CODE_WRITTEN)
        return;
    __atomic_fetch_add(&r->code_gen[pfn], 1, __ATOMIC_RELEASE);
    r->code[pfn] = CODE_NONE;
}

void ram_code_sync(struct ram *r)
{
    pthread_mutex_lock(&r->code_lock);
    if (r->code_overflow) {
        for (uint64_t p = 0; p < r->npages; p++)
            code_invalidate(r, p);
        r->code_overflow = false;
    } else {
        for (unsigned i = 0; i < r->code_queued; i++)
            code_invalidate(r, r->code_queue[i]);
    }
    r->code_queued = 0;
    pthread_mutex_unlock(&r->code_lock);
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
