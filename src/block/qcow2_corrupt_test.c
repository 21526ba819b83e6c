/* SPDX-License-Identifier: MIT */
/*
 * qcow2_corrupt_test: hostile and broken images. Header fields of a valid
 * image are patched one at a time and each open must fail with its own
 * one-line message naming the file; corrupt L2 entries must fail requests
 * with -EIO (and stop writes) without touching metadata; backing loops,
 * over-long chains and missing backing files are refused; and a few
 * hundred randomly mutated images are opened, read, written and closed
 * without a crash (run under ASan/UBSan in CI).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "block/block_testutil.h"

#define MiB (1u << 20)
/* Layout of the base image made by blk_create_qcow2 with 64 KiB clusters:
 * header, refcount table, refcount block, L1 table, then the first L2
 * table and data clusters. */
#define RCT 0x10000ull
#define RBLOCK 0x20000ull
#define L1 0x30000ull
#define L2 0x40000ull

static const char *base_path(void)
{
    return testutil_path("valid.qcow2");
}

static void make_base(void)
{
    struct err e = {0};
    const char *p = base_path();
    unlink(p);
    if (blk_create_qcow2(p, 64 * MiB, NULL, NULL, &e)) {
        fprintf(stderr, "create: %s\n", e.msg);
        exit(1);
    }
    struct blk_image *img = testutil_open(p, BLK_FORMAT_QCOW2, false, 0);
    uint8_t *buf = malloc(MiB);
    testutil_fill(buf, MiB, 1);
    if (!img || blk_pwrite(img, buf, MiB, 0) || blk_pwrite(img, buf, MiB, 40 * MiB))
        exit(1);
    blk_close(img);
    free(buf);
}

static const char *copy_base(const char *name)
{
    const char *p = testutil_path(name);
    testutil_run(NULL, 0, "cp '%s' '%s'", base_path(), p);
    return p;
}

struct patch {
    uint64_t off;
    int width; /* 1, 4 or 8 bytes, big-endian */
    uint64_t val;
};

struct open_case {
    const char *what;
    struct patch p[2];
    bool readonly;
    const char *expect;
};

