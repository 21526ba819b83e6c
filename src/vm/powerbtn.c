/* SPDX-License-Identifier: MIT */
/*
 * powerbtn: a one-key PS/2 keyboard behind an Altera University Program PS/2
 * controller (see powerbtn.h for why this shape).
 *
 * Controller registers (Altera UP PS/2 core, as Linux's altera_ps2 uses them):
 *   0x0 DATA     read: bits 31:16 RAVAIL (bytes in the FIFO, this one
 *                included), bit 15 RVALID, bits 7:0 the byte (popped);
 *                write: bits 7:0 a byte sent to the keyboard
 *   0x4 CONTROL  bit 0 RE (receive interrupt enable), bit 8 RI (pending)
 * The interrupt line is high while RE is set and the FIFO is not empty.
 *
 * The keyboard answers the PS/2 commands atkbd sends while probing (IBM PS/2
 * Technical Reference, keyboard commands): every byte is acknowledged with
 * 0xFA; reset (0xFF) adds the BAT result 0xAA, get-ID (0xF2) the ID AB 83;
 * commands with a parameter byte (set LEDs 0xED, typematic 0xF3, scan set
 * 0xF0) acknowledge it too. Enable (0xF4) / disable (0xF5) gate scanning.
 * Every value written here comes from the guest and is only ever answered.
 */
#include "vm/powerbtn.h"

#include <errno.h>
#include <libfdt.h>
#include <pthread.h>
#include <stdlib.h>

#include "machine/plic.h"
#include "util/alloc.h"

#define FIFO_SIZE 64

enum { PS2_ACK = 0xfa, PS2_BAT_OK = 0xaa, PS2_ECHO = 0xee };
enum {
    CMD_SETLEDS = 0xed,
    CMD_ECHO = 0xee,
    CMD_SCANSET = 0xf0,
    CMD_GETID = 0xf2,
    CMD_SETREP = 0xf3,
    CMD_ENABLE = 0xf4,
    CMD_DISABLE = 0xf5,
    CMD_RESEND = 0xfe,
    CMD_RESET = 0xff
};
enum { CTRL_RE = 1u << 0, CTRL_RI = 1u << 8 };

struct powerbtn {
    pthread_mutex_t lock;
    struct irq_line irq;
    uint32_t control;
    bool scanning;     /* keyboard enabled (0xF4) */
    uint8_t param_for; /* command waiting for its parameter byte, or 0 */
    uint8_t last;      /* last byte sent, for resend */
    uint8_t fifo[FIFO_SIZE];
    unsigned head, len;
};

/* Called with lock held. */
static void update_irq(struct powerbtn *pb)
{
    irq_set(&pb->irq, (pb->control & CTRL_RE) && pb->len);
}

/* Called with lock held. A full FIFO drops the byte, as the hardware would. */
static void push(struct powerbtn *pb, uint8_t b)
{
    if (pb->len == FIFO_SIZE)
        return;
    pb->fifo[(pb->head + pb->len) % FIFO_SIZE] = b;
    pb->len++;
    pb->last = b;
}

/* A byte from the guest's driver to the keyboard. Called with lock held. */
static void keyboard_command(struct powerbtn *pb, uint8_t b)
{
    if (pb->param_for) {
        uint8_t cmd = pb->param_for;
        pb->param_for = 0;
        push(pb, PS2_ACK);
        if (cmd == CMD_SCANSET && b == 0)
            push(pb, 2); /* "which set?": set 2 */
        return;
    }
    switch (b) {
    case CMD_ECHO: push(pb, PS2_ECHO); return;
    case CMD_RESEND: push(pb, pb->last); return;
    case CMD_RESET:
        pb->scanning = true;
        push(pb, PS2_ACK);
        push(pb, PS2_BAT_OK);
        return;
    case CMD_GETID:
        push(pb, PS2_ACK);
        push(pb, 0xab);
        push(pb, 0x83);
        return;
    case CMD_SETLEDS:
    case CMD_SETREP:
    case CMD_SCANSET: pb->param_for = b; break;
    case CMD_ENABLE: pb->scanning = true; break;
    case CMD_DISABLE: pb->scanning = false; break;
    default: break;
    }
    push(pb, PS2_ACK);
}

