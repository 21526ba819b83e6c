/* SPDX-License-Identifier: MIT */
/*
 * blk_test: virtio-blk on a raw image in a temporary file, driven through
 * the transport registers and hand-built rings: write and read back
 * (checked against the host file), headers and data split over
 * descriptors, flush, GET_ID, discard and write-zeroes, range and size
 * checks (IOERR), unknown types and the discard unmap flag (UNSUPP), a
 * read-only disk, and malformed requests (no status byte, short header, a
 * descriptor loop) that put the device into NEEDS_RESET. The counters
 * (virtio_blk_get_stats) follow each of these.
 */
#include <endian.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "virtio/blk.h"
#include "virtio/virtio_testutil.h"

#define QBASE (TU_RAM_BASE + 0x1000)
#define HDR (TU_RAM_BASE + 0x8000)
#define STATUS (TU_RAM_BASE + 0x8100)
#define DATA (TU_RAM_BASE + 0x100000)
#define DISK_SIZE (1u << 20)
#define QSIZE 16

#define T_IN 0
#define T_OUT 1
#define T_FLUSH 4
#define T_GET_ID 8
#define T_DISCARD 11
#define T_WRITE_ZEROES 13
#define S_OK 0
#define S_IOERR 1
#define S_UNSUPP 2

static struct ram ram;
static int irq_level;
static char path[64];

struct rig {
    struct virtio_dev *d;
    struct tu_queue t;
};

static bool start(struct rig *r, bool readonly)
{
    strcpy(path, "/tmp/rvisor-blk-test-XXXXXX");
    int fd = mkstemp(path);
    if (fd < 0 || ftruncate(fd, DISK_SIZE) < 0)
        return false;
    close(fd);
    struct blk_open_opts o = {.format = BLK_FORMAT_RAW, .readonly = readonly};
    struct blk_image *img;
    struct err e = {0};
    if (blk_open(&img, path, &o, &e) < 0) {
        fprintf(stderr, "%s\n", e.msg);
        return false;
    }
    struct virtio_mmio_params p = {.ram = &ram, .base = 0x10001000, .irq = tu_irq_line(&irq_level)};
    if (virtio_blk_new(&r->d, &p, img, "serial-0123456789abcdef", &e) < 0) {
        fprintf(stderr, "%s\n", e.msg);
        blk_close(img);
        return false;
    }
    tu_queue_init(&r->t, &ram, QSIZE, QBASE);
    uint64_t f = (1ull << VIRTIO_F_VERSION_1) | (1ull << VIRTIO_F_RING_EVENT_IDX);
    return tu_bringup(r->d, f, &r->t, 1) & VIRTIO_CONFIG_S_DRIVER_OK;
}

static void stop(struct rig *r)
{
    virtio_dev_free(r->d);
    unlink(path);
}

static void put_hdr(uint32_t type, uint64_t sector)
{
    uint8_t *h = tu_ptr(&ram, HDR, 16);
    uint32_t t = htole32(type);
    uint64_t s = htole64(sector);
    memcpy(h, &t, 4);
    memset(h + 4, 0, 4);
    memcpy(h + 8, &s, 8);
}

/* Notify, run the I/O side, return the status byte (0xff if unanswered). */
static uint8_t kick(struct rig *r)
{
    uint8_t *st = tu_ptr(&ram, STATUS, 1);
    *st = 0xff;
    uint16_t used = tu_used_idx(&r->t);
    tu_wr(r->d, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
    virtio_dev_run_kicks(r->d);
    if (tu_used_idx(&r->t) == used)
        return 0xff;
    return *st;
}

/* Header, `len` bytes of data at DATA (readable for writes), status. */
static uint8_t request(struct rig *r, uint32_t type, uint64_t sector, uint32_t len, bool dev_writes)
{
    put_hdr(type, sector);
    uint16_t w = dev_writes ? VIRTQ_DESC_F_WRITE : 0;
    tu_desc(&r->t, 0, HDR, 16, VIRTQ_DESC_F_NEXT, 1);
    if (len) {
        tu_desc(&r->t, 1, DATA, len, VIRTQ_DESC_F_NEXT | w, 2);
        tu_desc(&r->t, 2, STATUS, 1, VIRTQ_DESC_F_WRITE, 0);
    } else {
        tu_desc(&r->t, 1, STATUS, 1, VIRTQ_DESC_F_WRITE, 0);
    }
    tu_publish(&r->t, 0);
    return kick(r);
}

static void fill(uint8_t *p, size_t n, unsigned seed)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (uint8_t)(i * 7 + seed);
}

