/* SPDX-License-Identifier: MIT */
/*
 * raw_test: the raw driver and the format-neutral checks in image.c:
 * probing, random I/O against a reference buffer (buffered and O_DIRECT
 * with unaligned buffers), scatter/gather, read-only, range checks,
 * discard/write-zeroes, and the probed-raw guard against a guest writing
 * a qcow2 header. Needs no QEMU tools.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "block/block_testutil.h"

#define SIZE (8u << 20)

static uint8_t *make_raw(const char *name)
{
    uint8_t *ref = malloc(SIZE);
    testutil_fill(ref, SIZE, 7);
    if (testutil_write_file(testutil_path(name), ref, SIZE)) {
        free(ref);
        return NULL;
    }
    return ref;
}

static void random_io(enum blk_cache cache)
{
    uint8_t *ref = make_raw("io.raw");
    REQUIRE(ref);
    struct blk_image *img = testutil_open(testutil_path("io.raw"), BLK_FORMAT_AUTO, false, cache);
    REQUIRE(img);
    CHECK(blk_get_format(img) == BLK_FORMAT_RAW);
    CHECK(blk_size(img) == SIZE);
    uint64_t s = 42;
    uint8_t *buf = malloc((1 << 20) + 1);
    for (int i = 0; i < 300; i++) {
        uint64_t len = testutil_rand(&s) % (256 * 1024) + 1;
        uint64_t off = testutil_rand(&s) % (SIZE - len);
        uint8_t *p = buf + (i & 1); /* odd addresses exercise the O_DIRECT bounce */
        if (testutil_rand(&s) % 2) {
            testutil_fill(p, len, (uint64_t)i);
            CHECK_OK(blk_pwrite(img, p, len, off));
            memcpy(ref + off, p, len);
        } else {
            CHECK_OK(blk_pread(img, p, len, off));
            CHECK(!memcmp(p, ref + off, len));
        }
    }
    CHECK_OK(blk_flush(img));
    CHECK(testutil_image_equals(img, ref, SIZE));
    blk_close(img);
    img = testutil_open(testutil_path("io.raw"), BLK_FORMAT_RAW, true, BLK_CACHE_WRITEBACK);
    REQUIRE(img);
    CHECK(testutil_image_equals(img, ref, SIZE));
    blk_close(img);
    free(buf);
    free(ref);
}

static void test_random_io_writeback(void)
{
    random_io(BLK_CACHE_WRITEBACK);
}

static void test_random_io_direct(void)
{
    random_io(BLK_CACHE_NONE);
}

static void test_iovec(void)
{
    uint8_t *ref = make_raw("v.raw");
    REQUIRE(ref);
    struct blk_image *img = testutil_open(testutil_path("v.raw"), BLK_FORMAT_RAW, false, 0);
    REQUIRE(img);
    uint8_t a[100], b[4000], c[7];
    testutil_fill(a, sizeof(a), 1);
    testutil_fill(b, sizeof(b), 2);
    testutil_fill(c, sizeof(c), 3);
    struct iovec v[3] = {{a, sizeof(a)}, {b, sizeof(b)}, {c, sizeof(c)}};
    CHECK_OK(blk_pwritev(img, v, 3, 12345));
    memcpy(ref + 12345, a, sizeof(a));
    memcpy(ref + 12345 + sizeof(a), b, sizeof(b));
    memcpy(ref + 12345 + sizeof(a) + sizeof(b), c, sizeof(c));
    memset(a, 0, sizeof(a));
    memset(b, 0, sizeof(b));
    memset(c, 0, sizeof(c));
    CHECK_OK(blk_preadv(img, v, 3, 12345));
    CHECK(!memcmp(a, ref + 12345, sizeof(a)));
    CHECK(!memcmp(c, ref + 12345 + sizeof(a) + sizeof(b), sizeof(c)));
    CHECK(blk_preadv(img, v, -1, 0) == -EINVAL);
    CHECK(blk_preadv(img, v, BLK_MAX_IOV + 1, 0) == -EINVAL);
    CHECK(blk_preadv(img, v, 0, 0) == 0);
    CHECK(testutil_image_equals(img, ref, SIZE));
    blk_close(img);
    free(ref);
}

static void test_ranges_and_readonly(void)
{
    uint8_t *ref = make_raw("r.raw");
    REQUIRE(ref);
    struct blk_image *img = testutil_open(testutil_path("r.raw"), BLK_FORMAT_AUTO, true, 0);
    REQUIRE(img);
    uint8_t buf[512];
    CHECK(blk_readonly(img));
    CHECK(blk_pwrite(img, buf, sizeof(buf), 0) == -EROFS);
    CHECK(blk_discard(img, 0, 4096) == -EROFS);
    CHECK(blk_write_zeroes(img, 0, 4096) == -EROFS);
    CHECK(blk_flush(img) == 0);
    CHECK(blk_pread(img, buf, sizeof(buf), SIZE - 256) == -EINVAL);
    CHECK(blk_pread(img, buf, sizeof(buf), UINT64_MAX - 10) == -EINVAL);
    CHECK(blk_pread(img, buf, 0, SIZE) == 0);
    CHECK_OK(blk_pread(img, buf, 256, SIZE - 256));
    CHECK(!memcmp(buf, ref + SIZE - 256, 256));
    CHECK(!strcmp(blk_path(img), testutil_path("r.raw")));
    blk_close(img);
    free(ref);
}

