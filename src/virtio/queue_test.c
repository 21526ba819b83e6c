/* SPDX-License-Identifier: MIT */
/*
 * queue_test: split-virtqueue walking against rings built by hand in a
 * small guest RAM: well-formed chains (direct, indirect, mixed directions,
 * zero-length buffers), the used ring and event-index notification rules,
 * and hostile rings: descriptor loops, chains longer than allowed, buffers
 * outside RAM or wrapping the address space, out-of-range head and next
 * indexes, avail.idx running ahead, nested and malformed indirect tables,
 * byte totals above 4 GiB, and bad ring addresses at setup.
 */
#include <errno.h>
#include <string.h>

#include "virtio/virtio_testutil.h"

#define QBASE (TU_RAM_BASE + 0x1000)
#define BUF (TU_RAM_BASE + 0x10000)
#define ITABLE (TU_RAM_BASE + 0x20000)
#define QSIZE 8

static struct ram ram;
static struct virtq_elem elem;

static void setup(struct tu_queue *t, struct virtq *q, bool evidx, bool indirect)
{
    tu_queue_init(t, &ram, QSIZE, QBASE);
    CHECK_EQ(virtq_init(q, &ram, QSIZE, t->desc, t->avail, t->used, evidx, indirect), 0);
}

static void test_simple_chain(void)
{
    struct tu_queue t;
    struct virtq q;
    setup(&t, &q, false, false);
    CHECK_EQ(virtq_pop(&q, &elem), 0);
    tu_desc(&t, 3, BUF, 16, VIRTQ_DESC_F_NEXT, 5);
    tu_desc(&t, 5, BUF + 100, 0, VIRTQ_DESC_F_NEXT, 1); /* zero length: skipped */
    tu_desc(&t, 1, BUF + 512, 512, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, 2);
    tu_desc(&t, 2, BUF + 2048, 1, VIRTQ_DESC_F_WRITE, 0);
    tu_publish(&t, 3);
    CHECK_EQ(virtq_pop(&q, &elem), 1);
    CHECK_EQ(elem.head, 3);
    CHECK_EQ(elem.nout, 1);
    CHECK_EQ(elem.nin, 2);
    CHECK_EQ(elem.out_len, 16);
    CHECK_EQ(elem.in_len, 513);
    CHECK(elem.iov[0].iov_base == tu_ptr(&ram, BUF, 16));
    CHECK_EQ(elem.gpa[1], BUF + 512);
    CHECK_EQ(virtq_pop(&q, &elem), 0);
    virtq_push(&q, &elem, 1000); /* clamped to in_len */
    CHECK_EQ(tu_used_idx(&t), 1);
    CHECK_EQ(tu_used(&t, 0).id, 3);
    CHECK_EQ(tu_used(&t, 0).len, 513);
    CHECK(virtq_need_interrupt(&q));
    tu_set_avail_flags(&t, VIRTQ_AVAIL_F_NO_INTERRUPT);
    CHECK(!virtq_need_interrupt(&q));
}

static void test_unpop_and_wrap(void)
{
    struct tu_queue t;
    struct virtq q;
    setup(&t, &q, false, false);
    /* 3 * QSIZE chains: the 16-bit indexes wrap around the ring */
    for (int i = 0; i < 3 * QSIZE; i++) {
        uint16_t d = (uint16_t)(i % QSIZE);
        tu_desc(&t, d, BUF, 8, VIRTQ_DESC_F_WRITE, 0);
        tu_publish(&t, d);
        CHECK_EQ(virtq_pop(&q, &elem), 1);
        if (i == 5) {
            virtq_unpop(&q);
            CHECK_EQ(virtq_pop(&q, &elem), 1);
        }
        CHECK_EQ(elem.head, d);
        virtq_push(&q, &elem, 8);
    }
    CHECK_EQ(tu_used_idx(&t), 3 * QSIZE);
    /* near the 16-bit wrap */
    setup(&t, &q, false, false);
    q.last_avail = q.used_idx = 0xfffe;
    tu_set_avail_idx(&t, 0xfffe);
    for (int i = 0; i < 4; i++) {
        tu_desc(&t, 0, BUF, 8, VIRTQ_DESC_F_WRITE, 0);
        tu_publish(&t, 0);
        CHECK_EQ(virtq_pop(&q, &elem), 1);
        virtq_push(&q, &elem, 8);
    }
    CHECK_EQ(tu_used_idx(&t), 2);
}