static const struct open_case cases[] = {
    {"bad magic", {{0, 4, 0x12345678}}, false, "not a qcow2 image (bad magic)"},
    {"version 1", {{4, 4, 1}}, false, "qcow2 version 1 is not supported"},
    {"version 4", {{4, 4, 4}}, false, "qcow2 version 4 is not supported"},
    {"cluster_bits 8", {{20, 4, 8}}, false, "cluster_bits 8 is out of range"},
    {"cluster_bits 22", {{20, 4, 22}}, false, "cluster_bits 22 is out of range"},
    {"cluster_bits huge", {{20, 4, 0xffffffff}}, false, "is out of range"},
    {"encryption", {{32, 4, 1}}, false, "encrypted qcow2 images are not supported"},
    {"L1 too large", {{36, 4, 0x400001}}, false, "L1 table of 4194305 entries is too large"},
    {"L1 too small", {{36, 4, 0}}, false, "L1 table too small"},
    {"size vs L1", {{24, 8, 1ull << 40}}, false, "L1 table too small"},
    {"L1 past EOF", {{40, 8, 0x7fff0000}}, false, "L1 table at 0x7fff0000"},
    {"L1 unaligned", {{40, 8, L1 + 8}}, false, "L1 table at 0x30008 is not cluster aligned"},
    {"L1 in header", {{40, 8, 0}}, false, "L1 table at 0x0 overlaps the header"},
    {"L1 on refcounts", {{40, 8, RCT}}, false, "L1 table and refcount table overlap"},
    {"RCT past EOF", {{48, 8, 0x7fff0000}}, false, "refcount table at 0x7fff0000 lies beyond"},
    {"RCT unaligned", {{48, 8, RCT + 512}}, false, "not cluster aligned"},
    {"RCT in header", {{48, 8, 0}}, false, "refcount table at 0x0 is inside the header"},
    {"RCT empty", {{56, 4, 0}}, false, "refcount table size of 0 clusters is out of range"},
    {"RCT huge", {{56, 4, 0x10000000}}, false, "is out of range"},
    {"refblock past EOF", {{RCT, 8, 0x7fff0000}}, false,
     "refcount block at 0x7fff0000 (refcount table entry 0) lies beyond end of file"},
    {"refblock unaligned", {{RCT, 8, RBLOCK + 512}}, false, "refcount table entry 0"},
    {"L2 past EOF", {{L1, 8, (1ull << 63) | 0x7fff0000}}, false,
     "L2 table at 0x7fff0000 (L1 entry 0) lies beyond end of file"},
    {"L1 entry reserved", {{L1, 8, L2 | 1}}, false, "L1 entry 0 (0x40001) is invalid"},
    {"unknown feature", {{72, 8, 1u << 10}}, false,
     "unsupported qcow2 incompatible feature bit 10 (unknown)"},
    {"external data", {{72, 8, 1u << 2}}, false, "external data file are not supported"},
    {"extended L2", {{72, 8, 1u << 4}}, false, "extended L2 entries (subclusters)"},
    {"zstd", {{72, 8, 1u << 3}, {104, 1, 1}}, false, "compression type 1 (zstd) is not supported"},
    {"ctype without bit", {{104, 1, 1}}, false, "does not match the compression type"},
    {"corrupt bit", {{72, 8, 1u << 1}}, false, "image is marked corrupt"},
    {"dirty bit", {{72, 8, 1u << 0}}, false, "not closed cleanly"},
    {"refcount_order", {{96, 4, 7}}, false, "refcount_order 7 is out of range"},
    {"header_length small", {{100, 4, 100}}, false, "header_length 100 is invalid"},
    {"header_length big", {{100, 4, 0x20000}}, false, "header_length 131072 is invalid"},
    {"extension overflow", {{116, 4, 0xfffff}}, false, "runs past the header cluster"},
    {"backing name outside", {{8, 8, 0x20000}, {16, 4, 10}}, false, "outside the header cluster"},
    {"backing name long", {{8, 8, 512}, {16, 4, 2000}}, false, "too long"},
    {"snapshot table", {{60, 4, 1}, {64, 8, 0x12345}}, false, "snapshot table at 0x12345"},
    {"L1 refcount 0", {{RBLOCK + 6, 4, 0}}, false, "the L1 table at 0x30000 has refcount 0"},
    {"header refcount 0", {{RBLOCK, 4, 0}}, false, "the header at 0x0 has refcount 0"},
};

static int apply(const char *path, const struct patch *p)
{
    if (p->width == 1) {
        uint8_t b = (uint8_t)p->val;
        return testutil_patch(path, p->off, &b, 1);
    }
    return p->width == 4 ? testutil_patch_be32(path, p->off, (uint32_t)p->val)
                         : testutil_patch_be64(path, p->off, p->val);
}

static void test_header_cases(void)
{
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const struct open_case *c = &cases[i];
        const char *p = copy_base("bad.qcow2");
        for (int k = 0; k < 2 && c->p[k].width; k++)
            CHECK_OK(apply(p, &c->p[k]));
        struct blk_open_opts o = {.format = BLK_FORMAT_QCOW2, .readonly = c->readonly};
        struct blk_image *img = NULL;
        struct err e = {0};
        int r = blk_open(&img, p, &o, &e);
        if (r == 0 || !strstr(e.msg, c->expect) || !strstr(e.msg, "bad.qcow2") ||
            strchr(e.msg, '\n')) {
            fprintf(stderr, "case '%s': r=%d msg='%s', expected '%s'\n", c->what, r, e.msg,
                    c->expect);
            testutil_failures++;
        }
        blk_close(img);
    }
}

static void test_short_file(void)
{
    const char *p = testutil_path("short.qcow2");
    REQUIRE(testutil_write_file(p, (const uint8_t *)"QFI\xfb\0\0\0\3", 8) == 0);
    struct blk_image *img = NULL;
    struct err e = {0};
    CHECK(blk_open(&img, p, NULL, &e) == -EINVAL);
    CHECK(strstr(e.msg, "short.qcow2: file too short for a qcow2 header"));
}

