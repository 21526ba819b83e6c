/* SPDX-License-Identifier: MIT */
/*
 * img: `rvisor img create` and `rvisor img info`, so that users can make
 * overlays (linked clones of a template) and inspect images without
 * qemu-img. The image work is block/'s (blk_create_qcow2_opts, blk_open);
 * this file parses arguments and prints.
 *
 *   rvisor img create [-f raw|qcow2] [-b BACKING [-F raw|qcow2]] [-o cluster_size=N] FILE [SIZE]
 *   rvisor img info FILE
 *
 * SIZE takes K, M, G, T suffixes (powers of 1024); a bare number is bytes,
 * as with qemu-img. `info` opens the image (and its backing chain) through
 * block/, so a corrupt image or a missing backing file is reported as an
 * error; the header fields it prints are read here.
 */
#include "vm/img.h"

#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "block/image.h"
#include "util/parse.h"

static const char usage_img[] =
    "usage: rvisor img create [-f raw|qcow2] [-b BACKING [-F raw|qcow2]] [-o cluster_size=N]\n"
    "                         FILE [SIZE]\n"
    "       rvisor img info FILE\n"
    "\n"
    "create  a new image (never replaces FILE). qcow2 images are version 3 with\n"
    "        64 KiB clusters unless -o cluster_size= says otherwise. With -b, the\n"
    "        image is an overlay of BACKING (stored as given, relative to FILE's\n"
    "        directory); SIZE defaults to the backing file's size. -f defaults to raw.\n"
    "info    print format, sizes, cluster size and backing file.\n"
    "\n"
    "SIZE takes K, M, G or T (powers of 1024); a bare number is bytes.\n"
    "Exit status: 0 on success, 2 on bad usage or an image that cannot be made or read.\n";

static int fail(const char *fmt, const char *a, const char *b)
{
    fprintf(stderr, "rvisor img: ");
    fprintf(stderr, fmt, a, b);
    fputc('\n', stderr);
    return 2;
}

/* qemu-img style: a bare number is bytes; otherwise parse_size's suffixes. */
static int parse_img_size(const char *s, uint64_t *out)
{
    size_t n = strlen(s);
    if (n && s[n - 1] >= '0' && s[n - 1] <= '9') {
        char *end;
        errno = 0;
        unsigned long long v = strtoull(s, &end, 10);
        if (errno || *end || s[0] == '-')
            return -EINVAL;
        *out = v;
        return 0;
    }
    return parse_size(s, out);
}

static int cmd_create(int argc, char **argv)
{
    enum blk_format fmt = BLK_FORMAT_RAW, bfmt = BLK_FORMAT_AUTO;
    struct blk_qcow2_create_opts o = {0};
    int c;
    optind = 1;
    opterr = 0;
    while ((c = getopt(argc, argv, "+f:b:F:o:h")) != -1) {
        switch (c) {
        case 'f':
            if (blk_format_parse(optarg, &fmt) < 0 || fmt == BLK_FORMAT_AUTO)
                return fail("-f: unknown format '%s' (expected raw or qcow2)%s", optarg, "");
            break;
        case 'b': o.backing_file = optarg; break;
        case 'F':
            if (blk_format_parse(optarg, &bfmt) < 0 || bfmt == BLK_FORMAT_AUTO)
                return fail("-F: unknown format '%s' (expected raw or qcow2)%s", optarg, "");
            o.backing_fmt = optarg;
            break;
        case 'o': {
            uint64_t cs;
            if (strncmp(optarg, "cluster_size=", 13) || parse_img_size(optarg + 13, &cs) < 0 ||
                cs > UINT32_MAX)
                return fail("-o: expected cluster_size=N, got '%s'%s", optarg, "");
            o.cluster_size = (uint32_t)cs;
            break;
        }
        case 'h': fputs(usage_img, stdout); return 0;
        default: return fail("create: unknown or incomplete option %s%s", argv[optind - 1], "");
        }
    }
    if (optind >= argc || argc - optind > 2)
        return fail("create: expected FILE [SIZE] (see rvisor img --help)%s%s", "", "");
    const char *path = argv[optind];
    if (optind + 1 < argc && parse_img_size(argv[optind + 1], &o.size) < 0)
        return fail("create: '%s' is not a size like 64M or 10G%s", argv[optind + 1], "");
    struct err e = {0};
    if (fmt == BLK_FORMAT_QCOW2) {
        if (!o.size && !o.backing_file)
            return fail("create: %s: SIZE is required without -b%s", path, "");
        if (blk_create_qcow2_opts(path, &o, &e) < 0)
            return fail("%s%s", e.msg, "");
        printf("created %s (qcow2%s%s)\n", path, o.backing_file ? ", backing file " : "",
               o.backing_file ? o.backing_file : "");
        return 0;
    }
    if (o.backing_file || o.cluster_size)
        return fail("create: %s: -b and -o need -f qcow2%s", path, "");
    if (!o.size)
        return fail("create: %s: SIZE is required%s", path, "");
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0)
        return fail("%s: %s", path, strerror(errno));
    if (ftruncate(fd, (off_t)o.size) < 0 || fsync(fd) < 0) {
        int err = errno;
        close(fd);
        unlink(path);
        return fail("%s: %s", path, strerror(err));
    }
    close(fd);
    printf("created %s (raw)\n", path);
    return 0;
}