static void test_indirect(void)
{
    struct tu_queue t;
    struct virtq q;
    setup(&t, &q, false, true);
    tu_desc_at(&ram, ITABLE, 0, BUF, 16, VIRTQ_DESC_F_NEXT, 2);
    tu_desc_at(&ram, ITABLE, 2, BUF + 16, 4096, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, 1);
    tu_desc_at(&ram, ITABLE, 1, BUF + 8192, 1, VIRTQ_DESC_F_WRITE, 0);
    /* a direct readable buffer before the indirect descriptor is allowed */
    tu_desc(&t, 0, BUF + 9000, 4, VIRTQ_DESC_F_NEXT, 4);
    tu_desc(&t, 4, ITABLE, 3 * 16, VIRTQ_DESC_F_INDIRECT | VIRTQ_DESC_F_WRITE, 0);
    tu_publish(&t, 0);
    CHECK_EQ(virtq_pop(&q, &elem), 1);
    CHECK_EQ(elem.nout, 2);
    CHECK_EQ(elem.nin, 2);
    CHECK_EQ(elem.out_len, 20);
    CHECK_EQ(elem.in_len, 4097);
    CHECK_EQ(elem.gpa[3], BUF + 8192);
}

/* Publish chain `head` on a fresh queue and expect virtq_pop to refuse it. */
static void expect_broken(struct tu_queue *t, struct virtq *q, uint16_t head)
{
    tu_publish(t, head);
    CHECK_EQ(virtq_pop(q, &elem), -EINVAL);
}

static void test_loops_and_lengths(void)
{
    struct tu_queue t;
    struct virtq q;
    /* a descriptor that points at itself */
    setup(&t, &q, false, true);
    tu_desc(&t, 0, BUF, 8, VIRTQ_DESC_F_NEXT, 0);
    expect_broken(&t, &q, 0);
    /* a longer loop 1 -> 2 -> 3 -> 1 */
    setup(&t, &q, false, true);
    tu_desc(&t, 1, BUF, 8, VIRTQ_DESC_F_NEXT, 2);
    tu_desc(&t, 2, BUF, 8, VIRTQ_DESC_F_NEXT, 3);
    tu_desc(&t, 3, BUF, 8, VIRTQ_DESC_F_NEXT, 1);
    expect_broken(&t, &q, 1);
    /* every descriptor of the table in one chain is fine (exactly size) */
    setup(&t, &q, false, true);
    for (uint16_t i = 0; i < QSIZE; i++)
        tu_desc(&t, i, BUF, 8, i + 1 < QSIZE ? VIRTQ_DESC_F_NEXT : 0, (uint16_t)(i + 1));
    tu_publish(&t, 0);
    CHECK_EQ(virtq_pop(&q, &elem), 1);
    CHECK_EQ(elem.nout, QSIZE);
    /* a loop inside an indirect table */
    setup(&t, &q, false, true);
    tu_desc_at(&ram, ITABLE, 0, BUF, 8, VIRTQ_DESC_F_NEXT, 1);
    tu_desc_at(&ram, ITABLE, 1, BUF, 8, VIRTQ_DESC_F_NEXT, 0);
    tu_desc(&t, 0, ITABLE, 32, VIRTQ_DESC_F_INDIRECT, 0);
    expect_broken(&t, &q, 0);
    /* an indirect table longer than VIRTQ_MAX_INDIRECT */
    setup(&t, &q, false, true);
    tu_desc(&t, 0, ITABLE, 16 * (VIRTQ_MAX_INDIRECT + 1), VIRTQ_DESC_F_INDIRECT, 0);
    expect_broken(&t, &q, 0);
    /* more than VIRTQ_MAX_SEGS segments: 1 direct + a full indirect table */
    setup(&t, &q, false, true);
    for (uint16_t i = 0; i < VIRTQ_MAX_INDIRECT; i++)
        tu_desc_at(&ram, ITABLE, i, BUF, 8, i + 1 < VIRTQ_MAX_INDIRECT ? VIRTQ_DESC_F_NEXT : 0,
                   (uint16_t)(i + 1));
    tu_desc(&t, 0, BUF, 8, VIRTQ_DESC_F_NEXT, 1);
    tu_desc(&t, 1, ITABLE, 16 * VIRTQ_MAX_INDIRECT, VIRTQ_DESC_F_INDIRECT, 0);
    expect_broken(&t, &q, 0);
    /* ...while the full table alone is accepted */
    setup(&t, &q, false, true);
    tu_desc(&t, 0, ITABLE, 16 * VIRTQ_MAX_INDIRECT, VIRTQ_DESC_F_INDIRECT, 0);
    tu_publish(&t, 0);
    CHECK_EQ(virtq_pop(&q, &elem), 1);
    CHECK_EQ(elem.nout, VIRTQ_MAX_INDIRECT);
    /* more than 4 GiB in one direction: 1024 x 4 MiB, all of RAM each time */
    setup(&t, &q, false, true);
    for (uint16_t i = 0; i < VIRTQ_MAX_INDIRECT; i++)
        tu_desc_at(&ram, ITABLE, i, TU_RAM_BASE, (uint32_t)TU_RAM_SIZE,
                   i + 1 < VIRTQ_MAX_INDIRECT ? VIRTQ_DESC_F_NEXT : 0, (uint16_t)(i + 1));
    tu_desc(&t, 0, ITABLE, 16 * VIRTQ_MAX_INDIRECT, VIRTQ_DESC_F_INDIRECT, 0);
    expect_broken(&t, &q, 0);
}