static void test_flags_allow_readonly(void)
{
    static const uint64_t bits[] = {1u << 0, 1u << 1};
    for (int i = 0; i < 2; i++) {
        const char *p = copy_base("ro.qcow2");
        CHECK_OK(testutil_patch_be64(p, 72, bits[i]));
        struct blk_image *img = testutil_open(p, BLK_FORMAT_AUTO, true, 0);
        CHECK(img != NULL);
        uint8_t buf[4096];
        if (img)
            CHECK_OK(blk_pread(img, buf, sizeof(buf), 0));
        blk_close(img);
    }
    /* Unknown autoclear bits are cleared by a read-write open. */
    const char *p = copy_base("ac.qcow2");
    CHECK_OK(testutil_patch_be64(p, 88, 0x8001));
    blk_close(testutil_open(p, BLK_FORMAT_AUTO, false, 0));
    uint8_t b[8];
    CHECK_OK(testutil_read_file(p, b, 8, 88));
    CHECK(!memcmp(b, "\0\0\0\0\0\0\0\0", 8));
    CHECK(testutil_qemu_check(p) == 0);
}

/* Runtime corruption: bad L2 entries fail requests, never crash or write. */
static void runtime_case(uint64_t entry, bool write_fails_only)
{
    const char *p = copy_base("rt.qcow2");
    CHECK_OK(testutil_patch_be64(p, L2, entry));
    uint8_t meta[4 * 65536], after[4 * 65536];
    CHECK_OK(testutil_read_file(p, meta, sizeof(meta), 0));
    struct blk_image *img = testutil_open(p, BLK_FORMAT_QCOW2, false, 0);
    REQUIRE(img);
    uint8_t buf[8192];
    if (!write_fails_only)
        CHECK(blk_pread(img, buf, sizeof(buf), 0) == -EIO);
    CHECK(blk_pwrite(img, buf, 100, 1000) == -EIO);
    CHECK_OK(blk_pread(img, buf, sizeof(buf), 65536)); /* the rest stays readable */
    CHECK(blk_pwrite(img, buf, 100, 2 * MiB) == -EIO); /* writes are refused from now on */
    blk_close(img);
    CHECK_OK(testutil_read_file(p, after, sizeof(after), 0));
    CHECK(!memcmp(meta, after, sizeof(meta)));
}

static void test_runtime_bad_entries(void)
{
    runtime_case((1ull << 63) | 0x7fff0000, false);  /* past EOF */
    runtime_case((1ull << 63) | 0x50200, false);     /* unaligned */
    runtime_case((1ull << 63) | 0x50000 | 2, false); /* reserved bit */
    runtime_case(1ull << 63, false);                 /* COPIED without offset */
    runtime_case((1ull << 62) | 0x50000 | (3ull << 54), false); /* garbage compressed data */
    runtime_case((1ull << 63) | L1, true);           /* data on the L1 table */
    runtime_case((1ull << 63) | RBLOCK, true);       /* data on a refcount block */
}

static void test_backing_loop(void)
{
    const char *a = testutil_path("loop-a.qcow2"), *b = testutil_path("loop-b.qcow2");
    REQUIRE(testutil_run(NULL, 0, "qemu-img create -f qcow2 '%s' 1M", b) == 0);
    REQUIRE(testutil_run(NULL, 0, "qemu-img create -f qcow2 -b loop-b.qcow2 -F qcow2 '%s'", a) ==
            0);
    REQUIRE(testutil_run(NULL, 0, "qemu-img rebase -u -b loop-a.qcow2 -F qcow2 '%s'", b) == 0);
    struct blk_image *img = NULL;
    struct err e = {0};
    CHECK(blk_open(&img, a, NULL, &e) == -ELOOP);
    CHECK(strstr(e.msg, "loop-b.qcow2: backing file") && strstr(e.msg, "loop-a.qcow2") &&
          strstr(e.msg, "loop"));
    /* An image that is its own backing file. */
    const char *s = testutil_path("self.qcow2");
    REQUIRE(testutil_run(NULL, 0, "qemu-img create -f qcow2 '%s' 1M", s) == 0);
    REQUIRE(testutil_run(NULL, 0, "qemu-img rebase -u -b self.qcow2 -F qcow2 '%s'", s) == 0);
    err_clear(&e);
    CHECK(blk_open(&img, s, NULL, &e) == -ELOOP);
    CHECK(strstr(e.msg, "self.qcow2"));
    /* blk_create_qcow2 refuses to put an overlay on a looping chain. */
    err_clear(&e);
    CHECK(blk_create_qcow2(testutil_path("on-loop.qcow2"), 0, "loop-a.qcow2", NULL, &e) < 0);
    CHECK(strstr(e.msg, "loop"));
}

