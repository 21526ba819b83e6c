/* SPDX-License-Identifier: MIT */
/*
 * qcow2_powerloss_test: simulated power failures. Every write, punch and
 * fdatasync our qcow2 driver issues during a random workload is recorded
 * through the hostfile tap. For many crash points, a crash image is built
 * from the initial file plus all writes before the last completed sync and
 * a random subset of the writes after it (the disk may have reordered or
 * dropped those). Each crash image must pass `qemu-img check` without
 * corruption (leaks allowed) and hold everything that was flushed, except
 * where later requests may legitimately have changed it. This checks the
 * ordering rules of qcow2.h, which kill -9 alone cannot exercise.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "block/block_testutil.h"
#include "block/driver.h"

#define SIZE (32u << 20)
#define SECTOR 512u

enum ev_kind { EV_WRITE, EV_PUNCH, EV_SYNC };

struct ev {
    enum ev_kind kind;
    uint64_t off, len;
    uint8_t *data;
};

enum op_kind { OP_WRITE, OP_DISCARD, OP_ZERO, OP_FLUSH };

struct op {
    enum op_kind kind;
    uint64_t off, len, seed;
    size_t log_end; /* events recorded when the request returned */
};

static struct ev *evs;
static size_t nev, evcap;

static struct ev *push(enum ev_kind k, uint64_t off, uint64_t len)
{
    if (nev == evcap) {
        evcap = evcap ? evcap * 2 : 1024;
        evs = realloc(evs, evcap * sizeof(*evs));
    }
    evs[nev] = (struct ev){.kind = k, .off = off, .len = len};
    return &evs[nev++];
}

static void tap_write(void *ctx, const struct iovec *iov, int cnt, uint64_t off)
{
    (void)ctx;
    uint64_t len = 0;
    for (int i = 0; i < cnt; i++)
        len += iov[i].iov_len;
    struct ev *e = push(EV_WRITE, off, len);
    e->data = malloc(len ? len : 1);
    for (int i = 0, at = 0; i < cnt; at += (int)iov[i].iov_len, i++)
        memcpy(e->data + at, iov[i].iov_base, iov[i].iov_len);
}

static void tap_punch(void *ctx, uint64_t off, uint64_t len)
{
    (void)ctx;
    push(EV_PUNCH, off, len);
}

static void tap_sync(void *ctx)
{
    (void)ctx;
    push(EV_SYNC, 0, 0);
}

static const struct hostfile_tap tap = {tap_write, tap_punch, tap_sync, NULL};

/* Expected guest content after ops [0, upto). */
static void replay_ops(uint8_t *ref, const struct op *ops, size_t upto, uint32_t cs)
{
    memset(ref, 0, SIZE);
    for (size_t i = 0; i < upto; i++) {
        const struct op *o = &ops[i];
        if (o->kind == OP_WRITE) {
            testutil_fill(ref + o->off, o->len, o->seed);
        } else if (o->kind == OP_ZERO) {
            memset(ref + o->off, 0, o->len);
        } else if (o->kind == OP_DISCARD) {
            uint64_t a = (o->off + cs - 1) / cs * cs, b = (o->off + o->len) / cs * cs;
            if (a < b)
                memset(ref + a, 0, b - a);
        }
    }
}

/* Host file after a power failure at event `p`. */
static uint8_t *crash_file(const uint8_t *init, uint64_t init_len, size_t p, uint64_t *len,
                           uint64_t *seed)
{
    size_t last_sync = 0;
    for (size_t i = 0; i < p; i++)
        if (evs[i].kind == EV_SYNC)
            last_sync = i + 1;
    uint64_t cap = init_len;
    for (size_t i = 0; i < p; i++)
        if (evs[i].kind == EV_WRITE && evs[i].off + evs[i].len > cap)
            cap = evs[i].off + evs[i].len;
    uint8_t *f = calloc(1, cap);
    memcpy(f, init, init_len);
    *len = init_len;
    for (size_t i = 0; i < p; i++) {
        const struct ev *e = &evs[i];
        if (i >= last_sync && testutil_rand(seed) % 2)
            continue; /* not yet on the platter */
        if (e->kind == EV_WRITE) {
            memcpy(f + e->off, e->data, e->len);
            if (e->off + e->len > *len)
                *len = e->off + e->len;
        } else if (e->kind == EV_PUNCH) {
            uint64_t end = e->off + e->len < *len ? e->off + e->len : *len;
            if (e->off < end)
                memset(f + e->off, 0, end - e->off);
        }
    }
    return f;
}

static uint64_t pick_len(uint64_t *s, uint32_t cs)
{
    switch (testutil_rand(s) % 3) {
    case 0:
        return testutil_rand(s) % 4096 + 1;
    case 1:
        return testutil_rand(s) % (2ull * cs) + 1;
    default:
        return testutil_rand(s) % (300u * 1024) + 1;
    }
}