static void test_bad_addresses(void)
{
    struct tu_queue t;
    struct virtq q;
    static const struct {
        uint64_t addr;
        uint32_t len;
    } bad[] = {
        {0x1000, 8},                         /* below RAM */
        {TU_RAM_BASE - 4, 8},                /* straddles the start */
        {TU_RAM_BASE + TU_RAM_SIZE - 8, 16}, /* straddles the end */
        {TU_RAM_BASE + TU_RAM_SIZE, 1},      /* just past the end */
        {0xfffffffffffff000ull, 0x2000},     /* wraps around 2^64 */
        {TU_RAM_BASE + 0x1000, 0xffffffffu}, /* len larger than RAM */
    };
    for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        setup(&t, &q, false, true);
        tu_desc(&t, 0, BUF, 16, VIRTQ_DESC_F_NEXT, 1);
        tu_desc(&t, 1, bad[i].addr, bad[i].len, VIRTQ_DESC_F_WRITE, 0);
        expect_broken(&t, &q, 0);
    }
    /* an indirect table outside RAM */
    setup(&t, &q, false, true);
    tu_desc(&t, 0, TU_RAM_BASE + TU_RAM_SIZE - 16, 32, VIRTQ_DESC_F_INDIRECT, 0);
    expect_broken(&t, &q, 0);
}

