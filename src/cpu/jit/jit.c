/* SPDX-License-Identifier: MIT */
/*
 * jit: the translation driver: which blocks get translated (the hot ones),
 * the per-hart code buffer, and the engine switch.
 *
 * The code buffer is one RWX mapping per hart (as QEMU's default on x86
 * hosts): the shared stubs at its start, then block code, bump-allocated.
 * When it fills up, everything goes at once, together with the decoded
 * blocks (dcache_reset), so a block's code is never freed while the block
 * is reachable. Invalidation needs nothing of its own: code is entered only
 * through its valid struct block (see jit.h).
 *
 * Engine switch: cpu_set_jit() (rvisor run --jit) beats RVISOR_JIT=0|1, and
 * the JIT is on by default on x86-64 hosts. RVISOR_JIT_HOT=N translates a
 * block on its Nth execution (1 = always; tests use it for coverage).
 * RVISOR_JIT_PERFMAP=1 names each block's code by its guest pc and privilege
 * in /tmp/perf-PID.map, so that `perf report` attributes host time to guest
 * code.
 * Runs on the hart's vCPU thread, except jit_create (board setup).
 */
#include "cpu/jit/jit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "cpu/cpu.h"
#include "cpu/jit/emit_x86_64.h"
#include "util/alloc.h"
#include "util/log.h"

#define JIT_BUF_SIZE (32ull << 20)
#define JIT_HOT_DEFAULT 8
/* Room needed to start a block: far more than 64 instructions can take. */
#define JIT_BLOCK_ROOM (64u << 10)

static int jit_mode = -1; /* -1: not set by cpu_set_jit */

void cpu_set_jit(bool on)
{
    jit_mode = on;
}

static bool jit_wanted(void)
{
    if (jit_mode >= 0)
        return jit_mode;
    const char *env = getenv("RVISOR_JIT");
    if (env && (!strcmp(env, "0") || !strcmp(env, "off")))
        return false;
    return true;
}

static uint32_t jit_hot_threshold(void)
{
    const char *env = getenv("RVISOR_JIT_HOT");
    if (env) {
        long n = strtol(env, NULL, 10);
        if (n >= 1 && n < 1000000)
            return (uint32_t)n;
    }
    return JIT_HOT_DEFAULT;
}

struct jit *jit_create(void)
{
#if defined(__x86_64__)
    if (!jit_wanted())
        return NULL;
    void *p = mmap(NULL, JIT_BUF_SIZE, PROT_READ | PROT_WRITE | PROT_EXEC,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED) {
        log_warn("jit", "cannot map the code buffer (%m): interpreting only");
        return NULL;
    }
    struct jit *j = xzalloc(sizeof(*j));
    j->buf = p;
    j->size = JIT_BUF_SIZE;
    j->hot = jit_hot_threshold();
    __builtin_cpu_init();
    j->fma = __builtin_cpu_supports("fma");
    struct emit e;
    emit_init(&e, j->buf, j->size);
    jit_gen_stubs(&e, j);
    j->code0 = j->buf + ((e.p - j->buf + 63) & ~(uintptr_t)63);
    j->free = j->code0;
    if (getenv("RVISOR_JIT_PERFMAP")) {
        char path[64];
        snprintf(path, sizeof(path), "/tmp/perf-%d.map", (int)getpid());
        j->perfmap = fopen(path, "a");
        if (j->perfmap)
            fprintf(j->perfmap, "%lx %lx jit_stubs\n", (unsigned long)(uintptr_t)j->buf,
                    (unsigned long)(j->code0 - j->buf));
    }
    return j;
#else
    return NULL; /* no code generator for this host */
#endif
}

void jit_destroy(struct jit *j)
{
    if (!j)
        return;
    if (getenv("RVISOR_JIT_STATS"))
        fprintf(stderr,
                "jit: %llu blocks (%llu insns) in %llu KiB, %llu untranslatable, %llu flushes\r\n",
                (unsigned long long)j->nblocks, (unsigned long long)j->ninsns,
                (unsigned long long)(j->nbytes >> 10), (unsigned long long)j->nfail,
                (unsigned long long)j->nflush);
    if (j->perfmap)
        fclose(j->perfmap);
    munmap(j->buf, j->size);
    free(j);
}

void jit_flush(struct jit *j)
{
    j->free = j->code0;
    j->nflush++;
}

void jit_link(struct hart *h, uint64_t pc)
{
    uint8_t *site = h->jit_patch;
    const struct block *src = h->jit_blk;
    h->jit_patch = NULL;
    const struct block *b = jc_lookup(h, pc);
    /* Same host page (as translate.c only chains exits within the guest
     * page) and same generation: then the two blocks live and die together. */
    if (!b || !b->jit || (((uintptr_t)b->key ^ (uintptr_t)src->key) >> RAM_PAGE_SHIFT) ||
        b->gen != src->gen || b->pgen != src->pgen)
        return;
    /* A forward jump may skip the target's block-boundary checks: a cycle of
     * chained blocks needs a backward jump (or a lookup), which does them,
     * so pending interrupts and requests wait at most a few blocks. */
    const uint8_t *to = b->jit;
    if ((uintptr_t)b->key > (uintptr_t)src->key)
        to += b->jit_body;
    emit_patch_rel32(site, to);
}

bool jit_translate(struct hart *h, struct block *b, uint64_t pc)
{
    struct jit *j = h->dcache->jit;
    if (b == h->dcache->scratch) { /* one straddling insn, decoded per use */
        b->hits = JIT_NEVER;
        return false;
    }
    if ((uint64_t)(j->buf + j->size - j->free) < JIT_BLOCK_ROOM) {
        dcache_reset(h);
        return false;
    }
    struct emit e;
    emit_init(&e, j->free, JIT_BLOCK_ROOM);
    uint32_t body;
    unsigned n = jit_gen_block(&e, j, b, &body);
    if (n == 0 || e.full) { /* e.full cannot happen within JIT_BLOCK_ROOM */
        b->hits = JIT_NEVER;
        j->nfail++;
        return false;
    }
    b->jit = j->free;
    b->jit_body = body;
    j->free += (e.p - j->free + 15) & ~(uintptr_t)15;
    j->nblocks++;
    j->ninsns += n;
    j->nbytes += (uint64_t)(e.p - (uint8_t *)b->jit);
    if (j->perfmap)
        fprintf(j->perfmap, "%lx %lx rv%c:%llx+%u\n", (unsigned long)(uintptr_t)b->jit,
                (unsigned long)(e.p - (uint8_t *)b->jit), h->priv == PRV_U ? 'u' : 's',
                (unsigned long long)pc, n);
    return true;
}
