/* SPDX-License-Identifier: MIT */
/*
 * fuzz_cmdline: command-line specs: --net (netdev_parse, netdev_parse_mac)
 * and the size/integer parsers behind --mem, --cpus and `img create`
 * (util/parse.c). The input, cut at its first NUL, is given to each.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "net/netdev.h"
#include "util/parse.h"
#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    if (!s)
        return 0;
    memcpy(s, data, size);
    s[size] = 0;

    struct netdev_config *c = malloc(sizeof(*c));
    struct err e = {0};
    if (netdev_parse(s, c, &e) < 0) {
        if (!e.set)
            abort();
        for (const char *p = e.msg; *p; p++)
            if ((unsigned char)*p < 0x20)
                abort(); /* one line */
    } else if (c->nhostfwd > NETDEV_MAX_HOSTFWD) {
        abort();
    }
    free(c);
    uint8_t mac[NETDEV_MAC_LEN];
    (void)netdev_parse_mac(s, mac);
    uint64_t sz;
    if (parse_size(s, &sz) == 0 && sz == 0 && s[0] != '0')
        abort();
    long v;
    if (parse_int(s, -5, 1000, &v) == 0 && (v < -5 || v > 1000))
        abort();
    free(s);
    return 0;
}
