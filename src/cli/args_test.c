/* SPDX-License-Identifier: MIT */
/*
 * args_test: rvctl's value arguments: memory sizes, --disk and --nic specs
 * (",," escapes a comma in a file name; unknown options are refused with a
 * message naming them), absolute paths, and %-encoded API paths.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api/check.h"
#include "cli/cli.h"

static void test_mem(void)
{
    int64_t m;
    CHECK(cli_parse_mem_mib("256M", &m) == 0 && m == 256);
    CHECK(cli_parse_mem_mib("1G", &m) == 0 && m == 1024);
    CHECK(cli_parse_mem_mib("512", &m) == 0 && m == 512);
    CHECK(cli_parse_mem_mib("1536K", &m) < 0); /* not whole MiB */
    CHECK(cli_parse_mem_mib("lots", &m) < 0);
    CHECK(cli_parse_mem_mib("0", &m) < 0);
    CHECK(cli_parse_mem_mib("-5M", &m) < 0);
}

static void test_disk(void)
{
    struct err e = {0};
    json_t *d = cli_parse_disk("/img/a,,b.qcow2,format=qcow2,readonly=on", &e);
    CHECK(d != NULL);
    CHECK_STR(json_string_value(json_object_get(d, "path")), "/img/a,b.qcow2");
    CHECK_STR(json_string_value(json_object_get(d, "format")), "qcow2");
    CHECK(json_is_true(json_object_get(d, "readonly")));
    json_decref(d);
    d = cli_parse_disk("rel.img", &e);
    char cwd[512];
    CHECK(getcwd(cwd, sizeof(cwd)) != NULL);
    const char *p = json_string_value(json_object_get(d, "path"));
    CHECK(p && p[0] == '/' && strstr(p, "rel.img"));
    json_decref(d);
    CHECK(cli_parse_disk("/x,format=vmdk", &e) == NULL);
    CHECK_CONTAINS(e.msg, "format=vmdk");
    err_clear(&e);
    CHECK(cli_parse_disk(",format=raw", &e) == NULL);
    CHECK_CONTAINS(e.msg, "no file name");
}

static void test_nic(void)
{
    struct err e = {0};
    json_t *n = cli_parse_nic("tap,ifname=tap0,mac=52:54:00:00:00:01", &e);
    CHECK_STR(json_string_value(json_object_get(n, "type")), "tap");
    CHECK_STR(json_string_value(json_object_get(n, "ifname")), "tap0");
    CHECK_STR(json_string_value(json_object_get(n, "mac")), "52:54:00:00:00:01");
    json_decref(n);
    n = cli_parse_nic("user", &e);
    CHECK_STR(json_string_value(json_object_get(n, "type")), "user");
    json_decref(n);
    CHECK(cli_parse_nic("bridge", &e) == NULL);
    err_clear(&e);
    CHECK(cli_parse_nic("user,speed=10", &e) == NULL);
    CHECK_CONTAINS(e.msg, "speed=10");
}

static void test_paths(void)
{
    char out[128];
    cli_path(out, sizeof(out), "/vms", "web-1.prod_2", "/start");
    CHECK_STR(out, "/vms/web-1.prod_2/start");
    cli_path(out, sizeof(out), "/vms", "a b/c?", "");
    CHECK_STR(out, "/vms/a%20b%2Fc%3F");
    char *a = cli_abspath("/already/absolute");
    CHECK_STR(a, "/already/absolute");
    free(a);
}

int main(void)
{
    test_mem();
    test_disk();
    test_nic();
    test_paths();
    return check_report();
}