static void test_chain_depth(void)
{
    char name[64], prev[64];
    REQUIRE(testutil_run(NULL, 0, "qemu-img create -f raw '%s' 1M", testutil_path("d0")) == 0);
    snprintf(prev, sizeof(prev), "d0");
    struct err e = {0};
    for (int i = 1; i <= BLK_MAX_CHAIN; i++) {
        snprintf(name, sizeof(name), "d%d", i);
        CHECK_OK(blk_create_qcow2(testutil_path(name), 0, prev, NULL, &e));
        memcpy(prev, name, sizeof(prev));
    }
    /* 16 backing files below the top: fine. */
    struct blk_image *img = testutil_open(testutil_path(prev), BLK_FORMAT_AUTO, true, 0);
    CHECK(img != NULL);
    blk_close(img);
    /* 17: refused at create and at open. */
    err_clear(&e);
    CHECK(blk_create_qcow2(testutil_path("d17"), 0, prev, NULL, &e) == -ELOOP);
    CHECK(strstr(e.msg, "too deep"));
    REQUIRE(testutil_run(NULL, 0, "qemu-img create -f qcow2 -u -b %s -F qcow2 '%s' 1M", prev,
                         testutil_path("d17")) == 0);
    err_clear(&e);
    CHECK(blk_open(&img, testutil_path("d17"), NULL, &e) == -ELOOP);
    CHECK(strstr(e.msg, "too deep"));
}

static void test_missing_backing(void)
{
    const char *ov = testutil_path("orphan.qcow2");
    REQUIRE(testutil_run(NULL, 0, "qemu-img create -f qcow2 -u -b gone.qcow2 -F qcow2 '%s' 1M",
                         ov) == 0);
    struct blk_image *img = NULL;
    struct err e = {0};
    CHECK(blk_open(&img, ov, NULL, &e) == -ENOENT);
    CHECK(strstr(e.msg, "orphan.qcow2: backing file ") && strstr(e.msg, "gone.qcow2: No such"));
    CHECK(!strchr(e.msg, '\n'));
    /* A backing file name with a newline (fuzz_qcow2 checks every open
     * error for this): the error stays one line, the newline escaped. */
    const char *nl = testutil_path("nl-backed.qcow2");
    REQUIRE(testutil_run(NULL, 0, "qemu-img create -f qcow2 -u -b 'gone\nx.qcow2' -F qcow2 '%s' 1M",
                         nl) == 0);
    err_clear(&e);
    CHECK(blk_open(&img, nl, NULL, &e) == -ENOENT);
    CHECK(strstr(e.msg, "gone\\nx.qcow2: No such") && !strchr(e.msg, '\n'));
    const char *vm = testutil_path("vmdk-backed.qcow2");
    REQUIRE(testutil_run(NULL, 0, "qemu-img create -f qcow2 -u -b x.vmdk -F vmdk '%s' 1M", vm) ==
            0);
    err_clear(&e);
    CHECK(blk_open(&img, vm, NULL, &e) == -ENOTSUP);
    CHECK(strstr(e.msg, "backing file format 'vmdk' is not supported"));
    err_clear(&e);
    CHECK(blk_create_qcow2(testutil_path("x.qcow2"), 0, "gone.qcow2", NULL, &e) == -ENOENT);
    CHECK(strstr(e.msg, "gone.qcow2"));
}

