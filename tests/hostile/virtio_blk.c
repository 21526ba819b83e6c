/* SPDX-License-Identifier: MIT */
/*
 * virtio_blk: a hostile bare-metal guest that attacks the virtio-blk device
 * in virtio-mmio slot 0 (rvisor run --disk SCRATCH --no-rng) the way a
 * broken or malicious driver could: descriptor loops, a chain longer than
 * allowed, buffers outside RAM and wrapping the address space, misaligned
 * rings, rings outside RAM, out-of-range queue and descriptor indexes,
 * avail.idx running ahead, nested indirect tables, requests without a
 * status byte, writes to read-only registers and odd-sized accesses.
 *
 * After each attack it checks what the device reports (DEVICE_NEEDS_RESET
 * and a config interrupt, or the attack ignored), resets the device and
 * proves it still serves a good request. The VMM must survive all of it:
 * the program ends with PASS through SBI SRST, and rvisor exits 0.
 *
 * Runs on the ISA test runtime (tests/isa/rt): S-mode, UART console,
 * scratch memory in rt_fixed_area. Waits are bounded polls of guest time.
 */
#include "rt.h"

const char rt_test_name[] = "virtio_blk";

#define VIRTIO_BASE 0x10001000ul
#define RAM_END 0x84000000ul /* --mem 64M */

/* virtio-mmio registers (virtio 1.2 §4.2.2) */
#define R_MAGIC 0x000
#define R_VERSION 0x004
#define R_DEVICE_ID 0x008
#define R_DEV_FEATURES 0x010
#define R_DEV_FEATURES_SEL 0x014
#define R_DRV_FEATURES 0x020
#define R_DRV_FEATURES_SEL 0x024
#define R_QUEUE_SEL 0x030
#define R_QUEUE_NUM_MAX 0x034
#define R_QUEUE_NUM 0x038
#define R_QUEUE_READY 0x044
#define R_QUEUE_NOTIFY 0x050
#define R_ISR 0x060
#define R_ISR_ACK 0x064
#define R_STATUS 0x070
#define R_DESC_LO 0x080
#define R_DESC_HI 0x084
#define R_AVAIL_LO 0x090
#define R_AVAIL_HI 0x094
#define R_USED_LO 0x0a0
#define R_USED_HI 0x0a4
#define R_CONFIG_GEN 0x0fc
#define R_CONFIG 0x100

#define S_ACK 1
#define S_DRIVER 2
#define S_DRIVER_OK 4
#define S_FEATURES_OK 8
#define S_NEEDS_RESET 0x40

#define F_INDIRECT (1u << 28)
#define F_VERSION_1_HI 1u /* bit 32 */

#define D_NEXT 1
#define D_WRITE 2
#define D_INDIRECT 4

#define QSIZE 16

struct desc {
    uint64_t addr;
    uint32_t len;
    uint16_t flags, next;
};

/* Scratch layout in rt_fixed_area (0x80800000, 4 MiB). */
#define AREA 0x80800000ul
#define DESC ((volatile struct desc *)(AREA + 0x0000))
#define AVAIL ((volatile uint16_t *)(AREA + 0x1000))
#define USED ((volatile uint16_t *)(AREA + 0x2000))
#define HDR ((volatile uint8_t *)(AREA + 0x3000))
#define STATUS ((volatile uint8_t *)(AREA + 0x3100))
#define ITABLE ((volatile struct desc *)(AREA + 0x10000)) /* up to 2048 entries */
#define ITABLE2 ((volatile struct desc *)(AREA + 0x20000))
#define DATA (AREA + 0x100000)

static uint16_t avail_idx;

static uint32_t rd(unsigned off)
{
    return *(volatile uint32_t *)(VIRTIO_BASE + off);
}

static void wr(unsigned off, uint32_t v)
{
    *(volatile uint32_t *)(VIRTIO_BASE + off) = v;
}