static void test_bad_indexes_and_flags(void)
{
    struct tu_queue t;
    struct virtq q;
    /* head out of range */
    setup(&t, &q, false, true);
    expect_broken(&t, &q, QSIZE);
    setup(&t, &q, false, true);
    expect_broken(&t, &q, 0xffff);
    /* next out of range */
    setup(&t, &q, false, true);
    tu_desc(&t, 0, BUF, 8, VIRTQ_DESC_F_NEXT, QSIZE);
    expect_broken(&t, &q, 0);
    /* next out of range of an indirect table */
    setup(&t, &q, false, true);
    tu_desc_at(&ram, ITABLE, 0, BUF, 8, VIRTQ_DESC_F_NEXT, 2);
    tu_desc(&t, 0, ITABLE, 32, VIRTQ_DESC_F_INDIRECT, 0);
    expect_broken(&t, &q, 0);
    /* avail.idx more than size ahead */
    setup(&t, &q, false, true);
    tu_desc(&t, 0, BUF, 8, 0, 0);
    tu_set_avail_idx(&t, QSIZE + 1);
    CHECK_EQ(virtq_pop(&q, &elem), -EINVAL);
    /* readable after writable */
    setup(&t, &q, false, true);
    tu_desc(&t, 0, BUF, 8, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 1);
    tu_desc(&t, 1, BUF, 8, 0, 0);
    expect_broken(&t, &q, 0);
    /* indirect without the feature */
    setup(&t, &q, false, false);
    tu_desc_at(&ram, ITABLE, 0, BUF, 8, 0, 0);
    tu_desc(&t, 0, ITABLE, 16, VIRTQ_DESC_F_INDIRECT, 0);
    expect_broken(&t, &q, 0);
    /* indirect inside indirect */
    setup(&t, &q, false, true);
    tu_desc_at(&ram, ITABLE, 0, ITABLE + 0x100, 16, VIRTQ_DESC_F_INDIRECT, 0);
    tu_desc_at(&ram, ITABLE + 0x100, 0, BUF, 8, 0, 0);
    tu_desc(&t, 0, ITABLE, 16, VIRTQ_DESC_F_INDIRECT, 0);
    expect_broken(&t, &q, 0);
    /* indirect with NEXT */
    setup(&t, &q, false, true);
    tu_desc_at(&ram, ITABLE, 0, BUF, 8, 0, 0);
    tu_desc(&t, 0, ITABLE, 16, VIRTQ_DESC_F_INDIRECT | VIRTQ_DESC_F_NEXT, 1);
    tu_desc(&t, 1, BUF, 8, 0, 0);
    expect_broken(&t, &q, 0);
    /* indirect table of 0 bytes, or not a multiple of 16 */
    setup(&t, &q, false, true);
    tu_desc(&t, 0, ITABLE, 0, VIRTQ_DESC_F_INDIRECT, 0);
    expect_broken(&t, &q, 0);
    setup(&t, &q, false, true);
    tu_desc(&t, 0, ITABLE, 24, VIRTQ_DESC_F_INDIRECT, 0);
    expect_broken(&t, &q, 0);
}

static void test_init_checks(void)
{
    struct virtq q;
    uint64_t d = QBASE, a = QBASE + 0x400, u = QBASE + 0x800;
    CHECK_EQ(virtq_init(&q, &ram, 0, d, a, u, false, false), -EINVAL);
    CHECK_EQ(virtq_init(&q, &ram, VIRTQ_MAX_SIZE + 1, d, a, u, false, false), -EINVAL);
    CHECK_EQ(virtq_init(&q, &ram, 8, d + 8, a, u, false, false), -EINVAL);  /* desc align 16 */
    CHECK_EQ(virtq_init(&q, &ram, 8, d, a + 1, u, false, false), -EINVAL);  /* avail align 2 */
    CHECK_EQ(virtq_init(&q, &ram, 8, d, a, u + 2, false, false), -EINVAL);  /* used align 4 */
    CHECK_EQ(virtq_init(&q, &ram, 8, 0x1000, a, u, false, false), -EINVAL); /* not RAM */
    uint64_t end = TU_RAM_BASE + TU_RAM_SIZE;
    CHECK_EQ(virtq_init(&q, &ram, 8, end - 64, a, u, false, false), -EINVAL);
    CHECK_EQ(virtq_init(&q, &ram, 8, d, end - 8, u, false, false), -EINVAL);
    CHECK_EQ(virtq_init(&q, &ram, 8, d, a, end - 32, false, false), -EINVAL);
    CHECK_EQ(virtq_init(&q, &ram, 8, d, a, 0xfffffffffffffff0ull, false, false), -EINVAL);
    CHECK_EQ(virtq_init(&q, &ram, 8, d, a, u, false, false), 0);
    CHECK(q.ready);
    /* 7 is not a power of two, which only packed rings promise to accept;
     * ours indexes modulo the size, so it works */
    CHECK_EQ(virtq_init(&q, &ram, 7, d, a, u, false, false), 0);
}