static uint64_t pb_read(void *opaque, uint64_t off, unsigned size)
{
    struct powerbtn *pb = opaque;
    uint64_t v = 0;
    pthread_mutex_lock(&pb->lock);
    if (off == 0 && pb->len) {
        v = ((uint64_t)pb->len << 16) | 0x8000u | pb->fifo[pb->head];
        pb->head = (pb->head + 1) % FIFO_SIZE;
        pb->len--;
    } else if (off == 4) {
        v = (pb->control & CTRL_RE) | (pb->len && (pb->control & CTRL_RE) ? CTRL_RI : 0);
    }
    update_irq(pb);
    pthread_mutex_unlock(&pb->lock);
    return v;
}

static void pb_write(void *opaque, uint64_t off, uint64_t val, unsigned size)
{
    struct powerbtn *pb = opaque;
    pthread_mutex_lock(&pb->lock);
    if (off == 0)
        keyboard_command(pb, (uint8_t)val);
    else if (off == 4)
        pb->control = (uint32_t)val & CTRL_RE;
    update_irq(pb);
    pthread_mutex_unlock(&pb->lock);
}

static const struct mmio_ops pb_ops = {.read = pb_read, .write = pb_write};

static int pb_fdt(void *fdt, void *opaque)
{
    static const char compat[] = "altr,ps2-1.0";
    fdt64_t reg[2] = {cpu_to_fdt64(POWERBTN_BASE), cpu_to_fdt64(POWERBTN_SIZE)};
    int r;
    if ((r = fdt_begin_node(fdt, "ps2@102000")) < 0 ||
        (r = fdt_property(fdt, "compatible", compat, sizeof(compat))) < 0 ||
        (r = fdt_property(fdt, "reg", reg, sizeof(reg))) < 0 ||
        (r = fdt_property_cell(fdt, "interrupts", POWERBTN_IRQ)) < 0 ||
        (r = fdt_property_cell(fdt, "interrupt-parent", VIRT_PLIC_PHANDLE)) < 0)
        return r;
    return fdt_end_node(fdt);
}

int powerbtn_create(struct powerbtn **out, struct virt *board, struct err *e)
{
    struct powerbtn *pb = xzalloc(sizeof(*pb));
    pthread_mutex_init(&pb->lock, NULL);
    pb->irq = (struct irq_line){plic_set_irq, board->plic, POWERBTN_IRQ};
    int r = physmap_add_mmio(&board->pm, "powerbtn", POWERBTN_BASE, POWERBTN_SIZE, &pb_ops, pb);
    if (r < 0) {
        err_set(e, "cannot map the power button at 0x%llx (address in use)",
                (unsigned long long)POWERBTN_BASE);
        pthread_mutex_destroy(&pb->lock);
        free(pb);
        return r;
    }
    virt_add_fdt_hook(board, pb_fdt, pb);
    *out = pb;
    return 0;
}

/* The MMIO region stays registered in the board's map, so the state must
 * outlive the vCPUs: call after they have stopped. */
void powerbtn_free(struct powerbtn *pb)
{
    if (!pb)
        return;
    pthread_mutex_destroy(&pb->lock);
    free(pb);
}

bool powerbtn_press(struct powerbtn *pb)
{
    /* set 2: make E0 37, break E0 F0 37 (Linux atkbd maps E0 37 to KEY_POWER) */
    static const uint8_t seq[] = {0xe0, 0x37, 0xe0, 0xf0, 0x37};
    pthread_mutex_lock(&pb->lock);
    bool listening = (pb->control & CTRL_RE) && pb->scanning;
    if (listening && pb->len + sizeof(seq) <= FIFO_SIZE) {
        for (size_t i = 0; i < sizeof(seq); i++)
            push(pb, seq[i]);
    } else {
        listening = false;
    }
    update_irq(pb);
    pthread_mutex_unlock(&pb->lock);
    return listening;
}

bool powerbtn_listening(struct powerbtn *pb)
{
    pthread_mutex_lock(&pb->lock);
    bool r = (pb->control & CTRL_RE) && pb->scanning;
    pthread_mutex_unlock(&pb->lock);
    return r;
}
