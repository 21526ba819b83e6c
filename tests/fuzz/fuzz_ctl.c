/* SPDX-License-Identifier: MIT */
/*
 * fuzz_ctl: one control-socket JSON line (ctl_parse), as rvisord reads it
 * from a VM process and a VM process from its client, and a query result
 * (ctl_status_from_json) when the line is an ok response. The same bytes
 * are also fed through the line assembler over a pipe.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api/ctl.h"
#include "fuzz_util.h"

static void linebuf_pass(const uint8_t *data, size_t size)
{
    int p[2];
    if (size > 60000 || pipe(p))
        return;
    if (write(p[1], data, size) != (ssize_t)size) {
        close(p[0]), close(p[1]);
        return;
    }
    close(p[1]);
    struct ctl_linebuf lb = {0};
    int r;
    while ((r = ctl_linebuf_read(&lb, p[0])) > 0) {
        size_t len;
        char *line;
        while ((line = ctl_linebuf_next(&lb, &len))) {
            if (strlen(line) != len && memchr(line, 0, len) == NULL)
                abort();
            struct ctl_msg m;
            struct err e = {0};
            if (ctl_parse(&m, line, len, &e) == 0)
                ctl_msg_fini(&m);
        }
    }
    ctl_linebuf_fini(&lb);
    close(p[0]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *line = malloc(size ? size : 1);
    if (!line)
        return 0;
    memcpy(line, data, size);
    struct ctl_msg m;
    struct err e = {0};
    memset(&m, 0xa5, sizeof m);
    if (ctl_parse(&m, line, size, &e) == 0) {
        if (m.kind == CTL_MSG_RESPONSE && m.ok && m.result) {
            struct ctl_status s;
            struct err e2 = {0};
            if (ctl_status_from_json(&s, m.result, &e2) == 0) {
                json_t *j = ctl_status_to_json(&s);
                struct ctl_status s2;
                if (!j || ctl_status_from_json(&s2, j, &e2) != 0)
                    abort();
                json_decref(j);
            } else if (!e2.set || !one_line(e2.msg)) {
                abort();
            }
        }
        ctl_msg_fini(&m);
    } else if (!e.set || !one_line(e.msg)) {
        abort();
    }
    free(line);
    linebuf_pass(data, size);
    return 0;
}