static void fence(void)
{
    asm volatile("fence rw, rw" ::: "memory");
}

/* virtio 1.2 §3.1.1 up to FEATURES_OK; returns Status. */
static uint32_t negotiate(uint32_t lo, uint32_t hi)
{
    wr(R_STATUS, 0);
    wr(R_STATUS, S_ACK);
    wr(R_STATUS, S_ACK | S_DRIVER);
    wr(R_DRV_FEATURES_SEL, 0);
    wr(R_DRV_FEATURES, lo);
    wr(R_DRV_FEATURES_SEL, 1);
    wr(R_DRV_FEATURES, hi);
    wr(R_STATUS, S_ACK | S_DRIVER | S_FEATURES_OK);
    return rd(R_STATUS);
}

static void queue_at(uint64_t desc, uint64_t avail, uint64_t used, uint32_t num)
{
    wr(R_QUEUE_SEL, 0);
    wr(R_QUEUE_NUM, num);
    wr(R_DESC_LO, (uint32_t)desc);
    wr(R_DESC_HI, (uint32_t)(desc >> 32));
    wr(R_AVAIL_LO, (uint32_t)avail);
    wr(R_AVAIL_HI, (uint32_t)(avail >> 32));
    wr(R_USED_LO, (uint32_t)used);
    wr(R_USED_HI, (uint32_t)(used >> 32));
    wr(R_QUEUE_READY, 1);
}

/* A working device: features, queue 0 at the standard place, DRIVER_OK. */
static bool bring_up(void)
{
    if (!(negotiate(F_INDIRECT, F_VERSION_1_HI) & S_FEATURES_OK))
        return false;
    memset((void *)(AREA + 0x1000), 0, 0x2000); /* rings; descriptors stay */
    avail_idx = 0;
    queue_at((uint64_t)DESC, (uint64_t)AVAIL, (uint64_t)USED, QSIZE);
    wr(R_STATUS, rd(R_STATUS) | S_DRIVER_OK);
    return rd(R_QUEUE_READY) == 1 && (rd(R_STATUS) & S_DRIVER_OK);
}

static void publish(uint16_t head)
{
    AVAIL[2 + avail_idx % QSIZE] = head;
    fence();
    avail_idx++;
    AVAIL[1] = avail_idx;
    fence();
    wr(R_QUEUE_NOTIFY, 0);
}

/* Poll until `cond` holds or ~20 s of guest time pass. */
#define WAIT(cond)                                                                                 \
    ({                                                                                             \
        uint64_t t0_ = rdtime();                                                                   \
        while (!(cond) && rdtime() - t0_ < 200000000ull)                                           \
            ;                                                                                      \
        (cond);                                                                                    \
    })

static void header(uint32_t type, uint64_t sector)
{
    volatile uint32_t *h = (volatile uint32_t *)HDR;
    h[0] = type;
    h[1] = 0;
    *(volatile uint64_t *)(HDR + 8) = sector;
}

/* A good 512-byte read of sector 0; true if it completes with status 0. */
static bool good_read(void)
{
    uint16_t used = USED[1];
    header(0, 0);
    *STATUS = 0xff;
    DESC[0] = (struct desc){(uint64_t)HDR, 16, D_NEXT, 1};
    DESC[1] = (struct desc){DATA, 512, D_NEXT | D_WRITE, 2};
    DESC[2] = (struct desc){(uint64_t)STATUS, 1, D_WRITE, 0};
    publish(0);
    if (!WAIT(USED[1] != used))
        return false;
    return *STATUS == 0;
}

/* The attack was detected: NEEDS_RESET, a config interrupt; then reset and
 * recover. */
static void expect_needs_reset(const char *what)
{
    bool nr = WAIT(rd(R_STATUS) & S_NEEDS_RESET);
    if (!nr)
        rt_note("%s: no NEEDS_RESET, status 0x%x", what, rd(R_STATUS));
    TRUE(nr);
    TRUE(rd(R_ISR) & 2);
    wr(R_ISR_ACK, rd(R_ISR));
    wr(R_STATUS, 0);
    EQ(rd(R_STATUS), 0);
    TRUE(bring_up());
    TRUE(good_read());
}

