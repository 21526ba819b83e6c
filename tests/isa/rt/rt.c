/* SPDX-License-Identifier: MIT */
/*
 * rt.c: console, SBI, check bookkeeping and the C half of the trap handler
 * for the bare ISA test programs. See rt.h for the contracts.
 *
 * Output goes straight to the ns16550a THR (0x10000000) after polling
 * LSR.THRE, so it works before and after paging is enabled (the paging tests
 * identity-map the UART) and from the trap handler.
 */
#include <stdarg.h>

#include "rt.h"

#define UART_BASE 0x10000000ul
#define UART_THR 0
#define UART_LSR 5
#define UART_LSR_THRE 0x20

uint64_t rt_hartid;
uint64_t rt_dtb;
volatile struct trap_record trap_last;
uint64_t rt_user_exit_sstatus;

static const char *cur_group;
static int group_checks, group_failed;
static int total_failed;
static volatile bool trap_armed;
static irq_hook_fn irq_hook;

extern uint64_t rt_user_enter(uint64_t pc, uint64_t a0, uint64_t a1, uint64_t sp, uint64_t ra);

/* ---- console ---- */

void rt_putc(char c)
{
    volatile uint8_t *uart = (volatile uint8_t *)UART_BASE;
    while (!(uart[UART_LSR] & UART_LSR_THRE))
        ;
    uart[UART_THR] = (uint8_t)c;
}

void rt_puts(const char *s)
{
    while (*s)
        rt_putc(*s++);
}

static void put_num(uint64_t v, unsigned base, int width, char pad, bool neg)
{
    char buf[24];
    int n = 0;
    do {
        buf[n++] = "0123456789abcdef"[v % base];
        v /= base;
    } while (v);
    if (neg)
        buf[n++] = '-';
    while (n < width--)
        rt_putc(pad);
    while (n)
        rt_putc(buf[--n]);
}

static void vprint(const char *fmt, va_list ap)
{
    for (; *fmt; fmt++) {
        if (*fmt != '%') {
            rt_putc(*fmt);
            continue;
        }
        fmt++;
        char pad = ' ';
        int width = 0, lng = 0;
        if (*fmt == '0')
            pad = '0';
        while (*fmt >= '0' && *fmt <= '9')
            width = width * 10 + (*fmt++ - '0');
        while (*fmt == 'l') {
            lng++;
            fmt++;
        }
        uint64_t u;
        switch (*fmt) {
        case 's':
            rt_puts(va_arg(ap, const char *));
            break;
        case 'c':
            rt_putc((char)va_arg(ap, int));
            break;
        case 'd': {
            int64_t s = lng ? va_arg(ap, int64_t) : va_arg(ap, int);
            put_num(s < 0 ? -(uint64_t)s : (uint64_t)s, 10, width, pad, s < 0);
            break;
        }
        case 'u':
        case 'x':
            u = lng ? va_arg(ap, uint64_t) : va_arg(ap, unsigned);
            put_num(u, *fmt == 'u' ? 10 : 16, width, pad, false);
            break;
        case 'p':
            rt_puts("0x");
            put_num((uint64_t)va_arg(ap, void *), 16, 16, '0', false);
            break;
        case '%':
            rt_putc('%');
            break;
        default:
            rt_putc('?');
            break;
        }
    }
}

void rt_printf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vprint(fmt, ap);
    va_end(ap);
}

/* ---- SBI ---- */

struct sbiret sbi_call(long eid, long fid, long a0, long a1, long a2)
{
    register long r_a0 asm("a0") = a0;
    register long r_a1 asm("a1") = a1;
    register long r_a2 asm("a2") = a2;
    register long r_a6 asm("a6") = fid;
    register long r_a7 asm("a7") = eid;
    asm volatile("ecall"
                 : "+r"(r_a0), "+r"(r_a1)
                 : "r"(r_a2), "r"(r_a6), "r"(r_a7)
                 : "memory");
    return (struct sbiret){r_a0, r_a1};
}

