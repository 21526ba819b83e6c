/* SPDX-License-Identifier: MIT */
/*
 * mmio_test: the virtio-mmio transport driven through its register
 * callbacks with a fake two-queue device: identity registers, feature
 * negotiation (VERSION_1 required, no unoffered bits), queue setup and its
 * checks, notifications (deferred until DRIVER_OK, out-of-range queues),
 * interrupt status and line level, NEEDS_RESET, reset, config space bounds
 * and generation, and what a hostile driver may not do (read-only
 * registers, odd-sized accesses, changing a live queue).
 */
#include <string.h>

#include "virtio/virtio_testutil.h"

#define QBASE0 (TU_RAM_BASE + 0x1000)
#define QBASE1 (TU_RAM_BASE + 0x3000)

static struct ram ram;
static int irq_level;
static unsigned notified[2];
static unsigned resets;
static unsigned config_writes;

static void fake_notify(void *opaque, unsigned q)
{
    notified[q]++;
}

static void fake_reset(void *opaque)
{
    resets++;
}

static void fake_config_write(void *opaque, unsigned off, unsigned size, uint64_t val)
{
    struct virtio_dev *d = *(struct virtio_dev **)opaque;
    config_writes++;
    if (off == 4 && size == 1) /* one writable byte */
        d->config[4] = (uint8_t)val;
}

static struct virtio_dev *fake_dev;

static const struct virtio_dev_ops fake_ops = {
    .name = "fake",
    .device_id = 42,
    .features = 1ull << 3,
    .nqueues = 2,
    .queue_max = 16,
    .config_size = 8,
    .queue_notify = fake_notify,
    .config_write = fake_config_write,
    .reset = fake_reset,
};

static const uint64_t good_features = (1ull << VIRTIO_F_VERSION_1) | (1ull << 3);

static struct virtio_dev *new_dev(void)
{
    struct virtio_mmio_params p = {.ram = &ram, .base = 0x10001000, .irq = tu_irq_line(&irq_level)};
    struct err e = {0};
    CHECK_EQ(virtio_mmio_new(&fake_dev, &fake_ops, &fake_dev, &p, &e), 0);
    memcpy(fake_dev->config, "\x01\x02\x03\x04\x05\x06\x07\x08", 8);
    memset(notified, 0, sizeof(notified));
    resets = config_writes = 0;
    return fake_dev;
}

static void queues(struct tu_queue t[2])
{
    tu_queue_init(&t[0], &ram, 16, QBASE0);
    tu_queue_init(&t[1], &ram, 8, QBASE1);
}

