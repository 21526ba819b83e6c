/* SPDX-License-Identifier: MIT */
/*
 * qcow2_test: qcow2 images created and written by our code. Random writes,
 * reads, discards and write-zeroes at random offsets and sizes are checked
 * against a reference buffer, and the image against `qemu-img check` (no
 * errors, no leaks) and `qemu-img compare` with a raw copy of the
 * reference. Cluster sizes 512 B..2 MiB, refcount widths 1..64 bits (512 B
 * clusters with 64-bit refcounts force refcount-table growth), all cache
 * modes, many-iovec requests, and a kill -9 crash loop: the image must stay
 * free of corruption and keep everything flushed before the kill.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "block/block_testutil.h"

#define MiB_(n) ((uint64_t)(n) << 20)

struct workload {
    uint64_t size;
    uint32_t cs;
    int ops;
    uint64_t seed;
};

static uint64_t pick_len(uint64_t *s, uint32_t cs)
{
    switch (testutil_rand(s) % 3) {
    case 0:
        return testutil_rand(s) % 4096 + 1;
    case 1:
        return testutil_rand(s) % (2ull * cs) + 1;
    default:
        return testutil_rand(s) % (1u << 20) + 1;
    }
}

/* Random operations on `img`, mirrored into `ref` (no backing file). */
static void run_workload(struct blk_image *img, uint8_t *ref, const struct workload *w)
{
    uint64_t s = w->seed;
    uint8_t *buf = malloc(2ull * w->cs + (1u << 20));
    for (int i = 0; i < w->ops; i++) {
        uint64_t len = pick_len(&s, w->cs);
        if (len > w->size)
            len = w->size;
        uint64_t off = testutil_rand(&s) % (w->size - len + 1);
        if (testutil_rand(&s) % 4 == 0)
            off &= ~511ull;
        unsigned op = (unsigned)(testutil_rand(&s) % 20);
        if (op < 10) {
            testutil_fill(buf, len, s);
            CHECK_OK(blk_pwrite(img, buf, len, off));
            memcpy(ref + off, buf, len);
        } else if (op < 16) {
            CHECK_OK(blk_pread(img, buf, len, off));
            if (memcmp(buf, ref + off, len)) {
                fprintf(stderr, "op %d: read of %llu at 0x%llx differs\n", i,
                        (unsigned long long)len, (unsigned long long)off);
                testutil_failures++;
                break;
            }
        } else if (op < 18) {
            CHECK_OK(blk_discard(img, off, len));
            uint64_t a = (off + w->cs - 1) / w->cs * w->cs, b = (off + len) / w->cs * w->cs;
            if (a < b)
                memset(ref + a, 0, b - a);
        } else if (op < 19) {
            CHECK_OK(blk_write_zeroes(img, off, len));
            memset(ref + off, 0, len);
        } else {
            CHECK_OK(blk_flush(img));
        }
    }
    free(buf);
}

/* qemu-img check clean and qemu-img compare equal to `ref`. */
static void check_with_qemu(const char *path, const uint8_t *ref, uint64_t size)
{
    CHECK(testutil_qemu_check(path) == 0);
    const char *raw = testutil_path("ref.raw");
    REQUIRE(testutil_write_file(raw, ref, size) == 0);
    char out[2048];
    int st = testutil_run(out, sizeof(out), "qemu-img compare -f qcow2 -F raw '%s' '%s'", path,
                          raw);
    if (st != 0)
        fprintf(stderr, "qemu-img compare: %d\n%s\n", st, out);
    CHECK(st == 0);
}

