/* SPDX-License-Identifier: MIT */
/*
 * ctl_test: the control protocol. Every message encodes and decodes back to
 * itself; bad lines (not JSON, wrong version, unknown type) are refused with
 * a reason; line framing handles split and joined lines and refuses
 * oversized ones; the blocking client talks to a fake VM over a socketpair.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "api/check.h"
#include "api/ctl.h"

static void test_roundtrip(void)
{
    struct ctl_msg m;
    struct err e = {0};
    char *s = ctl_format_request(42, CTL_POWERDOWN);
    CHECK(s[strlen(s) - 1] == '\n');
    CHECK(ctl_parse(&m, s, strlen(s), &e) == 0);
    CHECK(m.kind == CTL_MSG_REQUEST && m.id == 42 && m.type == CTL_POWERDOWN);
    ctl_msg_fini(&m);
    free(s);

    s = ctl_format_hello("vm-1", 1234);
    CHECK(ctl_parse(&m, s, strlen(s), &e) == 0);
    CHECK(m.kind == CTL_MSG_HELLO && m.pid == 1234);
    CHECK_STR(m.name, "vm-1");
    ctl_msg_fini(&m);
    free(s);

    struct ctl_status st = {.name = "a",
                            .state = "paused",
                            .pid = 7,
                            .vcpus = 2,
                            .mem_bytes = 1u << 28,
                            .uptime_ms = 99,
                            .cpu_ns = 5,
                            .rss_bytes = 10,
                            .ram_resident_bytes = 3,
                            .powerbtn_ready = true};
    s = ctl_format_ok(9, ctl_status_to_json(&st));
    CHECK(ctl_parse(&m, s, strlen(s), &e) == 0);
    CHECK(m.kind == CTL_MSG_RESPONSE && m.ok && m.id == 9);
    struct ctl_status back;
    CHECK(ctl_status_from_json(&back, m.result, &e) == 0);
    CHECK_STR(back.name, "a");
    CHECK_STR(back.state, "paused");
    CHECK(back.pid == 7 && back.vcpus == 2 && back.mem_bytes == 1u << 28);
    CHECK(back.uptime_ms == 99 && back.cpu_ns == 5 && back.rss_bytes == 10);
    CHECK(back.ram_resident_bytes == 3 && back.powerbtn_ready);
    CHECK(!back.has_devices && back.ndisks == 0 && back.nnics == 0);
    ctl_msg_fini(&m);
    free(s);

    /* reboots and the per-device counters */
    st.reboots = 3;
    st.guest_reboots = 2;
    st.has_devices = true;
    st.ndisks = 2;
    st.disks[0] = (struct ctl_disk_stats){"vda", 1, 2, 512, 1024, 3, 4};
    st.disks[1] = (struct ctl_disk_stats){"vdb", 5, 6, 7, 8, 9, 10};
    st.nnics = 1;
    st.nics[0] = (struct ctl_nic_stats){"net0", "user", 11, 12, 13, 14, 15, 16};
    json_t *sj = ctl_status_to_json(&st);
    CHECK(ctl_status_from_json(&back, sj, &e) == 0);
    CHECK(back.reboots == 3 && back.guest_reboots == 2 && back.has_devices);
    CHECK(back.ndisks == 2 && back.nnics == 1);
    CHECK(!memcmp(&back.disks[0], &st.disks[0], sizeof(st.disks[0])));
    CHECK(!memcmp(&back.disks[1], &st.disks[1], sizeof(st.disks[1])));
    CHECK(!memcmp(&back.nics[0], &st.nics[0], sizeof(st.nics[0])));
    /* a device list that is not one is refused, naming it */
    json_object_set_new(sj, "disks", json_string("vda"));
    CHECK(ctl_status_from_json(&back, sj, &e) == -EINVAL);
    CHECK_CONTAINS(e.msg, "status.disks");
    json_decref(sj);

    s = ctl_format_error(3, "already paused");
    CHECK(ctl_parse(&m, s, strlen(s), &e) == 0);
    CHECK(m.kind == CTL_MSG_RESPONSE && !m.ok && m.id == 3);
    CHECK_STR(m.error, "already paused");
    ctl_msg_fini(&m);
    free(s);

    s = ctl_format_event("exit", json_pack("{s:i, s:s}", "status", 0, "reason", "poweroff"));
    CHECK(ctl_parse(&m, s, strlen(s), &e) == 0);
    CHECK(m.kind == CTL_MSG_EVENT);
    CHECK_STR(m.event, "exit");
    CHECK(json_integer_value(json_object_get(m.data, "status")) == 0);
    ctl_msg_fini(&m);
    free(s);

    for (int t = 0; t < CTL_NTYPES; t++) {
        enum ctl_type back_t;
        CHECK(ctl_type_parse(ctl_type_name((enum ctl_type)t), &back_t) == 0 && (int)back_t == t);
    }
}

static void expect_bad(const char *line, const char *why)
{
    struct ctl_msg m;
    struct err e = {0};
    CHECK(ctl_parse(&m, line, strlen(line), &e) == -EINVAL);
    CHECK_CONTAINS(e.msg, why);
}

