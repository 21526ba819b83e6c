/* SPDX-License-Identifier: MIT */
/*
 * netdev_test: --net spec parsing (every option, QEMU's hostfwd forms, and
 * the one-line errors for bad specs), default MAC addresses (stable per
 * seed and index, locally administered unicast), and the user back end
 * for real: libslirp answers an ARP request for the gateway through the
 * peer's receive callback, and a hostfwd on a port already in use fails
 * with a message naming it.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "net/net_testutil.h"
#include "net/netdev.h"
#include "util/evloop.h"

static void test_parse_user(void)
{
    struct netdev_config c;
    struct err e = {0};
    CHECK_EQ(netdev_parse("user", &c, &e), 0);
    CHECK_EQ(c.kind, NETDEV_USER);
    CHECK_EQ(c.nhostfwd, 0);
    CHECK(!c.has_mac);
    CHECK_EQ(netdev_parse("user,hostfwd=tcp::5555-:22", &c, &e), 0);
    CHECK_EQ(c.nhostfwd, 1);
    CHECK(!c.hostfwd[0].udp);
    CHECK_EQ(c.hostfwd[0].host_addr.s_addr, htonl(INADDR_ANY));
    CHECK_EQ(c.hostfwd[0].host_port, 5555);
    CHECK_EQ(c.hostfwd[0].guest_addr.s_addr, htonl(INADDR_ANY));
    CHECK_EQ(c.hostfwd[0].guest_port, 22);
    CHECK_EQ(netdev_parse("user,hostfwd=udp:127.0.0.1:5353-10.0.2.15:53,hostfwd=::80-:8080,"
                          "mac=52:54:00:AA:bb:0c",
                          &c, &e),
             0);
    CHECK_EQ(c.nhostfwd, 2);
    CHECK(c.hostfwd[0].udp);
    CHECK_EQ(c.hostfwd[0].host_addr.s_addr, htonl(0x7f000001));
    CHECK_EQ(c.hostfwd[0].guest_addr.s_addr, htonl(0x0a00020f));
    CHECK_EQ(c.hostfwd[1].host_port, 80);
    CHECK_EQ(c.hostfwd[1].guest_port, 8080);
    CHECK(c.has_mac);
    const uint8_t mac[6] = {0x52, 0x54, 0x00, 0xaa, 0xbb, 0x0c};
    CHECK(!memcmp(c.mac, mac, 6));
    CHECK(!e.set);
}

static void test_parse_tap(void)
{
    struct netdev_config c;
    struct err e = {0};
    CHECK_EQ(netdev_parse("tap,ifname=tap0,mac=02:00:00:00:00:01", &c, &e), 0);
    CHECK_EQ(c.kind, NETDEV_TAP);
    CHECK(!strcmp(c.ifname, "tap0"));
    CHECK(c.has_mac);
}

/* A bad spec fails with "--net SPEC: ..." containing `what`. */
static void bad(const char *spec, const char *what)
{
    struct netdev_config c;
    struct err e = {0};
    char prefix[300];
    CHECK(netdev_parse(spec, &c, &e) < 0);
    snprintf(prefix, sizeof(prefix), "--net %s: ", spec);
    CHECK(!strncmp(e.msg, prefix, strlen(prefix)));
    if (!strstr(e.msg, what)) {
        fprintf(stderr, "message '%s' lacks '%s'\n", e.msg, what);
        check_failures++;
    }
    CHECK(!strchr(e.msg, '\n'));
}

static void test_parse_errors(void)
{
    bad("", "unknown back end");
    bad("bridge", "unknown back end 'bridge'");
    bad("user,bogus=1", "unknown option 'bogus'");
    bad("user,hostfwd", "expected key=value");
    bad("user,ifname=tap0", "unknown option 'ifname'");
    bad("user,hostfwd=tcp::0-:22", "bad host address or port");
    bad("user,hostfwd=tcp::70000-:22", "bad host address or port");
    bad("user,hostfwd=tcp::22-:x", "bad guest address or port");
    bad("user,hostfwd=tcp:300.1.1.1:22-:22", "bad host address");
    bad("user,hostfwd=sctp::1-:2", "protocol must be tcp or udp");
    bad("user,hostfwd=tcp:22", "expected [tcp|udp]");
    bad("user,mac=01:00:5e:00:00:01", "not a unicast address");
    bad("user,mac=52:54:00:aa:bb", "not a unicast address");
    bad("user,mac=52:54:00:aa:bb:cc:dd", "not a unicast address");
    bad("tap", "tap needs ifname=NAME");
    bad("tap,ifname=", "ifname must be 1 to 15");
    bad("tap,ifname=a-much-too-long-name", "ifname must be 1 to 15");
    bad("tap,ifname=a/b", "not allowed");
    bad("tap,ifname=t0,hostfwd=tcp::1-:2", "unknown option 'hostfwd'");
    char many[1024] = "user";
    for (int i = 0; i <= NETDEV_MAX_HOSTFWD; i++)
        snprintf(many + strlen(many), sizeof(many) - strlen(many), ",hostfwd=::%d-:1", 1000 + i);
    bad(many, "more than 16 hostfwd rules");
}

