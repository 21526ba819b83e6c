/* SPDX-License-Identifier: MIT */
/*
 * table_test: rvctl's human output: columns padded to the widest cell
 * (header included), no trailing padding, and the byte and duration formats.
 */
#include <stdlib.h>
#include <string.h>

#include "api/check.h"
#include "cli/cli.h"

static void test_table(void)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    static const char *const h[] = {"NAME", "STATE", "X"};
    struct table *t = table_new(3, h);
    const char *r1[] = {"a-long-name", "running", "1"};
    const char *r2[] = {"b", "stopped", "22"};
    table_add(t, r1);
    table_add(t, r2);
    table_print(t, f);
    fclose(f);
    CHECK_STR(buf, "NAME         STATE    X\n"
                   "a-long-name  running  1\n"
                   "b            stopped  22\n");
    free(buf);
}

static void test_formats(void)
{
    char s[32];
    fmt_bytes(s, sizeof(s), 0);
    CHECK_STR(s, "0 B");
    fmt_bytes(s, sizeof(s), 1536);
    CHECK_STR(s, "1.5 KiB");
    fmt_bytes(s, sizeof(s), 256.0 * 1048576);
    CHECK_STR(s, "256 MiB");
    fmt_bytes(s, sizeof(s), 3.0 * 1073741824);
    CHECK_STR(s, "3.0 GiB");
    static const struct {
        double v;
        const char *want;
    } shorts[] = {{0, "0"},
                  {512, "512B"},
                  {1000, "1.0K"},
                  {9.5 * 1024, "9.5K"},
                  {120 * 1024, "120K"},
                  {1.5 * 1048576, "1.5M"}};
    for (size_t i = 0; i < sizeof(shorts) / sizeof(shorts[0]); i++) {
        fmt_bytes_short(s, sizeof(s), shorts[i].v);
        CHECK_STR(s, shorts[i].want);
    }
    fmt_bytes_short(s, sizeof(s), 999.9 * 1048576);
    CHECK(strlen(s) <= 5);
    fmt_duration(s, sizeof(s), 12.7);
    CHECK_STR(s, "12s");
    fmt_duration(s, sizeof(s), 247);
    CHECK_STR(s, "4m07s");
    fmt_duration(s, sizeof(s), 7500);
    CHECK_STR(s, "2h05m");
    fmt_duration(s, sizeof(s), 3 * 86400 + 4 * 3600);
    CHECK_STR(s, "3d4h");
}

int main(void)
{
    test_table();
    test_formats();
    return check_report();
}