void sbi_set_timer(uint64_t when)
{
    sbi_call(SBI_EXT_TIME, 0, (long)when, 0, 0);
}

void rt_shutdown(bool failure)
{
    /* SRST system_reset(type 0 = shutdown, reason 0 = none / 1 = failure) */
    sbi_call(SBI_EXT_SRST, 0, 0, failure ? 1 : 0, 0);
    /* Fallback: the syscon/sifive_test poweroff register. */
    *(volatile uint32_t *)0x100000ul = 0x5555;
    for (;;)
        asm volatile("wfi");
}

/* ---- checks ---- */

void t_begin(const char *group)
{
    cur_group = group;
    group_checks = 0;
    group_failed = 0;
}

void t_end(void)
{
    if (group_failed)
        rt_printf("%s: %d of %d checks FAILED\n", cur_group, group_failed, group_checks);
    else
        rt_printf("%s: ok (%d checks)\n", cur_group, group_checks);
    cur_group = 0;
}

int rt_result(void)
{
    return total_failed;
}

void rt_fail(int line, const char *msg)
{
    group_checks++;
    group_failed++;
    total_failed++;
    rt_printf("  FAIL %s line %d: %s\n", cur_group ? cur_group : "-", line, msg);
}

bool rt_check(int line, const char *expr, uint64_t got, uint64_t want)
{
    group_checks++;
    if (got == want)
        return true;
    group_failed++;
    total_failed++;
    rt_printf("  FAIL %s line %d: %s = 0x%lx, want 0x%lx\n", cur_group ? cur_group : "-", line,
              expr, got, want);
    return false;
}

void rt_note(const char *fmt, ...)
{
    va_list ap;
    rt_puts("  note: ");
    va_start(ap, fmt);
    vprint(fmt, ap);
    va_end(ap);
    rt_putc('\n');
}

/* ---- platform ---- */

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

bool rt_on_qemu(void)
{
    static const char needle[] = "riscv-virtio,qemu";
    const uint8_t *p = (const uint8_t *)rt_dtb;
    /* The DTB address is loader-provided: look only inside RAM. */
    if (rt_dtb < 0x80000000ul || rt_dtb >= 0x90000000ul || (rt_dtb & 7))
        return false;
    if (be32(p) != 0xd00dfeed)
        return false;
    uint32_t size = be32(p + 4);
    if (size > 0x100000 || rt_dtb + size > 0x90000000ul)
        return false;
    for (uint32_t i = 0; i + sizeof(needle) <= size; i++)
        if (memcmp(p + i, needle, sizeof(needle)) == 0)
            return true;
    return false;
}

/* ---- traps ---- */

void trap_expect(void)
{
    trap_last.count = 0;
    trap_last.cause = trap_last.tval = trap_last.epc = trap_last.status = ~0ull;
    trap_last.vec = -2;
    trap_armed = true;
}

bool trap_check(int line, uint64_t cause, uint64_t tval)
{
    trap_armed = false;
    bool ok = trap_last.count == 1 && trap_last.cause == cause &&
              (tval == TVAL_ANY || trap_last.tval == tval);
    group_checks++;
    if (!ok) {
        group_failed++;
        total_failed++;
        rt_printf("  FAIL %s line %d: traps=%d scause=0x%lx stval=0x%lx sepc=0x%lx, want "
                  "scause=0x%lx stval=0x%lx\n",
                  cur_group ? cur_group : "-", line, trap_last.count, trap_last.cause,
                  trap_last.tval, trap_last.epc, cause, tval);
    }
    return ok;
}

void trap_disarm(void)
{
    trap_armed = false;
}

bool trap_none(int line)
{
    trap_armed = false;
    group_checks++;
    if (trap_last.count == 0)
        return true;
    group_failed++;
    total_failed++;
    rt_printf("  FAIL %s line %d: unexpected trap scause=0x%lx stval=0x%lx sepc=0x%lx\n",
              cur_group ? cur_group : "-", line, trap_last.cause, trap_last.tval,
              trap_last.epc);
    return false;
}