/* Open, read everything, write a little, discard, flush, close. */
static void exercise(const char *p, bool ro)
{
    struct blk_open_opts o = {.format = BLK_FORMAT_QCOW2, .readonly = ro};
    struct blk_image *img = NULL;
    struct err e = {0};
    if (blk_open(&img, p, &o, &e))
        return;
    uint8_t *buf = malloc(MiB);
    uint64_t size = blk_size(img);
    for (uint64_t off = 0; off < size && off < 128 * MiB; off += MiB) {
        uint64_t n = size - off < MiB ? size - off : MiB;
        int r = blk_pread(img, buf, n, off);
        (void)r;
    }
    if (!ro) {
        int r = blk_pwrite(img, buf, 70000, 30000);
        r |= blk_pwrite(img, buf, 4096, 41 * MiB % (size ? size : 1));
        r |= blk_discard(img, 0, size / 2);
        r |= blk_flush(img);
        (void)r;
    }
    blk_close(img);
    free(buf);
}

/* A qemu-made image with 4 KiB clusters, compressed clusters and an
 * internal snapshot: dense metadata in the first 64 KiB. */
static const char *make_qemu_base(void)
{
    const char *raw = testutil_path("fz.raw"), *p = testutil_path("fz-base.qcow2");
    uint8_t *buf = malloc(4 * MiB);
    for (uint64_t i = 0; i < 4 * MiB; i++)
        buf[i] = (uint8_t)(i / 3000 * 7);
    testutil_fill(buf, MiB, 3);
    if (testutil_write_file(raw, buf, 4 * MiB) ||
        testutil_run(NULL, 0, "qemu-img convert -c -O qcow2 -o cluster_size=4096 '%s' '%s'", raw,
                     p) ||
        testutil_run(NULL, 0, "qemu-img snapshot -c s '%s'", p) ||
        testutil_run(NULL, 0, "qemu-io -c 'write -P 7 1M 100k' '%s'", p))
        p = NULL;
    free(buf);
    return p;
}

static void mutate(const char *p, uint64_t *s, uint64_t meta_bytes, uint64_t any_bytes)
{
    uint8_t byte;
    int n = (int)(testutil_rand(s) % 4) + 1;
    for (int k = 0; k < n; k++) {
        /* Mostly metadata, sometimes anywhere. */
        uint64_t off = testutil_rand(s) % (testutil_rand(s) % 4 ? meta_bytes : any_bytes);
        uint64_t v = testutil_rand(s);
        switch (testutil_rand(s) % 3) {
        case 0:
            byte = (uint8_t)v;
            CHECK_OK(testutil_patch(p, off, &byte, 1));
            break;
        case 1: /* an aligned word holding a plausible offset and flags */
            CHECK_OK(testutil_patch_be64(p, off & ~7ull, (v & 0xc000000000fffe00ull) | (v >> 63)));
            break;
        default:
            CHECK_OK(testutil_patch_be64(p, off & ~7ull, v));
        }
    }
}

/* BLOCK_FUZZ_ITERS and BLOCK_FUZZ_SEED override the defaults for longer runs. */
static void test_random_mutations(void)
{
    const char *env_iters = getenv("BLOCK_FUZZ_ITERS"), *env_seed = getenv("BLOCK_FUZZ_SEED");
    int iters = env_iters ? atoi(env_iters) : 400;
    uint64_t s = env_seed ? strtoull(env_seed, NULL, 0) : 12345;
    const char *qbase = make_qemu_base();
    REQUIRE(qbase);
    for (int i = 0; i < iters; i++) {
        const char *p = testutil_path("fuzz.qcow2");
        if (i % 2) {
            testutil_run(NULL, 0, "cp '%s' '%s'", qbase, p);
            mutate(p, &s, 64 * 1024, MiB);
        } else {
            copy_base("fuzz.qcow2");
            mutate(p, &s, 5 * 65536, 3 * MiB);
        }
        exercise(p, true);
        exercise(p, false);
    }
}

int main(void)
{
    testutil_need_qemu();
    testutil_mkdtemp();
    make_base();
    RUN(test_header_cases);
    RUN(test_short_file);
    RUN(test_flags_allow_readonly);
    RUN(test_runtime_bad_entries);
    RUN(test_backing_loop);
    RUN(test_chain_depth);
    RUN(test_missing_backing);
    RUN(test_random_mutations);
    testutil_rmtree();
    printf("%d failure(s)\n", testutil_failures);
    return testutil_failures ? 1 : 0;
}