static void human(char *buf, size_t n, uint64_t v)
{
    static const char *units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
    double d = (double)v;
    unsigned u = 0;
    while (d >= 1024 && u + 1 < sizeof(units) / sizeof(units[0])) {
        d /= 1024;
        u++;
    }
    if (u == 0)
        snprintf(buf, n, "%" PRIu64 " B", v);
    else
        snprintf(buf, n, "%.3g %s", d, units[u]);
}

static uint32_t be32(const uint8_t *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return be32toh(v);
}

static uint64_t be64(const uint8_t *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
    return be64toh(v);
}

/* Print the qcow2 header fields users care about. The image was already
 * opened (validated) by blk_open; every offset is still checked here. */
static void qcow2_details(int fd)
{
    uint8_t h[112];
    if (pread(fd, h, sizeof(h), 0) != (ssize_t)sizeof(h))
        return;
    uint32_t version = be32(h + 4), cluster_bits = be32(h + 20);
    uint64_t boff = be64(h + 8);
    uint32_t blen = be32(h + 16);
    printf("cluster_size: %u\n", cluster_bits < 32 ? 1u << cluster_bits : 0);
    printf("qcow2 version: %u\n", version);
    char name[1024];
    if (boff && blen && blen < sizeof(name) &&
        pread(fd, name, blen, (off_t)boff) == (ssize_t)blen) {
        name[blen] = '\0';
        printf("backing file: %s\n", name);
    }
    /* header extensions: after the header, within the first cluster */
    uint32_t hlen = version >= 3 ? be32(h + 100) : 72;
    uint64_t cs = cluster_bits < 22 ? 1ull << cluster_bits : 0, off = hlen;
    while (off + 8 <= cs) {
        uint8_t eh[8];
        if (pread(fd, eh, 8, (off_t)off) != 8)
            break;
        uint32_t type = be32(eh), len = be32(eh + 4);
        if (type == 0 || len > cs - off - 8)
            break;
        if (type == 0xe2792acau && len < sizeof(name) &&
            pread(fd, name, len, (off_t)(off + 8)) == (ssize_t)len) {
            name[len] = '\0';
            printf("backing file format: %s\n", name);
        }
        off += 8 + ((len + 7ull) & ~7ull);
    }
}

static int cmd_info(int argc, char **argv)
{
    if (argc == 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
        fputs(usage_img, stdout);
        return 0;
    }
    if (argc != 2)
        return fail("info: expected one FILE (see rvisor img --help)%s%s", "", "");
    const char *path = argv[1];
    struct blk_open_opts o = {.readonly = true};
    struct blk_image *img;
    struct err e = {0};
    if (blk_open(&img, path, &o, &e) < 0)
        return fail("%s%s", e.msg, "");
    enum blk_format fmt = blk_get_format(img);
    uint64_t size = blk_size(img);
    blk_close(img);
    struct stat st;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0 || fstat(fd, &st) < 0) {
        if (fd >= 0)
            close(fd);
        return fail("%s: %s", path, strerror(errno));
    }
    char vs[32], ds[32];
    human(vs, sizeof(vs), size);
    human(ds, sizeof(ds), (uint64_t)st.st_blocks * 512);
    printf("image: %s\nfile format: %s\nvirtual size: %s (%" PRIu64 " bytes)\ndisk size: %s\n",
           path, blk_format_name(fmt), vs, size, ds);
    if (fmt == BLK_FORMAT_QCOW2)
        qcow2_details(fd);
    close(fd);
    return 0;
}

int img_main(int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
        fputs(usage_img, argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    if (!strcmp(argv[1], "create"))
        return cmd_create(argc - 1, argv + 1);
    if (!strcmp(argv[1], "info"))
        return cmd_info(argc - 1, argv + 1);
    return fail("unknown subcommand '%s' (expected create or info)%s", argv[1], "");
}