static void workload_case(uint32_t cs, uint32_t rbits, enum blk_cache cache, uint64_t size,
                          int ops)
{
    const char *path = testutil_path("w.qcow2");
    unlink(path);
    struct blk_qcow2_create_opts o = {.size = size, .cluster_size = cs, .refcount_bits = rbits};
    struct err e = {0};
    int r = blk_create_qcow2_opts(path, &o, &e);
    if (r)
        fprintf(stderr, "create: %s\n", e.msg);
    REQUIRE(r == 0);
    CHECK(testutil_qemu_check(path) == 0);
    uint8_t *ref = calloc(1, size);
    struct blk_image *img = testutil_open(path, BLK_FORMAT_AUTO, false, cache);
    REQUIRE(img);
    CHECK(blk_get_format(img) == BLK_FORMAT_QCOW2);
    CHECK(blk_size(img) == size);
    struct workload w = {.size = size, .cs = cs, .ops = ops, .seed = cs * 31 + rbits};
    run_workload(img, ref, &w);
    CHECK(testutil_image_equals(img, ref, size));
    blk_close(img);
    check_with_qemu(path, ref, size);
    /* Reopen and go on: state rebuilt from disk must agree. */
    img = testutil_open(path, BLK_FORMAT_QCOW2, false, cache);
    REQUIRE(img);
    CHECK(testutil_image_equals(img, ref, size));
    w.seed++;
    w.ops /= 2;
    run_workload(img, ref, &w);
    blk_close(img);
    check_with_qemu(path, ref, size);
    free(ref);
}

static void test_default_clusters(void)
{
    workload_case(65536, 16, BLK_CACHE_WRITEBACK, 64u << 20, 400);
}

static void test_small_clusters_grow_refcount_table(void)
{
    /* 64 refcounts per block, 64 blocks per table cluster: 2 MiB coverage. */
    workload_case(512, 64, BLK_CACHE_WRITEBACK, 24u << 20, 300);
}

static void test_4k_clusters_1bit_refcounts_direct(void)
{
    workload_case(4096, 1, BLK_CACHE_NONE, 32u << 20, 300);
}

static void test_2m_clusters_unsafe(void)
{
    workload_case(2u << 20, 8, BLK_CACHE_UNSAFE, 64u << 20, 150);
}

static void test_32k_clusters_32bit_refcounts(void)
{
    workload_case(32768, 32, BLK_CACHE_WRITEBACK, 48u << 20, 300);
}

static void test_many_iovecs(void)
{
    const char *path = testutil_path("iov.qcow2");
    struct err e = {0};
    CHECK_OK(blk_create_qcow2(path, 16u << 20, NULL, NULL, &e));
    struct blk_image *img = testutil_open(path, BLK_FORMAT_QCOW2, false, 0);
    REQUIRE(img);
    /* 1024 elements of 777 bytes starting mid-cluster: crosses clusters and
     * exercises head/tail copy-on-write next to a full iovec array. */
    enum { N = BLK_MAX_IOV, L = 777 };
    uint8_t *data = malloc(N * L), *back = malloc(N * L);
    struct iovec *v = malloc(N * sizeof(*v));
    testutil_fill(data, N * L, 99);
    for (int i = 0; i < N; i++)
        v[i] = (struct iovec){.iov_base = data + i * L, .iov_len = L};
    CHECK_OK(blk_pwritev(img, v, N, 3 * 65536 + 1000));
    for (int i = 0; i < N; i++)
        v[i].iov_base = back + i * L;
    CHECK_OK(blk_preadv(img, v, N, 3 * 65536 + 1000));
    CHECK(!memcmp(data, back, N * L));
    blk_close(img);
    CHECK(testutil_qemu_check(path) == 0);
    free(data);
    free(back);
    free(v);
}

static void test_discard_frees_space(void)
{
    const char *path = testutil_path("disc.qcow2");
    struct err e = {0};
    CHECK_OK(blk_create_qcow2(path, 32u << 20, NULL, NULL, &e));
    struct blk_image *img = testutil_open(path, BLK_FORMAT_QCOW2, false, 0);
    REQUIRE(img);
    uint8_t *buf = malloc(8u << 20);
    testutil_fill(buf, 8u << 20, 5);
    CHECK_OK(blk_pwrite(img, buf, 8u << 20, 0));
    CHECK_OK(blk_flush(img));
    CHECK_OK(blk_discard(img, 0, 8u << 20));
    CHECK_OK(blk_pread(img, buf, 8u << 20, 0));
    bool zero = true;
    for (size_t i = 0; i < (8u << 20); i++)
        zero &= buf[i] == 0;
    CHECK(zero);
    /* Freed clusters are reused: rewriting does not grow the file. */
    CHECK_OK(blk_flush(img));
    testutil_fill(buf, 8u << 20, 6);
    CHECK_OK(blk_pwrite(img, buf, 8u << 20, 8u << 20));
    blk_close(img);
    CHECK(testutil_qemu_check(path) == 0);
    char out[4096];
    testutil_run(out, sizeof(out), "qemu-img check '%s'", path);
    CHECK(strstr(out, "128/512 = "));
    struct stat st;
    CHECK(stat(path, &st) == 0 && st.st_size <= (8 << 20) + 8 * 65536);
    CHECK(testutil_run(NULL, 0, "qemu-io -c 'read -P 0 0 8M' '%s' | grep -q '^read 8388608'",
                       path) == 0);
    free(buf);
}