static size_t run_ops(struct blk_image *img, struct op *ops, size_t n, uint32_t cs, uint64_t s)
{
    uint8_t *buf = malloc(2ull * cs + 300 * 1024);
    for (size_t i = 0; i < n; i++) {
        struct op *o = &ops[i];
        unsigned k = (unsigned)(testutil_rand(&s) % 10);
        o->kind = k < 6 ? OP_WRITE : k == 6 ? OP_DISCARD : k == 7 ? OP_ZERO : OP_FLUSH;
        o->len = pick_len(&s, cs);
        o->off = testutil_rand(&s) % (SIZE - o->len);
        o->seed = testutil_rand(&s);
        int r = 0;
        if (o->kind == OP_WRITE) {
            testutil_fill(buf, o->len, o->seed);
            r = blk_pwrite(img, buf, o->len, o->off);
        } else if (o->kind == OP_DISCARD) {
            r = blk_discard(img, o->off, o->len);
        } else if (o->kind == OP_ZERO) {
            r = blk_write_zeroes(img, o->off, o->len);
        } else {
            r = blk_flush(img);
        }
        CHECK(r == 0);
        o->log_end = nev;
    }
    free(buf);
    return n;
}

/* Check one crash image: consistent, and flushed data intact. */
static void check_crash(const uint8_t *init, uint64_t init_len, const struct op *ops, size_t nops,
                        size_t p, uint32_t cs, uint64_t *seed, uint8_t *ref)
{
    uint64_t len;
    uint8_t *f = crash_file(init, init_len, p, &len, seed);
    const char *path = testutil_path("crash.qcow2");
    REQUIRE(testutil_write_file(path, f, len) == 0);
    free(f);
    int chk = testutil_qemu_check_leaks_ok(path);
    if (chk != 0 && chk != 3) {
        fprintf(stderr, "crash at event %zu of %zu: qemu-img check %d\n", p, nev, chk);
        testutil_failures++;
        return;
    }
    /* Last flush that completed before the crash, and what came after it. */
    size_t done = 0;
    for (size_t i = 0; i < nops; i++)
        if (ops[i].kind == OP_FLUSH && ops[i].log_end <= p)
            done = i + 1;
    replay_ops(ref, ops, done, cs);
    static uint8_t touched[SIZE / SECTOR];
    memset(touched, 0, sizeof(touched));
    for (size_t i = done; i < nops; i++)
        for (uint64_t s = ops[i].off / SECTOR; s <= (ops[i].off + ops[i].len - 1) / SECTOR; s++)
            touched[s] = 1;
    struct blk_image *img = testutil_open(path, BLK_FORMAT_QCOW2, true, 0);
    REQUIRE(img);
    uint8_t *got = malloc(SIZE);
    CHECK_OK(blk_pread(img, got, SIZE, 0));
    blk_close(img);
    for (uint64_t s = 0; s < SIZE / SECTOR; s++) {
        if (!touched[s] && memcmp(got + s * SECTOR, ref + s * SECTOR, SECTOR)) {
            fprintf(stderr, "crash at event %zu: flushed sector %llu lost (flush #%zu)\n", p,
                    (unsigned long long)s, done);
            testutil_failures++;
            break;
        }
    }
    free(got);
}

static void powerloss_case(uint32_t cs, uint32_t rbits, int crashes)
{
    const char *path = testutil_path("pl.qcow2");
    struct blk_qcow2_create_opts co = {.size = SIZE, .cluster_size = cs, .refcount_bits = rbits};
    struct err e = {0};
    unlink(path);
    int r = blk_create_qcow2_opts(path, &co, &e);
    if (r)
        fprintf(stderr, "create: %s\n", e.msg);
    REQUIRE(r == 0);
    uint8_t *init = malloc(64u << 20);
    FILE *fp = fopen(path, "rb");
    REQUIRE(fp);
    uint64_t init_len = fread(init, 1, 64u << 20, fp);
    fclose(fp);
    struct blk_image *img = testutil_open(path, BLK_FORMAT_QCOW2, false, BLK_CACHE_WRITEBACK);
    REQUIRE(img);
    img->file.tap = &tap;
    enum { NOPS = 300 };
    struct op *ops = calloc(NOPS, sizeof(*ops));
    run_ops(img, ops, NOPS, cs, cs + rbits);
    img->file.tap = NULL;
    blk_close(img);
    uint64_t seed = 99 + cs;
    uint8_t *ref = malloc(SIZE);
    for (int i = 0; i < crashes; i++) {
        /* Half anywhere, half right before or after a sync. */
        size_t p = (size_t)(testutil_rand(&seed) % (nev + 1));
        if (i % 2)
            while (p < nev && evs[p].kind != EV_SYNC)
                p++;
        if (i % 4 == 1 && p < nev)
            p++;
        check_crash(init, init_len, ops, NOPS, p, cs, &seed, ref);
    }
    for (size_t i = 0; i < nev; i++)
        free(evs[i].data);
    nev = 0;
    free(ref);
    free(ops);
    free(init);
    unlink(path);
}

static void test_powerloss_64k(void)
{
    powerloss_case(65536, 16, 30);
}

static void test_powerloss_4k(void)
{
    powerloss_case(4096, 16, 30);
}

static void test_powerloss_512b_table_growth(void)
{
    powerloss_case(512, 64, 30);
}

int main(void)
{
    testutil_need_qemu();
    testutil_mkdtemp();
    RUN(test_powerloss_64k);
    RUN(test_powerloss_4k);
    RUN(test_powerloss_512b_table_growth);
    free(evs);
    testutil_rmtree();
    printf("%d failure(s)\n", testutil_failures);
    return testutil_failures ? 1 : 0;
}
