/* SPDX-License-Identifier: MIT */
/*
 * qcow2_interop_test: images made or read by QEMU's tools. Images from
 * `qemu-img create` + `qemu-io write` (several cluster sizes, refcount
 * widths, v2 and lazy refcounts) read back correctly and take our writes,
 * which qemu-io then reads; `qemu-img convert -c` output reads correctly
 * and can be overwritten; overlays made by qemu-img and by
 * blk_create_qcow2 read through to their base (qcow2 or raw, relative
 * backing path) while writes land only in the overlay (base checksum
 * unchanged); discard over a backing file reads zeros; internal snapshots
 * survive our writes and discards untouched.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "block/block_testutil.h"

#define MiB (1u << 20)

static int qemu_io(const char *path, const char *fmt_opts, const char *cmds)
{
    char out[4096];
    int st = testutil_run(out, sizeof(out), "qemu-io %s %s '%s'", fmt_opts, cmds, path);
    /* qemu-io exits 0 even when a pattern check fails: look at its output. */
    if (st != 0 || strstr(out, "Pattern verification failed") || strstr(out, "error") ||
        strstr(out, "failed")) {
        fprintf(stderr, "qemu-io %s on %s:\n%s\n", cmds, path, out);
        return -1;
    }
    return 0;
}

static bool region_is(struct blk_image *img, uint64_t off, uint64_t len, uint8_t v)
{
    uint8_t *buf = malloc(len);
    bool ok = blk_pread(img, buf, len, off) == 0;
    for (uint64_t i = 0; ok && i < len; i++)
        ok = buf[i] == v;
    if (!ok)
        fprintf(stderr, "region 0x%llx+%llu is not 0x%02x\n", (unsigned long long)off,
                (unsigned long long)len, v);
    free(buf);
    return ok;
}

static void write_fill(struct blk_image *img, uint64_t off, uint64_t len, uint8_t v)
{
    uint8_t *buf = malloc(len);
    memset(buf, v, len);
    CHECK_OK(blk_pwrite(img, buf, len, off));
    free(buf);
}

/* qemu writes, we read; we write, qemu reads; qemu-img check is clean. */
static void qemu_image_case(const char *create_opts)
{
    const char *path = testutil_path("q.qcow2");
    unlink(path);
    REQUIRE(testutil_run(NULL, 0, "qemu-img create -f qcow2 %s '%s' 64M", create_opts, path) ==
            0);
    CHECK(qemu_io(path, "-f qcow2",
                  "-c 'write -P 0xab 0 1M' -c 'write -P 0xcd 5M 300k' "
                  "-c 'write -P 0x11 20000 3000' -c 'write -z 5M 64k'") == 0);
    struct blk_image *img = testutil_open(path, BLK_FORMAT_AUTO, false, 0);
    REQUIRE(img);
    CHECK(blk_get_format(img) == BLK_FORMAT_QCOW2);
    CHECK(blk_size(img) == 64 * MiB);
    CHECK(region_is(img, 0, 20000, 0xab));
    CHECK(region_is(img, 20000, 3000, 0x11));
    CHECK(region_is(img, 23000, MiB - 23000, 0xab));
    CHECK(region_is(img, MiB, 4 * MiB, 0));
    CHECK(region_is(img, 5 * MiB, 64 * 1024, 0));
    CHECK(region_is(img, 5 * MiB + 64 * 1024, 300 * 1024 - 64 * 1024, 0xcd));
    CHECK(region_is(img, 40 * MiB, MiB, 0));
    /* Our writes: partial clusters over qemu's data, fresh space, zeroes. */
    write_fill(img, 512 * 1024 + 7, 100000, 0x5a);
    write_fill(img, 30 * MiB - 3, 2 * MiB + 5, 0x77);
    CHECK_OK(blk_write_zeroes(img, 5 * MiB + 100 * 1024, 8192));
    CHECK_OK(blk_discard(img, 62 * MiB, 2 * MiB));
    blk_close(img);
    CHECK(testutil_qemu_check(path) == 0);
    CHECK(qemu_io(path, "-f qcow2",
                  "-c 'read -P 0xab 0 20000' -c 'read -P 0x5a 524295 100000' "
                  "-c 'read -P 0xab 624295 424281' -c 'read -P 0x77 31457277 2097157' "
                  "-c 'read -P 0 5345280 8192' -c 'read -P 0xcd 5353472 196608' "
                  "-c 'read -P 0 62M 2M'") == 0);
}

static void test_qemu_default(void)
{
    qemu_image_case("");
}