/* Publish a one-request chain starting at descriptor `head`, expect reset. */
static void attack_chain(const char *what, uint16_t head)
{
    t_begin(what);
    TRUE(bring_up());
    publish(head);
    expect_needs_reset(what);
    t_end();
}

static void test_identity(void)
{
    t_begin("identity");
    EQ(rd(R_MAGIC), 0x74726976);
    EQ(rd(R_VERSION), 2);
    EQ(rd(R_DEVICE_ID), 2);
    TRUE(bring_up());
    TRUE(good_read());
    t_end();
}

static void test_loops(void)
{
    DESC[0] = (struct desc){(uint64_t)HDR, 16, D_NEXT, 1};
    DESC[1] = (struct desc){DATA, 512, D_NEXT | D_WRITE, 0}; /* back to 0 */
    attack_chain("descriptor loop", 0);

    DESC[5] = (struct desc){(uint64_t)HDR, 16, D_NEXT, 5}; /* itself */
    attack_chain("self loop", 5);

    /* a loop-free chain longer than any queue: 2048 entries, indirect */
    for (unsigned i = 0; i < 2048; i++)
        ITABLE[i] = (struct desc){DATA, 512, (uint16_t)(i < 2047 ? D_NEXT | D_WRITE : D_WRITE),
                                  (uint16_t)(i + 1)};
    ITABLE[0] = (struct desc){(uint64_t)HDR, 16, D_NEXT, 1};
    DESC[0] = (struct desc){(uint64_t)ITABLE, 2048 * 16, D_INDIRECT, 0};
    attack_chain("chain longer than the queue", 0);

    /* a loop inside an indirect table */
    ITABLE[0] = (struct desc){(uint64_t)HDR, 16, D_NEXT, 1};
    ITABLE[1] = (struct desc){DATA, 512, D_NEXT | D_WRITE, 0};
    DESC[0] = (struct desc){(uint64_t)ITABLE, 2 * 16, D_INDIRECT, 0};
    attack_chain("indirect loop", 0);

    /* an indirect table inside an indirect table */
    ITABLE2[0] = (struct desc){(uint64_t)HDR, 16, 0, 0};
    ITABLE[0] = (struct desc){(uint64_t)ITABLE2, 16, D_INDIRECT, 0};
    DESC[0] = (struct desc){(uint64_t)ITABLE, 16, D_INDIRECT, 0};
    attack_chain("nested indirect", 0);
}

static void test_addresses(void)
{
    static const struct {
        const char *what;
        uint64_t addr;
        uint32_t len;
    } bad[] = {
        {"buffer below RAM", 0x1000, 512},
        {"buffer over the end of RAM", RAM_END - 256, 512},
        {"buffer past RAM", RAM_END + 0x100000, 512},
        {"buffer wrapping 2^64", 0xfffffffffffffe00ull, 0x400},
        {"length wrapping", 0x80900000ull, 0xffffffffu},
        {"buffer on the UART", 0x10000000, 512},
        {"buffer on its own registers", VIRTIO_BASE, 512},
    };
    for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        header(0, 0);
        DESC[0] = (struct desc){(uint64_t)HDR, 16, D_NEXT, 1};
        DESC[1] = (struct desc){bad[i].addr, bad[i].len, D_NEXT | D_WRITE, 2};
        DESC[2] = (struct desc){(uint64_t)STATUS, 1, D_WRITE, 0};
        attack_chain(bad[i].what, 0);
    }
    /* an indirect table outside RAM */
    DESC[0] = (struct desc){RAM_END - 16, 64, D_INDIRECT, 0};
    attack_chain("indirect table outside RAM", 0);
}

