/* SPDX-License-Identifier: MIT */
/*
 * powerbtn_test: the power button as Linux's altera_ps2 + atkbd drivers see
 * it, through the board's physical address map: the keyboard answers the
 * probe (reset, get-ID, LEDs, typematic, enable) as atkbd expects, a press
 * while the driver listens queues exactly E0 37 E0 F0 37 (KEY_POWER in set
 * 2) with the receive interrupt pending, and a press with no driver
 * listening goes nowhere. Garbage from the guest only gets ACKs.
 */
#include <stdlib.h>
#include <string.h>

#include "api/check.h"
#include "vm/powerbtn.h"

static struct virt *board;

static void reset_cb(void *opaque, enum reset_kind kind, int code)
{
}

static void hart_cb(void *opaque, int hartid)
{
}

static const struct virt_ops ops = {.reset = reset_cb, .hart_start = hart_cb};

static void wr(uint64_t off, uint32_t v)
{
    CHECK(physmap_write(&board->pm, POWERBTN_BASE + off, 4, v));
}

static uint32_t rd(uint64_t off)
{
    uint64_t v = 0;
    CHECK(physmap_read(&board->pm, POWERBTN_BASE + off, 4, &v));
    return (uint32_t)v;
}

/* Pop every byte the keyboard has sent, as the driver's interrupt does. */
static int drain(uint8_t *out, int max)
{
    int n = 0;
    uint32_t st;
    while ((st = rd(0)) & 0xffff0000u) {
        CHECK(st & 0x8000u); /* RVALID */
        if (n < max)
            out[n] = (uint8_t)st;
        n++;
    }
    return n;
}

static void expect_reply(uint8_t cmd, const uint8_t *want, int nwant)
{
    uint8_t got[16];
    wr(0, cmd);
    int n = drain(got, 16);
    CHECK(n == nwant && !memcmp(got, want, (size_t)nwant));
}

int main(void)
{
    struct virt_config cfg = {.mem_size = 16u << 20, .ncpus = 1, .console_fd = -1};
    struct err e = {0};
    if (virt_create(&board, &cfg, &ops, NULL, &e) < 0) {
        fprintf(stderr, "virt_create: %s\n", e.msg);
        return 1;
    }
    struct powerbtn *pb;
    CHECK(powerbtn_create(&pb, board, &e) == 0);

    /* nobody listens yet */
    CHECK(!powerbtn_listening(pb));
    CHECK(!powerbtn_press(pb));
    CHECK(rd(0) == 0 && rd(4) == 0);

    /* altera_ps2_open: drain, enable the receive interrupt */
    wr(4, 1);
    CHECK(rd(4) == 1);
    /* atkbd_probe / atkbd_activate */
    expect_reply(0xff, (const uint8_t[]){0xfa, 0xaa}, 2);       /* reset: ACK, BAT ok */
    expect_reply(0xf2, (const uint8_t[]){0xfa, 0xab, 0x83}, 3); /* get ID */
    expect_reply(0xed, (const uint8_t[]){0xfa}, 1);             /* set LEDs ... */
    expect_reply(0x00, (const uint8_t[]){0xfa}, 1);             /* ... its parameter */
    expect_reply(0xf0, (const uint8_t[]){0xfa}, 1);             /* scan set? */
    expect_reply(0x00, (const uint8_t[]){0xfa, 0x02}, 2);       /* set 2 */
    expect_reply(0xee, (const uint8_t[]){0xee}, 1);             /* echo */
    expect_reply(0xf5, (const uint8_t[]){0xfa}, 1);             /* disable */
    CHECK(!powerbtn_listening(pb));
    expect_reply(0xf4, (const uint8_t[]){0xfa}, 1); /* enable */
    expect_reply(0x42, (const uint8_t[]){0xfa}, 1); /* nonsense: ACK */
    CHECK(powerbtn_listening(pb));

    /* the button */
    CHECK(powerbtn_press(pb));
    CHECK(rd(4) == (1u | 1u << 8)); /* RE, RI pending */
    uint8_t got[16];
    int n = drain(got, 16);
    CHECK(n == 5 && !memcmp(got, (const uint8_t[]){0xe0, 0x37, 0xe0, 0xf0, 0x37}, 5));
    CHECK(rd(4) == 1);

    /* a driver that closed the port (interrupt off) hears nothing */
    wr(4, 0);
    CHECK(!powerbtn_press(pb));
    CHECK(rd(0) == 0);

    /* a guest flooding the keyboard cannot grow the FIFO without bound */
    wr(4, 1);
    for (int i = 0; i < 1000; i++)
        wr(0, 0xf2);
    CHECK(drain(got, 16) == 64);

    virt_destroy(board);
    powerbtn_free(pb);
    return check_report();
}