static void test_default_mac(void)
{
    uint8_t a[6], b[6], c[6], r[6];
    netdev_default_mac("vm1", 0, a);
    netdev_default_mac("vm1", 0, b);
    netdev_default_mac("vm1", 1, c);
    CHECK(!memcmp(a, b, 6));
    CHECK(memcmp(a, c, 6));
    CHECK(a[0] == 0x52 && a[1] == 0x54 && a[2] == 0x00);
    netdev_default_mac(NULL, 0, r);
    CHECK(r[0] == 0x52 && r[1] == 0x54 && r[2] == 0x00);
    uint8_t m[6];
    CHECK_EQ(netdev_parse_mac("52:54:00:01:02:03", m), 0);
    CHECK_EQ(m[5], 3);
}

struct catcher {
    int frames;
    uint8_t last[128];
    size_t last_len;
};

static void catch_receive(void *opaque, const void *frame, size_t len)
{
    struct catcher *c = opaque;
    c->frames++;
    c->last_len = len;
    memcpy(c->last, frame, len < sizeof(c->last) ? len : sizeof(c->last));
}

static const struct netdev_peer_ops catch_ops = {.receive = catch_receive};

static void test_slirp_arp(void)
{
    struct evloop *loop = evloop_new();
    struct netdev_config c;
    struct netdev *nd;
    struct err e = {0};
    struct catcher got = {0};
    CHECK_EQ(netdev_parse("user", &c, &e), 0);
    if (netdev_open(&nd, &c, loop, &e) < 0) {
        fprintf(stderr, "%s\n", e.msg);
        check_failures++;
        evloop_free(loop);
        return;
    }
    netdev_set_peer(nd, &catch_ops, &got);
    /* who has 10.0.2.2? tell 10.0.2.15 */
    uint8_t arp[42] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x52, 0x54, 0, 0x12, 0x34,
                       0x56, 0x08, 0x06, 0,    1,    0x08, 0,    6,    4, 0,    1,
                       0x52, 0x54, 0,    0x12, 0x34, 0x56, 10,   0,    2, 15,   0,
                       0,    0,    0,    0,    0,    10,   0,    2,    2};
    CHECK_EQ(netdev_send(nd, arp, sizeof(arp)), 0);
    netdev_tx_flush(nd);
    CHECK_EQ(got.frames, 1);
    CHECK(got.last_len >= 42);
    CHECK_EQ(nt_get16(got.last + 12), 0x0806);
    CHECK_EQ(nt_get16(got.last + 20), 2); /* reply */
    const uint8_t gw[4] = {10, 0, 2, 2};
    CHECK(!memcmp(got.last + 28, gw, 4));
    CHECK(!memcmp(got.last, arp + 6, 6)); /* to the asker */
    CHECK_EQ(nd->stats.tx_frames, 1);
    CHECK_EQ(nd->stats.rx_frames, 1);
    netdev_free(nd);
    evloop_free(loop);
}

static void test_slirp_hostfwd_in_use(void)
{
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t alen = sizeof(a);
    CHECK(s >= 0 && bind(s, (struct sockaddr *)&a, sizeof(a)) == 0 && listen(s, 1) == 0 &&
          getsockname(s, (struct sockaddr *)&a, &alen) == 0);
    char spec[80], port[16];
    snprintf(port, sizeof(port), "%u", ntohs(a.sin_port));
    snprintf(spec, sizeof(spec), "user,hostfwd=tcp:127.0.0.1:%s-:22", port);
    struct evloop *loop = evloop_new();
    struct netdev_config c;
    struct netdev *nd = NULL;
    struct err e = {0};
    CHECK_EQ(netdev_parse(spec, &c, &e), 0);
    CHECK(netdev_open(&nd, &c, loop, &e) < 0);
    CHECK(strstr(e.msg, spec) && strstr(e.msg, port) && strstr(e.msg, "in use"));
    evloop_free(loop);
    close(s);
}

int main(void)
{
    RUN(test_parse_user);
    RUN(test_parse_tap);
    RUN(test_parse_errors);
    RUN(test_default_mac);
    RUN(test_slirp_arp);
    RUN(test_slirp_hostfwd_in_use);
    return check_failures ? 1 : 0;
}