static void test_indexes(void)
{
    /* head index out of range */
    attack_chain("head out of range", QSIZE + 3);
    /* next index out of range */
    DESC[0] = (struct desc){(uint64_t)HDR, 16, D_NEXT, 999};
    attack_chain("next out of range", 0);
    /* avail.idx far ahead of what the ring can hold */
    t_begin("avail.idx ahead");
    TRUE(bring_up());
    AVAIL[1] = 1000;
    fence();
    wr(R_QUEUE_NOTIFY, 0);
    expect_needs_reset("avail.idx ahead");
    t_end();
    /* no status byte: nothing writable */
    header(0, 0);
    DESC[0] = (struct desc){(uint64_t)HDR, 16, 0, 0};
    attack_chain("request without status", 0);
}

static void test_rings(void)
{
    static const struct {
        const char *what;
        uint64_t desc, avail, used;
        uint32_t num;
    } bad[] = {
        {"misaligned descriptor table", AREA + 8, AREA + 0x1000, AREA + 0x2000, QSIZE},
        {"misaligned avail ring", AREA, AREA + 0x1001, AREA + 0x2000, QSIZE},
        {"misaligned used ring", AREA, AREA + 0x1000, AREA + 0x2002, QSIZE},
        {"descriptor table outside RAM", 0x1000, AREA + 0x1000, AREA + 0x2000, QSIZE},
        {"used ring over the end of RAM", AREA, AREA + 0x1000, RAM_END - 16, QSIZE},
        {"queue larger than QueueNumMax", AREA, AREA + 0x1000, AREA + 0x2000, 4096},
        {"queue of size 0", AREA, AREA + 0x1000, AREA + 0x2000, 0},
    };
    for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        t_begin(bad[i].what);
        TRUE(negotiate(F_INDIRECT, F_VERSION_1_HI) & S_FEATURES_OK);
        queue_at(bad[i].desc, bad[i].avail, bad[i].used, bad[i].num);
        EQ(rd(R_QUEUE_READY), 0);
        wr(R_STATUS, rd(R_STATUS) | S_DRIVER_OK);
        wr(R_QUEUE_NOTIFY, 0);
        EQ(rd(R_STATUS) & S_NEEDS_RESET, S_NEEDS_RESET);
        wr(R_STATUS, 0);
        TRUE(bring_up());
        TRUE(good_read());
        t_end();
    }
}

