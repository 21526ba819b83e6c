/* SPDX-License-Identifier: MIT */
/*
 * vmconfig_test: VM definitions. A full definition survives
 * parse -> encode -> parse; defaults fill what is left out; every kind of
 * bad input (unknown field, wrong type, out of range, bad enum, relative
 * path, bad name) is refused with an error naming the field.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "api/check.h"
#include "api/vmconfig.h"

static int parse(const char *text, struct vmdef *d, unsigned flags, struct err *e, char *field)
{
    json_error_t je;
    json_t *j = json_loads(text, JSON_ALLOW_NUL, &je);
    if (!j) {
        fprintf(stderr, "test JSON does not parse: %s\n", je.text);
        return -99;
    }
    int r = vmdef_from_json(d, j, flags, e, field);
    json_decref(j);
    return r;
}

static void test_full_roundtrip(void)
{
    const char *text =
        "{\"name\":\"web-1\",\"uuid\":\"123e4567-e89b-42d3-a456-426614174000\",\"vcpus\":2,"
        "\"memory_mib\":512,\"kernel\":\"/k/Image\",\"initrd\":\"/k/initrd\","
        "\"cmdline\":\"console=ttyS0 root=/dev/vda\","
        "\"disks\":[{\"path\":\"/d/a.qcow2\",\"format\":\"qcow2\"},"
        "{\"path\":\"/d/b.raw\",\"format\":\"raw\",\"readonly\":true}],"
        "\"nics\":[{\"type\":\"user\",\"mac\":\"52:54:00:12:34:56\"},"
        "{\"type\":\"tap\",\"ifname\":\"tap0\"}],"
        "\"autostart\":true,\"restart\":\"on-failure\",\"template\":\"base\"}";
    struct vmdef d, d2;
    struct err e = {0};
    char field[VMDEF_FIELD_MAX];
    CHECK(parse(text, &d, VMDEF_STORED, &e, field) == 0);
    CHECK_STR(d.name, "web-1");
    CHECK(d.vcpus == 2 && d.memory_mib == 512 && d.ndisks == 2 && d.nnics == 2);
    CHECK(d.disks[1].readonly && !d.disks[0].readonly);
    CHECK(d.autostart && d.restart == VMDEF_RESTART_ON_FAILURE);
    CHECK_STR(d.template_name, "base");
    json_t *j = vmdef_to_json(&d);
    CHECK(vmdef_from_json(&d2, j, VMDEF_STORED, &e, field) == 0);
    json_t *j2 = vmdef_to_json(&d2);
    CHECK(json_equal(j, j2));
    struct vmdef d3;
    vmdef_copy(&d3, &d2);
    json_t *j3 = vmdef_to_json(&d3);
    CHECK(json_equal(j, j3));
    json_decref(j);
    json_decref(j2);
    json_decref(j3);
    vmdef_fini(&d);
    vmdef_fini(&d2);
    vmdef_fini(&d3);
}

static void test_defaults(void)
{
    struct vmdef d;
    struct err e = {0};
    char field[VMDEF_FIELD_MAX];
    CHECK(parse("{\"name\":\"a\",\"kernel\":\"/k\"}", &d, 0, &e, field) == 0);
    CHECK(d.vcpus == 1 && d.memory_mib == 256 && !d.autostart);
    CHECK(d.restart == VMDEF_RESTART_NO && d.ndisks == 0 && !d.initrd);
    CHECK_STR(d.cmdline, "console=ttyS0");
    vmdef_fini(&d);
    /* overrides with no name and no kernel */
    CHECK(parse("{\"memory_mib\":128}", &d, VMDEF_NO_NAME | VMDEF_NO_KERNEL, &e, field) == 0);
    CHECK(d.memory_mib == 128 && !d.name[0]);
    vmdef_fini(&d);
}

static void expect_bad(const char *text, const char *field_want, const char *msg_want)
{
    struct vmdef d;
    struct err e = {0};
    char field[VMDEF_FIELD_MAX];
    int r = parse(text, &d, 0, &e, field);
    CHECK(r == -22);
    CHECK_STR(field, field_want);
    CHECK_CONTAINS(e.msg, msg_want);
    if (field_want[0])
        CHECK(!strncmp(e.msg, field_want, strlen(field_want)));
}