static void test_qemu_512b_clusters_refcount1(void)
{
    qemu_image_case("-o cluster_size=512,refcount_bits=1");
}

static void test_qemu_2m_clusters_refcount64(void)
{
    qemu_image_case("-o cluster_size=2M,refcount_bits=64");
}

static void test_qemu_v2(void)
{
    qemu_image_case("-o compat=0.10");
}

static void test_qemu_lazy_refcounts(void)
{
    qemu_image_case("-o lazy_refcounts=on,cluster_size=4k");
}

static void test_qemu_preallocated_metadata(void)
{
    qemu_image_case("-o preallocation=metadata");
}

/* A raw file with compressible and incompressible stretches. */
static uint8_t *mixed_content(uint64_t size)
{
    uint8_t *ref = calloc(1, size);
    for (uint64_t off = 0; off < size; off += 256 * 1024) {
        uint64_t kind = off / (256 * 1024) % 4;
        if (kind == 0)
            testutil_fill(ref + off, 256 * 1024, off);
        else if (kind == 1)
            for (uint64_t i = 0; i < 256 * 1024; i++)
                ref[off + i] = (uint8_t)(i / 1000);
        else if (kind == 2)
            memset(ref + off, 0x42, 256 * 1024);
    }
    return ref;
}

static void compressed_case(const char *opts)
{
    const uint64_t size = 16 * MiB;
    uint8_t *ref = mixed_content(size);
    const char *raw = testutil_path("c.raw"), *path = testutil_path("c.qcow2");
    unlink(path);
    REQUIRE(testutil_write_file(raw, ref, size) == 0);
    REQUIRE(testutil_run(NULL, 0, "qemu-img convert -c -f raw -O qcow2 %s '%s' '%s'", opts, raw,
                         path) == 0);
    struct blk_image *img = testutil_open(path, BLK_FORMAT_AUTO, true, 0);
    REQUIRE(img);
    CHECK(testutil_image_equals(img, ref, size));
    /* Small reads inside one compressed cluster. */
    uint8_t buf[777];
    for (uint64_t off = 300 * 1024; off < 400 * 1024; off += 5000) {
        CHECK_OK(blk_pread(img, buf, sizeof(buf), off));
        CHECK(!memcmp(buf, ref + off, sizeof(buf)));
    }
    blk_close(img);
    /* Overwrite parts of compressed clusters: copy-on-write from them. */
    img = testutil_open(path, BLK_FORMAT_QCOW2, false, 0);
    REQUIRE(img);
    uint64_t s = 3;
    for (int i = 0; i < 40; i++) {
        uint64_t len = testutil_rand(&s) % 70000 + 1, off = testutil_rand(&s) % (size - len);
        testutil_fill(ref + off, len, s);
        CHECK_OK(blk_pwrite(img, ref + off, len, off));
    }
    CHECK_OK(blk_discard(img, 0, 2 * MiB));
    memset(ref, 0, 2 * MiB);
    CHECK(testutil_image_equals(img, ref, size));
    blk_close(img);
    CHECK(testutil_qemu_check(path) == 0);
    REQUIRE(testutil_write_file(raw, ref, size) == 0);
    CHECK(testutil_run(NULL, 0, "qemu-img compare -f qcow2 -F raw '%s' '%s'", path, raw) == 0);
    free(ref);
}

static void test_compressed_default(void)
{
    compressed_case("");
}

static void test_compressed_4k_clusters(void)
{
    compressed_case("-o cluster_size=4096");
}

static void test_compressed_2m_clusters(void)
{
    compressed_case("-o cluster_size=2M");
}

/* Base with data, written by qemu-io; returns its content. */
static uint8_t *make_base(const char *path, const char *fmt, uint64_t size)
{
    unlink(path);
    if (testutil_run(NULL, 0, "qemu-img create -f %s '%s' %llu", fmt, path,
                     (unsigned long long)size))
        return NULL;
    uint8_t *ref = calloc(1, size);
    char cmds[512];
    snprintf(cmds, sizeof(cmds), "-c 'write -P 0x33 0 %llu' -c 'write -P 0x44 %llu 1M'",
             (unsigned long long)(size / 2), (unsigned long long)(size - MiB));
    char fo[32];
    snprintf(fo, sizeof(fo), "-f %s", fmt);
    if (qemu_io(path, fo, cmds)) {
        free(ref);
        return NULL;
    }
    memset(ref, 0x33, size / 2);
    memset(ref + size - MiB, 0x44, MiB);
    return ref;
}