static void test_create_errors(void)
{
    struct err e = {0};
    struct blk_qcow2_create_opts o = {.size = MiB_(1), .cluster_size = 1000};
    CHECK(blk_create_qcow2_opts(testutil_path("e1.qcow2"), &o, &e) == -EINVAL);
    CHECK(strstr(e.msg, "e1.qcow2: cluster size 1000 is invalid"));
    err_clear(&e);
    o = (struct blk_qcow2_create_opts){.size = MiB_(1), .cluster_size = 4u << 20};
    CHECK(blk_create_qcow2_opts(testutil_path("e1.qcow2"), &o, &e) == -EINVAL);
    err_clear(&e);
    o = (struct blk_qcow2_create_opts){.size = MiB_(1), .refcount_bits = 3};
    CHECK(blk_create_qcow2_opts(testutil_path("e1.qcow2"), &o, &e) == -EINVAL);
    CHECK(strstr(e.msg, "refcount width 3 is invalid"));
    err_clear(&e);
    CHECK(blk_create_qcow2(testutil_path("e1.qcow2"), 1000, NULL, NULL, &e) == -EINVAL);
    CHECK(strstr(e.msg, "not a multiple of 512"));
    err_clear(&e);
    o = (struct blk_qcow2_create_opts){.size = 1ull << 50, .cluster_size = 512};
    CHECK(blk_create_qcow2_opts(testutil_path("e1.qcow2"), &o, &e) == -EFBIG);
    err_clear(&e);
    char longname[1100];
    memset(longname, 'a', sizeof(longname) - 1);
    longname[sizeof(longname) - 1] = 0;
    CHECK(blk_create_qcow2(testutil_path("e1.qcow2"), MiB_(1), longname, NULL, &e) == -EINVAL);
    CHECK(access(testutil_path("e1.qcow2"), F_OK) != 0); /* nothing left behind */
    /* Size 0 is a valid (empty) disk; it opens and refuses any I/O. */
    err_clear(&e);
    CHECK_OK(blk_create_qcow2(testutil_path("empty.qcow2"), 0, NULL, NULL, &e));
    struct blk_image *img = testutil_open(testutil_path("empty.qcow2"), BLK_FORMAT_AUTO, false, 0);
    REQUIRE(img);
    uint8_t b[1];
    CHECK(blk_size(img) == 0);
    CHECK(blk_pwrite(img, b, 1, 0) == -EINVAL);
    blk_close(img);
    CHECK(testutil_qemu_check(testutil_path("empty.qcow2")) == 0);
}

/* ---- kill -9 at a random moment ---- */

#define CRASH_REGION (256u * 1024)

/* Child: generation g writes pattern g over region g, scribbles over a
 * scratch area, flushes, then reports g. Runs until killed. */
static void crash_child(const char *path, int fd, uint64_t size, enum blk_cache cache)
{
    struct blk_image *img = testutil_open(path, BLK_FORMAT_QCOW2, false, cache);
    if (!img)
        _exit(2);
    uint8_t *buf = malloc(CRASH_REGION);
    uint64_t s = (uint64_t)getpid(), scratch = size / 2;
    for (uint32_t g = 1; (uint64_t)g * CRASH_REGION < scratch; g++) {
        testutil_fill(buf, CRASH_REGION, g);
        if (blk_pwrite(img, buf, CRASH_REGION, (uint64_t)g * CRASH_REGION))
            _exit(3);
        for (int i = 0; i < 8; i++) {
            uint64_t len = testutil_rand(&s) % 20000 + 1;
            uint64_t off = scratch + testutil_rand(&s) % (size - scratch - len);
            int r = i == 7 ? blk_discard(img, off, len) : blk_pwrite(img, buf, len, off);
            if (r)
                _exit(4);
        }
        if (blk_flush(img))
            _exit(5);
        if (write(fd, &g, sizeof(g)) != sizeof(g))
            _exit(6);
    }
    _exit(0);
}