static void test_registers(void)
{
    t_begin("queue index out of range");
    TRUE(negotiate(F_INDIRECT, F_VERSION_1_HI) & S_FEATURES_OK);
    wr(R_QUEUE_SEL, 5);
    EQ(rd(R_QUEUE_NUM_MAX), 0);
    wr(R_QUEUE_NUM, 8);
    wr(R_DESC_LO, 0x1234);
    wr(R_QUEUE_READY, 1);
    EQ(rd(R_QUEUE_READY), 0);
    wr(R_QUEUE_SEL, 0xffffffffu);
    wr(R_QUEUE_READY, 1);
    EQ(rd(R_STATUS) & S_NEEDS_RESET, 0);
    TRUE(bring_up());
    wr(R_QUEUE_NOTIFY, 1);
    wr(R_QUEUE_NOTIFY, 0xffff);
    wr(R_QUEUE_NOTIFY, 0xffffffffu);
    EQ(rd(R_STATUS) & S_NEEDS_RESET, 0);
    TRUE(good_read());
    t_end();

    t_begin("read-only registers");
    uint32_t feat0, gen = rd(R_CONFIG_GEN);
    wr(R_DEV_FEATURES_SEL, 0);
    feat0 = rd(R_DEV_FEATURES);
    uint32_t cap = rd(R_CONFIG);
    wr(R_MAGIC, 0);
    wr(R_VERSION, 1);
    wr(R_DEVICE_ID, 9);
    wr(R_DEV_FEATURES, 0);
    wr(R_QUEUE_NUM_MAX, 0xffff);
    wr(R_ISR, 0xff);
    wr(R_CONFIG_GEN, 1234);
    wr(0x0f0, 1);
    wr(0x800, 1);                                /* far into config space */
    *(volatile uint32_t *)(VIRTIO_BASE + 0xffc) = 7; /* the last word */
    wr(R_CONFIG, 1);                             /* capacity is read-only */
    EQ(rd(R_MAGIC), 0x74726976);
    EQ(rd(R_VERSION), 2);
    EQ(rd(R_DEVICE_ID), 2);
    EQ(rd(R_DEV_FEATURES), feat0);
    wr(R_QUEUE_SEL, 0);
    TRUE(rd(R_QUEUE_NUM_MAX) != 0xffff);
    EQ(rd(R_CONFIG_GEN), gen);
    EQ(rd(R_CONFIG), cap);
    EQ(rd(0x800), 0);
    /* odd-sized and misaligned accesses to control registers */
    *(volatile uint8_t *)(VIRTIO_BASE + R_STATUS) = 0;
    *(volatile uint16_t *)(VIRTIO_BASE + R_STATUS) = 0;
    *(volatile uint64_t *)(VIRTIO_BASE + R_STATUS) = 0;
    *(volatile uint32_t *)(VIRTIO_BASE + R_STATUS + 2) = 0;
    TRUE(rd(R_STATUS) & S_DRIVER_OK);
    EQ(*(volatile uint16_t *)(VIRTIO_BASE + R_MAGIC), 0);
    /* a live queue cannot be moved */
    wr(R_QUEUE_NUM, 2);
    wr(R_DESC_LO, 0x1000);
    EQ(rd(R_QUEUE_NUM), QSIZE);
    TRUE(good_read());
    t_end();

    t_begin("features");
    EQ(negotiate(F_INDIRECT, 0) & S_FEATURES_OK, 0); /* no VERSION_1 */
    EQ(negotiate(0xffffffffu, 0xffffffffu) & S_FEATURES_OK, 0);
    wr(R_STATUS, 0);
    wr(R_STATUS, S_ACK | S_DRIVER | S_DRIVER_OK); /* DRIVER_OK, no FEATURES_OK */
    EQ(rd(R_STATUS) & S_DRIVER_OK, 0);
    TRUE(bring_up());
    TRUE(good_read());
    t_end();
}

/* A flood of well-formed requests while the driver resets under them. */
static void test_reset_in_flight(void)
{
    t_begin("reset with requests in flight");
    TRUE(bring_up());
    for (uint16_t i = 0; i < QSIZE; i++) {
        DESC[i] = (struct desc){(uint64_t)ITABLE + 64 * i, 3 * 16, D_INDIRECT, 0};
        volatile struct desc *t = (volatile struct desc *)((uint64_t)ITABLE + 64 * i);
        t[0] = (struct desc){(uint64_t)HDR, 16, D_NEXT, 1};
        t[1] = (struct desc){DATA + 65536ull * i, 65536, D_NEXT | D_WRITE, 2};
        t[2] = (struct desc){(uint64_t)STATUS + i, 1, D_WRITE, 0};
    }
    header(0, 0);
    for (uint16_t i = 0; i < QSIZE; i++)
        publish(i);
    wr(R_STATUS, 0);
    EQ(rd(R_STATUS), 0);
    TRUE(bring_up());
    TRUE(good_read());
    t_end();
}

int main(void)
{
    if (rd(R_MAGIC) != 0x74726976 || rd(R_DEVICE_ID) != 2) {
        FAIL("no virtio-blk device in slot 0 (run with --disk FILE --no-rng)");
        return 1;
    }
    test_identity();
    test_loops();
    test_addresses();
    test_indexes();
    test_rings();
    test_registers();
    test_reset_in_flight();
    wr(R_STATUS, 0);
    return 0;
}