void trap_set_irq_hook(irq_hook_fn fn)
{
    irq_hook = fn;
}

/* Length of the instruction at pc (RISC-V unpriv. §1.5: 16-bit parcels with
 * low bits != 11 are compressed). The pc may be a U page or execute-only, so
 * read it with SUM and MXR set. */
static unsigned insn_len(uint64_t pc)
{
    uint64_t old = csr_read(sstatus);
    csr_set(sstatus, SSTATUS_SUM | SSTATUS_MXR);
    uint16_t h = *(volatile uint16_t *)pc;
    csr_write(sstatus, old);
    return (h & 3) == 3 ? 4 : 2;
}

static void fatal_trap(struct trap_frame *f, const char *why)
{
    rt_printf("%s: scause=0x%lx sepc=0x%lx stval=0x%lx sstatus=0x%lx vec=%ld\n", why, f->scause,
              f->sepc, f->stval, f->sstatus, f->vec);
    rt_printf("FAIL %d\n", total_failed + 1);
    rt_shutdown(true);
}

/* Called by trap_common (head.S) on the trap stack. Returns 1 to end a U-mode
 * run (rt_user_return), 0 to sret with the (possibly edited) frame. */
int rt_trap_handle(struct trap_frame *f)
{
    int r = rt_smp_trap(f);
    if (r >= 0)
        return r;
    if (f->scause & SCAUSE_INTR) {
        if (!irq_hook)
            fatal_trap(f, "unexpected interrupt");
        irq_hook(f);
        return 0;
    }
    if (f->scause == EXC_ECALL_U && f->x[17] == RT_USER_EXIT) {
        rt_user_exit_sstatus = f->sstatus;
        return 1;
    }
    if (!trap_armed)
        fatal_trap(f, "unexpected trap");
    trap_last.count++;
    trap_last.cause = f->scause;
    trap_last.tval = f->stval;
    trap_last.epc = f->sepc;
    trap_last.status = f->sstatus;
    trap_last.vec = f->vec;
    if (trap_last.count > 8)
        fatal_trap(f, "trap loop");
    switch (f->scause) {
    case EXC_INSN_MISALIGNED:
    case EXC_INSN_ACCESS:
    case EXC_INSN_PAGE:
        f->sepc = f->x[1];
        break;
    default:
        f->sepc += insn_len(f->sepc);
        break;
    }
    return 0;
}

uint64_t rt_user_run(const struct user_ctx *c)
{
    return rt_user_enter(c->pc, c->a0, c->a1, c->sp, c->ra);
}

uint64_t rt_user_call(void *fn, uint64_t a0, uint64_t a1)
{
    struct user_ctx c = {(uint64_t)fn, a0, a1, (uint64_t)rt_user_stack_top, (uint64_t)u_exit};
    return rt_user_run(&c);
}

/* ---- libc bits the compiler may call ---- */

void *memset(void *d, int c, unsigned long n)
{
    uint8_t *p = d;
    while (n--)
        *p++ = (uint8_t)c;
    return d;
}

void *memcpy(void *d, const void *s, unsigned long n)
{
    uint8_t *p = d;
    const uint8_t *q = s;
    while (n--)
        *p++ = *q++;
    return d;
}

int memcmp(const void *a, const void *b, unsigned long n)
{
    const uint8_t *p = a, *q = b;
    for (; n; n--, p++, q++)
        if (*p != *q)
            return *p < *q ? -1 : 1;
    return 0;
}

/* ---- entry ---- */

void rt_main(uint64_t hartid, uint64_t dtb)
{
    rt_hartid = hartid;
    rt_dtb = dtb;
    rt_printf("ISA-TEST %s\n", rt_test_name);
    int r = main();
    if (r == 0 && total_failed == 0) {
        rt_puts("PASS\n");
        rt_shutdown(false);
    }
    rt_printf("FAIL %d\n", total_failed ? total_failed : r);
    rt_shutdown(true);
}