static void test_rejections(void)
{
    expect_bad("[]", "", "expected a JSON object");
    expect_bad("{\"kernel\":\"/k\"}", "name", "required");
    expect_bad("{\"name\":\"a\"}", "kernel", "required");
    expect_bad("{\"name\":\"a/b\",\"kernel\":\"/k\"}", "name", "not a valid name");
    expect_bad("{\"name\":\"-a\",\"kernel\":\"/k\"}", "name", "not a valid name");
    expect_bad("{\"name\":7,\"kernel\":\"/k\"}", "name", "expected a string, got integer");
    expect_bad("{\"name\":\"a\",\"kernel\":\"/k\",\"colour\":1}", "colour", "unknown field");
    expect_bad("{\"name\":\"a\",\"kernel\":\"/k\",\"vcpus\":\"2\"}", "vcpus",
               "expected an integer, got string");
    expect_bad("{\"name\":\"a\",\"kernel\":\"/k\",\"vcpus\":0}", "vcpus", "outside 1..32");
    expect_bad("{\"name\":\"a\",\"kernel\":\"/k\",\"memory_mib\":1.5}", "memory_mib", "got number");
    expect_bad("{\"name\":\"a\",\"kernel\":\"/k\",\"memory_mib\":8}", "memory_mib", "outside");
    expect_bad("{\"name\":\"a\",\"kernel\":\"rel/k\"}", "kernel", "absolute path");
    expect_bad("{\"name\":\"a\",\"kernel\":\"/k\",\"autostart\":\"yes\"}", "autostart",
               "expected true or false");
    expect_bad("{\"name\":\"a\",\"kernel\":\"/k\",\"restart\":\"sometimes\"}", "restart",
               "expected no, on-failure or always");
    expect_bad("{\"name\":\"a\",\"kernel\":\"/k\",\"disks\":{}}", "disks", "expected an array");
    expect_bad("{\"name\":\"a\",\"kernel\":\"/k\",\"disks\":[{\"format\":\"raw\"}]}",
               "disks[0].path", "required");
    expect_bad("{\"name\":\"a\",\"kernel\":\"/k\",\"disks\":[{\"path\":\"/x\"},"
               "{\"path\":\"/y\",\"format\":\"vmdk\"}]}",
               "disks[1].format", "raw, qcow2");
    expect_bad("{\"name\":\"a\",\"kernel\":\"/k\",\"disks\":[{\"path\":\"/x\",\"size\":1}]}",
               "disks[0].size", "unknown field");
    expect_bad("{\"name\":\"a\",\"kernel\":\"/k\",\"disks\":[7]}", "disks[0]",
               "expected an object");
    expect_bad("{\"name\":\"a\",\"kernel\":\"/k\",\"nics\":[{\"type\":\"tap\"}]}", "nics[0].ifname",
               "required for a tap");
    expect_bad("{\"name\":\"a\",\"kernel\":\"/k\",\"nics\":[{\"mac\":\"zz\"}]}", "nics[0].mac",
               "not a MAC");
    expect_bad("{\"name\":\"a\",\"kernel\":\"/k\",\"template\":\"t\"}", "template", "set by");
    expect_bad("{\"name\":\"a\",\"kernel\":\"/k\",\"uuid\":\"nope\"}", "uuid", "not a UUID");
    expect_bad("{\"name\":\"a\",\"kernel\":\"/k\",\"cmdline\":\"a\\nb\"}", "cmdline", "newline");
    expect_bad("{\"name\":\"a\",\"kernel\":\"/k\\u0000x\"}", "kernel", "NUL");
}

static void test_names_and_uuids(void)
{
    CHECK(vmdef_name_valid("a"));
    CHECK(vmdef_name_valid("Web_1.prod-2"));
    CHECK(!vmdef_name_valid(""));
    CHECK(!vmdef_name_valid(".."));
    CHECK(!vmdef_name_valid("a b"));
    char long_name[70];
    memset(long_name, 'a', 64);
    long_name[64] = 0;
    CHECK(!vmdef_name_valid(long_name));
    char u[37], v[37];
    vmdef_uuid_generate(u);
    vmdef_uuid_generate(v);
    CHECK(vmdef_uuid_valid(u) && strcmp(u, v) && u[14] == '4');
}

/* Found by tests/fuzz/fuzz_vmconfig: user strings quoted in an error (a
 * name, an unknown key, a NIC type) broke it over several lines. */
static void test_error_is_one_line(void)
{
    const char *texts[] = {
        "{\"name\":\"a\\nb\",\"kernel\":\"/k\"}",
        "{\"name\":\"a\",\"kernel\":\"/k\",\"x\\ny\\u001b[2J\":1}",
        "{\"name\":\"a\",\"kernel\":\"/k\",\"nics\":[{\"type\":\"u\\r\\n\"}]}",
    };
    for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
        struct vmdef d;
        struct err e = {0};
        char field[VMDEF_FIELD_MAX];
        CHECK(parse(texts[i], &d, 0, &e, field) == -EINVAL);
        for (const char *p = e.msg; *p; p++)
            CHECK((unsigned char)*p >= 0x20 && *p != 0x7f);
        CHECK_CONTAINS(e.msg, "\\n");
    }
}

int main(void)
{
    test_full_roundtrip();
    test_error_is_one_line();
    test_defaults();
    test_rejections();
    test_names_and_uuids();
    return check_report();
}