static void test_config(void)
{
    struct rig r;
    if (!start(&r, false)) {
        CHECK(0);
        return;
    }
    CHECK_EQ(virtio_mmio_ops.read(r.d, VIRTIO_MMIO_CONFIG + 0, 8), DISK_SIZE / 512);
    CHECK_EQ(tu_rd(r.d, VIRTIO_MMIO_CONFIG + 12), VIRTIO_BLK_SEG_MAX);
    tu_wr(r.d, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
    uint32_t f = tu_rd(r.d, VIRTIO_MMIO_DEVICE_FEATURES);
    CHECK(f & (1u << 9));    /* FLUSH */
    CHECK(f & (1u << 13));   /* DISCARD */
    CHECK(!(f & (1u << 5))); /* not RO */
    stop(&r);
}

static void test_read_write(void)
{
    struct rig r;
    if (!start(&r, false)) {
        CHECK(0);
        return;
    }
    uint8_t *data = tu_ptr(&ram, DATA, 65536);
    fill(data, 8192, 1);
    CHECK_EQ(request(&r, T_OUT, 8, 8192, false), S_OK);
    CHECK_EQ(tu_used(&r.t, 0).len, 1);
    CHECK_EQ(irq_level, 1);
    tu_wr(r.d, VIRTIO_MMIO_INTERRUPT_ACK, 1);
    /* on the host, at byte 4096 */
    uint8_t host[8192];
    int fd = open(path, O_RDONLY);
    CHECK_EQ(pread(fd, host, sizeof(host), 8 * 512), sizeof(host));
    close(fd);
    CHECK(!memcmp(host, data, 8192));
    memset(data, 0, 8192);
    CHECK_EQ(request(&r, T_IN, 8, 8192, true), S_OK);
    CHECK_EQ(tu_used(&r.t, 1).len, 8193);
    CHECK(!memcmp(host, data, 8192));
    /* header split 8+8, data over three segments, read of 3 sectors */
    memset(data, 0, 8192);
    put_hdr(T_IN, 9);
    tu_desc(&r.t, 3, HDR, 8, VIRTQ_DESC_F_NEXT, 4);
    tu_desc(&r.t, 4, HDR + 8, 8, VIRTQ_DESC_F_NEXT, 5);
    tu_desc(&r.t, 5, DATA, 100, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, 6);
    tu_desc(&r.t, 6, DATA + 100, 1000, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, 7);
    tu_desc(&r.t, 7, DATA + 1100, 436, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, 8);
    tu_desc(&r.t, 8, STATUS, 1, VIRTQ_DESC_F_WRITE, 0);
    tu_publish(&r.t, 3);
    CHECK_EQ(kick(&r), S_OK);
    CHECK(!memcmp(data, host + 512, 1536));
    /* flush and GET_ID */
    CHECK_EQ(request(&r, T_FLUSH, 0, 0, false), S_OK);
    memset(data, 0, 32);
    CHECK_EQ(request(&r, T_GET_ID, 0, 20, true), S_OK);
    CHECK(!memcmp(data, "serial-0123456789abc", 20));
    /* counted: successful requests and their data bytes, by type */
    struct virtio_blk_stats st;
    virtio_blk_get_stats(r.d, &st);
    CHECK_EQ(st.wr_reqs, 1);
    CHECK_EQ(st.wr_bytes, 8192);
    CHECK_EQ(st.rd_reqs, 2);
    CHECK_EQ(st.rd_bytes, 8192 + 1536);
    CHECK_EQ(st.flushes, 1);
    CHECK_EQ(st.errors, 0);
    stop(&r);
}

static void test_errors(void)
{
    struct rig r;
    if (!start(&r, false)) {
        CHECK(0);
        return;
    }
    uint64_t cap = DISK_SIZE / 512;
    CHECK_EQ(request(&r, T_IN, cap, 512, true), S_IOERR);
    CHECK_EQ(request(&r, T_IN, cap - 1, 1024, true), S_IOERR);
    CHECK_EQ(request(&r, T_OUT, 1ull << 63, 512, false), S_IOERR);
    CHECK_EQ(request(&r, T_OUT, ~0ull, 512, false), S_IOERR);
    CHECK_EQ(request(&r, T_IN, 0, 100, true), S_IOERR); /* not whole sectors */
    CHECK_EQ(request(&r, T_IN, cap - 1, 512, true), S_OK);
    CHECK_EQ(request(&r, 99, 0, 0, false), S_UNSUPP);
    CHECK_EQ(request(&r, 10, 0, 512, true), S_UNSUPP); /* GET_LIFETIME */
    CHECK(!(tu_rd(r.d, VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_NEEDS_RESET));
    /* every refused request is an error; only the good read counts as one */
    struct virtio_blk_stats st;
    virtio_blk_get_stats(r.d, &st);
    CHECK_EQ(st.errors, 7);
    CHECK_EQ(st.rd_reqs, 1);
    CHECK_EQ(st.rd_bytes, 512);
    CHECK_EQ(st.wr_reqs, 0);
    CHECK_EQ(st.wr_bytes, 0);
    stop(&r);
}

static void put_range(unsigned i, uint64_t sector, uint32_t n, uint32_t flags)
{
    uint8_t *p = tu_ptr(&ram, DATA + 16ull * i, 16);
    uint64_t s = htole64(sector);
    uint32_t c = htole32(n), f = htole32(flags);
    memcpy(p, &s, 8);
    memcpy(p + 8, &c, 4);
    memcpy(p + 12, &f, 4);
}

static void test_discard_zeroes(void)
{
    struct rig r;
    if (!start(&r, false)) {
        CHECK(0);
        return;
    }
    uint8_t *data = tu_ptr(&ram, DATA + 0x10000, 65536);
    fill(data, 65536, 3);
    put_hdr(T_OUT, 0);
    tu_desc(&r.t, 0, HDR, 16, VIRTQ_DESC_F_NEXT, 1);
    tu_desc(&r.t, 1, DATA + 0x10000, 65536, VIRTQ_DESC_F_NEXT, 2);
    tu_desc(&r.t, 2, STATUS, 1, VIRTQ_DESC_F_WRITE, 0);
    tu_publish(&r.t, 0);
    CHECK_EQ(kick(&r), S_OK);
    /* two ranges: discard sectors 8..15 and 64..71 */
    put_range(0, 8, 8, 0);
    put_range(1, 64, 8, 0);
    CHECK_EQ(request(&r, T_DISCARD, 0, 32, false), S_OK);
    put_range(0, 16, 8, 1); /* unmap flag: not for discard */
    CHECK_EQ(request(&r, T_DISCARD, 0, 16, false), S_UNSUPP);
    put_range(0, 16, 8, 1); /* ...but fine for write zeroes */
    CHECK_EQ(request(&r, T_WRITE_ZEROES, 0, 16, false), S_OK);
    put_range(0, DISK_SIZE / 512 - 4, 8, 0);
    CHECK_EQ(request(&r, T_WRITE_ZEROES, 0, 16, false), S_IOERR);
    CHECK_EQ(request(&r, T_DISCARD, 0, 15, false), S_IOERR); /* partial segment */
    /* read back 64 KiB: zeros at sectors 8..23 and 64..71 */
    memset(data, 0xee, 65536);
    put_hdr(T_IN, 0);
    tu_desc(&r.t, 0, HDR, 16, VIRTQ_DESC_F_NEXT, 1);
    tu_desc(&r.t, 1, DATA + 0x10000, 65536, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, 2);
    tu_desc(&r.t, 2, STATUS, 1, VIRTQ_DESC_F_WRITE, 0);
    tu_publish(&r.t, 0);
    CHECK_EQ(kick(&r), S_OK);
    uint8_t ref[65536];
    fill(ref, sizeof(ref), 3);
    memset(ref + 8 * 512, 0, 16 * 512);
    memset(ref + 64 * 512, 0, 8 * 512);
    CHECK(!memcmp(data, ref, sizeof(ref)));
    stop(&r);
}

static void test_readonly(void)
{
    struct rig r;
    if (!start(&r, true)) {
        CHECK(0);
        return;
    }
    tu_wr(r.d, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
    uint32_t f = tu_rd(r.d, VIRTIO_MMIO_DEVICE_FEATURES);
    CHECK(f & (1u << 5));     /* RO */
    CHECK(!(f & (1u << 13))); /* no DISCARD */
    CHECK_EQ(request(&r, T_OUT, 0, 512, false), S_IOERR);
    put_range(0, 0, 8, 0);
    CHECK_EQ(request(&r, T_DISCARD, 0, 16, false), S_IOERR);
    CHECK_EQ(request(&r, T_IN, 0, 512, true), S_OK);
    CHECK_EQ(request(&r, T_FLUSH, 0, 0, false), S_OK);
    stop(&r);
}

static void test_malformed(void)
{
    struct rig r;
    /* no writable byte for the status */
    if (!start(&r, false)) {
        CHECK(0);
        return;
    }
    put_hdr(T_IN, 0);
    tu_desc(&r.t, 0, HDR, 16, 0, 0);
    tu_publish(&r.t, 0);
    CHECK_EQ(kick(&r), 0xff);
    CHECK(tu_rd(r.d, VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_NEEDS_RESET);
    CHECK(tu_rd(r.d, VIRTIO_MMIO_INTERRUPT_STATUS) & VIRTIO_MMIO_INT_CONFIG);
    /* nothing more is processed until reset */
    CHECK_EQ(request(&r, T_FLUSH, 0, 0, false), 0xff);
    /* after a reset and bring-up it works again; the counters survive it */
    tu_queue_init(&r.t, &ram, QSIZE, QBASE);
    CHECK(tu_bringup(r.d, 1ull << VIRTIO_F_VERSION_1, &r.t, 1) & VIRTIO_CONFIG_S_DRIVER_OK);
    CHECK_EQ(request(&r, T_FLUSH, 0, 0, false), S_OK);
    struct virtio_blk_stats st;
    virtio_blk_get_stats(r.d, &st);
    CHECK_EQ(st.errors, 1);
    CHECK_EQ(st.flushes, 1);
    /* a short header */
    tu_desc(&r.t, 0, HDR, 8, VIRTQ_DESC_F_NEXT, 1);
    tu_desc(&r.t, 1, STATUS, 1, VIRTQ_DESC_F_WRITE, 0);
    tu_publish(&r.t, 0);
    CHECK_EQ(kick(&r), 0xff);
    CHECK(tu_rd(r.d, VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_NEEDS_RESET);
    /* a descriptor loop */
    tu_queue_init(&r.t, &ram, QSIZE, QBASE);
    tu_bringup(r.d, 1ull << VIRTIO_F_VERSION_1, &r.t, 1);
    tu_desc(&r.t, 0, HDR, 16, VIRTQ_DESC_F_NEXT, 1);
    tu_desc(&r.t, 1, STATUS, 1, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 0);
    tu_publish(&r.t, 0);
    CHECK_EQ(kick(&r), 0xff);
    CHECK(tu_rd(r.d, VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_NEEDS_RESET);
    stop(&r);
}

int main(void)
{
    tu_ram_init(&ram);
    RUN(test_config);
    RUN(test_read_write);
    RUN(test_errors);
    RUN(test_discard_zeroes);
    RUN(test_readonly);
    RUN(test_malformed);
    ram_destroy(&ram);
    return check_failures ? 1 : 0;
}
