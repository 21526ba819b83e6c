/* SPDX-License-Identifier: MIT */
/*
 * block_testutil: helpers shared by the block/ unit tests. See
 * block_testutil.h.
 */
#include "block/block_testutil.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

int testutil_failures;

static char tmpdir[1024];

void testutil_need_qemu(void)
{
    if (system("qemu-img --version >/dev/null 2>&1") != 0 ||
        system("qemu-io --version >/dev/null 2>&1") != 0) {
        printf("qemu-img/qemu-io not found: skipping\n");
        exit(77);
    }
}

const char *testutil_mkdtemp(void)
{
    const char *base = getenv("TMPDIR");
    snprintf(tmpdir, sizeof(tmpdir), "%s/rvisor-block-XXXXXX", base ? base : "/tmp");
    if (!mkdtemp(tmpdir)) {
        perror("mkdtemp");
        exit(1);
    }
    return tmpdir;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

void testutil_rmtree(void)
{
    if (tmpdir[0])
        nftw(tmpdir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
    tmpdir[0] = 0;
}

const char *testutil_path(const char *name)
{
    static char bufs[8][PATH_MAX];
    static unsigned next;
    char *b = bufs[next++ % 8];
    snprintf(b, PATH_MAX, "%s/%s", tmpdir, name);
    return b;
}

int testutil_run(char *out, size_t outlen, const char *fmt, ...)
{
    char cmd[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof(cmd), fmt, ap);
    va_end(ap);
    strncat(cmd, " 2>&1", sizeof(cmd) - strlen(cmd) - 1);
    FILE *p = popen(cmd, "r");
    if (!p)
        return -1;
    char sink[4096];
    size_t used = 0;
    for (;;) {
        char *dst = out && used + 1 < outlen ? out + used : sink;
        size_t room = out && used + 1 < outlen ? outlen - used - 1 : sizeof(sink);
        size_t n = fread(dst, 1, room, p);
        if (n == 0)
            break;
        if (dst != sink)
            used += n;
    }
    if (out && outlen)
        out[used] = 0;
    int st = pclose(p);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static int qemu_check(const char *path, bool leaks_ok)
{
    char out[8192];
    int st = testutil_run(out, sizeof(out), "qemu-img check -f qcow2 '%s'", path);
    if (st != 0 && !(leaks_ok && st == 3))
        fprintf(stderr, "qemu-img check %s: status %d\n%s\n", path, st, out);
    return st;
}

int testutil_qemu_check(const char *path)
{
    return qemu_check(path, false);
}

int testutil_qemu_check_leaks_ok(const char *path)
{
    return qemu_check(path, true);
}

uint64_t testutil_rand(uint64_t *s)
{
    uint64_t x = *s;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *s = x;
    return x * 0x2545f4914f6cdd1dull;
}

void testutil_fill(uint8_t *buf, size_t len, uint64_t seed)
{
    uint64_t s = seed * 0x9e3779b97f4a7c15ull + 1;
    for (size_t i = 0; i < len; i++) {
        if (i % 8 == 0)
            testutil_rand(&s);
        buf[i] = (uint8_t)(s >> (8 * (i % 8)));
    }
}

bool testutil_image_equals(struct blk_image *img, const uint8_t *ref, uint64_t size)
{
    const size_t chunk = 1 << 20;
    uint8_t *buf = malloc(chunk);
    bool ok = true;
    for (uint64_t off = 0; ok && off < size; off += chunk) {
        size_t n = size - off < chunk ? (size_t)(size - off) : chunk;
        int r = blk_pread(img, buf, n, off);
        if (r) {
            fprintf(stderr, "read at 0x%llx failed: %d\n", (unsigned long long)off, r);
            ok = false;
            break;
        }
        for (size_t i = 0; i < n; i++) {
            if (buf[i] != ref[off + i]) {
                fprintf(stderr, "image differs at 0x%llx: 0x%02x, expected 0x%02x\n",
                        (unsigned long long)(off + i), buf[i], ref[off + i]);
                ok = false;
                break;
            }
        }
    }
    free(buf);
    return ok;
}

int testutil_write_file(const char *path, const uint8_t *buf, size_t len)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0)
        return -errno;
    size_t done = 0;
    while (done < len) {
        ssize_t n = write(fd, buf + done, len - done);
        if (n <= 0) {
            close(fd);
            return -EIO;
        }
        done += (size_t)n;
    }
    close(fd);
    return 0;
}

int testutil_read_file(const char *path, uint8_t *buf, size_t len, uint64_t off)
{
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return -errno;
    ssize_t n = pread(fd, buf, len, (off_t)off);
    close(fd);
    return n == (ssize_t)len ? 0 : -EIO;
}

int testutil_patch(const char *path, uint64_t off, const void *buf, size_t len)
{
    int fd = open(path, O_WRONLY);
    if (fd < 0)
        return -errno;
    ssize_t n = pwrite(fd, buf, len, (off_t)off);
    close(fd);
    return n == (ssize_t)len ? 0 : -EIO;
}

int testutil_patch_be32(const char *path, uint64_t off, uint32_t v)
{
    uint8_t b[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};
    return testutil_patch(path, off, b, sizeof(b));
}

int testutil_patch_be64(const char *path, uint64_t off, uint64_t v)
{
    uint8_t b[8];
    for (int i = 0; i < 8; i++)
        b[i] = (uint8_t)(v >> (56 - 8 * i));
    return testutil_patch(path, off, b, sizeof(b));
}

uint64_t testutil_file_hash(const char *path)
{
    uint64_t h = 0xcbf29ce484222325ull;
    FILE *f = fopen(path, "rb");
    if (!f)
        return 0;
    int c;
    while ((c = getc(f)) != EOF)
        h = (h ^ (uint8_t)c) * 0x100000001b3ull;
    fclose(f);
    return h;
}

struct blk_image *testutil_open(const char *path, enum blk_format fmt, bool ro,
                                enum blk_cache cache)
{
    struct blk_open_opts o = {.format = fmt, .readonly = ro, .cache = cache};
    struct err e = {0};
    struct blk_image *img = NULL;
    if (blk_open(&img, path, &o, &e)) {
        fprintf(stderr, "open %s: %s\n", path, e.msg);
        return NULL;
    }
    return img;
}