static void test_discard_and_zeroes(void)
{
    uint8_t *ref = make_raw("d.raw");
    REQUIRE(ref);
    struct blk_image *img = testutil_open(testutil_path("d.raw"), BLK_FORMAT_RAW, false, 0);
    REQUIRE(img);
    CHECK_OK(blk_discard(img, 1 << 20, 1 << 20));
    memset(ref + (1 << 20), 0, 1 << 20);
    CHECK_OK(blk_write_zeroes(img, 3 * 4096 + 17, 10000));
    memset(ref + 3 * 4096 + 17, 0, 10000);
    CHECK(testutil_image_equals(img, ref, SIZE));
    blk_close(img);
    free(ref);
}

static void test_probed_raw_guard(void)
{
    uint8_t *ref = make_raw("g.raw");
    REQUIRE(ref);
    struct blk_image *img = testutil_open(testutil_path("g.raw"), BLK_FORMAT_AUTO, false, 0);
    REQUIRE(img);
    const uint8_t magic[4] = {'Q', 'F', 'I', 0xfb};
    CHECK(blk_pwrite(img, magic, sizeof(magic), 0) == -EPERM);
    /* Piecewise: "X" then "FI\xfb" is fine, but the final "Q" completes the magic. */
    CHECK_OK(blk_pwrite(img, "X", 1, 0));
    CHECK_OK(blk_pwrite(img, magic + 1, 3, 1));
    CHECK(blk_pwrite(img, magic, 1, 0) == -EPERM);
    CHECK_OK(blk_pwrite(img, magic, sizeof(magic), 8)); /* elsewhere: fine */
    blk_close(img);
    /* With the format given explicitly the user owns the choice. */
    img = testutil_open(testutil_path("g.raw"), BLK_FORMAT_RAW, false, 0);
    REQUIRE(img);
    CHECK_OK(blk_pwrite(img, magic, sizeof(magic), 0));
    blk_close(img);
    free(ref);
}

static void test_locking(void)
{
    uint8_t *ref = make_raw("l.raw");
    REQUIRE(ref);
    const char *p = testutil_path("l.raw");
    struct blk_image *a = testutil_open(p, BLK_FORMAT_RAW, false, 0), *b = NULL;
    REQUIRE(a);
    struct err e = {0};
    struct blk_open_opts o = {.format = BLK_FORMAT_RAW};
    CHECK(blk_open(&b, p, &o, &e) == -EBUSY);
    CHECK(strstr(e.msg, "l.raw: image is in use"));
    o.readonly = true;
    CHECK(blk_open(&b, p, &o, &e) == -EBUSY);
    o.nolock = true;
    CHECK(blk_open(&b, p, &o, &e) == 0);
    blk_close(b);
    blk_close(a);
    /* Readers share. */
    a = testutil_open(p, BLK_FORMAT_RAW, true, 0);
    b = testutil_open(p, BLK_FORMAT_RAW, true, 0);
    CHECK(a && b);
    blk_close(a);
    blk_close(b);
    free(ref);
}

static void test_open_errors(void)
{
    struct blk_image *img = NULL;
    struct err e = {0};
    CHECK(blk_open(&img, testutil_path("missing.raw"), NULL, &e) == -ENOENT);
    CHECK(img == NULL);
    CHECK(strstr(e.msg, "missing.raw") && strstr(e.msg, "No such file"));
    err_clear(&e);
    CHECK(blk_open(&img, testutil_path(""), NULL, &e) < 0);
    CHECK(strstr(e.msg, "Is a directory") || strstr(e.msg, "not a regular file"));
    enum blk_format f;
    enum blk_cache c;
    CHECK(blk_format_parse("qcow2", &f) == 0 && f == BLK_FORMAT_QCOW2);
    CHECK(blk_format_parse("vmdk", &f) == -EINVAL);
    CHECK(blk_cache_parse("none", &c) == 0 && c == BLK_CACHE_NONE);
    CHECK(blk_cache_parse("directsync", &c) == -EINVAL);
}

int main(void)
{
    testutil_mkdtemp();
    RUN(test_random_io_writeback);
    RUN(test_random_io_direct);
    RUN(test_iovec);
    RUN(test_ranges_and_readonly);
    RUN(test_discard_and_zeroes);
    RUN(test_probed_raw_guard);
    RUN(test_locking);
    RUN(test_open_errors);
    testutil_rmtree();
    printf("%d failure(s)\n", testutil_failures);
    return testutil_failures ? 1 : 0;
}
