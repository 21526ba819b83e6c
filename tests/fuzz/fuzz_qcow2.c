/* SPDX-License-Identifier: MIT */
/*
 * fuzz_qcow2: a hostile qcow2 file, opened through the block image API and
 * then read, written, discarded, zeroed and flushed. The input is written
 * to a private temporary directory that also holds "base.raw" and
 * "base.qcow2", so that fuzzed backing-file names can resolve to real files
 * (the seed corpus names them; see make_seeds.sh). The last input byte picks
 * read-only or read-write and where the requests land.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "block/image.h"
#include "util/log.h"
#include "fuzz_util.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);

static char dir[64], path[128];
static uint8_t *buf;
#define BUFSZ (1024 * 1024)

static int write_file(const char *p, const void *d, size_t n)
{
    int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0)
        return -1;
    ssize_t w = n ? write(fd, d, n) : 0;
    close(fd);
    return w == (ssize_t)n ? 0 : -1;
}

static void cleanup(void)
{
    char p[160];
    const char *names[] = {"img.qcow2", "base.raw", "base.qcow2"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        snprintf(p, sizeof p, "%s/%s", dir, names[i]);
        unlink(p);
    }
    rmdir(dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    const char *tmp = getenv("TMPDIR");
    if (!tmp || !*tmp)
        tmp = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
    snprintf(dir, sizeof dir, "%s/rvfuzzXXXXXX", tmp);
    if (!mkdtemp(dir))
        abort();
    atexit(cleanup);
    snprintf(path, sizeof path, "%s/img.qcow2", dir);
    buf = malloc(BUFSZ);
    memset(buf, 0x5a, BUFSZ);
    char p[160];
    snprintf(p, sizeof p, "%s/base.raw", dir);
    if (write_file(p, buf, 1 << 20))
        abort();
    snprintf(p, sizeof p, "%s/base.qcow2", dir);
    struct err e = {0};
    if (blk_create_qcow2(p, 1 << 20, NULL, NULL, &e)) {
        fprintf(stderr, "fuzz_qcow2: %s\n", e.msg);
        abort();
    }
    (void)log_set_level("error");
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    uint8_t ctl = data[size - 1];
    if (write_file(path, data, size - 1))
        abort();
    struct blk_open_opts o = {
        .format = (ctl & 1) ? BLK_FORMAT_AUTO : BLK_FORMAT_QCOW2,
        .readonly = ctl & 2,
        .cache = BLK_CACHE_UNSAFE,
        .nolock = true,
    };
    struct blk_image *img;
    struct err e = {0};
    int r = blk_open(&img, path, &o, &e);
    if (r) {
        if (r > 0 || !e.set || !strchr(e.msg, '/') || strchr(e.msg, '\n'))
            abort(); /* one line naming the file */
        return 0;
    }
    uint64_t vs = blk_size(img);
    uint64_t offs[4] = {0, vs / 2, vs > 4096 ? vs - 4096 : 0, (uint64_t)(ctl >> 2) << 16};
    for (int i = 0; i < 4; i++) {
        uint64_t off = offs[i] & ~511ull;
        size_t len = 4096 << (i & 3);
        if (len > BUFSZ)
            len = BUFSZ;
        (void)blk_pread(img, buf, len, off);
        if (!o.readonly) {
            memset(buf, 0x30 + i, len);
            (void)blk_pwrite(img, buf, len, off);
            (void)blk_pread(img, buf, len, off);
        }
    }
    if (!o.readonly) {
        (void)blk_discard(img, 0, 1 << 20);
        (void)blk_write_zeroes(img, vs / 2, 70000);
        struct iovec iov[3] = {{buf, 512}, {buf + 1024, 1536}, {buf + 4096, 2048}};
        (void)blk_pwritev(img, iov, 3, 65536 - 512);
        (void)blk_preadv(img, iov, 3, 65536 - 512);
        (void)blk_flush(img);
    }
    blk_close(img);
    return 0;
}
