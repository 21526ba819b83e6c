/* SPDX-License-Identifier: MIT */
/*
 * block_testutil: shared helpers for the block/ unit tests: a tiny check
 * framework, temporary directories, running qemu-img/qemu-io, a seeded
 * random generator and reference-buffer comparisons.
 *
 * Tests that need QEMU's tools call testutil_need_qemu(), which exits with
 * status 77 (meson's "skipped") when qemu-img or qemu-io is missing.
 * Single-threaded test programs only.
 */
#ifndef RV_BLOCK_TESTUTIL_H
#define RV_BLOCK_TESTUTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "block/image.h"

extern int testutil_failures;

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);             \
            testutil_failures++;                                                                   \
        }                                                                                          \
    } while (0)

/* Like CHECK, but leave the current test function. */
#define REQUIRE(cond)                                                                              \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "%s:%d: requirement failed: %s\n", __FILE__, __LINE__, #cond);       \
            testutil_failures++;                                                                   \
            return;                                                                                \
        }                                                                                          \
    } while (0)

#define CHECK_OK(expr)                                                                             \
    do {                                                                                           \
        int rc_ = (expr);                                                                          \
        if (rc_ != 0) {                                                                            \
            fprintf(stderr, "%s:%d: %s returned %d\n", __FILE__, __LINE__, #expr, rc_);            \
            testutil_failures++;                                                                   \
        }                                                                                          \
    } while (0)

/* Run one test function, printing its name and result. */
#define RUN(fn)                                                                                    \
    do {                                                                                           \
        int before_ = testutil_failures;                                                           \
        fn();                                                                                      \
        printf("%-44s %s\n", #fn, testutil_failures == before_ ? "ok" : "FAILED");                 \
        fflush(stdout);                                                                            \
    } while (0)

/* Exit 77 unless qemu-img and qemu-io are on PATH. */
void testutil_need_qemu(void);

/* Make a fresh temporary directory; returns its path (static storage). */
const char *testutil_mkdtemp(void);
/* Remove the directory made by testutil_mkdtemp and everything in it. */
void testutil_rmtree(void);
/* `name` inside the temporary directory (a rotating set of static buffers). */
const char *testutil_path(const char *name);

/* Run a shell command built from `fmt`; returns its exit status (or -1).
 * Output goes to `out` (may be NULL) up to `outlen` bytes. */
int testutil_run(char *out, size_t outlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* `qemu-img check` exit status (0 clean, 2 corruption, 3 leaks); prints
 * the report if not clean (or, with `leaks_ok`, if corrupt). */
int testutil_qemu_check(const char *path);
int testutil_qemu_check_leaks_ok(const char *path);

/* xorshift64* */
uint64_t testutil_rand(uint64_t *state);

/* Fill `buf` with bytes derived from `seed`. */
void testutil_fill(uint8_t *buf, size_t len, uint64_t seed);

/* Read the whole image and compare with `ref` (its size); true if equal.
 * Prints the first differing offset. */
bool testutil_image_equals(struct blk_image *img, const uint8_t *ref, uint64_t size);

/* Write `ref` to a raw file `path`. 0 or -errno. */
int testutil_write_file(const char *path, const uint8_t *buf, size_t len);

/* Read [off, off+len) of a host file. 0 or -errno. */
int testutil_read_file(const char *path, uint8_t *buf, size_t len, uint64_t off);

/* Patch bytes of a host file. 0 or -errno. */
int testutil_patch(const char *path, uint64_t off, const void *buf, size_t len);
int testutil_patch_be32(const char *path, uint64_t off, uint32_t v);
int testutil_patch_be64(const char *path, uint64_t off, uint64_t v);

/* FNV-1a of a whole host file, for "unchanged" checks. */
uint64_t testutil_file_hash(const char *path);

/* Open with format/readonly/cache; NULL on failure (error printed). */
struct blk_image *testutil_open(const char *path, enum blk_format fmt, bool ro,
                                enum blk_cache cache);

#endif