/* Random writes into an overlay; the base must not change. */
static void overlay_workload(const char *ov, const char *base, uint8_t *ref, uint64_t size)
{
    uint64_t before = testutil_file_hash(base);
    struct blk_image *img = testutil_open(ov, BLK_FORMAT_AUTO, false, 0);
    REQUIRE(img);
    CHECK(blk_size(img) == size);
    CHECK(testutil_image_equals(img, ref, size));
    uint64_t s = 11;
    for (int i = 0; i < 60; i++) {
        uint64_t len = testutil_rand(&s) % 200000 + 1, off = testutil_rand(&s) % (size - len);
        testutil_fill(ref + off, len, s);
        CHECK_OK(blk_pwrite(img, ref + off, len, off));
    }
    /* Discard over the backing file must read zeros, not base data. */
    CHECK_OK(blk_discard(img, 2 * MiB, 3 * MiB));
    memset(ref + 2 * MiB, 0, 3 * MiB);
    CHECK_OK(blk_write_zeroes(img, 7 * MiB + 123, 100000));
    memset(ref + 7 * MiB + 123, 0, 100000);
    CHECK(testutil_image_equals(img, ref, size));
    blk_close(img);
    CHECK(testutil_file_hash(base) == before);
    CHECK(testutil_qemu_check(ov) == 0);
    const char *raw = testutil_path("ov-ref.raw");
    REQUIRE(testutil_write_file(raw, ref, size) == 0);
    CHECK(testutil_run(NULL, 0, "qemu-img compare -F raw '%s' '%s'", ov, raw) == 0);
    CHECK(qemu_io(ov, "", "-c 'read -P 0 2M 3M'") == 0);
}

static void test_qemu_overlay_on_qcow2(void)
{
    const uint64_t size = 16 * MiB;
    uint8_t *ref = make_base(testutil_path("base.qcow2"), "qcow2", size);
    REQUIRE(ref);
    const char *ov = testutil_path("ov.qcow2");
    unlink(ov);
    CHECK(testutil_run(NULL, 0, "qemu-img create -f qcow2 -b base.qcow2 -F qcow2 '%s'", ov) ==
          0);
    overlay_workload(ov, testutil_path("base.qcow2"), ref, size);
    free(ref);
}

static void test_qemu_overlay_on_raw_relative_path(void)
{
    const uint64_t size = 12 * MiB;
    uint8_t *ref = make_base(testutil_path("base.raw"), "raw", size);
    REQUIRE(ref);
    REQUIRE(testutil_run(NULL, 0, "mkdir -p '%s'", testutil_path("sub")) == 0);
    const char *ov = testutil_path("sub/ov.qcow2");
    unlink(ov);
    CHECK(testutil_run(NULL, 0, "qemu-img create -f qcow2 -b ../base.raw -F raw '%s'", ov) == 0);
    overlay_workload(ov, testutil_path("base.raw"), ref, size);
    free(ref);
}

static void test_our_overlay(void)
{
    const uint64_t size = 16 * MiB;
    uint8_t *ref = make_base(testutil_path("base2.qcow2"), "qcow2", size);
    REQUIRE(ref);
    const char *ov = testutil_path("ours.qcow2");
    unlink(ov);
    struct err e = {0};
    CHECK_OK(blk_create_qcow2(ov, 0, "base2.qcow2", NULL, &e));
    char out[2048];
    testutil_run(out, sizeof(out), "qemu-img info '%s'", ov);
    CHECK(strstr(out, "backing file: base2.qcow2"));
    CHECK(strstr(out, "backing file format: qcow2"));
    CHECK(strstr(out, "virtual size: 16 MiB"));
    CHECK(testutil_qemu_check(ov) == 0);
    overlay_workload(ov, testutil_path("base2.qcow2"), ref, size);
    /* While an overlay is open its base cannot be opened for writing. */
    struct blk_image *top = testutil_open(ov, BLK_FORMAT_QCOW2, false, 0), *b = NULL;
    REQUIRE(top);
    CHECK(blk_open(&b, testutil_path("base2.qcow2"), NULL, &e) == -EBUSY);
    blk_close(top);
    /* Larger than its base: the tail reads zeros. */
    const char *big = testutil_path("big.qcow2");
    CHECK_OK(blk_create_qcow2(big, 32 * MiB, "base2.qcow2", "qcow2", &e));
    struct blk_image *img = testutil_open(big, BLK_FORMAT_QCOW2, false, 0);
    REQUIRE(img);
    CHECK(region_is(img, size - MiB, MiB, 0x44));
    CHECK(region_is(img, size, size, 0));
    blk_close(img);
    /* An existing file is never replaced. */
    err_clear(&e);
    CHECK(blk_create_qcow2(big, MiB, NULL, NULL, &e) == -EEXIST);
    CHECK(strstr(e.msg, "big.qcow2"));
    free(ref);
}