/* Under cache=unsafe flushes do not sync, but a killed process still
 * leaves ordered writes in the page cache: the same guarantees hold. */
static void crash_once(uint32_t cs, uint32_t rbits, enum blk_cache cache, unsigned delay_us)
{
    const char *path = testutil_path("crash.qcow2");
    const uint64_t size = 96u << 20;
    unlink(path);
    struct blk_qcow2_create_opts o = {.size = size, .cluster_size = cs, .refcount_bits = rbits};
    struct err e = {0};
    REQUIRE(blk_create_qcow2_opts(path, &o, &e) == 0);
    int p[2];
    REQUIRE(pipe(p) == 0);
    pid_t pid = fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        close(p[0]);
        crash_child(path, p[1], size, cache);
    }
    close(p[1]);
    usleep(delay_us);
    kill(pid, SIGKILL);
    int st;
    waitpid(pid, &st, 0);
    uint32_t g, last = 0;
    while (read(p[0], &g, sizeof(g)) == sizeof(g))
        last = g;
    close(p[0]);
    /* 0 = clean, 3 = leaked clusters only: both are consistent images. */
    int chk = testutil_qemu_check_leaks_ok(path);
    CHECK(chk == 0 || chk == 3);
    printf("  %u-byte clusters, %s, killed after %u us: %u generations flushed, check %d\n",
           cs, cache == BLK_CACHE_UNSAFE ? "unsafe" : "writeback", delay_us, last, chk);
    struct blk_image *img = testutil_open(path, BLK_FORMAT_QCOW2, false, 0);
    REQUIRE(img);
    uint8_t *want = malloc(CRASH_REGION), *got = malloc(CRASH_REGION);
    for (uint32_t i = 1; i <= last; i++) {
        testutil_fill(want, CRASH_REGION, i);
        CHECK_OK(blk_pread(img, got, CRASH_REGION, (uint64_t)i * CRASH_REGION));
        if (memcmp(want, got, CRASH_REGION)) {
            fprintf(stderr, "generation %u lost after kill (last flushed %u)\n", i, last);
            testutil_failures++;
            break;
        }
    }
    /* The image stays usable: write more and close cleanly. */
    CHECK_OK(blk_pwrite(img, want, CRASH_REGION, size - CRASH_REGION));
    blk_close(img);
    chk = testutil_qemu_check_leaks_ok(path);
    CHECK(chk == 0 || chk == 3);
    free(want);
    free(got);
}

static void test_kill9_consistency(void)
{
    static const struct {
        uint32_t cs, rbits;
    } cfg[] = {{4096, 16}, {512, 64}, {65536, 16}};
    uint64_t s = (uint64_t)time(NULL);
    for (int i = 0; i < 12; i++) {
        enum blk_cache cache = i % 2 ? BLK_CACHE_UNSAFE : BLK_CACHE_WRITEBACK;
        crash_once(cfg[i % 3].cs, cfg[i % 3].rbits, cache,
                   (unsigned)(testutil_rand(&s) % 300000 + 1000));
    }
}

int main(void)
{
    testutil_need_qemu();
    testutil_mkdtemp();
    RUN(test_default_clusters);
    RUN(test_small_clusters_grow_refcount_table);
    RUN(test_4k_clusters_1bit_refcounts_direct);
    RUN(test_2m_clusters_unsafe);
    RUN(test_32k_clusters_32bit_refcounts);
    RUN(test_many_iovecs);
    RUN(test_discard_frees_space);
    RUN(test_create_errors);
    RUN(test_kill9_consistency);
    testutil_rmtree();
    printf("%d failure(s)\n", testutil_failures);
    return testutil_failures ? 1 : 0;
}