static void test_bad_messages(void)
{
    expect_bad("not json", "malformed JSON");
    expect_bad("[1,2]", "expected a JSON object");
    expect_bad("{\"id\":1,\"type\":\"query\"}", "missing protocol version");
    expect_bad("{\"v\":2,\"id\":1,\"type\":\"query\"}", "unsupported control protocol version 2");
    expect_bad("{\"v\":1,\"id\":1,\"type\":\"explode\"}", "unknown request type");
    /* fuzz_ctl: the peer's type string must not break the error over lines */
    expect_bad("{\"v\":1,\"id\":1,\"type\":\"a\\nb\\u001b\"}", "type \"a\\nb\\x1b\"");
    expect_bad("{\"v\":1,\"id\":-1,\"type\":\"query\"}", "\"id\"");
    expect_bad("{\"v\":1,\"type\":\"query\"}", "\"id\"");
    expect_bad("{\"v\":1}", "neither");
    expect_bad("{\"v\":1,\"type\":\"hello\"}", "hello");
    struct ctl_status st;
    struct err e = {0};
    json_t *j = json_pack("{s:s}", "name", "x");
    CHECK(ctl_status_from_json(&st, j, &e) == -EINVAL);
    json_decref(j);
}

static void test_linebuf(void)
{
    int sv[2];
    CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
    struct ctl_linebuf lb = {0};
    size_t len;
    CHECK(write(sv[0], "ab", 2) == 2);
    CHECK(ctl_linebuf_read(&lb, sv[1]) == 2);
    CHECK(ctl_linebuf_next(&lb, &len) == NULL);
    CHECK(write(sv[0], "c\nde\nf", 6) == 6);
    CHECK(ctl_linebuf_read(&lb, sv[1]) == 6);
    char *l = ctl_linebuf_next(&lb, &len);
    CHECK(l && len == 3 && !strcmp(l, "abc"));
    l = ctl_linebuf_next(&lb, &len);
    CHECK(l && len == 2 && !strcmp(l, "de"));
    CHECK(ctl_linebuf_next(&lb, &len) == NULL);
    /* an endless line is refused, not buffered without bound */
    char *junk = malloc(8192);
    memset(junk, 'x', 8192);
    int r = 0;
    fcntl(sv[1], F_SETFL, O_NONBLOCK);
    for (int i = 0; i < 20 && r != -EMSGSIZE; i++) {
        if (write(sv[0], junk, 8192) != 8192)
            break;
        while ((r = ctl_linebuf_read(&lb, sv[1])) > 0)
            ;
    }
    CHECK(r == -EMSGSIZE);
    free(junk);
    close(sv[0]);
    close(sv[1]);
    ctl_linebuf_fini(&lb);
}

/* A fake VM: hello, one event, then answers each request in order. */
static void *fake_vm(void *arg)
{
    int fd = *(int *)arg;
    char *s = ctl_format_hello("fake", 99);
    CHECK(write(fd, s, strlen(s)) == (ssize_t)strlen(s));
    free(s);
    struct ctl_linebuf lb = {0};
    int answered = 0;
    while (answered < 2 && ctl_linebuf_read(&lb, fd) > 0) {
        char *line;
        size_t len;
        while ((line = ctl_linebuf_next(&lb, &len))) {
            struct ctl_msg m;
            struct err e = {0};
            CHECK(ctl_parse(&m, line, len, &e) == 0);
            s = ctl_format_event("state", json_pack("{s:s}", "state", "paused"));
            CHECK(write(fd, s, strlen(s)) > 0);
            free(s);
            s = m.type == CTL_PAUSE ? ctl_format_error(m.id, "already paused")
                                    : ctl_format_ok(m.id, json_pack("{s:i}", "n", 5));
            CHECK(write(fd, s, strlen(s)) > 0);
            free(s);
            answered++;
        }
    }
    ctl_linebuf_fini(&lb);
    close(fd);
    return NULL;
}

static int events_seen;

static void on_event(void *opaque, const struct ctl_msg *m)
{
    if (!strcmp(m->event, "state"))
        events_seen++;
}

static void test_client(void)
{
    char dir[] = "/tmp/ctl_test.XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char path[128];
    snprintf(path, sizeof(path), "%s/ctl.sock", dir);
    int lfd = socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    strcpy(sa.sun_path, path);
    CHECK(bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) == 0);
    CHECK(listen(lfd, 1) == 0);

    struct ctl_client *c = NULL;
    struct err e = {0};
    /* The server accepts in a thread so that connect + hello can proceed. */
    pthread_t t;
    int afd = -1;
    struct ctl_client *cc;
    int r;
    {
        /* connect first (the backlog holds it), then accept and serve */
        int pid = fork();
        if (pid == 0) {
            afd = accept(lfd, NULL, NULL);
            fake_vm(&afd);
            _exit(0);
        }
        r = ctl_client_connect(&cc, path, 5000, &e);
        CHECK(r == 0);
        c = cc;
        (void)t;
    }
    if (c) {
        CHECK_STR(ctl_client_name(c), "fake");
        CHECK(ctl_client_pid(c) == 99);
        json_t *res = NULL;
        CHECK(ctl_client_call(c, CTL_QUERY, &res, 5000, &e) == 0);
        CHECK(json_integer_value(json_object_get(res, "n")) == 5);
        json_decref(res);
        err_clear(&e);
        CHECK(ctl_client_call(c, CTL_PAUSE, NULL, 5000, &e) == -EIO);
        CHECK_STR(e.msg, "already paused");
        int pr;
        for (int i = 0; i < 100 && (pr = ctl_client_pump(c, on_event, NULL)) == 0; i++)
            usleep(10000);
        CHECK(events_seen == 2);
        ctl_client_close(c);
    }
    err_clear(&e);
    CHECK(ctl_client_connect(&cc, "/nonexistent/ctl.sock", 100, &e) < 0);
    CHECK_CONTAINS(e.msg, "/nonexistent/ctl.sock");
    close(lfd);
    unlink(path);
    rmdir(dir);
}

int main(void)
{
    test_roundtrip();
    test_bad_messages();
    test_linebuf();
    test_client();
    return check_report();
}