static void test_chain_of_three(void)
{
    const uint64_t size = 8 * MiB;
    uint8_t *ref = make_base(testutil_path("c0.raw"), "raw", size);
    REQUIRE(ref);
    struct err e = {0};
    CHECK_OK(blk_create_qcow2(testutil_path("c1.qcow2"), 0, "c0.raw", "raw", &e));
    struct blk_image *img = testutil_open(testutil_path("c1.qcow2"), BLK_FORMAT_QCOW2, false, 0);
    REQUIRE(img);
    write_fill(img, MiB, MiB, 0x99);
    memset(ref + MiB, 0x99, MiB);
    blk_close(img);
    CHECK_OK(blk_create_qcow2(testutil_path("c2.qcow2"), 0, "c1.qcow2", NULL, &e));
    overlay_workload(testutil_path("c2.qcow2"), testutil_path("c1.qcow2"), ref, size);
    free(ref);
}

static void test_v2_overlay_discard(void)
{
    const uint64_t size = 8 * MiB;
    uint8_t *ref = make_base(testutil_path("v2base.qcow2"), "qcow2", size);
    REQUIRE(ref);
    const char *ov = testutil_path("v2ov.qcow2");
    CHECK(testutil_run(NULL, 0, "qemu-img create -f qcow2 -o compat=0.10 -b v2base.qcow2 "
                       "-F qcow2 '%s'", ov) == 0);
    struct blk_image *img = testutil_open(ov, BLK_FORMAT_QCOW2, false, 0);
    REQUIRE(img);
    CHECK_OK(blk_discard(img, 0, MiB)); /* advisory: nothing changes */
    CHECK(region_is(img, 0, MiB, 0x33));
    CHECK_OK(blk_write_zeroes(img, 0, MiB + 5));
    CHECK(region_is(img, 0, MiB + 5, 0));
    CHECK(region_is(img, MiB + 5, 100, 0x33));
    blk_close(img);
    CHECK(testutil_qemu_check(ov) == 0);
    free(ref);
}

static void test_internal_snapshot_untouched(void)
{
    const uint64_t size = 8 * MiB;
    const char *path = testutil_path("snap.qcow2");
    uint8_t *ref = make_base(path, "qcow2", size);
    REQUIRE(ref);
    REQUIRE(testutil_run(NULL, 0, "qemu-img snapshot -c s1 '%s'", path) == 0);
    struct blk_image *img = testutil_open(path, BLK_FORMAT_QCOW2, false, 0);
    REQUIRE(img);
    write_fill(img, 100, 3 * MiB, 0xee);        /* shared clusters and L2 table: COW */
    write_fill(img, 100 + 3 * MiB, 1000, 0xef); /* now owned: in place */
    CHECK_OK(blk_discard(img, 6 * MiB, MiB));
    CHECK(region_is(img, 100, 3 * MiB, 0xee));
    CHECK(region_is(img, 6 * MiB, MiB, 0));
    blk_close(img);
    CHECK(testutil_qemu_check(path) == 0);
    const char *raw = testutil_path("snap.raw"), *want = testutil_path("want.raw");
    unlink(raw);
    CHECK(testutil_run(NULL, 0, "qemu-img convert -l snapshot.name=s1 -O raw '%s' '%s'", path,
                       raw) == 0);
    REQUIRE(testutil_write_file(want, ref, size) == 0);
    CHECK(testutil_run(NULL, 0, "cmp -s '%s' '%s'", raw, want) == 0);
    free(ref);
}

int main(void)
{
    testutil_need_qemu();
    testutil_mkdtemp();
    RUN(test_qemu_default);
    RUN(test_qemu_512b_clusters_refcount1);
    RUN(test_qemu_2m_clusters_refcount64);
    RUN(test_qemu_v2);
    RUN(test_qemu_lazy_refcounts);
    RUN(test_qemu_preallocated_metadata);
    RUN(test_compressed_default);
    RUN(test_compressed_4k_clusters);
    RUN(test_compressed_2m_clusters);
    RUN(test_qemu_overlay_on_qcow2);
    RUN(test_qemu_overlay_on_raw_relative_path);
    RUN(test_our_overlay);
    RUN(test_chain_of_three);
    RUN(test_v2_overlay_discard);
    RUN(test_internal_snapshot_untouched);
    testutil_rmtree();
    printf("%d failure(s)\n", testutil_failures);
    return testutil_failures ? 1 : 0;
}