static void test_event_idx(void)
{
    struct tu_queue t;
    struct virtq q;
    setup(&t, &q, true, false);
    tu_set_avail_flags(&t, VIRTQ_AVAIL_F_NO_INTERRUPT); /* ignored with EVENT_IDX */
    tu_desc(&t, 0, BUF, 8, VIRTQ_DESC_F_WRITE, 0);
    tu_publish(&t, 0);
    CHECK_EQ(virtq_pop(&q, &elem), 1);
    virtq_push(&q, &elem, 8);
    CHECK(virtq_need_interrupt(&q)); /* the first interrupt is always sent */
    CHECK(!virtq_enable_notify(&q));
    CHECK_EQ(tu_avail_event(&t), 1);
    /* the driver asks for an interrupt after used.idx passes 2 */
    tu_set_used_event(&t, 2);
    for (int i = 0; i < 3; i++) {
        tu_publish(&t, 0);
        CHECK(virtq_enable_notify(&q)); /* a buffer arrived */
        CHECK_EQ(virtq_pop(&q, &elem), 1);
        virtq_push(&q, &elem, 8);
        bool want = virtq_need_interrupt(&q);
        CHECK_EQ(want, i == 1); /* used.idx 2 -> 3 crosses used_event 2 */
    }
    CHECK_EQ(tu_used_idx(&t), 4);
}

static void test_copy_helpers(void)
{
    struct tu_queue t;
    struct virtq q;
    setup(&t, &q, false, false);
    uint8_t *b = tu_ptr(&ram, BUF, 64);
    for (int i = 0; i < 64; i++)
        b[i] = (uint8_t)i;
    tu_desc(&t, 0, BUF, 3, VIRTQ_DESC_F_NEXT, 1);
    tu_desc(&t, 1, BUF + 3, 5, VIRTQ_DESC_F_NEXT, 2);
    tu_desc(&t, 2, BUF + 32, 4, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 3);
    tu_desc(&t, 3, BUF + 40, 4, VIRTQ_DESC_F_WRITE, 0);
    tu_publish(&t, 0);
    CHECK_EQ(virtq_pop(&q, &elem), 1);
    uint8_t out[16] = {0};
    CHECK_EQ(virtq_copy_from_out(&elem, 2, out, 16), 6);
    CHECK(out[0] == 2 && out[5] == 7);
    static const uint8_t in[6] = {0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5};
    CHECK_EQ(virtq_copy_to_in(&elem, 1, in, 6), 6);
    CHECK(b[33] == 0xa0 && b[35] == 0xa2 && b[40] == 0xa3 && b[42] == 0xa5 && b[43] == 43);
    struct iovec sl[4];
    CHECK_EQ(virtq_iov_slice(sl, 4, elem.iov, elem.nout, 1, 6), 2);
    CHECK_EQ(sl[0].iov_len, 2);
    CHECK_EQ(sl[1].iov_len, 4);
    CHECK_EQ(virtq_iov_slice(sl, 1, elem.iov, elem.nout, 1, 6), -1); /* too few entries */
    CHECK_EQ(virtq_iov_slice(sl, 4, elem.iov, elem.nout, 1, 8), -1); /* past the end */
}

int main(void)
{
    tu_ram_init(&ram);
    RUN(test_simple_chain);
    RUN(test_unpop_and_wrap);
    RUN(test_indirect);
    RUN(test_loops_and_lengths);
    RUN(test_bad_addresses);
    RUN(test_bad_indexes_and_flags);
    RUN(test_init_checks);
    RUN(test_event_idx);
    RUN(test_copy_helpers);
    ram_destroy(&ram);
    return check_failures ? 1 : 0;
}
