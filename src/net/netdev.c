/* SPDX-License-Identifier: MIT */
/*
 * netdev: --net spec parsing, default MAC addresses, and the thin glue
 * between a device and its back end. See netdev.h.
 *
 * A spec is a back-end name followed by comma-separated key=value options,
 * in QEMU's -netdev spelling where the two overlap (hostfwd, ifname), so a
 * QEMU user can carry a command line over. Every problem is reported once,
 * as "--net SPEC: problem", and nothing is opened until the whole spec
 * parsed.
 */
#include "net/netdev.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

static int bad(struct err *e, const char *spec, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int bad(struct err *e, const char *spec, const char *fmt, ...)
{
    char msg[ERR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    err_set(e, "--net %s: %s", spec, msg);
    return -EINVAL;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

int netdev_parse_mac(const char *s, uint8_t mac[NETDEV_MAC_LEN])
{
    uint8_t m[NETDEV_MAC_LEN];
    for (int i = 0; i < NETDEV_MAC_LEN; i++) {
        int hi = hexval(s[0]), lo = hi < 0 ? -1 : hexval(s[1]);
        if (lo < 0)
            return -EINVAL;
        m[i] = (uint8_t)(hi << 4 | lo);
        s += 2;
        if (i < NETDEV_MAC_LEN - 1 && *s++ != ':')
            return -EINVAL;
    }
    /* a NIC's own address must be unicast (bit 0 of the first octet clear) */
    if (*s || (m[0] & 1))
        return -EINVAL;
    memcpy(mac, m, sizeof(m));
    return 0;
}

void netdev_default_mac(const char *seed, unsigned index, uint8_t mac[NETDEV_MAC_LEN])
{
    uint32_t bits;
    if (seed) {
        /* FNV-1a, 64 bits, over the seed and the NIC's index */
        uint64_t h = 0xcbf29ce484222325ull;
        for (const char *p = seed; *p; p++)
            h = (h ^ (uint8_t)*p) * 0x100000001b3ull;
        for (int i = 0; i < 4; i++)
            h = (h ^ (uint8_t)(index >> (8 * i))) * 0x100000001b3ull;
        bits = (uint32_t)(h ^ (h >> 32));
    } else if (getrandom(&bits, sizeof(bits), 0) != (ssize_t)sizeof(bits)) {
        bits = (uint32_t)rand() ^ index;
    }
    /* 52:54:00 is locally administered and unicast (QEMU's default prefix) */
    mac[0] = 0x52;
    mac[1] = 0x54;
    mac[2] = 0x00;
    mac[3] = (uint8_t)(bits >> 16);
    mac[4] = (uint8_t)(bits >> 8);
    mac[5] = (uint8_t)bits;
}

static int parse_port(const char *s, uint16_t *port)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (!*s || *end || errno || v < 1 || v > 65535)
        return -EINVAL;
    *port = (uint16_t)v;
    return 0;
}

/* "[ADDR]:PORT" in place; an empty ADDR is INADDR_ANY. */
static int parse_addr_port(char *s, struct in_addr *addr, uint16_t *port)
{
    char *colon = strrchr(s, ':');
    if (!colon)
        return -EINVAL;
    *colon = '\0';
    addr->s_addr = htonl(INADDR_ANY);
    if (*s && inet_pton(AF_INET, s, addr) != 1)
        return -EINVAL;
    return parse_port(colon + 1, port);
}

/* hostfwd=[tcp|udp]:[HOSTADDR]:HOSTPORT-[GUESTADDR]:GUESTPORT (QEMU's syntax) */
static int parse_hostfwd(const char *spec, const char *val, struct netdev_config *cfg,
                         struct err *e)
{
    char buf[96];
    if (cfg->nhostfwd == NETDEV_MAX_HOSTFWD)
        return bad(e, spec, "more than %d hostfwd rules", NETDEV_MAX_HOSTFWD);
    if (strlen(val) >= sizeof(buf))
        return bad(e, spec, "hostfwd rule '%s' too long", val);
    strcpy(buf, val);
    struct netdev_hostfwd *f = &cfg->hostfwd[cfg->nhostfwd];
    char *colon = strchr(buf, ':'), *dash = colon ? strchr(colon, '-') : NULL;
    if (!colon || !dash)
        return bad(e, spec,
                   "hostfwd '%s': expected [tcp|udp]:[HOSTADDR]:HOSTPORT-"
                   "[GUESTADDR]:GUESTPORT",
                   val);
    *colon = *dash = '\0';
    if (!strcmp(buf, "udp"))
        f->udp = true;
    else if (buf[0] && strcmp(buf, "tcp"))
        return bad(e, spec, "hostfwd '%s': protocol must be tcp or udp, not '%s'", val, buf);
    if (parse_addr_port(colon + 1, &f->host_addr, &f->host_port) < 0)
        return bad(e, spec, "hostfwd '%s': bad host address or port (1-65535)", val);
    if (parse_addr_port(dash + 1, &f->guest_addr, &f->guest_port) < 0)
        return bad(e, spec, "hostfwd '%s': bad guest address or port (1-65535)", val);
    cfg->nhostfwd++;
    return 0;
}

static int parse_ifname(const char *spec, const char *val, struct netdev_config *cfg, struct err *e)
{
    size_t n = strlen(val);
    if (n == 0 || n >= IFNAMSIZ)
        return bad(e, spec, "ifname must be 1 to %d characters", IFNAMSIZ - 1);
    for (const char *p = val; *p; p++)
        if (*p == '/' || *p == ':' || *p <= ' ')
            return bad(e, spec, "ifname '%s' has a character not allowed in an interface name",
                       val);
    memcpy(cfg->ifname, val, n + 1);
    return 0;
}

static int parse_opt(const char *spec, char *kv, struct netdev_config *cfg, struct err *e)
{
    char *val = strchr(kv, '=');
    if (!val)
        return bad(e, spec, "expected key=value, got '%s'", kv);
    *val++ = '\0';
    if (!strcmp(kv, "mac")) {
        if (netdev_parse_mac(val, cfg->mac) < 0)
            return bad(e, spec, "mac '%s' is not a unicast address like 52:54:00:12:34:56", val);
        cfg->has_mac = true;
        return 0;
    }
    if (cfg->kind == NETDEV_USER && !strcmp(kv, "hostfwd"))
        return parse_hostfwd(spec, val, cfg, e);
    if (cfg->kind == NETDEV_TAP && !strcmp(kv, "ifname"))
        return parse_ifname(spec, val, cfg, e);
    return bad(e, spec, "unknown option '%s' (expected %s)", kv,
               cfg->kind == NETDEV_USER ? "hostfwd or mac" : "ifname or mac");
}

int netdev_parse(const char *spec, struct netdev_config *cfg, struct err *e)
{
    char buf[1024];
    memset(cfg, 0, sizeof(*cfg));
    snprintf(cfg->spec, sizeof(cfg->spec), "%s", spec);
    if (strlen(spec) >= sizeof(buf))
        return bad(e, spec, "too long");
    strcpy(buf, spec);
    char *save = NULL, *tok = strtok_r(buf, ",", &save);
    if (!tok || (strcmp(tok, "user") && strcmp(tok, "tap")))
        return bad(e, spec, "unknown back end '%s' (expected user or tap)", tok ? tok : "");
    cfg->kind = strcmp(tok, "user") ? NETDEV_TAP : NETDEV_USER;
    while ((tok = strtok_r(NULL, ",", &save))) {
        int r = parse_opt(spec, tok, cfg, e);
        if (r < 0)
            return r;
    }
    if (cfg->kind == NETDEV_TAP && !cfg->ifname[0])
        return bad(e, spec, "tap needs ifname=NAME");
    return 0;
}

int netdev_open(struct netdev **out, const struct netdev_config *cfg, struct evloop *loop,
                struct err *e)
{
    switch (cfg->kind) {
    case NETDEV_USER: return netdev_slirp_new(out, cfg, loop, e);
    case NETDEV_TAP: return netdev_tap_new(out, cfg, loop, e);
    }
    return -EINVAL;
}

void netdev_set_peer(struct netdev *nd, const struct netdev_peer_ops *ops, void *opaque)
{
    nd->peer = ops;
    nd->peer_opaque = opaque;
}

void netdev_tx_flush(struct netdev *nd)
{
    if (nd->ops->tx_flush)
        nd->ops->tx_flush(nd);
}

void netdev_rx_ready(struct netdev *nd)
{
    if (nd->ops->rx_ready)
        nd->ops->rx_ready(nd);
}

void netdev_deliver(struct netdev *nd, const void *frame, size_t len)
{
    if (!nd->peer || len == 0 || len > NETDEV_MAX_FRAME) {
        counter_inc(&nd->stats.rx_dropped);
        return;
    }
    counter_inc(&nd->stats.rx_frames);
    counter_add(&nd->stats.rx_bytes, len);
    nd->peer->receive(nd->peer_opaque, frame, len);
}

bool netdev_peer_can_receive(struct netdev *nd)
{
    return !nd->peer || !nd->peer->can_receive || nd->peer->can_receive(nd->peer_opaque);
}

void netdev_free(struct netdev *nd)
{
    if (nd)
        nd->ops->free(nd);
}