static void test_identity(void)
{
    struct virtio_dev *d = new_dev();
    CHECK_EQ(tu_rd(d, VIRTIO_MMIO_MAGIC_VALUE), 0x74726976);
    CHECK_EQ(tu_rd(d, VIRTIO_MMIO_VERSION), 2);
    CHECK_EQ(tu_rd(d, VIRTIO_MMIO_DEVICE_ID), 42);
    CHECK_EQ(tu_rd(d, VIRTIO_MMIO_VENDOR_ID), VIRTIO_MMIO_VENDOR);
    tu_wr(d, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
    uint32_t lo = tu_rd(d, VIRTIO_MMIO_DEVICE_FEATURES);
    CHECK(lo & (1u << 3));
    CHECK(lo & (1u << VIRTIO_F_RING_EVENT_IDX));
    CHECK(lo & (1u << VIRTIO_F_RING_INDIRECT_DESC));
    tu_wr(d, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 1);
    CHECK_EQ(tu_rd(d, VIRTIO_MMIO_DEVICE_FEATURES), 1); /* VERSION_1 = bit 32 */
    tu_wr(d, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 7);
    CHECK_EQ(tu_rd(d, VIRTIO_MMIO_DEVICE_FEATURES), 0);
    CHECK_EQ(tu_rd(d, VIRTIO_MMIO_SHM_LEN_LOW), 0xffffffffu);
    virtio_dev_free(d);
}

static void test_features(void)
{
    struct tu_queue t[2];
    queues(t);
    struct virtio_dev *d = new_dev();
    /* legacy driver: no VERSION_1 */
    uint32_t s = tu_bringup(d, 1ull << 3, t, 2);
    CHECK(!(s & VIRTIO_CONFIG_S_FEATURES_OK));
    CHECK(!(s & VIRTIO_CONFIG_S_DRIVER_OK));
    tu_wr(d, VIRTIO_MMIO_QUEUE_SEL, 0);
    CHECK_EQ(tu_rd(d, VIRTIO_MMIO_QUEUE_READY), 0); /* no queues before FEATURES_OK */
    /* a bit we did not offer */
    s = tu_bringup(d, good_features | (1ull << 5), t, 2);
    CHECK(!(s & VIRTIO_CONFIG_S_FEATURES_OK));
    /* correct */
    s = tu_bringup(d, good_features, t, 2);
    CHECK(s & VIRTIO_CONFIG_S_FEATURES_OK);
    CHECK(s & VIRTIO_CONFIG_S_DRIVER_OK);
    CHECK(d->running);
    CHECK(!d->vq[0].event_idx);
    /* features are frozen after FEATURES_OK */
    tu_wr(d, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
    tu_wr(d, VIRTIO_MMIO_DRIVER_FEATURES, 0);
    CHECK_EQ(d->features, good_features);
    virtio_dev_free(d);
}

static void test_queue_setup(void)
{
    struct tu_queue t[2];
    queues(t);
    struct virtio_dev *d = new_dev();
    tu_wr(d, VIRTIO_MMIO_QUEUE_SEL, 1);
    CHECK_EQ(tu_rd(d, VIRTIO_MMIO_QUEUE_NUM_MAX), 16);
    tu_wr(d, VIRTIO_MMIO_QUEUE_SEL, 2); /* no such queue */
    CHECK_EQ(tu_rd(d, VIRTIO_MMIO_QUEUE_NUM_MAX), 0);
    tu_wr(d, VIRTIO_MMIO_QUEUE_NUM, 4);
    tu_wr(d, VIRTIO_MMIO_QUEUE_READY, 1);
    CHECK_EQ(tu_rd(d, VIRTIO_MMIO_QUEUE_READY), 0);
    tu_wr(d, VIRTIO_MMIO_QUEUE_SEL, 0xffffffffu);
    tu_wr(d, VIRTIO_MMIO_QUEUE_READY, 1);
    CHECK_EQ(tu_rd(d, VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_NEEDS_RESET, 0);
    /* good set-up */
    uint32_t s = tu_bringup(d, good_features | (1ull << VIRTIO_F_RING_EVENT_IDX), t, 2);
    CHECK(s & VIRTIO_CONFIG_S_DRIVER_OK);
    CHECK(d->vq[1].ready && d->vq[1].size == 8 && d->vq[1].event_idx);
    tu_wr(d, VIRTIO_MMIO_QUEUE_SEL, 1);
    CHECK_EQ(tu_rd(d, VIRTIO_MMIO_QUEUE_READY), 1);
    CHECK_EQ(tu_rd(d, VIRTIO_MMIO_QUEUE_DESC_LOW), (uint32_t)QBASE1);
    /* a live queue cannot be changed */
    tu_wr(d, VIRTIO_MMIO_QUEUE_NUM, 2);
    tu_wr(d, VIRTIO_MMIO_QUEUE_DESC_LOW, 0x1234);
    CHECK_EQ(tu_rd(d, VIRTIO_MMIO_QUEUE_NUM), 8);
    CHECK_EQ(d->vq[1].desc_gpa, QBASE1);
    /* QueueReady 0 stops it */
    tu_wr(d, VIRTIO_MMIO_QUEUE_READY, 0);
    CHECK(!d->vq[1].ready);
    virtio_dev_free(d);
}

/* Each bad queue set-up ends in NEEDS_RESET, not in a live queue. */
static void test_bad_queues(void)
{
    static const struct {
        uint32_t num;
        uint64_t desc, avail, used;
    } bad[] = {
        {32, QBASE0, QBASE0 + 0x400, QBASE0 + 0x800},        /* above QueueNumMax */
        {0, QBASE0, QBASE0 + 0x400, QBASE0 + 0x800},         /* zero */
        {0x10008, QBASE0, QBASE0 + 0x400, QBASE0 + 0x800},   /* above 16 bits */
        {16, QBASE0 + 4, QBASE0 + 0x400, QBASE0 + 0x800},    /* misaligned desc */
        {16, QBASE0, QBASE0 + 0x401, QBASE0 + 0x800},        /* misaligned avail */
        {16, QBASE0, QBASE0 + 0x400, QBASE0 + 0x802},        /* misaligned used */
        {16, 0x2000, QBASE0 + 0x400, QBASE0 + 0x800},        /* desc outside RAM */
        {16, QBASE0, TU_RAM_BASE + TU_RAM_SIZE - 4, QBASE0}, /* avail past the end */
        {16, QBASE0, QBASE0 + 0x400, 0xfffffffffffffffcull}, /* used wraps */
    };
    for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct virtio_dev *d = new_dev();
        struct tu_queue t = {
            .size = 16, .desc = bad[i].desc, .avail = bad[i].avail, .used = bad[i].used};
        tu_bringup(d, good_features, &t, 0);
        tu_wr(d, VIRTIO_MMIO_QUEUE_SEL, 0);
        tu_wr(d, VIRTIO_MMIO_QUEUE_NUM, bad[i].num);
        tu_wr(d, VIRTIO_MMIO_QUEUE_DESC_LOW, (uint32_t)t.desc);
        tu_wr(d, VIRTIO_MMIO_QUEUE_DESC_HIGH, (uint32_t)(t.desc >> 32));
        tu_wr(d, VIRTIO_MMIO_QUEUE_DRIVER_LOW, (uint32_t)t.avail);
        tu_wr(d, VIRTIO_MMIO_QUEUE_DRIVER_HIGH, (uint32_t)(t.avail >> 32));
        tu_wr(d, VIRTIO_MMIO_QUEUE_DEVICE_LOW, (uint32_t)t.used);
        tu_wr(d, VIRTIO_MMIO_QUEUE_DEVICE_HIGH, (uint32_t)(t.used >> 32));
        tu_wr(d, VIRTIO_MMIO_QUEUE_READY, 1);
        CHECK_EQ(tu_rd(d, VIRTIO_MMIO_QUEUE_READY), 0);
        uint32_t s = tu_rd(d, VIRTIO_MMIO_STATUS);
        CHECK(s & VIRTIO_CONFIG_S_NEEDS_RESET);
        CHECK(tu_rd(d, VIRTIO_MMIO_INTERRUPT_STATUS) & VIRTIO_MMIO_INT_CONFIG);
        CHECK_EQ(irq_level, 1);
        CHECK(!d->running);
        /* the driver cannot clear NEEDS_RESET except by a reset */
        tu_wr(d, VIRTIO_MMIO_STATUS, s & ~VIRTIO_CONFIG_S_NEEDS_RESET);
        CHECK(tu_rd(d, VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_NEEDS_RESET);
        tu_wr(d, VIRTIO_MMIO_STATUS, 0);
        CHECK_EQ(tu_rd(d, VIRTIO_MMIO_STATUS), 0);
        CHECK_EQ(irq_level, 0);
        virtio_dev_free(d);
    }
}

static void test_notify_and_interrupts(void)
{
    struct tu_queue t[2];
    queues(t);
    struct virtio_dev *d = new_dev();
    tu_wr(d, VIRTIO_MMIO_QUEUE_NOTIFY, 1); /* before the driver is ready: deferred */
    virtio_dev_run_kicks(d);
    CHECK_EQ(notified[1], 0);
    tu_bringup(d, good_features, t, 2);
    virtio_dev_run_kicks(d); /* DRIVER_OK kicks every queue once */
    CHECK_EQ(notified[0], 1);
    CHECK_EQ(notified[1], 1);
    tu_wr(d, VIRTIO_MMIO_QUEUE_NOTIFY, 1);
    tu_wr(d, VIRTIO_MMIO_QUEUE_NOTIFY, 1);
    tu_wr(d, VIRTIO_MMIO_QUEUE_NOTIFY, 2);           /* no such queue */
    tu_wr(d, VIRTIO_MMIO_QUEUE_NOTIFY, 0xffffffffu); /* ditto */
    virtio_dev_run_kicks(d);
    CHECK_EQ(notified[0], 1);
    CHECK_EQ(notified[1], 2); /* coalesced */
    virtio_dev_notify_used(d);
    CHECK_EQ(tu_rd(d, VIRTIO_MMIO_INTERRUPT_STATUS), VIRTIO_MMIO_INT_VRING);
    CHECK_EQ(irq_level, 1);
    tu_wr(d, VIRTIO_MMIO_INTERRUPT_ACK, VIRTIO_MMIO_INT_CONFIG); /* the wrong bit */
    CHECK_EQ(irq_level, 1);
    tu_wr(d, VIRTIO_MMIO_INTERRUPT_ACK, VIRTIO_MMIO_INT_VRING);
    CHECK_EQ(tu_rd(d, VIRTIO_MMIO_INTERRUPT_STATUS), 0);
    CHECK_EQ(irq_level, 0);
    /* NEEDS_RESET from the device side stops notifications */
    virtio_dev_io_lock(d);
    virtio_dev_set_needs_reset(d, "test");
    virtio_dev_io_unlock(d);
    CHECK(tu_rd(d, VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_NEEDS_RESET);
    CHECK_EQ(tu_rd(d, VIRTIO_MMIO_INTERRUPT_STATUS), VIRTIO_MMIO_INT_CONFIG);
    tu_wr(d, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
    virtio_dev_run_kicks(d);
    CHECK_EQ(notified[0], 1);
    /* reset: everything back to zero, device told */
    unsigned before = resets;
    tu_wr(d, VIRTIO_MMIO_STATUS, 0);
    CHECK_EQ(resets, before + 1);
    CHECK_EQ(tu_rd(d, VIRTIO_MMIO_INTERRUPT_STATUS), 0);
    CHECK_EQ(irq_level, 0);
    tu_wr(d, VIRTIO_MMIO_QUEUE_SEL, 0);
    CHECK_EQ(tu_rd(d, VIRTIO_MMIO_QUEUE_READY), 0);
    CHECK(!d->vq[0].ready);
    /* and it works again after a new bring-up */
    CHECK(tu_bringup(d, good_features, t, 2) & VIRTIO_CONFIG_S_DRIVER_OK);
    virtio_dev_free(d);
}

static void test_config_space(void)
{
    struct virtio_dev *d = new_dev();
    CHECK_EQ(virtio_mmio_ops.read(d, VIRTIO_MMIO_CONFIG + 0, 1), 0x01);
    CHECK_EQ(virtio_mmio_ops.read(d, VIRTIO_MMIO_CONFIG + 2, 2), 0x0403);
    CHECK_EQ(virtio_mmio_ops.read(d, VIRTIO_MMIO_CONFIG + 4, 4), 0x08070605);
    CHECK_EQ(virtio_mmio_ops.read(d, VIRTIO_MMIO_CONFIG + 0, 8), 0x0807060504030201ull);
    /* out of bounds: 0, nothing read past config_size */
    CHECK_EQ(virtio_mmio_ops.read(d, VIRTIO_MMIO_CONFIG + 6, 4), 0);
    CHECK_EQ(virtio_mmio_ops.read(d, VIRTIO_MMIO_CONFIG + 8, 1), 0);
    CHECK_EQ(virtio_mmio_ops.read(d, VIRTIO_MMIO_SIZE - 4, 4), 0);
    virtio_mmio_ops.write(d, VIRTIO_MMIO_CONFIG + 4, 0xaa, 1);
    virtio_mmio_ops.write(d, VIRTIO_MMIO_CONFIG + 0, 0xbb, 1); /* the device refuses */
    virtio_mmio_ops.write(d, VIRTIO_MMIO_CONFIG + 7, 0xcc, 2); /* out of bounds */
    CHECK_EQ(config_writes, 2);
    CHECK_EQ(d->config[4], 0xaa);
    CHECK_EQ(d->config[0], 0x01);
    CHECK_EQ(d->config[7], 0x08);
    uint32_t gen = tu_rd(d, VIRTIO_MMIO_CONFIG_GENERATION);
    virtio_dev_config_changed(d, 0, "\x11", 1);
    CHECK_EQ(tu_rd(d, VIRTIO_MMIO_CONFIG_GENERATION), gen + 1);
    CHECK_EQ(d->config[0], 0x11);
    CHECK_EQ(tu_rd(d, VIRTIO_MMIO_INTERRUPT_STATUS), 0); /* not DRIVER_OK yet */
    virtio_dev_config_changed(d, 6, "\x11\x22\x33", 3);  /* out of range: ignored */
    CHECK_EQ(d->config[7], 0x08);
    virtio_dev_free(d);
}

static void test_hostile_registers(void)
{
    struct tu_queue t[2];
    queues(t);
    struct virtio_dev *d = new_dev();
    tu_bringup(d, good_features, t, 2);
    /* read-only registers keep their values */
    tu_wr(d, VIRTIO_MMIO_MAGIC_VALUE, 0);
    tu_wr(d, VIRTIO_MMIO_VERSION, 1);
    tu_wr(d, VIRTIO_MMIO_DEVICE_ID, 7);
    tu_wr(d, VIRTIO_MMIO_DEVICE_FEATURES, 0xffffffffu);
    tu_wr(d, VIRTIO_MMIO_QUEUE_NUM_MAX, 0xffff);
    tu_wr(d, VIRTIO_MMIO_INTERRUPT_STATUS, 0xff);
    tu_wr(d, VIRTIO_MMIO_CONFIG_GENERATION, 99);
    tu_wr(d, 0x0f0, 1); /* unknown */
    CHECK_EQ(tu_rd(d, VIRTIO_MMIO_MAGIC_VALUE), 0x74726976);
    CHECK_EQ(tu_rd(d, VIRTIO_MMIO_VERSION), 2);
    CHECK_EQ(tu_rd(d, VIRTIO_MMIO_DEVICE_ID), 42);
    CHECK_EQ(tu_rd(d, VIRTIO_MMIO_INTERRUPT_STATUS), 0);
    tu_wr(d, VIRTIO_MMIO_QUEUE_SEL, 0);
    CHECK_EQ(tu_rd(d, VIRTIO_MMIO_QUEUE_NUM_MAX), 16);
    CHECK_EQ(tu_rd(d, 0x0f0), 0);
    /* odd sizes and misaligned accesses to control registers are ignored */
    virtio_mmio_ops.write(d, VIRTIO_MMIO_STATUS, 0, 1);
    virtio_mmio_ops.write(d, VIRTIO_MMIO_STATUS + 1, 0, 4);
    virtio_mmio_ops.write(d, VIRTIO_MMIO_STATUS, 0, 8);
    CHECK(tu_rd(d, VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_DRIVER_OK);
    CHECK_EQ(virtio_mmio_ops.read(d, VIRTIO_MMIO_MAGIC_VALUE, 2), 0);
    CHECK_EQ(virtio_mmio_ops.read(d, VIRTIO_MMIO_MAGIC_VALUE + 2, 4), 0);
    /* DRIVER_OK without FEATURES_OK does not start the device */
    tu_wr(d, VIRTIO_MMIO_STATUS, 0);
    tu_wr(d, VIRTIO_MMIO_STATUS,
          VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER | VIRTIO_CONFIG_S_DRIVER_OK);
    CHECK(!(tu_rd(d, VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_DRIVER_OK));
    CHECK(!d->running);
    virtio_dev_free(d);
}

int main(void)
{
    tu_ram_init(&ram);
    RUN(test_identity);
    RUN(test_features);
    RUN(test_queue_setup);
    RUN(test_bad_queues);
    RUN(test_notify_and_interrupts);
    RUN(test_config_space);
    RUN(test_hostile_registers);
    ram_destroy(&ram);
    return check_failures ? 1 : 0;
}
